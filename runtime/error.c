/*
** error.c — the runtime's one error type (see error.h).
*/
#include "error.h"
#include <stdarg.h>
#include <stdio.h>

void rt_err(RtErr *err, RtCode code, const char *fmt, ...)
{
    if (!err) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
}

int rt_fail(RtErr *err, RtCode code, const char *fmt, ...)
{
    if (!err) return (int)code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return (int)code;
}

void rt_err_clear(RtErr *err)
{
    if (!err) return;
    err->code = RT_OK;
    err->msg[0] = 0;
}
