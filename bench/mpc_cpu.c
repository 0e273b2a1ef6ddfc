/*
** mpc_cpu.c — process CPU time of the two figures docs/shares.md compares across runtime
** versions: one MLP 784-128-10 training step at batch 128 and one 128×784 @ 784×128
** shared product, three parties and a dealer in one process, one worker thread, random
** data (no dataset needed).  CPU time (CLOCK_PROCESS_CPUTIME_ID) is steadier than wall
** time on a shared machine; it prints the best and the median of `reps` runs.
**
** Build against this tree's runtime:
**     make build/librt.a
**     cc -O2 -D_GNU_SOURCE -Iruntime $(pkg-config --cflags msgpack) -o /tmp/mpc_cpu \
**        bench/mpc_cpu.c build/librt.a $(pkg-config --libs gmp zlib msgpack libzmq) \
**        -lopenblas -lm -pthread
** and against a runtime from before the message layer (6ec7b70 and earlier: SsCtx has
** .tr, no .msg) with -DOLD_CTX and that version's headers (git archive OLD runtime).
** Alternate old and new builds in one session and compare best figures.  Since softmax
** on shares the step's default loss is softmax cross-entropy; build with -DSQUARED_LOSS
** to time the squared loss on logits that older runtimes use.  Usage: mpc_cpu [reps].
** On a loaded machine, count instead (repeatable): per steady step,
**     valgrind --tool=callgrind --cache-sim=yes --LL=1048576,8,64 \
**        --toggle-collect=ss_model_step --toggle-collect=run_half mpc_cpu R
** with R = 1 and R = 4, the difference over 3 (run_half: the old runtime's second
** generator thread); "LL misses" then model a 1 MB L2.
*/
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "network.h"
#include "shares.h"
#ifndef OLD_CTX
#include "message.h"
static Msg msg;
#endif

static Rng rng;
static Tr tr;
static SsCtx ctx;

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, by_value);
    printf("%-34s best %7.2f ms   median %7.2f ms  (CPU, %d runs)\n", what, t[0] * 1e3,
           t[n / 2] * 1e3, n);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 15;
    if (reps < 1 || reps > 1000) { fputs("usage: mpc_cpu [reps 1..1000]\n", stderr); return 1; }
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    rng_init(&rng);
    tr_init(&tr);
#ifdef OLD_CTX
    ctx = (SsCtx){ .tr = &tr, .rng = &rng, .nthreads = 1 };
#else
    msg_init(&msg, &tr, NULL);
    ctx = (SsCtx){ .msg = &msg, .rng = &rng, .nthreads = 1 };
#endif
    int parties[3] = { 1, 2, 3 };
    SsScheme sc;
    RtErr err;
    if (ss_scheme_additive(&ctx, &sc, 3, parties, 16, 4)) { printf("scheme: %s\n", ctx.err.msg); return 1; }
    NnLayer L[4] = { { .kind = NN_DENSE, .in = 784, .out = 128 }, { .kind = NN_RELU },
                     { .kind = NN_DENSE, .in = 128, .out = 10 }, { .kind = NN_SOFTMAX } };
    NnNet *net = nn_net_new("mlp", 4, L, &err);
    if (!net) { printf("net: %s\n", err.msg); return 1; }
    NnModel *m = nn_model_new(net, &rng);
    Tn *xb = tn_new(2, (int[]){ 128, 784 }), *oh = tn_new(2, (int[]){ 128, 10 });
    Tn *y = tn_new(2, (int[]){ 784, 128 });
    for (size_t i = 0; i < xb->size; i++) xb->data[i] = (float)rng_uniform(&rng);
    for (size_t i = 0; i < y->size; i++) y->data[i] = (float)rng_uniform(&rng) * 0.1f;
    for (int i = 0; i < 128; i++) oh->data[i * 10 + i % 10] = 1;
    SsTensor *sxb = ss_share(&ctx, &sc, xb, 1), *syb = ss_share(&ctx, &sc, oh, 1);
    SsTensor *sy = ss_share(&ctx, &sc, y, 2);
    SsModel *sm = ss_model_share(&ctx, &sc, m, 0);
#ifdef SQUARED_LOSS
    if (sm) sm->loss = SS_LOSS_MSE;
#endif
    double *t = calloc((size_t)reps, sizeof *t);
    if (!sxb || !syb || !sy || !sm || !t) { printf("setup: %s\n", ctx.err.msg); return 1; }
    for (int r = 0; r < reps; r++) {
        tr_clear(&tr);
        double c0 = cpu();
        if (ss_model_step(&ctx, sm, sxb, syb, 0.01)) { printf("step: %s\n", ctx.err.msg); return 1; }
        t[r] = cpu() - c0;
    }
    report("MLP 784-128-10 step, B=128", t, reps);
    for (int r = 0; r < reps; r++) {
        tr_clear(&tr);
        double c0 = cpu();
        SsTensor *z = ss_matmul(&ctx, sxb, sy);
        t[r] = cpu() - c0;
        if (!z) { printf("product: %s\n", ctx.err.msg); return 1; }
        ss_free(z);
    }
    report("128x784 @ 784x128 product", t, reps);
    free(t);
    return 0;
}
