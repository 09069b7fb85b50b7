/* Reading one console line: the dot-commands that drive the simulator and the argument
 * splitting of Redis commands (redis-cli's sdssplitargs rules, in our own code). */
#include "sim/console_line.h"

#include <string.h>

GQuark sim_console_error_quark(void)
{
    return g_quark_from_static_string("sim-console-error-quark");
}

#define SYNTAX(error, ...)                                                                         \
    g_set_error(error, SIM_CONSOLE_ERROR, SIM_CONSOLE_ERROR_SYNTAX, __VA_ARGS__)

static gboolean is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One double-quoted section starting after the quote at *pp; leaves *pp after the closing
 * quote. FALSE when the quote never closes. */
static gboolean read_double_quoted(const char **pp, GByteArray *arg)
{
    const char *p = *pp;
    for (;;) {
        if (*p == '\0')
            return FALSE;
        if (*p == '"') {
            *pp = p + 1;
            return TRUE;
        }
        if (p[0] == '\\' && p[1] == 'x' && hex_value(p[2]) >= 0 && hex_value(p[3]) >= 0) {
            guint8 b = (guint8)(hex_value(p[2]) * 16 + hex_value(p[3]));
            g_byte_array_append(arg, &b, 1);
            p += 4;
            continue;
        }
        if (p[0] == '\\' && p[1] != '\0') {
            char c;
            switch (p[1]) {
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case 'b':
                c = '\b';
                break;
            case 'a':
                c = '\a';
                break;
            default:
                c = p[1];
                break;
            }
            g_byte_array_append(arg, (const guint8 *)&c, 1);
            p += 2;
            continue;
        }
        g_byte_array_append(arg, (const guint8 *)p, 1);
        p++;
    }
}

static gboolean read_single_quoted(const char **pp, GByteArray *arg)
{
    const char *p = *pp;
    for (;;) {
        if (*p == '\0')
            return FALSE;
        if (*p == '\'') {
            *pp = p + 1;
            return TRUE;
        }
        if (p[0] == '\\' && p[1] == '\'') {
            g_byte_array_append(arg, (const guint8 *)"'", 1);
            p += 2;
            continue;
        }
        g_byte_array_append(arg, (const guint8 *)p, 1);
        p++;
    }
}

GPtrArray *sim_console_split_args(const char *line, GError **error)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    const char *p = line;
    for (;;) {
        while (is_space(*p))
            p++;
        if (*p == '\0')
            break;
        if (args->len == SIM_CONSOLE_ARGS_MAX) {
            SYNTAX(error, "too many arguments (at most %d)", SIM_CONSOLE_ARGS_MAX);
            return NULL;
        }
        GByteArray *arg = g_byte_array_new();
        gboolean ok = TRUE;
        /* An argument runs to the next blank; a quote anywhere opens a quoted section,
         * whose closing quote must be followed by a blank or the end. */
        while (ok && *p != '\0' && !is_space(*p)) {
            if (*p == '"' || *p == '\'') {
                char q = *p++;
                ok = q == '"' ? read_double_quoted(&p, arg) : read_single_quoted(&p, arg);
                if (ok && *p != '\0' && !is_space(*p))
                    ok = FALSE;
            } else {
                g_byte_array_append(arg, (const guint8 *)p, 1);
                p++;
            }
        }
        if (!ok) {
            g_byte_array_unref(arg);
            SYNTAX(error, "Invalid argument(s)");
            return NULL;
        }
        g_ptr_array_add(args, g_byte_array_free_to_bytes(arg));
    }
    return g_steal_pointer(&args);
}

gint sim_console_node_parse(const char *name, guint n_nodes)
{
    if (name[0] != 'n' || name[1] < '1' || name[1] > '9')
        return -1;
    guint64 v = 0;
    for (const char *p = name + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > 100000)
            return -1;
        v = v * 10 + (guint64)(*p - '0');
    }
    return v >= 1 && v <= n_nodes ? (gint)(v - 1) : -1;
}

gboolean sim_console_duration_parse(const char *text, RcTime *out_us)
{
    const char *p = text;
    guint64 v = 0;
    if (*p < '0' || *p > '9')
        return FALSE;
    for (; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (guint64)(*p - '0');
        if (v > G_GUINT64_CONSTANT(1000000000000))
            return FALSE;
    }
    static const struct {
        const char *unit;
        guint64 us;
    } units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {"h", 3600000000}};
    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        if (strcmp(p, units[i].unit) == 0) {
            *out_us = (RcTime)(v * units[i].us);
            return TRUE;
        }
    }
    return FALSE;
}

/* The words after the dot-command, split on blanks. */
static gchar **words_of(const char *rest)
{
    gchar **raw = g_strsplit_set(rest, " \t\r\n\v\f", -1);
    GPtrArray *kept = g_ptr_array_new();
    for (gchar **w = raw; *w != NULL; w++) {
        if (**w != '\0')
            g_ptr_array_add(kept, g_strdup(*w));
    }
    g_strfreev(raw);
    g_ptr_array_add(kept, NULL);
    return (gchar **)g_ptr_array_free(kept, FALSE);
}

static gboolean parse_node_arg(const char *cmd, gchar **words, guint n_nodes, guint32 *node,
                               GError **error)
{
    if (g_strv_length(words) != 1) {
        SYNTAX(error, "%s: expects one node, e.g. %s n2", cmd, cmd);
        return FALSE;
    }
    gint n = sim_console_node_parse(words[0], n_nodes);
    if (n < 0) {
        SYNTAX(error, "%s: unknown node '%s'", cmd, words[0]);
        return FALSE;
    }
    *node = (guint32)n;
    return TRUE;
}

static void free_group(gpointer g)
{
    g_array_unref(g);
}

/* ".partition" groups: `n1 | rest`, `{n1,n2} | {n3,n4} | n5`. Braces are optional and only
 * group; members are separated by commas or blanks. `rest` (a group of its own) stands for
 * every node named nowhere else. */
static gboolean parse_partition(const char *text, guint n_nodes, GPtrArray *groups, GError **error)
{
    const char *cmd = ".partition";
    g_autofree char *flat = g_strdup(text);
    int depth = 0;
    for (char *p = flat; *p != '\0'; p++) {
        if (*p == '{' || *p == '}') {
            depth += *p == '{' ? 1 : -1;
            if (depth < 0 || depth > 1) {
                SYNTAX(error, "%s: unbalanced braces", cmd);
                return FALSE;
            }
            *p = ' ';
        } else if (*p == '|' && depth != 0) {
            SYNTAX(error, "%s: unbalanced braces", cmd);
            return FALSE;
        } else if (*p == ',') {
            *p = ' ';
        }
    }
    if (depth != 0) {
        SYNTAX(error, "%s: unbalanced braces", cmd);
        return FALSE;
    }
    g_auto(GStrv) parts = g_strsplit(flat, "|", -1);
    guint n_parts = g_strv_length(parts);
    if (n_parts < 2) {
        SYNTAX(error, "%s: expects groups of nodes separated by '|', e.g. .partition n1 | rest",
               cmd);
        return FALSE;
    }
    g_autofree gint *group_of = g_new(gint, n_nodes);
    for (guint i = 0; i < n_nodes; i++)
        group_of[i] = -1;
    gint rest_group = -1;
    for (guint g = 0; g < n_parts; g++) {
        g_auto(GStrv) members = words_of(parts[g]);
        if (members[0] == NULL) {
            SYNTAX(error, "%s: group %u is empty", cmd, g + 1);
            return FALSE;
        }
        GArray *nodes = g_array_new(FALSE, FALSE, sizeof(guint32));
        g_ptr_array_add(groups, nodes);
        for (gchar **m = members; *m != NULL; m++) {
            if (strcmp(*m, "rest") == 0) {
                if (rest_group >= 0) {
                    SYNTAX(error, "%s: 'rest' may appear once", cmd);
                    return FALSE;
                }
                if (g_strv_length(members) != 1) {
                    SYNTAX(error, "%s: 'rest' must be a group of its own", cmd);
                    return FALSE;
                }
                rest_group = (gint)g;
                continue;
            }
            gint n = sim_console_node_parse(*m, n_nodes);
            if (n < 0) {
                SYNTAX(error, "%s: unknown node '%s'", cmd, *m);
                return FALSE;
            }
            if (group_of[n] >= 0) {
                SYNTAX(error, "%s: node '%s' is in two groups", cmd, *m);
                return FALSE;
            }
            group_of[n] = (gint)g;
            guint32 idx = (guint32)n;
            g_array_append_val(nodes, idx);
        }
    }
    if (rest_group >= 0) {
        GArray *rest = g_ptr_array_index(groups, (guint)rest_group);
        for (guint32 i = 0; i < n_nodes; i++) {
            if (group_of[i] < 0)
                g_array_append_val(rest, i);
        }
        if (rest->len == 0) {
            SYNTAX(error, "%s: 'rest' is empty: every node is named in another group", cmd);
            return FALSE;
        }
    }
    return TRUE;
}

static const struct {
    const char *name;
    SimConsoleOp op;
} dot_commands[] = {
    {".advance", SIM_CONSOLE_OP_ADVANCE}, {".partition", SIM_CONSOLE_OP_PARTITION},
    {".heal", SIM_CONSOLE_OP_HEAL},       {".crash", SIM_CONSOLE_OP_CRASH},
    {".restart", SIM_CONSOLE_OP_RESTART}, {".pause", SIM_CONSOLE_OP_PAUSE},
    {".resume", SIM_CONSOLE_OP_RESUME},   {".use", SIM_CONSOLE_OP_USE},
    {".nodes", SIM_CONSOLE_OP_NODES},     {".help", SIM_CONSOLE_OP_HELP},
    {".quit", SIM_CONSOLE_OP_QUIT},       {".exit", SIM_CONSOLE_OP_QUIT},
};

static gboolean parse_dot(const char *line, guint n_nodes, SimConsoleLine *out, GError **error)
{
    gsize name_len = 0;
    while (line[name_len] != '\0' && !is_space(line[name_len]))
        name_len++;
    g_autofree char *name = g_strndup(line, name_len);
    const char *rest = line + name_len;
    gint found = -1;
    for (gsize i = 0; i < G_N_ELEMENTS(dot_commands); i++) {
        if (strcmp(name, dot_commands[i].name) == 0)
            found = (gint)i;
    }
    if (found < 0) {
        SYNTAX(error, "unknown command '%s' (see .help)", name);
        return FALSE;
    }
    out->op = dot_commands[found].op;
    if (out->op == SIM_CONSOLE_OP_PARTITION) {
        out->groups = g_ptr_array_new_with_free_func(free_group);
        return parse_partition(rest, n_nodes, out->groups, error);
    }
    g_auto(GStrv) words = words_of(rest);
    guint n_words = g_strv_length(words);
    switch (out->op) {
    case SIM_CONSOLE_OP_ADVANCE:
        if (n_words != 1) {
            SYNTAX(error, ".advance: expects one duration, e.g. .advance 5s (us, ms, s, m, h)");
            return FALSE;
        }
        if (!sim_console_duration_parse(words[0], &out->duration_us)) {
            SYNTAX(error, ".advance: bad duration '%s' (e.g. 250ms, 5s, 2m)", words[0]);
            return FALSE;
        }
        if (out->duration_us > SIM_CONSOLE_ADVANCE_MAX_US) {
            SYNTAX(error, ".advance: duration '%s' is over 24h", words[0]);
            return FALSE;
        }
        return TRUE;
    case SIM_CONSOLE_OP_CRASH:
    case SIM_CONSOLE_OP_RESTART:
    case SIM_CONSOLE_OP_PAUSE:
    case SIM_CONSOLE_OP_RESUME:
    case SIM_CONSOLE_OP_USE:
        return parse_node_arg(name, words, n_nodes, &out->node, error);
    default:
        if (n_words != 0) {
            SYNTAX(error, "%s: takes no arguments", name);
            return FALSE;
        }
        return TRUE;
    }
}

gboolean sim_console_line_parse(const char *line, guint n_nodes, SimConsoleLine *out,
                                GError **error)
{
    memset(out, 0, sizeof(*out));
    const char *p = line;
    while (is_space(*p))
        p++;
    if (*p == '\0' || *p == '#') {
        out->op = SIM_CONSOLE_OP_EMPTY;
        return TRUE;
    }
    gboolean ok;
    if (*p == '.') {
        ok = parse_dot(p, n_nodes, out, error);
    } else {
        out->op = SIM_CONSOLE_OP_COMMAND;
        out->args = sim_console_split_args(p, error);
        ok = out->args != NULL;
    }
    if (!ok)
        sim_console_line_clear(out);
    return ok;
}

void sim_console_line_clear(SimConsoleLine *line)
{
    if (line->args != NULL)
        g_ptr_array_unref(line->args);
    if (line->groups != NULL)
        g_ptr_array_unref(line->groups);
    memset(line, 0, sizeof(*line));
}
