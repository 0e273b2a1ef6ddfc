/*
** pate.c — the aggregation of PATE and SPEED: votes and noise shares in fixed point, the
** central noisy-max aggregators (the plaintext reference of PATE: LNMax, GNMax,
** confident GNMax) and SPEED's blind aggregation as rounds of per-party steps over the
** message layer (runtime/message.h): the teachers encrypt, the aggregator A adds and
** masks, the key server S decrypts only masked values, A and S hold additive shares of
** the histogram and run the secure argmax of shares_cmp.c, whose result only the student
** receives.  Each step reads its own party's values and the frames it took, and draws
** from its own party's generator.  The analysis is pate_rdp.c's; values, parties and
** ledgers are stdlib/lib_pate.c's.
*/
#include "pate.h"
#include "mem.h"
#include "dp.h"
#include "message.h"
#include "wire.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* --- mechanisms, votes and noise -------------------------------------------------------- */

int pate_mech_check(const PateMech *m, RtErr *err)
{
    const char *what = m->kind == PATE_LNMAX ? "LNMax's Laplace scale" : "GNMax's sigma";
    if (!(m->scale > 0) || !isfinite(m->scale)) {
        return rt_fail(err, RT_EINVAL, "%s must be a positive number (got %g): noise <= 0 gives no "
                       "privacy", what, m->scale);
    }
    if (m->kind == PATE_CONFIDENT) {
        if (!(m->sigma1 > 0) || !isfinite(m->sigma1)) {
            return rt_fail(err, RT_EINVAL, "confident GNMax's sigma1 (the threshold check's noise) must "
                           "be a positive number (got %g)", m->sigma1);
        }
        if (!isfinite(m->threshold))
            return rt_fail(err, RT_EINVAL, "confident GNMax's threshold must be a number (got %g)",
                           m->threshold);
    }
    return 0;
}

bool pate_fix(double x, int64_t *out)
{
    if (!isfinite(x) || fabs(x) >= 0x1p46) return false;
    *out = (int64_t)llround(ldexp(x, PATE_FRAC));
    return true;
}

int pate_argmax(const int64_t *h, int C)
{
    int best = 0;
    for (int c = 1; c < C; c++) if (h[c] > h[best]) best = c;
    return best;
}

int pate_noise_share(Rng *r, const PateMech *mech, int m, double *out, size_t len)
{
    if (m < 1) return -1;
    if (mech->kind == PATE_LNMAX) {
        for (size_t i = 0; i < len; i++) out[i] = dp_laplace_share(r, m, mech->scale);
    } else {
        double s = mech->scale / sqrt((double)m);
        for (size_t i = 0; i < len; i++) out[i] = s * rng_normal(r);
    }
    return 0;
}

double pate_share_bound(const PateMech *mech) { return 1 + PATE_TAIL * mech->scale; }

int pate_noisy_max(Rng *r, const PateMech *mech, const double *hist, size_t Q, int C,
                   int *labels)
{
    if (pate_mech_check(mech, NULL) || C < 1) return -1;
    double *row = xcalloc((size_t)C, sizeof *row);
    int rc = 0;
    for (size_t q = 0; q < Q && rc == 0; q++) {
        const double *h = hist + q * (size_t)C;
        labels[q] = -1;
        if (mech->kind == PATE_CONFIDENT) {             /* the threshold check */
            double mx = h[0];
            for (int c = 1; c < C; c++) if (h[c] > mx) mx = h[c];
            if (!dp_gaussian_noise(r, &mx, 1, mech->sigma1)) { rc = -1; break; }
            if (mx < mech->threshold) continue;
        }
        memcpy(row, h, (size_t)C * sizeof *row);
        bool ok = mech->kind == PATE_LNMAX
                  ? dp_laplace_array(r, row, (size_t)C, mech->scale, 1.0)   /* scale b */
                  : dp_gaussian_noise(r, row, (size_t)C, mech->scale);
        if (!ok) { rc = -1; break; }
        int best = 0;
        for (int c = 1; c < C; c++) if (row[c] > row[best]) best = c;
        labels[q] = best;
    }
    free(row);
    return rc;
}

int pate_plain(int nteachers, const double *const *x, size_t Q, int C, int *labels, RtErr *err)
{
    int64_t *h = xcalloc((size_t)C, sizeof *h);
    for (size_t q = 0; q < Q; q++) {
        memset(h, 0, (size_t)C * sizeof *h);
        for (int i = 0; i < nteachers; i++) {
            if (!x[i]) continue;
            for (int c = 0; c < C; c++) {
                int64_t m;
                if (!pate_fix(x[i][q * (size_t)C + c], &m)) {
                    free(h);
                    return rt_fail(err, RT_ERANGE, "teacher %d's value for query %zu, class %d is not a "
                                   "number within 2^46", i + 1, q + 1, c);
                }
                h[c] += m;
            }
        }
        labels[q] = pate_argmax(h, C);
    }
    free(h);
    return 0;
}

/* --- SPEED: frames -------------------------------------------------------------------- */

static size_t residue_bytes(const PaiPub *pub) { return (2 * (size_t)pub->bits + 7) / 8; }

/* Posts k residues from `from` to `to` as one frame: a round of its own, or with
** together, the round of the enclosing parallel section (msg_parallel_begin). */
static int post(PateSpeed *P, int from, int to, mpz_t *c, size_t k, bool together, const char *what)
{
    WireW w;
    wire_w_init(&w);
    wire_put_envelope(&w, &(WireHdr){ .kind = "ciphertext", .from = from, .to = to, .round = 0 });
    wire_put_residues(&w, c, k, residue_bytes(P->pub));
    size_t len;
    uint8_t *frame = wire_w_take(&w, &len);
    wire_w_free(&w);
    if (msg_send_frame(P->msg, from, to, "ciphertext", together, false, what, frame, len) < 0) {
        rt_err(&P->err, RT_EIO, "the transport refused a frame");
        return -1;
    }
    return 0;
}

/* `to` takes the frame from `from`: k residues, each in (0, n^2).  1: nothing waits
** (the sender dropped out); -1: malformed (P->err). */
static int take(PateSpeed *P, int from, int to, mpz_t *c, size_t k)
{
    uint8_t *buf;
    size_t len;
    if (msg_receive(P->msg, from, to, &buf, &len) != 0) return 1;
    WireR r;
    WireHdr h;
    const msgpack_object *payload;
    wire_r_init(&r, "a party");
    bool ok = wire_open_frame(&r, buf, len, &h, &payload) && h.from == from && h.to == to &&
              strcmp(h.kind, "ciphertext") == 0 &&
              wire_get_residues(&r, payload, c, k, residue_bytes(P->pub));
    for (size_t i = 0; ok && i < k; i++)
        ok = mpz_sgn(c[i]) > 0 && mpz_cmp(c[i], P->pub->n2) < 0;
    if (!ok) rt_err(&P->err, RT_EPROTO, "a SPEED message was malformed%s%.180s",
                      r.failed ? ": " : "", r.failed ? r.e.msg : "");
    wire_r_free(&r);
    free(buf);
    return ok ? 0 : -1;
}

static unsigned ceil_log2(double x) { return x <= 1 ? 0 : (unsigned)ceil(log2(x) - 1e-12); }

/* The public layout: a teacher's value m (|m| <= bound 2^16) travels as m + 2^vb in
** [0, 2^(vb+1)); n of them sum below 2^hb; A's masks are uniform on [0, 2^(hb+40)), so a
** masked count is below 2^(hb+41) = 2^w, and slots of w bits never carry. */
typedef struct Layout { unsigned vb, hb, w, slots; size_t nct; } Layout;

static int layout_of(PateSpeed *P, size_t V, Layout *L)
{
    double mb = ldexp(P->bound, PATE_FRAC) + 2;
    if (!(P->bound > 0) || !isfinite(P->bound) || mb >= 0x1p46) {
        rt_err(&P->err, RT_EINVAL, "the bound on a teacher's value must be positive and below "
                 "2^30 (got %g)", P->bound);
        return -1;
    }
    L->vb = ceil_log2(mb);
    L->hb = L->vb + 1 + ceil_log2((double)P->nteachers);
    L->w = L->hb + PAI_MASK_SLACK + 1;
    L->slots = P->pub->bits > 2 ? (P->pub->bits - 2) / L->w : 0;
    if (L->w > 100 || L->slots < 1) {
        rt_err(&P->err, RT_EMASK, "a count's bound plus a 40-bit mask (%u bits) does not fit in "
                 "the %u-bit key", L->w, P->pub->bits);
        return -1;
    }
    L->nct = (V + L->slots - 1) / L->slots;
    return 0;
}

/* --- SPEED: the parties' steps ---------------------------------------------------------- */

/* Teacher i's step (round 1): encodes its own values x[0..V) in fixed point with the
** public offset, packs them, encrypts under S's public key with its own generator and
** posts the ciphertexts to A. */
static int teacher_step(PateSpeed *P, int i, const double *x, size_t V, int C, const Layout *L)
{
    int me = P->teacher[i];
    Rng *rng = P->rng(P->rng_u, me);
    mpz_t *c = pai_mpz_array(L->nct);
    mpz_t pt, e;
    mpz_inits(pt, e, NULL);
    /* the noise factors hs^a first (the costly part; P->opts' threads), then one cheap
    ** (1 + m n) r mod n^2 a ciphertext */
    PaiNoise pool;
    pai_noise_init(&pool);
    int rc = pai_noise_fill(&pool, P->pub, NULL, L->nct, rng, &P->opts, &P->err) == RT_OK ? 0 : -1;
    int64_t lim = (int64_t)ldexp(P->bound, PATE_FRAC) + 1;
    for (size_t k = 0; k < L->nct && rc == 0; k++) {
        if (P->opts.interrupt && *P->opts.interrupt) {
            rt_err(&P->err, RT_EINTR, "interrupted");
            rc = -1;
            break;
        }
        mpz_set_ui(pt, 0);
        for (unsigned j = L->slots; j-- > 0;) {         /* slot j holds value k*slots + j */
            size_t v = k * L->slots + j;
            int64_t m = 0;
            if (v < V && (!pate_fix(x[v], &m) || m > lim || m < -lim)) {
                rt_err(&P->err, RT_ERANGE, "teacher %d's value for query %zu, class %zu is "
                         "beyond the public bound %g on |vote + noise share| (the value stays "
                         "private; nothing of it was sent)", i + 1, v / (size_t)C + 1, v % (size_t)C,
                         P->bound);
                rc = -1;
                break;
            }
            mpz_mul_2exp(pt, pt, L->w);
            mpz_set_si(e, m + ((int64_t)1 << L->vb));   /* offset binary: non-negative */
            mpz_add(pt, pt, e);
        }
        if (rc == 0 && pai_encrypt_pool(P->pub, &pool, c[k], pt, &P->err) != RT_OK) rc = -1;
    }
    pai_noise_clear(&pool);
    pai_mpz_wipe(pt); pai_mpz_wipe(e);
    mpz_clears(pt, e, NULL);
    if (rc == 0) {
        char what[160];
        snprintf(what, sizeof what, "SPEED: E(votes + noise share), %zu counts packed %u a "
                 "ciphertext (%zu ciphertexts)", V, L->slots, L->nct);
        rc = post(P, me, P->A, c, L->nct, true, what);
    }
    pai_mpz_array_free(c, L->nct);
    return rc;
}

/* A's step (round 1, receiving): the product of the ciphertexts that arrived.  *present
** gets how many teachers sent. */
static int aggregator_sum(PateSpeed *P, const Layout *L, mpz_t *sum, int *present)
{
    mpz_t *got = pai_mpz_array(L->nct);
    *present = 0;
    int rc = 0;
    for (size_t k = 0; k < L->nct; k++) mpz_set_ui(sum[k], 1);     /* E(0) with no noise */
    for (int i = 0; i < P->nteachers && rc == 0; i++) {
        int t = take(P, P->teacher[i], P->A, got, L->nct);
        if (t == 1) continue;                           /* dropped out: nothing arrived */
        if (t < 0) { rc = -1; break; }
        ++*present;
        for (size_t k = 0; k < L->nct; k++) pai_add(P->pub, sum[k], sum[k], got[k]);
    }
    pai_mpz_array_free(got, L->nct);
    return rc;
}

/* A's step (round 2): masks every count with r uniform on [0, 2^(hb+40)), keeps -r as
** its share, re-randomises and posts to S. */
static int aggregator_mask(PateSpeed *P, const Layout *L, mpz_t *sum, size_t V, uint64_t *shareA)
{
    Rng *rng = P->rng(P->rng_u, P->A);
    mpz_t R, r;
    mpz_inits(R, r, NULL);
    for (size_t k = 0; k < L->nct; k++) {
        mpz_set_ui(R, 0);
        for (unsigned j = L->slots; j-- > 0;) {
            size_t v = k * L->slots + j;
            pai_random_bits(r, L->hb + PAI_MASK_SLACK, rng);
            if (v < V) shareA[v] = -(uint64_t)mpz_getlimbn(r, 0);   /* -r mod 2^64 */
            mpz_mul_2exp(R, R, L->w);
            mpz_add(R, R, r);
        }
        pai_add_plain(P->pub, sum[k], sum[k], R);
        pai_rerandomize(P->pub, sum[k], rng);
    }
    pai_mpz_wipe(R); pai_mpz_wipe(r);
    mpz_clears(R, r, NULL);
    char what[200];
    snprintf(what, sizeof what, "SPEED: the encrypted histogram masked (h + r, r of %u bits, "
             "re-randomised; %zu ciphertexts); the key server sees only these",
             L->hb + PAI_MASK_SLACK, L->nct);
    return post(P, P->A, P->S, sum, L->nct, false, what);
}

/* S's step (round 2, receiving): decrypts the masked counts with its private key; its
** share is X - present * 2^vb (the public offsets) mod 2^64. */
static int server_step(PateSpeed *P, const Layout *L, size_t V, int present, uint64_t *shareS)
{
    mpz_t *got = pai_mpz_array(L->nct);
    int rc = take(P, P->A, P->S, got, L->nct);
    if (rc == 1) rt_err(&P->err, RT_EPROTO, "the aggregator's message did not arrive");
    mpz_t m, s;
    mpz_inits(m, s, NULL);
    uint64_t off = (uint64_t)present << L->vb;
    for (size_t k = 0; k < L->nct && rc == 0; k++) {
        if (pai_decrypt(P->priv, P->pub, m, got[k], NULL) != RT_OK) {
            rt_err(&P->err, RT_EKEY, "the key server could not decrypt a masked count");
            rc = -1;
            break;
        }
        for (unsigned j = 0; j < L->slots; j++) {
            size_t v = k * L->slots + j;
            mpz_fdiv_r_2exp(s, m, L->w);
            mpz_fdiv_q_2exp(m, m, L->w);
            if (v < V) shareS[v] = (uint64_t)mpz_getlimbn(s, 0) - off;
        }
    }
    pai_mpz_wipe(m); pai_mpz_wipe(s);
    mpz_clears(m, s, NULL);
    pai_mpz_array_free(got, L->nct);
    return rc;
}

/* After a refusal in round 1, A discards what the teachers had already sent, so that
** no stale frame waits in the transport for a later run. */
static void drain(PateSpeed *P)
{
    uint8_t *buf;
    size_t len;
    for (int i = 0; i < P->nteachers; i++)
        while (msg_receive(P->msg, P->teacher[i], P->A, &buf, &len) == 0) free(buf);
}

int pate_speed(PateSpeed *P, const double *const *x, size_t Q, int C, int *labels)
{
    rt_err_clear(&P->err);
    P->t_encrypt = P->t_aggregate = P->t_convert = P->t_argmax = 0;
    P->c_encrypt = P->c_aggregate = P->c_convert = P->c_argmax = 0;
    size_t V = Q * (size_t)C;
    Layout L;
    if (C < 2 || Q == 0) {
        rt_err(&P->err, RT_EINVAL, "SPEED needs at least one query and two classes");
        return -1;
    }
    if (P->nteachers < 1 || layout_of(P, V, &L)) {
        if (!P->err.code) rt_err(&P->err, RT_EINVAL, "SPEED needs at least one teacher");
        return -1;
    }
    P->slots = L.slots; P->slot_bits = L.w; P->ciphertexts = L.nct;
    pai_pub_precompute((PaiPub *)P->pub);       /* idempotent; the table is public */

    /* round 1: every present teacher encrypts and posts */
    double t0 = now(), c0 = cpu();
    int rc = 0;
    msg_parallel_begin(P->msg);                 /* the teachers' frames travel in one round */
    for (int i = 0; i < P->nteachers && rc == 0; i++)
        if (!(P->dropped && P->dropped[i])) rc = teacher_step(P, i, x[i], V, C, &L);
    msg_parallel_end(P->msg);
    double t1 = now(), c1 = cpu();
    P->t_encrypt = t1 - t0; P->c_encrypt = c1 - c0;
    if (rc) { drain(P); return -1; }

    /* A adds what arrived; too few teachers: the noise is not enough, refuse */
    mpz_t *sum = pai_mpz_array(L.nct);
    int present = 0;
    rc = aggregator_sum(P, &L, sum, &present);
    if (rc) drain(P);
    if (rc == 0 && present < P->min_present) {
        rt_err(&P->err, RT_EPROTO, "%d of %d teachers sent their votes; the noise shares need "
                 "at least %d (dropouts = %d), so the queries are refused and nothing is released",
                 present, P->nteachers, P->min_present, P->nteachers - P->min_present);
        rc = -1;
    }
    double t2 = now(), c2 = cpu();
    P->t_aggregate = t2 - t1; P->c_aggregate = c2 - c1;

    /* round 2: A masks and posts to S; S decrypts: A and S hold additive shares */
    SsCtx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.msg = P->msg; ctx.rng = P->rng(P->rng_u, 0); ctx.party_rng = P->rng;
    ctx.party_rng_u = P->rng_u; ctx.no_sim_check = 1; ctx.nthreads = 1;
    SsScheme sc;
    int parties[2] = { P->A, P->S };
    SsTensor *H = NULL, *am = NULL, *mx = NULL;
    if (rc == 0 && ss_scheme_additive(&ctx, &sc, 2, parties, PATE_FRAC, P->D) != 0) {
        rt_err(&P->err, RT_EINVAL, "%s", ctx.err.msg);
        rc = -1;
    }
    if (rc == 0) {
        int shape[2] = { (int)Q, C };
        H = ss_new(&sc, 2, shape, PATE_FRAC);
        rc = aggregator_mask(P, &L, sum, V, H->s[0]);
        if (rc == 0) rc = server_step(P, &L, V, present, H->s[1]);
    }
    pai_mpz_array_free(sum, L.nct);
    double t3 = now(), c3 = cpu();
    P->t_convert = t3 - t2; P->c_convert = c3 - c2;

    /* the secure argmax on shares; only U receives the result */
    Tn *lab = NULL;
    if (rc == 0) {
        mx = ss_max(&ctx, H, &am);
        if (mx) lab = ss_reveal(&ctx, am, P->U, 0);
        if (!lab) { rt_err(&P->err, RT_EPROTO, "secure argmax: %.200s", ctx.err.msg); rc = -1; }
    }
    for (size_t q = 0; lab && q < Q; q++) labels[q] = (int)lround(lab->data[q]);
    tn_free(lab);
    ss_free(H); ss_free(am); ss_free(mx);
    explicit_bzero(ctx.prg, sizeof ctx.prg);
    P->t_argmax = now() - t3; P->c_argmax = cpu() - c3;
    return rc;
}
