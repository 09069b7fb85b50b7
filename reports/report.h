/* reports/: tables and gnuplot plots made from the result files of a run or a sweep
 * (see the results contract). Reads files only; depends on GLib and json-glib alone.
 *
 * report_write(DIR) writes DIR/report.md (tables, image links), DIR/report.html (the same,
 * self-contained: images embedded as data: URIs) and DIR/plots/ (each plot's .gp script,
 * its .dat data, and the rendered .png / .svg). `gnuplot DIR/plots/NAME.gp` re-renders a
 * plot by hand from anywhere. */
#ifndef REPORTS_REPORT_H
#define REPORTS_REPORT_H

#include <glib.h>

#define REPORT_ERROR (report_error_quark())
GQuark report_error_quark(void);

typedef enum {
    REPORT_ERROR_INPUT,      /* a result file is missing or malformed: nothing written */
    REPORT_ERROR_NO_GNUPLOT, /* gnuplot is not installed: tables written, plots not rendered */
    REPORT_ERROR_GNUPLOT,    /* gnuplot failed on a script: tables written */
    REPORT_ERROR_IO,         /* writing DIR failed */
} ReportErrorCode;

typedef struct {
    const char *gnuplot; /* gnuplot to run; NULL: look it up in PATH */
    gboolean is_png;     /* render PNG (pngcairo) */
    gboolean is_svg;     /* render SVG */
    gint64 bucket_ms;    /* time bucket of run plots; 0: 250 ms, coarser for long runs */
} ReportOptions;

/* PNG and SVG, gnuplot from PATH, automatic buckets. */
void report_options_init(ReportOptions *options);

/* Writes the report of DIR, a run directory (has summary.json) or a sweep directory (has
 * sweep.json). On REPORT_ERROR_NO_GNUPLOT and REPORT_ERROR_GNUPLOT the tables are still
 * written and the message says where; the caller prints the message and exits non-zero. */
gboolean report_write(const char *dir, GError **error);
gboolean report_write_with(const char *dir, const ReportOptions *options, GError **error);

/* The file a user should open after report_write(dir): newly allocated "DIR/report.html". */
char *report_html_path(const char *dir);

/* `rcsim report DIR [--format png,svg] [--gnuplot PATH] [--bucket-ms N]`.
 * argv[0] is "report". Returns 0, 1 (plots not rendered), or 2 (bad usage or input). */
int report_cli_main(int argc, char **argv);

#endif
