/*
** test_examples.c — every builtin documents itself: a signature, a help paragraph and an
** example that says what it prints.  An example's lines holding "# -> " give its expected
** standard output, one line each, so help(name) shows the result beside the code:
**     print(len([1, 2, 3]))   # -> 3
** Each example runs in a fresh interpreter, in a private working directory where samples/
** is the repository's (examples that save write there), under two different seeds and must print exactly that; "..." in an expected line
** matches anything (what is random by design: a ciphertext's digest and size, the last
** digits of a fixed-point approximation).  A builtin or help page added without an
** example, or an example without its output, fails here.
*/
#include "tu.h"
#include "lib.h"
#include "help.h"
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void every_builtin_documented(void)
{
    Interp *I = ev_new();
    for (uint32_t i = 0; i < I->nbuiltins; i++) {
        const LibReg *r = I->builtins[i];
        if (r->name[0] == '_') continue;            /* hidden helpers such as __setindex */
        bool ok = r->sig && r->help && r->example && r->sig[0] && r->help[0] && r->example[0];
        if (!ok) fprintf(stderr, "  builtin '%s' lacks a signature, help or example\n", r->name);
        CU_ASSERT(ok);
    }
    ev_free(I);
}

/* An example says what it prints: each line holding "# -> " contributes the rest of that
** line as one line of expected standard output, in order ("# ->" alone: an empty line).
** The result is malloc'd ("" when the example has none). */
static char *expected_output(const char *ex)
{
    size_t cap = strlen(ex) + 1, n = 0;
    char *want = malloc(cap);
    for (const char *p = ex; *p; ) {
        size_t len = strcspn(p, "\n");
        const char *m = NULL;
        for (const char *q = p; q + 4 <= p + len; q++)
            if (memcmp(q, "# ->", 4) == 0 && (q + 4 == p + len || q[4] == ' ')) { m = q; break; }
        if (m) {
            const char *t = m + 4 + (m + 4 < p + len);
            memcpy(want + n, t, (size_t)(p + len - t));
            n += (size_t)(p + len - t);
            want[n++] = '\n';
        }
        p += len + (p[len] == '\n');
    }
    want[n] = '\0';
    return want;
}

/* Whether line got (len gn) matches line want (len wn), where "..." in want stands for
** any run of characters: the part of an output that is random by design. */
static bool line_matches(const char *want, size_t wn, const char *got, size_t gn)
{
    if (wn >= 3 && memcmp(want, "...", 3) == 0) {
        for (size_t skip = 0; skip <= gn; skip++)
            if (line_matches(want + 3, wn - 3, got + skip, gn - skip)) return true;
        return false;
    }
    if (wn == 0) return gn == 0;
    return gn > 0 && *want == *got && line_matches(want + 1, wn - 1, got + 1, gn - 1);
}

/* Whether output got matches the expected output want, line by line. */
static bool output_matches(const char *want, const char *got)
{
    for (;;) {
        if (!*want || !*got) return !*want && !*got;
        size_t wn = strcspn(want, "\n"), gn = strcspn(got, "\n");
        if (!line_matches(want, wn, got, gn)) return false;
        want += wn + (want[wn] == '\n');
        got += gn + (got[gn] == '\n');
    }
}

static bool reports = true;     /* off while the checker checks itself */

/* Runs one example under the random seed given; false (with a report on stderr) when it
** fails, prints anything but what its "# -> " lines say, or writes to stderr other than
** warnings (seed's, a small key's). */
static bool example_checks(const char *name, const char *ex, uint64_t seed)
{
    char *want = expected_output(ex);
    char *out = NULL, *err = NULL; size_t no = 0, ne = 0;
    FILE *o = open_memstream(&out, &no), *e = open_memstream(&err, &ne);
    Interp *I = ev_new();
    I->out = o; I->errout = e;
    rng_seed(&I->rng, seed);
    Source *s = src_new(name, ex, strlen(ex), 1);
    EvStatus st = ev_run(I, s, false);
    src_release(s);
    ev_free(I);
    fclose(o); fclose(e);
    bool quiet = true;
    for (const char *p = err; *p; p += strcspn(p, "\n"), p += (*p == '\n'))
        if (strncmp(p, "warning: ", 9) != 0) quiet = false;
    bool ok = want[0] && st == EV_OK && output_matches(want, out) && quiet;
    if (!ok && reports) {
        fprintf(stderr, "\n  example of '%s' (seed %llu):\n%s\n", name, (unsigned long long)seed, ex);
        if (!want[0]) fprintf(stderr, "  -- has no \"# -> \" line saying what it prints\n");
        else fprintf(stderr, "  -- expected:\n%s  -- printed:\n%s", want, out);
        if (err[0]) fprintf(stderr, "  -- stderr:\n%s", err);
    }
    free(want); free(out); free(err);
    return ok;
}

/* Every builtin's example prints exactly what its "# -> " lines say, under two different
** seeds: an output that depends on randomness must be seeded by the example itself
** (seed(n)) or print a stable property, because the user's run is not seeded. */
static void every_example_prints_its_output(void)
{
    Interp *probe = ev_new();
    uint32_t n = probe->nbuiltins;
    const LibReg **regs = malloc(n * sizeof *regs);
    memcpy(regs, probe->builtins, n * sizeof *regs);
    ev_free(probe);
    int failures = 0, checked = 0;
    for (uint32_t i = 0; i < n; i++) {
        const LibReg *r = regs[i];
        if (!r->example || !r->example[0]) continue;
        checked++;
        if (!example_checks(r->name, r->example, 1) || !example_checks(r->name, r->example, 2)) failures++;
    }
    free(regs);
    CU_ASSERT(checked > 100);
    CU_ASSERT_EQUAL(failures, 0);
}

/* The checker itself can fail: a wrong, missing or extra line is caught; "..." is the
** only wildcard. */
static void expected_output_checker(void)
{
    char *w = expected_output("x = 1\nprint(x)   # -> 1\n# -> two words\n# ->\n# no arrow");
    CU_ASSERT_STRING_EQUAL(w, "1\ntwo words\n\n");
    CU_ASSERT(output_matches(w, "1\ntwo words\n\n"));
    CU_ASSERT(!output_matches(w, "1\ntwo words\n"));
    CU_ASSERT(!output_matches(w, "1\ntwo word\n\n"));
    CU_ASSERT(!output_matches(w, "1\ntwo words\n\nextra\n"));
    free(w);
    CU_ASSERT(output_matches("ciphertext[2] ... ...\n", "ciphertext[2] d1dd30b5 12f12a71\n"));
    CU_ASSERT(!output_matches("ciphertext[2] ... ...\n", "ciphertext[3] d1dd30b5 12f12a71\n"));
    CU_ASSERT(output_matches("0.244...\n", "0.2446\n"));
    CU_ASSERT(!output_matches("0.244...\n", "0.2456\n"));
    w = expected_output("print(1)");
    CU_ASSERT_STRING_EQUAL(w, "");
    free(w);
    reports = false;
    CU_ASSERT(!example_checks("no_arrow", "print(1)", 1));
    CU_ASSERT(!example_checks("wrong", "print(1)   # -> 2", 1));
    CU_ASSERT(!example_checks("error", "print(1); x = 1 / 0   # -> 1", 1));
    CU_ASSERT(example_checks("right", "print(1)   # -> 1", 1));
    reports = true;
}

/* Runs code in a fresh seeded interpreter; EV_OK or not, with stdout kept in *out. */
static EvStatus run_code(const char *name, const char *code, char **out, char **err)
{
    size_t no = 0, ne = 0;
    FILE *o = open_memstream(out, &no), *e = open_memstream(err, &ne);
    Interp *I = ev_new();
    I->out = o; I->errout = e;
    rng_seed(&I->rng, 1);
    Source *s = src_new(name, code, strlen(code), 1);
    EvStatus st = ev_run(I, s, false);
    src_release(s);
    ev_free(I);
    fclose(o); fclose(e);
    return st;
}

/* Every help page (help("on"), help("mpc"), ...) has a title, a text and an example that
** prints what its "# -> " lines say; help() lists it, and help("name") shows it. */
static void every_help_page(void)
{
    char *list = NULL, *err = NULL;
    CU_ASSERT_EQUAL(run_code("help", "help()", &list, &err), EV_OK);
    int pages = 0;
    for (const HelpTopic *t = help_topics; t->name; t++, pages++) {
        bool ok = t->title && t->text && t->example && t->example[0];
        CU_ASSERT(ok);
        char word[64];
        snprintf(word, sizeof word, " %s", t->name);
        if (!strstr(list, word)) fprintf(stderr, "  help() does not list '%s'\n", t->name);
        CU_ASSERT_PTR_NOT_NULL(strstr(list, word));
        CU_ASSERT(example_checks(t->name, t->example, 1) && example_checks(t->name, t->example, 2));
        char *out = NULL, *e = NULL;
        char code[96];
        snprintf(code, sizeof code, "help(\"%s\")", t->name);
        EvStatus st = run_code(t->name, code, &out, &e);
        CU_ASSERT_EQUAL(st, EV_OK);
        CU_ASSERT(out != NULL && strstr(out, t->title) != NULL);
        free(out); free(e);
    }
    static const char *const wanted[] = { "on", "party", "scheme", "network", "at", "mpc",
                                          "paillier", "dp", "rounds", "try", NULL };
    for (const char *const *w = wanted; *w; w++) CU_ASSERT_PTR_NOT_NULL(help_topic(*w));
    CU_ASSERT(pages >= 10);
    free(list); free(err);
}

/* The examples run in a private working directory (what they save goes there and
** vanishes with it) where samples/ links to the repository's; the suite starts at the
** repository root, as `make test` runs it. */
static char root[PATH_MAX], work[] = "/tmp/ppdl-examples.XXXXXX";

static bool enter_work(void)
{
    char link[PATH_MAX + 16];
    if (!getcwd(root, sizeof root) || !mkdtemp(work)) return false;
    snprintf(link, sizeof link, "%s/samples", root);
    char at[sizeof work + 16];
    snprintf(at, sizeof at, "%s/samples", work);
    return symlink(link, at) == 0 && chdir(work) == 0;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static void leave_work(void)
{
    if (chdir(root) == 0) nftw(work, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    if (!enter_work()) { perror("test_examples: private working directory"); return 2; }
    static const TU_Test tests[] = {
        {"every builtin documented", every_builtin_documented},
        {"the expected-output checker", expected_output_checker},
        {"every example prints its output", every_example_prints_its_output},
        {"every help page", every_help_page},
        {NULL, NULL}};
    int rc = tu_main("examples", tests);
    leave_work();
    return rc;
}
