/* history.jsonl (one operation per line) folded into time buckets per side, for the timeline
 * and availability plots. Only completions count (ok, fail, info); invocations and the
 * nemesis are skipped. The side is that of the serving node when the operation completed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/jsonread.h"
#include "reports/report.h"
#include "reports/results.h"

void report_history_free(ReportHistory *h)
{
    if (h == NULL)
        return;
    for (int s = 0; s < REPORT_N_SIDES; s++) {
        g_free(h->acked[s]);
        g_free(h->ok[s]);
        g_free(h->completions[s]);
    }
    g_free(h);
}

static void grow(ReportHistory *h, guint n_buckets)
{
    for (int s = 0; s < REPORT_N_SIDES; s++) {
        h->acked[s] = g_renew(guint32, h->acked[s], n_buckets);
        h->ok[s] = g_renew(guint32, h->ok[s], n_buckets);
        h->completions[s] = g_renew(guint32, h->completions[s], n_buckets);
        for (guint b = h->n_buckets; b < n_buckets; b++)
            h->acked[s][b] = h->ok[s][b] = h->completions[s][b] = 0;
    }
    h->n_buckets = n_buckets;
}

/* json-glib says "<data>:1:8: Parse error: unexpected ..."; keep the part after "error: ". */
static const char *parse_reason(const char *message)
{
    const char *p = strstr(message, "error: ");
    return p != NULL ? p + strlen("error: ") : message;
}

/* Folds one line into `h`. Returns FALSE with `path:line: field: reason`. */
static gboolean fold_line(ReportHistory *h, JsonParser *parser, const char *line, gsize len,
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
    g_autofree char *type = NULL, *f = NULL, *side_text = NULL;
    gint64 time_us;
    if (!report_json_string(op, "type", REPORT_JSON_REQUIRED, &type, &cx, error) ||
        !report_json_int(op, "time_us", REPORT_JSON_REQUIRED, &time_us, &cx, error))
        return FALSE;
    if (strcmp(type, "invoke") == 0)
        return TRUE;
    if (strcmp(type, "ok") != 0 && strcmp(type, "fail") != 0 && strcmp(type, "info") != 0)
        return report_json_fail(&cx, "type", error, "expected invoke, ok, fail or info, not '%s'",
                                type);
    if (time_us < 0)
        return report_json_fail(&cx, "time_us", error, "must not be negative");
    if (!report_json_string(op, "f", REPORT_JSON_REQUIRED, &f, &cx, error) ||
        !report_json_string(op, "side", REPORT_JSON_NULLABLE, &side_text, &cx, error))
        return FALSE;
    int side = REPORT_SIDE_NONE;
    if (side_text != NULL) {
        for (side = 0; side < REPORT_N_SIDES; side++)
            if (strcmp(side_text, report_side_name((ReportSide)side)) == 0)
                break;
        if (side == REPORT_N_SIDES)
            return report_json_fail(&cx, "side", error,
                                    "expected majority, minority or none, not '%s'", side_text);
    }
    gint64 b64 = time_us / 1000 / h->bucket_ms;
    if (b64 > 10 * 1000 * 1000)
        return report_json_fail(&cx, "time_us", error, "is past any plausible run length");
    guint b = (guint)b64;
    if (b >= h->n_buckets)
        grow(h, MAX(b + 1, h->n_buckets * 2));
    h->max_bucket = MAX(h->max_bucket, b);
    h->completions[side][b]++;
    h->completions_total[side]++;
    if (strcmp(type, "ok") == 0) {
        h->ok[side][b]++;
        h->ok_total[side]++;
        if (!g_str_has_prefix(f, "read")) { /* read, read-list: the workloads' reads */
            h->acked[side][b]++;
            h->acked_total[side]++;
        }
    }
    return TRUE;
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
        /* Invocations count for nothing here: skip the JSON parse of a well-framed one (half
         * of a history). The runner writes compact JSON. */
        if (line[0] == '{' && memmem(line, (size_t)len, "\"type\":\"invoke\"", 15) != NULL) {
            ssize_t end = len;
            while (end > 0 && g_ascii_isspace(line[end - 1]))
                end--;
            if (end > 0 && line[end - 1] == '}')
                continue;
        }
        char where[4096];
        g_snprintf(where, sizeof where, "%s:%" G_GINT64_FORMAT, path, line_no);
        ok = fold_line(h, parser, line, (gsize)len, where, error);
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
    return g_steal_pointer(&h);
}
