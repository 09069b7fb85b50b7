/* summary.json's writer: JSON appended to a GString in json-glib's pretty layout. */
#ifndef SIM_JSON_OUT_H
#define SIM_JSON_OUT_H

#include <glib.h>

#define SIM_JSON_OUT_DEPTH_MAX 8

typedef struct {
    GString *out;
    const char *name; /* the member name for the next value, or NULL (array element, root) */
    guint depth;      /* containers open */
    gboolean has_items[SIM_JSON_OUT_DEPTH_MAX]; /* an element was written in that container */
    gboolean is_object[SIM_JSON_OUT_DEPTH_MAX];
} SimJsonOut;

/* Start with `SimJsonOut w = {.out = string};` and write one root value. */
void sim_json_out_begin_object(SimJsonOut *w);
void sim_json_out_end_object(SimJsonOut *w);
void sim_json_out_begin_array(SimJsonOut *w);
void sim_json_out_end_array(SimJsonOut *w);
/* The member name of the next value written in the open object. Names must be distinct within
 * an object: JsonBuilder would keep the last value of a repeated name, this writer both. */
void sim_json_out_set_member_name(SimJsonOut *w, const char *name);
void sim_json_out_add_int_value(SimJsonOut *w, gint64 v);
void sim_json_out_add_string_value(SimJsonOut *w, const char *v);
void sim_json_out_add_boolean_value(SimJsonOut *w, gboolean v);
void sim_json_out_add_null_value(SimJsonOut *w);
void sim_json_out_add_double_value(SimJsonOut *w, double v);
/* A member and its value in one call. */
void sim_json_out_int_member(SimJsonOut *w, const char *name, gint64 v);
void sim_json_out_string_member(SimJsonOut *w, const char *name, const char *v);
void sim_json_out_boolean_member(SimJsonOut *w, const char *name, gboolean v);

#endif
