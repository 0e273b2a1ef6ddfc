/*
** lib_paillier_file.c — the 'he' module's files, in python-paillier's formats: keys as JWK
** (save_key, load_key; a private key only by its keyholder) and ciphertexts as phe's
** JSON (save_ciphertext, load_ciphertext).  The formats themselves are
** runtime/paillier_json.c's; this file checks arguments and parties and reads and writes.
*/
#include "lib_paillier_impl.h"
#include "ev.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(Interp *I, const char *who, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { err_raise(I, "%s: cannot open '%s': %s", who, path, strerror(errno)); return NULL; }
    Sb b; sb_init(&b);
    char buf[8192];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sb_put(&b, buf, k);
    fclose(f);
    if (!b.s) sb_puts(&b, "");
    return sb_take(&b);
}

static bool write_file(Interp *I, const char *who, const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f) { err_raise(I, "%s: cannot write '%s': %s", who, path, strerror(errno)); return false; }
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    if (!ok) err_raise(I, "%s: writing '%s' failed", who, path);
    return ok;
}

static Value b_save_key(Interp *I, Args *a)
{
    static const char *const kws[] = { "private", NULL };
    const char *path;
    bool priv = false;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, kws) || !lib_path(I, a, 1, LIB_WRITE, &path) ||
        !lib_kwbool(I, a, "private", &priv)) return VERR;
    HeScheme *s = he_scheme_of(a->v[0]);
    if (!s) return lib_bad(I, a, 0, "paillier scheme");
    char *js;
    if (priv) {
        if (!s->has_priv) return err_raise(I, "save_key: this scheme holds only the public key");
        if (a->at && !(a->at < 64 && (s->keyholders >> a->at & 1))) {
            Sb b; sb_init(&b);
            he_holders_names(I, s->keyholders, &b, " or ");
            Value r = err_raise(I, "save_key: only the keyholder %s may save the private key (%s asked)",
                                b.s, ev_party_name(I, a->at));
            sb_free(&b);
            return r;
        }
        char kid[96];
        snprintf(kid, sizeof kid, "Paillier private key (%u bits) saved by ppdl", s->pub.bits);
        js = pai_jwk_private(&s->pub, &s->priv, kid);
    } else {
        char kid[96];
        snprintf(kid, sizeof kid, "Paillier public key (%u bits) saved by ppdl", s->pub.bits);
        js = pai_jwk_public(&s->pub, kid);
    }
    Sb b; sb_init(&b); sb_puts(&b, js); sb_putc(&b, '\n');
    memset(js, 0, strlen(js)); free(js);
    bool ok = write_file(I, "save_key", path, b.s);
    memset(b.s, 0, b.n);
    sb_free(&b);
    return ok ? VNONE : VERR;
}

static Value b_load_key(Interp *I, Args *a)
{
    static const char *const kws[] = { "keyholder", "precision", "range", "headroom", "threads", NULL };
    const char *path;
    if (!lib_arity(I, a, 1, 1) || !lib_kwonly(I, a, kws)) return VERR;
    if (!lib_path(I, a, 0, LIB_READ, &path)) {
        /* across processes, where another party reads the file: its stand-in (interp/
           replica.c), then that party's key message when keyholders share the key */
        int from = I->standin_from;
        uint64_t mask = 0;
        Value *kh = lib_kw(a, "keyholder");
        if (!from || from >= 64 || !kh || !he_holders_arg(I, a, kh, &mask) || !(mask & ~((uint64_t)1 << from)))
            return VERR;
        I->standin_from = 0;
        Value v = rep_standin_take(I, from, "load_key");
        HeScheme *t = he_scheme_of(v);
        if (IS_ERR(v)) return VERR;
        if (t && !he_share_key(I, t, from)) { val_release(v); return VERR; }
        return v;
    }
    HeScheme *s = he_scheme_alloc();
    if (!he_options(I, a, s)) { he_scheme_free(s); return VERR; }
    char *text = read_file(I, "load_key", path);
    if (!text) { he_scheme_free(s); return VERR; }
    RtErr e;
    int has = 0;
    /* who reads it: the party running the call, p in `load_key(path) at p`, or the party
       whose file the experimenter loads (lib_path's reader: the same in every process) */
    int reader = a->at ? a->at : I->file_at ? I->file_at : I->file_party;
    int st = pai_jwk_read(text, &s->pub, &s->priv, &has, he_rng(I, reader), &e);
    memset(text, 0, strlen(text)); free(text);
    if (st) { he_scheme_free(s); return err_raise(I, "load_key: '%s': %s", path, e.msg); }
    s->has_priv = has;
    if (has) he_keyring_add(I, s);
    Value *kh = lib_kw(a, "keyholder");
    if (kh) {
        if (!he_holders_arg(I, a, kh, &s->keyholders)) { he_scheme_free(s); return VERR; }
    } else if (has) {
        if (!reader || reader >= 64) {
            he_scheme_free(s);
            return err_raise(I, "load_key: '%s' holds a private key; say who holds it: "
                             "load_key(path, keyholder = party)", path);
        }
        s->keyholders = (uint64_t)1 << reader;
    }
    if (s->pub.bits < 2048)
        fprintf(stderr, "warning: a %u-bit Paillier key is insecure (classroom size)\n", s->pub.bits);
    Value v = val_user(&lib_he_scheme_class, s);
    /* keyholders sharing the key: the reader sends it to the others (a recorded message);
       across processes its stand-in goes first, as the other processes take it first */
    bool others = kh && reader > 0 && reader < 64 && (s->keyholders & ~((uint64_t)1 << reader));
    if (others && !has && I->mirror_self) {
        /* the other processes cannot tell a public key from a private one (they see the
           stand-in only) and would wait for the key message: refused in every process */
        val_release(v);
        return err_raise(I, "load_key: '%s' holds only a public key; across processes keyholder = "
                         "may name another party only for a private key its reader sends them", path);
    }
    if (has && others) {
        val_place(&v, reader, -1);              /* the reader's, as its stand-in is */
        if (I->standin_publish) { rep_standin_send(I, v); I->standin_publish = false; }
        if (!he_share_key(I, s, reader)) { val_release(v); return VERR; }
    }
    return v;
}

static Value b_save_ciphertext(Interp *I, Args *a)
{
    const char *path;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL) || !lib_path(I, a, 1, LIB_WRITE, &path)) return VERR;
    HeCt *c = he_ct_of(a->v[0]);
    if (!c) return lib_bad(I, a, 0, "ciphertext");
    if (c->v->slots) return he_packed(I, "save_ciphertext");
    char *js = pai_vec_json(c->v, c->ndim, c->shape);
    bool ok = write_file(I, "save_ciphertext", path, js);
    free(js);
    return ok ? VNONE : VERR;
}

static Value b_load_ciphertext(Interp *I, Args *a)
{
    const char *path;
    if (!lib_arity(I, a, 2, 2) || !lib_kwonly(I, a, NULL) || !lib_path(I, a, 0, LIB_READ, &path)) return VERR;
    HeScheme *s = he_scheme_of(a->v[1]);
    if (!s) return lib_bad(I, a, 1, "paillier scheme");
    char *text = read_file(I, "load_ciphertext", path);
    if (!text) return VERR;
    RtErr e;
    PaiVec *v = NULL;
    int nd, shape[4];
    int st = pai_vec_read(text, &s->pub, &v, &nd, shape, &e);
    free(text);
    if (st) return err_raise(I, "load_ciphertext: '%s': %s", path, e.msg);
    return he_ct_new(a->v[1], v, nd, shape, a->at);
}

static const LibReg fns[] = {
    {"save_key", b_save_key, "save_key(he, path, private = false)",
     "Writes the scheme's public key (or, at a keyholder, its private key) as a JWK file in\n"
     "python-paillier's format: {\"kty\": \"DAJ\", \"alg\": \"PAI-GN1\", \"n\": ...}, or {\"p\", \"q\", \"lambda\", \"mu\",\n"
     "\"pub\"} (pheutil decrypt reads p and q; older readers lambda and mu).",
     "party s; scheme he = paillier(bits = 512, keyholder = s); save_key(he, \"pub.jwk\"); print(\"saved\")\n"
     "# -> saved", LIB_ANYOWNER},
    {"load_key", b_load_key, "load_key(path, keyholder = party, precision = 32, range = 2^20)",
     "Reads a python-paillier JWK key file into a scheme: private keys with \"p\" and \"q\" (pheutil) or\n"
     "\"lambda\" and \"mu\".  A modulus that is even, small, prime or has a small factor is refused.  A private\n"
     "key needs its keyholder (by default the party reading it: `on p { }` or `load_key(path) at p`); with\n"
     "several keyholders the reader sends it to the others in a recorded message.  A public key alone can\n"
     "encrypt but nobody can decrypt.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); save_key(he, \"pub.jwk\"); pk = load_key(\"pub.jwk\"); print(pk.bits)\n"
     "# -> 512",
     LIB_ANYOWNER},
    {"save_ciphertext", b_save_ciphertext, "save_ciphertext(c, path)",
     "Writes a ciphertext as python-paillier does: {\"v\": \"<decimal>\", \"e\": <exponent>} for each value\n"
     "(nested lists following the shape); the value is the plaintext integer times 16^e.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); save_ciphertext(encrypt(1.5, he), \"ct.json\"); print(\"saved\")\n"
     "# -> saved", 0},
    {"load_ciphertext", b_load_ciphertext, "load_ciphertext(path, he)",
     "Reads a ciphertext file in python-paillier's {\"v\", \"e\"} format under the scheme's key.  Values with\n"
     "different exponents (phe gives each float its own) are aligned exactly to the smallest.",
     "party s; scheme he = paillier(bits = 512, keyholder = s); save_ciphertext(encrypt(1.5, he), \"ct.json\"); c = load_ciphertext(\"ct.json\", he); on s { print(decrypt(c)) }\n"
     "# -> 1.5",
     LIB_ANYOWNER},
    {NULL, NULL, NULL, NULL, NULL, 0}
};

const LibModule lib_mod_he_file = { "he", fns, NULL };
