/*
** lib_diagram.c — diagram(): the transcript drawn as a message-sequence chart (the
** renderers are runtime/diagram.c).  This file chooses the messages (from, to, phase),
** the lifelines (the parties those messages involve, in declaration order) and where
** the chart goes: the terminal (fitted to $COLUMNS or the terminal's width, 80 when
** output is not a terminal; a chart taller than the terminal goes through $PAGER, only
** on a terminal), an SVG file, or Mermaid text.  It reads the transcript; like view,
** it is the experimenter's.
*/
#include "lib.h"
#include "mem.h"
#include "diagram.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The terminal's size when output is one, else $COLUMNS (or 80) and 0 rows. */
static void term_size(Interp *I, int *cols, int *rows)
{
    *cols = 80; *rows = 0;
    const char *e = getenv("COLUMNS");
    if (e && atoi(e) >= 20 && atoi(e) <= 1000) *cols = atoi(e);
    struct winsize ws;
    if (I->tty && I->out == stdout && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) {
        *cols = ws.ws_col; *rows = ws.ws_row;
    }
}

/* Writes text to the terminal, through the pager when it is taller than the screen. */
static void page(Interp *I, const char *text, size_t len, size_t lines, int rows)
{
    if (rows > 0 && lines + 2 > (size_t)rows) {
        const char *pager = getenv("PAGER");
        fflush(I->out);
        FILE *p = popen(pager && *pager ? pager : "less -R", "w");
        if (p) {
            fwrite(text, 1, len, p);
            if (pclose(p) == 0) return;
        }
    }
    fwrite(text, 1, len, I->out);
}

static Value b_diagram(Interp *I, Args *a)
{
    static const char *const kws[] = { "from", "to", "phase", "file", "format", "width", NULL };
    int from = -1, to = -1;
    const char *phase = NULL, *file = NULL, *format = "text";
    long width = 0;
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, kws) || !lib_kwparty(I, a, "from", &from) ||
        !lib_kwparty(I, a, "to", &to) || !lib_kwstr(I, a, "phase", &phase) ||
        !lib_kwstr(I, a, "file", &file) || !lib_kwstr(I, a, "format", &format) ||
        !lib_kwint(I, a, "width", &width))
        return VERR;
    if (strcmp(format, "text") && strcmp(format, "svg") && strcmp(format, "mermaid"))
        return err_raise(I, "diagram: format must be \"text\", \"svg\" or \"mermaid\" (got \"%s\")", format);
    if (lib_kw(a, "width") && (width < 20 || width > 1000))
        return err_raise(I, "diagram: width must be from 20 to 1000 columns (got %ld)", width);
    if (file && !lib_kw(a, "format")) {
        size_t n = strlen(file);
        format = n > 4 && strcmp(file + n - 4, ".svg") == 0 ? "svg" : n > 4 && strcmp(file + n - 4, ".mmd") == 0
                 ? "mermaid" : "text";
    }
    if (file && !lib_path_at(I, a, &file, LIB_WRITE)) return VERR;
    /* the messages, and the parties they involve */
    Tr *t = &I->tr;
    const TrMsg **msgs = xmalloc(t->n * sizeof *msgs);
    bool *used = xcalloc((size_t)I->nparties + 1, sizeof *used);
    const char **names = xmalloc(((size_t)I->nparties + 1) * sizeof *names);
    int *lanes = xmalloc(((size_t)I->nparties + 1) * sizeof *lanes);
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const TrMsg *m = &t->msgs[i];
        if ((from >= 0 && m->from != from) || (to >= 0 && m->to != to)) continue;
        if (phase && strcmp(phase, m->phase ? m->phase : "online") != 0) continue;
        msgs[n++] = m;
        if (m->from >= 0 && m->from <= I->nparties) used[m->from] = true;
        if (m->to >= 0 && m->to <= I->nparties) used[m->to] = true;
    }
    int nlanes = 0;
    for (int p = 0; p <= I->nparties; p++) {
        names[p] = ev_party_name(I, p);
        if (used[p]) lanes[nlanes++] = p;
    }
    DgChart c = { msgs, n, names, lanes, nlanes };
    Sb b; sb_init(&b);
    size_t lines = 0;
    int cols, rows;
    term_size(I, &cols, &rows);
    bool color = I->tty && !file && I->out == stdout && !getenv("NO_COLOR");
    if (strcmp(format, "svg") == 0) dg_svg(&b, &c);
    else if (strcmp(format, "mermaid") == 0) dg_mermaid(&b, &c);
    else lines = dg_text(&b, &c, width ? (int)width : cols, color && !file && a->bare);
    free(msgs); free(used); free(names); free(lanes);
    Value r = VNONE;
    if (file) {
        FILE *f = fopen(file, "w");
        if (!f || fwrite(b.s, 1, b.n, f) != b.n || fclose(f) != 0) {
            if (f) fclose(f);
            r = err_raise(I, "diagram: cannot write '%s'", file);
        }
    } else if (a->bare) {
        if (strcmp(format, "text") == 0) page(I, b.s, b.n, lines, rows);
        else fwrite(b.s, 1, b.n, I->out);
    } else {
        r = val_str(b.s, b.n);
    }
    sb_free(&b);
    return r;
}

static const LibReg fns[] = {
    {"diagram", b_diagram, "diagram(from = p, to = q, phase = none, file = none, format = \"text\", width = auto)",
     "Draws the transcript as a message-sequence chart: one lifeline per party, one arrow per\n"
     "message labelled with its kind and size, grouped by round and phase, leaks (plaintexts of\n"
     "the sender's data) marked LEAK and red.  from, to and phase choose messages.  As a statement\n"
     "of its own it prints the chart, fitted to the terminal ($COLUMNS, 80 when output is not a\n"
     "terminal; a long chart goes through $PAGER on a terminal); d = diagram() returns the text.\n"
     "file = \"x.svg\" writes an SVG picture; format = \"mermaid\" gives Mermaid sequenceDiagram\n"
     "text for slides (file = \"x.mmd\" writes it).",
     "party a, b, c; x = send(1 at a, to = b); parallel { y = send(x, to = c); z = send(2 at c, to = a) }; diagram(width = 60)\n"
     "# ->           a                   b                   c\n"
     "# ->           │                   │                   │\n"
     "# -> ── round 1 · online ──────────┼───────────────────┼─────────\n"
     "# ->           ├─ plain 25 B LEAK ▶│                   │\n"
     "# -> ── round 2 · online ──────────┼───────────────────┼─────────\n"
     "# ->           │                   ├─ plain 25 B LEAK ▶│\n"
     "# ->           │◀────────── plain 25 B LEAK ───────────┤\n"
     "# ->           │                   │                   │\n"
     "# -> 3 messages, 75 B, 2 rounds; 3 LEAKS",
     LIB_ANYOWNER | LIB_NARRATOR},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_diagram = { "diagram", fns, NULL };
