/*
** dp_mech.c — the noise of differential privacy: exact integer samplers (Bernoulli of
** exp(-x), discrete Laplace, discrete Gaussian; Canonne, Kamath & Steinke 2020), the
** Laplace and Gaussian mechanisms built on them over a power-of-two grid, the analytic
** calibration of the Gaussian mechanism (Balle & Wang 2018), Gamma-difference shares of
** Laplace noise, the sparse vector technique, and the fast floating-point Gaussian used
** inside DP-SGD steps.  Accounting lives in dp_rdp.c, budgets in dp_ledger.c.  Every
** random bit comes from rng.h.  See dp.h for the security notes.
*/
#include "dp.h"
#include <float.h>
#include <math.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

#define LAPLACE_BITS 40         /* scale / grid step lies in (2^39, 2^40] */
#define GAUSS_BITS   24         /* sigma / grid step lies in (2^23, 2^24] */
#define KMAX         (1u << 14) /* Bernoulli(exp(-g)) series cap: P(K > KMAX) = 1/KMAX! */
#define GRID_MAX     4611686018427387904.0   /* 2^62: the largest grid index */

/* ---- uniform integers and exact Bernoullis ------------------------------------------ */

/* Uniform in [0, n) for a 128-bit n > 0, by rejection (unbiased). */
static u128 below128(Rng *r, u128 n)
{
    if (n <= UINT64_MAX) return rng_below(r, (uint64_t)n);
    uint64_t hi = (uint64_t)((n - 1) >> 64);
    int bits = 64 - __builtin_clzll(hi);                 /* bits of the high word */
    uint64_t mask = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
    for (;;) {
        u128 v = ((u128)(rng_u64(r) & mask) << 64) | rng_u64(r);
        if (v < n) return v;
    }
}

/* Bernoulli(num / den), num <= den. */
static bool bern(Rng *r, u128 num, u128 den) { return below128(r, den) < num; }

/* Bernoulli(exp(-g)) for g = num/den in [0, 1] (CKS Algorithm 1): the parity of the
** first K at which Bernoulli(g/K) fails. */
static bool bern_exp_small(Rng *r, u128 num, u128 den)
{
    unsigned k = 1;
    while (k < KMAX && bern(r, num, den * k)) k++;
    return k & 1;
}

/* Bernoulli(exp(-num/den)) for any num >= 0: floor(g) draws of Bernoulli(exp(-1)),
** stopping at the first failure, then one of Bernoulli(exp(-frac(g))). */
static bool bern_exp(Rng *r, u128 num, u128 den)
{
    while (num > den) {
        if (!bern_exp_small(r, 1, 1)) return false;
        num -= den;
    }
    return bern_exp_small(r, num, den);
}

bool dp_bernoulli_exp(Rng *r, uint64_t num, uint64_t den)
{
    return bern_exp(r, num, den);
}

/* ---- discrete Laplace and discrete Gaussian ------------------------------------------ */

int64_t dp_discrete_laplace(Rng *r, uint64_t t)
{
    if (t == 0) t = 1;
    for (;;) {                                  /* CKS Algorithm 2 with s = 1 */
        uint64_t u = rng_below(r, t);
        if (!bern_exp(r, u, t)) continue;
        uint64_t v = 0;
        while (v < 4096 && bern_exp_small(r, 1, 1)) v++;   /* Geometric(1 - 1/e) */
        uint64_t x = u + t * v;
        bool neg = rng_below(r, 2);
        if (neg && x == 0) continue;
        return neg ? -(int64_t)x : (int64_t)x;
    }
}

static uint64_t isqrt64(uint64_t a)
{
    uint64_t x = (uint64_t)sqrt((double)a);
    while (x * x > a) x--;
    while ((x + 1) * (x + 1) <= a) x++;
    return x;
}

int64_t dp_discrete_gaussian(Rng *r, uint64_t sigma2)
{
    if (sigma2 == 0) sigma2 = 1;
    uint64_t t = isqrt64(sigma2) + 1;           /* CKS Algorithm 3: t = floor(sigma)+1 */
    for (;;) {
        int64_t y = dp_discrete_laplace(r, t);
        uint64_t ay = y < 0 ? (uint64_t)(-y) : (uint64_t)y;
        /* Beyond 64 sigma the acceptance probability is below exp(-1900): rejecting
        ** outright keeps the arithmetic inside 128 bits and changes nothing measurable. */
        if (ay > 64 * t) continue;
        i128 d = (i128)ay * t - (i128)sigma2;   /* (|y| - sigma2/t)^2 / (2 sigma2) */
        u128 num = (u128)(d * d);
        u128 den = (u128)2 * sigma2 * t * t;
        if (bern_exp(r, num, den)) return y;
    }
}

/* ---- grids ----------------------------------------------------------------------------- */

/* 2^(ceil(log2 s) - bits): the grid step for noise of scale s. */
static double grid_for(double s, int bits)
{
    int e;
    double m = frexp(s, &e);                    /* s = m 2^e, m in [0.5, 1) */
    int c = m == 0.5 ? e - 1 : e;               /* ceil(log2 s) */
    return ldexp(1.0, c - bits);
}

double dp_grid_laplace(double scale) { return grid_for(scale, LAPLACE_BITS); }
double dp_grid_gaussian(double sigma) { return grid_for(sigma, GAUSS_BITS); }

/* round(x / gamma); the caller has checked on_grid(x, gamma). */
static int64_t to_grid(double x, double gamma)
{
    return (int64_t)nearbyint(x / gamma);
}

/* True when x is finite and x / gamma lies within +-2^62 grid steps.  A value beyond
** is refused rather than clamped, since clamping would release a wrong value. */
static bool on_grid(double x, double gamma)
{
    return isfinite(x) && fabs(x / gamma) <= GRID_MAX;
}

double dp_laplace_limit(double sensitivity, double epsilon)
{
    return GRID_MAX * dp_grid_laplace(sensitivity / epsilon);
}

double dp_gaussian_noise_limit(double sigma)
{
    return GRID_MAX * dp_grid_gaussian(sigma);
}

static double from_grid(int64_t k, int64_t z, double gamma)
{
    i128 s = (i128)k + z;
    return (double)s * gamma;
}

static bool positive(double v) { return v > 0 && isfinite(v); }

/* Discrete-Laplace scale in grid units for L1 sensitivity sens plus `extra` steps. */
static uint64_t laplace_t(double sens, double eps, double gamma, double extra)
{
    double t = ceil((sens / gamma + extra) / eps * (1 + 0x1p-50));
    if (t < 1) t = 1;
    if (t > 0x1p52) return 0;
    return (uint64_t)t;
}

/* ---- Laplace ----------------------------------------------------------------------------- */

bool dp_laplace(Rng *r, double x, double sensitivity, double epsilon, double *out)
{
    if (!positive(sensitivity) || !positive(epsilon)) return false;
    double gamma = dp_grid_laplace(sensitivity / epsilon);
    uint64_t t = laplace_t(sensitivity, epsilon, gamma, 1);
    if (!t || !on_grid(x, gamma)) return false;
    *out = from_grid(to_grid(x, gamma), dp_discrete_laplace(r, t), gamma);
    return true;
}

/* Laplace noise on n values held as doubles (xd) or as floats (xf; xd NULL): the grid,
** the integer noise and the composed sensitivity are the same for both. */
static bool laplace_values(Rng *r, double *xd, float *xf, size_t n, double sensitivity,
                           double epsilon)
{
    if (!positive(sensitivity) || !positive(epsilon)) return false;
    double gamma = dp_grid_laplace(sensitivity / epsilon);
    for (size_t i = 0; i < n; i++) if (!on_grid(xd ? xd[i] : (double)xf[i], gamma)) return false;
    uint64_t t = laplace_t(sensitivity, epsilon, gamma, (double)n);
    if (!t) return false;
    for (size_t i = 0; i < n; i++) {
        double v = from_grid(to_grid(xd ? xd[i] : (double)xf[i], gamma), dp_discrete_laplace(r, t), gamma);
        if (xd) xd[i] = v; else xf[i] = (float)v;
    }
    return true;
}

bool dp_laplace_array(Rng *r, double *x, size_t n, double sensitivity, double epsilon)
{
    return laplace_values(r, x, NULL, n, sensitivity, epsilon);
}

bool dp_laplace_f32(Rng *r, float *x, size_t n, double sensitivity, double epsilon)
{
    return laplace_values(r, NULL, x, n, sensitivity, epsilon);
}

/* ---- Gaussian ----------------------------------------------------------------------------- */

/* Standard normal CDF in log space, accurate in both tails. */
static double log_ndtr(double x)
{
    double z = -x / M_SQRT2;                    /* Phi(x) = erfc(z) / 2 */
    if (z < 25) {
        double e = erfc(z);
        if (e > 0) return log(0.5 * e);
    }
    double z2 = z * z;                          /* Laurent series of log erfc at +inf */
    return log(0.5) - 0.5 * log(M_PI) - log(z) - z2 - 0.5 / z2 + 0.625 / (z2 * z2)
           - 37.0 / 24.0 / (z2 * z2 * z2) + 353.0 / 64.0 / (z2 * z2 * z2 * z2);
}

/* delta(sigma, eps) of the Gaussian mechanism with sensitivity 1 (Balle & Wang 2018,
** Theorem 8): Phi(1/(2s) - eps s) - e^eps Phi(-1/(2s) - eps s). */
static double gauss_delta(double s, double eps)
{
    double a = 0.5 / s, b = eps * s;
    double d = exp(log_ndtr(a - b)) - exp(eps + log_ndtr(-a - b));
    return d > 0 ? d : 0;
}

double dp_gaussian_sigma(double epsilon, double delta)
{
    if (!positive(epsilon) || !(delta > 0 && delta < 1)) return NAN;
    double lo = 1, hi = 1;
    while (gauss_delta(hi, epsilon) > delta && hi < 1e300) hi *= 2;
    lo = hi / 2;
    while (gauss_delta(lo, epsilon) <= delta && lo > 1e-300) lo /= 2;
    for (int i = 0; i < 200 && hi - lo > hi * 1e-15; i++) {
        double mid = 0.5 * (lo + hi);
        if (gauss_delta(mid, epsilon) <= delta) hi = mid; else lo = mid;
    }
    return hi;                                  /* the side that satisfies delta */
}

double dp_gaussian_epsilon(double z, double delta)
{
    if (!positive(z) || !(delta > 0 && delta < 1)) return NAN;
    if (gauss_delta(z, 0) <= delta) return 0;
    double lo = 0, hi = 1;
    while (gauss_delta(z, hi) > delta) {
        hi *= 2;
        if (hi > 1e6) return INFINITY;
    }
    for (int i = 0; i < 200 && hi - lo > hi * 1e-15; i++) {
        double mid = 0.5 * (lo + hi);
        if (gauss_delta(z, mid) <= delta) hi = mid; else lo = mid;
    }
    return hi;
}

/* Integer variance on the grid, rounded up (more noise is never less private). */
static uint64_t gauss_var(double sigma, double gamma)
{
    double sg = sigma / gamma;
    double v = ceil(sg * sg * (1 + 0x1p-50));
    if (!(v >= 1) || v > 0x1p56) return 0;
    return (uint64_t)v;
}

/* Gaussian noise on the grid for n values held as doubles (xd) or floats (xf; xd NULL). */
static bool gauss_grid(Rng *r, double *xd, float *xf, size_t n, double sigma, double gamma)
{
    uint64_t var = gauss_var(sigma, gamma);
    if (!var) return false;
    for (size_t i = 0; i < n; i++) if (!on_grid(xd ? xd[i] : (double)xf[i], gamma)) return false;
    for (size_t i = 0; i < n; i++) {
        double v = from_grid(to_grid(xd ? xd[i] : (double)xf[i], gamma), dp_discrete_gaussian(r, var), gamma);
        if (xd) xd[i] = v; else xf[i] = (float)v;
    }
    return true;
}

bool dp_gaussian_noise(Rng *r, double *x, size_t n, double sigma)
{
    if (!positive(sigma)) return false;
    return gauss_grid(r, x, NULL, n, sigma, dp_grid_gaussian(sigma));
}

bool dp_gaussian_noise_f32(Rng *r, float *x, size_t n, double sigma)
{
    if (!positive(sigma)) return false;
    return gauss_grid(r, NULL, x, n, sigma, dp_grid_gaussian(sigma));
}

/* sigma for L2 sensitivity sens on n values, with the grid's rounding absorbed. */
static bool gauss_calibrate(size_t n, double sens, double eps, double delta,
                            double *sigma, double *gamma)
{
    if (!positive(sens) || !positive(eps) || !(delta > 0 && delta < 1)) return false;
    double s1 = dp_gaussian_sigma(eps, delta);
    if (!positive(s1)) return false;
    *gamma = dp_grid_gaussian(sens * s1);
    *sigma = (sens + *gamma * sqrt((double)n)) * s1;
    return positive(*sigma);
}

double dp_gaussian_limit(size_t n, double sensitivity, double epsilon, double delta)
{
    double sigma, gamma;
    return gauss_calibrate(n, sensitivity, epsilon, delta, &sigma, &gamma) ? GRID_MAX * gamma : NAN;
}

/* The calibrated Gaussian mechanism on doubles (xd) or floats (xf; xd NULL). */
static bool gaussian_values(Rng *r, double *xd, float *xf, size_t n, double sensitivity,
                            double epsilon, double delta, double *sigma_out)
{
    double sigma, gamma;
    if (!gauss_calibrate(n, sensitivity, epsilon, delta, &sigma, &gamma)) return false;
    if (!gauss_grid(r, xd, xf, n, sigma, gamma)) return false;
    if (sigma_out) *sigma_out = sigma;
    return true;
}

bool dp_gaussian(Rng *r, double *x, size_t n, double sensitivity, double epsilon,
                 double delta, double *sigma_out)
{
    return gaussian_values(r, x, NULL, n, sensitivity, epsilon, delta, sigma_out);
}

bool dp_gaussian_f32(Rng *r, float *x, size_t n, double sensitivity, double epsilon,
                     double delta, double *sigma_out)
{
    return gaussian_values(r, NULL, x, n, sensitivity, epsilon, delta, sigma_out);
}

/* ---- fast floating-point Gaussian (DP-SGD steps) ---------------------------------------- */

void dp_noise_gaussian_f32(Rng *r, float *x, size_t n, double sigma)
{
    /* Marsaglia's polar method on 32-bit uniforms (two from each 64-bit word: plenty for
    ** float32 results, and half the generator's work of 53-bit ones), batched. */
    uint64_t buf[512];
    size_t have = 0, pos = 0, i = 0;
    while (i < n) {
        if (pos == have) {
            size_t want = (n - i) / 2 + 8;      /* ~0.64 words per deviate */
            if (want > sizeof buf / sizeof buf[0]) want = sizeof buf / sizeof buf[0];
            rng_bytes(r, buf, want * sizeof buf[0]);
            have = want; pos = 0;
        }
        uint64_t w = buf[pos++];
        double u = (double)(uint32_t)w * 0x1.0p-31 - 1.0;
        double v = (double)(uint32_t)(w >> 32) * 0x1.0p-31 - 1.0;
        double s = u * u + v * v;
        if (s >= 1.0 || s == 0.0) continue;
        double m = sigma * sqrt(-2.0 * log(s) / s);
        x[i++] += (float)(u * m);
        if (i < n) x[i++] += (float)(v * m);
    }
    memset(buf, 0, sizeof buf);
}

/* ---- Gamma shares of Laplace noise ------------------------------------------------------- */

double dp_gamma(Rng *r, double shape, double scale)
{
    if (!positive(shape) || !positive(scale)) return NAN;
    double boost = 0;                           /* log of U^(1/shape) for shape < 1 */
    if (shape < 1) {
        boost = log(rng_uniform_pos(r)) / shape;
        shape += 1;
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {                                  /* Marsaglia & Tsang (2000) */
        double z, v;
        do { z = rng_normal(r); v = 1.0 + c * z; } while (v <= 0);
        v = v * v * v;
        double u = rng_uniform_pos(r);
        if (u < 1.0 - 0.0331 * z * z * z * z
            || log(u) < 0.5 * z * z + d * (1.0 - v + log(v)))
            return exp(log(d * v) + boost) * scale;
    }
}

double dp_laplace_share(Rng *r, int n, double b)
{
    if (n < 1 || !positive(b)) return NAN;
    double a = 1.0 / n;
    return dp_gamma(r, a, b) - dp_gamma(r, a, b);
}

bool dp_laplace_share_add(Rng *r, double *x, size_t len, int n, double b)
{
    if (n < 1 || !positive(b)) return false;
    for (size_t i = 0; i < len; i++) x[i] += dp_laplace_share(r, n, b);
    return true;
}

/* ---- sparse vector ------------------------------------------------------------------------- */

int dp_svt(Rng *r, const double *queries, size_t n, double threshold,
           double sensitivity, double epsilon, int c, size_t *idx)
{
    if (!positive(sensitivity) || !positive(epsilon) || c < 1 || !isfinite(threshold))
        return -1;
    /* One grid for both noises, fitted to the larger (query) scale 4 c sens / eps. */
    double gamma = dp_grid_laplace(4.0 * c * sensitivity / epsilon);
    if (!on_grid(threshold, gamma)) return -1;
    for (size_t i = 0; i < n; i++) if (!on_grid(queries[i], gamma)) return -1;
    uint64_t t_rho = laplace_t(sensitivity, epsilon / 2.0, gamma, 1);          /* eps1 */
    uint64_t t_nu = laplace_t(2.0 * c * sensitivity, epsilon / 2.0, gamma, 2.0 * c); /* eps2 */
    if (!t_rho || !t_nu) return -1;
    i128 thr = (i128)to_grid(threshold, gamma) + dp_discrete_laplace(r, t_rho);
    int found = 0;
    for (size_t i = 0; i < n && found < c; i++) {
        i128 q = (i128)to_grid(queries[i], gamma) + dp_discrete_laplace(r, t_nu);
        if (q >= thr) idx[found++] = i;
    }
    return found;
}
