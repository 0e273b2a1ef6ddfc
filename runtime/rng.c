/*
** rng.c — operating-system randomness and the seeded ChaCha20 stream (see rng.h for the
** security notes).  The OS path keys from getrandom(2) and aborts rather than ever
** falling back to a weak source.
*/
#include "rng.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void os_fill(unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = getrandom(p, n, 0);
        if (k < 0) {
            if (errno == EINTR) continue;
            perror("ppdl: getrandom");
            abort();
        }
        p += k; n -= (size_t)k;
    }
}

/* Both modes produce ChaCha20 keystream.  OS mode keys it with 32 bytes from
** getrandom(2), rekeys from the OS after every RNG_REKEY bytes, and erases the key as
** it goes (the first 32 bytes of each refill become the next key: "fast key erasure",
** as in arc4random), so earlier output cannot be recomputed from a later state.
** Seeded mode keys it from the seed once and never touches the OS. */
#define RNG_REKEY (1u << 20)

static void refill(Rng *r)
{
    if (!r->seeded && (r->counter == 0 || r->since_rekey >= RNG_REKEY)) {
        os_fill((unsigned char *)r->key, sizeof r->key);
        r->since_rekey = 0;
        if (r->counter == 0) r->counter = 1;
    }
    rng_chacha20_blocks(r->key, r->counter, 0, r->buf, sizeof r->buf / 64);
    r->counter += sizeof r->buf / 64;
    if (!r->seeded) {
        memcpy(r->key, r->buf, sizeof r->key);
        memset(r->buf, 0, sizeof r->key);
        r->pos = sizeof r->key;
        r->since_rekey += sizeof r->buf;
    } else {
        r->pos = 0;
    }
    r->fill = sizeof r->buf;
}

void rng_init(Rng *r)
{
    memset(r, 0, sizeof *r);
}

void rng_seed(Rng *r, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    r->seeded = 1; r->seed = seed;
    r->key[0] = (uint32_t)seed; r->key[1] = (uint32_t)(seed >> 32);
    r->key[2] = 0x70706466; r->key[3] = 0x6c736565;   /* "ppdl" domain constants */
}

void rng_fork(Rng *parent, Rng *child)
{
    if (!parent->seeded) { rng_init(child); return; }
    memset(child, 0, sizeof *child);
    child->seeded = 1; child->seed = parent->seed;
    rng_bytes(parent, child->key, sizeof child->key);
}

void rng_wipe(Rng *r)
{
    volatile unsigned char *p = (volatile unsigned char *)r;
    for (size_t i = 0; i < sizeof *r; i++) p[i] = 0;
}

void rng_bytes(Rng *r, void *out, size_t n)
{
    unsigned char *o = out;
    while (n > 0) {
        if (r->pos >= r->fill) refill(r);
        size_t k = r->fill - r->pos;
        if (k > n) k = n;
        memcpy(o, r->buf + r->pos, k);
        memset(r->buf + r->pos, 0, k);
        r->pos += k; o += k; n -= k;
    }
}

uint64_t rng_u64(Rng *r)
{
    uint64_t v;
    rng_bytes(r, &v, sizeof v);
    return v;
}

uint64_t rng_below(Rng *r, uint64_t n)
{
    uint64_t lim = -n % n;      /* 2^64 mod n: reject the biased low values */
    for (;;) {
        uint64_t v = rng_u64(r);
        if (v >= lim) return v % n;
    }
}

double rng_uniform(Rng *r) { return (double)(rng_u64(r) >> 11) * 0x1.0p-53; }

double rng_uniform_pos(Rng *r)
{
    double u;
    do u = rng_uniform(r); while (u == 0.0);
    return u;
}

double rng_normal(Rng *r)
{
    if (r->have_spare) { r->have_spare = 0; return r->spare; }
    double u, v, s;
    do {
        u = 2.0 * rng_uniform(r) - 1.0;
        v = 2.0 * rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double m = sqrt(-2.0 * log(s) / s);
    r->spare = v * m; r->have_spare = 1;
    return u * m;
}
