/* The cluster client against scripted servers on the simulated network: MOVED updates the
 * map and triggers a refresh, ASK is followed with ASKING once, TRYAGAIN and CLUSTERDOWN are
 * retried exactly the backoff after the error, a silent server gives an indeterminate (info) result
 * after the timeouts, a refused connection a definite failure, and WAIT below the wanted count
 * info. A slot map refresh asks first the node that last answered, and not again once it failed
 * to answer one. */
#include <check.h>
#include <string.h>

#include "core/keyslot.h"
#include "sim/client.h"
#include "sim/kernel.h"
#include "sim/net.h"

#define NSERVERS 3

typedef enum {
    MODE_MOVED,       /* s1 answers MOVED to s2 */
    MODE_ASK,         /* s1 answers ASK to s3; s3 wants ASKING first */
    MODE_TRYAGAIN,    /* s1 answers TRYAGAIN twice, then OK */
    MODE_CLUSTERDOWN, /* s1 always CLUSTERDOWN */
    MODE_SILENT,      /* s1 never answers the command */
    MODE_WAIT,        /* s1 answers OK, then WAIT -> 0 */
} Mode;

typedef struct {
    SimKernel *k;
    SimNet *net;
    Mode mode;
    guint32 hosts[NSERVERS];
    guint slots_requests;
    guint slots_requests_at[NSERVERS];
    guint silent;   /* bit i: server i answers nothing (a paused process) */
    guint slots_on; /* the server CLUSTER SLOTS names as every slot's owner */
    guint commands[NSERVERS];
    gboolean asking[NSERVERS]; /* the last request on that server was ASKING */
    gboolean asked_before_cmd;
    SimReplyReader *rd[16];
    SimConnId conns[16];
    guint nconns;
    SimClientResult result;
    gboolean done;
    RcTime done_at;
    RcTime cmd_at[8]; /* when each command reached s1 (and s1 answered it at once) */
} Fixture;

static void reply(Fixture *f, SimConnId c, const char *text)
{
    sim_net_send(f->net, c, text, strlen(text));
}

static void serve(Fixture *f, SimConnId conn, guint server, const SimReply *req)
{
    ck_assert_int_eq(req->type, SIM_REPLY_ARRAY);
    const char *cmd = req->elements[0]->str;
    if (strcmp(cmd, "CLUSTER") == 0) {
        f->slots_requests++;
        f->slots_requests_at[server]++;
    }
    if (f->silent & (1u << server))
        return;
    if (strcmp(cmd, "CLUSTER") == 0) {
        /* every slot on one server (s1 unless the test moved them) */
        g_autofree char *r = g_strdup_printf(
            "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:%u\r\n", 30001 + f->slots_on);
        reply(f, conn, r);
        return;
    }
    if (strcmp(cmd, "ASKING") == 0) {
        f->asking[server] = TRUE;
        reply(f, conn, "+OK\r\n");
        return;
    }
    gboolean asked = f->asking[server];
    f->asking[server] = FALSE;
    if (strcmp(cmd, "WAIT") == 0) {
        reply(f, conn, ":0\r\n");
        return;
    }
    if (server == 0 && f->commands[0] < G_N_ELEMENTS(f->cmd_at))
        f->cmd_at[f->commands[0]] = sim_kernel_now(f->k);
    f->commands[server]++;
    if (server != 0) {
        if (f->mode == MODE_ASK)
            f->asked_before_cmd = asked;
        reply(f, conn, "+OK\r\n");
        return;
    }
    switch (f->mode) {
    case MODE_MOVED:
        reply(f, conn, "-MOVED 12182 127.0.0.1:30002\r\n");
        break;
    case MODE_ASK:
        reply(f, conn, "-ASK 12182 127.0.0.1:30003\r\n");
        break;
    case MODE_TRYAGAIN:
        reply(f, conn,
              f->commands[0] <= 2 ? "-TRYAGAIN Multiple keys request during rehashing of slot\r\n"
                                  : "+OK\r\n");
        break;
    case MODE_CLUSTERDOWN:
        reply(f, conn, "-CLUSTERDOWN The cluster is down\r\n");
        break;
    case MODE_SILENT:
        break;
    case MODE_WAIT:
        reply(f, conn, "+OK\r\n");
        break;
    }
}

static guint server_of(Fixture *f, SimConnId conn)
{
    guint32 h = sim_net_conn_host(f->net, conn);
    for (guint i = 0; i < NSERVERS; i++)
        if (f->hosts[i] == h)
            return i;
    ck_abort_msg("unknown server host");
    return 0;
}

static void srv_data(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user)
{
    Fixture *f = user;
    guint slot = 0;
    while (slot < f->nconns && f->conns[slot] != conn)
        slot++;
    ck_assert_uint_lt(slot, f->nconns);
    sim_reply_reader_feed(f->rd[slot], data, len);
    SimReply *req;
    while ((req = sim_reply_reader_pop(f->rd[slot], NULL)) != NULL) {
        serve(f, conn, server_of(f, conn), req);
        sim_reply_free(req);
    }
}

static const SimConnHandler srv_handler = {NULL, srv_data, NULL};

static void srv_accept(SimNet *net, SimConnId conn, guint32 host, guint16 port, const char *peer_ip,
                       guint16 peer_port, gpointer user)
{
    Fixture *f = user;
    ck_assert_uint_lt(f->nconns, G_N_ELEMENTS(f->conns));
    f->conns[f->nconns] = conn;
    f->rd[f->nconns] = sim_reply_reader_new();
    f->nconns++;
    sim_net_conn_set_handler(net, conn, &srv_handler, f);
}

static void on_done(SimClient *c, SimClientResult *res, gpointer user)
{
    Fixture *f = user;
    f->result = *res;
    f->result.reply = res->reply;
    f->result.error = g_strdup(res->error);
    res->reply = NULL; /* keep it */
    f->done = TRUE;
    f->done_at = sim_kernel_now(f->k);
}

/* Servers s1..s3 on 127.0.0.1:30001..30003 (s3 listens only when `third`), one client with
 * `backoff_us` before a retry. The network's latency is its default, a constant 100 us. */
static SimClient *setup_backoff(Fixture *f, Mode mode, gboolean third, guint retries, guint wait,
                                RcTime backoff_us)
{
    memset(f, 0, sizeof *f);
    f->mode = mode;
    f->k = sim_kernel_new(1);
    f->net = sim_net_new(f->k);
    SimNodeAddr addrs[NSERVERS];
    for (guint i = 0; i < NSERVERS; i++) {
        g_autofree char *name = g_strdup_printf("s%u", i + 1);
        f->hosts[i] = sim_net_add_host(f->net, name, "127.0.0.1");
        g_strlcpy(addrs[i].ip, "127.0.0.1", sizeof addrs[i].ip);
        addrs[i].port = (guint16)(30001 + i);
        if (i < 2 || third)
            ck_assert(sim_net_listen(f->net, f->hosts[i], addrs[i].port, srv_accept, f, NULL));
    }
    guint32 ch = sim_net_add_host(f->net, "c1", "10.0.0.1");
    SimClientConfig cfg = {.timeout_us = 500 * RC_US_PER_MS,
                           .retries = retries,
                           .backoff_us = backoff_us,
                           .wait_replicas = wait,
                           .wait_timeout_ms = 10};
    return sim_client_new(f->net, ch, 0, &cfg, addrs, NSERVERS, 0);
}

static SimClient *setup(Fixture *f, Mode mode, gboolean third, guint retries, guint wait)
{
    return setup_backoff(f, mode, third, retries, wait, 100 * RC_US_PER_MS);
}

static void request(Fixture *f, SimClient *c)
{
    const char *argv[] = {"SET", "foo", "v1"}; /* slot 12182 */
    f->done = FALSE;
    sim_client_request(c, 3, argv, "foo", TRUE, on_done, f);
    sim_kernel_run(f->k, sim_kernel_now(f->k) + 60 * RC_US_PER_S, 0);
    ck_assert(f->done);
}

static void teardown(Fixture *f, SimClient *c)
{
    sim_client_free(c);
    sim_client_result_clear(&f->result);
    for (guint i = 0; i < f->nconns; i++)
        sim_reply_reader_free(f->rd[i]);
    sim_net_free(f->net);
    sim_kernel_free(f->k);
}

START_TEST(test_key_slot)
{
    ck_assert_uint_eq(sim_key_slot("foo", 3), 12182);
    ck_assert_uint_eq(sim_key_slot("123456789", 9), 12739);
    ck_assert_uint_eq(sim_key_slot("{user1000}.following", 20), 3443);
    ck_assert_uint_eq(sim_key_slot("foo{}{bar}", 10), 8363);
    ck_assert_uint_eq(sim_key_slot("foo{{bar}}zap", 13), 4015);
    ck_assert_uint_eq(sim_key_slot("", 0), 0);
    /* the client's table-driven CRC16 agrees with the server's for every workload key and
     * for keys of every byte value */
    char key[32];
    for (guint i = 0; i < 20000; i++) {
        g_snprintf(key, sizeof key, "k%u", i);
        ck_assert_int_eq((gint)sim_key_slot(key, strlen(key)), rc_key_hash_slot(key, strlen(key)));
    }
    for (guint b = 0; b < 256; b++) {
        guint8 raw[3] = {(guint8)b, (guint8)(255 - b), (guint8)(b * 7)};
        ck_assert_int_eq((gint)sim_key_slot((const char *)raw, 3), rc_key_hash_slot(raw, 3));
    }
}
END_TEST

START_TEST(test_moved_updates_the_map_and_refreshes)
{
    Fixture f;
    SimClient *c = setup(&f, MODE_MOVED, TRUE, 3, 0);
    request(&f, c);
    ck_assert_int_eq(f.result.type, SIM_OP_OK);
    ck_assert_int_eq(f.result.node, 1);
    ck_assert_uint_eq(f.result.redirects, 1);
    ck_assert_uint_eq(f.slots_requests, 1);
    ck_assert_int_eq(sim_client_slot_node(c, 12182), 1);
    /* the map is stale after MOVED: the next request refreshes it first */
    sim_client_result_clear(&f.result);
    request(&f, c);
    ck_assert_uint_eq(f.slots_requests, 2);
    teardown(&f, c);
}
END_TEST

START_TEST(test_ask_is_followed_with_asking_once)
{
    Fixture f;
    SimClient *c = setup(&f, MODE_ASK, TRUE, 3, 0);
    request(&f, c);
    ck_assert_int_eq(f.result.type, SIM_OP_OK);
    ck_assert_int_eq(f.result.node, 2);
    ck_assert(f.asked_before_cmd);
    /* ASK does not change the map */
    ck_assert_int_eq(sim_client_slot_node(c, 12182), 0);
    ck_assert_uint_eq(f.commands[2], 1);
    teardown(&f, c);
}
END_TEST

START_TEST(test_tryagain_is_retried_after_backoff)
{
    Fixture f;
    SimClient *c = setup(&f, MODE_TRYAGAIN, TRUE, 3, 0);
    request(&f, c);
    ck_assert_int_eq(f.result.type, SIM_OP_OK);
    ck_assert_uint_eq(f.result.attempts, 3);
    ck_assert_int_ge(f.done_at, 2 * 100 * RC_US_PER_MS);
    teardown(&f, c);
}
END_TEST

START_TEST(test_clusterdown_fails_after_retries)
{
    Fixture f;
    SimClient *c = setup(&f, MODE_CLUSTERDOWN, TRUE, 2, 0);
    request(&f, c);
    ck_assert_int_eq(f.result.type, SIM_OP_FAIL);
    ck_assert_str_eq(f.result.error, "CLUSTERDOWN The cluster is down");
    ck_assert_uint_eq(f.result.attempts, 3);
    ck_assert_uint_eq(f.commands[0], 3);
    teardown(&f, c);
}
END_TEST

/* The retry after TRYAGAIN or CLUSTERDOWN leaves exactly `client-backoff` after the error
 * reached the client, in virtual time: with a constant 100 us each way, the server sees
 * attempts backoff + 200 us apart, and the last error reaches the client 100 us after its
 * attempt arrived. */
START_TEST(test_retry_waits_exactly_the_backoff)
{
    static const Mode modes[] = {MODE_TRYAGAIN, MODE_CLUSTERDOWN};
    static const RcTime backoffs[] = {250 * RC_US_PER_MS, 1300 * RC_US_PER_MS};
    for (gsize m = 0; m < G_N_ELEMENTS(modes); m++)
        for (gsize b = 0; b < G_N_ELEMENTS(backoffs); b++) {
            Fixture f;
            SimClient *c = setup_backoff(&f, modes[m], TRUE, 2, 0, backoffs[b]);
            request(&f, c);
            ck_assert_uint_eq(f.commands[0], 3);
            ck_assert_int_eq(f.result.type, modes[m] == MODE_TRYAGAIN ? SIM_OP_OK : SIM_OP_FAIL);
            for (guint k = 1; k < 3; k++)
                ck_assert_int_eq(f.cmd_at[k] - f.cmd_at[k - 1], backoffs[b] + 200);
            ck_assert_int_eq(f.done_at - f.cmd_at[2], 100);
            teardown(&f, c);
        }
}
END_TEST

START_TEST(test_silent_server_gives_info)
{
    Fixture f;
    SimClient *c = setup(&f, MODE_SILENT, TRUE, 1, 0);
    request(&f, c);
    ck_assert_int_eq(f.result.type, SIM_OP_INFO);
    ck_assert_str_eq(f.result.error, "timeout");
    ck_assert_uint_eq(f.result.attempts, 2);
    /* two attempts of 500 ms and one backoff of 100 ms */
    ck_assert_int_ge(f.done_at, 1100 * RC_US_PER_MS);
    teardown(&f, c);
}
END_TEST

START_TEST(test_refused_is_a_definite_failure)
{
    Fixture f;
    SimClient *c = setup(&f, MODE_ASK, FALSE, 0, 0); /* s3 does not listen */
    request(&f, c);
    ck_assert_int_eq(f.result.type, SIM_OP_FAIL);
    ck_assert_str_eq(f.result.error, "connection refused");
    teardown(&f, c);
}
END_TEST

START_TEST(test_wait_below_count_is_info)
{
    Fixture f;
    SimClient *c = setup(&f, MODE_WAIT, TRUE, 0, 1);
    request(&f, c);
    ck_assert_int_eq(f.result.type, SIM_OP_INFO);
    ck_assert_str_eq(f.result.error, "WAIT: 0 of 1 replicas");
    teardown(&f, c);
}
END_TEST

/* A client whose first request went CLUSTER SLOTS from s1, SET to s1, MOVED, SET to s2: s2
 * is now the node that answered its host last, and its map is stale. */
static SimClient *served_by_s2_after_moved(Fixture *f)
{
    SimClient *c = setup(f, MODE_MOVED, TRUE, 3, 0);
    request(f, c);
    ck_assert_int_eq(f->result.node, 1);
    sim_client_result_clear(&f->result);
    return c;
}

/* After a MOVED from s1 to s2, s1 stops answering and the slots move to s2 (s1 paused and
 * failed over): the stale map is refreshed through s2, the node that answered last, at once,
 * instead of waiting out a timeout on s1, the node this process asked last time. */
START_TEST(test_refresh_asks_the_node_that_answered_last)
{
    Fixture f;
    SimClient *c = served_by_s2_after_moved(&f);
    ck_assert_uint_eq(f.slots_requests_at[0], 1);

    f.silent = 1u << 0;
    f.slots_on = 1;
    RcTime start = sim_kernel_now(f.k);
    request(&f, c);
    ck_assert_int_eq(f.result.type, SIM_OP_OK);
    ck_assert_int_eq(f.result.node, 1);
    ck_assert_uint_eq(f.result.attempts, 1);
    ck_assert_uint_eq(f.slots_requests_at[0], 1); /* s1 not asked again */
    ck_assert_uint_eq(f.slots_requests_at[1], 1);
    ck_assert_int_lt(f.done_at - start, 10 * RC_US_PER_MS);
    teardown(&f, c);
}
END_TEST

/* The node that answered last stops answering too: its CLUSTER SLOTS times out once, and the
 * next attempt asks the node after it (s3) rather than waiting on it again. */
START_TEST(test_refresh_moves_on_from_a_silent_last_node)
{
    Fixture f;
    SimClient *c = served_by_s2_after_moved(&f);

    f.silent = (1u << 0) | (1u << 1);
    f.slots_on = 2;
    request(&f, c);
    ck_assert_int_eq(f.result.type, SIM_OP_OK);
    ck_assert_int_eq(f.result.node, 2);
    ck_assert_uint_eq(f.result.attempts, 2);
    ck_assert_uint_eq(f.slots_requests_at[1], 1); /* one timeout on s2, then s3 */
    ck_assert_uint_eq(f.slots_requests_at[2], 1);
    teardown(&f, c);
}
END_TEST

Suite *client_net_suite(void);
Suite *client_net_suite(void)
{
    Suite *s = suite_create("client_net");
    TCase *tc = tcase_create("redirects");
    tcase_add_test(tc, test_key_slot);
    tcase_add_test(tc, test_moved_updates_the_map_and_refreshes);
    tcase_add_test(tc, test_ask_is_followed_with_asking_once);
    tcase_add_test(tc, test_tryagain_is_retried_after_backoff);
    tcase_add_test(tc, test_clusterdown_fails_after_retries);
    tcase_add_test(tc, test_retry_waits_exactly_the_backoff);
    tcase_add_test(tc, test_silent_server_gives_info);
    tcase_add_test(tc, test_refused_is_a_definite_failure);
    tcase_add_test(tc, test_wait_below_count_is_info);
    tcase_add_test(tc, test_refresh_asks_the_node_that_answered_last);
    tcase_add_test(tc, test_refresh_moves_on_from_a_silent_last_node);
    suite_add_tcase(s, tc);
    return s;
}
