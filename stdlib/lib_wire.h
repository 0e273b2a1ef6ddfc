/*
** lib_wire.h — ppdl values on the wire: the payload encoding of every kind (see
** runtime/wire.h for the envelope and docs/parties.md "Wire format" for each kind) and
** the one way a value crosses to another party, lib_wire_send(): encode, hand the frame
** to the message layer (which records it with its real size), take it back out at the
** receiver and decode the receiver's own copy.  Runtime-defined kinds encode
** themselves through their VClass hooks (wire, encode, decode) in their modules.
*/
#ifndef LIB_WIRE_H
#define LIB_WIRE_H
#include "lib.h"
#include "wire.h"

/* Writes v as one payload object for party `to`.  Every item must live at `from` or be
** public (from 0: any).  False after err_raise (a kind that cannot travel, an item of
** another party, a private key for a non-keyholder). */
bool  lib_wire_put(Interp *I, WireW *w, Value v, int from, int to);
/* Reads one payload object: an owned, independent value (public: the caller places
** it), or VERR with r->e set. */
Value lib_wire_get(Interp *I, WireR *r, const msgpack_object *o);
/* A whole frame (envelope + payload of v); NULL after err_raise. */
uint8_t *lib_wire_frame(Interp *I, Value v, const char *kind, int from, int to, size_t *len);
/* Decodes a frame that came from party `from`: the value (made in I's heap, which becomes
** the current one), or VERR after err_raise with "malformed message from <from>: ..."
** (never a crash, whatever the bytes). */
Value lib_wire_read(Interp *I, const uint8_t *buf, size_t len, int from);
/* Sends v from `from` to `to` through the message layer: the receiver's own copy, placed
** at `to` (owned), or VERR after err_raise.  user: a user-level send (send, send_all). */
Value lib_wire_send(Interp *I, Value v, int from, int to, bool user);

/* Helpers for class codecs: a tensor as [shape, f32 bin]. */
void  lib_wire_put_tn(WireW *w, const Tn *t);
Tn   *lib_wire_get_tn(WireR *r, const msgpack_object *o);   /* NULL after wire_fail */
/* The classes that can travel, for decoding (NULL-terminated). */
extern const VClass *const lib_wire_classes[];

#endif
