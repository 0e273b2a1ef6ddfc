/*
** lib_paillier_blind.c — the 'he' module's blinded round trips: he_mul, he_matmul and
** he_rescale, which let a party without the key multiply ciphertexts or reset their
** scale with the keyholder's help.  The party holding ciphertexts (T) and the keyholder
** (K) run runtime/paillier_blind.c's protocol: masks sized from the tracked bound plus 40
** bits, re-randomised before they leave T, fresh encryptions back, two rounds of the
** message layer a round trip.  This file picks the parties and their generators and
** words the refusals; the layer records what crosses.  When T is itself a keyholder it
** computes directly and nothing is sent.
*/
#include "lib_paillier_impl.h"
#include "mem.h"
#include "ev.h"
#include <math.h>
#include <stdlib.h>

/* The keyholder that helps (the lowest id), 0 if none holds the key.  Across processes
** a process standing in for that keyholder has no key but follows its steps. */
static int helper_of(Interp *I, const HeScheme *s)
{
    int k = s->keyholders ? __builtin_ctzll(s->keyholders) : 0;
    return k && (he_keyholder_scheme(I, s) || rep_standin(I, k)) ? k : 0;
}

/* The private key the helper uses: NULL in a process that stands in for it (its steps
** then decrypt to zeros: paillier.h, blinded round trips). */
static const PaiPriv *helper_priv(Interp *I, const HeScheme *s)
{
    const HeScheme *k = he_keyholder_scheme(I, s);
    return k ? &k->priv : NULL;
}

/* Where a round trip runs: the interpreter's message layer, T and K with their own
** generators; transcript lines start with the builtin's name. */
static PaiLink link_of(Interp *I, int T, int K, const char *fname)
{
    return (PaiLink){ .msg = &I->msg, .T = T, .K = K, .rng_t = he_rng(I, T),
                      .rng_k = he_rng(I, K), .label = fname };
}

/* Raises the message for a failed round trip (claim: the stated bound, or NAN). */
static Value blind_fail(Interp *I, const char *what, const RtErr *e, const HeScheme *s, double claim)
{
    Sb b; sb_init(&b);
    if (!isnan(claim)) sb_num(&b, claim);
    Value r;
    switch (e->code) {
    case RT_EBOUND:
        r = err_raise(I, "%s: nothing bounds this ciphertext's values (it was read from a file), so no "
                      "mask can be sized for it; state a bound the keyholder will check: "
                      "%s(..., bound = B) with every |value| <= B", what, what);
        break;
    case RT_EMASK:
        r = err_raise(I, "%s: the values' public bound plus a 40-bit mask does not fit in the %u-bit key, "
                      "so they cannot be hidden from the keyholder; he_rescale first, use smaller "
                      "values or a larger key%s", what, s->pub.bits,
                      isnan(claim) ? ", or state a smaller bound (bound = B, checked by the keyholder)" : "");
        break;
    case RT_ECLAIM:
        r = err_raise(I, "%s: the keyholder saw a masked value outside the stated bound = %s: the values "
                      "are larger than stated (nothing was returned)", what, b.s);
        break;
    case RT_EOVERFLOW:
        r = err_raise(I, "%s: ciphertext overflow: the product's public bound exceeds the safe range of the "
                      "%u-bit key (|plaintext| < n/3), so it could decrypt to garbage; he_rescale the "
                      "operands, use fewer multiplications, a larger key%s", what, s->pub.bits,
                      isnan(claim) ? ", or state a smaller bound (bound = B, checked by the keyholder)" : "");
        break;
    case RT_EIO:
        r = err_raise(I, "%s: the %s transport lost a message of the round trip with the keyholder",
                      what, I->msg.tp->name);
        break;
    case RT_EFORMAT:
        r = err_raise(I, "%s: a message of the round trip with the keyholder was malformed", what);
        break;
    default:
        r = he_fail(I, what, e, s);
    }
    sb_free(&b);
    return r;
}

/* Checks a ct argument, the party running the protocol and the helper. */
static HeCt *rt_arg(Interp *I, Args *a, int i, int *T, int *K)
{
    HeCt *c = he_ct_of(i < a->n ? a->v[i] : VNONE);
    if (!c) { lib_bad(I, a, i, "ciphertext"); return NULL; }
    *T = val_owner(a->v[i]) ? val_owner(a->v[i]) : a->at;
    *K = helper_of(I, c->s);
    if (!*K) { he_not_keyholder(I, a->fname, c->s, 0); return NULL; }
    return c;
}

/* Reads bound = B (a stated bound on |values|, checked by the keyholder); NAN if absent. */
static bool claim_arg(Interp *I, Args *a, double *claim)
{
    *claim = NAN;
    Value *b = lib_kw(a, "bound");
    if (!b || b->tag == V_NONE) return true;
    if (b->tag != V_NUM || !(b->as.n > 0) || !isfinite(b->as.n)) {
        lib_badkw(I, a, "bound", "positive number");
        return false;
    }
    *claim = b->as.n;
    return true;
}

static bool is_direct(const HeScheme *s, int T) { return T > 0 && T < 64 && (s->keyholders >> T & 1); }

static Value b_he_rescale(Interp *I, Args *a)
{
    RtErr e;
    static const char *const kws[] = { "bound", NULL };
    int T, K;
    double claim;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws) || !claim_arg(I, a, &claim)) return VERR;
    HeCt *c = rt_arg(I, a, 0, &T, &K);
    if (!c) return VERR;
    if (c->v->slots) return he_packed(I, "he_rescale");
    HeScheme *s = c->s;
    PaiOpts o = he_opts(I, s);
    PaiLink link = link_of(I, T, K, a->fname);
    PaiVec *v = NULL;
    int st = pai_blind_rescale(&v, &s->pub, helper_priv(I, s), c->v, s->frac_exp, claim, is_direct(s, T),
                               &o, &link, &e);
    if (st) return blind_fail(I, a->fname, &e, s, claim);
    return he_ct_new(c->scheme, v, c->ndim, c->shape, a->v[0].owner);
}

/* Elementwise (matmul = false, with broadcasting) or matrix product of two ciphertexts. */
static Value blinded_product(Interp *I, Args *a, bool matmul)
{
    RtErr e;
    static const char *const kws[] = { "bound", NULL };
    int T, K, T2, K2;
    double claim;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, kws) || !claim_arg(I, a, &claim)) return VERR;
    HeCt *x = rt_arg(I, a, 0, &T, &K), *y = x ? rt_arg(I, a, 1, &T2, &K2) : NULL;
    if (!x || !y) return VERR;
    if (!he_same_key(I, x, y)) return VERR;
    if (x->v->slots || y->v->slots) return he_packed(I, a->fname);
    HeScheme *s = x->s;
    /* output layout: for each output o, terms (ia, ib) pairs */
    size_t nout, len;
    size_t *ia = NULL, *ib = NULL;
    int so[TN_MAXDIM], no;
    if (!matmul) {
        if (!he_bcast(x->shape, x->ndim, y->shape, y->ndim, so, &no, &ia, &ib, &nout))
            return he_shape_error(I, "he_mul", x->shape, x->ndim, y->shape, y->ndim);
        len = 1;
    } else {
        if (x->ndim < 1 || x->ndim > 2 || y->ndim < 1 || y->ndim > 2)
            return err_raise(I, "he_matmul needs 1-D or 2-D ciphertexts");
        int m = x->ndim == 2 ? x->shape[0] : 1, k = x->shape[x->ndim - 1];
        int k2 = y->shape[0], p = y->ndim == 2 ? y->shape[1] : 1;
        if (k != k2) return he_shape_error(I, "he_matmul", x->shape, x->ndim, y->shape, y->ndim);
        no = 0;
        if (x->ndim == 2) so[no++] = m;
        if (y->ndim == 2) so[no++] = p;
        nout = (size_t)m * (size_t)p; len = (size_t)k;
        ia = xmalloc(nout * len * sizeof *ia); ib = xmalloc(nout * len * sizeof *ib);
        for (int i = 0; i < m; i++) for (int j = 0; j < p; j++) for (int l = 0; l < k; l++) {
            size_t t = ((size_t)i * (size_t)p + (size_t)j) * len + (size_t)l;
            ia[t] = (size_t)i * (size_t)k + (size_t)l;
            ib[t] = (size_t)l * (size_t)p + (size_t)j;
        }
    }
    PaiOpts o = he_opts(I, s);
    PaiLink link = link_of(I, T, K, a->fname);
    bool direct = is_direct(s, T);
    PaiVec *p = NULL, *r = NULL;
    int st = pai_blind_product(&p, &s->pub, helper_priv(I, s), x->v, ia, y->v, ib, len, nout, claim, direct,
                               &o, &link, &e);
    free(ia); free(ib);
    if (st) return blind_fail(I, a->fname, &e, s, claim);
    /* back to the scheme's precision: a second round trip, from the product's tracked bound */
    st = pai_blind_rescale(&r, &s->pub, helper_priv(I, s), p, s->frac_exp, NAN, direct, &o, &link, &e);
    pai_vec_free(p);
    if (st) return blind_fail(I, a->fname, &e, s, NAN);
    return he_ct_new(x->scheme, r, no, so, a->v[0].owner ? a->v[0].owner : a->v[1].owner);
}

static Value b_he_mul(Interp *I, Args *a) { return blinded_product(I, a, false); }
static Value b_he_matmul(Interp *I, Args *a) { return blinded_product(I, a, true); }

static const LibReg fns[] = {
    {"he_mul", b_he_mul, "he_mul(a, b, bound = none)",
     "Elementwise product of two ciphertexts by a blinded round trip: the holder masks both with random\n"
     "values 40 bits wider than their public bound and re-randomises them, the keyholder decrypts only\n"
     "the masked values, multiplies and re-encrypts, and the holder removes the masks homomorphically.\n"
     "The result is rescaled to the scheme's precision (a second round trip).  A product whose bound\n"
     "cannot fit in the key is refused.  bound = B states |values| <= B: masks are sized from it and\n"
     "the keyholder checks it (for long computations, and ciphertexts read from files).",
     "party t, k; scheme he = paillier(bits = 512, keyholder = k); on t { c = encrypt(3, he); d = send(he_mul(c, c), to = k) }; on k { print(decrypt(d)) }\n"
     "# -> 9",
     0},
    {"he_matmul", b_he_matmul, "he_matmul(a, b, bound = none)",
     "Matrix product of two ciphertexts (1-D or 2-D) by the same blinded round trip as he_mul.",
     "party t, k; scheme he = paillier(bits = 512, keyholder = k); on t { a = encrypt(tensor([[1, 2]]), he); b = send(he_matmul(a, encrypt(tensor([[3], [4]]), he)), to = k) }; on k { print(decrypt(b)) }\n"
     "# -> tensor([[11]])",
     0},
    {"he_rescale", b_he_rescale, "he_rescale(c, bound = none)",
     "Brings a ciphertext whose scale grew (after multiplications by fractional plain values) back to the\n"
     "scheme's precision, by a blinded round trip with the keyholder (who sees only masked values;\n"
     "bound = B as for he_mul).",
     "party t, k; scheme he = paillier(bits = 512, keyholder = k); on t { c = send(he_rescale(encrypt(1.5, he) * 0.5), to = k) }; on k { print(decrypt(c)) }\n"
     "# -> 0.75",
     0},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_he_blind = { "he", fns, NULL };
