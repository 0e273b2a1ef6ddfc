/*
** test_gr_parse.c — the parser (grammar/ppdl.y, parse.c, ast.c): precedence, calls,
** indexing, every statement kind, network blocks, records, f-strings, node spans, exact
** error messages and offsets, incomplete-input detection for the REPL, and the limits
** that keep hostile input from crashing or exhausting the stack.  Trees are compared
** through ast_dump's S-expressions.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tu.h"
#include "parse.h"

static SymTab syms;

/* Parses s[0, n) and renders the result: the dump (without its newline), or
** "error@off+len: msg" / "incomplete@off: msg". */
static const char *parsen(const char *s, size_t n)
{
    static char out[1 << 16];
    Source *src = src_new("<test>", s, n, 1);
    ParseDiag d;
    AstUnit *u = ps_parse(&syms, src, &d);
    if (u) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ast_dump(f, u->root);
        fclose(f);
        if (len && buf[len - 1] == '\n') buf[--len] = 0;
        snprintf(out, sizeof out, "%s", buf);
        free(buf);
        CU_ASSERT_EQUAL(d.status, PARSE_OK);
        ast_unit_release(u);
    } else if (d.status == PARSE_INCOMPLETE) {
        snprintf(out, sizeof out, "incomplete@%u: %s", d.off, d.msg);
    } else {
        snprintf(out, sizeof out, "error@%u+%u: %s", d.off, d.len, d.msg);
    }
    src_release(src);
    return out;
}

static const char *parse(const char *s) { return parsen(s, strlen(s)); }

#define PARSES(src, want) do { const char *got_ = parse(src); \
    if (strcmp(got_, want)) fprintf(stderr, "\n  %s:%d: parse(%s)\n    got  %s\n    want %s\n", \
        __FILE__, __LINE__, #src, got_, want); \
    CU_ASSERT_STRING_EQUAL(got_, want); } while (0)

static void test_precedence(void)
{
    PARSES("x = 1 + 2 * 3",
           "(program (assign (name x) (binop + (num 1) (binop * (num 2) (num 3)))))");
    PARSES("-2**2", "(program (expr (unop - (binop ** (num 2) (num 2)))))");
    PARSES("2**-1", "(program (expr (binop ** (num 2) (unop - (num 1)))))");
    PARSES("2**3**2", "(program (expr (binop ** (num 2) (binop ** (num 3) (num 2)))))");
    PARSES("-x * y", "(program (expr (binop * (unop - (name x)) (name y))))");
    PARSES("a or b and not c",
           "(program (expr (or (name a) (and (name b) (unop not (name c))))))");
    PARSES("not a == b", "(program (expr (unop not (binop == (name a) (name b)))))");
    PARSES("x at p", "(program (expr (at (name x) (name p))))");
    PARSES("y = f(x) + 1 at p or q",
           "(program (assign (name y) (at (binop + (call (name f) (name x)) (num 1)) "
           "(or (name p) (name q)))))");
    PARSES("1..n+1", "(program (expr (range (num 1) (binop + (name n) (num 1)))))");
    PARSES("a @ b * c", "(program (expr (binop * (binop @ (name a) (name b)) (name c))))");
    PARSES("a - b - c", "(program (expr (binop - (binop - (name a) (name b)) (name c))))");
    PARSES("a / b % c + +d",
           "(program (expr (binop + (binop % (binop / (name a) (name b)) (name c)) (unop + (name d)))))");
    PARSES("a < b == c", "error@6+2: unexpected '=='; expected an operator, end of statement or '='");
    PARSES("a <= b and c >= d or e != f",
           "(program (expr (or (and (binop <= (name a) (name b)) (binop >= (name c) (name d))) "
           "(binop != (name e) (name f)))))");
    PARSES("(1 + 2) * 3", "(program (expr (binop * (binop + (num 1) (num 2)) (num 3))))");
    PARSES("x = true and not false or none",
           "(program (assign (name x) (or (and (bool true) (unop not (bool false))) (none))))");
}

static void test_calls_and_indexing(void)
{
    PARSES("train(m, d, epochs = 10, lr = 0.1)",
           "(program (expr (call (name train) (name m) (name d) (kwarg epochs (num 10)) "
           "(kwarg lr (num 0.1)))))");
    PARSES("f()", "(program (expr (call (name f))))");
    PARSES("f(a,)", "(program (expr (call (name f) (name a))))");
    PARSES("f(\n  a,\n  k = [1,\n 2],\n)",
           "(program (expr (call (name f) (name a) (kwarg k (list (num 1) (num 2))))))");
    PARSES("f(1)(2).g[0]",
           "(program (expr (index (field (call (call (name f) (num 1)) (num 2)) g) (num 0))))");
    PARSES("x[i, j]", "(program (expr (index (name x) (name i) (name j))))");
    PARSES("x[0:10]", "(program (expr (index (name x) (slice (num 0) (num 10)))))");
    PARSES("x[:, 1]", "(program (expr (index (name x) (slice _ _) (num 1))))");
    PARSES("x[1:, :n-1]",
           "(program (expr (index (name x) (slice (num 1) _) (slice _ (binop - (name n) (num 1))))))");
    PARSES("d1.x.y", "(program (expr (field (field (name d1) x) y)))");
    PARSES("f(a = 1, 2)", "error@9+1: positional argument after keyword arguments");
    PARSES("f(lr = 1, lr = 2)", "error@10+2: duplicate keyword argument 'lr'");
    PARSES("x[]", "error@2+1: unexpected ']'; expected an expression or ':'");
    PARSES("[]", "(program (expr (list)))");
    PARSES("[1, [2], \"s\",]", "(program (expr (list (num 1) (list (num 2)) (str \"s\"))))");
    PARSES("x = fn (a, b = 2) { return a + b }(1)",
           "(program (assign (name x) (call (fn _ (param a) (param b (num 2)) "
           "(block (return (binop + (name a) (name b))))) (num 1))))");
}

static void test_statements(void)
{
    PARSES("x = 1; y += 2; z -= 3; w *= 4; v /= 5",
           "(program (assign (name x) (num 1)) (augassign + (name y) (num 2)) "
           "(augassign - (name z) (num 3)) (augassign * (name w) (num 4)) "
           "(augassign / (name v) (num 5)))");
    PARSES("a[0] = 1\nm.w = 2",
           "(program (assign (index (name a) (num 0)) (num 1)) (assign (field (name m) w) (num 2)))");
    PARSES("if acc > 0.9 { print(\"ok\") } else { print(\"again\") }",
           "(program (if (binop > (name acc) (num 0.9)) (block (expr (call (name print) (str \"ok\")))) "
           "(block (expr (call (name print) (str \"again\"))))))");
    PARSES("if a { } else if b { x } else { y }",
           "(program (if (name a) (block) (if (name b) (block (expr (name x))) (block (expr (name y))))))");
    PARSES("for epoch in 1..10 { step(m, d) }",
           "(program (for epoch (range (num 1) (num 10)) (block (expr (call (name step) (name m) (name d))))))");
    PARSES("while loss > 0.01 { break; continue }",
           "(program (while (binop > (name loss) (num 0.01)) (block (break) (continue))))");
    PARSES("fn relu6(x) { return min(max(x, 0), 6) }",
           "(program (fn relu6 (param x) (block (return (call (name min) (call (name max) (name x) (num 0)) (num 6))))))");
    PARSES("fn f(x, lr = 0.1,) {\n  return\n}",
           "(program (fn f (param x) (param lr (num 0.1)) (block (return))))");
    PARSES("fn g() { }", "(program (fn g (block)))");
    PARSES("import \"common.ppdl\"", "(program (import \"common.ppdl\"))");
    PARSES("party hospital1, hospital2,\n  hospital3\nparty server",
           "(program (party (name hospital1) (name hospital2) (name hospital3)) (party (name server)))");
    PARSES("scheme he = paillier(bits = 2048, keyholder = server)",
           "(program (scheme he (call (name paillier) (kwarg bits (num 2048)) (kwarg keyholder (name server)))))");
    PARSES("on hospital1 { m1 = mean(d1.x) }",
           "(program (on (name hospital1) (block (assign (name m1) (call (name mean) (field (name d1) x))))))");
    PARSES("d1 = load(\"a.csv\") at hospital1",
           "(program (assign (name d1) (at (call (name load) (str \"a.csv\")) (name hospital1))))");
    PARSES("", "(program)");
    PARSES("\n\n;;\n  # only a comment\n", "(program)");
    PARSES("x\n\n\ny;", "(program (expr (name x)) (expr (name y)))");
    PARSES("{ x = 1 }", "(program (expr (rec (kwarg x (num 1)))))");   /* a statement cannot start with a block */
    PARSES("{ x }", "error@4+1: unexpected '}'; expected '='");
}

static void test_network(void)
{
    PARSES("network mlp {\n    dense(784, 128)\n    relu\n    dense(128, 10)\n    softmax\n}",
           "(program (network mlp (call (name dense) (num 784) (num 128)) (name relu) "
           "(call (name dense) (num 128) (num 10)) (name softmax)))");
    PARSES("network xor { dense(2, 2); sigmoid(approx = taylor(degree = 3)); dense(2, 1) }",
           "(program (network xor (call (name dense) (num 2) (num 2)) (call (name sigmoid) "
           "(kwarg approx (call (name taylor) (kwarg degree (num 3))))) (call (name dense) (num 2) (num 1))))");
    PARSES("network e {\n}", "(program (network e))");
    PARSES("network n {\n  dense(2,\n        1)\n\n  nn.relu()\n}",
           "(program (network n (call (name dense) (num 2) (num 1)) (call (field (name nn) relu))))");
    PARSES("network n { 1 + 2 }", "error@12+5: a network layer must be a name or a call");
    PARSES("network n { x = 1 }", "error@14+1: unexpected '='; expected an operator, end of statement or '}'");
}

static void test_records_and_else(void)
{
    PARSES("cfg = {lr = 0.1,\n       epochs = 5\n}",
           "(program (assign (name cfg) (rec (kwarg lr (num 0.1)) (kwarg epochs (num 5)))))");
    PARSES("cfg = {\n  lr = 0.1,\n  epochs = 5,\n}\nprint(cfg)",
           "(program (assign (name cfg) (rec (kwarg lr (num 0.1)) (kwarg epochs (num 5)))) "
           "(expr (call (name print) (name cfg))))");
    PARSES("f({})", "(program (expr (call (name f) (rec))))");
    PARSES("x = {a = {b = 1}}.a",
           "(program (assign (name x) (field (rec (kwarg a (rec (kwarg b (num 1))))) a)))");
    PARSES("x = {1}", "error@5+1: unexpected '1'; expected a name or '}'");
    PARSES("if x {\n  y = 1\n}\nelse {\n  y = 2\n}",
           "(program (if (name x) (block (assign (name y) (num 1))) (block (assign (name y) (num 2)))))");
    PARSES("if x {\n}\n# why\n\nelse if y {\n}\nelse\n{\n}\nz",
           "(program (if (name x) (block) (if (name y) (block) (block))) (expr (name z)))");
    PARSES("while x {\n}\nelse { }", "error@12+4: unexpected 'else'; expected end of statement");
    PARSES("try { x = 1 } catch e { print(e) }",
           "(program (try e (block (assign (name x) (num 1))) (block (expr (call (name print) (name e))))))");
    PARSES("try {\n  f()\n}\n\ncatch {\n}", "(program (try _ (block (expr (call (name f)))) (block)))");
    PARSES("try { f() }\nx = 1", "error@11+1: unexpected newline; expected 'catch'");
}

static void test_strings(void)
{
    PARSES("s = \"a\\tb\\n\\\"q\\\" \\\\\"", "(program (assign (name s) (str \"a\\tb\\n\\\"q\\\" \\\\\")))");
    PARSES("print(f\"loss {x:.3f} at {epoch}\")",
           "(program (expr (call (name print) (fstr (str \"loss \") (fmt (name x) \".3f\") "
           "(str \" at \") (fmt (name epoch))))))");
    PARSES("f\"{{a}} {b[1:2] + 1} \\\"{c.d}\\\"\"",
           "(program (expr (fstr (str \"{a} \") (fmt (binop + (index (name b) (slice (num 1) (num 2))) (num 1))) "
           "(str \" \\\"\") (fmt (field (name c) d)) (str \"\\\"\"))))");
    PARSES("f\"\"", "(program (expr (fstr)))");
    PARSES("x = f\"v {a +}\"", "error@12+1: unexpected end of expression; expected an expression");
    PARSES("x = f\"v {a b}\"", "error@11+1: unexpected 'b'; expected an operator");
    PARSES("x = f\"v {(a}\"", "error@8+1: unterminated '{' in f-string");
    PARSES("x = f\"{1e999}\"", "error@7+5: number out of range");
}

static void test_spans(void)
{
    const char *s = "y = foo(a, b) + 2 * x[1]\nif y { z }";
    Source *src = src_new("<t>", s, strlen(s), 1);
    ParseDiag d;
    AstUnit *u = ps_parse(&syms, src, &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    Node *prog = u->root;
    CU_ASSERT_EQUAL(prog->kind, N_PROGRAM);
    CU_ASSERT_EQUAL(prog->list.n, 2);
    Node *as = prog->list.v[0];
    CU_ASSERT_EQUAL(as->off, 0); CU_ASSERT_EQUAL(as->len, 24);
    Node *sum = as->b;
    CU_ASSERT_EQUAL(sum->kind, N_BINOP);
    CU_ASSERT_EQUAL(sum->off, 4); CU_ASSERT_EQUAL(sum->len, 20);
    Node *call = sum->a;
    CU_ASSERT_EQUAL(call->kind, N_CALL);
    CU_ASSERT_EQUAL(call->off, 4); CU_ASSERT_EQUAL(call->len, 9);
    CU_ASSERT_EQUAL(call->a->off, 4); CU_ASSERT_EQUAL(call->a->len, 3);
    Node *idx = sum->b->b;
    CU_ASSERT_EQUAL(idx->kind, N_INDEX);
    CU_ASSERT_EQUAL(idx->off, 20); CU_ASSERT_EQUAL(idx->len, 4);
    Node *ifs = prog->list.v[1];
    CU_ASSERT_EQUAL(ifs->kind, N_IF);
    CU_ASSERT_EQUAL(ifs->off, 25); CU_ASSERT_EQUAL(ifs->len, 10);
    CU_ASSERT_EQUAL(ifs->b->kind, N_BLOCK);
    CU_ASSERT_EQUAL(ifs->b->off, 30); CU_ASSERT_EQUAL(ifs->b->len, 5);
    CU_ASSERT_EQUAL(prog->off, 0); CU_ASSERT_EQUAL(prog->len, strlen(s));
    /* heights: y = foo(a, b) + 2 * x[1] is program > assign > + > * > index > num */
    CU_ASSERT_EQUAL(as->height, 5);
    CU_ASSERT_EQUAL(prog->height, 6);
    ast_unit_release(u);
    /* parentheses widen the span of what they enclose */
    PARSES("(a + b) = 1", "error@0+7: cannot assign to an operator expression");
    src_release(src);
}

static void test_errors(void)
{
    PARSES("x = )", "error@4+1: unexpected ')'; expected an expression");
    PARSES("f(1 2)", "error@4+1: unexpected '2'; expected an operator, ',' or ')'");
    PARSES("x = 1 2", "error@6+1: unexpected '2'; expected an operator or end of statement");
    PARSES("foo bar", "error@4+3: unexpected 'bar'; expected an operator, end of statement or '='");
    PARSES("if x { ) }", "error@7+1: unexpected ')'; expected a statement or '}'");
    PARSES("}", "error@0+1: unexpected '}'; expected a statement");
    PARSES("for 1 in x { }", "error@4+1: unexpected '1'; expected a name");
    PARSES("for x of y { }", "error@6+2: unexpected 'of'; expected 'in'");
    PARSES("fn f(1) { }", "error@5+1: unexpected '1'; expected a name or ')'");
    PARSES("fn f(a = 1, b) { }", "error@12+1: parameter 'b' without a default follows one with a default");
    PARSES("fn f(a, a) { }", "error@8+1: duplicate parameter 'a'");
    PARSES("[1, 2)", "error@5+1: unexpected ')'; expected an operator, ',' or ']'");
    PARSES("x = (1 + 2 ]", "error@11+1: unexpected ']'; expected an operator or ')'");
    PARSES("import 3", "error@7+1: unexpected '3'; expected a string");
    PARSES("import\n", "error@6+1: unexpected newline; expected a string");
    PARSES("import", "error@6+0: unexpected end of input; expected a string");
    PARSES("x = \"s\" \"t\"", "error@8+3: unexpected string; expected an operator or end of statement");
    PARSES("if x\n{ }", "error@4+1: unexpected newline; expected an operator or '{'");
    PARSES("1 = 2", "error@0+1: cannot assign to a number");
    PARSES("f(x) = 2", "error@0+4: cannot assign to a function call");
    PARSES("[a] = 2", "error@0+3: cannot assign to a list");
    PARSES("x at p = 2", "error@0+6: cannot assign to an 'at' expression");
    PARSES("x = y = 2", "error@6+1: unexpected '='; expected an operator or end of statement");
    PARSES("a.1", "error@1+2: unexpected '.1'; expected an operator, end of statement or '='");
    PARSES("x = averyveryverylongnameindeed123 x",
           "error@35+1: unexpected 'x'; expected an operator or end of statement");
    PARSES("averyveryverylongnameindeed123 averyveryverylongnameindeed123",
           "error@31+30: unexpected 'averyveryverylongnam...'; expected an operator, end of statement or '='");
    PARSES("x = $", "error@4+1: unexpected character '$'");
    PARSES("x = 1 + \"abc", "error@8+4: unterminated string");
    PARSES("x = \"\\x41\"", "error@5+2: invalid escape '\\x' in string");
    CU_ASSERT_STRING_EQUAL(parsen("x = 1\0", 6), "error@5+1: invalid NUL byte (0x00)");
    PARSES("x = \xe2\x82\xac", "error@4+3: unexpected character '\xe2\x82\xac'");
    PARSES("s = \"\xe2\x82\xac\"  # \xe2\x82\xac", "(program (assign (name s) (str \"\xe2\x82\xac\")))");
    PARSES("s = \"\xe2\x82\"", "error@5+1: invalid UTF-8 byte 0xE2 in string");
    /* the first error stops the parse: nothing after it is reported */
    PARSES("x = )\ny = \"unterminated", "error@4+1: unexpected ')'; expected an expression");
}

static void test_incomplete(void)
{
    PARSES("if x {", "incomplete@6: unexpected end of input; expected a statement or '}'");
    PARSES("if x {\n  y = 1\n", "incomplete@15: unexpected end of input; expected a statement or '}'");
    PARSES("f(1,", "incomplete@4: unexpected end of input; expected an expression or ')'");
    PARSES("x = 1 +", "incomplete@7: unexpected end of input; expected an expression");
    PARSES("x = 1 +\n", "incomplete@8: unexpected end of input; expected an expression");
    PARSES("[1,", "incomplete@3: unexpected end of input; expected an expression or ']'");
    PARSES("x =", "incomplete@3: unexpected end of input; expected an expression");
    PARSES("cfg = {lr = 0.1,\n", "incomplete@17: unexpected end of input; expected a name or '}'");
    PARSES("network n {\n dense(1, 2)\n", "incomplete@25: unexpected end of input; expected an expression, end of statement or '}'");
    PARSES("fn f(x) {\n return x\n", "incomplete@20: unexpected end of input; expected a statement or '}'");
    PARSES("if x { } else", "incomplete@13: unexpected end of input; expected 'if' or '{'");
    PARSES("x = a.", "incomplete@6: unexpected end of input; expected a name");
    PARSES("x = a and", "incomplete@9: unexpected end of input; expected an expression");
    PARSES("print(f(x)", "incomplete@10: unexpected end of input; expected an operator, ',' or ')'");
    /* complete statements and real errors are not incomplete */
    PARSES("if x { }", "(program (if (name x) (block)))");
    PARSES("x = (1 +)", "error@8+1: unexpected ')'; expected an expression");
}

static void test_limits(void)
{
    char *buf = malloc(200000);
    /* 200 levels of brackets are fine, 201 are not */
    strcpy(buf, "x = ");
    for (int i = 0; i < 200; i++) strcat(buf, "(");
    strcat(buf, "1");
    for (int i = 0; i < 200; i++) strcat(buf, ")");
    PARSES(buf, "(program (assign (name x) (num 1)))");
    strcpy(buf, "x = ");
    for (int i = 0; i < 300; i++) strcat(buf, "[");
    PARSES(buf, "error@204+1: nesting too deep (more than 200 levels)");
    buf[0] = 0;
    for (int i = 0; i < 250; i++) strcat(buf, "if x {");
    PARSES(buf, "error@1205+1: nesting too deep (more than 200 levels)");
    /* a left-leaning chain of 5000 terms is taller than the evaluator may walk */
    size_t n = 0;
    n += (size_t)sprintf(buf + n, "x = 1");
    for (int i = 1; i < 5000; i++) n += (size_t)sprintf(buf + n, "+1");
    PARSES(buf, "error@4+2001: expression too deeply nested");
    /* ... while 990 terms fit */
    n = (size_t)sprintf(buf, "x = 1");
    for (int i = 1; i < 990; i++) n += (size_t)sprintf(buf + n, "+1");
    const char *got = parse(buf);
    CU_ASSERT_EQUAL(strncmp(got, "(program (assign (name x) (binop + (binop + ", 44), 0);
    /* long prefix and right-associative chains overflow the parser stack cleanly */
    n = (size_t)sprintf(buf, "x = ");
    for (int i = 0; i < 20000; i++) buf[n++] = '-';
    strcpy(buf + n, "1");
    PARSES(buf, "error@3000+1: expression too deeply nested");
    n = (size_t)sprintf(buf, "x = ");
    for (int i = 0; i < 20000; i++) n += (size_t)sprintf(buf + n, "2**");
    strcpy(buf + n, "1");
    got = parse(buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, ": expression too deeply nested"));
    n = (size_t)sprintf(buf, "x = ");
    for (int i = 0; i < 1500; i++) n += (size_t)sprintf(buf + n, "not ");
    strcpy(buf + n, "y");
    got = parse(buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, ": expression too deeply nested"));
    /* long flat sequences are fine: statements, list items, arguments */
    n = 0;
    for (int i = 0; i < 20000; i++) n += (size_t)sprintf(buf + n, "x = %d\n", i);
    got = parse(buf);
    CU_ASSERT_EQUAL(strncmp(got, "(program (assign (name x) (num 0))", 34), 0);
    n = (size_t)sprintf(buf, "x = [");
    for (int i = 0; i < 20000; i++) n += (size_t)sprintf(buf + n, "%d,", i);
    strcpy(buf + n, "]");
    got = parse(buf);
    CU_ASSERT_EQUAL(strncmp(got, "(program (assign (name x) (list (num 0) (num 1)", 47), 0);
    free(buf);
}

static void test_expr_into(void)
{
    const char *s = "print(a + b * 2)";
    Source *src = src_new("<t>", s, strlen(s), 1);
    AstUnit *u = ast_unit_new(src);
    ParseDiag d;
    Node *e = ps_parse_expr_into(u, &syms, 6, 9, &d);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(d.status, PARSE_OK);
    CU_ASSERT_EQUAL(e->kind, N_BINOP);
    CU_ASSERT_EQUAL(e->off, 6); CU_ASSERT_EQUAL(e->len, 9);
    CU_ASSERT_EQUAL(e->b->kind, N_BINOP);
    CU_ASSERT_EQUAL(e->b->op, OP_MUL);
    e = ps_parse_expr_into(u, &syms, 6, 4, &d);
    CU_ASSERT_PTR_NULL(e);
    CU_ASSERT_EQUAL(d.status, PARSE_ERROR);
    CU_ASSERT_STRING_EQUAL(d.msg, "unexpected end of expression; expected an expression");
    CU_ASSERT_EQUAL(d.off, 10);
    e = ps_parse_expr_into(u, &syms, 10, 100, &d);
    CU_ASSERT_PTR_NULL(e);
    CU_ASSERT_STRING_EQUAL(d.msg, "expression out of range");
    ast_unit_release(u);
    src_release(src);
}

static void test_kind_and_op_names(void)
{
    CU_ASSERT_STRING_EQUAL(ast_kind_name(N_AUGASSIGN), "augassign");
    CU_ASSERT_STRING_EQUAL(ast_kind_name(N_PROGRAM), "program");
    CU_ASSERT_STRING_EQUAL(ast_kind_name(N__COUNT), "?");
    CU_ASSERT_STRING_EQUAL(ast_op_name(OP_MATMUL), "@");
    CU_ASSERT_STRING_EQUAL(ast_op_name(OP_NOT), "not");
    CU_ASSERT_STRING_EQUAL(ast_op_name(OP_POW), "**");
}

static int setup(void) { sym_init(&syms); return 0; }

int main(void)
{
    static const TU_Test tests[] = {
        { "precedence", test_precedence },
        { "calls and indexing", test_calls_and_indexing },
        { "statements", test_statements },
        { "network blocks", test_network },
        { "records and else on the next line", test_records_and_else },
        { "strings and f-strings", test_strings },
        { "spans and heights", test_spans },
        { "error messages", test_errors },
        { "incomplete input", test_incomplete },
        { "limits", test_limits },
        { "ps_parse_expr_into", test_expr_into },
        { "kind and operator names", test_kind_and_op_names },
        { NULL, NULL },
    };
    setup();
    int rc = tu_main("gr_parse", tests);
    sym_free(&syms);
    return rc;
}
