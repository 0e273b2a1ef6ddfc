/*
** test_rt_secagg.c — secure aggregation (runtime/secagg.c) tested from the server's seat.
** A capturing transport keeps a copy of every frame; the attacker decodes what reached
** the server with the formats secagg.h documents and, re-implementing the key derivation
** and the masks from that description with libsodium, tries to unmask single clients:
** it must fail on the protocol (what is left is uniform) and succeed on the deliberately
** broken variants (shares of both secrets in round 4; shares unencrypted in round 2),
** which shows the attack has teeth.  Then: the sum equals the plain sum with 0, 1 and
** n - t dropouts of either kind and n - t + 1 are refused; the double-masking rule in
** the server's inbox; byte counts equal the paper's formula plus our framing; Shamir
** against its definition; bad parameters refused.
*/
#include "tu.h"
#include "secagg.h"
#include "message.h"
#include "wire.h"
#include "capture.h"
#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* --- a layer that keeps every frame (capture.h) ----------------------------------- */

enum { SERVER = 1, MAXC = 40 };     /* the server's party id; most clients in a test */

/* Flips the last byte of the nth frame the server sends to party `to` (a bit flipped in
** transit), when set. */
typedef struct Flip { int to, nth, seen; } Flip;

static void flip_in_transit(Capture *c, int from, int to, uint8_t *buf, size_t *len, void *ctx)
{
    Flip *f = ctx;
    (void)c;
    if (f->to && from == SERVER && to == f->to && ++f->seen == f->nth) buf[*len - 1] ^= 1;
}

/* One run: server = party 1, clients 2..n+1, inputs of integer multiples of 1/64. */
typedef struct World {
    Tr tr; Msg msg; Capture *cap; Flip flip;
    Rng rng[MAXC + 2];
    int client[MAXC];
    float *x[MAXC];
    unsigned char drop[MAXC];
    SaRun r;
    double *out;
} World;

static Rng *party_rng(void *u, int party) { return &((World *)u)->rng[party]; }

static void world_init(World *w, int n, int t, size_t m, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    tr_init(&w->tr);
    w->cap = capture_new();
    w->cap->tamper = flip_in_transit;
    w->cap->tamper_ctx = &w->flip;
    msg_init(&w->msg, &w->tr, &w->cap->t);
    for (int p = 0; p < MAXC + 2; p++) rng_seed(&w->rng[p], seed * 1000 + (uint64_t)p);
    Rng data;
    rng_seed(&data, seed + 77);
    for (int i = 0; i < n; i++) {
        w->client[i] = i + 2;
        w->x[i] = malloc(m * sizeof *w->x[i]);
        for (size_t e = 0; e < m; e++) w->x[i][e] = (float)((double)rng_below(&data, 20001) - 10000) / 64;
    }
    w->out = calloc(m, sizeof *w->out);
    w->r = (SaRun){ .msg = &w->msg, .server = SERVER, .n = n, .client = w->client, .t = t,
                    .m = m, .x = (const float *const *)w->x, .drop = w->drop, .rng = party_rng, .u = w };
}

static void world_free(World *w)
{
    for (int i = 0; i < w->r.n; i++) free(w->x[i]);
    free(w->out);
    msg_free(&w->msg);
    tr_free(&w->tr);
}

/* The plain sum of the inputs that count: every client that sent its masked input. */
static int sum_is_exact(const World *w)
{
    for (size_t e = 0; e < w->r.m; e++) {
        double s = 0;
        for (int i = 0; i < w->r.n; i++) if (w->drop[i] != SA_DROP_BEFORE) s += w->x[i][e];
        if (s != w->out[e]) return 0;
    }
    return 1;
}

/* --- the attacker: the server's inbox, decoded from the documented formats --------- */

/* The payload (bin) of captured frame k, and its kind. */
static const uint8_t *payload(const World *w, int k, const char **kind, size_t *n, WireR *rd)
{
    WireHdr h;
    const msgpack_object *p;
    const void *b;
    wire_r_init(rd, "test");
    CU_ASSERT_FATAL(wire_open_frame(rd, w->cap->buf[k], w->cap->len[k], &h, &p));
    CU_ASSERT_FATAL(wire_get_bin(rd, p, &b, n));
    *kind = h.kind;
    return b;
}

static unsigned g16(const uint8_t *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }
static uint64_t g64(const uint8_t *p) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = v << 8 | p[i]; return v; }

/* secagg.h's derivations, written again from the description */
static void derive_mask_keys(const uint64_t *sigma, uint8_t sk[32], uint8_t pk[32])
{
    uint8_t b[32];
    for (int k = 0; k < 4; k++) for (int i = 0; i < 8; i++) b[8 * k + i] = (uint8_t)(sigma[k] >> (8 * i));
    crypto_generichash(sk, 32, b, 32, (const uint8_t *)"secagg mask key ", 16);
    crypto_scalarmult_base(pk, sk);
}

static void derive_self_key(const uint64_t *b, uint8_t key[32])
{
    uint8_t w[32];
    for (int k = 0; k < 4; k++) for (int i = 0; i < 8; i++) w[8 * k + i] = (uint8_t)(b[k] >> (8 * i));
    crypto_generichash(key, 32, w, 32, (const uint8_t *)"secagg self mask", 16);
}

static void mask_sub(uint32_t *y, size_t m, const uint8_t key[32], int sign)
{
    uint8_t *s = calloc(m, 4);
    static const uint8_t nonce[8];
    crypto_stream_chacha20(s, 4 * m, nonce, key);
    for (size_t e = 0; e < m; e++) {
        uint32_t v = (uint32_t)s[4 * e] | (uint32_t)s[4 * e + 1] << 8 | (uint32_t)s[4 * e + 2] << 16 | (uint32_t)s[4 * e + 3] << 24;
        y[e] -= sign > 0 ? v : -v;
    }
    free(s);
}

/* Everything the server received, arranged. */
typedef struct Inbox {
    int n;
    uint8_t spk[MAXC][32];
    int sent_y[MAXC];
    uint32_t *y[MAXC];
    /* round 2 boxes: box[u][v] from u for v (84 bytes), as forwarded */
    uint8_t box[MAXC][MAXC][SA_BOX]; int has_box[MAXC][MAXC];
    /* round 4: shares[v][u] (one or two 32-byte shares) */
    uint8_t sh[MAXC][MAXC][2 * SA_SHARE]; int nsh[MAXC][MAXC];
} Inbox;

static Inbox *inbox_of(const World *w)
{
    Inbox *ib = calloc(1, sizeof *ib);
    ib->n = w->r.n;
    for (int k = 0; k < w->cap->n; k++) {
        if (w->cap->to[k] != SERVER) continue;
        int u = w->cap->from[k] - 2;
        const char *kind; size_t n; WireR rd;
        const uint8_t *b = payload(w, k, &kind, &n, &rd);
        if (!strcmp(kind, "keys")) memcpy(ib->spk[u], b + 32, 32);
        else if (!strcmp(kind, "shares"))
            for (size_t e = 0; e + 2 + SA_BOX <= n; e += 2 + SA_BOX) {
                int v = (int)g16(b + e) - 2;
                memcpy(ib->box[u][v], b + e + 2, SA_BOX);
                ib->has_box[u][v] = 1;
            }
        else if (!strcmp(kind, "masked")) {
            ib->sent_y[u] = 1;
            ib->y[u] = malloc(n);
            for (size_t e = 0; e < n / 4; e++)
                ib->y[u][e] = (uint32_t)b[4 * e] | (uint32_t)b[4 * e + 1] << 8 | (uint32_t)b[4 * e + 2] << 16 | (uint32_t)b[4 * e + 3] << 24;
        } else if (!strcmp(kind, "unmask")) {
            size_t per = n / (size_t)ib->n;     /* every client of U2 (all here) */
            for (size_t e = 0; e + per <= n; e += per) {
                int about = (int)g16(b + e) - 2;
                memcpy(ib->sh[u][about], b + e + 2, per - 2);
                ib->nsh[u][about] = (int)(per - 2) / SA_SHARE;
            }
        }
        wire_r_free(&rd);
    }
    return ib;
}

static void inbox_free(Inbox *ib) { for (int i = 0; i < MAXC; i++) free(ib->y[i]); free(ib); }

/* Reconstructs a secret about client u from the 32-byte shares at offset `off` of the
** holders' material; src 0: the round-4 shares, 1: the round-2 boxes read as plaintext
** (bytes 4.. of the box).  False when fewer than t holders gave one. */
static int rebuild(const World *w, const Inbox *ib, int u, int src, int off, uint64_t *sec)
{
    uint64_t x[MAXC], y[MAXC * 4];
    int k = 0;
    for (int v = 0; v < ib->n && k < w->r.t; v++) {
        const uint8_t *p = NULL;
        if (src == 0 && ib->nsh[v][u] * SA_SHARE >= off + SA_SHARE) p = ib->sh[v][u] + off;
        if (src == 1 && ib->has_box[u][v]) p = ib->box[u][v] + 4 + off;
        if (!p) continue;
        x[k] = (uint64_t)v + 1;
        for (int j = 0; j < 4; j++) y[4 * k + j] = g64(p + 8 * j) & SA_P61;
        k++;
    }
    if (k < w->r.t) return 0;
    secagg_shamir_open(x, y, k, 4, sec);
    return 1;
}

/* The attack on client u: every candidate mask key and self-mask seed the server can
** rebuild from what it holds; with a mask key that matches u's advertised one, strip
** u's pairwise masks; with each candidate seed, strip a self-mask.  Returns 1 when some
** attempt yields u's encoded input exactly; *resid gets the best attempt's residual
** (y minus what could be stripped, minus the true input) for a uniformity check. */
static int attack(const World *w, const Inbox *ib, int u, uint32_t *resid)
{
    size_t m = w->r.m;
    uint8_t sk[32], pk[32];
    uint64_t sec[4];
    int have_sk = 0;
    for (int src = 0; src < 2 && !have_sk; src++)
        for (int off = 0; off <= SA_SHARE && !have_sk; off += SA_SHARE)
            if (rebuild(w, ib, u, src, off, sec)) {
                derive_mask_keys(sec, sk, pk);
                have_sk = !memcmp(pk, ib->spk[u], 32);
            }
    uint32_t *z = malloc(m * sizeof *z);
    int won = 0;
    for (int src = 0; src < 2 && !won; src++)
        for (int off = 0; off <= SA_SHARE && !won; off += SA_SHARE) {
            memcpy(z, ib->y[u], m * sizeof *z);
            if (have_sk)
                for (int v = 0; v < ib->n; v++) {
                    if (v == u || !ib->has_box[v][u]) continue;     /* v in U2 */
                    uint8_t in[96], key[32];
                    CU_ASSERT_FATAL(crypto_scalarmult(in, sk, ib->spk[v]) == 0);
                    memcpy(in + 32, v < u ? ib->spk[v] : pk, 32);
                    memcpy(in + 64, v < u ? pk : ib->spk[v], 32);
                    crypto_generichash(key, 32, in, 96, (const uint8_t *)"secagg pair mask", 16);
                    mask_sub(z, m, key, u < v ? +1 : -1);
                }
            if (rebuild(w, ib, u, src, off, sec)) {
                uint8_t key[32];
                derive_self_key(sec, key);
                mask_sub(z, m, key, +1);
            }
            int hit = 1;
            for (size_t e = 0; e < m; e++) {
                uint32_t want = (uint32_t)(int32_t)lrint((double)w->x[u][e] * 65536);
                resid[e] = z[e] - want;
                if (z[e] != want) hit = 0;
            }
            won = hit;
        }
    free(z);
    return won;
}

/* The residual looks uniform: each of 32 bit positions set in 50% +- 5 sigma. */
static int uniform(const uint32_t *v, size_t m)
{
    for (int b = 0; b < 32; b++) {
        size_t ones = 0;
        for (size_t e = 0; e < m; e++) ones += v[e] >> b & 1;
        double sd = sqrt((double)m) / 2;
        if (fabs((double)ones - (double)m / 2) > 5 * sd) return 0;
    }
    return 1;
}

/* Runs n = 9, t = 6 with two clients dropping after masking and one before, and attacks
** every client that sent y: returns how many the attack unmasked. */
static int attack_run(SaFlaw flaw, int *uniform_all)
{
    World w;
    world_init(&w, 9, 6, 2048, 11);
    w.drop[2] = SA_DROP_AFTER; w.drop[6] = SA_DROP_AFTER; w.drop[4] = SA_DROP_BEFORE;
    w.r.flaw = flaw;
    CU_ASSERT_EQUAL_FATAL(secagg_run(&w.r, w.out), 0);
    CU_ASSERT(sum_is_exact(&w));
    Inbox *ib = inbox_of(&w);
    uint32_t *resid = malloc(w.r.m * sizeof *resid);
    int won = 0;
    *uniform_all = 1;
    for (int u = 0; u < w.r.n; u++) {
        if (!ib->sent_y[u]) continue;
        won += attack(&w, ib, u, resid);
        if (!uniform(resid, w.r.m)) *uniform_all = 0;
        if (!uniform(ib->y[u], w.r.m)) *uniform_all = 0;        /* y itself is masked */
    }
    free(resid);
    inbox_free(ib);
    world_free(&w);
    return won;
}

/* The variant under test: the protocol.  Building this file with
** -DUNDER_TEST=SA_FLAW_BOTH_SHARES (or SA_FLAW_PLAIN_SHARES) runs the same assertions
** against a broken variant, and they fail. */
#ifndef UNDER_TEST
#define UNDER_TEST SA_SOUND
#endif

static void server_cannot_unmask_anyone(void)
{
    int uni;
    CU_ASSERT_EQUAL(attack_run(UNDER_TEST, &uni), 0);
    CU_ASSERT(uni);
}

/* The attack has teeth: each broken variant gives every sender's input away. */
static void attack_catches_broken_variants(void)
{
    int uni;
    CU_ASSERT_EQUAL(attack_run(SA_FLAW_BOTH_SHARES, &uni), 8);
    CU_ASSERT_EQUAL(attack_run(SA_FLAW_PLAIN_SHARES, &uni), 8);
    CU_ASSERT(!uni);
}

/* The double-masking rule in the server's inbox: one share per (holder, client), and it
** rebuilds the mask key exactly for the clients that did not send y. */
static void double_masking_rule(void)
{
    World w;
    world_init(&w, 8, 5, 64, 5);
    w.drop[1] = SA_DROP_BEFORE; w.drop[5] = SA_DROP_BEFORE; w.drop[3] = SA_DROP_AFTER;
    CU_ASSERT_EQUAL_FATAL(secagg_run(&w.r, w.out), 0);
    CU_ASSERT(sum_is_exact(&w));
    Inbox *ib = inbox_of(&w);
    int responders = 0;
    for (int v = 0; v < w.r.n; v++) {
        int any = 0;
        for (int u = 0; u < w.r.n; u++) {
            if (!ib->nsh[v][u]) continue;
            any = 1;
            CU_ASSERT_EQUAL(ib->nsh[v][u], 1);
        }
        responders += any;
    }
    CU_ASSERT_EQUAL(responders, 5);                 /* 8 - 2 before - 1 after */
    for (int u = 0; u < w.r.n; u++) {
        uint64_t sec[4];
        uint8_t sk[32], pk[32];
        CU_ASSERT_FATAL(rebuild(&w, ib, u, 0, 0, sec));
        derive_mask_keys(sec, sk, pk);
        /* the mask key comes back for a dropped client (its pairwise masks are removed),
        ** never for one that sent y (whose self-mask seed is what the shares rebuild) */
        CU_ASSERT_EQUAL(!memcmp(pk, ib->spk[u], 32), w.drop[u] == SA_DROP_BEFORE);
    }
    inbox_free(ib);
    world_free(&w);
}

/* --- correctness ----------------------------------------------------------------- */

static int run_with(int n, int t, size_t m, int before, int after, uint64_t seed, char *err)
{
    World w;
    world_init(&w, n, t, m, seed);
    for (int i = 0; i < before; i++) w.drop[i] = SA_DROP_BEFORE;
    for (int i = 0; i < after; i++) w.drop[n - 1 - i] = SA_DROP_AFTER;
    int rc = secagg_run(&w.r, w.out);
    if (rc == 0) { CU_ASSERT(sum_is_exact(&w)); CU_ASSERT_EQUAL(tr_rounds(&w.tr), 7); }
    /* every frame was taken, or dropped after a failure: nothing is left in flight */
    for (int i = 0; i < n; i++) {
        uint8_t *b; size_t len;
        int got = msg_receive(&w.msg, w.client[i], SERVER, &b, &len);
        CU_ASSERT_EQUAL(got, -1);
        if (got == 0) free(b);
        got = msg_receive(&w.msg, SERVER, w.client[i], &b, &len);
        CU_ASSERT_EQUAL(got, -1);
        if (got == 0) free(b);
    }
    if (err) snprintf(err, RT_ERRLEN, "%s", w.r.err.msg);
    world_free(&w);
    return rc;
}

static void sum_with_dropouts(void)
{
    CU_ASSERT_EQUAL(run_with(10, 6, 300, 0, 0, 1, NULL), 0);
    CU_ASSERT_EQUAL(run_with(10, 6, 300, 1, 0, 2, NULL), 0);
    CU_ASSERT_EQUAL(run_with(10, 6, 300, 0, 1, 3, NULL), 0);
    CU_ASSERT_EQUAL(run_with(10, 6, 300, 4, 0, 4, NULL), 0);     /* n - t */
    CU_ASSERT_EQUAL(run_with(10, 6, 300, 0, 4, 5, NULL), 0);
    CU_ASSERT_EQUAL(run_with(10, 6, 300, 2, 2, 6, NULL), 0);
    CU_ASSERT_EQUAL(run_with(3, 2, 5000, 1, 0, 7, NULL), 0);     /* m > one PRG chunk */
    CU_ASSERT_EQUAL(run_with(31, 16, 10, 7, 8, 8, NULL), 0);
}

static void too_many_dropouts_refused(void)
{
    char err[RT_ERRLEN];
    CU_ASSERT_EQUAL(run_with(10, 6, 50, 0, 5, 9, err), -1);
    CU_ASSERT_STRING_EQUAL(err, "secure aggregation stopped in round 4 (unmasking): only 5 of 10 "
                           "clients are left (party 7, party 8, party 9, party 10, party 11 "
                           "dropped out); threshold t = 6 needs t of them, so at most n - t = 4 "
                           "dropouts are possible and n - t + 1 = 5 are refused");
    CU_ASSERT_EQUAL(run_with(10, 6, 50, 5, 0, 9, err), -1);
    CU_ASSERT(strstr(err, "round 3 (masked input): only 5 of 10") != NULL);
    CU_ASSERT_EQUAL(run_with(10, 6, 50, 3, 2, 9, err), -1);
    CU_ASSERT(strstr(err, "n - t + 1 = 5 are refused") != NULL);
}

/* --- sizes: the paper's formula plus our framing --------------------------------- */

/* Bytes a client sends and receives with no dropouts, from Bonawitz et al.'s count:
** 2 keys out and 2n in (a_K = 32 bytes), 2(n-1) shares out and 2(n-1) in inside the
** boxes and n in round 4 ((5n - 4) a_S, a_S = 32 bytes), m R/8 for y (R = 32 bits); plus
** what framing adds: 2-byte ids (n in the key list, n - 1 on each box list, n in the
** survivor list, n on the round-4 list), 4 id bytes and a 16-byte MAC a box, and each
** frame's envelope and bin header. */
static void expected(int n, size_t m, uint64_t *sent, uint64_t *recv)
{
    uint64_t aK = 32, aS = 32, N = (uint64_t)n;
    uint64_t box = 2 * aS + 4 + 16;
    *sent = wire_size_envelope("keys") + wire_size_bin(2 * aK)
          + wire_size_envelope("shares") + wire_size_bin((N - 1) * (2 + box))
          + wire_size_envelope("masked") + wire_size_bin(4 * m)
          + wire_size_envelope("unmask") + wire_size_bin(N * (2 + aS));
    *recv = wire_size_envelope("keys") + wire_size_bin(N * (2 + 2 * aK))
          + wire_size_envelope("shares") + wire_size_bin((N - 1) * (2 + box))
          + wire_size_envelope("survivors") + wire_size_bin(2 * N);
    /* the paper's part of it */
    uint64_t paper = 2 * (N + 1) * aK + (5 * N - 4) * aS + 4 * m;
    uint64_t framing = 2 * N + 2 * (2 * (N - 1)) + 2 * N + 2 * N + 2 * (N - 1) * 20;
    uint64_t headers = wire_size_envelope("keys") * 2 + wire_size_envelope("shares") * 2 +
                       wire_size_envelope("masked") + wire_size_envelope("unmask") +
                       wire_size_envelope("survivors");
    uint64_t bins = (wire_size_bin(2 * aK) - 2 * aK) + (wire_size_bin(N * (2 + 2 * aK)) - N * (2 + 2 * aK))
                  + 2 * (wire_size_bin((N - 1) * (2 + box)) - (N - 1) * (2 + box))
                  + (wire_size_bin(4 * m) - 4 * m) + (wire_size_bin(N * (2 + aS)) - N * (2 + aS))
                  + (wire_size_bin(2 * N) - 2 * N);
    CU_ASSERT_EQUAL(*sent + *recv, paper + framing + headers + bins);
}

static void sizes_match_the_formula(void)
{
    static const int ns[] = { 5, 12, 40 };
    static const size_t ms[] = { 1000, 7, 70000 };
    for (int k = 0; k < 3; k++) {
        World w;
        world_init(&w, ns[k], ns[k] / 2 + 1, ms[k], 21 + (uint64_t)k);
        CU_ASSERT_EQUAL_FATAL(secagg_run(&w.r, w.out), 0);
        uint64_t sent, recv, srv_in = 0, srv_out = 0;
        expected(ns[k], ms[k], &sent, &recv);
        for (int i = 0; i < ns[k]; i++) {
            TrTotals s = tr_totals(&w.tr, w.client[i], -1, NULL), r = tr_totals(&w.tr, -1, w.client[i], NULL);
            CU_ASSERT_EQUAL(s.bytes, sent);
            CU_ASSERT_EQUAL(r.bytes, recv);
            CU_ASSERT_EQUAL(s.msgs, 4);
            CU_ASSERT_EQUAL(r.msgs, 3);
            srv_in += s.bytes; srv_out += r.bytes;
        }
        CU_ASSERT_EQUAL(tr_totals(&w.tr, -1, SERVER, NULL).bytes, srv_in);
        CU_ASSERT_EQUAL(tr_totals(&w.tr, SERVER, -1, NULL).bytes, srv_out);
        /* recorded sizes are the frames' lengths */
        for (int f = 0; f < w.cap->n; f++) CU_ASSERT_EQUAL(w.tr.msgs[f].bytes, w.cap->len[f]);
        world_free(&w);
    }
}

/* --- Shamir against its definition, parameters ------------------------------------ */

static void shamir_definition(void)
{
    Rng rng;
    rng_seed(&rng, 3);
    uint64_t s[2] = { 123456789, SA_P61 - 5 }, sh[7 * 2], x[7], y[7 * 2], got[2];
    secagg_shamir_deal(&rng, s, 2, 3, 7, sh);          /* degree 3: any 4 of 7 */
    /* every 4-subset reconstructs; the shares lie on one cubic */
    for (int a = 0; a < 7; a++)
        for (int b = a + 1; b < 7; b++) {
            int pick[4], k = 0;
            for (int i = 0; i < 7 && k < 4; i++) if (i != a && i != b && (k < 2 || i > b)) pick[k++] = i;
            if (k < 4) continue;
            for (int i = 0; i < 4; i++) { x[i] = (uint64_t)pick[i] + 1; y[2 * i] = sh[2 * pick[i]]; y[2 * i + 1] = sh[2 * pick[i] + 1]; }
            secagg_shamir_open(x, y, 4, 2, got);
            CU_ASSERT_EQUAL(got[0], s[0]);
            CU_ASSERT_EQUAL(got[1], s[1]);
        }
    /* three shares say nothing: they fit a cubic through any secret (here: they do not
    ** give s back) */
    for (int i = 0; i < 3; i++) { x[i] = (uint64_t)i + 1; y[2 * i] = sh[2 * i]; y[2 * i + 1] = sh[2 * i + 1]; }
    secagg_shamir_open(x, y, 3, 2, got);
    CU_ASSERT(got[0] != s[0]);
    /* known answer: f(x) = 5 + 2x + 3x^2 at x = 1, 2, 3 is 10, 21, 38 */
    uint64_t kx[3] = { 1, 2, 3 }, ky[3] = { 10, 21, 38 }, k0;
    secagg_shamir_open(kx, ky, 3, 1, &k0);
    CU_ASSERT_EQUAL(k0, 5);
}

static char *check_err(int n, int t, size_t m, void (*tweak)(World *))
{
    static char err[RT_ERRLEN];
    World w;
    world_init(&w, n, t, m ? m : 1, 1);
    w.r.m = m;
    if (tweak) tweak(&w);
    int rc = secagg_run(&w.r, w.out);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(w.cap->n, 0);                       /* refused before sending */
    snprintf(err, sizeof err, "%s", w.r.err.msg);
    world_free(&w);
    return err;
}

static void dup_client(World *w) { w->client[2] = w->client[1]; }
static void server_client(World *w) { w->client[0] = SERVER; }
static void too_big(World *w) { w->x[3][1] = 40000; }       /* bound at n = 5: 6553.6 */
static void not_finite(World *w) { w->x[0][0] = NAN; }
static void bad_scale(World *w) { w->r.scale = -1; }

static volatile sig_atomic_t flag = 1;
static void interrupted(World *w) { w->r.interrupt = &flag; }

/* A bit flipped in transit inside a box (the last byte of the share list the server
** forwards to party 2: the MAC of party 6's box) is caught by the receiver. */
static void tampered_box_refused(void)
{
    World w;
    world_init(&w, 5, 3, 10, 4);
    w.flip.to = 2; w.flip.nth = 2;
    CU_ASSERT_EQUAL(secagg_run(&w.r, w.out), -1);
    CU_ASSERT_EQUAL(w.r.err.code, RT_EPROTO);
    CU_ASSERT_STRING_EQUAL(w.r.err.msg, "the shares from party 6 to party 2 fail authentication");
    world_free(&w);
}

/* Ctrl-C in the middle of round 1 (while client party 4 draws its keys): the run stops
** and the frames already posted are dropped, not left for a later protocol. */
static volatile sig_atomic_t mid;
static Rng *rng_then_stop(void *u, int party)
{
    if (party == 4) mid = 1;
    return party_rng(u, party);
}

static void interrupt_mid_run(void)
{
    World w;
    world_init(&w, 6, 4, 10, 2);
    mid = 0;
    w.r.interrupt = &mid;
    w.r.rng = rng_then_stop;
    CU_ASSERT_EQUAL(secagg_run(&w.r, w.out), -1);
    CU_ASSERT_EQUAL(w.r.err.code, RT_EINTR);
    CU_ASSERT_STRING_EQUAL(w.r.err.msg, "interrupted");
    CU_ASSERT_EQUAL(w.cap->n, 3);                   /* parties 2, 3, 4 had posted */
    for (int i = 0; i < 6; i++) {
        uint8_t *b; size_t len;
        int got = msg_receive(&w.msg, w.client[i], SERVER, &b, &len);
        CU_ASSERT_EQUAL(got, -1);
        if (got == 0) free(b);
    }
    world_free(&w);
}

static void bad_parameters_refused(void)
{
    CU_ASSERT_STRING_EQUAL(check_err(5, 3, 4, interrupted), "interrupted");
    CU_ASSERT(strstr(check_err(5, 6, 4, NULL), "threshold t = 6 is more than the 5 clients") != NULL);
    CU_ASSERT(strstr(check_err(6, 3, 4, NULL), "threshold t = 3 is not above n/2 = 3") != NULL);
    CU_ASSERT(strstr(check_err(1, 1, 4, NULL), "at least 2 clients, got 1") != NULL);
    CU_ASSERT(strstr(check_err(5, 3, 0, NULL), "between 1 and") != NULL);
    CU_ASSERT(strstr(check_err(5, 3, 4, dup_client), "party 3 appears twice among the clients") != NULL);
    CU_ASSERT(strstr(check_err(5, 3, 4, server_client), "party 1 is the server and cannot also be a client") != NULL);
    CU_ASSERT(strstr(check_err(5, 3, 4, too_big), "party 5's update: element 2 is beyond the bound +-6553.6") != NULL);
    CU_ASSERT(strstr(check_err(5, 3, 4, not_finite), "party 2's update: element 1 is not a finite number") != NULL);
    CU_ASSERT(strstr(check_err(5, 3, 4, bad_scale), "scale must be positive") != NULL);
    CU_ASSERT_EQUAL(secagg_bound(5, 65536), 429496729.0 / 65536);
}

/* Each party draws from its own generator: the same seeds give the same frames byte for
** byte; another seed for one client changes that client's frames (and the frames that
** carry its keys or boxes), not the keys of the others. */
static void seeded_runs_repeat(void)
{
    World a, b;
    world_init(&a, 5, 3, 100, 31);
    world_init(&b, 5, 3, 100, 31);
    CU_ASSERT_EQUAL_FATAL(secagg_run(&a.r, a.out), 0);
    CU_ASSERT_EQUAL_FATAL(secagg_run(&b.r, b.out), 0);
    CU_ASSERT_EQUAL_FATAL(a.cap->n, b.cap->n);
    for (int k = 0; k < a.cap->n; k++)
        CU_ASSERT(a.cap->len[k] == b.cap->len[k] && !memcmp(a.cap->buf[k], b.cap->buf[k], a.cap->len[k]));
    world_free(&b);
    world_init(&b, 5, 3, 100, 31);
    rng_seed(&b.rng[3], 999);                       /* client party 3 draws differently */
    CU_ASSERT_EQUAL_FATAL(secagg_run(&b.r, b.out), 0);
    for (int k = 0; k < 5; k++) {                   /* round 1: the keys */
        int same = a.cap->len[k] == b.cap->len[k] && !memcmp(a.cap->buf[k], b.cap->buf[k], a.cap->len[k]);
        CU_ASSERT_EQUAL(same, a.cap->from[k] != 3);
    }
    for (size_t e = 0; e < 100; e++) CU_ASSERT_EQUAL(a.out[e], b.out[e]);
    world_free(&a);
    world_free(&b);
}

int main(void)
{
    static const TU_Test tests[] = {
        { "server_cannot_unmask_anyone", server_cannot_unmask_anyone },
        { "attack_catches_broken_variants", attack_catches_broken_variants },
        { "double_masking_rule", double_masking_rule },
        { "sum_with_dropouts", sum_with_dropouts },
        { "too_many_dropouts_refused", too_many_dropouts_refused },
        { "sizes_match_the_formula", sizes_match_the_formula },
        { "shamir_definition", shamir_definition },
        { "bad_parameters_refused", bad_parameters_refused },
        { "seeded_runs_repeat", seeded_runs_repeat },
        { "interrupt_mid_run", interrupt_mid_run },
        { "tampered_box_refused", tampered_box_refused },
        { NULL, NULL }
    };
    return tu_main("rt_secagg", tests);
}
