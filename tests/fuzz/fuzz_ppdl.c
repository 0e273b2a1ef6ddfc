/*
** fuzz_ppdl.c — the libFuzzer target for ppdl: tokenizer, parser, evaluator and every
** builtin module (core, party, tensor, nn, data, he, mpc, dp).  Each input is one source
** text.  It is parsed with a fresh symbol table and the tree is checked for the parser's
** promises (spans inside the source, height within AST_MAX_HEIGHT, or a diagnostic
** whose span does); then the same text runs in a sandboxed interpreter: imports
** refused, builtins that touch files unbound (save, load_*, load_csv, plot, ...),
** Paillier keys of 256..512 bits (256 when bits = is not given, and for the dealer-free
** triples of additive(dealer = none)) so that a run stays fast, output discarded, and a
** tensors of at most 2^22 elements, and a
** 200 ms CPU budget (ITIMER_PROF, leaving ITIMER_REAL to libFuzzer's -timeout) enforced
** through the interrupt flag the evaluator polls, so an endless loop ends as an
** "interrupted" error rather than a fuzzer timeout.  Build and run with `make fuzz`
** (seeds: samples, tests/scripts, tests/fuzz/seeds); a crashing input is kept as
** tests/fuzz/regress/NAME, which `make test` replays (tests/fuzz/replay.sh).
*/
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "lib.h"
#include "parse.h"
#include "shares.h"
#include "tensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts (a finding for the fuzzer) when a node breaks the tree's contract. */
static void check(const Node *n, size_t srclen, int depth)
{
    if (!n) return;
    if (depth > AST_MAX_HEIGHT + 2 || n->kind >= N__COUNT || n->height > AST_MAX_HEIGHT + 1 ||
        (size_t)n->off + n->len > srclen) {
        fprintf(stderr, "fuzz_ppdl: bad node %s at %u+%u (height %u, depth %d)\n",
                ast_kind_name((NodeKind)n->kind), n->off, n->len, n->height, depth);
        abort();
    }
    check(n->a, srclen, depth + 1);
    check(n->b, srclen, depth + 1);
    check(n->c, srclen, depth + 1);
    for (int i = 0; i < n->list.n; i++) check(n->list.v[i], srclen, depth + 1);
}

static void fuzz_parse(const uint8_t *data, size_t size)
{
    SymTab syms;
    sym_init(&syms);
    Source *src = src_new("<fuzz>", (const char *)data, size, 1);
    ParseDiag d;
    AstUnit *u = ps_parse(&syms, src, &d);
    if (u) {
        if (!u->root || u->root->kind != N_PROGRAM || d.status != PARSE_OK) abort();
        check(u->root, size, 0);
        ast_unit_release(u);
    } else if (d.status == PARSE_OK || !d.msg[0] || d.off > size || (size_t)d.off + d.len > size + 1) {
        fprintf(stderr, "fuzz_ppdl: bad diagnostic %d at %u+%u: %s\n", d.status, d.off, d.len, d.msg);
        abort();
    }
    src_release(src);
    sym_free(&syms);
}

static volatile sig_atomic_t budget_over;
static void on_alarm(int sig) { (void)sig; budget_over = 1; }

/* Builtins that read or write files (or the Fashion-MNIST package): not fuzzed. */
static bool allowed(const LibReg *r)
{
    static const char *const files[] = { "save", "load_model", "plot", "load_csv", "load_idx",
        "fashion_mnist", "save_key", "load_key", "save_ciphertext", "load_ciphertext",
        "save_budget", "load_budget", "diagram", "show_image", NULL };
    for (const char *const *f = files; *f; f++) if (!strcmp(r->name, *f)) return false;
    return true;
}

/* Calls fn with the key-size keyword kw: at most 512 bits when given, 256 when not
** given and `add` says a key will be made. */
static Value small_key(Interp *I, Args *a, LibFn fn, const char *kw, bool add)
{
    for (int i = 0; i < a->nkw; i++)
        if (!strcmp(a->kwname[i]->name, kw)) {
            if (a->kw[i].tag == V_NUM && a->kw[i].as.n > 512)
                return err_raise(I, "fuzz sandbox: paillier keys are at most 512 bits");
            return fn(I, a);
        }
    if (!add || a->nkw >= 16) return fn(I, a);
    Sym *names[17]; Value vals[17];
    memcpy(names, a->kwname, (size_t)a->nkw * sizeof *names);
    memcpy(vals, a->kw, (size_t)a->nkw * sizeof *vals);
    names[a->nkw] = sym_intern(&I->syms, kw, strlen(kw));
    vals[a->nkw] = VNUM(256);
    Args b = *a;
    b.nkw = a->nkw + 1; b.kwname = names; b.kw = vals;
    return fn(I, &b);
}

/* paillier() with small keys: bits = 256 when not given, at most 512. */
static LibFn paillier_fn;
static Value small_paillier(Interp *I, Args *a) { return small_key(I, a, paillier_fn, "bits", true); }
static LibReg small_paillier_reg = { "paillier", small_paillier, "paillier(...)",
                                     "paillier with a small default key (fuzzing)", "", 0 };

/* additive(dealer = none) with a small key for its dealer-free triples: paillier_bits =
** 256 when not given, at most 512. */
static LibFn additive_fn;
static Value small_additive(Interp *I, Args *a)
{
    bool dealerfree = false;
    for (int i = 0; i < a->nkw; i++)
        if (!strcmp(a->kwname[i]->name, "dealer") && a->kw[i].tag == V_NONE) dealerfree = true;
    return small_key(I, a, additive_fn, "paillier_bits", dealerfree);
}
static LibReg small_additive_reg = { "additive", small_additive, "additive(...)",
                                     "additive with a small dealer-free key (fuzzing)", "", 0 };

static void fuzz_eval(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink) sink = fopen("/dev/null", "w");
    Interp *I = ev_new();
    I->out = sink; I->errout = sink; I->sandbox = true;
    I->interrupt = &budget_over;
    tn_max_size = (size_t)1 << 22;      /* 16 MiB tensors: a fill cannot outlast the budget */
    for (uint32_t i = 0; i < I->nbuiltins; i++)
        if (!allowed(I->builtins[i])) ev_set_global(I, I->builtins[i]->name, VNONE);
    const LibReg *pai = lib_find(I, "paillier");
    if (pai) {
        paillier_fn = pai->fn;
        small_paillier_reg.flags = pai->flags;
        ev_set_global(I, "paillier", (Value){ .tag = V_BUILTIN, .as.fn = &small_paillier_reg });
    }
    const LibReg *add = lib_find(I, "additive");
    if (add) {
        additive_fn = add->fn;
        small_additive_reg.flags = add->flags;
        ev_set_global(I, "additive", (Value){ .tag = V_BUILTIN, .as.fn = &small_additive_reg });
    }
    ev_seed(I, 1);                      /* every party's generator, reproducibly */
    budget_over = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGPROF, &sa, NULL);      /* CPU time: ITIMER_REAL is libFuzzer's -timeout */
    struct itimerval t = { { 0, 0 }, { 0, 200000 } };
    setitimer(ITIMER_PROF, &t, NULL);
    Source *src = src_new("<fuzz>", (const char *)data, size, 1);
    ev_run(I, src, true);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_PROF, &off, NULL);
    src_release(src);
    ev_free(I);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parse(data, size);
    fuzz_eval(data, size);
    return 0;
}
