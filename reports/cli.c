/* `rcsim report DIR [--format png,svg] [--gnuplot PATH] [--bucket-ms N]`. */
#include <stdio.h>
#include <string.h>

#include "reports/report.h"

static const char usage[] =
    "Usage: rcsim report DIR [--format png,svg] [--gnuplot PATH] [--bucket-ms N]\n"
    "\n"
    "Writes DIR/report.md and DIR/report.html (tables and plots) for a run directory (has\n"
    "summary.json) or a sweep directory (has sweep.json). Each plot's gnuplot script and data\n"
    "stay in DIR/plots/: `gnuplot DIR/plots/NAME.gp` re-renders it.\n"
    "\n"
    "  --format LIST    png, svg or png,svg (default png,svg)\n"
    "  --gnuplot PATH   the gnuplot to run (default: gnuplot from PATH)\n"
    "  --bucket-ms N    time bucket of run plots (default 250 ms, coarser for long runs)\n"
    "\n"
    "Exit status: 0 written; 1 tables written but plots not rendered; 2 bad usage or input.\n";

static gboolean parse_formats(const char *list, ReportOptions *opt)
{
    opt->is_png = opt->is_svg = FALSE;
    g_auto(GStrv) parts = g_strsplit(list, ",", -1);
    for (guint i = 0; parts[i] != NULL; i++) {
        if (strcmp(parts[i], "png") == 0)
            opt->is_png = TRUE;
        else if (strcmp(parts[i], "svg") == 0)
            opt->is_svg = TRUE;
        else
            return FALSE;
    }
    return opt->is_png || opt->is_svg;
}

/* The value of option argv[*i] (given as "--opt VALUE" or "--opt=VALUE"), or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    gsize n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int report_cli_main(int argc, char **argv)
{
    ReportOptions opt;
    report_options_init(&opt);
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if ((v = option_value(argc, argv, &i, "--format")) != NULL) {
            if (!parse_formats(v, &opt)) {
                fprintf(stderr, "rcsim report: --format: expected png, svg or png,svg, not '%s'\n",
                        v);
                return 2;
            }
        } else if ((v = option_value(argc, argv, &i, "--gnuplot")) != NULL) {
            opt.gnuplot = v;
        } else if ((v = option_value(argc, argv, &i, "--bucket-ms")) != NULL) {
            guint64 ms;
            if (!g_ascii_string_to_unsigned(v, 10, 1, 3600 * 1000, &ms, NULL)) {
                fprintf(stderr, "rcsim report: --bucket-ms: expected 1..3600000, not '%s'\n", v);
                return 2;
            }
            opt.bucket_ms = (gint64)ms;
        } else if (a[0] == '-') {
            fprintf(stderr,
                    "rcsim report: unknown or incomplete option '%s' (see rcsim report "
                    "--help)\n",
                    a);
            return 2;
        } else if (dir == NULL) {
            dir = a;
        } else {
            fprintf(stderr, "rcsim report: one directory only ('%s' and '%s')\n", dir, a);
            return 2;
        }
    }
    if (dir == NULL) {
        fprintf(stderr, "rcsim report: expected a directory (see rcsim report --help)\n");
        return 2;
    }
    g_autoptr(GError) error = NULL;
    if (!report_write_with(dir, &opt, &error)) {
        fprintf(stderr, "rcsim report: %s\n", error->message);
        return error->code == REPORT_ERROR_NO_GNUPLOT || error->code == REPORT_ERROR_GNUPLOT ? 1
                                                                                             : 2;
    }
    g_autofree char *html = report_html_path(dir);
    printf("report: %s (tables also in %s/report.md, plots in %s/plots/)\n", html, dir, dir);
    return 0;
}
