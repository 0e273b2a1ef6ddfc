/*
** tensor.h — dense n-D tensors (up to 4-D) of float32, the plaintext runtime that the
** encrypted and secret-shared runtimes mirror.  float32 because PyTorch trains in
** float32 (same accuracy, half the memory traffic of double; see docs/tensors.md).
** A Tn owns its data.  Shapes are row-major; a scalar is ndim 0 with size 1.
** Functions returning Tn* return a new tensor the caller frees with tn_free, or NULL
** with err set (runtime/error.h: a code and a message) on a shape error.
** Functions returning int return 0 on success, -1 with err set.
**
** Files: tensor.c (allocation, shapes, constructors, initialisers, reshape, transpose,
** indexing, concat/stack), tensor_ops.c (elementwise ops with numpy broadcasting, unary
** maps, reductions, matrix products through CBLAS), tensor_show.c (numpy-like printing).
** This layer knows nothing of the interpreter: no Values, no parties (a value's owner
** lives on the Value), no global state.  Long kernels poll an optional stop flag
** (the interpreter's SIGINT flag) and fail with "interrupted" when it is set.
*/
#ifndef TN_H
#define TN_H
#include "error.h"
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rng.h"
#include "strbuf.h"

#define TN_MAXDIM 4
#define TN_MAXSIZE ((size_t)1 << 30)   /* elements (4 GiB): larger is an error, not OOM */
/* The limit in force: TN_MAXSIZE unless lowered (the fuzz target lowers it, so that one
** input cannot spend its time filling gigabytes). */
extern size_t tn_max_size;
#define TN_ALL INT_MIN                 /* "every axis" for tn_reduce */

typedef struct Tn {
    int ndim;
    int shape[TN_MAXDIM];
    size_t size;            /* product of shape */
    float *data;            /* 64-byte aligned */
} Tn;

typedef volatile sig_atomic_t TnStop;  /* non-zero: stop the kernel */

/* --- allocation and shapes (tensor.c) --- */
Tn  *tn_new(int ndim, const int *shape);          /* zero-filled */
Tn  *tn_empty(int ndim, const int *shape);        /* contents undefined: fill it all */
Tn  *tn_copy(const Tn *t);
void tn_free(Tn *t);
/* Checks 0 <= ndim <= TN_MAXDIM, every dim >= 0 and size <= tn_max_size. */
int  tn_shape_check(int ndim, const int *shape, RtErr *err);
/* Writes "[2, 3]" (a scalar: "[]") into buf of n bytes; returns buf. */
char *tn_shape_fmt(char *buf, size_t n, int ndim, const int *shape);
bool tn_same_shape(const Tn *a, const Tn *b);
/* Normalises *axis for a tensor of ndim axes (-1 is the last); error when out of range. */
int  tn_axis(int *axis, int ndim, RtErr *err);

/* --- constructors (tensor.c): shapes must have passed tn_shape_check --- */
Tn  *tn_scalar(float x);                           /* ndim 0 */
Tn  *tn_new2(int rows, int cols);                  /* zero-filled matrix */
Tn  *tn_full(int ndim, const int *shape, float x);
Tn  *tn_from(int ndim, const int *shape, const float *data);   /* copies data */
/* numpy's arange: start, start+step, ... below stop (above it when step < 0). */
Tn  *tn_arange(double start, double stop, double step, RtErr *err);
Tn  *tn_eye(int n, int m);                         /* n × m, ones on the diagonal */

/* --- random initialisers (tensor.c): every element drawn from r --- */
void tn_fill_uniform(Tn *t, Rng *r, double lo, double hi);    /* [lo, hi) */
void tn_fill_normal(Tn *t, Rng *r, double mean, double std);
/* Glorot/Xavier uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)). */
void tn_fill_xavier(Tn *t, Rng *r, int fan_in, int fan_out);
/* He/Kaiming normal: N(0, 2 / fan_in), PyTorch's kaiming_normal_ for ReLU. */
void tn_fill_he(Tn *t, Rng *r, int fan_in);

/* --- shape manipulation (tensor.c): results are copies --- */
/* New shape with the same number of elements; at most one dim may be -1 (inferred). */
Tn  *tn_reshape(const Tn *a, int ndim, const int *shape, RtErr *err);
/* The same, changing a's shape in place (no copy). */
int  tn_reshape_inplace(Tn *a, int ndim, const int *shape, RtErr *err);
Tn  *tn_transpose(const Tn *a);                    /* reverses the axes (numpy's .T) */
/* Axis i of the result is axis perm[i] of a; perm is a permutation of 0..ndim-1. */
Tn  *tn_permute(const Tn *a, const int *perm, RtErr *err);
/* Joins n >= 1 tensors along an existing axis (concat) or a new one (stack). */
Tn  *tn_concat(int n, const Tn *const *ts, int axis, RtErr *err);
Tn  *tn_stack(int n, const Tn *const *ts, int axis, RtErr *err);
/* Rows rows[0..n) of a along axis 0 (each in range), e.g. a shuffled minibatch. */
Tn  *tn_take_rows(const Tn *a, const int *rows, int n);

/* --- indexing (tensor.c) --- */
/* One index item per leading axis: an integer (the axis is dropped) or a slice
** start:stop with Python's rules (negative counts from the end; slices clamp). */
typedef struct TnIndex {
    bool slice;
    bool has_start, has_stop;   /* slices: false means "from the start" / "to the end" */
    long start, stop;           /* integer index in start */
} TnIndex;
/* a[ix0, ix1, ...] for n <= ndim items (the remaining axes are taken whole). */
Tn  *tn_index(const Tn *a, int n, const TnIndex *ix, RtErr *err);
/* a[ix...] = v, where v broadcasts to the selected region's shape. */
int  tn_index_set(Tn *a, int n, const TnIndex *ix, const Tn *v, RtErr *err);
/* The same with a number on the right. */
int  tn_index_fill(Tn *a, int n, const TnIndex *ix, float v, RtErr *err);

/* --- elementwise (tensor_ops.c) --- */
typedef enum TnOp {
    TN_ADD, TN_SUB, TN_MUL, TN_DIV, TN_MOD, TN_POW,
    TN_EQ, TN_NE, TN_LT, TN_LE, TN_GT, TN_GE,        /* results are 1 or 0 */
    TN_MAXIMUM, TN_MINIMUM
} TnOp;
/* The semantics of one op on two floats (MOD takes the sign of y, as in Python). */
float tn_op1(TnOp op, float x, float y);
/* numpy broadcasting of two shapes into out (TN_MAXDIM ints); error if they clash. */
int  tn_broadcast(int na, const int *sa, int nb, const int *sb, int *nout, int *out, RtErr *err);
Tn  *tn_binop(TnOp op, const Tn *a, const Tn *b, RtErr *err);
/* a op s, or s op a when s_left; never fails. */
Tn  *tn_binop_s(TnOp op, const Tn *a, float s, bool s_left);
/* a = a op b where b broadcasts to a's shape (a keeps its shape). */
int  tn_binop_inplace(TnOp op, Tn *a, const Tn *b, RtErr *err);
void tn_binop_s_inplace(TnOp op, Tn *a, float s);

typedef enum TnFn {
    TN_NEG, TN_EXP, TN_LOG, TN_SQRT, TN_ABS, TN_TANH, TN_SIGMOID, TN_RELU,
    TN_SIGN, TN_SQUARE
} TnFn;
float tn_fn1(TnFn f, float x);                     /* one element */
Tn  *tn_map(TnFn f, const Tn *a);
void tn_map_inplace(TnFn f, Tn *a);

/* --- reductions (tensor_ops.c) --- */
typedef enum TnRed { TN_SUM, TN_MEAN, TN_MAX, TN_MIN, TN_ARGMAX, TN_ARGMIN } TnRed;
/* Reduces along axis (negative counts from the end) or over everything (TN_ALL, giving
** a scalar, or all-ones dims when keepdims).  Sums accumulate in double.  ARG* give
** indices as floats (flat indices for TN_ALL).  max/min of nothing is an error. */
Tn  *tn_reduce(TnRed r, const Tn *a, int axis, bool keepdims, RtErr *err);
double tn_sum(const Tn *a);                        /* sum of every element, in double */

/* --- matrix products (tensor_ops.c, through CBLAS) --- */
/* numpy's matmul: 1-D @ 1-D is a scalar, 1-D operands are promoted and the added axis
** removed, dims before the last two are batch dims and broadcast. */
Tn  *tn_matmul(const Tn *a, const Tn *b, TnStop *stop, RtErr *err);
/* c = alpha * op(a) @ op(b) + beta * c for matrices, op(x) = x^T when the flag is set;
** c must already have the result's shape. */
int  tn_gemm(bool ta, bool tb, float alpha, const Tn *a, const Tn *b, float beta, Tn *c,
             RtErr *err);

/* --- comparison and printing (tensor_show.c) --- */
/* Same shape and |a - b| <= atol + rtol * |b| everywhere (NaNs never close). */
bool tn_allclose(const Tn *a, const Tn *b, float rtol, float atol);
/* Appends a numpy-like display: nested brackets, aligned columns, rows wrapped at 75
** columns, large tensors (> 1000 elements) elided to 3 edge items per axis.  With
** wrap (e.g. "tensor") the display reads tensor([[1, 2],\n        [3, 4]]). */
void tn_show(Sb *out, const Tn *t, const char *wrap);

#endif
