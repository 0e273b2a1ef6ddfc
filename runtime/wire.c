/*
** wire.c — the wire format on msgpack-c (see wire.h): the envelope, size formulas,
** the writer, and a reader that pre-scans every frame before msgpack-c allocates.
** msgpack-c does the encoding and decoding; what is ours is the envelope, the limits
** and the error messages.
*/
#include "wire.h"
#include "mem.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- sizes ------------------------------------------------------------------------ */

static uint64_t hdr32(uint64_t n, uint64_t small_max, unsigned small)
{
    /* header size of a str/array/map: fix form up to small_max, then 16- or 32-bit */
    if (n <= small_max) return small;
    return n <= 0xffff ? 3 : 5;
}

uint64_t wire_size_str(uint64_t n)
{
    if (n <= 31) return 1 + n;
    if (n <= 0xff) return 2 + n;
    return (n <= 0xffff ? 3 : 5) + n;
}

uint64_t wire_size_bin(uint64_t n)
{
    if (n <= 0xff) return 2 + n;
    return (n <= 0xffff ? 3 : 5) + n;
}

uint64_t wire_size_array(uint64_t n) { return hdr32(n, 15, 1); }

uint64_t wire_size_ext(uint64_t n)
{
    if (n == 1 || n == 2 || n == 4 || n == 8 || n == 16) return 2 + n;
    if (n <= 0xff) return 3 + n;
    return (n <= 0xffff ? 4 : 6) + n;
}

uint64_t wire_size_ring(uint64_t k) { return wire_size_bin(8 * k); }

uint64_t wire_size_mpz_vec(uint64_t k, unsigned bits)
{
    return wire_size_array(k) + k * wire_size_bin((bits + 7) / 8);
}

/* envelope: array(7), "ppdl", version, kind, uint16 from, uint16 to, uint32 round */
uint64_t wire_size_envelope(const char *kind)
{
    return 1 + wire_size_str(strlen(WIRE_MAGIC)) + 1 + wire_size_str(strlen(kind)) + 3 + 3 + 5;
}

/* --- writing ---------------------------------------------------------------------- */

void wire_w_init(WireW *w)
{
    msgpack_sbuffer_init(&w->buf);
    msgpack_packer_init(&w->pk, &w->buf, msgpack_sbuffer_write);
}

void wire_w_free(WireW *w) { msgpack_sbuffer_destroy(&w->buf); }

uint8_t *wire_w_take(WireW *w, size_t *len)
{
    *len = w->buf.size;
    uint8_t *p = (uint8_t *)msgpack_sbuffer_release(&w->buf);
    if (!p) { p = xmalloc(1); }
    return p;
}

/* msgpack_sbuffer_write aborts nothing: it returns -1 on out-of-memory; we abort. */
#define PK(call) do { if ((call) != 0) mem_oom(); } while (0)

void wire_put_envelope(WireW *w, const WireHdr *h)
{
    PK(msgpack_pack_array(&w->pk, 7));
    wire_put_cstr(w, WIRE_MAGIC);
    PK(msgpack_pack_uint8(&w->pk, WIRE_VERSION));
    wire_put_cstr(w, h->kind);
    PK(msgpack_pack_fix_uint16(&w->pk, (uint16_t)h->from));
    PK(msgpack_pack_fix_uint16(&w->pk, (uint16_t)h->to));
    PK(msgpack_pack_fix_uint32(&w->pk, h->round));
}

void wire_put_nil(WireW *w) { PK(msgpack_pack_nil(&w->pk)); }
void wire_put_bool(WireW *w, bool b) { PK(b ? msgpack_pack_true(&w->pk) : msgpack_pack_false(&w->pk)); }
void wire_put_int(WireW *w, int64_t x) { PK(msgpack_pack_int64(&w->pk, x)); }
void wire_put_uint(WireW *w, uint64_t x) { PK(msgpack_pack_uint64(&w->pk, x)); }
void wire_put_double(WireW *w, double x) { PK(msgpack_pack_double(&w->pk, x)); }
void wire_put_array(WireW *w, size_t n) { PK(msgpack_pack_array(&w->pk, n)); }
void wire_put_map(WireW *w, size_t n) { PK(msgpack_pack_map(&w->pk, n)); }

void wire_put_str(WireW *w, const char *s, size_t n)
{
    PK(msgpack_pack_str(&w->pk, n));
    PK(msgpack_pack_str_body(&w->pk, s, n));
}

void wire_put_cstr(WireW *w, const char *s) { wire_put_str(w, s, strlen(s)); }

void wire_put_bin(WireW *w, const void *p, size_t n)
{
    PK(msgpack_pack_bin(&w->pk, n));
    PK(msgpack_pack_bin_body(&w->pk, p, n));
}

/* Little-endian arrays: x86-64 and arm64 are little endian, so the bytes go as they are;
** a big-endian host swaps them. */
static void put_le(WireW *w, const void *x, size_t n, size_t item)
{
    PK(msgpack_pack_bin(&w->pk, n * item));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    PK(msgpack_pack_bin_body(&w->pk, x, n * item));
#else
    const unsigned char *b = x;
    for (size_t i = 0; i < n; i++) {
        unsigned char t[8];
        for (size_t j = 0; j < item; j++) t[j] = b[i * item + item - 1 - j];
        PK(msgpack_pack_bin_body(&w->pk, t, item));
    }
#endif
}

void wire_put_f32s(WireW *w, const float *x, size_t n) { put_le(w, x, n, 4); }
void wire_put_f64s(WireW *w, const double *x, size_t n) { put_le(w, x, n, 8); }
void wire_put_u64s(WireW *w, const uint64_t *x, size_t n) { put_le(w, x, n, 8); }

static void put_mpz(WireW *w, const mpz_t x, bool public)
{
    size_t n = (mpz_sizeinbase(x, 2) + 7) / 8, got = 0;
    unsigned char *b = xmalloc(n ? n : 1);
    mpz_export(b, &got, 1, 1, 1, 0, x);
    wire_put_array(w, 2);
    PK(msgpack_pack_int(&w->pk, mpz_sgn(x) < 0 ? -1 : 1));
    if (public) {
        WireW body; wire_w_init(&body);
        wire_put_bin(&body, b, got);
        wire_put_ext(w, WIRE_EXT_PUBLIC, &body);
    } else wire_put_bin(w, b, got);
    free(b);
}

void wire_put_mpz(WireW *w, const mpz_t x) { put_mpz(w, x, false); }
void wire_put_public_mpz(WireW *w, const mpz_t x) { put_mpz(w, x, true); }

void wire_put_residues(WireW *w, mpz_t *x, size_t k, size_t bytes)
{
    unsigned char *b = xmalloc(bytes ? bytes : 1);
    wire_put_array(w, k);
    for (size_t i = 0; i < k; i++) {
        size_t n = (mpz_sizeinbase(x[i], 2) + 7) / 8, got = 0;
        if (mpz_sgn(x[i]) == 0) n = 0;
        if (n > bytes || mpz_sgn(x[i]) < 0) {  /* callers keep 0 <= x < 256^bytes */
            fputs("ppdl: wire_put_residues: a residue does not fit its field\n", stderr);
            abort();
        }
        memset(b, 0, bytes);
        mpz_export(b + (bytes - n), &got, 1, 1, 1, 0, x[i]);
        wire_put_bin(w, b, bytes);
    }
    free(b);
}

void wire_put_ext(WireW *w, int8_t type, WireW *body)
{
    PK(msgpack_pack_ext(&w->pk, body->buf.size, type));
    PK(msgpack_pack_ext_body(&w->pk, body->buf.data, body->buf.size));
    wire_w_free(body);
}

/* --- reading ---------------------------------------------------------------------- */

void wire_r_init(WireR *r, const char *sender)
{
    if (!msgpack_zone_init(&r->zone, 4096)) mem_oom();
    r->sender = sender;
    r->to = 0;
    rt_err_clear(&r->e);
    r->failed = false;
}

void wire_r_free(WireR *r) { msgpack_zone_destroy(&r->zone); }

bool wire_fail(WireR *r, const char *fmt, ...)
{
    if (r->failed) return false;
    r->failed = true;
    char why[RT_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    rt_err(&r->e, RT_EFORMAT, "malformed message from %s: %s", r->sender ? r->sender : "?", why);
    return false;
}

/* Big-endian unsigned of n bytes at p. */
static uint64_t be(const uint8_t *p, int n)
{
    uint64_t x = 0;
    for (int i = 0; i < n; i++) x = x << 8 | p[i];
    return x;
}

/* Walks one object at buf[*off..len): every length is checked against what is left;
** items counts the objects still to walk at this level. */
static bool scan(WireR *r, const uint8_t *buf, size_t len, size_t *off, int depth)
{
    if (depth > WIRE_MAX_DEPTH) return wire_fail(r, "nested deeper than %d", WIRE_MAX_DEPTH);
    if (*off >= len) return wire_fail(r, "truncated (%zu bytes)", len);
    uint8_t t = buf[(*off)++];
    size_t left = len - *off;
    uint64_t n = 0, items = 0;
    int ext = 0;
#define NEED(k) do { if (left < (size_t)(k)) return wire_fail(r, "truncated (%zu bytes)", len); } while (0)
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) return true;
    if ((t & 0xe0) == 0xa0) n = t & 0x1f;                       /* fixstr */
    else if ((t & 0xf0) == 0x90) items = t & 0x0f;              /* fixarray */
    else if ((t & 0xf0) == 0x80) items = 2 * (uint64_t)(t & 0x0f); /* fixmap */
    else switch (t) {
    case 0xcc: case 0xd0: NEED(1); *off += 1; return true;
    case 0xcd: case 0xd1: NEED(2); *off += 2; return true;
    case 0xca: case 0xce: case 0xd2: NEED(4); *off += 4; return true;
    case 0xcb: case 0xcf: case 0xd3: NEED(8); *off += 8; return true;
    case 0xc4: case 0xd9: NEED(1); n = be(buf + *off, 1); *off += 1; break;
    case 0xc5: case 0xda: NEED(2); n = be(buf + *off, 2); *off += 2; break;
    case 0xc6: case 0xdb: NEED(4); n = be(buf + *off, 4); *off += 4; break;
    case 0xdc: NEED(2); items = be(buf + *off, 2); *off += 2; break;
    case 0xdd: NEED(4); items = be(buf + *off, 4); *off += 4; break;
    case 0xde: NEED(2); items = 2 * be(buf + *off, 2); *off += 2; break;
    case 0xdf: NEED(4); items = 2 * be(buf + *off, 4); *off += 4; break;
    case 0xd4: n = 1; ext = 1; break;
    case 0xd5: n = 2; ext = 1; break;
    case 0xd6: n = 4; ext = 1; break;
    case 0xd7: n = 8; ext = 1; break;
    case 0xd8: n = 16; ext = 1; break;
    case 0xc7: NEED(1); n = be(buf + *off, 1); *off += 1; ext = 1; break;
    case 0xc8: NEED(2); n = be(buf + *off, 2); *off += 2; ext = 1; break;
    case 0xc9: NEED(4); n = be(buf + *off, 4); *off += 4; ext = 1; break;
    default: return wire_fail(r, "byte 0x%02x at offset %zu is not msgpack", t, *off - 1);
    }
#undef NEED
    left = len - *off;
    if (ext) {
        if (left < 1 + n) return wire_fail(r, "truncated (an ext of %llu bytes with %zu left)", (unsigned long long)n, left);
        *off += 1;                      /* the type byte */
        if (n) {                        /* the body is one msgpack object, exactly */
            size_t sub = 0;
            if (!scan(r, buf + *off, (size_t)n, &sub, depth + 1)) return false;
            if (sub != n) return wire_fail(r, "an ext body has %llu stray bytes", (unsigned long long)(n - sub));
        }
        *off += (size_t)n;
        return true;
    }
    if (n) {
        if (n > left) return wire_fail(r, "truncated (a string of %llu bytes with %zu left)", (unsigned long long)n, left);
        *off += (size_t)n;
        return true;
    }
    /* every item takes at least one byte: refuse counts the frame cannot hold */
    if (items > left) return wire_fail(r, "truncated (%llu items declared with %zu bytes left)", (unsigned long long)items, left);
    for (uint64_t i = 0; i < items; i++)
        if (!scan(r, buf, len, off, depth + 1)) return false;
    return true;
}

bool wire_check(WireR *r, const uint8_t *buf, size_t len, size_t max)
{
    if (len > max) return wire_fail(r, "%zu bytes, more than the limit of %zu", len, max);
    size_t off = 0;
    if (!scan(r, buf, len, &off, 0)) return false;
    if (off != len) return wire_fail(r, "%zu stray bytes after the message", len - off);
    return true;
}

static bool unpack(WireR *r, const void *p, size_t n, msgpack_object *o)
{
    size_t off = 0;
    msgpack_unpack_return st = msgpack_unpack(p, n, &off, &r->zone, o);
    if (st == MSGPACK_UNPACK_SUCCESS) return true;
    if (st == MSGPACK_UNPACK_NOMEM_ERROR) return wire_fail(r, "too large to decode");
    return wire_fail(r, "not one msgpack object");
}

bool wire_open_frame(WireR *r, const uint8_t *buf, size_t len, WireHdr *h,
                     const msgpack_object **payload)
{
    if (!wire_check(r, buf, len, WIRE_MAX_FRAME)) return false;
    msgpack_object *o = msgpack_zone_malloc(&r->zone, sizeof *o);
    if (!o) mem_oom();
    if (!unpack(r, buf, len, o)) return false;
    const msgpack_object_array *a;
    const char *s;
    size_t n;
    int64_t v, from, to, round;
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 7 ||
        o->via.array.ptr[0].type != MSGPACK_OBJECT_STR)
        return wire_fail(r, "not a ppdl frame");
    a = &o->via.array;
    if (!wire_get_str(r, &a->ptr[0], &s, &n)) return false;
    if (n != strlen(WIRE_MAGIC) || memcmp(s, WIRE_MAGIC, n) != 0) return wire_fail(r, "not a ppdl frame");
    if (!wire_get_int(r, &a->ptr[1], 0, 127, &v)) return false;
    if (v != WIRE_VERSION)
        return wire_fail(r, "wire format version %lld (this ppdl reads version %d)", (long long)v, WIRE_VERSION);
    if (!wire_get_str(r, &a->ptr[2], &s, &n)) return false;
    if (!n || n > 31) return wire_fail(r, "a message kind of %zu bytes", n);
    char *kind = msgpack_zone_malloc(&r->zone, n + 1);
    if (!kind) mem_oom();
    memcpy(kind, s, n); kind[n] = 0;
    if (!wire_get_int(r, &a->ptr[3], 0, 0xffff, &from) || !wire_get_int(r, &a->ptr[4], 0, 0xffff, &to) ||
        !wire_get_int(r, &a->ptr[5], 0, 0xffffffffLL, &round)) return false;
    h->kind = kind; h->from = (int)from; h->to = (int)to; h->round = (uint32_t)round;
    r->to = (int)to;
    *payload = &a->ptr[6];
    return true;
}

const char *wire_type_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER: case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "integer";
    case MSGPACK_OBJECT_FLOAT32: case MSGPACK_OBJECT_FLOAT64: return "float";
    case MSGPACK_OBJECT_STR: return "str";
    case MSGPACK_OBJECT_ARRAY: return "array";
    case MSGPACK_OBJECT_MAP: return "map";
    case MSGPACK_OBJECT_BIN: return "bin";
    case MSGPACK_OBJECT_EXT: return "ext";
    }
    return "unknown";
}

static bool want(WireR *r, const msgpack_object *o, const char *what)
{
    return wire_fail(r, "expected %s, got %s", what, wire_type_name(o));
}

bool wire_get_double(WireR *r, const msgpack_object *o, double *x)
{
    switch (o->type) {
    case MSGPACK_OBJECT_FLOAT32: case MSGPACK_OBJECT_FLOAT64: *x = o->via.f64; return true;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: *x = (double)o->via.u64; return true;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: *x = (double)o->via.i64; return true;
    default: return want(r, o, "a number");
    }
}

bool wire_get_int(WireR *r, const msgpack_object *o, int64_t lo, int64_t hi, int64_t *x)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > (uint64_t)INT64_MAX || (int64_t)o->via.u64 > hi || (int64_t)o->via.u64 < lo)
            return wire_fail(r, "integer %llu outside %lld..%lld", (unsigned long long)o->via.u64,
                             (long long)lo, (long long)hi);
        *x = (int64_t)o->via.u64;
        return true;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        if (o->via.i64 < lo || o->via.i64 > hi)
            return wire_fail(r, "integer %lld outside %lld..%lld", (long long)o->via.i64, (long long)lo,
                             (long long)hi);
        *x = o->via.i64;
        return true;
    }
    return want(r, o, "an integer");
}

bool wire_get_bool(WireR *r, const msgpack_object *o, bool *b)
{
    if (o->type != MSGPACK_OBJECT_BOOLEAN) return want(r, o, "a bool");
    *b = o->via.boolean;
    return true;
}

bool wire_get_str(WireR *r, const msgpack_object *o, const char **s, size_t *n)
{
    if (o->type != MSGPACK_OBJECT_STR) return want(r, o, "a str");
    *s = o->via.str.ptr; *n = o->via.str.size;
    return true;
}

bool wire_get_bin(WireR *r, const msgpack_object *o, const void **p, size_t *n)
{
    if (o->type != MSGPACK_OBJECT_BIN) return want(r, o, "a bin");
    *p = o->via.bin.ptr; *n = o->via.bin.size;
    return true;
}

bool wire_get_array(WireR *r, const msgpack_object *o, size_t lo, size_t hi,
                    const msgpack_object_array **a)
{
    if (o->type != MSGPACK_OBJECT_ARRAY) return want(r, o, "an array");
    if (o->via.array.size < lo || o->via.array.size > hi) {
        if (lo == hi) return wire_fail(r, "an array of %u items, expected %zu", o->via.array.size, lo);
        return wire_fail(r, "an array of %u items, expected %zu to %zu", o->via.array.size, lo, hi);
    }
    *a = &o->via.array;
    return true;
}

bool wire_get_map(WireR *r, const msgpack_object *o, const msgpack_object_map **m)
{
    if (o->type != MSGPACK_OBJECT_MAP) return want(r, o, "a map");
    *m = &o->via.map;
    return true;
}

bool wire_get_count(WireR *r, const msgpack_object *o, size_t item, size_t *n)
{
    if (o->type != MSGPACK_OBJECT_BIN) return want(r, o, "a bin");
    if (o->via.bin.size % item) return wire_fail(r, "a bin of %u bytes is not %zu-byte items", o->via.bin.size, item);
    *n = o->via.bin.size / item;
    return true;
}

static bool get_le(WireR *r, const msgpack_object *o, void *x, size_t n, size_t item)
{
    size_t k = 0;
    if (!wire_get_count(r, o, item, &k)) return false;
    if (k != n) return wire_fail(r, "%zu items where %zu were announced", k, n);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n) memcpy(x, o->via.bin.ptr, n * item);
#else
    const unsigned char *b = (const unsigned char *)o->via.bin.ptr;
    unsigned char *d = x;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < item; j++) d[i * item + j] = b[i * item + item - 1 - j];
#endif
    return true;
}

bool wire_get_f32s(WireR *r, const msgpack_object *o, float *x, size_t n) { return get_le(r, o, x, n, 4); }
bool wire_get_f64s(WireR *r, const msgpack_object *o, double *x, size_t n) { return get_le(r, o, x, n, 8); }
bool wire_get_u64s(WireR *r, const msgpack_object *o, uint64_t *x, size_t n) { return get_le(r, o, x, n, 8); }

bool wire_get_mpz(WireR *r, const msgpack_object *o, mpz_t x)
{
    const msgpack_object_array *a = NULL;
    int64_t sign = 0;
    const void *p = NULL;
    size_t n = 0;
    const msgpack_object *m = NULL;
    int8_t type = 0;
    if (!wire_get_array(r, o, 2, 2, &a) || !wire_get_int(r, &a->ptr[0], -1, 1, &sign)) return false;
    m = &a->ptr[1];
    if (m->type == MSGPACK_OBJECT_EXT) {        /* wire_put_public_mpz's form */
        if (!wire_get_ext(r, m, &type, &m)) return false;
        if (type != WIRE_EXT_PUBLIC) return wire_fail(r, "an integer in an ext of type %d", type);
    }
    if (!wire_get_bin(r, m, &p, &n)) return false;
    if (n > (1u << 20)) return wire_fail(r, "an integer of %zu bytes", n);
    mpz_import(x, n, 1, 1, 1, 0, p);
    if (sign < 0) mpz_neg(x, x);
    return true;
}

bool wire_get_residues(WireR *r, const msgpack_object *o, mpz_t *x, size_t k, size_t bytes)
{
    const msgpack_object_array *a;
    if (!wire_get_array(r, o, k, k, &a)) return false;
    for (size_t i = 0; i < k; i++) {
        const void *p = NULL;
        size_t n = 0;
        if (!wire_get_bin(r, &a->ptr[i], &p, &n)) return false;
        if (n > bytes) return wire_fail(r, "a residue of %zu bytes, at most %zu expected", n, bytes);
        mpz_import(x[i], n, 1, 1, 1, 0, p);
    }
    return true;
}

bool wire_get_ext(WireR *r, const msgpack_object *o, int8_t *type, const msgpack_object **body)
{
    if (o->type != MSGPACK_OBJECT_EXT) return want(r, o, "an ext");
    msgpack_object *b = msgpack_zone_malloc(&r->zone, sizeof *b);
    if (!b) mem_oom();
    if (!o->via.ext.size) return wire_fail(r, "an empty ext");
    /* the frame was pre-scanned, ext bodies included: this cannot over-allocate */
    if (!unpack(r, o->via.ext.ptr, o->via.ext.size, b)) return false;
    *type = o->via.ext.type;
    *body = b;
    return true;
}

/* --- skeletons ----------------------------------------------------------------------- */

/* Copies o into pk; flesh == false: bins become WIRE_EXT_ZEROS exts; true: those exts
** become zero bins, counted against *budget. */
static bool reshape(WireR *r, msgpack_packer *pk, const msgpack_object *o, bool flesh,
                    size_t *budget, int depth)
{
    if (depth > WIRE_MAX_DEPTH) return wire_fail(r, "nested deeper than %d", WIRE_MAX_DEPTH);
    switch (o->type) {
    case MSGPACK_OBJECT_ARRAY:
        PK(msgpack_pack_array(pk, o->via.array.size));
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if (!reshape(r, pk, &o->via.array.ptr[i], flesh, budget, depth + 1)) return false;
        return true;
    case MSGPACK_OBJECT_MAP:
        PK(msgpack_pack_map(pk, o->via.map.size));
        for (uint32_t i = 0; i < o->via.map.size; i++)
            if (!reshape(r, pk, &o->via.map.ptr[i].key, flesh, budget, depth + 1) ||
                !reshape(r, pk, &o->via.map.ptr[i].val, flesh, budget, depth + 1)) return false;
        return true;
    case MSGPACK_OBJECT_BIN:
        if (flesh) return wire_fail(r, "a skeleton that carries data");
        {
            WireW b; wire_w_init(&b);
            wire_put_uint(&b, o->via.bin.size);
            PK(msgpack_pack_ext(pk, b.buf.size, WIRE_EXT_ZEROS));
            PK(msgpack_pack_ext_body(pk, b.buf.data, b.buf.size));
            wire_w_free(&b);
        }
        return true;
    case MSGPACK_OBJECT_EXT: {
        msgpack_object body;
        if (!unpack(r, o->via.ext.ptr, o->via.ext.size, &body)) return false;
        if (o->via.ext.type == WIRE_EXT_PUBLIC) {
            /* public bytes (a public key) stay as they are, in skeletons too */
            if (body.type != MSGPACK_OBJECT_BIN) return wire_fail(r, "a public ext that is not a bin");
            return msgpack_pack_object(pk, *o) == 0 || (mem_oom(), false);
        }
        if (o->via.ext.type == WIRE_EXT_ZEROS) {
            if (!flesh) return wire_fail(r, "a frame that is already a skeleton");
            int64_t n;
            if (!wire_get_int(r, &body, 0, (int64_t)WIRE_MAX_FRAME, &n)) return false;
            if ((size_t)n > *budget) return wire_fail(r, "a stand-in larger than the limit");
            *budget -= (size_t)n;
            PK(msgpack_pack_bin(pk, (size_t)n));
            static const char zero[4096];
            for (size_t k = 0; k < (size_t)n; k += sizeof zero)
                PK(msgpack_pack_bin_body(pk, zero, (size_t)n - k < sizeof zero ? (size_t)n - k : sizeof zero));
            return true;
        }
        WireW b; wire_w_init(&b);
        if (!reshape(r, &b.pk, &body, flesh, budget, depth + 1)) { wire_w_free(&b); return false; }
        PK(msgpack_pack_ext(pk, b.buf.size, o->via.ext.type));
        PK(msgpack_pack_ext_body(pk, b.buf.data, b.buf.size));
        wire_w_free(&b);
        return true;
    }
    default:
        return msgpack_pack_object(pk, *o) == 0 || (mem_oom(), false);
    }
}

static uint8_t *reshape_frame(WireR *r, const uint8_t *in, size_t len, bool flesh, size_t max,
                              size_t *out)
{
    msgpack_object o;
    if (!wire_check(r, in, len, WIRE_MAX_FRAME) || !unpack(r, in, len, &o)) return NULL;
    WireW w; wire_w_init(&w);
    size_t budget = max;
    if (!reshape(r, &w.pk, &o, flesh, &budget, 0)) { wire_w_free(&w); return NULL; }
    return wire_w_take(&w, out);
}

uint8_t *wire_skeleton(WireR *r, const uint8_t *frame, size_t len, size_t *out)
{
    return reshape_frame(r, frame, len, false, WIRE_MAX_FRAME, out);
}

uint8_t *wire_flesh(WireR *r, const uint8_t *skel, size_t len, size_t max, size_t *out)
{
    return reshape_frame(r, skel, len, true, max, out);
}
