/*
** repl.c — the interactive loop, after Lua's lua.c.  It owns line input (readline's
** callback interface when stdin is a terminal, plain getline() on a pipe, so both show
** the same prompts and echo the same values), the continuation prompt while ev_run()
** answers EV_INCOMPLETE (also after an `if` block or a `try` block that an `else` or a
** `catch` on the next line may continue: a blank line or any other statement ends it), the history file (one entry per complete statement, a
** multi-line block being one entry), tab completion of keywords, builtins and global
** names, and the SIGINT flag.  The signal handlers only set flags: at the prompt the
** input loop sees the flag and clears the line; while a statement runs the evaluator
** polls I->interrupt and unwinds with "interrupted", keeping every binding.  It does
** not parse or evaluate: each complete entry becomes one Source named "<repl>" whose
** line0 continues the session's line count, handed to ev_run(I, src, echo = true).
*/
#include "repl.h"
#include "mem.h"
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>
#include <readline/history.h>
#include <readline/readline.h>
#include "lib.h"
#include "lx.h"                 /* lx_keywords[]: the reserved words, NULL-terminated */

static volatile sig_atomic_t got_sigint, got_sigwinch;

static void on_sigint(int sig) { (void)sig; got_sigint = 1; }
static void on_sigwinch(int sig) { (void)sig; got_sigwinch = 1; }

void repl_catch_sigint(Interp *I, bool once)
{
    got_sigint = 0;
    I->interrupt = &got_sigint;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    /* A script started with SIGINT ignored (`ppdl x.ppdl &` from a shell script,
    ** nohup) keeps ignoring it, as Unix programs do; the REPL always listens. */
    if (once && sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) return;
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = once ? SA_RESETHAND : 0;   /* no SA_RESTART: a blocked read wakes up */
    sigaction(SIGINT, &sa, NULL);
}

void repl_report_incomplete(Interp *I, Source *src)
{
    ParseDiag d;
    memset(&d, 0, sizeof d);
    AstUnit *u = ps_parse(&I->syms, src, &d);
    if (u) {                          /* cannot happen for EV_INCOMPLETE; be safe */
        ast_unit_release(u);
        d.off = (uint32_t)src->len; d.len = 1; d.msg[0] = 0;
    }
    src_report(I->errout ? I->errout : stderr, src, d.off, d.len ? d.len : 1, "error",
               d.msg[0] ? d.msg : "unexpected end of input");
}

/* --- line input ------------------------------------------------------------------ */

typedef enum LineStatus { LINE_OK, LINE_CANCEL, LINE_EOF } LineStatus;

/* Pipe path: prints the prompt, reads one line (any length, NUL bytes kept). */
static LineStatus plain_read(const char *prompt, char **out, size_t *len)
{
    fputs(prompt, stdout);
    fflush(stdout);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0 || got_sigint) {
        free(line);
        if (!got_sigint) return LINE_EOF;
        got_sigint = 0;
        clearerr(stdin);
        fputc('\n', stdout);
        return LINE_CANCEL;
    }
    if (n > 0 && line[n - 1] == '\n') line[--n] = 0;
    *out = line; *len = (size_t)n;
    return LINE_OK;
}

static char *cb_line;        /* what readline's callback handed over */
static bool  cb_done;

static void on_line(char *line)
{
    cb_line = line; cb_done = true;
    rl_callback_handler_remove();
}

/* Ctrl-C at the prompt: leave the typed text visible with "^C" after it, forget it,
** and restore the terminal; the caller shows a fresh prompt.  The order matters:
** rl_free_line_state() redraws, so the text must still be there, and the terminal
** reset may return the cursor to column 0, so "^C" goes out before it. */
static void cancel_line(void)
{
    rl_point = rl_end;
    rl_redisplay();
    rl_free_line_state();
    rl_callback_sigcleanup();
    fputs("^C", rl_outstream);
    fflush(rl_outstream);
    rl_callback_handler_remove();
    rl_replace_line("", 0);
    fputc('\n', rl_outstream);
    fflush(rl_outstream);
}

/* Terminal path: readline's callback interface driven by select(), which a signal
** interrupts, so Ctrl-C is seen at once.  SIGINT is deliberately not blocked around
** select() (the pselect() idiom): the process has other threads (OpenBLAS's pool),
** and a signal blocked in this thread would go to one of them and not wake us.  The
** flags are checked just before each select(); the window between check and call is
** a few instructions, far below a keystroke. */
static LineStatus tty_read(const char *prompt, char **out, size_t *len)
{
    got_sigint = 0;                   /* a Ctrl-C before the prompt cancels nothing */
    cb_line = NULL; cb_done = false;
    fflush(stdout);
    rl_callback_handler_install(prompt, on_line);
    int fd = fileno(rl_instream ? rl_instream : stdin);
    while (!cb_done) {
        if (got_sigwinch) { got_sigwinch = 0; rl_resize_terminal(); }
        if (got_sigint) { got_sigint = 0; cancel_line(); return LINE_CANCEL; }
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fd, &fds);
        if (select(fd + 1, &fds, NULL, NULL, NULL) < 0) {
            if (errno == EINTR) continue;
            rl_callback_handler_remove();
            return LINE_EOF;
        }
        rl_callback_read_char();
    }
    if (!cb_line) return LINE_EOF;
    *out = cb_line; *len = strlen(cb_line);
    return LINE_OK;
}

/* --- history ---------------------------------------------------------------------- */

static char *hist_path;      /* NULL: no history file (in-memory history still works) */

/* Chooses the history file ($PPDL_HISTORY, else ~/.ppdl_history; empty or /dev/null
** disables it) and loads it.  Entries are written with a "#<time>" line before each,
** which is how readline keeps a multi-line entry one entry across sessions. */
static void hist_open(void)
{
    history_comment_char = '#';
    history_write_timestamps = 1;
    history_multiline_entries = 1;
    using_history();
    stifle_history(REPL_HISTORY_MAX);
    const char *p = getenv("PPDL_HISTORY");
    if (p) {
        if (!*p || strcmp(p, "/dev/null") == 0) return;
        hist_path = xstrdup(p);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (!home) return;
        size_t n = strlen(home) + sizeof "/.ppdl_history";
        hist_path = xmalloc(n);
        snprintf(hist_path, n, "%s/.ppdl_history", home);
    }
    if (hist_path) read_history(hist_path);      /* a missing file is not an error */
}

/* Adds one complete entry (trailing newlines dropped, a repeat of the previous entry
** skipped) and appends it to the file at once, so a killed session keeps it.  A line
** that starts with '#' and a digit would read back as a timestamp: it gets a space. */
static void hist_add(const char *text, size_t n)
{
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '\t')) n--;
    if (n == 0 || memchr(text, 0, n)) return;
    Sb b;
    sb_init(&b);
    for (size_t i = 0; i < n; i++) {
        bool bol = i == 0 || text[i - 1] == '\n';
        if (bol && text[i] == '#' && i + 1 < n && text[i + 1] >= '0' && text[i + 1] <= '9')
            sb_putc(&b, ' ');
        sb_putc(&b, text[i]);
    }
    HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
    if (!last || strcmp(last->line, b.s) != 0) {
        add_history(b.s);
        if (hist_path && append_history(1, hist_path) != 0)
            write_history(hist_path);                 /* first entry: creates (0600) */
    }
    sb_free(&b);
}

/* Rewrites the file with at most REPL_HISTORY_MAX entries and frees the history. */
static void hist_close(void)
{
    if (hist_path && history_length > 0) write_history(hist_path);
    clear_history();
    free(hist_path);
    hist_path = NULL;
}

/* --- completion ------------------------------------------------------------------- */

static Interp *comp_I;       /* readline's completion hooks take no context pointer */

/* readline's generator protocol: state 0 starts over; returns malloc'd names in turn
** from the keywords, the builtins, then the defined globals; NULL when done. */
static char *complete_gen(const char *text, int state)
{
    static size_t phase, idx, len;
    if (state == 0) { phase = 0; idx = 0; len = strlen(text); }
    Interp *I = comp_I;
    if (phase == 0) {
        while (lx_keywords[idx]) {
            const char *k = lx_keywords[idx++];
            if (strncmp(k, text, len) == 0) return xstrdup(k);
        }
        phase = 1; idx = 0;
    }
    if (phase == 1) {
        while (idx < I->nbuiltins) {
            const char *k = I->builtins[idx++]->name;
            if (strncmp(k, text, len) == 0) return xstrdup(k);
        }
        phase = 2; idx = 0;
    }
    while (idx < I->gcap) {
        uint32_t id = (uint32_t)idx++;
        if (!I->gdefined[id]) continue;
        Sym *s = sym_byid(&I->syms, id);
        if (s && s->len >= len && strncmp(s->name, text, len) == 0 && !lib_find(I, s->name))
            return xstrndup(s->name, s->len);
    }
    return NULL;
}

/* What to type after a unique completion: "(" after a function, " " otherwise. */
static bool is_callable(Interp *I, const char *name)
{
    Value *v = ev_get_global(I, name);
    if (v) return v->tag == V_FUNC || v->tag == V_BUILTIN;
    return lib_find(I, name) != NULL;
}

/* Names outside strings; inside a string, readline's filename completion (import). */
static char **complete(const char *text, int start, int end)
{
    (void)start; (void)end;
    if (rl_completion_quote_character == '"') return NULL;
    rl_attempted_completion_over = 1;
    char **m = rl_completion_matches(text, complete_gen);
    if (!m) return NULL;
    bool unique = true;              /* a builtin is also a global: same name twice */
    for (size_t i = 1; m[i] && unique; i++) unique = strcmp(m[i], m[0]) == 0;
    if (unique) rl_completion_append_character = is_callable(comp_I, m[0]) ? '(' : ' ';
    return m;
}

/* Ctrl-D typed while a statement runs reaches the terminal in cooked mode, where it
** marks end of input; once readline switches to raw mode that mark reads as a NUL byte
** (Linux n_tty), which readline would take for Ctrl-@ and the session would not end.
** So a NUL at an empty prompt is the end of input, as the Ctrl-D it was. */
static int getc_eof(FILE *f)
{
    int c = rl_getc(f);
    return c == 0 && rl_end == 0 ? EOF : c;
}

static void readline_setup(Interp *I)
{
    comp_I = I;
    rl_readline_name = "ppdl";                 /* for `$if ppdl` in ~/.inputrc */
    rl_catch_signals = 0;                      /* our handlers; see tty_read() */
    rl_catch_sigwinch = 0;
    rl_attempted_completion_function = complete;
    rl_getc_function = getc_eof;
    rl_basic_word_break_characters = " \t\n\"'()[]{},;:+-*/%@=<>!&|^~.#";
    rl_completer_quote_characters = "\"";
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigwinch;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;                  /* a resize must not break a running read */
    sigaction(SIGWINCH, &sa, NULL);
    hist_open();
}

static void readline_teardown(void)
{
    hist_close();
    signal(SIGWINCH, SIG_DFL);
    comp_I = NULL;
}

/* --- the loop ----------------------------------------------------------------------- */

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
    return true;
}

static void clear(Sb *b) { b->n = 0; if (b->s) b->s[0] = 0; }

int repl_run(Interp *I)
{
    bool tty = isatty(STDIN_FILENO);
    repl_catch_sigint(I, false);
    if (tty) readline_setup(I);
    printf("ppdl %s -- privacy-preserving deep learning; help() lists builtins\n",
           PPDL_VERSION);
    Sb entry;                        /* the lines of the statement being typed */
    sb_init(&entry);
    int line = 1, first = 1;         /* next line's number; the entry's first line */
    for (;;) {
        char *text = NULL;
        size_t n = 0;
        const char *prompt = entry.n ? REPL_PROMPT2 : REPL_PROMPT;
        LineStatus st = tty ? tty_read(prompt, &text, &n) : plain_read(prompt, &text, &n);
        if (st == LINE_EOF) {
            if (!tty) fputc('\n', stdout);    /* readline 8 ends the line itself */
            fflush(stdout);
            if (entry.n) {
                /* an entry waiting only for a possible `else` runs as it is */
                Source *src = src_new("<repl>", entry.s, entry.n, first);
                EvStatus es = ev_run(I, src, true);
                src_release(src);
                if (es == EV_INCOMPLETE) {
                    /* without its last newline, so the caret sits at the end of the text */
                    src = src_new("<repl>", entry.s, entry.n - 1, first);
                    repl_report_incomplete(I, src);
                    src_release(src);
                } else if (tty) hist_add(entry.s, entry.n);
            }
            break;
        }
        if (st == LINE_CANCEL) { clear(&entry); first = line; continue; }
        sb_put(&entry, text, n);
        sb_putc(&entry, '\n');
        free(text);
        line++;
        if (blank(entry.s, entry.n)) { clear(&entry); first = line; continue; }
        Source *src = src_new("<repl>", entry.s, entry.n, first);
        src->interactive = 1;       /* `}` then `else` on the next line, as in a file */
        got_sigint = 0;
        EvStatus es = I->run_hook ? I->run_hook(I, src, true) : ev_run(I, src, true);
        got_sigint = 0;              /* a Ctrl-C the evaluator did not see is dropped */
        src_release(src);
        fflush(stdout);
        if (es == EV_INCOMPLETE) continue;
        if (tty) hist_add(entry.s, entry.n);
        clear(&entry);
        first = line;
    }
    sb_free(&entry);
    if (tty) readline_teardown();
    return 0;
}
