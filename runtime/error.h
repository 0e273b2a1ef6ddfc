/*
** error.h — the runtime's one error type.  A runtime function that can fail takes an
** RtErr *err as its last argument and, on failure, fills it with rt_err (a code a
** caller can test, a message a person can read: what failed and why, with the values
** involved) and returns NULL or non-zero as its contract says.  The message names no
** builtin and carries no location: the caller (stdlib/) adds those when it raises.
** Converted so far: tensors (tensor*.c), datasets (dataset*.c) and networks (network*.c).  Still on
** their own conventions: SsCtx.err (shares*.c), PAI_E* status codes (paillier*.c), dp's
** bool + buffer, pate's and secagg's buffers, wire's WireR.err, and the transports'.
*/
#ifndef ERROR_H
#define ERROR_H

#define RT_ERRLEN 512     /* room for two file paths and the reason */

typedef enum RtCode {
    RT_OK = 0,
    RT_EINVAL,          /* bad arguments: shapes, ranges, options */
    RT_EIO,             /* a file could not be opened, read or written */
    RT_EFORMAT,         /* a file's contents are malformed */
    RT_EINTR            /* interrupted (Ctrl-C, polled through a TnStop flag) */
} RtCode;

typedef struct RtErr {
    RtCode code;        /* RT_OK until rt_err sets it */
    char msg[RT_ERRLEN];
} RtErr;

/* Sets err's code and its message (printf-style, truncated to RT_ERRLEN - 1 bytes);
** err may be NULL (the caller does not want the details). */
void rt_err(RtErr *err, RtCode code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Clears err to RT_OK and an empty message. */
void rt_err_clear(RtErr *err);

#endif
