/* Determinism: one seed, one fingerprint; another seed, another. */
#include <check.h>

#include "tests/det_workload.h"

START_TEST(test_same_seed_same_hash)
{
    DetConfig cfg = {42, 40, 300 * RC_US_PER_S, NULL};
    guint64 e1, e2, e3;
    SimNetStats st;
    g_autofree char *a = det_workload_run(&cfg, &e1, &st);
    g_autofree char *b = det_workload_run(&cfg, &e2, NULL);
    ck_assert_str_eq(a, b);
    ck_assert_uint_eq(e1, e2);
    ck_assert_uint_gt(e1, 10000); /* the workload really ran, faults included */
    ck_assert_uint_gt(st.refused, 0);
    ck_assert_uint_gt(st.connect_timeouts, 0);
    ck_assert_uint_gt(st.resets, 0);
    cfg.seed = 43;
    g_autofree char *c = det_workload_run(&cfg, &e3, NULL);
    ck_assert_str_ne(a, c);
}
END_TEST

Suite *determinism_suite(void);
Suite *determinism_suite(void)
{
    Suite *s = suite_create("determinism");
    TCase *tc = tcase_create("workload");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_same_seed_same_hash);
    suite_add_tcase(s, tc);
    return s;
}
