/*
** ss_msg.c — how the share protocols talk: one party's buffer becomes a real frame
** (wire.h's envelope + a bin payload) handed to the message layer, and the receiver
** reads it back from its inbox.  On top of that, the two shapes of round every protocol
** in ss*.c is made of: an EXCHANGE (every present holder posts its buffer to every other
** one; each then combines its own buffer with what it received: an opening) and a
** SCATTER (one sender posts a different buffer to each holder: sharing an input, the
** dealer's offline material, a re-sharing).  Nothing here reads a party's shares: it
** moves the buffers the protocol code hands it, and a receiver's result is computed from
** its own buffer and its inbox only.
**
** Payload: a bin of 8k bytes (k ring or field words, little endian: wire_size_ring(k))
** followed, when a protocol sends single bits, by ceil(nb / 8) bytes holding bit 0 of nb
** more words, packed eight to a byte (low bit first).  The transcript records the
** frame's exact size (msg_post with the payload's encoded size; the frame built here has
** exactly that size), so cost() counts real bytes.
**
** Until the layer offers a call for protocol frames in the current round, a frame is
** recorded with msg_post() and carried by the layer's transport (ctx->msg->tp): the
** same two steps msg_send_frame() takes, without making each frame a round of its own.
*/
#include "ss.h"
#include "message.h"
#include "wire.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frame buffers are recycled, as ss.c recycles share buffers: a training step sends
** megabytes a round, and fresh pages would cost a fault each.  Frames are malloc'd (the
** transport frees those it never delivers); once read, a frame is wiped if it held a
** secret (a share, the dealer's material; openings are public among the parties) and
** kept for the next frame of its size; when the pool is full the oldest kept one goes.
** Single-threaded. */
#define POOL      128
#define POOL_MIN  (64 * 1024)
static struct { uint8_t *p; size_t cap; } pool[POOL];
static int pool_next;

static uint8_t *frame_alloc(size_t need, size_t *cap)
{
    if (need >= POOL_MIN)
        for (int i = 0; i < POOL; i++)
            if (pool[i].p && pool[i].cap == need) {
                uint8_t *p = pool[i].p;
                pool[i].p = NULL;
                *cap = need;
                return p;
            }
    uint8_t *p = malloc(need ? need : 1);
    if (!p) { fputs("ppdl: out of memory\n", stderr); abort(); }
    *cap = need;
    return p;
}

static void frame_release(uint8_t *p, size_t len, int secret)
{
    if (!p) return;
    if (secret) explicit_bzero(p, len);
    if (len < POOL_MIN || malloc_usable_size(p) < len) { free(p); return; }
    int i = 0;
    while (i < POOL && pool[i].p) i++;
    if (i == POOL) { i = pool_next; pool_next = (pool_next + 1) % POOL; free(pool[i].p); }
    pool[i].p = p; pool[i].cap = len;
}

static uint64_t body_len(size_t k, size_t nb) { return 8 * (uint64_t)k + (nb + 7) / 8; }

/* A frame of k words then nb bits; the round is the one msg_post put it in. */
static uint8_t *build(const WireHdr *h, const uint64_t *w, size_t k, const uint64_t *bits,
                      size_t nb, size_t *len)
{
    uint64_t body = body_len(k, nb);
    size_t cap = (size_t)(wire_size_envelope(h->kind) + wire_size_bin(body));
    WireW ww;
    wire_w_init(&ww);
    ww.buf.data = (char *)frame_alloc(cap, &ww.buf.alloc);   /* no growth: one buffer */
    wire_put_envelope(&ww, h);
    msgpack_pack_bin(&ww.pk, (size_t)body);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (k) msgpack_pack_bin_body(&ww.pk, w, 8 * k);
#else
    for (size_t e = 0; e < k; e++) {
        unsigned char b[8];
        for (int j = 0; j < 8; j++) b[j] = (unsigned char)(w[e] >> (8 * j));
        msgpack_pack_bin_body(&ww.pk, b, 8);
    }
#endif
    unsigned char chunk[512];
    for (size_t e = 0; e < nb; e += 8 * sizeof chunk) {
        size_t n = nb - e < 8 * sizeof chunk ? nb - e : 8 * sizeof chunk;
        memset(chunk, 0, sizeof chunk);
        for (size_t q = 0; q < n; q++) chunk[q >> 3] |= (unsigned char)((bits[e + q] & 1) << (q & 7));
        msgpack_pack_bin_body(&ww.pk, chunk, (n + 7) / 8);
    }
    explicit_bzero(chunk, sizeof chunk);
    return wire_w_take(&ww, len);
}

/* Records and carries one frame. */
static int carry(SsCtx *ctx, int from, int to, const char *kind, uint64_t payload,
                 uint8_t *(*make)(const WireHdr *, const void *, size_t *), const void *arg,
                 const char *what)
{
    Msg *m = ctx->msg;
    size_t idx = msg_post(m, from, to, kind, payload, what);
    WireHdr h = { .kind = kind, .from = from, .to = to, .round = m->tr->msgs[idx].round };
    size_t len;
    uint8_t *f = make(&h, arg, &len);
    if (len != wire_size_envelope(kind) + payload || m->tp->post(m->tp, from, to, f, len) != 0) {
        frame_release(f, len, 1);
        return ss__fail(ctx, "the %s transport could not carry a %s frame from party %d to %d",
                        m->tp->name, kind, from, to);
    }
    return 0;
}

/* --- a frame written in pieces (the dealer streams its material) ------------------ */

static void out_open(SsCtx *ctx, SsOut *o, int from, int to, const char *kind, size_t k,
                     const char *what, int adoptable);

void ss__out_begin(SsCtx *ctx, SsOut *o, int from, int to, const char *kind, size_t k,
                   const char *what)
{
    out_open(ctx, o, from, to, kind, k, what, 1);
}

/* adoptable: the frame is built in a share buffer (ss__words) whose receiver may keep it
** (the dealer's material); else in a pooled frame buffer (openings go back to the pool). */
static void out_open(SsCtx *ctx, SsOut *o, int from, int to, const char *kind, size_t k,
                     const char *what, int adoptable)
{
    Msg *m = ctx->msg;
    uint64_t payload = wire_size_ring(k);
    size_t idx = msg_post(m, from, to, kind, payload, what);
    WireHdr h = { .kind = kind, .from = from, .to = to, .round = m->tr->msgs[idx].round };
    size_t cap = (size_t)(wire_size_envelope(kind) + payload);
    wire_w_init(&o->w);
    /* in a share buffer of k words (its headroom holds the envelope): the receiver can
    ** adopt the frame as its storage (ss__deal_end) */
    if (adoptable && cap <= ss__frame_room(k)) {
        o->w.buf.data = (char *)ss__words(k);
        o->w.buf.alloc = cap;
    } else
        o->w.buf.data = (char *)frame_alloc(cap, &o->w.buf.alloc);
    wire_put_envelope(&o->w, &h);
    msgpack_pack_bin(&o->w.pk, 8 * k);
    o->from = from; o->to = to; o->kind = kind; o->len = cap;
}

void ss__out_words(SsOut *o, const uint64_t *w, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n) msgpack_pack_bin_body(&o->w.pk, w, 8 * n);
#else
    for (size_t e = 0; e < n; e++) {
        unsigned char b[8];
        for (int j = 0; j < 8; j++) b[j] = (unsigned char)(w[e] >> (8 * j));
        msgpack_pack_bin_body(&o->w.pk, b, 8);
    }
#endif
}

int ss__out_end(SsCtx *ctx, SsOut *o)
{
    MsgTransport *tp = ctx->msg->tp;
    size_t len;
    uint8_t *f = wire_w_take(&o->w, &len);
    if (len != o->len || tp->post(tp, o->from, o->to, f, len) != 0) {
        frame_release(f, len, 1);
        return ss__fail(ctx, "the %s transport could not carry a %s frame from party %d to %d",
                        tp->name, o->kind, o->from, o->to);
    }
    return 0;
}

typedef struct Words { const uint64_t *w, *bits; size_t k, nb; } Words;

static uint8_t *make_words(const WireHdr *h, const void *arg, size_t *len)
{
    const Words *a = arg;
    return build(h, a->w, a->k, a->bits, a->nb, len);
}

int ss__post(SsCtx *ctx, int from, int to, const char *kind, const uint64_t *w, size_t k,
             const uint64_t *bits, size_t nb, const char *what)
{
    Words a = { w, bits, k, nb };
    return carry(ctx, from, to, kind, wire_size_bin(body_len(k, nb)), make_words, &a, what);
}

static uint8_t *make_body(const WireHdr *h, const void *arg, size_t *len)
{
    const WireW *body = arg;
    WireW ww;
    wire_w_init(&ww);
    wire_put_envelope(&ww, h);
    msgpack_sbuffer_write(&ww.buf, body->buf.data, body->buf.size);
    return wire_w_take(&ww, len);
}

int ss__post_payload(SsCtx *ctx, int from, int to, const char *kind, const WireW *body,
                     const char *what)
{
    return carry(ctx, from, to, kind, body->buf.size, make_body, body, what);
}

int ss__receive(SsCtx *ctx, int from, int to, const char *kind, SsFrame *fr)
{
    memset(fr, 0, sizeof *fr);
    snprintf(fr->sender, sizeof fr->sender, "party %d", from);
    wire_r_init(&fr->r, fr->sender);
    if (msg_receive(ctx->msg, from, to, &fr->buf, &fr->len) != 0)
        return ss__fail(ctx, "party %d expected a %s message from party %d, none arrived",
                        to, kind, from);
    WireHdr h;
    if (!wire_open_frame(&fr->r, fr->buf, fr->len, &h, &fr->payload))
        return ss__fail(ctx, "%s", fr->r.err);
    if (strcmp(h.kind, kind) != 0 || h.from != from || h.to != to)
        return ss__fail(ctx, "party %d expected a %s message from party %d, got a %s message "
                        "from %d to %d", to, kind, from, h.kind, h.from, h.to);
    return 0;
}

void ss__frame_free(SsFrame *fr, int secret)
{
    frame_release(fr->buf, fr->len, secret);
    wire_r_free(&fr->r);
    memset(fr, 0, sizeof *fr);
}

int ss__take(SsCtx *ctx, int from, int to, const char *kind, uint64_t *w, size_t k,
             uint64_t *bits, size_t nb, SsOp op)
{
    SsFrame fr;
    int rc = ss__receive(ctx, from, to, kind, &fr);
    const void *p = NULL;
    size_t n = 0;
    if (rc == 0 && !wire_get_bin(&fr.r, fr.payload, &p, &n)) rc = ss__fail(ctx, "%s", fr.r.err);
    if (rc == 0 && n != body_len(k, nb))
        rc = ss__fail(ctx, "malformed message from party %d: %zu bytes where %llu were expected",
                      from, n, (unsigned long long)body_len(k, nb));
    if (rc == 0) {
        const unsigned char *b = p;
        switch (op) {
        case SS_SET:
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* a secret: copied and wiped a cache-sized piece at a time (one pass) */
            for (size_t e = 0; e < k; e += 512) {
                size_t c = k - e < 512 ? k - e : 512;
                memcpy(w + e, b + 8 * e, 8 * c);
                explicit_bzero(fr.buf + (b - fr.buf) + 8 * e, 8 * c);
            }
            break;
#endif
        case SS_ADD: case SS_XOR:
            for (size_t e = 0; e < k; e++) {
                uint64_t v;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                memcpy(&v, b + 8 * e, 8);
#else
                v = 0;
                for (int j = 0; j < 8; j++) v |= (uint64_t)b[8 * e + j] << (8 * j);
#endif
                w[e] = op == SS_ADD ? w[e] + v : op == SS_XOR ? w[e] ^ v : v;
            }
            break;
        }
        b += 8 * k;
        for (size_t q = 0; q < nb; q++) {
            uint64_t bit = b[q >> 3] >> (q & 7) & 1;
            bits[q] = op == SS_SET ? bit : bits[q] ^ bit;
        }
    }
    /* shares and material are secrets: wiped (the words above already, little endian) */
    ss__frame_free(&fr, op == SS_SET && (rc != 0 || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || nb));
    return rc;
}

/* After a failed round: the frames still waiting for the scheme's parties, from one
** another, from its dealer or from `extra` (a sender outside the scheme, 0: none), are
** dropped, so that no later round reads a stale one.  Returns -1. */
static int drain(SsCtx *ctx, const SsScheme *sc, int extra)
{
    for (int i = -2; i < sc->n; i++) {
        int from = i == -2 ? extra : i == -1 ? sc->dealer : sc->party[i];
        if (from == SS_NODEALER || from == 0) continue;
        for (int j = 0; j < sc->n; j++) {
            uint8_t *f;
            size_t len;
            while (msg_receive(ctx->msg, from, sc->party[j], &f, &len) == 0) frame_release(f, len, 1);
        }
    }
    return -1;
}

/* w[0..c) op= the c little-endian words at b (b need not be aligned). */
static void combine(uint64_t *restrict w, const unsigned char *restrict b, size_t c, SsOp op)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (op == SS_ADD)
        for (size_t e = 0; e < c; e++) { uint64_t v; memcpy(&v, b + 8 * e, 8); w[e] += v; }
    else
        for (size_t e = 0; e < c; e++) { uint64_t v; memcpy(&v, b + 8 * e, 8); w[e] ^= v; }
#else
    for (size_t e = 0; e < c; e++) {
        uint64_t v = 0;
        for (int q = 0; q < 8; q++) v |= (uint64_t)b[8 * e + q] << (8 * q);
        if (op == SS_ADD) w[e] += v; else w[e] ^= v;
    }
#endif
}

/* Holder j's step of an exchange (op SS_ADD or SS_XOR): every frame from the other
** present holders is opened first, then the words are combined into w straight out of
** the frames' payloads, a cache-sized piece of w at a time (w is read and written once,
** however many parties there are; nothing is copied out of a frame).  The bits follow,
** frame by frame.  Openings are public among the parties: the frames go back to the pool
** unwiped, as ss__take leaves them. */
static int take_all(SsCtx *ctx, const SsScheme *sc, uint32_t absent, int j, uint64_t *w,
                    size_t k, size_t nb, SsOp op)
{
    SsFrame fr[SS_MAXP];
    const unsigned char *pl[SS_MAXP];
    int cnt = 0, rc = 0;
    for (int i = 0; i < sc->n && rc == 0; i++) {
        if (i == j || absent >> i & 1) continue;
        rc = ss__receive(ctx, sc->party[i], sc->party[j], "open", &fr[cnt]);
        const void *p = NULL;
        size_t n = 0;
        if (rc == 0 && !wire_get_bin(&fr[cnt].r, fr[cnt].payload, &p, &n))
            rc = ss__fail(ctx, "%s", fr[cnt].r.err);
        if (rc == 0 && n != body_len(k, nb))
            rc = ss__fail(ctx, "malformed message from party %d: %zu bytes where %llu were "
                          "expected", sc->party[i], n, (unsigned long long)body_len(k, nb));
        pl[cnt++] = p;
    }
    if (rc == 0) {
        for (size_t e0 = 0; e0 < k; e0 += 512) {
            size_t c = k - e0 < 512 ? k - e0 : 512;
            uint64_t *we = w + e0;
            for (int f = 0; f < cnt; f++) combine(we, pl[f] + 8 * e0, c, op);
        }
        for (int f = 0; f < cnt; f++) {
            const unsigned char *b = pl[f] + 8 * k;
            for (size_t q = 0; q < nb; q++) w[k + q] ^= b[q >> 3] >> (q & 7) & 1;
        }
    }
    for (int f = 0; f < cnt; f++) ss__frame_free(&fr[f], 0);
    return rc;
}

int ss__exchange(SsCtx *ctx, const SsScheme *sc, uint32_t absent, uint64_t *const *mine,
                 size_t k, size_t nb, SsOp op, uint64_t **sum, const char *what)
{
    msg_round(ctx->msg);
    for (int i = 0; i < sc->n; i++) {
        if (absent >> i & 1) continue;
        for (int j = 0; j < sc->n; j++)
            if (j != i && !(absent >> j & 1) &&
                ss__post(ctx, sc->party[i], sc->party[j], "open", mine[i], k, mine[i] + k, nb, what))
                return drain(ctx, sc, 0);
    }
    /* each present holder: its own buffer, then its inbox */
    for (int j = 0; j < sc->n; j++) {
        if (absent >> j & 1) continue;
        if (sum[j] != mine[j]) memcpy(sum[j], mine[j], (k + nb) * sizeof(uint64_t));
        if (op != SS_SET) {
            if (take_all(ctx, sc, absent, j, sum[j], k, nb, op)) return drain(ctx, sc, 0);
            continue;
        }
        for (int i = 0; i < sc->n; i++)
            if (i != j && !(absent >> i & 1) &&
                ss__take(ctx, sc->party[i], sc->party[j], "open", sum[j], k, sum[j] + k, nb, op))
                return drain(ctx, sc, 0);
    }
    return 0;
}

int ss__exchange_fill(SsCtx *ctx, const SsScheme *sc, size_t k, SsOp op, uint64_t **sum,
                      void (*fill)(void *arg, int i, size_t e0, size_t n, uint64_t *dst),
                      void *arg, const char *what)
{
    msg_round(ctx->msg);
    int N = sc->n, rc = 0;
    for (int i = 0; i < N; i++) {
        /* holder i's step: its buffer a cache-sized piece at a time, each piece written
        ** into every outgoing frame while it is hot */
        SsOut out[SS_MAXP];
        for (int j = 0; j < N; j++)
            if (j != i) out_open(ctx, &out[j], sc->party[i], sc->party[j], "open", k, what, 0);
        for (size_t e0 = 0; e0 < k; e0 += 512) {
            size_t c = k - e0 < 512 ? k - e0 : 512;
            fill(arg, i, e0, c, sum[i] + e0);
            for (int j = 0; j < N; j++)
                if (j != i) ss__out_words(&out[j], sum[i] + e0, c);
        }
        for (int j = 0; j < N; j++) {
            if (j == i) continue;
            if (rc == 0) rc = ss__out_end(ctx, &out[j]);
            else {
                size_t len;
                frame_release(wire_w_take(&out[j].w, &len), len, 0);
            }
        }
        if (rc) return drain(ctx, sc, 0);
    }
    for (int j = 0; j < N; j++)
        if (take_all(ctx, sc, 0, j, sum[j], k, 0, op)) return drain(ctx, sc, 0);
    return 0;
}

int ss__scatter(SsCtx *ctx, const SsScheme *sc, int from, const char *kind,
                uint64_t *const *parts, size_t k, size_t nb, uint64_t **got, const char *what)
{
    msg_round(ctx->msg);
    for (int i = 0; i < sc->n; i++)
        if (sc->party[i] != from &&
            ss__post(ctx, from, sc->party[i], kind, parts[i], k, parts[i] + k, nb, what))
            return drain(ctx, sc, from);
    for (int i = 0; i < sc->n; i++) {
        if (sc->party[i] == from) {
            if (got[i] != parts[i]) memcpy(got[i], parts[i], (k + nb) * sizeof(uint64_t));
        } else if (ss__take(ctx, from, sc->party[i], kind, got[i], k, got[i] + k, nb, SS_SET))
            return drain(ctx, sc, from);
    }
    return 0;
}

int ss__deal(SsCtx *ctx, const SsScheme *sc, uint64_t *const *parts, size_t k, size_t nb,
             uint64_t **got, const char *what)
{
    const char *old = msg_phase(ctx->msg, "offline");
    int rc = ss__scatter(ctx, sc, sc->dealer, "triple", parts, k, nb, got, what);
    msg_phase(ctx->msg, old);
    return rc;
}

/* --- the dealer, streaming ------------------------------------------------------------ */

#define CHUNK 512               /* words of material the dealer holds at a time */

/* Party `to`'s step of the dealer's round: its frame of k words becomes *got, the
** frame's buffer itself when ss__adopt can take it (no copy), else a copy. */
static int take_material(SsCtx *ctx, int from, int to, size_t k, uint64_t **got)
{
    SsFrame fr;
    int rc = ss__receive(ctx, from, to, "triple", &fr);
    const void *p = NULL;
    size_t n = 0;
    if (rc == 0 && !wire_get_bin(&fr.r, fr.payload, &p, &n)) rc = ss__fail(ctx, "%s", fr.r.err);
    if (rc == 0 && n != 8 * k)
        rc = ss__fail(ctx, "malformed message from party %d: %zu bytes where %llu were expected",
                      from, n, (unsigned long long)(8 * k));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (rc == 0 && (*got = ss__adopt(fr.buf, fr.len, (size_t)((const uint8_t *)p - fr.buf), k))) {
        fr.buf = NULL;                              /* ours now */
        ss__frame_free(&fr, 1);
        return 0;
    }
#endif
    if (rc == 0) {
        *got = ss__words(k);
        const unsigned char *b = p;
        for (size_t e = 0; e < k; e++) {
            uint64_t v = 0;
            for (int j = 0; j < 8; j++) v |= (uint64_t)b[8 * e + j] << (8 * j);
            (*got)[e] = v;
        }
    }
    ss__frame_free(&fr, 1);
    return rc;
}

void ss__deal_begin(SsCtx *ctx, const SsScheme *sc, SsOut *out, size_t k, const char *what,
                    const char **old_phase)
{
    *old_phase = msg_phase(ctx->msg, "offline");
    msg_round(ctx->msg);
    ss__as(ctx, sc->dealer);                        /* the dealer's step draws */
    for (int i = 0; i < sc->n; i++)
        ss__out_begin(ctx, &out[i], sc->dealer, sc->party[i], "triple", k, what);
}

int ss__deal_end(SsCtx *ctx, const SsScheme *sc, SsOut *out, size_t k, uint64_t **got,
                 const char *old_phase)
{
    int rc = 0;
    for (int i = 0; i < sc->n; i++) {
        if (rc == 0) rc = ss__out_end(ctx, &out[i]);
        else {
            size_t len;
            frame_release(wire_w_take(&out[i].w, &len), len, 1);
        }
    }
    for (int i = 0; i < sc->n; i++) got[i] = NULL;
    for (int i = 0; i < sc->n && rc == 0; i++)      /* each party's step: its own material */
        rc = take_material(ctx, sc->dealer, sc->party[i], k, &got[i]);
    msg_phase(ctx->msg, old_phase);
    if (rc == 0) return 0;
    for (int i = 0; i < sc->n; i++) { ss__wipe_free(got[i], k); got[i] = ss__words(k); }
    return drain(ctx, sc, 0);
}

void ss__deal_random(SsCtx *ctx, SsOut *o, uint64_t *acc, size_t len, int xor)
{
    uint64_t buf[CHUNK];
    for (size_t e = 0; e < len; e += CHUNK) {
        size_t n = len - e < CHUNK ? len - e : CHUNK;
        ss__rnd(ctx, buf, n);
        if (acc) {
            if (xor) for (size_t q = 0; q < n; q++) acc[e + q] ^= buf[q];
            else for (size_t q = 0; q < n; q++) acc[e + q] += buf[q];
        }
        ss__out_words(o, buf, n);
    }
    explicit_bzero(buf, sizeof buf);
}

void ss__deal_split(SsCtx *ctx, const SsScheme *sc, SsOut *out, const uint64_t *value,
                    size_t len, int xor)
{
    uint64_t *acc = ss__words(len), buf[CHUNK];
    for (int i = 1; i < sc->n; i++) ss__deal_random(ctx, &out[i], acc, len, xor);
    for (size_t e = 0; e < len; e += CHUNK) {
        size_t n = len - e < CHUNK ? len - e : CHUNK;
        for (size_t q = 0; q < n; q++)
            buf[q] = xor ? value[e + q] ^ acc[e + q] : value[e + q] - acc[e + q];
        ss__out_words(&out[0], buf, n);
    }
    explicit_bzero(buf, sizeof buf);
    ss__wipe_free(acc, len);
}
