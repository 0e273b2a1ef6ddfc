/*
** pai_json.c — python-paillier interoperability: JWK public and private keys as its
** pheutil tool writes them ({"kty": "DAJ", "alg": "PAI-GN1", "n": <base64url>}, and
** private keys with "pub" and either the factors "p", "q" (pheutil today) or "lambda",
** "mu" (its documentation's older form)), ciphertexts as {"v": "<decimal>", "e": <base-16
** exponent>}, vectors as nested arrays of those (exponents may differ: they are aligned
** exactly to the smallest on reading), and base64url.  Keys are checked on reading: a
** modulus that is even, too small, prime, a square or has a small factor is refused, and
** so are factors that are not primes whose product is n.  JSON is read and written by
** jansson (every block it frees is wiped first: key documents pass through it) and
** base64url by libsodium; this file owns only the documents' shape.  Key and ciphertext
** semantics are pai.c's.
*/
#include "pai.h"
#include <jansson.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void) { fputs("ppdl: out of memory\n", stderr); abort(); }

/* --- jansson and libsodium -------------------------------------------------------------- */

/* jansson allocates through these: every block is wiped before it is freed, because a
** private key's document passes through jansson's strings. */
static void *json_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p) oom();
    return p;
}

static void json_wipe_free(void *p)
{
    if (!p) return;
    sodium_memzero(p, malloc_usable_size(p));
    free(p);
}

static pthread_once_t json_once = PTHREAD_ONCE_INIT;
static void json_setup(void) { json_set_alloc_funcs(json_alloc, json_wipe_free); }

/* Parses a document; on failure writes jansson's reason (with line and column). */
static json_t *parse(const char *text, char *err, size_t errlen)
{
    pthread_once(&json_once, json_setup);
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root && err && errlen)
        snprintf(err, errlen, "not valid JSON: %s (line %d, column %d)", je.text, je.line, je.column);
    return root;
}

/* The document as text, with a newline when asked; NULL never (out of memory aborts). */
static char *dump(json_t *root, bool newline)
{
    char *s = json_dumps(root, JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s) oom();
    if (!newline) return s;
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) oom();
    t[n] = '\n'; t[n + 1] = 0;
    return t;
}

static void set(json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0) oom();
}

static void errf(char *err, size_t len, const char *msg)
{
    if (err && len) snprintf(err, len, "%s", msg);
}

/* --- base64url (libsodium) ---------------------------------------------------------- */

char *pai_b64_from_mpz(const mpz_t x)
{
    size_t n = 0;
    unsigned char *b = mpz_sgn(x) ? mpz_export(NULL, &n, 1, 1, 1, 0, x) : NULL;
    size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = malloc(len);
    if (!s) oom();
    sodium_bin2base64(s, len, b, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (b) { sodium_memzero(b, n); free(b); }
    return s;
}

/* Reads base64url (python-paillier's form) or standard base64, padded or not. */
int pai_b64_to_mpz(mpz_t x, const char *s, size_t len)
{
    while (len && s[len - 1] == '=') len--;
    size_t max = len * 3 / 4 + 3, n = 0;
    unsigned char *b = malloc(max);
    if (!b) oom();
    const char *end = NULL;
    int ok = sodium_base642bin(b, max, s, len, NULL, &n, &end,
                               sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 && end == s + len;
    if (!ok)
        ok = sodium_base642bin(b, max, s, len, NULL, &n, &end,
                               sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 && end == s + len;
    if (ok) mpz_import(x, n, 1, 1, 1, 0, b);
    sodium_memzero(b, max);
    free(b);
    return ok ? PAI_OK : PAI_EFORMAT;
}

/* --- keys -------------------------------------------------------------------------------- */

static json_t *b64_value(const mpz_t x)
{
    char *s = pai_b64_from_mpz(x);
    json_t *v = json_string(s);
    sodium_memzero(s, strlen(s));
    free(s);
    return v;
}

/* A key id as a JSON string: text that is not UTF-8 gives the default id. */
static json_t *kid_value(const char *kid, const char *dflt)
{
    json_t *v = kid ? json_string(kid) : NULL;
    return v ? v : json_string(dflt);
}

static json_t *pub_json(const PaiPub *pub, const char *kid)
{
    json_t *o = json_object(), *ops = json_array();
    if (!o || !ops || json_array_append_new(ops, json_string("encrypt"))) oom();
    set(o, "kty", json_string("DAJ"));
    set(o, "alg", json_string("PAI-GN1"));
    set(o, "key_ops", ops);
    set(o, "n", b64_value(pub->n));
    set(o, "kid", kid_value(kid, "Paillier public key generated by ppdl"));
    return o;
}

char *pai_jwk_public(const PaiPub *pub, const char *kid)
{
    pthread_once(&json_once, json_setup);
    return dump(pub_json(pub, kid), false);
}

char *pai_jwk_private(const PaiPub *pub, const PaiPriv *priv, const char *kid)
{
    pthread_once(&json_once, json_setup);
    json_t *o = json_object(), *ops = json_array();
    if (!o || !ops || json_array_append_new(ops, json_string("decrypt"))) oom();
    set(o, "kty", json_string("DAJ"));
    set(o, "key_ops", ops);
    set(o, "lambda", b64_value(priv->lambda));
    set(o, "mu", b64_value(priv->mu));
    set(o, "p", b64_value(priv->p));
    set(o, "q", b64_value(priv->q));
    set(o, "pub", pub_json(pub, kid));
    set(o, "kid", kid_value(kid, "Paillier private key generated by ppdl"));
    return dump(o, false);
}

static int read_b64(json_t *o, const char *key, mpz_t x)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) return PAI_EFORMAT;
    return pai_b64_to_mpz(x, json_string_value(v), json_string_length(v));
}

static int has_op(json_t *o, const char *op)
{
    json_t *ops = json_object_get(o, "key_ops"), *e;
    size_t i;
    json_array_foreach(ops, i, e)
        if (json_is_string(e) && !strcmp(json_string_value(e), op)) return 1;
    return 0;
}

/* Finds p, q from n and lambda, which is either (p-1)(q-1) or a divisor of it by a
** small factor (the Carmichael function lcm(p-1, q-1) = (p-1)(q-1)/gcd). */
static int factor_from_lambda(const mpz_t n, const mpz_t lambda, mpz_t p, mpz_t q)
{
    int st = PAI_EKEY;
    mpz_t phi, s, d; mpz_inits(phi, s, d, NULL);
    for (unsigned long k = 1; k <= 65536; k++) {
        mpz_mul_ui(phi, lambda, k);
        if (mpz_cmp(phi, n) >= 0) break;
        mpz_sub(s, n, phi); mpz_add_ui(s, s, 1);       /* p + q */
        mpz_mul(d, s, s); mpz_submul_ui(d, n, 4);       /* (p - q)^2 */
        if (mpz_sgn(d) < 0 || !mpz_perfect_square_p(d)) continue;
        mpz_sqrt(d, d);
        mpz_sub(p, s, d); mpz_add(q, s, d);
        if (mpz_odd_p(p)) continue;
        mpz_fdiv_q_2exp(p, p, 1); mpz_fdiv_q_2exp(q, q, 1);
        mpz_mul(s, p, q);
        if (mpz_cmp(s, n) == 0 && mpz_cmp_ui(p, 1) > 0) { st = PAI_OK; break; }
    }
    pai_mpz_wipe(phi); pai_mpz_wipe(s); pai_mpz_wipe(d);
    mpz_clears(phi, s, d, NULL);
    return st;
}

/* Refuses a modulus that cannot be a product of two distinct large primes: even, below
** PAI_MIN_BITS, prime, a perfect square (p = q) or with a factor below 2^16.  A public
** key cannot prove more than that without its factors. */
static int check_modulus(const mpz_t n, char *err, size_t errlen)
{
    char msg[160];
    size_t bits = mpz_sizeinbase(n, 2);
    if (mpz_sgn(n) <= 0 || bits < PAI_MIN_BITS) {
        snprintf(msg, sizeof msg, "\"n\" has %zu bits: a Paillier modulus needs at least %d",
                 mpz_sgn(n) > 0 ? bits : 0, PAI_MIN_BITS);
        errf(err, errlen, msg);
        return PAI_EKEY;
    }
    if (mpz_even_p(n)) {
        errf(err, errlen, "\"n\" is even: a Paillier modulus is the product of two odd primes");
        return PAI_EKEY;
    }
    if (mpz_probab_prime_p(n, 25)) {
        errf(err, errlen, "\"n\" is prime: a Paillier modulus is the product of two distinct "
                          "primes (anyone could decrypt)");
        return PAI_EKEY;
    }
    if (mpz_perfect_square_p(n)) {
        errf(err, errlen, "\"n\" is a perfect square: its two prime factors must differ");
        return PAI_EKEY;
    }
    for (unsigned long d = 3; d < 65536; d += 2) {
        if (mpz_divisible_ui_p(n, d)) {
            snprintf(msg, sizeof msg, "\"n\" has the small factor %lu: a Paillier modulus is "
                     "the product of two large primes", d);
            errf(err, errlen, msg);
            return PAI_EKEY;
        }
    }
    return PAI_OK;
}

/* The private part: the factors from "p" and "q" (pheutil) or recovered from "lambda"
** and "mu" (the older form); when both are present they must agree.  Derives priv. */
static int read_private(json_t *root, const PaiPub *pub, PaiPriv *priv, char *err, size_t errlen)
{
    json_t *pj = json_object_get(root, "p"), *qj = json_object_get(root, "q");
    json_t *lj = json_object_get(root, "lambda"), *mj = json_object_get(root, "mu");
    int st = PAI_EFORMAT;
    mpz_t lambda, mu, p, q, t; mpz_inits(lambda, mu, p, q, t, NULL);
    if (!pj && !qj && !lj && !mj) {
        errf(err, errlen, "private key has neither \"p\" and \"q\" nor \"lambda\" and \"mu\"");
        goto out;
    }
    if ((pj || qj) && (read_b64(root, "p", p) || read_b64(root, "q", q))) {
        errf(err, errlen, "bad \"p\" or \"q\" (both must be base64url integers)");
        goto out;
    }
    if ((lj || mj) && (read_b64(root, "lambda", lambda) || read_b64(root, "mu", mu))) {
        errf(err, errlen, "bad \"lambda\" or \"mu\" (both must be base64url integers)");
        goto out;
    }
    st = PAI_EKEY;
    if (lj) {
        mpz_mul(t, lambda, mu);
        mpz_mod(t, t, pub->n);
        if (mpz_cmp_ui(t, 1) != 0) {
            errf(err, errlen, "\"mu\" is not the inverse of \"lambda\" modulo n");
            goto out;
        }
    }
    if (pj) {
        mpz_mul(t, p, q);
        if (mpz_cmp(t, pub->n) != 0) {
            errf(err, errlen, "\"p\" * \"q\" is not the public key's \"n\"");
            goto out;
        }
    } else if (factor_from_lambda(pub->n, lambda, p, q) != PAI_OK) {
        errf(err, errlen, "cannot recover the factors of n from \"lambda\"");
        goto out;
    }
    if (mpz_cmp(p, q) == 0 || !mpz_probab_prime_p(p, 25) || !mpz_probab_prime_p(q, 25)) {
        errf(err, errlen, "the factors of n are not two distinct primes");
        goto out;
    }
    if (pai_priv_set_pq(priv, pub, p, q) != PAI_OK) {
        errf(err, errlen, "inconsistent private key");
        goto out;
    }
    if (pj && lj) {                 /* lambda is phi(n) or the Carmichael function */
        mpz_lcm(t, priv->pm1, priv->qm1);
        if (mpz_cmp(lambda, priv->lambda) != 0 && mpz_cmp(lambda, t) != 0) {
            errf(err, errlen, "\"lambda\" does not match \"p\" and \"q\"");
            goto out;
        }
    }
    st = PAI_OK;
out:
    pai_mpz_wipe(lambda); pai_mpz_wipe(mu); pai_mpz_wipe(p); pai_mpz_wipe(q); pai_mpz_wipe(t);
    mpz_clears(lambda, mu, p, q, t, NULL);
    return st;
}

int pai_jwk_read(const char *json, PaiPub *pub, PaiPriv *priv, int *has_priv, Rng *rng,
                 char *err, size_t errlen)
{
    *has_priv = 0;
    json_t *root = parse(json, err, errlen);
    if (!root) return PAI_EFORMAT;
    int st = PAI_EFORMAT;
    json_t *kty = json_object_get(root, "kty");
    if (!json_is_string(kty) || strcmp(json_string_value(kty), "DAJ")) {
        errf(err, errlen, "not a Paillier JWK (kty must be \"DAJ\")");
        goto out;
    }
    json_t *pubj = json_object_get(root, "pub");
    int is_priv = pubj != NULL;
    if (is_priv && (!json_is_object(pubj) || !has_op(root, "decrypt"))) {
        errf(err, errlen, "private key must have \"key_ops\": [\"decrypt\"] and \"pub\"");
        goto out;
    }
    json_t *pk = is_priv ? pubj : root;
    json_t *alg = json_object_get(pk, "alg");
    if (!json_is_string(alg) || strcmp(json_string_value(alg), "PAI-GN1")) {
        errf(err, errlen, "public key must have \"alg\": \"PAI-GN1\"");
        goto out;
    }
    mpz_t n; mpz_init(n);
    if (read_b64(pk, "n", n)) {
        errf(err, errlen, "bad \"n\" (a base64url integer expected)");
        mpz_clear(n);
        goto out;
    }
    st = check_modulus(n, err, errlen);
    if (!st && (st = pai_pub_set_n(pub, n, rng)) != PAI_OK)
        errf(err, errlen, "\"n\" is not a usable modulus");
    mpz_clear(n);
    if (st) goto out;
    if (is_priv) {
        if (priv) {
            st = read_private(root, pub, priv, err, errlen);
        } else {                    /* the public part only: the private one is checked */
            PaiPriv tmp; pai_priv_init(&tmp);
            st = read_private(root, pub, &tmp, err, errlen);
            pai_priv_clear(&tmp);
        }
        *has_priv = st == PAI_OK;
    }
out:
    json_decref(root);
    return st;
}

/* --- ciphertexts ------------------------------------------------------------------------- */

static json_t *ct_value(const mpz_t c, int exp)
{
    char *d = mpz_get_str(NULL, 10, c);
    json_t *o = json_object();
    if (!d || !o) oom();
    set(o, "v", json_string(d));
    set(o, "e", json_integer(exp));
    free(d);
    return o;
}

char *pai_ct_json(const mpz_t c, int exp)
{
    pthread_once(&json_once, json_setup);
    return dump(ct_value(c, exp), false);
}

static int ct_from(json_t *o, const PaiPub *pub, mpz_t c, int *exp)
{
    json_t *v = json_object_get(o, "v"), *e = json_object_get(o, "e");
    if (!json_is_string(v) || !json_is_integer(e)) return PAI_EFORMAT;
    if (mpz_set_str(c, json_string_value(v), 10) != 0) return PAI_EFORMAT;
    json_int_t x = json_integer_value(e);
    if (x < -100000 || x > 100000) return PAI_EFORMAT;
    *exp = (int)x;
    if (pub && (mpz_sgn(c) <= 0 || mpz_cmp(c, pub->n2) >= 0)) return PAI_EFORMAT;
    return PAI_OK;
}

int pai_ct_read(const char *json, const PaiPub *pub, mpz_t c, int *exp)
{
    json_t *root = parse(json, NULL, 0);
    if (!root) return PAI_EFORMAT;
    int st = ct_from(root, pub, c, exp);
    json_decref(root);
    return st;
}

static json_t *vec_value(const PaiVec *v, int ndim, const int *shape, size_t *at)
{
    if (ndim == 0) { json_t *o = ct_value(v->c[*at], v->exp); (*at)++; return o; }
    json_t *a = json_array();
    if (!a) oom();
    for (int i = 0; i < shape[0]; i++)
        if (json_array_append_new(a, vec_value(v, ndim - 1, shape + 1, at))) oom();
    return a;
}

char *pai_vec_json(const PaiVec *v, int ndim, const int *shape)
{
    if (v->slots) return NULL;
    pthread_once(&json_once, json_setup);
    size_t at = 0;
    return dump(vec_value(v, ndim, shape, &at), true);
}

/* Walks nested arrays: shape from the first path, checked everywhere. */
static int vec_shape(json_t *j, int depth, int *ndim, int shape[4], size_t *count)
{
    if (json_is_object(j)) {
        if (*ndim < 0) *ndim = depth;
        if (*ndim != depth) return PAI_EFORMAT;
        (*count)++;
        return PAI_OK;
    }
    size_t n = json_array_size(j);
    if (!json_is_array(j) || depth >= 4 || n == 0 || n > INT_MAX) return PAI_EFORMAT;
    if (*ndim < 0 && shape[depth] == 0) shape[depth] = (int)n;
    if ((size_t)shape[depth] != n) return PAI_EFORMAT;
    for (size_t i = 0; i < n; i++)
        if (vec_shape(json_array_get(j, i), depth + 1, ndim, shape, count)) return PAI_EFORMAT;
    return PAI_OK;
}

static int vec_fill(json_t *j, const PaiPub *pub, PaiVec *v, size_t *at, int *exps)
{
    if (json_is_object(j)) {
        if (ct_from(j, pub, v->c[*at], &exps[*at])) return PAI_EFORMAT;
        (*at)++;
        return PAI_OK;
    }
    for (size_t i = 0; i < json_array_size(j); i++)
        if (vec_fill(json_array_get(j, i), pub, v, at, exps)) return PAI_EFORMAT;
    return PAI_OK;
}

/* Brings every ciphertext to the smallest exponent, exactly as python-paillier's
** decrease_exponent_to does: m * 16^e = (m * 16^d) * 16^(e - d), so c becomes
** c^(16^d) mod n^2.  A shift of as many bits as n has cannot leave a nonzero value in
** range and is refused (PAI_EOVERFLOW); smaller ones are checked on decryption. */
static int align_exponents(const PaiPub *pub, PaiVec *v, const int *exps, char *err,
                           size_t errlen)
{
    int lo = exps[0], hi = exps[0];
    for (size_t i = 1; i < v->n; i++) {
        if (exps[i] < lo) lo = exps[i];
        if (exps[i] > hi) hi = exps[i];
    }
    v->exp = lo;
    if (hi == lo) return PAI_OK;
    if (!pub) return PAI_EMISMATCH;
    if (4.0 * ((double)hi - lo) >= pub->bits) {
        char msg[200];
        snprintf(msg, sizeof msg, "exponents %d and %d are too far apart: aligning them "
                 "multiplies by 16^%d, more than a %u-bit key holds", lo, hi, hi - lo, pub->bits);
        errf(err, errlen, msg);
        return PAI_EOVERFLOW;
    }
    mpz_t k; mpz_init(k);
    for (size_t i = 0; i < v->n; i++) {
        if (exps[i] == lo) continue;
        mpz_ui_pow_ui(k, PAI_BASE, (unsigned long)(exps[i] - lo));
        pai_mul_plain(pub, v->c[i], v->c[i], k);
    }
    mpz_clear(k);
    return PAI_OK;
}

int pai_vec_read(const char *json, const PaiPub *pub, PaiVec **out, int *ndim, int shape[4],
                 char *err, size_t errlen)
{
    *out = NULL;
    json_t *root = parse(json, err, errlen);
    if (!root) return PAI_EFORMAT;
    int nd = -1;
    size_t count = 0;
    for (int i = 0; i < 4; i++) shape[i] = 0;
    int st = vec_shape(root, 0, &nd, shape, &count);
    if (st) {
        errf(err, errlen, "expected {\"v\": ..., \"e\": ...} or rectangular nested lists of them");
        json_decref(root);
        return st;
    }
    PaiVec *v = pai_vec_new(count);
    int *exps = malloc(count * sizeof *exps);
    if (!exps) oom();
    size_t at = 0;
    st = vec_fill(root, pub, v, &at, exps);
    json_decref(root);
    if (st)
        errf(err, errlen, "bad ciphertext (\"v\" must be a decimal string below n^2, "
                          "\"e\" an integer exponent)");
    else
        st = align_exponents(pub, v, exps, err, errlen);
    free(exps);
    if (st) {
        pai_vec_free(v);
        return st;
    }
    v->lbound = NAN;                /* unknown: only decryption's range check applies */
    *ndim = nd;
    *out = v;
    return PAI_OK;
}
