/* sim_rng_below's fast path (a draw at or above the bound is kept without computing the
 * rejection threshold) against the textbook rejection sampler, draw for draw. */
#include <check.h>

#include "sim/rng.h"

/* The textbook rejection sampler sim_rng_below must match draw for draw: compute 2^64 mod
 * bound, redraw while below it. */
static guint64 below_reference(SimRng *r, guint64 bound)
{
    guint64 threshold = (0 - bound) % bound;
    for (;;) {
        guint64 x = sim_rng_next(r);
        if (x >= threshold)
            return x % bound;
    }
}

/* Bounds near 2^64 reject often (for 2^63 + 1 almost half the draws), so the rare path that
 * computes the threshold runs many times; small bounds take the fast path. Both streams must
 * stay in step. */
START_TEST(test_below_matches_reference)
{
    const guint64 bounds[] = {1,
                              2,
                              7,
                              801,
                              G_GUINT64_CONSTANT(1) << 32,
                              (G_GUINT64_CONSTANT(1) << 63) + 1,
                              G_GUINT64_CONSTANT(0xC000000000000001),
                              G_MAXUINT64};
    for (guint b = 0; b < G_N_ELEMENTS(bounds); b++) {
        SimRng fast = sim_rng_small(3, SIM_RNG_TEST, b);
        SimRng ref = fast;
        for (guint i = 0; i < 20000; i++) {
            ck_assert_uint_eq(sim_rng_below(&fast, bounds[b]), below_reference(&ref, bounds[b]));
            ck_assert_uint_eq(fast.state, ref.state);
        }
    }
}
END_TEST

Suite *rng_below_suite(void);
Suite *rng_below_suite(void)
{
    Suite *s = suite_create("rng_below");
    TCase *tc = tcase_create("rng_below");
    tcase_add_test(tc, test_below_matches_reference);
    suite_add_tcase(s, tc);
    return s;
}
