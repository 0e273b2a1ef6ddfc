/*
** ev_stmt.c — executing statements (ev.h): each returns a status (normal, error, break,
** continue, return; XS_*).  Assignment to a variable, a field or an index (a class's
** setindex hook once the parties agree), augmented assignment, if, while, for (a range
** counted without a range object), return, function and party declarations, scheme and
** network declarations, `on p { }` (what the block creates lives at p), parallel and
** blocks.  The party rule for assignment is here: inside `on p`, only p's variables
** change.  What it does not do: evaluate expressions or call functions (ev.c, ev_call.c).
*/
#include "ev.h"
#include "mem.h"
#include <stdio.h>
#include <stdlib.h>

/* Inside `on p`, assigning a variable that already holds a value not p's (another
** party's, or public) is refused: code there changes only p's values. */
static bool __attribute__((noinline)) may_assign(Interp *I, Node *n, Value *slot, Value v)
{
    if (!slot || slot->tag == V_ERR || val_owner(*slot) == I->cur_party) return true;
    if (n->kind == N_FOR || n->kind == N_TRY) return true;  /* a loop's or catch's variable is rebound (docs/parties.md) */
    const char *name = n->v.name ? n->v.name->name : "this variable", *at = ev_party_name(I, I->cur_party);
    int p = val_owner(*slot);
    if (p) err_raise(I, "'%s' lives at %s; %s cannot change it (code inside 'on %s' changes only %s's "
                     "own variables: use a new name)", name, ev_party_name(I, p), at, at, at);
    else err_raise(I, "'%s' is public; %s cannot change it (code inside 'on %s' changes only %s's own "
                   "variables, so that what it does cannot show through public ones: use a new name)",
                   name, at, at, at);
    val_release(v);
    return false;
}

/* Stores v (consumed) into the variable named by node n (N_NAME, N_FOR, N_TRY or named
** N_FN); false after an error (v released). */
static inline bool store_name(Interp *I, Node *n, Value v)
{
    Value *slot;
    switch (n->scope) {
    case SC_LOCAL: slot = &I->env->slot[n->slot]; break;
    case SC_UPVAL: {
        Env *e = I->env;
        for (int d = n->depth; d > 0 && e; d--) e = e->parent;
        slot = &e->slot[n->slot];
        break;
    }
    default:
        if ((uint32_t)n->slot >= I->gcap || !I->gdefined[n->slot]) {
            if (I->cur_party && v.owner == 0 && ev_ownable(v)) v.owner = (uint16_t)I->cur_party;
            ev_set_global_id(I, (uint32_t)n->slot, v);
            return true;
        }
        slot = &I->globals[n->slot];
    }
    if (I->cur_party) {
        if (!may_assign(I, n, slot, v)) return false;
        if (v.owner == 0 && ev_ownable(v)) v.owner = (uint16_t)I->cur_party;
    }
    Value old = *slot; *slot = v; val_release(old);
    return true;
}

bool ev_store_name(Interp *I, Node *n, Value v) { return store_name(I, n, v); }

/* The reads of an index assignment obj[idx] = v (node t): the contents of obj, v and
** the indices are read where the code runs and must be of one party (or public); false
** after raising the error that names which. */
static bool setindex_reads(Interp *I, const Node *t, Value obj, Value v, const Value *idx)
{
    int owner = 0;
    for (int i = -2; i < 2 * t->list.n; i++) {
        Value x = i == -2 ? obj : i == -1 ? v : idx[i];
        if (x.tag < V_STR && (!x.owner || x.owner == owner)) continue;   /* public number */
        char buf[96];
        const char *what = buf;
        if (i == -2) what = ev_describe(t->a, buf, sizeof buf);
        else if (i == -1) what = "the value assigned";
        else snprintf(buf, sizeof buf, "index #%d", i / 2 + 1);
        int o = ev_read(I, x, what);
        if (o < 0) return false;
        if (o && owner && o != owner) { ev_common_owner(I, owner, o, what); return false; }
        if (o) owner = o;
    }
    return true;
}

static int assign_to(Interp *I, Node *t, Value v)
{
    if (t->kind == N_NAME) {
        if (store_name(I, t, v)) return XS_OK;
        ev_locate(I, t);
        return XS_ERR;
    }
    Value obj = ev_eval(I, t->a);
    if (IS_ERR(obj)) { val_release(v); return XS_ERR; }
    int st = XS_OK;
    char what[96];
    if (I->cur_party && !ev_may_write(I, obj, ev_describe(t->a, what, sizeof what))) {
        st = XS_ERR;
    } else if (t->a->kind != N_NAME && IS_HEAP(obj) && obj.as.o->rc == 1) {
        /* nothing else refers to it (m.weights[0] is a fresh copy): the change would be lost */
        err_raise(I, "this assignment changes a temporary copy that nothing keeps (a model's "
                  "weights field gives copies): the change would be lost; to change a model's "
                  "parameters use w = weights(m), change w, then set_weights(m, w)");
        st = XS_ERR;
    } else if (t->kind == N_FIELD) {
        if (obj.tag == V_REC) val_rec_set(obj, t->v.name, v), v = VNONE;
        else { err_raise(I, "cannot set field '%s' of a %s", t->v.name->name, val_type_name(obj)); st = XS_ERR; }
    } else if (obj.tag == V_LIST && t->list.n == 1 && t->list.v[0]->kind != N_SLICE) {
        Value idx = ev_eval(I, t->list.v[0]);
        size_t i;
        if (IS_ERR(idx) || !ev_to_index(I, idx, AS_LIST(obj)->n, &i)) st = XS_ERR;
        else { Value old = AS_LIST(obj)->v[i]; AS_LIST(obj)->v[i] = v; v = VNONE; val_release(old); }
        val_release(idx);
    } else if (obj.tag == V_REC && t->list.n == 1) {
        Value idx = ev_eval(I, t->list.v[0]);
        if (IS_ERR(idx)) st = XS_ERR;
        else if (idx.tag != V_STR) { err_raise(I, "a record's index is a field name string"); st = XS_ERR; }
        else { val_rec_set(obj, sym_intern(&I->syms, AS_STR(idx)->s, AS_STR(idx)->len), v); v = VNONE; }
        val_release(idx);
    } else if (ev_class(I, obj) && ev_class(I, obj)->setindex) {
        /* t[i, j] = v: the class's hook, once the parties of t, v and the indices agree */
        Value idx[2 * VAL_MAX_INDEX];
        bool slice[VAL_MAX_INDEX];
        if (!ev_eval_indices(I, obj, t, idx, slice)) st = XS_ERR;
        else {
            if (!setindex_reads(I, t, obj, v, idx) ||
                !ev_class(I, obj)->setindex(I, obj, t->list.n, idx, slice, v)) st = XS_ERR;
            else val_inherit_ledger(obj, v);    /* t[i] = d.x[j]: t holds d's data now */
            for (int i = 0; i < 2 * t->list.n; i++) val_release(idx[i]);
        }
    } else {
        err_raise(I, "cannot assign into a %s by index", val_type_name(obj));
        st = XS_ERR;
    }
    val_release(v);
    val_release(obj);
    if (st == XS_ERR) ev_locate(I, t);
    return st;
}

/* parallel { ... }: every send in the block travels in one round (runtime/message.h). */
static int exec_parallel(Interp *I, Node *n)
{
    msg_parallel_begin(&I->msg);
    int st = ev_exec_block(I, n->b);
    msg_parallel_end(&I->msg);
    return st;
}

static int exec_for(Interp *I, Node *n)
{
    Node *it = n->a;
    if (it->kind == N_RANGE) {          /* fast path: no range object */
        Value a = ev_eval(I, it->a);
        if (IS_ERR(a)) return XS_ERR;
        Value b = ev_eval(I, it->b);
        if (IS_ERR(b)) { val_release(a); return XS_ERR; }
        if (a.tag != V_NUM || b.tag != V_NUM) {
            val_release(a); val_release(b);
            err_raise(I, "a range needs numbers"); ev_locate(I, it);
            return XS_ERR;
        }
        if (!ev_may_peek(I, &a, "the start of the range of 'for'") ||
            !ev_may_peek(I, &b, "the end of the range of 'for'")) { ev_locate(I, it); return XS_ERR; }
        if (!ev_range_ok(I, a.as.n, b.as.n, 1)) { ev_locate(I, it); return XS_ERR; }
        /* counted in integers: x += 1 would stick at 2^53 */
        for (int64_t x = (int64_t)a.as.n, hi = (int64_t)b.as.n; x <= hi; x++) {
            if (*I->interrupt && ev_interrupted(I)) { ev_locate(I, n); return XS_ERR; }
            if (!store_name(I, n, VNUM((double)x))) { ev_locate(I, n); return XS_ERR; }
            int st = ev_exec_block(I, n->b);
            if (st == XS_BREAK) break;
            if (st == XS_CONTINUE || st == XS_OK) continue;
            return st;
        }
        return XS_OK;
    }
    Value seq = ev_eval(I, it);
    if (IS_ERR(seq)) return XS_ERR;
    /* the top level looping over a party's value is a peek (interp/store.c) */
    if (!ev_may_peek(I, &seq, "the sequence of 'for'")) { val_release(seq); ev_locate(I, it); return XS_ERR; }
    int result = XS_OK;
    size_t len;
    switch (seq.tag) {
    case V_LIST: len = AS_LIST(seq)->n; break;
    case V_STR: len = AS_STR(seq)->len; break;
    case V_RANGE: len = ev_range_len(AS_RANGE(seq)); break;
    case V_REC: len = AS_REC(seq)->n; break;
    default:
        err_raise(I, "cannot loop over a %s (use a list, a range like 1..10, a string or a record)",
                  val_type_name(seq));
        ev_locate(I, it); val_release(seq);
        return XS_ERR;
    }
    for (size_t i = 0; i < len; i++) {
        if (*I->interrupt && ev_interrupted(I)) { ev_locate(I, n); result = XS_ERR; break; }
        Value x;
        if (seq.tag == V_LIST) {
            if (i >= AS_LIST(seq)->n) break;      /* the body shrank the list */
            x = val_retain(AS_LIST(seq)->v[i]);
        } else if (seq.tag == V_STR) x = val_str(AS_STR(seq)->s + i, 1);
        else if (seq.tag == V_REC) {
            if (i >= AS_REC(seq)->n) break;
            x = val_cstr(AS_REC(seq)->k[i]->name);
        } else x = VNUM(AS_RANGE(seq)->lo + (double)i * AS_RANGE(seq)->step);
        if (x.owner == 0 && ev_ownable(x)) x.owner = (uint16_t)val_owner(seq);
        if (!store_name(I, n, x)) { ev_locate(I, n); result = XS_ERR; break; }
        int st = ev_exec_block(I, n->b);
        if (st == XS_BREAK) break;
        if (st == XS_CONTINUE || st == XS_OK) continue;
        result = st;
        break;
    }
    val_release(seq);
    return result;
}

int ev_exec(Interp *I, Node *n)
{
    switch ((NodeKind)n->kind) {
    case N_EXPR: {
        const Node *outer = I->bare_expr;
        I->bare_expr = n->a;
        Value v = ev_eval(I, n->a);
        I->bare_expr = outer;
        if (IS_ERR(v)) return XS_ERR;
        val_release(v);
        return XS_OK;
    }
    case N_ASSIGN: {
        Value v = ev_eval(I, n->b);
        if (IS_ERR(v)) return XS_ERR;
        if (n->a->kind == N_NAME) {
            if (store_name(I, n->a, v)) return XS_OK;
            ev_locate(I, n->a);
            return XS_ERR;
        }
        return assign_to(I, n->a, v);
    }
    case N_AUGASSIGN: {
        Value cur = ev_eval(I, n->a);
        if (IS_ERR(cur)) return XS_ERR;
        Value rhs = ev_eval(I, n->b);
        if (IS_ERR(rhs)) { val_release(cur); return XS_ERR; }
        Value v = ev_binop(I, n->op, cur, rhs);
        val_release(cur); val_release(rhs);
        if (IS_ERR(v)) { ev_locate(I, n); return XS_ERR; }
        return assign_to(I, n->a, v);
    }
    case N_IF: {
        Value c = ev_eval(I, n->a);
        if (IS_ERR(c)) return XS_ERR;
        if (!ev_may_peek(I, &c, "the condition of 'if'")) { val_release(c); ev_locate(I, n->a); return XS_ERR; }
        bool t = val_truthy(c);
        val_release(c);
        if (t) return ev_exec_block(I, n->b);
        if (!n->c) return XS_OK;
        return n->c->kind == N_IF ? ev_exec(I, n->c) : ev_exec_block(I, n->c);
    }
    case N_WHILE:
        for (;;) {
            if (*I->interrupt && ev_interrupted(I)) { ev_locate(I, n); return XS_ERR; }
            Value c = ev_eval(I, n->a);
            if (IS_ERR(c)) return XS_ERR;
            if (!ev_may_peek(I, &c, "the condition of 'while'")) { val_release(c); ev_locate(I, n->a); return XS_ERR; }
            bool t = val_truthy(c);
            val_release(c);
            if (!t) return XS_OK;
            int st = ev_exec_block(I, n->b);
            if (st == XS_BREAK) return XS_OK;
            if (st == XS_ERR || st == XS_RETURN) return st;
        }
    case N_FOR: return exec_for(I, n);
    case N_BREAK: return XS_BREAK;
    case N_CONTINUE: return XS_CONTINUE;
    case N_RETURN: {
        if (!I->env) { err_raise(I, "'return' outside a function"); ev_locate(I, n); return XS_ERR; }
        Value v = n->a ? ev_eval(I, n->a) : VNONE;
        if (IS_ERR(v)) return XS_ERR;
        val_release(I->ret);
        I->ret = v;
        return XS_RETURN;
    }
    case N_FN: {
        Value f = ev_make_func(I, n);
        if (n->v.name && !store_name(I, n, f)) { ev_locate(I, n); return XS_ERR; }
        if (!n->v.name) val_release(f);
        return XS_OK;
    }
    case N_IMPORT: return ev_exec_import(I, n);
    case N_PARTY:
        for (int i = 0; i < n->list.n; i++) {
            Sym *s = n->list.v[i]->v.name;
            int id = ev_add_party(I, s);
            if (!id) { err_raise(I, "too many parties"); ev_locate(I, n->list.v[i]); return XS_ERR; }
            ev_set_global_id(I, s->id, VPARTY(id));
        }
        return XS_OK;
    case N_SCHEME: {
        Value v = ev_eval(I, n->a);
        if (IS_ERR(v)) return XS_ERR;
        if (v.tag != V_OBJ) {
            err_raise(I, "a scheme declaration needs a scheme such as paillier(...), additive(...) "
                      "or shamir(...) (got %s)", val_type_name(v));
            val_release(v); ev_locate(I, n->a);
            return XS_ERR;
        }
        ev_set_global_id(I, n->v.name->id, v);
        return XS_OK;
    }
    case N_NETWORK: {
        int k = n->list.n;
        Value *layers = xcalloc((size_t)(k ? k : 1), sizeof *layers);
        int st = XS_OK, got = 0;
        for (int i = 0; i < k && st == XS_OK; i++) {
            Value v = ev_eval(I, n->list.v[i]);
            if (IS_ERR(v)) { st = XS_ERR; break; }
            if (v.tag == V_BUILTIN || v.tag == V_FUNC) {   /* `relu` means relu() */
                Value c = ev_call(I, v, 0, NULL);
                val_release(v);
                if (IS_ERR(c)) { ev_locate(I, n->list.v[i]); st = XS_ERR; break; }
                v = c;
            }
            layers[got++] = v;
        }
        if (st == XS_OK) {
            if (!I->network_hook) {
                err_raise(I, "networks are not available in this build (the nn module is missing)");
                ev_locate(I, n); st = XS_ERR;
            } else {
                Value net = I->network_hook(I, n->v.name, got, layers);
                if (IS_ERR(net)) { ev_locate(I, n); st = XS_ERR; }
                else ev_set_global_id(I, n->v.name->id, net);
            }
        }
        for (int i = 0; i < got; i++) val_release(layers[i]);
        free(layers);
        return st;
    }
    case N_ON: {
        Value p = ev_eval(I, n->a);
        if (IS_ERR(p)) return XS_ERR;
        if (p.tag != V_PARTY) {
            err_raise(I, "'on' needs a party (got %s); declare one with: party NAME", val_type_name(p));
            val_release(p); ev_locate(I, n->a);
            return XS_ERR;
        }
        int saved = I->cur_party;
        I->cur_party = (int)p.as.i;
        val_set_store(I->cur_party);        /* what the block creates is p's */
        int st = saved || !I->mirror_self ? ev_exec_block(I, n->b) : rep_on(I, I->cur_party, ev_exec_block, n->b);
        I->cur_party = saved;
        val_set_store(saved);
        return st;
    }
    case N_BLOCK: return ev_exec_block(I, n);
    case N_PARALLEL: return exec_parallel(I, n);
    case N_TRY: return ev_exec_try(I, n);
    default:
        err_raise(I, "internal error: cannot execute %s", ast_kind_name(n->kind));
        ev_locate(I, n);
        return XS_ERR;
    }
}
