/*
** test_rt_tensor.c — the tensor runtime: shapes, numpy broadcasting, scalar and in-place
** ops, unary maps, matmul and gemm against naive loops, reductions along every axis,
** indexing and index assignment, reshape/transpose/concat/stack, initialiser
** statistics with a seeded generator, and the exact printed format.
*/
#include "tu.h"
#include "tensor.h"
#include "rng.h"
#include "strbuf.h"
#include <math.h>
#include <string.h>
#include <stdlib.h>

/* A tensor of the given shape filled with 0, 1, 2, ... */
static Tn *iota(int ndim, const int *shape)
{
    Tn *t = tn_new(ndim, shape);
    for (size_t i = 0; i < t->size; i++) t->data[i] = (float)i;
    return t;
}

static Tn *randt(Rng *r, int ndim, const int *shape)
{
    Tn *t = tn_new(ndim, shape);
    tn_fill_uniform(t, r, -1, 1);
    return t;
}

static bool shape_is(const Tn *t, int ndim, const int *shape)
{
    if (!t || t->ndim != ndim) return false;
    for (int i = 0; i < ndim; i++) if (t->shape[i] != shape[i]) return false;
    return true;
}

static char *show(const Tn *t, const char *wrap)
{
    Sb b; sb_init(&b);
    tn_show(&b, t, wrap);
    return sb_take(&b);
}

#define ASSERT_SHOW(t, wrap, want) do { char *s_ = show(t, wrap); \
    if (strcmp(s_, want)) fprintf(stderr, "  %s:%d: got\n%s\nwant\n%s\n", __FILE__, __LINE__, s_, want); \
    CU_ASSERT_STRING_EQUAL(s_, want); free(s_); } while (0)

/* --- shapes and constructors ------------------------------------------------------ */

static void shapes_and_constructors(void)
{
    RtErr err; char buf[64];
    CU_ASSERT_STRING_EQUAL(tn_shape_fmt(buf, sizeof buf, 2, (int[]){2, 3}), "[2, 3]");
    CU_ASSERT_STRING_EQUAL(tn_shape_fmt(buf, sizeof buf, 0, NULL), "[]");
    CU_ASSERT_EQUAL(tn_shape_check(2, (int[]){2, 3}, &err), 0);
    CU_ASSERT_EQUAL(tn_shape_check(5, (int[]){1, 1, 1, 1, 1}, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "tensors have at most 4 dimensions, not 5");
    CU_ASSERT_EQUAL(tn_shape_check(2, (int[]){2, -3}, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "negative dimension in shape [2, -3]");
    CU_ASSERT_EQUAL(tn_shape_check(3, (int[]){100000, 100000, 100}, &err), -1);
    CU_ASSERT(strstr(err.msg, "too large") != NULL);
    CU_ASSERT_EQUAL(tn_shape_check(3, (int[]){100000, 0, 100000}, &err), 0);

    Tn *s = tn_scalar(2.5f);
    CU_ASSERT_EQUAL(s->ndim, 0); CU_ASSERT_EQUAL(s->size, 1); CU_ASSERT_EQUAL(s->data[0], 2.5f);
    tn_free(s);
    Tn *f = tn_full(2, (int[]){2, 2}, 7);
    for (int i = 0; i < 4; i++) CU_ASSERT_EQUAL(f->data[i], 7);
    tn_free(f);
    Tn *e = tn_eye(2, 3);
    float want_e[] = {1, 0, 0, 0, 1, 0};
    CU_ASSERT(memcmp(e->data, want_e, sizeof want_e) == 0);
    tn_free(e);
    Tn *a = tn_arange(1, 2, 0.25, &err);
    CU_ASSERT(shape_is(a, 1, (int[]){4}));
    CU_ASSERT_EQUAL(a->data[3], 1.75f);
    tn_free(a);
    a = tn_arange(5, 0, -2, &err);
    CU_ASSERT(shape_is(a, 1, (int[]){3}));
    CU_ASSERT_EQUAL(a->data[2], 1.0f);
    tn_free(a);
    a = tn_arange(3, 1, 1, &err);
    CU_ASSERT(shape_is(a, 1, (int[]){0}));
    tn_free(a);
    CU_ASSERT_PTR_NULL(tn_arange(0, 1, 0, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "arange: step must not be 0");
    int ax = -1;
    CU_ASSERT_EQUAL(tn_axis(&ax, 3, &err), 0); CU_ASSERT_EQUAL(ax, 2);
    ax = 3;
    CU_ASSERT_EQUAL(tn_axis(&ax, 3, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "axis 3 is out of range for a tensor of 3 dimensions");
}

/* --- elementwise ------------------------------------------------------------------ */

/* Checks tn_binop(op, a, b) against a naive loop over the broadcast 4-D index space. */
static void check_broadcast(TnOp op, int na, const int *sa, int nb, const int *sb)
{
    RtErr err;
    Rng r; rng_seed(&r, 11);
    Tn *a = randt(&r, na, sa), *b = randt(&r, nb, sb);
    Tn *c = tn_binop(op, a, b, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int a4[4] = {1, 1, 1, 1}, b4[4] = {1, 1, 1, 1}, c4[4] = {1, 1, 1, 1};
    for (int i = 0; i < na; i++) a4[4 - na + i] = sa[i];
    for (int i = 0; i < nb; i++) b4[4 - nb + i] = sb[i];
    for (int i = 0; i < c->ndim; i++) c4[4 - c->ndim + i] = c->shape[i];
    for (int d = 0; d < 4; d++) CU_ASSERT_EQUAL(c4[d], a4[d] > b4[d] ? a4[d] : b4[d]);
    int bad = 0;
    size_t k = 0;
    for (int i = 0; i < c4[0]; i++) for (int j = 0; j < c4[1]; j++)
    for (int l = 0; l < c4[2]; l++) for (int m = 0; m < c4[3]; m++, k++) {
        int ia[4] = { a4[0] == 1 ? 0 : i, a4[1] == 1 ? 0 : j, a4[2] == 1 ? 0 : l, a4[3] == 1 ? 0 : m };
        int ib[4] = { b4[0] == 1 ? 0 : i, b4[1] == 1 ? 0 : j, b4[2] == 1 ? 0 : l, b4[3] == 1 ? 0 : m };
        size_t oa = (((size_t)ia[0] * a4[1] + ia[1]) * a4[2] + ia[2]) * a4[3] + ia[3];
        size_t ob = (((size_t)ib[0] * b4[1] + ib[1]) * b4[2] + ib[2]) * b4[3] + ib[3];
        if (c->data[k] != tn_op1(op, a->data[oa], b->data[ob])) bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    tn_free(a); tn_free(b); tn_free(c);
}

static void broadcasting(void)
{
    check_broadcast(TN_ADD, 2, (int[]){2, 3}, 2, (int[]){2, 3});
    check_broadcast(TN_ADD, 2, (int[]){2, 3}, 1, (int[]){3});
    check_broadcast(TN_MUL, 2, (int[]){2, 1}, 2, (int[]){1, 3});
    check_broadcast(TN_SUB, 3, (int[]){4, 1, 3}, 2, (int[]){2, 1});
    check_broadcast(TN_DIV, 0, NULL, 3, (int[]){2, 3, 4});
    check_broadcast(TN_LT, 4, (int[]){2, 1, 3, 1}, 3, (int[]){2, 1, 5});
    check_broadcast(TN_MAXIMUM, 2, (int[]){5, 4}, 2, (int[]){5, 1});

    RtErr err;
    Tn *a = tn_new(2, (int[]){2, 3}), *b = tn_new(2, (int[]){4, 3});
    CU_ASSERT_PTR_NULL(tn_binop(TN_ADD, a, b, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "shapes [2, 3] and [4, 3] do not broadcast");
    tn_free(a); tn_free(b);
}

static void scalar_and_inplace(void)
{
    RtErr err;
    Tn *a = iota(1, (int[]){4});                        /* 0 1 2 3 */
    Tn *r = tn_binop_s(TN_SUB, a, 10, true);            /* 10 - a */
    CU_ASSERT_EQUAL(r->data[0], 10); CU_ASSERT_EQUAL(r->data[3], 7);
    tn_free(r);
    r = tn_binop_s(TN_DIV, a, 2, false);
    CU_ASSERT_EQUAL(r->data[3], 1.5f);
    tn_free(r);
    r = tn_binop_s(TN_POW, a, 2, false);
    CU_ASSERT_EQUAL(r->data[3], 9);
    tn_free(r);
    r = tn_binop_s(TN_GE, a, 2, false);
    float ge[] = {0, 0, 1, 1};
    CU_ASSERT(memcmp(r->data, ge, sizeof ge) == 0);
    tn_free(r);
    /* Python's modulo: the result takes the divisor's sign */
    CU_ASSERT_EQUAL(tn_op1(TN_MOD, -7, 3), 2);
    CU_ASSERT_EQUAL(tn_op1(TN_MOD, 7, -3), -2);
    CU_ASSERT_EQUAL(tn_op1(TN_MOD, 6, 3), 0);
    CU_ASSERT(isnan(tn_op1(TN_MAXIMUM, NAN, 1)));

    Tn *m = iota(2, (int[]){2, 3}), *row = iota(1, (int[]){3});
    CU_ASSERT_EQUAL(tn_binop_inplace(TN_ADD, m, row, &err), 0);
    float want[] = {0, 2, 4, 3, 5, 7};
    CU_ASSERT(memcmp(m->data, want, sizeof want) == 0);
    Tn *col = tn_full(2, (int[]){2, 1}, 1);
    CU_ASSERT_EQUAL(tn_binop_inplace(TN_SUB, m, col, &err), 0);
    CU_ASSERT_EQUAL(m->data[0], -1); CU_ASSERT_EQUAL(m->data[5], 6);
    CU_ASSERT_EQUAL(tn_binop_inplace(TN_ADD, row, m, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "shape [3] cannot be updated in place with shape [2, 3]");
    tn_binop_s_inplace(TN_MUL, m, 0.5f);
    CU_ASSERT_EQUAL(m->data[5], 3);
    tn_free(a); tn_free(m); tn_free(row); tn_free(col);
}

static void unary_maps(void)
{
    Tn *x = tn_from(1, (int[]){5}, (float[]){-100, -1, 0, 1, 100});
    Tn *s = tn_map(TN_SIGMOID, x);
    TU_NEAR(s->data[0], 0, 1e-30);
    CU_ASSERT(!isnan(s->data[0]));
    TU_NEAR(s->data[1], 1 / (1 + exp(1.0)), 1e-7);
    CU_ASSERT_EQUAL(s->data[2], 0.5f);
    CU_ASSERT_EQUAL(s->data[4], 1.0f);
    tn_free(s);
    Tn *r = tn_map(TN_RELU, x);
    float want[] = {0, 0, 0, 1, 100};
    CU_ASSERT(memcmp(r->data, want, sizeof want) == 0);
    tn_free(r);
    Tn *e = tn_map(TN_EXP, x), *l = tn_map(TN_LOG, e);
    TU_NEAR(l->data[1], -1, 1e-6);
    TU_NEAR(l->data[3], 1, 1e-6);
    tn_free(e); tn_free(l);
    tn_map_inplace(TN_ABS, x);
    CU_ASSERT_EQUAL(x->data[0], 100);
    tn_map_inplace(TN_SQRT, x);
    CU_ASSERT_EQUAL(x->data[0], 10);
    CU_ASSERT(isnan(tn_fn1(TN_SQRT, -1)));
    TU_NEAR(tn_fn1(TN_TANH, 0.5f), tanh(0.5), 1e-7);
    CU_ASSERT_EQUAL(tn_fn1(TN_NEG, 2), -2);
    CU_ASSERT_EQUAL(tn_fn1(TN_SIGN, -3), -1);
    CU_ASSERT(isnan(tn_fn1(TN_RELU, NAN)));
    tn_free(x);
}

/* --- matrix products -------------------------------------------------------------- */

static void naive_mm(const float *a, const float *b, float *c, int m, int k, int n)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int l = 0; l < k; l++) s += (double)a[i * k + l] * b[l * n + j];
            c[i * n + j] = (float)s;
        }
}

static bool near_all(const float *x, const float *y, size_t n, float tol)
{
    for (size_t i = 0; i < n; i++) if (!(fabsf(x[i] - y[i]) <= tol)) return false;
    return true;
}

static void matmul_2d_and_vectors(void)
{
    RtErr err;
    Rng r; rng_seed(&r, 5);
    Tn *a = randt(&r, 2, (int[]){37, 53}), *b = randt(&r, 2, (int[]){53, 29});
    Tn *c = tn_matmul(a, b, NULL, &err);
    CU_ASSERT(shape_is(c, 2, (int[]){37, 29}));
    float *want = malloc(37 * 29 * sizeof *want);
    naive_mm(a->data, b->data, want, 37, 53, 29);
    CU_ASSERT(near_all(c->data, want, 37 * 29, 1e-4f));
    free(want); tn_free(c);

    Tn *v = randt(&r, 1, (int[]){53}), *w = randt(&r, 1, (int[]){53});
    Tn *d = tn_matmul(v, w, NULL, &err);                 /* vector · vector: a scalar */
    CU_ASSERT(shape_is(d, 0, NULL));
    double s = 0;
    for (int i = 0; i < 53; i++) s += (double)v->data[i] * w->data[i];
    TU_NEAR(d->data[0], s, 1e-4);
    tn_free(d);
    Tn *av = tn_matmul(a, v, NULL, &err);                /* [37, 53] @ [53] -> [37] */
    CU_ASSERT(shape_is(av, 1, (int[]){37}));
    float av_want[37];
    naive_mm(a->data, v->data, av_want, 37, 53, 1);
    CU_ASSERT(near_all(av->data, av_want, 37, 1e-4f));
    tn_free(av);
    Tn *vb = tn_matmul(v, b, NULL, &err);                /* [53] @ [53, 29] -> [29] */
    CU_ASSERT(shape_is(vb, 1, (int[]){29}));
    float vb_want[29];
    naive_mm(v->data, b->data, vb_want, 1, 53, 29);
    CU_ASSERT(near_all(vb->data, vb_want, 29, 1e-4f));
    tn_free(vb);

    Tn *x = tn_new(2, (int[]){2, 3}), *y = tn_new(2, (int[]){4, 5});
    CU_ASSERT_PTR_NULL(tn_matmul(x, y, NULL, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "matmul: inner dimensions differ ([2, 3] @ [4, 5])");
    Tn *sc = tn_scalar(2);
    CU_ASSERT_PTR_NULL(tn_matmul(sc, x, NULL, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "matmul: scalar operands are not allowed (use * to scale)");
    volatile sig_atomic_t stop = 1;
    CU_ASSERT_PTR_NULL(tn_matmul(a, b, &stop, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "interrupted");
    Tn *z = tn_new(2, (int[]){3, 0}), *z2 = tn_new(2, (int[]){0, 2});
    Tn *zz = tn_matmul(z, z2, NULL, &err);               /* empty inner dimension: zeros */
    CU_ASSERT(shape_is(zz, 2, (int[]){3, 2}));
    CU_ASSERT_EQUAL(tn_sum(zz), 0);
    tn_free(zz); tn_free(z); tn_free(z2);
    tn_free(a); tn_free(b); tn_free(v); tn_free(w); tn_free(x); tn_free(y); tn_free(sc);
}

static void matmul_batched(void)
{
    RtErr err;
    Rng r; rng_seed(&r, 6);
    /* [2, 3, 4] @ [2, 4, 5], [2, 3, 4] @ [4, 5] (b broadcast), [1, 3, 4] @ [2, 4, 5] */
    Tn *a = randt(&r, 3, (int[]){2, 3, 4}), *b = randt(&r, 3, (int[]){2, 4, 5});
    Tn *b2 = randt(&r, 2, (int[]){4, 5}), *a1 = randt(&r, 3, (int[]){1, 3, 4});
    float want[15];
    Tn *c = tn_matmul(a, b, NULL, &err);
    CU_ASSERT(shape_is(c, 3, (int[]){2, 3, 5}));
    for (int k = 0; k < 2; k++) {
        naive_mm(a->data + k * 12, b->data + k * 20, want, 3, 4, 5);
        CU_ASSERT(near_all(c->data + k * 15, want, 15, 1e-5f));
    }
    tn_free(c);
    c = tn_matmul(a, b2, NULL, &err);
    CU_ASSERT(shape_is(c, 3, (int[]){2, 3, 5}));
    for (int k = 0; k < 2; k++) {
        naive_mm(a->data + k * 12, b2->data, want, 3, 4, 5);
        CU_ASSERT(near_all(c->data + k * 15, want, 15, 1e-5f));
    }
    tn_free(c);
    c = tn_matmul(a1, b, NULL, &err);
    CU_ASSERT(shape_is(c, 3, (int[]){2, 3, 5}));
    for (int k = 0; k < 2; k++) {
        naive_mm(a1->data, b->data + k * 20, want, 3, 4, 5);
        CU_ASSERT(near_all(c->data + k * 15, want, 15, 1e-5f));
    }
    tn_free(c);
    /* 4-D: [2, 1, 3, 4] @ [3, 4, 5] -> [2, 3, 3, 5] */
    Tn *a4 = randt(&r, 4, (int[]){2, 1, 3, 4}), *b3 = randt(&r, 3, (int[]){3, 4, 5});
    c = tn_matmul(a4, b3, NULL, &err);
    CU_ASSERT(shape_is(c, 4, (int[]){2, 3, 3, 5}));
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            naive_mm(a4->data + i * 12, b3->data + j * 20, want, 3, 4, 5);
            CU_ASSERT(near_all(c->data + (i * 3 + j) * 15, want, 15, 1e-5f));
        }
    tn_free(c);
    Tn *bad = tn_new(3, (int[]){3, 4, 5});
    CU_ASSERT_PTR_NULL(tn_matmul(a, bad, NULL, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "matmul: batch dimensions of [2, 3, 4] and [3, 4, 5] do not broadcast");
    tn_free(a); tn_free(b); tn_free(b2); tn_free(a1); tn_free(a4); tn_free(b3); tn_free(bad);
}

static void gemm_transposes(void)
{
    RtErr err;
    Rng r; rng_seed(&r, 8);
    Tn *x = randt(&r, 2, (int[]){6, 4}), *dy = randt(&r, 2, (int[]){6, 3});
    /* dW = x^T @ dy  ([4, 3]) compared with the explicit transpose */
    Tn *dw = tn_new2(4, 3), *xt = tn_transpose(x);
    CU_ASSERT_EQUAL(tn_gemm(true, false, 1, x, dy, 0, dw, &err), 0);
    Tn *ref = tn_matmul(xt, dy, NULL, &err);
    CU_ASSERT(tn_allclose(dw, ref, 1e-5f, 1e-6f));
    /* accumulate: dw = 2 * x^T @ dy + dw = 3 * ref */
    CU_ASSERT_EQUAL(tn_gemm(true, false, 2, x, dy, 1, dw, &err), 0);
    Tn *ref3 = tn_binop_s(TN_MUL, ref, 3, false);
    CU_ASSERT(tn_allclose(dw, ref3, 1e-5f, 1e-5f));
    /* dx = dy @ W^T with W [4, 3] */
    Tn *dx = tn_new2(6, 4), *wt = tn_transpose(ref);
    CU_ASSERT_EQUAL(tn_gemm(false, true, 1, dy, ref, 0, dx, &err), 0);
    Tn *ref2 = tn_matmul(dy, wt, NULL, &err);
    CU_ASSERT(tn_allclose(dx, ref2, 1e-5f, 1e-6f));
    CU_ASSERT_EQUAL(tn_gemm(false, false, 1, x, dy, 0, dw, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "gemm: inner dimensions differ ([6, 4] @ [6, 3])");
    CU_ASSERT_EQUAL(tn_gemm(true, false, 1, x, dy, 0, dx, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "gemm: result has shape [6, 4], expected [4, 3]");
    tn_free(x); tn_free(dy); tn_free(dw); tn_free(xt); tn_free(ref); tn_free(ref3);
    tn_free(dx); tn_free(wt); tn_free(ref2);
}

/* --- reductions ------------------------------------------------------------------- */

static void reductions_along_axes(void)
{
    RtErr err;
    Tn *x = iota(3, (int[]){2, 3, 4});
    for (int axis = 0; axis < 3; axis++) {
        Tn *s = tn_reduce(TN_SUM, x, axis, false, &err), *m = tn_reduce(TN_MAX, x, axis, false, &err);
        Tn *mn = tn_reduce(TN_MIN, x, axis, true, &err), *am = tn_reduce(TN_ARGMAX, x, axis, false, &err);
        CU_ASSERT_EQUAL(s->ndim, 2); CU_ASSERT_EQUAL(mn->ndim, 3); CU_ASSERT_EQUAL(mn->shape[axis], 1);
        int bad = 0;
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) {
            int idx[3] = {i, j, k};
            if (idx[axis] != 0) continue;
            double sum = 0; float mx = -INFINITY, mi = INFINITY;
            int n = x->shape[axis];
            for (int t = 0; t < n; t++) {
                idx[axis] = t;
                float v = x->data[(idx[0] * 3 + idx[1]) * 4 + idx[2]];
                sum += v; if (v > mx) mx = v; if (v < mi) mi = v;
            }
            int o[2], p = 0;
            for (int d = 0; d < 3; d++) if (d != axis) o[p++] = idx[d];
            int ro = o[0] * s->shape[1] + o[1];
            if (s->data[ro] != (float)sum || m->data[ro] != mx || mn->data[ro] != mi) bad++;
            if (am->data[ro] != (float)(n - 1)) bad++;   /* iota grows along every axis */
        }
        CU_ASSERT_EQUAL(bad, 0);
        tn_free(s); tn_free(m); tn_free(mn); tn_free(am);
    }
    Tn *all = tn_reduce(TN_MEAN, x, TN_ALL, false, &err);
    CU_ASSERT_EQUAL(all->ndim, 0); CU_ASSERT_EQUAL(all->data[0], 11.5f);
    tn_free(all);
    all = tn_reduce(TN_SUM, x, TN_ALL, true, &err);
    CU_ASSERT(shape_is(all, 3, (int[]){1, 1, 1})); CU_ASSERT_EQUAL(all->data[0], 276);
    tn_free(all);
    Tn *last = tn_reduce(TN_MEAN, x, -1, false, &err);
    CU_ASSERT(shape_is(last, 2, (int[]){2, 3})); CU_ASSERT_EQUAL(last->data[0], 1.5f);
    tn_free(last);
    CU_ASSERT_PTR_NULL(tn_reduce(TN_SUM, x, 3, false, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "axis 3 is out of range for a tensor of 3 dimensions");
    CU_ASSERT_EQUAL(tn_sum(x), 276);
    tn_free(x);

    /* ties pick the first index; NaN propagates through max; empty max is an error */
    Tn *t = tn_from(1, (int[]){5}, (float[]){1, 7, 3, 7, 2});
    Tn *am = tn_reduce(TN_ARGMAX, t, TN_ALL, false, &err), *an = tn_reduce(TN_ARGMIN, t, 0, false, &err);
    CU_ASSERT_EQUAL(am->data[0], 1); CU_ASSERT_EQUAL(an->data[0], 0);
    tn_free(am); tn_free(an);
    t->data[2] = NAN;
    Tn *mx = tn_reduce(TN_MAX, t, TN_ALL, false, &err);
    CU_ASSERT(isnan(mx->data[0]));
    tn_free(mx); tn_free(t);
    Tn *e = tn_new(1, (int[]){0});
    CU_ASSERT_PTR_NULL(tn_reduce(TN_MAX, e, TN_ALL, false, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "max: cannot reduce an empty tensor");
    Tn *es = tn_reduce(TN_SUM, e, TN_ALL, false, &err);
    CU_ASSERT_EQUAL(es->data[0], 0);
    tn_free(es); tn_free(e);
}

/* --- indexing --------------------------------------------------------------------- */

static void slicing_and_indexing(void)
{
    RtErr err;
    Tn *x = iota(3, (int[]){2, 3, 4});
    /* x[1] -> [3, 4] starting at 12 */
    Tn *r = tn_index(x, 1, (TnIndex[]){ {.start = 1} }, &err);
    CU_ASSERT(shape_is(r, 2, (int[]){3, 4})); CU_ASSERT_EQUAL(r->data[0], 12); CU_ASSERT_EQUAL(r->data[11], 23);
    tn_free(r);
    /* x[-1, 1:, :2] -> [2, 2]: 16 17 / 20 21 */
    r = tn_index(x, 3, (TnIndex[]){ {.start = -1}, {.slice = true, .has_start = true, .start = 1},
                                    {.slice = true, .has_stop = true, .stop = 2} }, &err);
    CU_ASSERT(shape_is(r, 2, (int[]){2, 2}));
    float want[] = {16, 17, 20, 21};
    CU_ASSERT(memcmp(r->data, want, sizeof want) == 0);
    tn_free(r);
    /* x[:, 0, 3] -> [2]: 3, 15 (a column through a strided axis) */
    r = tn_index(x, 3, (TnIndex[]){ {.slice = true}, {.start = 0}, {.start = 3} }, &err);
    CU_ASSERT(shape_is(r, 1, (int[]){2})); CU_ASSERT_EQUAL(r->data[0], 3); CU_ASSERT_EQUAL(r->data[1], 15);
    tn_free(r);
    /* x[1, 2, 3] -> a scalar */
    r = tn_index(x, 3, (TnIndex[]){ {.start = 1}, {.start = 2}, {.start = 3} }, &err);
    CU_ASSERT(shape_is(r, 0, NULL)); CU_ASSERT_EQUAL(r->data[0], 23);
    tn_free(r);
    /* slices clamp; reversed bounds are empty */
    r = tn_index(x, 2, (TnIndex[]){ {.slice = true, .has_start = true, .start = -5},
                                    {.slice = true, .has_start = true, .start = 2, .has_stop = true, .stop = 1} }, &err);
    CU_ASSERT(shape_is(r, 3, (int[]){2, 0, 4}));
    tn_free(r);
    CU_ASSERT_PTR_NULL(tn_index(x, 1, (TnIndex[]){ {.start = 2} }, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "index 2 is out of bounds for axis 0 with size 2");
    CU_ASSERT_PTR_NULL(tn_index(x, 2, (TnIndex[]){ {.start = 0}, {.start = -4} }, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "index -4 is out of bounds for axis 1 with size 3");
    TnIndex five[5] = {{0}};
    CU_ASSERT_PTR_NULL(tn_index(x, 4, five, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "too many indices (4) for a tensor of 3 dimensions");

    /* x[0, :, 1:3] = [[-1, -2]] broadcasts down the rows */
    Tn *v = tn_from(2, (int[]){1, 2}, (float[]){-1, -2});
    TnIndex ix[3] = { {.start = 0}, {.slice = true},
                      {.slice = true, .has_start = true, .start = 1, .has_stop = true, .stop = 3} };
    CU_ASSERT_EQUAL(tn_index_set(x, 3, ix, v, &err), 0);
    for (int j = 0; j < 3; j++) {
        CU_ASSERT_EQUAL(x->data[j * 4 + 0], j * 4);
        CU_ASSERT_EQUAL(x->data[j * 4 + 1], -1);
        CU_ASSERT_EQUAL(x->data[j * 4 + 2], -2);
        CU_ASSERT_EQUAL(x->data[j * 4 + 3], j * 4 + 3);
    }
    CU_ASSERT_EQUAL(x->data[13], 13);          /* the other block is untouched */
    Tn *v3 = tn_new(1, (int[]){3});
    CU_ASSERT_EQUAL(tn_index_set(x, 3, ix, v3, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot assign a tensor of shape [3] to a selection of shape [3, 2]");
    CU_ASSERT_EQUAL(tn_index_fill(x, 1, (TnIndex[]){ {.start = 1} }, 9, &err), 0);
    CU_ASSERT_EQUAL(x->data[12], 9); CU_ASSERT_EQUAL(x->data[23], 9); CU_ASSERT_EQUAL(x->data[11], 11);

    /* rows gathered for a minibatch */
    Tn *g = tn_take_rows(x, (int[]){1, 0, 1}, 3);
    CU_ASSERT(shape_is(g, 3, (int[]){3, 3, 4}));
    CU_ASSERT_EQUAL(g->data[0], 9); CU_ASSERT_EQUAL(g->data[12], 0); CU_ASSERT_EQUAL(g->data[24], 9);
    tn_free(g); tn_free(v); tn_free(v3); tn_free(x);
}

/* --- reshape, transpose, concat, stack -------------------------------------------- */

static void reshape_and_errors(void)
{
    RtErr err;
    Tn *x = iota(2, (int[]){2, 6});
    Tn *r = tn_reshape(x, 3, (int[]){3, -1, 2}, &err);
    CU_ASSERT(shape_is(r, 3, (int[]){3, 2, 2})); CU_ASSERT_EQUAL(r->data[11], 11);
    tn_free(r);
    CU_ASSERT_PTR_NULL(tn_reshape(x, 2, (int[]){5, 3}, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot reshape a tensor of shape [2, 6] (12 elements) into [5, 3]");
    CU_ASSERT_PTR_NULL(tn_reshape(x, 2, (int[]){-1, -1}, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "reshape: only one dimension can be -1");
    CU_ASSERT_PTR_NULL(tn_reshape(x, 2, (int[]){5, -1}, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot reshape a tensor of shape [2, 6] (12 elements) into [5, -1]");
    CU_ASSERT_EQUAL(tn_reshape_inplace(x, 1, (int[]){-1}, &err), 0);
    CU_ASSERT(shape_is(x, 1, (int[]){12}));
    tn_free(x);
}

static void transpose_and_permute(void)
{
    RtErr err;
    Tn *m = iota(2, (int[]){2, 3}), *t = tn_transpose(m);
    CU_ASSERT(shape_is(t, 2, (int[]){3, 2}));
    float want[] = {0, 3, 1, 4, 2, 5};
    CU_ASSERT(memcmp(t->data, want, sizeof want) == 0);
    tn_free(m); tn_free(t);
    Tn *x = iota(3, (int[]){2, 3, 4});
    Tn *p = tn_permute(x, (int[]){2, 0, 1}, &err);   /* p[k][i][j] = x[i][j][k] */
    CU_ASSERT(shape_is(p, 3, (int[]){4, 2, 3}));
    int bad = 0;
    for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++)
        if (p->data[(k * 2 + i) * 3 + j] != x->data[(i * 3 + j) * 4 + k]) bad++;
    CU_ASSERT_EQUAL(bad, 0);
    tn_free(p);
    /* the blocked path: a batch of matrices whose sides are not multiples of the tile */
    Tn *big = iota(3, (int[]){2, 45, 70}), *bt = tn_permute(big, (int[]){0, 2, 1}, &err);
    CU_ASSERT(shape_is(bt, 3, (int[]){2, 70, 45}));
    bad = 0;
    for (int b = 0; b < 2; b++) for (int i = 0; i < 45; i++) for (int j = 0; j < 70; j++)
        if (bt->data[(b * 70 + j) * 45 + i] != big->data[(b * 45 + i) * 70 + j]) bad++;
    CU_ASSERT_EQUAL(bad, 0);
    tn_free(big); tn_free(bt);
    CU_ASSERT_PTR_NULL(tn_permute(x, (int[]){0, 0, 1}, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "transpose: axes must be a permutation of 0..2");
    Tn *v = iota(1, (int[]){3}), *vt = tn_transpose(v);
    CU_ASSERT(tn_allclose(v, vt, 0, 0));
    tn_free(v); tn_free(vt); tn_free(x);
}

static void concat_and_stack(void)
{
    RtErr err;
    Tn *a = iota(2, (int[]){2, 2}), *b = tn_full(2, (int[]){1, 2}, 9), *c = tn_full(2, (int[]){2, 1}, 7);
    Tn *r = tn_concat(2, (const Tn *[]){a, b}, 0, &err);
    CU_ASSERT(shape_is(r, 2, (int[]){3, 2}));
    float w0[] = {0, 1, 2, 3, 9, 9};
    CU_ASSERT(memcmp(r->data, w0, sizeof w0) == 0);
    tn_free(r);
    r = tn_concat(2, (const Tn *[]){a, c}, -1, &err);
    CU_ASSERT(shape_is(r, 2, (int[]){2, 3}));
    float w1[] = {0, 1, 7, 2, 3, 7};
    CU_ASSERT(memcmp(r->data, w1, sizeof w1) == 0);
    tn_free(r);
    CU_ASSERT_PTR_NULL(tn_concat(2, (const Tn *[]){a, c}, 0, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "concat: shapes [2, 2] and [2, 1] differ outside axis 0");
    Tn *a2 = tn_full(2, (int[]){2, 2}, 5);
    r = tn_stack(2, (const Tn *[]){a, a2}, 0, &err);
    CU_ASSERT(shape_is(r, 3, (int[]){2, 2, 2}));
    CU_ASSERT_EQUAL(r->data[3], 3); CU_ASSERT_EQUAL(r->data[4], 5);
    tn_free(r);
    r = tn_stack(2, (const Tn *[]){a, a2}, 2, &err);   /* pairs along a new last axis */
    CU_ASSERT(shape_is(r, 3, (int[]){2, 2, 2}));
    float w2[] = {0, 5, 1, 5, 2, 5, 3, 5};
    CU_ASSERT(memcmp(r->data, w2, sizeof w2) == 0);
    tn_free(r);
    CU_ASSERT_PTR_NULL(tn_stack(2, (const Tn *[]){a, b}, 0, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "stack: shapes [2, 2] and [1, 2] differ");
    CU_ASSERT_PTR_NULL(tn_concat(0, NULL, 0, &err));
    tn_free(a); tn_free(b); tn_free(c); tn_free(a2);
}

/* --- initialisers ----------------------------------------------------------------- */

static void moments(const Tn *t, double *mean, double *std)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < t->size; i++) { s += t->data[i]; s2 += (double)t->data[i] * t->data[i]; }
    *mean = s / (double)t->size;
    *std = sqrt(s2 / (double)t->size - *mean * *mean);
}

static void initialiser_statistics(void)
{
    Rng r; rng_seed(&r, 2024);
    double m, s;
    Tn *u = tn_new(1, (int[]){200000});
    tn_fill_uniform(u, &r, -2, 4);
    moments(u, &m, &s);
    TU_NEAR(m, 1.0, 0.02);
    TU_NEAR(s, 6 / sqrt(12), 0.02);
    float lo = u->data[0], hi = u->data[0];
    for (size_t i = 0; i < u->size; i++) { if (u->data[i] < lo) lo = u->data[i]; if (u->data[i] > hi) hi = u->data[i]; }
    CU_ASSERT(lo >= -2 && hi < 4);

    tn_fill_normal(u, &r, 3, 0.5);
    moments(u, &m, &s);
    TU_NEAR(m, 3.0, 0.01);
    TU_NEAR(s, 0.5, 0.01);

    Tn *w = tn_new2(400, 500);
    tn_fill_xavier(w, &r, 400, 500);
    double a = sqrt(6.0 / 900);
    moments(w, &m, &s);
    TU_NEAR(m, 0, 0.002);
    TU_NEAR(s, a / sqrt(3), 0.002);
    float mx = 0;
    for (size_t i = 0; i < w->size; i++) if (fabsf(w->data[i]) > mx) mx = fabsf(w->data[i]);
    CU_ASSERT(mx <= a && mx > 0.99 * a);

    tn_fill_he(w, &r, 400);
    moments(w, &m, &s);
    TU_NEAR(m, 0, 0.002);
    TU_NEAR(s, sqrt(2.0 / 400), 0.002);

    /* one seed, one stream */
    Rng r1, r2; rng_seed(&r1, 7); rng_seed(&r2, 7);
    Tn *x1 = tn_new(1, (int[]){100}), *x2 = tn_new(1, (int[]){100});
    tn_fill_normal(x1, &r1, 0, 1); tn_fill_normal(x2, &r2, 0, 1);
    CU_ASSERT(memcmp(x1->data, x2->data, 100 * sizeof(float)) == 0);
    tn_free(u); tn_free(w); tn_free(x1); tn_free(x2);
}

/* --- printing --------------------------------------------------------------------- */

static void printing_format(void)
{
    Tn *m = iota(2, (int[]){2, 3});
    ASSERT_SHOW(m, "tensor", "tensor([[0, 1, 2],\n        [3, 4, 5]])");
    ASSERT_SHOW(m, NULL, "[[0, 1, 2],\n [3, 4, 5]]");
    m->data[5] = -10;
    ASSERT_SHOW(m, NULL, "[[  0,   1,   2],\n [  3,   4, -10]]");
    tn_free(m);

    Tn *f = tn_from(1, (int[]){3}, (float[]){0.5f, -0.25f, 2});
    ASSERT_SHOW(f, "tensor", "tensor([ 0.50, -0.25,  2.00])");
    f->data[1] = 1.0f / 3;
    ASSERT_SHOW(f, NULL, "[0.5000, 0.3333, 2.0000]");
    f->data[0] = 1e-6f; f->data[1] = NAN; f->data[2] = 12345;
    ASSERT_SHOW(f, NULL, "[1.0000e-06,        nan, 1.2345e+04]");
    f->data[0] = -INFINITY; f->data[1] = 1.5f; f->data[2] = 0;
    ASSERT_SHOW(f, NULL, "[-inf,  1.5,  0.0]");
    tn_free(f);

    Tn *s = tn_scalar(3);
    ASSERT_SHOW(s, "tensor", "tensor(3)");
    s->data[0] = -0.0f;
    ASSERT_SHOW(s, NULL, "0");
    tn_free(s);

    Tn *e = tn_new(2, (int[]){2, 0});
    ASSERT_SHOW(e, "tensor", "tensor([], shape=[2, 0])");
    tn_free(e);
    e = tn_new(1, (int[]){0});
    ASSERT_SHOW(e, "tensor", "tensor([])");
    tn_free(e);

    Tn *c = iota(3, (int[]){2, 2, 2});
    ASSERT_SHOW(c, "tensor", "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])");
    tn_free(c);

    /* a long row wraps at 75 columns, aligned under the first element */
    Tn *l = iota(1, (int[]){30});
    ASSERT_SHOW(l, "tensor",
        "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16,\n"
        "        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])");
    tn_free(l);

    /* more than 1000 elements: 3 edge items per axis */
    Tn *big = iota(2, (int[]){100, 100});
    ASSERT_SHOW(big, NULL,
        "[[   0,    1,    2, ...,   97,   98,   99],\n"
        " [ 100,  101,  102, ...,  197,  198,  199],\n"
        " [ 200,  201,  202, ...,  297,  298,  299],\n"
        " ...,\n"
        " [9700, 9701, 9702, ..., 9797, 9798, 9799],\n"
        " [9800, 9801, 9802, ..., 9897, 9898, 9899],\n"
        " [9900, 9901, 9902, ..., 9997, 9998, 9999]]");
    tn_free(big);
    Tn *v = iota(1, (int[]){2000});
    ASSERT_SHOW(v, "tensor", "tensor([   0,    1,    2, ..., 1997, 1998, 1999])");
    tn_free(v);
}

static void allclose_semantics(void)
{
    Tn *a = tn_from(1, (int[]){2}, (float[]){1, INFINITY});
    Tn *b = tn_from(1, (int[]){2}, (float[]){1.0000001f, INFINITY});
    CU_ASSERT(tn_allclose(a, b, 1e-5f, 0));
    b->data[0] = 1.1f;
    CU_ASSERT(!tn_allclose(a, b, 1e-5f, 1e-6f));
    b->data[0] = NAN;
    CU_ASSERT(!tn_allclose(a, b, 1, 1));
    Tn *c = tn_new(2, (int[]){1, 2});
    CU_ASSERT(!tn_allclose(a, c, 1, 1));
    tn_free(a); tn_free(b); tn_free(c);
}

int main(void)
{
    static const TU_Test tests[] = {
        { "shapes and constructors", shapes_and_constructors },
        { "broadcasting", broadcasting },
        { "scalar and in-place ops", scalar_and_inplace },
        { "unary maps", unary_maps },
        { "matmul 2-D and vectors", matmul_2d_and_vectors },
        { "matmul batched", matmul_batched },
        { "gemm with transposes", gemm_transposes },
        { "reductions along axes", reductions_along_axes },
        { "slicing and indexing", slicing_and_indexing },
        { "reshape and errors", reshape_and_errors },
        { "transpose and permute", transpose_and_permute },
        { "concat and stack", concat_and_stack },
        { "initialiser statistics", initialiser_statistics },
        { "printing format", printing_format },
        { "allclose", allclose_semantics },
        { NULL, NULL }
    };
    return tu_main("rt_tn", tests);
}
