#include "reports/jsonread.h"

#include <math.h>

#include "reports/report.h"
#include "reports/results.h"

gboolean report_json_fail(const ReportJsonCtx *cx, const char *member, GError **error,
                          const char *reason_fmt, ...)
{
    va_list ap;
    va_start(ap, reason_fmt);
    g_autofree char *reason = g_strdup_vprintf(reason_fmt, ap);
    va_end(ap);
    const char *dot = (cx->prefix[0] != '\0' && member[0] != '\0' && member[0] != '[') ? "." : "";
    g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT, "%s: %s%s%s: %s", cx->where, cx->prefix,
                dot, member, reason);
    return FALSE;
}

/* Looks `member` up. Returns FALSE with an error when it is absent and required; sets *node
 * to NULL when it is absent (optional) or null (nullable). */
static gboolean lookup(JsonObject *obj, const char *member, ReportJsonFlags flags, JsonNode **node,
                       const ReportJsonCtx *cx, GError **error)
{
    *node = json_object_get_member(obj, member);
    if (*node == NULL) {
        if (flags & REPORT_JSON_OPTIONAL)
            return TRUE;
        return report_json_fail(cx, member, error, "missing");
    }
    if (JSON_NODE_HOLDS_NULL(*node)) {
        *node = NULL;
        if (flags & REPORT_JSON_NULLABLE)
            return TRUE;
        return report_json_fail(cx, member, error, "must not be null");
    }
    return TRUE;
}

static gboolean node_integer(JsonNode *node, gint64 *out)
{
    if (!JSON_NODE_HOLDS_VALUE(node))
        return FALSE;
    GType t = json_node_get_value_type(node);
    if (t == G_TYPE_INT64) {
        *out = json_node_get_int(node);
        return TRUE;
    }
    if (t == G_TYPE_DOUBLE) {
        double d = json_node_get_double(node);
        if (isfinite(d) && d == floor(d) && fabs(d) < 9.0e15) {
            *out = (gint64)d;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean report_json_int(JsonObject *obj, const char *member, ReportJsonFlags flags, gint64 *out,
                         const ReportJsonCtx *cx, GError **error)
{
    JsonNode *node;
    if (!lookup(obj, member, flags, &node, cx, error))
        return FALSE;
    if (node == NULL) {
        if (json_object_has_member(obj, member))
            *out = REPORT_NONE;
        return TRUE;
    }
    if (!node_integer(node, out))
        return report_json_fail(cx, member, error, "expected an integer");
    return TRUE;
}

gboolean report_json_double(JsonObject *obj, const char *member, ReportJsonFlags flags, double *out,
                            const ReportJsonCtx *cx, GError **error)
{
    JsonNode *node;
    *out = NAN;
    if (!lookup(obj, member, flags, &node, cx, error))
        return FALSE;
    if (node == NULL)
        return TRUE;
    GType t = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node) : G_TYPE_INVALID;
    if (t == G_TYPE_INT64)
        *out = (double)json_node_get_int(node);
    else if (t == G_TYPE_DOUBLE)
        *out = json_node_get_double(node);
    else
        return report_json_fail(cx, member, error, "expected a number");
    return TRUE;
}

gboolean report_json_string(JsonObject *obj, const char *member, ReportJsonFlags flags, char **out,
                            const ReportJsonCtx *cx, GError **error)
{
    JsonNode *node;
    *out = NULL;
    if (!lookup(obj, member, flags, &node, cx, error))
        return FALSE;
    if (node == NULL)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING)
        return report_json_fail(cx, member, error, "expected a string");
    *out = g_strdup(json_node_get_string(node));
    return TRUE;
}

gboolean report_json_bool(JsonObject *obj, const char *member, ReportJsonFlags flags, gboolean *out,
                          const ReportJsonCtx *cx, GError **error)
{
    JsonNode *node;
    if (!lookup(obj, member, flags, &node, cx, error))
        return FALSE;
    if (node == NULL)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN)
        return report_json_fail(cx, member, error, "expected true or false");
    *out = json_node_get_boolean(node);
    return TRUE;
}

gboolean report_json_object(JsonObject *obj, const char *member, ReportJsonFlags flags,
                            JsonObject **out, const ReportJsonCtx *cx, GError **error)
{
    JsonNode *node;
    *out = NULL;
    if (!lookup(obj, member, flags, &node, cx, error))
        return FALSE;
    if (node == NULL)
        return TRUE;
    if (!JSON_NODE_HOLDS_OBJECT(node))
        return report_json_fail(cx, member, error, "expected an object");
    *out = json_node_get_object(node);
    return TRUE;
}

gboolean report_json_array(JsonObject *obj, const char *member, ReportJsonFlags flags,
                           JsonArray **out, const ReportJsonCtx *cx, GError **error)
{
    JsonNode *node;
    *out = NULL;
    if (!lookup(obj, member, flags, &node, cx, error))
        return FALSE;
    if (node == NULL)
        return TRUE;
    if (!JSON_NODE_HOLDS_ARRAY(node))
        return report_json_fail(cx, member, error, "expected an array");
    *out = json_node_get_array(node);
    return TRUE;
}

char *report_json_scalar_text(JsonNode *node)
{
    if (node == NULL || JSON_NODE_HOLDS_NULL(node))
        return NULL;
    if (!JSON_NODE_HOLDS_VALUE(node))
        return json_to_string(node, FALSE);
    GType t = json_node_get_value_type(node);
    if (t == G_TYPE_STRING)
        return g_strdup(json_node_get_string(node));
    if (t == G_TYPE_INT64)
        return g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
    if (t == G_TYPE_BOOLEAN)
        return g_strdup(json_node_get_boolean(node) ? "true" : "false");
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.6g", json_node_get_double(node)));
}
