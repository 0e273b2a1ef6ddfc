/*
** lib_dp.c — builtins of the 'dp' module: the Laplace and Gaussian mechanisms on
** numbers, lists and tensors, sparse vector / above-threshold, Laplace noise split into
** Gamma-difference shares (laplace_shares, and laplace_sum: one round of the message
** layer in which each party noises its own contribution), the dpsgd(...) record that train() reads, the RDP accountant
** (epsilon), and the per-dataset budget ledger (budget, save_budget, load_budget) with
** lib_dp_charge for training runs.  The mathematics lives in runtime/dp*.c; this file
** checks arguments, enforces who may set a budget (its owner, only downwards), charges
** the ledger before anything is released, and converts values.
** It does not run training (the nn module does, calling lib_dp_charge first).
*/
#include "lib_dp.h"
#include "mem.h"
#include "dp.h"
#include "lib_data.h"
#include "lib_paillier.h"
#include "lib_wire.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 512

/* ---- charging -------------------------------------------------------------------- */

/* Charges d; rdp (may be NULL) is the release's RDP curve. */
static bool spend(Interp *I, Ds *d, const char *what, double epsilon, double delta,
                  const double *rdp)
{
    RtErr err;
    if (dp_ledger_charge(dp_ledger_of(d, true), what, epsilon, delta, rdp, &err)) {
        err_raise(I, "%s", err.msg);
        return false;
    }
    return true;
}

bool lib_dp_spend(Interp *I, Value dataset, const char *what, double epsilon, double delta)
{
    Ds *d = lib_dataset_of(dataset);
    if (!d) {
        err_raise(I, "privacy budget: dataset expected, got %s", val_type_name(dataset));
        return false;
    }
    return spend(I, d, what, epsilon, delta, NULL);
}

bool lib_dp_charge(Interp *I, Value dataset, double q, double sigma, long steps, double delta)
{
    if (!lib_dataset_of(dataset)) {
        err_raise(I, "privacy budget: dataset expected, got %s", val_type_name(dataset));
        return false;
    }
    double eps = dp_rdp_epsilon(q, sigma, steps, delta);
    if (isnan(eps)) {
        err_raise(I, "dpsgd: cannot account q = %g, noise = %g, %ld steps, delta = %g "
                  "(need 0 <= q <= 1, noise > 0, delta in (0, 1))", q, sigma, steps, delta);
        return false;
    }
    char what[200];
    snprintf(what, sizeof what, "train dpsgd (q = %.3g, noise = %g, %ld steps)", q, sigma, steps);
    double curve[DP_RDP_NORDERS];
    dp_rdp_curve_sgm(q, sigma, steps, curve);
    return spend(I, lib_dataset_of(dataset), what, eps, delta, curve);
}

/* The dataset given as data = (NULL when absent); *bad after raising. */
static Ds *data_kw(Interp *I, Args *a, bool *bad)
{
    *bad = false;
    Value *v = lib_kw(a, "data");
    if (!v) return NULL;
    Ds *d = lib_dataset_of(*v);
    if (!d) { lib_badkw(I, a, "data", "dataset"); *bad = true; }
    return d;
}

/* ---- numbers, lists and tensors as one array of doubles -------------------------- */

typedef struct Vec { double *v; size_t n; int kind; const Tn *like; } Vec;
enum { K_NUM, K_LIST, K_TENSOR };

/* Reads argument i (a number, a list of numbers or a tensor); false after raising. */
/* The generator a mechanism's noise comes from: that of the party whose data x is (else
** the party the call runs at).  Never the public stream for a party's data: every
** process can recompute that stream (docs/distributed.md), so another party's process
** would know the noise and, from the noised value, the data.  Public data at the top
** level is noised from the public stream. */
static Rng *noise_rng(Interp *I, Args *a)
{
    int other, p = val_party(a->v[0], &other);
    return ev_rng(I, p ? p : a->at);
}

static bool vec_from(Interp *I, Args *a, int i, Vec *out)
{
    Value x = a->v[i];
    memset(out, 0, sizeof *out);
    if (IS_NUM(x)) {
        out->kind = K_NUM; out->n = 1;
        out->v = xmalloc(sizeof *out->v);
        out->v[0] = x.as.n;
    } else if (IS_TENSOR(x)) {
        const Tn *t = AS_TENSOR(x);
        out->kind = K_TENSOR; out->n = t->size; out->like = t;
        out->v = xmalloc((t->size ? t->size : 1) * sizeof *out->v);
        for (size_t k = 0; k < t->size; k++) out->v[k] = t->data[k];
    } else if (IS_LIST(x)) {
        ObjList *l = AS_LIST(x);
        out->kind = K_LIST; out->n = l->n;
        out->v = xmalloc((l->n ? l->n : 1) * sizeof *out->v);
        for (size_t k = 0; k < l->n; k++) {
            if (!IS_NUM(l->v[k])) {
                free(out->v);
                lib_bad(I, a, i, "number, list of numbers or tensor");
                return false;
            }
            out->v[k] = l->v[k].as.n;
        }
    } else {
        lib_bad(I, a, i, "number, list of numbers or tensor");
        return false;
    }
    for (size_t k = 0; k < out->n; k++)
        if (!isfinite(out->v[k])) {
            double bad = isnan(out->v[k]) ? NAN : out->v[k];
            free(out->v);
            if (out->kind == K_NUM) err_raise(I, "'%s': values must be finite (got %g)", a->fname, bad);
            else err_raise(I, "'%s': values must be finite (item %zu is %g)", a->fname, k + 1, bad);
            return false;
        }
    return true;
}

/* Refuses (after raising) a value beyond limit, the largest |x| the mechanism's grid
** holds for these parameters (see dp.h); frees the buffer then. */
static bool vec_in_grid(Interp *I, Args *a, Vec *v, double limit, const char *params)
{
    for (size_t k = 0; k < v->n; k++)
        if (!(fabs(v->v[k]) <= limit)) {
            char item[48] = "";
            if (v->kind != K_NUM) snprintf(item, sizeof item, " (item %zu)", k + 1);
            err_raise(I, "'%s': value %g%s is too large for the noise grid at %s: values must "
                      "lie within ±%.4g (clip or rescale the data first)", a->fname, v->v[k], item,
                      params, limit);
            free(v->v);
            return false;
        }
    return true;
}

/* The array back as the kind it came in (owned); frees the buffer. */
static Value vec_to(Vec *v)
{
    Value r;
    if (v->kind == K_NUM) {
        r = VNUM(v->v[0]);
    } else if (v->kind == K_TENSOR) {
        Tn *t = tn_new(v->like->ndim, v->like->shape);
        for (size_t k = 0; k < v->n; k++) t->data[k] = (float)v->v[k];
        r = val_tensor(t);
    } else {
        r = val_list(v->n);
        for (size_t k = 0; k < v->n; k++) val_list_push(r, VNUM(v->v[k]));
    }
    free(v->v);
    return r;
}

static bool pos_kw(Interp *I, Args *a, const char *kw, double *x)
{
    if (!lib_kwnum(I, a, kw, x)) return false;
    if (!(*x > 0) || !isfinite(*x)) { lib_badkw(I, a, kw, "positive number"); return false; }
    return true;
}

static bool delta_kw(Interp *I, Args *a, double *x)
{
    if (!lib_kwnum(I, a, "delta", x)) return false;
    if (!(*x > 0 && *x < 1)) { lib_badkw(I, a, "delta", "number in (0, 1)"); return false; }
    return true;
}

/* ---- mechanisms ------------------------------------------------------------------- */

static Value b_laplace(Interp *I, Args *a)
{
    static const char *const kws[] = { "sensitivity", "epsilon", "scale", "data", NULL };
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws)) return VERR;
    bool has_eps = lib_kw(a, "epsilon"), has_scale = lib_kw(a, "scale"), bad;
    if (has_eps == has_scale)
        return err_raise(I, "'laplace' needs epsilon = (the privacy cost) or scale = (the "
                         "noise scale), %s", has_eps ? "not both" : "got neither");
    double sens = 1, eps = 0, scale = 0;
    if (!pos_kw(I, a, "sensitivity", &sens)) return VERR;
    if (has_eps && !pos_kw(I, a, "epsilon", &eps)) return VERR;
    if (has_scale) {
        if (!pos_kw(I, a, "scale", &scale)) return VERR;
        eps = sens / scale;
    }
    Ds *d = data_kw(I, a, &bad);
    if (bad) return VERR;
    Vec v;
    if (!vec_from(I, a, 0, &v)) return VERR;
    char what[160];
    snprintf(what, sizeof what, "laplace(sensitivity = %g, epsilon = %.3g)", sens, eps);
    if (!vec_in_grid(I, a, &v, dp_laplace_limit(sens, eps), what + 7)) return VERR;
    double curve[DP_RDP_NORDERS];
    dp_rdp_curve_pure(eps, curve);
    if (d && !spend(I, d, what, eps, 0, curve)) { free(v.v); return VERR; }
    if (!dp_laplace_array(noise_rng(I, a), v.v, v.n, sens, eps)) {
        free(v.v);
        return err_raise(I, "'laplace': noise scale out of range (sensitivity %g, epsilon %g)",
                         sens, eps);
    }
    return vec_to(&v);
}

static Value b_gaussian(Interp *I, Args *a)
{
    static const char *const kws[] = { "sensitivity", "epsilon", "delta", "sigma", "data", NULL };
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws)) return VERR;
    bool has_eps = lib_kw(a, "epsilon"), has_sigma = lib_kw(a, "sigma"), bad;
    if (has_eps == has_sigma)
        return err_raise(I, "'gaussian' needs epsilon = and delta = (the privacy cost) or "
                         "sigma = (the noise's standard deviation), %s",
                         has_eps ? "not both" : "got neither");
    double sens = 1, eps = 0, delta = 0, sigma = 0;
    if (!pos_kw(I, a, "sensitivity", &sens)) return VERR;
    Ds *d = data_kw(I, a, &bad);
    if (bad) return VERR;
    if (has_eps) {
        if (!lib_kw(a, "delta"))
            return err_raise(I, "'gaussian' with epsilon = needs delta = too (e.g. 1e-5)");
        if (!pos_kw(I, a, "epsilon", &eps) || !delta_kw(I, a, &delta)) return VERR;
    } else {
        if (!pos_kw(I, a, "sigma", &sigma)) return VERR;
        if (lib_kw(a, "delta") && !delta_kw(I, a, &delta)) return VERR;
        if (d && !lib_kw(a, "delta"))
            return err_raise(I, "'gaussian' with sigma = and data = needs delta = to charge "
                             "the budget");
    }
    Vec v;
    if (!vec_from(I, a, 0, &v)) return VERR;
    bool ok;
    if (has_eps) {
        char what[160];
        snprintf(what, sizeof what, "gaussian(sensitivity = %g, epsilon = %.3g, delta = %g)",
                 sens, eps, delta);
        if (!vec_in_grid(I, a, &v, dp_gaussian_limit(v.n, sens, eps, delta), what + 8)) return VERR;
        double curve[DP_RDP_NORDERS];           /* the calibrated sigma / sensitivity */
        dp_rdp_curve_gaussian(dp_gaussian_sigma(eps, delta), curve);
        if (d && !spend(I, d, what, eps, delta, curve)) { free(v.v); return VERR; }
        ok = dp_gaussian(noise_rng(I, a), v.v, v.n, sens, eps, delta, NULL);
    } else {
        char params[64];
        snprintf(params, sizeof params, "(sigma = %g)", sigma);
        if (!vec_in_grid(I, a, &v, dp_gaussian_noise_limit(sigma), params)) return VERR;
        if (d) {
            /* the grid's rounding adds one step per coordinate to the L2 sensitivity */
            double z = sigma / (sens + dp_grid_gaussian(sigma) * sqrt((double)v.n));
            eps = dp_gaussian_epsilon(z, delta);
            if (!isfinite(eps)) {
                free(v.v);
                return err_raise(I, "'gaussian': sigma = %g is too small for any epsilon at "
                                 "delta = %g", sigma, delta);
            }
            char what[160];
            snprintf(what, sizeof what, "gaussian(sensitivity = %g, sigma = %g)", sens, sigma);
            double curve[DP_RDP_NORDERS];
            dp_rdp_curve_gaussian(z, curve);
            if (!spend(I, d, what, eps, delta, curve)) { free(v.v); return VERR; }
        }
        ok = dp_gaussian_noise(noise_rng(I, a), v.v, v.n, sigma);
    }
    if (!ok) {
        free(v.v);
        return err_raise(I, "'gaussian': noise out of range for %zu values", v.n);
    }
    return vec_to(&v);
}

/* sparse_vector and above_threshold: count = c answers (above_threshold: 1). */
static Value svt(Interp *I, Args *a, bool first_only)
{
    static const char *const kws[] = { "threshold", "epsilon", "sensitivity", "count", "data",
                                       NULL };
    static const char *const kws1[] = { "threshold", "epsilon", "sensitivity", "data", NULL };
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, first_only ? kws1 : kws)) return VERR;
    if (!lib_kw(a, "threshold") || !lib_kw(a, "epsilon"))
        return err_raise(I, "'%s' needs threshold = and epsilon =", a->fname);
    double thr = 0, eps = 0, sens = 1;
    long count = 1;
    bool bad;
    if (!lib_kwnum(I, a, "threshold", &thr) || !pos_kw(I, a, "epsilon", &eps) ||
        !pos_kw(I, a, "sensitivity", &sens) || !lib_kwint(I, a, "count", &count)) return VERR;
    if (count < 1 || count > 1000000) return lib_badkw(I, a, "count", "positive whole number");
    Ds *d = data_kw(I, a, &bad);
    if (bad) return VERR;
    Vec v;
    if (!vec_from(I, a, 0, &v)) return VERR;
    size_t *idx = xmalloc((size_t)count * sizeof *idx);
    char what[160];
    if (first_only)
        snprintf(what, sizeof what, "%s(threshold = %g, epsilon = %.3g)", a->fname, thr, eps);
    else
        snprintf(what, sizeof what, "%s(threshold = %g, epsilon = %.3g, count = %ld)",
                 a->fname, thr, eps, count);
    double curve[DP_RDP_NORDERS];
    dp_rdp_curve_pure(eps, curve);
    if (d && !spend(I, d, what, eps, 0, curve)) { free(v.v); free(idx); return VERR; }
    int k = dp_svt(noise_rng(I, a), v.v, v.n, thr, sens, eps, (int)count, idx);
    free(v.v);
    Value r;
    if (k < 0) {
        r = err_raise(I, "'%s': parameters out of range", a->fname);
    } else if (first_only) {
        r = k ? VNUM((double)idx[0]) : VNONE;
    } else {
        r = val_list((size_t)k);
        for (int j = 0; j < k; j++) val_list_push(r, VNUM((double)idx[j]));
    }
    free(idx);
    return r;
}

static Value b_sparse_vector(Interp *I, Args *a) { return svt(I, a, false); }
static Value b_above_threshold(Interp *I, Args *a) { return svt(I, a, true); }

/* The generator a party draws from.  One place to change when parties get generators of
** their own (ev_rng). */
static Rng *party_rng(Interp *I, int party) { return ev_rng(I, party); }

static Value b_laplace_shares(Interp *I, Args *a)
{
    long n;
    double b;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL) || !lib_int(I, a, 0, &n) ||
        !lib_num(I, a, 1, &b)) return VERR;
    if (n < 1 || n > 100000) return lib_bad(I, a, 0, "number of parties (1 or more)");
    if (!(b > 0) || !isfinite(b)) return lib_bad(I, a, 1, "positive scale");
    Value r = val_list((size_t)n);
    Rng *rng = party_rng(I, lib_draw_party(I, a));
    for (long i = 0; i < n; i++) val_list_push(r, VNUM(dp_laplace_share(rng, (int)n, b)));
    return r;
}

/* Party p's step of laplace_sum: its contribution x (borrowed; a number, a tensor or a
** ciphertext, living at p) plus its own share of the noise, drawn from p's generator,
** as a new value living at p; VERR after raising. */
static Value noised_part(Interp *I, Args *a, size_t i, Value x, int n, double b)
{
    int p = val_owner(x), shape[TN_MAXDIM];
    int nd = lib_he_shape(x, shape);
    if (nd >= 0) {                              /* E(x) + share: the sum stays encrypted */
        size_t len = 1;
        for (int d = 0; d < nd; d++) len *= (size_t)shape[d];
        double *z = xcalloc(len ? len : 1, sizeof *z);
        dp_laplace_share_add(party_rng(I, p), z, len, n, b);
        Value noise;
        if (nd == 0) noise = VNUM(z[0]);
        else {
            Tn *t = tn_new(nd, shape);
            for (size_t k = 0; k < len; k++) t->data[k] = (float)z[k];
            noise = val_tensor(t);
        }
        free(z);
        Value r = lib_he_ct_class.binop(I, OP_ADD, x, noise);
        val_release(noise);
        if (!IS_ERR(r)) r.owner = (uint16_t)p;
        return r;
    }
    if (!IS_NUM(x) && !IS_TENSOR(x)) {
        err_raise(I, "'%s': item %zu of the list is a %s; each party contributes a number, a "
                  "tensor or a ciphertext", a->fname, i + 1, val_type_name(x));
        return VERR;
    }
    Args one = *a;
    one.v = &x; one.n = 1;
    Vec v;
    if (!vec_from(I, &one, 0, &v)) return VERR;
    dp_laplace_share_add(party_rng(I, p), v.v, v.n, n, b);
    Value r = vec_to(&v);
    r.owner = (uint16_t)p;
    return r;
}

static Value b_laplace_sum(Interp *I, Args *a)
{
    static const char *const kws[] = { "to", "sensitivity", "epsilon", "scale", NULL };
    int to = 0;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws) || !lib_kwparty(I, a, "to", &to)) return VERR;
    if (!to) return err_raise(I, "'laplace_sum' needs the party that adds the parts: to = p");
    bool has_eps = lib_kw(a, "epsilon"), has_scale = lib_kw(a, "scale");
    if (has_eps == has_scale)
        return err_raise(I, "'laplace_sum' needs epsilon = (the privacy cost) or scale = (the "
                         "noise scale), %s", has_eps ? "not both" : "got neither");
    double sens = 1, eps = 0, b = 0;
    if (!pos_kw(I, a, "sensitivity", &sens)) return VERR;
    if (has_eps) { if (!pos_kw(I, a, "epsilon", &eps)) return VERR; b = sens / eps; }
    if (has_scale && !pos_kw(I, a, "scale", &b)) return VERR;
    if (!(b > 0) || !isfinite(b)) return err_raise(I, "'laplace_sum': noise scale out of range");
    Value xs = a->v[0];
    if (!IS_LIST(xs) || AS_LIST(xs)->n == 0) return lib_bad(I, a, 0, "non-empty list of each party's value");
    ObjList *l = AS_LIST(xs);
    if (l->n > 100000) return lib_bad(I, a, 0, "list of at most 100000 parties' values");
    for (size_t i = 0; i < l->n; i++)
        if (!val_owner(l->v[i]))
            return err_raise(I, "'laplace_sum': item %zu of the list is public; each item is one "
                             "party's value (x at p, or computed inside on p)", i + 1);
    int n = (int)l->n;
    /* the round: every party posts its noised part; the layer delivers them together */
    Value *got = xcalloc(l->n, sizeof *got);
    bool ok = true;
    msg_parallel_begin(&I->msg);
    for (size_t i = 0; i < l->n && ok; i++) {
        Value part = noised_part(I, a, i, l->v[i], n, b);
        if (IS_ERR(part)) { ok = false; break; }
        got[i] = lib_wire_send(I, part, val_owner(l->v[i]), to, true);
        val_release(part);
        ok = !IS_ERR(got[i]);
    }
    msg_parallel_end(&I->msg);
    /* to's step: add what it received */
    Value sum = ok ? val_retain(got[0]) : VERR;
    for (size_t i = 1; ok && i < l->n; i++) {
        Value r;
        if (IS_NUM(sum) && IS_NUM(got[i])) r = VNUM(sum.as.n + got[i].as.n);
        else if (sum.tag == V_OBJ) r = AS_USER(sum)->cls->binop(I, OP_ADD, sum, got[i]);
        else if (got[i].tag == V_OBJ) r = AS_USER(got[i])->cls->binop(I, OP_ADD, sum, got[i]);
        else if (IS_TENSOR(sum) && IS_TENSOR(got[i]) &&
                 tn_same_shape(AS_TENSOR(sum), AS_TENSOR(got[i]))) {
            Tn *t = tn_copy(AS_TENSOR(sum));
            for (size_t k = 0; k < t->size; k++) t->data[k] += AS_TENSOR(got[i])->data[k];
            r = val_tensor(t);
        } else {
            r = err_raise(I, "'laplace_sum': the parties' values differ in kind or shape "
                          "(item %zu)", i + 1);
        }
        val_release(sum);
        sum = r;
        ok = !IS_ERR(sum);
    }
    for (size_t i = 0; i < l->n; i++) val_release(got[i]);     /* zeroed: none */
    free(got);
    if (!ok) { val_release(sum); return VERR; }
    sum.owner = (uint16_t)to;
    return sum;
}

/* ---- DP-SGD and the accountant --------------------------------------------------------- */

static Value b_dpsgd(Interp *I, Args *a)
{
    static const char *const kws[] = { "clip", "noise", "delta", "sampling", NULL };
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, kws)) return VERR;
    if (!lib_kw(a, "clip") || !lib_kw(a, "noise"))
        return err_raise(I, "'dpsgd' needs clip = (the per-example gradient norm bound) and "
                         "noise = (the noise multiplier sigma)");
    double clip = 0, noise = 0, delta = 1e-5;
    const char *sampling = "poisson";
    if (!pos_kw(I, a, "clip", &clip) || !pos_kw(I, a, "noise", &noise) ||
        !delta_kw(I, a, &delta) || !lib_kwstr(I, a, "sampling", &sampling)) return VERR;
    if (strcmp(sampling, "poisson") != 0 && strcmp(sampling, "shuffle") != 0)
        return lib_badkw(I, a, "sampling", "\"poisson\" or \"shuffle\"");
    Value r = val_rec();
    val_rec_set(r, sym_cstr(&I->syms, "clip"), VNUM(clip));
    val_rec_set(r, sym_cstr(&I->syms, "noise"), VNUM(noise));
    val_rec_set(r, sym_cstr(&I->syms, "delta"), VNUM(delta));
    val_rec_set(r, sym_cstr(&I->syms, "sampling"), val_cstr(sampling));
    return r;
}

static Value b_epsilon(Interp *I, Args *a)
{
    static const char *const kws[] = { "q", "sigma", "steps", "epochs", "delta", "conversion",
                                       NULL };
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, kws)) return VERR;
    if (!lib_kw(a, "q") || !lib_kw(a, "sigma") || !(lib_kw(a, "steps") || lib_kw(a, "epochs")))
        return err_raise(I, "'epsilon' needs q = (sampling rate), sigma = (noise multiplier) "
                         "and steps = (or epochs =)");
    double q = 0, sigma = 0, delta = 1e-5, epochs = 0;
    long steps = 0;
    const char *conv = "classic";
    if (!lib_kwnum(I, a, "q", &q) || !pos_kw(I, a, "sigma", &sigma) ||
        !delta_kw(I, a, &delta) || !lib_kwstr(I, a, "conversion", &conv)) return VERR;
    if (!(q > 0 && q <= 1)) return lib_badkw(I, a, "q", "sampling rate in (0, 1]");
    if (lib_kw(a, "steps") && lib_kw(a, "epochs"))
        return err_raise(I, "'epsilon' takes steps = or epochs =, not both");
    if (lib_kw(a, "steps")) {
        if (!lib_kwint(I, a, "steps", &steps)) return VERR;
        if (steps < 0) return lib_badkw(I, a, "steps", "whole number >= 0");
    } else {
        if (!lib_kwnum(I, a, "epochs", &epochs)) return VERR;
        if (!(epochs >= 0) || epochs / q > 1e12) return lib_badkw(I, a, "epochs", "number >= 0");
        steps = (long)ceil(epochs / q - 1e-9);  /* TF Privacy: ceil(epochs n / batch) */
    }
    DpConversion c;
    if (strcmp(conv, "classic") == 0) c = DP_CLASSIC;
    else if (strcmp(conv, "improved") == 0) c = DP_IMPROVED;
    else return lib_badkw(I, a, "conversion", "\"classic\" or \"improved\"");
    return VNUM(dp_rdp_epsilon_ex(q, sigma, steps, delta, c, NULL));
}

/* ---- the ledger ------------------------------------------------------------------------ */

/* A budget value: a live view of a dataset's ledger (holds one reference). */
static void budget_free(void *p) { dp_ledger_free(p); }

static void budget_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)I; (void)verbose;
    const DpLedger *L = dp_ledger_root(p);
    DpSpent s = dp_ledger_spent(L);
    double e = s.epsilon, d = s.delta;
    if (L->has_budget) {
        sb_puts(out, "privacy budget: epsilon ");
        sb_num(out, L->budget_epsilon);
        sb_puts(out, ", delta ");
        sb_num(out, L->budget_delta);
    } else {
        sb_puts(out, "privacy budget: none set (charges are recorded, nothing is refused)");
    }
    if (L->n == 0) sb_puts(out, "\n  no charges yet");
    int w = 0;                                  /* align the epsilons */
    for (size_t i = 0; i < L->n; i++) {
        int len = (int)strlen(L->c[i].what);
        if (len > w) w = len < 64 ? len : 64;
    }
    for (size_t i = 0; i < L->n; i++) {
        sb_printf(out, "\n  %2zu. %-*s  epsilon ", i + 1, w, L->c[i].what);
        sb_num(out, L->c[i].epsilon);
        sb_puts(out, ", delta ");
        sb_num(out, L->c[i].delta);
    }
    sb_puts(out, "\nspent: epsilon ");
    sb_num(out, e);
    sb_puts(out, ", delta ");
    sb_num(out, d);
    if (L->n > 1) sb_puts(out, s.by_rdp ? "  (RDP composition)" : "  (basic composition)");
    if (L->has_budget) {
        double le = L->budget_epsilon - e, ld = L->budget_delta - d;
        sb_puts(out, "\nleft:  epsilon ");
        sb_num(out, le > 0 ? le : 0);
        sb_puts(out, ", delta ");
        sb_num(out, ld > 0 ? ld : 0);
    }
}

static Value budget_field(Interp *I, Value self, Sym *name)
{
    const DpLedger *L = dp_ledger_root(AS_USER(self)->p);
    DpSpent s = dp_ledger_spent(L);
    double e = s.epsilon, d = s.delta;
    const char *f = name->name;
    if (strcmp(f, "epsilon") == 0) return L->has_budget ? VNUM(L->budget_epsilon) : VNONE;
    if (strcmp(f, "delta") == 0) return L->has_budget ? VNUM(L->budget_delta) : VNONE;
    if (strcmp(f, "spent") == 0 || strcmp(f, "left") == 0) {
        bool left = f[0] == 'l';
        if (left && !L->has_budget) return VNONE;
        double ve = left ? fmax(L->budget_epsilon - e, 0) : e;
        double vd = left ? fmax(L->budget_delta - d, 0) : d;
        Value r = val_rec();
        val_rec_set(r, sym_cstr(&I->syms, "epsilon"), VNUM(ve));
        val_rec_set(r, sym_cstr(&I->syms, "delta"), VNUM(vd));
        return r;
    }
    if (strcmp(f, "charges") == 0) {
        Value r = val_list(L->n);
        for (size_t i = 0; i < L->n; i++) {
            Value c = val_rec();
            val_rec_set(c, sym_cstr(&I->syms, "what"), val_cstr(L->c[i].what));
            val_rec_set(c, sym_cstr(&I->syms, "epsilon"), VNUM(L->c[i].epsilon));
            val_rec_set(c, sym_cstr(&I->syms, "delta"), VNUM(L->c[i].delta));
            val_list_push(r, c);
        }
        return r;
    }
    return err_raise(I, "a budget has no field '%s' (it has epsilon, delta, spent, left, "
                     "charges)", f);
}

static bool budget_encode(Interp *I, Value self, struct WireW *w, int to);
static Value budget_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);

const VClass lib_dp_budget_class = {
    .name = "budget", .free = budget_free, .show = budget_show, .field = budget_field,
    .wire = WIRE_EXT_DP_BUDGET, .encode = budget_encode, .decode = budget_decode,
};
#define budget_class lib_dp_budget_class

static Ds *dataset_arg(Interp *I, Args *a, int i)
{
    Ds *d = i < a->n ? lib_dataset_of(a->v[i]) : NULL;
    if (!d) lib_bad(I, a, i, "dataset");
    return d;
}

/* Who a party id is in messages: the top level for 0. */
static const char *who(Interp *I, int party)
{
    return party ? ev_party_name(I, party) : "the top level";
}

/* Only the party holding dataset argument #1 may change its budget; false after raising.
** (The evaluator stops other parties from reading a party's values; this also covers
** values that reach them some other way.) */
static bool budget_owner(Interp *I, Args *a)
{
    int o = a->v[0].owner;
    if (!o || o == a->at) return true;
    err_raise(I, "'%s': this dataset lives at %s; only %s sets its privacy budget (%s asked)",
              a->fname, who(I, o), who(I, o), who(I, a->at));
    return false;
}

/* Sets L's cap by dp_ledger_lower's rule for the calling party; false after raising. */
static bool lower(Interp *I, Args *a, DpLedger *L, double eps, double delta)
{
    double ce = L->budget_epsilon, cd = L->budget_delta;
    switch (dp_ledger_lower(L, a->at, eps, delta)) {
    case DP_BUDGET_SET: return true;
    case DP_BUDGET_NOT_OWNER:
        err_raise(I, "'%s': the privacy budget of this data was set by %s; only %s may lower "
                  "it (%s asked)", a->fname, who(I, L->owner), who(I, L->owner), who(I, a->at));
        return false;
    case DP_BUDGET_RAISES: {
        char cur[96], want[96];
        snprintf(cur, sizeof cur, "epsilon %g, delta %g", ce, cd);
        snprintf(want, sizeof want, "epsilon %g, delta %g", eps, delta);
        err_raise(I, "'%s': a privacy budget can only go down: it is %s; %s would raise it",
                  a->fname, cur, want);
        return false;
    }
    default:
        err_raise(I, "'%s': epsilon must be a finite number >= 0 and delta in [0, 1)", a->fname);
        return false;
    }
}

static Value b_budget(Interp *I, Args *a)
{
    static const char *const kws[] = { "epsilon", "delta", NULL };
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws)) return VERR;
    Ds *d = dataset_arg(I, a, 0);
    if (!d) return VERR;
    if (lib_kw(a, "delta") && !lib_kw(a, "epsilon"))
        return err_raise(I, "'budget' sets epsilon = (and optionally delta =); delta alone "
                         "is not a budget");
    DpLedger *L = dp_ledger_of(d, true);
    if (lib_kw(a, "epsilon")) {
        double eps = 0, delta = L->has_budget ? L->budget_delta : 0;  /* delta kept if omitted */
        if (!lib_kwnum(I, a, "epsilon", &eps) || !lib_kwnum(I, a, "delta", &delta)) return VERR;
        if (!(eps >= 0) || !isfinite(eps)) return lib_badkw(I, a, "epsilon", "number >= 0");
        if (!(delta >= 0 && delta < 1)) return lib_badkw(I, a, "delta", "number in [0, 1)");
        if (!budget_owner(I, a) || !lower(I, a, L, eps, delta)) return VERR;
    }
    Value r = val_user(&budget_class, dp_ledger_share(L));
    return val_at(r, 0);                         /* budgets are public metadata */
}

static Value b_save_budget(Interp *I, Args *a)
{
    const char *path;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL)) return VERR;
    Ds *d = dataset_arg(I, a, 0);
    if (!d || !lib_path(I, a, 1, LIB_WRITE, &path)) return VERR;
    FILE *f = fopen(path, "w");
    if (!f) return err_raise(I, "cannot write '%s': %s", path, strerror(errno));
    bool ok = dp_ledger_write(dp_ledger_of(d, true), f);
    if (fclose(f) != 0) ok = false;
    if (!ok) return err_raise(I, "cannot write '%s'", path);
    return VNONE;
}

static Value b_load_budget(Interp *I, Args *a)
{
    const char *path;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL)) return VERR;
    Ds *d = dataset_arg(I, a, 0);
    if (!d || !lib_path(I, a, 1, LIB_READ, &path) || !budget_owner(I, a)) return VERR;
    DpLedger *cur = dp_ledger_of(d, true);     /* shared with the dataset's copies */
    if (cur->n > 0)
        return err_raise(I, "'load_budget': the dataset already has %zu charge%s; a ledger is "
                         "restored only onto a dataset with none", cur->n,
                         cur->n == 1 ? "" : "s");
    FILE *f = fopen(path, "r");
    if (!f) return err_raise(I, "cannot read '%s': %s", path, strerror(errno));
    RtErr err;
    DpLedger *L = dp_ledger_read(f, &err);
    fclose(f);
    if (!L) return err_raise(I, "'%s': %s", path, err.msg);
    /* the file's cap goes through the same rule as budget(): it may not raise this one */
    if (cur->has_budget && !L->has_budget) {
        dp_ledger_free(L);
        return err_raise(I, "'load_budget': '%s' sets no budget, which would lift this data's "
                         "cap (epsilon %g, delta %g): a privacy budget can only go down", path,
                         cur->budget_epsilon, cur->budget_delta);
    }
    if (cur->has_budget && !lower(I, a, cur, L->budget_epsilon, L->budget_delta)) {
        dp_ledger_free(L);
        return VERR;
    }
    int owner = cur->has_budget ? cur->owner : a->at;
    dp_ledger_restore(cur, L);
    cur->owner = owner;
    dp_ledger_free(L);
    return val_at(val_user(&budget_class, dp_ledger_share(cur)), 0);
}

/* ---- the table ----------------------------------------------------------------------- */

#define PIMA "load_csv(\"samples/data/pima_diabetes.csv\", label = \"diabetes\")"

static const LibReg fns[] = {
    {"laplace", b_laplace, "laplace(x, sensitivity = 1, epsilon = e | scale = b, data = d)",
     "x plus Laplace noise: epsilon-DP when changing one person changes x by at most\n"
     "sensitivity (the L1 norm, over all elements of a list or tensor).  scale = b gives the\n"
     "noise scale directly (epsilon = sensitivity / b).  With data = d the release is charged\n"
     "to d's privacy budget first, and refused if it does not fit.  Noise is drawn on a\n"
     "power-of-two grid from the exact discrete Laplace distribution, so the output never\n"
     "leaks x through floating-point rounding (docs/privacy.md).",
     "d = " PIMA "; budget(d, epsilon = 1); print(laplace(len(d), epsilon = 0.5, data = d) > 700)\n"
     "# -> true",
     0},
    {"gaussian", b_gaussian,
     "gaussian(x, sensitivity = 1, epsilon = e, delta = dl | sigma = s, data = d)",
     "x plus Gaussian noise: (epsilon, delta)-DP for the given L2 sensitivity, with the\n"
     "analytic calibration of Balle & Wang (2018), valid for any epsilon.  sigma = s gives the\n"
     "standard deviation directly; with data = d (and delta =) it is charged at the epsilon\n"
     "that sigma buys.  Noise is exact discrete Gaussian on a fine grid.",
     "print(abs(gaussian(10, epsilon = 1, delta = 1e-5) - 10) < 30)   # -> true", 0},
    {"sparse_vector", b_sparse_vector,
     "sparse_vector(queries, threshold = t, epsilon = e, sensitivity = 1, count = 1, data = d)",
     "The sparse vector technique: the indices (from 0) of the first count queries whose\n"
     "noisy value reaches the noisy threshold, for epsilon in total however many queries are\n"
     "below it (Lyu, Su & Li 2017, Algorithm 1).  queries is a list or tensor of numbers each\n"
     "of the given sensitivity.",
     "print(sparse_vector([1, 2, 90, 3, 95], threshold = 50, epsilon = 2, count = 2))   # -> [2, 4]", 0},
    {"above_threshold", b_above_threshold,
     "above_threshold(queries, threshold = t, epsilon = e, sensitivity = 1, data = d)",
     "AboveThreshold (Dwork & Roth, Algorithm 1): the index of the first query whose noisy\n"
     "value reaches the noisy threshold, or none; epsilon-DP.",
     "print(above_threshold([3, 1, 80, 2], threshold = 40, epsilon = 1))   # -> 2", 0},
    {"laplace_shares", b_laplace_shares, "laplace_shares(n, scale)",
     "n parties' parts of one Laplace(scale) noise: each part is G1 - G2 with G1, G2 drawn\n"
     "from Gamma(1/n, scale), so the parts sum to exactly Laplace(scale) while no party knows\n"
     "the total noise (SPEED; each part alone has variance 2 scale^2 / n).",
     "s = laplace_shares(3, 2.0); print(len(s))   # -> 3", 0},
    {"laplace_sum", b_laplace_sum,
     "laplace_sum(xs, to = p, sensitivity = 1, epsilon = e | scale = b)",
     "The sum of xs (a list of numbers, tensors or ciphertexts, each living at its party) plus\n"
     "Laplace(b) noise split among the parties, as one round: each party adds its own share\n"
     "(G1 - G2, G1 and G2 from Gamma(1/n, b), drawn from its generator) to its value and sends\n"
     "it to p, which adds what it received; the result lives at p.  epsilon-DP for the sum when\n"
     "one person changes it by at most sensitivity.  A plaintext part carries only 1/n of the\n"
     "noise (the transcript flags it): send ciphertexts so that p sees only the noised sum.",
     "party a, b, s; t = laplace_sum([3 at a, 4 at b], to = s, scale = 0.5); print(type(t))\n"
     "# -> number", LIB_ANYOWNER},
    {"dpsgd", b_dpsgd, "dpsgd(clip = C, noise = sigma, delta = 1e-5, sampling = \"poisson\")",
     "DP-SGD settings for train(m, d, dp = dpsgd(...)): each example's gradient is clipped to\n"
     "L2 norm clip, Gaussian noise of standard deviation noise * clip is added to each\n"
     "batch's sum, and the run is charged to d's budget at delta before the first step.\n"
     "sampling = \"poisson\" takes each example independently with rate batch/n (what the\n"
     "accountant assumes); \"shuffle\" uses fixed-size batches of a shuffle (faster, and\n"
     "accounted as if Poisson - the common practice, slightly optimistic).",
     "p = dpsgd(clip = 1.0, noise = 1.1); print(p.noise, p.sampling)   # -> 1.1 poisson", 0},
    {"epsilon", b_epsilon,
     "epsilon(q = rate, sigma = s, steps = T | epochs = E, delta = 1e-5, "
     "conversion = \"classic\")",
     "The epsilon of T steps of DP-SGD (the sampled Gaussian mechanism with sampling rate q\n"
     "and noise multiplier sigma) at delta, by the Renyi-DP accountant with TF Privacy's\n"
     "orders.  epochs = E means ceil(E / q) steps.  conversion = \"improved\" uses the tighter\n"
     "RDP-to-DP conversion of Balle et al. 2020 (the classic one is TF Privacy's default).",
     "print(format(epsilon(q = 256 / 60000, sigma = 1.1, epochs = 60), \".3g\"))   # -> 3.01", 0},
    {"budget", b_budget, "budget(d, epsilon = e, delta = dl)",
     "With epsilon (and delta): sets dataset d's privacy budget.  Alone: d's ledger - each\n"
     "charge (what, epsilon, delta), the total spent and what is left.  DP releases with\n"
     "data = d and DP training on d are charged; one that would exceed the budget is refused\n"
     "before it runs.  Charges add up (basic composition); copies and splits of d, the\n"
     "tensors d.x and d.y and what is computed from them share its ledger.  The first budget\n"
     "is free; after that it can only go down (delta left out keeps the current one), and\n"
     "only the party that set it may lower it.  The value has fields epsilon, delta, spent,\n"
     "left and charges.",
     "d = " PIMA "; budget(d, epsilon = 2, delta = 1e-5); laplace(len(d), epsilon = 0.5, "
     "data = d); print(budget(d).left.epsilon)   # -> 1.5", LIB_ANYOWNER | LIB_WRITES},
    {"save_budget", b_save_budget, "save_budget(d, path)",
     "Writes dataset d's privacy ledger (budget and every charge) to a text file, so that it\n"
     "survives the session: load_budget(d, path) restores it onto the reloaded data.",
     "d = " PIMA "; budget(d, epsilon = 1); save_budget(d, \"pima.ledger\"); print(\"saved\")\n"
     "# -> saved", LIB_ANYOWNER},
    {"load_budget", b_load_budget, "load_budget(d, path)",
     "Restores a ledger written by save_budget onto dataset d (which must have no charges\n"
     "yet) and returns it, so spending continues where it stopped.  The file's cap may not\n"
     "be above one d already has.",
     "d = " PIMA "; budget(d, epsilon = 1); save_budget(d, \"pima2.ledger\"); "
     "e = " PIMA "; print(load_budget(e, \"pima2.ledger\").epsilon)   # -> 1", LIB_ANYOWNER},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_dp = { "dp", fns, NULL };

/* --- the wire (docs/parties.md, "Wire format") ------------------------------------------ */

void lib_dp_put_ledger(struct WireW *w, const void *ledger)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    if (!f || !dp_ledger_write(ledger, f) || fclose(f) != 0) {
        mem_oom();
    }
    wire_put_array(w, 2);
    wire_put_str(w, text, n);
    wire_put_int(w, ((const DpLedger *)dp_ledger_root(ledger))->owner);
    free(text);
}

void *lib_dp_get_ledger(struct WireR *r, const msgpack_object *o)
{
    const char *s;
    size_t n;
    RtErr err;
    const msgpack_object_array *a;
    int64_t owner;
    if (!wire_get_array(r, o, 2, 2, &a) || !wire_get_str(r, &a->ptr[0], &s, &n) ||
        !wire_get_int(r, &a->ptr[1], 0, INT32_MAX, &owner)) return NULL;
    if (!n) { wire_fail(r, "an empty ledger"); return NULL; }
    FILE *f = fmemopen((void *)s, n, "r");
    if (!f) { wire_fail(r, "a ledger that cannot be read"); return NULL; }
    DpLedger *L = dp_ledger_read(f, &err);
    fclose(f);
    if (!L) wire_fail(r, "ledger: %s", err.msg);
    else L->owner = (int)owner;
    return L;
}

static bool budget_encode(Interp *I, Value self, struct WireW *w, int to)
{
    (void)I; (void)to;
    lib_dp_put_ledger(w, AS_USER(self)->p);
    return true;
}

static Value budget_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    (void)I;
    void *L = lib_dp_get_ledger(r, o);
    return L ? val_user(&lib_dp_budget_class, L) : VERR;
}
