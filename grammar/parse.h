/*
** parse.h — the parser entry point: source text in, AST unit out.  The tokenizer
** (lx.c) feeds the Lemon parser (ppdl.y); diagnostics say whether the input was wrong
** or merely incomplete (ended inside a block, bracket, string or after an operator),
** which the REPL turns into a continuation prompt.
*/
#ifndef PARSE_H
#define PARSE_H
#include "ast.h"

typedef enum ParseStatus { PARSE_OK, PARSE_ERROR, PARSE_INCOMPLETE } ParseStatus;

typedef struct ParseDiag {
    ParseStatus status;
    uint32_t off, len;      /* span of the offending token */
    char msg[256];          /* e.g. "unexpected ')'; expected an expression" */
} ParseDiag;

/* Parses a whole program.  On success returns a unit whose root is N_PROGRAM (the
** caller releases it); on error or incomplete input returns NULL and fills *d. */
AstUnit *ps_parse(SymTab *syms, Source *src, ParseDiag *d);

/* Parses one expression (used for f-string parts); same contract, root is the expression. */
Node *ps_parse_expr_into(AstUnit *u, SymTab *syms, uint32_t off, uint32_t len, ParseDiag *d);

#endif
