/* Printing replies as redis-cli does on a terminal and log lines as Redis writes them. */
#include "sim/console_format.h"

#include <string.h>

void sim_console_repr(GString *out, const char *s, gsize len)
{
    g_string_append_c(out, '"');
    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar)s[i];
        switch (c) {
        case '\\':
        case '"':
            g_string_append_c(out, '\\');
            g_string_append_c(out, (char)c);
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\a':
            g_string_append(out, "\\a");
            break;
        case '\b':
            g_string_append(out, "\\b");
            break;
        default:
            /* isprint() in the C locale, spelled out so the locale cannot change it. */
            if (c >= 0x20 && c <= 0x7e)
                g_string_append_c(out, (char)c);
            else
                g_string_append_printf(out, "\\x%02x", c);
            break;
        }
    }
    g_string_append_c(out, '"');
}

/* `prefix` is the indentation of this reply's continuation lines: an array's first element
 * goes on the line its parent already started, the others start with `prefix`. */
static void format_reply(GString *out, const SimReply *r, const char *prefix)
{
    switch (r->type) {
    case SIM_REPLY_ERROR:
        g_string_append(out, "(error) ");
        g_string_append_len(out, r->str, (gssize)r->len);
        g_string_append_c(out, '\n');
        break;
    case SIM_REPLY_STATUS:
        g_string_append_len(out, r->str, (gssize)r->len);
        g_string_append_c(out, '\n');
        break;
    case SIM_REPLY_INTEGER:
        g_string_append_printf(out, "(integer) %" G_GINT64_FORMAT "\n", r->integer);
        break;
    case SIM_REPLY_BULK:
        sim_console_repr(out, r->str, r->len);
        g_string_append_c(out, '\n');
        break;
    case SIM_REPLY_NIL:
    case SIM_REPLY_NIL_ARRAY:
        g_string_append(out, "(nil)\n");
        break;
    case SIM_REPLY_ARRAY: {
        if (r->n == 0) {
            g_string_append(out, "(empty array)\n");
            break;
        }
        guint width = 0;
        gsize i = r->n;
        do {
            width++;
            i /= 10;
        } while (i != 0);
        /* Nested elements line up after "<index>) ": the prefix grows by width + 2. */
        g_autofree char *child_prefix = g_strdup_printf("%s%*s", prefix, (int)width + 2, "");
        for (i = 0; i < r->n; i++) {
            g_string_append_printf(out, "%s%*" G_GSIZE_FORMAT ") ", i == 0 ? "" : prefix,
                                   (int)width, i + 1);
            format_reply(out, r->elements[i], child_prefix);
        }
        break;
    }
    }
}

void sim_console_format_reply(GString *out, const SimReply *r)
{
    format_reply(out, r, "");
}

/* Argument `i` equals `word`, ignoring ASCII case (strcasecmp on the whole argument). */
static gboolean arg_is(const GPtrArray *args, guint i, const char *word)
{
    if (i >= args->len)
        return FALSE;
    gsize len;
    const char *a = g_bytes_get_data(g_ptr_array_index(args, i), &len);
    return len == strlen(word) && g_ascii_strncasecmp(a, word, len) == 0;
}

gboolean sim_console_reply_is_raw(const GPtrArray *args)
{
    guint argc = args->len;
    if (argc == 0)
        return FALSE;
    if (arg_is(args, 0, "info") || arg_is(args, 0, "lolwut"))
        return TRUE;
    if (argc >= 2 && arg_is(args, 0, "debug"))
        return arg_is(args, 1, "htstats") || arg_is(args, 1, "htstats-key") ||
               arg_is(args, 1, "client-eviction");
    if (argc >= 2 && arg_is(args, 0, "memory"))
        return arg_is(args, 1, "malloc-stats") || arg_is(args, 1, "doctor");
    if (argc == 2 && arg_is(args, 0, "cluster"))
        return arg_is(args, 1, "nodes") || arg_is(args, 1, "info");
    if (argc >= 2 && arg_is(args, 0, "client"))
        return arg_is(args, 1, "list") || arg_is(args, 1, "info");
    if (arg_is(args, 0, "latency"))
        return (argc == 3 && arg_is(args, 1, "graph")) || (argc == 2 && arg_is(args, 1, "doctor"));
    if (argc >= 2 && arg_is(args, 0, "proxy"))
        return arg_is(args, 1, "info");
    return FALSE;
}

void sim_console_format_reply_raw(GString *out, const SimReply *r)
{
    switch (r->type) {
    case SIM_REPLY_ERROR:
        g_string_append_len(out, r->str, (gssize)r->len);
        g_string_append_c(out, '\n');
        break;
    case SIM_REPLY_STATUS:
    case SIM_REPLY_BULK:
        g_string_append_len(out, r->str, (gssize)r->len);
        break;
    case SIM_REPLY_INTEGER:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, r->integer);
        break;
    case SIM_REPLY_NIL:
    case SIM_REPLY_NIL_ARRAY:
        break;
    case SIM_REPLY_ARRAY:
        for (gsize i = 0; i < r->n; i++) {
            if (i > 0)
                g_string_append_c(out, '\n'); /* redis-cli's default --delimiter */
            sim_console_format_reply_raw(out, r->elements[i]);
        }
        break;
    }
}

void sim_console_format_date(GString *out, RcTime now_us)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    rc_assert(now_us >= 0);
    g_autoptr(GDateTime) epoch = g_date_time_new_utc(2026, 1, 1, 0, 0, 0);
    g_autoptr(GDateTime) t = g_date_time_add(epoch, (GTimeSpan)now_us);
    rc_assert(t != NULL);
    g_string_append_printf(out, "%02d %s %04d %02d:%02d:%02d.%03d", g_date_time_get_day_of_month(t),
                           months[g_date_time_get_month(t) - 1], g_date_time_get_year(t),
                           g_date_time_get_hour(t), g_date_time_get_minute(t),
                           g_date_time_get_second(t), (int)((now_us / 1000) % 1000));
}

void sim_console_format_log(GString *out, const char *node_name, guint pid, char role,
                            RcTime now_us, RcLogLevel level, const char *message)
{
    static const char level_chars[] = {'.', '-', '*', '#'};
    rc_assert((guint)level < G_N_ELEMENTS(level_chars));
    g_string_append_printf(out, "%s %u:%c ", node_name, pid, role);
    sim_console_format_date(out, now_us);
    g_string_append_printf(out, " %c %s\n", level_chars[level], message);
}
