/*
** dp_ledger.c — a dataset's privacy budget and the ledger of what was spent on it: one
** charge per DP release or training run (what, epsilon, delta, and its RDP curve when
** the mechanism has one), composed by the better of basic and RDP composition, checked
** against the budget BEFORE anything is released, and written to and read from a small
** text format so that it survives saving the dataset's state.  The ledger hangs off
** Ds.ledger; copies of a dataset share it, ledgers of data that was combined are joined
** into one, and its cap only goes down (see dp.h).  It does not compute a release's
** epsilon (dp_rdp.c, dp_mech.c do) nor know interpreter values.
*/
#include "dp.h"
#include "mem.h"
#include "dataset.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SLACK (1 + 1e-9)        /* a charge that lands exactly on the budget fits */
#define NO DP_RDP_NORDERS

DpLedger *dp_ledger_new(void)
{
    DpLedger *L = xcalloc(1, sizeof *L);
    L->refs = 1;
    return L;
}

static void clear(DpLedger *L)
{
    for (size_t i = 0; i < L->n; i++) { free(L->c[i].what); free(L->c[i].rdp); }
    L->n = 0;
}

void dp_ledger_free(void *ledger)
{
    DpLedger *L = ledger;
    if (!L || --L->refs > 0) return;
    clear(L);
    free(L->c);
    dp_ledger_free(L->into);
    free(L);
}

DpLedger *dp_ledger_root(const DpLedger *L)
{
    while (L && L->into) L = L->into;
    return (DpLedger *)L;
}

void *dp_ledger_share(const void *ledger)
{
    DpLedger *L = (DpLedger *)ledger;
    if (L) L->refs++;
    return L;
}

DpLedger *dp_ledger_of(struct Ds *d, bool create)
{
    if (!d) return NULL;
    if (!d->ledger && create) {
        d->ledger = dp_ledger_new();
        d->ledger_free = dp_ledger_free;
        d->ledger_copy = dp_ledger_share;
    }
    return dp_ledger_root(d->ledger);
}

bool dp_ledger_set_budget(DpLedger *L, double epsilon, double delta)
{
    L = dp_ledger_root(L);
    if (!(epsilon >= 0) || !isfinite(epsilon) || !(delta >= 0 && delta < 1)) return false;
    L->has_budget = true;
    L->budget_epsilon = epsilon;
    L->budget_delta = delta;
    return true;
}

int dp_ledger_lower(DpLedger *L, int by, double epsilon, double delta)
{
    L = dp_ledger_root(L);
    if (!(epsilon >= 0) || !isfinite(epsilon) || !(delta >= 0 && delta < 1))
        return DP_BUDGET_BAD;
    if (L->has_budget) {
        if (by != L->owner) return DP_BUDGET_NOT_OWNER;
        if (epsilon > L->budget_epsilon || delta > L->budget_delta) return DP_BUDGET_RAISES;
    } else {
        L->owner = by;
    }
    dp_ledger_set_budget(L, epsilon, delta);
    return DP_BUDGET_SET;
}

DpLedger *dp_ledger_join(DpLedger *a, DpLedger *b)
{
    a = dp_ledger_root(a);
    b = dp_ledger_root(b);
    if (!a || !b || a == b) return a ? a : b;
    if (b->has_budget) {            /* the lower cap of the two, each of epsilon and delta */
        if (!a->has_budget) {
            a->has_budget = true;
            a->owner = b->owner;
            a->budget_epsilon = b->budget_epsilon;
            a->budget_delta = b->budget_delta;
        } else {
            a->budget_epsilon = fmin(a->budget_epsilon, b->budget_epsilon);
            a->budget_delta = fmin(a->budget_delta, b->budget_delta);
        }
    }
    for (size_t i = 0; i < b->n; i++) {     /* b's charges move over */
        if (a->n == a->cap) {
            a->cap = a->cap ? 2 * a->cap : 8;
            a->c = xrealloc(a->c, a->cap * sizeof *a->c);
        }
        a->c[a->n++] = b->c[i];
    }
    b->n = 0;
    b->has_budget = false;
    b->into = dp_ledger_share(a);
    return a;
}

/* The ledger's total, with one hypothetical extra charge when extra is set. */
static DpSpent account(const DpLedger *L, bool extra, double xe, double xd, const double *xr)
{
    double e = 0, d = 0, sum[NO] = {0};
    bool all = true;
    size_t n = L ? L->n : 0;
    for (size_t i = 0; i < n; i++) {
        e += L->c[i].epsilon; d += L->c[i].delta;
        if (!L->c[i].rdp) { all = false; continue; }
        for (int k = 0; k < NO; k++) sum[k] += L->c[i].rdp[k];
    }
    if (extra) {
        e += xe; d += xd; n++;
        if (!xr) all = false;
        else for (int k = 0; k < NO; k++) sum[k] += xr[k];
    }
    DpSpent basic = { e, d, false };
    bool budget = L && L->has_budget && L->budget_delta > 0;
    double target = budget ? L->budget_delta : d;
    if (!all || n == 0 || !(target > 0 && target < 1)) return basic;
    DpSpent rdp = { dp_rdp_to_epsilon(dp_rdp_orders, sum, NO, target, DP_CLASSIC, NULL),
                    target, true };
    bool basic_ok = !budget || basic.delta <= L->budget_delta * SLACK;
    return basic_ok && basic.epsilon <= rdp.epsilon ? basic : rdp;
}

DpSpent dp_ledger_spent(const DpLedger *L)
{
    return account(dp_ledger_root(L), false, 0, 0, NULL);
}

static bool within(const DpLedger *L, DpSpent s)
{
    return s.epsilon <= L->budget_epsilon * SLACK && s.delta <= L->budget_delta * SLACK;
}

bool dp_ledger_fits(const DpLedger *L, double epsilon, double delta, const double *rdp)
{
    L = dp_ledger_root(L);
    if (!L || !L->has_budget) return true;
    return within(L, account(L, true, epsilon, delta, rdp));
}

static char *dup_line(const char *s)
{
    size_t n = strlen(s);
    char *p = xmalloc(n + 1);
    for (size_t i = 0; i <= n; i++) p[i] = s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
    return p;
}

static void add(DpLedger *L, const char *what, double epsilon, double delta, const double *rdp)
{
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 8;
        L->c = xrealloc(L->c, L->cap * sizeof *L->c);
    }
    double *r = NULL;
    if (rdp) {
        r = xmalloc(NO * sizeof *r);
        memcpy(r, rdp, NO * sizeof *r);
    }
    L->c[L->n++] = (DpCharge){ .what = dup_line(what ? what : "release"),
                               .epsilon = epsilon, .delta = delta, .rdp = r };
}

int dp_ledger_charge(DpLedger *L, const char *what, double epsilon, double delta,
                     const double *rdp, RtErr *err)
{
    L = dp_ledger_root(L);
    if (!(epsilon >= 0) || !(delta >= 0))
        return rt_fail(err, RT_EINVAL, "a charge needs epsilon >= 0 and delta >= 0");
    if (!dp_ledger_fits(L, epsilon, delta, rdp)) {
        DpSpent s = dp_ledger_spent(L), after = account(L, true, epsilon, delta, rdp);
        double le = L->budget_epsilon - s.epsilon, ld = L->budget_delta - s.delta;
        return rt_fail(err, RT_EBUDGET,
                       "privacy budget exceeded: %s costs epsilon %.3g, delta %.3g (total "
                       "after it: epsilon %.3g, delta %.3g); spent epsilon %.3g of %.3g (%.3g "
                       "left), delta %.3g of %.3g (%.3g left)",
                       what ? what : "this release", epsilon, delta, after.epsilon, after.delta,
                       s.epsilon, L->budget_epsilon, le > 0 ? le : 0, s.delta, L->budget_delta,
                       ld > 0 ? ld : 0);
    }
    add(L, what, epsilon, delta, rdp);
    return 0;
}

void dp_ledger_restore(DpLedger *into, const DpLedger *from)
{
    into = dp_ledger_root(into);
    from = dp_ledger_root(from);
    if (into == from) return;
    clear(into);
    into->has_budget = from->has_budget;
    into->owner = from->owner;
    into->budget_epsilon = from->budget_epsilon;
    into->budget_delta = from->budget_delta;
    for (size_t i = 0; i < from->n; i++)
        add(into, from->c[i].what, from->c[i].epsilon, from->c[i].delta, from->c[i].rdp);
}

bool dp_ledger_write(const DpLedger *L, FILE *f)
{
    L = dp_ledger_root(L);
    fprintf(f, "ppdl-ledger 1\n");
    if (L && L->has_budget)
        fprintf(f, "budget %.17g %.17g\n", L->budget_epsilon, L->budget_delta);
    else
        fprintf(f, "budget none\n");
    for (size_t i = 0; L && i < L->n; i++) {
        fprintf(f, "charge %.17g %.17g %s\n", L->c[i].epsilon, L->c[i].delta, L->c[i].what);
        if (!L->c[i].rdp) continue;
        fputs("rdp", f);
        for (int k = 0; k < NO; k++) fprintf(f, " %.17g", L->c[i].rdp[k]);
        fputc('\n', f);
    }
    return !ferror(f);
}

/* Parses an "rdp v1 ... vN" line into out; false unless exactly N numbers >= 0. */
static bool parse_rdp(const char *s, double *out)
{
    s += 3;
    for (int k = 0; k < NO; k++) {
        char *end;
        out[k] = strtod(s, &end);
        if (end == s || !(out[k] >= 0)) return false;
        s = end;
    }
    while (*s == ' ') s++;
    return *s == 0;
}

DpLedger *dp_ledger_read(FILE *f, RtErr *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int ln = 1;
    if ((len = getline(&line, &cap, f)) < 0 || strcmp(line, "ppdl-ledger 1\n") != 0) {
        free(line);
        rt_err(err, RT_EFORMAT, "not a ppdl ledger (line 1)");
        return NULL;
    }
    DpLedger *L = dp_ledger_new();
    double curve[NO];
    while ((len = getline(&line, &cap, f)) >= 0) {
        ln++;
        if (len && line[len - 1] == '\n') line[--len] = 0;
        double e, d;
        int used = 0;
        if (strcmp(line, "budget none") == 0) {
            L->has_budget = false;
        } else if (sscanf(line, "budget %lf %lf%n", &e, &d, &used) == 2 && !line[used]) {
            if (!dp_ledger_set_budget(L, e, d)) goto bad;
        } else if (sscanf(line, "charge %lf %lf %n", &e, &d, &used) == 2 && used > 0
                   && e >= 0 && d >= 0) {
            add(L, line + used, e, d, NULL);
        } else if (strncmp(line, "rdp ", 4) == 0) {
            if (L->n == 0 || L->c[L->n - 1].rdp || !parse_rdp(line, curve)) goto bad;
            DpCharge *c = &L->c[L->n - 1];
            c->rdp = xmalloc(sizeof curve);
            memcpy(c->rdp, curve, sizeof curve);
        } else if (len > 0) {
            goto bad;
        }
    }
    free(line);
    return L;
bad:
    free(line);
    rt_err(err, RT_EFORMAT, "malformed ledger line %d", ln);
    dp_ledger_free(L);
    return NULL;
}
