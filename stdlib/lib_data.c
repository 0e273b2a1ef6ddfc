/*
** lib_data.c — builtins of the 'data' module: the dataset kind (fields, show, wire size)
** and load_csv, load_idx, fashion_mnist, dataset, split, batches, partition, normalize,
** head, class_counts and len for datasets.  The work is done by runtime/ds*.c; this
** file checks arguments, draws randomness from the interpreter's Rng (so seed(n)
** reproduces a split) and places partition parts at their parties, sending a part
** through the message layer when it leaves a party that owned the data.  Dataset values are
** immutable: every builtin returns new datasets.  Every dataset value gets a privacy
** ledger when it is made (runtime/dp.h), which its copies share and which the class's
** ledger hook hands the evaluator for the tensors and datasets derived from it.
*/
#include "lib_data.h"
#include "mem.h"
#include "dp.h"
#include "lib.h"
#include <math.h>
#include "lib_dp.h"
#include "lib_wire.h"
#include <stdlib.h>
#include <string.h>

/* --- the dataset kind ----------------------------------------------------------------- */

static void dataset_free(void *p) { ds_free(p); }

static void dataset_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)I;
    const Ds *d = p;
    if (verbose) { ds_describe(d, out); return; }
    size_t n = ds_n(d), dim = ds_dim(d);
    sb_printf(out, "<dataset %s: %zu row%s, %zu feature%s", d->name ? d->name : "(unnamed)",
              n, n == 1 ? "" : "s", dim, dim == 1 ? "" : "s");
    if (d->nclasses) sb_printf(out, ", %d classes", d->nclasses);
    sb_putc(out, '>');
}

/* Every dataset value has a privacy ledger from birth, so that its copies, parts and
** the tensors taken from it (which the evaluator keeps attached, see val.h) all share
** one, whenever a budget is set. */
static void *dataset_ledger(void *p) { return dp_ledger_of(p, true); }

static size_t dataset_bytes(const void *p)
{
    const Ds *d = p;
    return (d->x->size + d->y->size) * sizeof(float);
}

static Value names_list(char **names, int n)
{
    Value l = val_list((size_t)n);
    for (int i = 0; i < n; i++) val_list_push(l, val_cstr(names[i]));
    return l;
}

static Value stat_tensor(const Ds *d, const float *s)
{
    if (!s) return VNONE;
    int dim = (int)ds_dim(d);
    Tn *t = tn_new(1, &dim);
    memcpy(t->data, s, (size_t)dim * sizeof(float));
    return val_tensor(t);
}

static Value dataset_field(Interp *I, Value self, Sym *name)
{
    const Ds *d = lib_dataset_of(self);
    const char *f = name->name;
    if (!strcmp(f, "x")) return val_tensor(tn_copy(d->x));
    if (!strcmp(f, "y")) return val_tensor(tn_copy(d->y));
    if (!strcmp(f, "n")) return VNUM((double)ds_n(d));
    if (!strcmp(f, "features")) return VNUM((double)ds_dim(d));
    if (!strcmp(f, "classes")) return VNUM(d->nclasses);
    if (!strcmp(f, "names")) return d->features ? names_list(d->features, d->nfeatures) : VNONE;
    if (!strcmp(f, "label")) return d->label ? val_cstr(d->label) : VNONE;
    if (!strcmp(f, "name")) return d->name ? val_cstr(d->name) : VNONE;
    if (!strcmp(f, "mean")) return stat_tensor(d, d->mean);
    if (!strcmp(f, "std")) return stat_tensor(d, d->std);
    if (!strcmp(f, "labels")) {
        if (!d->nclasses) return VNONE;
        Value l = val_list((size_t)d->nclasses);
        for (int c = 0; c < d->nclasses; c++) val_list_push(l, VNUM(d->classval ? d->classval[c] : c));
        return l;
    }
    return err_raise(I, "a dataset has no field '%s' (it has: x, y, n, features, classes, "
                     "labels, names, label, name, mean, std)", f);
}

static bool dataset_encode(Interp *I, Value self, struct WireW *w, int to);
static Value dataset_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);

const VClass lib_dataset_class = {
    .name = "dataset",
    .free = dataset_free,
    .show = dataset_show,
    .field = dataset_field,
    .bytes = dataset_bytes,
    .ledger = dataset_ledger,
    .wire = WIRE_EXT_DATASET,
    .encode = dataset_encode,
    .decode = dataset_decode,
};

Ds *lib_dataset_of(Value v) { return val_user_as(v, &lib_dataset_class); }

Value lib_dataset_new(Ds *d)
{
    dp_ledger_of(d, true);
    return val_user(&lib_dataset_class, d);
}

/* --- helpers ---------------------------------------------------------------------------- */

#define KW(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The dataset in argument #1; when it is not one, the next module's builtin of the same
** name gets the call (or "bad argument #1 ... (dataset expected, ...)"). */
static Ds *arg_ds(Args *a)
{
    return a->n > 0 ? lib_dataset_of(a->v[0]) : NULL;
}

static Value raise_ds(Interp *I, const RtErr *err) { return err_raise(I, "%s", err->msg); }

/* A list of new dataset values (consumes parts[0..n) and the array). */
static Value ds_list(Ds **parts, size_t n)
{
    Value l = val_list(n);
    for (size_t i = 0; i < n; i++) val_list_push(l, lib_dataset_new(parts[i]));
    free(parts);
    return l;
}

/* --- loaders ---------------------------------------------------------------------------- */

static Value b_load_csv(Interp *I, Args *a)
{
    const char *path, *label = NULL;
    bool norm = false;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("label", "normalize")) ||
        !lib_path(I, a, 0, LIB_READ, &path) || !lib_kwstr(I, a, "label", &label) ||
        !lib_kwbool(I, a, "normalize", &norm)) return VERR;
    RtErr err;
    Ds *d = ds_load_csv(path, label, norm, &err);
    return d ? lib_dataset_new(d) : raise_ds(I, &err);
}

static Value b_load_idx(Interp *I, Args *a)
{
    const char *images, *labels;
    bool flat = true;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW("flat")) || !lib_path(I, a, 0, LIB_READ, &images) ||
        !lib_path(I, a, 1, LIB_READ, &labels) || !lib_kwbool(I, a, "flat", &flat)) return VERR;
    RtErr err;
    Ds *d = ds_load_idx(images, labels, flat, &err);
    return d ? lib_dataset_new(d) : raise_ds(I, &err);
}

static Value b_fashion_mnist(Interp *I, Args *a)
{
    const char *which = "train";
    bool flat = true;
    if (!lib_arity(I, a, 0, 1) || !lib_kwonly(I, a, KW("split", "flat")) ||
        (a->n == 1 && !lib_str(I, a, 0, &which)) || !lib_kwstr(I, a, "split", &which) ||
        !lib_kwbool(I, a, "flat", &flat)) return VERR;
    if (strcmp(which, "train") != 0 && strcmp(which, "test") != 0)
        return err_raise(I, "fashion_mnist: split = \"%s\"; use \"train\" (60000 images) or "
                         "\"test\" (10000)", which);
    RtErr err;
    const char *dir = getenv("PPDL_FASHION_MNIST");
    Ds *d = ds_fashion_mnist(dir && *dir ? dir : NULL, which[1] == 'e', flat, &err);
    return d ? lib_dataset_new(d) : raise_ds(I, &err);
}

static Value b_dataset(Interp *I, Args *a)
{
    Tn *x, *y;
    const char *name = NULL;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW("classes", "name")) ||
        !lib_tensor(I, a, 0, &x) || !lib_tensor(I, a, 1, &y) || !lib_kwstr(I, a, "name", &name))
        return VERR;
    long classes = -1;
    if (!lib_kwint(I, a, "classes", &classes)) return VERR;
    if (classes < -1 || classes > 1000000) return lib_badkw(I, a, "classes", "a number of classes from 0");
    if (classes < 0) {                  /* default: classes when every label is 0, 1, 2, ... */
        float mx = 0;
        classes = 0;
        bool whole = y->size > 0;
        for (size_t i = 0; i < y->size; i++) {
            float v = y->data[i];
            if (!(v >= 0 && v < 1e6f && v == floorf(v))) { whole = false; break; }
            if (v > mx) mx = v;
        }
        if (whole) classes = (long)mx + 1;
    }
    Tn *x2 = tn_copy(x);
    if (x2->ndim == 1) { x2->ndim = 2; x2->shape[1] = 1; }   /* one feature a row */
    RtErr err;
    Ds *d = ds_new(x2, tn_copy(y), (int)classes, &err);
    if (!d) return err_raise(I, "dataset: %s", err.msg);
    ds_set_name(d, name ? name : "dataset");
    return lib_dataset_new(d);
}

/* --- split, batches, partition, normalize ----------------------------------------------- */

static Value b_split(Interp *I, Args *a)
{
    Ds *d = arg_ds(a);
    if (!d) return lib_forward(I, a, "dataset");
    double train = 0.8;
    bool shuf = true;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("train", "shuffle")) ||
        !lib_kwnum(I, a, "train", &train) || !lib_kwbool(I, a, "shuffle", &shuf)) return VERR;
    RtErr err;
    Ds **parts = xmalloc(2 * sizeof *parts);
    if (ds_split(d, train, shuf ? ev_rng(I, lib_draw_party(I, a)) : NULL, &parts[0], &parts[1], &err) < 0) {
        free(parts);
        return err_raise(I, "split: %s", err.msg);
    }
    return ds_list(parts, 2);
}

static Value b_batches(Interp *I, Args *a)
{
    Ds *d = arg_ds(a);
    if (!d) return lib_forward(I, a, "dataset");
    long size;
    bool shuf = false;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW("shuffle")) || !lib_int(I, a, 1, &size) ||
        !lib_kwbool(I, a, "shuffle", &shuf)) return VERR;
    if (size < 1) return err_raise(I, "batches: size %ld; a batch needs at least one row", size);
    size_t nb;
    Ds **b = ds_batches(d, (size_t)size, shuf ? ev_rng(I, lib_draw_party(I, a)) : NULL, &nb);
    return ds_list(b, nb);
}

static Value b_partition(Interp *I, Args *a)
{
    Ds *d = arg_ds(a);
    if (!d) return lib_forward(I, a, "dataset");
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("among", "iid", "dirichlet", "shards")))
        return VERR;
    int owner = a->v[0].owner;
    if (a->at && owner && owner != a->at)
        return err_raise(I, "this dataset lives at %s; %s cannot partition it (use send to move it)",
                         ev_party_name(I, owner), ev_party_name(I, a->at));
    Value *among = lib_kw(a, "among");
    if (!among) return err_raise(I, "partition needs among = [party, ...]: who receives a part");
    if (among->tag != V_LIST || AS_LIST(*among)->n == 0)
        return lib_badkw(I, a, "among", "a non-empty list of parties");
    ObjList *l = AS_LIST(*among);
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].tag != V_PARTY)
            return err_raise(I, "partition: among[%zu] is a %s; among lists parties", i, val_type_name(l->v[i]));
        for (size_t j = 0; j < i; j++)
            if (l->v[j].as.i == l->v[i].as.i)
                return err_raise(I, "partition: %s appears twice in among",
                                 ev_party_name(I, (int)l->v[i].as.i));
    }
    bool iid = true;
    double alpha = 0, shards = 0;
    Value *kd = lib_kw(a, "dirichlet"), *ks = lib_kw(a, "shards"), *ki = lib_kw(a, "iid");
    if (!lib_kwbool(I, a, "iid", &iid) || !lib_kwnum(I, a, "dirichlet", &alpha) ||
        !lib_kwnum(I, a, "shards", &shards)) return VERR;
    if (kd && ks) return err_raise(I, "partition: give dirichlet = alpha or shards = k, not both");
    if ((kd || ks) && ki && iid)
        return err_raise(I, "partition: iid = true contradicts %s (leave iid out)", kd ? "dirichlet" : "shards");
    if (!iid && !kd && !ks)
        return err_raise(I, "partition: iid = false needs the kind of skew: dirichlet = alpha "
                         "(e.g. 0.5) or shards = k (label shards a party)");
    DsPart mode = kd ? DS_DIRICHLET : ks ? DS_SHARDS : DS_IID;
    int k = (int)l->n;
    Ds **parts = xmalloc((size_t)k * sizeof *parts);
    RtErr err;
    if (ds_partition(d, k, mode, kd ? alpha : shards, ev_rng(I, lib_draw_party(I, a)), parts, &err) < 0) {
        free(parts);
        return err_raise(I, "partition: %s", err.msg);
    }
    Value out = val_list((size_t)k);
    msg_parallel_begin(&I->msg);            /* the parts travel side by side: one round */
    for (int p = 0; p < k; p++) {
        int to = (int)l->v[p].as.i;
        Value v = lib_dataset_new(parts[p]);
        if (owner && owner != to) {         /* the owner hands a plaintext part over */
            Value c = lib_wire_send(I, val_at(v, owner), owner, to, true);
            val_release(v);
            v = c;
            if (IS_ERR(c)) {
                for (int q = p + 1; q < k; q++) ds_free(parts[q]);
                break;
            }
        }
        val_list_push(out, val_at(v, to));
    }
    msg_parallel_end(&I->msg);
    free(parts);
    if (AS_LIST(out)->n < (size_t)k) { val_release(out); return VERR; }   /* a send failed */
    return out;
}

static Value b_normalize(Interp *I, Args *a)
{
    Ds *d = arg_ds(a);
    if (!d) return lib_forward(I, a, "dataset");
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("like"))) return VERR;
    Value *like = lib_kw(a, "like");
    const Ds *ref = NULL;
    if (like) {
        ref = lib_dataset_of(*like);
        if (!ref) return lib_badkw(I, a, "like", "dataset");
        if (ds_dim(ref) != ds_dim(d))
            return err_raise(I, "normalize: like has %zu features, this dataset %zu",
                             ds_dim(ref), ds_dim(d));
        if (d->mean)
            return err_raise(I, "normalize: this dataset is already normalised; apply like = "
                             "to the raw data (normalize(test, like = train) before anything else)");
    }
    Ds *c = ds_copy(d);
    if (ref && ref->mean) ds_normalize(c, ref->mean, ref->std);
    else if (ref) {
        size_t dim = ds_dim(ref);
        float *m = xmalloc(dim * sizeof *m), *s = xmalloc(dim * sizeof *s);
        ds_stats(ref, m, s);
        ds_normalize(c, m, s);
        free(m); free(s);
    } else ds_normalize(c, NULL, NULL);
    return lib_dataset_new(c);
}

/* --- looking at data ---------------------------------------------------------------------- */

static Value b_head(Interp *I, Args *a)
{
    Ds *d = arg_ds(a);
    if (!d) return lib_forward(I, a, "dataset");
    long k = 5;
    if (!lib_arity(I, a, 1, 2) || !lib_kwonly(I, a, NULL) || (a->n == 2 && !lib_int(I, a, 1, &k)))
        return VERR;
    if (k < 0) return err_raise(I, "head: %ld rows; ask for 0 or more", k);
    Sb b; sb_init(&b);
    ds_head(d, (size_t)k, &b);
    if ((size_t)k < ds_n(d)) sb_printf(&b, "(%zu of %zu rows)\n", (size_t)k, ds_n(d));
    fwrite(b.s, 1, b.n, I->out);
    sb_free(&b);
    return VNONE;
}

static Value b_class_counts(Interp *I, Args *a)
{
    Ds *d = arg_ds(a);
    if (!d) return lib_forward(I, a, "dataset");
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL)) return VERR;
    if (!d->nclasses) return err_raise(I, "class_counts: this dataset has a numeric target, not classes");
    size_t *cnt = xmalloc((size_t)d->nclasses * sizeof *cnt);
    ds_class_counts(d, cnt);
    Value l = val_list((size_t)d->nclasses);
    for (int c = 0; c < d->nclasses; c++) val_list_push(l, VNUM((double)cnt[c]));
    free(cnt);
    return l;
}

static Value b_len(Interp *I, Args *a)
{
    Ds *d = arg_ds(a);
    if (!d || a->n != 1) return lib_forward(I, a, "string, list, record, range, tensor or dataset");
    return VNUM((double)ds_n(d));
}

#define PIMA "\"samples/data/pima_diabetes.csv\""

static const LibReg fns[] = {
    {"load_csv", b_load_csv, "load_csv(path, label = last column, normalize = false)",
     "Reads a CSV file with a header row of column names and numeric rows into a dataset.\n"
     "label names the label column; its distinct values, sorted, become classes 0, 1, ...\n"
     "(more than 256 distinct values: a numeric target).  normalize = true standardises\n"
     "every feature (z-score) with statistics of the WHOLE file; to keep test data out of\n"
     "the statistics, split first and use normalize(test, like = train).  A bad value is an\n"
     "error naming file, line and column, never a silent zero.",
     "d = load_csv(" PIMA ", label = \"diabetes\"); show(d)\n"
     "# -> dataset at public:\n"
     "# -> dataset pima_diabetes.csv: 768 rows, 8 features (pregnant, glucose, pressure, triceps, insulin, mass, pedigree, age)\n"
     "# ->   label 'diabetes': 2 classes (0: 500, 1: 268)", 0},
    {"load_idx", b_load_idx, "load_idx(images, labels, flat = true)",
     "Reads an IDX image file and its IDX label file (the MNIST format), gzip-compressed or\n"
     "not.  Pixels are scaled to [0, 1]; x is n x (rows*cols), or n x 1 x rows x cols with\n"
     "flat = false (for conv2d).  Magic numbers, sizes and counts are checked.",
     "d = load_idx(\"/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz\", "
     "\"/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz\"); print(d.n, d.features)\n"
     "# -> 10000 784", 0},
    {"fashion_mnist", b_fashion_mnist, "fashion_mnist(split = \"train\", flat = true)",
     "Fashion-MNIST (10 classes of 28x28 clothing images): split \"train\" (60000) or \"test\"\n"
     "(10000), from /usr/share/datasets/fashion-mnist/ (the Debian package\n"
     "dataset-fashion-mnist; PPDL_FASHION_MNIST names another folder).",
     "t = fashion_mnist(\"test\"); print(t.n, t.classes)   # -> 10000 10", 0},
    {"dataset", b_dataset, "dataset(x, y, classes = auto, name = \"dataset\")",
     "A dataset from a feature tensor (n x d; a vector is n x 1) and a label tensor (n).\n"
     "classes defaults to max(y) + 1 when every label is 0, 1, 2, ...; classes = 0 makes y a\n"
     "numeric target.",
     "d = dataset(tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), tensor([0, 1, 1, 0]), name = \"xor\"); show(d)\n"
     "# -> dataset at public:\n"
     "# -> dataset xor: 4 rows, 2 features\n"
     "# ->   label: 2 classes (0: 2, 1: 2)", 0},
    {"split", b_split, "split(d, train = 0.8, shuffle = true)",
     "Splits a dataset into [training, test]: round(train * n) rows and the rest, shuffled\n"
     "with the interpreter's generator (seed(n) makes it reproducible; shuffle = false keeps\n"
     "file order).",
     "d = load_csv(" PIMA "); s = split(d, train = 0.75); print(s[0].n, s[1].n)   # -> 576 192", 0},
    {"batches", b_batches, "batches(d, size, shuffle = false)",
     "A list of datasets of size rows each (the last one may be shorter), in order or\n"
     "shuffled.",
     "d = load_csv(" PIMA "); b = batches(d, 100); print(len(b), b[7].n)   # -> 8 68", 0},
    {"partition", b_partition,
     "partition(d, among = [p1, p2, ...], iid = true | dirichlet = alpha | shards = k)",
     "Deals the rows of a dataset to parties: one part each, the part placed at its party.\n"
     "IID: a shuffle, then near-equal parts.  dirichlet = alpha: each class is divided among\n"
     "the parties in proportions drawn from Dirichlet(alpha) - small alpha (0.1) gives each\n"
     "party a few dominant labels, large alpha (100) is close to IID.  shards = k: rows sorted\n"
     "by label are cut into k shards a party (McMahan et al.), so each party sees about k\n"
     "labels.  When d lives at a party, every part given to another party is recorded in the\n"
     "transcript as a plaintext message.",
     "party h1, h2, h3; seed(1); d = load_csv(" PIMA ", label = \"diabetes\"); ps = partition(d, among = [h1, h2, h3], dirichlet = 0.5); "
     "for p in ps { print(class_counts(p)) }\n"
     "# -> [41, 223] (at h1)\n"
     "# -> [94, 31] (at h2)\n"
     "# -> [365, 14] (at h3)", LIB_ANYOWNER},
    {"normalize", b_normalize, "normalize(d, like = none)",
     "A copy of the dataset with every feature standardised (x - mean) / std.  Statistics come\n"
     "from d itself, or from the dataset given as like (a training split), so a test split is\n"
     "scaled exactly as the training data was.  d.mean and d.std show the statistics used.",
     "s = split(load_csv(" PIMA "), train = 0.8); tr = normalize(s[0]); te = normalize(s[1], like = s[0]); "
     "print(tr.n, te.n)   # -> 614 154", 0},
    {"head", b_head, "head(d, k = 5)",
     "Prints the first k rows of a dataset (features, then the label) - the only builtin that\n"
     "shows rows.",
     "head(load_csv(" PIMA "), 3)\n"
     "# -> pregnant\tglucose\tpressure\ttriceps\tinsulin\tmass\tpedigree\tage\tdiabetes\n"
     "# -> 6\t148\t72\t35\t0\t33.6\t0.627\t50\t1\n"
     "# -> 1\t85\t66\t29\t0\t26.6\t0.351\t31\t0\n"
     "# -> 8\t183\t64\t0\t0\t23.3\t0.672\t32\t1\n"
     "# -> (3 of 768 rows)", 0},
    {"class_counts", b_class_counts, "class_counts(d)",
     "The number of rows of each class, as a list (class 0 first): the label distribution.",
     "print(class_counts(load_csv(" PIMA ")))   # -> [500, 268]", 0},
    {"len", b_len, "len(d)", "The number of rows of a dataset.",
     "print(len(load_csv(" PIMA ")))   # -> 768", 0},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_data = { "data", fns, NULL };

/* --- the wire (docs/parties.md, "Wire format") ------------------------------------------
** [x, y, nclasses, features, label, origin, name, classval, [mean, std], ledger]: tensors
** as lib_wire_put_tn, names as strs (nil when absent), classval float64s, mean and std
** float32s, the ledger as lib_dp_put_ledger (nil: none).  The receiver's copy has its own
** ledger holding what was spent so far: what it releases from now on is its own. */

static void put_names(struct WireW *w, char **names, int n)
{
    if (!names) { wire_put_nil(w); return; }
    wire_put_array(w, (size_t)n);
    for (int i = 0; i < n; i++) wire_put_cstr(w, names[i]);
}

static void put_opt_str(struct WireW *w, const char *s) { if (s) wire_put_cstr(w, s); else wire_put_nil(w); }

static bool dataset_encode(Interp *I, Value self, struct WireW *w, int to)
{
    (void)I; (void)to;
    const Ds *d = lib_dataset_of(self);
    size_t dim = ds_dim(d);
    wire_put_array(w, 10);
    lib_wire_put_tn(w, d->x);
    lib_wire_put_tn(w, d->y);
    wire_put_int(w, d->nclasses);
    put_names(w, d->features, d->nfeatures);
    put_opt_str(w, d->label); put_opt_str(w, d->origin); put_opt_str(w, d->name);
    if (d->classval) wire_put_f64s(w, d->classval, (size_t)d->nclasses); else wire_put_nil(w);
    if (d->mean && d->std) {
        wire_put_array(w, 2);
        wire_put_f32s(w, d->mean, dim); wire_put_f32s(w, d->std, dim);
    } else wire_put_nil(w);
    if (d->ledger) lib_dp_put_ledger(w, d->ledger); else wire_put_nil(w);
    return true;
}

static bool get_opt_str(struct WireR *r, const msgpack_object *o, char **out)
{
    const char *s;
    size_t n;
    *out = NULL;
    if (o->type == MSGPACK_OBJECT_NIL) return true;
    if (!wire_get_str(r, o, &s, &n)) return false;
    if (memchr(s, 0, n)) return wire_fail(r, "a name with a NUL byte");
    *out = xstrndup(s, n);
    return true;
}

static Value dataset_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    (void)I;
    const msgpack_object_array *a;
    int64_t nc;
    RtErr err;
    if (!wire_get_array(r, o, 10, 10, &a) || !wire_get_int(r, &a->ptr[2], 0, DS_MAXCLASSES, &nc)) return VERR;
    Tn *x = lib_wire_get_tn(r, &a->ptr[0]);
    Tn *y = x ? lib_wire_get_tn(r, &a->ptr[1]) : NULL;
    if (!y) { tn_free(x); return VERR; }
    Ds *d = ds_new(x, y, (int)nc, &err);
    if (!d) return wire_fail(r, "dataset: %s", err.msg), VERR;
    size_t dim = ds_dim(d);
    bool ok = true;
    if (a->ptr[3].type != MSGPACK_OBJECT_NIL) {
        const msgpack_object_array *f;
        ok = wire_get_array(r, &a->ptr[3], 0, 1 << 20, &f);
        if (ok) {
            d->features = xcalloc(f->size ? f->size : 1, sizeof *d->features);
            d->nfeatures = (int)f->size;
            for (uint32_t i = 0; ok && i < f->size; i++) ok = get_opt_str(r, &f->ptr[i], &d->features[i]);
        }
    }
    ok = ok && get_opt_str(r, &a->ptr[4], &d->label) && get_opt_str(r, &a->ptr[5], &d->origin) &&
         get_opt_str(r, &a->ptr[6], &d->name);
    if (ok && a->ptr[7].type != MSGPACK_OBJECT_NIL) {
        d->classval = xmalloc(((size_t)nc ? (size_t)nc : 1) * sizeof *d->classval);
        ok = d->classval && wire_get_f64s(r, &a->ptr[7], d->classval, (size_t)nc);
    }
    if (ok && a->ptr[8].type != MSGPACK_OBJECT_NIL) {
        const msgpack_object_array *ms;
        ok = wire_get_array(r, &a->ptr[8], 2, 2, &ms);
        if (ok) {
            d->mean = xmalloc((dim ? dim : 1) * sizeof *d->mean);
            d->std = xmalloc((dim ? dim : 1) * sizeof *d->std);
            ok = d->mean && d->std && wire_get_f32s(r, &ms->ptr[0], d->mean, dim) &&
                 wire_get_f32s(r, &ms->ptr[1], d->std, dim);
        }
    }
    if (ok && a->ptr[9].type != MSGPACK_OBJECT_NIL) {
        DpLedger *L = lib_dp_get_ledger(r, &a->ptr[9]);
        ok = L != NULL;
        if (ok) {
            dp_ledger_restore(dp_ledger_of(d, true), L);
            dp_ledger_free(L);
        }
    }
    if (!ok) { ds_free(d); return VERR; }
    return lib_dataset_new(d);
}
