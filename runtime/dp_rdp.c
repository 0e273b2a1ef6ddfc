/*
** dp_rdp.c — the Rényi-DP accountant of the sampled Gaussian mechanism (Mironov,
** Talwar & Zhang 2019), the analysis DP-SGD reports: RDP of one step at each of TF
** Privacy's orders, composed over steps by addition, converted to (epsilon, delta) by
** the classic bound (default) or the improved one of Balle et al. 2020 / Canonne,
** Kamath & Steinke 2020.  Integer orders use the exact binomial expansion in log space;
** fractional orders the erfc series, as TF Privacy computes them.  No randomness here.
*/
#include "dp.h"
#include <math.h>

const double dp_rdp_orders[DP_RDP_NORDERS] = {
    1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7,
    2.8, 2.9, 3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1, 4.2, 4.3, 4.4,
    4.5, 4.6, 4.7, 4.8, 4.9, 5.0, 5.1, 5.2, 5.3, 5.4, 5.5, 5.6, 5.7, 5.8, 5.9, 6.0, 6.1,
    6.2, 6.3, 6.4, 6.5, 6.6, 6.7, 6.8, 6.9, 7.0, 7.1, 7.2, 7.3, 7.4, 7.5, 7.6, 7.7, 7.8,
    7.9, 8.0, 8.1, 8.2, 8.3, 8.4, 8.5, 8.6, 8.7, 8.8, 8.9, 9.0, 9.1, 9.2, 9.3, 9.4, 9.5,
    9.6, 9.7, 9.8, 9.9, 10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6, 10.7, 10.8, 10.9,
    12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0,
    26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0,
    40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0,
    54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0
};

/* ---- log-space arithmetic ---------------------------------------------------------- */

static double log_add(double a, double b)
{
    if (a < b) { double t = a; a = b; b = t; }
    if (b == -INFINITY) return a;
    return a + log1p(exp(b - a));
}

/* log(erfc(x)), accurate where erfc underflows (Laurent series at +inf). */
static double log_erfc(double x)
{
    if (x < 25) {
        double r = erfc(x);
        if (r > 0) return log(r);
    }
    double x2 = x * x;
    return -0.5 * log(M_PI) - log(x) - x2 - 0.5 / x2 + 0.625 / (x2 * x2)
           - 37.0 / 24.0 / (x2 * x2 * x2) + 353.0 / 64.0 / (x2 * x2 * x2 * x2);
}

/* ---- log A_alpha ---------------------------------------------------------------------- */

/* Integer alpha: A = sum_i C(alpha, i) (1-q)^(alpha-i) q^i exp((i^2 - i) / (2 sigma^2)). */
static double log_a_int(double q, double sigma, long alpha)
{
    double la = -INFINITY, lq = log(q), l1q = log1p(-q), s2 = 2 * sigma * sigma;
    double lga = lgamma((double)alpha + 1);
    for (long i = 0; i <= alpha; i++) {
        double di = (double)i;
        double lc = lga - lgamma(di + 1) - lgamma((double)(alpha - i) + 1);
        la = log_add(la, lc + di * lq + (double)(alpha - i) * l1q + (di * di - di) / s2);
    }
    return la;
}

/* Fractional alpha: the two halves of A split at z0 (Mironov, Talwar & Zhang 2019, section
** 3.3), each a series in i.  Past i = alpha the binomial coefficients alternate in sign;
** the terms are added by absolute value, which bounds A from above (the conservative
** side), as google's dp_accounting does: a signed sum in log space loses everything when
** a partial sum dips below a term.  The series stops when both halves' terms are falling
** and below exp(-30) of the total; if it has not after 1000 terms the order is unusable
** and gets +inf (so the conversion ignores it), again as the reference does. */
static double log_a_frac(double q, double sigma, double alpha)
{
    double a0 = -INFINITY, a1 = -INFINITY, last0 = -INFINITY, last1 = -INFINITY;
    double z0 = sigma * sigma * log(1 / q - 1) + 0.5;
    double lq = log(q), l1q = log1p(-q), s2 = 2 * sigma * sigma, rs = M_SQRT2 * sigma;
    double lga = lgamma(alpha + 1);
    for (long i = 0; i < 1000; i++) {
        double di = (double)i, j = alpha - di;
        double lcoef = lga - lgamma(di + 1) - lgamma(j + 1);     /* log |C(alpha, i)| */
        double t0 = lcoef + di * lq + j * l1q, t1 = lcoef + j * lq + di * l1q;
        double e0 = log(0.5) + log_erfc((di - z0) / rs);
        double e1 = log(0.5) + log_erfc((z0 - j) / rs);
        double s0 = t0 + (di * di - di) / s2 + e0;
        double s1 = t1 + (j * j - j) / s2 + e1;
        a0 = log_add(a0, s0);
        a1 = log_add(a1, s1);
        double total = log_add(a0, a1);
        if (s0 < last0 && s1 < last1 && fmax(s0, s1) < total - 30) return total;
        last0 = s0; last1 = s1;
    }
    return INFINITY;
}

double dp_rdp_sgm(double q, double sigma, double alpha)
{
    if (!(q >= 0 && q <= 1) || !(sigma > 0) || !(alpha > 1)) return NAN;
    if (q == 0) return 0;
    if (q == 1) return alpha / (2 * sigma * sigma);
    if (isinf(alpha)) return INFINITY;
    double la = alpha == floor(alpha) && alpha < 1e6 ? log_a_int(q, sigma, (long)alpha)
                                                     : log_a_frac(q, sigma, alpha);
    return la / (alpha - 1);
}

/* ---- conversion to (epsilon, delta) ---------------------------------------------------- */

double dp_rdp_to_epsilon(const double *orders, const double *rdp, int n, double delta,
                         DpConversion conv, double *order)
{
    double best = INFINITY, at = NAN;
    for (int k = 0; k < n; k++) {
        double a = orders[k], r = rdp[k], e;
        if (!(a > 1) || isnan(r)) continue;
        if (conv == DP_CLASSIC) {
            e = r + log(1 / delta) / (a - 1);
        } else if (delta * delta + expm1(-r) >= 0) {
            e = 0;                              /* KL bound: delta <= sqrt(1 - e^-r) */
        } else if (a > 1.01) {
            e = r + log1p(-1 / a) - log(delta * a) / (a - 1);
        } else {
            e = INFINITY;                       /* unstable as alpha -> 1 */
        }
        if (e < best) { best = e; at = a; }
    }
    if (order) *order = at;
    return best > 0 ? best : 0;
}

double dp_rdp_epsilon_ex(double q, double sigma, long steps, double delta,
                         DpConversion conv, double *order)
{
    if (!(q >= 0 && q <= 1) || !(sigma > 0) || steps < 0 || !(delta > 0 && delta < 1))
        return NAN;
    if (steps == 0 || q == 0) {                 /* nothing released */
        if (order) *order = NAN;
        return 0;
    }
    double rdp[DP_RDP_NORDERS];
    for (int k = 0; k < DP_RDP_NORDERS; k++)
        rdp[k] = dp_rdp_sgm(q, sigma, dp_rdp_orders[k]) * (double)steps;
    return dp_rdp_to_epsilon(dp_rdp_orders, rdp, DP_RDP_NORDERS, delta, conv, order);
}

double dp_rdp_epsilon(double q, double sigma, long steps, double delta)
{
    return dp_rdp_epsilon_ex(q, sigma, steps, delta, DP_CLASSIC, NULL);
}

/* ---- curves for the ledger ---------------------------------------------------------- */

void dp_rdp_curve_pure(double epsilon, double *rdp)
{
    for (int k = 0; k < DP_RDP_NORDERS; k++) {
        double z = 0.5 * dp_rdp_orders[k] * epsilon * epsilon;    /* eps^2/2-zCDP */
        rdp[k] = z < epsilon ? z : epsilon;
    }
}

void dp_rdp_curve_gaussian(double z, double *rdp)
{
    for (int k = 0; k < DP_RDP_NORDERS; k++) rdp[k] = dp_rdp_orders[k] / (2 * z * z);
}

void dp_rdp_curve_sgm(double q, double sigma, long steps, double *rdp)
{
    for (int k = 0; k < DP_RDP_NORDERS; k++)
        rdp[k] = steps == 0 ? 0 : dp_rdp_sgm(q, sigma, dp_rdp_orders[k]) * (double)steps;
}
