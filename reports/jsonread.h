/* Typed reads of JSON members that fail with `path: field: reason`. Private to reports/.
 * `where` names the file (and line, for JSON Lines) and `prefix` the enclosing field
 * ("writes", "failovers[2]", or "" at the top level). */
#ifndef REPORTS_JSONREAD_H
#define REPORTS_JSONREAD_H

#include <glib.h>
#include <json-glib/json-glib.h>

typedef enum {
    REPORT_JSON_REQUIRED = 0,
    REPORT_JSON_OPTIONAL = 1 << 0, /* absent is fine: the default is kept */
    REPORT_JSON_NULLABLE = 1 << 1, /* null is fine: REPORT_NONE / NULL is stored */
} ReportJsonFlags;

typedef struct {
    const char *where;  /* "out/run/summary.json" or "out/sweep/runs.jsonl:12" */
    const char *prefix; /* enclosing field, "" at top level */
} ReportJsonCtx;

/* Sets `error` to "where: prefix.member: reason" and returns FALSE. */
gboolean report_json_fail(const ReportJsonCtx *cx, const char *member, GError **error,
                          const char *reason_fmt, ...) G_GNUC_PRINTF(4, 5);

gboolean report_json_int(JsonObject *obj, const char *member, ReportJsonFlags flags, gint64 *out,
                         const ReportJsonCtx *cx, GError **error);
/* Numbers; NAN for null or (if optional) absent. */
gboolean report_json_double(JsonObject *obj, const char *member, ReportJsonFlags flags, double *out,
                            const ReportJsonCtx *cx, GError **error);
/* A newly allocated string; NULL for null or absent. */
gboolean report_json_string(JsonObject *obj, const char *member, ReportJsonFlags flags, char **out,
                            const ReportJsonCtx *cx, GError **error);
gboolean report_json_bool(JsonObject *obj, const char *member, ReportJsonFlags flags, gboolean *out,
                          const ReportJsonCtx *cx, GError **error);
/* Borrowed; NULL for null or absent. */
gboolean report_json_object(JsonObject *obj, const char *member, ReportJsonFlags flags,
                            JsonObject **out, const ReportJsonCtx *cx, GError **error);
gboolean report_json_array(JsonObject *obj, const char *member, ReportJsonFlags flags,
                           JsonArray **out, const ReportJsonCtx *cx, GError **error);

/* A scalar as text (numbers without a trailing ".0", strings verbatim, null as NULL). */
char *report_json_scalar_text(JsonNode *node);

#endif
