/* clusterUpdateState with hand-set time: full coverage, FAIL owners (PFAIL does not count),
 * the minority rule, the 2000 ms writable delay and the rejoin delay clamp(NT, 500, 5000). */
#include "tests/bus_view.h"

static void eval(BusView *v, gint64 now_ms)
{
    bus_view_enter(v, now_ms);
    rc_cluster_update_state(v->node);
    bus_view_leave(v);
}

/* me: slots 0-5460, a: 5461-10921, b: 10922-16383. */
static BusView *three(gint64 nt_ms, gboolean full, RcClusterNode **a, RcClusterNode **b)
{
    BusView *v = bus_view_new(nt_ms, full);
    bus_view_enter(v, 0);
    for (int s = 0; s <= 5460; s++)
        rc_cluster_add_slot(v->node, bus_view_me(v), s);
    bus_view_leave(v);
    *a = bus_view_add(v, 'a', RC_NODE_MASTER, 5461, 10921);
    *b = bus_view_add(v, 'b', RC_NODE_MASTER, 10922, 16383);
    return v;
}

START_TEST(test_writable_delay_after_first_evaluation)
{
    RcClusterNode *a, *b;
    BusView *v = three(15000, TRUE, &a, &b);
    eval(v, 100);
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_FAIL);
    eval(v, 2099);
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_FAIL);
    eval(v, 2100);
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_OK);
    bus_view_free(v);
}
END_TEST

START_TEST(test_coverage_rules)
{
    RcClusterNode *a, *b;
    BusView *v = three(15000, TRUE, &a, &b);
    eval(v, 0);
    eval(v, 3000);
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_OK);
    /* PFAIL owner: still covered, and 2 of 3 reachable */
    b->flags |= RC_NODE_PFAIL;
    eval(v, 3100);
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_OK);
    /* FAIL owner: not covered */
    b->flags = (guint16)((b->flags & ~RC_NODE_PFAIL) | RC_NODE_FAIL);
    bus_view_enter(v, 3200);
    rc_cluster_update_state(v->node);
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_FAIL);
    ck_assert_uint_eq(bus_view_log_count(v, "Cluster state changed: fail"), 1);
    ck_assert_uint_eq(bus_view_event_count(v, RC_EVT_STATE_FAIL), 1);
    bus_view_leave(v);
    /* an unbound slot */
    b->flags &= (guint16)~RC_NODE_FAIL;
    eval(v, 3300);
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_OK);
    bus_view_enter(v, 3400);
    rc_cluster_del_slot(v->node, 16383);
    rc_cluster_update_state(v->node);
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_FAIL);
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

START_TEST(test_without_full_coverage)
{
    RcClusterNode *a, *b;
    BusView *v = three(15000, FALSE, &a, &b);
    bus_view_enter(v, 0);
    rc_cluster_del_slot(v->node, 16383);
    bus_view_leave(v);
    b->flags |= RC_NODE_FAIL;
    eval(v, 0);
    eval(v, 3000);
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_OK); /* 2 of 3 reachable */
    bus_view_free(v);
}
END_TEST

START_TEST(test_minority_then_rejoin_delay)
{
    static const struct {
        gint64 nt_ms, rejoin_ms;
    } cases[] = {{100, 500}, {2000, 2000}, {15000, 5000}, {60000, 5000}};
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        RcClusterNode *a, *b;
        BusView *v = three(cases[i].nt_ms, TRUE, &a, &b);
        eval(v, 0);
        eval(v, 3000);
        ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_OK);
        ck_assert_int_eq(rc_cluster_rejoin_delay_ms(v->node), cases[i].rejoin_ms);
        a->flags |= RC_NODE_PFAIL;
        b->flags |= RC_NODE_PFAIL;
        eval(v, 10000); /* 1 of 3 reachable < 2 */
        ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_FAIL);
        ck_assert_int_eq(v->node->cluster->size, 3);
        eval(v, 20000); /* still in the minority: the minority time moves on */
        a->flags &= (guint16)~RC_NODE_PFAIL;
        eval(v, 20000 + cases[i].rejoin_ms - 1);
        ck_assert_msg(v->node->cluster->state == RC_CLUSTER_FAIL, "case %zu", i);
        eval(v, 20000 + cases[i].rejoin_ms);
        ck_assert_msg(v->node->cluster->state == RC_CLUSTER_OK, "case %zu", i);
        bus_view_free(v);
    }
}
END_TEST

START_TEST(test_replica_rejoins_at_once)
{
    RcClusterNode *a, *b;
    BusView *v = three(15000, TRUE, &a, &b);
    RcClusterNode *me = bus_view_me(v);
    bus_view_enter(v, 0);
    rc_cluster_del_node_slots(v->node, me);
    for (int s = 0; s <= 5460; s++)
        rc_cluster_add_slot(v->node, a, s);
    bus_view_leave(v);
    me->flags = RC_NODE_MYSELF | RC_NODE_SLAVE;
    me->replica_of = a;
    a->flags |= RC_NODE_PFAIL;
    b->flags |= RC_NODE_PFAIL;
    eval(v, 100); /* no writable delay for replicas */
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_FAIL);
    a->flags &= (guint16)~RC_NODE_PFAIL;
    b->flags &= (guint16)~RC_NODE_PFAIL;
    eval(v, 200); /* the minority was 100 ms ago, but replicas do not wait */
    ck_assert_int_eq(v->node->cluster->state, RC_CLUSTER_OK);
    bus_view_free(v);
}
END_TEST

/* The slot ranges of CLUSTER NODES and nodes.conf come from the cached runs of the slot table
 * (one scan for all nodes); they follow every change of ownership. */
static char *ranges_of(BusView *v, const RcClusterNode *n)
{
    GString *line = g_string_new(NULL);
    rc_nodes_describe_node(v->node, n, line);
    g_auto(GStrv) f = g_strsplit(line->str, " ", 9);
    g_string_free(line, TRUE);
    return g_strdup(g_strv_length(f) == 9 ? f[8] : "");
}

START_TEST(test_slot_ranges_follow_changes)
{
    RcClusterNode *a, *b;
    BusView *v = three(15000, TRUE, &a, &b);
    RcClusterNode *me = bus_view_me(v);
    const struct {
        int del_slot, give_to_a; /* -1: none */
        const char *me, *a, *b;
    } steps[] = {
        {-1, -1, "0-5460", "5461-10921", "10922-16383"},
        {100, -1, "0-99 101-5460", "5461-10921", "10922-16383"},
        {-1, 100, "0-99 101-5460", "100 5461-10921", "10922-16383"},
        {0, 0, "1-99 101-5460", "0 100 5461-10921", "10922-16383"},
        {16383, 16383, "1-99 101-5460", "0 100 5461-10921 16383", "10922-16382"},
        {5460, -1, "1-99 101-5459", "0 100 5461-10921 16383", "10922-16382"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(steps); i++) {
        bus_view_enter(v, (gint64)i);
        if (steps[i].del_slot >= 0)
            rc_cluster_del_slot(v->node, steps[i].del_slot);
        if (steps[i].give_to_a >= 0)
            rc_cluster_add_slot(v->node, a, steps[i].give_to_a);
        bus_view_leave(v);
        /* twice: built once, then read from the cache */
        for (int pass = 0; pass < 2; pass++) {
            g_autofree char *got_me = ranges_of(v, me), *got_a = ranges_of(v, a),
                            *got_b = ranges_of(v, b);
            ck_assert_str_eq(got_me, steps[i].me);
            ck_assert_str_eq(got_a, steps[i].a);
            ck_assert_str_eq(got_b, steps[i].b);
        }
    }
    /* a master without slots lists none */
    bus_view_enter(v, 10);
    rc_cluster_del_node_slots(v->node, b);
    bus_view_leave(v);
    g_autofree char *got_b = ranges_of(v, b);
    ck_assert_str_eq(got_b, "");
    bus_view_free(v);
}
END_TEST

Suite *cluster_state_suite(void);
Suite *cluster_state_suite(void)
{
    Suite *s = suite_create("cluster_state");
    TCase *tc = tcase_create("state");
    tcase_add_test(tc, test_writable_delay_after_first_evaluation);
    tcase_add_test(tc, test_coverage_rules);
    tcase_add_test(tc, test_without_full_coverage);
    tcase_add_test(tc, test_minority_then_rejoin_delay);
    tcase_add_test(tc, test_replica_rejoins_at_once);
    tcase_add_test(tc, test_slot_ranges_follow_changes);
    suite_add_tcase(s, tc);
    return s;
}
