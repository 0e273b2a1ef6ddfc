/*
** tn.h — dense n-D tensors (up to 4-D) of float32, the plaintext runtime that the
** encrypted and secret-shared runtimes mirror.  float32 because PyTorch trains in
** float32 (same accuracy, half the memory traffic of double; see docs/tensors.md).
** A Tn owns its data.  Shapes are row-major; a scalar is ndim 0 with size 1.
** Functions returning Tn* return a new tensor the caller frees with tn_free, or NULL
** with a message in err (a caller-provided buffer of TN_ERRLEN bytes) on a shape error.
*/
#ifndef TN_H
#define TN_H
#include <stddef.h>
#include <stdint.h>

#define TN_MAXDIM 4
#define TN_ERRLEN 160

typedef struct Tn {
    int ndim;
    int shape[TN_MAXDIM];
    size_t size;            /* product of shape */
    float *data;            /* 64-byte aligned */
} Tn;

Tn  *tn_new(int ndim, const int *shape);          /* zero-filled */
Tn  *tn_copy(const Tn *t);
void tn_free(Tn *t);

#endif
