/*
** shares.c — schemes, shared tensors, fixed-point encoding, sharing and reconstruction
** (additive over Z_2^64, Shamir over F_p with p = 2^61 - 1), the local linear
** operations and the simulator's range checks.  The dealer's offline material, share
** products and truncation live in shares_mul.c; comparison, ReLU, max and polynomials
** in shares_cmp.c, the ring matrix kernel in shares_mm.c, dealer-free triples in
** shares_paillier.c.  See shares.h for the security notes.
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

static void vfail(SsCtx *ctx, RtCode code, const char *fmt, va_list ap)
{
    ctx->err.code = code;
    vsnprintf(ctx->err.msg, sizeof ctx->err.msg, fmt, ap);
}

int ss__fail(SsCtx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ctx, RT_EINVAL, fmt, ap);
    va_end(ap);
    return -1;
}

int ss__failc(SsCtx *ctx, RtCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(ctx, code, fmt, ap);
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

static uint64_t fp_sub(uint64_t a, uint64_t b) { return ss__fp_red(a + SS_P61 - b); }
static uint64_t fp_pow(uint64_t a, uint64_t e)
{
    uint64_t r = 1;
    for (; e; e >>= 1, a = ss__fp_mul(a, a)) if (e & 1) r = ss__fp_mul(r, a);
    return r;
}
static uint64_t fp_inv(uint64_t a) { return fp_pow(a, SS_P61 - 2); }
static uint64_t fp_from(int64_t v) { return v >= 0 ? ss__fp_red((uint64_t)v) : fp_sub(0, ss__fp_red((uint64_t)0 - (uint64_t)v)); }
static int64_t fp_centre(uint64_t v) { return v > SS_P61 / 2 ? -(int64_t)(SS_P61 - v) : (int64_t)v; }
static uint64_t fp_rand(SsCtx *ctx)
{
    for (;;) { uint64_t r = rng_u64(ss__rng(ctx, ctx->who)) & SS_P61; if (r != SS_P61) return r; }
}

/* Lagrange coefficients at 0 for the evaluation points x = idx[i] + 1. */
void ss__lagrange0(const int *idx, int m, uint64_t *lam)
{
    for (int i = 0; i < m; i++) {
        uint64_t num = 1, den = 1, xi = (uint64_t)idx[i] + 1;
        for (int j = 0; j < m; j++) {
            if (j == i) continue;
            uint64_t xj = (uint64_t)idx[j] + 1;
            num = ss__fp_mul(num, xj);
            den = ss__fp_mul(den, fp_sub(xj, xi));
        }
        lam[i] = ss__fp_mul(num, fp_inv(den));
    }
}

/* Shares of v (a field element) for the n parties on a random degree-t polynomial. */
void ss__shamir_split(SsCtx *ctx, int n, int t, uint64_t v, uint64_t *out)
{
    uint64_t c[SS_MAXP];
    c[0] = v;
    for (int k = 1; k <= t; k++) c[k] = fp_rand(ctx);
    for (int i = 0; i < n; i++) {
        uint64_t x = (uint64_t)i + 1, y = c[t];
        for (int k = t - 1; k >= 0; k--) y = ss__fp_add(ss__fp_mul(y, x), c[k]);
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

int ss__check_whole(SsCtx *ctx, const SsTensor *t)
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
    if (ss__standin(ctx, from)) {
        /* a stand-in owner's parts are not used: its frames only keep their sizes */
    } else if (sc->kind == SS_ADDITIVE) {
        ss__split(ctx, sc, (const uint64_t *)v, len, parts);
    } else {
        uint64_t sh[SS_MAXP];
        for (size_t e = 0; e < len; e++) {
            ss__shamir_split(ctx, n, sc->threshold, fp_from(v[e]), sh);
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
    for (int i = 0; i < m; i++) acc = ss__fp_add(acc, ss__fp_mul(lam[i], t->s[use[i]][e]));
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
        if (shamir) for (size_t e = 0; e < n; e++) acc[e] = ss__fp_add(acc[e], ss__fp_mul(lam[u], src[e]));
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
    if (sc->kind == SS_SHAMIR) ss__lagrange0(use, m, lam);
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
        ss__lagrange0(use, m, lam);
    }
    return recon(t, use, m, lam, e);
}

/* --- linear operations ------------------------------------------------------------- */

/* Whether `small` broadcasts against `big`: a scalar, or its shape (leading 1s dropped)
** equals big's trailing dimensions. Element e of big then pairs with e % small's size. */
int ss__suffix_ok(int bnd, const int *bsh, int snd, const int *ssh, size_t ssize)
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

int ss__shape_err(SsCtx *ctx, const char *op, int and_, const int *ash, int bnd, const int *bsh)
{
    char x[64], y[64];
    shape_str(x, sizeof x, and_, ash); shape_str(y, sizeof y, bnd, bsh);
    return ss__fail(ctx, "shapes %s and %s do not match for %s", x, y, op);
}

int ss__same_scheme(SsCtx *ctx, const SsTensor *a, const SsTensor *b)
{
    if (a->sc.kind != b->sc.kind || a->sc.n != b->sc.n ||
        memcmp(a->sc.party, b->sc.party, sizeof a->sc.party) != 0)
        return ss__fail(ctx, "the two operands are shared among different parties; reshare "
                         "one of them under the other's scheme");
    if (ss__check_whole(ctx, a) || ss__check_whole(ctx, b)) return -1;
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
            c->s[i][e] = a->sc.kind == SS_SHAMIR ? ss__fp_mul(c->s[i][e], k) : c->s[i][e] * k;
    c->frac = frac;
    return c;
}

static SsTensor *lin2(SsCtx *ctx, const SsTensor *a0, const SsTensor *b0, int sign, const char *op)
{
    if (ss__same_scheme(ctx, a0, b0)) return NULL;
    int frac = a0->frac > b0->frac ? a0->frac : b0->frac;
    /* an operand already at the scale is read as it is (a copy only to rescale) */
    SsTensor *ca = a0->frac == frac ? NULL : rescale(a0, frac);
    SsTensor *cb = b0->frac == frac ? NULL : rescale(b0, frac);
    const SsTensor *a = ca ? ca : a0, *b = cb ? cb : b0;
    const SsTensor *big = a, *sm = b;
    int swap = 0;
    if (b->size > a->size || (b->size == a->size && b->ndim > a->ndim)) { big = b; sm = a; swap = 1; }
    SsTensor *r = NULL;
    if (!ss__suffix_ok(big->ndim, big->shape, sm->ndim, sm->shape, sm->size)) {
        ss__shape_err(ctx, op, a->ndim, a->shape, b->ndim, b->shape);
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
            if (shamir) pr[e] = sign > 0 ? ss__fp_add(x, y) : fp_sub(x, y);
            else pr[e] = sign > 0 ? x + y : x - y;
        }
    }
done:
    ss_free(ca); ss_free(cb);
    return r;
}

SsTensor *ss_add(SsCtx *ctx, const SsTensor *a, const SsTensor *b) { return lin2(ctx, a, b, 1, "+"); }
SsTensor *ss_sub(SsCtx *ctx, const SsTensor *a, const SsTensor *b) { return lin2(ctx, a, b, -1, "-"); }

SsTensor *ss_neg(SsCtx *ctx, const SsTensor *a)
{
    if (ss__check_whole(ctx, a)) return NULL;
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
    if (ss__check_whole(ctx, a)) return NULL;
    SsTensor *p = pub_share(ctx, &a->sc, x, a->frac);
    if (!p) return NULL;
    SsTensor *r = lin2(ctx, a, p, sign, sign > 0 ? "+" : "-");
    ss_free(p);
    return r;
}

SsTensor *ss_pub_sub(SsCtx *ctx, const Tn *x, const SsTensor *a)
{
    if (ss__check_whole(ctx, a)) return NULL;
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
    return ss__failc(ctx, RT_EOVERFLOW, "fixed-point overflow: a product reached about %.3g, beyond the "
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
int ss__guard_tt(SsCtx *ctx, const SsTensor *a, const SsTensor *b, int mm, int m, int k, int n)
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

/* The truncation checks (shares_mul.c): t's values within |z| < 2^62, and two-party
** LOCAL truncation of t by `bits` does not wrap. */
int ss__guard_range(SsCtx *ctx, const SsTensor *t)
{
    return sim_check(ctx, &(SimCheck){ .kind = CHECK_RANGE, .a = t });
}

int ss__guard_shift(SsCtx *ctx, const SsTensor *t, int bits)
{
    return sim_check(ctx, &(SimCheck){ .kind = CHECK_LOCAL_SHIFT, .a = t, .bits = bits });
}

/* Multiplies by public integers (k[e % nk]) in place, Shamir or ring. */
static void mul_ints(SsTensor *t, const int64_t *k, size_t nk)
{
    for (int i = 0; i < t->sc.n; i++)
        for (size_t e = 0; e < t->size; e++) {
            int64_t m = k[nk == 1 ? 0 : e % nk];
            if (t->sc.kind == SS_SHAMIR) t->s[i][e] = ss__fp_mul(t->s[i][e], fp_from(m));
            else t->s[i][e] *= (uint64_t)m;
        }
}

SsTensor *ss_mul_pub(SsCtx *ctx, const SsTensor *a, const Tn *x)
{
    if (ss__check_whole(ctx, a)) return NULL;
    int f = a->sc.frac_bits;
    int64_t *k = (int64_t *)ss__words(x->size);
    SsTensor *r = NULL;
    if (encode_tn(ctx, x, f, k)) goto out;
    if (x->size > a->size || !ss__suffix_ok(a->ndim, a->shape, x->ndim, x->shape, x->size)) {
        ss__shape_err(ctx, "*", a->ndim, a->shape, x->ndim, x->shape);
        goto out;
    }
    if (guard_pub(ctx, a, k, x->size, 0, 0, 0, 0, 0, f)) goto out;
    r = ss_copy(a);
    mul_ints(r, k, x->size);
    r->frac = a->frac + f;
    if (ss__after_product(ctx, r)) { ss_free(r); r = NULL; }
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
    if (ss__check_whole(ctx, a)) return NULL;
    if (guard_pub(ctx, a, &k, 1, 0, 0, 0, 0, 0, f)) return NULL;
    r = ss_copy(a);
    mul_ints(r, &k, 1);
    r->frac = a->frac + f;
    if (ss__after_product(ctx, r)) { ss_free(r); return NULL; }
    return r;
}

SsTensor *ss_scale_int(SsCtx *ctx, const SsTensor *a, int64_t k)
{
    if (ss__check_whole(ctx, a)) return NULL;
    SsTensor *r = ss_copy(a);
    mul_ints(r, &k, 1);
    return r;
}

/* 2-D views of matmul operands (numpy's rule for 1-D vectors). */
int ss__mm_shapes(SsCtx *ctx, int and_, const int *ash, int bnd, const int *bsh,
                     int *m, int *k, int *n, int *ond, int *osh)
{
    int am, ak, bk, bn;
    if (and_ == 1) { am = 1; ak = ash[0]; } else if (and_ == 2) { am = ash[0]; ak = ash[1]; }
    else return ss__fail(ctx, "@ needs 1-D or 2-D operands, got %d-D", and_);
    if (bnd == 1) { bk = bsh[0]; bn = 1; } else if (bnd == 2) { bk = bsh[0]; bn = bsh[1]; }
    else return ss__fail(ctx, "@ needs 1-D or 2-D operands, got %d-D", bnd);
    if (ak != bk) return ss__shape_err(ctx, "@", and_, ash, bnd, bsh);
    *m = am; *k = ak; *n = bn;
    *ond = 0;
    if (and_ == 2) osh[(*ond)++] = am;
    if (bnd == 2) osh[(*ond)++] = bn;
    return 0;
}

/* Field matrix product (Shamir), C = A @ B mod p. */
void ss__fp_mm(const uint64_t *A, const uint64_t *B, uint64_t *C, int m, int k, int n)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            uint64_t acc = 0;
            for (int q = 0; q < k; q++) acc = ss__fp_add(acc, ss__fp_mul(A[(size_t)i * k + q], B[(size_t)q * n + j]));
            C[(size_t)i * n + j] = acc;
        }
}

/* a @ x (left = 0) or x @ a (left = 1) for a public x: each party multiplies its own
** share by the encoded x, no messages. */
static SsTensor *matmul_pub(SsCtx *ctx, const SsTensor *a, const Tn *x, int left)
{
    if (ss__check_whole(ctx, a)) return NULL;
    int m, k, n, ond, osh[2];
    if (left ? ss__mm_shapes(ctx, x->ndim, x->shape, a->ndim, a->shape, &m, &k, &n, &ond, osh)
             : ss__mm_shapes(ctx, a->ndim, a->shape, x->ndim, x->shape, &m, &k, &n, &ond, osh))
        return NULL;
    int f = a->sc.frac_bits;
    int64_t *kx = (int64_t *)ss__words(x->size);
    if (encode_tn(ctx, x, f, kx) || guard_pub(ctx, a, kx, x->size, 1, left, m, k, n, f)) {
        ss__wipe_free((uint64_t *)kx, x->size);
        return NULL;
    }
    if (a->sc.kind == SS_SHAMIR) for (size_t e = 0; e < x->size; e++) kx[e] = (int64_t)fp_from(kx[e]);
    SsTensor *r = ss_new(&a->sc, ond, osh, a->frac + f);
    for (int i = 0; i < a->sc.n; i++) {
        const uint64_t *L = left ? (const uint64_t *)kx : a->s[i], *R = left ? a->s[i] : (const uint64_t *)kx;
        if (a->sc.kind == SS_SHAMIR) ss__fp_mm(L, R, r->s[i], m, k, n);
        else ss_mm_u64(L, R, r->s[i], m, k, n, 0, ctx->nthreads);
    }
    ss__wipe_free((uint64_t *)kx, x->size);
    if (ss__after_product(ctx, r)) { ss_free(r); return NULL; }
    return r;
}

SsTensor *ss_matmul_pub(SsCtx *ctx, const SsTensor *a, const Tn *x) { return matmul_pub(ctx, a, x, 0); }

SsTensor *ss_pub_matmul(SsCtx *ctx, const Tn *x, const SsTensor *a) { return matmul_pub(ctx, a, x, 1); }

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
    if (ss__check_whole(ctx, a)) return NULL;
    int R = a->shape[0], C = a->shape[1];
    SsTensor *r = ss_new(&a->sc, 1, &C, a->frac);
    for (int i = 0; i < a->sc.n; i++)
        for (int y = 0; y < R; y++)
            for (int x = 0; x < C; x++) {
                uint64_t v = a->s[i][(size_t)y * C + x];
                r->s[i][x] = a->sc.kind == SS_SHAMIR ? ss__fp_add(r->s[i][x], v) : r->s[i][x] + v;
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
