/*
** lib_he.c — builtins of the 'he' module: Paillier schemes (`scheme he = paillier(bits =
** 2048, keyholder = p)`), ciphertext tensors with their operators (ct + ct, ct + plain,
** ct * plain, ct / number, plain @ ct, ct @ plain, unary minus), encrypt / decrypt (only
** at a keyholder), he_sum, the blinded round trips that let a party without the key
** multiply ciphertexts or reset their scale with the keyholder's help (he_mul,
** he_matmul, he_rescale: runtime/pai_blind.c's protocol, two rounds of the message layer
** a round trip; this file picks the parties and their generators), re-randomised sends
** (he_send is send: a real frame through the message layer, lib_wire.c), and
** python-paillier's file formats (save_key, load_key, save_ciphertext, load_ciphertext).
** The cryptography is runtime/pai*.c's; this file owns shapes, broadcasting, parties and
** the ciphertext's wire codec.  Nothing here writes the transcript: the layer does.
*/
#include "lib_he.h"
#include "mem.h"
#include "lib_tensor.h"
#include "lib_wire.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct HeScheme {
    PaiPub pub;
    PaiPriv priv;
    int has_priv;
    uint64_t keyholders;        /* bit i: party i holds the private key */
    int frac_exp;               /* fixed point: values are m * 16^frac_exp */
    double range;               /* |x| <= range for everything encrypted (public) */
    unsigned headroom;          /* packing: log2 of additions without carry */
    int threads;
} HeScheme;

typedef struct HeCt {
    Value scheme;               /* owned reference: keeps the keys alive */
    HeScheme *s;                /* borrowed from scheme */
    PaiVec *v;
    int ndim, shape[TN_MAXDIM];
} HeCt;

/* The generator a party draws from (its masks, noise and re-randomisation).  One place
** to change when parties get generators of their own (ev_rng). */
static Rng *party_rng(Interp *I, int party) { return ev_rng(I, party); }

/* --- the scheme kind ------------------------------------------------------------------ */

static void keyring_drop(const HeScheme *s);

static void scheme_free(void *p)
{
    HeScheme *s = p;
    keyring_drop(s);
    pai_pub_clear(&s->pub);
    pai_priv_clear(&s->priv);
    free(s);
}

static void holders_names(Interp *I, uint64_t mask, Sb *b, const char *last_sep)
{
    int n = 0, total = 0;
    for (int i = 1; i < 64; i++) if (mask >> i & 1) total++;
    for (int i = 1; i < 64; i++) {
        if (!(mask >> i & 1)) continue;
        if (n) sb_puts(b, n == total - 1 ? last_sep : ", ");
        sb_puts(b, ev_party_name(I, i));
        n++;
    }
    if (!total) sb_puts(b, "nobody");
}

static void scheme_show(Interp *I, const void *p, Sb *out, int verbose)
{
    const HeScheme *s = p;
    char dg[17];
    pai_digest(s->pub.n, dg);
    sb_printf(out, "paillier scheme: %u-bit key%s, keyholder ", s->pub.bits,
              s->pub.bits < 2048 ? " (insecure classroom size)" : "");
    holders_names(I, s->keyholders, out, " and ");
    if (verbose) {
        sb_printf(out, "\n  precision 2^-%d (python-paillier exponent %d), range +/-", -4 * s->frac_exp,
                  s->frac_exp);
        sb_num(out, s->range);
        sb_printf(out, ", packing headroom 2^%u additions, %d thread%s\n  public key n digest %.8s%s",
                  s->headroom, s->threads, s->threads == 1 ? "" : "s", dg,
                  s->has_priv ? "" : " (public key only: nobody here can decrypt)");
    }
}

static Value scheme_field(Interp *I, Value self, Sym *name)
{
    HeScheme *s = AS_USER(self)->p;
    if (!strcmp(name->name, "bits")) return VNUM(s->pub.bits);
    if (!strcmp(name->name, "precision")) return VNUM(-4 * s->frac_exp);
    if (!strcmp(name->name, "range")) return VNUM(s->range);
    if (!strcmp(name->name, "keyholder")) {
        for (int i = 1; i < 64; i++) if (s->keyholders >> i & 1) return VPARTY(i);
        return VNONE;
    }
    return err_raise(I, "a paillier scheme has no field '%s' (fields: bits, keyholder, precision, range)",
                     name->name);
}

static bool scheme_encode(Interp *I, Value self, struct WireW *w, int to);
static void keyring_add(HeScheme *s);
static HeScheme **keyring;
static size_t nkeyring;
static Value scheme_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);

const VClass lib_he_scheme_class = {
    .name = "paillier scheme", .free = scheme_free, .show = scheme_show, .field = scheme_field,
    .wire = WIRE_EXT_HE_SCHEME, .encode = scheme_encode, .decode = scheme_decode,
};

static HeScheme *scheme_of(Value v) { return val_user_as(v, &lib_he_scheme_class); }

const PaiPub *lib_he_pub(Value scheme)
{
    HeScheme *s = scheme_of(scheme);
    return s ? &s->pub : NULL;
}

bool lib_he_can_decrypt(Value scheme, int party)
{
    HeScheme *s = scheme_of(scheme);
    return s && s->has_priv && party > 0 && party < 64 && (s->keyholders >> party & 1);
}

static PaiOpts opts_of(Interp *I, const HeScheme *s)
{
    return (PaiOpts){ .threads = s->threads, .interrupt = I->interrupt };
}

/* --- the ciphertext kind -------------------------------------------------------------- */

static void ct_free(void *p)
{
    HeCt *c = p;
    pai_vec_free(c->v);
    val_release(c->scheme);
    free(c);
}

static void ct_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)I;
    const HeCt *c = p;
    sb_puts(out, "ciphertext[");
    for (int i = 0; i < c->ndim; i++) sb_printf(out, "%s%d", i ? "x" : "", c->shape[i]);
    sb_printf(out, "]%s", c->v->slots ? " packed" : "");
    size_t show = verbose ? 8 : 3;
    for (size_t i = 0; i < c->v->n && i < show; i++) {
        char d[17];
        pai_digest(c->v->c[i], d);
        sb_printf(out, " %.8s", d);
    }
    if (c->v->n > show) sb_printf(out, " ... (%zu ciphertexts)", c->v->n);
    if (verbose) {
        sb_printf(out, "\n  %u-bit Paillier, scale 16^%d", c->s->pub.bits, c->v->exp);
        if (c->v->slots)
            sb_printf(out, ", %u values a ciphertext in %u-bit slots, %u of 2^%u additions used",
                      c->v->slots, c->v->slot_bits, c->v->adds, c->s->headroom);
        sb_puts(out, "; digests only: the numbers are never shown");
    }
}

static void ct_visit(void *p, void (*fn)(Value *v, void *ctx), void *ctx)
{
    HeCt *c = p;
    fn(&c->scheme, ctx);
}

static size_t ct_bytes(const void *p)
{
    const HeCt *c = p;
    return (size_t)pai_vec_bytes(&c->s->pub, c->v);
}

static Value ct_binop(Interp *I, int op, Value a, Value b);
static Value ct_unop(Interp *I, int op, Value a);
static Value ct_field(Interp *I, Value self, Sym *name);
static bool ct_encode(Interp *I, Value self, struct WireW *w, int to);
static Value ct_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);

const VClass lib_he_ct_class = {
    .name = "ciphertext", .free = ct_free, .show = ct_show, .binop = ct_binop, .unop = ct_unop,
    .field = ct_field, .visit = ct_visit, .bytes = ct_bytes, .send = lib_he_send,
    .wire = WIRE_EXT_CIPHERTEXT, .encode = ct_encode, .decode = ct_decode, .wire_note = "re-randomised",
};

static HeCt *ct_of(Value v) { return val_user_as(v, &lib_he_ct_class); }

/* A new ciphertext value (owned) taking v; scheme is retained. */
static Value ct_new(Value scheme, PaiVec *v, int ndim, const int *shape, int owner)
{
    HeCt *c = xmalloc(sizeof *c);
    c->scheme = val_retain(scheme);
    c->s = scheme_of(scheme);
    c->v = v;
    c->ndim = ndim;
    for (int i = 0; i < TN_MAXDIM; i++) c->shape[i] = i < ndim ? shape[i] : 0;
    Value r = val_user(&lib_he_ct_class, c);
    r.owner = (uint16_t)owner;
    return r;
}

static Value ct_field(Interp *I, Value self, Sym *name)
{
    HeCt *c = AS_USER(self)->p;
    if (!strcmp(name->name, "shape")) {
        Value l = val_list((size_t)c->ndim);
        for (int i = 0; i < c->ndim; i++) val_list_push(l, VNUM(c->shape[i]));
        return l;
    }
    if (!strcmp(name->name, "exponent")) return VNUM(c->v->exp);
    if (!strcmp(name->name, "packed")) return VBOOL(c->v->slots != 0);
    return err_raise(I, "a ciphertext has no field '%s' (fields: shape, exponent, packed)", name->name);
}

/* Raises the message for a runtime status, naming the operation. */
static Value pai_fail(Interp *I, const char *what, int st, const HeScheme *s)
{
    switch (st) {
    case PAI_EOVERFLOW:
        return err_raise(I, "%s: ciphertext overflow: the result could exceed the safe range of the "
                         "%u-bit key (|plaintext| < n/3); use fewer multiplications, he_rescale, or a "
                         "larger key", what, s ? s->pub.bits : 0);
    case PAI_ERANGE:
        if (s) {
            Sb b; sb_init(&b); sb_num(&b, s->range);
            Value r = err_raise(I, "%s: a value is outside the encodable range +/-%s of the scheme "
                                "(set range = ... in paillier())", what, b.s);
            sb_free(&b);
            return r;
        }
        return err_raise(I, "%s: value outside the encodable range", what);
    case PAI_EPACKED:
        return err_raise(I, "%s: packed ciphertexts only support + with packed ciphertexts of the "
                         "same layout (encrypt without packed = true for other operations)", what);
    case PAI_EINTR:
        return err_raise(I, "interrupted");
    default:
        return err_raise(I, "%s: %s", what, pai_strerror(st));
    }
}

/* --- plain operands and shapes ---------------------------------------------------------- */

typedef struct Plain { double *x; size_t n; int ndim, shape[TN_MAXDIM]; } Plain;

static bool plain_of(Interp *I, Value v, Plain *p, const char *what)
{
    memset(p, 0, sizeof *p);
    if (v.tag == V_NUM || v.tag == V_BOOL) {
        p->x = xmalloc(sizeof *p->x);
        p->x[0] = v.tag == V_NUM ? v.as.n : v.as.b;
        p->n = 1;
        return true;
    }
    Tn *own = NULL;
    const Tn *t;
    if (v.tag == V_TENSOR) t = AS_TENSOR(v);
    else if (v.tag == V_LIST || v.tag == V_RANGE) { own = lib_tensor_from(I, v, what); if (!own) return false; t = own; }
    else { err_raise(I, "%s: number or tensor expected, got %s", what, val_type_name(v)); return false; }
    p->n = t->size; p->ndim = t->ndim;
    for (int i = 0; i < t->ndim; i++) p->shape[i] = t->shape[i];
    p->x = xmalloc(p->n * sizeof *p->x);
    for (size_t i = 0; i < p->n; i++) p->x[i] = t->data[i];
    tn_free(own);
    return true;
}

/* numpy broadcasting of two shapes: output shape and index arrays (malloc'd). */
static bool bcast(const int *sa, int na, const int *sb, int nb, int *so, int *no,
                  size_t **ia, size_t **ib, size_t *n)
{
    int nd = na > nb ? na : nb;
    int da[TN_MAXDIM], db[TN_MAXDIM];
    size_t total = 1;
    for (int d = 0; d < nd; d++) {
        da[d] = d - (nd - na) >= 0 ? sa[d - (nd - na)] : 1;
        db[d] = d - (nd - nb) >= 0 ? sb[d - (nd - nb)] : 1;
        if (da[d] != db[d] && da[d] != 1 && db[d] != 1) return false;
        so[d] = da[d] > db[d] ? da[d] : db[d];
        total *= (size_t)so[d];
    }
    *no = nd; *n = total;
    *ia = xmalloc(total * sizeof **ia); *ib = xmalloc(total * sizeof **ib);
    for (size_t i = 0; i < total; i++) {
        size_t rem = i, xa = 0, xb = 0, stra = 1, strb = 1;
        for (int d = nd - 1; d >= 0; d--) {
            size_t k = rem % (size_t)so[d]; rem /= (size_t)so[d];
            if (da[d] != 1) xa += k * stra;
            if (db[d] != 1) xb += k * strb;
            stra *= (size_t)da[d]; strb *= (size_t)db[d];
        }
        (*ia)[i] = xa; (*ib)[i] = xb;
    }
    return true;
}

static void shape_str(Sb *b, const int *s, int nd)
{
    sb_putc(b, '[');
    for (int i = 0; i < nd; i++) sb_printf(b, "%s%d", i ? ", " : "", s[i]);
    sb_putc(b, ']');
}

static Value shape_error(Interp *I, const char *op, const int *sa, int na, const int *sb, int nb)
{
    Sb b; sb_init(&b);
    shape_str(&b, sa, na); sb_puts(&b, " and "); shape_str(&b, sb, nb);
    Value r = err_raise(I, "shapes %s do not match for '%s'", b.s, op);
    sb_free(&b);
    return r;
}

static bool same_key(Interp *I, const HeCt *a, const HeCt *b)
{
    if (pai_pub_equal(&a->s->pub, &b->s->pub)) return true;
    err_raise(I, "the ciphertexts are under different Paillier keys; they cannot be combined");
    return false;
}

/* --- operators ------------------------------------------------------------------------ */

static Value ct_ct(Interp *I, int op, Value av, Value bv)
{
    HeCt *a = ct_of(av), *b = ct_of(bv);
    if (!same_key(I, a, b)) return VERR;
    if (op == OP_MUL || op == OP_MATMUL || op == OP_DIV || op == OP_POW)
        return err_raise(I, "Paillier is additively homomorphic: '%s' of two ciphertexts is not possible "
                         "locally; use he_mul / he_matmul (a blinded round trip with the keyholder), "
                         "or decrypt at the keyholder", ast_op_name(op));
    if (op != OP_ADD && op != OP_SUB)
        return err_raise(I, "ciphertexts cannot be compared with '%s': their plaintexts are hidden",
                         ast_op_name(op));
    PaiOpts o = opts_of(I, a->s);
    PaiVec *r = NULL;
    int so[TN_MAXDIM], no;
    int st;
    if (a->v->slots || b->v->slots) {
        if (op != OP_ADD) return pai_fail(I, "-", PAI_EPACKED, a->s);
        if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof a->shape))
            return shape_error(I, "+", a->shape, a->ndim, b->shape, b->ndim);
        st = pai_vec_add(&r, &a->s->pub, a->v, NULL, b->v, NULL, a->v->n, &o);
        if (st == PAI_EOVERFLOW)
            return err_raise(I, "+: packed ciphertexts have room for %u additions (headroom = %u); this sum "
                             "would have %u summands and could carry into the next slot",
                             a->v->max_adds, a->s->headroom, a->v->adds + b->v->adds);
        no = a->ndim; memcpy(so, a->shape, sizeof so);
    } else {
        size_t *ia, *ib, n;
        if (!bcast(a->shape, a->ndim, b->shape, b->ndim, so, &no, &ia, &ib, &n))
            return shape_error(I, ast_op_name(op), a->shape, a->ndim, b->shape, b->ndim);
        st = op == OP_ADD ? pai_vec_add(&r, &a->s->pub, a->v, ia, b->v, ib, n, &o)
                          : pai_vec_sub(&r, &a->s->pub, a->v, ia, b->v, ib, n, &o);
        free(ia); free(ib);
    }
    if (st) return pai_fail(I, ast_op_name(op), st, a->s);
    return ct_new(a->scheme, r, no, so, av.owner ? av.owner : bv.owner);
}

/* ct @ plain (ct_left) or plain @ ct, up to 2-D each (numpy's rules for 1-D). */
static Value ct_matmul(Interp *I, HeCt *c, const Plain *p, bool ct_left, int owner)
{
    int cm, ck, cp, pm, pk, pp;          /* ct is (cm x ck) or (ck x cp); plain likewise */
    if (c->ndim < 1 || c->ndim > 2 || p->ndim < 1 || p->ndim > 2)
        return err_raise(I, "'@' with a ciphertext needs 1-D or 2-D operands");
    int so[2], no;
    size_t nout, len, astride, kstride;
    size_t *abase, *kbase;
    if (ct_left) {                        /* (m x k) @ (k x p) */
        cm = c->ndim == 2 ? c->shape[0] : 1; ck = c->shape[c->ndim - 1];
        pk = p->shape[0]; pp = p->ndim == 2 ? p->shape[1] : 1;
        if (ck != pk) return shape_error(I, "@", c->shape, c->ndim, p->shape, p->ndim);
        no = 0;
        if (c->ndim == 2) so[no++] = cm;
        if (p->ndim == 2) so[no++] = pp;
        nout = (size_t)cm * (size_t)pp; len = (size_t)ck; astride = 1; kstride = (size_t)pp;
        abase = xmalloc(nout * sizeof *abase); kbase = xmalloc(nout * sizeof *kbase);
        for (int i = 0; i < cm; i++) for (int j = 0; j < pp; j++) {
            abase[(size_t)i * (size_t)pp + (size_t)j] = (size_t)i * (size_t)ck;
            kbase[(size_t)i * (size_t)pp + (size_t)j] = (size_t)j;
        }
    } else {                              /* plain (m x k) @ ct (k x p) */
        pm = p->ndim == 2 ? p->shape[0] : 1; pk = p->shape[p->ndim - 1];
        ck = c->shape[0]; cp = c->ndim == 2 ? c->shape[1] : 1;
        if (ck != pk) return shape_error(I, "@", p->shape, p->ndim, c->shape, c->ndim);
        no = 0;
        if (p->ndim == 2) so[no++] = pm;
        if (c->ndim == 2) so[no++] = cp;
        nout = (size_t)pm * (size_t)cp; len = (size_t)ck; astride = (size_t)cp; kstride = 1;
        abase = xmalloc(nout * sizeof *abase); kbase = xmalloc(nout * sizeof *kbase);
        for (int i = 0; i < pm; i++) for (int j = 0; j < cp; j++) {
            abase[(size_t)i * (size_t)cp + (size_t)j] = (size_t)j;
            kbase[(size_t)i * (size_t)cp + (size_t)j] = (size_t)i * (size_t)pk;
        }
    }
    PaiOpts o = opts_of(I, c->s);
    PaiVec *r = NULL;
    int st = pai_vec_dot(&r, &c->s->pub, c->v, abase, astride, p->x, kbase, kstride, len, nout,
                         c->s->frac_exp, &o);
    free(abase); free(kbase);
    if (st) return pai_fail(I, "@", st, c->s);
    return ct_new(((HeCt *)c)->scheme, r, no, so, owner);
}

static Value ct_plain(Interp *I, int op, Value cv, Value pv, bool ct_left)
{
    HeCt *c = ct_of(cv);
    int owner = cv.owner ? cv.owner : pv.owner;
    const char *opn = ast_op_name(op);
    if (op >= OP_EQ && op <= OP_GE)
        return err_raise(I, "ciphertexts cannot be compared with '%s': their plaintexts are hidden", opn);
    if (op == OP_POW || op == OP_MOD || (op == OP_DIV && !ct_left))
        return err_raise(I, "'%s' is not possible on a ciphertext under Paillier (only +, -, * by a plain "
                         "value, / by a plain value, and @ with a plain matrix)", opn);
    Plain p;
    if (!plain_of(I, pv, &p, opn)) return VERR;
    Value res = VERR;
    if (op == OP_MATMUL) {
        if (c->v->slots) { res = pai_fail(I, "@", PAI_EPACKED, c->s); goto out; }
        res = ct_matmul(I, c, &p, ct_left, owner);
        goto out;
    }
    if (op == OP_DIV) {
        for (size_t i = 0; i < p.n; i++) {
            if (p.x[i] == 0) { res = err_raise(I, "division by zero"); goto out; }
            p.x[i] = 1.0 / p.x[i];
        }
        op = OP_MUL;
    }
    int so[TN_MAXDIM], no;
    size_t *ia, *ib, n;
    if (!bcast(c->shape, c->ndim, p.shape, p.ndim, so, &no, &ia, &ib, &n)) {
        res = ct_left ? shape_error(I, opn, c->shape, c->ndim, p.shape, p.ndim)
                      : shape_error(I, opn, p.shape, p.ndim, c->shape, c->ndim);
        goto out;
    }
    PaiOpts o = opts_of(I, c->s);
    PaiVec *r = NULL;
    int st;
    if (op == OP_MUL) {
        st = pai_vec_mul_plain(&r, &c->s->pub, c->v, ia, p.x, ib, n, c->s->frac_exp, &o);
    } else if (op == OP_ADD || (op == OP_SUB && ct_left)) {
        if (op == OP_SUB) for (size_t i = 0; i < p.n; i++) p.x[i] = -p.x[i];
        st = pai_vec_add_plain(&r, &c->s->pub, c->v, ia, p.x, ib, n, 1, c->s->frac_exp, &o);
    } else {                                /* plain - ct */
        st = pai_vec_add_plain(&r, &c->s->pub, c->v, ia, p.x, ib, n, -1, c->s->frac_exp, &o);
    }
    free(ia); free(ib);
    res = st ? pai_fail(I, opn, st, c->s) : ct_new(c->scheme, r, no, so, owner);
out:
    free(p.x);
    return res;
}

static Value ct_binop(Interp *I, int op, Value a, Value b)
{
    bool ca = ct_of(a) != NULL, cb = ct_of(b) != NULL;
    if (ca && cb) return ct_ct(I, op, a, b);
    if (ca) return ct_plain(I, op, a, b, true);
    return ct_plain(I, op, b, a, false);
}

static Value ct_unop(Interp *I, int op, Value a)
{
    HeCt *c = ct_of(a);
    if (op == OP_POS) return val_retain(a);
    if (op != OP_NEG) return err_raise(I, "unsupported operand type for unary '%s': ciphertext", ast_op_name(op));
    PaiOpts o = opts_of(I, c->s);
    PaiVec *r = NULL;
    int st = pai_vec_neg(&r, &c->s->pub, c->v, &o);
    if (st) return pai_fail(I, "-", st, c->s);
    return ct_new(c->scheme, r, c->ndim, c->shape, a.owner);
}

/* --- paillier(), encrypt, decrypt ------------------------------------------------------- */

/* Reads keyholder = party or [parties] into a mask. */
static bool holders_arg(Interp *I, Args *a, Value *v, uint64_t *mask)
{
    *mask = 0;
    if (v->tag == V_PARTY) {
        if (v->as.i <= 0 || v->as.i >= 64) { err_raise(I, "%s: keyholder must be a declared party", a->fname); return false; }
        *mask = (uint64_t)1 << v->as.i;
        return true;
    }
    if (v->tag == V_LIST) {
        ObjList *l = AS_LIST(*v);
        for (size_t i = 0; i < l->n; i++) {
            if (l->v[i].tag != V_PARTY || l->v[i].as.i <= 0 || l->v[i].as.i >= 64) {
                lib_badkw(I, a, "keyholder", "party or list of parties");
                return false;
            }
            *mask |= (uint64_t)1 << l->v[i].as.i;
        }
        if (*mask) return true;
    }
    lib_badkw(I, a, "keyholder", "party or list of parties");
    return false;
}

static bool options(Interp *I, Args *a, HeScheme *s)
{
    long prec = -4 * PAI_DEFAULT_EXP, headroom = 10, threads = 2;
    double range = 0x1p20;
    if (!lib_kwint(I, a, "precision", &prec) || !lib_kwnum(I, a, "range", &range) ||
        !lib_kwint(I, a, "headroom", &headroom) || !lib_kwint(I, a, "threads", &threads))
        return false;
    if (prec < 0 || prec > 256 || prec % 4) {
        err_raise(I, "%s: precision must be a multiple of 4 between 0 and 256 (fractional bits; "
                  "python-paillier's base is 16)", a->fname);
        return false;
    }
    if (!(range > 0) || !isfinite(range)) { err_raise(I, "%s: range must be a positive number", a->fname); return false; }
    if (headroom < 0 || headroom > 30) { err_raise(I, "%s: headroom must be between 0 and 30 bits", a->fname); return false; }
    if (threads < 1 || threads > 16) { err_raise(I, "%s: threads must be between 1 and 16", a->fname); return false; }
    s->frac_exp = -(int)(prec / 4);
    s->range = range;
    s->headroom = (unsigned)headroom;
    s->threads = (int)threads;
    return true;
}

static HeScheme *scheme_alloc(void)
{
    HeScheme *s = xcalloc(1, sizeof *s);
    pai_pub_init(&s->pub);
    pai_priv_init(&s->priv);
    return s;
}

static Value b_paillier(Interp *I, Args *a)
{
    static const char *const kws[] = { "bits", "keyholder", "precision", "range", "headroom", "threads", NULL };
    long bits = 2048;
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, kws) || !lib_kwint(I, a, "bits", &bits)) return VERR;
    Value *kh = lib_kw(a, "keyholder");
    if (!kh) return err_raise(I, "paillier needs a keyholder: paillier(bits = 2048, keyholder = party)");
    uint64_t mask;
    if (!holders_arg(I, a, kh, &mask)) return VERR;
    if (bits < 256 || bits > 8192 || bits % 2)
        return err_raise(I, "paillier: bits must be an even number between 256 and 8192 (2048 or more "
                         "for real use)");
    HeScheme *s = scheme_alloc();
    if (!options(I, a, s)) { scheme_free(s); return VERR; }
    if (bits < 2048)
        fprintf(stderr, "warning: a %ld-bit Paillier key is insecure (classroom size); use bits = 2048 "
                "or more for real data\n", bits);
    int st = pai_keygen(&s->pub, &s->priv, (unsigned)bits, &I->rng);
    if (st) { scheme_free(s); return pai_fail(I, "paillier", st, NULL); }
    s->has_priv = 1;
    s->keyholders = mask;
    keyring_add(s);
    return val_user(&lib_he_scheme_class, s);
}

Value lib_he_encrypt(Interp *I, const char *who, Value x, Value scheme, int at, bool packed)
{
    HeScheme *s = scheme_of(scheme);
    if (!s) return err_raise(I, "%s: paillier scheme expected, got %s", who, val_type_name(scheme));
    Plain p;
    if (!plain_of(I, x, &p, who)) return VERR;
    PaiOpts o = opts_of(I, s);
    bool holder = s->has_priv && at > 0 && at < 64 && (s->keyholders >> at & 1);
    if (p.n >= 8) {                        /* bulk work: build the fixed-base tables once */
        if (holder) pai_priv_precompute(&s->priv, &s->pub);
        else pai_pub_precompute(&s->pub);
    }
    PaiVec *v = NULL;
    int st = packed
        ? pai_vec_encrypt_packed(&v, &s->pub, holder ? &s->priv : NULL, p.x, p.n, s->frac_exp, s->range,
                                 s->headroom, &I->rng, &o)
        : pai_vec_encrypt(&v, &s->pub, holder ? &s->priv : NULL, NULL, p.x, p.n, s->frac_exp, s->range,
                          &I->rng, &o);
    Value r = st ? pai_fail(I, who, st, s) : ct_new(scheme, v, p.ndim, p.shape, at);
    free(p.x);
    return r;
}

static Value b_encrypt(Interp *I, Args *a)
{
    static const char *const kws[] = { "packed", NULL };
    bool packed = false;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, kws) || !lib_kwbool(I, a, "packed", &packed)) return VERR;
    if (!scheme_of(a->v[1])) return lib_bad(I, a, 1, "paillier scheme");
    if (ct_of(a->v[0])) return err_raise(I, "encrypt: the value is already a ciphertext");
    int at = a->v[0].owner ? a->v[0].owner : a->at;
    return lib_he_encrypt(I, "encrypt", a->v[0], a->v[1], at, packed);
}

static Value not_keyholder(Interp *I, const char *who, const HeScheme *s, int at)
{
    Sb b; sb_init(&b);
    holders_names(I, s->keyholders, &b, " or ");
    Value r;
    if (!s->has_priv)
        r = err_raise(I, "%s: this scheme holds only the public key; nobody here can decrypt", who);
    else if (at == 0)
        r = err_raise(I, "%s: only the keyholder %s can decrypt; run it there: on %s { ... }", who, b.s,
                      ev_party_name(I, __builtin_ctzll(s->keyholders)));
    else
        r = err_raise(I, "%s: %s cannot decrypt; only the keyholder %s holds the private key", who,
                      ev_party_name(I, at), b.s);
    sb_free(&b);
    return r;
}

static Value to_value(const double *x, int ndim, const int *shape, size_t n, int owner)
{
    if (ndim == 0) { Value v = VNUM(x[0]); v.owner = (uint16_t)owner; return v; }
    Tn *t = tn_new(ndim, shape);
    for (size_t i = 0; i < n && i < t->size; i++) t->data[i] = (float)x[i];
    Value v = val_tensor(t);
    v.owner = (uint16_t)owner;
    return v;
}

Value lib_he_decrypt(Interp *I, const char *who, Value cv, int at)
{
    HeCt *c = ct_of(cv);
    if (!c) return err_raise(I, "%s: ciphertext expected, got %s", who, val_type_name(cv));
    HeScheme *s = c->s;
    if (!s->has_priv || at <= 0 || at >= 64 || !(s->keyholders >> at & 1)) return not_keyholder(I, who, s, at);
    double *out = xmalloc(c->v->count * sizeof *out);
    PaiOpts o = opts_of(I, s);
    int st = pai_vec_decrypt(out, &s->pub, &s->priv, c->v, &o);
    Value r = st ? pai_fail(I, who, st, s) : to_value(out, c->ndim, c->shape, c->v->count, at);
    free(out);
    return r;
}

static Value b_decrypt(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    if (!ct_of(a->v[0])) return lib_bad(I, a, 0, "ciphertext");
    return lib_he_decrypt(I, "decrypt", a->v[0], a->at);
}

/* --- sums, sends ------------------------------------------------------------------------ */

static Value b_he_sum(Interp *I, Args *a)
{
    static const char *const kws[] = { "axis", NULL };
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws)) return VERR;
    HeCt *c = ct_of(a->v[0]);
    if (!c) return lib_bad(I, a, 0, "ciphertext");
    Value *ax = lib_kw(a, "axis");
    PaiOpts o = opts_of(I, c->s);
    PaiVec *r = NULL;
    int st, no = 0, so[TN_MAXDIM];
    if (!ax || ax->tag == V_NONE) {
        size_t b0 = 0;
        st = pai_vec_sum(&r, &c->s->pub, c->v, &b0, 1, c->v->n, 1, &o);
    } else {
        if (ax->tag != V_NUM || ax->as.n != floor(ax->as.n) || fabs(ax->as.n) > TN_MAXDIM)
            return lib_badkw(I, a, "axis", "integer");
        int axis = (int)ax->as.n;
        if (axis < 0) axis += c->ndim;
        if (axis < 0 || axis >= c->ndim) return err_raise(I, "he_sum: axis %g out of range for %d dimensions",
                                                         ax->as.n, c->ndim);
        size_t outer = 1, inner = 1, len = (size_t)c->shape[axis];
        for (int d = 0; d < axis; d++) outer *= (size_t)c->shape[d];
        for (int d = axis + 1; d < c->ndim; d++) inner *= (size_t)c->shape[d];
        for (int d = 0; d < c->ndim; d++) if (d != axis) so[no++] = c->shape[d];
        size_t nout = outer * inner;
        size_t *base = xmalloc(nout * sizeof *base);
        for (size_t i = 0; i < outer; i++)
            for (size_t j = 0; j < inner; j++) base[i * inner + j] = i * len * inner + j;
        st = pai_vec_sum(&r, &c->s->pub, c->v, base, inner, len, nout, &o);
        free(base);
    }
    if (st) return pai_fail(I, "he_sum", st, c->s);
    return ct_new(c->scheme, r, no, so, a->v[0].owner);
}

static Value b_he_transpose(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    HeCt *c = ct_of(a->v[0]);
    if (!c) return lib_bad(I, a, 0, "ciphertext");
    if (c->ndim > 2) return err_raise(I, "he_transpose: 0-, 1- or 2-D ciphertexts only");
    if (c->v->slots) return pai_fail(I, "he_transpose", PAI_EPACKED, c->s);
    int m = c->ndim == 2 ? c->shape[0] : 1, n = c->ndim == 2 ? c->shape[1] : (int)c->v->n;
    size_t *idx = xmalloc(c->v->n * sizeof *idx);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) idx[(size_t)j * (size_t)m + (size_t)i] = (size_t)i * (size_t)n + (size_t)j;
    PaiVec *r = NULL;
    int st = pai_vec_gather(&r, c->v, idx, c->v->n);
    free(idx);
    if (st) return pai_fail(I, "he_transpose", st, c->s);
    int so[2] = { n, m };
    return c->ndim == 2 ? ct_new(c->scheme, r, 2, so, a->v[0].owner)
                        : ct_new(c->scheme, r, c->ndim, c->shape, a->v[0].owner);
}

int lib_he_shape(Value cv, int *shape)
{
    HeCt *c = ct_of(cv);
    if (!c) return -1;
    for (int i = 0; i < c->ndim; i++) shape[i] = c->shape[i];
    return c->ndim;
}

/* he_send and send of a ciphertext: through the message layer (stdlib/lib_wire.c), which
** re-randomises it on the way (ct_encode) and records the frame's real size. */
Value lib_he_send(Interp *I, Value cv, int to)
{
    int from = cv.owner ? cv.owner : I->cur_party;
    return lib_wire_send(I, cv, from, to, true);
}

static Value b_he_send(Interp *I, Args *a)
{
    static const char *const kws[] = { "to", NULL };
    int to = 0;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws) || !lib_kwparty(I, a, "to", &to)) return VERR;
    if (!ct_of(a->v[0])) return lib_bad(I, a, 0, "ciphertext");
    if (!to) return err_raise(I, "he_send needs a receiver: he_send(c, to = party)");
    if (a->at && a->v[0].owner && a->v[0].owner != a->at)
        return err_raise(I, "%s cannot send a ciphertext that lives at %s", ev_party_name(I, a->at),
                         ev_party_name(I, a->v[0].owner));
    return lib_he_send(I, a->v[0], to);
}

static Value b_he_refresh(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    HeCt *c = ct_of(a->v[0]);
    if (!c) return lib_bad(I, a, 0, "ciphertext");
    PaiVec *v = pai_vec_copy(c->v);
    PaiOpts o = opts_of(I, c->s);
    int st = pai_vec_rerandomize(v, &c->s->pub, NULL, &I->rng, &o);
    if (st) { pai_vec_free(v); return pai_fail(I, "he_refresh", st, c->s); }
    return ct_new(c->scheme, v, c->ndim, c->shape, a->v[0].owner);
}

/* --- blinded round trips ------------------------------------------------------------- */
/* The party holding ciphertexts (T) and the keyholder (K) run runtime/pai_blind.c's
** protocol: masks sized from the tracked bound plus 40 bits, re-randomised before they
** leave T, fresh encryptions back.  This file picks the parties, records what crosses in
** the transcript, and words the refusals.  When T is itself a keyholder it computes
** directly and nothing is sent. */

/* The keyholder that helps (the lowest id). */
/* The keyholder's own scheme, with its private key, as the keyholder holds it (its store,
** the key ring): the copy a trainer received carries only the public key.  NULL when no
** keyholder holds this key. */
static const HeScheme *keyholder_scheme(const HeScheme *s)
{
    if (s->has_priv) return s;
    for (size_t i = 0; i < nkeyring; i++)
        if (keyring[i]->has_priv && pai_pub_equal(&keyring[i]->pub, &s->pub)) return keyring[i];
    return NULL;
}

/* The keyholder that helps (the lowest id), 0 if none holds the key. */
static int helper_of(const HeScheme *s)
{
    return keyholder_scheme(s) && s->keyholders ? __builtin_ctzll(s->keyholders) : 0;
}

/* Where a round trip runs: the interpreter's message layer, T and K with their own
** generators; transcript lines start with the builtin's name. */
static PaiLink link_of(Interp *I, int T, int K, const char *fname)
{
    return (PaiLink){ .msg = &I->msg, .T = T, .K = K, .rng_t = party_rng(I, T),
                      .rng_k = party_rng(I, K), .label = fname };
}

/* Raises the message for a failed round trip (claim: the stated bound, or NAN). */
static Value blind_fail(Interp *I, const char *what, int st, const HeScheme *s, double claim)
{
    Sb b; sb_init(&b);
    if (!isnan(claim)) sb_num(&b, claim);
    Value r;
    switch (st) {
    case PAI_EBOUND:
        r = err_raise(I, "%s: nothing bounds this ciphertext's values (it was read from a file), so no "
                      "mask can be sized for it; state a bound the keyholder will check: "
                      "%s(..., bound = B) with every |value| <= B", what, what);
        break;
    case PAI_EMASK:
        r = err_raise(I, "%s: the values' public bound plus a 40-bit mask does not fit in the %u-bit key, "
                      "so they cannot be hidden from the keyholder; he_rescale first, use smaller "
                      "values or a larger key%s", what, s->pub.bits,
                      isnan(claim) ? ", or state a smaller bound (bound = B, checked by the keyholder)" : "");
        break;
    case PAI_ECLAIM:
        r = err_raise(I, "%s: the keyholder saw a masked value outside the stated bound = %s: the values "
                      "are larger than stated (nothing was returned)", what, b.s);
        break;
    case PAI_EOVERFLOW:
        r = err_raise(I, "%s: ciphertext overflow: the product's public bound exceeds the safe range of the "
                      "%u-bit key (|plaintext| < n/3), so it could decrypt to garbage; he_rescale the "
                      "operands, use fewer multiplications, a larger key%s", what, s->pub.bits,
                      isnan(claim) ? ", or state a smaller bound (bound = B, checked by the keyholder)" : "");
        break;
    case PAI_EIO:
        r = err_raise(I, "%s: the %s transport lost a message of the round trip with the keyholder",
                      what, I->msg.tp->name);
        break;
    case PAI_EFORMAT:
        r = err_raise(I, "%s: a message of the round trip with the keyholder was malformed", what);
        break;
    default:
        r = pai_fail(I, what, st, s);
    }
    sb_free(&b);
    return r;
}

const PaiPriv *lib_he_priv(Value scheme, int party)
{
    HeScheme *s = scheme_of(scheme);
    if (!s || party <= 0 || party >= 64 || !(s->keyholders >> party & 1)) return NULL;
    const HeScheme *k = keyholder_scheme(s);
    return k ? &k->priv : NULL;
}

void lib_he_precompute(Value scheme)
{
    HeScheme *s = scheme_of(scheme);
    if (s) pai_pub_precompute(&s->pub);
}

/* Checks a ct argument, the party running the protocol and the helper. */
static HeCt *rt_arg(Interp *I, Args *a, int i, int *T, int *K)
{
    HeCt *c = ct_of(i < a->n ? a->v[i] : VNONE);
    if (!c) { lib_bad(I, a, i, "ciphertext"); return NULL; }
    *T = val_owner(a->v[i]) ? val_owner(a->v[i]) : a->at;
    *K = helper_of(c->s);
    if (!*K) { not_keyholder(I, a->fname, c->s, 0); return NULL; }
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
    static const char *const kws[] = { "bound", NULL };
    int T, K;
    double claim;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws) || !claim_arg(I, a, &claim)) return VERR;
    HeCt *c = rt_arg(I, a, 0, &T, &K);
    if (!c) return VERR;
    if (c->v->slots) return pai_fail(I, "he_rescale", PAI_EPACKED, c->s);
    HeScheme *s = c->s;
    PaiOpts o = opts_of(I, s);
    PaiLink link = link_of(I, T, K, a->fname);
    PaiVec *v = NULL;
    int st = pai_blind_rescale(&v, &s->pub, &keyholder_scheme(s)->priv, c->v, s->frac_exp, claim, is_direct(s, T),
                               &o, &link);
    if (st) return blind_fail(I, a->fname, st, s, claim);
    return ct_new(c->scheme, v, c->ndim, c->shape, a->v[0].owner);
}

/* Elementwise (matmul = false, with broadcasting) or matrix product of two ciphertexts. */
static Value blinded_product(Interp *I, Args *a, bool matmul)
{
    static const char *const kws[] = { "bound", NULL };
    int T, K, T2, K2;
    double claim;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, kws) || !claim_arg(I, a, &claim)) return VERR;
    HeCt *x = rt_arg(I, a, 0, &T, &K), *y = x ? rt_arg(I, a, 1, &T2, &K2) : NULL;
    if (!x || !y) return VERR;
    if (!same_key(I, x, y)) return VERR;
    if (x->v->slots || y->v->slots) return pai_fail(I, a->fname, PAI_EPACKED, x->s);
    HeScheme *s = x->s;
    /* output layout: for each output o, terms (ia, ib) pairs */
    size_t nout, len;
    size_t *ia = NULL, *ib = NULL;
    int so[TN_MAXDIM], no;
    if (!matmul) {
        if (!bcast(x->shape, x->ndim, y->shape, y->ndim, so, &no, &ia, &ib, &nout))
            return shape_error(I, "he_mul", x->shape, x->ndim, y->shape, y->ndim);
        len = 1;
    } else {
        if (x->ndim < 1 || x->ndim > 2 || y->ndim < 1 || y->ndim > 2)
            return err_raise(I, "he_matmul needs 1-D or 2-D ciphertexts");
        int m = x->ndim == 2 ? x->shape[0] : 1, k = x->shape[x->ndim - 1];
        int k2 = y->shape[0], p = y->ndim == 2 ? y->shape[1] : 1;
        if (k != k2) return shape_error(I, "he_matmul", x->shape, x->ndim, y->shape, y->ndim);
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
    PaiOpts o = opts_of(I, s);
    PaiLink link = link_of(I, T, K, a->fname);
    bool direct = is_direct(s, T);
    PaiVec *p = NULL, *r = NULL;
    int st = pai_blind_product(&p, &s->pub, &keyholder_scheme(s)->priv, x->v, ia, y->v, ib, len, nout, claim, direct,
                               &o, &link);
    free(ia); free(ib);
    if (st) return blind_fail(I, a->fname, st, s, claim);
    /* back to the scheme's precision: a second round trip, from the product's tracked bound */
    st = pai_blind_rescale(&r, &s->pub, &keyholder_scheme(s)->priv, p, s->frac_exp, NAN, direct, &o, &link);
    pai_vec_free(p);
    if (st) return blind_fail(I, a->fname, st, s, NAN);
    return ct_new(x->scheme, r, no, so, a->v[0].owner ? a->v[0].owner : a->v[1].owner);
}

static Value b_he_mul(Interp *I, Args *a) { return blinded_product(I, a, false); }
static Value b_he_matmul(Interp *I, Args *a) { return blinded_product(I, a, true); }

/* --- files: python-paillier's formats -------------------------------------------------- */

static char *read_file(Interp *I, const char *who, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { err_raise(I, "%s: cannot open '%s': %s", who, path, strerror(errno)); return NULL; }
    Sb b; sb_init(&b);
    char buf[8192];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sb_put(&b, buf, k);
    fclose(f);
    if (!b.s) sb_puts(&b, "");
    return sb_take(&b);
}

static bool write_file(Interp *I, const char *who, const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) { err_raise(I, "%s: cannot write '%s': %s", who, path, strerror(errno)); return false; }
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok) err_raise(I, "%s: writing '%s' failed", who, path);
    return ok;
}

static Value b_save_key(Interp *I, Args *a)
{
    static const char *const kws[] = { "private", NULL };
    const char *path;
    bool priv = false;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, kws) || !lib_path(I, a, 1, LIB_WRITE, &path) ||
        !lib_kwbool(I, a, "private", &priv)) return VERR;
    HeScheme *s = scheme_of(a->v[0]);
    if (!s) return lib_bad(I, a, 0, "paillier scheme");
    char *js;
    if (priv) {
        if (!s->has_priv) return err_raise(I, "save_key: this scheme holds only the public key");
        if (a->at && !(a->at < 64 && (s->keyholders >> a->at & 1))) {
            Sb b; sb_init(&b);
            holders_names(I, s->keyholders, &b, " or ");
            Value r = err_raise(I, "save_key: only the keyholder %s may save the private key (%s asked)",
                                b.s, ev_party_name(I, a->at));
            sb_free(&b);
            return r;
        }
        char kid[96];
        snprintf(kid, sizeof kid, "Paillier private key (%u bits) saved by ppdl", s->pub.bits);
        js = pai_jwk_private(&s->pub, &s->priv, kid);
    } else {
        char kid[96];
        snprintf(kid, sizeof kid, "Paillier public key (%u bits) saved by ppdl", s->pub.bits);
        js = pai_jwk_public(&s->pub, kid);
    }
    Sb b; sb_init(&b); sb_puts(&b, js); sb_putc(&b, '\n');
    memset(js, 0, strlen(js)); free(js);
    bool ok = write_file(I, "save_key", path, b.s);
    memset(b.s, 0, b.n);
    sb_free(&b);
    return ok ? VNONE : VERR;
}

static Value b_load_key(Interp *I, Args *a)
{
    static const char *const kws[] = { "keyholder", "precision", "range", "headroom", "threads", NULL };
    const char *path;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws) || !lib_path(I, a, 0, LIB_READ, &path)) return VERR;
    HeScheme *s = scheme_alloc();
    if (!options(I, a, s)) { scheme_free(s); return VERR; }
    char *text = read_file(I, "load_key", path);
    if (!text) { scheme_free(s); return VERR; }
    char err[200] = "";
    int has = 0;
    int st = pai_jwk_read(text, &s->pub, &s->priv, &has, &I->rng, err, sizeof err);
    memset(text, 0, strlen(text)); free(text);
    if (st) { scheme_free(s); return err_raise(I, "load_key: '%s': %s", path, err); }
    s->has_priv = has;
    if (has) keyring_add(s);
    Value *kh = lib_kw(a, "keyholder");
    if (kh) {
        if (!holders_arg(I, a, kh, &s->keyholders)) { scheme_free(s); return VERR; }
    } else if (has) {
        if (!a->at) {
            scheme_free(s);
            return err_raise(I, "load_key: '%s' holds a private key; say who holds it: "
                             "load_key(path, keyholder = party)", path);
        }
        s->keyholders = (uint64_t)1 << a->at;
    }
    if (s->pub.bits < 2048)
        fprintf(stderr, "warning: a %u-bit Paillier key is insecure (classroom size)\n", s->pub.bits);
    return val_user(&lib_he_scheme_class, s);
}

static Value b_save_ciphertext(Interp *I, Args *a)
{
    const char *path;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL) || !lib_path(I, a, 1, LIB_WRITE, &path)) return VERR;
    HeCt *c = ct_of(a->v[0]);
    if (!c) return lib_bad(I, a, 0, "ciphertext");
    if (c->v->slots) return pai_fail(I, "save_ciphertext", PAI_EPACKED, c->s);
    char *js = pai_vec_json(c->v, c->ndim, c->shape);
    bool ok = write_file(I, "save_ciphertext", path, js);
    free(js);
    return ok ? VNONE : VERR;
}

static Value b_load_ciphertext(Interp *I, Args *a)
{
    const char *path;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL) || !lib_path(I, a, 0, LIB_READ, &path)) return VERR;
    HeScheme *s = scheme_of(a->v[1]);
    if (!s) return lib_bad(I, a, 1, "paillier scheme");
    char *text = read_file(I, "load_ciphertext", path);
    if (!text) return VERR;
    char err[200] = "";
    PaiVec *v = NULL;
    int nd, shape[4];
    int st = pai_vec_read(text, &s->pub, &v, &nd, shape, err, sizeof err);
    free(text);
    if (st) return err_raise(I, "load_ciphertext: '%s': %s", path, err);
    return ct_new(a->v[1], v, nd, shape, a->at);
}

static const LibReg fns[] = {
    {"paillier", b_paillier,
     "paillier(bits = 2048, keyholder = party, precision = 32, range = 2^20, headroom = 10, threads = 2)",
     "A Paillier scheme: a fresh key pair from operating-system randomness (g = n + 1), whose private key\n"
     "only `keyholder` (a party, or a list of parties sharing the key) may use.  Keys below 2048 bits are\n"
     "insecure and print a warning.  Reals are encoded in fixed point with `precision` fractional bits\n"
     "(a multiple of 4: python-paillier's base 16); |x| <= range for everything encrypted, which makes\n"
     "overflow detectable.  Packed encryption leaves room for 2^headroom additions.",
     "party server; scheme he = paillier(bits = 512, keyholder = server); print(he.bits)", LIB_ANYOWNER},
    {"encrypt", b_encrypt, "encrypt(x, he, packed = false)",
     "Encrypts a number or tensor under the scheme's public key: a ciphertext of the same shape, living\n"
     "where x lives.  Anyone may compute on it: + and - with ciphertexts or plain values, * and / by plain\n"
     "values, @ with plain matrices, he_sum.  packed = true puts many values in one ciphertext\n"
     "(BatchCrypt-style): much faster to encrypt, send and add, but only + is defined on it.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = encrypt(tensor([1.5, -2]), he); show(c)",
     LIB_ANYOWNER},
    {"decrypt", b_decrypt, "decrypt(c)",
     "Decrypts a ciphertext: only inside `on keyholder { }`; anywhere else it is an error that names the\n"
     "keyholder.  A result that overflowed is an error, never a wrong number.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = encrypt(2, he) * 3; on s { print(decrypt(c)) }",
     LIB_ANYOWNER},
    {"he_sum", b_he_sum, "he_sum(c, axis = none)",
     "Sum of a ciphertext's elements (a 0-d ciphertext), or along one axis.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = he_sum(encrypt(tensor([1, 2, 3]), he)); on s { print(decrypt(c)) }",
     0},
    {"he_transpose", b_he_transpose, "he_transpose(c)",
     "The transpose of a 2-D ciphertext (no cryptography: the ciphertexts are reordered).",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = he_transpose(encrypt(tensor([[1, 2, 3]]), he)); print(c.shape)",
     0},
    {"sum", b_he_sum, "sum(c, axis = none)",
     "On a ciphertext: the same as he_sum — additions of ciphertexts, no decryption.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = sum(encrypt(tensor([1, 2, 3]), he)); on s { print(decrypt(c)) }",
     0},
    {"transpose", b_he_transpose, "transpose(c)",
     "On a 2-D ciphertext: the same as he_transpose (c.T works too).",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = transpose(encrypt(tensor([[1, 2, 3]]), he)); print(c.shape)",
     0},
    {"he_send", b_he_send, "he_send(c, to = party)",
     "Sends a ciphertext to another party, re-randomised first (so it cannot be linked to ciphertexts the\n"
     "receiver saw before); the transcript records one 'ciphertext' message with its digests.",
     "party a, b; scheme he = paillier(bits = 512, keyholder = b); c = encrypt(1 at a, he); d = he_send(c, to = b); view(b)",
     LIB_ANYOWNER},
    {"he_refresh", b_he_refresh, "he_refresh(c)",
     "The same plaintexts under fresh randomness (a re-randomised ciphertext).",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = he_refresh(encrypt(1, he)); show(c)", 0},
    {"he_mul", b_he_mul, "he_mul(a, b, bound = none)",
     "Elementwise product of two ciphertexts by a blinded round trip: the holder masks both with random\n"
     "values 40 bits wider than their public bound and re-randomises them, the keyholder decrypts only\n"
     "the masked values, multiplies and re-encrypts, and the holder removes the masks homomorphically.\n"
     "The result is rescaled to the scheme's precision (a second round trip).  A product whose bound\n"
     "cannot fit in the key is refused.  bound = B states |values| <= B: masks are sized from it and\n"
     "the keyholder checks it (for long computations, and ciphertexts read from files).",
     "party t, k; scheme he = paillier(bits = 512, keyholder = k); on t { c = encrypt(3, he); d = send(he_mul(c, c), to = k) }; on k { print(decrypt(d)) }",
     0},
    {"he_matmul", b_he_matmul, "he_matmul(a, b, bound = none)",
     "Matrix product of two ciphertexts (1-D or 2-D) by the same blinded round trip as he_mul.",
     "party t, k; scheme he = paillier(bits = 512, keyholder = k); on t { a = encrypt(tensor([[1, 2]]), he); b = send(he_matmul(a, encrypt(tensor([[3], [4]]), he)), to = k) }; on k { print(decrypt(b)) }",
     0},
    {"he_rescale", b_he_rescale, "he_rescale(c, bound = none)",
     "Brings a ciphertext whose scale grew (after multiplications by fractional plain values) back to the\n"
     "scheme's precision, by a blinded round trip with the keyholder (who sees only masked values;\n"
     "bound = B as for he_mul).",
     "party t, k; scheme he = paillier(bits = 512, keyholder = k); on t { c = send(he_rescale(encrypt(1.5, he) * 0.5), to = k) }; on k { print(decrypt(c)) }",
     0},
    {"save_key", b_save_key, "save_key(he, path, private = false)",
     "Writes the scheme's public key (or, at a keyholder, its private key) as a JWK file in\n"
     "python-paillier's format: {\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"n\": ...}, or {\"p\", \"q\", \"lambda\", \"mu\",\n"
     "\"pub\"} (pheutil decrypt reads p and q; older readers lambda and mu).",
     "party s; scheme he = paillier(bits = 512, keyholder = s); save_key(he, \"/tmp/ppdl_pub.jwk\")", LIB_ANYOWNER},
    {"load_key", b_load_key, "load_key(path, keyholder = party, precision = 32, range = 2^20)",
     "Reads a python-paillier JWK key file into a scheme: private keys with \"p\" and \"q\" (pheutil) or\n"
     "\"lambda\" and \"mu\".  A modulus that is even, small, prime or has a small factor is refused.  A private\n"
     "key needs its keyholder (by default the party running the call); a public key alone can encrypt but\n"
     "nobody can decrypt.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); save_key(he, \"/tmp/ppdl_pub.jwk\"); pk = load_key(\"/tmp/ppdl_pub.jwk\"); print(pk.bits)",
     LIB_ANYOWNER},
    {"save_ciphertext", b_save_ciphertext, "save_ciphertext(c, path)",
     "Writes a ciphertext as python-paillier does: {\"v\": \"<decimal>\", \"e\": <exponent>} for each value\n"
     "(nested lists following the shape); the value is the plaintext integer times 16^e.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); save_ciphertext(encrypt(1.5, he), \"/tmp/ppdl_ct.json\")", 0},
    {"load_ciphertext", b_load_ciphertext, "load_ciphertext(path, he)",
     "Reads a ciphertext file in python-paillier's {\"v\", \"e\"} format under the scheme's key.  Values with\n"
     "different exponents (phe gives each float its own) are aligned exactly to the smallest.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); save_ciphertext(encrypt(1.5, he), \"/tmp/ppdl_ct.json\"); c = load_ciphertext(\"/tmp/ppdl_ct.json\", he); on s { print(decrypt(c)) }",
     LIB_ANYOWNER},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_he = { "he", fns, NULL };

/* --- the wire (docs/parties.md, "Wire format") ------------------------------------------ */

/* The keyholders' private keys, as their parties hold them (a simulator's key ring): a
** scheme arriving at a keyholder gets its key from here, so private keys never travel. */
static void keyring_add(HeScheme *s)
{
    HeScheme **k = xrealloc(keyring, (nkeyring + 1) * sizeof *k);
    keyring = k;
    keyring[nkeyring++] = s;
}

static void keyring_drop(const HeScheme *s)
{
    for (size_t i = 0; i < nkeyring; i++)
        if (keyring[i] == s) { keyring[i] = keyring[--nkeyring]; break; }
    if (!nkeyring) { free(keyring); keyring = NULL; }
}

/* [n, hs, keyholders, frac_exp, range, headroom, threads]: the public key and the
** options.  The private key is never written. */
static bool scheme_encode(Interp *I, Value self, struct WireW *w, int to)
{
    (void)I; (void)to;
    const HeScheme *s = AS_USER(self)->p;
    wire_put_array(w, 7);
    wire_put_mpz(w, s->pub.n);
    wire_put_mpz(w, s->pub.hs);
    wire_put_uint(w, s->keyholders);
    wire_put_int(w, s->frac_exp);
    wire_put_double(w, s->range);
    wire_put_uint(w, s->headroom);
    wire_put_int(w, s->threads);
    return true;
}

static Value scheme_decode(Interp *I, struct WireR *r, const struct msgpack_object *o)
{
    const msgpack_object_array *a;
    int64_t frac, headroom, threads, holders;
    double range;
    (void)I;
    if (!wire_get_array(r, o, 7, 7, &a)) return VERR;
    HeScheme *s = scheme_alloc();
    mpz_t n, hs;
    mpz_inits(n, hs, NULL);
    bool ok = wire_get_mpz(r, &a->ptr[0], n) && wire_get_mpz(r, &a->ptr[1], hs) &&
              wire_get_int(r, &a->ptr[2], 0, INT64_MAX, &holders) &&
              wire_get_int(r, &a->ptr[3], -64, 0, &frac) && wire_get_double(r, &a->ptr[4], &range) &&
              wire_get_int(r, &a->ptr[5], 0, 30, &headroom) && wire_get_int(r, &a->ptr[6], 1, 16, &threads);
    if (ok && (mpz_sizeinbase(n, 2) > 8192 || !(range > 0) || !isfinite(range)))
        ok = wire_fail(r, "a paillier scheme out of range");
    if (ok && pai_pub_set_nh(&s->pub, n, hs) != PAI_OK)     /* the sender's hs: no exponentiation */
        ok = wire_fail(r, "an unusable Paillier modulus, or hs out of range");
    mpz_clears(n, hs, NULL);
    if (!ok) { scheme_free(s); return VERR; }
    s->keyholders = (uint64_t)holders;
    s->frac_exp = (int)frac;
    s->range = range;
    s->headroom = (unsigned)headroom;
    s->threads = (int)threads;
    int to = r->to;
    if (to > 0 && to < 64 && (s->keyholders >> to & 1))      /* the keyholder's own key */
        for (size_t i = 0; i < nkeyring; i++)
            if (keyring[i]->has_priv && pai_pub_equal(&keyring[i]->pub, &s->pub)) {
                pai_priv_copy(&s->priv, &keyring[i]->priv, &s->pub);
                s->has_priv = 1;
                keyring_add(s);
                break;
            }
    return val_user(&lib_he_scheme_class, s);
}

/* [scheme, shape, exp, lbound, count, [slots, slot_bits, vbits, adds, max_adds],
** ciphertexts] with the ciphertexts re-randomised (a fresh encryption of the same values:
** the receiver cannot link them to what the sender computed) as residues mod n^2. */
static bool ct_encode(Interp *I, Value self, struct WireW *w, int to)
{
    const HeCt *c = AS_USER(self)->p;
    PaiVec *v = pai_vec_copy(c->v);
    PaiOpts o = opts_of(I, c->s);
    int st = pai_vec_rerandomize(v, &c->s->pub, NULL, party_rng(I, self.owner ? self.owner : I->cur_party), &o);
    if (st) { pai_vec_free(v); pai_fail(I, "send", st, c->s); return false; }
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

static Value ct_decode(Interp *I, struct WireR *r, const struct msgpack_object *o)
{
    const msgpack_object_array *a, *sh, *pk, *cs;
    int64_t exp, count, f[5], d;
    double lbound;
    int shape[TN_MAXDIM];
    if (!wire_get_array(r, o, 7, 7, &a)) return VERR;
    Value sv = lib_wire_get(I, r, &a->ptr[0]);
    if (IS_ERR(sv)) return VERR;
    HeScheme *s = scheme_of(sv);
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
    Value cv = ct_new(sv, v, (int)sh->size, shape, 0);
    val_release(sv);
    return cv;
}
