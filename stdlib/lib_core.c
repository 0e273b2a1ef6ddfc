/*
** lib_core.c — builtins of the 'core' module (placeholder table until the module lands).
*/
#include "lib.h"

static const LibReg fns[] = { { NULL, NULL, NULL, NULL, NULL } };
const LibModule lib_mod_core = { "core", fns, NULL };
