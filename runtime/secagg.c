/*
** secagg.c — the secure aggregation protocol of secagg.h as per-party steps.  A Client
** holds one client's keys, secrets and inbox; the Server holds what the server received;
** each step function takes the run's public parameters (the client roster, t, m, the
** message layer) and ONE party's state, draws from that party's generator, posts frames
** and takes its own inbox.  The run function only sequences the rounds.  Shamir sharing
** over F_p (p = 2^61 - 1) is here too: shares.c's is tied to shared tensors of at most 16
** holders, and a round of secure aggregation has up to SA_MAXN.
*/
#include "secagg.h"
#include "mem.h"
#include "message.h"
#include "wire.h"
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *zalloc(size_t n)
{
    void *p = xcalloc(n ? n : 1, 1);
    return p;
}

/* CPU seconds of this thread: a step's own work, whatever else the machine runs. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Sets r->err (a code, a message) and returns -1. */
static int fail(SaRun *r, RtCode code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(SaRun *r, RtCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err.msg, sizeof r->err.msg, fmt, ap);
    va_end(ap);
    r->err.code = code;
    return -1;
}

/* A party's name for messages (four rotating buffers: a message may name several). */
static const char *nm(const SaRun *r, int id)
{
    static char buf[4][32];
    static int k;
    if (r->name) return r->name(r->u, id);
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "party %d", id);
    return buf[k];
}

/* --- bytes ------------------------------------------------------------------------ */

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static unsigned get16(const uint8_t *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static void put_share(uint8_t *p, const uint64_t *w) { for (int k = 0; k < 4; k++) put64(p + 8 * k, w[k]); }
static void get_share(const uint8_t *p, uint64_t *w) { for (int k = 0; k < 4; k++) w[k] = get64(p + 8 * k); }

/* --- the field F_p, p = 2^61 - 1, and Shamir ------------------------------------- */

static uint64_t fp_red(uint64_t x) { x = (x & SA_P61) + (x >> 61); return x >= SA_P61 ? x - SA_P61 : x; }
static uint64_t fp_add(uint64_t a, uint64_t b) { return fp_red(a + b); }
static uint64_t fp_sub(uint64_t a, uint64_t b) { return fp_red(a + SA_P61 - b); }
static uint64_t fp_mul(uint64_t a, uint64_t b)
{
    unsigned __int128 z = (unsigned __int128)a * b;
    return fp_red(((uint64_t)z & SA_P61) + (uint64_t)(z >> 61));
}
static uint64_t fp_inv(uint64_t a)
{
    uint64_t r = 1, e = SA_P61 - 2;
    for (; e; e >>= 1, a = fp_mul(a, a)) if (e & 1) r = fp_mul(r, a);
    return r;
}
static uint64_t fp_rand(Rng *rng)
{
    for (;;) { uint64_t v = rng_u64(rng) & SA_P61; if (v != SA_P61) return v; }
}

void secagg_shamir_deal(Rng *rng, const uint64_t *s, int k, int deg, int n, uint64_t *out)
{
    uint64_t *c = zalloc((size_t)(deg + 1) * sizeof *c);
    for (int j = 0; j < k; j++) {
        c[0] = fp_red(s[j]);
        for (int d = 1; d <= deg; d++) c[d] = fp_rand(rng);
        for (int i = 0; i < n; i++) {
            uint64_t x = (uint64_t)i + 1, y = c[deg];
            for (int d = deg - 1; d >= 0; d--) y = fp_add(fp_mul(y, x), c[d]);
            out[(size_t)i * (size_t)k + (size_t)j] = y;
        }
    }
    sodium_memzero(c, (size_t)(deg + 1) * sizeof *c);
    free(c);
}

void secagg_shamir_open(const uint64_t *x, const uint64_t *y, int m, int k, uint64_t *s)
{
    uint64_t *lam = zalloc((size_t)m * sizeof *lam);
    for (int i = 0; i < m; i++) {
        uint64_t num = 1, den = 1;
        for (int j = 0; j < m; j++) {
            if (j == i) continue;
            num = fp_mul(num, x[j]);
            den = fp_mul(den, fp_sub(x[j], x[i]));
        }
        lam[i] = fp_mul(num, fp_inv(den));
    }
    for (int j = 0; j < k; j++) {
        uint64_t v = 0;
        for (int i = 0; i < m; i++) v = fp_add(v, fp_mul(lam[i], y[(size_t)i * (size_t)k + (size_t)j]));
        s[j] = v;
    }
    free(lam);
}

/* --- keys and masks ---------------------------------------------------------------- */

/* The mask key pair derived from sigma (four field elements). */
static void mask_keys(const uint64_t *sigma, uint8_t sk[32], uint8_t pk[32])
{
    uint8_t b[32];
    put_share(b, sigma);
    crypto_generichash(sk, 32, b, 32, (const uint8_t *)"secagg mask key ", 16);
    crypto_scalarmult_base(pk, sk);
    sodium_memzero(b, sizeof b);
}

/* The ChaCha20 key of the self-mask PRG(b). */
static void self_key(const uint64_t *b, uint8_t key[32])
{
    uint8_t w[32];
    put_share(w, b);
    crypto_generichash(key, 32, w, 32, (const uint8_t *)"secagg self mask", 16);
    sodium_memzero(w, sizeof w);
}

/* The seed of the pairwise mask of two clients: X25519(sk, pk_other) hashed with both
** public keys (the lower-indexed client's first).  -1 if the other key is degenerate. */
static int pair_key(const uint8_t sk[32], const uint8_t pk_other[32], const uint8_t pk_lo[32],
                    const uint8_t pk_hi[32], uint8_t key[32])
{
    uint8_t in[96];
    if (crypto_scalarmult(in, sk, pk_other) != 0) return -1;
    memcpy(in + 32, pk_lo, 32);
    memcpy(in + 64, pk_hi, 32);
    crypto_generichash(key, 32, in, sizeof in, (const uint8_t *)"secagg pair mask", 16);
    sodium_memzero(in, sizeof in);
    return 0;
}

/* A list of masks to add: ChaCha20 keys (nonce 0) with a sign each. */
typedef struct Masks { uint8_t (*key)[32]; signed char *sign; size_t n, cap; } Masks;

static void masks_push(Masks *k, const uint8_t key[32], int sign)
{
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 16;
        uint8_t (*nk)[32] = zalloc(k->cap * 32);
        signed char *ns = zalloc(k->cap);
        if (k->n) { memcpy(nk, k->key, k->n * 32); memcpy(ns, k->sign, k->n); }
        if (k->key) sodium_memzero(k->key, k->n * 32);
        free(k->key); free(k->sign);
        k->key = nk; k->sign = ns;
    }
    memcpy(k->key[k->n], key, 32);
    k->sign[k->n++] = (signed char)sign;
}

/* acc[0..m) += sum of sign * PRG(key) over the list, as little-endian 32-bit words; a
** piece of acc at a time takes every mask (it stays in cache), then the keys are wiped. */
static void masks_apply(Masks *k, uint32_t *acc, size_t m)
{
    enum { WORDS = 4096 };                      /* 16 KiB: 256 ChaCha20 blocks */
    static const uint8_t nonce[8];
    uint8_t buf[4 * WORDS];
    uint64_t block = 0;
    for (size_t e = 0; e < m; e += WORDS, block += 4 * WORDS / 64) {
        size_t len = m - e < WORDS ? m - e : WORDS;
        uint32_t *a = acc + e;
        for (size_t q = 0; q < k->n; q++) {
            memset(buf, 0, 4 * len);
            crypto_stream_chacha20_xor_ic(buf, buf, 4 * len, nonce, block, k->key[q]);
            if (k->sign[q] > 0)
                for (size_t i = 0; i < len; i++)
                    a[i] += (uint32_t)buf[4 * i] | (uint32_t)buf[4 * i + 1] << 8 |
                            (uint32_t)buf[4 * i + 2] << 16 | (uint32_t)buf[4 * i + 3] << 24;
            else
                for (size_t i = 0; i < len; i++)
                    a[i] -= (uint32_t)buf[4 * i] | (uint32_t)buf[4 * i + 1] << 8 |
                            (uint32_t)buf[4 * i + 2] << 16 | (uint32_t)buf[4 * i + 3] << 24;
        }
    }
    sodium_memzero(buf, sizeof buf);
}

static void masks_free(Masks *k)
{
    if (k->key) sodium_memzero(k->key, k->cap * 32);
    free(k->key); free(k->sign);
    memset(k, 0, sizeof *k);
}

/* The nonce of the box from party `from` to party `to` (each direction of a pair
** encrypts one message under keys that are fresh in every run). */
static void box_nonce(uint8_t nonce[crypto_box_NONCEBYTES], int from, int to)
{
    memset(nonce, 0, crypto_box_NONCEBYTES);
    memcpy(nonce, "secagg", 6);
    put16(nonce + 6, (unsigned)from);
    put16(nonce + 8, (unsigned)to);
}

/* --- frames ------------------------------------------------------------------------ */

/* Records and carries one frame whose payload is the bin body[0..len). */
static int post(SaRun *r, int from, int to, const char *kind, const uint8_t *body, size_t len,
                const char *what)
{
    Msg *m = r->msg;
    uint64_t payload = wire_size_bin(len);
    size_t idx = msg_post(m, from, to, kind, payload, what);
    WireHdr h = { .kind = kind, .from = from, .to = to, .round = m->tr->msgs[idx].round };
    WireW w;
    wire_w_init(&w);
    wire_put_envelope(&w, &h);
    wire_put_bin(&w, body, len);
    size_t flen;
    uint8_t *f = wire_w_take(&w, &flen);
    if (flen != wire_size_envelope(kind) + payload || m->tp->post(m->tp, from, to, f, flen) != 0) {
        free(f);
        return fail(r, RT_EIO, "the %s transport could not carry a %s frame from %s to %s", m->tp->name,
                    kind, nm(r, from), nm(r, to));
    }
    return 0;
}

/* A frame taken from the inbox; body points into it. */
typedef struct In { uint8_t *buf; size_t len; WireR rd; const uint8_t *body; size_t n; } In;

static void in_free(In *in)
{
    xfree_wipe(in->buf, in->len);
    wire_r_free(&in->rd);
    memset(in, 0, sizeof *in);
}

/* Party `to` takes the next frame from `from`: 1 and its bin payload, 0 if none came (the
** sender dropped out), -1 on a malformed frame or one of another kind. */
static int take(SaRun *r, int from, int to, const char *kind, In *in)
{
    memset(in, 0, sizeof *in);
    wire_r_init(&in->rd, nm(r, from));
    if (msg_receive(r->msg, from, to, &in->buf, &in->len) != 0) { in_free(in); return 0; }
    WireHdr h;
    const msgpack_object *p;
    const void *b;
    if (!wire_open_frame(&in->rd, in->buf, in->len, &h, &p) || !wire_get_bin(&in->rd, p, &b, &in->n)) {
        fail(r, RT_EPROTO, "%s", in->rd.e.msg);
        in_free(in);
        return -1;
    }
    if (strcmp(h.kind, kind) != 0 || h.from != from || h.to != to) {
        fail(r, RT_EPROTO, "%s expected a %s message from %s, got a %s message", nm(r, to), kind,
             nm(r, from), h.kind);
        in_free(in);
        return -1;
    }
    in->body = b;
    return 1;
}

/* Is party id's data real in this process (not a stand-in's, interp/replica.c)? */
static bool real(const SaRun *r, int id) { return !r->self || r->self == id; }

static int malformed(SaRun *r, int from, const char *why)
{
    return fail(r, RT_EPROTO, "malformed message from %s: %s", nm(r, from), why);
}

/* The roster index of party id, or -1 (the roster is public: everyone knows it). */
static int idx_of(const SaRun *r, unsigned id)
{
    return id < 65536 ? (int)r->slot_[id] - 1 : -1;
}

/* Stops the protocol when fewer than t clients are left: the message names the missing. */
static int too_few(SaRun *r, const unsigned char *in, int k, const char *round)
{
    char miss[160] = "";
    size_t off = 0;
    int nmiss = 0;
    for (int i = 0; i < r->n; i++) {
        if (in[i]) continue;
        if (nmiss++ < 8 && off < sizeof miss - 40)
            off += (size_t)snprintf(miss + off, sizeof miss - off, "%s%s", off ? ", " : "", nm(r, r->client[i]));
    }
    if (nmiss > 8) snprintf(miss + off, sizeof miss - off, ", ...");
    return fail(r, RT_EPROTO, "secure aggregation stopped in %s: only %d of %d clients are left (%s dropped "
                "out); threshold t = %d needs t of them, so at most n - t = %d dropouts are "
                "possible and n - t + 1 = %d are refused", round, k, r->n, miss, r->t,
                r->n - r->t, r->n - r->t + 1);
}

/* --- one client's state and steps ------------------------------------------------- */

typedef struct Client {
    int i, id;                  /* its roster index (Shamir point i + 1) and party id */
    uint8_t c_pk[32], c_sk[32], s_pk[32], s_sk[32];
    uint64_t sec[8];            /* sigma_u (0..3) and b_u (4..7) */
    uint64_t own[8];            /* its own shares of them */
    unsigned char *in1, *in2, *in3;             /* U1, U2, U3 as it learnt them */
    uint8_t (*cpk)[32], (*spk)[32], (*bk)[32];  /* peers' keys, box keys with them */
    uint8_t (*box)[SA_BOX];                     /* the boxes addressed to it */
    int gone;                   /* dropped out: takes no further step */
} Client;

static void client_init(Client *c, const SaRun *r, int i)
{
    size_t n = (size_t)r->n;
    memset(c, 0, sizeof *c);
    c->i = i; c->id = r->client[i];
    c->in1 = zalloc(n); c->in2 = zalloc(n); c->in3 = zalloc(n);
    c->cpk = zalloc(n * 32); c->spk = zalloc(n * 32); c->bk = zalloc(n * 32);
    c->box = zalloc(n * SA_BOX);
}

static void client_free(Client *c, const SaRun *r)
{
    size_t n = (size_t)r->n;
    sodium_memzero(c->bk, n * 32);
    sodium_memzero(c->box, n * SA_BOX);
    free(c->in1); free(c->in2); free(c->in3);
    free(c->cpk); free(c->spk); free(c->bk); free(c->box);
    sodium_memzero(c, sizeof *c);
}

/* Round 1: fresh key pairs (c for the boxes, s for the masks) and secrets; post the
** public keys. */
static int client_advertise(SaRun *r, Client *c)
{
    Rng *rng = r->rng(r->u, c->id);
    uint8_t seed[32], body[64];
    rng_bytes(rng, seed, sizeof seed);
    crypto_box_seed_keypair(c->c_pk, c->c_sk, seed);
    sodium_memzero(seed, sizeof seed);
    for (int k = 0; k < 8; k++) c->sec[k] = fp_rand(rng);
    mask_keys(c->sec, c->s_sk, c->s_pk);
    memcpy(body, c->c_pk, 32);
    memcpy(body + 32, c->s_pk, 32);
    return post(r, c->id, r->server, "keys", body, sizeof body, "public keys c_u, s_u (X25519)");
}

/* Round 2: read the advertised keys; share sigma_u and b_u among U1 and post each peer's
** shares in a box only that peer can open. */
static int client_share(SaRun *r, Client *c)
{
    In in;
    int got = take(r, r->server, c->id, "keys", &in);
    if (got <= 0) return got < 0 ? -1 : fail(r, RT_EPROTO, "%s received no key list from the server", nm(r, c->id));
    int rc = 0, n1 = 0;
    if (in.n % 66 != 0) rc = malformed(r, r->server, "a key list whose length is not a multiple of 66");
    for (size_t e = 0; rc == 0 && e < in.n; e += 66) {
        int j = idx_of(r, get16(in.body + e));
        if (j < 0 || c->in1[j]) { rc = malformed(r, r->server, "a key list naming a party twice or one not a client"); break; }
        c->in1[j] = 1; n1++;
        memcpy(c->cpk[j], in.body + e + 2, 32);
        memcpy(c->spk[j], in.body + e + 34, 32);
    }
    in_free(&in);
    if (rc) return rc;
    if (real(r, c->id) && (!c->in1[c->i] || memcmp(c->cpk[c->i], c->c_pk, 32) || memcmp(c->spk[c->i], c->s_pk, 32)))
        return malformed(r, r->server, "a key list without the receiver's own keys");
    if (n1 < r->t) return too_few(r, c->in1, n1, "round 2 (share keys)");
    size_t n = (size_t)r->n;
    uint64_t *sh = zalloc(n * 8 * sizeof *sh);
    secagg_shamir_deal(r->rng(r->u, c->id), c->sec, 8, r->t - 1, r->n, sh);
    memcpy(c->own, sh + (size_t)c->i * 8, sizeof c->own);
    uint8_t *body = zalloc((size_t)(n1 - 1) * (2 + SA_BOX)), *o = body;
    uint8_t pt[SA_BOX - 16], nonce[crypto_box_NONCEBYTES];
    for (int j = 0; j < r->n && rc == 0; j++) {
        if (!c->in1[j] || j == c->i) continue;
        if (crypto_box_beforenm(c->bk[j], c->cpk[j], c->c_sk) != 0) {
            rc = fail(r, RT_EPROTO, "%s advertised a degenerate public key", nm(r, r->client[j]));
            break;
        }
        put16(pt, (unsigned)c->id);
        put16(pt + 2, (unsigned)r->client[j]);
        put_share(pt + 4, sh + (size_t)j * 8);
        put_share(pt + 4 + SA_SHARE, sh + (size_t)j * 8 + 4);
        put16(o, (unsigned)r->client[j]);
        if (r->flaw == SA_FLAW_PLAIN_SHARES) {
            memcpy(o + 2, pt, sizeof pt);
            memset(o + 2 + sizeof pt, 0, 16);
        } else {
            box_nonce(nonce, c->id, r->client[j]);
            crypto_box_easy_afternm(o + 2, pt, sizeof pt, nonce, c->bk[j]);
        }
        o += 2 + SA_BOX;
    }
    sodium_memzero(pt, sizeof pt);
    sodium_memzero(sh, n * 8 * sizeof *sh);
    free(sh);
    if (rc == 0) {
        char what[96];
        snprintf(what, sizeof what, "%d encrypted share pairs for other clients (it cannot open them)", n1 - 1);
        rc = post(r, c->id, r->server, "shares", body, (size_t)(o - body), what);
    }
    free(body);
    return rc;
}

/* Encodes client i's input: |round(x * scale)| <= floor((2^31 - 1) / n). */
static int encode(SaRun *r, int i, uint32_t *y)
{
    double scale = r->scale, lim = floor(2147483647.0 / r->n);
    for (size_t e = 0; e < r->m; e++) {
        double v = nearbyint((double)r->x[i][e] * scale);
        if (!(fabs(v) <= lim) && !real(r, r->client[i])) v = 0;     /* a stand-in's junk */
        else if (!(fabs(v) <= lim)) {
            return fail(r, RT_ERANGE, "%s's update: element %zu is %s the bound +-%.6g = (2^31 - 1) / (n * "
                        "scale) that keeps the sum of n = %d clients exact in Z_2^32 (lower "
                        "scale = or scale the update down)", nm(r, r->client[i]), e + 1,
                        isfinite(v) ? "beyond" : "not a finite number, let alone within",
                        lim / scale, r->n);
        }
        y[e] = (uint32_t)(int32_t)(int64_t)v;
    }
    return 0;
}

/* Round 3: read the boxes addressed to it (U2 is their senders and itself); then, unless
** it drops out here, post y = x + PRG(b) + sum of +-PRG(s_{u,v}) over U2. */
static int client_mask(SaRun *r, Client *c)
{
    In in;
    int got = take(r, r->server, c->id, "shares", &in), rc = 0, n2 = 1;
    if (got <= 0) return got < 0 ? -1 : fail(r, RT_EPROTO, "%s received no shares from the server", nm(r, c->id));
    if (in.n % (2 + SA_BOX) != 0) rc = malformed(r, r->server, "a share list of the wrong length");
    for (size_t e = 0; rc == 0 && e < in.n; e += 2 + SA_BOX) {
        int j = idx_of(r, get16(in.body + e));
        if (j < 0 || j == c->i || !c->in1[j] || c->in2[j]) { rc = malformed(r, r->server, "a share list naming a sender twice or out of U1"); break; }
        c->in2[j] = 1; n2++;
        memcpy(c->box[j], in.body + e + 2, SA_BOX);
    }
    in_free(&in);
    c->in2[c->i] = 1;
    if (rc) return rc;
    if (n2 < r->t) return too_few(r, c->in2, n2, "round 3 (masked input)");
    if (r->drop && r->drop[c->i] == SA_DROP_BEFORE) { c->gone = 1; return 0; }
    uint32_t *y = zalloc(r->m * sizeof *y);
    uint8_t key[32];
    Masks mk = { 0 };
    rc = encode(r, c->i, y);
    self_key(c->sec + 4, key);
    masks_push(&mk, key, +1);
    for (int j = 0; j < r->n && rc == 0; j++) {
        if (!c->in2[j] || j == c->i) continue;
        const uint8_t *lo = j < c->i ? c->spk[j] : c->s_pk, *hi = j < c->i ? c->s_pk : c->spk[j];
        if (pair_key(c->s_sk, c->spk[j], lo, hi, key) != 0)
            rc = fail(r, RT_EPROTO, "%s advertised a degenerate public key", nm(r, r->client[j]));
        else
            masks_push(&mk, key, c->i < j ? +1 : -1);
    }
    sodium_memzero(key, sizeof key);
    if (rc == 0) masks_apply(&mk, y, r->m);
    masks_free(&mk);
    if (rc == 0) {
        uint8_t *body = zalloc(4 * r->m);
        for (size_t e = 0; e < r->m; e++) {
            body[4 * e] = (uint8_t)y[e]; body[4 * e + 1] = (uint8_t)(y[e] >> 8);
            body[4 * e + 2] = (uint8_t)(y[e] >> 16); body[4 * e + 3] = (uint8_t)(y[e] >> 24);
        }
        char what[96];
        snprintf(what, sizeof what, "masked vector [%zu] in Z_2^32 (uniform without every mask)", r->m);
        rc = post(r, c->id, r->server, "masked", body, 4 * r->m, what);
        free(body);
    }
    sodium_memzero(y, r->m * sizeof *y);
    free(y);
    return rc;
}

/* Round 4: read U3; answer, for each u in U2, its share of b_u if u sent its masked input
** and of sigma_u if it did not — one kind a client, never both (the double-masking
** rule).  A client that drops out here reads the list and answers nothing. */
static int client_unmask(SaRun *r, Client *c)
{
    In in;
    int got = take(r, r->server, c->id, "survivors", &in), rc = 0, n3 = 0;
    if (got <= 0) return got < 0 ? -1 : fail(r, RT_EPROTO, "%s received no list of survivors", nm(r, c->id));
    if (in.n % 2 != 0) rc = malformed(r, r->server, "a survivor list of odd length");
    for (size_t e = 0; rc == 0 && e < in.n; e += 2) {
        int j = idx_of(r, get16(in.body + e));
        if (j < 0 || !c->in2[j] || c->in3[j]) { rc = malformed(r, r->server, "a survivor list naming a client twice or out of U2"); break; }
        c->in3[j] = 1; n3++;
    }
    in_free(&in);
    if (rc) return rc;
    if (r->drop && r->drop[c->i] == SA_DROP_AFTER) { c->gone = 1; return 0; }
    if (n3 < r->t) return too_few(r, c->in3, n3, "round 4 (unmasking)");
    int both = r->flaw == SA_FLAW_BOTH_SHARES, per = 2 + (both ? 2 : 1) * SA_SHARE;
    int n2 = 0;
    for (int j = 0; j < r->n; j++) n2 += c->in2[j];
    uint8_t *body = zalloc((size_t)n2 * (size_t)per), *o = body;
    uint8_t pt[SA_BOX - 16], nonce[crypto_box_NONCEBYTES];
    int nsk = 0, nb = 0;
    for (int j = 0; j < r->n && rc == 0; j++) {
        if (!c->in2[j]) continue;
        if (j == c->i) {
            put16(pt, (unsigned)c->id); put16(pt + 2, (unsigned)c->id);
            put_share(pt + 4, c->own);
            put_share(pt + 4 + SA_SHARE, c->own + 4);
        } else if (r->flaw == SA_FLAW_PLAIN_SHARES) {
            memcpy(pt, c->box[j], sizeof pt);
        } else {
            box_nonce(nonce, r->client[j], c->id);
            if (crypto_box_open_easy_afternm(pt, c->box[j], SA_BOX, nonce, c->bk[j]) != 0) {
                if (real(r, c->id)) {
                    rc = fail(r, RT_EPROTO, "the shares from %s to %s fail authentication", nm(r, r->client[j]), nm(r, c->id));
                    break;
                }
                memset(pt, 0, sizeof pt);       /* a stand-in: junk in, junk out */
                put16(pt, (unsigned)r->client[j]); put16(pt + 2, (unsigned)c->id);
            }
        }
        if ((int)get16(pt) != r->client[j] || (int)get16(pt + 2) != c->id) {
            rc = fail(r, RT_EPROTO, "the shares from %s to %s name other parties", nm(r, r->client[j]), nm(r, c->id));
            break;
        }
        put16(o, (unsigned)r->client[j]);
        if (both) memcpy(o + 2, pt + 4, 2 * SA_SHARE);
        else if (c->in3[j]) { memcpy(o + 2, pt + 4 + SA_SHARE, SA_SHARE); nb++; }
        else { memcpy(o + 2, pt + 4, SA_SHARE); nsk++; }
        o += per;
    }
    sodium_memzero(pt, sizeof pt);
    if (rc == 0) {
        char what[128];
        snprintf(what, sizeof what, "shares of b_u for %d survivors, of the mask key s_u for %d "
                 "dropped client%s", nb, nsk, nsk == 1 ? "" : "s");
        rc = post(r, c->id, r->server, "unmask", body, (size_t)(o - body), both ? "shares of both secrets (flawed)" : what);
    }
    sodium_memzero(body, (size_t)n2 * (size_t)per);
    free(body);
    return rc;
}

/* --- the server's state and steps --------------------------------------------------- */

typedef struct Server {
    unsigned char *u1, *u2, *u3, *u5;   /* who was heard from in rounds 1..4 */
    uint8_t (*keys)[64];                /* c^PK || s^PK as advertised */
    uint8_t *fwd;                       /* the box from i to j at (i n + j) * SA_BOX */
    unsigned char *has;                 /* has[i n + j]: that box arrived */
    uint32_t *sum;                      /* the masked inputs added up */
    uint64_t *sh;                       /* round 4: responder v's share about u at (v n + u) * 4 */
    int n1, n2, n3, n5;
} Server;

static void server_init(Server *s, const SaRun *r)
{
    size_t n = (size_t)r->n;
    memset(s, 0, sizeof *s);
    s->u1 = zalloc(n); s->u2 = zalloc(n); s->u3 = zalloc(n); s->u5 = zalloc(n);
    s->keys = zalloc(n * 64);
    s->fwd = zalloc(n * n * SA_BOX);
    s->has = zalloc(n * n);
    s->sum = zalloc(r->m * sizeof *s->sum);
    s->sh = zalloc(n * n * 4 * sizeof *s->sh);
}

static void server_free(Server *s, const SaRun *r)
{
    size_t n = (size_t)r->n;
    sodium_memzero(s->sh, n * n * 4 * sizeof *s->sh);
    sodium_memzero(s->sum, r->m * sizeof *s->sum);
    free(s->u1); free(s->u2); free(s->u3); free(s->u5); free(s->keys);
    free(s->fwd); free(s->has); free(s->sum); free(s->sh);
    memset(s, 0, sizeof *s);
}

/* After round 1: the clients heard from are U1; send each of them every key. */
static int server_keys(SaRun *r, Server *s)
{
    for (int i = 0; i < r->n; i++) {
        In in;
        int got = take(r, r->client[i], r->server, "keys", &in);
        if (got < 0) return -1;
        if (!got) continue;
        if (in.n != 64) { in_free(&in); return malformed(r, r->client[i], "public keys of the wrong length"); }
        memcpy(s->keys[i], in.body, 64);
        s->u1[i] = 1; s->n1++;
        in_free(&in);
    }
    if (s->n1 < r->t) return too_few(r, s->u1, s->n1, "round 1 (advertise keys)");
    msg_round(r->msg);
    uint8_t *body = zalloc((size_t)s->n1 * 66), *o = body;
    for (int i = 0; i < r->n; i++) {
        if (!s->u1[i]) continue;
        put16(o, (unsigned)r->client[i]);
        memcpy(o + 2, s->keys[i], 64);
        o += 66;
    }
    char what[64];
    snprintf(what, sizeof what, "public keys of %d clients", s->n1);
    int rc = 0;
    for (int i = 0; i < r->n && rc == 0; i++)
        if (s->u1[i]) rc = post(r, r->server, r->client[i], "keys", body, (size_t)(o - body), what);
    free(body);
    return rc;
}

/* After round 2: U2 sent share boxes; forward to each member of U2 the boxes addressed
** to it (it cannot open them). */
static int server_relay(SaRun *r, Server *s)
{
    size_t n = (size_t)r->n;
    for (int i = 0; i < r->n; i++) {
        if (!s->u1[i]) continue;
        In in;
        int got = take(r, r->client[i], r->server, "shares", &in), rc = 0;
        if (got < 0) return -1;
        if (!got) continue;
        if (in.n != (size_t)(s->n1 - 1) * (2 + SA_BOX)) rc = malformed(r, r->client[i], "a share list of the wrong length");
        for (size_t e = 0; rc == 0 && e < in.n; e += 2 + SA_BOX) {
            int j = idx_of(r, get16(in.body + e));
            if (j < 0 || j == i || !s->u1[j] || s->has[(size_t)i * n + (size_t)j]) { rc = malformed(r, r->client[i], "shares for a party twice or out of U1"); break; }
            s->has[(size_t)i * n + (size_t)j] = 1;
            memcpy(s->fwd + ((size_t)i * n + (size_t)j) * SA_BOX, in.body + e + 2, SA_BOX);
        }
        in_free(&in);
        if (rc) return rc;
        s->u2[i] = 1; s->n2++;
    }
    if (s->n2 < r->t) return too_few(r, s->u2, s->n2, "round 2 (share keys)");
    msg_round(r->msg);
    uint8_t *body = zalloc((size_t)s->n2 * (2 + SA_BOX));
    int rc = 0;
    for (int j = 0; j < r->n && rc == 0; j++) {
        if (!s->u2[j]) continue;
        uint8_t *o = body;
        for (int i = 0; i < r->n; i++) {
            if (!s->u2[i] || i == j) continue;
            put16(o, (unsigned)r->client[i]);
            memcpy(o + 2, s->fwd + ((size_t)i * n + (size_t)j) * SA_BOX, SA_BOX);
            o += 2 + SA_BOX;
        }
        char what[96];
        snprintf(what, sizeof what, "%d encrypted share pairs from other clients", s->n2 - 1);
        rc = post(r, r->server, r->client[j], "shares", body, (size_t)(o - body), what);
    }
    free(body);
    return rc;
}

/* After round 3: add up the masked inputs of U3; tell U3 who they are. */
static int server_collect(SaRun *r, Server *s)
{
    for (int i = 0; i < r->n; i++) {
        if (!s->u2[i]) continue;
        In in;
        int got = take(r, r->client[i], r->server, "masked", &in);
        if (got < 0) return -1;
        if (!got) continue;
        if (in.n != 4 * r->m) { in_free(&in); return malformed(r, r->client[i], "a masked vector of the wrong length"); }
        const uint8_t *b = in.body;
        for (size_t e = 0; e < r->m; e++)
            s->sum[e] += (uint32_t)b[4 * e] | (uint32_t)b[4 * e + 1] << 8 |
                         (uint32_t)b[4 * e + 2] << 16 | (uint32_t)b[4 * e + 3] << 24;
        in_free(&in);
        s->u3[i] = 1; s->n3++;
    }
    if (s->n3 < r->t) return too_few(r, s->u3, s->n3, "round 3 (masked input)");
    msg_round(r->msg);
    uint8_t *body = zalloc((size_t)s->n3 * 2), *o = body;
    for (int i = 0; i < r->n; i++) if (s->u3[i]) { put16(o, (unsigned)r->client[i]); o += 2; }
    char what[64];
    snprintf(what, sizeof what, "the %d clients that sent a masked input", s->n3);
    int rc = 0;
    for (int i = 0; i < r->n && rc == 0; i++)
        if (s->u3[i]) rc = post(r, r->server, r->client[i], "survivors", body, (size_t)(o - body), what);
    free(body);
    return rc;
}

/* After round 4: from t responders' shares, rebuild b_u (u in U3) and the mask key of
** each u in U2 \ U3; strip the self-masks and the dropped clients' pairwise masks. */
static int server_unmask(SaRun *r, Server *s, double *out)
{
    size_t n = (size_t)r->n;
    int per = 2 + (r->flaw == SA_FLAW_BOTH_SHARES ? 2 : 1) * SA_SHARE;
    for (int v = 0; v < r->n; v++) {
        if (!s->u3[v]) continue;
        In in;
        int got = take(r, r->client[v], r->server, "unmask", &in), rc = 0;
        if (got < 0) return -1;
        if (!got) continue;
        if (in.n != (size_t)s->n2 * (size_t)per) rc = malformed(r, r->client[v], "an unmasking list of the wrong length");
        unsigned char *seen = zalloc(n);
        for (size_t e = 0; rc == 0 && e < in.n; e += (size_t)per) {
            int u = idx_of(r, get16(in.body + e));
            if (u < 0 || !s->u2[u] || seen[u]) { rc = malformed(r, r->client[v], "shares about a client twice or out of U2"); break; }
            seen[u] = 1;
            /* the kind the server asked for; with both kinds (the flaw) b follows sigma */
            const uint8_t *p = in.body + e + 2 + (per > 2 + SA_SHARE && s->u3[u] ? SA_SHARE : 0);
            get_share(p, s->sh + ((size_t)v * n + (size_t)u) * 4);
        }
        free(seen);
        in_free(&in);
        if (rc) return rc;
        s->u5[v] = 1; s->n5++;
    }
    if (s->n5 < r->t) return too_few(r, s->u5, s->n5, "round 4 (unmasking)");
    /* the first t responders' shares */
    int t = r->t, rc = 0;
    uint64_t *x = zalloc((size_t)t * sizeof *x), *y = zalloc((size_t)t * 4 * sizeof *y), sec[4];
    int *resp = zalloc((size_t)t * sizeof *resp);
    for (int v = 0, k = 0; v < r->n && k < t; v++)
        if (s->u5[v]) { resp[k] = v; x[k] = (uint64_t)v + 1; k++; }
    uint8_t key[32], sk[32], pk[32];
    Masks mk = { 0 };
    for (int u = 0; u < r->n && rc == 0; u++) {
        if (!s->u2[u]) continue;
        for (int k = 0; k < t; k++) memcpy(y + 4 * k, s->sh + ((size_t)resp[k] * n + (size_t)u) * 4, 4 * sizeof *y);
        secagg_shamir_open(x, y, t, 4, sec);
        if (s->u3[u]) {                         /* it sent y_u: remove its self-mask */
            self_key(sec, key);
            masks_push(&mk, key, -1);
            continue;
        }
        mask_keys(sec, sk, pk);                 /* it dropped: remove its pairwise masks */
        if (real(r, r->server) && memcmp(pk, s->keys[u] + 32, 32) != 0) {
            rc = fail(r, RT_EPROTO, "the shares of %s's mask key do not rebuild the key it advertised", nm(r, r->client[u]));
            break;
        }
        for (int v = 0; v < r->n && rc == 0; v++) {
            if (!s->u3[v]) continue;
            const uint8_t *lo = v < u ? s->keys[v] + 32 : pk, *hi = v < u ? pk : s->keys[v] + 32;
            if (pair_key(sk, s->keys[v] + 32, lo, hi, key) != 0 && real(r, r->server))
                rc = fail(r, RT_EPROTO, "%s advertised a degenerate public key", nm(r, r->client[v]));
            else
                masks_push(&mk, key, v < u ? -1 : +1);
        }
    }
    if (rc == 0) masks_apply(&mk, s->sum, r->m);
    masks_free(&mk);
    sodium_memzero(key, sizeof key); sodium_memzero(sk, sizeof sk); sodium_memzero(sec, sizeof sec);
    sodium_memzero(y, (size_t)t * 4 * sizeof *y);
    free(x); free(y); free(resp);
    if (rc == 0)
        for (size_t e = 0; e < r->m; e++) out[e] = (double)(int32_t)s->sum[e] / r->scale;
    return rc;
}

/* --- the run ------------------------------------------------------------------------- */

double secagg_bound(int n, double scale)
{
    return n > 0 && scale > 0 ? floor(2147483647.0 / n) / scale : 0;
}

int secagg_check(SaRun *r)
{
    rt_err_clear(&r->err);
    if (!r->msg || !r->rng || (!r->x && r->m)) return fail(r, RT_EINVAL, "secure aggregation needs a message layer, generators and inputs");
    if (r->scale == 0) r->scale = SA_DEFAULT_SCALE;
    if (!(r->scale > 0) || !isfinite(r->scale) || r->scale > 0x1p30)
        return fail(r, RT_EINVAL, "the fixed-point scale must be positive and at most 2^30, got %g", r->scale);
    if (r->n < 2) return fail(r, RT_EINVAL, "secure aggregation needs at least 2 clients, got %d", r->n);
    if (r->n > SA_MAXN) return fail(r, RT_EINVAL, "secure aggregation takes at most %d clients, got %d", SA_MAXN, r->n);
    if (r->t > r->n)
        return fail(r, RT_EINVAL, "threshold t = %d is more than the %d clients: t shares must be able to "
                    "come back (n/2 < t <= n)", r->t, r->n);
    if (2 * r->t <= r->n)
        return fail(r, RT_EINVAL, "threshold t = %d is not above n/2 = %g: the semi-honest protocol needs "
                    "n/2 < t <= n, so that two groups of t clients always overlap (see "
                    "docs/secagg.md)", r->t, r->n / 2.0);
    if (r->m < 1 || r->m > SA_MAXM)
        return fail(r, RT_EINVAL, "each update must have between 1 and %u values, got %zu", SA_MAXM, r->m);
    if (r->server <= 0 || r->server > 65535) return fail(r, RT_EINVAL, "the server is not a party");
    for (int i = 0; i < r->n; i++) {
        if (r->client[i] <= 0 || r->client[i] > 65535) return fail(r, RT_EINVAL, "client #%d is not a party", i + 1);
        if (r->client[i] == r->server)
            return fail(r, RT_EINVAL, "%s is the server and cannot also be a client", nm(r, r->server));
        for (int j = 0; j < i; j++)
            if (r->client[j] == r->client[i])
                return fail(r, RT_EINVAL, "%s appears twice among the clients (each update must come from a "
                            "different party)", nm(r, r->client[i]));
        if (r->drop && r->drop[i] > SA_DROP_AFTER) return fail(r, RT_EINVAL, "bad dropout mode for %s", nm(r, r->client[i]));
    }
    /* each client checks its own input against the public bound before taking part */
    uint32_t *y = zalloc(r->m * sizeof *y);
    int rc = 0;
    for (int i = 0; i < r->n && rc == 0; i++) rc = encode(r, i, y);
    sodium_memzero(y, r->m * sizeof *y);
    free(y);
    return rc;
}

/* After a failure: the frames of this run still in flight are dropped (the network loses
** them), so that no later protocol between these parties reads them. */
static void drain(SaRun *r)
{
    uint8_t *buf;
    size_t len;
    for (int i = 0; i < r->n; i++) {
        while (msg_receive(r->msg, r->client[i], r->server, &buf, &len) == 0) xfree_wipe(buf, len);
        while (msg_receive(r->msg, r->server, r->client[i], &buf, &len) == 0) xfree_wipe(buf, len);
    }
}

/* Ctrl-C between two steps stops the run (its frames stay unread in the transport). */
static int stop(SaRun *r)
{
    return r->interrupt && *r->interrupt ? fail(r, RT_EINTR, "interrupted") : 0;
}

int secagg_run(SaRun *r, double *out)
{
    if (sodium_init() < 0) return fail(r, RT_EIO, "libsodium could not be initialised");
    memset(r->client_s, 0, sizeof r->client_s);
    memset(r->server_s, 0, sizeof r->server_s);
    memset(r->heard, 0, sizeof r->heard);
    if (secagg_check(r)) return -1;
    r->slot_ = zalloc(65536 * sizeof *r->slot_);
    for (int i = 0; i < r->n; i++) r->slot_[r->client[i]] = (unsigned short)(i + 1);
    Client *c = zalloc((size_t)r->n * sizeof *c);
    for (int i = 0; i < r->n; i++) client_init(&c[i], r, i);
    Server s;
    server_init(&s, r);
    int rc = 0;
    double t0;
    /* 1: advertise keys */
    msg_round(r->msg);
    for (int i = 0; i < r->n && rc == 0; i++) { t0 = now(); rc = stop(r) ? -1 : client_advertise(r, &c[i]); r->client_s[0] += now() - t0; }
    if (rc == 0) { t0 = now(); rc = server_keys(r, &s); r->server_s[0] += now() - t0; }
    /* 2: share keys */
    if (rc == 0) msg_round(r->msg);
    for (int i = 0; i < r->n && rc == 0; i++) { t0 = now(); rc = stop(r) ? -1 : client_share(r, &c[i]); r->client_s[1] += now() - t0; }
    if (rc == 0) { t0 = now(); rc = server_relay(r, &s); r->server_s[1] += now() - t0; }
    /* 3: masked input */
    if (rc == 0) msg_round(r->msg);
    for (int i = 0; i < r->n && rc == 0; i++)
        if (!c[i].gone) { t0 = now(); rc = stop(r) ? -1 : client_mask(r, &c[i]); r->client_s[2] += now() - t0; }
    if (rc == 0) { t0 = now(); rc = server_collect(r, &s); r->server_s[2] += now() - t0; }
    /* 4: unmasking */
    if (rc == 0) msg_round(r->msg);
    for (int i = 0; i < r->n && rc == 0; i++)
        if (!c[i].gone) { t0 = now(); rc = stop(r) ? -1 : client_unmask(r, &c[i]); r->client_s[3] += now() - t0; }
    if (rc == 0) { t0 = now(); rc = server_unmask(r, &s, out); r->server_s[3] += now() - t0; }
    if (rc) drain(r);
    r->heard[0] = s.n1; r->heard[1] = s.n2; r->heard[2] = s.n3; r->heard[3] = s.n5;
    for (int i = 0; i < r->n; i++) client_free(&c[i], r);
    free(c);
    server_free(&s, r);
    free(r->slot_);
    r->slot_ = NULL;
    return rc;
}
