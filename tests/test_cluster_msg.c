/* Packet processing (cluster_msg.c, Redis clusterProcessPacket; bus_link.c, Redis
 * clusterReadHandler) with hand-set time: which link a PONG must arrive on to prove its
 * sender alive, and what a bad frame does to the link and the node. */
#include "tests/bus_view.h"

#define NT 15000

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
    RcClusterLink *out = bus_view_out_link(v, a);
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
    RcClusterLink *out = bus_view_out_link(v, a);
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

/* ---- bad frames through the node's entry points ---- */

static guint actions_on(BusView *v, RcActionKind kind, guint32 handle, int msg_type)
{
    guint n = 0;
    for (guint i = 0; i < rc_outbox_len(v->out); i++) {
        const RcAction *a = rc_outbox_get(v->out, i);
        if (a->kind != kind || a->handle != handle)
            continue;
        if (msg_type >= 0) {
            gsize len = a->len;
            const guint8 *d = a->data;
            if (len < RC_BUS_HDR_LEN || rc_be16_get(d + 12) != msg_type)
                continue;
        }
        n++;
    }
    return n;
}

static void recv_at(BusView *v, guint32 handle, const guint8 *data, gsize len, gint64 now_ms)
{
    rc_outbox_clear(v->out);
    rc_node_recv(v->node, now_ms * RC_US_PER_MS, handle, data, len, v->out);
    rc_node_before_sleep(v->node, now_ms * RC_US_PER_MS, v->out);
}

typedef struct {
    const char *what;
    gsize offset;    /* header field to overwrite */
    gsize width;     /* 1, 2 or 4 bytes, big-endian */
    guint32 value;   /* its new value */
    gboolean closes; /* Redis frees the link (clusterReadHandler), else drops the frame */
    gboolean is_logged;
} BadFrame;

/* Header offsets: sig 0, totlen 4, ver 8, port 10, type 12, count 14. Redis 7.0:
 * clusterReadHandler closes on a signature other than "RCmb" or totlen < CLUSTERMSG_MIN_LEN;
 * clusterProcessPacket returns 1 (link kept, frame ignored) on ver != 1 (silently) and on a
 * totlen other than the type's expected length (logged "Received invalid ... packet"). */
static const BadFrame bad_frames[] = {
    {"signature", 0, 1, 'X', TRUE, TRUE},
    {"totlen below the header", 4, 4, RC_BUS_HDR_LEN - 8, TRUE, TRUE},
    {"version 2", 8, 2, 2, FALSE, FALSE},
    {"version 0", 8, 2, 0, FALSE, FALSE},
    {"FAIL without its body", 12, 2, RC_MSG_FAIL, FALSE, TRUE},
    {"UPDATE without its body", 12, 2, RC_MSG_UPDATE, FALSE, TRUE},
    {"PING claiming a gossip entry it lacks", 14, 2, 1, FALSE, TRUE},
};

static void patch_be(guint8 *p, gsize width, guint32 value)
{
    for (gsize i = 0; i < width; i++)
        p[i] = (guint8)(value >> (8 * (width - 1 - i)));
}

/* Every bad frame arrives on a fresh connection from a known peer; the counter goes up by one
 * each time; a dropped frame leaves the link answering PINGs; a closed link is gone and a new
 * connection works. */
START_TEST(test_bad_frames_dropped_and_counted)
{
    BusView *v = bus_view_new(NT, TRUE);
    RcClusterNode *a = bus_view_add(v, 'a', RC_NODE_MASTER, -1, -1);
    RcBusMsg m;
    msg_from(&m, RC_MSG_PING, a);
    g_autoptr(GBytes) ping = rc_bus_encode(&m);
    rc_bus_msg_clear(&m);
    gsize ping_len;
    const guint8 *ping_data = g_bytes_get_data(ping, &ping_len);
    ck_assert_uint_eq(ping_len, RC_BUS_HDR_LEN);
    ck_assert_uint_eq(rc_node_dropped_bus_frames(v->node), 0);

    gint64 now = 1000;
    for (gsize i = 0; i < G_N_ELEMENTS(bad_frames); i++, now += 100) {
        const BadFrame *b = &bad_frames[i];
        guint64 before = rc_node_dropped_bus_frames(v->node);
        guint32 h = rc_node_accept(v->node, now * RC_US_PER_MS, RC_LISTENER_BUS, "127.0.0.1",
                                   (guint16)(40000 + i), v->out);
        g_autofree guint8 *bad = g_memdup2(ping_data, ping_len);
        patch_be(bad + b->offset, b->width, b->value);
        recv_at(v, h, bad, ping_len, now);
        ck_assert_msg(rc_node_dropped_bus_frames(v->node) == before + 1, "%s: not counted",
                      b->what);
        ck_assert_msg(actions_on(v, RC_ACT_CLOSE, h, -1) == (b->closes ? 1u : 0u), "%s: close",
                      b->what);
        ck_assert_msg(actions_on(v, RC_ACT_SEND, h, -1) == 0, "%s: answered", b->what);
        ck_assert_msg((bus_view_log_count(v, "Bad message length or signature") +
                       bus_view_log_count(v, "Dropping bus packet")) == (b->is_logged ? 1u : 0u),
                      "%s: log", b->what);
        ck_assert_msg(a->data_received_ms != now, "%s: trusted as data from its sender", b->what);

        /* the node keeps working: a good PING is answered, on the same link if it was kept */
        guint32 again = h;
        if (b->closes) {
            recv_at(v, h, ping_data, ping_len, now); /* the handle is gone: ignored */
            ck_assert_uint_eq(actions_on(v, RC_ACT_SEND, h, -1), 0);
            again = rc_node_accept(v->node, now * RC_US_PER_MS, RC_LISTENER_BUS, "127.0.0.1",
                                   (guint16)(41000 + i), v->out);
        }
        recv_at(v, again, ping_data, ping_len, now + 1);
        ck_assert_msg(actions_on(v, RC_ACT_SEND, again, RC_MSG_PONG) == 1, "%s: no PONG after",
                      b->what);
        ck_assert_int_eq(a->data_received_ms, now + 1);
        ck_assert_uint_eq(rc_node_dropped_bus_frames(v->node), before + 1);
    }
    ck_assert_uint_eq(rc_node_dropped_bus_frames(v->node), G_N_ELEMENTS(bad_frames));
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
    tc = tcase_create("bad_frames");
    tcase_add_test(tc, test_bad_frames_dropped_and_counted);
    suite_add_tcase(s, tc);
    return s;
}
