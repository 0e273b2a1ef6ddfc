/*
** test_heap.c — two interpreters in one process, each with its own heap: the cycle
** collector of one (between statements, or when it is freed) neither frees nor empties
** the objects of the other, and each counts only its own live objects.
*/
#include "tu.h"
#include "interp.h"
#include "val.h"
#include <string.h>

static char out_buf[1 << 12];

/* Runs code in I; its printed text in out_buf. */
static EvStatus run_in(Interp *I, const char *code)
{
    memset(out_buf, 0, sizeof out_buf);
    FILE *o = fmemopen(out_buf, sizeof out_buf, "w");
    I->out = o;
    Source *s = src_new("t.ppdl", code, strlen(code), 1);
    EvStatus st = ev_run(I, s, false);
    src_release(s);
    fclose(o);
    I->out = stdout;
    return st;
}

/* Freeing one interpreter collects its heap, not the other's. */
static void free_one_keeps_other(void)
{
    Interp *a = ev_new(), *b = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "x = [[1], [2, 3], \"s\"]"), EV_OK);
    CU_ASSERT_EQUAL(run_in(b, "y = [[4], [5]]"), EV_OK);
    ev_free(b);
    CU_ASSERT_EQUAL(run_in(a, "print(x)"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "[[1], [2, 3], \"s\"]\n");
    ev_free(a);
}

/* A collection in one interpreter (its globals the roots) leaves the other's values. */
static void collect_one_keeps_other(void)
{
    Interp *a = ev_new(), *b = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "x = [[1], [2]]\nl = [1]\nappend(l, l)\nl = none"), EV_OK);
    CU_ASSERT_EQUAL(run_in(b, "y = [[4], [5]]"), EV_OK);
    size_t before = val_live_objects();             /* b's heap, the one used last */
    CU_ASSERT_EQUAL(run_in(b, "z = [6]"), EV_OK);
    CU_ASSERT_EQUAL(val_live_objects(), before + 1);
    val_collect(b->globals, b->gcap, NULL, 0);
    CU_ASSERT_EQUAL(val_live_objects(), before + 1);
    CU_ASSERT_EQUAL(run_in(a, "print(x)"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "[[1], [2]]\n");
    CU_ASSERT_EQUAL(run_in(b, "print(y, z)"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "[[4], [5]] [6]\n");
    /* a's cycle is a's garbage: collecting a frees it, b's count does not move */
    size_t in_a = val_live_objects_of(&a->heap), in_b = val_live_objects_of(&b->heap);
    val_use_heap(&a->heap);
    val_collect(a->globals, a->gcap, NULL, 0);
    CU_ASSERT_EQUAL(val_live_objects_of(&a->heap), in_a - 1);
    CU_ASSERT_EQUAL(val_live_objects_of(&b->heap), in_b);
    ev_free(a);
    CU_ASSERT_EQUAL(run_in(b, "print(y)"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "[[4], [5]]\n");
    ev_free(b);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"freeing one interpreter keeps the other's values", free_one_keeps_other},
        {"collecting one interpreter keeps the other's values", collect_one_keeps_other},
        {NULL, NULL}};
    return tu_main("heap", tests);
}
