/*
** ast.h — the abstract syntax tree that the Lemon parser builds and the evaluator walks.
** A parse unit (AstUnit) owns an arena holding all of its nodes and the Source they
** point into; it is reference counted because functions defined in it outlive the
** statement that defined them.  The grammar only calls the ast_* builders; builders
** tolerate NULL children (a failed parse may hand them NULL) and never fail.
**
** Node layout by kind (unused fields are zero):
**   N_NUM      v.num
**   N_STR      v.str (escapes already decoded; may contain NUL)
**   N_FSTR     list: parts, each N_STR (literal text) or N_FMT (a = expr, v.str = format
**              spec after ':' or NULL) — from f"loss {x:.3f}"
**   N_BOOL     op = 0 or 1          N_NONE   —
**   N_NAME     v.name
**   N_LIST     list = items         N_REC    list = N_KWARG items
**   N_KWARG    v.name, a = value  (also keyword arguments of calls)
**   N_RANGE    a = lo, b = hi (inclusive: 1..3 is 1, 2, 3)
**   N_BINOP    op, a, b             N_UNOP   op (OP_NEG, OP_POS, OP_NOT), a
**   N_AND/N_OR a, b (short-circuit)
**   N_CALL     a = callee, list = arguments (expressions, then N_KWARG)
**   N_INDEX    a = object, list = index items (expressions or N_SLICE)
**   N_SLICE    a = start or NULL, b = stop or NULL
**   N_FIELD    a = object, v.name
**   N_AT       a = expression, b = party expression        (expr at party)
**   N_FN       v.name (NULL for `fn (x) { }` expressions), list = N_PARAM, a = N_BLOCK
**   N_PARAM    v.name, a = default value or NULL
**   N_EXPR     a                    (expression statement)
**   N_ASSIGN   a = target (N_NAME, N_INDEX or N_FIELD), b = value
**   N_AUGASSIGN op (OP_ADD, OP_SUB, OP_MUL, OP_DIV), a = target, b = value
**   N_IF       a = condition, b = N_BLOCK, c = else part (N_BLOCK, N_IF) or NULL
**   N_FOR      v.name = loop variable, a = iterable, b = N_BLOCK
**   N_WHILE    a = condition, b = N_BLOCK
**   N_BREAK, N_CONTINUE; N_RETURN a = value or NULL
**   N_IMPORT   v.str = path
**   N_PARTY    list = N_NAME
**   N_SCHEME   v.name, a = expression
**   N_NETWORK  v.name, list = layer expressions (N_NAME or N_CALL)
**   N_ON       a = party expression, b = N_BLOCK
**   N_PARALLEL b = N_BLOCK (its sends travel in one round)
**   N_TRY      v.name = the catch variable or NULL, b = the tried N_BLOCK, c = the catch N_BLOCK
**   N_BLOCK    list = statements    N_PROGRAM list = statements
** Every node has off/len: the byte span in the source that an error caret points at,
** and height: 1 for a leaf, 1 + the tallest child otherwise.  The parser rejects a tree
** taller than AST_MAX_HEIGHT, so the evaluator may walk any unit recursively.
** The fields under "resolver" are filled by interp/, never by the parser.
*/
#ifndef AST_H
#define AST_H
#include <stdint.h>
#include <stddef.h>
#include "arena.h"
#include "src.h"
#include "sym.h"

typedef enum NodeKind {
    N_NUM, N_STR, N_FSTR, N_FMT, N_BOOL, N_NONE, N_NAME, N_LIST, N_REC, N_KWARG,
    N_RANGE, N_BINOP, N_UNOP, N_AND, N_OR, N_CALL, N_INDEX, N_SLICE, N_FIELD, N_AT,
    N_FN, N_PARAM,
    N_EXPR, N_ASSIGN, N_AUGASSIGN, N_IF, N_FOR, N_WHILE, N_BREAK, N_CONTINUE,
    N_RETURN, N_IMPORT, N_PARTY, N_SCHEME, N_NETWORK, N_ON, N_BLOCK, N_PROGRAM,
    N_PARALLEL, N_TRY, N__COUNT
} NodeKind;

typedef enum OpKind {
    OP_NONE, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_MATMUL,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_NEG, OP_POS, OP_NOT, OP__COUNT
} OpKind;

typedef struct Node Node;
typedef struct NodeList { Node **v; int n, cap; } NodeList;

#define AST_MAX_HEIGHT 1000

struct Node {
    uint8_t kind, op;
    uint16_t height;        /* 1 + tallest child (saturates); set by the builders */
    uint32_t off, len;
    union {
        double num;
        struct { const char *s; size_t len; } str;
        Sym *name;
    } v;
    Node *a, *b, *c;
    NodeList list;
    /* resolver (interp/): where a name lives, and per-function facts */
    int8_t  scope;          /* for N_NAME/N_FOR/N_PARAM/N_FN-with-name targets */
    int16_t depth;          /* enclosing-function hops for upvalues */
    int32_t slot;           /* local slot, or global symbol id */
    void   *info;           /* N_FN: resolver's FnInfo (arena-allocated) */
};

typedef struct AstUnit {
    int rc; Source *src; Arena arena; Node *root;
    Node *too_deep;         /* parser: first node built taller than AST_MAX_HEIGHT */
} AstUnit;

AstUnit *ast_unit_new(Source *src);           /* retains src */
AstUnit *ast_unit_retain(AstUnit *u);
void     ast_unit_release(AstUnit *u);        /* frees the arena and releases the source */

/* Builders: each allocates in u's arena; off/len span the given tokens/children. */
Node *ast_node(AstUnit *u, NodeKind k, uint32_t off, uint32_t len);
Node *ast_num(AstUnit *u, double v, uint32_t off, uint32_t len);
Node *ast_str(AstUnit *u, const char *s, size_t n, uint32_t off, uint32_t len);
Node *ast_name(AstUnit *u, Sym *s, uint32_t off, uint32_t len);
Node *ast_binop(AstUnit *u, OpKind op, Node *a, Node *b);
Node *ast_unop(AstUnit *u, OpKind op, Node *a, uint32_t off);
Node *ast_pair(AstUnit *u, NodeKind k, Node *a, Node *b);   /* span a..b */
void  ast_push(AstUnit *u, Node *list_owner, Node *child);  /* append to ->list */
void  ast_span(Node *n, uint32_t off, uint32_t end);        /* set span [off, end) */
Node *ast_bool(AstUnit *u, int v, uint32_t off, uint32_t len);
/* N_KWARG or N_PARAM: name spans [off, off+len), value a (or NULL); span name..a. */
Node *ast_named(AstUnit *u, NodeKind k, Sym *name, uint32_t off, uint32_t len, Node *a);
/* N_FIELD: obj.name, spanning obj to end. */
Node *ast_field(AstUnit *u, Node *obj, Sym *name, uint32_t end);
/* A statement-like node with up to three children and a name; span [off, end) widened
** to cover the children. */
Node *ast_stmt(AstUnit *u, NodeKind k, uint32_t off, uint32_t end, Sym *name,
               Node *a, Node *b, Node *c);
/* Turns a list under construction (any node whose ->list was filled with ast_push, or
** NULL for an empty one) into kind k with name and child a, spanning [off, end). */
Node *ast_wrap(AstUnit *u, Node *list, NodeKind k, Sym *name, Node *a,
               uint32_t off, uint32_t end);
const char *ast_kind_name(NodeKind k);
const char *ast_op_name(OpKind op);                         /* "+", "@", "not", ... */
/* Prints an S-expression of the tree on one line, then a newline (for tests and
** `ppdl --dump-ast`), e.g. (program (assign (name x) (binop + (num 1) (num 2)))). */
void ast_dump(FILE *f, const Node *n);

#endif
