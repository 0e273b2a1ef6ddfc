/*
** pate.h — PATE (Papernot et al. 2017, 2018) and SPEED (Grivet Sébert et al. 2021):
** teachers' votes aggregated by a noisy argmax, in the clear (the reference) or blind.
** pate.c owns the vote encoding in fixed point, the teachers' noise shares, the plaintext
** noisy-max aggregators (LNMax, GNMax, confident GNMax) and the SPEED protocol as rounds
** of per-party steps over the message layer; pate_rdp.c owns the privacy analysis (the
** data-independent RDP of LNMax / GNMax and the data-dependent RDP of GNMax, Papernot et
** al. 2018, Theorem 6 and Proposition 7).  It knows nothing of interpreter values or
** party names: stdlib/lib_pate.c does.
**
** Security notes (SPEED).
**  - Parties: n teachers, an aggregator A, a second server S that holds the Paillier
**    private key, the student U, and the dealer D of the comparison's correlated
**    randomness (AND triples, daBits; shares.h).  Semi-honest and NON-COLLUDING: A and S
**    together learn the histogram (A's masks plus S's decryptions); S with D learns A's
**    comparison inputs.  D may be U (the student learns the label anyway) but must not
**    collude with A or S.  This is the two-server model; threshold Paillier (no single
**    decryptor) is not built.
**  - What each party learns: a teacher, nothing (it sends only); A, ciphertexts and
**    uniformly distributed openings; S, values h + r with r uniform on
**    [0, 2^(hb + 40)) where every h lies in [0, 2^hb) (statistical distance < 2^-40 per
**    value), and openings; U, the labels (A's and S's shares of each argmax); D, nothing.
**  - The noise: every teacher adds its own share (Gamma-difference shares whose sum is
**    Laplace(b), or Gaussian shares of variance sigma^2 / m whose sum is N(0, sigma^2)),
**    so no party knows the total noise.  With dropouts = k the shares are sized for m =
**    n - k teachers: any m or more present teachers give at least the required noise.
**  - Noise shares are floating-point deviates rounded to the fixed point of the
**    protocol (2^-16); see docs/pate.md for what that does and does not protect.
**  - Keys below 2048 bits are for teaching.
*/
#ifndef PATE_H
#define PATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "paillier.h"
#include "rng.h"
#include "shares.h"

#define PATE_FRAC 16            /* fixed point of votes and noise: units of 2^-16 */
#define PATE_TAIL 64.0          /* a noise share beyond 64 scales is refused (p < e^-60) */

typedef enum PateKind { PATE_LNMAX, PATE_GNMAX, PATE_CONFIDENT } PateKind;

/* A noisy-max aggregator.  LNMax: Laplace noise of scale b on every count.  GNMax:
** Gaussian noise of standard deviation sigma.  Confident GNMax: a query is answered
** only when max count + N(0, sigma1^2) >= threshold, then by GNMax with sigma2. */
typedef struct PateMech {
    PateKind kind;
    double scale;               /* b (LNMax) or sigma (GNMax, and sigma2 of confident) */
    double threshold, sigma1;   /* confident GNMax only */
} PateMech;

/* Checks a mechanism's parameters; 0, or RT_EINVAL with the reason in err. */
int     pate_mech_check(const PateMech *m, RtErr *err);

/* --- votes, noise, fixed point --------------------------------------------------------- */
/* round(x * 2^PATE_FRAC) into *out; false when x is not finite or beyond 2^46. */
bool    pate_fix(double x, int64_t *out);
/* The first index of the largest of h[0..C) (the tie rule of ss_max). */
int     pate_argmax(const int64_t *h, int C);
/* One teacher's noise shares for len counts, drawn from r: Laplace(b) split among m
** parties (G1 - G2 with G1, G2 ~ Gamma(1/m, b)), or N(0, sigma^2 / m).  Confident GNMax
** shares the answering noise (sigma2).  -1 when m < 1. */
int     pate_noise_share(Rng *r, const PateMech *mech, int m, double *out, size_t len);
/* The public bound on |vote + noise share| of one count of one teacher: 1 + PATE_TAIL
** times the scale of the whole noise (a share's is smaller). */
double  pate_share_bound(const PateMech *mech);
/* Central noisy max over Q queries of C counts (hist, row-major), drawing from r:
** labels[q] in 0..C-1, or -1 when confident GNMax declines.  Noise from the exact
** discrete samplers of dp.h.  -1 on a bad parameter. */
int     pate_noisy_max(Rng *r, const PateMech *mech, const double *hist, size_t Q, int C,
                       int *labels);

/* --- privacy analysis (pate_rdp.c), curves at dp_rdp_orders ---------------------------- */
/* The data-independent RDP of ONE answered query: LNMax is 2/b-DP (the histogram's L1
** sensitivity is 2) and gets the pure-DP curve; GNMax alpha / sigma^2 (L2 sensitivity
** sqrt 2); confident GNMax the threshold check alpha / (2 sigma1^2) plus the answer. */
void    pate_rdp_query(const PateMech *mech, double *rdp);
/* log q, the bound of Proposition 7 on Pr[GNMax(n) != argmax n] for counts n[0..C):
** log(sum over i != i* of erfc((n_i* - n_i) / (2 sigma)) / 2), capped at log(1 - 1/C). */
double  pate_logq_gnmax(const double *counts, int C, double sigma);
/* The data-dependent RDP of one GNMax query whose q bound is exp(logq) (Theorem 6 with
** the higher orders mu2 = sigma sqrt(log(1/q)), mu1 = mu2 + 1), never above the
** data-independent alpha / sigma^2.  rdp[i] for order dp_rdp_orders[i]. */
void    pate_rdp_gnmax_dd(double logq, double sigma, double *rdp);
/* Epsilon at delta (classic conversion) of Q queries' data-independent cost. */
double  pate_epsilon_di(const PateMech *mech, long queries, double delta, double *order);
/* Epsilon at delta of the data-dependent analysis of the queries in hist (Q x C clean
** counts): GNMax only (confident GNMax: the answered ones, answered[q] != 0, plus every
** threshold check).  LNMax: the data-independent figure.  NaN on a bad parameter. */
double  pate_epsilon_dd(const PateMech *mech, const double *hist, size_t Q, int C,
                        const int *answered, double delta, double *order);

/* --- SPEED: the blind aggregation ------------------------------------------------------ */
struct Msg;
typedef struct PateSpeed {
    struct Msg *msg;            /* the message layer every frame goes through */
    int nteachers;
    const int *teacher;         /* party ids */
    const bool *dropped;        /* dropped[i]: teacher i sends nothing (may be NULL) */
    int min_present;            /* fewer present teachers: refused (noise not enough) */
    int A, S, U, D;             /* aggregator, key server, student, dealer */
    Rng *(*rng)(void *u, int party);    /* each party's own generator */
    void *rng_u;
    const PaiPub *pub;          /* S's public key (every party has it) */
    const PaiPriv *priv;        /* S's private key: read in S's step only */
    PaiOpts opts;
    double bound;               /* public bound on |one teacher's value| */
    /* out: seconds of each phase, and the packing */
    double t_encrypt, t_aggregate, t_convert, t_argmax;     /* wall */
    double c_encrypt, c_aggregate, c_convert, c_argmax;     /* CPU (every thread) */
    unsigned slots, slot_bits;
    size_t ciphertexts;         /* per teacher */
    RtErr err;                  /* why it failed */
} PateSpeed;

/* Runs SPEED on Q queries of C classes: teacher i's step reads x[i] (Q x C doubles,
** votes + its noise share; NULL when dropped), encrypts it packed under S's key and
** posts it to A (round 1); A adds what arrived, masks every count with 40 bits more
** than its bound and posts the re-randomised ciphertexts to S (round 2); S decrypts
** and keeps X = h + r, A keeps -r: additive shares in Z_2^64 of the histogram in fixed
** point; the two run the secure argmax (ss_max, dealer D), and only U receives the
** label shares (ss_reveal).  labels[q] is U's result.  0, or -1 with P->err (nothing
** is sent when a parameter is refused). */
int     pate_speed(PateSpeed *P, const double *const *x, size_t Q, int C, int *labels);
/* The plaintext reference of the same computation: labels[q] = first argmax over c of
** sum over present teachers of fix(x[i][q C + c]).  RT_ERANGE with err on a value out of
** range. */
int     pate_plain(int nteachers, const double *const *x, size_t Q, int C, int *labels,
                   RtErr *err);

#endif
