/*
** party_cmd.h — ppdl's subcommands for parties in separate processes:
**   ppdl keygen NAME                writes NAME.key (secret, 0600) and NAME.pub
**   ppdl serve --party NAME --parties FILE [--key FILE] [--timeout MS]
**              [--run SCRIPT [--seed N] [--strict]] [--show-narrator]
**                                   runs party NAME's end: a script, a narrator's
**                                   chunks, or answers to pings
** (docs/distributed.md).  main.c hands argv over when argv[1] is one of them.
*/
#ifndef PARTY_CMD_H
#define PARTY_CMD_H
#include <stdbool.h>

/* True when argv[1] names a subcommand of this file. */
bool party_cmd_is(int argc, char **argv);
/* Runs it; returns the exit status (0, 1 a runtime failure, 2 a usage error). */
int party_cmd_main(int argc, char **argv);

#endif
