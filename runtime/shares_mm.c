/*
** shares_mm.c — the one kernel that dominates secret-shared training: a matrix product in
** the ring Z_2^64 (uint64_t arithmetic wraps, which is exactly reduction mod 2^64).
** Row-major, blocked over the inner dimension so that a panel of B stays in cache, with
** 4 × 16 tiles of C accumulated in registers (GCC vector extensions: AVX-512DQ has a
** 64-bit lane multiply; other machines get the AVX2 or baseline clone).  Large products
** are split by rows over a few POSIX threads.  It knows nothing about shares.
*/
#include "shares.h"
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define KB 128                  /* rows of B per block (a 16 KB panel of 16 columns) */

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define MM_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define MM_CLONES
#endif

typedef uint64_t v8 __attribute__((vector_size(64)));

/* Unaligned vector loads and stores (macros: a vector-returning function would change
** the ABI between the clones). */
#define LD(p) ({ v8 v_; memcpy(&v_, (p), sizeof v_); v_; })
#define ST(p, v) do { v8 w_ = (v); memcpy((p), &w_, sizeof w_); } while (0)

/* Rows i0..i1 of C += A @ B: tiles of 4 rows × 16 columns held in registers across a
** block of KB inner indices; leftover rows and columns by plain loops. */
MM_CLONES
static void mm_rows(const uint64_t *restrict A, const uint64_t *restrict B,
                    uint64_t *restrict C, int i0, int i1, int k, int n)
{
    int n16 = n - n % 16;
    for (int kb = 0; kb < k; kb += KB) {
        int ke = kb + KB < k ? kb + KB : k;
        for (int j = 0; j < n16; j += 16) {
            int i = i0;
            for (; i + 4 <= i1; i += 4) {
                v8 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
                const uint64_t *a0 = A + (size_t)i * k, *a1 = a0 + k, *a2 = a1 + k, *a3 = a2 + k;
                for (int q = kb; q < ke; q++) {
                    const uint64_t *bq = B + (size_t)q * n + j;
                    v8 b0 = LD(bq), b1 = LD(bq + 8);
                    uint64_t x0 = a0[q], x1 = a1[q], x2 = a2[q], x3 = a3[q];
                    c00 += b0 * x0; c01 += b1 * x0;
                    c10 += b0 * x1; c11 += b1 * x1;
                    c20 += b0 * x2; c21 += b1 * x2;
                    c30 += b0 * x3; c31 += b1 * x3;
                }
                uint64_t *r0 = C + (size_t)i * n + j, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
                ST(r0, LD(r0) + c00); ST(r0 + 8, LD(r0 + 8) + c01);
                ST(r1, LD(r1) + c10); ST(r1 + 8, LD(r1 + 8) + c11);
                ST(r2, LD(r2) + c20); ST(r2 + 8, LD(r2 + 8) + c21);
                ST(r3, LD(r3) + c30); ST(r3 + 8, LD(r3 + 8) + c31);
            }
            for (; i < i1; i++) {
                v8 c0 = {0}, c1 = {0};
                const uint64_t *a0 = A + (size_t)i * k;
                for (int q = kb; q < ke; q++) {
                    const uint64_t *bq = B + (size_t)q * n + j;
                    c0 += LD(bq) * a0[q]; c1 += LD(bq + 8) * a0[q];
                }
                uint64_t *r0 = C + (size_t)i * n + j;
                ST(r0, LD(r0) + c0); ST(r0 + 8, LD(r0 + 8) + c1);
            }
        }
        if (n16 < n)
            for (int i = i0; i < i1; i++) {
                uint64_t *c = C + (size_t)i * n;
                for (int q = kb; q < ke; q++) {
                    uint64_t a = A[(size_t)i * k + q];
                    const uint64_t *bq = B + (size_t)q * n;
                    for (int j = n16; j < n; j++) c[j] += a * bq[j];
                }
            }
    }
}

typedef struct Job {
    const uint64_t *A, *B; uint64_t *C;
    int i0, i1, k, n;
} Job;

static void *run_job(void *p)
{
    Job *j = p;
    mm_rows(j->A, j->B, j->C, j->i0, j->i1, j->k, j->n);
    return NULL;
}

static int cpus(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    if (c < 1) c = 1;
    if (c > 8) c = 8;
    return (int)c;
}

void ss_mm_u64(const uint64_t *A, const uint64_t *B, uint64_t *C, int m, int k, int n,
               int accumulate, int nthreads)
{
    if (!accumulate) memset(C, 0, (size_t)m * n * sizeof *C);
    if (m <= 0 || n <= 0 || k <= 0) return;
    int T = nthreads > 0 ? nthreads : cpus();
    double work = (double)m * k * n;
    if (work < (double)(1 << 25)) T = 1;   /* thread start-up costs more below */
    if (T > m) T = m;
    if (T <= 1) { mm_rows(A, B, C, 0, m, k, n); return; }
    pthread_t th[8];
    Job jobs[8];
    if (T > 8) T = 8;
    int started = 0;
    for (int t = 0; t < T; t++) {
        jobs[t] = (Job){ A, B, C, (int)((long)m * t / T), (int)((long)m * (t + 1) / T), k, n };
        if (t > 0 && pthread_create(&th[t], NULL, run_job, &jobs[t]) == 0) started |= 1 << t;
        else if (t > 0) run_job(&jobs[t]);
    }
    run_job(&jobs[0]);
    for (int t = 1; t < T; t++)
        if (started & (1 << t)) pthread_join(th[t], NULL);
}
