/*
** test_rt_dataset.c — datasets: the CSV loader (values, quoting, CRLF, class mapping, every
** error message exactly), normalisation statistics, the IDX loader on files written here
** (plain and gzip, flat and image-shaped, truncated and malformed), the Fashion-MNIST
** hint, split, batches, partition (IID sizes, Dirichlet and shard label skew), the Gamma
** sampler and the displays.  Runs from the repository root (samples/data/ is read).
*/
#include "tu.h"
#include "dataset.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char tmpdir[64];
static RtErr err;

/* Writes text to tmpdir/name and returns the path (a static buffer per call site). */
static const char *put(const char *name, const char *text)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "wb");
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    return p;
}

static Ds *csv(const char *name, const char *text, const char *label, int norm)
{
    err.msg[0] = 0;
    return ds_load_csv(put(name, text), label, norm, &err);
}

/* Loads text that must fail, and checks the message after "<tmpdir>/name". */
static void csv_fails(const char *name, const char *text, const char *label, const char *want)
{
    Ds *d = csv(name, text, label, 0);
    CU_ASSERT_PTR_NULL(d);
    ds_free(d);
    char full[RT_ERRLEN];
    snprintf(full, sizeof full, "%s/%s%s", tmpdir, name, want);
    if (strcmp(err.msg, full) != 0) fprintf(stderr, "\n  got:  %s\n  want: %s\n", err.msg, full);
    CU_ASSERT_STRING_EQUAL(err.msg, full);
}

/* --- CSV ----------------------------------------------------------------------------- */

static void csv_values(void)
{
    Ds *d = csv("a.csv", "\xEF\xBB\xBF" "age, \"blood pressure\" ,y\r\n"
                         "30,  1.5 ,1\r\n"
                         "\r\n"
                         "\"40\",2e1,0\r\n"
                         "50,-3,1", "y", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(ds_n(d), 3);
    CU_ASSERT_EQUAL(ds_dim(d), 2);
    CU_ASSERT_EQUAL(d->x->ndim, 2);
    CU_ASSERT_EQUAL(d->nfeatures, 2);
    CU_ASSERT_STRING_EQUAL(d->features[0], "age");
    CU_ASSERT_STRING_EQUAL(d->features[1], "blood pressure");
    CU_ASSERT_STRING_EQUAL(d->label, "y");
    CU_ASSERT_STRING_EQUAL(d->name, "a.csv");
    const float want[] = { 30, 1.5f, 40, 20, 50, -3 };
    for (int i = 0; i < 6; i++) TU_NEAR(d->x->data[i], want[i], 1e-6);
    CU_ASSERT_EQUAL(d->nclasses, 2);
    TU_NEAR(d->y->data[0], 1, 0); TU_NEAR(d->y->data[1], 0, 0); TU_NEAR(d->y->data[2], 1, 0);
    CU_ASSERT_PTR_NULL(d->mean);
    ds_free(d);
}

static void csv_label_middle_and_mapping(void)
{
    /* label in the middle; values 4 and 2 map to classes 1 and 0 (ascending) */
    Ds *d = csv("b.csv", "a,cls,b\n1,4,2\n3,2,4\n5,4,6\n7,9,8\n", "cls", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(d->nclasses, 3);
    TU_NEAR(d->classval[0], 2, 0); TU_NEAR(d->classval[1], 4, 0); TU_NEAR(d->classval[2], 9, 0);
    const float y[] = { 1, 0, 1, 2 };
    for (int i = 0; i < 4; i++) TU_NEAR(d->y->data[i], y[i], 0);
    const float x[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    for (int i = 0; i < 8; i++) TU_NEAR(d->x->data[i], x[i], 0);
    CU_ASSERT_STRING_EQUAL(d->features[1], "b");
    size_t cnt[3];
    ds_class_counts(d, cnt);
    CU_ASSERT(cnt[0] == 1 && cnt[1] == 2 && cnt[2] == 1);
    ds_free(d);
    /* default label: the last column */
    d = csv("c.csv", "p,q\n1,0\n2,1\n", NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(d->label, "q");
    CU_ASSERT_EQUAL(ds_dim(d), 1);
    ds_free(d);
}

static void csv_regression_target(void)
{
    Sb b; sb_init(&b);
    sb_puts(&b, "x,t\n");
    for (int i = 0; i < 300; i++) sb_printf(&b, "%d,%d.5\n", i, i);
    Ds *d = csv("r.csv", b.s, "t", 0);
    sb_free(&b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(d->nclasses, 0);
    CU_ASSERT_PTR_NULL(d->classval);
    TU_NEAR(d->y->data[299], 299.5, 1e-3);
    ds_free(d);
}

static void csv_errors(void)
{
    csv_fails("e1.csv", "a,pressure,c\n1,2,3\n4,abc,6\n", "c",
              ":3: column 2 ('pressure'): 'abc' is not a number");
    csv_fails("e2.csv", "a,b,c\n1,2,3\n\n4,,6\n", "c", ":4: column 2 ('b'): empty value");
    csv_fails("e3.csv", "a,b,c\n1,2,3\n4,5\n", "c", ":3: 2 columns, expected 3 as in the header");
    csv_fails("e4.csv", "a,b,c\n1,2,3,4\n", "c", ":2: 4 columns, expected 3 as in the header");
    csv_fails("e5.csv", "", "c", ": empty file (expected a header row of column names)");
    csv_fails("e6.csv", "\n  \r\n", "c", ": empty file (expected a header row of column names)");
    csv_fails("e7.csv", "a,b,c\n", "c", ": no data rows after the header");
    csv_fails("e8.csv", "a,b,c\n1,2,3\n", "label", ": no column 'label' for the label (columns: a, b, c)");
    csv_fails("e9.csv", "a,b\n1,\"2\n", "b", ":2: column 2: unterminated quoted field");
    csv_fails("e10.csv", "a,b\n1,\"2\"x\n", "b", ":2: column 2: text after a closing quote");
    csv_fails("e11.csv", "a,b\n1,nan\n", "b", ":2: column 2 ('b'): 'nan' is not a finite number");
    csv_fails("e12.csv", "only\n1\n", NULL, ":1: the header names 1 column; need at least two (features and a label)");
    csv_fails("e13.csv", "a,b\n1,2\n3,4 5\n", "b", ":3: column 2 ('b'): '4 5' is not a number");
    csv_fails("e14.csv", "a,b\n0x,1\n", "b", ":2: column 1 ('a'): '0x' is not a number");
    /* a long bad value is clipped */
    csv_fails("e15.csv", "a,b\nabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij,1\n", "b",
              ":2: column 1 ('a'): 'abcdefghijabcdefghijabcdefghijabcdefg...' is not a number");
    Ds *d = ds_load_csv("/nonexistent/dir/x.csv", NULL, 0, &err);
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot open '/nonexistent/dir/x.csv': No such file or directory");
}

static void csv_pima(void)
{
    Ds *d = ds_load_csv("samples/data/pima_diabetes.csv", "diabetes", 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(ds_n(d), 768);
    CU_ASSERT_EQUAL(ds_dim(d), 8);
    CU_ASSERT_EQUAL(d->nclasses, 2);
    size_t cnt[2];
    ds_class_counts(d, cnt);
    CU_ASSERT_EQUAL(cnt[0], 500);
    CU_ASSERT_EQUAL(cnt[1], 268);
    TU_NEAR(d->x->data[1], 148, 0);          /* glucose of the first row */
    TU_NEAR(d->x->data[6], 0.627, 1e-6);     /* pedigree */
    ds_free(d);
    d = ds_load_csv("samples/data/wdbc.csv", "malignant", 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(ds_n(d), 569);
    CU_ASSERT_EQUAL(ds_dim(d), 30);
    ds_class_counts(d, cnt);
    CU_ASSERT_EQUAL(cnt[1], 212);
    ds_free(d);
}

/* --- normalisation --------------------------------------------------------------------- */

static void normalise_stats(void)
{
    /* feature a: 1 2 3 4 (mean 2.5, population sd sqrt(1.25)); b constant 7 */
    Ds *d = csv("n.csv", "a,b,y\n1,7,0\n2,7,1\n3,7,0\n4,7,1\n", "y", 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d->mean);
    TU_NEAR(d->mean[0], 2.5, 1e-6);
    TU_NEAR(d->std[0], sqrt(1.25), 1e-6);
    TU_NEAR(d->mean[1], 7, 1e-6);
    TU_NEAR(d->std[1], 1, 0);                /* constant column: std 1, values 0 */
    TU_NEAR(d->x->data[0], -1.5 / sqrt(1.25), 1e-5);
    TU_NEAR(d->x->data[6], 1.5 / sqrt(1.25), 1e-5);
    TU_NEAR(d->x->data[1], 0, 0);
    float m[2], s[2];
    ds_stats(d, m, s);
    TU_NEAR(m[0], 0, 1e-6); TU_NEAR(s[0], 1, 1e-6);
    /* normalising again composes: the map from raw values stays the same */
    ds_normalize(d, NULL, NULL);
    TU_NEAR(d->mean[0], 2.5, 1e-5);
    TU_NEAR(d->std[0], sqrt(1.25), 1e-5);
    /* a test split normalised with the training split's statistics */
    Ds *te = csv("t.csv", "a,b,y\n5,7,0\n", "y", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(te);
    ds_normalize(te, d->mean, d->std);
    TU_NEAR(te->x->data[0], 2.5 / sqrt(1.25), 1e-5);
    TU_NEAR(te->mean[0], 2.5, 1e-6);
    ds_free(te);
    ds_free(d);
}

/* --- IDX --------------------------------------------------------------------------------- */

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

/* Writes an IDX image file of n images rows × cols (pixel i = i mod 256) and its label
** file (label i = i mod 3), gzip-compressed when gz; drop bytes are cut from the end of
** the image file.  Paths go to img and lab. */
static void write_idx(const char *stem, int n, int rows, int cols, int gz, size_t drop,
                      char *img, char *lab)
{
    snprintf(img, 256, "%s/%s-images%s", tmpdir, stem, gz ? ".gz" : "");
    snprintf(lab, 256, "%s/%s-labels%s", tmpdir, stem, gz ? ".gz" : "");
    size_t ilen = 16 + (size_t)n * rows * cols, llen = 8 + (size_t)n;
    unsigned char *ib = malloc(ilen), *lb = malloc(llen);
    be32(ib, 0x803); be32(ib + 4, (uint32_t)n); be32(ib + 8, (uint32_t)rows); be32(ib + 12, (uint32_t)cols);
    for (size_t i = 16; i < ilen; i++) ib[i] = (unsigned char)((i - 16) % 256);
    be32(lb, 0x801); be32(lb + 4, (uint32_t)n);
    for (int i = 0; i < n; i++) lb[8 + i] = (unsigned char)(i % 3);
    ilen -= drop;
    if (gz) {
        gzFile g = gzopen(img, "wb"); gzwrite(g, ib, (unsigned)ilen); gzclose(g);
        g = gzopen(lab, "wb"); gzwrite(g, lb, (unsigned)llen); gzclose(g);
    } else {
        FILE *f = fopen(img, "wb"); fwrite(ib, 1, ilen, f); fclose(f);
        f = fopen(lab, "wb"); fwrite(lb, 1, llen, f); fclose(f);
    }
    free(ib); free(lb);
}

static void idx_round_trip(void)
{
    for (int gz = 0; gz <= 1; gz++) {
        char img[256], lab[256];
        write_idx(gz ? "z" : "p", 5, 4, 3, gz, 0, img, lab);
        Ds *d = ds_load_idx(img, lab, 1, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL(d->x->ndim, 2);
        CU_ASSERT_EQUAL(d->x->shape[0], 5);
        CU_ASSERT_EQUAL(d->x->shape[1], 12);
        CU_ASSERT_EQUAL(d->nclasses, 3);
        for (size_t i = 0; i < d->x->size; i++) TU_NEAR(d->x->data[i], (double)(i % 256) / 255.0, 1e-7);
        for (int i = 0; i < 5; i++) TU_NEAR(d->y->data[i], i % 3, 0);
        ds_free(d);
        d = ds_load_idx(img, lab, 0, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_EQUAL(d->x->ndim, 4);
        CU_ASSERT(d->x->shape[0] == 5 && d->x->shape[1] == 1 && d->x->shape[2] == 4 && d->x->shape[3] == 3);
        CU_ASSERT_EQUAL(ds_dim(d), 12);
        TU_NEAR(d->x->data[59], 59 / 255.0, 1e-7);
        ds_free(d);
    }
}

static void idx_errors(void)
{
    char img[256], lab[256], want[1024];
    for (int gz = 0; gz <= 1; gz++) {
        write_idx(gz ? "tz" : "tp", 5, 4, 3, gz, 7, img, lab);
        CU_ASSERT_PTR_NULL(ds_load_idx(img, lab, 1, &err));
        snprintf(want, sizeof want, "%s: truncated: the header promises 60 bytes of images, the file has 53", img);
        CU_ASSERT_STRING_EQUAL(err.msg, want);
        /* labels passed as images: wrong magic */
        CU_ASSERT_PTR_NULL(ds_load_idx(lab, lab, 1, &err));
        snprintf(want, sizeof want, "%s: not an IDX images file (magic 0x00000801, expected 0x00000803)", lab);
        CU_ASSERT_STRING_EQUAL(err.msg, want);
    }
    /* cut inside the header */
    write_idx("th", 5, 4, 3, 0, 60 + 6, img, lab);
    CU_ASSERT_PTR_NULL(ds_load_idx(img, lab, 1, &err));
    snprintf(want, sizeof want, "%s: truncated in the header (6 of 12 dimension bytes)", img);
    CU_ASSERT_STRING_EQUAL(err.msg, want);
    /* counts differ */
    char img2[256], lab2[256];
    write_idx("c5", 5, 4, 3, 0, 0, img, lab);
    write_idx("c6", 6, 4, 3, 0, 0, img2, lab2);
    CU_ASSERT_PTR_NULL(ds_load_idx(img, lab2, 1, &err));
    snprintf(want, sizeof want, "'%s' holds 5 images but '%s' holds 6 labels", img, lab2);
    CU_ASSERT_STRING_EQUAL(err.msg, want);
    /* trailing bytes */
    FILE *f = fopen(lab, "ab"); fputc(1, f); fclose(f);
    CU_ASSERT_PTR_NULL(ds_load_idx(img, lab, 1, &err));
    snprintf(want, sizeof want, "%s: longer than its header says (5 bytes of labels expected)", lab);
    CU_ASSERT_STRING_EQUAL(err.msg, want);
    /* a zero dimension */
    snprintf(img, sizeof img, "%s/zero-images", tmpdir);
    f = fopen(img, "wb"); fwrite("\0\0\x08\x03\0\0\0\0\0\0\0\x04\0\0\0\x03", 1, 16, f); fclose(f);
    CU_ASSERT_PTR_NULL(ds_load_idx(img, lab, 1, &err));
    snprintf(want, sizeof want, "%s: dimension 1 is 0 (expected 1 to 16777216)", img);
    CU_ASSERT_STRING_EQUAL(err.msg, want);
    /* missing files */
    CU_ASSERT_PTR_NULL(ds_load_idx("/nonexistent/i", "/nonexistent/l", 1, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot open '/nonexistent/i': No such file or directory");
    CU_ASSERT_PTR_NULL(ds_load_idx(DS_FMNIST_DIR "/nope-images-idx3-ubyte.gz", lab, 1, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot open '" DS_FMNIST_DIR "/nope-images-idx3-ubyte.gz': "
                           "No such file or directory (the Debian package dataset-fashion-mnist "
                           "provides Fashion-MNIST: apt-get install dataset-fashion-mnist, or make deps)");
}

static void fashion_mnist(void)
{
    CU_ASSERT_PTR_NULL(ds_fashion_mnist("/nonexistent", 0, 1, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "Fashion-MNIST: cannot open '/nonexistent/train-images-idx3-ubyte.gz': "
                           "No such file or directory (the Debian package dataset-fashion-mnist "
                           "provides it: apt-get install dataset-fashion-mnist, or make deps)");
    if (access(DS_FMNIST_DIR "/t10k-images-idx3-ubyte.gz", R_OK) != 0) {
        fprintf(stderr, "\n  (Fashion-MNIST not installed: real-file check skipped)\n");
        return;
    }
    Ds *d = ds_fashion_mnist(NULL, 1, 1, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(ds_n(d), 10000);
    CU_ASSERT_EQUAL(ds_dim(d), 784);
    CU_ASSERT_EQUAL(d->nclasses, 10);
    size_t cnt[10];
    ds_class_counts(d, cnt);
    for (int c = 0; c < 10; c++) CU_ASSERT_EQUAL(cnt[c], 1000);
    float lo = 1, hi = 0;
    for (size_t i = 0; i < d->x->size; i++) {
        if (d->x->data[i] < lo) lo = d->x->data[i];
        if (d->x->data[i] > hi) hi = d->x->data[i];
    }
    TU_NEAR(lo, 0, 0); TU_NEAR(hi, 1, 0);
    CU_ASSERT_STRING_EQUAL(d->name, "fashion-mnist/test");
    ds_free(d);
}

/* --- construction, split, batches, partition ------------------------------------------ */

/* n rows: x = (i, i mod 7), y = class by cls(i). */
static Ds *make(int n, int nclasses, int (*cls)(int))
{
    Tn *x = tn_new(2, (int[]){ n, 2 });
    Tn *y = tn_new(1, (int[]){ n });
    for (int i = 0; i < n; i++) {
        x->data[2 * i] = (float)i; x->data[2 * i + 1] = (float)(i % 7);
        y->data[i] = (float)cls(i);
    }
    Ds *d = ds_new(x, y, nclasses, &err);
    ds_set_name(d, "toy");
    return d;
}

static int cls3(int i) { return i % 3; }

/* Checks that parts hold every row of an n-row make(n, 3, cls3) dataset exactly once,
** each with its own label. */
static void assert_cover(Ds **parts, int k, int n)
{
    char *seen = calloc((size_t)n, 1);
    int total = 0;
    for (int p = 0; p < k; p++)
        for (size_t i = 0; i < ds_n(parts[p]); i++) {
            int id = (int)parts[p]->x->data[2 * i];
            CU_ASSERT(id >= 0 && id < n && !seen[id]);
            if (id >= 0 && id < n) seen[id] = 1;
            CU_ASSERT_EQUAL((int)parts[p]->y->data[i], id % 3);
            total++;
        }
    CU_ASSERT_EQUAL(total, n);
    free(seen);
}

static int ledger_copies;
static void *lcopy(const void *l) { ledger_copies++; int *c = malloc(sizeof *c); *c = *(const int *)l; return c; }

static void construct_and_take(void)
{
    Tn *x = tn_new(2, (int[]){ 3, 2 }), *y = tn_new(1, (int[]){ 4 });
    CU_ASSERT_PTR_NULL(ds_new(x, y, 2, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "features and labels have different row counts");
    x = tn_new(2, (int[]){ 2, 2 }); y = tn_new(2, (int[]){ 2, 1 });
    y->data[1] = 2;
    CU_ASSERT_PTR_NULL(ds_new(x, y, 2, &err));
    CU_ASSERT_STRING_EQUAL(err.msg, "a label is not a class index");
    x = tn_new(2, (int[]){ 2, 2 }); y = tn_new(2, (int[]){ 2, 1 });
    y->data[1] = 1.5f;
    Ds *d = ds_new(x, y, 0, &err);            /* regression: any number */
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(d->y->ndim, 1);
    ds_free(d);

    d = make(10, 3, cls3);
    int *led = malloc(sizeof *led); *led = 42;
    d->ledger = led; d->ledger_free = free; d->ledger_copy = lcopy;
    Ds *t = ds_take(d, (size_t[]){ 9, 0, 9 }, 3);
    CU_ASSERT_EQUAL(ds_n(t), 3);
    TU_NEAR(t->x->data[0], 9, 0); TU_NEAR(t->x->data[2], 0, 0); TU_NEAR(t->x->data[5], 2, 0);
    TU_NEAR(t->y->data[0], 0, 0);
    CU_ASSERT_EQUAL(ledger_copies, 1);
    CU_ASSERT_EQUAL(*(int *)t->ledger, 42);
    CU_ASSERT_PTR_NOT_EQUAL(t->ledger, d->ledger);
    Ds *s = ds_slice(d, 4, 4);
    CU_ASSERT_EQUAL(ds_n(s), 0);
    CU_ASSERT_EQUAL(ds_dim(s), 2);
    Ds *c = ds_copy(d);
    CU_ASSERT_EQUAL(ds_n(c), 10);
    CU_ASSERT_STRING_EQUAL(c->name, "toy");
    CU_ASSERT_EQUAL(ledger_copies, 3);
    ds_free(s); ds_free(t); ds_free(c); ds_free(d);
}

static void split_sizes(void)
{
    Ds *d = make(100, 3, cls3), *tr, *te;
    Rng r; rng_seed(&r, 1);
    CU_ASSERT_EQUAL(ds_split(d, 0.8, &r, &tr, &te, &err), 0);
    CU_ASSERT_EQUAL(ds_n(tr), 80);
    CU_ASSERT_EQUAL(ds_n(te), 20);
    CU_ASSERT_STRING_EQUAL(tr->name, "toy/train");
    CU_ASSERT_STRING_EQUAL(te->name, "toy/test");
    Ds *both[2] = { tr, te };
    assert_cover(both, 2, 100);
    int moved = 0;                            /* shuffled: not the first 80 rows in order */
    for (int i = 0; i < 80; i++) moved += (int)tr->x->data[2 * i] != i;
    CU_ASSERT(moved > 40);
    /* the same seed gives the same split */
    Ds *tr2, *te2;
    rng_seed(&r, 1);
    ds_split(d, 0.8, &r, &tr2, &te2, &err);
    CU_ASSERT(memcmp(tr->x->data, tr2->x->data, 160 * sizeof(float)) == 0);
    ds_free(tr); ds_free(te); ds_free(tr2); ds_free(te2);
    /* no shuffle: file order */
    CU_ASSERT_EQUAL(ds_split(d, 0.25, NULL, &tr, &te, &err), 0);
    CU_ASSERT_EQUAL(ds_n(tr), 25);
    TU_NEAR(tr->x->data[48], 24, 0); TU_NEAR(te->x->data[0], 25, 0);
    ds_free(tr); ds_free(te);
    CU_ASSERT_EQUAL(ds_split(d, 1.0, &r, &tr, &te, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "train = 1: the training fraction must be between 0 and 1");
    CU_ASSERT_EQUAL(ds_split(d, 0.001, &r, &tr, &te, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "train = 0.001 of 100 rows leaves the training split empty");
    CU_ASSERT_PTR_NULL(tr);
    ds_free(d);
}

static void batch_sizes(void)
{
    Ds *d = make(10, 3, cls3);
    size_t nb;
    Ds **b = ds_batches(d, 4, NULL, &nb);
    CU_ASSERT_EQUAL_FATAL(nb, 3);
    CU_ASSERT_EQUAL(ds_n(b[0]), 4); CU_ASSERT_EQUAL(ds_n(b[1]), 4); CU_ASSERT_EQUAL(ds_n(b[2]), 2);
    TU_NEAR(b[2]->x->data[0], 8, 0);
    CU_ASSERT_STRING_EQUAL(b[2]->name, "toy/batch3");
    assert_cover(b, 3, 10);
    for (size_t i = 0; i < nb; i++) ds_free(b[i]);
    free(b);
    Rng r; rng_seed(&r, 3);
    b = ds_batches(d, 10, &r, &nb);
    CU_ASSERT_EQUAL(nb, 1);
    assert_cover(b, 1, 10);
    ds_free(b[0]); free(b);
    CU_ASSERT_PTR_NULL(ds_batches(d, 0, NULL, &nb));
    CU_ASSERT_EQUAL(nb, 0);
    ds_free(d);
}

static void partition_iid(void)
{
    Ds *d = make(100, 3, cls3), *p[3];
    Rng r; rng_seed(&r, 5);
    CU_ASSERT_EQUAL_FATAL(ds_partition(d, 3, DS_IID, 0, &r, p, &err), 0);
    CU_ASSERT_EQUAL(ds_n(p[0]), 34); CU_ASSERT_EQUAL(ds_n(p[1]), 33); CU_ASSERT_EQUAL(ds_n(p[2]), 33);
    CU_ASSERT_STRING_EQUAL(p[1]->name, "toy/part2");
    assert_cover(p, 3, 100);
    for (int i = 0; i < 3; i++) ds_free(p[i]);
    CU_ASSERT_EQUAL(ds_partition(d, 101, DS_IID, 0, &r, p, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "cannot give 101 parties a row each from 100 rows");
    ds_free(d);
}

/* Mean over parts of the total-variation distance between a part's label distribution
** and the whole dataset's. */
static double skew(Ds **parts, int k, const Ds *d)
{
    size_t all[3], cnt[3];
    ds_class_counts(d, all);
    double tv = 0;
    for (int p = 0; p < k; p++) {
        ds_class_counts(parts[p], cnt);
        double s = 0;
        for (int c = 0; c < d->nclasses; c++)
            s += fabs((double)cnt[c] / (double)ds_n(parts[p]) - (double)all[c] / (double)ds_n(d));
        tv += s / 2;
    }
    return tv / k;
}

static void partition_dirichlet(void)
{
    Ds *d = make(3000, 3, cls3), *p[4];
    Rng r; rng_seed(&r, 11);
    CU_ASSERT_EQUAL_FATAL(ds_partition(d, 4, DS_IID, 0, &r, p, &err), 0);
    double iid = skew(p, 4, d);
    assert_cover(p, 4, 3000);
    for (int i = 0; i < 4; i++) ds_free(p[i]);
    CU_ASSERT_EQUAL_FATAL(ds_partition(d, 4, DS_DIRICHLET, 0.1, &r, p, &err), 0);
    double lo = skew(p, 4, d);
    assert_cover(p, 4, 3000);
    for (int i = 0; i < 4; i++) { CU_ASSERT(ds_n(p[i]) > 0); ds_free(p[i]); }
    CU_ASSERT_EQUAL_FATAL(ds_partition(d, 4, DS_DIRICHLET, 1000, &r, p, &err), 0);
    double hi = skew(p, 4, d);
    for (int i = 0; i < 4; i++) ds_free(p[i]);
    CU_ASSERT(iid < 0.05);
    CU_ASSERT(hi < 0.05);
    CU_ASSERT(lo > 0.3);                       /* alpha 0.1: parts dominated by a class */
    CU_ASSERT_EQUAL(ds_partition(d, 4, DS_DIRICHLET, 0, &r, p, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "dirichlet = 0: alpha must be a positive number");
    Tn *x = tn_new(2, (int[]){ 4, 1 }), *y = tn_new(1, (int[]){ 4 });
    Ds *reg = ds_new(x, y, 0, &err);
    CU_ASSERT_EQUAL(ds_partition(reg, 2, DS_SHARDS, 1, &r, p, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "a non-IID partition needs class labels (this dataset has a numeric target)");
    ds_free(reg);
    ds_free(d);
}

static void partition_shards(void)
{
    Ds *d = make(300, 3, cls3), *p[3];
    Rng r; rng_seed(&r, 2);
    CU_ASSERT_EQUAL_FATAL(ds_partition(d, 3, DS_SHARDS, 1, &r, p, &err), 0);
    assert_cover(p, 3, 300);
    int seen[3] = { 0 };
    for (int i = 0; i < 3; i++) {            /* one shard each = exactly one class each */
        CU_ASSERT_EQUAL(ds_n(p[i]), 100);
        size_t cnt[3];
        ds_class_counts(p[i], cnt);
        int only = -1;
        for (int c = 0; c < 3; c++) if (cnt[c] == 100) only = c;
        CU_ASSERT(only >= 0);
        if (only >= 0) seen[only]++;
        ds_free(p[i]);
    }
    CU_ASSERT(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
    CU_ASSERT_EQUAL_FATAL(ds_partition(d, 3, DS_SHARDS, 2, &r, p, &err), 0);
    for (int i = 0; i < 3; i++) {            /* two shards of 50: at most two classes */
        CU_ASSERT_EQUAL(ds_n(p[i]), 100);
        size_t cnt[3];
        ds_class_counts(p[i], cnt);
        int present = (cnt[0] > 0) + (cnt[1] > 0) + (cnt[2] > 0);
        CU_ASSERT(present <= 2);
        ds_free(p[i]);
    }
    CU_ASSERT_EQUAL(ds_partition(d, 3, DS_SHARDS, 1.5, &r, p, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.msg, "shards = 1.5: need a whole number from 1 to 100 (shards per party, 3 parties, 300 rows)");
    ds_free(d);
}

static void gamma_moments(void)
{
    Rng r; rng_seed(&r, 21);
    const double shapes[] = { 0.1, 0.5, 1, 3.5 };
    for (int k = 0; k < 4; k++) {
        double a = shapes[k], s = 0, s2 = 0;
        int n = 100000;
        for (int i = 0; i < n; i++) { double g = ds_gamma(&r, a); CU_ASSERT(g >= 0); s += g; s2 += g * g; }
        double m = s / n, v = s2 / n - m * m;
        TU_NEAR(m, a, 0.03 * a + 0.005);      /* Gamma(a, 1): mean a, variance a */
        TU_NEAR(v, a, 0.08 * a + 0.01);
    }
}

/* --- displays --------------------------------------------------------------------------- */

static void displays(void)
{
    Ds *d = csv("show.csv", "a,b,y\n1,2.5,4\n3,4,2\n5,6,4\n", "y", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    Sb b; sb_init(&b);
    ds_describe(d, &b);
    CU_ASSERT_STRING_EQUAL(b.s, "dataset show.csv: 3 rows, 2 features (a, b)\n"
                                "  label 'y': 2 classes (0 = 2: 1, 1 = 4: 2)");
    sb_free(&b); sb_init(&b);
    ds_head(d, 2, &b);
    CU_ASSERT_STRING_EQUAL(b.s, "a\tb\ty\n1\t2.5\t1 (4)\n3\t4\t0 (2)\n");
    sb_free(&b); sb_init(&b);
    ds_normalize(d, NULL, NULL);
    ds_describe(d, &b);
    CU_ASSERT(strstr(b.s, "\n  features normalised (z-score)") != NULL);
    sb_free(&b);
    ds_free(d);
    d = make(4, 0, cls3);
    sb_init(&b);
    ds_describe(d, &b);
    CU_ASSERT_STRING_EQUAL(b.s, "dataset toy: 4 rows, 2 features\n  label: a number (mean 0.75, min 0, max 2)");
    sb_free(&b);
    ds_free(d);
    char img[256], lab[256];
    write_idx("show", 3, 4, 4, 0, 0, img, lab);
    d = ds_load_idx(img, lab, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    sb_init(&b);
    ds_describe(d, &b);
    CU_ASSERT_STRING_EQUAL(b.s, "dataset show-images: 3 rows, 16 features (1x4x4)\n"
                                "  label: 3 classes (0: 1, 1: 1, 2: 1)");
    sb_free(&b); sb_init(&b);
    ds_head(d, 1, &b);
    CU_ASSERT(strncmp(b.s, "x1\tx2\t", 6) == 0);
    CU_ASSERT(strstr(b.s, "x10\t... (6 more)\tlabel\n0\t") != NULL);
    sb_free(&b);
    ds_free(d);
}

static void cleanup_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ppdl-ds-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 2; }
    static const TU_Test tests[] = {
        { .name = "csv values, quotes, CRLF, BOM", .fn = csv_values },
        { .name = "csv label column and class mapping", .fn = csv_label_middle_and_mapping },
        { .name = "csv regression target", .fn = csv_regression_target },
        { .name = "csv error messages", .fn = csv_errors },
        { .name = "csv pima and wdbc", .fn = csv_pima },
        { .name = "normalisation statistics", .fn = normalise_stats },
        { .name = "idx round trip plain and gzip", .fn = idx_round_trip },
        { .name = "idx errors", .fn = idx_errors },
        { .name = "fashion-mnist", .fn = fashion_mnist },
        { .name = "construct, take, copy, ledger", .fn = construct_and_take },
        { .name = "split sizes", .fn = split_sizes },
        { .name = "batch sizes", .fn = batch_sizes },
        { .name = "partition iid", .fn = partition_iid },
        { .name = "partition dirichlet skew", .fn = partition_dirichlet },
        { .name = "partition shards", .fn = partition_shards },
        { .name = "gamma moments", .fn = gamma_moments },
        { .name = "displays", .fn = displays },
        { .name = NULL, .fn = NULL },
    };
    int rc = tu_main("rt_ds", tests);
    cleanup_tmp();
    return rc;
}
