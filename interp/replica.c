/*
** replica.c — the replicated narrator's rules inside one party's process
** (docs/distributed.md, "The model").  Every party's process runs the whole script;
** each holds the data of ITS party only.  Another party's values exist here as
** STAND-INS: the same kind and shape, with zeros (or whatever its code computes from
** zeros) where the contents would be, so that every process follows the same statements
** and protocol rounds, while the bytes its own party reads from others arrive as real
** frames (runtime/transport_mirror.c).  This file owns the four places where a stand-in
** would otherwise show:
**
**  - a FILE of another party (`load_csv(path) at alice`): only alice's process reads
**    it; it sends every other process the value's skeleton (runtime/wire.h: structure
**    and shape, no bin contents), from which they build the stand-in;
**  - a PEEK (the top level showing or branching on a party's value, docs/distributed.md
**    "The narrator rule"): the owner's process sends the real value to every process,
**    which uses it in place of its stand-in;
**  - OUTPUT inside `on p { }`: p's process prints it and sends the text to the others
**    (when p shows its values to the narrator), which print it instead of what their
**    stand-ins would print;
**  - ERRORS inside `on p { }` in another process: raised by a stand-in, they are not
**    p's (p's own process reports p's real errors), so they end the block quietly.
**
** These side frames travel on the parties' CURVE links in program order, outside the
** message layer: never in the transcript, never counted by cost().  A party's own
** randomness is its own: the generator of a party this process stands in for is seeded
** from the operating system (interp/ev_run.c), so no process can recompute another's
** keys, shares or noise, even in a seeded run.
** What it does not do: follow a party whose messages depend on its private values (the
** processes then disagree on the next frame, and the mirror reports the divergence).
*/
#include "ev.h"
#include "distrib.h"
#include "lib_wire.h"
#include "transport_mirror.h"
#include "mem.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Takes the next side frame of `kind` from `from`; false after raising "interrupted"
** when the narrator interrupted the entry (the frame will not come). */
static bool side_take(Interp *I, int from, const char *kind, uint8_t **f, size_t *len)
{
    if (mirror_side_take(I->msg.tp, from, kind, I->tr.round, f, len) == 0) return true;
    *I->interrupt = 1;
    ev_interrupted(I);
    return false;
}

int rep_self(Interp *I)
{
    if (!I->mirror_self) return 0;
    if (!I->rep_me) I->rep_me = mirror_me(I->msg.tp);
    return I->rep_me;
}

bool rep_standin(Interp *I, int p)
{
    int self = rep_self(I);
    return self && p && p != self;
}

/* Does this process's party show its values and output to the narrator?  The owner
** decides (--show-narrator; --processes passes it to every party; a driven session
** knows it from the driver's mask) and tells the others in each side frame. */
static bool self_shows(Interp *I)
{
    int self = rep_self(I);
    return I->peek_ok ? self < 64 && (I->peek_ok >> self & 1) : I->rep_shows;
}

static void refused(Interp *I, const char *what, int p)
{
    err_raise(I, "%s lives at %s, which does not show its values to the narrator (it was started "
              "without --show-narrator): do it inside 'on %s { }', or reveal or send the value first",
              what, ev_party_name(I, p), ev_party_name(I, p));
}

/* A side frame of kind from this party to party `to`: [ok, v] (v nil when !ok). */
static uint8_t *flagged_frame(Interp *I, const char *kind, int to, bool ok, Value v, size_t *len)
{
    WireW w; wire_w_init(&w);
    WireHdr h = { kind, rep_self(I), to, 0 };
    wire_put_envelope(&w, &h);
    wire_put_array(&w, 2);
    wire_put_bool(&w, ok);
    I->side_encode = true;
    bool put = !ok || lib_wire_put(I, &w, v, h.from, to);
    I->side_encode = false;
    if (!ok) wire_put_nil(&w);
    if (!put) { wire_w_free(&w); return NULL; }
    return wire_w_take(&w, len);
}

/* Reads a flagged side frame from `from`: its flag, and (when set) the value, owned, or
** VERR after raising. */
static Value flagged_read(Interp *I, int from, const char *kind, bool *ok)
{
    uint8_t *f; size_t len;
    *ok = false;
    if (!side_take(I, from, kind, &f, &len)) return VERR;
    WireR r; wire_r_init(&r, ev_party_name(I, from));
    WireHdr h; const msgpack_object *pl; const msgpack_object_array *a;
    Value v = VNONE;
    *ok = false;
    if (!wire_open_frame(&r, f, len, &h, &pl) || !wire_get_array(&r, pl, 2, 2, &a) ||
        !wire_get_bool(&r, &a->ptr[0], ok) || (*ok && IS_ERR(v = lib_wire_get(I, &r, &a->ptr[1])))) {
        if (!r.failed) wire_fail(&r, "unreadable");
        err_raise(I, "%s", r.e.msg);
        v = VERR;
    }
    wire_r_free(&r);
    free(f);
    return v;
}

/* --- peeks ------------------------------------------------------------------------- */

/* Gives `real` (decoded from the owner's frame, public throughout) the placement of the
** stand-in it replaces: each list item, record field and container at the party it
** lives at, as in the owner's process.  p: the owner, for what the walk cannot match. */
static void copy_places(Value *real, Value standin, int p, int depth)
{
    if (real->tag < V_STR) { *real = val_at(*real, standin.tag == real->tag ? standin.owner : p); return; }
    int q = standin.tag == real->tag && IS_HEAP(standin) ? standin.as.o->party : p;
    if (depth < 32 && standin.tag == real->tag && real->tag == V_LIST &&
        AS_LIST(*real)->n == AS_LIST(standin)->n) {
        real->as.o->party = (uint16_t)q; real->owner = standin.owner;
        for (size_t i = 0; i < AS_LIST(*real)->n; i++)
            copy_places(&AS_LIST(*real)->v[i], AS_LIST(standin)->v[i], p, depth + 1);
        return;
    }
    if (depth < 32 && standin.tag == real->tag && real->tag == V_REC &&
        AS_REC(*real)->n == AS_REC(standin)->n) {
        real->as.o->party = (uint16_t)q; real->owner = standin.owner;
        for (size_t i = 0; i < AS_REC(*real)->n; i++)
            copy_places(&AS_REC(*real)->v[i], AS_REC(standin)->v[i], p, depth + 1);
        return;
    }
    val_place(real, q ? q : p, -1);
}

bool rep_peek(Interp *I, Value *v, const char *what)
{
    int self = rep_self(I);
    if (!self) return true;
    int other = 0, p = v->tag < V_STR ? v->owner : val_party(*v, &other);
    bool container = v->tag == V_LIST || v->tag == V_REC;
    if (!p && v->tag == V_OBJ)          /* public: parts held by parties (shares) */
        return !AS_USER(*v)->cls->peek || AS_USER(*v)->cls->peek(I, *v);
    if ((!p || other) && container) {   /* public, or items of several parties: item by item */
        size_t n = v->tag == V_LIST ? AS_LIST(*v)->n : AS_REC(*v)->n;
        Value *item = v->tag == V_LIST ? AS_LIST(*v)->v : AS_REC(*v)->v;
        for (size_t i = 0; i < n; i++) if (!rep_peek(I, &item[i], what)) return false;
        return true;
    }
    if (!p) return true;
    if (other) {
        err_raise(I, "%s holds data of %s and of %s; across processes it cannot be shown", what,
                  ev_party_name(I, p), ev_party_name(I, other));
        return false;
    }
    if (p == self) {
        bool ok = self_shows(I);
        for (int k = 1; k <= mirror_nparties(I->msg.tp); k++) {
            if (k == self) continue;
            size_t len;
            uint8_t *f = flagged_frame(I, "peek", k, ok, *v, &len);
            if (!f) return false;
            mirror_side_post(I->msg.tp, k, f, len);
        }
        if (!ok) refused(I, what, p);
        return ok;
    }
    bool ok;
    Value real = flagged_read(I, p, "peek", &ok);
    if (IS_ERR(real)) return false;
    if (!ok) { refused(I, what, p); return false; }
    if (getenv("PPDL_TEST_STANDINS")) {     /* tests only: show this process's stand-in */
        val_release(real);
        return true;
    }
    copy_places(&real, *v, p, 0);
    val_release(*v);
    *v = real;
    return true;
}

/* --- files: stand-ins from skeletons --------------------------------------------------- */

void rep_standin_send(Interp *I, Value r)
{
    int self = rep_self(I), n = mirror_nparties(I->msg.tp);
    for (int k = 1; k <= n; k++) {
        if (k == self) continue;
        WireW w; wire_w_init(&w);
        WireHdr h = { "standin", self, k, 0 };
        wire_put_envelope(&w, &h);
        wire_put_array(&w, 2);
        bool ok = !IS_ERR(r);
        wire_put_bool(&w, ok);
        /* encoded for this party itself (a private key may be written), then stripped of
           every bin: nothing of the contents leaves */
        I->side_encode = true;
        bool put = ok && lib_wire_put(I, &w, r, self, self);
        I->side_encode = false;
        if (ok && !put) {
            ok = false;
            wire_w_free(&w); wire_w_init(&w);
            wire_put_envelope(&w, &h);
            wire_put_array(&w, 2);
            wire_put_bool(&w, false);
        }
        if (!ok) {
            const char *m = I->err_msg ? I->err_msg : "this value cannot be sent";
            wire_put_cstr(&w, m);
        }
        size_t len, slen;
        uint8_t *f = wire_w_take(&w, &len);
        WireR rd; wire_r_init(&rd, "this process");
        uint8_t *s = wire_skeleton(&rd, f, len, &slen);
        wire_r_free(&rd);
        free(f);
        if (!s) { fputs("ppdl: internal error: a stand-in without a skeleton\n", stderr); abort(); }
        mirror_side_post(I->msg.tp, k, s, slen);
    }
}

Value rep_standin_take(Interp *I, int from, const char *fname)
{
    uint8_t *s; size_t slen, len;
    if (!side_take(I, from, "standin", &s, &slen)) return VERR;
    WireR r; wire_r_init(&r, ev_party_name(I, from));
    uint8_t *f = wire_flesh(&r, s, slen, WIRE_MAX_FRAME, &len);
    free(s);
    Value v = VERR;
    WireHdr h; const msgpack_object *pl, *x;
    const msgpack_object_array *a;
    bool ok = false;
    if (f && wire_open_frame(&r, f, len, &h, &pl) && wire_get_array(&r, pl, 2, 2, &a) &&
        wire_get_bool(&r, &a->ptr[0], &ok)) {
        x = &a->ptr[1];
        if (ok) v = lib_wire_get(I, &r, x);
        else {
            const char *m; size_t n;
            if (wire_get_str(&r, x, &m, &n)) {
                err_raise(I, "%.*s", (int)n, m);
                wire_r_free(&r); free(f);
                return VERR;
            }
        }
    }
    if (IS_ERR(v))
        err_raise(I, "%s: the stand-in for %s's value cannot be built in this process (%s); "
                  "docs/distributed.md lists what runs across processes", fname,
                  ev_party_name(I, from), r.failed ? r.e.msg : "unreadable");
    wire_r_free(&r);
    free(f);
    if (!IS_ERR(v)) {
        if (IS_HEAP(v)) val_place(&v, from, -1);
        else v = val_at(v, from);
    }
    return v;
}

/* --- `on p { }` --------------------------------------------------------------------- */

int rep_on(Interp *I, int p, int (*run)(Interp *I, Node *body), Node *body)
{
    int self = rep_self(I);
    if (!self) return run(I, body);
    FILE *out = I->out;
    char *text = NULL; size_t tlen = 0;
    FILE *cap = open_memstream(&text, &tlen);
    if (!cap) mem_oom();
    I->out = cap;
    int st = XS_OK;
    if (p == self || body->kind != N_BLOCK) st = run(I, body);
    else {
        /* a stand-in's errors are not p's: each statement that fails is passed over, so
           that the block's later statements (its messages) still run */
        for (int i = 0; i < body->list.n && st == XS_OK; i++) {
            st = ev_exec(I, body->list.v[i]);
            if (st == XS_ERR && !I->err_interrupt) { err_clear(I); st = XS_OK; }
        }
    }
    I->out = out;
    fclose(cap);
    /* p's process prints p's output, and sends it to the others when p shows it */
    if (p == self) {
        fwrite(text, 1, tlen, out);
        Value t = self_shows(I) ? val_str(text, tlen) : VNONE;
        for (int k = 1; k <= mirror_nparties(I->msg.tp); k++) {
            if (k == self) continue;
            size_t len;
            uint8_t *f = flagged_frame(I, "output", k, t.tag == V_STR, t, &len);
            mirror_side_post(I->msg.tp, k, f, len);
        }
        val_release(t);
    } else {
        /* what the stand-ins printed is not p's output */
        bool ok;
        Value t = flagged_read(I, p, "output", &ok);
        if (ok && t.tag == V_STR) fwrite(AS_STR(t)->s, 1, AS_STR(t)->len, out);
        if (IS_ERR(t) && st == XS_OK) st = XS_ERR;
        val_release(t);
    }
    free(text);
    return st;
}

/* --- the transcript ----------------------------------------------------------------- */

void rep_side_post(Interp *I, int to, uint8_t *frame, size_t len) { mirror_side_post(I->msg.tp, to, frame, len); }
bool rep_side_take(Interp *I, int from, const char *kind, uint8_t **frame, size_t *len)
{
    return side_take(I, from, kind, frame, len);
}

static bool apply_records(Interp *I, int q, size_t lo, size_t hi, const uint8_t *f, size_t len)
{
    WireR r; wire_r_init(&r, ev_party_name(I, q));
    WireHdr h; const msgpack_object *pl;
    const msgpack_object_array *a, *e;
    bool ok = wire_open_frame(&r, f, len, &h, &pl) && wire_get_array(&r, pl, 0, hi - lo, &a);
    for (uint32_t i = 0; ok && i < a->size; i++) {
        int64_t idx, bytes;
        ok = wire_get_array(&r, &a->ptr[i], 3, 3, &e) &&
             wire_get_int(&r, &e->ptr[0], (int64_t)lo, (int64_t)hi - 1, &idx) &&
             wire_get_int(&r, &e->ptr[1], 0, INT64_MAX, &bytes);
        if (!ok) break;
        TrMsg *m = &I->tr.msgs[idx];
        if (m->from != q) { ok = wire_fail(&r, "message %lld was not sent by %s", (long long)idx, r.sender); break; }
        m->bytes = (uint64_t)bytes;
        const char *w; size_t wn;
        if (e->ptr[2].type == MSGPACK_OBJECT_NIL) continue;
        if (!(ok = wire_get_str(&r, &e->ptr[2], &w, &wn))) break;
        char *d = xstrndup(w, wn);
        free(m->what);
        m->what = d;
    }
    if (!ok) err_raise(I, "the processes diverged: %s's record of its messages does not match this "
                       "process's (%s)", ev_party_name(I, q), r.e.msg);
    wire_r_free(&r);
    return ok;
}

/* The description of message m that this process may send to process q in a side frame:
** a plain message's text shows its value, so a party that does not show its values to
** the narrator sends it to the receiver's process only; the others get a placeholder. */
static const char *record_what(Interp *I, const TrMsg *m, int q, char *buf, size_t n)
{
    if (!m->what || strcmp(m->kind, "plain") != 0 || self_shows(I) || (q && q == m->to)) return m->what;
    snprintf(buf, n, "(not shown: %s does not show its values)", ev_party_name(I, m->from));
    return buf;
}

bool rep_sync(Interp *I)
{
    int self = rep_self(I);
    if (!self) return true;
    Tr *t = &I->tr;
    if (I->rep_synced > t->n) I->rep_synced = t->n;     /* the transcript was cleared */
    size_t lo = I->rep_synced, hi = t->n;
    if (lo == hi) return true;
    int n = mirror_nparties(I->msg.tp);
    uint64_t senders = 0;
    for (size_t k = lo; k < hi; k++)
        if (t->msgs[k].from > 0 && t->msgs[k].from <= n && t->msgs[k].from < 64) senders |= 1ull << t->msgs[k].from;
    I->rep_synced = hi;
    if (senders >> self & 1) {
        for (int q = 1; q <= n; q++) {
            if (q == self) continue;
            WireW w; wire_w_init(&w);
            WireHdr h = { "records", self, q, 0 };
            wire_put_envelope(&w, &h);
            size_t cnt = 0;
            for (size_t k = lo; k < hi; k++) cnt += t->msgs[k].from == self;
            wire_put_array(&w, cnt);
            for (size_t k = lo; k < hi; k++) {
                if (t->msgs[k].from != self) continue;
                wire_put_array(&w, 3);
                wire_put_uint(&w, k);
                wire_put_uint(&w, t->msgs[k].bytes);
                char buf[120];
                const char *what = record_what(I, &t->msgs[k], q, buf, sizeof buf);
                if (what) wire_put_cstr(&w, what); else wire_put_nil(&w);
            }
            size_t len;
            uint8_t *f = wire_w_take(&w, &len);
            mirror_side_post(I->msg.tp, q, f, len);
        }
    }
    for (int q = 1; q <= n; q++) {
        if (q == self || !(senders >> q & 1)) continue;
        uint8_t *f; size_t len;
        if (!side_take(I, q, "records", &f, &len)) return false;
        bool ok = apply_records(I, q, lo, hi, f, len);
        free(f);
        if (!ok) return false;
    }
    return true;
}

/* --- public results of protocols ------------------------------------------------------- */

/* A public value every process can hold whole (no shared value's per-party parts). */
static bool whole_public(Value v, int depth)
{
    if (depth > 32) return false;
    if (v.tag < V_STR) return !v.owner;
    if (val_owner(v)) return false;
    if (v.tag == V_OBJ) return !AS_USER(v)->cls->distributed && AS_USER(v)->cls->wire;
    if (v.tag == V_LIST) {
        ObjList *l = AS_LIST(v);
        for (size_t i = 0; i < l->n; i++) if (!whole_public(l->v[i], depth + 1)) return false;
    } else if (v.tag == V_REC) {
        ObjRec *r = AS_REC(v);
        for (size_t i = 0; i < r->n; i++) if (!whole_public(r->v[i], depth + 1)) return false;
    }
    return v.tag != V_FUNC && v.tag != V_BUILTIN;
}

bool rep_public_result(Interp *I, Value *r, size_t from)
{
    int self = rep_self(I);
    if (!self || IS_ERR(*r) || !whole_public(*r, 0)) return true;
    int n = mirror_nparties(I->msg.tp), src = 0;
    uint64_t got = 0;
    for (size_t k = from; k < I->tr.n; k++) {
        int to = I->tr.msgs[k].to;
        if (to > 0 && to <= n && to < 64) got |= 1ull << to;
    }
    for (int q = 1; q <= n && q < 64 && !src; q++) if (got >> q & 1) src = q;
    if (!src) return true;
    if (src == self) {
        for (int q = 1; q <= n && q < 64; q++) {
            if (q == self || (got >> q & 1)) continue;
            size_t len;
            I->side_encode = true;
            uint8_t *f = lib_wire_frame(I, *r, "public", self, q, &len);
            I->side_encode = false;
            if (!f) return false;
            mirror_side_post(I->msg.tp, q, f, len);
        }
        return true;
    }
    if (got >> self & 1) return true;
    uint8_t *f; size_t len;
    if (!side_take(I, src, "public", &f, &len)) return false;
    Value v = lib_wire_read(I, f, len, src);
    free(f);
    if (IS_ERR(v)) return false;
    val_release(*r);
    *r = v;
    return true;
}

/* --- after an interrupted entry --------------------------------------------------------- */

/* The process whose record of a message counts after an interrupt: its sender's (the
** message crossed from there), or for a message from the public (built alike in every
** process, carried by none) its receiver's. */
static int vouches(int from, int to) { return from > 0 ? from : to > 0 ? to : 1; }

uint8_t *rep_stop_frame(Interp *I, int self, uint32_t entry, size_t lo, const uint64_t *sent0,
                        size_t *len)
{
    WireW w; wire_w_init(&w);
    WireHdr h = { "sent", self, self, entry };
    wire_put_envelope(&w, &h);
    wire_put_array(&w, 2);
    if (!I || lo > I->tr.n) {           /* nothing of this entry here */
        wire_put_uint(&w, 0);
        wire_put_array(&w, 0);
        return wire_w_take(&w, len);
    }
    const Tr *t = &I->tr;
    int n = mirror_nparties(I->msg.tp);
    if (n > 63) n = 63;
    /* the frames that crossed to each party in the entry: its records, in order, beyond
       them were made but not sent (the stop came between recording and posting) */
    uint64_t left[64] = { 0 };
    for (int q = 1; q <= n; q++) left[q] = mirror_sent(I->msg.tp, q) - sent0[q];
    bool *keep = xcalloc(t->n - lo + 1, sizeof *keep);
    size_t cnt = 0;
    for (size_t k = lo; k < t->n; k++) {
        const TrMsg *m = &t->msgs[k];
        if (vouches(m->from, m->to) != self) continue;
        if (m->from == self && m->to != self && m->to > 0 && m->to <= n) {
            if (!left[m->to]) continue;
            left[m->to]--;
        }
        keep[k - lo] = true;
        cnt++;
    }
    wire_put_uint(&w, t->round);
    wire_put_array(&w, cnt);
    for (size_t k = lo; k < t->n; k++) {
        if (!keep[k - lo]) continue;
        const TrMsg *m = &t->msgs[k];
        wire_put_array(&w, 9);
        wire_put_uint(&w, k);
        wire_put_uint(&w, (uint64_t)m->from);
        wire_put_uint(&w, (uint64_t)m->to);
        wire_put_cstr(&w, m->kind);
        wire_put_uint(&w, m->bytes);
        wire_put_uint(&w, m->round);
        wire_put_cstr(&w, m->phase);
        wire_put_bool(&w, m->leak != 0);
        char buf[120];                  /* one frame for every party: q = 0 */
        const char *what = record_what(I, m, 0, buf, sizeof buf);
        if (what) wire_put_cstr(&w, what); else wire_put_nil(&w);
    }
    free(keep);
    return wire_w_take(&w, len);
}

/* Reads party q's "sent" frame into the transcript (appended); key[i] gets each record's
** index in the entry's common numbering.  False with r's error. */
static bool read_sent(Interp *I, WireR *r, int q, int n, size_t lo, const uint8_t *f, size_t len,
                      uint64_t **key, size_t *nkey, uint32_t *round)
{
    WireHdr h; const msgpack_object *pl;
    const msgpack_object_array *a, *l, *e;
    int64_t rd;
    if (!wire_open_frame(r, f, len, &h, &pl) || !wire_get_array(r, pl, 2, 2, &a) ||
        !wire_get_int(r, &a->ptr[0], 0, UINT32_MAX, &rd) || !wire_get_array(r, &a->ptr[1], 0, SIZE_MAX, &l))
        return false;
    if (strcmp(h.kind, "sent") != 0 || h.from != q) return wire_fail(r, "a '%s' frame, not its messages", h.kind);
    if ((uint32_t)rd > *round) *round = (uint32_t)rd;
    *key = xrealloc(*key, (*nkey + l->size + 1) * sizeof **key);
    for (uint32_t i = 0; i < l->size; i++) {
        int64_t idx, from, to, bytes, mr;
        const char *kind, *phase, *what = NULL;
        size_t kn, pn, wn = 0;
        bool leak;
        if (!wire_get_array(r, &l->ptr[i], 9, 9, &e) ||
            !wire_get_int(r, &e->ptr[0], (int64_t)lo, INT64_MAX, &idx) ||
            !wire_get_int(r, &e->ptr[1], 0, n, &from) || !wire_get_int(r, &e->ptr[2], 0, n, &to) ||
            !wire_get_str(r, &e->ptr[3], &kind, &kn) || !wire_get_int(r, &e->ptr[4], 0, INT64_MAX, &bytes) ||
            !wire_get_int(r, &e->ptr[5], 1, UINT32_MAX, &mr) || !wire_get_str(r, &e->ptr[6], &phase, &pn) ||
            !wire_get_bool(r, &e->ptr[7], &leak) ||
            (e->ptr[8].type != MSGPACK_OBJECT_NIL && !wire_get_str(r, &e->ptr[8], &what, &wn)))
            return false;
        if (vouches((int)from, (int)to) != q)
            return wire_fail(r, "a message from %s to %s is not %s's to tell", ev_party_name(I, (int)from),
                             ev_party_name(I, (int)to), r->sender);
        if (!kn || kn > 63 || !pn || pn > 63) return wire_fail(r, "a message's kind or phase is not a label");
        char kbuf[64], pbuf[64];
        memcpy(kbuf, kind, kn); kbuf[kn] = 0;
        memcpy(pbuf, phase, pn); pbuf[pn] = 0;
        char *wbuf = what ? xstrndup(what, wn) : NULL;
        TrMsg m = { (int)from, (int)to, kbuf, (uint64_t)bytes, (uint32_t)mr, pbuf, leak, wbuf };
        tr_append(&I->tr, &m);
        free(wbuf);
        if ((uint32_t)mr > *round) *round = (uint32_t)mr;
        (*key)[(*nkey)++] = (uint64_t)idx;
    }
    return true;
}

/* Renumbering the objects that arrived in a message of the entry (Obj.origin), from the
** entry's common numbering to the merged transcript's; -1 for a message that is gone (a
** stand-in's, which its sender never sent). */
typedef struct Renum { size_t lo, n; const long *to; bool unmark; } Renum;

static void renumber(Value *v, void *ctx)
{
    Renum *c = ctx;
    if (!IS_HEAP(*v) || v->tag == V_FUNC) return;
    Obj *o = v->as.o;
    if (o->type == O_ENV || o->type == O_FUNC || (o->type == O_USER && AS_USER(*v)->cls->distributed)) return;
    if (c->unmark ? !o->mark : o->mark) return;
    o->mark = !c->unmark;
    if (!c->unmark && o->origin >= 0 && (size_t)o->origin >= c->lo)
        o->origin = (size_t)o->origin - c->lo < c->n ? (int32_t)c->to[o->origin - c->lo] : -1;
    if (o->type == O_LIST) for (size_t i = 0; i < ((ObjList *)o)->n; i++) renumber(&((ObjList *)o)->v[i], c);
    else if (o->type == O_REC) for (size_t i = 0; i < ((ObjRec *)o)->n; i++) renumber(&((ObjRec *)o)->v[i], c);
    else if (o->type == O_USER && AS_USER(*v)->cls->visit) AS_USER(*v)->cls->visit(AS_USER(*v)->p, renumber, c);
}

/* The order of the merged records: the entry's common numbering (unique, unless the
** processes diverged). */
static const uint64_t *sort_key;
static int by_key(const void *a, const void *b)
{
    uint64_t x = sort_key[*(const size_t *)a], y = sort_key[*(const size_t *)b];
    return (x > y) - (x < y);
}

bool rep_stop_merge(Interp *I, TrMark mark, uint8_t *const *frames, const size_t *lens, int n,
                    char *why, size_t whylen)
{
    Tr *t = &I->tr;
    size_t was = t->n;                  /* this process's records of the entry: mark.n .. was */
    tr_rewind(t, mark);
    size_t lo = t->n;
    uint64_t *key = NULL;
    size_t nkey = 0;
    uint32_t round = mark.round;
    bool ok = true;
    for (int q = 1; q <= n && ok; q++) {
        WireR r; wire_r_init(&r, ev_party_name(I, q));
        ok = frames[q - 1] && read_sent(I, &r, q, n, lo, frames[q - 1], lens[q - 1], &key, &nkey, &round);
        if (!ok) snprintf(why, whylen, "the processes diverged: %s's list of the messages it sent is "
                          "unreadable (%s)", ev_party_name(I, q), r.e.msg[0] ? r.e.msg : "missing");
        wire_r_free(&r);
    }
    /* in the entry's order (each process numbered the messages alike as far as it got) */
    size_t *perm = xmalloc((nkey + 1) * sizeof *perm);
    for (size_t i = 0; i < nkey; i++) perm[i] = i;
    sort_key = key;
    if (ok) qsort(perm, nkey, sizeof *perm, by_key);
    for (size_t i = 1; ok && i < nkey; i++)
        if (key[perm[i]] == key[perm[i - 1]]) {
            snprintf(why, whylen, "the processes diverged: two parties sent message %llu of the entry",
                     (unsigned long long)key[perm[i]]);
            ok = false;
        }
    if (ok) {
        TrMsg *tmp = xmalloc((nkey + 1) * sizeof *tmp);
        for (size_t i = 0; i < nkey; i++) tmp[i] = t->msgs[lo + perm[i]];
        memcpy(t->msgs + lo, tmp, nkey * sizeof *tmp);
        free(tmp);
        /* what arrived in the entry points at its message's new place */
        size_t span = was > lo ? was - lo : 0;
        long *to = xmalloc((span + 1) * sizeof *to);
        for (size_t i = 0; i < span; i++) to[i] = -1;
        for (size_t i = 0; i < nkey; i++)
            if (key[perm[i]] - lo < span) to[key[perm[i]] - lo] = (long)(lo + i);
        Renum c = { lo, span, to, false };
        for (int pass = 0; pass < 2; pass++, c.unmark = true)
            for (uint32_t g = 0; g < I->gcap; g++) if (I->gdefined[g]) renumber(&I->globals[g], &c);
        free(to);
        /* every process goes on from the furthest round any of them numbered */
        t->round = round;
        t->pending = 1;
        I->rep_synced = t->n;
    } else tr_rewind(t, mark);
    free(perm);
    free(key);
    return ok;
}
