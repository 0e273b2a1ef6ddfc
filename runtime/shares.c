/*
** shares.c — schemes, shared tensors, fixed-point encoding, sharing and reconstruction
** (additive over Z_2^64, Shamir over F_p with p = 2^61 - 1), the local linear
** operations, the dealer's offline material (Beaver and matrix triples, truncation
** pairs), share products and truncation.  Comparison, ReLU, max and polynomials live
** in shares_cmp.c, the ring matrix kernel in shares_mm.c, dealer-free triples in shares_paillier.c.
** See shares.h for the security notes.
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
#include <math.h>
#include <stdarg.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double ss__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* --- memory and messages ---------------------------------------------------------- */

int ss__fail(SsCtx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    return -1;
}

Rng *ss__rng(SsCtx *ctx, int party)
{
    Rng *r = ctx->party_rng ? ctx->party_rng(ctx->party_rng_u, party) : NULL;
    return r ? r : ctx->rng;
}

/* The ChaCha20 stream of the party whose step is running, keyed on first use. */
static struct SsStream *stream(SsCtx *ctx)
{
    for (int i = 0; i < ctx->nprg; i++)
        if (ctx->prg[i].party == ctx->who) return &ctx->prg[i];
    int n = (int)(sizeof ctx->prg / sizeof ctx->prg[0]);
    struct SsStream *s = &ctx->prg[ctx->nprg < n ? ctx->nprg++ : n - 1];   /* full: reuse */
    s->party = ctx->who;
    rng_bytes(ss__rng(ctx, ctx->who), s->key, sizeof s->key);
    s->ctr = 0;
    return s;
}

void ss__rnd(SsCtx *ctx, uint64_t *p, size_t n)
{
    struct SsStream *s = stream(ctx);
    size_t blocks = n / 8, rest = n % 8;          /* a ChaCha20 block is 8 words */
    rng_chacha20_blocks(s->key, s->ctr, 0x73736d70u, p, blocks);
    s->ctr += blocks;
    if (rest) {
        uint64_t tmp[8];
        rng_chacha20_block(s->key, s->ctr++, 0x73736d70u, (unsigned char *)tmp);
        memcpy(p + 8 * blocks, tmp, rest * sizeof *p);
        explicit_bzero(tmp, sizeof tmp);
    }
}

/* --- the prime field F_p, p = 2^61 - 1 ------------------------------------------ */

static uint64_t fp_red(uint64_t x) { x = (x & SS_P61) + (x >> 61); return x >= SS_P61 ? x - SS_P61 : x; }
static uint64_t fp_add(uint64_t a, uint64_t b) { return fp_red(a + b); }
static uint64_t fp_sub(uint64_t a, uint64_t b) { return fp_red(a + SS_P61 - b); }
static uint64_t fp_mul(uint64_t a, uint64_t b)
{
    unsigned __int128 z = (unsigned __int128)a * b;
    uint64_t lo = (uint64_t)z & SS_P61, hi = (uint64_t)(z >> 61);
    return fp_red(lo + hi);
}
static uint64_t fp_pow(uint64_t a, uint64_t e)
{
    uint64_t r = 1;
    for (; e; e >>= 1, a = fp_mul(a, a)) if (e & 1) r = fp_mul(r, a);
    return r;
}
static uint64_t fp_inv(uint64_t a) { return fp_pow(a, SS_P61 - 2); }
static uint64_t fp_from(int64_t v) { return v >= 0 ? fp_red((uint64_t)v) : fp_sub(0, fp_red((uint64_t)0 - (uint64_t)v)); }
static int64_t fp_centre(uint64_t v) { return v > SS_P61 / 2 ? -(int64_t)(SS_P61 - v) : (int64_t)v; }
static uint64_t fp_rand(SsCtx *ctx)
{
    for (;;) { uint64_t r = rng_u64(ss__rng(ctx, ctx->who)) & SS_P61; if (r != SS_P61) return r; }
}

/* Lagrange coefficients at 0 for the evaluation points x = idx[i] + 1. */
static void lagrange0(const int *idx, int m, uint64_t *lam)
{
    for (int i = 0; i < m; i++) {
        uint64_t num = 1, den = 1, xi = (uint64_t)idx[i] + 1;
        for (int j = 0; j < m; j++) {
            if (j == i) continue;
            uint64_t xj = (uint64_t)idx[j] + 1;
            num = fp_mul(num, xj);
            den = fp_mul(den, fp_sub(xj, xi));
        }
        lam[i] = fp_mul(num, fp_inv(den));
    }
}

/* Shares of v (a field element) for the n parties on a random degree-t polynomial. */
static void shamir_split(SsCtx *ctx, int n, int t, uint64_t v, uint64_t *out)
{
    uint64_t c[SS_MAXP];
    c[0] = v;
    for (int k = 1; k <= t; k++) c[k] = fp_rand(ctx);
    for (int i = 0; i < n; i++) {
        uint64_t x = (uint64_t)i + 1, y = c[t];
        for (int k = t - 1; k >= 0; k--) y = fp_add(fp_mul(y, x), c[k]);
        out[i] = y;
    }
    explicit_bzero(c, sizeof c);
}

/* --- schemes ----------------------------------------------------------------------- */

static int scheme_common(SsCtx *ctx, SsScheme *sc, int n, const int *party, int frac_bits,
                         int dealer)
{
    memset(sc, 0, sizeof *sc);
    if (n < 2) return ss__fail(ctx, "a sharing scheme needs at least 2 parties, got %d", n);
    if (n > SS_MAXP) return ss__fail(ctx, "a sharing scheme takes at most %d parties, got %d", SS_MAXP, n);
    if (frac_bits < 0 || frac_bits > 30)
        return ss__fail(ctx, "frac_bits must be between 0 and 30, got %d", frac_bits);
    for (int i = 0; i < n; i++) {
        if (party[i] <= 0) return ss__fail(ctx, "party #%d of the scheme is not a party", i + 1);
        for (int j = 0; j < i; j++)
            if (party[j] == party[i]) return ss__fail(ctx, "a party appears twice in the scheme");
        if (party[i] == dealer)
            return ss__fail(ctx, "the dealer cannot also hold shares: it would learn every "
                             "triple and so every opened value");
        sc->party[i] = party[i];
    }
    sc->n = n; sc->frac_bits = frac_bits; sc->dealer = dealer;
    sc->trunc = SS_TRUNC_AUTO;
    return 0;
}

int ss_scheme_additive(SsCtx *ctx, SsScheme *sc, int n, const int *party, int frac_bits,
                       int dealer)
{
    if (scheme_common(ctx, sc, n, party, frac_bits, dealer)) return -1;
    sc->kind = SS_ADDITIVE;
    return 0;
}

int ss_scheme_shamir(SsCtx *ctx, SsScheme *sc, int n, const int *party, int threshold,
                     int frac_bits, int dealer)
{
    if (scheme_common(ctx, sc, n, party, frac_bits, dealer)) return -1;
    if (threshold < 1 || threshold >= n)
        return ss__fail(ctx, "threshold must be between 1 and %d (the number of parties - 1), "
                         "got %d", n - 1, threshold);
    sc->kind = SS_SHAMIR;
    sc->threshold = threshold;
    return 0;
}

int ss_index(const SsScheme *sc, int party)
{
    for (int i = 0; i < sc->n; i++) if (sc->party[i] == party) return i;
    return -1;
}

/* --- tensors ----------------------------------------------------------------------- */

SsTensor *ss_new(const SsScheme *sc, int ndim, const int *shape, int frac)
{
    SsTensor *t = xcalloc(1, sizeof *t);
    t->sc = *sc; t->ndim = ndim; t->size = 1; t->frac = frac;
    for (int i = 0; i < ndim; i++) { t->shape[i] = shape[i]; t->size *= (size_t)shape[i]; }
    for (int i = 0; i < sc->n; i++) t->s[i] = ss__words(t->size);
    return t;
}

static SsTensor *like(const SsTensor *a, int frac) { return ss_new(&a->sc, a->ndim, a->shape, frac); }

SsTensor *ss_copy(const SsTensor *t)
{
    SsTensor *c = like(t, t->frac);
    for (int i = 0; i < t->sc.n; i++) {
        if (t->s[i]) memcpy(c->s[i], t->s[i], t->size * sizeof(uint64_t));
        else { ss__wipe_free(c->s[i], t->size); c->s[i] = NULL; }
    }
    return c;
}

void ss_free(SsTensor *t)
{
    if (!t) return;
    for (int i = 0; i < t->sc.n; i++) ss__wipe_free(t->s[i], t->size);
    free(t);
}

int ss_drop(SsTensor *t, int party)
{
    int i = ss_index(&t->sc, party);
    if (i < 0 || !t->s[i]) return -1;
    ss__wipe_free(t->s[i], t->size);
    t->s[i] = NULL;
    return 0;
}

static uint32_t missing(const SsTensor *t, uint32_t absent)
{
    for (int i = 0; i < t->sc.n; i++) if (!t->s[i]) absent |= 1u << i;
    return absent;
}

static int check_whole(SsCtx *ctx, const SsTensor *t)
{
    uint32_t m = missing(t, 0);
    if (!m) return 0;
    int k = 0;
    for (int i = 0; i < t->sc.n; i++) k += m >> i & 1;
    if (t->sc.kind == SS_SHAMIR)
        return ss__fail(ctx, "%d of %d parties dropped out: Shamir shares can still be revealed "
                         "but not computed on", k, t->sc.n);
    return ss__fail(ctx, "%d of %d parties dropped out: additive sharing needs every share "
                     "(use shamir(...) to survive dropouts)", k, t->sc.n);
}

int64_t ss_encode(double x, int frac, int *ok)
{
    double v = nearbyint(ldexp(x, frac));
    if (!(fabs(v) < 0x1p62)) { *ok = 0; return 0; }
    *ok = 1;
    return (int64_t)v;
}

double ss_decode(int64_t v, int frac) { return ldexp((double)v, -frac); }

static int encode_tn(SsCtx *ctx, const Tn *x, int frac, int64_t *out)
{
    for (size_t i = 0; i < x->size; i++) {
        int ok;
        out[i] = ss_encode(x->data[i], frac, &ok);
        if (!ok)
            return ss__fail(ctx, "cannot share %g: fixed-point values with %d fractional bits "
                             "must stay below 2^%d in magnitude", (double)x->data[i], frac,
                        62 - frac);
    }
    return 0;
}

SsTensor *ss_share(SsCtx *ctx, const SsScheme *sc, const Tn *x, int from)
{
    int64_t *v = (int64_t *)ss__words(x->size);
    if (encode_tn(ctx, x, sc->frac_bits, v)) { ss__wipe_free((uint64_t *)v, x->size); return NULL; }
    SsTensor *t = ss_new(sc, x->ndim, x->shape, sc->frac_bits);
    int n = sc->n;
    size_t len = x->size;
    if (from == 0) {                /* public: everyone forms the sharing, nothing travels */
        for (size_t e = 0; e < len; e++) {
            if (sc->kind == SS_ADDITIVE) t->s[0][e] = (uint64_t)v[e];
            else for (int i = 0; i < n; i++) t->s[i][e] = fp_from(v[e]);
        }
        ss__wipe_free((uint64_t *)v, len);
        return t;
    }
    /* the owner's step: n shares of its value, in its own memory */
    ss__as(ctx, from);
    uint64_t *parts[SS_MAXP];
    for (int i = 0; i < n; i++) parts[i] = ss__words(len);
    if (sc->kind == SS_ADDITIVE) {
        ss__split(ctx, sc, (const uint64_t *)v, len, parts);
    } else {
        uint64_t sh[SS_MAXP];
        for (size_t e = 0; e < len; e++) {
            shamir_split(ctx, n, sc->threshold, fp_from(v[e]), sh);
            for (int i = 0; i < n; i++) parts[i][e] = sh[i];
        }
        explicit_bzero(sh, sizeof sh);
    }
    ss__wipe_free((uint64_t *)v, len);
    /* one round: each holder receives its share (the owner, if a holder, keeps its own) */
    char what[96];
    snprintf(what, sizeof what, "%s share of %zu values",
             sc->kind == SS_SHAMIR ? "Shamir" : "additive", len);
    int rc = ss__scatter(ctx, sc, from, "share", parts, len, 0, t->s, what);
    for (int i = 0; i < n; i++) ss__wipe_free(parts[i], len);
    if (rc) { ss_free(t); return NULL; }
    return t;
}

/* Reconstructs element e from the shares in `use` (indices, m of them). */
static int64_t recon(const SsTensor *t, const int *use, int m, const uint64_t *lam, size_t e)
{
    if (t->sc.kind == SS_ADDITIVE) {
        uint64_t acc = 0;
        for (int i = 0; i < m; i++) acc += t->s[use[i]][e];
        return (int64_t)acc;
    }
    uint64_t acc = 0;
    for (int i = 0; i < m; i++) acc = fp_add(acc, fp_mul(lam[i], t->s[use[i]][e]));
    return fp_centre(acc);
}

/* Party `me`'s reconstruction from the m shares in use[]: its own (index mi, -1 if it
** holds none in use) and the others from its inbox (frames of `kind`).  Ring sum, or the
** field element before centring (Shamir). */
static uint64_t *gather(SsCtx *ctx, const SsTensor *t, int me, int mi, const int *use, int m,
                        const uint64_t *lam, const char *kind)
{
    size_t n = t->size;
    int shamir = t->sc.kind == SS_SHAMIR;
    uint64_t *acc = ss__words(n), *tmp = shamir ? ss__words(n) : NULL;
    for (int u = 0; u < m; u++) {
        int i = use[u];
        const uint64_t *src = tmp;
        if (i == mi) src = t->s[i];
        else if (ss__take(ctx, t->sc.party[i], me, kind, shamir ? tmp : acc, n, NULL, 0,
                          shamir ? SS_SET : SS_ADD)) {
            ss__wipe_free(acc, n); ss__wipe_free(tmp, n);
            return NULL;
        }
        else if (!shamir) continue;
        if (shamir) for (size_t e = 0; e < n; e++) acc[e] = fp_add(acc[e], fp_mul(lam[u], src[e]));
        else for (size_t e = 0; e < n; e++) acc[e] += src[e];
    }
    ss__wipe_free(tmp, n);
    return acc;
}

Tn *ss_reveal(SsCtx *ctx, const SsTensor *t, int to, uint32_t absent)
{
    const SsScheme *sc = &t->sc;
    absent = missing(t, absent);
    int use[SS_MAXP], m = 0, need = sc->kind == SS_SHAMIR ? sc->threshold + 1 : sc->n;
    int ti = to ? ss_index(sc, to) : -1;
    if (ti >= 0 && !(absent >> ti & 1)) use[m++] = ti;        /* the receiver's own share */
    for (int i = 0; i < sc->n && m < need; i++)
        if (i != ti && !(absent >> i & 1)) use[m++] = i;
    if (m < need) {
        if (sc->kind == SS_SHAMIR)
            return ss__fail(ctx, "cannot reveal: threshold %d needs %d shares, only %d left",
                        sc->threshold, need, m), NULL;
        return ss__fail(ctx, "cannot reveal: additive sharing needs all %d shares, %d %s "
                         "missing (use shamir(...) to survive dropouts)", need, need - m,
                    need - m == 1 ? "is" : "are"), NULL;
    }
    uint64_t lam[SS_MAXP];
    if (sc->kind == SS_SHAMIR) lagrange0(use, m, lam);
    char what[96];
    snprintf(what, sizeof what, "share of %zu values (reveal)", t->size);
    /* one round: the m holders used send their shares to the receiver(s) */
    msg_round(ctx->msg);
    for (int i = 0; i < m; i++)
        for (int j = to ? -1 : 0; j < (to ? 0 : sc->n); j++) {
            int dest = to ? to : sc->party[j];
            if ((to && use[i] == ti) || (!to && (j == use[i] || (absent >> j & 1)))) continue;
            if (ss__post(ctx, sc->party[use[i]], dest, to ? "share" : "open", t->s[use[i]],
                         t->size, NULL, 0, what))
                return NULL;
        }
    /* the receivers' step: their own share if used, and their inbox */
    uint64_t *val = NULL;
    for (int j = to ? -1 : 0; j < (to ? 0 : sc->n); j++) {
        if (!to && (absent >> j & 1)) continue;
        int me = to ? to : sc->party[j], mi = to ? ti : j;
        if (mi >= 0 && (absent >> mi & 1)) mi = -1;
        uint64_t *got = gather(ctx, t, me, mi, use, m, lam, to ? "share" : "open");
        if (!got) { ss__wipe_free(val, t->size); return NULL; }
        /* everyone reconstructs the same public value; across processes, this
           process's party's reconstruction is the one made from real shares */
        if (!val || (me == ctx->self && !to)) { ss__wipe_free(val, t->size); val = got; }
        else ss__wipe_free(got, t->size);
    }
    Tn *out = tn_new(t->ndim, t->shape);
    for (size_t e = 0; e < t->size; e++)
        out->data[e] = (float)ss_decode(sc->kind == SS_SHAMIR ? fp_centre(val[e]) : (int64_t)val[e],
                                        t->frac);
    ss__wipe_free(val, t->size);
    return out;
}

int64_t ss_peek(const SsTensor *t, size_t e)
{
    int use[SS_MAXP] = { 0 }, m = 0;
    for (int i = 0; i < t->sc.n; i++) if (t->s[i]) use[m++] = i;
    uint64_t lam[SS_MAXP];
    if (t->sc.kind == SS_SHAMIR) {
        if (m > t->sc.threshold + 1) m = t->sc.threshold + 1;
        lagrange0(use, m, lam);
    }
    return recon(t, use, m, lam, e);
}

/* --- linear operations ------------------------------------------------------------- */

/* Whether `small` broadcasts against `big`: a scalar, or its shape (leading 1s dropped)
** equals big's trailing dimensions. Element e of big then pairs with e % small's size. */
static int suffix_ok(int bnd, const int *bsh, int snd, const int *ssh, size_t ssize)
{
    if (ssize == 1) return 1;
    int s0 = 0;
    while (s0 < snd && ssh[s0] == 1) s0++;
    int k = snd - s0;
    if (k > bnd) return 0;
    for (int i = 0; i < k; i++) if (ssh[s0 + i] != bsh[bnd - k + i]) return 0;
    return 1;
}

static void shape_str(char *buf, size_t n, int nd, const int *sh)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, n - o, "(");
    for (int i = 0; i < nd && o < n; i++) o += (size_t)snprintf(buf + o, n - o, i ? ", %d" : "%d", sh[i]);
    if (o < n) snprintf(buf + o, n - o, nd == 1 ? ",)" : ")");
}

static int shape_err(SsCtx *ctx, const char *op, int and_, const int *ash, int bnd, const int *bsh)
{
    char x[64], y[64];
    shape_str(x, sizeof x, and_, ash); shape_str(y, sizeof y, bnd, bsh);
    return ss__fail(ctx, "shapes %s and %s do not match for %s", x, y, op);
}

static int same_scheme(SsCtx *ctx, const SsTensor *a, const SsTensor *b)
{
    if (a->sc.kind != b->sc.kind || a->sc.n != b->sc.n ||
        memcmp(a->sc.party, b->sc.party, sizeof a->sc.party) != 0)
        return ss__fail(ctx, "the two operands are shared among different parties; reshare "
                         "one of them under the other's scheme");
    if (check_whole(ctx, a) || check_whole(ctx, b)) return -1;
    return 0;
}

/* The k-th word of the ring (additive) or field (Shamir) constant 2^bits, for rescaling. */
static uint64_t pow2(const SsScheme *sc, int bits)
{
    return sc->kind == SS_SHAMIR ? fp_pow(2, (uint64_t)bits) : (uint64_t)1 << bits;
}

/* A copy of a with its encoding raised to `frac` fractional bits (exact). */
static SsTensor *rescale(const SsTensor *a, int frac)
{
    SsTensor *c = ss_copy(a);
    if (frac == a->frac) return c;
    uint64_t k = pow2(&a->sc, frac - a->frac);
    for (int i = 0; i < a->sc.n; i++)
        for (size_t e = 0; e < a->size; e++)
            c->s[i][e] = a->sc.kind == SS_SHAMIR ? fp_mul(c->s[i][e], k) : c->s[i][e] * k;
    c->frac = frac;
    return c;
}

static SsTensor *lin2(SsCtx *ctx, const SsTensor *a0, const SsTensor *b0, int sign, const char *op)
{
    if (same_scheme(ctx, a0, b0)) return NULL;
    int frac = a0->frac > b0->frac ? a0->frac : b0->frac;
    SsTensor *a = rescale(a0, frac), *b = rescale(b0, frac);
    const SsTensor *big = a, *sm = b;
    int swap = 0;
    if (b->size > a->size || (b->size == a->size && b->ndim > a->ndim)) { big = b; sm = a; swap = 1; }
    SsTensor *r = NULL;
    if (!suffix_ok(big->ndim, big->shape, sm->ndim, sm->shape, sm->size)) {
        shape_err(ctx, op, a->ndim, a->shape, b->ndim, b->shape);
        goto done;
    }
    r = like(big, frac);
    int shamir = a->sc.kind == SS_SHAMIR;
    for (int i = 0; i < a->sc.n; i++) {
        const uint64_t *pa = big->s[i], *pb = sm->s[i];
        uint64_t *pr = r->s[i];
        size_t ns = sm->size;
        for (size_t e = 0; e < big->size; e++) {
            uint64_t x = pa[e], y = pb[ns == 1 ? 0 : e % ns];
            if (swap) { uint64_t t = x; x = y; y = t; }
            if (shamir) pr[e] = sign > 0 ? fp_add(x, y) : fp_sub(x, y);
            else pr[e] = sign > 0 ? x + y : x - y;
        }
    }
done:
    ss_free(a); ss_free(b);
    return r;
}

SsTensor *ss_add(SsCtx *ctx, const SsTensor *a, const SsTensor *b) { return lin2(ctx, a, b, 1, "+"); }
SsTensor *ss_sub(SsCtx *ctx, const SsTensor *a, const SsTensor *b) { return lin2(ctx, a, b, -1, "-"); }

SsTensor *ss_neg(SsCtx *ctx, const SsTensor *a)
{
    if (check_whole(ctx, a)) return NULL;
    SsTensor *r = like(a, a->frac);
    for (int i = 0; i < a->sc.n; i++)
        for (size_t e = 0; e < a->size; e++)
            r->s[i][e] = a->sc.kind == SS_SHAMIR ? fp_sub(0, a->s[i][e]) : (uint64_t)0 - a->s[i][e];
    return r;
}

/* A public tensor as a sharing everyone can form locally (party 0 holds it, or every
** Shamir share equals it), with the given fractional bits. */
static SsTensor *pub_share(SsCtx *ctx, const SsScheme *sc, const Tn *x, int frac)
{
    int64_t *v = (int64_t *)ss__words(x->size);
    if (encode_tn(ctx, x, frac, v)) { ss__wipe_free((uint64_t *)v, x->size); return NULL; }
    SsTensor *t = ss_new(sc, x->ndim, x->shape, frac);
    for (size_t e = 0; e < x->size; e++) {
        if (sc->kind == SS_SHAMIR) {
            uint64_t fv = fp_from(v[e]);
            for (int i = 0; i < sc->n; i++) t->s[i][e] = fv;
        } else t->s[0][e] = (uint64_t)v[e];
    }
    ss__wipe_free((uint64_t *)v, x->size);
    return t;
}

SsTensor *ss_add_pub(SsCtx *ctx, const SsTensor *a, const Tn *x, int sign)
{
    if (check_whole(ctx, a)) return NULL;
    SsTensor *p = pub_share(ctx, &a->sc, x, a->frac);
    if (!p) return NULL;
    SsTensor *r = lin2(ctx, a, p, sign, sign > 0 ? "+" : "-");
    ss_free(p);
    return r;
}

SsTensor *ss_pub_sub(SsCtx *ctx, const Tn *x, const SsTensor *a)
{
    if (check_whole(ctx, a)) return NULL;
    SsTensor *p = pub_share(ctx, &a->sc, x, a->frac);
    if (!p) return NULL;
    SsTensor *r = lin2(ctx, p, a, -1, "-");
    ss_free(p);
    return r;
}

/* --- the simulator's check (see shares.h's security notes) ----------------------------- */
/*
** sim_check() is the ONLY code in shares*.c that reads several parties' shares at once (with
** ss_peek, a test aid).  Holding every share, this simulator can see a product overflow
** the fixed-point range before it happens and say so, where a deployment would return
** garbage: a deployment cannot make this check (it would have to bound values in
** advance).  The check sends nothing, changes no share and no result, and is off when
** ctx->no_sim_check is set — as it must be when parties run in separate processes.
*/

/* The reconstructed values of t (ring or centred field), a new array. */
static int64_t *peek_all(const SsTensor *t)
{
    uint64_t *v = ss__words(t->size);
    if (t->sc.kind == SS_ADDITIVE)
        for (int i = 0; i < t->sc.n; i++)
            for (size_t e = 0; e < t->size; e++) v[e] += t->s[i][e];
    else
        for (size_t e = 0; e < t->size; e++) v[e] = (uint64_t)ss_peek(t, e);
    return (int64_t *)v;
}

static int overflow_err(SsCtx *ctx, const SsScheme *sc, double got, int frac)
{
    int lim = sc->kind == SS_SHAMIR ? 60 : 62;
    return ss__fail(ctx, "fixed-point overflow: a product reached about %.3g, beyond the "
                         "%.3g that %d fractional bits allow in %s (scale the data down or "
                         "lower frac_bits)", got, ldexp(1.0, lim - frac), sc->frac_bits,
                    sc->kind == SS_SHAMIR ? "F_p" : "Z_2^64");
}

/* Checks that the product (elementwise with b broadcast, or m×k @ k×n) of the encoded
** values av, bv stays within |z| < 2^62 (ring) or 2^60 (field) before it is computed,
** where it would otherwise wrap silently.  Cheap bound first (row and column maxima),
** exact sums only when the bound fails. */
static int guard(SsCtx *ctx, const SsScheme *sc, const int64_t *av, size_t na,
                 const int64_t *bv, size_t nb, int mm, int m, int k, int n, int frac)
{
    double lim = ldexp(1.0, sc->kind == SS_SHAMIR ? 60 : 62);
    if (!mm) {
        for (size_t e = 0; e < na; e++) {
            double z = (double)av[e] * (double)bv[nb == 1 ? 0 : e % nb];
            if (fabs(z) >= lim) return overflow_err(ctx, sc, ldexp(z, -frac), frac);
        }
        return 0;
    }
    double amax = 0, bmax = 0;
    for (size_t e = 0; e < na; e++) if (fabs((double)av[e]) > amax) amax = fabs((double)av[e]);
    for (size_t e = 0; e < nb; e++) if (fabs((double)bv[e]) > bmax) bmax = fabs((double)bv[e]);
    if (amax * bmax * k < lim) return 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double z = 0, worst = 0;
            for (int q = 0; q < k; q++) {
                z += (double)av[(size_t)i * k + q] * (double)bv[(size_t)q * n + j];
                if (fabs(z) > worst) worst = fabs(z);
            }
            if (worst >= lim) return overflow_err(ctx, sc, ldexp(z, -frac), frac);
        }
    return 0;
}

typedef enum CheckKind {
    CHECK_PRODUCT,              /* a * b or a @ b (b NULL: the public pub) within range */
    CHECK_RANGE,                /* a's values within |z| < 2^62 before a truncation */
    CHECK_LOCAL_SHIFT           /* LOCAL truncation of a by `bits` does not wrap */
} CheckKind;

typedef struct SimCheck {
    CheckKind kind;
    const SsTensor *a, *b;
    const int64_t *pub; size_t npub;
    int pub_left, mm, m, k, n, f, bits;
} SimCheck;

static int sim_check(SsCtx *ctx, const SimCheck *c)
{
    if (ctx->no_sim_check) return 0;
    const SsTensor *t = c->a;
    int rc = 0;
    if (c->kind == CHECK_PRODUCT) {
        int64_t *av = peek_all(t), *bv = c->b ? peek_all(c->b) : NULL;
        const int64_t *x = c->b ? bv : c->pub;
        size_t nx = c->b ? c->b->size : c->npub;
        int frac = t->frac + (c->b ? c->b->frac : c->f);
        rc = c->pub_left ? guard(ctx, &t->sc, x, nx, av, t->size, c->mm, c->m, c->k, c->n, frac)
                         : guard(ctx, &t->sc, av, t->size, x, nx, c->mm, c->m, c->k, c->n, frac);
        ss__wipe_free((uint64_t *)av, t->size);
        if (bv) ss__wipe_free((uint64_t *)bv, c->b->size);
        return rc;
    }
    for (size_t e = 0; e < t->size && rc == 0; e++) {
        uint64_t z = 0;
        for (int i = 0; i < t->sc.n; i++) z += t->s[i][e];
        if (c->kind == CHECK_RANGE) {
            if ((z + ((uint64_t)1 << 62)) >> 63)
                rc = overflow_err(ctx, &t->sc, ldexp((double)(int64_t)z, -t->frac), t->frac);
            continue;
        }
        /* what the two parties' local shifts give, against the true shift */
        int bits = c->bits;
        uint64_t s0 = (uint64_t)((int64_t)t->s[0][e] >> bits);
        uint64_t s1 = (uint64_t)0 - (uint64_t)((int64_t)((uint64_t)0 - t->s[1][e]) >> bits);
        uint64_t d = s0 + s1 - (uint64_t)((int64_t)z >> bits);
        if (d + 1 > 2) {
            int k = 1;
            while (k < 63 && ((int64_t)z >= 0 ? (uint64_t)z : (uint64_t)0 - z) >> k) k++;
            rc = ss__fail(ctx, "truncation wrap-around: the shares of a product straddled the "
                          "ring's edge and the local shift is off by 2^%d (probability "
                          "about 2^-%d for values this size); run again or use a dealer",
                          64 - bits, 63 - k);
        }
    }
    return rc;
}

/* The product checks of the operations below. */
static int guard_tt(SsCtx *ctx, const SsTensor *a, const SsTensor *b, int mm, int m, int k, int n)
{
    return sim_check(ctx, &(SimCheck){ .kind = CHECK_PRODUCT, .a = a, .b = b, .mm = mm,
                                       .m = m, .k = k, .n = n });
}

static int guard_pub(SsCtx *ctx, const SsTensor *a, const int64_t *kx, size_t nk, int mm,
                     int pub_left, int m, int k, int n, int f)
{
    return sim_check(ctx, &(SimCheck){ .kind = CHECK_PRODUCT, .a = a, .pub = kx, .npub = nk,
                                       .pub_left = pub_left, .mm = mm, .m = m, .k = k, .n = n,
                                       .f = f });
}

/* Multiplies by public integers (k[e % nk]) in place, Shamir or ring. */
static void mul_ints(SsTensor *t, const int64_t *k, size_t nk)
{
    for (int i = 0; i < t->sc.n; i++)
        for (size_t e = 0; e < t->size; e++) {
            int64_t m = k[nk == 1 ? 0 : e % nk];
            if (t->sc.kind == SS_SHAMIR) t->s[i][e] = fp_mul(t->s[i][e], fp_from(m));
            else t->s[i][e] *= (uint64_t)m;
        }
}

static int after_product(SsCtx *ctx, SsTensor *t);

SsTensor *ss_mul_pub(SsCtx *ctx, const SsTensor *a, const Tn *x)
{
    if (check_whole(ctx, a)) return NULL;
    int f = a->sc.frac_bits;
    int64_t *k = (int64_t *)ss__words(x->size);
    SsTensor *r = NULL;
    if (encode_tn(ctx, x, f, k)) goto out;
    if (x->size > a->size || !suffix_ok(a->ndim, a->shape, x->ndim, x->shape, x->size)) {
        shape_err(ctx, "*", a->ndim, a->shape, x->ndim, x->shape);
        goto out;
    }
    if (guard_pub(ctx, a, k, x->size, 0, 0, 0, 0, 0, f)) goto out;
    r = ss_copy(a);
    mul_ints(r, k, x->size);
    r->frac = a->frac + f;
    if (after_product(ctx, r)) { ss_free(r); r = NULL; }
out:
    ss__wipe_free((uint64_t *)k, x->size);
    return r;
}

SsTensor *ss_scale(SsCtx *ctx, const SsTensor *a, double c)
{
    SsTensor *r;
    int ok, f = a->sc.frac_bits;
    int64_t k = ss_encode(c, f, &ok);     /* encoded from the double, not a float32 */
    if (!ok) return ss__fail(ctx, "constant %g is out of the fixed-point range", c), NULL;
    if (check_whole(ctx, a)) return NULL;
    if (guard_pub(ctx, a, &k, 1, 0, 0, 0, 0, 0, f)) return NULL;
    r = ss_copy(a);
    mul_ints(r, &k, 1);
    r->frac = a->frac + f;
    if (after_product(ctx, r)) { ss_free(r); return NULL; }
    return r;
}

SsTensor *ss_scale_int(SsCtx *ctx, const SsTensor *a, int64_t k)
{
    if (check_whole(ctx, a)) return NULL;
    SsTensor *r = ss_copy(a);
    mul_ints(r, &k, 1);
    return r;
}

/* 2-D views of matmul operands (numpy's rule for 1-D vectors). */
static int mm_shapes(SsCtx *ctx, int and_, const int *ash, int bnd, const int *bsh,
                     int *m, int *k, int *n, int *ond, int *osh)
{
    int am, ak, bk, bn;
    if (and_ == 1) { am = 1; ak = ash[0]; } else if (and_ == 2) { am = ash[0]; ak = ash[1]; }
    else return ss__fail(ctx, "@ needs 1-D or 2-D operands, got %d-D", and_);
    if (bnd == 1) { bk = bsh[0]; bn = 1; } else if (bnd == 2) { bk = bsh[0]; bn = bsh[1]; }
    else return ss__fail(ctx, "@ needs 1-D or 2-D operands, got %d-D", bnd);
    if (ak != bk) return shape_err(ctx, "@", and_, ash, bnd, bsh);
    *m = am; *k = ak; *n = bn;
    *ond = 0;
    if (and_ == 2) osh[(*ond)++] = am;
    if (bnd == 2) osh[(*ond)++] = bn;
    return 0;
}

/* Field matrix product (Shamir), C = A @ B mod p. */
static void fp_mm(const uint64_t *A, const uint64_t *B, uint64_t *C, int m, int k, int n)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            uint64_t acc = 0;
            for (int q = 0; q < k; q++) acc = fp_add(acc, fp_mul(A[(size_t)i * k + q], B[(size_t)q * n + j]));
            C[(size_t)i * n + j] = acc;
        }
}

SsTensor *ss_matmul_pub(SsCtx *ctx, const SsTensor *a, const Tn *x)
{
    if (check_whole(ctx, a)) return NULL;
    int m, k, n, ond, osh[2];
    if (mm_shapes(ctx, a->ndim, a->shape, x->ndim, x->shape, &m, &k, &n, &ond, osh)) return NULL;
    int f = a->sc.frac_bits;
    int64_t *kx = (int64_t *)ss__words(x->size);
    if (encode_tn(ctx, x, f, kx) || guard_pub(ctx, a, kx, x->size, 1, 0, m, k, n, f)) {
        ss__wipe_free((uint64_t *)kx, x->size);
        return NULL;
    }
    if (a->sc.kind == SS_SHAMIR) for (size_t e = 0; e < x->size; e++) kx[e] = (int64_t)fp_from(kx[e]);
    SsTensor *r = ss_new(&a->sc, ond, osh, a->frac + f);
    for (int i = 0; i < a->sc.n; i++) {
        if (a->sc.kind == SS_SHAMIR) fp_mm(a->s[i], (uint64_t *)kx, r->s[i], m, k, n);
        else ss_mm_u64(a->s[i], (uint64_t *)kx, r->s[i], m, k, n, 0, ctx->nthreads);
    }
    ss__wipe_free((uint64_t *)kx, x->size);
    if (after_product(ctx, r)) { ss_free(r); return NULL; }
    return r;
}

SsTensor *ss_pub_matmul(SsCtx *ctx, const Tn *x, const SsTensor *a)
{
    if (check_whole(ctx, a)) return NULL;
    int m, k, n, ond, osh[2];
    if (mm_shapes(ctx, x->ndim, x->shape, a->ndim, a->shape, &m, &k, &n, &ond, osh)) return NULL;
    int f = a->sc.frac_bits;
    int64_t *kx = (int64_t *)ss__words(x->size);
    if (encode_tn(ctx, x, f, kx) || guard_pub(ctx, a, kx, x->size, 1, 1, m, k, n, f)) {
        ss__wipe_free((uint64_t *)kx, x->size);
        return NULL;
    }
    if (a->sc.kind == SS_SHAMIR) for (size_t e = 0; e < x->size; e++) kx[e] = (int64_t)fp_from(kx[e]);
    SsTensor *r = ss_new(&a->sc, ond, osh, a->frac + f);
    for (int i = 0; i < a->sc.n; i++) {
        if (a->sc.kind == SS_SHAMIR) fp_mm((uint64_t *)kx, a->s[i], r->s[i], m, k, n);
        else ss_mm_u64((uint64_t *)kx, a->s[i], r->s[i], m, k, n, 0, ctx->nthreads);
    }
    ss__wipe_free((uint64_t *)kx, x->size);
    if (after_product(ctx, r)) { ss_free(r); return NULL; }
    return r;
}

SsTensor *ss_transpose(SsCtx *ctx, const SsTensor *a)
{
    if (a->ndim != 2) return ss__fail(ctx, "transpose needs a 2-D tensor, got %d-D", a->ndim), NULL;
    int sh[2] = { a->shape[1], a->shape[0] };
    SsTensor *r = ss_new(&a->sc, 2, sh, a->frac);
    int R = a->shape[0], C = a->shape[1];
    for (int i = 0; i < a->sc.n; i++) {
        if (!a->s[i]) { ss__wipe_free(r->s[i], r->size); r->s[i] = NULL; continue; }
        for (int y = 0; y < R; y++)
            for (int x = 0; x < C; x++) r->s[i][(size_t)x * R + y] = a->s[i][(size_t)y * C + x];
    }
    return r;
}

SsTensor *ss_reshape(SsCtx *ctx, const SsTensor *a, int ndim, const int *shape)
{
    size_t sz = 1;
    for (int i = 0; i < ndim; i++) sz *= (size_t)shape[i];
    if (sz != a->size || ndim > TN_MAXDIM)
        return ss__fail(ctx, "cannot reshape %zu values to that shape", a->size), NULL;
    SsTensor *r = ss_copy(a);
    r->ndim = ndim;
    for (int i = 0; i < ndim; i++) r->shape[i] = shape[i];
    return r;
}

SsTensor *ss_sum_rows(SsCtx *ctx, const SsTensor *a)
{
    if (a->ndim != 2) return ss__fail(ctx, "sum over rows needs a 2-D tensor"), NULL;
    if (check_whole(ctx, a)) return NULL;
    int R = a->shape[0], C = a->shape[1];
    SsTensor *r = ss_new(&a->sc, 1, &C, a->frac);
    for (int i = 0; i < a->sc.n; i++)
        for (int y = 0; y < R; y++)
            for (int x = 0; x < C; x++) {
                uint64_t v = a->s[i][(size_t)y * C + x];
                r->s[i][x] = a->sc.kind == SS_SHAMIR ? fp_add(r->s[i][x], v) : r->s[i][x] + v;
            }
    return r;
}

SsTensor *ss_rows(SsCtx *ctx, const SsTensor *a, int lo, int hi)
{
    if (a->ndim < 1 || lo < 0 || hi > a->shape[0] || lo >= hi)
        return ss__fail(ctx, "rows %d..%d out of range", lo, hi), NULL;
    int sh[TN_MAXDIM];
    memcpy(sh, a->shape, sizeof sh);
    sh[0] = hi - lo;
    SsTensor *r = ss_new(&a->sc, a->ndim, sh, a->frac);
    size_t row = a->size / (size_t)a->shape[0];
    for (int i = 0; i < a->sc.n; i++) {
        if (!a->s[i]) { ss__wipe_free(r->s[i], r->size); r->s[i] = NULL; continue; }
        memcpy(r->s[i], a->s[i] + (size_t)lo * row, r->size * sizeof(uint64_t));
    }
    return r;
}

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
    if (mm) ss_mm_u64(sa, sb, scc, m, k, n, 0, ctx->nthreads);
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
    if (same_scheme(ctx, a, b)) return NULL;
    const SsScheme *sc = &a->sc;
    int m = 0, k = 0, n = 0, ond, osh[TN_MAXDIM];
    if (mm) {
        if (mm_shapes(ctx, a->ndim, a->shape, b->ndim, b->shape, &m, &k, &n, &ond, osh)) return NULL;
    } else {
        if (b->size > a->size) return beaver(ctx, b, a, 0);
        if (!suffix_ok(a->ndim, a->shape, b->ndim, b->shape, b->size))
            return shape_err(ctx, "*", a->ndim, a->shape, b->ndim, b->shape), NULL;
        ond = a->ndim; memcpy(osh, a->shape, sizeof osh);
    }
    size_t na = a->size, nb = b->size, nc = mm ? (size_t)m * n : na;
    if (guard_tt(ctx, a, b, mm, m, k, n)) return NULL;
    int N = sc->n;
    if (sc->kind == SS_SHAMIR) {
        if (N < 2 * sc->threshold + 1)
            return ss__fail(ctx, "Shamir products need at least 2t+1 = %d parties, the scheme has "
                             "%d (use additive shares for products)", 2 * sc->threshold + 1, N), NULL;
        /* each party: the product of its own shares (degree 2t), then a re-sharing round */
        SsTensor *z = ss_new(sc, ond, osh, a->frac + b->frac);
        for (int i = 0; i < N; i++) {
            if (mm) fp_mm(a->s[i], b->s[i], z->s[i], m, k, n);
            else for (size_t e = 0; e < na; e++) z->s[i][e] = fp_mul(a->s[i][e], b->s[i][nb == 1 ? 0 : e % nb]);
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
    lagrange0(use, m, lam);
    SsTensor *r = NULL;
    int rc = 0;
    msg_round(ctx->msg);
    for (int i = 0; i < m && rc == 0; i++) {        /* party i's step */
        ss__as(ctx, sc->party[use[i]]);
        for (int j = 0; j < N; j++) part[j] = ss__words(len);
        for (size_t e = 0; e < len; e++) {
            shamir_split(ctx, N, sc->threshold, d->s[i][e], sh);
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
                    r->s[j][e] = fp_add(r->s[j][e], fp_mul(lam[i], src[e]));
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

static int after_product(SsCtx *ctx, SsTensor *t)
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
    if (z && after_product(ctx, z)) { ss_free(z); return NULL; }
    return z;
}

SsTensor *ss_matmul(SsCtx *ctx, const SsTensor *a, const SsTensor *b)
{
    SsTensor *z = beaver(ctx, a, b, 1);
    if (z && after_product(ctx, z)) { ss_free(z); return NULL; }
    return z;
}

/* --- truncation ------------------------------------------------------------------- */

#define OFFSET ((uint64_t)1 << 62)

/* No messages: each party shifts its own share (party 1 negated), after the simulator's
** check that the two shifts do not straddle the ring's edge. */
static int trunc_local(SsCtx *ctx, SsTensor *t, int bits)
{
    if (t->sc.n != 2) return ss__fail(ctx, "local truncation works for two parties only");
    if (sim_check(ctx, &(SimCheck){ .kind = CHECK_LOCAL_SHIFT, .a = t, .bits = bits })) return -1;
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
    /* offline, the dealer's step: pairs (r, r_msb, floor(r_low / 2^bits)), each split
    ** and streamed; party i receives mat[i] = [R_i | RM_i | RL_i] */
    double t0 = ss__now();
    uint64_t *r = ss__words(len), *rm = ss__words(len), *rl = ss__words(len), *mat[SS_MAXP];
    ss__as(ctx, sc->dealer);
    ss__rnd(ctx, r, len);
    for (size_t e = 0; e < len; e++) { rm[e] = r[e] >> 63; rl[e] = (r[e] & (OFFSET * 2 - 1)) >> bits; }
    char what[80];
    snprintf(what, sizeof what, "truncation pairs for %zu values", len);
    SsOut out[SS_MAXP];
    const char *old;
    ss__deal_begin(ctx, sc, out, 3 * len, what, &old);
    ss__deal_split(ctx, sc, out, r, len, 0);
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
    if (check_whole(ctx, t)) return -1;
    if (bits > 62) return ss__fail(ctx, "cannot truncate by %d bits", bits);
    if (sim_check(ctx, &(SimCheck){ .kind = CHECK_RANGE, .a = t })) return -1;
    SsTrunc m = t->sc.trunc;
    if (m == SS_TRUNC_AUTO) m = t->sc.dealer == SS_NODEALER ? SS_TRUNC_LOCAL : SS_TRUNC_PAIR;
    if (m == SS_TRUNC_PAIR && t->sc.dealer == SS_NODEALER)
        return ss__fail(ctx, "truncation pairs need a dealer");
    return m == SS_TRUNC_LOCAL ? trunc_local(ctx, t, bits) : trunc_pair(ctx, t, bits);
}
