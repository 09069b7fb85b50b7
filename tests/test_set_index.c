/* A set's hashed index (core/set.c) against a plain model: an array of members in insertion
 * order (and a hash table for membership). Random adds, removals and lookups (present and absent
 * members, the empty member, members that differ in one byte) across the index's growth from its
 * first size to tens of thousands of slots, where fewer hash bits are kept per entry; after
 * every step the set's members, in order, must be the model's, and every model member and a
 * batch of absent ones must be found or not found as the model says. */
#include <check.h>
#include <string.h>

#include "core/keyspace.h"

/* ck_assert records every passing check (a write each); these loops make millions. */
#define EXPECT(c)                                                                                  \
    do {                                                                                           \
        if (!(c))                                                                                  \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                                     \
    } while (0)
#define EXPECT_EQ(a, b) EXPECT((a) == (b))

typedef struct {
    GPtrArray *members;  /* GBytes*, insertion order */
    GHashTable *present; /* the same GBytes*, for membership (never iterated) */
} Model;

/* The member's place in insertion order, or -1. */
static gssize model_find(const Model *m, GBytes *b)
{
    if (!g_hash_table_contains(m->present, b))
        return -1;
    for (guint i = 0; i < m->members->len; i++)
        if (g_bytes_equal(g_ptr_array_index(m->members, i), b))
            return i;
    g_assert_not_reached();
}

static gboolean model_has(const Model *m, GBytes *b)
{
    return g_hash_table_contains(m->present, b);
}

/* Member number `n`: short and long members, some sharing long prefixes. */
static GBytes *member(guint n)
{
    char buf[64];
    int len;
    switch (n % 4) {
    case 0:
        len = g_snprintf(buf, sizeof buf, "%u", n); /* integers: the set starts an intset */
        break;
    case 1:
        len = g_snprintf(buf, sizeof buf, "m:%u", n);
        break;
    case 2:
        len = g_snprintf(buf, sizeof buf, "a-rather-long-common-prefix-of-members:%u", n);
        break;
    default:
        len = n % 7 == 0 ? 0 : g_snprintf(buf, sizeof buf, "%c", 'a' + n % 26);
        break;
    }
    return g_bytes_new(buf, (gsize)len);
}

static void check_same(const RcSet *s, const Model *m, GRand *rng, guint universe)
{
    EXPECT_EQ(rc_set_size(s), m->members->len);
    for (guint i = 0; i < m->members->len; i++) {
        GBytes *b = g_ptr_array_index(m->members, i);
        gsize len;
        const guint8 *d = rc_set_member(s, i, &len);
        EXPECT_EQ(len, g_bytes_get_size(b));
        EXPECT(len == 0 || memcmp(d, g_bytes_get_data(b, NULL), len) == 0);
        EXPECT(rc_set_contains(s, b));
    }
    /* Absent members: from the universe (removed or never added) and never-used ones. */
    for (guint k = 0; k < 32; k++) {
        g_autoptr(GBytes) b = member(g_rand_int_range(rng, 0, (gint32)universe));
        EXPECT(rc_set_contains(s, b) == model_has(m, b));
        g_autofree char *absent = g_strdup_printf("absent:%u", g_rand_int(rng));
        EXPECT(!rc_set_contains_data(s, absent, strlen(absent)));
    }
}

/* Returns the index size the set ended with. */
static guint run_model(guint seed, guint universe, guint steps, guint remove_per_mille)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(seed);
    RcSet s = {0};
    rc_set_init(&s);
    Model m = {g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref),
               g_hash_table_new(g_bytes_hash, g_bytes_equal)};
    for (guint step = 0; step < steps; step++) {
        g_autoptr(GBytes) b = member(g_rand_int_range(rng, 0, (gint32)universe));
        gboolean had = model_has(&m, b);
        if ((guint)g_rand_int_range(rng, 0, 1000) < remove_per_mille) {
            EXPECT(rc_set_remove(&s, b) == had);
            if (had) {
                gssize at = model_find(&m, b);
                g_hash_table_remove(m.present, b);
                g_ptr_array_remove_index(m.members, (guint)at); /* keeps the others' order */
            }
        } else {
            EXPECT(rc_set_add(&s, b) == !had);
            if (!had) {
                g_ptr_array_add(m.members, g_bytes_ref(b));
                g_hash_table_add(m.present, b);
            }
        }
        if ((step < 5000 && step % 97 == 0) || step % 4999 == 0 || step + 1 == steps)
            check_same(&s, &m, rng, universe);
    }
    /* A copy answers the same, and both go on independently. */
    RcSet c = {0};
    rc_set_copy(&c, &s);
    check_same(&c, &m, rng, universe);
    g_autoptr(GBytes) extra = g_bytes_new_static("only-in-the-copy", 16);
    EXPECT(rc_set_add(&c, extra));
    EXPECT(!rc_set_contains(&s, extra));
    rc_set_clear(&c);
    g_hash_table_unref(m.present);
    g_ptr_array_unref(m.members);
    guint index_size = s.index_mask + 1;
    rc_set_clear(&s);
    return index_size;
}

START_TEST(test_small_sets_with_removals)
{
    for (guint seed = 1; seed <= 20; seed++)
        run_model(seed, 40, 400, 300);
}
END_TEST

/* Growth far past the sizes the scenarios reach: the index doubles a dozen times, so an
 * entry keeps from 29 down to 16 bits of hash, and past 2^15 slots (about 24.6 k members)
 * growing rehashes the members instead of moving the entries. */
START_TEST(test_big_set_growth)
{
    /* ~28.5 k distinct members: the index reaches 2^16 slots. */
    ck_assert_uint_ge(run_model(7, 40000, 120000, 0), 1u << 16);
}
END_TEST

/* A big set shrinking: each removal rebuilds the index at the smaller size. */
START_TEST(test_big_set_removals)
{
    run_model(8, 3000, 9000, 450);
    run_model(9, 6000, 8000, 50);
}
END_TEST

/* Every member added in order, then each found, then all removed from the front. */
START_TEST(test_add_all_remove_all)
{
    RcSet s = {0};
    rc_set_init(&s);
    enum { N = 5000 };
    for (guint n = 0; n < N; n++) {
        g_autoptr(GBytes) b = member(n * 4 + 1);
        EXPECT(rc_set_add(&s, b));
        EXPECT(!rc_set_add(&s, b));
    }
    EXPECT_EQ(rc_set_size(&s), N);
    for (guint n = 0; n < N; n++) {
        g_autoptr(GBytes) b = member(n * 4 + 1);
        EXPECT(rc_set_contains(&s, b));
        g_autoptr(GBytes) other = member(n * 4 + 2);
        EXPECT(!rc_set_contains(&s, other));
    }
    for (guint n = 0; n < N; n += 50) {
        g_autoptr(GBytes) b = member(n * 4 + 1);
        EXPECT(rc_set_remove(&s, b));
        EXPECT(!rc_set_contains(&s, b));
    }
    EXPECT_EQ(rc_set_size(&s), N - N / 50);
    rc_set_clear(&s);
}
END_TEST

Suite *set_index_suite(void);
Suite *set_index_suite(void)
{
    Suite *s = suite_create("set_index");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_small_sets_with_removals);
    tcase_add_test(tc, test_big_set_growth);
    tcase_add_test(tc, test_big_set_removals);
    tcase_add_test(tc, test_add_all_remove_all);
    suite_add_tcase(s, tc);
    return s;
}
