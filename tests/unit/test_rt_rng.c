/*
** test_rt_rng.c — randomness: ChaCha20 against RFC 8439's test vector and libsodium, seeded streams
** reproducible, OS streams differing, unbiased ranges and normal moments.
*/
#include "tu.h"
#include "rng.h"
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void chacha_rfc8439_vector(void)
{
    /* RFC 7539 appendix A.1, test vector #1: key 0, nonce 0, block counter 0
       -> keystream starting 76 b8 e0 ad a0 f1 3d 90. */
    uint32_t key[8] = {0};
    unsigned char out[64];
    rng_chacha20_block(key, 0, 0, out);
    const unsigned char want[8] = {0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90};
    CU_ASSERT(memcmp(out, want, 8) == 0);
}

static void vector_blocks_match_scalar(void)
{
    uint32_t key[8] = {1, 2, 3, 4, 5, 6, 7, 0xdeadbeef};
    unsigned char fast[64 * 40], slow[64];
    rng_chacha20_blocks(key, 9, 3, fast, 40);     /* two vector batches and a tail */
    for (int b = 0; b < 40; b++) {
        rng_chacha20_block(key, 9 + (uint64_t)b, 3, slow);
        CU_ASSERT(memcmp(fast + 64 * b, slow, 64) == 0);
    }
}

/* libsodium's ChaCha20 (the original 64-bit counter, 64-bit nonce layout, which ours
** uses with the 32-bit nonce in the low word) is an independent reference: every batch
** size, counter and key gives the same bytes, across the 2^32 counter carry too. */
static void blocks_match_libsodium(void)
{
    CU_ASSERT_FATAL(sodium_init() >= 0);
    static const size_t counts[] = {1, 15, 16, 17, 40, 300, 8192 + 33};
    static const uint64_t ctrs[] = {0, 9, 0xfffffff0u, 1ull << 40};
    unsigned char *ours = malloc(64 * (8192 + 33)), *ref = malloc(64 * (8192 + 33));
    CU_ASSERT_FATAL(ours && ref);
    for (int t = 0; t < 7 * 4; t++) {
        size_t n = counts[t % 7];
        uint64_t ctr = ctrs[t / 7];
        uint32_t key[8], nonce = 0x73736d70u ^ (uint32_t)t;
        randombytes_buf(key, sizeof key);
        unsigned char nb[8] = {(unsigned char)nonce, (unsigned char)(nonce >> 8),
                               (unsigned char)(nonce >> 16), (unsigned char)(nonce >> 24), 0, 0, 0, 0};
        rng_chacha20_blocks(key, ctr, nonce, ours, n);
        memset(ref, 0, 64 * n);
        crypto_stream_chacha20_xor_ic(ref, ref, 64 * n, nb, ctr, (const unsigned char *)key);
        CU_ASSERT(memcmp(ours, ref, 64 * n) == 0);
    }
    free(ours); free(ref);
}

static void seeded_reproducible(void)
{
    Rng a, b, c;
    rng_seed(&a, 42); rng_seed(&b, 42); rng_seed(&c, 43);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_u64(&a), y = rng_u64(&b), z = rng_u64(&c);
        CU_ASSERT_EQUAL(x, y);
        CU_ASSERT_NOT_EQUAL(x, z);
    }
}

static void os_streams_differ(void)
{
    Rng a, b;
    rng_init(&a); rng_init(&b);
    CU_ASSERT_NOT_EQUAL(rng_u64(&a), rng_u64(&b));
    rng_wipe(&a); rng_wipe(&b);
}

static void os_key_erased_and_rekeyed(void)
{
    Rng r;
    rng_init(&r);
    (void)rng_u64(&r);
    uint32_t k1[8];
    memcpy(k1, r.key, sizeof k1);
    unsigned char big[8192];
    rng_bytes(&r, big, sizeof big);             /* forces refills: the key moves on */
    CU_ASSERT(memcmp(k1, r.key, sizeof k1) != 0);
    size_t before = r.since_rekey;
    CU_ASSERT(before > 0);
    for (int i = 0; i < 130; i++) rng_bytes(&r, big, sizeof big);   /* > 1 MiB */
    CU_ASSERT(r.since_rekey < before + 130 * sizeof big);            /* rekeyed from the OS */
    int ones = 0;
    for (size_t i = 0; i < sizeof big; i++) ones += __builtin_popcount(big[i]);
    TU_NEAR(ones / (8.0 * sizeof big), 0.5, 0.02);
    rng_wipe(&r);
}

static void below_uniform(void)
{
    Rng r;
    rng_seed(&r, 7);
    int counts[6] = {0};
    for (int i = 0; i < 60000; i++) counts[rng_below(&r, 6)]++;
    for (int k = 0; k < 6; k++) CU_ASSERT(counts[k] > 9500 && counts[k] < 10500);
}

static void normal_moments(void)
{
    Rng r;
    rng_seed(&r, 9);
    double s = 0, s2 = 0; int n = 200000;
    for (int i = 0; i < n; i++) { double x = rng_normal(&r); s += x; s2 += x * x; }
    TU_NEAR(s / n, 0.0, 0.01);
    TU_NEAR(s2 / n, 1.0, 0.02);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"chacha20 known answer", chacha_rfc8439_vector},
        {"vector blocks match scalar", vector_blocks_match_scalar},
        {"blocks match libsodium", blocks_match_libsodium},
        {"seeded streams reproducible", seeded_reproducible},
        {"os streams differ", os_streams_differ},
        {"os mode: key erased, rekeyed", os_key_erased_and_rekeyed},
        {"rng_below uniform", below_uniform},
        {"normal moments", normal_moments},
        {NULL, NULL}};
    return tu_main("rng", tests);
}
