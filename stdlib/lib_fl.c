/*
** lib_fl.c — builtins of the 'fl' module, the building blocks of federated learning
** that stdlib/ppdl/federated.ppdl is written with: a model's parameters as a list of
** tensors or one flat vector and back (weights, set_weights, flatten_weights,
** unflatten), arithmetic on models and weight lists (combine, average_models, difference,
** clip_norm), sparse updates (topk, gather, scatter_add), ordering and sampling (sort,
** argsort, sample), and helpers for protocol code (traffic: bytes per party from the
** transcript; observe: the experimenter's public reading of a measurement; defined:
** whether a name is bound; terminal: whether to print progress).  The protocols
** themselves are ppdl.
** Ownership is the evaluator's job: these are ordinary builtins (one party's values in,
** the result there); sample draws from the generator of the party it runs at.
*/
#include "lib.h"
#include "mem.h"
#include "lib_network.h"
#include "lib_wire.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KW(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* --- parameters as tensors ---------------------------------------------------------- */

/* [W1, b1, W2, b2, ...] of a model's layers with parameters, as new tensors. */
static Value weight_list(NnModel *m)
{
    Value l = val_list(8);
    for (int i = 0; i < m->net->n; i++) {
        Tn *w = nn_model_weight(m, i);
        if (!w) continue;
        val_list_push(l, val_tensor(w));
        val_list_push(l, val_tensor(nn_model_bias(m, i)));
    }
    return l;
}

/* The flat float32 parameters of a model, or of a list of tensors (concatenated in
** order), or of a tensor (its elements): a borrowed pointer when the value holds them in
** one piece, else a malloc'd copy in *own.  Raises and returns NULL otherwise. */
static const float *flat_of(Interp *I, Args *a, int i, Value v, size_t *n, float **own)
{
    *own = NULL;
    NnModel *m = lib_model_of(v);
    if (m) { *n = m->net->nparams; return m->w; }
    if (IS_TENSOR(v)) { *n = AS_TENSOR(v)->size; return AS_TENSOR(v)->data; }
    if (IS_LIST(v)) {
        ObjList *l = AS_LIST(v);
        size_t total = 0;
        for (size_t k = 0; k < l->n; k++) {
            if (!IS_TENSOR(l->v[k])) {
                err_raise(I, "bad argument #%d to '%s' (item %zu is a %s; a weight list holds "
                          "tensors)", i + 1, a->fname, k + 1, val_type_name(l->v[k]));
                return NULL;
            }
            total += AS_TENSOR(l->v[k])->size;
        }
        float *f = xmalloc(total * sizeof *f);
        size_t at = 0;
        for (size_t k = 0; k < l->n; k++) {
            const Tn *t = AS_TENSOR(l->v[k]);
            memcpy(f + at, t->data, t->size * sizeof *f);
            at += t->size;
        }
        *n = total; *own = f;
        return f;
    }
    lib_bad(I, a, i, "model, list of tensors or tensor");
    return NULL;
}

static Value b_weights(Interp *I, Args *a)
{
    bool flat = false;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("flat")) || !lib_kwbool(I, a, "flat", &flat))
        return VERR;
    NnModel *m = lib_user(I, a, 0, &lib_model_class);
    if (!m) return VERR;
    if (!flat) return weight_list(m);
    int shape[1] = { (int)m->net->nparams };
    return val_tensor(tn_from(1, shape, m->w));
}

static Value b_set_weights(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    NnModel *m = lib_user(I, a, 0, &lib_model_class);
    if (!m) return VERR;
    Value w = a->v[1];
    if (IS_LIST(w)) {                   /* shapes checked layer by layer */
        ObjList *l = AS_LIST(w);
        size_t k = 0;
        for (int i = 0; i < m->net->n; i++) {
            const NnLayer *L = &m->net->layer[i];
            if (!L->wlen) continue;
            for (int part = 0; part < 2; part++, k++) {
                size_t want = part ? L->blen : L->wlen;
                if (k >= l->n)
                    return err_raise(I, "set_weights: the list has %zu tensors; model %s needs one "
                                     "weight and one bias per layer with parameters", l->n, m->net->name);
                if (!IS_TENSOR(l->v[k]) || AS_TENSOR(l->v[k])->size != want)
                    return err_raise(I, "set_weights: item %zu should be a tensor of %zu values (the %s "
                                     "of layer %d, %s), got %s", k + 1, want, part ? "bias" : "weight",
                                     i + 1, nn_kind_name(L->kind),
                                     IS_TENSOR(l->v[k]) ? "a tensor of another size" : val_type_name(l->v[k]));
            }
        }
        if (k != l->n)
            return err_raise(I, "set_weights: the list has %zu tensors; model %s has %zu", l->n,
                             m->net->name, k);
        k = 0;
        for (int i = 0; i < m->net->n; i++) {
            const NnLayer *L = &m->net->layer[i];
            if (!L->wlen) continue;
            memcpy(m->w + L->woff, AS_TENSOR(l->v[k])->data, L->wlen * sizeof(float)); k++;
            memcpy(m->w + L->boff, AS_TENSOR(l->v[k])->data, L->blen * sizeof(float)); k++;
        }
    } else if (IS_TENSOR(w)) {
        const Tn *t = AS_TENSOR(w);
        if (t->size != m->net->nparams)
            return err_raise(I, "set_weights: a flat vector for model %s has %zu values, got %zu",
                             m->net->name, m->net->nparams, t->size);
        memcpy(m->w, t->data, t->size * sizeof(float));
    } else return lib_bad(I, a, 1, "list of tensors or flat tensor");
    nn_model_reset_opt(m);              /* momentum and moments belonged to the old weights */
    return VNONE;
}

static Value b_flatten_weights(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    size_t n;
    float *own;
    const float *f = flat_of(I, a, 0, a->v[0], &n, &own);
    if (!f) return VERR;
    if (n > TN_MAXSIZE) { free(own); return err_raise(I, "flatten_weights: more than 2^30 values"); }
    int shape[1] = { (int)n };
    Tn *t = tn_from(1, shape, f);
    free(own);
    return val_tensor(t);
}

static Value b_unflatten(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    Tn *v;
    if (!lib_tensor(I, a, 0, &v)) return VERR;
    Value like = a->v[1], tmp = VNONE;
    NnModel *m = lib_model_of(like);
    if (m) like = tmp = weight_list(m);
    if (!IS_LIST(like)) return lib_bad(I, a, 1, "model or list of tensors");
    ObjList *l = AS_LIST(like);
    size_t total = 0;
    for (size_t k = 0; k < l->n; k++) {
        if (!IS_TENSOR(l->v[k])) {
            val_release(tmp);
            return err_raise(I, "unflatten: item %zu of the pattern is a %s, not a tensor", k + 1,
                             val_type_name(l->v[k]));
        }
        total += AS_TENSOR(l->v[k])->size;
    }
    if (total != v->size) {
        val_release(tmp);
        return err_raise(I, "unflatten: the vector has %zu values, the pattern %zu", v->size, total);
    }
    Value out = val_list(l->n);
    size_t at = 0;
    for (size_t k = 0; k < l->n; k++) {
        const Tn *p = AS_TENSOR(l->v[k]);
        val_list_push(out, val_tensor(tn_from(p->ndim, p->shape, v->data + at)));
        at += p->size;
    }
    val_release(tmp);
    return out;
}

/* --- arithmetic on models and weight lists ------------------------------------------- */

/* sum_i c[i] * items[i] in double, into a value of the first item's kind: a model (a copy
** of the first with these weights), a list of tensors shaped like the first, or a
** tensor shaped like the first. */
static Value combine(Interp *I, Args *a, ObjList *items, const double *c)
{
    if (items->n == 0) return err_raise(I, "%s: the list of models is empty", a->fname);
    size_t n0 = 0;
    double *acc = NULL;
    for (size_t k = 0; k < items->n; k++) {
        Value v = items->v[k];
        if (k && (lib_model_of(v) != NULL) != (lib_model_of(items->v[0]) != NULL))
            return free(acc), err_raise(I, "%s: item %zu is a %s and item 1 a %s (combine models "
                                        "with models, weight lists with weight lists)", a->fname,
                                        k + 1, val_type_name(v), val_type_name(items->v[0]));
        size_t n;
        float *own;
        const float *f = flat_of(I, a, 0, v, &n, &own);
        if (!f) return free(acc), VERR;
        if (k == 0) { n0 = n; acc = xcalloc(n ? n : 1, sizeof *acc); }
        else if (n != n0) {
            free(own); free(acc);
            return err_raise(I, "%s: item %zu has %zu parameters, item 1 has %zu", a->fname, k + 1, n, n0);
        }
        for (size_t j = 0; j < n; j++) acc[j] += c[k] * (double)f[j];
        free(own);
    }
    Value first = items->v[0], out;
    NnModel *m = lib_model_of(first);
    if (m) {
        NnModel *r = nn_model_copy(m);
        for (size_t j = 0; j < n0; j++) r->w[j] = (float)acc[j];
        out = lib_model_new(r);
    } else if (IS_TENSOR(first)) {
        const Tn *p = AS_TENSOR(first);
        Tn *t = tn_empty(p->ndim, p->shape);
        for (size_t j = 0; j < n0; j++) t->data[j] = (float)acc[j];
        out = val_tensor(t);
    } else {
        ObjList *l = AS_LIST(first);
        out = val_list(l->n);
        size_t at = 0;
        for (size_t k = 0; k < l->n; k++) {
            const Tn *p = AS_TENSOR(l->v[k]);
            Tn *t = tn_empty(p->ndim, p->shape);
            for (size_t j = 0; j < p->size; j++) t->data[j] = (float)acc[at + j];
            at += p->size;
            val_list_push(out, val_tensor(t));
        }
    }
    free(acc);
    return out;
}

/* The list of numbers of argument or keyword v, n of them; NULL after raising. */
static double *coefs(Interp *I, Args *a, Value v, const char *what, size_t n)
{
    if (!IS_LIST(v) || AS_LIST(v)->n != n) {
        err_raise(I, "%s: %s should be a list of %zu numbers, one for each item", a->fname, what, n);
        return NULL;
    }
    double *c = xmalloc(n * sizeof *c);
    for (size_t k = 0; k < n; k++) {
        Value x = AS_LIST(v)->v[k];
        if (!IS_NUM(x) || !isfinite(x.as.n)) {
            free(c);
            err_raise(I, "%s: item %zu of %s is not a finite number", a->fname, k + 1, what);
            return NULL;
        }
        c[k] = x.as.n;
    }
    return c;
}

static Value b_combine(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    if (!IS_LIST(a->v[0])) return lib_bad(I, a, 0, "list of models, weight lists or tensors");
    ObjList *items = AS_LIST(a->v[0]);
    double *c = coefs(I, a, a->v[1], "the coefficients", items->n);
    if (!c) return VERR;
    Value r = combine(I, a, items, c);
    free(c);
    return r;
}

static Value b_average(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("weights"))) return VERR;
    if (!IS_LIST(a->v[0])) return lib_bad(I, a, 0, "list of models, weight lists or tensors");
    ObjList *items = AS_LIST(a->v[0]);
    size_t n = items->n;
    if (n == 0) return err_raise(I, "average_models: the list is empty");
    double *c;
    Value *wv = lib_kw(a, "weights");
    if (wv) {
        if (!(c = coefs(I, a, *wv, "weights", n))) return VERR;
    } else {
        c = xmalloc(n * sizeof *c);
        for (size_t k = 0; k < n; k++) c[k] = 1;
    }
    double s = 0;
    for (size_t k = 0; k < n; k++) {
        if (c[k] < 0) { free(c); return err_raise(I, "average_models: weight %zu is negative", k + 1); }
        s += c[k];
    }
    if (!(s > 0)) { free(c); return err_raise(I, "average_models: the weights sum to 0"); }
    for (size_t k = 0; k < n; k++) c[k] /= s;
    Value r = combine(I, a, items, c);
    free(c);
    return r;
}

static Value b_difference(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    ObjList two = { .n = 2, .v = a->v };
    double c[2] = { 1, -1 };
    return combine(I, a, &two, c);
}

/* clip_norm(x, c): x scaled by min(1, c / ||x||) (the L2 norm over every element). */
static Value b_clip_norm(Interp *I, Args *a)
{
    double c;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL)) || !lib_num(I, a, 1, &c)) return VERR;
    if (!(c > 0) || !isfinite(c)) return lib_bad(I, a, 1, "positive bound");
    size_t n;
    float *own;
    const float *f = flat_of(I, a, 0, a->v[0], &n, &own);
    if (!f) return VERR;
    double ss = 0;
    for (size_t j = 0; j < n; j++) ss += (double)f[j] * f[j];
    free(own);
    double k = sqrt(ss) > c ? c / sqrt(ss) : 1;
    ObjList one = { .n = 1, .v = a->v };
    return combine(I, a, &one, &k);
}

/* --- sparse updates ---------------------------------------------------------------------- */

typedef struct Key { double v; size_t i; } Key;

static int key_asc(const void *x, const void *y)
{
    const Key *p = x, *q = y;
    if (p->v < q->v) return -1;
    if (p->v > q->v) return 1;
    return p->i < q->i ? -1 : p->i > q->i;      /* stable: ties keep their order */
}

static int key_desc(const void *x, const void *y)
{
    const Key *p = x, *q = y;
    if (p->v > q->v) return -1;
    if (p->v < q->v) return 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

static Tn *index_tensor(const Key *k, size_t n)
{
    int shape[1] = { (int)n };
    Tn *t = tn_empty(1, shape);
    for (size_t j = 0; j < n; j++) t->data[j] = (float)k[j].i;
    return t;
}

/* topk(t, k, by = "value" | "abs"): the k largest elements of a tensor (flattened). */
static Value b_topk(Interp *I, Args *a)
{
    Tn *t;
    long k;
    const char *by = "value";
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW("by")) || !lib_tensor(I, a, 0, &t) ||
        !lib_int(I, a, 1, &k) || !lib_kwstr(I, a, "by", &by)) return VERR;
    bool absv = !strcmp(by, "abs");
    if (!absv && strcmp(by, "value")) return lib_badkw(I, a, "by", "\"value\" or \"abs\"");
    if (k < 0 || (size_t)k > t->size)
        return err_raise(I, "topk: k = %ld is outside 0..%zu (the tensor's size)", k, t->size);
    if (t->size > (1u << 24)) return err_raise(I, "topk: more than 2^24 elements");
    Key *key = xmalloc(t->size * sizeof *key);
    for (size_t j = 0; j < t->size; j++) {
        double x = t->data[j];
        key[j] = (Key){ isnan(x) ? -INFINITY : absv ? fabs(x) : x, j };
    }
    qsort(key, t->size, sizeof *key, key_desc);
    int shape[1] = { (int)k };
    Tn *vals = tn_empty(1, shape);
    for (long j = 0; j < k; j++) vals->data[j] = t->data[key[j].i];
    Value r = val_rec();
    val_rec_set(r, sym_cstr(&I->syms, "values"), val_tensor(vals));
    val_rec_set(r, sym_cstr(&I->syms, "indices"), val_tensor(index_tensor(key, (size_t)k)));
    free(key);
    return r;
}

/* Indices from a tensor or a list of numbers, each a whole number in 0..n-1. */
static size_t *indices_of(Interp *I, Args *a, int i, size_t n, size_t *count)
{
    Value v = a->v[i];
    size_t m;
    if (IS_TENSOR(v)) m = AS_TENSOR(v)->size;
    else if (IS_LIST(v)) m = AS_LIST(v)->n;
    else { lib_bad(I, a, i, "tensor or list of indices"); return NULL; }
    size_t *ix = xmalloc(m * sizeof *ix);
    for (size_t j = 0; j < m; j++) {
        double x;
        if (IS_TENSOR(v)) x = AS_TENSOR(v)->data[j];
        else if (IS_NUM(AS_LIST(v)->v[j])) x = AS_LIST(v)->v[j].as.n;
        else x = NAN;
        if (!(x >= 0 && x < (double)n && x == floor(x))) {
            free(ix);
            err_raise(I, "%s: index %zu (%g) is not a whole number in 0..%zu", a->fname, j + 1, x,
                      n ? n - 1 : 0);
            return NULL;
        }
        ix[j] = (size_t)x;
    }
    *count = m;
    return ix;
}

static Value b_gather(Interp *I, Args *a)
{
    Tn *t;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL)) || !lib_tensor(I, a, 0, &t)) return VERR;
    size_t m, *ix = indices_of(I, a, 1, t->size, &m);
    if (!ix) return VERR;
    int shape[1] = { (int)m };
    Tn *r = tn_empty(1, shape);
    for (size_t j = 0; j < m; j++) r->data[j] = t->data[ix[j]];
    free(ix);
    return val_tensor(r);
}

static Value b_scatter_add(Interp *I, Args *a)
{
    Tn *t, *v;
    if (!lib_arity(I, a, 3, 3) || !lib_kwonly(I, a, KW(NULL)) || !lib_tensor(I, a, 0, &t) ||
        !lib_tensor(I, a, 2, &v)) return VERR;
    size_t m, *ix = indices_of(I, a, 1, t->size, &m);
    if (!ix) return VERR;
    if (v->size != m) {
        free(ix);
        return err_raise(I, "scatter_add: %zu indices and %zu values (one value for each index)", m, v->size);
    }
    Tn *r = tn_copy(t);
    for (size_t j = 0; j < m; j++) r->data[ix[j]] += v->data[j];
    free(ix);
    return val_tensor(r);
}

/* --- ordering and sampling ------------------------------------------------------------- */

/* Keys of a list of numbers or a tensor (flattened); strings sort by bytes. */
static Key *sort_keys(Interp *I, Args *a, size_t *n, bool *strings)
{
    Value v = a->v[0];
    *strings = false;
    if (IS_TENSOR(v)) {
        const Tn *t = AS_TENSOR(v);
        if (t->size > (1u << 24)) { err_raise(I, "%s: more than 2^24 elements", a->fname); return NULL; }
        Key *k = xmalloc(t->size * sizeof *k);
        for (size_t j = 0; j < t->size; j++) {
            if (isnan(t->data[j])) {
                free(k);
                err_raise(I, "%s: element %zu is nan, which has no place in an order", a->fname, j);
                return NULL;
            }
            k[j] = (Key){ t->data[j], j };
        }
        *n = t->size;
        return k;
    }
    if (!IS_LIST(v)) { lib_bad(I, a, 0, "list or tensor"); return NULL; }
    ObjList *l = AS_LIST(v);
    Key *k = xmalloc(l->n * sizeof *k);
    *strings = l->n && l->v[0].tag == V_STR;
    for (size_t j = 0; j < l->n; j++) {
        Value x = l->v[j];
        if (*strings ? x.tag != V_STR : !IS_NUM(x) || isnan(x.as.n)) {
            free(k);
            err_raise(I, "%s: item %zu is a %s; a list to order holds numbers (or strings) only",
                      a->fname, j + 1, IS_NUM(x) ? "nan" : val_type_name(x));
            return NULL;
        }
        k[j] = (Key){ *strings ? 0 : x.as.n, j };
    }
    *n = l->n;
    return k;
}

typedef struct StrOrder { const ObjList *l; bool desc; } StrOrder;

static int str_cmp(const void *x, const void *y, void *ctx)
{
    const Key *p = x, *q = y;
    const StrOrder *o = ctx;
    int c = strcmp(AS_STR(o->l->v[p->i])->s, AS_STR(o->l->v[q->i])->s);
    if (o->desc) c = -c;
    return c ? c : (p->i < q->i ? -1 : p->i > q->i);
}

static Key *ordered(Interp *I, Args *a, size_t *n)
{
    bool desc = false, strings;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("descending")) ||
        !lib_kwbool(I, a, "descending", &desc)) return NULL;
    Key *k = sort_keys(I, a, n, &strings);
    if (!k) return NULL;
    if (strings) {
        StrOrder o = { AS_LIST(a->v[0]), desc };
        qsort_r(k, *n, sizeof *k, str_cmp, &o);
    } else qsort(k, *n, sizeof *k, desc ? key_desc : key_asc);
    return k;
}

static Value b_sort(Interp *I, Args *a)
{
    size_t n;
    Key *k = ordered(I, a, &n);
    if (!k) return VERR;
    Value r;
    if (IS_TENSOR(a->v[0])) {
        int shape[1] = { (int)n };
        Tn *t = tn_empty(1, shape);
        for (size_t j = 0; j < n; j++) t->data[j] = (float)k[j].v;
        r = val_tensor(t);
    } else {
        r = val_list(n);
        for (size_t j = 0; j < n; j++) val_list_push(r, val_retain(AS_LIST(a->v[0])->v[k[j].i]));
    }
    free(k);
    return r;
}

static Value b_argsort(Interp *I, Args *a)
{
    size_t n;
    Key *k = ordered(I, a, &n);
    if (!k) return VERR;
    Value r;
    if (IS_TENSOR(a->v[0])) r = val_tensor(index_tensor(k, n));
    else {
        r = val_list(n);
        for (size_t j = 0; j < n; j++) val_list_push(r, VNUM((double)k[j].i));
    }
    free(k);
    return r;
}

/* sample(xs, k): k items of a list (or k of 0..n-1 for a number n), without replacement,
** in the order drawn: a partial Fisher-Yates shuffle with the party's generator. */
static Value b_sample(Interp *I, Args *a)
{
    long k;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL)) || !lib_int(I, a, 1, &k)) return VERR;
    Value v = a->v[0];
    size_t n;
    const ObjRange *rg = v.tag == V_RANGE ? (const ObjRange *)v.as.o : NULL;
    if (IS_LIST(v)) n = AS_LIST(v)->n;
    else if (rg && ev_range_len(rg) <= (1u << 24)) n = ev_range_len(rg);
    else if (IS_NUM(v) && v.as.n >= 0 && v.as.n <= (1 << 24) && v.as.n == floor(v.as.n)) n = (size_t)v.as.n;
    else return lib_bad(I, a, 0, "list, range or count up to 2^24");
    if (k < 0 || (size_t)k > n)
        return err_raise(I, "sample: cannot draw %ld items from %zu without replacement", k, n);
    size_t *p = xmalloc(n * sizeof *p);
    for (size_t j = 0; j < n; j++) p[j] = j;
    Rng *r = ev_rng(I, lib_draw_party(I, a));
    Value out = val_list((size_t)k);
    for (size_t j = 0; j < (size_t)k; j++) {
        size_t s = j + (size_t)rng_below(r, (uint64_t)(n - j));
        size_t t = p[j]; p[j] = p[s]; p[s] = t;
        val_list_push(out, IS_LIST(v) ? val_retain(AS_LIST(v)->v[p[j]])
                           : VNUM(rg ? rg->lo + (double)p[j] * rg->step : (double)p[j]));
    }
    free(p);
    return out;
}

/* --- protocol helpers -------------------------------------------------------------------- */

/* traffic(since = 0): bytes each party sent and received in the transcript's messages
** from index `since` on: {messages, sent = {party = bytes}, received = {...}}. */
static Value b_traffic(Interp *I, Args *a)
{
    long since = 0;
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, KW("since")) || !lib_kwint(I, a, "since", &since))
        return VERR;
    if (since < 0) return lib_badkw(I, a, "since", "message count >= 0");
    int np = I->nparties;
    double *sent = xcalloc((size_t)np + 1, sizeof *sent), *recv = xcalloc((size_t)np + 1, sizeof *recv);
    for (size_t i = (size_t)since; i < I->tr.n; i++) {
        const TrMsg *m = &I->tr.msgs[i];
        if (m->from >= 0 && m->from <= np) sent[m->from] += (double)m->bytes;
        if (m->to >= 0 && m->to <= np) recv[m->to] += (double)m->bytes;
    }
    Value s = val_rec(), r = val_rec(), out = val_rec();
    for (int p = 1; p <= np; p++) {
        val_rec_set(s, I->parties[p].name, VNUM(sent[p]));
        val_rec_set(r, I->parties[p].name, VNUM(recv[p]));
    }
    free(sent); free(recv);
    val_rec_set(out, sym_cstr(&I->syms, "messages"), VNUM((double)I->tr.n));
    val_rec_set(out, sym_cstr(&I->syms, "sent"), s);
    val_rec_set(out, sym_cstr(&I->syms, "received"), r);
    return out;
}

static Value b_defined(Interp *I, Args *a)
{
    const char *name;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL)) || !lib_str(I, a, 0, &name)) return VERR;
    return (Value){ .tag = V_BOOL, .as.b = lib_find(I, name) || ev_get_global(I, name) };
}

/* A public copy of a number, bool, string or (nested) list of them; NULL-free VERR
** after raising for anything else (tensors, models, ... are data, not readings). */
static Value observed(Interp *I, Value v, int depth)
{
    switch (v.tag) {
    case V_NUM: return VNUM(v.as.n);
    case V_BOOL: return VBOOL(v.as.b);
    case V_NONE: return VNONE;
    case V_RANGE: return val_at(val_retain(v), 0);
    case V_STR: return val_str(AS_STR(v)->s, AS_STR(v)->len);
    case V_LIST: {
        if (depth > 8) break;
        ObjList *l = AS_LIST(v);
        Value out = val_list(l->n);
        for (size_t i = 0; i < l->n; i++) {
            Value x = observed(I, l->v[i], depth + 1);
            if (IS_ERR(x)) { val_release(out); return VERR; }
            val_list_push(out, x);
        }
        return out;
    }
    default: break;
    }
    return err_raise(I, "observe: a %s is data, not a reading; the experimenter observes numbers, "
                     "bools, strings, ranges and lists of them (a measured accuracy, a count)", val_type_name(v));
}

/* Making a party's value public releases it to every party: each other party gets it
** through the message layer, so its view records what it can now read. */
static bool publish(Interp *I, Value v, int depth)
{
    int o = val_owner(v);
    if (o > 0) {
        for (int q = 1; q <= I->nparties; q++) {
            if (q == o) continue;
            Value c = lib_wire_send(I, v, o, q, false);
            if (IS_ERR(c)) return false;
            val_release(c);
        }
        return true;
    }
    if (v.tag == V_LIST && depth <= 8) {
        ObjList *l = AS_LIST(v);
        for (size_t i = 0; i < l->n; i++)
            if (!publish(I, l->v[i], depth + 1)) return false;
    }
    return true;
}

static Value b_observe(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    Value r = observed(I, a->v[0], 0);
    if (IS_ERR(r)) return r;
    if (!publish(I, a->v[0], 0)) { val_release(r); return VERR; }
    return r;
}

static Value b_terminal(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    return VBOOL(I->tty);
}

/* --- registration ------------------------------------------------------------------------- */

#define NET "network n { dense(2, 3); relu; dense(3, 2); softmax }; "

static const LibReg fns[] = {
    {"weights", b_weights, "weights(m, flat = false)",
     "A model's parameters as new tensors [W1, b1, W2, b2, ...] (one weight and one bias\n"
     "per layer with parameters), or with flat = true as one vector in the model's layout.\n"
     "Changing them does not change the model: set_weights(m, w) does.",
     NET "m = model(n); w = weights(m); print(len(w), shape(w[0]), shape(weights(m, flat = true)))\n"
     "# -> 4 [2, 3] [17]", 0},
    {"set_weights", b_set_weights, "set_weights(m, w)",
     "Replaces model m's parameters in place with w: a list as weights(m) gives (each tensor\n"
     "of the size of the one it replaces) or one flat vector of m.params values.  The\n"
     "optimiser state (momentum, Adam's moments) is dropped with the old weights.",
     NET "m = model(n); w = weights(m); w[0] = w[0] * 0; set_weights(m, w); print(sum(weights(m)[0]))\n"
     "# -> 0",
     LIB_WRITES},
    {"flatten_weights", b_flatten_weights, "flatten_weights(x)",
     "One flat vector of the parameters of a model or of a list of tensors (concatenated in\n"
     "order); unflatten(v, like) undoes it.",
     NET "m = model(n); v = flatten_weights(m); print(shape(v), allclose(v, flatten_weights(weights(m))))\n"
     "# -> [17] true", 0},
    {"unflatten", b_unflatten, "unflatten(v, like)",
     "A flat vector cut into tensors shaped like the weights of a model (or like a list of\n"
     "tensors): the inverse of flatten_weights.",
     NET "m = model(n); w = unflatten(flatten_weights(m), m); print(len(w), shape(w[2]))   # -> 4 [3, 2]", 0},
    {"combine", b_combine, "combine(items, coefs)",
     "The scaled sum c1*x1 + c2*x2 + ... of models, weight lists or tensors of one size (in\n"
     "double precision), of the kind of the first: for models a new model of the first's\n"
     "network.",
     NET "a = model(n); b = model(n); c = combine([a, b], [1, -1]); print(max(abs(flatten_weights(c))) > 0)\n"
     "# -> true", 0},
    {"average_models", b_average, "average_models(items, weights = none)",
     "The (weighted) average of models, weight lists or tensors of one size: FedAvg's\n"
     "sum_k (n_k / n) w_k with weights = [n_1, n_2, ...].  Models give a new model.",
     "print(average_models([tensor([1, 2]), tensor([3, 6])], weights = [1, 3]))\n"
     "# -> tensor([2.5, 5.0])", 0},
    {"difference", b_difference, "difference(a, b)",
     "a - b for two models, weight lists or tensors of one size (a model update).",
     NET "a = model(n); print(max(abs(flatten_weights(difference(a, a)))))   # -> 0", 0},
    {"clip_norm", b_clip_norm, "clip_norm(x, c)",
     "x scaled by min(1, c / ||x||), its L2 norm over every parameter at most c (a model, a\n"
     "weight list or a tensor): the per-client clipping of DP-FedAvg.",
     "print(clip_norm(tensor([3, 4]), 1))   # -> tensor([0.6, 0.8])", 0},
    {"topk", b_topk, "topk(t, k, by = \"value\")",
     "The k largest elements of a tensor (flattened) as {values, indices}, largest first\n"
     "(ties: the lower index first); by = \"abs\" ranks by absolute value (DSSGD's largest\n"
     "updates).  indices is a tensor of flat positions.",
     "r = topk(tensor([0.1, -5, 3, 2]), 2, by = \"abs\"); print(r.values, r.indices)\n"
     "# -> tensor([-5,  3]) tensor([1, 2])", 0},
    {"gather", b_gather, "gather(t, indices)",
     "The elements of a tensor (flattened) at the given flat positions, as a vector.",
     "print(gather(tensor([[1, 2], [3, 4]]), [3, 0]))   # -> tensor([4, 1])", 0},
    {"scatter_add", b_scatter_add, "scatter_add(t, indices, values)",
     "A copy of t with values[i] added at flat position indices[i] (a sparse update).",
     "print(scatter_add(zeros(4), tensor([1, 3]), tensor([5, 7])))   # -> tensor([0, 5, 0, 7])", 0},
    {"sort", b_sort, "sort(x, descending = false)",
     "A sorted copy of a list of numbers (or of strings), or of a tensor's elements as a\n"
     "vector.  Stable; nan is an error.",
     "print(sort([3, 1, 2]), sort(tensor([2, -1, 5]), descending = true))\n"
     "# -> [1, 2, 3] tensor([ 5,  2, -1])", 0},
    {"argsort", b_argsort, "argsort(x, descending = false)",
     "The positions that sort x (a list gives a list, a tensor a vector of flat positions);\n"
     "stable, so equal items keep their order.",
     "print(argsort([30, 10, 20]))   # -> [1, 2, 0]", 0},
    {"sample", b_sample, "sample(xs, k)",
     "k distinct items of the list or range xs (or k of 0..n-1 for a number n) drawn without\n"
     "replacement from the generator of the party the call runs at (the public stream at\n"
     "the top level), in the order drawn.",
     "seed(3); s = sample([\"a\", \"b\", \"c\", \"d\"], 2); print(len(s))   # -> 2", 0},
    {"traffic", b_traffic, "traffic(since = 0)",
     "Bytes each party sent and received, from the transcript's messages numbered since and\n"
     "later: {messages (the count so far), sent = {party = bytes}, received = {...}}.  A\n"
     "protocol reads it before and after a round to report the round's cost.",
     "party a, b; t0 = traffic().messages; x = send(1 at a, to = b); print(traffic(since = t0).sent.a > 0)\n"
     "# -> true",
     LIB_NARRATOR},
    {"defined", b_defined, "defined(name)",
     "Whether a builtin or global variable of that name exists (a library uses it to call\n"
     "an optional builtin, or to say clearly that it is missing).",
     "print(defined(\"print\"), defined(\"no_such_thing\"))   # -> true false", 0},
    {"observe", b_observe, "observe(x)",
     "The experimenter's reading of a number, bool, string or list of them, as a public\n"
     "value: what a protocol reports (an accuracy measured on a party's model, a count).\n"
     "Top level only, like print; tensors, models and data sets are refused.  A public value\n"
     "is readable by every party, so observing a party's value sends it to every other party\n"
     "through the message layer: their views record it (as a leak of plaintext).",
     "party a; x = 0.9 at a; print(owner(x), owner(observe(x)))\n"
     "# -> <party a> none", LIB_NARRATOR | LIB_ANYOWNER},
    {"terminal", b_terminal, "terminal()",
     "Whether standard output is a terminal: protocols print progress only then (or when\n"
     "asked with verbose = true), so that scripts piped to a file stay quiet.",
     "print(type(terminal()))   # -> bool", 0},
    { NULL, NULL, NULL, NULL, NULL, 0 }
};

const LibModule lib_mod_fl = { "fl", fns, NULL };
