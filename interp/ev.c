/*
** ev.c — the tree-walking evaluator over resolved ASTs: functions and their activations,
** and expressions, which return an owned Value or VERR (the error itself is in the
** Interp).  Statements, which return a status (normal, error, break, continue, return),
** are in ev_stmt.c; the call of a builtin in ev_call.c.  Numbers stay unboxed, globals are
** an array indexed by symbol id and locals a slot array per activation, so a loop like
** `s = (s + i*i) % 1000003` does no allocation and no hashing.
**
** Parties: every value carries the id of the party it lives at.  Combining values that
** live at two different parties is refused with an error naming both and the ways to
** move data; inside `on p { }` reading another party's value is refused, and values
** created there live at p.
*/
#include "ev.h"
#include "mem.h"
#include "lib.h"
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ functions, envs -------- */

static Env *env_new(Env *parent, int n)
{
    Env *e = xmalloc(sizeof *e + (size_t)n * sizeof(Value));
    val_gc_link(&e->h, O_ENV);
    e->parent = parent; e->n = n;
    if (parent) parent->h.rc++;
    for (int i = 0; i < n; i++) e->slot[i] = VERR;
    return e;
}

static void env_release(Env *e)
{
    if (e && --e->h.rc == 0) val_free_obj(&e->h);
}

void ev_free_env(Obj *o)
{
    Env *e = (Env *)o;
    for (int i = 0; i < e->n; i++) { Value v = e->slot[i]; e->slot[i] = VNONE; val_release(v); }
    e->n = 0;
    Env *p = e->parent; e->parent = NULL;
    env_release(p);
}

void ev_visit_env(Obj *o, void (*fn)(Value *v, void *ctx), void *ctx)
{
    Env *e = (Env *)o;
    for (int i = 0; i < e->n; i++) fn(&e->slot[i], ctx);
    if (e->parent) { Value pv = { .tag = V_OBJ, .as.o = &e->parent->h }; fn(&pv, ctx); }
}

void ev_free_func(Obj *o)
{
    ObjFunc *f = (ObjFunc *)o;
    Env *e = f->env; f->env = NULL;
    AstUnit *u = f->unit; f->unit = NULL;
    env_release(e);
    if (u) ast_unit_release(u);
}

void ev_visit_func(Obj *o, void (*fn)(Value *v, void *ctx), void *ctx)
{
    ObjFunc *f = (ObjFunc *)o;
    if (f->env) { Value ev = { .tag = V_OBJ, .as.o = &f->env->h }; fn(&ev, ctx); }
}

const char *ev_func_name(Obj *o)
{
    ObjFunc *f = (ObjFunc *)o;
    return f->fn && f->fn->v.name ? f->fn->v.name->name : "anonymous";
}

Value ev_make_func(Interp *I, Node *fn)
{
    ObjFunc *f = xmalloc(sizeof *f);
    val_gc_link(&f->h, O_FUNC);
    f->fn = fn;
    f->unit = ast_unit_retain(I->cur_unit);
    f->env = I->env;
    if (f->env) f->env->h.rc++;
    return (Value){ .tag = V_FUNC, .as.o = &f->h };
}

/* A short description of an operand for messages: 'name' or "this value". */
const char *ev_describe(const Node *n, char *buf, size_t cap)
{
    if (n && n->kind == N_NAME) { snprintf(buf, cap, "'%s'", n->v.name->name); return buf; }
    if (n && n->kind == N_FIELD && n->a && n->a->kind == N_NAME) {
        snprintf(buf, cap, "'%s.%s'", n->a->v.name->name, n->v.name->name); return buf;
    }
    return "this value";
}

/* ------------------------------------------------------------ evaluation ------- */

/* The error for reading an undefined global, with a close name suggested if any. */
static Value __attribute__((noinline)) unknown_name(Interp *I, Node *n)
{
    const char *best = NULL, *y = n->v.name->name;
    size_t bl = 3, ly = strlen(y);
    for (uint32_t i = 0; i < I->gcap && ly <= 30; i++) {
        if (!I->gdefined[i]) continue;
        const char *x = sym_byid(&I->syms, i)->name;
        size_t lx = strlen(x);
        if (lx > 30) continue;
        size_t d[32][32];
        for (size_t p = 0; p <= lx; p++) d[p][0] = p;
        for (size_t q = 0; q <= ly; q++) d[0][q] = q;
        for (size_t p = 1; p <= lx; p++)
            for (size_t q = 1; q <= ly; q++) {
                size_t c = d[p - 1][q - 1] + (x[p - 1] != y[q - 1]);
                if (d[p - 1][q] + 1 < c) c = d[p - 1][q] + 1;
                if (d[p][q - 1] + 1 < c) c = d[p][q - 1] + 1;
                d[p][q] = c;
            }
        if (d[lx][ly] < bl) { bl = d[lx][ly]; best = x; }
    }
    if (best) return err_raise(I, "unknown name '%s' (did you mean '%s'?)", y, best);
    return err_raise(I, "unknown name '%s'", y);
}

static Value __attribute__((noinline)) unreadable(Interp *I, Node *n, Value v)
{
    if (v.tag == V_ERR)     /* an activation slot not assigned yet */
        return err_raise(I, "'%s' is used before it is assigned (assigning to a name inside a "
                         "function makes it local to that function)", n->v.name->name);
    return err_raise(I, "'%s' lives at %s; %s cannot read it (use send, share or encrypt to move it)",
                     n->v.name->name, ev_party_name(I, val_owner(v)), ev_party_name(I, I->cur_party));
}

/* Inside `on p`, is v (a variable's value) another party's?  Its tag, else its store. */
static inline bool foreign(const Interp *I, Value v)
{
    if (!I->cur_party) return false;
    int p = val_owner(v);
    return p && p != I->cur_party;
}

static inline Value read_name(Interp *I, Node *n)
{
    Value v;
    if (n->scope == SC_GLOBAL) {
        if ((uint32_t)n->slot >= I->gcap || !I->gdefined[n->slot]) return unknown_name(I, n);
        v = I->globals[n->slot];
    } else if (n->scope == SC_LOCAL) {
        v = I->env->slot[n->slot];
    } else {
        Env *e = I->env;
        for (int d = n->depth; d > 0 && e; d--) e = e->parent;
        if (!e) return err_raise(I, "internal error: bad upvalue for '%s'", n->v.name->name);
        v = e->slot[n->slot];
    }
    if (v.tag == V_ERR || foreign(I, v)) return unreadable(I, n, v);
    if (IS_HEAP(v)) {
        v.as.o->rc++;
        if (!v.owner && v.as.o->party) v.owner = v.as.o->party;     /* its store's party */
    }
    return v;
}

/* Evaluates call arguments into positional and keyword arrays (owned values). */
typedef struct CallArgs { int n, nkw; Value pos[16], kw[16]; Sym *kwname[16];
                          Value *hpos, *hkw; Sym **hkwname; } CallArgs;

static void args_free(CallArgs *c)
{
    Value *p = c->hpos ? c->hpos : c->pos, *k = c->hkw ? c->hkw : c->kw;
    for (int i = 0; i < c->n; i++) val_release(p[i]);
    for (int i = 0; i < c->nkw; i++) val_release(k[i]);
    free(c->hpos); free(c->hkw); free(c->hkwname);
}

static bool args_eval(Interp *I, Node *call, CallArgs *c)
{
    int np = 0, nk = 0;
    for (int i = 0; i < call->list.n; i++) {
        if (call->list.v[i]->kind == N_KWARG) nk++; else np++;
    }
    c->n = c->nkw = 0; c->hpos = c->hkw = NULL; c->hkwname = NULL;
    if (np > 16) c->hpos = xrealloc(NULL, (size_t)np * sizeof(Value));
    if (nk > 16) { c->hkw = xrealloc(NULL, (size_t)nk * sizeof(Value));
                   c->hkwname = xrealloc(NULL, (size_t)nk * sizeof(Sym *)); }
    Value *p = c->hpos ? c->hpos : c->pos, *k = c->hkw ? c->hkw : c->kw;
    Sym **kn = c->hkwname ? c->hkwname : c->kwname;
    for (int i = 0; i < call->list.n; i++) {
        Node *a = call->list.v[i];
        if (a->kind == N_KWARG) {
            for (int j = 0; j < c->nkw; j++)
                if (kn[j] == a->v.name) {
                    err_raise(I, "keyword argument '%s' given twice", a->v.name->name);
                    ev_locate(I, a);
                    return false;
                }
            Value v = ev_eval(I, a->a);
            if (IS_ERR(v)) return false;
            kn[c->nkw] = a->v.name; k[c->nkw++] = v;
        } else {
            Value v = ev_eval(I, a);
            if (IS_ERR(v)) return false;
            p[c->n++] = v;
        }
    }
    return true;
}

static Value call_func(Interp *I, ObjFunc *f, int n, Value *pos, int nkw, Sym **kwname,
                       Value *kw, const Node *site)
{
    Node *fn = f->fn;
    FnInfo *fi = fn->info;
    const char *name = fn->v.name ? fn->v.name->name : "anonymous function";
    if (n > fi->nparams)
        return err_raise(I, "'%s' takes %d argument%s (got %d)", name, fi->nparams,
                         fi->nparams == 1 ? "" : "s", n);
    if (I->depth >= EV_MAX_DEPTH)
        return err_raise(I, "recursion too deep (more than %d nested calls)", EV_MAX_DEPTH);
    Env *e = env_new(f->env, fi->nlocals);
    bool *given = fi->nparams ? xcalloc((size_t)fi->nparams, 1) : NULL;
    for (int i = 0; i < n; i++) { e->slot[i] = val_retain(pos[i]); given[i] = true; }
    for (int i = 0; i < nkw; i++) {
        int j = 0;
        while (j < fi->nparams && fi->names[j] != kwname[i]) j++;
        if (j == fi->nparams) {
            free(given); env_release(e);
            return err_raise(I, "'%s' has no parameter '%s'", name, kwname[i]->name);
        }
        if (given[j]) {
            free(given); env_release(e);
            return err_raise(I, "'%s' got two values for parameter '%s'", name, kwname[i]->name);
        }
        e->slot[j] = val_retain(kw[i]); given[j] = true;
    }
    Env *saved_env = I->env; Source *saved_src = I->cur_src; AstUnit *saved_unit = I->cur_unit;
    I->env = e; I->cur_src = f->unit->src; I->cur_unit = f->unit;
    I->depth++;
    Value result = VNONE;
    for (int i = 0; i < fi->nparams; i++) {
        if (given[i]) continue;
        Node *p = fn->list.v[i];
        if (!p->a) { result = err_raise(I, "missing argument '%s' in call to '%s'", p->v.name->name, name); break; }
        Value d = ev_eval(I, p->a);
        if (IS_ERR(d)) { result = VERR; break; }
        e->slot[i] = d;
    }
    if (!IS_ERR(result)) {
        int st = ev_exec_block(I, fn->a);
        if (st == XS_ERR) result = VERR;
        else if (st == XS_RETURN) { result = I->ret; I->ret = VNONE; }
        else if (st == XS_BREAK || st == XS_CONTINUE) result = err_raise(I, "'break' or 'continue' outside a loop");
    }
    I->depth--;
    I->env = saved_env; I->cur_src = saved_src; I->cur_unit = saved_unit;
    (void)site;
    free(given);
    env_release(e);
    return result;
}

Value ev_call(Interp *I, Value fn, int argc, Value *argv)
{
    val_use_heap(&I->heap);
    if (fn.tag == V_BUILTIN) return ev_call_builtin(I, fn.as.fn, argc, argv, 0, NULL, NULL);
    if (fn.tag == V_FUNC) return call_func(I, (ObjFunc *)fn.as.o, argc, argv, 0, NULL, NULL, NULL);
    return err_raise(I, "%s is not callable", val_type_name(fn));
}

static Value eval_call(Interp *I, Node *n)
{
    Value callee = ev_eval(I, n->a);
    if (IS_ERR(callee)) return VERR;
    if (callee.tag != V_BUILTIN && callee.tag != V_FUNC) {
        char buf[96];
        Value e = err_raise(I, "%s is a %s, not a function", ev_describe(n->a, buf, sizeof buf),
                            val_type_name(callee));
        val_release(callee);
        return e;
    }
    CallArgs c;
    Value r;
    if (!args_eval(I, n, &c)) r = VERR;
    else {
        Value *p = c.hpos ? c.hpos : c.pos, *k = c.hkw ? c.hkw : c.kw;
        Sym **kn = c.hkwname ? c.hkwname : c.kwname;
        if (callee.tag == V_BUILTIN) {
            I->bare_call = n == I->bare_expr;   /* the call is a statement of its own */
            r = ev_call_builtin(I, callee.as.fn, c.n, p, c.nkw, kn, k);
        }
        else r = call_func(I, (ObjFunc *)callee.as.o, c.n, p, c.nkw, kn, k, n);
    }
    args_free(&c);
    val_release(callee);
    return r;
}

/* Inside `on p { }`, an item or field taken out of a container is a read like any other:
** refused when it lives at another party. */
static Value guard_read(Interp *I, Value r, const Node *n)
{
    if (IS_ERR(r) || !foreign(I, r)) return r;
    char buf[96];
    const char *what = ev_describe(n, buf, sizeof buf);
    if (n->kind == N_INDEX && n->a->kind == N_NAME) {
        snprintf(buf, sizeof buf, "this item of '%s'", n->a->v.name->name); what = buf;
    }
    int owner = val_owner(r);
    val_release(r);
    return err_raise(I, "%s lives at %s; %s cannot read it (use send, share or encrypt to move it)",
                     what, ev_party_name(I, owner), ev_party_name(I, I->cur_party));
}

/* Evaluates the indices of obj[...] (node n) for a class's index hooks, as VClass.index
** takes them: idx[2k], idx[2k + 1] and slice[k].  False after an error, with nothing
** left to release. */
bool ev_eval_indices(Interp *I, Value obj, const Node *n, Value *idx, bool *slice)
{
    if (n->list.n > VAL_MAX_INDEX) {
        err_raise(I, "too many indices for a %s", val_type_name(obj));
        return false;
    }
    for (int i = 0; i < n->list.n; i++) {
        Node *it = n->list.v[i];
        slice[i] = it->kind == N_SLICE;
        Node *parts[2] = { slice[i] ? it->a : it, slice[i] ? it->b : NULL };
        for (int k = 0; k < 2; k++) {
            int j = 2 * i + k;
            idx[j] = parts[k] ? ev_eval(I, parts[k]) : VNONE;
            if (IS_ERR(idx[j])) {
                while (j > 0) val_release(idx[--j]);
                return false;
            }
        }
    }
    return true;
}

static Value eval_index(Interp *I, Node *n)
{
    Value obj = ev_eval(I, n->a);
    if (IS_ERR(obj)) return VERR;
    Value r = VERR;
    const VClass *c = ev_class(I, obj);
    if (c && c->index) {
        Value idx[2 * VAL_MAX_INDEX];
        bool slice[VAL_MAX_INDEX];
        if (ev_eval_indices(I, obj, n, idx, slice)) {
            r = c->index(I, obj, n->list.n, idx, slice);
            for (int i = 0; i < 2 * n->list.n; i++) val_release(idx[i]);
        }
        if (!IS_ERR(r) && r.owner == 0) r.owner = (uint16_t)val_owner(obj);
        if (!IS_ERR(r)) val_inherit_ledger(r, obj);
        val_release(obj);
        return r;
    }
    if (n->list.n != 1 || n->list.v[0]->kind == N_SLICE) {
        if (n->list.n == 1 && (obj.tag == V_LIST || obj.tag == V_STR)) {
            Node *sl = n->list.v[0];
            size_t len = obj.tag == V_LIST ? AS_LIST(obj)->n : AS_STR(obj)->len;
            double lo = 0, hi = (double)len;
            Value a = sl->a ? ev_eval(I, sl->a) : VNUM(0);
            Value b = IS_ERR(a) ? VERR : sl->b ? ev_eval(I, sl->b) : VNUM((double)len);
            if (IS_ERR(a) || IS_ERR(b)) { val_release(a); val_release(obj); return VERR; }
            if (a.tag != V_NUM || b.tag != V_NUM || a.as.n != floor(a.as.n) || b.as.n != floor(b.as.n)) {
                Value bad = a.tag != V_NUM || a.as.n != floor(a.as.n) ? a : b;
                char got[48];
                if (bad.tag == V_NUM) snprintf(got, sizeof got, "%g", isnan(bad.as.n) ? NAN : bad.as.n);
                else snprintf(got, sizeof got, "a %s", val_type_name(bad));
                val_release(a); val_release(b); val_release(obj);
                return err_raise(I, "slice bounds must be whole numbers (got %s)", got);
            }
            lo = a.as.n < 0 ? a.as.n + (double)len : a.as.n;
            hi = b.as.n < 0 ? b.as.n + (double)len : b.as.n;
            if (lo < 0) lo = 0;
            if (lo > (double)len) lo = (double)len;
            if (hi > (double)len) hi = (double)len;
            if (hi < lo) hi = lo;
            if (obj.tag == V_STR) r = val_str(AS_STR(obj)->s + (size_t)lo, (size_t)(hi - lo));
            else {
                r = val_list((size_t)(hi - lo));
                for (size_t i = (size_t)lo; i < (size_t)hi; i++) val_list_push(r, val_retain(AS_LIST(obj)->v[i]));
            }
            r.owner = (uint16_t)val_owner(obj);
            val_release(obj);
            return r;
        }
        val_release(obj);
        return err_raise(I, "a %s takes one index", val_type_name(obj));
    }
    Value idx = ev_eval(I, n->list.v[0]);
    if (IS_ERR(idx)) { val_release(obj); return VERR; }
    size_t i;
    switch (obj.tag) {
    case V_LIST:
        if (ev_to_index(I, idx, AS_LIST(obj)->n, &i)) r = val_retain(AS_LIST(obj)->v[i]);
        break;
    case V_STR:
        if (ev_to_index(I, idx, AS_STR(obj)->len, &i)) r = val_str(AS_STR(obj)->s + i, 1);
        break;
    case V_REC:
        if (idx.tag != V_STR) { r = err_raise(I, "a record's index is a field name string"); break; }
        {
            Value *f = val_rec_get(obj, sym_intern(&I->syms, AS_STR(idx)->s, AS_STR(idx)->len));
            r = f ? val_retain(*f) : err_raise(I, "record has no field '%s'", AS_STR(idx)->s);
        }
        break;
    case V_RANGE: {
        ObjRange *rg = AS_RANGE(obj);
        if (ev_to_index(I, idx, ev_range_len(rg), &i)) r = VNUM(rg->lo + (double)i * rg->step);
        break;
    }
    default:
        r = err_raise(I, "a %s cannot be indexed", val_type_name(obj));
    }
    if (!IS_ERR(r) && r.owner == 0 && ev_ownable(r)) r.owner = (uint16_t)val_owner(obj);
    val_release(idx); val_release(obj);
    return guard_read(I, r, n);
}

static Value eval_field(Interp *I, Node *n)
{
    Value obj = ev_eval(I, n->a);
    if (IS_ERR(obj)) return VERR;
    Value r;
    const VClass *c = ev_class(I, obj);
    if (obj.tag == V_REC) {
        Value *f = val_rec_get(obj, n->v.name);
        r = f ? val_retain(*f) : err_raise(I, "record has no field '%s'", n->v.name->name);
    } else if (c && c->field) {        /* a kind's fields, a tensor's x.T, a list's l.len */
        r = c->field(I, obj, n->v.name);
    } else if (obj.tag == V_PARTY && strcmp(n->v.name->name, "name") == 0) {
        r = val_cstr(ev_party_name(I, (int)obj.as.i));     /* public, as the declaration */
    } else {
        r = err_raise(I, "a %s has no field '%s'%s", val_type_name(obj), n->v.name->name,
                      obj.tag == V_PARTY ? " (it has: name)" : "");
    }
    if (!IS_ERR(r) && r.owner == 0 && ev_ownable(r)) r.owner = (uint16_t)val_owner(obj);
    if (!IS_ERR(r)) val_inherit_ledger(r, obj);    /* d.x keeps d's privacy ledger */
    val_release(obj);
    return guard_read(I, r, n);
}

/* An f-string shows its parts: each is read through ev_read, and the string is the
** data of the party whose data it shows. */
static Value eval_fstr(Interp *I, Node *n)
{
    Sb b; sb_init(&b);
    int owner = 0;
    for (int i = 0; i < n->list.n; i++) {
        Node *p = n->list.v[i];
        if (p->kind == N_STR) { sb_put(&b, p->v.str.s, p->v.str.len); continue; }
        Value v = ev_eval(I, p->a);
        if (IS_ERR(v)) { sb_free(&b); return VERR; }
        char what[96];
        int q = v.tag == V_NUM && !v.owner ? 0 : ev_read(I, v, ev_describe(p->a, what, sizeof what));
        if (q > 0) q = ev_join(I, owner, q, "this f-string");
        if (q < 0) { sb_free(&b); val_release(v); ev_locate(I, p->a); return VERR; }
        if (q) owner = q;
        if (p->v.str.s && v.tag == V_NUM) {
            char fmt[40];
            const char *spec = p->v.str.s;
            size_t k = strspn(spec, "0123456789.+- #");
            char conv = spec[k];
            if (strlen(spec) > 20 || spec[k + (conv != 0)] != 0 ||
                (conv && !strchr("fegdx%", conv))) {
                sb_free(&b); val_release(v);
                return err_raise(I, "bad format '%s' (use e.g. .3f, 8.2e, d, %%)", spec);
            }
            if ((conv == 'd' || conv == 'x') && !(fabs(v.as.n) < 0x1p63)) {
                sb_free(&b); val_release(v);        /* (long long) of it would be undefined */
                return err_raise(I, "format '%s' needs a number within ±2^63 (got %g)", spec,
                                 isnan(v.as.n) ? NAN : v.as.n);
            }
            if (conv == 'd' || conv == 'x') {
                snprintf(fmt, sizeof fmt, "%%%.*sll%c", (int)k, spec, conv);
                sb_printf(&b, fmt, (long long)v.as.n);
            } else if (conv == '%') {
                snprintf(fmt, sizeof fmt, "%%%.*sf%%%%", (int)k, spec);
                sb_printf(&b, fmt, v.as.n * 100);
            } else {
                snprintf(fmt, sizeof fmt, "%%%.*s%c", (int)k, spec, conv ? conv : 'g');
                sb_printf(&b, fmt, v.as.n);
            }
        } else {
            val_show(I, v, &b, true);
        }
        val_release(v);
    }
    Value r = val_str(b.s, b.n);
    sb_free(&b);
    ev_place_result(I, &r, owner);
    return r;
}

static Value __attribute__((noinline)) eval_other(Interp *I, Node *n)
{
    switch ((NodeKind)n->kind) {
    case N_STR: return val_str(n->v.str.s, n->v.str.len);
    case N_FSTR: return eval_fstr(I, n);
    case N_BOOL: return VBOOL(n->op);
    case N_NONE: return VNONE;
    case N_UNOP: {
        Value a = ev_eval(I, n->a);
        if (IS_ERR(a)) return VERR;
        Value r = ev_unop(I, n->op, a);
        val_release(a);
        return r;
    }
    case N_AND: case N_OR: {
        Value a = ev_eval(I, n->a);
        if (IS_ERR(a)) return VERR;
        if (!ev_may_peek(I, &a, n->kind == N_AND ? "the left operand of 'and'" : "the left operand of 'or'")) {
            val_release(a); ev_locate(I, n->a); return VERR;
        }
        bool t = val_truthy(a);
        if ((n->kind == N_AND) != t) return a;
        val_release(a);
        return ev_eval(I, n->b);
    }
    case N_LIST: {
        Value l = val_list((size_t)n->list.n);
        for (int i = 0; i < n->list.n; i++) {
            Value v = ev_eval(I, n->list.v[i]);
            if (IS_ERR(v)) { val_release(l); return VERR; }
            val_list_push(l, v);
        }
        return l;
    }
    case N_REC: {
        Value r = val_rec();
        for (int i = 0; i < n->list.n; i++) {
            Node *kv = n->list.v[i];
            Value v = ev_eval(I, kv->a);
            if (IS_ERR(v)) { val_release(r); return VERR; }
            val_rec_set(r, kv->v.name, v);
        }
        return r;
    }
    case N_RANGE: {
        Value a = ev_eval(I, n->a);
        if (IS_ERR(a)) return VERR;
        Value b = ev_eval(I, n->b);
        if (IS_ERR(b)) { val_release(a); return VERR; }
        if (a.tag != V_NUM || b.tag != V_NUM) {
            val_release(a); val_release(b);
            return err_raise(I, "a range needs numbers (got %s..%s)", val_type_name(a), val_type_name(b));
        }
        return ev_range(I, a.as.n, b.as.n, 1);
    }
    case N_INDEX: return eval_index(I, n);
    case N_FIELD: return eval_field(I, n);
    case N_AT: {
        Value p = ev_eval(I, n->b);
        if (IS_ERR(p)) return VERR;
        if (p.tag != V_PARTY) {
            val_release(p);
            return err_raise(I, "'at' needs a party (got %s); declare one with: party NAME", val_type_name(p));
        }
        int saved_at = I->file_at;
        I->file_at = (int)p.as.i;           /* load_csv(path) at p: a file in p's directory */
        Value v = ev_eval(I, n->a);
        I->file_at = saved_at;
        if (IS_ERR(v)) return VERR;
        int other, vp = val_party(v, &other);
        if (vp == p.as.i && other) vp = other;
        if (vp && vp != p.as.i) {
            Value e = err_raise(I, "this value lives at %s; use send(x, to = %s) to give %s a copy",
                                ev_party_name(I, vp), ev_party_name(I, (int)p.as.i),
                                ev_party_name(I, (int)p.as.i));
            val_release(v);
            return e;
        }
        if (!ev_ownable(v)) return v;
        /* the value moves into p's store: a container or tensor someone else still
           refers to is copied first, so the public reference stays public */
        if ((v.tag == V_LIST || v.tag == V_REC || v.tag == V_TENSOR) && v.as.o->rc > 1) {
            Value c = val_copy(v);
            val_release(v);
            v = c;
        }
        val_place(&v, (int)p.as.i, -1);
        return v;
    }
    case N_FN: return ev_make_func(I, n);
    default:
        return err_raise(I, "internal error: cannot evaluate %s", ast_kind_name(n->kind));
    }
}

/* Operands that are not two public numbers: owners checked, then ev_ops.c. */
static Value __attribute__((noinline)) binop_general(Interp *I, Node *n, Value a, Value b)
{
    char bufa[96], bufb[96];
    int pa = ev_read(I, a, ev_describe(n->a, bufa, sizeof bufa));
    int pb = pa < 0 ? -1 : ev_read(I, b, ev_describe(n->b, bufb, sizeof bufb));
    int owner = pb < 0 ? -1 : pa;
    if (pb > 0 && pb != pa) owner = ev_common_owner(I, pa, pb, ev_describe(n->b, bufb, sizeof bufb));
    if (owner < 0) ev_locate(I, pa < 0 ? n->a : n->b);   /* the caret under the operand */
    Value r = owner < 0 ? VERR : ev_binop_values(I, n->op, a, b);
    if (!IS_ERR(r)) ev_place_result(I, &r, owner);
    if (!IS_ERR(r)) { val_inherit_ledger(r, a); val_inherit_ledger(r, b); }
    val_release(a); val_release(b);
    return r;
}

/* The hot path: literals, names and arithmetic on public numbers stay in registers. */
static inline __attribute__((always_inline)) Value eval_inner(Interp *I, Node *n)
{
    switch ((NodeKind)n->kind) {
    case N_NUM: return VNUM(n->v.num);
    case N_NAME: return read_name(I, n);
    case N_BINOP: {
        Value a = ev_eval(I, n->a);
        if (IS_ERR(a)) return VERR;
        Value b = ev_eval(I, n->b);
        if (IS_ERR(b)) { val_release(a); return VERR; }
        if (a.tag == V_NUM && b.tag == V_NUM && (a.owner | b.owner) == 0) {
            double x = a.as.n, y = b.as.n;
            switch (n->op) {
            case OP_ADD: return VNUM(x + y);
            case OP_SUB: return VNUM(x - y);
            case OP_MUL: return VNUM(x * y);
            case OP_LT: return VBOOL(x < y);
            case OP_GT: return VBOOL(x > y);
            case OP_LE: return VBOOL(x <= y);
            case OP_GE: return VBOOL(x >= y);
            case OP_EQ: return VBOOL(x == y);
            case OP_MOD:
                if (y > 0 && y < 0x1p53 && x >= 0 && x < 0x1p53 &&
                    x == (double)(int64_t)x && y == (double)(int64_t)y)
                    return VNUM((double)((int64_t)x % (int64_t)y));
                /* fall through */
            default: return ev_num_binop(I, n->op, x, y);
            }
        }
        return binop_general(I, n, a, b);
    }
    case N_CALL: return eval_call(I, n);
    default: return eval_other(I, n);
    }
}

Value ev_eval(Interp *I, Node *n)
{
    Value v = eval_inner(I, n);
    if (IS_ERR(v)) ev_locate(I, n);
    return v;
}
