/*
** dp.h — differential privacy: the Laplace and Gaussian mechanisms on numbers and
** arrays, the exact integer samplers under them (discrete Laplace, discrete Gaussian,
** Bernoulli(exp(-x))), Laplace noise split among n parties as Gamma differences, the
** sparse vector technique, the Rényi-DP accountant of the sampled Gaussian mechanism
** (dp_rdp.c) and the per-dataset budget ledger (dp_ledger.c).  It does not clip or
** noise gradients inside a training step (the nn module does, calling dp_noise_*), and
** it knows nothing of interpreter values (stdlib/lib_dp.c turns these into builtins).
**
** Security notes.
**  - Floating-point noise leaks (Mironov 2012): x + b·log(U) computed in doubles has
**    gaps and a support that depends on x, so one output can reveal x exactly.  ppdl's
**    releases (dp_laplace*, dp_gaussian*, dp_svt) never compute noise in floating point:
**    the value is rounded to a grid of step gamma = 2^k (k chosen from the noise scale
**    alone, about 2^-40 of it for Laplace and 2^-24 for Gaussian), an integer noise is
**    drawn from the discrete Laplace or discrete Gaussian distribution with the exact
**    rejection samplers of Canonne, Kamath & Steinke (2020) using only integer
**    arithmetic and uniform integers from rng.h, and the result is gamma·(k + z).  The
**    output is a post-processing of an integer mechanism, so the guarantee is exact.
**    Rounding can move a value by gamma/2, so the sensitivity used to calibrate the
**    noise is the true one plus one grid step (plus one step per coordinate for arrays).
**  - The grid holds 2^62 steps each side, so a value beyond about 2^22 Laplace scales
**    (2^38 Gaussian sigmas) is refused with an error instead of being clamped to a wrong
**    release.  The refusal depends on the data: bound your values first (clip them) so
**    that no dataset can reach the limit.
**  - dp_noise_gaussian_f32() is the fast floating-point path for noise inside DP-SGD,
**    where one step adds ~10^5 deviates: it is the usual Box–Muller-style deviate that
**    TF Privacy and Opacus use (Opacus' "secure mode" is not reproduced), and it is not
**    protected against Mironov-style attacks on the released weights.
**  - The samplers are not constant-time: their running time depends on the noise drawn
**    (not on the data), which a co-located observer could time.
**  - Noise is only as good as the generator: a seeded Rng (seed(n)) makes every release
**    reproducible by anyone who knows n — for classrooms and tests only.
**  - The ledger composes charges by the better of basic composition and RDP composition
**    (see DpSpent); both are valid upper bounds, so taking the smaller is too.
*/
#ifndef DP_H
#define DP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "error.h"
#include "rng.h"

/* ---- exact integer samplers (Canonne, Kamath & Steinke 2020) ----------------------- */

/* One draw of Bernoulli(exp(-num/den)) for integers num >= 0, den > 0 (exact). */
bool    dp_bernoulli_exp(Rng *r, uint64_t num, uint64_t den);
/* One draw of the discrete Laplace distribution: P(z) proportional to exp(-|z|/t),
** t >= 1 an integer (t <= 2^48). */
int64_t dp_discrete_laplace(Rng *r, uint64_t t);
/* One draw of the discrete Gaussian: P(z) proportional to exp(-z^2 / (2 sigma2)),
** sigma2 >= 1 an integer variance (sigma2 <= 2^56). */
int64_t dp_discrete_gaussian(Rng *r, uint64_t sigma2);

/* ---- mechanisms (on a grid; see the security notes) --------------------------------- */

/* *out = x + Laplace noise for epsilon-DP with the given L1 sensitivity.
** Returns false (and leaves *out) when a parameter is not a positive finite number or
** x is not finite or beyond dp_laplace_limit. */
bool    dp_laplace(Rng *r, double x, double sensitivity, double epsilon, double *out);
/* The same for an array of n values whose L1 sensitivity (as a vector) is given:
** every element gets independent noise; in place. */
bool    dp_laplace_array(Rng *r, double *x, size_t n, double sensitivity, double epsilon);
bool    dp_laplace_f32(Rng *r, float *x, size_t n, double sensitivity, double epsilon);
/* x + discrete-Gaussian noise of standard deviation sigma (absolute units), on a grid
** chosen from sigma (see dp_grid_gaussian for the rounding's cost).  False on a bad
** sigma or when n is so large that the grid cannot absorb the rounding. */
bool    dp_gaussian_noise(Rng *r, double *x, size_t n, double sigma);
bool    dp_gaussian_noise_f32(Rng *r, float *x, size_t n, double sigma);
/* The (epsilon, delta) Gaussian mechanism on n values with L2 sensitivity given:
** calibrates sigma with dp_gaussian_sigma (including the grid's rounding) and adds the
** noise in place; *sigma_out (may be NULL) receives the standard deviation used. */
bool    dp_gaussian(Rng *r, double *x, size_t n, double sensitivity, double epsilon,
                    double delta, double *sigma_out);
bool    dp_gaussian_f32(Rng *r, float *x, size_t n, double sensitivity, double epsilon,
                        double delta, double *sigma_out);
/* Smallest sigma for which the Gaussian mechanism with L2 sensitivity 1 is
** (epsilon, delta)-DP — the analytic calibration of Balle & Wang (2018), exact for any
** epsilon > 0 (the textbook sqrt(2 ln(1.25/delta))/epsilon needs epsilon < 1). */
double  dp_gaussian_sigma(double epsilon, double delta);
/* The epsilon a Gaussian release with noise multiplier z = sigma / sensitivity costs
** at the given delta (inverse of dp_gaussian_sigma); inf when no epsilon suffices. */
double  dp_gaussian_epsilon(double z, double delta);
/* The largest |x| each mechanism places on its grid (2^62 steps: about 2^22 times the
** Laplace scale, 2^38 times sigma).  A value beyond is refused (the mechanism returns
** false), never clamped.  dp_gaussian_limit is for the calibrated dp_gaussian (NaN on
** bad parameters); dp_svt uses the Laplace grid of scale 4·c·sensitivity/epsilon. */
double  dp_laplace_limit(double sensitivity, double epsilon);
double  dp_gaussian_limit(size_t n, double sensitivity, double epsilon, double delta);
double  dp_gaussian_noise_limit(double sigma);
/* The grid step gamma used for noise of scale s (a power of two, from s alone).  The
** rounding to the grid adds at most one step per coordinate to the sensitivity: a
** caller that picks sigma itself accounts with sensitivity + gamma·sqrt(n) (L2). */
double  dp_grid_laplace(double scale);
double  dp_grid_gaussian(double sigma);

/* Fast floating-point Gaussian noise for DP-SGD steps: x[i] += sigma * N(0, 1) (not
** protected against floating-point attacks; see the security notes). */
void    dp_noise_gaussian_f32(Rng *r, float *x, size_t n, double sigma);

/* ---- noise split among parties (SPEED) ---------------------------------------------- */

/* One Gamma(shape, scale) deviate (Marsaglia & Tsang; shape < 1 by boosting). */
double  dp_gamma(Rng *r, double shape, double scale);
/* Party i's part of Laplace(b) noise split among n parties: G1 - G2 with G1, G2 ~
** Gamma(1/n, b) independent.  The sum of the n parts is exactly Laplace(b) (the
** Laplace law is infinitely divisible), while each part alone has variance 2b^2/n. */
double  dp_laplace_share(Rng *r, int n, double b);
/* One party's step of the Gamma-split round: adds its own share of each of len
** independent Laplace(b) noises split among n parties to x[0..len), drawing from r (the
** party's generator).  False (x untouched) if n < 1 or b is not positive and finite. */
bool    dp_laplace_share_add(Rng *r, double *x, size_t len, int n, double b);

/* ---- sparse vector technique ---------------------------------------------------------- */

/* Above-threshold (sparse vector, Lyu, Su & Li 2017 Alg. 1; Dwork & Roth's
** AboveThreshold when c = 1): reports the indices of the first c queries whose noisy
** value reaches the noisy threshold, for epsilon-DP in total when each query has
** sensitivity `sensitivity`.  Threshold noise Lap(2·sens/epsilon), query noise
** Lap(4·c·sens/epsilon).  Writes at most c indices into idx and returns how many
** (0: none of the n queries was above); -1 on a bad parameter. */
int     dp_svt(Rng *r, const double *queries, size_t n, double threshold,
               double sensitivity, double epsilon, int c, size_t *idx);

/* ---- Rényi-DP accountant of the sampled Gaussian mechanism (dp_rdp.c) --------------- */

typedef enum DpConversion {
    DP_CLASSIC,     /* eps = min_a rdp(a) + log(1/delta)/(a-1)  (Mironov 2017) */
    DP_IMPROVED     /* eps = min_a rdp(a) + log1p(-1/a) - log(delta·a)/(a-1)
                       (Balle et al. 2020; Canonne, Kamath & Steinke 2020) */
} DpConversion;

/* TF Privacy's orders: 1.1, 1.2, ..., 10.9 and 12, 13, ..., 63 (151 orders). */
#define DP_RDP_NORDERS 151
extern const double dp_rdp_orders[DP_RDP_NORDERS];

/* RDP at order alpha > 1 of ONE step of the sampled Gaussian mechanism with sampling
** rate q in [0, 1] and noise multiplier sigma > 0 (Mironov, Talwar & Zhang 2019):
** integer orders by the exact binomial expansion in log space, fractional orders by
** the erfc series, as TF Privacy computes them.  May be +inf. */
double  dp_rdp_sgm(double q, double sigma, double alpha);
/* Converts an RDP curve (n orders) to epsilon at delta; *order (may be NULL) receives
** the optimal order.  inf when no order gives a finite epsilon. */
double  dp_rdp_to_epsilon(const double *orders, const double *rdp, int n, double delta,
                          DpConversion conv, double *order);
/* Epsilon of `steps` steps of the sampled Gaussian mechanism at delta, TF Privacy's
** orders, classic conversion: the number DP-SGD reports.  NaN on bad parameters. */
double  dp_rdp_epsilon(double q, double sigma, long steps, double delta);
/* The same with a choice of conversion; *order (may be NULL) gets the optimal order. */
double  dp_rdp_epsilon_ex(double q, double sigma, long steps, double delta,
                          DpConversion conv, double *order);

/* ---- the budget ledger (dp_ledger.c) -------------------------------------------------- */

struct Ds;


typedef struct DpCharge {
    char *what;             /* "laplace(...)", "train dpsgd (q = ..., ...)" */
    double epsilon, delta;  /* the charge's own cost */
    double *rdp;            /* its RDP curve at dp_rdp_orders, or NULL */
} DpCharge;

/* A dataset's ledger.  Every copy and derivation of a dataset (splits, partitions,
** batches, normalised copies, the tensors d.x and d.y and what is computed from them,
** datasets rebuilt from those tensors) shares ONE ledger (reference counted through
** Ds.ledger_copy and the interpreter's tensor values), so a budget cannot be spent twice
** by copying the data; for disjoint splits this is conservative (parallel composition
** would allow each part the whole budget).  When data under two ledgers is combined,
** the two are joined into one (dp_ledger_join): `into` points from the absorbed ledger
** to the one that now stands for both, and every function below follows it.
** The cap only goes down: the first budget is free, later ones may only lower epsilon
** and delta (dp_ledger_lower), and only the party that set the first one (owner) may
** lower it. */
typedef struct DpLedger {
    unsigned refs;
    struct DpLedger *into;  /* joined into this ledger (holds a reference), or NULL */
    bool has_budget;
    int owner;              /* party that set the budget (0: the top level) */
    double budget_epsilon, budget_delta;
    DpCharge *c; size_t n, cap;
} DpLedger;

/* What a ledger has spent, by the better of two valid accountings: basic composition
** (epsilons add, deltas add) or, when every charge has an RDP curve, the sum of the
** curves converted at the budget's delta (without a budget: at the sum of the deltas).
** Repeated DP-SGD runs and Gaussian releases compose far better the second way. */
typedef struct DpSpent { double epsilon, delta; bool by_rdp; } DpSpent;

/* RDP curves (at dp_rdp_orders) of the mechanisms the ledger records: an epsilon-DP
** release (min(eps, alpha eps^2 / 2), Bun & Steinke 2016), a Gaussian release with noise
** multiplier z (alpha / (2 z^2)), and `steps` steps of the sampled Gaussian mechanism. */
void    dp_rdp_curve_pure(double epsilon, double *rdp);
void    dp_rdp_curve_gaussian(double z, double *rdp);
void    dp_rdp_curve_sgm(double q, double sigma, long steps, double *rdp);

DpLedger *dp_ledger_new(void);
/* Drops one reference (frees with the last); signature fits Ds.ledger_free. */
void    dp_ledger_free(void *ledger);
/* Adds a reference and returns the same ledger; signature fits Ds.ledger_copy. */
void   *dp_ledger_share(const void *ledger);
/* The ledger of a dataset (its root); with create, attaches a new one (and Ds's
** free/copy hooks) when it has none.  NULL when it has none and create is false. */
DpLedger *dp_ledger_of(struct Ds *d, bool create);
/* The ledger L stands for: L itself, or the one it was joined into (NULL for NULL). */
DpLedger *dp_ledger_root(const DpLedger *L);
/* Joins two ledgers into one (a no-op when they are already one): the result holds the
** charges of both and the lower of their caps (each of epsilon and delta), and both a and
** b stand for it from now on.  Returns the root. */
DpLedger *dp_ledger_join(DpLedger *a, DpLedger *b);
/* Sets (or replaces) the budget, unconditionally (restoring files, tests).  False if
** epsilon or delta is negative or not finite. */
bool    dp_ledger_set_budget(DpLedger *L, double epsilon, double delta);
/* The budget-setting rule: party `by` (0: the top level) sets the cap to (epsilon,
** delta).  The first setting is free and makes `by` the ledger's owner; later ones must
** come from the owner and may only lower each of epsilon and delta (the same value again
** is fine).  Returns DP_BUDGET_SET, or why nothing changed. */
enum { DP_BUDGET_SET, DP_BUDGET_NOT_OWNER, DP_BUDGET_RAISES, DP_BUDGET_BAD };
int     dp_ledger_lower(DpLedger *L, int by, double epsilon, double delta);
/* What has been spent (see DpSpent). */
DpSpent dp_ledger_spent(const DpLedger *L);
/* Whether a charge of (epsilon, delta) with RDP curve rdp (may be NULL) fits the
** budget by either accounting (always true without a budget). */
bool    dp_ledger_fits(const DpLedger *L, double epsilon, double delta, const double *rdp);
/* Records a charge if it fits and returns 0; otherwise returns RT_EBUDGET with why not in
** err (what the charge costs, what was spent, what is left), or RT_EINVAL for a negative
** charge.  rdp (may be NULL) is the charge's RDP curve, copied. */
int     dp_ledger_charge(DpLedger *L, const char *what, double epsilon, double delta,
                         const double *rdp, RtErr *err);
/* Replaces into's budget, its owner and charges with a copy of from's (restoring a saved
** ledger: the charges are taken as they were, without checking them against the budget).
** Callers check first that from's cap does not raise into's (dp_ledger_lower's rule). */
void    dp_ledger_restore(DpLedger *into, const DpLedger *from);
/* Writes the ledger as text ("ppdl-ledger 1", a budget line, charge lines each followed
** by an rdp line when the charge has a curve; numbers in %.17g, so they round-trip). */
bool    dp_ledger_write(const DpLedger *L, FILE *f);
/* Reads what dp_ledger_write wrote; NULL (with RT_EFORMAT and the line in err) on a
** malformed file. */
DpLedger *dp_ledger_read(FILE *f, RtErr *err);

#endif
