/* The scenario parser: a table of malformed files, each with its exact error, and the
 * meaning of well-formed ones (defaults, overrides, every nemesis form). */
#include <check.h>
#include <string.h>

#include "sim/scenario.h"

typedef struct {
    const char *text;
    const char *overrides[3];
    const char *error;
} BadCase;

static const BadCase bad_cases[] = {
    {"nodetimeout 5\n", {NULL}, "t.scn:1: nodetimeout: unknown parameter or statement"},
    {"masters 3\nmasters 4\n", {NULL}, "t.scn:2: masters: set twice (first on line 1)"},
    {"masters\n", {NULL}, "t.scn:1: masters: expected a value"},
    {"masters 3 4\n", {NULL}, "t.scn:1: masters: expected one value, got 2"},
    {"masters three\n", {NULL}, "t.scn:1: masters: expected an integer, got 'three'"},
    {"masters 0\n", {NULL}, "t.scn:1: masters: 0 is out of range [1, 1000]"},
    {"# c\n\nnode-timeout -5\n", {NULL}, "t.scn:3: node-timeout: -5 is out of range [1, 3600000]"},
    {"require-full-coverage maybe\n",
     {NULL},
     "t.scn:1: require-full-coverage: expected yes or no, got 'maybe'"},
    {"duration 10 s\n", {NULL}, "t.scn:1: duration: expected one value, got 2"},
    {"duration 10h\n",
     {NULL},
     "t.scn:1: duration: expected a time such as 500ms or 10s (a bare number is ms), got '10h'"},
    {"workload queue\n",
     {NULL},
     "t.scn:1: workload: expected one of set, register, counter, got 'queue'"},
    {"latency gaussian 1ms\n",
     {NULL},
     "t.scn:1: latency: unknown shape 'gaussian' (constant, uniform, normal, lognormal)"},
    {"latency uniform 1ms\n", {NULL}, "t.scn:1: latency: uniform takes 2 times, got 1"},
    {"latency uniform 2ms 1ms\n",
     {NULL},
     "t.scn:1: latency: uniform: the minimum is above the maximum"},
    {"rate 0\n", {NULL}, "t.scn:1: rate: 0 is out of range [0.001, 1e+06]"},
    {"read-ratio 1.5\n", {NULL}, "t.scn:1: read-ratio: 1.5 is out of range [0, 1]"},
    {"tcp-syn-linear-timeouts 17\n",
     {NULL},
     "t.scn:1: tcp-syn-linear-timeouts: 17 is out of range [0, 16]"},
    {"clients-near n9\n", {NULL}, "t.scn:1: clients-near: 'n9': there are only 6 nodes (n1..n6)"},
    {"ci-seeds 5..1\n",
     {NULL},
     "t.scn:1: ci-seeds: expected seeds FIRST..LAST or one seed, got '5..1'"},
    {"masters 600\nreplicas 1\n",
     {NULL},
     "t.scn:2: replicas: 600 masters with 1 replicas each exceed 1000 nodes"},
    {"wait-replicas 2\n",
     {NULL},
     "t.scn:1: wait-replicas: 2 is more than the 1 replicas per master"},
    {"at ten partition isolate n1\n",
     {NULL},
     "t.scn:1: at: expected a time such as 10s or 500ms, got 'ten'"},
    {"at 10s\n", {NULL}, "t.scn:1: nemesis: expected an operation after the schedule"},
    {"at 10s explode n1\n",
     {NULL},
     "t.scn:1: nemesis: unknown operation 'explode' (partition, heal, crash, restart, pause, "
     "resume, skew, failover, reshard)"},
    {"at 10s partition isolate n7\n",
     {NULL},
     "t.scn:1: partition: 'n7': there are only 6 nodes (n1..n6)"},
    {"at 10s partition isolate n1 with-friends\n",
     {NULL},
     "t.scn:1: partition: expected 'with-clients', got 'with-friends'"},
    {"at 10s partition isolate c1\n", {NULL}, "t.scn:1: partition: isolate: 'c1' is not a node"},
    {"at 10s partition n1,n2\n",
     {NULL},
     "t.scn:1: partition: expected at least two groups separated by '|'"},
    {"at 10s partition n1 | n1,n2\n", {NULL}, "t.scn:1: partition: 'n1' is in two groups"},
    {"at 10s partition n1 | rest | rest\n",
     {NULL},
     "t.scn:1: partition: 'rest' may appear in one group only"},
    {"at 10s partition n1 | \n", {NULL}, "t.scn:1: partition: group 2 is empty"},
    {"at 10s partition one-way n1 -> n2 -> n3\n",
     {NULL},
     "t.scn:1: partition: one-way takes exactly 'FROM -> TO'"},
    {"at 10s partition isolate x9\n",
     {NULL},
     "t.scn:1: partition: unknown host 'x9' (expected n<i>, c<i>, primary:<shard>, "
     "replica:<shard>, random-node, random-primary, random-replica, clients-of:n<i> or rest)"},
    {"at 10s crash primary:4\n", {NULL}, "t.scn:1: crash: 'primary:4': there are only 3 shards"},
    {"at 10s crash\n", {NULL}, "t.scn:1: crash: expected at least one node"},
    {"at 10s heal n1\n", {NULL}, "t.scn:1: heal: takes no arguments, got 'n1'"},
    {"at 10s skew n1 soon\n",
     {NULL},
     "t.scn:1: skew: expected an offset like +500ms or -2s, got 'soon'"},
    {"at 10s failover n1\n", {NULL}, "t.scn:1: failover: 'n1' starts as a master; name a replica"},
    {"at 10s failover n4 now\n",
     {NULL},
     "t.scn:1: failover: expected force or takeover, got 'now'"},
    {"at 10s reshard 100-20000 n1 n2\n",
     {NULL},
     "t.scn:1: reshard: '100-20000' is not a slot range within 0-16383"},
    {"at 10s reshard 0-10 n2 n2\n",
     {NULL},
     "t.scn:1: reshard: the source and the destination are both 'n2'"},
    {"at 10s reshard 0-10 primary:1 primary:1\n",
     {NULL},
     "t.scn:1: reshard: the source and the destination are both 'primary:1'"},
    {"proto-max-bulk-len 1000\n",
     {NULL},
     "t.scn:1: proto-max-bulk-len: 1000 is out of range [1048576, 1000000000000]"},
    {"client-query-buffer-limit 1gb\n",
     {NULL},
     "t.scn:1: client-query-buffer-limit: expected an integer, got '1gb'"},
    {"masters 3\n",
     {"client-query-buffer-limit=2000000000000"},
     "--set client-query-buffer-limit=2000000000000: client-query-buffer-limit: 2000000000000 "
     "is out of range [1048576, 1000000000000]"},
    {"at 70s heal\n", {NULL}, "t.scn:1: at: 70s is after the end of the run (duration 60s)"},
    {"flap from 10s until 5s period 1s partition random-halves\n",
     {NULL},
     "t.scn:1: flap: 'until' (5s) is not after 'from' (10s)"},
    {"flap from 10s until 20s period 1s crash n1\n",
     {NULL},
     "t.scn:1: flap: only a partition can flap, not 'crash'"},
    {"random from 10s until 20s every 1s..2s partition random-halves\n",
     {NULL},
     "t.scn:1: random: a random partition needs 'for MIN..MAX' (how long it lasts)"},
    {"random from 10s until 20s every 2s..1s for 1s..2s crash n1\n",
     {NULL},
     "t.scn:1: random: expected 'every MIN..MAX' (like every 5s..15s)"},
    {"random from 1s until 2s every 1s..2s heal\n",
     {NULL},
     "t.scn:1: random: 'heal' is implied by 'for'; schedule the fault instead"},
    {"expect lost.sideways == 0\n", {NULL}, "t.scn:1: expect: unknown metric 'lost.sideways'"},
    {"expect lost =< 0\n",
     {NULL},
     "t.scn:1: expect: unknown comparison '=<' (==, !=, <, <=, >, >=)"},
    {"expect lost <= none\n", {NULL}, "t.scn:1: expect: expected a number, got 'none'"},
    {"expect window.minority <= 1.5 x hz\n",
     {NULL},
     "t.scn:1: expect: 'x hz': only 'x node-timeout' scales a bound"},
    {"expect window.minority <= 1.5 x node-timeout + soon\n",
     {NULL},
     "t.scn:1: expect: expected a number after '+', got 'soon'"},
    {"expect window.minority <= 1.5 node-timeout\n",
     {NULL},
     "t.scn:1: expect: expected 'expect METRIC OP NUMBER [x node-timeout] [+ NUMBER]'"},
    {"vary node-timeout 1000,fast\n",
     {NULL},
     "t.scn:1: vary: node-timeout: expected an integer, got 'fast'"},
    {"vary colour red,blue\n", {NULL}, "t.scn:1: vary: unknown parameter 'colour'"},
    {"masters 3\x00\n", {NULL}, "t.scn:1: line: contains a NUL byte"},
    {"name \xff\xfe\n", {NULL}, "t.scn:1: line: is not valid UTF-8"},
    {"masters 3\n",
     {"node-timeout=abc"},
     "--set node-timeout=abc: node-timeout: expected an "
     "integer, got 'abc'"},
    {"masters 3\n", {"colour=red"}, "--set colour=red: colour: unknown parameter"},
    {"masters 3\n", {"masters"}, "--set masters: --set: expected KEY=VALUE"},
    {"at 50s heal\n",
     {"duration=40s"},
     "t.scn:1: at: 50s is after the end of the run (duration 40s)"},
    {"at 10s crash n6\n", {"replicas=0"}, "t.scn:1: crash: 'n6': there are only 3 nodes (n1..n3)"},
};

START_TEST(test_bad_files)
{
    const BadCase *c = &bad_cases[_i];
    gsize len = strlen(c->text);
    if (strstr(c->error, "NUL") != NULL)
        len = 11; /* "masters 3\0\n" */
    GError *error = NULL;
    SimScenario *sc = sim_scenario_parse("t.scn", c->text, len, c->overrides, &error);
    ck_assert_msg(sc == NULL, "case %d parsed: %s", _i, c->text);
    ck_assert(error != NULL);
    ck_assert_int_eq(error->code, SIM_SCENARIO_ERROR_SYNTAX);
    ck_assert_str_eq(error->message, c->error);
    g_error_free(error);
}
END_TEST

START_TEST(test_bad_cases_are_distinct)
{
    ck_assert_uint_ge(G_N_ELEMENTS(bad_cases), 25);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++)
        for (gsize j = i + 1; j < G_N_ELEMENTS(bad_cases); j++)
            ck_assert_str_ne(bad_cases[i].error, bad_cases[j].error);
}
END_TEST

START_TEST(test_defaults)
{
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("dir/empty.scn", "", 0, NULL, &error);
    ck_assert_ptr_nonnull(sc);
    ck_assert_str_eq(sc->name, "empty");
    ck_assert_uint_eq(sc->masters, 3);
    ck_assert_uint_eq(sc->replicas, 1);
    ck_assert_uint_eq(sim_scenario_nodes(sc), 6);
    ck_assert_int_eq(sc->node_timeout_ms, 15000);
    ck_assert(sc->require_full_coverage);
    ck_assert(!sc->allow_reads_when_down);
    ck_assert_int_eq(sc->duration_us, 60 * RC_US_PER_S);
    ck_assert_int_eq(sc->latency.shape, SIM_SCN_LAT_UNIFORM);
    ck_assert_int_eq(sc->latency.a_us, 200);
    ck_assert_int_eq(sc->latency.b_us, 1000);
    ck_assert_uint_eq(sc->tcp_syn_linear_timeouts, 4); /* Linux 6.5+ */
    ck_assert_uint_eq(sc->tcp_mss, 1448);              /* Ethernet's */
    ck_assert_uint_eq(sc->clients, 5);
    ck_assert_uint_eq(sc->clients_near->len, 3);
    /* clients sit near the masters in turn */
    ck_assert_uint_eq(sim_scenario_client_home(sc, 0), 0);
    ck_assert_uint_eq(sim_scenario_client_home(sc, 4), 1);
    ck_assert_uint_eq(sc->ci_seed_first, 1);
    ck_assert_uint_eq(sc->ci_seed_last, 3);
    ck_assert_str_eq(sim_scenario_param(sc, "node-timeout"), "15000");
    ck_assert_ptr_null(sim_scenario_param(sc, "colour"));
    /* node layout: shard s has master n(s+1) and replicas n(s+1+M*k) */
    ck_assert_uint_eq(sim_scenario_node_shard(sc, 0), 0);
    ck_assert_uint_eq(sim_scenario_node_shard(sc, 3), 0);
    ck_assert_uint_eq(sim_scenario_node_shard(sc, 5), 2);
}
END_TEST

static const char full_text[] =
    "# a full scenario\n"
    "name full   # trailing comment\n"
    "description Everything at once\n"
    "masters 3\nreplicas 2\nnode-timeout 2000\nmin-replicas-to-write 1\n"
    "latency normal 1ms 200us 100us\n"
    "client-latency constant 0.5ms\n"
    "clients 4\nclients-near n1,n2\n"
    "workload register\nread-ratio 0.25\nkey-dist zipf\nzipf-exponent 1.2\n"
    "duration 1m\nci-seeds 7\n"
    "at 10s partition isolate primary:1 with-clients\n"
    "at 11s partition n1, c1 | n2 n3 | rest\n"
    "at 12s partition one-way n1 -> rest\n"
    "at 13s partition bridge\n"
    "at 14s heal\n"
    "at 15s crash n1 replica:1\n"
    "at 16s restart n1\n"
    "at 17s pause random-primary\n"
    "at 18s resume random-primary\n"
    "at 19s skew n2 -250ms drift 100\n"
    "at 20s failover n6 takeover\n"
    "at 21s reshard 0-99 primary:1 primary:2\n"
    "flap from 22s until 30s period 2s partition isolate n3\n"
    "random from 30s until 59s every 1s..5s for 500ms..2s crash random-node\n"
    "expect lost.majority == 0\n"
    "expect window.minority <= 2500.5\n"
    "vary node-timeout 1000,2000\n";

START_TEST(test_full_file)
{
    GError *error = NULL;
    const char *const overrides[] = {"node-timeout=3000", "masters=4", NULL};
    g_autoptr(SimScenario) sc =
        sim_scenario_parse("full.scn", full_text, strlen(full_text), overrides, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(sc->name, "full");
    ck_assert_str_eq(sc->description, "Everything at once");
    ck_assert_int_eq(sc->node_timeout_ms, 3000);
    ck_assert_str_eq(sim_scenario_param(sc, "node-timeout"), "3000");
    ck_assert_uint_eq(sc->masters, 4);
    ck_assert_uint_eq(sim_scenario_nodes(sc), 12);
    ck_assert_int_eq(sc->latency.shape, SIM_SCN_LAT_NORMAL);
    ck_assert_int_eq(sc->latency.c_us, 100);
    ck_assert_int_eq(sc->client_latency.a_us, 500);
    ck_assert_int_eq(sc->workload, SIM_WORKLOAD_REGISTER);
    ck_assert_int_eq(sc->key_dist, SIM_KEYDIST_ZIPF);
    ck_assert_uint_eq(sim_scenario_client_home(sc, 3), 1);
    ck_assert_int_eq(sc->duration_us, 60 * RC_US_PER_S);
    ck_assert_uint_eq(sc->ci_seed_first, 7);
    ck_assert_uint_eq(sc->ci_seed_last, 7);
    ck_assert_uint_eq(sc->steps->len, 14);

    SimNemesisStep *st = &g_array_index(sc->steps, SimNemesisStep, 0);
    ck_assert_int_eq(st->kind, SIM_NEM_PARTITION);
    ck_assert_int_eq(st->shape, SIM_PART_ISOLATE);
    ck_assert(st->with_clients);
    ck_assert_int_eq(g_array_index(st->targets, SimTarget, 0).kind, SIM_TARGET_PRIMARY);
    ck_assert_int_eq(st->at_us, 10 * RC_US_PER_S);
    ck_assert_uint_eq(st->line, 18);

    st = &g_array_index(sc->steps, SimNemesisStep, 1);
    ck_assert_int_eq(st->shape, SIM_PART_GROUPS);
    ck_assert_uint_eq(st->ngroups, 3);
    ck_assert_uint_eq(st->targets->len, 5);
    ck_assert_int_eq(g_array_index(st->targets, SimTarget, 1).kind, SIM_TARGET_CLIENT);
    ck_assert_uint_eq(g_array_index(st->targets, SimTarget, 3).group, 1);
    ck_assert_int_eq(g_array_index(st->targets, SimTarget, 4).kind, SIM_TARGET_REST);

    st = &g_array_index(sc->steps, SimNemesisStep, 2);
    ck_assert_int_eq(st->shape, SIM_PART_ONE_WAY);
    ck_assert_uint_eq(st->ngroups, 2);

    st = &g_array_index(sc->steps, SimNemesisStep, 9);
    ck_assert_int_eq(st->kind, SIM_NEM_SKEW);
    ck_assert_int_eq(st->skew_us, -250000);
    ck_assert_int_eq(st->drift_ppm, 100);

    st = &g_array_index(sc->steps, SimNemesisStep, 10);
    ck_assert_int_eq(st->failover_mode, 2);
    st = &g_array_index(sc->steps, SimNemesisStep, 11);
    ck_assert_uint_eq(st->slot_first, 0);
    ck_assert_uint_eq(st->slot_last, 99);

    st = &g_array_index(sc->steps, SimNemesisStep, 12);
    ck_assert_int_eq(st->schedule, SIM_SCHEDULE_FLAP);
    ck_assert_int_eq(st->period_us, 2 * RC_US_PER_S);
    st = &g_array_index(sc->steps, SimNemesisStep, 13);
    ck_assert_int_eq(st->schedule, SIM_SCHEDULE_RANDOM);
    ck_assert_int_eq(st->every_max_us, 5 * RC_US_PER_S);
    ck_assert_int_eq(st->hold_min_us, 500000);

    ck_assert_uint_eq(sc->expectations->len, 2);
    SimExpectation *e = &g_array_index(sc->expectations, SimExpectation, 1);
    ck_assert_str_eq(e->metric, "window.minority");
    ck_assert_int_eq(e->cmp, SIM_CMP_LE);
    ck_assert(e->value == 2500.5);
    ck_assert_str_eq(sc->vary_param, "node-timeout");
    ck_assert_str_eq(sc->vary_values, "1000,2000");
}
END_TEST

/* A bound in node-timeouts follows the node-timeout in force, overrides included. */
START_TEST(test_expect_scaled_by_node_timeout)
{
    const char text[] = "node-timeout 4000\n"
                        "expect window.minority <= 1.5 x node-timeout + 300\n"
                        "expect lost.majority == 0\n";
    GError *error = NULL;
    g_autoptr(SimScenario) a = sim_scenario_parse("t.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(a != NULL, "%s", error ? error->message : "");
    const SimExpectation *e = &g_array_index(a->expectations, SimExpectation, 0);
    ck_assert(e->value == 6300);
    ck_assert_str_eq(e->bound, "1.5 x node-timeout + 300");
    const char *const over[] = {"node-timeout=1000", NULL};
    g_autoptr(SimScenario) b = sim_scenario_parse("t.scn", text, strlen(text), over, &error);
    ck_assert_msg(b != NULL, "%s", error ? error->message : "");
    ck_assert(g_array_index(b->expectations, SimExpectation, 0).value == 1800);
    ck_assert(g_array_index(b->expectations, SimExpectation, 1).value == 0);
}
END_TEST

/* Every option the core reads comes from the scenario: the defaults are the core's (Redis
 * 7.0's), and set values reach the node's configuration. */
START_TEST(test_node_options)
{
    GError *error = NULL;
    g_autoptr(SimScenario) d = sim_scenario_parse("t.scn", "", 0, NULL, &error);
    ck_assert_ptr_nonnull(d);
    RcNodeConfig core, cfg;
    rc_node_config_init(&core, "127.0.0.1", 30001);
    cfg = core;
    sim_scenario_node_options(d, &cfg);
    ck_assert_int_eq(cfg.proto_max_bulk_len, core.proto_max_bulk_len);
    ck_assert_int_eq(cfg.client_query_buffer_limit, core.client_query_buffer_limit);
    ck_assert_int_eq(cfg.cluster_node_timeout_ms, core.cluster_node_timeout_ms);
    ck_assert_int_eq(cfg.repl_backlog_size, core.repl_backlog_size);

    const char text[] = "proto-max-bulk-len 1048576\nclient-query-buffer-limit 4194304\n";
    const char *const over[] = {"proto-max-bulk-len=2097152", NULL};
    g_autoptr(SimScenario) sc = sim_scenario_parse("t.scn", text, strlen(text), over, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(sim_scenario_param(sc, "proto-max-bulk-len"), "2097152");
    ck_assert(sim_scenario_param_is_number("client-query-buffer-limit"));
    cfg = core;
    sim_scenario_node_options(sc, &cfg);
    ck_assert_int_eq(cfg.proto_max_bulk_len, 2097152);
    ck_assert_int_eq(cfg.client_query_buffer_limit, 4194304);
    ck_assert_str_eq(cfg.ip, "127.0.0.1");
    ck_assert_uint_eq(cfg.port, 30001);
}
END_TEST

START_TEST(test_missing_file)
{
    GError *error = NULL;
    SimScenario *sc = sim_scenario_load("/nonexistent/x.scn", NULL, &error);
    ck_assert_ptr_null(sc);
    ck_assert_int_eq(error->code, SIM_SCENARIO_ERROR_IO);
    ck_assert(g_str_has_prefix(error->message, "/nonexistent/x.scn: "));
    g_error_free(error);
}
END_TEST

START_TEST(test_library_parses)
{
    const char *root = g_getenv("RCSIM_SOURCE_ROOT");
    ck_assert_ptr_nonnull(root);
    g_autofree char *dir_path = g_build_filename(root, "scenarios", NULL);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    ck_assert_ptr_nonnull(dir);
    const char *entry;
    guint count = 0;
    while ((entry = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_suffix(entry, ".scn"))
            continue;
        g_autofree char *path = g_build_filename(dir_path, entry, NULL);
        GError *error = NULL;
        g_autoptr(SimScenario) sc = sim_scenario_load(path, NULL, &error);
        ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
        ck_assert_uint_gt(sc->expectations->len, 0);
        count++;
    }
    ck_assert_uint_ge(count, 1);
}
END_TEST

Suite *scenario_parse_suite(void);
Suite *scenario_parse_suite(void)
{
    Suite *s = suite_create("scenario_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_bad_files, 0, G_N_ELEMENTS(bad_cases));
    tcase_add_test(tc, test_bad_cases_are_distinct);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_full_file);
    tcase_add_test(tc, test_expect_scaled_by_node_timeout);
    tcase_add_test(tc, test_node_options);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_library_parses);
    suite_add_tcase(s, tc);
    return s;
}
