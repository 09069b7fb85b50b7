/* RcHandleMap: open addressing with linear probing. See handle_map.h. */
#include "core/handle_map.h"

#define MIN_BITS 3  /* 8 slots */
#define MAX_BITS 30 /* 2^29 keys: far beyond any node's connections */

void rc_handle_map_init(RcHandleMap *m)
{
    m->bits = MIN_BITS;
    m->slots = g_new0(RcHandleSlot, 1u << m->bits);
    m->len = 0;
}

void rc_handle_map_destroy(RcHandleMap *m)
{
    g_free(m->slots);
    m->slots = NULL;
    m->len = 0;
}

void rc_handle_map_clear(RcHandleMap *m, GDestroyNotify free_value)
{
    for (guint i = 0; i < (1u << m->bits); i++) {
        RcHandleSlot *s = &m->slots[i];
        if (s->key != 0 && free_value != NULL)
            free_value(s->value);
        s->key = 0;
        s->value = NULL;
    }
    m->len = 0;
}

/* Put a key known to be absent into a table with room for it. */
static void place(RcHandleMap *m, guint32 key, gpointer value)
{
    guint mask = (1u << m->bits) - 1;
    guint i = rc_handle_map_home(m, key);
    while (m->slots[i].key != 0)
        i = (i + 1) & mask;
    m->slots[i].key = key;
    m->slots[i].value = value;
}

/* Double the table and place every key again. */
static void grow(RcHandleMap *m)
{
    rc_assert(m->bits < MAX_BITS);
    RcHandleSlot *old = m->slots;
    guint old_n = 1u << m->bits;
    m->bits++;
    m->slots = g_new0(RcHandleSlot, 1u << m->bits);
    for (guint i = 0; i < old_n; i++)
        if (old[i].key != 0)
            place(m, old[i].key, old[i].value);
    g_free(old);
}

void rc_handle_map_insert(RcHandleMap *m, guint32 key, gpointer value)
{
    rc_assert(key != 0 && value != NULL);
    rc_assert(rc_handle_map_lookup(m, key) == NULL); /* handles are never reused */
    if (2 * (m->len + 1) > (1u << m->bits))          /* keep at most half full: short probes */
        grow(m);
    place(m, key, value);
    m->len++;
}

/* Is slot `i` between `from` and `to` going round the table: [from, to] cyclically? */
static gboolean cyclic_between(guint from, guint i, guint to)
{
    return from <= to ? (from <= i && i <= to) : (from <= i || i <= to);
}

gpointer rc_handle_map_remove(RcHandleMap *m, guint32 key)
{
    guint mask = (1u << m->bits) - 1;
    guint i = rc_handle_map_home(m, key);
    while (m->slots[i].key != key) {
        if (m->slots[i].key == 0)
            return NULL;
        i = (i + 1) & mask;
    }
    gpointer value = m->slots[i].value;
    /* Backward shift: pull later keys of the probe chain into the hole when the hole lies
     * between their home and where they sit, so every key stays reachable from its home. */
    guint hole = i;
    for (guint j = (hole + 1) & mask; m->slots[j].key != 0; j = (j + 1) & mask) {
        guint home = rc_handle_map_home(m, m->slots[j].key);
        if (cyclic_between(home, hole, j)) { /* hole != j: j runs ahead of it */
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].key = 0;
    m->slots[hole].value = NULL;
    m->len--;
    return value;
}
