/*
** lib_tensor.c — the 'tensor' module: builtins that make, reshape, combine, reduce and
** inspect plaintext tensors (tensor, zeros, rand, reshape, sum, argmax, concat, ...),
** plus the tensor class the module registers for the V_TENSOR tag (Interp.tagclass):
** the hooks the evaluator calls for operators, indexing, index assignment, the fields
** x.T, x.shape and x.len, and display.  The
** arithmetic itself is runtime/tn*.c; this file converts Values, checks arguments and
** turns runtime error text into raised errors.  Math names shared with core (exp, max,
** sum, ...) arrive here when core forwards a tensor argument; what this module does not
** handle it forwards again (lib_forward), so nn may register e.g. sigmoid(approx = ...).
** Owners: the evaluator places builtin and operator results at the arguments' party;
** results here carry the non-zero owner of their operands as well.
*/
#include "lib_tensor.h"
#include "mem.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers ----------------------------------------------------------------------- */

/* Raises a runtime error text; "interrupted" becomes the evaluator's interrupt. */
static Value raise_tn(Interp *I, const RtErr *err)
{
    if (err->code == RT_EINTR && ev_interrupted(I)) return VERR;
    return err_raise(I, "%s", err->msg);
}

static Value tval(Tn *t, int owner) { return val_at(val_tensor(t), owner); }

/* "[i, j]": the index of flat element k of a tensor of the given shape. */
static void fmt_index(char *buf, size_t n, size_t k, int ndim, const int *shape)
{
    int idx[TN_MAXDIM];
    for (int j = ndim - 1; j >= 0; j--) { idx[j] = (int)(k % (size_t)shape[j]); k /= (size_t)shape[j]; }
    size_t len = (size_t)snprintf(buf, n, "[");
    for (int j = 0; j < ndim && len < n; j++)
        len += (size_t)snprintf(buf + len, n - len, "%s%d", j ? ", " : "", idx[j]);
    if (len < n) snprintf(buf + len, n - len, "]");
}

/* x as a float32 element; false (after raising "what: where x is outside ...") when a
** finite x would become infinite.  inf and nan stay what they are. */
static bool to_f32(Interp *I, double x, float *out, const char *what, const char *where)
{
    float f = (float)x;
    if (isinf(f) && isfinite(x)) {
        err_raise(I, "%s: %s%g is outside the float32 range of tensors (magnitude at most "
                  "%.7g)", what, where, x, (double)FLT_MAX);
        return false;
    }
    *out = f;
    return true;
}

/* A tensor result, or a number when it is a scalar (ndim 0); consumes t. */
static Value tval_or_num(Tn *t, int owner)
{
    if (t->ndim > 0) return tval(t, owner);
    double x = t->data[0];
    tn_free(t);
    return val_at(VNUM(x), owner);
}

static bool is_whole(Value v, long lo, long hi)
{
    return v.tag == V_NUM && v.as.n == floor(v.as.n) && v.as.n >= (double)lo && v.as.n <= (double)hi;
}

/* Fills data from a nested list of depth ndim with the given shape. */
static bool fill_nested(Interp *I, Value v, int d, int ndim, const int *shape, float *data,
                        size_t *k, const char *what)
{
    if (d == ndim) {
        if (v.tag == V_NUM) {
            if (isinf((float)v.as.n) && isfinite(v.as.n)) {
                char ix[64], where[80];
                fmt_index(ix, sizeof ix, *k, ndim, shape);
                snprintf(where, sizeof where, "element %s = ", ix);
                float dummy;
                return to_f32(I, v.as.n, &dummy, what, where);
            }
            data[(*k)++] = (float)v.as.n;
            return true;
        }
        if (v.tag == V_BOOL) { data[(*k)++] = (float)v.as.b; return true; }
        if (v.tag == V_LIST)
            err_raise(I, "%s: ragged nested list (a list where a number was expected at depth %d)", what, d + 1);
        else err_raise(I, "%s: elements must be numbers (got a %s)", what, val_type_name(v));
        return false;
    }
    if (v.tag != V_LIST || AS_LIST(v)->n != (size_t)shape[d]) {
        if (v.tag == V_LIST)
            err_raise(I, "%s: ragged nested list (expected %d items at depth %d, got %zu)",
                      what, shape[d], d + 1, AS_LIST(v)->n);
        else err_raise(I, "%s: ragged nested list (expected a list of %d at depth %d, got a %s)",
                       what, shape[d], d + 1, val_type_name(v));
        return false;
    }
    for (size_t i = 0; i < AS_LIST(v)->n; i++)
        if (!fill_nested(I, AS_LIST(v)->v[i], d + 1, ndim, shape, data, k, what)) return false;
    return true;
}

Tn *lib_tensor_from(Interp *I, Value v, const char *what)
{
    RtErr err;
    switch (v.tag) {
    case V_NUM: {
        float f;
        return to_f32(I, v.as.n, &f, what, "") ? tn_scalar(f) : NULL;
    }
    case V_BOOL: return tn_scalar((float)v.as.b);
    case V_TENSOR: return tn_copy(AS_TENSOR(v));
    case V_RANGE: {
        ObjRange *r = AS_RANGE(v);
        size_t n = ev_range_len(r);
        if (n > TN_MAXSIZE) { err_raise(I, "%s: range too long", what); return NULL; }
        int len = (int)n;
        Tn *t = tn_new(1, &len);
        for (int i = 0; i < len; i++) t->data[i] = (float)(r->lo + i * r->step);
        return t;
    }
    case V_LIST: {
        int ndim = 0, shape[TN_MAXDIM];
        Value cur = v;
        while (cur.tag == V_LIST) {
            if (ndim == TN_MAXDIM) {
                err_raise(I, "%s: more than %d nested lists (tensors have at most %d dimensions)",
                          what, TN_MAXDIM, TN_MAXDIM);
                return NULL;
            }
            size_t n = AS_LIST(cur)->n;
            if (n > (size_t)INT_MAX) { err_raise(I, "%s: list too long", what); return NULL; }
            shape[ndim++] = (int)n;
            if (n == 0) break;
            cur = AS_LIST(cur)->v[0];
        }
        if (tn_shape_check(ndim, shape, &err)) { err_raise(I, "%s: %s", what, err.msg); return NULL; }
        Tn *t = tn_new(ndim, shape);
        size_t k = 0;
        if (!fill_nested(I, v, 0, ndim, shape, t->data, &k, what)) { tn_free(t); return NULL; }
        return t;
    }
    default:
        err_raise(I, "%s: cannot make a tensor from a %s", what, val_type_name(v));
        return NULL;
    }
}

/* A shape from arguments from..a->n-1: either one list of whole numbers or whole
** numbers given one by one (zeros(2, 3) or zeros([2, 3])).  With infer, -1 passes
** unchecked (reshape resolves it). */
static bool shape_args(Interp *I, Args *a, int from, int to, int *ndim, int *shape, bool infer)
{
    RtErr err;
    Value *v = a->v + from;
    int n = to - from;
    if (n == 1 && v[0].tag == V_LIST) { n = (int)AS_LIST(v[0])->n; v = AS_LIST(v[0])->v; }
    if (n > TN_MAXDIM) {
        err_raise(I, "'%s': tensors have at most %d dimensions (got %d)", a->fname, TN_MAXDIM, n);
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (!is_whole(v[i], -(long)INT_MAX, INT_MAX)) {
            err_raise(I, "'%s': a shape is whole numbers (dimension %d is %s)", a->fname, i + 1,
                      v[i].tag == V_NUM ? "not a whole number" : val_type_name(v[i]));
            return false;
        }
        shape[i] = (int)v[i].as.n;
    }
    *ndim = n;
    if (!infer && tn_shape_check(n, shape, &err)) { err_raise(I, "'%s': %s", a->fname, err.msg); return false; }
    return true;
}

/* An optional axis keyword (TN_ALL when absent). */
static bool axis_kw(Interp *I, Args *a, int *axis)
{
    long ax = TN_ALL;
    Value *v = lib_kw(a, "axis");
    if (v && v->tag == V_NONE) { *axis = TN_ALL; return true; }
    if (!lib_kwint(I, a, "axis", &ax)) return false;
    if (v && (ax < -TN_MAXDIM || ax > TN_MAXDIM)) {
        err_raise(I, "'%s': axis %ld is out of range", a->fname, ax);
        return false;
    }
    *axis = (int)ax;
    return true;
}

/* Argument i as a tensor: a tensor is borrowed (*own = NULL); a number or list is
** converted into *own, which the caller frees. */
static Tn *arg_tn(Interp *I, Args *a, int i, Tn **own)
{
    *own = NULL;
    if (i >= a->n) { lib_bad(I, a, i, "tensor"); return NULL; }
    if (a->v[i].tag == V_TENSOR) return AS_TENSOR(a->v[i]);
    Value v = a->v[i];
    if (v.tag != V_NUM && v.tag != V_LIST && v.tag != V_RANGE && v.tag != V_BOOL) {
        lib_bad(I, a, i, "tensor");
        return NULL;
    }
    *own = lib_tensor_from(I, v, a->fname);
    return *own;
}

/* --- operators (called by the evaluator) ------------------------------------------- */

static int op_of(int op)
{
    switch (op) {
    case OP_ADD: return TN_ADD;   case OP_SUB: return TN_SUB;
    case OP_MUL: return TN_MUL;   case OP_DIV: return TN_DIV;
    case OP_MOD: return TN_MOD;   case OP_POW: return TN_POW;
    case OP_EQ: return TN_EQ;     case OP_NE: return TN_NE;
    case OP_LT: return TN_LT;     case OP_LE: return TN_LE;
    case OP_GT: return TN_GT;     case OP_GE: return TN_GE;
    default: return -1;
    }
}

static bool scalar_of(Value v, float *x)
{
    if (v.tag == V_NUM) { *x = (float)v.as.n; return true; }
    if (v.tag == V_BOOL) { *x = (float)v.as.b; return true; }
    return false;
}

/* Division and % by zero are errors for tensors as for numbers: false (after raising,
** naming the first zero element) when the divisor d has a zero. */
static bool nonzero_divisor(Interp *I, int op, const Tn *d)
{
    for (size_t i = 0; i < d->size; i++)
        if (d->data[i] == 0) {
            char ix[64];
            fmt_index(ix, sizeof ix, i, d->ndim, d->shape);
            if (d->ndim == 0) err_raise(I, "division by zero");
            else err_raise(I, "division by zero: element %s of the right operand of '%s' is 0",
                           ix, ast_op_name(op));
            return false;
        }
    return true;
}

/* a op b for an OpKind (OP_ADD .. OP_GE, OP_MATMUL) where a or b is a tensor and the
** other a tensor or number: elementwise with broadcasting, comparisons give 1/0
** tensors, @ is numpy's matmul (a 1-D @ 1-D product is a number).  Owner: the
** operands' non-zero owner (the evaluator has already checked they agree). */
static Value tensor_binop(Interp *I, int op, Value a, Value b)
{
    RtErr err;
    int owner = a.owner ? a.owner : b.owner;
    float s = 0;
    bool ta = a.tag == V_TENSOR, tb = b.tag == V_TENSOR;
    if ((!ta && a.tag != V_NUM) || (!tb && b.tag != V_NUM) ||
        (!ta && !scalar_of(a, &s)) || (!tb && !scalar_of(b, &s)) || (!ta && !tb))
        return err_raise(I, "unsupported operand types for '%s': %s and %s",
                         ast_op_name(op), val_type_name(a), val_type_name(b));
    if (op == OP_MATMUL) {
        if (!ta || !tb)
            return err_raise(I, "matmul: both operands must be tensors (use * to scale by a number)");
        Tn *r = tn_matmul(AS_TENSOR(a), AS_TENSOR(b), I->interrupt, &err);
        return r ? tval_or_num(r, owner) : raise_tn(I, &err);
    }
    int k = op_of(op);
    if (k < 0) return err_raise(I, "operator '%s' does not apply to tensors", ast_op_name(op));
    if (!ta || !tb) {
        Value sv = ta ? b : a;
        char what[32];
        snprintf(what, sizeof what, "operator '%s'", ast_op_name(op));
        if (sv.tag == V_NUM && !to_f32(I, sv.as.n, &s, what, "")) return VERR;
    }
    if (op == OP_DIV || op == OP_MOD) {
        if (tb && !nonzero_divisor(I, op, AS_TENSOR(b))) return VERR;
        if (!tb && s == 0) return err_raise(I, "division by zero");
    }
    Tn *r;
    if (ta && tb) r = tn_binop((TnOp)k, AS_TENSOR(a), AS_TENSOR(b), &err);
    else if (ta) r = tn_binop_s((TnOp)k, AS_TENSOR(a), s, false);
    else r = tn_binop_s((TnOp)k, AS_TENSOR(b), s, true);
    return r ? tval(r, owner) : raise_tn(I, &err);
}

/* OP_NEG (a negated copy) and OP_POS (a copy) of a tensor; OP_NOT is an error. */
static Value tensor_unop(Interp *I, int op, Value a)
{
    if (a.tag != V_TENSOR)
        return err_raise(I, "unsupported operand type for unary '%s': %s", ast_op_name(op), val_type_name(a));
    if (op == OP_NEG) return tval(tn_map(TN_NEG, AS_TENSOR(a)), a.owner);
    if (op == OP_POS) return tval(tn_copy(AS_TENSOR(a)), a.owner);
    return err_raise(I, "'%s' does not apply to a tensor (use any/all comparisons on numbers)",
                     ast_op_name(op));
}

/* --- indexing ---------------------------------------------------------------------- */

/* Converts evaluated index parts into TnIndex items. */
static bool to_index(Interp *I, int n, const bool *slice, const Value *lo, const Value *hi,
                     TnIndex *ix)
{
    for (int i = 0; i < n; i++) {
        memset(&ix[i], 0, sizeof ix[i]);
        ix[i].slice = slice[i];
        if (!slice[i]) {
            if (!is_whole(lo[i], -(long)INT_MAX, INT_MAX)) {
                err_raise(I, "a tensor index must be a whole number (index %d is %s)", i + 1,
                          lo[i].tag == V_NUM ? "not whole" : val_type_name(lo[i]));
                return false;
            }
            ix[i].start = (long)lo[i].as.n;
            continue;
        }
        const Value *b[2] = { &lo[i], &hi[i] };
        for (int k = 0; k < 2; k++) {
            if (b[k]->tag == V_NONE) continue;
            if (b[k]->tag != V_NUM || b[k]->as.n != floor(b[k]->as.n)) {
                err_raise(I, "slice bounds must be whole numbers (index %d has %s)", i + 1,
                          b[k]->tag == V_NUM ? "a fraction" : val_type_name(*b[k]));
                return false;
            }
            double x = b[k]->as.n;
            long c = x > INT_MAX ? INT_MAX : x < -(double)INT_MAX ? -(long)INT_MAX : (long)x;
            if (k == 0) { ix[i].has_start = true; ix[i].start = c; }
            else { ix[i].has_stop = true; ix[i].stop = c; }
        }
    }
    return true;
}

/* The index items of VClass.index (idx[2k], idx[2k + 1], slice[k]) as TnIndex items. */
static bool hook_index(Interp *I, int n, const Value *idx, const bool *slice, TnIndex *ix)
{
    Value lo[TN_MAXDIM], hi[TN_MAXDIM];
    if (n > TN_MAXDIM) { err_raise(I, "too many indices (%d) for a tensor", n); return false; }
    for (int i = 0; i < n; i++) { lo[i] = idx[2 * i]; hi[i] = idx[2 * i + 1]; }
    return to_index(I, n, slice, lo, hi, ix);
}

/* t[i, j, a:b]: all-integer indexing gives a number, else a tensor (a view copied). */
static Value tensor_index(Interp *I, Value t, int n, const Value *idx, const bool *slice)
{
    RtErr err;
    TnIndex ix[TN_MAXDIM];
    if (!hook_index(I, n, idx, slice, ix)) return VERR;
    Tn *r = tn_index(AS_TENSOR(t), n, ix, &err);
    return r ? tval_or_num(r, t.owner) : raise_tn(I, &err);
}

/* t[i, j, a:b] = v: v a number or bool (filled in), or a tensor, list or range that
** broadcasts to the selection. */
static bool tensor_setindex(Interp *I, Value t, int n, const Value *idx, const bool *slice, Value v)
{
    RtErr err;
    TnIndex ix[TN_MAXDIM];
    if (!hook_index(I, n, idx, slice, ix)) return false;
    float s;
    int rc;
    if (scalar_of(v, &s)) rc = tn_index_fill(AS_TENSOR(t), n, ix, s, &err);
    else if (v.tag == V_TENSOR) rc = tn_index_set(AS_TENSOR(t), n, ix, AS_TENSOR(v), &err);
    else {
        Tn *src = lib_tensor_from(I, v, "index assignment");
        if (!src) return false;
        rc = tn_index_set(AS_TENSOR(t), n, ix, src, &err);
        tn_free(src);
    }
    if (rc) raise_tn(I, &err);
    return rc == 0;
}

/* x.T, x.shape and x.len: the builtin of that name applied to x, called as the program
** would call it (the evaluator's party checks included). */
static Value tensor_field(Interp *I, Value self, Sym *name)
{
    const char *f = name->name;
    const LibReg *b = lib_find(I, strcmp(f, "T") == 0 ? "transpose" : f);
    if (b && (strcmp(f, "T") == 0 || strcmp(f, "shape") == 0 || strcmp(f, "len") == 0))
        return ev_call(I, (Value){ .tag = V_BUILTIN, .as.fn = b }, 1, &self);
    return err_raise(I, "a %s has no field '%s'", val_type_name(self), f);
}

/* tensor([[1, 2],\n        [3, 4]]), numpy-like. */
static void tensor_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)I; (void)verbose;
    tn_show(out, p, "tensor");
}

/* The class of the V_TENSOR tag.  Its objects are the evaluator's (ObjTensor, freed and
** placed by val.c), so it has no free hook; it travels through lib_wire.c's own codec. */
static const VClass tensor_class = {
    .name = "tensor", .show = tensor_show, .binop = tensor_binop, .unop = tensor_unop,
    .field = tensor_field, .index = tensor_index, .setindex = tensor_setindex,
};

static void tensor_init(Interp *I) { I->tagclass[V_TENSOR] = &tensor_class; }

/* --- constructors ------------------------------------------------------------------ */

static Value b_tensor(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    Tn *t = lib_tensor_from(I, a->v[0], "tensor");
    return t ? tval(t, a->v[0].owner) : VERR;
}

static Value fill_shape(Interp *I, Args *a, float x)
{
    int nd, shape[TN_MAXDIM];
    if (!lib_kwonly(I, a, NULL) || !shape_args(I, a, 0, a->n, &nd, shape, false)) return VERR;
    return tval(tn_full(nd, shape, x), a->at);
}

static Value b_zeros(Interp *I, Args *a) { return fill_shape(I, a, 0); }
static Value b_ones(Interp *I, Args *a) { return fill_shape(I, a, 1); }

static Value b_full(Interp *I, Args *a)
{
    double x;
    int nd, shape[TN_MAXDIM];
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL) || !lib_num(I, a, 1, &x) ||
        !shape_args(I, a, 0, 1, &nd, shape, false)) return VERR;
    float f;
    if (!to_f32(I, x, &f, "full", "")) return VERR;
    return tval(tn_full(nd, shape, f), a->at);
}

static Value b_arange(Interp *I, Args *a)
{
    RtErr err;
    double lo = 0, hi, step = 1;
    if (!lib_arity(I, a, 1, 3) || !lib_kwonly(I, a, NULL)) return VERR;
    if (a->n == 1) { if (!lib_num(I, a, 0, &hi)) return VERR; }
    else if (!lib_num(I, a, 0, &lo) || !lib_num(I, a, 1, &hi) || (a->n == 3 && !lib_num(I, a, 2, &step)))
        return VERR;
    Tn *t = tn_arange(lo, hi, step, &err);
    return t ? tval(t, a->at) : raise_tn(I, &err);
}

static Value b_eye(Interp *I, Args *a)
{
    RtErr err;
    long n, m;
    if (!lib_arity(I, a, 1, 2) || !lib_kwonly(I, a, NULL) || !lib_int(I, a, 0, &n)) return VERR;
    m = n;
    if (a->n == 2 && !lib_int(I, a, 1, &m)) return VERR;
    int shape[2] = { n > INT_MAX ? -1 : (int)n, m > INT_MAX ? -1 : (int)m };
    if (tn_shape_check(2, shape, &err)) return err_raise(I, "eye: %s", err.msg);
    return tval(tn_eye(shape[0], shape[1]), a->at);
}

static Value b_rand(Interp *I, Args *a)
{
    double lo = 0, hi = 1;
    int nd, shape[TN_MAXDIM];
    if (!lib_kwonly(I, a, (const char *const[]){ "lo", "hi", NULL }) ||
        !lib_kwnum(I, a, "lo", &lo) || !lib_kwnum(I, a, "hi", &hi) ||
        !shape_args(I, a, 0, a->n, &nd, shape, false)) return VERR;
    if (!(hi >= lo)) return err_raise(I, "rand: hi (%g) is below lo (%g)", hi, lo);
    Tn *t = tn_new(nd, shape);
    tn_fill_uniform(t, ev_rng(I, lib_draw_party(I, a)), lo, hi);
    return tval(t, a->at);
}

static Value b_randn(Interp *I, Args *a)
{
    double mean = 0, std = 1;
    int nd, shape[TN_MAXDIM];
    if (!lib_kwonly(I, a, (const char *const[]){ "mean", "std", NULL }) ||
        !lib_kwnum(I, a, "mean", &mean) || !lib_kwnum(I, a, "std", &std) ||
        !shape_args(I, a, 0, a->n, &nd, shape, false)) return VERR;
    if (!(std >= 0)) return err_raise(I, "randn: std must be >= 0 (got %g)", std);
    Tn *t = tn_new(nd, shape);
    tn_fill_normal(t, ev_rng(I, lib_draw_party(I, a)), mean, std);
    return tval(t, a->at);
}

/* xavier(fan_in, fan_out) and he(fan_in, fan_out): fan_in × fan_out weight matrices. */
static Value init_matrix(Interp *I, Args *a, bool he)
{
    RtErr err;
    long fi, fo;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL) || !lib_int(I, a, 0, &fi) ||
        !lib_int(I, a, 1, &fo)) return VERR;
    int shape[2] = { fi > INT_MAX ? -1 : (int)fi, fo > INT_MAX ? -1 : (int)fo };
    if (tn_shape_check(2, shape, &err)) return err_raise(I, "%s: %s", a->fname, err.msg);
    Tn *t = tn_new(2, shape);
    if (he) tn_fill_he(t, ev_rng(I, lib_draw_party(I, a)), shape[0]);
    else tn_fill_xavier(t, ev_rng(I, lib_draw_party(I, a)), shape[0], shape[1]);
    return tval(t, a->at);
}

static Value b_xavier(Interp *I, Args *a) { return init_matrix(I, a, false); }
static Value b_he(Interp *I, Args *a) { return init_matrix(I, a, true); }

/* --- inspection and shape ---------------------------------------------------------- */

static Value b_shape(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    if (a->v[0].tag == V_NUM) return val_list(0);
    Tn *t;
    if (!lib_tensor(I, a, 0, &t)) return VERR;
    Value l = val_list((size_t)t->ndim);
    for (int i = 0; i < t->ndim; i++) val_list_push(l, VNUM(t->shape[i]));
    return l;
}

static Value b_numel(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    if (a->v[0].tag == V_NUM) return VNUM(1);
    Tn *t;
    if (!lib_tensor(I, a, 0, &t)) return VERR;
    return VNUM((double)t->size);
}

static Value b_reshape(Interp *I, Args *a)
{
    RtErr err;
    Tn *t;
    int nd, shape[TN_MAXDIM];
    if (!lib_arity(I, a, 2, -1) || !lib_kwonly(I, a, NULL) || !lib_tensor(I, a, 0, &t) ||
        !shape_args(I, a, 1, a->n, &nd, shape, true)) return VERR;
    Tn *r = tn_reshape(t, nd, shape, &err);
    return r ? tval(r, a->v[0].owner) : raise_tn(I, &err);
}

static Value b_transpose(Interp *I, Args *a)
{
    RtErr err;
    Tn *t;
    if (!lib_arity(I, a, 1, -1) || !lib_kwonly(I, a, NULL) || !lib_tensor(I, a, 0, &t)) return VERR;
    if (a->n == 1) return tval(tn_transpose(t), a->v[0].owner);
    int nd, perm[TN_MAXDIM];
    if (!shape_args(I, a, 1, a->n, &nd, perm, false)) return VERR;
    if (nd != t->ndim)
        return err_raise(I, "transpose: %d axes given for a tensor of %d dimensions", nd, t->ndim);
    Tn *r = tn_permute(t, perm, &err);
    return r ? tval(r, a->v[0].owner) : raise_tn(I, &err);
}

static Value to_list(const Tn *t, int d, size_t *k)
{
    if (d == t->ndim) return VNUM(t->data[(*k)++]);
    Value l = val_list((size_t)t->shape[d]);
    for (int i = 0; i < t->shape[d]; i++) val_list_push(l, to_list(t, d + 1, k));
    return l;
}

static Value b_tolist(Interp *I, Args *a)
{
    Tn *t;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL) || !lib_tensor(I, a, 0, &t)) return VERR;
    size_t k = 0;
    return to_list(t, 0, &k);
}

static Value b_item(Interp *I, Args *a)
{
    Tn *t;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL) || !lib_tensor(I, a, 0, &t)) return VERR;
    if (t->size != 1) return err_raise(I, "item: the tensor has %zu elements, not 1", t->size);
    return VNUM(t->data[0]);
}

/* --- elementwise functions --------------------------------------------------------- */

static Value map1(Interp *I, Args *a, TnFn f)
{
    bool next = a->self && lib_next(I, a->self);
    if (a->nkw && !next && !lib_kwonly(I, a, NULL)) return VERR;
    if (a->n != 1 || a->nkw || a->v[0].tag != V_TENSOR) {
        if (!next && !lib_arity(I, a, 1, 1)) return VERR;
        return lib_forward(I, a, "number or tensor");
    }
    return tval(tn_map(f, AS_TENSOR(a->v[0])), a->v[0].owner);
}

static Value b_exp(Interp *I, Args *a) { return map1(I, a, TN_EXP); }
static Value b_log(Interp *I, Args *a) { return map1(I, a, TN_LOG); }
static Value b_sqrt(Interp *I, Args *a) { return map1(I, a, TN_SQRT); }
static Value b_abs(Interp *I, Args *a) { return map1(I, a, TN_ABS); }
static Value b_tanh(Interp *I, Args *a) { return map1(I, a, TN_TANH); }
static Value b_sigmoid(Interp *I, Args *a) { return map1(I, a, TN_SIGMOID); }

static Value b_relu(Interp *I, Args *a)
{
    if (a->n == 1 && !a->nkw && a->v[0].tag == V_NUM)
        return VNUM(a->v[0].as.n > 0 ? a->v[0].as.n : 0);
    return map1(I, a, TN_RELU);
}

static Value b_clip(Interp *I, Args *a)
{
    double lo, hi;
    Tn *t;
    if (!lib_arity(I, a, 3, 3) || !lib_kwonly(I, a, NULL) || !lib_tensor(I, a, 0, &t) ||
        !lib_num(I, a, 1, &lo) || !lib_num(I, a, 2, &hi)) return VERR;
    if (!(lo <= hi)) return err_raise(I, "clip: lo (%g) is above hi (%g)", lo, hi);
    Tn *r = tn_binop_s(TN_MAXIMUM, t, (float)lo, false);
    tn_binop_s_inplace(TN_MINIMUM, r, (float)hi);
    return tval(r, a->v[0].owner);
}

/* --- reductions -------------------------------------------------------------------- */

static Value reduce(Interp *I, Args *a, TnRed r)
{
    RtErr err;
    static const char *const kws[] = { "axis", "keepdims", NULL };
    int axis;
    bool keep = false;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws) || !axis_kw(I, a, &axis) ||
        !lib_kwbool(I, a, "keepdims", &keep)) return VERR;
    Tn *own, *t = arg_tn(I, a, 0, &own);
    if (!t) return VERR;
    Tn *res = tn_reduce(r, t, axis, keep, &err);
    tn_free(own);
    if (!res) return raise_tn(I, &err);
    return tval_or_num(res, a->v[0].owner);
}

static Value b_sum(Interp *I, Args *a) { return reduce(I, a, TN_SUM); }
static Value b_mean(Interp *I, Args *a) { return reduce(I, a, TN_MEAN); }
static Value b_argmax(Interp *I, Args *a) { return reduce(I, a, TN_ARGMAX); }
static Value b_argmin(Interp *I, Args *a) { return reduce(I, a, TN_ARGMIN); }

/* max(x, axis = k) reduces; max(x, y) is the elementwise maximum (numpy's maximum). */
static Value max_min(Interp *I, Args *a, bool is_max)
{
    RtErr err;
    if (a->n != 2) return reduce(I, a, is_max ? TN_MAX : TN_MIN);
    if (!lib_kwonly(I, a, NULL)) return VERR;
    TnOp op = is_max ? TN_MAXIMUM : TN_MINIMUM;
    float s;
    Value x = a->v[0], y = a->v[1];
    int owner = x.owner ? x.owner : y.owner;
    if (x.tag != V_TENSOR && y.tag != V_TENSOR) return lib_forward(I, a, "tensor");
    if (x.tag == V_TENSOR && y.tag == V_TENSOR) {
        Tn *r = tn_binop(op, AS_TENSOR(x), AS_TENSOR(y), &err);
        return r ? tval(r, owner) : raise_tn(I, &err);
    }
    if (x.tag == V_TENSOR && scalar_of(y, &s)) return tval(tn_binop_s(op, AS_TENSOR(x), s, false), owner);
    if (y.tag == V_TENSOR && scalar_of(x, &s)) return tval(tn_binop_s(op, AS_TENSOR(y), s, true), owner);
    return lib_bad(I, a, x.tag == V_TENSOR ? 1 : 0, "tensor or number");
}

static Value b_max(Interp *I, Args *a) { return max_min(I, a, true); }
static Value b_min(Interp *I, Args *a) { return max_min(I, a, false); }

/* --- products and joins ------------------------------------------------------------ */

static Value b_dot(Interp *I, Args *a)
{
    RtErr err;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL)) return VERR;
    Tn *oa, *ob, *x = arg_tn(I, a, 0, &oa);
    if (!x) return VERR;
    Tn *y = arg_tn(I, a, 1, &ob);
    if (!y) { tn_free(oa); return VERR; }
    Tn *r = x->ndim && y->ndim ? tn_matmul(x, y, I->interrupt, &err) : NULL;
    if (!x->ndim || !y->ndim) rt_err(&err, RT_EINVAL, "dot: scalar operands are not allowed (use *)");
    tn_free(oa); tn_free(ob);
    int owner = a->v[0].owner ? a->v[0].owner : a->v[1].owner;
    return r ? tval_or_num(r, owner) : raise_tn(I, &err);
}

/* concat([a, b], axis = 0) or concat(a, b, axis = 0); the same for stack. */
static Value join(Interp *I, Args *a, bool stack)
{
    RtErr err;
    static const char *const kws[] = { "axis", NULL };
    long axis = 0;
    if (!lib_arity(I, a, 1, -1) || !lib_kwonly(I, a, kws) || !lib_kwint(I, a, "axis", &axis))
        return VERR;
    Value *v = a->v;
    int n = a->n, owner = 0;
    if (n == 1 && v[0].tag == V_LIST) { n = (int)AS_LIST(v[0])->n; v = AS_LIST(v[0])->v; }
    if (n == 0) return err_raise(I, "%s: no tensors to join", a->fname);
    const Tn **ts = xmalloc((size_t)n * sizeof *ts);
    for (int i = 0; i < n; i++) {
        if (v[i].tag != V_TENSOR) {
            free(ts);
            return err_raise(I, "%s: item %d is a %s, not a tensor", a->fname, i + 1, val_type_name(v[i]));
        }
        if (v[i].owner && owner && v[i].owner != owner) {
            free(ts);
            return err_raise(I, "%s: item %d lives at %s, item 1 at %s", a->fname, i + 1,
                             ev_party_name(I, v[i].owner), ev_party_name(I, owner));
        }
        if (v[i].owner) owner = v[i].owner;
        ts[i] = AS_TENSOR(v[i]);
    }
    if (axis < -TN_MAXDIM - 1 || axis > TN_MAXDIM) axis = TN_MAXDIM + 1;
    Tn *r = stack ? tn_stack(n, ts, (int)axis, &err) : tn_concat(n, ts, (int)axis, &err);
    free(ts);
    return r ? tval(r, owner) : raise_tn(I, &err);
}

static Value b_concat(Interp *I, Args *a) { return join(I, a, false); }
static Value b_stack(Interp *I, Args *a) { return join(I, a, true); }

static Value b_allclose(Interp *I, Args *a)
{
    static const char *const kws[] = { "rtol", "atol", NULL };
    double rtol = 1e-5, atol = 1e-6;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, kws) || !lib_kwnum(I, a, "rtol", &rtol) ||
        !lib_kwnum(I, a, "atol", &atol)) return VERR;
    Tn *oa, *ob, *x = arg_tn(I, a, 0, &oa);
    if (!x) return VERR;
    Tn *y = arg_tn(I, a, 1, &ob);
    if (!y) { tn_free(oa); return VERR; }
    bool ok = tn_allclose(x, y, (float)rtol, (float)atol);
    tn_free(oa); tn_free(ob);
    return VBOOL(ok);
}

/* --- the table --------------------------------------------------------------------- */

static const LibReg fns[] = {
    {"tensor", b_tensor, "tensor(x)",
     "A float32 tensor from a number (0-D), a nested list of numbers (up to 4 levels), a "
     "range, or another tensor (copied).  Ragged lists are an error.",
     "x = tensor([[1, 2], [3, 4]]); print(x, shape(x))\n"
     "# -> tensor([[1, 2],\n"
     "# ->         [3, 4]]) [2, 2]", 0},
    {"zeros", b_zeros, "zeros(d1, d2, ...) or zeros([d1, d2, ...])",
     "A tensor of zeros with the given shape (at most 4 dimensions).",
     "print(zeros(2, 3))\n"
     "# -> tensor([[0, 0, 0],\n"
     "# ->         [0, 0, 0]])", 0},
    {"ones", b_ones, "ones(d1, d2, ...) or ones([d1, d2, ...])",
     "A tensor of ones with the given shape.", "print(ones([3]))   # -> tensor([1, 1, 1])", 0},
    {"full", b_full, "full(shape, value)",
     "A tensor of the given shape (a number or a list) filled with value.",
     "print(full([2, 2], 7))\n"
     "# -> tensor([[7, 7],\n"
     "# ->         [7, 7]])", 0},
    {"arange", b_arange, "arange(stop) or arange(start, stop, step = 1)",
     "Numbers from start (0) up to but not including stop, by step, as a 1-D tensor "
     "(numpy's arange; a range lo..hi includes hi, arange does not).",
     "print(arange(5), arange(1, 2, 0.25))\n"
     "# -> tensor([0, 1, 2, 3, 4]) tensor([1.00, 1.25, 1.50, 1.75])", 0},
    {"eye", b_eye, "eye(n, m = n)", "The n × m identity matrix (ones on the diagonal).",
     "print(eye(3))\n"
     "# -> tensor([[1, 0, 0],\n"
     "# ->         [0, 1, 0],\n"
     "# ->         [0, 0, 1]])", 0},
    {"rand", b_rand, "rand(d1, d2, ..., lo = 0, hi = 1)",
     "A tensor of the given shape drawn uniformly from [lo, hi) with the public random "
     "generator (seed(n) makes it reproducible); `rand(...) at p`, or inside `on p { }`, "
     "draws from p's own generator, which no other party's process can recompute.",
     "seed(1); print(shape(rand(2, 3, lo = -1, hi = 1)))   # -> [2, 3]", 0},
    {"randn", b_randn, "randn(d1, d2, ..., mean = 0, std = 1)",
     "A tensor of the given shape drawn from a normal distribution N(mean, std²).",
     "seed(1); x = randn(1000); print(abs(mean(x)) < 0.2)   # -> true", 0},
    {"xavier", b_xavier, "xavier(fan_in, fan_out)",
     "A fan_in × fan_out weight matrix with Glorot/Xavier uniform initialisation: "
     "U(-a, a), a = sqrt(6 / (fan_in + fan_out)).  Suits tanh and sigmoid layers.",
     "seed(1); w = xavier(4, 2); print(shape(w), max(abs(w)) <= sqrt(1))   # -> [4, 2] true", 0},
    {"he", b_he, "he(fan_in, fan_out)",
     "A fan_in × fan_out weight matrix with He/Kaiming normal initialisation: "
     "N(0, 2 / fan_in).  Suits ReLU layers.",
     "seed(1); print(shape(he(784, 128)))   # -> [784, 128]", 0},
    {"shape", b_shape, "shape(x)",
     "The shape of a tensor as a list of numbers ([] for a number).  Also x.shape.",
     "print(shape(zeros(2, 3)), zeros(4).shape)   # -> [2, 3] [4]", 0},
    {"numel", b_numel, "numel(x)", "The number of elements of a tensor (1 for a number).",
     "print(numel(zeros(2, 3)))   # -> 6", 0},
    {"size", b_numel, "size(x)", "The number of elements of a tensor (same as numel).",
     "print(size(ones(4, 5)))   # -> 20", 0},
    {"reshape", b_reshape, "reshape(x, d1, d2, ...) or reshape(x, [d1, ...])",
     "The elements of x, in order, in a new shape with as many elements; one dimension "
     "may be -1 and is then inferred.",
     "print(reshape(arange(6), 2, -1))\n"
     "# -> tensor([[0, 1, 2],\n"
     "# ->         [3, 4, 5]])", 0},
    {"transpose", b_transpose, "transpose(x) or transpose(x, axes...)",
     "x with its axes reversed (a matrix's transpose; also x.T), or permuted so that "
     "axis i of the result is axis axes[i] of x.",
     "x = tensor([[1, 2, 3], [4, 5, 6]]); print(transpose(x)); print(allclose(x.T, transpose(x, 1, 0)))\n"
     "# -> tensor([[1, 4],\n"
     "# ->         [2, 5],\n"
     "# ->         [3, 6]])\n"
     "# -> true", 0},
    {"tolist", b_tolist, "tolist(x)", "The tensor as nested lists of numbers.",
     "print(tolist(eye(2)))   # -> [[1, 0], [0, 1]]", 0},
    {"item", b_item, "item(x)", "The single number in a one-element tensor.",
     "print(item(tensor([[3]])))   # -> 3", 0},
    {"exp", b_exp, "exp(x)", "Elementwise e to the power x.", "print(exp(zeros(2)))\n"
     "# -> tensor([1, 1])", 0},
    {"log", b_log, "log(x)", "Elementwise natural logarithm (nan below 0, -inf at 0).",
     "print(log(tensor([1, 2.718282])))   # -> tensor([0, 1])", 0},
    {"sqrt", b_sqrt, "sqrt(x)", "Elementwise square root (nan below 0).",
     "print(sqrt(tensor([4, 9])))   # -> tensor([2, 3])", 0},
    {"abs", b_abs, "abs(x)", "Elementwise absolute value.", "print(abs(tensor([-1, 2])))\n"
     "# -> tensor([1, 2])", 0},
    {"tanh", b_tanh, "tanh(x)", "Elementwise hyperbolic tangent.", "print(tanh(zeros(2)))\n"
     "# -> tensor([0, 0])", 0},
    {"sigmoid", b_sigmoid, "sigmoid(x)",
     "Elementwise logistic function 1 / (1 + exp(-x)), computed exactly and without "
     "overflow (no polynomial approximation).",
     "print(sigmoid(tensor([-2, 0, 2])))   # -> tensor([0.1192, 0.5000, 0.8808])", 0},
    {"relu", b_relu, "relu(x)", "Elementwise max(x, 0) of a tensor or a number.",
     "print(relu(tensor([-1, 0, 2])))   # -> tensor([0, 0, 2])", 0},
    {"clip", b_clip, "clip(x, lo, hi)", "Each element limited to [lo, hi].",
     "print(clip(tensor([-5, 0.5, 5]), 0, 1))   # -> tensor([0.0, 0.5, 1.0])", 0},
    {"sum", b_sum, "sum(x, axis = none, keepdims = false)",
     "Sum of a tensor's elements (a number), or along one axis (a tensor with that axis "
     "removed, or kept with size 1 when keepdims).  Accumulates in double precision.",
     "x = tensor([[1, 2], [3, 4]]); print(sum(x), sum(x, axis = 0), sum(x, axis = -1))\n"
     "# -> 10 tensor([4, 6]) tensor([3, 7])", 0},
    {"mean", b_mean, "mean(x, axis = none, keepdims = false)",
     "Mean of a tensor's (or a list's) elements, or along one axis.",
     "print(mean(tensor([[1, 2], [3, 4]]), axis = 1), mean([1, 2, 3]))   # -> tensor([1.5, 3.5]) 2", 0},
    {"max", b_max, "max(x, axis = none, keepdims = false) or max(x, y)",
     "Largest element of a tensor, or along one axis; with two arguments the elementwise "
     "maximum (a number broadcasts).  nan propagates.",
     "x = tensor([[1, 5], [7, 2]]); print(max(x), max(x, axis = 0), max(x, 3))\n"
     "# -> 7 tensor([7, 5]) tensor([[3, 5],\n"
     "# ->         [7, 3]])", 0},
    {"min", b_min, "min(x, axis = none, keepdims = false) or min(x, y)",
     "Smallest element of a tensor, or along one axis; with two arguments the elementwise "
     "minimum.", "print(min(tensor([[1, 5], [7, 2]]), axis = 1))   # -> tensor([1, 2])", 0},
    {"argmax", b_argmax, "argmax(x, axis = none, keepdims = false)",
     "Index of the largest element (the first on ties): a flat index over the whole "
     "tensor, or indices along one axis, e.g. the predicted class of each row.",
     "print(argmax(tensor([[1, 9, 3], [8, 2, 4]]), axis = 1))   # -> tensor([1, 0])", 0},
    {"argmin", b_argmin, "argmin(x, axis = none, keepdims = false)",
     "Index of the smallest element (the first on ties), flat or along one axis.",
     "print(argmin(tensor([3, 1, 2])))   # -> 1", 0},
    {"dot", b_dot, "dot(a, b)",
     "Matrix product, like a @ b (numpy's matmul rules): vector · vector is a number, "
     "matrix @ vector a vector, batched for 3-D and 4-D tensors.",
     "print(dot(tensor([1, 2, 3]), tensor([4, 5, 6])), dot(eye(2), tensor([1, 2])))\n"
     "# -> 32 tensor([1, 2])", 0},
    {"concat", b_concat, "concat([a, b, ...], axis = 0) or concat(a, b, ..., axis = 0)",
     "Joins tensors along an existing axis; the other dimensions must agree.",
     "print(concat([ones(1, 2), zeros(2, 2)]))\n"
     "# -> tensor([[1, 1],\n"
     "# ->         [0, 0],\n"
     "# ->         [0, 0]])", 0},
    {"stack", b_stack, "stack([a, b, ...], axis = 0) or stack(a, b, ..., axis = 0)",
     "Joins tensors of one shape along a new axis.",
     "print(stack(tensor([1, 2]), tensor([3, 4]), axis = 1))\n"
     "# -> tensor([[1, 3],\n"
     "# ->         [2, 4]])", 0},
    {"allclose", b_allclose, "allclose(a, b, rtol = 1e-5, atol = 1e-6)",
     "True when a and b have one shape and |a - b| <= atol + rtol * |b| everywhere.",
     "print(allclose(tensor([1, 2]), tensor([1, 2.0000001])))   # -> true", 0},
    { NULL, NULL, NULL, NULL, NULL, 0 }
};

const LibModule lib_mod_tensor = { "tensor", fns, tensor_init };
