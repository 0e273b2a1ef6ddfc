/*
** ev.h — evaluator internals shared by the interp/ files (not by stdlib/): function and
** activation objects, and the operator entry points that builtins may reuse.
*/
#ifndef EV_H
#define EV_H
#include "interp.h"
#include "resolve.h"
#include <math.h>

struct Env { Obj h; struct Env *parent; int n; Value slot[]; };

typedef struct ObjFunc {
    Obj h;
    Node *fn;               /* N_FN */
    AstUnit *unit;          /* keeps fn's arena and source alive */
    Env *env;               /* captured activation, NULL for top-level functions */
} ObjFunc;

/* Hooks for val.c: freeing and visiting functions and activations. */
void ev_free_func(Obj *o);
void ev_free_env(Obj *o);
void ev_visit_func(Obj *o, void (*fn)(Value *v, void *ctx), void *ctx);
void ev_visit_env(Obj *o, void (*fn)(Value *v, void *ctx), void *ctx);
const char *ev_func_name(Obj *o);

enum { XS_OK, XS_ERR, XS_BREAK, XS_CONTINUE, XS_RETURN };   /* statement status */

/* The class whose hooks serve v: a kind's own, or the one a module registered for its
** tag (Interp.tagclass); NULL when there is none. */
static inline const VClass *ev_class(const Interp *I, Value v)
{
    return v.tag == V_OBJ ? AS_USER(v)->cls : v.tag <= V_ERR ? I->tagclass[v.tag] : NULL;
}

Value ev_eval(Interp *I, Node *n);             /* owned value or VERR */
int   ev_exec(Interp *I, Node *n);             /* XS_* */
/* Calls builtin r with evaluated (borrowed) positional and keyword arguments: its
** result placed where it lives (owned), or VERR after raising (ev_call.c). */
Value ev_call_builtin(Interp *I, const LibReg *r, int n, Value *pos, int nkw, Sym **kwname,
                      Value *kw);
/* Runs the statements of block blk in order: XS_OK, or the first other status (inline:
** a function's body and every loop's body run through it). */
static inline int ev_exec_block(Interp *I, Node *blk)
{
    for (int i = 0; i < blk->list.n; i++) {
        int st = ev_exec(I, blk->list.v[i]);
        if (st != XS_OK) return st;
    }
    return XS_OK;
}
/* A function value for the N_FN node fn, closing over the current activation (owned). */
Value ev_make_func(Interp *I, Node *fn);
/* A short description of operand n for messages, 'name' or 'name.field' written into buf,
** else "this value". */
const char *ev_describe(const Node *n, char *buf, size_t cap);
/* Index v (borrowed) into a sequence of length len (negative counts from the end) into
** *out; false after raising the error (not a whole number, out of range). */
static inline bool ev_to_index(Interp *I, Value v, size_t len, size_t *out)
{
    if (v.tag != V_NUM || v.as.n != floor(v.as.n)) {
        err_raise(I, "index must be a whole number (got %s)", val_type_name(v));
        return false;
    }
    double i = v.as.n;
    if (i < 0) i += (double)len;
    if (i < 0 || i >= (double)len) {
        err_raise(I, "index %g out of range (length %zu)", v.as.n, len);
        return false;
    }
    *out = (size_t)i;
    return true;
}
/* Evaluates the indices of obj[...] (node n) for a class's index hooks, as VClass.index
** takes them: idx[2k], idx[2k + 1] and slice[k].  False after an error, with nothing
** left to release. */
bool  ev_eval_indices(Interp *I, Value obj, const Node *n, Value *idx, bool *slice);
int   ev_exec_import(Interp *I, Node *n);
int   ev_exec_try(Interp *I, Node *n);        /* try { } catch e { } (ev_try.c) */
/* Binds v (consumed) to the variable node n names, with the party rule; false after an
** error (v released). */
bool  ev_store_name(Interp *I, Node *n, Value v);
void  ev_locate(Interp *I, const Node *n);     /* attach n's span to a pending error */
void  ev_set_global_id(Interp *I, uint32_t id, Value v);   /* consumes v */
bool  ev_ownable(Value v);                     /* data that can live at a party */
Value ev_num_binop(Interp *I, int op, double x, double y);
Value ev_binop_values(Interp *I, int op, Value a, Value b); /* no owner check */

/* Applies a binary/unary operator to two borrowed values (owner checks included). */
Value ev_binop(Interp *I, int op, Value a, Value b);
Value ev_unop(Interp *I, int op, Value a);
/* --- the party rule (store.c) --- */
/* The one accessor: whose data v's contents are (0 public, or a party), checked against
** the party running the code; -1 after raising an error that names what and both
** parties (contents at another party, or at two parties). */
int   ev_read(Interp *I, Value v, const char *what);
/* The party of a computation over data at p and q (0 public), or -1 after the error. */
int   ev_join(Interp *I, int p, int q, const char *what);
/* May the code running now change target?  Inside `on p` only p's values; false after
** raising the error. */
bool  ev_may_write(Interp *I, Value target, const char *what);
/* Places a result computed from party's data at party (its store too when fresh). */
void  ev_place_result(Interp *I, Value *r, int party);

/* The narrator's peek rule: at the top level, under --strict, a value whose contents are
** a party's may not be shown, echoed or decide a branch (what: "argument #1 to 'print'",
** "the condition of 'if'").  False after raising the error; true otherwise. */
bool  ev_may_peek(Interp *I, Value *v, const char *what);

/* The replicated narrator in a party's process (interp/replica.c; all do nothing in one
** process).  rep_self: this process's party (0: one process).  rep_standin: are p's
** values stand-ins here?  rep_peek: replaces a party's value *v by its owner's real one
** (false after raising).  rep_standin_send: the owner tells the others the skeleton of
** the value its file gave (r borrowed; VERR: the error raised).  rep_standin_take: that
** value's stand-in, at `from` (owned), or VERR after raising.  rep_on: runs `on p`'s
** body as this process does (output from p's process; a stand-in's error ends the block). */
int   rep_self(Interp *I);
bool  rep_standin(Interp *I, int p);
bool  rep_peek(Interp *I, Value *v, const char *what);
void  rep_standin_send(Interp *I, Value r);
Value rep_standin_take(Interp *I, int from, const char *fname);
int   rep_on(Interp *I, int p, int (*run)(Interp *I, Node *body), Node *body);
/* Makes the transcript true: a message between two other parties was recorded here as
** this process's stand-ins computed it; its sender's process sends the real size and
** description.  Called after each top-level statement and before the experimenter's
** builtins (view, cost, ...).  False after raising (the processes diverged). */
bool  rep_sync(Interp *I);
/* A protocol's public result (*r, made by a call whose messages are the transcript's
** from index `from` on) is known for real only in the processes of parties that
** received them: the first of those sends it to the processes of the others, which
** take it in place of their stand-in's.  False after raising. */
bool  rep_public_result(Interp *I, Value *r, size_t from);
/* The side channel for class peek hooks: this process's party posts `what` (a frame
** built by the caller, taken) to party `to`; takes the next frame of kind from `from`
** (false, *frame NULL, after raising "interrupted" when the narrator stopped the entry). */
void  rep_side_post(Interp *I, int to, uint8_t *frame, size_t len);
bool  rep_side_take(Interp *I, int from, const char *kind, uint8_t **frame, size_t *len);

/* Owner of a combination of values, or -1 after raising the "lives at" error. */
int   ev_common_owner(Interp *I, int oa, int ob, const char *what_b);

#endif
