/* `rcsim sweep` and `rcsim merge`: many seeds times parameter points, in worker processes.
 *
 * The jobs (point, seed) are numbered in a fixed order (points as given, seeds ascending);
 * `--shard I/N` keeps jobs whose number is I-1 modulo N, so N machines split one sweep with
 * no coordination and `rcsim merge` joins their directories. Within a machine, `--jobs N`
 * forks N workers; worker w runs every N-th job of the shard, each run single-threaded and
 * deterministic, and sends one JSON row per run through a pipe. The parent streams rows to
 * runs.partial.jsonl as they arrive (so a crash loses nothing already finished), then writes
 * the sorted runs.csv/runs.jsonl, aggregates.csv/json and sweep.json. A worker that dies
 * leaves its unfinished jobs as rows with ok=false and an error. */
#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/run_cli.h"

#define JOBS_MAX 64

static const char *const metrics[] = {
    "acked",
    "lost",
    "lost_majority",
    "lost_minority",
    "window_majority_ms",
    "window_minority_ms",
    "unavailable_majority_ms",
    "unavailable_minority_ms",
    "failover_ms",
    /* appended, so the older columns keep their places */
    "window_majority_last_ms",
    "window_minority_last_ms",
    /* appended later: writes acked while no partition was in force (side none, e.g. by a
     * cut-off master after the heal) and every side's first lost ack */
    "lost_none",
    "window_none_ms",
    "window_none_last_ms",
    "window_majority_first_ms",
    "window_minority_first_ms",
    "window_none_first_ms",
};

typedef struct {
    char *label;     /* "node-timeout=1000,..." or "default" */
    GPtrArray *sets; /* char* "k=v": the point's overrides, NULL-terminated */
} Point;

typedef struct {
    char *scenario;
    char *scenario_sha256; /* of the file's contents when the sweep began */
    GPtrArray *base_sets;  /* --set, NULL-terminated */
    guint64 first, last;
    GPtrArray *vary_names;  /* char* */
    GPtrArray *vary_values; /* GPtrArray of char* per name */
    GArray *points;         /* Point */
    guint shard_i, shard_n; /* 1-based */
    guint jobs;
    char *out;
    gboolean keep_runs;
} Sweep;

static void point_clear(gpointer p)
{
    Point *pt = p;
    g_free(pt->label);
    g_ptr_array_unref(pt->sets);
}

/* ---- rows ---- */

static void add_ms_or_null(JsonBuilder *b, const char *name, gboolean present, RcTime us)
{
    json_builder_set_member_name(b, name);
    if (present)
        json_builder_add_int_value(b, us / 1000);
    else
        json_builder_add_null_value(b);
}

static char *row_from_result(const Sweep *sw, const Point *pt, guint64 seed, const SimRunResult *r,
                             const char *error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "seed");
    json_builder_add_int_value(b, (gint64)seed);
    for (guint i = 0; i < pt->sets->len - 1; i++) {
        const char *kv = g_ptr_array_index(pt->sets, i);
        const char *eq = strchr(kv, '=');
        g_autofree char *k = g_strndup(kv, eq - kv);
        json_builder_set_member_name(b, k);
        char *end = NULL;
        gint64 v = g_ascii_strtoll(eq + 1, &end, 10);
        if (*end == '\0' && eq[1] != '\0')
            json_builder_add_int_value(b, v);
        else
            json_builder_add_string_value(b, eq + 1);
    }
    json_builder_set_member_name(b, "point");
    json_builder_add_string_value(b, pt->label);
    if (r != NULL) {
        const SimCheckResult *c = r->check;
        gint64 vals[] = {(gint64)c->acked, (gint64)c->lost,
                         (gint64)c->lost_by_side[SIM_SIDE_MAJORITY],
                         (gint64)c->lost_by_side[SIM_SIDE_MINORITY]};
        for (gsize i = 0; i < G_N_ELEMENTS(vals); i++) {
            json_builder_set_member_name(b, metrics[i]);
            json_builder_add_int_value(b, vals[i]);
        }
        const SimWindow *wm = &c->window[SIM_SIDE_MAJORITY], *wn = &c->window[SIM_SIDE_MINORITY];
        add_ms_or_null(b, "window_majority_ms", wm->present, wm->last_us - wm->first_us);
        add_ms_or_null(b, "window_minority_ms", wn->present, wn->last_us - wn->first_us);
        add_ms_or_null(b, "unavailable_majority_ms", TRUE, c->unavailable_us[SIM_SIDE_MAJORITY]);
        add_ms_or_null(b, "unavailable_minority_ms", TRUE, c->unavailable_us[SIM_SIDE_MINORITY]);
        double fo = 0;
        gboolean has_fo = sim_run_metric(r, "failover-ms", &fo);
        add_ms_or_null(b, "failover_ms", has_fo, (RcTime)(fo * 1000));
        /* the ack time of the last lost write from its fault's start: what the spec's
         * node-timeout bound on the minority side applies to (the width above is not) */
        add_ms_or_null(b, "window_majority_last_ms", wm->present, wm->last_us);
        add_ms_or_null(b, "window_minority_last_ms", wn->present, wn->last_us);
        /* side none: acked while no partition was in force, measured from the start of the
         * latest fault before the ack (as summary.json's loss_window.none) */
        const SimWindow *w0 = &c->window[SIM_SIDE_NONE];
        json_builder_set_member_name(b, "lost_none");
        json_builder_add_int_value(b, (gint64)c->lost_by_side[SIM_SIDE_NONE]);
        add_ms_or_null(b, "window_none_ms", w0->present, w0->last_us - w0->first_us);
        add_ms_or_null(b, "window_none_last_ms", w0->present, w0->last_us);
        add_ms_or_null(b, "window_majority_first_ms", wm->present, wm->first_us);
        add_ms_or_null(b, "window_minority_first_ms", wn->present, wn->first_us);
        add_ms_or_null(b, "window_none_first_ms", w0->present, w0->first_us);
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, r->ok);
        json_builder_set_member_name(b, "trace_sha256");
        json_builder_add_string_value(b, r->trace_sha256);
        json_builder_set_member_name(b, "replay");
        json_builder_add_string_value(b, r->replay);
        json_builder_set_member_name(b, "error");
        json_builder_add_null_value(b);
    } else {
        for (gsize i = 0; i < G_N_ELEMENTS(metrics); i++) {
            json_builder_set_member_name(b, metrics[i]);
            json_builder_add_null_value(b);
        }
        json_builder_set_member_name(b, "ok");
        json_builder_add_boolean_value(b, FALSE);
        json_builder_set_member_name(b, "trace_sha256");
        json_builder_add_null_value(b);
        GPtrArray *all = g_ptr_array_new();
        for (guint i = 0; i < sw->base_sets->len - 1; i++)
            g_ptr_array_add(all, g_ptr_array_index(sw->base_sets, i));
        for (guint i = 0; i < pt->sets->len - 1; i++)
            g_ptr_array_add(all, g_ptr_array_index(pt->sets, i));
        g_ptr_array_add(all, NULL);
        g_autofree char *replay =
            sim_run_replay_command(sw->scenario, seed, (const char *const *)all->pdata);
        g_ptr_array_free(all, TRUE);
        json_builder_set_member_name(b, "replay");
        json_builder_add_string_value(b, replay);
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, error);
    }
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

/* ---- the worker ---- */

static void worker(const Sweep *sw, guint w, guint nworkers, GArray *jobs, int fd)
{
    g_autoptr(GPtrArray) scs = g_ptr_array_new_with_free_func((GDestroyNotify)sim_scenario_free);
    g_ptr_array_set_size(scs, sw->points->len);
    for (guint j = w; j < jobs->len; j += nworkers) {
        guint job = g_array_index(jobs, guint, j);
        guint npoints = sw->points->len;
        guint pi = job % npoints;
        guint64 seed = sw->first + job / npoints;
        const Point *pt = &g_array_index(sw->points, Point, pi);
        GError *error = NULL;
        if (g_ptr_array_index(scs, pi) == NULL) {
            GPtrArray *all = g_ptr_array_new();
            for (guint i = 0; i < sw->base_sets->len - 1; i++)
                g_ptr_array_add(all, g_ptr_array_index(sw->base_sets, i));
            for (guint i = 0; i < pt->sets->len - 1; i++)
                g_ptr_array_add(all, g_ptr_array_index(pt->sets, i));
            g_ptr_array_add(all, NULL);
            SimScenario *sc =
                sim_scenario_load(sw->scenario, (const char *const *)all->pdata, &error);
            g_ptr_array_free(all, TRUE);
            rc_assert(sc != NULL); /* the parent parsed every point before forking */
            g_ptr_array_index(scs, pi) = sc;
        }
        const SimScenario *sc = g_ptr_array_index(scs, pi);
        GPtrArray *all = g_ptr_array_new();
        for (guint i = 0; i < sw->base_sets->len - 1; i++)
            g_ptr_array_add(all, g_ptr_array_index(sw->base_sets, i));
        for (guint i = 0; i < pt->sets->len - 1; i++)
            g_ptr_array_add(all, g_ptr_array_index(pt->sets, i));
        g_ptr_array_add(all, NULL);
        g_autofree char *replay =
            sim_run_replay_command(sw->scenario, seed, (const char *const *)all->pdata);
        g_ptr_array_free(all, TRUE);
        g_autofree char *dir = NULL;
        if (sw->keep_runs) {
            g_autofree char *seed_dir = g_strdup_printf("seed-%" G_GUINT64_FORMAT, seed);
            dir = g_build_filename(sw->out, "runs", pt->label, seed_dir, NULL);
        }
        SimRunOptions opt = {.out_dir = dir, .replay = replay};
        SimRunResult *r = sim_run_execute(sc, seed, &opt, &error);
        g_autofree char *row = row_from_result(sw, pt, seed, r, error ? error->message : NULL);
        g_clear_error(&error);
        sim_run_result_free(r);
        g_autofree char *line = g_strdup_printf("%u\t%s\n", job, row);
        gsize len = strlen(line), off = 0;
        while (off < len) {
            ssize_t n = write(fd, line + off, len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                _exit(3);
            off += (gsize)n;
        }
    }
}

/* ---- aggregates and files ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* nearest rank */
static double quantile(const double *v, guint n, double q)
{
    guint rank = (guint)(q * n + 0.999999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* What sweep.json says about the sweep a directory holds: everything its runs depend on
 * besides the seed (`rcsim merge` refuses shards that differ in any of it), and its place. */
typedef struct {
    const char *scenario;        /* the path as given */
    const char *scenario_sha256; /* of the file's contents, or NULL (an older sweep.json) */
    GPtrArray *sets;             /* char*: the --set overrides, in order */
    guint64 first, last;         /* the sweep's seed range (every shard's: the whole range) */
    GPtrArray *vary_names;       /* char* */
    GPtrArray *vary_values;      /* GPtrArray of char* per name */
    GPtrArray *points;           /* char*: the point labels, job order */
    const char *shard;           /* "I/N", or "merged" */
} SweepMeta;

static gboolean write_outputs(const char *out, const SweepMeta *meta, GPtrArray *rows,
                              GError **error)
{
    const char *scenario = meta->scenario;
    guint64 first = meta->first, last = meta->last;
    GPtrArray *vary_names = meta->vary_names, *vary_values = meta->vary_values;
    GPtrArray *points = meta->points;
    const char *shard = meta->shard;
    /* rows: JsonObject*, sorted already */
    GString *csv = g_string_new("seed");
    for (guint i = 0; i < vary_names->len; i++)
        g_string_append_printf(csv, ",%s", (char *)g_ptr_array_index(vary_names, i));
    for (gsize i = 0; i < G_N_ELEMENTS(metrics); i++)
        g_string_append_printf(csv, ",%s", metrics[i]);
    g_string_append(csv, ",ok,trace_sha256,point\n");
    GString *jsonl = g_string_new(NULL);
    guint failed = 0;
    g_autoptr(JsonGenerator) gen = json_generator_new();
    for (guint r = 0; r < rows->len; r++) {
        JsonObject *o = g_ptr_array_index(rows, r);
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
        json_node_set_object(node, o);
        json_generator_set_root(gen, node);
        g_autofree char *line = json_generator_to_data(gen, NULL);
        g_string_append_printf(jsonl, "%s\n", line);
        g_string_append_printf(csv, "%" G_GINT64_FORMAT, json_object_get_int_member(o, "seed"));
        for (guint i = 0; i < vary_names->len; i++) {
            JsonNode *v = json_object_get_member(o, g_ptr_array_index(vary_names, i));
            if (v == NULL || JSON_NODE_HOLDS_NULL(v))
                g_string_append(csv, ",");
            else if (json_node_get_value_type(v) == G_TYPE_INT64)
                g_string_append_printf(csv, ",%" G_GINT64_FORMAT, json_node_get_int(v));
            else
                g_string_append_printf(csv, ",%s", json_node_get_string(v));
        }
        for (gsize i = 0; i < G_N_ELEMENTS(metrics); i++) {
            JsonNode *v = json_object_get_member(o, metrics[i]);
            if (v == NULL || JSON_NODE_HOLDS_NULL(v))
                g_string_append(csv, ",");
            else
                g_string_append_printf(csv, ",%" G_GINT64_FORMAT, json_node_get_int(v));
        }
        gboolean ok = json_object_get_boolean_member_with_default(o, "ok", FALSE);
        failed += !ok;
        const char *sha = json_object_get_string_member_with_default(o, "trace_sha256", "");
        g_string_append_printf(csv, ",%s,%s,%s\n", ok ? "true" : "false", sha ? sha : "",
                               json_object_get_string_member_with_default(o, "point", ""));
    }

    /* aggregates per point */
    g_autoptr(JsonBuilder) ab = json_builder_new();
    json_builder_begin_object(ab);
    json_builder_set_member_name(ab, "points");
    json_builder_begin_array(ab);
    GString *acsv = g_string_new("point,metric,min,median,p90,p99,max,count\n");
    for (guint p = 0; p < points->len; p++) {
        const char *label = g_ptr_array_index(points, p);
        json_builder_begin_object(ab);
        json_builder_set_member_name(ab, "point");
        json_builder_add_string_value(ab, label);
        json_builder_set_member_name(ab, "metrics");
        json_builder_begin_object(ab);
        for (gsize m = 0; m < G_N_ELEMENTS(metrics); m++) {
            g_autoptr(GArray) v = g_array_new(FALSE, FALSE, sizeof(double));
            for (guint r = 0; r < rows->len; r++) {
                JsonObject *o = g_ptr_array_index(rows, r);
                if (strcmp(json_object_get_string_member_with_default(o, "point", ""), label) != 0)
                    continue;
                JsonNode *x = json_object_get_member(o, metrics[m]);
                if (x == NULL || JSON_NODE_HOLDS_NULL(x))
                    continue;
                double d = (double)json_node_get_int(x);
                g_array_append_val(v, d);
            }
            g_array_sort(v, cmp_double);
            json_builder_set_member_name(ab, metrics[m]);
            json_builder_begin_object(ab);
            const char *names[] = {"min", "median", "p90", "p99", "max"};
            double qs[] = {0, 0.5, 0.9, 0.99, 1};
            g_string_append_printf(acsv, "%s,%s", label, metrics[m]);
            for (gsize q = 0; q < G_N_ELEMENTS(qs); q++) {
                json_builder_set_member_name(ab, names[q]);
                if (v->len == 0) {
                    json_builder_add_null_value(ab);
                    g_string_append(acsv, ",");
                } else {
                    double x = q == 0 ? g_array_index(v, double, 0)
                                      : quantile((double *)v->data, v->len, qs[q]);
                    json_builder_add_double_value(ab, x);
                    g_string_append_printf(acsv, ",%g", x);
                }
            }
            json_builder_set_member_name(ab, "count");
            json_builder_add_int_value(ab, v->len);
            g_string_append_printf(acsv, ",%u\n", v->len);
            json_builder_end_object(ab);
        }
        json_builder_end_object(ab);
        json_builder_end_object(ab);
    }
    json_builder_end_array(ab);
    json_builder_end_object(ab);

    g_autoptr(JsonBuilder) sb = json_builder_new();
    json_builder_begin_object(sb);
    json_builder_set_member_name(sb, "scenario");
    json_builder_add_string_value(sb, scenario);
    json_builder_set_member_name(sb, "scenario_sha256");
    if (meta->scenario_sha256 != NULL)
        json_builder_add_string_value(sb, meta->scenario_sha256);
    else
        json_builder_add_null_value(sb);
    json_builder_set_member_name(sb, "sets");
    json_builder_begin_array(sb);
    for (guint i = 0; i < meta->sets->len; i++)
        json_builder_add_string_value(sb, g_ptr_array_index(meta->sets, i));
    json_builder_end_array(sb);
    json_builder_set_member_name(sb, "seeds");
    json_builder_begin_array(sb);
    json_builder_add_int_value(sb, (gint64)first);
    json_builder_add_int_value(sb, (gint64)last);
    json_builder_end_array(sb);
    json_builder_set_member_name(sb, "vary");
    json_builder_begin_object(sb);
    for (guint i = 0; i < vary_names->len; i++) {
        json_builder_set_member_name(sb, g_ptr_array_index(vary_names, i));
        json_builder_begin_array(sb);
        GPtrArray *vals = g_ptr_array_index(vary_values, i);
        for (guint j = 0; j < vals->len; j++) {
            const char *s = g_ptr_array_index(vals, j);
            char *end = NULL;
            gint64 iv = g_ascii_strtoll(s, &end, 10);
            if (*end == '\0' && s[0] != '\0')
                json_builder_add_int_value(sb, iv);
            else
                json_builder_add_string_value(sb, s);
        }
        json_builder_end_array(sb);
    }
    json_builder_end_object(sb);
    json_builder_set_member_name(sb, "points");
    json_builder_begin_array(sb);
    for (guint p = 0; p < points->len; p++)
        json_builder_add_string_value(sb, g_ptr_array_index(points, p));
    json_builder_end_array(sb);
    json_builder_set_member_name(sb, "runs");
    json_builder_add_int_value(sb, rows->len);
    json_builder_set_member_name(sb, "failed");
    json_builder_add_int_value(sb, failed);
    json_builder_set_member_name(sb, "shard");
    json_builder_add_string_value(sb, shard);
    json_builder_end_object(sb);

    struct {
        const char *name;
        char *text;
    } files[4] = {{"runs.csv", g_string_free(csv, FALSE)},
                  {"runs.jsonl", g_string_free(jsonl, FALSE)},
                  {"aggregates.csv", g_string_free(acsv, FALSE)},
                  {"aggregates.json", NULL}};
    g_autoptr(JsonGenerator) pretty = json_generator_new();
    json_generator_set_pretty(pretty, TRUE);
    g_autoptr(JsonNode) aroot = json_builder_get_root(ab);
    json_generator_set_root(pretty, aroot);
    files[3].text = json_generator_to_data(pretty, NULL);
    gboolean ok = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(out, files[i].name, NULL);
        if (ok && !g_file_set_contents(path, files[i].text, -1, error))
            ok = FALSE;
        g_free(files[i].text);
    }
    g_autoptr(JsonNode) sroot = json_builder_get_root(sb);
    json_generator_set_root(pretty, sroot);
    g_autofree char *stext = json_generator_to_data(pretty, NULL);
    g_autofree char *spath = g_build_filename(out, "sweep.json", NULL);
    if (ok && !g_file_set_contents(spath, stext, -1, error))
        ok = FALSE;
    return ok;
}

/* ---- the parent ---- */

static gboolean parse_range(const char *s, guint64 *a, guint64 *b)
{
    const char *dots = strstr(s, "..");
    char *end = NULL;
    if (!g_ascii_isdigit(s[0]))
        return FALSE;
    *a = g_ascii_strtoull(s, &end, 10);
    if (dots == NULL)
        return *end == '\0' && (*b = *a, TRUE);
    if (end != dots || !g_ascii_isdigit(dots[2]))
        return FALSE;
    *b = g_ascii_strtoull(dots + 2, &end, 10);
    return *end == '\0' && *b >= *a;
}

static void sweep_usage(FILE *to)
{
    fprintf(to, "Usage: rcsim sweep SCENARIO --seeds FIRST..LAST [--vary KEY=V1,V2,...]... "
                "[--set KEY=VALUE]... [--jobs N] [--shard I/N] [--keep-runs] --out DIR\n"
                "Runs every seed at every parameter point (the scenario's own `vary` line when no "
                "--vary is given) in N worker processes.\n");
}

static void sweep_free(Sweep *sw)
{
    g_free(sw->scenario_sha256);
    g_ptr_array_unref(sw->base_sets);
    g_ptr_array_unref(sw->vary_names);
    g_ptr_array_unref(sw->vary_values);
    g_array_free(sw->points, TRUE);
}

static void add_vary(Sweep *sw, const char *name, const char *values)
{
    g_ptr_array_add(sw->vary_names, g_strdup(name));
    GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) parts = g_strsplit(values, ",", -1);
    for (guint i = 0; parts[i] != NULL; i++)
        g_ptr_array_add(v, g_strdup(parts[i]));
    g_ptr_array_add(sw->vary_values, v);
}

/* The cartesian product of the vary axes, first axis slowest. */
static void make_points(Sweep *sw)
{
    guint total = 1;
    for (guint i = 0; i < sw->vary_values->len; i++)
        total *= ((GPtrArray *)g_ptr_array_index(sw->vary_values, i))->len;
    for (guint p = 0; p < total; p++) {
        Point pt = {.sets = g_ptr_array_new_with_free_func(g_free)};
        GString *label = g_string_new(NULL);
        guint rem = p;
        guint stride = total;
        for (guint i = 0; i < sw->vary_values->len; i++) {
            GPtrArray *vals = g_ptr_array_index(sw->vary_values, i);
            stride /= vals->len;
            guint k = rem / stride;
            rem %= stride;
            char *kv = g_strdup_printf("%s=%s", (char *)g_ptr_array_index(sw->vary_names, i),
                                       (char *)g_ptr_array_index(vals, k));
            g_string_append_printf(label, "%s%s", i ? "," : "", kv);
            g_ptr_array_add(pt.sets, kv);
        }
        g_ptr_array_add(pt.sets, NULL);
        pt.label = label->len ? g_string_free(label, FALSE)
                              : (g_string_free(label, TRUE), g_strdup("default"));
        g_array_append_val(sw->points, pt);
    }
}

static gint row_cmp_job(gconstpointer a, gconstpointer b)
{
    guint x = *(const guint *)a, y = *(const guint *)b;
    return x < y ? -1 : x > y;
}

static int sweep_execute(Sweep *sw, gboolean have_seeds)
{
    g_ptr_array_add(sw->base_sets, NULL);
    {
        GError *error = NULL;
        g_autofree char *text = NULL;
        gsize len = 0;
        if (g_file_get_contents(sw->scenario, &text, &len, NULL))
            sw->scenario_sha256 =
                g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
        g_autoptr(SimScenario) sc =
            sim_scenario_load(sw->scenario, (const char *const *)sw->base_sets->pdata, &error);
        if (sc == NULL) {
            fprintf(stderr, "%s\n", error->message);
            g_error_free(error);
            return 2;
        }
        if (!have_seeds) {
            sw->first = sc->ci_seed_first;
            sw->last = sc->ci_seed_last;
        }
        if (sw->vary_names->len == 0 && sc->vary_param != NULL)
            add_vary(sw, sc->vary_param, sc->vary_values);
    }
    make_points(sw);
    /* every point must parse before any worker starts */
    for (guint p = 0; p < sw->points->len; p++) {
        Point *pt = &g_array_index(sw->points, Point, p);
        GPtrArray *all = g_ptr_array_new();
        for (guint i = 0; i < sw->base_sets->len - 1; i++)
            g_ptr_array_add(all, g_ptr_array_index(sw->base_sets, i));
        for (guint i = 0; i < pt->sets->len - 1; i++)
            g_ptr_array_add(all, g_ptr_array_index(pt->sets, i));
        g_ptr_array_add(all, NULL);
        GError *error = NULL;
        SimScenario *sc = sim_scenario_load(sw->scenario, (const char *const *)all->pdata, &error);
        g_ptr_array_free(all, TRUE);
        if (sc == NULL) {
            fprintf(stderr, "rcsim sweep: point %s: %s\n", pt->label, error->message);
            g_error_free(error);
            return 2;
        }
        sim_scenario_free(sc);
    }
    if (g_mkdir_with_parents(sw->out, 0755) != 0) {
        fprintf(stderr, "rcsim sweep: %s: %s\n", sw->out, g_strerror(errno));
        return 2;
    }

    /* the shard's jobs */
    guint64 nseeds = sw->last - sw->first + 1;
    guint64 total = nseeds * sw->points->len;
    g_autoptr(GArray) jobs = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint64 j = 0; j < total; j++)
        if (j % sw->shard_n == sw->shard_i - 1) {
            guint jj = (guint)j;
            g_array_append_val(jobs, jj);
        }
    guint nworkers = MIN(sw->jobs, MAX(jobs->len, 1));
    int fds[JOBS_MAX];
    pid_t pids[JOBS_MAX];
    fflush(NULL);
    for (guint w = 0; w < nworkers; w++) {
        int p[2];
        if (pipe(p) != 0) {
            fprintf(stderr, "rcsim sweep: pipe: %s\n", g_strerror(errno));
            return 2;
        }
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "rcsim sweep: fork: %s\n", g_strerror(errno));
            return 2;
        }
        if (pid == 0) {
            close(p[0]);
            for (guint k = 0; k < w; k++)
                close(fds[k]);
            worker(sw, w, nworkers, jobs, p[1]);
            close(p[1]);
            _exit(0);
        }
        close(p[1]);
        fds[w] = p[0];
        pids[w] = pid;
    }

    g_autofree char *partial_path = g_build_filename(sw->out, "runs.partial.jsonl", NULL);
    FILE *partial = fopen(partial_path, "w");
    g_autoptr(GHashTable) rows = g_hash_table_new_full(g_int_hash, g_int_equal, g_free, g_free);
    GString *buf[JOBS_MAX];
    gboolean open_fd[JOBS_MAX];
    for (guint w = 0; w < nworkers; w++) {
        buf[w] = g_string_new(NULL);
        open_fd[w] = TRUE;
    }
    gboolean tty = isatty(STDERR_FILENO);
    guint done = 0, failed = 0, live = nworkers;
    gint64 started = g_get_monotonic_time(); /* lint: allow progress display only */
    while (live > 0) {
        struct pollfd pfd[JOBS_MAX];
        guint map[JOBS_MAX], n = 0;
        for (guint w = 0; w < nworkers; w++)
            if (open_fd[w]) {
                pfd[n].fd = fds[w];
                pfd[n].events = POLLIN;
                map[n++] = w;
            }
        if (poll(pfd, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (guint k = 0; k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            guint w = map[k];
            char chunk[65536];
            ssize_t got = read(fds[w], chunk, sizeof chunk);
            if (got <= 0) {
                if (got < 0 && errno == EINTR)
                    continue;
                open_fd[w] = FALSE;
                close(fds[w]);
                live--;
                continue;
            }
            g_string_append_len(buf[w], chunk, got);
            char *nl;
            while ((nl = memchr(buf[w]->str, '\n', buf[w]->len)) != NULL) {
                gsize len = nl - buf[w]->str;
                g_autofree char *line = g_strndup(buf[w]->str, len);
                g_string_erase(buf[w], 0, len + 1);
                char *tab = strchr(line, '\t');
                if (tab == NULL)
                    continue;
                *tab = '\0';
                guint *job = g_new(guint, 1);
                *job = (guint)g_ascii_strtoull(line, NULL, 10);
                if (partial)
                    fprintf(partial, "%s\n", tab + 1);
                if (strstr(tab + 1, "\"ok\":false") != NULL) {
                    failed++;
                    const char *rp = strstr(tab + 1, "\"replay\":\"");
                    if (rp != NULL) {
                        g_autoptr(JsonParser) jp = json_parser_new();
                        if (json_parser_load_from_data(jp, tab + 1, -1, NULL)) {
                            JsonObject *o = json_node_get_object(json_parser_get_root(jp));
                            fprintf(stdout, "%sFAIL %s  replay: %s\n", tty ? "\r\033[K" : "",
                                    json_object_get_string_member_with_default(o, "point", ""),
                                    json_object_get_string_member_with_default(o, "replay", ""));
                        }
                    }
                }
                g_hash_table_insert(rows, job, g_strdup(tab + 1));
                done++;
            }
            if (tty) {
                gint64 now = g_get_monotonic_time(); /* lint: allow progress display only */
                double el = (double)(now - started) / 1e6;
                fprintf(stderr, "\r\033[K%u/%u runs, %u failed, %.1f s, %.1f runs/s", done,
                        jobs->len, failed, el, el > 0 ? done / el : 0);
                fflush(stderr);
            }
        }
    }
    if (tty)
        fprintf(stderr, "\n");
    for (guint w = 0; w < nworkers; w++) {
        int st = 0;
        waitpid(pids[w], &st, 0);
        g_string_free(buf[w], TRUE);
    }
    if (partial)
        fclose(partial);

    /* rows in job order; jobs a dead worker never reported become failed rows */
    g_autoptr(GPtrArray) objs = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    g_autoptr(GPtrArray) parsers = g_ptr_array_new_with_free_func(g_object_unref);
    g_array_sort(jobs, row_cmp_job);
    for (guint j = 0; j < jobs->len; j++) {
        guint job = g_array_index(jobs, guint, j);
        const char *row = g_hash_table_lookup(rows, &job);
        g_autofree char *made = NULL;
        if (row == NULL) {
            guint pi = job % sw->points->len;
            guint64 seed = sw->first + job / sw->points->len;
            made = row_from_result(sw, &g_array_index(sw->points, Point, pi), seed, NULL,
                                   "the worker died before finishing this run");
            row = made;
            failed++;
            fprintf(stdout, "FAIL %s seed %" G_GUINT64_FORMAT ": worker died\n",
                    g_array_index(sw->points, Point, pi).label, seed);
        }
        JsonParser *jp = json_parser_new();
        g_ptr_array_add(parsers, jp);
        if (!json_parser_load_from_data(jp, row, -1, NULL))
            continue;
        g_ptr_array_add(objs, json_object_ref(json_node_get_object(json_parser_get_root(jp))));
    }
    g_autoptr(GPtrArray) labels = g_ptr_array_new();
    for (guint p = 0; p < sw->points->len; p++)
        g_ptr_array_add(labels, g_array_index(sw->points, Point, p).label);
    g_autofree char *shard = g_strdup_printf("%u/%u", sw->shard_i, sw->shard_n);
    g_autoptr(GPtrArray) sets = g_ptr_array_new();
    for (guint i = 0; i + 1 < sw->base_sets->len; i++)
        g_ptr_array_add(sets, g_ptr_array_index(sw->base_sets, i));
    SweepMeta meta = {.scenario = sw->scenario,
                      .scenario_sha256 = sw->scenario_sha256,
                      .sets = sets,
                      .first = sw->first,
                      .last = sw->last,
                      .vary_names = sw->vary_names,
                      .vary_values = sw->vary_values,
                      .points = labels,
                      .shard = shard};
    GError *error = NULL;
    if (!write_outputs(sw->out, &meta, objs, &error)) {
        fprintf(stderr, "rcsim sweep: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    g_remove(partial_path);
    printf("%u runs, %u failed; results in %s (runs.csv, aggregates.csv, sweep.json)\n", jobs->len,
           failed, sw->out);
    return failed == 0 ? 0 : 1;
}

int sim_sweep_main(int argc, char **argv)
{
    Sweep sw = {.base_sets = g_ptr_array_new(),
                .vary_names = g_ptr_array_new_with_free_func(g_free),
                .vary_values = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref),
                .points = g_array_new(FALSE, TRUE, sizeof(Point)),
                .shard_i = 1,
                .shard_n = 1,
                .jobs = 1};
    g_array_set_clear_func(sw.points, point_clear);
    gboolean have_seeds = FALSE;
    int status = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            sweep_usage(stdout);
            status = 0;
            goto out;
        } else if (strcmp(a, "--seeds") == 0) {
            if (v == NULL || !parse_range(v, &sw.first, &sw.last)) {
                fprintf(stderr, "rcsim sweep: --seeds: expected FIRST..LAST\n");
                goto out;
            }
            have_seeds = TRUE;
            i++;
        } else if (strcmp(a, "--vary") == 0) {
            const char *eq = v ? strchr(v, '=') : NULL;
            if (eq == NULL || eq == v || eq[1] == '\0') {
                fprintf(stderr, "rcsim sweep: --vary: expected KEY=V1,V2,...\n");
                goto out;
            }
            g_autofree char *k = g_strndup(v, eq - v);
            if (!sim_scenario_is_param(k)) {
                fprintf(stderr, "rcsim sweep: --vary: unknown parameter '%s'\n", k);
                goto out;
            }
            add_vary(&sw, k, eq + 1);
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (v == NULL) {
                fprintf(stderr, "rcsim sweep: --set: expected KEY=VALUE\n");
                goto out;
            }
            g_ptr_array_add(sw.base_sets, (gpointer)v);
            i++;
        } else if (strcmp(a, "--jobs") == 0) {
            guint64 n, n2;
            if (v == NULL || !parse_range(v, &n, &n2) || n < 1 || n > JOBS_MAX) {
                fprintf(stderr, "rcsim sweep: --jobs: expected 1..%d\n", JOBS_MAX);
                goto out;
            }
            sw.jobs = (guint)n;
            i++;
        } else if (strcmp(a, "--shard") == 0) {
            unsigned si = 0, sn = 0;
            char extra;
            if (v == NULL || sscanf(v, "%u/%u%c", &si, &sn, &extra) != 2 || sn < 1 || si < 1 ||
                si > sn) {
                fprintf(stderr, "rcsim sweep: --shard: expected I/N with 1 <= I <= N\n");
                goto out;
            }
            sw.shard_i = si;
            sw.shard_n = sn;
            i++;
        } else if (strcmp(a, "--out") == 0) {
            if (v == NULL) {
                fprintf(stderr, "rcsim sweep: --out: expected a directory\n");
                goto out;
            }
            sw.out = (char *)v;
            i++;
        } else if (strcmp(a, "--keep-runs") == 0) {
            sw.keep_runs = TRUE;
        } else if (a[0] == '-') {
            fprintf(stderr, "rcsim sweep: unknown option '%s' (see rcsim sweep --help)\n", a);
            goto out;
        } else if (sw.scenario == NULL) {
            sw.scenario = (char *)a;
        } else {
            fprintf(stderr, "rcsim sweep: one scenario only, got '%s' too\n", a);
            goto out;
        }
    }
    if (sw.scenario == NULL || sw.out == NULL) {
        fprintf(stderr, "rcsim sweep: expected a SCENARIO file and --out DIR (see rcsim sweep "
                        "--help)\n");
        goto out;
    }
    status = sweep_execute(&sw, have_seeds);
out:
    sweep_free(&sw);
    return status;
}

/* ---- merge ---- */

static gint cmp_rows(gconstpointer a, gconstpointer b, gpointer user)
{
    GPtrArray *labels = user;
    JsonObject *x = *(JsonObject **)a, *y = *(JsonObject **)b;
    const char *px = json_object_get_string_member_with_default(x, "point", "");
    const char *py = json_object_get_string_member_with_default(y, "point", "");
    guint ix = 0, iy = 0;
    g_ptr_array_find_with_equal_func(labels, px, g_str_equal, &ix);
    g_ptr_array_find_with_equal_func(labels, py, g_str_equal, &iy);
    gint64 sx = json_object_get_int_member(x, "seed"), sy = json_object_get_int_member(y, "seed");
    /* job order: seed-major, point-minor, as the sweep numbers jobs */
    if (sx != sy)
        return sx < sy ? -1 : 1;
    return ix < iy ? -1 : ix > iy;
}

/* The sweep.json fields every shard of one sweep has alike: what its runs depend on. */
static const char *const same_fields[] = {"scenario", "scenario_sha256", "sets", "seeds",
                                          "vary",     "points"};

/* A member of a sweep.json as compact JSON text, or "absent". */
static char *member_text(JsonObject *o, const char *name)
{
    JsonNode *n = json_object_get_member(o, name);
    return n != NULL ? json_to_string(n, FALSE) : g_strdup("absent");
}

int sim_merge_main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: rcsim merge OUT SHARD_DIR...\nJoin sweep directories made with --shard "
               "into OUT.\n");
        return 0;
    }
    if (argc < 3) {
        fprintf(stderr, "rcsim merge: expected OUT and SHARD_DIRs (see rcsim merge --help)\n");
        return 2;
    }
    const char *out = argv[1];
    g_autoptr(GPtrArray) objs = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    g_autoptr(GPtrArray) parsers = g_ptr_array_new_with_free_func(g_object_unref);
    g_autofree char *scenario = NULL;
    guint64 first = G_MAXUINT64, last = 0;
    g_autoptr(GPtrArray) vary_names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) vary_values =
        g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint shard_count = 0; /* N of the shards' "I/N", 0 if none was a shard */
    const char *shard_dir = NULL, *shard_first = NULL; /* the first shard given, its "I/N" */
    JsonObject *ref = NULL;                            /* the first sweep.json */
    const char *ref_dir = NULL;
    g_autoptr(GPtrArray) base_sets = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *sha = NULL;
    g_autoptr(GArray) shards_given = g_array_new(FALSE, TRUE, sizeof(gboolean));
    for (int i = 2; i < argc; i++) {
        g_autofree char *spath = g_build_filename(argv[i], "sweep.json", NULL);
        g_autofree char *rpath = g_build_filename(argv[i], "runs.jsonl", NULL);
        GError *error = NULL;
        JsonParser *sp = json_parser_new();
        g_ptr_array_add(parsers, sp);
        if (!json_parser_load_from_file(sp, spath, &error)) {
            fprintf(stderr, "rcsim merge: %s: %s\n", spath, error->message);
            g_error_free(error);
            return 2;
        }
        JsonObject *so = json_node_get_object(json_parser_get_root(sp));
        const char *sc =
            so ? json_object_get_string_member_with_default(so, "scenario", NULL) : NULL;
        JsonArray *seeds = so && json_object_has_member(so, "seeds")
                               ? json_object_get_array_member(so, "seeds")
                               : NULL;
        if (sc == NULL || seeds == NULL || json_array_get_length(seeds) != 2) {
            fprintf(stderr, "rcsim merge: %s: not a sweep.json\n", spath);
            return 2;
        }
        if (scenario == NULL) {
            scenario = g_strdup(sc);
            JsonObject *vary = json_object_get_object_member(so, "vary");
            GList *members = vary ? json_object_get_members(vary) : NULL;
            for (GList *l = members; l != NULL; l = l->next) {
                g_ptr_array_add(vary_names, g_strdup(l->data));
                GPtrArray *vals = g_ptr_array_new_with_free_func(g_free);
                JsonArray *arr = json_object_get_array_member(vary, l->data);
                for (guint j = 0; j < json_array_get_length(arr); j++) {
                    JsonNode *n = json_array_get_element(arr, j);
                    g_ptr_array_add(vals,
                                    json_node_get_value_type(n) == G_TYPE_INT64
                                        ? g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(n))
                                        : g_strdup(json_node_get_string(n)));
                }
                g_ptr_array_add(vary_values, vals);
            }
            g_list_free(members);
            JsonArray *pts = json_object_has_member(so, "points")
                                 ? json_object_get_array_member(so, "points")
                                 : NULL;
            for (guint j = 0; pts != NULL && j < json_array_get_length(pts); j++)
                g_ptr_array_add(labels, g_strdup(json_array_get_string_element(pts, j)));
            ref = so;
            ref_dir = argv[i];
            JsonArray *sets = json_object_has_member(so, "sets")
                                  ? json_object_get_array_member(so, "sets")
                                  : NULL;
            for (guint j = 0; sets != NULL && j < json_array_get_length(sets); j++)
                g_ptr_array_add(base_sets, g_strdup(json_array_get_string_element(sets, j)));
            if (json_object_has_member(so, "scenario_sha256") &&
                !json_object_get_null_member(so, "scenario_sha256"))
                sha = g_strdup(json_object_get_string_member(so, "scenario_sha256"));
        } else {
            for (gsize f = 0; f < G_N_ELEMENTS(same_fields); f++) {
                g_autofree char *a = member_text(ref, same_fields[f]);
                g_autofree char *b = member_text(so, same_fields[f]);
                if (strcmp(a, b) != 0) {
                    fprintf(stderr,
                            "rcsim merge: %s and %s are not shards of one sweep: %s differs (%s vs "
                            "%s)\n",
                            ref_dir, argv[i], same_fields[f], a, b);
                    return 2;
                }
            }
        }
        guint si = 0, sn = 0;
        const char *shard = json_object_get_string_member_with_default(so, "shard", "");
        if (sscanf(shard, "%u/%u", &si, &sn) == 2 && si >= 1 && si <= sn) {
            /* a merged directory ("merged") may join shards of its sweep; shards must agree */
            if (shard_dir == NULL) {
                shard_dir = argv[i];
                shard_first = shard;
                shard_count = sn;
                g_array_set_size(shards_given, sn);
            } else if (sn != shard_count) {
                fprintf(stderr,
                        "rcsim merge: %s and %s are not shards of one sweep: shard differs (%s vs "
                        "%s)\n",
                        shard_dir, argv[i], shard_first, shard);
                return 2;
            }
            g_array_index(shards_given, gboolean, si - 1) = TRUE;
        }
        first = MIN(first, (guint64)json_array_get_int_element(seeds, 0));
        last = MAX(last, (guint64)json_array_get_int_element(seeds, 1));
        g_autofree char *text = NULL;
        if (!g_file_get_contents(rpath, &text, NULL, &error)) {
            fprintf(stderr, "rcsim merge: %s\n", error->message);
            g_error_free(error);
            return 2;
        }
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (guint l = 0; lines[l] != NULL; l++) {
            if (lines[l][0] == '\0')
                continue;
            JsonParser *jp = json_parser_new();
            g_ptr_array_add(parsers, jp);
            if (!json_parser_load_from_data(jp, lines[l], -1, &error)) {
                fprintf(stderr, "rcsim merge: %s:%u: %s\n", rpath, l + 1, error->message);
                g_error_free(error);
                return 2;
            }
            JsonObject *o = json_node_get_object(json_parser_get_root(jp));
            if (o == NULL || !json_object_has_member(o, "seed")) {
                fprintf(stderr, "rcsim merge: %s:%u: not a run row\n", rpath, l + 1);
                return 2;
            }
            char *id = g_strdup_printf("%s/%" G_GINT64_FORMAT,
                                       json_object_get_string_member_with_default(o, "point", ""),
                                       json_object_get_int_member(o, "seed"));
            if (!g_hash_table_add(seen, id))
                continue; /* the same run in two shards: keep the first */
            g_ptr_array_add(objs, json_object_ref(o));
        }
    }
    g_ptr_array_sort_with_data(objs, cmp_rows, labels);
    if (g_mkdir_with_parents(out, 0755) != 0) {
        fprintf(stderr, "rcsim merge: %s: %s\n", out, g_strerror(errno));
        return 2;
    }
    SweepMeta meta = {.scenario = scenario,
                      .scenario_sha256 = sha,
                      .sets = base_sets,
                      .first = first,
                      .last = last,
                      .vary_names = vary_names,
                      .vary_values = vary_values,
                      .points = labels,
                      .shard = "merged"};
    GError *error = NULL;
    if (!write_outputs(out, &meta, objs, &error)) {
        fprintf(stderr, "rcsim merge: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    printf("%u runs from %d shards merged into %s\n", objs->len, argc - 2, out);
    /* A merge of some of the shards is written (nothing is lost) but is not a success. */
    guint64 expected = (last - first + 1) * MAX(labels->len, 1u);
    if (objs->len < expected) {
        GString *missing = g_string_new(NULL);
        for (guint i = 0; i < shard_count; i++)
            if (!g_array_index(shards_given, gboolean, i))
                g_string_append_printf(missing, "%s%u/%u", missing->len ? ", " : "", i + 1,
                                       shard_count);
        fprintf(stderr,
                "rcsim merge: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                " runs are missing%s%s%s\n",
                expected - objs->len, expected, missing->len ? " (shards not given: " : "",
                missing->str, missing->len ? ")" : "");
        g_string_free(missing, TRUE);
        return 1;
    }
    return 0;
}
