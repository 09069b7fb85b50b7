/* Plot scripts and data files, and gnuplot itself (spawned without a shell). */
#include "reports/plot.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

void report_plots_init(ReportPlots *plots, const char *dir, const ReportOptions *options)
{
    plots->plots_dir = g_build_filename(dir, "plots", NULL);
    plots->options = options;
    plots->names = g_ptr_array_new_with_free_func(g_free);
}

void report_plots_clear(ReportPlots *plots)
{
    g_clear_pointer(&plots->plots_dir, g_free);
    g_clear_pointer(&plots->names, g_ptr_array_unref);
}

gboolean report_plots_write_data(ReportPlots *plots, const char *file, const char *text,
                                 GError **error)
{
    if (g_mkdir_with_parents(plots->plots_dir, 0755) != 0) {
        int err = errno;
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_IO, "%s: cannot create: %s", plots->plots_dir,
                    g_strerror(err));
        return FALSE;
    }
    g_autofree char *path = g_build_filename(plots->plots_dir, file, NULL);
    g_autoptr(GError) local = NULL;
    if (!g_file_set_contents(path, text, -1, &local)) {
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_IO, "%s", local->message);
        return FALSE;
    }
    return TRUE;
}

char *report_gp_quote(const char *text)
{
    GString *out = g_string_new("\"");
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        if (*p == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
    return g_string_free(out, FALSE);
}

char *report_gp_seconds(gint64 ms)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.3f", (double)ms / 1000.0));
}

/* The part every script starts with: where it came from, and a cd to its own folder. */
static const char script_head[] =
    "# rcsim report: %s\n"
    "# Re-render by hand from anywhere: gnuplot %s.gp (restyle it freely; the data is in the\n"
    "# .dat files next to it).\n"
    "# Paths below are relative to this script's folder: change to it first.\n"
    "script = ARG0; i = strlen(script)\n"
    "while (i > 0 && script[i:i] ne \"/\") { i = i - 1 }\n"
    "if (i > 0) { cd script[1:i] }\n"
    "set encoding utf8\n"
    "set border 3 lw 1.2\n"
    "set tics nomirror out\n"
    "set grid xtics ytics lc rgb \"#e4e4e4\" lw 1 dt 1\n"
    "set key box lc rgb \"#bbbbbb\" opaque samplen 2.5 spacing 1.15\n"
    "\n";

gboolean report_plots_write_script(ReportPlots *plots, const char *name, const char *about,
                                   int height, const char *settings, const char *plot_cmd,
                                   GError **error)
{
    GString *gp = g_string_new(NULL);
    g_string_append_printf(gp, script_head, about, name);
    g_string_append(gp, settings);
    /* the whole plot command again for each format, not `replot`: a multiplot cannot be
     * replotted */
    if (plots->options->is_png) {
        g_string_append_printf(gp,
                               "\nset terminal pngcairo size 1200,%d noenhanced font \"Sans,11\" "
                               "linewidth 1.3\nset output \"%s.png\"\n%s\n",
                               height, name, plot_cmd);
    }
    if (plots->options->is_svg) {
        g_string_append_printf(gp,
                               "\nset terminal svg size 1200,%d dynamic noenhanced "
                               "font \"Sans,11\" linewidth 1.3 background rgb \"white\"\n"
                               "set output \"%s.svg\"\n%s\n",
                               height, name, plot_cmd);
    }
    g_string_append(gp, "set output\n");
    g_autofree char *file = g_strdup_printf("%s.gp", name);
    g_autofree char *text = g_string_free(gp, FALSE);
    if (!report_plots_write_data(plots, file, text, error))
        return FALSE;
    g_ptr_array_add(plots->names, g_strdup(name));
    return TRUE;
}

char *report_gnuplot_find(const char *requested, GError **error)
{
    const char *want = requested != NULL ? requested : "gnuplot";
    char *path = NULL;
    if (strchr(want, '/') != NULL) {
        if (g_file_test(want, G_FILE_TEST_IS_EXECUTABLE) && !g_file_test(want, G_FILE_TEST_IS_DIR))
            path = g_strdup(want);
    } else {
        path = g_find_program_in_path(want);
    }
    if (path == NULL) {
        if (requested == NULL)
            g_set_error(error, REPORT_ERROR, REPORT_ERROR_NO_GNUPLOT,
                        "gnuplot not found in PATH: install the Debian package gnuplot-nox "
                        "(apt-get install gnuplot-nox)");
        else
            g_set_error(error, REPORT_ERROR, REPORT_ERROR_NO_GNUPLOT,
                        "gnuplot not found at '%s': install the Debian package gnuplot-nox "
                        "(apt-get install gnuplot-nox) or pass --gnuplot PATH",
                        requested);
    }
    return path;
}

gboolean report_gnuplot_run(const char *gnuplot, const char *plots_dir, const char *name,
                            GError **error)
{
    g_autofree char *script = g_strdup_printf("%s.gp", name);
    char *argv[] = {(char *)gnuplot, script, NULL};
    g_autofree char *out = NULL, *err = NULL;
    gint status;
    g_autoptr(GError) local = NULL;
    if (!g_spawn_sync(plots_dir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                      &local)) {
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_GNUPLOT, "%s/%s: cannot run %s: %s",
                    plots_dir, script, gnuplot, local->message);
        return FALSE;
    }
    g_autoptr(GError) wait_error = NULL;
    if (!g_spawn_check_wait_status(status, &wait_error)) {
        /* gnuplot echoes the offending line and a caret, then says
         * `"NAME.gp" line N: reason`: keep that last line, so the message stays one line. */
        g_strstrip(err);
        const char *last = strrchr(err, '\n');
        last = last != NULL ? last + 1 : err;
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_GNUPLOT, "%s/%s: gnuplot failed: %s",
                    plots_dir, script, last[0] != '\0' ? last : wait_error->message);
        return FALSE;
    }
    return TRUE;
}
