/*
** shares_mul.c — the dealer's offline material (Beaver and matrix triples, truncation
** pairs), share products (Beaver's for additive shares, local product and degree
** reduction for Shamir) and truncation.  Schemes, tensors, the linear operations and the
** simulator's checks are shares.c's.  See shares.h for the security notes.
**
** Truncation, the two methods (z has 2f fractional bits after a product, we want f):
**  PAIR (any n, needs the dealer).  The dealer deals shares of a uniform r in Z_2^64,
**   of its top bit r_msb (as an integer) and of floor(r_low / 2^f) where r_low = r mod
**   2^63.  The parties open c = z + 2^62 + r (uniform: leaks nothing).  With z' = z +
**   2^62 in [0, 2^63) — i.e. |z| < 2^62 — the sum s = z' + r_low < 2^64 never wraps,
**   s mod 2^63 = c mod 2^63 and s's top bit is c_msb XOR r_msb, which is linear in the
**   shared r_msb because c_msb is public.  Then floor(s / 2^f) - floor(r_low / 2^f)
**   equals floor(z' / 2^f) or one more (a borrow from the low bits), so the result is
**   floor(z / 2^f) + e with e in {0, 1}: error below one unit in the last place
**   (2^-f), never a wrap (the method of Escudero et al., CRYPTO 2020).
**  LOCAL (two parties, no messages; SecureML, S&P 2017).  Party 0 shifts its share
**   right, party 1 negates, shifts and negates.  Error at most one ulp, but when the
**   shares straddle the wrap point (probability below 2^(k+1-64) for |z| < 2^k) the
**   result is off by 2^(64-f); this simulator detects that and reports it.
** Both report a product outside |z| < 2^62 (for f = 16: a value beyond 2^30) instead of
** letting it wrap.
*/
#include "shares.h"
#include "mem.h"
#include "message.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the dealer ------------------------------------------------------------------- */

/* Fills per-party shares so that they sum to `value` (additive, n words each). */
void ss__split(SsCtx *ctx, const SsScheme *sc, const uint64_t *value, size_t len, uint64_t **out)
{
    for (int i = 1; i < sc->n; i++) ss__rnd(ctx, out[i], len);
    for (size_t e = 0; e < len; e++) {
        uint64_t acc = value[e];
        for (int i = 1; i < sc->n; i++) acc -= out[i][e];
        out[0][e] = acc;
    }
}

/* A Beaver triple: elementwise (mm = 0; A of na words, B of nb words, C = A * B with B
** broadcast by e % nb) or a matrix triple (mm = 1; A m×k, B k×n, C = A @ B).  Party i's
** material is mat[i] = [A_i | B_i | C_i] (na + nb + nc words, free with ss__wipe_free),
** received from the dealer in the offline phase (or made with Paillier, shares_paillier.c). */
static int triple(SsCtx *ctx, const SsScheme *sc, int mm, int m, int k, int n, size_t na,
                  size_t nb, uint64_t **mat)
{
    size_t nc = mm ? (size_t)m * n : na, K = na + nb + nc;
    double t0 = ss__now();
    uint64_t *A[SS_MAXP], *B[SS_MAXP], *C[SS_MAXP];
    if (sc->dealer == SS_NODEALER) {
        for (int i = 0; i < sc->n; i++) {
            mat[i] = ss__words(K);
            A[i] = mat[i]; B[i] = mat[i] + na; C[i] = mat[i] + na + nb;
        }
        int rc = ss__pai_triple(ctx, sc, mm, m, k, n, na, nb, A, B, C);
        ctx->offline_s += ss__now() - t0;
        if (rc == 0) return 0;
        for (int i = 0; i < sc->n; i++) ss__wipe_free(mat[i], K);
        return -1;
    }
    /* The dealer's step, streamed into one frame per party (one offline round): every
    ** party's share of A and B uniform, C = (sum A)(sum B) split among them. */
    char what[96];
    if (mm) snprintf(what, sizeof what, "matrix triple %dx%d @ %dx%d", m, k, k, n);
    else snprintf(what, sizeof what, "Beaver triples for %zu products", na);
    SsOut out[SS_MAXP];
    const char *old;
    ss__deal_begin(ctx, sc, out, K, what, &old);
    uint64_t *sa = ss__words(na), *sb = ss__words(nb), *scc = ss__words(nc);
    for (int i = 0; i < sc->n; i++) {
        ss__deal_random(ctx, &out[i], sa, na, 0);
        ss__deal_random(ctx, &out[i], sb, nb, 0);
    }
    if (ss__standin(ctx, sc->dealer)) ;              /* its words are not used */
    else if (mm) ss_mm_u64(sa, sb, scc, m, k, n, 0, ctx->nthreads);
    else for (size_t e = 0; e < na; e++) scc[e] = sa[e] * sb[nb == 1 ? 0 : e % nb];
    ss__deal_split(ctx, sc, out, scc, nc, 0);
    ss__wipe_free(sa, na); ss__wipe_free(sb, nb); ss__wipe_free(scc, nc);
    int rc = ss__deal_end(ctx, sc, out, K, mat, old);
    ctx->offline_s += ss__now() - t0;
    if (rc) for (int i = 0; i < sc->n; i++) ss__wipe_free(mat[i], K);
    return rc;
}

/* --- products ------------------------------------------------------------------- */

static SsTensor *shamir_reduce(SsCtx *ctx, SsTensor *d);

/* Party i's share of E = a - A, F = b - B, words e0..e0+n of [E | F]. */
typedef struct EfArg { const SsTensor *a, *b; uint64_t **mat; size_t na; } EfArg;

static void ef_fill(void *arg, int i, size_t e0, size_t n, uint64_t *dst)
{
    const EfArg *x = arg;
    size_t na = x->na, q = 0;
    const uint64_t *as = x->a->s[i], *Ai = x->mat[i];
    for (; q < n && e0 + q < na; q++) dst[q] = as[e0 + q] - Ai[e0 + q];
    if (q == n) return;
    const uint64_t *bs = x->b->s[i] + (e0 + q - na), *Bi = x->mat[i] + e0;  /* B_i = mat + na */
    for (size_t r = 0; q < n; q++, r++) dst[q] = bs[r] - Bi[q];
}

static SsTensor *beaver(SsCtx *ctx, const SsTensor *a, const SsTensor *b, int mm)
{
    if (ss__same_scheme(ctx, a, b)) return NULL;
    const SsScheme *sc = &a->sc;
    int m = 0, k = 0, n = 0, ond, osh[TN_MAXDIM];
    if (mm) {
        if (ss__mm_shapes(ctx, a->ndim, a->shape, b->ndim, b->shape, &m, &k, &n, &ond, osh)) return NULL;
    } else {
        if (b->size > a->size) return beaver(ctx, b, a, 0);
        if (!ss__suffix_ok(a->ndim, a->shape, b->ndim, b->shape, b->size))
            return ss__shape_err(ctx, "*", a->ndim, a->shape, b->ndim, b->shape), NULL;
        ond = a->ndim; memcpy(osh, a->shape, sizeof osh);
    }
    size_t na = a->size, nb = b->size, nc = mm ? (size_t)m * n : na;
    if (ss__guard_tt(ctx, a, b, mm, m, k, n)) return NULL;
    int N = sc->n;
    if (sc->kind == SS_SHAMIR) {
        if (N < 2 * sc->threshold + 1)
            return ss__fail(ctx, "Shamir products need at least 2t+1 = %d parties, the scheme has "
                             "%d (use additive shares for products)", 2 * sc->threshold + 1, N), NULL;
        /* each party: the product of its own shares (degree 2t), then a re-sharing round */
        SsTensor *z = ss_new(sc, ond, osh, a->frac + b->frac);
        for (int i = 0; i < N; i++) {
            if (mm) ss__fp_mm(a->s[i], b->s[i], z->s[i], m, k, n);
            else for (size_t e = 0; e < na; e++) z->s[i][e] = ss__fp_mul(a->s[i][e], b->s[i][nb == 1 ? 0 : e % nb]);
        }
        return shamir_reduce(ctx, z);
    }
    uint64_t *mat[SS_MAXP];
    if (triple(ctx, sc, mm, m, k, n, na, nb, mat)) return NULL;
    /* Round 1, each party i: posts its share of E = a - A and F = b - B to every other
    ** party; then open[i] = E, F as it summed them from its inbox. */
    uint64_t *open[SS_MAXP];
    for (int i = 0; i < N; i++) open[i] = ss__words_open(na + nb);
    char what[96];
    if (mm) snprintf(what, sizeof what, "E, F of a %dx%d @ %dx%d product", m, k, k, n);
    else snprintf(what, sizeof what, "E, F of %zu products", na);
    SsTensor *z = NULL;
    EfArg ef = { a, b, mat, na };
    if (ss__exchange_fill(ctx, sc, na + nb, SS_ADD, open, ef_fill, &ef, what)) goto out;
    /* Each party i, from its own material and opening: z_i = C_i + E B_i + A_i F
    ** (+ E F at party 0), the shares of (E + A)(F + B). */
    z = ss_new(sc, ond, osh, a->frac + b->frac);
    for (int i = 0; i < N; i++) {
        if (ss__standin(ctx, sc->party[i])) continue;
        uint64_t *zi = z->s[i], *Ai = mat[i], *Bi = mat[i] + na, *Ci = mat[i] + na + nb;
        const uint64_t *E = open[i], *F = open[i] + na;
        if (mm) {
            memcpy(zi, Ci, nc * sizeof *zi);
            if (i == 0) for (size_t e = 0; e < nb; e++) Bi[e] += F[e];   /* E (B_0 + F) */
            ss_mm_u64(E, Bi, zi, m, k, n, 1, ctx->nthreads);
            ss_mm_u64(Ai, F, zi, m, k, n, 1, ctx->nthreads);
        } else {
            for (size_t e = 0; e < na; e++) {
                size_t eb = nb == 1 ? 0 : e % nb;
                zi[e] = Ci[e] + E[e] * Bi[eb] + Ai[e] * F[eb] + (i == 0 ? E[e] * F[eb] : 0);
            }
        }
    }
out:
    for (int i = 0; i < N; i++) { ss__wipe_free(mat[i], na + nb + nc); ss__free_open(open[i], na + nb); }
    return z;
}

/* Degree reduction (BGW/GRR), one round: each of the first 2t + 1 parties re-shares its
** local degree-2t product with a fresh degree-t polynomial and posts party j its share;
** party j's new share is the Lagrange combination of what it received (and its own). */
static SsTensor *shamir_reduce(SsCtx *ctx, SsTensor *d)
{
    const SsScheme *sc = &d->sc;
    int N = sc->n, m = 2 * sc->threshold + 1, use[SS_MAXP] = { 0 };
    size_t len = d->size;
    for (int i = 0; i < m; i++) use[i] = i;
    uint64_t lam[SS_MAXP], sh[SS_MAXP], *part[SS_MAXP], *own[SS_MAXP] = { NULL };
    ss__lagrange0(use, m, lam);
    SsTensor *r = NULL;
    int rc = 0;
    msg_round(ctx->msg);
    for (int i = 0; i < m && rc == 0; i++) {        /* party i's step */
        ss__as(ctx, sc->party[use[i]]);
        for (int j = 0; j < N; j++) part[j] = ss__words(len);
        for (size_t e = 0; e < len; e++) {
            ss__shamir_split(ctx, N, sc->threshold, d->s[i][e], sh);
            for (int j = 0; j < N; j++) part[j][e] = sh[j];
        }
        for (int j = 0; j < N; j++) {
            if (j == i) { own[i] = part[j]; continue; }
            if (rc == 0)
                rc = ss__post(ctx, sc->party[i], sc->party[j], "share", part[j], len, NULL, 0,
                              "degree reduction of a Shamir product");
            ss__wipe_free(part[j], len);
        }
    }
    explicit_bzero(sh, sizeof sh);
    if (rc == 0) {
        r = ss_new(sc, d->ndim, d->shape, d->frac);
        uint64_t *tmp = ss__words(len);
        for (int j = 0; j < N && rc == 0; j++)          /* party j's step */
            for (int i = 0; i < m && rc == 0; i++) {
                const uint64_t *src = own[i];
                if (i != j) {
                    rc = ss__take(ctx, sc->party[i], sc->party[j], "share", tmp, len, NULL, 0, SS_SET);
                    src = tmp;
                }
                for (size_t e = 0; e < len && rc == 0; e++)
                    r->s[j][e] = ss__fp_add(r->s[j][e], ss__fp_mul(lam[i], src[e]));
            }
        ss__wipe_free(tmp, len);
        if (rc) { ss_free(r); r = NULL; }
    }
    for (int i = 0; i < m; i++) ss__wipe_free(own[i], len);
    ss_free(d);
    return r;
}

SsTensor *ss_mul_raw(SsCtx *ctx, const SsTensor *a, const SsTensor *b) { return beaver(ctx, a, b, 0); }
SsTensor *ss_matmul_raw(SsCtx *ctx, const SsTensor *a, const SsTensor *b) { return beaver(ctx, a, b, 1); }

int ss__after_product(SsCtx *ctx, SsTensor *t)
{
    if (t->sc.kind == SS_SHAMIR) {
        if (t->frac > 2 * t->sc.frac_bits + 8)
            return ss__fail(ctx, "Shamir shares cannot be truncated: reveal before multiplying "
                             "again (fractional bits would reach %d)", t->frac);
        return 0;
    }
    if (t->frac > t->sc.frac_bits) return ss_trunc(ctx, t, t->frac - t->sc.frac_bits);
    return 0;
}

SsTensor *ss_mul(SsCtx *ctx, const SsTensor *a, const SsTensor *b)
{
    SsTensor *z = beaver(ctx, a, b, 0);
    if (z && ss__after_product(ctx, z)) { ss_free(z); return NULL; }
    return z;
}

SsTensor *ss_matmul(SsCtx *ctx, const SsTensor *a, const SsTensor *b)
{
    SsTensor *z = beaver(ctx, a, b, 1);
    if (z && ss__after_product(ctx, z)) { ss_free(z); return NULL; }
    return z;
}

/* --- truncation ------------------------------------------------------------------- */

#define OFFSET ((uint64_t)1 << 62)

/* No messages: each party shifts its own share (party 1 negated), after the simulator's
** check that the two shifts do not straddle the ring's edge. */
static int trunc_local(SsCtx *ctx, SsTensor *t, int bits)
{
    if (t->sc.n != 2) return ss__fail(ctx, "local truncation works for two parties only");
    if (ss__guard_shift(ctx, t, bits)) return -1;
    for (size_t e = 0; e < t->size; e++) t->s[0][e] = (uint64_t)((int64_t)t->s[0][e] >> bits);
    for (size_t e = 0; e < t->size; e++)
        t->s[1][e] = (uint64_t)0 - (uint64_t)((int64_t)((uint64_t)0 - t->s[1][e]) >> bits);
    t->frac -= bits;
    return 0;
}

/* Party i's share of c = z + 2^62 + r, words e0..e0+n. */
typedef struct TrArg { const SsTensor *t; uint64_t **mat; } TrArg;

static void tr_fill(void *arg, int i, size_t e0, size_t n, uint64_t *dst)
{
    const TrArg *x = arg;
    const uint64_t *z = x->t->s[i] + e0, *r = x->mat[i] + e0;
    uint64_t off = i == 0 ? OFFSET : 0;
    for (size_t q = 0; q < n; q++) dst[q] = z[q] + r[q] + off;
}

static int trunc_pair(SsCtx *ctx, SsTensor *t, int bits)
{
    const SsScheme *sc = &t->sc;
    int N = sc->n, rc;
    size_t len = t->size;
    /* offline, the dealer's step: pairs (r, r_msb, floor(r_low / 2^bits)), streamed:
    ** every party's share of r uniform (r is their sum), the other two split; party i
    ** receives mat[i] = [R_i | RM_i | RL_i] */
    double t0 = ss__now();
    uint64_t *r = ss__words(len), *rm = ss__words(len), *rl = ss__words(len), *mat[SS_MAXP];
    char what[80];
    snprintf(what, sizeof what, "truncation pairs for %zu values", len);
    SsOut out[SS_MAXP];
    const char *old;
    ss__deal_begin(ctx, sc, out, 3 * len, what, &old);
    for (int i = 0; i < N; i++) ss__deal_random(ctx, &out[i], r, len, 0);
    if (!ss__standin(ctx, sc->dealer))
        for (size_t e = 0; e < len; e++) { rm[e] = r[e] >> 63; rl[e] = (r[e] & (OFFSET * 2 - 1)) >> bits; }
    ss__deal_split(ctx, sc, out, rm, len, 0);
    ss__deal_split(ctx, sc, out, rl, len, 0);
    ss__wipe_free(r, len); ss__wipe_free(rm, len); ss__wipe_free(rl, len);
    rc = ss__deal_end(ctx, sc, out, 3 * len, mat, old);
    ctx->offline_s += ss__now() - t0;
    /* round 1, each party i: posts its share of c = z + 2^62 + r; c[i] is the opening it
    ** summed from its inbox */
    uint64_t *c[SS_MAXP];
    for (int i = 0; i < N; i++) c[i] = ss__words_open(len);
    snprintf(what, sizeof what, "z + r of %zu truncations", len);
    TrArg ta = { t, mat };
    if (rc == 0) rc = ss__exchange_fill(ctx, sc, len, SS_ADD, c, tr_fill, &ta, what);
    /* each party i, from its opening and its pair */
    uint64_t half = OFFSET * 2 - 1;
    for (int i = 0; i < N && rc == 0; i++) {
        if (ss__standin(ctx, sc->party[i])) continue;
        const uint64_t *ci = c[i], *rmi = mat[i] + len, *rli = mat[i] + 2 * len;
        for (size_t e = 0; e < len; e++) {
            uint64_t cm = ci[e] >> 63, cl = ci[e] & half;
            uint64_t smsb = (1 - 2 * cm) * rmi[e] + (i == 0 ? cm : 0);    /* c_msb xor r_msb */
            uint64_t v = (smsb << (63 - bits)) - rli[e];
            if (i == 0) v += (cl >> bits) - (OFFSET >> bits);
            t->s[i][e] = v;
        }
    }
    for (int i = 0; i < N; i++) { ss__wipe_free(mat[i], 3 * len); ss__free_open(c[i], len); }
    if (rc == 0) t->frac -= bits;
    return rc;
}

int ss_trunc(SsCtx *ctx, SsTensor *t, int bits)
{
    if (bits <= 0) return 0;
    if (t->sc.kind != SS_ADDITIVE) return ss__fail(ctx, "truncation needs additive shares");
    if (ss__check_whole(ctx, t)) return -1;
    if (bits > 62) return ss__fail(ctx, "cannot truncate by %d bits", bits);
    if (ss__guard_range(ctx, t)) return -1;
    SsTrunc m = t->sc.trunc;
    if (m == SS_TRUNC_AUTO) m = t->sc.dealer == SS_NODEALER ? SS_TRUNC_LOCAL : SS_TRUNC_PAIR;
    if (m == SS_TRUNC_PAIR && t->sc.dealer == SS_NODEALER)
        return ss__fail(ctx, "truncation pairs need a dealer");
    return m == SS_TRUNC_LOCAL ? trunc_local(ctx, t, bits) : trunc_pair(ctx, t, bits);
}
