/*
** main.c — the ppdl program: reads the command line, creates one interpreter, runs the
** -e chunks, the script (a file, or stdin when it is not a terminal) and then, when
** asked or when there is nothing else to do, the REPL (repl.c) with the same state.
** It decides the exit status: 0 success, 1 an error in the ppdl code (including input
** that ends inside a block), 2 a usage error (unknown option, missing argument,
** unreadable file) reported before anything runs.  Evaluation and error messages
** belong to the evaluator; this file only adds "ppdl: ..." messages of its own.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "interp.h"
#include "mem.h"
#include "distrib.h"
#include "party_cmd.h"
#include "repl.h"

enum { EXIT_SCRIPT = 1, EXIT_USAGE = 2 };

typedef struct Options {
    const char **code; int ncode;       /* -e chunks, in order */
    const char *file;                   /* script path, "-" for stdin, or NULL */
    bool interactive;                   /* -i */
    bool dump_ast;                      /* --dump-ast: parse and print, do not run */
    bool seeded; uint64_t seed;         /* --seed N */
    bool strict;                        /* --strict: refuse the narrator's peeks */
    bool processes;                     /* --processes: one process per party */
    int timeout_ms;                     /* --timeout MS (distributed runs) */
    const char *parties, *key;          /* --parties FILE, --key FILE: drive parties */
} Options;

static const char usage_text[] =
    "usage: ppdl [options] [FILE]\n"
    "Runs a ppdl script, or starts the REPL when FILE is absent and stdin is a terminal.\n"
    "\n"
    "  FILE            run the script FILE ('-' reads it from stdin)\n"
    "  -e CODE         run CODE (may be repeated; runs before FILE)\n"
    "  -i              after the code and FILE, stay in the REPL with their state\n"
    "  --seed N        reproducible, INSECURE randomness (for classes and tests)\n"
    "  --strict        refuse the narrator's peeks (a party's value shown or branched on\n"
    "                  at the top level): check a script before running it distributed\n"
    "  --processes     run FILE with one process per party on this machine (ZeroMQ,\n"
    "                  CURVE; docs/distributed.md)\n"
    "  --timeout MS    distributed runs: wait at most MS ms for a party (default 10000)\n"
    "  --parties FILE  drive the parties of FILE (started with 'ppdl serve') from this\n"
    "                  script or REPL, as FILE's narrator (--key: its secret key file)\n"
    "  --dump-ast      print the syntax tree of the input instead of running it\n"
    "  --version       print the version and exit\n"
    "  -h, --help      print this help and exit\n"
    "\n"
    "\n"
    "  ppdl keygen NAME                          write a CURVE key pair NAME.key, NAME.pub\n"
    "  ppdl serve --party NAME --parties FILE    run one party (docs/distributed.md)\n"
    "\n"
    "Exit status: 0 success, 1 error in the script, 2 usage error.\n"
    "History: $PPDL_HISTORY or ~/.ppdl_history.  See ppdl(1).\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("ppdl: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'ppdl --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

/* A non-negative decimal integer that fits 64 bits, nothing else. */
static bool parse_seed(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9') return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = (uint64_t)v;
    return true;
}

/* Fills o from argv.  Returns -1 to go on, else an exit status (help, version, usage
** error).  Options may follow FILE; "--" ends them. */
static int parse_args(int argc, char **argv, Options *o)
{
    bool opts = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts && a[0] == '-' && a[1]) {
            if (strcmp(a, "--") == 0) { opts = false; continue; }
            if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                fputs(usage_text, stdout);
                return 0;
            }
            if (strcmp(a, "--version") == 0) {
                printf("ppdl %s\n", PPDL_VERSION);
                return 0;
            }
            if (strcmp(a, "-i") == 0) { o->interactive = true; continue; }
            if (strcmp(a, "--dump-ast") == 0) { o->dump_ast = true; continue; }
            if (strcmp(a, "--strict") == 0) { o->strict = true; continue; }
            if (strcmp(a, "--processes") == 0) { o->processes = true; continue; }
            if (strcmp(a, "--parties") == 0 || strcmp(a, "--key") == 0) {
                const char *v = argv[++i];
                if (!v) return usage_error("option '%s' needs an argument (a file)", a);
                if (a[2] == 'p') o->parties = v; else o->key = v;
                continue;
            }
            if (strcmp(a, "--timeout") == 0 || strncmp(a, "--timeout=", 10) == 0) {
                const char *ms = a[9] == '=' ? a + 10 : argv[++i];
                char *end = NULL;
                long t = ms ? strtol(ms, &end, 10) : 0;
                if (!ms || *end || t < 1 || t > 3600000)
                    return usage_error("invalid timeout '%s' (milliseconds, 1 to 3600000)", ms ? ms : "");
                o->timeout_ms = (int)t;
                continue;
            }
            if (strncmp(a, "-e", 2) == 0 && strncmp(a, "-e=", 3) != 0) {
                const char *code = a[2] ? a + 2 : argv[++i];
                if (!code) return usage_error("option '%s' needs an argument (the code to run)", "-e");
                o->code[o->ncode++] = code;
                continue;
            }
            if (strcmp(a, "--seed") == 0 || strncmp(a, "--seed=", 7) == 0) {
                const char *n = a[6] == '=' ? a + 7 : argv[++i];
                if (!n) return usage_error("option '%s' needs an argument (a number)", "--seed");
                if (!parse_seed(n, &o->seed))
                    return usage_error("invalid seed '%s' (expected a non-negative integer)", n);
                o->seeded = true;
                continue;
            }
            return usage_error("unknown option '%s'", a);
        }
        if (o->file) return usage_error("unexpected argument '%s' (one script at a time)", a);
        o->file = a;
    }
    return -1;
}

/* Checks that path names a readable regular file before anything runs. */
static bool readable(const char *path)
{
    FILE *f = fopen(path, "r");
    struct stat st;
    int err = 0;
    if (!f) err = errno;
    else if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) err = EISDIR;
    if (f) fclose(f);
    if (!err) return true;
    fprintf(stderr, "ppdl: cannot open '%s': %s\n", path, strerror(err));
    return false;
}

/* Reads all of f into a malloc'd buffer (NUL bytes kept); NULL on a read error. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = xmalloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        buf = xrealloc(buf, cap * 2);
        cap *= 2;
    }
    if (buf && ferror(f)) { free(buf); buf = NULL; }
    *len = n;
    return buf;
}

/* Prints the syntax tree of src, or its syntax error.  Returns an exit status. */
static int dump_ast(Interp *I, Source *src)
{
    ParseDiag d;
    memset(&d, 0, sizeof d);
    AstUnit *u = ps_parse(&I->syms, src, &d);
    if (!u) {
        src_report(I->errout ? I->errout : stderr, src, d.off, d.len ? d.len : 1, "error",
                   d.msg[0] ? d.msg : "unexpected end of input");
        return EXIT_SCRIPT;
    }
    ast_dump(stdout, u->root);
    ast_unit_release(u);
    return 0;
}

/* Runs (or dumps) one chunk of text outside the REPL: incomplete input is an error. */
static int run_text(Interp *I, const Options *o, const char *name, const char *text, size_t len)
{
    Source *src = src_new(name, text, len, 1);
    int rc;
    if (o->dump_ast) rc = dump_ast(I, src);
    else {
        EvStatus st = ev_run(I, src, false);
        if (st == EV_INCOMPLETE) repl_report_incomplete(I, src);
        rc = st == EV_OK ? 0 : EXIT_SCRIPT;
    }
    src_release(src);
    fflush(stdout);
    return rc;
}

static int run_stdin(Interp *I, const Options *o)
{
    size_t len;
    char *text = slurp(stdin, &len);
    if (!text) {
        fprintf(stderr, "ppdl: cannot read the script from stdin: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    int rc = run_text(I, o, "<stdin>", text, len);
    free(text);
    return rc;
}

static int run_file(Interp *I, const Options *o, const char *path)
{
    if (!o->dump_ast) {
        EvStatus st = ev_run_file(I, path);
        fflush(stdout);
        return st == EV_OK ? 0 : EXIT_SCRIPT;
    }
    FILE *f = fopen(path, "rb");
    size_t len = 0;
    char *text = f ? slurp(f, &len) : NULL;
    if (f) fclose(f);
    if (!text) {
        fprintf(stderr, "ppdl: cannot read '%s': %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    int rc = run_text(I, o, path, text, len);
    free(text);
    return rc;
}

/* ppdl --parties FILE: the script, stdin or the REPL, sent to the parties. */
static int drive_parties(const Options *o, bool repl, bool stdin_script)
{
    Interp *I = ev_new();
    I->tty = isatty(STDOUT_FILENO);
    repl_catch_sigint(I, !repl);
    DistribOptions d = { .script = o->file, .seeded = o->seeded, .seed = o->seed, .timeout_ms = o->timeout_ms, .strict = o->strict };
    int rc = distrib_drive_open(I, o->parties, o->key, &d);
    if (rc == 0) {
        if (o->file || stdin_script) {
            FILE *f = stdin_script ? stdin : fopen(o->file, "rb");
            size_t len = 0;
            char *text = f ? slurp(f, &len) : NULL;
            if (f && f != stdin) fclose(f);
            if (!text) {
                fprintf(stderr, "ppdl: cannot read '%s': %s\n", o->file ? o->file : "<stdin>", strerror(errno));
                rc = EXIT_USAGE;
            } else {
                Source *src = src_new(o->file && !stdin_script ? o->file : "<stdin>", text, len, 1);
                rc = distrib_drive_run(I, src, false) == EV_OK ? 0 : EXIT_SCRIPT;
                src_release(src);
                free(text);
            }
        }
        if (repl && rc == 0) rc = repl_run(I);
        distrib_drive_close(I);
    }
    ev_free(I);
    return rc;
}

int main(int argc, char **argv)
{
    if (party_cmd_is(argc, argv)) return party_cmd_main(argc, argv);   /* keygen, serve */
    Options o;
    memset(&o, 0, sizeof o);
    o.code = xcalloc((size_t)argc, sizeof *o.code);
    int rc = parse_args(argc, argv, &o);
    bool stdin_script = o.file && strcmp(o.file, "-") == 0;
    if (rc < 0 && o.file && !stdin_script && !readable(o.file)) rc = EXIT_USAGE;
    if (rc >= 0) { free(o.code); return rc; }

    if (o.processes) {
        if (!o.file || stdin_script || o.ncode || o.interactive || o.dump_ast) {
            free(o.code);
            return usage_error("%s runs one script FILE (no -e, -i, --dump-ast or stdin)", "--processes");
        }
        DistribOptions d = { .script = o.file, .seeded = o.seeded, .seed = o.seed, .timeout_ms = o.timeout_ms, .strict = o.strict };
        free(o.code);
        return distrib_processes(&d);
    }

    /* With nothing to run, a terminal gets the REPL and a pipe is read as a script. */
    bool repl = o.interactive;
    if (!o.file && o.ncode == 0 && !o.interactive) {
        if (isatty(STDIN_FILENO) && !o.dump_ast) repl = true;
        else stdin_script = true;
    }
    if (o.parties) {
        if (o.ncode || o.dump_ast || o.processes) {
            free(o.code);
            return usage_error("%s drives a script FILE or the REPL (no -e, --dump-ast or --processes)", "--parties");
        }
        free(o.code);
        return drive_parties(&o, repl, stdin_script);
    }

    Interp *I = ev_new();
    I->tty = isatty(STDOUT_FILENO);
    repl_catch_sigint(I, !repl);       /* scripts: a second Ctrl-C kills */
    if (o.seeded) ev_seed(I, o.seed);
    I->strict = o.strict;

    rc = 0;
    for (int i = 0; i < o.ncode && rc == 0; i++)
        rc = run_text(I, &o, "<-e>", o.code[i], strlen(o.code[i]));
    if (rc == 0 && stdin_script) rc = run_stdin(I, &o);
    else if (rc == 0 && o.file) rc = run_file(I, &o, o.file);
    if (repl && !o.dump_ast) rc = repl_run(I);

    ev_free(I);
    free(o.code);
    return rc;
}
