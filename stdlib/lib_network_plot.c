/*
** lib_network_plot.c — plot(history), the 'nn' module's picture of a training history
** (the record train returns): each numeric list (loss, accuracy, val_*, epsilon) drawn
** as text in the terminal, or all of them as an SVG file.  It reads the record only; it
** knows nothing of networks (lib_network.c) and registers as part of 'nn'.
*/
#include "lib.h"
#include "mem.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KW(...) ((const char *const[]){ __VA_ARGS__, NULL })

typedef struct Series { const char *name; double *v; int n; } Series;

/* The numeric lists of a history record (loss, accuracy, val_*, epsilon), in order. */
static int collect_series(Value rec, Series *s, int max)
{
    int k = 0;
    ObjRec *r = AS_REC(rec);
    for (size_t i = 0; i < r->n && k < max; i++) {
        if (!IS_LIST(r->v[i]) || !strcmp(r->k[i]->name, "seconds")) continue;
        ObjList *l = AS_LIST(r->v[i]);
        if (l->n == 0) continue;
        double *v = xmalloc(l->n * sizeof *v);
        int ok = 0;
        for (size_t j = 0; j < l->n; j++) {
            v[j] = IS_NUM(l->v[j]) ? l->v[j].as.n : NAN;
            ok += isfinite(v[j]);
        }
        if (!ok) { free(v); continue; }
        s[k++] = (Series){ r->k[i]->name, v, (int)l->n };
    }
    return k;
}

static void range_of(const Series *s, double *lo, double *hi)
{
    *lo = INFINITY; *hi = -INFINITY;
    for (int i = 0; i < s->n; i++)
        if (isfinite(s->v[i])) { if (s->v[i] < *lo) *lo = s->v[i]; if (s->v[i] > *hi) *hi = s->v[i]; }
    if (*hi - *lo < 1e-12) { *lo -= 0.5; *hi += 0.5; }
}

static void text_plot(const Series *s, Sb *out)
{
    enum { W = 50, H = 10 };
    double lo, hi;
    range_of(s, &lo, &hi);
    char grid[H][W + 1];
    memset(grid, ' ', sizeof grid);
    for (int r = 0; r < H; r++) grid[r][W] = 0;
    for (int i = 0; i < s->n; i++) {
        if (!isfinite(s->v[i])) continue;
        int c = s->n == 1 ? 0 : (int)lround((double)i * (W - 1) / (s->n - 1));
        int r = (int)lround((hi - s->v[i]) / (hi - lo) * (H - 1));
        grid[r][c] = '*';
    }
    sb_printf(out, "%s\n", s->name);
    for (int r = 0; r < H; r++) {
        double y = hi - (hi - lo) * r / (H - 1);
        if (r == 0 || r == H - 1 || r == H / 2) sb_printf(out, "%9.4g |", y);
        else sb_puts(out, "          |");
        /* trim trailing blanks */
        int end = W;
        while (end > 0 && grid[r][end - 1] == ' ') end--;
        sb_put(out, grid[r], (size_t)end);
        sb_putc(out, '\n');
    }
    sb_puts(out, "          +");
    for (int c = 0; c < W; c++) sb_putc(out, '-');
    sb_printf(out, "\n           1%*d  (epoch)\n", W - 1, s->n);
}

static bool svg_plot(const Series *s, int k, const char *path, RtErr *e)
{
    enum { PW = 420, PH = 260, M = 50 };
    Sb b; sb_init(&b);
    int cols = k < 2 ? k : 2, rows = (k + 1) / 2;
    sb_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
              "font-family=\"sans-serif\" font-size=\"12\">\n", cols * PW, rows * PH);
    static const char *const colour[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b" };
    for (int i = 0; i < k; i++) {
        int ox = (i % 2) * PW, oy = (i / 2) * PH;
        double lo, hi;
        range_of(&s[i], &lo, &hi);
        int x0 = ox + M, y0 = oy + PH - M + 10, x1 = ox + PW - 20, y1 = oy + 30;
        sb_printf(&b, "<text x=\"%d\" y=\"%d\" font-size=\"14\">%s</text>\n", x0, oy + 20, s[i].name);
        sb_printf(&b, "<path d=\"M%d %d V%d H%d\" fill=\"none\" stroke=\"black\"/>\n", x0, y1, y0, x1);
        sb_printf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.4g</text>\n", x0 - 4, y1 + 4, hi);
        sb_printf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.4g</text>\n", x0 - 4, y0, lo);
        sb_printf(&b, "<text x=\"%d\" y=\"%d\">1</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>\n",
                  x0, y0 + 16, x1, y0 + 16, s[i].n);
        sb_printf(&b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>\n", (x0 + x1) / 2, y0 + 16);
        sb_printf(&b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour[i % 6]);
        for (int j = 0; j < s[i].n; j++) {
            if (!isfinite(s[i].v[j])) continue;
            double px = s[i].n == 1 ? x0 : x0 + (double)(x1 - x0) * j / (s[i].n - 1);
            double py = y0 - (double)(y0 - y1) * (s[i].v[j] - lo) / (hi - lo);
            sb_printf(&b, "%.1f,%.1f ", px, py);
        }
        sb_puts(&b, "\"/>\n");
    }
    sb_puts(&b, "</svg>\n");
    FILE *f = fopen(path, "w");
    bool ok = f && fwrite(b.s, 1, b.n, f) == b.n;
    if (f && fclose(f) != 0) ok = false;
    if (!ok) rt_err(e, RT_EIO, "cannot write '%s'", path);
    sb_free(&b);
    return ok;
}

static Value b_plot(Interp *I, Args *a)
{
    if (a->n >= 1 && !IS_REC(a->v[0])) return lib_forward(I, a, "history record (from train)");
    const char *file = NULL;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, KW("file")) || !lib_kwstr(I, a, "file", &file) ||
        (file && !lib_path_at(I, a, &file, LIB_WRITE)))
        return VERR;
    Series s[8];
    int k = collect_series(a->v[0], s, 8);
    if (k == 0) return err_raise(I, "plot: the record has no list of numbers to plot (expected a history from train)");
    Value r = VNONE;
    RtErr err;
    if (file) {
        if (!svg_plot(s, k, file, &err)) r = err_raise(I, "plot: %s", err.msg);
    } else {
        Sb b; sb_init(&b);
        for (int i = 0; i < k; i++) { if (i) sb_putc(&b, '\n'); text_plot(&s[i], &b); }
        fwrite(b.s, 1, b.n, I->out);
        sb_free(&b);
    }
    for (int i = 0; i < k; i++) free(s[i].v);
    return r;
}

/* --- the table ---------------------------------------------------------------------------- */

static const LibReg fns[] = {
    {"plot", b_plot, "plot(history, file = none)",
     "Draws each curve of a training history (loss, accuracy, ...) in the terminal with\n"
     "text, or, with file = \"x.svg\", writes them as an SVG picture.",
     "plot({loss = [0.9, 0.5, 0.3, 0.25], accuracy = [0.6, 0.8, 0.9, 0.92]})\n"
     "# -> loss\n"
     "# ->       0.9 |*\n"
     "# ->           |\n"
     "# ->           |\n"
     "# ->           |\n"
     "# ->           |\n"
     "# ->    0.5389 |\n"
     "# ->           |                *\n"
     "# ->           |\n"
     "# ->           |                                 *\n"
     "# ->      0.25 |                                                 *\n"
     "# ->           +--------------------------------------------------\n"
     "# ->            1                                                4  (epoch)\n"
     "# ->\n"
     "# -> accuracy\n"
     "# ->      0.92 |                                                 *\n"
     "# ->           |                                 *\n"
     "# ->           |\n"
     "# ->           |                *\n"
     "# ->           |\n"
     "# ->    0.7422 |\n"
     "# ->           |\n"
     "# ->           |\n"
     "# ->           |\n"
     "# ->       0.6 |*\n"
     "# ->           +--------------------------------------------------\n"
     "# ->            1                                                4  (epoch)", 0},
    { NULL, NULL, NULL, NULL, NULL, 0 }
};

const LibModule lib_mod_nn_plot = { "nn", fns, NULL };
