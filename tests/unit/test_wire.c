/*
** test_wire.c — ppdl values on the wire (stdlib/lib_wire.c and the class codecs): every
** kind survives encode -> decode as an equal, independent value (ciphertexts decrypt to
** the same numbers, shares reveal the same tensor, models predict the same, datasets keep
** their ledger); send records the real frame size of every kind; a frame cut or garbled
** anywhere is an error naming the sender, never a crash; send delivers deep copies that
** live at the receiver, and training the sender's model afterwards leaves the copy alone.
*/
#include "tu.h"
#include "interp.h"
#include "lib_wire.h"
#include "rng.h"
#include "val.h"
#include <stdlib.h>
#include <string.h>

static char out_buf[1 << 16], err_buf[1 << 16];
static Interp *I;
static FILE *fo, *fe;

/* A fresh interpreter with output captured. */
static void start(void)
{
    memset(out_buf, 0, sizeof out_buf); memset(err_buf, 0, sizeof err_buf);
    I = ev_new();
    fo = fmemopen(out_buf, sizeof out_buf, "w"); fe = fmemopen(err_buf, sizeof err_buf, "w");
    I->out = fo; I->errout = fe;
}

static void stop(void)
{
    ev_free(I);
    fclose(fo); fclose(fe);
    I = NULL;
}

static EvStatus run(const char *code)
{
    Source *s = src_new("t.ppdl", code, strlen(code), 1);
    EvStatus st = ev_run(I, s, false);
    src_release(s);
    fflush(fo); fflush(fe);
    return st;
}

static Value global(const char *name)
{
    Value *v = ev_get_global(I, name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    return *v;
}

/* Frame of v from party 1 (a) to a (the keyholder; 0 for shared values, which are never
** sent to one party) and back to a value (owned), or VERR. */
static Value round_trip(Value v, size_t *len)
{
    int to = v.tag == V_OBJ && (AS_USER(v)->cls->wire == WIRE_EXT_SHARED ||
                                AS_USER(v)->cls->wire == WIRE_EXT_SHARED_DATASET) ? 0 : 1;
    uint8_t *f = lib_wire_frame(I, v, "plain", 1, to, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    Value c = lib_wire_read(I, f, *len, 1);
    free(f);
    return c;
}

static const char *SETUP =
    "seed(3)\n"
    "party a, b, c, dealer\n"
    "n = 2.5\nz = -0.0\nbig = 12345678901\nt = true\nno = none\ns = \"h\xc3\xa9llo\"\n"
    "l = [1, [2, \"x\"], {k = 3}]\nrec = {a = 1, b = [true, none]}\nr = 1..10\n"
    "tt = tensor([[1.5, -2], [3, 4e-7]])\np = b\n"
    "he = paillier(bits = 512, keyholder = a)\n"
    "ct = encrypt(tensor([1.25, -3, 7]), he)\n"
    "ss = additive(among = [a, b, c], dealer = dealer)\n"
    "sh = share(tensor([[1, 2], [3, -4.5]]), ss)\n"
    "network net { dense(4, 3)\n relu\n dense(3, 2)\n softmax }\n"
    "m = model(net)\n"
    "d = dataset(tensor([[0, 0, 1, 1], [0, 1, 0, 1], [1, 1, 0, 0]]), tensor([0, 1, 1]), name = \"toy\")\n"
    "budget(d, epsilon = 2, delta = 1e-5)\n"
    "laplace(1, epsilon = 0.5, data = d)\n"
    "bu = budget(d)\n"
    "ap = taylor(degree = 3)\n"
    "lay = dense(2, 3)\n"
    "sd = share(d, ss)\n";

static void every_kind_round_trips(void)
{
    start();
    CU_ASSERT_EQUAL_FATAL(run(SETUP), EV_OK);
    if (err_buf[0] && !strstr(err_buf, "warning")) fprintf(stderr, "%s", err_buf);
    /* plain kinds: equal after the trip */
    const char *plain[] = { "n", "z", "big", "t", "no", "s", "l", "rec", "r", "tt", "p" };
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
        size_t len;
        Value v = global(plain[i]), c = round_trip(v, &len);
        CU_ASSERT_FALSE_FATAL(IS_ERR(c));
        CU_ASSERT(val_equal(v, c));
        if (!val_equal(v, c)) fprintf(stderr, "  %s differs\n", plain[i]);
        if (IS_HEAP(v)) CU_ASSERT_PTR_NOT_EQUAL(v.as.o, c.as.o);   /* a copy, not a reference */
        val_release(c);
    }
    /* every runtime-defined kind: round trip and show the same thing */
    const char *kinds[] = { "he", "ct", "ss", "sh", "net", "m", "d", "bu", "ap", "lay", "sd" };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        size_t len;
        Value v = global(kinds[i]);
        CU_ASSERT_EQUAL(v.tag, V_OBJ);
        Value c = round_trip(v, &len);
        if (IS_ERR(c)) { fprintf(stderr, "  %s: %s\n", kinds[i], I->err_msg ? I->err_msg : "?"); err_clear(I); }
        CU_ASSERT_FALSE_FATAL(IS_ERR(c));
        CU_ASSERT_PTR_EQUAL(AS_USER(c)->cls, AS_USER(v)->cls);
        CU_ASSERT_PTR_NOT_EQUAL(AS_USER(c)->p, AS_USER(v)->p);
        if (strcmp(kinds[i], "ct") != 0) {            /* ciphertexts are re-randomised */
            Sb x, y; sb_init(&x); sb_init(&y);
            val_show(I, v, &x, false); val_show(I, c, &y, false);
            CU_ASSERT_STRING_EQUAL(x.s, y.s);
            sb_free(&x); sb_free(&y);
        }
        char name[16];
        snprintf(name, sizeof name, "%s2", kinds[i]);
        ev_set_global(I, name, c);
    }
    /* the copies work: decrypt, reveal, predict, the ledger */
    fflush(fo);
    memset(out_buf, 0, sizeof out_buf);
    rewind(fo);
    CU_ASSERT_EQUAL(run("on a { print(decrypt(ct2)) }\n"
                        "print(reveal(sh2))\n"
                        "x = tensor([[1, 2, 3, 4]])\nprint(predict(m2, x) == predict(m, x))\n"
                        "print(budget(d2).spent.epsilon, budget(d2).epsilon, bu2.spent.epsilon)\n"
                        "print(d2.n, d2.name, ap2, lay2.kind)\n"
                        "print(type(sd2))\n"), EV_OK);
    if (strstr(err_buf, "error")) fprintf(stderr, "%s", err_buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(out_buf, "tensor([ 1.25, -3.00,  7.00])"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out_buf, "tensor([[ 1.0,  2.0],\n        [ 3.0, -4.5]])"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out_buf, "0.5 2 0.5\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out_buf, "3 toy taylor(degree = 3) dense\n"));
    if (!strstr(out_buf, "0.5 2 0.5")) fprintf(stderr, "%s", out_buf);
    stop();
}

/* A private key never travels: a non-keyholder's copy cannot decrypt, a keyholder's can. */
static void private_keys_stay(void)
{
    start();
    CU_ASSERT_EQUAL_FATAL(run("seed(4)\nparty a, b\nhe = paillier(bits = 512, keyholder = a)\n"
                              "c = encrypt(tensor([2]), he) at b\n"
                              "hb = send(he, to = b)\nha = send(he at b, to = a)\n"
                              "cb = send(c, to = a)\n"
                              "on a { print(decrypt(cb)) }\n"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "tensor([2])\n");
    CU_ASSERT_EQUAL(run("on b { print(decrypt(encrypt(tensor([1]), hb))) }"), EV_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_buf, "holds only the public key"));
    /* the frame itself has no factor of n in it */
    Value he = global("he");
    size_t len;
    /* `he at b` above placed the scheme object at b (docs/parties.md): b sends it */
    uint8_t *f = lib_wire_frame(I, he, "plain", 2, 1, &len);   /* even to the keyholder */
    if (!f) err_report(I, stderr);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(len < 300);                   /* n and hs of 512 and 1024 bits, options */
    free(f);
    stop();
}

/* send records the size of the frame that carried it, for every kind. */
static void byte_counts_are_frame_sizes(void)
{
    start();
    CU_ASSERT_EQUAL_FATAL(run(SETUP), EV_OK);
    const char *kinds[] = { "n", "s", "l", "rec", "r", "tt", "p", "he", "ct", "ss", "net", "m", "d", "bu", "ap", "lay" };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        Value v = global(kinds[i]);
        const char *kind = v.tag == V_OBJ ? AS_USER(v)->cls->name : "plain";
        size_t len;
        uint8_t *f = lib_wire_frame(I, v, kind, 0, 2, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        free(f);
        size_t before = I->tr.n;
        Value c = lib_wire_send(I, v, 0, 2, true);
        CU_ASSERT_FALSE_FATAL(IS_ERR(c));
        CU_ASSERT_EQUAL_FATAL(I->tr.n, before + 1);
        CU_ASSERT_EQUAL(I->tr.msgs[before].bytes, len);
        if (I->tr.msgs[before].bytes != len) fprintf(stderr, "  %s: %llu recorded, %zu encoded\n", kinds[i],
                                                      (unsigned long long)I->tr.msgs[before].bytes, len);
        /* the copy lives at the receiver; a party's name is public everywhere */
        CU_ASSERT_EQUAL(val_owner(c), c.tag == V_PARTY ? 0 : 2);
        val_release(c);
    }
    /* a number is 9 bytes of float64 or fewer as an integer; an envelope is fixed */
    CU_ASSERT_EQUAL(wire_size_envelope("plain"), 24);
    stop();
}

/* Every truncation and random corruption of real frames is an error naming the sender. */
static void broken_frames_are_errors(void)
{
    start();
    CU_ASSERT_EQUAL_FATAL(run(SETUP), EV_OK);
    Rng g;
    rng_seed(&g, 99);
    const char *kinds[] = { "l", "rec", "tt", "he", "ct", "sh", "m", "d", "bu", "sd" };
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        size_t len;
        uint8_t *f = lib_wire_frame(I, global(kinds[i]), "plain", 1, 0, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        uint8_t *b = malloc(len);
        size_t step = len / 200 + 1;
        for (size_t k = 0; k < len; k += step) {              /* truncated */
            Value c = lib_wire_read(I, f, k, 1);
            CU_ASSERT(IS_ERR(c));
            CU_ASSERT(I->err_msg && strncmp(I->err_msg, "malformed message from a: ", 26) == 0);
            err_clear(I);
        }
        for (int t = 0; t < 300; t++) {                        /* garbled */
            memcpy(b, f, len);
            int flips = 1 + (int)rng_below(&g, 4);
            for (int k = 0; k < flips; k++) b[rng_below(&g, len)] = (uint8_t)rng_below(&g, 256);
            Value c = lib_wire_read(I, b, len, 1);
            if (IS_ERR(c)) {
                CU_ASSERT(I->err_msg && strncmp(I->err_msg, "malformed message from a: ", 26) == 0);
                err_clear(I);
            } else val_release(c);
        }
        free(b);
        free(f);
    }
    /* a frame claiming another sender */
    size_t len;
    uint8_t *f = lib_wire_frame(I, VNUM(1), "plain", 3, 2, &len);
    CU_ASSERT(IS_ERR(lib_wire_read(I, f, len, 1)));
    CU_ASSERT_PTR_NOT_NULL(strstr(I->err_msg, "claims to come from"));
    err_clear(I);
    free(f);
    stop();
}

static void sends_are_deep_and_independent(void)
{
    start();
    CU_ASSERT_EQUAL(run("party a, b\non a { x = 2; l = [x, [x + 1]]; r = {v = x} }\n"
                        "v = send(l, to = b)\nw = send(r, to = b)\n"
                        "on b { print(v[0], v[1][0], w.v) }\n"), EV_OK);
    CU_ASSERT_STRING_EQUAL(out_buf, "2 3 2\n");
    if (err_buf[0]) fprintf(stderr, "%s", err_buf);
    /* the copy is the receiver's: changing it leaves the sender's alone */
    CU_ASSERT_EQUAL(run("on b { v[1][0] = 99 }\non a { print(l[1][0]) }\n"), EV_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(out_buf, "2 3 2\n3\n"));
    stop();
    /* a model: training at the sender afterwards does not reach the receiver's copy */
    start();
    CU_ASSERT_EQUAL(run("seed(5)\nparty a, b\nnetwork net { dense(2, 2)\n softmax }\n"
                        "d = dataset(tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), tensor([0, 1, 1, 0])) at a\n"
                        "mA = model(net) at a\nmB = send(mA, to = b)\n"
                        "x = tensor([[1, 0]])\n"
                        "on b { before = predict(mB, x) }\non a { before_a = predict(mA, x) }\n"
                        "on a { train(mA, d, epochs = 20, lr = 0.5, verbose = false) }\n"
                        "on b { print(sum(abs(predict(mB, x) - before)) == 0) }\n"
                        "on a { print(sum(abs(predict(mA, x) - before_a)) > 0) }\n"
                        "print(messages(b)[0].leak)\n"), EV_OK);
    if (err_buf[0]) fprintf(stderr, "%s", err_buf);
    CU_ASSERT_STRING_EQUAL(out_buf, "true\ntrue\ntrue\n");
    stop();
}

int main(void)
{
    static const TU_Test tests[] = {
        {"every kind round-trips", every_kind_round_trips},
        {"private keys stay with keyholders", private_keys_stay},
        {"byte counts are frame sizes", byte_counts_are_frame_sizes},
        {"broken frames are errors", broken_frames_are_errors},
        {"sends are deep and independent", sends_are_deep_and_independent},
        {NULL, NULL}};
    return tu_main("wire values", tests);
}
