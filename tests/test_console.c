/* The console session against a scripted three-node cluster on the real kernel: what it
 * prints for each kind of line, redis-cli -c routing (MOVED, ASK, the redirection cap),
 * timeouts in virtual time, connection failures, fault commands checked against node state,
 * and node log lines printed as they happen.
 *
 * The toy cluster: n1 owns slots 0-5460, n2 5461-10922, n3 10923-16383, one shared store.
 * Replies come back 1 ms after the request, cut in two chunks. Keys: bar (slot 5061, n1),
 * migrating (7346, n2, which answers ASK to n3), foo (12182, n3), loop (1081: every node
 * answers MOVED to the next one). Commands SLOW (never answered), RESETME (connection reset),
 * BADPROTO (a malformed reply), LIST (a nested array), ELSEWHERE (MOVED to an unknown
 * address). */
#include <check.h>
#include <string.h>

#include "core/keyslot.h"
#include "sim/console.h"

#define N_TOY 3

typedef struct {
    SimKernel *k;
    SimConsole *con;
    SimConsoleNodeState state[N_TOY];
    guint gen[N_TOY];       /* connection generation: bumped on drop/crash */
    gboolean asking[N_TOY]; /* ASKING seen on the current connection */
    GPtrArray *held[N_TOY]; /* replies held while paused (GBytes) */
    GHashTable *store;      /* key -> value, shared */
    GString *events;        /* what the backend was asked to do */
    guint drops;
} Toy;

typedef struct {
    Toy *toy;
    guint32 node;
    guint gen;
    GBytes *bytes; /* NULL: a close */
    RcConnEnd why;
} Delivery;

static void deliver(SimKernel *k, gpointer data, guint64 arg)
{
    (void)k;
    (void)arg;
    Delivery *d = data;
    if (d->gen == d->toy->gen[d->node]) {
        if (d->bytes == NULL) {
            d->toy->gen[d->node]++;
            sim_console_closed(d->toy->con, d->node, d->why);
        } else {
            gsize len;
            const guint8 *p = g_bytes_get_data(d->bytes, &len);
            gsize cut = len / 2;
            sim_console_recv(d->toy->con, d->node, p, cut);
            sim_console_recv(d->toy->con, d->node, p + cut, len - cut);
        }
    }
    if (d->bytes != NULL)
        g_bytes_unref(d->bytes);
    g_free(d);
}

static void schedule(Toy *t, guint32 node, RcTime delay_us, GBytes *bytes, RcConnEnd why)
{
    Delivery *d = g_new0(Delivery, 1);
    d->toy = t;
    d->node = node;
    d->gen = t->gen[node];
    d->bytes = bytes;
    d->why = why;
    sim_kernel_schedule_in(t->k, delay_us, deliver, d, 0);
}

static void reply(Toy *t, guint32 node, const char *resp)
{
    GBytes *b = g_bytes_new(resp, strlen(resp));
    if (t->state[node] == SIM_CONSOLE_NODE_PAUSED) {
        g_ptr_array_add(t->held[node], b);
        return;
    }
    schedule(t, node, 1000, b, RC_CONN_END_EOF);
}

static guint32 owner_of(int slot)
{
    return slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
}

static void serve(Toy *t, guint32 node, char **argv, guint argc)
{
    gboolean asking = t->asking[node];
    t->asking[node] = FALSE;
    if (argc == 1 && strcmp(argv[0], "ASKING") == 0) {
        t->asking[node] = TRUE;
        reply(t, node, "+OK\r\n");
    } else if (argc == 1 && strcmp(argv[0], "SLOW") == 0) {
        /* never answered */
    } else if (argc == 1 && strcmp(argv[0], "RESETME") == 0) {
        schedule(t, node, 500, NULL, RC_CONN_END_RESET);
    } else if (argc == 1 && strcmp(argv[0], "BADPROTO") == 0) {
        reply(t, node, "?what\r\n");
    } else if (argc == 1 && strcmp(argv[0], "LIST") == 0) {
        reply(t, node, "*2\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n");
    } else if (argc == 1 && strcmp(argv[0], "ELSEWHERE") == 0) {
        reply(t, node, "-MOVED 1 10.9.9.9:6379\r\n");
    } else if (argc == 2 && strcmp(argv[0], "CLUSTER") == 0 && strcmp(argv[1], "NODES") == 0) {
        const char *text = "id1 127.0.0.1:30001 myself\nid2";
        g_autofree char *r = g_strdup_printf("$%zu\r\n%s\r\n", strlen(text), text);
        reply(t, node, r);
    } else if (argc == 2 && strcmp(argv[0], "CLUSTER") == 0 && strcmp(argv[1], "INFO") == 0) {
        reply(t, node, "$41\r\ncluster_state:ok\r\ncluster_known_nodes:3\r\n\r\n");
    } else if (argc >= 1 && strcmp(argv[0], "INFO") == 0) {
        if (argc == 2 && strcmp(argv[1], "bogus") == 0)
            reply(t, node, "$0\r\n\r\n"); /* an unknown section: empty, as Redis */
        else
            reply(t, node, "$32\r\n# Server\r\nredis_version:7.0.15\r\n\r\n");
    } else if ((argc == 2 && strcmp(argv[0], "GET") == 0) ||
               (argc == 3 && strcmp(argv[0], "SET") == 0)) {
        int slot = rc_key_hash_slot(argv[1], strlen(argv[1]));
        guint32 owner = owner_of(slot);
        char buf[128];
        if (strcmp(argv[1], "loop") == 0) {
            g_snprintf(buf, sizeof(buf), "-MOVED %d 127.0.0.1:%u\r\n", slot,
                       30001 + (node + 1) % N_TOY);
            reply(t, node, buf);
            return;
        }
        gboolean mine = owner == node;
        if (strcmp(argv[1], "migrating") == 0) {
            if (node == 1) {
                g_snprintf(buf, sizeof(buf), "-ASK %d 127.0.0.1:30003\r\n", slot);
                reply(t, node, buf);
                return;
            }
            mine = node == 2 && asking;
        }
        if (!mine) {
            g_snprintf(buf, sizeof(buf), "-MOVED %d 127.0.0.1:%u\r\n", slot, 30001 + owner);
            reply(t, node, buf);
        } else if (argc == 3) {
            g_hash_table_replace(t->store, g_strdup(argv[1]), g_strdup(argv[2]));
            reply(t, node, "+OK\r\n");
        } else {
            const char *v = g_hash_table_lookup(t->store, argv[1]);
            if (v == NULL) {
                reply(t, node, "$-1\r\n");
            } else {
                g_autofree char *r = g_strdup_printf("$%zu\r\n%s\r\n", strlen(v), v);
                reply(t, node, r);
            }
        }
    } else {
        g_autofree char *r = g_strdup_printf("-ERR unknown command '%s'\r\n", argv[0]);
        reply(t, node, r);
    }
}

/* Requests arrive whole in this backend: parse `*N` of `$len` bulks one after another. */
static void toy_send(gpointer impl, guint32 node, const guint8 *data, gsize len)
{
    Toy *t = impl;
    if (t->state[node] == SIM_CONSOLE_NODE_CRASHED) {
        schedule(t, node, 200, NULL, RC_CONN_END_REFUSED);
        return;
    }
    g_autofree char *text = g_strndup((const char *)data, len);
    char *p = text;
    while (*p == '*') {
        guint argc = (guint)strtoul(p + 1, &p, 10);
        p += 2;
        char **argv = g_new0(char *, argc + 1);
        for (guint i = 0; i < argc; i++) {
            ck_assert(*p == '$');
            gsize n = strtoul(p + 1, &p, 10);
            p += 2;
            argv[i] = g_strndup(p, n);
            p += n + 2;
        }
        serve(t, node, argv, argc);
        g_strfreev(argv);
    }
    ck_assert(*p == '\0');
}

static void toy_drop(gpointer impl, guint32 node)
{
    Toy *t = impl;
    t->gen[node]++;
    t->drops++;
}

static SimConsoleNodeState toy_state(gpointer impl, guint32 node)
{
    return ((Toy *)impl)->state[node];
}

static void log_later(SimKernel *k, gpointer data, guint64 arg)
{
    Toy *t = data;
    if (arg == 0) {
        sim_console_node_event(t->con, 0, 1001, 'M', sim_kernel_now(k), RC_EVT_PFAIL, "id2", 0);
        sim_console_node_log(t->con, 0, 1001, 'M', sim_kernel_now(k), RC_LOG_DEBUG, "debug noise");
    } else {
        sim_console_node_log(t->con, 2, 1003, 'S', sim_kernel_now(k), RC_LOG_NOTICE,
                             "Marking node id2 as failing (quorum reached).");
        sim_console_node_log(t->con, 2, 1003, 'S', sim_kernel_now(k), RC_LOG_VERBOSE,
                             "verbose noise");
    }
}

static void toy_crash(gpointer impl, guint32 node)
{
    Toy *t = impl;
    t->state[node] = SIM_CONSOLE_NODE_CRASHED;
    g_string_append_printf(t->events, "crash n%u;", node + 1);
    schedule(t, node, 0, NULL, RC_CONN_END_RESET);
    /* what the others would log about it */
    sim_kernel_schedule_in(t->k, 1500 * RC_US_PER_MS, log_later, t, 0);
    sim_kernel_schedule_in(t->k, 2 * RC_US_PER_S + 250 * RC_US_PER_MS, log_later, t, 1);
}

static void toy_restart(gpointer impl, guint32 node)
{
    Toy *t = impl;
    t->state[node] = SIM_CONSOLE_NODE_UP;
    g_string_append_printf(t->events, "restart n%u;", node + 1);
}

static void toy_pause(gpointer impl, guint32 node)
{
    Toy *t = impl;
    t->state[node] = SIM_CONSOLE_NODE_PAUSED;
    g_string_append_printf(t->events, "pause n%u;", node + 1);
}

static void toy_resume(gpointer impl, guint32 node)
{
    Toy *t = impl;
    t->state[node] = SIM_CONSOLE_NODE_UP;
    g_string_append_printf(t->events, "resume n%u;", node + 1);
    for (guint i = 0; i < t->held[node]->len; i++)
        schedule(t, node, 0, g_bytes_ref(g_ptr_array_index(t->held[node], i)), RC_CONN_END_EOF);
    g_ptr_array_set_size(t->held[node], 0);
}

static void toy_partition(gpointer impl, const GPtrArray *groups)
{
    Toy *t = impl;
    g_string_append(t->events, "partition");
    for (guint g = 0; g < groups->len; g++) {
        const GArray *nodes = g_ptr_array_index(groups, g);
        g_string_append(t->events, g == 0 ? " " : " | ");
        for (guint i = 0; i < nodes->len; i++)
            g_string_append_printf(t->events, "%sn%u", i ? "," : "",
                                   g_array_index(nodes, guint32, i) + 1);
    }
    g_string_append(t->events, ";");
}

static void toy_heal(gpointer impl)
{
    g_string_append(((Toy *)impl)->events, "heal;");
}

static const SimConsoleBackend toy_backend = {
    .node_state = toy_state,
    .crash = toy_crash,
    .restart = toy_restart,
    .pause = toy_pause,
    .resume = toy_resume,
    .partition = toy_partition,
    .heal = toy_heal,
    .send = toy_send,
    .drop = toy_drop,
};

static Toy *toy_new(void)
{
    Toy *t = g_new0(Toy, 1);
    t->k = sim_kernel_new(1);
    const char *ips[N_TOY] = {"127.0.0.1", "127.0.0.1", "127.0.0.1"};
    const guint16 ports[N_TOY] = {30001, 30002, 30003};
    t->con = sim_console_new(t->k, N_TOY, ips, ports, &toy_backend, t);
    for (int i = 0; i < N_TOY; i++)
        t->held[i] = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    t->store = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    t->events = g_string_new(NULL);
    return t;
}

static void toy_free(Toy *t)
{
    /* run out whatever is still scheduled (stale by now) so every delivery is freed */
    for (int i = 0; i < N_TOY; i++)
        t->gen[i]++;
    sim_kernel_run(t->k, SIM_TIME_NEVER, 0);
    sim_console_free(t->con);
    for (int i = 0; i < N_TOY; i++)
        g_ptr_array_unref(t->held[i]);
    sim_kernel_free(t->k);
    g_hash_table_unref(t->store);
    g_string_free(t->events, TRUE);
    g_free(t);
}

/* Run `lines` and return what the console printed for them (and clear it). */
static char *run_lines(Toy *t, const char *const *lines)
{
    for (const char *const *l = lines; *l != NULL; l++)
        ck_assert_msg(sim_console_exec(t->con, *l), "%s quit", *l);
    GString *out = sim_console_output(t->con);
    char *text = g_strdup(out->str);
    g_string_truncate(out, 0);
    return text;
}

static void assert_transcript(Toy *t, const char *const *lines, const char *want)
{
    g_autofree char *got = run_lines(t, lines);
    ck_assert_msg(strcmp(got, want) == 0, "got:\n%s\nwant:\n%s", got, want);
}

START_TEST(test_routing_like_redis_cli_c)
{
    ck_assert_int_eq(rc_key_hash_slot("foo", 3), 12182);
    ck_assert_int_eq(rc_key_hash_slot("bar", 3), 5061);
    Toy *t = toy_new();
    g_autofree char *p0 = sim_console_prompt(t->con);
    ck_assert_str_eq(p0, "127.0.0.1:30001> ");
    const char *lines[] = {"SET foo hello", "GET foo", "GET bar", "GET foo", NULL};
    assert_transcript(t, lines,
                      "-> Redirected to slot [12182] located at 127.0.0.1:30003\n"
                      "OK\n"
                      "\"hello\"\n"
                      "-> Redirected to slot [5061] located at 127.0.0.1:30001\n"
                      "(nil)\n"
                      "-> Redirected to slot [12182] located at 127.0.0.1:30003\n"
                      "\"hello\"\n");
    g_autofree char *p1 = sim_console_prompt(t->con);
    ck_assert_str_eq(p1, "127.0.0.1:30003> ");
    /* each request took 1 ms of virtual time */
    ck_assert_int_eq(sim_kernel_now(t->k), 7 * RC_US_PER_MS);
    toy_free(t);
}
END_TEST

START_TEST(test_ask_sends_asking_first)
{
    Toy *t = toy_new();
    g_hash_table_replace(t->store, g_strdup("migrating"), g_strdup("moving"));
    const char *lines[] = {".use n2", "GET migrating", NULL};
    assert_transcript(t, lines,
                      "-> Redirected to slot [7346] located at 127.0.0.1:30003\n"
                      "\"moving\"\n");
    ck_assert_uint_eq(sim_console_current(t->con), 2);
    toy_free(t);
}
END_TEST

START_TEST(test_redirections_are_capped)
{
    Toy *t = toy_new();
    const char *lines[] = {"GET loop", NULL};
    g_autofree char *got = run_lines(t, lines);
    g_auto(GStrv) out = g_strsplit(got, "\n", -1);
    ck_assert_uint_eq(g_strv_length(out), SIM_CONSOLE_REDIRECTS_MAX + 2);
    for (int i = 0; i < SIM_CONSOLE_REDIRECTS_MAX; i++) {
        g_autofree char *want = g_strdup_printf(
            "-> Redirected to slot [1081] located at 127.0.0.1:%d", 30001 + (i + 1) % N_TOY);
        ck_assert_str_eq(out[i], want);
    }
    /* after 16 hops the console is on n2 (16 % 3 == 1), which points at n3 */
    ck_assert_str_eq(out[SIM_CONSOLE_REDIRECTS_MAX], "(error) MOVED 1081 127.0.0.1:30003");
    toy_free(t);
}
END_TEST

START_TEST(test_replies_and_odd_answers)
{
    Toy *t = toy_new();
    const char *lines[] = {"LIST", "ELSEWHERE", "NOPE x", "quux", ".nodes", NULL};
    assert_transcript(t, lines,
                      "1) \"a\"\n"
                      "2) 1) (integer) 1\n"
                      "   2) (nil)\n"
                      "(error) MOVED 1 10.9.9.9:6379\n"
                      "(error) ERR unknown command 'NOPE'\n"
                      "(error) ERR unknown command 'quux'\n"
                      "id1 127.0.0.1:30001 myself\n"
                      "id2\n");
    toy_free(t);
}
END_TEST

/* INFO, CLUSTER INFO and CLUSTER NODES print raw, as redis-cli prints them on a terminal:
 * the bulk's bytes (CRLFs kept), nothing added after them, so a text without a final newline
 * (the toy's CLUSTER NODES) runs into the next reply; errors raw are "<text>\n"; an empty
 * bulk prints nothing. Other commands keep the quoted format. */
START_TEST(test_raw_replies_like_redis_cli)
{
    Toy *t = toy_new();
    const char *lines[] = {"CLUSTER INFO",  "INFO",    "INFO bogus",     "cluster info",
                           "CLUSTER NODES", "GET bar", "CLUSTER INFO x", NULL};
    assert_transcript(t, lines,
                      "cluster_state:ok\r\ncluster_known_nodes:3\r\n"
                      "# Server\r\nredis_version:7.0.15\r\n"
                      "ERR unknown command 'cluster'\n"
                      "id1 127.0.0.1:30001 myself\nid2"
                      "(nil)\n"
                      "(error) ERR unknown command 'CLUSTER'\n");
    toy_free(t);
}
END_TEST

START_TEST(test_timeout_in_virtual_time)
{
    Toy *t = toy_new();
    const char *lines[] = {"SLOW", NULL};
    assert_transcript(t, lines, "(error) timeout after 5000 ms of virtual time\n");
    ck_assert_int_eq(sim_kernel_now(t->k), SIM_CONSOLE_REPLY_TIMEOUT_US);
    ck_assert_uint_eq(t->drops, 1);
    /* the next command works on a fresh connection */
    const char *again[] = {"GET bar", NULL};
    assert_transcript(t, again, "(nil)\n");
    toy_free(t);
}
END_TEST

START_TEST(test_connection_failures)
{
    Toy *t = toy_new();
    const char *lines[] = {"RESETME", "BADPROTO", "GET bar", NULL};
    g_autofree char *got = run_lines(t, lines);
    g_auto(GStrv) out = g_strsplit(got, "\n", -1);
    ck_assert_uint_eq(g_strv_length(out), 4);
    ck_assert_str_eq(out[0], "Error: Connection reset by peer");
    ck_assert_msg(g_str_has_prefix(out[1], "Error: resp: "), "%s", out[1]);
    ck_assert_str_eq(out[2], "(nil)");
    ck_assert_uint_eq(t->drops, 1); /* the malformed reply dropped the connection */
    toy_free(t);
}
END_TEST

START_TEST(test_faults_and_logs)
{
    Toy *t = toy_new();
    const char *lines[] = {".crash n2", "GET bar", ".use n2", "GET migrating", ".advance 5s", NULL};
    assert_transcript(
        t, lines,
        "(nil)\n"
        "Could not connect to Redis at 127.0.0.1:30002: Connection refused\n"
        "n1 1001:M 01 Jan 2026 00:00:01.500 . *** NODE id2 possibly failing\n"
        "n3 1003:S 01 Jan 2026 00:00:02.250 * Marking node id2 as failing (quorum reached).\n");
    ck_assert_int_eq(sim_kernel_now(t->k), 5 * RC_US_PER_S + 1200);
    ck_assert_str_eq(t->events->str, "crash n2;");

    /* at debug level the node's own lines show, and no synthesized PFAIL line */
    sim_console_set_loglevel(t->con, RC_LOG_DEBUG);
    const char *again[] = {".restart n2", ".crash n2", ".advance 3s", NULL};
    assert_transcript(
        t, again,
        "n1 1001:M 01 Jan 2026 00:00:06.501 . debug noise\n"
        "n3 1003:S 01 Jan 2026 00:00:07.251 * Marking node id2 as failing (quorum reached).\n"
        "n3 1003:S 01 Jan 2026 00:00:07.251 - verbose noise\n");
    toy_free(t);
}
END_TEST

START_TEST(test_fault_state_errors)
{
    Toy *t = toy_new();
    const char *lines[] = {".crash n1",
                           ".crash n1",
                           ".pause n1",
                           ".restart n2",
                           ".resume n2",
                           ".pause n2",
                           ".pause n2",
                           ".crash n9",
                           "SET k \"v",
                           ".bogus",
                           ".resume n2",
                           ".restart n1",
                           ".partition n1 | rest",
                           ".partition {n1,n2} | n3",
                           ".heal",
                           NULL};
    assert_transcript(t, lines,
                      "error: .crash: n1 is already down\n"
                      "error: .pause: n1 is down\n"
                      "error: .restart: n2 is not down (see .crash)\n"
                      "error: .resume: n2 is not paused\n"
                      "error: .pause: n2 is already paused\n"
                      "error: .crash: unknown node 'n9'\n"
                      "Invalid argument(s)\n"
                      "error: unknown command '.bogus' (see .help)\n");
    ck_assert_str_eq(t->events->str, "crash n1;pause n2;resume n2;restart n1;"
                                     "partition n1 | n2,n3;partition n1,n2 | n3;heal;");
    toy_free(t);
}
END_TEST

START_TEST(test_pause_holds_the_reply)
{
    Toy *t = toy_new();
    const char *lines[] = {".pause n1", "GET bar", ".resume n1", ".advance 1s",
                           "SET bar 1", "GET bar", NULL};
    /* the reply held by the pause comes after the console gave up: it is not printed */
    assert_transcript(t, lines,
                      "(error) timeout after 5000 ms of virtual time\n"
                      "OK\n"
                      "\"1\"\n");
    toy_free(t);
}
END_TEST

typedef struct {
    guint calls;
    GString *seen;
} Flushed;

static void on_flush(GString *out, gpointer user)
{
    Flushed *f = user;
    f->calls++;
    g_string_append_len(f->seen, out->str, (gssize)out->len);
    g_string_truncate(out, 0);
}

/* A long .advance hands its output over slice by slice, each log line once, in order. */
START_TEST(test_flush_per_slice)
{
    Toy *t = toy_new();
    Flushed f = {.seen = g_string_new(NULL)};
    sim_console_set_flush(t->con, on_flush, &f);
    ck_assert(sim_console_exec(t->con, ".crash n2"));
    guint before = f.calls;
    ck_assert(sim_console_exec(t->con, ".advance 5s"));
    ck_assert_uint_eq(f.calls - before, 5 * RC_US_PER_S / SIM_CONSOLE_SLICE_US);
    ck_assert_str_eq(f.seen->str,
                     "n1 1001:M 01 Jan 2026 00:00:01.500 . *** NODE id2 possibly failing\n"
                     "n3 1003:S 01 Jan 2026 00:00:02.250 * Marking node id2 as failing (quorum "
                     "reached).\n");
    ck_assert_uint_eq(sim_console_output(t->con)->len, 0);
    g_string_free(f.seen, TRUE);
    toy_free(t);
}
END_TEST

START_TEST(test_help_and_quit)
{
    Toy *t = toy_new();
    ck_assert(sim_console_exec(t->con, ".help"));
    ck_assert(strstr(sim_console_output(t->con)->str, ".partition <g> | <g>") != NULL);
    ck_assert(sim_console_exec(t->con, "# a comment"));
    ck_assert(sim_console_exec(t->con, ""));
    ck_assert(!sim_console_exec(t->con, ".quit"));
    ck_assert(!sim_console_exec(t->con, "quit"));
    ck_assert(!sim_console_exec(t->con, "EXIT"));
    ck_assert(sim_console_exec(t->con, "quit now")); /* not redis-cli's quit: sent */
    toy_free(t);
}
END_TEST

Suite *console_suite(void);
Suite *console_suite(void)
{
    Suite *s = suite_create("console");
    TCase *tc = tcase_create("session");
    tcase_add_test(tc, test_routing_like_redis_cli_c);
    tcase_add_test(tc, test_ask_sends_asking_first);
    tcase_add_test(tc, test_redirections_are_capped);
    tcase_add_test(tc, test_replies_and_odd_answers);
    tcase_add_test(tc, test_raw_replies_like_redis_cli);
    tcase_add_test(tc, test_timeout_in_virtual_time);
    tcase_add_test(tc, test_connection_failures);
    tcase_add_test(tc, test_faults_and_logs);
    tcase_add_test(tc, test_fault_state_errors);
    tcase_add_test(tc, test_pause_holds_the_reply);
    tcase_add_test(tc, test_help_and_quit);
    tcase_add_test(tc, test_flush_per_slice);
    suite_add_tcase(s, tc);
    return s;
}
