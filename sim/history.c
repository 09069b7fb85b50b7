/* The run's history: memory, JSON lines and Jepsen EDN. */
#include "sim/history.h"

#include "core/resp.h"

#include <errno.h>
#include <string.h>

#define FLUSH_EVERY 512

static void op_clear(gpointer p)
{
    SimOp *op = p;
    g_free(op->key);
    g_free(op->value);
    g_free(op->error);
    if (op->read)
        g_ptr_array_free(op->read, TRUE);
}

SimHistory *sim_history_new(void)
{
    SimHistory *h = g_new0(SimHistory, 1);
    h->ops = g_array_sized_new(FALSE, TRUE, sizeof(SimOp), 1024);
    g_array_set_clear_func(h->ops, op_clear);
    return h;
}

void sim_history_reserve(SimHistory *h, guint64 ops)
{
    /* GArray grows by doubling and copies each time; a run knows its op count roughly */
    if (ops > h->ops->len && ops < G_MAXUINT / 2) {
        guint len = h->ops->len;
        g_array_set_size(h->ops, (guint)ops);
        g_array_set_size(h->ops, len);
    }
}

void sim_history_close(SimHistory *h)
{
    if (h->jsonl != NULL) {
        fclose(h->jsonl);
        h->jsonl = NULL;
    }
}

void sim_history_free(SimHistory *h)
{
    if (h == NULL)
        return;
    sim_history_close(h);
    g_array_free(h->ops, TRUE);
    if (h->line != NULL)
        g_string_free(h->line, TRUE);
    g_free(h);
}

const char *sim_op_type_name(SimOpType type)
{
    static const char *const names[] = {"invoke", "ok", "fail", "info"};
    rc_assert((guint)type < G_N_ELEMENTS(names));
    return names[type];
}

const char *sim_side_name(SimSide side)
{
    static const char *const names[] = {"none", "majority", "minority"};
    rc_assert((guint)side < G_N_ELEMENTS(names));
    return names[side];
}

/* A JSON string. Runs of characters that need no escape are copied whole: two of these
 * are written for every operation of the run. */
static void json_string(GString *out, const char *s)
{
    if (s == NULL) {
        RC_STRING_PUT_LIT(out, "null");
        return;
    }
    g_string_append_c(out, '"');
    const unsigned char *run = (const unsigned char *)s, *p = run;
    for (;; p++) {
        unsigned char ch = *p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        rc_string_put(out, run, (gsize)(p - run));
        if (ch == '\0')
            break;
        run = p + 1;
        switch (ch) {
        case '"':
            RC_STRING_PUT_LIT(out, "\\\"");
            break;
        case '\\':
            RC_STRING_PUT_LIT(out, "\\\\");
            break;
        case '\n':
            RC_STRING_PUT_LIT(out, "\\n");
            break;
        case '\r':
            RC_STRING_PUT_LIT(out, "\\r");
            break;
        case '\t':
            RC_STRING_PUT_LIT(out, "\\t");
            break;
        default:
            g_string_append_printf(out, "\\u%04x", ch);
        }
    }
    g_string_append_c(out, '"');
}

/* A decimal integer without printf (two of these per operation too). */
static void json_int(GString *out, gint64 v)
{
    char buf[24];
    int i = (int)sizeof buf;
    guint64 u = v < 0 ? 0 - (guint64)v : (guint64)v;
    do {
        buf[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        buf[--i] = '-';
    rc_string_put(out, buf + i, sizeof buf - (gsize)i);
}

static const char *node_name(const SimHistory *h, gint node, char *buf, gsize len)
{
    if (node < 0)
        return NULL;
    if (h->node_names != NULL && (guint)node < h->n_node_names)
        return h->node_names[node];
    g_snprintf(buf, len, "n%d", node + 1);
    return buf;
}

void sim_history_format_json(const SimHistory *h, const SimOp *op, GString *out)
{
    char nb[16];
    RC_STRING_PUT_LIT(out, "{\"index\":");
    json_int(out, (gint64)op->index);
    RC_STRING_PUT_LIT(out, ",\"time_us\":");
    json_int(out, op->time_us);
    RC_STRING_PUT_LIT(out, ",\"process\":");
    if (op->process == SIM_PROCESS_NEMESIS)
        RC_STRING_PUT_LIT(out, "\"nemesis\"");
    else
        json_int(out, op->process);
    RC_STRING_PUT_LIT(out, ",\"type\":");
    json_string(out, sim_op_type_name(op->type));
    RC_STRING_PUT_LIT(out, ",\"f\":");
    json_string(out, op->f);
    RC_STRING_PUT_LIT(out, ",\"key\":");
    json_string(out, op->key);
    RC_STRING_PUT_LIT(out, ",\"value\":");
    if (op->read != NULL) {
        g_string_append_c(out, '[');
        for (guint i = 0; i < op->read->len; i++) {
            if (i > 0)
                g_string_append_c(out, ',');
            json_string(out, g_ptr_array_index(op->read, i));
        }
        g_string_append_c(out, ']');
    } else {
        json_string(out, op->value);
    }
    RC_STRING_PUT_LIT(out, ",\"node\":");
    json_string(out, node_name(h, op->node, nb, sizeof nb));
    RC_STRING_PUT_LIT(out, ",\"error\":");
    json_string(out, op->error);
    RC_STRING_PUT_LIT(out, ",\"side\":");
    json_string(out, sim_side_name(op->side));
    if (op->fault >= 0) {
        RC_STRING_PUT_LIT(out, ",\"fault\":");
        json_int(out, op->fault);
    }
    g_string_append_c(out, '}');
}

static void edn_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        if (*p == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

/* Keywords must be symbols: keep [a-z0-9-], map anything else to '-'. */
static void edn_keyword(GString *out, const char *s)
{
    g_string_append_c(out, ':');
    for (const char *p = s; *p; p++)
        g_string_append_c(out, g_ascii_isalnum(*p) || *p == '-' ? g_ascii_tolower(*p) : '-');
}

void sim_history_format_edn(const SimHistory *h, const SimOp *op, GString *out)
{
    char nb[16];
    /* Jepsen: nemesis ops are :info; time is nanoseconds since the start */
    g_string_append_printf(out,
                           "{:index %" G_GUINT64_FORMAT ", :time %" G_GINT64_FORMAT "000, :type ",
                           op->index, op->time_us);
    edn_keyword(out, sim_op_type_name(op->type));
    g_string_append(out, ", :process ");
    if (op->process == SIM_PROCESS_NEMESIS)
        g_string_append(out, ":nemesis");
    else
        g_string_append_printf(out, "%d", op->process);
    g_string_append(out, ", :f ");
    edn_keyword(out, op->f);
    g_string_append(out, ", :value ");
    gboolean tuple = op->key != NULL;
    if (tuple) {
        g_string_append_c(out, '[');
        edn_string(out, op->key);
        g_string_append_c(out, ' ');
    }
    if (op->read != NULL) {
        /* a set read is a set; a list read a vector (order matters for RPUSH) */
        gboolean is_list = strcmp(op->f, "read-list") == 0;
        g_string_append(out, is_list ? "[" : "#{");
        for (guint i = 0; i < op->read->len; i++) {
            if (i > 0)
                g_string_append_c(out, ' ');
            edn_string(out, g_ptr_array_index(op->read, i));
        }
        g_string_append(out, is_list ? "]" : "}");
    } else if (op->value != NULL) {
        edn_string(out, op->value);
    } else {
        g_string_append(out, "nil");
    }
    if (tuple)
        g_string_append_c(out, ']');
    const char *n = node_name(h, op->node, nb, sizeof nb);
    if (n != NULL) {
        g_string_append(out, ", :node ");
        edn_string(out, n);
    }
    if (op->error != NULL) {
        g_string_append(out, ", :error ");
        edn_string(out, op->error);
    }
    g_string_append(out, ", :side ");
    edn_keyword(out, sim_side_name(op->side));
    g_string_append_c(out, '}');
}

static void stream_op(SimHistory *h, const SimOp *op)
{
    if (h->line == NULL)
        h->line = g_string_sized_new(256);
    GString *line = h->line;
    g_string_truncate(line, 0);
    sim_history_format_json(h, op, line);
    g_string_append_c(line, '\n');
    fwrite(line->str, 1, line->len, h->jsonl);
    if (++h->unflushed >= FLUSH_EVERY || op->process == SIM_PROCESS_NEMESIS) {
        fflush(h->jsonl);
        h->unflushed = 0;
    }
}

gboolean sim_history_open_jsonl(SimHistory *h, const char *path, GError **error)
{
    sim_history_close(h);
    h->jsonl = fopen(path, "w");
    if (h->jsonl == NULL) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    for (guint i = 0; i < h->ops->len; i++)
        stream_op(h, &g_array_index(h->ops, SimOp, i));
    fflush(h->jsonl);
    return TRUE;
}

guint64 sim_history_add(SimHistory *h, RcTime time_us, gint process, SimOpType type, const char *f,
                        const char *key, const char *value, GPtrArray *read, gint node,
                        const char *error, SimSide side, gint fault)
{
    if (h->ops->len > 0)
        rc_assert(time_us >= g_array_index(h->ops, SimOp, h->ops->len - 1).time_us);
    SimOp op = {
        .index = h->ops->len,
        .time_us = time_us,
        .process = process,
        .type = type,
        .f = f,
        .key = g_strdup(key),
        .value = g_strdup(value),
        .read = read,
        .node = node,
        .error = g_strdup(error),
        .side = side,
        .fault = fault,
    };
    g_array_append_val(h->ops, op);
    if (h->jsonl != NULL)
        stream_op(h, &op);
    return op.index;
}

const SimOp *sim_history_op(const SimHistory *h, guint64 index)
{
    rc_assert(index < h->ops->len);
    return &g_array_index(h->ops, SimOp, index);
}

guint64 sim_history_len(const SimHistory *h)
{
    return h->ops->len;
}

gboolean sim_history_write_edn(const SimHistory *h, const char *path, GError **error)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    GString *line = g_string_sized_new(200);
    for (guint i = 0; i < h->ops->len; i++) {
        g_string_truncate(line, 0);
        sim_history_format_edn(h, &g_array_index(h->ops, SimOp, i), line);
        g_string_append_c(line, '\n');
        fwrite(line->str, 1, line->len, f);
    }
    g_string_free(line, TRUE);
    if (fclose(f) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}
