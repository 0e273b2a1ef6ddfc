/*
** mem.c — the allocation funnel (see mem.h).  Owns the out-of-memory policy: one
** message, then abort, so that no caller has a NULL to forget to check.
*/
#include "mem.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void mem_oom(void)
{
    fputs("ppdl: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) mem_oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) mem_oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) mem_oom();
    return q;
}

char *xstrdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

char *xstrndup(const char *s, size_t n)
{
    size_t k = strnlen(s, n);
    char *d = xmalloc(k + 1);
    memcpy(d, s, k);
    d[k] = 0;
    return d;
}

void xfree_wipe(void *p, size_t n)
{
    if (!p) return;
    sodium_memzero(p, n);
    free(p);
}
