/*
** error.h — the runtime's one error type.  A runtime function that can fail takes an
** RtErr *err as its last argument and, on failure, fills it with rt_err (a code a
** caller can test, a message a person can read: what failed and why, with the values
** involved) and returns NULL or non-zero as its contract says (a function returning int
** returns the code itself).  The message names no builtin and carries no location: the
** caller (stdlib/) adds those when it raises, and may test the code to say more (what to
** do about it, in the builtin's own terms).  Every runtime module uses it (shares*.c as
** SsCtx.err) but the transports' own message (tz_error).
*/
#ifndef ERROR_H
#define ERROR_H

#define RT_ERRLEN 512     /* room for two file paths and the reason */

typedef enum RtCode {
    RT_OK = 0,
    RT_EINVAL,          /* bad arguments: shapes, ranges, options */
    RT_EIO,             /* a file could not be opened, read or written */
    RT_EFORMAT,         /* a file's contents are malformed */
    RT_EINTR,           /* interrupted (Ctrl-C, polled through a flag) */
    /* codes of the cryptographic protocols (paillier*.c, pate.c, secagg.c) */
    RT_ERANGE,          /* a value cannot be encoded (too large, not finite) */
    RT_EOVERFLOW,       /* a result could leave the safe range: it would be garbage */
    RT_EKEY,            /* a key that is inconsistent or not the right one */
    RT_EMISMATCH,       /* operands of different sizes, layouts or keys */
    RT_EPACKED,         /* the operation is not defined on packed ciphertexts */
    RT_EEMPTY,          /* a precomputed pool (noise) is exhausted */
    RT_EBOUND,          /* a protocol needs a public bound on the values, and none is known */
    RT_EMASK,           /* the bound plus a statistical mask does not fit in the key */
    RT_ECLAIM,          /* a party saw a value that breaks a stated bound */
    RT_EPROTO,          /* a message of a protocol did not arrive, or was not what it expects */
    RT_EBUDGET          /* a release would exceed a privacy budget (dp_ledger_charge) */
} RtCode;

typedef struct RtErr {
    RtCode code;        /* RT_OK until rt_err sets it */
    char msg[RT_ERRLEN];
} RtErr;

/* Sets err's code and its message (printf-style, truncated to RT_ERRLEN - 1 bytes);
** err may be NULL (the caller does not want the details). */
void rt_err(RtErr *err, RtCode code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* rt_err, returning code: `return rt_fail(err, RT_EKEY, "...")` in a function whose
** result is its code. */
int  rt_fail(RtErr *err, RtCode code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Clears err to RT_OK and an empty message. */
void rt_err_clear(RtErr *err);

#endif
