/*
** lib_data.c — builtins of the 'data' module (placeholder table until the module lands).
*/
#include "lib.h"

static const LibReg fns[] = { { NULL, NULL, NULL, NULL, NULL } };
const LibModule lib_mod_data = { "data", fns, NULL };
