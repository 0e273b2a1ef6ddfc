/*
** test_rt_wire.c — the wire format and the message layer without the interpreter: the
** size formulas equal what msgpack-c writes, a frame opens to its envelope, malformed,
** truncated, oversized and random frames are errors naming the sender (never a crash,
** never a huge allocation), rounds are numbered from 1 and a parallel section is one
** round, protocol posts count the envelope, the in-process transport is FIFO per pair,
** a block reaches each of its receivers with its own envelope and is freed once.
*/
#include "tu.h"
#include "message.h"
#include "rng.h"
#include "wire.h"
#include <stdlib.h>
#include <string.h>

/* Bytes msgpack-c wrote into a writer. */
static size_t written(WireW *w) { return w->buf.size; }

static void sizes_are_what_msgpack_writes(void)
{
    static const size_t ns[] = { 0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536, 100000 };
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
        size_t n = ns[i];
        char *buf = calloc(n + 1, 8);
        WireW w;
        wire_w_init(&w); wire_put_bin(&w, buf, n); CU_ASSERT_EQUAL(written(&w), wire_size_bin(n)); wire_w_free(&w);
        wire_w_init(&w); wire_put_str(&w, buf, n); CU_ASSERT_EQUAL(written(&w), wire_size_str(n)); wire_w_free(&w);
        wire_w_init(&w); wire_put_array(&w, n); CU_ASSERT_EQUAL(written(&w), wire_size_array(n)); wire_w_free(&w);
        /* k ring elements: what a share vector costs on the wire */
        wire_w_init(&w); wire_put_u64s(&w, (uint64_t *)buf, n); CU_ASSERT_EQUAL(written(&w), wire_size_ring(n)); wire_w_free(&w);
        WireW b;
        wire_w_init(&w); wire_w_init(&b); wire_put_bin(&b, buf, n);
        size_t body = written(&b);
        wire_put_ext(&w, 5, &b);
        CU_ASSERT_EQUAL(written(&w), wire_size_ext(body));
        wire_w_free(&w);
        free(buf);
    }
    /* Paillier-sized residues: a 512-bit key's ciphertexts have 1024 bits */
    mpz_t x[3];
    for (int i = 0; i < 3; i++) mpz_init_set_ui(x[i], 12345u * (unsigned)(i + 1));
    WireW w;
    wire_w_init(&w);
    wire_put_residues(&w, x, 3, 128);
    CU_ASSERT_EQUAL(written(&w), wire_size_mpz_vec(3, 1024));
    wire_w_free(&w);
    for (int i = 0; i < 3; i++) mpz_clear(x[i]);
    /* the envelope */
    const char *kinds[] = { "plain", "share", "open", "triple", "ciphertext", "shared tensor" };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        wire_w_init(&w);
        wire_put_envelope(&w, &(WireHdr){ .kind = kinds[i], .from = 3, .to = 65535, .round = 4000000000u });
        CU_ASSERT_EQUAL(written(&w), wire_size_envelope(kinds[i]));
        wire_w_free(&w);
    }
}

/* A frame: envelope + [1, "two", 3.5, bin of 3 u64]. */
static uint8_t *sample_frame(size_t *len)
{
    WireW w;
    wire_w_init(&w);
    wire_put_envelope(&w, &(WireHdr){ .kind = "plain", .from = 1, .to = 2, .round = 7 });
    wire_put_array(&w, 4);
    wire_put_int(&w, 1); wire_put_cstr(&w, "two"); wire_put_double(&w, 3.5);
    wire_put_u64s(&w, (const uint64_t[]){ 1, 2, 0xffffffffffffffffull }, 3);
    return wire_w_take(&w, len);
}

static void frame_opens(void)
{
    size_t len;
    uint8_t *f = sample_frame(&len);
    WireR r;
    WireHdr h;
    const msgpack_object *p;
    wire_r_init(&r, "alice");
    CU_ASSERT_FATAL(wire_open_frame(&r, f, len, &h, &p));
    CU_ASSERT_STRING_EQUAL(h.kind, "plain");
    CU_ASSERT_EQUAL(h.from, 1); CU_ASSERT_EQUAL(h.to, 2); CU_ASSERT_EQUAL(h.round, 7);
    const msgpack_object_array *a;
    CU_ASSERT_FATAL(wire_get_array(&r, p, 4, 4, &a));
    int64_t i; const char *s; size_t n; double d; uint64_t u[3];
    CU_ASSERT(wire_get_int(&r, &a->ptr[0], 0, 10, &i) && i == 1);
    CU_ASSERT(wire_get_str(&r, &a->ptr[1], &s, &n) && n == 3 && !memcmp(s, "two", 3));
    CU_ASSERT(wire_get_double(&r, &a->ptr[2], &d) && d == 3.5);
    CU_ASSERT(wire_get_u64s(&r, &a->ptr[3], u, 3) && u[2] == 0xffffffffffffffffull);
    /* a wrong type is an error that says what was expected */
    CU_ASSERT_FALSE(wire_get_str(&r, &a->ptr[0], &s, &n));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.e.msg, "malformed message from alice: expected a str, got integer"));
    wire_r_free(&r);
    free(f);
}

/* Opening buf must fail with an error naming the sender. */
static void refused(const uint8_t *buf, size_t len, const char *why)
{
    WireR r;
    WireHdr h;
    const msgpack_object *p;
    wire_r_init(&r, "mallory");
    CU_ASSERT_FALSE(wire_open_frame(&r, buf, len, &h, &p));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.e.msg, "malformed message from mallory"));
    if (why && !strstr(r.e.msg, why)) fprintf(stderr, "  got: %s\n", r.e.msg);
    if (why) CU_ASSERT_PTR_NOT_NULL(strstr(r.e.msg, why));
    wire_r_free(&r);
}

static void malformed_frames_are_errors(void)
{
    size_t len;
    uint8_t *f = sample_frame(&len);
    for (size_t k = 0; k < len; k++) refused(f, k, "truncated");        /* every truncation */
    /* stray bytes after the frame */
    uint8_t *g = malloc(len + 1);
    memcpy(g, f, len); g[len] = 0xc0;
    refused(g, len + 1, "stray bytes");
    free(g);
    /* a wrong magic and a future version */
    uint8_t *m = malloc(len);
    memcpy(m, f, len); m[2] = 'X';
    refused(m, len, "not a ppdl frame");
    memcpy(m, f, len); m[6] = 9;
    refused(m, len, "version 9");
    free(m);
    /* lengths that promise more than the frame holds: refused before any allocation */
    refused((const uint8_t[]){ 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0 }, 6, "items declared");
    refused((const uint8_t[]){ 0xdf, 0x7f, 0xff, 0xff, 0xff }, 5, "items declared");
    refused((const uint8_t[]){ 0xc6, 0xff, 0xff, 0xff, 0xf0, 1, 2 }, 7, "a string of");
    refused((const uint8_t[]){ 0xc9, 0x7f, 0xff, 0xff, 0xff, 0x05 }, 6, "an ext of");
    refused((const uint8_t[]){ 0xc1 }, 1, "not msgpack");
    /* nesting deeper than the limit */
    uint8_t deep[200];
    memset(deep, 0x91, sizeof deep);
    deep[199] = 0xc0;
    refused(deep, sizeof deep, "nested deeper");
    /* an ext whose body is not exactly one object */
    refused((const uint8_t[]){ 0xd5, 0x02, 0xc0, 0xc0 }, 4, "stray bytes");
    /* oversized: more than the limit is refused by its length alone */
    WireR r;
    wire_r_init(&r, "mallory");
    CU_ASSERT_FALSE(wire_check(&r, f, len, len - 1));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.e.msg, "more than the limit"));
    wire_r_free(&r);
    free(f);
}

/* Random bytes, and random mutations of a good frame: never a crash. */
static void random_bytes_never_crash(void)
{
    Rng g;
    rng_seed(&g, 2024);
    size_t len;
    uint8_t *f = sample_frame(&len);
    uint8_t buf[256];
    int opened = 0;
    for (int t = 0; t < 20000; t++) {
        size_t n;
        if (t % 2) {
            n = (size_t)rng_below(&g, sizeof buf);
            rng_bytes(&g, buf, n);
        } else {
            n = len;
            memcpy(buf, f, len);
            for (int k = 0; k < 3; k++) buf[rng_below(&g, len)] = (uint8_t)rng_below(&g, 256);
        }
        WireR r;
        WireHdr h;
        const msgpack_object *p;
        wire_r_init(&r, "fuzz");
        bool ok = wire_open_frame(&r, buf, n, &h, &p);
        if (ok) {
            opened++;
            int8_t type;
            const msgpack_object *body;
            if (p->type == MSGPACK_OBJECT_EXT) (void)wire_get_ext(&r, p, &type, &body);
        } else CU_ASSERT(strncmp(r.e.msg, "malformed message from fuzz: ", 29) == 0);
        wire_r_free(&r);
    }
    CU_ASSERT(opened > 0);              /* some mutations leave a valid frame */
    free(f);
}

static void rounds_and_parallel(void)
{
    Tr t;
    Msg m;
    tr_init(&t);
    msg_init(&m, &t, NULL);
    /* protocol posts: the layer adds the envelope, rounds from 1 */
    msg_round(&m);
    msg_post(&m, 1, 2, "share", wire_size_ring(10), NULL);
    msg_post(&m, 1, 3, "share", wire_size_ring(10), NULL);
    CU_ASSERT_EQUAL(t.msgs[0].bytes, wire_size_envelope("share") + wire_size_ring(10));
    CU_ASSERT_EQUAL(t.msgs[0].round, 1); CU_ASSERT_EQUAL(t.msgs[1].round, 1);
    /* frames: each send its own round, the recorded size is the frame's */
    size_t len;
    uint8_t *f = sample_frame(&len);
    CU_ASSERT_EQUAL(msg_send_frame(&m, 1, 2, "plain", true, true, "x", f, len), 2);
    CU_ASSERT_EQUAL(t.msgs[2].round, 2);
    CU_ASSERT_EQUAL(t.msgs[2].bytes, len);
    CU_ASSERT_EQUAL(t.msgs[2].leak, 1);
    /* the receiver gets the frame, with the round it travelled in written in */
    uint8_t *got;
    size_t n;
    CU_ASSERT_EQUAL(msg_receive(&m, 1, 3, &got, &n), -1);         /* nothing for 3 */
    CU_ASSERT_FATAL(msg_receive(&m, 1, 2, &got, &n) == 0);
    WireR r; WireHdr h; const msgpack_object *p;
    wire_r_init(&r, "a");
    CU_ASSERT(wire_open_frame(&r, got, n, &h, &p) && h.round == 2);
    wire_r_free(&r);
    free(got);
    /* a parallel section: every user send in one round; a protocol round inside is its own */
    msg_parallel_begin(&m);
    for (int i = 0; i < 3; i++) {
        f = sample_frame(&len);
        msg_send_frame(&m, 1, 2 + i, "plain", true, false, NULL, f, len);
    }
    msg_round(&m);
    msg_post(&m, 4, 5, "open", 8, NULL);
    f = sample_frame(&len);
    msg_send_frame(&m, 5, 1, "plain", true, false, NULL, f, len);
    msg_parallel_end(&m);
    CU_ASSERT_EQUAL(t.msgs[3].round, 3); CU_ASSERT_EQUAL(t.msgs[5].round, 3);
    CU_ASSERT_EQUAL(t.msgs[6].round, 4);
    CU_ASSERT_EQUAL(t.msgs[7].round, 3);
    msg_post(&m, 1, 2, "open", 8, NULL);                          /* after the section: a new round */
    CU_ASSERT_EQUAL(t.msgs[8].round, 5);
    CU_ASSERT_EQUAL(tr_rounds(&t), 5);
    CU_ASSERT_EQUAL(tr_totals(&t, 1, -1, NULL).rounds, 4);        /* 1 sent in rounds 1, 2, 3, 5 */
    /* FIFO per pair: two frames 1 -> 2 come out in order */
    for (int i = 0; i < 2; i++) {
        WireW w;
        wire_w_init(&w);
        wire_put_envelope(&w, &(WireHdr){ .kind = "plain", .from = 1, .to = 2 });
        wire_put_int(&w, i);
        f = wire_w_take(&w, &len);
        msg_send_frame(&m, 1, 2, "plain", true, false, NULL, f, len);
    }
    for (int i = 0; i < 4; i++) {                                  /* 3 from the section, then ours */
        CU_ASSERT_FATAL(msg_receive(&m, i < 3 ? 1 : 5, i < 3 ? 2 + i : 1, &got, &n) == 0);
        free(got);
    }
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_FATAL(msg_receive(&m, 1, 2, &got, &n) == 0);
        CU_ASSERT_EQUAL(got[n - 1], i);
        free(got);
    }
    msg_free(&m);                                                 /* frees what is left */
    tr_free(&t);
}

/* The `to` field of a frame's envelope, or -1 if it does not open. */
static int frame_to(const uint8_t *f, size_t len)
{
    WireR r;
    WireHdr h;
    const msgpack_object *p;
    wire_r_init(&r, "test");
    int to = wire_open_frame(&r, f, len, &h, &p) ? h.to : -1;
    wire_r_free(&r);
    return to;
}

static int drops;
static void count_drop(uint8_t *base, size_t cap) { (void)cap; drops++; free(base); }

/* A block posted to several receivers: each takes the same bytes with its own number in
** the envelope (as a block, or as a plain copy), the transcript is the caller's, and the
** buffer goes when the last holder lets go; a transport without blocks gets copies. */
static void blocks_reach_each_receiver(void)
{
    for (int plain_tp = 0; plain_tp < 2; plain_tp++) {
        Tr t;
        Msg m;
        tr_init(&t);
        MsgTransport *tp = msg_transport_local();
        if (plain_tp) tp->post_block = NULL, tp->deliver_block = NULL;   /* as ZeroMQ */
        msg_init(&m, &t, tp);
        WireW w;
        wire_w_init(&w);
        wire_put_envelope(&w, &(WireHdr){ .kind = "open", .from = 1, .to = 2 });
        wire_put_int(&w, 77);
        size_t len = w.buf.size, off = 40;
        uint8_t *base = malloc(off + len);
        memcpy(base + off, w.buf.data, len);
        wire_w_free(&w);
        drops = 0;
        MsgBlock *b = msg_block_new(base, off + len, off, len, count_drop);
        for (int to = 2; to <= 4; to++) {
            b->holders++;
            CU_ASSERT_FATAL(msg_carry_block(&m, 1, to, b) == 0);
        }
        msg_block_release(b);                                     /* the sender lets go */
        CU_ASSERT_EQUAL(drops, plain_tp ? 1 : 0);                 /* copies were made */
        MsgBlock *got;
        CU_ASSERT_FATAL(msg_receive_block(&m, 1, 3, &got) == 0);
        CU_ASSERT_EQUAL(frame_to(got->base + got->off, got->len), 3);
        CU_ASSERT_EQUAL(got->base[got->off + got->len - 1], 77);
        uint8_t *f;
        size_t n;
        CU_ASSERT_FATAL(msg_receive(&m, 1, 2, &f, &n) == 0);      /* a plain receiver: a copy */
        CU_ASSERT(n == len && frame_to(f, n) == 2 && f[n - 1] == 77);
        free(f);
        CU_ASSERT_EQUAL(frame_to(got->base + got->off, got->len), 3);   /* still its own */
        msg_block_release(got);
        CU_ASSERT_EQUAL(drops, plain_tp ? 1 : 0);                 /* 1 -> 4 still waits */
        msg_free(&m);                                             /* drops what is left */
        CU_ASSERT_EQUAL(drops, 1);
        tr_free(&t);
    }
}

/* A skeleton removes every bin's bytes but a public one's: a private integer written
** with wire_put_mpz comes back from wire_flesh as zero, a public one (a public key's
** modulus) whole; wire_get_mpz reads both forms, and refuses an integer in another ext. */
static void skeletons_keep_public_integers(void)
{
    mpz_t x, y, got;
    mpz_inits(x, y, got, NULL);
    mpz_set_str(x, "123456789abcdef0123456789abcdef", 16);    /* a private value */
    mpz_set_str(y, "fedcba9876543210fedcba9876543210", 16);   /* a public one */
    WireW w; wire_w_init(&w);
    wire_put_envelope(&w, &(WireHdr){ .kind = "standin", .from = 1, .to = 2, .round = 0 });
    wire_put_array(&w, 2);
    wire_put_mpz(&w, x);
    wire_put_public_mpz(&w, y);
    size_t len, slen, flen;
    uint8_t *f = wire_w_take(&w, &len);
    WireR r; wire_r_init(&r, "alice");
    uint8_t *sk = wire_skeleton(&r, f, len, &slen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sk);
    /* the private bytes are gone from the skeleton, the public ones are there */
    unsigned char xb[16], yb[16];
    size_t nx, ny;
    mpz_export(xb, &nx, 1, 1, 1, 0, x);
    mpz_export(yb, &ny, 1, 1, 1, 0, y);
    CU_ASSERT_PTR_NULL(memmem(sk, slen, xb, nx));
    CU_ASSERT_PTR_NOT_NULL(memmem(sk, slen, yb, ny));
    uint8_t *fl = wire_flesh(&r, sk, slen, 1 << 20, &flen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fl);
    WireHdr h; const msgpack_object *p = NULL; const msgpack_object_array *a = NULL;
    CU_ASSERT_FATAL(wire_open_frame(&r, fl, flen, &h, &p) && wire_get_array(&r, p, 2, 2, &a));
    CU_ASSERT(wire_get_mpz(&r, &a->ptr[0], got) && mpz_sgn(got) == 0);
    CU_ASSERT(wire_get_mpz(&r, &a->ptr[1], got) && mpz_cmp(got, y) == 0);
    wire_r_free(&r);
    /* an integer inside any other ext is refused */
    WireW b; wire_w_init(&b);
    wire_put_bin(&b, yb, ny);
    wire_w_init(&w);
    wire_put_envelope(&w, &(WireHdr){ .kind = "plain", .from = 1, .to = 2, .round = 0 });
    wire_put_array(&w, 2);
    wire_put_int(&w, 1);
    wire_put_ext(&w, WIRE_EXT_TENSOR, &b);
    uint8_t *g = wire_w_take(&w, &len);
    wire_r_init(&r, "alice");
    CU_ASSERT_FATAL(wire_open_frame(&r, g, len, &h, &p));
    CU_ASSERT_FALSE(wire_get_mpz(&r, p, got));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.e.msg, "an integer in an ext of type 2"));
    wire_r_free(&r);
    free(f); free(sk); free(fl); free(g);
    mpz_clears(x, y, got, NULL);
}

/* A block over bytes something else owns (a network message read where it lies): the
** last holder wipes them if they are secret, then hands the owner to its release, once;
** nothing is freed by the layer itself. */
static int released;
static bool zero_at_release;
typedef struct { uint8_t bytes[96]; } Owner;
static void count_release(void *o)
{
    Owner *w = o;
    zero_at_release = true;
    for (size_t i = 0; i < sizeof w->bytes; i++) if (w->bytes[i]) zero_at_release = false;
    released++;
    free(w);
}

static void owned_blocks_go_back_to_their_owner(void)
{
    for (int secret = 0; secret < 2; secret++) {
        Owner *o = malloc(sizeof *o);
        memset(o->bytes, 0xab, sizeof o->bytes);
        released = 0;
        MsgBlock *b = msg_block_owned(o->bytes, sizeof o->bytes, o, count_release);
        CU_ASSERT(b->base == o->bytes && b->off == 0 && b->len == sizeof o->bytes && b->holders == 1);
        b->secret = secret;
        b->holders++;
        msg_block_release(b);
        CU_ASSERT_EQUAL(released, 0);                 /* one holder left */
        msg_block_release(b);
        CU_ASSERT_EQUAL(released, 1);
        CU_ASSERT_EQUAL(zero_at_release, secret);     /* wiped only when secret */
    }
}

int main(void)
{
    static const TU_Test tests[] = {
        {"sizes are what msgpack writes", sizes_are_what_msgpack_writes},
        {"a frame opens", frame_opens},
        {"malformed frames are errors", malformed_frames_are_errors},
        {"random bytes never crash", random_bytes_never_crash},
        {"rounds and parallel sections", rounds_and_parallel},
        {"blocks reach each receiver", blocks_reach_each_receiver},
        {"skeletons keep public integers", skeletons_keep_public_integers},
        {"owned blocks go back to their owner", owned_blocks_go_back_to_their_owner},
        {NULL, NULL}};
    return tu_main("wire", tests);
}
