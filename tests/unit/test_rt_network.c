/*
** test_rt_network.c — the nn runtime: polynomial fits, backpropagation of every layer and
** loss against central finite differences, ghost-clipping norms against brute-force
** per-example gradients, optimisers, training to convergence, the DP-SGD step and its
** Gaussian noise, the model file (round trip, truncation, corruption), shape errors.
*/
#include "tu.h"
#include "network.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

static RtErr err;

#define L_DENSE(i, o)   ((NnLayer){ .kind = NN_DENSE, .in = (i), .out = (o) })
#define L_CONV(i_, o_, k_, s_, p_) ((NnLayer){ .kind = NN_CONV2D, .in = (i_), .out = (o_), .k = (k_), .stride = (s_), .pad = (p_) })
#define L_POOL(k_)      ((NnLayer){ .kind = NN_MAXPOOL2D, .k = (k_) })
#define L_(kind_)       ((NnLayer){ .kind = (kind_) })
#define L_DROP(p_)      ((NnLayer){ .kind = NN_DROPOUT, .p = (p_) })
#define L_TAYLOR(kind_, d) ((NnLayer){ .kind = (kind_), .approx = { .kind = NN_APPROX_TAYLOR, .degree = (d) } })
#define L_INTERP(kind_, d, a, b) ((NnLayer){ .kind = (kind_), .approx = { .kind = NN_APPROX_INTERVAL, .degree = (d), .lo = (a), .hi = (b) } })

static NnModel *make(const NnLayer *ls, int n, uint64_t seed)
{
    NnNet *net = nn_net_new("t", n, ls, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(net);
    Rng r; rng_seed(&r, seed);
    NnModel *m = nn_model_new(net, &r);
    nn_net_free(net);
    return m;
}

static void fill(float *x, size_t n, Rng *r, double sd)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)(sd * rng_normal(r));
}

/* --- polynomials ----------------------------------------------------------------------- */

static void poly_taylor_coefficients(void)
{
    double c[8];
    CU_ASSERT_EQUAL(nn_poly_fit_taylor(NN_FN_SIGMOID, 7, c), 0);
    TU_NEAR(c[0], 0.5, 1e-15); TU_NEAR(c[1], 0.25, 1e-15); TU_NEAR(c[2], 0, 1e-15);
    TU_NEAR(c[3], -1.0 / 48, 1e-15); TU_NEAR(c[5], 1.0 / 480, 1e-15);
    TU_NEAR(c[7], -17.0 / 80640, 1e-15);
    CU_ASSERT_EQUAL(nn_poly_fit_taylor(NN_FN_TANH, 5, c), 0);
    TU_NEAR(c[0], 0, 1e-15); TU_NEAR(c[1], 1, 1e-15); TU_NEAR(c[3], -1.0 / 3, 1e-15);
    TU_NEAR(c[5], 2.0 / 15, 1e-15);
    CU_ASSERT_EQUAL(nn_poly_fit_taylor(NN_FN_TANH, 0, c), -1);
    CU_ASSERT_EQUAL(nn_poly_fit_taylor(NN_FN_TANH, NN_MAXDEG + 1, c), -1);
    /* near 0 the Taylor polynomial is accurate */
    CU_ASSERT_EQUAL(nn_poly_fit_taylor(NN_FN_SIGMOID, 7, c), 0);
    TU_NEAR(nn_poly_eval(c, 7, 0.3), nn_fn_exact(NN_FN_SIGMOID, 0.3), 1e-8);
}

static double max_err(NnFn fn, const double *c, int d, double lo, double hi)
{
    double e = 0;
    for (int i = 0; i <= 1000; i++) {
        double x = lo + (hi - lo) * i / 1000;
        double v = fabs(nn_poly_eval(c, d, x) - nn_fn_exact(fn, x));
        if (v > e) e = v;
    }
    return e;
}

static void poly_interval_fit(void)
{
    double c3[4], c7[8], c15[16];
    CU_ASSERT_EQUAL(nn_poly_fit_interval(NN_FN_SIGMOID, 3, -6, 6, c3), 0);
    CU_ASSERT_EQUAL(nn_poly_fit_interval(NN_FN_SIGMOID, 7, -6, 6, c7), 0);
    CU_ASSERT_EQUAL(nn_poly_fit_interval(NN_FN_SIGMOID, 15, -6, 6, c15), 0);
    double e3 = max_err(NN_FN_SIGMOID, c3, 3, -6, 6), e7 = max_err(NN_FN_SIGMOID, c7, 7, -6, 6);
    double e15 = max_err(NN_FN_SIGMOID, c15, 15, -6, 6);
    CU_ASSERT(e3 < 0.09);      /* cf. 0.5 + 0.197x - 0.004x³, the classic fit */
    CU_ASSERT(e7 < 0.012);
    CU_ASSERT(e15 < 5e-4);
    CU_ASSERT(e15 < e7 && e7 < e3);
    /* sigmoid - 1/2 is odd: the even coefficients above 0 vanish */
    TU_NEAR(c7[0], 0.5, 1e-12); TU_NEAR(c7[2], 0, 1e-12); TU_NEAR(c7[4], 0, 1e-12);
    /* an off-centre interval goes through the same nodes */
    double ct[6];
    CU_ASSERT_EQUAL(nn_poly_fit_interval(NN_FN_TANH, 5, 0, 3, ct), 0);
    CU_ASSERT(max_err(NN_FN_TANH, ct, 5, 0, 3) < 0.01);
    /* Taylor is bad far from 0, interpolation is not */
    double tl[4]; nn_poly_fit_taylor(NN_FN_SIGMOID, 3, tl);
    CU_ASSERT(max_err(NN_FN_SIGMOID, tl, 3, -6, 6) > 1.0);
    CU_ASSERT_EQUAL(nn_poly_fit_interval(NN_FN_SIGMOID, 3, 2, 2, c3), -1);
    TU_NEAR(nn_poly_eval((double[]){ 1, 2, 3 }, 2, 2.0), 17, 0);
}

/* --- finite differences ------------------------------------------------------------------ */

/* Mean loss of the batch with the generator reseeded (dropout masks repeat). */
static double loss_at(NnModel *m, const float *x, const float *y, int B, int nc, NnLoss loss)
{
    Rng r; rng_seed(&r, 99);
    double ls = 0;
    CU_ASSERT_EQUAL(nn_backprop(m, x, y, B, nc, loss, 0, NULL, &r, &ls, NULL, &err), 0);
    return ls / B;
}

/* Compares the analytic gradient with central differences on up to 150 parameters,
** spread over every layer.  Returns the number of parameters checked. */
static int gradcheck(const NnLayer *ls, int nl, int nd, const int *shape, int B, int nc, NnLoss loss)
{
    NnModel *m = make(ls, nl, 5);
    CU_ASSERT_EQUAL_FATAL(nn_bind(m, nd, shape, B, &err), 0);
    int d = nd == 1 ? shape[0] : shape[0] * shape[1] * shape[2];
    float *x = malloc(sizeof(float) * B * d), y[16];
    Rng r; rng_seed(&r, 11);
    fill(x, (size_t)B * d, &r, 1.0);
    int k = nn_out_width(m);
    for (int i = 0; i < B; i++)
        y[i] = (loss == NN_LOSS_BCE && k == 1) ? (float)(i % 2)
             : (nc ? (float)(i % nc) : (float)rng_normal(&r));
    Rng r2; rng_seed(&r2, 99);
    CU_ASSERT_EQUAL(nn_backprop(m, x, y, B, nc, loss, 0, NULL, &r2, NULL, NULL, &err), 0);
    size_t np = m->net->nparams;
    float *g = malloc(sizeof(float) * np);
    memcpy(g, m->g, sizeof(float) * np);
    size_t stride = np > 150 ? np / 150 : 1;
    int checked = 0, bad = 0;
    for (size_t i = 0; i < np; i += stride) {
        float w0 = m->w[i], h = 1e-3f;
        m->w[i] = w0 + h; double lp = loss_at(m, x, y, B, nc, loss);
        m->w[i] = w0 - h; double lm = loss_at(m, x, y, B, nc, loss);
        m->w[i] = w0;
        double fd = (lp - lm) / (2 * h);
        double tol = 2e-3 + 2e-2 * fabs(fd);
        if (fabs(fd - g[i]) > tol) {
            if (bad++ < 5) fprintf(stderr, "  param %zu: analytic %g, numeric %g\n", i, g[i], fd);
        }
        checked++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(g); free(x);
    nn_model_free(m);
    return checked;
}

static void grad_dense_relu_softmax_ce(void)
{
    NnLayer ls[] = { L_DENSE(5, 7), L_(NN_RELU), L_DENSE(7, 4), L_(NN_SOFTMAX) };
    CU_ASSERT(gradcheck(ls, 4, 1, (int[]){ 5 }, 6, 4, NN_LOSS_CE) > 50);
}

static void grad_dense_logits_ce_and_mse(void)
{
    NnLayer ls[] = { L_DENSE(5, 6), L_(NN_TANH), L_DENSE(6, 3) };
    gradcheck(ls, 3, 1, (int[]){ 5 }, 5, 3, NN_LOSS_CE);
    gradcheck(ls, 3, 1, (int[]){ 5 }, 5, 3, NN_LOSS_MSE);
    NnLayer reg[] = { L_DENSE(4, 5), L_(NN_SIGMOID), L_DENSE(5, 1) };
    gradcheck(reg, 3, 1, (int[]){ 4 }, 5, 0, NN_LOSS_MSE);
}

static void grad_sigmoid_bce(void)
{
    NnLayer ls[] = { L_DENSE(4, 5), L_(NN_SIGMOID), L_DENSE(5, 1), L_(NN_SIGMOID) };
    gradcheck(ls, 4, 1, (int[]){ 4 }, 6, 2, NN_LOSS_BCE);
    NnLayer logit[] = { L_DENSE(4, 5), L_(NN_RELU), L_DENSE(5, 1) };
    gradcheck(logit, 3, 1, (int[]){ 4 }, 6, 2, NN_LOSS_BCE);
}

static void grad_polynomial_activations(void)
{
    NnLayer ls[] = { L_DENSE(4, 5), L_TAYLOR(NN_SIGMOID, 3), L_DENSE(5, 5),
                     L_INTERP(NN_TANH, 5, -4, 4), L_DENSE(5, 1),
                     L_INTERP(NN_SIGMOID, 7, -6, 6) };
    gradcheck(ls, 6, 1, (int[]){ 4 }, 6, 2, NN_LOSS_BCE);
    gradcheck(ls, 6, 1, (int[]){ 4 }, 6, 2, NN_LOSS_MSE);
}

static void grad_softmax_inside(void)
{
    NnLayer ls[] = { L_DENSE(4, 5), L_(NN_SOFTMAX), L_DENSE(5, 3) };
    gradcheck(ls, 3, 1, (int[]){ 4 }, 5, 3, NN_LOSS_MSE);
}

static void grad_dropout(void)
{
    NnLayer ls[] = { L_DENSE(6, 8), L_(NN_RELU), L_DROP(0.4), L_DENSE(8, 3) };
    gradcheck(ls, 4, 1, (int[]){ 6 }, 6, 3, NN_LOSS_CE);
}

static void grad_conv_pool_flatten(void)
{
    NnLayer ls[] = { L_CONV(2, 3, 3, 1, 1), L_(NN_RELU), L_POOL(2), L_(NN_FLATTEN),
                     L_DENSE(3 * 3 * 3, 4) };
    CU_ASSERT(gradcheck(ls, 5, 3, (int[]){ 2, 6, 6 }, 3, 4, NN_LOSS_CE) > 50);
}

static void grad_conv_stack_strided(void)
{
    /* conv above conv exercises col2im; stride 2 without padding, odd sizes */
    NnLayer ls[] = { L_CONV(1, 3, 3, 1, 1), L_(NN_TANH), L_CONV(3, 2, 3, 2, 0), L_(NN_SIGMOID),
                     L_(NN_FLATTEN), L_DENSE(2 * 3 * 3, 3), L_(NN_SOFTMAX) };
    gradcheck(ls, 7, 3, (int[]){ 1, 7, 7 }, 3, 3, NN_LOSS_CE);
    /* a flat 49-vector feeds conv2d(1, ...) as 1 × 7 × 7 */
    gradcheck(ls, 7, 1, (int[]){ 49 }, 2, 3, NN_LOSS_CE);
}

/* --- DP-SGD: ghost norms and clipping ------------------------------------------------------ */

static void check_clipping(const NnLayer *ls, int nl, int nd, const int *shape, int nc)
{
    enum { B = 5 };
    NnModel *m = make(ls, nl, 21);
    CU_ASSERT_EQUAL_FATAL(nn_bind(m, nd, shape, B, &err), 0);
    int d = nd == 1 ? shape[0] : shape[0] * shape[1] * shape[2];
    size_t np = m->net->nparams;
    float *x = malloc(sizeof(float) * B * d), y[B];
    Rng r; rng_seed(&r, 3);
    fill(x, (size_t)B * d, &r, 1.0);
    for (int i = 0; i < B; i++) y[i] = (float)(i % nc);
    float *pe = malloc(sizeof(float) * B * np);
    CU_ASSERT_EQUAL(nn_per_example_grads(m, x, y, B, nc, NN_LOSS_AUTO, pe, &err), 0);
    double want_norm[B];
    for (int i = 0; i < B; i++) {
        double s = 0;
        for (size_t j = 0; j < np; j++) s += (double)pe[i * np + j] * pe[i * np + j];
        want_norm[i] = sqrt(s);
    }
    /* clip at the median-ish norm so that some examples are clipped and some not */
    double C = (want_norm[0] + want_norm[1]) / 2;
    float norms[B];
    CU_ASSERT_EQUAL(nn_backprop(m, x, y, B, nc, NN_LOSS_AUTO, C, norms, NULL, NULL, NULL, &err), 0);
    int clipped = 0;
    for (int i = 0; i < B; i++) {
        TU_NEAR(norms[i], want_norm[i], 1e-4 * want_norm[i] + 1e-6);
        clipped += want_norm[i] > C;
    }
    CU_ASSERT(clipped > 0 && clipped < B);
    double maxdiff = 0;
    for (size_t j = 0; j < np; j++) {
        double s = 0;
        for (int i = 0; i < B; i++) {
            double f = want_norm[i] > C ? C / (want_norm[i] + 1e-6) : 1.0;
            s += f * pe[i * np + j];
        }
        if (fabs(s - m->g[j]) > maxdiff) maxdiff = fabs(s - m->g[j]);
    }
    CU_ASSERT(maxdiff < 1e-4);
    /* the clipped sum's per-example pieces all have norm <= C: the sum is within B·C */
    double gn = 0;
    for (size_t j = 0; j < np; j++) gn += (double)m->g[j] * m->g[j];
    CU_ASSERT(sqrt(gn) <= B * C + 1e-4);
    free(pe); free(x);
    nn_model_free(m);
}

static void ghost_clipping_dense(void)
{
    NnLayer ls[] = { L_DENSE(6, 8), L_(NN_RELU), L_DENSE(8, 8), L_(NN_TANH), L_DENSE(8, 3), L_(NN_SOFTMAX) };
    check_clipping(ls, 6, 1, (int[]){ 6 }, 3);
    NnLayer bin[] = { L_DENSE(6, 4), L_(NN_SIGMOID), L_DENSE(4, 1), L_(NN_SIGMOID) };
    check_clipping(bin, 4, 1, (int[]){ 6 }, 2);
}

static void clipping_conv_materialised(void)
{
    NnLayer ls[] = { L_CONV(1, 3, 3, 1, 1), L_(NN_RELU), L_POOL(2), L_(NN_FLATTEN),
                     L_DENSE(3 * 4 * 4, 5), L_(NN_RELU), L_DENSE(5, 3) };
    check_clipping(ls, 7, 3, (int[]){ 1, 8, 8 }, 3);
}

static void dp_step_without_noise_is_plain_step(void)
{
    /* clip = ∞ and sigma = 0 with expected batch = B: exactly the averaged gradient */
    NnLayer ls[] = { L_DENSE(4, 6), L_(NN_RELU), L_DENSE(6, 3), L_(NN_SOFTMAX) };
    NnModel *a = make(ls, 4, 8), *b = make(ls, 4, 8);
    CU_ASSERT_EQUAL(nn_bind(a, 1, (int[]){ 4 }, 8, &err), 0);
    CU_ASSERT_EQUAL(nn_bind(b, 1, (int[]){ 4 }, 8, &err), 0);
    float x[32], y[8];
    Rng r; rng_seed(&r, 1);
    fill(x, 32, &r, 1);
    for (int i = 0; i < 8; i++) y[i] = (float)(i % 3);
    NnTrainCfg plain, dp;
    nn_train_defaults(&plain); plain.lr = 0.5;
    dp = plain; dp.clip = 1e9; dp.noise = 0;
    CU_ASSERT_EQUAL(nn_train_step(a, x, y, 8, 3, &plain, 8, &r, NULL, NULL, &err), 0);
    CU_ASSERT_EQUAL(nn_train_step(b, x, y, 8, 3, &dp, 8, &r, NULL, NULL, &err), 0);
    double md = 0;
    for (size_t i = 0; i < a->net->nparams; i++) md = fmax(md, fabs(a->w[i] - b->w[i]));
    CU_ASSERT(md < 1e-6);
    /* with noise the update differs by noise·clip/B in size */
    NnModel *c = make(ls, 4, 8);
    CU_ASSERT_EQUAL(nn_bind(c, 1, (int[]){ 4 }, 8, &err), 0);
    dp.clip = 1.0; dp.noise = 1.0;
    CU_ASSERT_EQUAL(nn_train_step(c, x, y, 8, 3, &dp, 8, &r, NULL, NULL, &err), 0);
    md = 0;
    for (size_t i = 0; i < a->net->nparams; i++) md = fmax(md, fabs(a->w[i] - c->w[i]));
    CU_ASSERT(md > 0.01);
    nn_model_free(a); nn_model_free(b); nn_model_free(c);
}

static void gaussian_noise_distribution(void)
{
    enum { N = 2000000 };
    float *v = calloc(N, sizeof(float));
    Rng r; rng_seed(&r, 17);
    nn_add_gaussian(v, N, 2.0, &r);
    double s = 0, s2 = 0, s4 = 0; long t2 = 0, t35 = 0, t4 = 0;
    for (int i = 0; i < N; i++) {
        double z = v[i] / 2.0;
        s += z; s2 += z * z; s4 += z * z * z * z;
        t2 += fabs(z) > 2; t35 += fabs(z) > 3.5; t4 += fabs(z) > 4;
    }
    TU_NEAR(s / N, 0, 0.003);
    TU_NEAR(s2 / N, 1, 0.005);
    TU_NEAR(s4 / N, 3, 0.03);
    /* P(|Z| > 2) = 0.0455003, P(|Z| > 3.5) = 4.6526e-4 (beyond the ziggurat's base
    ** strip: the exact tail sampler), P(|Z| > 4) = 6.334e-5; ±4 standard deviations */
    TU_NEAR((double)t2, 0.0455003 * N, 4 * sqrt(0.0455 * N));
    TU_NEAR((double)t35, 4.6526e-4 * N, 4 * sqrt(4.65e-4 * N));
    TU_NEAR((double)t4, 6.334e-5 * N, 4 * sqrt(6.33e-5 * N) + 1);
    /* seeded noise is reproducible */
    float a[64] = {0}, b[64] = {0};
    Rng r1, r2; rng_seed(&r1, 5); rng_seed(&r2, 5);
    nn_add_gaussian(a, 64, 1, &r1); nn_add_gaussian(b, 64, 1, &r2);
    CU_ASSERT(memcmp(a, b, sizeof a) == 0);
    free(v);
}

/* --- optimisers -------------------------------------------------------------------------- */

static void optimisers(void)
{
    NnLayer ls[] = { L_DENSE(2, 1) };
    NnModel *m = make(ls, 1, 1);
    NnTrainCfg c; nn_train_defaults(&c);
    float w0[3]; memcpy(w0, m->w, sizeof w0);
    float g[3] = { 1, -2, 0.5f };
    memcpy(m->g, g, sizeof g);
    c.lr = 0.1;
    nn_opt_step(m, &c);
    for (int i = 0; i < 3; i++) TU_NEAR(m->w[i], w0[i] - 0.1 * g[i], 1e-6);
    /* momentum: v1 = g, v2 = 0.9 g + g */
    memcpy(m->w, w0, sizeof w0);
    c.opt = NN_OPT_MOMENTUM;
    memcpy(m->g, g, sizeof g); nn_opt_step(m, &c);
    memcpy(m->g, g, sizeof g); nn_opt_step(m, &c);
    for (int i = 0; i < 3; i++) TU_NEAR(m->w[i], w0[i] - 0.1 * g[i] - 0.1 * 1.9 * g[i], 1e-5);
    /* Adam: the first step moves each weight by lr·sign(g) */
    memcpy(m->w, w0, sizeof w0);
    c.opt = NN_OPT_ADAM; c.lr = 0.01;
    memcpy(m->g, g, sizeof g); nn_opt_step(m, &c);
    for (int i = 0; i < 3; i++) TU_NEAR(m->w[i], w0[i] - 0.01 * (g[i] > 0 ? 1 : -1), 1e-6);
    CU_ASSERT_EQUAL(m->t, 1);
    nn_model_free(m);
}

/* --- training --------------------------------------------------------------------------- */

/* Three Gaussian blobs in 4-D, n examples. */
static void blobs(Tn **x, Tn **y, int n, uint64_t seed)
{
    *x = tn_new(2, (int[]){ n, 4 });
    *y = tn_new(1, (int[]){ n });
    Rng r; rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int c = i % 3;
        (*y)->data[i] = (float)c;
        for (int j = 0; j < 4; j++)
            (*x)->data[i * 4 + j] = (float)((j == c ? 2.5 : 0) + rng_normal(&r));
    }
}

static bool count_ticks(void *ctx, long step, long nsteps, double loss)
{
    (void)loss;
    long *t = ctx;
    t[0]++; t[1] = nsteps;
    CU_ASSERT(step <= nsteps);
    return true;
}

static bool stop_at_3(void *ctx, long step, long nsteps, double loss)
{
    (void)ctx; (void)nsteps; (void)loss;
    return step < 3;
}

static void train_blobs_all_optimisers(void)
{
    Tn *x, *y, *tx, *ty;
    blobs(&x, &y, 600, 1); blobs(&tx, &ty, 300, 2);
    NnLayer ls[] = { L_DENSE(4, 16), L_(NN_RELU), L_DENSE(16, 3), L_(NN_SOFTMAX) };
    for (int o = 0; o < 3; o++) {
        NnModel *m = make(ls, 4, 4);
        NnTrainCfg c; nn_train_defaults(&c);
        c.opt = (NnOpt)o; c.lr = o == NN_OPT_ADAM ? 0.01 : 0.05; c.batch = 32;
        Rng r; rng_seed(&r, 9);
        NnEpochStats st;
        long ticks[2] = {0};
        double first = 0;
        for (int e = 0; e < 10; e++) {
            CU_ASSERT_EQUAL(nn_train_epoch(m, x, y, 3, &c, &r, count_ticks, ticks, &st, &err), 0);
            if (e == 0) first = st.loss;
        }
        CU_ASSERT_EQUAL(ticks[0], 10 * 19);     /* ceil(600 / 32) steps an epoch */
        CU_ASSERT_EQUAL(st.seen, 600);
        CU_ASSERT(st.loss < first);
        double loss, acc;
        CU_ASSERT_EQUAL(nn_evaluate(m, tx, ty, 3, NN_LOSS_AUTO, &loss, &acc, &err), 0);
        CU_ASSERT(acc > 0.9);
        nn_model_free(m);
    }
    tn_free(x); tn_free(y); tn_free(tx); tn_free(ty);
}

static void train_xor_sigmoid_bce(void)
{
    Tn *x = tn_new(2, (int[]){ 4, 2 }), *y = tn_new(1, (int[]){ 4 });
    float xs[] = { 0, 0, 0, 1, 1, 0, 1, 1 }, ys[] = { 0, 1, 1, 0 };
    memcpy(x->data, xs, sizeof xs); memcpy(y->data, ys, sizeof ys);
    NnLayer ls[] = { L_DENSE(2, 8), L_(NN_TANH), L_DENSE(8, 1), L_(NN_SIGMOID) };
    NnModel *m = make(ls, 4, 2);
    NnTrainCfg c; nn_train_defaults(&c);
    c.opt = NN_OPT_ADAM; c.lr = 0.05; c.batch = 4;
    Rng r; rng_seed(&r, 1);
    NnEpochStats st;
    for (int e = 0; e < 500; e++) CU_ASSERT_EQUAL_FATAL(nn_train_epoch(m, x, y, 2, &c, &r, NULL, NULL, &st, &err), 0);
    double loss, acc;
    CU_ASSERT_EQUAL(nn_evaluate(m, x, y, 2, NN_LOSS_AUTO, &loss, &acc, &err), 0);
    TU_NEAR(acc, 1.0, 0);
    CU_ASSERT(loss < 0.05);
    Tn *p = nn_predict(m, x, &err);
    CU_ASSERT_EQUAL(p->ndim, 2); CU_ASSERT_EQUAL(p->shape[0], 4); CU_ASSERT_EQUAL(p->shape[1], 1);
    CU_ASSERT(p->data[0] < 0.5 && p->data[1] > 0.5 && p->data[2] > 0.5 && p->data[3] < 0.5);
    tn_free(p);
    /* one example as a vector */
    Tn *one = tn_new(1, (int[]){ 2 });
    one->data[0] = 1;
    p = nn_predict(m, one, &err);
    CU_ASSERT_EQUAL(p->ndim, 1); CU_ASSERT(p->data[0] > 0.5);
    tn_free(p); tn_free(one);
    nn_model_free(m); tn_free(x); tn_free(y);
}

static void train_dp_poisson(void)
{
    Tn *x, *y, *tx, *ty;
    blobs(&x, &y, 1200, 3); blobs(&tx, &ty, 300, 4);
    NnLayer ls[] = { L_DENSE(4, 16), L_(NN_RELU), L_DENSE(16, 3), L_(NN_SOFTMAX) };
    NnModel *m = make(ls, 4, 4);
    NnTrainCfg c; nn_train_defaults(&c);
    c.lr = 0.5; c.batch = 60; c.clip = 1.0; c.noise = 1.0;
    Rng r; rng_seed(&r, 9);
    NnEpochStats st;
    long seen = 0, ticks[2] = {0};
    for (int e = 0; e < 10; e++) {
        CU_ASSERT_EQUAL(nn_train_epoch(m, x, y, 3, &c, &r, count_ticks, ticks, &st, &err), 0);
        CU_ASSERT_EQUAL(st.steps, 20);          /* n / batch Poisson steps */
        seen += st.seen;
    }
    CU_ASSERT_EQUAL(ticks[1], 20);
    /* Poisson batches: 200 steps of mean 60, sd sqrt(60·0.95) each */
    TU_NEAR((double)seen, 12000, 4 * sqrt(200 * 60 * 0.95));
    double loss, acc;
    CU_ASSERT_EQUAL(nn_evaluate(m, tx, ty, 3, NN_LOSS_AUTO, &loss, &acc, &err), 0);
    CU_ASSERT(acc > 0.85);
    /* stopping early keeps the weights of the last finished step */
    CU_ASSERT_EQUAL(nn_train_epoch(m, x, y, 3, &c, &r, stop_at_3, NULL, &st, &err), 0);
    CU_ASSERT(st.stopped); CU_ASSERT_EQUAL(st.steps, 3);
    nn_model_free(m);
    tn_free(x); tn_free(y); tn_free(tx); tn_free(ty);
}

static void train_cnn_small(void)
{
    /* 1 × 8 × 8 images: a vertical or a horizontal bar, noisy */
    int n = 200;
    Tn *x = tn_new(4, (int[]){ n, 1, 8, 8 }), *y = tn_new(1, (int[]){ n });
    Rng r; rng_seed(&r, 5);
    for (int i = 0; i < n; i++) {
        int c = i % 2, pos = 1 + (int)rng_below(&r, 6);
        y->data[i] = (float)c;
        for (int p = 0; p < 64; p++) x->data[i * 64 + p] = (float)(0.3 * rng_normal(&r));
        for (int t = 0; t < 8; t++) x->data[i * 64 + (c ? pos * 8 + t : t * 8 + pos)] += 1.0f;
    }
    NnLayer ls[] = { L_CONV(1, 4, 3, 1, 1), L_(NN_RELU), L_POOL(2), L_(NN_FLATTEN),
                     L_DENSE(4 * 4 * 4, 2), L_(NN_SOFTMAX) };
    NnModel *m = make(ls, 6, 3);
    NnTrainCfg c; nn_train_defaults(&c);
    c.opt = NN_OPT_ADAM; c.lr = 0.01; c.batch = 20;
    NnEpochStats st;
    for (int e = 0; e < 15; e++) CU_ASSERT_EQUAL(nn_train_epoch(m, x, y, 2, &c, &r, NULL, NULL, &st, &err), 0);
    double loss, acc;
    CU_ASSERT_EQUAL(nn_evaluate(m, x, y, 2, NN_LOSS_AUTO, &loss, &acc, &err), 0);
    CU_ASSERT(acc > 0.95);
    nn_model_free(m); tn_free(x); tn_free(y);
}

/* --- errors ------------------------------------------------------------------------------ */

static void shape_and_label_errors(void)
{
    NnLayer ls[] = { L_DENSE(784, 10), L_(NN_SOFTMAX) };
    NnModel *m = make(ls, 2, 1);
    CU_ASSERT_EQUAL(nn_bind(m, 1, (int[]){ 10 }, 4, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 1, dense(784, 10): expects 784 inputs per example, got 10");
    /* a 1×28×28 image is 784 values: accepted by dense */
    CU_ASSERT_EQUAL(nn_bind(m, 3, (int[]){ 1, 28, 28 }, 4, &err), 0);
    float x[784 * 2] = {0}, y[2] = { 3, 12 };
    CU_ASSERT_EQUAL(nn_backprop(m, x, y, 2, 10, NN_LOSS_AUTO, 0, NULL, NULL, NULL, NULL, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "label 12 is not a class index 0..9 of the network's 10 outputs");
    nn_model_free(m);
    NnLayer cv[] = { L_CONV(3, 4, 3, 1, 0), L_POOL(2) };
    m = make(cv, 2, 1);
    CU_ASSERT_EQUAL(nn_bind(m, 3, (int[]){ 1, 8, 8 }, 4, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 1, conv2d(3, 4, 3): expects 3 input channels, got 1×8×8");
    CU_ASSERT_EQUAL(nn_bind(m, 1, (int[]){ 10 }, 4, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 1, conv2d(3, 4, 3): expects 3-channel images, got vectors of 10");
    nn_model_free(m);
    NnLayer bad[] = { L_DENSE(0, 3) };
    CU_ASSERT_PTR_NULL(nn_net_new("b", 1, bad, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 1 (dense): dense sizes must be positive");
    NnLayer bd[] = { L_DROP(1.0) };
    CU_ASSERT_PTR_NULL(nn_net_new("b", 1, bd, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 1 (dropout): dropout probability must be in [0, 1)");
    NnLayer bp[] = { L_TAYLOR(NN_SIGMOID, 40) };
    CU_ASSERT_PTR_NULL(nn_net_new("b", 1, bp, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 1 (sigmoid): polynomial degree must be 1..31, got 40");
    /* sizes are limited before anything is allocated (a model file's layers too) */
    NnLayer huge[] = { L_DENSE(1000000, 1000000) };
    CU_ASSERT_PTR_NULL(nn_net_new("b", 1, huge, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 1 (dense(1000000, 1000000)): the network would have more "
                           "than 67108864 parameters (the limit); use fewer or smaller layers");
    NnLayer pad[] = { L_CONV(1, 1, 1, 1, 5000) };
    CU_ASSERT_PTR_NULL(nn_net_new("b", 1, pad, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 1 (conv2d): conv2d padding must be at most 1000");
    NnLayer wide[] = { L_CONV(1, 2000000, 1, 1, 0) };
    CU_ASSERT_PTR_NULL(nn_net_new("b", 1, wide, &err));
    /* out·h·w is counted in 64 bits: 65536 × 256 × 256 = 2^32 would wrap an int to 0 */
    NnLayer big[] = { L_CONV(1, 65536, 1, 1, 0) };
    m = make(big, 1, 1);
    CU_ASSERT_EQUAL(nn_bind(m, 3, (int[]){ 1, 256, 256 }, 1, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 1, conv2d(1, 65536, 1): its output would have 4294967296 "
                           "elements, more than the limit of 1073741824");
    /* and a batch of activations within the limit one by one but not together */
    CU_ASSERT_EQUAL(nn_bind(m, 3, (int[]){ 1, 64, 64 }, 1, &err), 0);
    CU_ASSERT_EQUAL(nn_bind(m, 3, (int[]){ 1, 64, 64 }, 4096, &err), -1);
    nn_model_free(m);
}

static void layout_and_weights(void)
{
    NnLayer ls[] = { L_CONV(1, 2, 3, 1, 0), L_(NN_FLATTEN), L_DENSE(8, 3) };
    NnModel *m = make(ls, 3, 1);
    CU_ASSERT_EQUAL(m->net->nparams, 2 * 9 + 2 + 8 * 3 + 3);
    Tn *w = nn_model_weight(m, 0);
    CU_ASSERT_EQUAL(w->ndim, 4); CU_ASSERT_EQUAL(w->shape[0], 2); CU_ASSERT_EQUAL(w->shape[3], 3);
    Tn *w2 = nn_model_weight(m, 2);
    CU_ASSERT_EQUAL(w2->ndim, 2); CU_ASSERT_EQUAL(w2->shape[0], 8); CU_ASSERT_EQUAL(w2->shape[1], 3);
    CU_ASSERT_PTR_NULL(nn_model_weight(m, 1));
    for (size_t i = 0; i < w2->size; i++) w2->data[i] = (float)i;
    CU_ASSERT_EQUAL(nn_model_set_weight(m, 2, w2, &err), 0);
    CU_ASSERT_EQUAL(m->w[m->net->layer[2].woff + 5], 5.0f);
    CU_ASSERT_EQUAL(nn_model_set_weight(m, 2, w, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "layer 3 (dense): weight needs 24 values, got 18");
    Tn *b = nn_model_bias(m, 2);
    CU_ASSERT_EQUAL(b->size, 3); CU_ASSERT_EQUAL(b->data[0], 0.0f);
    Sb s; sb_init(&s);
    nn_layer_show(&m->net->layer[0], &s);
    CU_ASSERT_STRING_EQUAL(s.s, "conv2d(1, 2, 3)");
    sb_free(&s);
    tn_free(w); tn_free(w2); tn_free(b);
    nn_model_free(m);
}

/* --- model files -------------------------------------------------------------------------- */

static int count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void save_load_roundtrip(void)
{
    char dir[] = "/tmp/ppdl_nn_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[128]; snprintf(path, sizeof path, "%s/m.ppdlm", dir);
    NnLayer ls[] = { L_CONV(1, 2, 3, 2, 1), L_(NN_RELU), L_POOL(2), L_(NN_FLATTEN), L_DROP(0.25),
                     L_DENSE(8, 5), L_INTERP(NN_TANH, 5, -3, 3), L_DENSE(5, 4),
                     L_TAYLOR(NN_SIGMOID, 3), L_DENSE(4, 3), L_(NN_SOFTMAX) };
    NnModel *m = make(ls, 11, 7);
    CU_ASSERT_EQUAL(nn_save(m, path, &err), 0);
    CU_ASSERT_EQUAL(count_tmp(dir), 0);
    NnModel *l = nn_load(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_EQUAL(l->net->n, 11);
    CU_ASSERT_STRING_EQUAL(l->net->name, "t");
    CU_ASSERT(memcmp(l->w, m->w, m->net->nparams * sizeof(float)) == 0);
    CU_ASSERT_EQUAL(l->net->layer[6].approx.kind, NN_APPROX_INTERVAL);
    TU_NEAR(l->net->layer[6].approx.coef[1], m->net->layer[6].approx.coef[1], 0);
    CU_ASSERT_EQUAL(l->net->layer[0].stride, 2);
    Tn *x = tn_new(4, (int[]){ 2, 1, 8, 8 });
    for (size_t i = 0; i < x->size; i++) x->data[i] = (float)sin((double)i);
    Tn *pa = nn_predict(m, x, &err), *pb = nn_predict(l, x, &err);
    CU_ASSERT(memcmp(pa->data, pb->data, pa->size * sizeof(float)) == 0);
    tn_free(pa); tn_free(pb); tn_free(x);
    nn_model_free(l);

    /* truncated: cut the file in the middle of the weights */
    FILE *f = fopen(path, "rb"); fseek(f, 0, SEEK_END); long size = ftell(f); fclose(f);
    CU_ASSERT_EQUAL(truncate(path, size - 40), 0);
    CU_ASSERT_PTR_NULL(nn_load(path, &err));
    CU_ASSERT(strstr(err.msg, path) != NULL);
    CU_ASSERT(strstr(err.msg, "truncated") != NULL);
    /* corrupt: flip one weight byte */
    CU_ASSERT_EQUAL(nn_save(m, path, &err), 0);
    f = fopen(path, "r+b"); fseek(f, size - 30, SEEK_SET); int ch = fgetc(f);
    fseek(f, size - 30, SEEK_SET); fputc(ch ^ 0x40, f); fclose(f);
    CU_ASSERT_PTR_NULL(nn_load(path, &err));
    CU_ASSERT(strstr(err.msg, "checksum mismatch") != NULL);
    /* not a model at all */
    f = fopen(path, "wb"); fputs("hello\n", f); fclose(f);
    CU_ASSERT_PTR_NULL(nn_load(path, &err));
    char want[256]; snprintf(want, sizeof want, "model file '%s': not a ppdl model file (no 'ppdl-model 1' header)", path);
    CU_ASSERT_STRING_EQUAL(err.msg, want);
    /* a missing file and an unwritable directory */
    unlink(path);
    CU_ASSERT_PTR_NULL(nn_load(path, &err));
    CU_ASSERT(strstr(err.msg, "No such file") != NULL);
    CU_ASSERT_EQUAL(nn_save(m, "/nonexistent-dir/m.ppdlm", &err), -1);
    CU_ASSERT(strstr(err.msg, "cannot write '/nonexistent-dir/m.ppdlm'") != NULL);
    CU_ASSERT_EQUAL(count_tmp(dir), 0);
    rmdir(dir);
    nn_model_free(m);
}

int main(void)
{
    static const TU_Test tests[] = {
        { "poly_taylor_coefficients", poly_taylor_coefficients },
        { "poly_interval_fit", poly_interval_fit },
        { "grad_dense_relu_softmax_ce", grad_dense_relu_softmax_ce },
        { "grad_dense_logits_ce_and_mse", grad_dense_logits_ce_and_mse },
        { "grad_sigmoid_bce", grad_sigmoid_bce },
        { "grad_polynomial_activations", grad_polynomial_activations },
        { "grad_softmax_inside", grad_softmax_inside },
        { "grad_dropout", grad_dropout },
        { "grad_conv_pool_flatten", grad_conv_pool_flatten },
        { "grad_conv_stack_strided", grad_conv_stack_strided },
        { "ghost_clipping_dense", ghost_clipping_dense },
        { "clipping_conv_materialised", clipping_conv_materialised },
        { "dp_step_without_noise_is_plain_step", dp_step_without_noise_is_plain_step },
        { "gaussian_noise_distribution", gaussian_noise_distribution },
        { "optimisers", optimisers },
        { "train_blobs_all_optimisers", train_blobs_all_optimisers },
        { "train_xor_sigmoid_bce", train_xor_sigmoid_bce },
        { "train_dp_poisson", train_dp_poisson },
        { "train_cnn_small", train_cnn_small },
        { "shape_and_label_errors", shape_and_label_errors },
        { "layout_and_weights", layout_and_weights },
        { "save_load_roundtrip", save_load_roundtrip },
        { NULL, NULL }
    };
    return tu_main("rt_nn", tests);
}
