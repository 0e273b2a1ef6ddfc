/*
** test_rt_zmq.c — the ZeroMQ carrier over tcp://127.0.0.1 with CURVE, three parties'
** ends in one process (ZeroMQ's I/O threads carry the frames): frames arrive in order
** and intact; a peer with a key not in the parties file is refused by the ZAP handler
** and a server with the wrong key is never sent to (no frame delivered either way); a
** silent peer is a timeout naming it, within the timeout; replayed, oversized,
** malformed and spoofed frames (sent as an attacker would, on a raw CURVE socket with
** a party's own keys) are refused naming the sender; the parties file's errors carry
** file:line:column; key files are written 0600 and read back; an interrupt frame is seen
** by the watching end's receiving thread and resync drops the stopped entry's frames.  Last, two `ppdl serve`
** processes answer pings, a stopped one is a timeout naming it, and none is left in
** the process table.
*/
#include "tu.h"
#include "parties_file.h"
#include "transport_zmq.h"
#include "wire.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* A TCP port free on 127.0.0.1 right now. */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t n = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &n) != 0) return 0;
    close(s);
    return ntohs(a.sin_port);
}

typedef struct Keys { char pub[41], sec[41]; } Keys;

/* A parties file for n parties with the given keys, on fresh ports. */
static void make_parties(PartiesFile *pf, int n, const char *const *names, const Keys *k)
{
    char text[2048] = "# test parties\n";
    for (int i = 0; i < n; i++) {
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "party %s endpoint tcp://127.0.0.1:%d key %s\n", names[i], free_port(), k[i].pub);
    }
    char err[256];
    int rc = pf_parse(pf, "test", text, strlen(text), err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    CU_ASSERT_FATAL(rc == 0);
}

static MsgTransport *open_end(const PartiesFile *pf, int self, const char *sec, int timeout, size_t max)
{
    char err[512];
    TzConfig c = { pf, self, sec, timeout, max };
    MsgTransport *t = tz_open(&c, err, sizeof err);
    if (!t) fprintf(stderr, "tz_open: %s\n", err);
    return t;
}

/* A frame from -> to carrying the integer x. */
static uint8_t *frame(int from, int to, int64_t x, size_t *len)
{
    WireW w;
    wire_w_init(&w);
    WireHdr h = { "plain", from, to, 1 };
    wire_put_envelope(&w, &h);
    wire_put_int(&w, x);
    return wire_w_take(&w, len);
}

static int64_t payload_of(const uint8_t *buf, size_t len)
{
    WireR r; WireHdr h; const msgpack_object *p; int64_t x = -1;
    wire_r_init(&r, "test");
    if (wire_open_frame(&r, buf, len, &h, &p)) wire_get_int(&r, p, INT64_MIN, INT64_MAX, &x);
    wire_r_free(&r);
    return x;
}

static long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const names3[] = { "alice", "bob", "carol" };

/* A frame of `kind` from -> to in round (entry) r, nil payload. */
static uint8_t *kind_frame(const char *kind, int from, int to, uint32_t r, size_t *len)
{
    WireW w;
    wire_w_init(&w);
    WireHdr h = { kind, from, to, r };
    wire_put_envelope(&w, &h);
    wire_put_nil(&w);
    return wire_w_take(&w, len);
}

/* The narrator's Ctrl-C (tz_watch): bob, watching entry 1, sees alice's "interrupt" as
** it arrives, without waiting for a frame (his flag rises); his waits then fail with
** "interrupted"; tz_resync drops what alice sent before her "interrupt" frame, so her
** next frame is the next one delivered, and alice gets bob's own "interrupt" frame. */
static void an_interrupt_stops_waits_and_resync_drops_stale_frames(void)
{
    Keys k[2];
    for (int i = 0; i < 2; i++) CU_ASSERT_FATAL(zmq_curve_keypair(k[i].pub, k[i].sec) == 0);
    PartiesFile pf;
    make_parties(&pf, 2, names3, k);
    MsgTransport *a = open_end(&pf, 1, k[0].sec, 3000, 0), *b = open_end(&pf, 2, k[1].sec, 3000, 0);
    CU_ASSERT_FATAL(a && b);
    volatile sig_atomic_t flag = 0;
    tz_watch(b, 1, &flag);
    size_t len;
    uint8_t *f = frame(1, 2, 7, &len);                      /* a frame of the stopped entry */
    CU_ASSERT(a->post(a, 1, 2, f, len) == 0);
    f = kind_frame("interrupt", 1, 2, 1, &len);
    CU_ASSERT(a->post(a, 1, 2, f, len) == 0);
    long t0 = ms_now();
    while (!flag && ms_now() - t0 < 3000) { struct timespec ts = { 0, 10 * 1000 * 1000 }; nanosleep(&ts, NULL); }
    CU_ASSERT(flag == 1);                                   /* no call on b: its thread saw it */
    CU_ASSERT(tz_interrupted(b));
    CU_ASSERT_EQUAL(tz_stopped(b), 1);
    uint8_t *got; size_t n;
    CU_ASSERT(b->deliver(b, 1, 2, &got, &n) == -1);
    CU_ASSERT_STRING_EQUAL(tz_error(b), "interrupted");
    f = frame(2, 1, 8, &len);
    CU_ASSERT(b->post(b, 2, 1, f, len) == -1);              /* posts fail too */
    free(f);
    flag = 0;                                               /* the caller's: seen */
    CU_ASSERT(tz_resync(b, 2, 1) == 0);
    CU_ASSERT(!tz_interrupted(b));
    f = frame(1, 2, 9, &len);                               /* the next entry's */
    CU_ASSERT(a->post(a, 1, 2, f, len) == 0);
    if (b->deliver(b, 1, 2, &got, &n) == 0) { CU_ASSERT_EQUAL(payload_of(got, n), 9); free(got); }
    else { fprintf(stderr, "%s\n", tz_error(b)); CU_FAIL("the next entry's frame was not delivered"); }
    if (a->deliver(a, 2, 1, &got, &n) == 0) {                /* bob's end-of-entry word */
        WireR r; WireHdr h; const msgpack_object *p;
        wire_r_init(&r, "bob");
        CU_ASSERT(wire_open_frame(&r, got, n, &h, &p) && strcmp(h.kind, "interrupt") == 0 && h.round == 1);
        wire_r_free(&r);
        free(got);
    } else CU_FAIL("alice did not get bob's interrupt frame");
    a->close(a);
    b->close(b);
    pf_free(&pf);
}

/* A frame of a bin of n bytes (byte i = i * 7 + seed) from -> to. */
static uint8_t *big_frame(int from, int to, size_t n, int seed, size_t *len)
{
    WireW w;
    wire_w_init(&w);
    WireHdr h = { "open", from, to, 1 };
    wire_put_envelope(&w, &h);
    uint8_t *body = malloc(n);
    for (size_t i = 0; i < n; i++) body[i] = (uint8_t)(i * 7 + (size_t)seed);
    msgpack_pack_bin(&w.pk, n);
    msgpack_pack_bin_body(&w.pk, body, n);
    free(body);
    return wire_w_take(&w, len);
}

/* deliver_block hands a frame on where ZeroMQ received it (a block its owner frees, no
** copy), with or without the receiving thread; plain deliver still gives a copy; frames
** never delivered go with the transport. */
static void received_frames_are_blocks_without_a_copy(void)
{
    Keys k[2];
    for (int i = 0; i < 2; i++) CU_ASSERT_FATAL(zmq_curve_keypair(k[i].pub, k[i].sec) == 0);
    PartiesFile pf;
    make_parties(&pf, 2, names3, k);
    MsgTransport *a = open_end(&pf, 1, k[0].sec, 5000, 0), *b = open_end(&pf, 2, k[1].sec, 5000, 0);
    CU_ASSERT_FATAL(a && b);
    CU_ASSERT_FATAL(b->deliver_block != NULL);
    volatile sig_atomic_t flag = 0;
    for (int watch = 0; watch < 2; watch++) {
        if (watch) tz_watch(b, 1, &flag);                   /* the receiving thread queues */
        size_t len[3];
        uint8_t *f[3];
        for (int i = 0; i < 3; i++) {
            f[i] = big_frame(1, 2, (size_t)(1 << 20) + (size_t)i, 10 * watch + i, &len[i]);
            CU_ASSERT_FATAL(tz_send(a, 1, 2, f[i], len[i]) == 0);
        }
        MsgBlock *blk;
        CU_ASSERT_FATAL(b->deliver_block(b, 1, 2, &blk) == 0);
        CU_ASSERT(blk->release != NULL && blk->owner != NULL && blk->holders == 1);
        CU_ASSERT(blk->len == len[0] && memcmp(blk->base + blk->off, f[0], len[0]) == 0);
        blk->secret = true;                                 /* wiped, then ZeroMQ frees it */
        msg_block_release(blk);
        uint8_t *got; size_t n;
        CU_ASSERT_FATAL(b->deliver(b, 1, 2, &got, &n) == 0);
        CU_ASSERT(n == len[1] && memcmp(got, f[1], n) == 0);
        free(got);
        if (watch) {                                        /* the third stays queued */
            long t0 = ms_now();
            for (;;) {
                struct timespec ts = { 0, 20 * 1000 * 1000 };
                nanosleep(&ts, NULL);
                if (ms_now() - t0 > 500) break;
            }
        } else {
            CU_ASSERT_FATAL(b->deliver_block(b, 1, 2, &blk) == 0);
            CU_ASSERT(blk->len == len[2] && memcmp(blk->base + blk->off, f[2], len[2]) == 0);
            msg_block_release(blk);
        }
        for (int i = 0; i < 3; i++) free(f[i]);
    }
    a->close(a);
    b->close(b);                                            /* frees the queued frame */
    pf_free(&pf);
}

/* An interrupt that arrives before the party starts its entry (it is still between
** entries, watching entry 0): the flag rises as soon as the party starts watching that
** entry, so that a loop with no protocol step stops too. */
static void an_interrupt_before_the_entry_starts_raises_the_flag_at_its_start(void)
{
    Keys k[2];
    for (int i = 0; i < 2; i++) CU_ASSERT_FATAL(zmq_curve_keypair(k[i].pub, k[i].sec) == 0);
    PartiesFile pf;
    make_parties(&pf, 2, names3, k);
    MsgTransport *a = open_end(&pf, 1, k[0].sec, 3000, 0), *b = open_end(&pf, 2, k[1].sec, 3000, 0);
    CU_ASSERT_FATAL(a && b);
    volatile sig_atomic_t flag = 0;
    tz_watch(b, 0, &flag);                                  /* between entries */
    size_t len;
    uint8_t *f = kind_frame("interrupt", 1, 2, 2, &len);    /* entry 2, not started yet */
    CU_ASSERT(a->post(a, 1, 2, f, len) == 0);
    long t0 = ms_now();
    while (tz_stopped(b) < 2 && ms_now() - t0 < 3000) { struct timespec ts = { 0, 10 * 1000 * 1000 }; nanosleep(&ts, NULL); }
    CU_ASSERT_EQUAL(tz_stopped(b), 2);
    CU_ASSERT(flag == 0);                                   /* no entry to stop yet */
    tz_watch(b, 2, &flag);                                  /* the entry starts */
    CU_ASSERT(flag == 1);
    CU_ASSERT(tz_interrupted(b));
    a->close(a);
    b->close(b);
    pf_free(&pf);
}

static void three_parties_exchange_frames(void)
{
    Keys k[3];
    for (int i = 0; i < 3; i++) CU_ASSERT_FATAL(zmq_curve_keypair(k[i].pub, k[i].sec) == 0);
    PartiesFile pf;
    make_parties(&pf, 3, names3, k);
    MsgTransport *t[3];
    for (int i = 0; i < 3; i++) { t[i] = open_end(&pf, i + 1, k[i].sec, 5000, 0); CU_ASSERT_FATAL(t[i] != NULL); }
    CU_ASSERT_STRING_EQUAL(t[0]->name, "zeromq");
    /* every ordered pair, three frames each, in order */
    for (int r = 0; r < 3; r++)
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                if (a == b) continue;
                size_t len;
                uint8_t *f = frame(a + 1, b + 1, 100 * a + 10 * b + r, &len);
                CU_ASSERT(t[a]->post(t[a], a + 1, b + 1, f, len) == 0);
            }
    for (int b = 0; b < 3; b++)
        for (int a = 2; a >= 0; a--) {         /* receive out of arrival order: queued per sender */
            if (a == b) continue;
            for (int r = 0; r < 3; r++) {
                uint8_t *got; size_t n;
                int rc = t[b]->deliver(t[b], a + 1, b + 1, &got, &n);
                if (rc) fprintf(stderr, "%s\n", tz_error(t[b]));
                CU_ASSERT_FATAL(rc == 0);
                CU_ASSERT_EQUAL(payload_of(got, n), 100 * a + 10 * b + r);
                free(got);
            }
        }
    /* a party cannot send as another, nor to itself */
    size_t len;
    uint8_t *f = frame(2, 3, 1, &len);
    CU_ASSERT(t[0]->post(t[0], 2, 3, f, len) == -1);
    CU_ASSERT(t[0]->post(t[0], 1, 1, f, len) == -1);
    free(f);
    CU_ASSERT_EQUAL(tz_refused(t[0]), 0);
    for (int i = 0; i < 3; i++) t[i]->close(t[i]);
    pf_free(&pf);
}

static void silent_peer_times_out_naming_it(void)
{
    Keys k[2];
    for (int i = 0; i < 2; i++) zmq_curve_keypair(k[i].pub, k[i].sec);
    PartiesFile pf;
    make_parties(&pf, 2, names3, k);
    MsgTransport *a = open_end(&pf, 1, k[0].sec, 300, 0);
    CU_ASSERT_FATAL(a != NULL);
    uint8_t *got; size_t n;
    long t0 = ms_now();
    CU_ASSERT(a->deliver(a, 2, 1, &got, &n) == -1);
    long dt = ms_now() - t0;
    CU_ASSERT(dt >= 290 && dt < 1500);
    CU_ASSERT_STRING_EQUAL(tz_error(a), "no message from bob within 300 ms (party alice was waiting for it)");
    a->close(a);
    pf_free(&pf);
}

static void unknown_and_wrong_keys_are_refused(void)
{
    Keys k[2], m;
    for (int i = 0; i < 2; i++) zmq_curve_keypair(k[i].pub, k[i].sec);
    zmq_curve_keypair(m.pub, m.sec);
    PartiesFile pf, mpf;
    make_parties(&pf, 2, names3, k);
    /* mallory's view: alice's real endpoint and key, bob's endpoint with mallory's key */
    char text[512], err[256];
    snprintf(text, sizeof text, "party alice endpoint %s key %s\nparty bob endpoint %s key %s\n",
             pf.p[0].endpoint, k[0].pub, pf.p[1].endpoint, m.pub);
    CU_ASSERT_FATAL(pf_parse(&mpf, "mallory", text, strlen(text), err, sizeof err) == 0);
    MsgTransport *a = open_end(&pf, 1, k[0].sec, 700, 0);
    MsgTransport *mal = open_end(&mpf, 2, m.sec, 700, 0);   /* listens at bob's endpoint */
    CU_ASSERT_FATAL(a && mal);
    size_t len;
    uint8_t *f = frame(2, 1, 42, &len);
    CU_ASSERT(mal->post(mal, 2, 1, f, len) == 0);           /* queued; the handshake fails */
    uint8_t *got; size_t n;
    CU_ASSERT(a->deliver(a, 2, 1, &got, &n) == -1);         /* nothing delivered */
    CU_ASSERT_PTR_NOT_NULL(strstr(tz_error(a), "no message from bob"));
    CU_ASSERT(tz_refused(a) >= 1);                          /* the ZAP handler said no */
    /* alice expects bob's key at bob's endpoint: mallory's server key fails her check */
    f = frame(1, 2, 7, &len);
    CU_ASSERT(a->post(a, 1, 2, f, len) == 0);
    CU_ASSERT(mal->deliver(mal, 1, 2, &got, &n) == -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(tz_error(mal), "no message from alice"));
    a->close(a); mal->close(mal);
    pf_free(&pf); pf_free(&mpf);
}

/* A raw CURVE PUSH socket with bob's own keys, connected to alice: an attacker who
** holds a party's key and sends whatever bytes it likes. */
static void *raw_bob(void *ctx, const PartiesFile *pf, const Keys *k)
{
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    int z = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &z, sizeof z);
    zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, k[0].pub, 40);
    zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, k[1].pub, 40);
    zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, k[1].sec, 40);
    zmq_connect(s, pf->p[0].endpoint);
    return s;
}

static void raw_send(void *s, uint64_t seq, const void *buf, size_t len)
{
    uint8_t b[8];
    for (int i = 7; i >= 0; i--) { b[i] = (uint8_t)seq; seq >>= 8; }
    zmq_send(s, b, 8, ZMQ_SNDMORE);
    zmq_send(s, buf, len, 0);
}

/* alice's next delivery from bob: the error text, or "" if a frame came. */
static const char *next_from_bob(MsgTransport *a, int64_t *x)
{
    uint8_t *got; size_t n;
    if (a->deliver(a, 2, 1, &got, &n) != 0) return tz_error(a);
    *x = payload_of(got, n);
    free(got);
    return "";
}

static void replayed_oversized_malformed_spoofed_refused(void)
{
    Keys k[2];
    for (int i = 0; i < 2; i++) zmq_curve_keypair(k[i].pub, k[i].sec);
    PartiesFile pf;
    make_parties(&pf, 2, names3, k);
    MsgTransport *a = open_end(&pf, 1, k[0].sec, 3000, 256);
    CU_ASSERT_FATAL(a != NULL);
    void *ctx = zmq_ctx_new();
    void *s = raw_bob(ctx, &pf, k);
    size_t len;
    uint8_t *f = frame(2, 1, 5, &len);
    int64_t x = 0;
    raw_send(s, 1, f, len);
    CU_ASSERT_STRING_EQUAL(next_from_bob(a, &x), ""); CU_ASSERT_EQUAL(x, 5);
    raw_send(s, 1, f, len);                                 /* the same again */
    CU_ASSERT_STRING_EQUAL(next_from_bob(a, &x), "replayed message from bob refused (sequence number 1 after 1)");
    raw_send(s, 0, f, len);
    CU_ASSERT_PTR_NOT_NULL(strstr(next_from_bob(a, &x), "replayed message from bob"));
    uint8_t big[257] = { 0 };
    raw_send(s, 2, big, sizeof big);
    CU_ASSERT_STRING_EQUAL(next_from_bob(a, &x), "message of 257 bytes from bob refused: larger than the limit of 256 bytes");
    static const uint8_t junk[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };   /* array32 of 4G items */
    raw_send(s, 3, junk, sizeof junk);
    CU_ASSERT_PTR_NOT_NULL(strstr(next_from_bob(a, &x), "malformed message from bob"));
    zmq_send(s, "only", 4, 0);                              /* one part */
    CU_ASSERT_PTR_NOT_NULL(strstr(next_from_bob(a, &x), "malformed message from bob: one part"));
    uint8_t *g = frame(3, 1, 6, &len);                      /* claims to be from party 3 */
    raw_send(s, 4, g, len);
    CU_ASSERT_STRING_EQUAL(next_from_bob(a, &x), "malformed message from bob: its envelope says from party 3 to party 1");
    free(g);
    g = frame(2, 1, 9, &len);                               /* still works after all that */
    raw_send(s, 10, g, len);
    CU_ASSERT_STRING_EQUAL(next_from_bob(a, &x), ""); CU_ASSERT_EQUAL(x, 9);
    free(g); free(f);
    zmq_close(s); zmq_ctx_term(ctx);
    /* the sender refuses an oversized frame too */
    uint8_t *b = calloc(1, 300);
    CU_ASSERT(a->post(a, 1, 2, b, 300) == -1);
    CU_ASSERT_STRING_EQUAL(tz_error(a), "message of 300 bytes to bob is larger than the limit of 256 bytes");
    free(b);
    a->close(a);
    pf_free(&pf);
}

static void secret_key_must_match(void)
{
    Keys k[2], other;
    for (int i = 0; i < 2; i++) zmq_curve_keypair(k[i].pub, k[i].sec);
    zmq_curve_keypair(other.pub, other.sec);
    PartiesFile pf;
    make_parties(&pf, 2, names3, k);
    char err[512];
    TzConfig c = { &pf, 1, other.sec, 0, 0 };
    CU_ASSERT_PTR_NULL(tz_open(&c, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "party alice: the secret key does not belong to the public key"));
    CU_ASSERT_PTR_NULL(strstr(err, other.sec));             /* never printed */
    pf_free(&pf);
}

static void parse_error(const char *text, const char *want)
{
    PartiesFile pf;
    char err[512] = "";
    CU_ASSERT(pf_parse(&pf, "p.txt", text, strlen(text), err, sizeof err) == -1);
    if (strcmp(err, want) != 0) fprintf(stderr, "\n  got:  %s\n  want: %s\n", err, want);
    CU_ASSERT_STRING_EQUAL(err, want);
    CU_ASSERT_PTR_NULL(pf.p);
}

/* The narrator's line: kept last whatever its place, one a file, not a party. */
static void parties_file_narrator(void)
{
    char a[41], b[41], n[41], s[41];
    zmq_curve_keypair(a, s); zmq_curve_keypair(b, s); zmq_curve_keypair(n, s);
    char t[600];
    snprintf(t, sizeof t, "narrator teacher endpoint tcp://127.0.0.1:5600 key %s\n"
             "party alice endpoint tcp://127.0.0.1:5601 key %s\nparty bob endpoint tcp://127.0.0.1:5602 key %s\n", n, a, b);
    PartiesFile pf;
    char err[256];
    CU_ASSERT_FATAL(pf_parse(&pf, "p.txt", t, strlen(t), err, sizeof err) == 0);
    CU_ASSERT_EQUAL(pf.n, 3);
    CU_ASSERT_EQUAL(pf.narrator, 3);
    CU_ASSERT_STRING_EQUAL(pf.p[0].name, "alice");
    CU_ASSERT_STRING_EQUAL(pf.p[1].name, "bob");
    CU_ASSERT_STRING_EQUAL(pf.p[2].name, "teacher");
    CU_ASSERT_STRING_EQUAL(pf.p[2].endpoint, "tcp://127.0.0.1:5600");
    CU_ASSERT_STRING_EQUAL(pf.p[2].key, n);
    CU_ASSERT_STRING_EQUAL(pf.p[0].key, a);
    pf_free(&pf);
    snprintf(t, sizeof t, "narrator teacher endpoint tcp://127.0.0.1:5600 key %s\nparty alice endpoint tcp://127.0.0.1:5601 key %s\n", n, a);
    parse_error(t, "p.txt:1:1: fewer than two parties (list every party, one 'party' line each)");
    snprintf(t, sizeof t, "narrator t endpoint tcp://h:1 key %s\nparty alice endpoint tcp://h:2 key %s\nnarrator u endpoint tcp://h:3 key %s\n", n, a, b);
    parse_error(t, "p.txt:3:1: a second 'narrator' line (one driver a run)");
}

static void parties_file_errors(void)
{
    char a[41], b[41], s[41];
    zmq_curve_keypair(a, s); zmq_curve_keypair(b, s);
    char ok[512], t[512];
    snprintf(ok, sizeof ok, "# two\nparty alice endpoint tcp://127.0.0.1:5601 key %s  # me\n\n"
             "  party bob endpoint tcp://h.example:5602 key %s\n", a, b);
    PartiesFile pf;
    char err[256];
    CU_ASSERT_FATAL(pf_parse(&pf, "p.txt", ok, strlen(ok), err, sizeof err) == 0);
    CU_ASSERT_EQUAL(pf.n, 2);
    CU_ASSERT_STRING_EQUAL(pf.p[1].name, "bob");
    CU_ASSERT_STRING_EQUAL(pf.p[1].endpoint, "tcp://h.example:5602");
    CU_ASSERT_STRING_EQUAL(pf.p[0].key, a);
    CU_ASSERT_EQUAL(pf_find(&pf, "bob"), 2);
    CU_ASSERT_EQUAL(pf_find(&pf, "eve"), 0);
    pf_free(&pf);

    snprintf(t, sizeof t, "party alice endpoint tcp://127.0.0.1:5601 key %s\nparty 9bob endpoint tcp://x:1 key %s\n", a, b);
    parse_error(t, "p.txt:2:7: invalid party name '9bob' (a letter or '_', then letters, digits or '_', at most 31 characters)");
    snprintf(t, sizeof t, "party alice endpoint tcp://127.0.0.1:70000 key %s\n", a);
    parse_error(t, "p.txt:1:22: invalid endpoint 'tcp://127.0.0.1:70000' (write tcp://HOST:PORT with PORT from 1 to 65535)");
    snprintf(t, sizeof t, "party alice endpoint udp://h:1 key %s\n", a);
    parse_error(t, "p.txt:1:22: invalid endpoint 'udp://h:1' (write tcp://HOST:PORT with PORT from 1 to 65535)");
    parse_error("party alice endpoint tcp://h:1 key short\n",
                "p.txt:1:36: invalid key 'short' (a CURVE public key: the 40 Z85 characters `ppdl keygen alice` prints)");
    parse_error("\n  host alice\n", "p.txt:2:3: unknown word 'host' (expected 'party NAME endpoint tcp://HOST:PORT key PUBLICKEY')");
    parse_error("party alice endpoint tcp://h:1\n", "p.txt:1:31: incomplete line (expected 'party NAME endpoint tcp://HOST:PORT key PUBLICKEY')");
    snprintf(t, sizeof t, "party alice endpoint tcp://h:1 key %s extra\n", a);
    parse_error(t, "p.txt:1:77: unexpected 'extra' after the key (expected 'party NAME endpoint tcp://HOST:PORT key PUBLICKEY'; comments start with '#')");
    snprintf(t, sizeof t, "party alice port tcp://h:1 key %s\n", a);
    parse_error(t, "p.txt:1:13: expected 'endpoint', got 'port' (expected 'party NAME endpoint tcp://HOST:PORT key PUBLICKEY')");
    snprintf(t, sizeof t, "party alice endpoint tcp://h:1 key %s\nparty alice endpoint tcp://h:2 key %s\n", a, b);
    parse_error(t, "p.txt:2:7: party 'alice' is listed twice (give each party one line)");
    snprintf(t, sizeof t, "party alice endpoint tcp://h:1 key %s\nparty bob endpoint tcp://h:1 key %s\n", a, b);
    parse_error(t, "p.txt:2:20: endpoint tcp://h:1 is already party 'alice's (give each party its own port)");
    snprintf(t, sizeof t, "party alice endpoint tcp://h:1 key %s\nparty bob endpoint tcp://h:2 key %s\n", a, a);
    parse_error(t, "p.txt:2:34: key already belongs to party 'alice' (run `ppdl keygen NAME` for each party)");
    snprintf(t, sizeof t, "party alice endpoint tcp://h:1 key %s\n", a);
    parse_error(t, "p.txt:1:1: fewer than two parties (list every party, one 'party' line each)");
    CU_ASSERT(pf_load(&pf, "/nonexistent/parties", err, sizeof err) == -1);
    CU_ASSERT_STRING_EQUAL(err, "cannot open parties file '/nonexistent/parties': No such file or directory");
}

static void key_files(void)
{
    char dir[] = "/tmp/ppdl-keysXXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    char base[64], path[80], pub[41], key[41], err[256];
    snprintf(base, sizeof base, "%s/alice", dir);
    CU_ASSERT_FATAL(tz_keygen(base, pub, err, sizeof err) == 0);
    struct stat st;
    snprintf(path, sizeof path, "%s.key", base);
    CU_ASSERT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CU_ASSERT(tz_read_key(path, true, key, err, sizeof err) == 0);
    char derived[41];
    CU_ASSERT(zmq_curve_public(derived, key) == 0 && strcmp(derived, pub) == 0);
    snprintf(path, sizeof path, "%s.pub", base);
    CU_ASSERT(tz_read_key(path, false, key, err, sizeof err) == 0 && strcmp(key, pub) == 0);
    CU_ASSERT(tz_keygen(base, pub, err, sizeof err) == -1);             /* never replaced */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "exists already"));
    snprintf(path, sizeof path, "%s.key", base);
    chmod(path, 0644);
    CU_ASSERT(tz_read_key(path, true, key, err, sizeof err) == -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "can be read by others"));
    unlink(path);
    snprintf(path, sizeof path, "%s.pub", base);
    unlink(path);
    rmdir(dir);
}

/* Children of this process still in the process table (zombies included). */
static int children_alive(void)
{
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    char path[300], line[256];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "PPid:", 5) == 0 && atoi(line + 5) == (int)getpid()) n++;
        fclose(f);
    }
    if (d) closedir(d);
    return n;
}

static pid_t spawn_serve(const char *bin, const char *name, const char *parties, const char *key, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);           /* never outlives the test */
        freopen(log, "w", stderr);
        execl(bin, bin, "serve", "--party", name, "--parties", parties, "--key", key, "--timeout", "500", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Reaps pid within ms milliseconds: its exit status, or -1. */
static int reap(pid_t pid, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        usleep(10000);
    }
    return -1;
}

static void send_kind(MsgTransport *t, int to, const char *kind, int64_t x)
{
    WireW w;
    wire_w_init(&w);
    WireHdr h = { kind, 3, to, 1 };
    wire_put_envelope(&w, &h);
    wire_put_int(&w, x);
    size_t len;
    uint8_t *f = wire_w_take(&w, &len);
    CU_ASSERT(t->post(t, 3, to, f, len) == 0);
}

static void serve_processes_answer_pings(void)
{
    const char *bin = getenv("PPDL_BIN") ? getenv("PPDL_BIN") : "./ppdl";
    CU_ASSERT_FATAL(access(bin, X_OK) == 0);
    char dir[] = "/tmp/ppdl-serveXXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    char base[3][64], pub[3][41], err[256], text[1024] = "", parties[96], key[3][80], log[3][80];
    for (int i = 0; i < 3; i++) {
        snprintf(base[i], sizeof base[i], "%s/%s", dir, names3[i]);
        CU_ASSERT_FATAL(tz_keygen(base[i], pub[i], err, sizeof err) == 0);
        CU_ASSERT_FATAL(snprintf(key[i], sizeof key[i], "%s.key", base[i]) < (int)sizeof key[i]);
        CU_ASSERT_FATAL(snprintf(log[i], sizeof log[i], "%s.log", base[i]) < (int)sizeof log[i]);
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "party %s endpoint tcp://127.0.0.1:%d key %s\n", names3[i], free_port(), pub[i]);
    }
    snprintf(parties, sizeof parties, "%s/parties", dir);
    FILE *f = fopen(parties, "w");
    fputs(text, f);
    fclose(f);
    PartiesFile pf;
    CU_ASSERT_FATAL(pf_load(&pf, parties, err, sizeof err) == 0);
    char sec[41];
    CU_ASSERT_FATAL(tz_read_key(key[2], true, sec, err, sizeof err) == 0);
    MsgTransport *carol = open_end(&pf, 3, sec, 3000, 0);      /* the driver */
    CU_ASSERT_FATAL(carol != NULL);
    pid_t pa = spawn_serve(bin, "alice", parties, key[0], log[0]);
    pid_t pb = spawn_serve(bin, "bob", parties, key[1], log[1]);
    CU_ASSERT_EQUAL(children_alive(), 2);
    send_kind(carol, 1, "ping", 41);
    send_kind(carol, 2, "ping", 42);
    for (int p = 1; p <= 2; p++) {
        uint8_t *got; size_t n;
        int rc = carol->deliver(carol, p, 3, &got, &n);
        if (rc) fprintf(stderr, "%s\n", tz_error(carol));
        CU_ASSERT_FATAL(rc == 0);
        CU_ASSERT_EQUAL(payload_of(got, n), 40 + p);
        free(got);
    }
    /* bob stalls: a timeout naming him, within carol's timeout */
    kill(pb, SIGSTOP);
    send_kind(carol, 2, "ping", 43);
    uint8_t *got; size_t n;
    long t0 = ms_now();
    CU_ASSERT(carol->deliver(carol, 2, 3, &got, &n) == -1);
    CU_ASSERT(ms_now() - t0 < 4500);
    CU_ASSERT_STRING_EQUAL(tz_error(carol), "no message from bob within 3000 ms (party carol was waiting for it)");
    /* alice stops when asked; bob is killed */
    send_kind(carol, 1, "stop", 0);
    CU_ASSERT_EQUAL(reap(pa, 5000), 0);
    kill(pb, SIGKILL);
    CU_ASSERT_EQUAL(reap(pb, 5000), 128 + SIGKILL);
    CU_ASSERT_EQUAL(children_alive(), 0);
    carol->close(carol);
    pf_free(&pf);
    for (int i = 0; i < 3; i++) {
        char p[80];
        if (snprintf(p, sizeof p, "%s.key", base[i]) < (int)sizeof p) unlink(p);
        if (snprintf(p, sizeof p, "%s.pub", base[i]) < (int)sizeof p) unlink(p);
        unlink(log[i]);
    }
    unlink(parties);
    rmdir(dir);
}

int main(void)
{
    static const TU_Test tests[] = {
        { "three parties exchange frames over CURVE", three_parties_exchange_frames },
        { "received frames are blocks without a copy", received_frames_are_blocks_without_a_copy },
        { "a silent peer times out naming it", silent_peer_times_out_naming_it },
        { "an interrupt stops waits; resync drops stale frames", an_interrupt_stops_waits_and_resync_drops_stale_frames },
        { "an interrupt before the entry starts raises the flag at its start", an_interrupt_before_the_entry_starts_raises_the_flag_at_its_start },
        { "unknown and wrong keys are refused", unknown_and_wrong_keys_are_refused },
        { "replayed, oversized, malformed, spoofed refused", replayed_oversized_malformed_spoofed_refused },
        { "the secret key must match the file", secret_key_must_match },
        { "parties file errors", parties_file_errors },
        { "the parties file's narrator line", parties_file_narrator },
        { "key files", key_files },
        { "serve processes answer pings", serve_processes_answer_pings },
        { NULL, NULL }
    };
    return tu_main("zmq", tests);
}
