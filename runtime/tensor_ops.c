/*
** tensor_ops.c — tensor arithmetic: elementwise binary ops with numpy broadcasting (and
** their scalar and in-place forms), unary maps, reductions along an axis or over
** everything, and matrix products through CBLAS (OpenBLAS), with batched numpy matmul
** semantics and a stop flag polled between blocks.  Allocation, shapes and element
** moves live in tensor.c; printing in tensor_show.c.
*/
#include "tensor.h"
#include "mem.h"
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- elementwise ------------------------------------------------------------------- */

float tn_op1(TnOp op, float x, float y)
{
    switch (op) {
    case TN_ADD: return x + y;
    case TN_SUB: return x - y;
    case TN_MUL: return x * y;
    case TN_DIV: return x / y;
    case TN_MOD: { float r = fmodf(x, y); return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r; }
    case TN_POW: return powf(x, y);
    case TN_EQ: return x == y;
    case TN_NE: return x != y;
    case TN_LT: return x < y;
    case TN_LE: return x <= y;
    case TN_GT: return x > y;
    case TN_GE: return x >= y;
    case TN_MAXIMUM: return (x != x || x > y) ? x : y;     /* NaN propagates */
    case TN_MINIMUM: return (x != x || x < y) ? x : y;
    }
    return NAN;
}

/* One row of n results: o[i] = a[i*sa] op b[i*sb] with sa, sb in {0, 1}.  Each op is
** spelled out so that the compiler vectorises the loop; o may alias a or b. */
#define ROW(EXPR) do {                                                                 \
    if (sa && sb) for (size_t i = 0; i < n; i++) { float x = a[i], y = b[i]; o[i] = (EXPR); } \
    else if (sa) { float y = b[0]; for (size_t i = 0; i < n; i++) { float x = a[i]; o[i] = (EXPR); } } \
    else if (sb) { float x = a[0]; for (size_t i = 0; i < n; i++) { float y = b[i]; o[i] = (EXPR); } } \
    else { float x = a[0], y = b[0], r = (EXPR); for (size_t i = 0; i < n; i++) o[i] = r; } \
} while (0)

static void row(TnOp op, float *o, const float *a, int sa, const float *b, int sb, size_t n)
{
    switch (op) {
    case TN_ADD: ROW(x + y); break;
    case TN_SUB: ROW(x - y); break;
    case TN_MUL: ROW(x * y); break;
    case TN_DIV: ROW(x / y); break;
    case TN_POW:
        if (!sb && b[0] == 2) { ROW(((void)y, x * x)); break; }
        ROW(powf(x, y)); break;
    case TN_EQ: ROW((float)(x == y)); break;
    case TN_NE: ROW((float)(x != y)); break;
    case TN_LT: ROW((float)(x < y)); break;
    case TN_LE: ROW((float)(x <= y)); break;
    case TN_GT: ROW((float)(x > y)); break;
    case TN_GE: ROW((float)(x >= y)); break;
    case TN_MOD: case TN_MAXIMUM: case TN_MINIMUM: ROW(tn_op1(op, x, y)); break;
    }
}

int tn_broadcast(int na, const int *sa, int nb, const int *sb, int *nout, int *out, RtErr *err)
{
    int n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int da = i < na ? sa[na - 1 - i] : 1, db = i < nb ? sb[nb - 1 - i] : 1;
        if (da != db && da != 1 && db != 1) {
            char s1[64], s2[64];
            rt_err(err, RT_EINVAL, "shapes %s and %s do not broadcast",
                     tn_shape_fmt(s1, sizeof s1, na, sa), tn_shape_fmt(s2, sizeof s2, nb, sb));
            return -1;
        }
        out[n - 1 - i] = da == 1 ? db : da;
    }
    *nout = n;
    return 0;
}

/* Strides of t seen from a 4-D output shape it broadcasts to (0 on broadcast axes). */
static void bstrides(const Tn *t, const int *os4, size_t *st4)
{
    size_t s = 1;
    for (int d = 3, k = t->ndim - 1; d >= 0; d--, k--) {
        if (k < 0) { st4[d] = 0; continue; }
        st4[d] = (t->shape[k] == 1 && os4[d] != 1) ? 0 : s;
        s *= (size_t)t->shape[k];
    }
}

/* o (4-D shape os4, contiguous) = a op b through broadcast strides. */
static void apply(TnOp op, float *o, const int *os4, const Tn *a, const Tn *b)
{
    size_t as[4], bs[4], k = 0, n = (size_t)os4[3];
    bstrides(a, os4, as); bstrides(b, os4, bs);
    for (int i0 = 0; i0 < os4[0]; i0++)
        for (int i1 = 0; i1 < os4[1]; i1++)
            for (int i2 = 0; i2 < os4[2]; i2++, k += n) {
                size_t oa = (size_t)i0 * as[0] + (size_t)i1 * as[1] + (size_t)i2 * as[2];
                size_t ob = (size_t)i0 * bs[0] + (size_t)i1 * bs[1] + (size_t)i2 * bs[2];
                row(op, o + k, a->data + oa, as[3] != 0, b->data + ob, bs[3] != 0, n);
            }
}

static void pad4(int ndim, const int *shape, int *os4)
{
    for (int d = 0; d < 4; d++) os4[d] = 1;
    for (int i = 0; i < ndim; i++) os4[4 - ndim + i] = shape[i];
}

Tn *tn_binop(TnOp op, const Tn *a, const Tn *b, RtErr *err)
{
    int nd, shape[TN_MAXDIM], os4[4];
    if (tn_broadcast(a->ndim, a->shape, b->ndim, b->shape, &nd, shape, err)) return NULL;
    Tn *t = tn_empty(nd, shape);
    if (!t->size) return t;
    if (tn_same_shape(a, b)) row(op, t->data, a->data, 1, b->data, 1, t->size);
    else if (b->size == 1 && t->size == a->size) row(op, t->data, a->data, 1, b->data, 0, t->size);
    else if (a->size == 1 && t->size == b->size) row(op, t->data, a->data, 0, b->data, 1, t->size);
    else { pad4(nd, shape, os4); apply(op, t->data, os4, a, b); }
    return t;
}

Tn *tn_binop_s(TnOp op, const Tn *a, float s, bool s_left)
{
    Tn *t = tn_empty(a->ndim, a->shape);
    if (s_left) row(op, t->data, &s, 0, a->data, 1, t->size);
    else row(op, t->data, a->data, 1, &s, 0, t->size);
    return t;
}

int tn_binop_inplace(TnOp op, Tn *a, const Tn *b, RtErr *err)
{
    int nd, shape[TN_MAXDIM], os4[4];
    if (tn_broadcast(a->ndim, a->shape, b->ndim, b->shape, &nd, shape, err)) return -1;
    if (nd != a->ndim || memcmp(shape, a->shape, (size_t)nd * sizeof(int))) {
        char s1[64], s2[64];
        rt_err(err, RT_EINVAL, "shape %s cannot be updated in place with shape %s",
                 tn_shape_fmt(s1, sizeof s1, a->ndim, a->shape),
                 tn_shape_fmt(s2, sizeof s2, b->ndim, b->shape));
        return -1;
    }
    if (!a->size) return 0;
    if (b->size == a->size) row(op, a->data, a->data, 1, b->data, 1, a->size);
    else if (b->size == 1) row(op, a->data, a->data, 1, b->data, 0, a->size);
    else { pad4(a->ndim, a->shape, os4); apply(op, a->data, os4, a, b); }
    return 0;
}

void tn_binop_s_inplace(TnOp op, Tn *a, float s)
{
    row(op, a->data, a->data, 1, &s, 0, a->size);
}

/* --- unary maps -------------------------------------------------------------------- */

static float sigmoid(float x)
{
    if (x >= 0) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);                  /* never overflows for x < 0 */
    return e / (1.0f + e);
}

float tn_fn1(TnFn f, float x)
{
    switch (f) {
    case TN_NEG: return -x;
    case TN_EXP: return expf(x);
    case TN_LOG: return logf(x);
    case TN_SQRT: return sqrtf(x);
    case TN_ABS: return fabsf(x);
    case TN_TANH: return tanhf(x);
    case TN_SIGMOID: return sigmoid(x);
    case TN_RELU: return (x > 0 || x != x) ? x : 0.0f;
    case TN_SIGN: return x > 0 ? 1.0f : x < 0 ? -1.0f : x;      /* keeps 0 and NaN */
    case TN_SQUARE: return x * x;
    }
    return NAN;
}

static void map(TnFn f, float *o, const float *a, size_t n)
{
    switch (f) {
    case TN_NEG: for (size_t i = 0; i < n; i++) o[i] = -a[i]; break;
    case TN_ABS: for (size_t i = 0; i < n; i++) o[i] = fabsf(a[i]); break;
    case TN_SQUARE: for (size_t i = 0; i < n; i++) o[i] = a[i] * a[i]; break;
    case TN_RELU: for (size_t i = 0; i < n; i++) o[i] = (a[i] > 0 || a[i] != a[i]) ? a[i] : 0.0f; break;
    case TN_EXP: for (size_t i = 0; i < n; i++) o[i] = expf(a[i]); break;
    default: for (size_t i = 0; i < n; i++) o[i] = tn_fn1(f, a[i]); break;
    }
}

Tn *tn_map(TnFn f, const Tn *a)
{
    Tn *t = tn_empty(a->ndim, a->shape);
    map(f, t->data, a->data, a->size);
    return t;
}

void tn_map_inplace(TnFn f, Tn *a) { map(f, a->data, a->data, a->size); }

/* --- reductions -------------------------------------------------------------------- */

static const char *red_name(TnRed r)
{
    static const char *names[] = {"sum", "mean", "max", "min", "argmax", "argmin"};
    return names[r];
}

double tn_sum(const Tn *a)
{
    double s = 0;
    for (size_t i = 0; i < a->size; i++) s += a->data[i];
    return s;
}

Tn *tn_reduce(TnRed r, const Tn *a, int axis, bool keepdims, RtErr *err)
{
    size_t outer = 1, n, inner = 1;
    int shape[TN_MAXDIM], nd = 0;
    if (axis == TN_ALL) {
        n = a->size;
        if (keepdims) for (nd = 0; nd < a->ndim; nd++) shape[nd] = 1;
    } else {
        if (tn_axis(&axis, a->ndim, err)) return NULL;
        n = (size_t)a->shape[axis];
        for (int i = 0; i < a->ndim; i++) {
            if (i < axis) outer *= (size_t)a->shape[i];
            if (i > axis) inner *= (size_t)a->shape[i];
            if (i != axis) shape[nd++] = a->shape[i];
            else if (keepdims) shape[nd++] = 1;
        }
    }
    if (n == 0 && r != TN_SUM && r != TN_MEAN && outer * inner > 0) {
        rt_err(err, RT_EINVAL, "%s: cannot reduce an empty %s", red_name(r),
                 axis == TN_ALL ? "tensor" : "axis");
        return NULL;
    }
    Tn *t = tn_empty(nd, shape);
    if (!t->size) return t;
    float *o = t->data;
    const float *src = a->data;
    if (r == TN_SUM || r == TN_MEAN) {
        double *acc = xcalloc(inner, sizeof *acc);
        for (size_t p = 0; p < outer; p++) {
            const float *s = src + p * n * inner;
            if (inner == 1) {
                double sum = 0;
                for (size_t j = 0; j < n; j++) sum += s[j];
                acc[0] = sum;
            } else {
                memset(acc, 0, inner * sizeof *acc);
                for (size_t j = 0; j < n; j++)
                    for (size_t k = 0; k < inner; k++) acc[k] += s[j * inner + k];
            }
            for (size_t k = 0; k < inner; k++)
                o[p * inner + k] = (float)(r == TN_MEAN ? acc[k] / (double)n : acc[k]);
        }
        free(acc);
        return t;
    }
    bool want_max = r == TN_MAX || r == TN_ARGMAX, arg = r == TN_ARGMAX || r == TN_ARGMIN;
    for (size_t p = 0; p < outer; p++) {
        const float *s = src + p * n * inner;
        for (size_t k = 0; k < inner; k++) {
            float m = s[k];
            size_t at = 0;
            for (size_t j = 1; j < n && m == m; j++) {
                float x = s[j * inner + k];
                if (x != x || (want_max ? x > m : x < m)) { m = x; at = j; }
            }
            o[p * inner + k] = arg ? (float)at : m;
        }
    }
    return t;
}

/* --- matrix products --------------------------------------------------------------- */

#define BLOCK_FLOPS ((size_t)1 << 26)      /* multiply-adds between polls of the stop flag */

/* C (m × n) = A (m × k) @ B (k × n), row-major and contiguous, polling stop between row
** blocks; false when stopped. */
static bool gemm_rows(int m, int n, int k, const float *A, const float *B, float *C, TnStop *stop)
{
    if (m == 0 || n == 0) return true;
    if (k == 0) { memset(C, 0, (size_t)m * (size_t)n * sizeof(float)); return true; }
    size_t per_row = (size_t)n * (size_t)k;
    int rows = per_row >= BLOCK_FLOPS ? 1 : (int)(BLOCK_FLOPS / per_row);
    for (int r0 = 0; r0 < m; r0 += rows) {
        if (stop && *stop) return false;
        int mr = m - r0 < rows ? m - r0 : rows;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, mr, n, k, 1.0f,
                    A + (size_t)r0 * (size_t)k, k, B, n, 0.0f, C + (size_t)r0 * (size_t)n, n);
    }
    return true;
}

Tn *tn_matmul(const Tn *a, const Tn *b, TnStop *stop, RtErr *err)
{
    char s1[64], s2[64];
    if (a->ndim == 0 || b->ndim == 0) {
        rt_err(err, RT_EINVAL, "matmul: scalar operands are not allowed (use * to scale)");
        return NULL;
    }
    bool av = a->ndim == 1, bv = b->ndim == 1;
    int M = av ? 1 : a->shape[a->ndim - 2], K = a->shape[a->ndim - 1];
    int K2 = bv ? b->shape[0] : b->shape[b->ndim - 2], N = bv ? 1 : b->shape[b->ndim - 1];
    if (K != K2) {
        rt_err(err, RT_EINVAL, "matmul: inner dimensions differ (%s @ %s)",
                 tn_shape_fmt(s1, sizeof s1, a->ndim, a->shape),
                 tn_shape_fmt(s2, sizeof s2, b->ndim, b->shape));
        return NULL;
    }
    int na = av ? 0 : a->ndim - 2, nb = bv ? 0 : b->ndim - 2, nbat, bshape[TN_MAXDIM];
    if (tn_broadcast(na, a->shape, nb, b->shape, &nbat, bshape, err)) {
        rt_err(err, RT_EINVAL, "matmul: batch dimensions of %s and %s do not broadcast",
                 tn_shape_fmt(s1, sizeof s1, a->ndim, a->shape),
                 tn_shape_fmt(s2, sizeof s2, b->ndim, b->shape));
        return NULL;
    }
    int shape[TN_MAXDIM + 2], nd = nbat;
    memcpy(shape, bshape, (size_t)nbat * sizeof(int));
    if (!av) shape[nd++] = M;
    if (!bv) shape[nd++] = N;
    if (tn_shape_check(nd, shape, err)) return NULL;
    Tn *c = tn_empty(nd, shape);
    /* batch strides (in elements) of a and b, right-aligned to the batch shape, 0 where
    ** an operand's batch dim is 1 or absent */
    size_t ast[2] = {0, 0}, bst[2] = {0, 0}, sa = (size_t)M * K, sb = (size_t)K * N;
    int bat[2] = {1, 1};
    for (int i = nbat - 1, d = 1; i >= 0; i--, d--) {
        bat[d] = bshape[i];
        int ka = na - (nbat - i), kb = nb - (nbat - i);
        if (ka >= 0) { ast[d] = a->shape[ka] == 1 ? 0 : sa; sa *= (size_t)a->shape[ka]; }
        if (kb >= 0) { bst[d] = b->shape[kb] == 1 ? 0 : sb; sb *= (size_t)b->shape[kb]; }
    }
    float *C = c->data;
    for (int i = 0; i < bat[0]; i++)
        for (int j = 0; j < bat[1]; j++) {
            const float *A = a->data + (size_t)i * ast[0] + (size_t)j * ast[1];
            const float *B = b->data + (size_t)i * bst[0] + (size_t)j * bst[1];
            if (!gemm_rows(M, N, K, A, B, C, stop)) {
                tn_free(c);
                rt_err(err, RT_EINTR, "interrupted");
                return NULL;
            }
            C += (size_t)M * (size_t)N;
        }
    return c;
}

int tn_gemm(bool ta, bool tb, float alpha, const Tn *a, const Tn *b, float beta, Tn *c,
            RtErr *err)
{
    char s1[64], s2[64], s3[64];
    if (a->ndim != 2 || b->ndim != 2 || c->ndim != 2) {
        rt_err(err, RT_EINVAL, "gemm: matrices expected (%s, %s, %s)",
                 tn_shape_fmt(s1, sizeof s1, a->ndim, a->shape),
                 tn_shape_fmt(s2, sizeof s2, b->ndim, b->shape),
                 tn_shape_fmt(s3, sizeof s3, c->ndim, c->shape));
        return -1;
    }
    int M = a->shape[ta ? 1 : 0], K = a->shape[ta ? 0 : 1];
    int K2 = b->shape[tb ? 1 : 0], N = b->shape[tb ? 0 : 1];
    if (K != K2) {
        rt_err(err, RT_EINVAL, "gemm: inner dimensions differ (%s%s @ %s%s)",
                 tn_shape_fmt(s1, sizeof s1, 2, a->shape), ta ? ".T" : "",
                 tn_shape_fmt(s2, sizeof s2, 2, b->shape), tb ? ".T" : "");
        return -1;
    }
    if (c->shape[0] != M || c->shape[1] != N) {
        int want[2] = {M, N};
        rt_err(err, RT_EINVAL, "gemm: result has shape %s, expected %s",
                 tn_shape_fmt(s1, sizeof s1, 2, c->shape), tn_shape_fmt(s2, sizeof s2, 2, want));
        return -1;
    }
    if (M == 0 || N == 0) return 0;
    if (K == 0) {
        if (beta == 0) memset(c->data, 0, c->size * sizeof(float));
        else tn_binop_s_inplace(TN_MUL, c, beta);
        return 0;
    }
    int lda = a->shape[1] ? a->shape[1] : 1, ldb = b->shape[1] ? b->shape[1] : 1;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                M, N, K, alpha, a->data, lda, b->data, ldb, beta, c->data, N);
    return 0;
}
