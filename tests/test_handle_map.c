/* RcHandleMap against a GHashTable model: random inserts (sequential handles, as a node
 * hands them out), removals and lookups, across growth and the backward-shift deletion,
 * then clear with a destructor. */
#include <check.h>

#include "core/handle_map.h"
#include "sim/rng.h"

static guint freed;

static void count_free(gpointer p)
{
    (void)p;
    freed++;
}

/* Every handle ever issued: present in the map exactly when present in the model, with the
 * same value. */
static void assert_same(const RcHandleMap *m, GHashTable *model, guint32 next)
{
    ck_assert_uint_eq(rc_handle_map_size(m), g_hash_table_size(model));
    for (guint32 h = 1; h < next; h++)
        ck_assert_ptr_eq(rc_handle_map_lookup(m, h),
                         g_hash_table_lookup(model, GUINT_TO_POINTER(h)));
}

START_TEST(test_matches_model)
{
    RcHandleMap m;
    rc_handle_map_init(&m);
    GHashTable *model = g_hash_table_new(NULL, NULL);
    SimRng rng = sim_rng_small(7, SIM_RNG_TEST, 0);
    guint32 next = 1;
    for (guint step = 0; step < 40000; step++) {
        guint64 what = sim_rng_below(&rng, 10);
        if (what < 5 || g_hash_table_size(model) == 0) { /* a new handle */
            gpointer v = GUINT_TO_POINTER(next * 3 + 1);
            rc_handle_map_insert(&m, next, v);
            g_hash_table_insert(model, GUINT_TO_POINTER(next), v);
            next++;
        } else { /* remove a handle, live or long gone */
            guint32 h = 1 + (guint32)sim_rng_below(&rng, next - 1);
            gpointer want = g_hash_table_lookup(model, GUINT_TO_POINTER(h));
            ck_assert_ptr_eq(rc_handle_map_remove(&m, h), want);
            g_hash_table_remove(model, GUINT_TO_POINTER(h));
        }
        if (step % 997 == 0)
            assert_same(&m, model, next);
    }
    assert_same(&m, model, next);
    ck_assert_ptr_null(rc_handle_map_lookup(&m, next)); /* never issued */
    guint live = g_hash_table_size(model);
    ck_assert_uint_gt(live, 100);
    freed = 0;
    rc_handle_map_clear(&m, count_free);
    ck_assert_uint_eq(freed, live);
    ck_assert_uint_eq(rc_handle_map_size(&m), 0);
    for (guint32 h = 1; h < next; h++)
        ck_assert_ptr_null(rc_handle_map_lookup(&m, h));
    rc_handle_map_destroy(&m);
    g_hash_table_unref(model);
}
END_TEST

/* Keys that share a home slot (a long probe chain, wrapping round the table's end for some
 * homes): removing from its middle and from its head keeps every other key reachable. */
START_TEST(test_collisions_and_backward_shift)
{
    RcHandleMap m;
    rc_handle_map_init(&m);
    for (guint32 h = 1; h <= 20; h++) /* grows to 64 slots */
        rc_handle_map_insert(&m, h, GUINT_TO_POINTER(h));
    guint size = 1u << m.bits;
    for (guint home = size - 3; home < size + 2; home++) { /* homes near the end, and the start */
        guint32 chain[6];
        guint c = 0;
        for (guint32 h = 1000; c < G_N_ELEMENTS(chain); h++)
            if (rc_handle_map_home(&m, h) == home % size && rc_handle_map_lookup(&m, h) == NULL)
                chain[c++] = h;
        for (guint i = 0; i < c; i++)
            rc_handle_map_insert(&m, chain[i], GUINT_TO_POINTER(chain[i]));
        ck_assert_ptr_eq(rc_handle_map_remove(&m, chain[2]), GUINT_TO_POINTER(chain[2]));
        ck_assert_ptr_eq(rc_handle_map_remove(&m, chain[0]), GUINT_TO_POINTER(chain[0]));
        ck_assert_ptr_null(rc_handle_map_remove(&m, chain[2]));
        for (guint i = 0; i < c; i++)
            ck_assert_ptr_eq(rc_handle_map_lookup(&m, chain[i]),
                             i == 0 || i == 2 ? NULL : GUINT_TO_POINTER(chain[i]));
        for (guint i = 0; i < c; i++)
            if (i != 0 && i != 2)
                rc_handle_map_remove(&m, chain[i]);
        for (guint32 h = 1; h <= 20; h++)
            ck_assert_ptr_eq(rc_handle_map_lookup(&m, h), GUINT_TO_POINTER(h));
        ck_assert_uint_eq(rc_handle_map_size(&m), 20);
    }
    rc_handle_map_destroy(&m);
}
END_TEST

Suite *handle_map_suite(void);
Suite *handle_map_suite(void)
{
    Suite *s = suite_create("handle_map");
    TCase *tc = tcase_create("handle_map");
    tcase_add_test(tc, test_matches_model);
    tcase_add_test(tc, test_collisions_and_backward_shift);
    suite_add_tcase(s, tc);
    return s;
}
