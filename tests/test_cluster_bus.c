/* Cluster-level behaviour of the bus on the in-test network (tests/bus_fixture.c): handshake
 * and convergence, PFAIL and FAIL timing after a crash, the minority master's state during
 * a partition, restart from nodes.conf, CLUSTER NODES format. */
#include <check.h>
#include <stdlib.h>
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

/* Redis keeps two links per pair of nodes: the one I opened (node->link, to the peer's bus
 * port) and the one the peer opened to me (node->inbound_link, bound to its record once a
 * packet named it). Both stay up while the cluster is healthy: no churn over 2·NT. */
static void assert_two_links_per_pair(BusFixture *f, guint count, RcClusterLink **seen)
{
    for (guint i = 0; i < count; i++) {
        RcNode *node = bus_fixture_node(f, i);
        RcCluster *c = node->cluster;
        ck_assert_uint_eq(c->nodes->len, count);
        ck_assert_uint_eq(c->links->len, 2 * (count - 1));
        for (guint k = 0; k < c->nodes->len; k++) {
            RcClusterNode *n = g_ptr_array_index(c->nodes, k);
            if (n == c->myself)
                continue;
            ck_assert_ptr_nonnull(n->link);
            ck_assert_ptr_nonnull(n->inbound_link);
            ck_assert(n->link != n->inbound_link);
            ck_assert(!n->link->is_inbound && n->link->is_connected);
            ck_assert(n->inbound_link->is_inbound && n->inbound_link->is_connected);
            ck_assert_ptr_eq(n->link->node, n);
            ck_assert_ptr_eq(n->inbound_link->node, n);
            RcConn *out = rc_node_conn_get(node, n->link->handle);
            RcConn *in = rc_node_conn_get(node, n->inbound_link->handle);
            ck_assert(out != NULL && out->kind == RC_CONN_BUS_OUT);
            ck_assert_uint_eq(out->peer_port, n->cport);
            ck_assert(in != NULL && in->kind == RC_CONN_BUS_IN);
            RcClusterLink **slot = &seen[(i * count + k) * 2];
            if (slot[0] == NULL) {
                slot[0] = n->link;
                slot[1] = n->inbound_link;
            } else {
                ck_assert_ptr_eq(slot[0], n->link);
                ck_assert_ptr_eq(slot[1], n->inbound_link);
            }
        }
    }
}

START_TEST(test_two_links_per_pair)
{
    enum { N = 4 };
    g_autoptr(BusFixture) f = bus_fixture_new(N, 15000, 13);
    bus_fixture_create_cluster(f, 3);
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    RcClusterLink *seen[N * N * 2] = {0};
    assert_two_links_per_pair(f, N, seen);
    bus_fixture_run_until(f, bus_fixture_now(f) + 30 * RC_US_PER_S);
    assert_two_links_per_pair(f, N, seen);
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

static char *data_file(const char *name)
{
    const char *root = g_getenv("RCSIM_SOURCE_ROOT");
    ck_assert_msg(root != NULL, "RCSIM_SOURCE_ROOT not set");
    g_autofree char *path = g_build_filename(root, "tests", "data", name, NULL);
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "%s", path);
    return text;
}

static gboolean is_id(const char *s)
{
    return strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

static gboolean is_uint(const char *s)
{
    return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* One CLUSTER NODES line, checked field by field against Redis 7.0's format. Returns the
 * number of fields. */
static int check_nodes_line(const char *line)
{
    g_auto(GStrv) f = g_strsplit(line, " ", -1);
    int n = (int)g_strv_length(f);
    ck_assert_msg(n >= 8, "%s", line);
    ck_assert_msg(is_id(f[0]), "id: %s", f[0]);
    /* ip:port@cport[,hostname] */
    g_auto(GStrv) host = g_strsplit(f[1], ",", 2);
    char *at = strchr(host[0], '@');
    char *colon = strrchr(host[0], ':');
    ck_assert_msg(at && colon && colon < at, "address: %s", f[1]);
    ck_assert(is_uint(at + 1));
    *at = '\0';
    ck_assert(is_uint(colon + 1));
    /* flags */
    static const char *const known[] = {"myself",    "master", "slave",      "fail?",  "fail",
                                        "handshake", "noaddr", "nofailover", "noflags"};
    g_auto(GStrv) flags = g_strsplit(f[2], ",", -1);
    for (int i = 0; flags[i]; i++) {
        gboolean ok = FALSE;
        for (gsize k = 0; k < G_N_ELEMENTS(known); k++)
            ok = ok || strcmp(flags[i], known[k]) == 0;
        ck_assert_msg(ok, "flag %s", flags[i]);
    }
    ck_assert_msg(strcmp(f[3], "-") == 0 || is_id(f[3]), "master: %s", f[3]);
    ck_assert(is_uint(f[4]) && is_uint(f[5]) && is_uint(f[6]));
    ck_assert(strcmp(f[7], "connected") == 0 || strcmp(f[7], "disconnected") == 0);
    for (int i = 8; i < n; i++) {
        g_auto(GStrv) r = g_strsplit(f[i], "-", 2);
        ck_assert_msg(is_uint(r[0]) && (r[1] == NULL || is_uint(r[1])), "slots: %s", f[i]);
    }
    return n;
}

static GStrv lines_of(const char *text)
{
    GStrv l = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(l);
    if (n > 0 && l[n - 1][0] == '\0') {
        g_free(l[n - 1]);
        l[n - 1] = NULL;
    }
    return l;
}

/* Our CLUSTER NODES and Redis's (tests/data/cluster_nodes_redis.txt, 3 masters, one with a
 * hostname) have the same shape, line by line and field by field. */
START_TEST(test_cluster_nodes_format_matches_redis)
{
    g_autofree char *redis = data_file("cluster_nodes_redis.txt");
    g_auto(GStrv) rl = lines_of(redis);
    g_autoptr(BusFixture) f = bus_fixture_new(3, 15000, 5);
    bus_fixture_create_cluster(f, 3);
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    g_free(bus_fixture_node(f, 1)->cluster->myself->hostname);
    bus_fixture_node(f, 1)->cluster->myself->hostname = g_strdup("node-b.example");
    const char *argv[] = {"CLUSTER", "NODES", NULL};
    g_autofree char *reply = bus_fixture_cmd(f, 1, argv);
    /* a bulk string: $<len>\r\n<text>\r\n */
    ck_assert(reply[0] == '$');
    char *body = strstr(reply, "\r\n") + 2;
    ck_assert_int_eq(atoi(reply + 1), (int)strlen(body) - 2);
    body[strlen(body) - 2] = '\0';
    g_auto(GStrv) ol = lines_of(body);
    ck_assert_uint_eq(g_strv_length(ol), g_strv_length(rl));
    for (guint i = 0; rl[i]; i++) {
        int rn = check_nodes_line(rl[i]);
        gboolean rmyself = strstr(rl[i], "myself,master") != NULL;
        /* find our line with the same role */
        gboolean found = FALSE;
        for (guint j = 0; ol[j] && !found; j++) {
            int on = check_nodes_line(ol[j]);
            if ((strstr(ol[j], "myself,master") != NULL) == rmyself) {
                ck_assert_int_eq(on, rn);
                found = TRUE;
            }
        }
        ck_assert(found);
    }
    /* the hostname appears as Redis prints it, and only on myself's line here */
    ck_assert(strstr(body, "@40002,node-b.example myself,master - 0 ") != NULL);
}
END_TEST

/* Redis's own nodes.conf loads into rcsim and renders back to the same text, except the
 * ping/pong times (loading turns non-zero ones into "now", as clusterLoadConfig does) and
 * the link state of peers (no link exists right after loading). */
START_TEST(test_load_redis_nodes_conf)
{
    g_autofree char *conf = data_file("nodes_conf_redis.txt");
    g_autoptr(GBytes) bytes = g_bytes_new(conf, strlen(conf));
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 7102);
    cfg.cport = 27102; /* the capture announced the proxy's bus port */
    GRand *rng = g_rand_new_with_seed(1);
    g_autoptr(RcOutbox) out = rc_outbox_new();
    RcNode *node = rc_node_new(&cfg, rng, 5 * RC_US_PER_S, bytes, out);
    RcCluster *c = node->cluster;
    ck_assert_uint_eq(c->nodes->len, 3);
    ck_assert_uint_eq(c->current_epoch, 3);
    ck_assert_uint_eq(c->last_vote_epoch, 0);
    ck_assert_str_eq(c->myself->hostname, "node-b.example");
    ck_assert_int_eq(c->myself->numslots, 5461);
    for (int s = 0; s < RC_CLUSTER_SLOTS; s++)
        ck_assert_ptr_nonnull(c->slots[s]);
    g_autofree char *ours = rc_nodes_conf_render(node);
    g_auto(GStrv) a = lines_of(conf), b = lines_of(ours);
    ck_assert_uint_eq(g_strv_length(a), g_strv_length(b));
    for (guint i = 0; a[i]; i++) {
        g_auto(GStrv) fa = g_strsplit(a[i], " ", -1), fb = g_strsplit(b[i], " ", -1);
        ck_assert_uint_eq(g_strv_length(fa), g_strv_length(fb));
        for (guint k = 0; fa[k]; k++) {
            if (k == 5 && strcmp(fa[0], "vars") != 0) {
                ck_assert_str_eq(fb[k], strcmp(fa[k], "0") ? "5000" : "0");
                continue;
            }
            if (k == 7 && !strstr(fa[2], "myself")) { /* no link right after loading */
                ck_assert_str_eq(fb[k], "disconnected");
                continue;
            }
            ck_assert_str_eq(fb[k], fa[k]);
        }
    }
    rc_node_free(node);
    g_rand_free(rng);
}
END_TEST

/* Corrupt nodes.conf files are refused with `nodes.conf:LINE: field: reason`. */
START_TEST(test_corrupt_nodes_conf)
{
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        {"vars currentEpoch\n", "nodes.conf:1: vars: odd number of arguments expected"},
        {"vars currentEpoch x\n", "nodes.conf:1: currentEpoch: not a number: x"},
        {"abc 1:2@3 master - 0 0 0 connected\n", "nodes.conf:1: id: invalid node id: abc"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1.2.3.4 myself,master - 0 0 0 connected\n",
         "nodes.conf:1: address: no ':' in 1.2.3.4"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1.2.3.4:x@1 myself,master - 0 0 0 connected\n",
         "nodes.conf:1: port: invalid: x"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :1@2 myself,bogus - 0 0 0 connected\n",
         "nodes.conf:1: flags: unknown flag bogus"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :1@2 myself,master - 0 0 0 connected 16384\n",
         "nodes.conf:1: slot: out of range: 16384"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :1@2 myself,master - 0 0 0 connected 5-x\n",
         "nodes.conf:1: slot: out of range"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :1@2 master - 0 0 0 connected\n",
         "nodes.conf: myself: no line"},
        {"\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :1@2 myself,master - 0 0 0\n",
         "nodes.conf:2: line: 7 fields, at least 8 expected"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        RcNodeConfig cfg;
        rc_node_config_init(&cfg, "127.0.0.1", 7000);
        GRand *rng = g_rand_new_with_seed(1);
        g_autoptr(RcOutbox) out = rc_outbox_new();
        g_autoptr(GBytes) bytes = g_bytes_new(cases[i].text, strlen(cases[i].text));
        /* The node starts afresh and logs why, as one line. */
        RcNode *node = rc_node_new(&cfg, rng, 0, bytes, out);
        gboolean logged = FALSE;
        for (guint k = 0; k < rc_outbox_len(out); k++) {
            const RcAction *act = rc_outbox_get(out, k);
            if (act->kind == RC_ACT_LOG && g_bytes_get_size(act->bytes) == strlen(cases[i].error) &&
                memcmp(g_bytes_get_data(act->bytes, NULL), cases[i].error,
                       strlen(cases[i].error)) == 0)
                logged = TRUE;
        }
        ck_assert_msg(logged, "case %zu: %s", i, cases[i].error);
        ck_assert_uint_eq(node->cluster->nodes->len, 1);
        rc_node_free(node);
        g_rand_free(rng);
    }
}
END_TEST

/* A node restarted from its nodes.conf keeps its id, epochs and slots, and rejoins. */
START_TEST(test_restart_from_nodes_conf)
{
    g_autoptr(BusFixture) f = bus_fixture_new(3, 15000, 9);
    bus_fixture_create_cluster(f, 3);
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    g_autofree char *id = name_of(f, 2);
    guint64 epoch = bus_fixture_node(f, 2)->cluster->current_epoch;
    bus_fixture_crash(f, 2);
    bus_fixture_run_until(f, bus_fixture_now(f) + RC_US_PER_S);
    bus_fixture_restart(f, 2);
    RcCluster *c = bus_fixture_node(f, 2)->cluster;
    ck_assert(memcmp(c->myself->name, id, 40) == 0);
    ck_assert_uint_eq(c->current_epoch, epoch);
    ck_assert_uint_eq(c->nodes->len, 3);
    ck_assert_int_eq(c->myself->numslots, 16384 - 2 * 5461);
    ck_assert_int_eq(c->state, RC_CLUSTER_FAIL);
    bus_fixture_run_until(f, bus_fixture_now(f) + 5 * RC_US_PER_S);
    ck_assert_int_eq(c->state, RC_CLUSTER_OK);
    ck_assert(bus_fixture_full_view(f));
}
END_TEST

/* One node's view, checked against the slot table and the eager nodes.conf: every known
 * node's bitmap (built from the table's runs) names exactly the slots the table gives it,
 * rc_cluster_node_slots_equal accepts that bitmap and refuses it with one bit changed, and a
 * save made now (cached lines) reads back as the whole text rendered now. */
static void check_view(RcNode *node)
{
    RcCluster *c = node->cluster;
    for (guint i = 0; i < c->nodes->len; i++) {
        const RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        guint8 got[RC_CLUSTER_SLOTS / 8], want[RC_CLUSTER_SLOTS / 8] = {0};
        int count = 0;
        gboolean has_ok = TRUE;
        for (int j = 0; j < RC_CLUSTER_SLOTS; j++) {
            if (c->slots[j] == n) {
                rc_bitmap_set(want, j);
                count++;
            }
            has_ok = has_ok && rc_cluster_node_has_slot(c, n, j) == (c->slots[j] == n);
        }
        ck_assert(has_ok);
        ck_assert_int_eq(n->numslots, count);
        rc_cluster_node_slot_bitmap(c, n, got);
        ck_assert(memcmp(got, want, sizeof got) == 0);
        ck_assert(rc_cluster_node_slots_equal(c, n, want));
        int flip = count > 0 ? 16383 - (int)(i * 977 % RC_CLUSTER_SLOTS) : (int)i;
        want[flip / 8] ^= (guint8)(1u << (flip % 8));
        ck_assert(!rc_cluster_node_slots_equal(c, n, want));
    }
    g_autoptr(RcOutbox) out = rc_outbox_new();
    rc_node_enter(node, node->now_us, out);
    rc_cluster_save_config(node, TRUE);
    rc_node_leave(node);
    g_autofree char *eager = rc_nodes_conf_render(node);
    g_autoptr(GBytes) saved = rc_node_saved_conf(node);
    ck_assert_ptr_nonnull(saved);
    g_autofree char *text = g_strndup(g_bytes_get_data(saved, NULL), g_bytes_get_size(saved));
    ck_assert_str_eq(text, eager);
    /* CLUSTER NODES comes from the same cached lines. */
    g_autofree char *lines = rc_nodes_describe(node, RC_NODE_HANDSHAKE);
    ck_assert(g_str_has_prefix(eager, lines));
    ck_assert(g_str_has_prefix(eager + strlen(lines), "vars currentEpoch "));
}

/* Slot ownership without per-node bitmaps, and nodes.conf from cached lines, stay exact
 * through handshakes, a replica's takeover of its master's slots (UPDATE messages to the
 * old master), the old master's crash and restart from its nodes.conf, DELSLOTS and
 * ADDSLOTS, and a slot moved with SETSLOT NODE: checked on every live node every 300 ms. */
START_TEST(test_slot_table_and_saved_conf_stay_exact)
{
    g_autoptr(BusFixture) f = bus_fixture_new(6, 2000, 21);
    bus_fixture_create_cluster(f, 3);
    RcTime t0 = bus_fixture_now(f);
    gboolean promoted = FALSE, crashed = FALSE, restarted = FALSE, delslots = FALSE;
    gboolean moved = FALSE;
    for (RcTime t = t0; t <= t0 + 30 * RC_US_PER_S; t += 100 * RC_US_PER_MS) {
        bus_fixture_run_until(f, t);
        if (!promoted && t >= t0 + 2 * RC_US_PER_S) {
            const char *takeover[] = {"CLUSTER", "FAILOVER", "TAKEOVER", NULL};
            g_free(bus_fixture_cmd(f, 3, takeover));
            promoted = TRUE;
        }
        if (!crashed && t >= t0 + 6 * RC_US_PER_S) {
            bus_fixture_crash(f, 0);
            crashed = TRUE;
        }
        if (!restarted && t >= t0 + 12 * RC_US_PER_S) {
            bus_fixture_restart(f, 0);
            restarted = TRUE;
        }
        if (!delslots && t >= t0 + 18 * RC_US_PER_S) {
            const char *del[] = {"CLUSTER", "DELSLOTS", "5461", "5470", NULL};
            g_free(bus_fixture_cmd(f, 1, del));
            const char *add[] = {"CLUSTER", "ADDSLOTS", "5470", NULL};
            g_free(bus_fixture_cmd(f, 1, add));
            delslots = TRUE;
        }
        if (!moved && t >= t0 + 22 * RC_US_PER_S) {
            g_autofree char *id = name_of(f, 2);
            const char *move[] = {"CLUSTER", "SETSLOT", "5461", "NODE", id, NULL};
            g_free(bus_fixture_cmd(f, 2, move));
            moved = TRUE;
        }
        for (guint i = 0; i < 6 && (t - t0) % (300 * RC_US_PER_MS) == 0; i++) {
            RcNode *node = bus_fixture_node(f, i);
            if (node != NULL)
                check_view(node);
        }
    }
    /* The replica took its master's slots, which rejoined as its replica; slot 5461 moved
     * to node 2. */
    RcCluster *c = bus_fixture_node(f, 3)->cluster;
    ck_assert_ptr_eq(c->slots[0], c->myself);
    RcCluster *c0 = bus_fixture_node(f, 0)->cluster;
    ck_assert(rc_node_is_replica(c0->myself));
    ck_assert_int_eq(c0->myself->numslots, 0);
    RcCluster *c2 = bus_fixture_node(f, 2)->cluster;
    ck_assert_ptr_eq(c2->slots[5461], c2->myself);
}
END_TEST

/* Bit ranges: every alignment of first and last around byte edges. */
START_TEST(test_bitmap_ranges)
{
    for (int first = 0; first < 40; first++) {
        for (int last = first; last < 60; last++) {
            guint8 b[8] = {0}, want[8] = {0};
            rc_bitmap_set_range(b, first, last);
            for (int j = first; j <= last; j++)
                rc_bitmap_set(want, j);
            ck_assert(memcmp(b, want, sizeof b) == 0);
            ck_assert(rc_bitmap_range_all_set(b, first, last));
            rc_bitmap_clear(b, (first + last) / 2);
            ck_assert(!rc_bitmap_range_all_set(b, first, last));
        }
    }
}
END_TEST

static GHashTable *cluster_info(BusFixture *f, guint i);
static const char *field(GHashTable *h, const char *key);

/* CLUSTER subcommands: replies and errors, Redis's exact text, from a table. */
START_TEST(test_cluster_command_replies)
{
    g_autoptr(BusFixture) f = bus_fixture_new(2, 15000, 3);
    g_autofree char *id1 = name_of(f, 1);
    g_autofree char *id0 = name_of(f, 0);
    g_autofree char *myid = g_strdup_printf("$40\r\n%s\r\n", id0);
    const char *bogus = "0000000000000000000000000000000000000000";
    struct {
        const char *argv[8];
        const char *reply; /* exact, or prefix when ending in '*' */
    } cases[] = {
        {{"CLUSTER", "MYID"}, myid},
        {{"CLUSTER", "NOPE"}, "-ERR unknown subcommand 'NOPE'. Try CLUSTER HELP.\r\n"},
        {{"CLUSTER", "MYID", "x"}, "-ERR wrong number of arguments for 'cluster|myid' command\r\n"},
        {{"CLUSTER", "MEET", "127.0.0.1"},
         "-ERR wrong number of arguments for 'cluster|meet' command\r\n"},
        {{"CLUSTER", "MEET", "127.0.0.1", "x"}, "-ERR Invalid TCP base port specified: x\r\n"},
        {{"CLUSTER", "MEET", "127.0.0.1", "7000", "y"},
         "-ERR Invalid TCP bus port specified: y\r\n"},
        {{"CLUSTER", "MEET", "not-an-ip", "7000"},
         "-ERR Invalid node address specified: not-an-ip:7000\r\n"},
        {{"CLUSTER", "MEET", "127.0.0.1", "70000"},
         "-ERR Invalid node address specified: 127.0.0.1:70000\r\n"},
        {{"CLUSTER", "ADDSLOTS", "16384"}, "-ERR Invalid or out of range slot\r\n"},
        {{"CLUSTER", "ADDSLOTS", "1", "1"}, "-ERR Slot 1 specified multiple times\r\n"},
        {{"CLUSTER", "ADDSLOTS", "1", "2"}, "+OK\r\n"},
        {{"CLUSTER", "ADDSLOTS", "2"}, "-ERR Slot 2 is already busy\r\n"},
        {{"CLUSTER", "ADDSLOTSRANGE", "5", "3"},
         "-ERR start slot number 5 is greater than end slot number 3\r\n"},
        {{"CLUSTER", "ADDSLOTSRANGE", "3", "4", "5"},
         "-ERR wrong number of arguments for 'cluster|addslotsrange' command\r\n"},
        {{"CLUSTER", "ADDSLOTSRANGE", "3", "10", "10", "12"},
         "-ERR Slot 10 specified multiple times\r\n"},
        {{"CLUSTER", "ADDSLOTSRANGE", "3", "10", "11", "12"}, "+OK\r\n"},
        {{"CLUSTER", "DELSLOTS", "100"}, "-ERR Slot 100 is already unassigned\r\n"},
        {{"CLUSTER", "DELSLOTSRANGE", "12", "12"}, "+OK\r\n"},
        {{"CLUSTER", "COUNT-FAILURE-REPORTS", bogus},
         "-ERR Unknown node 0000000000000000000000000000000000000000\r\n"},
        {{"CLUSTER", "FORGET", id0}, "-ERR I tried hard but I can't forget myself...\r\n"},
        {{"CLUSTER", "REPLICATE", id0}, "-ERR Can't replicate myself\r\n"},
        {{"CLUSTER", "REPLICATE", "abc"}, "-ERR Unknown node abc\r\n"},
        {{"CLUSTER", "SET-CONFIG-EPOCH", "-1"}, "-ERR Invalid config epoch specified: -1\r\n"},
        {{"CLUSTER", "SET-CONFIG-EPOCH", "x"}, "-ERR value is not an integer or out of range\r\n"},
        {{"CLUSTER", "SET-CONFIG-EPOCH", "5"}, "+OK\r\n"},
        {{"CLUSTER", "SET-CONFIG-EPOCH", "6"}, "-ERR Node config epoch is already non-zero\r\n"},
        {{"CLUSTER", "RESET", "MEDIUM"}, "-ERR syntax error\r\n"},
        {{"CLUSTER", "SLOTS"}, "*1\r\n*3\r\n:1\r\n:11\r\n*4\r\n$0\r\n\r\n:30001\r\n*"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *r = bus_fixture_cmd(f, 0, cases[i].argv);
        gsize n = strlen(cases[i].reply);
        if (n > 0 && cases[i].reply[n - 1] == '*')
            ck_assert_msg(strncmp(r, cases[i].reply, n - 1) == 0, "case %zu: %s", i, r);
        else
            ck_assert_msg(strcmp(r, cases[i].reply) == 0, "case %zu: got %s", i, r);
    }
    ck_assert_int_eq(bus_fixture_node(f, 0)->cluster->myself->numslots, 2 + 8 + 1);
    /* alone with 11 slots: not covered, so fail; myself's epoch is the one just set */
    g_autoptr(GHashTable) info = cluster_info(f, 0);
    ck_assert_str_eq(field(info, "cluster_state"), "fail");
    ck_assert_str_eq(field(info, "cluster_slots_assigned"), "11");
    ck_assert_str_eq(field(info, "cluster_slots_ok"), "11");
    ck_assert_str_eq(field(info, "cluster_slots_pfail"), "0");
    ck_assert_str_eq(field(info, "cluster_slots_fail"), "0");
    ck_assert_str_eq(field(info, "cluster_known_nodes"), "1");
    ck_assert_str_eq(field(info, "cluster_size"), "1");
    ck_assert_str_eq(field(info, "cluster_current_epoch"), "5");
    ck_assert_str_eq(field(info, "cluster_my_epoch"), "5");
    ck_assert_uint_eq(bus_fixture_node(f, 0)->cluster->current_epoch, 5);
    /* once it knows another node, SET-CONFIG-EPOCH is refused */
    const char *meet[] = {"CLUSTER", "MEET", "127.0.0.1", "30001", NULL};
    g_free(bus_fixture_cmd(f, 1, meet));
    bus_fixture_run_until(f, bus_fixture_now(f) + 2 * RC_US_PER_S);
    const char *sce[] = {"CLUSTER", "SET-CONFIG-EPOCH", "9", NULL};
    g_autofree char *r = bus_fixture_cmd(f, 1, sce);
    ck_assert_str_eq(r, "-ERR The user can assign a config epoch only when the node does not "
                        "know any other node.\r\n");
    /* FORGET: banned for 60 s, so gossip cannot bring it back meanwhile */
    const char *forget[] = {"CLUSTER", "FORGET", id1, NULL};
    g_autofree char *fr = bus_fixture_cmd(f, 0, forget);
    ck_assert_str_eq(fr, "+OK\r\n");
    ck_assert_ptr_null(rc_cluster_lookup(bus_fixture_node(f, 0), id1));
    /* CLUSTER RESET HARD: new id, epochs 0, alone */
    const char *reset[] = {"CLUSTER", "RESET", "HARD", NULL};
    const char *del[] = {"CLUSTER", "FLUSHSLOTS", NULL};
    g_free(bus_fixture_cmd(f, 1, del));
    g_autofree char *rr = bus_fixture_cmd(f, 1, reset);
    ck_assert_str_eq(rr, "+OK\r\n");
    RcCluster *c1 = bus_fixture_node(f, 1)->cluster;
    ck_assert(memcmp(c1->myself->name, id1, 40) != 0);
    ck_assert_uint_eq(c1->nodes->len, 1);
    ck_assert_uint_eq(c1->current_epoch, 0);
}
END_TEST

/* ---- a small RESP reply reader for the tests below (the fixture returns raw RESP) ---- */

typedef struct Resp Resp;
struct Resp {
    char type;       /* '+', '-', ':', '$', '*' */
    gint64 integer;  /* ':', and the length of '$' / '*' (-1 for nil) */
    char *str;       /* '+', '-', '$' */
    GPtrArray *elem; /* '*': Resp* */
};

static void resp_free(Resp *r)
{
    if (r == NULL)
        return;
    g_free(r->str);
    if (r->elem)
        g_ptr_array_unref(r->elem);
    g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Resp, resp_free)

static Resp *resp_read(const char **p)
{
    Resp *r = g_new0(Resp, 1);
    r->type = **p;
    const char *eol = strstr(*p, "\r\n");
    ck_assert_msg(eol != NULL, "unterminated line: %s", *p);
    g_autofree char *line = g_strndup(*p + 1, (gsize)(eol - *p - 1));
    *p = eol + 2;
    switch (r->type) {
    case '+':
    case '-':
        r->str = g_steal_pointer(&line);
        break;
    case ':':
        r->integer = g_ascii_strtoll(line, NULL, 10);
        break;
    case '$':
        r->integer = g_ascii_strtoll(line, NULL, 10);
        if (r->integer >= 0) {
            r->str = g_strndup(*p, (gsize)r->integer);
            ck_assert(strncmp(*p + r->integer, "\r\n", 2) == 0);
            *p += r->integer + 2;
        }
        break;
    case '*':
        r->integer = g_ascii_strtoll(line, NULL, 10);
        r->elem = g_ptr_array_new_with_free_func((GDestroyNotify)resp_free);
        for (gint64 i = 0; i < r->integer; i++)
            g_ptr_array_add(r->elem, resp_read(p));
        break;
    default:
        ck_abort_msg("bad RESP type '%c'", r->type);
    }
    return r;
}

/* Parse a whole reply; it must be exactly one RESP value. */
static Resp *resp_parse(const char *text)
{
    const char *p = text;
    Resp *r = resp_read(&p);
    ck_assert_msg(*p == '\0', "trailing bytes after the reply: %s", p);
    return r;
}

static Resp *resp_at(const Resp *r, guint i)
{
    ck_assert_int_eq(r->type, '*');
    ck_assert_uint_lt(i, r->elem->len);
    return g_ptr_array_index(r->elem, i);
}

static char *cmd(BusFixture *f, guint i, const char *a, const char *b, const char *c)
{
    const char *argv[] = {a, b, c, NULL};
    return bus_fixture_cmd(f, i, argv);
}

/* ---- CLUSTER INFO ---- */

/* CLUSTER INFO of node i as key -> value, checked to be a bulk of "key:value\r\n" lines in
 * Redis 7.0's order (the fixed fields, the per-type counters, the totals, the links line). */
static GHashTable *cluster_info(BusFixture *f, guint i)
{
    g_autofree char *reply = cmd(f, i, "CLUSTER", "INFO", NULL);
    g_autoptr(Resp) r = resp_parse(reply);
    ck_assert_int_eq(r->type, '$');
    ck_assert(g_str_has_suffix(r->str, "\r\n"));
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) lines = g_strsplit(r->str, "\r\n", -1);
    guint n = g_strv_length(lines);
    ck_assert_str_eq(lines[n - 1], ""); /* the text ends with \r\n */
    static const char *const fixed[] = {
        "cluster_state",       "cluster_slots_assigned", "cluster_slots_ok",
        "cluster_slots_pfail", "cluster_slots_fail",     "cluster_known_nodes",
        "cluster_size",        "cluster_current_epoch",  "cluster_my_epoch"};
    ck_assert_uint_gt(n, G_N_ELEMENTS(fixed) + 3);
    for (guint k = 0; k + 1 < n; k++) {
        char *colon = strchr(lines[k], ':');
        ck_assert_msg(colon != NULL, "line %s", lines[k]);
        *colon = '\0';
        if (k < G_N_ELEMENTS(fixed))
            ck_assert_str_eq(lines[k], fixed[k]);
        else
            ck_assert_msg(g_str_has_prefix(lines[k], "cluster_stats_messages_") || k == n - 2,
                          "line %u: %s", k, lines[k]);
        ck_assert_msg(!g_hash_table_contains(h, lines[k]), "duplicate %s", lines[k]);
        g_hash_table_insert(h, g_strdup(lines[k]), g_strdup(colon + 1));
    }
    ck_assert_str_eq(lines[n - 2], "total_cluster_links_buffer_limit_exceeded");
    /* the totals are the sums of the per-type counters */
    guint64 sent = 0, received = 0;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, h); /* lint: allow summing, order does not matter */
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const char *k = key;
        if (!g_str_has_prefix(k, "cluster_stats_messages_"))
            continue;
        if (strcmp(k, "cluster_stats_messages_sent") == 0 ||
            strcmp(k, "cluster_stats_messages_received") == 0)
            continue;
        guint64 v = g_ascii_strtoull(value, NULL, 10);
        ck_assert_uint_gt(v, 0); /* Redis lists only types with a non-zero count */
        if (g_str_has_suffix(k, "_sent"))
            sent += v;
        else if (g_str_has_suffix(k, "_received"))
            received += v;
        else
            ck_abort_msg("counter %s", k);
    }
    ck_assert_uint_eq(
        g_ascii_strtoull(g_hash_table_lookup(h, "cluster_stats_messages_sent"), NULL, 10), sent);
    ck_assert_uint_eq(
        g_ascii_strtoull(g_hash_table_lookup(h, "cluster_stats_messages_received"), NULL, 10),
        received);
    return h;
}

static const char *field(GHashTable *h, const char *key)
{
    const char *v = g_hash_table_lookup(h, key);
    ck_assert_msg(v != NULL, "no field %s", key);
    return v;
}

static guint64 counter(GHashTable *h, const char *key)
{
    const char *v = g_hash_table_lookup(h, key);
    return v ? g_ascii_strtoull(v, NULL, 10) : 0;
}

/* CLUSTER INFO field by field on a formed 3+3 cluster (epochs 1..6 from SET-CONFIG-EPOCH; a
 * replica's my_epoch is its master's), its message counters growing with traffic (and every
 * message sent by one node received by another), then slots_pfail and slots_fail during a
 * partition: the master cut off alone sees the others' slots PFAIL (no one can confirm), the
 * majority sees its slots FAIL. */
START_TEST(test_cluster_info_fields)
{
    g_autoptr(BusFixture) f = bus_fixture_new(6, 15000, 4);
    bus_fixture_create_cluster(f, 3);
    bus_fixture_run_until(f, bus_fixture_now(f) + 5 * RC_US_PER_S);
    static const char *const types[] = {"ping", "pong"};
    GHashTable *before[6];
    for (guint i = 0; i < 6; i++) {
        before[i] = cluster_info(f, i);
        GHashTable *h = before[i];
        ck_assert_str_eq(field(h, "cluster_state"), "ok");
        ck_assert_str_eq(field(h, "cluster_slots_assigned"), "16384");
        ck_assert_str_eq(field(h, "cluster_slots_ok"), "16384");
        ck_assert_str_eq(field(h, "cluster_slots_pfail"), "0");
        ck_assert_str_eq(field(h, "cluster_slots_fail"), "0");
        ck_assert_str_eq(field(h, "cluster_known_nodes"), "6");
        ck_assert_str_eq(field(h, "cluster_size"), "3");
        ck_assert_str_eq(field(h, "cluster_current_epoch"), "6");
        g_autofree char *my = g_strdup_printf("%u", (i % 3) + 1);
        ck_assert_str_eq(field(h, "cluster_my_epoch"), my);
        ck_assert_str_eq(field(h, "total_cluster_links_buffer_limit_exceeded"), "0");
        for (gsize t = 0; t < G_N_ELEMENTS(types); t++) {
            g_autofree char *s = g_strdup_printf("cluster_stats_messages_%s_sent", types[t]);
            g_autofree char *r = g_strdup_printf("cluster_stats_messages_%s_received", types[t]);
            ck_assert_uint_gt(counter(h, s), 0);
            ck_assert_uint_gt(counter(h, r), 0);
        }
    }
    /* node 0 was MEET by everyone, the others were met by nobody */
    ck_assert_uint_eq(counter(before[0], "cluster_stats_messages_meet_received"), 5);
    ck_assert_uint_eq(counter(before[1], "cluster_stats_messages_meet_sent"), 1);

    bus_fixture_run_until(f, bus_fixture_now(f) + 10 * RC_US_PER_S);
    guint64 sent = 0, received = 0;
    for (guint i = 0; i < 6; i++) {
        g_autoptr(GHashTable) h = cluster_info(f, i);
        for (gsize t = 0; t < G_N_ELEMENTS(types); t++) {
            g_autofree char *s = g_strdup_printf("cluster_stats_messages_%s_sent", types[t]);
            g_autofree char *r = g_strdup_printf("cluster_stats_messages_%s_received", types[t]);
            ck_assert_uint_gt(counter(h, s), counter(before[i], s));
            ck_assert_uint_gt(counter(h, r), counter(before[i], r));
        }
        guint64 ds = counter(h, "cluster_stats_messages_sent") -
                     counter(before[i], "cluster_stats_messages_sent");
        guint64 dr = counter(h, "cluster_stats_messages_received") -
                     counter(before[i], "cluster_stats_messages_received");
        /* 10 s of pings to each of 5 peers, at least one per second (cron) */
        ck_assert_uint_ge(ds, 10);
        ck_assert_uint_ge(dr, 10);
        sent += ds;
        received += dr;
        g_hash_table_unref(before[i]);
    }
    /* the fixture delivers everything at once: what was sent was received */
    ck_assert_uint_eq(sent, received);
}
END_TEST

START_TEST(test_cluster_info_pfail_and_fail)
{
    g_autoptr(BusFixture) f = bus_fixture_new(3, 15000, 6);
    bus_fixture_create_cluster(f, 3);
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    const guint8 side[3] = {1, 0, 0};
    bus_fixture_partition(f, side);
    /* past 2·NT + 1 s: PFAIL everywhere, FAIL on the majority side */
    bus_fixture_run_until(f, bus_fixture_now(f) + 32 * RC_US_PER_S);
    g_autoptr(GHashTable) alone = cluster_info(f, 0);
    ck_assert_str_eq(field(alone, "cluster_state"), "fail");
    ck_assert_str_eq(field(alone, "cluster_slots_assigned"), "16384");
    ck_assert_str_eq(field(alone, "cluster_slots_ok"), "5461");
    ck_assert_str_eq(field(alone, "cluster_slots_pfail"), "10923");
    ck_assert_str_eq(field(alone, "cluster_slots_fail"), "0");
    ck_assert_str_eq(field(alone, "cluster_known_nodes"), "3");
    for (guint i = 1; i < 3; i++) {
        g_autoptr(GHashTable) h = cluster_info(f, i);
        ck_assert_str_eq(field(h, "cluster_state"), "fail"); /* full coverage lost */
        ck_assert_str_eq(field(h, "cluster_slots_ok"), "10923");
        ck_assert_str_eq(field(h, "cluster_slots_pfail"), "0");
        ck_assert_str_eq(field(h, "cluster_slots_fail"), "5461");
        ck_assert_str_eq(field(h, "cluster_size"), "3");
    }
}
END_TEST

/* ---- CLUSTER SHARDS ---- */

/* One node entry of CLUSTER SHARDS: Redis 7.0's map (a flat array in RESP2) in its order:
 * id, port, ip, endpoint, [hostname,] role, replication-offset, health. */
static void check_shard_node(const Resp *n, const RcClusterNode *want, const char *role,
                             const char *health, const char *hostname)
{
    static const char *const keys[] = {
        "id", "port", "ip", "endpoint", "hostname", "role", "replication-offset", "health"};
    ck_assert_int_eq(n->type, '*');
    ck_assert_uint_eq(n->elem->len, hostname ? 16 : 14);
    guint k = 0;
    for (gsize j = 0; j < G_N_ELEMENTS(keys); j++) {
        if (strcmp(keys[j], "hostname") == 0 && hostname == NULL)
            continue;
        const Resp *key = resp_at(n, k), *val = resp_at(n, k + 1);
        ck_assert_int_eq(key->type, '$');
        ck_assert_str_eq(key->str, keys[j]);
        if (strcmp(keys[j], "id") == 0) {
            ck_assert_int_eq(val->type, '$');
            ck_assert_int_eq(val->integer, 40);
            ck_assert(memcmp(val->str, want->name, 40) == 0);
        } else if (strcmp(keys[j], "port") == 0) {
            ck_assert_int_eq(val->type, ':');
            ck_assert_int_eq(val->integer, want->port);
        } else if (strcmp(keys[j], "ip") == 0 || strcmp(keys[j], "endpoint") == 0) {
            ck_assert_int_eq(val->type, '$');
            ck_assert_str_eq(val->str, "127.0.0.1");
        } else if (strcmp(keys[j], "hostname") == 0) {
            ck_assert_str_eq(val->str, hostname);
        } else if (strcmp(keys[j], "role") == 0) {
            ck_assert_str_eq(val->str, role);
        } else if (strcmp(keys[j], "replication-offset") == 0) {
            ck_assert_int_eq(val->type, ':');
            ck_assert_int_ge(val->integer, 0);
        } else {
            ck_assert_str_eq(val->str, health);
        }
        k += 2;
    }
}

/* CLUSTER SHARDS against Redis 7.0.15's format (checked on a real server: a shard is a map
 * of "slots" — a flat list of start, end — and "nodes", the master first, then its
 * replicas). In this fixture replicas never sync (no replication links), so their offset is
 * 0 and their health "loading", as Redis says for a replica at offset 0; a master is
 * "online" until FAIL, then "fail". */
START_TEST(test_cluster_shards_format)
{
    g_autoptr(BusFixture) f = bus_fixture_new(6, 15000, 8);
    bus_fixture_create_cluster(f, 3);
    bus_fixture_run_until(f, bus_fixture_now(f) + 5 * RC_US_PER_S);
    RcNode *n1 = bus_fixture_node(f, 1);
    g_free(n1->cluster->myself->hostname);
    n1->cluster->myself->hostname = g_strdup("node-b.example");
    char *ids[6];
    for (guint i = 0; i < 6; i++)
        ids[i] = name_of(f, i);
    for (int round = 0; round < 2; round++) {
        g_autofree char *reply = cmd(f, 1, "CLUSTER", "SHARDS", NULL);
        g_autoptr(Resp) r = resp_parse(reply);
        ck_assert_int_eq(r->type, '*');
        ck_assert_uint_eq(r->elem->len, 3);
        gboolean seen[3] = {FALSE, FALSE, FALSE};
        for (guint s = 0; s < 3; s++) {
            const Resp *shard = resp_at(r, s);
            ck_assert_uint_eq(shard->elem->len, 4);
            ck_assert_str_eq(resp_at(shard, 0)->str, "slots");
            const Resp *slots = resp_at(shard, 1);
            ck_assert_uint_eq(slots->elem->len, 2);
            ck_assert_int_eq(resp_at(slots, 0)->type, ':');
            gint64 first = resp_at(slots, 0)->integer, last = resp_at(slots, 1)->integer;
            ck_assert_str_eq(resp_at(shard, 2)->str, "nodes");
            const Resp *nodes = resp_at(shard, 3);
            ck_assert_uint_eq(nodes->elem->len, 2);
            /* which master: by its slots */
            guint m = first == 0 ? 0 : first == 5461 ? 1 : 2;
            ck_assert(!seen[m]);
            seen[m] = TRUE;
            ck_assert_int_eq(first, (gint64)m * 16384 / 3);
            ck_assert_int_eq(last, (gint64)(m + 1) * 16384 / 3 - 1);
            RcClusterNode *master = rc_cluster_lookup(n1, ids[m]);
            RcClusterNode *replica = rc_cluster_lookup(n1, ids[m + 3]);
            ck_assert_ptr_nonnull(master);
            ck_assert_ptr_nonnull(replica);
            const char *health = (round == 1 && m == 2) ? "fail" : "online";
            check_shard_node(resp_at(nodes, 0), master, "master", health,
                             m == 1 ? "node-b.example" : NULL);
            check_shard_node(resp_at(nodes, 1), replica, "replica", "loading", NULL);
        }
        if (round == 1)
            break;
        /* second round: master 2 crashed and FAIL (its replica cannot fail over: it never
         * synced, so it stays a replica at offset 0) */
        bus_fixture_crash(f, 2);
        bus_fixture_run_until(f, bus_fixture_now(f) + 32 * RC_US_PER_S);
        ck_assert(rc_node_failed(rc_cluster_lookup(n1, ids[2])));
        ck_assert(rc_node_is_replica(bus_fixture_node(f, 5)->cluster->myself));
    }
    for (guint i = 0; i < 6; i++)
        g_free(ids[i]);
}
END_TEST

/* ---- COUNT-FAILURE-REPORTS and REPLICATE, success cases ---- */

/* A master cut off alone (3 masters): each of the two others flags it PFAIL after NT and
 * gossips that to the other, which records a failure report from it: COUNT-FAILURE-REPORTS
 * is 0 before, then 1 on each of the two (the report of the other one; myself is never a
 * reporter). The isolated node hears no gossip: it counts none about the others. */
START_TEST(test_count_failure_reports_after_pfail_gossip)
{
    g_autoptr(BusFixture) f = bus_fixture_new(3, 15000, 10);
    bus_fixture_create_cluster(f, 3);
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    g_autofree char *id0 = name_of(f, 0);
    g_autofree char *id1 = name_of(f, 1);
    g_autofree char *id2 = name_of(f, 2);
    for (guint i = 0; i < 2; i++) {
        g_autofree char *r = cmd(f, i, "CLUSTER", "COUNT-FAILURE-REPORTS", id2);
        ck_assert_str_eq(r, ":0\r\n");
    }
    const guint8 side[3] = {0, 0, 1};
    bus_fixture_partition(f, side);
    RcTime cut = bus_fixture_now(f);
    bus_fixture_run_until(f, cut + 25 * RC_US_PER_S);
    for (guint i = 0; i < 2; i++) {
        ck_assert_int_gt(bus_fixture_event_time(f, i, RC_EVT_PFAIL, id2, cut), 0);
        g_autofree char *r = cmd(f, i, "CLUSTER", "COUNT-FAILURE-REPORTS", id2);
        ck_assert_str_eq(r, ":1\r\n");
        /* the report named the other observer, and made it FAIL (2 of 3 masters) */
        RcClusterNode *victim = rc_cluster_lookup(bus_fixture_node(f, i), id2);
        ck_assert(rc_node_failed(victim));
    }
    g_autofree char *r0 = cmd(f, 2, "CLUSTER", "COUNT-FAILURE-REPORTS", id0);
    g_autofree char *r1 = cmd(f, 2, "CLUSTER", "COUNT-FAILURE-REPORTS", id1);
    ck_assert_str_eq(r0, ":0\r\n");
    ck_assert_str_eq(r1, ":0\r\n");
}
END_TEST

/* The CLUSTER NODES line of node `id` in node i's view (without the trailing newline). */
static char *nodes_line(BusFixture *f, guint i, const char *id)
{
    g_autofree char *reply = cmd(f, i, "CLUSTER", "NODES", NULL);
    g_autoptr(Resp) r = resp_parse(reply);
    ck_assert_int_eq(r->type, '$');
    g_auto(GStrv) lines = lines_of(r->str);
    for (guint k = 0; lines[k]; k++)
        if (g_str_has_prefix(lines[k], id))
            return g_strdup(lines[k]);
    ck_abort_msg("no line for %s", id);
    return NULL;
}

/* An empty master (joined, no slots) told CLUSTER REPLICATE <master> becomes its replica:
 * its own CLUSTER NODES line reads "myself,slave <master>" with the master's configEpoch and
 * no slots (the shape redis-server 7.0.15 prints: "... myself,slave <id> 0 <pong> <epoch>
 * connected"), and the others learn it from its packets. A master with slots is refused. */
START_TEST(test_replicate_success)
{
    g_autoptr(BusFixture) f = bus_fixture_new(4, 15000, 12);
    /* join by hand so node 3 stays an empty master (bus_fixture_create_cluster would make it
     * a replica itself) */
    for (guint m = 0; m < 3; m++) {
        g_autofree char *a = g_strdup_printf("%u", m * 16384 / 3);
        g_autofree char *b = g_strdup_printf("%u", (m + 1) * 16384 / 3 - 1);
        const char *argv[] = {"CLUSTER", "ADDSLOTSRANGE", a, b, NULL};
        g_autofree char *r = bus_fixture_cmd(f, m, argv);
        ck_assert_str_eq(r, "+OK\r\n");
    }
    for (guint i = 0; i < 4; i++) {
        g_autofree char *e = g_strdup_printf("%u", i + 1);
        g_autofree char *r = cmd(f, i, "CLUSTER", "SET-CONFIG-EPOCH", e);
        ck_assert_str_eq(r, "+OK\r\n");
    }
    for (guint i = 1; i < 4; i++) {
        const char *argv[] = {"CLUSTER", "MEET", "127.0.0.1", "30001", NULL};
        g_autofree char *r = bus_fixture_cmd(f, i, argv);
        ck_assert_str_eq(r, "+OK\r\n");
    }
    bus_fixture_run_until(f, bus_fixture_now(f) + 10 * RC_US_PER_S);
    ck_assert(bus_fixture_full_view(f));
    g_autofree char *id1 = name_of(f, 1);
    g_autofree char *id3 = name_of(f, 3);
    /* Fields 0-4 and 6-7 are fixed; field 5 (pong received) of myself is whatever gossip
     * about myself last said, as in Redis (clusterProcessGossipSection updates any known
     * node, myself included). */
    g_autofree char *before = nodes_line(f, 3, id3);
    g_autofree char *want_before =
        g_strdup_printf("%s 127.0.0.1:30004@40004 myself,master - 0 * 4 connected", id3);
    ck_assert_msg(g_pattern_match_simple(want_before, before), "%s", before);
    ck_assert_int_eq(check_nodes_line(before), 8);

    g_autofree char *refused = cmd(f, 0, "CLUSTER", "REPLICATE", id1);
    ck_assert_str_eq(refused,
                     "-ERR To set a master the node must be empty and without assigned slots.\r\n");
    g_autofree char *ok = cmd(f, 3, "CLUSTER", "REPLICATE", id1);
    ck_assert_str_eq(ok, "+OK\r\n");
    RcClusterNode *me = bus_fixture_node(f, 3)->cluster->myself;
    ck_assert(rc_node_is_replica(me));
    ck_assert(memcmp(me->replica_of->name, id1, 40) == 0);
    g_autofree char *after = nodes_line(f, 3, id3);
    g_autofree char *want_after =
        g_strdup_printf("%s 127.0.0.1:30004@40004 myself,slave %s 0 * 2 connected", id3, id1);
    ck_assert_msg(g_pattern_match_simple(want_after, after), "%s", after);
    ck_assert_int_eq(check_nodes_line(after), 8);

    /* the others see it from its next packets: "slave <id1>", epoch 2, no slots */
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    for (guint i = 0; i < 3; i++) {
        g_autofree char *line = nodes_line(f, i, id3);
        g_auto(GStrv) fl = g_strsplit(line, " ", -1);
        ck_assert_uint_eq(g_strv_length(fl), 8);
        ck_assert_str_eq(fl[1], "127.0.0.1:30004@40004");
        ck_assert_str_eq(fl[2], "slave");
        ck_assert_str_eq(fl[3], id1);
        ck_assert_str_eq(fl[6], "2");
        ck_assert_str_eq(fl[7], "connected");
    }
    g_autofree char *replicas = cmd(f, 1, "CLUSTER", "REPLICAS", id1);
    g_autoptr(Resp) rr = resp_parse(replicas);
    ck_assert_uint_eq(rr->elem->len, 1);
    ck_assert(g_str_has_prefix(resp_at(rr, 0)->str, id3));
}
END_TEST

Suite *cluster_bus_suite(void);

/* ---- The CLUSTER SLOTS cache ---- */

/* CLUSTER SLOTS on node i answers from its cache; it must be byte for byte what a fresh build
 * gives at that instant. Returns the reply. */
static char *slots_checked(BusFixture *f, guint i)
{
    g_autoptr(GString) fresh = g_string_new(NULL);
    rc_cluster_slots_reply_build(bus_fixture_node(f, i), fresh);
    const char *argv[] = {"CLUSTER", "SLOTS", NULL};
    char *got = bus_fixture_cmd(f, i, argv);
    ck_assert_str_eq(got, fresh->str);
    return got;
}

/* Every live node's cached reply equals a fresh one; returns node i's reply. */
static char *slots_all_checked(BusFixture *f, guint n, guint i)
{
    char *want = NULL;
    for (guint k = 0; k < n; k++) {
        if (bus_fixture_node(f, k) == NULL)
            continue;
        char *r = slots_checked(f, k);
        if (k == i)
            want = r;
        else
            g_free(r);
    }
    return want;
}

static void cmd_expect_ok(BusFixture *f, guint i, const char *const *argv)
{
    g_autofree char *r = bus_fixture_cmd(f, i, argv);
    ck_assert_str_eq(r, "+OK\r\n");
}

/* The cache follows every change of what the reply shows: slots added and deleted, a slot
 * handed over (SETSLOT NODE), a replica that becomes listed (its offset) or unlisted (FAIL),
 * an address or hostname change, a failover that swaps master and replica. */
START_TEST(test_cluster_slots_cache_follows_changes)
{
    g_autoptr(BusFixture) f = bus_fixture_new(6, 15000, 11);
    bus_fixture_create_cluster(f, 3);
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    g_autofree char *r0 = slots_all_checked(f, 6, 0);
    g_autofree char *again = slots_checked(f, 0);
    ck_assert_str_eq(again, r0); /* unchanged: the same bytes */

    const char *del[] = {"CLUSTER", "DELSLOTS", "100", NULL};
    cmd_expect_ok(f, 0, del);
    g_autofree char *r1 = slots_checked(f, 0);
    ck_assert_str_ne(r1, r0);
    const char *add[] = {"CLUSTER", "ADDSLOTS", "100", NULL};
    cmd_expect_ok(f, 0, add);
    g_autofree char *r2 = slots_checked(f, 0);
    ck_assert_str_eq(r2, r0);

    /* Hand slot 0 from node 0 to node 1 (both sides, as resharding does). */
    RcNode *n1 = bus_fixture_node(f, 1);
    char id1[41];
    memcpy(id1, n1->cluster->myself->name, 40);
    id1[40] = '\0';
    const char *give[] = {"CLUSTER", "SETSLOT", "0", "NODE", id1, NULL};
    cmd_expect_ok(f, 1, give);
    cmd_expect_ok(f, 0, give);
    bus_fixture_run_until(f, bus_fixture_now(f) + 2 * RC_US_PER_S);
    g_autofree char *r3 = slots_all_checked(f, 6, 0);
    ck_assert_str_ne(r3, r0);

    /* A replica listed once it has an offset, with a hostname, then at a new address. */
    RcNode *n0 = bus_fixture_node(f, 0);
    RcClusterNode *rep = g_ptr_array_index(n0->cluster->myself->replicas, 0);
    rep->repl_offset = 42;
    g_autofree char *r4 = slots_checked(f, 0);
    ck_assert_str_ne(r4, r3);
    g_free(rep->hostname);
    rep->hostname = g_strdup("replica-a");
    g_autofree char *r5 = slots_checked(f, 0);
    ck_assert(strstr(r5, "replica-a") != NULL);
    g_strlcpy(rep->ip, "127.0.0.9", sizeof rep->ip);
    g_autofree char *r6 = slots_checked(f, 0);
    ck_assert(strstr(r6, "127.0.0.9") != NULL);
    rep->port++;
    g_autofree char *r7 = slots_checked(f, 0);
    ck_assert_str_ne(r7, r6);
    rep->flags |= RC_NODE_FAIL;
    g_autofree char *r8 = slots_checked(f, 0);
    ck_assert_str_ne(r8, r7);
    rep->flags &= (guint16)~RC_NODE_FAIL;
    rep->port--;
    g_strlcpy(rep->ip, "127.0.0.1", sizeof rep->ip);
    g_autofree char *r9 = slots_checked(f, 0);
    ck_assert_str_eq(r9, r5);

    /* Node 3 (replica of node 0) takes over: every view's reply follows. */
    const char *takeover[] = {"CLUSTER", "FAILOVER", "TAKEOVER", NULL};
    cmd_expect_ok(f, 3, takeover);
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    ck_assert(!rc_node_is_replica(bus_fixture_node(f, 3)->cluster->myself));
    g_autofree char *r10 = slots_all_checked(f, 6, 0);
    ck_assert_str_ne(r10, r9);

    /* A crashed master, FAIL everywhere (an owner stays listed), then its replica takes
     * over (in this fixture replicas never sync, so it needs TAKEOVER). */
    bus_fixture_crash(f, 1);
    bus_fixture_run_until(f, bus_fixture_now(f) + 40 * RC_US_PER_S);
    g_autofree char *r11 = slots_all_checked(f, 6, 0);
    cmd_expect_ok(f, 4, takeover);
    bus_fixture_run_until(f, bus_fixture_now(f) + 3 * RC_US_PER_S);
    g_autofree char *r12 = slots_all_checked(f, 6, 0);
    ck_assert_str_ne(r12, r11);
}
END_TEST

Suite *cluster_bus_suite(void)
{
    Suite *s = suite_create("cluster_bus");
    TCase *tc = tcase_create("bus");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_three_masters_converge);
    tcase_add_test(tc, test_replicas_known_everywhere);
    tcase_add_test(tc, test_two_links_per_pair);
    tcase_add_test(tc, test_cluster_nodes_format_matches_redis);
    tcase_add_test(tc, test_load_redis_nodes_conf);
    tcase_add_test(tc, test_corrupt_nodes_conf);
    tcase_add_test(tc, test_restart_from_nodes_conf);
    tcase_add_test(tc, test_cluster_command_replies);
    tcase_add_test(tc, test_cluster_info_fields);
    tcase_add_test(tc, test_cluster_info_pfail_and_fail);
    tcase_add_test(tc, test_cluster_shards_format);
    tcase_add_test(tc, test_count_failure_reports_after_pfail_gossip);
    tcase_add_test(tc, test_replicate_success);
    tcase_add_test(tc, test_slot_table_and_saved_conf_stay_exact);
    tcase_add_test(tc, test_bitmap_ranges);
    tcase_add_test(tc, test_cluster_slots_cache_follows_changes);
    suite_add_tcase(s, tc);
    return s;
}
