/*
** arena.h — bump allocator for the AST of one parse unit.  Everything a parse builds
** (nodes, lists, unescaped strings) lives in one arena and is freed in one go with
** arena_free().  Not for values: those are reference counted in interp/.
*/
#ifndef ARENA_H
#define ARENA_H
#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena { ArenaBlock *head; size_t used, cap; } Arena;

void  arena_init(Arena *a);
/* Returns zeroed memory aligned for any type; aborts on out-of-memory. */
void *arena_alloc(Arena *a, size_t n);
/* Copies n bytes into the arena and NUL-terminates them. */
char *arena_strndup(Arena *a, const char *s, size_t n);
void  arena_free(Arena *a);

#endif
