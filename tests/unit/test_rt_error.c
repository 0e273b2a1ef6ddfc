/*
** test_rt_error.c — the runtime's one error type (runtime/error.h): rt_err sets a code
** and a bounded message, and the converted modules give the codes their contracts name
** (a shape error RT_EINVAL, a file that cannot be opened RT_EIO, a stopped kernel
** RT_EINTR), so callers test codes, not message text.  The cryptographic and privacy
** modules converted since (Paillier, PATE, DP ledgers, the wire reader) do the same.
*/
#include "tu.h"
#include "error.h"
#include "dataset.h"
#include "dp.h"
#include "network.h"
#include "paillier.h"
#include "pate.h"
#include "tensor.h"
#include "wire.h"
#include <string.h>

static void set_and_clear(void)
{
    RtErr e;
    rt_err_clear(&e);
    CU_ASSERT_EQUAL(e.code, RT_OK);
    CU_ASSERT_STRING_EQUAL(e.msg, "");
    rt_err(&e, RT_EINVAL, "axis %d of %s", 3, "x");
    CU_ASSERT_EQUAL(e.code, RT_EINVAL);
    CU_ASSERT_STRING_EQUAL(e.msg, "axis 3 of x");
    char big[2 * RT_ERRLEN];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    rt_err(&e, RT_EIO, "%s", big);                  /* truncated, still terminated */
    CU_ASSERT_EQUAL(strlen(e.msg), RT_ERRLEN - 1);
    rt_err(NULL, RT_EIO, "nobody asked");           /* allowed: the details are not wanted */
    rt_err_clear(NULL);
}

static void modules_set_codes(void)
{
    RtErr e;
    rt_err_clear(&e);
    Tn *six = tn_new(1, (int[]){6});
    CU_ASSERT_PTR_NULL(tn_reshape(six, 2, (int[]){4, 4}, &e));
    CU_ASSERT_EQUAL(e.code, RT_EINVAL);
    tn_free(six);
    rt_err_clear(&e);
    CU_ASSERT_PTR_NULL(ds_load_csv("/nonexistent/x.csv", NULL, 0, &e));
    CU_ASSERT_EQUAL(e.code, RT_EIO);
    CU_ASSERT_STRING_EQUAL(e.msg, "cannot open '/nonexistent/x.csv': No such file or directory");
    rt_err_clear(&e);
    CU_ASSERT_PTR_NULL(nn_load("/nonexistent/m.model", &e));
    CU_ASSERT_EQUAL(e.code, RT_EIO);
    Tn *a = tn_new(2, (int[]){300, 300}), *b = tn_new(2, (int[]){300, 300});
    TnStop stop = 1;                                /* Ctrl-C already pressed */
    rt_err_clear(&e);
    CU_ASSERT_PTR_NULL(tn_matmul(a, b, &stop, &e));
    CU_ASSERT_EQUAL(e.code, RT_EINTR);
    tn_free(a); tn_free(b);
}

static void crypto_modules_set_codes(void)
{
    RtErr e;
    PaiPub pub;
    pai_pub_init(&pub);
    int has;
    rt_err_clear(&e);
    CU_ASSERT_EQUAL(pai_jwk_read("{\"kty\": \"RSA\"}", &pub, NULL, &has, NULL, &e), RT_EFORMAT);
    CU_ASSERT_EQUAL(e.code, RT_EFORMAT);
    CU_ASSERT_STRING_EQUAL(e.msg, "not a Paillier JWK (kty must be \"DAJ\")");
    pai_pub_clear(&pub);
    mpz_t m; mpz_init(m);
    rt_err_clear(&e);
    CU_ASSERT_EQUAL(pai_encode_k(m, 1e308, -8, &e), RT_ERANGE);
    CU_ASSERT_EQUAL(e.code, RT_ERANGE);
    mpz_clear(m);
    PateMech mech = { .kind = PATE_LNMAX, .scale = -1 };
    rt_err_clear(&e);
    CU_ASSERT_EQUAL(pate_mech_check(&mech, &e), RT_EINVAL);
    CU_ASSERT_EQUAL(e.code, RT_EINVAL);
    DpLedger *L = dp_ledger_new();
    CU_ASSERT(dp_ledger_set_budget(L, 1, 0));
    rt_err_clear(&e);
    CU_ASSERT_EQUAL(dp_ledger_charge(L, "too much", 2, 0, NULL, &e), RT_EBUDGET);
    CU_ASSERT_EQUAL(e.code, RT_EBUDGET);
    CU_ASSERT(strncmp(e.msg, "privacy budget exceeded: too much costs epsilon 2", 49) == 0);
    dp_ledger_free(L);
    WireR r;
    wire_r_init(&r, "mallory");
    CU_ASSERT_FALSE(wire_fail(&r, "a %s", "bad frame"));
    CU_ASSERT_EQUAL(r.e.code, RT_EFORMAT);
    CU_ASSERT_STRING_EQUAL(r.e.msg, "malformed message from mallory: a bad frame");
    CU_ASSERT_FALSE(wire_fail(&r, "a second reason"));           /* the first one stays */
    CU_ASSERT_STRING_EQUAL(r.e.msg, "malformed message from mallory: a bad frame");
    wire_r_free(&r);
}

int main(void)
{
    static const TU_Test tests[] = {
        {"rt_err sets a code and a bounded message", set_and_clear},
        {"tn, ds and nn set the codes of their contracts", modules_set_codes},
        {"paillier, pate, dp and wire fill an RtErr", crypto_modules_set_codes},
        {NULL, NULL}};
    return tu_main("rt_error", tests);
}
