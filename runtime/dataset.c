/*
** dataset.c — datasets in memory (see dataset.h): construction and freeing, row subsets,
** z-score normalisation, train/test split, batches, partition among parties (IID,
** Dirichlet label skew, label shards), and the summary and head displays.  It owns no
** file format: CSV lives in dataset_csv.c, IDX in dataset_idx.c.  Every random choice is drawn
** from the Rng the caller passes.
*/
#include "dataset.h"
#include "mem.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *dupmem(const void *p, size_t n)
{
    return p ? memcpy(xmalloc(n), p, n) : NULL;
}

/* --- construction ---------------------------------------------------------------------- */

Ds *ds_new(Tn *x, Tn *y, int nclasses, RtErr *err)
{
    const char *why = NULL;
    if (!x || !y) why = "features and labels are both needed";
    else if (x->ndim < 2) why = "features must have a row dimension and a feature dimension";
    else if (!(y->ndim == 1 || (y->ndim == 2 && y->shape[1] == 1)))
        why = "labels must be a vector (n or n x 1)";
    else if (y->shape[0] != x->shape[0]) why = "features and labels have different row counts";
    else if (nclasses < 0) why = "the number of classes cannot be negative";
    for (size_t i = 0; !why && nclasses > 0 && i < y->size; i++) {
        float v = y->data[i];
        if (!(v >= 0 && v < (float)nclasses && v == floorf(v))) why = "a label is not a class index";
    }
    if (why) {
        rt_err(err, RT_EINVAL, "%s", why);
        tn_free(x); tn_free(y);
        return NULL;
    }
    if (y->ndim == 2) y->ndim = 1;          /* n × 1 -> n: same data */
    Ds *d = xcalloc(1, sizeof *d);
    d->x = x; d->y = y; d->nclasses = nclasses;
    return d;
}

void ds_free(Ds *d)
{
    if (!d) return;
    tn_free(d->x); tn_free(d->y);
    for (int i = 0; i < d->nfeatures; i++) free(d->features ? d->features[i] : NULL);
    free(d->features);
    free(d->label); free(d->origin); free(d->name);
    free(d->classval); free(d->mean); free(d->std);
    if (d->ledger && d->ledger_free) d->ledger_free(d->ledger);
    free(d);
}

size_t ds_n(const Ds *d) { return d->x->ndim ? (size_t)d->x->shape[0] : 0; }

size_t ds_dim(const Ds *d)
{
    size_t n = ds_n(d);
    if (n) return d->x->size / n;
    size_t k = 1;
    for (int i = 1; i < d->x->ndim; i++) k *= (size_t)d->x->shape[i];
    return k;
}

void ds_set_name(Ds *d, const char *name)
{
    free(d->name);
    d->name = xstrdup(name);
}

/* Copies everything but x and y from s into an empty-metadata d. */
static void copy_meta(Ds *d, const Ds *s)
{
    d->nclasses = s->nclasses;
    if (s->features) {
        d->features = xmalloc((size_t)s->nfeatures * sizeof *d->features);
        for (int i = 0; i < s->nfeatures; i++) d->features[i] = xstrdup(s->features[i]);
        d->nfeatures = s->nfeatures;
    }
    d->label = xstrdup(s->label);
    d->origin = xstrdup(s->origin);
    d->name = xstrdup(s->name);
    if (s->classval) d->classval = dupmem(s->classval, (size_t)s->nclasses * sizeof(double));
    size_t dim = ds_dim(s);
    if (s->mean) d->mean = dupmem(s->mean, dim * sizeof(float));
    if (s->std) d->std = dupmem(s->std, dim * sizeof(float));
    d->ledger_free = s->ledger_free;
    d->ledger_copy = s->ledger_copy;
    d->ledger = s->ledger && s->ledger_copy ? s->ledger_copy(s->ledger) : NULL;
}

static Ds *bare(Tn *x, Tn *y)
{
    Ds *d = xcalloc(1, sizeof *d);
    d->x = x; d->y = y;
    return d;
}

Ds *ds_copy(const Ds *s)
{
    Ds *d = bare(tn_copy(s->x), tn_copy(s->y));
    copy_meta(d, s);
    return d;
}

Ds *ds_take(const Ds *s, const size_t *idx, size_t k)
{
    int shape[TN_MAXDIM];
    memcpy(shape, s->x->shape, sizeof shape);
    shape[0] = (int)k;
    size_t dim = ds_dim(s);
    Tn *x = tn_new(s->x->ndim, shape);
    Tn *y = tn_new(1, (int[]){ (int)k });
    for (size_t i = 0; i < k; i++) {
        memcpy(x->data + i * dim, s->x->data + idx[i] * dim, dim * sizeof(float));
        y->data[i] = s->y->data[idx[i]];
    }
    Ds *d = bare(x, y);
    copy_meta(d, s);
    return d;
}

Ds *ds_slice(const Ds *s, size_t lo, size_t hi)
{
    size_t k = hi - lo;
    size_t *idx = xmalloc(k * sizeof *idx);
    for (size_t i = 0; i < k; i++) idx[i] = lo + i;
    Ds *d = ds_take(s, idx, k);
    free(idx);
    return d;
}

void ds_class_counts(const Ds *d, size_t *counts)
{
    for (int c = 0; c < d->nclasses; c++) counts[c] = 0;
    for (size_t i = 0; i < ds_n(d); i++) {
        int c = (int)d->y->data[i];
        if (c >= 0 && c < d->nclasses) counts[c]++;
    }
}

/* --- normalisation ------------------------------------------------------------------- */

void ds_stats(const Ds *d, float *mean, float *std)
{
    size_t n = ds_n(d), dim = ds_dim(d);
    double *s = xcalloc(dim, sizeof *s), *s2 = xcalloc(dim, sizeof *s2);
    for (size_t i = 0; i < n; i++) {
        const float *row = d->x->data + i * dim;
        for (size_t j = 0; j < dim; j++) s[j] += row[j];
    }
    for (size_t j = 0; j < dim; j++) s[j] = n ? s[j] / (double)n : 0;
    for (size_t i = 0; i < n; i++) {              /* two passes: no cancellation */
        const float *row = d->x->data + i * dim;
        for (size_t j = 0; j < dim; j++) { double e = row[j] - s[j]; s2[j] += e * e; }
    }
    for (size_t j = 0; j < dim; j++) {
        double sd = n ? sqrt(s2[j] / (double)n) : 0;
        mean[j] = (float)s[j];
        std[j] = sd > 1e-12 ? (float)sd : 1.0f;
    }
    free(s); free(s2);
}

void ds_normalize(Ds *d, const float *mean, const float *std)
{
    size_t n = ds_n(d), dim = ds_dim(d);
    float *own_m = NULL, *own_s = NULL;
    if (!mean) {
        own_m = xmalloc(dim * sizeof *own_m); own_s = xmalloc(dim * sizeof *own_s);
        ds_stats(d, own_m, own_s);
        mean = own_m; std = own_s;
    }
    for (size_t i = 0; i < n; i++) {
        float *row = d->x->data + i * dim;
        for (size_t j = 0; j < dim; j++) row[j] = (row[j] - mean[j]) / std[j];
    }
    /* compose: raw -> (raw - m1)/s1 -> ((raw - m1)/s1 - m2)/s2 = (raw - (m1 + s1 m2)) / (s1 s2) */
    if (!d->mean) {
        d->mean = dupmem(mean, dim * sizeof(float));
        d->std = dupmem(std, dim * sizeof(float));
    } else {
        for (size_t j = 0; j < dim; j++) {
            d->mean[j] = d->mean[j] + d->std[j] * mean[j];
            d->std[j] = d->std[j] * std[j];
        }
    }
    free(own_m); free(own_s);
}

/* --- split, batches, partition ------------------------------------------------------ */

static size_t *iota(size_t n)
{
    size_t *p = xmalloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = i;
    return p;
}

static void shuffle(size_t *p, size_t n, Rng *r)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);
        size_t t = p[i - 1]; p[i - 1] = p[j]; p[j] = t;
    }
}

/* name + "/" + suffix (+ number when k >= 0) as the display name of a child. */
static void child_name(Ds *d, const Ds *parent, const char *suffix, long k)
{
    char buf[256];
    const char *base = parent->name ? parent->name : "dataset";
    if (k >= 0) snprintf(buf, sizeof buf, "%s/%s%ld", base, suffix, k);
    else snprintf(buf, sizeof buf, "%s/%s", base, suffix);
    ds_set_name(d, buf);
}

int ds_split(const Ds *d, double train, Rng *r, Ds **tr, Ds **te, RtErr *err)
{
    size_t n = ds_n(d);
    *tr = *te = NULL;
    if (!(train > 0 && train < 1)) {
        rt_err(err, RT_EINVAL, "train = %g: the training fraction must be between 0 and 1", train);
        return -1;
    }
    size_t k = (size_t)llround(train * (double)n);
    if (k == 0 || k == n) {
        rt_err(err, RT_EINVAL, "train = %g of %zu rows leaves %s split empty", train, n,
                 k == 0 ? "the training" : "the test");
        return -1;
    }
    size_t *p = iota(n);
    if (r) shuffle(p, n, r);
    *tr = ds_take(d, p, k);
    *te = ds_take(d, p + k, n - k);
    child_name(*tr, d, "train", -1);
    child_name(*te, d, "test", -1);
    free(p);
    return 0;
}

Ds **ds_batches(const Ds *d, size_t size, Rng *r, size_t *nb)
{
    size_t n = ds_n(d);
    *nb = 0;
    if (size == 0 || n == 0) return NULL;
    size_t k = (n + size - 1) / size;
    size_t *p = iota(n);
    if (r) shuffle(p, n, r);
    Ds **out = xmalloc(k * sizeof *out);
    for (size_t b = 0; b < k; b++) {
        size_t lo = b * size, hi = lo + size < n ? lo + size : n;
        out[b] = ds_take(d, p + lo, hi - lo);
        child_name(out[b], d, "batch", (long)b + 1);
    }
    free(p);
    *nb = k;
    return out;
}

double ds_gamma(Rng *r, double a)
{
    if (a < 1) {            /* Gamma(a) = Gamma(a + 1) * U^(1/a) */
        double u = rng_uniform_pos(r);
        return ds_gamma(r, a + 1) * pow(u, 1.0 / a);
    }
    double dd = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * dd);
    for (;;) {              /* Marsaglia & Tsang (2000) */
        double z, v;
        do { z = rng_normal(r); v = 1.0 + c * z; } while (v <= 0);
        v = v * v * v;
        double u = rng_uniform_pos(r);
        if (u < 1.0 - 0.0331 * z * z * z * z) return dd * v;
        if (log(u) < 0.5 * z * z + dd * (1.0 - v + log(v))) return dd * v;
    }
}

/* Row indices grouped by class: order[start[c] .. start[c+1]) are the rows of class c,
** in file order.  start has nclasses + 1 slots. */
static size_t *by_class(const Ds *d, size_t *start)
{
    size_t n = ds_n(d);
    int k = d->nclasses;
    for (int c = 0; c <= k; c++) start[c] = 0;
    for (size_t i = 0; i < n; i++) start[(int)d->y->data[i] + 1]++;
    for (int c = 0; c < k; c++) start[c + 1] += start[c];
    size_t *pos = dupmem(start, (size_t)(k + 1) * sizeof *start);
    size_t *order = xmalloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++) order[pos[(int)d->y->data[i]]++] = i;
    free(pos);
    return order;
}

/* Dirichlet label skew: each class's rows are dealt to the parties in proportions drawn
** from Dirichlet(alpha, ..., alpha); owner[i] receives row i's party. */
static int deal_dirichlet(const Ds *d, int k, double alpha, Rng *r, int *owner)
{
    size_t n = ds_n(d);
    size_t *start = xmalloc((size_t)(d->nclasses + 1) * sizeof *start);
    size_t *order = by_class(d, start);
    double *prop = xmalloc((size_t)k * sizeof *prop);
    size_t *got = xmalloc((size_t)k * sizeof *got);
    int ok = 0;
    for (int attempt = 0; attempt < 1000 && !ok; attempt++) {
        for (int p = 0; p < k; p++) got[p] = 0;
        for (int c = 0; c < d->nclasses; c++) {
            size_t lo = start[c], m = start[c + 1] - lo;
            shuffle(order + lo, m, r);
            double sum = 0;
            for (int p = 0; p < k; p++) sum += prop[p] = ds_gamma(r, alpha);
            /* cut points at the cumulative proportions */
            double acc = 0; size_t from = 0;
            for (int p = 0; p < k; p++) {
                acc += prop[p] / sum;
                size_t to = p == k - 1 ? m : (size_t)llround(acc * (double)m);
                if (to > m) to = m;
                if (to < from) to = from;
                for (size_t i = from; i < to; i++) owner[order[lo + i]] = p;
                got[p] += to - from;
                from = to;
            }
        }
        ok = 1;
        for (int p = 0; p < k; p++) if (got[p] == 0) ok = 0;
    }
    (void)n;
    free(start); free(order); free(prop); free(got);
    return ok ? 0 : -1;
}

/* Label shards: rows sorted by label (shuffled within a label) are cut into k*s equal
** shards, and each party receives s shards chosen at random. */
static void deal_shards(const Ds *d, int k, size_t s, Rng *r, int *owner)
{
    size_t n = ds_n(d);
    size_t *start = xmalloc((size_t)(d->nclasses + 1) * sizeof *start);
    size_t *order = by_class(d, start);
    for (int c = 0; c < d->nclasses; c++) shuffle(order + start[c], start[c + 1] - start[c], r);
    size_t nsh = (size_t)k * s;
    size_t *shard = iota(nsh);
    shuffle(shard, nsh, r);
    for (size_t j = 0; j < nsh; j++) {      /* shard j covers [j n / nsh, (j+1) n / nsh) */
        size_t lo = j * n / nsh, hi = (j + 1) * n / nsh;
        int party = (int)(shard[j] / s);
        for (size_t i = lo; i < hi; i++) owner[order[i]] = party;
    }
    free(start); free(order); free(shard);
}

int ds_partition(const Ds *d, int k, DsPart mode, double param, Rng *r, Ds **parts,
                 RtErr *err)
{
    size_t n = ds_n(d);
    if (k < 1) { rt_err(err, RT_EINVAL, "a partition needs at least one party"); return -1; }
    if ((size_t)k > n) {
        rt_err(err, RT_EINVAL, "cannot give %d parties a row each from %zu rows", k, n);
        return -1;
    }
    if (mode != DS_IID && d->nclasses == 0) {
        rt_err(err, RT_EINVAL, "a non-IID partition needs class labels (this dataset has a numeric target)");
        return -1;
    }
    int *owner = xmalloc(n * sizeof *owner);
    if (mode == DS_IID) {
        size_t *p = iota(n);
        shuffle(p, n, r);
        for (size_t i = 0; i < n; i++) owner[p[i]] = (int)(i * (size_t)k / n);
        free(p);
    } else if (mode == DS_DIRICHLET) {
        if (!(param > 0 && isfinite(param))) {
            rt_err(err, RT_EINVAL, "dirichlet = %g: alpha must be a positive number", param);
            free(owner); return -1;
        }
        if (deal_dirichlet(d, k, param, r, owner) < 0) {
            rt_err(err, RT_EINVAL, "dirichlet = %g left a party without data in 1000 draws; "
                     "use a larger alpha or fewer parties", param);
            free(owner); return -1;
        }
    } else {
        if (!(param >= 1 && param == floor(param) && param * k <= (double)n)) {
            rt_err(err, RT_EINVAL, "shards = %g: need a whole number from 1 to %zu "
                     "(shards per party, %d parties, %zu rows)", param, n / (size_t)k, k, n);
            free(owner); return -1;
        }
        deal_shards(d, k, (size_t)param, r, owner);
    }
    /* gather each party's rows, in a shuffled order */
    size_t *idx = xmalloc(n * sizeof *idx);
    for (int p = 0; p < k; p++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) if (owner[i] == p) idx[m++] = i;
        shuffle(idx, m, r);
        parts[p] = ds_take(d, idx, m);
        child_name(parts[p], d, "part", p + 1);
    }
    free(idx); free(owner);
    return 0;
}

/* --- displays ------------------------------------------------------------------------ */

static void shape_str(const Ds *d, Sb *out)
{
    for (int i = 1; i < d->x->ndim; i++) sb_printf(out, "%s%d", i > 1 ? "x" : "", d->x->shape[i]);
}

void ds_describe(const Ds *d, Sb *out)
{
    size_t n = ds_n(d), dim = ds_dim(d);
    sb_printf(out, "dataset %s: %zu row%s, %zu feature%s", d->name ? d->name : "(unnamed)",
              n, n == 1 ? "" : "s", dim, dim == 1 ? "" : "s");
    if (d->x->ndim > 2) { sb_puts(out, " ("); shape_str(d, out); sb_puts(out, ")"); }
    else if (d->features && (size_t)d->nfeatures == dim) {
        sb_puts(out, " (");
        int show = d->nfeatures <= 8 ? d->nfeatures : 6;
        for (int i = 0; i < show; i++) sb_printf(out, "%s%s", i ? ", " : "", d->features[i]);
        if (show < d->nfeatures) sb_printf(out, ", ... %d more", d->nfeatures - show);
        sb_puts(out, ")");
    }
    sb_puts(out, "\n  label");
    if (d->label) sb_printf(out, " '%s'", d->label);
    if (d->nclasses > 0) {
        size_t *cnt = xmalloc((size_t)d->nclasses * sizeof *cnt);
        ds_class_counts(d, cnt);
        sb_printf(out, ": %d classes (", d->nclasses);
        for (int c = 0; c < d->nclasses; c++) {
            sb_printf(out, "%s%d", c ? ", " : "", c);
            if (d->classval && d->classval[c] != c) { sb_puts(out, " = "); sb_num(out, d->classval[c]); }
            sb_printf(out, ": %zu", cnt[c]);
        }
        sb_puts(out, ")");
        free(cnt);
    } else {
        double s = 0, lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < n; i++) {
            double v = d->y->data[i];
            s += v; if (v < lo) lo = v; if (v > hi) hi = v;
        }
        sb_puts(out, ": a number");
        if (n) {
            sb_puts(out, " (mean "); sb_num(out, s / (double)n);
            sb_puts(out, ", min "); sb_num(out, lo);
            sb_puts(out, ", max "); sb_num(out, hi); sb_puts(out, ")");
        }
    }
    if (d->mean) sb_puts(out, "\n  features normalised (z-score)");
}

void ds_head(const Ds *d, size_t k, Sb *out)
{
    size_t n = ds_n(d), dim = ds_dim(d);
    if (k > n) k = n;
    size_t cols = dim <= 12 ? dim : 10;       /* wide rows (images) are elided */
    for (size_t j = 0; j < cols; j++) {
        if (d->features && j < (size_t)d->nfeatures && (size_t)d->nfeatures == dim)
            sb_printf(out, "%s\t", d->features[j]);
        else sb_printf(out, "x%zu\t", j + 1);
    }
    if (cols < dim) sb_printf(out, "... (%zu more)\t", dim - cols);
    sb_printf(out, "%s\n", d->label ? d->label : "label");
    for (size_t i = 0; i < k; i++) {
        const float *row = d->x->data + i * dim;
        for (size_t j = 0; j < cols; j++) { sb_num(out, row[j]); sb_putc(out, '\t'); }
        if (cols < dim) sb_puts(out, "...\t");
        double y = d->y->data[i];
        if (d->nclasses > 0 && d->classval) {
            int c = (int)y;
            sb_num(out, c);
            if (d->classval[c] != c) { sb_puts(out, " ("); sb_num(out, d->classval[c]); sb_puts(out, ")"); }
        } else sb_num(out, y);
        sb_putc(out, '\n');
    }
}
