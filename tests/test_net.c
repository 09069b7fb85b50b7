/* SimNet: connections, order and chunking, latency, cuts, faults and clocks. */
#include <check.h>
#include <string.h>

#include "sim/net.h"

typedef struct {
    SimConnId id;
    GString *data;
    GArray *chunk_times; /* RcTime per data callback */
    GArray *chunk_lens;  /* gsize per data callback */
    gboolean connected;
    RcTime connected_at;
    gboolean closed;
    RcConnEnd why;
    RcTime closed_at;
    gboolean close_on_eof; /* nothing special: ends are finished by the network */
} Rec;

static Rec *rec_new(void)
{
    Rec *r = g_new0(Rec, 1);
    r->data = g_string_new("");
    r->chunk_times = g_array_new(FALSE, FALSE, sizeof(RcTime));
    r->chunk_lens = g_array_new(FALSE, FALSE, sizeof(gsize));
    r->connected_at = -1;
    r->closed_at = -1;
    return r;
}

static void rec_free(gpointer p)
{
    Rec *r = p;
    g_string_free(r->data, TRUE);
    g_array_free(r->chunk_times, TRUE);
    g_array_free(r->chunk_lens, TRUE);
    g_free(r);
}

static void on_connected(SimNet *net, SimConnId conn, gpointer user)
{
    Rec *r = user;
    ck_assert(!r->connected && !r->closed);
    r->connected = TRUE;
    r->connected_at = sim_kernel_now(sim_net_kernel(net));
    ck_assert_uint_eq(conn, r->id);
}

static void on_data(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user)
{
    Rec *r = user;
    ck_assert(!r->closed);
    ck_assert_uint_ge(len, 1);
    RcTime now = sim_kernel_now(sim_net_kernel(net));
    g_string_append_len(r->data, (const char *)data, (gssize)len);
    g_array_append_val(r->chunk_times, now);
    g_array_append_val(r->chunk_lens, len);
    (void)conn;
}

static void on_closed(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user)
{
    Rec *r = user;
    ck_assert(!r->closed);
    r->closed = TRUE;
    r->why = why;
    r->closed_at = sim_kernel_now(sim_net_kernel(net));
    ck_assert(!sim_net_conn_is_open(net, conn));
}

static const SimConnHandler rec_handler = {on_connected, on_data, on_closed};

/* A server that records every accepted connection. */
typedef struct {
    GPtrArray *accepted; /* Rec* */
    GArray *accept_times;
    char peer_ip[16];
    guint16 peer_port;
} Server;

static void on_accept(SimNet *net, SimConnId conn, guint32 host, guint16 port, const char *peer_ip,
                      guint16 peer_port, gpointer user)
{
    Server *s = user;
    Rec *r = rec_new();
    r->id = conn;
    g_ptr_array_add(s->accepted, r);
    RcTime now = sim_kernel_now(sim_net_kernel(net));
    g_array_append_val(s->accept_times, now);
    g_strlcpy(s->peer_ip, peer_ip, sizeof s->peer_ip);
    s->peer_port = peer_port;
    sim_net_conn_set_handler(net, conn, &rec_handler, r);
    (void)host;
    (void)port;
}

static Server *server_new(void)
{
    Server *s = g_new0(Server, 1);
    s->accepted = g_ptr_array_new_with_free_func(rec_free);
    s->accept_times = g_array_new(FALSE, FALSE, sizeof(RcTime));
    return s;
}

static void server_free(Server *s)
{
    g_ptr_array_unref(s->accepted);
    g_array_free(s->accept_times, TRUE);
    g_free(s);
}

static Rec *accepted(Server *s, guint i)
{
    ck_assert_uint_gt(s->accepted->len, i);
    return g_ptr_array_index(s->accepted, i);
}

/* A world: kernel, net, hosts a (client, 10.0.0.1) and b (server on 10.0.0.2:7000), and c. */
typedef struct {
    SimKernel *k;
    SimNet *net;
    guint32 a, b, c;
    Server *srv;
} World;

static World *world_new(RcTime latency_us)
{
    World *w = g_new0(World, 1);
    w->k = sim_kernel_new(1234);
    w->net = sim_net_new(w->k);
    SimLatency lat;
    sim_latency_constant(&lat, latency_us);
    sim_net_set_latency(w->net, &lat);
    w->a = sim_net_add_host(w->net, "a", "10.0.0.1");
    w->b = sim_net_add_host(w->net, "b", "10.0.0.2");
    w->c = sim_net_add_host(w->net, "c", "10.0.0.3");
    w->srv = server_new();
    ck_assert(sim_net_listen(w->net, w->b, 7000, on_accept, w->srv, NULL));
    return w;
}

static void world_free(World *w)
{
    sim_net_free(w->net);
    sim_kernel_free(w->k);
    server_free(w->srv);
    g_free(w);
}

static Rec *dial(World *w, guint32 from, const char *ip, guint16 port)
{
    Rec *r = rec_new();
    r->id = sim_net_connect(w->net, from, ip, port, &rec_handler, r);
    return r;
}

static void run_until(World *w, RcTime t)
{
    sim_kernel_run(w->k, t, 0);
}

/* ------------------------------------------------------------------ connections */

START_TEST(test_connect_accept_addresses)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, 1000);
    ck_assert(r->connected);
    ck_assert_int_eq(r->connected_at, 200); /* SYN 100 us, SYN-ACK 100 us */
    ck_assert_uint_eq(w->srv->accepted->len, 1);
    ck_assert_int_eq(g_array_index(w->srv->accept_times, RcTime, 0), 100);
    ck_assert_str_eq(w->srv->peer_ip, "10.0.0.1");
    ck_assert_uint_ge(w->srv->peer_port, 32768);
    ck_assert_str_eq(sim_net_conn_peer_ip(w->net, r->id), "10.0.0.2");
    ck_assert_uint_eq(sim_net_conn_peer_port(w->net, r->id), 7000);
    ck_assert_uint_eq(sim_net_conn_peer_port(w->net, accepted(w->srv, 0)->id),
                      sim_net_conn_local_port(w->net, r->id));
    ck_assert_uint_eq(sim_net_conn_peer_host(w->net, r->id), w->b);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->a), 1);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->b), 1);
    GError *err = NULL;
    ck_assert(!sim_net_listen(w->net, w->b, 7000, on_accept, w->srv, &err));
    ck_assert_str_eq(err->message, "10.0.0.2:7000: in use");
    g_error_free(err);
    rec_free(r);
    world_free(w);
}
END_TEST

START_TEST(test_refused)
{
    World *w = world_new(100);
    Rec *r1 = dial(w, w->a, "10.0.0.2", 7001); /* nothing listens */
    Rec *r2 = dial(w, w->a, "10.0.0.9", 7000); /* no such machine: times out */
    run_until(w, 10 * RC_US_PER_S);
    ck_assert(r1->closed && !r1->connected);
    ck_assert_int_eq(r1->why, RC_CONN_END_REFUSED);
    ck_assert_int_eq(r1->closed_at, 200);
    ck_assert(!r2->closed);
    run_until(w, 200 * RC_US_PER_S);
    ck_assert(r2->closed);
    ck_assert_int_eq(r2->why, RC_CONN_END_TIMEOUT);
    ck_assert_int_eq(r2->closed_at, 131 * RC_US_PER_S); /* Linux 6.5+: see below */
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->a), 0);
    rec_free(r1);
    rec_free(r2);
    world_free(w);
}
END_TEST

/* Many writes of assorted sizes arrive complete and in order, in chunks that differ from
 * the writes, never earlier than one latency after the write. */
START_TEST(test_order_and_chunking)
{
    World *w = world_new(250);
    SimLatency lat;
    ck_assert(sim_latency_parse("uniform:100us..900us", &lat, NULL));
    sim_net_set_latency(w->net, &lat);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, 10000);
    ck_assert(r->connected);
    GString *sent = g_string_new("");
    GRand *g = g_rand_new_with_seed(5);
    guint writes = 0;
    for (RcTime t = 10000; t < 200000; t += 700) {
        run_until(w, t);
        guint n = (guint)g_rand_int_range(g, 1, 5000);
        GString *msg = g_string_new("");
        for (guint i = 0; i < n; i++)
            g_string_append_c(msg, (char)('a' + (writes + i) % 26));
        g_string_append_printf(msg, "<%u>", writes++);
        ck_assert(sim_net_send(w->net, r->id, msg->str, msg->len));
        g_string_append_len(sent, msg->str, (gssize)msg->len);
        g_string_free(msg, TRUE);
    }
    run_until(w, 300000);
    Rec *s = accepted(w->srv, 0);
    ck_assert_uint_eq(s->data->len, sent->len);
    ck_assert(memcmp(s->data->str, sent->str, sent->len) == 0);
    ck_assert_uint_ne(s->chunk_lens->len, writes); /* chunks are not writes */
    gboolean small = FALSE;                        /* some chunk is cut short of a segment */
    for (guint i = 0; i < s->chunk_lens->len; i++) {
        gsize len = g_array_index(s->chunk_lens, gsize, i);
        ck_assert_uint_le(len, 16384);
        small = small || len < 700;
        if (i > 0)
            ck_assert_int_ge(g_array_index(s->chunk_times, RcTime, i),
                             g_array_index(s->chunk_times, RcTime, i - 1));
    }
    ck_assert(small);
    SimNetStats st;
    sim_net_get_stats(w->net, &st);
    ck_assert_uint_eq(st.bytes, sent->len);
    ck_assert_uint_gt(st.segments, writes);
    g_string_free(sent, TRUE);
    g_rand_free(g);
    rec_free(r);
    world_free(w);
}
END_TEST

/* Writes handed over as GBytes (the nodes' outbox) and as plain bytes (clients) arrive alike,
 * whole and in order, however they are cut: segments of a GBytes write point into it, those
 * of a plain write hold their own copies. */
START_TEST(test_bytes_and_plain_writes_alike)
{
    World *w = world_new(251);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, 10000);
    ck_assert(r->connected);
    GString *sent = g_string_new("");
    for (guint i = 0; i < 40; i++) {
        gsize n = 1 + (i * 977) % 6000; /* up to four segments */
        g_autofree char *msg = g_malloc(n);
        for (gsize j = 0; j < n; j++)
            msg[j] = (char)('A' + (i + j) % 26);
        if (i % 2 == 0) {
            g_autoptr(GBytes) b = g_bytes_new(msg, n);
            ck_assert(sim_net_send_bytes(w->net, r->id, b));
        } else {
            ck_assert(sim_net_send(w->net, r->id, msg, n));
        }
        g_string_append_len(sent, msg, (gssize)n);
        run_until(w, 10000 + (RcTime)(i + 1) * 300);
    }
    run_until(w, 300000);
    Rec *s = accepted(w->srv, 0);
    ck_assert_uint_eq(s->data->len, sent->len);
    ck_assert(memcmp(s->data->str, sent->str, sent->len) == 0);
    g_string_free(sent, TRUE);
    rec_free(r);
    world_free(w);
}
END_TEST

/* Write i on stream `tag`: bytes that differ between streams and between neighbouring writes. */
static void stream_write(World *w, Rec *r, GString *sent, char tag, guint i, gsize n)
{
    g_autofree char *msg = g_malloc(n);
    for (gsize j = 0; j < n; j++)
        msg[j] = (char)(tag + (i * 7 + j) % 23);
    ck_assert(sim_net_send(w->net, r->id, msg, n));
    g_string_append_len(sent, msg, (gssize)n);
}

/* Copied segments live in recycled blocks of power-of-two size classes: thousands of them held
 * at once behind a cut (more than a class's free list keeps), then released, then reused by
 * later writes of two streams, with segments of every size around the classes' bounds and
 * larger than a block (a large MSS): every byte arrives intact. */
START_TEST(test_segment_blocks_recycled_intact)
{
    World *w = world_new(120);
    Rec *ra = dial(w, w->a, "10.0.0.2", 7000);
    Rec *rc = dial(w, w->c, "10.0.0.2", 7000);
    run_until(w, 10000);
    ck_assert(ra->connected && rc->connected);
    GString *sent_a = g_string_new(""), *sent_c = g_string_new("");
    SimCutId cut = sim_net_isolate(w->net, w->b);
    for (guint i = 0; i < 1500; i++) {
        stream_write(w, ra, sent_a, 'A', i, 1 + (i * 131) % 1448);
        stream_write(w, rc, sent_c, 'a', i, 1 + (i * 53) % 1448);
    }
    run_until(w, RC_US_PER_S);
    ck_assert(sim_net_heal(w->net, cut));
    run_until(w, 10 * RC_US_PER_S);
    sim_net_set_chunking(w->net, 5000, 0.5); /* segments up to 5000 bytes: malloc'd copies */
    for (guint i = 0; i < 300; i++) {
        RcTime t = 10 * RC_US_PER_S + (RcTime)i * 50;
        run_until(w, t);
        stream_write(w, ra, sent_a, 'A', i, 1 + (i * 977) % 9000);
        stream_write(w, rc, sent_c, 'a', i, 1 + (i * 389) % 3000);
    }
    for (gsize bound = 64; bound <= 4096; bound *= 2) { /* a class's largest, and one more */
        for (gsize n = bound - 1; n <= bound + 1; n++) {
            run_until(w, 15 * RC_US_PER_S + (RcTime)(bound + n));
            stream_write(w, ra, sent_a, 'B', (guint)n, n);
        }
    }
    run_until(w, 20 * RC_US_PER_S);
    ck_assert_uint_eq(w->srv->accepted->len, 2);
    for (guint k = 0; k < 2; k++) {
        Rec *s = accepted(w->srv, k);
        /* the accept order is the connect order: a's stream first */
        GString *sent = k == 0 ? sent_a : sent_c;
        ck_assert_uint_eq(s->data->len, sent->len);
        ck_assert(memcmp(s->data->str, sent->str, sent->len) == 0);
    }
    g_string_free(sent_a, TRUE);
    g_string_free(sent_c, TRUE);
    rec_free(ra);
    rec_free(rc);
    world_free(w);
}
END_TEST

/* Host c opens `n` connections to b and abandons them all (more than the Conns and rings the
 * net keeps for reuse): each with a write queued while it connects, a third reset at once, a
 * third reset once the data is on its way, a third closed after b answered; then b's ends are
 * closed too. Nothing of c's is left afterwards. */
static void churn_connections(World *w, guint n)
{
    GPtrArray *recs = g_ptr_array_new_with_free_func(rec_free);
    guint first_accept = w->srv->accepted->len;
    for (guint i = 0; i < n; i++) {
        Rec *r = dial(w, w->c, "10.0.0.2", 7000);
        g_ptr_array_add(recs, r);
        ck_assert(sim_net_send(w->net, r->id, "held", 4));
        if (i % 3 == 0)
            sim_net_reset(w->net, r->id);
    }
    run_until(w, sim_kernel_now(w->k) + 250); /* connected; the held writes are on the wire */
    for (guint i = 1; i < n; i += 3)
        sim_net_reset(w->net, ((Rec *)g_ptr_array_index(recs, i))->id);
    run_until(w, sim_kernel_now(w->k) + 10000);
    for (guint i = first_accept; i < w->srv->accepted->len; i++) {
        Rec *s = accepted(w->srv, i);
        if (!s->closed)
            ck_assert(sim_net_send(w->net, s->id, "ok", 2));
    }
    run_until(w, sim_kernel_now(w->k) + 10000);
    for (guint i = 2; i < n; i += 3) {
        Rec *r = g_ptr_array_index(recs, i);
        ck_assert_str_eq(r->data->str, "ok");
        sim_net_close(w->net, r->id);
    }
    run_until(w, sim_kernel_now(w->k) + 10000);
    for (guint i = first_accept; i < w->srv->accepted->len; i++) {
        Rec *s = accepted(w->srv, i);
        if (!s->closed)
            sim_net_close(w->net, s->id);
    }
    run_until(w, sim_kernel_now(w->k) + RC_US_PER_S);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->c), 0);
    g_ptr_array_unref(recs);
}

/* What a's traffic with b looks like: writes queued while connecting, data both ways, a cut
 * that holds and retransmits, a close. Chunk times and sizes on both ends, then close times. */
static GArray *traffic_after_churn(guint churn)
{
    World *w = world_new(100);
    SimLatency lat;
    ck_assert(sim_latency_parse("uniform:100us..3ms", &lat, NULL));
    sim_net_set_latency(w->net, &lat);
    if (churn > 0)
        churn_connections(w, churn);
    RcTime t0 = sim_kernel_now(w->k);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    GString *sent = g_string_new("");
    for (guint i = 0; i < 8; i++)
        stream_write(w, r, sent, 'q', i, 10 + i * 300);
    run_until(w, t0 + 50000);
    Rec *s = NULL;
    for (guint i = 0; i < w->srv->accepted->len; i++)
        if (!accepted(w->srv, i)->closed &&
            sim_net_conn_peer_host(w->net, accepted(w->srv, i)->id) == w->a)
            s = accepted(w->srv, i);
    ck_assert(s != NULL);
    GString *back = g_string_new("");
    SimCutId cut = 0;
    for (guint i = 0; i < 60; i++) {
        if (i == 20)
            cut = sim_net_isolate(w->net, w->a);
        if (i == 40)
            ck_assert(sim_net_heal(w->net, cut));
        stream_write(w, r, sent, 'a', i, 1 + (i * 577) % 4000);
        stream_write(w, s, back, 'b', i, 1 + (i * 211) % 700);
        run_until(w, sim_kernel_now(w->k) + 30000);
    }
    run_until(w, sim_kernel_now(w->k) + 5 * RC_US_PER_S);
    sim_net_close(w->net, r->id);
    run_until(w, sim_kernel_now(w->k) + RC_US_PER_S);
    ck_assert(r->data->len == back->len && memcmp(r->data->str, back->str, back->len) == 0);
    ck_assert(s->data->len == sent->len && memcmp(s->data->str, sent->str, sent->len) == 0);
    ck_assert(s->closed && s->why == RC_CONN_END_EOF);
    GArray *out = g_array_new(FALSE, FALSE, sizeof(RcTime));
    const Rec *ends[] = {r, s};
    for (guint e = 0; e < 2; e++) {
        for (guint i = 0; i < ends[e]->chunk_times->len; i++) {
            RcTime at = g_array_index(ends[e]->chunk_times, RcTime, i) - t0;
            RcTime len = (RcTime)g_array_index(ends[e]->chunk_lens, gsize, i);
            g_array_append_val(out, at);
            g_array_append_val(out, len);
        }
        RcTime closed_at = ends[e]->closed_at < 0 ? -1 : ends[e]->closed_at - t0;
        g_array_append_val(out, closed_at);
    }
    g_string_free(sent, TRUE);
    g_string_free(back, TRUE);
    rec_free(r);
    world_free(w);
    return out;
}

/* Connections and their rings are recycled when freed: a connection made after hundreds were
 * abandoned behaves exactly as one made on a fresh network (nothing of an old one's state
 * survives into a new one). */
START_TEST(test_conns_recycled_clean)
{
    GArray *fresh = traffic_after_churn(0);
    GArray *churned = traffic_after_churn(900);
    ck_assert_uint_gt(fresh->len, 100);
    ck_assert_uint_eq(fresh->len, churned->len);
    ck_assert(memcmp(fresh->data, churned->data, fresh->len * sizeof(RcTime)) == 0);
    g_array_free(fresh, TRUE);
    g_array_free(churned, TRUE);
}
END_TEST

/* Listeners are found by IP and port among many, in any order of listening and unlistening,
 * with hosts sharing an IP; connects find them (or are refused), and a connect's ephemeral
 * port skips the ports listened on at its own IP. */
START_TEST(test_listeners_by_ip_and_port)
{
    SimKernel *k = sim_kernel_new(7);
    SimNet *net = sim_net_new(k);
    guint32 h[4];
    h[0] = sim_net_add_host(net, "p", "10.9.0.1");
    h[1] = sim_net_add_host(net, "q", "10.9.0.1"); /* shares p's IP and its ports */
    h[2] = sim_net_add_host(net, "r", "10.9.0.2");
    h[3] = sim_net_add_host(net, "cl", "10.9.0.3");
    Server *srv = server_new();
    /* model: which host listens on (ip 0 or 1, port), -1 none */
    enum { N_PORTS = 200 };
    gint owner[2][N_PORTS];
    for (guint ip = 0; ip < 2; ip++)
        for (guint i = 0; i < N_PORTS; i++)
            owner[ip][i] = -1;
    /* ports 32768 + 3i: some in the ephemeral range of the client's own IP too */
    GRand *rand = g_rand_new_with_seed(42);
    for (guint round = 0; round < 3000; round++) {
        guint i = (guint)g_rand_int_range(rand, 0, N_PORTS);
        guint16 port = (guint16)(32768 + 3 * i);
        guint host = (guint)g_rand_int_range(rand, 0, 3);
        guint ip = host == 2 ? 1 : 0;
        if (owner[ip][i] < 0) {
            ck_assert(sim_net_listen(net, h[host], port, on_accept, srv, NULL));
            owner[ip][i] = (gint)host;
        } else if (g_rand_boolean(rand)) {
            sim_net_unlisten(net, h[host], port); /* only its listener's host removes it */
            if (owner[ip][i] == (gint)host)
                owner[ip][i] = -1;
        } else {
            GError *err = NULL;
            ck_assert(!sim_net_listen(net, h[host], port, on_accept, srv, &err));
            g_error_free(err);
        }
    }
    g_rand_free(rand);
    /* the client's IP listens on 32768 and 32770: its connects take 32769, 32771, ... */
    ck_assert(sim_net_listen(net, h[3], 32768, on_accept, srv, NULL));
    ck_assert(sim_net_listen(net, h[3], 32770, on_accept, srv, NULL));
    GPtrArray *recs = g_ptr_array_new_with_free_func(rec_free);
    guint16 want_local = 32769;
    for (guint ip = 0; ip < 2; ip++)
        for (guint i = 0; i < N_PORTS; i++) {
            Rec *r = rec_new();
            r->id = sim_net_connect(net, h[3], ip == 0 ? "10.9.0.1" : "10.9.0.2",
                                    (guint16)(32768 + 3 * i), &rec_handler, r);
            ck_assert_uint_eq(sim_net_conn_local_port(net, r->id), want_local);
            want_local = want_local == 32769 ? 32771 : want_local + 1;
            g_ptr_array_add(recs, r);
        }
    sim_kernel_run(k, RC_US_PER_S, 0);
    guint n_accepted = 0;
    for (guint ip = 0; ip < 2; ip++)
        for (guint i = 0; i < N_PORTS; i++) {
            Rec *r = g_ptr_array_index(recs, ip * N_PORTS + i);
            if (owner[ip][i] < 0) {
                ck_assert(r->closed && r->why == RC_CONN_END_REFUSED);
                continue;
            }
            ck_assert(r->connected);
            ck_assert_uint_eq(sim_net_conn_peer_host(net, r->id), h[owner[ip][i]]);
            n_accepted++;
        }
    ck_assert_uint_eq(srv->accepted->len, n_accepted);
    ck_assert_uint_gt(n_accepted, 50);
    ck_assert_uint_gt(2 * N_PORTS - n_accepted, 50);
    g_ptr_array_unref(recs);
    sim_net_free(net);
    sim_kernel_free(k);
    server_free(srv);
}
END_TEST

/* A cut as the test models it: blocked[src][dst]. */
#define MODEL_HOSTS 12
typedef struct {
    SimCutId id;
    gboolean blocked[MODEL_HOSTS][MODEL_HOSTS];
} ModelCut;

static gboolean model_reach(const GArray *cuts, guint src, guint dst)
{
    for (guint i = 0; i < cuts->len; i++)
        if (g_array_index(cuts, ModelCut, i).blocked[src][dst])
            return FALSE;
    return TRUE;
}

/* sim_net_can_reach answers from a cached matrix: after every change of cuts or hosts (one-way
 * cuts, isolations, heals of one or all, new hosts) it agrees with a model of the rules. */
START_TEST(test_can_reach_follows_every_change)
{
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    g_autoptr(SimNet) net = sim_net_new(k);
    GRand *g = g_rand_new_with_seed(77);
    GArray *cuts = g_array_new(FALSE, TRUE, sizeof(ModelCut));
    guint n = 0;
    for (; n < 6; n++) {
        char name[8];
        g_snprintf(name, sizeof name, "h%u", n);
        sim_net_add_host(net, name, "10.0.0.1");
    }
    for (guint step = 0; step < 400; step++) {
        guint op = (guint)g_rand_int_range(g, 0, 10);
        if (op < 4) {
            ModelCut m = {0};
            g_autoptr(SimHostSet) from = sim_host_set_new(net);
            g_autoptr(SimHostSet) to = sim_host_set_new(net);
            for (guint h = 0; h < n; h++) {
                if (g_rand_boolean(g))
                    sim_host_set_add(from, h);
                if (g_rand_boolean(g))
                    sim_host_set_add(to, h);
            }
            for (guint a = 0; a < n; a++)
                for (guint b = 0; b < n; b++)
                    m.blocked[a][b] = sim_host_set_has(from, a) && sim_host_set_has(to, b);
            m.id = sim_net_cut_oneway(net, from, to);
            g_array_append_val(cuts, m);
        } else if (op < 6) {
            ModelCut m = {0};
            guint x = (guint)g_rand_int_range(g, 0, (gint32)n);
            for (guint h = 0; h < n; h++)
                m.blocked[x][h] = m.blocked[h][x] = h != x;
            m.id = sim_net_isolate(net, x);
            g_array_append_val(cuts, m);
        } else if (op < 8 && cuts->len > 0) {
            guint i = (guint)g_rand_int_range(g, 0, (gint32)cuts->len);
            ck_assert(sim_net_heal(net, g_array_index(cuts, ModelCut, i).id));
            g_array_remove_index(cuts, i);
        } else if (op == 8 && n < MODEL_HOSTS) {
            char name[8];
            g_snprintf(name, sizeof name, "h%u", n);
            sim_net_add_host(net, name, "10.0.0.2");
            n++; /* no cut made before names it */
        } else if (op == 9 && g_rand_int_range(g, 0, 4) == 0) {
            sim_net_heal_all(net);
            g_array_set_size(cuts, 0);
        }
        for (guint a = 0; a < n; a++)
            for (guint b = 0; b < n; b++)
                ck_assert_msg(sim_net_can_reach(net, a, b) == (a == b || model_reach(cuts, a, b)),
                              "step %u: %u -> %u", step, a, b);
    }
    g_array_unref(cuts);
    g_rand_free(g);
}
END_TEST

START_TEST(test_close_flushes_then_eof)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    ck_assert(sim_net_send(w->net, r->id, "early", 5)); /* before connected: sent after */
    run_until(w, 1000);
    ck_assert(sim_net_send(w->net, r->id, "hello", 5));
    sim_net_close(w->net, r->id);
    ck_assert(!sim_net_send(w->net, r->id, "late", 4));
    run_until(w, 5000);
    Rec *s = accepted(w->srv, 0);
    ck_assert_str_eq(s->data->str, "earlyhello");
    ck_assert(s->closed);
    ck_assert_int_eq(s->why, RC_CONN_END_EOF);
    ck_assert(!r->closed); /* the closer gets no callback */
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->a), 0);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->b), 0);
    rec_free(r);
    world_free(w);
}
END_TEST

START_TEST(test_reset_and_write_to_closed)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    Rec *r2 = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, 1000);
    sim_net_reset(w->net, r->id);
    run_until(w, 2000);
    ck_assert(accepted(w->srv, 0)->closed);
    ck_assert_int_eq(accepted(w->srv, 0)->why, RC_CONN_END_RESET);
    ck_assert_int_eq(accepted(w->srv, 0)->closed_at, 1100);
    /* the server closes r2; the client writes before it sees the FIN: it gets EOF only */
    sim_net_close(w->net, accepted(w->srv, 1)->id);
    ck_assert(sim_net_send(w->net, r2->id, "x", 1));
    run_until(w, 3000);
    ck_assert(r2->closed);
    ck_assert_int_eq(r2->why, RC_CONN_END_EOF);
    ck_assert_int_eq(r2->closed_at, 2100);
    rec_free(r);
    rec_free(r2);
    world_free(w);
}
END_TEST

/* Link draws belong to the connecting host: another host's connections (a client joining)
 * leave the latencies and chunking on a's connection unchanged. */
static GArray *arrivals_with_extra_client(gboolean extra)
{
    World *w = world_new(100);
    SimLatency lat;
    ck_assert(sim_latency_parse("uniform:100us..5ms", &lat, NULL));
    sim_net_set_latency(w->net, &lat);
    Rec *rc = NULL;
    if (extra) {
        rc = dial(w, w->c, "10.0.0.2", 7000);
        run_until(w, 50);
        ck_assert(sim_net_send(w->net, rc->id, "noise", 5));
    }
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    for (int i = 0; i < 50; i++) {
        char msg[3000];
        memset(msg, 'a' + i % 26, sizeof msg);
        ck_assert(sim_net_send(w->net, r->id, msg, (gsize)(100 + 50 * i)));
        run_until(w, sim_kernel_now(w->k) + 1000);
    }
    run_until(w, 2 * RC_US_PER_S);
    Rec *s = NULL;
    for (guint i = 0; i < w->srv->accepted->len; i++)
        if (sim_net_conn_peer_host(w->net, accepted(w->srv, i)->id) == w->a)
            s = accepted(w->srv, i);
    ck_assert(s != NULL);
    GArray *out = g_array_new(FALSE, FALSE, sizeof(RcTime));
    g_array_append_vals(out, s->chunk_times->data, s->chunk_times->len);
    for (guint i = 0; i < s->chunk_lens->len; i++) {
        RcTime len = (RcTime)g_array_index(s->chunk_lens, gsize, i);
        g_array_append_val(out, len);
    }
    if (rc != NULL)
        rec_free(rc);
    rec_free(r);
    world_free(w);
    return out;
}

START_TEST(test_link_streams_independent_of_other_hosts)
{
    GArray *a = arrivals_with_extra_client(FALSE);
    GArray *b = arrivals_with_extra_client(TRUE);
    ck_assert_uint_eq(a->len, b->len);
    ck_assert_uint_gt(a->len, 50);
    ck_assert(memcmp(a->data, b->data, a->len * sizeof(RcTime)) == 0);
    g_array_free(a, TRUE);
    g_array_free(b, TRUE);
}
END_TEST

/* A host created later (a client joining) changes no draw on the links that exist: the same
 * traffic between a and b arrives at the same instants in the same chunks, both ways, whether
 * or not a new host d appears (before a connects, or in the middle of the traffic) with a
 * latency rule of its own, connects to b and is connected to by b. */
typedef enum {
    NEW_HOST_NONE,
    NEW_HOST_BEFORE,
    NEW_HOST_DURING,
} NewHostWhen;

static void append_chunks(GArray *out, const Rec *rec)
{
    g_array_append_vals(out, rec->chunk_times->data, rec->chunk_times->len);
    for (guint i = 0; i < rec->chunk_lens->len; i++) {
        RcTime len = (RcTime)g_array_index(rec->chunk_lens, gsize, i);
        g_array_append_val(out, len);
    }
}

/* Host d joins: its own latency to b, a connection to b with traffic, and one from b. */
static guint32 new_host_joins(World *w, Server *d_srv, GPtrArray *recs)
{
    guint32 d = sim_net_add_host(w->net, "d", "10.0.0.4");
    SimLatency slow;
    ck_assert(sim_latency_parse("normal:3ms,sd=1ms,floor=1ms", &slow, NULL));
    sim_net_set_latency_pair(w->net, d, w->b, &slow);
    ck_assert(sim_net_listen(w->net, d, 7000, on_accept, d_srv, NULL));
    Rec *to_b = dial(w, d, "10.0.0.2", 7000);
    Rec *from_b = dial(w, w->b, "10.0.0.4", 7000);
    ck_assert(sim_net_send(w->net, to_b->id, "noise from d", 12));
    ck_assert(sim_net_send(w->net, from_b->id, "noise from b", 12));
    g_ptr_array_add(recs, to_b);
    g_ptr_array_add(recs, from_b);
    return d;
}

static GArray *ab_arrivals(NewHostWhen when)
{
    World *w = world_new(100);
    SimLatency lat;
    ck_assert(sim_latency_parse("lognormal:300us,sigma=0.8,floor=100us", &lat, NULL));
    sim_net_set_latency(w->net, &lat);
    Server *d_srv = server_new();
    g_autoptr(GPtrArray) recs = g_ptr_array_new_with_free_func(rec_free);
    gint64 d = -1;
    if (when == NEW_HOST_BEFORE)
        d = new_host_joins(w, d_srv, recs);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    g_ptr_array_add(recs, r);
    run_until(w, 100 * RC_US_PER_MS);
    Rec *s = NULL;
    for (guint i = 0; i < w->srv->accepted->len; i++)
        if (sim_net_conn_peer_host(w->net, accepted(w->srv, i)->id) == w->a)
            s = accepted(w->srv, i);
    ck_assert(s != NULL);
    char msg[4000];
    for (int i = 0; i < 60; i++) {
        if (when == NEW_HOST_DURING && i == 30)
            d = new_host_joins(w, d_srv, recs);
        memset(msg, 'a' + i % 26, sizeof msg);
        ck_assert(sim_net_send(w->net, r->id, msg, (gsize)(100 + 60 * i)));
        ck_assert(sim_net_send(w->net, s->id, msg, (gsize)(3000 - 40 * i)));
        run_until(w, sim_kernel_now(w->k) + 700);
    }
    run_until(w, RC_US_PER_S);
    if (d >= 0) { /* d's traffic really ran alongside */
        ck_assert_uint_eq(w->srv->accepted->len, 2);
        ck_assert_uint_eq(d_srv->accepted->len, 1);
        ck_assert_str_eq(accepted(d_srv, 0)->data->str, "noise from b");
    }
    GArray *out = g_array_new(FALSE, FALSE, sizeof(RcTime));
    append_chunks(out, r);
    append_chunks(out, s);
    server_free(d_srv);
    world_free(w);
    return out;
}

START_TEST(test_new_host_leaves_link_draws)
{
    GArray *base = ab_arrivals(NEW_HOST_NONE);
    ck_assert_uint_gt(base->len, 4 * 60);
    for (NewHostWhen when = NEW_HOST_BEFORE; when <= NEW_HOST_DURING; when++) {
        GArray *other = ab_arrivals(when);
        ck_assert_uint_eq(other->len, base->len);
        ck_assert_msg(memcmp(other->data, base->data, base->len * sizeof(RcTime)) == 0,
                      "a new host (case %d) moved a delivery between a and b", when);
        g_array_free(other, TRUE);
    }
    g_array_free(base, TRUE);
}
END_TEST

/* ------------------------------------------------------------------ cuts */

START_TEST(test_hold_and_release_after_heal)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    SimCutId cut = sim_net_isolate(w->net, w->b);
    ck_assert(!sim_net_can_reach(w->net, w->a, w->b));
    ck_assert(!sim_net_can_reach(w->net, w->b, w->a));
    ck_assert(sim_net_can_reach(w->net, w->a, w->c));
    ck_assert(sim_net_send(w->net, r->id, "held", 4));
    run_until(w, 2 * RC_US_PER_S);
    Rec *s = accepted(w->srv, 0);
    ck_assert_uint_eq(s->data->len, 0);
    /* retransmissions at +0.2, +0.6, +1.4, +3.0 s after the write; heal at +1.5 s:
     * the data crosses with the one at +3.0 s. */
    run_until(w, RC_US_PER_S + 1500000);
    ck_assert(sim_net_heal(w->net, cut));
    ck_assert(!sim_net_heal(w->net, cut));
    run_until(w, 10 * RC_US_PER_S);
    ck_assert_str_eq(s->data->str, "held");
    ck_assert_int_eq(g_array_index(s->chunk_times, RcTime, 0), RC_US_PER_S + 3000000 + 100);
    ck_assert(!r->closed && !s->closed);
    rec_free(r);
    world_free(w);
}
END_TEST

START_TEST(test_in_flight_lost_then_retransmitted)
{
    World *w = world_new(50000); /* 50 ms: the cut falls while the segment is on the wire */
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    ck_assert(sim_net_send(w->net, r->id, "wire", 4));
    run_until(w, RC_US_PER_S + 10000);
    SimCutId cut = sim_net_isolate(w->net, w->a);
    run_until(w, RC_US_PER_S + 100000);
    sim_net_heal(w->net, cut);
    run_until(w, 5 * RC_US_PER_S);
    /* RTO = max(200 ms, 3 x 100 ms RTT) = 300 ms after the write, then +50 ms latency */
    Rec *s = accepted(w->srv, 0);
    ck_assert_str_eq(s->data->str, "wire");
    ck_assert_int_eq(g_array_index(s->chunk_times, RcTime, 0), RC_US_PER_S + 300000 + 50000);
    rec_free(r);
    world_free(w);
}
END_TEST

/* A close during a cut: the FIN waits behind the held data and both cross after the heal. */
START_TEST(test_fin_held_across_cut)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    SimCutId cut = sim_net_isolate(w->net, w->a);
    ck_assert(sim_net_send(w->net, r->id, "last words", 10));
    sim_net_close(w->net, r->id);
    run_until(w, 5 * RC_US_PER_S);
    Rec *s = accepted(w->srv, 0);
    ck_assert(!s->closed);
    ck_assert_uint_eq(s->data->len, 0);
    sim_net_heal(w->net, cut);
    run_until(w, 20 * RC_US_PER_S);
    /* retransmissions at 1.2, 1.6, 2.4, 4.0, 7.2 s: the first after the heal (5 s) */
    ck_assert_str_eq(s->data->str, "last words");
    ck_assert(s->closed);
    ck_assert_int_eq(s->why, RC_CONN_END_EOF);
    ck_assert_int_eq(s->closed_at, 7200100);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->a), 0);
    rec_free(r);
    world_free(w);
}
END_TEST

/* A reset during a cut: the sender's socket is gone, so the bytes it held are dropped and
 * never cross after the heal. Its RST meets the cut and is lost: the peer learns only when it
 * next writes (its segment meets a dead socket and the RST comes back). */
START_TEST(test_reset_during_cut_drops_held)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    SimCutId cut = sim_net_isolate(w->net, w->b);
    ck_assert(sim_net_send(w->net, r->id, "held", 4));
    run_until(w, RC_US_PER_S + 500000); /* retransmissions at +0.2 and +0.6 s found the cut */
    sim_net_reset(w->net, r->id);
    ck_assert(!sim_net_conn_is_open(w->net, r->id));
    run_until(w, 2 * RC_US_PER_S);
    ck_assert(sim_net_heal(w->net, cut));
    run_until(w, 20 * RC_US_PER_S); /* past every retransmission the data would have had */
    Rec *s = accepted(w->srv, 0);
    ck_assert_uint_eq(s->data->len, 0);
    ck_assert(!s->closed);
    ck_assert(!r->closed); /* the end that reset gets no callbacks */
    ck_assert(sim_net_send(w->net, s->id, "anyone?", 7));
    run_until(w, 21 * RC_US_PER_S);
    ck_assert(s->closed);
    ck_assert_int_eq(s->why, RC_CONN_END_RESET);
    ck_assert_int_eq(s->closed_at, 20 * RC_US_PER_S + 200);
    ck_assert_uint_eq(s->data->len, 0);
    ck_assert_uint_eq(r->data->len, 0);
    SimNetStats st;
    sim_net_get_stats(w->net, &st);
    ck_assert_uint_eq(st.bytes, 0);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->a), 0);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->b), 0);
    rec_free(r);
    world_free(w);
}
END_TEST

/* The same when the bytes were already on the wire when the cut fell: they are lost at their
 * arrival, and a socket that was reset meanwhile does not retransmit them (nor its RST). */
START_TEST(test_reset_during_cut_drops_lost_in_flight)
{
    World *w = world_new(50000); /* 50 ms: the cut falls while the segment is on the wire */
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    ck_assert(sim_net_send(w->net, r->id, "wire", 4));
    run_until(w, RC_US_PER_S + 10000);
    SimCutId cut = sim_net_isolate(w->net, w->a);
    run_until(w, RC_US_PER_S + 20000);
    sim_net_reset(w->net, r->id); /* its RST is lost in the cut */
    run_until(w, RC_US_PER_S + 100000);
    ck_assert(sim_net_heal(w->net, cut));
    run_until(w, 20 * RC_US_PER_S);
    Rec *s = accepted(w->srv, 0);
    ck_assert_uint_eq(s->data->len, 0);
    ck_assert(!s->closed);
    ck_assert(sim_net_send(w->net, s->id, "anyone?", 7));
    run_until(w, 21 * RC_US_PER_S);
    ck_assert(s->closed);
    ck_assert_int_eq(s->why, RC_CONN_END_RESET);
    ck_assert_int_eq(s->closed_at, 20 * RC_US_PER_S + 100000);
    ck_assert_uint_eq(s->data->len, 0);
    ck_assert(!r->closed);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->a), 0);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->b), 0);
    rec_free(r);
    world_free(w);
}
END_TEST

/* The receiver closes during a cut while the sender holds bytes for it. Its application
 * closed, so nothing more is delivered to it; the sender learns whichever way reaches it
 * first after the heal (sim/README.md, "Close and reset"):
 * - its own retransmission: the bytes meet a closed socket and are answered with RST;
 * - the closer's FIN: it reads EOF, which finishes its end (no half-close is modelled), and
 *   its held bytes are dropped. */
START_TEST(test_receiver_closes_during_cut)
{
    static const struct {
        RcTime heal_us;   /* when the cut (made at 1 s) heals */
        RcConnEnd why;    /* what the sender sees */
        RcTime sender_at; /* when */
    } cases[] = {
        /* writer's retransmissions at 1.2, 1.6, 2.4, 4.0 s; the closer's (close at 1.5 s)
         * at 1.7, 2.1, 2.9, 4.5 s. */
        {2 * RC_US_PER_S + 200000, RC_CONN_END_RESET, 2 * RC_US_PER_S + 400200},
        {RC_US_PER_S + 650000, RC_CONN_END_EOF, RC_US_PER_S + 700100},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        World *w = world_new(100);
        Rec *r = dial(w, w->a, "10.0.0.2", 7000);
        run_until(w, RC_US_PER_S);
        SimCutId cut = sim_net_isolate(w->net, w->a);
        ck_assert(sim_net_send(w->net, r->id, "unread", 6));
        run_until(w, RC_US_PER_S + 500000);
        Rec *s = accepted(w->srv, 0);
        sim_net_close(w->net, s->id);
        run_until(w, cases[i].heal_us);
        ck_assert(!r->closed);
        ck_assert(sim_net_heal(w->net, cut));
        run_until(w, 20 * RC_US_PER_S);
        ck_assert_uint_eq(s->data->len, 0); /* a closed end reads nothing */
        ck_assert(!s->closed);              /* nor is told anything */
        ck_assert_msg(r->closed, "case %u", i);
        ck_assert_int_eq(r->why, cases[i].why);
        ck_assert_int_eq(r->closed_at, cases[i].sender_at);
        ck_assert_uint_eq(r->data->len, 0);
        SimNetStats st;
        sim_net_get_stats(w->net, &st);
        ck_assert_uint_eq(st.bytes, 0);
        ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->a), 0);
        ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->b), 0);
        rec_free(r);
        world_free(w);
    }
}
END_TEST

START_TEST(test_retries2_timeout)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    sim_net_isolate(w->net, w->b);
    ck_assert(sim_net_send(w->net, r->id, "lost", 4));
    run_until(w, 2000 * RC_US_PER_S);
    /* 0.2 + 0.4 + ... + 102.4 (10 doublings) + 6 x 120 s = 924.6 s after the write */
    ck_assert(r->closed);
    ck_assert_int_eq(r->why, RC_CONN_END_TIMEOUT);
    ck_assert_int_eq(r->closed_at, RC_US_PER_S + 924600000);
    ck_assert(!accepted(w->srv, 0)->closed); /* the idle peer never learns */
    /* after the heal, the peer's next write meets a dead socket: RST */
    sim_net_heal_all(w->net);
    ck_assert(sim_net_send(w->net, accepted(w->srv, 0)->id, "hi", 2));
    run_until(w, 2001 * RC_US_PER_S);
    ck_assert(accepted(w->srv, 0)->closed);
    ck_assert_int_eq(accepted(w->srv, 0)->why, RC_CONN_END_RESET);
    ck_assert_int_eq(accepted(w->srv, 0)->closed_at, 2000 * RC_US_PER_S + 200);
    SimNetStats st;
    sim_net_get_stats(w->net, &st);
    ck_assert_uint_eq(st.retrans_timeouts, 1);
    rec_free(r);
    world_free(w);
}
END_TEST

START_TEST(test_connect_across_cut)
{
    World *w = world_new(100);
    SimCutId cut = sim_net_isolate(w->net, w->b);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    /* SYNs at 0, 1, 2, 3, 4, 5, 7, 11 s; heal at 10 s: the one at 11 s gets through */
    run_until(w, 10 * RC_US_PER_S);
    ck_assert(!r->connected && !r->closed);
    sim_net_heal(w->net, cut);
    run_until(w, 20 * RC_US_PER_S);
    ck_assert(r->connected);
    ck_assert_int_eq(r->connected_at, 11 * RC_US_PER_S + 200);
    /* a cut that never heals: the last SYN at 67 s, the timeout at 131 s */
    sim_net_isolate(w->net, w->b);
    Rec *r2 = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, 300 * RC_US_PER_S);
    ck_assert(r2->closed && !r2->connected);
    ck_assert_int_eq(r2->why, RC_CONN_END_TIMEOUT);
    ck_assert_int_eq(r2->closed_at, 151 * RC_US_PER_S);
    SimNetStats st;
    sim_net_get_stats(w->net, &st);
    ck_assert_uint_eq(st.connect_timeouts, 1);
    rec_free(r);
    rec_free(r2);
    world_free(w);
}
END_TEST

/* Linux 6.5+ retransmits a SYN every second for its first five timeouts (measured on this
 * project's machine, kernel 6.18: SYNs 1.02-1.03 s apart while a cut lasted), so a connect
 * that a cut held for up to 5 s completes within a second of the heal; then 2, 4, 8... s.
 * With tcp_syn_linear_timeouts 0 it is the older 1, 2, 4, ... s. */
START_TEST(test_syn_retransmissions_linear_first)
{
    static const struct {
        guint linear;
        RcTime heal_s, connected_s;
    } cases[] = {
        /* 4: SYNs at 0, 1, 2, 3, 4, 5, 7, 11, ..., 67 s */
        {4, 1, 2},
        {4, 2, 3},
        {4, 4, 5},
        {4, 5, 7},
        {4, 6, 7},
        {4, 8, 11},
        {4, 60, 67},
        /* 0: 0, 1, 3, 7, 15, ..., 63 s */
        {0, 2, 3},
        {0, 4, 7},
        {0, 8, 15},
        {0, 60, 63},
        /* 1: 0, 1, 2, 4, 8 s; 2: 0, 1, 2, 3, 5, 9 s */
        {1, 2, 4},
        {1, 3, 4},
        {2, 3, 5},
        {2, 4, 5},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        World *w = world_new(100);
        sim_net_set_syn_linear_timeouts(w->net, cases[i].linear);
        SimCutId cut = sim_net_isolate(w->net, w->b);
        Rec *r = dial(w, w->a, "10.0.0.2", 7000);
        /* heal just after a whole second, so a SYN at that second is still lost */
        run_until(w, cases[i].heal_s * RC_US_PER_S + 1);
        ck_assert(!r->connected && !r->closed);
        sim_net_heal(w->net, cut);
        run_until(w, 200 * RC_US_PER_S);
        ck_assert_msg(r->connected, "case %u", i);
        ck_assert_int_eq(r->connected_at, cases[i].connected_s * RC_US_PER_S + 200);
        rec_free(r);
        world_free(w);
    }
    /* the tries: tcp_syn_retries (6) backed off after the linear ones */
    static const struct {
        guint linear;
        RcTime timeout_s;
    } ends[] = {{4, 131}, {0, 127}, {1, 128}};
    for (guint i = 0; i < G_N_ELEMENTS(ends); i++) {
        World *w = world_new(100);
        sim_net_set_syn_linear_timeouts(w->net, ends[i].linear);
        sim_net_isolate(w->net, w->b);
        Rec *r = dial(w, w->a, "10.0.0.2", 7000);
        run_until(w, 300 * RC_US_PER_S);
        ck_assert(r->closed && !r->connected);
        ck_assert_int_eq(r->why, RC_CONN_END_TIMEOUT);
        ck_assert_int_eq(r->closed_at, ends[i].timeout_s * RC_US_PER_S);
        rec_free(r);
        world_free(w);
    }
}
END_TEST

/* a cannot reach b; b reaches a. b's data gets to a (its acks are lost, so b keeps
 * retransmitting); a's data is held until the heal. */
START_TEST(test_one_way_cut)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    g_autoptr(SimHostSet) from = sim_host_set_new(w->net);
    g_autoptr(SimHostSet) to = sim_host_set_new(w->net);
    sim_host_set_add(from, w->a);
    sim_host_set_add(to, w->b);
    SimCutId cut = sim_net_cut_oneway(w->net, from, to);
    ck_assert(!sim_net_can_reach(w->net, w->a, w->b));
    ck_assert(sim_net_can_reach(w->net, w->b, w->a));
    Rec *s = accepted(w->srv, 0);
    ck_assert(sim_net_send(w->net, s->id, "down", 4));
    ck_assert(sim_net_send(w->net, r->id, "up", 2));
    run_until(w, 2 * RC_US_PER_S);
    ck_assert_str_eq(r->data->str, "down");
    ck_assert_uint_eq(s->data->len, 0);
    /* a new connect from a to b cannot complete either */
    Rec *r2 = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, 5 * RC_US_PER_S);
    ck_assert(!r2->connected);
    sim_net_heal(w->net, cut);
    run_until(w, 20 * RC_US_PER_S);
    ck_assert_str_eq(s->data->str, "up");
    ck_assert(r2->connected);
    ck_assert_str_eq(r->data->str, "down"); /* retransmissions are not delivered twice */
    /* b's unacknowledged data times out the sender if the cut never heals */
    g_autoptr(SimHostSet) rev_from = sim_host_set_new(w->net);
    sim_host_set_add(rev_from, w->a);
    sim_net_cut_oneway(w->net, rev_from, to);
    ck_assert(sim_net_send(w->net, s->id, "again", 5));
    run_until(w, 1000 * RC_US_PER_S);
    ck_assert_str_eq(r->data->str, "downagain");
    ck_assert(s->closed);
    ck_assert_int_eq(s->why, RC_CONN_END_TIMEOUT);
    rec_free(r);
    rec_free(r2);
    world_free(w);
}
END_TEST

/* Loss recovery. With a cut a -> b, b's data reaches a but a's acks do not come back. Until
 * b's retransmission timer first fires (200 ms after the first unacknowledged send) new data
 * follows the unacknowledged (the congestion window allows it); after that the window is one
 * segment, taken by the retransmission: new data waits for an ack, which comes only after the
 * heal. And data held by a two-way cut that becomes one-way goes one segment per timeout, as
 * a window of one: the first segment is delivered, the rest waits for the heal. */
START_TEST(test_one_way_loss_recovery)
{
    World *w = world_new(100);
    sim_net_set_chunking(w->net, 1460, 0);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    Rec *s = accepted(w->srv, 0);
    g_autoptr(SimHostSet) from = sim_host_set_new(w->net);
    g_autoptr(SimHostSet) to = sim_host_set_new(w->net);
    sim_host_set_add(from, w->a);
    sim_host_set_add(to, w->b);
    SimCutId cut = sim_net_cut_oneway(w->net, from, to);
    RcTime t0 = sim_kernel_now(w->k);
    ck_assert(sim_net_send(w->net, s->id, "x1", 2));
    run_until(w, t0 + 100 * RC_US_PER_MS);
    ck_assert(sim_net_send(w->net, s->id, "x2", 2)); /* before the first timeout: sent */
    run_until(w, t0 + 300 * RC_US_PER_MS);
    ck_assert(sim_net_send(w->net, s->id, "x3", 2)); /* after it: held */
    run_until(w, t0 + 5 * RC_US_PER_S);
    ck_assert_str_eq(r->data->str, "x1x2");
    sim_net_heal(w->net, cut);
    run_until(w, t0 + 20 * RC_US_PER_S);
    ck_assert_str_eq(r->data->str, "x1x2x3");

    /* two-way, then one-way a -> b: b's held data goes one segment at a time */
    g_string_truncate(r->data, 0);
    SimCutId both = sim_net_isolate(w->net, w->a);
    t0 = sim_kernel_now(w->k);
    ck_assert(sim_net_send(w->net, s->id, "p1", 2));
    ck_assert(sim_net_send(w->net, s->id, "p2", 2));
    run_until(w, t0 + RC_US_PER_S);
    ck_assert_uint_eq(r->data->len, 0);
    sim_net_heal(w->net, both);
    cut = sim_net_cut_oneway(w->net, from, to);
    run_until(w, t0 + 30 * RC_US_PER_S);
    ck_assert_str_eq(r->data->str, "p1");
    sim_net_heal(w->net, cut);
    run_until(w, t0 + 120 * RC_US_PER_S);
    ck_assert_str_eq(r->data->str, "p1p2");
    ck_assert(!s->closed && !r->closed);
    rec_free(r);
    world_free(w);
}
END_TEST

/* When the byte at `offset` (0-based) of what `r` received arrived, or -1. */
static RcTime arrival_of(const Rec *r, gsize offset)
{
    gsize end = 0;
    for (guint i = 0; i < r->chunk_lens->len; i++) {
        end += g_array_index(r->chunk_lens, gsize, i);
        if (end > offset)
            return g_array_index(r->chunk_times, RcTime, i);
    }
    return -1;
}

/* A connection a -> b past its quickack start: 20 small writes 50 ms apart, unanswered (the
 * receiver leaves quickack after 16 acks; the gaps are below the 200 ms that would restore
 * it). Returns the client end; *srv_out the server's. */
static Rec *nagle_conn(World *w, gboolean nodelay, Rec **srv_out)
{
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    sim_net_conn_set_nodelay(w->net, r->id, nodelay);
    run_until(w, sim_kernel_now(w->k) + 10 * RC_US_PER_MS);
    ck_assert(r->connected);
    *srv_out = g_ptr_array_index(w->srv->accepted, w->srv->accepted->len - 1);
    for (int i = 0; i < 20; i++) {
        ck_assert(sim_net_send(w->net, r->id, "warm", 4));
        run_until(w, sim_kernel_now(w->k) + 50 * RC_US_PER_MS);
    }
    ck_assert_uint_eq((*srv_out)->data->len, 80);
    return r;
}

/* Nagle and delayed ACKs (Redis's own cluster bus links keep Nagle): with TCP_NODELAY off, a
 * second small write waits for the first one's ack, which b's kernel delays 40 ms unless b
 * sends data back (the ack rides along); with TCP_NODELAY both go at once. Latency 100 us. */
START_TEST(test_nagle_waits_for_delayed_ack)
{
    World *w = world_new(100);
    sim_net_set_chunking(w->net, 1448, 0);
    Rec *s = NULL;

    /* Nagle, b silent: B waits for A's delayed ack (40 ms), then one way more */
    Rec *r = nagle_conn(w, FALSE, &s);
    RcTime t0 = sim_kernel_now(w->k);
    ck_assert(sim_net_send(w->net, r->id, "AAAA", 4));
    ck_assert(sim_net_send(w->net, r->id, "BBBB", 4));
    run_until(w, t0 + 100 * RC_US_PER_MS);
    ck_assert_str_eq(s->data->str + 80, "AAAABBBB");
    ck_assert_int_eq(arrival_of(s, 80), t0 + 100);
    ck_assert_int_eq(arrival_of(s, 84), t0 + 100 + 40 * RC_US_PER_MS + 100 + 100);

    /* Nagle, b answers A at once: the ack comes with its data, and B follows */
    Rec *r2 = nagle_conn(w, FALSE, &s);
    t0 = sim_kernel_now(w->k);
    ck_assert(sim_net_send(w->net, r2->id, "AAAA", 4));
    ck_assert(sim_net_send(w->net, r2->id, "BBBB", 4));
    run_until(w, t0 + 100);
    ck_assert_uint_eq(s->data->len, 84);
    ck_assert(sim_net_send(w->net, s->id, "ok", 2));
    run_until(w, t0 + 100 * RC_US_PER_MS);
    ck_assert_str_eq(r2->data->str, "ok");
    ck_assert_int_eq(arrival_of(s, 84), t0 + 300);

    /* TCP_NODELAY: both at once */
    Rec *r3 = nagle_conn(w, TRUE, &s);
    t0 = sim_kernel_now(w->k);
    ck_assert(sim_net_send(w->net, r3->id, "AAAA", 4));
    ck_assert(sim_net_send(w->net, r3->id, "BBBB", 4));
    run_until(w, t0 + 100);
    ck_assert_str_eq(s->data->str + 80, "AAAABBBB");

    /* a close pushes out what Nagle holds */
    t0 = sim_kernel_now(w->k);
    ck_assert(sim_net_send(w->net, r->id, "CCCC", 4));
    ck_assert(sim_net_send(w->net, r->id, "DDDD", 4)); /* held behind C */
    sim_net_close(w->net, r->id);
    run_until(w, t0 + 200);
    Rec *s1 = accepted(w->srv, 0);
    ck_assert_str_eq(s1->data->str + 88, "CCCCDDDD");
    ck_assert(s1->closed);
    rec_free(r);
    rec_free(r2);
    rec_free(r3);
    world_free(w);
}
END_TEST

START_TEST(test_bridge_and_partition_groups)
{
    World *w = world_new(100);
    guint32 d = sim_net_add_host(w->net, "d", "10.0.0.4");
    g_autoptr(SimHostSet) left = sim_host_set_parse(w->net, "a", NULL);
    g_autoptr(SimHostSet) right = sim_host_set_parse(w->net, "b,d", NULL);
    SimCutId cut = sim_net_bridge(w->net, left, right, w->c);
    ck_assert(!sim_net_can_reach(w->net, w->a, w->b));
    ck_assert(!sim_net_can_reach(w->net, w->b, w->a));
    ck_assert(!sim_net_can_reach(w->net, w->a, d));
    ck_assert(sim_net_can_reach(w->net, w->a, w->c));
    ck_assert(sim_net_can_reach(w->net, w->c, w->a));
    ck_assert(sim_net_can_reach(w->net, w->c, w->b));
    ck_assert(sim_net_can_reach(w->net, w->b, d));
    Rec *via_bridge = dial(w, w->c, "10.0.0.2", 7000);
    Rec *blocked = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, 5 * RC_US_PER_S);
    ck_assert(via_bridge->connected);
    ck_assert(!blocked->connected);
    sim_net_heal(w->net, cut);
    /* {a,c} | rest */
    g_autoptr(SimHostSet) g1 = sim_host_set_parse(w->net, "a, c", NULL);
    const SimHostSet *groups[] = {g1};
    sim_net_partition(w->net, groups, 1);
    ck_assert(sim_net_can_reach(w->net, w->a, w->c));
    ck_assert(!sim_net_can_reach(w->net, w->c, w->b));
    ck_assert(sim_net_can_reach(w->net, w->b, d));
    ck_assert(!sim_net_can_reach(w->net, d, w->a));
    sim_net_heal_all(w->net);
    ck_assert(sim_net_can_reach(w->net, d, w->a));
    GError *err = NULL;
    ck_assert(sim_host_set_parse(w->net, "a,zz", &err) == NULL);
    ck_assert_str_eq(err->message, "hosts: unknown host 'zz'");
    g_error_free(err);
    run_until(w, 20 * RC_US_PER_S);
    ck_assert(blocked->connected);
    rec_free(via_bridge);
    rec_free(blocked);
    world_free(w);
}
END_TEST

/* ------------------------------------------------------------------ process faults */

START_TEST(test_crash_resets_and_refuses)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    ck_assert(sim_net_send(w->net, accepted(w->srv, 0)->id, "bye", 3));
    sim_net_host_crash(w->net, w->b);
    ck_assert_int_eq(sim_net_host_state(w->net, w->b), SIM_HOST_CRASHED);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->b), 0);
    run_until(w, 2 * RC_US_PER_S);
    /* bytes already on the wire arrive, then the RST */
    ck_assert_str_eq(r->data->str, "bye");
    ck_assert(r->closed);
    ck_assert_int_eq(r->why, RC_CONN_END_RESET);
    ck_assert_int_eq(r->closed_at, RC_US_PER_S + 100);
    ck_assert(!accepted(w->srv, 0)->closed); /* the dead process hears nothing */
    Rec *r2 = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, 3 * RC_US_PER_S);
    ck_assert(r2->closed);
    ck_assert_int_eq(r2->why, RC_CONN_END_REFUSED);
    sim_net_host_restart(w->net, w->b);
    ck_assert(sim_net_listen(w->net, w->b, 7000, on_accept, w->srv, NULL));
    Rec *r3 = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, 4 * RC_US_PER_S);
    ck_assert(r3->connected);
    ck_assert_uint_eq(w->srv->accepted->len, 2);
    rec_free(r);
    rec_free(r2);
    rec_free(r3);
    world_free(w);
}
END_TEST

START_TEST(test_crash_during_cut_reset_on_next_write)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    SimCutId cut = sim_net_isolate(w->net, w->b);
    sim_net_host_crash(w->net, w->b); /* the RST is lost in the cut */
    run_until(w, 2 * RC_US_PER_S);
    sim_net_heal(w->net, cut);
    run_until(w, 3 * RC_US_PER_S);
    ck_assert(!r->closed);
    ck_assert(sim_net_send(w->net, r->id, "anyone?", 7));
    run_until(w, 4 * RC_US_PER_S);
    ck_assert(r->closed);
    ck_assert_int_eq(r->why, RC_CONN_END_RESET);
    ck_assert_int_eq(r->closed_at, 3 * RC_US_PER_S + 200);
    rec_free(r);
    world_free(w);
}
END_TEST

/* A world whose crashed hosts close their sockets 5 ms after the kill, then 1 ms apart. */
static World *teardown_world_new(void)
{
    World *w = world_new(100);
    SimLatency start;
    sim_latency_constant(&start, 5000);
    sim_net_set_crash_teardown(w->net, &start, 1000);
    return w;
}

/* A killed process's kernel closes its sockets one by one, oldest first, from `start` after the
 * kill, `spacing` apart; until its turn an end takes what arrives (acknowledged, never read)
 * and then resets it. New connects are refused at once. */
START_TEST(test_crash_teardown_closes_one_by_one)
{
    World *w = teardown_world_new();
    Rec *older = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S / 2);
    Rec *newer = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    sim_net_host_crash(w->net, w->b);
    ck_assert_int_eq(sim_net_host_state(w->net, w->b), SIM_HOST_CRASHED);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->b), 2); /* not closed yet */
    ck_assert(sim_net_send(w->net, newer->id, "SADD k v", 8));
    Rec *late = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S + 4000);
    ck_assert(late->closed);
    ck_assert_int_eq(late->why, RC_CONN_END_REFUSED);
    ck_assert(!older->closed && !newer->closed);
    run_until(w, 2 * RC_US_PER_S);
    ck_assert(older->closed && newer->closed);
    ck_assert_int_eq(older->why, RC_CONN_END_RESET);
    ck_assert_int_eq(newer->why, RC_CONN_END_RESET);
    ck_assert_int_eq(older->closed_at, RC_US_PER_S + 5000 + 100);
    ck_assert_int_eq(newer->closed_at, RC_US_PER_S + 6000 + 100);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->b), 0);
    for (guint i = 0; i < w->srv->accepted->len; i++) { /* the dead process hears nothing */
        ck_assert(!accepted(w->srv, i)->closed);
        ck_assert_uint_eq(accepted(w->srv, i)->data->len, 0);
    }
    rec_free(older);
    rec_free(newer);
    rec_free(late);
    world_free(w);
}
END_TEST

/* A restart within the teardown closes what is left at once: the new process starts clean. */
START_TEST(test_crash_teardown_cut_short_by_restart)
{
    World *w = teardown_world_new();
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    sim_net_host_crash(w->net, w->b);
    run_until(w, RC_US_PER_S + 1000);
    sim_net_host_restart(w->net, w->b);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->b), 0);
    ck_assert(sim_net_listen(w->net, w->b, 7000, on_accept, w->srv, NULL));
    run_until(w, 2 * RC_US_PER_S);
    ck_assert(r->closed);
    ck_assert_int_eq(r->why, RC_CONN_END_RESET);
    ck_assert_int_eq(r->closed_at, RC_US_PER_S + 1000 + 100);
    rec_free(r);
    world_free(w);
}
END_TEST

START_TEST(test_pause_buffers_until_resume)
{
    World *w = world_new(100);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    sim_net_host_pause(w->net, w->b);
    ck_assert(sim_net_send(w->net, r->id, "one", 3));
    Rec *r2 = dial(w, w->a, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S + 1000);
    ck_assert(r2->connected); /* the paused host's kernel completed the handshake */
    ck_assert(sim_net_send(w->net, r2->id, "two", 3));
    sim_net_close(w->net, r2->id);
    run_until(w, 5 * RC_US_PER_S);
    ck_assert_uint_eq(accepted(w->srv, 0)->data->len, 0);
    ck_assert_uint_eq(w->srv->accepted->len, 1);
    sim_net_host_resume(w->net, w->b);
    run_until(w, 5 * RC_US_PER_S);
    ck_assert_str_eq(accepted(w->srv, 0)->data->str, "one");
    ck_assert_int_eq(g_array_index(accepted(w->srv, 0)->chunk_times, RcTime, 0), 5 * RC_US_PER_S);
    ck_assert_uint_eq(w->srv->accepted->len, 2);
    ck_assert_int_eq(g_array_index(w->srv->accept_times, RcTime, 1), 5 * RC_US_PER_S);
    ck_assert_str_eq(accepted(w->srv, 1)->data->str, "two");
    ck_assert(accepted(w->srv, 1)->closed);
    ck_assert_int_eq(accepted(w->srv, 1)->why, RC_CONN_END_EOF);
    rec_free(r);
    rec_free(r2);
    world_free(w);
}
END_TEST

/* An application that closes its end in the first data callback gets nothing more, even
 * when more bytes and the peer's close were queued while it was paused. */
static int closer_calls;

static void closer_data(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user)
{
    (void)data;
    (void)len;
    (void)user;
    closer_calls++;
    sim_net_close(net, conn);
}

static void closer_closed(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user)
{
    (void)net;
    (void)conn;
    (void)why;
    (void)user;
    closer_calls += 100;
}

static const SimConnHandler closer_handler = {NULL, closer_data, closer_closed};

static void closer_accept(SimNet *net, SimConnId conn, guint32 host, guint16 port,
                          const char *peer_ip, guint16 peer_port, gpointer user)
{
    (void)host;
    (void)port;
    (void)peer_ip;
    (void)peer_port;
    (void)user;
    sim_net_conn_set_handler(net, conn, &closer_handler, NULL);
}

START_TEST(test_close_inside_resumed_callback)
{
    World *w = world_new(100);
    ck_assert(sim_net_listen(w->net, w->c, 7100, closer_accept, NULL, NULL));
    Rec *r = dial(w, w->a, "10.0.0.3", 7100);
    run_until(w, RC_US_PER_S);
    sim_net_host_pause(w->net, w->c);
    char big[40000];
    memset(big, 'x', sizeof big);
    ck_assert(sim_net_send(w->net, r->id, big, sizeof big));
    sim_net_close(w->net, r->id);
    run_until(w, 2 * RC_US_PER_S);
    closer_calls = 0;
    sim_net_host_resume(w->net, w->c);
    run_until(w, 3 * RC_US_PER_S);
    ck_assert_int_eq(closer_calls, 1);
    ck_assert_uint_eq(sim_net_host_n_conns(w->net, w->c), 0);
    rec_free(r);
    world_free(w);
}
END_TEST

/* ------------------------------------------------------------------ clocks */

START_TEST(test_clock_skew)
{
    World *w = world_new(100);
    run_until(w, 10 * RC_US_PER_S);
    ck_assert_int_eq(sim_net_host_local_now(w->net, w->a), 10 * RC_US_PER_S);
    sim_net_host_set_clock(w->net, w->a, 5 * RC_US_PER_S, 1000); /* +5 s, 0.1 % fast */
    ck_assert_int_eq(sim_net_host_local_now(w->net, w->a), 15 * RC_US_PER_S);
    run_until(w, 20 * RC_US_PER_S);
    ck_assert_int_eq(sim_net_host_local_now(w->net, w->a), 25 * RC_US_PER_S + 10000);
    ck_assert_int_eq(sim_net_host_local_now(w->net, w->b), 20 * RC_US_PER_S);
    /* the inverse: the earliest true time whose local reading reaches a value */
    RcTime t = sim_net_host_true_time_at(w->net, w->a, 26 * RC_US_PER_S);
    ck_assert_int_eq(t, 20 * RC_US_PER_S + 989011); /* 989010.99 us at 1.001 */
    ck_assert_int_eq(sim_net_host_true_time_at(w->net, w->a, 0), 20 * RC_US_PER_S);
    /* a backward step: the clock stands still until true time catches up */
    sim_net_host_set_clock(w->net, w->a, -2 * RC_US_PER_S, 0);
    RcTime frozen = 25 * RC_US_PER_S + 10000;
    ck_assert_int_eq(sim_net_host_local_now(w->net, w->a), frozen);
    run_until(w, 25 * RC_US_PER_S);
    ck_assert_int_eq(sim_net_host_local_now(w->net, w->a), frozen);
    ck_assert_int_eq(sim_net_host_true_time_at(w->net, w->a, frozen + 1), 27 * RC_US_PER_S + 10001);
    run_until(w, 30 * RC_US_PER_S);
    ck_assert_int_eq(sim_net_host_local_now(w->net, w->a), 28 * RC_US_PER_S);
    /* slow clocks: monotonic under a random walk of settings */
    SimRng rng = sim_rng_small(3, SIM_RNG_TEST, 0);
    RcTime last = sim_net_host_local_now(w->net, w->c);
    for (int i = 0; i < 2000; i++) {
        if (i % 50 == 0)
            sim_net_host_set_clock(w->net, w->c, (RcTime)sim_rng_below(&rng, 20000000) - 10000000,
                                   (gint64)sim_rng_below(&rng, 200001) - 100000);
        run_until(w, sim_kernel_now(w->k) + (RcTime)sim_rng_below(&rng, 100000));
        RcTime now = sim_net_host_local_now(w->net, w->c);
        ck_assert_int_ge(now, last);
        last = now;
        RcTime want = now + (RcTime)sim_rng_below(&rng, 1000000) + 1;
        RcTime at = sim_net_host_true_time_at(w->net, w->c, want);
        ck_assert_int_ge(at, sim_kernel_now(w->k));
    }
    world_free(w);
}
END_TEST

/* ------------------------------------------------------------------ latency */

START_TEST(test_latency_bounds)
{
    static const struct {
        const char *text;
        RcTime lo, hi; /* every draw within */
        double mean_lo, mean_hi;
    } cases[] = {
        {"const:250us", 250, 250, 250, 250},
        {"uniform:100us..500us", 100, 500, 290, 310},
        {"normal:1ms,sd=200us,floor=700us", 700, 3000, 1000, 1040},
        {"lognormal:300us,sigma=0.5,floor=100us", 100, 60100000, 420, 450},
        {"pareto:200us,alpha=2.5,cap=50ms", 200, 50000, 320, 345},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        SimLatency lat;
        GError *err = NULL;
        ck_assert_msg(sim_latency_parse(cases[i].text, &lat, &err), "%s", cases[i].text);
        SimRng rng = sim_rng_small(1, SIM_RNG_TEST, i);
        double sum = 0;
        const int n = 40000;
        for (int j = 0; j < n; j++) {
            RcTime v = sim_latency_sample(&lat, &rng);
            ck_assert_msg(v >= cases[i].lo && v <= cases[i].hi, "%s: %" G_GINT64_FORMAT,
                          cases[i].text, v);
            sum += (double)v;
        }
        double mean = sum / n;
        ck_assert_msg(mean >= cases[i].mean_lo && mean <= cases[i].mean_hi, "%s: mean %f",
                      cases[i].text, mean);
        ck_assert_int_eq(sim_latency_min(&lat), cases[i].lo);
        /* round trip through the text form */
        g_autofree char *text = sim_latency_to_string(&lat);
        SimLatency again;
        ck_assert(sim_latency_parse(text, &again, NULL));
        ck_assert(memcmp(&again, &lat, sizeof lat) == 0);
    }
}
END_TEST

START_TEST(test_latency_bad_input)
{
    static const struct {
        const char *text, *error;
    } cases[] = {
        {"250us", "latency: expected kind:value, got '250us'"},
        {"fast:1ms", "latency: unknown distribution 'fast' (const, uniform, normal, lognormal, "
                     "pareto)"},
        {"const:1h", "latency: bad duration '1h' (use us, ms or s)"},
        {"const:-5us", "latency: bad duration '-5us' (use us, ms or s)"},
        {"const:5us,sd=1us", "latency: unexpected parameter 'sd=1us'"},
        {"uniform:5ms", "latency: uniform needs min..max, got '5ms'"},
        {"uniform:5ms..1ms", "latency: uniform max is below min"},
        {"uniform:5ms..x", "latency: bad duration in '5ms..x' (use us, ms or s)"},
        {"normal:1ms,sd", "latency: expected key=value, got 'sd'"},
        {"normal:1ms,sigma=2", "latency: unknown parameter 'sigma'"},
        {"lognormal:1ms,sigma=abc", "latency: bad number 'abc'"},
        {"lognormal:1ms,sigma=0", "latency: sigma must be in (0, 5]"},
        {"pareto:0us", "latency: pareto minimum must be positive"},
        {"pareto:1ms,cap=10us", "latency: pareto cap is below the minimum"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        SimLatency lat;
        GError *err = NULL;
        ck_assert_msg(!sim_latency_parse(cases[i].text, &lat, &err), "%s", cases[i].text);
        ck_assert_str_eq(err->message, cases[i].error);
        g_error_free(err);
    }
    RcTime us;
    ck_assert(sim_parse_duration("1.5ms", &us) && us == 1500);
    ck_assert(sim_parse_duration("2s", &us) && us == 2000000);
    ck_assert(!sim_parse_duration("", &us));
    ck_assert(!sim_parse_duration("ms", &us));
}
END_TEST

/* Latency rules: per pair and per group, later rules win, both directions. */
START_TEST(test_latency_rules)
{
    World *w = world_new(100);
    SimLatency slow, slower;
    sim_latency_constant(&slow, 5000);
    sim_latency_constant(&slower, 9000);
    g_autoptr(SimHostSet) grp = sim_host_set_parse(w->net, "a,b", NULL);
    sim_net_set_latency_between(w->net, grp, grp, &slow);
    Rec *r = dial(w, w->a, "10.0.0.2", 7000);
    Rec *rc = dial(w, w->c, "10.0.0.2", 7000);
    run_until(w, RC_US_PER_S);
    ck_assert_int_eq(r->connected_at, 10000);
    ck_assert_int_eq(rc->connected_at, 200);
    sim_net_set_latency_pair(w->net, w->b, w->a, &slower);
    ck_assert(sim_net_send(w->net, r->id, "x", 1));
    run_until(w, 2 * RC_US_PER_S);
    ck_assert_int_eq(g_array_index(accepted(w->srv, 1)->chunk_times, RcTime, 0),
                     RC_US_PER_S + 9000); /* accepted 0 is c's, which arrived first */
    rec_free(r);
    rec_free(rc);
    world_free(w);
}
END_TEST

Suite *net_suite(void);
Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("connections");
    tcase_add_test(tc, test_connect_accept_addresses);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_order_and_chunking);
    tcase_add_test(tc, test_bytes_and_plain_writes_alike);
    tcase_add_test(tc, test_segment_blocks_recycled_intact);
    tcase_add_test(tc, test_can_reach_follows_every_change);
    tcase_add_test(tc, test_close_flushes_then_eof);
    tcase_add_test(tc, test_reset_and_write_to_closed);
    tcase_add_test(tc, test_link_streams_independent_of_other_hosts);
    tcase_add_test(tc, test_new_host_leaves_link_draws);
    tcase_add_test(tc, test_conns_recycled_clean);
    tcase_add_test(tc, test_listeners_by_ip_and_port);
    suite_add_tcase(s, tc);
    tc = tcase_create("cuts");
    tcase_add_test(tc, test_hold_and_release_after_heal);
    tcase_add_test(tc, test_in_flight_lost_then_retransmitted);
    tcase_add_test(tc, test_fin_held_across_cut);
    tcase_add_test(tc, test_reset_during_cut_drops_held);
    tcase_add_test(tc, test_reset_during_cut_drops_lost_in_flight);
    tcase_add_test(tc, test_receiver_closes_during_cut);
    tcase_add_test(tc, test_retries2_timeout);
    tcase_add_test(tc, test_connect_across_cut);
    tcase_add_test(tc, test_syn_retransmissions_linear_first);
    tcase_add_test(tc, test_one_way_cut);
    tcase_add_test(tc, test_one_way_loss_recovery);
    tcase_add_test(tc, test_nagle_waits_for_delayed_ack);
    tcase_add_test(tc, test_bridge_and_partition_groups);
    suite_add_tcase(s, tc);
    tc = tcase_create("faults");
    tcase_add_test(tc, test_crash_resets_and_refuses);
    tcase_add_test(tc, test_crash_during_cut_reset_on_next_write);
    tcase_add_test(tc, test_crash_teardown_closes_one_by_one);
    tcase_add_test(tc, test_crash_teardown_cut_short_by_restart);
    tcase_add_test(tc, test_pause_buffers_until_resume);
    tcase_add_test(tc, test_close_inside_resumed_callback);
    tcase_add_test(tc, test_clock_skew);
    suite_add_tcase(s, tc);
    tc = tcase_create("latency");
    tcase_add_test(tc, test_latency_bounds);
    tcase_add_test(tc, test_latency_bad_input);
    tcase_add_test(tc, test_latency_rules);
    suite_add_tcase(s, tc);
    return s;
}
