/*
** val.h — ppdl values: a small tagged union (Lua's TValue) plus reference-counted heap
** objects.  Numbers, bools, none, parties and builtins are unboxed; strings, lists,
** records, ranges, functions, tensors and every runtime-defined kind (ciphertexts,
** shares, keys, schemes, networks, models, datasets, ...) live on the heap.
**
** Ownership rule (stated once, used everywhere): a Value held in a variable, a list,
** a record or returned from a function is an OWNED reference.  Functions that take
** Values BORROW them unless their contract says "consumes".  val_retain() makes an
** extra owned reference; val_release() drops one.  Builtins receive borrowed
** arguments and return an owned result (or VERR after raising an error).
**
** Parties and stores (docs/parties.md).  Every value carries `owner`: the id of the
** party it lives at (0: public, known to everyone).  Ownership is deep: each list item
** and record field carries its own owner (an item with owner 0 inside a container takes
** the container's party).  Every heap object also lives in one party's store
** (Obj.party, 0 the public store) with its origin (Obj.origin: -1 created there, k >= 0
** arrived in transcript message k).  Objects are created in the store of the party the
** code runs at (val_set_store); val_place moves a value and everything inside it.
** val_party tells whose data a value's contents are; the evaluator's one accessor
** (ev_read, interp/store.c) compares that with the party running the code.
**
** Runtime-defined kinds are V_OBJ objects with a VClass: a name for type(), a free
** function, and optional hooks for display, operators, fields, indexing and the cycle
** collector.  A module adds a kind without touching this file.  The built-in tags may
** have a class too, registered by a stdlib module in Interp.tagclass (the tensor module
** gives tensors their operators, indexing, fields and display; core gives lists and
** strings their fields): the evaluator knows no module's names.
*/
#ifndef VAL_H
#define VAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"
#include "sym.h"
#include "tensor.h"

typedef struct Interp Interp;
typedef struct LibReg LibReg;
struct WireW; struct WireR; struct msgpack_object;     /* runtime/wire.h */

typedef enum ValTag {
    V_NONE, V_BOOL, V_NUM, V_PARTY, V_BUILTIN,          /* unboxed */
    V_STR, V_LIST, V_REC, V_RANGE, V_FUNC, V_TENSOR, V_OBJ, /* heap (as.o) */
    V_ERR                                               /* an error was raised */
} ValTag;

typedef enum ObjType { O_STR, O_LIST, O_REC, O_RANGE, O_FUNC, O_TENSOR, O_USER, O_ENV } ObjType;

typedef struct Obj {
    uint32_t rc;
    uint8_t type, mark;
    uint16_t party;                     /* the store it lives in (0: public) */
    int32_t origin;                     /* -1: created there; k: arrived in message k */
    struct Obj *gc_prev, *gc_next;      /* every live object, for the cycle collector */
} Obj;

typedef struct Value {
    uint8_t tag;
    uint16_t owner;                     /* party id, 0 = public */
    union { double n; int b; int64_t i; Obj *o; const LibReg *fn; } as;
} Value;

typedef struct ObjStr   { Obj h; size_t len; uint32_t hash; char s[]; } ObjStr;
typedef struct ObjList  { Obj h; size_t n, cap; Value *v; } ObjList;
typedef struct ObjRec   { Obj h; size_t n, cap; Sym **k; Value *v; } ObjRec;
typedef struct ObjRange { Obj h; double lo, hi, step; } ObjRange;
typedef struct ObjTensor{ Obj h; Tn *t; void *ledger; } ObjTensor;   /* ledger: see below */

typedef struct VClass {
    const char *name;                                   /* type() of the value */
    void  (*free)(void *p);                             /* frees p (wipe secrets!) */
    /* Optional: */
    void  (*show)(Interp *I, const void *p, Sb *out, int verbose);
    Value (*binop)(Interp *I, int op, Value a, Value b); /* a or b has this class */
    Value (*unop)(Interp *I, int op, Value a);
    Value (*field)(Interp *I, Value self, Sym *name);   /* self.name: owned, or VERR */
    /* self[i, j, lo:hi]: n indices (n <= VAL_MAX_INDEX); idx[2k] is index k's value or a
    ** slice's start, idx[2k + 1] a slice's stop (VNONE when left out, and after a plain
    ** index); slice[k] tells which.  index returns an owned value or VERR; setindex
    ** stores v (borrowed) there and returns false after err_raise.  The evaluator has
    ** checked the parties of self, v and the indices. */
    Value (*index)(Interp *I, Value self, int n, const Value *idx, const bool *slice);
    bool  (*setindex)(Interp *I, Value self, int n, const Value *idx, const bool *slice, Value v);
    void  (*visit)(void *p, void (*fn)(Value *v, void *ctx), void *ctx); /* child Values */
    size_t (*bytes)(const void *p);                     /* wire size, for the transcript */
    Value (*send)(Interp *I, Value self, int to);       /* he_send(x, to = p) for this kind:
                                                           records the message, returns the copy */
    void *(*ledger)(void *p);                           /* the privacy ledger of the data it
                                                           holds (runtime/dp.h), or NULL */
    /* Across processes (interp/replica.c): before the narrator shows a public value of
    ** this kind, fetch from the other processes what show() displays of the parts they
    ** hold (a share's digest); false after err_raise. */
    bool  (*peek)(Interp *I, Value self);
    bool distributed;       /* its parts live at several parties (shared values): the
                               handle is public wherever it is made */
    /* The wire (runtime/wire.h, stdlib/lib_wire.c): a kind that can travel has an ext
    ** type (WIRE_EXT_*, 0: it cannot) and a codec.  encode writes ONE msgpack object,
    ** the body, for party `to` (a private key only to a keyholder; ciphertexts
    ** re-randomise); false after err_raise.  decode returns an owned, independent copy,
    ** or VERR with wire_fail(r, ...) called (never err_raise: the caller names the
    ** sender).  wire_note is appended to the transcript line ("re-randomised"). */
    int8_t wire;
    bool  (*encode)(Interp *I, Value self, struct WireW *w, int to);
    Value (*decode)(Interp *I, struct WireR *r, const struct msgpack_object *body);
    const char *wire_note;
} VClass;

typedef struct ObjUser  { Obj h; const VClass *cls; void *p; } ObjUser;
#define VAL_MAX_INDEX TN_MAXDIM     /* indices in one x[i, j, ...] handed to a class */

/* --- construction (results are owned) --- */
#define VNONE          ((Value){ .tag = V_NONE })
#define VERR           ((Value){ .tag = V_ERR })
#define VBOOL(x)       ((Value){ .tag = V_BOOL, .as.b = !!(x) })
#define VNUM(x)        ((Value){ .tag = V_NUM, .as.n = (x) })
#define VPARTY(id)     ((Value){ .tag = V_PARTY, .as.i = (id) })
#define IS_ERR(v)      ((v).tag == V_ERR)
#define IS_NUM(v)      ((v).tag == V_NUM)
#define IS_STR(v)      ((v).tag == V_STR)
#define IS_LIST(v)     ((v).tag == V_LIST)
#define IS_REC(v)      ((v).tag == V_REC)
#define IS_TENSOR(v)   ((v).tag == V_TENSOR)
#define IS_HEAP(v)     ((v).tag >= V_STR && (v).tag <= V_OBJ)
#define AS_STR(v)      ((ObjStr *)(v).as.o)
#define AS_LIST(v)     ((ObjList *)(v).as.o)
#define AS_REC(v)      ((ObjRec *)(v).as.o)
#define AS_RANGE(v)    ((ObjRange *)(v).as.o)
#define AS_TENSOR(v)   (((ObjTensor *)(v).as.o)->t)
#define AS_USER(v)     ((ObjUser *)(v).as.o)

Value val_str(const char *s, size_t n);
Value val_cstr(const char *s);
Value val_str_take(char *s);                 /* takes a malloc'd NUL-terminated string */
Value val_list(size_t cap);                  /* empty list */
void  val_list_push(Value list, Value item); /* consumes item */
Value val_rec(void);                         /* empty record */
void  val_rec_set(Value rec, Sym *k, Value v);   /* consumes v; replaces an existing key */
Value *val_rec_get(Value rec, Sym *k);       /* borrowed pointer or NULL */
Value val_range(double lo, double hi, double step);
Value val_tensor(Tn *t);                     /* takes ownership of t */
Value val_user(const VClass *cls, void *p);  /* takes ownership of p */
/* The object's payload if v is a V_OBJ of class cls, else NULL. */
void *val_user_as(Value v, const VClass *cls);

/* --- privacy ledgers (runtime/dp.h's DpLedger) ---
** Data taken from a dataset keeps the dataset's ledger: a tensor value carries an
** optional reference to it, and the evaluator passes it on to whatever is computed from
** such a tensor (operators, indexing, fields, builtins' tensor and dataset results), so
** that a DP release on a rebuilt dataset spends the original budget.  Numbers, lists and
** ciphertexts or shares do not carry it (docs/privacy.md). */
/* The ledger v carries: a tensor's, or a kind's through its ledger hook; else NULL. */
void *val_ledger(Value v);
/* Makes v answer to src's ledger too: a tensor takes it (joined with its own), a kind
** with a ledger hook has its ledger joined with it; other values are left alone. */
void  val_inherit_ledger(Value v, Value src);

/* --- references --- */
static inline Value val_retain(Value v) { if (IS_HEAP(v)) v.as.o->rc++; return v; }
void val_free_obj(Obj *o);
static inline void val_release(Value v)
{
    if (IS_HEAP(v) && --v.as.o->rc == 0) val_free_obj(v.as.o);
}
static inline Value val_at(Value v, int owner) { v.owner = (uint16_t)owner; return v; }

/* --- parties and stores --- */
/* The store that objects created from now on live in (the party the code runs at).  It
** is the current heap's (ValHeap.store), so each interpreter has its own. */
void  val_set_store(int party);
int   val_store(void);
/* Deep-sets the party of v and of everything inside it (list items, record fields; a
** runtime kind's object, not the values it refers to); msg >= 0 marks the heap objects as arrived in transcript message msg,
** -1 as created locally.  Distributed objects (shared values) stay public.  A received
** value (msg >= 0) is the receiver's throughout; a local placement (-1) leaves an item
** that is another party's at its party. */
void  val_place(Value *v, int party, long msg);
/* The party one value is at, without looking inside: its owner, else its object's store. */
static inline int val_owner(Value v)
{
    return v.owner ? v.owner : (v.tag >= V_STR && v.tag <= V_OBJ) ? v.as.o->party : 0;
}
/* Whose data v's contents are: 0 (public) or a party, looking into lists and records
** (an item with no party takes its container's).  When the contents hold data of two
** parties, the second is stored in *other (else *other = 0). */
int   val_party(Value v, int *other);

/* --- inspection --- */
const char *val_type_name(Value v);          /* "number", "tensor", "ciphertext", ... */
bool  val_truthy(Value v);
bool  val_equal(Value a, Value b);
/* Appends a display of v: strings raw when top-level and raw is set, quoted inside
** containers.  Secrets are never shown: classes decide what their show() reveals. */
void  val_show(Interp *I, Value v, Sb *out, bool raw);
/* The same display as the narrator sees it (print and the REPL's echo): at the top
** level, a value or item at a party other than its container's is followed by
** " (at party)" — `at` is the party the display is already known to be at (0: none);
** inside `on p` (where p sees only its own and public data) there are no labels. */
void  val_show_seen(Interp *I, Value v, Sb *out, bool raw, int at);
/* A deep copy (lists, records, tensors copied; immutable objects shared). */
Value val_copy(Value v);

/* --- heaps: the object list and the cycle collector ---
** Every heap object is on the list of one heap, the heap current when it was made.  An
** interpreter owns one (Interp.heap) and makes it current at its entry points (ev_new,
** ev_run, ev_run_file, ev_call, ev_set_global), so two interpreters in one process never
** collect each other's objects.  A value made outside an interpreter joins the heap
** used last (the process's own before any); a value must not be shared between
** interpreters (the collector of one would not see the other's references). */
#define VAL_GC_STEP 10000    /* objects made after a collection before the next is due */
typedef struct ValHeap {
    Obj head;                /* sentinel of the circular list of live objects */
    size_t made;             /* objects made since the last collection */
    size_t budget;           /* a collection is due when made reaches it */
    uint16_t store;          /* the store its new objects live in (val_set_store) */
} ValHeap;
void  val_heap_init(ValHeap *h);
/* Makes h the heap new objects join (NULL: the process's own). */
void  val_use_heap(ValHeap *h);
ValHeap *val_heap(void);
/* Collects all of h with no roots (an interpreter being freed); objects something
** outside still holds move to the process's heap.  h is no longer current. */
void  val_heap_close(ValHeap *h);
void  val_gc_link(Obj *o, ObjType t);        /* for modules allocating Obj subtypes */
/* Live objects of the current heap / of h (walks the list). */
size_t val_live_objects(void);
size_t val_live_objects_of(const ValHeap *h);
/* Frees every object of the current heap not reachable from roots[0..n) and
** extra_roots (cycles refcounting cannot free); returns how many objects are left. */
size_t val_collect(Value *roots, size_t n, Obj **extra_roots, size_t nextra);

#endif
