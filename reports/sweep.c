/* A sweep directory (results contract): sweep.json, and one row per run from runs.jsonl, or
 * from runs.csv when there is no runs.jsonl. Rows are grouped into points: the values of the
 * varied parameters ("node-timeout=1000"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/jsonread.h"
#include "reports/report.h"
#include "reports/results.h"

static void clear_run(gpointer p)
{
    ReportRun *r = p;
    g_free(r->vary);
    g_strfreev(r->vary_text);
    g_free(r->point);
    g_free(r->error);
    g_free(r->replay);
    g_free(r->trace_sha256);
}

static void run_init(ReportRun *r, guint n_vary)
{
    memset(r, 0, sizeof *r);
    r->vary = g_new0(double, MAX(1, n_vary));
    r->vary_text = g_new0(char *, n_vary + 1);
}

/* A varied value as text and, when it is one, as a number. */
static void set_vary(ReportRun *r, guint i, const char *text)
{
    char *end;
    r->vary_text[i] = g_strdup(text);
    r->vary[i] = g_ascii_strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(r->vary[i]))
        r->vary[i] = NAN;
}

void report_sweep_free(ReportSweep *s)
{
    if (s == NULL)
        return;
    g_free(s->dir);
    g_free(s->path);
    g_free(s->scenario);
    g_free(s->runs_path);
    g_ptr_array_unref(s->vary_names);
    g_ptr_array_unref(s->points);
    g_array_unref(s->runs);
    g_free(s);
}

static gboolean load_header(ReportSweep *s, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) local = NULL;
    if (!json_parser_load_from_file(parser, s->path, &local)) {
        if (g_str_has_prefix(local->message, s->path))
            g_set_error_literal(error, REPORT_ERROR, REPORT_ERROR_INPUT, local->message);
        else
            g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT, "%s: %s", s->path, local->message);
        return FALSE;
    }
    ReportJsonCtx cx = {s->path, ""};
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return report_json_fail(&cx, "(top level)", error, "expected a JSON object");
    JsonObject *o = json_node_get_object(root);
    JsonArray *seeds;
    JsonObject *vary;
    s->runs_declared = s->failed = REPORT_NONE;
    if (!report_json_string(o, "scenario", REPORT_JSON_REQUIRED, &s->scenario, &cx, error) ||
        !report_json_array(o, "seeds", REPORT_JSON_REQUIRED, &seeds, &cx, error) ||
        !report_json_object(o, "vary", REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE, &vary, &cx,
                            error) ||
        !report_json_int(o, "runs", REPORT_JSON_OPTIONAL, &s->runs_declared, &cx, error) ||
        !report_json_int(o, "failed", REPORT_JSON_OPTIONAL, &s->failed, &cx, error))
        return FALSE;
    if (json_array_get_length(seeds) != 2 ||
        json_node_get_value_type(json_array_get_element(seeds, 0)) != G_TYPE_INT64 ||
        json_node_get_value_type(json_array_get_element(seeds, 1)) != G_TYPE_INT64)
        return report_json_fail(&cx, "seeds", error, "expected [first, last] integers");
    s->seed_first = json_array_get_int_element(seeds, 0);
    s->seed_last = json_array_get_int_element(seeds, 1);
    if (vary != NULL) {
        g_autoptr(GList) names = json_object_get_members(vary);
        for (GList *l = names; l != NULL; l = l->next)
            g_ptr_array_add(s->vary_names, g_strdup(l->data));
    }
    return TRUE;
}

/* Names the point of a run from its varied values, as the runner does. */
static char *point_name(const ReportSweep *s, char **vary_text)
{
    if (s->vary_names->len == 0)
        return g_strdup("default");
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < s->vary_names->len; i++)
        g_string_append_printf(out, "%s%s=%s", i > 0 ? "," : "",
                               (const char *)g_ptr_array_index(s->vary_names, i), vary_text[i]);
    return g_string_free(out, FALSE);
}

static void add_run(ReportSweep *s, ReportRun *r)
{
    if (r->point == NULL || r->point[0] == '\0') {
        g_free(r->point);
        r->point = point_name(s, r->vary_text);
    }
    gboolean known = FALSE;
    for (guint i = 0; i < s->points->len && !known; i++)
        known = strcmp(g_ptr_array_index(s->points, i), r->point) == 0;
    if (!known)
        g_ptr_array_add(s->points, g_strdup(r->point));
    g_array_append_val(s->runs, *r);
}

/* The numeric columns of a row, in one table for both file formats. */
typedef struct {
    const char *name;
    gsize offset;
    gboolean is_required;
} RunColumn;

static const RunColumn run_columns[] = {
    {"acked", G_STRUCT_OFFSET(ReportRun, acked), FALSE},
    {"lost", G_STRUCT_OFFSET(ReportRun, lost), TRUE},
    {"lost_majority", G_STRUCT_OFFSET(ReportRun, lost_side[0]), TRUE},
    {"lost_minority", G_STRUCT_OFFSET(ReportRun, lost_side[1]), TRUE},
    {"window_majority_ms", G_STRUCT_OFFSET(ReportRun, window_ms[0]), FALSE},
    {"window_minority_ms", G_STRUCT_OFFSET(ReportRun, window_ms[1]), FALSE},
    {"unavailable_majority_ms", G_STRUCT_OFFSET(ReportRun, unavailable_ms[0]), FALSE},
    {"unavailable_minority_ms", G_STRUCT_OFFSET(ReportRun, unavailable_ms[1]), FALSE},
    {"failover_ms", G_STRUCT_OFFSET(ReportRun, failover_ms), FALSE},
    {"window_majority_last_ms", G_STRUCT_OFFSET(ReportRun, window_last_ms[0]), FALSE},
    {"window_minority_last_ms", G_STRUCT_OFFSET(ReportRun, window_last_ms[1]), FALSE},
    {"lost_none", G_STRUCT_OFFSET(ReportRun, lost_side[2]), FALSE},
    {"window_none_ms", G_STRUCT_OFFSET(ReportRun, window_ms[2]), FALSE},
    {"window_none_last_ms", G_STRUCT_OFFSET(ReportRun, window_last_ms[2]), FALSE},
    {"window_majority_first_ms", G_STRUCT_OFFSET(ReportRun, window_first_ms[0]), FALSE},
    {"window_minority_first_ms", G_STRUCT_OFFSET(ReportRun, window_first_ms[1]), FALSE},
    {"window_none_first_ms", G_STRUCT_OFFSET(ReportRun, window_first_ms[2]), FALSE},
};

static gboolean is_window_last(const RunColumn *c)
{
    return c->offset == G_STRUCT_OFFSET(ReportRun, window_last_ms[0]) ||
           c->offset == G_STRUCT_OFFSET(ReportRun, window_last_ms[1]);
}

/* lost_none marks a sweep that counts the writes lost outside any partition. */
static gboolean is_lost_none(const RunColumn *c)
{
    return c->offset == G_STRUCT_OFFSET(ReportRun, lost_side[2]);
}

static double *run_field(ReportRun *r, const RunColumn *c)
{
    return (double *)(void *)((char *)r + c->offset);
}

static gboolean load_jsonl(ReportSweep *s, const char *data, gsize size, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    const char *p = data, *end = data + size;
    for (gint64 line_no = 1; p < end; line_no++) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        gsize len = (gsize)((nl != NULL ? nl : end) - p);
        const char *line = p;
        p = nl != NULL ? nl + 1 : end;
        if (len == 0)
            continue;
        g_autofree char *where = g_strdup_printf("%s:%" G_GINT64_FORMAT, s->runs_path, line_no);
        ReportJsonCtx cx = {where, ""};
        g_autoptr(GError) local = NULL;
        if (!json_parser_load_from_data(parser, line, (gssize)len, &local)) {
            const char *reason = strstr(local->message, "error: ");
            return report_json_fail(&cx, "json", error, "%s",
                                    reason != NULL ? reason + 7 : local->message);
        }
        JsonNode *root = json_parser_get_root(parser);
        if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
            return report_json_fail(&cx, "(line)", error, "expected a JSON object");
        JsonObject *o = json_node_get_object(root);
        ReportRun r;
        run_init(&r, s->vary_names->len);
        const ReportJsonFlags maybe = REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE;
        gboolean ok = report_json_int(o, "seed", REPORT_JSON_REQUIRED, &r.seed, &cx, error) &&
                      report_json_bool(o, "ok", REPORT_JSON_OPTIONAL, &r.is_ok, &cx, error) &&
                      report_json_string(o, "trace_sha256", maybe, &r.trace_sha256, &cx, error) &&
                      report_json_string(o, "point", maybe, &r.point, &cx, error) &&
                      report_json_string(o, "error", maybe, &r.error, &cx, error) &&
                      report_json_string(o, "replay", maybe, &r.replay, &cx, error);
        for (guint i = 0; ok && i < s->vary_names->len; i++) {
            const char *name = g_ptr_array_index(s->vary_names, i);
            JsonNode *v = json_object_get_member(o, name);
            if (v == NULL) {
                ok = report_json_fail(&cx, name, error, "missing");
            } else if (!JSON_NODE_HOLDS_VALUE(v)) {
                ok = report_json_fail(&cx, name, error, "expected a number or a string");
            } else {
                g_autofree char *text = report_json_scalar_text(v);
                set_vary(&r, i, text);
            }
        }
        for (gsize c = 0; ok && c < G_N_ELEMENTS(run_columns); c++) {
            ReportJsonFlags flags = REPORT_JSON_NULLABLE;
            if (!run_columns[c].is_required)
                flags |= REPORT_JSON_OPTIONAL;
            ok = report_json_double(o, run_columns[c].name, flags, run_field(&r, &run_columns[c]),
                                    &cx, error);
            gboolean has = json_object_has_member(o, run_columns[c].name);
            if (is_window_last(&run_columns[c]) && has)
                s->has_window_last = TRUE;
            if (is_lost_none(&run_columns[c]) && has)
                s->has_none = TRUE;
        }
        if (!ok) {
            clear_run(&r);
            return FALSE;
        }
        add_run(s, &r);
    }
    return TRUE;
}

/* A CSV cell as a number: empty is NAN; anything else must parse whole. */
static gboolean csv_number(const char *cell, double *out)
{
    if (cell[0] == '\0') {
        *out = NAN;
        return TRUE;
    }
    char *end;
    *out = g_ascii_strtod(cell, &end);
    return end != cell && *end == '\0' && isfinite(*out);
}

static gint find_column(char **header, const char *name)
{
    for (gint i = 0; header[i] != NULL; i++)
        if (strcmp(header[i], name) == 0)
            return i;
    return -1;
}

static gboolean load_csv(ReportSweep *s, const char *data, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
    if (lines[0] == NULL || lines[0][0] == '\0')
        return g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT,
                           "%s:1: header: missing header row", s->runs_path),
               FALSE;
    g_strchomp(lines[0]);
    g_auto(GStrv) header = g_strsplit(lines[0], ",", -1);
    guint ncols = g_strv_length(header);
    gint seed_col = find_column(header, "seed"), ok_col = find_column(header, "ok"),
         sha_col = find_column(header, "trace_sha256");
    g_autofree gint *vary_col = g_new0(gint, MAX(1, s->vary_names->len));
    gint num_col[G_N_ELEMENTS(run_columns)];
    g_autofree char *hdr_where = g_strdup_printf("%s:1", s->runs_path);
    ReportJsonCtx hx = {hdr_where, ""};
    if (seed_col < 0)
        return report_json_fail(&hx, "seed", error, "missing column");
    for (guint i = 0; i < s->vary_names->len; i++) {
        vary_col[i] = find_column(header, g_ptr_array_index(s->vary_names, i));
        if (vary_col[i] < 0)
            return report_json_fail(&hx, g_ptr_array_index(s->vary_names, i), error,
                                    "missing column");
    }
    for (gsize c = 0; c < G_N_ELEMENTS(run_columns); c++) {
        num_col[c] = find_column(header, run_columns[c].name);
        if (num_col[c] < 0 && run_columns[c].is_required)
            return report_json_fail(&hx, run_columns[c].name, error, "missing column");
        if (num_col[c] >= 0 && is_window_last(&run_columns[c]))
            s->has_window_last = TRUE;
        if (num_col[c] >= 0 && is_lost_none(&run_columns[c]))
            s->has_none = TRUE;
    }
    gint point_col = find_column(header, "point");
    /* a last "point" column may hold commas itself ("a=1,b=2"), unquoted */
    gboolean point_last = point_col >= 0 && (guint)point_col == ncols - 1;
    for (guint l = 1; lines[l] != NULL; l++) {
        g_strchomp(lines[l]);
        if (lines[l][0] == '\0')
            continue;
        g_autofree char *where = g_strdup_printf("%s:%u", s->runs_path, l + 1);
        ReportJsonCtx cx = {where, ""};
        g_auto(GStrv) cells = g_strsplit(lines[l], ",", point_last ? (gint)ncols : -1);
        if (g_strv_length(cells) != ncols)
            return report_json_fail(&cx, "(row)", error, "has %u cells, the header has %u",
                                    g_strv_length(cells), ncols);
        ReportRun r;
        run_init(&r, s->vary_names->len);
        double seed;
        gboolean ok = csv_number(cells[seed_col], &seed) && seed == floor(seed);
        if (!ok) {
            clear_run(&r);
            return report_json_fail(&cx, "seed", error, "expected an integer");
        }
        r.seed = (gint64)seed;
        for (guint i = 0; i < s->vary_names->len; i++)
            set_vary(&r, i, cells[vary_col[i]]);
        if (point_col >= 0)
            r.point = g_strdup(cells[point_col]);
        for (gsize c = 0; c < G_N_ELEMENTS(run_columns); c++) {
            double *field = run_field(&r, &run_columns[c]);
            *field = NAN;
            if (num_col[c] >= 0 && !csv_number(cells[num_col[c]], field)) {
                clear_run(&r);
                return report_json_fail(&cx, run_columns[c].name, error, "expected a number");
            }
        }
        if (ok_col >= 0) {
            if (strcmp(cells[ok_col], "true") != 0 && strcmp(cells[ok_col], "false") != 0) {
                clear_run(&r);
                return report_json_fail(&cx, "ok", error, "expected true or false");
            }
            r.is_ok = strcmp(cells[ok_col], "true") == 0;
        }
        if (sha_col >= 0)
            r.trace_sha256 = g_strdup(cells[sha_col]);
        add_run(s, &r);
    }
    return TRUE;
}

ReportSweep *report_sweep_load(const char *dir, GError **error)
{
    g_autoptr(ReportSweep) s = g_new0(ReportSweep, 1);
    s->dir = g_strdup(dir);
    s->path = g_build_filename(dir, "sweep.json", NULL);
    s->vary_names = g_ptr_array_new_with_free_func(g_free);
    s->points = g_ptr_array_new_with_free_func(g_free);
    s->runs = g_array_new(FALSE, TRUE, sizeof(ReportRun));
    g_array_set_clear_func(s->runs, clear_run);
    if (!load_header(s, error))
        return NULL;
    g_autofree char *jsonl = g_build_filename(dir, "runs.jsonl", NULL);
    g_autofree char *csv = g_build_filename(dir, "runs.csv", NULL);
    gboolean is_jsonl = g_file_test(jsonl, G_FILE_TEST_EXISTS);
    s->runs_path = g_strdup(is_jsonl ? jsonl : csv);
    g_autofree char *data = NULL;
    gsize size;
    g_autoptr(GError) local = NULL;
    if (!g_file_get_contents(s->runs_path, &data, &size, &local)) {
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT, "%s: %s", s->runs_path,
                    local->message);
        return NULL;
    }
    if (!(is_jsonl ? load_jsonl(s, data, size, error) : load_csv(s, data, error)))
        return NULL;
    return g_steal_pointer(&s);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank, computed exactly as sim/sweep.c's quantile() does (the same rounding of
 * q * n up to a rank, clamped to 1..n), so every quantile here equals aggregates.csv's. */
double report_quantile_sorted(const double *sorted, guint n, double q)
{
    if (n == 0)
        return NAN;
    guint rank = (guint)(q * n + 0.999999999);
    rank = CLAMP(rank, 1, n);
    return sorted[rank - 1];
}

ReportStats report_stats(const double *values, guint n)
{
    g_autofree double *v = g_new(double, MAX(1, n));
    guint m = 0;
    for (guint i = 0; i < n; i++)
        if (!isnan(values[i]))
            v[m++] = values[i];
    qsort(v, m, sizeof *v, compare_doubles);
    ReportStats st = {m, NAN, NAN, NAN, NAN};
    if (m > 0) {
        st.min = v[0];
        st.max = v[m - 1];
        st.median = report_quantile_sorted(v, m, 0.5);
        st.p90 = report_quantile_sorted(v, m, 0.9);
    }
    return st;
}
