/*
** network_io.c — the model file format: saving a model atomically and loading it back with
** every defect reported against the file's name.  Owns nothing else (no optimiser
** state is saved: a loaded model starts its optimiser afresh).
**
** Format version 1: a text header, the raw weights, a checksum line.
**   ppdl-model 1
**   name mlp
**   layers 4
**   dense 784 128                       one line a layer, arguments as in ppdl:
**   relu                                  conv2d IN OUT K STRIDE PAD, maxpool2d K,
**   dense 128 10                          dropout P, sigmoid|tanh [taylor D |
**   softmax                               interpolate D LO HI], flatten, relu, softmax
**   params 101770
**   <101770 float32, little-endian, in the flat layout of network.h>
**   crc32 1a2b3c4d                      CRC-32 (IEEE) of every byte before this line
** Written to a temporary file in the same directory, flushed, fsync'ed and renamed over
** the destination, so a crash or Ctrl-C leaves either the old file or the new one.
*/
#include "network.h"
#include "mem.h"
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* CRC-32 (IEEE, as gzip and PNG) from zlib, which ppdl links for IDX files already. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    return (uint32_t)crc32_z(crc, p, n);
}

static void put_layer(Sb *b, const NnLayer *l)
{
    sb_puts(b, nn_kind_name(l->kind));
    switch (l->kind) {
    case NN_DENSE: sb_printf(b, " %d %d", l->in, l->out); break;
    case NN_CONV2D: sb_printf(b, " %d %d %d %d %d", l->in, l->out, l->k, l->stride, l->pad); break;
    case NN_MAXPOOL2D: sb_printf(b, " %d", l->k); break;
    case NN_DROPOUT: sb_printf(b, " %.17g", l->p); break;
    case NN_SIGMOID: case NN_TANH:
        if (l->approx.kind == NN_APPROX_TAYLOR) sb_printf(b, " taylor %d", l->approx.degree);
        else if (l->approx.kind == NN_APPROX_INTERVAL)
            sb_printf(b, " interpolate %d %.17g %.17g", l->approx.degree, l->approx.lo, l->approx.hi);
        break;
    default: break;
    }
    sb_putc(b, '\n');
}

int nn_save(const NnModel *m, const char *path, RtErr *err)
{
    const NnNet *net = m->net;
    Sb b; sb_init(&b);
    sb_printf(&b, "ppdl-model 1\nname %s\nlayers %d\n", net->name, net->n);
    for (int l = 0; l < net->n; l++) put_layer(&b, &net->layer[l]);
    sb_printf(&b, "params %zu\n", net->nparams);
    for (size_t i = 0; i < net->nparams; i++) {
        uint32_t u; memcpy(&u, &m->w[i], 4);
        char le[4] = { (char)(u & 0xff), (char)(u >> 8 & 0xff), (char)(u >> 16 & 0xff), (char)(u >> 24) };
        sb_put(&b, le, 4);
    }
    uint32_t crc = crc32_update(0, (const unsigned char *)b.s, b.n);
    sb_printf(&b, "crc32 %08x\n", crc);

    size_t plen = strlen(path);
    char *tmp = xmalloc(plen + 16);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rt_err(err, RT_EIO, "cannot write '%s': %s", path, strerror(errno));
        free(tmp); sb_free(&b);
        return -1;
    }
    fchmod(fd, 0644);
    size_t off = 0;
    int rc = 0;
    while (off < b.n) {
        ssize_t w = write(fd, b.s + off, b.n - off);
        if (w < 0) { if (errno == EINTR) continue; rc = -1; break; }
        off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) < 0) rc = -1;
    int e = errno;
    if (close(fd) < 0 && rc == 0) { rc = -1; e = errno; }
    if (rc == 0 && rename(tmp, path) < 0) { rc = -1; e = errno; }
    if (rc < 0) {
        rt_err(err, RT_EIO, "cannot write '%s': %s", path, strerror(e));
        unlink(tmp);
    }
    free(tmp);
    sb_free(&b);
    return rc;
}

/* A cursor over the file's bytes that hands out one text line at a time. */
typedef struct Cur { const char *p, *end; int line; } Cur;

static bool next_line(Cur *c, char *out, size_t cap)
{
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    if (!nl || (size_t)(nl - c->p) >= cap) return false;
    memcpy(out, c->p, (size_t)(nl - c->p));
    out[nl - c->p] = 0;
    c->p = nl + 1;
    c->line++;
    return true;
}

/* Reads n integers (each in int range: sscanf's %d is undefined beyond it) from s into
** out[0..n); returns the offset after them, or -1. */
static int ints(const char *s, int n, int *const *out)
{
    const char *p = s;
    for (int i = 0; i < n; i++) {
        while (*p == ' ') p++;
        char *e;
        errno = 0;
        long v = strtol(p, &e, 10);
        if (e == p || errno == ERANGE || v < INT_MIN || v > INT_MAX) return -1;
        *out[i] = (int)v;
        p = e;
    }
    return (int)(p - s);
}

static bool parse_layer(const char *s, NnLayer *l)
{
    char kind[32], ap[32];
    int used = 0;
    memset(l, 0, sizeof *l);
    l->stride = 1;
    if (sscanf(s, "%31s%n", kind, &used) != 1) return false;
    const char *rest = s + used;
    int end = -1;
    if (!strcmp(kind, "dense")) { l->kind = NN_DENSE; end = ints(rest, 2, (int *[]){ &l->in, &l->out }); }
    else if (!strcmp(kind, "conv2d")) {
        l->kind = NN_CONV2D;
        end = ints(rest, 5, (int *[]){ &l->in, &l->out, &l->k, &l->stride, &l->pad });
    }
    else if (!strcmp(kind, "maxpool2d")) { l->kind = NN_MAXPOOL2D; end = ints(rest, 1, (int *[]){ &l->k }); }
    else if (!strcmp(kind, "dropout")) { l->kind = NN_DROPOUT; sscanf(rest, " %lf%n", &l->p, &end); }
    else if (!strcmp(kind, "flatten")) { l->kind = NN_FLATTEN; end = 0; }
    else if (!strcmp(kind, "relu")) { l->kind = NN_RELU; end = 0; }
    else if (!strcmp(kind, "square")) { l->kind = NN_SQUARE; end = 0; }
    else if (!strcmp(kind, "softmax")) { l->kind = NN_SOFTMAX; end = 0; }
    else if (!strcmp(kind, "sigmoid") || !strcmp(kind, "tanh")) {
        l->kind = kind[0] == 's' ? NN_SIGMOID : NN_TANH;
        end = 0;
        if (sscanf(rest, " %31s%n", ap, &used) == 1) {
            rest += used;
            end = -1;
            if (!strcmp(ap, "taylor")) {
                l->approx.kind = NN_APPROX_TAYLOR;
                end = ints(rest, 1, (int *[]){ &l->approx.degree });
            } else if (!strcmp(ap, "interpolate")) {
                l->approx.kind = NN_APPROX_INTERVAL;
                int d = ints(rest, 1, (int *[]){ &l->approx.degree }), e2 = -1;
                if (d >= 0) sscanf(rest + d, " %lf %lf%n", &l->approx.lo, &l->approx.hi, &e2);
                end = d >= 0 && e2 >= 0 ? d + e2 : -1;
            }
        }
    } else return false;
    if (end < 0) return false;
    for (const char *p = rest + end; *p; p++) if (*p != ' ') return false;
    return true;
}

NnModel *nn_load(const char *path, RtErr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) { rt_err(err, RT_EIO, "cannot open model file '%s': %s", path, strerror(errno)); return NULL; }
    Sb b; sb_init(&b);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) sb_put(&b, chunk, got);
    fclose(f);
    NnModel *m = NULL;
    NnLayer *layers = NULL;
    NnNet *net = NULL;
    Cur c = { b.s, b.s + b.n, 0 };
    char line[512], name[256];
    int n = 0;
    size_t np = 0;
    const char *why = NULL;
    if (!next_line(&c, line, sizeof line) || strcmp(line, "ppdl-model 1") != 0) {
        why = b.n == 0 ? "empty file" : "not a ppdl model file (no 'ppdl-model 1' header)";
        goto fail;
    }
    if (!next_line(&c, line, sizeof line) || strncmp(line, "name ", 5) != 0 || strlen(line + 5) >= sizeof name) {
        why = "truncated or damaged header (line 'name')"; goto fail;
    }
    strcpy(name, line + 5);
    if (!next_line(&c, line, sizeof line) || strncmp(line, "layers ", 7) != 0 ||
        ints(line + 7, 1, (int *[]){ &n }) != (int)strlen(line + 7) || n < 1 || n > 10000) {
        why = "truncated or damaged header (line 'layers')"; goto fail;
    }
    layers = xcalloc((size_t)n, sizeof *layers);
    for (int l = 0; l < n; l++) {
        if (!next_line(&c, line, sizeof line)) { why = "truncated in the layer list"; goto fail; }
        if (!parse_layer(line, &layers[l])) {
            rt_err(err, RT_EINVAL, "model file '%s', line %d: bad layer '%.60s'", path, c.line, line);
            goto fail_msg;
        }
    }
    if (!next_line(&c, line, sizeof line) || sscanf(line, "params %zu", &np) != 1) {
        why = "truncated or damaged header (line 'params')"; goto fail;
    }
    {
        RtErr e2;
        net = nn_net_new(name, n, layers, &e2);
        if (!net) { rt_err(err, RT_EFORMAT, "model file '%.60s': %.180s", path, e2.msg); goto fail_msg; }
    }
    if (net->nparams != np) {
        rt_err(err, RT_EINVAL, "model file '%s': the layers need %zu parameters, the file says %zu",
                 path, net->nparams, np);
        goto fail_msg;
    }
    if ((size_t)(c.end - c.p) < np * 4) {
        rt_err(err, RT_EINVAL, "model file '%s' is truncated: %zu of %zu parameter bytes present",
                 path, (size_t)(c.end - c.p), np * 4);
        goto fail_msg;
    }
    const unsigned char *wp = (const unsigned char *)c.p;
    size_t body = (size_t)(c.p - b.s) + np * 4;
    c.p += np * 4;
    unsigned want = 0;
    if (!next_line(&c, line, sizeof line) || sscanf(line, "crc32 %8x", &want) != 1) {
        why = "truncated: the checksum line is missing"; goto fail;
    }
    if (crc32_update(0, (const unsigned char *)b.s, body) != want) {
        why = "checksum mismatch: the file is damaged"; goto fail;
    }
    if (c.p != c.end) { why = "unexpected bytes after the checksum"; goto fail; }
    {
        Rng dummy;      /* the initial weights are overwritten below */
        rng_seed(&dummy, 0);
        m = nn_model_new(net, &dummy);
        rng_wipe(&dummy);
    }
    for (size_t i = 0; i < np; i++) {
        uint32_t u = (uint32_t)wp[4 * i] | (uint32_t)wp[4 * i + 1] << 8 |
                     (uint32_t)wp[4 * i + 2] << 16 | (uint32_t)wp[4 * i + 3] << 24;
        memcpy(&m->w[i], &u, 4);
    }
    nn_net_free(net); free(layers); sb_free(&b);
    return m;
fail:
    rt_err(err, RT_EINVAL, "model file '%s': %s", path, why);
fail_msg:
    nn_net_free(net); free(layers); sb_free(&b);
    return NULL;
}
