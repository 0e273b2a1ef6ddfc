/*
** embed.c — looks up the ppdl libraries compiled into the binary (see embed.h).  It
** does not run them: interp/ev_run.c imports them like files.
*/
#include "embed.h"
#include <string.h>

const EmbeddedLib *embed_find(const char *name)
{
    for (const EmbeddedLib *l = embedded_libs; l->name; l++)
        if (strcmp(l->name, name) == 0) return l;
    return NULL;
}
