/* The console prints replies exactly as redis-cli does on a terminal, and node logs in
 * Redis's own log shape. Each case is a RESP reply as a server sends it and the text
 * redis-cli 7.0 prints for it. */
#include <check.h>
#include <string.h>

#include "sim/console_format.h"

static char *format_resp(const char *resp)
{
    g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
    sim_reply_reader_feed(rd, (const guint8 *)resp, strlen(resp));
    GError *error = NULL;
    g_autoptr(SimReply) r = sim_reply_reader_pop(rd, &error);
    ck_assert_msg(r != NULL, "%s", error ? error->message : "incomplete");
    ck_assert_uint_eq(sim_reply_reader_pending(rd), 0);
    GString *out = g_string_new(NULL);
    sim_console_format_reply(out, r);
    return g_string_free(out, FALSE);
}

START_TEST(test_replies_as_redis_cli)
{
    static const struct {
        const char *resp;
        const char *printed;
    } cases[] = {
        {"+OK\r\n", "OK\n"},
        {"+PONG\r\n", "PONG\n"},
        {":1\r\n", "(integer) 1\n"},
        {":-42\r\n", "(integer) -42\n"},
        {"$5\r\nvalue\r\n", "\"value\"\n"},
        {"$0\r\n\r\n", "\"\"\n"},
        {"$-1\r\n", "(nil)\n"},
        {"*-1\r\n", "(nil)\n"},
        {"*0\r\n", "(empty array)\n"},
        {"-MOVED 3999 127.0.0.1:30002\r\n", "(error) MOVED 3999 127.0.0.1:30002\n"},
        {"-CLUSTERDOWN The cluster is down\r\n", "(error) CLUSTERDOWN The cluster is down\n"},
        {"-ERR unknown command 'FOO', with args beginning with: \r\n",
         "(error) ERR unknown command 'FOO', with args beginning with: \n"},
        /* sdscatrepr: backslash and quote escaped, \n \r \t \a \b named, others in hex */
        {"$12\r\na\"b\\c\n\r\t\a\b\x01\xff\r\n", "\"a\\\"b\\\\c\\n\\r\\t\\a\\b\\x01\\xff\"\n"},
        {"*2\r\n$1\r\na\r\n$1\r\nb\r\n", "1) \"a\"\n2) \"b\"\n"},
        {"*3\r\n:1\r\n$-1\r\n*0\r\n", "1) (integer) 1\n2) (nil)\n3) (empty array)\n"},
        /* indices are right-aligned to the widest one */
        {"*10\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n:7\r\n:8\r\n:9\r\n:10\r\n",
         " 1) (integer) 1\n 2) (integer) 2\n 3) (integer) 3\n 4) (integer) 4\n"
         " 5) (integer) 5\n 6) (integer) 6\n 7) (integer) 7\n 8) (integer) 8\n"
         " 9) (integer) 9\n10) (integer) 10\n"},
        /* CLUSTER SLOTS: nested arrays indent under their parent's index */
        {"*2\r\n"
         "*3\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:30001\r\n$4\r\nid-1\r\n"
         "*4\r\n:5461\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:30002\r\n"
         "*2\r\n$9\r\n127.0.0.1\r\n:30005\r\n",
         "1) 1) (integer) 0\n"
         "   2) (integer) 5460\n"
         "   3) 1) \"127.0.0.1\"\n"
         "      2) (integer) 30001\n"
         "      3) \"id-1\"\n"
         "2) 1) (integer) 5461\n"
         "   2) (integer) 16383\n"
         "   3) 1) \"127.0.0.1\"\n"
         "      2) (integer) 30002\n"
         "   4) 1) \"127.0.0.1\"\n"
         "      2) (integer) 30005\n"},
        /* an error inside an array (EXEC) */
        {"*2\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
         "1) OK\n2) (error) WRONGTYPE Operation against a key holding the wrong kind of value\n"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = format_resp(cases[i].resp);
        ck_assert_msg(strcmp(got, cases[i].printed) == 0, "case %zu: got\n%s\nwant\n%s", i, got,
                      cases[i].printed);
    }
}
END_TEST

/* The bulk case above holds a NUL byte: strlen() would cut it, so feed it with its length. */
START_TEST(test_bulk_with_nul)
{
    static const char resp[] = "$3\r\na\0b\r\n";
    g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
    sim_reply_reader_feed(rd, (const guint8 *)resp, sizeof(resp) - 1);
    GError *error = NULL;
    g_autoptr(SimReply) r = sim_reply_reader_pop(rd, &error);
    ck_assert_ptr_nonnull(r);
    g_autoptr(GString) out = g_string_new(NULL);
    sim_console_format_reply(out, r);
    ck_assert_str_eq(out->str, "\"a\\x00b\"\n");
}
END_TEST

/* redis-cli 7.0.15 prints some commands' replies raw (cliSendCommand sets output_raw): the
 * table is its list, checked word by word, in any case, with its argument counts. */
START_TEST(test_raw_commands_as_redis_cli)
{
    static const struct {
        const char *line[4];
        gboolean raw;
    } cases[] = {
        {{"INFO"}, TRUE},
        {{"info", "replication"}, TRUE},
        {{"Info", "server", "clients"}, TRUE},
        {{"CLUSTER", "INFO"}, TRUE},
        {{"cluster", "nodes"}, TRUE},
        {{"CLUSTER", "INFO", "extra"}, FALSE}, /* argc == 2 only: the arity error prints TTY */
        {{"CLUSTER", "NODES", "x"}, FALSE},
        {{"CLUSTER", "SLOTS"}, FALSE},
        {{"CLUSTER", "SHARDS"}, FALSE},
        {{"CLUSTER", "MYID"}, FALSE},
        {{"CLUSTER"}, FALSE},
        {{"CLIENT", "LIST"}, TRUE},
        {{"client", "info"}, TRUE},
        {{"CLIENT", "ID"}, FALSE},
        {{"LATENCY", "DOCTOR"}, TRUE},
        {{"LATENCY", "GRAPH", "command"}, TRUE},
        {{"LATENCY", "GRAPH"}, FALSE},
        {{"LATENCY", "DOCTOR", "x"}, FALSE},
        {{"MEMORY", "DOCTOR"}, TRUE},
        {{"MEMORY", "MALLOC-STATS"}, TRUE},
        {{"MEMORY", "USAGE", "k"}, FALSE},
        {{"DEBUG", "HTSTATS", "0"}, TRUE},
        {{"DEBUG", "HTSTATS-KEY", "k"}, TRUE},
        {{"DEBUG", "CLIENT-EVICTION"}, TRUE},
        {{"LOLWUT"}, TRUE},
        {{"PROXY", "INFO"}, TRUE},
        {{"GET", "info"}, FALSE},
        {{"INFOS"}, FALSE},
        {{"ROLE"}, FALSE},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        for (guint k = 0; k < G_N_ELEMENTS(cases[i].line) && cases[i].line[k]; k++)
            g_ptr_array_add(args, g_bytes_new(cases[i].line[k], strlen(cases[i].line[k])));
        ck_assert_msg(sim_console_reply_is_raw(args) == cases[i].raw, "case %zu (%s %s)", i,
                      cases[i].line[0], cases[i].line[1] ? cases[i].line[1] : "");
    }
}
END_TEST

/* cliFormatReplyRaw, as observed from redis-cli 7.0.15 on a terminal: the bulk's bytes with
 * nothing added (CLUSTER INFO keeps its \r\n), an error as "<text>\n", nothing for nil. */
START_TEST(test_raw_replies_as_redis_cli)
{
    static const struct {
        const char *resp;
        const char *printed;
    } cases[] = {
        {"$34\r\ncluster_state:ok\r\ncluster_size:3\r\n\r\n",
         "cluster_state:ok\r\ncluster_size:3\r\n"},
        {"$27\r\nid1 1.2.3.4:1@2 myself\nid2\n\r\n", "id1 1.2.3.4:1@2 myself\nid2\n"},
        {"$10\r\nno newline\r\n", "no newline"},
        {"$0\r\n\r\n", ""},
        {"$-1\r\n", ""},
        {"*-1\r\n", ""},
        {"*0\r\n", ""},
        {"-ERR This instance has cluster support disabled\r\n",
         "ERR This instance has cluster support disabled\n"},
        {"+OK\r\n", "OK"},
        {":42\r\n", "42"},
        {"*3\r\n$1\r\na\r\n:1\r\n*2\r\n$1\r\nb\r\n$1\r\nc\r\n", "a\n1\nb\nc"},
        {"$4\r\na\"\\\x01\r\n", "a\"\\\x01"}, /* no quoting, no escapes */
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
        sim_reply_reader_feed(rd, (const guint8 *)cases[i].resp, strlen(cases[i].resp));
        GError *error = NULL;
        g_autoptr(SimReply) r = sim_reply_reader_pop(rd, &error);
        ck_assert_msg(r != NULL, "case %zu: %s", i, error ? error->message : "incomplete");
        g_autoptr(GString) out = g_string_new(NULL);
        sim_console_format_reply_raw(out, r);
        ck_assert_msg(strcmp(out->str, cases[i].printed) == 0, "case %zu: got '%s'", i, out->str);
    }
}
END_TEST

START_TEST(test_virtual_dates)
{
    static const struct {
        RcTime us;
        const char *date;
    } cases[] = {
        {0, "01 Jan 2026 00:00:00.000"},
        {5250000, "01 Jan 2026 00:00:05.250"},
        {999, "01 Jan 2026 00:00:00.000"},
        {1000, "01 Jan 2026 00:00:00.001"},
        {G_GINT64_CONSTANT(86400) * 31 * RC_US_PER_S + 3723 * RC_US_PER_S + 7000,
         "01 Feb 2026 01:02:03.007"},
        {G_GINT64_CONSTANT(86400) * 365 * RC_US_PER_S - 1, "31 Dec 2026 23:59:59.999"},
        /* 2028 is a leap year */
        {G_GINT64_CONSTANT(86400) * (365 + 365 + 59) * RC_US_PER_S, "29 Feb 2028 00:00:00.000"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GString) out = g_string_new(NULL);
        sim_console_format_date(out, cases[i].us);
        ck_assert_str_eq(out->str, cases[i].date);
    }
}
END_TEST

START_TEST(test_log_lines)
{
    g_autoptr(GString) out = g_string_new(NULL);
    sim_console_format_log(out, "n2", 1002, 'M', 15100000, RC_LOG_NOTICE,
                           "Marking node abc as failing (quorum reached).");
    sim_console_format_log(out, "n4", 1004, 'S', 16000000, RC_LOG_WARNING,
                           "Cluster state changed: ok");
    sim_console_format_log(out, "n1", 1001, 'M', 0, RC_LOG_DEBUG, "*** NODE x possibly failing");
    sim_console_format_log(out, "n1", 1001, 'M', 0, RC_LOG_VERBOSE, "v");
    ck_assert_str_eq(out->str,
                     "n2 1002:M 01 Jan 2026 00:00:15.100 * Marking node abc as failing (quorum "
                     "reached).\n"
                     "n4 1004:S 01 Jan 2026 00:00:16.000 # Cluster state changed: ok\n"
                     "n1 1001:M 01 Jan 2026 00:00:00.000 . *** NODE x possibly failing\n"
                     "n1 1001:M 01 Jan 2026 00:00:00.000 - v\n");
}
END_TEST

Suite *console_format_suite(void);
Suite *console_format_suite(void)
{
    Suite *s = suite_create("console_format");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_replies_as_redis_cli);
    tcase_add_test(tc, test_bulk_with_nul);
    tcase_add_test(tc, test_raw_commands_as_redis_cli);
    tcase_add_test(tc, test_raw_replies_as_redis_cli);
    tcase_add_test(tc, test_virtual_dates);
    tcase_add_test(tc, test_log_lines);
    suite_add_tcase(s, tc);
    return s;
}
