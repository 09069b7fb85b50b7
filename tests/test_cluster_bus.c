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
        {{"CLUSTER", "INFO"}, "$*"},
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

Suite *cluster_bus_suite(void);
Suite *cluster_bus_suite(void)
{
    Suite *s = suite_create("cluster_bus");
    TCase *tc = tcase_create("bus");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_three_masters_converge);
    tcase_add_test(tc, test_replicas_known_everywhere);
    tcase_add_test(tc, test_cluster_nodes_format_matches_redis);
    tcase_add_test(tc, test_load_redis_nodes_conf);
    tcase_add_test(tc, test_corrupt_nodes_conf);
    tcase_add_test(tc, test_restart_from_nodes_conf);
    tcase_add_test(tc, test_cluster_command_replies);
    suite_add_tcase(s, tc);
    return s;
}
