/* The node driver: real RcNodes on SimNet hosts, driven through their entry points. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/bus.h"
#include "sim/host.h"

/* A raw RESP client on its own host. */
typedef struct {
    SimWorld *w;
    guint32 host;
    SimConnId conn;
    GString *in;
    gboolean connected, closed;
    RcConnEnd why;
} Cli;

static void cli_connected(SimNet *net, SimConnId conn, gpointer user)
{
    Cli *c = user;
    c->connected = TRUE;
    (void)net;
    (void)conn;
}

static void cli_data(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user)
{
    Cli *c = user;
    g_string_append_len(c->in, (const char *)data, (gssize)len);
    (void)net;
    (void)conn;
}

static void cli_closed(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user)
{
    Cli *c = user;
    c->closed = TRUE;
    c->why = why;
    (void)net;
    (void)conn;
}

static const SimConnHandler cli_handler = {cli_connected, cli_data, cli_closed};

static Cli *cli_new(SimWorld *w, const char *name, const char *ip)
{
    Cli *c = g_new0(Cli, 1);
    c->w = w;
    c->host = sim_world_add_client_host(w, name, ip);
    c->in = g_string_new("");
    return c;
}

static void cli_dial(Cli *c, guint16 port)
{
    c->connected = c->closed = FALSE;
    g_string_truncate(c->in, 0);
    c->conn = sim_net_connect(sim_world_net(c->w), c->host, "127.0.0.1", port, &cli_handler, c);
}

static void cli_free(Cli *c)
{
    g_string_free(c->in, TRUE);
    g_free(c);
}

/* Send a command given as space-separated words, RESP-encoded. */
static void cli_cmd(Cli *c, const char *words)
{
    g_auto(GStrv) argv = g_strsplit(words, " ", -1);
    GString *s = g_string_new("");
    g_string_append_printf(s, "*%u\r\n", g_strv_length(argv));
    for (guint i = 0; argv[i] != NULL; i++)
        g_string_append_printf(s, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    g_string_truncate(c->in, 0);
    ck_assert(sim_net_send(sim_world_net(c->w), c->conn, s->str, s->len));
    g_string_free(s, TRUE);
}

static void run_to(SimWorld *w, RcTime t)
{
    sim_world_run(w, t, 0);
}

/* Client host c1 connected to n1 (127.0.0.1:30001) 20 ms into the run. */
static Cli *cli_on_n1(SimWorld *w)
{
    Cli *c = cli_new(w, "c1", "10.0.0.1");
    run_to(w, 10000);
    cli_dial(c, 30001);
    run_to(w, 20000);
    return c;
}

static RcTime now_of(SimWorld *w)
{
    return sim_kernel_now(sim_world_kernel(w));
}

/* The node's next `n` deadlines are honoured: each serverCron runs at its deadline's true
 * time (the local deadline less the clocks' origin, no skew), not a microsecond before. */
static void expect_crons_on_time(SimWorld *w, guint32 node, RcTime origin_us, int n)
{
    for (int i = 0; i < n; i++) {
        RcTime next = rc_node_next_deadline(sim_world_node(w, node)) - origin_us;
        ck_assert_int_gt(next, now_of(w));
        run_to(w, next - 1);
        SimNodeStats before, after;
        sim_world_node_stats(w, node, &before);
        run_to(w, next);
        sim_world_node_stats(w, node, &after);
        ck_assert_uint_eq(after.expiries, before.expiries + 1);
    }
}

START_TEST(test_boot_sets_cron_phase)
{
    RcTime boots[] = {0, 37000};
    g_autoptr(SimWorld) w = sim_cluster_new(1, 2, NULL, boots);
    SimNodeStats st;
    run_to(w, 36999);
    ck_assert(sim_world_node(w, 1) == NULL);
    ck_assert(!sim_world_node_is_up(w, 1));
    run_to(w, 37000);
    ck_assert(sim_world_node_is_up(w, 1));
    sim_world_node_stats(w, 1, &st);
    ck_assert_uint_eq(st.boots, 1);
    ck_assert_uint_eq(st.expiries, 0);
    ck_assert_uint_eq(st.before_sleeps, 1); /* after the boot instant */
    run_to(w, 37999);
    sim_world_node_stats(w, 1, &st);
    ck_assert_uint_eq(st.expiries, 0);
    run_to(w, 38000); /* Redis's first serverCron: 1 ms after start */
    sim_world_node_stats(w, 1, &st);
    ck_assert_uint_eq(st.expiries, 1);
    ck_assert_uint_eq(st.before_sleeps, 2);
    /* the node's deadlines are honoured: never late, the timer follows its answer */
    expect_crons_on_time(w, 1, 0, 50);
    sim_world_node_stats(w, 1, &st);
    SimNodeStats st0;
    sim_world_node_stats(w, 0, &st0);
    ck_assert_uint_ge(st0.expiries, st.expiries);
}
END_TEST

START_TEST(test_ping_pong)
{
    g_autoptr(SimWorld) w = sim_cluster_new(7, 1, NULL, NULL);
    Cli *c = cli_on_n1(w);
    ck_assert(c->connected);
    cli_cmd(c, "PING");
    run_to(w, 30000);
    ck_assert_str_eq(c->in->str, "+PONG\r\n");
    SimNodeStats st;
    sim_world_node_stats(w, 0, &st);
    ck_assert_uint_eq(st.accepts, 1);
    ck_assert_uint_ge(st.recvs, 1);
    cli_free(c);
}
END_TEST

/* Five requests that land at one instant: five receives, one before-sleep. */
START_TEST(test_before_sleep_once_per_instant)
{
    g_autoptr(SimWorld) w = sim_cluster_new(7, 1, NULL, NULL);
    Cli *c[5];
    for (guint i = 0; i < 5; i++) {
        char name[8], ip[16];
        g_snprintf(name, sizeof name, "c%u", i);
        g_snprintf(ip, sizeof ip, "10.0.0.%u", i + 1);
        c[i] = cli_new(w, name, ip);
        cli_dial(c[i], 30001);
    }
    run_to(w, 50000);
    SimNodeStats before, after;
    sim_world_node_stats(w, 0, &before);
    run_to(w, 50200); /* not a cron instant (cron at 1 ms + k x 100 ms) */
    for (guint i = 0; i < 5; i++)
        cli_cmd(c[i], "PING");
    run_to(w, 50299);
    sim_world_node_stats(w, 0, &after);
    ck_assert_uint_eq(after.recvs, before.recvs);
    ck_assert_uint_eq(after.before_sleeps, before.before_sleeps);
    run_to(w, 50300); /* default latency 100 us */
    sim_world_node_stats(w, 0, &after);
    ck_assert_uint_eq(after.recvs, before.recvs + 5);
    ck_assert_uint_eq(after.before_sleeps, before.before_sleeps + 1);
    run_to(w, 60000);
    for (guint i = 0; i < 5; i++) {
        ck_assert_str_eq(c[i]->in->str, "+PONG\r\n");
        cli_free(c[i]);
    }
}
END_TEST

/* Cluster bus messages the node has queued so far. */
static guint64 bus_sent(SimWorld *w, guint32 node)
{
    const RcCluster *c = sim_world_node(w, node)->cluster;
    guint64 n = 0;
    for (guint t = 0; t < RC_CLUSTERMSG_TYPE_COUNT; t++)
        n += c->stats_bus_messages_sent[t];
    return n;
}

/* ae's extra turn after a cluster bus write: clusterSendMessage installs a write handler, the
 * next poll returns at once and before-sleep runs again. Two met nodes, no clients: at every
 * instant at which n2 queued a bus message (a PONG to a PING, a cron's PING) it runs
 * before-sleep twice; at the others (it got a PONG and answered nothing) once. */
START_TEST(test_bus_write_turns_the_loop)
{
    g_autoptr(SimWorld) w = sim_cluster_new(3, 2, NULL, NULL);
    Cli *c = cli_on_n1(w);
    cli_cmd(c, "CLUSTER MEET 127.0.0.1 30002");
    run_to(w, 30000);
    sim_net_close(sim_world_net(w), c->conn);
    run_to(w, 3 * RC_US_PER_S);
    guint with_write = 0, without = 0;
    while (now_of(w) < 6 * RC_US_PER_S) {
        RcTime t = sim_kernel_next_time(sim_world_kernel(w));
        SimNodeStats before, after;
        sim_world_node_stats(w, 1, &before);
        guint64 sent = bus_sent(w, 1);
        run_to(w, t);
        sim_world_node_stats(w, 1, &after);
        guint64 sleeps = after.before_sleeps - before.before_sleeps;
        if (sleeps == 0)
            continue; /* nothing of n2's ran at t */
        if (bus_sent(w, 1) > sent) {
            ck_assert_msg(sleeps == 2, "t=%" G_GINT64_FORMAT ": %" G_GUINT64_FORMAT, t, sleeps);
            with_write++;
        } else {
            ck_assert_msg(sleeps == 1, "t=%" G_GINT64_FORMAT ": %" G_GUINT64_FORMAT, t, sleeps);
            without++;
        }
    }
    ck_assert_uint_gt(with_write, 2);
    ck_assert_uint_gt(without, 2);
    cli_free(c);
}
END_TEST

/* CLUSTER SAVECONFIG saves with fsync (clusterSaveConfig(1)). Returns when its reply and
 * the reply to a PING sent by another client 1 ms later reached the clients (us after the
 * command), and how many times the node blocked. */
static void saveconfig_replies(RcTime fsync_us, RcTime *save_us, RcTime *ping_us, guint64 *blocks)
{
    g_autoptr(SimWorld) w = sim_cluster_new(3, 1, NULL, NULL);
    SimLatency lat;
    sim_latency_constant(&lat, fsync_us);
    sim_world_set_fsync(w, &lat);
    Cli *c = cli_on_n1(w);
    Cli *d = cli_new(w, "c2", "10.0.0.2");
    cli_dial(d, 30001);
    run_to(w, 40000);
    ck_assert(c->connected && d->connected);
    SimNodeStats before, after;
    sim_world_node_stats(w, 0, &before);
    RcTime t0 = now_of(w);
    cli_cmd(c, "CLUSTER SAVECONFIG");
    run_to(w, t0 + 1000);
    cli_cmd(d, "PING");
    *save_us = *ping_us = 0;
    for (RcTime t = t0 + 1000; t < t0 + 50000 && (*save_us == 0 || *ping_us == 0); t += 50) {
        run_to(w, t);
        if (*save_us == 0 && c->in->len > 0)
            *save_us = t - t0;
        if (*ping_us == 0 && d->in->len > 0)
            *ping_us = t - t0;
    }
    ck_assert_str_eq(c->in->str, "+OK\r\n");
    ck_assert_str_eq(d->in->str, "+PONG\r\n");
    sim_world_node_stats(w, 0, &after);
    *blocks = after.fsync_blocks - before.fsync_blocks;
    cli_free(c);
    cli_free(d);
}

/* fsync of nodes.conf blocks the process: the reply, written after it, waits for it, and so
 * does a command that arrives meanwhile. Not modelled (0), both come within a round trip. */
START_TEST(test_fsync_blocks_the_loop)
{
    RcTime save_us, ping_us;
    guint64 blocks;
    saveconfig_replies(0, &save_us, &ping_us, &blocks);
    ck_assert_int_le(save_us, 1050); /* 2 x 100 us, polled from 1 ms on */
    ck_assert_int_le(ping_us, 1300);
    ck_assert_uint_eq(blocks, 0);
    saveconfig_replies(5000, &save_us, &ping_us, &blocks);
    ck_assert_int_ge(save_us, 5200); /* 100 us there, 5 ms of fsync, 100 us back */
    ck_assert_int_le(save_us, 5300);
    ck_assert_int_ge(ping_us, 5200); /* arrived at 1.1 ms, read after the fsync */
    ck_assert_int_le(ping_us, 5300);
    ck_assert_uint_eq(blocks, 1);
}
END_TEST

static char *myid(SimWorld *w, Cli *c)
{
    cli_dial(c, 30001);
    run_to(w, now_of(w) + 1000);
    ck_assert(c->connected);
    cli_cmd(c, "CLUSTER MYID");
    run_to(w, now_of(w) + 1000);
    ck_assert_msg(c->in->len > 0 && c->in->str[0] == '$', "reply: %s", c->in->str);
    char *nl = strstr(c->in->str, "\r\n");
    ck_assert(nl != NULL);
    char *id = g_strndup(nl + 2, 40);
    sim_net_close(sim_world_net(w), c->conn);
    return id;
}

/* The node saves nodes.conf; a restarted node comes back with exactly that, and a node
 * whose disk was wiped comes back as a stranger. */
START_TEST(test_restart_keeps_only_the_disk)
{
    g_autoptr(SimWorld) w = sim_cluster_new(3, 1, NULL, NULL);
    Cli *c = cli_new(w, "c1", "10.0.0.1");
    run_to(w, 500000);
    ck_assert(sim_world_node_disk(w, 0) != NULL);
    SimNodeStats st;
    sim_world_node_stats(w, 0, &st);
    ck_assert_uint_ge(st.saves, 1);
    g_autofree char *id1 = myid(w, c);
    sim_world_crash(w, 0);
    ck_assert(!sim_world_node_is_up(w, 0));
    ck_assert(sim_world_node_disk(w, 0) != NULL);
    cli_dial(c, 30001);
    run_to(w, now_of(w) + 1000);
    ck_assert(c->closed);
    ck_assert_int_eq(c->why, RC_CONN_END_REFUSED);
    sim_world_restart(w, 0);
    sim_world_node_stats(w, 0, &st);
    ck_assert_uint_eq(st.boots, 2);
    g_autofree char *id2 = myid(w, c);
    ck_assert_str_eq(id1, id2);
    sim_world_crash(w, 0);
    sim_world_set_node_disk(w, 0, NULL);
    sim_world_restart(w, 0);
    g_autofree char *id3 = myid(w, c);
    ck_assert_str_ne(id1, id3);
    cli_free(c);
}
END_TEST

/* Send one command on c's connection and return the reply that came back within 1 ms. */
static const char *cli_call(Cli *c, const char *words)
{
    cli_cmd(c, words);
    run_to(c->w, now_of(c->w) + 1000);
    return c->in->str;
}

/* A crash takes the process's memory: a key written before it is gone after the restart,
 * while what nodes.conf holds (the node's id, its slots) comes back. */
START_TEST(test_restart_loses_memory)
{
    g_autoptr(SimWorld) w = sim_cluster_new(4, 1, NULL, NULL);
    Cli *c = cli_on_n1(w);
    ck_assert(c->connected);
    ck_assert_str_eq(cli_call(c, "CLUSTER ADDSLOTSRANGE 0 16383"), "+OK\r\n");
    run_to(w, 3 * RC_US_PER_S); /* a master serves CLUSTER_WRITABLE_DELAY after its start */
    ck_assert_str_eq(cli_call(c, "SET foo bar"), "+OK\r\n");
    ck_assert_str_eq(cli_call(c, "GET foo"), "$3\r\nbar\r\n");
    ck_assert_str_eq(cli_call(c, "DBSIZE"), ":1\r\n");
    run_to(w, 4 * RC_US_PER_S);
    g_autofree char *id1 = myid(w, c);
    sim_world_crash(w, 0);
    sim_world_restart(w, 0);
    g_autofree char *id2 = myid(w, c);
    ck_assert_str_eq(id1, id2); /* the identity survives on disk */
    run_to(w, 7 * RC_US_PER_S);
    cli_dial(c, 30001);
    run_to(w, now_of(w) + 1000);
    ck_assert(c->connected);
    /* the slots came back from nodes.conf: the key's slot is served here, not MOVED or down */
    ck_assert_str_eq(cli_call(c, "GET foo"), "$-1\r\n");
    ck_assert_str_eq(cli_call(c, "DBSIZE"), ":0\r\n");
    SimNodeStats st;
    sim_world_node_stats(w, 0, &st);
    ck_assert_uint_eq(st.boots, 2);
    cli_free(c);
}
END_TEST

/* CONNECT actions: MEET a port where nothing listens (refused), then a real node. */
START_TEST(test_meet_connects)
{
    g_autoptr(SimWorld) w = sim_cluster_new(5, 2, NULL, NULL);
    Cli *c = cli_on_n1(w);
    cli_cmd(c, "CLUSTER MEET 127.0.0.1 30099");
    run_to(w, 2 * RC_US_PER_S);
    SimNetStats ns;
    sim_net_get_stats(sim_world_net(w), &ns);
    ck_assert_uint_ge(ns.refused, 1);
    cli_cmd(c, "CLUSTER MEET 127.0.0.1 30002");
    run_to(w, 5 * RC_US_PER_S);
    ck_assert_str_eq(c->in->str, "+OK\r\n");
    /* the unanswered handshake is dropped after max(node timeout, 1 s) = 15 s */
    run_to(w, 20 * RC_US_PER_S);
    cli_cmd(c, "CLUSTER NODES");
    run_to(w, 20 * RC_US_PER_S + 1000);
    /* two lines (me and n2), none in handshake */
    guint lines = 0;
    for (const char *p = c->in->str; (p = strstr(p, "\n")) != NULL; p++)
        lines++;
    ck_assert_msg(lines == 4, "%s", c->in->str); /* bulk header, 2 node lines, bulk end */
    ck_assert_msg(strstr(c->in->str, "handshake") == NULL, "%s", c->in->str);
    ck_assert_msg(strstr(c->in->str, "127.0.0.1:30002@40002") != NULL, "%s", c->in->str);
    cli_free(c);
}
END_TEST

static guint64 expiries_at(SimWorld *w, guint32 node, RcTime t)
{
    run_to(w, t);
    SimNodeStats st;
    sim_world_node_stats(w, node, &st);
    return st.expiries;
}

/* serverCron wakes as ae + epoll wake it: the poll's timeout is whole ms, rounded up, from the
 * last before-sleep; then the timer latency; and a wake-up for a file event runs the overdue
 * cron right after it. Links are the default constant 100 us. */
START_TEST(test_timer_wakes_like_epoll)
{
    RcTime boot[] = {0};
    g_autoptr(SimWorld) w = sim_cluster_new(1, 1, NULL, boot);
    SimLatency five;
    sim_latency_constant(&five, 5000);
    sim_world_set_timer_latency(w, &five);
    /* idle: due 1 ms after boot, then every 100 ms after the last run, each 5 ms late */
    ck_assert_uint_eq(expiries_at(w, 0, 5999), 0);
    ck_assert_uint_eq(expiries_at(w, 0, 6000), 1);
    ck_assert_uint_eq(expiries_at(w, 0, 110999), 1);
    ck_assert_uint_eq(expiries_at(w, 0, 111000), 2);
    /* a connection accepted at 130.1 ms: the poll then waits ceil(80.9) = 81 ms for the
     * deadline at 211 ms, so the cron runs at 211.1 + 5 ms */
    Cli *c = cli_new(w, "c1", "10.0.0.1");
    run_to(w, 130000);
    cli_dial(c, 30001);
    ck_assert_uint_eq(expiries_at(w, 0, 216099), 2);
    ck_assert_uint_eq(expiries_at(w, 0, 216100), 3);
    ck_assert(c->connected);
    /* due at 316.1 ms; a PING arriving at 318 ms (after the deadline, before the wake at
     * 321.1 ms) wakes the loop, and the overdue cron runs right after it */
    run_to(w, 317900);
    cli_cmd(c, "PING");
    ck_assert_uint_eq(expiries_at(w, 0, 317999), 3);
    ck_assert_uint_eq(expiries_at(w, 0, 318000), 4);
    ck_assert_int_eq(rc_node_next_deadline(sim_world_node(w, 0)), 418000);
    ck_assert_uint_eq(expiries_at(w, 0, 422999), 4);
    ck_assert_uint_eq(expiries_at(w, 0, 423000), 5); /* idle again: 100 ms + 5 ms */
    ck_assert_str_eq(c->in->str, "+PONG\r\n");
    cli_free(c);
}
END_TEST

/* SIGSTOP: nothing runs, bytes queue; SIGCONT: the queued request, one overdue cron. */
START_TEST(test_pause_and_resume)
{
    g_autoptr(SimWorld) w = sim_cluster_new(9, 1, NULL, NULL);
    Cli *c = cli_on_n1(w);
    sim_world_pause(w, 0);
    ck_assert(sim_world_node_is_paused(w, 0));
    SimNodeStats a, b;
    sim_world_node_stats(w, 0, &a);
    cli_cmd(c, "PING");
    run_to(w, 3 * RC_US_PER_S);
    sim_world_node_stats(w, 0, &b);
    ck_assert_uint_eq(b.expiries, a.expiries);
    ck_assert_uint_eq(b.recvs, a.recvs);
    ck_assert_uint_eq(c->in->len, 0);
    sim_world_resume(w, 0);
    run_to(w, 3 * RC_US_PER_S);
    sim_world_node_stats(w, 0, &b);
    ck_assert_uint_eq(b.recvs, a.recvs + 1);
    ck_assert_uint_eq(b.expiries, a.expiries + 1); /* overdue cron runs once, no catch-up */
    run_to(w, 3 * RC_US_PER_S + 100);
    ck_assert_str_eq(c->in->str, "+PONG\r\n");
    cli_free(c);
}
END_TEST

/* A fast clock runs cron more often in true time; a stepped clock moves the timer. */
START_TEST(test_clock_skew_drives_cron)
{
    g_autoptr(SimWorld) w = sim_cluster_new(2, 2, NULL, NULL);
    SimNet *net = sim_world_net(w);
    run_to(w, RC_US_PER_S);
    sim_net_host_set_clock(net, sim_world_node_host(w, 0), 0, 100000); /* 10 % fast */
    SimNodeStats a0, a1, b0, b1;
    sim_world_node_stats(w, 0, &a0);
    sim_world_node_stats(w, 1, &a1);
    run_to(w, 11 * RC_US_PER_S);
    sim_world_node_stats(w, 0, &b0);
    sim_world_node_stats(w, 1, &b1);
    guint64 fast = b0.expiries - a0.expiries, normal = b1.expiries - a1.expiries;
    ck_assert_uint_ge(normal, 99);
    ck_assert_msg(fast * 100 >= normal * 108 && fast * 100 <= normal * 112,
                  "%" G_GUINT64_FORMAT " vs %" G_GUINT64_FORMAT, fast, normal);
    /* the node always sees its own clock, never going back */
    RcTime local = sim_net_host_local_now(net, sim_world_node_host(w, 0));
    ck_assert_int_gt(local, 11 * RC_US_PER_S);
    sim_net_host_set_clock(net, sim_world_node_host(w, 0), 60 * RC_US_PER_S, 0); /* jump */
    sim_world_node_stats(w, 0, &a0);
    run_to(w, 11 * RC_US_PER_S + 1); /* the deadline passed at once in local time */
    sim_world_node_stats(w, 0, &b0);
    ck_assert_uint_eq(b0.expiries, a0.expiries + 1);
}
END_TEST

/* The node's clock as TIME reports it (seconds and microseconds), in microseconds. */
static RcTime node_time(SimWorld *w, Cli *c)
{
    cli_cmd(c, "TIME");
    run_to(w, now_of(w) + 1000);
    guint64 sec = 0, usec = 0;
    ck_assert_msg(sscanf(c->in->str,
                         "*2\r\n$%*u\r\n%" G_GUINT64_FORMAT "\r\n$%*u\r\n%" G_GUINT64_FORMAT, &sec,
                         &usec) == 2,
                  "%s", c->in->str);
    return (RcTime)(sec * RC_US_PER_S + usec);
}

/* A node reads its host's clock: true time until the clock is first set (the driver then
 * skips asking SimNet), the skewed clock after, standing still after a step back. */
START_TEST(test_node_reads_its_host_clock)
{
    g_autoptr(SimWorld) w = sim_cluster_new(3, 1, NULL, NULL);
    SimNet *net = sim_world_net(w);
    guint32 host = sim_world_node_host(w, 0);
    Cli *c = cli_on_n1(w);
    ck_assert(c->connected);
    /* the reply is formed when the request arrives, half the round trip before now */
    RcTime t = node_time(w, c);
    ck_assert_int_lt(t, now_of(w));
    ck_assert_int_gt(t, now_of(w) - 1000);
    sim_net_host_set_clock(net, host, 30 * RC_US_PER_S, 0);
    t = node_time(w, c);
    ck_assert_int_gt(t, now_of(w) + 30 * RC_US_PER_S - 1000);
    ck_assert_int_le(t, sim_net_host_local_now(net, host));
    RcTime before_back = sim_net_host_local_now(net, host);
    sim_net_host_set_clock(net, host, -5 * RC_US_PER_S, 0); /* back: the clock stands still */
    ck_assert_int_eq(node_time(w, c), before_back);
    cli_free(c);
}
END_TEST

/* A restarted process takes the world's start-up time before it serves: meanwhile the node
 * counts as up but has no RcNode and its ports refuse connections. Killed while starting, it
 * never boots; stopped while starting, it boots at SIGCONT if its start-up ended meanwhile. */
START_TEST(test_restart_takes_startup_time)
{
    g_autoptr(SimWorld) w = sim_cluster_new(4, 1, NULL, NULL);
    SimLatency startup;
    sim_latency_constant(&startup, 40 * RC_US_PER_MS);
    sim_world_set_startup(w, &startup);
    Cli *c = cli_new(w, "c1", "10.0.0.1");
    SimNodeStats st;
    run_to(w, RC_US_PER_S);
    sim_world_crash(w, 0);
    ck_assert(!sim_world_node_is_up(w, 0));
    RcTime t = now_of(w);
    sim_world_restart(w, 0);
    ck_assert(sim_world_node_is_up(w, 0));
    ck_assert(sim_world_node(w, 0) == NULL);
    cli_dial(c, 30001);
    run_to(w, t + 40 * RC_US_PER_MS - 1);
    ck_assert(c->closed && !c->connected);
    ck_assert_int_eq(c->why, RC_CONN_END_REFUSED);
    ck_assert(sim_world_node(w, 0) == NULL);
    run_to(w, t + 40 * RC_US_PER_MS);
    ck_assert(sim_world_node(w, 0) != NULL);
    sim_world_node_stats(w, 0, &st);
    ck_assert_uint_eq(st.boots, 2);
    cli_dial(c, 30001);
    run_to(w, now_of(w) + 1000);
    ck_assert(c->connected);

    /* killed while starting */
    sim_world_crash(w, 0);
    sim_world_restart(w, 0);
    run_to(w, now_of(w) + 10 * RC_US_PER_MS);
    sim_world_crash(w, 0);
    ck_assert(!sim_world_node_is_up(w, 0));
    run_to(w, now_of(w) + 100 * RC_US_PER_MS);
    ck_assert(sim_world_node(w, 0) == NULL);
    sim_world_node_stats(w, 0, &st);
    ck_assert_uint_eq(st.boots, 2);

    /* stopped while starting, continued after its start-up would have ended */
    sim_world_restart(w, 0);
    run_to(w, now_of(w) + 10 * RC_US_PER_MS);
    sim_world_pause(w, 0);
    run_to(w, now_of(w) + 100 * RC_US_PER_MS);
    ck_assert(sim_world_node(w, 0) == NULL);
    ck_assert(sim_world_node_is_up(w, 0) && sim_world_node_is_paused(w, 0));
    t = now_of(w);
    sim_world_resume(w, 0);
    run_to(w, t);
    ck_assert(sim_world_node(w, 0) != NULL);
    sim_world_node_stats(w, 0, &st);
    ck_assert_uint_eq(st.boots, 3);
    cli_free(c);
}
END_TEST

/* The clock origin: every node's clock reads it at true time 0, a skew adds to it, and the
 * node's timers still fire at the right true time (a cron deadline on the local clock maps
 * back to true time without the origin). */
START_TEST(test_clock_origin_shifts_every_clock)
{
    const RcTime origin = 700 * RC_US_PER_MS;
    g_autoptr(SimWorld) w = sim_world_new(3);
    sim_world_set_clock_origin(w, origin);
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 30001);
    sim_world_add_node(w, "n1", &cfg, 0);
    guint32 host = sim_world_node_host(w, 0);
    SimNet *net = sim_world_net(w);
    SimNodeStats st;
    run_to(w, RC_US_PER_MS - 1);
    sim_world_node_stats(w, 0, &st);
    ck_assert_uint_eq(st.expiries, 0);
    run_to(w, RC_US_PER_MS); /* the first serverCron, 1 ms after the start, in true time */
    sim_world_node_stats(w, 0, &st);
    ck_assert_uint_eq(st.expiries, 1);
    ck_assert_int_eq(sim_net_host_local_now(net, host), RC_US_PER_MS + origin);
    expect_crons_on_time(w, 0, origin, 5);
    Cli *c = cli_new(w, "c1", "10.0.0.1");
    cli_dial(c, 30001);
    run_to(w, now_of(w) + 1000);
    ck_assert(c->connected);
    RcTime t = node_time(w, c);
    ck_assert_int_lt(t, now_of(w) + origin);
    ck_assert_int_gt(t, now_of(w) + origin - 1000);
    sim_net_host_set_clock(net, host, 30 * RC_US_PER_S, 0);
    t = node_time(w, c);
    ck_assert_int_gt(t, now_of(w) + origin + 30 * RC_US_PER_S - 1000);
    ck_assert_int_le(t, now_of(w) + origin + 30 * RC_US_PER_S);
    cli_free(c);
}
END_TEST

Suite *host_suite(void);
Suite *host_suite(void)
{
    Suite *s = suite_create("host");
    TCase *tc = tcase_create("driver");
    tcase_add_test(tc, test_boot_sets_cron_phase);
    tcase_add_test(tc, test_ping_pong);
    tcase_add_test(tc, test_before_sleep_once_per_instant);
    tcase_add_test(tc, test_restart_keeps_only_the_disk);
    tcase_add_test(tc, test_fsync_blocks_the_loop);
    tcase_add_test(tc, test_restart_loses_memory);
    tcase_add_test(tc, test_meet_connects);
    tcase_add_test(tc, test_timer_wakes_like_epoll);
    tcase_add_test(tc, test_pause_and_resume);
    tcase_add_test(tc, test_clock_skew_drives_cron);
    tcase_add_test(tc, test_node_reads_its_host_clock);
    tcase_add_test(tc, test_restart_takes_startup_time);
    tcase_add_test(tc, test_clock_origin_shifts_every_clock);
    tcase_add_test(tc, test_bus_write_turns_the_loop);
    suite_add_tcase(s, tc);
    return s;
}
