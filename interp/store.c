/*
** store.c — the party rule in one place (docs/parties.md).  Every value at a party
** lives in that party's store (Obj.party; unboxed values carry Value.owner), lists and
** records hold items that keep their own party, and this file holds the one accessor
** through which the evaluator reads a value's contents: ev_read() takes the party
** running the code and refuses contents that live elsewhere, or that gather two
** parties' data into one local computation.  The writing rule (code inside `on p`
** changes only p's variables and containers) and the store audit live here too.
** What it does not do: move values between parties (that is a recorded message, the
** message layer's job) or decide what a protocol reveals (protocol builtins place their
** results themselves, and the evaluator checks the placement).
*/
#include "ev.h"
#include "lib.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "A's and B's data": the error for one local computation over two parties. */
static Value __attribute__((noinline)) mixed(Interp *I, const char *what, int p, int q)
{
    return err_raise(I, "%s holds data of %s and of %s; one local computation cannot combine two "
                     "parties' private data (use send, share or encrypt to bring them together)",
                     what, ev_party_name(I, p), ev_party_name(I, q));
}

static Value __attribute__((noinline)) elsewhere(Interp *I, const char *what, int p)
{
    return err_raise(I, "%s lives at %s; %s cannot read it (use send, share or encrypt to move it)",
                     what, ev_party_name(I, p), ev_party_name(I, I->cur_party));
}

int ev_read(Interp *I, Value v, const char *what)
{
    int other, p;
    if (v.tag < V_STR) p = v.owner, other = 0;        /* unboxed: no contents to walk */
    else p = val_party(v, &other);
    if (other) {
        /* inside `on q`, name the party that q cannot read */
        if (I->cur_party && p == I->cur_party) { elsewhere(I, what, other); return -1; }
        if (I->cur_party && other == I->cur_party) { elsewhere(I, what, p); return -1; }
        mixed(I, what, p, other);
        return -1;
    }
    if (I->cur_party && p && p != I->cur_party) { elsewhere(I, what, p); return -1; }
    return p;
}

bool ev_may_peek(Interp *I, Value *vp, const char *what)
{
    if (I->cur_party) return true;
    if (!I->strict) return rep_peek(I, vp, what);
    Value v = *vp;
    int other, p = v.tag < V_STR ? v.owner : val_party(v, &other);
    if (!p || (p < 64 && (I->peek_ok >> p & 1))) return rep_peek(I, vp, what);
    if (I->peek_ok)
        err_raise(I, "%s lives at %s, which does not show its values to the narrator (it was "
                  "started without --show-narrator): do it inside 'on %s { }', or reveal or send "
                  "the value first", what, ev_party_name(I, p), ev_party_name(I, p));
    else err_raise(I, "%s lives at %s; --strict refuses the narrator's peeks (the top level showing "
              "or branching on a party's value): do it inside 'on %s { }', or reveal or send "
              "the value first", what, ev_party_name(I, p), ev_party_name(I, p));
    return false;
}

int ev_join(Interp *I, int p, int q, const char *what)
{
    if (p == q || q == 0) return p;
    if (p == 0) return q;
    mixed(I, what, p, q);
    return -1;
}

bool ev_may_write(Interp *I, Value target, const char *what)
{
    if (!I->cur_party) return true;                  /* the experimenter places data */
    /* a heap value is changed where it is stored: a reference that A holds to a public
       list does not make the list A's */
    int p = IS_HEAP(target) ? (int)target.as.o->party : target.owner;
    if (p == I->cur_party) return true;
    if (p) err_raise(I, "%s lives at %s; %s cannot change it (code inside 'on %s' changes only "
                     "%s's own values)", what, ev_party_name(I, p), ev_party_name(I, I->cur_party),
                     ev_party_name(I, I->cur_party), ev_party_name(I, I->cur_party));
    else err_raise(I, "%s is public; %s cannot change it (code inside 'on %s' changes only %s's "
                   "own values, so that what it does cannot show through public ones: make a "
                   "new one inside the block)", what, ev_party_name(I, I->cur_party),
                   ev_party_name(I, I->cur_party), ev_party_name(I, I->cur_party));
    return false;
}

void ev_place_result(Interp *I, Value *r, int party)
{
    if (!party || !ev_ownable(*r)) return;
    if (!r->owner) r->owner = (uint16_t)party;
    /* a fresh result computed at the top level from p's data lives in p's store */
    if (IS_HEAP(*r) && r->as.o->party != party && r->as.o->rc == 1 && r->as.o->party == val_store())
        val_place(r, party, -1);
    (void)I;
}

/* ------------------------------------------------------------ the audit -------- */

typedef struct Audit { Interp *I; int inherit; size_t bad; Sb *log; int depth; } Audit;

static void audit_value(Value *v, void *ctx);

static void audit_obj(Audit *a, Obj *o, int p)
{
    /* p's data lives in p's store; a public object (public data) may be referred to
       from any party's containers */
    if (p && o->party && o->party != p) {
        a->bad++;
        if (a->log->n < 2000)
            sb_printf(a->log, "  an object in %s's store is reachable as %s's data\n",
                      o->party ? ev_party_name(a->I, o->party) : "the public", ev_party_name(a->I, p));
    }
    if (o->party && o->origin >= 0) {
        const Tr *t = &a->I->tr;
        if ((size_t)o->origin >= t->n || t->msgs[o->origin].to != o->party) {
            a->bad++;
            if (a->log->n < 2000)
                sb_printf(a->log, "  an object in %s's store claims message %d, which %s did not receive\n",
                          ev_party_name(a->I, o->party), o->origin, ev_party_name(a->I, o->party));
        }
    }
}

static void audit_value(Value *v, void *ctx)
{
    Audit *a = ctx;
    if (!IS_HEAP(*v) || v->tag == V_FUNC) return;
    Obj *o = v->as.o;
    if (o->type == O_ENV || o->type == O_FUNC) return;
    if (o->type == O_USER && AS_USER(*v)->cls->distributed) return;
    int tag = v->owner ? v->owner : a->inherit;
    audit_obj(a, o, tag);
    int p = tag ? tag : o->party;
    if (o->mark || a->depth > 100) return;
    o->mark = 1;
    int saved = a->inherit;
    a->inherit = p;
    a->depth++;
    if (o->type == O_LIST) for (size_t i = 0; i < ((ObjList *)o)->n; i++) audit_value(&((ObjList *)o)->v[i], a);
    else if (o->type == O_REC) for (size_t i = 0; i < ((ObjRec *)o)->n; i++) audit_value(&((ObjRec *)o)->v[i], a);
    else if (o->type == O_USER && AS_USER(*v)->cls->visit) AS_USER(*v)->cls->visit(AS_USER(*v)->p, audit_value, a);
    a->depth--;
    a->inherit = saved;
}

static void unmark(Value *v, void *ctx)
{
    (void)ctx;
    if (!IS_HEAP(*v) || v->tag == V_FUNC || !v->as.o->mark) return;
    Obj *o = v->as.o;
    if (o->type == O_ENV || o->type == O_FUNC) return;
    o->mark = 0;
    if (o->type == O_LIST) for (size_t i = 0; i < ((ObjList *)o)->n; i++) unmark(&((ObjList *)o)->v[i], ctx);
    else if (o->type == O_REC) for (size_t i = 0; i < ((ObjRec *)o)->n; i++) unmark(&((ObjRec *)o)->v[i], ctx);
    else if (o->type == O_USER && AS_USER(*v)->cls->visit) AS_USER(*v)->cls->visit(AS_USER(*v)->p, unmark, ctx);
}

size_t ev_store_audit(Interp *I, Sb *log)
{
    Audit a = { I, 0, 0, log, 0 };
    for (uint32_t i = 0; i < I->gcap; i++)
        if (I->gdefined[i]) { a.inherit = 0; audit_value(&I->globals[i], &a); }
    for (uint32_t i = 0; i < I->gcap; i++) if (I->gdefined[i]) unmark(&I->globals[i], NULL);
    return a.bad;
}
