/*
** network_train.c — optimisers (SGD, momentum, Adam) over the flat parameter vector, one
** training step, one epoch (shuffled batches, or Poisson-sampled batches for DP-SGD),
** evaluation and prediction in chunks, and the Gaussian noise of DP-SGD.  The gradient
** itself (and the per-example clipping) comes from nn_backprop in network_pass.c.  Not here: the
** privacy accountant and the budget ledger (dp module), which the caller charges
** before calling nn_train_epoch with cfg->clip > 0.
**
** DP-SGD step (Abadi et al. 2016, with Poisson sampling as in the RDP analysis):
**   every example joins the step's batch independently with probability q = batch / n;
**   g = ( Σ_i g_i · min(1, C / ||g_i||)  +  N(0, σ² C² I) ) / (q n)
** where the division is by the EXPECTED batch size q·n, not the drawn one (the drawn
** size is itself private).  An epoch is round(n / batch) such steps.
*/
#include "network.h"
#include "mem.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nn_train_defaults(NnTrainCfg *cfg)
{
    *cfg = (NnTrainCfg){ .loss = NN_LOSS_AUTO, .opt = NN_OPT_SGD, .lr = 0.01,
        .momentum = 0.9, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .batch = 32,
        .clip = 0, .noise = 0 };
}

/* --- optimisers ----------------------------------------------------------------------- */

void nn_opt_step(NnModel *m, const NnTrainCfg *cfg)
{
    size_t n = m->net->nparams;
    float *w = m->w;
    const float *g = m->g;
    float lr = (float)cfg->lr;
    if (cfg->opt != NN_OPT_SGD && m->opt_kind != (int)cfg->opt) {
        nn_model_reset_opt(m);
        m->m1 = xcalloc(n, sizeof(float));
        if (cfg->opt == NN_OPT_ADAM) m->m2 = xcalloc(n, sizeof(float));
        m->opt_kind = (int)cfg->opt;
    }
    switch (cfg->opt) {
    case NN_OPT_SGD:
        for (size_t i = 0; i < n; i++) w[i] -= lr * g[i];
        break;
    case NN_OPT_MOMENTUM: {     /* v = μ v + g;  w -= lr v  (PyTorch's form) */
        float mu = (float)cfg->momentum, *v = m->m1;
        for (size_t i = 0; i < n; i++) { v[i] = mu * v[i] + g[i]; w[i] -= lr * v[i]; }
        break;
    }
    case NN_OPT_ADAM: {
        m->t++;
        float b1 = (float)cfg->beta1, b2 = (float)cfg->beta2, eps = (float)cfg->eps;
        double c1 = 1 - pow(cfg->beta1, (double)m->t), c2 = 1 - pow(cfg->beta2, (double)m->t);
        float step = (float)(cfg->lr / c1), rc2 = (float)(1 / sqrt(c2));
        float *m1 = m->m1, *m2 = m->m2;
        for (size_t i = 0; i < n; i++) {
            m1[i] = b1 * m1[i] + (1 - b1) * g[i];
            m2[i] = b2 * m2[i] + (1 - b2) * g[i] * g[i];
            w[i] -= step * m1[i] / (sqrtf(m2[i]) * rc2 + eps);
        }
        break;
    }
    }
}

/* --- Gaussian noise: the ziggurat (Marsaglia & Tsang 2000, 128 layers) --------------------
** Each sample takes one 32-bit word from the generator: its low 7 bits choose the layer
** and its high 25 bits (sign included) the abscissa — disjoint bits, as Doornik (2005)
** advises, so layer and value are independent; 24 bits of magnitude match the float32
** the noise is added to.  The base layer's tail beyond r = 3.4426 is sampled exactly
** (Marsaglia's exponential rejection), so the tails are right.  The generator's
** throughput (ChaCha20) is what bounds the speed: one word a sample, drawn in bulk. */

static double zk[128], zw[128], zf[128];
static int zready;

static void zig_init(void)
{
    const double m1 = 2147483648.0, vn = 9.91256303526217e-3;
    double dn = 3.442619855899, tn = dn;
    double q = vn / exp(-0.5 * dn * dn);
    zk[0] = (dn / q) * m1; zk[1] = 0;
    zw[0] = q / m1; zw[127] = dn / m1;
    zf[0] = 1.0; zf[127] = exp(-0.5 * dn * dn);
    for (int i = 126; i >= 1; i--) {
        dn = sqrt(-2.0 * log(vn / dn + exp(-0.5 * dn * dn)));
        zk[i + 1] = (dn / tn) * m1;
        tn = dn;
        zf[i] = exp(-0.5 * dn * dn);
        zw[i] = dn / m1;
    }
    zready = 1;
}

/* Signed abscissa (low 7 bits cleared) and layer of one 32-bit word. */
static inline int32_t zig_hz(uint32_t u) { return (int32_t)(u & ~(uint32_t)127); }

static double zig_slow(int32_t hz, int iz, Rng *r)
{
    const double R = 3.442619855899;
    for (;;) {
        double x = hz * zw[iz];
        if (iz == 0) {
            double y;
            do { x = -log(rng_uniform_pos(r)) / R; y = -log(rng_uniform_pos(r)); } while (y + y < x * x);
            return hz > 0 ? R + x : -R - x;
        }
        if (zf[iz] + rng_uniform(r) * (zf[iz - 1] - zf[iz]) < exp(-0.5 * x * x)) return x;
        uint32_t u;
        rng_bytes(r, &u, sizeof u);
        hz = zig_hz(u); iz = (int)(u & 127);
        if (fabs((double)hz) < zk[iz]) return hz * zw[iz];
    }
}

void nn_add_gaussian(float *v, size_t n, double sd, Rng *r)
{
    if (!zready) zig_init();
    uint32_t buf[1024];
    size_t i = 0;
    while (i < n) {
        size_t k = n - i < 1024 ? n - i : 1024;
        rng_bytes(r, buf, k * sizeof *buf);
        for (size_t j = 0; j < k; j++, i++) {
            int32_t hz = zig_hz(buf[j]);
            int iz = (int)(buf[j] & 127);
            double z = fabs((double)hz) < zk[iz] ? hz * zw[iz] : zig_slow(hz, iz, r);
            v[i] += (float)(sd * z);
        }
    }
}

/* --- steps and epochs ------------------------------------------------------------------ */

int nn_train_step(NnModel *m, const float *x, const float *y, int B, int nclasses,
                  const NnTrainCfg *cfg, double expected_batch, Rng *r,
                  double *loss_sum, long *correct, RtErr *err)
{
    bool dp = cfg->clip > 0;
    if (nn_backprop(m, x, y, B, nclasses, cfg->loss, dp ? cfg->clip : 0, NULL, r,
                    loss_sum, correct, err) < 0)
        return -1;
    if (dp) {
        size_t n = m->net->nparams;
        nn_add_gaussian(m->g, n, cfg->noise * cfg->clip, r);
        float inv = (float)(1.0 / expected_batch);
        for (size_t i = 0; i < n; i++) m->g[i] *= inv;
    }
    nn_opt_step(m, cfg);
    return 0;
}

/* Per-example shape of a data tensor whose first dimension counts examples:
** n × d → d; n × h × w → h·w (flattened); n × c × h × w → c × h × w. */
static int example_shape(const Tn *x, int *nd, int *s, RtErr *err)
{
    if (x->ndim == 2) { *nd = 1; s[0] = x->shape[1]; return 0; }
    if (x->ndim == 3) { *nd = 1; s[0] = x->shape[1] * x->shape[2]; return 0; }
    if (x->ndim == 4) { *nd = 3; s[0] = x->shape[1]; s[1] = x->shape[2]; s[2] = x->shape[3]; return 0; }
    rt_err(err, RT_EINVAL, "data must be n × features or n × c × h × w, got %d dimensions", x->ndim);
    return -1;
}

static int check_data(const Tn *x, const Tn *y, RtErr *err)
{
    if (x->ndim < 2 || x->shape[0] < 1) {
        rt_err(err, RT_EINVAL, "data must have at least one example");
        return -1;
    }
    if (y && (long)y->size != x->shape[0]) {
        rt_err(err, RT_EINVAL, "%d examples but %zu labels", x->shape[0], y->size);
        return -1;
    }
    return 0;
}

static void gather(const Tn *x, const Tn *y, const int *idx, int B, size_t d, float *xb, float *yb)
{
    for (int i = 0; i < B; i++) {
        memcpy(xb + (size_t)i * d, x->data + (size_t)idx[i] * d, d * sizeof(float));
        yb[i] = y->data[idx[i]];
    }
}

int nn_train_epoch(NnModel *m, const Tn *x, const Tn *y, int nclasses,
                   const NnTrainCfg *cfg, Rng *r, NnTick tick, void *ctx,
                   NnEpochStats *st, RtErr *err)
{
    *st = (NnEpochStats){ .loss = NAN, .accuracy = NAN };
    if (check_data(x, y, err) < 0) return -1;
    int nd, s[3], n = x->shape[0];
    if (example_shape(x, &nd, s, err) < 0) return -1;
    if (cfg->batch < 1) { rt_err(err, RT_EINVAL, "batch size must be positive"); return -1; }
    int batch = cfg->batch < n ? cfg->batch : n;
    bool dp = cfg->clip > 0, poisson = dp && !cfg->shuffle;
    double q = (double)batch / n;
    /* room for a Poisson batch far above its mean (grown if ever exceeded) */
    int cap = poisson ? (int)(batch + 6 * sqrt(batch) + 16) : batch;
    if (cap > n) cap = n;
    if (nn_bind(m, nd, s, cap, err) < 0) return -1;
    size_t d = x->size / (size_t)n;
    float *xb = xmalloc((size_t)cap * d * sizeof(float)), *yb = xmalloc((size_t)cap * sizeof(float));
    int *idx = xmalloc((size_t)n * sizeof(int));
    long steps = poisson ? lround((double)n / batch) : (n + batch - 1) / batch;
    if (steps < 1) steps = 1;
    double lsum = 0; long ok = 0, seen = 0;
    int rc = 0;
    if (!poisson)
        for (int i = 0; i < n; i++) idx[i] = i;
    for (long step = 0; step < steps; step++) {
        int B;
        const int *sel;
        if (!poisson) {
            if (step == 0)      /* Fisher–Yates */
                for (int i = n - 1; i > 0; i--) {
                    int j = (int)rng_below(r, (uint64_t)i + 1), t = idx[i];
                    idx[i] = idx[j]; idx[j] = t;
                }
            int lo = (int)(step * batch);
            B = n - lo < batch ? n - lo : batch;
            sel = idx + lo;
        } else {
            /* Poisson sampling by geometric gaps between selected examples. */
            B = 0;
            if (q >= 1) { for (int i = 0; i < n; i++) idx[B++] = i; }
            else {
                double lq = log1p(-q);
                for (long i = -1;;) {
                    i += 1 + (long)floor(log(rng_uniform_pos(r)) / lq);
                    if (i >= n) break;
                    idx[B++] = (int)i;
                }
            }
            sel = idx;
            if (B > cap) {
                cap = B;
                free(xb); free(yb);
                xb = xmalloc((size_t)cap * d * sizeof(float));
                yb = xmalloc((size_t)cap * sizeof(float));
            }
        }
        gather(x, y, sel, B, d, xb, yb);
        double ls = 0; long c = 0;
        if (nn_train_step(m, xb, yb, B, nclasses, cfg, poisson ? q * n : B, r, &ls, &c, err) < 0) {
            rc = -1;
            break;
        }
        lsum += ls; ok += c; seen += B;
        st->steps = step + 1;
        if (tick && !tick(ctx, step + 1, steps, seen ? lsum / seen : 0)) { st->stopped = true; break; }
    }
    st->seen = seen;
    if (seen) {
        st->loss = lsum / seen;
        st->accuracy = nclasses ? (double)ok / seen : NAN;
    }
    free(xb); free(yb); free(idx);
    return rc;
}

int nn_evaluate(NnModel *m, const Tn *x, const Tn *y, int nclasses, NnLoss loss,
                double *loss_out, double *acc_out, RtErr *err)
{
    if (check_data(x, y, err) < 0) return -1;
    int nd, s[3], n = x->shape[0];
    if (example_shape(x, &nd, s, err) < 0) return -1;
    int chunk = n < 256 ? n : 256;
    if (nn_bind(m, nd, s, chunk, err) < 0) return -1;
    size_t d = x->size / (size_t)n;
    double lsum = 0; long ok = 0;
    for (int lo = 0; lo < n; lo += chunk) {
        int B = n - lo < chunk ? n - lo : chunk;
        double ls; long c;
        if (nn_loss_eval(m, x->data + (size_t)lo * d, y->data + lo, B, nclasses, loss, &ls, &c, err) < 0)
            return -1;
        lsum += ls; ok += c;
    }
    *loss_out = lsum / n;
    *acc_out = nclasses ? (double)ok / n : NAN;
    return 0;
}

Tn *nn_predict(NnModel *m, const Tn *x, RtErr *err)
{
    int nd, s[3], n;
    bool single = x->ndim == 1;
    if (single) { nd = 1; s[0] = (int)x->size; n = 1; }
    else {
        if (check_data(x, NULL, err) < 0 || example_shape(x, &nd, s, err) < 0) return NULL;
        n = x->shape[0];
    }
    int chunk = n < 256 ? n : 256;
    if (nn_bind(m, nd, s, chunk, err) < 0) return NULL;
    int k = nn_out_width(m), osh[2] = { n, k };
    if (!single && tn_shape_check(2, osh, err) < 0) return NULL;
    Tn *out = single ? tn_new(1, (int[]){ k }) : tn_new(2, osh);
    size_t d = single ? x->size : x->size / (size_t)n;
    for (int lo = 0; lo < n; lo += chunk) {
        int B = n - lo < chunk ? n - lo : chunk;
        const float *o = nn_forward(m, x->data + (size_t)lo * d, B, false, NULL);
        memcpy(out->data + (size_t)lo * k, o, (size_t)B * k * sizeof(float));
    }
    return out;
}
