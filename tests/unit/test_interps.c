/*
** test_interps.c — two interpreters in one process share no state a program can reach:
** a Paillier private key made in one is not in the other's key ring (a scheme arriving
** at the same party id there stays public-key only), the store one interpreter is
** creating objects in (inside `on p`) is not where the other's new objects go, and the
** timing of one's last PATE speed() run is not the other's speed_timing(), and the key
** pairs of dealer-free triples (dealer = none) made in one are not found in the other.  The heap's
** own separation is test_heap.c's.
*/
#include "tu.h"
#include "interp.h"
#include "val.h"
#include "lib_wire.h"
#include <stdlib.h>
#include <string.h>

static char out_buf[1 << 12];

/* Runs code in I; its printed text in out_buf, its error text in err_buf. */
static char err_buf[1 << 12];
static EvStatus run_in(Interp *I, const char *code)
{
    memset(out_buf, 0, sizeof out_buf);
    memset(err_buf, 0, sizeof err_buf);
    FILE *o = fmemopen(out_buf, sizeof out_buf, "w"), *e = fmemopen(err_buf, sizeof err_buf, "w");
    I->out = o; I->errout = e;
    Source *s = src_new("t.ppdl", code, strlen(code), 1);
    EvStatus st = ev_run(I, s, false);
    src_release(s);
    fclose(o); fclose(e);
    I->out = stdout; I->errout = stderr;
    return st;
}

/* A's global `name`, framed by party `from` for party `to` and read by `into` as the
** global `as`. */
static void carry(Interp *A, const char *name, const char *from, const char *to, Interp *into,
                  const char *as)
{
    Value *g = ev_get_global(A, name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    size_t len = 0;
    uint8_t *buf = lib_wire_frame(A, *g, "value", ev_party_id(A, from), ev_party_id(A, to), &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    Value v = lib_wire_read(into, buf, len, ev_party_id(into, from));
    free(buf);
    if (IS_ERR(v)) fprintf(stderr, "  %s\n", into->err_msg ? into->err_msg : "?");
    CU_ASSERT_FATAL(!IS_ERR(v));
    ev_set_global(into, as, v);
}

/* A's scheme (keyholder alice), framed for alice and read by `into` as the global he. */
static void carry_scheme(Interp *A, Interp *into) { carry(A, "he", "bob", "alice", into, "he"); }

static const char *const decrypt_at_alice = "on alice { print(decrypt(encrypt(5, he))) }";

/* The control: within A, the scheme arriving at alice gets alice's key from A's ring. */
static void key_ring_serves_own_interp(void)
{
    Interp *a = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "seed(1)\nparty alice\nparty bob\nhe = paillier(bits = 256, keyholder = alice)"), EV_OK);
    carry_scheme(a, a);
    CU_ASSERT_EQUAL(run_in(a, decrypt_at_alice), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "5\n");
    ev_free(a);
}

/* B has parties of the same ids, but the key was made in A: B cannot decrypt. */
static void key_ring_is_per_interp(void)
{
    Interp *a = ev_new(), *b = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "seed(1)\nparty alice\nparty bob\nhe = paillier(bits = 256, keyholder = alice)"), EV_OK);
    CU_ASSERT_EQUAL(run_in(b, "party alice\nparty bob"), EV_OK);
    carry_scheme(a, b);
    CU_ASSERT_EQUAL(run_in(b, decrypt_at_alice), EV_ERROR);
    CU_ASSERT_STRING_EQUAL(out_buf, "");
    CU_ASSERT_PTR_NOT_NULL(strstr(err_buf, "decrypt"));
    /* and A, freed first, leaves B's copy usable as a public key */
    ev_free(a);
    CU_ASSERT_EQUAL(run_in(b, "on bob { c = encrypt(2, he)\nprint(c.shape) }"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "[]\n");
    ev_free(b);
}

/* A scheme outliving its interpreter (held by the test) is freed safely afterwards. */
static void scheme_outlives_interp(void)
{
    Interp *a = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "seed(1)\nparty alice\nhe = paillier(bits = 256, keyholder = alice)"), EV_OK);
    Value he = val_retain(*ev_get_global(a, "he"));
    ev_free(a);
    val_release(he);
}

/* Inside `on p` of one interpreter, the other's new objects stay in its own store. */
static void store_is_per_interp(void)
{
    Interp *a = ev_new(), *b = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "party alice"), EV_OK);
    CU_ASSERT_EQUAL(run_in(b, "party alice"), EV_OK);
    val_use_heap(&a->heap);
    val_set_store(ev_party_id(a, "alice"));         /* a is creating alice's objects */
    CU_ASSERT_EQUAL(run_in(b, "x = [1, 2]"), EV_OK);
    Value *x = ev_get_global(b, "x");
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_EQUAL(x->as.o->party, 0);             /* b's top level: public */
    CU_ASSERT_EQUAL(ev_store_audit(b, NULL), 0);
    val_use_heap(&a->heap);
    CU_ASSERT_EQUAL(val_store(), ev_party_id(a, "alice"));
    val_set_store(0);
    ev_free(a);
    ev_free(b);
}

/* speed_timing() tells an interpreter's own last run, none in the other. */
static void speed_timing_is_per_interp(void)
{
    Interp *a = ev_new(), *b = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "seed(1)\nparty t1, t2, agg, srv, st\n"
                              "scheme he = paillier(bits = 512, keyholder = srv)\n"
                              "l = speed([tensor([[0, 1]]) at t1, tensor([[0, 1]]) at t2], "
                              "mechanism = {mechanism = \"lnmax\", scale = 2}, he = he, "
                              "aggregator = agg, server = srv, student = st)\n"
                              "print(speed_timing() != none)"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "true\n");
    CU_ASSERT_EQUAL(run_in(b, "print(speed_timing() == none)"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "true\n");
    ev_free(a);
    ev_free(b);
}

/* dealer = none: the key pair of a scheme's triples is made by its first party in the
** interpreter that runs them.  A scheme that arrived by the wire keeps its key number, but
** the number names a key in the reading interpreter's ring only: in another interpreter a
** party of the same id would find the first one's private key: there it makes its own,
** and sends it. */
static const char *const dealerfree_mul =
    "x = share(tensor([1.5, -2]), s)\nprint(reveal(x * x))\n"
    "n = 0\nfor m in messages() { if m.kind == \"public key\" { n = n + 1 } }\nprint(n)";

static void triple_keys_are_per_interp(void)
{
    Interp *a = ev_new(), *b = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "party alice, carol\ns0 = additive(among = [alice, carol], dealer = none)"), EV_OK);
    CU_ASSERT_EQUAL(run_in(b, "party alice, carol"), EV_OK);
    carry(a, "s0", "alice", "carol", a, "s");
    carry(a, "s0", "alice", "carol", b, "s");
    CU_ASSERT_EQUAL(run_in(a, dealerfree_mul), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "tensor([2.25, 4.00])\n1\n");
    CU_ASSERT_EQUAL(run_in(b, dealerfree_mul), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "tensor([2.25, 4.00])\n1\n");    /* its own key, sent */
    ev_free(a);
    /* b's key outlives a */
    CU_ASSERT_EQUAL(run_in(b, dealerfree_mul), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "tensor([2.25, 4.00])\n1\n");
    ev_free(b);
}

/* A scheme's dealer-free key size (paillier_bits) and key number travel with it: before,
** a scheme read from the wire fell back to the 2048-bit key its parties share, so the
** process that read it used another key than the others (a 512-bit key's "public key"
** message is 230 bytes; a 2048-bit one's is larger). */
static void scheme_keeps_its_key_over_the_wire(void)
{
    Interp *a = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "party alice, carol\n"
                              "s0 = additive(among = [alice, carol], dealer = none, paillier_bits = 512)"), EV_OK);
    carry(a, "s0", "alice", "carol", a, "s");
    CU_ASSERT_EQUAL(run_in(a, "x = share(tensor([1.5, -2]), s)\nprint(reveal(x * x))\n"
                              "for m in messages() { if m.kind == \"public key\" { print(m.bytes) } }"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "tensor([2.25, 4.00])\n230\n");
    ev_free(a);
}

/* A value read from the wire joins the reading interpreter's heap, whichever one ran
** last, and so outlives the other. */
static void wire_read_into_own_heap(void)
{
    Interp *a = ev_new(), *b = ev_new();
    CU_ASSERT_EQUAL(run_in(a, "party alice, carol\nv = [tensor([1, 2]), \"x\"]"), EV_OK);
    CU_ASSERT_EQUAL(run_in(b, "party alice, carol"), EV_OK);
    carry(a, "v", "alice", "carol", a, "w");
    val_use_heap(&b->heap);
    size_t before = val_live_objects();
    val_use_heap(&a->heap);                         /* a ran last */
    carry(a, "v", "alice", "carol", b, "w");
    val_use_heap(&b->heap);
    CU_ASSERT(val_live_objects() >= before + 3);    /* the list, the tensor, the string */
    ev_free(a);
    CU_ASSERT_EQUAL(run_in(b, "print(w)"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "[tensor([1, 2]), \"x\"]\n");
    ev_free(b);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"a scheme arriving in its own interpreter gets the key", key_ring_serves_own_interp},
        {"a key made in one interpreter is not in the other's ring", key_ring_is_per_interp},
        {"a scheme outliving its interpreter is freed safely", scheme_outlives_interp},
        {"the store new objects go to is per interpreter", store_is_per_interp},
        {"speed_timing() is per interpreter", speed_timing_is_per_interp},
        {"dealer-free triples' keys are per interpreter", triple_keys_are_per_interp},
        {"a value read from the wire joins its reader's heap", wire_read_into_own_heap},
        {"a scheme keeps its dealer-free key over the wire", scheme_keeps_its_key_over_the_wire},
        {NULL, NULL}};
    return tu_main("interps", tests);
}
