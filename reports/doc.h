/* A tiny document model (headings, paragraphs, tables, plots) rendered twice: as Markdown
 * (report.md, images linked) and as one self-contained HTML file (report.html, images
 * embedded as data: URIs). Private to reports/. */
#ifndef REPORTS_DOC_H
#define REPORTS_DOC_H

#include <glib.h>

typedef struct ReportDoc ReportDoc;

ReportDoc *report_doc_new(const char *title);
void report_doc_free(ReportDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReportDoc, report_doc_free)

void report_doc_heading(ReportDoc *doc, const char *text);
/* Plain text; `code` spans are marked with backquotes in both renderings. */
void report_doc_para(ReportDoc *doc, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A table: give the header cells separated by tabs, then rows the same way. */
void report_doc_table(ReportDoc *doc, const char *header_tabbed);
void report_doc_row(ReportDoc *doc, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* A plot rendered to plots/NAME.png and/or plots/NAME.svg; its script is plots/NAME.gp. */
void report_doc_plot(ReportDoc *doc, const char *name, const char *caption);

/* `dir` is where report.md lives: a plot shows if dir/plots/NAME.{png,svg} exists. */
char *report_doc_markdown(const ReportDoc *doc, const char *dir);
char *report_doc_html(const ReportDoc *doc, const char *dir);

#endif
