/*
** strbuf.h — a growable string buffer, used to build messages, value displays and files.
** Always NUL-terminated; aborts on out-of-memory.
*/
#ifndef SB_H
#define SB_H
#include <stdarg.h>
#include <stddef.h>

typedef struct Sb { char *s; size_t n, cap; } Sb;

void  sb_init(Sb *b);
void  sb_free(Sb *b);
void  sb_putc(Sb *b, char c);
void  sb_put(Sb *b, const char *s, size_t n);
void  sb_puts(Sb *b, const char *s);
void  sb_printf(Sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void  sb_vprintf(Sb *b, const char *fmt, va_list ap);
/* Appends a number the way ppdl prints numbers: integers without ".0", others with
** up to 6 significant digits (%.6g), inf/nan spelled "inf"/"nan". */
void  sb_num(Sb *b, double x);
/* Hands the string to the caller (who frees it) and resets the buffer. */
char *sb_take(Sb *b);

#endif
