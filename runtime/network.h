/*
** network.h — neural networks in plaintext: layer descriptions (NnNet), models with their
** weights (NnModel), forward and backward passes, losses, optimisers, one training step
** and one epoch, DP-SGD mechanics (Poisson sampling, per-example clipping with "ghost"
** norms for dense layers, Gaussian noise), the polynomial stand-ins for sigmoid and tanh
** that the HE and MPC runtimes share, and the model file format (network_io.c).  This module
** does not own datasets (dataset.h), the privacy accountant or the budget ledger (dp module),
** nor any interpreter value: stdlib/lib_network.c wraps it.
**
** Memory layout.  All parameters of a model live in ONE flat float32 vector m->w (the
** gradient in m->g, optimiser state in m->m1/m->m2, same layout), so that optimisers,
** noise, norms and federated averaging are single loops.  Layer l's weights start at
** net->layer[l].woff and its bias at .boff:
**   dense(in, out):        W is in × out (row-major, y = x @ W + b, numpy's convention)
**   conv2d(ci, co, k):     W is co × ci × k × k, b is co; activations are NCHW
** Activations are row-major, one example per row: B × (per-example size).
**
** Errors: functions returning int give 0 on success and -1 with err set (runtime/error.h:
** a code and a message).  Nothing here longjmps; nothing prints.
*/
#ifndef NN_H
#define NN_H
#include "error.h"
#include <stdbool.h>
#include <stddef.h>
#include "rng.h"
#include "strbuf.h"
#include "tensor.h"

#define NN_MAXDEG 31            /* highest degree of a polynomial activation */
#define NN_MAXWIDTH 1000000     /* largest features, channels, kernel or stride of a layer */
#define NN_MAXPAD 1000          /* largest conv2d padding */
#define NN_MAXPARAMS ((size_t)1 << 26)  /* parameters of a model (256 MiB of float32 each
                                        ** for weights, gradient and two optimiser moments) */

typedef enum NnKind {
    NN_DENSE, NN_CONV2D, NN_MAXPOOL2D, NN_FLATTEN, NN_DROPOUT,
    NN_RELU, NN_SIGMOID, NN_TANH, NN_SOFTMAX,
    NN_SQUARE                           /* x², CryptoNets' activation (a product, no comparison) */
} NnKind;

typedef enum NnFn { NN_FN_SIGMOID, NN_FN_TANH } NnFn;
typedef enum NnApproxKind { NN_APPROX_NONE, NN_APPROX_TAYLOR, NN_APPROX_INTERVAL } NnApproxKind;

/* A polynomial stand-in p(x) = coef[0] + coef[1] x + ... + coef[degree] x^degree. */
typedef struct NnApprox {
    NnApproxKind kind;
    int degree;
    double lo, hi;                      /* the fitting interval (NN_APPROX_INTERVAL) */
    double coef[NN_MAXDEG + 1];
} NnApprox;

typedef struct NnLayer {
    NnKind kind;
    int in, out;                        /* dense: features; conv2d: channels */
    int k, stride, pad;                 /* conv2d kernel; maxpool2d window (= stride) */
    double p;                           /* dropout: probability of dropping */
    NnApprox approx;                    /* sigmoid/tanh: polynomial when kind != NONE */
    size_t woff, wlen, boff, blen;      /* parameter layout (set by nn_net_new) */
} NnLayer;

typedef struct NnNet {
    char *name;
    int n;
    NnLayer *layer;
    size_t nparams;
} NnNet;

typedef enum NnLoss { NN_LOSS_AUTO, NN_LOSS_MSE, NN_LOSS_BCE, NN_LOSS_CE } NnLoss;
typedef enum NnOpt { NN_OPT_SGD, NN_OPT_MOMENTUM, NN_OPT_ADAM } NnOpt;

typedef struct NnWork NnWork;           /* activations and scratch (end of this file) */

typedef struct NnModel {
    NnNet *net;                         /* owned copy */
    float *w, *g;                       /* parameters and gradient, nparams each */
    float *m1, *m2;                     /* optimiser state, NULL until first needed */
    int opt_kind;                       /* which optimiser m1/m2 belong to, -1: none */
    long t;                             /* Adam's step counter */
    NnWork *ws;
} NnModel;

/* --- polynomial activations (shared with the HE and MPC runtimes) --- */

/* Taylor coefficients of fn around 0 up to degree (1..NN_MAXDEG) into coef[0..degree].
** Returns 0, or -1 for a degree out of range. */
int    nn_poly_fit_taylor(NnFn fn, int degree, double *coef);
/* Chebyshev interpolation of fn on [lo, hi] at degree + 1 Chebyshev nodes (a near-minimax
** fit), converted to monomial coefficients in x.  Returns 0, or -1 for bad arguments. */
int    nn_poly_fit_interval(NnFn fn, int degree, double lo, double hi, double *coef);
/* Horner's rule: coef[0] + x (coef[1] + x (... coef[degree])). */
double nn_poly_eval(const double *coef, int degree, double x);
/* Fills a->coef from a->kind, a->degree (and lo, hi).  Returns 0 or -1 with err. */
int    nn_approx_fit(NnFn fn, NnApprox *a, RtErr *err);
/* The exact function, for comparisons. */
double nn_fn_exact(NnFn fn, double x);

/* --- networks --- */

/* Copies and validates n layer descriptions (fitting polynomial coefficients) and
** computes the parameter layout.  NULL with err on a bad layer: a size outside
** 1..NN_MAXWIDTH, padding outside 0..NN_MAXPAD, or more than NN_MAXPARAMS parameters. */
NnNet *nn_net_new(const char *name, int n, const NnLayer *layers, RtErr *err);
NnNet *nn_net_copy(const NnNet *net);
void   nn_net_free(NnNet *net);
const char *nn_kind_name(NnKind k);
/* Appends "dense(784, 128)", "sigmoid(approx = taylor(degree = 3))", ... */
void   nn_layer_show(const NnLayer *l, Sb *out);
/* The loss that fits the last layer: ce after softmax, bce after sigmoid, else ce when
** nclasses > 1 (on logits) and mse otherwise. */
NnLoss nn_default_loss(const NnNet *net, int nclasses);
const char *nn_loss_name(NnLoss l);

/* --- models --- */

/* Weights initialised from r: He (normal, sd sqrt(2/fan_in)) for a layer followed by
** relu, Xavier (uniform, ±sqrt(6/(fan_in+fan_out))) otherwise; biases zero. */
NnModel *nn_model_new(const NnNet *net, Rng *r);
NnModel *nn_model_copy(const NnModel *m);       /* weights only, no optimiser state */
void     nn_model_free(NnModel *m);
/* Layer l's weight / bias as a new tensor (shapes as in the layout above); NULL when the
** layer has no parameters. */
Tn      *nn_model_weight(const NnModel *m, int l);
Tn      *nn_model_bias(const NnModel *m, int l);
/* Replaces layer l's weight or bias from t (same size).  0 or -1 with err. */
int      nn_model_set_weight(NnModel *m, int l, const Tn *t, RtErr *err);
int      nn_model_set_bias(NnModel *m, int l, const Tn *t, RtErr *err);
/* Drops the optimiser state (momentum, Adam moments). */
void     nn_model_reset_opt(NnModel *m);

/* Threads OpenBLAS may use for the matrix products (1: single-threaded). */
void  nn_set_threads(int n);

/* --- forward and backward (binding in network.c, the passes in network_pass.c) --- */

/* Checks that per-example inputs of shape in_shape[0..in_ndim) (1-D features or 3-D
** c × h × w; a 1-D input of size c·s·s feeds a conv2d(c, ...) as c × s × s) fit the
** network, and sizes the workspace for batches up to maxb.  Returns 0 or -1 with err
** naming the layer that does not fit, or whose activations (maxb examples) or im2col
** buffer would exceed TN_MAXSIZE elements.  The train/evaluate/predict calls below call it. */
int   nn_bind(NnModel *m, int in_ndim, const int *in_shape, int maxb, RtErr *err);
/* Width of the network's output for the bound input (after nn_bind). */
int   nn_out_width(const NnModel *m);
/* Runs B examples (x: B rows) forward; train enables dropout (drawing from r).  Returns
** a pointer to the B × out_width outputs, valid until the next call. */
const float *nn_forward(NnModel *m, const float *x, int B, bool train, Rng *r);
/* Forward and backward on one batch.  y holds B labels (class indices, or targets).
** clip <= 0: m->g = gradient of the mean loss.  clip > 0 (DP-SGD): m->g = sum over the
** batch of each example's gradient scaled by min(1, clip/||g_i||), with ||g_i|| from
** ghost norms for dense layers and materialised per-example gradients for conv2d;
** norms (B floats, may be NULL) receives the unclipped ||g_i||.  *loss_sum and *correct
** (may be NULL) get the summed loss and the number of correct predictions. */
int   nn_backprop(NnModel *m, const float *x, const float *y, int B, int nclasses,
                  NnLoss loss, double clip, float *norms, Rng *r,
                  double *loss_sum, long *correct, RtErr *err);
/* Forward without dropout and the loss on one batch: *loss_sum, *correct as above. */
int   nn_loss_eval(NnModel *m, const float *x, const float *y, int B, int nclasses,
                   NnLoss loss, double *loss_sum, long *correct, RtErr *err);
/* The gradient of each example's loss with respect to its input (no dropout): out
** (B × per-example input size) gets d loss(f(x_i), y_i) / d x_i, and *loss_sum (may be
** NULL) the summed loss.  What an attacker with the model computes for model inversion
** and gradient-based attacks. */
int   nn_input_grad(NnModel *m, const float *x, const float *y, int B, int nclasses,
                    NnLoss loss, float *out, double *loss_sum, RtErr *err);
/* Per-example gradients by brute force (B backward passes of one example each) into
** out (B × nparams) — the reference that ghost clipping is tested against. */
int   nn_per_example_grads(NnModel *m, const float *x, const float *y, int B, int nclasses,
                           NnLoss loss, float *out, RtErr *err);

/* --- training (network_train.c) --- */

typedef struct NnTrainCfg {
    NnLoss loss;
    NnOpt opt;
    double lr, momentum, beta1, beta2, eps;
    int batch;                          /* batch size (DP: the expected batch size) */
    double clip, noise;                 /* DP-SGD when clip > 0: C and sigma */
    bool shuffle;                       /* DP-SGD on shuffled fixed-size batches instead
                                           of Poisson sampling (what the accountant
                                           assumes); the sum is divided by the batch */
} NnTrainCfg;

typedef struct NnEpochStats {
    double loss;                        /* mean training loss over the examples seen */
    double accuracy;                    /* fraction correct (NaN for regression) */
    long steps, seen;
    bool stopped;                       /* tick asked to stop */
} NnEpochStats;

/* Called after every step; returns false to stop the epoch (Ctrl-C). */
typedef bool (*NnTick)(void *ctx, long step, long nsteps, double loss);

/* lr 0.01, sgd, momentum 0.9, Adam (0.9, 0.999, 1e-8), batch 32, no DP, loss AUTO. */
void  nn_train_defaults(NnTrainCfg *cfg);
/* Applies one optimiser step with m->g. */
void  nn_opt_step(NnModel *m, const NnTrainCfg *cfg);
/* Adds N(0, sd²) to each of the n floats of v, drawing from r in bulk. */
void  nn_add_gaussian(float *v, size_t n, double sd, Rng *r);
/* One step on a batch: backprop, then (DP) noise N(0, (noise·clip)²) added to the
** clipped sum and division by expected_batch, then the optimiser. */
int   nn_train_step(NnModel *m, const float *x, const float *y, int B, int nclasses,
                    const NnTrainCfg *cfg, double expected_batch, Rng *r,
                    double *loss_sum, long *correct, RtErr *err);
/* One epoch over x (n examples, first dimension) and y (n labels).  Without DP: a fresh
** random permutation cut into batches of cfg->batch (the last one smaller).  With DP:
** n / batch steps, each on a Poisson sample (every example independently with
** probability q = batch / n), unless cfg->shuffle.  Returns 0 or -1 with err. */
int   nn_train_epoch(NnModel *m, const Tn *x, const Tn *y, int nclasses,
                     const NnTrainCfg *cfg, Rng *r, NnTick tick, void *ctx,
                     NnEpochStats *st, RtErr *err);
/* Mean loss and accuracy over a whole data set (no dropout). */
int   nn_evaluate(NnModel *m, const Tn *x, const Tn *y, int nclasses, NnLoss loss,
                  double *loss_out, double *acc_out, RtErr *err);
/* Outputs for x (n × ..., or one example): n × out_width (or out_width). */
Tn   *nn_predict(NnModel *m, const Tn *x, RtErr *err);

/* --- model files (network_io.c) --- */

/* Writes the network and weights to path atomically (a temporary file in the same
** directory, fsync, rename).  0 or -1 with err. */
int      nn_save(const NnModel *m, const char *path, RtErr *err);
/* Reads a file written by nn_save; NULL with err naming the file on any defect. */
NnModel *nn_load(const char *path, RtErr *err);

/* --- internal, shared by network.c and network_pass.c (not for other modules) --------- */

struct NnWork {
    int maxb;                   /* batch capacity */
    int in_ndim, in_shape[3];   /* bound per-example input shape */
    int n;                      /* layers */
    int *sz;                    /* per-example size of activation l (0..n) */
    int (*shp)[3];              /* c, h, w of activation l (1-D: {sz, 1, 1}) */
    const float *x;             /* the batch input of the last forward (activation 0) */
    float **act, **grad;        /* activation / delta l (1..n), maxb × sz[l] */
    float **mask;               /* dropout layer l: kept-scale per element */
    int **arg;                  /* maxpool layer l: flat input index of each output */
    uint32_t *bits;             /* dropout random words */
    float *cols, *pex;          /* conv im2col of one example; per-example weight grad */
    float *prob;                /* softmax of logits for the ce loss */
    float *scale;               /* per-example loss/clip scale, maxb */
    double *norm2;              /* per-example squared gradient norms, maxb */
};

/* Reallocates ws's per-batch buffers (activations, deltas, masks, scratch) for batches of
** up to B examples; ws->maxb = B. */
void nn__grow(NnWork *ws, int B);

#endif
