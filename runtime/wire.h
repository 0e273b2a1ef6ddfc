/*
** wire.h — the wire format: how a message looks in bytes, on msgpack-c.  A frame is
** one msgpack array, the ENVELOPE, whose last element is the PAYLOAD:
**
**     [ "ppdl", version, kind, from, to, round, payload ]
**
** with version a positive fixint (WIRE_VERSION), kind a str (the transcript's message
** kind: "plain", "share", "open", "ciphertext", ...), from and to fixed-width uint16
** party ids, round a fixed-width uint32 (so an envelope's size depends only on its
** kind).  Payloads use msgpack's own types for what msgpack has (nil, bool, integers,
** float64, str, array = list, map with str keys = record) and an ext type a kind for
** the rest (WIRE_EXT_*: ranges, tensors, parties and every runtime-defined kind), whose
** body is itself one msgpack object.  docs/parties.md ("Wire format") lists each kind.
**
** This file owns the envelope, the size formulas protocol code uses to record real
** sizes without encoding, the writer and a reader that never trusts its input: a frame
** is pre-scanned (every declared length against the bytes left, nesting depth, frame
** size) BEFORE msgpack-c allocates anything, and every getter checks type and bounds,
** so a malformed frame is an error naming the sender, never a crash.  It does not know
** about ppdl values: stdlib/lib_wire.c maps values to and from this format.
*/
#ifndef WIRE_H
#define WIRE_H
#include "error.h"
#include <gmp.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC      "ppdl"
#define WIRE_VERSION    1
#define WIRE_MAX_FRAME  ((size_t)1 << 30)   /* largest frame accepted: 1 GiB */
#define WIRE_MAX_DEPTH  64                  /* deepest nesting accepted */

/* Ext type codes (msgpack ext types 0..127 are the application's). */
enum {
    WIRE_EXT_RANGE = 1, WIRE_EXT_TENSOR = 2, WIRE_EXT_PARTY = 3,
    WIRE_EXT_HE_SCHEME = 16, WIRE_EXT_CIPHERTEXT = 17,
    WIRE_EXT_SS_SCHEME = 20, WIRE_EXT_SHARED = 21, WIRE_EXT_SHARED_DATASET = 22,
    WIRE_EXT_SHARED_MODEL = 23,
    WIRE_EXT_LAYER = 30, WIRE_EXT_NETWORK = 31, WIRE_EXT_MODEL = 32, WIRE_EXT_APPROX = 33,
    WIRE_EXT_DATASET = 40, WIRE_EXT_DP_BUDGET = 41,
    WIRE_EXT_PUBLIC = 98,             /* a public byte string: a bin that skeletons keep */
    WIRE_EXT_ZEROS = 99               /* a skeleton's bin: its size only (wire_skeleton) */
};

/* The envelope's fields (kind is borrowed). */
typedef struct WireHdr {
    const char *kind;
    int from, to;
    uint32_t round;
} WireHdr;

/* --- sizes: what msgpack writes, without writing it ----------------------------- */
uint64_t wire_size_envelope(const char *kind);  /* everything but the payload */
uint64_t wire_size_bin(uint64_t n);             /* a bin of n bytes */
uint64_t wire_size_str(uint64_t n);             /* a str of n bytes */
uint64_t wire_size_array(uint64_t n);           /* an array header of n items */
uint64_t wire_size_ext(uint64_t n);             /* an ext of an n-byte body */
/* k ring elements (Z_2^64 or F_p shares, masks, openings): a bin of 8k bytes, little
** endian — how share vectors travel. */
uint64_t wire_size_ring(uint64_t k);
/* k residues of `bits` bits each (Paillier ciphertexts mod n^2 have 2*bits(n)): an array
** of k bins of ceil(bits/8) bytes, big endian. */
uint64_t wire_size_mpz_vec(uint64_t k, unsigned bits);

/* --- writing ----------------------------------------------------------------------- */
typedef struct WireW {
    msgpack_sbuffer buf;        /* the bytes so far (buf.data, buf.size) */
    msgpack_packer pk;
} WireW;

void wire_w_init(WireW *w);
void wire_w_free(WireW *w);
/* Hands the bytes to the caller (malloc'd, *len set) and leaves w empty. */
uint8_t *wire_w_take(WireW *w, size_t *len);
/* Writes the envelope up to the payload: the caller writes exactly one object next. */
void wire_put_envelope(WireW *w, const WireHdr *h);
void wire_put_nil(WireW *w);
void wire_put_bool(WireW *w, bool b);
void wire_put_int(WireW *w, int64_t x);         /* smallest msgpack integer */
void wire_put_uint(WireW *w, uint64_t x);
void wire_put_double(WireW *w, double x);       /* float64 */
void wire_put_str(WireW *w, const char *s, size_t n);
void wire_put_cstr(WireW *w, const char *s);
void wire_put_bin(WireW *w, const void *p, size_t n);
void wire_put_array(WireW *w, size_t n);        /* header; n objects follow */
void wire_put_map(WireW *w, size_t n);          /* header; n key/value pairs follow */
void wire_put_f32s(WireW *w, const float *x, size_t n);     /* bin, little endian */
void wire_put_f64s(WireW *w, const double *x, size_t n);    /* bin, little endian */
void wire_put_u64s(WireW *w, const uint64_t *x, size_t n);  /* bin, little endian */
void wire_put_mpz(WireW *w, const mpz_t x);     /* [sign, bin magnitude big endian] */
/* A PUBLIC integer (a public key's modulus): [sign, ext WIRE_EXT_PUBLIC wrapping the
** bin], which wire_skeleton keeps; wire_get_mpz reads both forms. */
void wire_put_public_mpz(WireW *w, const mpz_t x);
/* k residues of `bytes` bytes each (0 <= x < 256^bytes): an array of k bins, big endian
** (wire_size_mpz_vec's layout). */
void wire_put_residues(WireW *w, mpz_t *x, size_t k, size_t bytes);
/* Ext: write the body into a fresh writer, then wire_put_ext() wraps it and frees it. */
void wire_put_ext(WireW *w, int8_t type, WireW *body);

/* --- reading ----------------------------------------------------------------------- */
typedef struct WireR {
    msgpack_zone zone;          /* every object unpacked from this frame */
    const char *sender;         /* for messages: "alice" (borrowed) */
    int to;                     /* the receiving party (from the envelope), 0: unknown */
    RtErr e;                    /* why reading failed (set once; RT_EFORMAT) */
    bool failed;                /* e.code != RT_OK */
} WireR;

/* Prepares a reader; sender names the party the bytes came from (borrowed). */
void wire_r_init(WireR *r, const char *sender);
void wire_r_free(WireR *r);
/* Records the first failure ("malformed message from alice: <why>") and returns false. */
bool wire_fail(WireR *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Checks buf[0..len) is exactly one well-formed msgpack object within the limits
** (lengths against the bytes left, depth, ext bodies recursively) without allocating. */
bool wire_check(WireR *r, const uint8_t *buf, size_t len, size_t max);
/* Opens a frame: checks it, unpacks it, verifies magic and version, fills *h (kind
** points into the reader's zone) and *payload.  False with r->e on any defect. */
bool wire_open_frame(WireR *r, const uint8_t *buf, size_t len, WireHdr *h,
                     const msgpack_object **payload);

/* Typed getters: true and the value, or false with r->e ("expected ..., got ..."). */
bool wire_get_double(WireR *r, const msgpack_object *o, double *x);  /* int or float */
bool wire_get_int(WireR *r, const msgpack_object *o, int64_t lo, int64_t hi, int64_t *x);
bool wire_get_bool(WireR *r, const msgpack_object *o, bool *b);
bool wire_get_str(WireR *r, const msgpack_object *o, const char **s, size_t *n);
bool wire_get_bin(WireR *r, const msgpack_object *o, const void **p, size_t *n);
/* An array of between lo and hi items. */
bool wire_get_array(WireR *r, const msgpack_object *o, size_t lo, size_t hi,
                    const msgpack_object_array **a);
bool wire_get_map(WireR *r, const msgpack_object *o, const msgpack_object_map **m);
/* Exactly n floats / doubles / uint64s from a bin (little endian) into x[0..n). */
bool wire_get_f32s(WireR *r, const msgpack_object *o, float *x, size_t n);
bool wire_get_f64s(WireR *r, const msgpack_object *o, double *x, size_t n);
bool wire_get_u64s(WireR *r, const msgpack_object *o, uint64_t *x, size_t n);
/* The element count of a bin holding 8-byte (f64/u64) or 4-byte (f32) items. */
bool wire_get_count(WireR *r, const msgpack_object *o, size_t item, size_t *n);
bool wire_get_mpz(WireR *r, const msgpack_object *o, mpz_t x);     /* x initialised */
/* Exactly k residues, each a bin of at most `bytes` bytes, into x[0..k) (initialised). */
bool wire_get_residues(WireR *r, const msgpack_object *o, mpz_t *x, size_t k, size_t bytes);
/* An ext: its type and its body unpacked as one object (in the reader's zone). */
bool wire_get_ext(WireR *r, const msgpack_object *o, int8_t *type, const msgpack_object **body);

/* A static English name of a msgpack object type ("array", "str", ...). */
const char *wire_type_name(const msgpack_object *o);

/* --- skeletons ------------------------------------------------------------------
** The SKELETON of a frame is the frame with the contents of every bin removed (inside
** ext bodies too): a bin of n bytes becomes an ext of type WIRE_EXT_ZEROS whose body is
** n.  It keeps what another process needs to build a stand-in of the same kind and
** shape (the structure, strings, integers, float scalars) and none of the bytes a
** party's data is made of (tensor values, ciphertexts, private key material are all
** bins).  The one exception is a bin the writer declared public by wrapping it in an
** ext of type WIRE_EXT_PUBLIC (wire_put_public_mpz: a public key, which the other
** processes need whole to encrypt under it): it is kept as it is.
** wire_flesh() turns a skeleton back into a frame whose bins are all zeros, refusing
** one that would grow past max bytes.  Both: NULL and r->e when the input is
** malformed (it is checked as wire_check does). */
uint8_t *wire_skeleton(WireR *r, const uint8_t *frame, size_t len, size_t *out);
uint8_t *wire_flesh(WireR *r, const uint8_t *skel, size_t len, size_t max, size_t *out);

#endif
