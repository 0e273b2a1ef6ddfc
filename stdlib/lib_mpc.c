/*
** lib_mpc.c — builtins of the 'mpc' module (placeholder table until the module lands).
*/
#include "lib.h"

static const LibReg fns[] = { { NULL, NULL, NULL, NULL, NULL } };
const LibModule lib_mod_mpc = { "mpc", fns, NULL };
