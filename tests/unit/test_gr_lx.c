/*
** test_gr_lx.c — the tokenizer (grammar/lx.c): token kinds, offsets and values, the
** newline rules, record versus block braces, keywords, numbers, strings and their
** errors, f-string pieces, and the UTF-8 and NUL checks.  Each token stream is
** rendered as a compact string so that one assertion shows the whole stream.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tu.h"
#include "lx.h"

/* Renders the tokens of s[0, n) as "name:x = num:1 NL EOF", or ends with
** "ERR@off+len: msg" at a lexical error. */
static const char *lexn(const char *s, size_t n, int expr_mode)
{
    static char out[4096];
    Lexer lx;
    LxToken t;
    size_t used = 0;
    lx_init(&lx, s, 0, (uint32_t)n, expr_mode);
    out[0] = 0;
    for (int guard = 0; guard < 1000; guard++) {
        int k = lx_next(&lx, &t);
        char one[200];
        if (k == LX_ERROR)
            snprintf(one, sizeof one, "ERR@%u+%u: %s", lx.err_off, lx.err_len, lx.msg);
        else if (k == 0) snprintf(one, sizeof one, "EOF");
        else if (k == TK_NEWLINE) snprintf(one, sizeof one, "NL");
        else if (k == TK_NAME) snprintf(one, sizeof one, "name:%.*s", (int)t.len, s + t.off);
        else if (k == TK_NUMBER) snprintf(one, sizeof one, "num:%g", t.num);
        else if (k == TK_STRING) snprintf(one, sizeof one, "str:%.*s", (int)t.len, s + t.off);
        else if (k == TK_FSTRING) snprintf(one, sizeof one, "fstr:%.*s", (int)t.len, s + t.off);
        else if (k == TK_LREC) snprintf(one, sizeof one, "rec{");
        else if (k == TK_LBRACE) snprintf(one, sizeof one, "block{");
        else {
            const char *nm = lx_token_name(k);
            snprintf(one, sizeof one, "%.*s", (int)strlen(nm) - 2, nm + 1);  /* unquote */
        }
        used += (size_t)snprintf(out + used, sizeof out - used, "%s%s", used ? " " : "", one);
        if (k == 0 || k == LX_ERROR || used >= sizeof out - 1) break;
    }
    return out;
}

static const char *lex(const char *s) { return lexn(s, strlen(s), 0); }

#define LEX_IS(src, want) do { const char *got_ = lex(src); \
    if (strcmp(got_, want)) fprintf(stderr, "\n  %s:%d: lex(%s)\n    got  %s\n    want %s\n", \
        __FILE__, __LINE__, #src, got_, want); \
    CU_ASSERT_STRING_EQUAL(got_, want); } while (0)

static void test_kinds_and_offsets(void)
{
    const char *s = "w1 = x.y ** 2 @ z";
    Lexer lx;
    LxToken t;
    static const struct { int kind; uint32_t off, len; } want[] = {
        { TK_NAME, 0, 2 }, { TK_ASSIGN, 3, 1 }, { TK_NAME, 5, 1 }, { TK_DOT, 6, 1 },
        { TK_NAME, 7, 1 }, { TK_POW, 9, 2 }, { TK_NUMBER, 12, 1 }, { TK_MATMUL, 14, 1 },
        { TK_NAME, 16, 1 }, { TK_NEWLINE, 17, 0 }, { 0, 17, 0 }, { 0, 17, 0 },
    };
    lx_init(&lx, s, 0, (uint32_t)strlen(s), 0);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int k = lx_next(&lx, &t);
        CU_ASSERT_EQUAL(k, want[i].kind);
        CU_ASSERT_EQUAL(t.off, want[i].off);
        CU_ASSERT_EQUAL(t.len, want[i].len);
    }
    LEX_IS("a+=1; b-=2; c*=3; d/=4", "name:a += num:1 ; name:b -= num:2 ; name:c *= num:3 ; "
           "name:d /= num:4 NL EOF");
    LEX_IS("a==b!=c<d<=e>f>=g%h", "name:a == name:b != name:c < name:d <= name:e > name:f "
           ">= name:g % name:h NL EOF");
    LEX_IS("x[1:2], (y)", "name:x [ num:1 : num:2 ] , ( name:y ) NL EOF");
}

static void test_numbers(void)
{
    LEX_IS("1 0.5 1e-5 .5 2E+3 12.25e2", "num:1 num:0.5 num:1e-05 num:0.5 num:2000 num:1225 NL EOF");
    LEX_IS("1..3", "num:1 .. num:3 NL EOF");
    LEX_IS("0..n", "num:0 .. name:n NL EOF");
    LEX_IS("1.x", "num:1 . name:x NL EOF");
    LEX_IS("1e999", "ERR@0+5: number out of range");
    LEX_IS("x = 1e-999", "name:x = num:0 NL EOF");
    LEX_IS("12abc", "ERR@0+5: malformed number '12abc'");
    LEX_IS("1e", "ERR@0+2: malformed number '1e'");
    Lexer lx;
    LxToken t;
    const char *s = "0.1 123456789012345678901234567890";
    lx_init(&lx, s, 0, (uint32_t)strlen(s), 0);
    CU_ASSERT_EQUAL(lx_next(&lx, &t), TK_NUMBER);
    CU_ASSERT_EQUAL(t.num, 0.1);
    CU_ASSERT_EQUAL(lx_next(&lx, &t), TK_NUMBER);
    CU_ASSERT_EQUAL(t.num, 123456789012345678901234567890.0);
    CU_ASSERT_EQUAL(t.len, 30);
}

static void test_newlines(void)
{
    LEX_IS("x = 1\ny = 2\n", "name:x = num:1 NL name:y = num:2 NL EOF");
    LEX_IS("\n\n  x\n\n\ny  # note\n\n", "name:x NL name:y NL EOF");
    LEX_IS("x = 1 +\n 2", "name:x = num:1 + num:2 NL EOF");
    LEX_IS("x =\n 2", "name:x = num:2 NL EOF");
    LEX_IS("f(1,\n 2\n)\n", "name:f ( num:1 , num:2 ) NL EOF");
    LEX_IS("[1\n,2\n]", "[ num:1 , num:2 ] NL EOF");
    LEX_IS("a.\nb", "name:a . name:b NL EOF");
    LEX_IS("1..\nn", "num:1 .. name:n NL EOF");
    LEX_IS("a and\nb or\nnot\nc", "name:a and name:b or not name:c NL EOF");
    LEX_IS("x = a *\n# comment\n b", "name:x = name:a * name:b NL EOF");
    LEX_IS("a;b", "name:a ; name:b NL EOF");
    LEX_IS("a;\nb", "name:a ; name:b NL EOF");
    LEX_IS("if x {\n y\n}\nelse {\n z\n}",
           "if name:x block{ name:y NL } else block{ name:z NL } NL EOF");
    LEX_IS("}\n\n  # c\n\n  else", "} else EOF");
    LEX_IS("}\nelsewhere", "} NL name:elsewhere NL EOF");
    LEX_IS("} else\n{", "} else block{ EOF");
    LEX_IS("x = {\n a = 1,\n b = 2\n}\n", "name:x = rec{ name:a = num:1 , name:b = num:2 } NL EOF");
    LEX_IS("f(fn (x) {\n return x\n})", "name:f ( fn ( name:x ) block{ return name:x NL } ) NL EOF");
    LEX_IS("(", "( EOF");
    LEX_IS("x +", "name:x + EOF");
    LEX_IS("return\n", "return NL EOF");
}

static void test_braces(void)
{
    LEX_IS("x = {a = 1}", "name:x = rec{ name:a = num:1 } NL EOF");
    LEX_IS("{}", "rec{ } NL EOF");
    LEX_IS("f({}, [{}])", "name:f ( rec{ } , [ rec{ } ] ) NL EOF");
    LEX_IS("return {}", "return rec{ } NL EOF");
    LEX_IS("x at {}", "name:x at rec{ } NL EOF");
    LEX_IS("if x {}", "if name:x block{ } NL EOF");
    LEX_IS("if f(x) {}", "if name:f ( name:x ) block{ } NL EOF");
    LEX_IS("if a[0] {}", "if name:a [ num:0 ] block{ } NL EOF");
    LEX_IS("for k in {a = 1} {}", "for name:k in rec{ name:a = num:1 } block{ } NL EOF");
    LEX_IS("} else {", "} else block{ EOF");
    LEX_IS("network n {", "network name:n block{ EOF");
    LEX_IS("if x == {} {}", "if name:x == rec{ } block{ } NL EOF");
    LEX_IS("x = y\n{}", "name:x = name:y NL rec{ } NL EOF");
}

static void test_keywords(void)
{
    LEX_IS("if else for in while break continue return fn import party",
           "if else for in while break continue return fn import party NL EOF");
    LEX_IS("scheme network on at and or not true false none parallel",
           "scheme network on at and or not true false none parallel NL EOF");
    LEX_IS("try catch tryx", "try catch name:tryx NL EOF");
    LEX_IS("try { }\n\n  catch e { }", "try block{ } catch name:e block{ } NL EOF");
    LEX_IS("iff fn_ f _x None", "name:iff name:fn_ name:f name:_x name:None NL EOF");
    int n = 0;
    while (lx_keywords[n]) n++;
    CU_ASSERT_EQUAL(n, 24);
    CU_ASSERT_STRING_EQUAL(lx_keywords[0], "if");
    CU_ASSERT_STRING_EQUAL(lx_keywords[20], "none");
}

static void test_strings(void)
{
    LEX_IS("\"a\\n\\t\\r\\\"\\\\b\" \"\"", "str:\"a\\n\\t\\r\\\"\\\\b\" str:\"\" NL EOF");
    char out[32];
    const char *raw = "a\\n\\t\\r\\\"\\\\b";
    size_t n = lx_unescape(raw, strlen(raw), out, 0);
    CU_ASSERT_EQUAL(n, 7);
    CU_ASSERT_EQUAL(memcmp(out, "a\n\t\r\"\\b", 7), 0);
    n = lx_unescape("{{x}}", 5, out, 1);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(memcmp(out, "{x}", 3), 0);
    n = lx_unescape("{{x}}", 5, out, 0);
    CU_ASSERT_EQUAL(n, 5);
    LEX_IS("x = \"a\\qb\"", "name:x = ERR@6+2: invalid escape '\\q' in string");
    LEX_IS("\"\\0\"", "ERR@1+2: invalid escape '\\0' in string");
    LEX_IS("x = \"abc\ny\"", "name:x = ERR@4+4: unterminated string");
    LEX_IS("x = \"abc\r\n", "name:x = ERR@4+4: unterminated string");
    LEX_IS("x = \"abc", "name:x = ERR@4+4: unterminated string");
    LEX_IS("x = \"abc\\", "name:x = ERR@4+5: unterminated string");
    LEX_IS("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "str:\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\" NL EOF");
    LEX_IS("\"ab\xff\"", "ERR@3+1: invalid UTF-8 byte 0xFF in string");
    LEX_IS("\"\xc0\x80\"", "ERR@1+1: invalid UTF-8 byte 0xC0 in string");
    LEX_IS("\"\xed\xa0\x80\"", "ERR@1+1: invalid UTF-8 byte 0xED in string");
    LEX_IS("\"\xf4\x90\x80\x80\"", "ERR@1+1: invalid UTF-8 byte 0xF4 in string");
    LEX_IS("\"\xe2\x82\"", "ERR@1+1: invalid UTF-8 byte 0xE2 in string");
    LEX_IS("f\"a {x} b\" f \"", "fstr:f\"a {x} b\" name:f ERR@13+1: unterminated string");
}

/* Renders the pieces of an f-string's contents, "lit[..] expr[..|spec]". */
static const char *fparts(const char *body)
{
    static char out[512];
    uint32_t pos = 0, end = (uint32_t)strlen(body), eo = 0, el = 0;
    size_t used = 0;
    char msg[160];
    LxFPart p;
    int r;
    out[0] = 0;
    while ((r = lx_fstr_next(body, &pos, end, &p, msg, sizeof msg, &eo, &el)) == 1) {
        if (p.is_expr && p.has_spec)
            used += (size_t)snprintf(out + used, sizeof out - used, "expr[%.*s|%.*s]@%u+%u ",
                                     (int)p.len, body + p.off, (int)p.spec_len,
                                     body + p.spec_off, p.whole_off, p.whole_len);
        else if (p.is_expr)
            used += (size_t)snprintf(out + used, sizeof out - used, "expr[%.*s]@%u+%u ",
                                     (int)p.len, body + p.off, p.whole_off, p.whole_len);
        else
            used += (size_t)snprintf(out + used, sizeof out - used, "lit[%.*s] ",
                                     (int)p.len, body + p.off);
    }
    if (r == LX_ERROR) snprintf(out + used, sizeof out - used, "ERR@%u+%u: %s", eo, el, msg);
    return out;
}

static void test_fstring_pieces(void)
{
    CU_ASSERT_STRING_EQUAL(fparts("loss {x:.3f} at {epoch}"),
                           "lit[loss ] expr[x|.3f]@5+7 lit[ at ] expr[epoch]@16+7 ");
    CU_ASSERT_STRING_EQUAL(fparts("{{literal}} {a[1:2]}"),
                           "lit[{{literal}} ] expr[a[1:2]]@12+8 ");
    CU_ASSERT_STRING_EQUAL(fparts("{f(x, {a = 1})}!"), "expr[f(x, {a = 1})]@0+15 lit[!] ");
    CU_ASSERT_STRING_EQUAL(fparts("{x:}"), "expr[x|]@0+4 ");
    CU_ASSERT_STRING_EQUAL(fparts("a\\\"b"), "lit[a\\\"b] ");
    CU_ASSERT_STRING_EQUAL(fparts(""), "");
    CU_ASSERT_STRING_EQUAL(fparts("a {} b"), "lit[a ] ERR@2+2: empty expression in f-string");
    CU_ASSERT_STRING_EQUAL(fparts("a } b"), "ERR@2+1: single '}' in f-string (write '}}')");
    CU_ASSERT_STRING_EQUAL(fparts("a {x"), "lit[a ] ERR@2+1: unterminated '{' in f-string");
    CU_ASSERT_STRING_EQUAL(fparts("{x:.3f"), "ERR@0+1: unterminated '{' in f-string");
    CU_ASSERT_STRING_EQUAL(fparts("{a\\n}"), "ERR@2+1: backslash in f-string expression");
    CU_ASSERT_STRING_EQUAL(fparts("{a:{b}}"), "ERR@3+1: '{' in f-string format spec");
    /* the lexer validates the pieces when it scans the token */
    LEX_IS("x = f\"{}\"", "name:x = ERR@6+2: empty expression in f-string");
    LEX_IS("f\"{{}}\" f\"\"", "fstr:f\"{{}}\" fstr:f\"\" NL EOF");
}

static void test_bytes(void)
{
    LEX_IS("x = \xc3\xa9", "name:x = ERR@4+2: unexpected character '\xc3\xa9'");
    LEX_IS("x = \xff", "name:x = ERR@4+1: invalid UTF-8 byte 0xFF");
    LEX_IS("x \xc0\x80", "name:x ERR@2+1: invalid UTF-8 byte 0xC0");
    CU_ASSERT_STRING_EQUAL(lexn("x\0y", 3, 0), "name:x ERR@1+1: invalid NUL byte (0x00)");
    CU_ASSERT_STRING_EQUAL(lexn("\"a\0\"", 4, 0), "ERR@2+1: invalid NUL byte (0x00) in string");
    CU_ASSERT_STRING_EQUAL(lexn("x # a\0b\n", 8, 0), "name:x ERR@5+1: invalid NUL byte (0x00) in comment");
    LEX_IS("x # caf\xc3\xa9 \xff\ny", "name:x NL name:y NL EOF");
    LEX_IS("a $ b", "name:a ERR@2+1: unexpected character '$'");
    LEX_IS("!a", "ERR@0+1: unexpected character '!' (use 'not')");
    LEX_IS("a && b", "name:a ERR@2+1: unexpected character '&' (use 'and')");
    LEX_IS("'a'", "ERR@0+1: unexpected character ''' (strings use double quotes)");
    LEX_IS("a\x01", "name:a ERR@1+1: unexpected control character 0x01");
    LEX_IS("a\r\nb\r\n", "name:a NL name:b NL EOF");
}

static void test_nesting_cap(void)
{
    char buf[512];
    memset(buf, '(', 200);
    buf[200] = 0;
    const char *got = lex(buf);
    CU_ASSERT_EQUAL(strstr(got, "ERR"), NULL);
    memset(buf, '[', 201);
    buf[201] = 0;
    got = lex(buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(got, "ERR@200+1: nesting too deep (more than 200 levels)"));
}

static void test_expr_mode(void)
{
    CU_ASSERT_STRING_EQUAL(lexn("x + 1", 5, 1), "name:x + num:1 EOF");
    CU_ASSERT_STRING_EQUAL(lexn("{a = 1}", 7, 1), "rec{ name:a = num:1 } EOF");
    /* a sub-range of a larger text keeps absolute offsets */
    Lexer lx;
    LxToken t;
    const char *s = "f\"v {abc}\"";
    lx_init(&lx, s, 5, 8, 1);
    CU_ASSERT_EQUAL(lx_next(&lx, &t), TK_NAME);
    CU_ASSERT_EQUAL(t.off, 5);
    CU_ASSERT_EQUAL(t.len, 3);
    CU_ASSERT_EQUAL(lx_next(&lx, &t), 0);
}

int main(void)
{
    static const TU_Test tests[] = {
        { "kinds and offsets", test_kinds_and_offsets },
        { "numbers", test_numbers },
        { "newline rules", test_newlines },
        { "record and block braces", test_braces },
        { "keywords", test_keywords },
        { "strings", test_strings },
        { "f-string pieces", test_fstring_pieces },
        { "bytes: UTF-8 and NUL", test_bytes },
        { "nesting cap", test_nesting_cap },
        { "expression mode", test_expr_mode },
        { NULL, NULL },
    };
    return tu_main("gr_lx", tests);
}
