/* The keyspace: db 0 of one node (db.c, object.c, expire.c, t_set/t_hash encodings).
 *
 * Keys are binary strings. Values are strings, lists, sets or hashes. A key may carry an
 * absolute expire time in the node's milliseconds; this module only stores it. Deciding
 * what an expired key means (lazy expiry, replicas that keep expired keys, DEL
 * propagation) is db.c's job.
 *
 * Besides the dictionary the keyspace keeps, as Redis 7.0 does for cluster mode, one list
 * of keys per hash slot with the newest key first (db.c slotToKeyAddEntry), for CLUSTER
 * COUNTKEYSINSLOT / GETKEYSINSLOT and for dropping a slot's keys; and an index of keys by
 * expire time for the active expire cycle. Nothing here iterates a hash table: every
 * ordered walk goes by slot number, list order or expire time. */
#ifndef RC_KEYSPACE_H
#define RC_KEYSPACE_H

#include <glib.h>

#include "core/node_private.h"

typedef enum {
    RC_TYPE_STRING,
    RC_TYPE_LIST,
    RC_TYPE_SET,
    RC_TYPE_HASH,
} RcObjType;

/* Redis 7.0 keeps a set whose members are all integers (at most set-max-intset-entries)
 * as a sorted intset; any other set is a hashtable and never goes back. We keep members
 * in insertion order and remember whether Redis would hold an intset, to answer SMEMBERS
 * in sorted numeric order when it would. */
#define RC_SET_MAX_INTSET_ENTRIES 512

typedef struct {
    guint8 *bytes;      /* the members' bytes back to back, in insertion order */
    gsize bytes_cap;    /* allocated size of `bytes` */
    guint32 *offsets;   /* member i is bytes[offsets[i] .. offsets[i + 1]); count + 1 used */
    guint offsets_cap;  /* allocated entries of `offsets` */
    guint count;        /* members */
    guint32 bytes_used; /* offsets[count], the bytes in use: an append reads no offsets */
    guint32 *index;     /* open addressing over the members' bytes (set.c): 1 + the member's
                           position in the low bits below index_mask's top (0 = empty), the
                           hash's low bits above, so a probe reads a member only when those
                           match; never iterated; NULL while the set is empty */
    guint32 index_mask; /* index size - 1 (a power of two, more than 4/3 of the members) */
    gboolean is_intset;
} RcSet;

typedef struct {
    GBytes *field;
    GBytes *value;
} RcHashField;

/* Small hashes are listpacks in Redis 7.0: fields in insertion order, an update keeps a
 * field's place, a delete closes the gap. We keep that order for every size. */
typedef struct {
    GHashTable *index; /* field GBytes -> RcHashField* (never iterated) */
    GPtrArray *order;  /* RcHashField*, insertion order; owns them */
} RcHash;

typedef struct {
    RcObjType type;
    union {
        GString *str;
        GQueue *list; /* of GBytes*, head = index 0 */
        RcSet *set;
        RcHash *hash;
    } v;
} RcObject;

/* A key's bytes, as the dictionary hashes and compares them (lookups need no GBytes). */
typedef struct {
    const void *data;
    gsize len;
} RcKeyRef;

typedef struct RcKey RcKey;
struct RcKey {
    RcKeyRef ref;       /* the dictionary's key: points into `key` */
    guint32 hash;       /* the dictionary's hash of ref */
    GBytes *key;        /* owned */
    RcObject *val;      /* owned */
    gint64 expire_ms;   /* absolute unix-style ms on the node's clock, -1 = none */
    guint64 expire_seq; /* tie-break in the expire index */
    int slot;           /* keyHashSlot(key) */
    RcKey *slot_prev;   /* toward the newest key of the slot */
    RcKey *slot_next;   /* toward the oldest */
};

RcObject *rc_object_new_string(const void *data, gsize len);
RcObject *rc_object_new_list(void);
RcObject *rc_object_new_set(void); /* empty; an intset until a member says otherwise */
RcObject *rc_object_new_hash(void);
void rc_object_free(RcObject *o);
RcObject *rc_object_copy(const RcObject *o);
const char *rc_object_type_name(RcObjType type); /* "string", "list", ... */

/* Sets. Members are borrowed on input and copied into the set's block when stored. */
gboolean rc_set_add(RcSet *s, GBytes *member);    /* TRUE if added */
gboolean rc_set_remove(RcSet *s, GBytes *member); /* TRUE if removed */
gboolean rc_set_contains(const RcSet *s, GBytes *member);
gboolean rc_set_add_data(RcSet *s, const void *data, gsize len);
gboolean rc_set_remove_data(RcSet *s, const void *data, gsize len);
gboolean rc_set_contains_data(const RcSet *s, const void *data, gsize len);
guint rc_set_size(const RcSet *s);
/* An empty set in zeroed storage; its storage freed (not the RcSet); a deep copy into `dst`. */
void rc_set_init(RcSet *s);
void rc_set_clear(RcSet *s);
void rc_set_copy(RcSet *dst, const RcSet *src);
/* The hash of a key's or member's bytes for the in-memory indexes (set.c). */
guint32 rc_bytes_hash(const void *data, gsize len);
/* Member `i` (0 <= i < rc_set_size(), insertion order): its bytes, borrowed until the set
 * changes, and their length. */
static inline const guint8 *rc_set_member(const RcSet *s, guint i, gsize *len)
{
    rc_assert(i < s->count);
    *len = s->offsets[i + 1] - s->offsets[i];
    return s->bytes + s->offsets[i];
}
/* The members' positions in SMEMBERS order: sorted numerically for an intset, insertion
 * order otherwise. A new array of rc_set_size() entries; g_free() it. */
guint32 *rc_set_members_order(const RcSet *s);

/* Hashes. */
gboolean rc_hash_set(RcHash *h, GBytes *field, GBytes *value); /* TRUE if the field is new */
GBytes *rc_hash_get(const RcHash *h, GBytes *field);           /* borrowed or NULL */
gboolean rc_hash_del(RcHash *h, GBytes *field);
guint rc_hash_size(const RcHash *h);

typedef struct RcKeyspace RcKeyspace;

RcKeyspace *rc_keyspace_new(void);
void rc_keyspace_free(RcKeyspace *db);

/* The key's entry whatever its expire time, or NULL. */
RcKey *rc_keyspace_find(const RcKeyspace *db, const void *key, gsize len);
/* Add a key that does not exist (dbAdd); takes `val`. */
RcKey *rc_keyspace_add(RcKeyspace *db, GBytes *key, RcObject *val);
/* Replace the value of an existing key (dbOverwrite); takes `val`; keeps the TTL. */
void rc_keyspace_overwrite(RcKeyspace *db, RcKey *k, RcObject *val);
/* setKey(): add or overwrite; drops the TTL unless `keep_ttl`. */
RcKey *rc_keyspace_set(RcKeyspace *db, GBytes *key, RcObject *val, gboolean keep_ttl);
/* Remove a key; FALSE if it did not exist. */
gboolean rc_keyspace_delete(RcKeyspace *db, const void *key, gsize len);
void rc_keyspace_delete_entry(RcKeyspace *db, RcKey *k);

void rc_keyspace_set_expire(RcKeyspace *db, RcKey *k, gint64 when_ms);
gboolean rc_keyspace_persist(RcKeyspace *db, RcKey *k); /* TRUE if a TTL was removed */
/* keyIsExpired(): strictly past its time. */
static inline gboolean rc_key_is_expired(const RcKey *k, gint64 now_ms)
{
    return k->expire_ms >= 0 && now_ms > k->expire_ms;
}

guint64 rc_keyspace_size(const RcKeyspace *db);
guint64 rc_keyspace_expires(const RcKeyspace *db);
/* Mean remaining TTL in ms over keys whose TTL is still ahead, 0 without any (INFO avg_ttl:
 * exact, where Redis keeps a sampled running estimate). */
gint64 rc_keyspace_avg_ttl(const RcKeyspace *db, gint64 now_ms);
/* Drop every key; returns how many there were. */
guint64 rc_keyspace_flush(RcKeyspace *db);

/* Per-slot index. */
guint rc_keyspace_count_keys_in_slot(const RcKeyspace *db, int slot);
/* Append up to `count` keys of `slot`, newest first (GBytes*, referenced) to `out`. */
void rc_keyspace_get_keys_in_slot(const RcKeyspace *db, int slot, guint count, GPtrArray *out);
/* Drop every key of `slot`; returns how many (delKeysInSlot). */
guint rc_keyspace_delete_slot(RcKeyspace *db, int slot);

/* The active expire cycle: remove up to `max_keys` keys whose time is past, earliest
 * first, appending their names (referenced GBytes*) to `deleted` so the caller can
 * propagate DELs. Returns how many were removed. */
guint rc_keyspace_expire_cycle(RcKeyspace *db, gint64 now_ms, guint max_keys, GPtrArray *deleted);
guint64 rc_keyspace_expired_total(const RcKeyspace *db); /* stat_expiredkeys */
void rc_keyspace_count_expired(RcKeyspace *db, guint64 n);

/* Full resync payload: a RESP stream of commands that rebuilds the dataset (SET, RPUSH,
 * SADD, HSET, then PEXPIREAT for keys with a TTL), walking slots in order and each slot's
 * keys oldest first, so a loaded copy keeps the slot lists' order. */
GBytes *rc_keyspace_snapshot(const RcKeyspace *db);
/* Replace the whole dataset with a snapshot. On error the keyspace is left empty and
 * `error` says "snapshot:<command number>: <field>: <reason>". */
gboolean rc_keyspace_load_snapshot(RcKeyspace *db, GBytes *snapshot, GError **error);

/* One key's value, serialized for MIGRATE/RESTORE (our own format, see keyspace.c). */
GBytes *rc_object_dump(const RcObject *o);
/* Parse a dump payload; NULL with `error` set ("DUMP payload version or checksum are
 * wrong" semantics) when it is not one of ours. */
RcObject *rc_object_restore(const void *data, gsize len, GError **error);

#define RC_KEYSPACE_ERROR (rc_keyspace_error_quark())
GQuark rc_keyspace_error_quark(void);

#endif
