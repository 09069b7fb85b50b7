/* The report documents (tables, notes, plot places) of a run and of a sweep. Private to
 * reports/. */
#ifndef REPORTS_TABLES_H
#define REPORTS_TABLES_H

#include "reports/doc.h"
#include "reports/results.h"

/* `history` may be NULL; `plot_names` lists the plots written (their order is kept). */
ReportDoc *report_tables_run(const ReportSummary *summary, const ReportHistory *history,
                             const GPtrArray *plot_names);
ReportDoc *report_tables_sweep(const ReportSweep *sweep, const GPtrArray *plot_names);

/* The runs that lost the most writes, most first (at most `max`): indexes into sweep->runs. */
GArray *report_tables_worst_runs(const ReportSweep *sweep, guint max);
/* Where `rcsim sweep --keep-runs` kept run `r`: newly allocated "runs/<point>/seed-<n>"
 * (relative to the sweep directory). */
char *report_tables_kept_run(const ReportRun *r);

#endif
