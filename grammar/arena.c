/*
** arena.c — the bump allocator behind each parse unit's AST (see arena.h).  Blocks grow
** geometrically; a request larger than a block gets a block of its own.
*/
#include "arena.h"
#include "mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock { ArenaBlock *next; size_t cap; _Alignas(16) unsigned char data[]; };

void arena_init(Arena *a) { a->head = NULL; a->used = a->cap = 0; }

void *arena_alloc(Arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!a->head || a->used + n > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4096;
        if (cap < n) cap = n;
        ArenaBlock *b = xmalloc(sizeof *b + cap);
        b->next = a->head; b->cap = cap;
        a->head = b; a->used = 0; a->cap = cap;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void arena_free(Arena *a)
{
    ArenaBlock *b = a->head;
    while (b) { ArenaBlock *n = b->next; free(b); b = n; }
    arena_init(a);
}
