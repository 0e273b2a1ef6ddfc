/*
** sym.c — the identifier interning table (see sym.h): open addressing over FNV-1a
** hashes, doubled at half load, plus an id-indexed array for reverse lookup.
*/
#include "sym.h"
#include "mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t fnv(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 16777619u; }
    return h;
}

void sym_init(SymTab *t)
{
    t->cap = 256; t->count = 0;
    t->slots = xcalloc(t->cap, sizeof *t->slots);
    t->byid = xrealloc(NULL, t->cap * sizeof *t->byid);
}

void sym_free(SymTab *t)
{
    for (uint32_t i = 0; i < t->count; i++) free(t->byid[i]);
    free(t->slots); free(t->byid);
    t->slots = t->byid = NULL; t->cap = t->count = 0;
}

static void grow(SymTab *t)
{
    uint32_t ncap = t->cap * 2;
    Sym **ns = xcalloc(ncap, sizeof *ns);
    for (uint32_t i = 0; i < t->count; i++) {
        Sym *s = t->byid[i];
        uint32_t j = s->hash & (ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        ns[j] = s;
    }
    free(t->slots);
    t->slots = ns; t->cap = ncap;
    t->byid = xrealloc(t->byid, ncap * sizeof *t->byid);
}

Sym *sym_intern(SymTab *t, const char *s, size_t len)
{
    uint32_t h = fnv(s, len), j = h & (t->cap - 1);
    for (Sym *e; (e = t->slots[j]); j = (j + 1) & (t->cap - 1))
        if (e->hash == h && e->len == len && memcmp(e->name, s, len) == 0) return e;
    Sym *n = xrealloc(NULL, sizeof *n + len + 1);
    n->id = t->count; n->len = (uint32_t)len; n->hash = h;
    memcpy(n->name, s, len); n->name[len] = 0;
    t->slots[j] = n;
    t->byid[t->count++] = n;
    if (t->count * 2 >= t->cap) grow(t);
    return n;
}

Sym *sym_cstr(SymTab *t, const char *s) { return sym_intern(t, s, strlen(s)); }

Sym *sym_byid(const SymTab *t, uint32_t id) { return id < t->count ? t->byid[id] : NULL; }
