/*
** transport_zmq.h — a MsgTransport (message.h) carried by ZeroMQ between processes
** and machines, with CURVE on every link: each party has a key pair, every link is
** authenticated and encrypted, and a peer whose key is not in the parties file is
** refused by ZeroMQ itself (through our ZAP handler) before any frame is read.
**
** One transport is ONE party's end (a process holds one): the parties file
** (parties_file.h) says where everyone listens and which public key they hold.  The
** transport's post() sends from this party to another; its deliver() waits, at most the
** timeout, for the next frame from a named party to this one (a malloc'd copy), and its
** deliver_block() does the same without a copy: a block over ZeroMQ's message itself,
** which the block's last holder frees (message.h).  When a call fails,
** tz_error() says why, naming the party ("no message from bob within 5000 ms",
** "replayed message from bob", "message of N bytes from bob is larger than ...").
**
** Security notes: CURVE (CurveZMQ: X25519 + XSalsa20-Poly1305, in libzmq/libsodium)
** protects links against eavesdroppers and forgers on the network; the ZAP handler
** admits only the parties file's keys and tells the receiver which party sent each
** frame, so a frame's envelope must name its real sender.  A per-link sequence number
** rejects frames replayed inside a connection's lifetime (CURVE already rejects
** replayed network packets; the number also guards against a buggy or malicious
** peer resending).  Not protected: traffic analysis (sizes and timing are visible), a
** party that lies about its own data, and the secret key file on a shared machine
** beyond its 0600 mode.
*/
#ifndef TRANSPORT_ZMQ_H
#define TRANSPORT_ZMQ_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "message.h"
#include "parties_file.h"

#define TZ_TIMEOUT_MS 10000     /* default wait for a peer's next frame */
#define TZ_KEY_LEN    40        /* Z85 text of a CURVE key */
#define TZ_EINTR      "a signal came while waiting"     /* tz_error() then: look at your flags */

typedef struct TzConfig {
    const PartiesFile *parties; /* copied; the transport keeps its own copy */
    int self;                   /* this party's id (from 1) */
    const char *secret;         /* this party's Z85 secret key (copied, wiped at close) */
    int timeout_ms;             /* wait in deliver(); <= 0: TZ_TIMEOUT_MS */
    size_t max_frame;           /* largest frame accepted; 0: WIRE_MAX_FRAME */
} TzConfig;

/* Opens this party's end: binds its endpoint (CURVE server, our ZAP handler in
** front), connects one link to every other party (CURVE client, checking the peer's
** public key).  NULL and err on a failure (bad endpoint, port in use, a secret key that
** does not match the file's public key). */
MsgTransport *tz_open(const TzConfig *cfg, char *err, size_t errlen);
/* Waits, at most the timeout, for the next frame from any party to this one: 0, *from
** its sender, *buf the frame (the caller frees it); -1 with tz_error(). */
int tz_deliver_any(MsgTransport *t, int *from, uint8_t **buf, size_t *len);
/* post() without taking buf: ZeroMQ copies the len bytes (the caller keeps buf).  0, or
** -1 with tz_error(). */
int tz_send(MsgTransport *t, int from, int to, const uint8_t *buf, size_t len);
/* Interrupts, for the parties of a driven run (the narrator's Ctrl-C, interp/narrator.c).
** tz_watch: entry ENTRY runs now (0: none); a frame of kind "interrupt" whose round names
** it (or a later entry) sets *flag as it arrives (or, when it came before the entry
** started, as watching starts), and from then on every post and deliver of the entry
** fails with "interrupted" (tz_interrupted says so) until tz_resync.  The first call
** starts a receiving thread that reads every frame as it arrives (signals stay with the
** other threads), so the flag rises at once, even while the party computes.  While *flag is set (also by a signal handler) a wait ends at once
** with TZ_EINTR: clear it once seen, before tz_resync. */
void tz_watch(MsgTransport *t, uint32_t entry, volatile sig_atomic_t *flag);
bool tz_interrupted(MsgTransport *t);
/* The latest entry an "interrupt" frame named (0: none). */
uint32_t tz_stopped(MsgTransport *t);
/* After entry ENTRY was interrupted: sends parties 1..n (but this one) an "interrupt"
** frame of that entry, then drops every frame from each of them up to and including its
** own: what is left belongs to later entries.  0, or -1 with tz_error() (a party that
** does not answer within the timeout). */
int tz_resync(MsgTransport *t, int n, uint32_t entry);
/* Why the last post() or deliver() on t failed ("" if none has). */
const char *tz_error(MsgTransport *t);
/* How many connection attempts the ZAP handler refused (an unknown key). */
unsigned tz_refused(MsgTransport *t);

/* Makes a CURVE key pair and writes base.key (the secret, mode 0600, never replaced)
** and base.pub, each one line of Z85; pub gets the public key.  0, or -1 with err. */
int tz_keygen(const char *base, char pub[TZ_KEY_LEN + 1], char *err, size_t errlen);
/* Reads a key file (one line, 40 Z85 characters).  A secret key file must not be
** readable by group or others.  0, or -1 with err. */
int tz_read_key(const char *path, bool secret, char key[TZ_KEY_LEN + 1], char *err, size_t errlen);

#endif
