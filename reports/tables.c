/* The tables of a report: what a run or a sweep lost, on which side, over what window, how
 * long each side was unavailable, how failovers went, and which properties held. The plots
 * are placed among them. */
#include "reports/tables.h"

#include <math.h>
#include <stdlib.h>
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
    if (s->verdict >= 0 || s->is_aborted || s->converged >= 0) {
        char cv[32];
        const char *verdict = s->is_aborted     ? "ABORTED (the run stopped early)"
                              : s->verdict == 1 ? "ok (every property held)"
                              : s->verdict == 0 ? "FAILED (see Properties)"
                                                : "not given";
        g_autofree char *conv =
            s->converged == 1   ? g_strdup_printf("the cluster converged %s ms after the last heal",
                                                  int_text(s->converge_ms, cv, sizeof cv))
            : s->converged == 0 ? g_strdup("the cluster did NOT converge after the last heal")
                                : g_strdup("convergence not checked");
        report_doc_para(doc, "Result: %s; %s.", verdict, conv);
    }
    if (s->replay != NULL)
        report_doc_para(doc, "Replay: `%s`", s->replay);
    if (s->trace_sha256 != NULL)
        report_doc_para(doc, "Trace SHA-256: `%s`", s->trace_sha256);
}

/* The minority window against the spec: a master cut off from the majority stops accepting
 * writes once node-timeout passes (derived: by about 1.5 NT, the ping schedule). */
static void run_bound(ReportDoc *doc, const ReportSummary *s)
{
    gint64 nt = report_summary_param_int(s, "node-timeout");
    const ReportWindow *w = &s->window[REPORT_SIDE_MINORITY];
    if (nt == REPORT_NONE || nt <= 0 || !w->is_present)
        return;
    double ratio = (double)w->last_ms / (double)nt;
    const char *verdict = ratio <= 1.0   ? "within the spec's bound (NT)"
                          : ratio <= 1.6 ? "past NT but within the derived edge (about 1.5 NT: "
                                           "the next ping leaves about NT/2 after the last pong)"
                                         : "past the derived edge of about 1.5 NT: worth a look";
    report_doc_para(doc,
                    "The last lost write on the minority side was acked %" G_GINT64_FORMAT
                    " ms after its fault began: %.2f × node-timeout (%" G_GINT64_FORMAT " ms), %s.",
                    w->last_ms, ratio, nt, verdict);
}

static void run_writes(ReportDoc *doc, const ReportSummary *s, const ReportHistory *h)
{
    report_doc_heading(doc, "Writes per side");
    report_doc_table(doc, "side\tacked\tlost\tloss window first (ms)\tloss window last "
                          "(ms)\tloss window width (ms)\tunavailable (ms)");
    for (int side = 0; side < REPORT_N_SIDES; side++) {
        char a[32], f[32], l[32], w[32], u[32];
        const char *acked = h != NULL ? int_text(h->acked_total[side], a, sizeof a) : DASH;
        const ReportWindow *win = &s->window[side];
        gboolean has = win->is_present;
        report_doc_row(doc, "%s\t%s\t%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s",
                       report_side_name((ReportSide)side), acked, s->lost_by_side[side],
                       has ? int_text(win->first_ms, f, sizeof f) : DASH,
                       has ? int_text(win->last_ms, l, sizeof l) : DASH,
                       has ? int_text(win->width_ms, w, sizeof w) : DASH,
                       side < 2 ? int_text(s->unavailable_ms[side], u, sizeof u) : DASH);
    }
    report_doc_row(doc, "all\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t\t\t\t", s->acked,
                   s->lost);
    char ind[32], rec[32], unr[32];
    report_doc_para(
        doc,
        "Acked per side counts the ok writes in `history.jsonl` by the side of the "
        "node that served them (none: no partition at that moment); lost is "
        "`writes.lost_by_side` of `summary.json`. The loss window holds the ack "
        "times of the lost writes, measured from the start of the fault that "
        "caused them (for side none, writes acked while no partition was in force, the latest "
        "fault that began before the ack); unavailable is how long clients on that side saw "
        "their operations fail or time out (`unavailable_ms`). Indeterminate writes: %s; "
        "recovered: %s; acked but never read back: %s.",
        int_text(s->indeterminate, ind, sizeof ind), int_text(s->recovered, rec, sizeof rec),
        int_text(s->unread, unr, sizeof unr));
    if (h != NULL && h->acked_total[0] + h->acked_total[1] + h->acked_total[2] != s->acked)
        report_doc_para(doc,
                        "Note: history.jsonl holds %" G_GINT64_FORMAT " acked writes, "
                        "summary.json says %" G_GINT64_FORMAT ".",
                        h->acked_total[0] + h->acked_total[1] + h->acked_total[2], s->acked);
    run_bound(doc, s);
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
    report_doc_table(doc, "#\tkind\tlabel\tstart (ms)\tend (ms)\tduration (ms)\tminority "
                          "side\tnodes\tnemesis error");
    for (guint i = 0; i < s->faults->len; i++) {
        const ReportFault *f = &g_array_index(s->faults, ReportFault, i);
        char a[32], b[32];
        report_doc_row(
            doc, "%u\t%s\t%s\t%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%s\t%s", i, f->kind, f->label,
            f->start_ms, f->end_ms == REPORT_NONE ? "never healed" : int_text(f->end_ms, a, 32),
            diff_text(f->start_ms, f->end_ms, b, 32), f->minority[0] != '\0' ? f->minority : DASH,
            f->nodes[0] != '\0' ? f->nodes : DASH, f->error != NULL ? f->error : DASH);
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

/* What each plot shows, and how to read it, for an operator or a student. */
typedef struct {
    const char *name;
    const char *caption;
    const char *reading;
} PlotText;

static const PlotText plot_texts[] = {
    {"timeline",
     "Acknowledged and lost writes per side over time, with faults and failover moments",
     "each line counts the writes clients got OK for, per second, by the side of the node that "
     "acknowledged them (a line is absent while its side did not exist). The lower panel, on "
     "its own scale, counts the acknowledged writes that were later lost, per bucket of their "
     "ack, each bucket marked by a large point (even a single lost write shows): on the "
     "minority side these are what the cut-off master accepted before it stopped, thrown away "
     "when its replica was promoted. Shaded bands "
     "are faults; dotted, dashed and solid vertical lines are the first PFAIL, the FAIL "
     "agreement, the replica's election and its promotion. The black bracket is where theory "
     "says the minority master stops accepting writes: from the partition start plus "
     "node-timeout (spec) to about 1.5 node-timeout (derived)."},
    {"availability", "Share of operations that succeeded, per side over time",
     "sides are those of the clients. 100 % means every operation completed in that bucket "
     "succeeded; 0 % means the side was unavailable: its operations were refused "
     "(CLUSTERDOWN), redirected in vain or timed out, or its clients waited with nothing "
     "completing. From the cut, each side fails its requests for the slots whose master is on "
     "the other side (they time out). So the majority side fails requests for the isolated "
     "master's slots from the cut until a replica is promoted (and its clients learn the new "
     "owner); between FAIL and the promotion it drops further, towards 0, since with "
     "cluster-require-full-coverage (the default) its nodes refuse every slot while one has no "
     "master. The minority side drops to 0 once its master stops accepting writes, about "
     "node-timeout to 1.5 node-timeout after the cut."},
    {"failover_cdf", "Failover time: from fault start to replica promoted",
     "for each time on the x axis, the share of failovers (in a sweep: of runs) done by then. A "
     "curve "
     "cannot start before node-timeout (failure detection waits that long); its spread is "
     "the gossip, the FAIL broadcast and the replica's random election delay. A curve that "
     "stays below 100 % had runs without a failover."},
    {"loss_window", "Last lost write per side against node-timeout, beside the Redis spec's bound",
     "each point is the median, over the runs that lost writes on that side, of the ack time "
     "of the last lost write measured from the start of its fault (`window_*_last_ms`); bars "
     "span min to max, open markers are p90. The solid line y = NT is the spec's bound for "
     "the minority side (a master cut off from the majority stops accepting writes after "
     "node-timeout); the dashed line y = 1.5 NT is derived from the ping schedule, not stated "
     "in the spec. Minority points should sit in the shaded band between them and grow with "
     "node-timeout; majority-side losses do not depend on it. Grey points, when there are any, "
     "are writes acked while no partition was in force (side none: after the heal, by a "
     "master that had not yet learned of its replica's promotion): no bound applies to them."},
    {"loss_window_width", "Loss window width per side against node-timeout",
     "each point is the median width of the loss window (last minus first ack of a lost "
     "write) over the runs that lost writes on that side; bars span min to max, open markers "
     "are p90. This sweep's rows carry no `window_*_last_ms` (an older rcsim), so the spec's "
     "bound is not drawn: it applies to the last lost ack from the fault's start, which the "
     "width understates."},
    {"unavailability", "Unavailable time per side against node-timeout",
     "how long clients on each side saw their operations fail or time out in a run (median, "
     "bars min to max, p90 as open markers), whichever slot they were for. Clients cut off "
     "with a master also send requests for the slots of masters across the cut, and those "
     "time out from the cut until the heal whatever the node-timeout; so a larger "
     "node-timeout does not shorten the minority side's outage, it only keeps the cut-off "
     "master accepting writes (later lost) for longer. The majority side's outage is the "
     "failover time of the cut-off master's slots, which grows with node-timeout."},
    {"lost_writes", "Lost acknowledged writes per run, per side",
     "how many runs (y) lost how many acknowledged writes (x), per side, and with no partition "
     "in force (grey, when some run lost writes so); the leftmost bin is the runs that lost "
     "nothing on that side."},
};

static const PlotText *plot_text(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(plot_texts); i++)
        if (strcmp(plot_texts[i].name, name) == 0)
            return &plot_texts[i];
    static const PlotText unknown = {"", "Plot", "see its script for what it draws."};
    return &unknown;
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
        const PlotText *t = plot_text(name);
        report_doc_plot(doc, name, t->caption);
        report_doc_para(doc, "How to read it: %s", t->reading);
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
    report_doc_table(doc, "point\truns\truns ok\truns not completed\truns that lost "
                          "writes\tlost per run: median\tmax\tmajority: median\tmax\tminority: "
                          "median\tmax\tno partition: median\tmax");
    for (guint p = 0; p < s->points->len; p++) {
        const char *point = g_ptr_array_index(s->points, p);
        guint runs = 0, ok = 0, lossy = 0, broken = 0;
        for (guint i = 0; i < s->runs->len; i++) {
            const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
            if (strcmp(r->point, point) != 0)
                continue;
            runs++;
            ok += r->is_ok ? 1 : 0;
            lossy += r->lost > 0 ? 1 : 0;
            broken += isnan(r->lost) ? 1 : 0;
        }
        ReportStats all = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, lost), v);
        ReportStats maj = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, lost_side[0]), v);
        ReportStats min = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, lost_side[1]), v);
        ReportStats none = point_stats(s, point, G_STRUCT_OFFSET(ReportRun, lost_side[2]), v);
        char b[8][G_ASCII_DTOSTR_BUF_SIZE];
        report_doc_row(
            doc, "%s\t%u\t%u\t%u\t%u\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", point, runs, ok, broken,
            lossy, num_text(all.median, b[0], sizeof b[0]), num_text(all.max, b[1], sizeof b[1]),
            num_text(maj.median, b[2], sizeof b[2]), num_text(maj.max, b[3], sizeof b[3]),
            num_text(min.median, b[4], sizeof b[4]), num_text(min.max, b[5], sizeof b[5]),
            num_text(none.median, b[6], sizeof b[6]), num_text(none.max, b[7], sizeof b[7]));
    }
}

/* The lost writes of each point summed over its runs, per side: all = majority + minority +
 * no partition, so the totals add up (medians of a sum need not). */
static void sweep_totals(ReportDoc *doc, const ReportSweep *s)
{
    report_doc_heading(doc, "Lost writes per point, summed over its runs");
    report_doc_table(doc, "point\truns completed\tlost: all\tmajority\tminority\tno partition "
                          "(side none)");
    for (guint p = 0; p < s->points->len; p++) {
        const char *point = g_ptr_array_index(s->points, p);
        guint runs = 0;
        double sum[1 + REPORT_N_SIDES] = {0};
        gboolean has[REPORT_N_SIDES] = {FALSE};
        for (guint i = 0; i < s->runs->len; i++) {
            const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
            if (strcmp(r->point, point) != 0 || isnan(r->lost))
                continue;
            runs++;
            sum[0] += r->lost;
            for (int side = 0; side < REPORT_N_SIDES; side++) {
                if (isnan(r->lost_side[side]))
                    continue;
                sum[1 + side] += r->lost_side[side];
                has[side] = TRUE;
            }
        }
        char b[4][G_ASCII_DTOSTR_BUF_SIZE];
        report_doc_row(doc, "%s\t%u\t%s\t%s\t%s\t%s", point, runs,
                       num_text(runs > 0 ? sum[0] : NAN, b[0], sizeof b[0]),
                       num_text(has[0] ? sum[1] : NAN, b[1], sizeof b[1]),
                       num_text(has[1] ? sum[2] : NAN, b[2], sizeof b[2]),
                       num_text(has[2] ? sum[3] : NAN, b[3], sizeof b[3]));
    }
    if (s->has_none)
        report_doc_para(doc, "No partition (side none): writes acknowledged while no partition "
                             "was in force, such as those a cut-off master still accepted after "
                             "the heal, before it learned that its replica had been promoted. "
                             "All = majority + minority + no partition.");
    else
        report_doc_para(doc, "These rows carry no `lost_none` (a sweep by an older rcsim): the "
                             "writes lost while no partition was in force are in the total but "
                             "on no side.");
}

/* Runs by lost writes, most first; ties by file order. */
static int compare_lost(gconstpointer a, gconstpointer b, gpointer user)
{
    const ReportRun *runs = user;
    const ReportRun *x = &runs[*(const guint *)a], *y = &runs[*(const guint *)b];
    if (x->lost != y->lost)
        return x->lost > y->lost ? -1 : 1;
    return (*(const guint *)a > *(const guint *)b) - (*(const guint *)a < *(const guint *)b);
}

/* The runs an operator would replay first: those that lost the most. */
GArray *report_tables_worst_runs(const ReportSweep *s, guint max)
{
    GArray *order = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint i = 0; i < s->runs->len; i++)
        if (g_array_index(s->runs, ReportRun, i).lost > 0)
            g_array_append_val(order, i);
    g_array_sort_with_data(order, compare_lost, s->runs->data);
    if (order->len > max)
        g_array_set_size(order, max);
    return order;
}

char *report_tables_kept_run(const ReportRun *r)
{
    g_autofree char *seed = g_strdup_printf("seed-%" G_GINT64_FORMAT, r->seed);
    return g_build_filename("runs", r->point, seed, NULL);
}

/* The runs an operator would replay first: those that lost the most; with a link to their
 * own report when the sweep kept them (--keep-runs). */
static void sweep_worst(ReportDoc *doc, const ReportSweep *s)
{
    g_autoptr(GArray) order = report_tables_worst_runs(s, 10);
    if (order->len == 0)
        return;
    report_doc_heading(doc, "Runs that lost the most writes");
    report_doc_table(doc, "seed\tpoint\tlost\tmajority\tminority\tno partition\twidth majority "
                          "(ms)\twidth minority (ms)\twidth no partition (ms)\tlast lost ack "
                          "majority (ms)\tlast lost ack minority (ms)\tlast lost ack no "
                          "partition (ms)\treplay\trun report");
    for (guint k = 0; k < order->len; k++) {
        const ReportRun *r = &g_array_index(s->runs, ReportRun, g_array_index(order, guint, k));
        char b[10][G_ASCII_DTOSTR_BUF_SIZE];
        g_autofree char *replay = r->replay != NULL ? g_strdup_printf("`%s`", r->replay) : NULL;
        g_autofree char *kept = report_tables_kept_run(r);
        g_autofree char *html = g_build_filename(s->dir, kept, "report.html", NULL);
        g_autofree char *link = g_file_test(html, G_FILE_TEST_EXISTS)
                                    ? g_strdup_printf("[report](%s/report.html)", kept)
                                    : g_strdup(DASH);
        g_autoptr(GString) row = g_string_new(NULL);
        g_string_append_printf(row, "%" G_GINT64_FORMAT "\t%s\t%s", r->seed, r->point,
                               num_text(r->lost, b[0], sizeof b[0]));
        const double *cols[] = {r->lost_side, r->window_ms, r->window_last_ms};
        for (gsize c = 0; c < G_N_ELEMENTS(cols); c++)
            for (int side = 0; side < REPORT_N_SIDES; side++)
                g_string_append_printf(row, "\t%s",
                                       num_text(cols[c][side], b[1 + c * 3 + side], sizeof b[0]));
        report_doc_row(doc, "%s\t%s\t%s", row->str, replay != NULL ? replay : DASH, link);
    }
}

static void sweep_errors(ReportDoc *doc, const ReportSweep *s)
{
    const guint shown = 20;
    guint n = 0;
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
        if (!isnan(r->lost) && r->error == NULL)
            continue;
        if (n == 0) {
            report_doc_heading(doc, "Runs that did not complete");
            report_doc_table(doc, "seed\tpoint\terror\treplay");
        }
        if (n++ >= shown)
            continue;
        g_autofree char *replay = r->replay != NULL ? g_strdup_printf("`%s`", r->replay) : NULL;
        report_doc_row(doc, "%" G_GINT64_FORMAT "\t%s\t%s\t%s", r->seed, r->point,
                       r->error != NULL ? r->error : "(no result)", replay != NULL ? replay : DASH);
    }
    if (n > shown)
        report_doc_para(doc, "The first %u of %u.", shown, n);
}

/* The node-timeout of a point when it is a varied parameter, else NAN. */
static double point_node_timeout(const ReportSweep *s, const char *point)
{
    for (guint k = 0; k < s->vary_names->len; k++) {
        if (strcmp(g_ptr_array_index(s->vary_names, k), "node-timeout") != 0)
            continue;
        for (guint i = 0; i < s->runs->len; i++) {
            const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
            if (strcmp(r->point, point) == 0)
                return r->vary[k];
        }
    }
    return NAN;
}

static void sweep_windows(ReportDoc *doc, const ReportSweep *s, double *v)
{
    report_doc_heading(doc, "Loss window per point and side (ms)");
    report_doc_table(doc, "point\tside\truns that lost writes there\tlast lost ack: min\tmedian\t"
                          "p90\tmax\tmedian ÷ node-timeout\twidth: median\tp90\tmax");
    for (guint p = 0; p < s->points->len; p++) {
        const char *point = g_ptr_array_index(s->points, p);
        double nt = point_node_timeout(s, point);
        for (int side = 0; side < REPORT_N_SIDES; side++) {
            if (side == REPORT_SIDE_NONE && !s->has_none)
                continue; /* an older sweep: no such columns */
            gsize at = (gsize)side * sizeof(double);
            ReportStats width =
                point_stats(s, point, G_STRUCT_OFFSET(ReportRun, window_ms) + at, v);
            ReportStats last =
                point_stats(s, point, G_STRUCT_OFFSET(ReportRun, window_last_ms) + at, v);
            char b[8][G_ASCII_DTOSTR_BUF_SIZE];
            /* the node-timeout bound is on partition sides; none has no such bound */
            double ratio = nt > 0 && side != REPORT_SIDE_NONE ? last.median / nt : NAN;
            report_doc_row(
                doc, "%s\t%s\t%u\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", point,
                report_side_name((ReportSide)side), width.count,
                num_text(last.min, b[0], sizeof b[0]), num_text(last.median, b[1], sizeof b[1]),
                num_text(last.p90, b[2], sizeof b[2]), num_text(last.max, b[3], sizeof b[3]),
                isnan(ratio) ? DASH : g_ascii_formatd(b[4], sizeof b[4], "%.2f", ratio),
                num_text(width.median, b[5], sizeof b[5]), num_text(width.p90, b[6], sizeof b[6]),
                num_text(width.max, b[7], sizeof b[7]));
        }
    }
    report_doc_para(doc, "Over the runs that lost writes on that side. The last lost ack "
                         "(`window_*_last_ms`) is the ack time of the last lost write, measured "
                         "from the start of the fault that caused it: the Redis spec bounds it "
                         "by node-timeout on the minority side (ratio 1), and the ping schedule "
                         "lets it reach about 1.5 (derived). The width (`window_*_ms`) is last "
                         "minus first; it is not what the bound applies to. Side none: writes "
                         "acked while no partition was in force (after the heal, by a master "
                         "that had not yet learned of its replica's promotion), measured from "
                         "the start of the latest fault before the ack; no node-timeout bound "
                         "applies to them. Quantiles are "
                         "nearest-rank (the value of rank ⌈q·n⌉), as in `aggregates.csv`.");
    if (!s->has_window_last)
        report_doc_para(doc, "These rows carry no `window_*_last_ms` (a sweep by an older rcsim): "
                             "the last lost ack, and so the bound, cannot be read from them.");
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

/* A median per point of one side's unavailable time, with the point's node-timeout. */
typedef struct {
    double nt_ms;
    double median_ms;
} NtMedian;

static int compare_nt(const void *a, const void *b)
{
    double x = ((const NtMedian *)a)->nt_ms, y = ((const NtMedian *)b)->nt_ms;
    return (x > y) - (x < y);
}

/* What the medians of one side's unavailable time do as node-timeout grows, in words: flat
 * (all within 10 % of the largest), growing or falling from the smallest node-timeout to the
 * largest. FALSE when fewer than two points have a median. */
static gboolean describe_trend(GString *out, const ReportSweep *s, int side, double *v,
                               gboolean *is_flat)
{
    g_autofree NtMedian *m = g_new(NtMedian, MAX(1, s->points->len));
    guint n = 0;
    for (guint p = 0; p < s->points->len; p++) {
        const char *point = g_ptr_array_index(s->points, p);
        double nt = point_node_timeout(s, point);
        gsize at = G_STRUCT_OFFSET(ReportRun, unavailable_ms) + (gsize)side * sizeof(double);
        ReportStats st = point_stats(s, point, at, v);
        if (!isnan(nt) && !isnan(st.median))
            m[n++] = (NtMedian){nt, st.median};
    }
    if (n < 2)
        return FALSE;
    qsort(m, n, sizeof *m, compare_nt);
    double lo = m[0].median_ms, hi = m[0].median_ms;
    for (guint i = 1; i < n; i++) {
        lo = MIN(lo, m[i].median_ms);
        hi = MAX(hi, m[i].median_ms);
    }
    *is_flat = hi - lo <= 0.1 * hi;
    char t[4][G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(t[0], sizeof t[0], "%g", m[0].nt_ms);
    g_ascii_formatd(t[1], sizeof t[1], "%g", m[n - 1].nt_ms);
    if (*is_flat) {
        g_ascii_formatd(t[2], sizeof t[2], "%.1f", lo / 1000.0);
        g_ascii_formatd(t[3], sizeof t[3], "%.1f", hi / 1000.0);
        gboolean is_same = strcmp(t[2], t[3]) == 0;
        g_string_append_printf(out, "is flat, %s%s%s s at every node-timeout from %s to %s ms",
                               t[2], is_same ? "" : " to ", is_same ? "" : t[3], t[0], t[1]);
        return TRUE;
    }
    if (fabs(m[n - 1].median_ms - m[0].median_ms) <= 0.1 * hi) {
        g_ascii_formatd(t[2], sizeof t[2], "%.1f", lo / 1000.0);
        g_ascii_formatd(t[3], sizeof t[3], "%.1f", hi / 1000.0);
        g_string_append_printf(out,
                               "goes up and down between %s s and %s s from node-timeout %s "
                               "to %s ms",
                               t[2], t[3], t[0], t[1]);
        return TRUE;
    }
    g_ascii_formatd(t[2], sizeof t[2], "%.1f", m[0].median_ms / 1000.0);
    g_ascii_formatd(t[3], sizeof t[3], "%.1f", m[n - 1].median_ms / 1000.0);
    g_string_append_printf(out, "%s from %s s at node-timeout %s ms to %s s at %s ms",
                           m[n - 1].median_ms >= m[0].median_ms ? "grows" : "falls", t[2], t[0],
                           t[3], t[1]);
    return TRUE;
}

/* The unavailability plot's note, from this sweep's numbers: what each side's median does as
 * node-timeout grows. NULL when node-timeout does not vary. */
static char *unavailability_measured(const ReportSweep *s, double *v)
{
    g_autoptr(GString) out = g_string_new(NULL);
    static const char *const who[2] = {"the majority side's", "the minority side's"};
    for (int side = 1; side >= 0; side--) {
        g_autoptr(GString) trend = g_string_new(NULL);
        gboolean is_flat = FALSE;
        if (!describe_trend(trend, s, side, v, &is_flat))
            continue;
        g_string_append_printf(out, "%s%s median unavailable time %s",
                               out->len > 0 ? "; " : "Measured in this sweep: ", who[side],
                               trend->str);
        if (side == REPORT_SIDE_MINORITY && is_flat)
            g_string_append(out, ": a larger node-timeout did not shorten it");
    }
    if (out->len == 0)
        return NULL;
    g_string_append_c(out, '.');
    return g_string_free(g_steal_pointer(&out), FALSE);
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
    sweep_totals(doc, s);
    sweep_windows(doc, s, scratch);
    sweep_availability(doc, s, scratch);
    sweep_worst(doc, s);
    sweep_errors(doc, s);
    report_doc_heading(doc, "Plots");
    for (guint i = 0; i < plot_names->len; i++) {
        const char *name = g_ptr_array_index(plot_names, i);
        const PlotText *t = plot_text(name);
        report_doc_plot(doc, name, t->caption);
        g_autofree char *measured =
            strcmp(name, "unavailability") == 0 ? unavailability_measured(s, scratch) : NULL;
        report_doc_para(doc, "How to read it: %s%s%s", t->reading, measured != NULL ? " " : "",
                        measured != NULL ? measured : "");
    }
    return doc;
}
