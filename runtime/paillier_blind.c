/*
** paillier_blind.c — blinded round trips: a party T that holds ciphertexts but not the
** private key multiplies two of them (elementwise, or sums of products for a matrix
** product) or brings one back to a coarser fixed-point scale, with the keyholder K's
** help, K seeing only statistically hidden values.  Each round trip is two rounds of the
** message layer (runtime/message.h), written as per-party steps: in round 1 T masks and
** posts a frame, in round 2 K decodes what it received (and nothing else of T's), answers
** with a frame of fresh encryptions, and T decodes the answer and removes its masks.
** Frames are real (runtime/wire.h: an array of residues mod n^2, big endian), so the
** transcript counts their true sizes and a network transport could carry them; each
** party draws from its own generator.  Shapes, parties and the transcript's wording are
** the caller's (stdlib/lib_paillier_blind.c); single values and vectors are paillier.c's and
** paillier_vec.c's.
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
#include "paillier.h"
#include "message.h"
#include "wire.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The steps return codes; the two public functions report them (generic messages: the
** caller, which knows the builtin and the bound stated, says what to do). */
static int fail(RtErr *err, int st) { return st ? rt_fail(err, st, "%s", pai_strerror(st)) : 0; }

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
    if (v->slots) return RT_EPACKED;
    double cl = NAN;
    if (!isnan(claim)) {
        if (!(claim > 0) || !isfinite(claim)) return RT_ERANGE;
        cl = log2(ldexp(claim, -4 * v->exp) + 0.5) + 1e-9;   /* bound on the encoded |m| */
        if (!(cl <= (double)pub->max_int_log2)) {               /* no use: too wide to mask */
            if (isnan(v->lbound)) return direct ? RT_EOVERFLOW : RT_EMASK;
            cl = NAN;
        }
    }
    double lb = v->lbound;
    if (!isnan(cl) && (isnan(lb) || cl < lb)) {
        s->cbits = ceil_bits(cl);
        s->mbits = s->cbits + PAI_MASK_SLACK;
        s->lb = s->cbits + PAI_MASK_SLACK + 1;  /* what K's check guarantees (see k_check) */
        if (lb < s->lb) s->lb = lb;             /* the tracked bound holds too */
    } else if (isnan(lb)) {
        return RT_EBOUND;
    } else {
        s->mbits = ceil_bits(lb) + PAI_MASK_SLACK;
        s->lb = lb;
    }
    if (direct) {                               /* no masks: K knows x and checks it exactly */
        if (s->cbits && !(lb < s->cbits)) s->lb = s->cbits;
        return RT_OK;
    }
    /* X = x + r lies in (-2^(mbits+1), 2^(mbits+1)): it must decode as a signed value */
    if (s->mbits + 1 > pub->max_int_log2) return RT_EMASK;
    return RT_OK;
}

/* K's check of a stated bound 2^c on a masked value X = x + r, r in [0, 2^(c+SLACK)):
** X in [-2^c, 2^(c+SLACK) + 2^c) always holds when |x| < 2^c, and guarantees
** |x| < 2^(c+SLACK+1) whatever x was.  direct: X is x itself (K is T). */
static int k_check(const Side *s, const mpz_t X, int direct)
{
    if (!s->cbits) return RT_OK;
    if (direct) return mpz_sizeinbase(X, 2) <= s->cbits ? RT_OK : RT_ECLAIM;
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
    return ok ? RT_OK : RT_ECLAIM;
}

/* --- frames: what crosses ------------------------------------------------------------- */

/* The bytes of one residue mod n^2 on the wire. */
static size_t residue_bytes(const PaiPub *pub) { return (2 * (size_t)pub->bits + 7) / 8; }

/* Sends vectors v[0..k) from `from` to `to` as one frame in a round of its own: the
** payload is the residues of v[0] when k = 1, else an array of k such lists. */
static int post(const PaiLink *l, const PaiPub *pub, int from, int to, PaiVec *const *v,
                size_t k, const char *what)
{
    WireW w;
    wire_w_init(&w);
    wire_put_envelope(&w, &(WireHdr){ .kind = "ciphertext", .from = from, .to = to, .round = 0 });
    if (k != 1) wire_put_array(&w, k);
    for (size_t i = 0; i < k; i++) wire_put_residues(&w, v[i]->c, v[i]->n, residue_bytes(pub));
    size_t len;
    uint8_t *frame = wire_w_take(&w, &len);
    wire_w_free(&w);
    char d[224];
    snprintf(d, sizeof d, "%s%s%s", l->label ? l->label : "", l->label ? ": " : "", what);
    return msg_send_frame(l->msg, from, to, "ciphertext", false, false, d, frame, len) < 0
           ? RT_EIO : RT_OK;
}

/* The receiving side of post(): takes the frame from `from` waiting at `to` and decodes
** k vectors of n[0..k) ciphertexts (public sizes), each in (0, n^2).  *v gets them
** (bound unknown, exponent 0); RT_EIO when nothing waits, RT_EFORMAT when the bytes
** are not such a frame. */
static int take(const PaiLink *l, const PaiPub *pub, int from, int to, PaiVec **v,
                const size_t *n, size_t k)
{
    uint8_t *buf;
    size_t len;
    for (size_t i = 0; i < k; i++) v[i] = NULL;
    if (msg_receive(l->msg, from, to, &buf, &len) != 0) return RT_EIO;
    WireR r;
    WireHdr h;
    const msgpack_object *payload, *item;
    const msgpack_object_array *a = NULL;
    wire_r_init(&r, "the other party");
    bool ok = wire_open_frame(&r, buf, len, &h, &payload) && h.from == from && h.to == to &&
              strcmp(h.kind, "ciphertext") == 0 && (k == 1 || wire_get_array(&r, payload, k, k, &a));
    for (size_t i = 0; ok && i < k; i++) {
        item = k == 1 ? payload : &a->ptr[i];
        v[i] = pai_vec_new(n[i]);
        v[i]->lbound = NAN;
        ok = wire_get_residues(&r, item, v[i]->c, n[i], residue_bytes(pub));
        for (size_t j = 0; ok && j < n[i]; j++)
            ok = mpz_sgn(v[i]->c[j]) > 0 && mpz_cmp(v[i]->c[j], pub->n2) < 0;
    }
    wire_r_free(&r);
    free(buf);
    if (ok) return RT_OK;
    for (size_t i = 0; i < k; i++) { pai_vec_free(v[i]); v[i] = NULL; }
    return RT_EFORMAT;
}

/* --- T's masking and K's decryption --------------------------------------------------- */

/* T: masks r[i] and out = E(v[i] + r[i]) under fresh noise (re-randomised). */
static int t_mask(PaiVec **out, mpz_t **masks, const PaiPub *pub, const PaiVec *v,
                  const Side *s, Rng *rng, const PaiOpts *opts)
{
    mpz_t *r = pai_mpz_array(v->n);
    PaiVec *o = pai_vec_copy(v);
    for (size_t i = 0; i < v->n; i++) {
        pai_random_bits(r[i], s->mbits, rng);
        pai_add_plain(pub, o->c[i], v->c[i], r[i]);
    }
    o->lbound = NAN;                            /* what K receives carries no bound */
    int st = pai_vec_rerandomize(o, pub, NULL, rng, opts, NULL);
    if (st) { pai_mpz_array_free(r, v->n); pai_vec_free(o); return st; }
    *out = o; *masks = r;
    return RT_OK;
}

/* K: X[i] = the signed plaintext of v[i], checked against s's stated bound. */
static int k_decrypt(mpz_t *X, const PaiPub *pub, const PaiPriv *priv, const PaiVec *v,
                     const Side *s, int direct, const PaiOpts *opts)
{
    if (!priv) {                        /* a stand-in for K: its plaintexts are zeros */
        for (size_t i = 0; i < v->n; i++) mpz_set_ui(X[i], 0);
        return RT_OK;
    }
    int st = pai_vec_decrypt_int(X, pub, priv, v, opts, NULL);
    if (st == RT_EOVERFLOW && s->cbits) return RT_ECLAIM;
    for (size_t i = 0; i < v->n && st == RT_OK; i++) st = k_check(s, X[i], direct);
    return st;
}

/* K: out[o] = fresh E(sum over l < len of X[ix[o*len + l]] Y[iy[o*len + l]] mod n). */
static int k_products(PaiVec *out, const PaiPub *pub, const PaiPriv *priv, mpz_t *X,
                      const size_t *ix, mpz_t *Y, const size_t *iy, size_t len, Rng *rng,
                      const PaiOpts *opts)
{
    mpz_t acc; mpz_init(acc);
    int st = RT_OK;
    for (size_t o = 0; o < out->n; o++) {
        if (opts && opts->interrupt && *opts->interrupt) { st = RT_EINTR; break; }
        mpz_set_ui(acc, 0);
        for (size_t l = 0; l < len; l++) mpz_addmul(acc, X[ix[o * len + l]], Y[iy[o * len + l]]);
        mpz_mod(acc, acc, pub->n);
        if (priv) pai_encrypt_crt(priv, pub, out->c[o], acc, rng);
        else pai_encrypt(pub, out->c[o], acc, rng);
    }
    pai_mpz_wipe(acc); mpz_clear(acc);
    return st;
}

/* K: out[i] = fresh E(floor(X[i] / 2^shift) mod n). */
static int k_quotients(PaiVec *out, const PaiPub *pub, const PaiPriv *priv, mpz_t *X,
                       unsigned shift, Rng *rng, const PaiOpts *opts)
{
    mpz_t q; mpz_init(q);
    int st = RT_OK;
    for (size_t i = 0; i < out->n; i++) {
        if (opts && opts->interrupt && *opts->interrupt) { st = RT_EINTR; break; }
        mpz_fdiv_q_2exp(q, X[i], shift);
        mpz_mod(q, q, pub->n);
        if (priv) pai_encrypt_crt(priv, pub, out->c[i], q, rng);
        else pai_encrypt(pub, out->c[i], q, rng);
    }
    pai_mpz_wipe(q); mpz_clear(q);
    return st;
}

/* --- products ------------------------------------------------------------------------- */

/* K's step of a product (round 2): reads the frame of masked operands (nx + ny values),
** decrypts, checks stated bounds, answers with fresh encryptions of the nout masked
** products.  It sees nothing of T's but that frame and the public parameters. */
static int k_product_step(const PaiLink *l, const PaiPub *pub, const PaiPriv *priv,
                          size_t nx, const Side *sx, const size_t *ix,
                          size_t ny, const Side *sy, const size_t *iy,
                          size_t len, size_t nout, const PaiOpts *opts)
{
    PaiVec *got[2];
    size_t n[2] = { nx, ny };
    int st = take(l, pub, l->T, l->K, got, n, 2);
    if (st) return st;
    mpz_t *X = pai_mpz_array(nx), *Y = pai_mpz_array(ny);
    st = k_decrypt(X, pub, priv, got[0], sx, 0, opts);
    if (st == RT_OK) st = k_decrypt(Y, pub, priv, got[1], sy, 0, opts);
    PaiVec *ans = pai_vec_new(nout);
    if (st == RT_OK) st = k_products(ans, pub, priv, X, ix, Y, iy, len, l->rng_k, opts);
    if (st == RT_OK) st = post(l, pub, l->K, l->T, &ans, 1, "fresh encryptions of the masked products");
    pai_mpz_array_free(X, nx); pai_mpz_array_free(Y, ny);
    pai_vec_free(got[0]); pai_vec_free(got[1]); pai_vec_free(ans);
    return st;
}

int pai_blind_product(PaiVec **out, const PaiPub *pub, const PaiPriv *priv,
                      const PaiVec *x, const size_t *ix, const PaiVec *y, const size_t *iy,
                      size_t len, size_t nout, double claim, int direct,
                      const PaiOpts *opts, const PaiLink *link, RtErr *err)
{
    *out = NULL;
    Side sx, sy;
    int st = side_of(pub, x, claim, direct, &sx);
    if (st == RT_OK) st = side_of(pub, y, claim, direct, &sy);
    if (st) return fail(err, st);
    double lb = len ? sx.lb + sy.lb + log2((double)len) + 1e-9 : -INFINITY;
    if (lb > (double)pub->max_int_log2) return fail(err, RT_EOVERFLOW);   /* before anything runs */

    PaiVec *r = NULL;
    if (direct) {                               /* T is a keyholder: nothing crosses */
        mpz_t *X = pai_mpz_array(x->n), *Y = pai_mpz_array(y->n);
        st = k_decrypt(X, pub, priv, x, &sx, 1, opts);
        if (st == RT_OK) st = k_decrypt(Y, pub, priv, y, &sy, 1, opts);
        r = pai_vec_new(nout);
        if (st == RT_OK) st = k_products(r, pub, priv, X, ix, Y, iy, len, link->rng_t, opts);
        pai_mpz_array_free(X, x->n); pai_mpz_array_free(Y, y->n);
    } else {
        /* round 1, T: mask both operands, one frame */
        PaiVec *m[2] = { NULL, NULL };
        mpz_t *rx = NULL, *ry = NULL;
        st = t_mask(&m[0], &rx, pub, x, &sx, link->rng_t, opts);
        if (st == RT_OK) st = t_mask(&m[1], &ry, pub, y, &sy, link->rng_t, opts);
        if (st == RT_OK) {
            char what[160];
            snprintf(what, sizeof what, "masked operands x + r, y + s (%zu + %zu values; masks of "
                     "%u and %u bits, re-randomised); the keyholder sees only these", x->n, y->n,
                     sx.mbits, sy.mbits);
            st = post(link, pub, link->T, link->K, m, 2, what);
        }
        pai_vec_free(m[0]); pai_vec_free(m[1]);
        /* round 2, K: answer; then T: decode and subtract sum_l (s_l x_l + r_l y_l + r_l s_l) */
        if (st == RT_OK) st = k_product_step(link, pub, priv, x->n, &sx, ix, y->n, &sy, iy, len, nout, opts);
        if (st == RT_OK) st = take(link, pub, link->K, link->T, &r, &nout, 1);
        if (st == RT_OK) {
            mpz_t acc, t; mpz_inits(acc, t, NULL);
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
            pai_mpz_wipe(acc); pai_mpz_wipe(t);
            mpz_clears(acc, t, NULL);
        }
        pai_mpz_array_free(rx, rx ? x->n : 0); pai_mpz_array_free(ry, ry ? y->n : 0);
    }
    if (st == RT_OK) {
        r->exp = x->exp + y->exp;
        r->lbound = lb;
        st = pai_vec_check(pub, r, NULL);
    }
    if (st) { pai_vec_free(r); return fail(err, st); }
    *out = r;
    return RT_OK;
}

/* --- rescaling ------------------------------------------------------------------------ */

/* K's step of a rescale (round 2): reads the n masked values, decrypts, checks a stated
** bound, answers with fresh encryptions of floor(X / 2^shift). */
static int k_rescale_step(const PaiLink *l, const PaiPub *pub, const PaiPriv *priv, size_t n,
                          const Side *s, unsigned shift, const PaiOpts *opts)
{
    PaiVec *got;
    int st = take(l, pub, l->T, l->K, &got, &n, 1);
    if (st) return st;
    mpz_t *X = pai_mpz_array(n);
    st = k_decrypt(X, pub, priv, got, s, 0, opts);
    PaiVec *ans = pai_vec_new(n);
    if (st == RT_OK) st = k_quotients(ans, pub, priv, X, shift, l->rng_k, opts);
    if (st == RT_OK) st = post(l, pub, l->K, l->T, &ans, 1, "fresh encryptions of floor((x + r) / 2^k)");
    pai_mpz_array_free(X, n);
    pai_vec_free(got); pai_vec_free(ans);
    return st;
}

int pai_blind_rescale(PaiVec **out, const PaiPub *pub, const PaiPriv *priv, const PaiVec *v,
                      int target, double claim, int direct, const PaiOpts *opts,
                      const PaiLink *link, RtErr *err)
{
    *out = NULL;
    if (v->exp >= target) { *out = pai_vec_copy(v); return RT_OK; }
    Side s;
    int st = side_of(pub, v, claim, direct, &s);
    if (st) return fail(err, st);
    unsigned shift = 4u * (unsigned)(target - v->exp);
    size_t n = v->n;
    PaiVec *r = NULL;
    if (direct) {                               /* T is a keyholder: nothing crosses */
        mpz_t *X = pai_mpz_array(n);
        st = k_decrypt(X, pub, priv, v, &s, 1, opts);
        r = pai_vec_new(n);
        if (st == RT_OK) st = k_quotients(r, pub, priv, X, shift, link->rng_t, opts);
        pai_mpz_array_free(X, n);
    } else {
        /* round 1, T: mask */
        PaiVec *sent = NULL;
        mpz_t *rm = NULL;
        st = t_mask(&sent, &rm, pub, v, &s, link->rng_t, opts);
        if (st == RT_OK) {
            char what[160];
            snprintf(what, sizeof what, "masked values x + r to rescale (%zu values; %u-bit masks, "
                     "re-randomised); the keyholder sees only these", n, s.mbits);
            st = post(link, pub, link->T, link->K, &sent, 1, what);
        }
        pai_vec_free(sent);
        /* round 2, K: answer; then T: decode and subtract floor(r / 2^k) */
        if (st == RT_OK) st = k_rescale_step(link, pub, priv, n, &s, shift, opts);
        if (st == RT_OK) st = take(link, pub, link->K, link->T, &r, &n, 1);
        if (st == RT_OK) {
            mpz_t q; mpz_init(q);
            for (size_t i = 0; i < n; i++) {
                mpz_fdiv_q_2exp(q, rm[i], shift);
                mpz_neg(q, q);
                pai_add_plain(pub, r->c[i], r->c[i], q);
            }
            pai_mpz_wipe(q); mpz_clear(q);
        }
        pai_mpz_array_free(rm, rm ? n : 0);
    }
    if (st == RT_OK) {
        r->exp = target;
        /* |floor((x + r) / 2^k) - floor(r / 2^k)| and |floor(x / 2^k)| are <= |x| / 2^k + 1 */
        double lq = s.lb - shift;
        r->lbound = (lq > 60 ? lq : log2(exp2(lq) + 1)) + 1e-9;
        st = pai_vec_check(pub, r, NULL);
    }
    if (st) { pai_vec_free(r); return fail(err, st); }
    *out = r;
    return RT_OK;
}
