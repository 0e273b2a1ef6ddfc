/*
** test_val.c — values: construction and display, equality, deep copy, reference
** counting, records, owners, and the cycle collector freeing what refcounting cannot.
*/
#include "tu.h"
#include "interp.h"
#include "val.h"
#include <string.h>

static char *shown(Value v)
{
    static char buf[512];
    Sb b; sb_init(&b);
    val_show(NULL, v, &b, false);
    snprintf(buf, sizeof buf, "%s", b.s);
    sb_free(&b);
    return buf;
}

static void display(void)
{
    CU_ASSERT_STRING_EQUAL(shown(VNUM(3)), "3");
    CU_ASSERT_STRING_EQUAL(shown(VNUM(0.1)), "0.1");
    CU_ASSERT_STRING_EQUAL(shown(VNUM(-0.0)), "0");
    CU_ASSERT_STRING_EQUAL(shown(VNUM(1e300 * 1e10)), "inf");
    CU_ASSERT_STRING_EQUAL(shown(VBOOL(1)), "true");
    CU_ASSERT_STRING_EQUAL(shown(VNONE), "none");
    Value s = val_cstr("a\"b\n");
    CU_ASSERT_STRING_EQUAL(shown(s), "\"a\\\"b\\n\"");
    Value l = val_list(0);
    val_list_push(l, VNUM(1)); val_list_push(l, s);
    CU_ASSERT_STRING_EQUAL(shown(l), "[1, \"a\\\"b\\n\"]");
    val_release(l);
}

static void equality_and_copy(void)
{
    SymTab st; sym_init(&st);
    Value r = val_rec();
    val_rec_set(r, sym_cstr(&st, "lr"), VNUM(0.1));
    Value inner = val_list(0);
    val_list_push(inner, VNUM(2));
    val_rec_set(r, sym_cstr(&st, "xs"), inner);
    Value c = val_copy(r);
    CU_ASSERT(val_equal(r, c));
    CU_ASSERT_PTR_NOT_EQUAL(c.as.o, r.as.o);
    val_list_push(*val_rec_get(c, sym_cstr(&st, "xs")), VNUM(3));   /* deep: r unchanged */
    CU_ASSERT(!val_equal(r, c));
    CU_ASSERT_EQUAL(AS_LIST(*val_rec_get(r, sym_cstr(&st, "xs")))->n, 1);
    val_rec_set(r, sym_cstr(&st, "lr"), VNUM(0.2));                  /* replaces */
    CU_ASSERT_EQUAL(AS_REC(r)->n, 2);
    CU_ASSERT(val_equal(*val_rec_get(r, sym_cstr(&st, "lr")), VNUM(0.2)));
    CU_ASSERT(val_equal(VNUM(1), val_at(VNUM(1), 2)));   /* equality ignores placement */
    val_release(r); val_release(c);
    sym_free(&st);
}

static void refcounts(void)
{
    size_t before = val_live_objects();
    Value s = val_cstr("x");
    Value t = val_retain(s);
    CU_ASSERT_EQUAL(s.as.o->rc, 2);
    val_release(t);
    CU_ASSERT_EQUAL(val_live_objects(), before + 1);
    val_release(s);
    CU_ASSERT_EQUAL(val_live_objects(), before);
}

static void truthiness_and_types(void)
{
    CU_ASSERT(!val_truthy(VNUM(0)));
    CU_ASSERT(val_truthy(VNUM(2)));
    CU_ASSERT(!val_truthy(VNONE));
    Value e = val_list(0);
    CU_ASSERT(!val_truthy(e));
    CU_ASSERT_STRING_EQUAL(val_type_name(e), "list");
    val_release(e);
    CU_ASSERT_STRING_EQUAL(val_type_name(VPARTY(1)), "party");
    Value owned = val_at(VNUM(4), 3);
    CU_ASSERT_EQUAL(owned.owner, 3);
}

static void collector_frees_cycles(void)
{
    size_t before = val_live_objects();
    Value a = val_list(0), b = val_list(0);
    val_list_push(a, val_retain(b));
    val_list_push(b, val_retain(a));       /* a <-> b */
    Value keep = val_list(0);
    val_list_push(keep, VNUM(1));
    val_release(a); val_release(b);        /* the cycle is now garbage */
    CU_ASSERT_EQUAL(val_live_objects(), before + 3);
    val_collect(&keep, 1, NULL, 0);
    CU_ASSERT_EQUAL(val_live_objects(), before + 1);   /* only `keep` is left */
    CU_ASSERT_EQUAL(AS_LIST(keep)->n, 1);
    val_release(keep);
    CU_ASSERT_EQUAL(val_live_objects(), before);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"display", display},
        {"equality and deep copy", equality_and_copy},
        {"reference counts", refcounts},
        {"truthiness, types, owners", truthiness_and_types},
        {"collector frees cycles", collector_frees_cycles},
        {NULL, NULL}};
    return tu_main("values", tests);
}
