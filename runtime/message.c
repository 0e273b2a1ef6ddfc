/*
** message.c — the message layer (see message.h): rounds, the transcript it alone
** writes, and the in-process transport.  It does not encode values (stdlib/lib_wire.c
** does) and does not decide who may send what (the interpreter does).
*/
#include "message.h"
#include "mem.h"
#include "wire.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- blocks ---------------------------------------------------------------------- */

MsgBlock *msg_block_new(uint8_t *base, size_t cap, size_t off, size_t len,
                        void (*drop)(uint8_t *, size_t))
{
    MsgBlock *b = xmalloc(sizeof *b);
    *b = (MsgBlock){ .base = base, .cap = cap, .off = off, .len = len, .holders = 1,
                     .drop = drop };
    return b;
}

MsgBlock *msg_block_owned(uint8_t *base, size_t len, void *owner, void (*release)(void *))
{
    MsgBlock *b = msg_block_new(base, len, 0, len, NULL);
    b->release = release;
    b->owner = owner;
    return b;
}

void msg_block_release(MsgBlock *b)
{
    if (!b || --b->holders > 0) return;
    if (b->secret) explicit_bzero(b->base, b->cap);
    if (b->release) b->release(b->owner);
    else if (b->drop) b->drop(b->base, b->cap);
    else free(b->base);
    free(b);
}

/* Writes `to` into the envelope of frame f (wire_put_envelope's layout: array header,
** "ppdl", version, kind as a fixstr, from and to as uint16, round).  False if f does not
** have that layout (it is left as it is, and its receiver will refuse it). */
bool msg_patch_to(uint8_t *f, size_t len, int to)
{
    if (len < 8 || f[0] != 0x97 || f[1] != 0xa4 || (f[7] & 0xe0) != 0xa0) return false;
    size_t off = 8 + (f[7] & 0x1f) + 3;
    if (off + 3 > len || f[off] != 0xcd || f[off - 3] != 0xcd) return false;
    f[off + 1] = (uint8_t)(to >> 8); f[off + 2] = (uint8_t)to;
    return true;
}

/* --- the in-process transport: one FIFO queue per (from, to) pair ------------------- */

typedef struct Frame {
    struct Frame *next;
    int from, to;
    uint8_t *buf; size_t len;   /* a plain frame, or */
    MsgBlock *blk;              /* a block (one of its holders) */
} Frame;

typedef struct Local {
    MsgTransport t;             /* first: a Local is its MsgTransport */
    Frame *head, *tail;         /* every frame in flight, oldest first */
} Local;

static void enqueue(Local *l, Frame fr)
{
    Frame *f = xmalloc(sizeof *f);
    *f = fr;
    f->next = NULL;
    if (l->tail) l->tail->next = f; else l->head = f;
    l->tail = f;
}

/* The oldest frame from `from` waiting at `to`, unlinked (NULL: none). */
static Frame *dequeue(Local *l, int from, int to)
{
    Frame *prev = NULL;
    for (Frame *f = l->head; f; prev = f, f = f->next) {
        if (f->from != from || f->to != to) continue;
        if (prev) prev->next = f->next; else l->head = f->next;
        if (l->tail == f) l->tail = prev;
        return f;
    }
    return NULL;
}

static int local_post(MsgTransport *t, int from, int to, uint8_t *buf, size_t len)
{
    enqueue((Local *)t, (Frame){ .from = from, .to = to, .buf = buf, .len = len });
    return 0;
}

static int local_post_block(MsgTransport *t, int from, int to, MsgBlock *b)
{
    enqueue((Local *)t, (Frame){ .from = from, .to = to, .blk = b });
    return 0;
}

static int local_deliver(MsgTransport *t, int from, int to, uint8_t **buf, size_t *len)
{
    Frame *f = dequeue((Local *)t, from, to);
    if (!f) return -1;
    if (f->blk) {                       /* a plain receiver gets its own copy */
        MsgBlock *b = f->blk;
        *buf = xmalloc(b->len);
        memcpy(*buf, b->base + b->off, b->len);
        msg_patch_to(*buf, b->len, to);
        *len = b->len;
        msg_block_release(b);
    } else {
        *buf = f->buf; *len = f->len;
    }
    free(f);
    return 0;
}

static int local_deliver_block(MsgTransport *t, int from, int to, MsgBlock **b)
{
    Frame *f = dequeue((Local *)t, from, to);
    if (!f) return -1;
    if (f->blk) {
        *b = f->blk;
        msg_patch_to((*b)->base + (*b)->off, (*b)->len, to);
    } else
        *b = msg_block_new(f->buf, f->len, 0, f->len, NULL);
    free(f);
    return 0;
}

static void local_close(MsgTransport *t)
{
    Local *l = (Local *)t;
    for (Frame *f = l->head, *n; f; f = n) {
        n = f->next;
        if (f->blk) msg_block_release(f->blk); else free(f->buf);
        free(f);
    }
    free(l);
}

MsgTransport *msg_transport_local(void)
{
    Local *l = xcalloc(1, sizeof *l);
    l->t = (MsgTransport){ .name = "in-process", .post = local_post, .deliver = local_deliver,
                           .close = local_close, .post_block = local_post_block,
                           .deliver_block = local_deliver_block };
    return &l->t;
}

/* --- the layer ---------------------------------------------------------------------- */

void msg_init(Msg *m, Tr *tr, MsgTransport *tp)
{
    m->tr = tr;
    m->tp = tp ? tp : msg_transport_local();
    m->par_depth = 0;
    m->par_round = 0;
}

void msg_free(Msg *m)
{
    if (m->tp) m->tp->close(m->tp);
    m->tp = NULL;
}

void msg_clear(Msg *m)
{
    tr_clear(m->tr);
    m->par_round = 0;
    /* frames sent but never received are dropped with the transport */
    MsgTransport *tp = msg_transport_local();
    if (m->tp) m->tp->close(m->tp);
    m->tp = tp;
}

uint32_t msg_round(Msg *m) { return tr_next_round(m->tr); }

const char *msg_phase(Msg *m, const char *label) { return tr_phase(m->tr, label); }

void msg_parallel_begin(Msg *m)
{
    if (m->par_depth++ == 0) m->par_round = 0;
}

void msg_parallel_end(Msg *m)
{
    if (m->par_depth > 0 && --m->par_depth == 0) {
        m->par_round = 0;
        tr_next_round(m->tr);           /* what follows is a round of its own */
    }
}

size_t msg_post(Msg *m, int from, int to, const char *kind, uint64_t payload_bytes,
                const char *what)
{
    return tr_send(m->tr, from, to, kind, wire_size_envelope(kind) + payload_bytes, 0, what);
}

/* The offset of the round field in a frame built by wire_put_envelope: array header,
** magic, version, kind, two uint16 fields, then 0xce and four bytes. */
static bool patch_round(uint8_t *frame, size_t len, const char *kind, uint32_t round)
{
    size_t off = (size_t)wire_size_envelope(kind) - 5;
    if (off + 5 > len || frame[off] != 0xce) return false;
    frame[off + 1] = (uint8_t)(round >> 24); frame[off + 2] = (uint8_t)(round >> 16);
    frame[off + 3] = (uint8_t)(round >> 8); frame[off + 4] = (uint8_t)round;
    return true;
}

long msg_send_frame(Msg *m, int from, int to, const char *kind, bool user, bool leak,
                    const char *what, uint8_t *frame, size_t len)
{
    uint32_t round;
    if (user && m->par_depth > 0) {
        if (!m->par_round) m->par_round = tr_open_round(m->tr);
        round = m->par_round;
    } else {
        round = tr_open_round(m->tr);   /* a send outside a parallel section: its own round */
        tr_next_round(m->tr);           /* and whatever follows is in the next */
    }
    if (!patch_round(frame, len, kind, round) || m->tp->post(m->tp, from, to, frame, len) != 0) {
        free(frame);
        return -1;
    }
    return (long)tr_send_at(m->tr, round, from, to, kind, len, leak, what);
}

void msg_describe(Msg *m, size_t idx, const char *what)
{
    if (idx >= m->tr->n) return;
    free(m->tr->msgs[idx].what);
    m->tr->msgs[idx].what = what ? xstrdup(what) : NULL;
}

int msg_receive(Msg *m, int from, int to, uint8_t **frame, size_t *len)
{
    return m->tp->deliver(m->tp, from, to, frame, len);
}

int msg_carry_block(Msg *m, int from, int to, MsgBlock *b)
{
    if (m->tp->post_block) {
        if (m->tp->post_block(m->tp, from, to, b) == 0) return 0;
        msg_block_release(b);
        return -1;
    }
    uint8_t *f = xmalloc(b->len ? b->len : 1);
    memcpy(f, b->base + b->off, b->len);
    msg_patch_to(f, b->len, to);
    size_t len = b->len;
    msg_block_release(b);
    if (m->tp->post(m->tp, from, to, f, len) == 0) return 0;
    free(f);
    return -1;
}

int msg_receive_block(Msg *m, int from, int to, MsgBlock **b)
{
    if (m->tp->deliver_block) return m->tp->deliver_block(m->tp, from, to, b);
    uint8_t *f;
    size_t len;
    if (m->tp->deliver(m->tp, from, to, &f, &len) != 0) return -1;
    *b = msg_block_new(f, len, 0, len, NULL);
    return 0;
}
