/*
** test_store.c — stores per party (interp/store.c, val_place in interp/val.c): placing a
** value deep, the store audit after a random sequence of operations over four parties
** (every object in a party's store was created there or arrived in a message it
** received, and is reached only as that party's data), and the audit catching a value
** put in the wrong store by hand.
*/
#include "tu.h"
#include "interp.h"
#include "val.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *null_out;

static Interp *fresh(void)
{
    Interp *I = ev_new();
    I->out = null_out; I->errout = null_out;
    return I;
}

static EvStatus run_in(Interp *I, const char *code)
{
    Source *s = src_new("t.ppdl", code, strlen(code), 1);
    EvStatus st = ev_run(I, s, false);
    src_release(s);
    return st;
}

static void place_deep(void)
{
    Value inner = val_list(2);
    val_list_push(inner, VNUM(1));
    val_list_push(inner, val_cstr("x"));
    Value outer = val_list(1);
    val_list_push(outer, inner);
    val_place(&outer, 3, 7);
    CU_ASSERT_EQUAL(outer.owner, 3);
    CU_ASSERT_EQUAL(outer.as.o->party, 3);
    CU_ASSERT_EQUAL(outer.as.o->origin, 7);
    Value in = AS_LIST(outer)->v[0];
    CU_ASSERT_EQUAL(in.owner, 3);
    CU_ASSERT_EQUAL(in.as.o->party, 3);
    CU_ASSERT_EQUAL(AS_LIST(in)->v[0].owner, 3);
    CU_ASSERT_EQUAL(AS_LIST(in)->v[1].as.o->party, 3);
    CU_ASSERT_EQUAL(AS_LIST(in)->v[1].as.o->origin, 7);
    CU_ASSERT_EQUAL(AS_LIST(in)->v[1].as.o->mark, 0);      /* marks cleared */
    int other;
    CU_ASSERT_EQUAL(val_party(outer, &other), 3);
    CU_ASSERT_EQUAL(other, 0);
    val_release(outer);
}

static void party_of_contents(void)
{
    Value l = val_list(3);
    val_list_push(l, VNUM(1));
    val_list_push(l, val_at(VNUM(2), 1));
    int other;
    CU_ASSERT_EQUAL(val_party(l, &other), 1);
    CU_ASSERT_EQUAL(other, 0);
    val_list_push(l, val_at(VNUM(3), 2));
    CU_ASSERT_EQUAL(val_party(l, &other), 1);
    CU_ASSERT_EQUAL(other, 2);
    val_release(l);
}

/* Random statements over four parties; errors (refusals) are expected and ignored. */
static void audit_after_random_operations(void)
{
    static const char *const P[] = { "a", "b", "c", "d" };
    Interp *I = fresh();
    CU_ASSERT_EQUAL(run_in(I, "party a, b, c, d\nseed(3)\n"
                              "ss = additive(among = [a, b, c], frac_bits = 16, dealer = d)\n"
                              "v0 = 1\nv1 = [1, 2]\nv2 = tensor([1, 2])\nv3 = \"s\"\n"), EV_OK);
    unsigned st = 12345;
    char code[256];
    int refused = 0;
    for (int step = 0; step < 400; step++) {
        st = st * 1103515245u + 12345u;
        unsigned r = st >> 8;
        int k = (int)(r % 8), i = (int)((r >> 3) % 8), j = (int)((r >> 6) % 8);
        const char *p = P[(r >> 9) % 4], *q = P[(r >> 11) % 4];
        switch ((r >> 13) % 14) {
        case 0: snprintf(code, sizeof code, "v%d = %u at %s", k, r % 100, p); break;
        case 1: snprintf(code, sizeof code, "v%d = [v%d, v%d]", k, i, j); break;
        case 2: snprintf(code, sizeof code, "on %s { w%d = v%d + 1 }", p, k, i); break;
        case 3: snprintf(code, sizeof code, "on %s { v%d = send(v%d * 2, to = %s) }", p, k, i, q); break;
        case 4: snprintf(code, sizeof code, "on %s { l%d = []; append(l%d, v%d); v%d = l%d }", p, step, step, i, k, step); break;
        case 5: snprintf(code, sizeof code, "v%d = f\"{v%d}\"", k, i); break;
        case 6: snprintf(code, sizeof code, "v%d = tensor([%u, 2]) at %s", k, r % 9, p); break;
        case 7: snprintf(code, sizeof code, "on %s { v%d = v%d * 2 }", p, k, i); break;
        case 8: snprintf(code, sizeof code, "v%d = {a = v%d, b = v%d}", k, i, j); break;
        case 9: snprintf(code, sizeof code, "v%d = v%d at %s", k, i, p); break;
        case 10: snprintf(code, sizeof code, "v%d = reveal(share(tensor([1, 2]) at %s, ss), to = %s)", k, P[r % 3], q); break;
        case 11: snprintf(code, sizeof code, "on %s { v%d = str(v%d) }", p, k, i); break;
        case 12: snprintf(code, sizeof code, "v%d = v%d + v%d", k, i, j); break;
        default: snprintf(code, sizeof code, "v%d = v%d[0]", k, i); break;
        }
        if (run_in(I, code) != EV_OK) refused++;
    }
    CU_ASSERT(refused > 0 && refused < 300);        /* both kinds happened */
    CU_ASSERT(I->tr.n > 10);                        /* messages were sent */
    fprintf(stderr, "store audit: %d of 400 refused, %zu messages\n", refused, I->tr.n);
    Sb log; sb_init(&log);
    size_t bad = ev_store_audit(I, &log);
    CU_ASSERT_EQUAL(bad, 0);
    if (bad) fprintf(stderr, "%s", log.s);
    if (bad) for (uint32_t g = 0; g < I->gcap; g++) if (I->gdefined[g] && IS_HEAP(I->globals[g])) fprintf(stderr, "%s %s owner %d party %d\n", sym_byid(&I->syms, g)->name, val_type_name(I->globals[g]), I->globals[g].owner, I->globals[g].as.o->party);
    sb_free(&log);
    ev_free(I);
}

static void audit_catches_a_misplaced_value(void)
{
    Interp *I = fresh();
    CU_ASSERT_EQUAL(run_in(I, "party a, b\nx = [1, 2] at a\ny = 3\n"), EV_OK);
    Sb log; sb_init(&log);
    CU_ASSERT_EQUAL(ev_store_audit(I, &log), 0);
    Value *x = ev_get_global(I, "x");
    x->as.o->party = 2;                             /* a's list put in b's store */
    CU_ASSERT_EQUAL(ev_store_audit(I, &log), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(log.s, "b's store is reachable as a's data"));
    x->as.o->party = 1; x->as.o->origin = 0;        /* claims a message a never received */
    log.n = 0; log.s[0] = 0;
    CU_ASSERT_EQUAL(ev_store_audit(I, &log), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(log.s, "did not receive"));
    x->as.o->origin = -1;
    sb_free(&log);
    ev_free(I);
}

int main(void)
{
    null_out = fopen("/dev/null", "w");
    static const TU_Test tests[] = {
        {"val_place sets party and origin deep", place_deep},
        {"val_party of contents", party_of_contents},
        {"audit after random operations over 4 parties", audit_after_random_operations},
        {"audit catches a misplaced value", audit_catches_a_misplaced_value},
        {NULL, NULL}};
    int rc = tu_main("store", tests);
    fclose(null_out);
    return rc;
}
