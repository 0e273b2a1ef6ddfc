/*
** ss_pai.c — Beaver triples without a dealer, for two parties, made with Paillier
** (`dealer = none`: "from HE to SMPC").  Each party draws its own shares a_i, b_i;
** the cross terms a_0 b_1 + a_1 b_0 are computed under party 0's Paillier key:
**   party 0 -> party 1:  Enc(a_0), Enc(b_0)
**   party 1 -> party 0:  Enc(a_0 b_1 + b_0 a_1 + rho)   (homomorphic, rho a mask)
**   party 0 decrypts; c_0 = a_0 b_0 + (dec mod 2^64), c_1 = a_1 b_1 - rho (mod 2^64).
** The same for matrix triples, with every product a homomorphic dot product.
** Owns nothing else; the Paillier arithmetic is pai.h's.
**
** Security notes: semi-honest parties.  Party 1 sees only ciphertexts under party 0's
** key.  Party 0 sees the cross terms masked by rho, uniform on [0, 2^(B+40)) where the
** cross terms are below 2^B: statistically hiding with 40 bits of slack (not perfectly).
** The key is made once per process (ss_pai_bits, 1024 by default: a teaching size — a
** deployment needs 2048 or more) and kept for later triples; it lives in ordinary
** memory.  Slow by nature: two homomorphic exponentiations per multiply-add, so this
** path suits small tensors (a class exercise), not the benchmark.
*/
#include "ss.h"
#include "pai.h"
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ss_pai_bits = 1024;

static PaiPub *kpub;
static PaiPriv *kpriv;
static unsigned kbits;

int ss_dealerfree_available(void) { return 1; }

static int key(SsCtx *ctx)
{
    if (kpub && kbits == (unsigned)ss_pai_bits) return 0;
    if (ss_pai_bits < 256) return ss__fail(ctx, "dealer-free triples need Paillier keys of "
                                                "at least 256 bits");
    pai_pub_free(kpub); pai_priv_free(kpriv);
    kpub = pai_pub_new(); kpriv = pai_priv_new();
    int st = pai_keygen(kpub, kpriv, (unsigned)ss_pai_bits, ctx->rng);
    if (st != PAI_OK) {
        pai_pub_free(kpub); pai_priv_free(kpriv); kpub = NULL; kpriv = NULL;
        return ss__fail(ctx, "Paillier key generation failed: %s", pai_strerror(st));
    }
    kbits = (unsigned)ss_pai_bits;
    return 0;
}

static void set_u64(mpz_t z, uint64_t v) { mpz_set_ui(z, (unsigned long)v); }

static uint64_t low64(const mpz_t z) { return (uint64_t)mpz_get_ui(z); }  /* z >= 0 */

static void mask(SsCtx *ctx, mpz_t rho, int bits)
{
    uint64_t w[4];
    ss__rnd(ctx, w, 4);
    mpz_import(rho, 4, -1, sizeof w[0], 0, 0, w);
    mpz_fdiv_r_2exp(rho, rho, (mp_bitcnt_t)bits);
    explicit_bzero(w, sizeof w);
}

int ss__pai_triple(SsCtx *ctx, const SsScheme *sc, int mm, int m, int k, int n,
                   size_t na, size_t nb, uint64_t **A, uint64_t **B, uint64_t **C)
{
    if (sc->n != 2) return ss__fail(ctx, "dealer = none works for two parties only");
    if (key(ctx)) return -1;
    for (int i = 0; i < 2; i++) { ss__rnd(ctx, A[i], na); ss__rnd(ctx, B[i], nb); }
    size_t nc = mm ? (size_t)m * n : na;
    /* party 0 encrypts its shares */
    mpz_t *ea = malloc(na * sizeof *ea), *eb = malloc(nb * sizeof *eb);
    if (!ea || !eb) { fputs("ppdl: out of memory\n", stderr); abort(); }
    mpz_t t, u, acc, rho;
    mpz_inits(t, u, acc, rho, NULL);
    for (size_t e = 0; e < na; e++) { mpz_init(ea[e]); set_u64(t, A[0][e]); pai_encrypt(kpub, ea[e], t, ctx->rng); }
    for (size_t e = 0; e < nb; e++) { mpz_init(eb[e]); set_u64(t, B[0][e]); pai_encrypt(kpub, eb[e], t, ctx->rng); }
    if (ctx->msg) {
        const char *old = msg_phase(ctx->msg, "offline");
        msg_round(ctx->msg);
        msg_post(ctx->msg, sc->party[0], sc->party[1], "ciphertext",
                 wire_size_array(2) + wire_size_mpz_vec(na, 2 * kpub->bits) + wire_size_mpz_vec(nb, 2 * kpub->bits),
                "Enc(a0), Enc(b0) for dealer-free triples");
        msg_round(ctx->msg);
        msg_post(ctx->msg, sc->party[1], sc->party[0], "ciphertext", wire_size_mpz_vec(nc, 2 * kpub->bits),
                "Enc(a0 b1 + b0 a1 + rho)");
        msg_phase(ctx->msg, old);
    }
    /* party 1: Enc(sum of cross terms + rho); party 0 decrypts */
    int terms = mm ? k : 1;
    int bound = 129 + 1;
    while ((1 << (bound - 130)) < terms) bound++;
    for (size_t o = 0; o < nc; o++) {
        set_u64(t, 0);
        pai_encrypt(kpub, acc, t, ctx->rng);
        for (int q = 0; q < terms; q++) {
            size_t ia, ib;
            if (mm) { int i = (int)(o / (size_t)n), j = (int)(o % (size_t)n);
                      ia = (size_t)i * k + q; ib = (size_t)q * n + j; }
            else { ia = o; ib = nb == 1 ? 0 : o % nb; }
            set_u64(u, B[1][ib]); pai_mul_plain(kpub, t, ea[ia], u); pai_add(kpub, acc, acc, t);
            set_u64(u, A[1][ia]); pai_mul_plain(kpub, t, eb[ib], u); pai_add(kpub, acc, acc, t);
        }
        mask(ctx, rho, bound + 40);
        pai_add_plain(kpub, acc, acc, rho);
        pai_rerandomize(kpub, acc, ctx->rng);
        int st = pai_decrypt(kpriv, kpub, t, acc);
        if (st != PAI_OK) {
            mpz_clears(t, u, acc, rho, NULL);
            for (size_t e = 0; e < na; e++) mpz_clear(ea[e]);
            for (size_t e = 0; e < nb; e++) mpz_clear(eb[e]);
            free(ea); free(eb);
            return ss__fail(ctx, "Paillier decryption failed: %s", pai_strerror(st));
        }
        C[0][o] = low64(t);
        C[1][o] = (uint64_t)0 - low64(rho);
    }
    /* local terms a_i b_i */
    for (int i = 0; i < 2; i++) {
        if (mm) ss_mm_u64(A[i], B[i], C[i], m, k, n, 1, ctx->nthreads);
        else for (size_t e = 0; e < na; e++) C[i][e] += A[i][e] * B[i][nb == 1 ? 0 : e % nb];
    }
    pai_mpz_wipe(rho);
    mpz_clears(t, u, acc, rho, NULL);
    for (size_t e = 0; e < na; e++) mpz_clear(ea[e]);
    for (size_t e = 0; e < nb; e++) mpz_clear(eb[e]);
    free(ea); free(eb);
    return 0;
}
