/*
** lib_tensor.h — what the tensor module (stdlib/lib_tensor.c) exports to the evaluator
** and to other stdlib modules: operators on tensors, indexing, display, and a converter
** from ppdl values to tensors.  Builtins themselves are reached through the module
** table lib_mod_tensor (see lib.h).  All Values follow val.h's rule: arguments are
** borrowed, results owned; VERR means err_raise() was called.
*/
#ifndef LIB_TENSOR_H
#define LIB_TENSOR_H
#include "lib.h"

/* a op b for an OpKind (OP_ADD .. OP_GE, OP_MATMUL) where a or b is a tensor and the
** other a tensor, number or bool: elementwise with broadcasting, comparisons give 1/0
** tensors, @ is numpy's matmul (a 1-D @ 1-D product is a number).  Owner: the
** operands' non-zero owner (the evaluator has already checked they agree). */
Value lib_tensor_binop(Interp *I, int op, Value a, Value b);
/* OP_NEG (a negated copy) and OP_POS (a copy) of a tensor; OP_NOT is an error. */
Value lib_tensor_unop(Interp *I, int op, Value a);
/* t[items]: items[i] is the i-th index node (N_SLICE or an expression) and
** vals[2i], vals[2i+1] its evaluated parts (a slice's start and stop, VNONE when
** omitted; an index's value and VNONE).  All-integer indexing gives a number. */
Value lib_tensor_getindex(Interp *I, Value t, int n, Node **items, Value *vals);
/* Appends the display of t: tensor([[1, 2],\n        [3, 4]]), numpy-like. */
void  lib_tensor_show(const Tn *t, Sb *out);
/* A new tensor from a number, bool, (nested) list of numbers, range or tensor (copied);
** NULL after raising an error that names what (e.g. "tensor"). */
Tn   *lib_tensor_from(Interp *I, Value v, const char *what);

#endif
