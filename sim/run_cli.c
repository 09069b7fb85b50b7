/* `rcsim run` and `rcsim check`: one run with a human summary, and CI regression checks. */
#include <stdio.h>
#include <string.h>

#include "sim/run.h"
#include "sim/run_cli.h"

#include "reports/report.h"

static gboolean parse_seed(const char *s, guint64 *out)
{
    if (s == NULL || !g_ascii_isdigit(s[0]))
        return FALSE;
    char *end = NULL;
    guint64 v = g_ascii_strtoull(s, &end, 10);
    if (*end != '\0')
        return FALSE;
    *out = v;
    return TRUE;
}

static void print_ms(FILE *to, RcTime us)
{
    if (us < 0)
        fprintf(to, "-");
    else
        fprintf(to, "%.1f s", (double)us / 1e6);
}

void sim_run_print_summary(FILE *to, const SimRunResult *r, double real_s)
{
    const SimCheckResult *c = r->check;
    fprintf(to,
            "scenario %s, seed %" G_GUINT64_FORMAT ": %.1f s of virtual time, %" G_GUINT64_FORMAT
            " events",
            r->scenario_name, r->seed, (double)r->sim_time_us / 1e6, r->events);
    if (real_s > 0)
        fprintf(to, ", %.3f s real (%.0fx real time)", real_s,
                (double)r->sim_time_us / 1e6 / real_s);
    fprintf(to, "\n");
    fprintf(to,
            "writes: %" G_GUINT64_FORMAT " acknowledged, %" G_GUINT64_FORMAT
            " lost (by side: majority %" G_GUINT64_FORMAT ", minority %" G_GUINT64_FORMAT
            ", none %" G_GUINT64_FORMAT "), %" G_GUINT64_FORMAT " indeterminate (%" G_GUINT64_FORMAT
            " of them recovered)\n",
            c->acked, c->lost, c->lost_by_side[SIM_SIDE_MAJORITY],
            c->lost_by_side[SIM_SIDE_MINORITY], c->lost_by_side[SIM_SIDE_NONE], c->indeterminate,
            c->recovered);
    /* the same sides and numbers as summary.json's loss_window (null: nothing lost) */
    fprintf(to, "loss window (ack times of the lost writes, from the start of their fault; side "
                "none: acked while no partition was in force):\n");
    static const SimSide sides[] = {SIM_SIDE_MAJORITY, SIM_SIDE_MINORITY, SIM_SIDE_NONE};
    for (gsize i = 0; i < G_N_ELEMENTS(sides); i++) {
        const SimWindow *w = &c->window[sides[i]];
        fprintf(to, "  %-8s ", sim_side_name(sides[i]));
        if (!w->present)
            fprintf(to, "nothing lost\n");
        else
            fprintf(to,
                    "first %" G_GINT64_FORMAT " ms, last %" G_GINT64_FORMAT " ms, %" G_GINT64_FORMAT
                    " ms wide\n",
                    w->first_us / 1000, w->last_us / 1000, (w->last_us - w->first_us) / 1000);
    }
    fprintf(to,
            "unavailable (failed or timed-out requests, by client side): majority %.1f s, "
            "minority %.1f s, none %.1f s\n",
            (double)c->unavailable_us[SIM_SIDE_MAJORITY] / 1e6,
            (double)c->unavailable_us[SIM_SIDE_MINORITY] / 1e6,
            (double)c->unavailable_us[SIM_SIDE_NONE] / 1e6);
    if (c->failovers->len == 0)
        fprintf(to, "failovers: none\n");
    for (guint i = 0; i < c->failovers->len; i++) {
        const SimFailover *fo = &g_array_index(c->failovers, SimFailover, i);
        fprintf(to, "failover: %s replaced %s at epoch %" G_GUINT64_FORMAT ": fault ",
                r->node_names[fo->promoted_node],
                fo->failed_node >= 0 ? r->node_names[fo->failed_node] : "?", fo->epoch);
        print_ms(to, fo->fault_us);
        fprintf(to, ", PFAIL ");
        print_ms(to, fo->pfail_us);
        fprintf(to, ", FAIL ");
        print_ms(to, fo->fail_us);
        fprintf(to, ", election ");
        print_ms(to, fo->election_us);
        fprintf(to, ", promoted ");
        print_ms(to, fo->promoted_us);
        fprintf(to, "\n");
    }
    for (guint i = 0; r->faults != NULL && i < r->faults->len; i++) {
        const SimFault *f = g_ptr_array_index(r->faults, i);
        if (f->error != NULL)
            fprintf(to, "nemesis step failed: %s %s at %.3f s: %s\n", f->kind, f->label,
                    (double)f->start_us / 1e6, f->error);
    }
    fprintf(to, "properties:\n");
    for (guint i = 0; i < c->properties->len; i++) {
        const SimProperty *p = &g_array_index(c->properties, SimProperty, i);
        fprintf(to, "  %-4s %s: %s\n", p->ok ? "ok" : "FAIL", p->name, p->detail);
    }
    fprintf(to, "trace_sha256 %s\n", r->trace_sha256);
    fprintf(to, "replay: %s\n", r->replay);
}

static void run_usage(FILE *to)
{
    fprintf(to, "Usage: rcsim run SCENARIO [--seed N] [--set KEY=VALUE]... [--out DIR] [--trace] "
                "[--edn] [--plot]\n"
                "Run one scenario with one seed (default: its first CI seed), check it, print a "
                "summary.\nExit status: 0 every property and expectation holds, 1 one does not, "
                "2 bad input, or --plot could not render the plots (gnuplot missing or failed; "
                "the results and the report's tables are written).\n");
}

int sim_run_main(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    guint64 seed = 0;
    gboolean have_seed = FALSE, trace = FALSE, edn = FALSE, plot = FALSE;
    g_autoptr(GPtrArray) sets = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            run_usage(stdout);
            return 0;
        } else if (strcmp(a, "--seed") == 0) {
            if (i + 1 >= argc || !parse_seed(argv[i + 1], &seed)) {
                fprintf(stderr, "rcsim run: --seed: expected a non-negative integer\n");
                return 2;
            }
            have_seed = TRUE;
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "rcsim run: --set: expected KEY=VALUE\n");
                return 2;
            }
            g_ptr_array_add(sets, argv[++i]);
        } else if (strcmp(a, "--out") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "rcsim run: --out: expected a directory\n");
                return 2;
            }
            out = argv[++i];
        } else if (strcmp(a, "--trace") == 0) {
            trace = TRUE;
        } else if (strcmp(a, "--edn") == 0) {
            edn = TRUE;
        } else if (strcmp(a, "--plot") == 0) {
            plot = TRUE;
        } else if (a[0] == '-') {
            fprintf(stderr, "rcsim run: unknown option '%s' (see rcsim run --help)\n", a);
            return 2;
        } else if (path == NULL) {
            path = a;
        } else {
            fprintf(stderr, "rcsim run: one scenario only, got '%s' too\n", a);
            return 2;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "rcsim run: expected a SCENARIO file (see rcsim run --help)\n");
        return 2;
    }
    if ((trace || edn || plot) && out == NULL) {
        fprintf(stderr, "rcsim run: --trace, --edn and --plot need --out DIR\n");
        return 2;
    }
    g_ptr_array_add(sets, NULL);
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_load(path, (const char *const *)sets->pdata, &error);
    if (sc == NULL) {
        fprintf(stderr, "%s\n", error->message);
        g_error_free(error);
        return 2;
    }
    if (!have_seed)
        seed = sc->ci_seed_first;
    g_autofree char *replay = sim_run_replay_command(path, seed, (const char *const *)sets->pdata);
    SimRunOptions opt = {
        .out_dir = out, .trace = trace, .edn = edn, .replay = replay, .is_exiting = TRUE};
    gint64 t0 = g_get_monotonic_time(); /* lint: allow timing the run itself */
    g_autoptr(SimRunResult) r = sim_run_execute(sc, seed, &opt, &error);
    gint64 t1 = g_get_monotonic_time(); /* lint: allow timing the run itself */
    if (r == NULL) {
        fprintf(stderr, "rcsim run: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    sim_run_print_summary(stdout, r, (double)(t1 - t0) / 1e6);
    if (out != NULL)
        printf("results: %s/summary.json, %s/history.jsonl\n", out, out);
    if (plot) {
        /* Without the plots asked for, the run is not what the caller wanted: exit 2 even
         * when gnuplot alone is missing, after the results and the tables are written. */
        if (!report_write(out, &error)) {
            fprintf(stderr, "rcsim run: --plot: %s\n", error->message);
            g_error_free(error);
            return 2;
        }
        g_autofree char *html = report_html_path(out);
        printf("report: %s\n", html);
    }
    return r->ok ? 0 : 1;
}

static void check_usage(FILE *to)
{
    fprintf(to, "Usage: rcsim check SCENARIO...\n"
                "Run each scenario's CI seeds against its expectations, at every point of its "
                "`vary` line if it has one. Exit status: 0 all hold, 1 some do not (one replay "
                "command per failure), 2 bad input.\n");
}

/* One scenario as `rcsim check` runs it: at one point of its `vary` line, or as written. */
typedef struct {
    SimScenario *sc;
    char *set; /* "key=value" of the point, or NULL */
} CheckPoint;

static void check_point_clear(gpointer p)
{
    CheckPoint *cp = p;
    sim_scenario_free(cp->sc);
    g_free(cp->set);
}

/* Parse `path` once per point of its `vary` line (or once); FALSE after printing the error. */
static gboolean check_load(const char *path, GArray *points)
{
    GError *error = NULL;
    SimScenario *sc = sim_scenario_load(path, NULL, &error);
    if (sc == NULL) {
        fprintf(stderr, "%s\n", error->message);
        g_error_free(error);
        return FALSE;
    }
    if (sc->vary_param == NULL) {
        CheckPoint cp = {.sc = sc};
        g_array_append_val(points, cp);
        return TRUE;
    }
    g_auto(GStrv) values = g_strsplit(sc->vary_values, ",", -1);
    g_autofree char *param = g_strdup(sc->vary_param);
    sim_scenario_free(sc);
    for (guint i = 0; values[i] != NULL; i++) {
        char *set = g_strdup_printf("%s=%s", param, values[i]);
        const char *const over[] = {set, NULL};
        sc = sim_scenario_load(path, over, &error);
        if (sc == NULL) {
            fprintf(stderr, "%s\n", error->message);
            g_error_free(error);
            g_free(set);
            return FALSE;
        }
        CheckPoint cp = {.sc = sc, .set = set};
        g_array_append_val(points, cp);
    }
    return TRUE;
}

int sim_check_main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "rcsim check: expected SCENARIO files (see rcsim check --help)\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            check_usage(stdout);
            return 0;
        }
    /* parse everything first: a typo in the last file should not wait for the first runs */
    g_autoptr(GArray) points = g_array_new(FALSE, TRUE, sizeof(CheckPoint));
    g_array_set_clear_func(points, check_point_clear);
    for (int i = 1; i < argc; i++)
        if (!check_load(argv[i], points))
            return 2;
    guint failures = 0, runs = 0;
    for (guint i = 0; i < points->len; i++) {
        const CheckPoint *cp = &g_array_index(points, CheckPoint, i);
        const SimScenario *sc = cp->sc;
        const char *const over[] = {cp->set, NULL};
        for (guint64 seed = sc->ci_seed_first; seed <= sc->ci_seed_last; seed++) {
            g_autofree char *replay = sim_run_replay_command(sc->path, seed, over);
            SimRunOptions opt = {.replay = replay};
            GError *error = NULL;
            g_autoptr(SimRunResult) r = sim_run_execute(sc, seed, &opt, &error);
            runs++;
            if (r == NULL) {
                fprintf(stderr, "rcsim check: %s\n", error->message);
                g_error_free(error);
                return 2;
            }
            g_autofree char *what =
                g_strdup_printf("%s%s%s seed %" G_GUINT64_FORMAT, sc->name, cp->set ? " " : "",
                                cp->set ? cp->set : "", seed);
            if (r->ok) {
                printf("ok   %s\n", what);
                continue;
            }
            failures++;
            printf("FAIL %s:", what);
            for (guint j = 0; j < r->check->properties->len; j++) {
                const SimProperty *p = &g_array_index(r->check->properties, SimProperty, j);
                if (!p->ok)
                    printf(" [%s: %s]", p->name, p->detail);
            }
            printf("\n  replay: %s\n", r->replay);
        }
    }
    printf("%u runs, %u failed\n", runs, failures);
    return failures == 0 ? 0 : 1;
}
