/* `rcsim console`: options, cluster setup, and the read-execute-print loop over stdin. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/console.h"
#include "sim/console_world.h"

static void console_usage(FILE *to)
{
    fprintf(to,
            "Usage: rcsim console [--masters M] [--replicas R] [--seed N] [--set KEY=VALUE]...\n"
            "                     [--loglevel debug|verbose|notice|warning]\n"
            "A redis-cli -c like prompt on a simulated cluster (3 masters, 1 replica each by\n"
            "default; KEY is any scenario parameter, e.g. node-timeout=5000). Lines come from\n"
            "stdin: Redis commands, and .commands that drive the simulator (.help lists them).\n"
            "The prompt is shown only when stdin is a terminal. Exit status: 0 at end of input\n"
            "or .quit, 1 the cluster did not form, 2 bad options.\n");
}

static gboolean parse_u64(const char *s, guint64 *out)
{
    if (s[0] < '0' || s[0] > '9')
        return FALSE;
    char *end = NULL;
    guint64 v = g_ascii_strtoull(s, &end, 10);
    if (*end != '\0' || (v == G_MAXUINT64 && strcmp(s, "18446744073709551615") != 0))
        return FALSE;
    *out = v;
    return TRUE;
}

static gboolean parse_loglevel(const char *s, RcLogLevel *out)
{
    static const char *const names[] = {"debug", "verbose", "notice", "warning"};
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (RcLogLevel)i;
            return TRUE;
        }
    }
    return FALSE;
}

static void flush_stdout(GString *out, gpointer user)
{
    (void)user;
    fwrite(out->str, 1, out->len, stdout);
    g_string_truncate(out, 0);
    fflush(stdout);
}

/* Feed stdin to the console line by line; its output goes to stdout as it is made. */
static void repl(SimConsole *con, gboolean interactive)
{
    GString *out = sim_console_output(con);
    sim_console_set_flush(con, flush_stdout, NULL);
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        if (interactive) {
            g_autofree char *prompt = sim_console_prompt(con);
            fputs(prompt, stdout);
            fflush(stdout);
        }
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0)
            break;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        gboolean go_on = sim_console_exec(con, line);
        flush_stdout(out, NULL);
        if (!go_on)
            break;
    }
    free(line);
}

int sim_console_main(int argc, char **argv)
{
    guint64 seed = 1;
    RcLogLevel loglevel = RC_LOG_NOTICE;
    g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func(g_free);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            console_usage(stdout);
            return 0;
        } else if (strcmp(a, "--masters") == 0 || strcmp(a, "--replicas") == 0) {
            guint64 n;
            if (v == NULL || !parse_u64(v, &n)) {
                fprintf(stderr, "rcsim console: %s: expected a non-negative integer\n", a);
                return 2;
            }
            g_ptr_array_add(sets, g_strdup_printf("%s=%s", a + 2, v));
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (v == NULL || !parse_u64(v, &seed)) {
                fprintf(stderr, "rcsim console: --seed: expected a non-negative integer\n");
                return 2;
            }
            i++;
        } else if (strcmp(a, "--set") == 0) {
            if (v == NULL || strchr(v, '=') == NULL) {
                fprintf(stderr, "rcsim console: --set: expected KEY=VALUE\n");
                return 2;
            }
            g_ptr_array_add(sets, g_strdup(v));
            i++;
        } else if (strcmp(a, "--loglevel") == 0) {
            if (v == NULL || !parse_loglevel(v, &loglevel)) {
                fprintf(stderr,
                        "rcsim console: --loglevel: expected debug, verbose, notice or warning\n");
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "rcsim console: unknown argument '%s'\n", a);
            console_usage(stderr);
            return 2;
        }
    }
    g_ptr_array_add(sets, NULL);
    GError *error = NULL;
    g_autoptr(SimScenario) sc =
        sim_scenario_parse("console", "", 0, (const char *const *)sets->pdata, &error);
    if (sc == NULL) {
        /* --masters N and --replicas N travel as --set overrides: name the flag given */
        const char *msg = error->message;
        for (int i = 1; i + 1 < argc; i++) {
            if (strcmp(argv[i], "--masters") != 0 && strcmp(argv[i], "--replicas") != 0)
                continue;
            g_autofree char *as_set = g_strdup_printf("--set %s=%s: ", argv[i] + 2, argv[i + 1]);
            if (g_str_has_prefix(msg, as_set)) {
                fprintf(stderr, "rcsim console: %s %s: %s\n", argv[i], argv[i + 1],
                        msg + strlen(as_set));
                g_error_free(error);
                return 2;
            }
        }
        fprintf(stderr, "rcsim console: %s\n", msg);
        g_error_free(error);
        return 2;
    }
    gboolean interactive = isatty(STDIN_FILENO);
    g_autoptr(SimConsoleWorld) cw = sim_console_world_new(sc, seed);
    if (!sim_console_world_form(cw, &error)) {
        GString *replay = g_string_new("rcsim console");
        for (int i = 1; i < argc; i++) {
            gboolean plain = argv[i][0] != '\0';
            for (const char *c = argv[i]; *c != '\0'; c++)
                plain = plain && (g_ascii_isalnum(*c) || strchr("-_=.,:/+", *c) != NULL);
            g_autofree char *q = plain ? g_strdup(argv[i]) : g_shell_quote(argv[i]);
            g_string_append_printf(replay, " %s", q);
        }
        fprintf(stderr, "rcsim console: %s (seed %" G_GUINT64_FORMAT "; replay: %s)\n",
                error->message, seed, replay->str);
        g_string_free(replay, TRUE);
        g_error_free(error);
        return 1;
    }
    sim_console_world_set_loglevel(cw, loglevel);
    if (interactive)
        printf("rcsim console: %u master%s, %u replica%s each, seed %" G_GUINT64_FORMAT
               ", node-timeout %" G_GINT64_FORMAT " ms; .help lists the commands\n",
               sc->masters, sc->masters == 1 ? "" : "s", sc->replicas, sc->replicas == 1 ? "" : "s",
               seed, sc->node_timeout_ms);
    repl(sim_console_world_console(cw), interactive);
    return 0;
}
