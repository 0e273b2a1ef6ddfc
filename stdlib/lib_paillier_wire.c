/*
** lib_paillier_wire.c — the 'he' module's wire codecs (docs/parties.md, "Wire format") and
** its key ring.  A scheme travels as its public key and options, never its private key:
** a keyholder receiving one gets the key from the ring, where every scheme that holds a
** private key is listed.  A ciphertext travels re-randomised (a fresh encryption of the
** same values), with its scheme.  lib_wire.c frames the bodies written here.
*/
#include "lib_paillier_impl.h"
#include "mem.h"
#include "ev.h"
#include "lib_wire.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* --- the key ring ------------------------------------------------------------------------ */

void he_keyring_add(Interp *I, HeScheme *s)
{
    he_keyring_drop(s);
    I->keyring = xrealloc(I->keyring, (I->nkeyring + 1) * sizeof *I->keyring);
    I->keyring[I->nkeyring++] = s;
    s->ring = I;
}

void he_keyring_drop(HeScheme *s)
{
    Interp *I = s->ring;
    if (!I) return;
    for (size_t i = 0; i < I->nkeyring; i++)
        if (I->keyring[i] == s) { I->keyring[i] = I->keyring[--I->nkeyring]; break; }
    if (!I->nkeyring) { free(I->keyring); I->keyring = NULL; }
    s->ring = NULL;
}

void lib_he_ring_close(Interp *I)
{
    for (size_t i = 0; i < I->nkeyring; i++) I->keyring[i]->ring = NULL;
    free(I->keyring);
    I->keyring = NULL; I->nkeyring = 0;
}

/* The scheme of I's ring holding the private key for s's public key, or NULL. */
static HeScheme *ring_find(Interp *I, const HeScheme *s)
{
    for (size_t i = 0; i < I->nkeyring; i++)
        if (I->keyring[i]->has_priv && pai_pub_equal(&I->keyring[i]->pub, &s->pub)) return I->keyring[i];
    return NULL;
}

const HeScheme *he_keyholder_scheme(Interp *I, const HeScheme *s)
{
    return s->has_priv ? s : ring_find(I, s);
}

const PaiPriv *lib_he_priv(Interp *I, Value scheme, int party)
{
    HeScheme *s = he_scheme_of(scheme);
    if (!s || party <= 0 || party >= 64 || !(s->keyholders >> party & 1)) return NULL;
    const HeScheme *k = he_keyholder_scheme(I, s);
    return k ? &k->priv : NULL;
}

/* --- the codecs ------------------------------------------------------------------------- */

/* [n, hs, keyholders, frac_exp, range, headroom, threads]: the public key and the
** options.  The private key is never written.  In a side frame of the replicated
** narrator (a stand-in's skeleton: the keyholder's process tells the others the scheme
** it generated or read) n and hs are written as public integers, which the skeleton
** keeps: every process needs the public key to encrypt under it. */
bool he_scheme_encode(Interp *I, Value self, struct WireW *w, int to)
{
    (void)to;
    const HeScheme *s = AS_USER(self)->p;
    void (*put)(WireW *, const mpz_t) = I->side_encode ? wire_put_public_mpz : wire_put_mpz;
    wire_put_array(w, 7);
    put(w, s->pub.n);
    put(w, s->pub.hs);
    wire_put_uint(w, s->keyholders);
    wire_put_int(w, s->frac_exp);
    wire_put_double(w, s->range);
    wire_put_uint(w, s->headroom);
    wire_put_int(w, s->threads);
    return true;
}

Value he_scheme_decode(Interp *I, struct WireR *r, const struct msgpack_object *o)
{
    const msgpack_object_array *a;
    int64_t frac, headroom, threads, holders;
    double range;
    if (!wire_get_array(r, o, 7, 7, &a)) return VERR;
    HeScheme *s = he_scheme_alloc();
    mpz_t n, hs;
    mpz_inits(n, hs, NULL);
    bool ok = wire_get_mpz(r, &a->ptr[0], n) && wire_get_mpz(r, &a->ptr[1], hs) &&
              wire_get_int(r, &a->ptr[2], 0, INT64_MAX, &holders) &&
              wire_get_int(r, &a->ptr[3], -64, 0, &frac) && wire_get_double(r, &a->ptr[4], &range) &&
              wire_get_int(r, &a->ptr[5], 0, 30, &headroom) && wire_get_int(r, &a->ptr[6], 1, 16, &threads);
    if (ok && (mpz_sizeinbase(n, 2) > 8192 || !(range > 0) || !isfinite(range)))
        ok = wire_fail(r, "a paillier scheme out of range");
    if (ok && pai_pub_set_nh(&s->pub, n, hs, NULL))        /* the sender's hs: no exponentiation */
        ok = wire_fail(r, "an unusable Paillier modulus, or hs out of range");
    mpz_clears(n, hs, NULL);
    if (!ok) { he_scheme_free(s); return VERR; }
    s->keyholders = (uint64_t)holders;
    s->frac_exp = (int)frac;
    s->range = range;
    s->headroom = (unsigned)headroom;
    s->threads = (int)threads;
    int to = r->to;
    const HeScheme *k = to > 0 && to < 64 && (s->keyholders >> to & 1) ? ring_find(I, s) : NULL;
    if (k) {                                                  /* the keyholder's own key */
        pai_priv_copy(&s->priv, &k->priv, &s->pub);
        s->has_priv = 1;
        he_keyring_add(I, s);
    }
    return val_user(&lib_he_scheme_class, s);
}

/* [scheme, shape, exp, lbound, count, [slots, slot_bits, vbits, adds, max_adds],
** ciphertexts] with the ciphertexts re-randomised (a fresh encryption of the same values:
** the receiver cannot link them to what the sender computed) as residues mod n^2. */
bool he_ct_encode(Interp *I, Value self, struct WireW *w, int to)
{
    RtErr e;
    const HeCt *c = AS_USER(self)->p;
    PaiVec *v = pai_vec_copy(c->v);
    PaiOpts o = he_opts(I, c->s);
    /* a side frame of the replicated narrator (interp/replica.c) is not a message: it
       must not draw from the party's generator, or the party's later draws would differ
       from the one-process run's */
    int st = I->side_encode ? 0
           : pai_vec_rerandomize(v, &c->s->pub, NULL, he_rng(I, self.owner ? self.owner : I->cur_party), &o, &e);
    if (st) { pai_vec_free(v); he_fail(I, "send", &e, c->s); return false; }
    wire_put_array(w, 7);
    if (!lib_wire_put(I, w, c->scheme, 0, to)) { pai_vec_free(v); return false; }
    wire_put_array(w, (size_t)c->ndim);
    for (int i = 0; i < c->ndim; i++) wire_put_int(w, c->shape[i]);
    wire_put_int(w, v->exp);
    wire_put_double(w, v->lbound);
    wire_put_uint(w, v->count);
    wire_put_array(w, 5);
    wire_put_uint(w, v->slots); wire_put_uint(w, v->slot_bits); wire_put_uint(w, v->vbits);
    wire_put_uint(w, v->adds); wire_put_uint(w, v->max_adds);
    wire_put_residues(w, v->c, v->n, (2 * (size_t)c->s->pub.bits + 7) / 8);
    pai_vec_free(v);
    return true;
}

Value he_ct_decode(Interp *I, struct WireR *r, const struct msgpack_object *o)
{
    const msgpack_object_array *a, *sh, *pk, *cs;
    int64_t exp, count, f[5], d;
    double lbound;
    int shape[TN_MAXDIM];
    if (!wire_get_array(r, o, 7, 7, &a)) return VERR;
    Value sv = lib_wire_get(I, r, &a->ptr[0]);
    if (IS_ERR(sv)) return VERR;
    HeScheme *s = he_scheme_of(sv);
    if (!s) { val_release(sv); return wire_fail(r, "a ciphertext without its paillier scheme"), VERR; }
    size_t want = 1;
    bool ok = wire_get_array(r, &a->ptr[1], 0, TN_MAXDIM, &sh);
    for (uint32_t i = 0; ok && i < sh->size; i++) {
        ok = wire_get_int(r, &sh->ptr[i], 0, INT32_MAX, &d);
        shape[i] = (int)d;
        want *= (size_t)d;
    }
    ok = ok && wire_get_int(r, &a->ptr[2], -1024, 1024, &exp) && wire_get_double(r, &a->ptr[3], &lbound) &&
         wire_get_int(r, &a->ptr[4], 0, INT32_MAX, &count) && wire_get_array(r, &a->ptr[5], 5, 5, &pk);
    for (int i = 0; ok && i < 5; i++) ok = wire_get_int(r, &pk->ptr[i], 0, UINT32_MAX, &f[i]);
    ok = ok && wire_get_array(r, &a->ptr[6], 0, UINT32_MAX, &cs);
    if (ok && (size_t)count != want) ok = wire_fail(r, "a ciphertext of shape with %zu values carries %lld", want, (long long)count);
    size_t n = ok ? cs->size : 0;
    if (ok && f[0] && (f[1] == 0 || (uint64_t)f[0] * (uint64_t)f[1] > s->pub.bits))
        ok = wire_fail(r, "a packing of %lld slots of %lld bits does not fit the key", (long long)f[0], (long long)f[1]);
    if (ok && (f[0] ? n != ((size_t)count + (size_t)f[0] - 1) / (size_t)f[0] : n != (size_t)count))
        ok = wire_fail(r, "%zu ciphertexts for %lld values", n, (long long)count);
    if (!ok) { val_release(sv); return VERR; }
    PaiVec *v = pai_vec_new(n);
    ok = wire_get_residues(r, &a->ptr[6], v->c, n, (2 * (size_t)s->pub.bits + 7) / 8);
    for (size_t i = 0; ok && i < n; i++)
        if (mpz_sgn(v->c[i]) <= 0 || mpz_cmp(v->c[i], s->pub.n2) >= 0) ok = wire_fail(r, "a ciphertext out of range");
    if (!ok) { pai_vec_free(v); val_release(sv); return VERR; }
    v->exp = (int)exp; v->lbound = lbound; v->count = (size_t)count;
    v->slots = (unsigned)f[0]; v->slot_bits = (unsigned)f[1]; v->vbits = (unsigned)f[2];
    v->adds = (uint32_t)f[3]; v->max_adds = (uint32_t)f[4];
    Value cv = he_ct_new(sv, v, (int)sh->size, shape, 0);
    val_release(sv);
    return cv;
}

/* --- the key message ---------------------------------------------------------------------- */

/* A residue written big endian into b[0..bytes) (x < 256^bytes). */
static void put_fixed(unsigned char *b, size_t bytes, const mpz_t x)
{
    size_t n = mpz_sgn(x) ? (mpz_sizeinbase(x, 2) + 7) / 8 : 0, got = 0;
    memset(b, 0, bytes);
    if (n && n <= bytes) mpz_export(b + (bytes - n), &got, 1, 1, 1, 0, x);
}

/* The private key that arrived in frame f at this process's keyholder becomes s's. */
static bool take_key(Interp *I, HeScheme *s, int from, const uint8_t *f, size_t len, size_t bytes)
{
    WireR r; wire_r_init(&r, ev_party_name(I, from));
    WireHdr h; const msgpack_object *pl; const msgpack_object_array *a;
    const void *p[2] = { NULL, NULL }; size_t n[2] = { 0, 0 };
    bool ok = wire_open_frame(&r, f, len, &h, &pl) && wire_get_array(&r, pl, 2, 2, &a) &&
              wire_get_bin(&r, &a->ptr[0], &p[0], &n[0]) && wire_get_bin(&r, &a->ptr[1], &p[1], &n[1]);
    if (ok && (n[0] != bytes || n[1] != bytes)) ok = wire_fail(&r, "a key of the wrong size");
    if (ok) {
        mpz_t kp, kq;
        mpz_inits(kp, kq, NULL);
        mpz_import(kp, n[0], 1, 1, 1, 0, p[0]);
        mpz_import(kq, n[1], 1, 1, 1, 0, p[1]);
        RtErr e;
        if (pai_priv_set_pq(&s->priv, &s->pub, kp, kq, &e)) ok = wire_fail(&r, "a private key that does not fit the public key (%s)", e.msg);
        mpz_set_ui(kp, 0); mpz_set_ui(kq, 0);
        mpz_clears(kp, kq, NULL);
    }
    if (ok) { s->has_priv = 1; he_keyring_add(I, s); }
    else err_raise(I, "paillier: the shared private key from %s: %s", ev_party_name(I, from), r.e.msg);
    wire_r_free(&r);
    return ok;
}

bool he_share_key(Interp *I, HeScheme *s, int from)
{
    uint64_t others = s->keyholders & ~((uint64_t)1 << from);
    if (!others || from <= 0 || from >= 64) return true;
    size_t bytes = (s->pub.bits + 7) / 8;
    unsigned char *b = xmalloc(bytes);
    const char *old = msg_phase(&I->msg, "offline");
    msg_parallel_begin(&I->msg);                /* one round, whatever the keyholders */
    bool ok = true;
    for (int k = 1; k < 64 && ok; k++) {
        if (!(others >> k & 1)) continue;
        WireW w; wire_w_init(&w);
        WireHdr h = { "key", from, k, 0 };
        wire_put_envelope(&w, &h);
        wire_put_array(&w, 2);
        /* a process standing in for `from` has no private key: zeros of the same size */
        put_fixed(b, bytes, s->priv.p);
        wire_put_bin(&w, b, bytes);
        put_fixed(b, bytes, s->priv.q);
        wire_put_bin(&w, b, bytes);
        size_t len;
        uint8_t *f = wire_w_take(&w, &len);
        long idx = msg_send_frame(&I->msg, from, k, "key", true, false,
                                  "the private key of a paillier scheme its keyholders share", f, len);
        if (idx < 0) {
            err_raise(I, "paillier: the %s transport could not carry the key to %s", I->msg.tp->name,
                      ev_party_name(I, k));
            ok = false;
            break;
        }
        uint8_t *got; size_t glen;
        if (msg_receive(&I->msg, from, k, &got, &glen) != 0) {
            err_raise(I, "paillier: the key to %s was lost", ev_party_name(I, k));
            ok = false;
            break;
        }
        if (!s->has_priv && rep_self(I) == k) ok = take_key(I, s, from, got, glen, bytes);
        memset(got, 0, glen);
        free(got);
    }
    msg_parallel_end(&I->msg);
    msg_phase(&I->msg, old);
    memset(b, 0, bytes);
    free(b);
    return ok;
}
