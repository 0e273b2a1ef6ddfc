/*
** rng.h — every random bit ppdl uses comes from here.
**
** Security notes: by default every byte is ChaCha20 keystream under a key drawn from
** the operating system (getrandom(2)); the key is replaced from the OS after every MiB
** of output and erased as it is used (fast key erasure, the arc4random construction),
** so the stream is as unpredictable as the OS's own and far cheaper per byte — DP-SGD
** draws tens of megabytes of noise per epoch.  That is what keys, masks, shares and
** noise use.  rng_seed(n) switches to a deterministic ChaCha20 stream keyed by n, for
** reproducible classroom runs and tests: it is NOT secure (anyone who knows n knows every
** key and share), and the interpreter says so loudly when it is used.  The buffer is
** wiped when it is refilled or freed.  Not thread-safe: give each thread its own Rng
** (rng_fork) for parallel work.
*/
#ifndef RNG_H
#define RNG_H
#include <stddef.h>
#include <stdint.h>

typedef struct Rng {
    int seeded;             /* 0: operating system; 1: ChaCha20 keyed by seed */
    uint64_t seed;
    uint32_t key[8];
    uint64_t counter;
    unsigned char buf[4096];
    size_t pos, fill;
    size_t since_rekey;     /* OS mode: bytes produced since the key came from the OS */
    int have_spare; double spare;   /* second normal deviate of Box–Muller/polar */
} Rng;

void     rng_init(Rng *r);                 /* operating-system mode */
void     rng_seed(Rng *r, uint64_t seed);  /* deterministic, insecure mode */
/* A child generator for another thread: seeded mode derives it from the parent stream,
** OS mode stays OS mode. */
void     rng_fork(Rng *parent, Rng *child);
void     rng_wipe(Rng *r);
void     rng_bytes(Rng *r, void *out, size_t n);
uint64_t rng_u64(Rng *r);
uint64_t rng_below(Rng *r, uint64_t n);    /* uniform in [0, n), unbiased; n > 0 */
double   rng_uniform(Rng *r);              /* uniform in [0, 1), 53 random bits */
double   rng_uniform_pos(Rng *r);          /* uniform in (0, 1), never 0 */
double   rng_normal(Rng *r);               /* standard normal (Marsaglia polar) */

/* The ChaCha20 block function (RFC 8439): 64 bytes of keystream. */
void     rng_chacha20_block(const uint32_t key[8], uint64_t counter, uint32_t nonce,
                            unsigned char out[64]);
/* nblocks consecutive blocks from counter ctr into out (64 * nblocks bytes), byte for
** byte what rng_chacha20_block gives, vectorised (and threaded for large requests). */
void     rng_chacha20_blocks(const uint32_t key[8], uint64_t ctr, uint32_t nonce, void *out,
                             size_t nblocks);

#endif
