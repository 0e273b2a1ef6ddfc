/*
** chacha.c — make bench-dp's first figure: ChaCha20 keystream throughput of ppdl's
** generator (runtime/rng_chacha.c: sixteen blocks in vector lanes, two threads for
** large requests) against libsodium's crypto_stream_chacha20 on the same machine, in
** the same run, for the request sizes the runtime makes (a 1 KiB refill of Rng, a 64 KiB
** share mask, a 1 MiB and a 64 MiB noise tensor).  The two produce the same bytes
** (tests/unit/test_rt_rng.c checks it); this only says which is faster here.
** Built and run by `make bench-dp`; usage: chacha [seconds per figure].
*/
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rng.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Best throughput in GB/s over repetitions lasting about `budget` seconds in all. */
static double best_ours(const uint32_t key[8], unsigned char *buf, size_t n, double budget)
{
    double best = 0, end = now() + budget;
    for (uint64_t r = 0; now() < end || r < 3; r++) {
        double t0 = now();
        rng_chacha20_blocks(key, r << 32, 7, buf, n / 64);
        double g = (double)n / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    return best;
}

static double best_sodium(const uint32_t key[8], unsigned char *buf, size_t n, double budget)
{
    const unsigned char nonce[8] = {7, 0, 0, 0, 0, 0, 0, 0};
    double best = 0, end = now() + budget;
    for (uint64_t r = 0; now() < end || r < 3; r++) {
        double t0 = now();
        memset(buf, 0, n);
        crypto_stream_chacha20_xor_ic(buf, buf, n, nonce, r << 32, (const unsigned char *)key);
        double g = (double)n / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    return best;
}

int main(int argc, char **argv)
{
    double budget = argc > 1 ? atof(argv[1]) : 1.0;
    if (sodium_init() < 0) { fputs("chacha: libsodium failed to start\n", stderr); return 1; }
    static const size_t sizes[] = {1024, 1 << 16, 1 << 20, 1 << 26};
    unsigned char *buf = malloc(1 << 26);
    if (!buf) { fputs("chacha: out of memory\n", stderr); return 1; }
    uint32_t key[8];
    randombytes_buf(key, sizeof key);
    printf("ChaCha20 keystream, best of repeated runs, GB/s (both measured in this run)\n");
    printf("%12s %10s %10s %8s\n", "request", "ppdl", "libsodium", "ratio");
    for (int i = 0; i < 4; i++) {
        double a = best_ours(key, buf, sizes[i], budget), b = best_sodium(key, buf, sizes[i], budget);
        printf("%9zu KiB %10.2f %10.2f %7.2fx\n", sizes[i] / 1024, a, b, a / b);
    }
    free(buf);
    return 0;
}
