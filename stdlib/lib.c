/*
** lib.c — builtin registration and the shared argument checkers (see lib.h).  Every
** builtin becomes a global variable holding a V_BUILTIN value, so a call to a builtin
** is a global read like any other and users may shadow builtins.
*/
#include "lib.h"
#include "mem.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const LibModule *const modules[] = {
    &lib_mod_core, &lib_mod_party, &lib_mod_tensor, &lib_mod_nn, &lib_mod_nn_plot, &lib_mod_data,
    &lib_mod_he, &lib_mod_he_blind, &lib_mod_he_file, &lib_mod_mpc, &lib_mod_dp, &lib_mod_store,
    &lib_mod_pate, &lib_mod_secagg, &lib_mod_diagram, &lib_mod_attack, &lib_mod_fl, NULL
};

static void add_builtin(Interp *I, const LibReg *r)
{
    if (I->nbuiltins == I->capbuiltins) {
        I->capbuiltins = I->capbuiltins ? I->capbuiltins * 2 : 256;
        I->builtins = xrealloc(I->builtins, I->capbuiltins * sizeof *I->builtins);
    }
    I->builtins[I->nbuiltins++] = r;
    if (lib_find(I, r->name) == r)          /* the first registration of a name is bound */
        ev_set_global(I, r->name, (Value){ .tag = V_BUILTIN, .as.fn = r });
}

void lib_register_all(Interp *I)
{
    for (const LibModule *const *m = modules; *m; m++) {
        for (const LibReg *r = (*m)->fns; r->name; r++) add_builtin(I, r);
        if ((*m)->init) (*m)->init(I);
    }
}

const LibReg *lib_find(const Interp *I, const char *name)
{
    for (uint32_t i = 0; i < I->nbuiltins; i++)
        if (strcmp(I->builtins[i]->name, name) == 0) return I->builtins[i];
    return NULL;
}

const LibReg *lib_next(const Interp *I, const LibReg *r)
{
    bool after = false;
    for (uint32_t i = 0; i < I->nbuiltins; i++) {
        if (I->builtins[i] == r) { after = true; continue; }
        if (after && strcmp(I->builtins[i]->name, r->name) == 0) return I->builtins[i];
    }
    return NULL;
}

Value lib_forward(Interp *I, Args *a, const char *expected)
{
    const LibReg *n = a->self ? lib_next(I, a->self) : NULL;
    if (!n) return lib_bad(I, a, 0, expected);
    a->self = n;            /* left pointing at the last entry tried (see call_builtin) */
    return n->fn(I, a);
}

static const char *ordinal_kind(Value v) { return val_type_name(v); }

Value lib_bad(Interp *I, Args *a, int i, const char *expected)
{
    if (!I->err_set) {
        I->badarg = i + 1;
        snprintf(I->badarg_expected, sizeof I->badarg_expected, "%s", expected);
    }
    if (i >= a->n)
        return err_raise(I, "bad argument #%d to '%s' (%s expected, got nothing)", i + 1, a->fname, expected);
    return err_raise(I, "bad argument #%d to '%s' (%s expected, got %s)", i + 1, a->fname, expected,
                     ordinal_kind(a->v[i]));
}

Value lib_badkw(Interp *I, Args *a, const char *kw, const char *expected)
{
    Value *v = lib_kw(a, kw);
    return err_raise(I, "bad argument '%s' to '%s' (%s expected, got %s)", kw, a->fname, expected,
                     v ? ordinal_kind(*v) : "nothing");
}

/* Is `name` a parameter of the signature sig ("f(x, he, packed = false)")?  1: a keyword
** one (with a default), 2: a positional one, 0: neither.  The accepted keywords are
** appended to kws, comma-separated. */
static int sig_param(const char *sig, const char *name, Sb *kws)
{
    const char *p = sig ? strchr(sig, '(') : NULL;
    int found = 0;
    while (p && *p && *p != ')') {
        p++;
        while (*p == ' ') p++;
        size_t n = strcspn(p, " =,)");
        const char *q = p + n;
        while (*q == ' ') q++;
        bool kw = *q == '=';
        if (n && strncmp(p, "...", 3) != 0) {
            if (n == strlen(name) && strncmp(p, name, n) == 0) found = kw ? 1 : 2;
            if (kw) sb_printf(kws, "%s%.*s", kws->n ? ", " : "", (int)n, p);
        }
        int depth = 0;
        for (p = q; *p && (depth || (*p != ',' && *p != ')')); p++) {
            if (*p == '(' || *p == '[') depth++;
            else if ((*p == ')' || *p == ']') && depth) depth--;
        }
    }
    return found;
}

bool lib_arity(Interp *I, Args *a, int min, int max)
{
    if (a->n >= min && (max < 0 || a->n <= max)) return true;
    /* a missing argument given by a keyword the builtin does not take: name it */
    for (int i = 0; a->n < min && a->self && i < a->nkw; i++) {
        Sb kws; sb_init(&kws);
        int k = sig_param(a->self->sig, a->kwname[i]->name, &kws);
        if (k != 1) {
            if (k == 2)
                err_raise(I, "'%s' has no keyword argument '%s' (pass it by position: %s%s%s)", a->fname,
                          a->kwname[i]->name, a->self->sig, kws.n ? "; its keywords are: " : "",
                          kws.n ? kws.s : "");
            else if (kws.n)
                err_raise(I, "'%s' has no keyword argument '%s' (it takes: %s)", a->fname,
                          a->kwname[i]->name, kws.s);
            else
                err_raise(I, "'%s' takes no keyword arguments (got '%s')", a->fname, a->kwname[i]->name);
            sb_free(&kws);
            return false;
        }
        sb_free(&kws);
    }
    if (min == max)
        err_raise(I, "'%s' takes %d argument%s (got %d)", a->fname, min, min == 1 ? "" : "s", a->n);
    else if (max < 0)
        err_raise(I, "'%s' takes at least %d argument%s (got %d)", a->fname, min, min == 1 ? "" : "s", a->n);
    else
        err_raise(I, "'%s' takes %d to %d arguments (got %d)", a->fname, min, max, a->n);
    return false;
}

bool lib_kwonly(Interp *I, Args *a, const char *const *allowed)
{
    for (int i = 0; i < a->nkw; i++) {
        bool ok = false;
        for (const char *const *k = allowed; k && *k; k++)
            if (strcmp(*k, a->kwname[i]->name) == 0) { ok = true; break; }
        if (!ok) {
            Sb b; sb_init(&b);
            for (const char *const *k = allowed; k && *k; k++) sb_printf(&b, "%s%s", k == allowed ? "" : ", ", *k);
            if (b.n) err_raise(I, "'%s' has no keyword argument '%s' (it takes: %s)", a->fname, a->kwname[i]->name, b.s);
            else err_raise(I, "'%s' takes no keyword arguments (got '%s')", a->fname, a->kwname[i]->name);
            sb_free(&b);
            return false;
        }
    }
    return true;
}

Value *lib_kw(Args *a, const char *name)
{
    for (int i = 0; i < a->nkw; i++) if (strcmp(a->kwname[i]->name, name) == 0) return &a->kw[i];
    return NULL;
}

bool lib_num(Interp *I, Args *a, int i, double *out)
{
    if (i < a->n && a->v[i].tag == V_NUM) { *out = a->v[i].as.n; return true; }
    lib_bad(I, a, i, "number");
    return false;
}

bool lib_int(Interp *I, Args *a, int i, long *out)
{
    if (i < a->n && a->v[i].tag == V_NUM && a->v[i].as.n == floor(a->v[i].as.n) &&
        fabs(a->v[i].as.n) < 9e15) { *out = (long)a->v[i].as.n; return true; }
    lib_bad(I, a, i, "whole number");
    return false;
}

bool lib_str(Interp *I, Args *a, int i, const char **out)
{
    if (i < a->n && a->v[i].tag == V_STR) { *out = AS_STR(a->v[i])->s; return true; }
    lib_bad(I, a, i, "string");
    return false;
}

bool lib_tensor(Interp *I, Args *a, int i, Tn **out)
{
    if (i < a->n && a->v[i].tag == V_TENSOR) { *out = AS_TENSOR(a->v[i]); return true; }
    lib_bad(I, a, i, "tensor");
    return false;
}

void *lib_user(Interp *I, Args *a, int i, const VClass *cls)
{
    void *p = i < a->n ? val_user_as(a->v[i], cls) : NULL;
    if (!p) lib_bad(I, a, i, cls->name);
    return p;
}

bool lib_party(Interp *I, Args *a, int i, int *id)
{
    if (i < a->n && a->v[i].tag == V_PARTY) { *id = (int)a->v[i].as.i; return true; }
    lib_bad(I, a, i, "party");
    return false;
}

bool lib_kwnum(Interp *I, Args *a, const char *name, double *out)
{
    Value *v = lib_kw(a, name);
    if (!v) return true;
    if (v->tag == V_NUM) { *out = v->as.n; return true; }
    lib_badkw(I, a, name, "number");
    return false;
}

bool lib_kwint(Interp *I, Args *a, const char *name, long *out)
{
    Value *v = lib_kw(a, name);
    if (!v) return true;
    if (v->tag == V_NUM && v->as.n == floor(v->as.n) && fabs(v->as.n) < 9e15) { *out = (long)v->as.n; return true; }
    lib_badkw(I, a, name, "whole number");
    return false;
}

bool lib_kwbool(Interp *I, Args *a, const char *name, bool *out)
{
    Value *v = lib_kw(a, name);
    if (!v) return true;
    if (v->tag == V_BOOL) { *out = v->as.b; return true; }
    lib_badkw(I, a, name, "true or false");
    return false;
}

bool lib_kwstr(Interp *I, Args *a, const char *name, const char **out)
{
    Value *v = lib_kw(a, name);
    if (!v) return true;
    if (v->tag == V_STR) { *out = AS_STR(*v)->s; return true; }
    lib_badkw(I, a, name, "string");
    return false;
}

bool lib_kwparty(Interp *I, Args *a, const char *name, int *id)
{
    Value *v = lib_kw(a, name);
    if (!v) return true;
    if (v->tag == V_PARTY) { *id = (int)v->as.i; return true; }
    lib_badkw(I, a, name, "party");
    return false;
}
