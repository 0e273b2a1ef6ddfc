/*
** lib_paillier_impl.h — the 'he' module's private header, shared by its four files and by no
** other module (they use lib_paillier.h): the scheme and ciphertext payloads and the helpers
** the files call across.  lib_paillier.c owns the two kinds, their operators and the builtins
** paillier, encrypt, decrypt, sums and sends; lib_paillier_blind.c the blinded round trips
** (he_mul, he_matmul, he_rescale); lib_paillier_file.c python-paillier's file formats;
** lib_paillier_wire.c the wire codecs of both kinds and the key ring.
*/
#ifndef LIB_HE_IMPL_H
#define LIB_HE_IMPL_H
#include "lib_paillier.h"

typedef struct HeScheme {
    PaiPub pub;
    PaiPriv priv;
    int has_priv;
    uint64_t keyholders;        /* bit i: party i holds the private key */
    int frac_exp;               /* fixed point: values are m * 16^frac_exp */
    double range;               /* |x| <= range for everything encrypted (public) */
    unsigned headroom;          /* packing: log2 of additions without carry */
    int threads;
    Interp *ring;               /* the interpreter whose key ring lists it, or NULL */
} HeScheme;

typedef struct HeCt {
    Value scheme;               /* owned reference: keeps the keys alive */
    HeScheme *s;                /* borrowed from scheme */
    PaiVec *v;
    int ndim, shape[TN_MAXDIM];
} HeCt;

/* The generator a party draws from (its masks, noise and re-randomisation).  One place
** to change when parties get generators of their own (ev_rng). */
static inline Rng *he_rng(Interp *I, int party) { return ev_rng(I, party); }
/* The payload of a scheme or ciphertext value, or NULL when v is not one. */
static inline HeScheme *he_scheme_of(Value v) { return val_user_as(v, &lib_he_scheme_class); }
static inline HeCt *he_ct_of(Value v) { return val_user_as(v, &lib_he_ct_class); }
/* The runtime's options for work under s (its threads, the interpreter's interrupt). */
static inline PaiOpts he_opts(Interp *I, const HeScheme *s)
{
    return (PaiOpts){ .threads = s->threads, .interrupt = I->interrupt };
}

/* --- lib_paillier.c --- */
HeScheme *he_scheme_alloc(void);            /* empty keys; free with he_scheme_free */
void  he_scheme_free(void *p);              /* wipes the private key, leaves the key ring */
/* A new ciphertext value (owned) taking v; scheme is retained. */
Value he_ct_new(Value scheme, PaiVec *v, int ndim, const int *shape, int owner);
/* Raises the message for a runtime error, naming the operation and saying what to do
** for the codes a user can act on (s may be NULL). */
Value he_fail(Interp *I, const char *what, const RtErr *e, const HeScheme *s);
/* Raises the refusal of an operation on packed ciphertexts. */
Value he_packed(Interp *I, const char *what);
/* The refusal of a decryption (or a helper) at `at` (0: the top level). */
Value he_not_keyholder(Interp *I, const char *who, const HeScheme *s, int at);
/* "alice, bob and carol" for a keyholder mask (last_sep between the last two). */
void  he_holders_names(Interp *I, uint64_t mask, Sb *b, const char *last_sep);
/* keyholder = party or [parties] into a mask; the precision, range, headroom and threads
** keywords into s.  False after raising the error. */
bool  he_holders_arg(Interp *I, Args *a, Value *v, uint64_t *mask);
bool  he_options(Interp *I, Args *a, HeScheme *s);
/* False (after raising) when a and b are under different keys. */
bool  he_same_key(Interp *I, const HeCt *a, const HeCt *b);
/* numpy broadcasting of shapes sa and sb: the result shape so[0..*no) and, for each of
** its *nout items, the items ia and ib of the operands (malloc'd); false if they do not
** broadcast. */
bool  he_bcast(const int *sa, int na, const int *sb, int nb, int *so, int *no,
               size_t **ia, size_t **ib, size_t *nout);
Value he_shape_error(Interp *I, const char *op, const int *sa, int na, const int *sb, int nb);

/* --- lib_paillier_wire.c --- */
/* The key ring (Interp.keyring): an interpreter's schemes with their private keys, as its
** parties hold them (a simulator's ring), so that a scheme arriving at a keyholder gets
** its key from here and private keys never travel, nor pass to another interpreter in
** the same process.  he_keyring_add lists s in I's ring; he_keyring_drop takes it out of
** the ring it is in (none: nothing).  he_keyholder_scheme is s itself when it holds the
** private key, else the scheme of I's ring for the same public key, else NULL. */
void  he_keyring_add(Interp *I, HeScheme *s);
void  he_keyring_drop(HeScheme *s);
const HeScheme *he_keyholder_scheme(Interp *I, const HeScheme *s);
/* The private key of a scheme its keyholders share (Phong et al.): keyholder `from`, who
** generated or read it, sends it to each other keyholder, one recorded message of kind
** "key" each (phase "offline", one round): [p, q], each a bin of ceil(bits(n)/8) bytes,
** so that a frame's size depends on the key's length only and a process standing in for
** `from` (it has no private key: zeros) records the same size.  Every process runs it;
** in a receiving keyholder's own process the key becomes s's.  False after raising. */
bool  he_share_key(Interp *I, HeScheme *s, int from);
/* The VClass wire hooks of the two kinds (see val.h). */
bool  he_scheme_encode(Interp *I, Value self, struct WireW *w, int to);
Value he_scheme_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);
bool  he_ct_encode(Interp *I, Value self, struct WireW *w, int to);
Value he_ct_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);

#endif
