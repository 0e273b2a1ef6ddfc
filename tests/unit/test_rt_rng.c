/*
** test_rt_rng.c — randomness: ChaCha20 against RFC 8439's test vector, seeded streams
** reproducible, OS streams differing, unbiased ranges and normal moments.
*/
#include "tu.h"
#include "rng.h"
#include <math.h>
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
        {"seeded streams reproducible", seeded_reproducible},
        {"os streams differ", os_streams_differ},
        {"os mode: key erased, rekeyed", os_key_erased_and_rekeyed},
        {"rng_below uniform", below_uniform},
        {"normal moments", normal_moments},
        {NULL, NULL}};
    return tu_main("rng", tests);
}
