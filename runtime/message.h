/*
** message.h — the message layer: the only way anything reaches another party.  It
** numbers rounds, records every message in the transcript (it alone writes transcript.h's log,
** so view(p) is p's inbox by construction and cost() counts real bytes) and hands
** frames to a TRANSPORT, an interface of two calls (post a frame, deliver the next
** frame) with one carrier today, in-process; a network carrier plugs in behind the same
** calls, and a party's code cannot tell which carries its messages.
**
** Two ways in:
**  - msg_send_frame(): a whole frame (wire.h's envelope + payload, built by
**    stdlib/lib_wire.c from a value).  It is recorded with its real size and carried by
**    the transport; msg_receive() gives the receiver the bytes back to decode its own
**    copy.  This is send(x, to = p).
**  - msg_post(): a protocol message of the simulator (a share vector, an opening, a
**    triple, ciphertexts) whose payload is not materialised: the caller gives the
**    payload's encoded size from wire.h's formulas (wire_size_ring(k), ...); the layer
**    adds the envelope, so both ways count bytes the same.
**
** Rounds (numbered from 1, the same in view, messages and cost): msg_round() starts a
** new one for the messages that follow.  Inside msg_parallel_begin/end, the user-level
** sends (msg_send_frame with user = true) all travel in the round of the first of them;
** protocol rounds opened inside still count on their own.
*/
#ifndef MESSAGE_H
#define MESSAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "transcript.h"

/* A BLOCK: a frame that lies inside a larger buffer, base[off, off + len), so that its
** payload can sit where the receiver wants it (64-byte aligned) and one payload can go to several receivers without a copy
** each (an opening: every holder sends the same bytes to every other).  Once posted a
** block is read-only: the sender has given it up (it may keep a holder's reference to
** READ what it sent, its own data).  The in-process transport hands the block itself to
** each receiver and, when the same block goes to several, writes the receiver's number
** into the envelope's `to` field as it delivers it — the only bytes in which the frames
** differ; transports without blocks get a plain malloc'd copy per receiver.  The block
** is freed by its last holder (msg_block_release): wiped first if `secret`, then
** base goes to `drop` (free() when NULL), or, for a block over a buffer something else
** owns (a network transport's received message, read where it lies), `owner` goes to
** `release`. */
typedef struct MsgBlock {
    uint8_t *base;              /* the buffer */
    size_t cap;                 /* its size */
    size_t off, len;            /* the frame inside it */
    int holders;                /* references: each undelivered post, each receiver, ... */
    bool secret;                /* wipe base[0, cap) before it is dropped */
    void (*drop)(uint8_t *base, size_t cap);    /* frees base (NULL: free) */
    void (*release)(void *owner);               /* when set: frees owner, not base */
    void *owner;
} MsgBlock;

/* A block over base (one holder: the caller). */
MsgBlock *msg_block_new(uint8_t *base, size_t cap, size_t off, size_t len,
                        void (*drop)(uint8_t *, size_t));
/* A block over the len bytes at base, which belong to owner: the last holder wipes them
** (if secret) and calls release(owner), which frees them.  Nothing is copied. */
MsgBlock *msg_block_owned(uint8_t *base, size_t len, void *owner, void (*release)(void *));
/* One holder lets go; the last one wipes (if secret) and drops the buffer. */
void msg_block_release(MsgBlock *b);

/* A carrier of frames between parties.  post takes ownership of buf (malloc'd) when
** it succeeds;
** deliver gives the oldest frame from `from` waiting at `to` (the caller frees *buf).
** Both return 0, or -1 (post: cannot carry; deliver: nothing waiting).
** post_block and deliver_block are optional (NULL: the layer posts a malloc'd copy of
** the frame and wraps what deliver gives); post_block takes one holder of b, which
** deliver_block hands to the receiver. */
typedef struct MsgTransport MsgTransport;
struct MsgTransport {
    const char *name;           /* "in-process", "zeromq", ... */
    int  (*post)(MsgTransport *t, int from, int to, uint8_t *buf, size_t len);
    int  (*deliver)(MsgTransport *t, int from, int to, uint8_t **buf, size_t *len);
    void (*close)(MsgTransport *t);      /* frees t and every frame still queued */
    int  (*post_block)(MsgTransport *t, int from, int to, MsgBlock *b);
    int  (*deliver_block)(MsgTransport *t, int from, int to, MsgBlock **b);
};

/* The in-process carrier: a FIFO queue per (from, to) pair; frames and blocks are
** handed over without copying (the sender has given them up). */
MsgTransport *msg_transport_local(void);

typedef struct Msg {
    Tr *tr;                     /* the transcript (borrowed; only this layer writes it) */
    MsgTransport *tp;           /* owned */
    int par_depth;              /* nesting of parallel sections */
    uint32_t par_round;         /* their round, 0 until the first send inside */
} Msg;

/* Sets up a layer writing into tr, carried by tp (owned; NULL: in-process). */
void msg_init(Msg *m, Tr *tr, MsgTransport *tp);
void msg_free(Msg *m);
/* Forgets every message and round (the transcript is cleared too). */
void msg_clear(Msg *m);

/* Starts a new round: the messages that follow belong to it.  Returns its number. */
uint32_t msg_round(Msg *m);
/* Sets the phase label ("online", "offline") of the messages that follow; returns the
** previous one so that callers can restore it. */
const char *msg_phase(Msg *m, const char *label);
/* A parallel section: every user-level send until the matching end is one round. */
void msg_parallel_begin(Msg *m);
void msg_parallel_end(Msg *m);

/* Records a protocol message of payload_bytes (as wire.h's size formulas compute them)
** in the current round; the envelope is added.  Returns its transcript index. */
size_t msg_post(Msg *m, int from, int to, const char *kind, uint64_t payload_bytes,
                const char *what);
/* Sends a frame built by wire_put_envelope + one payload object (takes frame; its
** envelope's round is overwritten with the round it travels in).  user: a user-level
** send (parallel sections group these).  leak: the payload is a plaintext of the
** sender's private data.  Returns the transcript index, or -1 if the transport refused
** (the frame is freed, nothing is recorded). */
long msg_send_frame(Msg *m, int from, int to, const char *kind, bool user, bool leak,
                    const char *what, uint8_t *frame, size_t len);
/* Sets the description of recorded message idx (what the receiver got, as it displays
** it: digests for ciphertexts); copied. */
void msg_describe(Msg *m, size_t idx, const char *what);
/* Takes the oldest frame from `from` waiting at `to`: 0 and the bytes (the caller frees
** them), or -1 if none is waiting. */
int msg_receive(Msg *m, int from, int to, uint8_t **frame, size_t *len);
/* Carries block b (a frame built by wire_put_envelope + payload, already recorded with
** msg_post) from `from` to `to`, taking one of its holders (the caller adds one per post
** beforehand); its envelope's `to` is `to` when it is delivered.  -1 if the transport
** refused (the holder is released). */
int msg_carry_block(Msg *m, int from, int to, MsgBlock *b);
/* Writes `to` into the envelope of frame f (len bytes), as a block is delivered to its
** receiver; false if f is not a frame with an envelope. */
bool msg_patch_to(uint8_t *f, size_t len, int to);
/* Takes the oldest frame from `from` waiting at `to` as a block (one holder: the
** caller), whether it travelled as a block or as a plain frame.  -1 if none waits. */
int msg_receive_block(Msg *m, int from, int to, MsgBlock **b);

#endif
