/*
** lib_paillier.h — what the 'he' module (stdlib/lib_paillier.c) exports to other stdlib modules:
** the Paillier scheme and ciphertext kinds, so that protocols elsewhere (federated
** averaging with secure = he, PATE with aggregate = he) can encrypt, add and decrypt
** through the same keys and the same transcript rules.  Values follow val.h's rule:
** arguments borrowed, results owned, VERR after err_raise().
*/
#ifndef LIB_HE_H
#define LIB_HE_H
#include "lib.h"
#include "paillier.h"

/* type() "paillier scheme" and "ciphertext". */
extern const VClass lib_he_scheme_class, lib_he_ct_class;

/* The number of dimensions of a ciphertext value and its shape[0..ndim), or -1 if c is
** not a ciphertext. */
int   lib_he_shape(Value c, int *shape);
/* The public key of a scheme value (borrowed), or NULL if v is not a scheme. */
const PaiPub *lib_he_pub(Value scheme);
/* True when `party` may decrypt under the scheme (it is a keyholder and the private
** key is present). */
bool  lib_he_can_decrypt(Value scheme, int party);
/* The private key of a scheme as keyholder `party` holds it (its own store: the key
** ring), or NULL when `party` is not a keyholder of the scheme's key.  For protocols in
** which the keyholder's step decrypts (SPEED's key server). */
const PaiPriv *lib_he_priv(Interp *I, Value scheme, int party);
/* Empties I's key ring (ev_free, after its heap is closed): a scheme that outlives I no
** longer refers to it. */
void  lib_he_ring_close(Interp *I);
/* Builds the scheme's public fixed-base table (bulk encryption; idempotent). */
void  lib_he_precompute(Value scheme);
/* Encrypts a number or tensor x under the scheme at party `at` (the result lives
** there); NULL-safe errors are raised by name `who` (the calling builtin). */
Value lib_he_encrypt(Interp *I, const char *who, Value x, Value scheme, int at, bool packed);
/* Decrypts a ciphertext value at party `at` (an error naming the keyholder when `at`
** may not); a number for a 0-d ciphertext, else a tensor of its shape. */
Value lib_he_decrypt(Interp *I, const char *who, Value c, int at);
/* Sends a ciphertext value to party `to` through the message layer (lib_wire_send): a
** real frame, re-randomised, recorded with its size and digests; the receiver's decoded
** copy lives at `to`. */
Value lib_he_send(Interp *I, Value c, int to);

#endif
