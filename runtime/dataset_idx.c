/*
** dataset_idx.c — the IDX loader (the MNIST / Fashion-MNIST format; see ds_load_idx in dataset.h).
** It owns the file format only: a big-endian magic (0x00000803 for an n × rows × cols
** block of unsigned bytes, 0x00000801 for n unsigned-byte labels), the dimensions, the
** data and nothing after it.  zlib's gzread reads compressed and plain files alike.
** Magic, dimensions, counts and lengths are checked; a short file is an error, never
** zero-padded.  Also the Fashion-MNIST convenience loader with its Debian-package hint.
*/
#include "dataset.h"
#include "mem.h"
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IDX_IMAGES 0x00000803u
#define IDX_LABELS 0x00000801u

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* True when a path looks like one of the Fashion-MNIST files of the Debian package. */
static int looks_fmnist(const char *path)
{
    return strncmp(path, DS_FMNIST_DIR, strlen(DS_FMNIST_DIR)) == 0 ||
           strstr(path, "fashion-mnist") != NULL;
}

/* Opens path with zlib (compressed or not); NULL + err naming the file and the reason. */
static gzFile open_gz(const char *path, RtErr *err)
{
    errno = 0;
    gzFile g = gzopen(path, "rb");
    if (g) return g;
    int e = errno ? errno : ENOMEM;
    if (e == ENOENT && looks_fmnist(path))
        rt_err(err, RT_EIO, "cannot open '%s': %s (the Debian package %s provides "
                 "Fashion-MNIST: apt-get install %s, or make deps)", path, strerror(e),
                 DS_FMNIST_PKG, DS_FMNIST_PKG);
    else rt_err(err, RT_EIO, "cannot open '%s': %s", path, strerror(e));
    return NULL;
}

/* Reads exactly n bytes; returns the count read (< n at end of file) or -1 on a
** decompression or read error (message in err). */
static long long read_n(gzFile g, const char *path, void *buf, size_t n, RtErr *err)
{
    size_t got = 0;
    while (got < n) {
        size_t chunk = n - got > (1u << 30) ? (1u << 30) : n - got;
        int k = gzread(g, (unsigned char *)buf + got, (unsigned)chunk);
        if (k < 0) {
            int zerr;
            const char *m = gzerror(g, &zerr);
            rt_err(err, RT_EINVAL, "%s: %s", path,
                     zerr == Z_ERRNO ? strerror(errno) : (m && *m ? m : "read error"));
            return -1;
        }
        if (k == 0) break;
        got += (size_t)k;
    }
    return (long long)got;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads a whole IDX file of the expected magic: dims[0..ndim) and a malloc'd block of
** their product in bytes.  Returns the block, or NULL + err. */
static unsigned char *read_idx(const char *path, uint32_t magic, int ndim, uint32_t *dims,
                               const char *what, RtErr *err)
{
    gzFile g = open_gz(path, err);
    if (!g) return NULL;
    unsigned char hdr[16], *data = NULL;
    size_t hlen = 4 + 4 * (size_t)ndim;
    long long k = read_n(g, path, hdr, 4, err);
    if (k < 0) goto fail;
    if (k < 4) {
        rt_err(err, RT_EINVAL, "%s: truncated: %lld bytes, too short for an IDX header", path, k);
        goto fail;
    }
    if (be32(hdr) != magic) {
        rt_err(err, RT_EINVAL, "%s: not an IDX %s file (magic 0x%08x, expected 0x%08x)",
                 path, what, (unsigned)be32(hdr), (unsigned)magic);
        goto fail;
    }
    k = read_n(g, path, hdr + 4, hlen - 4, err);
    if (k < 0) goto fail;
    if ((size_t)k < hlen - 4) {
        rt_err(err, RT_EINVAL, "%s: truncated in the header (%lld of %zu dimension bytes)",
                 path, k, hlen - 4);
        goto fail;
    }
    size_t total = 1;
    for (int i = 0; i < ndim; i++) {
        dims[i] = be32(hdr + 4 + 4 * i);
        if (dims[i] == 0 || dims[i] > (1u << 24)) {
            rt_err(err, RT_EINVAL, "%s: dimension %d is %u (expected 1 to %u)", path, i + 1,
                     (unsigned)dims[i], 1u << 24);
            goto fail;
        }
        /* each dim is at most 2^24: keep the product below 2^31 before multiplying on */
        total = total > (size_t)INT_MAX ? total : total * dims[i];
    }
    if (total > (size_t)INT_MAX) {
        rt_err(err, RT_EINVAL, "%s: %zu bytes of data is more than ppdl loads at once", path, total);
        goto fail;
    }
    data = xmalloc(total);
    k = read_n(g, path, data, total, err);
    if (k < 0) goto fail;
    if ((size_t)k < total) {
        rt_err(err, RT_EINVAL, "%s: truncated: the header promises %zu bytes of %s, the "
                 "file has %lld", path, total, what, k);
        goto fail;
    }
    unsigned char extra;
    k = read_n(g, path, &extra, 1, err);
    if (k < 0) goto fail;
    if (k > 0) {
        rt_err(err, RT_EINVAL, "%s: longer than its header says (%zu bytes of %s expected)",
                 path, total, what);
        goto fail;
    }
    gzclose(g);
    return data;
fail:
    free(data);
    gzclose(g);
    return NULL;
}

Ds *ds_load_idx(const char *images, const char *labels, int flat, RtErr *err)
{
    uint32_t idim[3], ldim[1];
    unsigned char *px = read_idx(images, IDX_IMAGES, 3, idim, "images", err);
    if (!px) return NULL;
    unsigned char *lb = read_idx(labels, IDX_LABELS, 1, ldim, "labels", err);
    if (!lb) { free(px); return NULL; }
    if (idim[0] != ldim[0]) {
        rt_err(err, RT_EINVAL, "'%s' holds %u images but '%s' holds %u labels", images,
                 (unsigned)idim[0], labels, (unsigned)ldim[0]);
        free(px); free(lb);
        return NULL;
    }
    int n = (int)idim[0], h = (int)idim[1], w = (int)idim[2];
    Tn *x = flat ? tn_new(2, (int[]){ n, h * w }) : tn_new(4, (int[]){ n, 1, h, w });
    for (size_t i = 0; i < x->size; i++) x->data[i] = (float)px[i] / 255.0f;
    Tn *y = tn_new(1, (int[]){ n });
    int maxl = 0;
    for (int i = 0; i < n; i++) { y->data[i] = lb[i]; if (lb[i] > maxl) maxl = lb[i]; }
    free(px); free(lb);
    Ds *d = ds_new(x, y, maxl + 1, err);
    if (!d) return NULL;
    d->origin = xstrdup(images);
    ds_set_name(d, base_name(images));
    return d;
}

Ds *ds_fashion_mnist(const char *dir, int test, int flat, RtErr *err)
{
    if (!dir) dir = DS_FMNIST_DIR;
    const char *pre = test ? "t10k" : "train";
    char img[1024], lab[1024];
    snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", dir, pre);
    snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", dir, pre);
    const char *paths[2] = { img, lab };
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (f) { fclose(f); continue; }
        int e = errno;
        rt_err(err, RT_EIO, "Fashion-MNIST: cannot open '%.300s': %s (the Debian package %s "
                 "provides it: apt-get install %s, or make deps)", paths[i], strerror(e),
                 DS_FMNIST_PKG, DS_FMNIST_PKG);
        return NULL;
    }
    Ds *d = ds_load_idx(img, lab, flat, err);
    if (d) ds_set_name(d, test ? "fashion-mnist/test" : "fashion-mnist/train");
    return d;
}
