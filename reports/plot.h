/* gnuplot scripts and their data files under DIR/plots/, and running gnuplot on them.
 * Private to reports/.
 *
 * Every script cd's to its own folder first, so `gnuplot DIR/plots/NAME.gp` works from
 * anywhere, and renders NAME.png (pngcairo) and/or NAME.svg next to itself. */
#ifndef REPORTS_PLOT_H
#define REPORTS_PLOT_H

#include <glib.h>

#include "reports/report.h"
#include "reports/results.h"

/* Colours shared by all plots, so a side looks the same everywhere. */
#define REPORT_RGB_MAJORITY "#1f77b4"
#define REPORT_RGB_MINORITY "#e8710a"
#define REPORT_RGB_NONE "#6b6b6b"
#define REPORT_RGB_LOST "#d62728"

typedef struct {
    char *plots_dir;              /* DIR/plots */
    const ReportOptions *options; /* formats */
    GPtrArray *names;             /* char*: the plots written, in order */
} ReportPlots;

void report_plots_init(ReportPlots *plots, const char *dir, const ReportOptions *options);
void report_plots_clear(ReportPlots *plots);

/* Writes plots_dir/FILE. */
gboolean report_plots_write_data(ReportPlots *plots, const char *file, const char *text,
                                 GError **error);

/* Writes plots_dir/NAME.gp (1200 x `height` pixels): `settings` (title, labels, ranges, styles)
 * then `plot_cmd` (one gnuplot plot command), once per format. Records NAME in plots->names. */
gboolean report_plots_write_script(ReportPlots *plots, const char *name, const char *about,
                                   int height, const char *settings, const char *plot_cmd,
                                   GError **error);

/* A gnuplot double-quoted string literal for `text`. */
char *report_gp_quote(const char *text);
/* Seconds from milliseconds, as data text. */
char *report_gp_seconds(gint64 ms);

/* The path of gnuplot to run, or NULL with REPORT_ERROR_NO_GNUPLOT. `requested` (may be
 * NULL: search PATH) is an explicit path or name. */
char *report_gnuplot_find(const char *requested, GError **error);
/* Runs `gnuplot NAME.gp` in plots_dir (no shell). */
gboolean report_gnuplot_run(const char *gnuplot, const char *plots_dir, const char *name,
                            GError **error);

/* Run plots (plot_run.c): timeline of acked and lost writes, availability per side, and
 * the failover-time CDF when a failover happened. `history` may be NULL (no history.jsonl):
 * then only the failover plot is made. */
gboolean report_plot_run(ReportPlots *plots, const ReportSummary *summary,
                         const ReportHistory *history, GError **error);

/* Sweep plots (plot_sweep.c): loss window against node-timeout, lost writes per run, and
 * the failover-time CDF per point. */
gboolean report_plot_sweep(ReportPlots *plots, const ReportSweep *sweep, GError **error);

/* The failover-time CDF (plot_cdf.c): one curve per series; `series_values` holds each
 * series' values in ms as a GArray of double (NAN: that run had no failover, it counts in the
 * total but never reaches the curve). `nt_ms` (may be NULL) gives each series' node-timeout,
 * drawn as a dotted vertical line in its colour (NAN: none). `what` names what is counted
 * ("runs", "failovers"). No failover at all: no plot. */
gboolean report_plot_cdf(ReportPlots *plots, const char *title, const char *what,
                         GPtrArray *series_names, GPtrArray *series_values, const double *nt_ms,
                         GError **error);

#endif
