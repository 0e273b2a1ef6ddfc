/*
** distrib.h — one script across processes (docs/distributed.md): the driver of
** `ppdl --processes FILE`, which starts one `ppdl serve --party NAME ... --run FILE`
** process per declared party on 127.0.0.1 with fresh CURVE keys and free ports, shows
** the first party's output and stops them all at the end, on an error and on Ctrl-C;
** and the party's side, which runs the script over the mirrored carrier
** (runtime/transport_mirror.h).
*/
#ifndef DISTRIB_H
#define DISTRIB_H
#include <stdbool.h>
#include <stdint.h>
#include "interp.h"
#include "message.h"
#include "parties_file.h"

typedef struct DistribOptions {
    const char *script;         /* the script file */
    bool seeded; uint64_t seed; /* --seed N: every stream reproducible (insecure) */
    bool pub_seeded; uint64_t pub_seed; /* --public-seed N (serve): the public stream only,
                                   the same in every process; each party's own from the OS */
    int timeout_ms;             /* --timeout MS; <= 0: the network's default */
    bool strict;                /* --strict in every process */
    bool show;                  /* --show-narrator: this party shows its values and output to
                                   the narrator (--processes: every party does) */
} DistribOptions;

/* ppdl --processes: returns the exit status (0, 1 a failure in the run, 2 a usage
** error such as a script that declares fewer than two parties). */
int distrib_processes(const DistribOptions *o);

/* A party's side (`ppdl serve ... --run FILE`): runs the script as party `self`, its
** frames carried by net (owned from now on); returns the exit status. */
int distrib_party(MsgTransport *net, const PartiesFile *pf, const char *self, const DistribOptions *o);

/* Removes dir and the plain files in it. */
/* Writes into buf (n bytes) the mkdtemp template of a temporary directory STEM:
** "$TMPDIR/STEM-XXXXXX", or under /tmp when TMPDIR is unset, empty or too long. */
void distrib_tmp_template(char *buf, size_t n, const char *stem);
void distrib_remove_dir(const char *dir);

/* The test hook PPDL_TEST_LEAVE=NAME:ROUND: the round after which party `self`'s
** process kills itself, as a machine going down would (0: never). */
int distrib_leave_round(const char *self);

/* A party's session under a narrator (`ppdl serve --party NAME --parties FILE` when
** FILE has a narrator line): runs the chunks the narrator sends until it says "stop" or
** SIGTERM/Ctrl-C; show: --show-narrator (what it prints goes to the narrator; without
** it the party runs with --strict).  Takes net; returns the exit status. */
int distrib_session(MsgTransport *net, const PartiesFile *pf, const char *self, bool show);

/* The driver (`ppdl --parties FILE [--key KEY]`): opens the narrator's end named in the
** parties file and makes I's REPL send its entries to the parties (I->run_hook).  0, or
** an exit status after printing why. */
int distrib_drive_open(Interp *I, const char *parties, const char *key, const DistribOptions *o);
/* Sends src to every party, waits for their answers (Ctrl-C stops waiting), prints the
** first output shown and the first error.  EV_INCOMPLETE: echo set and src ends early. */
EvStatus distrib_drive_run(Interp *I, Source *src, bool echo);
/* Tells the parties to stop and closes the narrator's end. */
void distrib_drive_close(Interp *I);

/* After the narrator interrupted an entry (a driven session, interp/narrator.c; these two are in
** interp/replica.c): every process keeps the
** records of the messages that crossed.  rep_stop_frame: this process's party's "sent"
** frame (to itself; its envelope's `to` is patched per receiver): the current round and
** the records of the messages it vouches for since transcript index lo (those it sent:
** only as many to each party as frames went there since sent0[q] = mirror_sent then;
** from the public: those it received); I NULL: none.  rep_stop_merge: the transcript goes
** back to mark and takes every party's records (frames[q - 1] from party q, its own
** included) in the entry's order; the round is the furthest any process numbered, and
** what arrived in the entry points at its message's new place.  False with why (the
** transcript then stops at mark). */
uint8_t *rep_stop_frame(Interp *I, int self, uint32_t entry, size_t lo, const uint64_t *sent0,
                        size_t *len);
bool  rep_stop_merge(Interp *I, TrMark mark, uint8_t *const *frames, const size_t *lens, int n,
                     char *why, size_t whylen);

#endif
