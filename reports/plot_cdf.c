/* The failover-time CDF: for each series (a sweep point, or one run), the share of runs whose
 * failover (fault start to replica promoted) was done by time x. Runs without a failover
 * count in the total, so such a curve stays below 100 %. */
#include <math.h>
#include <stdlib.h>

#include "reports/plot.h"

static const char *const palette[] = {"#1f77b4", "#e8710a", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fmt_pair(GString *out, double x, double y)
{
    char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append_printf(out, "%s %s\n", g_ascii_formatd(a, sizeof a, "%.4f", x),
                           g_ascii_formatd(b, sizeof b, "%.4f", y));
}

gboolean report_plot_cdf(ReportPlots *plots, const char *title, const char *what,
                         GPtrArray *series_names, GPtrArray *series_values, const double *nt_ms,
                         GError **error)
{
    g_autoptr(GString) dat = g_string_new(NULL);
    g_autoptr(GString) cmd = g_string_new("plot \\\n");
    g_autoptr(GString) nt_lines = g_string_new(NULL);
    g_string_append(dat, "# failover time CDF, one block per series: "
                         "seconds_from_fault_to_promotion percent_of_runs_done\n");
    double xmax = 0.0;
    for (guint s = 0; s < series_values->len; s++) {
        GArray *v = g_ptr_array_index(series_values, s);
        for (guint i = 0; i < v->len; i++)
            if (!isnan(g_array_index(v, double, i)))
                xmax = MAX(xmax, g_array_index(v, double, i) / 1000.0);
    }
    xmax = xmax > 0 ? xmax * 1.1 : 1.0;
    guint block = 0;
    guint longest = 48; /* characters of the longest legend entry: the node-timeout one */
    for (guint s = 0; s < series_values->len; s++) {
        GArray *v = g_ptr_array_index(series_values, s);
        g_autofree double *sorted = g_new(double, MAX(1, v->len));
        guint done = 0;
        for (guint i = 0; i < v->len; i++)
            if (!isnan(g_array_index(v, double, i)))
                sorted[done++] = g_array_index(v, double, i) / 1000.0;
        qsort(sorted, done, sizeof *sorted, compare_doubles);
        const char *name = g_ptr_array_index(series_names, s);
        if (done == 0)
            continue; /* nothing to draw; the tables say so */
        g_string_append_printf(dat, "%s# %s\n", block > 0 ? "\n\n" : "", name);
        fmt_pair(dat, 0.0, 0.0);
        for (guint i = 0; i < done; i++) {
            fmt_pair(dat, sorted[i], 100.0 * i / v->len);
            fmt_pair(dat, sorted[i], 100.0 * (i + 1) / v->len);
        }
        fmt_pair(dat, xmax, 100.0 * done / v->len);
        char med[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(med, sizeof med, "%.2f", report_quantile_sorted(sorted, done, 0.5));
        g_autofree char *label =
            g_strdup_printf("%s: %u of %u failed over, median %s s", name, done, v->len, med);
        longest = MAX(longest, (guint)g_utf8_strlen(label, -1));
        g_autofree char *q = report_gp_quote(label);
        g_string_append_printf(cmd,
                               "%s  \"failover_cdf.dat\" index %u using 1:2 with lines lw 2.2 "
                               "lc rgb \"%s\" title %s",
                               block > 0 ? ", \\\n" : "", block, palette[s % G_N_ELEMENTS(palette)],
                               q);
        block++;
        if (nt_ms != NULL && !isnan(nt_ms[s])) {
            char nt[G_ASCII_DTOSTR_BUF_SIZE];
            g_ascii_formatd(nt, sizeof nt, "%.4f", nt_ms[s] / 1000.0);
            g_string_append_printf(nt_lines,
                                   "set arrow from %s, graph 0 to %s, graph 1 nohead dt 3 lw 1.5 "
                                   "lc rgb \"%s\" back\n",
                                   nt, nt, palette[s % G_N_ELEMENTS(palette)]);
        }
    }
    if (nt_lines->len > 0)
        g_string_append(cmd, ", \\\n  NaN with lines dt 3 lw 1.5 lc rgb \"#555555\" title "
                             "\"dotted: node-timeout (no failover can be sooner)\"");
    if (block == 0)
        return TRUE; /* no failover at all: no plot; the tables say so */
    if (!report_plots_write_data(plots, "failover_cdf.dat", dat->str, error))
        return FALSE;
    g_autofree char *qt = report_gp_quote(title);
    char xm[G_ASCII_DTOSTR_BUF_SIZE];
    /* The legend goes below the plot, where it covers no curve (the curves fill the top left,
     * where a key inside would sit); as many columns side by side as fit, and the bottom
     * margin and the picture grow with the rows that leaves (estimated with
     * ~7.5 px per character of the longest entry, and the line sample beside it). */
    guint entries = block + (nt_lines->len > 0 ? 1 : 0);
    guint columns = (guint)MAX(1.0, floor(1100.0 / (longest * 7.5 + 90.0)));
    guint rows = (entries + columns - 1) / columns;
    g_autofree char *set = g_strdup_printf(
        "set title %s font \",13\"\n"
        "set xlabel \"time from fault start to replica promoted (s)\"\n"
        "set ylabel \"%s done by then (%%)\"\n"
        "set xrange [0:%s]\nset yrange [0:105]\nset ytics 0,10,100\n"
        "set key outside below center horizontal maxrows %u\nset bmargin %u\n%s",
        qt, what, g_ascii_formatd(xm, sizeof xm, "%.3f", xmax), rows, rows + 6, nt_lines->str);
    return report_plots_write_script(plots, "failover_cdf", "failover time CDF",
                                     560 + 22 * (int)rows, set, cmd->str, error);
}
