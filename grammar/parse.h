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

/* ---- Grammar-internal: shared by the driver (parse.c) and the actions in ppdl.y ---- */
struct LxToken;

typedef struct PsState {
    AstUnit *u;
    SymTab *syms;
    ParseDiag *d;
    const char *text;       /* u->src->text */
    uint32_t start, end;    /* the range being parsed */
    uint32_t tok_off, tok_len;  /* the token being fed (for %stack_overflow) */
    int expr_mode;          /* parsing one expression (ps_parse_expr_into) */
    int interactive;        /* a REPL entry (Source.interactive) */
    int failed;             /* *d holds an error: stop feeding tokens */
    Node *result;           /* N_PROGRAM or the expression, set on accept */
} PsState;

/* Records the first error of the parse (later ones are suppressed). */
void  ps_fail(PsState *P, uint32_t off, uint32_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The %syntax_error action: "unexpected X; expected Y", or incomplete at end of input. */
void  ps_syntax_error(PsState *P, int kind, const struct LxToken *t, const char *expected);
Sym  *ps_sym(PsState *P, const struct LxToken *t);
Node *ps_string(PsState *P, const struct LxToken *t);
Node *ps_fstring(PsState *P, const struct LxToken *t);
Node *ps_import(PsState *P, const struct LxToken *kw, const struct LxToken *path);
/* Assignment statements: checks that target is a name, index or field. */
Node *ps_assign(PsState *P, NodeKind k, OpKind op, Node *target, Node *value);
/* Appends a call argument (positional ones must come before keyword ones). */
void  ps_arg(PsState *P, Node *call, Node *arg);
/* Appends a parameter (ones without a default must come first). */
void  ps_param(PsState *P, Node *fn, Node *param);
/* Appends a network layer (a name or a call). */
void  ps_layer(PsState *P, Node *net, Node *layer);

#endif
