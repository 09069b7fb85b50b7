#include "sim/json_out.h"

#include <json-glib/json-glib.h>

#include "core/assert.h"
#include "core/resp.h"

/* summary.json, written as json-glib's pretty generator (indent 2) writes it (json_out.h).
 *
 * The text is appended directly rather than built as a JsonBuilder tree and then generated:
 * the tree (a node and a hash table entry per member, some 14 k members with the node
 * events) cost about as much as 4 % of a run. The layout is json-glib's: a container's
 * elements each on their own line, "name" : value, an empty array as [], an empty object as
 * { and } around the closing indent. Strings of plain printable ASCII are written as they
 * are; any other string, and every double, is rendered by json-glib itself so that its
 * escapes and number format stay the reference. test_run compares the whole text with
 * json-glib's regeneration of it. */

static void json_out_indent(SimJsonOut *w, guint level)
{
    static const char spaces[2 * SIM_JSON_OUT_DEPTH_MAX + 1] = "                ";
    rc_assert(level <= SIM_JSON_OUT_DEPTH_MAX);
    rc_string_put(w->out, spaces, 2 * level);
}

/* The length of `s` when it is plain printable ASCII needing no escape, else -1. */
static gssize json_plain_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
            return -1;
    return p - (const unsigned char *)s;
}

/* A JSON string literal, quotes included. */
static void json_out_quoted(SimJsonOut *w, const char *s)
{
    gssize len = json_plain_len(s);
    if (len >= 0) {
        RC_STRING_PUT_LIT(w->out, "\"");
        rc_string_put(w->out, s, (gsize)len);
        RC_STRING_PUT_LIT(w->out, "\"");
        return;
    }
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_VALUE);
    json_node_set_string(node, s);
    g_autofree char *text = json_to_string(node, FALSE);
    g_string_append(w->out, text);
}

/* Before any value: the separator and indent of its container, and its member name. */
static void json_out_value_start(SimJsonOut *w)
{
    if (w->depth > 0) {
        gboolean *has = &w->has_items[w->depth - 1];
        if (*has)
            RC_STRING_PUT_LIT(w->out, ",\n");
        else
            RC_STRING_PUT_LIT(w->out, "\n");
        *has = TRUE;
        json_out_indent(w, w->depth);
    }
    if (w->name != NULL) {
        rc_assert(w->depth > 0 && w->is_object[w->depth - 1]);
        json_out_quoted(w, w->name);
        RC_STRING_PUT_LIT(w->out, " : ");
        w->name = NULL;
    }
}

static void json_out_name(SimJsonOut *w, const char *name)
{
    rc_assert(w->name == NULL);
    w->name = name;
}

static void json_out_open(SimJsonOut *w, gboolean is_object)
{
    json_out_value_start(w);
    rc_assert(w->depth < SIM_JSON_OUT_DEPTH_MAX);
    g_string_append_c(w->out, is_object ? '{' : '[');
    w->has_items[w->depth] = FALSE;
    w->is_object[w->depth] = is_object;
    w->depth++;
}

static void json_out_close(SimJsonOut *w, gboolean is_object)
{
    rc_assert(w->depth > 0 && w->is_object[w->depth - 1] == is_object && w->name == NULL);
    w->depth--;
    if (w->has_items[w->depth]) {
        g_string_append_c(w->out, '\n');
        json_out_indent(w, w->depth);
    } else if (is_object) {
        json_out_indent(w, w->depth); /* json-glib indents even an empty object's close */
    }
    g_string_append_c(w->out, is_object ? '}' : ']');
}

void sim_json_out_begin_object(SimJsonOut *w)
{
    json_out_open(w, TRUE);
}

void sim_json_out_end_object(SimJsonOut *w)
{
    json_out_close(w, TRUE);
}

void sim_json_out_begin_array(SimJsonOut *w)
{
    json_out_open(w, FALSE);
}

void sim_json_out_end_array(SimJsonOut *w)
{
    json_out_close(w, FALSE);
}

void sim_json_out_set_member_name(SimJsonOut *w, const char *name)
{
    json_out_name(w, name);
}

void sim_json_out_add_int_value(SimJsonOut *w, gint64 v)
{
    json_out_value_start(w);
    char tmp[RC_LL_DIGITS_MAX];
    const char *p = rc_format_ll(tmp, v);
    rc_string_put(w->out, p, (gsize)(tmp + RC_LL_DIGITS_MAX - p));
}

void sim_json_out_add_string_value(SimJsonOut *w, const char *v)
{
    json_out_value_start(w);
    json_out_quoted(w, v);
}

void sim_json_out_add_boolean_value(SimJsonOut *w, gboolean v)
{
    json_out_value_start(w);
    if (v)
        RC_STRING_PUT_LIT(w->out, "true");
    else
        RC_STRING_PUT_LIT(w->out, "false");
}

void sim_json_out_add_null_value(SimJsonOut *w)
{
    json_out_value_start(w);
    RC_STRING_PUT_LIT(w->out, "null");
}

void sim_json_out_add_double_value(SimJsonOut *w, double v)
{
    json_out_value_start(w);
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_VALUE);
    json_node_set_double(node, v);
    g_autofree char *text = json_to_string(node, FALSE);
    g_string_append(w->out, text);
}

void sim_json_out_int_member(SimJsonOut *w, const char *name, gint64 v)
{
    sim_json_out_set_member_name(w, name);
    sim_json_out_add_int_value(w, v);
}

void sim_json_out_string_member(SimJsonOut *w, const char *name, const char *v)
{
    sim_json_out_set_member_name(w, name);
    sim_json_out_add_string_value(w, v);
}

void sim_json_out_boolean_member(SimJsonOut *w, const char *name, gboolean v)
{
    sim_json_out_set_member_name(w, name);
    sim_json_out_add_boolean_value(w, v);
}
