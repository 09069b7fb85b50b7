/* SimHandleMap: a map from a node's connection handles (non-zero guint32) to pointers.
 *
 * The node driver looks up the link of every SEND a node emits (a hundred thousand a run);
 * a GHashTable did that through two indirect calls per lookup. This is open addressing with
 * linear probing over a power-of-two table kept at most half full, slots picked by
 * Fibonacci hashing (handles are sequential, so neighbours spread out), and removal by
 * backward shift (no tombstones, so probes stay short however many links come and go).
 *
 * The map never iterates in any order that could reach results: clearing visits every slot
 * only to free the values. */
#ifndef SIM_HANDLE_MAP_H
#define SIM_HANDLE_MAP_H

#include <glib.h>

#include "core/assert.h"

typedef struct {
    guint32 key;    /* 0: empty */
    gpointer value; /* never NULL while key != 0 */
} SimHandleSlot;

typedef struct {
    SimHandleSlot *slots; /* 1 << bits of them */
    guint bits;
    guint len; /* keys present */
} SimHandleMap;

void sim_handle_map_init(SimHandleMap *m);
/* Free the table; values are the caller's (see sim_handle_map_clear). */
void sim_handle_map_destroy(SimHandleMap *m);
/* Remove every key, calling `free_value` (if not NULL) on each value. */
void sim_handle_map_clear(SimHandleMap *m, GDestroyNotify free_value);

/* Add `key` (non-zero, not present: asserted) with `value` (not NULL). */
void sim_handle_map_insert(SimHandleMap *m, guint32 key, gpointer value);
/* Remove `key`; its value, or NULL if it was not present. */
gpointer sim_handle_map_remove(SimHandleMap *m, guint32 key);

static inline guint sim_handle_map_home(const SimHandleMap *m, guint32 key)
{
    return (guint)((key * 2654435769u) >> (32 - m->bits));
}

/* The value of `key`, or NULL. */
static inline gpointer sim_handle_map_lookup(const SimHandleMap *m, guint32 key)
{
    guint mask = (1u << m->bits) - 1;
    for (guint i = sim_handle_map_home(m, key);; i = (i + 1) & mask) {
        const SimHandleSlot *s = &m->slots[i];
        if (s->key == key)
            return s->value;
        if (s->key == 0)
            return NULL;
    }
}

static inline guint sim_handle_map_size(const SimHandleMap *m)
{
    return m->len;
}

#endif
