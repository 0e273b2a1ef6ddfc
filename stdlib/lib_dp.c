/*
** lib_dp.c — builtins of the 'dp' module (placeholder table until the module lands).
*/
#include "lib.h"

static const LibReg fns[] = { { NULL, NULL, NULL, NULL, NULL } };
const LibModule lib_mod_dp = { "dp", fns, NULL };
