/*
** lib.h — how builtins are written and registered (Lua's luaL_Reg, jq's builtin table).
** Each module (one stdlib/lib_X.c) exports a NULL-terminated LibReg table and,
** optionally, an init function (to install VClasses or hooks); lib_all.c lists the
** modules.  Every entry has a signature line, a help paragraph and an example that
** runs; `help` lists them and `help(name)` shows one.
**
** A builtin receives BORROWED arguments (positional, then keyword) and returns an
** OWNED value, or VERR after err_raise().  The lib_arg_* checkers raise messages in one
** voice:  bad argument #2 to 'dot' (tensor expected, got ciphertext).
*/
#ifndef LIB_H
#define LIB_H
#include "interp.h"

typedef struct Args {
    const char *fname;          /* the builtin's name, for messages */
    int n;          Value *v;   /* positional */
    int nkw; Sym **kwname; Value *kw;   /* keyword */
    int at;                     /* party the call runs at (I->cur_party) */
    const LibReg *self;         /* the entry being called (for lib_forward) */
    bool bare;                  /* the call is a statement of its own (`cost()`, not `c = cost()`) */
} Args;

typedef Value (*LibFn)(Interp *I, Args *a);

/* The party whose generator a builtin's random draw comes from: the party the call runs
** at, or at the top level the p of `expr at p` (the drawn value is p's, so every other
** process must not be able to recompute it); 0: the public stream. */
static inline int lib_draw_party(const Interp *I, const Args *a) { return a->at ? a->at : I->file_at; }

struct LibReg {
    const char *name;
    LibFn fn;
    const char *sig;            /* "train(m, data, epochs = 1, lr = 0.1, ...)" */
    const char *help;           /* what it does, what it returns, errors */
    const char *example;        /* ppdl code that runs, then "# -> " lines: what it prints
                                   (tests/unit/test_examples.c compares) */
    int flags;                  /* LIB_* below; 0 for ordinary builtins */
};

/* The evaluator refuses to pass values from two different parties to one builtin and
** places the result at the arguments' party.  Builtins that move data between parties
** (send, share, reveal, encrypt, protocols) or only inspect (print, show, type) set
** LIB_ANYOWNER and handle ownership themselves. */
#define LIB_ANYOWNER 1
/* Top level only (the experimenter's view: view, messages, cost, seed): refused inside
** `on p`. */
#define LIB_NARRATOR 2
/* Shows its arguments (print, show, assert): the experimenter at the top level sees any
** party's values; inside `on p` every argument's contents must be p's or public. */
#define LIB_SHOW 4
/* Changes its first argument in place (append, pop, train, ...): inside `on p` that
** must be p's; at the top level it joins the store of the data it is changed with. */
#define LIB_WRITES 8
/* Reads only the structure of its first argument (len, append, pop, keys): a public
** list may hold other parties' items without them being read. */
#define LIB_STRUCT 16

typedef struct LibModule {
    const char *name;
    const LibReg *fns;
    void (*init)(Interp *I);
} LibModule;

/* Registers every module in lib_all.c into I (called by ev_new). */
void lib_register_all(Interp *I);
const LibReg *lib_find(const Interp *I, const char *name);
/* Several modules may register one name (core's max handles numbers and lists, the
** tensor module's max tensors, the mpc module's max shared tensors): the first is bound.
** When an entry rejects an argument's kind with lib_bad (directly or through lib_num,
** lib_tensor, lib_user, ...), the evaluator tries the next entry of that name, and if
** all reject it reports one message listing every kind they accept.  lib_forward hands
** the call on explicitly. */
const LibReg *lib_next(const Interp *I, const LibReg *r);
Value lib_forward(Interp *I, Args *a, const char *expected);

/* --- argument checking: each returns false after raising an error --- */
bool  lib_arity(Interp *I, Args *a, int min, int max);         /* max < 0: no limit */
/* Unknown keywords are errors: allowed is a NULL-terminated list. */
bool  lib_kwonly(Interp *I, Args *a, const char *const *allowed);
Value *lib_kw(Args *a, const char *name);                      /* borrowed or NULL */
bool  lib_num(Interp *I, Args *a, int i, double *out);
bool  lib_int(Interp *I, Args *a, int i, long *out);           /* integral number */
bool  lib_str(Interp *I, Args *a, int i, const char **out);
bool  lib_tensor(Interp *I, Args *a, int i, Tn **out);         /* number → error */
void *lib_user(Interp *I, Args *a, int i, const VClass *cls);  /* NULL after error */
bool  lib_party(Interp *I, Args *a, int i, int *id);
/* Keyword variants: *out keeps its default when the keyword is absent. */
bool  lib_kwnum(Interp *I, Args *a, const char *name, double *out);
bool  lib_kwint(Interp *I, Args *a, const char *name, long *out);
bool  lib_kwbool(Interp *I, Args *a, const char *name, bool *out);
bool  lib_kwstr(Interp *I, Args *a, const char *name, const char **out);
bool  lib_kwparty(Interp *I, Args *a, const char *name, int *id);
/* Files (stdlib/lib_store.c): every file builtin takes its path through lib_path, which
** resolves it in the directory of the party the call runs at (or, for a write at the
** top level, of the data's party) and refuses another party's file.  The resolved path
** is valid until the builtin returns. */
enum { LIB_READ, LIB_WRITE };
bool  lib_path(Interp *I, Args *a, int i, int mode, const char **out);  /* argument i */
bool  lib_path_at(Interp *I, Args *a, const char **path, int mode);     /* a keyword's */
/* Raises "bad argument #i to 'f' (X expected, got Y)" and returns VERR. */
Value lib_bad(Interp *I, Args *a, int i, const char *expected);
Value lib_badkw(Interp *I, Args *a, const char *kw, const char *expected);

/* The module tables, defined one per file in stdlib/. */
extern const LibModule lib_mod_store;
extern const LibModule lib_mod_core, lib_mod_party, lib_mod_tensor, lib_mod_nn,
                       lib_mod_data, lib_mod_he, lib_mod_mpc, lib_mod_dp;
extern const LibModule lib_mod_pate;
extern const LibModule lib_mod_secagg;
extern const LibModule lib_mod_diagram, lib_mod_attack;
extern const LibModule lib_mod_fl;
extern const LibModule lib_mod_he_blind, lib_mod_he_file;   /* lib_paillier_blind.c, lib_paillier_file.c */
extern const LibModule lib_mod_nn_plot;                     /* lib_network_plot.c */

#endif
