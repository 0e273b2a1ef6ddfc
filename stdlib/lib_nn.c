/*
** lib_nn.c — builtins of the 'nn' module (placeholder table until the module lands).
*/
#include "lib.h"

static const LibReg fns[] = { { NULL, NULL, NULL, NULL, NULL } };
const LibModule lib_mod_nn = { "nn", fns, NULL };
