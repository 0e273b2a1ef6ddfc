/*
** test_rt_rng.c — randomness: ChaCha20 against RFC 8439's test vector, seeded streams
** reproducible, OS streams differing, and unbiased ranges.
*/
#include "tu.h"
#include "rng.h"
#include "tr.h"
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

static void transcript_totals(void)
{
    Tr t;
    tr_init(&t);
    tr_send(&t, 1, 3, "share", 8, 0, NULL);
    tr_send(&t, 2, 3, "share", 8, 0, "x");
    tr_next_round(&t);
    tr_phase(&t, "offline");
    tr_send(&t, 3, 1, "triple", 24, 0, NULL);
    TrTotals r = tr_totals(&t, -1, 3, NULL);
    CU_ASSERT_EQUAL(r.msgs, 2); CU_ASSERT_EQUAL(r.bytes, 16); CU_ASSERT_EQUAL(r.rounds, 1);
    TrTotals o = tr_totals(&t, 3, -1, "offline");
    CU_ASSERT_EQUAL(o.msgs, 1); CU_ASSERT_EQUAL(o.bytes, 24);
    CU_ASSERT_STRING_EQUAL(t.msgs[1].what, "x");
    tr_free(&t);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"chacha20 known answer", chacha_rfc8439_vector},
        {"seeded streams reproducible", seeded_reproducible},
        {"os streams differ", os_streams_differ},
        {"rng_below uniform", below_uniform},
        {"normal moments", normal_moments},
        {"transcript totals", transcript_totals},
        {NULL, NULL}};
    return tu_main("rng", tests);
}
