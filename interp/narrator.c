/*
** narrator.c — a distributed run driven from elsewhere (distrib.h, docs/distributed.md,
** "Driving parties"): the parties file names a NARRATOR (the teacher's script or REPL),
** and the parties, started with `ppdl serve --party NAME --parties FILE`, run what it
** sends.  Both ends are here:
**
**  - a party's SESSION: waits for the narrator's "run" frames (a chunk of source: a
**    whole script or one REPL entry), runs each in one interpreter that lives for the
**    session (its frames over the mirrored carrier, transport_mirror.h), and answers
**    each with a "shown" frame: the status, the errors, and — only when the party was
**    started with --show-narrator — what the chunk printed.  A party started without it
**    runs with --strict, so the narrator's peeks are refused there;
**  - the DRIVER: sends each chunk to every party, waits for their answers, prints the
**    first shown output and the first error, and at the end sends "stop".
**
** Ctrl-C at the driver sends every party an "interrupt" frame naming the chunk.  A party's
** transport sees it as it arrives (transport_zmq.h, tz_watch) and raises the evaluator's
** flag; a protocol step then fails too; the evaluator unwinds with "interrupted", and the
** party answers the chunk as usual.  Then
** every party, whether it was still in the chunk or had finished it, trades "interrupt"
** frames with the other parties and drops every frame that came before them
** (mirror_resync), trades "sent" frames with them (the records of the messages each
** really sent in the chunk), and sets alike what the processes must agree on: the
** transcript keeps the messages that crossed, in the chunk's order (rep_stop_merge), the
** round goes on from the furthest one, the public generator goes back to where the chunk
** began.  It answers "stopped".  The driver waits for every "stopped" and keeps the REPL;
** the next chunk finds the parties in step.  What the chunk did to each party's own
** values stays done, as in one process.
**
** The narrator's frames travel on the same CURVE links as the protocol's, with their own
** kinds ("run", "shown", "stop"), and never through the message layer: they are not in
** the transcript and cost() does not count them.
*/
#include "distrib.h"
#include "mem.h"
#include "interp.h"
#include "transport_mirror.h"
#include "transport_zmq.h"
#include "wire.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "repl.h"

/* A narrator frame's payload: an array of these. */
typedef struct Item { int type; const char *s; size_t n; int64_t i; } Item;  /* 0 nil 1 str 2 int 3 bool */

/* Sends one narrator frame (kind, the chunk's number in the round field, the items).
** 0, or -1 with the transport's error printed to errf. */
static int send_items(MsgTransport *t, int from, int to, const char *kind, uint32_t chunk,
                      const Item *it, int n, FILE *errf)
{
    WireW w;
    wire_w_init(&w);
    WireHdr h = { kind, from, to, chunk };
    wire_put_envelope(&w, &h);
    wire_put_array(&w, (size_t)n);
    for (int k = 0; k < n; k++) {
        if (it[k].type == 1) wire_put_str(&w, it[k].s, it[k].n);
        else if (it[k].type == 2) wire_put_int(&w, it[k].i);
        else if (it[k].type == 3) wire_put_bool(&w, it[k].i != 0);
        else wire_put_nil(&w);
    }
    size_t len;
    uint8_t *f = wire_w_take(&w, &len);
    if (t->post(t, from, to, f, len) != 0) {
        free(f);
        fprintf(errf, "ppdl: %s\n", tz_error(t));
        return -1;
    }
    return 0;
}

/* Opens a narrator frame: true, *it its payload array's items and *n their count;
** false if the frame is malformed or its payload is not an array. */
static bool open_items(WireR *r, const uint8_t *buf, size_t len, WireHdr *h,
                       const msgpack_object **it, uint32_t *n)
{
    const msgpack_object *p;
    if (!wire_open_frame(r, buf, len, h, &p) || p->type != MSGPACK_OBJECT_ARRAY) return false;
    *it = p->via.array.ptr;
    *n = p->via.array.size;
    return true;
}

/* A str item as a malloc'd C string, NULL for nil or another type. */
static char *str_item(WireR *r, const msgpack_object *o)
{
    const char *s; size_t n;
    if (o->type == MSGPACK_OBJECT_NIL || !wire_get_str(r, o, &s, &n)) return NULL;
    return xstrndup(s, n);
}

/* ------------------------------------------------------------ a party's session --- */

static volatile sig_atomic_t session_stop, entry_stop;
static void on_stop(int sig) { (void)sig; session_stop = 1; entry_stop = 1; }

/* Where the running chunk began, in what every process must agree on; and the last
** chunk this party resynchronised after an interrupt. */
static struct { uint32_t chunk; TrMark tr; size_t synced; Rng rng; uint64_t sent[64]; } mark;
static uint32_t resynced;

static const char *interp_party(void *ctx, int id)
{
    Interp *I = ctx;
    return id > 0 && id <= I->nparties ? I->parties[id].name->name : NULL;
}

/* Runs one chunk with its output captured (*out, *err malloc'd); returns the status. */
static int run_chunk(Interp *I, const char *name, const char *text, bool echo, char **out, char **err)
{
    size_t on = 0, en = 0;
    *out = *err = NULL;
    FILE *o = open_memstream(out, &on), *e = open_memstream(err, &en);
    FILE *so = I->out, *se = I->errout;
    if (o && e) { I->out = o; I->errout = e; }
    Source *src = src_new(name, text, strlen(text), 1);
    EvStatus st = ev_run(I, src, echo);
    if (st == EV_INCOMPLETE) repl_report_incomplete(I, src);
    src_release(src);
    I->out = so; I->errout = se;
    if (o) fclose(o);
    if (e) fclose(e);
    return st == EV_OK ? 0 : 1;
}

/* The session's directory for the files of the parties it simulates. */
static char scratch[512];

/* The session's state that a fatal network error reports to the narrator. */
static struct { MsgTransport *net; int me, nar; uint32_t chunk; } live;

static void tell_narrator(void *ctx, const char *msg)
{
    (void)ctx;
    Item it[3] = { { 2, NULL, 0, 1 }, { 0, NULL, 0, 0 }, { 1, msg, strlen(msg), 0 } };
    send_items(live.net, live.me, live.nar, "shown", live.chunk, it, 3, stderr);
    live.net->close(live.net);          /* lingers until the answer has left */
}

/* Runs a "run" frame's chunk (payload [name, text, echo, seed or nil, the mask of the
** parties that show their values to the narrator]) and answers. */
static void answer_run(Interp **Ip, MsgTransport *net, const PartiesFile *pf, const char *self,
                       bool show, WireR *r, const msgpack_object *a, uint32_t chunk)
{
    int me = pf_find(pf, self), nar = pf->narrator;
    char *name = str_item(r, &a[0]), *text = str_item(r, &a[1]);
    bool echo = false;
    int64_t seed = -1;
    int64_t mask = 0;
    bool ok = name && text && wire_get_bool(r, &a[2], &echo)
              && (a[3].type == MSGPACK_OBJECT_NIL || wire_get_int(r, &a[3], 0, INT64_MAX, &seed))
              && wire_get_int(r, &a[4], 0, INT64_MAX, &mask);
    if (!ok) {
        fprintf(stderr, "ppdl: party %s: a malformed 'run' frame from the narrator, ignored\n", self);
        free(name); free(text);
        return;
    }
    Interp *I = *Ip;
    if (!I) {
        *Ip = I = ev_new();
        MirrorConfig mc = { net, pf, self, interp_party, I, distrib_leave_round(self), tell_narrator };
        msg_free(&I->msg);
        msg_init(&I->msg, &I->tr, mirror_open(&mc));
        I->strict = true;       /* peeks only of the values of parties that show them */
        I->mirror_self = self;  /* the scratch directory is made at the first copy */
        distrib_tmp_template(scratch, sizeof scratch, "ppdl-mirror");
        I->mirror_dir = scratch;
        I->interrupt = &entry_stop;     /* Ctrl-C at the party stops its entry, then it; */
    }                                   /* the narrator's interrupt stops the entry */
    I->peek_ok = (uint64_t)mask;
    /* bit 60: the driver's own fresh seed, for the public stream only (each party's
       generator stays the operating system's) */
    if (seed >= 0 && (seed >> 60 & 1)) ev_public_seed(I, (uint64_t)seed & ((1ULL << 53) - 1));
    else if (seed >= 0) ev_seed(I, (uint64_t)seed);
    live.net = net; live.me = me; live.nar = nar; live.chunk = chunk;
    mark.chunk = chunk; mark.tr = tr_mark(&I->tr); mark.synced = I->rep_synced; mark.rng = I->rng;
    for (int q = 1; q < 64; q++) mark.sent[q] = mirror_sent(I->msg.tp, q);
    tz_watch(net, chunk, &entry_stop);
    char *out, *err;
    int st = run_chunk(I, name, text, echo, &out, &err);
    tz_watch(net, 0, &entry_stop);
    bool stopped = tz_stopped(net) >= chunk;
    if (stopped) {              /* its error is the interrupt's, whichever step saw it */
        free(err);
        err = xstrdup("interrupted\n");
        st = 1;
    }
    if (out) fputs(out, stdout);
    if (err && !stopped) fputs(err, stderr);
    fflush(stdout);
    Item it[3] = { { 2, NULL, 0, st }, { 0, NULL, 0, 0 }, { 0, NULL, 0, 0 } };
    if (show && out) it[1] = (Item){ 1, out, strlen(out), 0 };
    if (err) it[2] = (Item){ 1, err, strlen(err), 0 };
    send_items(net, me, nar, "shown", chunk, it, 3, stderr);
    free(out); free(err); free(name); free(text);
}

/* Trades "sent" frames (rep_stop_frame) with the other parties, after the resync: each
** party's next frame is its own.  got[q - 1]: party q's (mine: this party's, taken).  0, or
** -1 with why. */
static int trade_sent(MsgTransport *net, int me, int n, uint32_t chunk, uint8_t *mine, size_t len,
                      uint8_t **got, size_t *glen, const PartiesFile *pf, char *why, size_t whylen)
{
    got[me - 1] = mine; glen[me - 1] = len;
    for (int q = 1; q <= n; q++) {
        if (q == me) continue;
        uint8_t *f = xmalloc(len);
        memcpy(f, mine, len);
        msg_patch_to(f, len, q);
        if (net->post(net, me, q, f, len) != 0) {
            free(f);
            snprintf(why, whylen, "%s", tz_error(net));
            return -1;
        }
    }
    for (int q = 1; q <= n; q++) {
        if (q == me) continue;
        if (net->deliver(net, q, me, &got[q - 1], &glen[q - 1]) != 0) {
            snprintf(why, whylen, "%s", tz_error(net));
            return -1;
        }
        WireR r; WireHdr h; const msgpack_object *p;
        wire_r_init(&r, pf->p[q - 1].name);
        bool ok = wire_open_frame(&r, got[q - 1], glen[q - 1], &h, &p) && strcmp(h.kind, "sent") == 0 &&
                  h.round == chunk;
        wire_r_free(&r);
        if (!ok) {
            snprintf(why, whylen, "%s did not send the list of its messages of the stopped entry",
                     pf->p[q - 1].name);
            return -1;
        }
    }
    return 0;
}

/* After the narrator interrupted chunk `chunk` (this party may have finished it): in step
** with the other parties again, and answer "stopped".  The processes stopped at different
** steps; what they must agree on is rebuilt alike in each: the transcript keeps the
** messages that crossed (each party tells the others the records of those it sent,
** rep_stop_merge), the round goes on from the furthest one, the public generator goes
** back to where the chunk began. */
static void stop_chunk(Interp *I, MsgTransport *net, const PartiesFile *pf, const char *self, uint32_t chunk)
{
    if (resynced >= chunk) return;      /* done already */
    resynced = chunk;
    int me = pf_find(pf, self), nar = pf->narrator, n = pf->n - 1;
    bool ran = I && mark.chunk == chunk;
    size_t len;
    uint8_t *mine = rep_stop_frame(ran ? I : NULL, me, chunk, mark.tr.n, mark.sent, &len);
    entry_stop = 0;             /* (a signal during the exchange ends it) */
    int rc = I ? mirror_resync(I->msg.tp, chunk) : tz_resync(net, n, chunk);
    char why[600] = "", what[500] = "";
    uint8_t **got = xcalloc((size_t)n + 1, sizeof *got);
    size_t *glen = xcalloc((size_t)n + 1, sizeof *glen);
    if (rc == 0) rc = trade_sent(net, me, n, chunk, mine, len, got, glen, pf, what, sizeof what);
    else { snprintf(what, sizeof what, "%s", tz_error(net)); free(mine); }
    if (ran) {
        if (rc != 0 || !rep_stop_merge(I, mark.tr, got, glen, n, what, sizeof what)) {
            rc = -1;
            tr_rewind(&I->tr, mark.tr);         /* (rep_stop_merge has) */
            I->rep_synced = mark.synced;
        }
        I->rng = mark.rng;
        I->msg.par_depth = 0; I->msg.par_round = 0;
    }
    for (int q = 0; q < n; q++) free(got[q]);
    free(got); free(glen);
    if (rc != 0) snprintf(why, sizeof why, "ppdl: party %s: after the interrupt: %s\n", self, what);
    if (why[0]) fputs(why, stderr);
    else fprintf(stderr, "ppdl: party %s: interrupted by the narrator; ready for the next entry\n", self);
    Item it[2] = { { 3, NULL, 0, rc == 0 }, { 0, NULL, 0, 0 } };
    if (why[0]) it[1] = (Item){ 1, why, strlen(why), 0 };
    send_items(net, me, nar, "stopped", chunk, it, 2, stderr);
}

int distrib_session(MsgTransport *net, const PartiesFile *pf, const char *self, bool show)
{
    int me = pf_find(pf, self), nar = pf->narrator;
    Interp *I = NULL;
    struct sigaction sa = { .sa_handler = on_stop };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    fprintf(stderr, "ppdl: party %s is waiting for the narrator %s%s\n", self, pf->p[nar - 1].name,
            show ? " (what it prints is shown to the narrator)" : " (the narrator's peeks are refused)");
    Item hello = { 3, NULL, 0, show };
    send_items(net, me, nar, "hello", 0, &hello, 1, stderr);
    bool go_on = true;
    while (go_on && !session_stop) {
        uint8_t *buf; size_t len;
        if (net->deliver(net, nar, me, &buf, &len) != 0) {
            if (session_stop) break;
            if (strcmp(tz_error(net), TZ_EINTR) == 0) { entry_stop = 0; continue; }   /* a late one */
            if (strncmp(tz_error(net), "no message from", 15) != 0) fprintf(stderr, "ppdl: party %s: %s\n", self, tz_error(net));
            continue;
        }
        WireR r; WireHdr h;
        wire_r_init(&r, pf->p[nar - 1].name);
        const msgpack_object *a = NULL;
        uint32_t n = 0;
        bool ok = open_items(&r, buf, len, &h, &a, &n);
        if (ok && strcmp(h.kind, "stop") == 0) go_on = false;
        else if (ok && strcmp(h.kind, "run") == 0 && n >= 5 && h.round > 0) {
            answer_run(&I, net, pf, self, show, &r, a, h.round);
            if (tz_stopped(net) >= h.round) stop_chunk(I, net, pf, self, h.round);
        } else if (ok && strcmp(h.kind, "interrupt") == 0 && h.round > 0)
            stop_chunk(I, net, pf, self, h.round);
        else fprintf(stderr, "ppdl: party %s: ignoring a message from the narrator (%s)\n", self,
                     r.e.msg[0] ? r.e.msg : "an unknown kind");
        wire_r_free(&r);
        free(buf);
    }
    if (I) {
        bool made = I->mirror_made;
        I->mirror_dir = NULL;
        ev_free(I);             /* closes the mirror and with it net */
        if (made) distrib_remove_dir(scratch);
    } else net->close(net);
    return 0;
}

/* ------------------------------------------------------------ the driver --------- */

typedef struct Driver {
    MsgTransport *net;
    PartiesFile pf;
    int me, nparties;
    uint32_t chunk;             /* the number of the last chunk sent */
    bool seed_sent; uint64_t seed;
    bool told_hidden;
    uint64_t show_mask;         /* bit p: party p was started with --show-narrator */
    int timeout;                /* ms */
} Driver;

static Driver drv;

/* False once Ctrl-C was pressed at the driver. */
static bool rc_ok(Interp *I) { return !*I->interrupt; }

EvStatus distrib_drive_run(Interp *I, Source *src, bool echo)
{
    ParseDiag d;
    memset(&d, 0, sizeof d);
    AstUnit *u = ps_parse(&I->syms, src, &d);
    if (!u) {
        if (d.status == PARSE_INCOMPLETE && echo) return EV_INCOMPLETE;
        src_report(I->errout, src, d.off, d.len ? d.len : 1, "error", d.msg[0] ? d.msg : "unexpected end of input");
        return EV_ERROR;
    }
    ast_unit_release(u);
    uint32_t no = ++drv.chunk;
    for (int p = 1; p <= drv.nparties; p++) {
        Item it[5] = { { 1, src->name, strlen(src->name), 0 }, { 1, src->text, src->len, 0 },
                       { 3, NULL, 0, echo }, { 0, NULL, 0, 0 }, { 2, NULL, 0, (int64_t)drv.show_mask } };
        if (!drv.seed_sent) it[3] = (Item){ 2, NULL, 0, (int64_t)drv.seed };
        if (send_items(drv.net, drv.me, p, "run", no, it, 5, I->errout) != 0) return EV_ERROR;
    }
    drv.seed_sent = true;
    char *shown = NULL, *error = NULL;
    int status = 0;
    bool interrupted = false;
    /* answers in any order; shown output is kept per party, the first party's first */
    char *outs[64] = { 0 };
    bool answered[64] = { 0 }, stopped[64] = { 0 }, gave_up = false;
    int left = drv.nparties, waited = 0, unstopped = 0;
    char *stop_err = NULL;
    while (interrupted ? unstopped > 0 : left > 0) {
        if (*I->interrupt) {
            *I->interrupt = 0;
            if (interrupted) { gave_up = true; break; }     /* a second Ctrl-C */
            /* every party stops the entry (even one that finished it) and answers */
            interrupted = true;
            unstopped = drv.nparties;
            waited = 0;
            for (int p = 1; p <= drv.nparties; p++)
                send_items(drv.net, drv.me, p, "interrupt", no, NULL, 0, I->errout);
            continue;
        }
        uint8_t *buf; size_t len;
        int p;
        if (tz_deliver_any(drv.net, &p, &buf, &len) != 0) {
            /* each party stops at its next protocol step, then waits for the others */
            bool quiet = strncmp(tz_error(drv.net), "no message for", 14) == 0 || strcmp(tz_error(drv.net), TZ_EINTR) == 0;
            if (interrupted && quiet) {
                if ((waited += 250) <= 2 * drv.timeout + 1000) continue;
                for (int q = 1; q <= drv.nparties && q < 64; q++)
                    if (!stopped[q]) fprintf(I->errout, "ppdl: party %s did not stop within %d ms of the "
                                             "interrupt (it is busy or stopped?)\n", drv.pf.p[q - 1].name,
                                             2 * drv.timeout + 1000);
                break;
            }
            /* still working; but once a party failed, one that stays silent longer than
               the timeout has stopped */
            if (status && (waited += 250) > drv.timeout) {
                for (int q = 1; q <= drv.nparties; q++)
                    if (!answered[q]) fprintf(I->errout, "ppdl: party %s did not answer within %d ms of the "
                                              "failure (it stopped?)\n", drv.pf.p[q - 1].name, drv.timeout);
                break;
            }
            if (quiet) continue;
            fprintf(I->errout, "ppdl: %s\n", tz_error(drv.net));
            status = 1;
            continue;
        }
        WireR r; WireHdr h;
        wire_r_init(&r, drv.pf.p[p - 1].name);
        const msgpack_object *a = NULL;
        uint32_t n = 0;
        bool known = p >= 1 && p <= drv.nparties && p < 64 && open_items(&r, buf, len, &h, &a, &n)
                     && h.round == no;   /* an older entry's answer is skipped */
        bool mine = known && !answered[p] && n >= 3 && strcmp(h.kind, "shown") == 0;
        if (known && !stopped[p] && n >= 2 && strcmp(h.kind, "stopped") == 0) {
            stopped[p] = true;
            unstopped--;
            char *e = str_item(&r, &a[1]);
            if (e && !stop_err) stop_err = e; else free(e);
        }
        if (mine) {
            int64_t st = 1;
            wire_get_int(&r, &a[0], 0, 255, &st);
            char *e = str_item(&r, &a[2]);
            outs[p] = str_item(&r, &a[1]);
            if (e && *e && st && !error) error = e; else free(e);
            if (st) status = 1;
            answered[p] = true;
            left--;
        }
        wire_r_free(&r);
        free(buf);
    }
    for (int q = 1; q <= drv.nparties && q < 64; q++) {
        if (outs[q] && !shown) shown = outs[q]; else free(outs[q]);
    }
    if (shown) fputs(shown, I->out);
    else if (!drv.told_hidden && !interrupted) {
        fprintf(I->errout, "ppdl: no party shows its output to the narrator (start one with "
                "'ppdl serve ... --show-narrator' to see it here)\n");
        drv.told_hidden = true;
    }
    if (error && !interrupted) fputs(error, I->errout);
    if (stop_err) fputs(stop_err, I->errout);
    if (gave_up) fprintf(I->errout, "ppdl: interrupted again: not waiting for the parties to stop (the next "
                         "entry may find them busy)\n");
    else if (interrupted && unstopped == 0 && !stop_err)
        fprintf(I->errout, "ppdl: interrupted: stopped at every party\n");
    fflush(I->out);
    free(shown); free(error); free(stop_err);
    return interrupted || status ? EV_ERROR : EV_OK;
}

int distrib_drive_open(Interp *I, const char *parties, const char *key, const DistribOptions *o)
{
    char err[512], sec[TZ_KEY_LEN + 1], kpath[64];
    if (pf_load(&drv.pf, parties, err, sizeof err) != 0) { fprintf(stderr, "ppdl: %s\n", err); return 1; }
    if (!drv.pf.narrator) {
        fprintf(stderr, "ppdl: %s has no 'narrator NAME endpoint tcp://HOST:PORT key PUBLIC' line "
                "(the driver of the run listens there; make its key with 'ppdl keygen NAME')\n", parties);
        pf_free(&drv.pf);
        return 2;
    }
    drv.me = drv.pf.narrator;
    drv.nparties = drv.pf.n - 1;
    if (drv.nparties > 63) {
        fprintf(stderr, "ppdl: %s lists %d parties; a driven run takes at most 63\n", parties, drv.nparties);
        pf_free(&drv.pf);
        return 2;
    }
    const char *name = drv.pf.p[drv.me - 1].name;
    if (!key) { snprintf(kpath, sizeof kpath, "%s.key", name); key = kpath; }
    if (tz_read_key(key, true, sec, err, sizeof err) != 0) { fprintf(stderr, "ppdl: %s\n", err); pf_free(&drv.pf); return 1; }
    TzConfig c = { &drv.pf, drv.me, sec, 250, 0 };     /* short waits: Ctrl-C is polled between */
    drv.net = tz_open(&c, err, sizeof err);
    explicit_bzero(sec, sizeof sec);
    if (!drv.net) { fprintf(stderr, "ppdl: %s\n", err); pf_free(&drv.pf); return 1; }
    /* every party says hello (and whether it shows its values) before anything runs */
    int waited = 0, timeout = o->timeout_ms > 0 ? o->timeout_ms : TZ_TIMEOUT_MS;
    drv.timeout = timeout;
    for (int p = 1; p <= drv.nparties && rc_ok(I); ) {
        uint8_t *buf; size_t len;
        if (drv.net->deliver(drv.net, p, drv.me, &buf, &len) != 0) {
            waited += 250;
            if (waited < timeout) continue;
            fprintf(stderr, "ppdl: party %s has not answered within %d ms (start it with 'ppdl serve "
                    "--party %s --parties %s'; each party serves one narrator run)\n",
                    drv.pf.p[p - 1].name, timeout, drv.pf.p[p - 1].name, parties);
            distrib_drive_close(I);
            return 1;
        }
        WireR r; WireHdr h;
        wire_r_init(&r, drv.pf.p[p - 1].name);
        const msgpack_object *a = NULL;
        uint32_t n = 0;
        bool show = false;
        if (open_items(&r, buf, len, &h, &a, &n) && n >= 1 && strcmp(h.kind, "hello") == 0
            && wire_get_bool(&r, &a[0], &show)) {
            if (show && p < 64) drv.show_mask |= 1ULL << p;
            p++;
            waited = 0;
        }
        wire_r_free(&r);
        free(buf);
    }
    if (!rc_ok(I)) { distrib_drive_close(I); return 1; }
    drv.seed = o->seed;
    if (!o->seeded && getrandom(&drv.seed, sizeof drv.seed, 0) != sizeof drv.seed) drv.seed = (uint64_t)time(NULL);
    drv.seed &= (1ULL << 53) - 1;
    if (!o->seeded) drv.seed |= 1ULL << 60;    /* public stream only (see run_chunk) */
    I->run_hook = distrib_drive_run;
    return 0;
}

void distrib_drive_close(Interp *I)
{
    if (!drv.net) return;
    for (int p = 1; p <= drv.nparties; p++) send_items(drv.net, drv.me, p, "stop", 0, NULL, 0, stderr);
    drv.net->close(drv.net);
    drv.net = NULL;
    pf_free(&drv.pf);
    I->run_hook = NULL;
}
