/*
** tr.c — the message transcript (see tr.h).  Append-only; phases are interned so that
** messages can point at their label without copying it each time.
*/
#include "tr.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p && n) { fputs("ppdl: out of memory\n", stderr); abort(); }
    return p;
}

void tr_init(Tr *t) { memset(t, 0, sizeof *t); t->phase = "online"; }

void tr_clear(Tr *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->msgs[i].what);
    t->n = 0; t->round = 0;
}

void tr_free(Tr *t)
{
    tr_clear(t);
    free(t->msgs);
    for (size_t i = 0; i < t->nphases; i++) free(t->phases[i]);
    free(t->phases);
    memset(t, 0, sizeof *t);
}

size_t tr_send(Tr *t, int from, int to, const char *kind, uint64_t bytes, int leak,
               const char *what)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->msgs = xrealloc(t->msgs, t->cap * sizeof *t->msgs);
    }
    TrMsg *m = &t->msgs[t->n];
    m->from = from; m->to = to; m->kind = kind; m->bytes = bytes;
    m->round = t->round; m->phase = t->phase; m->leak = leak;
    m->what = what ? strdup(what) : NULL;
    return t->n++;
}

uint32_t tr_next_round(Tr *t) { return ++t->round; }

const char *tr_phase(Tr *t, const char *label)
{
    const char *old = t->phase;
    for (size_t i = 0; i < t->nphases; i++)
        if (strcmp(t->phases[i], label) == 0) { t->phase = t->phases[i]; return old; }
    t->phases = xrealloc(t->phases, (t->nphases + 1) * sizeof *t->phases);
    t->phases[t->nphases] = strdup(label);
    t->phase = t->phases[t->nphases++];
    return old;
}

TrTotals tr_totals(const Tr *t, int from, int to, const char *phase)
{
    TrTotals r = {0, 0, 0};
    uint32_t last = UINT32_MAX;
    for (size_t i = 0; i < t->n; i++) {
        const TrMsg *m = &t->msgs[i];
        if (from >= 0 && m->from != from) continue;
        if (to >= 0 && m->to != to) continue;
        if (phase && strcmp(m->phase, phase) != 0) continue;
        r.msgs++; r.bytes += m->bytes;
        if (m->round != last) { r.rounds++; last = m->round; }
    }
    return r;
}
