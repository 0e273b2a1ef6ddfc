/*
** lib_data.h — the dataset kind of the 'data' module, for the modules that consume
** datasets (nn training, DP, MPC).  A dataset value is immutable: every data builtin
** returns a new one, so values may share one Ds.  The Ds stays owned by the value.
*/
#ifndef LIB_DATA_H
#define LIB_DATA_H
#include "dataset.h"
#include "val.h"

/* type() "dataset"; show() prints a summary (never rows); fields x, y, n, features,
** classes, names, label, name, mean, std. */
extern const VClass lib_dataset_class;

/* The dataset inside v (borrowed), or NULL when v is not a dataset. */
Ds   *lib_dataset_of(Value v);
/* A new dataset value (owned, public) that takes ownership of d. */
Value lib_dataset_new(Ds *d);

#endif
