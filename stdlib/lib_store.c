/*
** lib_store.c — files per party, and the builtins about stores (docs/parties.md).
**
** Every file builtin resolves its path through lib_path(): inside `on p`, in `expr at
** p`, and for data at p written at the top level, a relative path is taken in p's directory
** (party_dir(p, dir); the working directory until set), and the session keeps a table
** of the files each party wrote.  A file a party wrote is that party's: another party
** cannot read it or overwrite it (a value reaches another party only as a recorded
** message), nor can a party reach into another party's configured directory.  The
** experimenter at the top level may load a party's file: the value comes back at that
** party, as if that party had loaded it.  A relative file to read that the working
** directory does not have is looked for next to the running script (in a party's
** default directory only).  What this does not do: sandbox the file
** system (absolute paths and files written before the session are outside the table).
*/
#include "lib.h"
#include "ev.h"
#include "mem.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An absolute spelling of path (no file system access beyond getcwd): "./" and "//"
** dropped, "a/../" folded, so that one file has one key in the table. */
static char *absolute(const char *path)
{
    char cwd[PATH_MAX];
    Sb b; sb_init(&b);
    if (path[0] != '/') sb_puts(&b, getcwd(cwd, sizeof cwd) ? cwd : ".");
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0) break;
        if (n == 1 && p[0] == '.') { /* skip */ }
        else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (b.n > 0 && b.s[b.n - 1] != '/') b.n--;
            if (b.n > 0) b.n--;
            b.s[b.n] = 0;
        } else { sb_putc(&b, '/'); sb_put(&b, p, n); }
        p += n;
    }
    if (!b.n) sb_putc(&b, '/');
    char *r = xstrdup(b.s);
    sb_free(&b);
    return r;
}

static FileRec *file_find(Interp *I, const char *key)
{
    for (size_t i = 0; i < I->nfiles; i++) if (strcmp(I->files[i].path, key) == 0) return &I->files[i];
    return NULL;
}

/* The party whose configured directory holds key, other than q (0 if none). */
static int dir_owner(Interp *I, const char *key, int q)
{
    for (int r = 1; r <= I->nparties; r++) {
        if (r == q || !I->parties[r].dir) continue;
        char *d = absolute(I->parties[r].dir);
        size_t n = strlen(d);
        bool inside = strncmp(key, d, n) == 0 && (key[n] == '/' || (n == 1 && d[0] == '/'));
        free(d);
        if (inside && strcmp(I->parties[r].dir, ".") != 0) return r;
    }
    return 0;
}

/* In a mirrored party process (docs/distributed.md), every process runs every party's
** steps: a file is written for real only by the process of the party whose file it is
** (public files: by the first party's), the others write their copy under mirror_dir,
** (made at the first copy) and a read takes that copy when there is one.  Takes res;
** returns the path to use. */
static char *mirrored(Interp *I, char *res, int mode, int q)
{
    int self = ev_party_id(I, I->mirror_self);
    if (q ? q == self : self == 1) return res;
    if (!I->mirror_made) {          /* a mkdtemp template until the first copy */
        if (mode != LIB_WRITE) return res;
        if (!mkdtemp(I->mirror_dir)) return res;
        I->mirror_made = true;
    }
    char *key = absolute(res);
    Sb b; sb_init(&b);
    sb_printf(&b, "%s/", I->mirror_dir);
    for (const char *c = key; *c; c++) sb_putc(&b, *c == '/' ? '%' : *c);
    free(key);
    if (mode == LIB_WRITE || access(b.s, F_OK) == 0) { free(res); res = xstrdup(b.s); }
    sb_free(&b);
    return res;
}

bool lib_path_at(Interp *I, Args *a, const char **path, int mode)
{
    int q = I->cur_party ? I->cur_party : I->file_at;
    if (!q && mode == LIB_WRITE && a->n > 0 && a->v[0].tag != V_STR) q = val_owner(a->v[0]);
    Value *priv = lib_kw(a, "private");
    if (!q && mode == LIB_WRITE && priv && priv->tag == V_BOOL && priv->as.b) {
        err_raise(I, "%s: a private key is written by its keyholder: run it inside 'on keyholder "
                  "{ }' (the file is then the keyholder's, and no other party can load it)", a->fname);
        return false;
    }
    const char *dir = q ? I->parties[q].dir : NULL;
    char *res;
    if (dir && (*path)[0] != '/') {
        Sb b; sb_init(&b);
        sb_printf(&b, "%s/%s", dir, *path);
        res = xstrdup(b.s);
        sb_free(&b);
    } else res = xstrdup(*path);
    /* a relative file to read that is not found from the working directory is taken next
    ** to the running script, so installed samples run from anywhere (docs/data.md) */
    bool default_dir = !dir || strcmp(dir, ".") == 0;
    if (mode == LIB_READ && default_dir && (*path)[0] != '/' && I->import_dir &&
        access(res, F_OK) != 0) {
        Sb b; sb_init(&b);
        sb_printf(&b, "%s/%s", I->import_dir, *path);
        if (access(b.s, F_OK) == 0) { free(res); res = xstrdup(b.s); }
        sb_free(&b);
    }
    char *key = absolute(res);
    FileRec *f = file_find(I, key);
    int owner = f ? f->party : 0, in_dir = dir_owner(I, key, q);
    if (!owner) owner = in_dir;
    bool ok = true;
    if (mode == LIB_READ) {
        if (owner && owner != q) {
            if (q) {
                err_raise(I, "%s: '%s' is %s %s; %s cannot read it (files are per party: %s can "
                          "send the value, and the message is recorded)", a->fname, *path,
                          f && f->party ? "a file of" : "in the directory of", ev_party_name(I, owner),
                          ev_party_name(I, q), ev_party_name(I, owner));
                ok = false;
            } else I->file_party = owner;   /* the experimenter loads it as that party */
        }
    } else if (owner != q && (owner || f)) {
        err_raise(I, "%s: '%s' is %s's file; %s cannot write it (files are per party)", a->fname,
                  *path, owner ? ev_party_name(I, owner) : "the public", q ? ev_party_name(I, q) : "the top level");
        ok = false;
    }
    if (ok && mode == LIB_READ && I->mirror_self) {
        /* across processes a party's file is read by that party's process only; the
           others build a stand-in from the value's skeleton (interp/replica.c) */
        int reader = q ? q : owner;
        if (rep_standin(I, reader)) {
            I->standin_from = reader;
            free(key); free(res);
            return false;
        }
        if (reader) I->standin_publish = true;
    }
    if (ok && mode == LIB_WRITE && !f) {
        if (I->nfiles == I->capfiles) {
            I->capfiles = I->capfiles ? I->capfiles * 2 : 16;
            I->files = xrealloc(I->files, I->capfiles * sizeof *I->files);
        }
        I->files[I->nfiles++] = (FileRec){ key, q };
        key = NULL;
    }
    free(key);
    if (!ok || I->npaths == (int)(sizeof I->paths / sizeof I->paths[0])) {
        free(res);
        if (ok) err_raise(I, "%s: too many paths in one call", a->fname);
        return false;
    }
    if (I->mirror_dir) res = mirrored(I, res, mode, q);
    I->paths[I->npaths++] = res;
    *path = res;
    return true;
}

bool lib_path(Interp *I, Args *a, int i, int mode, const char **out)
{
    return lib_str(I, a, i, out) && lib_path_at(I, a, out, mode);
}

/* --- builtins ------------------------------------------------------------------------- */

static Value b_party_dir(Interp *I, Args *a)
{
    int p;
    const char *dir;
    if (!lib_arity(I, a, 1, 2) || !lib_kwonly(I, a, NULL) || !lib_party(I, a, 0, &p)) return VERR;
    if (a->n == 1) return val_cstr(I->parties[p].dir ? I->parties[p].dir : ".");
    if (!lib_str(I, a, 1, &dir)) return VERR;
    if (!*dir) return lib_bad(I, a, 1, "directory name");
    free(I->parties[p].dir);
    I->parties[p].dir = xstrdup(dir);
    return VNONE;
}

static Value b_store_audit(Interp *I, Args *a)
{
    bool verbose = false;
    if (!lib_arity(I, a, 0, 0) || !lib_kwonly(I, a, (const char *const[]){ "verbose", NULL }) ||
        !lib_kwbool(I, a, "verbose", &verbose)) return VERR;
    Sb log; sb_init(&log);
    size_t bad = ev_store_audit(I, &log);
    if (verbose || bad) fprintf(I->out, "store audit: %zu problem%s\n%s", bad, bad == 1 ? "" : "s", log.s ? log.s : "");
    sb_free(&log);
    return VBOOL(bad == 0);
}

static const LibReg fns[] = {
    {"party_dir", b_party_dir, "party_dir(p) or party_dir(p, dir)",
     "The directory party p reads and writes its files in (relative paths inside `on p` and\n"
     "for p's data); \".\" (the working directory) until set.  A file a party writes is its\n"
     "own: another party cannot read or overwrite it, nor reach into its directory.",
     "party alice; party_dir(alice, \"/tmp\"); print(party_dir(alice))   # -> /tmp", LIB_NARRATOR},
    {"store_audit", b_store_audit, "store_audit(verbose = false)",
     "Checks every value reachable from the variables: each object in a party's store is\n"
     "reached only as that party's data, and was created there or arrived in a message the\n"
     "party received.  Prints the problems found; true when there are none.",
     "party a, b; x = [1, 2] at a; print(store_audit())   # -> true", LIB_NARRATOR},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_store = { "store", fns, NULL };
