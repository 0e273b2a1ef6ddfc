/*
** parties_file.c — the parties file's parser (format in parties_file.h).  A line is
** cut into words at blanks, after the comment is removed; each word's column is kept
** so that an error points at it.  Keys are checked by decoding them with ZeroMQ's own
** Z85 decoder (zmq_z85_decode), not by a decoder of ours.
*/
#include "parties_file.h"
#include "mem.h"
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

typedef struct Word { const char *s; size_t n; int col; } Word;

static int fail(char *err, size_t errlen, const char *file, int line, int col,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int fail(char *err, size_t errlen, const char *file, int line, int col,
                const char *fmt, ...)
{
    int k = snprintf(err, errlen, "%s:%d:%d: ", file, line, col);
    if (k < 0 || (size_t)k >= errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_word(const Word *w, const char *lit)
{
    return w->n == strlen(lit) && memcmp(w->s, lit, w->n) == 0;
}

static bool valid_name(const Word *w)
{
    if (w->n == 0 || w->n > PF_NAME_MAX) return false;
    if (!isalpha((unsigned char)w->s[0]) && w->s[0] != '_') return false;
    for (size_t i = 1; i < w->n; i++)
        if (!isalnum((unsigned char)w->s[i]) && w->s[i] != '_') return false;
    return true;
}

/* tcp://HOST:PORT, HOST non-empty without blanks, PORT 1..65535. */
static bool valid_endpoint(const Word *w)
{
    if (w->n < 9 || memcmp(w->s, "tcp://", 6) != 0) return false;
    const char *end = w->s + w->n, *colon = NULL;
    for (const char *c = w->s + 6; c < end; c++) if (*c == ':') colon = c;
    if (!colon || colon == w->s + 6 || colon + 1 == end || end - colon > 6) return false;
    long port = 0;
    for (const char *c = colon + 1; c < end; c++) {
        if (*c < '0' || *c > '9') return false;
        port = port * 10 + (*c - '0');
    }
    return port >= 1 && port <= 65535;
}

static bool valid_key(const Word *w)
{
    if (w->n != PF_KEY_LEN) return false;
    char z[PF_KEY_LEN + 1];
    uint8_t bin[32];
    memcpy(z, w->s, PF_KEY_LEN); z[PF_KEY_LEN] = 0;
    return zmq_z85_decode(bin, z) != NULL;
}

/* One line's words, without its comment (the count may exceed max). */
static int split(const char *s, size_t len, Word *w, int max)
{
    int n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) i++;
        /* a comment: a word starting with '#' first or after the six words (a Z85 key
        ** may itself contain or start with '#') */
        if (i >= len || (s[i] == '#' && (n == 0 || n >= 6))) break;
        size_t b = i;
        while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') i++;
        if (n < max) w[n] = (Word){ s + b, i - b, (int)b + 1 };
        n++;
    }
    return n;
}

void pf_free(PartiesFile *pf)
{
    for (int i = 0; i < pf->n; i++) free(pf->p[i].endpoint);
    free(pf->p);
    pf->p = NULL; pf->n = 0; pf->narrator = 0;
}

int pf_find(const PartiesFile *pf, const char *name)
{
    for (int i = 0; i < pf->n; i++) if (strcmp(pf->p[i].name, name) == 0) return i + 1;
    return 0;
}

static int parse_line(PartiesFile *pf, const char *file, int ln, const char *s, size_t len,
                      char *err, size_t errlen)
{
    Word w[7];
    int n = split(s, len, w, 7);
    if (n == 0) return 0;
    static const char *shape = "expected 'party NAME endpoint tcp://HOST:PORT key PUBLICKEY'";
    bool narrator = is_word(&w[0], "narrator");
    if (narrator && pf->narrator)
        return fail(err, errlen, file, ln, w[0].col, "a second 'narrator' line (one driver a run)");
    if (!is_word(&w[0], "party") && !narrator)
        return fail(err, errlen, file, ln, w[0].col, "unknown word '%.*s' (%s)", (int)w[0].n, w[0].s, shape);
    if (n < 6)
        return fail(err, errlen, file, ln, (int)len + 1, "incomplete line (%s)", shape);
    if (n > 6)
        return fail(err, errlen, file, ln, w[6].col, "unexpected '%.*s' after the key (%s; comments start with '#')",
                    (int)w[6].n, w[6].s, shape);
    if (!valid_name(&w[1]))
        return fail(err, errlen, file, ln, w[1].col, "invalid party name '%.*s' (a letter or '_', then letters, digits or '_', at most %d characters)",
                    (int)w[1].n, w[1].s, PF_NAME_MAX);
    if (!is_word(&w[2], "endpoint"))
        return fail(err, errlen, file, ln, w[2].col, "expected 'endpoint', got '%.*s' (%s)", (int)w[2].n, w[2].s, shape);
    if (!valid_endpoint(&w[3]))
        return fail(err, errlen, file, ln, w[3].col, "invalid endpoint '%.*s' (write tcp://HOST:PORT with PORT from 1 to 65535)",
                    (int)w[3].n, w[3].s);
    if (!is_word(&w[4], "key"))
        return fail(err, errlen, file, ln, w[4].col, "expected 'key', got '%.*s' (%s)", (int)w[4].n, w[4].s, shape);
    if (!valid_key(&w[5]))
        return fail(err, errlen, file, ln, w[5].col, "invalid key '%.*s' (a CURVE public key: the 40 Z85 characters `ppdl keygen %.*s` prints)",
                    (int)w[5].n, w[5].s, (int)w[1].n, w[1].s);
    for (int i = 0; i < pf->n; i++) {
        const PartyEntry *e = &pf->p[i];
        if (strlen(e->name) == w[1].n && memcmp(e->name, w[1].s, w[1].n) == 0)
            return fail(err, errlen, file, ln, w[1].col, "party '%s' is listed twice (give each party one line)", e->name);
        if (strlen(e->endpoint) == w[3].n && memcmp(e->endpoint, w[3].s, w[3].n) == 0)
            return fail(err, errlen, file, ln, w[3].col, "endpoint %s is already party '%s's (give each party its own port)", e->endpoint, e->name);
        if (memcmp(e->key, w[5].s, PF_KEY_LEN) == 0)
            return fail(err, errlen, file, ln, w[5].col, "key already belongs to party '%s' (run `ppdl keygen NAME` for each party)", e->name);
    }
    PartyEntry *p = xrealloc(pf->p, (size_t)(pf->n + 1) * sizeof *p);
    pf->p = p;
    PartyEntry *e = &pf->p[pf->n];
    if (pf->narrator) {             /* the narrator stays last */
        pf->p[pf->n] = pf->p[pf->n - 1];
        e = &pf->p[pf->n - 1];
        pf->narrator = pf->n + 1;
    }
    if (narrator) pf->narrator = pf->n + 1;
    memset(e, 0, sizeof *e);
    memcpy(e->name, w[1].s, w[1].n);
    memcpy(e->key, w[5].s, PF_KEY_LEN);
    e->endpoint = xstrndup(w[3].s, w[3].n);
    pf->n++;
    return 0;
}

int pf_parse(PartiesFile *pf, const char *file, const char *text, size_t len,
             char *err, size_t errlen)
{
    pf->p = NULL; pf->n = 0; pf->narrator = 0;
    int ln = 1;
    for (size_t i = 0; i <= len; ln++) {
        size_t b = i;
        while (i < len && text[i] != '\n') i++;
        if (memchr(text + b, 0, i - b)) {
            pf_free(pf);
            return fail(err, errlen, file, ln, 1, "a NUL byte in the line (a parties file is text)");
        }
        if (parse_line(pf, file, ln, text + b, i - b, err, errlen) != 0) { pf_free(pf); return -1; }
        i++;
    }
    if (pf->n - (pf->narrator != 0) < 2) {
        pf_free(pf);
        return fail(err, errlen, file, 1, 1, "fewer than two parties (list every party, one 'party' line each)");
    }
    return 0;
}

int pf_load(PartiesFile *pf, const char *path, char *err, size_t errlen)
{
    pf->p = NULL; pf->n = 0; pf->narrator = 0;
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "cannot open parties file '%s': %s", path, strerror(errno)); return -1; }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            if (cap > (1u << 20)) { free(text); fclose(f); snprintf(err, errlen, "parties file '%s' is larger than 1 MiB", path); return -1; }
            cap = cap ? 2 * cap : 8192;
            text = xrealloc(text, cap);
        }
        size_t k = fread(text + len, 1, cap - len, f);
        len += k;
        if (k == 0) break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) { free(text); snprintf(err, errlen, "cannot read parties file '%s'", path); return -1; }
    int rc = pf_parse(pf, path, text ? text : "", len, err, errlen);
    free(text);
    return rc;
}
