/* RcHandleMap: a map from a node's connection handles (non-zero guint32) to pointers.
 *
 * A node looks up the connection of every delivery it gets, and the sim's node driver the
 * link of every SEND a node emits (each a hundred thousand a run); a GHashTable did that
 * through two indirect calls per lookup. This is open addressing with
 * linear probing over a power-of-two table kept at most half full, slots picked by
 * Fibonacci hashing (handles are sequential, so neighbours spread out), and removal by
 * backward shift (no tombstones, so probes stay short however many links come and go).
 *
 * The map never iterates in any order that could reach results: clearing visits every slot
 * only to free the values. */
#ifndef RC_HANDLE_MAP_H
#define RC_HANDLE_MAP_H

#include <glib.h>

#include "core/assert.h"

typedef struct {
    guint32 key;    /* 0: empty */
    gpointer value; /* never NULL while key != 0 */
} RcHandleSlot;

typedef struct {
    RcHandleSlot *slots; /* 1 << bits of them */
    guint bits;
    guint len; /* keys present */
} RcHandleMap;

void rc_handle_map_init(RcHandleMap *m);
/* Free the table; values are the caller's (see rc_handle_map_clear). */
void rc_handle_map_destroy(RcHandleMap *m);
/* Remove every key, calling `free_value` (if not NULL) on each value. */
void rc_handle_map_clear(RcHandleMap *m, GDestroyNotify free_value);

/* Add `key` (non-zero, not present: asserted) with `value` (not NULL). */
void rc_handle_map_insert(RcHandleMap *m, guint32 key, gpointer value);
/* Remove `key`; its value, or NULL if it was not present. */
gpointer rc_handle_map_remove(RcHandleMap *m, guint32 key);

static inline guint rc_handle_map_home(const RcHandleMap *m, guint32 key)
{
    return (guint)((key * 2654435769u) >> (32 - m->bits));
}

/* The value of `key`, or NULL. */
static inline gpointer rc_handle_map_lookup(const RcHandleMap *m, guint32 key)
{
    guint mask = (1u << m->bits) - 1;
    for (guint i = rc_handle_map_home(m, key);; i = (i + 1) & mask) {
        const RcHandleSlot *s = &m->slots[i];
        if (s->key == key)
            return s->value;
        if (s->key == 0)
            return NULL;
    }
}

static inline guint rc_handle_map_size(const RcHandleMap *m)
{
    return m->len;
}

#endif
