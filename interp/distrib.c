/*
** distrib.c — one script across processes (distrib.h, docs/distributed.md).
**
** The driver (`ppdl --processes FILE`) reads the parties the script declares at its top
** level, makes a private directory with a fresh CURVE key pair per party and a parties
** file on 127.0.0.1 with free ports, and starts one process per party:
** `ppdl serve --party NAME --parties FILE --key KEY --run SCRIPT --public-seed N` (or
** `--seed N` when the user gave one).  They form
** one process group of their own (Ctrl-C at the terminal reaches the driver, which
** stops them) and each dies with the driver (PR_SET_PDEATHSIG).  The first party's
** process writes to the driver's stdout and stderr; the others' stdout is discarded and
** their stderr kept, shown when they fail.  The driver waits for the first party, gives
** the others the timeout to finish, stops whoever is left, removes the keys, and exits
** with the first party's status (1 if another party failed on its own).
**
** A party's process runs the script through the evaluator like `ppdl FILE`, with its
** message layer's transport replaced by the party's carrier (transport_mirror.h) and
** the other parties' values as stand-ins (interp/replica.c): the replicated narrator of
** docs/distributed.md.
*/
#include "distrib.h"
#include "interp.h"
#include "transport_mirror.h"
#include "transport_zmq.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_PARTIES = 64 };

/* ------------------------------------------------------------ the party's side ---- */

static const char *interp_party(void *ctx, int id)
{
    Interp *I = ctx;
    return id > 0 && id <= I->nparties ? I->parties[id].name->name : NULL;
}

/* PPDL_TEST_LEAVE=NAME:ROUND (tests only): party NAME's process dies when the run goes
** past round ROUND (its first frame of a later round), as a machine going down would. */
int distrib_leave_round(const char *self)
{
    const char *e = getenv("PPDL_TEST_LEAVE");
    size_t n = strlen(self);
    if (!e || strncmp(e, self, n) != 0 || e[n] != ':') return 0;
    return atoi(e + n + 1);
}

void distrib_tmp_template(char *buf, size_t n, const char *stem)
{
    const char *t = getenv("TMPDIR");
    if (!t || !*t || strlen(t) + strlen(stem) + 9 > n) t = "/tmp";
    snprintf(buf, n, "%s/%s-XXXXXX", t, stem);
}

static char scratch[512];
static void remove_scratch(void)
{
    size_t n = strlen(scratch);
    if (n >= 6 && strcmp(scratch + n - 6, "XXXXXX") != 0) distrib_remove_dir(scratch);  /* made */
}

int distrib_party(MsgTransport *net, const PartiesFile *pf, const char *self, const DistribOptions *o)
{
    Interp *I = ev_new();
    MirrorConfig mc = { net, pf, self, interp_party, I, distrib_leave_round(self), NULL };
    msg_free(&I->msg);
    msg_init(&I->msg, &I->tr, mirror_open(&mc));
    I->strict = o->strict;
    I->rep_shows = o->show;
    I->mirror_self = self;      /* made at the first copy; removed at exit, even a */
    distrib_tmp_template(scratch, sizeof scratch, "ppdl-mirror");
    I->mirror_dir = scratch;    /* fatal network error's */
    atexit(remove_scratch);
    if (o->seeded) ev_seed(I, o->seed);
    else if (o->pub_seeded) ev_public_seed(I, o->pub_seed);
    EvStatus st = ev_run_file(I, o->script);
    fflush(stdout);
    I->mirror_dir = NULL;
    ev_free(I);                 /* closes the links: lingers until the last frames left */
    return st == EV_OK ? 0 : 1;
}

/* ------------------------------------------------------------ the driver ---------- */

/* The names of the parties declared at the top level of the script, in order. */
static int script_parties(const char *path, char names[][PF_NAME_MAX + 1], int max)
{
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "ppdl: cannot open '%s': %s\n", path, strerror(errno)); return -1; }
    Sb b; sb_init(&b);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sb_put(&b, buf, k);
    fclose(f);
    Interp *I = ev_new();
    Source *src = src_new(path, b.s ? b.s : "", b.n, 1);
    sb_free(&b);
    ParseDiag d;
    memset(&d, 0, sizeof d);
    AstUnit *u = ps_parse(&I->syms, src, &d);
    int n = 0;
    if (!u) {
        src_report(stderr, src, d.off, d.len ? d.len : 1, "error", d.msg[0] ? d.msg : "unexpected end of input");
        n = -1;
    }
    for (int i = 0; u && i < u->root->list.n && n >= 0; i++) {
        Node *s = u->root->list.v[i];
        if (s->kind != N_PARTY) continue;
        for (int j = 0; j < s->list.n && n >= 0; j++) {
            const char *name = s->list.v[j]->v.name->name;
            bool dup = false;
            for (int q = 0; q < n; q++) dup |= strcmp(names[q], name) == 0;
            if (dup) continue;
            if (n == max || strlen(name) > PF_NAME_MAX) {
                fprintf(stderr, "ppdl: --processes: %s\n", n == max ? "too many parties" : "a party name is longer than 31 characters");
                n = -1;
                break;
            }
            snprintf(names[n++], PF_NAME_MAX + 1, "%s", name);
        }
    }
    if (u) ast_unit_release(u);
    src_release(src);
    ev_free(I);
    return n;
}

/* A TCP port on 127.0.0.1 that nothing listens on now (0 if none). */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return 0;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    int port = 0;
    if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr *)&a, &al) == 0)
        port = ntohs(a.sin_port);
    close(s);
    return port;
}

/* Removes a directory of plain files: a run's keys, parties file and logs, or a
** mirrored process's copies of the files of the parties it simulates. */
void distrib_remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

static void show_log(const char *dir, const char *name)
{
    char p[512], line[1024];
    snprintf(p, sizeof p, "%s/%s.err", dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "warning: seed(", 14) != 0) fprintf(stderr, "  %s: %s", name, line);
    fclose(f);
}

/* Starts party i's process; its pid, or -1. */
static pid_t start_party(const DistribOptions *o, const char *dir, const char *name, int i, pid_t pgid,
                         pid_t driver, uint64_t seed)
{
    char pfile[512], key[512], errf[512], seeds[32], tmo[32];
    snprintf(pfile, sizeof pfile, "%s/parties", dir);
    snprintf(key, sizeof key, "%s/%s.key", dir, name);
    snprintf(errf, sizeof errf, "%s/%s.err", dir, name);
    snprintf(seeds, sizeof seeds, "%llu", (unsigned long long)seed);
    snprintf(tmo, sizeof tmo, "%d", o->timeout_ms > 0 ? o->timeout_ms : TZ_TIMEOUT_MS);
    const char *argv[20];
    int a = 0;
    argv[a++] = "ppdl"; argv[a++] = "serve"; argv[a++] = "--party"; argv[a++] = name;
    argv[a++] = "--parties"; argv[a++] = pfile; argv[a++] = "--key"; argv[a++] = key;
    argv[a++] = "--timeout"; argv[a++] = tmo;
    argv[a++] = o->seeded ? "--seed" : "--public-seed"; argv[a++] = seeds;
    if (o->strict) argv[a++] = "--strict";
    argv[a++] = "--show-narrator";         /* one user owns every party */
    argv[a++] = "--run"; argv[a++] = o->script; argv[a] = NULL;
    fflush(stdout); fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        setpgid(0, pgid);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != driver) _exit(1);          /* the driver died before prctl */
        signal(SIGINT, SIG_DFL); signal(SIGTERM, SIG_DFL);
        if (i > 0) {
            int dn = open("/dev/null", O_RDWR), ef = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (dn >= 0) dup2(dn, STDOUT_FILENO);
            if (ef >= 0) dup2(ef, STDERR_FILENO);
        }
        int dn = open("/dev/null", O_RDONLY);
        if (dn >= 0) dup2(dn, STDIN_FILENO);
        execv("/proc/self/exe", (char **)argv);
        fprintf(stderr, "ppdl: cannot start party %s: %s\n", name, strerror(errno));
        _exit(1);
    }
    setpgid(pid, pgid ? pgid : pid);
    return pid;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int distrib_processes(const DistribOptions *o)
{
    char names[MAX_PARTIES][PF_NAME_MAX + 1];
    int n = script_parties(o->script, names, MAX_PARTIES);
    if (n < 0) return 1;
    if (n < 2) {
        fprintf(stderr, "ppdl: --processes: '%s' declares %d part%s at its top level; a distributed "
                "run needs at least two ('party alice, bob')\n", o->script, n, n == 1 ? "y" : "ies");
        return 2;
    }
    char dir[256];
    distrib_tmp_template(dir, sizeof dir, "ppdl-run");
    if (!mkdtemp(dir)) { fprintf(stderr, "ppdl: cannot make a directory for the run: %s\n", strerror(errno)); return 1; }
    char path[600], err[512], pub[TZ_KEY_LEN + 1];
    snprintf(path, sizeof path, "%s/parties", dir);
    FILE *pf = fopen(path, "w");
    int rc = pf ? 0 : 1;
    for (int i = 0; i < n && rc == 0; i++) {
        char base[600];
        snprintf(base, sizeof base, "%s/%.31s", dir, names[i]);
        int port = free_port();
        if (tz_keygen(base, pub, err, sizeof err) != 0 || !port) {
            fprintf(stderr, "ppdl: --processes: %s\n", port ? err : "no free port on 127.0.0.1");
            rc = 1;
        } else fprintf(pf, "party %s endpoint tcp://127.0.0.1:%d key %s\n", names[i], port, pub);
    }
    if (pf && fclose(pf) != 0) rc = 1;
    uint64_t seed = o->seed;
    if (!o->seeded && getrandom(&seed, sizeof seed, 0) != sizeof seed) rc = 1;
    seed &= (1ULL << 53) - 1;
    if (rc) { distrib_remove_dir(dir); return rc; }

    struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    pid_t pids[MAX_PARTIES], driver = getpid(), pgid = 0;
    int status[MAX_PARTIES];
    bool done[MAX_PARTIES];
    for (int i = 0; i < n; i++) {
        done[i] = false; status[i] = 0;
        pids[i] = start_party(o, dir, names[i], i, pgid, driver, seed);
        if (pids[i] < 0) { fprintf(stderr, "ppdl: cannot start party %s: %s\n", names[i], strerror(errno)); done[i] = true; status[i] = 1 << 8; rc = 1; break; }
        if (!pgid) pgid = pids[i];
    }
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : TZ_TIMEOUT_MS;
    long deadline = -1;             /* set when the first party has finished */
    int left = 0;
    for (int i = 0; i < n; i++) left += pids[i] > 0 && !done[i];
    bool killed = rc != 0;
    if (rc) kill(-pgid, SIGTERM);
    while (left > 0) {
        if (stop_signal && !killed) {
            fprintf(stderr, "ppdl: interrupted: stopping the parties\n");
            kill(-pgid, SIGTERM);
            killed = true;
            deadline = now_ms() + 2000;
        }
        if (deadline >= 0 && now_ms() > deadline) {
            kill(-pgid, killed ? SIGKILL : SIGTERM);
            killed = true;
            deadline = now_ms() + 2000;
        }
        int st;
        pid_t w = waitpid(-1, &st, WNOHANG);
        if (w <= 0) { struct timespec ts = { 0, 20 * 1000 * 1000 }; nanosleep(&ts, NULL); continue; }
        for (int i = 0; i < n; i++) {
            if (pids[i] != w || done[i]) continue;
            done[i] = true; status[i] = st; left--;
            if (i == 0) {
                if (WIFEXITED(st) && WEXITSTATUS(st) == 0) deadline = now_ms() + timeout;
                else if (!killed) { kill(-pgid, SIGTERM); killed = true; deadline = now_ms() + 2000; }
            }
        }
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    /* the verdict: the first party's status; the others' failures reported */
    int st0 = status[0];
    rc = WIFEXITED(st0) ? WEXITSTATUS(st0) : 1;
    if (!WIFEXITED(st0) && !stop_signal)
        fprintf(stderr, "ppdl: party %s stopped (signal %d)\n", names[0], WTERMSIG(st0));
    for (int i = 1; i < n; i++) {
        int st = status[i];
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) continue;
        if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGTERM || stop_signal)) continue;   /* we stopped it */
        if (WIFSIGNALED(st)) fprintf(stderr, "ppdl: party %s left the run (signal %d)\n", names[i], WTERMSIG(st));
        else if (rc == 0) {    /* when the first party failed, its error says why */
            fprintf(stderr, "ppdl: party %s failed:\n", names[i]);
            show_log(dir, names[i]);
            rc = 1;
        }
    }
    distrib_remove_dir(dir);
    if (stop_signal) rc = 130;
    return rc;
}
