/*
** strbuf.c — the growable string buffer (see strbuf.h).
*/
#include "strbuf.h"
#include "mem.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(Sb *b, size_t extra)
{
    if (b->n + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->n + extra + 1) cap *= 2;
    char *s = xrealloc(b->s, cap);
    b->s = s; b->cap = cap;
}

void sb_init(Sb *b) { b->s = NULL; b->n = b->cap = 0; reserve(b, 0); b->s[0] = 0; }
void sb_free(Sb *b) { free(b->s); b->s = NULL; b->n = b->cap = 0; }
void sb_putc(Sb *b, char c) { reserve(b, 1); b->s[b->n++] = c; b->s[b->n] = 0; }
void sb_put(Sb *b, const char *s, size_t n)
{
    reserve(b, n); memcpy(b->s + b->n, s, n); b->n += n; b->s[b->n] = 0;
}
void sb_puts(Sb *b, const char *s) { sb_put(b, s, strlen(s)); }

void sb_vprintf(Sb *b, const char *fmt, va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int k = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (k < 0) return;
    reserve(b, (size_t)k);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    b->n += (size_t)k;
}

void sb_printf(Sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

void sb_num(Sb *b, double x)
{
    if (isnan(x)) { sb_puts(b, "nan"); return; }
    if (isinf(x)) { sb_puts(b, x < 0 ? "-inf" : "inf"); return; }
    if (x == floor(x) && fabs(x) < 1e15) { sb_printf(b, "%.0f", x == 0 ? 0.0 : x); return; }
    sb_printf(b, "%.6g", x);
}

char *sb_take(Sb *b)
{
    char *s = b->s;
    b->s = NULL; b->n = b->cap = 0;
    return s;
}
