/*
** repl.h — the interactive loop (Lua's lua.c): prompts, continuation lines, history,
** tab completion and Ctrl-C.  It also owns the process's SIGINT flag, which the
** evaluator polls through I->interrupt, so that main.c can let Ctrl-C stop a script
** the same way.  It does not parse or evaluate anything itself: every complete entry
** goes to ev_run().
*/
#ifndef REPL_H
#define REPL_H
#include "interp.h"

#define REPL_PROMPT      "ppdl> "
#define REPL_PROMPT2     "  ... "
#define REPL_HISTORY_MAX 1000           /* entries kept in the history file */

/* Points I->interrupt at the Ctrl-C flag and installs the SIGINT handler (it only sets
** the flag).  With once set, a second Ctrl-C that arrives before the evaluator noticed
** the first kills the process, and a SIGINT ignored since startup stays ignored
** (scripts); the REPL never sets it. */
void repl_catch_sigint(Interp *I, bool once);

/* Runs the read-eval-print loop on stdin until end of input (Ctrl-D) and returns the
** exit status (0).  Uses readline when stdin is a terminal, plain line reads otherwise;
** both paths print the same prompts and echo the same values.  Keeps every binding
** that I already has (ppdl -i). */
int repl_run(Interp *I);

/* Reports src, for which ev_run() returned EV_INCOMPLETE, as an error on I->errout
** ("name:line:col: error: ..." with caret): outside the REPL, input that ends inside
** a block or after an operator is a syntax error. */
void repl_report_incomplete(Interp *I, Source *src);

#endif
