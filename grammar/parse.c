/*
** parse.c — the parser driver and the grammar's helpers (see parse.h).  It pulls
** tokens from the lexer (lx.c) and feeds them to the Lemon parser generated from
** ppdl.y, stops at the first error, and turns what went wrong into a ParseDiag: an
** error with the offending span and a short message, or PARSE_INCOMPLETE when the
** input ended where more was expected (the REPL's continuation prompt).  The ps_
** helpers called from grammar actions decode strings and f-strings and check the few
** rules the grammar cannot express (assignment targets, argument and parameter order,
** network layers).  It owns no tokenizing and no tree layout.
*/
#include "parse.h"
#include "mem.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lx.h"

/* The Lemon parser (build/grammar/ppdl.c). */
void *ppdlParseAlloc(void *(*alloc)(size_t), PsState *P);
void  ppdlParse(void *parser, int kind, LxToken tok);
void  ppdlParseFree(void *parser, void (*dealloc)(void *));
int   ppdlParseAccepts(void *parser, int kind);
void  ppdlParseExpected(void *parser, char *buf, size_t size);

static void set_diag(PsState *P, ParseStatus st, uint32_t off, uint32_t len,
                     const char *fmt, va_list ap)
{
    if (P->failed || P->d->status != PARSE_OK) { P->failed = 1; return; }
    P->failed = 1;
    P->d->status = st; P->d->off = off; P->d->len = len;
    vsnprintf(P->d->msg, sizeof P->d->msg, fmt, ap);
}

void ps_fail(PsState *P, uint32_t off, uint32_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_diag(P, PARSE_ERROR, off, len, fmt, ap);
    va_end(ap);
}

static void incomplete(PsState *P, uint32_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_diag(P, PARSE_INCOMPLETE, off, 0, fmt, ap);
    va_end(ap);
}

/* How a token is named after "unexpected". */
static void token_text(const PsState *P, int kind, const LxToken *t, char *buf, size_t size)
{
    if (kind == 0 || (kind == TK_NEWLINE && t->len == 0)) snprintf(buf, size, "end of input");
    else if (kind == TK_NEWLINE) snprintf(buf, size, "newline");
    else if (kind == TK_STRING) snprintf(buf, size, "string");
    else if (kind == TK_FSTRING) snprintf(buf, size, "f-string");
    else if (t->len > 24) snprintf(buf, size, "'%.20s...'", P->text + t->off);
    else snprintf(buf, size, "'%.*s'", (int)t->len, P->text + t->off);
}

void ps_syntax_error(PsState *P, int kind, const LxToken *t, const char *expected)
{
    char what[40];
    const char *sep = expected[0] ? "; expected " : "";
    if (kind == 0 && !P->expr_mode) {
        incomplete(P, t->off, "unexpected end of input%s%s", sep, expected);
        return;
    }
    if (kind == 0) {
        ps_fail(P, t->off, 1, "unexpected end of expression%s%s", sep, expected);
        return;
    }
    token_text(P, kind, t, what, sizeof what);
    ps_fail(P, t->off, t->len, "unexpected %s%s%s", what, sep, expected);
}

Sym *ps_sym(PsState *P, const LxToken *t)
{
    return sym_intern(P->syms, P->text + t->off, t->len);
}

/* Decodes raw string text into the arena (NUL-terminated); returns its length. */
static const char *decode(PsState *P, uint32_t off, uint32_t len, int fstr, size_t *n)
{
    char *buf = arena_alloc(&P->u->arena, (size_t)len + 1);
    *n = lx_unescape(P->text + off, len, buf, fstr);
    buf[*n] = 0;
    return buf;
}

Node *ps_string(PsState *P, const LxToken *t)
{
    Node *n = ast_node(P->u, N_STR, t->off, t->len);
    n->v.str.s = decode(P, t->off + 1, t->len - 2, 0, &n->v.str.len);
    return n;
}

Node *ps_import(PsState *P, const LxToken *kw, const LxToken *path)
{
    Node *n = ast_node(P->u, N_IMPORT, kw->off, path->off + path->len - kw->off);
    n->v.str.s = decode(P, path->off + 1, path->len - 2, 0, &n->v.str.len);
    return n;
}

Node *ps_fstring(PsState *P, const LxToken *t)
{
    Node *f = ast_node(P->u, N_FSTR, t->off, t->len);
    uint32_t pos = t->off + 2, end = t->off + t->len - 1, eoff, elen;
    LxFPart part;
    char msg[160];
    int r;
    while (!P->failed &&
           (r = lx_fstr_next(P->text, &pos, end, &part, msg, sizeof msg, &eoff, &elen)) != 0) {
        if (r == LX_ERROR) { ps_fail(P, eoff, elen, "%s", msg); break; }
        if (!part.is_expr) {
            Node *s = ast_node(P->u, N_STR, part.off, part.len);
            s->v.str.s = decode(P, part.off, part.len, 1, &s->v.str.len);
            ast_push(P->u, f, s);
            continue;
        }
        Node *e = ps_parse_expr_into(P->u, P->syms, part.off, part.len, P->d);
        if (!e) { P->failed = 1; break; }
        Node *fmt = ast_stmt(P->u, N_FMT, part.whole_off, part.whole_off + part.whole_len,
                             NULL, e, NULL, NULL);
        if (part.has_spec) {
            fmt->v.str.s = arena_strndup(&P->u->arena, P->text + part.spec_off, part.spec_len);
            fmt->v.str.len = part.spec_len;
        }
        ast_push(P->u, f, fmt);
    }
    return f;
}

static const char *assign_what(NodeKind k)
{
    switch (k) {
    case N_NUM: return "a number";
    case N_STR: return "a string";
    case N_FSTR: return "an f-string";
    case N_BOOL: return "a boolean";
    case N_NONE: return "none";
    case N_LIST: return "a list";
    case N_REC: return "a record";
    case N_RANGE: return "a range";
    case N_CALL: return "a function call";
    case N_AT: return "an 'at' expression";
    case N_FN: return "a function";
    default: return "an operator expression";
    }
}

Node *ps_assign(PsState *P, NodeKind k, OpKind op, Node *target, Node *value)
{
    if (target && target->kind != N_NAME && target->kind != N_INDEX && target->kind != N_FIELD)
        ps_fail(P, target->off, target->len, "cannot assign to %s",
                assign_what((NodeKind)target->kind));
    Node *n = ast_pair(P->u, k, target, value);
    n->op = (uint8_t)op;
    return n;
}

void ps_arg(PsState *P, Node *call, Node *arg)
{
    if (!call || !arg) return;
    if (arg->kind != N_KWARG && call->list.n > 0 &&
        call->list.v[call->list.n - 1]->kind == N_KWARG)
        ps_fail(P, arg->off, arg->len, "positional argument after keyword arguments");
    if (arg->kind == N_KWARG)
        for (int i = 0; i < call->list.n; i++) {
            Node *o = call->list.v[i];
            if (o->kind == N_KWARG && o->v.name == arg->v.name)
                ps_fail(P, arg->off, arg->v.name->len, "duplicate keyword argument '%s'",
                        arg->v.name->name);
        }
    ast_push(P->u, call, arg);
}

void ps_param(PsState *P, Node *fn, Node *param)
{
    if (!fn || !param) return;
    for (int i = 0; i < fn->list.n; i++) {
        Node *o = fn->list.v[i];
        if (o->v.name == param->v.name)
            ps_fail(P, param->off, param->v.name->len, "duplicate parameter '%s'",
                    param->v.name->name);
    }
    if (!param->a && fn->list.n > 0 && fn->list.v[fn->list.n - 1]->a)
        ps_fail(P, param->off, param->len,
                "parameter '%s' without a default follows one with a default",
                param->v.name->name);
    ast_push(P->u, fn, param);
}

void ps_layer(PsState *P, Node *net, Node *layer)
{
    if (!net || !layer) return;
    if (layer->kind != N_NAME && layer->kind != N_CALL)
        ps_fail(P, layer->off, layer->len, "a network layer must be a name or a call");
    ast_push(P->u, net, layer);
}

/* Feeds the tokens of [P->start, P->end) to a fresh parser.  Returns 1 on success. */
static int run(PsState *P)
{
    Lexer lx;
    lx_init(&lx, P->text, P->start, P->end, P->expr_mode);
    void *pp = ppdlParseAlloc(malloc, P);
    if (!pp) mem_oom();
    LxToken t = { .off = P->start, .len = 0, .num = 0 };
    if (P->expr_mode) ppdlParse(pp, TK_XEXPR, t);
    for (;;) {
        int k = lx_next(&lx, &t);
        if (k == LX_ERROR) { ps_fail(P, lx.err_off, lx.err_len, "%s", lx.msg); break; }
        P->tok_off = t.off; P->tok_len = t.len;
        if (k == TK_NEWLINE && P->interactive && t.off + t.len >= P->end &&
            (ppdlParseAccepts(pp, TK_ELSE) || ppdlParseAccepts(pp, TK_CATCH))) {
            /* the REPL's entry ends after a block that `else` or `catch` may follow on
               the next line, as in a file: wait for that line */
            incomplete(P, t.off, "unexpected end of input; expected %s",
                       ppdlParseAccepts(pp, TK_ELSE) ? "'else' or a statement" : "'catch'");
            break;
        }
        if (!ppdlParseAccepts(pp, k)) {
            char expected[160];
            ppdlParseExpected(pp, expected, sizeof expected);
            ps_syntax_error(P, k, &t, expected);
            break;
        }
        ppdlParse(pp, k, t);
        if (!P->failed && P->u->too_deep)
            ps_fail(P, P->u->too_deep->off, P->u->too_deep->len, "expression too deeply nested");
        if (P->failed || k == 0) break;
    }
    ppdlParseFree(pp, free);
    if (!P->failed && !P->result) ps_fail(P, P->end, 0, "syntax error");
    return !P->failed;
}

AstUnit *ps_parse(SymTab *syms, Source *src, ParseDiag *d)
{
    ParseDiag local;
    if (!d) d = &local;
    memset(d, 0, sizeof *d);
    AstUnit *u = ast_unit_new(src);
    PsState P = { .u = u, .syms = syms, .d = d, .text = src->text,
                  .start = 0, .end = (uint32_t)src->len, .interactive = src->interactive };
    if (src->len >= UINT32_MAX) {
        ps_fail(&P, 0, 0, "source too large (4 GiB or more)");
    } else if (run(&P)) {
        u->root = P.result;
        return u;
    }
    ast_unit_release(u);
    return NULL;
}

Node *ps_parse_expr_into(AstUnit *u, SymTab *syms, uint32_t off, uint32_t len, ParseDiag *d)
{
    ParseDiag local;
    if (!d) d = &local;
    memset(d, 0, sizeof *d);
    if (!u || off > u->src->len || len > u->src->len - off) {
        d->status = PARSE_ERROR;
        snprintf(d->msg, sizeof d->msg, "expression out of range");
        return NULL;
    }
    PsState P = { .u = u, .syms = syms, .d = d, .text = u->src->text,
                  .start = off, .end = off + len, .expr_mode = 1 };
    return run(&P) ? P.result : NULL;
}
