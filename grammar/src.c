/*
** src.c — sources and the caret diagnostics printed for every error (see src.h).
** Columns count UTF-8 code points; bytes that are not valid UTF-8 count one each, and
** control characters in the echoed line are shown as spaces so the caret lines up.
*/
#include "src.h"
#include "mem.h"
#include <stdlib.h>
#include <string.h>

Source *src_new(const char *name, const char *text, size_t len, int line0)
{
    Source *s = xmalloc(sizeof *s);
    char *n = xstrdup(name ? name : "<input>");
    char *t = xmalloc(len + 1);
    memcpy(t, text, len); t[len] = 0;
    s->rc = 1; s->name = n; s->text = t; s->len = len; s->line0 = line0 > 0 ? line0 : 1;
    s->interactive = 0;
    return s;
}

Source *src_retain(Source *s) { if (s) s->rc++; return s; }

void src_release(Source *s)
{
    if (!s || --s->rc > 0) return;
    free(s->name); free(s->text); free(s);
}

static int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

void src_linecol(const Source *s, uint32_t off, int *line, int *col)
{
    if (off > s->len) off = (uint32_t)s->len;
    int ln = s->line0, cl = 1;
    for (uint32_t i = 0; i < off; i++) {
        unsigned char c = (unsigned char)s->text[i];
        if (c == '\n') { ln++; cl = 1; }
        else if (!is_cont(c)) cl++;
    }
    *line = ln; *col = cl;
}

void src_report(FILE *f, const Source *s, uint32_t off, uint32_t len,
                const char *kind, const char *msg)
{
    int line, col;
    if (off > s->len) off = (uint32_t)s->len;
    src_linecol(s, off, &line, &col);
    size_t b = off, e = off;
    while (b > 0 && s->text[b - 1] != '\n') b--;
    while (e < s->len && s->text[e] != '\n') e++;
    if (b == e && off == s->len && b > 0) {   /* error at end of input after a newline */
        e = b - 1; b = e;
        while (b > 0 && s->text[b - 1] != '\n') b--;
        col = 1;
        for (size_t i = b; i < e; i++) if (!is_cont((unsigned char)s->text[i])) col++;
        line--;
    }
    fprintf(f, "%s:%d:%d: %s: %s\n", s->name, line, col, kind, msg);
    fputs("    ", f);
    for (size_t i = b; i < e; i++) {
        unsigned char c = (unsigned char)s->text[i];
        /* control characters as spaces; bytes that never occur in UTF-8 as '?' */
        fputc(c < 0x20 || c == 0x7f ? ' ' : c == 0xC0 || c == 0xC1 || c >= 0xF5 ? '?' : c, f);
    }
    fputs("\n    ", f);
    for (int i = 1; i < col; i++) fputc(' ', f);
    size_t end = off + (len ? len : 1);
    if (end > e) end = e > off ? e : off + 1;
    int carets = 0;
    for (size_t i = off; i < end; i++)
        if (i >= s->len || !is_cont((unsigned char)s->text[i])) carets++;
    if (carets < 1) carets = 1;
    fputc('^', f);
    for (int i = 1; i < carets; i++) fputc('~', f);
    fputc('\n', f);
}
