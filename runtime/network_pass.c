/*
** network_pass.c — the forward and backward passes of a bound model (network.h): the layer
** kernels, the losses' gradients, backpropagation, and the gradients with respect to the
** input; the workspace they run in is sized by nn_bind (network.c).  Matrix products go
** through cblas_sgemm with transposes instead of copies.  Backpropagation runs in two
** phases: (A) the output gradients ("deltas") are propagated down through every layer and
** kept, then (B) each parameterised layer turns its input activations and its deltas into
** its slice of the flat gradient.  The split is what makes DP-SGD cheap: between (A) and
** (B) the per-example gradient norms are computed from activations and deltas (ghost norms
** for dense layers, materialised per-example gradients for conv2d), and (B) runs on deltas
** scaled row by row by the clip factors — the same result as clipping every per-example
** gradient and summing.  Optimisers and epochs are in network_train.c.
*/
#include "network.h"
#include "mem.h"
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- kernels ----------------------------------------------------------------------- */

static inline const float *A(const NnWork *ws, int l) { return l == 0 ? ws->x : ws->act[l]; }

static void im2col(const float *x, int c, int h, int w, const NnLayer *L, int ho, int wo, float *cols)
{
    int k = L->k, s = L->stride, p = L->pad;
    for (int ci = 0; ci < c; ci++)
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                float *row = cols + ((size_t)(ci * k + ki) * k + kj) * ho * wo;
                const float *xc = x + (size_t)ci * h * w;
                for (int oy = 0; oy < ho; oy++) {
                    int iy = oy * s - p + ki;
                    float *r = row + (size_t)oy * wo;
                    if (iy < 0 || iy >= h) { memset(r, 0, (size_t)wo * sizeof(float)); continue; }
                    const float *xr = xc + (size_t)iy * w;
                    if (s == 1) {
                        int lo = p - kj > 0 ? p - kj : 0;           /* first ox with ix >= 0 */
                        int hi = w + p - kj < wo ? w + p - kj : wo; /* first ox with ix >= w */
                        if (hi < lo) hi = lo;
                        for (int ox = 0; ox < lo; ox++) r[ox] = 0;
                        if (hi > lo) memcpy(r + lo, xr + lo - p + kj, (size_t)(hi - lo) * sizeof(float));
                        for (int ox = hi; ox < wo; ox++) r[ox] = 0;
                    } else {
                        for (int ox = 0; ox < wo; ox++) {
                            int ix = ox * s - p + kj;
                            r[ox] = ix >= 0 && ix < w ? xr[ix] : 0;
                        }
                    }
                }
            }
}

static void col2im(const float *cols, int c, int h, int w, const NnLayer *L, int ho, int wo, float *dx)
{
    int k = L->k, s = L->stride, p = L->pad;
    memset(dx, 0, (size_t)c * h * w * sizeof(float));
    for (int ci = 0; ci < c; ci++)
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                const float *row = cols + ((size_t)(ci * k + ki) * k + kj) * ho * wo;
                float *xc = dx + (size_t)ci * h * w;
                for (int oy = 0; oy < ho; oy++) {
                    int iy = oy * s - p + ki;
                    if (iy < 0 || iy >= h) continue;
                    const float *r = row + (size_t)oy * wo;
                    float *xr = xc + (size_t)iy * w;
                    for (int ox = 0; ox < wo; ox++) {
                        int ix = ox * s - p + kj;
                        if (ix >= 0 && ix < w) xr[ix] += r[ox];
                    }
                }
            }
}

static double poly_deriv(const double *c, int d, double x)
{
    double y = d * c[d];
    for (int i = d - 1; i >= 1; i--) y = y * x + i * c[i];
    return y;
}

static void layer_forward(NnModel *m, int l, int B, bool train, Rng *r)
{
    NnWork *ws = m->ws;
    const NnLayer *L = &m->net->layer[l];
    const float *x = A(ws, l);
    float *y = ws->act[l + 1];
    size_t isz = (size_t)ws->sz[l], osz = (size_t)ws->sz[l + 1], n = (size_t)B * osz;
    switch (L->kind) {
    case NN_DENSE: {
        const float *W = m->w + L->woff, *b = m->w + L->boff;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, L->out, L->in,
                    1.0f, x, L->in, W, L->out, 0.0f, y, L->out);
        for (int i = 0; i < B; i++) {
            float *yr = y + (size_t)i * L->out;
            for (int j = 0; j < L->out; j++) yr[j] += b[j];
        }
        break;
    }
    case NN_CONV2D: {
        const int *is = ws->shp[l], *os = ws->shp[l + 1];
        int hw = os[1] * os[2], K = L->in * L->k * L->k;
        const float *W = m->w + L->woff, *b = m->w + L->boff;
        for (int i = 0; i < B; i++) {
            im2col(x + i * isz, is[0], is[1], is[2], L, os[1], os[2], ws->cols);
            float *yi = y + i * osz;
            for (int c = 0; c < L->out; c++)
                for (int j = 0; j < hw; j++) yi[(size_t)c * hw + j] = b[c];
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L->out, hw, K,
                        1.0f, W, K, ws->cols, hw, 1.0f, yi, hw);
        }
        break;
    }
    case NN_MAXPOOL2D: {
        const int *is = ws->shp[l], *os = ws->shp[l + 1];
        int k = L->k, *arg = ws->arg[l];
        for (int i = 0; i < B; i++)
            for (int c = 0; c < os[0]; c++) {
                const float *xc = x + i * isz + (size_t)c * is[1] * is[2];
                for (int oy = 0; oy < os[1]; oy++)
                    for (int ox = 0; ox < os[2]; ox++) {
                        int best = (oy * k) * is[2] + ox * k;
                        for (int a = 0; a < k; a++)
                            for (int bb = 0; bb < k; bb++) {
                                int idx = (oy * k + a) * is[2] + ox * k + bb;
                                if (xc[idx] > xc[best]) best = idx;
                            }
                        size_t o = i * osz + ((size_t)c * os[1] + oy) * os[2] + ox;
                        y[o] = xc[best];
                        arg[o] = c * is[1] * is[2] + best;
                    }
            }
        break;
    }
    case NN_FLATTEN: memcpy(y, x, n * sizeof(float)); break;
    case NN_DROPOUT:
        if (!train || L->p == 0) { memcpy(y, x, n * sizeof(float)); break; }
        if (!r) {   /* no generator (gradient checks): keep every unit */
            for (size_t i = 0; i < n; i++) ws->mask[l][i] = 1.0f;
            memcpy(y, x, n * sizeof(float));
            break;
        }
        {
            float *mask = ws->mask[l], keep = (float)(1.0 / (1.0 - L->p));
            uint32_t thr = (uint32_t)(L->p * 4294967296.0);
            rng_bytes(r, ws->bits, n * sizeof(uint32_t));
            for (size_t i = 0; i < n; i++) {
                mask[i] = ws->bits[i] >= thr ? keep : 0.0f;
                y[i] = x[i] * mask[i];
            }
        }
        break;
    case NN_RELU:
        for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
        break;
    case NN_SQUARE:
        for (size_t i = 0; i < n; i++) y[i] = x[i] * x[i];
        break;
    case NN_SIGMOID: case NN_TANH:
        if (L->approx.kind != NN_APPROX_NONE) {
            for (size_t i = 0; i < n; i++) y[i] = (float)nn_poly_eval(L->approx.coef, L->approx.degree, x[i]);
        } else if (L->kind == NN_SIGMOID) {
            for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
        } else {
            for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
        }
        break;
    case NN_SOFTMAX:
        for (int i = 0; i < B; i++) {
            const float *xr = x + i * isz;
            float *yr = y + i * osz, mx = xr[0], s = 0;
            for (size_t j = 1; j < isz; j++) if (xr[j] > mx) mx = xr[j];
            for (size_t j = 0; j < isz; j++) { yr[j] = expf(xr[j] - mx); s += yr[j]; }
            for (size_t j = 0; j < isz; j++) yr[j] /= s;
        }
        break;
    }
}

/* Delta of layer l's input from the delta of its output (grad[l] from grad[l+1]). */
static void layer_backward(NnModel *m, int l, int B)
{
    NnWork *ws = m->ws;
    const NnLayer *L = &m->net->layer[l];
    const float *x = A(ws, l), *y = ws->act[l + 1], *dy = ws->grad[l + 1];
    float *dx = ws->grad[l];
    size_t isz = (size_t)ws->sz[l], osz = (size_t)ws->sz[l + 1], n = (size_t)B * isz;
    switch (L->kind) {
    case NN_DENSE:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, L->in, L->out,
                    1.0f, dy, L->out, m->w + L->woff, L->out, 0.0f, dx, L->in);
        break;
    case NN_CONV2D: {
        const int *is = ws->shp[l], *os = ws->shp[l + 1];
        int hw = os[1] * os[2], K = L->in * L->k * L->k;
        for (int i = 0; i < B; i++) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, hw, L->out,
                        1.0f, m->w + L->woff, K, dy + i * osz, hw, 0.0f, ws->cols, hw);
            col2im(ws->cols, is[0], is[1], is[2], L, os[1], os[2], dx + i * isz);
        }
        break;
    }
    case NN_MAXPOOL2D: {
        const int *arg = ws->arg[l];
        memset(dx, 0, n * sizeof(float));
        for (int i = 0; i < B; i++)
            for (size_t o = 0; o < osz; o++) dx[i * isz + arg[i * osz + o]] += dy[i * osz + o];
        break;
    }
    case NN_FLATTEN: memcpy(dx, dy, n * sizeof(float)); break;
    case NN_DROPOUT:
        if (L->p == 0) memcpy(dx, dy, n * sizeof(float));
        else for (size_t i = 0; i < n; i++) dx[i] = dy[i] * ws->mask[l][i];
        break;
    case NN_RELU:
        for (size_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0.0f;
        break;
    case NN_SQUARE:
        for (size_t i = 0; i < n; i++) dx[i] = 2.0f * x[i] * dy[i];
        break;
    case NN_SIGMOID: case NN_TANH:
        if (L->approx.kind != NN_APPROX_NONE) {
            for (size_t i = 0; i < n; i++)
                dx[i] = dy[i] * (float)poly_deriv(L->approx.coef, L->approx.degree, x[i]);
        } else if (L->kind == NN_SIGMOID) {
            for (size_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
        } else {
            for (size_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
        }
        break;
    case NN_SOFTMAX:
        for (int i = 0; i < B; i++) {
            const float *yr = y + i * osz, *dr = dy + i * osz;
            float *xr = dx + i * isz, dot = 0;
            for (size_t j = 0; j < osz; j++) dot += dr[j] * yr[j];
            for (size_t j = 0; j < osz; j++) xr[j] = yr[j] * (dr[j] - dot);
        }
        break;
    }
}

/* Layer l's parameter gradient into m->g (overwriting its slice), each example's delta
** weighted by s[i] when s is non-NULL.  Dense layers scale their deltas in place. */
static void layer_params(NnModel *m, int l, int B, const float *s)
{
    NnWork *ws = m->ws;
    const NnLayer *L = &m->net->layer[l];
    const float *x = A(ws, l);
    float *dy = ws->grad[l + 1];
    float *gw = m->g + L->woff, *gb = m->g + L->boff;
    size_t isz = (size_t)ws->sz[l], osz = (size_t)ws->sz[l + 1];
    if (L->kind == NN_DENSE) {
        if (s)
            for (int i = 0; i < B; i++) {
                float *r = dy + (size_t)i * L->out;
                for (int j = 0; j < L->out; j++) r[j] *= s[i];
            }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->in, L->out, B,
                    1.0f, x, L->in, dy, L->out, 0.0f, gw, L->out);
        memset(gb, 0, (size_t)L->out * sizeof(float));
        for (int i = 0; i < B; i++) {
            const float *r = dy + (size_t)i * L->out;
            for (int j = 0; j < L->out; j++) gb[j] += r[j];
        }
    } else if (L->kind == NN_CONV2D) {
        const int *is = ws->shp[l], *os = ws->shp[l + 1];
        int hw = os[1] * os[2], K = L->in * L->k * L->k;
        memset(gw, 0, L->wlen * sizeof(float));
        memset(gb, 0, L->blen * sizeof(float));
        for (int i = 0; i < B; i++) {
            float si = s ? s[i] : 1.0f;
            const float *dyi = dy + i * osz;
            im2col(x + i * isz, is[0], is[1], is[2], L, os[1], os[2], ws->cols);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L->out, K, hw,
                        si, dyi, hw, ws->cols, hw, 1.0f, gw, K);
            for (int c = 0; c < L->out; c++) {
                float t = 0;
                for (int j = 0; j < hw; j++) t += dyi[(size_t)c * hw + j];
                gb[c] += si * t;
            }
        }
    }
}

/* Adds each example's squared gradient norm for layer l to ws->norm2. */
static void layer_norms(NnModel *m, int l, int B)
{
    NnWork *ws = m->ws;
    const NnLayer *L = &m->net->layer[l];
    const float *x = A(ws, l), *dy = ws->grad[l + 1];
    size_t isz = (size_t)ws->sz[l], osz = (size_t)ws->sz[l + 1];
    if (L->kind == NN_DENSE) {
        /* Ghost norm: the per-example weight gradient is the outer product a_i δ_iᵀ,
        ** whose squared Frobenius norm is ||a_i||² ||δ_i||²; the bias adds ||δ_i||². */
        for (int i = 0; i < B; i++) {
            const float *xi = x + i * isz, *di = dy + i * osz;
            double a2 = cblas_sdot((int)isz, xi, 1, xi, 1), d2 = cblas_sdot((int)osz, di, 1, di, 1);
            ws->norm2[i] += (a2 + 1.0) * d2;
        }
    } else if (L->kind == NN_CONV2D) {
        const int *is = ws->shp[l], *os = ws->shp[l + 1];
        int hw = os[1] * os[2], K = L->in * L->k * L->k;
        for (int i = 0; i < B; i++) {
            const float *dyi = dy + i * osz;
            im2col(x + i * isz, is[0], is[1], is[2], L, os[1], os[2], ws->cols);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L->out, K, hw,
                        1.0f, dyi, hw, ws->cols, hw, 0.0f, ws->pex, K);
            double s2 = 0;
            for (size_t j = 0; j < L->wlen; j++) s2 += (double)ws->pex[j] * ws->pex[j];
            for (int c = 0; c < L->out; c++) {
                double t = 0;
                for (int j = 0; j < hw; j++) t += dyi[(size_t)c * hw + j];
                s2 += t * t;
            }
            ws->norm2[i] += s2;
        }
    }
}

const float *nn_forward(NnModel *m, const float *x, int B, bool train, Rng *r)
{
    NnWork *ws = m->ws;
    ws->x = x;
    for (int l = 0; l < m->net->n; l++) layer_forward(m, l, B, train, r);
    return ws->act[m->net->n];
}

/* --- losses ----------------------------------------------------------------------- */

static int check_label(double y, int k, RtErr *err)
{
    if (y < 0 || y >= k || y != floor(y)) {
        rt_err(err, RT_EINVAL, "label %g is not a class index 0..%d of the network's %d outputs", y, k - 1, k);
        return -1;
    }
    return 0;
}

static inline float sigmoidf(float z) { return z >= 0 ? 1.0f / (1.0f + expf(-z)) : expf(z) / (1.0f + expf(z)); }

/* Writes the loss gradient (times `scale` per example) into the delta where
** backpropagation starts and returns that layer index in *start: the fused
** softmax + ce and sigmoid + bce gradients start below the last layer. */
static int loss_grad(NnModel *m, int B, const float *y, int nclasses, NnLoss loss, float scale,
                     double *loss_sum, long *correct, int *start, RtErr *err)
{
    NnWork *ws = m->ws;
    const NnNet *net = m->net;
    int n = net->n, k = ws->sz[n];
    const NnLayer *last = &net->layer[n - 1];
    const float *out = ws->act[n];
    double ls = 0; long ok = 0;
    bool exact_last = last->approx.kind == NN_APPROX_NONE;
    bool classify = nclasses != 0;
    if (loss == NN_LOSS_AUTO) loss = nn_default_loss(net, nclasses);
    if (loss == NN_LOSS_CE) {
        bool fused = last->kind == NN_SOFTMAX;
        if (k < 2) { rt_err(err, RT_EINVAL, "the ce loss needs at least 2 outputs, the network has %d", k); return -1; }
        float *g = fused ? ws->grad[n - 1] : ws->grad[n];
        const float *p = out;
        if (!fused) {
            for (int i = 0; i < B; i++) {
                const float *zr = out + (size_t)i * k;
                float *pr = ws->prob + (size_t)i * k, mx = zr[0], s = 0;
                for (int j = 1; j < k; j++) if (zr[j] > mx) mx = zr[j];
                for (int j = 0; j < k; j++) { pr[j] = expf(zr[j] - mx); s += pr[j]; }
                for (int j = 0; j < k; j++) pr[j] /= s;
            }
            p = ws->prob;
        }
        for (int i = 0; i < B; i++) {
            if (check_label(y[i], k, err) < 0) return -1;
            int c = (int)y[i];
            const float *pr = p + (size_t)i * k;
            float *gr = g + (size_t)i * k, sc = ws->scale[i] * scale;
            int am = 0;
            for (int j = 0; j < k; j++) { gr[j] = pr[j] * sc; if (pr[j] > pr[am]) am = j; }
            gr[c] -= sc;
            ls -= log(pr[c] > 1e-30f ? pr[c] : 1e-30f);
            ok += am == c;
        }
        *start = fused ? n - 2 : n - 1;
    } else if (loss == NN_LOSS_BCE) {
        bool fused = last->kind == NN_SIGMOID && exact_last;
        bool prob = last->kind == NN_SIGMOID;     /* outputs are probabilities */
        float *g = fused ? ws->grad[n - 1] : ws->grad[n];
        for (int i = 0; i < B; i++) {
            float sc = ws->scale[i] * scale;
            int c = -1;
            if (k > 1) { if (check_label(y[i], k, err) < 0) return -1; c = (int)y[i]; }
            else if (y[i] < 0 || y[i] > 1) {
                rt_err(err, RT_EINVAL, "the bce loss needs targets in [0, 1], got %g", y[i]);
                return -1;
            }
            int am = 0;
            for (int j = 0; j < k; j++) {
                size_t o = (size_t)i * k + j;
                float t = k > 1 ? (j == c) : y[i];
                float z = out[o], p;
                if (prob) {
                    p = z < 1e-7f ? 1e-7f : z > 1 - 1e-7f ? 1 - 1e-7f : z;
                    ls -= t * log(p) + (1 - t) * log(1 - p);
                    g[o] = fused ? (z - t) * sc : (p - t) / (p * (1 - p)) * sc;
                } else {
                    p = sigmoidf(z);
                    ls += (z > 0 ? z : 0) - z * t + log1p(exp(-fabs(z)));
                    g[o] = (p - t) * sc;
                }
                if (out[o] > out[(size_t)i * k + am]) am = j;
                if (k == 1) ok += (p > 0.5f) == (t > 0.5f);
            }
            if (k > 1) ok += am == c;
        }
        *start = fused ? n - 2 : n - 1;
    } else {  /* mse: mean over outputs of (o - t)², one-hot targets when k > 1 */
        float *g = ws->grad[n];
        for (int i = 0; i < B; i++) {
            float sc = ws->scale[i] * scale;
            int c = -1;
            if (k > 1) { if (check_label(y[i], k, err) < 0) return -1; c = (int)y[i]; }
            int am = 0;
            for (int j = 0; j < k; j++) {
                size_t o = (size_t)i * k + j;
                float t = k > 1 ? (j == c) : y[i];
                float d = out[o] - t;
                ls += (double)d * d / k;
                g[o] = 2.0f * d / k * sc;
                if (out[o] > out[(size_t)i * k + am]) am = j;
            }
            if (k > 1) ok += am == c;
            else if (classify) ok += (out[i] > 0.5f) == (y[i] > 0.5f);
        }
        *start = n - 1;
    }
    if (loss_sum) *loss_sum = ls;
    if (correct) *correct = ok;
    return 0;
}

/* --- backpropagation ----------------------------------------------------------------- */

int nn_backprop(NnModel *m, const float *x, const float *y, int B, int nclasses,
                NnLoss loss, double clip, float *norms, Rng *r,
                double *loss_sum, long *correct, RtErr *err)
{
    NnWork *ws = m->ws;
    const NnNet *net = m->net;
    if (!ws) { rt_err(err, RT_EINVAL, "model is not bound to an input shape"); return -1; }
    if (loss_sum) *loss_sum = 0;
    if (correct) *correct = 0;
    if (B == 0) { memset(m->g, 0, net->nparams * sizeof(float)); return 0; }
    if (B > ws->maxb) nn__grow(ws, B);
    bool dp = clip > 0;
    nn_forward(m, x, B, true, r);
    for (int i = 0; i < B; i++) ws->scale[i] = 1.0f;
    int start;
    if (loss_grad(m, B, y, nclasses, loss, dp ? 1.0f : 1.0f / B, loss_sum, correct, &start, err) < 0)
        return -1;
    int first = 0;
    while (first < net->n && !net->layer[first].wlen) first++;
    /* (A) deltas down to the first parameterised layer */
    for (int l = start; l > first; l--) layer_backward(m, l, B);
    if (dp) {
        for (int i = 0; i < B; i++) ws->norm2[i] = 0;
        for (int l = first; l <= start; l++) layer_norms(m, l, B);
        for (int i = 0; i < B; i++) {
            double nrm = sqrt(ws->norm2[i]);
            if (norms) norms[i] = (float)nrm;
            ws->scale[i] = (float)(nrm > clip ? clip / (nrm + 1e-6) : 1.0);
        }
    }
    /* (B) parameter gradients (layers above start get zero: fused into the loss) */
    for (int l = first; l < net->n; l++) {
        if (!net->layer[l].wlen) continue;
        if (l > start) {
            memset(m->g + net->layer[l].woff, 0, (net->layer[l].wlen + net->layer[l].blen) * sizeof(float));
            continue;
        }
        layer_params(m, l, B, dp ? ws->scale : NULL);
    }
    return 0;
}

int nn_loss_eval(NnModel *m, const float *x, const float *y, int B, int nclasses,
                 NnLoss loss, double *loss_sum, long *correct, RtErr *err)
{
    NnWork *ws = m->ws;
    if (!ws) { rt_err(err, RT_EINVAL, "model is not bound to an input shape"); return -1; }
    if (loss_sum) *loss_sum = 0;
    if (correct) *correct = 0;
    if (B == 0) return 0;
    if (B > ws->maxb) nn__grow(ws, B);
    nn_forward(m, x, B, false, NULL);
    for (int i = 0; i < B; i++) ws->scale[i] = 1.0f;
    int start;
    return loss_grad(m, B, y, nclasses, loss, 1.0f, loss_sum, correct, &start, err);
}

int nn_per_example_grads(NnModel *m, const float *x, const float *y, int B, int nclasses,
                         NnLoss loss, float *out, RtErr *err)
{
    size_t np = m->net->nparams, isz = (size_t)m->ws->sz[0];
    for (int i = 0; i < B; i++) {
        if (nn_backprop(m, x + i * isz, y + i, 1, nclasses, loss, 0, NULL, NULL, NULL, NULL, err) < 0)
            return -1;
        memcpy(out + i * np, m->g, np * sizeof(float));
    }
    return 0;
}

int nn_input_grad(NnModel *m, const float *x, const float *y, int B, int nclasses,
                  NnLoss loss, float *out, double *loss_sum, RtErr *err)
{
    NnWork *ws = m->ws;
    if (!ws) { rt_err(err, RT_EINVAL, "model is not bound to an input shape"); return -1; }
    if (loss_sum) *loss_sum = 0;
    if (B == 0) return 0;
    if (B > ws->maxb) nn__grow(ws, B);
    nn_forward(m, x, B, false, NULL);
    for (int i = 0; i < B; i++) ws->scale[i] = 1.0f;
    int start;
    if (loss_grad(m, B, y, nclasses, loss, 1.0f, loss_sum, NULL, &start, err) < 0)
        return -1;
    float *saved = ws->grad[0];         /* the input's delta: no buffer of its own */
    ws->grad[0] = out;
    for (int l = start; l >= 0; l--) layer_backward(m, l, B);
    ws->grad[0] = saved;
    return 0;
}
