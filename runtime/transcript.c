/*
** transcript.c — the message transcript (see transcript.h).  Append-only; phases (and the kinds
** of records copied from another process) are interned so that messages can point at their
** label without copying it each time.
*/
#include "transcript.h"
#include "mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_init(Tr *t) { memset(t, 0, sizeof *t); t->phase = "online"; t->pending = 1; }

void tr_clear(Tr *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->msgs[i].what);
    t->n = 0; t->round = 0; t->pending = 1;
}

TrMark tr_mark(const Tr *t) { return (TrMark){ t->n, t->round, t->pending, t->phase }; }

void tr_rewind(Tr *t, TrMark m)
{
    if (m.n > t->n) return;             /* the log was cleared since */
    for (size_t i = m.n; i < t->n; i++) free(t->msgs[i].what);
    t->n = m.n; t->round = m.round; t->pending = m.pending; t->phase = m.phase;
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
    if (t->pending) { t->round++; t->pending = 0; }
    return tr_send_at(t, t->round, from, to, kind, bytes, leak, what);
}

size_t tr_send_at(Tr *t, uint32_t round, int from, int to, const char *kind, uint64_t bytes,
                  int leak, const char *what)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->msgs = xrealloc(t->msgs, t->cap * sizeof *t->msgs);
    }
    TrMsg *m = &t->msgs[t->n];
    m->from = from; m->to = to; m->kind = kind; m->bytes = bytes;
    m->round = round; m->phase = t->phase; m->leak = leak;
    m->what = what ? xstrdup(what) : NULL;
    return t->n++;
}

uint32_t tr_next_round(Tr *t) { t->pending = 1; return t->round + 1; }

uint32_t tr_open_round(Tr *t) { t->pending = 0; return ++t->round; }

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Distinct values among r[0..n) (sorts r). */
static uint64_t distinct(uint32_t *r, size_t n)
{
    qsort(r, n, sizeof *r, cmp_u32);
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++) if (!i || r[i] != r[i - 1]) k++;
    return k;
}

uint32_t tr_rounds(const Tr *t)
{
    uint32_t *r = xrealloc(NULL, (t->n ? t->n : 1) * sizeof *r);
    for (size_t i = 0; i < t->n; i++) r[i] = t->msgs[i].round;
    uint32_t k = (uint32_t)distinct(r, t->n);
    free(r);
    return k;
}

const char *tr_intern(Tr *t, const char *label)
{
    for (size_t i = 0; i < t->nphases; i++)
        if (strcmp(t->phases[i], label) == 0) return t->phases[i];
    t->phases = xrealloc(t->phases, (t->nphases + 1) * sizeof *t->phases);
    t->phases[t->nphases] = xstrdup(label);
    return t->phases[t->nphases++];
}

const char *tr_phase(Tr *t, const char *label)
{
    const char *old = t->phase;
    t->phase = tr_intern(t, label);
    return old;
}

size_t tr_append(Tr *t, const TrMsg *m)
{
    size_t i = tr_send_at(t, m->round, m->from, m->to, tr_intern(t, m->kind), m->bytes, m->leak, m->what);
    t->msgs[i].phase = tr_intern(t, m->phase);
    return i;
}

TrTotals tr_totals(const Tr *t, int from, int to, const char *phase)
{
    TrTotals r = {0, 0, 0};
    uint32_t *rs = xrealloc(NULL, (t->n ? t->n : 1) * sizeof *rs);
    for (size_t i = 0; i < t->n; i++) {
        const TrMsg *m = &t->msgs[i];
        if (from >= 0 && m->from != from) continue;
        if (to >= 0 && m->to != to) continue;
        if (phase && strcmp(m->phase, phase) != 0) continue;
        rs[r.msgs++] = m->round;
        r.bytes += m->bytes;
    }
    r.rounds = distinct(rs, (size_t)r.msgs);
    free(rs);
    return r;
}
