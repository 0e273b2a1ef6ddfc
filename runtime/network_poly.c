/*
** network_poly.c — polynomial stand-ins for sigmoid and tanh, the activations that HE and
** MPC can evaluate with additions and multiplications only.  Two fits: Taylor around 0
** (exact power-series coefficients from the functions' differential equations) and
** Chebyshev interpolation on an interval (degree + 1 Chebyshev nodes: near-minimax,
** no Runge oscillation), both returned as monomial coefficients evaluated by Horner's
** rule.  The plaintext, HE and MPC runtimes all take their coefficients from here, so
** a student comparing them compares the same polynomial.  Owns no state.
*/
#include "network.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

double nn_fn_exact(NnFn fn, double x)
{
    if (fn == NN_FN_TANH) return tanh(x);
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

/* sigmoid' = s - s², s(0) = 1/2;  tanh' = 1 - t², t(0) = 0.  With s = Σ a_n x^n the
** derivative equation gives (n+1) a_{n+1} = [linear term]_n - Σ_{k<=n} a_k a_{n-k}. */
int nn_poly_fit_taylor(NnFn fn, int degree, double *coef)
{
    if (degree < 1 || degree > NN_MAXDEG) return -1;
    double a[NN_MAXDEG + 1] = {0};
    a[0] = fn == NN_FN_TANH ? 0.0 : 0.5;
    for (int n = 0; n < degree; n++) {
        double sq = 0;
        for (int k = 0; k <= n; k++) sq += a[k] * a[n - k];
        double lin = fn == NN_FN_TANH ? (n == 0 ? 1.0 : 0.0) : a[n];
        a[n + 1] = (lin - sq) / (n + 1);
    }
    memcpy(coef, a, (size_t)(degree + 1) * sizeof *coef);
    return 0;
}

int nn_poly_fit_interval(NnFn fn, int degree, double lo, double hi, double *coef)
{
    if (degree < 1 || degree > NN_MAXDEG || !(hi > lo) || !isfinite(lo) || !isfinite(hi))
        return -1;
    int N = degree + 1;
    double mid = (lo + hi) / 2, half = (hi - lo) / 2;
    double c[NN_MAXDEG + 1] = {0};
    for (int j = 0; j < N; j++) {
        double th = M_PI * (j + 0.5) / N;
        double f = nn_fn_exact(fn, mid + half * cos(th));
        for (int k = 0; k < N; k++) c[k] += 2.0 / N * f * cos(k * th);
    }
    c[0] /= 2;
    /* Chebyshev series in t -> monomials in t: T_{k+1} = 2t T_k - T_{k-1}. */
    double tprev[NN_MAXDEG + 2] = {0}, tcur[NN_MAXDEG + 2] = {0}, tnext[NN_MAXDEG + 2];
    double e[NN_MAXDEG + 1] = {0};
    tprev[0] = 1;                       /* T_0 */
    tcur[1] = 1;                        /* T_1 */
    e[0] += c[0];
    if (N > 1) e[1] += c[1];
    for (int k = 2; k < N; k++) {
        memset(tnext, 0, sizeof tnext);
        for (int i = 0; i <= k; i++)
            tnext[i] = (i > 0 ? 2 * tcur[i - 1] : 0) - tprev[i];
        for (int i = 0; i <= k; i++) e[i] += c[k] * tnext[i];
        memcpy(tprev, tcur, sizeof tcur);
        memcpy(tcur, tnext, sizeof tnext);
    }
    /* Substitute t = (x - mid) / half and expand with binomial coefficients. */
    double out[NN_MAXDEG + 1] = {0};
    for (int j = 0; j < N; j++) {
        double scale = e[j] / pow(half, j), binom = 1;
        for (int i = 0; i <= j; i++) {
            out[i] += scale * binom * pow(-mid, j - i);
            binom = binom * (j - i) / (i + 1);
        }
    }
    memcpy(coef, out, (size_t)N * sizeof *coef);
    return 0;
}

double nn_poly_eval(const double *coef, int degree, double x)
{
    double y = coef[degree];
    for (int i = degree - 1; i >= 0; i--) y = y * x + coef[i];
    return y;
}

int nn_approx_fit(NnFn fn, NnApprox *a, RtErr *err)
{
    if (a->kind == NN_APPROX_NONE) return 0;
    if (a->degree < 1 || a->degree > NN_MAXDEG) {
        rt_err(err, RT_EINVAL, "polynomial degree must be 1..%d, got %d", NN_MAXDEG, a->degree);
        return -1;
    }
    memset(a->coef, 0, sizeof a->coef);
    if (a->kind == NN_APPROX_TAYLOR) return nn_poly_fit_taylor(fn, a->degree, a->coef);
    if (nn_poly_fit_interval(fn, a->degree, a->lo, a->hi, a->coef) < 0) {
        rt_err(err, RT_EINVAL, "interpolation interval [%g, %g] is empty", a->lo, a->hi);
        return -1;
    }
    return 0;
}
