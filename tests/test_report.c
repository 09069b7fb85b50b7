/* reports/: every plot made from the result sets in tests/data/reports/: real output of the
 * runner (real-run/, real-sweep/, made by make-real.sh there) and a synthetic run and sweep
 * with hand-placed numbers (run-minority/, sweep-nt/, made by gen.py there); the tables
 * checked against the input files (summary.json, history.jsonl, runs.jsonl, aggregates.csv),
 * and the error paths: missing gnuplot, gnuplot failing, malformed input. */
#include <check.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "reports/report.h"
#include "reports/results.h"

/* ------------------------------------------------------------------ helpers */

static char *data_dir(const char *name)
{
    const char *root = g_getenv("RCSIM_SOURCE_ROOT");
    ck_assert_msg(root != NULL, "RCSIM_SOURCE_ROOT is not set (run through meson test)");
    return g_build_filename(root, "tests", "data", "reports", name, NULL);
}

/* A fresh copy of tests/data/reports/NAME, so the report writes into a scratch folder. */
static char *copy_data(const char *name)
{
    g_autofree char *src = data_dir(name);
    char *dst = g_dir_make_tmp("rcsim-report-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dst);
    g_autoptr(GDir) dir = g_dir_open(src, 0, NULL);
    ck_assert_ptr_nonnull(dir);
    const char *file;
    while ((file = g_dir_read_name(dir)) != NULL) {
        g_autofree char *from = g_build_filename(src, file, NULL);
        g_autofree char *to = g_build_filename(dst, file, NULL);
        g_autofree char *bytes = NULL;
        gsize len;
        ck_assert(g_file_get_contents(from, &bytes, &len, NULL));
        ck_assert(g_file_set_contents(to, bytes, (gssize)len, NULL));
    }
    return dst;
}

static char *read_text(const char *dir, const char *file)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "cannot read %s", path);
    return text;
}

static gboolean exists(const char *dir, const char *file)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

static void assert_png(const char *dir, const char *file)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autofree char *bytes = NULL;
    gsize len = 0;
    ck_assert_msg(g_file_get_contents(path, &bytes, &len, NULL), "missing %s", path);
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ck_assert_uint_gt(len, 8);
    ck_assert_msg(memcmp(bytes, signature, 8) == 0, "%s: not a PNG", path);
    ck_assert_msg(len > 15000, "%s: only %zu bytes", path, len);
}

typedef struct {
    char *root;     /* name of the first element */
    guint elements; /* all elements */
    guint texts;    /* <text> elements: titles, labels, legend */
} SvgCount;

static void svg_start(GMarkupParseContext *ctx, const char *name, const char **an, const char **av,
                      gpointer user, GError **error)
{
    SvgCount *c = user;
    if (c->root == NULL)
        c->root = g_strdup(name);
    c->elements++;
    if (strcmp(name, "text") == 0)
        c->texts++;
}

static void assert_svg(const char *dir, const char *file)
{
    g_autofree char *text = read_text(dir, file);
    GMarkupParser parser = {svg_start, NULL, NULL, NULL, NULL};
    SvgCount count = {0};
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &count, NULL);
    g_autoptr(GError) error = NULL;
    gboolean ok = g_markup_parse_context_parse(ctx, text, -1, &error) &&
                  g_markup_parse_context_end_parse(ctx, &error);
    g_markup_parse_context_free(ctx);
    ck_assert_msg(ok, "%s: %s", file, error != NULL ? error->message : "");
    ck_assert_str_eq(count.root, "svg");
    ck_assert_uint_gt(count.elements, 50);
    ck_assert_uint_gt(count.texts, 5);
    g_free(count.root);
}

static void assert_contains(const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle) != NULL, "missing: %s", needle);
}

static guint count_of(const char *text, const char *needle)
{
    guint n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The units an axis label may give, in parentheses: alone, "(ms)", or first, "(%, 250 ms
 * buckets)". */
static const char *const axis_units[] = {"s",
                                         "ms",
                                         "%",
                                         "writes",
                                         "writes/s",
                                         "count",
                                         "bytes",
                                         "Hz",
                                         "ops/s",
                                         "× node-timeout",
                                         "fraction of operations"};

static gboolean has_unit(const char *label)
{
    for (const char *p = strchr(label, '('); p != NULL; p = strchr(p + 1, '(')) {
        gsize len = strcspn(p + 1, ",)");
        if (p[1 + len] == '\0')
            break;
        for (gsize u = 0; u < G_N_ELEMENTS(axis_units); u++)
            if (strlen(axis_units[u]) == len && strncmp(p + 1, axis_units[u], len) == 0)
                return TRUE;
    }
    return FALSE;
}

/* Every axis label a script sets (xlabel, ylabel, y2label: each panel's in a multiplot, each
 * time it is set) names its unit, and there is at least one x and one y label. */
static void assert_axis_units(const char *name, const char *script)
{
    static const char *const axes[] = {"xlabel", "ylabel", "y2label"};
    guint seen[G_N_ELEMENTS(axes)] = {0};
    g_auto(GStrv) lines = g_strsplit(script, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        for (gsize a = 0; a < G_N_ELEMENTS(axes); a++) {
            g_autofree char *prefix = g_strdup_printf("set %s \"", axes[a]);
            if (!g_str_has_prefix(lines[i], prefix))
                continue;
            const char *start = lines[i] + strlen(prefix), *end = start;
            while (*end != '\0' && !(*end == '"' && end[-1] != '\\'))
                end++;
            g_autofree char *label = g_strndup(start, (gsize)(end - start));
            ck_assert_msg(has_unit(label), "%s: %s \"%s\" has no unit", name, axes[a], label);
            seen[a]++;
        }
    }
    ck_assert_msg(seen[0] > 0 && seen[1] > 0, "%s: no xlabel or no ylabel", name);
}

/* The histogram labels at most 10 of its bins: every N-th, N from its script. */
static void assert_histogram_labels(const char *dir)
{
    g_autofree char *gp = read_text(dir, "plots/lost_writes.gp");
    g_autofree char *dat = read_text(dir, "plots/lost_writes.dat");
    const char *at = strstr(gp, "xtic(int($1) % ");
    ck_assert_ptr_nonnull(at);
    guint every = (guint)g_ascii_strtoull(at + strlen("xtic(int($1) % "), NULL, 10);
    ck_assert_uint_ge(every, 1);
    guint bins = count_of(dat, "\n") - 1; /* less the header */
    ck_assert_uint_le((bins + every - 1) / every, 10);
}

static void assert_plot_files(const char *dir, const char *name)
{
    g_autofree char *gp = g_strdup_printf("plots/%s.gp", name);
    g_autofree char *dat = g_strdup_printf("plots/%s.dat", name);
    g_autofree char *png = g_strdup_printf("plots/%s.png", name);
    g_autofree char *svg = g_strdup_printf("plots/%s.svg", name);
    ck_assert_msg(exists(dir, gp), "missing %s", gp);
    ck_assert_msg(exists(dir, dat), "missing %s", dat);
    assert_png(dir, png);
    assert_svg(dir, svg);
    /* every plot has a title, a unit on every axis label and a legend */
    g_autofree char *script = read_text(dir, gp);
    assert_contains(script, "set title \"");
    assert_axis_units(name, script);
    assert_contains(script, " title \"");
}

static void remove_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (d == NULL) {
        g_unlink(dir);
        return;
    }
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            remove_tree(path);
        else
            g_unlink(path);
    }
    g_rmdir(dir);
}

/* ------------------------------------------------------------------ run report */

static gint64 member_int(JsonObject *o, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    for (guint i = 0; parts[i + 1] != NULL; i++)
        o = json_object_get_object_member(o, parts[i]);
    return json_object_get_int_member(o, parts[g_strv_length(parts) - 1]);
}

/* Acked writes per side, counted here independently of reports/. */
static void count_acked(const char *dir, gint64 acked[3])
{
    g_autofree char *text = read_text(dir, "history.jsonl");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autoptr(JsonParser) parser = json_parser_new();
    acked[0] = acked[1] = acked[2] = 0;
    for (guint i = 0; lines[i] != NULL; i++) {
        if (lines[i][0] == '\0')
            continue;
        ck_assert(json_parser_load_from_data(parser, lines[i], -1, NULL));
        JsonObject *op = json_node_get_object(json_parser_get_root(parser));
        /* writes are the workloads' non-read operations (the set workload's "add") */
        if (strcmp(json_object_get_string_member(op, "type"), "ok") != 0 ||
            g_str_has_prefix(json_object_get_string_member(op, "f"), "read"))
            continue;
        const char *side = json_object_get_string_member(op, "side");
        acked[strcmp(side, "majority") == 0 ? 0 : strcmp(side, "minority") == 0 ? 1 : 2]++;
    }
}

START_TEST(test_run_report_plots_and_tables)
{
    g_autofree char *dir = copy_data("run-minority");
    g_autoptr(GError) error = NULL;
    ck_assert_msg(report_write(dir, &error), "%s", error != NULL ? error->message : "");
    assert_plot_files(dir, "timeline");
    assert_plot_files(dir, "availability");
    assert_plot_files(dir, "failover_cdf");
    ck_assert(exists(dir, "plots/run_faults.dat"));
    ck_assert(exists(dir, "plots/run_marks.dat"));

    /* the tables hold the values of summary.json, and the acked counts of history.jsonl */
    g_autofree char *md = read_text(dir, "report.md");
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *summary_path = g_build_filename(dir, "summary.json", NULL);
    ck_assert(json_parser_load_from_file(parser, summary_path, NULL));
    JsonObject *s = json_node_get_object(json_parser_get_root(parser));
    gint64 acked[3];
    count_acked(dir, acked);
    g_autofree char *minority = g_strdup_printf(
        "| minority | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT
        " | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " |",
        acked[1], member_int(s, "writes.lost_by_side.minority"),
        member_int(s, "loss_window.minority.first_ms"),
        member_int(s, "loss_window.minority.last_ms"),
        member_int(s, "loss_window.minority.width_ms"), member_int(s, "unavailable_ms.minority"));
    g_autofree char *majority =
        g_strdup_printf("| majority | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT
                        " | — | — | — | %" G_GINT64_FORMAT " |",
                        acked[0], member_int(s, "writes.lost_by_side.majority"),
                        member_int(s, "unavailable_ms.majority"));
    g_autofree char *none =
        g_strdup_printf("| none | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " | — | — | — | — |",
                        acked[2], member_int(s, "writes.lost_by_side.none"));
    g_autofree char *all =
        g_strdup_printf("| all | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " |",
                        member_int(s, "writes.acked"), member_int(s, "writes.lost"));
    assert_contains(md, minority);
    assert_contains(md, majority);
    assert_contains(md, none);
    assert_contains(md, all);
    /* and the same numbers, as known from gen.py */
    assert_contains(md, "| minority | 62 | 62 | 2 | 6102 | 6100 | 9200 |");
    assert_contains(md, "| majority | 274 | 0 | — | — | — | 1300 |");
    assert_contains(md, "| n1 | n4 | 7 | 5000 | 10300 | 10800 | 11500 | 12100 | 5800 | 7100 |");
    assert_contains(md, "| 0 | partition | partition n1 \\| rest | 5000 | 20000 | 15000 | n1 |");
    assert_contains(md, "| 1 | crash | crash n2 | 24000 | 26000 | 2000 | — | n2 | — |");
    assert_contains(md, "Result: FAILED (see Properties); the cluster converged 2350 ms after "
                        "the last heal.");
    assert_contains(md, "Indeterminate writes: 1; recovered: 0; acked but never read back: 0.");
    assert_contains(md, "| expect lost == 0 | FAILED | lost = 63 (line 30) |");
    assert_contains(md, "| cluster-formed | ok | the cluster formed and converged |");
    assert_contains(md, "| node-timeout | 5000 |");
    assert_contains(md, "Replay: `rcsim run scenarios/minority-partition.scn --seed 42`");
    assert_contains(md, "The first 50 of 63");
    /* the minority window against the spec's bound, in words and as a bracket on the plot */
    assert_contains(md, "The last lost write on the minority side was acked 6102 ms after its "
                        "fault began: 1.22 × node-timeout (5000 ms), past NT but within the "
                        "derived edge");
    g_autofree char *expected = read_text(dir, "plots/run_expected.dat");
    assert_contains(expected, "\n11.250 1.250 \"minority stops writes");
    g_autofree char *cdf = read_text(dir, "plots/failover_cdf.gp");
    assert_contains(cdf, "set arrow from 5.0000, graph 0 to 5.0000, graph 1");
    assert_contains(md, "How to read it: each line counts the writes");
    assert_contains(md, "![");
    assert_contains(md, "](plots/timeline.png)");

    /* the HTML stands alone: three PNGs embedded, no file links to images */
    g_autofree char *html = read_text(dir, "report.html");
    ck_assert(g_str_has_prefix(html, "<!DOCTYPE html>"));
    ck_assert_uint_eq(count_of(html, "src=\"data:image/png;base64,"), 3);
    ck_assert_uint_eq(count_of(html, "src=\"plots/"), 0);
    assert_contains(html, "<td>minority</td><td>62</td><td>62</td><td>2</td><td>6102</td>");
    remove_tree(dir);
}
END_TEST

/* The timeline's data: acked writes per 250 ms bucket and side, as rates, and the lost ones as
 * counts per bucket. The minority side is cut off from 5 s: its client's writes (one per
 * 100 ms, acked at +2 ms) are all lost, until n1 stops accepting writes at 11.2 s. */
START_TEST(test_timeline_data_buckets)
{
    g_autofree char *dir = copy_data("run-minority");
    g_autoptr(GError) error = NULL;
    ck_assert_msg(report_write(dir, &error), "%s", error != NULL ? error->message : "");
    g_autofree char *dat = read_text(dir, "plots/timeline.dat");
    /* 6.000 s: minority acks at 6.002, 6.102, 6.202 (3 per 250 ms = 12/s), all 3 lost */
    assert_contains(dat, "\n6.000 20 12 NaN 0 3 0\n");
    /* 15.000 s: the minority is refused (acked 0 but it completed operations) */
    assert_contains(dat, "\n15.000 20 0 NaN 0 0 0\n");
    /* 2.000 s: no partition yet, only side none */
    assert_contains(dat, "\n2.000 NaN NaN 32 0 0 0\n");
    g_autofree char *avail = read_text(dir, "plots/availability.dat");
    assert_contains(avail, "\n15.000 100 0 NaN 5 3 0\n");
    remove_tree(dir);
}
END_TEST

START_TEST(test_run_report_is_deterministic)
{
    g_autofree char *a = copy_data("run-minority");
    g_autofree char *b = copy_data("run-minority");
    ck_assert(report_write(a, NULL));
    ck_assert(report_write(b, NULL));
    const char *files[] = {"report.md", "plots/timeline.gp", "plots/timeline.dat",
                           "plots/availability.dat", "plots/run_marks.dat"};
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *x = read_text(a, files[i]);
        g_autofree char *y = read_text(b, files[i]);
        ck_assert_str_eq(x, y);
    }
    remove_tree(a);
    remove_tree(b);
}
END_TEST

/* `gnuplot DIR/plots/timeline.gp` from another folder re-renders the plot next to itself. */
START_TEST(test_script_rerenders_by_hand)
{
    g_autofree char *dir = copy_data("run-minority");
    ck_assert(report_write(dir, NULL));
    g_autofree char *png = g_build_filename(dir, "plots", "timeline.png", NULL);
    ck_assert_int_eq(g_unlink(png), 0);
    g_autofree char *script = g_build_filename(dir, "plots", "timeline.gp", NULL);
    g_autofree char *gnuplot = g_find_program_in_path("gnuplot");
    ck_assert_ptr_nonnull(gnuplot);
    char *argv[] = {gnuplot, script, NULL};
    gint status;
    ck_assert(g_spawn_sync("/", argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                           &status, NULL));
    ck_assert(g_spawn_check_wait_status(status, NULL));
    assert_png(dir, "plots/timeline.png");
    remove_tree(dir);
}
END_TEST

/* ------------------------------------------------------------------ real runner output */

/* A Markdown table cell as reports/doc.c writes it: '|' escaped. */
static char *md_cell(const char *text)
{
    g_auto(GStrv) parts = g_strsplit(text, "|", -1);
    return g_strjoinv("\\|", parts);
}

/* An integer member, or "—" when it is null or absent. */
static char *int_or_dash(JsonObject *o, const char *name)
{
    JsonNode *n = o != NULL ? json_object_get_member(o, name) : NULL;
    if (n == NULL || JSON_NODE_HOLDS_NULL(n))
        return g_strdup("—");
    return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n));
}

/* real-run/ is `rcsim run tests/data/reports/report-fixture.scn --seed 1` (make-real.sh):
 * every plot renders, and every table holds what summary.json and history.jsonl say. */
START_TEST(test_real_run_report)
{
    g_autofree char *dir = copy_data("real-run");
    g_autoptr(GError) error = NULL;
    ck_assert_msg(report_write(dir, &error), "%s", error != NULL ? error->message : "");
    assert_plot_files(dir, "timeline");
    assert_plot_files(dir, "availability");
    assert_plot_files(dir, "failover_cdf");
    g_autofree char *md = read_text(dir, "report.md");
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *summary_path = g_build_filename(dir, "summary.json", NULL);
    ck_assert(json_parser_load_from_file(parser, summary_path, NULL));
    JsonObject *s = json_node_get_object(json_parser_get_root(parser));
    /* the run behind it: a minority partition that lost writes on the minority side only */
    ck_assert_int_gt(member_int(s, "writes.lost_by_side.minority"), 0);
    ck_assert_int_eq(member_int(s, "writes.lost_by_side.majority"), 0);

    /* writes per side */
    gint64 acked[3];
    count_acked(dir, acked);
    ck_assert_int_eq(acked[0] + acked[1] + acked[2], member_int(s, "writes.acked"));
    JsonObject *windows = json_object_get_object_member(s, "loss_window");
    const char *const sides[] = {"majority", "minority", "none"};
    for (int k = 0; k < 3; k++) {
        JsonNode *wn = json_object_get_member(windows, sides[k]);
        ck_assert_msg(wn != NULL, "summary.json has no loss_window.%s", sides[k]);
        JsonObject *w = JSON_NODE_HOLDS_NULL(wn) ? NULL : json_node_get_object(wn);
        g_autofree char *lost_path = g_strdup_printf("writes.lost_by_side.%s", sides[k]);
        g_autofree char *down_path = g_strdup_printf("unavailable_ms.%s", sides[k]);
        g_autofree char *first = int_or_dash(w, "first_ms");
        g_autofree char *last = int_or_dash(w, "last_ms");
        g_autofree char *width = int_or_dash(w, "width_ms");
        /* the table gives no unavailable time for side none */
        g_autofree char *down =
            k < 2 ? g_strdup_printf("%" G_GINT64_FORMAT, member_int(s, down_path)) : g_strdup("—");
        g_autofree char *row = g_strdup_printf(
            "\n| %s | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " | %s | %s | %s | %s |\n",
            sides[k], acked[k], member_int(s, lost_path), first, last, width, down);
        assert_contains(md, row);
    }
    g_autofree char *all =
        g_strdup_printf("\n| all | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " |",
                        member_int(s, "writes.acked"), member_int(s, "writes.lost"));
    assert_contains(md, all);
    g_autofree char *bound = g_strdup_printf(
        "The last lost write on the minority side was acked %" G_GINT64_FORMAT " ms after its "
        "fault began",
        member_int(s, "loss_window.minority.last_ms"));
    assert_contains(md, bound);

    /* properties, failovers, faults and lost writes: one row each */
    JsonArray *props = json_object_get_array_member(s, "properties");
    ck_assert_uint_gt(json_array_get_length(props), 3);
    for (guint i = 0; i < json_array_get_length(props); i++) {
        JsonObject *p = json_array_get_object_element(props, i);
        g_autofree char *name = md_cell(json_object_get_string_member(p, "name"));
        g_autofree char *detail = md_cell(json_object_get_string_member(p, "detail"));
        g_autofree char *row =
            g_strdup_printf("\n| %s | %s | %s |\n", name,
                            json_object_get_boolean_member(p, "ok") ? "ok" : "FAILED", detail);
        assert_contains(md, row);
    }
    JsonArray *fos = json_object_get_array_member(s, "failovers");
    ck_assert_uint_eq(json_array_get_length(fos), 1);
    JsonObject *fo = json_array_get_object_element(fos, 0);
    gint64 fault_ms = json_object_get_int_member(fo, "fault_ms");
    g_autofree char *fo_row = g_strdup_printf(
        "\n| %s | %s | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT
        " | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT
        " | %" G_GINT64_FORMAT " |\n",
        json_object_get_string_member(fo, "failed_node"),
        json_object_get_string_member(fo, "promoted_node"), json_object_get_int_member(fo, "epoch"),
        fault_ms, json_object_get_int_member(fo, "pfail_ms"),
        json_object_get_int_member(fo, "fail_ms"), json_object_get_int_member(fo, "election_ms"),
        json_object_get_int_member(fo, "promoted_ms"),
        json_object_get_int_member(fo, "fail_ms") - fault_ms,
        json_object_get_int_member(fo, "promoted_ms") - fault_ms);
    assert_contains(md, fo_row);
    JsonObject *fault = json_array_get_object_element(json_object_get_array_member(s, "faults"), 0);
    g_autofree char *label = md_cell(json_object_get_string_member(fault, "label"));
    gint64 start = json_object_get_int_member(fault, "start_ms");
    gint64 end = json_object_get_int_member(fault, "end_ms");
    g_autofree char *fault_row = g_strdup_printf(
        "\n| 0 | partition | %s | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT
        " | %s | — | — |\n",
        label, start, end, end - start,
        json_array_get_string_element(json_object_get_array_member(fault, "minority"), 0));
    assert_contains(md, fault_row);
    JsonArray *lost = json_object_get_array_member(s, "lost_writes");
    ck_assert_int_eq(json_array_get_length(lost), member_int(s, "writes.lost"));
    for (guint i = 0; i < json_array_get_length(lost); i++) {
        JsonObject *l = json_array_get_object_element(lost, i);
        g_autofree char *row = g_strdup_printf(
            "\n| %" G_GINT64_FORMAT " | %s | %s | %s | %s | %" G_GINT64_FORMAT
            " | %" G_GINT64_FORMAT " |\n",
            json_object_get_int_member(l, "process"), json_object_get_string_member(l, "key"),
            json_object_get_string_member(l, "value"), json_object_get_string_member(l, "node"),
            json_object_get_string_member(l, "side"), json_object_get_int_member(l, "ack_ms"),
            json_object_get_int_member(l, "fault_index"));
        assert_contains(md, row);
    }

    /* the timeline counts every lost write in the bucket of its ack, on its own panel */
    g_autofree char *dat = read_text(dir, "plots/timeline.dat");
    g_auto(GStrv) rows = g_strsplit(dat, "\n", -1);
    gint64 counted[3] = {0, 0, 0};
    for (guint i = 0; rows[i] != NULL; i++) {
        if (rows[i][0] == '#' || rows[i][0] == '\0')
            continue;
        g_auto(GStrv) cells = g_strsplit(rows[i], " ", -1);
        ck_assert_uint_eq(g_strv_length(cells), 7);
        for (int k = 0; k < 3; k++)
            counted[k] += g_ascii_strtoll(cells[4 + k], NULL, 10);
    }
    ck_assert_int_eq(counted[0], member_int(s, "writes.lost_by_side.majority"));
    ck_assert_int_eq(counted[1], member_int(s, "writes.lost_by_side.minority"));
    ck_assert_int_eq(counted[2], member_int(s, "writes.lost_by_side.none"));
    g_autofree char *gp = read_text(dir, "plots/timeline.gp");
    ck_assert_uint_eq(count_of(gp, "\nset multiplot\n"), 2); /* once per format */
    g_autofree char *legend = g_strdup_printf(
        "with points pt 7 ps 1.7 lc rgb \"#d62728\" title \"lost: acked on the minority side, "
        "then lost (%" G_GINT64_FORMAT ")\"",
        member_int(s, "writes.lost_by_side.minority"));
    assert_contains(gp, legend);
    assert_contains(gp, "set ylabel \"lost writes per 250 ms bucket\\nby ack time (writes)\"");
    /* the time axis ends at the scenario's duration (18 s), not with the final read-back */
    ck_assert_int_gt(member_int(s, "sim_time_ms"), 18000);
    assert_contains(gp, "\nset xrange [0:18.000]\n");
    ck_assert_msg(g_str_has_prefix(rows[g_strv_length(rows) - 2], "18.000 "),
                  "timeline.dat ends with %s", rows[g_strv_length(rows) - 2]);
    g_autofree char *avail = read_text(dir, "plots/availability.gp");
    assert_contains(avail, "\nset xrange [0:18.000]\n");
    assert_contains(avail, "set title \"Availability per side, as the share of operations that "
                           "succeeded: report-fixture, seed 1\"");
    /* the failover CDF's legend is below the plot, off the curves */
    g_autofree char *cdf = read_text(dir, "plots/failover_cdf.gp");
    assert_contains(cdf, "\nset key outside below center");
    ck_assert(strstr(cdf, "set key inside") == NULL);
    /* the notes say what the plots show */
    assert_contains(md, "The lower panel, on its own scale, counts the acknowledged writes that "
                        "were later lost");
    assert_contains(md, "the majority side fails requests for the isolated master's slots from "
                        "the cut until a replica is promoted");
    g_autofree char *html = read_text(dir, "report.html");
    ck_assert_uint_eq(count_of(html, "src=\"data:image/png;base64,"), 3);
    remove_tree(dir);
}
END_TEST

/* aggregates.csv as a table: "point,metric" -> its cells (min, median, p90, p99, max, count). */
static GHashTable *read_aggregates(const char *dir)
{
    g_autofree char *text = read_text(dir, "aggregates.csv");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    ck_assert_str_eq(lines[0], "point,metric,min,median,p90,p99,max,count");
    GHashTable *t =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_strfreev);
    for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++) {
        g_auto(GStrv) cells = g_strsplit(lines[i], ",", -1);
        ck_assert_uint_eq(g_strv_length(cells), 8);
        char *key = g_strdup_printf("%s,%s", cells[0], cells[1]);
        char **values = g_new0(char *, 7);
        for (int k = 0; k < 6; k++)
            values[k] = g_strdup(cells[2 + k][0] != '\0' ? cells[2 + k] : "—");
        g_hash_table_insert(t, key, values);
    }
    return t;
}

enum { AGG_MIN, AGG_MEDIAN, AGG_P90, AGG_P99, AGG_MAX, AGG_COUNT };

static const char *agg(GHashTable *t, const char *point, const char *metric, int which)
{
    g_autofree char *key = g_strdup_printf("%s,%s", point, metric);
    char **v = g_hash_table_lookup(t, key);
    ck_assert_msg(v != NULL, "aggregates.csv has no %s", key);
    return v[which];
}

/* The lost writes of a point summed over its completed runs, read from runs.jsonl here:
 * all, majority, minority, none. Returns the number of runs. */
static guint sum_lost(const char *dir, const char *point, gint64 sums[4])
{
    g_autofree char *text = read_text(dir, "runs.jsonl");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    static const char *const fields[] = {"lost", "lost_majority", "lost_minority", "lost_none"};
    guint runs = 0;
    memset(sums, 0, 4 * sizeof sums[0]);
    for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
        g_autoptr(JsonParser) parser = json_parser_new();
        ck_assert(json_parser_load_from_data(parser, lines[i], -1, NULL));
        JsonObject *o = json_node_get_object(json_parser_get_root(parser));
        if (strcmp(json_object_get_string_member(o, "point"), point) != 0 ||
            json_object_get_null_member(o, "lost"))
            continue;
        runs++;
        for (int k = 0; k < 4; k++)
            sums[k] += json_object_get_int_member(o, fields[k]);
    }
    return runs;
}

/* A median of aggregates.csv in seconds, as the unavailability note writes it ("20.5"). */
static char *agg_seconds(const char *ms)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.1f", g_ascii_strtod(ms, NULL) / 1000.0));
}

/* real-sweep/ is `rcsim sweep tests/data/reports/report-fixture.scn --seeds 1..4 --vary
 * node-timeout=1000,2000,4000` (make-real.sh): every number of the report's tables that
 * aggregates.csv also holds is the same number (both nearest-rank), and every plot renders. */
START_TEST(test_real_sweep_matches_aggregates)
{
    g_autofree char *dir = copy_data("real-sweep");
    g_autoptr(GError) error = NULL;
    ck_assert_msg(report_write(dir, &error), "%s", error != NULL ? error->message : "");
    assert_plot_files(dir, "loss_window");
    assert_plot_files(dir, "lost_writes");
    assert_plot_files(dir, "failover_cdf");
    assert_plot_files(dir, "unavailability");
    g_autofree char *md = read_text(dir, "report.md");
    g_autofree char *window = read_text(dir, "plots/loss_window.dat");
    g_autoptr(GHashTable) a = read_aggregates(dir);
    const char *const points[] = {"node-timeout=1000", "node-timeout=2000", "node-timeout=4000"};
    const int nts[] = {1000, 2000, 4000};
    guint even_medians = 0; /* points where nearest rank and interpolation can differ */
    for (gsize p = 0; p < G_N_ELEMENTS(points); p++) {
        const char *pt = points[p];
        /* the loss window table, minority side: last lost ack, then the width */
        const char *med = agg(a, pt, "window_minority_last_ms", AGG_MEDIAN);
        char ratio[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(ratio, sizeof ratio, "%.2f", g_ascii_strtod(med, NULL) / nts[p]);
        g_autofree char *row = g_strdup_printf(
            "\n| %s | minority | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", pt,
            agg(a, pt, "window_minority_ms", AGG_COUNT),
            agg(a, pt, "window_minority_last_ms", AGG_MIN), med,
            agg(a, pt, "window_minority_last_ms", AGG_P90),
            agg(a, pt, "window_minority_last_ms", AGG_MAX), ratio,
            agg(a, pt, "window_minority_ms", AGG_MEDIAN), agg(a, pt, "window_minority_ms", AGG_P90),
            agg(a, pt, "window_minority_ms", AGG_MAX));
        assert_contains(md, row);
        /* and side none (no partition in force), which has no node-timeout ratio */
        g_autofree char *none_row = g_strdup_printf(
            "\n| %s | none | %s | %s | %s | %s | %s | — | %s | %s | %s |\n", pt,
            agg(a, pt, "window_none_ms", AGG_COUNT), agg(a, pt, "window_none_last_ms", AGG_MIN),
            agg(a, pt, "window_none_last_ms", AGG_MEDIAN),
            agg(a, pt, "window_none_last_ms", AGG_P90), agg(a, pt, "window_none_last_ms", AGG_MAX),
            agg(a, pt, "window_none_ms", AGG_MEDIAN), agg(a, pt, "window_none_ms", AGG_P90),
            agg(a, pt, "window_none_ms", AGG_MAX));
        assert_contains(md, none_row);
        even_medians +=
            g_ascii_strtoll(agg(a, pt, "window_minority_ms", AGG_COUNT), NULL, 10) % 2 == 0;
        /* lost per run: median and max, all, majority, minority, no partition */
        g_autofree char *lost = g_strdup_printf(
            " | %s | %s | %s | %s | %s | %s | %s | %s |\n", agg(a, pt, "lost", AGG_MEDIAN),
            agg(a, pt, "lost", AGG_MAX), agg(a, pt, "lost_majority", AGG_MEDIAN),
            agg(a, pt, "lost_majority", AGG_MAX), agg(a, pt, "lost_minority", AGG_MEDIAN),
            agg(a, pt, "lost_minority", AGG_MAX), agg(a, pt, "lost_none", AGG_MEDIAN),
            agg(a, pt, "lost_none", AGG_MAX));
        g_autofree char *lost_head = g_strdup_printf("\n| %s | 4 | ", pt);
        const char *at = strstr(md, lost_head);
        ck_assert_msg(at != NULL, "missing: %s", lost_head + 1);
        const char *eol = strchr(at + 1, '\n');
        g_autofree char *lost_row = g_strndup(at, (gsize)(eol - at) + 1);
        ck_assert_msg(g_str_has_suffix(lost_row, lost), "%s does not end in %s", lost_row, lost);
        /* unavailability and failover */
        g_autofree char *avail = g_strdup_printf(
            "\n| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", pt,
            agg(a, pt, "unavailable_majority_ms", AGG_MEDIAN),
            agg(a, pt, "unavailable_majority_ms", AGG_MAX),
            agg(a, pt, "unavailable_minority_ms", AGG_MEDIAN),
            agg(a, pt, "unavailable_minority_ms", AGG_MAX), agg(a, pt, "failover_ms", AGG_COUNT),
            agg(a, pt, "failover_ms", AGG_MEDIAN), agg(a, pt, "failover_ms", AGG_P90),
            agg(a, pt, "failover_ms", AGG_MAX));
        assert_contains(md, avail);
        /* the totals add up: all = majority + minority + no partition, as runs.jsonl says */
        gint64 sums[4];
        guint runs = sum_lost(dir, pt, sums);
        ck_assert_int_eq(sums[0], sums[1] + sums[2] + sums[3]);
        g_autofree char *totals =
            g_strdup_printf("\n| %s | %u | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT
                            " | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " |\n",
                            pt, runs, sums[0], sums[1], sums[2], sums[3]);
        assert_contains(md, totals);
        /* the loss window plot draws the same last-lost-ack statistics (none: no run) */
        g_autofree char *plotted =
            g_strdup_printf("\n%d 0 NaN NaN NaN NaN %s %s %s %s %s 0 NaN NaN NaN NaN\n", nts[p],
                            agg(a, pt, "window_minority_last_ms", AGG_COUNT),
                            agg(a, pt, "window_minority_last_ms", AGG_MIN), med,
                            agg(a, pt, "window_minority_last_ms", AGG_P90),
                            agg(a, pt, "window_minority_last_ms", AGG_MAX));
        assert_contains(window, plotted);
    }
    ck_assert_uint_gt(even_medians, 0);
    assert_histogram_labels(dir);
    /* The unavailability note says what the medians do, from these numbers: the minority's
     * is flat (its clients' requests across the cut time out until the heal whatever the
     * node-timeout), the majority's grows with node-timeout (the failover). Not the old
     * claim that a larger node-timeout leaves the minority refused for less. */
    double lo = G_MAXDOUBLE, hi = 0;
    for (gsize p = 0; p < G_N_ELEMENTS(points); p++) {
        double m = g_ascii_strtod(agg(a, points[p], "unavailable_minority_ms", AGG_MEDIAN), NULL);
        lo = MIN(lo, m);
        hi = MAX(hi, m);
    }
    ck_assert(hi - lo <= 0.1 * hi);
    char lo_s[G_ASCII_DTOSTR_BUF_SIZE], hi_s[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(lo_s, sizeof lo_s, "%.1f", lo / 1000.0);
    g_ascii_formatd(hi_s, sizeof hi_s, "%.1f", hi / 1000.0);
    g_autofree char *flat = g_strdup_printf(
        "Measured in this sweep: the minority side's median unavailable time is flat, %s%s%s s at "
        "every node-timeout from 1000 to 4000 ms: a larger node-timeout did not shorten it; ",
        lo_s, strcmp(lo_s, hi_s) != 0 ? " to " : "", strcmp(lo_s, hi_s) != 0 ? hi_s : "");
    assert_contains(md, flat);
    g_autofree char *maj_lo =
        agg_seconds(agg(a, "node-timeout=1000", "unavailable_majority_ms", AGG_MEDIAN));
    g_autofree char *maj_hi =
        agg_seconds(agg(a, "node-timeout=4000", "unavailable_majority_ms", AGG_MEDIAN));
    g_autofree char *grows = g_strdup_printf(
        "the majority side's median unavailable time grows from %s s at node-timeout 1000 ms to "
        "%s s at 4000 ms.",
        maj_lo, maj_hi);
    assert_contains(md, grows);
    ck_assert(strstr(md, "refused for less of the partition") == NULL);
    /* and the known values, nearest rank: of 2285, 2859, 2954, 3177 the median is the 2nd */
    assert_contains(md, "| node-timeout=2000 | minority | 4 | 2285 | 2859 | 3177 | 3177 | 1.43 |");
    remove_tree(dir);
}
END_TEST

/* ------------------------------------------------------------------ sweep report */

START_TEST(test_sweep_report_plots_and_tables)
{
    g_autofree char *dir = copy_data("sweep-nt");
    /* the worst run was kept (--keep-runs): it gets its own report, linked */
    g_autofree char *run = copy_data("run-minority");
    g_autofree char *kept_parent = g_build_filename(dir, "runs", "node-timeout=4000", NULL);
    g_autofree char *kept = g_build_filename(kept_parent, "seed-12", NULL);
    ck_assert_int_eq(g_mkdir_with_parents(kept_parent, 0755), 0);
    ck_assert_int_eq(g_rename(run, kept), 0);
    g_autoptr(GError) error = NULL;
    ck_assert_msg(report_write(dir, &error), "%s", error != NULL ? error->message : "");
    assert_plot_files(dir, "loss_window");
    assert_plot_files(dir, "lost_writes");
    assert_plot_files(dir, "failover_cdf");
    assert_plot_files(dir, "unavailability");
    g_autofree char *md = read_text(dir, "report.md");
    /* values computed from runs.jsonl by hand (nearest rank: the value of rank ceil(q n));
     * last lost ack min, median, p90, max, median / NT, then the width's median, p90, max */
    assert_contains(md, "| node-timeout=1000 | minority | 11 | 990 | 1193 | 1369 | 1409 | 1.19 | "
                        "1149 | 1312 | 1389 |");
    assert_contains(md, "| node-timeout=2000 | minority | 11 | 1952 | 2386 | 2710 | 2872 | 1.19 | "
                        "2292 | 2674 | 2820 |");
    assert_contains(md, "| node-timeout=4000 | minority | 12 | 3849 | 4660 | 5470 | 5688 |");
    assert_contains(md, "| node-timeout=1000 | majority | 2 | 170 | 170 | 220 | 220 | 0.17 | 165 | "
                        "215 | 215 |");
    /* side none: seeds 4, 8, 12 at node-timeout 4000 lost writes after the heal; no ratio */
    assert_contains(md,
                    "| node-timeout=4000 | none | 3 | 15270 | 15390 | 15510 | 15510 | — | 310 | "
                    "390 | 390 |");
    assert_contains(md, "| node-timeout=1000 | none | 0 | — | — | — | — | — | — | — | — |");
    /* lost per run: all, majority, minority, no partition (median, max) */
    assert_contains(md,
                    "| node-timeout=2000 | 12 | 1 | 0 | 11 | 22 | 28 | 0 | 3 | 22 | 28 | 0 | 0 |");
    assert_contains(md,
                    "| node-timeout=1000 | 12 | 0 | 1 | 11 | 12 | 17 | 0 | 3 | 11 | 14 | 0 | 0 |");
    assert_contains(md,
                    "| node-timeout=4000 | 12 | 0 | 0 | 12 | 47 | 61 | 0 | 3 | 46 | 56 | 0 | 5 |");
    /* summed over the runs, the sides add up to all */
    assert_contains(md, "| node-timeout=1000 | 11 | 131 | 5 | 126 | 0 |");
    assert_contains(md, "| node-timeout=4000 | 12 | 580 | 5 | 563 | 12 |");
    /* the run that did not complete, and the worst runs, with the commands that replay them */
    assert_contains(md, "| 9 | node-timeout=1000 | event limit reached at 41.250 s | `rcsim run "
                        "scenarios/minority-partition.scn --seed 9 --set node-timeout=1000` |");
    assert_contains(md,
                    "| 12 | node-timeout=4000 | 61 | 0 | 56 | 5 | — | 5594 | 390 | — | 5688 | "
                    "15510 | `rcsim run scenarios/minority-partition.scn --seed 12 --set "
                    "node-timeout=4000` | [report](runs/node-timeout=4000/seed-12/report.html) |");
    assert_contains(md, "--seed 1 --set node-timeout=4000` | — |"); /* not kept: no link */
    assert_png(kept, "plots/timeline.png");
    assert_contains(md, "| 11 | 3995 | 4563 | 4728 |");
    assert_contains(md, "36 runs read from `runs.jsonl` (sweep.json: 36 runs, 35 failed)");
    /* the spec bound and the derived edge are drawn and labelled as such */
    g_autofree char *gp = read_text(dir, "plots/loss_window.gp");
    assert_contains(gp, "  x with lines");
    assert_contains(gp, "Redis spec: a master cut off from the majority stops accepting writes "
                        "after NT (y = NT)");
    assert_contains(gp, "  1.5*x with lines");
    assert_contains(gp, "derived, not in the spec");
    g_autofree char *window = read_text(dir, "plots/loss_window.dat");
    /* the plot draws the last lost ack (window_*_last_ms), not the width */
    assert_contains(window, "\n1000 2 170 170 220 220 11 990 1193 1369 1409 0 NaN NaN NaN NaN\n");
    assert_contains(window, "\n4000 2 170 170 220 220 12 3849 4660 5470 5688 3 15270 15390 15510 "
                            "15510\n");
    assert_contains(gp, "title \"no partition (side none): median, bars min–max (3 runs lost "
                        "writes)\"");
    assert_contains(gp, "set ylabel \"last lost write: its ack time after the fault began (ms)\"");
    g_autofree char *cdf = read_text(dir, "plots/failover_cdf.gp");
    assert_contains(cdf, "set arrow from 1.0000, graph 0 to 1.0000, graph 1");
    assert_contains(cdf, "set arrow from 4.0000, graph 0 to 4.0000, graph 1");
    g_autofree char *lost = read_text(dir, "plots/lost_writes.dat");
    /* bin 0: runs that lost nothing on the majority side, the minority side, no partition */
    assert_contains(lost, "\n0 \"0\" 29 1 32\n");
    g_autofree char *hist = read_text(dir, "plots/lost_writes.gp");
    assert_contains(hist, "title \"no partition (side none): 35 runs\"");
    assert_histogram_labels(dir);
    /* the unavailability note, from these numbers */
    assert_contains(md, "Measured in this sweep: the minority side's median unavailable time "
                        "falls from 13.1 s at node-timeout 1000 ms to 10.1 s at 4000 ms; the "
                        "majority side's median unavailable time is flat, 1.1 s at every "
                        "node-timeout from 1000 to 4000 ms.");
    g_autofree char *html = read_text(dir, "report.html");
    ck_assert_uint_eq(count_of(html, "src=\"data:image/png;base64,"), 4);
    assert_contains(html, "<a href=\"runs/node-timeout=4000/seed-12/report.html\">report</a>");
    remove_tree(dir);
}
END_TEST

/* runs.csv gives the same tables as runs.jsonl (up to the replay commands and errors, which
 * only runs.jsonl holds). */
START_TEST(test_sweep_csv_matches_jsonl)
{
    g_autofree char *a = copy_data("sweep-nt");
    g_autofree char *b = copy_data("sweep-nt");
    g_autofree char *jsonl = g_build_filename(b, "runs.jsonl", NULL);
    ck_assert_int_eq(g_unlink(jsonl), 0);
    ReportOptions opt;
    report_options_init(&opt);
    opt.is_png = FALSE;
    g_autoptr(GError) error = NULL;
    ck_assert_msg(report_write_with(a, &opt, &error), "%s", error ? error->message : "");
    ck_assert_msg(report_write_with(b, &opt, &error), "%s", error ? error->message : "");
    g_autofree char *x = read_text(a, "report.md");
    g_autofree char *y = read_text(b, "report.md");
    *strstr(x, "## Runs that lost the most writes") = '\0';
    *strstr(y, "## Runs that lost the most writes") = '\0';
    g_autofree char *y_as_x = NULL;
    {
        g_auto(GStrv) parts = g_strsplit(y, "`runs.csv`", -1);
        y_as_x = g_strjoinv("`runs.jsonl`", parts);
    }
    ck_assert_str_eq(x, y_as_x);
    /* SVG only: no PNG made, the HTML embeds the SVGs */
    ck_assert(!exists(a, "plots/loss_window.png"));
    assert_svg(a, "plots/loss_window.svg");
    g_autofree char *html = read_text(a, "report.html");
    ck_assert_uint_eq(count_of(html, "src=\"data:image/svg+xml;base64,"), 4);
    remove_tree(a);
    remove_tree(b);
}
END_TEST

/* Two varied parameters, one of them not a number: node-timeout stays the x axis, each value
 * of the other is its own series, and the points are named as the runner names them. */
START_TEST(test_sweep_two_parameters)
{
    g_autofree char *dir = g_dir_make_tmp("rcsim-report-XXXXXX", NULL);
    g_autofree char *sweep = g_build_filename(dir, "sweep.json", NULL);
    ck_assert(g_file_set_contents(
        sweep,
        "{\"scenario\":\"s.scn\",\"seeds\":[1,2],\"vary\":{\"grudge\":[\"ring\",\"halves\"],"
        "\"node-timeout\":[1000,2000]},\"runs\":8,\"failed\":8}",
        -1, NULL));
    GString *rows = g_string_new(NULL);
    const char *grudges[] = {"ring", "halves"};
    for (int g = 0; g < 2; g++)
        for (int nt = 1000; nt <= 2000; nt += 1000)
            for (int seed = 1; seed <= 2; seed++)
                g_string_append_printf(
                    rows,
                    "{\"seed\":%d,\"grudge\":\"%s\",\"node-timeout\":%d,"
                    "\"lost\":%d,\"lost_majority\":0,\"lost_minority\":%d,"
                    "\"window_minority_ms\":%d,\"failover_ms\":%d,\"ok\":false}\n",
                    seed, grudges[g], nt, seed + g, seed + g, nt + 100 * seed + 1000 * g,
                    nt + 1500 + seed);
    g_autofree char *runs = g_build_filename(dir, "runs.jsonl", NULL);
    ck_assert(g_file_set_contents(runs, rows->str, -1, NULL));
    g_string_free(rows, TRUE);
    g_autoptr(GError) error = NULL;
    ck_assert_msg(report_write(dir, &error), "%s", error != NULL ? error->message : "");
    /* rows without window_*_last_ms (an older sweep): the width is drawn, and no bound */
    ck_assert(!exists(dir, "plots/loss_window.gp"));
    g_autofree char *window = read_text(dir, "plots/loss_window_width.dat");
    assert_contains(window, "# grudge=ring\n1000 0 NaN NaN NaN NaN 2 1100 1100 1200 1200 0 NaN NaN "
                            "NaN NaN\n");
    assert_contains(window, "\n\n\n# grudge=halves\n1000 0 NaN NaN NaN NaN 2 2100 2100 2200 2200 "
                            "0 NaN NaN NaN NaN\n");
    g_autofree char *gp = read_text(dir, "plots/loss_window_width.gp");
    assert_contains(gp, "title \"minority side, grudge=halves: median");
    assert_contains(gp, "set ylabel \"loss window width: last minus first ack of a lost write");
    ck_assert(strstr(gp, "Redis spec") == NULL);
    g_autofree char *md = read_text(dir, "report.md");
    assert_contains(md, "| grudge=halves,node-timeout=2000 | minority | 2 | — | — | — | — | — | "
                        "3100 | 3200 | 3200 |");
    assert_contains(md, "These rows carry no `window_*_last_ms`");
    /* nor lost_none: no side none in the tables, and a note saying why */
    assert_contains(md, "These rows carry no `lost_none`");
    ck_assert(strstr(md, " | none | ") == NULL);
    assert_contains(md, "How to read it: each point is the median width of the loss window");
    remove_tree(dir);
}
END_TEST

/* ------------------------------------------------------------------ gnuplot missing or failing */

START_TEST(test_missing_gnuplot_option)
{
    g_autofree char *dir = copy_data("run-minority");
    ReportOptions opt;
    report_options_init(&opt);
    opt.gnuplot = "/nonexistent/gnuplot";
    g_autoptr(GError) error = NULL;
    ck_assert(!report_write_with(dir, &opt, &error));
    ck_assert_int_eq(error->code, REPORT_ERROR_NO_GNUPLOT);
    g_autofree char *want = g_strdup_printf(
        "gnuplot not found at '/nonexistent/gnuplot': install the Debian package gnuplot-nox "
        "(apt-get install gnuplot-nox) or pass --gnuplot PATH; the tables are in %s/report.md",
        dir);
    ck_assert_str_eq(error->message, want);
    /* the tables, scripts and data are there; no picture */
    g_autofree char *md = read_text(dir, "report.md");
    assert_contains(md, "| minority | 62 | 62 | 2 | 6102 | 6100 | 9200 |");
    assert_contains(md, "*: not rendered (script `plots/timeline.gp`");
    ck_assert(exists(dir, "plots/timeline.gp"));
    ck_assert(exists(dir, "plots/timeline.dat"));
    ck_assert(!exists(dir, "plots/timeline.png"));
    ck_assert(!exists(dir, "plots/timeline.svg"));
    ck_assert(exists(dir, "report.html"));
    remove_tree(dir);
}
END_TEST

START_TEST(test_missing_gnuplot_in_path)
{
    g_autofree char *dir = copy_data("sweep-nt");
    g_autofree char *path = g_strdup(g_getenv("PATH"));
    g_setenv("PATH", "", TRUE);
    g_autoptr(GError) error = NULL;
    gboolean ok = report_write(dir, &error);
    g_setenv("PATH", path != NULL ? path : "/usr/bin:/bin", TRUE); /* for CK_FORK=no */
    ck_assert(!ok);
    ck_assert_int_eq(error->code, REPORT_ERROR_NO_GNUPLOT);
    g_autofree char *want = g_strdup_printf(
        "gnuplot not found in PATH: install the Debian package gnuplot-nox (apt-get install "
        "gnuplot-nox); the tables are in %s/report.md",
        dir);
    ck_assert_str_eq(error->message, want);
    ck_assert(exists(dir, "report.md"));
    ck_assert(exists(dir, "plots/loss_window.gp"));
    remove_tree(dir);
}
END_TEST

/* A picture left by an earlier report is not shown as if it were new. */
START_TEST(test_stale_pictures_removed)
{
    g_autofree char *dir = copy_data("run-minority");
    ck_assert(report_write(dir, NULL));
    ck_assert(exists(dir, "plots/timeline.png"));
    ReportOptions opt;
    report_options_init(&opt);
    opt.gnuplot = "/nonexistent/gnuplot";
    ck_assert(!report_write_with(dir, &opt, NULL));
    ck_assert(!exists(dir, "plots/timeline.png"));
    g_autofree char *html = read_text(dir, "report.html");
    ck_assert_uint_eq(count_of(html, "data:image/"), 0);
    remove_tree(dir);
}
END_TEST

START_TEST(test_gnuplot_failure_is_reported)
{
    g_autofree char *dir = copy_data("run-minority");
    ReportOptions opt;
    report_options_init(&opt);
    opt.gnuplot = "/bin/false";
    g_autoptr(GError) error = NULL;
    ck_assert(!report_write_with(dir, &opt, &error));
    ck_assert_int_eq(error->code, REPORT_ERROR_GNUPLOT);
    g_autofree char *want = g_strdup_printf(
        "%s/plots/timeline.gp: gnuplot failed: Child process exited with code 1; the tables are "
        "in %s/report.md",
        dir, dir);
    ck_assert_str_eq(error->message, want);
    ck_assert(exists(dir, "report.md"));
    remove_tree(dir);
}
END_TEST

/* ------------------------------------------------------------------ bad input */

#define BASE                                                                                       \
    "{\"scenario\":\"s.scn\",\"seed\":1,\"sim_time_ms\":1000,"                                     \
    "\"writes\":{\"acked\":1,\"lost\":0,\"lost_by_side\":{\"majority\":0,\"minority\":0}},"        \
    "\"loss_window\":{\"majority\":null,\"minority\":null},"                                       \
    "\"unavailable_ms\":{\"majority\":0,\"minority\":0}}"

static const struct {
    const char *find; /* in BASE; NULL: the whole text is `replace` */
    const char *replace;
    const char *reason; /* the error after "PATH" */
} bad_summaries[] = {
    {NULL, "[]", ": (top level): expected a JSON object"},
    {NULL, "", ": (top level): expected a JSON object"},
    {NULL, "{\"seed\": 1,\n \"x\": }",
     ":2:7: Parse error: unexpected character `}', expected character `}'"},
    {"\"seed\":1", "\"seed\":null", ": seed: must not be null"},
    {"\"seed\":1", "\"seed\":\"one\"", ": seed: expected an integer"},
    {"\"scenario\":\"s.scn\",", "", ": scenario: missing"},
    {"\"sim_time_ms\":1000", "\"sim_time_ms\":-5", ": sim_time_ms: must not be negative"},
    {"\"acked\":1", "\"acked\":\"1\"", ": writes.acked: expected an integer"},
    {"\"acked\":1", "\"acked\":1.5", ": writes.acked: expected an integer"},
    {"\"minority\":0}},", "\"minority\":-1}},",
     ": writes.lost_by_side.minority: must not be negative"},
    {"\"lost_by_side\":{\"majority\":0,", "\"lost_by_side\":{",
     ": writes.lost_by_side.majority: missing"},
    {"\"minority\":null}", "\"minority\":3}", ": loss_window.minority: expected an object"},
    {"\"minority\":null}", "\"minority\":{\"first_ms\":5}}",
     ": loss_window.minority.last_ms: missing"},
    {"\"minority\":null}", "\"minority\":{\"first_ms\":5,\"last_ms\":2}}",
     ": loss_window.minority.last_ms: is before first_ms"},
    {"\"unavailable_ms\":{\"majority\":0,", "\"unavailable_ms\":{",
     ": unavailable_ms.majority: missing"},
    {"\"seed\":1,", "\"seed\":1,\"failovers\":{},", ": failovers: expected an array"},
    {"\"seed\":1,", "\"seed\":1,\"failovers\":[{\"failed_node\":\"n1\",\"fail_ms\":\"soon\"}],",
     ": failovers[0].fail_ms: expected an integer"},
    {"\"seed\":1,", "\"seed\":1,\"failovers\":[3],", ": failovers[0]: expected an object"},
    {"\"seed\":1,",
     "\"seed\":1,\"faults\":[{\"kind\":\"crash\",\"start_ms\":1},{\"kind\":\"pause\",\"start_ms\":"
     "9,"
     "\"end_ms\":4}],",
     ": faults[1].end_ms: is before start_ms"},
    {"\"seed\":1,", "\"seed\":1,\"lost_writes\":[{\"ack_ms\":3,\"side\":\"left\"}],",
     ": lost_writes[0].side: expected majority, minority or none, not 'left'"},
    {"\"seed\":1,", "\"seed\":1,\"properties\":[{\"name\":\"p\",\"ok\":\"yes\"}],",
     ": properties[0].ok: expected true or false"},
    {"\"seed\":1,", "\"seed\":1,\"node_events\":[{\"t_ms\":1}],",
     ": node_events[0].event: missing"},
};

START_TEST(test_bad_summary_errors)
{
    g_autofree char *dir = g_dir_make_tmp("rcsim-report-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    ck_assert(g_file_set_contents(path, BASE, -1, NULL));
    g_autoptr(ReportSummary) ok = report_summary_load(path, NULL);
    ck_assert_ptr_nonnull(ok); /* the base itself is valid */
    for (gsize i = 0; i < G_N_ELEMENTS(bad_summaries); i++) {
        g_autofree char *text = NULL;
        if (bad_summaries[i].find == NULL) {
            text = g_strdup(bad_summaries[i].replace);
        } else {
            ck_assert_msg(strstr(BASE, bad_summaries[i].find) != NULL, "case %zu", i);
            g_auto(GStrv) parts = g_strsplit(BASE, bad_summaries[i].find, 2);
            text = g_strconcat(parts[0], bad_summaries[i].replace, parts[1], NULL);
        }
        ck_assert(g_file_set_contents(path, text, -1, NULL));
        g_autoptr(GError) error = NULL;
        /* through report_write: nothing is written, and the message names the file */
        ck_assert_msg(!report_write(dir, &error), "case %zu accepted", i);
        g_autofree char *want = g_strconcat(path, bad_summaries[i].reason, NULL);
        ck_assert_str_eq(error->message, want);
        ck_assert_int_eq(error->code, REPORT_ERROR_INPUT);
        ck_assert(!exists(dir, "report.md"));
    }
    remove_tree(dir);
}
END_TEST

static const struct {
    const char *line;
    const char *reason; /* after "history.jsonl:2" */
} bad_history[] = {
    {"{\"process\":0,\"type\":\"done\",\"time_us\":5}",
     ": type: expected invoke, ok, fail or info, not 'done'"},
    {"{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"side\":\"up\",\"time_us\":5}",
     ": side: expected majority, minority or none, not 'up'"},
    {"{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"side\":\"none\",\"time_us\":-5}",
     ": time_us: must not be negative"},
    {"{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"side\":\"none\"}", ": time_us: missing"},
    {"{\"type\":\"ok\"}", ": process: missing"},
    {"{\"process\":-1,\"type\":\"ok\",\"f\":\"write\",\"side\":\"none\",\"time_us\":5}",
     ": process: expected a process id >= 0 or \"nemesis\""},
    {"[1]", ": (line): expected a JSON object"},
    {"{\"process\":", ": json: unexpected end of file, expected character `}'"},
};

START_TEST(test_bad_history_errors)
{
    g_autofree char *dir = copy_data("run-minority");
    g_autofree char *path = g_build_filename(dir, "history.jsonl", NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_history); i++) {
        g_autofree char *text = g_strdup_printf(
            "{\"index\":0,\"time_us\":0,\"process\":\"nemesis\",\"type\":\"info\"}\n%s\n",
            bad_history[i].line);
        ck_assert(g_file_set_contents(path, text, -1, NULL));
        g_autoptr(GError) error = NULL;
        ck_assert_msg(!report_write(dir, &error), "case %zu accepted", i);
        g_autofree char *want = g_strconcat(path, ":2", bad_history[i].reason, NULL);
        ck_assert_str_eq(error->message, want);
    }
    remove_tree(dir);
}
END_TEST

static const struct {
    const char *file;
    const char *text;
    const char *reason; /* after DIR/FILE */
} bad_sweeps[] = {
    {"sweep.json", "{\"scenario\":\"s\",\"seeds\":[1]}",
     ": seeds: expected [first, last] integers"},
    {"sweep.json", "{\"seeds\":[1,2]}", ": scenario: missing"},
    {"runs.csv", "seed,node-timeout,lost,lost_majority,lost_minority\n1,1000,x,0,0\n",
     ":2: lost: expected a number"},
    {"runs.csv", "seed,lost,lost_majority,lost_minority\n1,0,0,0\n",
     ":1: node-timeout: missing column"},
    {"runs.csv", "seed,node-timeout,lost,lost_majority,lost_minority\n1,1000,0,0\n",
     ":2: (row): has 4 cells, the header has 5"},
    {"runs.csv", "seed,node-timeout,lost,lost_majority,lost_minority,ok\n1,1000,0,0,0,yes\n",
     ":2: ok: expected true or false"},
    {"runs.jsonl", "{\"seed\":1,\"node-timeout\":1000,\"lost\":0,\"lost_majority\":0}\n",
     ":1: lost_minority: missing"},
    {"runs.jsonl", "{\"seed\":1,\"lost\":0,\"lost_majority\":0,\"lost_minority\":0}\n",
     ":1: node-timeout: missing"},
    {"runs.jsonl",
     "{\"seed\":1,\"node-timeout\":1000,\"lost\":0,\"lost_majority\":0,\"lost_minority\":0,"
     "\"failover_ms\":\"x\"}\n",
     ":1: failover_ms: expected a number"},
};

START_TEST(test_bad_sweep_errors)
{
    for (gsize i = 0; i < G_N_ELEMENTS(bad_sweeps); i++) {
        g_autofree char *dir = copy_data("sweep-nt");
        if (strcmp(bad_sweeps[i].file, "runs.csv") == 0) {
            g_autofree char *jsonl = g_build_filename(dir, "runs.jsonl", NULL);
            g_unlink(jsonl);
        }
        g_autofree char *path = g_build_filename(dir, bad_sweeps[i].file, NULL);
        ck_assert(g_file_set_contents(path, bad_sweeps[i].text, -1, NULL));
        g_autoptr(GError) error = NULL;
        ck_assert_msg(!report_write(dir, &error), "case %zu accepted", i);
        g_autofree char *want = g_strconcat(path, bad_sweeps[i].reason, NULL);
        ck_assert_str_eq(error->message, want);
        remove_tree(dir);
    }
}
END_TEST

START_TEST(test_not_a_result_dir)
{
    g_autofree char *dir = g_dir_make_tmp("rcsim-report-XXXXXX", NULL);
    g_autoptr(GError) error = NULL;
    ck_assert(!report_write(dir, &error));
    g_autofree char *want =
        g_strdup_printf("%s: not a run or sweep directory (no summary.json, no sweep.json)", dir);
    ck_assert_str_eq(error->message, want);
    g_clear_error(&error);
    g_autofree char *missing = g_build_filename(dir, "nope", NULL);
    ck_assert(!report_write(missing, &error));
    g_autofree char *want2 = g_strdup_printf("%s: not a directory", missing);
    ck_assert_str_eq(error->message, want2);
    remove_tree(dir);
}
END_TEST

/* A client stuck behind a 3 s timeout completes nothing for a while: those buckets read as
 * 0 % available (not as missing), on the client's side from its invocation, while the
 * acked writes count on the serving node's side. */
START_TEST(test_waiting_clients_are_unavailable)
{
    g_autofree char *dir = g_dir_make_tmp("rcsim-report-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    g_auto(GStrv) parts = g_strsplit(BASE, "\"sim_time_ms\":1000", 2);
    g_autofree char *summary = g_strjoinv("\"sim_time_ms\":5000", parts); /* a 5 s run */
    ck_assert(g_file_set_contents(path, summary, -1, NULL));
    g_autofree char *history = g_build_filename(dir, "history.jsonl", NULL);
    ck_assert(g_file_set_contents(
        history,
        /* client 0 (minority) writes at 0.1 s, ok from n1 (minority) at 0.2 s */
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"time_us\":100000,\"side\":\"minority\"}"
        "\n"
        "{\"process\":0,\"type\":\"ok\",\"f\":\"add\",\"time_us\":200000,\"side\":\"minority\"}\n"
        /* then waits from 0.3 s to a timeout at 3.3 s on n2 (majority) */
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"add\",\"time_us\":300000,\"side\":\"minority\"}"
        "\n"
        "{\"process\":0,\"type\":\"info\",\"f\":\"add\",\"time_us\":3300000,\"side\":\"majority\","
        "\"error\":\"timeout\"}\n"
        /* and, retired after the info, goes on as a new process that is still waiting at the
         * end (invoked at 3.6 s); ids grow with every retirement, so a long run's are large */
        "{\"process\":4194304,\"type\":\"invoke\",\"f\":\"add\",\"time_us\":3600000,"
        "\"side\":\"minority\"}\n",
        -1, NULL));
    ReportOptions opt;
    report_options_init(&opt);
    opt.is_svg = FALSE;
    opt.bucket_ms = 500;
    g_autoptr(GError) error = NULL;
    ck_assert_msg(report_write_with(dir, &opt, &error), "%s", error ? error->message : "");
    g_autofree char *avail = read_text(dir, "plots/availability.dat");
    /* t_s majority minority none, then completions per side */
    assert_contains(avail, "\n0.000 NaN 100 NaN 0 1 0\n");
    assert_contains(avail, "\n1.500 NaN 0 NaN 0 0 0\n"); /* waiting: 0 %, not NaN */
    assert_contains(avail, "\n3.000 NaN 0 NaN 0 1 0\n"); /* the timeout, a minority client's */
    assert_contains(avail, "\n3.500 NaN 0 NaN 0 0 0\n"); /* outstanding at the end */
    assert_contains(avail, "\n4.500 NaN 0 NaN 0 0 0\n");
    g_autofree char *timeline = read_text(dir, "plots/timeline.dat");
    assert_contains(timeline, "\n0.000 NaN 2 NaN 0 0 0\n"); /* 1 acked write per 0.5 s */
    assert_contains(timeline, "\n3.000 0 0 NaN 0 0 0\n");   /* n2 served the timeout */
    remove_tree(dir);
}
END_TEST

/* Text from the result files is escaped in both renderings, and in gnuplot strings. */
START_TEST(test_text_is_escaped)
{
    g_autofree char *dir = g_dir_make_tmp("rcsim-report-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    ck_assert(g_file_set_contents(
        path,
        "{\"scenario\":\"a<b>.scn\",\"seed\":1,\"sim_time_ms\":1000,"
        "\"writes\":{\"acked\":1,\"lost\":0,\"lost_by_side\":{\"majority\":0,\"minority\":0}},"
        "\"loss_window\":{\"majority\":null,\"minority\":null},"
        "\"unavailable_ms\":{\"majority\":0,\"minority\":0},"
        "\"faults\":[{\"kind\":\"pause\",\"start_ms\":10,\"end_ms\":20,"
        "\"label\":\"x | \\\"y\\\" & <z>\"}]}",
        -1, NULL));
    g_autofree char *history = g_build_filename(dir, "history.jsonl", NULL);
    ck_assert(g_file_set_contents(history,
                                  "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"side\":"
                                  "\"none\",\"time_us\":500}\n",
                                  -1, NULL));
    g_autoptr(GError) error = NULL;
    ck_assert_msg(report_write(dir, &error), "%s", error != NULL ? error->message : "");
    g_autofree char *md = read_text(dir, "report.md");
    assert_contains(md, "| 0 | pause | x \\| \"y\" & <z> | 10 | 20 | 10 |");
    g_autofree char *html = read_text(dir, "report.html");
    assert_contains(html, "<td>x | &quot;y&quot; &amp; &lt;z&gt;</td>");
    assert_contains(html, "<title>rcsim run report: a&lt;b&gt;.scn, seed 1</title>");
    g_autofree char *faults = read_text(dir, "plots/run_faults.dat");
    assert_contains(faults, "0.010 0.020 \"x | \\\"y\\\" & <z>\"\n");
    assert_png(dir, "plots/timeline.png");
    remove_tree(dir);
}
END_TEST

/* ------------------------------------------------------------------ CLI and stats */

START_TEST(test_cli_exit_codes)
{
    g_autofree char *dir = copy_data("run-minority");
    char *no_dir[] = {"report", NULL};
    char *bad_format[] = {"report", dir, "--format", "gif", NULL};
    char *bad_option[] = {"report", dir, "--colour", NULL};
    char *two_dirs[] = {"report", dir, dir, NULL};
    char *bad_bucket[] = {"report", dir, "--bucket-ms=0", NULL};
    char *no_gnuplot[] = {"report", dir, "--gnuplot", "/nonexistent/gnuplot", NULL};
    char *svg_only[] = {"report", dir, "--format=svg", "--bucket-ms", "500", NULL};
    ck_assert_int_eq(report_cli_main(1, no_dir), 2);
    ck_assert_int_eq(report_cli_main(4, bad_format), 2);
    ck_assert_int_eq(report_cli_main(3, bad_option), 2);
    ck_assert_int_eq(report_cli_main(3, two_dirs), 2);
    ck_assert_int_eq(report_cli_main(3, bad_bucket), 2);
    ck_assert(!exists(dir, "report.md"));
    ck_assert_int_eq(report_cli_main(4, no_gnuplot), 1);
    ck_assert(exists(dir, "report.md"));
    ck_assert_int_eq(report_cli_main(5, svg_only), 0);
    assert_svg(dir, "plots/timeline.svg");
    ck_assert(!exists(dir, "plots/timeline.png"));
    g_autofree char *dat = read_text(dir, "plots/timeline.dat");
    assert_contains(dat, "500 ms buckets");
    remove_tree(dir);
}
END_TEST

START_TEST(test_stats_quantiles)
{
    /* nearest rank, as sim/sweep.c writes aggregates.csv: rank ceil(q n), never between */
    const double v[] = {5, 1, NAN, 3, 2, 4};
    ReportStats st = report_stats(v, G_N_ELEMENTS(v));
    ck_assert_uint_eq(st.count, 5);
    ck_assert(st.min == 1 && st.max == 5 && st.median == 3);
    ck_assert(st.p90 == 5); /* rank ceil(4.5) = 5; linear interpolation would say 4.6 */
    const double even[] = {40, 10, 30, 20};
    ReportStats ev = report_stats(even, G_N_ELEMENTS(even));
    ck_assert(ev.median == 20); /* rank 2, not 25 */
    ck_assert(ev.p90 == 40);    /* rank ceil(3.6) = 4 */
    double ten[10];
    for (int i = 0; i < 10; i++)
        ten[i] = i + 1;
    ReportStats t = report_stats(ten, 10);
    ck_assert(t.median == 5 && t.p90 == 9); /* ranks 5 and 9: q n is whole, no rounding up */
    const double none[] = {NAN};
    ReportStats empty = report_stats(none, 1);
    ck_assert_uint_eq(empty.count, 0);
    ck_assert(isnan(empty.median) && isnan(empty.p90));
    const double one[] = {7};
    ReportStats single = report_stats(one, 1);
    ck_assert(single.min == 7 && single.median == 7 && single.p90 == 7 && single.max == 7);
}
END_TEST

Suite *report_suite(void);
Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *plots = tcase_create("plots");
    tcase_set_timeout(plots, 120);
    tcase_add_test(plots, test_run_report_plots_and_tables);
    tcase_add_test(plots, test_real_run_report);
    tcase_add_test(plots, test_real_sweep_matches_aggregates);
    tcase_add_test(plots, test_timeline_data_buckets);
    tcase_add_test(plots, test_run_report_is_deterministic);
    tcase_add_test(plots, test_script_rerenders_by_hand);
    tcase_add_test(plots, test_sweep_report_plots_and_tables);
    tcase_add_test(plots, test_sweep_csv_matches_jsonl);
    tcase_add_test(plots, test_sweep_two_parameters);
    suite_add_tcase(s, plots);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, test_missing_gnuplot_option);
    tcase_add_test(errors, test_missing_gnuplot_in_path);
    tcase_add_test(errors, test_stale_pictures_removed);
    tcase_add_test(errors, test_gnuplot_failure_is_reported);
    tcase_add_test(errors, test_bad_summary_errors);
    tcase_add_test(errors, test_bad_history_errors);
    tcase_add_test(errors, test_bad_sweep_errors);
    tcase_add_test(errors, test_not_a_result_dir);
    suite_add_tcase(s, errors);
    TCase *cli = tcase_create("cli");
    tcase_add_test(cli, test_cli_exit_codes);
    tcase_add_test(cli, test_stats_quantiles);
    tcase_add_test(cli, test_text_is_escaped);
    tcase_add_test(cli, test_waiting_clients_are_unavailable);
    suite_add_tcase(s, cli);
    return s;
}
