/*
** lx.c — the ppdl tokenizer (see lx.h).  One switch over a character-class table;
** tokens are spans of the source plus a decoded value for numbers.  The lexer keeps
** the kind of the previous token and a stack of open brackets, which is all it needs
** to decide whether a newline ends a statement and whether '{' opens a record or a
** block.  Strings and f-strings are validated here (escapes, UTF-8, brace structure)
** so that the parser's string builders cannot fail; decoding happens later, into the
** unit's arena, through lx_unescape and lx_fstr_next.
*/
#include "lx.h"
#include "mem.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const lx_keywords[] = {
    "if", "else", "for", "in", "while", "break", "continue", "return", "fn", "import",
    "party", "scheme", "network", "on", "at", "and", "or", "not", "true", "false", "none",
    "parallel", "try", "catch", NULL
};

/* Token codes of lx_keywords[], in the same order. */
static const int keyword_tk[] = {
    TK_IF, TK_ELSE, TK_FOR, TK_IN, TK_WHILE, TK_BREAK, TK_CONTINUE, TK_RETURN, TK_FN,
    TK_IMPORT, TK_PARTY, TK_SCHEME, TK_NETWORK, TK_ON, TK_AT, TK_AND, TK_OR, TK_NOT,
    TK_TRUE, TK_FALSE, TK_NONE, TK_PARALLEL, TK_TRY, TK_CATCH
};

enum { C_BAD, C_WS, C_NL, C_ID, C_DIGIT, C_QUOTE, C_HASH, C_OP, C_DOT, C_HIGH, C_NUL };

/* Character classes of bytes 0..127; bytes >= 0x80 are C_HIGH (see cls()). */
static const unsigned char ascii_class[128] = {
    [0] = C_NUL,
    [' '] = C_WS, ['\t'] = C_WS, ['\r'] = C_WS, ['\f'] = C_WS, ['\v'] = C_WS,
    ['\n'] = C_NL,
    ['_'] = C_ID,
    ['a'] = C_ID, ['b'] = C_ID, ['c'] = C_ID, ['d'] = C_ID, ['e'] = C_ID, ['f'] = C_ID,
    ['g'] = C_ID, ['h'] = C_ID, ['i'] = C_ID, ['j'] = C_ID, ['k'] = C_ID, ['l'] = C_ID,
    ['m'] = C_ID, ['n'] = C_ID, ['o'] = C_ID, ['p'] = C_ID, ['q'] = C_ID, ['r'] = C_ID,
    ['s'] = C_ID, ['t'] = C_ID, ['u'] = C_ID, ['v'] = C_ID, ['w'] = C_ID, ['x'] = C_ID,
    ['y'] = C_ID, ['z'] = C_ID,
    ['A'] = C_ID, ['B'] = C_ID, ['C'] = C_ID, ['D'] = C_ID, ['E'] = C_ID, ['F'] = C_ID,
    ['G'] = C_ID, ['H'] = C_ID, ['I'] = C_ID, ['J'] = C_ID, ['K'] = C_ID, ['L'] = C_ID,
    ['M'] = C_ID, ['N'] = C_ID, ['O'] = C_ID, ['P'] = C_ID, ['Q'] = C_ID, ['R'] = C_ID,
    ['S'] = C_ID, ['T'] = C_ID, ['U'] = C_ID, ['V'] = C_ID, ['W'] = C_ID, ['X'] = C_ID,
    ['Y'] = C_ID, ['Z'] = C_ID,
    ['0'] = C_DIGIT, ['1'] = C_DIGIT, ['2'] = C_DIGIT, ['3'] = C_DIGIT, ['4'] = C_DIGIT,
    ['5'] = C_DIGIT, ['6'] = C_DIGIT, ['7'] = C_DIGIT, ['8'] = C_DIGIT, ['9'] = C_DIGIT,
    ['"'] = C_QUOTE, ['#'] = C_HASH, ['.'] = C_DOT,
    ['+'] = C_OP, ['-'] = C_OP, ['*'] = C_OP, ['/'] = C_OP, ['%'] = C_OP, ['@'] = C_OP,
    ['='] = C_OP, ['!'] = C_OP, ['<'] = C_OP, ['>'] = C_OP, [','] = C_OP, [';'] = C_OP,
    [':'] = C_OP, ['('] = C_OP, [')'] = C_OP, ['['] = C_OP, [']'] = C_OP, ['{'] = C_OP,
    ['}'] = C_OP,
};

static int cls(unsigned char c) { return c < 128 ? ascii_class[c] : C_HIGH; }
static int is_ident(unsigned char c) { return cls(c) == C_ID || cls(c) == C_DIGIT; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Length (2..4) of the valid UTF-8 sequence at p (p[0] >= 0x80), or 0 if invalid:
** overlong forms, surrogates and code points above U+10FFFF are rejected. */
static int utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    int n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (avail < (size_t)n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (int i = 2; i < n; i++) if ((p[i] & 0xC0) != 0x80) return 0;
    return n;
}

static int fail(Lexer *lx, uint32_t off, uint32_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->msg, sizeof lx->msg, fmt, ap);
    va_end(ap);
    lx->err_off = off; lx->err_len = len ? len : 1;
    return LX_ERROR;
}

static int emit(Lexer *lx, LxToken *t, int kind, uint32_t off, uint32_t len)
{
    t->off = off; t->len = len;
    if (kind != TK_NUMBER) t->num = 0;
    lx->prev = kind;
    lx->pos = off + len > lx->pos ? off + len : lx->pos;
    return kind;
}

void lx_init(Lexer *lx, const char *s, uint32_t off, uint32_t end, int expr_mode)
{
    memset(lx, 0, sizeof *lx);
    lx->s = s; lx->pos = off; lx->end = end; lx->expr_mode = expr_mode;
}

/* After these tokens an expression must follow (or the line is continued). */
static int wants_operand(int k)
{
    switch (k) {
    case 0: case TK_NEWLINE: case TK_SEMI: case TK_LPAREN: case TK_LBRACKET:
    case TK_LBRACE: case TK_LREC: case TK_COMMA: case TK_ASSIGN: case TK_PLUSEQ:
    case TK_MINUSEQ: case TK_STAREQ: case TK_SLASHEQ: case TK_PLUS: case TK_MINUS:
    case TK_STAR: case TK_SLASH: case TK_PERCENT: case TK_POW: case TK_MATMUL:
    case TK_EQ: case TK_NE: case TK_LT: case TK_LE: case TK_GT: case TK_GE:
    case TK_AND: case TK_OR: case TK_NOT: case TK_AT: case TK_DOTDOT:
        return 1;
    default:
        return 0;
    }
}

/* Does a newline here end a statement? */
static int newline_counts(const Lexer *lx)
{
    if (lx->depth > 0) {
        int top = lx->open[lx->depth - 1];
        if (top == TK_LPAREN || top == TK_LBRACKET || top == TK_LREC) return 0;
    }
    return !(wants_operand(lx->prev) || lx->prev == TK_DOT || lx->prev == TK_ELSE);
}

/* Is '{' after this token a record brace (an expression is expected)? */
static int record_brace(int prev)
{
    return wants_operand(prev) || prev == TK_RETURN || prev == TK_IN || prev == TK_COLON;
}

/* Does s[q, end) start with the word w (not a longer name)? */
static int word_at(const Lexer *lx, uint32_t q, const char *w, uint32_t n)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    return lx->end - q >= n && memcmp(s + q, w, n) == 0 && (q + n >= lx->end || !is_ident(s[q + n]));
}

/* If the next non-blank, non-comment line starts with `else` or `catch`, returns its
** offset; otherwise 0.  Stops at a NUL so the main loop reports it. */
static uint32_t else_follows(const Lexer *lx, uint32_t q)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    while (q < lx->end) {
        unsigned char c = s[q];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') q++;
        else if (c == '#') {
            while (q < lx->end && s[q] != '\n') { if (!s[q]) return 0; q++; }
        } else break;
    }
    if (word_at(lx, q, "else", 4) || word_at(lx, q, "catch", 5)) return q;
    return 0;
}

static int open_bracket(Lexer *lx, LxToken *t, int kind, uint32_t p)
{
    if (lx->depth >= LX_MAX_NEST)
        return fail(lx, p, 1, "nesting too deep (more than %d levels)", LX_MAX_NEST);
    lx->open[lx->depth++] = (uint8_t)kind;
    return emit(lx, t, kind, p, 1);
}

static int close_bracket(Lexer *lx, LxToken *t, int kind, uint32_t p)
{
    if (lx->depth > 0) {
        int top = lx->open[lx->depth - 1];
        if ((kind == TK_RPAREN && top == TK_LPAREN) ||
            (kind == TK_RBRACKET && top == TK_LBRACKET) ||
            (kind == TK_RBRACE && (top == TK_LBRACE || top == TK_LREC)))
            lx->depth--;
    }
    return emit(lx, t, kind, p, 1);
}

static int scan_number(Lexer *lx, LxToken *t, uint32_t p)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    uint32_t i = p, end = lx->end;
    while (i < end && is_digit(s[i])) i++;
    if (i + 1 < end && s[i] == '.' && is_digit(s[i + 1])) {
        i++;
        while (i < end && is_digit(s[i])) i++;
    }
    if (i < end && (s[i] == 'e' || s[i] == 'E')) {
        uint32_t j = i + 1;
        if (j < end && (s[j] == '+' || s[j] == '-')) j++;
        if (j < end && is_digit(s[j])) {
            i = j;
            while (i < end && is_digit(s[i])) i++;
        }
    }
    if (i < end && is_ident(s[i])) {
        uint32_t j = i;
        while (j < end && is_ident(s[j])) j++;
        return fail(lx, p, j - p, "malformed number '%.*s'", (int)(j - p > 40 ? 40 : j - p),
                    lx->s + p);
    }
    char small[64], *buf = small;
    size_t n = i - p;
    if (n >= sizeof small) {
        buf = xmalloc(n + 1);
    }
    memcpy(buf, s + p, n);
    buf[n] = 0;
    double v = strtod(buf, NULL);
    if (buf != small) free(buf);
    if (isinf(v)) return fail(lx, p, (uint32_t)n, "number out of range");
    t->num = v;
    return emit(lx, t, TK_NUMBER, p, (uint32_t)n);
}

/* Scans a string whose opening quote is at q; the token starts at tok.  Returns the
** offset just past the closing quote, or 0 after reporting an error. */
static uint32_t scan_string(Lexer *lx, uint32_t tok, uint32_t q)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    uint32_t i = q + 1, end = lx->end;
    for (;;) {
        if (i >= end || s[i] == '\n') {
            uint32_t e = i;
            if (e > tok && s[e - 1] == '\r') e--;
            fail(lx, tok, e - tok, "unterminated string");
            return 0;
        }
        unsigned char c = s[i];
        if (c == '"') return i + 1;
        if (c == '\\') {
            unsigned char e = i + 1 < end ? s[i + 1] : '\n';
            if (e == '\n') { i++; continue; }       /* reported as unterminated */
            if (e == 'n' || e == 't' || e == 'r' || e == '"' || e == '\\') { i += 2; continue; }
            if (e >= 0x21 && e < 0x7f) fail(lx, i, 2, "invalid escape '\\%c' in string", e);
            else fail(lx, i, 2, "invalid escape in string (only \\n \\t \\r \\\" \\\\)");
            return 0;
        }
        if (c == 0) { fail(lx, i, 1, "invalid NUL byte (0x00) in string"); return 0; }
        if (c >= 0x80) {
            int n = utf8_seq(s + i, end - i);
            if (!n) { fail(lx, i, 1, "invalid UTF-8 byte 0x%02X in string", c); return 0; }
            i += (uint32_t)n;
            continue;
        }
        i++;
    }
}

static int scan_fstring(Lexer *lx, LxToken *t, uint32_t p)
{
    uint32_t e = scan_string(lx, p, p + 1);
    if (!e) return LX_ERROR;
    uint32_t pos = p + 2, eoff, elen;
    LxFPart part;
    int r;
    while ((r = lx_fstr_next(lx->s, &pos, e - 1, &part, lx->msg, sizeof lx->msg,
                             &eoff, &elen)) == 1) {}
    if (r == LX_ERROR) { lx->err_off = eoff; lx->err_len = elen; return LX_ERROR; }
    return emit(lx, t, TK_FSTRING, p, e - p);
}

static int scan_word(Lexer *lx, LxToken *t, uint32_t p)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    if (s[p] == 'f' && p + 1 < lx->end && s[p + 1] == '"') return scan_fstring(lx, t, p);
    uint32_t i = p + 1;
    while (i < lx->end && is_ident(s[i])) i++;
    size_t n = i - p;
    for (int k = 0; lx_keywords[k]; k++)
        if (strlen(lx_keywords[k]) == n && memcmp(lx_keywords[k], s + p, n) == 0)
            return emit(lx, t, keyword_tk[k], p, (uint32_t)n);
    return emit(lx, t, TK_NAME, p, (uint32_t)n);
}

static int scan_op(Lexer *lx, LxToken *t, uint32_t p)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    unsigned char c = s[p], d = p + 1 < lx->end ? s[p + 1] : 0;
    switch (c) {
    case '+': return d == '=' ? emit(lx, t, TK_PLUSEQ, p, 2) : emit(lx, t, TK_PLUS, p, 1);
    case '-': return d == '=' ? emit(lx, t, TK_MINUSEQ, p, 2) : emit(lx, t, TK_MINUS, p, 1);
    case '*':
        if (d == '*') return emit(lx, t, TK_POW, p, 2);
        return d == '=' ? emit(lx, t, TK_STAREQ, p, 2) : emit(lx, t, TK_STAR, p, 1);
    case '/': return d == '=' ? emit(lx, t, TK_SLASHEQ, p, 2) : emit(lx, t, TK_SLASH, p, 1);
    case '%': return emit(lx, t, TK_PERCENT, p, 1);
    case '@': return emit(lx, t, TK_MATMUL, p, 1);
    case '=': return d == '=' ? emit(lx, t, TK_EQ, p, 2) : emit(lx, t, TK_ASSIGN, p, 1);
    case '!':
        if (d == '=') return emit(lx, t, TK_NE, p, 2);
        return fail(lx, p, 1, "unexpected character '!' (use 'not')");
    case '<': return d == '=' ? emit(lx, t, TK_LE, p, 2) : emit(lx, t, TK_LT, p, 1);
    case '>': return d == '=' ? emit(lx, t, TK_GE, p, 2) : emit(lx, t, TK_GT, p, 1);
    case ',': return emit(lx, t, TK_COMMA, p, 1);
    case ';': return emit(lx, t, TK_SEMI, p, 1);
    case ':': return emit(lx, t, TK_COLON, p, 1);
    case '(': return open_bracket(lx, t, TK_LPAREN, p);
    case '[': return open_bracket(lx, t, TK_LBRACKET, p);
    case '{': return open_bracket(lx, t, record_brace(lx->prev) ? TK_LREC : TK_LBRACE, p);
    case ')': return close_bracket(lx, t, TK_RPAREN, p);
    case ']': return close_bracket(lx, t, TK_RBRACKET, p);
    default:  return close_bracket(lx, t, TK_RBRACE, p);
    }
}

static int bad_char(Lexer *lx, uint32_t p)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    unsigned char c = s[p];
    if (c == 0) return fail(lx, p, 1, "invalid NUL byte (0x00)");
    if (c >= 0x80) {
        int n = utf8_seq(s + p, lx->end - p);
        if (!n) return fail(lx, p, 1, "invalid UTF-8 byte 0x%02X", c);
        return fail(lx, p, (uint32_t)n, "unexpected character '%.*s'", n, lx->s + p);
    }
    if (c == '&') return fail(lx, p, 1, "unexpected character '&' (use 'and')");
    if (c == '|') return fail(lx, p, 1, "unexpected character '|' (use 'or')");
    if (c == '\'') return fail(lx, p, 1, "unexpected character ''' (strings use double quotes)");
    if (c < 0x20 || c == 0x7f) return fail(lx, p, 1, "unexpected control character 0x%02X", c);
    return fail(lx, p, 1, "unexpected character '%c'", c);
}

int lx_next(Lexer *lx, LxToken *t)
{
    const unsigned char *s = (const unsigned char *)lx->s;
    t->num = 0;
    for (;;) {
        uint32_t p = lx->pos;
        if (p >= lx->end) {
            if (!lx->expr_mode && newline_counts(lx))
                return emit(lx, t, TK_NEWLINE, lx->end, 0);
            t->off = lx->end; t->len = 0;
            return 0;
        }
        switch (cls(s[p])) {
        case C_WS:
            lx->pos++;
            continue;
        case C_NL: {
            lx->pos++;
            if (!newline_counts(lx)) continue;
            uint32_t e = else_follows(lx, p + 1);
            if (e) { lx->pos = e; continue; }
            return emit(lx, t, TK_NEWLINE, p, 1);
        }
        case C_HASH:
            while (lx->pos < lx->end && s[lx->pos] != '\n') {
                if (!s[lx->pos]) return fail(lx, lx->pos, 1, "invalid NUL byte (0x00) in comment");
                lx->pos++;
            }
            continue;
        case C_ID:
            return scan_word(lx, t, p);
        case C_DIGIT:
            return scan_number(lx, t, p);
        case C_DOT:
            if (p + 1 < lx->end && is_digit(s[p + 1])) return scan_number(lx, t, p);
            if (p + 1 < lx->end && s[p + 1] == '.') return emit(lx, t, TK_DOTDOT, p, 2);
            return emit(lx, t, TK_DOT, p, 1);
        case C_QUOTE: {
            uint32_t e = scan_string(lx, p, p);
            if (!e) return LX_ERROR;
            return emit(lx, t, TK_STRING, p, e - p);
        }
        case C_OP:
            return scan_op(lx, t, p);
        default:
            return bad_char(lx, p);
        }
    }
}

size_t lx_unescape(const char *s, size_t n, char *out, int fstr)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            char e = s[++i];
            out[o++] = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        } else if (fstr && (c == '{' || c == '}') && i + 1 < n && s[i + 1] == c) {
            out[o++] = c;
            i++;
        } else {
            out[o++] = c;
        }
    }
    return o;
}

static int fstr_fail(char *msg, size_t msgsz, uint32_t *eo, uint32_t *el,
                     uint32_t off, uint32_t len, const char *text)
{
    snprintf(msg, msgsz, "%s", text);
    *eo = off; *el = len ? len : 1;
    return LX_ERROR;
}

int lx_fstr_next(const char *s, uint32_t *pos, uint32_t end, LxFPart *p,
                 char *msg, size_t msgsz, uint32_t *err_off, uint32_t *err_len)
{
    uint32_t i = *pos;
    memset(p, 0, sizeof *p);
    if (i >= end) return 0;
    if (s[i] == '{' && !(i + 1 < end && s[i + 1] == '{')) {
        uint32_t j = i + 1, depth = 0;
        for (; j < end; j++) {
            char c = s[j];
            if (c == '\\')
                return fstr_fail(msg, msgsz, err_off, err_len, j, 1,
                                 "backslash in f-string expression");
            if (c == '(' || c == '[' || c == '{') depth++;
            else if ((c == ')' || c == ']') && depth > 0) depth--;
            else if (c == '}') { if (depth == 0) break; depth--; }
            else if (c == ':' && depth == 0) break;
        }
        if (j >= end)
            return fstr_fail(msg, msgsz, err_off, err_len, i, 1, "unterminated '{' in f-string");
        uint32_t k = i + 1;
        while (k < j && (s[k] == ' ' || s[k] == '\t')) k++;
        if (k == j)
            return fstr_fail(msg, msgsz, err_off, err_len, i, j - i + 1,
                             "empty expression in f-string");
        p->is_expr = 1; p->off = i + 1; p->len = j - i - 1;
        uint32_t close = j;
        if (s[j] == ':') {
            uint32_t q = j + 1;
            while (q < end && s[q] != '}') {
                if (s[q] == '{' || s[q] == '\\')
                    return fstr_fail(msg, msgsz, err_off, err_len, q, 1,
                                     s[q] == '{' ? "'{' in f-string format spec"
                                                 : "backslash in f-string format spec");
                q++;
            }
            if (q >= end)
                return fstr_fail(msg, msgsz, err_off, err_len, i, 1,
                                 "unterminated '{' in f-string");
            p->has_spec = 1; p->spec_off = j + 1; p->spec_len = q - j - 1;
            close = q;
        }
        p->whole_off = i; p->whole_len = close - i + 1;
        *pos = close + 1;
        return 1;
    }
    uint32_t j = i;
    while (j < end) {
        char c = s[j];
        if (c == '{') {
            if (j + 1 < end && s[j + 1] == '{') { j += 2; continue; }
            break;
        }
        if (c == '}') {
            if (j + 1 < end && s[j + 1] == '}') { j += 2; continue; }
            return fstr_fail(msg, msgsz, err_off, err_len, j, 1,
                             "single '}' in f-string (write '}}')");
        }
        j += c == '\\' && j + 1 < end ? 2 : 1;
    }
    p->off = p->whole_off = i;
    p->len = p->whole_len = j - i;
    *pos = j;
    return 1;
}

const char *lx_token_name(int kind)
{
    switch (kind) {
    case 0: return "end of input";
    case TK_NEWLINE: return "newline";
    case TK_SEMI: return "';'";
    case TK_NUMBER: return "a number";
    case TK_STRING: return "a string";
    case TK_FSTRING: return "an f-string";
    case TK_NAME: return "a name";
    case TK_IF: return "'if'";
    case TK_ELSE: return "'else'";
    case TK_FOR: return "'for'";
    case TK_IN: return "'in'";
    case TK_WHILE: return "'while'";
    case TK_BREAK: return "'break'";
    case TK_CONTINUE: return "'continue'";
    case TK_RETURN: return "'return'";
    case TK_FN: return "'fn'";
    case TK_IMPORT: return "'import'";
    case TK_PARTY: return "'party'";
    case TK_SCHEME: return "'scheme'";
    case TK_NETWORK: return "'network'";
    case TK_ON: return "'on'";
    case TK_PARALLEL: return "'parallel'";
    case TK_TRY: return "'try'";
    case TK_CATCH: return "'catch'";
    case TK_AT: return "'at'";
    case TK_AND: return "'and'";
    case TK_OR: return "'or'";
    case TK_NOT: return "'not'";
    case TK_TRUE: return "'true'";
    case TK_FALSE: return "'false'";
    case TK_NONE: return "'none'";
    case TK_PLUS: return "'+'";
    case TK_MINUS: return "'-'";
    case TK_STAR: return "'*'";
    case TK_SLASH: return "'/'";
    case TK_PERCENT: return "'%'";
    case TK_POW: return "'**'";
    case TK_MATMUL: return "'@'";
    case TK_EQ: return "'=='";
    case TK_NE: return "'!='";
    case TK_LT: return "'<'";
    case TK_LE: return "'<='";
    case TK_GT: return "'>'";
    case TK_GE: return "'>='";
    case TK_ASSIGN: return "'='";
    case TK_PLUSEQ: return "'+='";
    case TK_MINUSEQ: return "'-='";
    case TK_STAREQ: return "'*='";
    case TK_SLASHEQ: return "'/='";
    case TK_DOTDOT: return "'..'";
    case TK_DOT: return "'.'";
    case TK_COMMA: return "','";
    case TK_COLON: return "':'";
    case TK_LPAREN: return "'('";
    case TK_RPAREN: return "')'";
    case TK_LBRACKET: return "'['";
    case TK_RBRACKET: return "']'";
    case TK_LBRACE: return "'{'";
    case TK_LREC: return "'{'";
    case TK_RBRACE: return "'}'";
    default: return "a token";
    }
}
