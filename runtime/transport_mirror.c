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
} Mirror;

static void __attribute__((noreturn)) fatal(Mirror *m, const char *why, const uint8_t *frame, size_t len)
{
    WireR r; WireHdr h; const msgpack_object *p;
    fflush(stdout);
    wire_r_init(&r, "this process");
    char msg[768];
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

static int mirror_post(MsgTransport *t, int from, int to, uint8_t *buf, size_t len)
{
    Mirror *m = (Mirror *)t;
    check_ids(m, from > to ? from : to);
    if (m->leave_after_round > 0) {
        WireR r; WireHdr h; const msgpack_object *p;
        wire_r_init(&r, "this process");
        if (wire_open_frame(&r, buf, len, &h, &p) && h.round > (uint32_t)m->leave_after_round) {
            fflush(stdout);
            raise(SIGKILL);             /* the test hook: this party's machine goes down */
        }
        wire_r_free(&r);
    }
    if (from == who_am_i(m) && to != from) {
        uint8_t *copy = xmalloc(len);
        memcpy(copy, buf, len);
        if (m->net->post(m->net, from, to, copy, len) != 0) {
            free(copy);
            fatal(m, tz_error(m->net), buf, len);
        }
    }
    return m->local->post(m->local, from, to, buf, len);
}

/* Where the protocol reads a frame its party receives: the network's bytes, which must
** be the mirror's. */
static int mirror_deliver(MsgTransport *t, int from, int to, uint8_t **buf, size_t *len)
{
    Mirror *m = (Mirror *)t;
    check_ids(m, from > to ? from : to);
    uint8_t *mine; size_t mlen;
    if (m->local->deliver(m->local, from, to, &mine, &mlen) != 0) return -1;
    if (to != who_am_i(m) || from == to) { *buf = mine; *len = mlen; return 0; }
    uint8_t *got; size_t glen;
    if (m->net->deliver(m->net, from, to, &got, &glen) != 0) {
        fatal(m, tz_error(m->net), mine, mlen);
    }
    if (glen != mlen || memcmp(got, mine, mlen) != 0) {
        char why[256];
        snprintf(why, sizeof why, "the frame from %s is not the one this process computed for %s: the "
                 "processes diverged (another script, seed or input file?)", m->pf.p[from - 1].name,
                 m->pf.p[from - 1].name);
        free(got);
        fatal(m, why, mine, mlen);
    }
    free(mine);
    *buf = got; *len = glen;
    return 0;
}

static void mirror_close(MsgTransport *t)
{
    Mirror *m = (Mirror *)t;
    m->local->close(m->local);
    m->net->close(m->net);
    for (int i = 0; i < m->pf.n; i++) free(m->pf.p[i].endpoint);
    free(m->pf.p);
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
    snprintf(m->self, sizeof m->self, "%s", cfg->self);
    m->t = (MsgTransport){ .name = "zeromq (mirrored)", .post = mirror_post,
                           .deliver = mirror_deliver, .close = mirror_close };
    m->local = msg_transport_local();
    m->net = cfg->net;
    m->party_name = cfg->party_name;
    m->ctx = cfg->ctx;
    m->leave_after_round = cfg->leave_after_round;
    m->on_fatal = cfg->on_fatal;
    return &m->t;
}
