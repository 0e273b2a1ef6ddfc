/*
** paikey.h — the 512-bit Paillier key pair a suite's tests share (PUB, PRIV), made on
** the first setup_key() from the suite's fixed seed PAIKEY_SEED with the generator R,
** which the suite goes on using; paikey_clear() wipes the pair at the end of main.
** Define PAIKEY_SEED before including it.  Header-only, as tu.h.
*/
#ifndef PAIKEY_H
#define PAIKEY_H
#include "paillier.h"
#ifndef PAIKEY_SEED
#error "define PAIKEY_SEED (the suite's key seed) before including paikey.h"
#endif

static Rng R;
static PaiPub PUB;
static PaiPriv PRIV;
static int paikey_made;

static void setup_key(void)
{
    if (paikey_made) return;
    rng_seed(&R, PAIKEY_SEED);
    pai_pub_init(&PUB); pai_priv_init(&PRIV);
    CU_ASSERT_EQUAL_FATAL(pai_keygen(&PUB, &PRIV, 512, &R, NULL), RT_OK);
    paikey_made = 1;
}

static void paikey_clear(void)
{
    if (!paikey_made) return;
    pai_pub_clear(&PUB); pai_priv_clear(&PRIV);
    paikey_made = 0;
}
#endif
