/*
** tr.h — the transcript: every message between parties, in order.  A protocol that
** moves data calls tr_send() once per message; view(p) and cost() only read this log,
** so what they show is exactly what was recorded.  Parties are small integers owned by
** the interpreter (0 is "nobody/public"); the transcript stores ids, kinds and sizes,
** plus a short description that must never contain a secret the receiver could not see
** (for a ciphertext: a digest; for shares: the share itself is fine only if it is the
** receiver's own share — callers decide).
*/
#ifndef TR_H
#define TR_H
#include <stddef.h>
#include <stdint.h>

typedef struct TrMsg {
    int from, to;
    const char *kind;       /* static string: "plain", "ciphertext", "share", "open", ... */
    uint64_t bytes;
    uint32_t round;
    const char *phase;      /* static string or interned by tr: "online", "offline", ... */
    int leak;               /* 1: a plaintext of the sender's private data */
    char *what;             /* owned short description, may be NULL */
} TrMsg;

typedef struct Tr {
    TrMsg *msgs; size_t n, cap;
    uint32_t round;         /* current communication round */
    const char *phase;      /* current phase label */
    char **phases; size_t nphases;   /* interned phase labels */
} Tr;

void tr_init(Tr *t);
void tr_free(Tr *t);
void tr_clear(Tr *t);
/* Records one message; what may be NULL; returns its index. */
size_t tr_send(Tr *t, int from, int to, const char *kind, uint64_t bytes, int leak,
               const char *what);
/* Starts a new communication round (messages sent in one round can travel in parallel). */
uint32_t tr_next_round(Tr *t);
/* Sets the phase label for messages that follow; the label is copied once. Returns
** the previous label so callers can restore it. */
const char *tr_phase(Tr *t, const char *label);

typedef struct TrTotals { uint64_t msgs, bytes, rounds; } TrTotals;
/* Totals over messages sent (from >= 0) or received (to >= 0) by a party, within a
** phase (NULL: all phases).  Rounds counts distinct rounds among those messages. */
TrTotals tr_totals(const Tr *t, int from, int to, const char *phase);

#endif
