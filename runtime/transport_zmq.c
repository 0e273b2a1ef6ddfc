/*
** transport_zmq.c — the ZeroMQ carrier (see transport_zmq.h for what it promises).
**
** Design, the simplest that gives direct party-to-party links: every party BINDS one
** PULL socket at its endpoint (CURVE server, with its secret key) and CONNECTS one PUSH
** socket to each other party's endpoint (CURVE client, with its key pair and the
** peer's public key as ZMQ_CURVE_SERVERKEY).  So a link is one-way and direct, there
** is no broker, and a sender is known without trusting the bytes it sent: our ZAP
** handler (a REP socket on inproc://zeromq.zap.01 in this transport's own context,
** served by one thread) answers ZeroMQ's authentication requests, accepting only the
** parties file's public keys and returning the party's name as the connection's
** User-Id, which ZeroMQ attaches to every message it reads on that connection.
**
** A message is two parts: an 8-byte big-endian sequence number (per link, from 1,
** strictly increasing) and the frame (wire.h).  Checks on receipt, in order: the sender
** is a known party (User-Id), two parts, the number is 8 bytes and larger than the last
** one from that sender, the frame fits the size limit, wire_check passes, the envelope
** opens and names the real sender and this party.  A frame from another party than the
** one awaited is queued for later (FIFO per sender).
**
** Interrupts (tz_watch): from the first call on, a receiving thread reads every frame as
** it arrives, whoever it is for, and queues it (the queues are then shared under a
** mutex); an "interrupt" frame raises the caller's flag at once, even while this party
** computes, and from then on waits and posts fail with "interrupted" until tz_resync,
** which trades "interrupt" frames with the other parties and drops what came before.
*/
#include "transport_zmq.h"
#include "mem.h"
#include "wire.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

enum { LINGER_MS = 1000, ERR_LEN = 512 };

/* A frame received and not yet delivered: ZeroMQ's message itself, not a copy (its bytes
** stay where ZeroMQ received them; tz's deliver_block hands them on as a block). */
typedef struct Queued { struct Queued *next; zmq_msg_t msg; } Queued;

typedef struct Peer {
    char name[PF_NAME_MAX + 1];
    uint8_t pub[32];            /* binary public key, for the ZAP handler */
    void *push;                 /* our link to it (NULL for ourselves) */
    uint64_t sent;              /* last sequence number sent to it */
    uint64_t seen;              /* last sequence number received from it */
    Queued *head, *tail;        /* frames from it not yet delivered */
} Peer;

typedef struct Tz {
    MsgTransport base;          /* first: a MsgTransport * is a Tz * */
    void *ctx, *pull, *zap;
    pthread_t zap_thread;
    bool zap_running;
    Peer *peer;                 /* peer[0] is party 1 */
    int n, self;
    int timeout_ms;
    size_t max_frame;
    unsigned refused;           /* written by the ZAP thread, read after a barrier */
    pthread_mutex_t lock;
    char err[ERR_LEN];
    /* interrupts (tz_watch): the entry running (0: none), the latest entry an
       "interrupt" frame named, the latest one resynchronised, the flag to raise */
    bool watching;
    uint32_t entry, stopped, synced;
    volatile sig_atomic_t *flag;
    /* the receiving thread (tz_watch starts it): from then on it alone reads the PULL
       socket; the queues, `seen`, `stopped` and rx_err are shared under `lock` */
    pthread_t rx_thread;
    bool rx_running;
    int rx_stop;                /* __atomic: the thread ends */
    pthread_cond_t rx_cond;     /* a frame or an error arrived */
    char rx_err[ERR_LEN];       /* a refusal it met, for the next wait */
} Tz;

static void put_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_err(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, ERR_LEN, fmt, ap);
    va_end(ap);
}
#define set_err(t, ...) put_err((t)->err, __VA_ARGS__)

/* --- the ZAP handler (ZeroMQ RFC 27): one request, one reply, until the context ends */

/* Receives one part into buf (at most cap bytes; *n its real size).  -1: the context
** is ending or the socket failed. */
static int recv_part(void *s, void *buf, size_t cap, size_t *n, bool *more)
{
    int k = zmq_recv(s, buf, cap, 0);
    if (k < 0) return -1;
    *n = (size_t)k;
    int m = 0; size_t ml = sizeof m;
    zmq_getsockopt(s, ZMQ_RCVMORE, &m, &ml);
    *more = m != 0;
    return 0;
}

static void *zap_main(void *arg)
{
    Tz *t = arg;
    for (;;) {
        /* version, request id, domain, address, routing id, mechanism, credentials */
        uint8_t part[7][256];
        size_t len[7] = { 0 };
        int np = 0;
        bool more = true;
        while (more) {
            uint8_t sink[256];
            size_t n;
            if (recv_part(t->zap, np < 7 ? part[np] : sink, 256, &n, &more) != 0) goto done;
            if (np < 7) len[np] = n < 256 ? n : 256;
            np++;
        }
        const char *status = "400", *text = "unknown key";
        const char *user = "";
        if (np == 7 && len[0] == 3 && memcmp(part[0], "1.0", 3) == 0
            && len[5] == 5 && memcmp(part[5], "CURVE", 5) == 0 && len[6] == 32) {
            for (int i = 0; i < t->n; i++)
                if (memcmp(t->peer[i].pub, part[6], 32) == 0) {
                    status = "200"; text = "OK"; user = t->peer[i].name;
                    break;
                }
        } else text = "unsupported request";
        if (status[0] != '2') {
            pthread_mutex_lock(&t->lock);
            t->refused++;
            pthread_mutex_unlock(&t->lock);
        }
        if (zmq_send(t->zap, "1.0", 3, ZMQ_SNDMORE) < 0
            || zmq_send(t->zap, part[1], np > 1 ? len[1] : 0, ZMQ_SNDMORE) < 0
            || zmq_send(t->zap, status, 3, ZMQ_SNDMORE) < 0
            || zmq_send(t->zap, text, strlen(text), ZMQ_SNDMORE) < 0
            || zmq_send(t->zap, user, strlen(user), ZMQ_SNDMORE) < 0
            || zmq_send(t->zap, "", 0, 0) < 0) goto done;
    }
done:
    zmq_close(t->zap);
    return NULL;
}

/* --- posting and delivering ------------------------------------------------------ */

static void put_be64(uint8_t *p, uint64_t x) { for (int i = 7; i >= 0; i--) { p[i] = (uint8_t)x; x >>= 8; } }
static uint64_t get_be64(const uint8_t *p) { uint64_t x = 0; for (int i = 0; i < 8; i++) x = x << 8 | p[i]; return x; }

/* Sends the len bytes of buf to party `to` (checked; ZeroMQ copies them, the caller
** keeps buf); -1 with t->err. */
static int send_frame(Tz *t, int to, const uint8_t *buf, size_t len)
{
    Peer *p = &t->peer[to - 1];
    if (len > t->max_frame) {
        set_err(t, "message of %zu bytes to %s is larger than the limit of %zu bytes", len, p->name, t->max_frame);
        return -1;
    }
    uint8_t seq[8];
    put_be64(seq, p->sent + 1);
    if (zmq_send(p->push, seq, 8, ZMQ_SNDMORE) < 0 || zmq_send(p->push, buf, len, 0) < 0) {
        set_err(t, "cannot send to %s: %s", p->name,
                errno == EAGAIN ? "its link is full or it is not answering" : zmq_strerror(errno));
        return -1;
    }
    p->sent++;
    return 0;
}

static int receive_one(Tz *t, int wait_ms, int *sender, char *err);

/* True when the running entry was interrupted (and raises the flag again, so that the
** evaluator's next poll sees it even if it was cleared in between). */
static bool stopped(Tz *t)
{
    if (!t->watching || !t->entry || t->stopped < t->entry || t->synced >= t->entry) return false;
    if (t->flag) *t->flag = 1;
    set_err(t, "interrupted");
    return true;
}

int tz_send(MsgTransport *mt, int from, int to, const uint8_t *buf, size_t len)
{
    Tz *t = (Tz *)mt;
    t->err[0] = 0;
    if (from != t->self) {
        set_err(t, "cannot send as party %d from party %s's process", from, t->peer[t->self - 1].name);
        return -1;
    }
    if (to < 1 || to > t->n || to == t->self) {
        set_err(t, "no link from %s to party %d", t->peer[t->self - 1].name, to);
        return -1;
    }
    if (t->rx_running) {        /* a sender notices an interrupt too */
        pthread_mutex_lock(&t->lock);
        bool s = stopped(t);
        pthread_mutex_unlock(&t->lock);
        if (s) return -1;
    }
    return send_frame(t, to, buf, len);
}

static int tz_post(MsgTransport *mt, int from, int to, uint8_t *buf, size_t len)
{
    if (tz_send(mt, from, to, buf, len) != 0) return -1;
    free(buf);
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drains the rest of a multipart message. */
static void drain(void *s)
{
    int m = 1; size_t ml = sizeof m;
    while (zmq_getsockopt(s, ZMQ_RCVMORE, &m, &ml) == 0 && m) {
        zmq_msg_t x;
        zmq_msg_init(&x);
        zmq_msg_recv(&x, s, 0);
        zmq_msg_close(&x);
        ml = sizeof m;
    }
}

/* Reads one message and checks it.  1: a frame from *sender queued; 0: timeout;
** -1: an error in err (t->err, or the receiving thread's; TZ_EINTR: a signal came
** first).  With the receiving thread, only it calls this, holding t->lock. */
static int receive_one(Tz *t, int wait_ms, int *sender, char *err)
{
    zmq_pollitem_t it = { .socket = t->pull, .events = ZMQ_POLLIN };
    int k = zmq_poll(&it, 1, wait_ms);
    if (k < 0 && errno == EINTR) { put_err(err, "%s", TZ_EINTR); return -1; }   /* the caller's flag */
    if (k < 0) { put_err(err, "cannot receive: %s", zmq_strerror(errno)); return -1; }
    if (k == 0) return 0;
    zmq_msg_t seq, body;
    zmq_msg_init(&seq);
    if (zmq_msg_recv(&seq, t->pull, 0) < 0) {
        zmq_msg_close(&seq);
        put_err(err, "cannot receive: %s", zmq_strerror(errno));
        return -1;
    }
    const char *user = zmq_msg_gets(&seq, "User-Id");
    int id = 0;
    for (int i = 0; user && i < t->n; i++) if (strcmp(t->peer[i].name, user) == 0) id = i + 1;
    if (id == 0 || id == t->self) {
        zmq_msg_close(&seq); drain(t->pull);
        put_err(err, "message from an unauthenticated peer refused");
        return -1;
    }
    Peer *p = &t->peer[id - 1];
    if (!zmq_msg_more(&seq)) {
        zmq_msg_close(&seq);
        put_err(err, "malformed message from %s: one part, expected a sequence number and a frame", p->name);
        return -1;
    }
    zmq_msg_init(&body);
    int rc = zmq_msg_recv(&body, t->pull, 0);
    bool more = rc >= 0 && zmq_msg_more(&body);
    if (more) drain(t->pull);
    rc = rc < 0 ? -1 : 0;
    size_t len = zmq_msg_size(&body);
    uint64_t n = zmq_msg_size(&seq) == 8 ? get_be64(zmq_msg_data(&seq)) : 0;
    if (rc != 0) put_err(err, "cannot receive from %s: %s", p->name, zmq_strerror(errno));
    else if (more || zmq_msg_size(&seq) != 8) {
        put_err(err, "malformed message from %s: expected an 8-byte sequence number and one frame", p->name);
        rc = -1;
    } else if (n <= p->seen) {
        put_err(err, "replayed message from %s refused (sequence number %llu after %llu)", p->name,
                (unsigned long long)n, (unsigned long long)p->seen);
        rc = -1;
    } else if (len > t->max_frame) {
        put_err(err, "message of %zu bytes from %s refused: larger than the limit of %zu bytes", len, p->name, t->max_frame);
        rc = -1;
    }
    if (rc == 0) {
        p->seen = n;            /* even if the frame is malformed: it cannot come again */
        WireR r;
        WireHdr h;
        const msgpack_object *pay;
        wire_r_init(&r, p->name);
        if (!wire_open_frame(&r, zmq_msg_data(&body), len, &h, &pay)) {
            put_err(err, "%s", r.e.msg);
            rc = -1;
        } else if (h.from != id || h.to != t->self) {
            put_err(err, "malformed message from %s: its envelope says from party %d to party %d", p->name, h.from, h.to);
            rc = -1;
        } else if (t->watching && strcmp(h.kind, "interrupt") == 0 && h.round > t->stopped) {
            t->stopped = h.round;
            if (t->flag && t->entry && t->stopped >= t->entry && t->synced < t->entry) *t->flag = 1;
        }
        wire_r_free(&r);
    }
    if (rc == 0) {
        Queued *q = xmalloc(sizeof *q);
        q->next = NULL;
        zmq_msg_init(&q->msg);
        zmq_msg_move(&q->msg, &body);           /* the bytes stay where they are */
        if (p->tail) p->tail->next = q; else p->head = q;
        p->tail = q;
        *sender = id;
        rc = 1;
    }
    zmq_msg_close(&seq);
    zmq_msg_close(&body);
    return rc;
}

/* The first party (from, or any when 0) with a frame queued; 0 if none. */
static int queued(Tz *t, int from)
{
    for (int i = 0; i < t->n; i++)
        if ((from == 0 || from == i + 1) && t->peer[i].head) return i + 1;
    return 0;
}

static void timed_out(Tz *t, int from)
{
    if (from) set_err(t, "no message from %s within %d ms (party %s was waiting for it)",
                      t->peer[from - 1].name, t->timeout_ms, t->peer[t->self - 1].name);
    else set_err(t, "no message for party %s within %d ms", t->peer[t->self - 1].name, t->timeout_ms);
}

/* The same with the receiving thread: waits on its condition, in slices, so that a
** signal's flag is seen too.  0 with *id, or -1; t->lock is held on return. */
static int wait_rx(Tz *t, int from, int *id)
{
    long deadline = now_ms() + t->timeout_ms;
    pthread_mutex_lock(&t->lock);
    for (;;) {
        if (t->rx_err[0]) { set_err(t, "%s", t->rx_err); t->rx_err[0] = 0; return -1; }
        if (stopped(t)) return -1;
        if ((*id = queued(t, from))) return 0;
        if (t->flag && *t->flag) { set_err(t, "%s", TZ_EINTR); return -1; }
        long left = deadline - now_ms();
        if (left <= 0) { timed_out(t, from); return -1; }
        if (left > 100) left = 100;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (left % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&t->rx_cond, &t->lock, &ts);
    }
}

/* A queued frame's end (a MsgBlock's release): ZeroMQ frees the message. */
static void queued_free(void *q)
{
    zmq_msg_close(&((Queued *)q)->msg);
    free(q);
}

/* Waits for a frame from party `from` (0: any party) to this one; *from_out says who.
** The frame as it was received (free it with queued_free), or NULL with t->err. */
static Queued *wait_queued(Tz *t, int from, int *from_out)
{
    t->err[0] = 0;
    int id = 0;
    if (t->rx_running) {
        int rc = wait_rx(t, from, &id);
        if (rc != 0) { pthread_mutex_unlock(&t->lock); return NULL; }
    } else {
        id = queued(t, from);
        long deadline = now_ms() + t->timeout_ms;
        while (!id || stopped(t)) {
            if (stopped(t)) return NULL;
            long left = deadline - now_ms();
            int who = 0;
            int k = left > 0 ? receive_one(t, (int)left, &who, t->err) : 0;
            if (k < 0) return NULL;
            if (k == 0) { timed_out(t, from); return NULL; }
            if (from == 0 || who == from) id = who;
        }
    }
    Peer *p = &t->peer[id - 1];
    Queued *q = p->head;
    p->head = q->next;
    if (!p->head) p->tail = NULL;
    if (t->rx_running) pthread_mutex_unlock(&t->lock);
    *from_out = id;
    return q;
}

/* The same, as a malloc'd copy of the frame (the caller frees *buf). */
static int wait_frame(Tz *t, int from, int *from_out, uint8_t **buf, size_t *len)
{
    Queued *q = wait_queued(t, from, from_out);
    if (!q) return -1;
    *len = zmq_msg_size(&q->msg);
    *buf = xmalloc(*len ? *len : 1);
    memcpy(*buf, zmq_msg_data(&q->msg), *len);
    queued_free(q);
    return 0;
}

static int tz_deliver(MsgTransport *mt, int from, int to, uint8_t **buf, size_t *len)
{
    Tz *t = (Tz *)mt;
    if (to != t->self || from < 1 || from > t->n || from == t->self) {
        set_err(t, "party %s cannot receive from party %d for party %d", t->peer[t->self - 1].name, from, to);
        return -1;
    }
    int who;
    return wait_frame(t, from, &who, buf, len);
}

/* deliver() without a copy: the block lies in ZeroMQ's message, which its last holder
** frees. */
static int tz_deliver_block(MsgTransport *mt, int from, int to, MsgBlock **b)
{
    Tz *t = (Tz *)mt;
    if (to != t->self || from < 1 || from > t->n || from == t->self) {
        set_err(t, "party %s cannot receive from party %d for party %d", t->peer[t->self - 1].name, from, to);
        return -1;
    }
    int who;
    Queued *q = wait_queued(t, from, &who);
    if (!q) return -1;
    *b = msg_block_owned(zmq_msg_data(&q->msg), zmq_msg_size(&q->msg), q, queued_free);
    return 0;
}

int tz_deliver_any(MsgTransport *mt, int *from, uint8_t **buf, size_t *len)
{
    return wait_frame((Tz *)mt, 0, from, buf, len);
}

/* The receiving thread: reads every frame as it arrives, so that an interrupt raises
** the flag even while the party computes without waiting for a frame. */
static void *rx_main(void *arg)
{
    Tz *t = arg;
    char err[ERR_LEN];
    while (!__atomic_load_n(&t->rx_stop, __ATOMIC_ACQUIRE)) {
        zmq_pollitem_t it = { .socket = t->pull, .events = ZMQ_POLLIN };
        if (zmq_poll(&it, 1, 50) <= 0) continue;
        int who;
        pthread_mutex_lock(&t->lock);
        err[0] = 0;
        if (receive_one(t, 0, &who, err) < 0 && !t->rx_err[0]) snprintf(t->rx_err, sizeof t->rx_err, "%s", err);
        pthread_cond_broadcast(&t->rx_cond);
        pthread_mutex_unlock(&t->lock);
    }
    return NULL;
}

void tz_watch(MsgTransport *mt, uint32_t entry, volatile sig_atomic_t *flag)
{
    Tz *t = (Tz *)mt;
    if (t->rx_running) pthread_mutex_lock(&t->lock);
    t->watching = true;
    t->entry = entry;
    t->flag = flag;
    /* an interrupt for this entry that came before it started: it stops at once */
    if (flag && entry && t->stopped >= entry && t->synced < entry) *flag = 1;
    if (t->rx_running) { pthread_mutex_unlock(&t->lock); return; }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->rx_cond, &ca);
    pthread_condattr_destroy(&ca);
    sigset_t all, old;          /* signals stay the main thread's */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    t->rx_running = pthread_create(&t->rx_thread, NULL, rx_main, t) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!t->rx_running) pthread_cond_destroy(&t->rx_cond);
}

bool tz_interrupted(MsgTransport *mt)
{
    Tz *t = (Tz *)mt;
    if (t->rx_running) pthread_mutex_lock(&t->lock);
    bool r = t->watching && t->entry && t->stopped >= t->entry && t->synced < t->entry;
    if (t->rx_running) pthread_mutex_unlock(&t->lock);
    return r;
}

uint32_t tz_stopped(MsgTransport *mt)
{
    Tz *t = (Tz *)mt;
    if (t->rx_running) pthread_mutex_lock(&t->lock);
    uint32_t r = t->stopped;
    if (t->rx_running) pthread_mutex_unlock(&t->lock);
    return r;
}

int tz_resync(MsgTransport *mt, int n, uint32_t entry)
{
    Tz *t = (Tz *)mt;
    if (t->rx_running) pthread_mutex_lock(&t->lock);
    if (t->synced < entry) t->synced = entry;      /* waits work again */
    if (t->rx_running) pthread_mutex_unlock(&t->lock);
    if (n > t->n) n = t->n;
    for (int q = 1; q <= n; q++) {
        if (q == t->self) continue;
        WireW w; wire_w_init(&w);
        WireHdr h = { "interrupt", t->self, q, entry };
        wire_put_envelope(&w, &h);
        wire_put_nil(&w);
        size_t len;
        uint8_t *f = wire_w_take(&w, &len);
        int rc = send_frame(t, q, f, len);
        free(f);
        if (rc != 0) return -1;
    }
    for (int q = 1; q <= n; q++) {
        bool found = q == t->self;
        while (!found) {
            uint8_t *buf; size_t len; int who;
            if (wait_frame(t, q, &who, &buf, &len) != 0) return -1;
            WireR r; WireHdr h; const msgpack_object *pay;
            wire_r_init(&r, t->peer[q - 1].name);
            found = wire_open_frame(&r, buf, len, &h, &pay) && strcmp(h.kind, "interrupt") == 0 && h.round >= entry;
            wire_r_free(&r);
            free(buf);          /* a frame of the stopped entry: dropped */
        }
    }
    return 0;
}

static void tz_close(MsgTransport *mt)
{
    Tz *t = (Tz *)mt;
    if (!t) return;
    if (t->rx_running) {
        __atomic_store_n(&t->rx_stop, 1, __ATOMIC_RELEASE);
        pthread_join(t->rx_thread, NULL);
        pthread_cond_destroy(&t->rx_cond);
    }
    for (int i = 0; i < t->n; i++) {
        if (t->peer[i].push) zmq_close(t->peer[i].push);
        for (Queued *q = t->peer[i].head, *nx; q; q = nx) { nx = q->next; queued_free(q); }
    }
    if (t->pull) zmq_close(t->pull);
    if (t->zap && !t->zap_running) zmq_close(t->zap);
    if (t->ctx) zmq_ctx_term(t->ctx);      /* ends the ZAP thread's recv with ETERM */
    if (t->zap_running) pthread_join(t->zap_thread, NULL);
    pthread_mutex_destroy(&t->lock);
    free(t->peer);
    free(t);
}

const char *tz_error(MsgTransport *t) { return ((Tz *)t)->err; }

unsigned tz_refused(MsgTransport *mt)
{
    Tz *t = (Tz *)mt;
    pthread_mutex_lock(&t->lock);
    unsigned n = t->refused;
    pthread_mutex_unlock(&t->lock);
    return n;
}

/* --- opening ------------------------------------------------------------------------- */

static int setopt(Tz *t, void *s, int opt, const void *v, size_t n, const char *what)
{
    if (zmq_setsockopt(s, opt, v, n) == 0) return 0;
    set_err(t, "cannot set %s: %s", what, zmq_strerror(errno));
    return -1;
}

static int setint(Tz *t, void *s, int opt, int v, const char *what) { return setopt(t, s, opt, &v, sizeof v, what); }

static int open_links(Tz *t, const TzConfig *cfg, const char *pub, const char *sec)
{
    const PartiesFile *pf = cfg->parties;
    t->zap = zmq_socket(t->ctx, ZMQ_REP);
    if (!t->zap || zmq_bind(t->zap, "inproc://zeromq.zap.01") != 0) {
        set_err(t, "cannot start the ZAP handler: %s", zmq_strerror(errno));
        return -1;
    }
    if (pthread_create(&t->zap_thread, NULL, zap_main, t) != 0) {
        set_err(t, "cannot start the ZAP handler thread");
        return -1;
    }
    t->zap_running = true;

    const PartyEntry *me = &pf->p[t->self - 1];
    int64_t maxmsg = (int64_t)(t->max_frame * 2 < t->max_frame ? t->max_frame : t->max_frame * 2);
    t->pull = zmq_socket(t->ctx, ZMQ_PULL);
    if (!t->pull) { set_err(t, "cannot create a socket: %s", zmq_strerror(errno)); return -1; }
    if (setint(t, t->pull, ZMQ_CURVE_SERVER, 1, "CURVE server") || setint(t, t->pull, ZMQ_LINGER, 0, "linger")
        || setopt(t, t->pull, ZMQ_CURVE_SECRETKEY, sec, TZ_KEY_LEN, "the secret key")
        || setopt(t, t->pull, ZMQ_ZAP_DOMAIN, "ppdl", 4, "the ZAP domain")
        || setopt(t, t->pull, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg, "the message size limit"))
        return -1;
    if (zmq_bind(t->pull, me->endpoint) != 0) {
        set_err(t, "party %s cannot listen on %s: %s (is the port in use, or HOST not an address of this machine? fix the parties file)",
                me->name, me->endpoint, zmq_strerror(errno));
        return -1;
    }
    for (int i = 0; i < t->n; i++) {
        if (i + 1 == t->self) continue;
        void *s = t->peer[i].push = zmq_socket(t->ctx, ZMQ_PUSH);
        if (!s) { set_err(t, "cannot create a socket: %s", zmq_strerror(errno)); return -1; }
        if (setopt(t, s, ZMQ_CURVE_SERVERKEY, pf->p[i].key, TZ_KEY_LEN, "the peer's key")
            || setopt(t, s, ZMQ_CURVE_PUBLICKEY, pub, TZ_KEY_LEN, "the public key")
            || setopt(t, s, ZMQ_CURVE_SECRETKEY, sec, TZ_KEY_LEN, "the secret key")
            || setint(t, s, ZMQ_LINGER, LINGER_MS, "linger")
            || setint(t, s, ZMQ_SNDTIMEO, t->timeout_ms, "the send timeout"))
            return -1;
        if (zmq_connect(s, pf->p[i].endpoint) != 0) {
            set_err(t, "cannot connect to %s at %s: %s", pf->p[i].name, pf->p[i].endpoint, zmq_strerror(errno));
            return -1;
        }
    }
    return 0;
}

MsgTransport *tz_open(const TzConfig *cfg, char *err, size_t errlen)
{
    const PartiesFile *pf = cfg->parties;
    if (!pf || cfg->self < 1 || cfg->self > pf->n) {
        snprintf(err, errlen, "party %d is not in the parties file", cfg->self);
        return NULL;
    }
    const PartyEntry *me = &pf->p[cfg->self - 1];
    char sec[TZ_KEY_LEN + 1], pub[TZ_KEY_LEN + 1];
    if (!cfg->secret || strlen(cfg->secret) != TZ_KEY_LEN) {
        snprintf(err, errlen, "party %s: the secret key must be %d Z85 characters", me->name, TZ_KEY_LEN);
        return NULL;
    }
    memcpy(sec, cfg->secret, sizeof sec);
    if (zmq_curve_public(pub, sec) != 0 || strcmp(pub, me->key) != 0) {
        explicit_bzero(sec, sizeof sec);
        snprintf(err, errlen, "party %s: the secret key does not belong to the public key in the parties file "
                 "(use the .key file `ppdl keygen %s` wrote with the .pub it printed)", me->name, me->name);
        return NULL;
    }
    Tz *t = xcalloc(1, sizeof *t);
    t->peer = xcalloc((size_t)pf->n, sizeof *t->peer);
    t->base = (MsgTransport){ .name = "zeromq", .post = tz_post, .deliver = tz_deliver,
                              .close = tz_close, .deliver_block = tz_deliver_block };
                              /* blocks are posted as copies (ZeroMQ's), received as they lie */
    pthread_mutex_init(&t->lock, NULL);
    t->n = pf->n; t->self = cfg->self;
    t->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : TZ_TIMEOUT_MS;
    t->max_frame = cfg->max_frame ? cfg->max_frame : WIRE_MAX_FRAME;
    for (int i = 0; i < pf->n; i++) {
        memcpy(t->peer[i].name, pf->p[i].name, sizeof t->peer[i].name);
        zmq_z85_decode(t->peer[i].pub, pf->p[i].key);
    }
    t->ctx = zmq_ctx_new();
    int rc = t->ctx ? open_links(t, cfg, pub, sec) : -1;
    explicit_bzero(sec, sizeof sec);
    if (rc != 0) {
        snprintf(err, errlen, "%s", t->ctx ? t->err : "cannot create a ZeroMQ context");
        tz_close(&t->base);
        return NULL;
    }
    return &t->base;
}

/* --- key files --------------------------------------------------------------------- */

static int write_file(const char *path, const char *line, mode_t mode, bool excl, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | (excl ? O_EXCL : O_TRUNC), mode);
    if (fd < 0) {
        snprintf(err, errlen, errno == EEXIST ? "'%s' exists already (keys are never replaced; remove it or pick another name)"
                 : "cannot create '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t n = strlen(line);
    bool ok = write(fd, line, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fchmod(fd, mode) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) { snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno)); unlink(path); return -1; }
    return 0;
}

int tz_keygen(const char *base, char pub[TZ_KEY_LEN + 1], char *err, size_t errlen)
{
    char sec[TZ_KEY_LEN + 1];
    size_t bl = strlen(base);
    char *kp = xmalloc(bl + 5), *pp = xmalloc(bl + 5);
    int rc = -1;
    if (zmq_curve_keypair(pub, sec) != 0) snprintf(err, errlen, "cannot make a CURVE key pair: %s", zmq_strerror(errno));
    else {
        snprintf(kp, bl + 5, "%s.key", base);
        snprintf(pp, bl + 5, "%s.pub", base);
        if (write_file(kp, sec, 0600, true, err, errlen) == 0) {
            if (write_file(pp, pub, 0644, false, err, errlen) == 0) rc = 0;
            else unlink(kp);
        }
    }
    explicit_bzero(sec, sizeof sec);
    free(kp); free(pp);
    return rc;
}

int tz_read_key(const char *path, bool secret, char key[TZ_KEY_LEN + 1], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) { snprintf(err, errlen, "cannot open key file '%s': %s", path, strerror(errno)); return -1; }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "key file '%s' is not a regular file", path);
        return -1;
    }
    if (secret && (st.st_mode & 077)) {
        close(fd);
        snprintf(err, errlen, "secret key file '%s' can be read by others (run chmod 600 '%s')", path, path);
        return -1;
    }
    char buf[TZ_KEY_LEN + 3];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    uint8_t bin[32];
    bool ok = n == TZ_KEY_LEN;
    if (ok) { memcpy(key, buf, TZ_KEY_LEN); key[TZ_KEY_LEN] = 0; ok = zmq_z85_decode(bin, key) != NULL; }
    explicit_bzero(buf, sizeof buf);
    explicit_bzero(bin, sizeof bin);
    if (!ok) {
        explicit_bzero(key, TZ_KEY_LEN + 1);
        snprintf(err, errlen, "key file '%s' does not hold one 40-character Z85 key (make one with `ppdl keygen NAME`)", path);
        return -1;
    }
    return 0;
}
