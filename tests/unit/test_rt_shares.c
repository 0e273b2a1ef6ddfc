/*
** test_rt_shares.c — the shares runtime against its definitions: reconstruction from every
** threshold set and a clear error below it, products equal to the plaintext within the
** fixed-point error, the truncation bound, comparisons, ReLU, max and argmax against
** plaintext, polynomials, dealer-free triples, and the transcript's counts equal to the
** theoretical ones (a Beaver product of X (m×n) and Y (n×k) opens mn + nk ring elements
** per party and peer in one round).
*/
#include <math.h>
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
static SsPaiKeys *K;                        /* the ring of dealer-free triples' keys */

/* A fresh transcript, layer and key ring; tp: the transport (NULL: in-process). */
static void setup_tp(uint64_t seed, MsgTransport *tp)
{
    rng_seed(&R, seed);
    msg_free(&M);
    tr_free(&T);
    tr_init(&T);
    msg_init(&M, &T, tp);
    memset(&C, 0, sizeof C);
    C.msg = &M; C.rng = &R; C.nthreads = 2;
    ss_pai_keys_free(K);
    C.pai_keys = K = ss_pai_keys_new();
}

static void setup(uint64_t seed) { setup_tp(seed, NULL); }

/* The size of one frame of k ring elements: what cost() counts for a share vector. */
static uint64_t ring_frame(const char *kind, uint64_t k)
{
    return wire_size_envelope(kind) + wire_size_ring(k);
}

/* The size of the dealer's frame with nx explicit words (shares.h, SsOut). */
static uint64_t seed_frame(uint64_t nx)
{
    return wire_size_envelope("triple") + wire_size_bin(SS_SEED_HDR + 8 * nx);
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

static double maxabs(const Tn *t)
{
    double m = 0;
    for (size_t i = 0; i < t->size; i++) if (fabs(t->data[i]) > m) m = fabs(t->data[i]);
    return m;
}

static void t_encode(void)
{
    int ok;
    CU_ASSERT_EQUAL(ss_encode(1.0, 16, &ok), 65536); CU_ASSERT(ok);
    CU_ASSERT_EQUAL(ss_encode(-0.5, 16, &ok), -32768);
    CU_ASSERT_EQUAL(ss_encode(1.0 / 65536 * 0.4, 16, &ok), 0);
    CU_ASSERT_EQUAL(ss_encode(3.25, 2, &ok), 13);
    ss_encode(1e30, 16, &ok); CU_ASSERT(!ok);
    ss_encode(NAN, 16, &ok); CU_ASSERT(!ok);
    TU_NEAR(ss_decode(-98304, 16), -1.5, 0);
}

static void t_schemes(void)
{
    setup(1);
    SsScheme sc;
    int p[3] = { 1, 2, 3 }, q[2] = { 1, 1 };
    CU_ASSERT(ss_scheme_additive(&C, &sc, 1, p, 16, 9) < 0);
    CU_ASSERT(ss_scheme_additive(&C, &sc, 2, q, 16, 9) < 0);
    CU_ASSERT(ss_scheme_additive(&C, &sc, 3, p, 16, 2) < 0);       /* dealer holds shares */
    CU_ASSERT(strstr(C.err.msg, "dealer") != NULL);
    CU_ASSERT(ss_scheme_shamir(&C, &sc, 3, p, 3, 16, 9) < 0);
    CU_ASSERT(ss_scheme_shamir(&C, &sc, 3, p, 1, 16, 9) == 0);
    CU_ASSERT_EQUAL(ss_index(&sc, 3), 2);
    CU_ASSERT_EQUAL(ss_index(&sc, 7), -1);
}

static void t_additive_roundtrip(void)
{
    for (int n = 2; n <= 5; n++) {
        setup(10 + n);
        SsScheme sc = additive(n);
        Tn *x = randn(7, 5, 1000);
        SsTensor *s = ss_share(&C, &sc, x, 1);
        CU_ASSERT_FATAL(s != NULL);
        /* each share alone is not the value */
        int64_t e0 = ss_encode(x->data[0], 16, &(int){0});
        for (int i = 0; i < n; i++) CU_ASSERT((int64_t)s->s[i][0] != e0);
        /* the share messages: party 1 sends n - 1 */
        TrTotals t = tr_totals(&T, 1, -1, NULL);
        CU_ASSERT_EQUAL(t.msgs, (uint64_t)n - 1);
        CU_ASSERT_EQUAL(t.bytes, (uint64_t)(n - 1) * ring_frame("share", 35));
        Tn *y = ss_reveal(&C, s, 2, 0);
        CU_ASSERT_FATAL(y != NULL);
        for (size_t i = 0; i < x->size; i++) TU_NEAR(y->data[i], x->data[i], 1e-3);
        /* revealing to party 2 costs n - 1 messages into 2 */
        tn_free(y);
        ss_drop(s, 3 <= n ? 3 : 2);
        y = ss_reveal(&C, s, 1, 0);
        CU_ASSERT(y == NULL);
        CU_ASSERT(strstr(C.err.msg, "additive sharing needs all") != NULL);
        ss_free(s); tn_free(x);
    }
}

static void t_shamir_subsets(void)
{
    setup(3);
    int p[5] = { 1, 2, 3, 4, 5 };
    for (int t = 1; t <= 3; t++) {
        SsScheme sc;
        CU_ASSERT_FATAL(ss_scheme_shamir(&C, &sc, 5, p, t, 16, 0) == 0);
        Tn *x = randn(3, 4, 50);
        SsTensor *s = ss_share(&C, &sc, x, 1);
        for (uint32_t mask = 0; mask < 32; mask++) {
            int present = __builtin_popcount(mask);
            Tn *y = ss_reveal(&C, s, 0, ~mask & 31u);
            if (present >= t + 1) {
                CU_ASSERT_FATAL(y != NULL);
                for (size_t i = 0; i < x->size; i++) TU_NEAR(y->data[i], x->data[i], 1e-4);
                tn_free(y);
            } else {
                CU_ASSERT(y == NULL);
                CU_ASSERT(strstr(C.err.msg, "needs") != NULL);
            }
        }
        /* any t shares alone: every single share differs from the secret */
        ss_free(s); tn_free(x);
    }
}

static void t_shamir_dropout_known(void)
{
    /* Known answer: shares of a constant polynomial (public value) all equal it. */
    setup(4);
    int p[3] = { 1, 2, 3 };
    SsScheme sc;
    ss_scheme_shamir(&C, &sc, 3, p, 1, 16, 0);
    int one = 1;
    Tn *x = tn_new(1, &one);
    x->data[0] = 2.5f;
    SsTensor *pub = ss_share(&C, &sc, x, 0);
    for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(pub->s[i][0], (uint64_t)(2.5 * 65536));
    SsTensor *s = ss_share(&C, &sc, x, 1);
    /* degree 1: s_i = v + a (i + 1) -> the shares lie on a line */
    uint64_t d1 = (s->s[1][0] + SS_P61 - s->s[0][0]) % SS_P61;
    uint64_t d2 = (s->s[2][0] + SS_P61 - s->s[1][0]) % SS_P61;
    CU_ASSERT_EQUAL(d1, d2);
    CU_ASSERT_EQUAL((s->s[0][0] + SS_P61 - d1) % SS_P61, (uint64_t)(2.5 * 65536));
    CU_ASSERT(ss_drop(s, 2) == 0);
    CU_ASSERT(ss_drop(s, 2) < 0);
    Tn *y = ss_reveal(&C, s, 1, 0);
    CU_ASSERT_FATAL(y != NULL);
    TU_NEAR(y->data[0], 2.5, 0);
    tn_free(y);
    SsTensor *sum = ss_add(&C, s, pub);          /* computing needs everyone */
    CU_ASSERT(sum == NULL);
    CU_ASSERT(strstr(C.err.msg, "dropped out") != NULL);
    ss_drop(s, 3);
    y = ss_reveal(&C, s, 1, 0);
    CU_ASSERT(y == NULL);
    CU_ASSERT_STRING_EQUAL(C.err.msg, "cannot reveal: threshold 1 needs 2 shares, only 1 left");
    ss_free(s); ss_free(pub); tn_free(x);
}

static void t_linear(void)
{
    setup(5);
    SsScheme sc = additive(3);
    Tn *x = randn(4, 3, 10), *y = randn(4, 3, 10), *b = randn(3, 0, 10);
    SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2), *sb = ss_share(&C, &sc, b, 3);
    size_t before = T.n;
    SsTensor *add = ss_add(&C, sx, sy), *sub = ss_sub(&C, sx, sy), *bias = ss_add(&C, sx, sb);
    SsTensor *ap = ss_add_pub(&C, sx, y, 1), *ps = ss_pub_sub(&C, y, sx), *ng = ss_neg(&C, sx);
    SsTensor *sc2 = ss_scale(&C, sx, -0.75), *si = ss_scale_int(&C, sx, 3);
    /* only the truncation of ss_scale talks: 3 dealer messages + 3 x 2 openings */
    CU_ASSERT_EQUAL(T.n - before, 3 + 6);
    Tn *r;
    r = ss_reveal(&C, add, 0, 0); for (int i = 0; i < 12; i++) TU_NEAR(r->data[i], x->data[i] + y->data[i], 1e-4); tn_free(r);
    r = ss_reveal(&C, sub, 0, 0); for (int i = 0; i < 12; i++) TU_NEAR(r->data[i], x->data[i] - y->data[i], 1e-4); tn_free(r);
    r = ss_reveal(&C, bias, 0, 0); for (int i = 0; i < 12; i++) TU_NEAR(r->data[i], x->data[i] + b->data[i % 3], 1e-4); tn_free(r);
    r = ss_reveal(&C, ap, 0, 0); for (int i = 0; i < 12; i++) TU_NEAR(r->data[i], x->data[i] + y->data[i], 1e-4); tn_free(r);
    r = ss_reveal(&C, ps, 0, 0); for (int i = 0; i < 12; i++) TU_NEAR(r->data[i], y->data[i] - x->data[i], 1e-4); tn_free(r);
    r = ss_reveal(&C, ng, 0, 0); for (int i = 0; i < 12; i++) TU_NEAR(r->data[i], -x->data[i], 1e-4); tn_free(r);
    r = ss_reveal(&C, sc2, 0, 0); for (int i = 0; i < 12; i++) TU_NEAR(r->data[i], -0.75 * x->data[i], 1e-4); tn_free(r);
    r = ss_reveal(&C, si, 0, 0); for (int i = 0; i < 12; i++) TU_NEAR(r->data[i], 3 * x->data[i], 1e-4); tn_free(r);
    ss_free(add); ss_free(sub); ss_free(bias); ss_free(ap); ss_free(ps); ss_free(ng);
    ss_free(sc2); ss_free(si); ss_free(sx); ss_free(sy); ss_free(sb);
    tn_free(x); tn_free(y); tn_free(b);
}

static void t_shape_error(void)
{
    setup(6);
    SsScheme sc = additive(2);
    Tn *x = randn(4, 3, 1), *y = randn(3, 4, 1);
    SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 1);
    CU_ASSERT(ss_add(&C, sx, sy) == NULL);
    CU_ASSERT_STRING_EQUAL(C.err.msg, "shapes (4, 3) and (3, 4) do not match for +");
    CU_ASSERT(ss_matmul(&C, sx, sx) == NULL);
    CU_ASSERT_STRING_EQUAL(C.err.msg, "shapes (4, 3) and (4, 3) do not match for @");
    ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
}

/* Products within the fixed-point error, for 2..4 parties and both truncations. */
static void check_products(int n, SsTrunc tm)
{
    setup(20 + n);
    SsScheme sc = additive(n);
    if (tm == SS_TRUNC_LOCAL) sc.trunc = tm;
    int m = 6, k = 9, q = 5;
    Tn *x = randn(m, k, 8), *y = randn(k, q, 8), *z = randn(m, k, 8);
    SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2), *sz = ss_share(&C, &sc, z, n);
    SsTensor *p = ss_matmul(&C, sx, sy), *h = ss_mul(&C, sx, sz);
    CU_ASSERT_FATAL(p && h);
    Tn *rp = ss_reveal(&C, p, 0, 0), *rh = ss_reveal(&C, h, 0, 0);
    double ulp = 1.0 / 65536;
    /* encoding error 1/2 ulp per factor, times the other factor, k terms, + 1 ulp */
    double tol = k * (maxabs(x) + maxabs(y) + 1) * ulp + 2 * ulp;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < q; j++) {
            double want = 0;
            for (int l = 0; l < k; l++) want += (double)x->data[i * k + l] * y->data[l * q + j];
            TU_NEAR(rp->data[i * q + j], want, tol);
        }
    for (int i = 0; i < m * k; i++)
        TU_NEAR(rh->data[i], (double)x->data[i] * z->data[i], (maxabs(x) + maxabs(z) + 2) * ulp);
    tn_free(rp); tn_free(rh);
    ss_free(p); ss_free(h); ss_free(sx); ss_free(sy); ss_free(sz);
    tn_free(x); tn_free(y); tn_free(z);
}

static void t_products(void)
{
    for (int n = 2; n <= 4; n++) check_products(n, SS_TRUNC_PAIR);
    check_products(2, SS_TRUNC_LOCAL);
}

/* Truncation: floor(z / 2^f) or one more, over many values near the edges. */
static void t_trunc_bound(void)
{
    for (int n = 2; n <= 3; n++)
        for (int local = 0; local <= (n == 2); local++) {
            setup(30 + n + local);
            SsScheme sc = additive(n);
            sc.trunc = local ? SS_TRUNC_LOCAL : SS_TRUNC_PAIR;
            int len = 2000;
            SsTensor *t = ss_new(&sc, 1, &len, 32);
            int64_t z[2000];
            for (int e = 0; e < len; e++) {
                int64_t v = (int64_t)(rng_u64(&R) >> (e % 3 == 0 ? 24 : 4)) - (int64_t)(e & 1 ? 1LL << 38 : 0);
                if (e < 4) v = (int64_t[]){ 0, -1, 65535, -65536 }[e];
                if (local) v >>= 20;                         /* |z| < 2^40 */
                z[e] = v;
                uint64_t acc = (uint64_t)v;
                for (int i = 1; i < n; i++) { t->s[i][e] = rng_u64(&R); acc -= t->s[i][e]; }
                t->s[0][e] = acc;
            }
            CU_ASSERT_FATAL(ss_trunc(&C, t, 16) == 0);
            CU_ASSERT_EQUAL(t->frac, 16);
            int bad = 0;
            for (int e = 0; e < len; e++) {
                int64_t got = ss_peek(t, (size_t)e), fl = z[e] >> 16;
                if (local ? (got < fl - 1 || got > fl + 1) : (got != fl && got != fl + 1)) bad++;
            }
            CU_ASSERT_EQUAL(bad, 0);
            ss_free(t);
        }
}

static void t_overflow(void)
{
    setup(40);
    SsScheme sc = additive(3);
    int one = 1;
    Tn *x = tn_new(1, &one);
    x->data[0] = 70000.0f;                        /* 70000^2 > 2^30 */
    SsTensor *s = ss_share(&C, &sc, x, 1);
    SsTensor *p = ss_mul(&C, s, s);
    CU_ASSERT(p == NULL);
    CU_ASSERT(C.err.code == RT_EOVERFLOW);          /* lib_shares.c's training tests the code */
    CU_ASSERT(strncmp(C.err.msg, "fixed-point overflow: a product reached about 4.9e+09", 52) == 0);
    x->data[0] = 1e15f;
    CU_ASSERT(ss_share(&C, &sc, x, 1) == NULL);
    CU_ASSERT(C.err.code == RT_EINVAL);
    CU_ASSERT(strstr(C.err.msg, "must stay below 2^46") != NULL);
    ss_free(s); tn_free(x);
}

/* The transcript's counts equal the theory. */
static void t_cost(void)
{
    for (int n = 2; n <= 3; n++) {
        setup(50 + n);
        SsScheme sc = additive(n);
        int m = 5, k = 7, q = 3;
        Tn *x = randn(m, k, 1), *y = randn(k, q, 1);
        SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 1);
        tr_clear(&T);
        SsTensor *p = ss_matmul_raw(&C, sx, sy);
        for (int i = 1; i <= n; i++) {
            TrTotals on = tr_totals(&T, i, -1, "online");
            CU_ASSERT_EQUAL(on.msgs, (uint64_t)(n - 1));                   /* to each peer */
            CU_ASSERT_EQUAL(on.bytes, (uint64_t)(n - 1) * ring_frame("open", m * k + k * q));
            CU_ASSERT_EQUAL(on.rounds, 1);
            TrTotals off = tr_totals(&T, 99, i, "offline");               /* dealer -> i */
            CU_ASSERT_EQUAL(off.msgs, 1);
            /* a seed and a count; party 0 also gets its share of C explicitly */
            CU_ASSERT_EQUAL(off.bytes, seed_frame(i == 1 ? m * q : 0));
            CU_ASSERT_EQUAL(tr_totals(&T, i, -1, "offline").msgs, 0);     /* parties send nothing offline */
        }
        CU_ASSERT_EQUAL(tr_totals(&T, -1, 99, NULL).msgs, 0);             /* the dealer receives nothing */
        /* truncation by a pair: one more round, m q elements to each peer */
        tr_clear(&T);
        CU_ASSERT(ss_trunc(&C, p, 16) == 0);
        TrTotals tt = tr_totals(&T, 1, -1, "online");
        CU_ASSERT_EQUAL(tt.rounds, 1);
        CU_ASSERT_EQUAL(tt.bytes, (uint64_t)(n - 1) * ring_frame("open", m * q));
        CU_ASSERT_EQUAL(tr_totals(&T, 99, 1, "offline").bytes, seed_frame(2 * m * q));   /* r seeded */
        CU_ASSERT_EQUAL(tr_totals(&T, 99, 2, "offline").bytes, seed_frame(0));
        for (size_t i = 0; i < T.n; i++) CU_ASSERT_EQUAL(T.msgs[i].leak, 0);
        ss_free(p); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
    }
    /* two parties with local truncation: a full product is exactly mn + nk, one round */
    setup(59);
    SsScheme sc = additive(2);
    sc.trunc = SS_TRUNC_LOCAL;
    Tn *x = randn(4, 6, 1), *y = randn(6, 2, 1);
    SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
    tr_clear(&T);
    SsTensor *p = ss_matmul(&C, sx, sy);
    TrTotals on = tr_totals(&T, 2, -1, "online");
    CU_ASSERT_EQUAL(on.bytes, ring_frame("open", 4 * 6 + 6 * 2));
    CU_ASSERT_EQUAL(on.rounds, 1);
    ss_free(p); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
}

/* --- parties continue from their inbox only --------------------------------------- */

/* A transport that watches the in-process carrier: it counts frames, can flip a bit of
** the first element of the frames of one kind from one party to another (tampering in
** transit), and can poison a party's operand shares as soon as that party has posted
** its first frame of a round (so whatever still reads them afterwards goes wrong). */
typedef struct Spy {
    MsgTransport t;
    MsgTransport *in;
    size_t posted, delivered;
    const char *tamper_kind;
    int tamper_from, tamper_to;
    SsTensor *poison[2];
} Spy;
static Spy S;

static int spy_post(MsgTransport *t, int from, int to, uint8_t *buf, size_t len)
{
    Spy *s = (Spy *)t;
    WireR r;
    WireHdr h;
    const msgpack_object *pl;
    wire_r_init(&r, "spy");
    CU_ASSERT_FATAL(wire_open_frame(&r, buf, len, &h, &pl));
    const void *p;
    size_t n;
    if (s->tamper_kind && !strcmp(h.kind, s->tamper_kind) && from == s->tamper_from &&
        to == s->tamper_to && wire_get_bin(&r, pl, &p, &n) && n >= 8)
        buf[(const uint8_t *)p - buf] ^= 1;            /* element 0 changes by one */
    for (int k = 0; k < 2; k++) {
        SsTensor *v = s->poison[k];
        int i = v ? ss_index(&v->sc, from) : -1;
        if (i >= 0 && v->s[i]) memset(v->s[i], 0xA5, v->size * sizeof(uint64_t));
    }
    wire_r_free(&r);
    s->posted++;
    return s->in->post(s->in, from, to, buf, len);
}

static int spy_deliver(MsgTransport *t, int from, int to, uint8_t **buf, size_t *len)
{
    Spy *s = (Spy *)t;
    int rc = s->in->deliver(s->in, from, to, buf, len);
    if (rc == 0) s->delivered++;
    return rc;
}

static void spy_close(MsgTransport *t) { Spy *s = (Spy *)t; s->in->close(s->in); s->in = NULL; }

static void setup_spy(uint64_t seed)
{
    msg_free(&M);                       /* closes the previous transport (maybe S itself) */
    memset(&S, 0, sizeof S);
    S.t = (MsgTransport){ .name = "spy", .post = spy_post, .deliver = spy_deliver, .close = spy_close };
    S.in = msg_transport_local();
    setup_tp(seed, &S.t);
}

/* A product whose every operand share is poisoned the moment its holder has posted: the
** parties finish from their triples and inboxes, so the result is still exact. */
static void t_inbox_only(void)
{
    for (int n = 2; n <= 3; n++) {
        setup_spy(300 + n);
        SsScheme sc = additive(n);
        Tn *x = randn(4, 6, 2), *y = randn(6, 3, 2);
        SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
        int64_t want[12];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 3; j++) {
                uint64_t acc = 0;
                for (int q = 0; q < 6; q++) acc += (uint64_t)ss_peek(sx, (size_t)i * 6 + q) * (uint64_t)ss_peek(sy, (size_t)q * 3 + j);
                want[i * 3 + j] = (int64_t)acc;
            }
        S.poison[0] = sx; S.poison[1] = sy;
        SsTensor *z = ss_matmul_raw(&C, sx, sy);
        CU_ASSERT_FATAL(z != NULL);
        S.poison[0] = S.poison[1] = NULL;
        CU_ASSERT_EQUAL((int64_t)ss_peek(sx, 0), (int64_t)(0xA5A5A5A5A5A5A5A5ull * (uint64_t)n));  /* really wiped */
        for (int e = 0; e < 12; e++) CU_ASSERT_EQUAL(ss_peek(z, (size_t)e), want[e]);
        /* every frame posted was taken by its receiver, and each is one transcript entry */
        CU_ASSERT_EQUAL(S.posted, S.delivered);
        CU_ASSERT_EQUAL(S.posted, T.n);
        ss_free(z); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
    }
}

/* What a party computes comes from its inbox: a bit flipped in transit in one opening
** (or one revealed share) changes exactly the element it carried, at that receiver. */
static void t_inbox_tamper(void)
{
    setup_spy(310);
    SsScheme sc = additive(3);
    Tn *x = randn(2, 5, 2), *y = randn(2, 5, 2);
    SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
    int64_t want[10];
    for (int e = 0; e < 10; e++) want[e] = (int64_t)((uint64_t)ss_peek(sx, (size_t)e) * (uint64_t)ss_peek(sy, (size_t)e));
    S.tamper_kind = "open"; S.tamper_from = 2; S.tamper_to = 1;   /* E[0] as party 1 sees it */
    SsTensor *z = ss_mul_raw(&C, sx, sy);
    S.tamper_kind = NULL;
    CU_ASSERT_FATAL(z != NULL);
    CU_ASSERT(ss_peek(z, 0) != want[0]);
    for (int e = 1; e < 10; e++) CU_ASSERT_EQUAL(ss_peek(z, (size_t)e), want[e]);
    /* a reveal to party 3: the share party 1 sends it, flipped, moves element 0 by 2^-16 */
    S.tamper_kind = "share"; S.tamper_from = 1; S.tamper_to = 3;
    Tn *r = ss_reveal(&C, sx, 3, 0);
    S.tamper_kind = NULL;
    CU_ASSERT_FATAL(r != NULL);
    double d = fabs((double)r->data[0] - ss_decode(ss_peek(sx, 0), 16));
    CU_ASSERT(d > 0.5 / 65536 && d < 2.0 / 65536);
    for (int e = 1; e < 10; e++) TU_NEAR(r->data[e], ss_decode(ss_peek(sx, (size_t)e), 16), 1e-6);
    tn_free(r); ss_free(z); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
}

/* A frame that is not what the receiver expects is a clear error, never a crash. */
static void t_inbox_missing(void)
{
    setup(320);
    SsScheme sc = additive(2);
    uint64_t w[2] = { 1, 2 }, got[2];
    CU_ASSERT(ss__take(&C, 1, 2, "open", got, 2, NULL, 0, SS_SET) < 0);
    CU_ASSERT(strstr(C.err.msg, "expected a open message from party 1, none arrived") != NULL);
    CU_ASSERT(ss__post(&C, 1, 2, "open", w, 2, NULL, 0, "test") == 0);
    CU_ASSERT(ss__take(&C, 1, 2, "open", got, 3, NULL, 0, SS_SET) < 0);  /* wrong size */
    CU_ASSERT(strstr(C.err.msg, "16 bytes where 24 were expected") != NULL);
    CU_ASSERT(ss__post(&C, 1, 2, "share", w, 2, NULL, 0, "test") == 0);
    CU_ASSERT(ss__take(&C, 1, 2, "open", got, 2, NULL, 0, SS_SET) < 0);  /* wrong kind */
    CU_ASSERT(strstr(C.err.msg, "got a share message") != NULL);
    /* a stray frame makes a product fail; the round's other frames are dropped with it,
    ** so the same product right after is exact */
    Tn *x = randn(2, 2, 1);
    SsTensor *a = ss_share(&C, &sc, x, 1);
    CU_ASSERT(ss__post(&C, 1, 2, "open", w, 2, NULL, 0, "stray") == 0);
    SsTensor *z = ss_mul_raw(&C, a, a);
    CU_ASSERT(z == NULL);
    CU_ASSERT(strstr(C.err.msg, "16 bytes where 64 were expected") != NULL);
    z = ss_mul_raw(&C, a, a);
    CU_ASSERT_FATAL(z != NULL);
    for (size_t e = 0; e < 4; e++)
        CU_ASSERT_EQUAL(ss_peek(z, e), (int64_t)((uint64_t)ss_peek(a, e) * (uint64_t)ss_peek(a, e)));
    ss_free(z); ss_free(a); tn_free(x);
}

static void t_and(void)
{
    setup(60);
    SsScheme sc = additive(3);
    SsBits *x = ss_bits_new(&sc, 4), *y = ss_bits_new(&sc, 4);
    uint64_t xv[4] = { 0xF0F0, ~0ull, 0x1234567890ABCDEFull, 0 }, yv[4] = { 0xFF00, 0x8000000000000001ull, ~0ull, 5 };
    for (int e = 0; e < 4; e++) {
        x->w[1][e] = rng_u64(&R); x->w[2][e] = rng_u64(&R); x->w[0][e] = xv[e] ^ x->w[1][e] ^ x->w[2][e];
        y->w[1][e] = rng_u64(&R); y->w[0][e] = yv[e] ^ y->w[1][e];
    }
    size_t before = T.n;
    SsBits *z = ss_and(&C, x, y);
    uint64_t out[4];
    ss_bits_open(&C, z, out);
    for (int e = 0; e < 4; e++) CU_ASSERT_EQUAL(out[e], xv[e] & yv[e]);
    CU_ASSERT_EQUAL(out[0], 0xF000);
    /* dealer 3 messages + 6 openings (AND) + 6 openings (open) */
    CU_ASSERT_EQUAL(T.n - before, 3 + 6 + 6);
    ss_bits_free(x); ss_bits_free(y); ss_bits_free(z);
}

static void t_compare(void)
{
    for (int n = 2; n <= 5; n++) {
        setup(70 + n);
        SsScheme sc = additive(n);
        Tn *x = randn(10, 12, 100);
        x->data[0] = 0; x->data[1] = -1.0f / 65536; x->data[2] = 1.0f / 65536;
        x->data[3] = -30000; x->data[4] = 30000;
        SsTensor *s = ss_share(&C, &sc, x, 1);
        SsTensor *b = ss_ltz(&C, s);
        CU_ASSERT_FATAL(b != NULL);
        int bad = 0;
        for (size_t i = 0; i < x->size; i++) {
            int64_t v = ss_peek(b, i);
            if (v != (x->data[i] < 0)) bad++;
        }
        CU_ASSERT_EQUAL(bad, 0);
        SsTensor *d = NULL, *r = ss_relu(&C, s, &d);
        Tn *rr = ss_reveal(&C, r, 0, 0);
        for (size_t i = 0; i < x->size; i++) TU_NEAR(rr->data[i], x->data[i] > 0 ? x->data[i] : 0, 1e-4);
        for (size_t i = 0; i < x->size; i++) CU_ASSERT_EQUAL(ss_peek(d, i), x->data[i] >= 0);
        SsTensor *am = NULL, *mx = ss_max(&C, s, &am);
        CU_ASSERT_FATAL(mx != NULL);
        CU_ASSERT_EQUAL(mx->ndim, 1); CU_ASSERT_EQUAL(mx->shape[0], 10);
        Tn *rm = ss_reveal(&C, mx, 0, 0), *ra = ss_reveal(&C, am, 0, 0);
        for (int row = 0; row < 10; row++) {
            int bi = 0;
            for (int j = 1; j < 12; j++) if (x->data[row * 12 + j] > x->data[row * 12 + bi]) bi = j;
            TU_NEAR(rm->data[row], x->data[row * 12 + bi], 1e-4);
            TU_NEAR(ra->data[row], bi, 0);
        }
        tn_free(rr); tn_free(rm); tn_free(ra);
        ss_free(s); ss_free(b); ss_free(r); ss_free(d); ss_free(mx); ss_free(am); tn_free(x);
    }
}

static void t_compare_rounds(void)
{
    setup(80);
    SsScheme sc = additive(3);
    Tn *x = randn(2, 2, 1);
    SsTensor *s = ss_share(&C, &sc, x, 1);
    tr_clear(&T);
    SsTensor *b = ss_ltz(&C, s);
    /* one carry-save layer, one generate AND, six Kogge-Stone levels, one daBit opening */
    CU_ASSERT_EQUAL(tr_totals(&T, 1, -1, "online").rounds, 1 + 1 + 6 + 1);
    ss_free(b); ss_free(s); tn_free(x);
}

/* Max and argmax of known rows by each method: ties (the earliest index wins), negative
** values, the maximum first and last, differences of one ulp and of 60000, k = 1, 2, 10
** and 4096 (the tree; the pairwise layer would be 8 million comparisons a row). */
static void max_check(int n, int method, const float *v, int rows, int k, const float *want_max,
                      const int *want_arg)
{
    setup(200 + (uint64_t)method * 7 + (uint64_t)k);
    SsScheme sc = additive(n);
    Tn *x = tn_new(2, (int[]){ rows, k });
    memcpy(x->data, v, (size_t)rows * k * sizeof *v);
    SsTensor *s = ss_share(&C, &sc, x, 1), *am = NULL;
    SsTensor *mx = ss_max_by(&C, s, &am, method);
    CU_ASSERT_FATAL(mx != NULL && am != NULL);
    CU_ASSERT_EQUAL(mx->ndim, 1); CU_ASSERT_EQUAL(mx->shape[0], rows);
    for (int r = 0; r < rows; r++) {
        CU_ASSERT_EQUAL(ss_peek(mx, (size_t)r), ss_encode(want_max[r], 16, &(int){ 0 }));
        CU_ASSERT_EQUAL(ss_peek(am, (size_t)r), (int64_t)want_arg[r] << 16);
    }
    ss_free(s); ss_free(mx); ss_free(am); tn_free(x);
}

static void t_max_known(void)
{
    const float u = 1.0f / 65536;
    float r10[] = {
        3, 7, 7, 1, -2, 0, 7, 5, 6, 6.5f,                       /* ties: the first 7 */
        -5, -2.5f, -100, -3, -2.5f - u, -30000, -7, -9, -4, -2.75f,   /* all negative */
        9, 1, 2, 3, 4, 5, 6, 7, 8, 8.5f,                        /* first */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 9 + u,                       /* last, by one ulp */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                           /* all equal: index 0 */
        -30000, 30000, 0, u, -u, 29999, 1, 2, 3, 4,             /* far apart */
    };
    float m10[] = { 7, -2.5f, 9, 9 + u, 0, 30000 };
    int a10[] = { 1, 1, 0, 9, 0, 1 };
    float r2[] = { 1, 1, -1, 2, 3, -3, -u, 0 }, m2[] = { 1, 2, 3, 0 };
    int a2[] = { 0, 1, 0, 1 };
    float r1[] = { -4, 2.5f, 0 }, m1[] = { -4, 2.5f, 0 };
    int a1[] = { 0, 0, 0 };
    for (int method = SS_MAX_AUTO; method <= SS_MAX_TREE; method++)
        for (int n = 2; n <= 3; n++) {
            max_check(n, method, r10, 6, 10, m10, a10);
            max_check(n, method, r2, 4, 2, m2, a2);
            max_check(n, method, r1, 3, 1, m1, a1);
        }
    /* k = 4096 (auto: the tree), two rows: the maximum planted, once twice */
    float *big = malloc(2 * 4096 * sizeof *big);
    for (int i = 0; i < 2 * 4096; i++) big[i] = (float)((i * 7919 % 4096) - 3000) / 8;
    big[1234] = 700; big[4096 + 17] = 700; big[4096 + 4000] = 700;
    float mb[] = { 700, 700 };
    int ab[] = { 1234, 17 };
    max_check(2, SS_MAX_AUTO, big, 2, 4096, mb, ab);
    free(big);
}

/* Online rounds of a max over 10 classes: pairwise 7 + 4 + 1 with two parties (the sign
** bits, ceil(log2 9) AND rounds, the selecting round), one more with three (the
** carry-save layer); the tree 4 levels of 8. */
static void t_max_rounds(void)
{
    uint64_t want[2][2] = { { 12, 13 }, { 32, 36 } };
    for (int method = SS_MAX_PAIRWISE; method <= SS_MAX_TREE; method++)
        for (int n = 2; n <= 3; n++) {
            setup(300);
            SsScheme sc = additive(n);
            Tn *x = randn(4, 10, 5);
            SsTensor *s = ss_share(&C, &sc, x, 1);
            tr_clear(&T);
            SsTensor *m = ss_max_by(&C, s, NULL, method);
            CU_ASSERT_EQUAL(tr_totals(&T, 1, -1, "online").rounds, want[method - 1][n - 2]);
            ss_free(m); ss_free(s); tn_free(x);
        }
}

/* ReLU and max of untruncated values (a product's 32 fractional bits), the truncation in
** the selecting round: ReLU within one ulp of the truncated value's, in 8 rounds with two
** parties (no truncation round); max, argmax and the truncated input (ss__max_trunc) in
** the pairwise method's 12 rounds. */
static void t_select_trunc(void)
{
    for (int n = 2; n <= 3; n++) {
        setup(400 + (uint64_t)n);
        SsScheme sc = additive(n);
        Tn *x = randn(6, 10, 50);
        x->data[0] = 0; x->data[1] = -1.0f / 65536; x->data[2] = 3000; x->data[3] = -3000;
        for (int j = 0; j < 10; j++) x->data[50 + j] = 7;      /* a row of ties */
        SsTensor *s = ss_share(&C, &sc, x, 1);
        for (int i = 0; i < n; i++)                             /* 32 fractional bits, exact */
            for (size_t e = 0; e < s->size; e++) s->s[i][e] <<= 16;
        s->frac = 32;
        tr_clear(&T);
        SsTensor *d = NULL, *r = ss__relu_trunc(&C, s, 16, &d);
        CU_ASSERT_FATAL(r != NULL && d != NULL);
        CU_ASSERT_EQUAL(tr_totals(&T, 1, -1, "online").rounds, n == 2 ? 8 : 9);
        CU_ASSERT_EQUAL(r->frac, 16);
        int bad = 0;
        for (size_t i = 0; i < x->size; i++) {
            int64_t want = x->data[i] >= 0 ? ss_encode(x->data[i], 16, &(int){ 0 }) : 0;
            int64_t got = ss_peek(r, i);
            if (got != want && got != want + (want > 0)) bad++;
            if (ss_peek(d, i) != (x->data[i] >= 0)) bad++;
        }
        CU_ASSERT_EQUAL(bad, 0);
        tr_clear(&T);
        SsTensor *am = NULL, *at = NULL, *mx = ss__max_trunc(&C, s, &am, SS_MAX_AUTO, 16, &at);
        CU_ASSERT_FATAL(mx != NULL && at != NULL);
        CU_ASSERT_EQUAL(tr_totals(&T, 1, -1, "online").rounds, n == 2 ? 12 : 13);
        CU_ASSERT_EQUAL(mx->frac, 16); CU_ASSERT_EQUAL(at->frac, 16);
        for (size_t i = 0; i < x->size; i++) {
            int64_t want = ss_encode(x->data[i], 16, &(int){ 0 }), got = ss_peek(at, i);
            if (got != want && got != want + 1) bad++;
        }
        for (int row = 0; row < 6; row++) {
            int bi = 0;
            for (int j = 1; j < 10; j++) if (x->data[row * 10 + j] > x->data[row * 10 + bi]) bi = j;
            if (ss_peek(am, (size_t)row) != (int64_t)bi << 16) bad++;
            if (ss_peek(mx, (size_t)row) != ss_peek(at, (size_t)(row * 10 + bi))) bad++;
        }
        CU_ASSERT_EQUAL(bad, 0);
        ss_free(s); ss_free(r); ss_free(d); ss_free(mx); ss_free(am); ss_free(at); tn_free(x);
    }
}

static void t_poly(void)
{
    setup(90);
    SsScheme sc = additive(3);
    Tn *x = randn(8, 8, 4);
    SsTensor *s = ss_share(&C, &sc, x, 1);
    double c[4] = { 0.5, 0.25, 0, -1.0 / 48 };
    SsTensor *y = ss_poly(&C, s, c, 3);
    Tn *r = ss_reveal(&C, y, 0, 0);
    for (size_t i = 0; i < x->size; i++) {
        double v = x->data[i];
        TU_NEAR(r->data[i], 0.5 + 0.25 * v - v * v * v / 48, 1e-3);
    }
    double c0[1] = { 2 };
    SsTensor *k = ss_poly(&C, s, c0, 0);
    CU_ASSERT_EQUAL(ss_peek(k, 3), 2 * 65536);
    tn_free(r); ss_free(y); ss_free(k); ss_free(s); tn_free(x);
}

static void t_shamir_products(void)
{
    setup(95);
    int p[3] = { 1, 2, 3 };
    SsScheme sc;
    ss_scheme_shamir(&C, &sc, 3, p, 1, 16, 0);
    Tn *x = randn(3, 4, 5), *y = randn(4, 2, 5), *z = randn(3, 4, 5);
    SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2), *sz = ss_share(&C, &sc, z, 3);
    SsTensor *pm = ss_matmul(&C, sx, sy), *pe = ss_mul(&C, sx, sz), *ps = ss_mul_pub(&C, sx, z);
    CU_ASSERT_FATAL(pm && pe && ps);
    CU_ASSERT_EQUAL(pm->frac, 32);
    ss_drop(pm, 1);                                    /* still t + 1 = 2 shares */
    Tn *a = ss_reveal(&C, pm, 0, 0), *b = ss_reveal(&C, pe, 0, 0), *c = ss_reveal(&C, ps, 0, 0);
    CU_ASSERT_FATAL(a && b && c);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            double w = 0;
            for (int l = 0; l < 4; l++) w += (double)x->data[i * 4 + l] * y->data[l * 2 + j];
            TU_NEAR(a->data[i * 2 + j], w, 1e-3);
        }
    for (int i = 0; i < 12; i++) {
        TU_NEAR(b->data[i], (double)x->data[i] * z->data[i], 1e-3);
        TU_NEAR(c->data[i], (double)x->data[i] * z->data[i], 1e-3);
    }
    /* comparisons need additive shares */
    CU_ASSERT(ss_ltz(&C, sx) == NULL);
    CU_ASSERT(strstr(C.err.msg, "additive") != NULL);
    /* t = 2 of 3 cannot multiply (needs 2t + 1 = 5) */
    SsScheme s2;
    ss_scheme_shamir(&C, &s2, 3, p, 2, 16, 0);
    SsTensor *q = ss_share(&C, &s2, z, 1);
    CU_ASSERT(ss_mul(&C, q, q) == NULL);
    CU_ASSERT(strstr(C.err.msg, "2t+1 = 5") != NULL);
    tn_free(a); tn_free(b); tn_free(c);
    ss_free(pm); ss_free(pe); ss_free(ps); ss_free(sx); ss_free(sy); ss_free(sz); ss_free(q);
    tn_free(x); tn_free(y); tn_free(z);
}

static void t_dealerfree(void)
{
    setup(97);
    if (!ss_dealerfree_available()) return;
    int p[2] = { 1, 2 };
    SsScheme sc;
    CU_ASSERT_FATAL(ss_scheme_additive(&C, &sc, 2, p, 16, SS_NODEALER) == 0);
    sc.pai_bits = 256;                      /* a classroom key, for speed */
    Tn *x = randn(3, 4, 5), *y = randn(4, 2, 5);
    SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
    SsTensor *pm = ss_matmul(&C, sx, sy), *pe = ss_mul(&C, sx, sx);
    CU_ASSERT_FATAL(pm && pe);
    Tn *a = ss_reveal(&C, pm, 0, 0), *b = ss_reveal(&C, pe, 0, 0);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 2; j++) {
            double w = 0;
            for (int l = 0; l < 4; l++) w += (double)x->data[i * 4 + l] * y->data[l * 2 + j];
            TU_NEAR(a->data[i * 2 + j], w, 1e-3);
        }
    for (int i = 0; i < 12; i++) TU_NEAR(b->data[i], (double)x->data[i] * x->data[i], 1e-3);
    /* no dealer in the transcript: offline messages are ciphertexts between the two */
    for (size_t i = 0; i < T.n; i++) {
        CU_ASSERT(T.msgs[i].from == 1 || T.msgs[i].from == 2);
        CU_ASSERT(strcmp(T.msgs[i].kind, "triple") != 0);
    }
    CU_ASSERT(ss_ltz(&C, sx) == NULL);
    CU_ASSERT(strstr(C.err.msg, "dealer") != NULL);
    tn_free(a); tn_free(b);
    ss_free(pm); ss_free(pe); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
}

/* The digest of the key named in the transcript's Enc(a0), Enc(b0) message sent by
** `from`, or "" when there is none. */
static void key_in_transcript(int from, char out[9])
{
    out[0] = 0;
    for (size_t i = 0; i < T.n; i++) {
        const char *w = T.msgs[i].what, *k = w ? strstr(w, "-bit key ") : NULL;
        if (T.msgs[i].from != from || !w || !strstr(w, "Enc(a0), Enc(b0)") || !k) continue;
        snprintf(out, 9, "%.8s", k + strlen("-bit key "));
        CU_ASSERT(strstr(w, "2048-bit key") != NULL);
    }
}

/* Schemes [1, 2] and [2, 1] get two keys, each held by the scheme's party 0 (the one that
** decrypts), 2048 bits by default; another scheme over [1, 2] gets a key of its own. */
static void t_dealerfree_keys(void)
{
    setup(98);
    if (!ss_dealerfree_available()) return;
    int p12[2] = { 1, 2 }, p21[2] = { 2, 1 };
    SsScheme a, b;
    CU_ASSERT_FATAL(ss_scheme_additive(&C, &a, 2, p12, 16, SS_NODEALER) == 0);
    CU_ASSERT_FATAL(ss_scheme_additive(&C, &b, 2, p21, 16, SS_NODEALER) == 0);
    a.pai_key = ss_pai_new_key(K);
    b.pai_key = ss_pai_new_key(K);
    int sh[1] = { 1 };
    Tn *x = tn_new(1, sh);
    x->data[0] = 1.5f;
    SsTensor *xa = ss_share(&C, &a, x, 1), *xb = ss_share(&C, &b, x, 2);
    SsTensor *ya = ss_mul(&C, xa, xa), *yb = ss_mul(&C, xb, xb);
    CU_ASSERT_FATAL(ya && yb);
    Tn *ra = ss_reveal(&C, ya, 0, 0), *rb = ss_reveal(&C, yb, 0, 0);
    TU_NEAR(ra->data[0], 2.25, 1e-3);
    TU_NEAR(rb->data[0], 2.25, 1e-3);
    char ka[9], kb[9];
    key_in_transcript(1, ka);               /* party 1 encrypts under its key for [1, 2] */
    key_in_transcript(2, kb);               /* party 2 under its own for [2, 1] */
    CU_ASSERT(ka[0] && kb[0]);
    CU_ASSERT(strcmp(ka, kb) != 0);
    int holder = 0;
    unsigned bits = 0;
    char dg[17];
    CU_ASSERT_FATAL(ss_pai_key_info(&C, &a, &holder, &bits, dg) == 0);
    CU_ASSERT_EQUAL(holder, 1);
    CU_ASSERT(bits >= 2048);
    CU_ASSERT(strncmp(dg, ka, 8) == 0);
    CU_ASSERT_FATAL(ss_pai_key_info(&C, &b, &holder, &bits, dg) == 0);
    CU_ASSERT_EQUAL(holder, 2);
    CU_ASSERT(strncmp(dg, kb, 8) == 0);
    SsScheme a2 = a;                        /* a copy of the scheme: the same key */
    CU_ASSERT_FATAL(ss_pai_key_info(&C, &a2, &holder, &bits, dg) == 0);
    CU_ASSERT(holder == 1 && strncmp(dg, ka, 8) == 0);
    a2.pai_key = ss_pai_new_key(K);         /* another scheme over [1, 2]: a key of its own */
    a2.pai_bits = 512;
    CU_ASSERT_FATAL(ss_pai_key_info(&C, &a2, &holder, &bits, dg) == 0);
    CU_ASSERT(holder == 1 && bits == 512 && strncmp(dg, ka, 8) != 0);
    /* another ring (another interpreter's) has not got that key: it makes its own */
    char d512[17];
    memcpy(d512, dg, sizeof dg);
    C.pai_keys = ss_pai_keys_new();
    CU_ASSERT_EQUAL(ss_pai_new_key(C.pai_keys), 1);     /* its own numbering */
    CU_ASSERT_FATAL(ss_pai_key_info(&C, &a2, &holder, &bits, dg) == 0);
    CU_ASSERT(holder == 1 && bits == 512 && strcmp(dg, d512) != 0);
    ss_pai_keys_free(C.pai_keys);
    C.pai_keys = NULL;                      /* and without a ring, no key at all */
    CU_ASSERT(ss_pai_key_info(&C, &a2, &holder, &bits, dg) == -1);
    CU_ASSERT(strstr(C.err.msg, "key ring") != NULL);
    C.pai_keys = K;
    a2.pai_bits = 255;                      /* a size that cannot be a key */
    CU_ASSERT(ss_pai_key_info(&C, &a2, &holder, &bits, dg) == -1);
    CU_ASSERT(strstr(C.err.msg, "256 and 8192") != NULL);
    tn_free(x); tn_free(ra); tn_free(rb);
    ss_free(xa); ss_free(xb); ss_free(ya); ss_free(yb);
}

static void t_mm_kernel(void)
{
    setup(99);
    int m = 37, k = 300, n = 29;
    uint64_t *A = ss__words((size_t)m * k), *B = ss__words((size_t)k * n), *Cm = ss__words((size_t)m * n);
    ss__rnd(&C, A, (size_t)m * k); ss__rnd(&C, B, (size_t)k * n);
    ss_mm_u64(A, B, Cm, m, k, n, 0, 3);
    int bad = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            uint64_t w = 0;
            for (int l = 0; l < k; l++) w += A[i * k + l] * B[l * n + j];
            if (w != Cm[i * n + j]) bad++;
        }
    CU_ASSERT_EQUAL(bad, 0);
    ss__wipe_free(A, (size_t)m * k); ss__wipe_free(B, (size_t)k * n); ss__wipe_free(Cm, (size_t)m * n);
}

static void t_prg(void)
{
    uint32_t key[8] = { 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c,
                        0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c };
    unsigned char fast[64 * 37], slow[64];
    rng_chacha20_blocks(key, 1, 0x4a000000, fast, 37);
    int bad = 0;
    for (int b = 0; b < 37; b++) {
        rng_chacha20_block(key, 1 + (uint64_t)b, 0x4a000000, slow);
        if (memcmp(slow, fast + 64 * b, 64) != 0) bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* a request big enough to be split over two threads gives the same bytes */
    size_t nb = 10000;
    unsigned char *big = malloc(64 * nb);
    rng_chacha20_blocks(key, 5, 7, big, nb);
    bad = 0;
    for (size_t b = 0; b < nb; b += 997) {
        rng_chacha20_block(key, 5 + b, 7, slow);
        if (memcmp(slow, big + 64 * b, 64) != 0) bad++;
    }
    rng_chacha20_block(key, 5 + nb - 1, 7, slow);
    CU_ASSERT(memcmp(slow, big + 64 * (nb - 1), 64) == 0);
    CU_ASSERT_EQUAL(bad, 0);
    free(big);
    /* RFC 8439, 2.4.2: the first keystream bytes for this key, nonce 00:00:00:4a, ctr 1 */
    CU_ASSERT_EQUAL(fast[0], 0x22); CU_ASSERT_EQUAL(fast[1], 0x4f); CU_ASSERT_EQUAL(fast[2], 0x51);
}

/* Across processes (C.self set) the other parties' steps run on stand-ins: their local
** arithmetic is skipped (a stand-in's share of a product stays zero), while every frame
** keeps its kind, size and round, so the transcript equals the full run's. */
static Rng own_rng[4];
static Rng *own_gen(void *u, int party) { (void)u; return &own_rng[party == 99 ? 3 : party]; }

static void t_standin_skip(void)
{
    TrTotals full[3], solo[3];
    for (int pass = 0; pass < 2; pass++) {
        setup(77);
        for (int i = 0; i < 4; i++) rng_seed(&own_rng[i], 500 + (uint64_t)i);
        C.party_rng = own_gen;
        C.no_sim_check = 1;
        SsScheme sc = additive(2);
        Tn *x = randn(6, 5, 1), *y = randn(5, 3, 1);
        SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
        CU_ASSERT_FATAL(sx && sy);
        C.self = pass ? 1 : 0;                  /* the second pass: party 1's process */
        SsTensor *z = ss_matmul(&C, sx, sy), *r = z ? ss_relu(&C, z, NULL) : NULL;
        CU_ASSERT_FATAL(r != NULL);
        size_t zeros = 0;
        for (size_t e = 0; e < z->size; e++) zeros += z->s[1][e] == 0;
        if (pass) { CU_ASSERT_EQUAL(zeros, z->size); }      /* party 2's step: skipped */
        else { CU_ASSERT(zeros < z->size); }
        TrTotals *t = pass ? solo : full;
        t[0] = tr_totals(&T, 1, -1, NULL); t[1] = tr_totals(&T, 2, -1, NULL);
        t[2] = tr_totals(&T, 99, -1, NULL);
        ss_free(z); ss_free(r); ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);
    }
    for (int k = 0; k < 3; k++) {
        CU_ASSERT_EQUAL(solo[k].msgs, full[k].msgs);
        CU_ASSERT_EQUAL(solo[k].bytes, full[k].bytes);
        CU_ASSERT_EQUAL(solo[k].rounds, full[k].rounds);
    }
    for (int i = 0; i < 4; i++) rng_wipe(&own_rng[i]);
}

int main(void)
{
    int rc = tu_main("rt_ss", (TU_Test[]){
        { .name = "fixed-point encoding", .fn = t_encode },
        { .name = "scheme parameters", .fn = t_schemes },
        { .name = "additive share and reveal", .fn = t_additive_roundtrip },
        { .name = "Shamir: every threshold set", .fn = t_shamir_subsets },
        { .name = "Shamir: known answer and dropout", .fn = t_shamir_dropout_known },
        { .name = "linear operations", .fn = t_linear },
        { .name = "shape errors", .fn = t_shape_error },
        { .name = "Beaver products", .fn = t_products },
        { .name = "truncation error bound", .fn = t_trunc_bound },
        { .name = "overflow is reported", .fn = t_overflow },
        { .name = "transcript counts", .fn = t_cost },
        { .name = "parties continue from their inbox (poisoned operands)", .fn = t_inbox_only },
        { .name = "parties continue from their inbox (tampered frames)", .fn = t_inbox_tamper },
        { .name = "an unexpected frame is an error", .fn = t_inbox_missing },
        { .name = "AND triples", .fn = t_and },
        { .name = "comparison, relu, max, argmax", .fn = t_compare },
        { .name = "comparison rounds", .fn = t_compare_rounds },
        { .name = "max and argmax: known answers, both methods", .fn = t_max_known },
        { .name = "max rounds: pairwise and tree", .fn = t_max_rounds },
        { .name = "relu and max of untruncated values", .fn = t_select_trunc },
        { .name = "polynomials", .fn = t_poly },
        { .name = "Shamir products", .fn = t_shamir_products },
        { .name = "dealer-free triples (Paillier)", .fn = t_dealerfree },
        { .name = "dealer-free triples: one key per scheme, held by its party 0", .fn = t_dealerfree_keys },
        { .name = "ring matrix kernel", .fn = t_mm_kernel },
        { .name = "bulk ChaCha20 equals rng.h's", .fn = t_prg },
        { .name = "a stand-in party's steps are skipped, its frames kept", .fn = t_standin_skip },
        { .name = NULL, .fn = NULL } });
    msg_free(&M);
    tr_free(&T);
    rng_wipe(&R);
    ss_pai_keys_free(K);
    return rc;
}
