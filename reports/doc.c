/* Markdown and self-contained HTML from one list of blocks (see doc.h). */
#include "reports/doc.h"

#include <string.h>

typedef enum { BLOCK_HEADING, BLOCK_PARA, BLOCK_TABLE, BLOCK_PLOT } BlockKind;

typedef struct {
    BlockKind kind;
    char *text;      /* heading, paragraph, plot caption */
    char *name;      /* plot name */
    GPtrArray *rows; /* table: GStrv per row, header first */
} Block;

struct ReportDoc {
    char *title;
    GArray *blocks; /* Block */
};

static void clear_block(gpointer p)
{
    Block *b = p;
    g_free(b->text);
    g_free(b->name);
    if (b->rows != NULL)
        g_ptr_array_unref(b->rows);
}

ReportDoc *report_doc_new(const char *title)
{
    ReportDoc *doc = g_new0(ReportDoc, 1);
    doc->title = g_strdup(title);
    doc->blocks = g_array_new(FALSE, TRUE, sizeof(Block));
    g_array_set_clear_func(doc->blocks, clear_block);
    return doc;
}

void report_doc_free(ReportDoc *doc)
{
    if (doc == NULL)
        return;
    g_free(doc->title);
    g_array_unref(doc->blocks);
    g_free(doc);
}

void report_doc_heading(ReportDoc *doc, const char *text)
{
    Block b = {BLOCK_HEADING, g_strdup(text), NULL, NULL};
    g_array_append_val(doc->blocks, b);
}

void report_doc_para(ReportDoc *doc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    Block b = {BLOCK_PARA, g_strdup_vprintf(fmt, ap), NULL, NULL};
    va_end(ap);
    g_array_append_val(doc->blocks, b);
}

void report_doc_table(ReportDoc *doc, const char *header_tabbed)
{
    Block b = {BLOCK_TABLE, NULL, NULL, g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev)};
    g_ptr_array_add(b.rows, g_strsplit(header_tabbed, "\t", -1));
    g_array_append_val(doc->blocks, b);
}

void report_doc_row(ReportDoc *doc, const char *fmt, ...)
{
    g_return_if_fail(doc->blocks->len > 0);
    Block *b = &g_array_index(doc->blocks, Block, doc->blocks->len - 1);
    g_return_if_fail(b->kind == BLOCK_TABLE);
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(b->rows, g_strsplit(text, "\t", -1));
}

void report_doc_plot(ReportDoc *doc, const char *name, const char *caption)
{
    Block b = {BLOCK_PLOT, g_strdup(caption), g_strdup(name), NULL};
    g_array_append_val(doc->blocks, b);
}

static char *plot_file(const char *dir, const char *name, const char *ext)
{
    g_autofree char *base = g_strdup_printf("%s.%s", name, ext);
    return g_build_filename(dir, "plots", base, NULL);
}

/* Markdown table cells: a '|' would end the cell, a newline the row. */
static void md_cell(GString *out, const char *cell)
{
    for (const char *p = cell; *p != '\0'; p++) {
        if (*p == '|')
            g_string_append(out, "\\|");
        else if (*p == '\n')
            g_string_append_c(out, ' ');
        else
            g_string_append_c(out, *p);
    }
}

char *report_doc_markdown(const ReportDoc *doc, const char *dir)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "# %s\n", doc->title);
    for (guint i = 0; i < doc->blocks->len; i++) {
        const Block *b = &g_array_index(doc->blocks, Block, i);
        switch (b->kind) {
        case BLOCK_HEADING:
            g_string_append_printf(out, "\n## %s\n", b->text);
            break;
        case BLOCK_PARA:
            g_string_append_printf(out, "\n%s\n", b->text);
            break;
        case BLOCK_TABLE: {
            g_string_append_c(out, '\n');
            for (guint r = 0; r < b->rows->len; r++) {
                char **cells = g_ptr_array_index(b->rows, r);
                g_string_append(out, "|");
                for (guint c = 0; cells[c] != NULL; c++) {
                    g_string_append_c(out, ' ');
                    md_cell(out, cells[c]);
                    g_string_append(out, " |");
                }
                g_string_append_c(out, '\n');
                if (r == 0) {
                    g_string_append(out, "|");
                    for (guint c = 0; cells[c] != NULL; c++)
                        g_string_append(out, " --- |");
                    g_string_append_c(out, '\n');
                }
            }
            break;
        }
        case BLOCK_PLOT: {
            g_autofree char *png = plot_file(dir, b->name, "png");
            g_autofree char *svg = plot_file(dir, b->name, "svg");
            const char *ext = g_file_test(png, G_FILE_TEST_EXISTS)   ? "png"
                              : g_file_test(svg, G_FILE_TEST_EXISTS) ? "svg"
                                                                     : NULL;
            if (ext != NULL)
                g_string_append_printf(out, "\n![%s](plots/%s.%s)\n", b->text, b->name, ext);
            g_string_append_printf(out, "\n*%s*%s (script `plots/%s.gp`, data `plots/%s.dat`)\n",
                                   b->text, ext != NULL ? "" : ": not rendered", b->name, b->name);
            break;
        }
        }
    }
    return g_string_free(out, FALSE);
}

/* Escapes text for HTML, turns `code` spans into <code> and [text](relative/url) into links. */
static void html_text(GString *out, const char *text)
{
    g_autofree char *esc = g_markup_escape_text(text, -1);
    gboolean in_code = FALSE;
    for (const char *p = esc; *p != '\0'; p++) {
        const char *mid = *p == '[' && !in_code ? strstr(p, "](") : NULL;
        const char *end = mid != NULL ? strchr(mid, ')') : NULL;
        if (end != NULL && memchr(p, ' ', (gsize)(mid - p)) == NULL) {
            g_string_append(out, "<a href=\"");
            g_string_append_len(out, mid + 2, end - (mid + 2));
            g_string_append(out, "\">");
            g_string_append_len(out, p + 1, mid - (p + 1));
            g_string_append(out, "</a>");
            p = end;
            continue;
        }
        if (*p == '`') {
            g_string_append(out, in_code ? "</code>" : "<code>");
            in_code = !in_code;
        } else {
            g_string_append_c(out, *p);
        }
    }
    if (in_code)
        g_string_append(out, "</code>");
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>%s</title>\n<style>\n"
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}\n"
    "table{border-collapse:collapse;margin:0.5em 0 1em}\n"
    "th,td{border:1px solid #bbb;padding:0.25em 0.6em;text-align:left}\n"
    "th{background:#eee}\ncode{background:#f4f4f4;padding:0 0.2em}\n"
    "figure{margin:1em 0}\nfigure img{max-width:100%%;border:1px solid #ddd}\n"
    "figcaption{color:#555;font-size:0.9em}\n</style>\n</head>\n<body>\n";

static void html_plot(GString *out, const Block *b, const char *dir)
{
    g_autofree char *png = plot_file(dir, b->name, "png");
    g_autofree char *svg = plot_file(dir, b->name, "svg");
    const char *mime = NULL;
    g_autofree char *bytes = NULL;
    gsize len = 0;
    if (g_file_get_contents(png, &bytes, &len, NULL))
        mime = "image/png";
    else if (g_file_get_contents(svg, &bytes, &len, NULL))
        mime = "image/svg+xml";
    g_string_append(out, "<figure>\n");
    if (mime != NULL) {
        g_autofree char *b64 = g_base64_encode((const guchar *)bytes, len);
        g_autofree char *alt = g_markup_escape_text(b->text, -1);
        g_string_append_printf(out, "<img alt=\"%s\" src=\"data:%s;base64,%s\">\n", alt, mime, b64);
    } else {
        g_string_append(out, "<p><em>Not rendered.</em></p>\n");
    }
    g_string_append(out, "<figcaption>");
    html_text(out, b->text);
    g_string_append_printf(out,
                           " (script <code>plots/%s.gp</code>, data "
                           "<code>plots/%s.dat</code>)</figcaption>\n</figure>\n",
                           b->name, b->name);
}

char *report_doc_html(const ReportDoc *doc, const char *dir)
{
    GString *out = g_string_new(NULL);
    g_autofree char *title = g_markup_escape_text(doc->title, -1);
    g_string_append_printf(out, html_head, title);
    g_string_append_printf(out, "<h1>%s</h1>\n", title);
    for (guint i = 0; i < doc->blocks->len; i++) {
        const Block *b = &g_array_index(doc->blocks, Block, i);
        switch (b->kind) {
        case BLOCK_HEADING:
            g_string_append(out, "<h2>");
            html_text(out, b->text);
            g_string_append(out, "</h2>\n");
            break;
        case BLOCK_PARA:
            g_string_append(out, "<p>");
            html_text(out, b->text);
            g_string_append(out, "</p>\n");
            break;
        case BLOCK_TABLE:
            g_string_append(out, "<table>\n");
            for (guint r = 0; r < b->rows->len; r++) {
                char **cells = g_ptr_array_index(b->rows, r);
                const char *tag = r == 0 ? "th" : "td";
                g_string_append(out, "<tr>");
                for (guint c = 0; cells[c] != NULL; c++) {
                    g_string_append_printf(out, "<%s>", tag);
                    html_text(out, cells[c]);
                    g_string_append_printf(out, "</%s>", tag);
                }
                g_string_append(out, "</tr>\n");
            }
            g_string_append(out, "</table>\n");
            break;
        case BLOCK_PLOT:
            html_plot(out, b, dir);
            break;
        }
    }
    g_string_append(out, "</body>\n</html>\n");
    return g_string_free(out, FALSE);
}
