/* Packet processing (cluster_msg.c, Redis clusterProcessPacket) with hand-set time: which
 * link a PONG must arrive on to prove its sender alive. */
#include "tests/bus_view.h"

#define NT 15000

/* A connected outbound link to `to` (the one I opened). */
static RcClusterLink *out_link(BusView *v, RcClusterNode *to)
{
    RcClusterLink *link = rc_link_new(v->node, to, FALSE);
    RcConn *conn = rc_node_conn_add(v->node, RC_CONN_BUS_OUT, link);
    conn->is_connected = TRUE;
    link->handle = conn->handle;
    link->is_connected = TRUE;
    return link;
}

/* A connected inbound link from `from` (the one it opened), already bound to its record. */
static RcClusterLink *in_link(BusView *v, RcClusterNode *from)
{
    RcClusterLink *link = rc_link_new(v->node, NULL, TRUE);
    RcConn *conn = rc_node_conn_add(v->node, RC_CONN_BUS_IN, link);
    conn->is_connected = TRUE;
    link->handle = conn->handle;
    link->is_connected = TRUE;
    rc_link_set_inbound_node(v->node, from, link);
    return link;
}

/* A message of `type` from `from` claiming what my view says of it (no slots, master). */
static void msg_from(RcBusMsg *m, int type, const RcClusterNode *from)
{
    rc_bus_msg_init(m, (guint16)type);
    memcpy(m->sender, from->name, RC_CLUSTER_NAMELEN);
    m->flags = RC_NODE_MASTER;
    m->port = from->port;
    m->cport = from->cport;
}

static void process_at(BusView *v, RcClusterLink *link, const RcBusMsg *m, gint64 now_ms)
{
    g_autoptr(GBytes) bytes = rc_bus_encode(m);
    gsize len;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    bus_view_enter(v, now_ms);
    ck_assert(rc_cluster_process_packet(v->node, link, data, len));
    bus_view_leave(v);
}

/* Redis: "only a PONG on my own (outbound) link counts". A PONG that comes back on the link
 * the peer opened (it answers a PING of its own cron, or MFSTART) proves nothing about my
 * pings: pong_received, ping_sent and PFAIL stay; any data still counts as liveness. */
START_TEST(test_pong_counts_only_on_outbound_link)
{
    BusView *v = bus_view_new(NT, TRUE);
    RcClusterNode *a = bus_view_add(v, 'a', RC_NODE_MASTER, -1, -1);
    RcClusterLink *out = out_link(v, a);
    RcClusterLink *in = in_link(v, a);
    ck_assert_ptr_eq(a->link, out);
    ck_assert_ptr_eq(a->inbound_link, in);
    a->pong_received_ms = 1000;
    a->ping_sent_ms = 2000;
    a->flags |= RC_NODE_PFAIL;

    RcBusMsg m;
    msg_from(&m, RC_MSG_PONG, a);
    process_at(v, in, &m, 2000 + NT + 500);
    ck_assert_int_eq(a->pong_received_ms, 1000);
    ck_assert_int_eq(a->ping_sent_ms, 2000);
    ck_assert(rc_node_timed_out(a));
    ck_assert_uint_eq(bus_view_event_count(v, RC_EVT_PFAIL_CLEARED), 0);
    ck_assert_int_eq(a->data_received_ms, 2000 + NT + 500);

    process_at(v, out, &m, 2000 + NT + 600);
    ck_assert_int_eq(a->pong_received_ms, 2000 + NT + 600);
    ck_assert_int_eq(a->ping_sent_ms, 0);
    ck_assert(!rc_node_timed_out(a));
    ck_assert_uint_eq(bus_view_event_count(v, RC_EVT_PFAIL_CLEARED), 1);
    rc_bus_msg_clear(&m);
    bus_view_free(v);
}
END_TEST

/* The same with a node that is FAIL: the inbound PONG does not start the clearing rules. */
START_TEST(test_inbound_pong_does_not_clear_fail)
{
    BusView *v = bus_view_new(NT, TRUE);
    /* a master without slots: a PONG clears its FAIL at once (clearNodeFailureIfNeeded) */
    RcClusterNode *a = bus_view_add(v, 'a', RC_NODE_MASTER, -1, -1);
    RcClusterLink *out = out_link(v, a);
    RcClusterLink *in = in_link(v, a);
    a->flags |= RC_NODE_FAIL;
    a->fail_time_ms = 1000;
    a->ping_sent_ms = 900;

    RcBusMsg m;
    msg_from(&m, RC_MSG_PONG, a);
    process_at(v, in, &m, 5000);
    ck_assert(rc_node_failed(a));
    ck_assert_int_eq(a->ping_sent_ms, 900);
    process_at(v, out, &m, 5100);
    ck_assert(!rc_node_failed(a));
    ck_assert_int_eq(a->pong_received_ms, 5100);
    rc_bus_msg_clear(&m);
    bus_view_free(v);
}
END_TEST

Suite *cluster_msg_suite(void);
Suite *cluster_msg_suite(void)
{
    Suite *s = suite_create("cluster_msg");
    TCase *tc = tcase_create("pong");
    tcase_add_test(tc, test_pong_counts_only_on_outbound_link);
    tcase_add_test(tc, test_inbound_pong_does_not_clear_fail);
    suite_add_tcase(s, tc);
    return s;
}
