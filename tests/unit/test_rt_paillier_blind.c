/*
** test_rt_paillier_blind.c — the blinded round trips of paillier_blind.c, tested from the
** keyholder's seat: with the private key, recover the noise r^n of every ciphertext the
** keyholder receives (c = (1 + m n) r^n mod n^2, so r^n = c (1 - m n) mod n^2) and check
** that it is fresh — not the operand's noise, not a power of the noise of a ciphertext
** the keyholder made (the attack that read x = 37 out of E(w)^x E(1)), different on every
** call — then that masks are sized from the true bound, and that what cannot fit is
** refused before anything is sent.
*/
#include "tu.h"
#include "paillier.h"
#include "message.h"
#include "wire.h"
#include "capture.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAIKEY_SEED 20261128
#include "paikey.h"

/* What crosses: a capturing transport (capture.h) under a message layer.  Parties:
** T = 1, K = 2. */
enum { T = 1, K = 2 };

/* A layer over a capturing transport; *cap borrows the transport (the layer owns it). */
typedef struct Seen { Tr tr; Msg msg; Capture *cap; PaiLink link; } Seen;

static void seen_init(Seen *s)
{
    memset(s, 0, sizeof *s);
    tr_init(&s->tr);
    s->cap = capture_new();
    msg_init(&s->msg, &s->tr, &s->cap->t);
    s->link = (PaiLink){ .msg = &s->msg, .T = T, .K = K, .rng_t = &R, .rng_k = &R, .label = "test" };
}

static void seen_free(Seen *s)
{
    msg_free(&s->msg);
    tr_free(&s->tr);
}

/* Decodes captured frame i as its receiver would: the ciphertext lists in it into v[0..)
** (two for a product's operands, else one).  Returns how many lists it held. */
static int frame_vecs(const Seen *s, int i, PaiVec **v)
{
    WireR r;
    WireHdr h;
    const msgpack_object *p;
    wire_r_init(&r, "test");
    CU_ASSERT_FATAL(wire_open_frame(&r, s->cap->buf[i], s->cap->len[i], &h, &p));
    CU_ASSERT_STRING_EQUAL(h.kind, "ciphertext");
    CU_ASSERT_EQUAL(h.from, s->cap->from[i]);
    CU_ASSERT_EQUAL(h.to, s->cap->to[i]);
    const msgpack_object *items = p;
    int got = 1;
    if (p->type == MSGPACK_OBJECT_ARRAY && p->via.array.size && p->via.array.ptr[0].type == MSGPACK_OBJECT_ARRAY) {
        got = (int)p->via.array.size;
        items = p->via.array.ptr;
    }
    CU_ASSERT_FATAL(got >= 1 && got <= 2);
    for (int j = 0; j < got; j++) {
        size_t n = items[j].via.array.size;
        v[j] = pai_vec_new(n);
        CU_ASSERT(wire_get_residues(&r, &items[j], v[j]->c, n, (2 * PUB.bits + 7) / 8));
    }
    wire_r_free(&r);
    return got;
}

/* The keyholder's reading of a ciphertext: its noise r^n mod n^2. */
static void noise_of(mpz_t rn, const mpz_t c)
{
    mpz_t m; mpz_init(m);
    CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, m, c, NULL), RT_OK);
    mpz_mul(m, m, PUB.n);                   /* 1 - m n */
    mpz_ui_sub(m, 1, m);
    mpz_mod(m, m, PUB.n2);
    mpz_mul(rn, c, m);
    mpz_mod(rn, rn, PUB.n2);
    mpz_clear(m);
}

/* The attack: the k in [0, 200) with noise == base^k, or -1. */
static int dlog_small(const mpz_t noise, const mpz_t base)
{
    mpz_t t; mpz_init_set_ui(t, 1);
    int found = -1;
    for (int k = 0; k < 200 && found < 0; k++) {
        if (mpz_cmp(t, noise) == 0) found = k;
        mpz_mul(t, t, base); mpz_mod(t, t, PUB.n2);
    }
    mpz_clear(t);
    return found;
}

/* T's operand: E(w)^37 E(+1) elementwise, from a ciphertext E(w) = (1 + w n) rho^n that
** the keyholder made (so it knows rho^n); bound and exponent as lib_he would track them. */
static PaiVec *operand(size_t n, mpz_t rhon, long w)
{
    mpz_t m, rho, c, k; mpz_inits(m, rho, c, k, NULL);
    mpz_set_ui(rho, 123456789);
    mpz_powm(rhon, rho, PUB.n, PUB.n2);
    mpz_set_si(m, w);
    pai_encrypt_r(&PUB, c, m, rho);
    PaiVec *v = pai_vec_new(n);
    for (size_t i = 0; i < n; i++) {
        mpz_set_ui(k, 37);
        pai_mul_plain(&PUB, v->c[i], c, k);
        mpz_set_ui(k, 1);
        pai_add_plain(&PUB, v->c[i], v->c[i], k);
    }
    v->lbound = log2(37.0 * (double)w + 1) + 1e-9;
    mpz_clears(m, rho, c, k, NULL);
    return v;
}

static void decrypt_ints(long *out, const PaiVec *v)
{
    mpz_t *X = malloc(v->n * sizeof *X);
    for (size_t i = 0; i < v->n; i++) mpz_init(X[i]);
    CU_ASSERT_EQUAL(pai_vec_decrypt_int(X, &PUB, &PRIV, v, NULL, NULL), RT_OK);
    for (size_t i = 0; i < v->n; i++) { out[i] = mpz_get_si(X[i]); mpz_clear(X[i]); }
    free(X);
}

/* Every ciphertext K received in s (decoded from the frames that reached it): noise
** differs from the operand's, the attack finds nothing, and no two received noises are
** equal (across calls too: `all`). */
static void check_fresh(const Seen *s, const mpz_t opnoise, const mpz_t rhon, mpz_t *all,
                        size_t *nall)
{
    mpz_t rn; mpz_init(rn);
    int got = 0;
    for (int i = 0; i < s->cap->n; i++) {
        if (s->cap->to[i] != K) continue;
        got = 1;
        PaiVec *v[2] = { NULL, NULL };
        int k = frame_vecs(s, i, v);
        for (int q = 0; q < k; q++)
            for (size_t j = 0; j < v[q]->n; j++) {
                noise_of(rn, v[q]->c[j]);
                CU_ASSERT(mpz_cmp(rn, opnoise) != 0);
                CU_ASSERT_EQUAL(dlog_small(rn, rhon), -1);     /* x = 37 does not fall out */
                for (size_t u = 0; u < *nall; u++) CU_ASSERT(mpz_cmp(rn, all[u]) != 0);
                mpz_init_set(all[(*nall)++], rn);
            }
        pai_vec_free(v[0]); pai_vec_free(v[1]);
    }
    CU_ASSERT(got);
    mpz_clear(rn);
}

static void product_noise_is_fresh(void)
{
    setup_key();
    mpz_t rhon, opnoise; mpz_inits(rhon, opnoise, NULL);
    PaiVec *x = operand(2, rhon, 5);
    noise_of(opnoise, x->c[0]);
    /* the unprotected protocol would leak: the operand's own noise is rho^(37 n) */
    CU_ASSERT_EQUAL(dlog_small(opnoise, rhon), 37);
    size_t ix[2] = { 0, 1 }, iy[2] = { 1, 0 };
    mpz_t all[16];
    size_t nall = 0;
    for (int call = 0; call < 2; call++) {
        Seen s;
        seen_init(&s);
        PaiVec *r = NULL, *v[2] = { NULL, NULL };
        CU_ASSERT_EQUAL_FATAL(pai_blind_product(&r, &PUB, &PRIV, x, ix, x, iy, 1, 2, NAN, 0,
                                                NULL, &s.link, NULL), RT_OK);
        CU_ASSERT_EQUAL(s.cap->n, 2);                       /* T -> K, then K -> T */
        CU_ASSERT(s.cap->from[0] == T && s.cap->to[0] == K && s.cap->from[1] == K && s.cap->to[1] == T);
        CU_ASSERT_EQUAL(frame_vecs(&s, 0, v), 2);           /* both operands, one message */
        CU_ASSERT(v[0]->n == 2 && v[1]->n == 2);
        pai_vec_free(v[0]); pai_vec_free(v[1]);
        check_fresh(&s, opnoise, rhon, all, &nall);
        long out[2];
        decrypt_ints(out, r);
        CU_ASSERT_EQUAL(out[0], 186 * 186);
        CU_ASSERT_EQUAL(out[1], 186 * 186);
        pai_vec_free(r);
        seen_free(&s);
    }
    CU_ASSERT_EQUAL(nall, 8);
    for (size_t q = 0; q < nall; q++) mpz_clear(all[q]);
    pai_vec_free(x);
    mpz_clears(rhon, opnoise, NULL);
}

static void rescale_noise_is_fresh(void)
{
    setup_key();
    mpz_t rhon, opnoise; mpz_inits(rhon, opnoise, NULL);
    PaiVec *x = operand(3, rhon, 1000);                     /* 37001 at exponent -1 */
    x->exp = -1;
    noise_of(opnoise, x->c[0]);
    mpz_t all[16];
    size_t nall = 0;
    for (int call = 0; call < 2; call++) {
        Seen s;
        seen_init(&s);
        PaiVec *r = NULL;
        CU_ASSERT_EQUAL_FATAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 0, NAN, 0, NULL, &s.link, NULL), RT_OK);
        CU_ASSERT_EQUAL(s.cap->n, 2);
        check_fresh(&s, opnoise, rhon, all, &nall);
        long out[3];
        decrypt_ints(out, r);
        for (int i = 0; i < 3; i++) CU_ASSERT(out[i] == 37001 / 16 || out[i] == 37001 / 16 + 1);
        CU_ASSERT_EQUAL(r->exp, 0);
        pai_vec_free(r);
        seen_free(&s);
    }
    for (size_t q = 0; q < nall; q++) mpz_clear(all[q]);
    pai_vec_free(x);
    mpz_clears(rhon, opnoise, NULL);
}

/* K's view of masked values X = x + r for x near 2^140: the masks must be sized from the
** true bound (141 bits + 40), so X reaches far past x's own size. */
static void masks_follow_true_bound(void)
{
    setup_key();
    PaiVec *x = pai_vec_new(8);
    mpz_t m; mpz_init(m);
    mpz_ui_pow_ui(m, 2, 140);
    for (size_t i = 0; i < 8; i++) pai_encrypt(&PUB, x->c[i], m, &R);
    x->lbound = 140.0 + 1e-9;
    Seen s;
    seen_init(&s);
    PaiVec *r = NULL, *got[2] = { NULL, NULL };
    CU_ASSERT_EQUAL_FATAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 8, NAN, 0, NULL, &s.link, NULL), RT_OK);
    CU_ASSERT_EQUAL_FATAL(frame_vecs(&s, 0, got), 1);
    size_t maxbits = 0;
    for (size_t i = 0; i < got[0]->n; i++) {
        CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, m, got[0]->c[i], NULL), RT_OK);
        size_t b = mpz_sizeinbase(m, 2);
        if (b > maxbits) maxbits = b;
        CU_ASSERT(b <= 141 + PAI_MASK_SLACK + 1);
    }
    CU_ASSERT(maxbits >= 141 + PAI_MASK_SLACK - 4);     /* 8 draws: fails with odds 2^-32 */
    /* the result's bound follows: 2^(140 - 32) + 1 */
    CU_ASSERT(r->lbound > 108 && r->lbound < 108.01);
    pai_vec_free(r); pai_vec_free(got[0]); seen_free(&s);
    pai_vec_free(x);
    mpz_clear(m);
}

/* Refusals come before any message: unknown bound, masks too wide, result too wide; a
** stated bound is used and checked by the keyholder. */
static void refusals_before_sending(void)
{
    RtErr err;
    setup_key();
    mpz_t m; mpz_init(m);
    PaiVec *x = pai_vec_new(1), *r = NULL;
    mpz_set_ui(m, 3);
    pai_encrypt(&PUB, x->c[0], m, &R);
    size_t i0 = 0;
    Seen s;
    seen_init(&s);
    x->lbound = NAN;                                        /* read from a file */
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, NAN, 0, NULL, &s.link, &err),
                    RT_EBOUND);
    CU_ASSERT_EQUAL(err.code, RT_EBOUND);
    x->lbound = PUB.max_int_log2 - PAI_MASK_SLACK;          /* the mask cannot fit */
    CU_ASSERT_EQUAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 8, NAN, 0, NULL, &s.link, &err), RT_EMASK);
    CU_ASSERT_EQUAL(err.code, RT_EMASK);
    x->lbound = 300;                                        /* 600 bits > 510 */
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, NAN, 0, NULL, &s.link, &err),
                    RT_EOVERFLOW);
    CU_ASSERT_EQUAL(err.code, RT_EOVERFLOW);
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, NAN, 1, NULL, &s.link, &err),
                    RT_EOVERFLOW);
    CU_ASSERT_EQUAL(err.code, RT_EOVERFLOW);
    CU_ASSERT_EQUAL(s.cap->n, 0);
    CU_ASSERT_EQUAL(s.tr.n, 0);
    CU_ASSERT(r == NULL);
    /* a stated bound: |x| <= 4 holds, the product is exact, its bound is guaranteed */
    x->lbound = NAN;
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, 4, 0, NULL, &s.link, NULL),
                    RT_OK);
    long out;
    decrypt_ints(&out, r);
    CU_ASSERT_EQUAL(out, 9);
    CU_ASSERT(r->lbound <= 2 * (3 + PAI_MASK_SLACK + 1) + 1e-6);
    pai_vec_free(r); r = NULL;
    x->lbound = 5;                          /* a tracked bound below what the check gives */
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, 4, 0, NULL, &s.link, NULL),
                    RT_OK);
    CU_ASSERT(r->lbound <= 10 + 1e-6);
    pai_vec_free(r); r = NULL;
    /* ... and one that x breaks grossly is caught by the keyholder */
    mpz_ui_pow_ui(m, 2, 100);
    pai_encrypt(&PUB, x->c[0], m, &R);
    CU_ASSERT_EQUAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 4, 4, 0, NULL, &s.link, &err), RT_ECLAIM);
    CU_ASSERT_EQUAL(err.code, RT_ECLAIM);
    CU_ASSERT_EQUAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 4, 4, 1, NULL, &s.link, &err), RT_ECLAIM);
    CU_ASSERT_EQUAL(err.code, RT_ECLAIM);
    CU_ASSERT(r == NULL);
    seen_free(&s);
    pai_vec_free(x);
    mpz_clear(m);
}

/* Direct (T is a keyholder): exact, nothing sent. */
static void direct_sends_nothing(void)
{
    setup_key();
    mpz_t rhon; mpz_init(rhon);
    PaiVec *x = operand(1, rhon, 2), *r = NULL;
    size_t i0 = 0;
    Seen s;
    seen_init(&s);
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, NAN, 1, NULL, &s.link, NULL),
                    RT_OK);
    long out;
    decrypt_ints(&out, r);
    CU_ASSERT_EQUAL(out, 75 * 75);
    CU_ASSERT_EQUAL(s.cap->n, 0);
    CU_ASSERT_EQUAL(s.tr.n, 0);
    seen_free(&s);
    pai_vec_free(r); pai_vec_free(x);
    mpz_clear(rhon);
}

/* The size of frame i re-encoded from what it carried (envelope, the lists). */
static size_t reencoded(const Seen *s, int i)
{
    PaiVec *v[2] = { NULL, NULL };
    int k = frame_vecs(s, i, v);
    WireW w;
    wire_w_init(&w);
    wire_put_envelope(&w, &(WireHdr){ .kind = "ciphertext", .from = s->cap->from[i], .to = s->cap->to[i] });
    if (k == 2) wire_put_array(&w, 2);
    for (int j = 0; j < k; j++) wire_put_residues(&w, v[j]->c, v[j]->n, (2 * PUB.bits + 7) / 8);
    size_t len;
    free(wire_w_take(&w, &len));
    wire_w_free(&w);
    pai_vec_free(v[0]); pai_vec_free(v[1]);
    return len;
}

/* The transcript counts the frames' real sizes (what re-encoding their contents gives,
** and wire.h's formula); a product is exactly 2 rounds (T -> K, then K -> T in the next),
** a rescale 2 more, and the receiver of each frame is the party it was meant for. */
static void frames_are_real_two_rounds(void)
{
    setup_key();
    mpz_t rhon; mpz_init(rhon);
    PaiVec *x = operand(3, rhon, 5), *p = NULL, *q = NULL;
    size_t ix[3] = { 0, 1, 2 }, iy[3] = { 2, 1, 0 };
    Seen s;
    seen_init(&s);
    CU_ASSERT_EQUAL_FATAL(pai_blind_product(&p, &PUB, &PRIV, x, ix, x, iy, 1, 3, NAN, 0, NULL,
                                            &s.link, NULL), RT_OK);
    CU_ASSERT_EQUAL_FATAL(s.tr.n, 2);
    CU_ASSERT_EQUAL(tr_rounds(&s.tr), 2);
    CU_ASSERT_EQUAL(s.tr.msgs[0].round, 1);
    CU_ASSERT_EQUAL(s.tr.msgs[1].round, 2);
    CU_ASSERT(s.tr.msgs[0].from == T && s.tr.msgs[0].to == K);
    CU_ASSERT(s.tr.msgs[1].from == K && s.tr.msgs[1].to == T);
    uint64_t env = wire_size_envelope("ciphertext"), ct = wire_size_mpz_vec(3, 2 * PUB.bits);
    CU_ASSERT_EQUAL(s.tr.msgs[0].bytes, s.cap->len[0]);
    CU_ASSERT_EQUAL(s.tr.msgs[1].bytes, s.cap->len[1]);
    CU_ASSERT_EQUAL(s.tr.msgs[0].bytes, reencoded(&s, 0));
    CU_ASSERT_EQUAL(s.tr.msgs[1].bytes, reencoded(&s, 1));
    CU_ASSERT_EQUAL(s.tr.msgs[0].bytes, env + wire_size_array(2) + 2 * ct);
    CU_ASSERT_EQUAL(s.tr.msgs[1].bytes, env + ct);
    CU_ASSERT(s.tr.msgs[0].bytes > 2 * 3 * (2 * PUB.bits / 8));   /* more than the raw residues */
    /* nothing is left undelivered */
    uint8_t *b; size_t n;
    CU_ASSERT_EQUAL(msg_receive(&s.msg, T, K, &b, &n), -1);
    CU_ASSERT_EQUAL(msg_receive(&s.msg, K, T, &b, &n), -1);
    long out[3];
    decrypt_ints(out, p);
    CU_ASSERT(out[0] == 186 * 186 && out[1] == 186 * 186 && out[2] == 186 * 186);
    CU_ASSERT_EQUAL_FATAL(pai_blind_rescale(&q, &PUB, &PRIV, p, 1, NAN, 0, NULL, &s.link, NULL), RT_OK);
    CU_ASSERT_EQUAL_FATAL(s.tr.n, 4);
    CU_ASSERT_EQUAL(tr_rounds(&s.tr), 4);
    CU_ASSERT(s.tr.msgs[2].round == 3 && s.tr.msgs[3].round == 4);
    CU_ASSERT(s.tr.msgs[2].bytes == s.cap->len[2] && s.tr.msgs[2].bytes == reencoded(&s, 2));
    CU_ASSERT(s.tr.msgs[3].bytes == s.cap->len[3] && s.tr.msgs[3].bytes == env + ct);
    decrypt_ints(out, q);
    for (int i = 0; i < 3; i++) CU_ASSERT(out[i] == 186 * 186 / 16 || out[i] == 186 * 186 / 16 + 1);
    seen_free(&s);
    pai_vec_free(p); pai_vec_free(q); pai_vec_free(x);
    mpz_clear(rhon);
}

/* A frame that is not what the protocol expects is refused by its receiver, never read
** past: K gets bytes that are not a list of residues. */
static void truncate_payload(Capture *c, int from, int to, uint8_t *buf, size_t *len, void *ctx)
{
    (void)c; (void)from; (void)to; (void)ctx;
    if (*len > 40) buf[*len - 3] ^= 0xff, *len -= 20;
}

static void malformed_frame_refused(void)
{
    RtErr err;
    setup_key();
    mpz_t rhon; mpz_init(rhon);
    PaiVec *x = operand(2, rhon, 5), *p = NULL;
    size_t ix[2] = { 0, 1 };
    Seen s;
    seen_init(&s);
    s.cap->tamper = truncate_payload;
    CU_ASSERT_EQUAL(pai_blind_product(&p, &PUB, &PRIV, x, ix, x, ix, 1, 2, NAN, 0, NULL, &s.link, &err),
                    RT_EFORMAT);
    CU_ASSERT_EQUAL(err.code, RT_EFORMAT);
    CU_ASSERT(p == NULL);
    /* what was kept is what K received: the shortened frame, which does not open */
    CU_ASSERT_EQUAL_FATAL(s.cap->n, 1);
    WireR r;
    WireHdr h;
    const msgpack_object *o;
    wire_r_init(&r, "test");
    CU_ASSERT(!wire_open_frame(&r, s.cap->buf[0], s.cap->len[0], &h, &o));
    wire_r_free(&r);
    seen_free(&s);
    pai_vec_free(x);
    mpz_clear(rhon);
}

/* A process that only stands in for the keyholder (priv NULL) follows K's steps without
** the key: its frames have the kinds, parties and sizes of the keyholder's own, and the
** result decrypts to what zeros give (the stand-in's plaintexts). */
static void standin_keyholder_frames(void)
{
    setup_key();
    mpz_t rhon; mpz_init(rhon);
    PaiVec *x = operand(2, rhon, 5);
    size_t ix[2] = { 0, 1 }, iy[2] = { 1, 0 };
    Seen real, stand;
    seen_init(&real); seen_init(&stand);
    PaiVec *r1 = NULL, *r2 = NULL;
    CU_ASSERT_EQUAL_FATAL(pai_blind_product(&r1, &PUB, &PRIV, x, ix, x, iy, 1, 2, NAN, 0, NULL, &real.link, NULL), RT_OK);
    CU_ASSERT_EQUAL_FATAL(pai_blind_product(&r2, &PUB, NULL, x, ix, x, iy, 1, 2, NAN, 0, NULL, &stand.link, NULL), RT_OK);
    CU_ASSERT_EQUAL_FATAL(real.cap->n, stand.cap->n);
    for (int i = 0; i < real.cap->n; i++) {
        CU_ASSERT_EQUAL(real.cap->len[i], stand.cap->len[i]);
        CU_ASSERT(real.cap->from[i] == stand.cap->from[i] && real.cap->to[i] == stand.cap->to[i]);
        CU_ASSERT_EQUAL(real.tr.msgs[i].bytes, stand.tr.msgs[i].bytes);
    }
    long out[2];
    decrypt_ints(out, r2);
    CU_ASSERT(out[0] != 186 * 186);         /* the stand-in never decrypted the operands */
    pai_vec_free(r1); pai_vec_free(r2);
    PaiVec *q = NULL;
    x->exp = -1;
    Seen st2; seen_init(&st2);
    CU_ASSERT_EQUAL(pai_blind_rescale(&q, &PUB, NULL, x, 0, NAN, 0, NULL, &st2.link, NULL), RT_OK);
    CU_ASSERT_EQUAL(st2.cap->n, 2);
    pai_vec_free(q);
    seen_free(&st2); seen_free(&real); seen_free(&stand);
    pai_vec_free(x);
    mpz_clear(rhon);
}

int main(void)
{
    static const TU_Test tests[] = {
        { .name = "blinded product: the keyholder receives fresh noise", .fn = product_noise_is_fresh },
        { .name = "blinded rescale: the keyholder receives fresh noise", .fn = rescale_noise_is_fresh },
        { .name = "masks are sized from the true bound", .fn = masks_follow_true_bound },
        { .name = "refusals before anything is sent; stated bounds", .fn = refusals_before_sending },
        { .name = "direct at a keyholder: exact, nothing sent", .fn = direct_sends_nothing },
        { .name = "real frames: recorded sizes are theirs; 2 rounds a round trip", .fn = frames_are_real_two_rounds },
        { .name = "a malformed frame is refused by its receiver", .fn = malformed_frame_refused },
        { .name = "a stand-in keyholder (no key): the same frames", .fn = standin_keyholder_frames },
        { NULL, NULL }
    };
    int rc = tu_main("rt_pai_blind", tests);
    paikey_clear();
    return rc;
}
