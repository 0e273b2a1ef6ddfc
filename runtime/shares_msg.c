/*
** shares_msg.c — how the share protocols talk: one party's buffer becomes a real frame
** (wire.h's envelope + a bin payload) handed to the message layer, and the receiver
** reads it back from its inbox.  On top of that, the two shapes of round every protocol
** in shares*.c is made of: an EXCHANGE (every present holder posts its buffer to every other
** one; each then combines its own buffer with what it received: an opening) and a
** SCATTER (one sender posts a different buffer to each holder: sharing an input, the
** dealer's offline material, a re-sharing).  Nothing here reads a party's shares: it
** moves the buffers the protocol code hands it, and a receiver's result is computed from
** its own buffer and its inbox only.  It also owns the share buffers (ss__words and
** their cache), since frames are built around them.
**
** Payload: a bin of 8k bytes (k ring or field words, little endian: wire_size_ring(k))
** followed, when a protocol sends single bits, by ceil(nb / 8) bytes holding bit 0 of nb
** more words, packed eight to a byte (low bit first).  The transcript records the
** frame's exact size (msg_post with the payload's encoded size; the frame built here has
** exactly that size), so cost() counts real bytes.
**
** Frames of words are message-layer BLOCKS (message.h): the envelope and bin header end
** at base + SS_HEADROOM, where the payload starts, 64-byte aligned.  So a sender writes
** its words straight into the frame (an opening's fill, the dealer's explicit words),
** and an opening is ONE block posted to every other holder: the in-process transport
** hands each receiver the same read-only bytes (with its own number in the envelope),
** where a network transport sends each a copy.  The sender keeps a reference to read
** its own opening back.  The dealer's frames carry a seed for the uniform words of a
** party's material and the other words as they are (SsOut in shares.h); the receiver
** expands the seed (ss__prg) into its share buffer.
**
** Until the layer offers a call for protocol frames in the current round, a frame is
** recorded with msg_post() and carried by msg_carry_block() (or, for ciphertexts, the
** transport's post): the same two steps msg_send_frame() takes, without making each
** frame a round of its own.
*/
#include "shares.h"
#include "mem.h"
#include "message.h"
#include "wire.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LE64(v) (v)
#else
#define LE64(v) __builtin_bswap64(v)
#endif

/* --- share buffers ------------------------------------------------------------------ */

/* Big share buffers are recycled: a training step allocates and frees megabytes, and
** fresh pages from the kernel cost a fault and a zero-fill each.  A freed buffer is
** wiped first (so it is all zeros when handed out again), then kept in a cache keyed
** by size, big enough for a step's working set (each party now holds its own copy of
** every opening and of its material); when it is full the slot stored longest ago is
** freed.  Single-threaded: only the calling thread allocates. */
#define CACHE_SLOTS 128
#define CACHE_MIN   (64 * 1024)
static struct { void *p; size_t bytes; } cache[CACHE_SLOTS];

static size_t rounded(size_t n) { return ((n ? n : 1) * sizeof(uint64_t) + 63) & ~(size_t)63; }

uint64_t *ss__words(size_t n)
{
    size_t bytes = rounded(n);
    if (bytes >= CACHE_MIN)
        for (int i = 0; i < CACHE_SLOTS; i++)
            if (cache[i].p && cache[i].bytes == bytes) {
                void *p = cache[i].p;
                cache[i].p = NULL;
                return p;                       /* wiped when it was freed */
            }
    uint8_t *base = aligned_alloc(64, SS_HEADROOM + bytes);
    if (!base) mem_oom();
    memset(base, 0, SS_HEADROOM + bytes);
    return (uint64_t *)(void *)(base + SS_HEADROOM);
}


void ss__wipe_free(uint64_t *p, size_t n)
{
    if (!p) return;
    size_t bytes = rounded(n);
    explicit_bzero(p, bytes);
    if (bytes >= CACHE_MIN) {
        for (int i = 0; i < CACHE_SLOTS; i++)
            if (!cache[i].p) { cache[i].p = p; cache[i].bytes = bytes; return; }
        /* full: the oldest-stored slot makes room (sizes in use come back; others age out) */
        static int victim;
        free((uint8_t *)cache[victim].p - SS_HEADROOM);
        cache[victim].p = p; cache[victim].bytes = bytes;
        victim = (victim + 1) % CACHE_SLOTS;
        return;
    }
    free((uint8_t *)p - SS_HEADROOM);
}

/* Buffers for openings (public among the parties) skip the wipe: freed into a cache of
** their own, handed out again holding the public words of an earlier opening. */
#define OPEN_SLOTS 32
static struct { void *p; size_t bytes; } opened[OPEN_SLOTS];

uint64_t *ss__words_open(size_t n)
{
    size_t bytes = rounded(n);
    for (int i = 0; i < OPEN_SLOTS; i++)
        if (opened[i].p && opened[i].bytes == bytes) {
            void *p = opened[i].p;
            opened[i].p = NULL;
            return p;
        }
    return ss__words(n);
}

void ss__free_open(uint64_t *p, size_t n)
{
    if (!p) return;
    size_t bytes = rounded(n);
    if (bytes >= CACHE_MIN) {
        static int victim;
        int i = 0;
        while (i < OPEN_SLOTS && opened[i].p) i++;
        if (i == OPEN_SLOTS) {
            i = victim;
            victim = (victim + 1) % OPEN_SLOTS;
            free((uint8_t *)opened[i].p - SS_HEADROOM);
        }
        opened[i].p = p; opened[i].bytes = bytes;
        return;
    }
    free((uint8_t *)p - SS_HEADROOM);
}


/* --- frames ------------------------------------------------------------------------- */

/* Frame buffers are recycled, as share buffers are: a training step sends
** megabytes a round, and fresh pages would cost a fault each.  Buffers are 64-byte
** aligned; once a block's last holder lets go, its buffer (wiped by the layer if the
** block held a secret: a share, the dealer's material; openings are public among the
** parties) is kept for the next frame of its size; when the pool is full the oldest kept
** one goes.  Single-threaded. */
#define POOL      128
#define POOL_MIN  (64 * 1024)
static struct { uint8_t *p; size_t cap; } pool[POOL];
static int pool_next;

static size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }

static uint8_t *frame_alloc(size_t cap)
{
    size_t need = round64(cap ? cap : 1);
    if (need >= POOL_MIN)
        for (int i = 0; i < POOL; i++)
            if (pool[i].p && pool[i].cap == need) {
                uint8_t *p = pool[i].p;
                pool[i].p = NULL;
                return p;
            }
    uint8_t *p = aligned_alloc(64, need);
    if (!p) mem_oom();
    return p;
}

static void frame_drop(uint8_t *p, size_t cap)
{
    size_t need = round64(cap ? cap : 1);
    if (need < POOL_MIN) { free(p); return; }
    int i = 0;
    while (i < POOL && pool[i].p) i++;
    if (i == POOL) { i = pool_next; pool_next = (pool_next + 1) % POOL; free(pool[i].p); }
    pool[i].p = p; pool[i].cap = need;
}

static uint64_t body_len(size_t k, size_t nb) { return 8 * (uint64_t)k + (nb + 7) / 8; }

/* A block for a frame of k words then nb bits with header h (recorded by the caller):
** the envelope and bin header are written to end at base + SS_HEADROOM, where the
** payload (*pl) starts, in a pooled frame buffer.  NULL if the header does not fit. */
static MsgBlock *block_new(const WireHdr *h, size_t k, size_t nb, uint64_t **pl)
{
    uint64_t body = body_len(k, nb);
    WireW ww;
    wire_w_init(&ww);
    wire_put_envelope(&ww, h);
    msgpack_pack_bin(&ww.pk, (size_t)body);
    size_t hn = ww.buf.size;
    if (hn > SS_HEADROOM) { wire_w_free(&ww); return NULL; }
    size_t cap = SS_HEADROOM + (size_t)body;
    MsgBlock *b = msg_block_new(frame_alloc(cap), cap, SS_HEADROOM - hn, hn + (size_t)body,
                                frame_drop);
    memcpy(b->base + b->off, ww.buf.data, hn);
    wire_w_free(&ww);
    *pl = (uint64_t *)(void *)(b->base + SS_HEADROOM);
    return b;
}

/* Records a frame of k words and nb bits from `from` to `to` in the current round and
** makes its block; NULL (with ctx->err) if it cannot be built. */
static MsgBlock *open_block(SsCtx *ctx, int from, int to, const char *kind, size_t k,
                            size_t nb, const char *what, uint64_t **pl)
{
    Msg *m = ctx->msg;
    size_t idx = msg_post(m, from, to, kind, wire_size_bin(body_len(k, nb)), what);
    WireHdr h = { .kind = kind, .from = from, .to = to, .round = m->tr->msgs[idx].round };
    MsgBlock *b = block_new(&h, k, nb, pl);
    if (!b || b->len != wire_size_envelope(kind) + wire_size_bin(body_len(k, nb))) {
        msg_block_release(b);
        ss__fail(ctx, "internal error: a %s frame of %zu words does not have its recorded size",
                 kind, k);
        return NULL;
    }
    return b;
}

/* Carries one holder of block b from `from` to `to`. */
static int carry_block(SsCtx *ctx, MsgBlock *b, int from, int to, const char *kind)
{
    if (msg_carry_block(ctx->msg, from, to, b) == 0) return 0;
    return ss__fail(ctx, "the %s transport could not carry a %s frame from party %d to %d",
                    ctx->msg->tp->name, kind, from, to);
}

/* w[0..k) as little-endian words at dst, bit 0 of bits[0..nb) packed after them. */
static void put_words(uint64_t *dst, const uint64_t *w, size_t k, const uint64_t *bits, size_t nb)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (k) memcpy(dst, w, 8 * k);
#else
    for (size_t e = 0; e < k; e++) dst[e] = LE64(w[e]);
#endif
    unsigned char *b = (unsigned char *)(dst + k);
    if (nb) memset(b, 0, (nb + 7) / 8);
    for (size_t q = 0; q < nb; q++) b[q >> 3] |= (unsigned char)((bits[q] & 1) << (q & 7));
}

/* --- a frame written in pieces (the dealer streams its material) ------------------ */

/* The dealer's frame to one party (shares.h, SsOut): a seed and a count, then the
** explicit words.  Nothing is recorded or built until the end, when the count is known;
** the explicit words go into the frame's buffer as they come (from the first one on,
** every later word of the frame is explicit, so their number is known then). */

void ss__out_begin(SsCtx *ctx, SsOut *o, int from, int to, const char *kind, size_t k,
                   const char *what)
{
    *o = (SsOut){ .from = from, .to = to, .kind = kind, .what = what, .k = k };
    if (!ss__standin(ctx, from)) {              /* a stand-in's seed would be unread */
        ss__as(ctx, from);
        ss__rnd(ctx, o->seed, 4);               /* fresh for this frame: 256 bits */
    }
}

/* The frame's buffer: headroom, seed and count, then n explicit words. */
static size_t out_cap(size_t n) { return SS_HEADROOM + SS_SEED_HDR + 8 * n; }

uint64_t *ss__out_room(SsOut *o, size_t n)
{
    if (o->at + n > o->k) { o->at = o->k + 1; return NULL; }     /* refused at the end */
    if (!o->buf) {                              /* the seeded prefix ends here */
        o->u = o->at;
        o->buf = frame_alloc(out_cap(o->k - o->u));
        o->x = (uint64_t *)(void *)(o->buf + SS_HEADROOM + SS_SEED_HDR);
    }
    uint64_t *p = o->x + (o->at - o->u);
    o->at += n;
    return p;
}

void ss__out_words(SsOut *o, const uint64_t *w, size_t n)
{
    uint64_t *dst = ss__out_room(o, n);
    if (dst) put_words(dst, w, n, NULL, 0);
}

/* Drops an unsent frame (its words and seed are secrets). */
static void out_drop(SsOut *o)
{
    if (o->buf) {
        explicit_bzero(o->buf, out_cap(o->k - o->u));
        frame_drop(o->buf, out_cap(o->k - o->u));
    }
    o->buf = NULL; o->x = NULL;
    explicit_bzero(o->seed, sizeof o->seed);
}

int ss__out_end(SsCtx *ctx, SsOut *o)
{
    if (o->at != o->k) {
        size_t at = o->at;
        out_drop(o);
        return ss__fail(ctx, "internal error: a %s frame got %zu of its %zu words", o->kind,
                        at, o->k);
    }
    if (!o->buf) {                              /* every word from the seed */
        o->u = o->k;
        o->buf = frame_alloc(out_cap(0));
    }
    size_t nx = o->k - o->u, cap = out_cap(nx);
    uint64_t body = SS_SEED_HDR + 8 * (uint64_t)nx;
    char what[200];
    if (nx) snprintf(what, sizeof what, "%s; a seed + %zu word%s", o->what, nx, nx == 1 ? "" : "s");
    else snprintf(what, sizeof what, "%s; a seed", o->what);
    Msg *m = ctx->msg;
    size_t idx = msg_post(m, o->from, o->to, o->kind, wire_size_bin(body), what);
    WireHdr h = { .kind = o->kind, .from = o->from, .to = o->to, .round = m->tr->msgs[idx].round };
    WireW ww;
    wire_w_init(&ww);
    wire_put_envelope(&ww, &h);
    msgpack_pack_bin(&ww.pk, (size_t)body);
    size_t hn = ww.buf.size;
    if (hn > SS_HEADROOM || hn + body != wire_size_envelope(o->kind) + wire_size_bin(body)) {
        wire_w_free(&ww);
        out_drop(o);
        return ss__fail(ctx, "internal error: a %s frame of %zu words does not have its "
                        "recorded size", o->kind, o->k);
    }
    uint8_t *pl = o->buf + SS_HEADROOM;
    uint64_t u = LE64((uint64_t)o->u);
    memcpy(pl, o->seed, SS_SEED_BYTES);
    memcpy(pl + SS_SEED_BYTES, &u, 8);
    memcpy(pl - hn, ww.buf.data, hn);
    wire_w_free(&ww);
    MsgBlock *b = msg_block_new(o->buf, cap, SS_HEADROOM - hn, hn + (size_t)body, frame_drop);
    b->secret = true;                           /* the party's material: wiped when dropped */
    o->buf = NULL; o->x = NULL;
    explicit_bzero(o->seed, sizeof o->seed);
    return carry_block(ctx, b, o->from, o->to, o->kind);
}

int ss__post(SsCtx *ctx, int from, int to, const char *kind, const uint64_t *w, size_t k,
             const uint64_t *bits, size_t nb, const char *what)
{
    uint64_t *pl;
    MsgBlock *b = open_block(ctx, from, to, kind, k, nb, what, &pl);
    if (!b) return -1;
    if (!ss__standin(ctx, from)) put_words(pl, w, k, bits, nb);    /* a stand-in's: unread */
    return carry_block(ctx, b, from, to, kind);
}

int ss__post_payload(SsCtx *ctx, int from, int to, const char *kind, const WireW *body,
                     const char *what)
{
    Msg *m = ctx->msg;
    size_t idx = msg_post(m, from, to, kind, body->buf.size, what);
    WireHdr h = { .kind = kind, .from = from, .to = to, .round = m->tr->msgs[idx].round };
    WireW ww;
    wire_w_init(&ww);
    wire_put_envelope(&ww, &h);
    msgpack_sbuffer_write(&ww.buf, body->buf.data, body->buf.size);
    size_t len;
    uint8_t *f = wire_w_take(&ww, &len);
    if (len != wire_size_envelope(kind) + body->buf.size || m->tp->post(m->tp, from, to, f, len) != 0) {
        free(f);
        return ss__fail(ctx, "the %s transport could not carry a %s frame from party %d to %d",
                        m->tp->name, kind, from, to);
    }
    return 0;
}

int ss__receive(SsCtx *ctx, int from, int to, const char *kind, SsFrame *fr)
{
    memset(fr, 0, sizeof *fr);
    snprintf(fr->sender, sizeof fr->sender, "party %d", from);
    wire_r_init(&fr->r, fr->sender);
    if (msg_receive_block(ctx->msg, from, to, &fr->blk) != 0)
        return ss__fail(ctx, "party %d expected a %s message from party %d, none arrived",
                        to, kind, from);
    fr->buf = fr->blk->base + fr->blk->off;
    fr->len = fr->blk->len;
    WireHdr h;
    if (!wire_open_frame(&fr->r, fr->buf, fr->len, &h, &fr->payload))
        return ss__fail(ctx, "%s", fr->r.e.msg);
    if (strcmp(h.kind, kind) != 0 || h.from != from || h.to != to)
        return ss__fail(ctx, "party %d expected a %s message from party %d, got a %s message "
                        "from %d to %d", to, kind, from, h.kind, h.from, h.to);
    return 0;
}

void ss__frame_free(SsFrame *fr, int secret)
{
    if (fr->blk) {
        if (secret) fr->blk->secret = true;
        msg_block_release(fr->blk);
    }
    wire_r_free(&fr->r);
    memset(fr, 0, sizeof *fr);
}

/* Opens a received frame's bin of k words and nb bits: its bytes, or NULL (ctx->err). */
static const unsigned char *words_of(SsCtx *ctx, SsFrame *fr, int from, size_t k, size_t nb)
{
    const void *p = NULL;
    size_t n = 0;
    if (!wire_get_bin(&fr->r, fr->payload, &p, &n)) return ss__fail(ctx, "%s", fr->r.e.msg), NULL;
    if (n != body_len(k, nb))
        return ss__fail(ctx, "malformed message from party %d: %zu bytes where %llu were "
                        "expected", from, n, (unsigned long long)body_len(k, nb)), NULL;
    return p;
}

int ss__take(SsCtx *ctx, int from, int to, const char *kind, uint64_t *w, size_t k,
             uint64_t *bits, size_t nb, SsOp op)
{
    SsFrame fr;
    int rc = ss__receive(ctx, from, to, kind, &fr);
    const unsigned char *b = rc == 0 ? words_of(ctx, &fr, from, k, nb) : NULL;
    if (!b) rc = -1;
    if (rc == 0 && !ss__standin(ctx, to)) {        /* a stand-in only takes the frame */
        switch (op) {
        case SS_SET:
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            memcpy(w, b, 8 * k);
            break;
#endif
        case SS_ADD: case SS_XOR:
            for (size_t e = 0; e < k; e++) {
                uint64_t v;
                memcpy(&v, b + 8 * e, 8);
                v = LE64(v);
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
    /* shares and material are secrets: wiped */
    ss__frame_free(&fr, op == SS_SET);
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
            MsgBlock *b;
            while (msg_receive_block(ctx->msg, from, sc->party[j], &b) == 0) {
                b->secret = true;
                msg_block_release(b);
            }
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
** present holders is opened first, then w = own op (their words), a cache-sized piece
** at a time (w written once, however many parties there are; nothing is copied out of
** a frame).  own: holder j's words (little endian), or NULL when w already holds them.
** The bits follow, frame by frame.  Openings are public among the parties: the frames
** go back to the pool unwiped. */
static int take_all(SsCtx *ctx, const SsScheme *sc, uint32_t absent, int j, uint64_t *w,
                    const unsigned char *own, size_t k, size_t nb, SsOp op)
{
    SsFrame fr[SS_MAXP];
    const unsigned char *pl[SS_MAXP];
    int cnt = 0, rc = 0;
    for (int i = 0; i < sc->n && rc == 0; i++) {
        if (i == j || absent >> i & 1) continue;
        rc = ss__receive(ctx, sc->party[i], sc->party[j], "open", &fr[cnt]);
        pl[cnt] = rc == 0 ? words_of(ctx, &fr[cnt], sc->party[i], k, nb) : NULL;
        if (!pl[cnt]) rc = -1;
        cnt++;
    }
    if (rc == 0 && !ss__standin(ctx, sc->party[j])) {   /* a stand-in only takes its frames */
        for (size_t e0 = 0; e0 < k; e0 += 512) {
            size_t c = k - e0 < 512 ? k - e0 : 512;
            uint64_t *we = w + e0;
            if (own) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                memcpy(we, own + 8 * e0, 8 * c);
#else
                memset(we, 0, 8 * c);
                combine(we, own + 8 * e0, c, SS_XOR);
#endif
            }
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

/* Holder i's opening as one block posted to every other present holder (a multicast:
** the same bytes to each, see message.h); the caller keeps one reference.  NULL after a
** failure (ctx->err). */
static MsgBlock *multicast(SsCtx *ctx, const SsScheme *sc, uint32_t absent, int i, size_t k,
                           size_t nb, const char *what, const uint64_t *w, const uint64_t *bits)
{
    int first = -1;
    for (int j = 0; j < sc->n && first < 0; j++)
        if (j != i && !(absent >> j & 1)) first = j;
    if (first < 0) return NULL;
    uint64_t *pl;
    MsgBlock *b = open_block(ctx, sc->party[i], sc->party[first], "open", k, nb, what, &pl);
    if (!b) return NULL;
    if (w) put_words(pl, w, k, bits, nb);
    /* the other receivers: recorded with the same frame (its `to` is theirs on delivery) */
    for (int j = first + 1; j < sc->n; j++)
        if (j != i && !(absent >> j & 1))
            msg_post(ctx->msg, sc->party[i], sc->party[j], "open", wire_size_bin(body_len(k, nb)),
                     what);
    return b;
}

/* Posts block b from holder i to every other present holder (one reference each). */
static int send_all(SsCtx *ctx, const SsScheme *sc, uint32_t absent, int i, MsgBlock *b)
{
    for (int j = 0; j < sc->n; j++) {
        if (j == i || absent >> j & 1) continue;
        b->holders++;
        if (carry_block(ctx, b, sc->party[i], sc->party[j], "open")) return -1;
    }
    return 0;
}

int ss__exchange(SsCtx *ctx, const SsScheme *sc, uint32_t absent, uint64_t *const *mine,
                 size_t k, size_t nb, SsOp op, uint64_t **sum, const char *what)
{
    msg_round(ctx->msg);
    for (int i = 0; i < sc->n; i++) {
        if (absent >> i & 1) continue;
        MsgBlock *b = multicast(ctx, sc, absent, i, k, nb, what, mine[i], mine[i] + k);
        if (!b) {
            int alone = 1;
            for (int j = 0; j < sc->n; j++) if (j != i && !(absent >> j & 1)) alone = 0;
            if (alone) continue;                    /* nobody to send to */
            return drain(ctx, sc, 0);
        }
        int rc = send_all(ctx, sc, absent, i, b);
        msg_block_release(b);
        if (rc) return drain(ctx, sc, 0);
    }
    /* each present holder: its own buffer, then its inbox */
    for (int j = 0; j < sc->n; j++) {
        if (absent >> j & 1) continue;
        if (sum[j] != mine[j]) memcpy(sum[j], mine[j], (k + nb) * sizeof(uint64_t));
        if (op != SS_SET) {
            if (take_all(ctx, sc, absent, j, sum[j], NULL, k, nb, op)) return drain(ctx, sc, 0);
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
    if (N < 2) {                        /* nobody to open to */
        for (size_t e0 = 0; e0 < k; e0 += 512) fill(arg, 0, e0, k - e0 < 512 ? k - e0 : 512, sum[0] + e0);
        return 0;
    }
    MsgBlock *own[SS_MAXP] = { 0 };
    for (int i = 0; i < N && rc == 0; i++) {
        /* holder i's step: its buffer computed straight into its frame, which goes to
        ** every other holder; it keeps a reference to read its own words back */
        own[i] = multicast(ctx, sc, 0, i, k, 0, what, NULL, NULL);
        if (!own[i]) { rc = -1; break; }
        uint64_t *pl = (uint64_t *)(void *)(own[i]->base + SS_HEADROOM);
        bool fills = !ss__standin(ctx, sc->party[i]);      /* a stand-in's words: unread */
        for (size_t e0 = 0; fills && e0 < k; e0 += 512) {
            size_t c = k - e0 < 512 ? k - e0 : 512;
            fill(arg, i, e0, c, pl + e0);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
            for (size_t q = 0; q < c; q++) pl[e0 + q] = LE64(pl[e0 + q]);
#endif
        }
        rc = send_all(ctx, sc, 0, i, own[i]);
    }
    for (int j = 0; j < N && rc == 0; j++)
        rc = take_all(ctx, sc, 0, j, sum[j], own[j]->base + SS_HEADROOM, k, 0, op);
    for (int i = 0; i < N; i++) msg_block_release(own[i]);
    return rc ? drain(ctx, sc, 0) : 0;
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

#define CHUNK 512               /* words of material the dealer works on at a time */
#define PRG_PIECE 4096          /* blocks of keystream a call (256 KiB) */

void ss__prg(const unsigned char seed[SS_SEED_BYTES], uint64_t pos, uint64_t *dst, size_t n)
{
    /* the key's eight words are little endian (RFC 8439), as on the hosts rng_chacha.c
    ** supports; keystream bytes are little-endian words likewise */
    uint32_t key[8];
    memcpy(key, seed, sizeof key);
    uint64_t blk = pos / 8, t[8];
    size_t skip = (size_t)(pos % 8);
    if (skip && n) {                            /* the rest of a block begun before pos */
        rng_chacha20_block(key, blk++, 0, (unsigned char *)t);
        size_t c = 8 - skip < n ? 8 - skip : n;
        memcpy(dst, t + skip, 8 * c);
        dst += c; n -= c;
    }
    /* whole blocks, in pieces small enough that rng_chacha20_blocks stays on this thread:
    ** the parties of a step are busy already (a thread a request cost more wall time
    ** than it saved, measured on the loaded build machine) */
    for (size_t b = n / 8, piece; b; b -= piece, blk += piece, dst += 8 * piece, n -= 8 * piece) {
        piece = b < PRG_PIECE ? b : PRG_PIECE;
        rng_chacha20_blocks(key, blk, 0, dst, piece);
    }
    if (n) {                                    /* the start of a block that goes on */
        rng_chacha20_block(key, blk, 0, (unsigned char *)t);
        memcpy(dst, t, 8 * n);
    }
    explicit_bzero(t, sizeof t);
    explicit_bzero(key, sizeof key);
}

/* n uniform words of o's material at its position, advancing it.  While o is in its
** seeded prefix they are the seed's keystream, computed into tmp only when the caller
** wants them (want); after an explicit word they go into the frame as they are, drawn
** from the dealer's generator (a stand-in dealer writes nothing).  The words (host
** order), or NULL when o has no room left (refused at the end). */
static const uint64_t *uniform(SsCtx *ctx, SsOut *o, size_t n, uint64_t *tmp, int want)
{
    if (o->at + n > o->k) { o->at = o->k + 1; return NULL; }
    if (!o->buf) {
        if (want) ss__prg((const unsigned char *)o->seed, o->at, tmp, n);
        o->at += n;
        return tmp;
    }
    uint64_t *room = ss__out_room(o, n);       /* a caller that interleaves: sent as is */
    if (!ss__standin(ctx, ctx->who)) {
        ss__rnd(ctx, tmp, n);
        put_words(room, tmp, n, NULL, 0);
    }
    return tmp;
}

/* Party `to`'s step of the dealer's round: its frame becomes k words of material in
** *got, the seed's keystream then the explicit words (a stand-in receiver only takes
** the frame: its words stay zero). */
static int take_material(SsCtx *ctx, int from, int to, size_t k, uint64_t **got)
{
    SsFrame fr;
    int rc = ss__receive(ctx, from, to, "triple", &fr);
    const void *p = NULL;
    size_t n = 0;
    uint64_t u = 0;
    if (rc == 0 && !wire_get_bin(&fr.r, fr.payload, &p, &n)) rc = ss__fail(ctx, "%s", fr.r.e.msg);
    if (rc == 0 && n >= SS_SEED_HDR) { memcpy(&u, (const uint8_t *)p + SS_SEED_BYTES, 8); u = LE64(u); }
    if (rc == 0 && (n < SS_SEED_HDR || u > k || n != SS_SEED_HDR + 8 * (k - u)))
        rc = ss__fail(ctx, "malformed material from party %d: %zu bytes where a %d-byte seed "
                      "and count then 8 bytes a word of %zu were expected", from, n,
                      SS_SEED_HDR, k);
    if (rc == 0) {
        *got = ss__words(k);
        if (!ss__standin(ctx, to)) {
            const uint8_t *b = p;
            ss__prg(b, 0, *got, (size_t)u);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            if (k > u) memcpy(*got + u, b + SS_SEED_HDR, 8 * (k - u));
#else
            for (size_t e = u; e < k; e++) {
                uint64_t v;
                memcpy(&v, b + SS_SEED_HDR + 8 * (e - u), 8);
                (*got)[e] = LE64(v);
            }
#endif
        }
    }
    ss__frame_free(&fr, 1);                     /* the seed is the material: wiped */
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
        else out_drop(&out[i]);
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
    int fill = !ss__standin(ctx, ctx->who);         /* a stand-in dealer: room only */
    uint64_t tmp[CHUNK];
    for (size_t e = 0; e < len; e += CHUNK) {
        size_t n = len - e < CHUNK ? len - e : CHUNK;
        const uint64_t *r = uniform(ctx, o, n, tmp, fill && acc);
        if (!r) break;
        if (fill && acc) {
            uint64_t *a = acc + e;
            if (xor) for (size_t q = 0; q < n; q++) a[q] ^= r[q];
            else for (size_t q = 0; q < n; q++) a[q] += r[q];
        }
    }
    if (fill) explicit_bzero(tmp, sizeof tmp);
}

void ss__deal_split(SsCtx *ctx, const SsScheme *sc, SsOut *out, const uint64_t *value,
                    size_t len, int xor)
{
    /* out[1..n) uniform (from their seeds while their prefixes last); out[0] = value
    ** minus (or XOR) those words, explicit, a chunk at a time */
    int fill = !ss__standin(ctx, ctx->who);         /* a stand-in dealer: room only */
    uint64_t tmp[CHUNK];
    for (size_t e = 0; e < len; e += CHUNK) {
        size_t n = len - e < CHUNK ? len - e : CHUNK;
        uint64_t *d = ss__out_room(&out[0], n);
        if (d && fill) memcpy(d, value + e, 8 * n);
        for (int i = 1; i < sc->n; i++) {
            const uint64_t *r = uniform(ctx, &out[i], n, tmp, fill);
            if (!d || !r || !fill) continue;        /* refused: fails at the end */
            if (xor) for (size_t q = 0; q < n; q++) d[q] ^= r[q];
            else for (size_t q = 0; q < n; q++) d[q] -= r[q];
        }
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
        if (d && fill) for (size_t q = 0; q < n; q++) d[q] = LE64(d[q]);
#endif
    }
    if (fill) explicit_bzero(tmp, sizeof tmp);
}
