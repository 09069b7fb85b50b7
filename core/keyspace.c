/* The keyspace (keyspace.h): dictionary, per-slot key lists, expire index, value types (sets in
 * set.c), snapshots and per-key dumps. */
#include "core/keyspace.h"

#include <stdlib.h>
#include <string.h>

#include "core/cluster_types.h"
#include "core/keyslot.h"
#include "core/resp.h"

G_DEFINE_QUARK(rc - keyspace - error - quark, rc_keyspace_error)

/* One slot's keys, newest first (slotToKeys). */
typedef struct {
    RcKey *head;
    RcKey *tail;
    guint count;
} RcSlotKeys;

/* The slot lists come in pages of SLOT_PAGE_SLOTS slots, a page allocated with its first key:
 * a node holds a few dozen keys in a typical run, and a dense table of 16384 lists (384 KiB,
 * zeroed, walked whole by a flush or a snapshot) was most of the memory a node touched. */
#define SLOT_PAGE_SLOTS 64
#define SLOT_PAGES (RC_CLUSTER_SLOTS / SLOT_PAGE_SLOTS)
G_STATIC_ASSERT(RC_CLUSTER_SLOTS % SLOT_PAGE_SLOTS == 0);

/* The dictionary: open addressing over the keys' bytes, linear probing, at most half full,
 * deletion by backward shift (no tombstones). An entry is the RcKey itself, which holds its
 * hash, so a probe compares bytes only when the hashes match. Never iterated: dropping every
 * key walks the slot lists. */
typedef struct {
    RcKey **entries; /* NULL = empty */
    guint mask;      /* size - 1, a power of two */
    guint count;
} RcKeyDict;

struct RcKeyspace {
    RcKeyDict dict;
    /* slot s's list is slot_pages[s / SLOT_PAGE_SLOTS][s % SLOT_PAGE_SLOTS]; a NULL page:
     * none of its slots has had a key since the last flush */
    RcSlotKeys *slot_pages[SLOT_PAGES];
    GTree *expires;     /* RcKey* ordered by (expire_ms, expire_seq) -> RcKey* */
    guint64 expire_seq; /* next tie-break number */
    guint64 expired_total;
};

/* ---- Values ---- */

const char *rc_object_type_name(RcObjType type)
{
    switch (type) {
    case RC_TYPE_STRING:
        return "string";
    case RC_TYPE_LIST:
        return "list";
    case RC_TYPE_SET:
        return "set";
    case RC_TYPE_HASH:
        return "hash";
    }
    return "none";
}

RcObject *rc_object_new_string(const void *data, gsize len)
{
    RcObject *o = g_new0(RcObject, 1);
    o->type = RC_TYPE_STRING;
    o->v.str = g_string_new_len(data, (gssize)len);
    return o;
}

RcObject *rc_object_new_list(void)
{
    RcObject *o = g_new0(RcObject, 1);
    o->type = RC_TYPE_LIST;
    o->v.list = g_queue_new();
    return o;
}

/* A set object and its RcSet in one block: SADD goes key -> object -> set -> index, and the
 * set's fields then sit next to the object instead of being one more cache miss. */
typedef struct {
    RcObject obj;
    RcSet set;
} SetObject;

static RcObject *set_object_alloc(void)
{
    SetObject *so = g_new0(SetObject, 1);
    so->obj.type = RC_TYPE_SET;
    so->obj.v.set = &so->set;
    return &so->obj;
}

RcObject *rc_object_new_set(void)
{
    RcObject *o = set_object_alloc();
    rc_set_init(o->v.set);
    return o;
}

static void hash_field_free(RcHashField *f)
{
    g_bytes_unref(f->field);
    g_bytes_unref(f->value);
    g_free(f);
}

RcObject *rc_object_new_hash(void)
{
    RcObject *o = g_new0(RcObject, 1);
    o->type = RC_TYPE_HASH;
    o->v.hash = g_new0(RcHash, 1);
    o->v.hash->index = g_hash_table_new(g_bytes_hash, g_bytes_equal);
    o->v.hash->order = g_ptr_array_new_with_free_func((GDestroyNotify)hash_field_free);
    return o;
}

void rc_object_free(RcObject *o)
{
    if (o == NULL)
        return;
    switch (o->type) {
    case RC_TYPE_STRING:
        g_string_free(o->v.str, TRUE);
        break;
    case RC_TYPE_LIST:
        g_queue_free_full(o->v.list, (GDestroyNotify)g_bytes_unref);
        break;
    case RC_TYPE_SET:
        rc_assert(o->v.set == &((SetObject *)o)->set); /* one block (set_object_alloc) */
        rc_set_clear(o->v.set);
        break;
    case RC_TYPE_HASH:
        g_hash_table_unref(o->v.hash->index);
        g_ptr_array_unref(o->v.hash->order);
        g_free(o->v.hash);
        break;
    }
    g_free(o);
}

RcObject *rc_object_copy(const RcObject *o)
{
    RcObject *c = NULL;
    switch (o->type) {
    case RC_TYPE_STRING:
        return rc_object_new_string(o->v.str->str, o->v.str->len);
    case RC_TYPE_LIST:
        c = rc_object_new_list();
        for (GList *l = o->v.list->head; l != NULL; l = l->next)
            g_queue_push_tail(c->v.list, g_bytes_ref(l->data));
        return c;
    case RC_TYPE_SET:
        c = set_object_alloc();
        rc_set_copy(c->v.set, o->v.set);
        return c;
    case RC_TYPE_HASH:
        c = rc_object_new_hash();
        for (guint i = 0; i < o->v.hash->order->len; i++) {
            RcHashField *f = o->v.hash->order->pdata[i];
            rc_hash_set(c->v.hash, f->field, f->value);
        }
        return c;
    }
    rc_assert(!"unknown object type");
    return NULL;
}

gboolean rc_hash_set(RcHash *h, GBytes *field, GBytes *value)
{
    RcHashField *f = g_hash_table_lookup(h->index, field);
    if (f != NULL) {
        g_bytes_unref(f->value);
        f->value = g_bytes_ref(value);
        return FALSE;
    }
    f = g_new0(RcHashField, 1);
    f->field = g_bytes_ref(field);
    f->value = g_bytes_ref(value);
    g_hash_table_insert(h->index, f->field, f);
    g_ptr_array_add(h->order, f);
    return TRUE;
}

GBytes *rc_hash_get(const RcHash *h, GBytes *field)
{
    RcHashField *f = g_hash_table_lookup(h->index, field);
    return f ? f->value : NULL;
}

gboolean rc_hash_del(RcHash *h, GBytes *field)
{
    RcHashField *f = g_hash_table_lookup(h->index, field);
    if (f == NULL)
        return FALSE;
    g_hash_table_remove(h->index, field);
    g_ptr_array_remove(h->order, f); /* frees f */
    return TRUE;
}

guint rc_hash_size(const RcHash *h)
{
    return h->order->len;
}

/* ---- Keyspace ---- */

static int expire_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    const RcKey *x = a, *y = b;
    if (x->expire_ms != y->expire_ms)
        return x->expire_ms < y->expire_ms ? -1 : 1;
    return x->expire_seq < y->expire_seq ? -1 : x->expire_seq > y->expire_seq;
}

static guint32 key_hash(const void *data, gsize len)
{
    return rc_bytes_hash(data, len);
}

static void key_free(RcKey *k)
{
    g_bytes_unref(k->key);
    rc_object_free(k->val);
    g_free(k);
}

#define KEY_DICT_MIN 16 /* first size of the dictionary */

static void dict_init(RcKeyDict *d)
{
    d->entries = g_new0(RcKey *, KEY_DICT_MIN);
    d->mask = KEY_DICT_MIN - 1;
    d->count = 0;
}

/* The entry index holding the key, or the empty one where it would go. */
static guint dict_probe(const RcKeyDict *d, guint32 h, const void *data, gsize len)
{
    guint i = h & d->mask;
    for (; d->entries[i] != NULL; i = (i + 1) & d->mask) {
        const RcKey *k = d->entries[i];
        if (k->hash == h && k->ref.len == len && (len == 0 || memcmp(k->ref.data, data, len) == 0))
            break;
    }
    return i;
}

/* Double the table, placing each key by the hash it holds (keys are distinct: no compare). */
static void dict_grow(RcKeyDict *d)
{
    guint old_size = d->mask + 1;
    RcKey **old = d->entries;
    d->entries = g_new0(RcKey *, 2 * old_size);
    d->mask = 2 * old_size - 1;
    for (guint j = 0; j < old_size; j++) {
        if (old[j] == NULL)
            continue;
        guint i = old[j]->hash & d->mask;
        while (d->entries[i] != NULL)
            i = (i + 1) & d->mask;
        d->entries[i] = old[j];
    }
    g_free(old);
}

static void dict_add(RcKeyDict *d, RcKey *k)
{
    if (2 * (d->count + 1) > d->mask + 1)
        dict_grow(d);
    guint i = dict_probe(d, k->hash, k->ref.data, k->ref.len);
    rc_assert(d->entries[i] == NULL); /* dbAdd() is only for keys that do not exist */
    d->entries[i] = k;
    d->count++;
}

/* Take `k` out, moving later entries of its probe run back so that no lookup ever meets a
 * hole before its key (Knuth's deletion for linear probing). */
static void dict_remove(RcKeyDict *d, const RcKey *k)
{
    guint i = dict_probe(d, k->hash, k->ref.data, k->ref.len);
    rc_assert(d->entries[i] == k);
    for (guint j = (i + 1) & d->mask; d->entries[j] != NULL; j = (j + 1) & d->mask) {
        guint home = d->entries[j]->hash & d->mask;
        /* The entry at j may fill the hole at i unless its home lies cyclically in (i, j]. */
        gboolean stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            d->entries[i] = d->entries[j];
            i = j;
        }
    }
    d->entries[i] = NULL;
    d->count--;
}

RcKeyspace *rc_keyspace_new(void)
{
    RcKeyspace *db = g_new0(RcKeyspace, 1);
    dict_init(&db->dict);
    db->expires = g_tree_new_full(expire_cmp, NULL, NULL, NULL);
    return db;
}

/* Free every key, walking the slot lists in slot order, and free the slot pages and the
 * dictionary (a fresh, empty one replaces it). */
static void drop_all_keys(RcKeyspace *db)
{
    for (int page = 0; page < SLOT_PAGES; page++) {
        RcSlotKeys *sks = db->slot_pages[page];
        if (sks == NULL)
            continue;
        for (int i = 0; i < SLOT_PAGE_SLOTS; i++) {
            for (RcKey *k = sks[i].head, *next; k != NULL; k = next) {
                next = k->slot_next;
                key_free(k);
            }
        }
        g_free(sks);
        db->slot_pages[page] = NULL;
    }
    g_free(db->dict.entries);
    dict_init(&db->dict);
}

void rc_keyspace_free(RcKeyspace *db)
{
    if (db == NULL)
        return;
    g_tree_unref(db->expires);
    drop_all_keys(db);
    g_free(db->dict.entries);
    g_free(db);
}

RcKey *rc_keyspace_find(const RcKeyspace *db, const void *key, gsize len)
{
    return db->dict.entries[dict_probe(&db->dict, key_hash(key, len), key, len)];
}

/* The slot's list to read: an empty one when its page was never allocated. */
static const RcSlotKeys *slot_keys(const RcKeyspace *db, int slot)
{
    static const RcSlotKeys no_keys = {NULL, NULL, 0};
    rc_assert(slot >= 0 && slot < RC_CLUSTER_SLOTS);
    const RcSlotKeys *sks = db->slot_pages[slot / SLOT_PAGE_SLOTS];
    return sks != NULL ? &sks[slot % SLOT_PAGE_SLOTS] : &no_keys;
}

/* The slot's list to change, its page allocated if it has none yet. */
static RcSlotKeys *slot_keys_mut(RcKeyspace *db, int slot)
{
    rc_assert(slot >= 0 && slot < RC_CLUSTER_SLOTS);
    RcSlotKeys **page = &db->slot_pages[slot / SLOT_PAGE_SLOTS];
    if (*page == NULL)
        *page = g_new0(RcSlotKeys, SLOT_PAGE_SLOTS);
    return &(*page)[slot % SLOT_PAGE_SLOTS];
}

RcKey *rc_keyspace_add(RcKeyspace *db, GBytes *key, RcObject *val)
{
    RcKey *k = g_new0(RcKey, 1);
    k->key = g_bytes_ref(key);
    k->ref.data = g_bytes_get_data(k->key, &k->ref.len);
    k->val = val;
    k->expire_ms = -1;
    k->hash = key_hash(k->ref.data, k->ref.len);
    k->slot = rc_key_hash_slot(k->ref.data, k->ref.len);
    RcSlotKeys *sk = slot_keys_mut(db, k->slot);
    k->slot_next = sk->head;
    if (sk->head != NULL)
        sk->head->slot_prev = k;
    else
        sk->tail = k;
    sk->head = k;
    sk->count++;
    dict_add(&db->dict, k);
    return k;
}

void rc_keyspace_overwrite(RcKeyspace *db, RcKey *k, RcObject *val)
{
    (void)db;
    rc_object_free(k->val);
    k->val = val;
}

RcKey *rc_keyspace_set(RcKeyspace *db, GBytes *key, RcObject *val, gboolean keep_ttl)
{
    gsize len;
    const void *data = g_bytes_get_data(key, &len);
    RcKey *k = rc_keyspace_find(db, data, len);
    if (k == NULL)
        return rc_keyspace_add(db, key, val);
    rc_keyspace_overwrite(db, k, val);
    if (!keep_ttl)
        rc_keyspace_persist(db, k);
    return k;
}

void rc_keyspace_delete_entry(RcKeyspace *db, RcKey *k)
{
    if (k->expire_ms >= 0)
        g_tree_remove(db->expires, k);
    RcSlotKeys *sk = slot_keys_mut(db, k->slot);
    rc_assert(sk->count > 0);
    if (k->slot_prev != NULL)
        k->slot_prev->slot_next = k->slot_next;
    else
        sk->head = k->slot_next;
    if (k->slot_next != NULL)
        k->slot_next->slot_prev = k->slot_prev;
    else
        sk->tail = k->slot_prev;
    sk->count--;
    dict_remove(&db->dict, k);
    key_free(k);
}

gboolean rc_keyspace_delete(RcKeyspace *db, const void *key, gsize len)
{
    RcKey *k = rc_keyspace_find(db, key, len);
    if (k == NULL)
        return FALSE;
    rc_keyspace_delete_entry(db, k);
    return TRUE;
}

void rc_keyspace_set_expire(RcKeyspace *db, RcKey *k, gint64 when_ms)
{
    rc_assert(when_ms >= 0);
    if (k->expire_ms >= 0)
        g_tree_remove(db->expires, k);
    k->expire_ms = when_ms;
    k->expire_seq = db->expire_seq++;
    g_tree_insert(db->expires, k, k);
}

gboolean rc_keyspace_persist(RcKeyspace *db, RcKey *k)
{
    if (k->expire_ms < 0)
        return FALSE;
    g_tree_remove(db->expires, k);
    k->expire_ms = -1;
    return TRUE;
}

guint64 rc_keyspace_size(const RcKeyspace *db)
{
    return db->dict.count;
}

guint64 rc_keyspace_expires(const RcKeyspace *db)
{
    return (guint64)g_tree_nnodes(db->expires);
}

gint64 rc_keyspace_avg_ttl(const RcKeyspace *db, gint64 now_ms)
{
    gint64 sum = 0, n = 0;
    for (GTreeNode *t = g_tree_node_first(db->expires); t != NULL; t = g_tree_node_next(t)) {
        const RcKey *k = g_tree_node_key(t);
        gint64 ttl = k->expire_ms - now_ms;
        if (ttl > 0) {
            sum += ttl;
            n++;
        }
    }
    return n ? sum / n : 0;
}

guint64 rc_keyspace_flush(RcKeyspace *db)
{
    guint64 n = db->dict.count;
    g_tree_destroy(db->expires);
    db->expires = g_tree_new_full(expire_cmp, NULL, NULL, NULL);
    drop_all_keys(db);
    return n;
}

guint rc_keyspace_count_keys_in_slot(const RcKeyspace *db, int slot)
{
    return slot_keys(db, slot)->count;
}

void rc_keyspace_get_keys_in_slot(const RcKeyspace *db, int slot, guint count, GPtrArray *out)
{
    const RcSlotKeys *sk = slot_keys(db, slot);
    for (RcKey *k = sk->head; k != NULL && count > 0; k = k->slot_next, count--)
        g_ptr_array_add(out, g_bytes_ref(k->key));
}

guint rc_keyspace_delete_slot(RcKeyspace *db, int slot)
{
    guint n = 0;
    const RcSlotKeys *sk = slot_keys(db, slot);
    while (sk->head != NULL) {
        rc_keyspace_delete_entry(db, sk->head);
        n++;
    }
    return n;
}

guint rc_keyspace_expire_cycle(RcKeyspace *db, gint64 now_ms, guint max_keys, GPtrArray *deleted)
{
    guint n = 0;
    while (n < max_keys) {
        GTreeNode *first = g_tree_node_first(db->expires);
        if (first == NULL)
            break;
        RcKey *k = g_tree_node_key(first);
        if (!rc_key_is_expired(k, now_ms))
            break;
        if (deleted != NULL)
            g_ptr_array_add(deleted, g_bytes_ref(k->key));
        rc_keyspace_delete_entry(db, k);
        n++;
    }
    db->expired_total += n;
    return n;
}

guint64 rc_keyspace_expired_total(const RcKeyspace *db)
{
    return db->expired_total;
}

void rc_keyspace_count_expired(RcKeyspace *db, guint64 n)
{
    db->expired_total += n;
}

/* ---- Snapshots ---- */

#define SNAPSHOT_CHUNK 512 /* elements per RPUSH/SADD/HSET command */

static void cmd_header(GString *r, int argc, const char *name, GBytes *key)
{
    rc_reply_array(r, argc);
    rc_reply_bulk_str(r, name);
    rc_reply_bulk_bytes(r, key);
}

static void snapshot_key(GString *r, const RcKey *k)
{
    const RcObject *o = k->val;
    switch (o->type) {
    case RC_TYPE_STRING:
        cmd_header(r, 3, "SET", k->key);
        rc_reply_bulk(r, o->v.str->str, o->v.str->len);
        break;
    case RC_TYPE_LIST: {
        GList *l = o->v.list->head;
        guint left = o->v.list->length;
        while (left > 0) {
            guint n = MIN(left, SNAPSHOT_CHUNK);
            cmd_header(r, (int)n + 2, "RPUSH", k->key);
            for (guint i = 0; i < n; i++, l = l->next)
                rc_reply_bulk_bytes(r, l->data);
            left -= n;
        }
        break;
    }
    case RC_TYPE_SET: {
        const RcSet *set = o->v.set;
        for (guint i = 0; i < set->count; i += SNAPSHOT_CHUNK) {
            guint n = MIN(set->count - i, SNAPSHOT_CHUNK);
            cmd_header(r, (int)n + 2, "SADD", k->key);
            for (guint j = 0; j < n; j++) {
                gsize len;
                const guint8 *m = rc_set_member(set, i + j, &len);
                rc_reply_bulk(r, m, len);
            }
        }
        break;
    }
    case RC_TYPE_HASH: {
        GPtrArray *f = o->v.hash->order;
        for (guint i = 0; i < f->len; i += SNAPSHOT_CHUNK) {
            guint n = MIN(f->len - i, SNAPSHOT_CHUNK);
            cmd_header(r, (int)(2 * n) + 2, "HSET", k->key);
            for (guint j = 0; j < n; j++) {
                const RcHashField *hf = f->pdata[i + j];
                rc_reply_bulk_bytes(r, hf->field);
                rc_reply_bulk_bytes(r, hf->value);
            }
        }
        break;
    }
    }
    if (k->expire_ms >= 0) {
        cmd_header(r, 3, "PEXPIREAT", k->key);
        rc_reply_bulk_ll(r, k->expire_ms);
    }
}

GBytes *rc_keyspace_snapshot(const RcKeyspace *db)
{
    GString *r = g_string_new(NULL);
    for (int page = 0; page < SLOT_PAGES; page++) {
        const RcSlotKeys *sks = db->slot_pages[page];
        for (int i = 0; sks != NULL && i < SLOT_PAGE_SLOTS; i++) {
            for (const RcKey *k = sks[i].tail; k != NULL; k = k->slot_prev)
                snapshot_key(r, k);
        }
    }
    return g_string_free_to_bytes(r);
}

static gboolean load_error(GError **error, guint64 n, const char *field, const char *reason)
{
    g_set_error(error, RC_KEYSPACE_ERROR, 1, "snapshot:%" G_GUINT64_FORMAT ": %s: %s", n, field,
                reason);
    return FALSE;
}

/* Apply one snapshot command to `db`. */
static gboolean load_command(RcKeyspace *db, const RcArgv *a, guint64 n, GError **error)
{
    if (a->argc < 3)
        return load_error(error, n, a->argc ? "command" : "request", "too few arguments");
    gsize klen;
    const char *kdata = rc_argv_data(a, 1, &klen);
    RcKey *k = rc_keyspace_find(db, kdata, klen);
    if (rc_argv_is(a, 0, "SET")) {
        if (a->argc != 3 || k != NULL)
            return load_error(error, n, "SET", a->argc != 3 ? "wrong arity" : "duplicate key");
        gsize len;
        const char *d = rc_argv_data(a, 2, &len);
        rc_keyspace_add(db, rc_argv_bytes(a, 1), rc_object_new_string(d, len));
        return TRUE;
    }
    if (rc_argv_is(a, 0, "PEXPIREAT")) {
        gint64 when;
        gsize len;
        const char *d = rc_argv_data(a, 2, &len);
        if (a->argc != 3 || k == NULL || !rc_string2ll(d, len, &when) || when < 0)
            return load_error(error, n, "PEXPIREAT", "bad key or time");
        rc_keyspace_set_expire(db, k, when);
        return TRUE;
    }
    RcObjType type;
    if (rc_argv_is(a, 0, "RPUSH"))
        type = RC_TYPE_LIST;
    else if (rc_argv_is(a, 0, "SADD"))
        type = RC_TYPE_SET;
    else if (rc_argv_is(a, 0, "HSET") && a->argc % 2 == 0)
        type = RC_TYPE_HASH;
    else
        return load_error(error, n, "command", "unknown or malformed");
    if (k != NULL && k->val->type != type)
        return load_error(error, n, "key", "type changes within the snapshot");
    if (k == NULL)
        k = rc_keyspace_add(db, rc_argv_bytes(a, 1),
                            type == RC_TYPE_LIST  ? rc_object_new_list()
                            : type == RC_TYPE_SET ? rc_object_new_set()
                                                  : rc_object_new_hash());
    for (int i = 2; i < a->argc; i += type == RC_TYPE_HASH ? 2 : 1) {
        if (type == RC_TYPE_LIST)
            g_queue_push_tail(k->val->v.list, g_bytes_ref(rc_argv_bytes(a, i)));
        else if (type == RC_TYPE_SET)
            rc_set_add_data(k->val->v.set, a->v[i].data, a->v[i].len); /* copied: no GBytes */
        else
            rc_hash_set(k->val->v.hash, rc_argv_bytes(a, i), rc_argv_bytes(a, i + 1));
    }
    return TRUE;
}

gboolean rc_keyspace_load_snapshot(RcKeyspace *db, GBytes *snapshot, GError **error)
{
    rc_keyspace_flush(db);
    g_autoptr(RcRespParser) p = rc_resp_parser_new(G_MAXINT64);
    rc_resp_parser_set_master(p, TRUE);
    gsize len;
    const guint8 *data = g_bytes_get_data(snapshot, &len);
    if (len > 0)
        rc_resp_parser_feed(p, data, len);
    guint64 n = 0;
    for (;;) {
        RcArgv *a = NULL;
        RcRespStatus st = rc_resp_parser_next(p, &a);
        if (st == RC_RESP_NEED_MORE)
            break;
        n++;
        if (st == RC_RESP_ERROR) {
            rc_keyspace_flush(db);
            return load_error(error, n, "resp", rc_resp_parser_error(p));
        }
        gboolean ok = load_command(db, a, n, error);
        rc_argv_free(a);
        if (!ok) {
            rc_keyspace_flush(db);
            return FALSE;
        }
    }
    if (rc_resp_parser_in_request(p)) {
        rc_keyspace_flush(db);
        return load_error(error, n + 1, "resp", "truncated command");
    }
    return TRUE;
}

/* ---- Per-key dumps (DUMP/RESTORE payloads, our own format) ----
 * type u8 | count u32 | count x (len u32, bytes)  (hash: field, value pairs; string: 1)
 * then the format version u16 (1) and the CRC16 of everything before it, both big-endian,
 * in the spirit of Redis's RDB-version + CRC64 trailer. */

#define DUMP_VERSION 1

static void put_u32(GByteArray *b, guint32 v)
{
    guint8 x[4] = {(guint8)(v >> 24), (guint8)(v >> 16), (guint8)(v >> 8), (guint8)v};
    g_byte_array_append(b, x, 4);
}

static void put_blob(GByteArray *b, const void *data, gsize len)
{
    rc_assert(len <= G_MAXUINT32);
    put_u32(b, (guint32)len);
    g_byte_array_append(b, data, (guint)len);
}

static void put_bytes(GByteArray *b, GBytes *x)
{
    gsize len;
    const void *d = g_bytes_get_data(x, &len);
    put_blob(b, d, len);
}

GBytes *rc_object_dump(const RcObject *o)
{
    GByteArray *b = g_byte_array_new();
    guint8 type = (guint8)o->type;
    g_byte_array_append(b, &type, 1);
    switch (o->type) {
    case RC_TYPE_STRING:
        put_u32(b, 1);
        put_blob(b, o->v.str->str, o->v.str->len);
        break;
    case RC_TYPE_LIST:
        put_u32(b, o->v.list->length);
        for (GList *l = o->v.list->head; l != NULL; l = l->next)
            put_bytes(b, l->data);
        break;
    case RC_TYPE_SET:
        put_u32(b, o->v.set->count);
        for (guint i = 0; i < o->v.set->count; i++) {
            gsize len;
            const guint8 *m = rc_set_member(o->v.set, i, &len);
            put_blob(b, m, len);
        }
        break;
    case RC_TYPE_HASH:
        put_u32(b, o->v.hash->order->len);
        for (guint i = 0; i < o->v.hash->order->len; i++) {
            const RcHashField *f = o->v.hash->order->pdata[i];
            put_bytes(b, f->field);
            put_bytes(b, f->value);
        }
        break;
    }
    guint8 ver[2] = {0, DUMP_VERSION};
    g_byte_array_append(b, ver, 2);
    guint16 crc = rc_crc16(b->data, b->len);
    guint8 c[2] = {(guint8)(crc >> 8), (guint8)crc};
    g_byte_array_append(b, c, 2);
    return g_byte_array_free_to_bytes(b);
}

typedef struct {
    const guint8 *p;
    gsize left;
} Reader;

static gboolean get_u32(Reader *r, guint32 *v)
{
    if (r->left < 4)
        return FALSE;
    *v = ((guint32)r->p[0] << 24) | ((guint32)r->p[1] << 16) | ((guint32)r->p[2] << 8) | r->p[3];
    r->p += 4;
    r->left -= 4;
    return TRUE;
}

static GBytes *get_blob(Reader *r)
{
    guint32 len;
    if (!get_u32(r, &len) || r->left < len)
        return NULL;
    GBytes *b = g_bytes_new(r->p, len);
    r->p += len;
    r->left -= len;
    return b;
}

RcObject *rc_object_restore(const void *data, gsize len, GError **error)
{
    const guint8 *d = data;
    if (len < 1 + 4 + 4 || d[len - 4] != 0 || d[len - 3] != DUMP_VERSION ||
        rc_crc16(d, len - 2) != (((guint16)d[len - 2] << 8) | d[len - 1])) {
        g_set_error(error, RC_KEYSPACE_ERROR, 2, "DUMP payload version or checksum are wrong");
        return NULL;
    }
    Reader r = {d + 1, len - 1 - 4};
    guint32 count;
    get_u32(&r, &count);
    RcObject *o = NULL;
    switch (d[0]) {
    case RC_TYPE_STRING:
        o = rc_object_new_string("", 0);
        break;
    case RC_TYPE_LIST:
        o = rc_object_new_list();
        break;
    case RC_TYPE_SET:
        o = rc_object_new_set();
        break;
    case RC_TYPE_HASH:
        o = rc_object_new_hash();
        break;
    default:
        g_set_error(error, RC_KEYSPACE_ERROR, 3, "Bad data format");
        return NULL;
    }
    gboolean ok = !(d[0] == RC_TYPE_STRING && count != 1);
    for (guint32 i = 0; ok && i < count; i++) {
        GBytes *a = get_blob(&r);
        GBytes *b = d[0] == RC_TYPE_HASH && a ? get_blob(&r) : NULL;
        ok = a != NULL && (d[0] != RC_TYPE_HASH || b != NULL);
        if (ok) {
            gsize n;
            const char *s = g_bytes_get_data(a, &n);
            if (d[0] == RC_TYPE_STRING)
                g_string_append_len(o->v.str, s, (gssize)n);
            else if (d[0] == RC_TYPE_LIST)
                g_queue_push_tail(o->v.list, g_bytes_ref(a));
            else if (d[0] == RC_TYPE_SET)
                rc_set_add(o->v.set, a);
            else
                rc_hash_set(o->v.hash, a, b);
        }
        if (a)
            g_bytes_unref(a);
        if (b)
            g_bytes_unref(b);
    }
    if (!ok || r.left != 0) {
        rc_object_free(o);
        g_set_error(error, RC_KEYSPACE_ERROR, 3, "Bad data format");
        return NULL;
    }
    return o;
}
