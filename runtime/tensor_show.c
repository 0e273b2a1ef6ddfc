/*
** tensor_show.c — printing tensors the way numpy does (nested brackets, one number format
** for the whole tensor, aligned columns, rows wrapped at 75 columns, large tensors
** elided to their edges) and comparing tensors within a tolerance.  Owns no state.
*/
#include "tensor.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define LINEWIDTH 75
#define THRESHOLD 1000          /* more elements than this: elide */
#define EDGE 3                  /* items kept at each end of an elided axis */

bool tn_allclose(const Tn *a, const Tn *b, float rtol, float atol)
{
    if (!tn_same_shape(a, b)) return false;
    for (size_t i = 0; i < a->size; i++) {
        float x = a->data[i], y = b->data[i];
        if (x == y) continue;                      /* equal infinities */
        if (!(fabsf(x - y) <= atol + rtol * fabsf(y))) return false;
    }
    return true;
}

/* One format for every element: integers, fixed point with prec decimals, or
** scientific; width is the widest shown element. */
typedef enum { F_INT, F_FIXED, F_SCI } FmtKind;
typedef struct Fmt {
    FmtKind kind;
    int prec, width;
    /* gathered while scanning */
    bool any, all_int;
    double maxabs, minabs;
} Fmt;

static int fmt_elem(char *buf, size_t n, const Fmt *f, float x)
{
    if (isnan(x)) return snprintf(buf, n, "nan");
    if (isinf(x)) return snprintf(buf, n, x < 0 ? "-inf" : "inf");
    double v = x == 0 ? 0.0 : (double)x;               /* no "-0" */
    switch (f->kind) {
    case F_INT: return snprintf(buf, n, "%.0f", v);
    case F_FIXED: return snprintf(buf, n, "%.*f", f->prec, v);
    case F_SCI: break;
    }
    return snprintf(buf, n, "%.*e", f->prec, v);
}

/* Decimals that x needs at 4-decimal precision once trailing zeros are dropped. */
static int decimals(float x)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.4f", (double)x);
    char *dot = strchr(buf, '.');
    if (!dot) return 0;
    int d = (int)strlen(dot + 1);
    while (d > 0 && dot[d] == '0') d--;
    return d;
}

typedef enum { W_SCAN, W_DECIMALS, W_WIDTH } WalkPass;

/* Visits the elements that will be shown, in order. */
static void walk(const Tn *t, bool elide, int axis, size_t off, const size_t *st,
                 WalkPass pass, Fmt *f)
{
    if (axis == t->ndim) {
        float x = t->data[off];
        char buf[64];
        int w;
        switch (pass) {
        case W_SCAN:
            if (!isfinite(x)) return;
            double a = fabs((double)x);
            if (!f->any || a > f->maxabs) f->maxabs = a;
            if (a > 0 && (f->minabs == 0 || a < f->minabs)) f->minabs = a;
            if (x != floorf(x)) f->all_int = false;
            f->any = true;
            return;
        case W_DECIMALS:
            if (isfinite(x) && decimals(x) > f->prec) f->prec = decimals(x);
            return;
        case W_WIDTH:
            w = fmt_elem(buf, sizeof buf, f, x);
            if (w > f->width) f->width = w;
            return;
        }
        return;
    }
    int n = t->shape[axis];
    bool cut = elide && n > 2 * EDGE;
    for (int i = 0; i < n; i++) {
        if (cut && i == EDGE) i = n - EDGE;
        walk(t, elide, axis + 1, off + (size_t)i * st[axis], st, pass, f);
    }
}

static void choose_format(const Tn *t, bool elide, const size_t *st, Fmt *f)
{
    memset(f, 0, sizeof *f);
    f->all_int = true;
    walk(t, elide, 0, 0, st, W_SCAN, f);
    if (f->all_int && f->maxabs < 1e16) f->kind = F_INT;
    else if (f->maxabs >= 1e8 || (f->minabs > 0 && (f->minabs < 1e-4 || f->maxabs / f->minabs > 1e3))) {
        f->kind = F_SCI; f->prec = 4;
    } else {
        f->kind = F_FIXED; f->prec = 0;
        walk(t, elide, 0, 0, st, W_DECIMALS, f);
        if (f->prec < 1) f->prec = 1;
    }
    walk(t, elide, 0, 0, st, W_WIDTH, f);
}

typedef struct Printer {
    Sb *out;
    const Tn *t;
    Fmt f;
    bool elide;
    size_t st[TN_MAXDIM];
    int indent;                 /* column of the outermost '[' plus one */
    size_t line0;               /* offset in out where the current line starts */
} Printer;

static void newline(Printer *p, int count, int col)
{
    for (int i = 0; i < count; i++) sb_putc(p->out, '\n');
    p->line0 = p->out->n;
    for (int i = 0; i < col; i++) sb_putc(p->out, ' ');
}

/* The separator between two items of axis; rows of numbers wrap at LINEWIDTH. */
static void separator(Printer *p, int axis)
{
    sb_putc(p->out, ',');
    if (axis == p->t->ndim - 1) {
        size_t col = p->out->n - p->line0;
        if (col + 1 + (size_t)p->f.width + 1 > LINEWIDTH) newline(p, 1, p->indent + axis);
        else sb_putc(p->out, ' ');
    } else {
        newline(p, p->t->ndim - axis - 1, p->indent + axis);
    }
}

static void print_rec(Printer *p, int axis, size_t off)
{
    const Tn *t = p->t;
    if (axis == t->ndim) {
        char buf[64];
        fmt_elem(buf, sizeof buf, &p->f, t->data[off]);
        sb_printf(p->out, "%*s", p->f.width, buf);
        return;
    }
    sb_putc(p->out, '[');
    int n = t->shape[axis];
    bool cut = p->elide && n > 2 * EDGE;
    for (int i = 0; i < n; i++) {
        if (i > 0) separator(p, axis);
        if (cut && i == EDGE) {
            sb_puts(p->out, "...");
            separator(p, axis);
            i = n - EDGE;
        }
        print_rec(p, axis + 1, off + (size_t)i * p->st[axis]);
    }
    sb_putc(p->out, ']');
}

void tn_show(Sb *out, const Tn *t, const char *wrap)
{
    Printer p = { .out = out, .t = t, .elide = t->size > THRESHOLD };
    size_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) { p.st[i] = s; s *= (size_t)t->shape[i]; }
    p.line0 = out->n;
    while (p.line0 > 0 && out->s[p.line0 - 1] != '\n') p.line0--;
    if (wrap) { sb_printf(out, "%s(", wrap); p.indent = (int)strlen(wrap) + 1; }
    p.indent += 1;
    if (t->size == 0) {
        sb_puts(out, "[]");
        if (wrap && t->ndim != 1) {
            char sh[64];
            sb_printf(out, ", shape=%s", tn_shape_fmt(sh, sizeof sh, t->ndim, t->shape));
        }
    } else {
        choose_format(t, p.elide, p.st, &p.f);
        print_rec(&p, 0, 0);
    }
    if (wrap) sb_putc(out, ')');
}
