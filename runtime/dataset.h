/*
** dataset.h — a labelled dataset in memory: features x (n × d, or n × c × h × w for images)
** and labels y (n values: a class index 0..nclasses-1, or a regression target when
** nclasses is 0).  Owned by the data module (runtime/dataset.c: construction, subsets,
** normalisation, split, batches, partition, displays; dataset_csv.c: CSV; dataset_idx.c: IDX);
** training code only reads it.  A dataset may carry a differential-privacy ledger,
** owned through the ledger/ledger_free pair (see the dp module); subsets made here get
** a copy of it (ledger_copy), so budget already spent stays counted.
**
** Ownership: a Ds owns every pointer in it.  Functions returning Ds* return a new
** dataset the caller frees with ds_free, or NULL with err set (runtime/error.h: a code,
** RT_EIO for a file that cannot be read, and a message).  Randomness (shuffles, Dirichlet draws) comes only from
** the Rng passed in, so seed(n) reproduces a split or a partition.
*/
#ifndef DS_H
#define DS_H
#include "error.h"
#include <stddef.h>
#include "rng.h"
#include "strbuf.h"
#include "tensor.h"

/* Labels with more distinct values than this load as a regression target. */
#define DS_MAXCLASSES 256
/* Where the Debian package dataset-fashion-mnist installs its files. */
#define DS_FMNIST_DIR "/usr/share/datasets/fashion-mnist"
#define DS_FMNIST_PKG "dataset-fashion-mnist"

typedef struct Ds {
    Tn *x;                  /* n × d (or n × c × h × w) */
    Tn *y;                  /* n */
    int nclasses;           /* 0: regression target */
    char **features; int nfeatures;   /* column names, may be NULL */
    char *label;            /* label column name, may be NULL */
    char *origin;           /* file it came from, for messages; may be NULL */
    void *ledger;           /* privacy ledger, NULL until a budget is set */
    void (*ledger_free)(void *ledger);
    void *(*ledger_copy)(const void *ledger);
    /* added by the data module */
    char *name;             /* short name for displays ("pima_diabetes.csv/train"); may be NULL */
    double *classval;       /* nclasses original label values, ascending; may be NULL */
    float *mean, *std;      /* per-feature map raw -> normalised ((x - mean) / std) that
                               ds_normalize applied; NULL when never normalised */
} Ds;

/* --- construction and subsets ------------------------------------------------------ */

/* A dataset of x (n × ..., ndim >= 2) and y (n, or n × 1) — consumed, also on failure.
** With nclasses > 0 every y must be an integer in [0, nclasses).  NULL + err otherwise. */
Ds    *ds_new(Tn *x, Tn *y, int nclasses, RtErr *err);
void   ds_free(Ds *d);
/* A deep copy (ledger through ledger_copy, NULL when there is none or no copier). */
Ds    *ds_copy(const Ds *d);
size_t ds_n(const Ds *d);                  /* rows */
size_t ds_dim(const Ds *d);                /* numbers per row: product of x's shape[1..] */
/* Copies name (may be NULL) into d->name. */
void   ds_set_name(Ds *d, const char *name);
/* The rows idx[0..k) in that order (repeats allowed; every idx < ds_n), carrying names,
** classes, statistics and a ledger copy.  k may be 0 (an empty dataset). */
Ds    *ds_take(const Ds *d, const size_t *idx, size_t k);
/* Rows [lo, hi) with lo <= hi <= ds_n. */
Ds    *ds_slice(const Ds *d, size_t lo, size_t hi);
/* counts[c] = rows of class c, for c < nclasses (counts has nclasses slots). */
void   ds_class_counts(const Ds *d, size_t *counts);

/* --- normalisation ------------------------------------------------------------------ */

/* Per-feature mean and population standard deviation over all rows of d (ds_dim slots
** each); a constant feature gets std 1 so that it normalises to 0. */
void   ds_stats(const Ds *d, float *mean, float *std);
/* Standardises d in place: x = (x - mean) / std per feature, with the given statistics
** (from another dataset, e.g. a training split) or, when mean is NULL, d's own.  The
** applied map is composed into d->mean/d->std, so they always map the original raw
** values to the current ones. */
void   ds_normalize(Ds *d, const float *mean, const float *std);

/* --- split, batches, partition ------------------------------------------------------- */

/* Splits d into round(train * n) training rows and the rest, after a Fisher–Yates
** shuffle from r (r NULL: file order).  0 < train < 1 and both parts non-empty, else
** -1 + err.  Returns 0 and two new datasets. */
int    ds_split(const Ds *d, double train, Rng *r, Ds **tr, Ds **te, RtErr *err);
/* Consecutive batches of size rows (the last one shorter), after a shuffle from r when r
** is not NULL.  Returns a malloc'd array of *nb new datasets (free each, then the array);
** size >= 1 and an empty d give *nb = 0 and NULL. */
Ds   **ds_batches(const Ds *d, size_t size, Rng *r, size_t *nb);

typedef enum DsPart {
    DS_IID,                 /* shuffle, then k near-equal parts */
    DS_DIRICHLET,           /* per class, party shares ~ Dirichlet(param, ..., param) */
    DS_SHARDS               /* sort by label, cut k*param shards, param shards a party */
} DsPart;

/* Gives k >= 1 parties disjoint parts that together hold every row of d.  Non-IID modes
** need class labels; Dirichlet needs param > 0 and redraws (up to 1000 times) until no
** part is empty; shards need param a positive integer with k*param <= n.  Returns 0 and
** parts[0..k) new datasets, or -1 + err (parts untouched). */
int    ds_partition(const Ds *d, int k, DsPart mode, double param, Rng *r, Ds **parts,
                    RtErr *err);
/* A Gamma(shape, 1) deviate, shape > 0 (Marsaglia–Tsang, boosted below 1). */
double ds_gamma(Rng *r, double shape);

/* --- displays -------------------------------------------------------------------------- */

/* A summary: name, rows, features, label and its class distribution.  Never rows. */
void   ds_describe(const Ds *d, Sb *out);
/* A table of the first k rows (all when k > n): header, features, label. */
void   ds_head(const Ds *d, size_t k, Sb *out);

/* --- loaders (dataset_csv.c, dataset_idx.c) ---------------------------------------------------- */

/* Reads a CSV file: a header row of column names, then numeric rows.  label names the
** label column (NULL: the last column); its distinct values, ascending, become classes
** 0..k-1 (more than DS_MAXCLASSES: a regression target).  normalize standardises the
** features with statistics of the whole file.  Errors name file, line and column:
**   data.csv:14: column 3 ('pressure'): 'abc' is not a number */
Ds    *ds_load_csv(const char *path, const char *label, int normalize, RtErr *err);
/* Reads an IDX image file (magic 0x00000803, n × rows × cols unsigned bytes) and an IDX
** label file (0x00000801, n bytes), gzip-compressed or not.  Pixels are scaled to [0, 1];
** x is n × (rows*cols) when flat, else n × 1 × rows × cols; nclasses is max label + 1. */
Ds    *ds_load_idx(const char *images, const char *labels, int flat, RtErr *err);
/* Fashion-MNIST from dir (NULL: DS_FMNIST_DIR): the training set, or the test set
** (t10k) when test is set.  A missing file names the Debian package that provides it. */
Ds    *ds_fashion_mnist(const char *dir, int test, int flat, RtErr *err);

#endif
