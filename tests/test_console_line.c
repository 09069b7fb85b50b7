/* Console lines: redis-cli's argument splitting, the dot-commands, and a table of bad lines
 * with the exact error each one gives. */
#include <check.h>
#include <string.h>

#include "sim/console_line.h"

static void assert_args(const char *line, const char *const *want, const gsize *want_len, guint n)
{
    GError *error = NULL;
    g_autoptr(GPtrArray) args = sim_console_split_args(line, &error);
    ck_assert_msg(args != NULL, "%s: %s", line, error ? error->message : "");
    ck_assert_uint_eq(args->len, n);
    for (guint i = 0; i < n; i++) {
        gsize len;
        const char *got = g_bytes_get_data(g_ptr_array_index(args, i), &len);
        gsize wl = want_len != NULL ? want_len[i] : strlen(want[i]);
        ck_assert_msg(len == wl && (len == 0 || memcmp(got, want[i], len) == 0), "%s: arg %u", line,
                      i);
    }
}

START_TEST(test_split_plain_and_quoted)
{
    const char *a1[] = {"SET", "k", "v"};
    assert_args("  SET k   v  ", a1, NULL, 3);
    const char *a2[] = {"SET", "a key", "it's"};
    assert_args("SET \"a key\" 'it\\'s'", a2, NULL, 3);
    const char *a3[] = {"SET", "k", "line\nnext\t\"q\"\\"};
    assert_args("SET k \"line\\nnext\\t\\\"q\\\"\\\\\"", a3, NULL, 3);
    /* \xHH escapes give any byte, NUL included; a bad \x is the letter x. */
    const char *a4[] = {"SET", "k", "A\0B", "xzz"};
    const gsize l4[] = {3, 1, 3, 3};
    assert_args("SET k \"\\x41\\x00\\x42\" \"\\xzz\"", a4, l4, 4);
    /* A quote in the middle of a word opens a quoted section, as sdssplitargs does. */
    const char *a5[] = {"GET", "foobar baz"};
    assert_args("GET foo\"bar baz\"", a5, NULL, 2);
    /* Single quotes keep backslashes other than \'. */
    const char *a6[] = {"ECHO", "a\\nb"};
    assert_args("ECHO 'a\\nb'", a6, NULL, 2);
    const char *a7[] = {"ECHO", ""};
    assert_args("ECHO \"\"", a7, NULL, 2);
}
END_TEST

START_TEST(test_parse_dot_commands)
{
    SimConsoleLine line;
    GError *error = NULL;
    ck_assert(sim_console_line_parse(".advance 5s", 6, &line, &error));
    ck_assert_int_eq(line.op, SIM_CONSOLE_OP_ADVANCE);
    ck_assert_int_eq(line.duration_us, 5 * RC_US_PER_S);
    sim_console_line_clear(&line);

    static const struct {
        const char *text;
        RcTime us;
    } durations[] = {{"250us", 250},
                     {"250ms", 250000},
                     {"0s", 0},
                     {"2m", 120 * RC_US_PER_S},
                     {"1h", 3600 * RC_US_PER_S},
                     {"24h", 86400 * RC_US_PER_S}};
    for (gsize i = 0; i < G_N_ELEMENTS(durations); i++) {
        g_autofree char *text = g_strdup_printf(".advance %s", durations[i].text);
        ck_assert(sim_console_line_parse(text, 6, &line, &error));
        ck_assert_int_eq(line.duration_us, durations[i].us);
        sim_console_line_clear(&line);
    }

    static const struct {
        const char *text;
        SimConsoleOp op;
        guint32 node;
    } node_cmds[] = {
        {".crash n2", SIM_CONSOLE_OP_CRASH, 1},      {".restart n6", SIM_CONSOLE_OP_RESTART, 5},
        {"  .pause   n1 ", SIM_CONSOLE_OP_PAUSE, 0}, {".resume n3", SIM_CONSOLE_OP_RESUME, 2},
        {".use n4", SIM_CONSOLE_OP_USE, 3},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(node_cmds); i++) {
        ck_assert(sim_console_line_parse(node_cmds[i].text, 6, &line, &error));
        ck_assert_int_eq(line.op, node_cmds[i].op);
        ck_assert_uint_eq(line.node, node_cmds[i].node);
        sim_console_line_clear(&line);
    }

    static const struct {
        const char *text;
        SimConsoleOp op;
    } plain[] = {
        {"", SIM_CONSOLE_OP_EMPTY},
        {"   ", SIM_CONSOLE_OP_EMPTY},
        {"# a comment", SIM_CONSOLE_OP_EMPTY},
        {".heal", SIM_CONSOLE_OP_HEAL},
        {".nodes", SIM_CONSOLE_OP_NODES},
        {".help", SIM_CONSOLE_OP_HELP},
        {".quit", SIM_CONSOLE_OP_QUIT},
        {".exit", SIM_CONSOLE_OP_QUIT},
        {"GET k", SIM_CONSOLE_OP_COMMAND},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(plain); i++) {
        ck_assert(sim_console_line_parse(plain[i].text, 6, &line, &error));
        ck_assert_int_eq(line.op, plain[i].op);
        sim_console_line_clear(&line);
    }
}
END_TEST

/* Groups come back explicit: each as its sorted-by-appearance node list, rest resolved. */
static char *groups_text(const GPtrArray *groups)
{
    GString *s = g_string_new(NULL);
    for (guint g = 0; g < groups->len; g++) {
        const GArray *nodes = g_ptr_array_index(groups, g);
        if (g > 0)
            g_string_append(s, " | ");
        for (guint i = 0; i < nodes->len; i++)
            g_string_append_printf(s, "%sn%u", i > 0 ? "," : "",
                                   g_array_index(nodes, guint32, i) + 1);
    }
    return g_string_free(s, FALSE);
}

START_TEST(test_parse_partition)
{
    static const struct {
        const char *text;
        const char *groups;
    } cases[] = {
        {".partition n1 | rest", "n1 | n2,n3,n4,n5,n6"},
        {".partition rest | n2", "n1,n3,n4,n5,n6 | n2"},
        {".partition {n1,n2} | {n3,n4,n5,n6}", "n1,n2 | n3,n4,n5,n6"},
        {".partition {n1, n4} | {n2 n5} | rest", "n1,n4 | n2,n5 | n3,n6"},
        {".partition n1,n2|n3", "n1,n2 | n3"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        SimConsoleLine line;
        GError *error = NULL;
        ck_assert_msg(sim_console_line_parse(cases[i].text, 6, &line, &error), "%s: %s",
                      cases[i].text, error ? error->message : "");
        ck_assert_int_eq(line.op, SIM_CONSOLE_OP_PARTITION);
        g_autofree char *got = groups_text(line.groups);
        ck_assert_str_eq(got, cases[i].groups);
        sim_console_line_clear(&line);
    }
}
END_TEST

START_TEST(test_bad_lines)
{
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        {".foo", "unknown command '.foo' (see .help)"},
        {".", "unknown command '.' (see .help)"},
        {".crash", ".crash: expects one node, e.g. .crash n2"},
        {".crash n1 n2", ".crash: expects one node, e.g. .crash n2"},
        {".crash n9", ".crash: unknown node 'n9'"},
        {".crash n0", ".crash: unknown node 'n0'"},
        {".crash n01", ".crash: unknown node 'n01'"},
        {".crash 2", ".crash: unknown node '2'"},
        {".crash n99999999999999999999", ".crash: unknown node 'n99999999999999999999'"},
        {".restart x", ".restart: unknown node 'x'"},
        {".pause", ".pause: expects one node, e.g. .pause n2"},
        {".resume n7", ".resume: unknown node 'n7'"},
        {".use", ".use: expects one node, e.g. .use n2"},
        {".use c1", ".use: unknown node 'c1'"},
        {".advance", ".advance: expects one duration, e.g. .advance 5s (us, ms, s, m, h)"},
        {".advance 1s 2s", ".advance: expects one duration, e.g. .advance 5s (us, ms, s, m, h)"},
        {".advance 5", ".advance: bad duration '5' (e.g. 250ms, 5s, 2m)"},
        {".advance 5x", ".advance: bad duration '5x' (e.g. 250ms, 5s, 2m)"},
        {".advance -5s", ".advance: bad duration '-5s' (e.g. 250ms, 5s, 2m)"},
        {".advance 1.5s", ".advance: bad duration '1.5s' (e.g. 250ms, 5s, 2m)"},
        {".advance s", ".advance: bad duration 's' (e.g. 250ms, 5s, 2m)"},
        {".advance 25h", ".advance: duration '25h' is over 24h"},
        {".advance 99999999999999999999s",
         ".advance: bad duration '99999999999999999999s' (e.g. 250ms, 5s, 2m)"},
        {".heal now", ".heal: takes no arguments"},
        {".nodes n1", ".nodes: takes no arguments"},
        {".help me", ".help: takes no arguments"},
        {".partition", ".partition: expects groups of nodes separated by '|', e.g. .partition "
                       "n1 | rest"},
        {".partition n1", ".partition: expects groups of nodes separated by '|', e.g. "
                          ".partition n1 | rest"},
        {".partition n1 |", ".partition: group 2 is empty"},
        {".partition | n1", ".partition: group 1 is empty"},
        {".partition n1 | | n2", ".partition: group 2 is empty"},
        {".partition n1 | n1", ".partition: node 'n1' is in two groups"},
        {".partition n1,n2 | n3,n2", ".partition: node 'n2' is in two groups"},
        {".partition n1 | n9", ".partition: unknown node 'n9'"},
        {".partition rest | rest", ".partition: 'rest' may appear once"},
        {".partition n1 | n2,rest", ".partition: 'rest' must be a group of its own"},
        {".partition n1,n2,n3 | n4,n5,n6 | rest",
         ".partition: 'rest' is empty: every node is named in another group"},
        {".partition {n1 | n2}", ".partition: unbalanced braces"},
        {".partition {n1 | n2", ".partition: unbalanced braces"},
        {".partition n1} | n2", ".partition: unbalanced braces"},
        {".partition {{n1}} | n2", ".partition: unbalanced braces"},
        {"SET k \"v", "Invalid argument(s)"},
        {"SET k 'v", "Invalid argument(s)"},
        {"SET k \"v\"x", "Invalid argument(s)"},
        {"SET k 'v'x", "Invalid argument(s)"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        SimConsoleLine line;
        GError *error = NULL;
        ck_assert_msg(!sim_console_line_parse(cases[i].text, 6, &line, &error), "%s",
                      cases[i].text);
        ck_assert_ptr_nonnull(error);
        ck_assert_msg(strcmp(error->message, cases[i].error) == 0, "%s: got '%s'", cases[i].text,
                      error->message);
        ck_assert(g_error_matches(error, SIM_CONSOLE_ERROR, SIM_CONSOLE_ERROR_SYNTAX));
        ck_assert_ptr_null(line.args);
        ck_assert_ptr_null(line.groups);
        g_error_free(error);
    }
}
END_TEST

START_TEST(test_too_many_args)
{
    GString *s = g_string_new("DEL");
    for (int i = 0; i < SIM_CONSOLE_ARGS_MAX; i++)
        g_string_append(s, " k");
    GError *error = NULL;
    ck_assert_ptr_null(sim_console_split_args(s->str, &error));
    ck_assert_str_eq(error->message, "too many arguments (at most 1024)");
    g_error_free(error);
    g_string_free(s, TRUE);
}
END_TEST

/* Random lines over an alphabet of the characters that matter: every one parses or fails
 * with an error, never crashes, and a failure leaves nothing behind. */
START_TEST(test_random_lines_never_crash)
{
    static const char alphabet[] = ".nrest|{},'\"\\x0123456789 \tadvancepuishlomq#ASETGms";
    GRand *rng = g_rand_new_with_seed(42);
    guint ok = 0, bad = 0;
    for (int i = 0; i < 20000; i++) {
        char line[48];
        gint32 len = g_rand_int_range(rng, 0, (gint32)sizeof(line));
        for (gint32 j = 0; j < len; j++)
            line[j] = alphabet[g_rand_int_range(rng, 0, (gint32)sizeof(alphabet) - 1)];
        line[len] = '\0';
        if (i % 3 == 0 && len > 0)
            line[0] = '.';
        SimConsoleLine parsed;
        GError *error = NULL;
        if (sim_console_line_parse(line, 6, &parsed, &error)) {
            ck_assert_ptr_null(error);
            if (parsed.op == SIM_CONSOLE_OP_PARTITION) {
                guint total = 0;
                for (guint g = 0; g < parsed.groups->len; g++) {
                    guint n = ((GArray *)g_ptr_array_index(parsed.groups, g))->len;
                    ck_assert_uint_gt(n, 0);
                    total += n;
                }
                ck_assert_uint_le(total, 6);
            }
            sim_console_line_clear(&parsed);
            ok++;
        } else {
            ck_assert_ptr_nonnull(error);
            ck_assert_ptr_null(parsed.args);
            ck_assert_ptr_null(parsed.groups);
            g_error_free(error);
            bad++;
        }
    }
    ck_assert_uint_gt(ok, 0);
    ck_assert_uint_gt(bad, 0);
    g_rand_free(rng);
}
END_TEST

Suite *console_line_suite(void);
Suite *console_line_suite(void)
{
    Suite *s = suite_create("console_line");
    TCase *tc = tcase_create("line");
    tcase_add_test(tc, test_split_plain_and_quoted);
    tcase_add_test(tc, test_parse_dot_commands);
    tcase_add_test(tc, test_parse_partition);
    tcase_add_test(tc, test_bad_lines);
    tcase_add_test(tc, test_too_many_args);
    tcase_add_test(tc, test_random_lines_never_crash);
    suite_add_tcase(s, tc);
    return s;
}
