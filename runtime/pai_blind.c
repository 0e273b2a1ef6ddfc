/*
** pai_blind.c — blinded round trips: a party T that holds ciphertexts but not the
** private key multiplies two of them (elementwise, or sums of products for a matrix
** product) or brings one back to a coarser fixed-point scale, with the keyholder K's
** help, K seeing only statistically hidden values.  Both parties' steps run here in one
** process, as the rest of the runtime simulates parties; what crosses between them is
** exactly the vectors shown to the caller's wire hook (which records them in the
** transcript, and through which the unit tests sit in K's seat).  Shapes, parties and
** the transcript's wording are the caller's (stdlib/lib_he.c); single values and vectors
** are pai.c's and pai_vec.c's.
**
** The protocol, for each operand x with public bound |x| < 2^b (semi-honest parties):
**   T  draws r uniform in [0, 2^(b + PAI_MASK_SLACK)) and sends E(x) E(r) z, z fresh
**      noise: without z, K could strip the plaintext x + r from what it decrypts and
**      read the operand's own noise, which betrays x when x came from K's ciphertexts;
**   K  decrypts X = x + r (statistically hiding x: distance below 2^-SLACK), computes on
**      the integers and returns fresh encryptions;
**   T  removes r's contribution homomorphically.
** Bounds are the tracked ones (PaiVec.lbound), never capped: an operation whose masks or
** result could leave the plaintext space is refused before anything is sent.
*/
#include "pai.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void) { fputs("ppdl: out of memory\n", stderr); abort(); }

static mpz_t *mpz_array(size_t n)
{
    mpz_t *a = malloc((n ? n : 1) * sizeof *a);
    if (!a) oom();
    for (size_t i = 0; i < n; i++) mpz_init(a[i]);
    return a;
}

/* Wipes, clears and frees an array made by mpz_array. */
static void mpz_array_free(mpz_t *a, size_t n)
{
    if (!a) return;
    for (size_t i = 0; i < n; i++) { pai_mpz_wipe(a[i]); mpz_clear(a[i]); }
    free(a);
}

/* --- sizing an operand ---------------------------------------------------------------- */

/* How T masks one operand: masks uniform in [0, 2^mbits); when the caller stated a bound
** smaller than the tracked one, cbits > 0 and K checks X against it; lb is the log2 bound
** on |x| that the result's bound is computed from (guaranteed either way). */
typedef struct Side { unsigned mbits, cbits; double lb; } Side;

static unsigned ceil_bits(double l) { return l < 1 ? 1u : (unsigned)ceil(l); }

/* claim: a stated bound on |value| (NAN: none), in the value's units. */
static int side_of(const PaiPub *pub, const PaiVec *v, double claim, int direct, Side *s)
{
    memset(s, 0, sizeof *s);
    if (v->slots) return PAI_EPACKED;
    double cl = NAN;
    if (!isnan(claim)) {
        if (!(claim > 0) || !isfinite(claim)) return PAI_ERANGE;
        cl = log2(ldexp(claim, -4 * v->exp) + 0.5) + 1e-9;   /* bound on the encoded |m| */
        if (!(cl <= (double)pub->max_int_log2)) {               /* no use: too wide to mask */
            if (isnan(v->lbound)) return direct ? PAI_EOVERFLOW : PAI_EMASK;
            cl = NAN;
        }
    }
    double lb = v->lbound;
    if (!isnan(cl) && (isnan(lb) || cl < lb)) {
        s->cbits = ceil_bits(cl);
        s->mbits = s->cbits + PAI_MASK_SLACK;
        s->lb = s->cbits + PAI_MASK_SLACK + 1;  /* what K's check guarantees (see k_check) */
    } else if (isnan(lb)) {
        return PAI_EBOUND;
    } else {
        s->mbits = ceil_bits(lb) + PAI_MASK_SLACK;
        s->lb = lb;
    }
    if (direct) {                               /* no masks: K knows x and checks it exactly */
        if (s->cbits) s->lb = s->cbits;
        return PAI_OK;
    }
    /* X = x + r lies in (-2^(mbits+1), 2^(mbits+1)): it must decode as a signed value */
    if (s->mbits + 1 > pub->max_int_log2) return PAI_EMASK;
    return PAI_OK;
}

/* K's check of a stated bound 2^c on a masked value X = x + r, r in [0, 2^(c+SLACK)):
** X in [-2^c, 2^(c+SLACK) + 2^c) always holds when |x| < 2^c, and guarantees
** |x| < 2^(c+SLACK+1) whatever x was.  direct: X is x itself (K is T). */
static int k_check(const Side *s, const mpz_t X, int direct)
{
    if (!s->cbits) return PAI_OK;
    if (direct) return mpz_sizeinbase(X, 2) <= s->cbits ? PAI_OK : PAI_ECLAIM;
    mpz_t lo; mpz_init_set_ui(lo, 1);
    mpz_mul_2exp(lo, lo, s->cbits);
    int ok = mpz_cmpabs(X, lo) < 0 || mpz_sgn(X) > 0;      /* X >= -2^c (and != -2^c) */
    if (ok && mpz_sgn(X) > 0) {
        mpz_t hi; mpz_init_set_ui(hi, 1);
        mpz_mul_2exp(hi, hi, s->cbits + PAI_MASK_SLACK);
        mpz_add(hi, hi, lo);
        ok = mpz_cmp(X, hi) < 0;
        mpz_clear(hi);
    }
    mpz_clear(lo);
    return ok ? PAI_OK : PAI_ECLAIM;
}

/* --- T's masking and K's decryption --------------------------------------------------- */

/* T: masks r[i] and out = E(v[i] + r[i]) under fresh noise (re-randomised). */
static int t_mask(PaiVec **out, mpz_t **masks, const PaiPub *pub, const PaiVec *v,
                  const Side *s, Rng *rng, const PaiOpts *opts)
{
    mpz_t *r = mpz_array(v->n);
    PaiVec *o = pai_vec_copy(v);
    for (size_t i = 0; i < v->n; i++) {
        pai_random_bits(r[i], s->mbits, rng);
        pai_add_plain(pub, o->c[i], v->c[i], r[i]);
    }
    o->lbound = NAN;                            /* what K receives carries no bound */
    int st = pai_vec_rerandomize(o, pub, NULL, rng, opts);
    if (st) { mpz_array_free(r, v->n); pai_vec_free(o); return st; }
    *out = o; *masks = r;
    return PAI_OK;
}

/* K: X[i] = the signed plaintext of v[i], checked against s's stated bound. */
static int k_decrypt(mpz_t *X, const PaiPub *pub, const PaiPriv *priv, const PaiVec *v,
                     const Side *s, int direct, const PaiOpts *opts)
{
    int st = pai_vec_decrypt_int(X, pub, priv, v, opts);
    if (st == PAI_EOVERFLOW && s->cbits) return PAI_ECLAIM;
    for (size_t i = 0; i < v->n && st == PAI_OK; i++) st = k_check(s, X[i], direct);
    return st;
}

static void wire_send(const PaiWire *w, int to_keyholder, const PaiVec *v, const char *what)
{
    if (w && w->send) w->send(w->ctx, to_keyholder, v, what);
}

/* --- products ------------------------------------------------------------------------- */

int pai_blind_product(PaiVec **out, const PaiPub *pub, const PaiPriv *priv,
                      const PaiVec *x, const size_t *ix, const PaiVec *y, const size_t *iy,
                      size_t len, size_t nout, double claim, int direct, Rng *rng,
                      const PaiOpts *opts, const PaiWire *wire)
{
    *out = NULL;
    Side sx, sy;
    int st = side_of(pub, x, claim, direct, &sx);
    if (st == PAI_OK) st = side_of(pub, y, claim, direct, &sy);
    if (st) return st;
    double lb = len ? sx.lb + sy.lb + log2((double)len) + 1e-9 : -INFINITY;
    if (lb > (double)pub->max_int_log2) return PAI_EOVERFLOW;   /* before anything runs */

    PaiVec *mx = NULL, *my = NULL, *both = NULL;
    mpz_t *rx = NULL, *ry = NULL;
    mpz_t *X = mpz_array(x->n), *Y = mpz_array(y->n);
    PaiVec *r = NULL;
    if (direct) {
        st = k_decrypt(X, pub, priv, x, &sx, 1, opts);
        if (st == PAI_OK) st = k_decrypt(Y, pub, priv, y, &sy, 1, opts);
    } else {
        st = t_mask(&mx, &rx, pub, x, &sx, rng, opts);
        if (st == PAI_OK) st = t_mask(&my, &ry, pub, y, &sy, rng, opts);
        if (st == PAI_OK) {                     /* one message: both masked operands */
            both = pai_vec_new(x->n + y->n);
            both->lbound = NAN;
            for (size_t i = 0; i < x->n; i++) mpz_set(both->c[i], mx->c[i]);
            for (size_t i = 0; i < y->n; i++) mpz_set(both->c[x->n + i], my->c[i]);
            char what[160];
            snprintf(what, sizeof what, "masked operands x + r, y + s (%zu + %zu values; masks of "
                     "%u and %u bits, re-randomised); the keyholder sees only these", x->n, y->n,
                     sx.mbits, sy.mbits);
            wire_send(wire, 1, both, what);
            st = k_decrypt(X, pub, priv, mx, &sx, 0, opts);
            if (st == PAI_OK) st = k_decrypt(Y, pub, priv, my, &sy, 0, opts);
        }
    }
    if (st == PAI_OK) {
        r = pai_vec_new(nout);
        r->exp = x->exp + y->exp;
        r->lbound = lb;
        mpz_t acc, t; mpz_inits(acc, t, NULL);
        for (size_t o = 0; o < nout; o++) {     /* K: fresh E(sum_l X_l Y_l) */
            if (opts && opts->interrupt && *opts->interrupt) { st = PAI_EINTR; break; }
            mpz_set_ui(acc, 0);
            for (size_t l = 0; l < len; l++) mpz_addmul(acc, X[ix[o * len + l]], Y[iy[o * len + l]]);
            mpz_mod(acc, acc, pub->n);
            pai_encrypt_crt(priv, pub, r->c[o], acc, rng);
        }
        if (st == PAI_OK && !direct) {
            wire_send(wire, 0, r, "fresh encryptions of the masked products");
            /* T: subtract sum_l (s_l x_l + r_l y_l + r_l s_l) */
            for (size_t o = 0; o < nout; o++) {
                mpz_set_ui(acc, 0);
                for (size_t l = 0; l < len; l++) {
                    size_t u = ix[o * len + l], w = iy[o * len + l];
                    mpz_neg(t, ry[w]);
                    pai_mul_plain(pub, t, x->c[u], t);          /* E(-s x) */
                    pai_add(pub, r->c[o], r->c[o], t);
                    mpz_neg(t, rx[u]);
                    pai_mul_plain(pub, t, y->c[w], t);          /* E(-r y) */
                    pai_add(pub, r->c[o], r->c[o], t);
                    mpz_submul(acc, rx[u], ry[w]);
                }
                pai_add_plain(pub, r->c[o], r->c[o], acc);      /* - r s */
            }
        }
        pai_mpz_wipe(acc); pai_mpz_wipe(t);
        mpz_clears(acc, t, NULL);
    }
    mpz_array_free(X, x->n); mpz_array_free(Y, y->n);
    mpz_array_free(rx, rx ? x->n : 0); mpz_array_free(ry, ry ? y->n : 0);
    pai_vec_free(mx); pai_vec_free(my); pai_vec_free(both);
    if (st == PAI_OK) st = pai_vec_check(pub, r);
    if (st) { pai_vec_free(r); return st; }
    *out = r;
    return PAI_OK;
}

/* --- rescaling ------------------------------------------------------------------------ */

int pai_blind_rescale(PaiVec **out, const PaiPub *pub, const PaiPriv *priv, const PaiVec *v,
                      int target, double claim, int direct, Rng *rng, const PaiOpts *opts,
                      const PaiWire *wire)
{
    *out = NULL;
    if (v->exp >= target) { *out = pai_vec_copy(v); return PAI_OK; }
    Side s;
    int st = side_of(pub, v, claim, direct, &s);
    if (st) return st;
    unsigned shift = 4u * (unsigned)(target - v->exp);
    size_t n = v->n;
    mpz_t *X = mpz_array(n), *rm = NULL;
    PaiVec *sent = NULL, *r = NULL;
    if (direct) {
        st = k_decrypt(X, pub, priv, v, &s, 1, opts);
    } else {
        st = t_mask(&sent, &rm, pub, v, &s, rng, opts);
        if (st == PAI_OK) {
            char what[160];
            snprintf(what, sizeof what, "masked values x + r to rescale (%zu values; %u-bit masks, "
                     "re-randomised); the keyholder sees only these", n, s.mbits);
            wire_send(wire, 1, sent, what);
            st = k_decrypt(X, pub, priv, sent, &s, 0, opts);
        }
    }
    if (st == PAI_OK) {
        r = pai_vec_new(n);
        r->exp = target;
        /* |floor((x + r) / 2^k) - floor(r / 2^k)| and |floor(x / 2^k)| are <= |x| / 2^k + 1 */
        double lq = s.lb - shift;
        r->lbound = (lq > 60 ? lq : log2(exp2(lq) + 1)) + 1e-9;
        mpz_t q; mpz_init(q);
        for (size_t i = 0; i < n; i++) {            /* K: fresh E(floor(X / 2^k)) */
            if (opts && opts->interrupt && *opts->interrupt) { st = PAI_EINTR; break; }
            mpz_fdiv_q_2exp(q, X[i], shift);
            mpz_mod(q, q, pub->n);
            pai_encrypt_crt(priv, pub, r->c[i], q, rng);
        }
        if (st == PAI_OK && !direct) {
            wire_send(wire, 0, r, "fresh encryptions of floor((x + r) / 2^k)");
            for (size_t i = 0; i < n; i++) {        /* T subtracts floor(r / 2^k) */
                mpz_fdiv_q_2exp(q, rm[i], shift);
                mpz_neg(q, q);
                pai_add_plain(pub, r->c[i], r->c[i], q);
            }
        }
        pai_mpz_wipe(q); mpz_clear(q);
    }
    mpz_array_free(X, n);
    mpz_array_free(rm, rm ? n : 0);
    pai_vec_free(sent);
    if (st == PAI_OK) st = pai_vec_check(pub, r);
    if (st) { pai_vec_free(r); return st; }
    *out = r;
    return PAI_OK;
}
