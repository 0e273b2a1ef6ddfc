/*
** dataset_csv.c — the CSV loader (see ds_load_csv in dataset.h).  It owns the file format only:
** a header row of column names, then rows of numbers separated by commas; fields may be
** surrounded by spaces or double quotes ("" inside quotes is one quote; a quoted field
** cannot span lines); CRLF line ends, a UTF-8 byte-order mark, blank lines and a
** missing final newline are accepted.  Anything else is an error that names file, line
** and column — a bad value is never read as zero.
*/
#include "dataset.h"
#include "mem.h"
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable array of fields, each pointing into the line buffer. */
typedef struct Fields { char **f; size_t n, cap; } Fields;

static void push_field(Fields *fs, char *s)
{
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? 2 * fs->cap : 16;
        fs->f = xrealloc(fs->f, fs->cap * sizeof *fs->f);
    }
    fs->f[fs->n++] = s;
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* Splits line (modified in place) into trimmed, unquoted fields.  Returns 0, or the
** 1-based column of a malformed quoted field (negative when the quote is unterminated). */
static long split(char *line, Fields *fs)
{
    fs->n = 0;
    char *p = line;
    for (;;) {
        while (is_space(*p)) p++;
        char *start = p, *end;
        if (*p == '"') {
            char *w = start;
            p++;
            for (;;) {
                if (*p == 0) return -(long)(fs->n + 1);
                if (*p == '"') {
                    if (p[1] == '"') { *w++ = '"'; p += 2; continue; }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            end = w;
            while (is_space(*p)) p++;
            if (*p != ',' && *p != 0) return (long)(fs->n + 1);
        } else {
            while (*p != ',' && *p != 0) p++;
            end = p;
            while (end > start && is_space(end[-1])) end--;
        }
        int last = *p == 0;
        *end = 0;                   /* end <= p: terminates the field (p's ',' is consumed) */
        push_field(fs, start);
        if (last) return 0;
        p++;
    }
}

/* Appends s to a message, shortened to 40 characters. */
static const char *clip(const char *s, char *buf, size_t cap)
{
    if (strlen(s) <= 40) return s;
    snprintf(buf, cap, "%.37s...", s);
    return buf;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Parses one number field; on failure writes the message (without the file:line part). */
static int parse_num(const char *s, double *out, char *why, size_t cap)
{
    char buf[48];
    if (*s == 0) { snprintf(why, cap, "empty value"); return -1; }
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != 0) {
        snprintf(why, cap, "'%s' is not a number", clip(s, buf, sizeof buf));
        return -1;
    }
    if (!isfinite(v)) {
        snprintf(why, cap, "'%s' is not a finite number", clip(s, buf, sizeof buf));
        return -1;
    }
    if (isinf((float)v)) {       /* tensors are float32: it would silently become inf */
        snprintf(why, cap, "'%s' is outside the float32 range (magnitude at most %.7g)",
                 clip(s, buf, sizeof buf), (double)FLT_MAX);
        return -1;
    }
    *out = v;
    return 0;
}

Ds *ds_load_csv(const char *path, const char *label, int normalize, RtErr *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        rt_err(err, RT_EIO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *line = NULL; size_t linecap = 0; ssize_t len;
    long lineno = 0;
    Fields fs = { 0 };
    char **names = NULL; size_t ncols = 0; long labcol = -1;
    float *xs = NULL; size_t nx = 0, capx = 0;
    double *ys = NULL; size_t ny = 0, capy = 0;
    int ok = 0;
    char why[160];
    while ((len = getline(&line, &linecap, f)) != -1) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        char *s = line;
        if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB &&
            (unsigned char)s[2] == 0xBF) s += 3;
        const char *t = s;
        while (is_space(*t)) t++;
        if (*t == 0) continue;                     /* blank line */
        long bad = split(s, &fs);
        if (bad) {
            rt_err(err, RT_EINVAL, "%s:%ld: column %ld: %s", path, lineno, labs(bad),
                     bad < 0 ? "unterminated quoted field" : "text after a closing quote");
            goto done;
        }
        if (!names) {                              /* the header */
            ncols = fs.n;
            names = xrealloc(NULL, ncols * sizeof *names);
            for (size_t j = 0; j < ncols; j++) {
                char gen[32];
                if (*fs.f[j] == 0) snprintf(gen, sizeof gen, "column%zu", j + 1);
                names[j] = xstrdup(*fs.f[j] ? fs.f[j] : gen);
            }
            if (ncols < 2) {
                rt_err(err, RT_EINVAL, "%s:%ld: the header names %zu column; need at least "
                         "two (features and a label)", path, lineno, ncols);
                goto done;
            }
            if (!label) labcol = (long)ncols - 1;
            for (size_t j = 0; label && j < ncols && labcol < 0; j++)
                if (strcmp(names[j], label) == 0) labcol = (long)j;
            if (labcol < 0) {
                Sb b; sb_init(&b);
                for (size_t j = 0; j < ncols; j++) sb_printf(&b, "%s%s", j ? ", " : "", names[j]);
                rt_err(err, RT_EINVAL, "%s: no column '%s' for the label (columns: %s)",
                         path, label, b.s);
                sb_free(&b);
                goto done;
            }
            continue;
        }
        if (fs.n != ncols) {
            rt_err(err, RT_EINVAL, "%s:%ld: %zu column%s, expected %zu as in the header",
                     path, lineno, fs.n, fs.n == 1 ? "" : "s", ncols);
            goto done;
        }
        if (nx + ncols > tn_max_size || ny >= (size_t)INT_MAX) {
            rt_err(err, RT_EINVAL, "%s:%ld: too many values (a dataset holds at most %zu)",
                     path, lineno, tn_max_size);
            goto done;
        }
        if (nx + ncols > capx) { capx = capx ? 2 * capx : 1024; if (capx < nx + ncols) capx = nx + ncols; xs = xrealloc(xs, capx * sizeof *xs); }
        if (ny == capy) { capy = capy ? 2 * capy : 256; ys = xrealloc(ys, capy * sizeof *ys); }
        for (size_t j = 0; j < ncols; j++) {
            double v;
            if (parse_num(fs.f[j], &v, why, sizeof why) < 0) {
                rt_err(err, RT_EINVAL, "%s:%ld: column %zu ('%s'): %s", path, lineno, j + 1,
                         names[j], why);
                goto done;
            }
            if ((long)j == labcol) ys[ny] = v;
            else xs[nx++] = (float)v;
        }
        ny++;
    }
    if (ferror(f)) {
        rt_err(err, RT_EIO, "%s: read error: %s", path, strerror(errno));
        goto done;
    }
    if (!names) {
        rt_err(err, RT_EINVAL, "%s: empty file (expected a header row of column names)", path);
        goto done;
    }
    if (ny == 0) {
        rt_err(err, RT_EINVAL, "%s: no data rows after the header", path);
        goto done;
    }
    ok = 1;
done:
    fclose(f);
    free(line); free(fs.f);
    Ds *d = NULL;
    if (ok) {
        size_t nf = ncols - 1;
        Tn *x = tn_new(2, (int[]){ (int)ny, (int)nf });
        memcpy(x->data, xs, ny * nf * sizeof(float));
        Tn *y = tn_new(1, (int[]){ (int)ny });
        /* classes: the distinct label values, ascending */
        double *u = memcpy(xrealloc(NULL, ny * sizeof *u), ys, ny * sizeof *u);
        qsort(u, ny, sizeof *u, cmp_double);
        size_t k = 0;
        for (size_t i = 0; i < ny; i++) if (k == 0 || u[i] != u[k - 1]) u[k++] = u[i];
        int nclasses = k <= DS_MAXCLASSES ? (int)k : 0;
        for (size_t i = 0; i < ny; i++) {
            if (nclasses) {
                double *hit = bsearch(&ys[i], u, k, sizeof *u, cmp_double);
                y->data[i] = (float)(hit - u);
            } else y->data[i] = (float)ys[i];
        }
        d = ds_new(x, y, nclasses, err);
        if (d) {
            d->classval = nclasses ? xrealloc(u, k * sizeof *u) : NULL;
            if (!nclasses) free(u);
            d->features = xrealloc(NULL, nf * sizeof *d->features);
            for (size_t j = 0, o = 0; j < ncols; j++) {
                if ((long)j == labcol) d->label = names[j];
                else d->features[o++] = names[j];
            }
            d->nfeatures = (int)nf;
            free(names); names = NULL;
            d->origin = xstrdup(path);
            ds_set_name(d, base_name(path));
            if (normalize) ds_normalize(d, NULL, NULL);
        } else free(u);
    }
    if (names) { for (size_t j = 0; j < ncols; j++) free(names[j]); free(names); }
    free(xs); free(ys);
    return d;
}
