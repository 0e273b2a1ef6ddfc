/*
** transport_mirror.h — the carrier of a party's process in a distributed run
** (docs/distributed.md, "The model"): every process runs the whole script, its own party
** on real data and the others on stand-ins (interp/replica.c).  This transport makes the
** frames of ITS party real.  A frame its party sends goes to the receiver's process
** over the network carrier (transport_zmq.h: CURVE, sequence numbers, size limit) as
** well as to the local queues; a frame its party receives is taken from the network,
** after checking that it is the frame the local run expects next (the same kind,
** sender, receiver and round: the stand-in's bytes differ, its envelope must not), and
** handed to the protocol.  Frames between two other parties stay local.
**
** So the bytes a party's protocol reads arrived from the sender's process, each link
** carries exactly its party's traffic, a silent or dead party stops the run within the
** timeout with an error naming it and the protocol step, and a divergence between two
** processes (another script, or a party whose messages depend on its private data) is
** found at the first frame it touches.  It also carries the replicated narrator's SIDE
** frames (mirror_side_post/take), which never enter the message layer.  An interrupted
** entry (tz_watch) is not fatal: post and deliver fail, so the protocol's step fails and
** the evaluator unwinds with "interrupted".
*/
#ifndef TRANSPORT_MIRROR_H
#define TRANSPORT_MIRROR_H
#include "message.h"
#include "parties_file.h"

typedef struct MirrorConfig {
    MsgTransport *net;          /* this party's network end (owned from now on) */
    const PartiesFile *parties; /* the network's party list (copied): names give ids */
    const char *self;           /* this process's party name */
    /* The name of the interpreter's party id (NULL when none): interpreter ids follow
    ** the script's declarations, the network's the parties file; names join them. */
    const char *(*party_name)(void *ctx, int id);
    void *ctx;
    int leave_after_round;      /* test hook: > 0 ends the process (SIGKILL) when the
                                   run posts its first frame of a later round */
    void (*on_fatal)(void *ctx, const char *msg);   /* optional: told the fatal error
                                   before the process exits (a narrator's session
                                   answers its narrator with it) */
} MirrorConfig;

/* Wraps the network end for the mirrored run.  A network failure (timeout, refusal,
** divergence) is fatal to the process: it prints "ppdl: party NAME: WHY (round R, a
** KIND frame)" on stderr and exits with status 1, since the run cannot go on. */
MsgTransport *mirror_open(const MirrorConfig *cfg);

/* This process's party id (the interpreter's numbering), 0 while the script has not
** declared it; and the number of parties in the file. */
int mirror_me(MsgTransport *t);
int mirror_nparties(MsgTransport *t);
/* How many protocol frames this party's process has sent to party `to` over the network
** (side frames not counted): a message recorded in the transcript crossed only if its
** frame did (interp/replica.c, after an interrupted entry). */
uint64_t mirror_sent(MsgTransport *t, int to);
/* The replicated narrator's SIDE frames (interp/replica.c): a stand-in's shape, a
** peeked value.  They travel on the same CURVE link as the protocol's frames, in
** program order, but never through the message layer (not in the transcript, not
** counted by cost()).  post takes frame; take waits (the timeout) for the next frame from
** `from` and checks that it is a side frame of that kind.  A failure is fatal, as for
** protocol frames.  take returns 0, or -1 (*frame NULL) when the entry was interrupted
** (tz_watch); post then drops the frame. */
void mirror_side_post(MsgTransport *t, int to, uint8_t *frame, size_t len);
int mirror_side_take(MsgTransport *t, int from, const char *kind, uint32_t round, uint8_t **frame,
                     size_t *len);
/* After an interrupted entry (a driven session, interp/narrator.c): drops the simulated
** parties' frames still queued in this process and resynchronises the network end
** (tz_resync).  0, or -1 with tz_error() of the network end. */
int mirror_resync(MsgTransport *t, uint32_t entry);

#endif
