/* history.jsonl (one operation per line) folded into time buckets per side, for the timeline
 * and availability plots.
 *
 * Each client process has at most one operation outstanding (Jepsen's model): its invocation
 * is remembered until the completion, so a bucket in which a side's clients were all stuck
 * waiting (no completion at all, say behind 1 s timeouts and retries) reads as unavailable
 * rather than as "no data". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/jsonread.h"
#include "reports/report.h"
#include "reports/results.h"

typedef struct {
    gint64 id;        /* the process id, the key of Folder.processes */
    gint64 invoke_us; /* when the outstanding operation was invoked */
    gint8 side;       /* the client's side then */
    gboolean is_open; /* an operation is outstanding */
} Process;

typedef struct {
    ReportHistory *h;
    GHashTable *processes; /* &Process.id -> Process*: ids grow by the clients' count each
                              time a process is retired after an info, so a long run's ids
                              are sparse and unbounded */
} Folder;

void report_history_free(ReportHistory *h)
{
    if (h == NULL)
        return;
    for (int s = 0; s < REPORT_N_SIDES; s++) {
        g_free(h->acked[s]);
        g_free(h->served[s]);
        g_free(h->ok[s]);
        g_free(h->completions[s]);
        g_free(h->waiting[s]);
    }
    g_free(h);
}

static void grow(ReportHistory *h, guint n_buckets)
{
    for (int s = 0; s < REPORT_N_SIDES; s++) {
        h->acked[s] = g_renew(guint32, h->acked[s], n_buckets);
        h->served[s] = g_renew(guint32, h->served[s], n_buckets);
        h->ok[s] = g_renew(guint32, h->ok[s], n_buckets);
        h->completions[s] = g_renew(guint32, h->completions[s], n_buckets);
        h->waiting[s] = g_renew(guint8, h->waiting[s], n_buckets);
        for (guint b = h->n_buckets; b < n_buckets; b++) {
            h->acked[s][b] = h->served[s][b] = h->ok[s][b] = h->completions[s][b] = 0;
            h->waiting[s][b] = 0;
        }
    }
    h->n_buckets = n_buckets;
}

/* The bucket of `time_us`, growing the arrays as needed; FALSE past any plausible run. */
static gboolean bucket_of(ReportHistory *h, gint64 time_us, guint *b)
{
    gint64 b64 = time_us / 1000 / h->bucket_ms;
    if (b64 > 10 * 1000 * 1000)
        return FALSE;
    *b = (guint)b64;
    if (*b >= h->n_buckets)
        grow(h, MAX(*b + 1, h->n_buckets * 2));
    return TRUE;
}

static void mark_waiting(ReportHistory *h, int side, guint from, guint to)
{
    for (guint b = from; b <= to && b < h->n_buckets; b++)
        h->waiting[side][b] = 1;
}

/* json-glib says "<data>:1:8: Parse error: unexpected ..."; keep the part after "error: ". */
static const char *parse_reason(const char *message)
{
    const char *p = strstr(message, "error: ");
    return p != NULL ? p + strlen("error: ") : message;
}

static gboolean parse_side(const char *text, int *side)
{
    for (*side = 0; *side < REPORT_N_SIDES; (*side)++)
        if (strcmp(text, report_side_name((ReportSide)*side)) == 0)
            return TRUE;
    return FALSE;
}

static Process *process_slot(Folder *f, gint64 id)
{
    Process *p = g_hash_table_lookup(f->processes, &id);
    if (p == NULL) {
        p = g_new0(Process, 1);
        p->id = id;
        g_hash_table_insert(f->processes, &p->id, p);
    }
    return p;
}

static gboolean invoked(Folder *f, gint64 process, gint64 time_us, int side,
                        const ReportJsonCtx *cx, GError **error)
{
    if (time_us < 0)
        return report_json_fail(cx, "time_us", error, "must not be negative");
    Process *p = process_slot(f, process);
    p->invoke_us = time_us;
    p->side = (gint8)side;
    p->is_open = TRUE;
    return TRUE;
}

static gboolean completed(Folder *f, gint64 process, gint64 time_us, const char *type,
                          const char *fn, int node_side, const ReportJsonCtx *cx, GError **error)
{
    ReportHistory *h = f->h;
    guint b;
    if (time_us < 0)
        return report_json_fail(cx, "time_us", error, "must not be negative");
    if (!bucket_of(h, time_us, &b))
        return report_json_fail(cx, "time_us", error, "is past any plausible run length");
    Process *p = process_slot(f, process);
    int client_side = node_side;
    if (p->is_open) {
        guint from;
        client_side = p->side;
        if (bucket_of(h, MIN(p->invoke_us, time_us), &from))
            mark_waiting(h, client_side, from, b);
        p->is_open = FALSE;
    }
    h->max_bucket = MAX(h->max_bucket, b);
    h->served[node_side][b]++;
    h->completions[client_side][b]++;
    h->completions_total[client_side]++;
    if (strcmp(type, "ok") == 0) {
        h->ok[client_side][b]++;
        h->ok_total[client_side]++;
        if (!g_str_has_prefix(fn, "read")) { /* read, read-list: the workloads' reads */
            h->acked[node_side][b]++;
            h->acked_total[node_side]++;
        }
    }
    return TRUE;
}

/* Folds one line into the history. Returns FALSE with `path:line: field: reason`. */
static gboolean fold_line(Folder *f, JsonParser *parser, const char *line, gsize len,
                          const char *where, GError **error)
{
    g_autoptr(GError) local = NULL;
    if (!json_parser_load_from_data(parser, line, (gssize)len, &local)) {
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT, "%s: json: %s", where,
                    parse_reason(local->message));
        return FALSE;
    }
    ReportJsonCtx cx = {where, ""};
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
        return report_json_fail(&cx, "(line)", error, "expected a JSON object");
    JsonObject *op = json_node_get_object(root);
    JsonNode *process = json_object_get_member(op, "process");
    if (process == NULL)
        return report_json_fail(&cx, "process", error, "missing");
    if (JSON_NODE_HOLDS_VALUE(process) && json_node_get_value_type(process) == G_TYPE_STRING)
        return TRUE; /* "nemesis" */
    gint64 id, time_us;
    g_autofree char *type = NULL, *fn = NULL, *side_text = NULL;
    if (!report_json_int(op, "process", REPORT_JSON_REQUIRED, &id, &cx, error) ||
        !report_json_string(op, "type", REPORT_JSON_REQUIRED, &type, &cx, error) ||
        !report_json_int(op, "time_us", REPORT_JSON_REQUIRED, &time_us, &cx, error) ||
        !report_json_string(op, "side", REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE, &side_text,
                            &cx, error))
        return FALSE;
    if (id < 0)
        return report_json_fail(&cx, "process", error, "expected a process id >= 0 or \"nemesis\"");
    int side = REPORT_SIDE_NONE;
    if (side_text != NULL && !parse_side(side_text, &side))
        return report_json_fail(&cx, "side", error, "expected majority, minority or none, not '%s'",
                                side_text);
    if (strcmp(type, "invoke") == 0)
        return invoked(f, id, time_us, side, &cx, error);
    if (strcmp(type, "ok") != 0 && strcmp(type, "fail") != 0 && strcmp(type, "info") != 0)
        return report_json_fail(&cx, "type", error, "expected invoke, ok, fail or info, not '%s'",
                                type);
    if (!report_json_string(op, "f", REPORT_JSON_REQUIRED, &fn, &cx, error))
        return FALSE;
    return completed(f, id, time_us, type, fn, side, &cx, error);
}

/* The integer after `key` in a compact JSON line, or -1. */
static gint64 scan_int(const char *line, gsize len, const char *key)
{
    gsize klen = strlen(key);
    const char *p = memmem(line, len, key, klen);
    if (p == NULL)
        return -1;
    p += klen;
    const char *end = line + len;
    if (p >= end || !g_ascii_isdigit(*p))
        return -1;
    gint64 v = 0;
    for (; p < end && g_ascii_isdigit(*p) && v < G_MAXINT64 / 10 - 10; p++)
        v = v * 10 + (*p - '0');
    return (p < end && (*p == ',' || *p == '}')) ? v : -1;
}

/* An invocation in the runner's compact JSON, read without a full parse (half of a history).
 * FALSE when the line does not look like one: it then gets the full parse. */
static gboolean scan_invoke(const char *line, gsize len, gint64 *process, gint64 *time_us,
                            int *side)
{
    while (len > 0 && g_ascii_isspace(line[len - 1]))
        len--;
    if (len < 2 || line[0] != '{' || line[len - 1] != '}' ||
        memmem(line, len, "\"type\":\"invoke\"", 15) == NULL)
        return FALSE;
    *process = scan_int(line, len, "\"process\":");
    *time_us = scan_int(line, len, "\"time_us\":");
    if (*process < 0 || *time_us < 0)
        return FALSE;
    static const char *const sides[] = {"\"side\":\"majority\"", "\"side\":\"minority\"",
                                        "\"side\":\"none\""};
    for (*side = 0; *side < REPORT_N_SIDES; (*side)++)
        if (memmem(line, len, sides[*side], strlen(sides[*side])) != NULL)
            return TRUE;
    return FALSE;
}

ReportHistory *report_history_load(const char *path, gint64 span_ms, gint64 bucket_ms,
                                   GError **error)
{
    g_return_val_if_fail(bucket_ms > 0, NULL);
    FILE *in = fopen(path, "r"); /* line by line: histories can be large */
    if (in == NULL) {
        int err = errno;
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT, "%s: %s", path, g_strerror(err));
        return NULL;
    }
    g_autoptr(ReportHistory) h = g_new0(ReportHistory, 1);
    h->bucket_ms = bucket_ms;
    grow(h, (guint)MAX(1, (span_ms + bucket_ms - 1) / bucket_ms));
    guint initial = h->n_buckets;
    g_autoptr(GHashTable) processes =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    Folder f = {h, processes};
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    gboolean ok = TRUE;
    for (gint64 line_no = 1; ok && (len = getline(&line, &cap, in)) >= 0; line_no++) {
        gboolean blank = TRUE;
        for (ssize_t i = 0; i < len && blank; i++)
            blank = g_ascii_isspace(line[i]);
        if (blank)
            continue;
        h->lines++;
        char where[4096];
        g_snprintf(where, sizeof where, "%s:%" G_GINT64_FORMAT, path, line_no);
        gint64 process, time_us;
        int side;
        if (scan_invoke(line, (gsize)len, &process, &time_us, &side)) {
            ReportJsonCtx cx = {where, ""};
            ok = invoked(&f, process, time_us, side, &cx, error);
        } else {
            ok = fold_line(&f, parser, line, (gsize)len, where, error);
        }
    }
    if (ok && ferror(in)) {
        int err = errno;
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT, "%s: %s", path, g_strerror(err));
        ok = FALSE;
    }
    free(line);
    fclose(in);
    if (!ok)
        return NULL;
    h->n_buckets = MAX(initial, h->max_bucket + 1); /* drop growth slack */
    /* Operations still outstanding at the end kept their clients waiting to the end. Hash
     * order is fine here: each step only counts and sets flags, so any order gives the same. */
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, processes);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        const Process *p = value;
        if (!p->is_open)
            continue;
        h->open_at_end++;
        gint64 from = p->invoke_us / 1000 / h->bucket_ms;
        if (from < (gint64)h->n_buckets)
            mark_waiting(h, p->side, (guint)from, h->n_buckets - 1);
    }
    return g_steal_pointer(&h);
}
