/*
** party_cmd.c — `ppdl keygen` and `ppdl serve` (party_cmd.h).  Keys and links are the
** runtime's (transport_zmq.h); this file reads the command line, prints, and runs
** serve's loop: with --run the party runs a script (interp/distrib.c), under a
** narrator it runs what the narrator sends (interp/narrator.c), otherwise it answers
** the frames of kind "ping" with a "pong" carrying the same payload and stops on
** "stop" or SIGTERM/SIGINT.
*/
#include "party_cmd.h"
#include "distrib.h"
#include "transport_zmq.h"
#include "wire.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char keygen_usage[] =
    "usage: ppdl keygen NAME\n"
    "Writes a CURVE key pair: NAME.key (the secret, mode 0600) and NAME.pub, and prints\n"
    "the public key for the parties file's line 'party NAME endpoint tcp://HOST:PORT key PUBLIC'.\n";
static const char serve_usage[] =
    "usage: ppdl serve --party NAME --parties FILE [--key FILE] [--timeout MS]\n"
    "                  [--run SCRIPT [--seed N | --public-seed N] [--strict]] [--show-narrator]\n"
    "Runs party NAME's end of a distributed run: listens at its endpoint in FILE, with\n"
    "its secret key from --key (default NAME.key).  With --run it runs SCRIPT as party\n"
    "NAME (every party runs it, with the same seed); when FILE has a 'narrator' line it\n"
    "runs what the narrator (ppdl --parties FILE) sends; otherwise it answers pings.\n"
    "  --show-narrator what this party prints goes to the narrator (else peeks are refused)\n"
    "  --timeout MS    wait at most MS milliseconds for a peer's message (default 10000)\n";

static int usage(const char *text, const char *why, const char *arg)
{
    fputs("ppdl: ", stderr);
    fprintf(stderr, why, arg);
    fputc('\n', stderr);
    fputs(text, stderr);
    return 2;
}

bool party_cmd_is(int argc, char **argv)
{
    return argc > 1 && (strcmp(argv[1], "keygen") == 0 || strcmp(argv[1], "serve") == 0);
}

static int keygen(int argc, char **argv)
{
    if (argc != 3 || argv[2][0] == '-') return usage(keygen_usage, "keygen needs one NAME%s", "");
    char pub[TZ_KEY_LEN + 1], err[512];
    if (tz_keygen(argv[2], pub, err, sizeof err) != 0) { fprintf(stderr, "ppdl: keygen: %s\n", err); return 1; }
    printf("%s\n", pub);
    fprintf(stderr, "ppdl: wrote %s.key (secret: keep it, never share it) and %s.pub\n", argv[2], argv[2]);
    return 0;
}

static volatile sig_atomic_t stop_asked;
static void on_stop(int sig) { (void)sig; stop_asked = 1; }

/* Answers one frame; false when it says "stop". */
static bool answer(MsgTransport *t, int self, int from, const uint8_t *buf, size_t len, const char *me)
{
    WireR r; WireHdr h; const msgpack_object *p;
    wire_r_init(&r, "peer");
    bool go_on = true;
    if (wire_open_frame(&r, buf, len, &h, &p)) {
        if (strcmp(h.kind, "stop") == 0) go_on = false;
        else if (strcmp(h.kind, "ping") == 0) {
            int64_t x = 0;
            WireW w;
            wire_w_init(&w);
            WireHdr o = { "pong", self, from, h.round };
            wire_put_envelope(&w, &o);
            if (wire_get_int(&r, p, INT64_MIN, INT64_MAX, &x)) wire_put_int(&w, x); else wire_put_nil(&w);
            size_t n;
            uint8_t *f = wire_w_take(&w, &n);
            if (t->post(t, self, from, f, n) != 0) { free(f); fprintf(stderr, "ppdl serve %s: %s\n", me, tz_error(t)); }
        } else fprintf(stderr, "ppdl serve %s: ignoring a message of kind '%s' from party %d\n", me, h.kind, from);
    }
    wire_r_free(&r);
    return go_on;
}

static int serve(int argc, char **argv)
{
    const char *name = NULL, *file = NULL, *key = NULL;
    int timeout = 0;
    DistribOptions run = { 0 };
    bool show = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { fputs(serve_usage, stdout); return 0; }
        if (strcmp(a, "--strict") == 0) { run.strict = true; continue; }
        if (strcmp(a, "--show-narrator") == 0) { show = true; continue; }
        bool known = strcmp(a, "--party") == 0 || strcmp(a, "--parties") == 0 || strcmp(a, "--key") == 0
                     || strcmp(a, "--timeout") == 0 || strcmp(a, "--run") == 0 || strcmp(a, "--seed") == 0
                     || strcmp(a, "--public-seed") == 0;
        if (!known) return usage(serve_usage, "serve: unknown argument '%s'", a);
        if (!v) return usage(serve_usage, "serve: option '%s' needs an argument", a);
        i++;
        if (strcmp(a, "--party") == 0) name = v;
        else if (strcmp(a, "--parties") == 0) file = v;
        else if (strcmp(a, "--key") == 0) key = v;
        else if (strcmp(a, "--run") == 0) run.script = v;
        else if (strcmp(a, "--seed") == 0 || strcmp(a, "--public-seed") == 0) {
            char *end;
            uint64_t sd = strtoull(v, &end, 10);
            if (*end || v[0] < '0' || v[0] > '9') return usage(serve_usage, "serve: invalid seed '%s' (a non-negative integer)", v);
            if (a[2] == 's') { run.seed = sd; run.seeded = true; }
            else { run.pub_seed = sd; run.pub_seeded = true; }
        } else {
            char *end;
            long ms = strtol(v, &end, 10);
            if (*end || ms < 1 || ms > 3600000) return usage(serve_usage, "serve: invalid timeout '%s' (milliseconds, 1 to 3600000)", v);
            timeout = (int)ms;
        }
    }
    if (!name || !file) return usage(serve_usage, "serve needs --party NAME and --parties FILE%s", "");
    char err[512], sec[TZ_KEY_LEN + 1], kpath[64];
    PartiesFile pf;
    if (pf_load(&pf, file, err, sizeof err) != 0) { fprintf(stderr, "ppdl: %s\n", err); return 1; }
    int self = pf_find(&pf, name);
    if (self && self == pf.narrator) {
        fprintf(stderr, "ppdl: serve: '%s' is the narrator in %s, not a party (the narrator runs "
                "'ppdl --parties %s')\n", name, file, file);
        pf_free(&pf);
        return 1;
    }
    if (!self) {
        fprintf(stderr, "ppdl: serve: no party '%s' in %s (add a 'party %s ...' line)\n", name, file, name);
        pf_free(&pf);
        return 1;
    }
    if (!key) { snprintf(kpath, sizeof kpath, "%s.key", name); key = kpath; }
    if (tz_read_key(key, true, sec, err, sizeof err) != 0) { fprintf(stderr, "ppdl: serve: %s\n", err); pf_free(&pf); return 1; }
    TzConfig c = { &pf, self, sec, timeout, 0 };
    MsgTransport *t = tz_open(&c, err, sizeof err);
    explicit_bzero(sec, sizeof sec);
    if (t && !run.script && pf.narrator) {
        int rc = distrib_session(t, &pf, name, show);
        pf_free(&pf);
        return rc;
    }
    if (t && run.script) {
        run.timeout_ms = timeout;
        run.show = show;
        int rc = distrib_party(t, &pf, name, &run);
        pf_free(&pf);
        return rc;
    }
    pf_free(&pf);
    if (!t) { fprintf(stderr, "ppdl: serve: %s\n", err); return 1; }
    struct sigaction sa = { .sa_handler = on_stop };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    bool go_on = true;
    while (go_on && !stop_asked) {
        int from; uint8_t *buf; size_t len;
        if (tz_deliver_any(t, &from, &buf, &len) != 0) {
            if (stop_asked) break;
            if (strncmp(tz_error(t), "no message for", 14) != 0) fprintf(stderr, "ppdl serve %s: %s\n", name, tz_error(t));
            continue;
        }
        go_on = answer(t, self, from, buf, len, name);
        free(buf);
    }
    t->close(t);
    return 0;
}

int party_cmd_main(int argc, char **argv)
{
    return strcmp(argv[1], "keygen") == 0 ? keygen(argc, argv) : serve(argc, argv);
}
