/*
** transport_mirror.c — a mirrored party process's carrier (see transport_mirror.h): the
** local queues of message.c for the simulated parties, the network end for the frames
** this party sends and receives.  It owns no policy beyond that: which frames exist is
** the protocol's business, their checks on arrival the network carrier's.
*/
#include "transport_mirror.h"
#include "mem.h"
#include "transport_zmq.h"
#include "wire.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct Mirror {
    MsgTransport t;             /* first: a Mirror is its MsgTransport */
    MsgTransport *local, *net;
    PartiesFile pf;             /* names only (endpoints are the network's) */
    char self[PF_NAME_MAX + 1];
    const char *(*party_name)(void *ctx, int id);
    void *ctx;
    int me;                     /* this party's id, once the script has declared it */
    int checked;                /* interpreter ids 1..checked agree with the file */
    int leave_after_round;
    void (*on_fatal)(void *ctx, const char *msg);
    uint64_t *sent;             /* sent[q]: protocol frames this party sent to party q */
} Mirror;

static void __attribute__((noreturn)) fatal(Mirror *m, const char *why, const uint8_t *frame, size_t len)
{
    WireR r; WireHdr h; const msgpack_object *p;
    fflush(stdout);
    wire_r_init(&r, "this process");
    char msg[1024];
    if (frame && wire_open_frame(&r, frame, len, &h, &p))
        snprintf(msg, sizeof msg, "ppdl: party %s: %s (round %u, a '%s' frame)\n", m->self, why, h.round, h.kind);
    else snprintf(msg, sizeof msg, "ppdl: party %s: %s\n", m->self, why);
    wire_r_free(&r);
    fputs(msg, stderr);
    if (m->on_fatal) m->on_fatal(m->ctx, msg);
    exit(1);
}

/* Checks that the interpreter's party ids up to id are the file's, in the same order;
** finds this party's id. */
static void check_ids(Mirror *m, int id)
{
    while (m->checked < id) {
        int k = ++m->checked;
        const char *name = m->party_name(m->ctx, k);
        if (!name) fatal(m, "a message names a party the script has not declared", NULL, 0);
        if (k > m->pf.n || strcmp(m->pf.p[k - 1].name, name) != 0) {
            char why[256];
            snprintf(why, sizeof why, "the script declares '%s' as party %d but the parties file lists %s "
                     "there (list the parties in the order the script declares them)",
                     name, k, k > m->pf.n ? "nobody" : m->pf.p[k - 1].name);
            fatal(m, why, NULL, 0);
        }
        if (strcmp(name, m->self) == 0) m->me = k;
    }
}

/* This party's id, 0 while the script has not declared it yet. */
static int who_am_i(Mirror *m)
{
    while (!m->me && m->checked < m->pf.n && m->party_name(m->ctx, m->checked + 1))
        check_ids(m, m->checked + 1);
    return m->me;
}

/* The test hook: this party's machine goes down at its first frame of a later round. */
static void maybe_leave(Mirror *m, const uint8_t *buf, size_t len)
{
    if (m->leave_after_round <= 0) return;
    WireR r; WireHdr h; const msgpack_object *p;
    wire_r_init(&r, "this process");
    if (wire_open_frame(&r, buf, len, &h, &p) && h.round > (uint32_t)m->leave_after_round) {
        fflush(stdout);
        raise(SIGKILL);
    }
    wire_r_free(&r);
}

/* A frame of this party's to another goes over the network too (ZeroMQ copies the
** bytes: the local queue keeps the frame). */
static int send_net(Mirror *m, int from, int to, const uint8_t *buf, size_t len)
{
    if (from != who_am_i(m) || to == from) return 0;
    if (tz_send(m->net, from, to, buf, len) != 0) {
        if (tz_interrupted(m->net)) return -1;          /* the narrator's Ctrl-C */
        fatal(m, tz_error(m->net), buf, len);
    }
    if (to > 0 && to <= m->pf.n) m->sent[to - 1]++;
    return 0;
}

static int mirror_post(MsgTransport *t, int from, int to, uint8_t *buf, size_t len)
{
    Mirror *m = (Mirror *)t;
    check_ids(m, from > to ? from : to);
    maybe_leave(m, buf, len);
    if (send_net(m, from, to, buf, len) != 0) return -1;        /* buf stays the caller's */
    return m->local->post(m->local, from, to, buf, len);
}

/* A block (a frame several receivers may share) goes to the local queue as it is; its
** envelope's `to` is written for this receiver before the network copy is made (the
** local queue writes it again on each delivery). */
static int mirror_post_block(MsgTransport *t, int from, int to, MsgBlock *b)
{
    Mirror *m = (Mirror *)t;
    check_ids(m, from > to ? from : to);
    uint8_t *f = b->base + b->off;
    maybe_leave(m, f, b->len);
    if (from == who_am_i(m) && to != from) {
        msg_patch_to(f, b->len, to);
        if (send_net(m, from, to, f, b->len) != 0) return -1;
    }
    return m->local->post_block(m->local, from, to, b);
}

/* The envelope of a frame (kind copied into kind[]); false if it has none. */
static bool header(const uint8_t *buf, size_t len, WireHdr *h, char *kind, size_t kn)
{
    WireR r; const msgpack_object *p;
    wire_r_init(&r, "this process");
    bool ok = wire_open_frame(&r, buf, len, h, &p);
    if (ok) snprintf(kind, kn, "%s", h->kind);
    wire_r_free(&r);
    h->kind = kind;
    return ok;
}

/* Where the protocol reads a frame its party receives: the network's bytes.  The local
** simulation's frame `mine` (computed on the sender's stand-ins, docs/distributed.md)
** only says which frame the protocol expects: the two must agree in kind, sender,
** receiver and round, or the processes diverged.  1: *got is the network's frame, as a
** block over the bytes where the network received them (the caller drops its own);
** 0: the local frame is the one (not this party's, or from the public, built alike in
** every process); -1: the entry was interrupted. */
static int net_frame(Mirror *m, int from, int to, const uint8_t *mine, size_t mlen, MsgBlock **got)
{
    if (to != who_am_i(m) || from == to || from == 0) return 0;
    if (m->net->deliver_block(m->net, from, to, got) != 0) {
        if (tz_interrupted(m->net)) return -1;          /* the narrator's Ctrl-C */
        fatal(m, tz_error(m->net), mine, mlen);
    }
    const uint8_t *g = (*got)->base + (*got)->off;
    WireHdr hm, hg; char km[64], kg[64];
    if (!header(mine, mlen, &hm, km, sizeof km) || !header(g, (*got)->len, &hg, kg, sizeof kg) ||
        strcmp(km, kg) != 0 || hm.from != hg.from || hm.to != hg.to || hm.round != hg.round) {
        char why[640];
        snprintf(why, sizeof why, "the frame from %s is not the one this process expected from %s (a '%s' "
                 "frame of round %u): the processes diverged (another script or seed, or %s's messages "
                 "depend on its private values, which the other processes cannot follow)",
                 m->pf.p[from - 1].name, m->pf.p[from - 1].name, km, hm.round, m->pf.p[from - 1].name);
        (*got)->secret = true;
        msg_block_release(*got);
        fatal(m, why, mine, mlen);
    }
    return 1;
}

static int mirror_deliver(MsgTransport *t, int from, int to, uint8_t **buf, size_t *len)
{
    Mirror *m = (Mirror *)t;
    check_ids(m, from > to ? from : to);
    uint8_t *mine; size_t mlen;
    if (m->local->deliver(m->local, from, to, &mine, &mlen) != 0) return -1;
    MsgBlock *got;
    int k = net_frame(m, from, to, mine, mlen, &got);
    if (k == 0) { *buf = mine; *len = mlen; return 0; }
    free(mine);
    if (k < 0) return -1;
    *len = got->len;                    /* a plain receiver gets its own copy */
    *buf = xmalloc(got->len ? got->len : 1);
    memcpy(*buf, got->base + got->off, got->len);
    msg_block_release(got);
    return 0;
}

static int mirror_deliver_block(MsgTransport *t, int from, int to, MsgBlock **b)
{
    Mirror *m = (Mirror *)t;
    check_ids(m, from > to ? from : to);
    MsgBlock *mine;
    if (m->local->deliver_block(m->local, from, to, &mine) != 0) return -1;
    MsgBlock *got;
    int k = net_frame(m, from, to, mine->base + mine->off, mine->len, &got);
    if (k == 0) { *b = mine; return 0; }
    msg_block_release(mine);
    if (k < 0) return -1;
    *b = got;                           /* read where the network received it */
    return 0;
}

int mirror_me(MsgTransport *t) { return who_am_i((Mirror *)t); }
uint64_t mirror_sent(MsgTransport *t, int to)
{
    Mirror *m = (Mirror *)t;
    return to > 0 && to <= m->pf.n ? m->sent[to - 1] : 0;
}
int mirror_nparties(MsgTransport *t) { return ((Mirror *)t)->pf.n; }

void mirror_side_post(MsgTransport *t, int to, uint8_t *frame, size_t len)
{
    Mirror *m = (Mirror *)t;
    int me = who_am_i(m);
    check_ids(m, to);
    if (m->net->post(m->net, me, to, frame, len) != 0) {
        if (tz_interrupted(m->net)) { free(frame); return; }   /* the entry stops */
        char why[256];
        snprintf(why, sizeof why, "%s", tz_error(m->net));
        free(frame);
        fatal(m, why, NULL, 0);
    }
}

int mirror_side_take(MsgTransport *t, int from, const char *kind, uint32_t round, uint8_t **frame,
                     size_t *len)
{
    Mirror *m = (Mirror *)t;
    int me = who_am_i(m);
    check_ids(m, from);
    *frame = NULL; *len = 0;
    /* twice the timeout: a party that waits on another party's side frame waits longer
       than one that waits on a protocol frame, so that the party nearest a stalled one
       reports first, naming it */
    if (m->net->deliver(m->net, from, me, frame, len) != 0 &&
        (strncmp(tz_error(m->net), "no message from", 15) != 0 ||
         m->net->deliver(m->net, from, me, frame, len) != 0)) {
        if (tz_interrupted(m->net)) return -1;
        char why[512];
        snprintf(why, sizeof why, "%s (after round %u, a '%s' side frame)", tz_error(m->net), round, kind);
        fatal(m, why, NULL, 0);
    }
    WireHdr h; char k[64];
    if (!header(*frame, *len, &h, k, sizeof k) || strcmp(k, kind) != 0 || h.from != from) {
        char why[256];
        snprintf(why, sizeof why, "expected a '%s' side frame from %s: the processes diverged (another "
                 "script or seed?)", kind, m->pf.p[from - 1].name);
        fatal(m, why, *frame, *len);
    }
    return 0;
}

int mirror_resync(MsgTransport *t, uint32_t entry)
{
    Mirror *m = (Mirror *)t;
    m->local->close(m->local);          /* the simulated parties' frames of the entry */
    m->local = msg_transport_local();
    return tz_resync(m->net, m->pf.n, entry);
}

static void mirror_close(MsgTransport *t)
{
    Mirror *m = (Mirror *)t;
    m->local->close(m->local);
    m->net->close(m->net);
    for (int i = 0; i < m->pf.n; i++) free(m->pf.p[i].endpoint);
    free(m->pf.p);
    free(m->sent);
    free(m);
}

MsgTransport *mirror_open(const MirrorConfig *cfg)
{
    Mirror *m = xcalloc(1, sizeof *m);
    int n = cfg->parties->n - (cfg->parties->narrator != 0);    /* the narrator is last */
    PartyEntry *p = xcalloc((size_t)n, sizeof *p);
    for (int i = 0; i < n; i++) {
        p[i] = cfg->parties->p[i];
        p[i].endpoint = NULL;
    }
    m->pf = (PartiesFile){ p, n, 0 };
    m->sent = xcalloc((size_t)n, sizeof *m->sent);
    snprintf(m->self, sizeof m->self, "%s", cfg->self);
    m->t = (MsgTransport){ .name = "zeromq (mirrored)", .post = mirror_post,
                           .deliver = mirror_deliver, .close = mirror_close,
                           .post_block = mirror_post_block, .deliver_block = mirror_deliver_block };
    m->local = msg_transport_local();
    m->net = cfg->net;
    m->party_name = cfg->party_name;
    m->ctx = cfg->ctx;
    m->leave_after_round = cfg->leave_after_round;
    m->on_fatal = cfg->on_fatal;
    return &m->t;
}
