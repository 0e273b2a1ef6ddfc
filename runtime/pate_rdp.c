/*
** pate_rdp.c — the privacy analysis of PATE's aggregators in Rényi DP, at the
** accountant's orders (dp_rdp_orders): the data-independent cost of one query of LNMax
** (pure 2/b-DP), GNMax (alpha / sigma^2) and confident GNMax (its threshold check plus
** the answer), and the data-dependent analysis of GNMax of Papernot, Song, Mironov,
** Raghunathan, Talwar and Erlingsson, "Scalable Private Learning with PATE" (ICLR 2018):
** Proposition 7 bounds q = Pr[GNMax(n) != argmax n] by the vote gaps, and Theorem 6 turns
** q and the mechanism's RDP at two higher orders mu1, mu2 into an RDP bound at lower
** orders that vanishes as q -> 0.  The data-dependent figure is a function of the clean
** votes: it is not itself differentially private (the paper releases it only through
** smooth sensitivity), so ppdl reports it to the experimenter and charges ledgers with
** the data-independent cost.  See docs/pate.md.
*/
#include "pate.h"
#include "dp.h"
#include <math.h>
#include <stdlib.h>

/* log(erfc(x)) without underflow: the continued-fraction tail for large x. */
static double log_erfc(double x)
{
    if (x < 25) return log(erfc(x));
    double x2 = x * x;      /* erfc(x) ~ e^-x^2 / (x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4)) */
    return -x2 - log(x) - 0.5 * log(M_PI) + log1p(-0.5 / x2 + 0.75 / (x2 * x2));
}

/* log(e^a + e^b). */
static double log_add(double a, double b)
{
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

/* log(1 - e^x) for x < 0. */
static double log1mexp(double x)
{
    return x > -M_LN2 ? log(-expm1(x)) : log1p(-exp(x));
}

void pate_rdp_query(const PateMech *mech, double *rdp)
{
    double a[DP_RDP_NORDERS];
    switch (mech->kind) {
    case PATE_LNMAX:
        dp_rdp_curve_pure(2.0 / mech->scale, rdp);
        break;
    case PATE_GNMAX:
        dp_rdp_curve_gaussian(mech->scale / M_SQRT2, rdp);
        break;
    case PATE_CONFIDENT:
        dp_rdp_curve_gaussian(mech->sigma1, rdp);       /* the max count: sensitivity 1 */
        dp_rdp_curve_gaussian(mech->scale / M_SQRT2, a);
        for (int i = 0; i < DP_RDP_NORDERS; i++) rdp[i] += a[i];
        break;
    }
}

double pate_logq_gnmax(const double *counts, int C, double sigma)
{
    int top = 0;
    for (int c = 1; c < C; c++) if (counts[c] > counts[top]) top = c;
    double lq = -INFINITY;
    for (int c = 0; c < C; c++) {
        if (c == top) continue;
        /* Pr[N(0, 2 sigma^2) >= gap] = erfc(gap / (2 sigma)) / 2 */
        lq = log_add(lq, log_erfc((counts[top] - counts[c]) / (2 * sigma)) - M_LN2);
    }
    double cap = log1p(-1.0 / C);
    return lq < cap ? lq : cap;
}

void pate_rdp_gnmax_dd(double logq, double sigma, double *rdp)
{
    double v = sigma * sigma;
    for (int i = 0; i < DP_RDP_NORDERS; i++) rdp[i] = dp_rdp_orders[i] / v;
    if (logq == -INFINITY) {                    /* a certain outcome */
        for (int i = 0; i < DP_RDP_NORDERS; i++) rdp[i] = 0;
        return;
    }
    /* the higher orders of the paper's Section B.3: mu2 = sigma sqrt(log 1/q), mu1 = mu2 + 1 */
    double mu2 = sqrt(v * -logq), mu1 = mu2 + 1;
    if (!(mu2 > 1)) return;
    double e1 = mu1 / v, e2 = mu2 / v;
    /* Theorem 6 applies when q <= e^((mu2-1) e2) / (mu1/(mu1-1) * mu2/(mu2-1))^mu2 and
    ** q e^e2 < 1 (A stays positive) */
    double cond = (mu2 - 1) * e2 - mu2 * (log(mu1 / (mu1 - 1)) + log(mu2 / (mu2 - 1)));
    if (!(logq <= cond) || !(-logq > e2)) return;
    double log1q = log1mexp(logq);
    double logA = log1q - log1mexp((logq + e2) * (1 - 1 / mu2));
    double logB = e1 - logq / (mu1 - 1);
    for (int i = 0; i < DP_RDP_NORDERS; i++) {
        double l = dp_rdp_orders[i];
        if (!(l < mu1)) continue;
        /* (1/(l-1)) log((1-q) A^(l-1) + q B^(l-1)) */
        double s = log_add(log1q + (l - 1) * logA, logq + (l - 1) * logB) / (l - 1);
        if (s < rdp[i]) rdp[i] = s;
    }
}

double pate_epsilon_di(const PateMech *mech, long queries, double delta, double *order)
{
    if (pate_mech_check(mech, NULL) || queries < 0 || !(delta > 0 && delta < 1))
        return NAN;
    double rdp[DP_RDP_NORDERS];
    pate_rdp_query(mech, rdp);
    for (int i = 0; i < DP_RDP_NORDERS; i++) rdp[i] *= (double)queries;
    return dp_rdp_to_epsilon(dp_rdp_orders, rdp, DP_RDP_NORDERS, delta, DP_CLASSIC, order);
}

double pate_epsilon_dd(const PateMech *mech, const double *hist, size_t Q, int C,
                       const int *answered, double delta, double *order)
{
    if (pate_mech_check(mech, NULL) || C < 2 || !(delta > 0 && delta < 1)) return NAN;
    if (mech->kind == PATE_LNMAX) return pate_epsilon_di(mech, (long)Q, delta, order);
    double tot[DP_RDP_NORDERS] = { 0 }, one[DP_RDP_NORDERS];
    for (size_t q = 0; q < Q; q++) {
        if (mech->kind == PATE_CONFIDENT) {
            dp_rdp_curve_gaussian(mech->sigma1, one);
            for (int i = 0; i < DP_RDP_NORDERS; i++) tot[i] += one[i];
            if (answered && !answered[q]) continue;
        }
        pate_rdp_gnmax_dd(pate_logq_gnmax(hist + q * (size_t)C, C, mech->scale), mech->scale, one);
        for (int i = 0; i < DP_RDP_NORDERS; i++) tot[i] += one[i];
    }
    return dp_rdp_to_epsilon(dp_rdp_orders, tot, DP_RDP_NORDERS, delta, DP_CLASSIC, order);
}
