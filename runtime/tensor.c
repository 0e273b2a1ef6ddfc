/*
** tensor.c — tensor allocation, shapes, constructors, random initialisers, and the
** operations that only move elements: reshape, transpose/permute, indexing and index
** assignment, concat/stack, row gathering (see tensor.h).  Arithmetic, reductions and
** matrix products live in tensor_ops.c; printing in tensor_show.c.
*/
#include "tensor.h"
#include "mem.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t tn_max_size = TN_MAXSIZE;

Tn *tn_empty(int ndim, const int *shape)
{
    Tn *t = xcalloc(1, sizeof *t);
    t->ndim = ndim; t->size = 1;
    for (int i = 0; i < ndim; i++) { t->shape[i] = shape[i]; t->size *= (size_t)shape[i]; }
    size_t bytes = (t->size * sizeof(float) + 63) & ~(size_t)63;
    t->data = aligned_alloc(64, bytes ? bytes : 64);
    if (!t->data) mem_oom();
    return t;
}

Tn *tn_new(int ndim, const int *shape)
{
    Tn *t = tn_empty(ndim, shape);
    size_t bytes = (t->size * sizeof(float) + 63) & ~(size_t)63;
    memset(t->data, 0, bytes ? bytes : 64);
    return t;
}

Tn *tn_copy(const Tn *t)
{
    Tn *c = tn_empty(t->ndim, t->shape);
    memcpy(c->data, t->data, t->size * sizeof(float));
    return c;
}

void tn_free(Tn *t)
{
    if (!t) return;
    free(t->data);
    free(t);
}

/* --- shapes ------------------------------------------------------------------------ */

char *tn_shape_fmt(char *buf, size_t n, int ndim, const int *shape)
{
    size_t k = 0;
    if (n == 0) return buf;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, "%s%d", i ? ", " : "", shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

int tn_shape_check(int ndim, const int *shape, RtErr *err)
{
    if (ndim < 0 || ndim > TN_MAXDIM) {
        rt_err(err, RT_EINVAL, "tensors have at most %d dimensions, not %d", TN_MAXDIM, ndim);
        return -1;
    }
    size_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            char s[64];
            rt_err(err, RT_EINVAL, "negative dimension in shape %s",
                     tn_shape_fmt(s, sizeof s, ndim, shape));
            return -1;
        }
        if (shape[i] && size > tn_max_size / (size_t)shape[i]) size = tn_max_size + 1;
        else size *= (size_t)shape[i];
    }
    for (int i = 0; i < ndim; i++) if (shape[i] == 0) size = 0;
    if (size > tn_max_size) {
        char s[64];
        rt_err(err, RT_EINVAL, "tensor of shape %s is too large (limit %zu elements)",
                 tn_shape_fmt(s, sizeof s, ndim, shape), tn_max_size);
        return -1;
    }
    return 0;
}

bool tn_same_shape(const Tn *a, const Tn *b)
{
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++) if (a->shape[i] != b->shape[i]) return false;
    return true;
}

int tn_axis(int *axis, int ndim, RtErr *err)
{
    int ax = *axis;
    if (ax < -ndim || ax >= ndim || ndim == 0) {
        rt_err(err, RT_EINVAL, "axis %d is out of range for a tensor of %d dimension%s",
                 ax, ndim, ndim == 1 ? "" : "s");
        return -1;
    }
    *axis = ax < 0 ? ax + ndim : ax;
    return 0;
}

/* --- constructors ------------------------------------------------------------------ */

Tn *tn_scalar(float x) { Tn *t = tn_new(0, NULL); t->data[0] = x; return t; }

Tn *tn_new2(int rows, int cols) { int s[2] = {rows, cols}; return tn_new(2, s); }

Tn *tn_full(int ndim, const int *shape, float x)
{
    Tn *t = tn_empty(ndim, shape);
    for (size_t i = 0; i < t->size; i++) t->data[i] = x;
    return t;
}

Tn *tn_from(int ndim, const int *shape, const float *data)
{
    Tn *t = tn_empty(ndim, shape);
    memcpy(t->data, data, t->size * sizeof(float));
    return t;
}

Tn *tn_arange(double start, double stop, double step, RtErr *err)
{
    if (step == 0 || !isfinite(start) || !isfinite(stop) || !isfinite(step)) {
        rt_err(err, RT_EINVAL, "arange: %s", step == 0 ? "step must not be 0"
                                                          : "bounds must be finite");
        return NULL;
    }
    double n = ceil((stop - start) / step);
    if (n < 0) n = 0;
    if (n > (double)tn_max_size) {
        rt_err(err, RT_EINVAL, "arange: %.0f elements is too many (limit %zu)", n, tn_max_size);
        return NULL;
    }
    int len = (int)n;
    Tn *t = tn_new(1, &len);
    for (int i = 0; i < len; i++) t->data[i] = (float)(start + i * step);
    return t;
}

Tn *tn_eye(int n, int m)
{
    Tn *t = tn_new2(n, m);
    for (int i = 0; i < n && i < m; i++) t->data[(size_t)i * (size_t)m + (size_t)i] = 1;
    return t;
}

/* --- random initialisers ------------------------------------------------------------ */

void tn_fill_uniform(Tn *t, Rng *r, double lo, double hi)
{
    for (size_t i = 0; i < t->size; i++) t->data[i] = (float)(lo + (hi - lo) * rng_uniform(r));
}

void tn_fill_normal(Tn *t, Rng *r, double mean, double std)
{
    for (size_t i = 0; i < t->size; i++) t->data[i] = (float)(mean + std * rng_normal(r));
}

void tn_fill_xavier(Tn *t, Rng *r, int fan_in, int fan_out)
{
    double a = fan_in + fan_out > 0 ? sqrt(6.0 / (fan_in + fan_out)) : 0;
    tn_fill_uniform(t, r, -a, a);
}

void tn_fill_he(Tn *t, Rng *r, int fan_in)
{
    tn_fill_normal(t, r, 0, fan_in > 0 ? sqrt(2.0 / fan_in) : 0);
}

/* --- reshape, transpose ------------------------------------------------------------ */

/* Resolves a -1 in shape (into out) against size; error text names both shapes. */
static int resolve_shape(const Tn *a, int ndim, const int *shape, int *out, RtErr *err)
{
    char s1[64], s2[64];
    int infer = -1;
    size_t known = 1;
    if (ndim < 0 || ndim > TN_MAXDIM) return tn_shape_check(ndim, shape, err);
    for (int i = 0; i < ndim; i++) {
        out[i] = shape[i];
        if (shape[i] == -1) {
            if (infer >= 0) {
                rt_err(err, RT_EINVAL, "reshape: only one dimension can be -1");
                return -1;
            }
            infer = i;
        } else if (shape[i] < 0) {
            rt_err(err, RT_EINVAL, "reshape: negative dimension in %s",
                     tn_shape_fmt(s2, sizeof s2, ndim, shape));
            return -1;
        } else {
            known *= (size_t)shape[i];
            if (known > tn_max_size) known = tn_max_size + 1;
        }
    }
    if (infer >= 0) {
        if (known == 0 || a->size % known) goto bad;
        out[infer] = (int)(a->size / known);
        known *= (size_t)out[infer];
    }
    if (known != a->size) goto bad;
    return 0;
bad:
    rt_err(err, RT_EINVAL, "cannot reshape a tensor of shape %s (%zu elements) into %s",
             tn_shape_fmt(s1, sizeof s1, a->ndim, a->shape), a->size,
             tn_shape_fmt(s2, sizeof s2, ndim, shape));
    return -1;
}

Tn *tn_reshape(const Tn *a, int ndim, const int *shape, RtErr *err)
{
    int s[TN_MAXDIM];
    if (resolve_shape(a, ndim, shape, s, err)) return NULL;
    Tn *t = tn_empty(ndim, s);
    memcpy(t->data, a->data, a->size * sizeof(float));
    return t;
}

int tn_reshape_inplace(Tn *a, int ndim, const int *shape, RtErr *err)
{
    int s[TN_MAXDIM];
    if (resolve_shape(a, ndim, shape, s, err)) return -1;
    a->ndim = ndim;
    for (int i = 0; i < ndim; i++) a->shape[i] = s[i];
    return 0;
}

/* Row-major strides of a shape. */
static void strides_of(int ndim, const int *shape, size_t *st)
{
    size_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) { st[i] = s; s *= (size_t)shape[i]; }
}

/* Gathers src into dst (dst's shape is shp, 4-D padded) where element (i0..i3) comes
** from src + base + sum(i_k * st[k]).  The workhorse of permute, index and concat. */
static void gather4(float *dst, const float *src, size_t base, const int *shp, const size_t *st)
{
    size_t k = 0;
    for (int i0 = 0; i0 < shp[0]; i0++)
        for (int i1 = 0; i1 < shp[1]; i1++)
            for (int i2 = 0; i2 < shp[2]; i2++) {
                const float *s = src + base + (size_t)i0 * st[0] + (size_t)i1 * st[1]
                                 + (size_t)i2 * st[2];
                if (st[3] == 1) { memcpy(dst + k, s, (size_t)shp[3] * sizeof(float)); k += (size_t)shp[3]; }
                else for (int i3 = 0; i3 < shp[3]; i3++) dst[k++] = s[(size_t)i3 * st[3]];
            }
}

/* dst (c × r) = src (r × c) transposed, in 32 × 32 tiles so both sides stay in cache. */
static void transpose2(float *dst, const float *src, int r, int c)
{
    enum { B = 32 };
    for (int i0 = 0; i0 < r; i0 += B)
        for (int j0 = 0; j0 < c; j0 += B) {
            int i1 = i0 + B < r ? i0 + B : r, j1 = j0 + B < c ? j0 + B : c;
            for (int i = i0; i < i1; i++)
                for (int j = j0; j < j1; j++)
                    dst[(size_t)j * (size_t)r + (size_t)i] = src[(size_t)i * (size_t)c + (size_t)j];
        }
}

Tn *tn_permute(const Tn *a, const int *perm, RtErr *err)
{
    int seen[TN_MAXDIM] = {0};
    for (int i = 0; i < a->ndim; i++) {
        if (perm[i] < 0 || perm[i] >= a->ndim || seen[perm[i]]++) {
            rt_err(err, RT_EINVAL, "transpose: axes must be a permutation of 0..%d", a->ndim - 1);
            return NULL;
        }
    }
    size_t st[TN_MAXDIM];
    strides_of(a->ndim, a->shape, st);
    int shape[TN_MAXDIM] = {0}, shp[4] = {1, 1, 1, 1};
    size_t pst[4] = {0, 0, 0, 1};
    int pad = 4 - a->ndim;
    for (int i = 0; i < a->ndim; i++) {
        shape[i] = a->shape[perm[i]];
        shp[pad + i] = shape[i]; pst[pad + i] = st[perm[i]];
    }
    Tn *t = tn_empty(a->ndim, shape);
    if (!t->size) return t;
    int n = a->ndim;
    bool swap_last = n >= 2 && perm[n - 1] == n - 2 && perm[n - 2] == n - 1;
    for (int i = 0; i < n - 2; i++) if (perm[i] != i) swap_last = false;
    if (swap_last) {                 /* a (batch of) matrix transpose: cache blocked */
        int r = a->shape[n - 2], c = a->shape[n - 1];
        size_t mat = (size_t)r * (size_t)c;
        for (size_t b = 0; b < a->size / mat; b++)
            transpose2(t->data + b * mat, a->data + b * mat, r, c);
    } else gather4(t->data, a->data, 0, shp, pst);
    return t;
}

Tn *tn_transpose(const Tn *a)
{
    int perm[TN_MAXDIM];
    for (int i = 0; i < a->ndim; i++) perm[i] = a->ndim - 1 - i;
    return tn_permute(a, perm, NULL);       /* a reversal is always a permutation */
}

/* --- concat, stack, rows ----------------------------------------------------------- */

Tn *tn_concat(int n, const Tn *const *ts, int axis, RtErr *err)
{
    char s1[64], s2[64];
    if (n < 1) { rt_err(err, RT_EINVAL, "concat: no tensors to join"); return NULL; }
    const Tn *f = ts[0];
    if (f->ndim == 0) { rt_err(err, RT_EINVAL, "concat: scalars cannot be joined (use stack)"); return NULL; }
    if (tn_axis(&axis, f->ndim, err)) return NULL;
    int shape[TN_MAXDIM];
    memcpy(shape, f->shape, sizeof shape);
    long long joined = 0;       /* the summed axis, in 64 bits (it may exceed INT_MAX) */
    for (int k = 0; k < n; k++) {
        const Tn *t = ts[k];
        bool ok = t->ndim == f->ndim;
        for (int i = 0; ok && i < f->ndim; i++) if (i != axis && t->shape[i] != f->shape[i]) ok = false;
        if (!ok) {
            rt_err(err, RT_EINVAL, "concat: shapes %s and %s differ outside axis %d",
                     tn_shape_fmt(s1, sizeof s1, f->ndim, f->shape),
                     tn_shape_fmt(s2, sizeof s2, t->ndim, t->shape), axis);
            return NULL;
        }
        joined += t->shape[axis];
    }
    if (joined > INT_MAX) {
        rt_err(err, RT_EINVAL, "concat: the joined axis %d would have %lld entries (limit %zu elements)",
                 axis, joined, tn_max_size);
        return NULL;
    }
    shape[axis] = (int)joined;
    if (tn_shape_check(f->ndim, shape, err)) return NULL;
    Tn *out = tn_empty(f->ndim, shape);
    size_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= (size_t)shape[i];
    for (int i = axis + 1; i < f->ndim; i++) inner *= (size_t)shape[i];
    size_t orow = (size_t)shape[axis] * inner, off = 0;
    for (int k = 0; k < n; k++) {
        size_t row = (size_t)ts[k]->shape[axis] * inner;
        for (size_t o = 0; o < outer; o++)
            memcpy(out->data + o * orow + off, ts[k]->data + o * row, row * sizeof(float));
        off += row;
    }
    return out;
}

Tn *tn_stack(int n, const Tn *const *ts, int axis, RtErr *err)
{
    char s1[64], s2[64];
    if (n < 1) { rt_err(err, RT_EINVAL, "stack: no tensors to join"); return NULL; }
    const Tn *f = ts[0];
    if (f->ndim >= TN_MAXDIM) {
        rt_err(err, RT_EINVAL, "stack: the result would have more than %d dimensions", TN_MAXDIM);
        return NULL;
    }
    if (tn_axis(&axis, f->ndim + 1, err)) return NULL;
    for (int k = 1; k < n; k++)
        if (!tn_same_shape(ts[k], f)) {
            rt_err(err, RT_EINVAL, "stack: shapes %s and %s differ",
                     tn_shape_fmt(s1, sizeof s1, f->ndim, f->shape),
                     tn_shape_fmt(s2, sizeof s2, ts[k]->ndim, ts[k]->shape));
            return NULL;
        }
    int shape[TN_MAXDIM];
    for (int i = 0, j = 0; i <= f->ndim; i++) shape[i] = i == axis ? n : f->shape[j++];
    if (tn_shape_check(f->ndim + 1, shape, err)) return NULL;
    Tn *out = tn_empty(f->ndim + 1, shape);
    size_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= (size_t)shape[i];
    for (int i = axis + 1; i <= f->ndim; i++) inner *= (size_t)shape[i];
    for (int k = 0; k < n; k++)
        for (size_t o = 0; o < outer; o++)
            memcpy(out->data + (o * (size_t)n + (size_t)k) * inner, ts[k]->data + o * inner,
                   inner * sizeof(float));
    return out;
}

Tn *tn_take_rows(const Tn *a, const int *rows, int n)
{
    int shape[TN_MAXDIM];
    memcpy(shape, a->shape, sizeof shape);
    shape[0] = n;
    Tn *t = tn_empty(a->ndim, shape);
    size_t row = a->shape[0] ? a->size / (size_t)a->shape[0] : 0;
    for (int i = 0; i < n; i++)
        memcpy(t->data + (size_t)i * row, a->data + (size_t)rows[i] * row, row * sizeof(float));
    return t;
}

/* --- indexing ---------------------------------------------------------------------- */

/* The selected region, padded to 4-D: per axis its first index, its length, its source
** stride, and whether an integer index drops it. */
typedef struct Region {
    int len[4];
    size_t st[4];
    bool drop[4];
    size_t base;
    int ndim, shape[TN_MAXDIM];     /* the result's shape (dropped axes removed) */
} Region;

static int region(const Tn *a, int n, const TnIndex *ix, Region *g, RtErr *err)
{
    if (n > a->ndim) {
        rt_err(err, RT_EINVAL, "too many indices (%d) for a tensor of %d dimension%s",
                 n, a->ndim, a->ndim == 1 ? "" : "s");
        return -1;
    }
    size_t st[TN_MAXDIM];
    strides_of(a->ndim, a->shape, st);
    int pad = 4 - a->ndim;
    g->base = 0; g->ndim = 0;
    for (int d = 0; d < 4; d++) { g->len[d] = 1; g->st[d] = 0; g->drop[d] = false; }
    for (int i = 0; i < a->ndim; i++) {
        long size = a->shape[i], lo = 0, hi = size;
        bool drop = false;
        if (i < n && !ix[i].slice) {
            lo = ix[i].start < 0 ? ix[i].start + size : ix[i].start;
            if (lo < 0 || lo >= size) {
                rt_err(err, RT_EINVAL, "index %ld is out of bounds for axis %d with size %ld",
                         ix[i].start, i, size);
                return -1;
            }
            hi = lo + 1; drop = true;
        } else if (i < n) {
            if (ix[i].has_start) {
                lo = ix[i].start < 0 ? ix[i].start + size : ix[i].start;
                lo = lo < 0 ? 0 : lo > size ? size : lo;
            }
            if (ix[i].has_stop) {
                hi = ix[i].stop < 0 ? ix[i].stop + size : ix[i].stop;
                hi = hi < 0 ? 0 : hi > size ? size : hi;
            }
            if (hi < lo) hi = lo;
        }
        int d = pad + i;
        g->len[d] = (int)(hi - lo); g->st[d] = st[i]; g->drop[d] = drop;
        g->base += (size_t)lo * st[i];
        if (!drop) g->shape[g->ndim++] = (int)(hi - lo);
    }
    return 0;
}

Tn *tn_index(const Tn *a, int n, const TnIndex *ix, RtErr *err)
{
    Region g;
    if (region(a, n, ix, &g, err)) return NULL;
    Tn *t = tn_empty(g.ndim, g.shape);
    if (t->size) {
        size_t st[4];
        memcpy(st, g.st, sizeof st);
        if (g.len[3] == 1) st[3] = 1;       /* one element: contiguous either way */
        gather4(t->data, a->data, g.base, g.len, st);
    }
    return t;
}

int tn_index_set(Tn *a, int n, const TnIndex *ix, const Tn *v, RtErr *err)
{
    Region g;
    if (region(a, n, ix, &g, err)) return -1;
    /* v broadcasts to the region's shape: align v's axes with the kept axes, right to left */
    char s1[64], s2[64];
    size_t vst[TN_MAXDIM], vs[4] = {0, 0, 0, 0};
    strides_of(v->ndim, v->shape, vst);
    int k = v->ndim - 1;
    for (int d = 3; d >= 0 && k >= 0; d--) {
        if (g.drop[d] || (d < 4 - a->ndim)) continue;
        if (v->shape[k] != g.len[d] && v->shape[k] != 1) goto bad;
        vs[d] = v->shape[k] == 1 ? 0 : vst[k];
        k--;
    }
    for (; k >= 0; k--) if (v->shape[k] != 1) goto bad;
    for (int i0 = 0; i0 < g.len[0]; i0++)
        for (int i1 = 0; i1 < g.len[1]; i1++)
            for (int i2 = 0; i2 < g.len[2]; i2++) {
                float *dst = a->data + g.base + (size_t)i0 * g.st[0] + (size_t)i1 * g.st[1]
                             + (size_t)i2 * g.st[2];
                const float *src = v->data + (size_t)i0 * vs[0] + (size_t)i1 * vs[1]
                                   + (size_t)i2 * vs[2];
                for (int i3 = 0; i3 < g.len[3]; i3++)
                    dst[(size_t)i3 * g.st[3]] = src[(size_t)i3 * vs[3]];
            }
    return 0;
bad:
    rt_err(err, RT_EINVAL, "cannot assign a tensor of shape %s to a selection of shape %s",
             tn_shape_fmt(s1, sizeof s1, v->ndim, v->shape),
             tn_shape_fmt(s2, sizeof s2, g.ndim, g.shape));
    return -1;
}

int tn_index_fill(Tn *a, int n, const TnIndex *ix, float v, RtErr *err)
{
    Tn *s = tn_scalar(v);
    int rc = tn_index_set(a, n, ix, s, err);
    tn_free(s);
    return rc;
}
