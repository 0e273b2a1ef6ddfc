/*
** ds.h — a labelled dataset in memory: features x (n × d, or n × c × h × w for images)
** and labels y (n values: a class index 0..nclasses-1, or a regression target when
** nclasses is 0).  Owned by the data module (runtime/ds.c: loaders, split, partition);
** training code only reads it.  A dataset may carry a differential-privacy ledger,
** owned through the ledger/ledger_free pair (see the dp module).
*/
#ifndef DS_H
#define DS_H
#include "tn.h"

typedef struct Ds {
    Tn *x;                  /* n × d (or n × c × h × w) */
    Tn *y;                  /* n */
    int nclasses;           /* 0: regression target */
    char **features; int nfeatures;   /* column names, may be NULL */
    char *label;            /* label column name, may be NULL */
    char *origin;           /* file it came from, for messages; may be NULL */
    void *ledger;           /* privacy ledger, NULL until a budget is set */
    void (*ledger_free)(void *ledger);
    void *(*ledger_copy)(const void *ledger);
} Ds;

#endif
