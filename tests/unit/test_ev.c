/*
** test_ev.c — the evaluator end to end through ev_run: arithmetic and precedence,
** control flow, functions, closures and recursion, records and lists, f-strings, the
** party rules (placement, refusing another party's data, `on`), the transcript that
** send/view/cost read, exact error messages with carets, and the cycle collector.
*/
#include "tu.h"
#include "interp.h"
#include "val.h"
#include <stdlib.h>
#include <string.h>

static char out_buf[1 << 16], err_buf[1 << 16];
static EvStatus last;

/* Runs code in a fresh interpreter; stdout text in out_buf, error text in err_buf. */
static const char *run(const char *code)
{
    memset(out_buf, 0, sizeof out_buf); memset(err_buf, 0, sizeof err_buf);
    Interp *I = ev_new();
    FILE *o = fmemopen(out_buf, sizeof out_buf, "w"), *e = fmemopen(err_buf, sizeof err_buf, "w");
    I->out = o; I->errout = e;
    Source *s = src_new("t.ppdl", code, strlen(code), 1);
    last = ev_run(I, s, false);
    src_release(s);
    ev_free(I);
    fclose(o); fclose(e);
    return out_buf;
}

static void arithmetic(void)
{
    CU_ASSERT_STRING_EQUAL(run("print(1 + 2 * 3, -2**2, 2**-1, 7 % 3, -7 % 3, 10 / 4)"), "7 -4 0.5 1 2 2.5\n");
    CU_ASSERT_STRING_EQUAL(run("print(1 < 2 and 2 < 3, not true or false, 1 == 1.0)"), "true false true\n");
    CU_ASSERT_STRING_EQUAL(run("x = 5\nx += 2\nx *= 3\nprint(x)"), "21\n");
    CU_ASSERT_STRING_EQUAL(run("print(\"a\" + \"b\", \"ab\" < \"b\", [1] + [2, 3])"), "ab true [1, 2, 3]\n");
}

static void control_flow(void)
{
    CU_ASSERT_STRING_EQUAL(run("s = 0\nfor i in 1..10 { s += i }\nprint(s)"), "55\n");
    CU_ASSERT_STRING_EQUAL(run("i = 0\nwhile true { i += 1\n if i > 3 { break } }\nprint(i)"), "4\n");
    CU_ASSERT_STRING_EQUAL(run("s = 0\nfor i in [1, 2, 3, 4] { if i % 2 == 0 { continue }\n s += i }\nprint(s)"), "4\n");
    CU_ASSERT_STRING_EQUAL(run("x = 3\nif x > 5 { print(\"big\") } else if x > 2 { print(\"mid\") } else { print(\"small\") }"), "mid\n");
}

static void functions(void)
{
    CU_ASSERT_STRING_EQUAL(run("fn fib(n) { if n < 2 { return n }\n return fib(n - 1) + fib(n - 2) }\nprint(fib(20))"), "6765\n");
    CU_ASSERT_STRING_EQUAL(run("fn f(x, k = 10) { return x * k }\nprint(f(2), f(2, k = 3), f(k = 1, x = 4))"), "20 6 4\n");
    CU_ASSERT_STRING_EQUAL(run("fn counter() { n = 0\n fn inc() { n = n + 1\n return n }\n return inc }\n"
                               "c = counter()\nprint(c())"), "");
    CU_ASSERT_EQUAL(last, EV_ERROR);   /* n is local to inc: Python's rule */
    CU_ASSERT_PTR_NOT_NULL(strstr(err_buf, "'n' is used before it is assigned"));
    CU_ASSERT_STRING_EQUAL(run("fn adder(k) { return fn (x) { return x + k } }\nadd3 = adder(3)\nprint(add3(4))"), "7\n");
    CU_ASSERT_STRING_EQUAL(run("fn outer() { fn rec(n) { if n == 0 { return 0 }\n return 1 + rec(n - 1) }\n return rec(5) }\nprint(outer())"), "5\n");
}

static void data_values(void)
{
    CU_ASSERT_STRING_EQUAL(run("r = {lr = 0.1, epochs = 5}\nr.lr = 0.5\nprint(r, r.epochs)"), "{lr = 0.5, epochs = 5} 5\n");
    CU_ASSERT_STRING_EQUAL(run("l = [1, 2, 3]\nl[0] = 9\nappend(l, 4)\nprint(l, len(l), l[-1], l[1:3])"), "[9, 2, 3, 4] 4 4 [2, 3]\n");
    CU_ASSERT_STRING_EQUAL(run("x = 0.25\nprint(f\"x = {x:.3f}, n = {len([1,2])}\")"), "x = 0.250, n = 2\n");
    CU_ASSERT_STRING_EQUAL(run("print(type(1), type(\"s\"), type([]), type({}), type(1..2), type(print), type(none))"),
                           "number string list record range builtin none\n");
}

static void errors_with_caret(void)
{
    run("x = 1\ny = x + z\n");
    CU_ASSERT_EQUAL(last, EV_ERROR);
    CU_ASSERT_STRING_EQUAL(err_buf, "t.ppdl:2:9: error: unknown name 'z' (did you mean 'x'?)\n    y = x + z\n            ^\n");
    run("alpha = 1\nprint(alpha + omega_value)");
    CU_ASSERT_STRING_EQUAL(err_buf, "t.ppdl:2:15: error: unknown name 'omega_value'\n    print(alpha + omega_value)\n                  ^~~~~~~~~~~\n");
    run("print(1 / 0)");
    CU_ASSERT_STRING_EQUAL(err_buf, "t.ppdl:1:7: error: division by zero\n    print(1 / 0)\n          ^~~~~\n");
    run("fn f(n) { return f(n + 1) }\nf(0)");
    CU_ASSERT_PTR_NOT_NULL(strstr(err_buf, "recursion too deep"));
    run("print(lenn([1]))");
    CU_ASSERT_PTR_NOT_NULL(strstr(err_buf, "unknown name 'lenn' (did you mean 'len'?)"));
    run("len(1, 2)");
    CU_ASSERT_PTR_NOT_NULL(strstr(err_buf, "'len' takes 1 argument (got 2)"));
}

static void parties_and_transcript(void)
{
    run("party h1, h2\na = 5 at h1\nb = 6 at h2\nc = a + b\n");
    CU_ASSERT_EQUAL(last, EV_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(err_buf, "'b' lives at h2; h1 cannot read it (use send, share or encrypt"));
    run("party h1, h2\nb = 6 at h2\non h1 { x = b + 1 }\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(err_buf, "'b' lives at h2; h1 cannot read it"));
    CU_ASSERT_STRING_EQUAL(run("party h1, h2\non h1 { x = 2 }\nprint(owner(x) == h1, owner(x + 1) == h1)"), "true true\n");
    CU_ASSERT_STRING_EQUAL(run("party a, b\nx = 7 at a\ny = send(x, to = b)\non b { print(y + 1) }\n"
                               "m = messages(b)\nprint(len(m), m[0].kind, m[0].leak, m[0].bytes)"), "8\n1 plain true 25\n");
    CU_ASSERT_STRING_EQUAL(run("party a, b\nsend(1 at a, to = b)\nsend(2 at a, to = b)\ncost()\n"),
                           "cost: 2 messages, 50 bytes, 2 rounds\n"
                           "  party        phase            sent    bytes out   received     bytes in   rounds\n"
                           "  a            online              2           50          0            0        2\n"
                           "  b            online              0            0          2           50        0\n");
}

static void cycles_collected(void)
{
    Interp *I = ev_new();
    FILE *o = fmemopen(out_buf, sizeof out_buf, "w");
    I->out = o;
    size_t before = val_live_objects();
    const char *code = "fn mk() { fn g() { return g }\n return 1 }\nfor i in 1..100 { mk() }\nl = [1]\nappend(l, l)\nl = none\n";
    Source *s = src_new("t", code, strlen(code), 1);
    CU_ASSERT_EQUAL(ev_run(I, s, false), EV_OK);
    src_release(s);
    val_collect(I->globals, I->gcap, NULL, 0);
    CU_ASSERT(val_live_objects() <= before + 2);
    ev_free(I);
    fclose(o);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"arithmetic and precedence", arithmetic},
        {"control flow", control_flow},
        {"functions, closures, recursion", functions},
        {"records, lists, f-strings, type", data_values},
        {"errors with caret", errors_with_caret},
        {"parties and transcript", parties_and_transcript},
        {"cycles collected", cycles_collected},
        {NULL, NULL}};
    return tu_main("evaluator", tests);
}
