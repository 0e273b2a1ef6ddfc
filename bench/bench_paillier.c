/*
** bench_paillier.c — times the Paillier runtime (runtime/paillier*.c) at 2048 bits on one and
** two threads, next to the raw GMP cost of the straightforward computations (textbook
** encryption r^n mod n^2 with a full-size r; the two half-size CRT exponentiations of a
** decryption) and, when bench/paillier.sh passes its figures, paillier-bigint on node.
** Prints one table and the three targets.  Not part of `make test`.
**   usage: bench_paillier [--node FILE] [--bits B] [--quick]
*/
#include "paillier.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double budget = 1.0;         /* seconds a measurement runs at least */

/* Milliseconds per call of body: the best of 5 rounds that each run for a fifth of the
** budget (the minimum is robust to other load on a shared machine). */
#define TIME_MS(result, body) do { \
    double best_ = INFINITY; \
    for (int r_ = 0; r_ < 5; r_++) { \
        long it_ = 0; double t0_ = now(), el_; \
        do { for (int k_ = 0; k_ < 2; k_++, it_++) { body; } el_ = now() - t0_; } \
        while (el_ < budget / 5); \
        double ms_ = el_ * 1e3 / (double)it_; \
        if (ms_ < best_) best_ = ms_; \
    } \
    if (!(result <= best_)) result = best_; } while (0)

/* Two computations compared by a target, timed in alternating short batches (best
** batch of each): a load spike then hits both or neither. */
#define PAIR_MS(ra, body_a, rb, body_b) do { \
    int nb_ = quick ? 10 : 40; \
    for (int b_ = 0; b_ < nb_; b_++) { \
        double t_ = now(); for (int k_ = 0; k_ < 4; k_++) { body_a; } \
        double ms_ = (now() - t_) * 1e3 / 4; if (ms_ < ra) ra = ms_; \
        t_ = now(); for (int k_ = 0; k_ < 4; k_++) { body_b; } \
        ms_ = (now() - t_) * 1e3 / 4; if (ms_ < rb) rb = ms_; \
    } } while (0)

/* node figures: lines "name milliseconds" */
typedef struct NodeFig { char name[32]; double ms; } NodeFig;
static NodeFig node[16];
static int nnode;

static double node_ms(const char *name)
{
    for (int i = 0; i < nnode; i++) if (!strcmp(node[i].name, name)) return node[i].ms;
    return NAN;
}

static void read_node(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    while (nnode < 16 && fscanf(f, "%31s %lf", node[nnode].name, &node[nnode].ms) == 2) nnode++;
    fclose(f);
}

static void cell(double ms)
{
    if (isnan(ms)) printf(" %12s", "-");
    else if (ms >= 1000) printf(" %10.2f s", ms / 1000);
    else if (ms >= 1) printf(" %9.3f ms", ms);
    else printf(" %9.2f us", ms * 1000);
}

static void row(const char *what, double one, double two, double gmp, double js)
{
    printf("%-34s", what);
    cell(one); cell(two); cell(gmp); cell(js);
    printf("\n");
}

int main(int argc, char **argv)
{
    unsigned bits = 2048;
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--node") && i + 1 < argc) read_node(argv[++i]);
        else if (!strcmp(argv[i], "--bits") && i + 1 < argc) bits = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) quick = 1;
    }
    if (quick) budget = 0.2;
    Rng rng; rng_init(&rng);
    PaiOpts two = { .threads = 2 };

    /* key generation */
    PaiPub pub; PaiPriv priv; pai_pub_init(&pub); pai_priv_init(&priv);
    int nkeys = quick ? 2 : 5;
    double t0 = now();
    for (int i = 0; i < nkeys; i++) pai_keygen(&pub, &priv, bits, &rng, NULL);
    double keygen = (now() - t0) * 1e3 / nkeys;
    t0 = now();
    pai_pub_precompute(&pub);
    double tab_ms = (now() - t0) * 1e3;
    t0 = now();
    pai_priv_precompute(&priv, &pub);
    double crt_tab_ms = (now() - t0) * 1e3;

    mpz_t m, r, c, c2, d, k, t, u; mpz_inits(m, r, c, c2, d, k, t, u, NULL);
    pai_encode(&pub, m, 1234.5678, PAI_DEFAULT_EXP, NULL);

    /* (a) raw GMP: textbook encryption with a full-size r */
    double enc_gmp = INFINITY, enc1 = INFINITY, enc_crt1 = INFINITY, enc_pool;
    {   unsigned char buf[512]; rng_bytes(&rng, buf, bits / 8);
        mpz_import(r, bits / 8, 1, 1, 1, 0, buf); mpz_mod(r, r, pub.n); }
    /* ppdl encryption: DJN + table, one thread; the keyholder's CRT; precomputed noise */
    PAIR_MS(enc_gmp, {
                mpz_powm(t, r, pub.n, pub.n2);
                mpz_mul(u, m, pub.n); mpz_add_ui(u, u, 1); mpz_mul(u, u, t); mpz_mod(c, u, pub.n2);
            }, enc1, pai_encrypt(&pub, c, m, &rng));
    TIME_MS(enc_crt1, pai_encrypt_crt(&priv, &pub, c, m, &rng));
    PaiNoise pool; pai_noise_init(&pool);
    size_t npool = quick ? 200 : 1000;
    pai_noise_fill(&pool, &pub, NULL, npool, &rng, &two, NULL);
    t0 = now();
    for (size_t i = 0; i < npool; i++) pai_encrypt_pool(&pub, &pool, c, m, NULL);
    enc_pool = (now() - t0) * 1e3 / (double)npool;
    pai_noise_clear(&pool);

    /* bulk vectors on two threads (per value) */
    size_t nb = quick ? 400 : 2000;
    double *x = malloc(nb * sizeof *x), *y = malloc(nb * sizeof *y);
    for (size_t i = 0; i < nb; i++) x[i] = (double)(i % 1000) / 7.0 - 50;
    PaiVec *v = NULL, *w = NULL;
    t0 = now();
    pai_vec_encrypt(&v, &pub, NULL, NULL, x, nb, PAI_DEFAULT_EXP, 0x1p20, &rng, &two, NULL);
    double enc2 = (now() - t0) * 1e3 / (double)nb;
    pai_vec_free(v);
    t0 = now();
    pai_vec_encrypt(&v, &pub, &priv, NULL, x, nb, PAI_DEFAULT_EXP, 0x1p20, &rng, &two, NULL);
    double enc_crt2 = (now() - t0) * 1e3 / (double)nb;

    /* decryption: raw GMP = the two half-size CRT exponentiations alone */
    pai_encrypt(&pub, c, m, &rng);
    double dec_gmp = INFINITY, dec_gmp_vt = INFINITY, dec1 = INFINITY;
    PAIR_MS(dec_gmp, {
                mpz_mod(t, c, priv.p2); mpz_powm_sec(t, t, priv.pm1, priv.p2);
                mpz_mod(u, c, priv.q2); mpz_powm_sec(u, u, priv.qm1, priv.q2);
            }, dec1, pai_decrypt(&priv, &pub, d, c, NULL));
    TIME_MS(dec_gmp_vt, {
        mpz_mod(t, c, priv.p2); mpz_powm(t, t, priv.pm1, priv.p2);
        mpz_mod(u, c, priv.q2); mpz_powm(u, u, priv.qm1, priv.q2);
    });
    t0 = now();
    pai_vec_decrypt(y, &pub, &priv, v, &two, NULL);
    double dec2 = (now() - t0) * 1e3 / (double)nb;
    int dec_ok = 1;
    for (size_t i = 0; i < nb; i++) if (fabs(y[i] - x[i]) > 1e-6) dec_ok = 0;

    /* add and multiply by a plaintext (a fixed-point multiplier, ~31 bits) */
    pai_encrypt(&pub, c2, m, &rng);
    double add1 = INFINITY, add_gmp = INFINITY, mul1 = INFINITY, mul_gmp = INFINITY;
    TIME_MS(add1, pai_add(&pub, d, c, c2));
    TIME_MS(add_gmp, { mpz_mul(t, c, c2); mpz_mod(d, t, pub.n2); });
    pai_encode_k(k, 0.7314, PAI_DEFAULT_EXP, NULL);
    TIME_MS(mul1, pai_mul_plain(&pub, d, c, k));
    TIME_MS(mul_gmp, mpz_powm(d, c, k, pub.n2));
    double kk[1] = { 0.7314 };
    size_t *zi = calloc(nb, sizeof *zi);
    t0 = now();
    pai_vec_mul_plain(&w, &pub, v, NULL, kk, zi, nb, PAI_DEFAULT_EXP, &two, NULL);
    double mul2 = (now() - t0) * 1e3 / (double)nb;
    pai_vec_free(w);
    t0 = now();
    pai_vec_add(&w, &pub, v, NULL, v, NULL, nb, &two, NULL);
    double add2 = (now() - t0) * 1e3 / (double)nb;
    pai_vec_free(w);
    pai_vec_free(v);
    free(zi);

    /* aggregation of a 100,000-value vector: two parties encrypt, the server adds,
    ** the keyholder decrypts; two threads.  Unpacked is measured on a prefix and
    ** scaled (it is linear in the length); packed runs in full. */
    size_t NA = 100000, npre = quick ? 400 : 2000;
    double *a1 = malloc(NA * sizeof *a1), *a2 = malloc(NA * sizeof *a2), *out = malloc(NA * sizeof *out);
    for (size_t i = 0; i < NA; i++) { a1[i] = sin((double)i) * 3; a2[i] = cos((double)i) * 2; }
    PaiVec *e1, *e2, *s;
    t0 = now();
    pai_vec_encrypt(&e1, &pub, NULL, NULL, a1, npre, PAI_DEFAULT_EXP, 0x1p20, &rng, &two, NULL);
    pai_vec_encrypt(&e2, &pub, NULL, NULL, a2, npre, PAI_DEFAULT_EXP, 0x1p20, &rng, &two, NULL);
    pai_vec_add(&s, &pub, e1, NULL, e2, NULL, npre, &two, NULL);
    pai_vec_decrypt(out, &pub, &priv, s, &two, NULL);
    double agg_unpacked = (now() - t0) * 1e3 * (double)NA / (double)npre;
    pai_vec_free(e1); pai_vec_free(e2); pai_vec_free(s);
    unsigned vb, sb, slots;
    pai_pack_layout(&pub, 0x1p20, PAI_DEFAULT_EXP, 10, &vb, &sb, &slots, NULL);
    size_t NP = quick ? 20000 : NA;
    t0 = now();
    pai_vec_encrypt_packed(&e1, &pub, NULL, a1, NP, PAI_DEFAULT_EXP, 0x1p20, 10, &rng, &two, NULL);
    pai_vec_encrypt_packed(&e2, &pub, NULL, a2, NP, PAI_DEFAULT_EXP, 0x1p20, 10, &rng, &two, NULL);
    pai_vec_add(&s, &pub, e1, NULL, e2, NULL, e1->n, &two, NULL);
    pai_vec_decrypt(out, &pub, &priv, s, &two, NULL);
    double agg_packed = (now() - t0) * 1e3 * (double)NA / (double)NP;
    int agg_ok = 1;
    for (size_t i = 0; i < NP; i++) if (fabs(out[i] - (a1[i] + a2[i])) > 1e-6) agg_ok = 0;
    size_t packed_cts = e1->n;
    pai_vec_free(e1); pai_vec_free(e2); pai_vec_free(s);

    printf("Paillier, %u-bit keys, per operation (bulk figures: per value)\n", bits);
    printf("%-34s %12s %12s %12s %12s\n", "", "ppdl 1 thr", "ppdl 2 thr", "raw GMP", "node bigint");
    row("key generation", keygen, NAN, NAN, node_ms("keygen"));
    row("encrypt (DJN, fixed-base table)", enc1, enc2, enc_gmp, node_ms("encrypt"));
    row("encrypt (keyholder, CRT + tables)", enc_crt1, enc_crt2, NAN, NAN);
    row("encrypt (precomputed noise, online)", enc_pool, NAN, NAN, NAN);
    row("decrypt (CRT)", dec1, dec2, dec_gmp, node_ms("decrypt"));
    row("add (ct + ct)", add1, add2, add_gmp, node_ms("add"));
    row("multiply by plain (31-bit k)", mul1, mul2, mul_gmp, node_ms("mul"));
    row("aggregate 100,000 values, unpacked", NAN, agg_unpacked, NAN, NAN);
    row("aggregate 100,000 values, packed", NAN, agg_packed, NAN, NAN);
    printf("\nraw GMP columns: encrypt = (1 + m n) r^n mod n^2 with a full-size r (mpz_powm);\n"
           "decrypt = c^(p-1) mod p^2 and c^(q-1) mod q^2 with mpz_powm_sec (the same\n"
           "exponentiations ppdl does; with variable-time mpz_powm they take ");
    cell(dec_gmp_vt);
    printf(").\none-time tables: hs mod n^2 ");
    cell(tab_ms);
    printf(", keyholder's mod p^2 and q^2 ");
    cell(crt_tab_ms);
    printf(".\naggregation: 2 parties x 100,000 values, encrypt + add + decrypt, 2 threads;\n"
           "unpacked measured on %zu values and scaled; packed: %u values a ciphertext\n"
           "(%u-bit slots, 2^10 additions of headroom), %zu ciphertexts a party%s.\n",
           npre, slots, sb, packed_cts, quick ? " (quick: 20,000 values, scaled)" : "");
    if (!isnan(node_ms("encrypt")))
        printf("node: paillier-bigint (bench/paillier_node.mjs), same operations, 2048 bits.\n");
    printf("\ntargets\n");
    double sp = enc_gmp / enc1, dr = dec1 / dec_gmp, ag = agg_unpacked / agg_packed;
    printf("  encryption %.1fx faster than the straightforward GMP encryption (target >= 8x): %s\n",
           sp, sp >= 8 ? "met" : "MISSED");
    printf("  decryption %.3fx the two half-size CRT exponentiations (target <= 1.1x): %s\n",
           dr, dr <= 1.1 ? "met" : "MISSED");
    printf("  packed aggregation %.1fx faster than unpacked (target >= 20x): %s\n",
           ag, ag >= 20 ? "met" : "MISSED");
    printf("  results correct: bulk decrypt %s, packed aggregation %s\n",
           dec_ok ? "yes" : "NO", agg_ok ? "yes" : "NO");

    free(x); free(y); free(a1); free(a2); free(out);
    mpz_clears(m, r, c, c2, d, k, t, u, NULL);
    pai_pub_clear(&pub); pai_priv_clear(&priv);
    rng_wipe(&rng);
    return dec_ok && agg_ok ? 0 : 1;
}
