/* Gossip with hand-set time: how many entries a ping carries and which nodes they name,
 * and what a received gossip section does (failure reports from masters only, pong time
 * postponement, address following, new nodes). */
#include "tests/bus_view.h"

START_TEST(test_wanted_entries)
{
    static const int table[][2] = {{2, 0},  {3, 1},  {4, 2},    {5, 3},    {10, 3},
                                   {39, 3}, {40, 4}, {100, 10}, {101, 10}, {1000, 100}};
    for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
        ck_assert_msg(rc_gossip_wanted(table[i][0]) == table[i][1], "N=%d", table[i][0]);
}
END_TEST

static void last_sent(BusView *v, RcBusMsg *m)
{
    const RcAction *sent = NULL;
    for (guint i = 0; i < rc_outbox_len(v->out); i++)
        if (rc_outbox_get(v->out, i)->kind == RC_ACT_SEND)
            sent = rc_outbox_get(v->out, i);
    ck_assert_ptr_nonnull(sent);
    gsize len = sent->len;
    const guint8 *d = sent->data;
    g_autoptr(GError) err = NULL;
    ck_assert_msg(rc_bus_decode(d, len, m, &err), "%s", err ? err->message : "");
}

/* 40 nodes in the table (me + 39): wanted = 4. Every entry is a distinct eligible node, then
 * every PFAIL node; never myself, handshake, noaddr, or slot-less nodes without a link. */
START_TEST(test_ping_entry_selection)
{
    for (guint32 seed = 1; seed <= 50; seed++) {
        BusView *v = bus_view_new(15000, TRUE);
        g_rand_set_seed(v->rng, seed);
        RcClusterNode *peers[39];
        for (int i = 0; i < 39; i++) {
            guint16 flags = RC_NODE_MASTER;
            if (i >= 30 && i < 33)
                flags |= RC_NODE_PFAIL;
            if (i == 33)
                flags |= RC_NODE_HANDSHAKE;
            if (i == 34)
                flags |= RC_NODE_NOADDR;
            int slot = i < 35 ? i : -1; /* 35..38: no slots and no link */
            peers[i] =
                bus_view_add(v, (char)(i < 26 ? 'a' + i : '0' + (i - 26)), flags, slot, slot);
        }
        RcClusterLink *link = bus_view_out_link(v, peers[0]);
        v->node->cluster->stats_pfail_nodes = 3;
        bus_view_enter(v, 5000);
        rc_cluster_send_ping(v->node, link, RC_MSG_PING);
        ck_assert_int_eq(peers[0]->ping_sent_ms, 5000);
        RcBusMsg m;
        last_sent(v, &m);
        bus_view_leave(v);
        ck_assert_uint_ge(m.count, 3);
        ck_assert_uint_le(m.count, 4 + 3);
        for (guint k = 0; k < m.count; k++) {
            const RcBusGossip *g = &g_array_index(m.gossip, RcBusGossip, k);
            RcClusterNode *n = rc_cluster_lookup(v->node, g->nodename);
            ck_assert_ptr_nonnull(n);
            ck_assert(n != bus_view_me(v));
            ck_assert(!(n->flags & (RC_NODE_HANDSHAKE | RC_NODE_NOADDR)));
            ck_assert(n->numslots > 0 || n->link != NULL);
            gboolean pfail = (g->flags & RC_NODE_PFAIL) != 0;
            /* the PFAIL nodes come last, all three */
            ck_assert(pfail == (k + 3 >= m.count));
            for (guint j = 0; j < k; j++)
                ck_assert(
                    memcmp(g_array_index(m.gossip, RcBusGossip, j).nodename, g->nodename, 40) != 0);
        }
        rc_bus_msg_clear(&m);
        bus_view_free(v);
    }
}
END_TEST

START_TEST(test_pong_and_meet_do_not_set_ping_sent)
{
    BusView *v = bus_view_new(15000, TRUE);
    RcClusterNode *a = bus_view_add(v, 'a', RC_NODE_MASTER, 0, 0);
    RcClusterLink *link = bus_view_out_link(v, a);
    bus_view_enter(v, 7000);
    rc_cluster_send_ping(v->node, link, RC_MSG_PONG);
    rc_cluster_send_ping(v->node, link, RC_MSG_MEET);
    ck_assert_int_eq(a->ping_sent_ms, 0);
    bus_view_leave(v);
    bus_view_free(v);
}
END_TEST

static void gossip_from(BusView *v, RcClusterNode *sender, const RcBusGossip *entries, guint n,
                        gint64 now_ms)
{
    RcClusterLink *link = rc_link_new(v->node, NULL, TRUE);
    link->node = sender;
    RcBusMsg m;
    rc_bus_msg_init(&m, RC_MSG_PING);
    memcpy(m.sender, sender->name, 40);
    for (guint i = 0; i < n; i++)
        rc_bus_msg_add_gossip(&m, &entries[i]);
    bus_view_enter(v, now_ms);
    rc_gossip_process_section(v->node, &m, link);
    bus_view_leave(v);
    rc_bus_msg_clear(&m);
    link->node = NULL;
    rc_link_free(v->node, link, FALSE);
}

static RcBusGossip entry_for(const RcClusterNode *n, guint16 flags, guint32 pong_s)
{
    RcBusGossip g = {0};
    memcpy(g.nodename, n->name, 40);
    g.flags = flags;
    g.pong_received_s = pong_s;
    memcpy(g.ip, n->ip, sizeof n->ip);
    g.port = n->port;
    g.cport = n->cport;
    return g;
}

/* Reports held on a record, none while its list was never made. */
static guint fail_report_count(const RcClusterNode *n)
{
    return n->fail_reports != NULL ? n->fail_reports->len : 0;
}

START_TEST(test_reports_only_from_masters)
{
    BusView *v = bus_view_new(15000, TRUE);
    RcClusterNode *m = bus_view_add(v, 'm', RC_NODE_MASTER, 0, 10);
    RcClusterNode *r = bus_view_add(v, 'r', RC_NODE_SLAVE, -1, -1);
    RcClusterNode *x = bus_view_add(v, 'x', RC_NODE_MASTER, 11, 20);
    RcBusGossip g = entry_for(x, RC_NODE_MASTER | RC_NODE_PFAIL, 1);
    gossip_from(v, r, &g, 1, 5000);
    ck_assert_uint_eq(fail_report_count(x), 0);
    gossip_from(v, m, &g, 1, 5000);
    ck_assert_uint_eq(fail_report_count(x), 1);
    /* the same master now sees it healthy: its report goes */
    g = entry_for(x, RC_NODE_MASTER, 1);
    gossip_from(v, m, &g, 1, 6000);
    ck_assert_uint_eq(fail_report_count(x), 0);
    /* an entry about myself never makes a report */
    g = entry_for(bus_view_me(v), RC_NODE_MASTER | RC_NODE_FAIL, 1);
    gossip_from(v, m, &g, 1, 6000);
    ck_assert_uint_eq(fail_report_count(bus_view_me(v)), 0);
    bus_view_free(v);
}
END_TEST

START_TEST(test_pong_time_postponement)
{
    static const struct {
        gint64 now_ms;
        gint64 ping_sent_ms;
        guint32 entry_pong_s;
        guint16 entry_flags;
        gint64 before_ms, after_ms;
    } cases[] = {
        {10000, 0, 9, RC_NODE_MASTER, 1000, 9000},                 /* newer: taken */
        {10000, 0, 10, RC_NODE_MASTER, 1000, 10000},               /* = now: taken */
        {10000, 0, 11, RC_NODE_MASTER, 1000, 1000},                /* > now + 500: refused */
        {10600, 0, 11, RC_NODE_MASTER, 1000, 11000},               /* <= now + 500: taken */
        {10000, 0, 0, RC_NODE_MASTER, 1000, 1000},                 /* older: kept */
        {10000, 500, 9, RC_NODE_MASTER, 1000, 1000},               /* my ping pending: kept */
        {10000, 0, 9, RC_NODE_MASTER | RC_NODE_PFAIL, 1000, 1000}, /* entry says failing */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        BusView *v = bus_view_new(15000, TRUE);
        RcClusterNode *s = bus_view_add(v, 's', RC_NODE_SLAVE, -1, -1);
        RcClusterNode *x = bus_view_add(v, 'x', RC_NODE_MASTER, 0, 0);
        x->pong_received_ms = cases[i].before_ms;
        x->ping_sent_ms = cases[i].ping_sent_ms;
        RcBusGossip g = entry_for(x, cases[i].entry_flags, cases[i].entry_pong_s);
        gossip_from(v, s, &g, 1, cases[i].now_ms);
        ck_assert_msg(x->pong_received_ms == cases[i].after_ms, "case %zu: %" G_GINT64_FORMAT, i,
                      x->pong_received_ms);
        bus_view_free(v);
    }
}
END_TEST

START_TEST(test_new_nodes_from_gossip)
{
    BusView *v = bus_view_new(15000, TRUE);
    RcClusterNode *s = bus_view_add(v, 's', RC_NODE_MASTER, 0, 0);
    RcBusGossip g = {0};
    memset(g.nodename, 'n', 40);
    g.flags = RC_NODE_SLAVE | RC_NODE_PFAIL;
    memcpy(g.ip, "10.0.0.9", 9);
    g.port = 7000;
    g.cport = 17000;
    RcBusGossip noaddr = g;
    memset(noaddr.nodename, 'q', 40);
    noaddr.flags = RC_NODE_MASTER | RC_NODE_NOADDR;
    RcBusGossip bad = g;
    memset(bad.nodename, 'Z', 40); /* not a valid id */
    RcBusGossip entries[] = {g, noaddr, bad};
    gossip_from(v, s, entries, 3, 1000);
    RcClusterNode *n = rc_cluster_lookup(v->node, g.nodename);
    ck_assert_ptr_nonnull(n);
    ck_assert_uint_eq(n->flags, RC_NODE_SLAVE | RC_NODE_PFAIL); /* verbatim */
    ck_assert_str_eq(n->ip, "10.0.0.9");
    ck_assert_uint_eq(n->port, 7000);
    ck_assert_uint_eq(n->cport, 17000);
    ck_assert_ptr_null(rc_cluster_lookup(v->node, noaddr.nodename));
    ck_assert_uint_eq(v->node->cluster->nodes->len, 3);
    /* a FORGET-banned id is not re-added while banned */
    char *key = g_strndup(g.nodename, 40);
    gint64 *until = g_new(gint64, 1);
    *until = 60;
    bus_view_enter(v, 2000);
    rc_cluster_node_del(v->node, n);
    bus_view_leave(v);
    g_hash_table_replace(v->node->cluster->nodes_black_list, key, until);
    gossip_from(v, s, &g, 1, 60000);
    ck_assert_ptr_null(rc_cluster_lookup(v->node, g.nodename));
    gossip_from(v, s, &g, 1, 61000);
    ck_assert_ptr_nonnull(rc_cluster_lookup(v->node, g.nodename));
    bus_view_free(v);
}
END_TEST

START_TEST(test_follow_address_of_failing_node)
{
    BusView *v = bus_view_new(15000, TRUE);
    RcClusterNode *s = bus_view_add(v, 's', RC_NODE_MASTER, 0, 0);
    RcClusterNode *x = bus_view_add(v, 'x', RC_NODE_MASTER | RC_NODE_PFAIL, 1, 1);
    RcBusGossip g = entry_for(x, RC_NODE_MASTER, 0);
    memset(g.ip, 0, sizeof g.ip);
    memcpy(g.ip, "10.1.1.1", 8);
    gossip_from(v, s, &g, 1, 1000);
    ck_assert_str_eq(x->ip, "10.1.1.1");
    bus_view_free(v);
}
END_TEST

Suite *gossip_suite(void);
Suite *gossip_suite(void)
{
    Suite *s = suite_create("gossip");
    TCase *tc = tcase_create("gossip");
    tcase_add_test(tc, test_wanted_entries);
    tcase_add_test(tc, test_ping_entry_selection);
    tcase_add_test(tc, test_pong_and_meet_do_not_set_ping_sent);
    tcase_add_test(tc, test_reports_only_from_masters);
    tcase_add_test(tc, test_pong_time_postponement);
    tcase_add_test(tc, test_new_nodes_from_gossip);
    tcase_add_test(tc, test_follow_address_of_failing_node);
    suite_add_tcase(s, tc);
    return s;
}
