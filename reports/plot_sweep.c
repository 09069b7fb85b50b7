/* The plots of a sweep: the last lost write per side (its ack time from the fault's start)
 * against node-timeout (median, p90, min-max) beside the minority-side bound of the Redis
 * spec, the lost writes per run as a histogram per side, the failover-time CDF per point, and
 * the unavailable time per side. The loss plots have a third series, "no partition" (side
 * none: writes acked while no partition was in force, e.g. after the heal), when some run
 * lost such writes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/plot.h"

static const char *const side_rgb[REPORT_N_SIDES] = {REPORT_RGB_MAJORITY, REPORT_RGB_MINORITY,
                                                     REPORT_RGB_NONE};
/* how a side is named in a legend */
static const char *const side_title[REPORT_N_SIDES] = {"majority side", "minority side",
                                                       "no partition (side none)"};

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fmt(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (isnan(v))
        g_string_append(out, " NaN");
    else
        g_string_append_printf(out, " %s", g_ascii_formatd(buf, sizeof buf, "%.6g", v));
}

/* The parameter the loss window is drawn against: node-timeout when it varies, else the
 * first varied one whose values are all numbers; -1 when there is none. */
static gboolean is_numeric(const ReportSweep *s, guint param)
{
    for (guint i = 0; i < s->runs->len; i++)
        if (isnan(g_array_index(s->runs, ReportRun, i).vary[param]))
            return FALSE;
    return TRUE;
}

static gint x_parameter(const ReportSweep *s)
{
    for (guint i = 0; i < s->vary_names->len; i++)
        if (strcmp(g_ptr_array_index(s->vary_names, i), "node-timeout") == 0 && is_numeric(s, i))
            return (gint)i;
    for (guint i = 0; i < s->vary_names->len; i++)
        if (is_numeric(s, i))
            return (gint)i;
    return -1;
}

/* The x axis label of a varied parameter, with its unit: the scenario format's (a bare time is
 * milliseconds; see scenarios/README.md). */
static char *x_label(const char *name)
{
    static const struct {
        const char *name;
        const char *label;
    } known[] = {
        {"node-timeout", "cluster-node-timeout, NT (ms)"},
        {"wait-timeout", "WAIT timeout (ms)"},
        {"client-timeout", "client timeout per attempt (ms)"},
        {"client-backoff", "client backoff before a retry (ms)"},
        {"min-replicas-max-lag", "min-replicas-max-lag (s)"},
        {"repl-ping-replica-period", "repl-ping-replica-period (s)"},
        {"repl-timeout", "repl-timeout (s)"},
        {"repl-backlog-size", "repl-backlog-size (bytes)"},
        {"proto-max-bulk-len", "proto-max-bulk-len (bytes)"},
        {"client-query-buffer-limit", "client-query-buffer-limit (bytes)"},
        {"hz", "hz (Hz)"},
        {"rate", "arrivals per client host (ops/s)"},
        {"replica-validity-factor", "replica-validity-factor (× node-timeout)"},
        {"read-ratio", "read-ratio (fraction of operations)"},
    };
    static const char *const counts[] = {"masters",   "replicas",      "migration-barrier",
                                         "clients",   "concurrency",   "client-retries",
                                         "keys",      "wait-replicas", "min-replicas-to-write",
                                         "max-events"};
    for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
        if (strcmp(known[i].name, name) == 0)
            return g_strdup(known[i].label);
    for (gsize i = 0; i < G_N_ELEMENTS(counts); i++)
        if (strcmp(counts[i], name) == 0)
            return g_strdup_printf("%s (count)", name);
    return g_strdup_printf("%s (as set in the scenario)", name);
}

/* A per-side metric of the runs drawn against the x parameter. */
typedef struct {
    const char *name;      /* plot name */
    const char *about;     /* what it shows, for the script's first line */
    const char *title;     /* "Loss window per side" */
    const char *ylabel;    /* with units */
    const char *counted;   /* "runs lost writes": which runs have a value */
    gsize offset;          /* of a double[] in ReportRun indexed by ReportSide */
    int n_sides;           /* 3: majority, minority, none; 2: no none column */
    gboolean has_nt_bound; /* draw y = NT (spec) and y = 1.5 NT (derived) */
    const char *key;       /* where the legend goes */
    const char *empty;     /* said on the plot when no run has a value */
} SideMetric;

/* The spec's bound applies to the last lost write's ack time from the start of its fault
 * (window_*_last_ms), not to the window's width (last minus first). */
static const SideMetric loss_window_metric = {
    "loss_window",
    "last lost write against node-timeout",
    "Last lost write per side",
    "last lost write: its ack time after the fault began (ms)",
    "runs lost writes",
    G_STRUCT_OFFSET(ReportRun, window_last_ms),
    REPORT_N_SIDES,
    TRUE,
    "inside left top", /* above the 1.5 NT line: free */
    "no run lost an acknowledged write",
};

/* For sweeps whose rows predate window_*_last_ms: the width, with no bound beside it. */
static const SideMetric loss_width_metric = {
    "loss_window_width",
    "loss window width against node-timeout",
    "Loss window width per side",
    "loss window width: last minus first ack of a lost write (ms)",
    "runs lost writes",
    G_STRUCT_OFFSET(ReportRun, window_ms),
    REPORT_N_SIDES,
    FALSE,
    "inside left top",
    "no run lost an acknowledged write",
};

static const SideMetric unavailable_metric = {
    "unavailability",
    "unavailable time against node-timeout",
    "Unavailable time per side",
    "unavailable time: clients' failed or timed-out operations (ms)",
    "runs",
    G_STRUCT_OFFSET(ReportRun, unavailable_ms),
    2,
    FALSE,
    "outside below center horizontal\nset bmargin 8",
    "no run has an unavailable time",
};

/* The values of the varied parameters other than the x one: "replicas=2,partition-ms=9000",
 * or "" when only the x parameter varies. */
static char *group_label(const ReportSweep *s, const ReportRun *r, gint xp)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < s->vary_names->len; i++) {
        if ((gint)i == xp)
            continue;
        g_string_append_printf(out, "%s%s=%s", out->len > 0 ? "," : "",
                               (const char *)g_ptr_array_index(s->vary_names, i), r->vary_text[i]);
    }
    return g_string_free(out, FALSE);
}

static double side_value(const ReportRun *r, const SideMetric *m, int side)
{
    return ((const double *)(const void *)((const char *)r + m->offset))[side];
}

static gboolean plot_per_side(ReportPlots *plots, const ReportSweep *s, const SideMetric *m,
                              GError **error)
{
    gint xp = x_parameter(s);
    if (xp < 0)
        return TRUE;
    const char *xname = g_ptr_array_index(s->vary_names, xp);
    gboolean is_nt = strcmp(xname, "node-timeout") == 0 && m->has_nt_bound;
    /* distinct x values, ascending */
    g_autofree double *xs = g_new(double, MAX(1, s->runs->len));
    guint nx = 0;
    for (guint i = 0; i < s->runs->len; i++)
        xs[nx++] = g_array_index(s->runs, ReportRun, i).vary[xp];
    qsort(xs, nx, sizeof *xs, compare_doubles);
    guint distinct = 0;
    for (guint i = 0; i < nx; i++)
        if (distinct == 0 || xs[distinct - 1] != xs[i])
            xs[distinct++] = xs[i];
    /* When other parameters vary too, each combination of them is its own series. */
    g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func(g_free);
    g_autofree guint *group_of = g_new(guint, MAX(1, s->runs->len));
    for (guint i = 0; i < s->runs->len; i++) {
        g_autofree char *label = group_label(s, &g_array_index(s->runs, ReportRun, i), xp);
        guint g = 0;
        while (g < groups->len && strcmp(g_ptr_array_index(groups, g), label) != 0)
            g++;
        if (g == groups->len)
            g_ptr_array_add(groups, g_strdup(label));
        group_of[i] = g;
    }
    guint ngroups = groups->len;
    const int ns = m->n_sides;
    g_autoptr(GString) dat = g_string_new(NULL);
    g_string_append_printf(dat,
                           "# %s per side against %s (runs without a value are left out); one "
                           "block per combination of the other varied parameters\n# %s "
                           "n_majority min median p90 max n_minority min median p90 max%s\n",
                           m->ylabel, xname, xname, ns > 2 ? " n_none min median p90 max" : "");
    g_autofree double *vals = g_new(double, MAX(1, s->runs->len));
    g_autofree guint *n_side = g_new0(guint, (gsize)ngroups * ns);
    double ymax = 0.0;
    for (guint g = 0; g < ngroups; g++) {
        const char *group = g_ptr_array_index(groups, g);
        g_string_append_printf(dat, "%s# %s\n", g > 0 ? "\n\n" : "",
                               group[0] != '\0' ? group : "all runs");
        for (guint k = 0; k < distinct; k++) {
            char xb[G_ASCII_DTOSTR_BUF_SIZE];
            g_string_append(dat, g_ascii_formatd(xb, sizeof xb, "%.6g", xs[k]));
            for (int side = 0; side < ns; side++) {
                guint n = 0;
                for (guint i = 0; i < s->runs->len; i++) {
                    const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
                    if (r->vary[xp] == xs[k] && group_of[i] == g)
                        vals[n++] = side_value(r, m, side);
                }
                ReportStats st = report_stats(vals, n);
                n_side[g * ns + side] += st.count;
                g_string_append_printf(dat, " %u", st.count);
                fmt(dat, st.min);
                fmt(dat, st.median);
                fmt(dat, st.p90);
                fmt(dat, st.max);
                if (st.count > 0)
                    ymax = MAX(ymax, st.max);
            }
            g_string_append_c(dat, '\n');
        }
    }
    guint total = 0;
    for (guint i = 0; i < ngroups * (guint)ns; i++)
        total += n_side[i];
    if (total == 0 && !is_nt)
        return TRUE; /* nothing to draw: the tables say so */
    if (ymax <= 0)
        ymax = 1.0; /* all zero: keep a visible range */
    g_autofree char *dat_name = g_strdup_printf("%s.dat", m->name);
    if (!report_plots_write_data(plots, dat_name, dat->str, error))
        return FALSE;
    double xmax = xs[distinct - 1] * 1.12;
    double off = xs[distinct - 1] * 0.012;
    if (is_nt)
        ymax = MAX(ymax, 1.5 * xmax);
    g_autoptr(GString) set = g_string_new(NULL);
    g_autofree char *xlabel = x_label(xname);
    char b1[G_ASCII_DTOSTR_BUF_SIZE], b2[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf(set,
                           "set title \"%s against %s: %s, seeds %" G_GINT64_FORMAT
                           "..%" G_GINT64_FORMAT "\" font \",13\"\n"
                           "set xlabel \"%s\"\n"
                           "set ylabel \"%s\"\n"
                           "set xrange [0:%s]\nset yrange [0:%s]\n"
                           "set key %s\nset xtics (",
                           m->title, xname, s->scenario, s->seed_first, s->seed_last, xlabel,
                           m->ylabel, g_ascii_formatd(b1, sizeof b1, "%.6g", xmax),
                           g_ascii_formatd(b2, sizeof b2, "%.6g", ymax * 1.08), m->key);
    for (guint k = 0; k < distinct; k++)
        g_string_append_printf(set, "%s%s", k > 0 ? ", " : "",
                               g_ascii_formatd(b1, sizeof b1, "%.6g", xs[k]));
    g_string_append(set, ")\n");
    if (total == 0)
        g_string_append_printf(set,
                               "set label \"%s\" at graph 0.5, graph 0.5 center font \",14\" "
                               "tc rgb \"#444444\"\n",
                               m->empty);
    g_autoptr(GString) cmd = g_string_new("plot \\\n");
    if (is_nt) {
        /* Between the first two x values the band is free of data: name the lines there,
         * below the spec line and above the derived one, when there is room (the legend
         * names them anyway). */
        double lx = distinct >= 2 ? (xs[0] + xs[1]) / 2.0 : xs[0] * 0.6;
        gboolean has_room = distinct <= 4 && lx > 0.15 * xmax;
        g_ascii_formatd(b1, sizeof b1, "%.6g", lx);
        if (has_room)
            g_string_append_printf(set,
                                   "set label \"y = NT (spec)\" at %s,%s left offset char 1,-1 "
                                   "tc rgb \"#222222\"\n",
                                   b1, b1);
        if (has_room)
            g_string_append_printf(set,
                                   "set label \"y ≈ 1.5·NT (derived)\" at %s,%s right offset "
                                   "char -1,1 tc rgb \"#666666\"\n",
                                   b1, g_ascii_formatd(b2, sizeof b2, "%.6g", 1.5 * lx));
        g_string_append(cmd, "  \"+\" using 1:1:(1.5*$1) with filledcurves fs transparent "
                             "solid 0.18 noborder fc rgb \"#888888\" notitle, \\\n");
    }
    if (is_nt)
        g_string_append(cmd,
                        "  x with lines lw 2 lc rgb \"#222222\" title \"Redis spec: a master cut "
                        "off from the majority stops accepting writes after NT (y = NT)\", \\\n"
                        "  1.5*x with lines lw 1.5 dt 2 lc rgb \"#777777\" title \"derived, not "
                        "in the spec: upper edge ≈ 1.5·NT (next ping ≈ NT/2 after the last "
                        "pong)\"");
    else
        g_string_append(cmd, "  NaN notitle");
    static const int filled[] = {7, 5, 9, 11, 13}, open[] = {6, 4, 8, 10, 12};
    for (guint g = 0; g < ngroups; g++) {
        const char *group = g_ptr_array_index(groups, g);
        g_autofree char *suffix = ngroups > 1 ? g_strdup_printf(", %s", group) : g_strdup("");
        for (int side = 0; side < ns; side++) {
            guint n = n_side[g * ns + side];
            if (n == 0)
                continue;
            int c = 2 + side * 5; /* n, then min median p90 max */
            /* majority left of the x value, minority right, no partition on it (its values
             * lie above the others'); groups spread a little more */
            double shift = (side == 0 ? -off : side == 1 ? off : 0.0) * (1.0 + 1.6 * g);
            g_ascii_formatd(b1, sizeof b1, "%+.6g", shift);
            g_string_append_printf(cmd,
                                   ", \\\n  \"%s\" index %u using ($1%s):%d:%d:%d with "
                                   "yerrorlines lw 2 dt %u pt %d ps 1.4 lc rgb \"%s\" title "
                                   "\"%s%s: median, bars min–max (%u %s)\"",
                                   dat_name, g, b1, c + 2, c + 1, c + 4, g % 5 + 1, filled[g % 5],
                                   side_rgb[side], side_title[side], suffix, n, m->counted);
            g_string_append_printf(cmd,
                                   ", \\\n  \"%s\" index %u using ($1%s):%d with points pt %d "
                                   "ps 1.8 lw 2 lc rgb \"%s\" title \"%s%s: p90\"",
                                   dat_name, g, b1, c + 3, open[g % 5], side_rgb[side],
                                   side_title[side], suffix);
        }
    }
    return report_plots_write_script(plots, m->name, m->about, 600, set->str, cmd->str, error);
}

/* Whether some run lost writes while no partition was in force: then the loss plots get a
 * "no partition" series. */
static gboolean has_lost_none(const ReportSweep *s)
{
    for (guint i = 0; i < s->runs->len; i++)
        if (g_array_index(s->runs, ReportRun, i).lost_side[REPORT_SIDE_NONE] > 0)
            return TRUE;
    return FALSE;
}

/* The histogram shows at most this many bin labels: more would overlap (1200 px wide). */
#define LOST_LABELS_MAX 10

static gboolean plot_lost(ReportPlots *plots, const ReportSweep *s, GError **error)
{
    const int ns = has_lost_none(s) ? REPORT_N_SIDES : 2;
    double max = 0.0;
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
        for (int side = 0; side < ns; side++)
            if (!isnan(r->lost_side[side]))
                max = MAX(max, r->lost_side[side]);
    }
    /* Bin 0 holds the runs that lost nothing; then whole-number bins of `width` writes
     * (1..width, width+1..2*width, ...), at most about 25 of them. */
    gint64 width = 1;
    static const gint64 steps[] = {1, 2, 5};
    for (gint64 scale = 1; max / (double)width > 25; scale *= 10)
        for (gsize k = 0; k < G_N_ELEMENTS(steps) && max / (double)width > 25; k++)
            width = steps[k] * scale;
    guint nbins = 1 + (guint)ceil(max / (double)width);
    g_autofree guint *count = g_new0(guint, (gsize)nbins * REPORT_N_SIDES);
    guint total[REPORT_N_SIDES] = {0, 0, 0};
    for (guint i = 0; i < s->runs->len; i++) {
        const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
        for (int side = 0; side < ns; side++) {
            double v = r->lost_side[side];
            if (isnan(v))
                continue;
            guint bin = v <= 0 ? 0 : 1 + (guint)floor((v - 1.0) / (double)width);
            count[MIN(bin, nbins - 1) * REPORT_N_SIDES + side]++;
            total[side]++;
        }
    }
    if (total[0] + total[1] + total[2] == 0)
        return TRUE; /* no run completed; and gnuplot 5.4 crashes on labels that are all NaN */
    g_autoptr(GString) dat = g_string_new(NULL);
    g_string_append(dat, "# lost acknowledged writes per run: bin, \"first..last\" writes lost, "
                         "runs on the majority side, runs on the minority side, runs with no "
                         "partition (side none)\n");
    guint ymax = 1;
    for (guint b = 0; b < nbins; b++) {
        gint64 first = b == 0 ? 0 : (gint64)(b - 1) * width + 1, last = b == 0 ? 0 : b * width;
        g_autofree char *label =
            first == last ? g_strdup_printf("%" G_GINT64_FORMAT, first)
                          : g_strdup_printf("%" G_GINT64_FORMAT "–%" G_GINT64_FORMAT, first, last);
        const guint *c = &count[b * REPORT_N_SIDES];
        g_string_append_printf(dat, "%u \"%s\" %u %u %u\n", b, label, c[0], c[1], c[2]);
        ymax = MAX(ymax, MAX(c[0], MAX(c[1], c[2])));
    }
    if (!report_plots_write_data(plots, "lost_writes.dat", dat->str, error))
        return FALSE;
    /* every bin is labelled while that is at most LOST_LABELS_MAX labels; else every few */
    guint every = (nbins + LOST_LABELS_MAX - 1) / LOST_LABELS_MAX;
    double box = ns > 2 ? 0.27 : 0.38; /* box width: ns boxes side by side fill a bin */
    double step = ns > 2 ? 0.28 : 0.4; /* between their centres, which straddle the bin's */
    g_autofree char *set = g_strdup_printf(
        "set title \"Lost acknowledged writes per run, per side: %s, %u runs\" font \",13\"\n"
        "set xlabel \"acknowledged writes lost in one run (writes)\"\n"
        "set ylabel \"runs (count)\"\n"
        "set xrange [-0.6:%g]\nset yrange [0:%g]\nset xtics scale 0\n"
        "set key inside right top\nset boxwidth %g absolute\nset style fill solid 0.8 border\n",
        s->scenario, s->runs->len, (double)nbins - 0.4, ymax * 1.25 + 0.5, box);
    g_autoptr(GString) cmd = g_string_new("plot \\\n");
    for (int side = 0; side < ns; side++) {
        char at[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(at, sizeof at, "%+.2f", (side - (ns - 1) / 2.0) * step);
        g_autofree char *xtic =
            side == 0 ? g_strdup_printf(":xtic(int($1) %% %u == 0 ? stringcolumn(2) : \"\")", every)
                      : g_strdup("");
        g_string_append_printf(cmd,
                               "%s  \"lost_writes.dat\" using ($1%s):%d%s with boxes lc rgb "
                               "\"%s\" title \"%s: %u runs\"",
                               side > 0 ? ", \\\n" : "", at, 3 + side, xtic, side_rgb[side],
                               side_title[side], total[side]);
    }
    for (int side = 0; side < ns; side++) {
        char at[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(at, sizeof at, "%+.2f", (side - (ns - 1) / 2.0) * step);
        g_string_append_printf(cmd,
                               ", \\\n  \"lost_writes.dat\" using ($1%s):($%d > 0 ? $%d : NaN):%d "
                               "with labels offset 0,0.7 font \",9\" notitle",
                               at, 3 + side, 3 + side, 3 + side);
    }
    return report_plots_write_script(plots, "lost_writes", "lost writes per run (histogram)", 600,
                                     set, cmd->str, error);
}

static gboolean plot_failovers(ReportPlots *plots, const ReportSweep *s, GError **error)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    g_autofree double *nt = g_new(double, MAX(1, s->points->len));
    gint xp = x_parameter(s);
    gboolean is_nt = xp >= 0 && strcmp(g_ptr_array_index(s->vary_names, xp), "node-timeout") == 0;
    /* More curves than the palette holds cannot be told apart: draw evenly spaced points. */
    const guint max_curves = 10;
    guint npoints = s->points->len, shown = MIN(npoints, max_curves);
    for (guint c = 0; c < shown; c++) {
        guint p = shown == npoints ? c : (guint)((guint64)c * (npoints - 1) / (shown - 1));
        const char *point = g_ptr_array_index(s->points, p);
        GArray *v = g_array_new(FALSE, FALSE, sizeof(double));
        nt[c] = NAN;
        for (guint i = 0; i < s->runs->len; i++) {
            const ReportRun *r = &g_array_index(s->runs, ReportRun, i);
            if (strcmp(r->point, point) != 0)
                continue;
            g_array_append_val(v, r->failover_ms);
            if (is_nt)
                nt[c] = r->vary[xp];
        }
        g_ptr_array_add(names, g_strdup(point));
        g_ptr_array_add(values, v);
    }
    g_autofree char *some =
        shown < npoints ? g_strdup_printf(" (%u of %u points)", shown, npoints) : g_strdup("");
    g_autofree char *title = g_strdup_printf(
        "Failover time CDF per point%s: %s, seeds %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT, some,
        s->scenario, s->seed_first, s->seed_last);
    return report_plot_cdf(plots, title, "runs whose failover was", names, values, nt, error);
}

gboolean report_plot_sweep(ReportPlots *plots, const ReportSweep *s, GError **error)
{
    if (s->runs->len == 0)
        return TRUE;
    const SideMetric *window = s->has_window_last ? &loss_window_metric : &loss_width_metric;
    return plot_per_side(plots, s, window, error) && plot_lost(plots, s, error) &&
           plot_failovers(plots, s, error) && plot_per_side(plots, s, &unavailable_metric, error);
}
