/*
** lib_party.c — builtins of the 'party' module (placeholder table until the module lands).
*/
#include "lib.h"

static const LibReg fns[] = { { NULL, NULL, NULL, NULL, NULL } };
const LibModule lib_mod_party = { "party", fns, NULL };
