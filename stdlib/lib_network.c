/*
** lib_network.c — builtins of the 'nn' module: layer values (dense, conv2d, maxpool2d,
** flatten, dropout, relu, sigmoid, tanh, softmax, and the polynomial specs taylor and
** interpolate), the network hook behind `network NAME { ... }`, models (model, train,
** evaluate, accuracy, predict, save, load_model); plot for training histories is
** lib_network_plot.c.  The mathematics is runtime/network*.c; this file checks arguments, draws randomness from the
** interpreter's Rng (so seed(n) reproduces a run), charges DP-SGD runs to the dataset's
** privacy budget through the dp module before the first step, shows a progress bar on
** a terminal, and polls Ctrl-C between steps.  Ownership of values across parties is
** the evaluator's job (these builtins are ordinary: one party's values in, result there).
*/
#include "lib_network.h"
#include "mem.h"
#include "lib_wire.h"
#include "dp.h"
#include "lib.h"
#include "lib_data.h"
#include "lib_dp.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KW(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* --- the layer, network and model kinds --------------------------------------------------- */

static void layer_free(void *p) { free(p); }

static void layer_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)I; (void)verbose;
    sb_puts(out, "<layer ");
    nn_layer_show(p, out);
    sb_putc(out, '>');
}

static Value coef_list(const NnApprox *a)
{
    Value l = val_list((size_t)a->degree + 1);
    for (int i = 0; i <= a->degree; i++) val_list_push(l, VNUM(a->coef[i]));
    return l;
}

static Value layer_field(Interp *I, Value self, Sym *name)
{
    const NnLayer *l = lib_layer_of(self);
    const char *f = name->name;
    if (!strcmp(f, "kind")) return val_cstr(nn_kind_name(l->kind));
    if (!strcmp(f, "coef")) {
        if (l->approx.kind == NN_APPROX_NONE)
            return err_raise(I, "this %s layer is exact: only approx = taylor(...) or "
                             "interpolate(...) layers have coefficients", nn_kind_name(l->kind));
        return coef_list(&l->approx);
    }
    if (!strcmp(f, "degree")) return l->approx.kind ? VNUM(l->approx.degree) : VNONE;
    return err_raise(I, "a layer has no field '%s' (it has: kind, coef, degree)", f);
}

static bool layer_encode(Interp *I, Value self, struct WireW *w, int to);
static Value layer_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);
static bool approx_encode(Interp *I, Value self, struct WireW *w, int to);
static Value approx_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);
static bool network_encode(Interp *I, Value self, struct WireW *w, int to);
static Value network_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);
static bool model_encode(Interp *I, Value self, struct WireW *w, int to);
static Value model_decode(Interp *I, struct WireR *r, const struct msgpack_object *body);

const VClass lib_layer_class = { .name = "layer", .free = layer_free, .show = layer_show,
                                 .field = layer_field,
                                 .wire = WIRE_EXT_LAYER, .encode = layer_encode, .decode = layer_decode };

const NnLayer *lib_layer_of(Value v) { return val_user_as(v, &lib_layer_class); }

/* A polynomial approximation spec, from taylor() or interpolate(). */
static void approx_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)I; (void)verbose;
    const NnApprox *a = p;
    if (a->kind == NN_APPROX_TAYLOR) sb_printf(out, "taylor(degree = %d)", a->degree);
    else {
        sb_printf(out, "interpolate(degree = %d, over = [", a->degree);
        sb_num(out, a->lo); sb_puts(out, ", "); sb_num(out, a->hi); sb_puts(out, "])");
    }
}

const VClass lib_approx_class = { .name = "approximation", .free = layer_free, .show = approx_show,
                                  .wire = WIRE_EXT_APPROX, .encode = approx_encode, .decode = approx_decode };
#define approx_class lib_approx_class

static void network_free(void *p) { nn_net_free(p); }

static void show_layers(const NnNet *net, Sb *out)
{
    for (int i = 0; i < net->n; i++) {
        if (i) sb_puts(out, " -> ");
        nn_layer_show(&net->layer[i], out);
    }
}

static void network_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)I; (void)verbose;
    const NnNet *net = p;
    sb_printf(out, "<network %s: ", net->name);
    show_layers(net, out);
    sb_printf(out, "; %zu parameters>", net->nparams);
}

static Value layer_value(const NnLayer *l)
{
    NnLayer *c = xmalloc(sizeof *c);
    *c = *l;
    return val_user(&lib_layer_class, c);
}

static Value net_field(Interp *I, const NnNet *net, const char *f, const char *kind)
{
    if (!strcmp(f, "name")) return val_cstr(net->name);
    if (!strcmp(f, "params")) return VNUM((double)net->nparams);
    if (!strcmp(f, "layers")) {
        Value l = val_list((size_t)net->n);
        for (int i = 0; i < net->n; i++) val_list_push(l, layer_value(&net->layer[i]));
        return l;
    }
    return err_raise(I, "a %s has no field '%s' (it has: name, params, layers%s)", kind, f,
                     kind[0] == 'm' ? ", weights" : "");
}

static Value network_field(Interp *I, Value self, Sym *name)
{
    return net_field(I, lib_network_of(self), name->name, "network");
}

const VClass lib_network_class = { .name = "network", .free = network_free,
                                   .show = network_show, .field = network_field,
                                   .wire = WIRE_EXT_NETWORK, .encode = network_encode, .decode = network_decode };

static void model_free(void *p) { nn_model_free(p); }

static void model_show(Interp *I, const void *p, Sb *out, int verbose)
{
    (void)I;
    const NnModel *m = p;
    sb_printf(out, "<model %s: ", m->net->name);
    if (verbose) show_layers(m->net, out);
    else sb_printf(out, "%d layers", m->net->n);
    sb_printf(out, "; %zu parameters>", m->net->nparams);
}

static size_t model_bytes(const void *p)
{
    const NnModel *m = p;
    return m->net->nparams * sizeof(float);
}

static Value model_field(Interp *I, Value self, Sym *name)
{
    NnModel *m = lib_model_of(self);
    if (!strcmp(name->name, "weights")) {
        /* [W1, b1, W2, b2, ...] for the layers with parameters, as copies */
        Value l = val_list(8);
        for (int i = 0; i < m->net->n; i++) {
            Tn *w = nn_model_weight(m, i);
            if (!w) continue;
            val_list_push(l, val_at(val_tensor(w), self.owner));
            val_list_push(l, val_at(val_tensor(nn_model_bias(m, i)), self.owner));
        }
        return l;
    }
    return net_field(I, m->net, name->name, "model");
}

const VClass lib_model_class = { .name = "model", .free = model_free, .show = model_show,
                                 .field = model_field, .bytes = model_bytes,
                                 .wire = WIRE_EXT_MODEL, .encode = model_encode, .decode = model_decode };

const NnNet *lib_network_of(Value v)
{
    const NnNet *n = val_user_as(v, &lib_network_class);
    if (n) return n;
    NnModel *m = val_user_as(v, &lib_model_class);
    return m ? m->net : NULL;
}

NnModel *lib_model_of(Value v) { return val_user_as(v, &lib_model_class); }

Value lib_model_new(NnModel *m) { return val_user(&lib_model_class, m); }

/* --- layer builtins ----------------------------------------------------------------------- */

static Value new_layer(NnLayer l) { return layer_value(&l); }

static bool pos_int(Interp *I, Args *a, int i, long *out)
{
    if (!lib_int(I, a, i, out)) return false;
    if (*out < 1 || *out > NN_MAXWIDTH) { lib_bad(I, a, i, "positive integer up to 1000000"); return false; }
    return true;
}

static Value b_dense(Interp *I, Args *a)
{
    long in, out;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL)) ||
        !pos_int(I, a, 0, &in) || !pos_int(I, a, 1, &out)) return VERR;
    return new_layer((NnLayer){ .kind = NN_DENSE, .in = (int)in, .out = (int)out });
}

static Value b_conv2d(Interp *I, Args *a)
{
    long in, out, k, stride = 1, pad = 0;
    if (!lib_arity(I, a, 3, 3) || !lib_kwonly(I, a, KW("stride", "padding")) ||
        !pos_int(I, a, 0, &in) || !pos_int(I, a, 1, &out) || !pos_int(I, a, 2, &k) ||
        !lib_kwint(I, a, "stride", &stride) || !lib_kwint(I, a, "padding", &pad)) return VERR;
    if (stride < 1 || stride > NN_MAXWIDTH) return lib_badkw(I, a, "stride", "positive integer up to 1000000");
    if (pad < 0 || pad > NN_MAXPAD) return lib_badkw(I, a, "padding", "integer in 0..1000");
    return new_layer((NnLayer){ .kind = NN_CONV2D, .in = (int)in, .out = (int)out, .k = (int)k,
                                .stride = (int)stride, .pad = (int)pad });
}

static Value b_maxpool2d(Interp *I, Args *a)
{
    long k;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL)) || !pos_int(I, a, 0, &k)) return VERR;
    return new_layer((NnLayer){ .kind = NN_MAXPOOL2D, .k = (int)k, .stride = (int)k });
}

static Value b_dropout(Interp *I, Args *a)
{
    double p;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL)) || !lib_num(I, a, 0, &p)) return VERR;
    if (!(p >= 0 && p < 1)) return lib_bad(I, a, 0, "probability in [0, 1)");
    return new_layer((NnLayer){ .kind = NN_DROPOUT, .p = p });
}

/* A layer without arguments; anything else goes to the next module's builtin of the
** same name (core and tensor register relu/sigmoid/tanh for numbers and tensors). */
static Value plain_layer(Interp *I, Args *a, NnKind kind)
{
    if (a->n || a->nkw) return lib_forward(I, a, "no arguments (as a layer)");
    return new_layer((NnLayer){ .kind = kind });
}

static Value b_flatten(Interp *I, Args *a) { return plain_layer(I, a, NN_FLATTEN); }
static Value b_relu(Interp *I, Args *a) { return plain_layer(I, a, NN_RELU); }
static Value b_softmax(Interp *I, Args *a) { return plain_layer(I, a, NN_SOFTMAX); }
static Value b_square(Interp *I, Args *a) { return plain_layer(I, a, NN_SQUARE); }

static Value act_layer(Interp *I, Args *a, NnKind kind)
{
    if (a->n) return lib_forward(I, a, "no positional argument (as a layer)");
    if (!lib_kwonly(I, a, KW("approx"))) return VERR;
    NnLayer l = { .kind = kind };
    Value *ap = lib_kw(a, "approx");
    if (ap) {
        const NnApprox *spec = val_user_as(*ap, &approx_class);
        if (!spec) return lib_badkw(I, a, "approx", "taylor(degree = d) or interpolate(degree = d, over = [a, b])");
        l.approx = *spec;
        RtErr err;
        if (nn_approx_fit(kind == NN_TANH ? NN_FN_TANH : NN_FN_SIGMOID, &l.approx, &err) < 0)
            return err_raise(I, "%s: %s", a->fname, err.msg);
    }
    return new_layer(l);
}

static Value b_sigmoid(Interp *I, Args *a) { return act_layer(I, a, NN_SIGMOID); }
static Value b_tanh(Interp *I, Args *a) { return act_layer(I, a, NN_TANH); }

static bool degree_kw(Interp *I, Args *a, int *out)
{
    long d = 0;
    if (!lib_kw(a, "degree")) { err_raise(I, "'%s' needs degree = (1..%d)", a->fname, NN_MAXDEG); return false; }
    if (!lib_kwint(I, a, "degree", &d)) return false;
    if (d < 1 || d > NN_MAXDEG) {
        err_raise(I, "bad argument 'degree' to '%s' (1..%d expected, got %ld)", a->fname, NN_MAXDEG, d);
        return false;
    }
    *out = (int)d;
    return true;
}

static Value b_taylor(Interp *I, Args *a)
{
    NnApprox *ap = xcalloc(1, sizeof *ap);
    ap->kind = NN_APPROX_TAYLOR;
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, KW("degree")) || !degree_kw(I, a, &ap->degree)) {
        free(ap); return VERR;
    }
    return val_user(&approx_class, ap);
}

static Value b_interpolate(Interp *I, Args *a)
{
    NnApprox *ap = xcalloc(1, sizeof *ap);
    ap->kind = NN_APPROX_INTERVAL;
    ap->lo = -6; ap->hi = 6;
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, KW("degree", "over")) || !degree_kw(I, a, &ap->degree)) {
        free(ap); return VERR;
    }
    Value *ov = lib_kw(a, "over");
    if (ov) {
        ObjList *l = IS_LIST(*ov) ? AS_LIST(*ov) : NULL;
        if (!l || l->n != 2 || !IS_NUM(l->v[0]) || !IS_NUM(l->v[1]) ||
            !(l->v[0].as.n < l->v[1].as.n) || !isfinite(l->v[0].as.n) || !isfinite(l->v[1].as.n)) {
            free(ap);
            return lib_badkw(I, a, "over", "an interval [a, b] with a < b");
        }
        ap->lo = l->v[0].as.n; ap->hi = l->v[1].as.n;
    }
    return val_user(&approx_class, ap);
}

/* `network NAME { ... }`: the evaluator hands us the evaluated layer expressions. */
static Value network_hook(Interp *I, Sym *name, int n, Value *layers)
{
    if (n == 0) return err_raise(I, "network %s has no layers", name->name);
    NnLayer *ls = xcalloc((size_t)n, sizeof *ls);
    for (int i = 0; i < n; i++) {
        const NnLayer *l = lib_layer_of(layers[i]);
        if (!l) {
            free(ls);
            return err_raise(I, "network %s: item %d is a %s, not a layer (dense, conv2d, "
                             "maxpool2d, flatten, dropout, relu, sigmoid, tanh, softmax)",
                             name->name, i + 1, val_type_name(layers[i]));
        }
        ls[i] = *l;
    }
    RtErr err;
    NnNet *net = nn_net_new(name->name, n, ls, &err);
    free(ls);
    if (!net) return err_raise(I, "network %s: %s", name->name, err.msg);
    /* consecutive dense layers must agree; the rest is checked against the data */
    int last = -1;
    for (int i = 0; i < n; i++) {
        const NnLayer *l = &net->layer[i];
        if (l->kind == NN_CONV2D || l->kind == NN_MAXPOOL2D || l->kind == NN_FLATTEN) last = -1;
        if (l->kind != NN_DENSE) continue;
        if (last >= 0 && net->layer[last].out != l->in) {
            Value e = err_raise(I, "network %s: layer %d, dense(%d, %d), takes %d inputs but "
                                "layer %d gives %d", name->name, i + 1, l->in, l->out, l->in,
                                last + 1, net->layer[last].out);
            nn_net_free(net);
            return e;
        }
        last = i;
    }
    return val_user(&lib_network_class, net);
}

/* --- models --------------------------------------------------------------------------------- */

static Value b_model(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    const NnNet *net = val_user_as(a->v[0], &lib_network_class);
    if (!net) return lib_bad(I, a, 0, "network");
    return lib_model_new(nn_model_new(net, ev_rng(I, lib_draw_party(I, a))));
}

static NnModel *arg_model(Interp *I, Args *a, int i)
{
    NnModel *m = i < a->n ? lib_model_of(a->v[i]) : NULL;
    if (!m) lib_bad(I, a, i, "model");
    return m;
}

static Ds *arg_data(Interp *I, Args *a, int i)
{
    Ds *d = i < a->n ? lib_dataset_of(a->v[i]) : NULL;
    if (!d) lib_bad(I, a, i, "dataset");
    else if (!d->y || d->y->size == 0) { err_raise(I, "%s: the dataset is empty", a->fname); d = NULL; }
    return d;
}

static bool loss_kw(Interp *I, Args *a, NnLoss *out)
{
    const char *s = NULL;
    if (!lib_kwstr(I, a, "loss", &s)) return false;
    if (!s) return true;
    if (!strcmp(s, "ce") || !strcmp(s, "cross_entropy")) *out = NN_LOSS_CE;
    else if (!strcmp(s, "bce")) *out = NN_LOSS_BCE;
    else if (!strcmp(s, "mse")) *out = NN_LOSS_MSE;
    else { lib_badkw(I, a, "loss", "\"ce\", \"bce\" or \"mse\""); return false; }
    return true;
}

/* Progress on stderr while training on a terminal. */
typedef struct Progress {
    Interp *I;
    bool show;
    bool dp;                    /* DP-SGD: the exact training loss is not shown */
    int epoch, epochs;
    double t0;
} Progress;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static bool tick(void *ctx, long step, long nsteps, double loss)
{
    Progress *p = ctx;
    if (*p->I->interrupt) return false;
    if (p->show && (step % 8 == 0 || step == nsteps)) {
        double done = ((double)p->epoch + (double)step / nsteps) / p->epochs;
        double el = now() - p->t0, eta = done > 0 ? el / done - el : 0;
        int w = 30, fill = (int)(done * w);
        char bar[40];
        for (int i = 0; i < w; i++) bar[i] = i < fill ? '#' : '.';
        bar[w] = 0;
        if (p->dp)
            fprintf(stderr, "\r  epoch %d/%d [%s] %3d%%  ETA %.0fs \033[K",
                    p->epoch + 1, p->epochs, bar, (int)(done * 100), eta);
        else
            fprintf(stderr, "\r  epoch %d/%d [%s] %3d%%  loss %.4f  ETA %.0fs \033[K",
                    p->epoch + 1, p->epochs, bar, (int)(done * 100), loss, eta);
        fflush(stderr);
    }
    return true;
}

static void push_num(Value rec, Interp *I, const char *k, double x)
{
    Value *l = val_rec_get(rec, sym_cstr(&I->syms, k));
    val_list_push(*l, VNUM(x));
}

static Value b_train(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) ||
        !lib_kwonly(I, a, KW("epochs", "lr", "batch", "optimizer", "loss", "dp", "verbose",
                             "momentum", "validation")))
        return VERR;
    NnModel *m = arg_model(I, a, 0);
    if (!m) return VERR;
    Ds *d = arg_data(I, a, 1);
    if (!d) return VERR;
    NnTrainCfg cfg;
    nn_train_defaults(&cfg);
    long epochs = 1, batch = 32;
    const char *opt = "sgd";
    bool verbose = true;
    if (!lib_kwint(I, a, "epochs", &epochs) || !lib_kwnum(I, a, "lr", &cfg.lr) ||
        !lib_kwint(I, a, "batch", &batch) || !lib_kwstr(I, a, "optimizer", &opt) ||
        !loss_kw(I, a, &cfg.loss) || !lib_kwbool(I, a, "verbose", &verbose) ||
        !lib_kwnum(I, a, "momentum", &cfg.momentum)) return VERR;
    if (epochs < 0 || epochs > 1000000) return lib_badkw(I, a, "epochs", "integer >= 0");
    if (batch < 1 || batch > 1000000) return lib_badkw(I, a, "batch", "positive integer");
    if (!(cfg.lr > 0) || !isfinite(cfg.lr)) return lib_badkw(I, a, "lr", "positive number");
    cfg.batch = (int)batch;
    if (!strcmp(opt, "sgd")) cfg.opt = NN_OPT_SGD;
    else if (!strcmp(opt, "momentum")) cfg.opt = NN_OPT_MOMENTUM;
    else if (!strcmp(opt, "adam")) cfg.opt = NN_OPT_ADAM;
    else return lib_badkw(I, a, "optimizer", "\"sgd\", \"momentum\" or \"adam\"");
    Ds *val = NULL;
    Value *vv = lib_kw(a, "validation");
    if (vv && !(val = lib_dataset_of(*vv))) return lib_badkw(I, a, "validation", "dataset");

    size_t n = d->y->size;
    double delta = 0, q = (double)(cfg.batch < (long)n ? cfg.batch : (long)n) / (double)n;
    long steps_epoch = 0;
    Value *dpv = lib_kw(a, "dp");
    if (dpv && dpv->tag != V_NONE) {
        Value *c = IS_REC(*dpv) ? val_rec_get(*dpv, sym_cstr(&I->syms, "clip")) : NULL;
        Value *s = IS_REC(*dpv) ? val_rec_get(*dpv, sym_cstr(&I->syms, "noise")) : NULL;
        Value *de = IS_REC(*dpv) ? val_rec_get(*dpv, sym_cstr(&I->syms, "delta")) : NULL;
        Value *sm = IS_REC(*dpv) ? val_rec_get(*dpv, sym_cstr(&I->syms, "sampling")) : NULL;
        if (!c || !s || !IS_NUM(*c) || !IS_NUM(*s) || (de && !IS_NUM(*de)))
            return lib_badkw(I, a, "dp", "dpsgd(clip = C, noise = sigma, delta = 1e-5)");
        cfg.clip = c->as.n; cfg.noise = s->as.n;
        delta = de ? de->as.n : 1e-5;
        cfg.shuffle = sm && IS_STR(*sm) && !strcmp(AS_STR(*sm)->s, "shuffle");
        if (!(cfg.clip > 0) || !(cfg.noise > 0))
            return err_raise(I, "train: dp needs clip > 0 and noise > 0 (got clip = %g, noise = %g)",
                             cfg.clip, cfg.noise);
        steps_epoch = cfg.shuffle ? (long)((n + (size_t)cfg.batch - 1) / (size_t)cfg.batch)
                                  : lround((double)n / (q * (double)n));
        if (steps_epoch < 1) steps_epoch = 1;
        /* the whole run is charged before the first step; refused when over budget */
        if (!lib_dp_charge(I, a->v[1], q, cfg.noise, steps_epoch * epochs, delta)) return VERR;
    }

    /* With DP-SGD the history holds no exact statistic of the training data: the mean
    ** loss and accuracy over it are left out (only epsilon, seconds and statistics of a
    ** validation set the caller chose are kept); evaluate() on the data is an explicit,
    ** uncharged release if wanted. */
    bool dp = cfg.clip > 0;
    Value hist = val_rec();
    if (!dp) {
        val_rec_set(hist, sym_cstr(&I->syms, "loss"), val_list((size_t)epochs));
        val_rec_set(hist, sym_cstr(&I->syms, "accuracy"), val_list((size_t)epochs));
    }
    if (val) {
        val_rec_set(hist, sym_cstr(&I->syms, "val_loss"), val_list((size_t)epochs));
        val_rec_set(hist, sym_cstr(&I->syms, "val_accuracy"), val_list((size_t)epochs));
    }
    if (cfg.clip > 0) val_rec_set(hist, sym_cstr(&I->syms, "epsilon"), val_list((size_t)epochs));
    val_rec_set(hist, sym_cstr(&I->syms, "seconds"), val_list((size_t)epochs));
    Progress pr = { .I = I, .show = verbose && I->tty, .dp = dp, .epochs = (int)epochs,
                    .t0 = now() };
    RtErr err;
    for (long e = 0; e < epochs; e++) {
        NnEpochStats st;
        pr.epoch = (int)e;
        double t0 = now();
        if (nn_train_epoch(m, d->x, d->y, d->nclasses, &cfg, ev_rng(I, lib_draw_party(I, a)), tick, &pr, &st, &err) < 0) {
            if (pr.show) fputs("\r\033[K", stderr);
            val_release(hist);
            return err_raise(I, "train: %s", err.msg);
        }
        if (st.stopped) {
            if (pr.show) fputs("\r\033[K", stderr);
            val_release(hist);
            if (!ev_interrupted(I)) err_raise(I, "interrupted");
            return VERR;
        }
        double secs = now() - t0;
        if (!dp) {
            push_num(hist, I, "loss", st.loss);
            push_num(hist, I, "accuracy", st.accuracy);
        }
        push_num(hist, I, "seconds", secs);
        double vl = NAN, va = NAN;
        if (val) {
            if (nn_evaluate(m, val->x, val->y, val->nclasses, cfg.loss, &vl, &va, &err) < 0) {
                val_release(hist);
                return err_raise(I, "train: validation: %s", err.msg);
            }
            push_num(hist, I, "val_loss", vl);
            push_num(hist, I, "val_accuracy", va);
        }
        double eps = NAN;
        if (cfg.clip > 0) {
            eps = dp_rdp_epsilon(q, cfg.noise, steps_epoch * (e + 1), delta);
            push_num(hist, I, "epsilon", eps);
        }
        if (pr.show) {
            fprintf(stderr, "\r\033[K  epoch %ld/%ld", e + 1, epochs);
            if (!dp) fprintf(stderr, ": loss %.4f", st.loss);
            if (!dp && !isnan(st.accuracy)) fprintf(stderr, ", accuracy %.4f", st.accuracy);
            if (val) fprintf(stderr, ", validation accuracy %.4f", va);
            if (!isnan(eps)) fprintf(stderr, ", epsilon %.3g", eps);
            fprintf(stderr, " (%.2f s)\n", secs);
        }
    }
    return hist;
}

static Value eval_result(Interp *I, Args *a, double *loss, double *acc)
{
    static const char *const kws[] = { "loss", NULL };
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, kws)) return VERR;
    NnModel *m = arg_model(I, a, 0);
    if (!m) return VERR;
    Ds *d = arg_data(I, a, 1);
    if (!d) return VERR;
    NnLoss lf = NN_LOSS_AUTO;
    if (!loss_kw(I, a, &lf)) return VERR;
    RtErr err;
    if (nn_evaluate(m, d->x, d->y, d->nclasses, lf, loss, acc, &err) < 0)
        return err_raise(I, "%s: %s", a->fname, err.msg);
    return VNONE;
}

static Value b_evaluate(Interp *I, Args *a)
{
    double loss, acc;
    if (IS_ERR(eval_result(I, a, &loss, &acc))) return VERR;
    Value r = val_rec();
    val_rec_set(r, sym_cstr(&I->syms, "loss"), VNUM(loss));
    val_rec_set(r, sym_cstr(&I->syms, "accuracy"), isnan(acc) ? VNONE : VNUM(acc));
    return r;
}

static Value b_accuracy(Interp *I, Args *a)
{
    double loss, acc;
    if (a->n >= 1 && !lib_model_of(a->v[0])) return lib_forward(I, a, "model");
    if (IS_ERR(eval_result(I, a, &loss, &acc))) return VERR;
    if (isnan(acc)) return err_raise(I, "accuracy: the dataset has a numeric target, not classes (use evaluate)");
    return VNUM(acc);
}

static Value b_predict(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL))) return VERR;
    NnModel *m = arg_model(I, a, 0);
    if (!m) return VERR;
    const Tn *x = NULL;
    Ds *d = lib_dataset_of(a->v[1]);
    if (d) x = d->x;
    else if (IS_TENSOR(a->v[1])) x = AS_TENSOR(a->v[1]);
    else return lib_bad(I, a, 1, "tensor or dataset");
    RtErr err;
    Tn *out = nn_predict(m, x, &err);
    if (!out) return err_raise(I, "predict: %s", err.msg);
    return val_tensor(out);
}

static Value b_save(Interp *I, Args *a)
{
    if (a->n >= 1 && !lib_model_of(a->v[0])) return lib_forward(I, a, "model");
    const char *path;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, KW(NULL)) || !lib_path(I, a, 1, LIB_WRITE, &path)) return VERR;
    RtErr err;
    if (nn_save(lib_model_of(a->v[0]), path, &err) < 0) return err_raise(I, "save: %s", err.msg);
    return VNONE;
}

static Value b_load_model(Interp *I, Args *a)
{
    const char *path;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW(NULL)) || !lib_path(I, a, 0, LIB_READ, &path)) return VERR;
    RtErr err;
    NnModel *m = nn_load(path, &err);
    if (!m) return err_raise(I, "load_model: %s", err.msg);
    return lib_model_new(m);
}

/* --- registration ------------------------------------------------------------------------------ */

static void init(Interp *I)
{
    I->network_hook = network_hook;
    /* One BLAS thread unless PPDL_THREADS says otherwise: reproducible timings, and fair
    ** against single-threaded PyTorch in the benchmark. */
    const char *t = getenv("PPDL_THREADS");
    int n = t ? atoi(t) : 1;
    nn_set_threads(n > 0 ? n : 1);
}

#define NET "network xor { dense(2, 8); relu; dense(8, 2); softmax }; "
#define XOR "d = dataset(tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), tensor([0, 1, 1, 0])); "

static const LibReg fns[] = {
    {"dense", b_dense, "dense(in, out)",
     "A fully connected layer for network blocks: y = x @ W + b with W of shape in x out\n"
     "(He-initialised before relu, Xavier otherwise) and b zero.",
     "network n { dense(4, 2); softmax }; print(n)\n"
     "# -> <network n: dense(4, 2) -> softmax; 10 parameters>", 0},
    {"conv2d", b_conv2d, "conv2d(in_channels, out_channels, kernel, stride = 1, padding = 0)",
     "A 2-D convolution layer over c x h x w images (weights out x in x k x k).  A flat\n"
     "input of in*s*s values is read as an in x s x s image.",
     "network c { conv2d(1, 4, 3, padding = 1); relu; maxpool2d(2); flatten; dense(64, 10) }; print(c)\n"
     "# -> <network c: conv2d(1, 4, 3, padding = 1) -> relu -> maxpool2d(2) -> flatten -> dense(64, 10); 690 parameters>", 0},
    {"maxpool2d", b_maxpool2d, "maxpool2d(k)",
     "Max pooling over k x k windows with stride k (a layer).", "print(maxpool2d(2))\n"
     "# -> <layer maxpool2d(2)>", 0},
    {"flatten", b_flatten, "flatten",
     "Turns each c x h x w example into a vector (a layer).", "print(flatten())   # -> <layer flatten>", 0},
    {"dropout", b_dropout, "dropout(p)",
     "Drops each unit with probability p while training, scaling the others by 1/(1-p);\n"
     "the identity when evaluating (a layer).", "print(dropout(0.5))   # -> <layer dropout(0.5)>", 0},
    {"relu", b_relu, "relu",
     "The rectifier max(x, 0) as a layer (relu(tensor) applies it to a tensor).",
     "print(relu())   # -> <layer relu>", 0},
    {"sigmoid", b_sigmoid, "sigmoid(approx = none)",
     "The logistic activation as a layer.  approx = taylor(degree = d) or\n"
     "interpolate(degree = d, over = [a, b]) replaces it by a polynomial (evaluated by\n"
     "Horner's rule) -- the form HE and MPC can compute; .coef lists the coefficients.",
     "s = sigmoid(approx = taylor(degree = 3)); print(s, s.coef)\n"
     "# -> <layer sigmoid(approx = taylor(degree = 3))> [0.5, 0.25, 0, -0.0208333]", 0},
    {"tanh", b_tanh, "tanh(approx = none)",
     "The hyperbolic tangent as a layer, optionally a polynomial stand-in as for sigmoid.",
     "network t { dense(2, 3); tanh(approx = interpolate(degree = 5, over = [-3, 3])); dense(3, 1) }; print(t)\n"
     "# -> <network t: dense(2, 3) -> tanh(approx = interpolate(degree = 5, over = [-3, 3])) -> dense(3, 1); 13 parameters>", 0},
    {"square", b_square, "square",
     "The square activation x * x (a layer): a product, no comparison, so a network with it can be\n"
     "evaluated on Paillier ciphertexts with one blinded round trip a square (CryptoNets).",
     "network n { dense(4, 3); square; dense(3, 2) }; print(n)\n"
     "# -> <network n: dense(4, 3) -> square -> dense(3, 2); 23 parameters>", 0},
    {"softmax", b_softmax, "softmax",
     "Softmax over each example's outputs (a layer); with the ce loss the gradient is\n"
     "fused (p - y).", "print(softmax())   # -> <layer softmax>", 0},
    {"taylor", b_taylor, "taylor(degree = d)",
     "A polynomial approximation spec for sigmoid/tanh: the Taylor polynomial around 0.\n"
     "Exact near 0, useless far from it (compare interpolate).",
     "print(sigmoid(approx = taylor(degree = 5)).coef)   # -> [0.5, 0.25, 0, -0.0208333, 0, 0.00208333]", 0},
    {"interpolate", b_interpolate, "interpolate(degree = d, over = [a, b])",
     "A polynomial approximation spec for sigmoid/tanh: Chebyshev interpolation on [a, b]\n"
     "(default [-6, 6]) at d+1 Chebyshev nodes, a near-minimax fit, as monomial\n"
     "coefficients.", "c = sigmoid(approx = interpolate(degree = 3, over = [-6, 6])).coef; print(format(c[1], \".4f\"), format(c[3], \".6f\"))\n"
     "# -> 0.1962 -0.003474", 0},
    {"model", b_model, "model(net)",
     "A model of a network with freshly initialised weights, drawn from the public generator\n"
     "(seed(n) reproduces them).  `model(net) at p` places it at party p and draws its\n"
     "weights from p's own generator (inside `on p { }` too).\n"
     "Fields: name, params, layers, weights (copies [W1, b1, W2, b2, ...]).",
     NET "m = model(xor); print(m.params)   # -> 42", 0},
    {"train", b_train,
     "train(m, data, epochs = 1, lr = 0.01, batch = 32, optimizer = \"sgd\", loss = auto, "
     "dp = none, validation = none, momentum = 0.9, verbose = true)",
     "Trains model m in place on a dataset and returns its history {loss = [...],\n"
     "accuracy = [...], seconds = [...]} (one entry an epoch; val_loss/val_accuracy with\n"
     "validation =, epsilon with dp =; with dp = the exact training loss and accuracy are\n"
     "left out, so the history holds nothing computed exactly from the private data).  optimizer: \"sgd\", \"momentum\" or \"adam\".  loss: \"ce\"\n"
     "(softmax cross-entropy; default after softmax or with several outputs), \"bce\"\n"
     "(default after sigmoid) or \"mse\".  dp = dpsgd(clip, noise, delta) runs DP-SGD:\n"
     "Poisson-sampled batches of expected size batch, each example's gradient clipped\n"
     "to norm clip, Gaussian noise of sd noise*clip, the run charged to the dataset's\n"
     "budget BEFORE the first step.  A progress bar shows on a terminal; Ctrl-C stops\n"
     "after the current step with the weights of the steps done.",
     "seed(1); " NET XOR "m = model(xor); h = train(m, d, epochs = 300, lr = 0.1, batch = 4, "
     "optimizer = \"adam\"); print(accuracy(m, d))   # -> 0.75", LIB_WRITES},
    {"evaluate", b_evaluate, "evaluate(m, data, loss = auto)",
     "The mean loss and the accuracy of m on a dataset: {loss, accuracy}.",
     NET XOR "print(evaluate(model(xor), d).loss > 0)   # -> true", 0},
    {"accuracy", b_accuracy, "accuracy(m, data)",
     "The fraction of examples of a dataset that m classifies correctly.",
     NET XOR "a = accuracy(model(xor), d); print(a >= 0 and a <= 1)   # -> true", 0},
    {"predict", b_predict, "predict(m, x)",
     "The network's outputs for a tensor of examples (n x features, or one example as a\n"
     "vector) or for a dataset's features.",
     NET "print(shape(predict(model(xor), tensor([[0, 1], [1, 1]]))))   # -> [2, 2]", 0},
    {"save", b_save, "save(m, path)",
     "Writes a model (layers and weights, format in docs/training.md) atomically: to a\n"
     "temporary file that is renamed over path, so a crash never leaves half a file.",
     NET "save(model(xor), \"xor.model\"); print(\"saved\")   # -> saved", 0},
    {"load_model", b_load_model, "load_model(path)",
     "Reads a model written by save; a truncated or damaged file is an error naming it.",
     NET "save(model(xor), \"xor2.model\"); print(load_model(\"xor2.model\"))\n"
     "# -> <model xor: 4 layers; 42 parameters>", 0},
    { NULL, NULL, NULL, NULL, NULL, 0 }
};

const LibModule lib_mod_nn = { "nn", fns, init };

/* --- the wire (docs/parties.md, "Wire format") ------------------------------------------ */

/* An approximation: [kind, degree, lo, hi]; the coefficients are refitted on arrival
** (the fit is deterministic), so a frame cannot smuggle in arbitrary ones. */
static void put_approx(struct WireW *w, const NnApprox *a)
{
    wire_put_array(w, 4);
    wire_put_int(w, a->kind); wire_put_int(w, a->degree);
    wire_put_double(w, a->lo); wire_put_double(w, a->hi);
}

static bool get_approx(struct WireR *r, const msgpack_object *o, NnApprox *a)
{
    const msgpack_object_array *x;
    int64_t kind, degree;
    memset(a, 0, sizeof *a);
    if (!wire_get_array(r, o, 4, 4, &x) || !wire_get_int(r, &x->ptr[0], 0, NN_APPROX_INTERVAL, &kind) ||
        !wire_get_int(r, &x->ptr[1], 0, NN_MAXDEG, &degree) || !wire_get_double(r, &x->ptr[2], &a->lo) ||
        !wire_get_double(r, &x->ptr[3], &a->hi)) return false;
    a->kind = (NnApproxKind)kind; a->degree = (int)degree;
    return true;
}

/* A layer: [kind, in, out, k, stride, pad, p, approx]. */
static void put_layer(struct WireW *w, const NnLayer *l)
{
    wire_put_array(w, 8);
    wire_put_int(w, l->kind); wire_put_int(w, l->in); wire_put_int(w, l->out);
    wire_put_int(w, l->k); wire_put_int(w, l->stride); wire_put_int(w, l->pad);
    wire_put_double(w, l->p);
    put_approx(w, &l->approx);
}

static bool get_layer(struct WireR *r, const msgpack_object *o, NnLayer *l)
{
    const msgpack_object_array *x;
    int64_t f[6];
    memset(l, 0, sizeof *l);
    if (!wire_get_array(r, o, 8, 8, &x) || !wire_get_int(r, &x->ptr[0], 0, NN_SQUARE, &f[0])) return false;
    for (int i = 1; i < 6; i++) if (!wire_get_int(r, &x->ptr[i], 0, 1 << 20, &f[i])) return false;
    if (!wire_get_double(r, &x->ptr[6], &l->p) || !get_approx(r, &x->ptr[7], &l->approx)) return false;
    l->kind = (NnKind)f[0]; l->in = (int)f[1]; l->out = (int)f[2];
    l->k = (int)f[3]; l->stride = (int)f[4]; l->pad = (int)f[5];
    return true;
}

/* A network: [name, [layer...]]; checked by nn_net_new like one declared in a script. */
static void put_net(struct WireW *w, const NnNet *net)
{
    wire_put_array(w, 2);
    wire_put_cstr(w, net->name);
    wire_put_array(w, (size_t)net->n);
    for (int i = 0; i < net->n; i++) put_layer(w, &net->layer[i]);
}

static NnNet *get_net(struct WireR *r, const msgpack_object *o)
{
    const msgpack_object_array *x, *ls;
    const char *s;
    size_t n;
    if (!wire_get_array(r, o, 2, 2, &x) || !wire_get_str(r, &x->ptr[0], &s, &n) ||
        !wire_get_array(r, &x->ptr[1], 1, 4096, &ls)) return NULL;
    if (n > 200 || memchr(s, 0, n)) { wire_fail(r, "a network name of %zu bytes", n); return NULL; }
    char name[201];
    memcpy(name, s, n); name[n] = 0;
    NnLayer *l = xmalloc(ls->size * sizeof *l);
    for (uint32_t i = 0; i < ls->size; i++)
        if (!get_layer(r, &ls->ptr[i], &l[i])) { free(l); return NULL; }
    RtErr err;
    NnNet *net = nn_net_new(name, (int)ls->size, l, &err);
    free(l);
    if (!net) wire_fail(r, "network: %s", err.msg);
    else if (net->nparams > ((size_t)1 << 28)) { nn_net_free(net); wire_fail(r, "a network too large"); return NULL; }
    return net;
}

void lib_nn_put_net(struct WireW *w, const NnNet *net) { put_net(w, net); }
NnNet *lib_nn_get_net(struct WireR *r, const msgpack_object *o) { return get_net(r, o); }

static bool layer_encode(Interp *I, Value self, struct WireW *w, int to)
{
    (void)I; (void)to;
    put_layer(w, lib_layer_of(self));
    return true;
}

static Value layer_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    (void)I;
    NnLayer l;
    if (!get_layer(r, o, &l)) return VERR;
    RtErr err;
    NnNet *net = nn_net_new("layer", 1, &l, &err);    /* validates and fits */
    if (!net) return wire_fail(r, "layer: %s", err.msg), VERR;
    Value v = layer_value(&net->layer[0]);
    nn_net_free(net);
    return v;
}

static bool approx_encode(Interp *I, Value self, struct WireW *w, int to)
{
    (void)I; (void)to;
    put_approx(w, AS_USER(self)->p);
    return true;
}

static Value approx_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    (void)I;
    NnApprox a;
    if (!get_approx(r, o, &a)) return VERR;
    if (a.kind == NN_APPROX_NONE || a.degree < 1 ||
        (a.kind == NN_APPROX_INTERVAL && !(isfinite(a.lo) && isfinite(a.hi) && a.lo < a.hi)))
        return wire_fail(r, "an approximation out of range"), VERR;
    NnApprox *p = xmalloc(sizeof *p);
    *p = a;
    return val_user(&lib_approx_class, p);
}

static bool network_encode(Interp *I, Value self, struct WireW *w, int to)
{
    (void)I; (void)to;
    put_net(w, lib_network_of(self));
    return true;
}

static Value network_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    (void)I;
    NnNet *net = get_net(r, o);
    return net ? val_user(&lib_network_class, net) : VERR;
}

/* A model: [network, parameters (float32 bin, nparams)].  The optimiser state (momentum,
** Adam's moments) stays with the sender: the receiver starts its own. */
static bool model_encode(Interp *I, Value self, struct WireW *w, int to)
{
    (void)I; (void)to;
    const NnModel *m = lib_model_of(self);
    wire_put_array(w, 2);
    put_net(w, m->net);
    wire_put_f32s(w, m->w, m->net->nparams);
    return true;
}

static Value model_decode(Interp *I, struct WireR *r, const msgpack_object *o)
{
    (void)I;
    const msgpack_object_array *x;
    size_t n = 0;
    if (!wire_get_array(r, o, 2, 2, &x)) return VERR;
    NnNet *net = get_net(r, &x->ptr[0]);
    if (!net) return VERR;
    if (!wire_get_count(r, &x->ptr[1], 4, &n) || n != net->nparams) {
        if (!r->failed) wire_fail(r, "a model of %zu parameters carries %zu", net->nparams, n);
        nn_net_free(net);
        return VERR;
    }
    Rng tmp;                            /* the initial weights are overwritten */
    rng_seed(&tmp, 1);
    NnModel *m = nn_model_new(net, &tmp);
    rng_wipe(&tmp);
    nn_net_free(net);
    wire_get_f32s(r, &x->ptr[1], m->w, n);
    return lib_model_new(m);
}
