/*
** lib_he.c — builtins of the 'he' module (placeholder table until the module lands).
*/
#include "lib.h"

static const LibReg fns[] = { { NULL, NULL, NULL, NULL, NULL } };
const LibModule lib_mod_he = { "he", fns, NULL };
