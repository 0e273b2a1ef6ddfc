/*
** resolve.h — the resolver: one pass over a parse unit that decides where every name
** lives before it runs.  Top-level names are globals (slot = symbol id); inside a
** function, parameters and every name the function assigns (=, +=, for, fn) are locals
** in a numbered slot; other names are found in enclosing functions (upvalues, `depth`
** hops out) or else are globals.  Python's rule: assigning makes a name local.
*/
#ifndef RESOLVE_H
#define RESOLVE_H
#include "ast.h"

enum { SC_GLOBAL = 0, SC_LOCAL = 1, SC_UPVAL = 2 };

typedef struct FnInfo {
    int nparams;            /* parameters occupy slots 0..nparams-1 */
    int nlocals;            /* total slots */
    Sym **names;            /* slot -> name, for messages */
} FnInfo;

/* Annotates every node of u (scope/depth/slot, FnInfo on N_FN). Never fails. */
void rs_resolve(AstUnit *u);

#endif
