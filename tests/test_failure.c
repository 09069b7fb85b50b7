/* Failure detection with hand-set time: PFAIL strictly after NT, the FAIL quorum over
 * slot-owning masters (suspect included), report validity, and the rules for clearing FAIL. */
#include "tests/bus_view.h"

#define NT 15000

START_TEST(test_pfail_strictly_after_node_timeout)
{
    BusView *v = bus_view_new(NT, TRUE);
    RcClusterNode *a = bus_view_add(v, 'a', RC_NODE_MASTER, 0, 16383);
    a->ping_sent_ms = 1000;
    a->data_received_ms = 1000;
    bus_view_enter(v, 1000 + NT);
    ck_assert(!rc_failure_check_pfail(v->node, a));
    ck_assert(!rc_node_timed_out(a));
    bus_view_leave(v);
    bus_view_enter(v, 1000 + NT + 1);
    ck_assert(rc_failure_check_pfail(v->node, a));
    ck_assert(rc_node_timed_out(a));
    ck_assert_uint_eq(bus_view_event_count(v, RC_EVT_PFAIL), 1);
    /* flagged once */
    ck_assert(!rc_failure_check_pfail(v->node, a));
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

START_TEST(test_any_data_is_liveness)
{
    BusView *v = bus_view_new(NT, TRUE);
    RcClusterNode *a = bus_view_add(v, 'a', RC_NODE_MASTER, 0, 16383);
    a->ping_sent_ms = 1000;
    a->data_received_ms = 9000;          /* e.g. its PINGs keep arriving on the inbound link */
    bus_view_enter(v, 1000 + NT + 5000); /* ping 20 s old, data 12 s old */
    ck_assert(!rc_failure_check_pfail(v->node, a));
    bus_view_leave(v);
    /* no ping outstanding: never PFAIL, however old the data */
    a->ping_sent_ms = 0;
    a->data_received_ms = 1;
    bus_view_enter(v, 10 * NT);
    ck_assert(!rc_failure_check_pfail(v->node, a));
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

START_TEST(test_pfail_through_cron)
{
    BusView *v = bus_view_new(NT, TRUE);
    RcClusterNode *a = bus_view_add(v, 'a', RC_NODE_MASTER, 0, 16383);
    a->ping_sent_ms = 500;
    a->data_received_ms = 500;
    bus_view_enter(v, 500 + NT);
    rc_cluster_cron(v->node);
    ck_assert(!rc_node_timed_out(a));
    bus_view_leave(v);
    bus_view_enter(v, 500 + NT + 100);
    rc_cluster_cron(v->node);
    ck_assert(rc_node_timed_out(a));
    ck_assert_uint_eq(v->node->cluster->stats_pfail_nodes, 0); /* counted before flagging */
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

/* 5 slot-owning masters (me, a, b, c, d); d is PFAIL here. quorum = 5/2 + 1 = 3. */
static BusView *five_masters(RcClusterNode **n)
{
    BusView *v = bus_view_new(NT, TRUE);
    bus_view_enter(v, 0);
    for (int s = 0; s < 1000; s++)
        rc_cluster_add_slot(v->node, bus_view_me(v), s);
    bus_view_leave(v);
    for (int i = 0; i < 4; i++)
        n[i] = bus_view_add(v, (char)('a' + i), RC_NODE_MASTER, 1000 + i * 1000,
                            1000 + i * 1000 + 999);
    /* the first evaluation starts the 2 s writable delay; the second computes the size */
    bus_view_enter(v, 0);
    rc_cluster_update_state(v->node);
    bus_view_leave(v);
    bus_view_enter(v, 3000);
    rc_cluster_update_state(v->node);
    bus_view_leave(v);
    ck_assert_int_eq(v->node->cluster->size, 5);
    n[3]->flags |= RC_NODE_PFAIL;
    return v;
}

START_TEST(test_fail_needs_quorum_with_myself)
{
    RcClusterNode *n[4];
    BusView *v = five_masters(n);
    bus_view_enter(v, 50000);
    ck_assert(rc_failure_report_add(v->node, n[3], n[0]));
    ck_assert(!rc_failure_report_add(v->node, n[3], n[0])); /* refresh, not a second report */
    rc_failure_mark_if_needed(v->node, n[3]);
    ck_assert(!rc_node_failed(n[3])); /* 1 report + me = 2 < 3 */
    rc_failure_report_add(v->node, n[3], n[1]);
    rc_failure_mark_if_needed(v->node, n[3]);
    ck_assert(rc_node_failed(n[3]));
    ck_assert(!rc_node_timed_out(n[3]));
    ck_assert_int_eq(n[3]->fail_time_ms, 50000);
    ck_assert_uint_eq(bus_view_log_count(v, "Marking node dddddddddddddddddddddddddddddddddddddddd "
                                            "as failing (quorum reached)."),
                      1);
    ck_assert_uint_eq(bus_view_event_count(v, RC_EVT_FAIL), 1);
    ck_assert(v->node->cluster->todo_before_sleep & RC_CLUSTER_TODO_UPDATE_STATE);
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

START_TEST(test_replica_observer_does_not_count_itself)
{
    RcClusterNode *n[4];
    BusView *v = five_masters(n);
    RcClusterNode *me = bus_view_me(v);
    bus_view_enter(v, 3100);
    rc_cluster_del_node_slots(v->node, me);
    me->flags = RC_NODE_MYSELF | RC_NODE_SLAVE;
    me->replica_of = n[0];
    rc_cluster_update_state(v->node);
    ck_assert_int_eq(v->node->cluster->size, 4); /* quorum 3 */
    rc_failure_report_add(v->node, n[3], n[0]);
    rc_failure_report_add(v->node, n[3], n[1]);
    rc_failure_mark_if_needed(v->node, n[3]);
    ck_assert(!rc_node_failed(n[3]));
    rc_failure_report_add(v->node, n[3], n[2]);
    rc_failure_mark_if_needed(v->node, n[3]);
    ck_assert(rc_node_failed(n[3]));
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

START_TEST(test_reports_valid_two_node_timeouts)
{
    RcClusterNode *n[4];
    BusView *v = five_masters(n);
    bus_view_enter(v, 4000);
    rc_failure_report_add(v->node, n[3], n[0]);
    bus_view_leave(v);
    bus_view_enter(v, 4000 + 2 * NT);
    ck_assert_int_eq(rc_cluster_node_failure_reports(v->node, n[3]), 1);
    rc_failure_report_add(v->node, n[3], n[1]);
    bus_view_leave(v);
    bus_view_enter(v, 4001 + 2 * NT);
    ck_assert_int_eq(rc_cluster_node_failure_reports(v->node, n[3]), 1); /* a's expired */
    rc_failure_mark_if_needed(v->node, n[3]);
    ck_assert(!rc_node_failed(n[3]));
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

/* size counts slot-owning masters including the suspect; slot-less masters still report. */
START_TEST(test_quorum_over_slot_owners_including_suspect)
{
    BusView *v = bus_view_new(NT, TRUE);
    bus_view_enter(v, 0);
    for (int s = 0; s < 8000; s++)
        rc_cluster_add_slot(v->node, bus_view_me(v), s);
    bus_view_leave(v);
    RcClusterNode *b = bus_view_add(v, 'b', RC_NODE_MASTER, 8000, 16383);
    RcClusterNode *c = bus_view_add(v, 'c', RC_NODE_MASTER, -1, -1); /* no slots */
    bus_view_enter(v, 10);
    rc_cluster_update_state(v->node);
    bus_view_leave(v);
    bus_view_enter(v, 3000);
    rc_cluster_update_state(v->node);
    ck_assert_int_eq(v->node->cluster->size, 2); /* quorum 2 */
    b->flags |= RC_NODE_PFAIL;
    rc_failure_mark_if_needed(v->node, b);
    ck_assert(!rc_node_failed(b)); /* me alone: 1 */
    rc_failure_report_add(v->node, b, c);
    rc_failure_mark_if_needed(v->node, b);
    ck_assert(rc_node_failed(b));
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

START_TEST(test_not_pfail_no_fail)
{
    RcClusterNode *n[4];
    BusView *v = five_masters(n);
    n[3]->flags &= (guint16)~RC_NODE_PFAIL;
    bus_view_enter(v, 4000);
    for (int i = 0; i < 3; i++)
        rc_failure_report_add(v->node, n[3], n[i]);
    rc_failure_mark_if_needed(v->node, n[3]);
    ck_assert(!rc_node_failed(n[3])); /* reports alone never make FAIL: I must suspect it */
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

START_TEST(test_clear_fail_rules)
{
    BusView *v = bus_view_new(NT, TRUE);
    RcClusterNode *m = bus_view_add(v, 'm', RC_NODE_MASTER, 0, 99);
    RcClusterNode *e = bus_view_add(v, 'e', RC_NODE_MASTER, -1, -1);
    RcClusterNode *r = bus_view_add(v, 'r', RC_NODE_SLAVE, -1, -1);
    r->replica_of = m;
    static const struct {
        char who;
        gint64 fail_time, now;
        gboolean cleared;
        const char *log;
    } cases[] = {
        {'r', 1000, 1001, TRUE,
         "Clear FAIL state for node rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr: "
         "replica is reachable again."},
        {'e', 1000, 1001, TRUE,
         "Clear FAIL state for node eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee: "
         "master without slots is reachable again."},
        {'m', 1000, 1000 + 2 * NT, FALSE, NULL},
        {'m', 1000, 1001 + 2 * NT, TRUE,
         "Clear FAIL state for node "
         "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm: is reachable "
         "again and nobody is serving its slots after some time."},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        RcClusterNode *n = cases[i].who == 'r' ? r : cases[i].who == 'e' ? e : m;
        n->flags |= RC_NODE_FAIL;
        n->fail_time_ms = cases[i].fail_time;
        bus_view_enter(v, cases[i].now);
        rc_failure_clear_if_needed(v->node, n);
        ck_assert_msg(rc_node_failed(n) == !cases[i].cleared, "case %zu", i);
        if (cases[i].log)
            ck_assert_uint_eq(bus_view_log_count(v, cases[i].log), 1);
        ck_assert_uint_eq(bus_view_event_count(v, RC_EVT_FAIL_CLEARED), cases[i].cleared ? 1 : 0);
        bus_view_leave(v);
        n->flags &= (guint16)~RC_NODE_FAIL;
    }
    bus_view_free(v);
}
END_TEST

Suite *failure_suite(void);
Suite *failure_suite(void)
{
    Suite *s = suite_create("failure");
    TCase *tc = tcase_create("failure");
    tcase_add_test(tc, test_pfail_strictly_after_node_timeout);
    tcase_add_test(tc, test_any_data_is_liveness);
    tcase_add_test(tc, test_pfail_through_cron);
    tcase_add_test(tc, test_fail_needs_quorum_with_myself);
    tcase_add_test(tc, test_replica_observer_does_not_count_itself);
    tcase_add_test(tc, test_reports_valid_two_node_timeouts);
    tcase_add_test(tc, test_quorum_over_slot_owners_including_suspect);
    tcase_add_test(tc, test_not_pfail_no_fail);
    tcase_add_test(tc, test_clear_fail_rules);
    suite_add_tcase(s, tc);
    return s;
}
