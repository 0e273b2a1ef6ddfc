/*
** lib_shares_wire.c — the 'mpc' module's wire codecs (docs/parties.md, "Wire format"): the
** scheme, shared tensor, shared dataset and shared model kinds as payload objects.  A
** scheme is public; the other three carry every present party's share, so send() refuses
** to hand one to a party (reveal does that, and says so).  lib_wire.c frames the bodies
** written here; the kinds themselves are lib_shares.c's.
*/
#include "lib_shares_impl.h"
#include <inttypes.h>
#include "mem.h"
#include "lib_network.h"
#include "lib_wire.h"
#include <stdlib.h>

/* --- the wire (docs/parties.md, "Wire format") ------------------------------------------
** A scheme is public.  A shared value's wire form carries EVERY present party's share
** (the simulator's whole object, for a transport that moves it as a unit or a test);
** send() refuses to hand one to a party, which would then hold all the shares: reveal
** does that, and says so in the transcript. */

/* [kind, [party...], frac_bits, dealer, threshold, trunc, paillier_bits, key number] */
static void put_sc(struct WireW *w, const SsScheme *sc)
{
    wire_put_array(w, 8);
    wire_put_int(w, sc->kind);
    wire_put_array(w, (size_t)sc->n);
    for (int i = 0; i < sc->n; i++) wire_put_int(w, sc->party[i]);
    wire_put_int(w, sc->frac_bits); wire_put_int(w, sc->dealer);
    wire_put_int(w, sc->threshold); wire_put_int(w, sc->trunc);
    wire_put_int(w, sc->pai_bits); wire_put_int(w, sc->pai_key);
}

static bool get_sc(Interp *I, struct WireR *r, const msgpack_object *o, SsScheme *sc)
{
    const msgpack_object_array *a, *ps;
    int64_t kind, frac, dealer, t, trunc, p, bits = 0, key = 0;
    int party[SS_MAXP];
    if (!wire_get_array(r, o, 6, 8, &a) || !wire_get_int(r, &a->ptr[0], 0, SS_SHAMIR, &kind) ||
        !wire_get_array(r, &a->ptr[1], 2, SS_MAXP, &ps) || !wire_get_int(r, &a->ptr[2], 0, 30, &frac) ||
        !wire_get_int(r, &a->ptr[3], SS_NODEALER, I->nparties, &dealer) ||
        !wire_get_int(r, &a->ptr[4], 0, SS_MAXP, &t) || !wire_get_int(r, &a->ptr[5], 0, SS_TRUNC_LOCAL, &trunc))
        return false;
    /* [.., paillier_bits, key number] since 0.1: the key of dealer-free triples (older
       frames have neither, and fall back to the key each ordered pair shares) */
    if (a->size == 8 && (!wire_get_int(r, &a->ptr[6], 0, 8192, &bits) ||
                         !wire_get_int(r, &a->ptr[7], 0, UINT32_MAX, &key)))
        return false;
    if (bits && (bits < 256 || bits % 2)) return wire_fail(r, "scheme: a Paillier key of %" PRId64 " bits", bits);
    for (uint32_t i = 0; i < ps->size; i++) {
        if (!wire_get_int(r, &ps->ptr[i], 1, I->nparties, &p)) return false;
        party[i] = (int)p;
    }
    SsCtx c = ctx_of(I);
    int st = kind == SS_SHAMIR ? ss_scheme_shamir(&c, sc, (int)ps->size, party, (int)t, (int)frac, (int)dealer)
                               : ss_scheme_additive(&c, sc, (int)ps->size, party, (int)frac, (int)dealer);
    if (st) return wire_fail(r, "scheme: %s", c.err.msg);
    sc->trunc = (SsTrunc)trunc;
    sc->pai_bits = (unsigned)bits;
    sc->pai_key = (unsigned)key;
    return true;
}

/* [scheme, shape, frac, [share or nil, ...]]: shares as ring elements (wire_size_ring) */
static void put_sst(struct WireW *w, const SsTensor *t)
{
    wire_put_array(w, 4);
    put_sc(w, &t->sc);
    wire_put_array(w, (size_t)t->ndim);
    for (int i = 0; i < t->ndim; i++) wire_put_int(w, t->shape[i]);
    wire_put_int(w, t->frac);
    wire_put_array(w, (size_t)t->sc.n);
    for (int i = 0; i < t->sc.n; i++) {
        if (t->s[i]) wire_put_u64s(w, t->s[i], t->size);
        else wire_put_nil(w);
    }
}

static SsTensor *get_sst(Interp *I, struct WireR *r, const msgpack_object *o)
{
    const msgpack_object_array *a, *sh, *ss;
    SsScheme sc;
    int shape[TN_MAXDIM];
    int64_t d, frac;
    RtErr err;
    if (!wire_get_array(r, o, 4, 4, &a) || !get_sc(I, r, &a->ptr[0], &sc) ||
        !wire_get_array(r, &a->ptr[1], 0, TN_MAXDIM, &sh)) return NULL;
    for (uint32_t i = 0; i < sh->size; i++) {
        if (!wire_get_int(r, &sh->ptr[i], 0, INT32_MAX, &d)) return NULL;
        shape[i] = (int)d;
    }
    if (tn_shape_check((int)sh->size, shape, &err)) { wire_fail(r, "shares: %s", err.msg); return NULL; }
    if (!wire_get_int(r, &a->ptr[2], 0, 62, &frac) || !wire_get_array(r, &a->ptr[3], (size_t)sc.n, (size_t)sc.n, &ss))
        return NULL;
    size_t size = 1, k = 0;
    for (uint32_t i = 0; i < sh->size; i++) size *= (size_t)shape[i];
    for (int i = 0; i < sc.n; i++)          /* check before allocating */
        if (ss->ptr[i].type != MSGPACK_OBJECT_NIL && (!wire_get_count(r, &ss->ptr[i], 8, &k) || k != size)) {
            if (!r->failed) wire_fail(r, "a share of %zu values where %zu were announced", k, size);
            return NULL;
        }
    SsTensor *t = ss_new(&sc, (int)sh->size, shape, (int)frac);
    for (int i = 0; i < sc.n; i++) {
        if (ss->ptr[i].type == MSGPACK_OBJECT_NIL) { ss__wipe_free(t->s[i], t->size); t->s[i] = NULL; }
        else wire_get_u64s(r, &ss->ptr[i], t->s[i], size);
    }
    return t;
}

static bool refuse_spread(Interp *I, Value self, int to)
{
    if (!to) return true;
    err_raise(I, "send: a %s is spread over its parties; sending it would hand %s every share "
              "(reveal(x, to = %s) gives it the value, and says so)", AS_USER(self)->cls->name,
              ev_party_name(I, to), ev_party_name(I, to));
    return false;
}

bool mpc_scheme_encode(Interp *I, Value self, struct WireW *w, int to)
{
    (void)I; (void)to;
    const SchemeObj *s = AS_USER(self)->p;
    wire_put_array(w, 2);
    put_sc(w, &s->sc);
    wire_put_uint(w, s->dropped);
    return true;
}

Value mpc_scheme_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    const msgpack_object_array *a;
    int64_t dropped;
    SchemeObj *s = xcalloc(1, sizeof *s);
    if (!wire_get_array(r, o, 2, 2, &a) || !get_sc(I, r, &a->ptr[0], &s->sc) ||
        !wire_get_int(r, &a->ptr[1], 0, (1 << SS_MAXP) - 1, &dropped)) { free(s); return VERR; }
    s->dropped = (uint32_t)dropped;
    return val_user(&lib_ss_scheme_class, s);
}

/* [scheme value, shares] */
bool mpc_shared_encode(Interp *I, Value self, struct WireW *w, int to)
{
    const SharedObj *s = AS_USER(self)->p;
    if (!refuse_spread(I, self, to)) return false;
    wire_put_array(w, 2);
    if (!lib_wire_put(I, w, s->scheme, 0, to)) return false;
    put_sst(w, s->t);
    return true;
}

Value mpc_shared_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    const msgpack_object_array *a;
    if (!wire_get_array(r, o, 2, 2, &a)) return VERR;
    Value sv = lib_wire_get(I, r, &a->ptr[0]);
    if (IS_ERR(sv)) return VERR;
    if (!scheme_of(sv)) { val_release(sv); return wire_fail(r, "shares without their scheme"), VERR; }
    SsTensor *t = get_sst(I, r, &a->ptr[1]);
    if (!t) { val_release(sv); return VERR; }
    Value v = new_shared(t, sv);
    val_release(sv);
    return v;
}

/* [scheme value, x shares, y shares, nclasses, origin or nil] */
bool mpc_sds_encode(Interp *I, Value self, struct WireW *w, int to)
{
    const SharedDs *d = AS_USER(self)->p;
    if (!refuse_spread(I, self, to)) return false;
    wire_put_array(w, 5);
    if (!lib_wire_put(I, w, d->scheme, 0, to)) return false;
    put_sst(w, d->x); put_sst(w, d->y);
    wire_put_int(w, d->nclasses);
    if (d->origin) wire_put_cstr(w, d->origin); else wire_put_nil(w);
    return true;
}

Value mpc_sds_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    const msgpack_object_array *a;
    int64_t nc;
    if (!wire_get_array(r, o, 5, 5, &a) || !wire_get_int(r, &a->ptr[3], 0, 1 << 20, &nc)) return VERR;
    Value sv = lib_wire_get(I, r, &a->ptr[0]);
    if (IS_ERR(sv)) return VERR;
    SharedDs *d = xcalloc(1, sizeof *d);
    d->scheme = sv;
    d->nclasses = (int)nc;
    const char *s;
    size_t n;
    if (!scheme_of(sv)) wire_fail(r, "shares without their scheme");
    else if ((d->x = get_sst(I, r, &a->ptr[1])) && (d->y = get_sst(I, r, &a->ptr[2]))) {
        if (a->ptr[4].type == MSGPACK_OBJECT_NIL) return val_user(&lib_shared_ds_class, d);
        if (wire_get_str(r, &a->ptr[4], &s, &n)) {
            d->origin = xstrndup(s, n);
            return val_user(&lib_shared_ds_class, d);
        }
    }
    lib_shared_ds_class.free(d);
    return VERR;
}

/* [scheme value, network, [[W shares or nil, b shares or nil] per layer], diverged, steps] */
bool mpc_smodel_encode(Interp *I, Value self, struct WireW *w, int to)
{
    const SharedModel *m = AS_USER(self)->p;
    if (!refuse_spread(I, self, to)) return false;
    wire_put_array(w, 5);
    if (!lib_wire_put(I, w, m->scheme, 0, to)) return false;
    lib_nn_put_net(w, m->m->net);
    wire_put_array(w, (size_t)m->m->net->n);
    for (int l = 0; l < m->m->net->n; l++) {
        wire_put_array(w, 2);
        if (m->m->W[l]) put_sst(w, m->m->W[l]); else wire_put_nil(w);
        if (m->m->b[l]) put_sst(w, m->m->b[l]); else wire_put_nil(w);
    }
    wire_put_bool(w, m->diverged);
    wire_put_int(w, m->steps);
    return true;
}

Value mpc_smodel_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    const msgpack_object_array *a, *ls, *wb;
    bool div;
    int64_t steps;
    if (!wire_get_array(r, o, 5, 5, &a) || !wire_get_bool(r, &a->ptr[3], &div) ||
        !wire_get_int(r, &a->ptr[4], 0, INT64_MAX, &steps)) return VERR;
    Value sv = lib_wire_get(I, r, &a->ptr[0]);
    if (IS_ERR(sv)) return VERR;
    SharedModel *m = xcalloc(1, sizeof *m);
    m->scheme = sv; m->diverged = div; m->steps = (long)steps;
    m->m = xcalloc(1, sizeof *m->m);
    if (!scheme_of(sv)) { wire_fail(r, "shares without their scheme"); lib_shared_model_class.free(m); return VERR; }
    NnNet *net = lib_nn_get_net(r, &a->ptr[1]);
    if (!net) { lib_shared_model_class.free(m); return VERR; }
    m->m->W = xcalloc((size_t)net->n, sizeof *m->m->W);
    m->m->b = xcalloc((size_t)net->n, sizeof *m->m->b);
    m->m->net = net;
    bool ok = wire_get_array(r, &a->ptr[2], (size_t)net->n, (size_t)net->n, &ls);
    for (int l = 0; ok && l < net->n; l++) {
        ok = wire_get_array(r, &ls->ptr[l], 2, 2, &wb);
        if (ok && wb->ptr[0].type != MSGPACK_OBJECT_NIL) ok = (m->m->W[l] = get_sst(I, r, &wb->ptr[0])) != NULL;
        if (ok && wb->ptr[1].type != MSGPACK_OBJECT_NIL) ok = (m->m->b[l] = get_sst(I, r, &wb->ptr[1])) != NULL;
        if (ok && (m->m->W[l] ? m->m->W[l]->size != net->layer[l].wlen : net->layer[l].wlen != 0))
            ok = wire_fail(r, "layer %d's shares do not fit the network", l + 1);
    }
    if (!ok) { lib_shared_model_class.free(m); return VERR; }
    return val_user(&lib_shared_model_class, m);
}
