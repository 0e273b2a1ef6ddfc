/*
** lib_shares_impl.h — the 'mpc' module's private header, shared by its two files and by no
** other module (they use lib_shares.h): the payloads of its four kinds, the runtime context
** a builtin runs the protocols in, and the wire codecs.  lib_shares.c owns the kinds, their
** operators and the builtins; lib_shares_wire.c the codecs.
*/
#ifndef LIB_SHARES_IMPL_H
#define LIB_SHARES_IMPL_H
#include "lib_shares.h"
#include "ev.h"
#include "mem.h"
#include <string.h>

typedef struct SchemeObj { SsScheme sc; uint32_t dropped; } SchemeObj;
typedef struct SharedObj {
    SsTensor *t; Value scheme;
    /* across processes: each holder's share digest as its own process computed it
       (shared_peek; bit i of shown set), for show() */
    uint32_t shown; uint64_t digest[SS_MAXP];
} SharedObj;
typedef struct SharedDs { SsTensor *x, *y; int nclasses; Value scheme; char *origin; } SharedDs;
typedef struct SharedModel { SsModel *m; Value scheme; int diverged; long steps; } SharedModel;

/* Each party's steps draw from that party's own generator (docs/parties.md). */
static inline Rng *party_rng(void *u, int party) { return ev_rng(u, party); }

/* The runtime context a builtin runs a protocol in: the interpreter's message layer,
** each party's generator and its key ring of dealer-free triples (made on first use);
** its err is the protocol's message (ss_fail raises it). */
static inline SsCtx ctx_of(Interp *I)
{
    SsCtx c;
    memset(&c, 0, sizeof c);
    if (!I->ss_keys) I->ss_keys = ss_pai_keys_new();
    c.msg = &I->msg; c.rng = ev_rng(I, 0); c.nthreads = 0;
    c.pai_keys = I->ss_keys;
    c.party_rng = party_rng; c.party_rng_u = I;
    /* across processes another party's shares are stand-ins: the simulator's overflow
       check, which reads every share, cannot be made (runtime/shares.h) */
    c.no_sim_check = I->mirror_self != NULL;
    c.self = rep_self(I);
    return c;
}

/* The scheme payload of v, or NULL when v is not a scheme. */
static inline SchemeObj *scheme_of(Value v) { return val_user_as(v, &lib_ss_scheme_class); }

/* A new shared tensor value (owned) taking t; scheme is retained. */
static inline Value new_shared(SsTensor *t, Value scheme)
{
    SharedObj *s = xcalloc(1, sizeof *s);
    s->t = t;
    s->scheme = val_retain(scheme);
    return val_user(&lib_shared_class, s);
}

/* --- lib_shares_wire.c: the VClass wire hooks of the four kinds (see val.h) --- */
bool  mpc_scheme_encode(Interp *I, Value self, struct WireW *w, int to);
Value mpc_scheme_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);
bool  mpc_shared_encode(Interp *I, Value self, struct WireW *w, int to);
Value mpc_shared_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);
bool  mpc_sds_encode(Interp *I, Value self, struct WireW *w, int to);
Value mpc_sds_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);
bool  mpc_smodel_encode(Interp *I, Value self, struct WireW *w, int to);
Value mpc_smodel_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);

#endif
