/*
** lib_wire.c — ppdl values on the wire (see lib_wire.h).  This file owns the payload
** encoding of the built-in kinds (none, bool, number, string, list, record, range,
** tensor, party), the dispatch to the runtime-defined kinds' codecs, and
** lib_wire_send(), which every value that reaches another party goes through.  The
** envelope, limits and size formulas are runtime/wire.c's; the transcript is
** runtime/message.c's.
*/
#include "lib_wire.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib_data.h"
#include "lib_dp.h"
#include "lib_paillier.h"
#include "lib_shares.h"
#include "lib_network.h"

const VClass *const lib_wire_classes[] = {
    &lib_he_scheme_class, &lib_he_ct_class, &lib_ss_scheme_class, &lib_shared_class,
    &lib_shared_ds_class, &lib_shared_model_class, &lib_layer_class, &lib_network_class,
    &lib_model_class, &lib_approx_class, &lib_dataset_class, &lib_dp_budget_class, NULL
};

/* --- tensors (also used by class codecs) ------------------------------------------------ */

void lib_wire_put_tn(WireW *w, const Tn *t)
{
    wire_put_array(w, 2);
    wire_put_array(w, (size_t)t->ndim);
    for (int i = 0; i < t->ndim; i++) wire_put_int(w, t->shape[i]);
    wire_put_f32s(w, t->data, t->size);
}

Tn *lib_wire_get_tn(WireR *r, const msgpack_object *o)
{
    const msgpack_object_array *a, *s;
    int shape[TN_MAXDIM];
    RtErr err;
    if (!wire_get_array(r, o, 2, 2, &a) || !wire_get_array(r, &a->ptr[0], 0, TN_MAXDIM, &s)) return NULL;
    for (uint32_t i = 0; i < s->size; i++) {
        int64_t d;
        if (!wire_get_int(r, &s->ptr[i], 0, INT32_MAX, &d)) return NULL;
        shape[i] = (int)d;
    }
    if (tn_shape_check((int)s->size, shape, &err) != 0) { wire_fail(r, "tensor: %s", err.msg); return NULL; }
    size_t n = 0;
    if (!wire_get_count(r, &a->ptr[1], 4, &n)) return NULL;
    size_t want = 1;
    for (uint32_t i = 0; i < s->size; i++) want *= (size_t)shape[i];
    if (n != want) { wire_fail(r, "a tensor of %zu values carries %zu", want, n); return NULL; }
    Tn *t = tn_new((int)s->size, shape);        /* bounded: n floats are in the frame */
    if (!wire_get_f32s(r, &a->ptr[1], t->data, n)) { tn_free(t); return NULL; }
    return t;
}

/* --- encoding ------------------------------------------------------------------------ */

/* The party v lives at (0: public).  The one place this file reads an owner: with
** per-party stores, the store's accessor belongs here. */
static int owner_of(Value v) { return val_owner(v); }

static bool put(Interp *I, WireW *w, Value v, int from, int to, int depth)
{
    if (depth > WIRE_MAX_DEPTH - 4) {
        err_raise(I, "send: the value is nested more than %d deep", WIRE_MAX_DEPTH - 4);
        return false;
    }
    int at = owner_of(v);
    if (from && at && at != from) {
        err_raise(I, "send: part of the value lives at %s, not at the sender %s (each party sends "
                  "its own values)", ev_party_name(I, at), ev_party_name(I, from));
        return false;
    }
    switch ((ValTag)v.tag) {
    case V_NONE: wire_put_nil(w); return true;
    case V_BOOL: wire_put_bool(w, v.as.b); return true;
    case V_NUM: {
        double x = v.as.n;
        if (x == floor(x) && fabs(x) < 9007199254740992.0 && !(x == 0 && signbit(x)))
            wire_put_int(w, (int64_t)x);
        else wire_put_double(w, x);
        return true;
    }
    case V_STR: wire_put_str(w, AS_STR(v)->s, AS_STR(v)->len); return true;
    case V_LIST: {
        ObjList *l = AS_LIST(v);
        wire_put_array(w, l->n);
        for (size_t i = 0; i < l->n; i++) if (!put(I, w, l->v[i], from, to, depth + 1)) return false;
        return true;
    }
    case V_REC: {
        ObjRec *r = AS_REC(v);
        wire_put_map(w, r->n);
        for (size_t i = 0; i < r->n; i++) {
            wire_put_cstr(w, r->k[i]->name);
            if (!put(I, w, r->v[i], from, to, depth + 1)) return false;
        }
        return true;
    }
    case V_RANGE: {
        WireW b; wire_w_init(&b);
        wire_put_array(&b, 3);
        wire_put_double(&b, AS_RANGE(v)->lo); wire_put_double(&b, AS_RANGE(v)->hi);
        wire_put_double(&b, AS_RANGE(v)->step);
        wire_put_ext(w, WIRE_EXT_RANGE, &b);
        return true;
    }
    case V_TENSOR: {
        WireW b; wire_w_init(&b);
        lib_wire_put_tn(&b, AS_TENSOR(v));
        wire_put_ext(w, WIRE_EXT_TENSOR, &b);
        return true;
    }
    case V_PARTY: {
        WireW b; wire_w_init(&b);
        wire_put_array(&b, 2);
        wire_put_int(&b, v.as.i);
        wire_put_cstr(&b, ev_party_name(I, (int)v.as.i));
        wire_put_ext(w, WIRE_EXT_PARTY, &b);
        return true;
    }
    case V_OBJ: {
        const VClass *c = AS_USER(v)->cls;
        if (!c->wire || !c->encode) {
            err_raise(I, "send: a %s cannot be sent to another party", c->name);
            return false;
        }
        WireW b; wire_w_init(&b);
        if (!c->encode(I, v, &b, to)) { wire_w_free(&b); return false; }
        wire_put_ext(w, c->wire, &b);
        return true;
    }
    case V_FUNC: case V_BUILTIN:
        err_raise(I, "send: a function cannot be sent to another party (send the values it needs; "
                  "every party runs the same script)");
        return false;
    case V_ERR: break;
    }
    err_raise(I, "send: this value cannot be sent");
    return false;
}

bool lib_wire_put(Interp *I, WireW *w, Value v, int from, int to) { return put(I, w, v, from, to, 0); }

/* --- decoding ------------------------------------------------------------------------ */

static Value get_ext(Interp *I, WireR *r, const msgpack_object *o)
{
    int8_t type;
    const msgpack_object *b;
    if (!wire_get_ext(r, o, &type, &b)) return VERR;
    switch (type) {
    case WIRE_EXT_RANGE: {
        const msgpack_object_array *a;
        double x[3];
        if (!wire_get_array(r, b, 3, 3, &a)) return VERR;
        for (int i = 0; i < 3; i++) if (!wire_get_double(r, &a->ptr[i], &x[i])) return VERR;
        if (!isfinite(x[0]) || !isfinite(x[1]) || !isfinite(x[2]) || x[2] == 0)
            return wire_fail(r, "a range needs finite bounds and a step other than 0"), VERR;
        return val_range(x[0], x[1], x[2]);
    }
    case WIRE_EXT_TENSOR: {
        Tn *t = lib_wire_get_tn(r, b);
        return t ? val_tensor(t) : VERR;
    }
    case WIRE_EXT_PARTY: {
        const msgpack_object_array *a;
        int64_t id;
        const char *s;
        size_t n;
        if (!wire_get_array(r, b, 2, 2, &a) || !wire_get_int(r, &a->ptr[0], 1, I->nparties, &id) ||
            !wire_get_str(r, &a->ptr[1], &s, &n)) return VERR;
        const char *mine = ev_party_name(I, (int)id);
        if (strlen(mine) != n || memcmp(mine, s, n) != 0)
            return wire_fail(r, "party %lld is '%.*s' there but '%s' here", (long long)id, (int)(n > 40 ? 40 : n), s, mine), VERR;
        return VPARTY(id);
    }
    default:
        for (int i = 0; lib_wire_classes[i]; i++)
            if (lib_wire_classes[i]->wire == type && lib_wire_classes[i]->decode)
                return lib_wire_classes[i]->decode(I, r, b);
        return wire_fail(r, "unknown kind (ext type %d)", type), VERR;
    }
}

Value lib_wire_get(Interp *I, WireR *r, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return VNONE;
    case MSGPACK_OBJECT_BOOLEAN: return VBOOL(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    case MSGPACK_OBJECT_FLOAT32: case MSGPACK_OBJECT_FLOAT64: {
        double x;
        return wire_get_double(r, o, &x) ? VNUM(x) : VERR;
    }
    case MSGPACK_OBJECT_STR: return val_str(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_ARRAY: {
        Value l = val_list(o->via.array.size);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            Value x = lib_wire_get(I, r, &o->via.array.ptr[i]);
            if (IS_ERR(x)) { val_release(l); return VERR; }
            val_list_push(l, x);
        }
        return l;
    }
    case MSGPACK_OBJECT_MAP: {
        Value rec = val_rec();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const char *k;
            size_t n;
            if (!wire_get_str(r, &o->via.map.ptr[i].key, &k, &n)) { val_release(rec); return VERR; }
            if (!n || memchr(k, 0, n)) { val_release(rec); return wire_fail(r, "a record field needs a name"), VERR; }
            Value x = lib_wire_get(I, r, &o->via.map.ptr[i].val);
            if (IS_ERR(x)) { val_release(rec); return VERR; }
            val_rec_set(rec, sym_intern(&I->syms, k, n), x);
        }
        return rec;
    }
    case MSGPACK_OBJECT_EXT: return get_ext(I, r, o);
    case MSGPACK_OBJECT_BIN: break;
    }
    return wire_fail(r, "a %s is not a ppdl value", wire_type_name(o)), VERR;
}

/* --- frames and sending --------------------------------------------------------------- */

uint8_t *lib_wire_frame(Interp *I, Value v, const char *kind, int from, int to, size_t *len)
{
    WireW w;
    wire_w_init(&w);
    wire_put_envelope(&w, &(WireHdr){ .kind = kind, .from = from, .to = to, .round = 0 });
    if (!lib_wire_put(I, &w, v, from, to)) { wire_w_free(&w); return NULL; }
    return wire_w_take(&w, len);
}

Value lib_wire_read(Interp *I, const uint8_t *buf, size_t len, int from)
{
    WireR r;
    WireHdr h;
    const msgpack_object *payload;
    val_use_heap(&I->heap);             /* the value is I's, whichever interpreter ran last */
    wire_r_init(&r, ev_party_name(I, from));
    Value v = VERR;
    if (wire_open_frame(&r, buf, len, &h, &payload)) {
        if (h.from != from) wire_fail(&r, "it claims to come from party %d", h.from);
        else v = lib_wire_get(I, &r, payload);
    }
    if (IS_ERR(v)) {
        if (!r.failed) wire_fail(&r, "unreadable");
        err_raise(I, "%s", r.e.msg);
    }
    wire_r_free(&r);
    return v;
}

/* True when every private part of v is hidden from its receiver (ciphertexts, shares,
** keys and schemes): then a send is not a plaintext leak. */
static bool hidden(Value v)
{
    if (v.tag == V_LIST) {
        for (size_t i = 0; i < AS_LIST(v)->n; i++) if (!hidden(AS_LIST(v)->v[i])) return false;
        return true;
    }
    if (v.tag == V_REC) {
        for (size_t i = 0; i < AS_REC(v)->n; i++) if (!hidden(AS_REC(v)->v[i])) return false;
        return true;
    }
    if (v.tag == V_OBJ) {
        switch (AS_USER(v)->cls->wire) {
        case WIRE_EXT_CIPHERTEXT: case WIRE_EXT_HE_SCHEME: case WIRE_EXT_SS_SCHEME:
        case WIRE_EXT_SHARED: case WIRE_EXT_SHARED_DATASET: case WIRE_EXT_SHARED_MODEL:
            return true;
        default: break;
        }
    }
    return v.tag == V_PARTY || v.tag == V_NONE;
}

/* Whether anything inside v is private (lives at a party). */
static bool private(Value v)
{
    if (owner_of(v)) return true;
    if (v.tag == V_LIST)
        for (size_t i = 0; i < AS_LIST(v)->n; i++) if (private(AS_LIST(v)->v[i])) return true;
    if (v.tag == V_REC)
        for (size_t i = 0; i < AS_REC(v)->n; i++) if (private(AS_REC(v)->v[i])) return true;
    return false;
}

Value lib_wire_send(Interp *I, Value v, int from, int to, bool user)
{
    const char *kind = v.tag == V_OBJ ? AS_USER(v)->cls->name : "plain";
    size_t len;
    uint8_t *frame = lib_wire_frame(I, v, kind, from, to, &len);
    if (!frame) return VERR;
    bool leak = private(v) && !hidden(v);
    long idx = msg_send_frame(&I->msg, from, to, kind, user, leak, NULL, frame, len);
    if (idx < 0) return err_raise(I, "send: the %s transport could not carry the message to %s",
                                  I->msg.tp->name, ev_party_name(I, to));
    uint8_t *got;
    size_t n;
    if (msg_receive(&I->msg, from, to, &got, &n) != 0)
        return err_raise(I, "send: the message to %s was lost", ev_party_name(I, to));
    Value c = lib_wire_read(I, got, n, from);
    free(got);
    if (IS_ERR(c)) return VERR;
    val_place(&c, to, idx);
    /* what the receiver got, as it would display it (ciphertexts: digests) */
    Sb d; sb_init(&d);
    if (c.tag == V_OBJ && AS_USER(c)->cls->show) AS_USER(c)->cls->show(I, AS_USER(c)->p, &d, 0);
    else val_show(I, c, &d, false);
    if (d.n > 120) { d.n = 117; d.s[117] = 0; sb_puts(&d, "..."); }
    if (c.tag == V_OBJ && AS_USER(c)->cls->wire_note) sb_printf(&d, " (%s)", AS_USER(c)->cls->wire_note);
    msg_describe(&I->msg, (size_t)idx, d.s);
    sb_free(&d);
    return c;
}
