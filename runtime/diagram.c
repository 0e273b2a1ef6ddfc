/*
** diagram.c — message-sequence charts of transcript records (see diagram.h).  The
** terminal chart is a grid of cells, one a column: lifelines are '│' at each lane's
** centre, a message row draws '├───▶' (or '◀───┤') between two of them with its label
** inside the arrow when it fits, else beside it; a round's first message is preceded by
** a rule naming the round and phase.  The SVG and Mermaid renderers walk the same
** records in the same order.  Nothing here knows about interpreters or files.
*/
#include "diagram.h"
#include "mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dg_size(char *buf, size_t cap, unsigned long long bytes)
{
    if (bytes < 1000) snprintf(buf, cap, "%llu B", bytes);
    else if (bytes < 1000000) snprintf(buf, cap, "%.1f kB", (double)bytes / 1e3);
    else if (bytes < 1000000000) snprintf(buf, cap, "%.1f MB", (double)bytes / 1e6);
    else snprintf(buf, cap, "%.1f GB", (double)bytes / 1e9);
}

static int lane_of(const DgChart *c, int party)
{
    for (int i = 0; i < c->nlanes; i++) if (c->lanes[i] == party) return i;
    return -1;
}

static void label_of(const TrMsg *m, char *buf, size_t cap)
{
    char size[32];
    dg_size(size, sizeof size, (unsigned long long)m->bytes);
    snprintf(buf, cap, "%s %s%s", m->kind, size, m->leak ? " LEAK" : "");
}

/* Does message i open a new group (its round or phase differs from the one before)? */
static bool opens_group(const DgChart *c, size_t i)
{
    if (i == 0) return true;
    const TrMsg *a = c->msgs[i - 1], *b = c->msgs[i];
    return a->round != b->round || strcmp(a->phase ? a->phase : "", b->phase ? b->phase : "") != 0;
}

/* ------------------------------------------------------------------ terminal ---- */

typedef struct Cell { const char *g; char ch; bool red; } Cell;

typedef struct Grid { Cell *row; int w; int *x; int n; } Grid;

static void row_clear(Grid *g)
{
    for (int i = 0; i < g->w; i++) g->row[i] = (Cell){ NULL, ' ', false };
    for (int i = 0; i < g->n; i++) g->row[g->x[i]] = (Cell){ "│", 0, false };
}

static void put_text(Grid *g, int at, const char *s, int len, bool red)
{
    for (int i = 0; i < len && at + i < g->w; i++)
        if (at + i >= 0) g->row[at + i] = (Cell){ NULL, s[i], red };
}

static void row_emit(Grid *g, Sb *out, bool color)
{
    int end = g->w;
    while (end > 0 && !g->row[end - 1].g && g->row[end - 1].ch == ' ') end--;
    bool red = false;
    for (int i = 0; i < end; i++) {
        Cell *c = &g->row[i];
        if (color && c->red != red) { sb_puts(out, c->red ? "\x1b[31m" : "\x1b[0m"); red = c->red; }
        if (c->g) sb_puts(out, c->g);
        else sb_putc(out, c->ch);
    }
    if (red) sb_puts(out, "\x1b[0m");
    sb_putc(out, '\n');
}

size_t dg_text(Sb *out, const DgChart *c, int width, bool color)
{
    if (c->nlanes == 0 || c->n == 0) { sb_puts(out, "(no messages)\n"); return 1; }
    int n = c->nlanes, lw = width / n;
    if (lw < 6) lw = 6;
    int w = lw * n;
    Grid g = { xcalloc((size_t)w, sizeof(Cell)), w, xcalloc((size_t)n, sizeof(int)), n };
    for (int i = 0; i < n; i++) g.x[i] = i * lw + lw / 2;
    size_t lines = 0;
    /* names, centred over their lifelines */
    for (int i = 0; i < w; i++) g.row[i] = (Cell){ NULL, ' ', false };
    for (int i = 0; i < n; i++) {
        const char *name = c->names[c->lanes[i]];
        int len = (int)strlen(name);
        if (len > lw - 1) len = lw - 1;
        put_text(&g, g.x[i] - len / 2, name, len, false);
    }
    row_emit(&g, out, color); lines++;
    row_clear(&g); row_emit(&g, out, color); lines++;
    uint64_t bytes = 0;
    size_t leaks = 0;
    uint32_t rounds = 0, last_round = 0;
    for (size_t k = 0; k < c->n; k++) {
        const TrMsg *m = c->msgs[k];
        bytes += m->bytes; leaks += m->leak != 0;
        if (k == 0 || m->round != last_round) rounds++;
        last_round = m->round;
        if (opens_group(c, k)) {
            char head[96];
            int hl = snprintf(head, sizeof head, " round %u · %s ", m->round, m->phase ? m->phase : "online");
            for (int i = 0; i < w; i++) g.row[i] = (Cell){ "─", 0, false };
            for (int i = 0; i < n; i++) g.row[g.x[i]] = (Cell){ "┼", 0, false };
            /* the text, counting "·" (2 bytes) as one column */
            int col = 2;
            for (int i = 0; i < hl && col < w; i++) {
                if ((unsigned char)head[i] == 0xC2) { g.row[col++] = (Cell){ "·", 0, false }; i++; continue; }
                g.row[col++] = (Cell){ NULL, head[i], false };
            }
            row_emit(&g, out, color); lines++;
        }
        row_clear(&g);
        int a = lane_of(c, m->from), b = lane_of(c, m->to);
        char label[96];
        label_of(m, label, sizeof label);
        int len = (int)strlen(label);
        bool red = m->leak != 0;
        if (a < 0 || b < 0 || a == b) {
            int at = g.x[a >= 0 ? a : b >= 0 ? b : 0] + 2;
            put_text(&g, at, label, len, red);
        } else {
            int xa = g.x[a], xb = g.x[b], lo = xa < xb ? xa : xb, hi = xa < xb ? xb : xa;
            for (int i = lo + 1; i < hi; i++)
                g.row[i] = (Cell){ g.row[i].g && strcmp(g.row[i].g, "│") == 0 ? "┼" : "─", 0, red };
            if (xa < xb) { g.row[xa] = (Cell){ "├", 0, red }; g.row[xb - 1] = (Cell){ "▶", 0, red }; }
            else { g.row[xa] = (Cell){ "┤", 0, red }; g.row[xb + 1] = (Cell){ "◀", 0, red }; }
            int inner = hi - lo - 5;            /* between the tips, a space each side */
            if (len <= inner) {
                int at = lo + 2 + (inner - len) / 2;
                put_text(&g, at, " ", 1, red);
                put_text(&g, at + 1, label, len, red);
                put_text(&g, at + 1 + len, " ", 1, red);
            }
            else if (hi + 2 + len <= w) put_text(&g, hi + 2, label, len, red);
            else if (lo - 2 - len >= 0) put_text(&g, lo - 2 - len, label, len, red);
            else put_text(&g, lo + 2, label, inner > 0 ? inner : 0, red);
        }
        row_emit(&g, out, color); lines++;
    }
    row_clear(&g); row_emit(&g, out, color); lines++;
    char size[32];
    dg_size(size, sizeof size, (unsigned long long)bytes);
    char sum[160];
    int sl = snprintf(sum, sizeof sum, "%zu message%s, %s, %u round%s", c->n, c->n == 1 ? "" : "s", size,
                      rounds, rounds == 1 ? "" : "s");
    sb_puts(out, sum);
    if (leaks) {
        char lk[96];
        int ll = snprintf(lk, sizeof lk, "; %zu LEAK%s", leaks, leaks == 1 ? "" : "S");
        const char *why = " (plaintext of the sender's data)";
        sb_printf(out, "%s%s%s%s", color ? "\x1b[31m" : "", lk,
                  sl + ll + (int)strlen(why) <= width ? why : "", color ? "\x1b[0m" : "");
    }
    sb_putc(out, '\n'); lines++;
    free(g.row); free(g.x);
    return lines;
}

/* ----------------------------------------------------------------------- SVG ---- */

static void xml_text(Sb *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': sb_puts(out, "&lt;"); break;
        case '>': sb_puts(out, "&gt;"); break;
        case '&': sb_puts(out, "&amp;"); break;
        case '"': sb_puts(out, "&quot;"); break;
        default: sb_putc(out, *s);
        }
    }
}

enum { SVG_LANE = 150, SVG_LEFT = 40, SVG_TOP = 56, SVG_ROW = 26 };

void dg_svg(Sb *out, const DgChart *c)
{
    int n = c->nlanes > 0 ? c->nlanes : 1;
    size_t rows = 0;
    for (size_t k = 0; k < c->n; k++) rows += 1 + opens_group(c, k);
    int width = SVG_LEFT * 2 + SVG_LANE * (n - 1) + 200;
    int height = SVG_TOP + (int)rows * SVG_ROW + 40;
    sb_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
              "viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"12\">\n",
              width, height, width, height);
    sb_puts(out, "<defs>\n"
            "<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
            "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#222\"/></marker>\n"
            "<marker id=\"leak\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
            "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c00\"/></marker>\n"
            "</defs>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    int x0 = SVG_LEFT + 110, bottom = height - 20;
    for (int i = 0; i < c->nlanes; i++) {
        int x = x0 + i * SVG_LANE;
        sb_printf(out, "<text x=\"%d\" y=\"28\" text-anchor=\"middle\" font-weight=\"bold\">", x);
        xml_text(out, c->names[c->lanes[i]]);
        sb_printf(out, "</text>\n<line x1=\"%d\" y1=\"38\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", x, x, bottom);
    }
    int y = SVG_TOP;
    for (size_t k = 0; k < c->n; k++) {
        const TrMsg *m = c->msgs[k];
        if (opens_group(c, k)) {
            sb_printf(out, "<line x1=\"4\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/>\n",
                      y - 4, width - 4, y - 4);
            sb_printf(out, "<text x=\"6\" y=\"%d\" fill=\"#555\">round %u · ", y + 10, m->round);
            xml_text(out, m->phase ? m->phase : "online");
            sb_puts(out, "</text>\n");
            y += SVG_ROW;
        }
        int a = lane_of(c, m->from), b = lane_of(c, m->to);
        char label[96];
        label_of(m, label, sizeof label);
        const char *col = m->leak ? "#c00" : "#222";
        if (a >= 0 && b >= 0 && a != b) {
            int xa = x0 + a * SVG_LANE, xb = x0 + b * SVG_LANE;
            sb_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"1.5\" "
                      "marker-end=\"url(#%s)\"/>\n", xa, y + 6, xb, y + 6, col, m->leak ? "leak" : "arrow");
            sb_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">", (xa + xb) / 2, y + 1, col);
        } else {
            int x = x0 + (a >= 0 ? a : b >= 0 ? b : 0) * SVG_LANE + 6;
            sb_printf(out, "<text x=\"%d\" y=\"%d\" fill=\"%s\">", x, y + 6, col);
        }
        xml_text(out, label);
        sb_puts(out, "</text>\n");
        y += SVG_ROW;
    }
    sb_puts(out, "</svg>\n");
}

/* ------------------------------------------------------------------- Mermaid ---- */

void dg_mermaid(Sb *out, const DgChart *c)
{
    sb_puts(out, "sequenceDiagram\n");
    for (int i = 0; i < c->nlanes; i++) sb_printf(out, "    participant %s\n", c->names[c->lanes[i]]);
    const char *first = c->nlanes ? c->names[c->lanes[0]] : "public";
    const char *last = c->nlanes ? c->names[c->lanes[c->nlanes - 1]] : "public";
    for (size_t k = 0; k < c->n; k++) {
        const TrMsg *m = c->msgs[k];
        if (opens_group(c, k)) {
            if (c->nlanes > 1) sb_printf(out, "    Note over %s,%s: round %u (%s)\n", first, last, m->round,
                                         m->phase ? m->phase : "online");
            else sb_printf(out, "    Note over %s: round %u (%s)\n", first, m->round, m->phase ? m->phase : "online");
        }
        char label[96];
        label_of(m, label, sizeof label);
        if (m->leak) sb_puts(out, "    rect rgb(255, 205, 205)\n");
        sb_printf(out, "    %s%s->>%s: %s\n", m->leak ? "    " : "", c->names[m->from], c->names[m->to], label);
        if (m->leak) sb_puts(out, "    end\n");
    }
}
