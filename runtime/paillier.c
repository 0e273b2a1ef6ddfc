/*
** paillier.c — Paillier keys and single values: key generation and checks, the
** Damgård–Jurik–Nielsen fixed-base tables, encryption (textbook, DJN, CRT for the
** keyholder), CRT decryption, the homomorphic operations on one ciphertext, the
** fixed-point encoding, and digests.  Vectors, threads, noise pools and packing are in
** paillier_vec.c; file formats in paillier_json.c.  See paillier.h for the security notes.
*/
#include "paillier.h"
#include "mem.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pai_strerror(int status)
{
    switch (status) {
    case RT_OK:         return "ok";
    case RT_ERANGE:    return "value outside the encodable range";
    case RT_EOVERFLOW: return "result could exceed the safe range of the key (overflow)";
    case RT_EFORMAT:   return "malformed data";
    case RT_EKEY:      return "invalid or mismatched key";
    case RT_EMISMATCH: return "operands do not match";
    case RT_EPACKED:   return "not defined on packed ciphertexts (only addition is)";
    case RT_EEMPTY:    return "noise pool exhausted";
    case RT_EINTR:     return "interrupted";
    case RT_EIO:       return "input/output error";
    case RT_EBOUND:    return "the bound of the plaintexts is unknown";
    case RT_EMASK:     return "the plaintexts' bound plus the mask's 40 bits do not fit in the key";
    case RT_ECLAIM:    return "a value breaks the stated bound";
    default:            return "unknown error";
    }
}

void pai_mpz_wipe(mpz_t x)
{
    volatile mp_limb_t *d = x->_mp_d;
    for (int i = 0; i < x->_mp_alloc; i++) d[i] = 0;
    x->_mp_size = 0;
}

mpz_t *pai_mpz_array(size_t n)
{
    mpz_t *a = xmalloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < n; i++) mpz_init(a[i]);
    return a;
}

void pai_mpz_array_free(mpz_t *a, size_t n)
{
    if (!a) return;
    for (size_t i = 0; i < n; i++) { pai_mpz_wipe(a[i]); mpz_clear(a[i]); }
    free(a);
}

/* Wipes then clears. */
static void wclear(mpz_t x) { pai_mpz_wipe(x); mpz_clear(x); }

/* out = base^e mod m with a secret exponent (mpz_powm_sec needs e > 0). */
static void spow(mpz_t out, const mpz_t base, const mpz_t e, const mpz_t m)
{
    if (mpz_sgn(e) == 0) mpz_set_ui(out, 1);
    else mpz_powm_sec(out, base, e, m);
}

/* x uniform in [0, 2^bits) from rng (see paillier.h). */
void pai_random_bits(mpz_t x, unsigned bits, Rng *rng)
{
    size_t nbytes = (bits + 7) / 8;
    unsigned char buf[1024];
    unsigned char *b = nbytes <= sizeof buf ? buf : xmalloc(nbytes);
    rng_bytes(rng, b, nbytes);
    if (bits % 8) b[0] &= (unsigned char)((1u << (bits % 8)) - 1);
    mpz_import(x, nbytes, 1, 1, 1, 0, b);
    memset(b, 0, nbytes);
    if (b != buf) free(b);
}

/* x uniform in [1, m) with gcd(x, m) = 1, by rejection. */
static void random_unit(mpz_t x, const mpz_t m, Rng *rng)
{
    unsigned bits = (unsigned)mpz_sizeinbase(m, 2);
    mpz_t g; mpz_init(g);
    for (;;) {
        pai_random_bits(x, bits, rng);
        if (mpz_sgn(x) == 0 || mpz_cmp(x, m) >= 0) continue;
        mpz_gcd(g, x, m);
        if (mpz_cmp_ui(g, 1) == 0) break;
    }
    mpz_clear(g);
}

/* --- fixed-base tables ------------------------------------------------------------ */

/* t[i * (2^w - 1) + d - 1] = base^(d * 2^(w i)) mod m for every window i and digit
** d in [1, 2^w): an exponent of nwin * w bits costs one multiplication a window. */
struct PaiTable {
    unsigned w, nwin;
    size_t per;
    mpz_t *t;
    mpz_t m;
    int secret;                 /* modulus is secret: wipe on free */
};

#define TABLE_W 7

static PaiTable *table_new(const mpz_t base, const mpz_t m, unsigned ebits, int secret)
{
    PaiTable *T = xcalloc(1, sizeof *T);
    T->w = TABLE_W;
    T->nwin = (ebits + T->w - 1) / T->w;
    T->per = ((size_t)1 << T->w) - 1;
    T->secret = secret;
    T->t = xmalloc(T->nwin * T->per * sizeof *T->t);
    mpz_init_set(T->m, m);
    mpz_t g, tmp; mpz_inits(g, tmp, NULL);
    mpz_mod(g, base, m);                        /* g = base^(2^(w i)) */
    for (unsigned i = 0; i < T->nwin; i++) {
        mpz_t *row = T->t + i * T->per;
        mpz_init_set(row[0], g);
        for (size_t d = 1; d < T->per; d++) {
            mpz_init(row[d]);
            mpz_mul(tmp, row[d - 1], g);
            mpz_mod(row[d], tmp, m);
        }
        mpz_mul(tmp, row[T->per - 1], g);       /* g^(2^w) */
        mpz_mod(g, tmp, m);
    }
    if (secret) { pai_mpz_wipe(g); pai_mpz_wipe(tmp); }
    mpz_clears(g, tmp, NULL);
    return T;
}

static void table_free(PaiTable *T)
{
    if (!T) return;
    for (size_t i = 0; i < T->nwin * T->per; i++) {
        if (T->secret) pai_mpz_wipe(T->t[i]);
        mpz_clear(T->t[i]);
    }
    free(T->t);
    if (T->secret) pai_mpz_wipe(T->m);
    mpz_clear(T->m);
    free(T);
}

/* out = base^a mod m for 0 <= a < 2^(nwin w). */
static void table_pow(mpz_t out, const PaiTable *T, const mpz_t a)
{
    mpz_t acc, tmp; mpz_inits(acc, tmp, NULL);
    int first = 1;
    for (unsigned i = 0; i < T->nwin; i++) {
        unsigned d = 0;
        for (unsigned b = 0; b < T->w; b++)
            d |= (unsigned)mpz_tstbit(a, i * T->w + b) << b;
        if (!d) continue;
        const mpz_t *e = &T->t[i * T->per + d - 1];
        if (first) { mpz_set(acc, *e); first = 0; }
        else { mpz_mul(tmp, acc, *e); mpz_mod(acc, tmp, T->m); }
    }
    if (first) mpz_set_ui(acc, 1);
    mpz_swap(out, acc);
    pai_mpz_wipe(acc); pai_mpz_wipe(tmp);
    mpz_clears(acc, tmp, NULL);
}

/* --- keys --------------------------------------------------------------------------- */

void pai_pub_init(PaiPub *pub)
{
    memset(pub, 0, sizeof *pub);
    mpz_inits(pub->n, pub->n2, pub->max_int, pub->hs, NULL);
}

void pai_pub_clear(PaiPub *pub)
{
    table_free(pub->tab);
    pub->tab = NULL;
    mpz_clears(pub->n, pub->n2, pub->max_int, pub->hs, NULL);
}

PaiPub *pai_pub_new(void)
{
    PaiPub *p = xmalloc(sizeof *p);
    pai_pub_init(p);
    return p;
}

void pai_pub_free(PaiPub *pub)
{
    if (!pub) return;
    pai_pub_clear(pub);
    free(pub);
}

void pai_priv_init(PaiPriv *k)
{
    memset(k, 0, sizeof *k);
    mpz_inits(k->p, k->q, k->p2, k->q2, k->pm1, k->qm1, k->hp, k->hq, k->pinv, k->p2inv,
              k->lambda, k->mu, k->hsp, k->hsq, NULL);
}

void pai_priv_clear(PaiPriv *k)
{
    table_free(k->tabp); table_free(k->tabq);
    k->tabp = k->tabq = NULL;
    mpz_t *all[] = { &k->p, &k->q, &k->p2, &k->q2, &k->pm1, &k->qm1, &k->hp, &k->hq,
                     &k->pinv, &k->p2inv, &k->lambda, &k->mu, &k->hsp, &k->hsq };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) wclear(*all[i]);
}

PaiPriv *pai_priv_new(void)
{
    PaiPriv *k = xmalloc(sizeof *k);
    pai_priv_init(k);
    return k;
}

void pai_priv_free(PaiPriv *k)
{
    if (!k) return;
    pai_priv_clear(k);
    free(k);
}

/* Sets every field derived from n alone (not hs); RT_EKEY if n is unusable. */
static int set_modulus(PaiPub *pub, const mpz_t n)
{
    if (mpz_sgn(n) <= 0 || mpz_even_p(n) || mpz_sizeinbase(n, 2) < PAI_MIN_BITS)
        return RT_EKEY;
    table_free(pub->tab);
    pub->tab = NULL;
    mpz_set(pub->n, n);
    mpz_mul(pub->n2, n, n);
    pub->bits = (unsigned)mpz_sizeinbase(n, 2);
    mpz_fdiv_q_ui(pub->max_int, n, 3);
    mpz_sub_ui(pub->max_int, pub->max_int, 1);
    pub->max_int_log2 = (unsigned)mpz_sizeinbase(pub->max_int, 2) - 1;
    pub->ebits = (pub->bits + 1) / 2;
    return RT_OK;
}

int pai_pub_set_nh(PaiPub *pub, const mpz_t n, const mpz_t hs, RtErr *err)
{
    if (set_modulus(pub, n))
        return rt_fail(err, RT_EKEY, "the modulus must be odd and have at least %d bits", PAI_MIN_BITS);
    if (mpz_sgn(hs) <= 0 || mpz_cmp(hs, pub->n2) >= 0)
        return rt_fail(err, RT_EKEY, "the key's hs is out of range: it must lie in (0, n^2)");
    mpz_set(pub->hs, hs);
    return RT_OK;
}

int pai_pub_set_n(PaiPub *pub, const mpz_t n, Rng *rng, RtErr *err)
{
    if (set_modulus(pub, n))
        return rt_fail(err, RT_EKEY, "the modulus must be odd and have at least %d bits", PAI_MIN_BITS);
    /* hs = (-x^2)^n mod n^2 for a random unit x */
    mpz_t x; mpz_init(x);
    random_unit(x, n, rng);
    mpz_mul(x, x, x);
    mpz_mod(x, x, n);
    mpz_sub(x, n, x);
    mpz_powm(pub->hs, x, n, pub->n2);
    wclear(x);
    return RT_OK;
}

void pai_pub_copy(PaiPub *dst, const PaiPub *src)
{
    table_free(dst->tab);
    dst->tab = NULL;
    mpz_set(dst->n, src->n); mpz_set(dst->n2, src->n2);
    mpz_set(dst->max_int, src->max_int); mpz_set(dst->hs, src->hs);
    dst->bits = src->bits; dst->max_int_log2 = src->max_int_log2; dst->ebits = src->ebits;
}

int pai_pub_equal(const PaiPub *a, const PaiPub *b) { return mpz_cmp(a->n, b->n) == 0; }

/* L_p(x) = (x - 1) / p, checking divisibility (a malformed ciphertext fails it). */
static int Lfun(mpz_t out, const mpz_t x, const mpz_t p)
{
    mpz_sub_ui(out, x, 1);
    if (!mpz_divisible_p(out, p)) return RT_EFORMAT;
    mpz_divexact(out, out, p);
    return RT_OK;
}

int pai_priv_set_pq(PaiPriv *k, const PaiPub *pub, const mpz_t p, const mpz_t q, RtErr *err)
{
    int st = RT_OK;
    mpz_t t, g; mpz_inits(t, g, NULL);
    mpz_mul(t, p, q);
    if (mpz_cmp(t, pub->n) != 0 || mpz_cmp(p, q) == 0 || mpz_cmp_ui(p, 2) <= 0 ||
        mpz_cmp_ui(q, 2) <= 0) { st = RT_EKEY; goto done; }
    if (mpz_cmp(p, q) < 0) { mpz_set(k->p, p); mpz_set(k->q, q); }
    else { mpz_set(k->p, q); mpz_set(k->q, p); }
    mpz_mul(k->p2, k->p, k->p); mpz_mul(k->q2, k->q, k->q);
    mpz_sub_ui(k->pm1, k->p, 1); mpz_sub_ui(k->qm1, k->q, 1);
    mpz_add_ui(g, pub->n, 1);                             /* g = n + 1 */
    /* hp = L_p(g^(p-1) mod p^2)^-1 mod p, as in Paillier's paper, section 7 */
    mpz_mod(t, g, k->p2); spow(t, t, k->pm1, k->p2);
    if (Lfun(t, t, k->p) || !mpz_invert(k->hp, t, k->p)) { st = RT_EKEY; goto done; }
    mpz_mod(t, g, k->q2); spow(t, t, k->qm1, k->q2);
    if (Lfun(t, t, k->q) || !mpz_invert(k->hq, t, k->q)) { st = RT_EKEY; goto done; }
    if (!mpz_invert(k->pinv, k->p, k->q) || !mpz_invert(k->p2inv, k->p2, k->q2)) {
        st = RT_EKEY; goto done;
    }
    mpz_mul(k->lambda, k->pm1, k->qm1);
    if (!mpz_invert(k->mu, k->lambda, pub->n)) { st = RT_EKEY; goto done; }
    mpz_mod(k->hsp, pub->hs, k->p2);
    mpz_mod(k->hsq, pub->hs, k->q2);
    table_free(k->tabp); table_free(k->tabq);
    k->tabp = k->tabq = NULL;
done:
    wclear(t); mpz_clear(g);
    if (st) return rt_fail(err, RT_EKEY, "p and q are not two distinct primes whose product is the modulus");
    return st;
}

void pai_priv_copy(PaiPriv *dst, const PaiPriv *src, const PaiPub *pub)
{
    mpz_set(dst->p, src->p); mpz_set(dst->q, src->q);
    mpz_set(dst->p2, src->p2); mpz_set(dst->q2, src->q2);
    mpz_set(dst->pm1, src->pm1); mpz_set(dst->qm1, src->qm1);
    mpz_set(dst->hp, src->hp); mpz_set(dst->hq, src->hq);
    mpz_set(dst->pinv, src->pinv); mpz_set(dst->p2inv, src->p2inv);
    mpz_set(dst->lambda, src->lambda); mpz_set(dst->mu, src->mu);
    mpz_mod(dst->hsp, pub->hs, dst->p2);
    mpz_mod(dst->hsq, pub->hs, dst->q2);
    table_free(dst->tabp); table_free(dst->tabq);
    dst->tabp = dst->tabq = NULL;
}

/* A random prime of exactly `bits` bits with the top two bits set. */
static void random_prime(mpz_t p, unsigned bits, Rng *rng)
{
    for (;;) {
        pai_random_bits(p, bits, rng);
        mpz_setbit(p, bits - 1); mpz_setbit(p, bits - 2); mpz_setbit(p, 0);
        if (mpz_probab_prime_p(p, 40)) return;
    }
}

int pai_keygen(PaiPub *pub, PaiPriv *priv, unsigned bits, Rng *rng, RtErr *err)
{
    if (bits < PAI_MIN_BITS || bits % 2)
        return rt_fail(err, RT_EKEY, "a Paillier key needs an even number of bits, at least %d "
                       "(%u asked)", PAI_MIN_BITS, bits);
    unsigned half = bits / 2;
    mpz_t p, q, n, t, phi; mpz_inits(p, q, n, t, phi, NULL);
    for (;;) {
        random_prime(p, half, rng);
        random_prime(q, half, rng);
        if (mpz_cmp(p, q) == 0) continue;
        mpz_sub(t, p, q); mpz_abs(t, t);                /* Fermat factoring needs p ~ q */
        if (half > 100 && mpz_sizeinbase(t, 2) <= half - 100) continue;
        mpz_mul(n, p, q);
        if (mpz_sizeinbase(n, 2) != bits) continue;
        mpz_sub_ui(t, p, 1); mpz_sub_ui(phi, q, 1); mpz_mul(phi, phi, t);
        mpz_gcd(t, n, phi);
        if (mpz_cmp_ui(t, 1) != 0) continue;
        break;
    }
    int st = pai_pub_set_n(pub, n, rng, err);
    if (st == RT_OK && priv) st = pai_priv_set_pq(priv, pub, p, q, err);
    wclear(p); wclear(q); wclear(phi); wclear(t); mpz_clear(n);
    return st;
}

void pai_pub_precompute(PaiPub *pub)
{
    if (!pub->tab) pub->tab = table_new(pub->hs, pub->n2, pub->ebits, 0);
}

void pai_priv_precompute(PaiPriv *priv, const PaiPub *pub)
{
    if (!priv->tabp) priv->tabp = table_new(priv->hsp, priv->p2, pub->ebits, 1);
    if (!priv->tabq) priv->tabq = table_new(priv->hsq, priv->q2, pub->ebits, 1);
}

/* --- encryption and decryption ------------------------------------------------------ */

/* c = (1 + m n) r mod n^2 */
static void combine(const PaiPub *pub, mpz_t c, const mpz_t m, const mpz_t r)
{
    mpz_t t; mpz_init(t);
    mpz_mul(t, m, pub->n);
    mpz_add_ui(t, t, 1);
    mpz_mul(t, t, r);
    mpz_mod(c, t, pub->n2);
    wclear(t);
}

void pai_encrypt_r(const PaiPub *pub, mpz_t c, const mpz_t m, const mpz_t r)
{
    mpz_t rn; mpz_init(rn);
    mpz_powm(rn, r, pub->n, pub->n2);           /* public exponent n */
    combine(pub, c, m, rn);
    wclear(rn);
}

void pai_random_a(const PaiPub *pub, mpz_t a, Rng *rng) { pai_random_bits(a, pub->ebits, rng); }

/* r = hs^a mod n^2 (table when built). */
static void djn_noise(const PaiPub *pub, mpz_t r, const mpz_t a)
{
    if (pub->tab) table_pow(r, pub->tab, a);
    else spow(r, pub->hs, a, pub->n2);
}

/* r = hs^a mod n^2 computed modulo p^2 and q^2 and recombined. */
static void crt_noise(const PaiPriv *k, mpz_t r, const mpz_t a)
{
    mpz_t rp, rq; mpz_inits(rp, rq, NULL);
    if (k->tabp) table_pow(rp, k->tabp, a); else spow(rp, k->hsp, a, k->p2);
    if (k->tabq) table_pow(rq, k->tabq, a); else spow(rq, k->hsq, a, k->q2);
    mpz_sub(rq, rq, rp);
    mpz_mul(rq, rq, k->p2inv);
    mpz_mod(rq, rq, k->q2);
    mpz_mul(rq, rq, k->p2);
    mpz_add(r, rp, rq);
    wclear(rp); wclear(rq);
}

void pai_encrypt_a(const PaiPub *pub, mpz_t c, const mpz_t m, const mpz_t a)
{
    mpz_t r; mpz_init(r);
    djn_noise(pub, r, a);
    combine(pub, c, m, r);
    wclear(r);
}

void pai_encrypt(const PaiPub *pub, mpz_t c, const mpz_t m, Rng *rng)
{
    mpz_t a; mpz_init(a);
    pai_random_a(pub, a, rng);
    pai_encrypt_a(pub, c, m, a);
    wclear(a);
}

void pai_encrypt_crt_a(const PaiPriv *priv, const PaiPub *pub, mpz_t c, const mpz_t m,
                       const mpz_t a)
{
    mpz_t r; mpz_init(r);
    crt_noise(priv, r, a);
    combine(pub, c, m, r);
    wclear(r);
}

void pai_encrypt_crt(const PaiPriv *priv, const PaiPub *pub, mpz_t c, const mpz_t m,
                     Rng *rng)
{
    mpz_t a; mpz_init(a);
    pai_random_a(pub, a, rng);
    pai_encrypt_crt_a(priv, pub, c, m, a);
    wclear(a);
}

void pai_noise(const PaiPub *pub, const PaiPriv *priv, mpz_t r, Rng *rng)
{
    mpz_t a; mpz_init(a);
    pai_random_a(pub, a, rng);
    if (priv) crt_noise(priv, r, a); else djn_noise(pub, r, a);
    wclear(a);
}

int pai_decrypt(const PaiPriv *k, const PaiPub *pub, mpz_t m, const mpz_t c, RtErr *err)
{
    if (mpz_sgn(c) <= 0 || mpz_cmp(c, pub->n2) >= 0)
        return rt_fail(err, RT_EFORMAT, "a ciphertext out of range: it must lie in (0, n^2)");
    int st = RT_OK;
    mpz_t xp, xq; mpz_inits(xp, xq, NULL);
    mpz_mod(xp, c, k->p2);
    spow(xp, xp, k->pm1, k->p2);
    mpz_mod(xq, c, k->q2);
    spow(xq, xq, k->qm1, k->q2);
    if (Lfun(xp, xp, k->p) || Lfun(xq, xq, k->q)) { st = RT_EFORMAT; goto done; }
    mpz_mul(xp, xp, k->hp); mpz_mod(xp, xp, k->p);      /* m mod p */
    mpz_mul(xq, xq, k->hq); mpz_mod(xq, xq, k->q);      /* m mod q */
    mpz_sub(xq, xq, xp);                                /* Garner */
    mpz_mul(xq, xq, k->pinv);
    mpz_mod(xq, xq, k->q);
    mpz_mul(xq, xq, k->p);
    mpz_add(m, xp, xq);
done:
    wclear(xp); wclear(xq);
    if (st) rt_err(err, st, "not a ciphertext of this key: it is not a unit modulo n");
    return st;
}

void pai_decrypt_lambda(const PaiPriv *k, const PaiPub *pub, mpz_t m, const mpz_t c)
{
    mpz_t x; mpz_init(x);
    spow(x, c, k->lambda, pub->n2);
    mpz_sub_ui(x, x, 1);
    mpz_divexact(x, x, pub->n);
    mpz_mul(x, x, k->mu);
    mpz_mod(m, x, pub->n);
    wclear(x);
}

void pai_add(const PaiPub *pub, mpz_t c, const mpz_t a, const mpz_t b)
{
    mpz_t t; mpz_init(t);
    mpz_mul(t, a, b);
    mpz_mod(c, t, pub->n2);
    mpz_clear(t);
}

void pai_add_plain(const PaiPub *pub, mpz_t c, const mpz_t a, const mpz_t k)
{
    mpz_t t; mpz_init(t);
    mpz_mod(t, k, pub->n);              /* signed k to [0, n) */
    mpz_mul(t, t, pub->n);
    mpz_add_ui(t, t, 1);
    mpz_mul(t, t, a);
    mpz_mod(c, t, pub->n2);
    mpz_clear(t);
}

void pai_mul_plain(const PaiPub *pub, mpz_t c, const mpz_t a, const mpz_t k)
{
    int neg = mpz_sgn(k) < 0;           /* c may alias k */
    mpz_t e; mpz_init(e);
    mpz_abs(e, k);
    mpz_powm(c, a, e, pub->n2);
    if (neg && !mpz_invert(c, c, pub->n2)) mpz_set_ui(c, 0);
    mpz_clear(e);
}

void pai_neg(const PaiPub *pub, mpz_t c, const mpz_t a)
{
    if (!mpz_invert(c, a, pub->n2)) mpz_set_ui(c, 0);
}

void pai_rerandomize(const PaiPub *pub, mpz_t c, Rng *rng)
{
    mpz_t r; mpz_init(r);
    pai_noise(pub, NULL, r, rng);
    pai_add(pub, c, c, r);
    wclear(r);
}

/* --- fixed point ---------------------------------------------------------------------- */

int pai_encode_k(mpz_t s, double x, int exp, RtErr *err)
{
    double y = ldexp(x, -4 * exp);
    if (!isfinite(y)) { mpz_set_ui(s, 0); return rt_fail(err, RT_ERANGE, "%g * 16^%d is not finite", x, -exp); }
    if (fabs(y) < 0x1p53) y = nearbyint(y);
    mpz_set_d(s, y);
    return RT_OK;
}

int pai_plain_exp(const double *k, size_t n, int frac_exp)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs(k[i]) < 0x1p53) || k[i] != nearbyint(k[i])) return frac_exp;
    return 0;
}

int pai_encode(const PaiPub *pub, mpz_t m, double x, int exp, RtErr *err)
{
    if (!isfinite(x) || pai_encode_k(m, x, exp, NULL) || mpz_cmpabs(m, pub->max_int) > 0)
        return rt_fail(err, RT_ERANGE, "%g is outside the encodable range of the %u-bit key", x, pub->bits);
    if (mpz_sgn(m) < 0) mpz_add(m, m, pub->n);
    return RT_OK;
}

int pai_signed(const PaiPub *pub, mpz_t s, const mpz_t m, RtErr *err)
{
    if (mpz_cmp(m, pub->max_int) <= 0) { mpz_set(s, m); return RT_OK; }
    mpz_sub(s, pub->n, m);                       /* |negative value| */
    if (mpz_cmp(s, pub->max_int) > 0)
        return rt_fail(err, RT_EOVERFLOW, "a plaintext lies in the middle third of the %u-bit key's range: "
                       "the result of an overflow", pub->bits);
    mpz_neg(s, s);
    return RT_OK;
}

int pai_decode(const PaiPub *pub, double *x, const mpz_t m, int exp, RtErr *err)
{
    mpz_t s; mpz_init(s);
    int st = pai_signed(pub, s, m, err);
    if (st == RT_OK) {
        long e2;
        double d = mpz_get_d_2exp(&e2, s);
        *x = ldexp(d, (int)e2 + 4 * exp);
    }
    wclear(s);
    return st;
}

void pai_digest(const mpz_t c, char out[17])
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t n = mpz_size(c);
    for (size_t i = 0; i < n; i++) {
        mp_limb_t l = mpz_getlimbn(c, (mp_size_t)i);
        for (size_t b = 0; b < sizeof l; b++) {
            h ^= (unsigned char)(l >> (8 * b));
            h *= 0x100000001b3ull;
        }
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
