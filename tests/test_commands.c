/* The command table, the command procs and the client pipeline (core/command.c, cmd_*.c,
 * db.c, client.c), driven through an RcNode with time set by hand. Reply texts are
 * checked against redis-server itself by the conformance suite; here we check what a
 * client cannot see from outside: propagation, expiry on virtual time, flags, pauses. */
#include <check.h>
#include <string.h>

#include "core/client.h"
#include "core/commands.h"
#include "core/db.h"
#include "core/keyspace.h"
#include "core/node.h"
#include "core/resp.h"

typedef struct {
    RcNode *node;
    GRand *rng;
    RcOutbox *out;
    RcTime now;
    guint32 h; /* a client connection */
} T;

static void t_drain(T *t, guint32 h, GString *into, gboolean *closed)
{
    for (guint i = 0; i < rc_outbox_len(t->out); i++) {
        const RcAction *a = rc_outbox_get(t->out, i);
        if (a->handle != h)
            continue;
        if (a->kind == RC_ACT_SEND) {
            g_string_append_len(into, (const char *)a->data, (gssize)a->len);
        } else if (a->kind == RC_ACT_CLOSE && closed != NULL) {
            *closed = TRUE;
        }
    }
    rc_outbox_clear(t->out);
}

/* Send raw bytes on `h` at the current time; returns the replies. */
static char *t_raw(T *t, guint32 h, const char *data, gsize len, gboolean *closed)
{
    GString *got = g_string_new(NULL);
    rc_node_recv(t->node, t->now, h, (const guint8 *)data, len, t->out);
    rc_node_before_sleep(t->node, t->now, t->out);
    t_drain(t, h, got, closed);
    return g_string_free(got, FALSE);
}

static char *t_cmd(T *t, const char *line)
{
    g_autoptr(RcArgv) a = rc_resp_split_args(line, strlen(line));
    g_autoptr(GString) req = g_string_new(NULL);
    rc_resp_encode_argv(req, a);
    return t_raw(t, t->h, req->str, req->len, NULL);
}

#define EXPECT(t, line, reply)                                                                     \
    do {                                                                                           \
        g_autofree char *got_ = t_cmd(t, line);                                                    \
        ck_assert_msg(strcmp(got_, reply) == 0, "%s -> %s", line, g_strescape(got_, NULL));        \
    } while (0)

static void t_advance(T *t, RcTime until)
{
    while (rc_node_next_deadline(t->node) <= until) {
        t->now = MAX(t->now, rc_node_next_deadline(t->node));
        rc_node_handle_expiry(t->node, t->now, t->out);
        rc_node_before_sleep(t->node, t->now, t->out);
        rc_outbox_clear(t->out);
    }
    t->now = until;
}

/* A node that owns every slot and whose cluster state is ok. */
static void t_init(T *t, const RcNodeConfig *cfg_in)
{
    memset(t, 0, sizeof *t);
    t->rng = g_rand_new_with_seed(3);
    t->out = rc_outbox_new();
    t->now = 50 * RC_US_PER_S;
    RcNodeConfig cfg;
    if (cfg_in)
        cfg = *cfg_in;
    else
        rc_node_config_init(&cfg, "127.0.0.1", 7000);
    t->node = rc_node_new(&cfg, t->rng, t->now, NULL, t->out);
    t->h = rc_node_accept(t->node, t->now, RC_LISTENER_CLIENT, "10.0.0.9", 40000, t->out);
    EXPECT(t, "CLUSTER ADDSLOTSRANGE 0 16383", "+OK\r\n");
    t_advance(t, t->now + 3 * RC_US_PER_S);
}

static void t_free(T *t)
{
    rc_node_free(t->node);
    rc_outbox_free(t->out);
    g_rand_free(t->rng);
}

static RcClient *t_client(T *t)
{
    RcConn *c = rc_node_conn_get(t->node, t->h);
    return c->owner;
}

START_TEST(test_table_sorted_and_lookup)
{
    gsize n;
    const RcCommand *table = rc_command_table(&n);
    ck_assert_uint_ge(n, 50);
    for (gsize i = 1; i < n; i++)
        ck_assert_msg(strcmp(table[i - 1].name, table[i].name) < 0, "%s", table[i].name);
    ck_assert_ptr_eq(rc_command_lookup("GeT", 3), rc_command_lookup("get", 3));
    ck_assert_ptr_null(rc_command_lookup("get\0", 4));
    ck_assert_ptr_null(rc_command_lookup("", 0));
    const RcCommand *mset = rc_command_lookup("mset", 4);
    static const char *const ms[] = {"MSET", "a", "1", "b", "2", NULL};
    g_autoptr(RcArgv) a = rc_argv_new_from_strv(ms);
    g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(int));
    rc_command_get_keys(mset, a, keys);
    ck_assert_uint_eq(keys->len, 2);
    ck_assert_int_eq(g_array_index(keys, int, 0), 1);
    ck_assert_int_eq(g_array_index(keys, int, 1), 3);
    ck_assert(rc_command_arity_ok(mset, 3) && !rc_command_arity_ok(mset, 2));
    ck_assert(rc_command_arity_ok(rc_command_lookup("get", 3), 2));
    ck_assert(!rc_command_arity_ok(rc_command_lookup("get", 3), 3));
}
END_TEST

START_TEST(test_check_errors_table)
{
    static const struct {
        const char *line;
        const char *err;
    } cases[] = {
        {"nosuch", "ERR unknown command 'nosuch', with args beginning with: "},
        {"nosuch a \"b\\r\\nc\"",
         "ERR unknown command 'nosuch', with args beginning with: 'a' 'b  c' "},
        {"nosuch \"x\\x00y\"", "ERR unknown command 'nosuch', with args beginning with: 'x' "},
        {"get", "ERR wrong number of arguments for 'get' command"},
        {"GET a b", "ERR wrong number of arguments for 'get' command"},
        {"cluster", "ERR wrong number of arguments for 'cluster' command"},
        {"CLUSTER KEYSLOT", "ERR wrong number of arguments for 'cluster|keyslot' command"},
        {"cluster nope", "ERR unknown subcommand 'nope'. Try CLUSTER HELP."},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(RcArgv) a = rc_resp_split_args(cases[i].line, strlen(cases[i].line));
        const RcCommand *cmd;
        g_autofree char *err = rc_command_check(a, &cmd);
        ck_assert_msg(err && strcmp(err, cases[i].err) == 0, "%s: %s", cases[i].line, err);
    }
    /* The argument list stops near 128 bytes, as Redis's does. */
    g_autofree char *longarg = g_strnfill(300, 'x');
    g_autofree char *line = g_strdup_printf("nosuch %s y", longarg);
    g_autoptr(RcArgv) a = rc_resp_split_args(line, strlen(line));
    const RcCommand *cmd;
    g_autofree char *err = rc_command_check(a, &cmd);
    ck_assert(strstr(err, "'y'") == NULL);
    g_autofree char *x128 = g_strnfill(128, 'x');
    ck_assert_ptr_nonnull(strstr(err, x128));
    g_autoptr(RcArgv) ok = rc_resp_split_args("set k v", 7);
    ck_assert_ptr_null(rc_command_check(ok, &cmd));
    ck_assert_str_eq(cmd->name, "set");
}
END_TEST

/* Run one proc directly and return the call for inspection (propagation, dirty). */
static RcCommandCall *run(T *t, const char *line)
{
    RcCommandCall *call = g_new0(RcCommandCall, 1);
    RcArgv *a = rc_resp_split_args(line, strlen(line));
    gboolean c;
    call->node = t->node;
    call->client = t_client(t);
    call->cmd = rc_command_lookup_argv(a, &c);
    call->args = a;
    call->reply = g_string_new(NULL);
    rc_node_enter(t->node, t->now, t->out);
    call->cmd->proc(call);
    rc_node_leave(t->node);
    return call;
}

static void call_free(RcCommandCall *call)
{
    rc_argv_free((RcArgv *)call->args);
    rc_argv_free(call->propagate);
    if (call->also_propagate)
        g_ptr_array_unref(call->also_propagate);
    g_string_free(call->reply, TRUE);
    g_free(call);
}

static char *argv_str(const RcArgv *a)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; a && i < a->argc; i++) {
        gsize len;
        const char *d = rc_argv_data(a, i, &len);
        if (i)
            g_string_append_c(s, ' ');
        g_string_append_len(s, d, (gssize)len);
    }
    return g_string_free(s, FALSE);
}

START_TEST(test_propagation_rewrites)
{
    T t;
    t_init(&t, NULL);
    gint64 now_ms = t.now / RC_US_PER_MS;
    static const struct {
        const char *line;
        guint64 dirty;
        const char *propagate; /* NULL: as received */
    } cases[] = {
        {"SET a 1", 1, NULL},
        {"SET a 2 EX 10", 1, "SET a 2 PXAT %" G_GINT64_FORMAT},
        {"SET a 3 GET NX", 0, NULL},
        {"SET a 3 GET", 1, "SET a 3"},
        {"SETNX a x", 0, NULL},
        {"GETSET a 4", 1, "SET a 4"},
        {"EXPIRE a 5", 1, "PEXPIREAT a %" G_GINT64_FORMAT},
        {"PERSIST a", 1, NULL},
        {"PERSIST a", 0, NULL},
        {"EXPIRE a -1", 1, "DEL a"},
        {"DEL a nope", 0, NULL},
        {"SADD s x y", 2, NULL},
        {"SADD s x", 0, NULL},
        {"HSET h f v g w", 2, NULL},
        {"RPUSH l a b c", 3, NULL},
        {"LPOP l 2", 2, NULL},
        {"FLUSHALL", 1, NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        RcCommandCall *call = run(&t, cases[i].line);
        ck_assert_msg(call->dirty == cases[i].dirty, "%s: dirty %" G_GUINT64_FORMAT, cases[i].line,
                      call->dirty);
        g_autofree char *p = argv_str(call->propagate);
        if (cases[i].propagate == NULL) {
            ck_assert_msg(call->propagate == NULL, "%s: rewritten to %s", cases[i].line, p);
        } else {
            gint64 when = now_ms + (strstr(cases[i].line, "10") ? 10000 : 5000);
            g_autofree char *want = g_strdup_printf(cases[i].propagate, when);
            ck_assert_msg(strcmp(p, want) == 0, "%s: %s, want %s", cases[i].line, p, want);
        }
        call_free(call);
    }
    t_free(&t);
}
END_TEST

START_TEST(test_expiry_on_virtual_time)
{
    T t;
    t_init(&t, NULL);
    EXPECT(&t, "SET k v PX 100", "+OK\r\n");
    EXPECT(&t, "SET k2 v PX 100", "+OK\r\n");
    t.now += 100 * RC_US_PER_MS; /* at the expire time: still there (now > when expires) */
    EXPECT(&t, "GET k", "$1\r\nv\r\n");
    EXPECT(&t, "PTTL k", ":0\r\n");
    t.now += RC_US_PER_MS;
    /* A lazily expired key is gone for the client and its DEL goes to the stream first. */
    RcCommandCall *call = run(&t, "GET k");
    ck_assert_str_eq(call->reply->str, "$-1\r\n");
    ck_assert_uint_eq(call->also_propagate->len, 1);
    g_autofree char *del = argv_str(call->also_propagate->pdata[0]);
    ck_assert_str_eq(del, "DEL k");
    call_free(call);
    g_autofree char *secs = g_strdup_printf("%" G_GINT64_FORMAT, t.now / RC_US_PER_S);
    g_autofree char *usecs = g_strdup_printf("%" G_GINT64_FORMAT, t.now % RC_US_PER_S);
    g_autofree char *want_time = g_strdup_printf("*2\r\n$%zu\r\n%s\r\n$%zu\r\n%s\r\n", strlen(secs),
                                                 secs, strlen(usecs), usecs);
    EXPECT(&t, "TIME", want_time);  /* the node's own clock */
    EXPECT(&t, "DBSIZE", ":1\r\n"); /* k2 waits for the active cycle */
    t_advance(&t, t.now + 200 * RC_US_PER_MS);
    EXPECT(&t, "DBSIZE", ":0\r\n");
    g_autofree char *info = t_cmd(&t, "INFO stats");
    ck_assert_ptr_nonnull(strstr(info, "expired_keys:2\r\n"));
    /* TTL rounds to the nearest second, as ttlGenericCommand does. */
    EXPECT(&t, "SET k v PX 1499", "+OK\r\n");
    EXPECT(&t, "TTL k", ":1\r\n");
    EXPECT(&t, "SET k v PX 1500", "+OK\r\n");
    EXPECT(&t, "TTL k", ":2\r\n");
    /* While writes are paused a master does not delete: the key is hidden, not removed. */
    EXPECT(&t, "SET p v PX 1", "+OK\r\n");
    t.now += 10 * RC_US_PER_MS;
    rc_clients_pause_writes(t.node, t.now / RC_US_PER_MS + 1000);
    EXPECT(&t, "EXISTS p", ":0\r\n");
    ck_assert_ptr_nonnull(rc_keyspace_find(t.node->db, "p", 1));
    rc_clients_unpause(t.node);
    t_free(&t);
}
END_TEST

START_TEST(test_multi_exec_propagation_and_flags)
{
    T t;
    t_init(&t, NULL);
    RcClient *c = t_client(&t);
    /* ASKING before MULTI lasts through the queue (resetClient keeps it inside MULTI)
     * and ends with EXEC. */
    EXPECT(&t, "ASKING", "+OK\r\n");
    EXPECT(&t, "MULTI", "+OK\r\n");
    EXPECT(&t, "SET a 1", "+QUEUED\r\n");
    ck_assert(c->flags & RC_CLIENT_MULTI);
    ck_assert(c->flags & RC_CLIENT_ASKING);
    ck_assert_uint_eq(c->mstate->len, 1);
    ck_assert(c->mstate_flags & RC_CMD_WRITE);
    EXPECT(&t, "EXEC", "*1\r\n+OK\r\n");
    ck_assert(!(c->flags & (RC_CLIENT_MULTI | RC_CLIENT_ASKING)));
    EXPECT(&t, "ASKING", "+OK\r\n");
    ck_assert(c->flags & RC_CLIENT_ASKING);
    EXPECT(&t, "GET a", "$1\r\n1\r\n");
    ck_assert(!(c->flags & RC_CLIENT_ASKING));
    /* A refused command marks the transaction; EXEC aborts and discards. */
    EXPECT(&t, "MULTI", "+OK\r\n");
    EXPECT(&t, "GET", "-ERR wrong number of arguments for 'get' command\r\n");
    ck_assert(c->flags & RC_CLIENT_DIRTY_EXEC);
    EXPECT(&t, "EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n");
    ck_assert(!(c->flags & (RC_CLIENT_MULTI | RC_CLIENT_DIRTY_EXEC)));
    /* EXEC's writes are collected in one call's propagation. */
    EXPECT(&t, "MULTI", "+OK\r\n");
    EXPECT(&t, "INCR n", "+QUEUED\r\n");
    EXPECT(&t, "SET m 1 EX 100", "+QUEUED\r\n");
    EXPECT(&t, "GET n", "+QUEUED\r\n");
    RcCommandCall *call = run(&t, "EXEC");
    ck_assert_str_eq(call->reply->str, "*3\r\n:1\r\n+OK\r\n$1\r\n1\r\n");
    ck_assert_uint_eq(call->also_propagate->len, 2);
    g_autofree char *p0 = argv_str(call->also_propagate->pdata[0]);
    g_autofree char *p1 = argv_str(call->also_propagate->pdata[1]);
    ck_assert_str_eq(p0, "INCR n");
    ck_assert(g_str_has_prefix(p1, "SET m 1 PXAT "));
    call_free(call);
    rc_client_discard_transaction(c);
    t_free(&t);
}
END_TEST

START_TEST(test_pause_postpones_writes)
{
    T t;
    t_init(&t, NULL);
    guint32 other = rc_node_accept(t.node, t.now, RC_LISTENER_CLIENT, "10.0.0.8", 40001, t.out);
    gint64 end_ms = t.now / RC_US_PER_MS + 500;
    rc_clients_pause_writes(t.node, end_ms);
    ck_assert(rc_clients_are_writes_paused(t.node));
    /* The write blocks its client, and what it pipelined after it waits too. */
    g_autofree char *r1 = t_raw(&t, t.h, "SET a 1\r\nGET a\r\n", 16, NULL);
    ck_assert_str_eq(r1, "");
    ck_assert(t_client(&t)->flags & RC_CLIENT_PAUSED);
    /* Reads from others go on. */
    g_autofree char *r2 = t_raw(&t, other, "GET a\r\nPING\r\n", 13, NULL);
    ck_assert_str_eq(r2, "$-1\r\n+PONG\r\n");
    /* The pause ends strictly after its end time, in serverCron; before sleeping the
     * postponed command runs from the start (routing again) and the pipeline resumes. */
    RcOutbox *seen = rc_outbox_new();
    g_autoptr(GString) got = g_string_new(NULL);
    while (rc_clients_are_writes_paused(t.node)) {
        t.now = rc_node_next_deadline(t.node);
        rc_node_handle_expiry(t.node, t.now, t.out);
        rc_node_before_sleep(t.node, t.now, t.out);
        t_drain(&t, t.h, got, NULL);
    }
    ck_assert_int_gt(t.now / RC_US_PER_MS, end_ms);
    ck_assert_str_eq(got->str, "+OK\r\n$1\r\n1\r\n");
    rc_outbox_free(seen);
    t_free(&t);
}
END_TEST

START_TEST(test_min_replicas_and_protocol_close)
{
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 7000);
    cfg.min_replicas_to_write = 1;
    cfg.client_query_buffer_limit = 4096;
    T t;
    t_init(&t, &cfg);
    EXPECT(&t, "SET a 1", "-NOREPLICAS Not enough good replicas to write.\r\n");
    EXPECT(&t, "GET a", "$-1\r\n");
    EXPECT(&t, "MULTI", "+OK\r\n");
    EXPECT(&t, "SET a 1", "-NOREPLICAS Not enough good replicas to write.\r\n");
    EXPECT(&t, "EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n");
    /* A protocol error: earlier replies, the error, then the close. */
    gboolean closed = FALSE;
    guint32 h = rc_node_accept(t.node, t.now, RC_LISTENER_CLIENT, "10.0.0.7", 1, t.out);
    guint clients = t.node->clients->len;
    g_autofree char *r = t_raw(&t, h, "PING\r\n*1\r\n$-5\r\nPING\r\n", 21, &closed);
    ck_assert_str_eq(r, "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    ck_assert(closed);
    ck_assert_uint_eq(t.node->clients->len, clients - 1);
    ck_assert_ptr_null(rc_node_conn_get(t.node, h));
    /* The query buffer limit closes without a reply. */
    closed = FALSE;
    h = rc_node_accept(t.node, t.now, RC_LISTENER_CLIENT, "10.0.0.7", 2, t.out);
    g_autoptr(GString) big = g_string_new("*1\r\n$100000\r\n");
    while (big->len < 8000)
        g_string_append_c(big, 'x');
    g_autofree char *r2 = t_raw(&t, h, big->str, big->len, &closed);
    ck_assert_str_eq(r2, "");
    ck_assert(closed);
    /* QUIT answers, then closes. */
    closed = FALSE;
    h = rc_node_accept(t.node, t.now, RC_LISTENER_CLIENT, "10.0.0.7", 3, t.out);
    g_autofree char *r3 = t_raw(&t, h, "QUIT\r\nPING\r\n", 12, &closed);
    ck_assert_str_eq(r3, "+OK\r\n");
    ck_assert(closed);
    /* A peer that goes away mid-request leaves nothing behind. */
    h = rc_node_accept(t.node, t.now, RC_LISTENER_CLIENT, "10.0.0.7", 4, t.out);
    g_autofree char *r4 = t_raw(&t, h, "*2\r\n$3\r\nGET\r\n$1", 16, NULL);
    ck_assert_str_eq(r4, "");
    rc_node_disconnected(t.node, t.now, h, RC_CONN_END_RESET, t.out);
    ck_assert_uint_eq(t.node->clients->len, clients - 1);
    t_free(&t);
}
END_TEST

Suite *commands_suite(void);
Suite *commands_suite(void)
{
    Suite *s = suite_create("commands");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_table_sorted_and_lookup);
    tcase_add_test(tc, test_check_errors_table);
    tcase_add_test(tc, test_propagation_rewrites);
    tcase_add_test(tc, test_expiry_on_virtual_time);
    tcase_add_test(tc, test_multi_exec_propagation_and_flags);
    tcase_add_test(tc, test_pause_postpones_writes);
    tcase_add_test(tc, test_min_replicas_and_protocol_close);
    suite_add_tcase(s, tc);
    return s;
}
