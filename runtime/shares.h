/*
** shares.h — secret sharing and secure multi-party computation: additive shares over
** Z_2^64 with fixed-point encoding, Shamir shares over the prime field F_p with
** p = 2^61 - 1, Beaver triples (elementwise and matrix) from a dealer, truncation after
** products, polynomials by Horner's rule, and a secure comparison (sign bit through
** binary shares and a carry circuit) giving ReLU, max and argmax.  The runtime holds
** every party's share in one process (a simulator: s[i] is party i's store), but every
** protocol runs as ROUNDS of per-party steps: in a round each party computes from its
** own shares (s[i]) and what it received, posts real frames through the message layer
** (message.h; a share vector of k elements is a bin of 8k bytes, wire.h), and each
** receiver continues from its inbox (shares_msg.c) — never by reading another party's
** share.  Rounds and bytes in the transcript come from that structure.  The one
** exception is sim_check() in shares.c, a simulator-only overflow check (below).
** Not here: values, builtins and party names (stdlib/lib_shares.c); Paillier (paillier.h).
**
** Security notes.
**  - Semi-honest (honest-but-curious) parties only: a party that deviates from the
**    protocol (sends a wrong share, a wrong opening) is not detected — no MACs (SPDZ).
**  - The dealer is trusted: it generates Beaver triples, AND triples, truncation pairs
**    and daBits in an offline phase, knows them all, and must not collude with any
**    party (a dealer that is also a party would learn everything).  The dealer never
**    sees data.  `dealer = none` (two parties) replaces it with Paillier-made triples.
**  - The dealer's material travels compressed (SsOut below): each frame to a party
**    carries a fresh 256-bit seed drawn from the dealer's generator, and the party's
**    uniform words are the ChaCha20 keystream of that seed (the seed as key, nonce 0 —
**    each key is used for one frame only, so no nonce is ever reused; nothing is derived
**    from rounds or counters, so a round replayed after an interrupt gets new seeds);
**    only the words that are not uniform (party 0's share of C, of a truncation pair's
**    bits) travel as words.  A seed is as secret as the words it stands for: it is the
**    party's material, wiped with the frame.  Security rests on ChaCha20 as a PRG: the
**    expanded words are indistinguishable from the uniform words they replace.
**  - Additive sharing: all n shares are needed; any n-1 of them are uniformly random
**    and reveal nothing.  Shamir (threshold t): any t+1 reconstruct, any t learn
**    nothing.  Openings of masked values (x - a, z + r) are uniform and leak nothing.
**  - What leaks by design: shapes, the fixed-point precision, which operations run
**    (the transcript is public), and whatever a reveal hands to its receiver.
**  - The overflow check (sim_check in shares.c, the only code that reads several parties'
**    shares at once) reconstructs operands and products inside this simulator to
**    report an out-of-range value instead of returning garbage; a deployment could not
**    make that check — it would have to bound values in advance.  It never sends
**    anything and never changes a result; SsCtx.no_sim_check turns it off (what parties
**    in separate processes must do).
**  - With rng_seed() (seed(n) in ppdl) every share and mask is predictable: teaching
**    and tests only.  No constant-time guarantees; secrets live in ordinary memory and
**    are wiped when freed.
*/
#ifndef SS_H
#define SS_H
#include <stddef.h>
#include <stdint.h>
#include "rng.h"
#include "tensor.h"
#include "transcript.h"
#include "wire.h"

struct Msg;

#define SS_MAXP   16            /* most parties in one scheme */
#define SS_P61    0x1FFFFFFFFFFFFFFFull   /* the Shamir prime 2^61 - 1 */
#define SS_NODEALER (-1)        /* dealer = none: dealer-free triples (two parties) */

typedef enum SsKind { SS_ADDITIVE, SS_SHAMIR } SsKind;

/* How a product is brought back to frac_bits fractional bits (see shares_mul.c for proofs). */
typedef enum SsTrunc {
    SS_TRUNC_AUTO,              /* PAIR with a dealer, LOCAL without */
    SS_TRUNC_PAIR,              /* dealer pair, one opening; never wraps; error < 1 ulp */
    SS_TRUNC_LOCAL              /* SecureML local shift, two parties, no messages;
                                ** fails with probability < 2^(k+1-64) (|z| < 2^k) */
} SsTrunc;

typedef struct SsScheme {
    SsKind kind;
    int n;                      /* number of parties holding shares */
    int party[SS_MAXP];         /* their ids, in share order */
    int frac_bits;              /* fixed-point fractional bits (default 16) */
    int dealer;                 /* party id of the dealer (not one of party[]), or
                                ** SS_NODEALER */
    int threshold;              /* Shamir: t, any t+1 shares reconstruct */
    SsTrunc trunc;
    unsigned pai_bits;          /* dealer = none: Paillier key size (0: SS_PAI_BITS) */
    unsigned pai_key;           /* dealer = none: the scheme's own key (ss_pai_new_key), or 0
                                ** for one shared by every scheme over the same parties */
} SsScheme;

/* A secret-shared tensor: s[i] is party party[i]'s share (size ring elements, or field
** elements for Shamir), NULL once that party has dropped out.  frac is the number of
** fractional bits of the encoding (frac_bits for numbers, 0 for integers and bits;
** Shamir products carry the sum of their factors' frac until revealed). */
typedef struct SsTensor {
    SsScheme sc;
    int ndim, shape[TN_MAXDIM];
    size_t size;
    int frac;
    uint64_t *s[SS_MAXP];
} SsTensor;

/* Binary (XOR) shares of 64-bit words, one word per element: w[i] is party i's share. */
typedef struct SsBits {
    SsScheme sc;
    size_t size;
    uint64_t *w[SS_MAXP];
} SsBits;

/* Everything a protocol needs besides its operands: the message layer its rounds go
** through (required), the generator, a worker-thread count for the big kernels, and an
** error message. */
typedef struct SsCtx {
    struct Msg *msg;            /* borrowed; every frame of every round goes through it */
    int no_sim_check;           /* 1: skip sim_check (parties in separate processes) */
    int self;                   /* across processes, this process's party (0: one process
                                   holds them all): whose result becomes a public one */
    Rng *rng;                   /* the generator of a party without one of its own */
    /* each party's own generator (NULL: rng for every party); a step draws from the
    ** generator of the party whose step it is (ss__as) */
    Rng *(*party_rng)(void *u, int party);
    void *party_rng_u;
    int who;                    /* the party whose step is drawing */
    int nthreads;               /* 0: one per CPU (at most 8) */
    double offline_s;           /* seconds spent making offline material (dealer or
                                ** Paillier), accumulated; the rest is online work */
    /* bulk masks come from ChaCha20 (rng.h's block function), one stream a party, keyed
    ** with 256 bits drawn from that party's generator on first use */
    struct SsStream { int party; uint32_t key[8]; uint64_t ctr; } prg[SS_MAXP + 2];
    int nprg;
    struct SsPaiKeys *pai_keys; /* borrowed: the key pairs of dealer-free triples (required
                                ** by dealer = none; NULL otherwise is fine) */
    RtErr err;                  /* set when a function fails (error.h): RT_EOVERFLOW for a
                                ** fixed-point overflow, RT_EINVAL otherwise */
} SsCtx;

/* --- schemes ---------------------------------------------------------------------- */
/* Fills *sc for n parties; returns 0, or -1 with ctx->err on a bad parameter (n < 2 or
** > SS_MAXP, repeated party, dealer among the parties, frac_bits outside 0..30,
** Shamir threshold outside 1..n-1). */
int  ss_scheme_additive(SsCtx *ctx, SsScheme *sc, int n, const int *party,
                        int frac_bits, int dealer);
int  ss_scheme_shamir(SsCtx *ctx, SsScheme *sc, int n, const int *party, int threshold,
                      int frac_bits, int dealer);
/* The index of party id in sc->party, or -1. */
int  ss_index(const SsScheme *sc, int party);

/* --- tensors ---------------------------------------------------------------------- */
SsTensor *ss_new(const SsScheme *sc, int ndim, const int *shape, int frac); /* zeros */
SsTensor *ss_copy(const SsTensor *t);
void      ss_free(SsTensor *t);        /* wipes every share */
/* Party `from` (0: public, a value everyone knows) splits x into fresh shares and sends
** one to each other party ("share" messages; nothing is sent for a public value, whose
** encoding party[0] holds).  Errors when |x| * 2^frac_bits does not fit in 2^62. */
SsTensor *ss_share(SsCtx *ctx, const SsScheme *sc, const Tn *x, int from);
/* Every remaining holder sends its share to `to` (0: to everyone, an opening), which
** reconstructs and decodes.  Additive needs all n shares; Shamir any t+1 (Lagrange at
** 0).  absent: a bit mask of share indices to ignore (parties that dropped out).
** Returns a new tensor, or NULL with a message naming how many shares are missing. */
Tn       *ss_reveal(SsCtx *ctx, const SsTensor *t, int to, uint32_t absent);
/* The reconstruction without messages or decoding, for tests and benchmarks: the ring
** element (additive) or the centred field element (Shamir) of element i. */
int64_t   ss_peek(const SsTensor *t, size_t i);
/* Party p drops out: its share is wiped and forgotten. Returns 0, -1 if p holds none. */
int       ss_drop(SsTensor *t, int party);
/* Fixed-point encoding of one number (round to nearest); 0 with *ok = 0 when out of
** range. */
int64_t   ss_encode(double x, int frac, int *ok);
double    ss_decode(int64_t v, int frac);

/* --- local (free) operations: no messages ---------------------------------------- */
/* a + b, a - b: shapes equal, or b broadcast as a scalar or over a's trailing dims. */
SsTensor *ss_add(SsCtx *ctx, const SsTensor *a, const SsTensor *b);
SsTensor *ss_sub(SsCtx *ctx, const SsTensor *a, const SsTensor *b);
/* a + sign * x for public x (sign = +1 or -1), and x - a. */
SsTensor *ss_add_pub(SsCtx *ctx, const SsTensor *a, const Tn *x, int sign);
SsTensor *ss_pub_sub(SsCtx *ctx, const Tn *x, const SsTensor *a);
SsTensor *ss_neg(SsCtx *ctx, const SsTensor *a);
/* a * x elementwise and a @ x, x @ a for public x; truncated back to frac_bits. */
SsTensor *ss_mul_pub(SsCtx *ctx, const SsTensor *a, const Tn *x);
SsTensor *ss_matmul_pub(SsCtx *ctx, const SsTensor *a, const Tn *x);
SsTensor *ss_pub_matmul(SsCtx *ctx, const Tn *x, const SsTensor *a);
/* a * c for a public number c (truncated) and a * k for a public integer k (exact). */
SsTensor *ss_scale(SsCtx *ctx, const SsTensor *a, double c);
SsTensor *ss_scale_int(SsCtx *ctx, const SsTensor *a, int64_t k);
/* The transpose of a 2-D tensor; a reshape keeping the size; the sum over axis 0 of a
** 2-D tensor (a bias gradient). */
SsTensor *ss_transpose(SsCtx *ctx, const SsTensor *a);
SsTensor *ss_reshape(SsCtx *ctx, const SsTensor *a, int ndim, const int *shape);
SsTensor *ss_sum_rows(SsCtx *ctx, const SsTensor *a);
/* Rows lo..hi-1 of a (along axis 0). */
SsTensor *ss_rows(SsCtx *ctx, const SsTensor *a, int lo, int hi);

/* --- products (online: openings; offline: the dealer's triples) ------------------ */
/* a * b elementwise (same shape, or b scalar) with a Beaver triple; a @ b (2-D, or 1-D
** vectors as in numpy) with a matrix triple.  Online: every party opens its share of
** E = a - A and F = b - B to every other party in one round: |a| + |b| ring elements
** per party and peer.  Then the result is truncated (ss_trunc) when its frac exceeds
** frac_bits.  Shamir: local product and degree reduction (needs n >= 2t + 1). */
SsTensor *ss_mul(SsCtx *ctx, const SsTensor *a, const SsTensor *b);
SsTensor *ss_matmul(SsCtx *ctx, const SsTensor *a, const SsTensor *b);
/* The same products without the final truncation (frac = a.frac + b.frac). */
SsTensor *ss_mul_raw(SsCtx *ctx, const SsTensor *a, const SsTensor *b);
SsTensor *ss_matmul_raw(SsCtx *ctx, const SsTensor *a, const SsTensor *b);
/* Divides by 2^bits in place (frac -= bits).  PAIR: one opening of |t| elements per
** party and peer, result floor(z / 2^bits) or one more (error < 1 ulp), exact range
** |z| < 2^62.  LOCAL: no messages, error <= 1 ulp, wraps with probability < 2^(k+1-64)
** for |z| < 2^k.  Both report an out-of-range product (or a LOCAL wrap) as an error. */
int       ss_trunc(SsCtx *ctx, SsTensor *t, int bits);

/* --- non-linear functions (shares_cmp.c) --------------------------------------------- */
/* p(a) = c[0] + c[1] a + ... + c[deg] a^deg by Horner's rule: deg - 1 share products
** and one product by a public constant, each truncated. */
SsTensor *ss_poly(SsCtx *ctx, const SsTensor *a, const double *c, int deg);
/* [a < 0] as integer shares (frac 0) of 0/1: arithmetic to binary shares (each share
** is a binary-shared word held by its owner), a carry-save adder for n > 2 shares, a
** carry tree (Kogge–Stone levels, packed) with AND triples for the sign bit (7 rounds;
** about 4 AND words per element with three parties), and a daBit
** to bring the bit back to arithmetic shares (1 round). */
SsTensor *ss_ltz(SsCtx *ctx, const SsTensor *a);
/* [a >= b] as integer shares (frac 0): 1 - ltz(a - b). */
SsTensor *ss_ge(SsCtx *ctx, const SsTensor *a, const SsTensor *b);
/* max(a, 0) = a * [a >= 0]; also returns the 0/1 derivative when drelu != NULL.  The
** bit's conversion to arithmetic shares and the product are one round (a daBit and a
** Beaver pair (A, r A) from the dealer): the comparison's rounds and one. */
SsTensor *ss_relu(SsCtx *ctx, const SsTensor *a, SsTensor **drelu);
/* Max and argmax over the last axis; the result drops that axis.  argmax may be NULL;
** indices are fixed-point encoded; ties go to the earliest index.  Two methods:
** PAIRWISE compares all k(k-1)/2 pairs of a row in one comparison layer, ANDs each
** element's k-1 "beats" bits (ceil(log2(k-1)) AND rounds) into a one-hot winner and
** selects with one round: 7 + ceil(log2(k-1)) + 1 rounds with two parties (one more
** carry-save round a layer with three or more), for any k, but k(k-1)/2 comparisons a
** row.  TREE: a tournament of ceil(log2 k) levels, each a comparison layer and a
** selecting round (8 rounds a level), k - 1 comparisons a row.  AUTO (ss_max): pairwise
** for k <= SS_MAX_PAIRWISE_K, the tree above. */
typedef enum SsMaxMethod { SS_MAX_AUTO, SS_MAX_PAIRWISE, SS_MAX_TREE } SsMaxMethod;
#define SS_MAX_PAIRWISE_K 16
SsTensor *ss_max(SsCtx *ctx, const SsTensor *a, SsTensor **argmax);
SsTensor *ss_max_by(SsCtx *ctx, const SsTensor *a, SsTensor **argmax, int method);
/* The same with a truncated by xs bits (as ss_trunc: a product's output) in the selecting
** round, not in a round of its own: the comparison runs on a as it is (the sign is the
** same), the results come at a's frac - xs.  ss__max_trunc also returns a truncated (*at,
** when at is not NULL), which that round yields for free with the pairwise method (the
** tournament and k = 1 truncate first, one round). */
SsTensor *ss__relu_trunc(SsCtx *ctx, const SsTensor *a, int xs, SsTensor **drelu);
SsTensor *ss__max_trunc(SsCtx *ctx, const SsTensor *a, SsTensor **argmax, int method, int xs,
                        SsTensor **at);
/* Binary-share primitives, exposed for tests: x AND y with an AND triple (one round,
** two words per element per party and peer), and opening. */
SsBits   *ss_bits_new(const SsScheme *sc, size_t size);
void      ss_bits_free(SsBits *b);
SsBits   *ss_and(SsCtx *ctx, const SsBits *x, const SsBits *y);
int       ss_bits_open(SsCtx *ctx, const SsBits *b, uint64_t *out);

/* --- exp, reciprocal, softmax (shares_softmax.c) ------------------------------------- */
/* exp(a) by the limit (1 + a/2^iters)^(2^iters) (iters squarings, 1..16, one round each;
** CrypTen uses 8), the base clamped at 0 by one comparison, so a below -2^iters gives 0.
** Error for a <= 0: about exp(a) a^2 / 2^(iters+1) from the limit (below 1.1e-3 with 8)
** plus the squarings' rounding (inside, frac_bits + iters fractional bits with dealer
** pairs, at most 30); a positive a overflows once exp(a) passes the fixed-point range. */
SsTensor *ss_exp(SsCtx *ctx, const SsTensor *a, int iters);
/* 1/a for every element known to lie in [lo, hi] (public; 0 < lo < hi <= 4096 lo, lo
** >= 1e-6, hi <= 1e9): Goldschmidt's iteration y <- y (1 + e), e <- e^2 on a scaled by a
** power of two into (0, 1], from the linear minimax start on the (slightly widened)
** bounds, as many steps as bring the relative error below 2^-(frac_bits + 6) (one round
** each: two independent products with their truncations, ss_mul_trunc). */
SsTensor *ss_reciprocal(SsCtx *ctx, const SsTensor *a, double lo, double hi);
/* Softmax over the last axis (k <= 4096): the row maximum subtracted (ss_max), exp with 8
** squarings (base clamped at 0), the row sum (in [1, k]) inverted by Goldschmidt's
** iteration, one product; every product truncates its operands in its own round
** (ss_mul_trunc): 37 online rounds for k = 10 with two parties.
** With dealer pairs the inner values keep frac_bits + 8 fractional bits.  Error: within
** 0.005 of the float softmax for any logits (tests/unit/test_rt_shares_softmax.c). */
SsTensor *ss_softmax(SsCtx *ctx, const SsTensor *a);
/* a' * b' elementwise (same size), untruncated (frac a.frac - sa + b.frac - sb), where a'
** is a truncated by sa bits (0: a itself) as ss_trunc does, b' likewise, b = NULL for
** a'^2: ONE round (the dealer's truncation pairs double as the product's masks, see
** shares_softmax.c), opening sizes as a Beaver product.  Exact range |a|, |b| < 2^62.
** Without dealer pairs (local truncation) the truncations are local and the round is
** the product's. */
SsTensor *ss_mul_trunc(SsCtx *ctx, const SsTensor *a, int sa, const SsTensor *b, int sb);

/* --- networks on shares (shares_nn.c) --------------------------------------------- */
struct NnNet; struct NnModel;
/* A network whose weights are shared: W[l], b[l] for dense layers (NULL otherwise). */
/* The loss ss_model_step descends (its output gradient, divided by the batch size):
** AUTO is CE after a final softmax, BCE after a final sigmoid or tanh, MSE otherwise. */
typedef enum SsLoss {
    SS_LOSS_AUTO,
    SS_LOSS_MSE,                /* o - y: the squared error on the outputs (on the logits
                                ** when the last layer is a softmax, which is skipped) */
    SS_LOSS_BCE,                /* p(z) - y after a final sigmoid or tanh (p its polynomial) */
    SS_LOSS_CE                  /* softmax(z) - y: softmax cross-entropy on the logits z (a
                                ** final softmax layer, or the last layer's outputs) */
} SsLoss;
typedef struct SsModel {
    struct NnNet *net;          /* owned copy of the layer descriptions */
    SsTensor **W, **b;
    SsLoss loss;                /* set by the caller after ss_model_share (AUTO there) */
} SsModel;
/* Shares m's weights from party `owner` (0: public weights, e.g. a fresh model).
** Layers supported: dense, relu, sigmoid and tanh (with approx = taylor(...) or
** interpolate(...)), and a final softmax.  NULL with ctx->err otherwise. */
SsModel  *ss_model_share(SsCtx *ctx, const SsScheme *sc, const struct NnModel *m, int owner);
void      ss_model_free(SsModel *m);
/* Outputs for x (B × d shares): the forward pass; a final softmax is left out (the
** logits are returned; argmax is the same). */
SsTensor *ss_model_forward(SsCtx *ctx, SsModel *m, const SsTensor *x);
/* One step of gradient descent on a batch: x (B × d), y (B × out: one-hot rows for a
** softmax output or the CE loss, 0/1 for a sigmoid output, targets otherwise), on
** m->loss (SsLoss: the output gradient, then backpropagated; CE computes ss_softmax of
** the logits).  0 or -1 with err (a fixed-point overflow when the training diverges, a
** loss that does not fit the network). */
int       ss_model_step(SsCtx *ctx, SsModel *m, const SsTensor *x, const SsTensor *y, double lr);
/* Reveals the weights to party `to` into out (same network). */
int       ss_model_reveal(SsCtx *ctx, const SsModel *m, struct NnModel *out, int to);

/* --- dealer-free triples (shares_paillier.c): two parties, Paillier --------------------- */
/* Non-zero when this build can make triples without a dealer. */
int       ss_dealerfree_available(void);
/* Default Paillier key size for dealer-free triples (bits); a scheme may ask for another
** (SsScheme.pai_bits). */
#define SS_PAI_BITS 2048
/* Where dealer-free triples keep their key pairs and number them (SsCtx.pai_keys): one
** ring per owner of the protocols' state (an interpreter), never one for the process, so
** that a party of another interpreter never finds a private key made in this one.
** ss_pai_keys_free wipes the private keys (NULL is fine). */
typedef struct SsPaiKeys SsPaiKeys;
SsPaiKeys *ss_pai_keys_new(void);
void      ss_pai_keys_free(SsPaiKeys *ring);
/* A fresh key number in ring for a new scheme's dealer-free triples (SsScheme.pai_key):
** the scheme then gets a key of its own on its first triple. */
unsigned  ss_pai_new_key(SsPaiKeys *ring);
/* The key that protects sc's dealer-free triples (one per scheme key number, ordered pair
** of parties and key size, generated on first use and kept in ctx->pai_keys): the party holding its private key
** (sc->party[0]), its size and the digest of its modulus.  0, or -1 with ctx->err. */
int       ss_pai_key_info(SsCtx *ctx, const SsScheme *sc, int *holder, unsigned *bits,
                          char digest[17]);
/* Internal, called by the product code in shares_mul.c: fills two parties' shares of a triple
** (the same layout as the dealer's, see shares_mul.c) by the Paillier protocol, recording its
** messages in the offline phase.  -1 with ctx->err when Paillier is not available. */
int       ss__pai_triple(SsCtx *ctx, const SsScheme *sc, int mm, int m, int k, int n,
                         size_t na, size_t nb, uint64_t **A, uint64_t **B, uint64_t **C);

/* --- internal helpers shared by the shares*.c files (not for other modules) ---------- */
/* Share buffers: n words, zeroed, 64-byte aligned, with SS_HEADROOM bytes of room
** before them (zero too), where a frame's envelope and bin header fit so that a frame
** of n words can be built around the words themselves (shares_msg.c): its receiver keeps
** the buffer as its share buffer.  Free with ss__wipe_free, never free(). */
#define SS_HEADROOM 64
uint64_t *ss__words(size_t n);
void      ss__wipe_free(uint64_t *p, size_t n); /* wipes n words, frees */
/* A buffer of n words for an opening (public among the parties): not zeroed (it may hold
** an earlier opening's words: the caller overwrites them all) and freed with
** ss__free_open, unwiped. */
uint64_t *ss__words_open(size_t n);
void      ss__free_open(uint64_t *p, size_t n);
void      ss__rnd(SsCtx *ctx, uint64_t *p, size_t n);   /* uniform words, ctx->who's */
/* The step that follows is party p's: its draws come from p's own generator. */
static inline void ss__as(SsCtx *ctx, int party) { ctx->who = party; }
/* Across processes (ctx->self set) the steps of the other parties run on stand-ins
** (docs/distributed.md): their local arithmetic is skipped — only the frames they send
** matter, for their kind, size and round, and the process discards the stand-ins' words
** (a frame that reaches this party is the network's).  True when party p's step is one. */
static inline int ss__standin(const SsCtx *ctx, int party) { return ctx->self && party != ctx->self; }
/* Party p's generator (ctx->rng when p has none of its own). */
Rng      *ss__rng(SsCtx *ctx, int party);
int       ss__fail(SsCtx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ss__fail with a code other than RT_EINVAL. */
int       ss__failc(SsCtx *ctx, RtCode code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Rounds (shares_msg.c).  A buffer of k words, then nb words of which only bit 0 travels
** (packed), goes as one frame; a receiver combines what it takes into its buffer: */
typedef enum SsOp { SS_SET, SS_ADD, SS_XOR } SsOp;     /* =, += (Z_2^64), ^= */
/* Posts w[0..k) and bit 0 of bits[0..nb) from party `from` to `to` in the current round. */
int       ss__post(SsCtx *ctx, int from, int to, const char *kind, const uint64_t *w, size_t k,
                   const uint64_t *bits, size_t nb, const char *what);
/* Party `to` takes the oldest frame from `from` (which must be of this kind and size) and
** combines it into w[0..k), bits[0..nb).  -1 with ctx->err if none or malformed. */
int       ss__take(SsCtx *ctx, int from, int to, const char *kind, uint64_t *w, size_t k,
                   uint64_t *bits, size_t nb, SsOp op);
/* A frame with any payload (ciphertexts): post the payload written into body (the
** envelope is added), and receive one, checked, with its payload opened. */
typedef struct SsFrame {
    struct MsgBlock *blk;       /* the received frame (message.h) */
    const uint8_t *buf; size_t len;
    WireR r;
    const msgpack_object *payload;
    char sender[24];
} SsFrame;
int       ss__post_payload(SsCtx *ctx, int from, int to, const char *kind, const WireW *body,
                           const char *what);
int       ss__receive(SsCtx *ctx, int from, int to, const char *kind, SsFrame *fr);
void      ss__frame_free(SsFrame *fr, int secret);  /* secret: wiped first; recycled */
/* The dealer's frame to one party, written in pieces (the dealer streams material it
** never holds whole).  The party's material is k words: a prefix of u uniform words that
** travel as a SEED, then explicit words.  The frame's payload is a bin of
** SS_SEED_HDR + 8 (k - u) bytes: a fresh 256-bit seed (32 bytes, drawn by the dealer
** from its generator when the frame begins), u (8 bytes, little endian), the k - u
** explicit words (little endian); the receiver expands the seed into words 0..u
** (ss__prg) and copies the rest.  begin draws the seed; words appends explicit words
** (room hands out the next n of them to be written in place, little endian; NULL if the
** frame has fewer left); end records the frame in the current round and carries it
** (after exactly k words).  The first explicit word ends the seeded prefix: uniform
** words dealt after it (ss__deal_random) travel explicitly.  The frame's size depends on
** the order of the dealer's calls only, never on data (processes compare frames). */
#define SS_SEED_BYTES 32
#define SS_SEED_HDR   40        /* seed + count */
typedef struct SsOut {
    uint8_t *buf;               /* the frame's buffer, from the first explicit word on */
    uint64_t *x;                /* the explicit words in it */
    uint64_t seed[4];           /* the frame's seed (SS_SEED_BYTES bytes) */
    size_t k, at, u;            /* words in all, dealt so far, of which seeded (once fixed) */
    int from, to;
    const char *kind, *what;
} SsOut;
void      ss__out_begin(SsCtx *ctx, SsOut *o, int from, int to, const char *kind, size_t k,
                        const char *what);
void      ss__out_words(SsOut *o, const uint64_t *w, size_t n);
uint64_t *ss__out_room(SsOut *o, size_t n);
int       ss__out_end(SsCtx *ctx, SsOut *o);
/* Words pos..pos+n of a seed's expansion into dst: the ChaCha20 keystream (RFC 8439
** block function) under the seed as key, nonce 0, block counter from 0, read as
** little-endian 64-bit words — libsodium's crypto_stream_chacha20_ietf with a zero nonce
** (below 2^32 blocks).  pos need not be a multiple of the 8 words of a block. */
void      ss__prg(const unsigned char seed[SS_SEED_BYTES], uint64_t pos, uint64_t *dst, size_t n);
/* One new round: every present holder i posts mine[i] (k words + nb bits) to every other
** present holder ("open"); then holder j sets sum[j] = mine[j] op (what it received)
** (sum[j] may be mine[j]).  absent: share indices that take no part. */
int       ss__exchange(SsCtx *ctx, const SsScheme *sc, uint32_t absent, uint64_t *const *mine,
                       size_t k, size_t nb, SsOp op, uint64_t **sum, const char *what);
/* The same round with every holder present and k words, where holder i's buffer is
** computed as it is sent: fill(arg, i, e0, n, dst) writes words e0..e0+n of it into dst
** (= sum[i] + e0), and each piece goes into the outgoing frames while it is hot; then
** sum[j] = its own buffer op what it received. */
int       ss__exchange_fill(SsCtx *ctx, const SsScheme *sc, size_t k, SsOp op, uint64_t **sum,
                            void (*fill)(void *arg, int i, size_t e0, size_t n, uint64_t *dst),
                            void *arg, const char *what);
/* One new round: party `from` posts parts[i] to each holder i (a holder that is `from`
** keeps its own); holder i's copy lands in got[i]. */
int       ss__scatter(SsCtx *ctx, const SsScheme *sc, int from, const char *kind,
                      uint64_t *const *parts, size_t k, size_t nb, uint64_t **got,
                      const char *what);
/* The dealer's offline round, streamed: begin opens a "triple" frame (SsOut: a seed,
** then explicit words) of k words of material to each holder (phase "offline"); the
** dealer appends uniform words (deal_random, summed or XORed into acc when not NULL:
** from the frame's seed while its prefix lasts) and additive or XOR shares of a value
** (deal_split: out[1..n) uniform, then out[0] explicit: value minus the others'); every
** caller deals each holder its uniform words first, so that a frame to holders 1..n-1
** of a triple is 40 bytes whatever its size.  end carries the frames and each holder i
** takes its own: got[i] is set to k words (free with ss__wipe_free(got[i], k)); after a
** failure every got[i] is k zero words, so that callers free alike. */
void      ss__deal_begin(SsCtx *ctx, const SsScheme *sc, SsOut *out, size_t k, const char *what,
                         const char **old_phase);
void      ss__deal_random(SsCtx *ctx, SsOut *o, uint64_t *acc, size_t len, int xor);
void      ss__deal_split(SsCtx *ctx, const SsScheme *sc, SsOut *out, const uint64_t *value,
                         size_t len, int xor);
int       ss__deal_end(SsCtx *ctx, const SsScheme *sc, SsOut *out, size_t k, uint64_t **got,
                       const char *old_phase);
/* The dealer's offline round: ss__scatter from sc->dealer, kind "triple", phase "offline". */
int       ss__deal(SsCtx *ctx, const SsScheme *sc, uint64_t *const *parts, size_t k, size_t nb,
                   uint64_t **got, const char *what);
/* Monotonic seconds, for ctx->offline_s. */
double    ss__now(void);
/* Additive shares of value[0..len) into out[i][0..len) (out allocated by the caller). */
void      ss__split(SsCtx *ctx, const SsScheme *sc, const uint64_t *value, size_t len,
                    uint64_t **out);

/* Shared by shares.c and shares_mul.c.  The field F_p, p = 2^61 - 1: */
static inline uint64_t ss__fp_red(uint64_t x)
{
    x = (x & SS_P61) + (x >> 61);
    return x >= SS_P61 ? x - SS_P61 : x;
}
static inline uint64_t ss__fp_add(uint64_t a, uint64_t b) { return ss__fp_red(a + b); }
static inline uint64_t ss__fp_mul(uint64_t a, uint64_t b)
{
    unsigned __int128 z = (unsigned __int128)a * b;
    return ss__fp_red(((uint64_t)z & SS_P61) + (uint64_t)(z >> 61));
}
/* Lagrange coefficients at 0 for the evaluation points x = idx[i] + 1. */
void      ss__lagrange0(const int *idx, int m, uint64_t *lam);
/* Shares of v (a field element) for the n parties on a random degree-t polynomial. */
void      ss__shamir_split(SsCtx *ctx, int n, int t, uint64_t v, uint64_t *out);
/* Field matrix product (Shamir), C = A @ B mod p. */
void      ss__fp_mm(const uint64_t *A, const uint64_t *B, uint64_t *C, int m, int k, int n);
/* -1 with ctx->err when some party's shares of t are missing (dropped). */
int       ss__check_whole(SsCtx *ctx, const SsTensor *t);
/* -1 with ctx->err unless a and b are whole and shared among the same parties. */
int       ss__same_scheme(SsCtx *ctx, const SsTensor *a, const SsTensor *b);
/* Whether `small` (snd, ssh, ssize) broadcasts against `big` (bnd, bsh): a scalar, or its
** shape (leading 1s dropped) equals big's trailing dimensions. */
int       ss__suffix_ok(int bnd, const int *bsh, int snd, const int *ssh, size_t ssize);
/* "shapes (..) and (..) do not match for op": -1 with ctx->err. */
int       ss__shape_err(SsCtx *ctx, const char *op, int and_, const int *ash, int bnd,
                        const int *bsh);
/* 2-D views of matmul operands (numpy's rule for 1-D vectors): m, k, n and the result's
** shape; -1 with ctx->err when they do not fit. */
int       ss__mm_shapes(SsCtx *ctx, int and_, const int *ash, int bnd, const int *bsh,
                        int *m, int *k, int *n, int *ond, int *osh);
/* The simulator's checks (shares.c, the only code that reads several parties' shares):
** a * b or a @ b within range; t within |z| < 2^62 before a truncation; two-party LOCAL
** truncation of t by `bits` does not wrap.  0, or -1 with ctx->err. */
int       ss__guard_tt(SsCtx *ctx, const SsTensor *a, const SsTensor *b, int mm, int m, int k,
                       int n);
int       ss__guard_range(SsCtx *ctx, const SsTensor *t);
int       ss__guard_shift(SsCtx *ctx, const SsTensor *t, int bits);
/* After a product (shares_mul.c): truncates additive shares back to sc.frac_bits, refuses
** Shamir shares that could not be truncated later.  0, or -1 with ctx->err. */
int       ss__after_product(SsCtx *ctx, SsTensor *t);

/* --- kernels (shares_mm.c) ------------------------------------------------------------ */
/* C (m×n) = A (m×k) @ B (k×n) in Z_2^64, row-major; accumulate: C += instead. */
void      ss_mm_u64(const uint64_t *A, const uint64_t *B, uint64_t *C, int m, int k, int n,
                    int accumulate, int nthreads);

#endif
