/* Sweeps: a sweep in two worker processes, the same sweep as two shards merged, and the
 * merged files byte for byte equal to the single sweep's; aggregates; bad arguments. */
#include <check.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "sim/run_cli.h"

static const char scenario[] = "name tiny\nmasters 3\nreplicas 1\nnode-timeout 1000\n"
                               "clients 2\nrate 50\nkeys 5\nduration 4s\nconverge-within 10s\n"
                               "at 1s partition isolate n1 with-clients\nat 3s heal\n"
                               "expect lost.majority == 0\n";

static int call(int (*fn)(int, char **), const char *const *args)
{
    int argc = (int)g_strv_length((char **)args);
    g_auto(GStrv) argv = g_strdupv((char **)args);
    return fn(argc, argv);
}

static char *slurp(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "missing %s", path);
    return text;
}

static void rm_tree(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return;
    const char *e;
    while ((e = g_dir_read_name(d)) != NULL) {
        g_autofree char *p = g_build_filename(dir, e, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            rm_tree(p);
        else
            g_remove(p);
    }
    g_rmdir(dir);
}

START_TEST(test_shards_merge_to_the_whole)
{
    g_autofree char *tmp = g_dir_make_tmp("rcsim-sweep-XXXXXX", NULL);
    g_autofree char *scn = g_build_filename(tmp, "tiny.scn", NULL);
    ck_assert(g_file_set_contents(scn, scenario, -1, NULL));
    g_autofree char *whole = g_build_filename(tmp, "whole", NULL);
    g_autofree char *s1 = g_build_filename(tmp, "s1", NULL);
    g_autofree char *s2 = g_build_filename(tmp, "s2", NULL);
    g_autofree char *merged = g_build_filename(tmp, "merged", NULL);

    const char *a[] = {"sweep",  scn, "--seeds", "1..3", "--vary", "node-timeout=1000,2000",
                       "--jobs", "2", "--out",   whole,  NULL};
    int st = call(sim_sweep_main, a);
    ck_assert_int_le(st, 1); /* 0 all ok, 1 some expectation failed: both are results */
    const char *b1[] = {"sweep",   scn,   "--seeds", "1..3", "--vary", "node-timeout=1000,2000",
                        "--shard", "1/2", "--out",   s1,     NULL};
    const char *b2[] = {"sweep",   scn,   "--seeds", "1..3", "--vary", "node-timeout=1000,2000",
                        "--shard", "2/2", "--out",   s2,     NULL};
    ck_assert_int_le(call(sim_sweep_main, b1), 1);
    ck_assert_int_le(call(sim_sweep_main, b2), 1);
    const char *m[] = {"merge", merged, s1, s2, NULL};
    ck_assert_int_eq(call(sim_merge_main, m), 0);
    /* one shard of two: its runs are written, but the merge says what is missing */
    g_autofree char *half = g_build_filename(tmp, "half", NULL);
    const char *mh[] = {"merge", half, s1, NULL};
    ck_assert_int_eq(call(sim_merge_main, mh), 1);
    g_autofree char *hr = slurp(half, "runs.jsonl");
    g_auto(GStrv) hlines = g_strsplit(hr, "\n", -1);
    ck_assert_uint_eq(g_strv_length(hlines), 4); /* jobs 1, 3, 5 of 6 + the empty tail */

    g_autofree char *wr = slurp(whole, "runs.jsonl");
    g_autofree char *mr = slurp(merged, "runs.jsonl");
    ck_assert_str_eq(wr, mr);
    g_autofree char *wc = slurp(whole, "runs.csv");
    g_autofree char *mc = slurp(merged, "runs.csv");
    ck_assert_str_eq(wc, mc);
    g_autofree char *wa = slurp(whole, "aggregates.csv");
    g_autofree char *ma = slurp(merged, "aggregates.csv");
    ck_assert_str_eq(wa, ma);
    g_auto(GStrv) lines = g_strsplit(wr, "\n", -1);
    ck_assert_uint_eq(g_strv_length(lines), 7); /* 3 seeds x 2 points + the empty tail */
    ck_assert(g_str_has_prefix(wc, "seed,node-timeout,acked,lost,lost_majority,lost_minority,"
                                   "window_majority_ms,window_minority_ms,"
                                   "unavailable_majority_ms,unavailable_minority_ms,failover_ms,"
                                   "window_majority_last_ms,window_minority_last_ms,"
                                   "lost_none,window_none_ms,window_none_last_ms,"
                                   "window_majority_first_ms,window_minority_first_ms,"
                                   "window_none_first_ms,ok,trace_sha256,point\n"));
    ck_assert(strstr(wa, "node-timeout=2000,lost_minority,") != NULL);
    ck_assert(strstr(wa, "node-timeout=2000,window_minority_last_ms,") != NULL);
    ck_assert(strstr(wa, "node-timeout=2000,lost_none,") != NULL);
    ck_assert(strstr(wa, "node-timeout=2000,window_none_first_ms,") != NULL);
    /* every row accounts for every lost write on a side, and names each side's window (first,
     * last, width), present exactly when that side lost something */
    static const char *const sides[] = {"majority", "minority", "none"};
    for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
        g_autoptr(JsonParser) rp = json_parser_new();
        ck_assert(json_parser_load_from_data(rp, lines[i], -1, NULL));
        JsonObject *row = json_node_get_object(json_parser_get_root(rp));
        gint64 by_side = 0;
        for (gsize k = 0; k < G_N_ELEMENTS(sides); k++) {
            g_autofree char *lost = g_strdup_printf("lost_%s", sides[k]);
            g_autofree char *width = g_strdup_printf("window_%s_ms", sides[k]);
            g_autofree char *first = g_strdup_printf("window_%s_first_ms", sides[k]);
            g_autofree char *last = g_strdup_printf("window_%s_last_ms", sides[k]);
            ck_assert_msg(json_object_has_member(row, lost), "row %u: no %s", i, lost);
            ck_assert_msg(json_object_has_member(row, first), "row %u: no %s", i, first);
            ck_assert_msg(json_object_has_member(row, last), "row %u: no %s", i, last);
            gint64 n = json_object_get_int_member(row, lost);
            by_side += n;
            gboolean is_null = json_object_get_null_member(row, width);
            ck_assert_int_eq(is_null, n == 0);
            ck_assert_int_eq(is_null, json_object_get_null_member(row, first));
            ck_assert_int_eq(is_null, json_object_get_null_member(row, last));
            if (!is_null)
                ck_assert_int_le(json_object_get_int_member(row, first),
                                 json_object_get_int_member(row, last));
        }
        ck_assert_int_eq(by_side, json_object_get_int_member(row, "lost"));
    }

    g_autoptr(JsonParser) p = json_parser_new();
    g_autofree char *sj = g_build_filename(whole, "sweep.json", NULL);
    ck_assert(json_parser_load_from_file(p, sj, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    ck_assert_int_eq(json_object_get_int_member(o, "runs"), 6);
    JsonArray *nt =
        json_object_get_array_member(json_object_get_object_member(o, "vary"), "node-timeout");
    ck_assert_int_eq(json_array_get_int_element(nt, 1), 2000);
    /* no partial file is left behind */
    g_autofree char *partial = g_build_filename(whole, "runs.partial.jsonl", NULL);
    ck_assert(!g_file_test(partial, G_FILE_TEST_EXISTS));
    rm_tree(tmp);
}
END_TEST

START_TEST(test_bad_arguments)
{
    const char *no_out[] = {"sweep", "x.scn", "--seeds", "1..2", NULL};
    ck_assert_int_eq(call(sim_sweep_main, no_out), 2);
    const char *bad_seeds[] = {"sweep", "x.scn", "--seeds", "5..1", "--out", "/tmp/x", NULL};
    ck_assert_int_eq(call(sim_sweep_main, bad_seeds), 2);
    const char *bad_shard[] = {"sweep", "x.scn", "--shard", "3/2", "--out", "/tmp/x", NULL};
    ck_assert_int_eq(call(sim_sweep_main, bad_shard), 2);
    const char *bad_vary[] = {"sweep", "x.scn", "--vary", "colour=1,2", "--out", "/tmp/x", NULL};
    ck_assert_int_eq(call(sim_sweep_main, bad_vary), 2);
    const char *missing[] = {"sweep", "/nonexistent.scn", "--out", "/tmp/x", NULL};
    ck_assert_int_eq(call(sim_sweep_main, missing), 2);
    const char *merge_missing[] = {"merge", "/tmp/x", "/nonexistent-dir", NULL};
    ck_assert_int_eq(call(sim_merge_main, merge_missing), 2);
    const char *check_missing[] = {"check", "/nonexistent.scn", NULL};
    ck_assert_int_eq(call(sim_check_main, check_missing), 2);
}
END_TEST

/* A run that loses writes on the minority side: its sweep row carries the window's width and
 * its last lost ack exactly as the run's own summary.json has them (--keep-runs keeps it). */
START_TEST(test_row_window_matches_summary)
{
    static const char lossy[] = "masters 3\nreplicas 1\nnode-timeout 2000\nclients 2\n"
                                "clients-near masters\nconcurrency 10\nclient-timeout 500ms\n"
                                "rate 10\nkeys 20\nduration 18s\nconverge-within 10s\n"
                                "at 5s partition isolate n1 with-clients\nat 12s heal\n";
    g_autofree char *tmp = g_dir_make_tmp("rcsim-sweep-XXXXXX", NULL);
    g_autofree char *scn = g_build_filename(tmp, "lossy.scn", NULL);
    ck_assert(g_file_set_contents(scn, lossy, -1, NULL));
    g_autofree char *out = g_build_filename(tmp, "out", NULL);
    const char *args[] = {"sweep", scn, "--seeds",     "1..1", "--vary", "node-timeout=2000",
                          "--out", out, "--keep-runs", NULL};
    ck_assert_int_le(call(sim_sweep_main, args), 1);
    g_autofree char *rows = slurp(out, "runs.jsonl");
    g_autoptr(JsonParser) rp = json_parser_new();
    ck_assert(json_parser_load_from_data(rp, rows, -1, NULL));
    JsonObject *row = json_node_get_object(json_parser_get_root(rp));
    g_autofree char *summary = slurp(out, "runs/node-timeout=2000/seed-1/summary.json");
    g_autoptr(JsonParser) sp = json_parser_new();
    ck_assert(json_parser_load_from_data(sp, summary, -1, NULL));
    JsonObject *w = json_object_get_object_member(
        json_object_get_object_member(json_node_get_object(json_parser_get_root(sp)),
                                      "loss_window"),
        "minority");
    ck_assert_ptr_nonnull(w); /* this run loses writes on the minority side */
    ck_assert_int_gt(json_object_get_int_member(row, "lost_minority"), 0);
    ck_assert_int_eq(json_object_get_int_member(row, "window_minority_last_ms"),
                     json_object_get_int_member(w, "last_ms"));
    ck_assert_int_eq(json_object_get_int_member(row, "window_minority_ms"),
                     json_object_get_int_member(w, "width_ms"));
    ck_assert_int_gt(json_object_get_int_member(row, "window_minority_last_ms"),
                     json_object_get_int_member(row, "window_minority_ms"));
    ck_assert(json_object_get_null_member(row, "window_majority_last_ms"));
    g_autofree char *agg = slurp(out, "aggregates.csv");
    g_autofree char *line =
        g_strdup_printf("\nnode-timeout=2000,window_minority_last_ms,%" G_GINT64_FORMAT ",",
                        json_object_get_int_member(w, "last_ms"));
    ck_assert_msg(strstr(agg, line) != NULL, "aggregates.csv lacks %s", line + 1);
    rm_tree(tmp);
}
END_TEST

/* Writes lost while no partition was in force: here (seed 3) the heal comes 18 s into a 15 s
 * node-timeout, after the cut-off master's replica won its election but before that master
 * stopped accepting writes, so what it acks after the heal is lost too (side none). The row
 * carries them exactly as the run's own summary.json does, and lost = majority + minority +
 * none. */
START_TEST(test_row_none_matches_summary)
{
    static const char late[] = "masters 3\nreplicas 1\nnode-timeout 15000\nclients 2\n"
                               "clients-near masters\nconcurrency 10\nclient-timeout 500ms\n"
                               "rate 20\nkeys 20\nduration 40s\nconverge-within 10s\n"
                               "at 5s partition isolate n1 with-clients\nat 23s heal\n";
    g_autofree char *tmp = g_dir_make_tmp("rcsim-sweep-XXXXXX", NULL);
    g_autofree char *scn = g_build_filename(tmp, "late.scn", NULL);
    ck_assert(g_file_set_contents(scn, late, -1, NULL));
    g_autofree char *out = g_build_filename(tmp, "out", NULL);
    const char *args[] = {"sweep", scn, "--seeds",     "3..3", "--vary", "node-timeout=15000",
                          "--out", out, "--keep-runs", NULL};
    ck_assert_int_le(call(sim_sweep_main, args), 1);
    g_autofree char *rows = slurp(out, "runs.jsonl");
    g_autoptr(JsonParser) rp = json_parser_new();
    ck_assert(json_parser_load_from_data(rp, rows, -1, NULL));
    JsonObject *row = json_node_get_object(json_parser_get_root(rp));
    g_autofree char *summary = slurp(out, "runs/node-timeout=15000/seed-3/summary.json");
    g_autoptr(JsonParser) sp = json_parser_new();
    ck_assert(json_parser_load_from_data(sp, summary, -1, NULL));
    JsonObject *so = json_node_get_object(json_parser_get_root(sp));
    JsonObject *by_side =
        json_object_get_object_member(json_object_get_object_member(so, "writes"), "lost_by_side");
    JsonObject *w =
        json_object_get_object_member(json_object_get_object_member(so, "loss_window"), "none");
    ck_assert_ptr_nonnull(w); /* this run loses writes after the heal */
    gint64 none = json_object_get_int_member(row, "lost_none");
    ck_assert_int_gt(none, 0);
    ck_assert_int_eq(none, json_object_get_int_member(by_side, "none"));
    ck_assert_int_eq(json_object_get_int_member(row, "lost"),
                     json_object_get_int_member(row, "lost_majority") +
                         json_object_get_int_member(row, "lost_minority") + none);
    ck_assert_int_eq(json_object_get_int_member(row, "window_none_first_ms"),
                     json_object_get_int_member(w, "first_ms"));
    ck_assert_int_eq(json_object_get_int_member(row, "window_none_last_ms"),
                     json_object_get_int_member(w, "last_ms"));
    ck_assert_int_eq(json_object_get_int_member(row, "window_none_ms"),
                     json_object_get_int_member(w, "width_ms"));
    /* measured from the partition's start, and acked after its heal 18 s later */
    ck_assert_int_ge(json_object_get_int_member(row, "window_none_first_ms"), 18000);
    g_autofree char *agg = slurp(out, "aggregates.csv");
    g_autofree char *line =
        g_strdup_printf("\nnode-timeout=15000,lost_none,%" G_GINT64_FORMAT ",", none);
    ck_assert_msg(strstr(agg, line) != NULL, "aggregates.csv lacks %s", line + 1);
    rm_tree(tmp);
}
END_TEST

/* A run whose expectation fails exits 1 and still leaves its result files behind. */
START_TEST(test_failing_run_keeps_its_files)
{
    g_autofree char *tmp = g_dir_make_tmp("rcsim-fail-XXXXXX", NULL);
    g_autofree char *scn = g_build_filename(tmp, "fail.scn", NULL);
    ck_assert(g_file_set_contents(scn,
                                  "clients 1\nrate 50\nkeys 3\nduration 2s\n"
                                  "expect acked == 0\n",
                                  -1, NULL));
    g_autofree char *out = g_build_filename(tmp, "out", NULL);
    const char *args[] = {"run", scn, "--seed", "4", "--out", out, "--edn", NULL};
    ck_assert_int_eq(call(sim_run_main, args), 1);
    g_autofree char *summary = slurp(out, "summary.json");
    ck_assert(strstr(summary, "\"ok\" : false") != NULL);
    ck_assert(strstr(summary, "\"replay\" : \"build/rcsim run ") != NULL);
    g_autofree char *hist = slurp(out, "history.jsonl");
    g_autofree char *edn = slurp(out, "history.edn");
    ck_assert_uint_gt(strlen(hist), 0);
    ck_assert_uint_gt(strlen(edn), 0);
    rm_tree(tmp);
}
END_TEST

/* `rcsim run --plot` without gnuplot: exit 2 with one line naming the Debian package, and the
 * run's results and the report's tables, scripts and data all stay. */
START_TEST(test_plot_without_gnuplot_fails)
{
    g_autofree char *tmp = g_dir_make_tmp("rcsim-plot-XXXXXX", NULL);
    g_autofree char *scn = g_build_filename(tmp, "tiny.scn", NULL);
    ck_assert(g_file_set_contents(scn, scenario, -1, NULL));
    g_autofree char *out = g_build_filename(tmp, "out", NULL);
    g_autofree char *err_path = g_build_filename(tmp, "stderr.txt", NULL);
    const char *args[] = {"run", scn, "--seed", "2", "--out", out, "--plot", NULL};
    g_autofree char *path = g_strdup(g_getenv("PATH"));
    g_setenv("PATH", "", TRUE);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    int status = call(sim_run_main, args);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    g_setenv("PATH", path != NULL ? path : "/usr/bin:/bin", TRUE); /* for CK_FORK=no */
    ck_assert_int_eq(status, 2);
    g_autofree char *err = slurp(tmp, "stderr.txt");
    g_autofree char *want = g_strdup_printf(
        "rcsim run: --plot: gnuplot not found in PATH: install the Debian package gnuplot-nox "
        "(apt-get install gnuplot-nox); the tables are in %s/report.md\n",
        out);
    ck_assert_str_eq(err, want);
    g_autofree char *summary = slurp(out, "summary.json");
    ck_assert(strstr(summary, "\"seed\" : 2") != NULL);
    g_autofree char *hist = slurp(out, "history.jsonl");
    ck_assert_uint_gt(strlen(hist), 0);
    g_autofree char *md = slurp(out, "report.md");
    ck_assert(strstr(md, "*: not rendered (script `plots/timeline.gp`") != NULL);
    g_autofree char *gp = slurp(out, "plots/timeline.gp");
    ck_assert(strstr(gp, "set multiplot") != NULL);
    g_autofree char *png = g_build_filename(out, "plots", "timeline.png", NULL);
    ck_assert(!g_file_test(png, G_FILE_TEST_EXISTS));
    rm_tree(tmp);
}
END_TEST

/* Run `fn` with `args`, its output on `stream` (STDOUT_FILENO or STDERR_FILENO) going to
 * `path`. */
static int call_capture(int (*fn)(int, char **), const char *const *args, int stream,
                        const char *path)
{
    fflush(stdout);
    fflush(stderr);
    int saved = dup(stream);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    dup2(fd, stream);
    close(fd);
    int status = call(fn, args);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, stream);
    close(saved);
    return status;
}

static int call_to_file(int (*fn)(int, char **), const char *const *args, const char *path)
{
    return call_capture(fn, args, STDOUT_FILENO, path);
}

/* `rcsim check` runs every CI seed at every point of the scenario's `vary` line, with the
 * expectations resolved per point; a failing run prints one replay command, with the point's
 * --set, and that command replays the failure. Here `acked <= 100` holds at rate 1 and fails
 * at rate 200 (2 s of 200 arrivals per second): two failures out of four runs. */
START_TEST(test_check_runs_every_point_and_prints_one_replay_per_failure)
{
    g_autofree char *tmp = g_dir_make_tmp("rcsim-check-XXXXXX", NULL);
    g_autofree char *scn = g_build_filename(tmp, "pts.scn", NULL);
    ck_assert(g_file_set_contents(scn,
                                  "clients 1\nkeys 3\nduration 2s\nci-seeds 4..5\n"
                                  "expect acked <= 100\nvary rate 1,200\n",
                                  -1, NULL));
    g_autofree char *out = g_build_filename(tmp, "stdout.txt", NULL);
    const char *args[] = {"check", scn, NULL};
    ck_assert_int_eq(call_to_file(sim_check_main, args, out), 1);
    g_autofree char *text = slurp(tmp, "stdout.txt");
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *quoted = g_shell_quote(scn);
    guint oks = 0, fails = 0, replays = 0;
    for (guint i = 0; lines[i] != NULL; i++) {
        const char *l = lines[i];
        if (g_str_has_prefix(l, "ok   pts rate=1 seed ")) {
            oks++;
        } else if (g_str_has_prefix(l, "FAIL pts rate=200 seed ")) {
            fails++;
            ck_assert(strstr(l, "[expect acked <= 100: acked = ") != NULL);
            /* the next line is its replay command, with the point's --set */
            g_autofree char *want = g_strdup_printf(
                "  replay: build/rcsim run %s --seed %c --set 'rate=200'", quoted, l[23]);
            ck_assert_ptr_nonnull(lines[i + 1]);
            ck_assert_str_eq(lines[i + 1], want);
        }
        if (strstr(l, "replay:") != NULL)
            replays++;
    }
    ck_assert_uint_eq(oks, 2);
    ck_assert_uint_eq(fails, 2);
    ck_assert_uint_eq(replays, 2);
    ck_assert(strstr(text, "\n4 runs, 2 failed\n") != NULL);

    /* the printed command replays the failure */
    const char *rp = strstr(text, "  replay: build/rcsim run ");
    ck_assert_ptr_nonnull(rp);
    g_autofree char *cmd = g_strndup(rp + strlen("  replay: "), strcspn(rp + 10, "\n"));
    g_auto(GStrv) argv = NULL;
    ck_assert(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    ck_assert_str_eq(argv[1], "run");
    g_autofree char *rout = g_build_filename(tmp, "replay.txt", NULL);
    ck_assert_int_eq(call_to_file(sim_run_main, (const char *const *)argv + 1, rout), 1);
    g_autofree char *rtext = slurp(tmp, "replay.txt");
    ck_assert(strstr(rtext, "  FAIL expect acked <= 100: ") != NULL);
    rm_tree(tmp);
}
END_TEST

/* Each shard's sweep.json records what its runs depend on (the --set overrides, the vary
 * values, the seed range, the shard, a SHA-256 of the scenario file); merge refuses shards
 * that differ in any of it with one line naming the field and the two directories. */
START_TEST(test_merge_refuses_shards_of_different_sweeps)
{
    static const char tiny[] = "clients 1\nrate 20\nkeys 3\nduration 2s\n";
    g_autofree char *tmp = g_dir_make_tmp("rcsim-merge-XXXXXX", NULL);
    g_autofree char *scn = g_build_filename(tmp, "t.scn", NULL);
    ck_assert(g_file_set_contents(scn, tiny, -1, NULL));
    g_autofree char *s1 = g_build_filename(tmp, "s1", NULL);
    g_autofree char *s2 = g_build_filename(tmp, "s2", NULL);
    g_autofree char *merged = g_build_filename(tmp, "merged", NULL);
    g_autofree char *err = g_build_filename(tmp, "stderr.txt", NULL);
    const char *a1[] = {"sweep",  scn,       "--seeds", "1..2",  "--vary", "rate=10,20", "--set",
                        "keys=5", "--shard", "1/2",     "--out", s1,       NULL};
    ck_assert_int_eq(call(sim_sweep_main, a1), 0);

    g_autofree char *sj = slurp(s1, "sweep.json");
    g_autoptr(JsonParser) p = json_parser_new();
    ck_assert(json_parser_load_from_data(p, sj, -1, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, tiny, -1);
    ck_assert_str_eq(json_object_get_string_member(o, "scenario_sha256"), sha);
    JsonArray *sets = json_object_get_array_member(o, "sets");
    ck_assert_uint_eq(json_array_get_length(sets), 1);
    ck_assert_str_eq(json_array_get_string_element(sets, 0), "keys=5");
    ck_assert_str_eq(json_object_get_string_member(o, "shard"), "1/2");
    JsonArray *seeds = json_object_get_array_member(o, "seeds");
    ck_assert_int_eq(json_array_get_int_element(seeds, 0), 1);
    ck_assert_int_eq(json_array_get_int_element(seeds, 1), 2);
    JsonArray *rate =
        json_object_get_array_member(json_object_get_object_member(o, "vary"), "rate");
    ck_assert_int_eq(json_array_get_int_element(rate, 1), 20);

    /* each mismatch: the other half of the sweep made differently */
    static const struct {
        const char *what[6]; /* the other half's arguments besides --shard 2/2 --out */
        const char *shard;
        const char *line; /* after "rcsim merge: S1 and S2 are not shards of one sweep: " */
    } cases[] = {
        {{"--seeds", "1..2", "--vary", "rate=10,20", NULL},
         "2/2",
         "sets differs ([\"keys=5\"] vs [])"},
        {{"--seeds", "1..3", "--vary", "rate=10,20", "--set", "keys=5"},
         "2/2",
         "seeds differs ([1,2] vs [1,3])"},
        {{"--seeds", "1..2", "--vary", "rate=10,30", "--set", "keys=5"},
         "2/2",
         "vary differs ({\"rate\":[10,20]} vs {\"rate\":[10,30]})"},
        {{"--seeds", "1..2", "--vary", "rate=10,20", "--set", "keys=5"},
         "2/3",
         "shard differs (1/2 vs 2/3)"},
    };
    for (gsize c = 0; c < G_N_ELEMENTS(cases); c++) {
        rm_tree(s2);
        const char *a2[2 + 6 + 4 + 1] = {"sweep", scn}; /* sweep SCN, what, 4 more, NULL */
        guint n = 2;
        for (guint k = 0; k < 6 && cases[c].what[k] != NULL; k++)
            a2[n++] = cases[c].what[k];
        a2[n++] = "--shard";
        a2[n++] = cases[c].shard;
        a2[n++] = "--out";
        a2[n++] = s2;
        a2[n] = NULL;
        ck_assert_int_eq(call(sim_sweep_main, a2), 0);
        const char *m[] = {"merge", merged, s1, s2, NULL};
        ck_assert_int_eq(call_capture(sim_merge_main, m, STDERR_FILENO, err), 2);
        g_autofree char *text = slurp(tmp, "stderr.txt");
        g_autofree char *want = g_strdup_printf(
            "rcsim merge: %s and %s are not shards of one sweep: %s\n", s1, s2, cases[c].line);
        ck_assert_str_eq(text, want);
    }

    /* the scenario file edited between the shards (a comment is enough) */
    rm_tree(s2);
    ck_assert(
        g_file_set_contents(scn, "# edited\nclients 1\nrate 20\nkeys 3\nduration 2s\n", -1, NULL));
    const char *a3[] = {"sweep",  scn,       "--seeds", "1..2",  "--vary", "rate=10,20", "--set",
                        "keys=5", "--shard", "2/2",     "--out", s2,       NULL};
    ck_assert_int_eq(call(sim_sweep_main, a3), 0);
    const char *m[] = {"merge", merged, s1, s2, NULL};
    ck_assert_int_eq(call_capture(sim_merge_main, m, STDERR_FILENO, err), 2);
    g_autofree char *text = slurp(tmp, "stderr.txt");
    g_autofree char *sha2 = g_compute_checksum_for_string(
        G_CHECKSUM_SHA256, "# edited\nclients 1\nrate 20\nkeys 3\nduration 2s\n", -1);
    g_autofree char *want =
        g_strdup_printf("rcsim merge: %s and %s are not shards of one sweep: scenario_sha256 "
                        "differs (\"%s\" vs \"%s\")\n",
                        s1, s2, sha, sha2);
    ck_assert_str_eq(text, want);

    /* the matching other half merges, and the merged sweep.json keeps the description */
    rm_tree(s2);
    ck_assert(g_file_set_contents(scn, tiny, -1, NULL));
    ck_assert_int_eq(call(sim_sweep_main, a3), 0);
    ck_assert_int_eq(call(sim_merge_main, m), 0);
    g_autofree char *mj = slurp(merged, "sweep.json");
    g_autoptr(JsonParser) mp = json_parser_new();
    ck_assert(json_parser_load_from_data(mp, mj, -1, NULL));
    JsonObject *mo = json_node_get_object(json_parser_get_root(mp));
    ck_assert_str_eq(json_object_get_string_member(mo, "scenario_sha256"), sha);
    ck_assert_str_eq(json_array_get_string_element(json_object_get_array_member(mo, "sets"), 0),
                     "keys=5");
    ck_assert_str_eq(json_object_get_string_member(mo, "shard"), "merged");
    ck_assert_int_eq(json_object_get_int_member(mo, "runs"), 4);
    rm_tree(tmp);
}
END_TEST

/* Nearest-rank percentile of sorted `v` (n > 0): the value at rank ceil(q * n), at least 1. */
static double nearest_rank(const double *v, guint n, double q)
{
    guint rank = (guint)ceil(q * n);
    return v[CLAMP(rank, 1u, n) - 1];
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* aggregates.json and aggregates.csv recomputed from runs.jsonl: for every point and every
 * metric, min, median, p90, p99 and max (nearest rank over the runs where the metric is not
 * null) and the count. 5 seeds x 2 points of a 4 s partition that loses writes on the
 * minority side; at node-timeout 3000 some seeds see neither a failover nor a loss, so window
 * metrics are present in some rows and null in others. */
START_TEST(test_aggregates_match_the_rows)
{
    static const char lossy[] = "masters 3\nreplicas 1\nclients 2\nclients-near masters\n"
                                "concurrency 10\nclient-timeout 500ms\nrate 20\nkeys 20\n"
                                "duration 12s\nconverge-within 10s\n"
                                "at 5s partition isolate n1 with-clients\nat 9s heal\n";
    g_autofree char *tmp = g_dir_make_tmp("rcsim-agg-XXXXXX", NULL);
    g_autofree char *scn = g_build_filename(tmp, "lossy.scn", NULL);
    ck_assert(g_file_set_contents(scn, lossy, -1, NULL));
    g_autofree char *out = g_build_filename(tmp, "out", NULL);
    const char *args[] = {"sweep",  scn, "--seeds", "1..5", "--vary", "node-timeout=1000,3000",
                          "--jobs", "2", "--out",   out,    NULL};
    ck_assert_int_le(call(sim_sweep_main, args), 1);
    g_autofree char *rows_text = slurp(out, "runs.jsonl");
    g_auto(GStrv) lines = g_strsplit(rows_text, "\n", -1);
    g_autoptr(GPtrArray) parsers = g_ptr_array_new_with_free_func(g_object_unref);
    g_autoptr(GPtrArray) rows = g_ptr_array_new();
    for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
        JsonParser *rp = json_parser_new();
        g_ptr_array_add(parsers, rp);
        ck_assert(json_parser_load_from_data(rp, lines[i], -1, NULL));
        g_ptr_array_add(rows, json_node_get_object(json_parser_get_root(rp)));
    }
    ck_assert_uint_eq(rows->len, 10);

    g_autofree char *agg_text = slurp(out, "aggregates.json");
    g_autoptr(JsonParser) ap = json_parser_new();
    ck_assert(json_parser_load_from_data(ap, agg_text, -1, NULL));
    JsonArray *points =
        json_object_get_array_member(json_node_get_object(json_parser_get_root(ap)), "points");
    ck_assert_uint_eq(json_array_get_length(points), 2);
    g_autofree char *csv = slurp(out, "aggregates.csv");
    static const char *const stat[] = {"min", "median", "p90", "p99", "max"};
    static const double q[] = {0, 0.5, 0.9, 0.99, 1};
    guint checked = 0, with_nulls = 0;
    for (guint p = 0; p < json_array_get_length(points); p++) {
        JsonObject *po = json_array_get_object_element(points, p);
        const char *label = json_object_get_string_member(po, "point");
        JsonObject *metrics = json_object_get_object_member(po, "metrics");
        GList *names = json_object_get_members(metrics);
        for (GList *l = names; l != NULL; l = l->next) {
            const char *metric = l->data;
            g_autoptr(GArray) v = g_array_new(FALSE, FALSE, sizeof(double));
            guint in_point = 0;
            for (guint r = 0; r < rows->len; r++) {
                JsonObject *row = g_ptr_array_index(rows, r);
                if (strcmp(json_object_get_string_member(row, "point"), label) != 0)
                    continue;
                in_point++;
                ck_assert_msg(json_object_has_member(row, metric), "row lacks %s", metric);
                if (json_object_get_null_member(row, metric))
                    continue;
                double d = (double)json_object_get_int_member(row, metric);
                g_array_append_val(v, d);
            }
            ck_assert_uint_eq(in_point, 5);
            with_nulls += v->len > 0 && v->len < in_point;
            g_array_sort(v, cmp_dbl);
            JsonObject *a = json_object_get_object_member(metrics, metric);
            ck_assert_int_eq(json_object_get_int_member(a, "count"), v->len);
            GString *line = g_string_new(NULL);
            g_string_printf(line, "\n%s,%s", label, metric);
            for (gsize k = 0; k < G_N_ELEMENTS(stat); k++) {
                if (v->len == 0) {
                    ck_assert(json_object_get_null_member(a, stat[k]));
                    g_string_append(line, ",");
                    continue;
                }
                double want = nearest_rank((double *)v->data, v->len, q[k]);
                ck_assert_msg(json_object_get_double_member(a, stat[k]) == want,
                              "%s %s %s: %g, want %g", label, metric, stat[k],
                              json_object_get_double_member(a, stat[k]), want);
                g_string_append_printf(line, ",%g", want);
            }
            g_string_append_printf(line, ",%u\n", v->len);
            ck_assert_msg(strstr(csv, line->str) != NULL, "aggregates.csv lacks %s", line->str + 1);
            g_string_free(line, TRUE);
            checked++;
        }
        g_list_free(names);
    }
    ck_assert_uint_eq(checked, 2 * 17);
    ck_assert_uint_gt(with_nulls, 0); /* some metric was null in some runs: count < runs */
    rm_tree(tmp);
}
END_TEST

Suite *sweep_suite(void);
Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_shards_merge_to_the_whole);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_failing_run_keeps_its_files);
    tcase_add_test(tc, test_row_window_matches_summary);
    tcase_add_test(tc, test_row_none_matches_summary);
    tcase_add_test(tc, test_plot_without_gnuplot_fails);
    tcase_add_test(tc, test_check_runs_every_point_and_prints_one_replay_per_failure);
    tcase_add_test(tc, test_merge_refuses_shards_of_different_sweeps);
    tcase_add_test(tc, test_aggregates_match_the_rows);
    suite_add_tcase(s, tc);
    return s;
}
