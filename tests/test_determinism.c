/* Determinism: one seed, one fingerprint; another seed, another. */
#include <check.h>

#include <string.h>

#include "sim/host.h"
#include "tests/det_workload.h"

START_TEST(test_same_seed_same_hash)
{
    DetConfig cfg = {42, 40, 300 * RC_US_PER_S, NULL};
    guint64 e1, e2, e3;
    SimNetStats st;
    g_autofree char *a = det_workload_run(&cfg, &e1, &st);
    g_autofree char *b = det_workload_run(&cfg, &e2, NULL);
    ck_assert_str_eq(a, b);
    ck_assert_uint_eq(e1, e2);
    ck_assert_uint_gt(e1, 10000); /* the workload really ran, faults included */
    ck_assert_uint_gt(st.refused, 0);
    ck_assert_uint_gt(st.connect_timeouts, 0);
    ck_assert_uint_gt(st.resets, 0);
    cfg.seed = 43;
    g_autofree char *c = det_workload_run(&cfg, &e3, NULL);
    ck_assert_str_ne(a, c);
}
END_TEST

/* Real nodes: six RcNodes meet, then a partition, a crash and restart, a pause, a clock
 * step. The whole world's fingerprint must repeat for a seed and differ across seeds. */
static void send_cmd(SimNet *net, SimConnId conn, const char *words)
{
    g_auto(GStrv) argv = g_strsplit(words, " ", -1);
    GString *s = g_string_new("");
    g_string_append_printf(s, "*%u\r\n", g_strv_length(argv));
    for (guint i = 0; argv[i] != NULL; i++)
        g_string_append_printf(s, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    sim_net_send(net, conn, s->str, s->len);
    g_string_free(s, TRUE);
}

static void count_events(guint32 node, RcTime now_us, const RcAction *a, gpointer user)
{
    (void)node;
    (void)now_us;
    if (a->kind == RC_ACT_EVENT)
        (*(guint64 *)user)++;
}

static char *world_run(guint64 seed, guint64 *events)
{
    SimWorld *w = sim_cluster_new(seed, 6, NULL, NULL);
    SimNet *net = sim_world_net(w);
    guint64 node_events = 0;
    sim_world_set_observer(w, count_events, &node_events);
    guint32 admin = sim_world_add_client_host(w, "admin", "10.9.0.1");
    sim_world_run(w, 50000, 0);
    static const SimConnHandler quiet = {NULL, NULL, NULL};
    SimConnId c = sim_net_connect(net, admin, "127.0.0.1", 30001, &quiet, NULL);
    sim_world_run(w, 60000, 0);
    for (guint i = 2; i <= 6; i++) {
        g_autofree char *cmd = g_strdup_printf("CLUSTER MEET 127.0.0.1 %u", 30000 + i);
        send_cmd(net, c, cmd);
    }
    sim_world_run(w, 10 * RC_US_PER_S, 0);
    g_autoptr(SimHostSet) minority = sim_host_set_parse(net, "n1,n2", NULL);
    const SimHostSet *groups[] = {minority};
    SimCutId cut = sim_net_partition(net, groups, 1);
    sim_world_run(w, 30 * RC_US_PER_S, 0);
    sim_net_heal(net, cut);
    sim_world_crash(w, 3);
    sim_world_pause(w, 4);
    sim_net_host_set_clock(net, sim_world_node_host(w, 5), 3 * RC_US_PER_S, 500);
    sim_world_run(w, 40 * RC_US_PER_S, 0);
    sim_world_restart(w, 3);
    sim_world_resume(w, 4);
    sim_world_run(w, 60 * RC_US_PER_S, 0);
    *events = sim_kernel_events(sim_world_kernel(w));
    char *sha = sim_trace_sha256(sim_kernel_trace(sim_world_kernel(w)));
    ck_assert_uint_gt(node_events, 0); /* the nodes really did cluster things */
    sim_world_free(w);
    return sha;
}

START_TEST(test_world_same_seed_same_hash)
{
    guint64 e1, e2, e3;
    g_autofree char *a = world_run(7, &e1);
    g_autofree char *b = world_run(7, &e2);
    g_autofree char *c = world_run(8, &e3);
    ck_assert_str_eq(a, b);
    ck_assert_uint_eq(e1, e2);
    ck_assert_uint_gt(e1, 5000);
    ck_assert_str_ne(a, c);
}
END_TEST

Suite *determinism_suite(void);
Suite *determinism_suite(void)
{
    Suite *s = suite_create("determinism");
    TCase *tc = tcase_create("workload");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_same_seed_same_hash);
    tcase_add_test(tc, test_world_same_seed_same_hash);
    suite_add_tcase(s, tc);
    return s;
}
