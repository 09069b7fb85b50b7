/* Unit tests of MIGRATE and RESTORE on one node driven through its entry points: a client
 * connection sends RESP, the test plays the target's side of the MIGRATE connection. */
#include <check.h>
#include <string.h>

#include "core/bus.h"
#include "core/client.h"
#include "core/failover.h"
#include "core/keyspace.h"
#include "core/node_private.h"

typedef struct {
    RcNode *node;
    RcOutbox *out;
    GRand *rng;
    RcTime now_us;
    guint32 client;
} M;

static M *m;

static void m_setup(void)
{
    m = g_new0(M, 1);
    m->out = rc_outbox_new();
    m->rng = g_rand_new_with_seed(21);
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 7000);
    m->node = rc_node_new(&cfg, m->rng, 0, NULL, m->out);
    /* A one-node cluster that owns every slot and is up. */
    RcCluster *c = m->node->cluster;
    for (int j = 0; j < RC_CLUSTER_SLOTS; j++)
        rc_cluster_add_slot(m->node, c->myself, j);
    c->state = RC_CLUSTER_OK;
    c->size = 1;
    m->now_us = 5 * RC_US_PER_S;
    m->client = rc_node_accept(m->node, m->now_us, RC_LISTENER_CLIENT, "10.0.0.9", 5555, m->out);
    rc_outbox_clear(m->out);
}

static void m_teardown(void)
{
    rc_node_free(m->node);
    rc_outbox_free(m->out);
    g_rand_free(m->rng);
    g_free(m);
}

/* Bytes the node sent on `handle` since the outbox was last cleared. */
static GString *sent_on(guint32 handle)
{
    GString *s = g_string_new("");
    for (guint i = 0; i < rc_outbox_len(m->out); i++) {
        const RcAction *a = rc_outbox_get(m->out, i);
        if (a->kind == RC_ACT_SEND && a->handle == handle) {
            g_string_append_len(s, (const char *)a->data, (gssize)a->len);
        }
    }
    return s;
}

/* The handle of the last CONNECT action, 0 if none. */
static guint32 connect_handle(guint16 *port)
{
    guint32 h = 0;
    for (guint i = 0; i < rc_outbox_len(m->out); i++) {
        const RcAction *a = rc_outbox_get(m->out, i);
        if (a->kind == RC_ACT_CONNECT) {
            h = a->handle;
            if (port)
                *port = a->port;
        }
    }
    return h;
}

/* Send one request (binary-safe arguments) and return what the client got back. */
static GString *request_v(int argc, const char *const *argv, const gsize *lens)
{
    GString *req = g_string_new("");
    g_string_append_printf(req, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) {
        gsize len = lens ? lens[i] : strlen(argv[i]);
        g_string_append_printf(req, "$%" G_GSIZE_FORMAT "\r\n", len);
        g_string_append_len(req, argv[i], (gssize)len);
        g_string_append(req, "\r\n");
    }
    rc_outbox_clear(m->out);
    m->now_us += 1000;
    rc_node_recv(m->node, m->now_us, m->client, (const guint8 *)req->str, req->len, m->out);
    rc_node_before_sleep(m->node, m->now_us, m->out);
    g_string_free(req, TRUE);
    return sent_on(m->client);
}

static GString *request(const char *const *argv)
{
    return request_v((int)g_strv_length((char **)argv), argv, NULL);
}

static void check_reply(const char *const *argv, const char *want)
{
    GString *got = request(argv);
    ck_assert_msg(strcmp(got->str, want) == 0, "%s %s: got %s want %s", argv[0],
                  argv[1] ? argv[1] : "", got->str, want);
    g_string_free(got, TRUE);
}

static gboolean has_key(const char *key)
{
    return rc_keyspace_find(m->node->db, key, strlen(key)) != NULL;
}

/* The target answers on the MIGRATE connection. */
static GString *target_says(guint32 h, const char *text)
{
    rc_outbox_clear(m->out);
    m->now_us += 500;
    rc_node_recv(m->node, m->now_us, h, (const guint8 *)text, strlen(text), m->out);
    rc_node_before_sleep(m->node, m->now_us, m->out);
    return sent_on(m->client);
}

START_TEST(test_migrate_moves_key_and_caches_connection)
{
    m_setup();
    check_reply((const char *[]){"SET", "foo", "bar", NULL}, "+OK\r\n");
    check_reply((const char *[]){"SET", "{foo}2", "baz", NULL}, "+OK\r\n");
    GString *r =
        request((const char *[]){"MIGRATE", "127.0.0.1", "7001", "foo", "0", "1000", NULL});
    ck_assert_uint_eq(r->len, 0); /* blocked until the target answers */
    g_string_free(r, TRUE);
    guint16 port = 0;
    guint32 h = connect_handle(&port);
    ck_assert_uint_ne(h, 0);
    ck_assert_uint_eq(port, 7001);
    GString *wire = sent_on(h);
    ck_assert(g_str_has_prefix(wire->str,
                               "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*4\r\n$14\r\nRESTORE-ASKING"
                               "\r\n$3\r\nfoo\r\n$1\r\n0\r\n"));
    g_string_free(wire, TRUE);
    ck_assert(rc_clients_are_writes_paused(m->node));
    /* Writes wait while the key is in flight. */
    r = request((const char *[]){"SET", "foo", "new", NULL});
    ck_assert_uint_eq(r->len, 0);
    g_string_free(r, TRUE);

    rc_node_connected(m->node, m->now_us, h, m->out);
    r = target_says(h, "+OK\r\n+OK\r\n");
    /* MIGRATE answers, then the postponed SET runs after the key left (this node owns the
     * slot and no migration state is open, so it simply recreates the key). */
    ck_assert_str_eq(r->str, "+OK\r\n+OK\r\n");
    RcKey *k = rc_keyspace_find(m->node->db, "foo", 3);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->val->v.str->len, 3);
    g_string_free(r, TRUE);
    ck_assert(!rc_clients_are_writes_paused(m->node));

    /* Second MIGRATE on the cached connection: no SELECT, no new connect. */
    check_reply((const char *[]){"DEL", "foo", NULL}, ":1\r\n");
    r = request((const char *[]){"MIGRATE", "127.0.0.1", "7001", "", "0", "1000", "REPLACE", "KEYS",
                                 "{foo}2", "{foo}missing", NULL});
    ck_assert_uint_eq(r->len, 0);
    g_string_free(r, TRUE);
    ck_assert_uint_eq(connect_handle(NULL), 0);
    wire = sent_on(h);
    ck_assert(g_str_has_prefix(wire->str, "*5\r\n$14\r\nRESTORE-ASKING\r\n$6\r\n{foo}2\r\n"));
    ck_assert_uint_gt(wire->len, 13);
    ck_assert_int_eq(memcmp(wire->str + wire->len - 13, "$7\r\nREPLACE\r\n", 13), 0);
    g_string_free(wire, TRUE);
    r = target_says(h, "+OK\r\n");
    ck_assert_str_eq(r->str, "+OK\r\n");
    g_string_free(r, TRUE);
    ck_assert(!has_key("{foo}2"));

    check_reply((const char *[]){"MIGRATE", "127.0.0.1", "7001", "nokey", "0", "1000", NULL},
                "+NOKEY\r\n");
    m_teardown();
}
END_TEST

START_TEST(test_migrate_copy_and_target_error)
{
    m_setup();
    check_reply((const char *[]){"SET", "a", "1", NULL}, "+OK\r\n");
    GString *r =
        request((const char *[]){"MIGRATE", "127.0.0.1", "7001", "a", "0", "1000", "COPY", NULL});
    g_string_free(r, TRUE);
    guint32 h = connect_handle(NULL);
    rc_node_connected(m->node, m->now_us, h, m->out);
    r = target_says(h, "+OK\r\n-BUSYKEY Target key name already exists.\r\n");
    ck_assert_str_eq(r->str,
                     "-ERR Target instance replied with error: BUSYKEY Target key name already "
                     "exists.\r\n");
    g_string_free(r, TRUE);
    ck_assert(has_key("a"));
    /* After an error the next MIGRATE selects again. With COPY the key stays. */
    r = request((const char *[]){"MIGRATE", "127.0.0.1", "7001", "a", "0", "1000", "COPY", NULL});
    g_string_free(r, TRUE);
    GString *wire = sent_on(h);
    ck_assert(g_str_has_prefix(wire->str, "*2\r\n$6\r\nSELECT"));
    g_string_free(wire, TRUE);
    r = target_says(h, "+OK\r\n+OK\r\n");
    ck_assert_str_eq(r->str, "+OK\r\n");
    g_string_free(r, TRUE);
    ck_assert(has_key("a"));
    m_teardown();
}
END_TEST

START_TEST(test_migrate_io_errors)
{
    /* Nothing listens: connecting error. */
    m_setup();
    check_reply((const char *[]){"SET", "a", "1", NULL}, "+OK\r\n");
    GString *r = request((const char *[]){"MIGRATE", "127.0.0.1", "7009", "a", "0", "1000", NULL});
    g_string_free(r, TRUE);
    guint32 h = connect_handle(NULL);
    rc_outbox_clear(m->out);
    rc_node_disconnected(m->node, m->now_us, h, RC_CONN_END_REFUSED, m->out);
    r = sent_on(m->client);
    ck_assert_str_eq(r->str, "-IOERR error or timeout connecting to the client\r\n");
    g_string_free(r, TRUE);
    ck_assert(has_key("a"));

    /* Connected but silent: the timeout (1000 ms, checked by cron) answers reading. */
    r = request((const char *[]){"MIGRATE", "127.0.0.1", "7001", "a", "0", "1000", NULL});
    g_string_free(r, TRUE);
    h = connect_handle(NULL);
    rc_node_connected(m->node, m->now_us, h, m->out);
    RcTime t = m->now_us;
    GString *got = g_string_new("");
    while (got->len == 0 && m->now_us < t + 3 * RC_US_PER_S) {
        m->now_us = MAX(rc_node_next_deadline(m->node), m->now_us + 1);
        rc_outbox_clear(m->out);
        rc_node_handle_expiry(m->node, m->now_us, m->out);
        rc_node_before_sleep(m->node, m->now_us, m->out);
        GString *s = sent_on(m->client);
        g_string_append(got, s->str);
        g_string_free(s, TRUE);
    }
    ck_assert_str_eq(got->str, "-IOERR error or timeout reading to target instance\r\n");
    ck_assert_int_ge(m->now_us - t, 1000 * RC_US_PER_MS);
    ck_assert_int_le(m->now_us - t, 1200 * RC_US_PER_MS);
    g_string_free(got, TRUE);
    ck_assert(has_key("a"));

    /* A cached connection the target closed before replying: one retry on a new one. */
    r = request((const char *[]){"MIGRATE", "127.0.0.1", "7002", "a", "0", "1000", NULL});
    g_string_free(r, TRUE);
    h = connect_handle(NULL);
    rc_node_connected(m->node, m->now_us, h, m->out);
    rc_outbox_clear(m->out);
    rc_node_disconnected(m->node, m->now_us, h, RC_CONN_END_EOF, m->out);
    guint32 h2 = connect_handle(NULL);
    ck_assert_uint_ne(h2, 0);
    ck_assert_uint_ne(h2, h);
    rc_node_connected(m->node, m->now_us, h2, m->out);
    r = target_says(h2, "+OK\r\n+OK\r\n");
    ck_assert_str_eq(r->str, "+OK\r\n");
    g_string_free(r, TRUE);
    ck_assert(!has_key("a"));
    m_teardown();
}
END_TEST

typedef struct {
    const char *argv[12];
    const char *reply;
} Case;

START_TEST(test_migrate_and_restore_errors_table)
{
    static const Case cases[] = {
        {{"MIGRATE", "h", "1", "k", "0", "1000", "BOGUS"}, "-ERR syntax error\r\n"},
        {{"MIGRATE", "h", "1", "k", "0", "1000", "AUTH"}, "-ERR syntax error\r\n"},
        {{"MIGRATE", "h", "1", "k", "0", "1000", "AUTH2", "u"}, "-ERR syntax error\r\n"},
        {{"MIGRATE", "h", "1", "k", "0", "1000", "KEYS", "a"},
         "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
         "string\r\n"},
        {{"MIGRATE", "h", "1", "k", "0", "x"}, "-ERR value is not an integer or out of range\r\n"},
        {{"MIGRATE", "h", "1", "k", "y", "10"}, "-ERR value is not an integer or out of range\r\n"},
        {{"MIGRATE", "h", "1", "k"}, "-ERR wrong number of arguments for 'migrate' command\r\n"},
        {{"MIGRATE", "h", "1", "nokey", "0", "10"}, "+NOKEY\r\n"},
        {{"RESTORE", "k", "0", "payload"}, "-BUSYKEY Target key name already exists.\r\n"},
        {{"RESTORE", "new", "-1", "payload"}, "-ERR Invalid TTL value, must be >= 0\r\n"},
        {{"RESTORE", "new", "x", "payload"}, "-ERR value is not an integer or out of range\r\n"},
        {{"RESTORE", "new", "0", "garbage"}, "-ERR DUMP payload version or checksum are wrong\r\n"},
        {{"RESTORE", "new", "0", "p", "BOGUS"}, "-ERR syntax error\r\n"},
        {{"RESTORE", "new", "0", "p", "IDLETIME", "-1"},
         "-ERR Invalid IDLETIME value, must be >= 0\r\n"},
        {{"RESTORE", "new", "0", "p", "FREQ", "256"},
         "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"},
        {{"RESTORE", "new", "0", "p", "FREQ", "1", "IDLETIME", "1"}, "-ERR syntax error\r\n"},
    };
    m_setup();
    check_reply((const char *[]){"SET", "k", "v", NULL}, "+OK\r\n");
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        GString *got = request(cases[i].argv);
        ck_assert_msg(strcmp(got->str, cases[i].reply) == 0, "case %zu: %s", i, got->str);
        g_string_free(got, TRUE);
    }
    m_teardown();
}
END_TEST

START_TEST(test_restore_roundtrip)
{
    m_setup();
    g_autoptr(GBytes) payload = NULL;
    {
        RcObject *o = rc_object_new_string("hello", 5);
        payload = rc_object_dump(o);
        rc_object_free(o);
    }
    gsize plen;
    const char *pd = g_bytes_get_data(payload, &plen);
    const char *argv[] = {"RESTORE-ASKING", "r1", "0", pd, NULL};
    gsize lens[] = {14, 2, 1, plen};
    GString *got = request_v(4, argv, lens);
    ck_assert_str_eq(got->str, "+OK\r\n");
    g_string_free(got, TRUE);
    check_reply((const char *[]){"GET", "r1", NULL}, "$5\r\nhello\r\n");
    /* A relative TTL becomes absolute; REPLACE overwrites. */
    const char *argv2[] = {"RESTORE", "r1", "5000", pd, "REPLACE", NULL};
    gsize lens2[] = {7, 2, 4, plen, 7};
    got = request_v(5, argv2, lens2);
    ck_assert_str_eq(got->str, "+OK\r\n");
    g_string_free(got, TRUE);
    RcKey *k = rc_keyspace_find(m->node->db, "r1", 2);
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(k->expire_ms, m->now_us / 1000 + 5000);
    /* ABSTTL in the past on a master: OK, and the old key is gone. */
    const char *argv3[] = {"RESTORE", "r1", "1", pd, "REPLACE", "ABSTTL", NULL};
    gsize lens3[] = {7, 2, 1, plen, 7, 6};
    got = request_v(6, argv3, lens3);
    ck_assert_str_eq(got->str, "+OK\r\n");
    g_string_free(got, TRUE);
    ck_assert(!has_key("r1"));
    m_teardown();
}
END_TEST

/* Inside MULTI/EXEC a MIGRATE cannot wait for its target: refused, nothing moves. */
START_TEST(test_migrate_inside_exec_refused)
{
    m_setup();
    check_reply((const char *[]){"SET", "a", "1", NULL}, "+OK\r\n");
    check_reply((const char *[]){"MULTI", NULL}, "+OK\r\n");
    check_reply((const char *[]){"MIGRATE", "127.0.0.1", "7001", "a", "0", "1000", NULL},
                "+QUEUED\r\n");
    check_reply((const char *[]){"EXEC", NULL},
                "*1\r\n-IOERR error or timeout writing to target instance\r\n");
    ck_assert(has_key("a"));
    ck_assert_uint_eq(connect_handle(NULL), 0);
    m_teardown();
}
END_TEST

START_TEST(test_migrate_get_keys)
{
    struct {
        const char *argv[12];
        int want[4];
        int n;
    } cases[] = {
        {{"MIGRATE", "h", "1", "k", "0", "10"}, {3}, 1},
        {{"MIGRATE", "h", "1", "", "0", "10", "COPY", "KEYS", "a", "b"}, {8, 9}, 2},
        {{"MIGRATE", "h", "1", "", "0", "10", "AUTH", "keys", "KEYS", "a"}, {9}, 1},
        {{"MIGRATE", "h", "1", "x", "0", "10", "KEYS", "a"}, {0}, 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(RcArgv) a = rc_argv_new_from_strv(cases[i].argv);
        g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(gint));
        rc_migrate_get_keys(a, keys);
        ck_assert_int_eq((int)keys->len, cases[i].n);
        for (int j = 0; j < cases[i].n; j++)
            ck_assert_int_eq(g_array_index(keys, gint, j), cases[i].want[j]);
    }
}
END_TEST

Suite *migrate_suite(void);
Suite *migrate_suite(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("migrate");
    tcase_add_test(tc, test_migrate_moves_key_and_caches_connection);
    tcase_add_test(tc, test_migrate_copy_and_target_error);
    tcase_add_test(tc, test_migrate_io_errors);
    tcase_add_test(tc, test_migrate_and_restore_errors_table);
    tcase_add_test(tc, test_restore_roundtrip);
    tcase_add_test(tc, test_migrate_get_keys);
    tcase_add_test(tc, test_migrate_inside_exec_refused);
    suite_add_tcase(s, tc);
    return s;
}
