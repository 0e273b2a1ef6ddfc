/*
** lib_secagg.c — the builtin of the 'secagg' module: secagg(updates, to = server, ...),
** secure aggregation of one update per client party (Bonawitz et al., CCS 2017).  This
** file checks the arguments (parties, threshold, dropouts, scale), hands each client's
** numbers, its generator (ev_rng) and the message layer to runtime/secagg.c, which runs
** the protocol as per-party rounds, and places the sum at the server.  The protocol, the
** fixed point and what each party sees are described in docs/secagg.md.
*/
#include "lib.h"
#include "ev.h"
#include "mem.h"
#include "secagg.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static Rng *party_rng(void *u, int party) { return ev_rng((Interp *)u, party); }
static const char *party_name(void *u, int party) { return ev_party_name((Interp *)u, party); }

/* Marks the clients named in keyword `kw` (a list of parties) with mode in drop[];
** false after raising. */
static bool dropouts(Interp *I, Args *a, const char *kw, const int *client, int n,
                     unsigned char *drop, unsigned char mode)
{
    Value *v = lib_kw(a, kw);
    if (!v) return true;
    if (!IS_LIST(*v)) { lib_badkw(I, a, kw, "list of client parties"); return false; }
    ObjList *l = AS_LIST(*v);
    for (size_t k = 0; k < l->n; k++) {
        if (l->v[k].tag != V_PARTY || l->v[k].as.i == 0) { lib_badkw(I, a, kw, "list of client parties"); return false; }
        int p = (int)l->v[k].as.i, i = 0;
        while (i < n && client[i] != p) i++;
        if (i == n) {
            err_raise(I, "'secagg': %s in %s = [...] is not one of the clients (the parties "
                      "holding the updates)", ev_party_name(I, p), kw);
            return false;
        }
        if (drop[i]) {
            err_raise(I, "'secagg': %s drops out only once (it is named twice in dropout = "
                      "and dropout_before =)", ev_party_name(I, p));
            return false;
        }
        drop[i] = mode;
    }
    return true;
}

static Value b_secagg(Interp *I, Args *a)
{
    static const char *const kws[] = { "to", "threshold", "dropout", "dropout_before", "scale", NULL };
    int to = 0;
    long t = 0;
    double scale = SA_DEFAULT_SCALE;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws) || !lib_kwparty(I, a, "to", &to) ||
        !lib_kwint(I, a, "threshold", &t) || !lib_kwnum(I, a, "scale", &scale)) return VERR;
    if (!to) return err_raise(I, "'secagg' needs the server that learns the sum: to = p");
    Value xs = a->v[0];
    if (!IS_LIST(xs)) return lib_bad(I, a, 0, "list of updates, one per client party");
    ObjList *l = AS_LIST(xs);
    if (l->n == 0) return err_raise(I, "'secagg': the list of updates is empty (give one update per client party)");
    if (l->n > SA_MAXN) return err_raise(I, "'secagg' takes at most %d clients, got %zu", SA_MAXN, l->n);
    int n = (int)l->n;
    if (!lib_kw(a, "threshold")) t = n / 2 + 1;
    if (t < 1 || t > SA_MAXN) return lib_badkw(I, a, "threshold", "number of clients between n/2 and n");
    /* the clients: one update each, at distinct parties, none of them the server */
    int *client = xcalloc((size_t)n, sizeof *client);
    const float **x = xcalloc((size_t)n, sizeof *x);
    unsigned char *drop = xcalloc((size_t)n, 1);
    const Tn *shape = NULL;
    float *nums = xcalloc((size_t)n, sizeof *nums);
    Value r = VERR;
    for (int i = 0; i < n; i++) {
        Value v = l->v[i];
        int p = val_owner(v);
        if (!p) { err_raise(I, "'secagg': update %d is public; each update is one client's value (u at p, or computed inside on p)", i + 1); goto out; }
        if (p == to) { err_raise(I, "'secagg': update %d lives at %s, the server; the server cannot also be a client", i + 1, ev_party_name(I, p)); goto out; }
        for (int j = 0; j < i; j++)
            if (client[j] == p) { err_raise(I, "'secagg': updates %d and %d both live at %s; each client party sends one update", j + 1, i + 1, ev_party_name(I, p)); goto out; }
        client[i] = p;
        if (IS_NUM(v)) {
            if (shape) { err_raise(I, "'secagg': update %d is a number, update 1 a tensor; the updates must have one shape", i + 1); goto out; }
            nums[i] = (float)v.as.n;
            x[i] = &nums[i];
        } else if (IS_TENSOR(v)) {
            const Tn *tv = AS_TENSOR(v);
            if (i > 0 && !shape) { err_raise(I, "'secagg': update %d is a tensor, update 1 a number; the updates must have one shape", i + 1); goto out; }
            if (shape && !tn_same_shape(shape, tv)) { err_raise(I, "'secagg': update %d has another shape than update 1; the updates must have one shape", i + 1); goto out; }
            shape = tv;
            x[i] = tv->data;
        } else {
            err_raise(I, "'secagg': update %d is a %s; each client sends a number or a tensor", i + 1, val_type_name(v));
            goto out;
        }
    }
    if (!dropouts(I, a, "dropout", client, n, drop, SA_DROP_AFTER) ||
        !dropouts(I, a, "dropout_before", client, n, drop, SA_DROP_BEFORE)) goto out;
    {
    size_t m = shape ? shape->size : 1;
    double *sum = xcalloc(m ? m : 1, sizeof *sum);
    SaRun run = { .msg = &I->msg, .server = to, .n = n, .client = client, .t = (int)t,
                  .scale = scale, .m = m, .x = x, .drop = drop, .rng = party_rng, .self = rep_self(I),
                  .name = party_name, .u = I, .interrupt = I->interrupt };
    if (secagg_run(&run, sum) != 0) {
        if (I->interrupt && *I->interrupt) { *I->interrupt = 0; err_raise(I, "interrupted"); }
        else err_raise(I, "'secagg': %s", run.err.msg);
    } else if (!shape) {
        r = VNUM(sum[0]);
    } else {
        Tn *tn = tn_new(shape->ndim, shape->shape);
        for (size_t e = 0; e < m; e++) tn->data[e] = (float)sum[e];
        r = val_tensor(tn);
    }
    free(sum);
    if (!IS_ERR(r)) r.owner = (uint16_t)to;
    }
out:
    free(client); free(x); free(drop); free(nums);
    return r;
}

static const LibReg fns[] = {
    {"secagg", b_secagg,
     "secagg(updates, to = server, threshold = n/2 + 1, dropout = [], dropout_before = [], "
     "scale = 65536)",
     "Secure aggregation (Bonawitz et al., CCS 2017, semi-honest): the sum of updates (a list\n"
     "of numbers or tensors of one shape, each living at a different client party) as a value\n"
     "living at the server, which sees only masked vectors and shares it cannot open.  Four\n"
     "rounds through the message layer: advertise keys, share keys (Shamir, t of n, in boxes\n"
     "only the receiver opens), masked input, unmasking.  threshold t: n/2 < t <= n; the sum\n"
     "survives up to n - t dropouts and refuses more.  dropout = [parties]: clients that drop\n"
     "out after sending their masked input (their updates count); dropout_before = [parties]:\n"
     "clients that drop out before masking (their updates do not count, their pairwise masks\n"
     "are removed).  Values are fixed point round(x * scale) in Z_2^32: each |x| must stay\n"
     "within (2^31 - 1) / (n * scale), so the sum cannot overflow; a larger value is refused.\n"
     "See docs/secagg.md.",
     "party s, a, b, c; u = [tensor([1, 2]) at a, tensor([3, 4]) at b, tensor([5, 6]) at c]; "
     "z = secagg(u, to = s, threshold = 2, dropout_before = [c]); assert(z[0] == 4 and z[1] == 6); "
     "print(owner(z))   # -> <party s>",
     LIB_ANYOWNER},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_secagg = { "secagg", fns, NULL };
