/*
** shares_softmax.c — exp, reciprocal and softmax on additive shares, for softmax
** cross-entropy in training (shares_nn.c), and a product with its operands' truncations
** in one round (mul_tt, below), which they are built on.  The route is CrypTen's (facts,
** not code): the row maximum is subtracted first (ss_max: all pairs compared at once for
** k <= 16), so every exponent is <= 0 and every exp lies in [0, 1]; exp is the limit
** (1 + x/2^d)^(2^d), d squarings; the row sum, which then lies in [1, k], is inverted by
** Goldschmidt's iteration (y <- y (1 + e), e <- e^2: Newton's convergence, but one round
** a step); and each exp is multiplied by its row's inverse.  Three choices differ from
** CrypTen: the base 1 + x/2^d is clamped at 0 (one ReLU), so that a logit far below the
** maximum gives 0 instead of a huge even power; the iteration starts from the linear
** minimax guess on [1, k] (no exp), with as many steps as the public bound k needs; and
** every truncation but two rides in the next product's round.
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

/* --- a product with its operands' truncations in one round ------------------------

   mul_tt(a, sa, b, sb) = a' * b', where a' is a truncated by sa bits (as ss_trunc's PAIR
   method: floor(a / 2^sa) or one more) and b' likewise, in ONE round instead of a
   truncation round and a product round.  The dealer's truncation pair of a (r uniform,
   its top bit, r_low = r mod 2^63) already makes a' an affine function of public and
   dealer-made values once c = a + 2^62 + r is open:
       a' = P + s M1 + M0,   P = floor(c_low / 2^sa) - 2^62 / 2^sa + c_msb 2^(63 - sa),
       s = 1 - 2 c_msb (public),  M1 = r_msb 2^(63 - sa),  M0 = -floor(r_low / 2^sa)
   (M1 and M0 in the dealer's shares).  An operand used as it is (shift 0) is opened as
   in a Beaver product: c = a - M0 with M0 uniform, a = c + M0 (P = c, M1 = 0).  So
       a' b' = P Q + P (t N1 + N0) + Q (s M1 + M0) + s t M1 N1 + s M1 N0 + t M0 N1 + M0 N0,
   linear in the shares once the dealer has also dealt the products M1 N1, M1 N0, M0 N1,
   M0 N0 (a square: M1^2, M1 M0, M0^2, with s^2 = 1).  What is opened is c per operand:
   a + 2^62 + r with r uniform in Z_2^64, or a - M0 with M0 uniform: uniform, nothing
   leaks; the dealer learns nothing it did not make.  Exact range as ss_trunc: |a| <
   2^62 (checked by the simulator, as ss_trunc does, together with the result's range).
   With local truncation (two parties, no dealer pairs) the operands are truncated
   locally and multiplied: one round too. */

typedef struct TtOp { const SsTensor *t; int s; } TtOp;

/* Words of party i's material for operand o: [R | M1 | M0] (truncated) or [M0]. */
static size_t op_words(const TtOp *o) { return o->s ? 3 : 1; }

static SsTensor *mul_tt(SsCtx *ctx, const SsTensor *a, int sa, const SsTensor *b, int sb)
{
    const SsScheme *sc = &a->sc;
    int N = sc->n, sq = b == NULL;
    if (!sq && (ss__same_scheme(ctx, a, b) || a->size != b->size))
        return ss__fail(ctx, "mul_tt: operands of %zu and %zu values", a->size, b ? b->size : 0), NULL;
    SsTrunc mode = sc->trunc;
    if (mode == SS_TRUNC_AUTO) mode = sc->dealer == SS_NODEALER ? SS_TRUNC_LOCAL : SS_TRUNC_PAIR;
    if (mode == SS_TRUNC_LOCAL || sc->dealer == SS_NODEALER) {   /* free truncations */
        SsTensor *x = ss_copy(a), *y = sq ? NULL : ss_copy(b), *z = NULL;
        if (ss_trunc(ctx, x, sa) == 0 && (sq || ss_trunc(ctx, y, sb) == 0))
            z = ss_mul_raw(ctx, x, sq ? x : y);
        ss_free(x); ss_free(y);
        return z;
    }
    if ((sa && ss__guard_range(ctx, a)) || (!sq && sb && ss__guard_range(ctx, b))) return NULL;
    TtOp op[2] = { { a, sa }, { sq ? a : b, sq ? sa : sb } };
    int nop = sq ? 1 : 2;
    size_t len = a->size, h1a = sa > 0, h1b = op[1].s > 0;
    size_t ncross = sq ? 1 + 2 * h1a : 1 + h1a + h1b + (h1a && h1b);
    size_t K = len * (op_words(&op[0]) + (sq ? 0 : op_words(&op[1])) + ncross);
    /* offline, the dealer's step, streamed: per operand R, M1, M0 (or M0), then the
    ** cross products */
    double t0 = ss__now();
    char what[96];
    snprintf(what, sizeof what, "truncation pairs and product masks for %zu values", len);
    SsOut out[SS_MAXP];
    const char *old;
    ss__deal_begin(ctx, sc, out, K, what, &old);
    int real = !ss__standin(ctx, sc->dealer);
    uint64_t *m1[2], *m0[2], *tmp = ss__words(len);
    for (int o = 0; o < nop; o++) {
        int s = op[o].s;
        m1[o] = ss__words(len); m0[o] = ss__words(len);
        if (s) {
            if (real) ss__rnd(ctx, tmp, len);
            for (size_t e = 0; e < len && real; e++) {
                m1[o][e] = (tmp[e] >> 63) << (63 - s);
                m0[o][e] = (uint64_t)0 - ((tmp[e] & (((uint64_t)1 << 63) - 1)) >> s);
            }
            ss__deal_split(ctx, sc, out, tmp, len, 0);
            ss__deal_split(ctx, sc, out, m1[o], len, 0);
        } else if (real) ss__rnd(ctx, m0[o], len);
        ss__deal_split(ctx, sc, out, m0[o], len, 0);
    }
    if (sq) { m1[1] = m1[0]; m0[1] = m0[0]; }
    /* cross products, in the order the parties read them */
    const uint64_t *const pairs[4][2] = { { m1[0], m1[1] }, { m1[0], m0[1] }, { m0[0], m1[1] },
                                          { m0[0], m0[1] } };
    int use[4] = { h1a && h1b, h1a, h1b, 1 };
    if (sq) use[2] = 0;                                 /* M0 M1 = M1 M0 */
    for (int q = 0; q < 4; q++) {
        if (!use[q]) continue;
        for (size_t e = 0; e < len && real; e++) tmp[e] = pairs[q][0][e] * pairs[q][1][e];
        ss__deal_split(ctx, sc, out, tmp, len, 0);
    }
    for (int o = 0; o < nop; o++) { ss__wipe_free(m1[o], len); ss__wipe_free(m0[o], len); }
    ss__wipe_free(tmp, len);
    uint64_t *mat[SS_MAXP];
    int rc = ss__deal_end(ctx, sc, out, K, mat, old);
    ctx->offline_s += ss__now() - t0;
    /* round 1, each party i: posts its share of every operand's c */
    uint64_t *c[SS_MAXP];
    size_t kc = len * (size_t)nop;
    for (int i = 0; i < N; i++) {
        c[i] = ss__words_open(kc);
        const uint64_t *mi = mat[i];
        for (int o = 0; o < nop; o++) {
            const uint64_t *x = op[o].t->s[i];
            uint64_t *ci = c[i] + o * len;
            if (op[o].s) {
                uint64_t off = i == 0 ? (uint64_t)1 << 62 : 0;
                for (size_t e = 0; e < len; e++) ci[e] = x[e] + mi[e] + off;
            } else for (size_t e = 0; e < len; e++) ci[e] = x[e] - mi[e];
            mi += op_words(&op[o]) * len;
        }
    }
    snprintf(what, sizeof what, sq ? "a + r of %zu truncated squares" : "a + r, b + r of %zu "
             "truncated products", len);
    if (rc == 0) rc = ss__exchange(ctx, sc, 0, c, kc, 0, SS_ADD, c, what);
    SsTensor *z = rc ? NULL : ss_new(sc, a->ndim, a->shape, a->frac - sa + op[1].t->frac - op[1].s);
    for (int i = 0; i < N && z; i++) {
        if (ss__standin(ctx, sc->party[i])) continue;
        /* party i's words: per operand [R | M1 | M0] or [M0], then the cross products */
        const uint64_t *M1[2] = { NULL, NULL }, *M0[2], *X[4] = { NULL, NULL, NULL, NULL };
        const uint64_t *mi = mat[i];
        for (int o = 0; o < nop; o++) {
            if (op[o].s) { M1[o] = mi + len; M0[o] = mi + 2 * len; }
            else M0[o] = mi;
            mi += op_words(&op[o]) * len;
        }
        if (sq) { M1[1] = M1[0]; M0[1] = M0[0]; }
        for (int q = 0; q < 4; q++) if (use[q]) { X[q] = mi; mi += len; }
        for (size_t e = 0; e < len; e++) {
            uint64_t P[2], S[2];
            for (int o = 0; o < 2; o++) {
                int s = op[o].s;
                uint64_t ce = c[i][(sq ? 0 : o) * len + e];
                if (s) {
                    uint64_t cm = ce >> 63, cl = ce & (((uint64_t)1 << 63) - 1);
                    P[o] = (cl >> s) - (((uint64_t)1 << 62) >> s) + (cm << (63 - s));
                    S[o] = 1 - 2 * cm;
                } else { P[o] = ce; S[o] = 1; }
            }
            uint64_t ma = M0[0][e] + (M1[0] ? S[0] * M1[0][e] : 0);   /* a' - P */
            uint64_t mb = M0[1][e] + (M1[1] ? S[1] * M1[1][e] : 0);
            uint64_t v = P[0] * mb + P[1] * ma + X[3][e] + (i == 0 ? P[0] * P[1] : 0);
            if (X[0]) v += S[0] * S[1] * X[0][e];
            if (sq) { if (X[1]) v += 2 * S[0] * X[1][e]; }
            else {
                if (X[1]) v += S[0] * X[1][e];
                if (X[2]) v += S[1] * X[2][e];
            }
            z->s[i][e] = v;
        }
    }
    for (int i = 0; i < N; i++) { ss__wipe_free(mat[i], K); ss__free_open(c[i], kc); }
    if (z && ss__guard_range(ctx, z)) { ss_free(z); return NULL; }
    return z;
}

SsTensor *ss_mul_trunc(SsCtx *ctx, const SsTensor *a, int sa, const SsTensor *b, int sb)
{
    if (additive_whole(ctx, a, "a truncated product") ||
        (b && additive_whole(ctx, b, "a truncated product"))) return NULL;
    if (sa < 0 || sb < 0 || sa > 62 || sb > 62 || sa > a->frac || (b && sb > b->frac))
        return ss__fail(ctx, "cannot truncate by %d and %d bits", sa, sb), NULL;
    return mul_tt(ctx, a, sa, b, sb);
}

/* Adds the public constant c (encoded at t's frac) in place: party[0] holds the
** encoding of a public value. */
static void add_const(SsTensor *t, double c)
{
    int64_t v = (int64_t)llround(ldexp(c, t->frac));
    for (size_t e = 0; e < t->size; e++) t->s[0][e] += (uint64_t)v;
}

/* exp(a) with the last square left untruncated (2F fractional bits): base w = 1 + a/2^d
** (a's encoding read with d more fractional bits: exact) at F bits, clamped at 0 (a ReLU:
** a comparison and one round), squared d times, each square with its operand's
** truncation in the same round (mul_tt). */
static SsTensor *exp_raw(SsCtx *ctx, const SsTensor *a, int d, int F)
{
    SsTensor *w = ss_copy(a);
    w->frac += d;                                   /* a / 2^d, exactly */
    if (to_frac(ctx, w, F)) { ss_free(w); return NULL; }
    add_const(w, 1.0);
    SsTensor *y = ss_relu(ctx, w, NULL);
    ss_free(w);
    for (int j = 0; j < d && y; j++) {
        SsTensor *sq = mul_tt(ctx, y, y->frac - F, NULL, 0);
        ss_free(y);
        y = sq;
    }
    return y;
}

SsTensor *ss_exp(SsCtx *ctx, const SsTensor *a, int iters)
{
    if (additive_whole(ctx, a, "exp")) return NULL;
    if (iters < 1 || iters > 16) return ss__fail(ctx, "exp: %d squarings (1 to 16)", iters), NULL;
    SsTensor *y = exp_raw(ctx, a, iters, work_frac(&a->sc, iters));
    if (y && to_frac(ctx, y, a->sc.frac_bits)) { ss_free(y); y = NULL; }
    return y;
}

/* The linear start y0 = u (L + H - s) of the iteration for 1/s, fitted on the bounds
** widened to L = 0.9 lo, H = 1.05 hi (a row sum of rounded exps may stray a little past
** k): u makes s * y0 equioscillate around 1 (1 - e at L and H, 1 + e at the midpoint,
** e = 1 - u L H), and the error squares each iteration (e <- e^2); returns how many
** bring it below 2^-(F - 2).  *c = u (L + H). */
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

/* One tensor of x's values followed by y's (the same frac), and the way back. */
static SsTensor *cat2(const SsTensor *x, const SsTensor *y)
{
    int n = (int)(x->size + y->size);
    SsTensor *z = ss_new(&x->sc, 1, &n, x->frac);
    for (int i = 0; i < x->sc.n; i++) {
        memcpy(z->s[i], x->s[i], x->size * 8);
        memcpy(z->s[i] + x->size, y->s[i], y->size * 8);
    }
    return z;
}

static SsTensor *part_of(const SsTensor *z, size_t off, int ndim, const int *shape)
{
    SsTensor *t = ss_new(&z->sc, ndim, shape, z->frac);
    for (int i = 0; i < z->sc.n; i++) memcpy(t->s[i], z->s[i] + off, t->size * 8);
    return t;
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

/* 1 / s', left at 2F fractional bits, for s in [lo, hi] (public bounds, hi / lo <= 4096)
** and s' = s / 2^m, m = ceil(log2 1.05 hi) (s's encoding read with m more fractional
** bits: exact), so that s' <= 1; *m_out = m, and 1 / s = (1 / s') / 2^m.  Goldschmidt's
** iteration: from the linear start y0 (nr_plan) and e0 = 1 - s' y0, y <- y (1 + e),
** e <- e^2, as many times as nr_plan counts: y = (1 - e0^(2^n)) / s'.  The two products
** of a step are independent, so each step is one round (mul_tt, the truncations folded
** in); Newton's y <- y (2 - s y) would take two.  Rounding is not corrected from step
** to step as in Newton's iteration: each adds at most about 2^-F relative.  Rounds: one
** (s' to F bits), one (s' y0), one a step. */
static SsTensor *gold_recip(SsCtx *ctx, const SsTensor *s0, double lo, double hi, int F,
                            int *m_out)
{
    int m = (int)ceil(log2(1.05 * hi)), R = (int)s0->size;
    double u, c;
    int iters = nr_plan(ldexp(lo, -m), ldexp(hi, -m), F, &u, &c);
    *m_out = m;
    SsTensor *s = ss_copy(s0);
    s->frac += m;
    if (s->frac < 0) {
        ss__fail(ctx, "reciprocal: values too large for the encoding");
        ss_free(s);
        return NULL;
    }
    if (to_frac(ctx, s, F)) { ss_free(s); return NULL; }
    /* y0 = c - u s', at 2F bits: a product by a public integer, exact */
    SsTensor *y = ss_scale_int(ctx, s, -(int64_t)llround(ldexp(u, F))), *e = NULL;
    if (!y) goto out;
    y->frac = 2 * F;
    add_const(y, c);
    e = mul_tt(ctx, s, 0, y, F);                        /* s' y0, y0 truncated with it */
    if (!e) { ss_free(y); y = NULL; goto out; }
    for (int i = 0; i < e->sc.n; i++)                   /* e0 = 1 - s' y0, locally */
        for (int r = 0; r < R; r++) e->s[i][r] = (uint64_t)0 - e->s[i][r];
    add_const(e, 1.0);
    for (int it = 0; it < iters && y; it++) {
        int last = it == iters - 1;
        SsTensor *e1 = ss_copy(e);
        add_const(e1, 1.0);
        /* [y ; e] * [1 + e ; e], or y (1 + e) alone at the last step */
        SsTensor *A = last ? ss_copy(y) : cat2(y, e), *B = last ? ss_copy(e1) : cat2(e1, e);
        SsTensor *z = mul_tt(ctx, A, A->frac - F, B, B->frac - F);
        ss_free(A); ss_free(B); ss_free(e1);
        SsTensor *ny = z ? part_of(z, 0, y->ndim, y->shape) : NULL;
        SsTensor *ne = z && !last ? part_of(z, y->size, 1, &R) : NULL;
        ss_free(z); ss_free(y); ss_free(e);
        y = ny; e = ne;
    }
out:
    ss_free(s); ss_free(e);
    return y;
}

SsTensor *ss_reciprocal(SsCtx *ctx, const SsTensor *a, double lo, double hi)
{
    if (additive_whole(ctx, a, "reciprocal")) return NULL;
    if (!(lo > 0) || !(hi > lo) || hi > 4096 * lo || hi > 1e9 || lo < 1e-6)
        return ss__fail(ctx, "reciprocal: bounds [%g, %g] (0 < lo < hi <= 4096 lo, lo >= 1e-6, "
                             "hi <= 1e9)", lo, hi), NULL;
    int m;
    SsTensor *r = gold_recip(ctx, a, lo, hi, work_frac(&a->sc, 8), &m);
    if (!r) return NULL;
    r->frac += m;                                   /* 1/s = (1/s') / 2^m */
    if (r->frac - a->sc.frac_bits > 62) {
        ss_free(r);
        return ss__fail(ctx, "reciprocal: values too small for the encoding"), NULL;
    }
    if (to_frac(ctx, r, a->sc.frac_bits)) { ss_free(r); return NULL; }
    return r;
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
    int F = work_frac(&a->sc, EXP_ITERS), m;
    /* an untruncated a (a product's output) is truncated in the max's selecting round */
    SsTensor *at = NULL, *mx = ss__max_trunc(ctx, a, NULL, SS_MAX_AUTO, a->frac > f ? a->frac - f : 0, &at);
    SsTensor *mw = NULL, *z = NULL, *e = NULL, *s = NULL, *r = NULL, *rw = NULL, *p = NULL;
    if (!mx) goto out;
    mw = widen(mx, at, k);
    z = ss_sub(ctx, at, mw);                        /* <= 0, the maximum at 0 */
    if (!z) goto out;
    e = exp_raw(ctx, z, EXP_ITERS, F);              /* in [0, 1], one of them about 1 */
    if (!e) goto out;
    s = row_sums(e, k);                             /* in [1, k] */
    r = gold_recip(ctx, s, 1, k, F, &m);            /* 1 / s', and 1 / s = that / 2^m */
    if (!r) goto out;
    rw = widen(r, a, k);
    p = mul_tt(ctx, e, e->frac - F, rw, rw->frac - F);  /* e / s', both truncated with it */
    if (p) {
        p->frac += m;
        if (to_frac(ctx, p, f)) { ss_free(p); p = NULL; }
    }
out:
    ss_free(at); ss_free(mx); ss_free(mw); ss_free(z); ss_free(e); ss_free(s); ss_free(r);
    ss_free(rw);
    return p;
}
