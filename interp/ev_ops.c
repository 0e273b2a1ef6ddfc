/*
** ev_ops.c — operators on values and the party rule for combining them: numbers
** unboxed, strings and lists concatenated, tensors and runtime kinds (ciphertexts,
** shares) dispatched to their modules, and values living at two parties refused.
*/
#include "ev.h"
#include "mem.h"
#include "lib.h"
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- owners ---------- */

int ev_common_owner(Interp *I, int oa, int ob, const char *what_b)
{
    if (oa == ob || ob == 0) return oa;
    if (oa == 0) return ob;
    err_raise(I, "%s lives at %s; %s cannot read it (use send, share or encrypt to move it)",
              what_b, ev_party_name(I, ob), ev_party_name(I, oa));
    return -1;
}

bool ev_ownable(Value v)
{
    if (v.tag == V_OBJ) return !AS_USER(v)->cls->distributed;   /* shared: public handle */
    return v.tag == V_NUM || v.tag == V_BOOL || v.tag == V_STR || v.tag == V_LIST ||
           v.tag == V_REC || v.tag == V_TENSOR || v.tag == V_RANGE;
}

/* ------------------------------------------------------------ ranges ----------- */

static bool range_num(double x) { return x == floor(x) && fabs(x) <= RANGE_MAX; }

bool ev_range_ok(Interp *I, double lo, double hi, double step)
{
    if (!range_num(lo) || !range_num(hi)) {
        err_raise(I, "range bounds must be whole numbers from -2^53 to 2^53 (got %g)",
                  isnan(lo) || isnan(hi) ? NAN : range_num(lo) ? hi : lo);
        return false;
    }
    if (!range_num(step) || step < 1) {
        err_raise(I, "range step must be a positive whole number up to 2^53 (got %g)", step);
        return false;
    }
    return true;
}

Value ev_range(Interp *I, double lo, double hi, double step)
{
    return ev_range_ok(I, lo, hi, step) ? val_range(lo, hi, step) : VERR;
}

size_t ev_range_len(const ObjRange *r)
{
    if (r->hi < r->lo) return 0;
    /* exact: every operand is a whole number within ±2^53 (checked when it was made) */
    return (size_t)(((int64_t)r->hi - (int64_t)r->lo) / (int64_t)r->step) + 1;
}

/* ------------------------------------------------------------ operators -------- */

Value ev_num_binop(Interp *I, int op, double x, double y)
{
    switch (op) {
    case OP_ADD: return VNUM(x + y);
    case OP_SUB: return VNUM(x - y);
    case OP_MUL: return VNUM(x * y);
    case OP_DIV:
        if (y == 0) return err_raise(I, "division by zero");
        return VNUM(x / y);
    case OP_MOD: {
        if (y == 0) return err_raise(I, "modulo by zero");
        if (fabs(x) < 0x1p53 && fabs(y) < 0x1p53 && x == (double)(int64_t)x && y == (double)(int64_t)y) {
            int64_t q = (int64_t)x % (int64_t)y;     /* exact, and far faster than fmod */
            if (q != 0 && ((q < 0) != (y < 0))) q += (int64_t)y;
            return VNUM((double)q);
        }
        double r = fmod(x, y);
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return VNUM(r);
    }
    case OP_POW: return VNUM(pow(x, y));
    case OP_EQ: return VBOOL(x == y);
    case OP_NE: return VBOOL(x != y);
    case OP_LT: return VBOOL(x < y);
    case OP_LE: return VBOOL(x <= y);
    case OP_GT: return VBOOL(x > y);
    case OP_GE: return VBOOL(x >= y);
    case OP_MATMUL: return err_raise(I, "'@' needs tensors (got number @ number); use '*'");
    }
    return err_raise(I, "bad operator");
}

#define EV_MAX_ITEMS (1u << 24)     /* list items / string bytes one operation may build */

static Value str_concat(Interp *I, Value a, Value b)
{
    ObjStr *x = AS_STR(a), *y = AS_STR(b);
    if (x->len + y->len > EV_MAX_ITEMS)
        return err_raise(I, "string too long (%zu bytes; the limit is %u)", x->len + y->len, EV_MAX_ITEMS);
    char *s = xmalloc(x->len + y->len + 1);
    memcpy(s, x->s, x->len); memcpy(s + x->len, y->s, y->len);
    Value r = val_str(s, x->len + y->len);
    free(s);
    return r;
}

Value ev_binop_values(Interp *I, int op, Value a, Value b)
{
    if (a.tag == V_NUM && b.tag == V_NUM) return ev_num_binop(I, op, a.as.n, b.as.n);
    /* a built-in tag whose class has operators (tensors) takes every operator, == too
       (elementwise, as numpy); a kind (ciphertexts, shares) takes all but == and != */
    const VClass *ca = a.tag != V_OBJ ? ev_class(I, a) : NULL, *cb = b.tag != V_OBJ ? ev_class(I, b) : NULL;
    const VClass *tagged = ca && ca->binop ? ca : cb && cb->binop ? cb : NULL;
    if (op == OP_EQ && !tagged) return VBOOL(val_equal(a, b));
    if (op == OP_NE && !tagged) return VBOOL(!val_equal(a, b));
    if (a.tag == V_OBJ && AS_USER(a)->cls->binop) return AS_USER(a)->cls->binop(I, op, a, b);
    if (b.tag == V_OBJ && AS_USER(b)->cls->binop) return AS_USER(b)->cls->binop(I, op, a, b);
    if (tagged) return tagged->binop(I, op, a, b);
    if (a.tag == V_STR && b.tag == V_STR) {
        if (op == OP_ADD) return str_concat(I, a, b);
        if (op >= OP_LT && op <= OP_GE) {
            ObjStr *x = AS_STR(a), *y = AS_STR(b);
            size_t m = x->len < y->len ? x->len : y->len;
            int c = memcmp(x->s, y->s, m);
            if (c == 0) c = (x->len > y->len) - (x->len < y->len);
            return VBOOL(op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0);
        }
    }
    if (a.tag == V_LIST && b.tag == V_LIST && op == OP_ADD) {
        ObjList *x = AS_LIST(a), *y = AS_LIST(b);
        if (x->n + y->n > EV_MAX_ITEMS)
            return err_raise(I, "list too long (%zu items; the limit is %u)", x->n + y->n, EV_MAX_ITEMS);
        Value r = val_list(x->n + y->n);
        for (size_t i = 0; i < x->n; i++) val_list_push(r, val_retain(x->v[i]));
        for (size_t i = 0; i < y->n; i++) val_list_push(r, val_retain(y->v[i]));
        return r;
    }
    if (a.tag == V_STR && b.tag == V_NUM && op == OP_MUL) {
        double k = b.as.n;
        if (k < 0 || k != floor(k) || k * (double)AS_STR(a)->len > EV_MAX_ITEMS)
            return err_raise(I, "string repetition needs a small whole number");
        Sb s; sb_init(&s);
        for (long i = 0; i < (long)k; i++) sb_put(&s, AS_STR(a)->s, AS_STR(a)->len);
        Value r = val_str(s.s, s.n);
        sb_free(&s);
        return r;
    }
    return err_raise(I, "unsupported operand types for '%s': %s and %s",
                     ast_op_name(op), val_type_name(a), val_type_name(b));
}

Value ev_binop(Interp *I, int op, Value a, Value b)
{
    int pa = ev_read(I, a, "the left operand");
    int pb = pa < 0 ? -1 : ev_read(I, b, "the right operand");
    if (pb < 0) return VERR;
    int owner = ev_common_owner(I, pa, pb, "the right operand");
    if (owner < 0) return VERR;
    Value r = ev_binop_values(I, op, a, b);
    if (!IS_ERR(r)) ev_place_result(I, &r, owner);
    if (!IS_ERR(r)) { val_inherit_ledger(r, a); val_inherit_ledger(r, b); }
    return r;
}

Value ev_unop(Interp *I, int op, Value a)
{
    Value r;
    if (op == OP_NOT) r = VBOOL(!val_truthy(a));
    else if (a.tag == V_NUM) r = VNUM(op == OP_NEG ? -a.as.n : a.as.n);
    else if (ev_class(I, a) && ev_class(I, a)->unop) r = ev_class(I, a)->unop(I, op, a);
    else return err_raise(I, "unsupported operand type for unary '%s': %s",
                          ast_op_name(op), val_type_name(a));
    if (!IS_ERR(r)) ev_place_result(I, &r, val_owner(a));
    if (!IS_ERR(r)) val_inherit_ledger(r, a);
    return r;
}

