/*
** lib_shares.h — what the 'mpc' module (stdlib/lib_shares.c) offers other modules: the
** value kinds it defines and the training entry point on shared data, so that the nn
** module's train() can hand over when its data argument is a shared dataset.
*/
#ifndef LIB_MPC_H
#define LIB_MPC_H
#include "lib.h"
#include "shares.h"

/* type() "scheme" (additive or shamir), "shared tensor", "shared dataset",
** "shared model". */
extern const VClass lib_ss_scheme_class, lib_shared_class, lib_shared_ds_class,
                    lib_shared_model_class;

/* The shared tensor inside v (borrowed), or NULL. */
SsTensor *lib_shared_of(Value v);
/* True when v is a shared dataset, or a non-empty list of them (what train() on
** shares accepts). */
bool      lib_mpc_is_shared_data(Value v);
/* train(m, data, epochs =, lr =, batch =, verbose =) on shared data: a->v[0] is the
** model, a->v[1] a shared dataset or a list of them (rows joined).  Returns a new
** "shared model" value (weights still shared; reveal(sm, to = p) hands it to p), or
** VERR.  A fixed-point overflow (divergence) stops training with a warning and keeps
** the last good weights; the result's field `diverged` tells. */
Value     lib_mpc_train(Interp *I, Args *a);

#endif
