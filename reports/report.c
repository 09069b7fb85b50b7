/* report_write(): read a run or sweep directory, write the plot scripts and data, render them
 * with gnuplot, and write report.md and report.html. */
#include "reports/report.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "reports/plot.h"
#include "reports/results.h"
#include "reports/tables.h"

G_DEFINE_QUARK(report - error - quark, report_error)

void report_options_init(ReportOptions *options)
{
    options->gnuplot = NULL;
    options->is_png = TRUE;
    options->is_svg = TRUE;
    options->bucket_ms = 0;
}

char *report_html_path(const char *dir)
{
    return g_build_filename(dir, "report.html", NULL);
}

/* 250 ms buckets up to a minute of virtual time, then coarser: at most ~240 buckets. */
static gint64 choose_bucket_ms(gint64 span_ms)
{
    static const gint64 sizes[] = {250, 500, 1000, 2000, 5000, 10000, 30000, 60000};
    for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++)
        if (span_ms / sizes[i] <= 240)
            return sizes[i];
    return 60000;
}

static gboolean write_text(const char *dir, const char *file, const char *text, GError **error)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autoptr(GError) local = NULL;
    if (!g_file_set_contents(path, text, -1, &local)) {
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    return TRUE;
}

/* Renders every plot, then writes report.md and report.html whatever happened to the plots;
 * a gnuplot problem is returned after the tables are safe. */
static gboolean finish(const char *dir, ReportDoc *doc, ReportPlots *plots,
                       const ReportOptions *opt, GError **error)
{
    g_autoptr(GError) plot_error = NULL;
    for (guint i = 0; i < plots->names->len; i++) {
        const char *name = g_ptr_array_index(plots->names, i);
        for (int k = 0; k < 2; k++) { /* never embed a picture left over from an older report */
            g_autofree char *file = g_strdup_printf("%s.%s", name, k == 0 ? "png" : "svg");
            g_autofree char *path = g_build_filename(plots->plots_dir, file, NULL);
            g_unlink(path);
        }
    }
    g_autofree char *gnuplot = report_gnuplot_find(opt->gnuplot, &plot_error);
    for (guint i = 0; gnuplot != NULL && i < plots->names->len && plot_error == NULL; i++)
        report_gnuplot_run(gnuplot, plots->plots_dir, g_ptr_array_index(plots->names, i),
                           &plot_error);
    g_autofree char *md = report_doc_markdown(doc, dir);
    g_autofree char *html = report_doc_html(doc, dir);
    if (!write_text(dir, "report.md", md, error) || !write_text(dir, "report.html", html, error))
        return FALSE;
    if (plot_error != NULL) {
        g_autofree char *md_path = g_build_filename(dir, "report.md", NULL);
        g_set_error(error, REPORT_ERROR, plot_error->code, "%s; the tables are in %s",
                    plot_error->message, md_path);
        return FALSE;
    }
    return TRUE;
}

static gboolean write_run(const char *dir, const char *summary_path, const ReportOptions *opt,
                          GError **error)
{
    g_autoptr(ReportSummary) s = report_summary_load(summary_path, error);
    if (s == NULL)
        return FALSE;
    g_autofree char *history_path = g_build_filename(dir, "history.jsonl", NULL);
    g_autoptr(ReportHistory) h = NULL;
    if (g_file_test(history_path, G_FILE_TEST_EXISTS)) {
        gint64 bucket = opt->bucket_ms > 0 ? opt->bucket_ms : choose_bucket_ms(s->sim_time_ms);
        h = report_history_load(history_path, s->sim_time_ms, bucket, error);
        if (h == NULL)
            return FALSE;
    }
    ReportPlots plots;
    report_plots_init(&plots, dir, opt);
    gboolean ok = report_plot_run(&plots, s, h, error);
    if (ok) {
        g_autoptr(ReportDoc) doc = report_tables_run(s, h, plots.names);
        ok = finish(dir, doc, &plots, opt, error);
    }
    report_plots_clear(&plots);
    return ok;
}

/* The worst runs the sweep kept (--keep-runs) get their own report, linked from the sweep's.
 * A run that cannot be reported is left unlinked: the sweep report does not fail for it. */
static void write_kept_runs(const char *dir, const ReportSweep *s, const ReportOptions *opt)
{
    g_autoptr(GArray) worst = report_tables_worst_runs(s, 10);
    for (guint k = 0; k < worst->len; k++) {
        const ReportRun *r = &g_array_index(s->runs, ReportRun, g_array_index(worst, guint, k));
        g_autofree char *kept = report_tables_kept_run(r);
        g_autofree char *run_dir = g_build_filename(dir, kept, NULL);
        g_autofree char *summary = g_build_filename(run_dir, "summary.json", NULL);
        if (g_file_test(summary, G_FILE_TEST_EXISTS))
            write_run(run_dir, summary, opt, NULL);
    }
}

static gboolean write_sweep(const char *dir, const ReportOptions *opt, GError **error)
{
    g_autoptr(ReportSweep) s = report_sweep_load(dir, error);
    if (s == NULL)
        return FALSE;
    write_kept_runs(dir, s, opt);
    ReportPlots plots;
    report_plots_init(&plots, dir, opt);
    gboolean ok = report_plot_sweep(&plots, s, error);
    if (ok) {
        g_autoptr(ReportDoc) doc = report_tables_sweep(s, plots.names);
        ok = finish(dir, doc, &plots, opt, error);
    }
    report_plots_clear(&plots);
    return ok;
}

gboolean report_write_with(const char *dir, const ReportOptions *opt, GError **error)
{
    g_return_val_if_fail(dir != NULL && opt != NULL, FALSE);
    if (!opt->is_png && !opt->is_svg) {
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT, "--format: name png, svg or both");
        return FALSE;
    }
    g_autofree char *summary = g_build_filename(dir, "summary.json", NULL);
    g_autofree char *sweep = g_build_filename(dir, "sweep.json", NULL);
    if (g_file_test(summary, G_FILE_TEST_EXISTS))
        return write_run(dir, summary, opt, error);
    if (g_file_test(sweep, G_FILE_TEST_EXISTS))
        return write_sweep(dir, opt, error);
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT, "%s: not a directory", dir);
    else
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT,
                    "%s: not a run or sweep directory (no summary.json, no sweep.json)", dir);
    return FALSE;
}

gboolean report_write(const char *dir, GError **error)
{
    ReportOptions opt;
    report_options_init(&opt);
    return report_write_with(dir, &opt, error);
}
