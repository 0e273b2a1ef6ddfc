/*
** fuzz_ppdl.c — the libFuzzer target for ppdl's front end.  Each input is one source
** text: it is parsed with a fresh symbol table, and the result is checked for the
** parser's promises (a tree whose spans lie inside the source and whose height is
** within AST_MAX_HEIGHT, or a diagnostic whose span does), then everything is freed.
** The evaluator is not run yet.  Build and run with `make fuzz`.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "parse.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
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
    return 0;
}
