/*
** capture.h — a message transport for tests that keeps a copy of every frame: what
** crossed, from whom, to whom, in order, so a suite can read the wire as an attacker
** would (decode what the server received, compare recorded sizes with real ones).  It
** carries the frames in process over msg_transport_local().  A tamper hook may change a
** frame in transit (flip a bit, truncate it) before it is kept and carried, so the copy
** is always what the receiver got.  Header-only, as tu.h: each suite that includes it
** gets its own static copy.
*/
#ifndef CAPTURE_H
#define CAPTURE_H
#include "message.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Capture Capture;
/* Changes frame buf (*len bytes, which it may shorten) going from -> to; ctx is
** Capture.tamper_ctx. */
typedef void (*CaptureTamper)(Capture *c, int from, int to, uint8_t *buf, size_t *len, void *ctx);

struct Capture {
    MsgTransport t;                 /* first: a Capture is its MsgTransport */
    MsgTransport *inner;            /* carries the frames */
    uint8_t **buf; size_t *len;     /* frame k, as delivered */
    int *from, *to;
    int n, cap;                     /* frames kept; room */
    CaptureTamper tamper;           /* NULL: frames cross untouched */
    void *tamper_ctx;
};

static inline int capture_post(MsgTransport *t, int from, int to, uint8_t *buf, size_t len)
{
    Capture *c = (Capture *)t;
    if (c->tamper) c->tamper(c, from, to, buf, &len, c->tamper_ctx);
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->buf = realloc(c->buf, (size_t)c->cap * sizeof *c->buf);
        c->len = realloc(c->len, (size_t)c->cap * sizeof *c->len);
        c->from = realloc(c->from, (size_t)c->cap * sizeof *c->from);
        c->to = realloc(c->to, (size_t)c->cap * sizeof *c->to);
        if (!c->buf || !c->len || !c->from || !c->to) abort();
    }
    c->buf[c->n] = malloc(len ? len : 1);
    if (!c->buf[c->n]) abort();
    memcpy(c->buf[c->n], buf, len);
    c->len[c->n] = len; c->from[c->n] = from; c->to[c->n] = to;
    c->n++;
    return c->inner->post(c->inner, from, to, buf, len);
}

static inline int capture_deliver(MsgTransport *t, int from, int to, uint8_t **buf, size_t *len)
{
    Capture *c = (Capture *)t;
    return c->inner->deliver(c->inner, from, to, buf, len);
}

static inline void capture_close(MsgTransport *t)
{
    Capture *c = (Capture *)t;
    c->inner->close(c->inner);
    for (int i = 0; i < c->n; i++) free(c->buf[i]);
    free(c->buf); free(c->len); free(c->from); free(c->to);
    free(c);
}

/* A capturing transport over the in-process one.  Hand it to msg_init (as &c->t): the
** message layer owns it and closes it in msg_free; the caller may read it until then. */
static inline Capture *capture_new(void)
{
    Capture *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->t = (MsgTransport){ .name = "capture", .post = capture_post, .deliver = capture_deliver,
                           .close = capture_close };
    c->inner = msg_transport_local();
    return c;
}

/* How many frames went to party to. */
static inline int capture_count_to(const Capture *c, int to)
{
    int k = 0;
    for (int i = 0; i < c->n; i++) k += c->to[i] == to;
    return k;
}

#endif
