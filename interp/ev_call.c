/*
** ev_call.c — calling a builtin (ev.h): the checks a builtin's flags ask for (the
** experimenter's builtins only at the top level, shown values readable where they are
** shown, changed values owned), the common party of the arguments, the retry of the other
** modules' entries of one name on a wrong argument kind, and the placing of the result
** (a protocol's result at its party, a party's file at that party; across processes, a
** stand-in for another party's file and the public result of a protocol, interp/replica.c).
** What it does not do: evaluate the arguments or call user functions (ev.c).
*/
#include "ev.h"
#include "lib.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Adds the kinds in `what` ("a, b or c") to the list in b (items separated by '\n'),
** skipping ones already there, so that two modules' lists are merged and each kind is
** named once. */
static void add_expected(Sb *b, const char *what)
{
    const char *p = what;
    while (*p) {
        const char *q = strstr(p, " or "), *c = strstr(p, ", ");
        if (c && (!q || c < q)) q = c;
        size_t len = q ? (size_t)(q - p) : strlen(p);
        bool seen = false;
        for (const char *h = b->s; h && *h; ) {
            const char *e = strchr(h, '\n');
            size_t hl = e ? (size_t)(e - h) : strlen(h);
            if (hl == len && strncmp(h, p, len) == 0) { seen = true; break; }
            h = e ? e + 1 : h + hl;
        }
        if (!seen && len) {
            if (b->n) sb_putc(b, '\n');
            sb_put(b, p, len);
        }
        p = q ? q + (*q == ',' ? 2 : 4) : p + len;
    }
}

/* The list made by add_expected as text: "a, b or c". */
static void join_expected(Sb *b)
{
    char *last = b->s ? strrchr(b->s, '\n') : NULL;
    Sb o; sb_init(&o);
    for (const char *h = b->s; h && *h; ) {
        const char *e = strchr(h, '\n');
        size_t hl = e ? (size_t)(e - h) : strlen(h);
        sb_put(&o, h, hl);
        if (e) sb_puts(&o, e == last ? " or " : ", ");
        h = e ? e + 1 : h + hl;
    }
    sb_free(b);
    *b = o;
}

/* The rules a builtin's flags ask for: the experimenter's builtins only at the top
** level, shown values readable where they are shown, changed values owned. */
static bool __attribute__((noinline)) builtin_may_run(Interp *I, const LibReg *r, int n, Value *pos,
                                                      int nkw, Sym **kwname, Value *kw)
{
    if (!I->cur_party) {
        if (!(r->flags & LIB_SHOW) || (!I->strict && !I->mirror_self)) return true;
        for (int i = 0; i < n + nkw; i++) {          /* --strict: no narrator peeks; across
                                                        processes, a peek is the owner's value */
            char buf[96];
            if (i < n) snprintf(buf, sizeof buf, "argument #%d to '%s'", i + 1, r->name);
            else snprintf(buf, sizeof buf, "argument '%s' to '%s'", kwname[i - n]->name, r->name);
            if (!ev_may_peek(I, i < n ? &pos[i] : &kw[i - n], buf)) return false;
        }
        return true;
    }
    const char *at = ev_party_name(I, I->cur_party);
    if (r->flags & LIB_NARRATOR) {
        err_raise(I, "'%s' is the experimenter's, not a party's: call it at the top level, outside "
                  "'on %s { }' (a party learns only what its messages carry)", r->name, at);
        return false;
    }
    if ((r->flags & LIB_WRITES) && n > 0) {
        char buf[96];
        snprintf(buf, sizeof buf, "argument #1 to '%s'", r->name);
        if (!ev_may_write(I, pos[0], buf)) return false;
    }
    if (r->flags & (LIB_SHOW | LIB_ANYOWNER)) {
        /* shown values are read; a protocol checks its operands itself, but the items of
           a list or record it is handed are read here */
        for (int i = 0; i < n + nkw; i++) {
            Value v = i < n ? pos[i] : kw[i - n];
            if (!(r->flags & LIB_SHOW) && v.tag != V_LIST && v.tag != V_REC) continue;
            char buf[96];
            if (i < n) snprintf(buf, sizeof buf, "argument #%d to '%s'", i + 1, r->name);
            else snprintf(buf, sizeof buf, "argument '%s' to '%s'", kwname[i - n]->name, r->name);
            if (ev_read(I, v, buf) < 0) return false;
        }
    }
    return true;
}

Value ev_call_builtin(Interp *I, const LibReg *r, int n, Value *pos, int nkw,
                          Sym **kwname, Value *kw)
{
    Args a = { r->name, n, pos, nkw, kwname, kw, I->cur_party, r, I->bare_call };
    I->bare_call = false;
    int owner = 0;
    if ((r->flags & LIB_NARRATOR) && I->mirror_self && !I->cur_party && !rep_sync(I)) return VERR;
    if ((r->flags & (LIB_NARRATOR | LIB_SHOW | LIB_WRITES | LIB_ANYOWNER)) &&
        (I->cur_party || I->strict || I->mirror_self)) {
        if (!builtin_may_run(I, r, n, pos, nkw, kwname, kw)) return VERR;
    }
    if (!(r->flags & LIB_ANYOWNER)) {
        /* the common party of the arguments' contents, each read through ev_read */
        for (int i = 0; i < n + nkw; i++) {
            Value v = i < n ? pos[i] : kw[i - n];
            int o;
            if (v.tag < V_STR) {                /* numbers, bools: no contents to walk */
                if (!v.owner || v.owner == owner) continue;
                o = -2;
            } else if (i == 0 && (r->flags & LIB_STRUCT)) {
                o = val_owner(v);               /* the structure, not the items */
                if (I->cur_party && o && o != I->cur_party) o = -1;
            } else o = -2;
            if (o == -1 || o == -2) {
                char buf[96];
                if (i < n) snprintf(buf, sizeof buf, "argument #%d to '%s'", i + 1, r->name);
                else snprintf(buf, sizeof buf, "argument '%s' to '%s'", kwname[i - n]->name, r->name);
                o = ev_read(I, v, buf);
                if (o < 0) return VERR;
                if (o && owner && o != owner) { ev_common_owner(I, owner, o, buf); return VERR; }
            }
            if (o) owner = o;
        }
    }
    size_t tr_before = I->tr.n;
    int saved_paths = I->npaths, saved_file_party = I->file_party;
    int saved_standin = I->standin_from; bool saved_publish = I->standin_publish;
    I->file_party = 0;
    I->badarg = 0;
    I->standin_from = 0; I->standin_publish = false;
    Value r2 = r->fn(I, &a);
    int standin = I->standin_from; bool publish = I->standin_publish;
    I->standin_from = saved_standin; I->standin_publish = saved_publish;
    if (standin) {
        /* across processes: another party's file is read in its own process only; this
           one builds the stand-in from what that process says (interp/replica.c) */
        while (I->npaths > saved_paths) free(I->paths[--I->npaths]);
        I->file_party = saved_file_party;
        I->badarg = 0;
        val_release(r2);
        if (I->err_set) err_clear(I);
        return rep_standin_take(I, standin, r->name);
    }
    if (publish) {
        if (IS_ERR(r2) && !I->err_set) err_raise(I, "%s failed", r->name);
        rep_standin_send(I, r2);
    }
    if (IS_ERR(r2) && I->badarg) {
        /* the entry rejected an argument's kind: try the other modules' entries */
        int which = I->badarg;
        Sb exp; sb_init(&exp);
        add_expected(&exp, I->badarg_expected);
        const LibReg *next = lib_next(I, a.self);
        while (IS_ERR(r2) && next && I->badarg == which) {
            err_clear(I);
            I->badarg = 0;
            a.self = next;
            r2 = next->fn(I, &a);
            if (IS_ERR(r2) && I->badarg == which) add_expected(&exp, I->badarg_expected);
            next = lib_next(I, a.self);
        }
        if (IS_ERR(r2) && I->badarg == which && which <= n) {
            err_clear(I);
            join_expected(&exp);
            err_raise(I, "bad argument #%d to '%s' (%s expected, got %s)", which, r->name, exp.s,
                      val_type_name(pos[which - 1]));
        }
        sb_free(&exp);
    }
    I->badarg = 0;
    while (I->npaths > saved_paths) free(I->paths[--I->npaths]);
    int file_party = I->file_party;
    I->file_party = saved_file_party;
    if (IS_ERR(r2)) { if (!I->err_set) err_raise(I, "%s failed", r->name); return VERR; }
    if (file_party > 0 && ev_ownable(r2)) {
        /* the experimenter loaded a party's file: the value is that party's */
        val_place(&r2, file_party, -1);
        return r2;
    }
    if (r->flags & LIB_ANYOWNER) {
        /* protocols place their results; a result at p lives in p's store, arrived in
           the last message to p when the call sent one */
        if (r2.owner && IS_HEAP(r2) && r2.as.o->party != r2.owner && ev_ownable(r2)) {
            int p = r2.owner;
            long msg = -1;
            for (size_t k = I->tr.n; k > tr_before; k--)
                if (I->tr.msgs[k - 1].to == p) { msg = (long)(k - 1); break; }
            val_place(&r2, p, msg);
        }
        /* a public list of values placed at parties (partition's parts): each item
           lives in its party's store */
        if (r2.tag == V_LIST && !r2.owner) {
            ObjList *l = AS_LIST(r2);
            for (size_t i = 0; i < l->n; i++)
                if (l->v[i].owner && IS_HEAP(l->v[i]) && l->v[i].as.o->party != l->v[i].owner &&
                    ev_ownable(l->v[i]))
                    val_place(&l->v[i], l->v[i].owner, -1);
        }
    } else {
        ev_place_result(I, &r2, owner);
        /* a public value changed in place by p's data (train(m, d) at the top level)
           now holds p's data: it joins p's store */
        if ((r->flags & (LIB_WRITES | LIB_STRUCT)) == LIB_WRITES && owner > 0 && n > 0 &&
            IS_HEAP(pos[0]) && pos[0].as.o->party != owner) {
            Value v = pos[0];
            val_place(&v, owner, -1);
        }
    }
    for (int i = 0; i < n + nkw; i++)          /* data derived from a dataset keeps its ledger */
        val_inherit_ledger(r2, i < n ? pos[i] : kw[i - n]);
    if ((r->flags & LIB_ANYOWNER) && I->mirror_self && !I->cur_party && I->tr.n > tr_before &&
        !rep_public_result(I, &r2, tr_before)) { val_release(r2); return VERR; }
    return r2;
}

