/*
** lib_dp.h — what the 'dp' module (stdlib/lib_dp.c) exports to other stdlib modules:
** charging a dataset's privacy budget before a DP computation runs.  The nn module
** calls lib_dp_charge() from train(..., dp = dpsgd(...)) before the first step; protocol
** modules (PATE, DSSGD) call lib_dp_spend() for releases they account themselves.
**
** Security notes: the ledger is the runtime's record of what was released about a
** dataset; a refused charge raises an error BEFORE anything is computed, so nothing is
** released.  It guards against honest mistakes in a script, not against a script that
** reloads the raw data to get a fresh ledger.  Epsilons compose by basic composition
** across charges (see runtime/dp.h).
*/
#ifndef LIB_DP_H
#define LIB_DP_H
#include "lib.h"

/* Charges a DP-SGD run on dataset (a dataset value, borrowed): epsilon of `steps` steps
** of the sampled Gaussian mechanism with sampling rate q and noise multiplier sigma at
** delta (RDP accountant, classic conversion).  When it would exceed the dataset's
** budget, raises an error saying what the run costs, what was spent and what is left,
** and returns false; otherwise records the charge (a dataset with no budget set gets a
** ledger entry and no limit) and returns true.  Also false after raising on a value
** that is not a dataset or on bad parameters. */
bool lib_dp_charge(Interp *I, Value dataset, double q, double sigma, long steps, double delta);

/* Charges (epsilon, delta) under the label `what` to dataset, with the same refusal
** and recording rules as lib_dp_charge. */
bool lib_dp_spend(Interp *I, Value dataset, const char *what, double epsilon, double delta);

/* The wire (stdlib/lib_wire.h): a ledger travels as its text form (dp_ledger_write's
** "ppdl-ledger 1" lines) in a msgpack str.  The budget kind, for decoding. */
extern const VClass lib_dp_budget_class;
struct WireW; struct WireR;
void  lib_dp_put_ledger(struct WireW *w, const void *ledger);
/* A new ledger (one reference) from its wire form, or NULL after wire_fail. */
void *lib_dp_get_ledger(struct WireR *r, const struct msgpack_object *o);

#endif
