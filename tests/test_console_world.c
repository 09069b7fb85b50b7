/* The console on the simulated world: the cluster forms as redis-cli --cluster create
 * forms it, a scripted session sees a failover happen, and a session is a pure function of
 * (options, seed, lines): the same seed prints the same bytes, logs included. */
#include <check.h>
#include <string.h>

#include "core/cluster.h"
#include "core/cluster_types.h"
#include "sim/cluster_create.h"
#include "sim/console_world.h"

/* Boundaries computed with redis-cli 7.0's own loop (float cursor, lround). */
START_TEST(test_slot_split_as_redis_cli)
{
    static const struct {
        guint m;
        long last[7];
    } cases[] = {
        {1, {16383}},
        {2, {8191, 16383}},
        {3, {5460, 10922, 16383}},
        {5, {3276, 6553, 9829, 13106, 16383}},
        {6, {2730, 5460, 8191, 10922, 13652, 16383}},
        {7, {2340, 4680, 7021, 9361, 11702, 14042, 16383}},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        SimSlotSplit split[7];
        sim_cluster_slot_split(cases[i].m, split);
        long first = 0;
        for (guint s = 0; s < cases[i].m; s++) {
            ck_assert_int_eq(split[s].first, first);
            ck_assert_int_eq(split[s].last, cases[i].last[s]);
            first = split[s].last + 1;
        }
    }
    /* Where single precision decides (a double product gives the other value). */
    static const struct {
        guint m, s;
        long last;
    } float_cases[] = {
        {78, 66, 14072},   {78, 67, 14283},   {500, 221, 7274},  {500, 333, 10943},
        {500, 376, 12352}, {1000, 305, 5012}, {1000, 404, 6634}, {1000, 417, 6847},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(float_cases); i++) {
        g_autofree SimSlotSplit *split = g_new(SimSlotSplit, float_cases[i].m);
        sim_cluster_slot_split(float_cases[i].m, split);
        ck_assert_int_eq(split[float_cases[i].s].last, float_cases[i].last);
        ck_assert_int_eq(split[float_cases[i].s + 1].first, float_cases[i].last + 1);
    }
    /* 1000 masters: every master gets 16 or 17 slots, in order, the last ends at 16383 */
    SimSlotSplit split[1000];
    sim_cluster_slot_split(1000, split);
    long prev = -1;
    for (guint s = 0; s < 1000; s++) {
        ck_assert_int_eq(split[s].first, prev + 1);
        ck_assert(split[s].last - prev == 16 || split[s].last - prev == 17);
        prev = split[s].last;
    }
    ck_assert_int_eq(prev, 16383);
}
END_TEST

static SimConsoleWorld *formed(guint64 seed, const char *const *overrides, SimScenario **sc)
{
    GError *error = NULL;
    *sc = sim_scenario_parse("console", "", 0, overrides, &error);
    ck_assert_msg(*sc != NULL, "%s", error ? error->message : "");
    SimConsoleWorld *cw = sim_console_world_new(*sc, seed);
    ck_assert_msg(sim_console_world_form(cw, &error), "%s", error ? error->message : "");
    ck_assert_uint_eq(sim_console_output(sim_console_world_console(cw))->len, 0);
    return cw;
}

static gboolean is_master(SimConsoleWorld *cw, guint32 node)
{
    RcNode *n = sim_world_node(sim_console_world_world(cw), node);
    ck_assert_ptr_nonnull(n);
    return rc_node_is_master(rc_cluster_myself(n));
}

START_TEST(test_formation_and_failover)
{
    SimScenario *sc;
    SimConsoleWorld *cw = formed(3, NULL, &sc);
    SimConsole *con = sim_console_world_console(cw);
    /* n1..n3 masters, n4..n6 their replicas (n4 of n1, n5 of n2, n6 of n3) */
    for (guint32 n = 0; n < 6; n++)
        ck_assert(is_master(cw, n) == (n < 3));
    const char *lines[] = {"SET foo bar", ".crash n3", ".advance 30s", ".use n6", "GET foo", NULL};
    for (const char *const *l = lines; *l != NULL; l++)
        ck_assert(sim_console_exec(con, *l));
    ck_assert(is_master(cw, 5));
    const char *out = sim_console_output(con)->str;
    ck_assert_msg(g_str_has_prefix(out, "-> Redirected to slot [12182] located at "
                                        "127.0.0.1:30003\nOK\n"),
                  "%s", out);
    ck_assert_msg(g_str_has_suffix(out, "\n\"bar\"\n"), "%s", out);
    /* logged while n6 still replicated its master: S, as Redis prints it */
    const char *won = strstr(out, " # Failover election won: I'm the new master.\n");
    ck_assert(won != NULL);
    const char *line = won;
    while (line > out && line[-1] != '\n')
        line--;
    ck_assert_msg(g_str_has_prefix(line, "n6 1006:S "), "%.80s", line);
    ck_assert(strstr(out, "possibly failing\n") != NULL);
    /* the prompt follows .use */
    g_autofree char *prompt = sim_console_prompt(con);
    ck_assert_str_eq(prompt, "127.0.0.1:30006> ");
    sim_console_world_free(cw);
    sim_scenario_free(sc);
}
END_TEST

static char *session(guint64 seed)
{
    const char *overrides[] = {"node-timeout=3000", "masters=3", "replicas=1", NULL};
    SimScenario *sc;
    SimConsoleWorld *cw = formed(seed, overrides, &sc);
    SimConsole *con = sim_console_world_console(cw);
    const char *lines[] = {"SET k1 a",    ".partition {n1,n4} | rest",
                           ".advance 6s", "GET k1",
                           ".nodes",      ".heal",
                           ".advance 6s", "GET k1",
                           NULL};
    for (const char *const *l = lines; *l != NULL; l++)
        ck_assert(sim_console_exec(con, *l));
    char *out = g_strdup(sim_console_output(con)->str);
    sim_console_world_free(cw);
    sim_scenario_free(sc);
    return out;
}

START_TEST(test_same_seed_same_transcript)
{
    g_autofree char *a = session(11);
    g_autofree char *b = session(11);
    g_autofree char *c = session(12);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c); /* node names and timings come from the seed */
    ck_assert(strstr(a, "Cluster state changed") != NULL);
}
END_TEST

/* Random sessions on a real cluster: faults in any order and state, partitions, commands
 * to any node, bad lines. Nothing may crash or assert, every line prints or is silent, and
 * after healing and restarting everything the cluster answers again. */
START_TEST(test_random_session)
{
    const char *overrides[] = {"node-timeout=2000", NULL};
    SimScenario *sc;
    SimConsoleWorld *cw = formed(21, overrides, &sc);
    SimConsole *con = sim_console_world_console(cw);
    static const char *const verbs[] = {".crash", ".restart", ".pause", ".resume", ".use"};
    static const char *const others[] = {"SET foo x",
                                         "GET foo",
                                         "INCR ctr",
                                         "GET bar",
                                         "CLUSTER INFO",
                                         ".heal",
                                         ".nodes",
                                         ".advance 1s",
                                         ".partition n1 | rest",
                                         ".partition {n1,n2} | rest",
                                         "BOGUS",
                                         ".crash n9",
                                         "SET k \"v",
                                         ".advance 300ms"};
    GRand *rng = g_rand_new_with_seed(5);
    for (int i = 0; i < 300; i++) {
        g_autofree char *line = NULL;
        if (g_rand_boolean(rng))
            line = g_strdup_printf("%s n%d", verbs[g_rand_int_range(rng, 0, G_N_ELEMENTS(verbs))],
                                   g_rand_int_range(rng, 1, 7));
        else
            line = g_strdup(others[g_rand_int_range(rng, 0, G_N_ELEMENTS(others))]);
        ck_assert(sim_console_exec(con, line));
        g_string_truncate(sim_console_output(con), 0);
    }
    g_rand_free(rng);
    /* back to health: heal, resume and restart everyone, let it settle */
    ck_assert(sim_console_exec(con, ".heal"));
    SimWorld *w = sim_console_world_world(cw);
    for (guint32 n = 0; n < 6; n++) {
        g_autofree char *line = NULL;
        if (sim_world_node_is_up(w, n) && sim_world_node_is_paused(w, n))
            line = g_strdup_printf(".resume n%u", n + 1);
        else if (!sim_world_node_is_up(w, n))
            line = g_strdup_printf(".restart n%u", n + 1);
        if (line != NULL)
            ck_assert(sim_console_exec(con, line));
    }
    ck_assert(sim_console_exec(con, ".advance 60s"));
    g_string_truncate(sim_console_output(con), 0);
    ck_assert(sim_console_exec(con, "SET after heal"));
    const char *out = sim_console_output(con)->str;
    ck_assert_msg(g_str_has_suffix(out, "OK\n"), "%s", out);
    sim_console_world_free(cw);
    sim_scenario_free(sc);
}
END_TEST

Suite *console_world_suite(void);
Suite *console_world_suite(void)
{
    Suite *s = suite_create("console_world");
    TCase *tc = tcase_create("world");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_slot_split_as_redis_cli);
    tcase_add_test(tc, test_formation_and_failover);
    tcase_add_test(tc, test_same_seed_same_transcript);
    tcase_add_test(tc, test_random_session);
    suite_add_tcase(s, tc);
    return s;
}
