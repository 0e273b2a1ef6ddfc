/*
** pai_json.c — python-paillier interoperability: JWK public and private keys as its
** pheutil tool writes them ({"kty": "DAJ", "alg": "PAI-GN1", "n": <base64url>}, and
** private keys with "pub" and either the factors "p", "q" (pheutil today) or "lambda",
** "mu" (its documentation's older form)), ciphertexts as {"v": "<decimal>", "e": <base-16
** exponent>}, vectors as nested arrays of those (exponents may differ: they are aligned
** exactly to the smallest on reading), and base64url.  Keys are checked on reading: a
** modulus that is even, too small, prime, a square or has a small factor is refused, and
** so are factors that are not primes whose product is n.  A small JSON reader for exactly
** these documents lives here; it is not a general JSON library.  Key and ciphertext
** semantics are pai.c's.
*/
#include "pai.h"
#include "sb.h"
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void) { fputs("ppdl: out of memory\n", stderr); abort(); }

/* --- base64url ---------------------------------------------------------------------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *pai_b64_from_mpz(const mpz_t x)
{
    size_t n = 0;
    unsigned char *b = mpz_sgn(x) ? mpz_export(NULL, &n, 1, 1, 1, 0, x) : NULL;
    Sb s; sb_init(&s);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)b[i] << 16;
        if (i + 1 < n) v |= (unsigned)b[i + 1] << 8;
        if (i + 2 < n) v |= b[i + 2];
        sb_putc(&s, B64[(v >> 18) & 63]);
        sb_putc(&s, B64[(v >> 12) & 63]);
        if (i + 1 < n) sb_putc(&s, B64[(v >> 6) & 63]);
        if (i + 2 < n) sb_putc(&s, B64[v & 63]);
    }
    if (b) { memset(b, 0, n); free(b); }
    if (!s.s) sb_puts(&s, "");
    return sb_take(&s);
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
}

int pai_b64_to_mpz(mpz_t x, const char *s, size_t len)
{
    while (len && s[len - 1] == '=') len--;
    if (len % 4 == 1) return PAI_EFORMAT;
    unsigned char *b = malloc(len * 3 / 4 + 3);
    if (!b) oom();
    size_t n = 0;
    unsigned acc = 0; int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0) { free(b); return PAI_EFORMAT; }
        acc = (acc << 6) | (unsigned)v; bits += 6;
        if (bits >= 8) { bits -= 8; b[n++] = (unsigned char)(acc >> bits); acc &= (1u << bits) - 1; }
    }
    mpz_import(x, n, 1, 1, 1, 0, b);
    memset(b, 0, n);
    free(b);
    return PAI_OK;
}

/* --- a small JSON reader ------------------------------------------------------------------ */

typedef struct JV {
    char t;                 /* 'n' null, 'b' bool, 'd' number (raw text), 's', '[', '{' */
    char *s;                /* string value or raw number */
    size_t n;               /* array or object members */
    struct JV *a;
    char **k;               /* object keys */
} JV;

typedef struct JP { const char *p; const char *err; } JP;

static void jfree(JV *v)
{
    free(v->s);
    for (size_t i = 0; i < v->n; i++) { jfree(&v->a[i]); if (v->k) free(v->k[i]); }
    free(v->a); free(v->k);
    memset(v, 0, sizeof *v);
}

static void ws(JP *P) { while (*P->p && isspace((unsigned char)*P->p)) P->p++; }

static int jstring(JP *P, char **out)
{
    if (*P->p != '"') { P->err = "string expected"; return 0; }
    P->p++;
    Sb b; sb_init(&b);
    for (;;) {
        char c = *P->p++;
        if (!c) { sb_free(&b); P->err = "unterminated string"; return 0; }
        if (c == '"') break;
        if (c != '\\') { sb_putc(&b, c); continue; }
        c = *P->p++;
        switch (c) {
        case '"': case '\\': case '/': sb_putc(&b, c); break;
        case 'b': sb_putc(&b, '\b'); break;
        case 'f': sb_putc(&b, '\f'); break;
        case 'n': sb_putc(&b, '\n'); break;
        case 'r': sb_putc(&b, '\r'); break;
        case 't': sb_putc(&b, '\t'); break;
        case 'u': {
            unsigned u = 0;
            for (int i = 0; i < 4; i++) {
                int h = *P->p++;
                if (!isxdigit(h)) { sb_free(&b); P->err = "bad \\u escape"; return 0; }
                u = u * 16 + (unsigned)(isdigit(h) ? h - '0' : (tolower(h) - 'a' + 10));
            }
            sb_putc(&b, u < 0x80 ? (char)u : '?');
            break;
        }
        default: sb_free(&b); P->err = "bad escape"; return 0;
        }
    }
    if (!b.s) sb_puts(&b, "");
    *out = sb_take(&b);
    return 1;
}

static int jvalue(JP *P, JV *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > 16) { P->err = "nested too deeply"; return 0; }
    ws(P);
    char c = *P->p;
    if (c == '"') { v->t = 's'; return jstring(P, &v->s); }
    if (c == '[' || c == '{') {
        v->t = c; P->p++;
        size_t cap = 0;
        ws(P);
        if (*P->p == (c == '[' ? ']' : '}')) { P->p++; return 1; }
        for (;;) {
            if (v->n == cap) {
                cap = cap ? 2 * cap : 4;
                v->a = realloc(v->a, cap * sizeof *v->a);
                if (c == '{') v->k = realloc(v->k, cap * sizeof *v->k);
                if (!v->a || (c == '{' && !v->k)) oom();
            }
            if (c == '{') {
                ws(P);
                if (!jstring(P, &v->k[v->n])) return 0;
                ws(P);
                if (*P->p != ':') { free(v->k[v->n]); P->err = "':' expected"; return 0; }
                P->p++;
            }
            if (!jvalue(P, &v->a[v->n], depth + 1)) {
                if (c == '{') free(v->k[v->n]);
                jfree(&v->a[v->n]);
                return 0;
            }
            v->n++;
            ws(P);
            if (*P->p == ',') { P->p++; continue; }
            if (*P->p == (c == '[' ? ']' : '}')) { P->p++; return 1; }
            P->err = c == '[' ? "',' or ']' expected" : "',' or '}' expected";
            return 0;
        }
    }
    if (c == '-' || isdigit((unsigned char)c)) {
        const char *s = P->p;
        while (*P->p && strchr("+-0123456789.eE", *P->p)) P->p++;
        v->t = 'd';
        v->s = strndup(s, (size_t)(P->p - s));
        if (!v->s) oom();
        return 1;
    }
    if (!strncmp(P->p, "true", 4) || !strncmp(P->p, "false", 5)) {
        v->t = 'b'; P->p += *P->p == 't' ? 4 : 5; return 1;
    }
    if (!strncmp(P->p, "null", 4)) { v->t = 'n'; P->p += 4; return 1; }
    P->err = "value expected";
    return 0;
}

static int jparse(const char *text, JV *v, const char **err)
{
    JP P = { .p = text };
    if (!jvalue(&P, v, 0)) { jfree(v); *err = P.err; return 0; }
    ws(&P);
    if (*P.p) { jfree(v); *err = "trailing characters"; return 0; }
    return 1;
}

static JV *jget(JV *o, const char *key)
{
    if (o->t != '{') return NULL;
    for (size_t i = 0; i < o->n; i++) if (!strcmp(o->k[i], key)) return &o->a[i];
    return NULL;
}

static void errf(char *err, size_t len, const char *msg)
{
    if (err && len) snprintf(err, len, "%s", msg);
}

/* --- keys -------------------------------------------------------------------------------- */

static void json_str(Sb *b, const char *s)
{
    sb_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { sb_putc(b, '\\'); sb_putc(b, (char)c); }
        else if (c < 0x20) sb_printf(b, "\\u%04x", c);
        else sb_putc(b, (char)c);
    }
    sb_putc(b, '"');
}

static void put_b64(Sb *b, const mpz_t x)
{
    char *s = pai_b64_from_mpz(x);
    sb_printf(b, "\"%s\"", s);
    memset(s, 0, strlen(s));
    free(s);
}

static void pub_json(Sb *b, const PaiPub *pub, const char *kid)
{
    sb_puts(b, "{\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"key_ops\": [\"encrypt\"], \"n\": ");
    put_b64(b, pub->n);
    sb_puts(b, ", \"kid\": ");
    json_str(b, kid ? kid : "Paillier public key generated by ppdl");
    sb_putc(b, '}');
}

char *pai_jwk_public(const PaiPub *pub, const char *kid)
{
    Sb b; sb_init(&b);
    pub_json(&b, pub, kid);
    return sb_take(&b);
}

char *pai_jwk_private(const PaiPub *pub, const PaiPriv *priv, const char *kid)
{
    Sb b; sb_init(&b);
    sb_puts(&b, "{\"kty\": \"DAJ\", \"key_ops\": [\"decrypt\"], \"lambda\": ");
    put_b64(&b, priv->lambda);
    sb_puts(&b, ", \"mu\": ");
    put_b64(&b, priv->mu);
    sb_puts(&b, ", \"p\": ");
    put_b64(&b, priv->p);
    sb_puts(&b, ", \"q\": ");
    put_b64(&b, priv->q);
    sb_puts(&b, ", \"pub\": ");
    pub_json(&b, pub, kid);
    sb_puts(&b, ", \"kid\": ");
    json_str(&b, kid ? kid : "Paillier private key generated by ppdl");
    sb_putc(&b, '}');
    return sb_take(&b);
}

static int read_b64(JV *o, const char *key, mpz_t x)
{
    JV *v = jget(o, key);
    if (!v || v->t != 's') return PAI_EFORMAT;
    return pai_b64_to_mpz(x, v->s, strlen(v->s));
}

static int has_op(JV *o, const char *op)
{
    JV *ops = jget(o, "key_ops");
    if (!ops || ops->t != '[') return 0;
    for (size_t i = 0; i < ops->n; i++)
        if (ops->a[i].t == 's' && !strcmp(ops->a[i].s, op)) return 1;
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
static int read_private(JV *root, const PaiPub *pub, PaiPriv *priv, char *err, size_t errlen)
{
    JV *pj = jget(root, "p"), *qj = jget(root, "q");
    JV *lj = jget(root, "lambda"), *mj = jget(root, "mu");
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
    JV root;
    const char *perr = NULL;
    *has_priv = 0;
    if (!jparse(json, &root, &perr)) { errf(err, errlen, perr); return PAI_EFORMAT; }
    int st = PAI_EFORMAT;
    JV *kty = jget(&root, "kty");
    if (root.t != '{' || !kty || kty->t != 's' || strcmp(kty->s, "DAJ")) {
        errf(err, errlen, "not a Paillier JWK (kty must be \"DAJ\")");
        goto out;
    }
    JV *pubj = jget(&root, "pub");
    int is_priv = pubj != NULL;
    if (is_priv && (pubj->t != '{' || !has_op(&root, "decrypt"))) {
        errf(err, errlen, "private key must have \"key_ops\": [\"decrypt\"] and \"pub\"");
        goto out;
    }
    JV *pk = is_priv ? pubj : &root;
    JV *alg = jget(pk, "alg");
    if (!alg || alg->t != 's' || strcmp(alg->s, "PAI-GN1")) {
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
            st = read_private(&root, pub, priv, err, errlen);
        } else {                    /* the public part only: the private one is checked */
            PaiPriv tmp; pai_priv_init(&tmp);
            st = read_private(&root, pub, &tmp, err, errlen);
            pai_priv_clear(&tmp);
        }
        *has_priv = st == PAI_OK;
    }
out:
    jfree(&root);
    return st;
}

/* --- ciphertexts ------------------------------------------------------------------------- */

static void ct_put(Sb *b, const mpz_t c, int exp)
{
    char *d = mpz_get_str(NULL, 10, c);
    sb_printf(b, "{\"v\": \"%s\", \"e\": %d}", d, exp);
    free(d);
}

char *pai_ct_json(const mpz_t c, int exp)
{
    Sb b; sb_init(&b);
    ct_put(&b, c, exp);
    return sb_take(&b);
}

static int ct_from(JV *o, const PaiPub *pub, mpz_t c, int *exp)
{
    JV *v = jget(o, "v"), *e = jget(o, "e");
    if (!v || !e || v->t != 's' || e->t != 'd') return PAI_EFORMAT;
    if (mpz_set_str(c, v->s, 10) != 0) return PAI_EFORMAT;
    char *end;
    errno = 0;
    long x = strtol(e->s, &end, 10);
    if (*end || errno || x < -100000 || x > 100000) return PAI_EFORMAT;
    *exp = (int)x;
    if (pub && (mpz_sgn(c) <= 0 || mpz_cmp(c, pub->n2) >= 0)) return PAI_EFORMAT;
    return PAI_OK;
}

int pai_ct_read(const char *json, const PaiPub *pub, mpz_t c, int *exp)
{
    JV root;
    const char *perr;
    if (!jparse(json, &root, &perr)) return PAI_EFORMAT;
    int st = ct_from(&root, pub, c, exp);
    jfree(&root);
    return st;
}

static void vec_put(Sb *b, const PaiVec *v, int ndim, const int *shape, size_t *at)
{
    if (ndim == 0) { ct_put(b, v->c[(*at)++], v->exp); return; }
    sb_putc(b, '[');
    for (int i = 0; i < shape[0]; i++) {
        if (i) sb_puts(b, ", ");
        vec_put(b, v, ndim - 1, shape + 1, at);
    }
    sb_putc(b, ']');
}

char *pai_vec_json(const PaiVec *v, int ndim, const int *shape)
{
    if (v->slots) return NULL;
    Sb b; sb_init(&b);
    size_t at = 0;
    vec_put(&b, v, ndim, shape, &at);
    sb_putc(&b, '\n');
    return sb_take(&b);
}

/* Walks nested arrays: shape from the first path, checked everywhere. */
static int vec_shape(JV *j, int depth, int *ndim, int shape[4], size_t *count)
{
    if (j->t == '{') {
        if (*ndim < 0) *ndim = depth;
        if (*ndim != depth) return PAI_EFORMAT;
        (*count)++;
        return PAI_OK;
    }
    if (j->t != '[' || depth >= 4 || j->n == 0 || j->n > INT_MAX) return PAI_EFORMAT;
    if (*ndim < 0 && depth >= 0) {
        if (shape[depth] == 0) shape[depth] = (int)j->n;
    }
    if ((size_t)shape[depth] != j->n) return PAI_EFORMAT;
    for (size_t i = 0; i < j->n; i++)
        if (vec_shape(&j->a[i], depth + 1, ndim, shape, count)) return PAI_EFORMAT;
    return PAI_OK;
}

static int vec_fill(JV *j, const PaiPub *pub, PaiVec *v, size_t *at, int *exps)
{
    if (j->t == '{') {
        if (ct_from(j, pub, v->c[*at], &exps[*at])) return PAI_EFORMAT;
        (*at)++;
        return PAI_OK;
    }
    for (size_t i = 0; i < j->n; i++)
        if (vec_fill(&j->a[i], pub, v, at, exps)) return PAI_EFORMAT;
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
    JV root;
    const char *perr;
    if (!jparse(json, &root, &perr)) { errf(err, errlen, perr); return PAI_EFORMAT; }
    int nd = -1;
    size_t count = 0;
    for (int i = 0; i < 4; i++) shape[i] = 0;
    int st = vec_shape(&root, 0, &nd, shape, &count);
    if (st) {
        errf(err, errlen, "expected {\"v\": ..., \"e\": ...} or rectangular nested lists of them");
        jfree(&root);
        return st;
    }
    PaiVec *v = pai_vec_new(count);
    int *exps = malloc(count * sizeof *exps);
    if (!exps) oom();
    size_t at = 0;
    st = vec_fill(&root, pub, v, &at, exps);
    jfree(&root);
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
