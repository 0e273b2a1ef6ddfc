/*
** paillier_vec.c — ciphertext vectors: bulk encryption and decryption on several threads
** (pthreads; each thread gets its own Rng from rng_fork), the homomorphic operations
** elementwise and as simultaneous-exponentiation dot products, public bound tracking
** that turns a possible overflow into RT_EOVERFLOW, precomputed noise pools, and
** BatchCrypt-style packing of many fixed-point values into one plaintext.  Single
** values and keys are paillier.c's; shapes and broadcasting are the caller's (index arrays).
*/
#include "paillier.h"
#include "mem.h"
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 16

static void wclear(mpz_t x) { pai_mpz_wipe(x); mpz_clear(x); }

/* --- a tiny parallel for ------------------------------------------------------------ */

typedef int (*Job)(void *ctx, size_t lo, size_t hi, Rng *rng, volatile sig_atomic_t *intr);

typedef struct Part {
    Job fn; void *ctx; size_t lo, hi; Rng *rng; volatile sig_atomic_t *intr; int st;
} Part;

static void *part_main(void *arg)
{
    Part *p = arg;
    p->st = p->fn(p->ctx, p->lo, p->hi, p->rng, p->intr);
    return NULL;
}

/* Runs fn over [0, n) split in contiguous parts, one a thread; the first failing
** status wins.  rng may be NULL for jobs that draw no randomness. */
static int par_run(size_t n, const PaiOpts *o, Rng *rng, Job fn, void *ctx)
{
    int T = o && o->threads > 1 ? o->threads : 1;
    if (T > MAX_THREADS) T = MAX_THREADS;
    if ((size_t)T > n) T = n ? (int)n : 1;
    volatile sig_atomic_t *intr = o ? o->interrupt : NULL;
    if (T == 1) return fn(ctx, 0, n, rng, intr);
    Part part[MAX_THREADS];
    Rng *rngs = rng ? xcalloc((size_t)T, sizeof *rngs) : NULL;
    pthread_t th[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int t = 0; t < T; t++) {
        part[t] = (Part){ .fn = fn, .ctx = ctx, .lo = n * (size_t)t / (size_t)T,
                          .hi = n * (size_t)(t + 1) / (size_t)T, .intr = intr };
        if (rng) { rng_fork(rng, &rngs[t]); part[t].rng = &rngs[t]; }
    }
    for (int t = 1; t < T; t++)
        started[t] = pthread_create(&th[t], NULL, part_main, &part[t]) == 0;
    part_main(&part[0]);
    for (int t = 1; t < T; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else part_main(&part[t]);           /* no thread: do it here */
    }
    int st = RT_OK;
    for (int t = 0; t < T && st == RT_OK; t++) st = part[t].st;
    if (rngs) { for (int t = 0; t < T; t++) rng_wipe(&rngs[t]); free(rngs); }
    return st;
}

#define POLL(intr) do { if ((intr) && *(intr)) return RT_EINTR; } while (0)

/* A code st (0: none) with its generic message in err: the jobs run on threads, so they
** return codes and the public function that ran them reports. */
static int fail(RtErr *err, int st) { return st ? rt_fail(err, st, "%s", pai_strerror(st)) : 0; }

/* --- bounds (log2 of a public bound on |m|) ------------------------------------------- */

static double lb_add(double a, double b)
{
    if (isnan(a) || isnan(b)) return NAN;
    if (a == -INFINITY) return b;
    if (b == -INFINITY) return a;
    double hi = fmax(a, b), lo = fmin(a, b);
    return hi + log2(1.0 + exp2(lo - hi)) + 1e-9;
}

/* log2 of a bound on |round(k * 16^-exp)| for |k| <= kmax. */
static double lb_plain(double kmax, int exp)
{
    if (kmax == 0) return -INFINITY;
    double l = log2(kmax) - 4.0 * exp;
    if (l < 60) l = log2(ldexp(kmax, -4 * exp) + 0.5);
    return l + 1e-9;
}

int pai_vec_check(const PaiPub *pub, const PaiVec *v, RtErr *err)
{
    if (v->slots) return RT_OK;
    if (!isnan(v->lbound) && v->lbound > (double)pub->max_int_log2)
        return rt_fail(err, RT_EOVERFLOW, "%s (a bound of 2^%.1f on %u bits)", pai_strerror(RT_EOVERFLOW),
                       v->lbound, pub->max_int_log2);
    return RT_OK;
}

/* Frees *v and reports st (a job's code) when st is a failure, else checks the bound. */
static int finish(const PaiPub *pub, PaiVec **v, int st, RtErr *err)
{
    st = st ? fail(err, st) : pai_vec_check(pub, *v, err);
    if (st != RT_OK) { pai_vec_free(*v); *v = NULL; }
    return st;
}

/* --- vectors ---------------------------------------------------------------------------- */

PaiVec *pai_vec_new(size_t n)
{
    PaiVec *v = xcalloc(1, sizeof *v);
    v->n = n; v->count = n;
    v->c = xcalloc(n, sizeof *v->c);
    for (size_t i = 0; i < n; i++) mpz_init(v->c[i]);
    v->lbound = -INFINITY;
    return v;
}

void pai_vec_free(PaiVec *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) mpz_clear(v->c[i]);
    free(v->c);
    free(v);
}

/* A new vector with a's metadata and n ciphertexts. */
static PaiVec *vec_like(const PaiVec *a, size_t n)
{
    PaiVec *v = pai_vec_new(n);
    v->exp = a->exp; v->lbound = a->lbound;
    v->count = a->slots ? a->count : n;
    v->slots = a->slots; v->slot_bits = a->slot_bits; v->vbits = a->vbits;
    v->adds = a->adds; v->max_adds = a->max_adds;
    return v;
}

PaiVec *pai_vec_copy(const PaiVec *a)
{
    PaiVec *v = vec_like(a, a->n);
    for (size_t i = 0; i < a->n; i++) mpz_set(v->c[i], a->c[i]);
    return v;
}

uint64_t pai_vec_bytes(const PaiPub *pub, const PaiVec *v)
{
    return (uint64_t)v->n * ((2 * (uint64_t)pub->bits + 7) / 8);
}

static size_t IX(const size_t *ix, size_t i) { return ix ? ix[i] : i; }

/* --- encryption ------------------------------------------------------------------------ */

typedef struct EncCtx {
    const PaiPub *pub; const PaiPriv *priv; PaiNoise *pool; size_t pool_base;
    const double *x; PaiVec *v; int exp;
    /* packing */
    unsigned slots, slot_bits, vbits; size_t count;
} EncCtx;

/* c = E(m) with the context's noise source; index i picks the pool entry. */
static void enc_one(const EncCtx *e, mpz_t c, const mpz_t m, size_t i, Rng *rng)
{
    if (e->pool) {
        mpz_t *r = &e->pool->r[e->pool_base + i];
        mpz_t t; mpz_init(t);
        mpz_mul(t, m, e->pub->n); mpz_add_ui(t, t, 1);
        mpz_mul(t, t, *r); mpz_mod(c, t, e->pub->n2);
        wclear(t);
        pai_mpz_wipe(*r);
    } else if (e->priv) {
        pai_encrypt_crt(e->priv, e->pub, c, m, rng);
    } else {
        pai_encrypt(e->pub, c, m, rng);
    }
}

static int enc_job(void *ctx, size_t lo, size_t hi, Rng *rng, volatile sig_atomic_t *intr)
{
    EncCtx *e = ctx;
    int st = RT_OK;
    mpz_t m; mpz_init(m);
    for (size_t i = lo; i < hi && st == RT_OK; i++) {
        if (intr && *intr) { st = RT_EINTR; break; }
        st = pai_encode(e->pub, m, e->x[i], e->exp, NULL);
        if (st == RT_OK) enc_one(e, e->v->c[i], m, i, rng);
    }
    wclear(m);
    return st;
}

int pai_vec_encrypt(PaiVec **out, const PaiPub *pub, const PaiPriv *priv, PaiNoise *pool,
                    const double *x, size_t n, int exp, double range, Rng *rng,
                    const PaiOpts *opts, RtErr *err)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || fabs(x[i]) > range) return fail(err, RT_ERANGE);
    if (pool && pai_noise_left(pool) < n) return fail(err, RT_EEMPTY);
    PaiVec *v = pai_vec_new(n);
    v->exp = exp;
    v->lbound = lb_plain(range, exp);
    if (pai_vec_check(pub, v, NULL)) { pai_vec_free(v); return fail(err, RT_ERANGE); }
    EncCtx e = { .pub = pub, .priv = priv, .pool = pool, .pool_base = pool ? pool->next : 0,
                 .x = x, .v = v, .exp = exp };
    int st = par_run(n, opts, rng, enc_job, &e);
    if (pool) pool->next += n;
    return finish(pub, (*out = v, out), st, err);
}

/* --- decryption ------------------------------------------------------------------------ */

typedef struct DecCtx {
    const PaiPub *pub; const PaiPriv *priv; const PaiVec *v; double *out; mpz_t *iout;
} DecCtx;

/* Unpacks the slots of plaintext M (destroyed) of ciphertext i into d->out. */
static int unpack(const DecCtx *d, mpz_t M, size_t i)
{
    const PaiVec *v = d->v;
    mpz_t s, off; mpz_inits(s, off, NULL);
    mpz_set_ui(off, v->adds);
    mpz_mul_2exp(off, off, v->vbits);           /* adds * 2^vbits */
    for (unsigned j = 0; j < v->slots; j++) {
        size_t k = i * v->slots + j;
        if (k >= v->count) break;
        mpz_fdiv_r_2exp(s, M, v->slot_bits);
        mpz_fdiv_q_2exp(M, M, v->slot_bits);
        mpz_sub(s, s, off);
        long e2;
        double dd = mpz_get_d_2exp(&e2, s);
        d->out[k] = ldexp(dd, (int)e2 + 4 * v->exp);
    }
    wclear(s); mpz_clear(off);
    return RT_OK;
}

static int dec_job(void *ctx, size_t lo, size_t hi, Rng *rng, volatile sig_atomic_t *intr)
{
    (void)rng;
    DecCtx *d = ctx;
    int st = RT_OK;
    mpz_t m; mpz_init(m);
    for (size_t i = lo; i < hi && st == RT_OK; i++) {
        if (intr && *intr) { st = RT_EINTR; break; }
        st = pai_decrypt(d->priv, d->pub, m, d->v->c[i], NULL);
        if (st != RT_OK) break;
        if (d->iout) st = pai_signed(d->pub, d->iout[i], m, NULL);
        else if (d->v->slots) st = unpack(d, m, i);
        else st = pai_decode(d->pub, &d->out[i], m, d->v->exp, NULL);
    }
    wclear(m);
    return st;
}

int pai_vec_decrypt(double *out, const PaiPub *pub, const PaiPriv *priv, const PaiVec *v,
                    const PaiOpts *opts, RtErr *err)
{
    if (pai_vec_check(pub, v, NULL)) return fail(err, RT_EOVERFLOW);
    DecCtx d = { .pub = pub, .priv = priv, .v = v, .out = out };
    return fail(err, par_run(v->n, opts, NULL, dec_job, &d));
}

int pai_vec_decrypt_int(mpz_t *out, const PaiPub *pub, const PaiPriv *priv, const PaiVec *v,
                        const PaiOpts *opts, RtErr *err)
{
    if (v->slots) return fail(err, RT_EPACKED);
    DecCtx d = { .pub = pub, .priv = priv, .v = v, .iout = out };
    return fail(err, par_run(v->n, opts, NULL, dec_job, &d));
}

/* --- elementwise operations ---------------------------------------------------------- */

typedef struct OpCtx {
    const PaiPub *pub; PaiVec *out;
    const PaiVec *a; const size_t *ia; mpz_t sa;    /* a scaled by sa (NULL-like when 1) */
    const PaiVec *b; const size_t *ib; mpz_t sb; int bneg;
    const double *k; const size_t *ik; int kexp; int sign;
    int op;
} OpCtx;

enum { OP_ADD, OP_ADDK, OP_MULK };

/* c = a[i] scaled by s (s == 1: copy). */
static void scaled(const PaiPub *pub, mpz_t c, const mpz_t a, const mpz_t s)
{
    if (mpz_cmp_ui(s, 1) == 0) mpz_set(c, a);
    else mpz_powm(c, a, s, pub->n2);
}

static int op_job(void *ctx, size_t lo, size_t hi, Rng *rng, volatile sig_atomic_t *intr)
{
    (void)rng;
    OpCtx *o = ctx;
    const PaiPub *pub = o->pub;
    mpz_t x, y; mpz_inits(x, y, NULL);
    for (size_t i = lo; i < hi; i++) {
        if (intr && *intr) { mpz_clears(x, y, NULL); return RT_EINTR; }
        mpz_t *c = &o->out->c[i];
        scaled(pub, x, o->a->c[IX(o->ia, i)], o->sa);
        switch (o->op) {
        case OP_ADD:
            scaled(pub, y, o->b->c[IX(o->ib, i)], o->sb);
            if (o->bneg) pai_neg(pub, y, y);
            pai_add(pub, *c, x, y);
            break;
        case OP_ADDK:
            if (o->sign < 0) pai_neg(pub, x, x);
            pai_encode_k(y, o->k[IX(o->ik, i)], o->kexp, NULL);
            pai_add_plain(pub, *c, x, y);
            break;
        case OP_MULK:
            pai_encode_k(y, o->k[IX(o->ik, i)], o->kexp, NULL);
            pai_mul_plain(pub, *c, x, y);
            break;
        }
    }
    mpz_clears(x, y, NULL);
    return RT_OK;
}

/* 16^d as an mpz. */
static void pow16(mpz_t s, int d) { mpz_set_ui(s, 1); mpz_mul_2exp(s, s, 4u * (unsigned)d); }

static int add_sub(PaiVec **out, const PaiPub *pub, const PaiVec *a, const size_t *ia,
                   const PaiVec *b, const size_t *ib, size_t n, int neg, const PaiOpts *opts,
                   RtErr *err)
{
    *out = NULL;
    if (a->slots || b->slots) {
        if (!a->slots || !b->slots || neg || ia || ib || a->n != b->n || n != a->n ||
            a->slots != b->slots || a->slot_bits != b->slot_bits || a->vbits != b->vbits ||
            a->count != b->count || a->exp != b->exp) return fail(err, RT_EPACKED);
        if ((uint64_t)a->adds + b->adds > a->max_adds)
            return rt_fail(err, RT_EOVERFLOW, "packed ciphertexts have room for %u additions; this sum "
                           "would have %u summands", a->max_adds, a->adds + b->adds);
    }
    OpCtx o = { .pub = pub, .a = a, .ia = ia, .b = b, .ib = ib, .bneg = neg, .op = OP_ADD };
    mpz_inits(o.sa, o.sb, NULL);
    int e = a->exp < b->exp ? a->exp : b->exp;
    pow16(o.sa, a->exp - e); pow16(o.sb, b->exp - e);
    PaiVec *v = vec_like(a, n);
    v->exp = e;
    v->lbound = lb_add(a->lbound + 4.0 * (a->exp - e), b->lbound + 4.0 * (b->exp - e));
    if (a->slots) v->adds = a->adds + b->adds;
    o.out = v;
    int st = par_run(n, opts, NULL, op_job, &o);
    mpz_clears(o.sa, o.sb, NULL);
    *out = v;
    return finish(pub, out, st, err);
}

int pai_vec_add(PaiVec **out, const PaiPub *pub, const PaiVec *a, const size_t *ia,
                const PaiVec *b, const size_t *ib, size_t n, const PaiOpts *opts, RtErr *err)
{
    return add_sub(out, pub, a, ia, b, ib, n, 0, opts, err);
}

int pai_vec_sub(PaiVec **out, const PaiPub *pub, const PaiVec *a, const size_t *ia,
                const PaiVec *b, const size_t *ib, size_t n, const PaiOpts *opts, RtErr *err)
{
    return add_sub(out, pub, a, ia, b, ib, n, 1, opts, err);
}

static double kmax_of(const double *k, const size_t *ik, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) { double a = fabs(k[IX(ik, i)]); if (a > m) m = a; }
    return m;
}

/* Plain operands must stay finite at the finest scale they may be encoded at. */
static int kcheck(const double *k, const size_t *ik, size_t n, int frac_exp)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(ldexp(k[IX(ik, i)], frac_exp < 0 ? -4 * frac_exp : 0))) return RT_ERANGE;
    return RT_OK;
}

int pai_vec_add_plain(PaiVec **out, const PaiPub *pub, const PaiVec *a, const size_t *ia,
                      const double *k, const size_t *ik, size_t n, int sign, int frac_exp,
                      const PaiOpts *opts, RtErr *err)
{
    *out = NULL;
    if (a->slots) return fail(err, RT_EPACKED);
    if (kcheck(k, ik, n, frac_exp)) return fail(err, RT_ERANGE);
    /* the plaintext is encoded at the smaller of a's exponent and its own */
    int kexp = frac_exp;
    int exact = 1;
    for (size_t i = 0; i < n && exact; i++) {
        double x = k[IX(ik, i)];
        exact = fabs(x) < 0x1p53 && x == nearbyint(x);
    }
    if (exact) kexp = 0;
    int e = a->exp < kexp ? a->exp : kexp;
    OpCtx o = { .pub = pub, .a = a, .ia = ia, .k = k, .ik = ik, .kexp = e, .sign = sign,
                .op = OP_ADDK };
    mpz_init(o.sa); mpz_init(o.sb);
    pow16(o.sa, a->exp - e);
    PaiVec *v = vec_like(a, n);
    v->exp = e;
    v->lbound = lb_add(a->lbound + 4.0 * (a->exp - e), lb_plain(kmax_of(k, ik, n), e));
    o.out = v;
    int st = par_run(n, opts, NULL, op_job, &o);
    mpz_clears(o.sa, o.sb, NULL);
    *out = v;
    return finish(pub, out, st, err);
}

int pai_vec_mul_plain(PaiVec **out, const PaiPub *pub, const PaiVec *a, const size_t *ia,
                      const double *k, const size_t *ik, size_t n, int frac_exp,
                      const PaiOpts *opts, RtErr *err)
{
    *out = NULL;
    if (a->slots) return fail(err, RT_EPACKED);
    if (kcheck(k, ik, n, frac_exp)) return fail(err, RT_ERANGE);
    int exact = 1;
    for (size_t i = 0; i < n && exact; i++) {
        double x = k[IX(ik, i)];
        exact = fabs(x) < 0x1p53 && x == nearbyint(x);
    }
    int kexp = exact ? 0 : frac_exp;
    OpCtx o = { .pub = pub, .a = a, .ia = ia, .k = k, .ik = ik, .kexp = kexp, .op = OP_MULK };
    mpz_init_set_ui(o.sa, 1); mpz_init(o.sb);
    PaiVec *v = vec_like(a, n);
    v->exp = a->exp + kexp;
    double lk = lb_plain(kmax_of(k, ik, n), kexp);
    v->lbound = lk == -INFINITY ? -INFINITY : a->lbound + lk;
    o.out = v;
    int st = par_run(n, opts, NULL, op_job, &o);
    mpz_clears(o.sa, o.sb, NULL);
    *out = v;
    return finish(pub, out, st, err);
}

int pai_vec_neg(PaiVec **out, const PaiPub *pub, const PaiVec *a, const PaiOpts *opts, RtErr *err)
{
    *out = NULL;
    if (a->slots) return fail(err, RT_EPACKED);
    double m1 = -1;
    size_t *ik = xcalloc(a->n, sizeof *ik);     /* every element reads k[0] */
    int st = pai_vec_mul_plain(out, pub, a, NULL, &m1, ik, a->n, 0, opts, err);
    free(ik);
    return st;
}

/* --- dot products and sums ---------------------------------------------------------- */

typedef struct DotCtx {
    const PaiPub *pub; PaiVec *out; const PaiVec *a; const size_t *abase; size_t astride;
    const double *k; const size_t *kbase; size_t kstride; size_t len; int kexp;
} DotCtx;

static int dot_job(void *ctx, size_t lo, size_t hi, Rng *rng, volatile sig_atomic_t *intr)
{
    (void)rng;
    DotCtx *d = ctx;
    const PaiPub *pub = d->pub;
    size_t L = d->len;
    mpz_t *e = xcalloc(L, sizeof *e);           /* |encoded k| */
    int *sg = xcalloc(L, sizeof *sg);           /* its sign */
    for (size_t l = 0; l < L; l++) mpz_init(e[l]);
    mpz_t P, N, t; mpz_inits(P, N, t, NULL);
    int st = RT_OK;
    for (size_t o = lo; o < hi; o++) {
        if (intr && *intr) { st = RT_EINTR; break; }
        size_t ab = d->abase ? d->abase[o] : o * L, kb = d->kbase ? d->kbase[o] : o * L;
        size_t maxbits = 0;
        int anyp = 0, anyn = 0;
        for (size_t l = 0; l < L; l++) {
            pai_encode_k(e[l], d->k[kb + l * d->kstride], d->kexp, NULL);
            sg[l] = mpz_sgn(e[l]);
            mpz_abs(e[l], e[l]);
            if (sg[l] > 0) anyp = 1;
            if (sg[l] < 0) anyn = 1;
            size_t b = sg[l] ? mpz_sizeinbase(e[l], 2) : 0;
            if (b > maxbits) maxbits = b;
        }
        /* simultaneous exponentiation: one squaring a bit shared by every term, the
        ** positive and negative exponents in two accumulators */
        mpz_set_ui(P, 1); mpz_set_ui(N, 1);
        for (size_t bit = maxbits; bit-- > 0;) {
            if (anyp) { mpz_mul(t, P, P); mpz_mod(P, t, pub->n2); }
            if (anyn) { mpz_mul(t, N, N); mpz_mod(N, t, pub->n2); }
            for (size_t l = 0; l < L; l++) {
                if (!sg[l] || !mpz_tstbit(e[l], bit)) continue;
                mpz_t *acc = sg[l] > 0 ? &P : &N;
                mpz_mul(t, *acc, d->a->c[ab + l * d->astride]);
                mpz_mod(*acc, t, pub->n2);
            }
        }
        if (anyn) {
            if (!mpz_invert(N, N, pub->n2)) { st = RT_EFORMAT; break; }
            mpz_mul(t, P, N); mpz_mod(P, t, pub->n2);
        }
        mpz_set(d->out->c[o], P);
    }
    for (size_t l = 0; l < L; l++) mpz_clear(e[l]);
    free(e); free(sg);
    mpz_clears(P, N, t, NULL);
    return st;
}

int pai_vec_dot(PaiVec **out, const PaiPub *pub, const PaiVec *a, const size_t *abase,
                size_t astride, const double *k, const size_t *kbase, size_t kstride,
                size_t len, size_t nout, int frac_exp, const PaiOpts *opts, RtErr *err)
{
    *out = NULL;
    if (a->slots) return fail(err, RT_EPACKED);
    int kexp = 0;
    double worst = 0;
    /* exponent and bound: the largest sum of |k| over one output's terms */
    int exact = 1;
    for (size_t o = 0; o < nout; o++) {
        size_t kb = kbase ? kbase[o] : o * len;
        double s = 0;
        for (size_t l = 0; l < len; l++) {
            double x = k[kb + l * kstride];
            if (!isfinite(ldexp(x, frac_exp < 0 ? -4 * frac_exp : 0))) return fail(err, RT_ERANGE);
            if (!(fabs(x) < 0x1p53 && x == nearbyint(x))) exact = 0;
            s += fabs(x);
        }
        if (s > worst) worst = s;
    }
    if (!exact) kexp = frac_exp;
    DotCtx d = { .pub = pub, .a = a, .abase = abase, .astride = astride, .k = k,
                 .kbase = kbase, .kstride = kstride, .len = len, .kexp = kexp };
    PaiVec *v = vec_like(a, nout);
    v->exp = a->exp + kexp;
    /* each encoded |k| may exceed |k| 16^-kexp by 1/2 from rounding */
    double lk = worst == 0 ? -INFINITY
              : log2(ldexp(worst, -4 * kexp) + 0.5 * (double)len) + 1e-9;
    v->lbound = lk == -INFINITY ? -INFINITY : a->lbound + lk;
    d.out = v;
    int st = par_run(nout, opts, NULL, dot_job, &d);
    *out = v;
    return finish(pub, out, st, err);
}

typedef struct SumCtx {
    const PaiPub *pub; PaiVec *out; const PaiVec *a; const size_t *abase; size_t astride, len;
} SumCtx;

static int sum_job(void *ctx, size_t lo, size_t hi, Rng *rng, volatile sig_atomic_t *intr)
{
    (void)rng;
    SumCtx *s = ctx;
    mpz_t t, acc; mpz_inits(t, acc, NULL);
    for (size_t o = lo; o < hi; o++) {
        if (intr && *intr) { mpz_clears(t, acc, NULL); return RT_EINTR; }
        size_t ab = s->abase ? s->abase[o] : o * s->len;
        mpz_set_ui(acc, 1);
        for (size_t l = 0; l < s->len; l++) {
            mpz_mul(t, acc, s->a->c[ab + l * s->astride]);
            mpz_mod(acc, t, s->pub->n2);
        }
        mpz_set(s->out->c[o], acc);
    }
    mpz_clears(t, acc, NULL);
    return RT_OK;
}

int pai_vec_sum(PaiVec **out, const PaiPub *pub, const PaiVec *a, const size_t *abase,
                size_t astride, size_t len, size_t nout, const PaiOpts *opts, RtErr *err)
{
    *out = NULL;
    if (a->slots) return fail(err, RT_EPACKED);
    SumCtx s = { .pub = pub, .a = a, .abase = abase, .astride = astride, .len = len };
    PaiVec *v = vec_like(a, nout);
    v->lbound = len ? a->lbound + log2((double)len) + 1e-9 : -INFINITY;
    s.out = v;
    int st = par_run(nout, opts, NULL, sum_job, &s);
    *out = v;
    return finish(pub, out, st, err);
}

int pai_vec_gather(PaiVec **out, const PaiVec *a, const size_t *idx, size_t n, RtErr *err)
{
    *out = NULL;
    if (a->slots) return fail(err, RT_EPACKED);
    PaiVec *v = vec_like(a, n);
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= a->n) { pai_vec_free(v); return fail(err, RT_EMISMATCH); }
        mpz_set(v->c[i], a->c[idx[i]]);
    }
    *out = v;
    return RT_OK;
}

typedef struct RerCtx { const PaiPub *pub; const PaiPriv *priv; PaiVec *v; } RerCtx;

static int rer_job(void *ctx, size_t lo, size_t hi, Rng *rng, volatile sig_atomic_t *intr)
{
    RerCtx *r = ctx;
    mpz_t z; mpz_init(z);
    for (size_t i = lo; i < hi; i++) {
        if (intr && *intr) { wclear(z); return RT_EINTR; }
        pai_noise(r->pub, r->priv, z, rng);
        pai_add(r->pub, r->v->c[i], r->v->c[i], z);
    }
    wclear(z);
    return RT_OK;
}

int pai_vec_rerandomize(PaiVec *v, const PaiPub *pub, const PaiPriv *priv, Rng *rng,
                        const PaiOpts *opts, RtErr *err)
{
    RerCtx r = { .pub = pub, .priv = priv, .v = v };
    return fail(err, par_run(v->n, opts, rng, rer_job, &r));
}

/* --- noise pools --------------------------------------------------------------------- */

void pai_noise_init(PaiNoise *pool) { memset(pool, 0, sizeof *pool); }

void pai_noise_clear(PaiNoise *pool)
{
    for (size_t i = 0; i < pool->n; i++) wclear(pool->r[i]);
    free(pool->r);
    memset(pool, 0, sizeof *pool);
}

size_t pai_noise_left(const PaiNoise *pool) { return pool->n - pool->next; }

typedef struct NoiseCtx { const PaiPub *pub; const PaiPriv *priv; mpz_t *r; } NoiseCtx;

static int noise_job(void *ctx, size_t lo, size_t hi, Rng *rng, volatile sig_atomic_t *intr)
{
    NoiseCtx *c = ctx;
    for (size_t i = lo; i < hi; i++) {
        POLL(intr);
        pai_noise(c->pub, c->priv, c->r[i], rng);
    }
    return RT_OK;
}

int pai_noise_fill(PaiNoise *pool, const PaiPub *pub, const PaiPriv *priv, size_t count,
                   Rng *rng, const PaiOpts *opts, RtErr *err)
{
    /* compact: drop used entries first */
    size_t left = pool->n - pool->next;
    for (size_t i = 0; i < pool->next; i++) mpz_clear(pool->r[i]);
    if (left) memmove(pool->r, pool->r + pool->next, left * sizeof *pool->r);
    mpz_t *r = xrealloc(pool->r, (left + count ? left + count : 1) * sizeof *r);
    pool->r = r; pool->n = left; pool->next = 0;
    for (size_t i = 0; i < count; i++) mpz_init(r[left + i]);
    pool->n = left + count;
    NoiseCtx c = { .pub = pub, .priv = priv, .r = r + left };
    return fail(err, par_run(count, opts, rng, noise_job, &c));
}

int pai_encrypt_pool(const PaiPub *pub, PaiNoise *pool, mpz_t c, const mpz_t m, RtErr *err)
{
    if (pool->next >= pool->n) return fail(err, RT_EEMPTY);
    EncCtx e = { .pub = pub, .pool = pool, .pool_base = pool->next };
    enc_one(&e, c, m, 0, NULL);
    pool->next++;
    return RT_OK;
}

/* --- packing ------------------------------------------------------------------------- */

int pai_pack_layout(const PaiPub *pub, double range, int exp, unsigned headroom_bits,
                    unsigned *vbits, unsigned *slot_bits, unsigned *slots, RtErr *err)
{
    if (!(range > 0) || !isfinite(range) || headroom_bits > 31) return fail(err, RT_ERANGE);
    double top = ldexp(range, -4 * exp) + 0.5;          /* largest |m| */
    if (top >= 0x1p1000) return fail(err, RT_ERANGE);
    unsigned vb = (unsigned)floor(log2(top)) + 1;       /* |m| < 2^vb */
    unsigned sb = vb + 1 + headroom_bits;
    unsigned k = (pub->bits - 1) / sb;
    if (k == 0) return fail(err, RT_ERANGE);
    *vbits = vb; *slot_bits = sb; *slots = k;
    return RT_OK;
}

static int pack_job(void *ctx, size_t lo, size_t hi, Rng *rng, volatile sig_atomic_t *intr)
{
    EncCtx *e = ctx;
    mpz_t M, s; mpz_inits(M, s, NULL);
    for (size_t i = lo; i < hi; i++) {
        if (intr && *intr) { wclear(M); wclear(s); return RT_EINTR; }
        mpz_set_ui(M, 0);
        for (unsigned j = e->slots; j-- > 0;) {          /* highest slot first */
            size_t k = i * e->slots + j;
            mpz_mul_2exp(M, M, e->slot_bits);
            if (k >= e->count) continue;
            pai_encode_k(s, e->x[k], e->exp, NULL);
            mpz_set_ui(e->v->c[i], 1);                   /* scratch: 2^vbits offset */
            mpz_mul_2exp(e->v->c[i], e->v->c[i], e->vbits);
            mpz_add(s, s, e->v->c[i]);
            mpz_add(M, M, s);
        }
        enc_one(e, e->v->c[i], M, i, rng);
    }
    wclear(M); wclear(s);
    return RT_OK;
}

int pai_vec_encrypt_packed(PaiVec **out, const PaiPub *pub, const PaiPriv *priv,
                           const double *x, size_t n, int exp, double range,
                           unsigned headroom_bits, Rng *rng, const PaiOpts *opts, RtErr *err)
{
    *out = NULL;
    unsigned vb, sb, k;
    int st = pai_pack_layout(pub, range, exp, headroom_bits, &vb, &sb, &k, err);
    if (st) return st;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || fabs(x[i]) > range) return fail(err, RT_ERANGE);
    size_t nct = (n + k - 1) / k;
    PaiVec *v = pai_vec_new(nct);
    v->exp = exp; v->count = n; v->slots = k; v->slot_bits = sb; v->vbits = vb;
    v->adds = 1; v->max_adds = (uint32_t)1 << headroom_bits;
    v->lbound = vb;
    EncCtx e = { .pub = pub, .priv = priv, .x = x, .v = v, .exp = exp, .slots = k,
                 .slot_bits = sb, .vbits = vb, .count = n };
    st = par_run(nct, opts, rng, pack_job, &e);
    *out = v;
    return finish(pub, out, st, err);
}
