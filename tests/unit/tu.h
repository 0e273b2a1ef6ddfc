/*
** tu.h — the tiny shared harness for ppdl's CUnit suites.  Each tests/unit/test_X.c is
** one program: it lists its tests in a TU_Test array and calls tu_main(), which runs
** them with CUnit's basic interface and prints one machine-readable line
**   "tu: <suite>: N passed, N failed"
** that tests/run.sh adds up.  The exit status is non-zero when any assertion failed
** (CU_get_number_of_failures(), not CU_get_error()).
*/
#ifndef TU_H
#define TU_H
#include <CUnit/Basic.h>
#include <stdio.h>

typedef struct TU_Test { const char *name; void (*fn)(void); } TU_Test;

static inline int tu_main(const char *suite, const TU_Test *tests)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 2;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    for (const TU_Test *t = tests; t->name; t++) CU_add_test(s, t->name, t->fn);
    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned run = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    unsigned fails = CU_get_number_of_failures();
    printf("\ntu: %s: %u passed, %u failed\n", suite, run - failed, failed);
    CU_cleanup_registry();
    return fails ? 1 : 0;
}

/* Asserts two doubles agree within an absolute tolerance, printing both on failure. */
#define TU_NEAR(a, b, tol) do { double tu_a_ = (a), tu_b_ = (b); \
    if (!(tu_a_ - tu_b_ <= (tol) && tu_b_ - tu_a_ <= (tol))) \
        fprintf(stderr, "  %s:%d: %g != %g (tol %g)\n", __FILE__, __LINE__, tu_a_, tu_b_, (double)(tol)); \
    CU_ASSERT(tu_a_ - tu_b_ <= (tol) && tu_b_ - tu_a_ <= (tol)); } while (0)

#endif
