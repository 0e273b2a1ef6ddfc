/*
** lib_tensor.h — what the tensor module (stdlib/lib_tensor.c) exports to other stdlib
** modules: a converter from ppdl values to tensors.  Builtins themselves are reached
** through the module table lib_mod_tensor (see lib.h); the evaluator reaches tensor
** operators, indexing, fields and display through the class the module registers for
** the V_TENSOR tag (Interp.tagclass, val.h).  All Values follow val.h's rule: arguments
** are borrowed, results owned; VERR means err_raise() was called.
*/
#ifndef LIB_TENSOR_H
#define LIB_TENSOR_H
#include "lib.h"

/* A new tensor from a number, bool, (nested) list of numbers, range or tensor (copied);
** NULL after raising an error that names what (e.g. "tensor"). */
Tn   *lib_tensor_from(Interp *I, Value v, const char *what);

#endif
