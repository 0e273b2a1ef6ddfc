/*
** shares_nn.c — training a feed-forward network whose data, weights and gradients all stay
** secret-shared: forward and backward passes of dense layers (matrix triples), ReLU
** (secure comparison), polynomial sigmoid and tanh (Horner), the output gradient of the
** chosen loss (softmax cross-entropy through shares_softmax.c), and gradient descent.  The
** layer descriptions and polynomial fits are network.h's, the share arithmetic shares.c's; this
** file only chains them.  Nothing is opened except the masked values inside products
** and comparisons; reveal is explicit (ss_model_reveal).
*/
#include "shares.h"
#include "mem.h"
#include "network.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int supported(SsCtx *ctx, const NnNet *net)
{
    for (int l = 0; l < net->n; l++) {
        const NnLayer *L = &net->layer[l];
        switch (L->kind) {
        case NN_DENSE: case NN_RELU: case NN_FLATTEN: break;
        case NN_SIGMOID: case NN_TANH:
            if (L->approx.kind == NN_APPROX_NONE)
                return ss__fail(ctx, "layer %d: %s on shares needs a polynomial, e.g. "
                                "%s(approx = interpolate(degree = 3, over = [-6, 6]))", l + 1,
                                nn_kind_name(L->kind), nn_kind_name(L->kind));
            break;
        case NN_SOFTMAX:
            if (l != net->n - 1)
                return ss__fail(ctx, "layer %d: softmax on shares only as the last layer", l + 1);
            break;
        default:
            return ss__fail(ctx, "layer %d: %s is not available on secret shares (dense, relu, "
                            "sigmoid, tanh and a final softmax are)", l + 1, nn_kind_name(L->kind));
        }
    }
    return 0;
}

void ss_model_free(SsModel *m)
{
    if (!m) return;
    for (int l = 0; m->net && l < m->net->n; l++) { ss_free(m->W[l]); ss_free(m->b[l]); }
    free(m->W); free(m->b);
    nn_net_free(m->net);
    free(m);
}

SsModel *ss_model_share(SsCtx *ctx, const SsScheme *sc, const NnModel *nm, int owner)
{
    if (sc->kind != SS_ADDITIVE)
        return ss__fail(ctx, "training on shares needs additive shares"), NULL;
    if (supported(ctx, nm->net)) return NULL;
    SsModel *m = xcalloc(1, sizeof *m);
    m->net = nn_net_copy(nm->net);
    m->W = xcalloc((size_t)m->net->n, sizeof *m->W);
    m->b = xcalloc((size_t)m->net->n, sizeof *m->b);
    for (int l = 0; l < m->net->n; l++) {
        if (m->net->layer[l].kind != NN_DENSE) continue;
        Tn *w = nn_model_weight(nm, l), *b = nn_model_bias(nm, l);
        m->W[l] = ss_share(ctx, sc, w, owner);
        m->b[l] = ss_share(ctx, sc, b, owner);
        tn_free(w); tn_free(b);
        if (!m->W[l] || !m->b[l]) { ss_model_free(m); return NULL; }
    }
    return m;
}

int ss_model_reveal(SsCtx *ctx, const SsModel *m, NnModel *out, int to)
{
    RtErr err;
    for (int l = 0; l < m->net->n; l++) {
        if (!m->W[l]) continue;
        Tn *w = ss_reveal(ctx, m->W[l], to, 0), *b = w ? ss_reveal(ctx, m->b[l], to, 0) : NULL;
        int rc = w && b ? 0 : -1;
        if (rc == 0 && (nn_model_set_weight(out, l, w, &err) || nn_model_set_bias(out, l, b, &err)))
            rc = ss__fail(ctx, "%s", err.msg);
        tn_free(w); tn_free(b);
        if (rc) return -1;
    }
    return 0;
}

/* The derivative's coefficients of a polynomial. */
static void deriv(const double *c, int deg, double *d)
{
    for (int k = 1; k <= deg; k++) d[k - 1] = k * c[k];
}

/* Runs the forward pass, keeping each layer's input (acts[l]) and what backward needs
** (aux[l]: the ReLU bit, or the pre-activation of a polynomial).  acts[n] = output.  A
** dense layer before a ReLU leaves its product untruncated: the ReLU's selecting round
** truncates it (one round saved); so does the last dense layer when raw_logits is set
** (only a final softmax after it: the softmax's max truncates them). */
static int forward(SsCtx *ctx, SsModel *m, const SsTensor *x, SsTensor **acts, SsTensor **aux,
                   int last_linear, int raw_logits)
{
    int n = m->net->n, last_dense = -1;
    for (int l = 0; l < n; l++) if (m->net->layer[l].kind == NN_DENSE) last_dense = l;
    if (raw_logits)
        for (int l = last_dense + 1; l < n; l++)
            if (m->net->layer[l].kind != NN_SOFTMAX) raw_logits = 0;
    acts[0] = ss_copy(x);
    for (int l = 0; l < n; l++) {
        const NnLayer *L = &m->net->layer[l];
        SsTensor *in = acts[l], *out = NULL;
        switch (L->kind) {
        case NN_DENSE: {
            int raw = (l + 1 < n && m->net->layer[l + 1].kind == NN_RELU) ||
                      (raw_logits && l == last_dense);
            SsTensor *z = raw ? ss_matmul_raw(ctx, in, m->W[l]) : ss_matmul(ctx, in, m->W[l]);
            out = z ? ss_add(ctx, z, m->b[l]) : NULL;
            ss_free(z);
            break;
        }
        case NN_FLATTEN: {
            int sh[2] = { in->shape[0], (int)(in->size / (size_t)in->shape[0]) };
            out = ss_reshape(ctx, in, 2, sh);
            break;
        }
        case NN_RELU:
            out = ss__relu_trunc(ctx, in, in->frac > in->sc.frac_bits ? in->frac - in->sc.frac_bits : 0,
                                 &aux[l]);
            break;
        case NN_SIGMOID: case NN_TANH:
            if (l == n - 1 && last_linear) { out = ss_copy(in); break; }
            aux[l] = ss_copy(in);
            out = ss_poly(ctx, in, L->approx.coef, L->approx.degree);
            break;
        case NN_SOFTMAX: out = ss_copy(in); break;
        default: out = NULL; ss__fail(ctx, "unsupported layer");
        }
        if (!out) return -1;
        acts[l + 1] = out;
    }
    return 0;
}

static void free_acts(SsTensor **acts, SsTensor **aux, int n)
{
    for (int l = 0; l <= n; l++) ss_free(acts[l]);
    for (int l = 0; l < n; l++) ss_free(aux[l]);
}

SsTensor *ss_model_forward(SsCtx *ctx, SsModel *m, const SsTensor *x)
{
    int n = m->net->n;
    SsTensor **acts = xcalloc((size_t)n + 1, sizeof *acts), **aux = xcalloc((size_t)n, sizeof *aux);
    SsTensor *out = NULL;
    if (forward(ctx, m, x, acts, aux, 0, 0) == 0) { out = acts[n]; acts[n] = NULL; }
    free_acts(acts, aux, n);
    free(acts); free(aux);
    return out;
}

/* W[l] -= c gW[l] and b[l] -= c gb[l] for every dense layer (c public), with ONE
** truncation round for all of them: each step c g is an exact product by the encoded c,
** brought to the largest fractional bits among them (exact, local), and the steps
** are truncated together, as ss_scale would truncate each in a round of its own. */
static int descend_all(SsCtx *ctx, SsModel *m, SsTensor **gW, SsTensor **gb, double c)
{
    int n = m->net->n, ok, f = -1, top = 0;
    SsTensor **st = xcalloc(2 * (size_t)n, sizeof *st), ***dst = xcalloc(2 * (size_t)n, sizeof *dst);
    int ns = 0, rc = -1;
    for (int l = 0; l < n; l++) {
        if (!gW[l]) continue;
        f = gW[l]->sc.frac_bits;
        st[ns] = gW[l]; dst[ns++] = &m->W[l];
        st[ns] = gb[l]; dst[ns++] = &m->b[l];
    }
    int64_t k = ns ? ss_encode(c, f, &ok) : 0;     /* from the double, not a float32 */
    if (!ns || !ok) {
        rc = ns ? ss__fail(ctx, "constant %g is out of the fixed-point range", c) : 0;
        free(st); free(dst);
        return rc;
    }
    size_t total = 0;
    for (int q = 0; q < ns; q++) {
        if (st[q]->frac > top) top = st[q]->frac;
        total += st[q]->size;
    }
    int tn = (int)total;
    SsTensor *all = ss_new(&st[0]->sc, 1, &tn, top + f);
    size_t off = 0;
    for (int q = 0; q < ns; q++) {
        uint64_t up = (uint64_t)k << (top - st[q]->frac);      /* c g, at top + f bits */
        for (int i = 0; i < all->sc.n; i++)
            for (size_t e = 0; e < st[q]->size; e++) all->s[i][off + e] = st[q]->s[i][e] * up;
        off += st[q]->size;
    }
    rc = ss_trunc(ctx, all, top);                              /* back to f bits */
    off = 0;
    for (int q = 0; q < ns && rc == 0; q++) {
        SsTensor *w = *dst[q];
        for (int i = 0; i < w->sc.n; i++)
            for (size_t e = 0; e < w->size; e++) w->s[i][e] -= all->s[i][off + e];
        off += w->size;
    }
    ss_free(all);
    free(st); free(dst);
    return rc;
}

/* The loss m->loss stands for on this network, or -1 with err when it does not fit. */
static int resolve_loss(SsCtx *ctx, const SsModel *m)
{
    const NnNet *net = m->net;
    NnKind last = net->layer[net->n - 1].kind;
    int sig = last == NN_SIGMOID || last == NN_TANH, k = 0;
    for (int l = net->n - 1; l >= 0 && !k; l--) if (net->layer[l].kind == NN_DENSE) k = net->layer[l].out;
    switch (m->loss) {
    case SS_LOSS_AUTO: return last == NN_SOFTMAX ? SS_LOSS_CE : sig ? SS_LOSS_BCE : SS_LOSS_MSE;
    case SS_LOSS_BCE:
        if (!sig) return ss__fail(ctx, "the bce loss on shares needs a final sigmoid (or tanh) "
                                       "layer; use \"ce\" after a softmax, or \"mse\"");
        return SS_LOSS_BCE;
    case SS_LOSS_CE:
        if (k < 2) return ss__fail(ctx, "the ce loss needs at least 2 outputs, the network has %d", k);
        return SS_LOSS_CE;
    default: return SS_LOSS_MSE;
    }
}

int ss_model_step(SsCtx *ctx, SsModel *m, const SsTensor *x, const SsTensor *y, double lr)
{
    int n = m->net->n, B = x->shape[0], rc = -1;
    int loss = resolve_loss(ctx, m);
    if (loss < 0) return -1;
    int sig_out = loss == SS_LOSS_BCE;      /* p(z) - y: the sigmoid's derivative folded in */
    SsTensor **acts = xcalloc((size_t)n + 1, sizeof *acts), **aux = xcalloc((size_t)n, sizeof *aux);
    SsTensor **gW = xcalloc((size_t)n, sizeof *gW), **gb = xcalloc((size_t)n, sizeof *gb);
    SsTensor *d = NULL;
    if (forward(ctx, m, x, acts, aux, 0, loss == SS_LOSS_CE)) goto out;
    /* output gradient: softmax(z) - y (CE; z: the logits, a final softmax is left out by
    ** forward), p(z) - y after a sigmoid (BCE), o - y otherwise (MSE) */
    {
        SsTensor *o = acts[n], *p = NULL;
        if (o->size != y->size) {
            ss__fail(ctx, "labels have %zu values for %zu outputs", y->size, o->size);
            goto out;
        }
        if (loss == SS_LOSS_CE && !(p = ss_softmax(ctx, o))) goto out;
        SsTensor *yy = ss_reshape(ctx, y, o->ndim, o->shape);
        d = ss_sub(ctx, p ? p : o, yy);
        ss_free(yy); ss_free(p);
        if (!d) goto out;
    }
    for (int l = n - 1; l >= 0; l--) {
        const NnLayer *L = &m->net->layer[l];
        SsTensor *nd = NULL;
        switch (L->kind) {
        case NN_SOFTMAX: continue;
        case NN_SIGMOID: case NN_TANH:
            if (l == n - 1 && sig_out) continue;        /* folded into p(z) - y */
            {
                double dc[NN_MAXDEG + 1];
                deriv(L->approx.coef, L->approx.degree, dc);
                SsTensor *dp = ss_poly(ctx, aux[l], dc, L->approx.degree - 1);
                nd = dp ? ss_mul(ctx, d, dp) : NULL;
                ss_free(dp);
            }
            break;
        case NN_RELU:               /* d left untruncated by the layer above: one round */
            nd = d->frac > d->sc.frac_bits ? ss_mul_trunc(ctx, d, d->frac - d->sc.frac_bits, aux[l], 0)
                                           : ss_mul(ctx, d, aux[l]);
            break;
        case NN_FLATTEN: nd = ss_reshape(ctx, d, acts[l]->ndim, acts[l]->shape); break;
        case NN_DENSE: {
            /* left at 2f fractional bits: descend() multiplies by lr / B and truncates
            ** once, which saves a truncation of the whole weight matrix */
            SsTensor *xt = ss_transpose(ctx, acts[l]);
            gW[l] = xt ? ss_matmul_raw(ctx, xt, d) : NULL;
            ss_free(xt);
            gb[l] = gW[l] ? ss_sum_rows(ctx, d) : NULL;
            if (!gW[l] || !gb[l]) goto out;
            if (l == 0) { ss_free(d); d = NULL; continue; }
            SsTensor *wt = ss_transpose(ctx, m->W[l]);
            if (m->net->layer[l - 1].kind == NN_RELU)  /* its product truncates */
                nd = wt ? ss_matmul_raw(ctx, d, wt) : NULL;
            else nd = wt ? ss_matmul(ctx, d, wt) : NULL;
            ss_free(wt);
            break;
        }
        default: break;
        }
        if (!nd) goto out;
        ss_free(d);
        d = nd;
    }
    if (descend_all(ctx, m, gW, gb, lr / B)) goto out;
    rc = 0;
out:
    ss_free(d);
    for (int l = 0; l < n; l++) { ss_free(gW[l]); ss_free(gb[l]); }
    free_acts(acts, aux, n);
    free(acts); free(aux); free(gW); free(gb);
    return rc;
}
