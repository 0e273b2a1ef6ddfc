/*
** lib_pate.c — builtins of the 'pate' module: the teachers' votes (votes), their noise
** shares (noise_share), the central noisy max of PATE (noisy_max: LNMax, GNMax,
** confident GNMax), the plaintext aggregation of the teachers' noised votes (aggregate),
** SPEED's blind aggregation (speed) and its timing (speed_timing), and the privacy
** analysis: pate_epsilon (data-independent and data-dependent) and pate_charge (every
** teacher's ledger, before anything runs).  The mechanisms are records made by
** stdlib/ppdl/pate.ppdl (`import "pate"`: lnmax(...), gnmax(...), confident_gnmax(...)),
** which also strings these builtins into the protocol as the papers write it.  The
** mathematics and the protocol are runtime/pate*.c's; this file checks arguments and
** parties, and turns values into runtime calls.
*/
#include "lib.h"
#include "mem.h"
#include "dp.h"
#include "dataset.h"
#include "lib_data.h"
#include "lib_paillier.h"
#include "lib_network.h"
#include "lib_wire.h"
#include "pate.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KW(...) ((const char *const[]){ __VA_ARGS__, NULL })

static Rng *party_rng(void *u, int party) { return ev_rng(u, party); }

/* --- mechanisms: records {mechanism = "lnmax", scale = b} and the like ------------------ */

static bool rec_num(Interp *I, Value r, const char *field, double *out)
{
    Value *v = val_rec_get(r, sym_cstr(&I->syms, field));
    if (!v || !IS_NUM(*v)) {
        err_raise(I, "the aggregator record needs a number '%s' (make it with lnmax(...), gnmax(...) "
                  "or confident_gnmax(...) of import \"pate\")", field);
        return false;
    }
    *out = v->as.n;
    return true;
}

/* Reads argument i as a mechanism and checks its parameters. */
static bool mech_arg(Interp *I, Args *a, Value v, PateMech *m)
{
    memset(m, 0, sizeof *m);
    Value *k = IS_REC(v) ? val_rec_get(v, sym_cstr(&I->syms, "mechanism")) : NULL;
    if (!k || !IS_STR(*k)) {
        lib_badkw(I, a, "mechanism", "lnmax(...), gnmax(...) or confident_gnmax(...) record");
        return false;
    }
    const char *s = AS_STR(*k)->s;
    bool ok;
    if (strcmp(s, "lnmax") == 0) { m->kind = PATE_LNMAX; ok = rec_num(I, v, "scale", &m->scale); }
    else if (strcmp(s, "gnmax") == 0) { m->kind = PATE_GNMAX; ok = rec_num(I, v, "sigma", &m->scale); }
    else if (strcmp(s, "confident_gnmax") == 0) {
        m->kind = PATE_CONFIDENT;
        ok = rec_num(I, v, "sigma2", &m->scale) && rec_num(I, v, "sigma1", &m->sigma1) &&
             rec_num(I, v, "threshold", &m->threshold);
    } else {
        err_raise(I, "'%s': unknown aggregator \"%s\" (lnmax, gnmax or confident_gnmax)", a->fname, s);
        return false;
    }
    if (!ok) return false;
    RtErr e;
    if (pate_mech_check(m, &e)) { err_raise(I, "'%s': %s", a->fname, e.msg); return false; }
    return true;
}

static bool mech_kw(Interp *I, Args *a, PateMech *m)
{
    Value *v = lib_kw(a, "mechanism");
    if (!v) { err_raise(I, "'%s' needs mechanism = lnmax(...), gnmax(...) or confident_gnmax(...)", a->fname); return false; }
    return mech_arg(I, a, *v, m);
}

/* A 2-D tensor argument as doubles (Q x C). */
static double *matrix_of(Interp *I, Args *a, Value v, const char *what, int *Q, int *C)
{
    if (!IS_TENSOR(v) || AS_TENSOR(v)->ndim != 2) {
        err_raise(I, "'%s': %s must be a queries x classes tensor (got %s)", a->fname, what,
                  IS_TENSOR(v) ? "a tensor of another shape" : val_type_name(v));
        return NULL;
    }
    Tn *t = AS_TENSOR(v);
    *Q = t->shape[0]; *C = t->shape[1];
    double *x = xcalloc(t->size, sizeof *x);
    for (size_t i = 0; i < t->size; i++) x[i] = t->data[i];
    return x;
}

static Value labels_value(const int *lab, size_t Q, int owner)
{
    int shape[1] = { (int)Q };
    Tn *t = tn_new(1, shape);
    for (size_t q = 0; q < Q; q++) t->data[q] = (float)lab[q];
    return val_at(val_tensor(t), owner);
}

/* --- votes and noise ------------------------------------------------------------------- */

static Value b_votes(Interp *I, Args *a)
{
    Tn *p;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL) || !lib_tensor(I, a, 0, &p)) return VERR;
    if (p->ndim != 2 || p->shape[1] < 2) return lib_bad(I, a, 0, "queries x classes tensor of predictions");
    Tn *v = tn_new(2, p->shape);
    int C = p->shape[1];
    for (int q = 0; q < p->shape[0]; q++) {
        const float *r = p->data + (size_t)q * C;
        int best = 0;
        for (int c = 1; c < C; c++) if (r[c] > r[best]) best = c;
        v->data[(size_t)q * C + best] = 1;
    }
    return val_at(val_tensor(v), a->at);
}

static Value b_noise_share(Interp *I, Args *a)
{
    long Q, C, n = 0, k = 0;
    PateMech m;
    if (!lib_arity(I, a, 3, 3) || !lib_kwonly(I, a, KW("teachers", "dropouts")) ||
        !mech_arg(I, a, a->v[0], &m) || !lib_int(I, a, 1, &Q) || !lib_int(I, a, 2, &C) ||
        !lib_kwint(I, a, "teachers", &n) || !lib_kwint(I, a, "dropouts", &k)) return VERR;
    if (Q < 1 || Q > 10000000 || C < 2 || C > 100000 || Q * C > (1L << 28))
        return err_raise(I, "'noise_share': %ld queries of %ld classes is not a usable shape", Q, C);
    if (n < 1) return err_raise(I, "'noise_share' needs teachers = n, the number of teachers who share the noise");
    if (k < 0 || k >= n)
        return err_raise(I, "'noise_share': dropouts = %ld must be between 0 and teachers - 1 = %ld", k, n - 1);
    int shape[2] = { (int)Q, (int)C };
    Tn *t = tn_new(2, shape);
    double *z = xcalloc(t->size, sizeof *z);
    pate_noise_share(ev_rng(I, lib_draw_party(I, a)), &m, (int)(n - k), z, t->size);
    for (size_t i = 0; i < t->size; i++) t->data[i] = (float)z[i];
    free(z);
    return val_at(val_tensor(t), a->at);
}

static Value b_noisy_max(Interp *I, Args *a)
{
    PateMech m;
    int Q, C;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL) || !mech_arg(I, a, a->v[1], &m)) return VERR;
    double *h = matrix_of(I, a, a->v[0], "the vote histogram", &Q, &C);
    if (!h) return VERR;
    int owner = val_owner(a->v[0]) ? val_owner(a->v[0]) : a->at;
    int *lab = xcalloc((size_t)Q, sizeof *lab);
    int rc = pate_noisy_max(ev_rng(I, owner), &m, h, (size_t)Q, C, lab);
    Value r = rc ? err_raise(I, "'noisy_max': a count is too large for the noise's grid") :
                   labels_value(lab, (size_t)Q, owner);
    free(h); free(lab);
    return r;
}

/* --- the teachers' values: a list of Q x C tensors, each at its teacher ----------------- */

typedef struct Teachers { int n, Q, C; int *party; double **x; } Teachers;

static void teachers_free(Teachers *t)
{
    for (int i = 0; i < t->n; i++) free(t->x[i]);
    free(t->x); free(t->party);
}

static bool teachers_arg(Interp *I, Args *a, Teachers *t)
{
    memset(t, 0, sizeof *t);
    Value l = a->n > 0 ? a->v[0] : VNONE;
    if (!IS_LIST(l) || AS_LIST(l)->n == 0) { lib_bad(I, a, 0, "non-empty list of the teachers' values"); return false; }
    ObjList *L = AS_LIST(l);
    if (L->n > 4096) { lib_bad(I, a, 0, "list of at most 4096 teachers' values"); return false; }
    t->n = (int)L->n;
    t->party = xcalloc(L->n, sizeof *t->party);
    t->x = xcalloc(L->n, sizeof *t->x);
    for (size_t i = 0; i < L->n; i++) {
        int p = val_owner(L->v[i]), Q, C;
        if (!p) {
            err_raise(I, "'%s': item %zu of the list is public; each item is one teacher's votes plus "
                      "its noise share, computed inside on teacher { }", a->fname, i + 1);
            teachers_free(t);
            return false;
        }
        for (size_t j = 0; j < i; j++)
            if (t->party[j] == p) {
                err_raise(I, "'%s': items %zu and %zu both live at %s; one item a teacher", a->fname,
                          j + 1, i + 1, ev_party_name(I, p));
                teachers_free(t);
                return false;
            }
        t->party[i] = p;
        t->x[i] = matrix_of(I, a, L->v[i], "each teacher's value", &Q, &C);
        if (!t->x[i]) { teachers_free(t); return false; }
        if (i == 0) { t->Q = Q; t->C = C; }
        else if (Q != t->Q || C != t->C) {
            err_raise(I, "'%s': teacher %zu's values are %d x %d, teacher 1's %d x %d", a->fname,
                      i + 1, Q, C, t->Q, t->C);
            teachers_free(t);
            return false;
        }
    }
    if (t->C < 2) { err_raise(I, "'%s': at least two classes are needed", a->fname); teachers_free(t); return false; }
    return true;
}

/* Plaintext PATE with the teachers' own noise: every teacher sends its noised votes to p
** (one round; the transcript flags each as the teacher's data); p adds them in fixed point
** and takes the argmax. */
static Value b_aggregate(Interp *I, Args *a)
{
    int to = 0;
    Teachers t;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("to")) || !lib_kwparty(I, a, "to", &to)) return VERR;
    if (!to) return err_raise(I, "'aggregate' needs the party that adds the votes: to = p");
    if (!teachers_arg(I, a, &t)) return VERR;
    ObjList *L = AS_LIST(a->v[0]);
    double **got = xcalloc((size_t)t.n, sizeof *got);
    bool ok = true;
    msg_parallel_begin(&I->msg);
    for (int i = 0; i < t.n && ok; i++) {
        Value r = lib_wire_send(I, L->v[i], t.party[i], to, true);
        ok = !IS_ERR(r);
        if (ok) {
            int Q, C;
            got[i] = matrix_of(I, a, r, "a received value", &Q, &C);   /* to's copy */
            ok = got[i] != NULL;
        }
        val_release(r);
    }
    msg_parallel_end(&I->msg);
    int *lab = xcalloc((size_t)t.Q, sizeof *lab);
    RtErr e;
    Value r = VERR;
    if (ok) {
        if (pate_plain(t.n, (const double *const *)got, (size_t)t.Q, t.C, lab, &e))
            err_raise(I, "'aggregate': %s", e.msg);
        else r = labels_value(lab, (size_t)t.Q, to);
    }
    for (int i = 0; i < t.n; i++) free(got[i]);
    free(got); free(lab);
    teachers_free(&t);
    return r;
}

/* The experimenter's figure fig (consumed), computed from the data of the parties
** from[0..n) (0: public; repeats allowed), placed by the store rule (docs/parties.md):
** a value derived from one party's data is that party's.  One computed from several
** parties' data is public, and a public value is readable by every party, so each of
** those parties first releases the figure to every other party through the message
** layer, as observe() does: their views record it as plaintext of its data.  The placed
** figure, or VERR after err_raise. */
static Value place_figure(Interp *I, Value fig, const int *from, int n)
{
    int *ps = xcalloc((size_t)n, sizeof *ps), np = 0;
    for (int i = 0; i < n; i++) {
        int j = 0;
        while (j < np && ps[j] != from[i]) j++;
        if (from[i] && j == np) ps[np++] = from[i];
    }
    if (np == 1) fig.owner = (uint16_t)ps[0];
    for (int i = 0; np > 1 && i < np; i++)
        for (int q = 1; q <= I->nparties; q++) {
            if (q == ps[i]) continue;
            Value c = fig;
            c.owner = (uint16_t)ps[i];          /* sent as ps[i]'s data */
            Value got = lib_wire_send(I, c, ps[i], q, false);
            if (IS_ERR(got)) { free(ps); val_release(fig); return VERR; }
            val_release(got);
        }
    free(ps);
    return fig;
}

/* The experimenter's clean histogram: the sum of every teacher's votes.  No party can
** compute it (each sees its own votes); it is placed as place_figure says. */
static Value b_histogram(Interp *I, Args *a)
{
    Teachers t;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, NULL) || !teachers_arg(I, a, &t)) return VERR;
    int shape[2] = { t.Q, t.C };
    Tn *h = tn_new(2, shape);
    for (int i = 0; i < t.n; i++)
        for (size_t k = 0; k < h->size; k++) h->data[k] += (float)t.x[i][k];
    Value r = place_figure(I, val_tensor(h), t.party, t.n);
    teachers_free(&t);
    return r;
}

/* The experimenter's mean accuracy of models that may live at different parties (the
** teachers) on one evaluation set.  Each model's accuracy is accuracy(m, data) called
** through the evaluator, so the store rule places it (a model at one party on another
** party's data is refused there); the mean is placed as place_figure says. */
static Value b_mean_accuracy(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL)) return VERR;
    if (!IS_LIST(a->v[0]) || AS_LIST(a->v[0])->n == 0) return lib_bad(I, a, 0, "non-empty list of models");
    Ds *d = lib_dataset_of(a->v[1]);
    if (!d || d->nclasses < 2) return lib_bad(I, a, 1, "dataset of classes");
    const LibReg *acc = lib_find(I, "accuracy");
    if (!acc) return err_raise(I, "'mean_accuracy' needs the builtin 'accuracy'");
    Value fn = { .tag = V_BUILTIN, .as.fn = acc };
    ObjList *L = AS_LIST(a->v[0]);
    int *from = xcalloc(L->n, sizeof *from);
    double sum = 0;
    for (size_t i = 0; i < L->n; i++) {
        if (!lib_model_of(L->v[i])) {
            free(from);
            return err_raise(I, "'mean_accuracy': item %zu is a %s, not a model", i + 1, val_type_name(L->v[i]));
        }
        Value r = ev_call(I, fn, 2, (Value[]){ L->v[i], a->v[1] });
        if (IS_ERR(r)) { free(from); return VERR; }
        if (r.tag != V_NUM) {
            val_release(r); free(from);
            return err_raise(I, "'mean_accuracy': model %zu has no accuracy on this data", i + 1);
        }
        sum += r.as.n;
        from[i] = val_owner(r);
    }
    Value m = place_figure(I, VNUM(sum / (double)L->n), from, (int)L->n);
    free(from);
    return m;
}

/* --- SPEED ----------------------------------------------------------------------------- */


static bool party_kw(Interp *I, Args *a, const char *name, int *id, bool need)
{
    *id = 0;
    if (!lib_kwparty(I, a, name, id)) return false;
    if (!*id && need) { err_raise(I, "'speed' needs %s = p", name); return false; }
    return true;
}

static Value b_speed(Interp *I, Args *a)
{
    int A, S, U, D;
    long k = 0;
    PateMech m;
    if (!lib_arity(I, a, 1, 1) ||
        !lib_kwonly(I, a, KW("mechanism", "he", "aggregator", "server", "student", "dealer", "dropouts",
                             "dropped")) ||
        !mech_kw(I, a, &m) || !party_kw(I, a, "aggregator", &A, true) ||
        !party_kw(I, a, "server", &S, true) || !party_kw(I, a, "student", &U, true) ||
        !party_kw(I, a, "dealer", &D, false) || !lib_kwint(I, a, "dropouts", &k)) return VERR;
    if (!D) D = U;
    if (m.kind == PATE_CONFIDENT)
        return err_raise(I, "'speed' runs LNMax and GNMax; confident GNMax's threshold check on "
                         "shares is not built (use noisy_max for it in the clear)");
    Value *he = lib_kw(a, "he");
    const PaiPub *pub = he ? lib_he_pub(*he) : NULL;
    if (!pub) return he ? lib_badkw(I, a, "he", "paillier scheme") :
                          err_raise(I, "'speed' needs he = a paillier scheme whose keyholder is the server");
    const PaiPriv *priv = lib_he_priv(I, *he, S);
    if (!priv)
        return err_raise(I, "'speed': the server %s does not hold the scheme's private key; make the "
                         "scheme with paillier(keyholder = %s)", ev_party_name(I, S), ev_party_name(I, S));
    if (lib_he_priv(I, *he, A) || lib_he_priv(I, *he, U))
        return err_raise(I, "'speed': the %s holds the private key too; only the server may (the "
                         "aggregator could decrypt the histogram)", lib_he_priv(I, *he, A) ? "aggregator" : "student");
    if (A == S || A == U || S == U || D == A || D == S)
        return err_raise(I, "'speed': aggregator, server and student must be three different parties, "
                         "and the dealer neither the aggregator nor the server");
    Teachers t;
    if (!teachers_arg(I, a, &t)) return VERR;
    for (int i = 0; i < t.n; i++)
        if (t.party[i] == A || t.party[i] == S || t.party[i] == U || t.party[i] == D) {
            err_raise(I, "'speed': teacher %d is %s, which also plays the aggregator, server, student or "
                      "dealer", i + 1, ev_party_name(I, t.party[i]));
            teachers_free(&t);
            return VERR;
        }
    if (k < 0 || k >= t.n) {
        teachers_free(&t);
        return err_raise(I, "'speed': dropouts = %ld must be between 0 and %d", k, t.n - 1);
    }
    bool *dropped = xcalloc((size_t)t.n, sizeof *dropped);
    Value *dv = lib_kw(a, "dropped");
    if (dv) {
        if (!IS_LIST(*dv)) { free(dropped); teachers_free(&t); return lib_badkw(I, a, "dropped", "list of teacher parties"); }
        ObjList *L = AS_LIST(*dv);
        for (size_t j = 0; j < L->n; j++) {
            int i = 0;
            while (i < t.n && !(L->v[j].tag == V_PARTY && L->v[j].as.i == t.party[i])) i++;
            if (i == t.n) {
                free(dropped); teachers_free(&t);
                return err_raise(I, "'speed': item %zu of dropped = is not one of the teachers", j + 1);
            }
            dropped[i] = true;
        }
    }
    lib_he_precompute(*he);
    PateSpeed P = { .msg = &I->msg, .nteachers = t.n, .teacher = t.party, .dropped = dropped,
                    .min_present = t.n - (int)k, .A = A, .S = S, .U = U, .D = D, .rng = party_rng,
                    .rng_u = I, .pub = pub, .priv = priv,
                    .opts = { .threads = 2, .interrupt = I->interrupt },
                    .bound = pate_share_bound(&m) };
    int *lab = xcalloc((size_t)t.Q, sizeof *lab);
    bool tty = isatty(2);
    if (tty) fprintf(stderr, "speed: %d teachers, %d queries of %d classes ...", t.n, t.Q, t.C);
    int rc = pate_speed(&P, (const double *const *)t.x, (size_t)t.Q, t.C, lab);
    if (tty) fprintf(stderr, rc ? " stopped\n" : " done (encrypt %.1f s, aggregate %.1f s, to shares %.1f s, "
                     "argmax %.1f s)\n", P.t_encrypt, P.t_aggregate, P.t_convert, P.t_argmax);
    Value r = rc ? err_raise(I, "'speed': %s", P.err.msg) : labels_value(lab, (size_t)t.Q, U);
    free(I->speed_last);                /* the interpreter's last run, for speed_timing() */
    I->speed_last = NULL;
    if (rc == 0) {
        PateSpeed *last = I->speed_last = xmalloc(sizeof *last);
        *last = P;
        last->teacher = NULL; last->dropped = NULL; last->msg = NULL; last->pub = NULL; last->priv = NULL;
    }
    free(lab); free(dropped);
    teachers_free(&t);
    return r;
}

static Value b_speed_timing(Interp *I, Args *a)
{
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, NULL)) return VERR;
    const PateSpeed *last = I->speed_last;
    if (!last) return VNONE;
    Value r = val_rec();
    const struct { const char *k; double v; } f[] = {
        { "encrypt", last->t_encrypt }, { "aggregate", last->t_aggregate }, { "convert", last->t_convert },
        { "argmax", last->t_argmax }, { "cpu_encrypt", last->c_encrypt },
        { "cpu_aggregate", last->c_aggregate }, { "cpu_convert", last->c_convert },
        { "cpu_argmax", last->c_argmax }, { "slots", last->slots }, { "slot_bits", last->slot_bits },
        { "ciphertexts", (double)last->ciphertexts },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) val_rec_set(r, sym_cstr(&I->syms, f[i].k), VNUM(f[i].v));
    return r;
}

/* --- the analysis ---------------------------------------------------------------------- */

static bool delta_kw(Interp *I, Args *a, double *delta)
{
    *delta = 1e-5;
    if (!lib_kwnum(I, a, "delta", delta)) return false;
    if (!(*delta > 0 && *delta < 1)) { lib_badkw(I, a, "delta", "number in (0, 1)"); return false; }
    return true;
}

static void mech_name(const PateMech *m, char *buf, size_t n)
{
    if (m->kind == PATE_LNMAX) snprintf(buf, n, "LNMax (b = %g)", m->scale);
    else if (m->kind == PATE_GNMAX) snprintf(buf, n, "GNMax (sigma = %g)", m->scale);
    else snprintf(buf, n, "confident GNMax (T = %g, sigma1 = %g, sigma2 = %g)", m->threshold, m->sigma1, m->scale);
}

static Value b_pate_epsilon(Interp *I, Args *a)
{
    PateMech m;
    double delta;
    long Q = -1;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("queries", "votes", "answered", "delta")) ||
        !mech_arg(I, a, a->v[0], &m) || !delta_kw(I, a, &delta) || !lib_kwint(I, a, "queries", &Q)) return VERR;
    Value *vv = lib_kw(a, "votes");
    int q = 0, C = 0;
    double *h = NULL;
    if (vv && !(h = matrix_of(I, a, *vv, "votes =", &q, &C))) return VERR;
    if (Q < 0) Q = q;
    if (Q < 0 || (!h && !lib_kw(a, "queries"))) { free(h); return err_raise(I, "'pate_epsilon' needs queries = Q or votes = the clean histogram"); }
    int *ans = NULL;
    Value *av = lib_kw(a, "answered");
    if (av && h) {
        if (!IS_TENSOR(*av) || AS_TENSOR(*av)->size != (size_t)q) { free(h); return lib_badkw(I, a, "answered", "tensor of labels (-1: declined), one a query"); }
        ans = xcalloc((size_t)q, sizeof *ans);
        for (int i = 0; i < q; i++) ans[i] = AS_TENSOR(*av)->data[i] >= 0;
    }
    double o1 = NAN, o2 = NAN;
    double di = pate_epsilon_di(&m, Q, delta, &o1);
    Value r = val_rec();
    val_rec_set(r, sym_cstr(&I->syms, "data_independent"), VNUM(di));
    val_rec_set(r, sym_cstr(&I->syms, "order"), VNUM(o1));
    if (h) {
        double dd = pate_epsilon_dd(&m, h, (size_t)q, C, ans, delta, &o2);
        val_rec_set(r, sym_cstr(&I->syms, "data_dependent"), VNUM(dd));
        val_rec_set(r, sym_cstr(&I->syms, "order_dd"), VNUM(o2));
    }
    val_rec_set(r, sym_cstr(&I->syms, "delta"), VNUM(delta));
    free(h); free(ans);
    return r;
}

static Value b_pate_charge(Interp *I, Args *a)
{
    PateMech m;
    double delta;
    long Q = 0;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("queries", "data", "delta")) ||
        !mech_arg(I, a, a->v[0], &m) || !delta_kw(I, a, &delta) || !lib_kwint(I, a, "queries", &Q)) return VERR;
    if (Q < 1) return err_raise(I, "'pate_charge' needs queries = the number of labels asked (1 or more)");
    Value *dv = lib_kw(a, "data");
    if (!dv || !IS_LIST(*dv) || AS_LIST(*dv)->n == 0) return lib_badkw(I, a, "data", "list of the teachers' datasets");
    ObjList *L = AS_LIST(*dv);
    double curve[DP_RDP_NORDERS], one[DP_RDP_NORDERS];
    pate_rdp_query(&m, one);
    for (int i = 0; i < DP_RDP_NORDERS; i++) curve[i] = one[i] * (double)Q;
    double eps = pate_epsilon_di(&m, Q, delta, NULL);
    char name[120], what[200];
    RtErr err;
    mech_name(&m, name, sizeof name);
    snprintf(what, sizeof what, "pate %s, %ld queries", name, Q);
    /* every distinct ledger once (teachers' parts of one dataset share one), all or none */
    DpLedger **seen = xcalloc(L->n, sizeof *seen);
    size_t ns = 0;
    for (size_t i = 0; i < L->n; i++) {
        Ds *d = lib_dataset_of(L->v[i]);
        if (!d) { free(seen); return err_raise(I, "'pate_charge': item %zu of data = is a %s, not a dataset", i + 1, val_type_name(L->v[i])); }
        DpLedger *l = dp_ledger_root(dp_ledger_of(d, true));
        size_t j = 0;
        while (j < ns && seen[j] != l) j++;
        if (j < ns) continue;
        if (!dp_ledger_fits(l, eps, delta, curve)) {
            dp_ledger_charge(l, what, eps, delta, curve, &err);     /* refused: says why */
            free(seen);
            int p = val_owner(L->v[i]);
            return err_raise(I, "teacher %zu's data%s%s%s: %s; no query was asked", i + 1,
                             p ? " (at " : "", p ? ev_party_name(I, p) : "", p ? ")" : "", err.msg);
        }
        seen[ns++] = l;
    }
    for (size_t j = 0; j < ns; j++) dp_ledger_charge(seen[j], what, eps, delta, curve, &err);
    free(seen);
    return VNUM(eps);
}

/* --- the table ------------------------------------------------------------------------- */

#define PARTIES "party t1, t2, agg, srv, st; "

static const LibReg fns[] = {
    {"votes", b_votes, "votes(predictions)",
     "A teacher's votes: the one-hot rows (queries x classes) of the argmax of each row of its\n"
     "predictions.",
     "print(votes(tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])))\n"
     "# -> tensor([[0, 1, 0],\n"
     "# ->         [1, 0, 0]])", 0},
    {"noise_share", b_noise_share, "noise_share(mechanism, queries, classes, teachers = n, dropouts = 0)",
     "One teacher's share of the aggregation noise (queries x classes), drawn from the\n"
     "generator of the party it runs at: LNMax's Laplace(b) split as G1 - G2 with G1, G2 from\n"
     "Gamma(1/m, b), GNMax's N(0, sigma^2) split as N(0, sigma^2 / m), m = teachers - dropouts.\n"
     "The shares of any m teachers sum to exactly the mechanism's noise, so no party knows it.",
     "z = noise_share({mechanism = \"lnmax\", scale = 20}, 4, 10, teachers = 50); print(shape(z))\n"
     "# -> [4, 10]", 0},
    {"noisy_max", b_noisy_max, "noisy_max(histogram, mechanism)",
     "PATE's aggregation in the clear (the trusted aggregator of Papernot et al.): the argmax of\n"
     "each row of the vote histogram (queries x classes) plus noise from the aggregator's\n"
     "generator - LNMax (Laplace), GNMax (Gaussian), or confident GNMax (a row is answered only\n"
     "when its largest count plus N(0, sigma1^2) reaches the threshold; -1 otherwise).  The\n"
     "noise is exact discrete noise on a fine grid (docs/privacy.md).",
     "l = noisy_max(tensor([[40, 2, 8]]), {mechanism = \"gnmax\", sigma = 5}); print(l)\n"
     "# -> tensor([0])", 0},
    {"histogram", b_histogram, "histogram(votes)",
     "The experimenter's clean vote histogram (queries x classes): the sum of the teachers'\n"
     "votes, each a tensor at its teacher.  Top level only: no party can compute it, and it is\n"
     "what the data-dependent analysis and the ensemble's accuracy are computed from.  Like any\n"
     "derived value it lives where its inputs do: one teacher's histogram is that teacher's.\n"
     "Over several teachers it is public, so every party can read it: each teacher first\n"
     "sends it to every other party through the message layer (views show it as a leak).",
     PARTIES "print(histogram([tensor([[1, 0]]) at t1, tensor([[0, 1]]) at t2]))   # -> tensor([[1, 1]])",
     LIB_ANYOWNER | LIB_NARRATOR},
    {"mean_accuracy", b_mean_accuracy, "mean_accuracy(models, data)",
     "The experimenter's mean accuracy of several models (each may live at its own party, as\n"
     "PATE's teachers do) on one evaluation dataset.  Top level only.  Each accuracy lives\n"
     "where its model and the data do (a model at one party on another's data is refused);\n"
     "the mean of one party's accuracies is that party's, the mean over several parties is\n"
     "public and reaches every party through the message layer first, as histogram's does.",
     "network n { dense(2, 2); softmax }; d = dataset(tensor([[0, 1], [1, 0]]), tensor([0, 1])); "
     "print(mean_accuracy([model(n), model(n)], d) <= 1)   # -> true", LIB_ANYOWNER | LIB_NARRATOR},
    {"aggregate", b_aggregate, "aggregate(noised_votes, to = p)",
     "Plaintext PATE with distributed noise: each item (a teacher's votes plus its noise share,\n"
     "a queries x classes tensor at that teacher) is sent to p in one round, and p takes the\n"
     "argmax of their sum in the fixed point of SPEED (2^-16).  Every message is flagged as its\n"
     "teacher's data: the reference that speed(...) must match.",
     PARTIES "l = aggregate([tensor([[1, 0]]) at t1, tensor([[1, 0]]) at t2], to = agg); print(l)\n"
     "# -> tensor([0]) (at agg)",
     LIB_ANYOWNER},
    {"speed", b_speed,
     "speed(noised_votes, mechanism = m, he = scheme, aggregator = a, server = s, student = u, "
     "dealer = u, dropouts = 0, dropped = [])",
     "SPEED's blind aggregation.  Round 1: each teacher encrypts its item (votes plus noise\n"
     "share) packed under the server's Paillier key and sends it to the aggregator.  The\n"
     "aggregator adds the ciphertexts, masks every count with 40 bits more than its bound,\n"
     "re-randomises and sends them to the server (round 2), which decrypts only masked values:\n"
     "the two now hold additive shares of the noised histogram and run the secure argmax\n"
     "(comparisons with the dealer's correlated randomness), and only the student receives the\n"
     "labels (a tensor at the student).  The server must be the scheme's only keyholder; the\n"
     "two servers must not collude.  dropouts = k: the shares were drawn for k missing\n"
     "teachers, so up to k of them may drop out (dropped = [...] simulates it); more are\n"
     "refused before the server sees anything.",
     PARTIES "scheme he = paillier(bits = 512, keyholder = srv); m = {mechanism = \"lnmax\", scale = 2}; "
     "l = speed([tensor([[0, 1]]) at t1, tensor([[0, 1]]) at t2], mechanism = m, he = he, "
     "aggregator = agg, server = srv, student = st); print(l)   # -> tensor([1]) (at st)", LIB_ANYOWNER},
    {"speed_timing", b_speed_timing, "speed_timing()",
     "The last speed(...) run's wall seconds per phase {encrypt, aggregate, convert, argmax},\n"
     "its CPU seconds (every thread) {cpu_encrypt, ...} and its packing {slots, slot_bits,\n"
     "ciphertexts (per teacher)}; none before the first run.",
     "print(speed_timing() == none or true)   # -> true", LIB_NARRATOR},
    {"pate_epsilon", b_pate_epsilon,
     "pate_epsilon(mechanism, queries = Q, votes = histogram, answered = labels, delta = 1e-5)",
     "The privacy of Q answered queries by the Renyi-DP accountant: data_independent (LNMax\n"
     "2/b-DP a query, GNMax alpha/sigma^2, confident GNMax adds its check alpha/(2 sigma1^2))\n"
     "and, given the clean vote histogram, data_dependent (GNMax: Papernot et al. 2018,\n"
     "Theorem 6 with the q bound of Proposition 7; only the answered rows for confident GNMax).\n"
     "The data-dependent figure depends on the votes and is not itself private: ppdl reports it\n"
     "to the experimenter and never charges it; it lives where the votes (and answered) live.",
     "print(format(pate_epsilon({mechanism = \"gnmax\", sigma = 40}, queries = 1000).data_independent, \".3f\"))\n"
     "# -> 5.990",
     0},
    {"pate_charge", b_pate_charge, "pate_charge(mechanism, queries = Q, data = [d1, ...], delta = 1e-5)",
     "Charges every teacher's dataset (each distinct ledger once) with the data-independent\n"
     "cost of Q queries, all or none: a charge that does not fit one ledger refuses the whole\n"
     "call with that ledger's account.  Returns the epsilon charged.",
     "d = load_csv(\"samples/data/pima_diabetes.csv\", label = \"diabetes\"); budget(d, epsilon = 5, delta = 1e-5); "
     "print(format(pate_charge({mechanism = \"gnmax\", sigma = 40}, queries = 100, data = [d]), \".3f\"))\n"
     "# -> 1.760",
     LIB_ANYOWNER},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_pate = { "pate", fns, NULL };
