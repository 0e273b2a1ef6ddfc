/*
** shares_softmax.c — exp, reciprocal and softmax on additive shares, for softmax
** cross-entropy in training (shares_nn.c).  The route is CrypTen's (facts, not code): the
** row maximum is subtracted first (ss_max, a tournament of secure comparisons), so every
** exponent is <= 0 and every exp lies in [0, 1]; exp is the limit (1 + x/2^d)^(2^d), d
** squarings; the row sum, which then lies in [1, k], is inverted by Newton's iteration
** y <- y (2 - s y); and each exp is multiplied by its row's inverse.  Two choices differ
** from CrypTen: the base 1 + x/2^d is clamped at 0 (one ReLU), so that a logit far below
** the maximum gives 0 instead of a huge even power, and Newton starts from the linear
** minimax guess on [1, k] (no exp), with as many iterations as the public bound k needs.
** Inside, values carry frac_bits + d fractional bits when truncation is by dealer pairs
** (exact range 2^62, so products of values <= 1 have room), which makes the squarings'
** rounding errors 2^d times smaller; with local truncation (two parties) they stay at
** frac_bits, where a wrap is unlikely.  Everything is products, truncations and local
** steps of shares.c and shares_cmp.c: rounds and bytes come from them.
**
** Security notes: as shares.h.  Nothing is opened but the masked values inside products,
** truncations and comparisons; the iteration counts depend only on public shapes.
*/
#include "shares.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXP_ITERS 8             /* squarings in exp: (1 + x/256)^256, as CrypTen */
#define NR_MAX    24            /* most Newton iterations */

static int additive_whole(SsCtx *ctx, const SsTensor *a, const char *what)
{
    if (a->sc.kind != SS_ADDITIVE)
        return ss__fail(ctx, "%s needs additive shares", what);
    for (int i = 0; i < a->sc.n; i++)
        if (!a->s[i]) return ss__fail(ctx, "%s needs every party's share", what);
    return 0;
}

/* Fractional bits kept inside exp and the reciprocal: frac_bits + extra with dealer
** pairs (at most 30, so that a product of two values below 2^(62 - 2F) fits), frac_bits
** with local truncation. */
static int work_frac(const SsScheme *sc, int extra)
{
    SsTrunc m = sc->trunc;
    if (m == SS_TRUNC_AUTO) m = sc->dealer == SS_NODEALER ? SS_TRUNC_LOCAL : SS_TRUNC_PAIR;
    if (m == SS_TRUNC_LOCAL) return sc->frac_bits;
    int f = sc->frac_bits + extra;
    return f > 30 ? 30 : f;
}

/* t brought to exactly `frac` fractional bits, in place: up by a local multiplication
** (exact), down by truncation. */
static int to_frac(SsCtx *ctx, SsTensor *t, int frac)
{
    if (t->frac > frac) return ss_trunc(ctx, t, t->frac - frac);
    uint64_t k = (uint64_t)1 << (frac - t->frac);
    for (int i = 0; i < t->sc.n; i++)       /* each party, on its own share */
        for (size_t e = 0; e < t->size; e++) t->s[i][e] *= k;
    t->frac = frac;
    return 0;
}

/* a * b truncated to `frac` fractional bits (one product, one truncation). */
static SsTensor *mul_to(SsCtx *ctx, const SsTensor *a, const SsTensor *b, int frac)
{
    SsTensor *z = ss_mul_raw(ctx, a, b);
    if (z && to_frac(ctx, z, frac)) { ss_free(z); return NULL; }
    return z;
}

/* Adds the public constant c (encoded at t's frac) in place: party[0] holds the
** encoding of a public value. */
static void add_const(SsTensor *t, double c)
{
    int64_t v = (int64_t)llround(ldexp(c, t->frac));
    for (size_t e = 0; e < t->size; e++) t->s[0][e] += (uint64_t)v;
}

/* exp(a) at F fractional bits: base w = 1 + a/2^d (a's encoding read with d more
** fractional bits: exact), clamped at 0, squared d times. */
static SsTensor *exp_limit(SsCtx *ctx, const SsTensor *a, int d, int F)
{
    SsTensor *w = ss_copy(a);
    w->frac += d;                                   /* a / 2^d, exactly */
    if (to_frac(ctx, w, F)) { ss_free(w); return NULL; }
    add_const(w, 1.0);
    /* clamp: w * [w >= 0], a product by a bit (no truncation) */
    SsTensor *neg = ss_ltz(ctx, w), *y = NULL;
    if (neg) {
        for (int i = 0; i < neg->sc.n; i++)         /* 1 - [w < 0], each party locally */
            for (size_t e = 0; e < neg->size; e++) neg->s[i][e] = (i == 0 ? 1 : 0) - neg->s[i][e];
        y = ss_mul_raw(ctx, w, neg);
    }
    ss_free(w); ss_free(neg);
    for (int j = 0; j < d && y; j++) {
        SsTensor *sq = mul_to(ctx, y, y, F);
        ss_free(y);
        y = sq;
    }
    return y;
}

SsTensor *ss_exp(SsCtx *ctx, const SsTensor *a, int iters)
{
    if (additive_whole(ctx, a, "exp")) return NULL;
    if (iters < 1 || iters > 16) return ss__fail(ctx, "exp: %d squarings (1 to 16)", iters), NULL;
    return exp_limit(ctx, a, iters, a->sc.frac_bits);
}

/* The linear start y0 = u (L + H - s) of Newton's iteration for 1/s, fitted on the
** bounds widened to L = 0.9 lo, H = 1.05 hi (a row sum of rounded exps may stray a
** little past k): u makes s * y0 equioscillate around 1 (1 - e at L and H, 1 + e at the
** midpoint, e = 1 - u L H), and the error squares each iteration (e <- e^2); returns
** how many bring it below 2^-(F - 2).  *c = u (L + H). */
static int nr_plan(double lo, double hi, int F, double *u, double *c)
{
    double L = 0.9 * lo, H = 1.05 * hi;
    *u = 8 / (4 * L * H + (L + H) * (L + H));
    *c = *u * (L + H);
    double e = 1 - *u * L * H;
    int it = 0;
    for (double target = ldexp(1, -(F - 2)); e > target && it < NR_MAX; it++) e *= e;
    return it;
}

/* 1/s at F fractional bits for s in [lo, hi] (public bounds, hi / lo <= 4096).  Newton
** runs on s' = s / 2^m, m = ceil(log2 1.05 hi) (s's encoding read with m more fractional
** bits: exact), so that s' <= 1 and the start's slope is a large, precise constant; then
** 1/s = (1/s') / 2^m, read the same way. */
static SsTensor *recip_nr(SsCtx *ctx, const SsTensor *s0, double lo, double hi, int F)
{
    int m = (int)ceil(log2(1.05 * hi));
    double u, c;
    int iters = nr_plan(ldexp(lo, -m), ldexp(hi, -m), F, &u, &c);
    SsTensor *s = ss_copy(s0);
    s->frac += m;
    if (s->frac < 0 || to_frac(ctx, s, F)) {
        if (s->frac < 0) ss__fail(ctx, "reciprocal: values too large for the encoding");
        ss_free(s);
        return NULL;
    }
    /* y0 = c - u s': a product by a public integer, then truncation */
    SsTensor *y = ss_scale_int(ctx, s, -(int64_t)llround(ldexp(u, F)));
    if (y) {
        y->frac = s->frac + F;
        if (to_frac(ctx, y, F)) { ss_free(y); y = NULL; }
        else add_const(y, c);
    }
    for (int it = 0; it < iters && y; it++) {
        SsTensor *t = mul_to(ctx, s, y, F), *ny = NULL;     /* s' y */
        if (t) {
            for (int i = 0; i < t->sc.n; i++)                /* 2 - s' y, locally */
                for (size_t e = 0; e < t->size; e++) t->s[i][e] = (uint64_t)0 - t->s[i][e];
            add_const(t, 2.0);
            ny = mul_to(ctx, y, t, F);                       /* y (2 - s' y) */
        }
        ss_free(t); ss_free(y);
        y = ny;
    }
    ss_free(s);
    if (y) {
        y->frac += m;                                        /* 1/s = (1/s') / 2^m */
        if (y->frac < 0 || to_frac(ctx, y, F)) {
            if (y->frac < 0) ss__fail(ctx, "reciprocal: values too small for the encoding");
            ss_free(y);
            y = NULL;
        }
    }
    return y;
}

SsTensor *ss_reciprocal(SsCtx *ctx, const SsTensor *a, double lo, double hi)
{
    if (additive_whole(ctx, a, "reciprocal")) return NULL;
    if (!(lo > 0) || !(hi > lo) || hi > 4096 * lo || hi > 1e9 || lo < 1e-6)
        return ss__fail(ctx, "reciprocal: bounds [%g, %g] (0 < lo < hi <= 4096 lo, lo >= 1e-6, "
                             "hi <= 1e9)", lo, hi), NULL;
    SsTensor *r = recip_nr(ctx, a, lo, hi, work_frac(&a->sc, 8));
    if (r && to_frac(ctx, r, a->sc.frac_bits)) { ss_free(r); return NULL; }
    return r;
}

/* Each row's value (R of them) repeated over k columns: every party copies its own
** share. */
static SsTensor *widen(const SsTensor *v, const SsTensor *like, int k)
{
    SsTensor *w = ss_new(&like->sc, like->ndim, like->shape, v->frac);
    for (int i = 0; i < v->sc.n; i++)
        for (size_t r = 0; r < v->size; r++)
            for (int j = 0; j < k; j++) w->s[i][r * (size_t)k + j] = v->s[i][r];
    return w;
}

/* The sum over the last axis (k columns): every party sums its own share. */
static SsTensor *row_sums(const SsTensor *a, int k)
{
    int rows = (int)(a->size / (size_t)k);
    SsTensor *s = ss_new(&a->sc, 1, &rows, a->frac);
    for (int i = 0; i < a->sc.n; i++)
        for (int r = 0; r < rows; r++) {
            uint64_t acc = 0;
            for (int j = 0; j < k; j++) acc += a->s[i][(size_t)r * k + j];
            s->s[i][r] = acc;
        }
    return s;
}

SsTensor *ss_softmax(SsCtx *ctx, const SsTensor *a)
{
    if (additive_whole(ctx, a, "softmax")) return NULL;
    if (a->ndim < 1 || a->size == 0) return ss__fail(ctx, "softmax of an empty tensor"), NULL;
    int k = a->shape[a->ndim - 1], f = a->sc.frac_bits;
    if (k > 4096) return ss__fail(ctx, "softmax over %d classes (at most 4096 on shares)", k), NULL;
    if (k == 1) {                                   /* a single class: probability 1 */
        SsTensor *one = ss_new(&a->sc, a->ndim, a->shape, f);
        add_const(one, 1.0);
        return one;
    }
    int F = work_frac(&a->sc, EXP_ITERS);
    SsTensor *mx = ss_max(ctx, a, NULL), *mw = NULL, *z = NULL, *e = NULL, *s = NULL,
             *r = NULL, *rw = NULL, *p = NULL;
    if (!mx) goto out;
    mw = widen(mx, a, k);
    z = ss_sub(ctx, a, mw);                         /* <= 0, the maximum at 0 */
    if (!z) goto out;
    e = exp_limit(ctx, z, EXP_ITERS, F);            /* in [0, 1], one of them about 1 */
    if (!e) goto out;
    s = row_sums(e, k);                             /* in [1, k] */
    r = recip_nr(ctx, s, 1, k, F);
    if (!r) goto out;
    rw = widen(r, a, k);
    p = mul_to(ctx, e, rw, f);
out:
    ss_free(mx); ss_free(mw); ss_free(z); ss_free(e); ss_free(s); ss_free(r); ss_free(rw);
    return p;
}
