/*
** test_replica.c — the replicated narrator's bookkeeping after an interrupted entry
** (interp/replica.c, rep_stop_merge): every process puts the same list of records in
** place of its own, in the entry's order whatever order the parties' "sent" frames list
** them in; the round goes on from the furthest one; a value that arrived in the entry
** points at its message's new place, or at none when its message was never sent (the
** store audit stays clean); a party that tells of another's message, or two parties that
** claim one message, are refused and the transcript goes back to where the entry began.
** The exchange itself runs across processes in tests/distributed/run.sh.
*/
#include "tu.h"
#include "distrib.h"
#include "interp.h"
#include "val.h"
#include "wire.h"
#include <stdlib.h>
#include <string.h>

static EvStatus run_in(Interp *I, const char *code)
{
    Source *s = src_new("t.ppdl", code, strlen(code), 1);
    EvStatus st = ev_run(I, s, false);
    src_release(s);
    return st;
}

typedef struct Rec { uint64_t idx; int from, to; const char *kind; uint64_t bytes; uint32_t round; const char *what; } Rec;

/* Party `from`'s "sent" frame for entry 1: its round and the records. */
static uint8_t *sent_frame(int from, uint32_t round, const Rec *r, size_t n, size_t *len)
{
    WireW w; wire_w_init(&w);
    WireHdr h = { "sent", from, 1, 1 };
    wire_put_envelope(&w, &h);
    wire_put_array(&w, 2);
    wire_put_uint(&w, round);
    wire_put_array(&w, n);
    for (size_t i = 0; i < n; i++) {
        wire_put_array(&w, 9);
        wire_put_uint(&w, r[i].idx);
        wire_put_uint(&w, (uint64_t)r[i].from);
        wire_put_uint(&w, (uint64_t)r[i].to);
        wire_put_cstr(&w, r[i].kind);
        wire_put_uint(&w, r[i].bytes);
        wire_put_uint(&w, r[i].round);
        wire_put_cstr(&w, "online");
        wire_put_bool(&w, false);
        if (r[i].what) wire_put_cstr(&w, r[i].what); else wire_put_nil(&w);
    }
    return wire_w_take(&w, len);
}

static int32_t origin(Interp *I, const char *name)
{
    Value *v = ev_get_global(I, name);
    return v && IS_HEAP(*v) ? v->as.o->origin : -2;
}

/* An entry that sent three lists from alice: to bob, to carol, to bob again; alice's
** process really sent the first and the third (the frame to carol never left). */
static Interp *entry(TrMark *m, size_t *lo)
{
    Interp *I = ev_new();
    run_in(I, "party alice, bob, carol\nv = [5] at alice\nw = send(v, to = bob)\n");
    *m = tr_mark(&I->tr);
    *lo = I->tr.n;
    run_in(I, "x = send(v, to = bob)\ny = send(v, to = carol)\nz = send(v, to = bob)\n");
    CU_ASSERT_EQUAL(I->tr.n, *lo + 3);
    CU_ASSERT_EQUAL(origin(I, "x"), (int32_t)*lo);
    CU_ASSERT_EQUAL(origin(I, "z"), (int32_t)*lo + 2);
    return I;
}

static void merged_in_order(void)
{
    TrMark m; size_t lo;
    Interp *I = entry(&m, &lo);
    uint32_t r0 = I->tr.msgs[lo].round;
    /* alice lists them out of order; bob numbered rounds further; carol sent nothing */
    Rec a[2] = { { lo + 2, 1, 2, "plain", 30, r0 + 2, "third" }, { lo, 1, 2, "plain", 30, r0, "first" } };
    uint8_t *f[3]; size_t len[3];
    f[0] = sent_frame(1, r0 + 2, a, 2, &len[0]);
    f[1] = sent_frame(2, r0 + 6, NULL, 0, &len[1]);
    f[2] = sent_frame(3, r0 + 1, NULL, 0, &len[2]);
    char why[256] = "";
    CU_ASSERT_TRUE(rep_stop_merge(I, m, f, len, 3, why, sizeof why));
    CU_ASSERT_STRING_EQUAL(why, "");
    CU_ASSERT_EQUAL(I->tr.n, lo + 2);
    CU_ASSERT_STRING_EQUAL(I->tr.msgs[lo].what, "first");
    CU_ASSERT_STRING_EQUAL(I->tr.msgs[lo + 1].what, "third");
    CU_ASSERT_EQUAL(I->tr.msgs[lo + 1].round, r0 + 2);
    CU_ASSERT_EQUAL(I->tr.msgs[lo + 1].to, 2);
    CU_ASSERT_EQUAL(I->tr.round, r0 + 6);       /* the furthest round */
    CU_ASSERT_EQUAL(I->tr.pending, 1);          /* the next message opens a new one */
    CU_ASSERT_EQUAL(I->rep_synced, lo + 2);
    /* what arrived points at its message's new place; y's message is gone */
    CU_ASSERT_EQUAL(origin(I, "x"), (int32_t)lo);
    CU_ASSERT_EQUAL(origin(I, "z"), (int32_t)lo + 1);
    CU_ASSERT_EQUAL(origin(I, "y"), -1);
    CU_ASSERT_EQUAL(origin(I, "w"), (int32_t)lo - 1);   /* before the entry: untouched */
    Sb log; sb_init(&log);
    CU_ASSERT_EQUAL(ev_store_audit(I, &log), 0);
    sb_free(&log);
    /* the next entry goes on in step */
    CU_ASSERT_EQUAL(run_in(I, "u = send(v, to = carol)\n"), EV_OK);
    CU_ASSERT_EQUAL(I->tr.n, lo + 3);
    CU_ASSERT_EQUAL(I->tr.msgs[lo + 2].round, r0 + 7);
    for (int q = 0; q < 3; q++) free(f[q]);
    ev_free(I);
}

/* A frame that is not what it should be: the transcript goes back to the entry's start. */
static void refused(void)
{
    for (int k = 0; k < 3; k++) {
        TrMark m; size_t lo;
        Interp *I = entry(&m, &lo);
        uint32_t r0 = I->tr.msgs[lo].round;
        Rec a[1] = { { lo, 1, 2, "plain", 30, r0, "first" } };
        uint8_t *f[3]; size_t len[3];
        f[0] = sent_frame(1, r0, a, 1, &len[0]);
        /* k 0: bob tells of alice's message; 1: bob claims alice's message as his own;
           2: carol's frame is not a list */
        Rec b[1] = { { lo + 1, 1, 3, "plain", 30, r0, NULL } };
        Rec c[1] = { { lo, 2, 1, "plain", 30, r0, NULL } };
        f[1] = k == 0 ? sent_frame(2, r0, b, 1, &len[1]) : k == 1 ? sent_frame(2, r0, c, 1, &len[1])
                      : sent_frame(2, r0, NULL, 0, &len[1]);
        f[2] = sent_frame(3, r0, NULL, 0, &len[2]);
        if (k == 2) len[2] -= 1;
        char why[256] = "";
        CU_ASSERT_FALSE(rep_stop_merge(I, m, f, len, 3, why, sizeof why));
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "the processes diverged"));
        CU_ASSERT_EQUAL(I->tr.n, lo);
        for (int q = 0; q < 3; q++) free(f[q]);
        ev_free(I);
    }
}

/* A process that did not run the entry sends an empty list, which adds nothing. */
static void empty_frame(void)
{
    TrMark m; size_t lo;
    Interp *I = entry(&m, &lo);
    uint8_t *f[3]; size_t len[3];
    for (int q = 0; q < 3; q++) {
        f[q] = rep_stop_frame(NULL, q + 1, 1, 0, NULL, &len[q]);
        WireR r; WireHdr h; const msgpack_object *p;
        wire_r_init(&r, "test");
        CU_ASSERT_TRUE(wire_open_frame(&r, f[q], len[q], &h, &p) && strcmp(h.kind, "sent") == 0 &&
                       h.from == q + 1 && h.round == 1);
        wire_r_free(&r);
    }
    char why[256] = "";
    CU_ASSERT_TRUE(rep_stop_merge(I, m, f, len, 3, why, sizeof why));
    CU_ASSERT_EQUAL(I->tr.n, lo);
    CU_ASSERT_EQUAL(origin(I, "x"), -1);
    for (int q = 0; q < 3; q++) free(f[q]);
    ev_free(I);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"records merged in the entry's order", merged_in_order},
        {"a wrong list is refused", refused},
        {"an empty list adds nothing", empty_frame},
        {NULL, NULL}};
    return tu_main("replica", tests);
}
