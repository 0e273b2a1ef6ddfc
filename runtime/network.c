/*
** network.c — networks (validated layer descriptions), models (the flat parameter vector,
** weights and biases by layer) and binding (see network.h for the memory layout).  A model
** binds to a per-example input shape once (nn_bind), which checks every layer's shapes and
** sizes a workspace of activations and gradients for every layer (NnWork, grown by
** nn__grow when a batch is larger); a batch then runs without a single malloc.  The
** forward and backward passes, the losses' gradients and backpropagation are in
** network_pass.c; optimisers and epochs in network_train.c; files in network_io.c;
** polynomials in network_poly.c.
*/
#include "network.h"
#include "mem.h"
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void nn__grow(NnWork *ws, int B)
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
            nn__grow(ws, maxb);
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
    nn__grow(ws, maxb);
    return 0;
fail:
    free(shp); free(nd);
    return -1;
}

int nn_out_width(const NnModel *m) { return m->ws ? m->ws->sz[m->ws->n] : 0; }

void nn_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }
