/*
** interp.h — the interpreter state and the evaluator's public entry points.  One Interp
** holds the symbol table, the global variables (indexed by symbol id), the heap of its
** objects (val.h), the parties, the transcript, the random generator, the builtin
** table, and the error being raised.
** stdlib/ modules read and extend it through the functions below; the fields are
** visible so that builtins stay short, but only the evaluator writes globals directly.
*/
#ifndef INTERP_H
#define INTERP_H
#include <signal.h>
#include <stdbool.h>
#include "ast.h"
#include "parse.h"
#include "rng.h"
#include "message.h"
#include "transcript.h"
#include "val.h"

#define EV_MAX_DEPTH 400         /* nested calls before "recursion too deep" */

typedef struct Party {
    Sym *name; int id;
    char *dir;                          /* its directory for files (NULL: the working one) */
    Rng *rng;                           /* its generator, made on first use (ev_rng) */
} Party;

/* A file written by a party in this session (stdlib/lib_store.c): who may read it. */
typedef struct FileRec { char *path; int party; } FileRec;

typedef enum EvStatus { EV_OK, EV_ERROR, EV_INCOMPLETE } EvStatus;

typedef struct Env Env;                 /* a function activation's variables (ev.c) */

struct Interp {
    SymTab syms;
    Value *globals; bool *gdefined; uint32_t gcap;  /* by symbol id */
    ValHeap heap;                       /* its objects, for the cycle collector (val.h) */
    Party *parties; int nparties;       /* parties[1..nparties]; [0] is "public" */
    int cur_party;                      /* 0 at top level, p inside `on p { }` */
    Tr tr;                              /* the transcript: read it; only msg writes it */
    Msg msg;                            /* the message layer (runtime/message.h) */
    Rng rng;
    bool seeded;
    /* the error being raised (set by err_raise, cleared when reported) */
    bool err_set;
    char *err_msg;
    Source *err_src; uint32_t err_off, err_len; bool err_located;
    bool err_interrupt;                 /* the error is an interrupt: `try` does not catch it */
    /* a "bad argument" type error: which argument and what was expected, so that a
    ** name registered by several modules can try the next one (see stdlib/lib.h) */
    int badarg; char badarg_expected[160];
    /* evaluation */
    int depth;
    volatile sig_atomic_t *interrupt;   /* set by the SIGINT handler, polled */
    Env *env;                           /* current function activation, NULL at top */
    Source *cur_src;                    /* source of the code being evaluated */
    AstUnit *cur_unit;                  /* its parse unit (functions made now keep it) */
    Value ret;                          /* the value a `return` carries out */
    const Node *bare_expr;              /* the expression of the statement being run */
    bool bare_call;                     /* the builtin called next is that expression */
    const char *import_dir;             /* directory of the running file */
    int import_depth;
    FILE *out;                          /* where print() writes (stdout) */
    FILE *errout;                       /* where errors are reported (stderr) */
    bool tty;                           /* stdout is a terminal: progress bars allowed */
    bool sandbox;                       /* fuzzing: no imports (builtins are pruned) */
    bool strict;                        /* --strict: the narrator may not peek (store.c) */
    uint64_t peek_ok;                   /* under strict, bit p: party p shows its values
                                           to the narrator (--show-narrator) */
    /* a mirrored party process (interp/distrib.c): the files of the parties it only
       simulates go to mirror_dir, so that one file is written by one process */
    const char *mirror_self; char *mirror_dir; bool mirror_made;   /* made on first use */
    int rep_me;                         /* its party id, once known (interp/replica.c) */
    bool rep_shows;                     /* --show-narrator (serve --run): this party's values
                                           and output may reach the narrator */
    size_t rep_synced;                  /* transcript entries made true by rep_sync */
    bool side_encode;                   /* encoding a side frame (replica.c): not a message,
                                           so nothing is re-randomised and no party's
                                           generator is drawn from */
    int standin_from;                   /* the running builtin needs party p's file: its
                                           value is p's stand-in (replica.c) */
    bool standin_publish;               /* the running builtin read this party's file */
    /* files per party (stdlib/lib_store.c) */
    FileRec *files; size_t nfiles, capfiles;
    char *paths[4]; int npaths;         /* paths resolved for the running builtin */
    int file_party;                     /* a file the running builtin read was this party's */
    int file_at;                        /* `expr at p` at the top level: files are p's */
    /* `ppdl --parties FILE`: the REPL's entries go to the parties (interp/narrator.c) */
    EvStatus (*run_hook)(Interp *I, Source *src, bool echo);
    /* hooks that stdlib modules install */
    const VClass *tagclass[V_ERR + 1];  /* the class of a built-in tag (V_TENSOR, V_LIST,
                                           V_STR), or NULL: see val.h; ev_class reads it */
    Value (*network_hook)(Interp *I, Sym *name, int n, Value *layers);
    /* the 'he' module's key ring (stdlib/lib_paillier_wire.c): this interpreter's schemes
       that hold a private key, where a scheme arriving at a keyholder finds its key */
    struct HeScheme **keyring; size_t nkeyring;
    /* the last successful PATE speed() run, its pointers cleared, for speed_timing()
       (stdlib/lib_pate.c); NULL before one.  Plain data: ev_free frees it */
    struct PateSpeed *speed_last;
    /* the 'mpc' module's key pairs of dealer-free triples (runtime/shares_paillier.c),
       made on first use (stdlib/lib_shares_impl.h); ev_free wipes and frees them */
    struct SsPaiKeys *ss_keys;
    /* builtin table (name -> entry), filled by lib_register */
    const LibReg **builtins; uint32_t nbuiltins, capbuiltins;
};

/* Creates an interpreter with every stdlib module registered; randomness from the OS. */
Interp  *ev_new(void);
void     ev_free(Interp *I);
/* Parses and runs src (consumed reference to nothing: the caller keeps its own).
** Prints errors to stderr with caret.  EV_INCOMPLETE: input ended early (REPL). When
** echo is set, the value of a bare expression statement is printed (REPL). */
EvStatus ev_run(Interp *I, Source *src, bool echo);
/* Runs a file by path; errors name the file. */
EvStatus ev_run_file(Interp *I, const char *path);
/* Calls a function value (user or builtin) with borrowed positional arguments. */
Value    ev_call(Interp *I, Value fn, int argc, Value *argv);
/* Binds a global (consumes v). */
void     ev_set_global(Interp *I, const char *name, Value v);
Value   *ev_get_global(Interp *I, const char *name);   /* borrowed or NULL */
/* Party helpers: the id of a party by name (0 if none), its name. */
int      ev_party_id(Interp *I, const char *name);
const char *ev_party_name(const Interp *I, int id);    /* "public" for 0 */
int      ev_add_party(Interp *I, Sym *name);           /* idempotent */
/* Walks every value reachable from the globals; returns how many break the store rule
** (an object of one party's store reachable as another's data, or claiming a message
** its party did not receive) and describes them in log (interp/store.c). */
size_t   ev_store_audit(Interp *I, Sb *log);
/* The generator of a party (0: the public stream, for public randomness such as a
** public initialisation).  Each party's is its own: from the OS, or after seed(n)
** derived from n and the party's name, so that a party's draws do not depend on what
** other parties drew (the same in one process and across processes). */
Rng     *ev_rng(Interp *I, int party);
/* Seeds the generators (insecure, reproducible) and warns on stderr. */
void     ev_seed(Interp *I, uint64_t seed);
/* Seeds the public stream only (public randomness: the same in every party's process of
** a distributed run); each party's generator stays the operating system's.  No warning:
** nothing secret is predictable. */
void     ev_public_seed(Interp *I, uint64_t seed);
/* True (and raises "interrupted") if Ctrl-C was pressed: poll in long loops. */
bool     ev_interrupted(Interp *I);

/* Ranges: lo, hi and step are whole numbers within ±2^53 (RANGE_MAX) and step >= 1, so
** that every item is exact and the length is counted without rounding.  ev_range_ok
** raises the error otherwise; ev_range checks and builds; ev_range_len counts items. */
#define RANGE_MAX 9007199254740992.0
bool   ev_range_ok(Interp *I, double lo, double hi, double step);
Value  ev_range(Interp *I, double lo, double hi, double step);
size_t ev_range_len(const ObjRange *r);

/* --- errors --- */
/* Raises an error (printf-style message) and returns VERR; the evaluator attaches the
** location of the expression being evaluated. */
Value    err_raise(Interp *I, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the pending error (with caret when located) to f and clears it. */
void     err_report(Interp *I, FILE *f);
void     err_clear(Interp *I);

#endif
