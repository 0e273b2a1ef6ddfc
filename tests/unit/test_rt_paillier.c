/*
** test_rt_paillier.c — Paillier against its definition: c = g^m r^n mod n^2 with g = n + 1
** computed the long way, decrypt∘encrypt, the homomorphisms, DJN and CRT encryption
** equal to their formulas, fixed point with overflow detection, vectors on one and two
** threads, noise pools, packing, and python-paillier's JWK and ciphertext formats
** (known answers from its documentation, and vectors built from the definition).
** Most tests use 512-bit keys for speed; one round trip uses 2048 bits.
*/
#include "tu.h"
#include "paillier.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PAIKEY_SEED 20240601
#include "paikey.h"

/* c = g^m r^n mod n^2 with g = n + 1, the definition (no shortcut). */
static void textbook(mpz_t c, const PaiPub *pub, const mpz_t m, const mpz_t r)
{
    mpz_t g, t; mpz_inits(g, t, NULL);
    mpz_add_ui(g, pub->n, 1);
    mpz_powm(g, g, m, pub->n2);
    mpz_powm(t, r, pub->n, pub->n2);
    mpz_mul(c, g, t); mpz_mod(c, c, pub->n2);
    mpz_clears(g, t, NULL);
}

static void keygen_checks(void)
{
    setup_key();
    CU_ASSERT_EQUAL(PUB.bits, 512);
    CU_ASSERT_EQUAL(mpz_sizeinbase(PUB.n, 2), 512);
    CU_ASSERT(mpz_probab_prime_p(PRIV.p, 30) > 0);
    CU_ASSERT(mpz_probab_prime_p(PRIV.q, 30) > 0);
    CU_ASSERT_EQUAL(mpz_sizeinbase(PRIV.p, 2), 256);
    CU_ASSERT_EQUAL(mpz_sizeinbase(PRIV.q, 2), 256);
    mpz_t t, u; mpz_inits(t, u, NULL);
    mpz_mul(t, PRIV.p, PRIV.q);
    CU_ASSERT(mpz_cmp(t, PUB.n) == 0);
    mpz_sub(t, PRIV.q, PRIV.p); mpz_abs(t, t);
    CU_ASSERT(mpz_sizeinbase(t, 2) > 256 - 100);
    mpz_gcd(u, PUB.n, PRIV.lambda);
    CU_ASSERT(mpz_cmp_ui(u, 1) == 0);
    /* max_int = floor(n/3) - 1 */
    mpz_fdiv_q_ui(t, PUB.n, 3); mpz_sub_ui(t, t, 1);
    CU_ASSERT(mpz_cmp(t, PUB.max_int) == 0);
    CU_ASSERT_EQUAL(PUB.ebits, 256);
    mpz_clears(t, u, NULL);
    /* two keys differ; odd or small sizes are refused */
    PaiPub p2; pai_pub_init(&p2);
    CU_ASSERT_EQUAL(pai_keygen(&p2, NULL, 256, &R, NULL), RT_OK);
    CU_ASSERT(!pai_pub_equal(&p2, &PUB));
    RtErr e;
    CU_ASSERT_EQUAL(pai_keygen(&p2, NULL, 255, &R, &e), RT_EKEY);
    CU_ASSERT_EQUAL(e.code, RT_EKEY);
    CU_ASSERT_STRING_EQUAL(e.msg, "a Paillier key needs an even number of bits, at least 128 (255 asked)");
    CU_ASSERT_EQUAL(pai_keygen(&p2, NULL, 64, &R, &e), RT_EKEY);
    CU_ASSERT_STRING_EQUAL(e.msg, "a Paillier key needs an even number of bits, at least 128 (64 asked)");
    pai_pub_clear(&p2);
}

static void textbook_known_answer(void)
{
    setup_key();
    mpz_t m, r, c, want, d; mpz_inits(m, r, c, want, d, NULL);
    for (int i = 0; i < 20; i++) {
        mpz_set_ui(m, (unsigned long)i * 1000003u);
        if (i == 19) mpz_sub_ui(m, PUB.n, 1);           /* largest plaintext */
        mpz_set_ui(r, 2u + (unsigned long)i * 7919u);
        pai_encrypt_r(&PUB, c, m, r);
        textbook(want, &PUB, m, r);
        CU_ASSERT(mpz_cmp(c, want) == 0);
        CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, d, c, NULL), RT_OK);
        CU_ASSERT(mpz_cmp(d, m) == 0);
        pai_decrypt_lambda(&PRIV, &PUB, d, c);
        CU_ASSERT(mpz_cmp(d, m) == 0);
    }
    /* malformed ciphertexts are refused, not decrypted to garbage */
    RtErr e;
    mpz_set_ui(c, 0);
    CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, d, c, &e), RT_EFORMAT);
    CU_ASSERT_EQUAL(e.code, RT_EFORMAT);
    CU_ASSERT_STRING_EQUAL(e.msg, "a ciphertext out of range: it must lie in (0, n^2)");
    mpz_set(c, PUB.n2);
    CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, d, c, &e), RT_EFORMAT);
    CU_ASSERT_STRING_EQUAL(e.msg, "a ciphertext out of range: it must lie in (0, n^2)");
    mpz_set(c, PRIV.p);                                 /* not a unit */
    CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, d, c, &e), RT_EFORMAT);
    CU_ASSERT_EQUAL(e.code, RT_EFORMAT);
    CU_ASSERT_STRING_EQUAL(e.msg, "not a ciphertext of this key: it is not a unit modulo n");
    mpz_clears(m, r, c, want, d, NULL);
}

static void djn_and_crt_match_formula(void)
{
    setup_key();
    mpz_t m, a, c1, c2, c3, want, t; mpz_inits(m, a, c1, c2, c3, want, t, NULL);
    PaiPub pub; pai_pub_init(&pub); pai_pub_copy(&pub, &PUB);
    PaiPriv priv; pai_priv_init(&priv);
    /* hs is (-x^2)^n: an n-th residue, so hs^a is valid noise: D(hs^a) = 0 */
    CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, t, PUB.hs, NULL), RT_OK);
    CU_ASSERT(mpz_sgn(t) == 0);
    for (int round = 0; round < 2; round++) {
        if (round == 1) { pai_pub_precompute(&pub); pai_priv_precompute(&PRIV, &PUB); }
        for (int i = 0; i < 30; i++) {
            mpz_set_ui(m, (unsigned long)i * 97u + 5u);
            pai_random_a(&PUB, a, &R);
            if (i == 0) mpz_set_ui(a, 0);
            if (i == 1) { mpz_set_ui(a, 1); mpz_mul_2exp(a, a, PUB.ebits); mpz_sub_ui(a, a, 1); }
            pai_encrypt_a(&pub, c1, m, a);
            pai_encrypt_crt_a(&PRIV, &PUB, c2, m, a);
            /* definition: g^m * hs^a mod n^2 */
            mpz_add_ui(want, PUB.n, 1);
            mpz_powm(want, want, m, PUB.n2);
            mpz_powm(t, PUB.hs, a, PUB.n2);
            mpz_mul(want, want, t); mpz_mod(want, want, PUB.n2);
            CU_ASSERT(mpz_cmp(c1, want) == 0);
            CU_ASSERT(mpz_cmp(c2, want) == 0);
            CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, t, c1, NULL), RT_OK);
            CU_ASSERT(mpz_cmp(t, m) == 0);
        }
        /* fresh encryptions decrypt and differ */
        mpz_set_ui(m, 42);
        pai_encrypt(&pub, c1, m, &R);
        pai_encrypt(&pub, c3, m, &R);
        pai_encrypt_crt(&PRIV, &PUB, c2, m, &R);
        CU_ASSERT(mpz_cmp(c1, c3) != 0);
        CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, t, c1, NULL), RT_OK); CU_ASSERT(mpz_cmp_ui(t, 42) == 0);
        CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, t, c2, NULL), RT_OK); CU_ASSERT(mpz_cmp_ui(t, 42) == 0);
    }
    pai_pub_clear(&pub); pai_priv_clear(&priv);
    mpz_clears(m, a, c1, c2, c3, want, t, NULL);
}

static void homomorphisms(void)
{
    setup_key();
    mpz_t a, b, k, ca, cb, c, d, want; mpz_inits(a, b, k, ca, cb, c, d, want, NULL);
    for (int i = 0; i < 20; i++) {
        mpz_set_ui(a, rng_u64(&R)); mpz_set_ui(b, rng_u64(&R));
        if (i % 3 == 0) mpz_sub(a, PUB.n, a);               /* large residues too */
        pai_encrypt(&PUB, ca, a, &R); pai_encrypt(&PUB, cb, b, &R);
        pai_add(&PUB, c, ca, cb);
        pai_decrypt(&PRIV, &PUB, d, c, NULL);
        mpz_add(want, a, b); mpz_mod(want, want, PUB.n);
        CU_ASSERT(mpz_cmp(d, want) == 0);
        mpz_set_si(k, (long)(rng_u64(&R) % 2001) - 1000);
        pai_mul_plain(&PUB, c, ca, k);
        pai_decrypt(&PRIV, &PUB, d, c, NULL);
        mpz_mul(want, a, k); mpz_mod(want, want, PUB.n);
        CU_ASSERT(mpz_cmp(d, want) == 0);
        pai_add_plain(&PUB, c, ca, k);
        pai_decrypt(&PRIV, &PUB, d, c, NULL);
        mpz_add(want, a, k); mpz_mod(want, want, PUB.n);
        CU_ASSERT(mpz_cmp(d, want) == 0);
        /* outputs may alias inputs, including the plaintext operand */
        mpz_set(c, k);
        pai_mul_plain(&PUB, c, ca, c);
        pai_decrypt(&PRIV, &PUB, d, c, NULL);
        mpz_mul(want, a, k); mpz_mod(want, want, PUB.n);
        CU_ASSERT(mpz_cmp(d, want) == 0);
        mpz_set(c, ca);
        pai_add(&PUB, c, c, c);
        pai_decrypt(&PRIV, &PUB, d, c, NULL);
        mpz_add(want, a, a); mpz_mod(want, want, PUB.n);
        CU_ASSERT(mpz_cmp(d, want) == 0);
        pai_neg(&PUB, c, ca);
        pai_decrypt(&PRIV, &PUB, d, c, NULL);
        mpz_neg(want, a); mpz_mod(want, want, PUB.n);
        CU_ASSERT(mpz_cmp(d, want) == 0);
        mpz_set(c, ca);
        pai_rerandomize(&PUB, c, &R);
        CU_ASSERT(mpz_cmp(c, ca) != 0);
        pai_decrypt(&PRIV, &PUB, d, c, NULL);
        CU_ASSERT(mpz_cmp(d, a) == 0);
    }
    mpz_clears(a, b, k, ca, cb, c, d, want, NULL);
}

static void fixed_point(void)
{
    RtErr err;
    setup_key();
    mpz_t m, c; mpz_inits(m, c, NULL);
    const double xs[] = { 0, 1, -1, 3.25, -1234.5678, 1e-6, -7e5, 0.1 };
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
        double y;
        CU_ASSERT_EQUAL(pai_encode(&PUB, m, xs[i], PAI_DEFAULT_EXP, NULL), RT_OK);
        CU_ASSERT_EQUAL(pai_decode(&PUB, &y, m, PAI_DEFAULT_EXP, NULL), RT_OK);
        TU_NEAR(y, xs[i], 0x1p-32);
        pai_encrypt(&PUB, c, m, &R);
        pai_decrypt(&PRIV, &PUB, m, c, NULL);
        CU_ASSERT_EQUAL(pai_decode(&PUB, &y, m, PAI_DEFAULT_EXP, NULL), RT_OK);
        TU_NEAR(y, xs[i], 0x1p-32);
    }
    /* -1.5 at exponent -8 is n - 1.5 * 2^32 */
    CU_ASSERT_EQUAL(pai_encode(&PUB, m, -1.5, -8, NULL), RT_OK);
    mpz_add_ui(m, m, 6442450944u);
    CU_ASSERT(mpz_cmp(m, PUB.n) == 0);
    /* a huge exponent scale decodes without overflowing a double */
    double y;
    CU_ASSERT_EQUAL(pai_encode(&PUB, m, 3.25, -100, NULL), RT_OK);
    CU_ASSERT_EQUAL(pai_decode(&PUB, &y, m, -100, NULL), RT_OK);
    TU_NEAR(y, 3.25, 1e-12);
    /* out of range and non-finite values are refused */
    CU_ASSERT_EQUAL(pai_encode(&PUB, m, NAN, -8, &err), RT_ERANGE);
    CU_ASSERT_EQUAL(err.code, RT_ERANGE);
    CU_ASSERT_EQUAL(pai_encode(&PUB, m, INFINITY, -8, &err), RT_ERANGE);
    CU_ASSERT_EQUAL(err.code, RT_ERANGE);
    CU_ASSERT_EQUAL(pai_encode(&PUB, m, 1e300, -8, &err), RT_ERANGE);
    CU_ASSERT_EQUAL(err.code, RT_ERANGE);
    /* the middle third is an overflow: max_int + 1 .. n - max_int - 1 */
    mpz_add_ui(m, PUB.max_int, 1);
    CU_ASSERT_EQUAL(pai_decode(&PUB, &y, m, 0, &err), RT_EOVERFLOW);
    CU_ASSERT_EQUAL(err.code, RT_EOVERFLOW);
    mpz_sub(m, PUB.n, PUB.max_int);
    CU_ASSERT_EQUAL(pai_decode(&PUB, &y, m, 0, NULL), RT_OK);
    mpz_sub_ui(m, m, 1);
    CU_ASSERT_EQUAL(pai_decode(&PUB, &y, m, 0, &err), RT_EOVERFLOW);
    CU_ASSERT_EQUAL(err.code, RT_EOVERFLOW);
    /* plaintext exponent choice */
    const double ints[] = { 1, -2, 3 }, fr[] = { 1, 0.5 };
    CU_ASSERT_EQUAL(pai_plain_exp(ints, 3, -8), 0);
    CU_ASSERT_EQUAL(pai_plain_exp(fr, 2, -8), -8);
    mpz_clears(m, c, NULL);
}

static void check_vec(const PaiVec *v, const double *want, size_t n, double tol)
{
    double *got = calloc(n, sizeof *got);
    CU_ASSERT_EQUAL_FATAL(v->count, n);
    CU_ASSERT_EQUAL(pai_vec_decrypt(got, &PUB, &PRIV, v, NULL, NULL), RT_OK);
    for (size_t i = 0; i < n; i++) TU_NEAR(got[i], want[i], tol);
    free(got);
}

static void vectors_one_and_two_threads(void)
{
    RtErr err;
    setup_key();
    double x[6] = { 1.5, -2, 0.25, 10, -0.125, 3 }, y[6] = { 2, 2, -4, 0.5, 8, -1 };
    for (int threads = 1; threads <= 2; threads++) {
        PaiOpts o = { .threads = threads };
        PaiVec *a, *b, *r;
        CU_ASSERT_EQUAL_FATAL(pai_vec_encrypt(&a, &PUB, NULL, NULL, x, 6, -8, 1e6, &R, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL_FATAL(pai_vec_encrypt(&b, &PUB, &PRIV, NULL, y, 6, -8, 1e6, &R, &o, NULL), RT_OK);
        check_vec(a, x, 6, 1e-9);
        check_vec(b, y, 6, 1e-9);
        double w[6];
        CU_ASSERT_EQUAL(pai_vec_add(&r, &PUB, a, NULL, b, NULL, 6, &o, NULL), RT_OK);
        for (int i = 0; i < 6; i++) w[i] = x[i] + y[i];
        check_vec(r, w, 6, 1e-9); pai_vec_free(r);
        CU_ASSERT_EQUAL(pai_vec_sub(&r, &PUB, a, NULL, b, NULL, 6, &o, NULL), RT_OK);
        for (int i = 0; i < 6; i++) w[i] = x[i] - y[i];
        check_vec(r, w, 6, 1e-9); pai_vec_free(r);
        /* elementwise product with a plain vector (fractional: exponent -16) */
        CU_ASSERT_EQUAL(pai_vec_mul_plain(&r, &PUB, a, NULL, y, NULL, 6, -8, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(r->exp, -16);                 /* 0.5 is fractional: -8 + -8 */
        for (int i = 0; i < 6; i++) w[i] = x[i] * y[i];
        check_vec(r, w, 6, 1e-9); pai_vec_free(r);
        const double yi[6] = { 2, 2, -4, 1, 8, -1 };   /* integers: exact, exponent kept */
        CU_ASSERT_EQUAL(pai_vec_mul_plain(&r, &PUB, a, NULL, yi, NULL, 6, -8, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(r->exp, -8);
        for (int i = 0; i < 6; i++) w[i] = x[i] * yi[i];
        check_vec(r, w, 6, 1e-9); pai_vec_free(r);
        /* broadcasting a scalar with an index array, and plain + ct, plain - ct */
        size_t zero[6] = {0};
        double s = -0.75;
        CU_ASSERT_EQUAL(pai_vec_mul_plain(&r, &PUB, a, NULL, &s, zero, 6, -8, &o, NULL), RT_OK);
        for (int i = 0; i < 6; i++) w[i] = x[i] * s;
        check_vec(r, w, 6, 1e-9); pai_vec_free(r);
        CU_ASSERT_EQUAL(pai_vec_add_plain(&r, &PUB, a, NULL, &s, zero, 6, 1, -8, &o, NULL), RT_OK);
        for (int i = 0; i < 6; i++) w[i] = x[i] + s;
        check_vec(r, w, 6, 1e-9); pai_vec_free(r);
        CU_ASSERT_EQUAL(pai_vec_add_plain(&r, &PUB, a, NULL, y, NULL, 6, -1, -8, &o, NULL), RT_OK);
        for (int i = 0; i < 6; i++) w[i] = y[i] - x[i];
        check_vec(r, w, 6, 1e-9); pai_vec_free(r);
        CU_ASSERT_EQUAL(pai_vec_neg(&r, &PUB, a, &o, NULL), RT_OK);
        for (int i = 0; i < 6; i++) w[i] = -x[i];
        check_vec(r, w, 6, 1e-9); pai_vec_free(r);
        /* exponent alignment: integer-scaled ct (exp 0) + fractional ct (exp -8) */
        PaiVec *ai;
        double xi[6] = { 1, 2, 3, 4, 5, 6 };
        CU_ASSERT_EQUAL(pai_vec_encrypt(&ai, &PUB, NULL, NULL, xi, 6, 0, 100, &R, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(pai_vec_add(&r, &PUB, ai, NULL, a, NULL, 6, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(r->exp, -8);
        for (int i = 0; i < 6; i++) w[i] = xi[i] + x[i];
        check_vec(r, w, 6, 1e-9); pai_vec_free(r); pai_vec_free(ai);
        /* ct (2x3) @ plain (3x2): out[i][j] = sum_l a[i][l] P[l][j] */
        const double P[6] = { 1, -2, 0.5, 3, -1, 0 };
        size_t abase[4], kbase[4];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) {
            abase[i * 2 + j] = (size_t)i * 3; kbase[i * 2 + j] = (size_t)j;
        }
        CU_ASSERT_EQUAL(pai_vec_dot(&r, &PUB, a, abase, 1, P, kbase, 2, 3, 4, -8, &o, NULL), RT_OK);
        for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) {
            double acc = 0;
            for (int l = 0; l < 3; l++) acc += x[i * 3 + l] * P[l * 2 + j];
            w[i * 2 + j] = acc;
        }
        check_vec(r, w, 4, 1e-9); pai_vec_free(r);
        /* sums: all, and of each row of 2x3 */
        size_t b0 = 0;
        CU_ASSERT_EQUAL(pai_vec_sum(&r, &PUB, a, &b0, 1, 6, 1, &o, NULL), RT_OK);
        w[0] = 0; for (int i = 0; i < 6; i++) w[0] += x[i];
        check_vec(r, w, 1, 1e-9); pai_vec_free(r);
        CU_ASSERT_EQUAL(pai_vec_sum(&r, &PUB, a, NULL, 1, 3, 2, &o, NULL), RT_OK);
        w[0] = x[0] + x[1] + x[2]; w[1] = x[3] + x[4] + x[5];
        check_vec(r, w, 2, 1e-9); pai_vec_free(r);
        /* gather and rerandomise */
        size_t idx[3] = { 5, 0, 2 };
        CU_ASSERT_EQUAL(pai_vec_gather(&r, a, idx, 3, NULL), RT_OK);
        CU_ASSERT_EQUAL(pai_vec_rerandomize(r, &PUB, NULL, &R, &o, NULL), RT_OK);
        CU_ASSERT(mpz_cmp(r->c[0], a->c[5]) != 0);
        w[0] = x[5]; w[1] = x[0]; w[2] = x[2];
        check_vec(r, w, 3, 1e-9); pai_vec_free(r);
        /* mismatched sizes of index arrays are the caller's; bad gather index is not */
        size_t bad = 6;
        CU_ASSERT_EQUAL(pai_vec_gather(&r, a, &bad, 1, &err), RT_EMISMATCH);
        CU_ASSERT_EQUAL(err.code, RT_EMISMATCH);
        CU_ASSERT_PTR_NULL(r);
        CU_ASSERT_EQUAL(pai_vec_bytes(&PUB, a), 6u * 128u);
        pai_vec_free(a); pai_vec_free(b);
    }
}

static void overflow_is_an_error(void)
{
    RtErr err;
    setup_key();
    PaiVec *a, *r;
    double x[2] = { 1000, -1000 }, k = 1e15;
    size_t z[2] = {0, 0};
    CU_ASSERT_EQUAL_FATAL(pai_vec_encrypt(&a, &PUB, NULL, NULL, x, 2, -8, 1e6, &R, NULL, NULL), RT_OK);
    /* values beyond the declared range are refused at encryption */
    double big = 2e6;
    CU_ASSERT_EQUAL(pai_vec_encrypt(&r, &PUB, NULL, NULL, &big, 1, -8, 1e6, &R, NULL, &err), RT_ERANGE);
    CU_ASSERT_EQUAL(err.code, RT_ERANGE);
    CU_ASSERT_PTR_NULL(r);
    /* repeated multiplication by the integer 1e15 (exponent 0, ~49.8 bits a step) from
    ** a bound of ~51.9 bits; a 512-bit key's safe range is 2^509: nine steps fit, the
    ** tenth could overflow and fails; every step before it decrypts correctly */
    PaiVec *cur = pai_vec_copy(a);
    double want[2] = { 1000, -1000 };
    int steps = 0, st;
    for (;;) {
        st = pai_vec_mul_plain(&r, &PUB, cur, NULL, &k, z, 2, -8, NULL, NULL);
        if (st != RT_OK) break;
        pai_vec_free(cur); cur = r; steps++;
        want[0] *= k; want[1] *= k;
        double got[2];
        CU_ASSERT_EQUAL(pai_vec_decrypt(got, &PUB, &PRIV, cur, NULL, NULL), RT_OK);
        TU_NEAR(got[0] / want[0], 1.0, 1e-9);
        TU_NEAR(got[1] / want[1], 1.0, 1e-9);
    }
    CU_ASSERT_EQUAL(st, RT_EOVERFLOW);
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT_EQUAL(steps, 9);
    /* the check is not vacuous: done anyway, the tenth step decrypts to garbage */
    mpz_t kk, m1; mpz_inits(kk, m1, NULL);
    mpz_set_d(kk, k);
    pai_mul_plain(&PUB, kk, cur->c[0], kk);
    pai_decrypt(&PRIV, &PUB, m1, kk, NULL);
    double g1 = 0;
    int st1 = pai_decode(&PUB, &g1, m1, cur->exp, NULL);
    CU_ASSERT(st1 != RT_OK || fabs(g1 / (want[0] * k) - 1) > 1e-6);
    mpz_clears(kk, m1, NULL);
    pai_vec_free(cur);
    /* an imported ciphertext (unknown bound) holding a middle-third value: decryption
    ** refuses it */
    PaiVec *u = pai_vec_new(1);
    mpz_t m; mpz_init(m);
    mpz_fdiv_q_ui(m, PUB.n, 2);
    pai_encrypt(&PUB, u->c[0], m, &R);
    u->lbound = NAN;
    double got;
    CU_ASSERT_EQUAL(pai_vec_decrypt(&got, &PUB, &PRIV, u, NULL, &err), RT_EOVERFLOW);
    CU_ASSERT_EQUAL(err.code, RT_EOVERFLOW);
    mpz_clear(m);
    pai_vec_free(u);
    pai_vec_free(a);
}

static void noise_pool(void)
{
    RtErr err;
    setup_key();
    PaiNoise pool; pai_noise_init(&pool);
    PaiOpts o = { .threads = 2 };
    CU_ASSERT_EQUAL(pai_noise_fill(&pool, &PUB, &PRIV, 8, &R, &o, NULL), RT_OK);
    CU_ASSERT_EQUAL(pai_noise_left(&pool), 8);
    mpz_t m, c, d; mpz_inits(m, c, d, NULL);
    for (int i = 0; i < 3; i++) {
        mpz_set_ui(m, 100u + (unsigned)i);
        CU_ASSERT_EQUAL(pai_encrypt_pool(&PUB, &pool, c, m, NULL), RT_OK);
        CU_ASSERT(mpz_sgn(pool.r[pool.next - 1]) == 0);      /* used noise is wiped */
        pai_decrypt(&PRIV, &PUB, d, c, NULL);
        CU_ASSERT(mpz_cmp(d, m) == 0);
    }
    double x[5] = { 1, 2, 3, 4, 5 };
    PaiVec *v;
    CU_ASSERT_EQUAL(pai_vec_encrypt(&v, &PUB, NULL, &pool, x, 5, -8, 10, &R, &o, NULL), RT_OK);
    check_vec(v, x, 5, 1e-9);
    pai_vec_free(v);
    CU_ASSERT_EQUAL(pai_noise_left(&pool), 0);
    CU_ASSERT_EQUAL(pai_encrypt_pool(&PUB, &pool, c, m, &err), RT_EEMPTY);
    CU_ASSERT_EQUAL(err.code, RT_EEMPTY);
    CU_ASSERT_EQUAL(pai_vec_encrypt(&v, &PUB, NULL, &pool, x, 1, -8, 10, &R, &o, &err), RT_EEMPTY);
    CU_ASSERT_EQUAL(err.code, RT_EEMPTY);
    CU_ASSERT_EQUAL(pai_noise_fill(&pool, &PUB, NULL, 2, &R, NULL, NULL), RT_OK);
    CU_ASSERT_EQUAL(pai_noise_left(&pool), 2);
    CU_ASSERT_EQUAL(pai_encrypt_pool(&PUB, &pool, c, m, NULL), RT_OK);
    pai_decrypt(&PRIV, &PUB, d, c, NULL);
    CU_ASSERT(mpz_cmp(d, m) == 0);
    pai_noise_clear(&pool);
    mpz_clears(m, c, d, NULL);
}

static void packing(void)
{
    RtErr err;
    setup_key();
    unsigned vb, sb, k;
    /* range 2^20 at 32 fractional bits: |m| < 2^52 + 1/2 -> 53 bits; +1 sign offset,
    ** +10 headroom = 64-bit slots; 511 / 64 = 7 slots in a 512-bit key */
    CU_ASSERT_EQUAL(pai_pack_layout(&PUB, 0x1p20, -8, 10, &vb, &sb, &k, NULL), RT_OK);
    CU_ASSERT_EQUAL(vb, 53); CU_ASSERT_EQUAL(sb, 64); CU_ASSERT_EQUAL(k, 7);
    CU_ASSERT_EQUAL(pai_pack_layout(&PUB, 0x1p500, -8, 10, &vb, &sb, &k, &err), RT_ERANGE);
    CU_ASSERT_EQUAL(err.code, RT_ERANGE);
    enum { N = 50 };
    double x[N], y[N], z[N], w[N];
    for (int i = 0; i < N; i++) {
        x[i] = (i - 25) * 0.37; y[i] = -x[i] * 2 + 1; z[i] = 1000.0 * (i % 3 - 1);
    }
    for (int threads = 1; threads <= 2; threads++) {
        PaiOpts o = { .threads = threads };
        PaiVec *a, *b, *c, *s, *t;
        CU_ASSERT_EQUAL_FATAL(pai_vec_encrypt_packed(&a, &PUB, NULL, x, N, -8, 0x1p20, 2, &R, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(a->n, (N + 8) / 9);         /* 2-bit headroom: 56-bit slots, 9 a key */
        CU_ASSERT_EQUAL(a->count, N);
        check_vec(a, x, N, 1e-9);
        CU_ASSERT_EQUAL(pai_vec_encrypt_packed(&b, &PUB, &PRIV, y, N, -8, 0x1p20, 2, &R, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(pai_vec_encrypt_packed(&c, &PUB, NULL, z, N, -8, 0x1p20, 2, &R, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(pai_vec_add(&s, &PUB, a, NULL, b, NULL, a->n, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(pai_vec_add(&t, &PUB, s, NULL, c, NULL, a->n, &o, NULL), RT_OK);
        for (int i = 0; i < N; i++) w[i] = x[i] + y[i] + z[i];
        check_vec(t, w, N, 1e-9);
        CU_ASSERT_EQUAL(t->adds, 3);
        /* headroom 2 bits = 4 summands; a fifth would carry: refused */
        PaiVec *u, *v2;
        CU_ASSERT_EQUAL(pai_vec_add(&u, &PUB, t, NULL, a, NULL, a->n, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(pai_vec_add(&v2, &PUB, u, NULL, a, NULL, a->n, &o, &err), RT_EOVERFLOW);
        CU_ASSERT_EQUAL(err.code, RT_EOVERFLOW);
        CU_ASSERT_PTR_NULL(v2);
        /* only addition of same-layout packed vectors is defined */
        double two = 2;
        size_t zz[8] = {0};
        CU_ASSERT_EQUAL(pai_vec_mul_plain(&v2, &PUB, a, NULL, &two, zz, a->n, -8, &o, &err), RT_EPACKED);
        CU_ASSERT_EQUAL(err.code, RT_EPACKED);
        CU_ASSERT_EQUAL(pai_vec_sub(&v2, &PUB, a, NULL, b, NULL, a->n, &o, &err), RT_EPACKED);
        CU_ASSERT_EQUAL(err.code, RT_EPACKED);
        PaiVec *plain;
        CU_ASSERT_EQUAL(pai_vec_encrypt(&plain, &PUB, NULL, NULL, x, a->n, -8, 1e6, &R, &o, NULL), RT_OK);
        CU_ASSERT_EQUAL(pai_vec_add(&v2, &PUB, a, NULL, plain, NULL, a->n, &o, &err), RT_EPACKED);
        CU_ASSERT_EQUAL(err.code, RT_EPACKED);
        pai_vec_free(plain);
        pai_vec_free(a); pai_vec_free(b); pai_vec_free(c); pai_vec_free(s); pai_vec_free(t);
        pai_vec_free(u);
    }
}

/* python-paillier's documented 256-bit private key (docs/serialisation.rst). */
static const char *DOC_PRIV =
    "{\"mu\": \"Dzq1_tz2qDX_-S4shia9Rw34Z9ix9b-fhPi3In76NaI\", \"kty\": \"DAJ\", "
    "\"key_ops\": [ \"decrypt\" ], \"kid\": \"Paillier private key generated by pheutil on "
    "2016-05-24 14:18:25\", \"lambda\": \"haFTvA70KcI5XXReJUlQWRQdYHxaUS8baGQGug9dewA\", "
    "\"pub\": { \"alg\": \"PAI-GN1\", \"n\": \"haFTvA70KcI5XXReJUlQWoZus12aSJJ5EXAvu93xR7k\", "
    "\"kty\": \"DAJ\", \"key_ops\": [ \"encrypt\" ], \"kid\": \"Paillier public key generated "
    "by pheutil on 2016-05-24 14:18:25\" } }";

static void base64url(void)
{
    RtErr err;
    mpz_t x; mpz_init(x);
    const struct { unsigned long v; const char *s; } kat[] = {
        { 1, "AQ" }, { 65537, "AQAB" }, { 255, "_w" }, { 0xfbff, "-_8" }, { 0x123456, "EjRW" },
    };
    for (size_t i = 0; i < sizeof kat / sizeof *kat; i++) {
        mpz_set_ui(x, kat[i].v);
        char *s = pai_b64_from_mpz(x);
        CU_ASSERT_STRING_EQUAL(s, kat[i].s);
        free(s);
        CU_ASSERT_EQUAL(pai_b64_to_mpz(x, kat[i].s, strlen(kat[i].s), NULL), RT_OK);
        CU_ASSERT(mpz_cmp_ui(x, kat[i].v) == 0);
    }
    CU_ASSERT_EQUAL(pai_b64_to_mpz(x, "AQ==", 4, NULL), RT_OK);
    CU_ASSERT(mpz_cmp_ui(x, 1) == 0);
    CU_ASSERT_EQUAL(pai_b64_to_mpz(x, "A*", 2, &err), RT_EFORMAT);
    CU_ASSERT_EQUAL(err.code, RT_EFORMAT);
    CU_ASSERT_EQUAL(pai_b64_to_mpz(x, "AQABA", 5, &err), RT_EFORMAT);
    CU_ASSERT_EQUAL(err.code, RT_EFORMAT);
    mpz_clear(x);
}

static void jwk_python_paillier_vectors(void)
{
    PaiPub pub; PaiPriv priv; pai_pub_init(&pub); pai_priv_init(&priv);
    RtErr err;
    int has = 0;
    CU_ASSERT_EQUAL_FATAL(pai_jwk_read(DOC_PRIV, &pub, &priv, &has, &R, &err), RT_OK);
    CU_ASSERT_EQUAL(has, 1);
    CU_ASSERT_EQUAL(pub.bits, 256);
    mpz_t t, m, c; mpz_inits(t, m, c, NULL);
    mpz_mul(t, priv.p, priv.q);
    CU_ASSERT(mpz_cmp(t, pub.n) == 0);
    /* exporting reproduces the document's lambda and mu exactly (lambda = phi) */
    char *js = pai_jwk_private(&pub, &priv, "k");
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"lambda\": \"haFTvA70KcI5XXReJUlQWRQdYHxaUS8baGQGug9dewA\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"mu\": \"Dzq1_tz2qDX_-S4shia9Rw34Z9ix9b-fhPi3In76NaI\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"n\": \"haFTvA70KcI5XXReJUlQWoZus12aSJJ5EXAvu93xR7k\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"key_ops\": [\"decrypt\"]"));
    free(js);
    /* the documented example public key */
    const char *docpub = "{ \"kty\": \"DAJ\", \"kid\": \"Example Paillier public key\", "
        "\"key_ops\": [ \"encrypt\" ], \"n\": \"m0lOEwDHVA_VieL2k3BKMjf_HIgagfhNIZy1YhgZF5M\", "
        "\"alg\": \"PAI-GN1\" }";
    PaiPub p2; pai_pub_init(&p2);
    CU_ASSERT_EQUAL(pai_jwk_read(docpub, &p2, NULL, &has, &R, &err), RT_OK);
    CU_ASSERT_EQUAL(has, 0);
    CU_ASSERT_EQUAL(p2.bits, 256);
    js = pai_jwk_public(&p2, "Example Paillier public key");
    CU_ASSERT_STRING_EQUAL(js, "{\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"key_ops\": [\"encrypt\"], "
        "\"n\": \"m0lOEwDHVA_VieL2k3BKMjf_HIgagfhNIZy1YhgZF5M\", \"kid\": \"Example Paillier public key\"}");
    free(js);
    pai_pub_clear(&p2);
    /* a ciphertext built from the definition, written as python-paillier writes it:
    ** v = g^m r^n mod n^2 for m = encoding of -1.5 at e = -8 */
    pai_encode(&pub, m, -1.5, -8, NULL);
    mpz_set_ui(t, 123456789);
    textbook(c, &pub, m, t);
    char *want = NULL;
    gmp_asprintf(&want, "{\"v\": \"%Zd\", \"e\": -8}", c);
    char *got = pai_ct_json(c, -8);
    CU_ASSERT_STRING_EQUAL(got, want);
    int e = 0;
    mpz_set_ui(t, 0);
    CU_ASSERT_EQUAL(pai_ct_read(want, &pub, t, &e, NULL), RT_OK);
    CU_ASSERT(mpz_cmp(t, c) == 0);
    CU_ASSERT_EQUAL(e, -8);
    double y;
    pai_decrypt(&priv, &pub, m, t, NULL);
    CU_ASSERT_EQUAL(pai_decode(&pub, &y, m, e, NULL), RT_OK);
    TU_NEAR(y, -1.5, 0);
    free(got); free(want);
    /* pheutil's fixed exponent -32: 3.25 * 16^32 fits a 256-bit key */
    const char *bad[] = { "{\"v\": \"12\"}", "{\"v\": 12, \"e\": 0}", "{\"v\": \"x\", \"e\": 0}",
                          "{\"v\": \"0\", \"e\": 0}", "[1,", "{\"v\": \"5\", \"e\": 1.5}" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CU_ASSERT_EQUAL(pai_ct_read(bad[i], &pub, t, &e, &err), RT_EFORMAT);
        CU_ASSERT_EQUAL(err.code, RT_EFORMAT);
    pai_encode(&pub, m, 3.25, -32, NULL);
    pai_encrypt(&pub, c, m, &R);
    got = pai_ct_json(c, -32);
    CU_ASSERT_EQUAL(pai_ct_read(got, &pub, t, &e, NULL), RT_OK);
    pai_decrypt(&priv, &pub, m, t, NULL);
    CU_ASSERT_EQUAL(pai_decode(&pub, &y, m, e, NULL), RT_OK);
    TU_NEAR(y, 3.25, 0);
    free(got);
    mpz_clears(t, m, c, NULL);
    pai_pub_clear(&pub); pai_priv_clear(&priv);
}

static void jwk_round_trip_and_errors(void)
{
    setup_key();
    RtErr err;
    int has;
    char *js = pai_jwk_private(&PUB, &PRIV, "test \"key\"");
    PaiPub pub; PaiPriv priv; pai_pub_init(&pub); pai_priv_init(&priv);
    CU_ASSERT_EQUAL_FATAL(pai_jwk_read(js, &pub, &priv, &has, &R, &err), RT_OK);
    CU_ASSERT_EQUAL(has, 1);
    CU_ASSERT(mpz_cmp(priv.p, PRIV.p) == 0 && mpz_cmp(priv.q, PRIV.q) == 0);
    /* cross: encrypt under the original, decrypt with the loaded key */
    mpz_t m, c, d; mpz_inits(m, c, d, NULL);
    mpz_set_ui(m, 31337);
    pai_encrypt(&PUB, c, m, &R);
    CU_ASSERT_EQUAL(pai_decrypt(&priv, &pub, d, c, NULL), RT_OK);
    CU_ASSERT(mpz_cmp(d, m) == 0);
    free(js);
    /* lambda given as the Carmichael function lcm(p-1, q-1) (paillier-bigint's choice) */
    mpz_t lcm, mu; mpz_inits(lcm, mu, NULL);
    mpz_lcm(lcm, PRIV.pm1, PRIV.qm1);
    mpz_invert(mu, lcm, PUB.n);
    char *l64 = pai_b64_from_mpz(lcm), *m64 = pai_b64_from_mpz(mu), *n64 = pai_b64_from_mpz(PUB.n);
    char *doc = NULL;
    gmp_asprintf(&doc, "{\"kty\": \"DAJ\", \"key_ops\": [\"decrypt\"], \"lambda\": \"%s\", "
                 "\"mu\": \"%s\", \"pub\": {\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"n\": \"%s\"}}",
                 l64, m64, n64);
    PaiPriv priv2; pai_priv_init(&priv2);
    CU_ASSERT_EQUAL(pai_jwk_read(doc, &pub, &priv2, &has, &R, &err), RT_OK);
    CU_ASSERT(mpz_cmp(priv2.p, PRIV.p) == 0);
    free(doc);
    /* wrong mu */
    gmp_asprintf(&doc, "{\"kty\": \"DAJ\", \"key_ops\": [\"decrypt\"], \"lambda\": \"%s\", "
                 "\"mu\": \"AQ\", \"pub\": {\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"n\": \"%s\"}}",
                 l64, n64);
    CU_ASSERT_EQUAL(pai_jwk_read(doc, &pub, &priv2, &has, &R, &err), RT_EKEY);
    CU_ASSERT_STRING_EQUAL(err.msg, "\"mu\" is not the inverse of \"lambda\" modulo n");
    free(doc);
    CU_ASSERT_EQUAL(pai_jwk_read("{\"kty\": \"RSA\"}", &pub, NULL, &has, &R, &err), RT_EFORMAT);
    CU_ASSERT_STRING_EQUAL(err.msg, "not a Paillier JWK (kty must be \"DAJ\")");
    CU_ASSERT_EQUAL(pai_jwk_read("{\"kty\": \"DAJ\", \"n\": \"AQ\"}", &pub, NULL, &has, &R, &err), RT_EFORMAT);
    CU_ASSERT_EQUAL(pai_jwk_read("{\"kty\": ", &pub, NULL, &has, &R, &err), RT_EFORMAT);
    free(l64); free(m64); free(n64);
    mpz_clears(lcm, mu, m, c, d, NULL);
    pai_pub_clear(&pub); pai_priv_clear(&priv); pai_priv_clear(&priv2);
}

/* The same documented key as pheutil writes it today: "p" and "q", no lambda or mu. */
static void jwk_pheutil_factors(void)
{
    const char *doc = "{\"kty\": \"DAJ\", \"key_ops\": [\"decrypt\"], "
        "\"p\": \"sIeGYNEcNGzpHymiA_wTIQ\", \"q\": \"wcnMgG7bLvC_7P9fype5mQ\", "
        "\"pub\": {\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"key_ops\": [\"encrypt\"], "
        "\"n\": \"haFTvA70KcI5XXReJUlQWoZus12aSJJ5EXAvu93xR7k\"}, \"kid\": \"pheutil\"}";
    PaiPub pub; PaiPriv priv, ref; pai_pub_init(&pub); pai_priv_init(&priv); pai_priv_init(&ref);
    RtErr err;
    int has = 0;
    CU_ASSERT_EQUAL_FATAL(pai_jwk_read(doc, &pub, &priv, &has, &R, &err), RT_OK);
    CU_ASSERT_EQUAL(has, 1);
    /* the same secrets as the lambda/mu form of the documented key */
    CU_ASSERT_EQUAL_FATAL(pai_jwk_read(DOC_PRIV, &pub, &ref, &has, &R, &err), RT_OK);
    CU_ASSERT(mpz_cmp(priv.p, ref.p) == 0 && mpz_cmp(priv.q, ref.q) == 0);
    CU_ASSERT(mpz_cmp(priv.lambda, ref.lambda) == 0 && mpz_cmp(priv.mu, ref.mu) == 0);
    /* what we write carries p and q as pheutil's decrypt needs them, and lambda and mu */
    char *js = pai_jwk_private(&pub, &priv, "k");
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"p\": \"sIeGYNEcNGzpHymiA_wTIQ\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"q\": \"wcnMgG7bLvC_7P9fype5mQ\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(js, "\"lambda\": \"haFTvA70KcI5XXReJUlQWRQdYHxaUS8baGQGug9dewA\""));
    free(js);
    /* factors that do not multiply to n, a factor that is not prime, lambda disagreeing */
    const char *bad[][2] = {
        { "{\"kty\": \"DAJ\", \"key_ops\": [\"decrypt\"], \"p\": \"sIeGYNEcNGzpHymiA_wTIw\", "
          "\"q\": \"wcnMgG7bLvC_7P9fype5mQ\", \"pub\": {\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", "
          "\"n\": \"haFTvA70KcI5XXReJUlQWoZus12aSJJ5EXAvu93xR7k\"}}",
          "\"p\" * \"q\" is not the public key's \"n\"" },
        { "{\"kty\": \"DAJ\", \"key_ops\": [\"decrypt\"], \"p\": \"AQ\", "
          "\"q\": \"haFTvA70KcI5XXReJUlQWoZus12aSJJ5EXAvu93xR7k\", \"pub\": {\"kty\": \"DAJ\", "
          "\"alg\": \"PAI-GN1\", \"n\": \"haFTvA70KcI5XXReJUlQWoZus12aSJJ5EXAvu93xR7k\"}}",
          "the factors of n are not two distinct primes" },
        { "{\"kty\": \"DAJ\", \"key_ops\": [\"decrypt\"], \"p\": \"sIeGYNEcNGzpHymiA_wTIQ\", "
          "\"q\": \"wcnMgG7bLvC_7P9fype5mQ\", \"lambda\": \"AQ\", \"mu\": \"AQ\", "
          "\"pub\": {\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", "
          "\"n\": \"haFTvA70KcI5XXReJUlQWoZus12aSJJ5EXAvu93xR7k\"}}",
          "\"lambda\" does not match \"p\" and \"q\"" },
        { "{\"kty\": \"DAJ\", \"key_ops\": [\"decrypt\"], \"pub\": {\"kty\": \"DAJ\", "
          "\"alg\": \"PAI-GN1\", \"n\": \"haFTvA70KcI5XXReJUlQWoZus12aSJJ5EXAvu93xR7k\"}}",
          "private key has neither \"p\" and \"q\" nor \"lambda\" and \"mu\"" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CU_ASSERT_NOT_EQUAL(pai_jwk_read(bad[i][0], &pub, &priv, &has, &R, &err), RT_OK);
        CU_ASSERT_STRING_EQUAL(err.msg, bad[i][1]);
        CU_ASSERT_EQUAL(has, 0);
        /* reading the public part alone does not let a broken private key through */
        CU_ASSERT_NOT_EQUAL(pai_jwk_read(bad[i][0], &pub, NULL, &has, &R, &err), RT_OK);
    }
    pai_pub_clear(&pub); pai_priv_clear(&priv); pai_priv_clear(&ref);
}

/* Public keys whose n cannot be a Paillier modulus are refused with the reason. */
static void jwk_bad_moduli(void)
{
    mpz_t n, p; mpz_inits(n, p, NULL);
    PaiPub pub; pai_pub_init(&pub);
    RtErr err;
    int has;
    struct { int kind; const char *msg; } cases[] = {
        { 0, "\"n\" is prime: a Paillier modulus is the product of two distinct primes "
             "(anyone could decrypt)" },
        { 1, "\"n\" is even: a Paillier modulus is the product of two odd primes" },
        { 2, "\"n\" has 64 bits: a Paillier modulus needs at least 128" },
        { 3, "\"n\" is a perfect square: its two prime factors must differ" },
        { 4, "\"n\" has the small factor 3: a Paillier modulus is the product of two large primes" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mpz_ui_pow_ui(p, 2, 255);
        mpz_nextprime(p, p);                            /* a 256-bit prime */
        switch (cases[i].kind) {
        case 0: mpz_set(n, p); break;
        case 1: mpz_mul_ui(n, p, 2); break;
        case 2: mpz_set_ui(n, 0xfffffffffffffffbUL); break;
        case 3: mpz_fdiv_q_2exp(p, p, 128); mpz_nextprime(p, p); mpz_mul(n, p, p); break;
        case 4: mpz_mul_ui(n, p, 3); break;
        }
        char *n64 = pai_b64_from_mpz(n), *doc = NULL;
        gmp_asprintf(&doc, "{\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"n\": \"%s\"}", n64);
        CU_ASSERT_EQUAL(pai_jwk_read(doc, &pub, NULL, &has, &R, &err), RT_EKEY);
        CU_ASSERT_STRING_EQUAL(err.msg, cases[i].msg);
        free(doc); free(n64);
    }
    /* a product of two primes passes */
    mpz_ui_pow_ui(p, 2, 127); mpz_nextprime(p, p);
    mpz_ui_pow_ui(n, 2, 128); mpz_nextprime(n, n);
    mpz_mul(n, n, p);
    char *n64 = pai_b64_from_mpz(n), *doc = NULL;
    gmp_asprintf(&doc, "{\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"n\": \"%s\"}", n64);
    CU_ASSERT_EQUAL(pai_jwk_read(doc, &pub, NULL, &has, &R, &err), RT_OK);
    free(doc); free(n64);
    mpz_clears(n, p, NULL);
    pai_pub_clear(&pub);
}

/* python-paillier gives every float its own exponent; a list of them is aligned
** exactly to the smallest, and decrypts to the values m * 16^e it was written with. */
static void vector_mixed_exponents(void)
{
    setup_key();
    /* (mantissa, exponent) pairs as phe.EncodedNumber.encode makes for 0.1, 7, -2.5e-3
    ** and 3.14159 (exponents -14, 0, -16, -13), encrypted from the definition */
    const struct { long m; int e; } in[] = {
        { 7205759403792794L, -14 }, { 7, 0 }, { -46116860184273880L, -16 },
        { 14148463553350876L, -13 },
    };
    const size_t N = sizeof in / sizeof *in;
    char doc[4096] = "[";
    mpz_t m, c, r, d; mpz_inits(m, c, r, d, NULL);
    for (size_t i = 0; i < N; i++) {
        mpz_set_si(m, in[i].m);
        if (in[i].m < 0) mpz_add(m, m, PUB.n);
        mpz_set_ui(r, 1000 + i);
        textbook(c, &PUB, m, r);
        char *one = pai_ct_json(c, in[i].e);
        if (i) strcat(doc, ", ");
        strcat(doc, one);
        free(one);
    }
    strcat(doc, "]");
    PaiVec *v = NULL;
    int nd, sh[4];
    RtErr err;
    CU_ASSERT_EQUAL_FATAL(pai_vec_read(doc, &PUB, &v, &nd, sh, &err), RT_OK);
    CU_ASSERT_EQUAL(v->exp, -16);
    CU_ASSERT_EQUAL(sh[0], 4);
    for (size_t i = 0; i < N; i++) {                /* exactly m * 16^(e + 16) at -16 */
        CU_ASSERT_EQUAL(pai_decrypt(&PRIV, &PUB, d, v->c[i], NULL), RT_OK);
        CU_ASSERT_EQUAL(pai_signed(&PUB, d, d, NULL), RT_OK);
        mpz_ui_pow_ui(r, 16, (unsigned long)(in[i].e + 16));
        mpz_set_si(m, in[i].m);
        mpz_mul(m, m, r);
        CU_ASSERT(mpz_cmp(d, m) == 0);
    }
    double y[4];
    CU_ASSERT_EQUAL(pai_vec_decrypt(y, &PUB, &PRIV, v, NULL, NULL), RT_OK);
    TU_NEAR(y[0], 0.1, 1e-15); TU_NEAR(y[1], 7, 0);
    TU_NEAR(y[2], -2.5e-3, 1e-15); TU_NEAR(y[3], 3.14159, 1e-15);
    pai_vec_free(v);
    /* exponents further apart than the key has bits cannot be aligned */
    char *a1 = pai_ct_json(c, 0), *a2 = pai_ct_json(c, -1000), *far = NULL;
    gmp_asprintf(&far, "[%s, %s]", a1, a2);
    CU_ASSERT_EQUAL(pai_vec_read(far, &PUB, &v, &nd, sh, &err), RT_EOVERFLOW);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "exponents -1000 and 0 are too far apart"));
    free(a1); free(a2); free(far);
    mpz_clears(m, c, r, d, NULL);
}

static void vector_json(void)
{
    setup_key();
    double x[6] = { 1, -2, 3.5, 4, -5.25, 6 };
    PaiVec *a, *b;
    CU_ASSERT_EQUAL_FATAL(pai_vec_encrypt(&a, &PUB, NULL, NULL, x, 6, -8, 10, &R, NULL, NULL), RT_OK);
    int shape[2] = { 2, 3 }, sh[4], nd;
    char *js = pai_vec_json(a, 2, shape);
    CU_ASSERT_EQUAL(js[0], '[');
    RtErr err;
    CU_ASSERT_EQUAL(pai_vec_read(js, &PUB, &b, &nd, sh, &err), RT_OK);
    CU_ASSERT_EQUAL(nd, 2); CU_ASSERT_EQUAL(sh[0], 2); CU_ASSERT_EQUAL(sh[1], 3);
    CU_ASSERT(isnan(b->lbound));
    for (int i = 0; i < 6; i++) CU_ASSERT(mpz_cmp(a->c[i], b->c[i]) == 0);
    check_vec(b, x, 6, 1e-9);
    free(js); pai_vec_free(b);
    /* a bare object is a 0-d vector; ragged lists are refused */
    js = pai_ct_json(a->c[0], -8);
    CU_ASSERT_EQUAL(pai_vec_read(js, &PUB, &b, &nd, sh, &err), RT_OK);
    CU_ASSERT_EQUAL(nd, 0); CU_ASSERT_EQUAL(b->n, 1);
    pai_vec_free(b);
    char *ragged = NULL;
    gmp_asprintf(&ragged, "[[%s, %s], [%s]]", js, js, js);
    CU_ASSERT_EQUAL(pai_vec_read(ragged, &PUB, &b, &nd, sh, &err), RT_EFORMAT);
    free(ragged); free(js);
    pai_vec_free(a);
}

static void digests(void)
{
    setup_key();
    mpz_t m, c1, c2; mpz_inits(m, c1, c2, NULL);
    mpz_set_ui(m, 7);
    pai_encrypt(&PUB, c1, m, &R); pai_encrypt(&PUB, c2, m, &R);
    char d1[17], d2[17];
    pai_digest(c1, d1); pai_digest(c2, d2);
    CU_ASSERT_EQUAL(strlen(d1), 16);
    CU_ASSERT(strcmp(d1, d2) != 0);
    pai_digest(c1, d2);
    CU_ASSERT_STRING_EQUAL(d1, d2);
    mpz_clears(m, c1, c2, NULL);
}

static void round_trip_2048(void)
{
    Rng r; rng_init(&r);                      /* operating-system randomness */
    PaiPub pub; PaiPriv priv; pai_pub_init(&pub); pai_priv_init(&priv);
    CU_ASSERT_EQUAL_FATAL(pai_keygen(&pub, &priv, 2048, &r, NULL), RT_OK);
    CU_ASSERT_EQUAL(pub.bits, 2048);
    CU_ASSERT_EQUAL(mpz_sizeinbase(priv.p, 2), 1024);
    pai_pub_precompute(&pub);
    pai_priv_precompute(&priv, &pub);
    double x[4] = { 3.14159, -2.71828, 1e5, -1e-5 }, y[4];
    PaiOpts o = { .threads = 2 };
    PaiVec *a, *b, *s;
    CU_ASSERT_EQUAL(pai_vec_encrypt(&a, &pub, NULL, NULL, x, 4, -8, 1e6, &r, &o, NULL), RT_OK);
    CU_ASSERT_EQUAL(pai_vec_encrypt(&b, &pub, &priv, NULL, x, 4, -8, 1e6, &r, &o, NULL), RT_OK);
    CU_ASSERT_EQUAL(pai_vec_add(&s, &pub, a, NULL, b, NULL, 4, &o, NULL), RT_OK);
    CU_ASSERT_EQUAL(pai_vec_decrypt(y, &pub, &priv, s, &o, NULL), RT_OK);
    for (int i = 0; i < 4; i++) TU_NEAR(y[i], 2 * x[i], 1e-9);
    mpz_t m, d; mpz_inits(m, d, NULL);
    mpz_set_ui(m, 99);
    mpz_t aa; mpz_init(aa);
    pai_random_a(&pub, aa, &r);
    pai_encrypt_a(&pub, a->c[0], m, aa);
    pai_encrypt_crt_a(&priv, &pub, b->c[0], m, aa);
    CU_ASSERT(mpz_cmp(a->c[0], b->c[0]) == 0);
    pai_decrypt(&priv, &pub, d, a->c[0], NULL);
    CU_ASSERT(mpz_cmp(d, m) == 0);
    mpz_clears(m, d, aa, NULL);
    pai_vec_free(a); pai_vec_free(b); pai_vec_free(s);
    pai_pub_clear(&pub); pai_priv_clear(&priv);
    rng_wipe(&r);
}

static void teardown_last(void)
{
    paikey_clear();
    rng_wipe(&R);
}

/* A key that arrives (n and hs as the sender has them): every field equals the sender's,
** no hs is drawn, and a copied private key decrypts and encrypts by CRT the same way. */
static void key_arrives(void)
{
    setup_key();
    PaiPub pub; PaiPriv priv;
    pai_pub_init(&pub); pai_priv_init(&priv);
    CU_ASSERT_EQUAL(pai_pub_set_nh(&pub, PUB.n, PUB.hs, NULL), RT_OK);
    CU_ASSERT(mpz_cmp(pub.n2, PUB.n2) == 0 && mpz_cmp(pub.hs, PUB.hs) == 0);
    CU_ASSERT(mpz_cmp(pub.max_int, PUB.max_int) == 0);
    CU_ASSERT(pub.bits == PUB.bits && pub.ebits == PUB.ebits && pub.max_int_log2 == PUB.max_int_log2);
    pai_priv_copy(&priv, &PRIV, &pub);
    mpz_t m, c, a, c2, out; mpz_inits(m, c, a, c2, out, NULL);
    mpz_set_ui(m, 4242); mpz_set_ui(a, 77);
    pai_encrypt_a(&pub, c, m, a);
    pai_encrypt_crt_a(&priv, &pub, c2, m, a);
    CU_ASSERT(mpz_cmp(c, c2) == 0);
    CU_ASSERT_EQUAL(pai_decrypt(&priv, &pub, out, c, NULL), RT_OK);
    CU_ASSERT(mpz_cmp(out, m) == 0);
    RtErr e;
    mpz_set(out, PUB.n2);                   /* hs out of range, even n: refused */
    CU_ASSERT_EQUAL(pai_pub_set_nh(&pub, PUB.n, out, &e), RT_EKEY);
    CU_ASSERT_EQUAL(e.code, RT_EKEY);
    CU_ASSERT_STRING_EQUAL(e.msg, "the key's hs is out of range: it must lie in (0, n^2)");
    mpz_set_ui(out, 0);
    CU_ASSERT_EQUAL(pai_pub_set_nh(&pub, PUB.n, out, &e), RT_EKEY);
    CU_ASSERT_STRING_EQUAL(e.msg, "the key's hs is out of range: it must lie in (0, n^2)");
    mpz_add_ui(out, PUB.n, 1);
    CU_ASSERT_EQUAL(pai_pub_set_nh(&pub, out, PUB.hs, &e), RT_EKEY);
    CU_ASSERT_STRING_EQUAL(e.msg, "the modulus must be odd and have at least 128 bits");
    mpz_clears(m, c, a, c2, out, NULL);
    pai_pub_clear(&pub); pai_priv_clear(&priv);
}

int main(void)
{
    static const TU_Test tests[] = {
        { "keygen_checks", keygen_checks },
        { "textbook_known_answer", textbook_known_answer },
        { "djn_and_crt_match_formula", djn_and_crt_match_formula },
        { "homomorphisms", homomorphisms },
        { "fixed_point", fixed_point },
        { "vectors_one_and_two_threads", vectors_one_and_two_threads },
        { "overflow_is_an_error", overflow_is_an_error },
        { "noise_pool", noise_pool },
        { "packing", packing },
        { "base64url", base64url },
        { "jwk_python_paillier_vectors", jwk_python_paillier_vectors },
        { "jwk_round_trip_and_errors", jwk_round_trip_and_errors },
        { "jwk_pheutil_factors", jwk_pheutil_factors },
        { "jwk_bad_moduli", jwk_bad_moduli },
        { "vector_json", vector_json },
        { "vector_mixed_exponents", vector_mixed_exponents },
        { "digests", digests },
        { "key_arrives", key_arrives },
        { "round_trip_2048", round_trip_2048 },
        { "teardown", teardown_last },
        { NULL, NULL },
    };
    return tu_main("rt_pai", tests);
}
