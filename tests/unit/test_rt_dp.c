/*
** test_rt_dp.c — differential privacy runtime: the RDP accountant against the values
** TF Privacy publishes, the conversions, the analytic Gaussian calibration, the exact
** samplers and the mechanisms by distribution tests with fixed seeds, the grid (no
** floating-point leak), Gamma-difference shares, sparse vector, and the budget ledger.
*/
#include "tu.h"
#include "dp.h"
#include "dataset.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define Q_MNIST (256.0 / 60000.0)

/* Rounds to 3 significant digits, as the published tables do. */
static double sig3(double x)
{
    if (x == 0) return 0;
    double p = pow(10, 2 - floor(log10(fabs(x))));
    return round(x * p) / p;
}

/* ---- accountant ------------------------------------------------------------------ */

static void rdp_published_values(void)
{
    /* TF Privacy's MNIST tutorial: batch 256 of 60,000, delta 1e-5. */
    TU_NEAR(sig3(dp_rdp_epsilon(Q_MNIST, 1.1, 14063, 1e-5)), 3.01, 1e-9);   /* 60 epochs */
    TU_NEAR(sig3(dp_rdp_epsilon(Q_MNIST, 1.2, 2344, 1e-5)), 1.20, 1e-9);    /* 10 epochs */
    TU_NEAR(sig3(dp_rdp_epsilon(Q_MNIST, 0.7, 10547, 1e-5)), 7.10, 1e-9);   /* 45 epochs */
}

/* The reference: google's dp_accounting (python/dp_accounting at commit b5b0286e, in
** ../shared/peers) at ppdl's orders, classic = min(rdp - log(delta) / (a - 1)) over its
** RDP values and improved from its compute_epsilon.  tests/interop/dp_accounting.sh
** checks a wider grid against the library itself when it is present. */
static void rdp_matches_dp_accounting(void)
{
    static const struct { double sigma; long steps; double classic, corder, improved, iorder; } ref[] = {
        {1.1, 14063, 3.0083810534063087, 8.8, 2.596655529521983, 8.1},
        {1.2, 2344, 1.1983976370881222, 15, 0.9317603932246648, 14},
        {0.7, 10547, 7.101559404658577, 3.9, 6.31974800597639, 3.8},
    };
    for (size_t i = 0; i < sizeof ref / sizeof *ref; i++) {
        double order;
        double e = dp_rdp_epsilon_ex(Q_MNIST, ref[i].sigma, ref[i].steps, 1e-5, DP_CLASSIC, &order);
        TU_NEAR(e, ref[i].classic, 1e-9 * ref[i].classic);
        TU_NEAR(order, ref[i].corder, 1e-12);
        e = dp_rdp_epsilon_ex(Q_MNIST, ref[i].sigma, ref[i].steps, 1e-5, DP_IMPROVED, &order);
        TU_NEAR(e, ref[i].improved, 1e-9 * ref[i].improved);
        TU_NEAR(order, ref[i].iorder, 1e-12);
    }
}

/* Where the fractional series once summed signed terms: q = 0.1, sigma = 0.7 at order
** 1.7 the reference's RDP is 0.049374112479794445 (a signed sum gave 0.04626, an
** epsilon 40% too small after 14063 steps). */
static void rdp_fractional_large_q(void)
{
    TU_NEAR(dp_rdp_sgm(0.1, 0.7, 1.7), 0.049374112479794445, 1e-12);
}

static void rdp_edge_cases(void)
{
    /* q = 1 is the plain Gaussian mechanism: alpha / (2 sigma^2). */
    TU_NEAR(dp_rdp_sgm(1.0, 2.0, 3.0), 3.0 / 8.0, 1e-12);
    TU_NEAR(dp_rdp_sgm(0.0, 1.0, 3.0), 0.0, 0);
    CU_ASSERT(isnan(dp_rdp_sgm(0.5, 0.0, 2.0)));
    CU_ASSERT(isnan(dp_rdp_epsilon(Q_MNIST, 1.1, 100, 0)));
    TU_NEAR(dp_rdp_epsilon(Q_MNIST, 1.1, 0, 1e-5), 0.0, 0);
    /* RDP grows with the order, and the fractional series joins the integer sum. */
    double prev = 0;
    for (int k = 0; k < DP_RDP_NORDERS; k++) {
        double r = dp_rdp_sgm(0.01, 1.0, dp_rdp_orders[k]);
        CU_ASSERT(r >= prev * (1 - 1e-9));
        prev = r;
    }
    double r2 = dp_rdp_sgm(0.01, 1.0, 2.0), r2f = dp_rdp_sgm(0.01, 1.0, 2.0 + 1e-9);
    TU_NEAR(r2f / r2, 1.0, 1e-6);
    /* Small q, integer order 2: A_2 = 1 + q^2 (e^(1/sigma^2) - 1). */
    TU_NEAR(dp_rdp_sgm(0.01, 1.0, 2.0), log1p(1e-4 * expm1(1.0)), 1e-15);
}

static void rdp_improved_conversion(void)
{
    double c = dp_rdp_epsilon_ex(Q_MNIST, 1.1, 14063, 1e-5, DP_CLASSIC, NULL);
    double i = dp_rdp_epsilon_ex(Q_MNIST, 1.1, 14063, 1e-5, DP_IMPROVED, NULL);
    CU_ASSERT(i < c && i > 0.8 * c);
    /* The improved bound on one order, by hand: r + log1p(-1/a) - log(delta a)/(a-1). */
    double a = 10, r = 0.5, d = 1e-5;
    double e = dp_rdp_to_epsilon(&a, &r, 1, d, DP_IMPROVED, NULL);
    TU_NEAR(e, r + log1p(-1 / a) - log(d * a) / (a - 1), 1e-12);
    TU_NEAR(dp_rdp_to_epsilon(&a, &r, 1, d, DP_CLASSIC, NULL), r + log(1 / d) / (a - 1), 1e-12);
}

/* ---- Gaussian calibration ----------------------------------------------------------- */

static void gaussian_calibration(void)
{
    /* Analytic calibration beats the textbook sigma when epsilon < 1 ... */
    double s = dp_gaussian_sigma(0.5, 1e-5);
    CU_ASSERT(s < sqrt(2 * log(1.25 / 1e-5)) / 0.5);
    CU_ASSERT(s > 0.7 * sqrt(2 * log(1.25 / 1e-5)) / 0.5);
    /* ... works past epsilon = 1, and the inverse returns the epsilon. */
    double s3 = dp_gaussian_sigma(3.0, 1e-6);
    CU_ASSERT(s3 > 0 && s3 < dp_gaussian_sigma(1.0, 1e-6));
    TU_NEAR(dp_gaussian_epsilon(s3, 1e-6), 3.0, 1e-6);
    TU_NEAR(dp_gaussian_epsilon(dp_gaussian_sigma(0.25, 1e-5), 1e-5), 0.25, 1e-7);
    /* Balle & Wang's Theorem 8 at the calibrated sigma holds delta to within rounding:
    ** Phi(1/2s - eps s) - e^eps Phi(-1/2s - eps s) = delta. */
    double e = 1.0, d = 1e-5, g = dp_gaussian_sigma(e, d);
    double ph1 = 0.5 * erfc(-(0.5 / g - e * g) / M_SQRT2);
    double ph2 = 0.5 * erfc(-(-0.5 / g - e * g) / M_SQRT2);
    TU_NEAR((ph1 - exp(e) * ph2) / d, 1.0, 1e-6);
}

/* ---- exact samplers --------------------------------------------------------------- */

static void bernoulli_exp_frequency(void)
{
    Rng r;
    rng_seed(&r, 1);
    const uint64_t num[] = {1, 23, 0, 7}, den[] = {2, 10, 5, 1};
    for (int c = 0; c < 4; c++) {
        int n = 200000, k = 0;
        for (int i = 0; i < n; i++) k += dp_bernoulli_exp(&r, num[c], den[c]);
        double p = exp(-(double)num[c] / (double)den[c]);
        TU_NEAR((double)k / n, p, 4 * sqrt(p * (1 - p) / n) + 1e-9);
    }
}

static void discrete_laplace_pmf(void)
{
    Rng r;
    rng_seed(&r, 2);
    const uint64_t t = 3;
    enum { N = 300000, W = 6 };
    int counts[2 * W + 1] = {0};
    double s = 0, s2 = 0;
    for (int i = 0; i < N; i++) {
        int64_t z = dp_discrete_laplace(&r, t);
        s += (double)z; s2 += (double)(z * z);
        if (z >= -W && z <= W) counts[z + W]++;
    }
    double a = exp(-1.0 / t), norm = (1 - a) / (1 + a);   /* P(z) = norm a^|z| */
    for (int z = -W; z <= W; z++) {
        double p = norm * pow(a, abs(z));
        TU_NEAR((double)counts[z + W] / N, p, 4 * sqrt(p * (1 - p) / N));
    }
    TU_NEAR(s / N, 0.0, 0.05);
    TU_NEAR(s2 / N, 2 * a / ((1 - a) * (1 - a)), 0.02 * 2 * a / ((1 - a) * (1 - a)));
}

static void discrete_gaussian_pmf(void)
{
    Rng r;
    rng_seed(&r, 3);
    const uint64_t var = 4;
    enum { N = 200000, W = 6 };
    int counts[2 * W + 1] = {0};
    double s2 = 0, norm = 0;
    for (int z = -60; z <= 60; z++) norm += exp(-z * z / (2.0 * var));
    for (int i = 0; i < N; i++) {
        int64_t z = dp_discrete_gaussian(&r, var);
        s2 += (double)(z * z);
        if (z >= -W && z <= W) counts[z + W]++;
    }
    for (int z = -W; z <= W; z++) {
        double p = exp(-z * z / (2.0 * var)) / norm;
        TU_NEAR((double)counts[z + W] / N, p, 4 * sqrt(p * (1 - p) / N));
    }
    TU_NEAR(s2 / N, 4.0, 0.06);         /* variance of N_Z(0, 4) is 4 - 1e-8 */
    /* A large variance (the grid's case): sample variance matches. */
    double big = 0x1p46, v = 0;
    for (int i = 0; i < 20000; i++) {
        double z = (double)dp_discrete_gaussian(&r, (uint64_t)big);
        v += z * z;
    }
    TU_NEAR(v / 20000 / big, 1.0, 0.04);
}

/* Kolmogorov–Smirnov distance of the sample x[0..n) from the Laplace(0, b) CDF. */
static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double ks_laplace(double *x, int n, double b)
{
    qsort(x, (size_t)n, sizeof *x, cmpd);
    double d = 0;
    for (int i = 0; i < n; i++) {
        double f = x[i] < 0 ? 0.5 * exp(x[i] / b) : 1 - 0.5 * exp(-x[i] / b);
        double lo = f - (double)i / n, hi = (double)(i + 1) / n - f;
        if (lo > d) d = lo;
        if (hi > d) d = hi;
    }
    return d;
}

/* ---- mechanisms ------------------------------------------------------------------- */

static void laplace_mechanism_distribution(void)
{
    Rng r;
    rng_seed(&r, 4);
    enum { N = 50000 };
    double *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++) CU_ASSERT_FATAL(dp_laplace(&r, 10.0, 2.0, 0.5, &x[i]));
    for (int i = 0; i < N; i++) x[i] -= 10.0;
    /* KS at the 0.1% level: 1.95 / sqrt(N). */
    CU_ASSERT(ks_laplace(x, N, 4.0) < 1.95 / sqrt((double)N));
    double dummy;
    CU_ASSERT(!dp_laplace(&r, 1.0, 0.0, 1.0, &dummy));
    CU_ASSERT(!dp_laplace(&r, 1.0, 1.0, -1.0, &dummy));
    CU_ASSERT(!dp_laplace(&r, NAN, 1.0, 1.0, &dummy));
    free(x);
}

static void grid_limit_refused(void)
{
    /* A value beyond 2^62 grid steps was clamped: laplace(1e7) released 4194304 (2^22).
    ** Now it is refused, and the limit is what the mechanism accepts. */
    Rng r;
    rng_seed(&r, 9);
    double out = 0, lim = dp_laplace_limit(1.0, 1.0);
    CU_ASSERT(lim == ldexp(1.0, 22));              /* scale 1: gamma 2^-40, 2^62 steps */
    CU_ASSERT(!dp_laplace(&r, 1e7, 1.0, 1.0, &out));
    CU_ASSERT(!dp_laplace(&r, -1e7, 1.0, 1.0, &out));
    CU_ASSERT(dp_laplace(&r, lim, 1.0, 1.0, &out));
    double v[2] = { 1, 1e20 };
    CU_ASSERT(!dp_gaussian_noise(&r, v, 2, 1.0));
    CU_ASSERT(v[0] == 1 && v[1] == 1e20);          /* refused before any noise */
    CU_ASSERT(!dp_gaussian(&r, v, 2, 1.0, 1.0, 1e-5, NULL));
    CU_ASSERT(dp_gaussian_noise_limit(1.0) == ldexp(1.0, 38));
    CU_ASSERT(dp_gaussian_limit(2, 1.0, 1.0, 1e-5) > 1e11);
    size_t idx[1];
    double q[1] = { 1e30 };
    CU_ASSERT_EQUAL(dp_svt(&r, q, 1, 0, 1.0, 1.0, 1, idx), -1);
}

static void laplace_on_grid(void)
{
    /* Mironov's attack reads x off the low bits of x + noise.  On the grid every
    ** output is an integer multiple of gamma whatever x was, so the outputs for two
    ** neighbouring inputs have the same support. */
    Rng r;
    rng_seed(&r, 5);
    double gamma = dp_grid_laplace(1.0 / 0.1);
    CU_ASSERT(gamma == ldexp(1.0, 4 - 40));      /* scale 10 -> 2^4 · 2^-40 */
    for (int i = 0; i < 2000; i++) {
        double out;
        dp_laplace(&r, 0.1 + (i & 1) * 1e-13, 1.0, 0.1, &out);
        double k = out / gamma;
        CU_ASSERT(k == floor(k));
    }
    float f[1000];
    for (int i = 0; i < 1000; i++) f[i] = 0.25f * (float)i;
    CU_ASSERT(dp_laplace_f32(&r, f, 1000, 1.0, 1.0));
    double s = 0;
    for (int i = 0; i < 1000; i++) s += f[i] - 0.25 * i;
    TU_NEAR(s / 1000, 0.0, 0.2);
}

static void gaussian_mechanism(void)
{
    Rng r;
    rng_seed(&r, 6);
    enum { N = 40000 };
    double *x = calloc(N, sizeof *x);
    double sigma;
    CU_ASSERT_FATAL(dp_gaussian(&r, x, N, 1.0, 1.0, 1e-5, &sigma));
    /* sigma is the analytic calibration, widened by the grid's rounding only. */
    double s1 = dp_gaussian_sigma(1.0, 1e-5);
    CU_ASSERT(sigma >= s1 && sigma < s1 * 1.0001);
    double m = 0, v = 0;
    for (int i = 0; i < N; i++) m += x[i];
    m /= N;
    for (int i = 0; i < N; i++) v += (x[i] - m) * (x[i] - m);
    TU_NEAR(m, 0.0, 4 * sigma / sqrt((double)N));
    TU_NEAR(sqrt(v / (N - 1)) / sigma, 1.0, 0.02);
    /* Fourth moment of a Gaussian is 3 sigma^4 (a Laplace would give 6). */
    double k4 = 0;
    for (int i = 0; i < N; i++) k4 += pow(x[i] - m, 4);
    TU_NEAR(k4 / N / pow(v / N, 2), 3.0, 0.15);
    double gamma = dp_grid_gaussian(sigma);
    for (int i = 0; i < 100; i++) CU_ASSERT(x[i] / gamma == floor(x[i] / gamma));
    free(x);
    float f[4] = {1, 2, 3, 4};
    CU_ASSERT(dp_gaussian_noise_f32(&r, f, 4, 0.01));
    for (int i = 0; i < 4; i++) TU_NEAR(f[i], i + 1, 0.1);
    CU_ASSERT(!dp_gaussian_noise_f32(&r, f, 4, 0));
}

static void fast_noise_moments(void)
{
    Rng r;
    rng_seed(&r, 7);
    enum { N = 200001 };
    float *x = calloc(N, sizeof *x);
    dp_noise_gaussian_f32(&r, x, N, 2.5);
    double m = 0, v = 0;
    for (int i = 0; i < N; i++) { m += x[i]; v += (double)x[i] * x[i]; }
    TU_NEAR(m / N, 0.0, 0.03);
    TU_NEAR(sqrt(v / N), 2.5, 0.02);
    CU_ASSERT(x[N - 1] != 0);                   /* odd lengths are filled to the end */
    free(x);
}

/* ---- shares and sparse vector ------------------------------------------------------ */

static void gamma_moments(void)
{
    Rng r;
    rng_seed(&r, 8);
    const double shape[] = {0.2, 1.0, 3.5};
    for (int c = 0; c < 3; c++) {
        double m = 0, v = 0;
        int n = 100000;
        for (int i = 0; i < n; i++) {
            double g = dp_gamma(&r, shape[c], 2.0);
            m += g; v += g * g;
        }
        m /= n; v = v / n - m * m;
        TU_NEAR(m / (2.0 * shape[c]), 1.0, 0.03);           /* mean k theta */
        TU_NEAR(v / (4.0 * shape[c]), 1.0, 0.06);           /* variance k theta^2 */
    }
}

static void laplace_shares_sum_to_laplace(void)
{
    Rng r;
    rng_seed(&r, 9);
    enum { N = 40000, P = 5 };
    double b = 2.0;
    double *sum = malloc(N * sizeof *sum), v1 = 0;
    for (int i = 0; i < N; i++) {
        double s = 0;
        for (int p = 0; p < P; p++) {
            double part = dp_laplace_share(&r, P, b);
            if (p == 0) v1 += part * part;
            s += part;
        }
        sum[i] = s;
    }
    /* Each party's part alone is far from the whole noise: variance 2 b^2 / n. */
    TU_NEAR(v1 / N, 2 * b * b / P, 0.05 * 2 * b * b / P);
    /* The sum is Laplace(b). */
    CU_ASSERT(ks_laplace(sum, N, b) < 1.95 / sqrt((double)N));
    CU_ASSERT(isnan(dp_laplace_share(&r, 0, 1.0)));
    free(sum);
}

/* The Gamma-split round: P parties, each with its own generator, add their shares to one
** array (as laplace_sum's parties do to their contributions): the total is Laplace(b)
** elementwise; bad parameters leave x untouched. */
static void laplace_share_round(void)
{
    enum { N = 40000, P = 3 };
    double b = 0.5;
    Rng r[P];
    for (int p = 0; p < P; p++) rng_seed(&r[p], 100 + (uint64_t)p);
    double *x = calloc(N, sizeof *x);
    for (int p = 0; p < P; p++) CU_ASSERT(dp_laplace_share_add(&r[p], x, N, P, b));
    CU_ASSERT(ks_laplace(x, N, b) < 1.95 / sqrt((double)N));
    /* one party's share alone is not the whole noise */
    double *one = calloc(N, sizeof *one);
    CU_ASSERT(dp_laplace_share_add(&r[0], one, N, P, b));
    CU_ASSERT(ks_laplace(one, N, b) > 0.05);
    one[0] = 7;
    CU_ASSERT(!dp_laplace_share_add(&r[0], one, 1, 0, b));
    CU_ASSERT(!dp_laplace_share_add(&r[0], one, 1, P, 0));
    CU_ASSERT(!dp_laplace_share_add(&r[0], one, 1, P, INFINITY));
    CU_ASSERT_EQUAL(one[0], 7);
    free(x); free(one);
}

static void sparse_vector(void)
{
    Rng r;
    rng_seed(&r, 10);
    double q[20];
    for (int i = 0; i < 20; i++) q[i] = 0;
    q[7] = 100; q[12] = 100;
    size_t idx[3];
    /* Noise scales 2 and 4 at epsilon 1: index 7 is found, and only it (c = 1). */
    int hits = 0;
    for (int t = 0; t < 200; t++) {
        int k = dp_svt(&r, q, 20, 50, 1.0, 1.0, 1, idx);
        if (k == 1 && idx[0] == 7) hits++;
    }
    CU_ASSERT(hits >= 198);
    CU_ASSERT_EQUAL(dp_svt(&r, q, 20, 50, 1.0, 1.0, 2, idx), 2);
    CU_ASSERT_EQUAL(idx[1], 12);
    /* Nothing above a high threshold. */
    CU_ASSERT_EQUAL(dp_svt(&r, q, 20, 1000, 1.0, 1.0, 1, idx), 0);
    CU_ASSERT_EQUAL(dp_svt(&r, q, 20, 0, 1.0, 0.0, 1, idx), -1);
    /* A query at the threshold is reported about half the time. */
    double h[1] = {0};
    int above = 0;
    for (int t = 0; t < 4000; t++) above += dp_svt(&r, h, 1, 0, 1.0, 1.0, 1, idx);
    TU_NEAR(above / 4000.0, 0.5, 0.04);
}

/* ---- ledger ---------------------------------------------------------------------- */

static void ledger_budget(void)
{
    DpLedger *L = dp_ledger_new();
    RtErr err;
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "no budget yet", 5, 0, NULL, &err), RT_OK); /* recorded */
    CU_ASSERT(dp_ledger_set_budget(L, 8, 1e-5));
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "laplace release", 1.0, 0, NULL, &err), RT_OK);
    CU_ASSERT(dp_ledger_fits(L, 2.0, 1e-5, NULL));
    CU_ASSERT(!dp_ledger_fits(L, 2.0, 2e-5, NULL));
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "train dpsgd", 3.01, 1e-5, NULL, &err), RT_EBUDGET);
    CU_ASSERT_STRING_EQUAL(err.msg, "privacy budget exceeded: train dpsgd costs epsilon 3.01, "
                           "delta 1e-05 (total after it: epsilon 9.01, delta 1e-05); spent "
                           "epsilon 6 of 8 (2 left), delta 0 of 1e-05 (1e-05 left)");
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "exactly the rest", 2.0, 1e-5, NULL, &err), RT_OK);
    DpSpent s = dp_ledger_spent(L);
    TU_NEAR(s.epsilon, 8.0, 1e-12);
    TU_NEAR(s.delta, 1e-5, 1e-18);
    CU_ASSERT(!s.by_rdp);                       /* charges without curves: basic only */
    CU_ASSERT_EQUAL(L->n, 3);
    CU_ASSERT(!dp_ledger_set_budget(L, -1, 0));
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "negative", -1, 0, NULL, &err), RT_EINVAL);
    dp_ledger_free(L);
}

static void ledger_rdp_composition(void)
{
    /* Ten one-epoch DP-SGD runs compose in RDP exactly like one ten-epoch run: the
    ** ledger charges what the accountant says, not ten times one epoch. */
    DpLedger *L = dp_ledger_new();
    dp_ledger_set_budget(L, 1.5, 1e-5);
    double curve[DP_RDP_NORDERS];
    RtErr err;
    dp_rdp_curve_sgm(Q_MNIST, 1.2, 235, curve);
    double one = dp_rdp_epsilon(Q_MNIST, 1.2, 235, 1e-5);
    for (int e = 0; e < 10; e++)
        CU_ASSERT_EQUAL(dp_ledger_charge(L, "epoch", one, 1e-5, curve, &err), RT_OK);
    DpSpent s = dp_ledger_spent(L);
    CU_ASSERT(s.by_rdp);
    TU_NEAR(s.epsilon, dp_rdp_epsilon(Q_MNIST, 1.2, 2350, 1e-5), 1e-9);
    CU_ASSERT(s.epsilon < 1.21 && 10 * one > 3);
    TU_NEAR(s.delta, 1e-5, 0);
    /* A pure-DP release has curve min(eps, alpha eps^2/2): alone, basic wins. */
    DpLedger *P = dp_ledger_new();
    dp_rdp_curve_pure(0.5, curve);
    TU_NEAR(curve[0], 1.1 * 0.125, 1e-12);
    TU_NEAR(curve[DP_RDP_NORDERS - 1], 0.5, 0);
    dp_ledger_set_budget(P, 1, 1e-6);
    CU_ASSERT_EQUAL(dp_ledger_charge(P, "laplace", 0.5, 0, curve, &err), RT_OK);
    s = dp_ledger_spent(P);
    CU_ASSERT(!s.by_rdp);
    TU_NEAR(s.epsilon, 0.5, 0);
    /* The refusal happens when neither accounting fits. */
    for (int e = 0; e < 40; e++) {
        dp_rdp_curve_sgm(Q_MNIST, 1.2, 235, curve);
        if (dp_ledger_charge(L, "epoch", one, 1e-5, curve, &err)) break;
    }
    CU_ASSERT(dp_ledger_spent(L).epsilon <= 1.5 * (1 + 1e-9));
    CU_ASSERT(!dp_ledger_fits(L, one, 1e-5, curve));
    CU_ASSERT(strstr(err.msg, "privacy budget exceeded: epoch costs") == err.msg);
    CU_ASSERT_EQUAL(err.code, RT_EBUDGET);
    dp_ledger_free(P);
    dp_ledger_free(L);
}

static void ledger_shared_by_copies(void)
{
    Ds d = {0};
    CU_ASSERT_PTR_NULL(dp_ledger_of(&d, false));
    DpLedger *L = dp_ledger_of(&d, true);
    CU_ASSERT_PTR_NOT_NULL_FATAL(L);
    CU_ASSERT(dp_ledger_of(&d, true) == L);
    Ds copy = d;
    copy.ledger = d.ledger_copy(d.ledger);      /* what a dataset copy does */
    dp_ledger_set_budget(L, 1, 0);
    RtErr err;
    CU_ASSERT_EQUAL(dp_ledger_charge(copy.ledger, "on the copy", 0.75, 0, NULL, &err), RT_OK);
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "on the original", 0.5, 0, NULL, &err), RT_EBUDGET);
    copy.ledger_free(copy.ledger);
    d.ledger_free(d.ledger);                    /* the last reference frees it */
}

/* The cap only goes down, and only its owner (the party that set it first) lowers it. */
static void ledger_cap_only_goes_down(void)
{
    DpLedger *L = dp_ledger_new();
    RtErr err;
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "before any budget", 0.5, 0, NULL, &err), RT_OK);
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 2, 1.0, 1e-5), DP_BUDGET_SET);   /* first: free */
    CU_ASSERT_EQUAL(L->owner, 2);
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 2, 1.0, 1e-5), DP_BUDGET_SET);   /* the same again */
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 2, 1.5, 1e-5), DP_BUDGET_RAISES);
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 2, 0.9, 2e-5), DP_BUDGET_RAISES); /* delta up */
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 3, 0.5, 0), DP_BUDGET_NOT_OWNER);
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 0, 0.5, 0), DP_BUDGET_NOT_OWNER);
    CU_ASSERT_EQUAL(L->budget_epsilon, 1.0);
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "after", 0.25, 0, NULL, &err), RT_OK);
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 2, 2, 1e-5), DP_BUDGET_RAISES);  /* after spending */
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 2, 0.8, 0), DP_BUDGET_SET);
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "over", 0.1, 0, NULL, &err), RT_EBUDGET);
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 2, -1, 0), DP_BUDGET_BAD);
    CU_ASSERT_EQUAL(dp_ledger_lower(L, 2, NAN, 0), DP_BUDGET_BAD);
    dp_ledger_free(L);
}

/* Joined ledgers: one set of charges, the lower cap, every holder sees the same. */
static void ledger_join(void)
{
    DpLedger *a = dp_ledger_new(), *b = dp_ledger_new(), *c = dp_ledger_new();
    RtErr err;
    dp_ledger_lower(a, 1, 5, 1e-5);
    dp_ledger_lower(b, 2, 3, 1e-4);
    CU_ASSERT_EQUAL(dp_ledger_charge(a, "on a", 1, 0, NULL, &err), RT_OK);
    CU_ASSERT_EQUAL(dp_ledger_charge(b, "on b", 2, 0, NULL, &err), RT_OK);
    DpLedger *r = dp_ledger_join(a, b);
    CU_ASSERT(r == dp_ledger_root(a) && r == dp_ledger_root(b));
    CU_ASSERT_EQUAL(r->budget_epsilon, 3);      /* each the lower of the two */
    CU_ASSERT_EQUAL(r->budget_delta, 1e-5);
    CU_ASSERT_EQUAL(r->n, 2);
    TU_NEAR(dp_ledger_spent(b).epsilon, 3, 0);
    CU_ASSERT_EQUAL(dp_ledger_charge(b, "too much", 0.5, 0, NULL, &err), RT_EBUDGET);
    CU_ASSERT(dp_ledger_join(b, a) == r);       /* already one */
    /* a ledger without a budget joined into one with: the cap holds for both */
    dp_ledger_join(c, b);
    CU_ASSERT(dp_ledger_root(c) == dp_ledger_root(a));
    CU_ASSERT(!dp_ledger_fits(c, 0.5, 0, NULL));
    /* references drop in any order */
    dp_ledger_free(a);
    CU_ASSERT_EQUAL(dp_ledger_spent(c).epsilon, 3);
    dp_ledger_free(b);
    dp_ledger_free(c);
}

static void ledger_save_load(void)
{
    DpLedger *L = dp_ledger_new();
    dp_ledger_set_budget(L, 3, 1e-5);
    RtErr err;
    double curve[DP_RDP_NORDERS];
    dp_rdp_curve_gaussian(3.0, curve);
    dp_ledger_charge(L, "laplace(sensitivity = 1, epsilon = 0.1)", 0.1, 0, NULL, &err);
    dp_ledger_charge(L, "train dpsgd\n(two lines)", 1.2, 1e-5 / 3, curve, &err);
    char *buf = NULL; size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT(dp_ledger_write(L, f));
    fclose(f);
    f = fmemopen(buf, len, "r");
    DpLedger *M = dp_ledger_read(f, &err);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(M);
    CU_ASSERT(M->has_budget);
    CU_ASSERT_EQUAL(M->budget_epsilon, 3);
    CU_ASSERT_EQUAL(M->budget_delta, 1e-5);
    CU_ASSERT_EQUAL(M->n, 2);
    CU_ASSERT_STRING_EQUAL(M->c[0].what, "laplace(sensitivity = 1, epsilon = 0.1)");
    CU_ASSERT_STRING_EQUAL(M->c[1].what, "train dpsgd (two lines)");
    CU_ASSERT_EQUAL(M->c[1].delta, 1e-5 / 3);   /* %.17g round-trips exactly */
    CU_ASSERT_PTR_NULL(M->c[0].rdp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(M->c[1].rdp);
    CU_ASSERT(memcmp(M->c[1].rdp, curve, sizeof curve) == 0);
    /* Restoring onto a dataset's (fresh) ledger takes the charges as they were. */
    DpLedger *R = dp_ledger_new();
    dp_ledger_charge(R, "to be replaced", 9, 0, NULL, &err);
    dp_ledger_restore(R, M);
    CU_ASSERT_EQUAL(R->n, 2);
    TU_NEAR(dp_ledger_spent(R).epsilon, 1.3, 1e-12);
    CU_ASSERT(!dp_ledger_fits(R, 1.8, 0, NULL));
    CU_ASSERT(dp_ledger_fits(R, 1.7, 0, NULL));
    dp_ledger_free(R);
    dp_ledger_free(M);
    free(buf);
    const char *bad = "ppdl-ledger 1\nbudget 1 0\ncharge x y z\n";
    f = fmemopen((void *)bad, strlen(bad), "r");
    CU_ASSERT_PTR_NULL(dp_ledger_read(f, &err));
    CU_ASSERT_EQUAL(err.code, RT_EFORMAT);
    CU_ASSERT_STRING_EQUAL(err.msg, "malformed ledger line 3");
    fclose(f);
    const char *shortrdp = "ppdl-ledger 1\nbudget none\ncharge 1 0 x\nrdp 1 2 3\n";
    f = fmemopen((void *)shortrdp, strlen(shortrdp), "r");
    CU_ASSERT_PTR_NULL(dp_ledger_read(f, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "malformed ledger line 4");
    fclose(f);
    dp_ledger_free(L);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"rdp: published epsilons (3.01, 1.20, 7.10)", rdp_published_values},
        {"rdp: matches dp_accounting", rdp_matches_dp_accounting},
        {"rdp: fractional order, large q", rdp_fractional_large_q},
        {"rdp: edge cases and closed forms", rdp_edge_cases},
        {"rdp: improved conversion", rdp_improved_conversion},
        {"gaussian: analytic calibration", gaussian_calibration},
        {"bernoulli(exp(-x)) frequencies", bernoulli_exp_frequency},
        {"discrete laplace pmf", discrete_laplace_pmf},
        {"discrete gaussian pmf", discrete_gaussian_pmf},
        {"laplace mechanism distribution (KS)", laplace_mechanism_distribution},
        {"laplace outputs on the grid", laplace_on_grid},
        {"values beyond the grid are refused", grid_limit_refused},
        {"gaussian mechanism", gaussian_mechanism},
        {"fast gaussian noise moments", fast_noise_moments},
        {"gamma moments", gamma_moments},
        {"laplace shares sum to laplace (KS)", laplace_shares_sum_to_laplace},
        {"gamma-split round: parties' shares add to laplace", laplace_share_round},
        {"sparse vector", sparse_vector},
        {"ledger: budget and refusal", ledger_budget},
        {"ledger: RDP composition of charges", ledger_rdp_composition},
        {"ledger: shared by dataset copies", ledger_shared_by_copies},
        {"ledger: the cap only goes down, by its owner", ledger_cap_only_goes_down},
        {"ledger: joined ledgers", ledger_join},
        {"ledger: save and load", ledger_save_load},
        {NULL, NULL}
    };
    return tu_main("rt_dp", tests);
}
