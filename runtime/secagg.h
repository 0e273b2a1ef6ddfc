/*
** secagg.h — secure aggregation (Bonawitz et al., "Practical Secure Aggregation for
** Privacy-Preserving Machine Learning", CCS 2017), the semi-honest protocol: n clients
** each hold a vector of m numbers, a server learns their sum and nothing else, and the
** sum still comes out when up to n - t clients drop out.  It runs as rounds of per-party
** steps over the message layer (message.h): every frame is real (wire.h's envelope and
** one msgpack bin), recorded with its true size, and each step reads only its own
** party's state (a Client or the Server struct in secagg.c) and its inbox.  Not here:
** parties' names, tensors and the builtin (stdlib/lib_secagg.c).
**
** The four protocol rounds, each a client upload then the server's relay (seven rounds
** of the message layer):
**   1 advertise keys   client u -> server  "keys"       c_u^PK || s_u^PK        (64 B)
**                      server -> client v  "keys"       per client in U1: id || c^PK || s^PK
**   2 share keys       client u -> server  "shares"     per other v in U1: v || AE_{u,v}(u || v
**                                                       || share_v(sigma_u) || share_v(b_u))
**                      server -> client v  "shares"     per other u in U2: u || AE_{u,v}(...)
**   3 masked input     client u -> server  "masked"     y_u = x_u + PRG(b_u)
**                                                       + sum_{v in U2} +-PRG(s_{u,v}) mod 2^32
**                      server -> client v  "survivors"  the ids of U3
**   4 unmasking        client v -> server  "unmask"     per u in U2: u || share_v(sigma_u) if
**                                                       u dropped (not in U3), else share_v(b_u)
** then the server reconstructs b_u for u in U3 and sigma_u for u in U2 \ U3 from t shares,
** removes the self-masks and the dropped clients' pairwise masks, and decodes.  Ids are
** uint16 and share elements uint64, little endian.  U1 ⊇ U2 ⊇ U3 ⊇ U5 are the clients
** heard from in rounds 1..4; the server stops when any has fewer than t members.
**
** Primitives (libsodium): X25519 (crypto_scalarmult) for the mask keys s_u, whose shared
** secret is hashed with both public keys (BLAKE2b, crypto_generichash) into the seed of
** a pairwise mask; crypto_box (X25519 + XSalsa20-Poly1305) keyed by c_u for the shares;
** ChaCha20 (crypto_stream_chacha20) expands seeds into masks.  The mask secret key is
** derived from sigma_u, four elements of F_p (p = 2^61 - 1, 244 bits), so that a key
** shares as four field elements (32 bytes, the paper's a_S = 256 bits); the self-mask seed
** b_u is four field elements too.  Shamir: t-out-of-n (a degree t - 1 polynomial),
** client i's point is i + 1 (its place in the client list).
**
** Fixed point: x -> round(x * scale) in Z_2^32 (two's complement).  Each client checks
** |round(x * scale)| <= floor((2^31 - 1) / n) before taking part, so the sum of any
** subset of the n inputs stays in (-2^31, 2^31) and decodes exactly; a larger value is
** refused.  Z_2^32 keeps the masked vector the size of the float32 update (Z_2^64 would
** double it).
**
** Security notes.
**  - Semi-honest: parties follow the protocol; the server may be curious and may collude
**    with fewer than t clients.  No signatures and no consistency round (the paper's
**    malicious variant): a server that lies about who dropped out is not caught.  Hence
**    t > n/2 is required: the only way a semi-honest-looking server could get both kinds
**    of shares of one client is to tell two groups of t clients different dropout lists
**    (a late message looks like a dropout); with t > n/2 any two groups of t overlap.
**  - Double masking: for each client the server asks for shares of b_u (it sent y_u) or of
**    sigma_u (it did not), never both; every client answers one share a client, so
**    neither the server nor fewer than t colluding clients can strip both masks.
**  - Shares travel encrypted and authenticated end to end (crypto_box); the nonce is
**    derived from (sender, receiver): keys are fresh in every run, and each direction of
**    a pair encrypts exactly one message.
**  - Randomness: each party draws from its own generator (SaRun.rng); with a seeded
**    generator every key and mask is predictable (teaching and tests only).  Keys, seeds
**    and masks are wiped (sodium_memzero) when a run ends and never printed.
**  - SaRun.flaw deliberately breaks the protocol, for the attacker tests only.
*/
#ifndef SECAGG_H
#define SECAGG_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "rng.h"

struct Msg;

#define SA_MAXN     1000            /* most clients in one run */
#define SA_MAXM     (1u << 26)      /* longest vector */
#define SA_KEY      32              /* an X25519 public key */
#define SA_SHARE    32              /* one share of a secret: four F_p elements */
#define SA_BOX      (4 + 2 * SA_SHARE + 16)  /* u || v || two shares, plus the MAC */
#define SA_DEFAULT_SCALE 65536.0    /* 16 fractional bits */

/* What a client does (SaRun.drop): stay, go silent before masking (after round 2: it is
** in U2 but sends no masked input) or after masking (it sends y_u, then never answers the
** unmasking round; its input is in the sum). */
enum { SA_STAY = 0, SA_DROP_BEFORE = 1, SA_DROP_AFTER = 2 };

/* Deliberately broken variants, for tests that must catch them. */
typedef enum SaFlaw {
    SA_SOUND = 0,
    SA_FLAW_BOTH_SHARES,        /* round 4 answers with shares of b_u AND sigma_u */
    SA_FLAW_PLAIN_SHARES        /* round 2's boxes carry the shares unencrypted */
} SaFlaw;

typedef struct SaRun {
    struct Msg *msg;            /* borrowed: every frame goes through it */
    int server;                 /* party id */
    int n;                      /* clients */
    const int *client;          /* their party ids (distinct, none the server) */
    int t;                      /* threshold: t shares reconstruct, n/2 < t <= n */
    double scale;               /* fixed point (SA_DEFAULT_SCALE when 0) */
    size_t m;                   /* vector length */
    const float *const *x;      /* x[i][0..m): client i's input, read only in its steps */
    const unsigned char *drop;  /* SA_STAY / SA_DROP_*, per client; NULL: all stay */
    Rng *(*rng)(void *u, int party);            /* a party's own generator (required) */
    const char *(*name)(void *u, int party);    /* for messages; NULL: "party <id>" */
    void *u;
    SaFlaw flaw;
    volatile sig_atomic_t *interrupt;   /* non-zero: stop between steps (may be NULL) */
    int self;                   /* across processes, this process's party (0: one process
                                   holds them all); another party's steps run on stand-ins
                                   and skip the checks that their junk would fail */
    /* filled by secagg_run: CPU seconds spent by all clients together and by the server
    ** in each protocol round, and the error when it fails */
    double client_s[4], server_s[4];
    int heard[4];               /* |U1|, |U2|, |U3|, |U5| */
    unsigned short *slot_;      /* internal: 1 + the roster index of each party id */
    RtErr err;                  /* why it failed: RT_EINVAL (parameters), RT_ERANGE (an input
                                   beyond the bound), RT_EPROTO, RT_EIO, RT_EINTR */
} SaRun;

/* Checks the parameters (and each client its own input against the bound): 0, or -1 with
** r->err naming what is wrong.  secagg_run calls it first. */
int    secagg_check(SaRun *r);
/* Runs the protocol; out[0..m) receives the decoded sum, computed by the server from what
** it received.  0, or -1 with r->err (bad parameters, fewer than t clients left in a
** round, a frame that is malformed or fails authentication, *interrupt set: "interrupted"). */
int    secagg_run(SaRun *r, double *out);
/* The largest |x| a client may send: floor((2^31 - 1) / n) / scale. */
double secagg_bound(int n, double scale);

/* Shamir over F_p, p = 2^61 - 1 (exposed for tests): shares of k secrets s[0..k) at
** x = 1..n on random polynomials of degree deg (coefficients from rng): out[i*k + j] is
** point i + 1's share of s[j].  And the secrets from m shares y[i*k + j] at points x[i]
** (distinct, nonzero): Lagrange interpolation at 0. */
#define SA_P61 0x1FFFFFFFFFFFFFFFull
void   secagg_shamir_deal(Rng *rng, const uint64_t *s, int k, int deg, int n, uint64_t *out);
void   secagg_shamir_open(const uint64_t *x, const uint64_t *y, int m, int k, uint64_t *s);

#endif
