/* The plots of one run: the timeline (acked and lost writes per side), availability per
 * side, and the failover-time CDF. Faults are shaded as translucent bands (Jepsen's
 * convention) and PFAIL / FAIL / election / promotion drawn as vertical lines, on both time
 * plots, from the same data files (run_faults.dat, run_marks.dat, run_events.dat). */
#include <math.h>
#include <string.h>

#include "reports/plot.h"

static const char *const side_rgb[REPORT_N_SIDES] = {REPORT_RGB_MAJORITY, REPORT_RGB_MINORITY,
                                                     REPORT_RGB_NONE};
static const char *const side_title[REPORT_N_SIDES] = {"majority side", "minority side",
                                                       "no partition (side none)"};
static const char *const lost_rgb[REPORT_N_SIDES] = {"#8c1b1b", REPORT_RGB_LOST, "#8e44ad"};

/* Fault kinds get their own shade; unknown kinds share the last. */
static const struct {
    const char *kind;
    const char *rgb;
} fault_shades[] = {
    {"partition", "#9a9a9a"}, {"crash", "#b9875a"},   {"pause", "#e8cf7a"}, {"skew", "#9cc3e6"},
    {"failover", "#b5d99c"},  {"reshard", "#c9b3e0"}, {NULL, "#bbbbbb"},
};

static guint shade_of(const char *kind)
{
    guint i = 0;
    while (fault_shades[i].kind != NULL && strcmp(fault_shades[i].kind, kind) != 0)
        i++;
    return i;
}

/* Failover moments, drawn as vertical lines. */
typedef enum { MARK_PFAIL, MARK_FAIL, MARK_ELECTION, MARK_PROMOTED, N_MARKS } MarkKind;
static const struct {
    const char *title;
    const char *rgb;
    const char *dash;
} marks[N_MARKS] = {
    {"PFAIL: a node suspects the master", "#9467bd", "dt 3"},
    {"FAIL: the majority agrees", "#d62728", "dt 2"},
    {"replica starts its election", "#8c564b", "dt 4"},
    {"replica promoted", "#2ca02c", "dt 1"},
};

typedef struct {
    const ReportSummary *summary;
    gint64 span_ms;
    GString *settings;       /* shared settings of the time plots */
    GString *layers;         /* plot clauses for bands and marks, placed before the data */
    GString *labels;         /* plot clauses for the band and mark labels, placed after */
    GString *events;         /* the node_events ticks (titled), placed after */
    GString *expected;       /* the bracket where the minority should stop (titled) */
    GString *expected_label; /* its text */
} TimeDecor;

static void write_bands(TimeDecor *d, GString *dat)
{
    const ReportSummary *s = d->summary;
    guint block = 0;
    g_string_append(dat, "# faults, one block per kind: start_s end_s \"label\"\n");
    for (guint shade = 0; shade < G_N_ELEMENTS(fault_shades); shade++) {
        const char *kind = NULL;
        for (guint i = 0; i < s->faults->len; i++) {
            const ReportFault *f = &g_array_index(s->faults, ReportFault, i);
            if (shade_of(f->kind) != shade)
                continue;
            if (kind == NULL)
                g_string_append_printf(dat, "%s# kind %s\n", block > 0 ? "\n\n" : "", f->kind);
            kind = shade == G_N_ELEMENTS(fault_shades) - 1 ? "other fault" : f->kind;
            gint64 end = f->end_ms != REPORT_NONE ? f->end_ms : d->span_ms;
            /* an instant (a failover, a reshard step) still gets a visible sliver */
            end = MAX(end, f->start_ms + d->span_ms / 250);
            g_autofree char *a = report_gp_seconds(f->start_ms);
            g_autofree char *b = report_gp_seconds(end);
            g_autofree char *label =
                g_strdup_printf("%s%s", f->label[0] != '\0' ? f->label : f->kind,
                                f->end_ms == REPORT_NONE ? " (never healed)" : "");
            g_autofree char *q = report_gp_quote(label);
            g_string_append_printf(dat, "%s %s %s\n", a, b, q);
        }
        if (kind == NULL)
            continue;
        g_string_append_printf(d->layers,
                               "  \"run_faults.dat\" index %u using (($1+$2)/2):(0.5):(($2-$1)/2)"
                               ":(0.5) axes x1y2 with boxxyerror fs transparent solid 0.28 "
                               "noborder fc rgb \"%s\" title \"%s (shaded)\", \\\n",
                               block, fault_shades[shade].rgb, kind);
        if (s->faults->len <= 6) /* more labels than that would overlap; the legend remains */
            g_string_append_printf(
                d->labels,
                ", \\\n  \"run_faults.dat\" index %u using 1:(0.985):3 axes x1y2 "
                "with labels left offset char 0.4,0 font \",9\" "
                "tc rgb \"#444444\" notitle",
                block);
        block++;
    }
}

/* Which failover moments get a text label: PFAIL, FAIL, promotion, then election, each only
 * if no labelled moment is closer than ~0.9 % of the time axis (else the texts overlap). */
static gboolean *choose_labels(const TimeDecor *d)
{
    const ReportSummary *s = d->summary;
    static const int priority[N_MARKS] = {MARK_PFAIL, MARK_FAIL, MARK_PROMOTED, MARK_ELECTION};
    gboolean *is_labelled = g_new0(gboolean, (gsize)MAX(1, s->failovers->len) * N_MARKS);
    g_autoptr(GArray) taken = g_array_new(FALSE, FALSE, sizeof(gint64));
    gint64 gap = MAX(1, d->span_ms * 9 / 1000);
    for (int k = 0; k < N_MARKS; k++) {
        int m = priority[k];
        for (guint i = 0; i < s->failovers->len; i++) {
            const ReportFailover *f = &g_array_index(s->failovers, ReportFailover, i);
            const gint64 at[N_MARKS] = {f->pfail_ms, f->fail_ms, f->election_ms, f->promoted_ms};
            if (at[m] == REPORT_NONE)
                continue;
            gboolean is_clear = TRUE;
            for (guint j = 0; j < taken->len && is_clear; j++)
                is_clear = ABS(g_array_index(taken, gint64, j) - at[m]) >= gap;
            if (!is_clear)
                continue;
            is_labelled[i * N_MARKS + m] = TRUE;
            g_array_append_val(taken, at[m]);
        }
    }
    return is_labelled;
}

static void write_marks(TimeDecor *d, GString *dat)
{
    const ReportSummary *s = d->summary;
    g_autofree gboolean *is_labelled = choose_labels(d);
    guint block = 0;
    g_string_append(dat, "# failover moments, one block per kind: t_s \"label\"\n");
    for (int m = 0; m < N_MARKS; m++) {
        gboolean any = FALSE;
        for (guint i = 0; i < s->failovers->len; i++) {
            const ReportFailover *f = &g_array_index(s->failovers, ReportFailover, i);
            const gint64 at[N_MARKS] = {f->pfail_ms, f->fail_ms, f->election_ms, f->promoted_ms};
            if (at[m] == REPORT_NONE)
                continue;
            if (!any)
                g_string_append_printf(dat, "%s# %s\n", block > 0 ? "\n\n" : "", marks[m].title);
            any = TRUE;
            const char *promoted = f->promoted_node != NULL ? f->promoted_node : "replica";
            g_autofree char *label =
                !is_labelled[i * N_MARKS + m] ? g_strdup("")
                : m == MARK_PFAIL             ? g_strdup_printf("PFAIL %s ", f->failed_node)
                : m == MARK_FAIL              ? g_strdup_printf("FAIL %s ", f->failed_node)
                : m == MARK_ELECTION          ? g_strdup_printf("%s election ", promoted)
                                              : g_strdup_printf("%s promoted ", promoted);
            g_autofree char *t = report_gp_seconds(at[m]);
            g_autofree char *q = report_gp_quote(label);
            g_string_append_printf(dat, "%s %s\n", t, q);
        }
        if (!any)
            continue;
        g_string_append_printf(d->layers,
                               "  \"run_marks.dat\" index %u using 1:(0):(0):(1) axes x1y2 with "
                               "vectors nohead lw 1.6 %s lc rgb \"%s\" title \"%s\", \\\n",
                               block, marks[m].dash, marks[m].rgb, marks[m].title);
        if (s->failovers->len <= 3) /* more labels than that would overlap */
            g_string_append_printf(d->labels,
                                   ", \\\n  \"run_marks.dat\" index %u using 1:(0.95):2 axes x1y2 "
                                   "with labels rotate by 90 right offset char -0.9,0 font \",9\" "
                                   "tc rgb \"%s\" notitle",
                                   block, marks[m].rgb);
        block++;
    }
}

/* node_events as small ticks along the bottom edge: who suspected whom, and when. */
static void write_events(TimeDecor *d, GString *dat)
{
    const ReportSummary *s = d->summary;
    guint n = 0;
    g_string_append(dat, "# node events (PFAIL/FAIL/promotion as nodes saw them): t_s\n");
    for (guint i = 0; i < s->node_events->len; i++) {
        const ReportNodeEvent *e = &g_array_index(s->node_events, ReportNodeEvent, i);
        /* core's names (rc_event_kind_name): pfail, fail, promoted; not the -cleared ones */
        if (strcmp(e->event, "pfail") != 0 && strcmp(e->event, "fail") != 0 &&
            strcmp(e->event, "promoted") != 0)
            continue;
        g_autofree char *t = report_gp_seconds(e->t_ms);
        g_string_append_printf(dat, "%s\n", t);
        n++;
    }
    if (n == 0)
        return;
    g_string_append_printf(d->events,
                           ", \\\n  \"run_events.dat\" using 1:(0.02) axes x1y2 with points pt 9 "
                           "ps 1.1 lc rgb \"#555555\" title \"node_events: PFAIL, FAIL, "
                           "promotion%s\"",
                           s->is_node_events_truncated ? ", truncated" : "");
}

/* Where theory says a cut-off minority master stops accepting writes: between partition
 * start + NT (the spec) and about + 1.5 NT (derived from the ping schedule), drawn as a
 * bracket for each partition. */
static void write_expected(TimeDecor *d, GString *dat)
{
    const ReportSummary *s = d->summary;
    gint64 nt = report_summary_param_int(s, "node-timeout");
    guint n = 0;
    g_string_append(dat, "# expected end of minority writes per partition: center_s "
                         "half_width_s \"label\" (partition start + NT ... + 1.5 NT)\n");
    for (guint i = 0; nt != REPORT_NONE && nt > 0 && i < s->faults->len; i++) {
        const ReportFault *f = &g_array_index(s->faults, ReportFault, i);
        if (strcmp(f->kind, "partition") != 0 || f->minority[0] == '\0')
            continue;
        if (f->end_ms != REPORT_NONE && f->end_ms <= f->start_ms + nt)
            continue; /* healed before the minority could notice: theory says no stop */
        g_autofree char *c = report_gp_seconds(f->start_ms + nt + nt / 4);
        g_autofree char *w = report_gp_seconds(nt / 4);
        g_string_append_printf(dat, "%s %s \"minority stops writes: NT … ≈1.5·NT\"\n", c, w);
        n++;
    }
    if (n == 0)
        return;
    g_string_append(d->expected,
                    ", \\\n  \"run_expected.dat\" using 1:(0.72):2 axes x1y2 with xerrorbars "
                    "lw 2 ps 0 lc rgb \"#222222\" title \"minority stop expected: +NT (spec) to "
                    "~+1.5NT (derived)\"");
    g_string_append(d->expected_label,
                    ", \\\n  \"run_expected.dat\" every ::0::0 using 1:(0.72):3 axes x1y2 with "
                    "labels offset char 0,0.9 font \",9\" tc rgb \"#222222\" notitle");
}

static gboolean write_decor(ReportPlots *plots, TimeDecor *d, GError **error)
{
    g_autoptr(GString) faults = g_string_new(NULL);
    g_autoptr(GString) mk = g_string_new(NULL);
    g_autoptr(GString) ev = g_string_new(NULL);
    g_autoptr(GString) ex = g_string_new(NULL);
    write_bands(d, faults);
    write_marks(d, mk);
    write_events(d, ev);
    write_expected(d, ex);
    return report_plots_write_data(plots, "run_faults.dat", faults->str, error) &&
           report_plots_write_data(plots, "run_marks.dat", mk->str, error) &&
           report_plots_write_data(plots, "run_events.dat", ev->str, error) &&
           report_plots_write_data(plots, "run_expected.dat", ex->str, error);
}

/* The legend goes below the plot in two columns; leave room for its rows. */
static void key_layout(GString *set, const char *cmd)
{
    guint entries = 0;
    for (const char *p = cmd; (p = strstr(p, " title ")) != NULL; p++)
        entries++;
    guint rows = MAX(1, (entries + 1) / 2);
    g_string_append_printf(set, "set key maxrows %u\nset bmargin %u\n", rows, rows + 5);
}

/* The buckets up to the end of the time axis: the data files stop there too, so no line
 * steps down into the read-back after the workload stopped. */
static guint plotted_buckets(const TimeDecor *d, const ReportHistory *h)
{
    gint64 n = (d->span_ms + h->bucket_ms - 1) / h->bucket_ms;
    return (guint)CLAMP(n, 1, (gint64)h->n_buckets);
}

static double per_second(guint32 count, gint64 bucket_ms)
{
    return (double)count * 1000.0 / (double)bucket_ms;
}

static void fmt(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (isnan(v))
        g_string_append(out, " NaN");
    else
        g_string_append_printf(out, " %s", g_ascii_formatd(buf, sizeof buf, "%.4g", v));
}

/* The decor clauses that follow the data, as on the availability plot: texts, node_events
 * ticks, the expected-stop bracket and its text. */
static void append_decor_after(GString *cmd, const TimeDecor *d)
{
    g_string_append(cmd, d->labels->str);
    g_string_append(cmd, d->events->str);
    g_string_append(cmd, d->expected->str);
    g_string_append(cmd, d->expected_label->str);
}

/* A tic step of 1, 2 or 5 times a power of ten giving about four tics up to `max`. */
static gint64 count_tic_step(gint64 max)
{
    static const gint64 steps[] = {1, 2, 5};
    for (gint64 scale = 1;; scale *= 10)
        for (gsize k = 0; k < G_N_ELEMENTS(steps); k++)
            if (max / (steps[k] * scale) <= 4)
                return steps[k] * scale;
}

static const char *const lost_where[REPORT_N_SIDES] = {"on the majority side",
                                                       "on the minority side", "with no partition"};
static const int lost_pt[REPORT_N_SIDES] = {5, 7, 9}; /* square, circle, triangle */

/* The timeline in two panels sharing the time axis: acked writes per second above, and below,
 * on its own scale, the lost writes per bucket (boxes, each non-empty bucket topped by a large
 * marker), so that a handful of lost writes stays visible beside thousands of acked ones.
 * The bottom panel carries the legend for both. Heights are in pixels of the 1200 x
 * TIMELINE_HEIGHT picture; a legend row is about 19.6 px (11 pt font, spacing 1.15). */
#define TIMELINE_HEIGHT 900

static gboolean plot_timeline(ReportPlots *plots, const TimeDecor *d, const ReportHistory *h,
                              GError **error)
{
    const ReportSummary *s = d->summary;
    guint n = plotted_buckets(d, h);
    g_autofree guint32 *lost = g_new0(guint32, (gsize)n * REPORT_N_SIDES);
    gint64 lost_total[REPORT_N_SIDES] = {0};
    guint32 lost_max = 0;
    for (guint i = 0; i < s->lost_writes->len; i++) {
        const ReportLostWrite *l = &g_array_index(s->lost_writes, ReportLostWrite, i);
        gint64 b = CLAMP(l->ack_ms / h->bucket_ms, 0, (gint64)n - 1);
        lost[b * REPORT_N_SIDES + l->side]++;
        lost_max = MAX(lost_max, lost[b * REPORT_N_SIDES + l->side]);
        lost_total[l->side]++;
    }
    g_autoptr(GString) dat = g_string_new(NULL);
    g_string_append_printf(dat,
                           "# rcsim timeline, %" G_GINT64_FORMAT " ms buckets. t_s is the bucket "
                           "start (s from run start); acked_* are writes per second, lost_* the "
                           "count of lost writes acked in the bucket.\n"
                           "# t_s acked_majority acked_minority acked_none lost_majority "
                           "lost_minority lost_none\n",
                           h->bucket_ms);
    double ymax = 1.0;
    for (guint b = 0; b <= n; b++) {
        guint k = MIN(b, n - 1); /* a last row at the end closes the last step */
        g_autofree char *t = report_gp_seconds((gint64)b * h->bucket_ms);
        g_string_append(dat, t);
        for (int side = 0; side < REPORT_N_SIDES; side++) {
            /* NaN where the side completed nothing: it did not exist then */
            gboolean exists =
                h->served[side][k] > 0 || h->completions[side][k] > 0 || h->waiting[side][k];
            double v = exists ? per_second(h->acked[side][k], h->bucket_ms) : NAN;
            if (!isnan(v))
                ymax = MAX(ymax, v);
            fmt(dat, v);
        }
        for (int side = 0; side < REPORT_N_SIDES; side++)
            g_string_append_printf(dat, " %u", b < n ? lost[k * REPORT_N_SIDES + side] : 0);
        g_string_append_c(dat, '\n');
    }
    if (!report_plots_write_data(plots, "timeline.dat", dat->str, error))
        return FALSE;

    g_autofree char *bw = report_gp_seconds(h->bucket_ms);
    char buf[G_ASCII_DTOSTR_BUF_SIZE], lo[G_ASCII_DTOSTR_BUF_SIZE];

    /* top panel: acked writes per side; no legend of its own, no tic labels on x */
    g_autoptr(GString) top = g_string_new("plot \\\n");
    g_string_append(top, d->layers->str);
    gboolean first = TRUE;
    for (int side = 0; side < REPORT_N_SIDES; side++) {
        if (h->acked_total[side] == 0)
            continue;
        g_string_append_printf(top,
                               "%s  \"timeline.dat\" using 1:%d with steps lw 2 lc rgb \"%s\" "
                               "title \"acked, %s (%" G_GINT64_FORMAT ")\"",
                               first ? "" : ", \\\n", 2 + side, side_rgb[side], side_title[side],
                               h->acked_total[side]);
        /* steps skip a bucket whose successor is NaN: draw every bucket's level too */
        g_string_append_printf(top,
                               ", \\\n  \"timeline.dat\" using 1:%d:(%s):(0) with vectors nohead "
                               "lw 2 lc rgb \"%s\" notitle",
                               2 + side, bw, side_rgb[side]);
        first = FALSE;
    }
    if (first)
        g_string_append(top, "  NaN title \"no acknowledged writes\"");
    append_decor_after(top, d);

    /* bottom panel: lost writes on their own scale, drawn over the bands and marks, then the
     * legend entries of the top panel's lines (NaN: drawn nowhere, listed in the legend) */
    g_autoptr(GString) bottom = g_string_new("plot \\\n");
    g_string_append(bottom, d->layers->str);
    first = TRUE;
    for (int side = 0; side < REPORT_N_SIDES; side++) {
        if (lost_total[side] == 0)
            continue;
        g_string_append_printf(bottom,
                               "%s  \"timeline.dat\" using ($1+%s/2):(column(%d) > 0 ? column(%d) "
                               ": NaN):(%s) with boxes fs solid 0.85 border lc rgb \"%s\" "
                               "lc rgb \"%s\" notitle, \\\n"
                               "  \"timeline.dat\" using ($1+%s/2):(column(%d) > 0 ? column(%d) "
                               ": NaN) with points pt %d ps 1.7 lc rgb \"%s\" title \"lost: "
                               "acked %s, then lost (%" G_GINT64_FORMAT ")\"",
                               first ? "" : ", \\\n", bw, 5 + side, 5 + side, bw, lost_rgb[side],
                               lost_rgb[side], bw, 5 + side, 5 + side, lost_pt[side],
                               lost_rgb[side], lost_where[side], lost_total[side]);
        first = FALSE;
    }
    if (first)
        g_string_append(bottom, "  NaN notitle"); /* the panel says so in words */
    for (int side = 0; side < REPORT_N_SIDES; side++)
        if (h->acked_total[side] > 0)
            g_string_append_printf(bottom,
                                   ", \\\n  NaN with steps lw 2 lc rgb \"%s\" title \"acked, %s "
                                   "(%" G_GINT64_FORMAT ")\"",
                                   side_rgb[side], side_title[side], h->acked_total[side]);
    g_string_append(bottom, d->events->str);
    g_string_append(bottom, d->expected->str);

    /* the legend below the bottom panel, in two columns */
    guint entries = 0;
    for (const char *p = bottom->str; (p = strstr(p, " title ")) != NULL; p++)
        entries++;
    guint rows = MAX(1, (entries + 1) / 2);
    double key_top = ((double)rows * 19.6 + 16.0) / TIMELINE_HEIGHT;
    double lost_bottom = key_top + 60.0 / TIMELINE_HEIGHT; /* x tics and the xlabel */
    double lost_top = lost_bottom + 0.17, acked_bottom = lost_top + 0.02;
    gint64 lost_step = count_tic_step(MAX(1, lost_max));

    g_autoptr(GString) set = g_string_new(NULL);
    g_string_append_printf(
        set, "set ylabel \"acked writes per second (writes/s, %" G_GINT64_FORMAT " ms buckets)\"\n",
        h->bucket_ms);
    g_string_append(set, d->settings->str);
    g_string_append(set, "set lmargin 12\nset rmargin 4\n");

    g_autoptr(GString) cmd = g_string_new(NULL);
    g_string_append_printf(
        cmd,
        "set multiplot\n"
        "# top panel: acked writes per side\n"
        "set title \"Acknowledged and lost writes per side: %s, seed %" G_GINT64_FORMAT
        "\" font \",13\"\n"
        "set ylabel \"acked writes per second (writes/s, %" G_GINT64_FORMAT " ms buckets)\" tc "
        "default\n"
        "unset label 1\nunset xlabel\nset format x \"\"\nunset key\n"
        "set tmargin at screen 0.94\nset bmargin at screen %s\n",
        s->scenario_name != NULL ? s->scenario_name : s->scenario, s->seed, h->bucket_ms,
        g_ascii_formatd(buf, sizeof buf, "%.4f", acked_bottom));
    /* a little room below 0, so a side stuck at 0 stays visible above the axis */
    g_string_append_printf(cmd, "set yrange [%s:%s]\nset ytics auto\n",
                           g_ascii_formatd(lo, sizeof lo, "%.4g", -ymax * 0.03),
                           g_ascii_formatd(buf, sizeof buf, "%.4g", ymax * 1.5));
    g_string_append(cmd, top->str);
    g_string_append_printf(cmd,
                           "\n# bottom panel: lost writes, on their own scale; the legend\n"
                           "unset title\n"
                           "set ylabel \"lost writes per %" G_GINT64_FORMAT " ms bucket\\n"
                           "by ack time (writes)\" tc rgb \"" REPORT_RGB_LOST "\"\n"
                           "set xlabel \"time since run start (s)\"\nset format x \"%% h\"\n"
                           "set key at screen 0.5, screen %s center top vertical maxrows %u "
                           "\n",
                           h->bucket_ms, g_ascii_formatd(lo, sizeof lo, "%.4f", key_top), rows);
    g_string_append_printf(cmd, "set tmargin at screen %s\n",
                           g_ascii_formatd(buf, sizeof buf, "%.4f", lost_top));
    g_string_append_printf(cmd, "set bmargin at screen %s\n",
                           g_ascii_formatd(buf, sizeof buf, "%.4f", lost_bottom));
    g_string_append_printf(cmd, "set yrange [0:%s]\nset ytics 0,%" G_GINT64_FORMAT "\n",
                           g_ascii_formatd(buf, sizeof buf, "%.4g", MAX(1, lost_max) * 1.3),
                           lost_step);
    if (lost_total[0] + lost_total[1] + lost_total[2] == 0)
        g_string_append(cmd, "set label 1 \"no acknowledged write was lost\" at graph 0.5, "
                             "graph 0.5 center font \",11\" tc rgb \"#444444\"\n");
    g_string_append(cmd, bottom->str);
    g_string_append(cmd, "\nunset multiplot");
    return report_plots_write_script(plots, "timeline", "acknowledged and lost writes over time",
                                     TIMELINE_HEIGHT, set->str, cmd->str, error);
}

static gboolean plot_availability(ReportPlots *plots, const TimeDecor *d, const ReportHistory *h,
                                  GError **error)
{
    const ReportSummary *s = d->summary;
    guint n = plotted_buckets(d, h);
    g_autoptr(GString) dat = g_string_new(NULL);
    g_string_append_printf(dat,
                           "# rcsim availability, %" G_GINT64_FORMAT " ms buckets, by the side "
                           "of the client: ok completions / all completions (ok, fail, info) "
                           "in %%; 0 when nothing completed while its clients waited; NaN when "
                           "the side had no operation at all.\n"
                           "# t_s pct_majority pct_minority pct_none completions_majority "
                           "completions_minority completions_none\n",
                           h->bucket_ms);
    for (guint b = 0; b <= n; b++) {
        guint k = MIN(b, n - 1);
        g_autofree char *t = report_gp_seconds((gint64)b * h->bucket_ms);
        g_string_append(dat, t);
        for (int side = 0; side < REPORT_N_SIDES; side++) {
            guint32 all = h->completions[side][k];
            fmt(dat, all > 0               ? 100.0 * h->ok[side][k] / all
                     : h->waiting[side][k] ? 0.0 /* its clients waited in vain */
                                           : NAN);
        }
        for (int side = 0; side < REPORT_N_SIDES; side++)
            g_string_append_printf(dat, " %u", h->completions[side][k]);
        g_string_append_c(dat, '\n');
    }
    if (!report_plots_write_data(plots, "availability.dat", dat->str, error))
        return FALSE;
    g_autoptr(GString) set = g_string_new(NULL);
    g_string_append_printf(
        set,
        "set title \"Availability per side, as the share of operations that succeeded: %s, "
        "seed %" G_GINT64_FORMAT "\" font \",13\"\n"
        "set ylabel \"ok / completed operations (%%, %" G_GINT64_FORMAT " ms buckets)\"\n"
        "set yrange [-4:135]\nset ytics 0,20,100\n",
        s->scenario_name != NULL ? s->scenario_name : s->scenario, s->seed, h->bucket_ms);
    g_string_append(set, d->settings->str);
    g_autoptr(GString) cmd = g_string_new("plot \\\n");
    g_string_append(cmd, d->layers->str);
    g_autofree char *bw = report_gp_seconds(h->bucket_ms);
    gboolean first = TRUE;
    for (int side = 0; side < REPORT_N_SIDES; side++) {
        if (h->completions_total[side] == 0)
            continue;
        gint64 down = side < 2 ? s->unavailable_ms[side] : REPORT_NONE;
        g_autofree char *extra =
            down != REPORT_NONE ? g_strdup_printf(", unavailable %" G_GINT64_FORMAT " ms", down)
                                : g_strdup("");
        g_string_append_printf(cmd,
                               "%s  \"availability.dat\" using 1:%d with steps lw 2 lc rgb \"%s\" "
                               "title \"%s%s\"",
                               first ? "" : ", \\\n", 2 + side, side_rgb[side], side_title[side],
                               extra);
        g_string_append_printf(cmd,
                               ", \\\n  \"availability.dat\" using 1:%d:(%s):(0) with vectors "
                               "nohead lw 2 lc rgb \"%s\" notitle",
                               2 + side, bw, side_rgb[side]);
        first = FALSE;
    }
    if (first)
        g_string_append(cmd, "  NaN title \"no completed operations\"");
    append_decor_after(cmd, d);
    key_layout(set, cmd->str);
    return report_plots_write_script(plots, "availability", "availability per side over time", 720,
                                     set->str, cmd->str, error);
}

static gboolean plot_failovers(ReportPlots *plots, const ReportSummary *s, GError **error)
{
    g_autoptr(GArray) v = g_array_new(FALSE, FALSE, sizeof(double));
    for (guint i = 0; i < s->failovers->len; i++) {
        const ReportFailover *f = &g_array_index(s->failovers, ReportFailover, i);
        double ms = f->fault_ms != REPORT_NONE && f->promoted_ms != REPORT_NONE
                        ? (double)(f->promoted_ms - f->fault_ms)
                        : NAN;
        g_array_append_val(v, ms);
    }
    if (v->len == 0)
        return TRUE;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    g_ptr_array_add(names, g_strdup("this run")); /* the title names the seed */
    g_ptr_array_add(values, g_array_ref(v));
    g_autofree char *title =
        g_strdup_printf("Failover time CDF: fault to replica promoted: %s, seed %" G_GINT64_FORMAT,
                        s->scenario_name != NULL ? s->scenario_name : s->scenario, s->seed);
    double nt = (double)report_summary_param_int(s, "node-timeout");
    if (nt < 0)
        nt = NAN;
    return report_plot_cdf(plots, title, "failovers", names, values, &nt, error);
}

/* The end of the time axis: the scenario's duration. Past it the workload has stopped and the
 * runner heals, converges and reads back, so fewer operations complete there, which would
 * look like an outage. A lost write acked later still shows: the axis then runs to the end
 * of its bucket. Without a duration, the whole run. */
static gint64 time_axis_end(const ReportSummary *s, const ReportHistory *h)
{
    gint64 span = s->sim_time_ms;
    if (h != NULL)
        span = MAX(span, (gint64)h->n_buckets * h->bucket_ms);
    gint64 end = report_summary_param_ms(s, "duration");
    if (end == REPORT_NONE || end <= 0 || end > span)
        return span;
    gint64 bucket = h != NULL ? h->bucket_ms : 1;
    for (guint i = 0; i < s->lost_writes->len; i++) {
        gint64 ack = g_array_index(s->lost_writes, ReportLostWrite, i).ack_ms;
        if (ack >= end)
            end = MAX(end, (ack / bucket + 1) * bucket);
    }
    return MIN(end, span);
}

gboolean report_plot_run(ReportPlots *plots, const ReportSummary *s, const ReportHistory *h,
                         GError **error)
{
    gint64 span = time_axis_end(s, h);
    TimeDecor d = {s,
                   span,
                   g_string_new(NULL),
                   g_string_new(NULL),
                   g_string_new(NULL),
                   g_string_new(NULL),
                   g_string_new(NULL),
                   g_string_new(NULL)};
    g_autofree char *xmax = report_gp_seconds(span);
    g_string_append_printf(d.settings,
                           "set xlabel \"time since run start (s)\"\n"
                           "set xrange [0:%s]\nset y2range [0:1]\nunset y2tics\n"
                           "set key outside below center horizontal\n",
                           xmax);
    gboolean ok = write_decor(plots, &d, error);
    if (ok && h != NULL)
        ok = plot_timeline(plots, &d, h, error) && plot_availability(plots, &d, h, error);
    if (ok)
        ok = plot_failovers(plots, s, error);
    g_string_free(d.settings, TRUE);
    g_string_free(d.layers, TRUE);
    g_string_free(d.labels, TRUE);
    g_string_free(d.events, TRUE);
    g_string_free(d.expected, TRUE);
    g_string_free(d.expected_label, TRUE);
    return ok;
}
