/*
** src.h — a source text (a file, a -e string or one REPL entry) with its name, and the
** one place that turns a byte offset into "file:line:col: error: message" followed by
** the source line and a caret, as jq does.  Sources are reference counted because
** functions defined in a REPL entry outlive it and still point into its text.
*/
#ifndef SRC_H
#define SRC_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* interactive: a REPL entry, which may go on with `else` or `catch` on the next line
** (the parser reports it incomplete when it ends right after such a block). */
typedef struct Source { int rc; char *name; char *text; size_t len; int line0; int interactive; } Source;

/* Copies name and text (text may contain NUL bytes; a NUL is appended). line0 is the
** number of the first line (1 for files; REPL entries count on). */
Source *src_new(const char *name, const char *text, size_t len, int line0);
Source *src_retain(Source *s);
void    src_release(Source *s);
/* 1-based line and column (in code points) of byte offset off. */
void    src_linecol(const Source *s, uint32_t off, int *line, int *col);
/* Prints "name:line:col: <kind>: msg\n" then the line and a caret of span len (>=1). */
void    src_report(FILE *f, const Source *s, uint32_t off, uint32_t len,
                   const char *kind, const char *msg);

#endif
