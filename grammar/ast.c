/*
** ast.c — parse units and the node builders the grammar calls (see ast.h), plus the
** S-expression dump used by the tests and `ppdl --dump-ast`.  Builders allocate in the
** unit's arena, tolerate NULL children, never fail, and keep each node's span and
** height; the first node taller than AST_MAX_HEIGHT is remembered in u->too_deep for
** the parser to report.  Dump format: "(head fields... children...)" where the head is
** ast_kind_name(), a missing optional child prints as "_", names print bare, strings
** print quoted with C escapes, e.g. (call (name f) (num 1) (kwarg lr (num 0.1))).
*/
#include "ast.h"
#include "mem.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

AstUnit *ast_unit_new(Source *src)
{
    AstUnit *u = xmalloc(sizeof *u);
    u->rc = 1; u->src = src_retain(src); u->root = NULL; u->too_deep = NULL;
    arena_init(&u->arena);
    return u;
}

AstUnit *ast_unit_retain(AstUnit *u) { if (u) u->rc++; return u; }

void ast_unit_release(AstUnit *u)
{
    if (!u || --u->rc > 0) return;
    arena_free(&u->arena);
    src_release(u->src);
    free(u);
}

static uint32_t end_of(const Node *n) { return n ? n->off + n->len : 0; }

/* Records that child hangs below n: n's height covers it. */
static void grow(AstUnit *u, Node *n, const Node *child)
{
    if (!n || !child) return;
    unsigned h = (unsigned)child->height + 1;
    if (h > 60000) h = 60000;
    if (h > n->height) {
        n->height = (uint16_t)h;
        if (h > AST_MAX_HEIGHT && !u->too_deep) u->too_deep = n;
    }
}

Node *ast_node(AstUnit *u, NodeKind k, uint32_t off, uint32_t len)
{
    Node *n = arena_alloc(&u->arena, sizeof *n);
    n->kind = (uint8_t)k; n->off = off; n->len = len; n->height = 1;
    return n;
}

void ast_span(Node *n, uint32_t off, uint32_t end)
{
    if (!n) return;
    n->off = off; n->len = end > off ? end - off : 0;
}

Node *ast_num(AstUnit *u, double v, uint32_t off, uint32_t len)
{
    Node *n = ast_node(u, N_NUM, off, len);
    n->v.num = v;
    return n;
}

Node *ast_str(AstUnit *u, const char *s, size_t len, uint32_t off, uint32_t slen)
{
    Node *n = ast_node(u, N_STR, off, slen);
    n->v.str.s = arena_strndup(&u->arena, s ? s : "", s ? len : 0);
    n->v.str.len = s ? len : 0;
    return n;
}

Node *ast_name(AstUnit *u, Sym *s, uint32_t off, uint32_t len)
{
    Node *n = ast_node(u, N_NAME, off, len);
    n->v.name = s;
    return n;
}

Node *ast_bool(AstUnit *u, int v, uint32_t off, uint32_t len)
{
    Node *n = ast_node(u, N_BOOL, off, len);
    n->op = v ? 1 : 0;
    return n;
}

Node *ast_pair(AstUnit *u, NodeKind k, Node *a, Node *b)
{
    uint32_t off = a ? a->off : b ? b->off : 0;
    uint32_t end = b ? end_of(b) : end_of(a);
    Node *n = ast_node(u, k, off, 0);
    ast_span(n, off, end);
    n->a = a; n->b = b;
    grow(u, n, a); grow(u, n, b);
    return n;
}

Node *ast_binop(AstUnit *u, OpKind op, Node *a, Node *b)
{
    Node *n = ast_pair(u, N_BINOP, a, b);
    n->op = (uint8_t)op;
    return n;
}

Node *ast_unop(AstUnit *u, OpKind op, Node *a, uint32_t off)
{
    Node *n = ast_node(u, N_UNOP, off, 0);
    ast_span(n, off, a ? end_of(a) : off);
    n->op = (uint8_t)op; n->a = a;
    grow(u, n, a);
    return n;
}

void ast_push(AstUnit *u, Node *owner, Node *child)
{
    if (!owner || !child) return;
    NodeList *l = &owner->list;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        Node **v = arena_alloc(&u->arena, (size_t)cap * sizeof *v);
        if (l->n) memcpy(v, l->v, (size_t)l->n * sizeof *v);
        l->v = v; l->cap = cap;
    }
    l->v[l->n++] = child;
    grow(u, owner, child);
}

Node *ast_named(AstUnit *u, NodeKind k, Sym *name, uint32_t off, uint32_t len, Node *a)
{
    Node *n = ast_node(u, k, off, len);
    n->v.name = name; n->a = a;
    if (a && end_of(a) > off + len) ast_span(n, off, end_of(a));
    grow(u, n, a);
    return n;
}

Node *ast_field(AstUnit *u, Node *obj, Sym *name, uint32_t end)
{
    Node *n = ast_node(u, N_FIELD, 0, 0);
    ast_span(n, obj ? obj->off : end, end);
    n->a = obj; n->v.name = name;
    grow(u, n, obj);
    return n;
}

Node *ast_stmt(AstUnit *u, NodeKind k, uint32_t off, uint32_t end, Sym *name,
               Node *a, Node *b, Node *c)
{
    Node *n = ast_node(u, k, off, 0);
    Node *kids[3] = { a, b, c };
    for (int i = 0; i < 3; i++) {
        if (kids[i] && end_of(kids[i]) > end) end = end_of(kids[i]);
        grow(u, n, kids[i]);
    }
    ast_span(n, off, end);
    n->v.name = name; n->a = a; n->b = b; n->c = c;
    return n;
}

Node *ast_wrap(AstUnit *u, Node *list, NodeKind k, Sym *name, Node *a,
               uint32_t off, uint32_t end)
{
    Node *n = list ? list : ast_node(u, k, off, 0);
    n->kind = (uint8_t)k;
    n->v.name = name; n->a = a;
    grow(u, n, a);
    ast_span(n, off, end);
    return n;
}

const char *ast_kind_name(NodeKind k)
{
    static const char *const names[N__COUNT] = {
        [N_NUM] = "num", [N_STR] = "str", [N_FSTR] = "fstr", [N_FMT] = "fmt",
        [N_BOOL] = "bool", [N_NONE] = "none", [N_NAME] = "name", [N_LIST] = "list",
        [N_REC] = "rec", [N_KWARG] = "kwarg", [N_RANGE] = "range", [N_BINOP] = "binop",
        [N_UNOP] = "unop", [N_AND] = "and", [N_OR] = "or", [N_CALL] = "call",
        [N_INDEX] = "index", [N_SLICE] = "slice", [N_FIELD] = "field", [N_AT] = "at",
        [N_FN] = "fn", [N_PARAM] = "param", [N_EXPR] = "expr", [N_ASSIGN] = "assign",
        [N_AUGASSIGN] = "augassign", [N_IF] = "if", [N_FOR] = "for", [N_WHILE] = "while",
        [N_BREAK] = "break", [N_CONTINUE] = "continue", [N_RETURN] = "return",
        [N_IMPORT] = "import", [N_PARTY] = "party", [N_SCHEME] = "scheme",
        [N_NETWORK] = "network", [N_ON] = "on", [N_PARALLEL] = "parallel", [N_BLOCK] = "block",
        [N_PROGRAM] = "program", [N_TRY] = "try",
    };
    return (unsigned)k < N__COUNT && names[k] ? names[k] : "?";
}

const char *ast_op_name(OpKind op)
{
    static const char *const names[OP__COUNT] = {
        [OP_NONE] = "", [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*", [OP_DIV] = "/",
        [OP_MOD] = "%", [OP_POW] = "**", [OP_MATMUL] = "@", [OP_EQ] = "==", [OP_NE] = "!=",
        [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=", [OP_NEG] = "-",
        [OP_POS] = "+", [OP_NOT] = "not",
    };
    return (unsigned)op < OP__COUNT ? names[op] : "?";
}

static void dump_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        case '\r': fputs("\\r", f); break;
        case '"':  fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        default:
            if (c < 0x20 || c == 0x7f) fprintf(f, "\\x%02x", c);
            else fputc(c, f);
        }
    }
    fputc('"', f);
}

static void dump_num(FILE *f, double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, f);
}

static void dump(FILE *f, const Node *n);

static void dump_opt(FILE *f, const Node *n)
{
    fputc(' ', f);
    if (n) dump(f, n); else fputc('_', f);
}

static void dump_list(FILE *f, const Node *n)
{
    for (int i = 0; i < n->list.n; i++) { fputc(' ', f); dump(f, n->list.v[i]); }
}

static void dump(FILE *f, const Node *n)
{
    if (!n) { fputc('_', f); return; }
    fprintf(f, "(%s", ast_kind_name((NodeKind)n->kind));
    switch ((NodeKind)n->kind) {
    case N_NUM: fputc(' ', f); dump_num(f, n->v.num); break;
    case N_STR: case N_IMPORT: fputc(' ', f); dump_str(f, n->v.str.s, n->v.str.len); break;
    case N_FMT:
        dump_opt(f, n->a);
        if (n->v.str.s) { fputc(' ', f); dump_str(f, n->v.str.s, n->v.str.len); }
        break;
    case N_BOOL: fputs(n->op ? " true" : " false", f); break;
    case N_NAME: fprintf(f, " %s", n->v.name ? n->v.name->name : "?"); break;
    case N_KWARG: case N_PARAM:
        fprintf(f, " %s", n->v.name ? n->v.name->name : "?");
        if (n->a) dump_opt(f, n->a);
        break;
    case N_BINOP: case N_AUGASSIGN:
        fprintf(f, " %s", ast_op_name((OpKind)n->op));
        dump_opt(f, n->a); dump_opt(f, n->b);
        break;
    case N_UNOP: fprintf(f, " %s", ast_op_name((OpKind)n->op)); dump_opt(f, n->a); break;
    case N_SLICE: dump_opt(f, n->a); dump_opt(f, n->b); break;
    case N_FIELD: dump_opt(f, n->a); fprintf(f, " %s", n->v.name ? n->v.name->name : "?"); break;
    case N_FN:
        fprintf(f, " %s", n->v.name ? n->v.name->name : "_");
        dump_list(f, n);
        dump_opt(f, n->a);
        break;
    case N_FOR: case N_SCHEME: case N_NETWORK:
        fprintf(f, " %s", n->v.name ? n->v.name->name : "?");
        if (n->a) dump_opt(f, n->a);
        if (n->b) dump_opt(f, n->b);
        dump_list(f, n);
        break;
    case N_TRY:
        fprintf(f, " %s", n->v.name ? n->v.name->name : "_");
        dump_opt(f, n->b); dump_opt(f, n->c);
        break;
    default:
        if (n->a) dump_opt(f, n->a);
        if (n->b) dump_opt(f, n->b);
        if (n->c) dump_opt(f, n->c);
        dump_list(f, n);
        break;
    }
    fputc(')', f);
}

void ast_dump(FILE *f, const Node *n)
{
    dump(f, n);
    fputc('\n', f);
}
