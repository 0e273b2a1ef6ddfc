/*
** transcript.h — the transcript: every message between parties, in order.  The message layer
** (runtime/message.c) is its only writer: it calls tr_send() once per message, and
** view(p), messages() and cost() only read this log, so what they show is exactly what
** was recorded.  Rounds are numbered from 1: tr_next_round() marks that the next
** message opens a new round (so both "open a round, then send" and "send, then close
** the round" number rounds the same way).  Parties are small integers owned by
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
    uint32_t round;         /* current communication round (0: none yet) */
    int pending;            /* the next message opens round + 1 */
    const char *phase;      /* current phase label */
    char **phases; size_t nphases;   /* interned phase labels */
} Tr;

void tr_init(Tr *t);
void tr_free(Tr *t);
void tr_clear(Tr *t);
/* Records one message in the current round (opening a new one if one is pending);
** what may be NULL; returns its index.  Callers: runtime/message.c only (the
** message layer); see docs/parties.md for the ones not yet converted. */
size_t tr_send(Tr *t, int from, int to, const char *kind, uint64_t bytes, int leak,
               const char *what);
/* The same in a given round (a parallel section's, already opened). */
size_t tr_send_at(Tr *t, uint32_t round, int from, int to, const char *kind, uint64_t bytes,
                  int leak, const char *what);
/* Marks a new communication round (messages sent in one round can travel in parallel):
** the next message opens it.  Returns its number. */
uint32_t tr_next_round(Tr *t);
/* Opens a new round now and returns its number. */
uint32_t tr_open_round(Tr *t);
/* Sets the phase label for messages that follow; the label is copied once. Returns
** the previous label so callers can restore it. */
const char *tr_phase(Tr *t, const char *label);

/* The interned copy of label (kept until tr_free): for kinds and phases that are not
** static strings. */
const char *tr_intern(Tr *t, const char *label);
/* Appends a copy of m, a record made elsewhere (another party's process, after an
** interrupted entry: interp/replica.c): its kind and phase interned, what copied, its
** own round kept (the current round is not changed).  Returns its index. */
size_t tr_append(Tr *t, const TrMsg *m);

/* A point in the log, and going back to it: the messages after it are forgotten and the
** round and phase are the mark's again (a driven party's interrupted entry: each
** process stopped at another step, so all go back to where the entry began, then
** append the records of the messages that crossed, interp/replica.c). */
typedef struct TrMark { size_t n; uint32_t round; int pending; const char *phase; } TrMark;
TrMark tr_mark(const Tr *t);
void tr_rewind(Tr *t, TrMark m);

typedef struct TrTotals { uint64_t msgs, bytes, rounds; } TrTotals;
/* Totals over messages sent (from >= 0) or received (to >= 0) by a party, within a
** phase (NULL: all phases).  Rounds counts distinct rounds among those messages. */
TrTotals tr_totals(const Tr *t, int from, int to, const char *phase);
/* The number of distinct rounds among all messages (what cost() reports). */
uint32_t tr_rounds(const Tr *t);

#endif
