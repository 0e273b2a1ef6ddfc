/*
** network.c — networks, models and the forward/backward passes (see network.h for the memory
** layout).  A model binds to a per-example input shape once (nn_bind), which sizes a
** workspace of activations and gradients for every layer; a batch then runs without a
** single malloc.  Matrix products go through cblas_sgemm with transposes instead of
** copies.  Backpropagation runs in two phases: (A) the output gradients ("deltas") are
** propagated down through every layer and kept, then (B) each parameterised layer turns
** its input activations and its deltas into its slice of the flat gradient.  The split
** is what makes DP-SGD cheap: between (A) and (B) the per-example gradient norms are
** computed from activations and deltas (ghost norms for dense layers, materialised
** per-example gradients for conv2d), and (B) runs on deltas scaled row by row by the
** clip factors — the same result as clipping every per-example gradient and summing.
** Losses, optimisers and epochs are in network_train.c; files in network_io.c; polynomials in
** network_poly.c.
*/
#include "network.h"
#include "mem.h"
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct NnWork {
    int maxb;                   /* batch capacity */
    int in_ndim, in_shape[3];   /* bound per-example input shape */
    int n;                      /* layers */
    int *sz;                    /* per-example size of activation l (0..n) */
    int (*shp)[3];              /* c, h, w of activation l (1-D: {sz, 1, 1}) */
    const float *x;             /* the batch input of the last forward (activation 0) */
    float **act, **grad;        /* activation / delta l (1..n), maxb × sz[l] */
    float **mask;               /* dropout layer l: kept-scale per element */
    int **arg;                  /* maxpool layer l: flat input index of each output */
    uint32_t *bits;             /* dropout random words */
    float *cols, *pex;          /* conv im2col of one example; per-example weight grad */
    float *prob;                /* softmax of logits for the ce loss */
    float *scale;               /* per-example loss/clip scale, maxb */
    double *norm2;              /* per-example squared gradient norms, maxb */
};

static float *falloc(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) mem_oom();
    return p;
}

/* --- networks ------------------------------------------------------------------ */

const char *nn_kind_name(NnKind k)
{
    static const char *const names[] = { "dense", "conv2d", "maxpool2d", "flatten",
        "dropout", "relu", "sigmoid", "tanh", "softmax", "square" };
    return (unsigned)k < sizeof names / sizeof *names ? names[k] : "?";
}

const char *nn_loss_name(NnLoss l)
{
    static const char *const names[] = { "auto", "mse", "bce", "ce" };
    return (unsigned)l < 4 ? names[l] : "?";
}

void nn_layer_show(const NnLayer *l, Sb *out)
{
    switch (l->kind) {
    case NN_DENSE: sb_printf(out, "dense(%d, %d)", l->in, l->out); break;
    case NN_CONV2D:
        sb_printf(out, "conv2d(%d, %d, %d", l->in, l->out, l->k);
        if (l->stride != 1) sb_printf(out, ", stride = %d", l->stride);
        if (l->pad != 0) sb_printf(out, ", padding = %d", l->pad);
        sb_putc(out, ')');
        break;
    case NN_MAXPOOL2D: sb_printf(out, "maxpool2d(%d)", l->k); break;
    case NN_DROPOUT: sb_puts(out, "dropout("); sb_num(out, l->p); sb_putc(out, ')'); break;
    case NN_SIGMOID: case NN_TANH:
        sb_puts(out, nn_kind_name(l->kind));
        if (l->approx.kind == NN_APPROX_TAYLOR)
            sb_printf(out, "(approx = taylor(degree = %d))", l->approx.degree);
        else if (l->approx.kind == NN_APPROX_INTERVAL) {
            sb_printf(out, "(approx = interpolate(degree = %d, over = [", l->approx.degree);
            sb_num(out, l->approx.lo); sb_puts(out, ", ");
            sb_num(out, l->approx.hi); sb_puts(out, "]))");
        }
        break;
    default: sb_puts(out, nn_kind_name(l->kind)); break;
    }
}

NnNet *nn_net_new(const char *name, int n, const NnLayer *layers, RtErr *err)
{
    if (n < 1) { rt_err(err, RT_EINVAL, "a network needs at least one layer"); return NULL; }
    NnNet *net = xcalloc(1, sizeof *net);
    net->name = xstrdup(name ? name : "net");
    net->n = n;
    net->layer = xmalloc((size_t)n * sizeof *net->layer);
    memcpy(net->layer, layers, (size_t)n * sizeof *net->layer);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        NnLayer *l = &net->layer[i];
        const char *bad = NULL;
        l->woff = l->boff = off; l->wlen = l->blen = 0;
        switch (l->kind) {
        case NN_DENSE:
            if (l->in < 1 || l->out < 1) bad = "dense sizes must be positive";
            else if (l->in > NN_MAXWIDTH || l->out > NN_MAXWIDTH) bad = "dense sizes must be at most 1000000";
            else { l->wlen = (size_t)l->in * (size_t)l->out; l->blen = (size_t)l->out; }
            break;
        case NN_CONV2D:
            if (l->in < 1 || l->out < 1 || l->k < 1) bad = "conv2d channels and kernel must be positive";
            else if (l->stride < 1) bad = "conv2d stride must be positive";
            else if (l->pad < 0) bad = "conv2d padding must not be negative";
            else if (l->in > NN_MAXWIDTH || l->out > NN_MAXWIDTH || l->k > NN_MAXWIDTH ||
                     l->stride > NN_MAXWIDTH) bad = "conv2d channels, kernel and stride must be at most 1000000";
            else if (l->pad > NN_MAXPAD) bad = "conv2d padding must be at most 1000";
            else {
                /* each factor is at most 10^6, so the product (10^24 at worst) is taken
                ** in double first and only converted when it is known to fit */
                double w = (double)l->out * l->in * l->k * l->k;
                l->wlen = w > (double)NN_MAXPARAMS ? NN_MAXPARAMS + 1 : (size_t)w;
                l->blen = (size_t)l->out;
            }
            break;
        case NN_MAXPOOL2D:
            if (l->k < 1) bad = "maxpool2d window must be positive";
            else if (l->k > NN_MAXWIDTH) bad = "maxpool2d window must be at most 1000000";
            break;
        case NN_DROPOUT:
            if (!(l->p >= 0 && l->p < 1)) bad = "dropout probability must be in [0, 1)";
            break;
        case NN_SIGMOID: case NN_TANH:
            if (nn_approx_fit(l->kind == NN_TANH ? NN_FN_TANH : NN_FN_SIGMOID, &l->approx, err) < 0) {
                RtErr why = *err;
                rt_err(err, why.code, "layer %d (%s): %s", i + 1, nn_kind_name(l->kind), why.msg);
                nn_net_free(net);
                return NULL;
            }
            break;
        case NN_FLATTEN: case NN_RELU: case NN_SOFTMAX: case NN_SQUARE: break;
        default: bad = "unknown layer kind";
        }
        if (bad) {
            rt_err(err, RT_EINVAL, "layer %d (%s): %s", i + 1, nn_kind_name(l->kind), bad);
            nn_net_free(net);
            return NULL;
        }
        if (l->wlen + l->blen > NN_MAXPARAMS - off) {   /* off <= NN_MAXPARAMS: no overflow */
            Sb d; sb_init(&d); nn_layer_show(l, &d);
            rt_err(err, RT_EINVAL, "layer %d (%s): the network would have more than %zu "
                     "parameters (the limit); use fewer or smaller layers", i + 1, d.s, NN_MAXPARAMS);
            sb_free(&d);
            nn_net_free(net);
            return NULL;
        }
        l->woff = off; off += l->wlen;
        l->boff = off; off += l->blen;
    }
    net->nparams = off;
    return net;
}

NnNet *nn_net_copy(const NnNet *net)
{
    NnNet *c = xcalloc(1, sizeof *c);
    c->name = xstrdup(net->name);
    c->n = net->n;
    c->nparams = net->nparams;
    c->layer = xmalloc((size_t)net->n * sizeof *c->layer);
    memcpy(c->layer, net->layer, (size_t)net->n * sizeof *c->layer);
    return c;
}

void nn_net_free(NnNet *net)
{
    if (!net) return;
    free(net->name);
    free(net->layer);
    free(net);
}

NnLoss nn_default_loss(const NnNet *net, int nclasses)
{
    NnKind last = net->layer[net->n - 1].kind;
    if (last == NN_SOFTMAX) return NN_LOSS_CE;
    if (last == NN_SIGMOID) return NN_LOSS_BCE;
    return nclasses > 1 ? NN_LOSS_CE : NN_LOSS_MSE;
}

/* --- models ------------------------------------------------------------------- */

static void ws_free(NnWork *ws)
{
    if (!ws) return;
    for (int l = 0; l <= ws->n; l++) {
        free(ws->act[l]); free(ws->grad[l]);
        if (l < ws->n) { free(ws->mask[l]); free(ws->arg[l]); }
    }
    free(ws->act); free(ws->grad); free(ws->mask); free(ws->arg);
    free(ws->sz); free(ws->shp); free(ws->bits); free(ws->cols); free(ws->pex);
    free(ws->prob); free(ws->scale); free(ws->norm2);
    free(ws);
}

static bool relu_follows(const NnNet *net, int l)
{
    for (int j = l + 1; j < net->n; j++) {
        NnKind k = net->layer[j].kind;
        if (k == NN_RELU) return true;
        if (k != NN_MAXPOOL2D && k != NN_FLATTEN && k != NN_DROPOUT) return false;
    }
    return false;
}

NnModel *nn_model_new(const NnNet *net, Rng *r)
{
    NnModel *m = xcalloc(1, sizeof *m);
    m->net = nn_net_copy(net);
    m->w = falloc(net->nparams);
    m->g = falloc(net->nparams);
    memset(m->w, 0, net->nparams * sizeof(float));
    memset(m->g, 0, net->nparams * sizeof(float));
    m->opt_kind = -1;
    for (int l = 0; l < net->n; l++) {
        const NnLayer *L = &net->layer[l];
        if (!L->wlen) continue;
        double fan_in = L->kind == NN_DENSE ? L->in : (double)L->in * L->k * L->k;
        double fan_out = L->kind == NN_DENSE ? L->out : (double)L->out * L->k * L->k;
        float *w = m->w + L->woff;
        if (relu_follows(net, l)) {
            double sd = sqrt(2.0 / fan_in);
            for (size_t i = 0; i < L->wlen; i++) w[i] = (float)(sd * rng_normal(r));
        } else {
            double a = sqrt(6.0 / (fan_in + fan_out));
            for (size_t i = 0; i < L->wlen; i++) w[i] = (float)(a * (2 * rng_uniform(r) - 1));
        }
    }
    return m;
}

NnModel *nn_model_copy(const NnModel *m)
{
    NnModel *c = xcalloc(1, sizeof *c);
    c->net = nn_net_copy(m->net);
    c->w = falloc(m->net->nparams);
    c->g = falloc(m->net->nparams);
    memcpy(c->w, m->w, m->net->nparams * sizeof(float));
    memset(c->g, 0, m->net->nparams * sizeof(float));
    c->opt_kind = -1;
    return c;
}

void nn_model_free(NnModel *m)
{
    if (!m) return;
    ws_free(m->ws);
    free(m->w); free(m->g); free(m->m1); free(m->m2);
    nn_net_free(m->net);
    free(m);
}

void nn_model_reset_opt(NnModel *m)
{
    free(m->m1); free(m->m2);
    m->m1 = m->m2 = NULL;
    m->opt_kind = -1;
    m->t = 0;
}

static Tn *param_tn(const NnModel *m, int l, bool bias)
{
    if (l < 0 || l >= m->net->n) return NULL;
    const NnLayer *L = &m->net->layer[l];
    if (!L->wlen) return NULL;
    Tn *t;
    if (bias) t = tn_new(1, (int[]){ L->out });
    else if (L->kind == NN_DENSE) t = tn_new(2, (int[]){ L->in, L->out });
    else t = tn_new(4, (int[]){ L->out, L->in, L->k, L->k });
    memcpy(t->data, m->w + (bias ? L->boff : L->woff), t->size * sizeof(float));
    return t;
}

Tn *nn_model_weight(const NnModel *m, int l) { return param_tn(m, l, false); }
Tn *nn_model_bias(const NnModel *m, int l) { return param_tn(m, l, true); }

static int set_param(NnModel *m, int l, const Tn *t, bool bias, RtErr *err)
{
    if (l < 0 || l >= m->net->n || !m->net->layer[l].wlen) {
        rt_err(err, RT_EINVAL, "layer %d has no parameters", l + 1);
        return -1;
    }
    const NnLayer *L = &m->net->layer[l];
    size_t want = bias ? L->blen : L->wlen;
    if (t->size != want) {
        rt_err(err, RT_EINVAL, "layer %d (%s): %s needs %zu values, got %zu", l + 1,
                 nn_kind_name(L->kind), bias ? "bias" : "weight", want, t->size);
        return -1;
    }
    memcpy(m->w + (bias ? L->boff : L->woff), t->data, want * sizeof(float));
    return 0;
}

int nn_model_set_weight(NnModel *m, int l, const Tn *t, RtErr *err) { return set_param(m, l, t, false, err); }
int nn_model_set_bias(NnModel *m, int l, const Tn *t, RtErr *err) { return set_param(m, l, t, true, err); }

/* --- binding: shapes and workspace ------------------------------------------------ */

static void show_shape(char *buf, size_t n, int nd, const int *s)
{
    if (nd == 1) snprintf(buf, n, "%d", s[0]);
    else snprintf(buf, n, "%d×%d×%d", s[0], s[1], s[2]);
}

static void grow(NnWork *ws, int B)
{
    for (int l = 1; l <= ws->n; l++) {
        free(ws->act[l]); free(ws->grad[l]);
        ws->act[l] = falloc((size_t)B * ws->sz[l]);
        ws->grad[l] = falloc((size_t)B * ws->sz[l]);
    }
    size_t maxbits = 0;
    for (int l = 0; l < ws->n; l++) {
        if (ws->mask[l]) { free(ws->mask[l]); ws->mask[l] = falloc((size_t)B * ws->sz[l]); }
        if (ws->arg[l]) { free(ws->arg[l]); ws->arg[l] = xmalloc((size_t)B * ws->sz[l + 1] * sizeof(int)); }
        if ((size_t)ws->sz[l] > maxbits) maxbits = (size_t)ws->sz[l];
    }
    free(ws->bits); ws->bits = xmalloc((size_t)B * maxbits * sizeof(uint32_t));
    free(ws->prob); ws->prob = falloc((size_t)B * ws->sz[ws->n]);
    free(ws->scale); ws->scale = falloc((size_t)B);
    free(ws->norm2); ws->norm2 = xmalloc((size_t)B * sizeof(double));
    ws->maxb = B;
}

/* True (with err) when B examples of size sz would exceed TN_MAXSIZE elements. */
static bool batch_too_large(size_t sz, int B, int l, RtErr *err)
{
    if (sz <= TN_MAXSIZE / (size_t)B) return false;
    rt_err(err, RT_EINVAL, "layer %d: a batch of %d examples of %zu values each exceeds "
             "the limit of %zu elements; use a smaller batch", l, B, sz, TN_MAXSIZE);
    return true;
}

/* True (with err naming the layer) when a per-example activation of c·h·w elements or
** an im2col buffer is larger than TN_MAXSIZE; the product is taken in 64 bits. */
static bool too_large(uint64_t n, const char *what, const char *buf, RtErr *err)
{
    if (n <= TN_MAXSIZE) return false;
    rt_err(err, RT_EINVAL, "%s: its %s would have %llu elements, more than the limit of %zu",
             what, buf, (unsigned long long)n, TN_MAXSIZE);
    return true;
}

int nn_bind(NnModel *m, int in_ndim, const int *in_shape, int maxb, RtErr *err)
{
    const NnNet *net = m->net;
    if (maxb < 1) maxb = 1;
    NnWork *ws = m->ws;
    if (ws && ws->in_ndim == in_ndim &&
        !memcmp(ws->in_shape, in_shape, (size_t)in_ndim * sizeof(int))) {
        if (maxb > ws->maxb) {
            for (int l = 1; l <= ws->n; l++)
                if (batch_too_large((size_t)ws->sz[l], maxb, l, err)) return -1;
            grow(ws, maxb);
        }
        return 0;
    }
    if (in_ndim != 1 && in_ndim != 3) {
        rt_err(err, RT_EINVAL, "examples must be vectors or c×h×w images, got %d dimensions", in_ndim);
        return -1;
    }
    int n = net->n;
    int (*shp)[3] = xmalloc((size_t)(n + 1) * sizeof *shp);
    int *nd = xmalloc((size_t)(n + 1) * sizeof *nd);
    nd[0] = in_ndim;
    shp[0][0] = in_shape[0];
    shp[0][1] = in_ndim == 3 ? in_shape[1] : 1;
    shp[0][2] = in_ndim == 3 ? in_shape[2] : 1;
    size_t cols = 0, pex = 0;
    for (int l = 0; l < n; l++) {
        const NnLayer *L = &net->layer[l];
        int *s = shp[l], *o = shp[l + 1];
        long size = (long)s[0] * s[1] * s[2];
        char have[64], what[96];
        Sb d; sb_init(&d); nn_layer_show(L, &d);
        snprintf(what, sizeof what, "layer %d, %s", l + 1, d.s);
        sb_free(&d);
        show_shape(have, sizeof have, nd[l], s);
        nd[l + 1] = nd[l];
        memcpy(o, s, sizeof *shp);
        switch (L->kind) {
        case NN_DENSE:
            if (size != L->in) {
                rt_err(err, RT_EINVAL, "%s: expects %d inputs per example, got %s", what, L->in, have);
                goto fail;
            }
            nd[l + 1] = 1; o[0] = L->out; o[1] = o[2] = 1;
            break;
        case NN_CONV2D: {
            int c = s[0], h = s[1], w = s[2];
            if (nd[l] == 1) {
                int side = (int)lround(sqrt((double)size / L->in));
                if ((long)L->in * side * side != size) {
                    rt_err(err, RT_EINVAL, "%s: expects %d-channel images, got vectors of %s", what, L->in, have);
                    goto fail;
                }
                c = L->in; h = w = side;
                s[0] = c; s[1] = h; s[2] = w; nd[l] = 3;
            }
            if (c != L->in) {
                rt_err(err, RT_EINVAL, "%s: expects %d input channels, got %s", what, L->in, have);
                goto fail;
            }
            /* h, w <= TN_MAXSIZE and pad <= NN_MAXPAD: these fit in a long */
            long hp = (long)h + 2L * L->pad, wp = (long)w + 2L * L->pad;
            if (hp < L->k || wp < L->k) {
                rt_err(err, RT_EINVAL, "%s: kernel larger than its %s input", what, have);
                goto fail;
            }
            long ho = (hp - L->k) / L->stride + 1, wo = (wp - L->k) / L->stride + 1;
            if (too_large((uint64_t)L->out * (uint64_t)ho * (uint64_t)wo, what, "output", err) ||
                too_large((uint64_t)c * L->k * L->k * (uint64_t)ho * (uint64_t)wo, what,
                          "unfolded input (channels × kernel² × output positions)", err))
                goto fail;
            nd[l + 1] = 3; o[0] = L->out; o[1] = (int)ho; o[2] = (int)wo;
            size_t cc = (size_t)c * L->k * L->k * (size_t)ho * (size_t)wo;
            if (cc > cols) cols = cc;
            size_t pp = L->wlen;
            if (pp > pex) pex = pp;
            break;
        }
        case NN_MAXPOOL2D:
            if (nd[l] != 3 || s[1] < L->k || s[2] < L->k) {
                rt_err(err, RT_EINVAL, "%s: expects c×h×w images of at least %d×%d, got %s", what, L->k, L->k, have);
                goto fail;
            }
            o[1] = s[1] / L->k; o[2] = s[2] / L->k;
            break;
        case NN_FLATTEN:
            nd[l + 1] = 1; o[0] = (int)size; o[1] = o[2] = 1;
            break;
        default: break;
        }
        if (batch_too_large((size_t)o[0] * (size_t)o[1] * (size_t)o[2], maxb, l + 1, err)) goto fail;
    }
    ws_free(m->ws);
    ws = m->ws = xcalloc(1, sizeof *ws);
    ws->n = n;
    ws->in_ndim = in_ndim;
    memcpy(ws->in_shape, in_shape, (size_t)in_ndim * sizeof(int));
    ws->shp = shp;
    ws->sz = xmalloc((size_t)(n + 1) * sizeof(int));
    for (int l = 0; l <= n; l++) ws->sz[l] = shp[l][0] * shp[l][1] * shp[l][2];  /* checked above */
    free(nd);
    ws->act = xcalloc((size_t)n + 1, sizeof(float *));
    ws->grad = xcalloc((size_t)n + 1, sizeof(float *));
    ws->mask = xcalloc((size_t)n, sizeof(float *));
    ws->arg = xcalloc((size_t)n, sizeof(int *));
    for (int l = 0; l < n; l++) {
        if (net->layer[l].kind == NN_DROPOUT) ws->mask[l] = falloc(1);
        if (net->layer[l].kind == NN_MAXPOOL2D) ws->arg[l] = xmalloc(sizeof(int));
    }
    ws->cols = falloc(cols ? cols : 1);
    ws->pex = falloc(pex ? pex : 1);
    grow(ws, maxb);
    return 0;
fail:
    free(shp); free(nd);
    return -1;
}

int nn_out_width(const NnModel *m) { return m->ws ? m->ws->sz[m->ws->n] : 0; }

void nn_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }

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
    if (B > ws->maxb) grow(ws, B);
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
    if (B > ws->maxb) grow(ws, B);
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
    if (B > ws->maxb) grow(ws, B);
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
