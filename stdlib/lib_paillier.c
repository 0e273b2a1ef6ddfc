/*
** lib_paillier.c — builtins of the 'he' module: Paillier schemes (`scheme he = paillier(bits =
** 2048, keyholder = p)`), ciphertext tensors with their operators (ct + ct, ct + plain,
** ct * plain, ct / number, plain @ ct, ct @ plain, unary minus), encrypt / decrypt (only
** at a keyholder), he_sum, he_transpose and re-randomised sends (he_send is send: a real
** frame through the message layer, lib_wire.c).  The module's other files: the blinded
** round trips (lib_paillier_blind.c), python-paillier's file formats (lib_paillier_file.c), the wire
** codecs and the key ring (lib_paillier_wire.c); lib_paillier_impl.h is what they share.  The
** cryptography is runtime/paillier*.c's; this file owns shapes, broadcasting and parties.
** Nothing here writes the transcript: the layer does.
*/
#include "lib_paillier_impl.h"
#include "mem.h"
#include "ev.h"
#include "lib_tensor.h"
#include "lib_wire.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the scheme kind ------------------------------------------------------------------ */

void he_scheme_free(void *p)
{
    HeScheme *s = p;
    he_keyring_drop(s);
    pai_pub_clear(&s->pub);
    pai_priv_clear(&s->priv);
    free(s);
}

void he_holders_names(Interp *I, uint64_t mask, Sb *b, const char *last_sep)
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
    he_holders_names(I, s->keyholders, out, " and ");
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

const VClass lib_he_scheme_class = {
    .name = "paillier scheme", .free = he_scheme_free, .show = scheme_show, .field = scheme_field,
    .wire = WIRE_EXT_HE_SCHEME, .encode = he_scheme_encode, .decode = he_scheme_decode,
};

const PaiPub *lib_he_pub(Value scheme)
{
    HeScheme *s = he_scheme_of(scheme);
    return s ? &s->pub : NULL;
}

bool lib_he_can_decrypt(Value scheme, int party)
{
    HeScheme *s = he_scheme_of(scheme);
    return s && s->has_priv && party > 0 && party < 64 && (s->keyholders >> party & 1);
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

const VClass lib_he_ct_class = {
    .name = "ciphertext", .free = ct_free, .show = ct_show, .binop = ct_binop, .unop = ct_unop,
    .field = ct_field, .visit = ct_visit, .bytes = ct_bytes, .send = lib_he_send,
    .wire = WIRE_EXT_CIPHERTEXT, .encode = he_ct_encode, .decode = he_ct_decode, .wire_note = "re-randomised",
};

Value he_ct_new(Value scheme, PaiVec *v, int ndim, const int *shape, int owner)
{
    HeCt *c = xmalloc(sizeof *c);
    c->scheme = val_retain(scheme);
    c->s = he_scheme_of(scheme);
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

Value he_packed(Interp *I, const char *what)
{
    return err_raise(I, "%s: packed ciphertexts only support + with packed ciphertexts of the "
                     "same layout (encrypt without packed = true for other operations)", what);
}

Value he_fail(Interp *I, const char *what, const RtErr *e, const HeScheme *s)
{
    switch (e->code) {
    case RT_EOVERFLOW:
        return err_raise(I, "%s: ciphertext overflow: the result could exceed the safe range of the "
                         "%u-bit key (|plaintext| < n/3); use fewer multiplications, he_rescale, or a "
                         "larger key", what, s ? s->pub.bits : 0);
    case RT_ERANGE:
        if (s) {
            Sb b; sb_init(&b); sb_num(&b, s->range);
            Value r = err_raise(I, "%s: a value is outside the encodable range +/-%s of the scheme "
                                "(set range = ... in paillier())", what, b.s);
            sb_free(&b);
            return r;
        }
        return err_raise(I, "%s: value outside the encodable range", what);
    case RT_EPACKED:
        return he_packed(I, what);
    case RT_EINTR:
        return err_raise(I, "interrupted");
    default:
        return err_raise(I, "%s: %s", what, e->msg);
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

bool he_bcast(const int *sa, int na, const int *sb, int nb, int *so, int *no,
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

Value he_shape_error(Interp *I, const char *op, const int *sa, int na, const int *sb, int nb)
{
    Sb b; sb_init(&b);
    shape_str(&b, sa, na); sb_puts(&b, " and "); shape_str(&b, sb, nb);
    Value r = err_raise(I, "shapes %s do not match for '%s'", b.s, op);
    sb_free(&b);
    return r;
}

bool he_same_key(Interp *I, const HeCt *a, const HeCt *b)
{
    if (pai_pub_equal(&a->s->pub, &b->s->pub)) return true;
    err_raise(I, "the ciphertexts are under different Paillier keys; they cannot be combined");
    return false;
}

/* --- operators ------------------------------------------------------------------------ */

static Value ct_ct(Interp *I, int op, Value av, Value bv)
{
    RtErr e;
    HeCt *a = he_ct_of(av), *b = he_ct_of(bv);
    if (!he_same_key(I, a, b)) return VERR;
    if (op == OP_MUL || op == OP_MATMUL || op == OP_DIV || op == OP_POW)
        return err_raise(I, "Paillier is additively homomorphic: '%s' of two ciphertexts is not possible "
                         "locally; use he_mul / he_matmul (a blinded round trip with the keyholder), "
                         "or decrypt at the keyholder", ast_op_name(op));
    if (op != OP_ADD && op != OP_SUB)
        return err_raise(I, "ciphertexts cannot be compared with '%s': their plaintexts are hidden",
                         ast_op_name(op));
    PaiOpts o = he_opts(I, a->s);
    PaiVec *r = NULL;
    int so[TN_MAXDIM], no;
    int st;
    if (a->v->slots || b->v->slots) {
        if (op != OP_ADD) return he_packed(I, "-");
        if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof a->shape))
            return he_shape_error(I, "+", a->shape, a->ndim, b->shape, b->ndim);
        st = pai_vec_add(&r, &a->s->pub, a->v, NULL, b->v, NULL, a->v->n, &o, &e);
        if (st == RT_EOVERFLOW)
            return err_raise(I, "+: packed ciphertexts have room for %u additions (headroom = %u); this sum "
                             "would have %u summands and could carry into the next slot",
                             a->v->max_adds, a->s->headroom, a->v->adds + b->v->adds);
        no = a->ndim; memcpy(so, a->shape, sizeof so);
    } else {
        size_t *ia, *ib, n;
        if (!he_bcast(a->shape, a->ndim, b->shape, b->ndim, so, &no, &ia, &ib, &n))
            return he_shape_error(I, ast_op_name(op), a->shape, a->ndim, b->shape, b->ndim);
        st = op == OP_ADD ? pai_vec_add(&r, &a->s->pub, a->v, ia, b->v, ib, n, &o, &e)
                          : pai_vec_sub(&r, &a->s->pub, a->v, ia, b->v, ib, n, &o, &e);
        free(ia); free(ib);
    }
    if (st) return he_fail(I, ast_op_name(op), &e, a->s);
    return he_ct_new(a->scheme, r, no, so, av.owner ? av.owner : bv.owner);
}

/* ct @ plain (ct_left) or plain @ ct, up to 2-D each (numpy's rules for 1-D). */
static Value ct_matmul(Interp *I, HeCt *c, const Plain *p, bool ct_left, int owner)
{
    RtErr e;
    int cm, ck, cp, pm, pk, pp;          /* ct is (cm x ck) or (ck x cp); plain likewise */
    if (c->ndim < 1 || c->ndim > 2 || p->ndim < 1 || p->ndim > 2)
        return err_raise(I, "'@' with a ciphertext needs 1-D or 2-D operands");
    int so[2], no;
    size_t nout, len, astride, kstride;
    size_t *abase, *kbase;
    if (ct_left) {                        /* (m x k) @ (k x p) */
        cm = c->ndim == 2 ? c->shape[0] : 1; ck = c->shape[c->ndim - 1];
        pk = p->shape[0]; pp = p->ndim == 2 ? p->shape[1] : 1;
        if (ck != pk) return he_shape_error(I, "@", c->shape, c->ndim, p->shape, p->ndim);
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
        if (ck != pk) return he_shape_error(I, "@", p->shape, p->ndim, c->shape, c->ndim);
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
    PaiOpts o = he_opts(I, c->s);
    PaiVec *r = NULL;
    int st = pai_vec_dot(&r, &c->s->pub, c->v, abase, astride, p->x, kbase, kstride, len, nout,
                         c->s->frac_exp, &o, &e);
    free(abase); free(kbase);
    if (st) return he_fail(I, "@", &e, c->s);
    return he_ct_new(((HeCt *)c)->scheme, r, no, so, owner);
}

static Value ct_plain(Interp *I, int op, Value cv, Value pv, bool ct_left)
{
    RtErr e;
    HeCt *c = he_ct_of(cv);
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
        if (c->v->slots) { res = he_packed(I, "@"); goto out; }
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
    if (!he_bcast(c->shape, c->ndim, p.shape, p.ndim, so, &no, &ia, &ib, &n)) {
        res = ct_left ? he_shape_error(I, opn, c->shape, c->ndim, p.shape, p.ndim)
                      : he_shape_error(I, opn, p.shape, p.ndim, c->shape, c->ndim);
        goto out;
    }
    PaiOpts o = he_opts(I, c->s);
    PaiVec *r = NULL;
    int st;
    if (op == OP_MUL) {
        st = pai_vec_mul_plain(&r, &c->s->pub, c->v, ia, p.x, ib, n, c->s->frac_exp, &o, &e);
    } else if (op == OP_ADD || (op == OP_SUB && ct_left)) {
        if (op == OP_SUB) for (size_t i = 0; i < p.n; i++) p.x[i] = -p.x[i];
        st = pai_vec_add_plain(&r, &c->s->pub, c->v, ia, p.x, ib, n, 1, c->s->frac_exp, &o, &e);
    } else {                                /* plain - ct */
        st = pai_vec_add_plain(&r, &c->s->pub, c->v, ia, p.x, ib, n, -1, c->s->frac_exp, &o, &e);
    }
    free(ia); free(ib);
    res = st ? he_fail(I, opn, &e, c->s) : he_ct_new(c->scheme, r, no, so, owner);
out:
    free(p.x);
    return res;
}

static Value ct_binop(Interp *I, int op, Value a, Value b)
{
    bool ca = he_ct_of(a) != NULL, cb = he_ct_of(b) != NULL;
    if (ca && cb) return ct_ct(I, op, a, b);
    if (ca) return ct_plain(I, op, a, b, true);
    return ct_plain(I, op, b, a, false);
}

static Value ct_unop(Interp *I, int op, Value a)
{
    RtErr e;
    HeCt *c = he_ct_of(a);
    if (op == OP_POS) return val_retain(a);
    if (op != OP_NEG) return err_raise(I, "unsupported operand type for unary '%s': ciphertext", ast_op_name(op));
    PaiOpts o = he_opts(I, c->s);
    PaiVec *r = NULL;
    int st = pai_vec_neg(&r, &c->s->pub, c->v, &o, &e);
    if (st) return he_fail(I, "-", &e, c->s);
    return he_ct_new(c->scheme, r, c->ndim, c->shape, a.owner);
}

/* --- paillier(), encrypt, decrypt ------------------------------------------------------- */

bool he_holders_arg(Interp *I, Args *a, Value *v, uint64_t *mask)
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

bool he_options(Interp *I, Args *a, HeScheme *s)
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

HeScheme *he_scheme_alloc(void)
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
    if (!he_holders_arg(I, a, kh, &mask)) return VERR;
    if (bits < 256 || bits > 8192 || bits % 2)
        return err_raise(I, "paillier: bits must be an even number between 256 and 8192 (2048 or more "
                         "for real use)");
    HeScheme *s = he_scheme_alloc();
    if (!he_options(I, a, s)) { he_scheme_free(s); return VERR; }
    if (bits < 2048)
        fprintf(stderr, "warning: a %ld-bit Paillier key is insecure (classroom size); use bits = 2048 "
                "or more for real data\n", bits);
    /* the first keyholder generates the key, from its own generator: never the public
       stream, which every process can recompute (docs/distributed.md) */
    int gen = __builtin_ctzll(mask);
    Value v;
    if (rep_standin(I, gen)) {
        /* across processes, in a process that stands in for gen: the public key from
           gen's process (its scheme's skeleton keeps the public key, nothing else) */
        he_scheme_free(s);
        v = rep_standin_take(I, gen, "paillier");
        if (IS_ERR(v)) return VERR;
        val_place(&v, 0, -1);                   /* a scheme is public, as in one process */
        s = he_scheme_of(v);
        if (!s || s->has_priv || s->keyholders != mask) {
            val_release(v);
            return err_raise(I, "paillier: %s's process sent no matching scheme", ev_party_name(I, gen));
        }
    } else {
        RtErr e;
        if (pai_keygen(&s->pub, &s->priv, (unsigned)bits, he_rng(I, gen), &e)) {
            he_scheme_free(s);
            Value r = he_fail(I, "paillier", &e, NULL);
            if (I->mirror_self) rep_standin_send(I, r);
            return r;
        }
        s->has_priv = 1;
        s->keyholders = mask;
        he_keyring_add(I, s);
        v = val_user(&lib_he_scheme_class, s);
        if (I->mirror_self) rep_standin_send(I, v);
    }
    /* several keyholders share the key: gen sends it to the others, a recorded message */
    if (!he_share_key(I, s, gen)) { val_release(v); return VERR; }
    return v;
}

Value lib_he_encrypt(Interp *I, const char *who, Value x, Value scheme, int at, bool packed)
{
    RtErr e;
    HeScheme *s = he_scheme_of(scheme);
    if (!s) return err_raise(I, "%s: paillier scheme expected, got %s", who, val_type_name(scheme));
    Plain p;
    if (!plain_of(I, x, &p, who)) return VERR;
    PaiOpts o = he_opts(I, s);
    bool holder = s->has_priv && at > 0 && at < 64 && (s->keyholders >> at & 1);
    if (p.n >= 8) {                        /* bulk work: build the fixed-base tables once */
        if (holder) pai_priv_precompute(&s->priv, &s->pub);
        else pai_pub_precompute(&s->pub);
    }
    PaiVec *v = NULL;
    int st = packed
        ? pai_vec_encrypt_packed(&v, &s->pub, holder ? &s->priv : NULL, p.x, p.n, s->frac_exp, s->range,
                                 s->headroom, he_rng(I, at), &o, &e)
        : pai_vec_encrypt(&v, &s->pub, holder ? &s->priv : NULL, NULL, p.x, p.n, s->frac_exp, s->range,
                          he_rng(I, at), &o, &e);
    Value r = st ? he_fail(I, who, &e, s) : he_ct_new(scheme, v, p.ndim, p.shape, at);
    free(p.x);
    return r;
}

static Value b_encrypt(Interp *I, Args *a)
{
    static const char *const kws[] = { "packed", NULL };
    bool packed = false;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, kws) || !lib_kwbool(I, a, "packed", &packed)) return VERR;
    if (!he_scheme_of(a->v[1])) return lib_bad(I, a, 1, "paillier scheme");
    if (he_ct_of(a->v[0])) return err_raise(I, "encrypt: the value is already a ciphertext");
    int at = a->v[0].owner ? a->v[0].owner : a->at;
    return lib_he_encrypt(I, "encrypt", a->v[0], a->v[1], at, packed);
}

Value he_not_keyholder(Interp *I, const char *who, const HeScheme *s, int at)
{
    Sb b; sb_init(&b);
    he_holders_names(I, s->keyholders, &b, " or ");
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
    RtErr e;
    HeCt *c = he_ct_of(cv);
    if (!c) return err_raise(I, "%s: ciphertext expected, got %s", who, val_type_name(cv));
    HeScheme *s = c->s;
    bool holder = at > 0 && at < 64 && (s->keyholders >> at & 1);
    if (holder && !s->has_priv && rep_standin(I, at)) {
        /* across processes, where `at` is only stood in for: its stand-in of the
           plaintext (zeros); at's own process decrypts, with the key only it holds */
        double *z = xcalloc(c->v->count ? c->v->count : 1, sizeof *z);
        Value r = to_value(z, c->ndim, c->shape, c->v->count, at);
        free(z);
        return r;
    }
    if (!s->has_priv || !holder) return he_not_keyholder(I, who, s, at);
    double *out = xmalloc(c->v->count * sizeof *out);
    PaiOpts o = he_opts(I, s);
    int st = pai_vec_decrypt(out, &s->pub, &s->priv, c->v, &o, &e);
    Value r = st ? he_fail(I, who, &e, s) : to_value(out, c->ndim, c->shape, c->v->count, at);
    free(out);
    return r;
}

static Value b_decrypt(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    if (!he_ct_of(a->v[0])) return lib_bad(I, a, 0, "ciphertext");
    return lib_he_decrypt(I, "decrypt", a->v[0], a->at);
}

void lib_he_precompute(Value scheme)
{
    HeScheme *s = he_scheme_of(scheme);
    if (s) pai_pub_precompute(&s->pub);
}

/* --- sums, sends ------------------------------------------------------------------------ */

static Value b_he_sum(Interp *I, Args *a)
{
    RtErr e;
    static const char *const kws[] = { "axis", NULL };
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws)) return VERR;
    HeCt *c = he_ct_of(a->v[0]);
    if (!c) return lib_bad(I, a, 0, "ciphertext");
    Value *ax = lib_kw(a, "axis");
    PaiOpts o = he_opts(I, c->s);
    PaiVec *r = NULL;
    int st, no = 0, so[TN_MAXDIM];
    if (!ax || ax->tag == V_NONE) {
        size_t b0 = 0;
        st = pai_vec_sum(&r, &c->s->pub, c->v, &b0, 1, c->v->n, 1, &o, &e);
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
        st = pai_vec_sum(&r, &c->s->pub, c->v, base, inner, len, nout, &o, &e);
        free(base);
    }
    if (st) return he_fail(I, "he_sum", &e, c->s);
    return he_ct_new(c->scheme, r, no, so, a->v[0].owner);
}

static Value b_he_transpose(Interp *I, Args *a)
{
    RtErr e;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    HeCt *c = he_ct_of(a->v[0]);
    if (!c) return lib_bad(I, a, 0, "ciphertext");
    if (c->ndim > 2) return err_raise(I, "he_transpose: 0-, 1- or 2-D ciphertexts only");
    if (c->v->slots) return he_packed(I, "he_transpose");
    int m = c->ndim == 2 ? c->shape[0] : 1, n = c->ndim == 2 ? c->shape[1] : (int)c->v->n;
    size_t *idx = xmalloc(c->v->n * sizeof *idx);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) idx[(size_t)j * (size_t)m + (size_t)i] = (size_t)i * (size_t)n + (size_t)j;
    PaiVec *r = NULL;
    int st = pai_vec_gather(&r, c->v, idx, c->v->n, &e);
    free(idx);
    if (st) return he_fail(I, "he_transpose", &e, c->s);
    int so[2] = { n, m };
    return c->ndim == 2 ? he_ct_new(c->scheme, r, 2, so, a->v[0].owner)
                        : he_ct_new(c->scheme, r, c->ndim, c->shape, a->v[0].owner);
}

int lib_he_shape(Value cv, int *shape)
{
    HeCt *c = he_ct_of(cv);
    if (!c) return -1;
    for (int i = 0; i < c->ndim; i++) shape[i] = c->shape[i];
    return c->ndim;
}

/* he_send and send of a ciphertext: through the message layer (stdlib/lib_wire.c), which
** re-randomises it on the way (he_ct_encode) and records the frame's real size. */
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
    if (!he_ct_of(a->v[0])) return lib_bad(I, a, 0, "ciphertext");
    if (!to) return err_raise(I, "he_send needs a receiver: he_send(c, to = party)");
    if (a->at && a->v[0].owner && a->v[0].owner != a->at)
        return err_raise(I, "%s cannot send a ciphertext that lives at %s", ev_party_name(I, a->at),
                         ev_party_name(I, a->v[0].owner));
    return lib_he_send(I, a->v[0], to);
}

static Value b_he_refresh(Interp *I, Args *a)
{
    RtErr e;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    HeCt *c = he_ct_of(a->v[0]);
    if (!c) return lib_bad(I, a, 0, "ciphertext");
    PaiVec *v = pai_vec_copy(c->v);
    PaiOpts o = he_opts(I, c->s);
    int owner = val_owner(a->v[0]);
    int st = pai_vec_rerandomize(v, &c->s->pub, NULL, he_rng(I, owner ? owner : a->at), &o, &e);
    if (st) { pai_vec_free(v); return he_fail(I, "he_refresh", &e, c->s); }
    return he_ct_new(c->scheme, v, c->ndim, c->shape, a->v[0].owner);
}

static const LibReg fns[] = {
    {"paillier", b_paillier,
     "paillier(bits = 2048, keyholder = party, precision = 32, range = 2^20, headroom = 10, threads = 2)",
     "A Paillier scheme: a fresh key pair (g = n + 1) drawn by the keyholder from its own generator,\n"
     "whose private key only `keyholder` (a party, or a list of parties sharing the key) may use; with\n"
     "several, the first sends it to the others in a recorded message (kind \"key\").  Keys below 2048\n"
     "bits are insecure and print a warning.  Reals are encoded in fixed point with `precision` fractional bits\n"
     "(a multiple of 4: python-paillier's base 16); |x| <= range for everything encrypted, which makes\n"
     "overflow detectable.  Packed encryption leaves room for 2^headroom additions.",
     "party server; scheme he = paillier(bits = 512, keyholder = server); print(he.bits)\n"
     "# -> 512", LIB_ANYOWNER},
    {"encrypt", b_encrypt, "encrypt(x, he, packed = false)",
     "Encrypts a number or tensor under the scheme's public key: a ciphertext of the same shape, living\n"
     "where x lives.  Anyone may compute on it: + and - with ciphertexts or plain values, * and / by plain\n"
     "values, @ with plain matrices, he_sum.  packed = true puts many values in one ciphertext\n"
     "(BatchCrypt-style): much faster to encrypt, send and add, but only + is defined on it.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = encrypt(tensor([1.5, -2]), he); show(c)\n"
     "# -> ciphertext at public:\n"
     "# -> ciphertext[2] ... ...\n"
     "# ->   512-bit Paillier, scale 16^-8; digests only: the numbers are never shown",
     LIB_ANYOWNER},
    {"decrypt", b_decrypt, "decrypt(c)",
     "Decrypts a ciphertext: only inside `on keyholder { }`; anywhere else it is an error that names the\n"
     "keyholder.  A result that overflowed is an error, never a wrong number.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = encrypt(2, he) * 3; on s { print(decrypt(c)) }\n"
     "# -> 6",
     LIB_ANYOWNER},
    {"he_sum", b_he_sum, "he_sum(c, axis = none)",
     "Sum of a ciphertext's elements (a 0-d ciphertext), or along one axis.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = he_sum(encrypt(tensor([1, 2, 3]), he)); on s { print(decrypt(c)) }\n"
     "# -> 6",
     0},
    {"he_transpose", b_he_transpose, "he_transpose(c)",
     "The transpose of a 2-D ciphertext (no cryptography: the ciphertexts are reordered).",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = he_transpose(encrypt(tensor([[1, 2, 3]]), he)); print(c.shape)\n"
     "# -> [3, 1]",
     0},
    {"sum", b_he_sum, "sum(c, axis = none)",
     "On a ciphertext: the same as he_sum — additions of ciphertexts, no decryption.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = sum(encrypt(tensor([1, 2, 3]), he)); on s { print(decrypt(c)) }\n"
     "# -> 6",
     0},
    {"transpose", b_he_transpose, "transpose(c)",
     "On a 2-D ciphertext: the same as he_transpose (c.T works too).",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = transpose(encrypt(tensor([[1, 2, 3]]), he)); print(c.shape)\n"
     "# -> [3, 1]",
     0},
    {"he_send", b_he_send, "he_send(c, to = party)",
     "Sends a ciphertext to another party, re-randomised first (so it cannot be linked to ciphertexts the\n"
     "receiver saw before); the transcript records one 'ciphertext' message with its digests.",
     "party a, b; scheme he = paillier(bits = 512, keyholder = b); c = encrypt(1 at a, he); d = he_send(c, to = b); view(b)\n"
     "# -> view(b): 1 message received, ... bytes; no plaintext of another party's data\n"
     "# ->   round 1    a          -> b          ciphertext        ... B  ciphertext[] ... (re-randomised)",
     LIB_ANYOWNER},
    {"he_refresh", b_he_refresh, "he_refresh(c)",
     "The same plaintexts under fresh randomness (a re-randomised ciphertext).",
     "party s; scheme he = paillier(bits = 512, keyholder = s); c = he_refresh(encrypt(1, he)); show(c)\n"
     "# -> ciphertext at public:\n"
     "# -> ciphertext[] ...\n"
     "# ->   512-bit Paillier, scale 16^-8; digests only: the numbers are never shown", 0},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_he = { "he", fns, NULL };
