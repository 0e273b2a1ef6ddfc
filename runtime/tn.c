/*
** tn.c — tensor allocation (see tn.h).  Kernels live in tn_ops.c and friends.
*/
#include "tn.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Tn *tn_new(int ndim, const int *shape)
{
    Tn *t = calloc(1, sizeof *t);
    if (!t) { fputs("ppdl: out of memory\n", stderr); abort(); }
    t->ndim = ndim; t->size = 1;
    for (int i = 0; i < ndim; i++) { t->shape[i] = shape[i]; t->size *= (size_t)shape[i]; }
    size_t bytes = (t->size * sizeof(float) + 63) & ~(size_t)63;
    t->data = aligned_alloc(64, bytes ? bytes : 64);
    if (!t->data) { fputs("ppdl: out of memory\n", stderr); abort(); }
    memset(t->data, 0, bytes ? bytes : 64);
    return t;
}

Tn *tn_copy(const Tn *t)
{
    Tn *c = tn_new(t->ndim, t->shape);
    memcpy(c->data, t->data, t->size * sizeof(float));
    return c;
}

void tn_free(Tn *t)
{
    if (!t) return;
    free(t->data);
    free(t);
}
