/*
** ev_run.c — running code: parsing and resolving a source, executing its statements at
** the top level (echoing bare expressions at the REPL, collecting cycles between
** statements), files and imports, globals and parties, and the interpreter's life cycle.
*/
#include "ev.h"
#include "mem.h"
#include "embed.h"
#include "lib.h"
#include "lib_paillier.h"
#include "shares.h"
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t no_interrupt;

/* ------------------------------------------------------------- globals -------- */

static void ensure_global(Interp *I, uint32_t id)
{
    if (id < I->gcap) return;
    uint32_t cap = I->gcap ? I->gcap : 256;
    while (cap <= id) cap *= 2;
    I->globals = xrealloc(I->globals, cap * sizeof *I->globals);
    I->gdefined = xrealloc(I->gdefined, cap * sizeof *I->gdefined);
    for (uint32_t i = I->gcap; i < cap; i++) { I->globals[i] = VNONE; I->gdefined[i] = false; }
    I->gcap = cap;
}

void ev_set_global_id(Interp *I, uint32_t id, Value v)
{
    val_use_heap(&I->heap);
    ensure_global(I, id);
    Value old = I->globals[id];
    I->globals[id] = v; I->gdefined[id] = true;
    val_release(old);
}

void ev_set_global(Interp *I, const char *name, Value v)
{
    ev_set_global_id(I, sym_cstr(&I->syms, name)->id, v);
}

Value *ev_get_global(Interp *I, const char *name)
{
    Sym *s = sym_cstr(&I->syms, name);
    return s->id < I->gcap && I->gdefined[s->id] ? &I->globals[s->id] : NULL;
}

/* ------------------------------------------------------------- parties -------- */

int ev_add_party(Interp *I, Sym *name)
{
    for (int i = 1; i <= I->nparties; i++) if (I->parties[i].name == name) return i;
    if (I->nparties >= 65000) return 0;
    I->parties = xrealloc(I->parties, (size_t)(I->nparties + 2) * sizeof *I->parties);
    I->nparties++;
    I->parties[I->nparties] = (Party){ name, I->nparties, NULL, NULL };
    return I->nparties;
}

int ev_party_id(Interp *I, const char *name)
{
    for (int i = 1; i <= I->nparties; i++)
        if (strcmp(I->parties[i].name->name, name) == 0) return i;
    return 0;
}

const char *ev_party_name(const Interp *I, int id)
{
    return id > 0 && id <= I->nparties ? I->parties[id].name->name : "public";
}

/* A party's seed: the session's seed and the party's name, mixed (FNV-1a then a
** SplitMix64 finaliser), so that each party's stream depends on nothing else. */
static uint64_t party_seed(uint64_t seed, const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (const char *c = name; *c; c++) { h ^= (unsigned char)*c; h *= 0x100000001b3ull; }
    h ^= h >> 30; h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27; h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

Rng *ev_rng(Interp *I, int party)
{
    if (party <= 0 || party > I->nparties) return &I->rng;
    Party *p = &I->parties[party];
    if (!p->rng) {
        p->rng = xmalloc(sizeof *p->rng);
        /* across processes, a party this process stands in for draws from the OS: no
           process can recompute another's keys, shares or noise (interp/replica.c) */
        if (I->seeded && !rep_standin(I, party)) rng_seed(p->rng, party_seed(I->rng.seed, p->name->name));
        else rng_init(p->rng);
    }
    return p->rng;
}

void ev_public_seed(Interp *I, uint64_t seed)
{
    rng_seed(&I->rng, seed);
}

void ev_seed(Interp *I, uint64_t seed)
{
    rng_seed(&I->rng, seed);
    I->seeded = true;
    for (int i = 1; i <= I->nparties; i++)      /* every party restarts from the new seed */
        if (I->parties[i].rng && !rep_standin(I, i))
            rng_seed(I->parties[i].rng, party_seed(seed, I->parties[i].name->name));
    fprintf(I->errout, "warning: seed(%llu): randomness is now reproducible and INSECURE "
            "(keys, shares and noise can be recomputed); for classrooms and tests only\n",
            (unsigned long long)seed);
}

/* ------------------------------------------------------------ running ---------- */

static char *read_file(const char *path, size_t *len, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) { *err = errno; return NULL; }
    Sb b; sb_init(&b);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sb_put(&b, buf, k);
    int bad = ferror(f);
    fclose(f);
    if (bad) { sb_free(&b); *err = EIO; return NULL; }
    *len = b.n;
    return sb_take(&b);
}

static void maybe_collect(Interp *I)
{
    if (I->env || I->depth || I->import_depth) return;
    if (I->heap.made < I->heap.budget) return;
    val_use_heap(&I->heap);
    val_collect(I->globals, I->gcap, NULL, 0);
}

/* Parses, resolves and runs src at the top level or inside an import. */
static EvStatus run_source(Interp *I, Source *src, bool echo, bool report)
{
    val_use_heap(&I->heap);
    ParseDiag d;
    memset(&d, 0, sizeof d);
    AstUnit *u = ps_parse(&I->syms, src, &d);
    if (!u) {
        if (d.status == PARSE_INCOMPLETE && echo) return EV_INCOMPLETE;
        if (report) src_report(I->errout, src, d.off, d.len, "error",
                               d.status == PARSE_INCOMPLETE && !d.msg[0] ? "unexpected end of input" : d.msg);
        else {
            err_raise(I, "%s", d.msg[0] ? d.msg : "unexpected end of input");
            I->err_located = true; I->err_src = src_retain(src);
            I->err_off = d.off; I->err_len = d.len;
        }
        return EV_ERROR;
    }
    rs_resolve(u);
    Source *saved_src = I->cur_src; AstUnit *saved_unit = I->cur_unit;
    I->cur_src = u->src; I->cur_unit = u;
    EvStatus status = EV_OK;
    Node *prog = u->root;
    for (int i = 0; i < prog->list.n; i++) {
        Node *s = prog->list.v[i];
        if (echo && s->kind == N_EXPR) {
            I->bare_expr = s->a;
            Value v = ev_eval(I, s->a);
            I->bare_expr = NULL;
            if (IS_ERR(v)) { status = EV_ERROR; break; }
            if (!ev_may_peek(I, &v, "the value of this expression")) {
                val_release(v); ev_locate(I, s->a); status = EV_ERROR; break;
            }
            if (v.tag != V_NONE) {
                Sb b; sb_init(&b);
                val_show_seen(I, v, &b, false, val_owner(v));
                if (val_owner(v)) sb_printf(&b, "   (at %s)", ev_party_name(I, val_owner(v)));
                fprintf(I->out, "%s\n", b.s);
                sb_free(&b);
            }
            val_release(v);
        } else {
            int st = ev_exec(I, s);
            if (st == XS_ERR) { status = EV_ERROR; break; }
            if (st == XS_BREAK || st == XS_CONTINUE) {
                err_raise(I, "'%s' outside a loop", st == XS_BREAK ? "break" : "continue");
                ev_locate(I, s);
                status = EV_ERROR; break;
            }
        }
        if (!rep_sync(I)) { ev_locate(I, s); status = EV_ERROR; break; }
        fflush(I->out);
        maybe_collect(I);
    }
    I->cur_src = saved_src; I->cur_unit = saved_unit;
    ast_unit_release(u);        /* functions defined in it hold their own reference */
    if (status == EV_ERROR && report) err_report(I, I->errout);
    return status;
}

EvStatus ev_run(Interp *I, Source *src, bool echo)
{
    *I->interrupt = 0;
    EvStatus st = run_source(I, src, echo, true);
    I->cur_party = 0;
    I->depth = 0;
    return st;
}

EvStatus ev_run_file(Interp *I, const char *path)
{
    size_t len; int e = 0;
    char *text = read_file(path, &len, &e);
    if (!text) {
        fprintf(I->errout, "ppdl: cannot open '%s': %s\n", path, strerror(e));
        return EV_ERROR;
    }
    Source *src = src_new(path, text, len, 1);
    free(text);
    char *dup = xstrdup(path);
    const char *saved = I->import_dir;
    char *dir = xstrdup(dirname(dup));
    I->import_dir = dir;
    EvStatus st = ev_run(I, src, false);
    I->import_dir = saved;
    free(dir); free(dup);
    src_release(src);
    return st;
}

/* A library name has no slash and no extension: `import "federated"`. */
static bool is_library_name(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
    return true;
}

/* Runs an embedded library (stdlib/ppdl/NAME.ppdl) in the global scope. */
static int import_library(Interp *I, Node *n, const char *name)
{
    const EmbeddedLib *lib = embed_find(name);
    if (!lib) {
        Sb b; sb_init(&b);
        for (const EmbeddedLib *l = embedded_libs; l->name; l++)
            sb_printf(&b, "%s\"%s\"", l == embedded_libs ? "" : ", ", l->name);
        err_raise(I, "no library '%s' (libraries: %s; a file needs its '.ppdl' suffix)",
                  name, b.n ? b.s : "none");
        sb_free(&b);
        ev_locate(I, n);
        return XS_ERR;
    }
    char label[128];
    snprintf(label, sizeof label, "<library %s>", lib->name);
    Source *src = src_new(label, lib->text, lib->len, 1);
    const char *saved_dir = I->import_dir;
    Env *saved_env = I->env;
    I->import_dir = NULL; I->import_depth++; I->env = NULL;
    EvStatus st = run_source(I, src, false, false);
    I->import_depth--; I->import_dir = saved_dir; I->env = saved_env;
    src_release(src);
    return st == EV_OK ? XS_OK : XS_ERR;
}

int ev_exec_import(Interp *I, Node *n)
{
    if (I->import_depth >= 16) {
        err_raise(I, "imports nested too deeply (more than 16; is there an import cycle?)");
        ev_locate(I, n);
        return XS_ERR;
    }
    if (is_library_name(n->v.str.s)) return import_library(I, n, n->v.str.s);
    if (I->sandbox) {
        err_raise(I, "import is disabled in this sandbox");
        ev_locate(I, n);
        return XS_ERR;
    }
    char path[4096];
    const char *rel = n->v.str.s;
    if (rel[0] == '/' || !I->import_dir) snprintf(path, sizeof path, "%s", rel);
    else snprintf(path, sizeof path, "%s/%s", I->import_dir, rel);
    size_t len; int e = 0;
    char *text = read_file(path, &len, &e);
    if (!text) {
        err_raise(I, "cannot import '%s': %s", path, strerror(e));
        ev_locate(I, n);
        return XS_ERR;
    }
    Source *src = src_new(path, text, len, 1);
    free(text);
    char *dup = xstrdup(path);
    char *dir = xstrdup(dirname(dup));
    const char *saved_dir = I->import_dir;
    Env *saved_env = I->env;
    I->import_dir = dir; I->import_depth++; I->env = NULL;
    EvStatus st = run_source(I, src, false, false);
    I->import_depth--; I->import_dir = saved_dir; I->env = saved_env;
    free(dir); free(dup);
    src_release(src);
    return st == EV_OK ? XS_OK : XS_ERR;
}

/* ------------------------------------------------------------ lifecycle -------- */

Interp *ev_new(void)
{
    Interp *I = xcalloc(1, sizeof *I);
    val_heap_init(&I->heap);
    val_use_heap(&I->heap);
    sym_init(&I->syms);
    tr_init(&I->tr);
    msg_init(&I->msg, &I->tr, NULL);
    rng_init(&I->rng);
    I->interrupt = &no_interrupt;
    I->out = stdout;
    I->errout = stderr;
    I->parties = xrealloc(NULL, sizeof *I->parties);
    I->parties[0] = (Party){ sym_cstr(&I->syms, "public"), 0, NULL, NULL };
    lib_register_all(I);
    return I;
}

void ev_free(Interp *I)
{
    if (!I) return;
    val_use_heap(&I->heap);
    err_clear(I);
    for (uint32_t i = 0; i < I->gcap; i++) { Value v = I->globals[i]; I->globals[i] = VNONE; val_release(v); }
    val_release(I->ret); I->ret = VNONE;
    val_heap_close(&I->heap);
    lib_he_ring_close(I);               /* after the heap: freed schemes leave the ring */
    free(I->speed_last);
    ss_pai_keys_free(I->ss_keys);
    free(I->globals); free(I->gdefined);
    for (int i = 0; i <= I->nparties && I->parties; i++) {
        free(I->parties[i].dir);
        if (I->parties[i].rng) { rng_wipe(I->parties[i].rng); free(I->parties[i].rng); }
    }
    free(I->parties);
    for (size_t i = 0; i < I->nfiles; i++) free(I->files[i].path);
    free(I->files);
    for (int i = 0; i < I->npaths; i++) free(I->paths[i]);
    free(I->builtins);
    msg_free(&I->msg);
    tr_free(&I->tr);
    rng_wipe(&I->rng);
    sym_free(&I->syms);
    free(I);
}
