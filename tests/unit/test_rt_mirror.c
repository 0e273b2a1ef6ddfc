/*
** test_rt_mirror.c — the mirrored carrier (runtime/transport_mirror.c) over two ZeroMQ
** ends on tcp://127.0.0.1: mirror_sent counts the protocol frames this party's process
** really sent to each party, and nothing else: not a frame between other parties (it
** stays in the local queues), not a side frame, not a frame refused because the narrator
** interrupted the entry.  After an interrupt, the records of the messages that crossed
** are those the count allows (interp/replica.c), so a count too high would put a message
** nobody received into view().
*/
#include "tu.h"
#include "parties_file.h"
#include "transport_mirror.h"
#include "transport_zmq.h"
#include "wire.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static const char *const names[] = { "alice", "bob", "carol" };

static const char *party_name(void *ctx, int id)
{
    (void)ctx;
    return id >= 1 && id <= 3 ? names[id - 1] : NULL;
}

/* A frame of `kind` from -> to in round 1. */
static uint8_t *kind_frame(const char *kind, int from, int to, size_t *len)
{
    WireW w;
    wire_w_init(&w);
    WireHdr h = { kind, from, to, 1 };
    wire_put_envelope(&w, &h);
    wire_put_nil(&w);
    return wire_w_take(&w, len);
}

static void sent_counts_frames_that_left(void)
{
    char pub[3][41], sec[3][41], text[1024] = "", err[256];
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_FATAL(zmq_curve_keypair(pub[i], sec[i]) == 0);
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "party %s endpoint tcp://127.0.0.1:%d key %s\n", names[i],
                 free_port(), pub[i]);
    }
    PartiesFile pf;
    CU_ASSERT_FATAL(pf_parse(&pf, "test", text, strlen(text), err, sizeof err) == 0);
    TzConfig ca = { &pf, 1, sec[0], 3000, 0 }, cb = { &pf, 2, sec[1], 3000, 0 };
    MsgTransport *a = tz_open(&ca, err, sizeof err), *b = tz_open(&cb, err, sizeof err);
    CU_ASSERT_FATAL(a && b);
    MirrorConfig mc = { a, &pf, "alice", party_name, NULL, 0, NULL };
    MsgTransport *m = mirror_open(&mc);
    CU_ASSERT_EQUAL(mirror_me(m), 1);
    size_t len;
    for (int i = 0; i < 3; i++) {                           /* alice's to bob: they leave */
        uint8_t *f = kind_frame("plain", 1, 2, &len);
        CU_ASSERT(m->post(m, 1, 2, f, len) == 0);
    }
    uint8_t *f = kind_frame("plain", 2, 3, &len);           /* bob's to carol: simulated here */
    CU_ASSERT(m->post(m, 2, 3, f, len) == 0);
    f = kind_frame("peek", 1, 2, &len);                     /* a side frame */
    mirror_side_post(m, 2, f, len);
    CU_ASSERT_EQUAL(mirror_sent(m, 2), 3);
    CU_ASSERT_EQUAL(mirror_sent(m, 3), 0);
    CU_ASSERT_EQUAL(mirror_sent(m, 1), 0);
    uint8_t *got; size_t n;
    for (int i = 0; i < 4; i++) {                           /* bob got three frames and the side frame */
        if (b->deliver(b, 1, 2, &got, &n) == 0) free(got);
        else CU_FAIL("a frame alice sent did not reach bob");
    }
    /* the narrator interrupts entry 1: alice's next frame is refused and not counted */
    volatile sig_atomic_t flag = 0;
    tz_watch(a, 1, &flag);
    f = kind_frame("interrupt", 2, 1, &len);
    CU_ASSERT(b->post(b, 2, 1, f, len) == 0);
    for (int i = 0; i < 300 && !flag; i++) { struct timespec ts = { 0, 10 * 1000 * 1000 }; nanosleep(&ts, NULL); }
    CU_ASSERT(flag == 1);
    f = kind_frame("plain", 1, 2, &len);
    CU_ASSERT(m->post(m, 1, 2, f, len) == -1);
    free(f);
    CU_ASSERT_EQUAL(mirror_sent(m, 2), 3);
    m->close(m);                                            /* closes a too */
    b->close(b);
    pf_free(&pf);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"mirror_sent counts the frames that left", sent_counts_frames_that_left},
        {NULL, NULL}};
    return tu_main("mirror", tests);
}
