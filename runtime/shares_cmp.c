/*
** shares_cmp.c — the non-linear functions on additive shares: polynomials by Horner's rule,
** and a secure comparison (the sign bit) giving ReLU, max and argmax (by all pairs of a row
** in one comparison layer, or by a tournament).  The comparison
** follows CrypTen's route: each arithmetic share x_i is already a binary (XOR) sharing
** of itself (party i holds x_i, everyone else 0); a carry-save adder brings n such words
** down to two with one AND round per layer; a carry tree over the 64 bit positions (six
** levels, as in a Kogge–Stone adder, two ANDs each batched in one round a level; only
** the top carry is needed, so the bits that survive a level are packed and the ANDs
** shrink by half every level) yields the carry into bit 63 and so the sign of x = sum x_i; a daBit from the dealer turns that
** bit back into arithmetic shares.  Every AND uses a dealer AND triple (a, b, a & b) on
** 64-bit words.  A bit's conversion and its product with a value share one round
** (bit_select).  Schemes, products and truncation are shares.c's.
**
** Security notes: as shares.h.  Openings of x ^ a, y ^ b (AND) and bit ^ r (daBit) are
** uniform.  The dealer is needed: with dealer = none comparisons are refused.
*/
#include "shares.h"
#include "mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXW 64                 /* most words in flight in one adder layer (n <= 16) */

static SsBits *bits_new(const SsScheme *sc, size_t size)
{
    SsBits *b = xcalloc(1, sizeof *b);
    b->sc = *sc; b->size = size;
    for (int i = 0; i < sc->n; i++) b->w[i] = ss__words(size);
    return b;
}

SsBits *ss_bits_new(const SsScheme *sc, size_t size) { return bits_new(sc, size); }

void ss_bits_free(SsBits *b)
{
    if (!b) return;
    for (int i = 0; i < b->sc.n; i++) ss__wipe_free(b->w[i], b->size);
    free(b);
}

int ss_bits_open(SsCtx *ctx, const SsBits *b, uint64_t *out)
{
    int N = b->sc.n, rc;
    uint64_t *mine[SS_MAXP] = { NULL };
    for (int i = 0; i < N; i++) {
        mine[i] = ss__words(b->size);
        memcpy(mine[i], b->w[i], b->size * sizeof *out);
    }
    rc = ss__exchange(ctx, &b->sc, 0, mine, b->size, 0, SS_XOR, mine, "binary opening");
    if (rc == 0) memcpy(out, mine[0], b->size * sizeof *out);    /* every party has it */
    for (int i = 0; i < N; i++) ss__wipe_free(mine[i], b->size);
    return rc;
}

/* Party i's share of [x ^ a | y ^ b], words e0..e0+n. */
typedef struct AndArg { uint64_t **x, **y, **mat; size_t len; } AndArg;

static void and_fill(void *arg, int i, size_t e0, size_t n, uint64_t *dst)
{
    const AndArg *p = arg;
    size_t len = p->len, q = 0;
    const uint64_t *x = p->x[i], *ab = p->mat[i];      /* [a_i | b_i], by w */
    for (; q < n && e0 + q < len; q++) dst[q] = x[e0 + q] ^ ab[e0 + q];
    if (q == n) return;
    const uint64_t *y = p->y[i] + (e0 + q - len), *b = ab + e0;
    for (size_t r = 0; q < n; q++, r++) dst[q] = y[r] ^ b[q];
}

/* z = x & y on len words per party (x, y, z: per-party arrays), one AND triple a word,
** one round.  what names the step in the transcript. */
static int and_words(SsCtx *ctx, const SsScheme *sc, size_t len, uint64_t **x, uint64_t **y,
                     uint64_t **z, const char *what)
{
    int N = sc->n, rc;
    if (sc->dealer == SS_NODEALER)
        return ss__fail(ctx, "comparisons need AND triples from a dealer; with dealer = none "
                             "only +, -, * and @ are available");
    /* offline, the dealer's step, streamed: AND triples (a, b, c = a & b) in XOR shares;
    ** party i receives mat[i] = [a_i | b_i | c_i] */
    uint64_t *mat[SS_MAXP];
    double t0 = ss__now();
    char buf[96];
    snprintf(buf, sizeof buf, "AND triples for %zu words (%s)", len, what);
    SsOut out[SS_MAXP];
    const char *old;
    ss__deal_begin(ctx, sc, out, 3 * len, buf, &old);
    uint64_t *sa = ss__words(len), *sb = ss__words(len), *sc_ = ss__words(len);
    for (int i = 0; i < N; i++) {
        ss__deal_random(ctx, &out[i], sa, len, 1);
        ss__deal_random(ctx, &out[i], sb, len, 1);
        if (i > 0) ss__deal_random(ctx, &out[i], sc_, len, 1);
    }
    if (!ss__standin(ctx, sc->dealer))
        for (size_t w = 0; w < len; w++) sc_[w] ^= sa[w] & sb[w];      /* c_0 */
    ss__out_words(&out[0], sc_, len);
    ss__wipe_free(sa, len); ss__wipe_free(sb, len); ss__wipe_free(sc_, len);
    rc = ss__deal_end(ctx, sc, out, 3 * len, mat, old);
    ctx->offline_s += ss__now() - t0;
    /* round 1, each party i: posts its share of e = x ^ a, f = y ^ b */
    uint64_t *ef[SS_MAXP];
    for (int i = 0; i < N; i++) ef[i] = ss__words_open(2 * len);
    snprintf(buf, sizeof buf, "x^a, y^b of %zu ANDs (%s)", len, what);
    AndArg aa = { x, y, mat, len };
    if (rc == 0) rc = ss__exchange_fill(ctx, sc, 2 * len, SS_XOR, ef, and_fill, &aa, buf);
    /* each party i, from its opening and its triple */
    for (int i = 0; i < N && rc == 0; i++) {
        if (ss__standin(ctx, sc->party[i])) continue;
        const uint64_t *e = ef[i], *f = ef[i] + len, *a = mat[i], *b = mat[i] + len, *c = mat[i] + 2 * len;
        for (size_t w = 0; w < len; w++)
            z[i][w] = c[w] ^ (e[w] & b[w]) ^ (f[w] & a[w]) ^ (i == 0 ? e[w] & f[w] : 0);
    }
    for (int i = 0; i < N; i++) { ss__wipe_free(mat[i], 3 * len); ss__free_open(ef[i], 2 * len); }
    return rc;
}

SsBits *ss_and(SsCtx *ctx, const SsBits *x, const SsBits *y)
{
    if (x->size != y->size) return ss__fail(ctx, "AND of %zu and %zu words", x->size, y->size), NULL;
    SsBits *z = bits_new(&x->sc, x->size);
    if (and_words(ctx, &x->sc, x->size, (uint64_t **)x->w, (uint64_t **)y->w, z->w, "AND")) {
        ss_bits_free(z);
        return NULL;
    }
    return z;
}

/* The even (odd = 0) or odd (odd = 1) bits of x, in order, in the low 32 bits. */
static uint64_t compress(uint64_t x, int odd)
{
    x = (x >> odd) & 0x5555555555555555ull;
    x = (x | (x >> 1)) & 0x3333333333333333ull;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0Full;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFull;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFull;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFull;
    return x;
}

/* Group generate over all 64 bit positions of each of len elements (G, P one word
** each), by a tree: level j combines neighbouring groups (hi, lo) into
** G = G_hi ^ (P_hi & G_lo), P = P_hi & P_lo.  Bit manipulations are linear on XOR
** shares (each party applies them to its own share); the ANDs are not.  Every level
** halves the bits per element, so the survivors of two words are packed into one and
** the ANDs of the six levels cost about 2 words per element in all, not 12 as a
** Kogge–Stone over whole words would.  Returns one bit per element, packed 64 to a
** word (element e: bit e % 64 of word e / 64), or NULL with ctx->err. */
static SsBits *carry_tree(SsCtx *ctx, const SsScheme *sc, const SsBits *G0, const SsBits *P0,
                          size_t len)
{
    int N = sc->n;
    size_t nw = len;                               /* words at this level */
    SsBits *G = bits_new(sc, nw), *P = bits_new(sc, nw);
    for (int i = 0; i < N; i++) {
        memcpy(G->w[i], G0->w[i], len * 8);
        memcpy(P->w[i], P0->w[i], len * 8);
    }
    for (int j = 0; j < 6; j++) {
        int last = j == 5;
        size_t ow = (nw + 1) / 2;                  /* two words' halves make one */
        /* operands: x = [P_hi ; P_hi], y = [G_lo ; P_lo] (the P half not at the end) */
        size_t L = last ? ow : 2 * ow;
        SsBits *x = bits_new(sc, L), *y = bits_new(sc, L), *z = bits_new(sc, L), *gh = bits_new(sc, ow);
        for (int i = 0; i < N; i++)
            for (size_t w = 0; w < nw; w++) {
                int sh = (w & 1) ? 32 : 0;
                size_t o = w / 2;
                x->w[i][o] |= compress(P->w[i][w], 1) << sh;
                y->w[i][o] |= compress(G->w[i][w], 0) << sh;
                gh->w[i][o] |= compress(G->w[i][w], 1) << sh;
                if (!last) {
                    x->w[i][ow + o] |= compress(P->w[i][w], 1) << sh;
                    y->w[i][ow + o] |= compress(P->w[i][w], 0) << sh;
                }
            }
        int rc = and_words(ctx, sc, L, x->w, y->w, z->w, "carry circuit");
        ss_bits_free(G); ss_bits_free(P);
        G = bits_new(sc, ow); P = bits_new(sc, ow);
        for (int i = 0; i < N && rc == 0; i++)
            for (size_t o = 0; o < ow; o++) {
                G->w[i][o] = gh->w[i][o] ^ z->w[i][o];
                if (!last) P->w[i][o] = z->w[i][ow + o];
            }
        ss_bits_free(x); ss_bits_free(y); ss_bits_free(z); ss_bits_free(gh);
        if (rc) { ss_bits_free(G); ss_bits_free(P); return NULL; }
        nw = ow;
    }
    ss_bits_free(P);
    return G;
}

/* The sign bits of a (additive shares) as binary shares in bit 63 of each word. */
static SsBits *sign_bits(SsCtx *ctx, const SsTensor *a)
{
    const SsScheme *sc = &a->sc;
    int N = sc->n;
    size_t len = a->size;
    /* the n summands, each a binary sharing held by one party */
    SsBits *v[MAXW] = { NULL };
    int nv = 0;
    for (int i = 0; i < N; i++) {
        v[nv] = bits_new(sc, len);
        memcpy(v[nv]->w[i], a->s[i], len * sizeof(uint64_t));
        nv++;
    }
    /* carry-save adder layers: three words become two, one AND round a layer */
    while (nv > 2) {
        int groups = nv / 3;
        size_t L = (size_t)groups * len;
        SsBits *x = bits_new(sc, L), *y = bits_new(sc, L), *z = bits_new(sc, L);
        for (int g = 0; g < groups; g++)
            for (int i = 0; i < N; i++)
                for (size_t w = 0; w < len; w++) {
                    uint64_t p = v[3 * g]->w[i][w], q = v[3 * g + 1]->w[i][w], r = v[3 * g + 2]->w[i][w];
                    x->w[i][g * len + w] = p ^ r;
                    y->w[i][g * len + w] = q ^ r;
                }
        if (and_words(ctx, sc, L, x->w, y->w, z->w, "carry-save adder")) {
            ss_bits_free(x); ss_bits_free(y); ss_bits_free(z);
            for (int k = 0; k < nv; k++) ss_bits_free(v[k]);
            return NULL;
        }
        SsBits *nvv[MAXW];
        int nn = 0;
        for (int g = 0; g < groups; g++) {
            SsBits *s = bits_new(sc, len), *cy = bits_new(sc, len);
            for (int i = 0; i < N; i++)
                for (size_t w = 0; w < len; w++) {
                    uint64_t p = v[3 * g]->w[i][w], q = v[3 * g + 1]->w[i][w], r = v[3 * g + 2]->w[i][w];
                    s->w[i][w] = p ^ q ^ r;
                    cy->w[i][w] = (z->w[i][g * len + w] ^ r) << 1;   /* majority, shifted */
                }
            nvv[nn++] = s; nvv[nn++] = cy;
        }
        for (int k = 3 * groups; k < nv; k++) nvv[nn++] = v[k];
        for (int k = 0; k < 3 * groups; k++) ss_bits_free(v[k]);
        ss_bits_free(x); ss_bits_free(y); ss_bits_free(z);
        memcpy(v, nvv, (size_t)nn * sizeof *v);
        nv = nn;
    }
    /* generate and propagate bits of u + v: G = u & v (one AND round), P = u ^ v */
    SsBits *G = bits_new(sc, len), *P = bits_new(sc, len), *P0 = bits_new(sc, len);
    for (int i = 0; i < N; i++)
        for (size_t w = 0; w < len; w++) P0->w[i][w] = P->w[i][w] = v[0]->w[i][w] ^ v[1]->w[i][w];
    int rc = and_words(ctx, sc, len, v[0]->w, v[1]->w, G->w, "generate bits");
    ss_bits_free(v[0]); ss_bits_free(v[1]);
    /* The carry into bit 63 is the group generate of bits 62..0: shift G and P up by one
    ** and reduce each word to its single group (G, P) over all 64 positions. */
    for (int i = 0; i < N; i++)
        for (size_t w = 0; w < len; w++) { G->w[i][w] <<= 1; P->w[i][w] <<= 1; }
    SsBits *carry = rc ? NULL : carry_tree(ctx, sc, G, P, len);
    ss_bits_free(G); ss_bits_free(P);
    if (!carry) { ss_bits_free(P0); return NULL; }
    /* bit 63 of the sum = P0's bit 63 ^ the carry into it */
    for (int i = 0; i < N; i++)
        for (size_t e = 0; e < len; e++)
            P0->w[i][e] ^= (carry->w[i][e >> 6] >> (e & 63) & 1) << 63;
    ss_bits_free(carry);
    return P0;
}

/* Arithmetic shares (frac 0, shape ndim, shape) of the bits in bit 63 of b's words into
** *bit and, when x is not NULL, of bit * x' (x's frac minus xs; x->size <= b->size: the
** first x->size bits) into *prod, in ONE round, where x' is x, or x truncated by xs > 0
** bits as ss_trunc does (then *xt, when not NULL, gets x' itself).  Offline, the dealer:
** a daBit r (arithmetic shares ra, binary shares rb) an element, and for x a Beaver pair
** (A uniform, r A), or for a truncated x a truncation pair (R, M1, M0 as ss_mul_trunc's,
** shares_softmax.c) and r M1, r M0.  Online, one frame each way: c = bit ^ r (one bit an
** element, uniform) and F = x - A, or x + 2^62 + R (uniform).  Then bit = c + (1 - 2c) r
** and x' = P + s M1 + M0 (P = F, s = 1, M1 = 0, M0 = A for a plain x), so bit * x' =
** c x' + (1 - 2c)(r P + s r M1 + r M0): linear in the shares for the public c, P, s. */
static int bit_select(SsCtx *ctx, const SsBits *b, const SsTensor *x, int xs, int ndim,
                      const int *shape, SsTensor **bit, SsTensor **prod, SsTensor **xt)
{
    const SsScheme *sc = &b->sc;
    int N = sc->n;
    size_t len = b->size, k = x ? x->size : 0, q = xs ? 5 : 2, K = len + q * k;
    *bit = NULL;
    if (prod) *prod = NULL;
    if (xt) *xt = NULL;
    if (xs && ss__guard_range(ctx, x)) return -1;
    /* offline, the dealer's step: part[i] = [ra_i | A_i | rA_i] or [ra_i | R_i | M1_i |
    ** M0_i | rM1_i | rM0_i], then rb_i as bits */
    double t0 = ss__now();
    uint64_t *r = ss__words(len), *part[SS_MAXP], *mat[SS_MAXP], *ra[SS_MAXP], *pp[SS_MAXP];
    uint64_t *v = ss__words(q * k);                   /* the material's values, by block */
    ss__as(ctx, sc->dealer);
    ss__rnd(ctx, r, len);
    for (size_t e = 0; e < len; e++) r[e] &= 1;
    for (int i = 0; i < N; i++) {
        part[i] = ss__words(K + len); mat[i] = ss__words(K + len);
        ra[i] = part[i];
        if (i > 0) ss__rnd(ctx, part[i] + K, len);
    }
    for (size_t e = 0; e < len; e++) {
        uint64_t acc = r[e];
        for (int i = 1; i < N; i++) { part[i][K + e] &= 1; acc ^= part[i][K + e]; }
        part[0][K + e] = acc;
    }
    if (k && !xs) {                                   /* A, r A */
        ss__rnd(ctx, v, k);
        for (size_t e = 0; e < k; e++) v[k + e] = r[e] * v[e];
    } else if (k) {                                   /* R, M1, M0, r M1, r M0 */
        ss__rnd(ctx, v, k);
        for (size_t e = 0; e < k; e++) {
            v[k + e] = (v[e] >> 63) << (63 - xs);
            v[2 * k + e] = (uint64_t)0 - ((v[e] & (((uint64_t)1 << 63) - 1)) >> xs);
            v[3 * k + e] = r[e] * v[k + e];
            v[4 * k + e] = r[e] * v[2 * k + e];
        }
    }
    for (size_t blk = 0; blk < q && k; blk++) {
        for (int i = 0; i < N; i++) pp[i] = part[i] + len + blk * k;
        ss__split(ctx, sc, v + blk * k, k, pp);
    }
    ss__wipe_free(v, q * k);
    ss__split(ctx, sc, r, len, ra);
    ss__wipe_free(r, len);
    char buf[80];
    if (k) snprintf(buf, sizeof buf, "daBits and bit products for %zu values", len);
    else snprintf(buf, sizeof buf, "daBits for %zu values", len);
    int rc = ss__deal(ctx, sc, part, K, len, mat, buf);
    for (int i = 0; i < N; i++) ss__wipe_free(part[i], K + len);
    ctx->offline_s += ss__now() - t0;
    /* round 1, each party i: posts its share of F = x - A (or x + 2^62 + R) and of
    ** c = bit ^ r */
    uint64_t *c[SS_MAXP];
    for (int i = 0; i < N; i++) {
        c[i] = ss__words(k + len);
        const uint64_t *m = mat[i] + len;
        if (xs) for (size_t e = 0; e < k; e++) c[i][e] = x->s[i][e] + m[e] + (i == 0 ? (uint64_t)1 << 62 : 0);
        else for (size_t e = 0; e < k; e++) c[i][e] = x->s[i][e] - m[e];
        for (size_t e = 0; e < len; e++) c[i][k + e] = (b->w[i][e] >> 63) ^ mat[i][K + e];
    }
    if (k && xs) snprintf(buf, sizeof buf, "bit ^ r, x + r of %zu truncated bit products", len);
    else if (k) snprintf(buf, sizeof buf, "bit ^ r, x - A of %zu bit products", len);
    else snprintf(buf, sizeof buf, "bit ^ r of %zu comparisons", len);
    if (rc == 0) rc = ss__exchange(ctx, sc, 0, c, k, len, SS_ADD, c, buf);
    SsTensor *o = rc ? NULL : ss_new(sc, ndim, shape, 0);
    SsTensor *p = rc || !k ? NULL : ss_new(sc, x->ndim, x->shape, x->frac - xs);
    SsTensor *t = p && xt ? ss_new(sc, x->ndim, x->shape, x->frac - xs) : NULL;
    uint64_t half = ((uint64_t)1 << 63) - 1;
    for (int i = 0; i < N && o; i++) {          /* each party i, from its opening and mat */
        const uint64_t *F = c[i], *cb = c[i] + k, *rai = mat[i], *m = mat[i] + len;
        for (size_t e = 0; e < len; e++) {
            uint64_t ce = cb[e], s = 1 - 2 * ce;
            o->s[i][e] = s * rai[e] + (i == 0 ? ce : 0);
            if (!p || e >= k) continue;
            uint64_t P = F[e], sg = 1, xi, rx;             /* x'_i, (r x' - r P)_i */
            if (xs) {
                uint64_t cm = F[e] >> 63;
                P = ((F[e] & half) >> xs) - (((uint64_t)1 << 62) >> xs) + (cm << (63 - xs));
                sg = 1 - 2 * cm;
                xi = sg * m[k + e] + m[2 * k + e];
                rx = sg * m[3 * k + e] + m[4 * k + e];
            } else { xi = m[e]; rx = m[k + e]; }
            if (i == 0) xi += P;
            p->s[i][e] = ce * xi + s * (rai[e] * P + rx);
            if (t) t->s[i][e] = xi;
        }
    }
    for (int i = 0; i < N; i++) { ss__wipe_free(mat[i], K + len); ss__wipe_free(c[i], k + len); }
    if (rc) return -1;
    *bit = o;
    if (prod) *prod = p; else ss_free(p);
    if (xt) *xt = t; else ss_free(t);
    return 0;
}

/* Arithmetic shares (frac 0) of bit 63 of binary-shared words, with daBits. */
static SsTensor *bit_to_arith(SsCtx *ctx, const SsBits *b, const SsTensor *like)
{
    SsTensor *o = NULL;
    bit_select(ctx, b, NULL, 0, like->ndim, like->shape, &o, NULL, NULL);
    return o;
}

static int additive_whole(SsCtx *ctx, const SsTensor *a, const char *what)
{
    if (a->sc.kind != SS_ADDITIVE)
        return ss__fail(ctx, "%s needs additive shares (Shamir shares support +, -, * and @ "
                             "only)", what);
    for (int i = 0; i < a->sc.n; i++)
        if (!a->s[i]) return ss__fail(ctx, "%s needs every party's share", what);
    return 0;
}

SsTensor *ss_ltz(SsCtx *ctx, const SsTensor *a)
{
    if (additive_whole(ctx, a, "a comparison")) return NULL;
    SsBits *b = sign_bits(ctx, a);
    if (!b) return NULL;
    SsTensor *r = bit_to_arith(ctx, b, a);
    ss_bits_free(b);
    return r;
}

/* 1 - t for integer shares t (frac 0). */
static void one_minus(SsTensor *t)
{
    for (int i = 0; i < t->sc.n; i++)
        for (size_t e = 0; e < t->size; e++) t->s[i][e] = (i == 0 ? 1 : 0) - t->s[i][e];
}

SsTensor *ss_ge(SsCtx *ctx, const SsTensor *a, const SsTensor *b)
{
    SsTensor *d = ss_sub(ctx, a, b);
    if (!d) return NULL;
    SsTensor *r = ss_ltz(ctx, d);
    ss_free(d);
    if (r) one_minus(r);
    return r;
}

SsTensor *ss_relu(SsCtx *ctx, const SsTensor *a, SsTensor **drelu)
{
    return ss__relu_trunc(ctx, a, 0, drelu);
}

/* Whether sc truncates locally (two parties, no messages): then a truncation is free and
** is not folded into a selecting round. */
static int trunc_is_local(const SsScheme *sc)
{
    return sc->trunc == SS_TRUNC_LOCAL || (sc->trunc == SS_TRUNC_AUTO && sc->dealer == SS_NODEALER);
}

SsTensor *ss__relu_trunc(SsCtx *ctx, const SsTensor *a, int xs, SsTensor **drelu)
{
    if (xs < 0 || xs > 62 || xs > a->frac) return ss__fail(ctx, "cannot truncate by %d bits", xs), NULL;
    if (additive_whole(ctx, a, "a comparison")) return NULL;
    SsTensor *at = NULL;
    if (xs && trunc_is_local(&a->sc)) {                 /* free: truncate first */
        at = ss_copy(a);
        if (ss_trunc(ctx, at, xs)) { ss_free(at); return NULL; }
        a = at;
        xs = 0;
    }
    SsBits *b = sign_bits(ctx, a);
    SsTensor *pos = NULL, *r = NULL;
    int rc = -1;
    if (b) {
        for (size_t e = 0; e < b->size; e++) b->w[0][e] ^= (uint64_t)1 << 63;    /* [a >= 0] */
        rc = bit_select(ctx, b, a, xs, a->ndim, a->shape, &pos, &r, NULL);     /* one round */
    }
    ss_bits_free(b); ss_free(at);
    if (rc) return NULL;
    if (drelu) *drelu = pos; else ss_free(pos);
    return r;
}

/* Column j of an R × k tensor into column jj of an R × k2 one (share by share). */
static void copy_col(const SsTensor *src, int k, int j, SsTensor *dst, int k2, int jj, int R)
{
    for (int i = 0; i < src->sc.n; i++)
        for (int y = 0; y < R; y++) dst->s[i][(size_t)y * k2 + jj] = src->s[i][(size_t)y * k + j];
}

/* The tournament: ceil(log2 k) levels, each one comparison layer of pairs (ties: the
** earlier index) and one round that selects the winners' values and indices. */
static int max_tree(SsCtx *ctx, SsTensor *V, int R, int k, SsTensor **mx, SsTensor **ix)
{
    const SsScheme *sc = &V->sc;
    int rk[2] = { R, k };
    SsTensor *I = ss_new(sc, 2, rk, V->frac);              /* public indices, encoded */
    for (int y = 0; y < R; y++)
        for (int j = 0; j < k; j++) I->s[0][(size_t)y * k + j] = (uint64_t)j << V->frac;
    V = ss_copy(V);
    int cnt = k;
    while (cnt > 1) {
        int h = cnt / 2, rest = cnt - 2 * h, k2 = h + rest;
        int hs[2] = { R, h }, ds[2] = { 2, R * h }, ns[2] = { R, k2 };
        SsTensor *A = ss_new(sc, 2, hs, V->frac), *B = ss_new(sc, 2, hs, V->frac);
        SsTensor *IA = ss_new(sc, 2, hs, V->frac), *IB = ss_new(sc, 2, hs, V->frac);
        for (int j = 0; j < h; j++) {
            copy_col(V, cnt, 2 * j, A, h, j, R); copy_col(V, cnt, 2 * j + 1, B, h, j, R);
            copy_col(I, cnt, 2 * j, IA, h, j, R); copy_col(I, cnt, 2 * j + 1, IB, h, j, R);
        }
        size_t m = (size_t)R * h;
        SsTensor *D = ss_new(sc, 2, ds, V->frac);           /* [a - b ; ia - ib] */
        for (int i = 0; i < sc->n; i++)
            for (size_t e = 0; e < m; e++) {
                D->s[i][e] = A->s[i][e] - B->s[i][e];
                D->s[i][m + e] = IA->s[i][e] - IB->s[i][e];
            }
        /* [a >= b] in binary shares, twice (for both halves of D), then bit * D */
        SsTensor *ab = ss_sub(ctx, A, B), *bit = NULL, *P = NULL;
        SsBits *lt = ab ? sign_bits(ctx, ab) : NULL, *ge = NULL;
        ss_free(ab);
        if (lt) {
            ge = bits_new(sc, 2 * m);
            for (int i = 0; i < sc->n; i++)
                for (size_t e = 0; e < m; e++)
                    ge->w[i][e] = ge->w[i][m + e] = lt->w[i][e] ^ (i == 0 ? (uint64_t)1 << 63 : 0);
            if (bit_select(ctx, ge, D, 0, 2, ds, &bit, &P, NULL)) P = NULL;
        }
        SsTensor *NV = NULL, *NI = NULL;
        if (P) {                                            /* b + bit (a - b) */
            NV = ss_new(sc, 2, ns, V->frac); NI = ss_new(sc, 2, ns, V->frac);
            for (int i = 0; i < sc->n; i++)
                for (int y = 0; y < R; y++)
                    for (int j = 0; j < h; j++) {
                        size_t e = (size_t)y * h + j;
                        NV->s[i][(size_t)y * k2 + j] = B->s[i][e] + P->s[i][e];
                        NI->s[i][(size_t)y * k2 + j] = IB->s[i][e] + P->s[i][m + e];
                    }
            if (rest) { copy_col(V, cnt, cnt - 1, NV, k2, h, R); copy_col(I, cnt, cnt - 1, NI, k2, h, R); }
        }
        ss_free(A); ss_free(B); ss_free(IA); ss_free(IB); ss_bits_free(lt); ss_bits_free(ge);
        ss_free(bit); ss_free(D); ss_free(P); ss_free(V); ss_free(I);
        if (!NV) return -1;
        V = NV; I = NI; cnt = k2;
    }
    *mx = V; *ix = I;
    return 0;
}

/* The AND of each of n groups of g bits (bit 0 of words, group q at bits[i][q g ..]),
** by a tree of ceil(log2 g) AND rounds on packed words; the result goes to
** bits[i][0..n). */
static int and_groups(SsCtx *ctx, const SsScheme *sc, uint64_t **bits, size_t n, int g)
{
    int N = sc->n, rc = 0;
    while (g > 1 && rc == 0) {
        int h = g / 2, ng = g - h;                  /* h pairs; ceil(g / 2) survive */
        size_t L = n * (size_t)h, W = (L + 63) / 64;
        SsBits *x = bits_new(sc, W), *y = bits_new(sc, W), *z = bits_new(sc, W);
        for (int i = 0; i < N; i++)
            for (size_t q = 0; q < n; q++)
                for (int t = 0; t < h; t++) {
                    size_t o = q * h + t;
                    x->w[i][o >> 6] |= (bits[i][q * g + 2 * t] & 1) << (o & 63);
                    y->w[i][o >> 6] |= (bits[i][q * g + 2 * t + 1] & 1) << (o & 63);
                }
        rc = and_words(ctx, sc, W, x->w, y->w, z->w, "AND of comparison bits");
        for (int i = 0; i < N && rc == 0; i++)      /* in place: group q shrinks to ng */
            for (size_t q = 0; q < n; q++) {
                uint64_t odd = bits[i][q * g + g - 1];
                for (int t = 0; t < h; t++) {
                    size_t o = q * h + t;
                    bits[i][q * ng + t] = z->w[i][o >> 6] >> (o & 63) & 1;
                }
                if (g & 1) bits[i][q * ng + h] = odd;
            }
        ss_bits_free(x); ss_bits_free(y); ss_bits_free(z);
        g = ng;
    }
    return rc;
}

/* All k(k-1)/2 comparisons of a row in one comparison layer, then for each i the AND
** of "x_i beats x_j" over j != i (x_i >= x_j for j > i, x_i > x_j for j < i: ties go to
** the earlier index, so exactly one i of a row wins), then one round that turns the
** winners' bits into arithmetic shares and multiplies them by the values: max = sum_i
** bit_i x_i, argmax = sum_i bit_i i.  Rounds: a comparison's sign bits, ceil(log2(k-1))
** AND rounds, one. */
static int max_pairwise(SsCtx *ctx, const SsTensor *V, int xs, int R, int k, SsTensor **mx,
                        SsTensor **ix, SsTensor **xt)
{
    const SsScheme *sc = &V->sc;
    int N = sc->n, g = k - 1;
    size_t m = (size_t)k * g / 2, np = (size_t)R * m, ng = (size_t)R * k;
    int dn = (int)np;
    SsTensor *D = ss_new(sc, 1, &dn, V->frac);             /* x_i - x_j, i < j */
    for (int i = 0; i < N; i++)
        for (int y = 0; y < R; y++) {
            const uint64_t *v = V->s[i] + (size_t)y * k;
            uint64_t *d = D->s[i] + (size_t)y * m;
            for (int a = 0; a < k; a++)
                for (int b = a + 1; b < k; b++) *d++ = v[a] - v[b];
        }
    SsBits *lt = sign_bits(ctx, D);                         /* [x_i < x_j] */
    ss_free(D);
    if (!lt) return -1;
    /* group (y, a): bit 0 of "a beats b" for b != a, in order of b */
    uint64_t *w[SS_MAXP];
    for (int i = 0; i < N; i++) {
        w[i] = ss__words(ng * g);
        for (int y = 0; y < R; y++) {
            const uint64_t *l = lt->w[i] + (size_t)y * m;
            size_t p = 0;
            for (int a = 0; a < k; a++)
                for (int b = a + 1; b < k; b++, p++) {
                    uint64_t s = l[p] >> 63;
                    w[i][((size_t)y * k + a) * g + (b - 1)] = s ^ (i == 0);   /* a >= b */
                    w[i][((size_t)y * k + b) * g + a] = s;                      /* b > a */
                }
        }
    }
    ss_bits_free(lt);
    int rc = and_groups(ctx, sc, w, ng, g);
    SsBits *win = rc ? NULL : bits_new(sc, ng);
    for (int i = 0; i < N && win; i++)
        for (size_t q = 0; q < ng; q++) win->w[i][q] = w[i][q] << 63;
    for (int i = 0; i < N; i++) ss__wipe_free(w[i], ng * g);
    if (!win) return -1;
    int rk[2] = { R, k };
    SsTensor *bit = NULL, *P = NULL;
    rc = bit_select(ctx, win, V, xs, 2, rk, &bit, &P, xt);  /* bit_i, bit_i x_i */
    ss_bits_free(win);
    if (rc) return -1;
    int f = V->frac - xs;                                   /* the values' frac from here */
    *mx = ss_new(sc, 1, &R, f);
    *ix = ss_new(sc, 1, &R, f);
    for (int i = 0; i < N; i++)
        for (int y = 0; y < R; y++) {
            uint64_t s = 0, t = 0;
            for (int a = 0; a < k; a++) {
                s += P->s[i][(size_t)y * k + a];
                t += bit->s[i][(size_t)y * k + a] * ((uint64_t)a << f);
            }
            (*mx)->s[i][y] = s; (*ix)->s[i][y] = t;
        }
    ss_free(bit); ss_free(P);
    return 0;
}

SsTensor *ss__max_trunc(SsCtx *ctx, const SsTensor *a, SsTensor **argmax, int method, int xs,
                        SsTensor **at)
{
    if (argmax) *argmax = NULL;
    if (at) *at = NULL;
    if (additive_whole(ctx, a, "max")) return NULL;
    if (a->ndim < 1 || a->size == 0) return ss__fail(ctx, "max of an empty tensor"), NULL;
    int k = a->shape[a->ndim - 1], R = (int)(a->size / (size_t)k);
    int osh[TN_MAXDIM], ond = a->ndim - 1;
    memcpy(osh, a->shape, sizeof osh);
    int rk[2] = { R, k };
    if (method == SS_MAX_AUTO) method = k <= SS_MAX_PAIRWISE_K ? SS_MAX_PAIRWISE : SS_MAX_TREE;
    if (xs < 0 || xs > 62 || xs > a->frac) return ss__fail(ctx, "cannot truncate by %d bits", xs), NULL;
    SsTensor *V = ss_reshape(ctx, a, 2, rk), *mx = NULL, *ix = NULL, *Vt = NULL;
    int rc = 0;
    if (xs && (k == 1 || method != SS_MAX_PAIRWISE || trunc_is_local(&a->sc))) {
        /* a truncation first: local and free, or one round (the tournament, k = 1) */
        rc = ss_trunc(ctx, V, xs);
        xs = 0;
    }
    if (rc) ;
    else if (k == 1) {                                      /* the value itself, index 0 */
        mx = ss_copy(V);
        ix = ss_new(&a->sc, 2, rk, V->frac);
    } else if (method == SS_MAX_PAIRWISE) rc = max_pairwise(ctx, V, xs, R, k, &mx, &ix, at ? &Vt : NULL);
    else rc = max_tree(ctx, V, R, k, &mx, &ix);
    if (rc == 0 && at) *at = ss_reshape(ctx, xs ? Vt : V, a->ndim, a->shape);
    ss_free(V); ss_free(Vt);
    if (rc) return NULL;
    SsTensor *m = ss_reshape(ctx, mx, ond, osh), *x = ss_reshape(ctx, ix, ond, osh);
    ss_free(mx); ss_free(ix);
    if (argmax) *argmax = x; else ss_free(x);
    return m;
}

SsTensor *ss_max_by(SsCtx *ctx, const SsTensor *a, SsTensor **argmax, int method)
{
    return ss__max_trunc(ctx, a, argmax, method, 0, NULL);
}

SsTensor *ss_max(SsCtx *ctx, const SsTensor *a, SsTensor **argmax)
{
    return ss_max_by(ctx, a, argmax, SS_MAX_AUTO);
}

/* Adds a public constant (encoded at t's frac) to t in place. */
static void add_const(SsTensor *t, double c)
{
    int ok;
    int64_t v = ss_encode(c, t->frac, &ok);
    for (size_t e = 0; e < t->size; e++) t->s[0][e] += (uint64_t)v;
}

SsTensor *ss_poly(SsCtx *ctx, const SsTensor *a, const double *c, int deg)
{
    if (additive_whole(ctx, a, "a polynomial")) return NULL;
    if (deg < 0) return ss__fail(ctx, "polynomial of negative degree"), NULL;
    for (int k = 0; k <= deg; k++) {
        int ok;
        ss_encode(c[k], a->sc.frac_bits, &ok);
        if (!ok) return ss__fail(ctx, "coefficient %g is out of the fixed-point range", c[k]), NULL;
    }
    if (deg == 0) {
        SsTensor *y = ss_new(&a->sc, a->ndim, a->shape, a->frac);
        add_const(y, c[0]);
        return y;
    }
    SsTensor *y = ss_scale(ctx, a, c[deg]);
    if (!y) return NULL;
    add_const(y, c[deg - 1]);
    for (int k = deg - 2; k >= 0; k--) {
        SsTensor *z = ss_mul(ctx, y, a);
        ss_free(y);
        if (!z) return NULL;
        add_const(z, c[k]);
        y = z;
    }
    return y;
}
