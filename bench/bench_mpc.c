/*
** bench_mpc.c — the MPC benchmark's C half: three parties in one process (one dealer)
** time a 128×784 by 784×128 shared product, sigmoid (interval polynomial) and ReLU on
** 100×100, and one training step of an MLP 784-128-10 at batch 128 on Fashion-MNIST,
** each next to the same operation in plaintext (float32 BLAS, and for the product the
** int64 ring product a party has to compute).  Offline time (the dealer's triples) is
** shown apart from online time.  Then the same step with TWO parties and a dealer, softmax
** cross-entropy, as CrypTen's two-party run (bench/crypten_mlp.py) takes it: median
** seconds, bytes each party sends, the dealer's bytes and rounds, one line for bench/mpc.sh
** to set against CrypTen's.  Every protocol message is a real frame carried by the
** message layer's in-process transport (runtime/shares_msg.c), so the figures include
** building and reading them; the parties take turns in this one process.  Run by
** bench/mpc.sh; arguments: [dataset dir] [reps].
*/
#include <cblas.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dataset.h"
#include "message.h"
#include "network.h"
#include "shares.h"

static Rng R;
static Tr T;
static Msg Mg;
static SsCtx C;

static double best(double a, double b) { return a < b ? a : b; }

static Tn *rnd(int r, int c)
{
    int sh[2] = { r, c };
    Tn *t = tn_new(2, sh);
    for (size_t i = 0; i < t->size; i++) t->data[i] = (float)(rng_uniform(&R) * 2 - 1);
    return t;
}

static void row(const char *what, double shared, double off, double plain, const char *pl)
{
    printf("%-34s %9.2f ms  (offline %7.2f, online %7.2f)   %-18s %8.3f ms   x%.1f\n",
           what, shared * 1e3, off * 1e3, (shared - off) * 1e3, pl, plain * 1e3,
           plain > 0 ? shared / plain : 0);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One training step of m (softmax cross-entropy) on xb, oh with two parties and a dealer,
** as CrypTen's 2PC (bench/crypten_mlp.py): the median wall time and the median process
** CPU time (every party's and the dealer's work, all threads) of reps steps after one
** warm-up step, and from the transcript of the last step the bytes each party sent (the
** larger of the two), the dealer's bytes and the rounds.  Prints one line that
** bench/mpc.sh reads:
**   ppdl-2pc trunc T seconds S min M cpu U bytes B dealer D rounds R steps N */
static void two_party_step(const NnModel *m, const Tn *xb, const Tn *oh, int reps, SsTrunc trunc)
{
    int parties[2] = { 1, 2 };
    SsScheme sc;
    if (ss_scheme_additive(&C, &sc, 2, parties, 16, 3)) { printf("scheme: %s\n", C.err.msg); return; }
    sc.trunc = trunc;
    SsTensor *sx = ss_share(&C, &sc, xb, 1), *sy = ss_share(&C, &sc, oh, 1);
    SsModel *sm = ss_model_share(&C, &sc, m, 0);
    double *t = calloc((size_t)reps, sizeof *t), *u = calloc((size_t)reps, sizeof *u);
    if (!sx || !sy || !sm || !t || !u) { printf("setup: %s\n", C.err.msg); return; }
    sm->loss = SS_LOSS_CE;
    C.no_sim_check = 1;      /* separate parties could not make the simulator's check */
    TrTotals p1 = { 0 }, p2 = { 0 }, dl = { 0 };
    uint32_t rounds = 0;
    int ok = 1;
    for (int r = -1; r < reps && ok; r++) {
        msg_clear(&Mg);
        double t0 = ss__now(), c0 = cpu_now();
        if (ss_model_step(&C, sm, sx, sy, 0.1)) { printf("step failed: %s\n", C.err.msg); ok = 0; }
        if (r >= 0) { t[r] = ss__now() - t0; u[r] = cpu_now() - c0; }
    }
    C.no_sim_check = 0;
    p1 = tr_totals(&T, 1, -1, NULL); p2 = tr_totals(&T, 2, -1, NULL); dl = tr_totals(&T, 3, -1, NULL);
    rounds = tr_rounds(&T);
    if (ok) {
        qsort(t, (size_t)reps, sizeof *t, by_value);
        qsort(u, (size_t)reps, sizeof *u, by_value);
        printf("ppdl-2pc trunc %s seconds %.4f min %.4f cpu %.4f bytes %llu dealer %llu rounds %u steps %d\n",
               trunc == SS_TRUNC_LOCAL ? "local" : "pair", t[reps / 2], t[0], u[reps / 2],
               (unsigned long long)(p1.bytes > p2.bytes ? p1.bytes : p2.bytes),
               (unsigned long long)dl.bytes, rounds, reps);
    }
    free(t); free(u);
    ss_free(sx); ss_free(sy); ss_model_free(sm);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    /* keep freed buffers in the heap: a step allocates and frees megabytes of shares,
    ** and fresh mmap'd pages would be faulted in and zeroed every time */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    rng_init(&R);
    tr_init(&T);
    msg_init(&Mg, &T, NULL);             /* in-process: frames change hands uncopied */
    C = (SsCtx){ .msg = &Mg, .rng = &R, .nthreads = 0 };
    int parties[3] = { 1, 2, 3 };
    SsScheme sc;
    if (ss_scheme_additive(&C, &sc, 3, parties, 16, 4)) { fprintf(stderr, "%s\n", C.err.msg); return 1; }
    printf("3 parties + dealer in one process, Z_2^64, 16 fractional bits, best of %d\n\n", reps);

    /* 1. the shared product and its baselines */
    Tn *x = rnd(128, 784), *y = rnd(784, 128);
    SsTensor *sx = ss_share(&C, &sc, x, 1), *sy = ss_share(&C, &sc, y, 2);
    double ts = 1e9, toff = 0, tl = 1e9, tl1 = 1e9, tf = 1e9;
    uint64_t *A = ss__words(128 * 784), *B = ss__words(784 * 128), *Cm = ss__words(128 * 128);
    ss__rnd(&C, A, 128 * 784); ss__rnd(&C, B, 784 * 128);
    Tn *z = tn_new(2, (int[]){ 128, 128 });
    for (int r = 0; r < reps; r++) {
        C.offline_s = 0;
        double t0 = ss__now();
        SsTensor *p = ss_matmul(&C, sx, sy);
        double t = ss__now() - t0;
        if (t < ts) { ts = t; toff = C.offline_s; }
        ss_free(p);
        t0 = ss__now(); ss_mm_u64(A, B, Cm, 128, 784, 128, 0, 0); tl = best(tl, ss__now() - t0);
        t0 = ss__now(); ss_mm_u64(A, B, Cm, 128, 784, 128, 0, 1); tl1 = best(tl1, ss__now() - t0);
    }
    for (int r = 0; r < reps; r++) {
        double t0 = ss__now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 128, 128, 784, 1.0f, x->data, 784,
                    y->data, 128, 0.0f, z->data, 128);
        tf = best(tf, ss__now() - t0);
    }
    row("shared 128x784 @ 784x128", ts, toff, tl, "int64 product");
    double per_party = (ts - toff) / 3;
    printf("%-34s %9.2f ms  online per party (parties run side by side)   x%.1f of the int64 product\n",
           "", per_party * 1e3, per_party / tl);
    printf("%-34s %9s     int64 product, 1 thread %8.3f ms; float32 BLAS %8.3f ms\n", "", "", tl1 * 1e3, tf * 1e3);
    ss__wipe_free(A, 128 * 784); ss__wipe_free(B, 784 * 128); ss__wipe_free(Cm, 128 * 128); tn_free(z);
    ss_free(sx); ss_free(sy); tn_free(x); tn_free(y);

    /* 2. sigmoid and ReLU on 100x100 */
    Tn *a = rnd(100, 100);
    for (size_t i = 0; i < a->size; i++) a->data[i] *= 6;
    SsTensor *sa = ss_share(&C, &sc, a, 1);
    double coef[NN_MAXDEG + 1];
    nn_poly_fit_interval(NN_FN_SIGMOID, 5, -8, 8, coef);
    double tsg = 1e9, osg = 0, tre = 1e9, ore = 0, psg = 1e9, pre = 1e9, err = 0;
    Tn *o = tn_new(2, (int[]){ 100, 100 });
    for (int r = 0; r < reps; r++) {
        C.offline_s = 0;
        double t0 = ss__now();
        SsTensor *s = ss_poly(&C, sa, coef, 5);
        double t = ss__now() - t0;
        if (t < tsg) { tsg = t; osg = C.offline_s; }
        if (r == 0) {
            Tn *v = ss_reveal(&C, s, 0, 0);
            for (size_t i = 0; i < a->size; i++) err = fmax(err, fabs(v->data[i] - nn_poly_eval(coef, 5, a->data[i])));
            tn_free(v);
        }
        ss_free(s);
        C.offline_s = 0;
        t0 = ss__now();
        SsTensor *q = ss_relu(&C, sa, NULL);
        t = ss__now() - t0;
        if (t < tre) { tre = t; ore = C.offline_s; }
        ss_free(q);
        t0 = ss__now();
        for (size_t i = 0; i < a->size; i++) o->data[i] = 1.0f / (1.0f + expf(-a->data[i]));
        psg = best(psg, ss__now() - t0);
        t0 = ss__now();
        for (size_t i = 0; i < a->size; i++) o->data[i] = a->data[i] > 0 ? a->data[i] : 0;
        pre = best(pre, ss__now() - t0);
    }
    row("shared sigmoid 100x100 (deg 5)", tsg, osg, psg, "float32 sigmoid");
    row("shared ReLU 100x100", tre, ore, pre, "float32 relu");
    printf("%-34s max |shared - plaintext polynomial| = %.2g\n", "", err);
    ss_free(sa); tn_free(a); tn_free(o);

    /* 3. one MLP training step on Fashion-MNIST */
    RtErr e;
    Ds *d = ds_fashion_mnist(dir, 0, 1, &e);
    if (!d) { printf("MLP step: skipped (%s)\n", e.msg); goto done; }
    {
        NnLayer L[4] = { { .kind = NN_DENSE, .in = 784, .out = 128 }, { .kind = NN_RELU },
                         { .kind = NN_DENSE, .in = 128, .out = 10 }, { .kind = NN_SOFTMAX } };
        NnNet *net = nn_net_new("mlp", 4, L, &e);
        NnModel *m = nn_model_new(net, &R);
        Tn *xb = tn_new(2, (int[]){ 128, 784 }), *yb = tn_new(1, (int[]){ 128 });
        Tn *oh = tn_new(2, (int[]){ 128, 10 });
        memcpy(xb->data, d->x->data, 128 * 784 * sizeof(float));
        memcpy(yb->data, d->y->data, 128 * sizeof(float));
        for (int i = 0; i < 128; i++) oh->data[i * 10 + (int)yb->data[i]] = 1;
        SsTensor *sxb = ss_share(&C, &sc, xb, 1), *syb = ss_share(&C, &sc, oh, 1);
        SsModel *sm = ss_model_share(&C, &sc, m, 0);
        double tm = 1e9, om = 0, pm = 1e9;
        NnTrainCfg cfg;
        nn_train_defaults(&cfg);
        cfg.lr = 0.1; cfg.batch = 128;
        nn_bind(m, 1, (int[]){ 784 }, 128, &e);
        /* shared steps first: OpenBLAS's threads spin for a while after a plaintext call
        ** and would steal the core from the shared step */
        for (int r = 0; r < reps; r++) {
            C.offline_s = 0;
            double t0 = ss__now();
            if (ss_model_step(&C, sm, sxb, syb, 0.1)) { printf("MLP step failed: %s\n", C.err.msg); break; }
            double t = ss__now() - t0;
            if (t < tm) { tm = t; om = C.offline_s; }
        }
        for (int r = 0; r < reps; r++) {
            double ls, t0 = ss__now();
            long cor;
            nn_train_step(m, xb->data, yb->data, 128, 10, &cfg, 128, &R, &ls, &cor, &e);
            pm = best(pm, ss__now() - t0);
        }
        row("shared MLP 784-128-10 step, B=128", tm, om, pm, "float32 step");
        printf("%-34s (softmax cross-entropy; CrypTen's step: see the two-party part below)\n", "");
        TrTotals tot = tr_totals(&T, 1, -1, NULL);
        printf("%-34s transcript so far: party 1 sent %llu messages, %.1f MB\n", "",
               (unsigned long long)tot.msgs, tot.bytes / 1e6);
        ss_free(sxb); ss_free(syb); ss_model_free(sm);
        printf("\n== two parties + dealer, the step CrypTen's run below takes (median of %d after a warm-up)\n", reps);
        two_party_step(m, xb, oh, reps, SS_TRUNC_PAIR);
        two_party_step(m, xb, oh, reps, SS_TRUNC_LOCAL);
        tn_free(xb); tn_free(yb); tn_free(oh);
        nn_model_free(m); nn_net_free(net);
        ds_free(d);
    }
done:
    msg_free(&Mg);
    tr_free(&T);
    rng_wipe(&R);
    return 0;
}
