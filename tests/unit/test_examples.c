/*
** test_examples.c — every builtin documents itself: a signature, a help paragraph and an
** example, and every example runs without error in a fresh, seeded interpreter (from the
** repository root, as `make test` runs).  A builtin added without them fails here.
*/
#include "tu.h"
#include "lib.h"
#include "help.h"
#include <stdlib.h>
#include <string.h>

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

static void every_example_runs(void)
{
    Interp *probe = ev_new();
    uint32_t n = probe->nbuiltins;
    const LibReg **regs = malloc(n * sizeof *regs);
    memcpy(regs, probe->builtins, n * sizeof *regs);
    ev_free(probe);
    int failures = 0;
    for (uint32_t i = 0; i < n; i++) {
        const LibReg *r = regs[i];
        if (!r->example || !r->example[0]) continue;
        char *out = NULL, *err = NULL; size_t no = 0, ne = 0;
        FILE *o = open_memstream(&out, &no), *e = open_memstream(&err, &ne);
        Interp *I = ev_new();
        I->out = o; I->errout = e;
        rng_seed(&I->rng, 1);                       /* quiet and reproducible */
        Source *s = src_new(r->name, r->example, strlen(r->example), 1);
        EvStatus st = ev_run(I, s, false);
        src_release(s);
        ev_free(I);
        fclose(o); fclose(e);
        if (st != EV_OK) {
            failures++;
            fprintf(stderr, "  example of '%s' failed:\n    %s\n%s", r->name, r->example, err);
        }
        CU_ASSERT_EQUAL(st, EV_OK);
        free(out); free(err);
    }
    free(regs);
    CU_ASSERT_EQUAL(failures, 0);
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
** runs; help() lists it, and help("name") shows it with its example. */
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
        char *out = NULL, *e = NULL;
        EvStatus st = run_code(t->name, t->example, &out, &e);
        if (st != EV_OK) fprintf(stderr, "  example of help page '%s' failed:\n%s\n%s", t->name, t->example, e);
        CU_ASSERT_EQUAL(st, EV_OK);
        free(out); free(e);
        char code[96];
        snprintf(code, sizeof code, "help(\"%s\")", t->name);
        st = run_code(t->name, code, &out, &e);
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

int main(void)
{
    static const TU_Test tests[] = {
        {"every builtin documented", every_builtin_documented},
        {"every example runs", every_example_runs},
        {"every help page", every_help_page},
        {NULL, NULL}};
    return tu_main("examples", tests);
}
