/*
** test_diagram.c — diagram() read back.  A protocol with plaintext leaks, a parallel
** round, a Paillier ciphertext and secret-sharing rounds in two phases runs in a fresh
** interpreter; then its Mermaid text is parsed by a small parser here (participants,
** `Note over` rounds, `A->>B: kind size` arrows, red rect blocks) and must match the
** transcript message for message; its SVG must be well-formed XML (xmllint --noout,
** Debian libxml2-utils) with one arrow a message and the leaks in red; and the terminal
** chart must fit the width it was given.
*/
#include "tu.h"
#include "lib.h"
#include "diagram.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *protocol =
    "party alice, bob, carol\n"
    "a = 10 at alice\n"
    "r = send(a, to = bob)\n"
    "on bob { parallel { p = send(5, to = carol); q = send(r, to = carol) } }\n"
    "scheme he = paillier(bits = 256, keyholder = carol)\n"
    "c = he_send(encrypt(a, he), to = bob)\n"
    "ss = additive(among = [alice, bob], dealer = carol, trunc = \"local\")\n"
    "x = share(3 at alice, ss)\n"
    "z = reveal(x * x, to = carol)\n";

static FILE *err_stream;                /* the interpreter's errors (the small-key warning) */
static char *err_text; static size_t err_len;

static Interp *run(const char *code)
{
    Interp *I = ev_new();
    I->errout = err_stream = open_memstream(&err_text, &err_len);
    rng_seed(&I->rng, 7);
    Source *s = src_new("protocol", code, strlen(code), 1);
    EvStatus st = ev_run(I, s, false);
    src_release(s);
    CU_ASSERT_EQUAL_FATAL(st, EV_OK);
    return I;
}

static void done(Interp *I)
{
    ev_free(I);
    fclose(err_stream);
    free(err_text); err_text = NULL;
}

static const char *str_global(Interp *I, const char *name)
{
    Value *v = ev_get_global(I, name);
    return v && v->tag == V_STR ? AS_STR(*v)->s : "";
}

/* Parses Mermaid text back and compares it with the transcript. */
static void mermaid_matches_transcript(void)
{
    Interp *I = run(protocol);
    CU_ASSERT(I->tr.n >= 10);
    Source *s = src_new("m", "m = diagram(format = \"mermaid\")", 31, 1);
    CU_ASSERT_EQUAL(ev_run(I, s, false), EV_OK);
    src_release(s);
    char *text = strdup(str_global(I, "m"));
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    CU_ASSERT_STRING_EQUAL(line, "sequenceDiagram");
    char parts[8][32]; int nparts = 0;
    size_t k = 0;                       /* next transcript message */
    uint32_t round = 0;
    bool in_rect = false, bad = false;
    int notes = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        while (*line == ' ') line++;
        char a[32], b[32], kind[32], unit[8];
        double size;
        unsigned r;
        if (sscanf(line, "participant %31s", a) == 1) {
            CU_ASSERT(nparts < 8 && k == 0);
            snprintf(parts[nparts++], 32, "%s", a);
        } else if (sscanf(line, "Note over %31[^,:],%31[^:]: round %u", a, b, &r) == 3) {
            CU_ASSERT(k < I->tr.n && I->tr.msgs[k].round == r && r != round);
            round = r; notes++;
        } else if (strncmp(line, "rect rgb(", 9) == 0) {
            CU_ASSERT(!in_rect); in_rect = true;
        } else if (strcmp(line, "end") == 0) {
            CU_ASSERT(in_rect); in_rect = false;
        } else if (sscanf(line, "%31[a-z]->>%31[a-z]: %31s %lf %7s", a, b, kind, &size, unit) == 5) {
            if (k >= I->tr.n) { bad = true; break; }
            const TrMsg *m = &I->tr.msgs[k++];
            CU_ASSERT_STRING_EQUAL(a, ev_party_name(I, m->from));
            CU_ASSERT_STRING_EQUAL(b, ev_party_name(I, m->to));
            CU_ASSERT_STRING_EQUAL(kind, m->kind);
            CU_ASSERT_EQUAL(m->round, round);
            char want[32];
            dg_size(want, sizeof want, (unsigned long long)m->bytes);
            char got[32];
            snprintf(got, sizeof got, "%g %s", size, unit);
            CU_ASSERT(strncmp(want, got, strlen(got)) == 0 || strtod(want, NULL) == size);
            CU_ASSERT_EQUAL(in_rect, m->leak != 0);     /* leaks, and only leaks, in red */
            CU_ASSERT_EQUAL(strstr(line, "LEAK") != NULL, m->leak != 0);
            bool known_a = false, known_b = false;
            for (int i = 0; i < nparts; i++) {
                known_a |= strcmp(parts[i], a) == 0;
                known_b |= strcmp(parts[i], b) == 0;
            }
            CU_ASSERT(known_a && known_b);
        } else {
            fprintf(stderr, "  unparsed mermaid line: %s\n", line);
            bad = true;
        }
    }
    CU_ASSERT(!bad);
    CU_ASSERT_EQUAL(k, I->tr.n);        /* every message, in order */
    CU_ASSERT_EQUAL(nparts, 3);
    CU_ASSERT_EQUAL((uint32_t)notes, tr_rounds(&I->tr));
    free(text);
    done(I);
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what)) n++;
    return n;
}

static void svg_is_xml(void)
{
    char dir[] = "/tmp/ppdl_diagramXXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char code[4096], path[256], cmd[400];
    snprintf(path, sizeof path, "%s/p.svg", dir);
    snprintf(code, sizeof code, "%sdiagram(file = \"%s\")\n", protocol, path);
    Interp *I = run(code);
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
    CU_ASSERT_EQUAL(system(cmd), 0);
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char *svg = calloc(1, 1 << 20);
    size_t n = fread(svg, 1, (1 << 20) - 1, f);
    fclose(f);
    CU_ASSERT(n > 0);
    size_t leaks = 0;
    for (size_t i = 0; i < I->tr.n; i++) leaks += I->tr.msgs[i].leak != 0;
    CU_ASSERT_EQUAL(count(svg, "marker-end="), I->tr.n);
    CU_ASSERT_EQUAL(count(svg, "marker-end=\"url(#leak)\""), leaks);
    CU_ASSERT(leaks == 2);
    free(svg);
    unlink(path); rmdir(dir);
    done(I);
}

/* Every line of the terminal chart fits the width (counting code points). */
static void text_fits_width(void)
{
    static const int widths[] = { 40, 72, 120 };
    for (int w = 0; w < 3; w++) {
        char code[4096];
        snprintf(code, sizeof code, "%st = diagram(width = %d)\n", protocol, widths[w]);
        Interp *I = run(code);
        const char *t = str_global(I, "t");
        CU_ASSERT(strlen(t) > 0);
        int col = 0, widest = 0, lines = 0;
        for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
            if (*p == '\n') { lines++; if (col > widest) widest = col; col = 0; }
            else if ((*p & 0xC0) != 0x80) col++;
        }
        CU_ASSERT(widest <= widths[w]);
        CU_ASSERT_EQUAL((size_t)lines, 2 + I->tr.n + tr_rounds(&I->tr) + 2);
        done(I);
    }
}

int main(void)
{
    static const TU_Test tests[] = {
        {"mermaid matches the transcript", mermaid_matches_transcript},
        {"svg is well-formed", svg_is_xml},
        {"text fits the width", text_fits_width},
        {NULL, NULL}};
    return tu_main("diagram", tests);
}
