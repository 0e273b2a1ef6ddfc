/*
** lib_tensor.c — builtins of the 'tensor' module (placeholder table until the module lands).
*/
#include "lib.h"

static const LibReg fns[] = { { NULL, NULL, NULL, NULL, NULL } };
const LibModule lib_mod_tensor = { "tensor", fns, NULL };
