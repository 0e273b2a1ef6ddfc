/*
** lib_shares.c — builtins of the 'mpc' module: the schemes additive(...) and shamir(...),
** share / reveal / drop / shares, the shared-tensor kind with its operators (+ - with
** shares and public values; * and @ with Beaver triples; comparisons), relu, sigmoid,
** tanh, max and argmax on shares, shared datasets and training on them (train(m,
** share(d, ss)) and mpc_train), and the shared model that reveal(sm, to = p) hands to
** one party.  The protocols themselves are runtime/shares*.c's; this file turns values into
** runtime calls, checks arguments and owners, and raises errors in the house voice.
** Every message goes to the interpreter's transcript, so cost() and view() see them.
** The kinds' wire codecs are lib_shares_wire.c's; lib_shares_impl.h is what the two share.
*/
#include "lib_shares_impl.h"
#include "ev.h"
#include "mem.h"
#include "lib_wire.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"
#include "lib_data.h"
#include "lib_network.h"
#include "network.h"

#define KW(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* --- values --------------------------------------------------------------------------- */

static void wipe_ctx(SsCtx *c) { explicit_bzero(c->prg, sizeof c->prg); }

static Value ss_fail(Interp *I, SsCtx *c)
{
    Value r = err_raise(I, "%s", c->err.msg);
    wipe_ctx(c);
    return r;
}

static void scheme_free(void *p) { free(p); }

static void party_list(Interp *I, const SsScheme *sc, Sb *out)
{
    for (int i = 0; i < sc->n; i++) sb_printf(out, "%s%s", i ? ", " : "", ev_party_name(I, sc->party[i]));
}

static void scheme_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)verbose;
    const SchemeObj *s = p;
    sb_puts(out, s->sc.kind == SS_SHAMIR ? "shamir(among = [" : "additive(among = [");
    party_list(I, &s->sc, out);
    sb_puts(out, "]");
    if (s->sc.kind == SS_SHAMIR) sb_printf(out, ", threshold = %d", s->sc.threshold);
    sb_printf(out, ", frac_bits = %d", s->sc.frac_bits);
    if (s->sc.dealer == SS_NODEALER) sb_puts(out, ", dealer = none");
    else if (s->sc.dealer > 0) sb_printf(out, ", dealer = %s", ev_party_name(I, s->sc.dealer));
    sb_puts(out, ")");
    if (s->dropped) {
        sb_puts(out, "  # dropped out:");
        for (int i = 0; i < s->sc.n; i++)
            if (s->dropped >> i & 1) sb_printf(out, " %s", ev_party_name(I, s->sc.party[i]));
    }
}

const VClass lib_ss_scheme_class = { .name = "scheme", .free = scheme_free, .show = scheme_show,
    .wire = WIRE_EXT_SS_SCHEME, .encode = mpc_scheme_encode, .decode = mpc_scheme_decode };

static void visit_scheme(Value *sv, void (*fn)(Value *v, void *ctx), void *c) { fn(sv, c); }

static void shared_free(void *p)
{
    SharedObj *s = p;
    ss_free(s->t);
    val_release(s->scheme);
    free(s);
}

static void shared_visit(void *p, void (*fn)(Value *v, void *ctx), void *c) { visit_scheme(&((SharedObj *)p)->scheme, fn, c); }

/* FNV-1a of a share: a label that tells shares apart, not a hash to rely on. */
static uint64_t digest(const uint64_t *w, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const unsigned char *b = (const unsigned char *)w;
    for (size_t i = 0; i < n * 8; i++) { h ^= b[i]; h *= 0x100000001b3ull; }
    return h;
}

static void shape_show(const int *sh, int nd, Sb *out)
{
    if (nd == 0) { sb_puts(out, "(a number)"); return; }
    sb_putc(out, '[');
    for (int i = 0; i < nd; i++) sb_printf(out, "%s%d", i ? ", " : "", sh[i]);
    sb_putc(out, ']');
}

static void tensor_shares_show(Interp *I, const SsTensor *t, Sb *out, uint32_t shown,
                               const uint64_t *known)
{
    sb_printf(out, "shared tensor ");
    shape_show(t->shape, t->ndim, out);
    sb_printf(out, ", %s shares, %d fractional bits",
              t->sc.kind == SS_SHAMIR ? "Shamir" : "additive", t->frac);
    for (int i = 0; i < t->sc.n; i++) {
        sb_printf(out, "\n  %s: ", ev_party_name(I, t->sc.party[i]));
        if (t->s[i]) sb_printf(out, "share %016llx", (unsigned long long)(shown >> i & 1 ? known[i] : digest(t->s[i], t->size)));
        else sb_puts(out, "(dropped out)");
    }
}

static void shared_show(Interp *I, const void *p, Sb *out, int verbose)
{
    const SharedObj *s = p;
    if (!verbose) {
        sb_puts(out, "<shared tensor ");
        shape_show(s->t->shape, s->t->ndim, out);
        sb_puts(out, " among ");
        party_list(I, &s->t->sc, out);
        sb_puts(out, ">");
        return;
    }
    tensor_shares_show(I, s->t, out, s->shown, s->digest);
}

/* Across processes: every holder's process sends the others its share's digest, so that
** show() displays the real shares' digests (interp/replica.c). */
static bool shared_peek(Interp *I, Value self)
{
    SharedObj *s = AS_USER(self)->p;
    const SsTensor *t = s->t;
    int me = rep_self(I);
    s->shown = 0;
    if (!me) return true;
    int mine = -1;
    for (int i = 0; i < t->sc.n; i++) if (t->sc.party[i] == me && t->s[i]) mine = i;
    if (mine >= 0) {
        uint64_t d = digest(t->s[mine], t->size);
        for (int q = 1; q <= I->nparties; q++) {
            if (q == me) continue;
            WireW w; wire_w_init(&w);
            WireHdr h = { "digest", me, q, 0 };
            wire_put_envelope(&w, &h);
            wire_put_uint(&w, d);
            size_t len;
            uint8_t *f = wire_w_take(&w, &len);
            rep_side_post(I, q, f, len);
        }
    }
    for (int i = 0; i < t->sc.n; i++) {
        if (!t->s[i] || t->sc.party[i] == me) continue;
        uint8_t *f; size_t len;
        rep_side_take(I, t->sc.party[i], "digest", &f, &len);
        WireR r; wire_r_init(&r, ev_party_name(I, t->sc.party[i]));
        WireHdr h; const msgpack_object *pl;
        bool ok = wire_open_frame(&r, f, len, &h, &pl) && pl->type == MSGPACK_OBJECT_POSITIVE_INTEGER;
        if (ok) { s->digest[i] = pl->via.u64; s->shown |= 1u << i; }
        wire_r_free(&r);
        free(f);
        if (!ok) { err_raise(I, "malformed digest from %s", ev_party_name(I, t->sc.party[i])); return false; }
    }
    return true;
}

static Value shared_binop(Interp *I, int op, Value a, Value b);
static Value shared_unop(Interp *I, int op, Value a);
static Value shared_field(Interp *I, Value self, Sym *name);

const VClass lib_shared_class = { .name = "shared tensor", .distributed = true, .free = shared_free, .show = shared_show,
    .peek = shared_peek,
    .binop = shared_binop, .unop = shared_unop, .field = shared_field, .visit = shared_visit,
    .wire = WIRE_EXT_SHARED, .encode = mpc_shared_encode, .decode = mpc_shared_decode };

SsTensor *lib_shared_of(Value v)
{
    SharedObj *s = val_user_as(v, &lib_shared_class);
    return s ? s->t : NULL;
}

static Value scheme_value_of(Value v)
{
    SharedObj *s = val_user_as(v, &lib_shared_class);
    return s ? s->scheme : VNONE;
}

static void sds_free(void *p)
{
    SharedDs *d = p;
    ss_free(d->x); ss_free(d->y);
    val_release(d->scheme);
    free(d->origin);
    free(d);
}

static void sds_visit(void *p, void (*fn)(Value *v, void *ctx), void *c) { visit_scheme(&((SharedDs *)p)->scheme, fn, c); }

static void sds_show(Interp *I, const void *p, Sb *out, int verbose)
{
    const SharedDs *d = p;
    sb_printf(out, "shared dataset of %d rows × %d features (%s), among ", d->x->shape[0],
              (int)(d->x->size / (size_t)(d->x->shape[0] ? d->x->shape[0] : 1)),
              d->origin ? d->origin : "data");
    party_list(I, &d->x->sc, out);
    if (verbose) {
        sb_puts(out, "\n x: ");
        tensor_shares_show(I, d->x, out, 0, NULL);
        sb_puts(out, "\n y: ");
        tensor_shares_show(I, d->y, out, 0, NULL);
    }
}

const VClass lib_shared_ds_class = { .name = "shared dataset", .distributed = true, .free = sds_free, .show = sds_show,
    .visit = sds_visit, .wire = WIRE_EXT_SHARED_DATASET, .encode = mpc_sds_encode, .decode = mpc_sds_decode };

static void smodel_free(void *p)
{
    SharedModel *m = p;
    ss_model_free(m->m);
    val_release(m->scheme);
    free(m);
}

static void smodel_visit(void *p, void (*fn)(Value *v, void *ctx), void *c) { visit_scheme(&((SharedModel *)p)->scheme, fn, c); }

static void smodel_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)verbose;
    const SharedModel *m = p;
    sb_printf(out, "shared model %s (", m->m->net->name ? m->m->net->name : "network");
    for (int l = 0; l < m->m->net->n; l++) {
        if (l) sb_puts(out, ", ");
        nn_layer_show(&m->m->net->layer[l], out);
    }
    sb_printf(out, ") after %ld steps%s, weights shared among ", m->steps,
              m->diverged ? " (diverged)" : "");
    for (int l = 0; l < m->m->net->n; l++)
        if (m->m->W[l]) { party_list(I, &m->m->W[l]->sc, out); break; }
}

static Value smodel_field(Interp *I, Value self, Sym *name)
{
    SharedModel *m = AS_USER(self)->p;
    if (!strcmp(name->name, "diverged")) return VBOOL(m->diverged);
    if (!strcmp(name->name, "steps")) return VNUM((double)m->steps);
    return err_raise(I, "a shared model has no field '%s' (fields: diverged, steps)", name->name);
}

const VClass lib_shared_model_class = { .name = "shared model", .distributed = true, .free = smodel_free,
    .show = smodel_show, .field = smodel_field, .visit = smodel_visit,
    .wire = WIRE_EXT_SHARED_MODEL, .encode = mpc_smodel_encode, .decode = mpc_smodel_decode };

bool lib_mpc_is_shared_data(Value v)
{
    if (val_user_as(v, &lib_shared_ds_class)) return true;
    if (!IS_LIST(v) || AS_LIST(v)->n == 0) return false;
    for (size_t i = 0; i < AS_LIST(v)->n; i++)
        if (!val_user_as(AS_LIST(v)->v[i], &lib_shared_ds_class)) return false;
    return true;
}

/* --- schemes -------------------------------------------------------------------------- */

static bool among(Interp *I, Args *a, int *party, int *n)
{
    Value *v = lib_kw(a, "among");
    if (!v) { err_raise(I, "%s: the parties are missing (among = [p1, p2, ...])", a->fname); return false; }
    if (!IS_LIST(*v)) { lib_badkw(I, a, "among", "list of parties"); return false; }
    ObjList *l = AS_LIST(*v);
    if (l->n > SS_MAXP) { err_raise(I, "%s: at most %d parties", a->fname, SS_MAXP); return false; }
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].tag != V_PARTY) { lib_badkw(I, a, "among", "list of parties"); return false; }
        party[i] = (int)l->v[i].as.i;
    }
    *n = (int)l->n;
    return true;
}

static Value b_additive(Interp *I, Args *a)
{
    int party[SS_MAXP], n, dealer = 0;
    long frac = 16, pbits = SS_PAI_BITS;
    const char *trunc = "auto";
    if (!lib_arity(I, a, 0, 0) ||
        !lib_kwonly(I, a, KW("among", "frac_bits", "dealer", "trunc", "paillier_bits")) ||
        !among(I, a, party, &n) || !lib_kwint(I, a, "frac_bits", &frac) ||
        !lib_kwstr(I, a, "trunc", &trunc) || !lib_kwint(I, a, "paillier_bits", &pbits)) return VERR;
    Value *dv = lib_kw(a, "dealer");
    if (!dv) return err_raise(I, "additive: name the dealer who makes the Beaver triples "
                                 "(dealer = p), or dealer = none for two parties with Paillier");
    if (dv->tag == V_NONE) dealer = SS_NODEALER;
    else if (dv->tag == V_PARTY) dealer = (int)dv->as.i;
    else return lib_badkw(I, a, "dealer", "party or none");
    SchemeObj *s = xcalloc(1, sizeof *s);
    SsCtx c = ctx_of(I);
    if (ss_scheme_additive(&c, &s->sc, n, party, (int)frac, dealer)) { free(s); return ss_fail(I, &c); }
    if (dealer == SS_NODEALER && n != 2) {
        free(s);
        return err_raise(I, "additive: dealer = none works for two parties (Paillier triples); "
                            "with %d parties name a dealer", n);
    }
    if (!strcmp(trunc, "pair")) s->sc.trunc = SS_TRUNC_PAIR;
    else if (!strcmp(trunc, "local")) s->sc.trunc = SS_TRUNC_LOCAL;
    else if (strcmp(trunc, "auto")) { free(s); return lib_badkw(I, a, "trunc", "\"auto\", \"pair\" or \"local\""); }
    if (s->sc.trunc == SS_TRUNC_LOCAL && n != 2) { free(s); return err_raise(I, "additive: trunc = \"local\" works for two parties only"); }
    if (s->sc.trunc == SS_TRUNC_PAIR && dealer == SS_NODEALER) { free(s); return err_raise(I, "additive: trunc = \"pair\" needs a dealer"); }
    if (dealer == SS_NODEALER) s->sc.pai_key = ss_pai_new_key(c.pai_keys);   /* a key of its own */
    if (lib_kw(a, "paillier_bits")) {       /* the key of dealer-free triples */
        if (dealer != SS_NODEALER) { free(s); return err_raise(I, "additive: paillier_bits is the key size of dealer = none"); }
        if (pbits < 256 || pbits > 8192 || pbits % 2) {
            free(s);
            return err_raise(I, "additive: paillier_bits must be an even number between 256 and 8192 "
                                "(2048 or more for real use)");
        }
        if (pbits < 2048)
            fprintf(stderr, "warning: a %ld-bit Paillier key is insecure (classroom size); use "
                    "paillier_bits = 2048 or more for real data\n", pbits);
        s->sc.pai_bits = (unsigned)pbits;
    }
    return val_user(&lib_ss_scheme_class, s);
}

static Value b_shamir(Interp *I, Args *a)
{
    int party[SS_MAXP], n, dealer = 0;
    long t = 1, frac = 16;
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, KW("among", "threshold", "frac_bits")) ||
        !among(I, a, party, &n) || !lib_kwint(I, a, "threshold", &t) ||
        !lib_kwint(I, a, "frac_bits", &frac)) return VERR;
    SchemeObj *s = xcalloc(1, sizeof *s);
    SsCtx c = ctx_of(I);
    if (ss_scheme_shamir(&c, &s->sc, n, party, (int)t, (int)frac, dealer)) { free(s); return ss_fail(I, &c); }
    return val_user(&lib_ss_scheme_class, s);
}

/* --- share, reveal, drop ----------------------------------------------------------- */

static Tn *num_tensor(double x)
{
    Tn *t = tn_new(0, NULL);
    t->data[0] = (float)x;
    return t;
}

static Value share_dataset(Interp *I, Args *a, Ds *d, int from, Value scheme)
{
    SchemeObj *so = scheme_of(scheme);
    SsCtx c = ctx_of(I);
    int n = d->x->shape[0];
    int dim = n ? (int)(d->x->size / (size_t)n) : 0;
    int xs[2] = { n, dim };
    Tn *x = tn_new(2, xs);
    memcpy(x->data, d->x->data, x->size * sizeof(float));
    /* labels: one-hot rows for classes (made by the owner before sharing), else targets */
    int k = d->nclasses > 2 ? d->nclasses : 1;
    int ys[2] = { n, k };
    Tn *y = tn_new(2, ys);
    for (int i = 0; i < n; i++) {
        if (k == 1) y->data[i] = d->y->data[i];
        else {
            int cl = (int)d->y->data[i];
            if (cl < 0 || cl >= k) { tn_free(x); tn_free(y); return err_raise(I, "%s: label %d out of range", a->fname, cl); }
            y->data[(size_t)i * k + cl] = 1;
        }
    }
    SsTensor *sx = ss_share(&c, &so->sc, x, from), *sy = sx ? ss_share(&c, &so->sc, y, from) : NULL;
    tn_free(x); tn_free(y);
    if (!sx || !sy) { ss_free(sx); return ss_fail(I, &c); }
    wipe_ctx(&c);
    SharedDs *s = xcalloc(1, sizeof *s);
    s->x = sx; s->y = sy; s->nclasses = d->nclasses;
    s->scheme = val_retain(scheme);
    s->origin = d->origin ? xstrdup(d->origin) : NULL;
    return val_user(&lib_shared_ds_class, s);
}

static Value b_share(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    SchemeObj *so = scheme_of(a->v[1]);
    if (!so) return lib_bad(I, a, 1, "sharing scheme (additive(...) or shamir(...))");
    Value x = a->v[0];
    int from = x.owner;
    if (I->cur_party && from && I->cur_party != from)
        return err_raise(I, "share: the value lives at %s; %s cannot share it",
                         ev_party_name(I, from), ev_party_name(I, I->cur_party));
    Ds *d = lib_dataset_of(x);
    if (d) return share_dataset(I, a, d, from, a->v[1]);
    Tn *t = NULL;
    if (x.tag == V_NUM) t = num_tensor(x.as.n);
    else if (IS_TENSOR(x)) t = AS_TENSOR(x);
    else return lib_bad(I, a, 0, "number, tensor or dataset");
    SsCtx c = ctx_of(I);
    SsTensor *s = ss_share(&c, &so->sc, t, from);
    if (x.tag == V_NUM) tn_free(t);
    if (!s) return ss_fail(I, &c);
    wipe_ctx(&c);
    return new_shared(s, a->v[1]);
}

static Value tensor_or_num(Tn *t, int owner)
{
    if (t->ndim == 0) { double v = t->data[0]; tn_free(t); return val_at(VNUM(v), owner); }
    return val_at(val_tensor(t), owner);
}

static Value b_reveal(Interp *I, Args *a)
{
    int to = 0;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("to")) || !lib_kwparty(I, a, "to", &to))
        return VERR;
    SsCtx c = ctx_of(I);
    SharedModel *sm = val_user_as(a->v[0], &lib_shared_model_class);
    if (sm) {
        if (!to) return err_raise(I, "reveal: say which party receives the model (to = p)");
        NnModel *out;
        Rng tmp;
        rng_seed(&tmp, 0);                       /* the initial weights are overwritten */
        out = nn_model_new(sm->m->net, &tmp);
        rng_wipe(&tmp);
        if (ss_model_reveal(&c, sm->m, out, to)) { nn_model_free(out); return ss_fail(I, &c); }
        wipe_ctx(&c);
        return val_at(lib_model_new(out), to);
    }
    SharedObj *s = val_user_as(a->v[0], &lib_shared_class);
    if (!s) return lib_bad(I, a, 0, "shared tensor or shared model");
    SchemeObj *so = scheme_of(s->scheme);
    uint32_t absent = 0;
    if (so) absent = so->dropped;
    Tn *t = ss_reveal(&c, s->t, to, absent);
    if (!t) return ss_fail(I, &c);
    wipe_ctx(&c);
    return tensor_or_num(t, to);
}

static Value b_drop(Interp *I, Args *a)
{
    int p;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL)) || !lib_party(I, a, 1, &p)) return VERR;
    SchemeObj *so = scheme_of(a->v[0]);
    SharedObj *s = val_user_as(a->v[0], &lib_shared_class);
    if (so) {
        int i = ss_index(&so->sc, p);
        if (i < 0) return err_raise(I, "drop: %s holds no shares in this scheme", ev_party_name(I, p));
        so->dropped |= 1u << i;
        return VNONE;
    }
    if (!s) return lib_bad(I, a, 0, "scheme or shared tensor");
    if (ss_drop(s->t, p)) return err_raise(I, "drop: %s holds no share of this value", ev_party_name(I, p));
    return VNONE;
}

static Value b_shares(Interp *I, Args *a)
{
    int p;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL)) || !lib_party(I, a, 1, &p)) return VERR;
    SsTensor *t = lib_shared_of(a->v[0]);
    if (!t) return lib_bad(I, a, 0, "shared tensor");
    int i = ss_index(&t->sc, p);
    if (i < 0 || !t->s[i]) return err_raise(I, "shares: %s holds no share of this value", ev_party_name(I, p));
    Tn *o = tn_new(t->ndim, t->shape);
    for (size_t e = 0; e < t->size; e++)
        o->data[e] = t->sc.kind == SS_SHAMIR ? (float)ldexp((double)t->s[i][e], -t->frac)
                                             : (float)ss_decode((int64_t)t->s[i][e], t->frac);
    return tensor_or_num(o, p);
}

/* --- operators ------------------------------------------------------------------------ */

/* A public operand as a tensor (owned by *own when converted from a number). */
static Tn *public_operand(Interp *I, Value v, Tn **own, const char *op)
{
    *own = NULL;
    if (v.owner) {
        err_raise(I, "'%s': the other operand lives at %s; share it first (share(x, scheme))",
                  op, ev_party_name(I, v.owner));
        return NULL;
    }
    if (v.tag == V_NUM) return *own = num_tensor(v.as.n);
    if (IS_TENSOR(v)) return AS_TENSOR(v);
    err_raise(I, "unsupported operand types for '%s': %s and shared tensor (share it, or use "
                 "a number or a public tensor)", op, val_type_name(v));
    return NULL;
}

/* [left op right] as shares of 0/1 from d = left - right. */
static SsTensor *compare(SsCtx *c, const SsTensor *d, int op)
{
    SsTensor *nd = NULL, *r;
    if (op == OP_GT || op == OP_LE) { nd = ss_neg(c, d); if (!nd) return NULL; d = nd; }
    r = ss_ltz(c, d);                    /* LT: d < 0; GT: -d < 0; GE, LE: the complement */
    ss_free(nd);
    if (r && (op == OP_GE || op == OP_LE))
        for (int i = 0; i < r->sc.n; i++)
            for (size_t e = 0; e < r->size; e++) r->s[i][e] = (uint64_t)(i == 0) - r->s[i][e];
    return r;
}

static Value shared_binop(Interp *I, int op, Value a, Value b)
{
    static const char *names[OP__COUNT] = { [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*",
        [OP_DIV] = "/", [OP_MATMUL] = "@", [OP_LT] = "<", [OP_LE] = "<=", [OP_GT] = ">",
        [OP_GE] = ">=", [OP_POW] = "**", [OP_MOD] = "%", [OP_EQ] = "==", [OP_NE] = "!=" };
    const char *on = op >= 0 && op < OP__COUNT && names[op] ? names[op] : "?";
    SsTensor *sa = lib_shared_of(a), *sb = lib_shared_of(b);
    Value scheme = sa ? scheme_value_of(a) : scheme_value_of(b);
    SsCtx c = ctx_of(I);
    SsTensor *r = NULL;
    if (op == OP_EQ || op == OP_NE || op == OP_POW || op == OP_MOD)
        return err_raise(I, "'%s' is not available on shared tensors (+, -, *, /, @ and "
                            "comparisons <, <=, >, >= are)", on);
    if (sa && sb) {
        switch (op) {
        case OP_ADD: r = ss_add(&c, sa, sb); break;
        case OP_SUB: r = ss_sub(&c, sa, sb); break;
        case OP_MUL: r = ss_mul(&c, sa, sb); break;
        case OP_MATMUL: r = ss_matmul(&c, sa, sb); break;
        case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
            SsTensor *d = ss_sub(&c, sa, sb);
            r = d ? compare(&c, d, op) : NULL;
            ss_free(d);
            break;
        }
        case OP_DIV: return err_raise(I, "'/' between two shared tensors needs a division "
                                         "protocol ppdl does not have; divide by a public number");
        default: return err_raise(I, "'%s' is not available on shared tensors", on);
        }
    } else {
        Tn *own, *p = public_operand(I, sa ? b : a, &own, on);
        if (!p) return VERR;
        SsTensor *s = sa ? sa : sb, *tmp = NULL;
        switch (op) {
        case OP_ADD: r = ss_add_pub(&c, s, p, 1); break;
        case OP_SUB: r = sa ? ss_add_pub(&c, s, p, -1) : ss_pub_sub(&c, p, s); break;
        case OP_MUL:
            if (p->size == 1) r = ss_scale(&c, s, p->data[0]);
            else r = ss_mul_pub(&c, s, p);
            break;
        case OP_DIV:
            if (!sa || p->size != 1 || p->data[0] == 0) {
                tn_free(own);
                return err_raise(I, "'/' on shares: only a shared tensor divided by a public non-zero number");
            }
            r = ss_scale(&c, s, 1.0 / p->data[0]);
            break;
        case OP_MATMUL: r = sa ? ss_matmul_pub(&c, s, p) : ss_pub_matmul(&c, p, s); break;
        case OP_LT: case OP_LE: case OP_GT: case OP_GE:
            tmp = sa ? ss_add_pub(&c, s, p, -1) : ss_pub_sub(&c, p, s);   /* left - right */
            r = tmp ? compare(&c, tmp, op) : NULL;
            break;
        default: tn_free(own); return err_raise(I, "'%s' is not available on shared tensors", on);
        }
        ss_free(tmp);
        tn_free(own);
        if (!r) return ss_fail(I, &c);
        wipe_ctx(&c);
        return new_shared(r, scheme);
    }
    if (!r) return ss_fail(I, &c);
    wipe_ctx(&c);
    return new_shared(r, scheme);
}

static Value shared_unop(Interp *I, int op, Value a)
{
    SsTensor *s = lib_shared_of(a);
    if (op == OP_POS) return val_retain(a);
    if (op != OP_NEG) return err_raise(I, "'not' is not defined for a shared tensor");
    SsCtx c = ctx_of(I);
    SsTensor *r = ss_neg(&c, s);
    if (!r) return ss_fail(I, &c);
    return new_shared(r, scheme_value_of(a));
}

static Value shared_field(Interp *I, Value self, Sym *name)
{
    SsTensor *t = lib_shared_of(self);
    if (!strcmp(name->name, "shape")) {
        Value l = val_list((size_t)t->ndim);
        for (int i = 0; i < t->ndim; i++) val_list_push(l, VNUM(t->shape[i]));
        return l;
    }
    if (!strcmp(name->name, "T")) {
        SsCtx c = ctx_of(I);
        SsTensor *r = ss_transpose(&c, t);
        if (!r) return ss_fail(I, &c);
        return new_shared(r, scheme_value_of(self));
    }
    return err_raise(I, "a shared tensor has no field '%s' (fields: shape, T)", name->name);
}

/* --- non-linear functions ----------------------------------------------------------- */

/* The polynomial of sigmoid/tanh from keywords: degree (default 5), over = [lo, hi]
** (interpolation, default [-8, 8]) or taylor = true. */
static bool poly_kw(Interp *I, Args *a, NnFn fn, double *coef, int *deg)
{
    long d = 5;
    bool taylor = false;
    double lo = -8, hi = 8;
    if (!lib_kwonly(I, a, KW("degree", "over", "taylor")) || !lib_kwint(I, a, "degree", &d) ||
        !lib_kwbool(I, a, "taylor", &taylor)) return false;
    Value *ov = lib_kw(a, "over");
    if (ov) {
        if (!IS_LIST(*ov) || AS_LIST(*ov)->n != 2 || AS_LIST(*ov)->v[0].tag != V_NUM ||
            AS_LIST(*ov)->v[1].tag != V_NUM) { lib_badkw(I, a, "over", "list [lo, hi]"); return false; }
        lo = AS_LIST(*ov)->v[0].as.n; hi = AS_LIST(*ov)->v[1].as.n;
    }
    if (d < 1 || d > NN_MAXDEG) { lib_badkw(I, a, "degree", "integer from 1 to 31"); return false; }
    int rc = taylor ? nn_poly_fit_taylor(fn, (int)d, coef) : nn_poly_fit_interval(fn, (int)d, lo, hi, coef);
    if (rc) { err_raise(I, "%s: cannot fit a polynomial of degree %ld on [%g, %g]", a->fname, d, lo, hi); return false; }
    *deg = (int)d;
    return true;
}

static Value poly_fn(Interp *I, Args *a, NnFn fn)
{
    SsTensor *s = a->n >= 1 ? lib_shared_of(a->v[0]) : NULL;
    if (!s) return lib_forward(I, a, "number, tensor or shared tensor");
    double coef[NN_MAXDEG + 1];
    int deg;
    if (!lib_arity(I, a, 1, 1) || !poly_kw(I, a, fn, coef, &deg)) return VERR;
    SsCtx c = ctx_of(I);
    SsTensor *r = ss_poly(&c, s, coef, deg);
    if (!r) return ss_fail(I, &c);
    wipe_ctx(&c);
    return new_shared(r, scheme_value_of(a->v[0]));
}

static Value b_sigmoid(Interp *I, Args *a) { return poly_fn(I, a, NN_FN_SIGMOID); }
static Value b_tanh(Interp *I, Args *a) { return poly_fn(I, a, NN_FN_TANH); }

static Value b_relu(Interp *I, Args *a)
{
    SsTensor *s = a->n >= 1 ? lib_shared_of(a->v[0]) : NULL;
    if (!s) return lib_forward(I, a, "number, tensor or shared tensor");
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    SsCtx c = ctx_of(I);
    SsTensor *r = ss_relu(&c, s, NULL);
    if (!r) return ss_fail(I, &c);
    wipe_ctx(&c);
    return new_shared(r, scheme_value_of(a->v[0]));
}

static Value max_arg(Interp *I, Args *a, bool arg)
{
    SsTensor *s = a->n >= 1 ? lib_shared_of(a->v[0]) : NULL;
    if (!s) return lib_forward(I, a, "tensor or shared tensor");
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    SsCtx c = ctx_of(I);
    SsTensor *am = NULL, *m = ss_max(&c, s, arg ? &am : NULL);
    if (!m) return ss_fail(I, &c);
    wipe_ctx(&c);
    if (arg) { ss_free(m); m = am; }
    return new_shared(m, scheme_value_of(a->v[0]));
}

static Value b_softmax(Interp *I, Args *a)
{
    SsTensor *s = a->n >= 1 ? lib_shared_of(a->v[0]) : NULL;
    if (!s) return lib_forward(I, a, "shared tensor (or no arguments, as a layer)");
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    SsCtx c = ctx_of(I);
    SsTensor *r = ss_softmax(&c, s);
    if (!r) return ss_fail(I, &c);
    wipe_ctx(&c);
    return new_shared(r, scheme_value_of(a->v[0]));
}

static Value b_max(Interp *I, Args *a) { return max_arg(I, a, false); }
static Value b_argmax(Interp *I, Args *a) { return max_arg(I, a, true); }

/* --- training --------------------------------------------------------------------- */

/* The rows of several shared datasets joined (a local operation on every share). */
static int join_rows(SsCtx *c, Value data, SsTensor **x, SsTensor **y, Value *scheme)
{
    SharedDs *one = val_user_as(data, &lib_shared_ds_class);
    size_t n = one ? 1 : AS_LIST(data)->n;
    SharedDs *ds[64] = { NULL };
    if (n > 64) return ss__fail(c, "at most 64 shared datasets at once");
    for (size_t i = 0; i < n; i++) ds[i] = one ? one : AS_USER(AS_LIST(data)->v[i])->p;
    *scheme = ds[0]->scheme;
    int rows = 0, dx = (int)(ds[0]->x->size / (size_t)ds[0]->x->shape[0]), dy = ds[0]->y->shape[1];
    for (size_t i = 0; i < n; i++) {
        if (memcmp(ds[i]->x->sc.party, ds[0]->x->sc.party, sizeof ds[0]->x->sc.party) ||
            ds[i]->x->sc.n != ds[0]->x->sc.n)
            return ss__fail(c, "the datasets are shared among different parties");
        if ((int)(ds[i]->x->size / (size_t)ds[i]->x->shape[0]) != dx || ds[i]->y->shape[1] != dy)
            return ss__fail(c, "the datasets have different columns");
        rows += ds[i]->x->shape[0];
    }
    int xs[2] = { rows, dx }, ys[2] = { rows, dy };
    *x = ss_new(&ds[0]->x->sc, 2, xs, ds[0]->x->frac);
    *y = ss_new(&ds[0]->y->sc, 2, ys, ds[0]->y->frac);
    size_t ox = 0, oy = 0;
    for (size_t i = 0; i < n; i++) {
        for (int p = 0; p < ds[0]->x->sc.n; p++) {
            if (!ds[i]->x->s[p] || !ds[i]->y->s[p]) {
                ss_free(*x); ss_free(*y);
                return ss__fail(c, "a party dropped out of the shared data");
            }
            memcpy((*x)->s[p] + ox, ds[i]->x->s[p], ds[i]->x->size * 8);
            memcpy((*y)->s[p] + oy, ds[i]->y->s[p], ds[i]->y->size * 8);
        }
        ox += ds[i]->x->size; oy += ds[i]->y->size;
    }
    return 0;
}

/* loss = "ce" (also "xent", "cross_entropy"), "bce" or "mse"; AUTO when absent. */
static bool mpc_loss_kw(Interp *I, Args *a, SsLoss *out)
{
    const char *s = NULL;
    *out = SS_LOSS_AUTO;
    if (!lib_kwstr(I, a, "loss", &s)) return false;
    if (!s) return true;
    if (!strcmp(s, "ce") || !strcmp(s, "xent") || !strcmp(s, "cross_entropy")) *out = SS_LOSS_CE;
    else if (!strcmp(s, "bce")) *out = SS_LOSS_BCE;
    else if (!strcmp(s, "mse")) *out = SS_LOSS_MSE;
    else { lib_badkw(I, a, "loss", "\"ce\" (or \"xent\"), \"bce\" or \"mse\""); return false; }
    return true;
}

/* The number of classes of shared training data (0: targets, not classes). */
static int shared_classes(Value data)
{
    SharedDs *one = val_user_as(data, &lib_shared_ds_class);
    if (one) return one->nclasses;
    const SharedDs *first = AS_USER(AS_LIST(data)->v[0])->p;
    return first->nclasses;
}

Value lib_mpc_train(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW("epochs", "lr", "batch", "verbose", "loss")))
        return VERR;
    NnModel *nm = lib_model_of(a->v[0]);
    if (!nm) return lib_bad(I, a, 0, "model");
    if (!lib_mpc_is_shared_data(a->v[1])) return lib_bad(I, a, 1, "shared dataset (share(d, scheme)) or list of them");
    long epochs = 1, batch = 32;
    double lr = 0.1;
    bool verbose = true;
    if (!lib_kwint(I, a, "epochs", &epochs) || !lib_kwint(I, a, "batch", &batch) ||
        !lib_kwnum(I, a, "lr", &lr) || !lib_kwbool(I, a, "verbose", &verbose)) return VERR;
    if (epochs < 0 || epochs > 1000000) return lib_badkw(I, a, "epochs", "integer >= 0");
    if (batch < 1) return lib_badkw(I, a, "batch", "positive integer");
    if (!(lr > 0)) return lib_badkw(I, a, "lr", "positive number");
    SsLoss loss;
    if (!mpc_loss_kw(I, a, &loss)) return VERR;
    SsCtx c = ctx_of(I);
    SsTensor *x = NULL, *y = NULL;
    Value scheme;
    if (join_rows(&c, a->v[1], &x, &y, &scheme)) return ss_fail(I, &c);
    SchemeObj *so = scheme_of(scheme);
    int out = 1;
    const NnNet *net = nm->net;
    for (int l = net->n - 1; l >= 0; l--) if (net->layer[l].kind == NN_DENSE) { out = net->layer[l].out; break; }
    if (y->shape[1] != out) {
        ss_free(x); ss_free(y);
        return err_raise(I, "train: the network has %d outputs but the shared labels have %d "
                            "columns", out, y->shape[1]);
    }
    SsModel *sm = ss_model_share(&c, &so->sc, nm, a->v[0].owner);
    if (!sm) { ss_free(x); ss_free(y); return ss_fail(I, &c); }
    /* auto: as plaintext training (nn_default_loss): ce after a softmax or for several
    ** classes on several outputs, bce after a sigmoid, mse otherwise */
    if (loss == SS_LOSS_AUTO && out >= 2 && nn_default_loss(net, shared_classes(a->v[1])) == NN_LOSS_CE)
        loss = SS_LOSS_CE;
    sm->loss = loss;
    int rows = x->shape[0];
    if (batch > rows) batch = rows;
    int nb = (rows + (int)batch - 1) / (int)batch;
    SharedModel *res = xcalloc(1, sizeof *res);
    res->m = sm;
    res->scheme = val_retain(scheme);
    int *order = xcalloc((size_t)nb, sizeof *order);
    for (long ep = 0; ep < epochs && !res->diverged; ep++) {
        /* a public random order of the batches, from the PUBLIC stream on purpose: every
           party's process must draw the same order (docs/distributed.md), and reordering
           shares reveals nothing; it is the one draw here that is meant to be public */
        for (int i = 0; i < nb; i++) order[i] = i;
        for (int i = nb - 1; i > 0; i--) { int j = (int)rng_below(&I->rng, (uint64_t)i + 1); int t = order[i]; order[i] = order[j]; order[j] = t; }
        for (int bi = 0; bi < nb; bi++) {
            if (ev_interrupted(I)) goto stop;
            int lo = order[bi] * (int)batch, hi = lo + (int)batch < rows ? lo + (int)batch : rows;
            SsTensor *bx = ss_rows(&c, x, lo, hi), *by = ss_rows(&c, y, lo, hi);
            /* the step works on a copy so that a divergence keeps the last good weights */
            int rc = bx && by ? ss_model_step(&c, sm, bx, by, lr) : -1;
            ss_free(bx); ss_free(by);
            if (rc) {
                if (c.err.code != RT_EOVERFLOW) goto fail;
                res->diverged = 1;
                fprintf(stderr, "warning: training on shares diverged at epoch %ld, step %ld: %s\n",
                        ep + 1, res->steps + 1, c.err.msg);
                break;
            }
            res->steps++;
        }
        if (verbose && !res->diverged)
            fprintf(I->out, "epoch %ld/%ld: %ld steps on shares\n", ep + 1, epochs, res->steps);
    }
    free(order); ss_free(x); ss_free(y);
    wipe_ctx(&c);
    return val_user(&lib_shared_model_class, res);
stop:
    free(order); ss_free(x); ss_free(y);
    val_release(val_user(&lib_shared_model_class, res));
    wipe_ctx(&c);
    return VERR;
fail:
    free(order); ss_free(x); ss_free(y);
    val_release(val_user(&lib_shared_model_class, res));
    return ss_fail(I, &c);
}

static Value b_train(Interp *I, Args *a)
{
    if (a->n >= 2 && lib_mpc_is_shared_data(a->v[1])) return lib_mpc_train(I, a);
    return lib_forward(I, a, "model and dataset");
}

/* --- the table ------------------------------------------------------------------------ */

#define PARTIES "party h1, h2, h3, dealer; "
#define SS3 "ss = additive(among = [h1, h2, h3], frac_bits = 16, dealer = dealer); "

static const LibReg fns[] = {
    {"additive", b_additive, "additive(among = [p1, p2, ...], frac_bits = 16, dealer = p, trunc = \"auto\", paillier_bits = 2048)",
     "An additive secret-sharing scheme over Z_2^64: a value x is split into n random shares\n"
     "that sum to x * 2^frac_bits; all n are needed to reveal it, any n-1 show nothing.\n"
     "The dealer (a party that holds no shares) makes the Beaver triples for * and @ in an\n"
     "offline phase; dealer = none lets two parties make them with Paillier instead, under\n"
     "a key of the scheme's first party (paillier_bits, 2048 by default; smaller is insecure\n"
     "and warns).  trunc: how products are truncated (\"pair\": a dealer pair, exact to one unit in the\n"
     "last place; \"local\": two parties shift their shares, no messages, rare failures).",
     PARTIES SS3 "print(ss)   # -> additive(among = [h1, h2, h3], frac_bits = 16, dealer = dealer)", 0},
    {"shamir", b_shamir, "shamir(among = [p1, p2, ...], threshold = t, frac_bits = 16)",
     "Shamir's threshold sharing over the prime field 2^61 - 1: any t+1 parties reveal a\n"
     "value, t learn nothing, so the value survives parties dropping out.  Supports +, -,\n"
     "products by public values, and share products when there are at least 2t+1 parties.",
     PARTIES "sh = shamir(among = [h1, h2, h3], threshold = 1); print(sh)\n"
     "# -> shamir(among = [h1, h2, h3], threshold = 1, frac_bits = 16)", 0},
    {"share", b_share, "share(x, scheme)",
     "Splits x (a number, tensor or dataset living at its owner) into fresh shares, one sent\n"
     "to each party of the scheme.  A dataset's labels are shared one-hot for classes.",
     PARTIES SS3 "s = share(tensor([1, 2]), ss); show(s)\n"
     "# -> shared tensor at public:\n"
     "# -> shared tensor [2], additive shares, 16 fractional bits\n"
     "# ->   h1: share 3fdb674f6434e97e\n"
     "# ->   h2: share 88201fb960ff6465\n"
     "# ->   h3: share 88201fb960ff6465", LIB_ANYOWNER},
    {"reveal", b_reveal, "reveal(s, to = p)",
     "The holders send their shares to p (to everyone without `to`), who reconstructs: the\n"
     "value comes back placed at p.  Additive shares need every holder, Shamir any t+1.  A\n"
     "shared model (from train on shares) comes back as a model at p.",
     PARTIES SS3 "s = share(tensor([1.5, -2]), ss); print(reveal(s, to = h1))\n"
     "# -> tensor([ 1.5, -2.0]) (at h1)", LIB_ANYOWNER},
    {"drop", b_drop, "drop(s, p)",
     "Simulates party p dropping out: its share of s (or, given a scheme, its shares of\n"
     "every value of that scheme when revealed) is gone.",
     PARTIES "sh = shamir(among = [h1, h2, h3], threshold = 1); s = share(7, sh); drop(s, h2); "
     "print(reveal(s))   # -> 7", LIB_ANYOWNER},
    {"shares", b_shares, "shares(s, p)",
     "Party p's own share of s, decoded as if it were a value: random-looking numbers that\n"
     "say nothing about s.  Placed at p.",
     PARTIES SS3 "s = share(tensor([1, 2]), ss); print(type(shares(s, h1)))   # -> tensor", LIB_ANYOWNER},
    {"sigmoid", b_sigmoid, "sigmoid(s, degree = 5, over = [-8, 8], taylor = false)",
     "On a shared tensor: a polynomial stand-in for the logistic function (interpolation on\n"
     "`over`, or the Taylor series around 0), evaluated by Horner's rule on shares.",
     PARTIES SS3 "s = share(tensor([-1, 0, 1]), ss); print(reveal(sigmoid(s, degree = 3)))\n"
     "# -> tensor([0.3363, 0.5000, 0.6637])", LIB_ANYOWNER},
    {"tanh", b_tanh, "tanh(s, degree = 5, over = [-8, 8], taylor = false)",
     "On a shared tensor: a polynomial stand-in for tanh, as sigmoid.",
     PARTIES SS3 "s = share(tensor([-0.5, 0.5]), ss); print(reveal(tanh(s, taylor = true, degree = 3)))\n"
     "# -> tensor([-0.4583,  0.4583])", LIB_ANYOWNER},
    {"relu", b_relu, "relu(s)",
     "On a shared tensor: max(s, 0) through a secure comparison (the sign bit from binary\n"
     "shares and a carry circuit with AND triples).",
     PARTIES SS3 "s = share(tensor([-1, 2]), ss); print(reveal(relu(s)))\n"
     "# -> tensor([0, 2])", LIB_ANYOWNER},
    {"softmax", b_softmax, "softmax(s)",
     "On a shared tensor: softmax over the last axis, still shared (the row maximum\n"
     "subtracted by secure comparisons, exp as (1 + x/256)^256, the row sum inverted by\n"
     "Goldschmidt's iteration; within 0.005 of the float softmax).",
     PARTIES SS3 "s = share(tensor([[1, 2, 3]]), ss); print(reveal(softmax(s)))\n"
     "# -> tensor([[0.089..., 0.244..., 0.66...]])", LIB_ANYOWNER},
    {"max", b_max, "max(s)",
     "On a shared tensor: the maximum along the last axis by secure comparisons: up to 16\n"
     "values all pairs at once (rounds independent of their number), more by a tournament.",
     PARTIES SS3 "s = share(tensor([[1, 5, 2]]), ss); print(reveal(max(s)))\n"
     "# -> tensor([5])", LIB_ANYOWNER},
    {"argmax", b_argmax, "argmax(s)",
     "On a shared tensor: the index of the maximum along the last axis (the first on\n"
     "ties), still shared.", PARTIES SS3 "s = share(tensor([[1, 5, 2]]), ss); print(reveal(argmax(s)))\n"
     "# -> tensor([1])", LIB_ANYOWNER},
    {"train", b_train, "train(m, shared_data, epochs = 1, lr = 0.1, batch = 32, loss = auto)",
     "Training on secret shares: data, weights and gradients stay shared among the scheme's\n"
     "parties; returns a shared model (reveal(sm, to = p) hands it to p).  shared_data is\n"
     "share(d, scheme) or a list of them (rows joined).  Sigmoid layers need a polynomial\n"
     "approx.  loss: \"ce\" (or \"xent\": softmax cross-entropy, softmax on shares by exp\n"
     "and Newton's reciprocal; default after a softmax or for several classes), \"bce\"\n"
     "(default after a sigmoid) or \"mse\" (squared error; on the logits after a softmax,\n"
     "cheaper: no comparisons).  A fixed-point overflow (divergence) stops training with a\n"
     "warning and sets sm.diverged.",
     PARTIES SS3 "d = load_csv(\"samples/data/pima_diabetes.csv\", label = \"diabetes\", normalize = true); "
     "network n { dense(8, 1); sigmoid(approx = interpolate(degree = 3, over = [-6, 6])) }; "
     "sm = train(model(n), share(d, ss), epochs = 1, batch = 256, verbose = false); print(sm.steps)\n"
     "# -> 3", LIB_ANYOWNER},
    {"mpc_train", lib_mpc_train, "mpc_train(m, shared_data, epochs = 1, lr = 0.1, batch = 32, loss = auto)",
     "The same as train(m, shared_data, ...): training on secret shares.",
     PARTIES SS3 "d = load_csv(\"samples/data/pima_diabetes.csv\", label = \"diabetes\", normalize = true); "
     "network n { dense(8, 1); sigmoid(approx = interpolate(degree = 3, over = [-6, 6])) }; "
     "sm = mpc_train(model(n), share(d, ss), epochs = 1, batch = 256, verbose = false); print(sm.steps)\n"
     "# -> 3", LIB_ANYOWNER},
    { NULL, NULL, NULL, NULL, NULL, 0 }
};

const LibModule lib_mod_mpc = { "mpc", fns, NULL };
