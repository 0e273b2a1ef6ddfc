/*
** test_rt_pate.c — PATE and SPEED in the runtime (runtime/pate*.c): the teachers' noise
** shares sum to the right law (moments and a Kolmogorov–Smirnov test against the
** Laplace and normal CDFs); the blind pipeline gives exactly the labels of the plaintext
** aggregation for the same values, ties included; the key server's and the aggregator's
** views, read as an attacker would (decrypting what S received with S's key), hold no
** histogram and no label; a dropped teacher is tolerated when the noise shares allow it
** and refused otherwise, before anything reaches S; bad parameters are refused; the
** data-dependent analysis agrees with tests/interop/pate_rdp.py, an independent
** evaluation of Papernot et al. (2018), Theorem 6 and Proposition 7.
*/
#include "tu.h"
#include "pate.h"
#include "dp.h"
#include "message.h"
#include "wire.h"
#include "capture.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAIKEY_SEED 20261128
#include "paikey.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The Kolmogorov–Smirnov statistic of x[0..n) (sorted in place) against cdf. */
static double ks(double *x, size_t n, double (*cdf)(double, double), double s)
{
    qsort(x, n, sizeof *x, cmp_d);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double F = cdf(x[i], s);
        double a = fabs(F - (double)i / n), b = fabs((double)(i + 1) / n - F);
        if (a > d) d = a;
        if (b > d) d = b;
    }
    return d;
}

static double laplace_cdf(double x, double b) { return x < 0 ? 0.5 * exp(x / b) : 1 - 0.5 * exp(-x / b); }
static double normal_cdf(double x, double s) { return 0.5 * erfc(-x / (s * M_SQRT2)); }

/* The sum of m teachers' shares: Laplace(b) or N(0, sigma^2); each share alone has the
** m-th of the variance.  KS at n = 20000: the 0.1% critical value is 1.95/sqrt(n). */
static void noise_shares_sum_to_the_law(void)
{
    enum { N = 20000, M = 50 };
    Rng r;
    rng_seed(&r, 7);
    double *sum = calloc(N, sizeof *sum), share[M];
    double crit = 1.95 / sqrt((double)N);
    for (int kind = 0; kind < 2; kind++) {
        PateMech mech = { .kind = kind ? PATE_GNMAX : PATE_LNMAX, .scale = kind ? 40 : 20 };
        double s1 = 0, s2 = 0, v1 = 0;
        for (int i = 0; i < N; i++) {
            CU_ASSERT_EQUAL(pate_noise_share(&r, &mech, M, share, M), 0);
            sum[i] = 0;
            for (int j = 0; j < M; j++) sum[i] += share[j];
            s1 += sum[i]; s2 += sum[i] * sum[i]; v1 += share[0] * share[0];
        }
        double var = kind ? 1600.0 : 2 * 400.0;
        TU_NEAR(s1 / N, 0, 5 * sqrt(var / N));
        TU_NEAR(s2 / N / var, 1, 0.05);
        TU_NEAR(v1 / N / (var / M), 1, 0.1);                  /* one share: 1/M of it */
        double d = ks(sum, N, kind ? normal_cdf : laplace_cdf, kind ? 40 : 20);
        CU_ASSERT(d < crit);
        /* and the test can fail: the sum of M - 1 shares is not the law */
        for (int i = 0; i < N; i++) {
            pate_noise_share(&r, &mech, M, share, M);
            sum[i] = 0;
            for (int j = 0; j < M / 2; j++) sum[i] += share[j];
        }
        CU_ASSERT(ks(sum, N, kind ? normal_cdf : laplace_cdf, kind ? 40 : 20) > crit);
    }
    CU_ASSERT_EQUAL(pate_noise_share(&r, &(PateMech){ .kind = PATE_LNMAX, .scale = 1 }, 0, share, 1), -1);
    free(sum);
}

/* --- a layer that keeps every frame (capture.h) ------------------------------------------ */

static Rng PR[16];
static Rng *prng(void *u, int party) { (void)u; return &PR[party]; }

/* Parties: teachers 1..T, A = 10, S = 11, U = 12, D = 13. */
enum { A = 10, S = 11, U = 12, D = 13, TMAX = 8 };
typedef struct World { Tr tr; Msg msg; Capture *cap; PateSpeed P; int teacher[TMAX]; } World;

static void world_init(World *w, int nt, double bound)
{
    memset(w, 0, sizeof *w);
    tr_init(&w->tr);
    w->cap = capture_new();
    msg_init(&w->msg, &w->tr, &w->cap->t);
    for (int i = 0; i < 16; i++) rng_seed(&PR[i], 100 + (uint64_t)i);
    for (int i = 0; i < nt; i++) w->teacher[i] = i + 1;
    w->P = (PateSpeed){ .msg = &w->msg, .nteachers = nt, .teacher = w->teacher, .min_present = nt,
                        .A = A, .S = S, .U = U, .D = D, .rng = prng, .pub = &PUB, .priv = &PRIV,
                        .bound = bound };
}

static void world_free(World *w) { msg_free(&w->msg); tr_free(&w->tr); }

/* Teachers' values: one-hot votes (with ties on purpose) plus noise shares, or none. */
static double **values(int nt, size_t Q, int C, double noise, int seed)
{
    Rng r;
    rng_seed(&r, (uint64_t)seed);
    double **x = calloc((size_t)nt, sizeof *x);
    for (int i = 0; i < nt; i++) {
        x[i] = calloc(Q * (size_t)C, sizeof **x);
        for (size_t q = 0; q < Q; q++) {
            int v = (int)rng_below(&r, q % 3 == 0 ? 2 : (uint64_t)C);   /* many ties: classes 0, 1 */
            x[i][q * (size_t)C + (size_t)v] = 1;
            for (int c = 0; c < C && noise > 0; c++) x[i][q * (size_t)C + (size_t)c] += noise * (rng_uniform(&r) - 0.5);
        }
    }
    return x;
}

static void values_free(double **x, int nt)
{
    for (int i = 0; i < nt; i++) free(x[i]);
    free(x);
}

static void speed_equals_plaintext(void)
{
    setup_key();
    enum { NT = 6, Q = 30, C = 10 };
    for (int noisy = 0; noisy < 2; noisy++) {
        double **x = values(NT, Q, C, noisy ? 8.0 : 0, 3 + noisy);
        int lab[Q], ref[Q];
        RtErr err;
        CU_ASSERT_EQUAL(pate_plain(NT, (const double *const *)x, Q, C, ref, &err), 0);
        World w;
        world_init(&w, NT, 10);
        int rc = pate_speed(&w.P, (const double *const *)x, Q, C, lab);
        if (rc) fprintf(stderr, "  %s\n", w.P.err.msg);
        CU_ASSERT_EQUAL(rc, 0);
        CU_ASSERT(memcmp(lab, ref, sizeof lab) == 0);
        for (int q = 0; q < Q; q++) if (lab[q] != ref[q]) fprintf(stderr, "  noisy %d q %d: %d != %d\n", noisy, q, lab[q], ref[q]);
        CU_ASSERT(w.P.slots >= 2);
        world_free(&w);
        values_free(x, NT);
    }
}

/* S's seat: decrypt every ciphertext S received with S's key, unpack its slots as S does
** and take S's share X - offset; its argmax per query is the label no more often than
** chance allows, and it is uncorrelated with the histogram.  A receives ciphertexts and
** ring openings only.  Labels travel only to U. */
static void views_hold_no_histogram_and_no_label(void)
{
    setup_key();
    enum { NT = 4, Q = 120, C = 10 };
    double **x = values(NT, Q, C, 0, 9);
    for (int i = 0; i < NT; i++)                      /* a clear winner per query: class q % C */
        for (size_t q = 0; q < Q; q++) {
            memset(&x[i][q * C], 0, C * sizeof **x);
            x[i][q * C + (q * 7) % C] = 1;
        }
    int lab[Q];
    World w;
    world_init(&w, NT, 2);
    CU_ASSERT_EQUAL_FATAL(pate_speed(&w.P, (const double *const *)x, Q, C, lab), 0);
    unsigned wbits = w.P.slot_bits, slots = w.P.slots;
    unsigned vb = wbits - PAI_MASK_SLACK - 1 - 1 - 2;  /* hb = vb + 1 + log2(4) */
    uint64_t *shareS = calloc(Q * C, sizeof *shareS);
    int ct_frames_to_S = 0, label_frames = 0;
    for (int f = 0; f < w.cap->n; f++) {
        WireR r;
        WireHdr h;
        const msgpack_object *payload;
        wire_r_init(&r, "test");
        CU_ASSERT_FATAL(wire_open_frame(&r, w.cap->buf[f], w.cap->len[f], &h, &payload));
        if (w.cap->to[f] == U) label_frames++;
        CU_ASSERT(w.cap->to[f] != A || strcmp(h.kind, "ciphertext") == 0 || strcmp(h.kind, "open") == 0 ||
                  strcmp(h.kind, "triple") == 0);
        if (w.cap->to[f] == S && strcmp(h.kind, "ciphertext") == 0) {
            ct_frames_to_S++;
            size_t k = payload->via.array.size;
            mpz_t *c = calloc(k, sizeof *c), m, s;
            mpz_inits(m, s, NULL);
            for (size_t i = 0; i < k; i++) mpz_init(c[i]);
            CU_ASSERT_FATAL(wire_get_residues(&r, payload, c, k, (2 * PUB.bits + 7) / 8));
            for (size_t i = 0; i < k; i++) {
                CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, m, c[i], NULL), RT_OK);
                for (unsigned j = 0; j < slots; j++) {
                    size_t v = i * slots + j;
                    mpz_fdiv_r_2exp(s, m, wbits);
                    mpz_fdiv_q_2exp(m, m, wbits);
                    if (v < Q * C) shareS[v] = mpz_getlimbn(s, 0) - ((uint64_t)NT << vb);
                }
                mpz_clear(c[i]);
            }
            mpz_clears(m, s, NULL);
            free(c);
        }
        wire_r_free(&r);
    }
    CU_ASSERT_EQUAL(ct_frames_to_S, 1);
    CU_ASSERT_EQUAL(label_frames, 2);                 /* A's and S's shares of the labels */
    /* the attacker's guess: argmax of S's share (as signed 64-bit) */
    int hits = 0;
    for (size_t q = 0; q < Q; q++) {
        int64_t h[C];
        for (int c = 0; c < C; c++) h[c] = (int64_t)shareS[q * C + c];
        hits += pate_argmax(h, C) == lab[q];
        CU_ASSERT_EQUAL(lab[q], (int)((q * 7) % C));
    }
    CU_ASSERT(hits < Q / 4);                          /* chance: Q / C = 12 */
    /* S's values are the histogram plus masks far wider than it: none equals a count */
    int equal = 0;
    for (size_t v = 0; v < Q * C; v++) equal += shareS[v] == 0 || shareS[v] == ((uint64_t)NT << PATE_FRAC);
    CU_ASSERT(equal == 0);
    free(shareS);
    world_free(&w);
    values_free(x, NT);
}

static void dropped_teacher(void)
{
    setup_key();
    enum { NT = 5, Q = 12, C = 4 };
    double **x = values(NT, Q, C, 3.0, 11);
    bool dropped[NT] = { false, false, true, false, false };
    int lab[Q], ref[Q];
    RtErr err;
    /* tolerated: shares sized for 4 teachers, 4 present; labels of the 4 present */
    World w;
    world_init(&w, NT, 10);
    w.P.dropped = dropped; w.P.min_present = NT - 1;
    CU_ASSERT_EQUAL(pate_speed(&w.P, (const double *const *)x, Q, C, lab), 0);
    double *x4[NT];
    for (int i = 0; i < NT; i++) x4[i] = dropped[i] ? NULL : x[i];
    pate_plain(NT, (const double *const *)x4, Q, C, ref, &err);
    CU_ASSERT(memcmp(lab, ref, sizeof lab) == 0);
    world_free(&w);
    /* refused: shares sized for 5; nothing reaches S or U */
    world_init(&w, NT, 10);
    w.P.dropped = dropped;
    CU_ASSERT_EQUAL(pate_speed(&w.P, (const double *const *)x, Q, C, lab), -1);
    CU_ASSERT_EQUAL(w.P.err.code, RT_EPROTO);
    CU_ASSERT(strstr(w.P.err.msg, "4 of 5 teachers") != NULL);
    CU_ASSERT_EQUAL(capture_count_to(w.cap, S), 0);
    CU_ASSERT_EQUAL(capture_count_to(w.cap, U), 0);
    world_free(&w);
    values_free(x, NT);
}

static void bad_parameters(void)
{
    setup_key();
    RtErr err;
    PateMech m = { .kind = PATE_LNMAX, .scale = 0 };
    CU_ASSERT_EQUAL(pate_mech_check(&m, &err), RT_EINVAL);
    CU_ASSERT_EQUAL(err.code, RT_EINVAL);
    CU_ASSERT(strstr(err.msg, "noise <= 0") != NULL);
    m = (PateMech){ .kind = PATE_GNMAX, .scale = -3 };
    CU_ASSERT_EQUAL(pate_mech_check(&m, &err), RT_EINVAL);
    m = (PateMech){ .kind = PATE_CONFIDENT, .scale = 40, .sigma1 = 0, .threshold = 30 };
    CU_ASSERT_EQUAL(pate_mech_check(&m, &err), RT_EINVAL);
    CU_ASSERT(strstr(err.msg, "sigma1") != NULL);
    CU_ASSERT(isnan(pate_epsilon_di(&m, 10, 1e-5, NULL)));
    /* a value beyond the public bound is refused by its teacher: nothing is sent */
    enum { NT = 2, Q = 3, C = 3 };
    double **x = values(NT, Q, C, 0, 1);
    x[1][4] = 50;
    int lab[Q];
    World w;
    world_init(&w, NT, 10);
    CU_ASSERT_EQUAL(pate_speed(&w.P, (const double *const *)x, Q, C, lab), -1);
    CU_ASSERT_EQUAL(w.P.err.code, RT_ERANGE);
    CU_ASSERT(strstr(w.P.err.msg, "beyond the public bound") != NULL);
    CU_ASSERT_EQUAL(capture_count_to(w.cap, A) + capture_count_to(w.cap, S), 1);   /* teacher 1's only */
    /* and no stale frame is left for the next run over the same layer */
    x[1][4] = 0;
    x[0][2] = 9;            /* teacher 1's new value makes query 1 class 2 (its votes were 0 or 1) */
    int ref[Q];
    CU_ASSERT_EQUAL(pate_plain(NT, (const double *const *)x, Q, C, ref, &err), 0);
    CU_ASSERT_EQUAL(pate_speed(&w.P, (const double *const *)x, Q, C, lab), 0);
    CU_ASSERT(memcmp(lab, ref, sizeof lab) == 0);
    CU_ASSERT_EQUAL(lab[0], 2);
    world_free(&w);
    values_free(x, NT);
}

static int order_index(double a)
{
    for (int i = 0; i < DP_RDP_NORDERS; i++) if (fabs(dp_rdp_orders[i] - a) < 1e-9) return i;
    return -1;
}

/* Known answers from tests/interop/pate_rdp.py (plain floating point, straight from the
** paper's formulas). */
static void data_dependent_matches_reference(void)
{
    static const struct { double counts[10], sigma, logq, rdp[4]; } K[] = {
        { { 100, 50, 50, 30, 20 }, 40, -0.2795540344107426, { 0.00125, 0.005, 0.0125, 0.025 } },
        { { 45, 5 }, 5, -18.583777119344976,
          { 7.838246677613169e-08, 0.00028018905136616227, 0.7862626945534523, 1.6 } },
        { { 200, 20, 10 }, 20, -22.904238301270496,
          { 1.3863310498612388e-10, 5.207233682368303e-10, 5.549612462456658e-08, 0.000404269799952284 } },
        { { 240, 10 }, 40, -9.094431020648441,
          { 3.654912844792989e-05, 4.844010637501258e-05, 0.00011710023773160869, 0.001049807341025729 } },
        { { 40, 8, 2 }, 6, -9.277749217595163,
          { 0.00032926646932175023, 0.01867027953839512, 0.5555555555555556, 1.1111111111111112 } },
    };
    static const double orders[4] = { 2, 8, 20, 40 };
    for (size_t k = 0; k < sizeof K / sizeof K[0]; k++) {
        double lq = pate_logq_gnmax(K[k].counts, 10, K[k].sigma), rdp[DP_RDP_NORDERS];
        TU_NEAR(lq, K[k].logq, 1e-9 * fabs(K[k].logq));
        pate_rdp_gnmax_dd(lq, K[k].sigma, rdp);
        for (int j = 0; j < 4; j++) TU_NEAR(rdp[order_index(orders[j])], K[k].rdp[j], 1e-6 * K[k].rdp[j]);
    }
    /* 1000 queries: data-dependent and data-independent epsilon at delta 1e-5 */
    PateMech g5 = { .kind = PATE_GNMAX, .scale = 5 }, g40 = { .kind = PATE_GNMAX, .scale = 40 };
    double *hist = calloc(1000 * 10, sizeof *hist);
    for (int q = 0; q < 1000; q++) { hist[q * 10] = 45; hist[q * 10 + 1] = 5; }
    TU_NEAR(pate_epsilon_dd(&g5, hist, 1000, 10, NULL, 1e-5, NULL), 1.890855021367, 1e-9);
    TU_NEAR(pate_epsilon_di(&g40, 1000, 1e-5, NULL), 5.989924526737262, 1e-9);
    /* the data-dependent bound never exceeds the data-independent one */
    CU_ASSERT(pate_epsilon_dd(&g40, hist, 1000, 10, NULL, 1e-5, NULL) <= pate_epsilon_di(&g40, 1000, 1e-5, NULL));
    free(hist);
}

int main(void)
{
    static const TU_Test tests[] = {
        { .name = "noise shares sum to Laplace / Gaussian (moments, KS)", .fn = noise_shares_sum_to_the_law },
        { .name = "SPEED gives the plaintext aggregation's labels", .fn = speed_equals_plaintext },
        { .name = "S's and A's views hold no histogram and no label", .fn = views_hold_no_histogram_and_no_label },
        { .name = "a dropped teacher: tolerated or refused", .fn = dropped_teacher },
        { .name = "bad parameters refused before anything is sent", .fn = bad_parameters },
        { .name = "data-dependent RDP agrees with the reference", .fn = data_dependent_matches_reference },
        { NULL, NULL }
    };
    int rc = tu_main("rt_pate", tests);
    paikey_clear();
    return rc;
}
