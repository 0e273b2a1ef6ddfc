/*
** test_rt_pai_blind.c — the blinded round trips of pai_blind.c, tested from the
** keyholder's seat: with the private key, recover the noise r^n of every ciphertext the
** keyholder receives (c = (1 + m n) r^n mod n^2, so r^n = c (1 - m n) mod n^2) and check
** that it is fresh — not the operand's noise, not a power of the noise of a ciphertext
** the keyholder made (the attack that read x = 37 out of E(w)^x E(1)), different on every
** call — then that masks are sized from the true bound, and that what cannot fit is
** refused before anything is sent.
*/
#include "tu.h"
#include "pai.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static Rng R;
static PaiPub PUB;
static PaiPriv PRIV;

static void setup_key(void)
{
    static int done;
    if (done) return;
    rng_seed(&R, 20261128);
    pai_pub_init(&PUB); pai_priv_init(&PRIV);
    CU_ASSERT_EQUAL_FATAL(pai_keygen(&PUB, &PRIV, 512, &R), PAI_OK);
    done = 1;
}

/* What crosses the wire, as captured by the hook. */
typedef struct Seen { PaiVec *v[8]; int to_keyholder[8]; int n; } Seen;

static void capture(void *ctx, int to_keyholder, const PaiVec *v, const char *what)
{
    (void)what;
    Seen *s = ctx;
    if (s->n < 8) { s->v[s->n] = pai_vec_copy(v); s->to_keyholder[s->n] = to_keyholder; }
    s->n++;
}

static void seen_free(Seen *s)
{
    for (int i = 0; i < s->n && i < 8; i++) pai_vec_free(s->v[i]);
    memset(s, 0, sizeof *s);
}

/* The keyholder's reading of a ciphertext: its noise r^n mod n^2. */
static void noise_of(mpz_t rn, const mpz_t c)
{
    mpz_t m; mpz_init(m);
    CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, m, c), PAI_OK);
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
    CU_ASSERT_EQUAL(pai_vec_decrypt_int(X, &PUB, &PRIV, v, NULL), PAI_OK);
    for (size_t i = 0; i < v->n; i++) { out[i] = mpz_get_si(X[i]); mpz_clear(X[i]); }
    free(X);
}

/* Every ciphertext K received in s: noise differs from the operand's, the attack finds
** nothing, and no two received noises are equal (across calls too: `all`). */
static void check_fresh(const Seen *s, const mpz_t opnoise, const mpz_t rhon, mpz_t *all,
                        size_t *nall)
{
    mpz_t rn; mpz_init(rn);
    int got = 0;
    for (int i = 0; i < s->n && i < 8; i++) {
        if (!s->to_keyholder[i]) continue;
        got = 1;
        for (size_t j = 0; j < s->v[i]->n; j++) {
            noise_of(rn, s->v[i]->c[j]);
            CU_ASSERT(mpz_cmp(rn, opnoise) != 0);
            CU_ASSERT_EQUAL(dlog_small(rn, rhon), -1);     /* x = 37 does not fall out */
            for (size_t q = 0; q < *nall; q++) CU_ASSERT(mpz_cmp(rn, all[q]) != 0);
            mpz_init_set(all[(*nall)++], rn);
        }
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
        Seen s = {0};
        PaiWire w = { .send = capture, .ctx = &s };
        PaiVec *r = NULL;
        CU_ASSERT_EQUAL_FATAL(pai_blind_product(&r, &PUB, &PRIV, x, ix, x, iy, 1, 2, NAN, 0, &R,
                                                NULL, &w), PAI_OK);
        CU_ASSERT_EQUAL(s.n, 2);                            /* T -> K, then K -> T */
        CU_ASSERT(s.to_keyholder[0] == 1 && s.to_keyholder[1] == 0);
        CU_ASSERT_EQUAL(s.v[0]->n, 4);                      /* both operands, one message */
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
        Seen s = {0};
        PaiWire w = { .send = capture, .ctx = &s };
        PaiVec *r = NULL;
        CU_ASSERT_EQUAL_FATAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 0, NAN, 0, &R, NULL, &w), PAI_OK);
        CU_ASSERT_EQUAL(s.n, 2);
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
    Seen s = {0};
    PaiWire w = { .send = capture, .ctx = &s };
    PaiVec *r = NULL;
    CU_ASSERT_EQUAL_FATAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 8, NAN, 0, &R, NULL, &w), PAI_OK);
    size_t maxbits = 0;
    for (size_t i = 0; i < s.v[0]->n; i++) {
        CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, m, s.v[0]->c[i]), PAI_OK);
        size_t b = mpz_sizeinbase(m, 2);
        if (b > maxbits) maxbits = b;
        CU_ASSERT(b <= 141 + PAI_MASK_SLACK + 1);
    }
    CU_ASSERT(maxbits >= 141 + PAI_MASK_SLACK - 4);     /* 8 draws: fails with odds 2^-32 */
    /* the result's bound follows: 2^(140 - 32) + 1 */
    CU_ASSERT(r->lbound > 108 && r->lbound < 108.01);
    pai_vec_free(r); seen_free(&s);
    pai_vec_free(x);
    mpz_clear(m);
}

/* Refusals come before any message: unknown bound, masks too wide, result too wide; a
** stated bound is used and checked by the keyholder. */
static void refusals_before_sending(void)
{
    setup_key();
    mpz_t m; mpz_init(m);
    PaiVec *x = pai_vec_new(1), *r = NULL;
    mpz_set_ui(m, 3);
    pai_encrypt(&PUB, x->c[0], m, &R);
    size_t i0 = 0;
    Seen s = {0};
    PaiWire w = { .send = capture, .ctx = &s };
    x->lbound = NAN;                                        /* read from a file */
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, NAN, 0, &R, NULL, &w),
                    PAI_EBOUND);
    x->lbound = PUB.max_int_log2 - PAI_MASK_SLACK;          /* the mask cannot fit */
    CU_ASSERT_EQUAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 8, NAN, 0, &R, NULL, &w), PAI_EMASK);
    x->lbound = 300;                                        /* 600 bits > 510 */
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, NAN, 0, &R, NULL, &w),
                    PAI_EOVERFLOW);
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, NAN, 1, &R, NULL, &w),
                    PAI_EOVERFLOW);
    CU_ASSERT_EQUAL(s.n, 0);
    CU_ASSERT(r == NULL);
    /* a stated bound: |x| <= 4 holds, the product is exact, its bound is guaranteed */
    x->lbound = NAN;
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, 4, 0, &R, NULL, &w),
                    PAI_OK);
    long out;
    decrypt_ints(&out, r);
    CU_ASSERT_EQUAL(out, 9);
    CU_ASSERT(r->lbound <= 2 * (3 + PAI_MASK_SLACK + 1) + 1e-6);
    pai_vec_free(r); r = NULL;
    seen_free(&s);
    /* ... and one that x breaks grossly is caught by the keyholder */
    mpz_ui_pow_ui(m, 2, 100);
    pai_encrypt(&PUB, x->c[0], m, &R);
    CU_ASSERT_EQUAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 4, 4, 0, &R, NULL, &w), PAI_ECLAIM);
    CU_ASSERT_EQUAL(pai_blind_rescale(&r, &PUB, &PRIV, x, 4, 4, 1, &R, NULL, &w), PAI_ECLAIM);
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
    Seen s = {0};
    PaiWire w = { .send = capture, .ctx = &s };
    CU_ASSERT_EQUAL(pai_blind_product(&r, &PUB, &PRIV, x, &i0, x, &i0, 1, 1, NAN, 1, &R, NULL, &w),
                    PAI_OK);
    long out;
    decrypt_ints(&out, r);
    CU_ASSERT_EQUAL(out, 75 * 75);
    CU_ASSERT_EQUAL(s.n, 0);
    pai_vec_free(r); pai_vec_free(x);
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
        { NULL, NULL }
    };
    int rc = tu_main("rt_pai_blind", tests);
    pai_pub_clear(&PUB); pai_priv_clear(&PRIV);
    return rc;
}
