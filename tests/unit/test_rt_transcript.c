/*
** test_rt_transcript.c — the transcript: messages recorded in order with sizes, rounds and
** phases; per-party totals for sent and received messages; interned phase labels; records
** copied from another process (tr_append).
*/
#include "tu.h"
#include "transcript.h"
#include <string.h>

static void transcript_totals(void)
{
    Tr t;
    tr_init(&t);
    tr_send(&t, 1, 3, "share", 8, 0, NULL);
    tr_send(&t, 2, 3, "share", 8, 0, "x");
    tr_next_round(&t);
    tr_phase(&t, "offline");
    tr_send(&t, 3, 1, "triple", 24, 0, NULL);
    TrTotals r = tr_totals(&t, -1, 3, NULL);
    CU_ASSERT_EQUAL(r.msgs, 2); CU_ASSERT_EQUAL(r.bytes, 16); CU_ASSERT_EQUAL(r.rounds, 1);
    TrTotals o = tr_totals(&t, 3, -1, "offline");
    CU_ASSERT_EQUAL(o.msgs, 1); CU_ASSERT_EQUAL(o.bytes, 24);
    CU_ASSERT_STRING_EQUAL(t.msgs[1].what, "x");
    tr_free(&t);
}

static void phases_interned(void)
{
    Tr t;
    tr_init(&t);
    CU_ASSERT_STRING_EQUAL(t.phase, "online");
    const char *old = tr_phase(&t, "offline");
    CU_ASSERT_STRING_EQUAL(old, "online");
    const char *p1 = t.phase;
    tr_phase(&t, "online");
    tr_phase(&t, "offline");
    CU_ASSERT_PTR_EQUAL(t.phase, p1);
    CU_ASSERT_EQUAL(t.nphases, 2);
    tr_send(&t, 1, 2, "open", 16, 0, NULL);
    tr_send(&t, 2, 1, "open", 16, 0, NULL);
    CU_ASSERT_EQUAL(tr_totals(&t, 1, -1, "offline").msgs, 1);
    CU_ASSERT_EQUAL(tr_totals(&t, -1, -1, "online").msgs, 0);
    tr_clear(&t);
    CU_ASSERT_EQUAL(t.n, 0);
    tr_free(&t);
}

static void rounds_counted(void)
{
    Tr t;
    tr_init(&t);
    for (int r = 0; r < 5; r++) {
        tr_send(&t, 1, 2, "share", 8, 0, NULL);
        tr_send(&t, 1, 3, "share", 8, 0, NULL);
        tr_next_round(&t);
    }
    TrTotals s = tr_totals(&t, 1, -1, NULL);
    CU_ASSERT_EQUAL(s.msgs, 10); CU_ASSERT_EQUAL(s.bytes, 80); CU_ASSERT_EQUAL(s.rounds, 5);
    CU_ASSERT_EQUAL(t.msgs[0].round, 1);        /* rounds are numbered from 1 */
    CU_ASSERT_EQUAL(t.msgs[9].round, 5);
    CU_ASSERT_EQUAL(tr_rounds(&t), 5);
    tr_free(&t);
}

/* A record made in another process (after an interrupted entry) is copied: its kind and
** phase interned (one copy per label, the phase shared with tr_phase's), its description
** duplicated, its round kept, and the current round not moved. */
static void records_appended(void)
{
    Tr t;
    tr_init(&t);
    tr_send(&t, 1, 2, "share", 8, 0, NULL);
    TrMark m = tr_mark(&t);
    tr_send(&t, 1, 2, "share", 8, 0, "gone");
    tr_rewind(&t, m);
    CU_ASSERT_EQUAL(t.n, 1);
    char kind[] = "plain", phase[] = "offline", what[] = "5";
    TrMsg r = { 1, 2, kind, 25, 7, phase, 1, what };
    CU_ASSERT_EQUAL(tr_append(&t, &r), 1);
    kind[0] = phase[0] = what[0] = 'X';         /* the caller's buffers are not kept */
    CU_ASSERT_STRING_EQUAL(t.msgs[1].kind, "plain");
    CU_ASSERT_STRING_EQUAL(t.msgs[1].phase, "offline");
    CU_ASSERT_STRING_EQUAL(t.msgs[1].what, "5");
    CU_ASSERT_EQUAL(t.msgs[1].round, 7);
    CU_ASSERT_EQUAL(t.msgs[1].leak, 1);
    CU_ASSERT_EQUAL(t.round, 1);                /* the caller sets the round */
    TrMsg r2 = { 1, 2, "plain", 25, 7, "offline", 0, "6" };
    tr_append(&t, &r2);
    CU_ASSERT_PTR_EQUAL(t.msgs[1].kind, t.msgs[2].kind);
    tr_phase(&t, "offline");
    CU_ASSERT_PTR_EQUAL(t.phase, t.msgs[1].phase);
    CU_ASSERT_PTR_EQUAL(tr_intern(&t, "plain"), t.msgs[1].kind);
    TrMsg q = { 2, 1, "open", 9, 8, "online", 0, NULL };
    tr_append(&t, &q);
    CU_ASSERT_PTR_NULL(t.msgs[3].what);
    CU_ASSERT_EQUAL(tr_totals(&t, 1, -1, "offline").msgs, 2);
    CU_ASSERT_EQUAL(tr_rounds(&t), 3);
    tr_free(&t);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"totals per party and phase", transcript_totals},
        {"phases interned", phases_interned},
        {"rounds counted", rounds_counted},
        {"records appended from another process", records_appended},
        {NULL, NULL}};
    return tu_main("transcript", tests);
}
