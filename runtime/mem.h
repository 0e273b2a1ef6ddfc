/*
** mem.h — the one allocation funnel.  Every layer (grammar, interp, runtime, stdlib)
** allocates through these: they never return NULL — out of memory prints
** "ppdl: out of memory" and aborts, in one place — and a request for zero bytes gets
** a valid, freeable block.  Memory that held a secret (keys, masks, shares) is given
** back with xfree_wipe, which zeroes it first in a way the compiler cannot drop.
** What this file does not own: arenas (grammar/arena.c) and GMP's limbs.
*/
#ifndef MEM_H
#define MEM_H
#include <stddef.h>

/* Aborts the process with "ppdl: out of memory" on stderr; for the few places that
** allocate through another library (aligned_alloc, GMP exports, msgpack buffers). */
_Noreturn void mem_oom(void);

/* malloc, calloc, realloc and strdup that never return NULL (see above); the one
** exception is xstrdup(NULL), which is NULL, so optional strings copy in one call. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* The first n bytes of s (fewer when s is shorter), NUL-terminated. */
char *xstrndup(const char *s, size_t n);

/* Zeroes n bytes at p (sodium_memzero), then frees p; p may be NULL. */
void  xfree_wipe(void *p, size_t n);

#endif
