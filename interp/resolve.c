/*
** resolve.c — computes variable slots for a parse unit (see resolve.h).  Two walks per
** function: collect the names it binds, then resolve every reference against the chain
** of enclosing function scopes.  Scopes and FnInfo live in the unit's arena.
*/
#include "resolve.h"
#include <string.h>

typedef struct Scope {
    struct Scope *parent;
    Sym **names; int n, cap;
    Arena *arena;
} Scope;

static int find(const Scope *s, const Sym *name)
{
    for (int i = 0; i < s->n; i++) if (s->names[i] == name) return i;
    return -1;
}

static int add(Scope *s, Sym *name)
{
    int i = find(s, name);
    if (i >= 0) return i;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        Sym **v = arena_alloc(s->arena, (size_t)cap * sizeof *v);
        if (s->n) memcpy(v, s->names, (size_t)s->n * sizeof *v);
        s->names = v; s->cap = cap;
    }
    s->names[s->n] = name;
    return s->n++;
}

/* Names bound by the statements of one function body (not inside nested functions). */
static void collect(Scope *s, Node *n)
{
    if (!n) return;
    switch ((NodeKind)n->kind) {
    case N_ASSIGN: case N_AUGASSIGN:
        if (n->a && n->a->kind == N_NAME) add(s, n->a->v.name);
        return;
    case N_FOR: if (n->v.name) add(s, n->v.name); collect(s, n->b); return;
    case N_FN: if (n->v.name) add(s, n->v.name); return;
    case N_IF: collect(s, n->b); collect(s, n->c); return;
    case N_WHILE: collect(s, n->b); return;
    case N_ON: case N_PARALLEL: collect(s, n->b); return;
    case N_TRY: if (n->v.name) add(s, n->v.name); collect(s, n->b); collect(s, n->c); return;
    case N_BLOCK: case N_PROGRAM:
        for (int i = 0; i < n->list.n; i++) collect(s, n->list.v[i]);
        return;
    default: return;
    }
}

static void place(Scope *s, Node *n, Sym *name)
{
    int depth = 0;
    for (Scope *c = s; c; c = c->parent, depth++) {
        int i = find(c, name);
        if (i >= 0) {
            n->scope = depth == 0 ? SC_LOCAL : SC_UPVAL;
            n->depth = (int16_t)depth; n->slot = i;
            return;
        }
    }
    n->scope = SC_GLOBAL; n->depth = 0; n->slot = (int32_t)name->id;
}

static void walk(Scope *s, Node *n, Arena *arena);

static void walk_fn(Scope *outer, Node *fn, Arena *arena)
{
    Scope sc = { outer, NULL, 0, 0, arena };
    for (int i = 0; i < fn->list.n; i++) {
        Node *p = fn->list.v[i];
        if (p && p->v.name) { p->scope = SC_LOCAL; p->slot = add(&sc, p->v.name); }
    }
    int nparams = sc.n;
    collect(&sc, fn->a);
    /* defaults are evaluated in the function's own activation, after binding */
    for (int i = 0; i < fn->list.n; i++) if (fn->list.v[i]) walk(&sc, fn->list.v[i]->a, arena);
    walk(&sc, fn->a, arena);
    FnInfo *fi = arena_alloc(arena, sizeof *fi);
    fi->nparams = nparams; fi->nlocals = sc.n; fi->names = sc.names;
    fn->info = fi;
}

static void walk(Scope *s, Node *n, Arena *arena)
{
    if (!n) return;
    switch ((NodeKind)n->kind) {
    case N_NAME: place(s, n, n->v.name); return;
    case N_FOR:
        place(s, n, n->v.name);
        walk(s, n->a, arena); walk(s, n->b, arena);
        return;
    case N_FN:
        if (n->v.name) place(s, n, n->v.name);
        walk_fn(s, n, arena);
        return;
    case N_TRY:
        if (n->v.name) place(s, n, n->v.name);
        break;
    default: break;
    }
    walk(s, n->a, arena); walk(s, n->b, arena); walk(s, n->c, arena);
    for (int i = 0; i < n->list.n; i++) walk(s, n->list.v[i], arena);
}

void rs_resolve(AstUnit *u) { walk(NULL, u->root, &u->arena); }
