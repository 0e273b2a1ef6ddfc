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

#endif
