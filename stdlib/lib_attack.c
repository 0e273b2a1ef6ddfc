/*
** lib_attack.c — what an attacker computes, so that a class can watch attacks work and
** fail: per-example losses of a model (membership inference, Yeom et al. 2018), the
** gradient of the loss with respect to the input (model inversion, Fredrikson et al.
** 2015), the ROC curve and its area for an attack's scores, images shown in the
** terminal (Unicode half blocks) or written as SVG, and a clock to time a protocol.  The model arithmetic is network_pass.c's; this
** file owns the arguments, the statistics and the pictures.
*/
#include "lib.h"
#include "mem.h"
#include "lib_data.h"
#include "lib_network.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static NnModel *model_arg(Interp *I, Args *a, int i)
{
    NnModel *m = i < a->n ? lib_model_of(a->v[i]) : NULL;
    if (!m) lib_bad(I, a, i, "model");
    return m;
}

static bool loss_arg(Interp *I, Args *a, NnLoss *out)
{
    const char *s = NULL;
    if (!lib_kwstr(I, a, "loss", &s)) return false;
    if (!s) return true;
    if (!strcmp(s, "ce")) *out = NN_LOSS_CE;
    else if (!strcmp(s, "bce")) *out = NN_LOSS_BCE;
    else if (!strcmp(s, "mse")) *out = NN_LOSS_MSE;
    else { lib_badkw(I, a, "loss", "\"ce\", \"bce\" or \"mse\""); return false; }
    return true;
}

/* Binds m to examples shaped like x's rows (x: n × ... ; a 1-D x is one example). */
static bool bind_rows(Interp *I, NnModel *m, const Tn *x, bool single, int chunk, const char *who)
{
    int nd, s[3];
    if (single) { nd = 1; s[0] = (int)x->size; }
    else {
        nd = x->ndim - 1;
        if (nd < 1 || nd > 3) { err_raise(I, "%s: examples must be 1-D or 3-D (got a %d-D tensor)", who, x->ndim); return false; }
        for (int i = 0; i < nd; i++) s[i] = x->shape[i + 1];
    }
    RtErr err;
    if (nn_bind(m, nd, s, chunk, &err) < 0) { err_raise(I, "%s: %s", who, err.msg); return false; }
    return true;
}

/* losses(m, data): each example's loss, as a tensor of n numbers. */
static Value b_losses(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, (const char *const[]){ "loss", NULL })) return VERR;
    NnModel *m = model_arg(I, a, 0);
    if (!m) return VERR;
    Ds *d = lib_dataset_of(a->v[1]);
    if (!d) return lib_bad(I, a, 1, "dataset");
    NnLoss lf = NN_LOSS_AUTO;
    if (!loss_arg(I, a, &lf)) return VERR;
    int n = d->x->ndim ? d->x->shape[0] : 0;
    if (n == 0) return err_raise(I, "losses: the dataset is empty");
    if (!bind_rows(I, m, d->x, false, 1, "losses")) return VERR;
    Tn *out = tn_new(1, (int[]){ n });
    size_t per = d->x->size / (size_t)n;
    RtErr err;
    for (int i = 0; i < n; i++) {
        double l;
        if (nn_loss_eval(m, d->x->data + (size_t)i * per, d->y->data + i, 1, d->nclasses, lf, &l, NULL, &err) < 0) {
            tn_free(out);
            return err_raise(I, "losses: %s", err.msg);
        }
        out->data[i] = (float)l;
    }
    return val_tensor(out);
}

/* input_grad(m, x, y): d loss / d x for each example of x with its label y. */
static Value b_input_grad(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 3, 3) || !lib_kwonly(I, a, (const char *const[]){ "loss", NULL })) return VERR;
    NnModel *m = model_arg(I, a, 0);
    Tn *x;
    if (!m || !lib_tensor(I, a, 1, &x)) return VERR;
    NnLoss lf = NN_LOSS_AUTO;
    if (!loss_arg(I, a, &lf)) return VERR;
    bool single = x->ndim <= 1;
    int n = single ? 1 : x->shape[0];
    float *y = xmalloc((size_t)n * sizeof *y);
    if (a->v[2].tag == V_NUM && n == 1) y[0] = (float)a->v[2].as.n;
    else if (IS_TENSOR(a->v[2]) && AS_TENSOR(a->v[2])->size == (size_t)n)
        memcpy(y, AS_TENSOR(a->v[2])->data, (size_t)n * sizeof *y);
    else { free(y); return lib_bad(I, a, 2, single ? "number (the label)" : "tensor of one label an example"); }
    if (!bind_rows(I, m, x, single, n, "input_grad")) { free(y); return VERR; }
    int k = nn_out_width(m);
    Tn *out = tn_new(x->ndim ? x->ndim : 1, x->ndim ? x->shape : (int[]){ 1 });
    RtErr err;
    int st = nn_input_grad(m, x->data, y, n, k > 1 ? k : 2, lf, out->data, NULL, &err);
    free(y);
    if (st < 0) { tn_free(out); return err_raise(I, "input_grad: %s", err.msg); }
    return val_tensor(out);
}

/* The numbers of a tensor or a list of numbers (malloc'd), or NULL after the error. */
static double *numbers(Interp *I, Args *a, int i, size_t *n)
{
    Value v = a->v[i];
    if (IS_TENSOR(v)) {
        Tn *t = AS_TENSOR(v);
        double *x = xmalloc(t->size * sizeof *x);
        for (size_t k = 0; k < t->size; k++) x[k] = t->data[k];
        *n = t->size;
        return x;
    }
    if (IS_LIST(v)) {
        ObjList *l = AS_LIST(v);
        double *x = xmalloc(l->n * sizeof *x);
        for (size_t k = 0; k < l->n; k++) {
            if (l->v[k].tag != V_NUM) { free(x); lib_bad(I, a, i, "tensor or list of numbers"); return NULL; }
            x[k] = l->v[k].as.n;
        }
        *n = l->n;
        return x;
    }
    lib_bad(I, a, i, "tensor or list of numbers");
    return NULL;
}

typedef struct Scored { double s; int pos; } Scored;

static int by_score_desc(const void *p, const void *q)
{
    double a = ((const Scored *)p)->s, b = ((const Scored *)q)->s;
    return a > b ? -1 : a < b ? 1 : 0;
}

/* The ROC curve of scores against 0/1 labels (1: positive), thresholds from high to
** low with ties taken together; its area by the trapezoid rule (= the Mann-Whitney
** probability that a positive outscores a negative, ties counting one half). */
static Value roc_value(Interp *I, Args *a, bool full)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL)) return VERR;
    size_t n, nl;
    double *s = numbers(I, a, 0, &n);
    if (!s) return VERR;
    double *l = numbers(I, a, 1, &nl);
    if (!l) { free(s); return VERR; }
    Value r = VERR;
    size_t np = 0;
    Scored *v = xmalloc(n * sizeof *v);
    if (nl != n) { err_raise(I, "%s: %zu scores but %zu labels", a->fname, n, nl); goto out; }
    for (size_t i = 0; i < n; i++) {
        if (l[i] != 0 && l[i] != 1) { err_raise(I, "%s: labels must be 0 or 1 (label #%zu is %g)", a->fname, i + 1, l[i]); goto out; }
        if (isnan(s[i])) { err_raise(I, "%s: score #%zu is nan", a->fname, i + 1); goto out; }
        v[i] = (Scored){ s[i], l[i] == 1 };
        np += l[i] == 1;
    }
    if (np == 0 || np == n) { err_raise(I, "%s: needs both positive (1) and negative (0) labels", a->fname); goto out; }
    qsort(v, n, sizeof *v, by_score_desc);
    size_t nn = n - np, tp = 0, fp = 0;
    double auc = 0, adv = 0, best_t = INFINITY;
    Tn *fpr = tn_new(1, (int[]){ (int)n + 1 }), *tpr = tn_new(1, (int[]){ (int)n + 1 }),
       *thr = tn_new(1, (int[]){ (int)n + 1 });
    int k = 0;
    fpr->data[0] = tpr->data[0] = 0; thr->data[0] = INFINITY; k = 1;
    for (size_t i = 0; i < n; ) {
        size_t j = i, tp0 = tp, fp0 = fp;
        while (j < n && v[j].s == v[i].s) { tp += v[j].pos; fp += !v[j].pos; j++; }
        double x0 = (double)fp0 / nn, x1 = (double)fp / nn, y0 = (double)tp0 / np, y1 = (double)tp / np;
        auc += (x1 - x0) * (y0 + y1) / 2;
        if (y1 - x1 > adv) { adv = y1 - x1; best_t = v[i].s; }
        fpr->data[k] = (float)x1; tpr->data[k] = (float)y1; thr->data[k] = (float)v[i].s; k++;
        i = j;
    }
    fpr->shape[0] = tpr->shape[0] = thr->shape[0] = k;
    fpr->size = tpr->size = thr->size = (size_t)k;
    if (!full) { tn_free(fpr); tn_free(tpr); tn_free(thr); r = VNUM(auc); goto out; }
    r = val_rec();
    val_rec_set(r, sym_cstr(&I->syms, "auc"), VNUM(auc));
    val_rec_set(r, sym_cstr(&I->syms, "advantage"), VNUM(adv));
    val_rec_set(r, sym_cstr(&I->syms, "threshold"), VNUM(best_t));
    val_rec_set(r, sym_cstr(&I->syms, "fpr"), val_tensor(fpr));
    val_rec_set(r, sym_cstr(&I->syms, "tpr"), val_tensor(tpr));
    val_rec_set(r, sym_cstr(&I->syms, "thresholds"), val_tensor(thr));
out:
    free(s); free(l); free(v);
    return r;
}

static Value b_auc(Interp *I, Args *a) { return roc_value(I, a, false); }
static Value b_roc(Interp *I, Args *a) { return roc_value(I, a, true); }

/* --- images ------------------------------------------------------------------------ */

typedef struct Img { const float *p; int h, w; float lo, hi; } Img;

/* An image from a tensor: h × w, 1 × h × w, or a vector whose size is a square, of
** finite pixels (a nan or infinite pixel has no grey level); k numbers it in errors. */
static bool image_of(Interp *I, Value v, int k, Img *out, const char *who)
{
    if (!IS_TENSOR(v)) { err_raise(I, "%s: an image is a tensor (got %s)", who, val_type_name(v)); return false; }
    Tn *t = AS_TENSOR(v);
    int h, w;
    if (t->ndim == 2) { h = t->shape[0]; w = t->shape[1]; }
    else if (t->ndim == 3 && t->shape[0] == 1) { h = t->shape[1]; w = t->shape[2]; }
    else if (t->ndim == 1 && t->size > 0 && (size_t)(int)sqrt((double)t->size) * (size_t)(int)sqrt((double)t->size) == t->size) {
        h = w = (int)sqrt((double)t->size);
    } else {
        err_raise(I, "%s: an image is h × w, 1 × h × w or a square number of pixels", who);
        return false;
    }
    if (h > 512 || w > 512) { err_raise(I, "%s: at most 512 × 512 pixels (got %d × %d)", who, h, w); return false; }
    *out = (Img){ t->data, h, w, INFINITY, -INFINITY };
    for (size_t i = 0; i < (size_t)h * w; i++) {
        if (!isfinite(t->data[i])) {
            err_raise(I, "%s: pixel (%zu, %zu) of image #%d is %s; an image needs finite values", who,
                      i / (size_t)w, i % (size_t)w, k + 1, isnan(t->data[i]) ? "nan" : "infinite");
            return false;
        }
        if (t->data[i] < out->lo) out->lo = t->data[i];
        if (t->data[i] > out->hi) out->hi = t->data[i];
    }
    return true;
}

/* Brightness 0..1 of pixel (y, x), scaled to the image's own range (0 outside). */
static double px(const Img *im, int y, int x)
{
    if (y < 0 || y >= im->h || x < 0 || x >= im->w) return 0;
    double v = im->p[(size_t)y * im->w + x];
    return im->hi > im->lo ? (v - im->lo) / (im->hi - im->lo) : 0;
}

/* Terminal: one character a column and two pixel rows: ▀ with the top pixel as the
** foreground and the bottom one as the background (256-colour grey) on a terminal;
** otherwise █ ▀ ▄ or a space by which half is bright. */
static void show_terminal(Sb *b, const Img *im, int nim, bool color)
{
    int h = 0;
    for (int k = 0; k < nim; k++) if (im[k].h > h) h = im[k].h;
    for (int y = 0; y < h; y += 2) {
        for (int k = 0; k < nim; k++) {
            if (k) sb_puts(b, "  ");
            for (int x = 0; x < im[k].w; x++) {
                double t = px(&im[k], y, x), u = px(&im[k], y + 1, x);
                if (color) sb_printf(b, "\x1b[38;5;%dm\x1b[48;5;%dm▀", 232 + (int)(t * 23 + 0.5), 232 + (int)(u * 23 + 0.5));
                else sb_puts(b, t >= 0.5 ? (u >= 0.5 ? "█" : "▀") : (u >= 0.5 ? "▄" : " "));
            }
            if (color) sb_puts(b, "\x1b[0m");
        }
        sb_putc(b, '\n');
    }
}

static void show_svg(Sb *b, const Img *im, int nim, int scale)
{
    int W = 0, H = 0;
    for (int k = 0; k < nim; k++) { W += im[k].w * scale + (k ? scale * 2 : 0); if (im[k].h > H) H = im[k].h; }
    H *= scale;
    sb_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
              "width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"black\"/>\n", W, H);
    int ox = 0;
    for (int k = 0; k < nim; k++) {
        for (int y = 0; y < im[k].h; y++)
            for (int x = 0; x < im[k].w; x++) {
                int g = (int)(px(&im[k], y, x) * 255 + 0.5);
                if (g) sb_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\"/>\n",
                                 ox + x * scale, y * scale, scale, scale, g, g, g);
            }
        ox += im[k].w * scale + scale * 2;
    }
    sb_puts(b, "</svg>\n");
}

/* show_image(img or [img, ...], file = none, scale = 8) */
static Value b_show_image(Interp *I, Args *a)
{
    const char *file = NULL;
    long scale = 8;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, (const char *const[]){ "file", "scale", NULL }) ||
        !lib_kwstr(I, a, "file", &file) || !lib_kwint(I, a, "scale", &scale))
        return VERR;
    if (scale < 1 || scale > 64) return err_raise(I, "show_image: scale must be from 1 to 64 (got %ld)", scale);
    Value v = a->v[0];
    int nim = IS_LIST(v) ? (int)AS_LIST(v)->n : 1;
    if (nim < 1 || nim > 64) return err_raise(I, "show_image: 1 to 64 images (got %d)", nim);
    Img *im = xmalloc((size_t)nim * sizeof *im);
    for (int k = 0; k < nim; k++)
        if (!image_of(I, IS_LIST(v) ? AS_LIST(v)->v[k] : v, k, &im[k], "show_image")) { free(im); return VERR; }
    if (file && !lib_path_at(I, a, &file, LIB_WRITE)) { free(im); return VERR; }
    Sb b; sb_init(&b);
    Value r = VNONE;
    if (file) {
        show_svg(&b, im, nim, (int)scale);
        FILE *f = fopen(file, "w");
        if (!f || fwrite(b.s, 1, b.n, f) != b.n || fclose(f) != 0) {
            if (f) fclose(f);
            r = err_raise(I, "show_image: cannot write '%s'", file);
        }
    } else {
        show_terminal(&b, im, nim, I->tty && I->out == stdout && !getenv("NO_COLOR"));
        fwrite(b.s, 1, b.n, I->out);
    }
    sb_free(&b);
    free(im);
    return r;
}

/* clock(): seconds on a monotonic clock, for timing a protocol. */
static Value b_clock(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 0, 0)) return VERR;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return VNUM((double)t.tv_sec + (double)t.tv_nsec * 1e-9);
}

static const LibReg fns[] = {
    {"clock", b_clock, "clock()",
     "Seconds on a monotonic clock (from an arbitrary start): the difference of two calls times\n"
     "what ran between them.",
     "t0 = clock(); s = sum(1..1000); print(clock() - t0 >= 0)   # -> true", 0},
    {"losses", b_losses, "losses(m, data, loss = auto)",
     "Each example's loss under model m, as a tensor of n numbers: the score of a loss-threshold\n"
     "membership-inference attack (Yeom et al. 2018: a training example tends to have a smaller\n"
     "loss than an unseen one).",
     "network n { dense(2, 2); softmax }; m = model(n); d = dataset(tensor([[0, 1], [1, 0]]), tensor([0, 1])); print(len(losses(m, d)))\n"
     "# -> 2",
     0},
    {"input_grad", b_input_grad, "input_grad(m, x, y, loss = auto)",
     "The gradient of the loss of m on input x with label y, with respect to x (same shape as x):\n"
     "x one example and y its label, or x a batch (n × ...) and y a tensor of n labels.  Gradient\n"
     "descent on x with it is model inversion (Fredrikson et al. 2015): an input the model finds\n"
     "most typical of a class.",
     "network n { dense(4, 3); softmax }; m = model(n); g = input_grad(m, tensor([1, 0, 0, 1]), 2); print(shape(g))\n"
     "# -> [4]",
     0},
    {"auc", b_auc, "auc(scores, labels)",
     "The area under the ROC curve of scores (higher: more likely positive) against labels 0/1:\n"
     "the probability that a positive outscores a negative, ties counting one half.  0.5 is\n"
     "guessing; an attack's AUC above 0.5 means it tells members from non-members.",
     "print(auc([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]), auc([1, 1, 1, 1], [1, 0, 1, 0]))   # -> 1 0.5", 0},
    {"roc", b_roc, "roc(scores, labels)",
     "The ROC curve of scores against labels 0/1: a record {auc, advantage, threshold, fpr, tpr,\n"
     "thresholds}; advantage is the largest tpr - fpr (the membership advantage of Yeom et al.)\n"
     "and threshold the score that reaches it.",
     "r = roc([0.9, 0.8, 0.3, 0.1], [1, 0, 1, 0]); print(r.auc, r.advantage)   # -> 0.75 0.5", 0},
    {"show_image", b_show_image, "show_image(img or [img, ...], file = none, scale = 8)",
     "Shows images (tensors h × w, 1 × h × w, or a square number of pixels such as 784) side by\n"
     "side, each scaled to its own range: in the terminal with Unicode half blocks (grey levels\n"
     "on a terminal, ▀ ▄ █ otherwise), or as an SVG picture with file = \"x.svg\" (scale pixels a\n"
     "pixel). Pixels must be finite numbers (a nan or infinite pixel is refused, named).",
     "show_image(tensor([[0, 1, 0], [1, 1, 1], [0, 1, 0], [1, 0, 1]]))\n"
     "# -> ▄█▄\n"
     "# -> ▄▀▄", 0},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_attack = { "attack", fns, NULL };
