/* getNodeByQuery outcomes, one table row each, against a hand-built cluster view:
 *
 *   slots 0..1000      -> C (10.0.0.3:7002)       key "06S" is slot 0
 *   slots 1001..8191   -> me (10.0.0.1:7000)      "bar" 5061, "user1000" 3443
 *   slots 8192..16383  -> B (10.0.0.2:7001)       "foo" 12182, "key" 12539
 *   slot 15495 ("a")   -> nobody
 *   slot 3443 migrating from me to C; slot 12539 importing from B into me.
 *
 * Keys stored here: user1000, {user1000}.exp (TTL already past), key, {key}b. */
#include <check.h>
#include <string.h>

#include "core/cluster_types.h"
#include "core/keyslot.h"
#include "core/keyspace.h"
#include "core/routing.h"

#define F_DOWN (1u << 0)            /* cluster state FAIL */
#define F_READS_WHEN_DOWN (1u << 1) /* cluster-allow-reads-when-down yes */
#define F_REPLICA (1u << 2)         /* I am a replica of B */

typedef struct {
    RcNode *node;
    GRand *rng;
    RcOutbox *out;
    RcCluster *saved_cluster;
    RcKeyspace *saved_db;
    RcCluster *cl;
    RcClusterNode *me, *b, *c;
    RcClient client;
} Fix;

static RcClusterNode *cnode(const char *name_char, const char *ip, guint16 port)
{
    RcClusterNode *n = g_new0(RcClusterNode, 1);
    memset(n->name, name_char[0], RC_CLUSTER_NAMELEN);
    g_strlcpy(n->ip, ip, sizeof n->ip);
    n->port = port;
    n->cport = (guint16)(port + 10000);
    n->flags = RC_NODE_MASTER;
    return n;
}

static void assign(RcCluster *cl, RcClusterNode *n, int from, int to)
{
    for (int s = from; s <= to; s++) {
        cl->slots[s] = n;
        n->numslots++;
    }
}

static void add_key(RcNode *node, const char *key, gint64 expire_ms)
{
    RcKey *k = rc_keyspace_set(node->db, g_bytes_new(key, strlen(key)),
                               rc_object_new_string("v", 1), FALSE);
    if (expire_ms >= 0)
        rc_keyspace_set_expire(node->db, k, expire_ms);
}

static void fix_init(Fix *f, guint32 setup)
{
    memset(f, 0, sizeof *f);
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "10.0.0.1", 7000);
    cfg.cluster_allow_reads_when_down = (setup & F_READS_WHEN_DOWN) != 0;
    f->rng = g_rand_new_with_seed(7);
    f->out = rc_outbox_new();
    f->node = rc_node_new(&cfg, f->rng, 10 * RC_US_PER_S, NULL, f->out);
    f->saved_cluster = f->node->cluster;
    f->saved_db = f->node->db;
    if (f->node->db == NULL)
        f->node->db = rc_keyspace_new();
    RcCluster *cl = g_new0(RcCluster, 1);
    f->cl = cl;
    f->me = cnode("a", "10.0.0.1", 7000);
    f->b = cnode("b", "10.0.0.2", 7001);
    f->c = cnode("c", "10.0.0.3", 7002);
    f->me->flags |= RC_NODE_MYSELF;
    cl->myself = f->me;
    cl->state = (setup & F_DOWN) ? RC_CLUSTER_FAIL : RC_CLUSTER_OK;
    assign(cl, f->c, 0, 1000);
    assign(cl, f->me, 1001, 8191);
    assign(cl, f->b, 8192, 16383);
    cl->slots[15495] = NULL;
    cl->migrating_slots_to = g_new0(RcClusterNode *, RC_CLUSTER_SLOTS);
    cl->importing_slots_from = g_new0(RcClusterNode *, RC_CLUSTER_SLOTS);
    cl->migrating_slots_to[3443] = f->c;
    cl->importing_slots_from[12539] = f->b;
    if (setup & F_REPLICA) {
        f->me->flags = RC_NODE_SLAVE | RC_NODE_MYSELF;
        f->me->replica_of = f->b;
    }
    f->node->cluster = cl;
    add_key(f->node, "user1000", -1);
    add_key(f->node, "{user1000}.exp", 5000); /* node time is 10 s: already past */
    add_key(f->node, "key", -1);
    add_key(f->node, "{key}b", -1);
    f->client.node = f->node;
    f->client.mstate = g_ptr_array_new_with_free_func((GDestroyNotify)rc_argv_free);
}

static void fix_free(Fix *f)
{
    g_free(f->cl->migrating_slots_to);
    g_free(f->cl->importing_slots_from);
    g_free(f->cl);
    g_free(f->me);
    g_free(f->b);
    g_free(f->c);
    if (f->saved_db == NULL) {
        rc_keyspace_free(f->node->db);
        f->node->db = NULL;
    }
    f->node->cluster = f->saved_cluster;
    g_ptr_array_unref(f->client.mstate);
    rc_node_free(f->node);
    rc_outbox_free(f->out);
    g_rand_free(f->rng);
}

static RcArgv *argv_of(const char *line)
{
    gchar **words = g_strsplit(line, " ", -1);
    RcArgv *a = rc_argv_new_from_strv((const char *const *)words);
    g_strfreev(words);
    return a;
}

/* MIGRATE and RESTORE-ASKING as routing sees them (their procs live elsewhere). */
static const RcCommand migrate_cmd = {.name = "migrate",
                                      .arity = -6,
                                      .flags = RC_CMD_WRITE,
                                      .first_key = 3,
                                      .last_key = 3,
                                      .key_step = 1};
static const RcCommand restore_asking_cmd = {.name = "restore-asking",
                                             .arity = -4,
                                             .flags = RC_CMD_WRITE | RC_CMD_ASKING,
                                             .first_key = 1,
                                             .last_key = 1,
                                             .key_step = 1};

static const RcCommand *lookup(const RcArgv *a)
{
    if (rc_argv_is(a, 0, "migrate"))
        return &migrate_cmd;
    if (rc_argv_is(a, 0, "restore-asking"))
        return &restore_asking_cmd;
    gsize len;
    const char *name = rc_argv_data(a, 0, &len);
    const RcCommand *cmd = rc_command_lookup(name, len);
    ck_assert_msg(cmd != NULL, "no command %.*s", (int)len, name);
    return cmd;
}

#define MOVED_B(slot) "-MOVED " slot " 10.0.0.2:7001\r\n"
#define ALLOWED ""
static const char crossslot[] = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";
static const char tryagain[] = "-TRYAGAIN Multiple keys request during rehashing of slot\r\n";
static const char down[] = "-CLUSTERDOWN The cluster is down\r\n";
static const char down_ro[] = "-CLUSTERDOWN The cluster is down and only accepts read commands\r\n";
static const char unbound[] = "-CLUSTERDOWN Hash slot not served\r\n";

typedef struct {
    guint32 setup;
    guint32 client_flags;
    const char *queued; /* "|"-separated commands queued by MULTI, or NULL */
    const char *line;
    const char *want; /* "" = runs here */
} Case;

static const Case cases[] = {
    /* Plain ownership. */
    {0, 0, NULL, "GET bar", ALLOWED},
    {0, 0, NULL, "GET foo", MOVED_B("12182")},
    {0, 0, NULL, "SET foo 1", MOVED_B("12182")},
    {0, 0, NULL, "GET 06S", "-MOVED 0 10.0.0.3:7002\r\n"},
    {0, 0, NULL, "GET a", unbound},
    /* Several keys: one slot is fine, two is CROSSSLOT; an unbound first key wins. */
    {0, 0, NULL, "MGET {bar}x {bar}y bar", ALLOWED},
    {0, 0, NULL, "MGET bar foo", crossslot},
    {0, 0, NULL, "MGET foo bar", crossslot},
    {0, 0, NULL, "MGET a foo", unbound},
    {0, 0, NULL, "MGET foo a", crossslot},
    {0, 0, NULL, "MGET {foo}x {foo}y", MOVED_B("12182")},
    /* Keyless commands are never routed. */
    {0, 0, NULL, "PING", ALLOWED},
    {F_DOWN, 0, NULL, "PING", ALLOWED},
    {F_DOWN, 0, NULL, "DBSIZE", ALLOWED},
    /* Cluster down. */
    {F_DOWN, 0, NULL, "GET bar", down},
    {F_DOWN, 0, NULL, "GET a", unbound},
    {F_DOWN, 0, NULL, "MGET bar foo", crossslot},
    {F_DOWN | F_READS_WHEN_DOWN, 0, NULL, "GET bar", ALLOWED},
    {F_DOWN | F_READS_WHEN_DOWN, 0, NULL, "GET foo", MOVED_B("12182")},
    {F_DOWN | F_READS_WHEN_DOWN, 0, NULL, "SET bar 1", down_ro},
    /* Migrating slot 3443 to C: keys here are served (writes too), missing ones ASK,
     * a mix is TRYAGAIN; a key past its TTL counts as missing. */
    {0, 0, NULL, "GET user1000", ALLOWED},
    {0, 0, NULL, "SET user1000 x", ALLOWED},
    {0, 0, NULL, "GET {user1000}.following", "-ASK 3443 10.0.0.3:7002\r\n"},
    {0, 0, NULL, "MGET {user1000}.a {user1000}.b", "-ASK 3443 10.0.0.3:7002\r\n"},
    {0, 0, NULL, "MGET user1000 {user1000}.following", tryagain},
    {0, 0, NULL, "GET {user1000}.exp", "-ASK 3443 10.0.0.3:7002\r\n"},
    {F_DOWN, 0, NULL, "GET {user1000}.following", down},
    /* MIGRATE works locally in an open slot, even for a key that is not here. */
    {0, 0, NULL, "MIGRATE 10.0.0.3 7002 {user1000}.following 0 5000", ALLOWED},
    {0, 0, NULL, "MIGRATE 10.0.0.2 7001 foo 0 5000", MOVED_B("12182")},
    /* Importing slot 12539 from B: only ASKING requests (or RESTORE-ASKING) run here. */
    {0, 0, NULL, "GET key", MOVED_B("12539")},
    {0, RC_CLIENT_ASKING, NULL, "GET key", ALLOWED},
    {0, RC_CLIENT_ASKING, NULL, "GET {key}missing", ALLOWED},
    {0, RC_CLIENT_ASKING, NULL, "MGET key {key}b", ALLOWED},
    {0, RC_CLIENT_ASKING, NULL, "MGET key {key}missing", tryagain},
    {0, 0, NULL, "RESTORE-ASKING key 0 payload", ALLOWED},
    {0, RC_CLIENT_ASKING, NULL, "GET foo", MOVED_B("12182")},
    /* Replica of B: MOVED unless READONLY, and READONLY covers reads of B's slots only. */
    {F_REPLICA, 0, NULL, "GET foo", MOVED_B("12182")},
    {F_REPLICA, RC_CLIENT_READONLY, NULL, "GET foo", ALLOWED},
    {F_REPLICA, RC_CLIENT_READONLY, NULL, "SET foo 1", MOVED_B("12182")},
    {F_REPLICA, RC_CLIENT_READONLY, NULL, "GET 06S", "-MOVED 0 10.0.0.3:7002\r\n"},
    {F_REPLICA | F_DOWN, RC_CLIENT_READONLY, NULL, "GET foo", down},
    /* EXEC routes its queue; EXEC outside MULTI is left to its own error. */
    {0, 0, NULL, "EXEC", ALLOWED},
    {0, RC_CLIENT_MULTI, "GET bar|SET bar 1", "EXEC", ALLOWED},
    {0, RC_CLIENT_MULTI, "GET bar|GET foo", "EXEC", crossslot},
    {0, RC_CLIENT_MULTI, "GET foo|SET {foo}x 1", "EXEC", MOVED_B("12182")},
    {0, RC_CLIENT_MULTI, "PING", "EXEC", ALLOWED},
    {F_REPLICA, RC_CLIENT_MULTI | RC_CLIENT_READONLY, "GET foo|GET {foo}x", "EXEC", ALLOWED},
    {F_REPLICA, RC_CLIENT_MULTI | RC_CLIENT_READONLY, "GET foo|SET foo 1", "EXEC",
     MOVED_B("12182")},
    /* The master's stream is never routed. */
    {0, RC_CLIENT_MASTER, NULL, "SET foo 1", ALLOWED},
};

START_TEST(test_routing_table)
{
    const Case *tc = &cases[_i];
    Fix f;
    fix_init(&f, tc->setup);
    f.client.flags = tc->client_flags;
    if (tc->queued != NULL) {
        gchar **q = g_strsplit(tc->queued, "|", -1);
        for (int i = 0; q[i] != NULL; i++)
            g_ptr_array_add(f.client.mstate, argv_of(q[i]));
        g_strfreev(q);
    }
    g_autoptr(RcArgv) args = argv_of(tc->line);
    GString *reply = g_string_new(NULL);
    rc_node_enter(f.node, 10 * RC_US_PER_S, f.out);
    gboolean ok = rc_routing_allows(f.node, &f.client, lookup(args), args, reply);
    rc_node_leave(f.node);
    ck_assert_msg(ok == (tc->want[0] == '\0'), "case %d (%s): allowed=%d reply=%s", _i, tc->line,
                  ok, reply->str);
    ck_assert_msg(strcmp(reply->str, tc->want) == 0, "case %d (%s): want %s got %s", _i, tc->line,
                  tc->want, reply->str);
    g_string_free(reply, TRUE);
    fix_free(&f);
}
END_TEST

/* The key lookups of a migrating slot do not expire or touch anything. */
START_TEST(test_routing_lookups_have_no_side_effects)
{
    Fix f;
    fix_init(&f, 0);
    guint64 size = rc_keyspace_size(f.node->db);
    g_autoptr(RcArgv) args = argv_of("GET {user1000}.exp");
    GString *reply = g_string_new(NULL);
    rc_node_enter(f.node, 10 * RC_US_PER_S, f.out);
    ck_assert(!rc_routing_allows(f.node, &f.client, lookup(args), args, reply));
    rc_node_leave(f.node);
    ck_assert_uint_eq(rc_keyspace_size(f.node->db), size);
    ck_assert(rc_keyspace_find(f.node->db, "{user1000}.exp", 14) != NULL);
    g_string_free(reply, TRUE);
    fix_free(&f);
}
END_TEST

START_TEST(test_fixture_slots_match_the_reference)
{
    ck_assert_int_eq(rc_key_hash_slot("bar", 3), 5061);
    ck_assert_int_eq(rc_key_hash_slot("foo", 3), 12182);
    ck_assert_int_eq(rc_key_hash_slot("user1000", 8), 3443);
    ck_assert_int_eq(rc_key_hash_slot("key", 3), 12539);
    ck_assert_int_eq(rc_key_hash_slot("a", 1), 15495);
    ck_assert_int_eq(rc_key_hash_slot("06S", 3), 0);
}
END_TEST

Suite *routing_suite(void);
Suite *routing_suite(void)
{
    Suite *s = suite_create("routing");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_fixture_slots_match_the_reference);
    tcase_add_loop_test(tc, test_routing_table, 0, (int)G_N_ELEMENTS(cases));
    tcase_add_test(tc, test_routing_lookups_have_no_side_effects);
    suite_add_tcase(s, tc);
    return s;
}
