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
#include "message.h"
#include "parties_file.h"

typedef struct DistribOptions {
    const char *script;         /* the script file */
    bool seeded; uint64_t seed; /* --seed N (otherwise one fresh seed for the run) */
    int timeout_ms;             /* --timeout MS; <= 0: the network's default */
    bool strict;                /* --strict in every process */
} DistribOptions;

/* ppdl --processes: returns the exit status (0, 1 a failure in the run, 2 a usage
** error such as a script that declares fewer than two parties). */
int distrib_processes(const DistribOptions *o);

/* A party's side (`ppdl serve ... --run FILE`): runs the script as party `self`, its
** frames carried by net (owned from now on); returns the exit status. */
int distrib_party(MsgTransport *net, const PartiesFile *pf, const char *self, const DistribOptions *o);

#endif
