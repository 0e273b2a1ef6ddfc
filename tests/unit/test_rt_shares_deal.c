/*
** test_rt_shares_deal.c — the dealer's offline material as it travels: each frame to a
** party is [a fresh 256-bit seed | a count u of uniform words | the explicit words], the
** party's first u words being the ChaCha20 keystream of the seed (nonce 0) and the rest
** the explicit ones.  A tap on the carrier captures the frames; the test decodes them by
** that definition with libsodium's own ChaCha20 (not the runtime's expansion) and checks
** the material's relations: Beaver triples (elementwise, broadcast, matrix), truncation
** pairs and AND triples.  Then, as an attacker on a non-dealer party's link would: its
** frame is a seed and a count, the same size for every triple size, and its seeds are
** fresh.  The expansion itself against libsodium's keystream at unaligned word offsets;
** a caller that interleaves uniform and explicit words; a malformed frame.
*/
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "message.h"
#include "shares.h"
#include "tu.h"
#include "wire.h"

static Rng R;
static Tr T;
static Msg M;
static SsCtx C;

/* --- a tap on the in-process carrier: copies every "triple" frame's payload --------- */

#define CAPS 64
typedef struct Cap { int from, to; uint8_t *p; size_t len; } Cap;
typedef struct Tap {
    MsgTransport t;
    MsgTransport *in;
    Cap cap[CAPS];
    int n;
} Tap;
static Tap P;

static void tap_reset(void)
{
    for (int i = 0; i < P.n; i++) free(P.cap[i].p);
    P.n = 0;
}

static int tap_post(MsgTransport *t, int from, int to, uint8_t *buf, size_t len)
{
    Tap *s = (Tap *)t;
    WireR r;
    WireHdr h;
    const msgpack_object *pl;
    const void *p;
    size_t n;
    wire_r_init(&r, "tap");
    CU_ASSERT_FATAL(wire_open_frame(&r, buf, len, &h, &pl));
    if (!strcmp(h.kind, "triple") && s->n < CAPS && wire_get_bin(&r, pl, &p, &n)) {
        Cap *c = &s->cap[s->n++];
        c->from = from; c->to = to; c->len = n;
        c->p = malloc(n ? n : 1);
        memcpy(c->p, p, n);
    }
    wire_r_free(&r);
    return s->in->post(s->in, from, to, buf, len);
}

static int tap_deliver(MsgTransport *t, int from, int to, uint8_t **buf, size_t *len)
{
    return ((Tap *)t)->in->deliver(((Tap *)t)->in, from, to, buf, len);
}

static void tap_close(MsgTransport *t) { Tap *s = (Tap *)t; s->in->close(s->in); s->in = NULL; }

/* A fresh transcript and layer carried by the tap (no post_block: every frame is copied,
** so the tap sees each one). */
static void setup(uint64_t seed)
{
    msg_free(&M);
    tap_reset();
    memset(&P, 0, sizeof P);
    P.t = (MsgTransport){ .name = "tap", .post = tap_post, .deliver = tap_deliver, .close = tap_close };
    P.in = msg_transport_local();
    rng_seed(&R, seed);
    tr_free(&T);
    tr_init(&T);
    msg_init(&M, &T, &P.t);
    memset(&C, 0, sizeof C);
    C.msg = &M; C.rng = &R; C.nthreads = 2;
}

static SsScheme additive(int n)
{
    int p[SS_MAXP];
    for (int i = 0; i < n; i++) p[i] = i + 1;
    SsScheme sc;
    CU_ASSERT_FATAL(ss_scheme_additive(&C, &sc, n, p, 16, 99) == 0);
    return sc;
}

static Tn *randn(int r, int c, double scale)
{
    int sh[2] = { r, c };
    Tn *t = tn_new(c ? 2 : 1, sh);
    for (size_t i = 0; i < t->size; i++) t->data[i] = (float)((rng_uniform(&R) * 2 - 1) * scale);
    return t;
}

/* The frame the dealer sent party `to` (the last one captured). */
static const Cap *frame_to(int to)
{
    for (int i = P.n - 1; i >= 0; i--) if (P.cap[i].to == to && P.cap[i].from == 99) return &P.cap[i];
    CU_FAIL_FATAL("no triple frame to that party");
    return NULL;
}

/* Party material of k words from a captured frame, by the documented layout: 32 bytes
** of seed, the count u (8 bytes, little endian), then k - u words; words 0..u are the
** ChaCha20 (IETF, nonce 0, counter 0) keystream of the seed, expanded here by libsodium. */
static uint64_t *material(const Cap *c, size_t k)
{
    CU_ASSERT_FATAL(c->len >= 40);
    uint64_t u;
    memcpy(&u, c->p + 32, 8);
    CU_ASSERT_FATAL(u <= k);
    CU_ASSERT_FATAL(c->len == 40 + 8 * (k - u));
    uint64_t *w = calloc(k ? k : 1, 8);
    static const unsigned char nonce[crypto_stream_chacha20_IETF_NONCEBYTES];
    if (u) crypto_stream_chacha20_ietf((unsigned char *)w, 8 * u, nonce, c->p);
    memcpy(w + u, c->p + 40, 8 * (k - u));
    return w;
}

/* --- the material's relations ------------------------------------------------------- */

/* A matrix triple: sum C_i = (sum A_i) @ (sum B_i) in Z_2^64. */
static void t_matrix_triple(void)
{
    for (int n = 2; n <= 3; n++) {
        setup(10 + n);
        SsScheme sc = additive(n);
        int m = 5, k = 7, q = 3;
        Tn *x = randn(m, k, 1), *y = randn(k, q, 1);
        SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
        tap_reset();
        SsTensor *z = ss_matmul_raw(&C, sx, sy);
        CU_ASSERT_FATAL(z != NULL);
        CU_ASSERT_EQUAL(P.n, n);                        /* one frame a party */
        size_t na = (size_t)m * k, nb = (size_t)k * q, nc = (size_t)m * q, K = na + nb + nc;
        uint64_t A[35] = { 0 }, B[21] = { 0 }, Cc[15] = { 0 }, want[15] = { 0 };
        for (int i = 0; i < n; i++) {
            uint64_t *w = material(frame_to(i + 1), K);
            for (size_t e = 0; e < na; e++) A[e] += w[e];
            for (size_t e = 0; e < nb; e++) B[e] += w[na + e];
            for (size_t e = 0; e < nc; e++) Cc[e] += w[na + nb + e];
            free(w);
        }
        for (int r = 0; r < m; r++)
            for (int c = 0; c < q; c++)
                for (int j = 0; j < k; j++) want[r * q + c] += A[r * k + j] * B[j * q + c];
        int bad = 0;
        for (size_t e = 0; e < nc; e++) bad += Cc[e] != want[e];
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT(A[0] != 0 && B[0] != 0);              /* not the zero triple */
        ss_free(z); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
    }
}

/* Elementwise triples, with B as long as A and broadcast from one element. */
static void t_elementwise_triple(void)
{
    for (int bc = 0; bc < 2; bc++) {
        setup(20 + bc);
        SsScheme sc = additive(3);
        Tn *x = randn(4, 6, 1), *y = bc ? randn(1, 0, 1) : randn(4, 6, 1);
        SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
        tap_reset();
        SsTensor *z = ss_mul_raw(&C, sx, sy);
        CU_ASSERT_FATAL(z != NULL);
        size_t na = 24, nb = bc ? 1 : 24, K = na + nb + na;
        uint64_t A[24] = { 0 }, B[24] = { 0 }, Cc[24] = { 0 };
        for (int i = 0; i < 3; i++) {
            uint64_t *w = material(frame_to(i + 1), K);
            for (size_t e = 0; e < na; e++) { A[e] += w[e]; Cc[e] += w[na + nb + e]; }
            for (size_t e = 0; e < nb; e++) B[e] += w[na + e];
            free(w);
        }
        int bad = 0;
        for (size_t e = 0; e < na; e++) bad += Cc[e] != A[e] * B[e % nb];
        CU_ASSERT_EQUAL(bad, 0);
        ss_free(z); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
    }
}

/* Truncation pairs: with r = sum R_i, sum RM_i = r's top bit and sum RL_i = floor((r mod
** 2^63) / 2^16). */
static void t_trunc_pairs(void)
{
    for (int n = 2; n <= 3; n++) {
        setup(30 + n);
        SsScheme sc = additive(n);
        Tn *x = randn(4, 5, 2), *y = randn(5, 3, 2);
        SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
        SsTensor *z = ss_matmul_raw(&C, sx, sy);
        CU_ASSERT_FATAL(z != NULL);
        tap_reset();
        CU_ASSERT_FATAL(ss_trunc(&C, z, 16) == 0);
        size_t len = 12;
        uint64_t r[12] = { 0 }, rm[12] = { 0 }, rl[12] = { 0 };
        for (int i = 0; i < n; i++) {
            uint64_t *w = material(frame_to(i + 1), 3 * len);
            for (size_t e = 0; e < len; e++) { r[e] += w[e]; rm[e] += w[len + e]; rl[e] += w[2 * len + e]; }
            free(w);
        }
        int bad = 0, top = 0;
        for (size_t e = 0; e < len; e++) {
            bad += rm[e] != r[e] >> 63;
            bad += rl[e] != (r[e] & 0x7FFFFFFFFFFFFFFFull) >> 16;
            top += (int)(r[e] >> 63);
        }
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT(top > 0 && top < 12);                 /* r is not constant */
        Tn *got = ss_reveal(&C, z, 0, 0);               /* and the truncation still works */
        CU_ASSERT_FATAL(got != NULL);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) {
                double want = 0;
                int ok;
                for (int q = 0; q < 5; q++)
                    want += ss_decode(ss_encode(x->data[i * 5 + q], 16, &ok), 16) *
                            ss_decode(ss_encode(y->data[q * 3 + j], 16, &ok), 16);
                TU_NEAR(got->data[i * 3 + j], want, 3.0 / 65536);
            }
        tn_free(got); ss_free(z); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
    }
}

/* AND triples in XOR shares: xor c_i = (xor a_i) & (xor b_i). */
static void t_and_triples(void)
{
    setup(40);
    SsScheme sc = additive(3);
    SsBits *x = ss_bits_new(&sc, 9), *y = ss_bits_new(&sc, 9);
    for (int e = 0; e < 9; e++) { x->w[1][e] = rng_u64(&R); y->w[2][e] = rng_u64(&R); }
    tap_reset();
    SsBits *z = ss_and(&C, x, y);
    CU_ASSERT_FATAL(z != NULL);
    uint64_t a[9] = { 0 }, b[9] = { 0 }, c[9] = { 0 };
    for (int i = 0; i < 3; i++) {
        uint64_t *w = material(frame_to(i + 1), 27);
        for (int e = 0; e < 9; e++) { a[e] ^= w[e]; b[e] ^= w[9 + e]; c[e] ^= w[18 + e]; }
        free(w);
    }
    int bad = 0;
    for (int e = 0; e < 9; e++) bad += c[e] != (a[e] & b[e]);
    CU_ASSERT_EQUAL(bad, 0);
    ss_bits_free(x); ss_bits_free(y); ss_bits_free(z);
}

/* --- what a non-dealer party's link carries ----------------------------------------- */

/* Party 0 gets the explicit words (its share of C: value minus the others' words); every
** other party's frame is a seed and a count, the same 40 bytes for a tiny and a big triple
** (no data-dependent word on its link), and the transcript counts exactly that. */
static void t_frame_sizes(void)
{
    int dims[][3] = { { 1, 1, 1 }, { 3, 4, 2 }, { 64, 96, 32 }, { 128, 784, 128 } };
    uint64_t first = 0;
    for (int d = 0; d < 4; d++) {
        setup(50 + (uint64_t)d);
        SsScheme sc = additive(3);
        int m = dims[d][0], k = dims[d][1], q = dims[d][2];
        Tn *x = randn(m, k, 1), *y = randn(k, q, 1);
        SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
        tap_reset();
        tr_clear(&T);
        SsTensor *z = ss_matmul_raw(&C, sx, sy);
        CU_ASSERT_FATAL(z != NULL);
        uint64_t K = (uint64_t)m * k + (uint64_t)k * q + (uint64_t)m * q, u;
        for (int i = 2; i <= 3; i++) {
            const Cap *c = frame_to(i);
            CU_ASSERT(c->len <= 48);
            CU_ASSERT_EQUAL(c->len, 40);
            memcpy(&u, c->p + 32, 8);
            CU_ASSERT_EQUAL(u, K);                      /* all of it from the seed */
            TrTotals off = tr_totals(&T, 99, i, "offline");
            CU_ASSERT_EQUAL(off.msgs, 1);
            CU_ASSERT_EQUAL(off.bytes, wire_size_envelope("triple") + wire_size_bin(40));
            if (!first) first = off.bytes;
            CU_ASSERT_EQUAL(off.bytes, first);          /* constant in the triple's size */
        }
        const Cap *c0 = frame_to(1);
        memcpy(&u, c0->p + 32, 8);
        CU_ASSERT_EQUAL(u, K - (uint64_t)m * q);        /* A_0, B_0 seeded; C_0 explicit */
        CU_ASSERT_EQUAL(tr_totals(&T, 99, 1, "offline").bytes,
                        wire_size_envelope("triple") + wire_size_bin(40 + 8 * (uint64_t)m * q));
        ss_free(z); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
    }
}

/* Every frame has a seed of its own: no two frames (parties, deals) share one, and a
** party's seed does not come back when the same product runs again. */
static void t_fresh_seeds(void)
{
    setup(60);
    SsScheme sc = additive(2);
    Tn *x = randn(3, 3, 1);
    SsTensor *sx = ss_share(&C, &sc, x, 1);
    tap_reset();
    for (int rep = 0; rep < 3; rep++) {
        SsTensor *z = ss_mul_raw(&C, sx, sx);
        CU_ASSERT_FATAL(z != NULL);
        ss_free(z);
    }
    CU_ASSERT_EQUAL(P.n, 6);
    int same = 0;
    for (int i = 0; i < P.n; i++)
        for (int j = i + 1; j < P.n; j++) same += memcmp(P.cap[i].p, P.cap[j].p, 32) == 0;
    CU_ASSERT_EQUAL(same, 0);
    ss_free(sx); tn_free(x);
}

/* --- the expansion, and the deal API itself ---------------------------------------- */

/* ss__prg's words pos..pos+n equal libsodium's keystream generated in one call. */
static void t_prg_known_answer(void)
{
    unsigned char seed[32];
    for (int i = 0; i < 32; i++) seed[i] = (unsigned char)(i * 7 + 3);
    static const unsigned char nonce[crypto_stream_chacha20_IETF_NONCEBYTES];
    size_t total = 8 * 9000 + 11;                       /* words; long enough for threads */
    uint64_t *ks = malloc(8 * total), *got = malloc(8 * total);
    crypto_stream_chacha20_ietf((unsigned char *)ks, 8 * total, nonce, seed);
    size_t cases[][2] = { { 0, 5 }, { 3, 1 }, { 3, 5 }, { 7, 2 }, { 13, 37 }, { 8, 8 },
                          { 5, 8 * 9000 }, { 0, 8 * 9000 + 11 }, { 1, 0 } };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t pos = cases[c][0], n = cases[c][1];
        memset(got, 0xEE, 8 * total);
        ss__prg(seed, pos, got, n);
        CU_ASSERT(n == 0 || memcmp(got, ks + pos, 8 * n) == 0);
        if (pos + n < total) CU_ASSERT_EQUAL(got[n], 0xEEEEEEEEEEEEEEEEull);   /* no overrun */
    }
    /* RFC 8439's layout: the same bytes as the original ChaCha20 with a zero nonce */
    unsigned char djb[64 * 3];
    static const unsigned char n8[crypto_stream_chacha20_NONCEBYTES];
    crypto_stream_chacha20(djb, sizeof djb, n8, seed);
    CU_ASSERT(memcmp(djb, ks, sizeof djb) == 0);
    free(ks); free(got);
}

/* A caller that writes uniform words after explicit ones: those go explicitly, and every
** party still receives exactly what was dealt. */
static void t_interleaved(void)
{
    setup(70);
    SsScheme sc = additive(2);
    size_t len = 600;                                   /* more than one chunk */
    uint64_t *acc1 = ss__words(len), *acc2 = ss__words(len), *val = ss__words(len), *got[2];
    for (size_t e = 0; e < len; e++) val[e] = rng_u64(&R);
    SsOut out[SS_MAXP];
    const char *old;
    tap_reset();
    ss__deal_begin(&C, &sc, out, 3 * len, "interleaved", &old);
    for (int i = 0; i < 2; i++) ss__deal_random(&C, &out[i], acc1, len, 0);
    ss__out_words(&out[0], val, len);                   /* party 0: explicit ... */
    ss__out_words(&out[1], val, len);
    for (int i = 0; i < 2; i++) ss__deal_random(&C, &out[i], acc2, len, 1);   /* ... then uniform */
    CU_ASSERT_FATAL(ss__deal_end(&C, &sc, out, 3 * len, got, old) == 0);
    int bad = 0;
    for (size_t e = 0; e < len; e++) {
        bad += got[0][e] + got[1][e] != acc1[e];
        bad += got[0][len + e] != val[e] || got[1][len + e] != val[e];
        bad += (got[0][2 * len + e] ^ got[1][2 * len + e]) != acc2[e];
    }
    CU_ASSERT_EQUAL(bad, 0);
    uint64_t u;
    memcpy(&u, frame_to(1)->p + 32, 8);
    CU_ASSERT_EQUAL(u, len);                            /* the seeded prefix only */
    CU_ASSERT_EQUAL(frame_to(1)->len, 40 + 8 * 2 * len);
    for (int i = 0; i < 2; i++) ss__wipe_free(got[i], 3 * len);
    ss__wipe_free(acc1, len); ss__wipe_free(acc2, len); ss__wipe_free(val, len);
}

/* A material frame of the wrong shape is a clear error, and the next product is exact. */
static void t_malformed(void)
{
    setup(80);
    SsScheme sc = additive(2);
    Tn *x = randn(2, 2, 1);
    SsTensor *a = ss_share(&C, &sc, x, 1);
    uint64_t w[3] = { 1, 2, 3 };
    CU_ASSERT(ss__post(&C, 99, 1, "triple", w, 3, NULL, 0, "stray") == 0);
    SsTensor *z = ss_mul_raw(&C, a, a);
    CU_ASSERT(z == NULL);
    CU_ASSERT(strstr(C.err.msg, "malformed material from party 99") != NULL);
    z = ss_mul_raw(&C, a, a);
    CU_ASSERT_FATAL(z != NULL);
    for (size_t e = 0; e < 4; e++)
        CU_ASSERT_EQUAL(ss_peek(z, e), (int64_t)((uint64_t)ss_peek(a, e) * (uint64_t)ss_peek(a, e)));
    ss_free(z); ss_free(a); tn_free(x);
}

int main(void)
{
    if (sodium_init() < 0) return 2;
    int rc = tu_main("rt_ss_deal", (TU_Test[]){
        { .name = "matrix triples hold their relation", .fn = t_matrix_triple },
        { .name = "elementwise triples hold their relation", .fn = t_elementwise_triple },
        { .name = "truncation pairs hold their relation", .fn = t_trunc_pairs },
        { .name = "AND triples hold their relation", .fn = t_and_triples },
        { .name = "a non-dealer party's frame: a seed, constant size", .fn = t_frame_sizes },
        { .name = "a fresh seed every frame", .fn = t_fresh_seeds },
        { .name = "expansion against libsodium at unaligned offsets", .fn = t_prg_known_answer },
        { .name = "interleaved uniform and explicit words", .fn = t_interleaved },
        { .name = "a malformed material frame", .fn = t_malformed },
        { .name = NULL, .fn = NULL } });
    msg_free(&M);
    tr_free(&T);
    tap_reset();
    rng_wipe(&R);
    return rc;
}
