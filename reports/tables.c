/* The tables of a report: what a run or a sweep lost, on which side, over what window, how
 * long each side was unavailable, how failovers went, and which properties held. The plots
 * are placed among them. */
#include "reports/tables.h"

#include <math.h>
#include <string.h>

#define DASH "—"

/* An integer that may be REPORT_NONE, as table text. */
static const char *int_text(gint64 v, char *buf, gsize size)
{
    if (v == REPORT_NONE)
        return DASH;
    g_snprintf(buf, size, "%" G_GINT64_FORMAT, v);
    return buf;
}

/* A difference b - a, when both are known. */
static const char *diff_text(gint64 a, gint64 b, char *buf, gsize size)
{
    if (a == REPORT_NONE || b == REPORT_NONE)
        return DASH;
    return int_text(b - a, buf, size);
}

static const char *num_text(double v, char *buf, gsize size)
{
    if (isnan(v))
        return DASH;
    return g_ascii_formatd(buf, size, "%.6g", v);
}

static void run_header(ReportDoc *doc, const ReportSummary *s)
{
    char ev[32];
    g_autofree char *secs = g_strdup_printf("%.3f", (double)s->sim_time_ms / 1000.0);
    report_doc_para(doc,
                    "Scenario `%s`, seed %" G_GINT64_FORMAT ", %s s of virtual time, %s "
                    "events, rcsim %s.",
                    s->scenario, s->seed, secs, int_text(s->events, ev, sizeof ev),
                    s->rcsim_version != NULL ? s->rcsim_version : "(unknown version)");
    if (s->replay != NULL)
        report_doc_para(doc, "Replay: `%s`", s->replay);
    if (s->trace_sha256 != NULL)
        report_doc_para(doc, "Trace SHA-256: `%s`", s->trace_sha256);
}

static void run_writes(ReportDoc *doc, const ReportSummary *s, const ReportHistory *h)
{
    report_doc_heading(doc, "Writes per side");
    report_doc_table(doc, "side\tacked\tlost\tloss window first (ms)\tloss window last "
                          "(ms)\tloss window width (ms)\tunavailable (ms)");
    for (int side = 0; side < REPORT_N_SIDES; side++) {
        char a[32], f[32], l[32], w[32], u[32];
        const char *acked = h != NULL ? int_text(h->acked_total[side], a, sizeof a) : DASH;
        const ReportWindow *win = side < 2 ? &s->window[side] : NULL;
        gboolean has = win != NULL && win->is_present;
        report_doc_row(doc, "%s\t%s\t%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s",
                       report_side_name((ReportSide)side), acked, s->lost_by_side[side],
                       has ? int_text(win->first_ms, f, sizeof f) : DASH,
                       has ? int_text(win->last_ms, l, sizeof l) : DASH,
                       has ? int_text(win->width_ms, w, sizeof w) : DASH,
                       side < 2 ? int_text(s->unavailable_ms[side], u, sizeof u) : DASH);
    }
    report_doc_row(doc, "all\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t\t\t\t", s->acked,
                   s->lost);
    char ind[32], rec[32];
    report_doc_para(doc,
                    "Acked per side counts the ok writes in `history.jsonl` by the side of the "
                    "node that served them (none: no partition at that moment); lost is "
                    "`writes.lost_by_side` of `summary.json`. The loss window holds the ack "
                    "times of the lost writes, measured from the start of the fault that "
                    "caused them. Indeterminate writes: %s; recovered: %s.",
                    int_text(s->indeterminate, ind, sizeof ind),
                    int_text(s->recovered, rec, sizeof rec));
    if (h != NULL && h->acked_total[0] + h->acked_total[1] + h->acked_total[2] != s->acked)
        report_doc_para(doc,
                        "Note: history.jsonl holds %" G_GINT64_FORMAT " acked writes, "
                        "summary.json says %" G_GINT64_FORMAT ".",
                        h->acked_total[0] + h->acked_total[1] + h->acked_total[2], s->acked);
}

static void run_properties(ReportDoc *doc, const ReportSummary *s)
{
    if (s->properties->len == 0)
        return;
    report_doc_heading(doc, "Properties");
    report_doc_table(doc, "property\tresult\tdetail");
    for (guint i = 0; i < s->properties->len; i++) {
        const ReportProperty *p = &g_array_index(s->properties, ReportProperty, i);
        report_doc_row(doc, "%s\t%s\t%s", p->name, p->is_ok ? "ok" : "FAILED",
                       p->detail != NULL ? p->detail : "");
    }
}

static void run_failovers(ReportDoc *doc, const ReportSummary *s)
{
    report_doc_heading(doc, "Failovers");
    if (s->failovers->len == 0) {
        report_doc_para(doc, "No failover happened.");
        return;
    }
    report_doc_table(doc, "failed master\tpromoted\tepoch\tfault (ms)\tPFAIL (ms)\tFAIL "
                          "(ms)\telection (ms)\tpromoted (ms)\tfault → FAIL (ms)\tfault → "
                          "promoted (ms)");
    for (guint i = 0; i < s->failovers->len; i++) {
        const ReportFailover *f = &g_array_index(s->failovers, ReportFailover, i);
        char b[8][32];
        report_doc_row(doc, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", f->failed_node,
                       f->promoted_node != NULL ? f->promoted_node : DASH,
                       int_text(f->epoch, b[0], 32), int_text(f->fault_ms, b[1], 32),
                       int_text(f->pfail_ms, b[2], 32), int_text(f->fail_ms, b[3], 32),
                       int_text(f->election_ms, b[4], 32), int_text(f->promoted_ms, b[5], 32),
                       diff_text(f->fault_ms, f->fail_ms, b[6], 32),
                       diff_text(f->fault_ms, f->promoted_ms, b[7], 32));
    }
    report_doc_para(doc, "Times are from the start of the run, in virtual milliseconds.");
}

static void run_faults(ReportDoc *doc, const ReportSummary *s)
{
    report_doc_heading(doc, "Faults");
    if (s->faults->len == 0) {
        report_doc_para(doc, "No fault was injected.");
        return;
    }
    report_doc_table(doc, "#\tkind\tlabel\tstart (ms)\tend (ms)\tduration (ms)\tminority side");
    for (guint i = 0; i < s->faults->len; i++) {
        const ReportFault *f = &g_array_index(s->faults, ReportFault, i);
        char a[32], b[32];
        report_doc_row(
            doc, "%u\t%s\t%s\t%" G_GINT64_FORMAT "\t%s\t%s\t%s", i, f->kind, f->label, f->start_ms,
            f->end_ms == REPORT_NONE ? "never healed" : int_text(f->end_ms, a, 32),
            diff_text(f->start_ms, f->end_ms, b, 32), f->minority[0] != '\0' ? f->minority : DASH);
    }
}

static void run_lost(ReportDoc *doc, const ReportSummary *s)
{
    const guint shown = 50;
    if (s->lost_writes->len == 0)
        return;
    report_doc_heading(doc, "Lost writes");
    if (s->lost_writes->len > shown)
        report_doc_para(doc, "The first %u of %u; all are in `summary.json`.", shown,
                        s->lost_writes->len);
    report_doc_table(doc, "process\tkey\tvalue\tnode\tside\tack (ms)\tfault #");
    for (guint i = 0; i < s->lost_writes->len && i < shown; i++) {
        const ReportLostWrite *l = &g_array_index(s->lost_writes, ReportLostWrite, i);
        char b[32];
        report_doc_row(doc, "%s\t%s\t%s\t%s\t%s\t%" G_GINT64_FORMAT "\t%s",
                       l->process != NULL ? l->process : DASH, l->key != NULL ? l->key : DASH,
                       l->value != NULL ? l->value : DASH, l->node != NULL ? l->node : DASH,
                       report_side_name(l->side), l->ack_ms, int_text(l->fault_index, b, 32));
    }
}

static void run_params(ReportDoc *doc, const ReportSummary *s)
{
    if (s->param_names->len == 0)
        return;
    report_doc_heading(doc, "Parameters");
    report_doc_table(doc, "parameter\tvalue");
    for (guint i = 0; i < s->param_names->len; i++)
        report_doc_row(doc, "%s\t%s", (const char *)g_ptr_array_index(s->param_names, i),
                       (const char *)g_ptr_array_index(s->param_values, i));
}

ReportDoc *report_tables_run(const ReportSummary *s, const ReportHistory *h,
                             const GPtrArray *plot_names)
{
    g_autofree char *title =
        g_strdup_printf("rcsim run report: %s, seed %" G_GINT64_FORMAT,
                        s->scenario_name != NULL ? s->scenario_name : s->scenario, s->seed);
    ReportDoc *doc = report_doc_new(title);
    run_header(doc, s);
    run_writes(doc, s, h);
    run_properties(doc, s);
    run_failovers(doc, s);
    run_faults(doc, s);
    report_doc_heading(doc, "Plots");
    if (h == NULL)
        report_doc_para(doc, "No `history.jsonl` in this run directory: no timeline.");
    for (guint i = 0; i < plot_names->len; i++) {
        const char *name = g_ptr_array_index(plot_names, i);
        const char *caption =
            strcmp(name, "timeline") == 0
                ? "Acknowledged writes per side over time; red boxes: acked writes that were "
                  "lost; shaded: faults; vertical lines: PFAIL, FAIL, election, promotion"
            : strcmp(name, "availability") == 0
                ? "Share of operations that succeeded, per side over time"
                : "Failover time: from fault start to replica promoted";
        report_doc_plot(doc, name, caption);
    }
    run_lost(doc, s);
    run_params(doc, s);
    return doc;
}

/* ------------------------------------------------------------------ sweeps */

/* Values of one run field over the runs of one point. */
static guint point_values(const ReportSweep *s, const char *point, gsize offset, double *out)
{
    guint n = 0;
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
        if (strcmp(r->point, point) == 0)
            out[n++] = *(const double *)(const void *)((const char *)r + offset);
    }
    return n;
}

static ReportStats point_stats(const ReportSweep *s, const char *point, gsize offset,
                               double *scratch)
{
    guint n = point_values(s, point, offset, scratch);
    return report_stats(scratch, n);
}

static void sweep_lost(ReportDoc *doc, const ReportSweep *s, double *v)
{
    report_doc_heading(doc, "Lost writes per point");
    report_doc_table(doc, "point\truns\truns ok\truns that lost writes\tlost per run: "
                          "median\tmax\tmajority: median\tmax\tminority: median\tmax");
    for (guint p = 0; p < s->points->len; p++) {
        const char *point = g_ptr_array_index(s->points, p);
        guint runs = 0, ok = 0, lossy = 0;
        for (guint i = 0; i < s->runs->len; i++) {
            const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
            if (strcmp(r->point, point) != 0)
                continue;
            runs++;
            ok += r->is_ok ? 1 : 0;
            lossy += r->lost > 0 ? 1 : 0;
        }
        ReportStats all = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, lost), v);
        ReportStats maj = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, lost_side[0]), v);
        ReportStats min = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, lost_side[1]), v);
        char b[6][G_ASCII_DTOSTR_BUF_SIZE];
        report_doc_row(
            doc, "%s\t%u\t%u\t%u\t%s\t%s\t%s\t%s\t%s\t%s", point, runs, ok, lossy,
            num_text(all.median, b[0], sizeof b[0]), num_text(all.max, b[1], sizeof b[1]),
            num_text(maj.median, b[2], sizeof b[2]), num_text(maj.max, b[3], sizeof b[3]),
            num_text(min.median, b[4], sizeof b[4]), num_text(min.max, b[5], sizeof b[5]));
    }
}

static void sweep_windows(ReportDoc *doc, const ReportSweep *s, double *v)
{
    report_doc_heading(doc, "Loss window per point and side (ms)");
    report_doc_table(doc, "point\tside\truns that lost writes there\tmin\tmedian\tp90\tmax");
    for (guint p = 0; p < s->points->len; p++) {
        const char *point = g_ptr_array_index(s->points, p);
        for (int side = 0; side < 2; side++) {
            ReportStats st = point_stats(
                s, point, G_STRUCT_OFFSET(ReportRun, window_ms) + (gsize)side * sizeof(double), v);
            char b[4][G_ASCII_DTOSTR_BUF_SIZE];
            report_doc_row(
                doc, "%s\t%s\t%u\t%s\t%s\t%s\t%s", point, report_side_name((ReportSide)side),
                st.count, num_text(st.min, b[0], sizeof b[0]),
                num_text(st.median, b[1], sizeof b[1]), num_text(st.p90, b[2], sizeof b[2]),
                num_text(st.max, b[3], sizeof b[3]));
        }
    }
    report_doc_para(doc, "Over the runs that lost writes on that side. Quantiles interpolate "
                         "linearly between the closest ranks.");
}

static void sweep_availability(ReportDoc *doc, const ReportSweep *s, double *v)
{
    report_doc_heading(doc, "Unavailability and failover per point (ms)");
    report_doc_table(doc, "point\tunavailable majority: median\tmax\tunavailable minority: "
                          "median\tmax\truns that failed over\tfailover: median\tp90\tmax");
    for (guint p = 0; p < s->points->len; p++) {
        const char *point = g_ptr_array_index(s->points, p);
        ReportStats um = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, unavailable_ms[0]), v);
        ReportStats un = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, unavailable_ms[1]), v);
        ReportStats fo = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, failover_ms), v);
        char b[7][G_ASCII_DTOSTR_BUF_SIZE];
        report_doc_row(doc, "%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s\t%s", point,
                       num_text(um.median, b[0], sizeof b[0]), num_text(um.max, b[1], sizeof b[1]),
                       num_text(un.median, b[2], sizeof b[2]), num_text(un.max, b[3], sizeof b[3]),
                       fo.count, num_text(fo.median, b[4], sizeof b[4]),
                       num_text(fo.p90, b[5], sizeof b[5]), num_text(fo.max, b[6], sizeof b[6]));
    }
    report_doc_para(doc, "Failover: from fault start to replica promoted, first failover of "
                         "each run.");
}

ReportDoc *report_tables_sweep(const ReportSweep *s, const GPtrArray *plot_names)
{
    g_autofree char *title = g_strdup_printf("rcsim sweep report: %s", s->scenario);
    ReportDoc *doc = report_doc_new(title);
    g_autoptr(GString) varied = g_string_new(NULL);
    for (guint i = 0; i < s->vary_names->len; i++)
        g_string_append_printf(varied, "%s%s", i > 0 ? ", " : "",
                               (const char *)g_ptr_array_index(s->vary_names, i));
    char d[32], f[32];
    report_doc_para(doc,
                    "Scenario `%s`, seeds %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
                    ", %u runs read from `%s` (sweep.json: %s runs, %s failed). Varied: %s.",
                    s->scenario, s->seed_first, s->seed_last, s->runs->len,
                    strrchr(s->runs_path, G_DIR_SEPARATOR) != NULL
                        ? strrchr(s->runs_path, G_DIR_SEPARATOR) + 1
                        : s->runs_path,
                    int_text(s->runs_declared, d, sizeof d), int_text(s->failed, f, sizeof f),
                    varied->len > 0 ? varied->str : "nothing");
    g_autofree double *scratch = g_new(double, MAX(1, s->runs->len));
    sweep_lost(doc, s, scratch);
    sweep_windows(doc, s, scratch);
    sweep_availability(doc, s, scratch);
    report_doc_heading(doc, "Plots");
    for (guint i = 0; i < plot_names->len; i++) {
        const char *name = g_ptr_array_index(plot_names, i);
        const char *caption =
            strcmp(name, "loss_window") == 0
                ? "Loss window per side against node-timeout, beside the minority-side bound "
                  "of the Redis spec"
            : strcmp(name, "lost_writes") == 0
                ? "Lost acknowledged writes per run, per side"
                : "Failover time CDF per point: from fault start to replica promoted";
        report_doc_plot(doc, name, caption);
    }
    return doc;
}
