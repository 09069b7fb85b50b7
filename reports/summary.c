/* summary.json of one run (results contract), read into a ReportSummary.
 *
 * Required: scenario, seed, sim_time_ms, writes {acked, lost, lost_by_side}, loss_window,
 * unavailable_ms. Everything else the contract lists may be absent (older or partial runs),
 * but when present it must have the right type: a wrong type is `path: field: reason`. */
#include <string.h>

#include "reports/jsonread.h"
#include "reports/report.h"
#include "reports/results.h"

const char *report_side_name(ReportSide side)
{
    switch (side) {
    case REPORT_SIDE_MAJORITY:
        return "majority";
    case REPORT_SIDE_MINORITY:
        return "minority";
    case REPORT_SIDE_NONE:
    case REPORT_N_SIDES:
        break;
    }
    return "none";
}

static gboolean parse_side(const char *text, ReportSide *side)
{
    for (int s = 0; s < REPORT_N_SIDES; s++) {
        if (strcmp(text, report_side_name((ReportSide)s)) == 0) {
            *side = (ReportSide)s;
            return TRUE;
        }
    }
    return FALSE;
}

static void clear_failover(gpointer p)
{
    ReportFailover *f = p;
    g_free(f->failed_node);
    g_free(f->promoted_node);
}

static void clear_fault(gpointer p)
{
    ReportFault *f = p;
    g_free(f->kind);
    g_free(f->label);
    g_free(f->minority);
    g_free(f->nodes);
    g_free(f->error);
}

static void clear_lost(gpointer p)
{
    ReportLostWrite *l = p;
    g_free(l->process);
    g_free(l->key);
    g_free(l->value);
    g_free(l->node);
}

static void clear_event(gpointer p)
{
    ReportNodeEvent *e = p;
    g_free(e->node);
    g_free(e->event);
    g_free(e->peer);
    g_free(e->value);
}

static void clear_property(gpointer p)
{
    ReportProperty *pr = p;
    g_free(pr->name);
    g_free(pr->detail);
}

void report_summary_free(ReportSummary *s)
{
    if (s == NULL)
        return;
    g_free(s->path);
    g_free(s->scenario);
    g_free(s->scenario_name);
    g_free(s->trace_sha256);
    g_free(s->rcsim_version);
    g_free(s->replay);
    g_ptr_array_unref(s->param_names);
    g_ptr_array_unref(s->param_values);
    g_array_unref(s->failovers);
    g_array_unref(s->faults);
    g_array_unref(s->lost_writes);
    g_array_unref(s->node_events);
    g_array_unref(s->properties);
    g_free(s);
}

static ReportSummary *summary_new(const char *path)
{
    ReportSummary *s = g_new0(ReportSummary, 1);
    s->path = g_strdup(path);
    s->events = REPORT_NONE;
    s->indeterminate = REPORT_NONE;
    s->recovered = REPORT_NONE;
    s->unread = REPORT_NONE;
    s->converge_ms = REPORT_NONE;
    s->verdict = -1;
    s->converged = -1;
    s->param_names = g_ptr_array_new_with_free_func(g_free);
    s->param_values = g_ptr_array_new_with_free_func(g_free);
    s->failovers = g_array_new(FALSE, TRUE, sizeof(ReportFailover));
    g_array_set_clear_func(s->failovers, clear_failover);
    s->faults = g_array_new(FALSE, TRUE, sizeof(ReportFault));
    g_array_set_clear_func(s->faults, clear_fault);
    s->lost_writes = g_array_new(FALSE, TRUE, sizeof(ReportLostWrite));
    g_array_set_clear_func(s->lost_writes, clear_lost);
    s->node_events = g_array_new(FALSE, TRUE, sizeof(ReportNodeEvent));
    g_array_set_clear_func(s->node_events, clear_event);
    s->properties = g_array_new(FALSE, TRUE, sizeof(ReportProperty));
    g_array_set_clear_func(s->properties, clear_property);
    return s;
}

/* A count that must be present and not negative. */
static gboolean read_count(JsonObject *o, const char *member, gint64 *out, const ReportJsonCtx *cx,
                           GError **error)
{
    if (!report_json_int(o, member, REPORT_JSON_REQUIRED, out, cx, error))
        return FALSE;
    if (*out < 0)
        return report_json_fail(cx, member, error, "must not be negative");
    return TRUE;
}

static gboolean read_writes(JsonObject *root, ReportSummary *s, const ReportJsonCtx *top,
                            GError **error)
{
    JsonObject *w, *by_side;
    if (!report_json_object(root, "writes", REPORT_JSON_REQUIRED, &w, top, error))
        return FALSE;
    ReportJsonCtx cx = {top->where, "writes"};
    if (!read_count(w, "acked", &s->acked, &cx, error) ||
        !read_count(w, "lost", &s->lost, &cx, error) ||
        !report_json_int(w, "indeterminate", REPORT_JSON_OPTIONAL, &s->indeterminate, &cx, error) ||
        !report_json_int(w, "recovered", REPORT_JSON_OPTIONAL, &s->recovered, &cx, error) ||
        !report_json_int(w, "unread", REPORT_JSON_OPTIONAL, &s->unread, &cx, error) ||
        !report_json_object(w, "lost_by_side", REPORT_JSON_REQUIRED, &by_side, &cx, error))
        return FALSE;
    ReportJsonCtx sx = {top->where, "writes.lost_by_side"};
    for (int side = 0; side < REPORT_N_SIDES; side++) {
        const char *name = report_side_name((ReportSide)side);
        if (side == REPORT_SIDE_NONE && !json_object_has_member(by_side, name))
            continue; /* "none" only appears when something outside a partition was lost */
        if (!read_count(by_side, name, &s->lost_by_side[side], &sx, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean read_windows(JsonObject *root, ReportSummary *s, const ReportJsonCtx *top,
                             GError **error)
{
    JsonObject *lw, *u;
    if (!report_json_object(root, "loss_window", REPORT_JSON_REQUIRED, &lw, top, error) ||
        !report_json_object(root, "unavailable_ms", REPORT_JSON_REQUIRED, &u, top, error))
        return FALSE;
    ReportJsonCtx ux = {top->where, "unavailable_ms"};
    for (int side = 0; side < REPORT_N_SIDES; side++) {
        const char *name = report_side_name((ReportSide)side);
        JsonObject *w;
        ReportJsonCtx cx = {top->where, "loss_window"};
        /* "none" (lost while no partition was in force) came later: optional */
        ReportJsonFlags flags = REPORT_JSON_NULLABLE;
        if (side == REPORT_SIDE_NONE)
            flags |= REPORT_JSON_OPTIONAL;
        if (!report_json_object(lw, name, flags, &w, &cx, error))
            return FALSE;
        if (side != REPORT_SIDE_NONE && !read_count(u, name, &s->unavailable_ms[side], &ux, error))
            return FALSE;
        if (w == NULL)
            continue;
        g_autofree char *prefix = g_strdup_printf("loss_window.%s", name);
        ReportJsonCtx wx = {top->where, prefix};
        ReportWindow *win = &s->window[side];
        if (!report_json_int(w, "first_ms", REPORT_JSON_REQUIRED, &win->first_ms, &wx, error) ||
            !report_json_int(w, "last_ms", REPORT_JSON_REQUIRED, &win->last_ms, &wx, error))
            return FALSE;
        win->width_ms = win->last_ms - win->first_ms;
        if (!report_json_int(w, "width_ms", REPORT_JSON_OPTIONAL, &win->width_ms, &wx, error))
            return FALSE;
        if (win->last_ms < win->first_ms)
            return report_json_fail(&wx, "last_ms", error, "is before first_ms");
        win->is_present = TRUE;
    }
    return TRUE;
}

static gboolean read_params(JsonObject *root, ReportSummary *s, const ReportJsonCtx *top,
                            GError **error)
{
    JsonObject *params;
    if (!report_json_object(root, "params", REPORT_JSON_OPTIONAL, &params, top, error))
        return FALSE;
    if (params == NULL)
        return TRUE;
    g_autoptr(GList) names = json_object_get_members(params); /* file order */
    for (GList *l = names; l != NULL; l = l->next) {
        JsonNode *value = json_object_get_member(params, l->data);
        g_ptr_array_add(s->param_names, g_strdup(l->data));
        char *text = report_json_scalar_text(value);
        g_ptr_array_add(s->param_values, text != NULL ? text : g_strdup("null"));
    }
    return TRUE;
}

/* Calls `one` on each element of the optional array `member`, which must hold objects. */
typedef gboolean (*ElementReader)(JsonObject *o, ReportSummary *s, const ReportJsonCtx *cx,
                                  GError **error);

static gboolean read_each(JsonObject *root, const char *member, ElementReader one, ReportSummary *s,
                          const ReportJsonCtx *top, GError **error)
{
    JsonArray *arr;
    if (!report_json_array(root, member, REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE, &arr, top,
                           error))
        return FALSE;
    guint n = arr != NULL ? json_array_get_length(arr) : 0;
    for (guint i = 0; i < n; i++) {
        g_autofree char *prefix = g_strdup_printf("%s[%u]", member, i);
        ReportJsonCtx cx = {top->where, prefix};
        JsonNode *node = json_array_get_element(arr, i);
        if (!JSON_NODE_HOLDS_OBJECT(node))
            return report_json_fail(&cx, "", error, "expected an object");
        if (!one(json_node_get_object(node), s, &cx, error))
            return FALSE;
    }
    return TRUE;
}

static gboolean read_failover(JsonObject *o, ReportSummary *s, const ReportJsonCtx *cx,
                              GError **error)
{
    ReportFailover f = {0};
    const ReportJsonFlags maybe = REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE;
    f.fault_ms = f.pfail_ms = f.fail_ms = f.election_ms = f.promoted_ms = f.epoch = REPORT_NONE;
    gboolean ok = report_json_string(o, "failed_node", maybe, &f.failed_node, cx, error) &&
                  report_json_string(o, "promoted_node", maybe, &f.promoted_node, cx, error) &&
                  report_json_int(o, "fault_ms", maybe, &f.fault_ms, cx, error) &&
                  report_json_int(o, "pfail_ms", maybe, &f.pfail_ms, cx, error) &&
                  report_json_int(o, "fail_ms", maybe, &f.fail_ms, cx, error) &&
                  report_json_int(o, "election_ms", maybe, &f.election_ms, cx, error) &&
                  report_json_int(o, "promoted_ms", maybe, &f.promoted_ms, cx, error) &&
                  report_json_int(o, "epoch", maybe, &f.epoch, cx, error);
    if (!ok) {
        clear_failover(&f);
        return FALSE;
    }
    if (f.failed_node == NULL)
        f.failed_node = g_strdup("?");
    g_array_append_val(s->failovers, f);
    return TRUE;
}

static char *join_names(JsonArray *arr)
{
    GString *out = g_string_new(NULL);
    guint n = arr != NULL ? json_array_get_length(arr) : 0;
    for (guint i = 0; i < n; i++) {
        g_autofree char *t = report_json_scalar_text(json_array_get_element(arr, i));
        if (t == NULL)
            continue;
        if (out->len > 0)
            g_string_append_c(out, ' ');
        g_string_append(out, t);
    }
    return g_string_free(out, FALSE);
}

static gboolean read_fault(JsonObject *o, ReportSummary *s, const ReportJsonCtx *cx, GError **error)
{
    ReportFault f = {0};
    JsonArray *minority, *nodes;
    f.end_ms = REPORT_NONE;
    gboolean ok = report_json_string(o, "kind", REPORT_JSON_REQUIRED, &f.kind, cx, error) &&
                  report_json_int(o, "start_ms", REPORT_JSON_REQUIRED, &f.start_ms, cx, error) &&
                  report_json_int(o, "end_ms", REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE,
                                  &f.end_ms, cx, error) &&
                  report_json_string(o, "label", REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE,
                                     &f.label, cx, error) &&
                  report_json_array(o, "minority", REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE,
                                    &minority, cx, error) &&
                  report_json_array(o, "nodes", REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE, &nodes,
                                    cx, error) &&
                  report_json_string(o, "error", REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE,
                                     &f.error, cx, error);
    if (ok && f.end_ms != REPORT_NONE && f.end_ms < f.start_ms)
        ok = report_json_fail(cx, "end_ms", error, "is before start_ms");
    if (!ok) {
        clear_fault(&f);
        return FALSE;
    }
    if (f.label == NULL)
        f.label = g_strdup("");
    f.minority = join_names(minority);
    f.nodes = join_names(nodes);
    g_array_append_val(s->faults, f);
    return TRUE;
}

static gboolean read_lost(JsonObject *o, ReportSummary *s, const ReportJsonCtx *cx, GError **error)
{
    ReportLostWrite l = {0};
    g_autofree char *side = NULL;
    l.fault_index = REPORT_NONE;
    const ReportJsonFlags maybe = REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE;
    gboolean ok = report_json_int(o, "ack_ms", REPORT_JSON_REQUIRED, &l.ack_ms, cx, error) &&
                  report_json_string(o, "side", REPORT_JSON_REQUIRED, &side, cx, error) &&
                  report_json_string(o, "node", maybe, &l.node, cx, error) &&
                  report_json_int(o, "fault_index", maybe, &l.fault_index, cx, error);
    if (ok && !parse_side(side, &l.side))
        ok = report_json_fail(cx, "side", error, "expected majority, minority or none, not '%s'",
                              side);
    if (!ok) {
        clear_lost(&l);
        return FALSE;
    }
    l.process = report_json_scalar_text(json_object_get_member(o, "process"));
    l.key = report_json_scalar_text(json_object_get_member(o, "key"));
    l.value = report_json_scalar_text(json_object_get_member(o, "value"));
    g_array_append_val(s->lost_writes, l);
    return TRUE;
}

static gboolean read_event(JsonObject *o, ReportSummary *s, const ReportJsonCtx *cx, GError **error)
{
    ReportNodeEvent e = {0};
    gboolean ok = report_json_int(o, "t_ms", REPORT_JSON_REQUIRED, &e.t_ms, cx, error) &&
                  report_json_string(o, "event", REPORT_JSON_REQUIRED, &e.event, cx, error);
    if (!ok) {
        clear_event(&e);
        return FALSE;
    }
    e.node = report_json_scalar_text(json_object_get_member(o, "node"));
    e.peer = report_json_scalar_text(json_object_get_member(o, "peer"));
    e.value = report_json_scalar_text(json_object_get_member(o, "value"));
    g_array_append_val(s->node_events, e);
    return TRUE;
}

static gboolean read_property(JsonObject *o, ReportSummary *s, const ReportJsonCtx *cx,
                              GError **error)
{
    ReportProperty p = {0};
    gboolean ok = report_json_string(o, "name", REPORT_JSON_REQUIRED, &p.name, cx, error) &&
                  report_json_bool(o, "ok", REPORT_JSON_REQUIRED, &p.is_ok, cx, error) &&
                  report_json_string(o, "detail", REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE,
                                     &p.detail, cx, error);
    if (!ok) {
        clear_property(&p);
        return FALSE;
    }
    g_array_append_val(s->properties, p);
    return TRUE;
}

/* An optional boolean as 1, 0, or -1 when absent or null. */
static gboolean read_tristate(JsonObject *root, const char *member, int *out,
                              const ReportJsonCtx *cx, GError **error)
{
    gboolean value = FALSE;
    *out = -1;
    JsonNode *node = json_object_get_member(root, member);
    if (node == NULL || JSON_NODE_HOLDS_NULL(node))
        return TRUE;
    if (!report_json_bool(root, member, REPORT_JSON_REQUIRED, &value, cx, error))
        return FALSE;
    *out = value ? 1 : 0;
    return TRUE;
}

static gboolean read_header(JsonObject *root, ReportSummary *s, const ReportJsonCtx *cx,
                            GError **error)
{
    const ReportJsonFlags opt = REPORT_JSON_OPTIONAL | REPORT_JSON_NULLABLE;
    if (!report_json_string(root, "scenario", REPORT_JSON_REQUIRED, &s->scenario, cx, error) ||
        !report_json_string(root, "scenario_name", opt, &s->scenario_name, cx, error) ||
        !report_json_int(root, "seed", REPORT_JSON_REQUIRED, &s->seed, cx, error) ||
        !report_json_string(root, "trace_sha256", opt, &s->trace_sha256, cx, error) ||
        !report_json_int(root, "sim_time_ms", REPORT_JSON_REQUIRED, &s->sim_time_ms, cx, error) ||
        !report_json_int(root, "events", opt, &s->events, cx, error) ||
        !report_json_string(root, "rcsim_version", opt, &s->rcsim_version, cx, error) ||
        !report_json_string(root, "replay", opt, &s->replay, cx, error) ||
        !report_json_bool(root, "node_events_truncated", opt, &s->is_node_events_truncated, cx,
                          error) ||
        !read_tristate(root, "ok", &s->verdict, cx, error) ||
        !read_tristate(root, "converged", &s->converged, cx, error) ||
        !report_json_bool(root, "aborted", opt, &s->is_aborted, cx, error) ||
        !report_json_int(root, "converge_ms", opt, &s->converge_ms, cx, error))
        return FALSE;
    if (s->sim_time_ms < 0)
        return report_json_fail(cx, "sim_time_ms", error, "must not be negative");
    return TRUE;
}

ReportSummary *report_summary_load(const char *path, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(GError) local = NULL;
    if (!json_parser_load_from_file(parser, path, &local)) {
        /* json-glib already says "path:line:col: Parse error: ..."; I/O errors do not. */
        if (g_str_has_prefix(local->message, path))
            g_set_error_literal(error, REPORT_ERROR, REPORT_ERROR_INPUT, local->message);
        else
            g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT, "%s: %s", path, local->message);
        return NULL;
    }
    ReportJsonCtx top = {path, ""};
    JsonNode *root = json_parser_get_root(parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, REPORT_ERROR, REPORT_ERROR_INPUT,
                    "%s: (top level): expected a JSON object", path);
        return NULL;
    }
    JsonObject *o = json_node_get_object(root);
    g_autoptr(ReportSummary) s = summary_new(path);
    if (!read_header(o, s, &top, error) || !read_params(o, s, &top, error) ||
        !read_writes(o, s, &top, error) || !read_windows(o, s, &top, error) ||
        !read_each(o, "failovers", read_failover, s, &top, error) ||
        !read_each(o, "faults", read_fault, s, &top, error) ||
        !read_each(o, "lost_writes", read_lost, s, &top, error) ||
        !read_each(o, "node_events", read_event, s, &top, error) ||
        !read_each(o, "properties", read_property, s, &top, error))
        return NULL;
    return g_steal_pointer(&s);
}

/* A time parameter as the runner writes it ("40s", "500ms", "250us", "2m"; a bare number is
 * milliseconds, as in scenario files), in whole milliseconds; REPORT_NONE if absent or not a
 * time. */
gint64 report_summary_param_ms(const ReportSummary *s, const char *name)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"", 1}, {"ms", 1}, {"us", 0.001}, {"s", 1000}, {"m", 60000}};
    for (guint i = 0; i < s->param_names->len; i++) {
        if (strcmp(g_ptr_array_index(s->param_names, i), name) != 0)
            continue;
        const char *text = g_ptr_array_index(s->param_values, i);
        char *end = NULL;
        double v = g_ascii_strtod(text, &end);
        if (end == text || !(v >= 0) || v > 1e15)
            return REPORT_NONE;
        for (gsize u = 0; u < G_N_ELEMENTS(units); u++)
            if (strcmp(end, units[u].unit) == 0)
                return (gint64)(v * units[u].ms);
        return REPORT_NONE;
    }
    return REPORT_NONE;
}

gint64 report_summary_param_int(const ReportSummary *s, const char *name)
{
    for (guint i = 0; i < s->param_names->len; i++) {
        if (strcmp(g_ptr_array_index(s->param_names, i), name) != 0)
            continue;
        gint64 v;
        if (g_ascii_string_to_signed(g_ptr_array_index(s->param_values, i), 10, 0, G_MAXINT64, &v,
                                     NULL))
            return v;
    }
    return REPORT_NONE;
}
