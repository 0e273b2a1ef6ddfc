/*
** err.c — raising and reporting errors.  The first error raised wins; the evaluator
** attaches the span of the innermost node that saw it (ev_locate), and err_report
** prints "file:line:col: error: message" with the source line and a caret.
*/
#include "ev.h"
#include "lib.h"
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- errors ------ */

Value err_raise(Interp *I, const char *fmt, ...)
{
    if (I->err_set) return VERR;    /* the first error wins */
    Sb b; sb_init(&b);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&b, fmt, ap);
    va_end(ap);
    I->err_set = true;
    I->err_msg = sb_take(&b);
    I->err_located = false;
    return VERR;
}

void ev_locate(Interp *I, const Node *n)
{
    if (!I->err_set || I->err_located || !n || !I->cur_src) return;
    I->err_located = true;
    I->err_src = src_retain(I->cur_src);
    I->err_off = n->off; I->err_len = n->len;
}

void err_clear(Interp *I)
{
    free(I->err_msg); I->err_msg = NULL;
    src_release(I->err_src); I->err_src = NULL;
    I->err_set = I->err_located = I->err_interrupt = false;
}

void err_report(Interp *I, FILE *f)
{
    if (!I->err_set) return;
    if (I->err_located) src_report(f, I->err_src, I->err_off, I->err_len, "error", I->err_msg);
    else fprintf(f, "error: %s\n", I->err_msg);
    err_clear(I);
}

bool ev_interrupted(Interp *I)
{
    if (!*I->interrupt) return false;
    *I->interrupt = 0;
    if (!I->err_set) I->err_interrupt = true;
    err_raise(I, "interrupted");
    return true;
}

