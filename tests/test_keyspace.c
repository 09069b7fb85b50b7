/* The keyspace (core/keyspace.c): slot lists, expire index, value encodings, snapshots
 * and per-key dumps. Time is set by hand. */
#include <check.h>
#include <string.h>

#include "core/keyslot.h"
#include "core/keyspace.h"

static GBytes *B(const char *s)
{
    return g_bytes_new(s, strlen(s));
}

/* Member `pos` of the set holds exactly the bytes of `s`. */
static gboolean member_is(const RcSet *set, guint pos, const char *s)
{
    gsize len;
    const guint8 *m = rc_set_member(set, pos, &len);
    return len == strlen(s) && memcmp(m, s, len) == 0;
}

static RcKey *add_string(RcKeyspace *db, const char *key, const char *val)
{
    g_autoptr(GBytes) k = B(key);
    return rc_keyspace_set(db, k, rc_object_new_string(val, strlen(val)), FALSE);
}

static gboolean bytes_is(GBytes *b, const char *s)
{
    gsize len;
    const char *d = g_bytes_get_data(b, &len);
    return len == strlen(s) && memcmp(d, s, len) == 0;
}

START_TEST(test_slot_lists_newest_first)
{
    RcKeyspace *db = rc_keyspace_new();
    add_string(db, "{t}a", "1");
    add_string(db, "{t}b", "2");
    add_string(db, "{t}c", "3");
    add_string(db, "other", "4");
    int slot = rc_key_hash_slot("t", 1);
    ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(db, slot), 3);
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    rc_keyspace_get_keys_in_slot(db, slot, 2, keys);
    ck_assert_uint_eq(keys->len, 2);
    ck_assert(bytes_is(keys->pdata[0], "{t}c"));
    ck_assert(bytes_is(keys->pdata[1], "{t}b"));
    /* Overwriting keeps the place; delete and re-add moves to the front. */
    add_string(db, "{t}a", "x");
    ck_assert(rc_keyspace_delete(db, "{t}b", 4));
    add_string(db, "{t}b", "y");
    g_ptr_array_set_size(keys, 0);
    rc_keyspace_get_keys_in_slot(db, slot, 10, keys);
    ck_assert_uint_eq(keys->len, 3);
    ck_assert(bytes_is(keys->pdata[0], "{t}b"));
    ck_assert(bytes_is(keys->pdata[1], "{t}c"));
    ck_assert(bytes_is(keys->pdata[2], "{t}a"));
    ck_assert_uint_eq(rc_keyspace_delete_slot(db, slot), 3);
    ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(db, slot), 0);
    ck_assert_uint_eq(rc_keyspace_size(db), 1);
    ck_assert_uint_eq(rc_keyspace_flush(db), 1);
    ck_assert_uint_eq(rc_keyspace_size(db), 0);
    rc_keyspace_free(db);
}
END_TEST

START_TEST(test_expire_on_virtual_time)
{
    RcKeyspace *db = rc_keyspace_new();
    RcKey *a = add_string(db, "a", "1");
    RcKey *b = add_string(db, "b", "2");
    add_string(db, "c", "3");
    rc_keyspace_set_expire(db, a, 1000);
    rc_keyspace_set_expire(db, b, 500);
    ck_assert_uint_eq(rc_keyspace_expires(db), 2);
    /* Strictly after the time (keyIsExpired: now > when). */
    ck_assert(!rc_key_is_expired(b, 500));
    ck_assert(rc_key_is_expired(b, 501));
    g_autoptr(GPtrArray) del = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    ck_assert_uint_eq(rc_keyspace_expire_cycle(db, 500, 100, del), 0);
    ck_assert_uint_eq(rc_keyspace_expire_cycle(db, 2000, 1, del), 1); /* bounded */
    ck_assert(bytes_is(del->pdata[0], "b"));
    ck_assert_uint_eq(rc_keyspace_expire_cycle(db, 2000, 100, del), 1);
    ck_assert(bytes_is(del->pdata[1], "a"));
    ck_assert_uint_eq(rc_keyspace_size(db), 1);
    ck_assert_uint_eq(rc_keyspace_expired_total(db), 2);
    /* PERSIST takes a key out of the index; SET without KEEPTTL too. */
    RcKey *c = rc_keyspace_find(db, "c", 1);
    rc_keyspace_set_expire(db, c, 10);
    ck_assert(rc_keyspace_persist(db, c));
    ck_assert(!rc_keyspace_persist(db, c));
    rc_keyspace_set_expire(db, c, 10);
    c = add_string(db, "c", "new");
    ck_assert_int_eq(c->expire_ms, -1);
    ck_assert_uint_eq(rc_keyspace_expires(db), 0);
    rc_keyspace_free(db);
}
END_TEST

START_TEST(test_set_and_hash_order)
{
    RcObject *s = rc_object_new_set();
    const char *ints[] = {"10", "-3", "7", "10"};
    for (gsize i = 0; i < G_N_ELEMENTS(ints); i++) {
        g_autoptr(GBytes) m = B(ints[i]);
        ck_assert(rc_set_add(s->v.set, m) == (i < 3));
    }
    ck_assert(s->v.set->is_intset);
    g_autofree guint32 *order = rc_set_members_order(s->v.set);
    ck_assert(member_is(s->v.set, order[0], "-3") && member_is(s->v.set, order[1], "7") &&
              member_is(s->v.set, order[2], "10"));
    g_autoptr(GBytes) word = B("x");
    rc_set_add(s->v.set, word);
    ck_assert(!s->v.set->is_intset);
    ck_assert(rc_set_remove(s->v.set, word));
    ck_assert(!s->v.set->is_intset); /* never converts back */
    ck_assert(!rc_set_remove(s->v.set, word));
    ck_assert_uint_eq(rc_set_size(s->v.set), 3);
    rc_object_free(s);

    RcObject *h = rc_object_new_hash();
    g_autoptr(GBytes) f1 = B("f1");
    g_autoptr(GBytes) f2 = B("f2");
    g_autoptr(GBytes) f3 = B("f3");
    g_autoptr(GBytes) v = B("v");
    ck_assert(rc_hash_set(h->v.hash, f1, v));
    ck_assert(rc_hash_set(h->v.hash, f2, v));
    ck_assert(rc_hash_set(h->v.hash, f3, v));
    ck_assert(!rc_hash_set(h->v.hash, f1, f2)); /* update in place */
    ck_assert(rc_hash_del(h->v.hash, f2));
    RcHashField *first = h->v.hash->order->pdata[0];
    RcHashField *second = h->v.hash->order->pdata[1];
    ck_assert(bytes_is(first->field, "f1") && bytes_is(first->value, "f2"));
    ck_assert(bytes_is(second->field, "f3"));
    ck_assert_ptr_null(rc_hash_get(h->v.hash, f2));
    rc_object_free(h);
}
END_TEST

static RcKeyspace *sample_db(void)
{
    RcKeyspace *db = rc_keyspace_new();
    add_string(db, "s", "hello\r\nworld");
    RcKey *t = add_string(db, "{s}t", "");
    rc_keyspace_set_expire(db, t, 123456);
    g_autoptr(GBytes) lk = B("list");
    RcKey *l = rc_keyspace_add(db, lk, rc_object_new_list());
    for (int i = 0; i < 1200; i++) {
        char tmp[16];
        g_snprintf(tmp, sizeof tmp, "e%d", i);
        g_queue_push_tail(l->val->v.list, B(tmp));
    }
    g_autoptr(GBytes) sk = B("set");
    RcKey *s = rc_keyspace_add(db, sk, rc_object_new_set());
    g_autoptr(GBytes) m1 = B("b");
    g_autoptr(GBytes) m2 = B("a");
    rc_set_add(s->val->v.set, m1);
    rc_set_add(s->val->v.set, m2);
    g_autoptr(GBytes) hk = B("hash");
    RcKey *h = rc_keyspace_add(db, hk, rc_object_new_hash());
    rc_hash_set(h->val->v.hash, m1, m2);
    rc_hash_set(h->val->v.hash, m2, m1);
    return db;
}

START_TEST(test_snapshot_round_trip)
{
    RcKeyspace *db = sample_db();
    g_autoptr(GBytes) snap = rc_keyspace_snapshot(db);
    RcKeyspace *copy = rc_keyspace_new();
    add_string(copy, "stale", "dropped by the load");
    g_autoptr(GError) err = NULL;
    ck_assert(rc_keyspace_load_snapshot(copy, snap, &err));
    ck_assert_ptr_null(err);
    ck_assert_uint_eq(rc_keyspace_size(copy), 5);
    ck_assert_ptr_null(rc_keyspace_find(copy, "stale", 5));
    RcKey *t = rc_keyspace_find(copy, "{s}t", 4);
    ck_assert_int_eq(t->expire_ms, 123456);
    RcKey *l = rc_keyspace_find(copy, "list", 4);
    ck_assert_uint_eq(l->val->v.list->length, 1200);
    ck_assert(bytes_is(g_queue_peek_tail(l->val->v.list), "e1199"));
    /* Same bytes again: order of slots and of keys in a slot survives. */
    g_autoptr(GBytes) again = rc_keyspace_snapshot(copy);
    ck_assert(g_bytes_equal(snap, again));
    rc_keyspace_free(copy);
    rc_keyspace_free(db);
}
END_TEST

START_TEST(test_snapshot_bad_input)
{
    static const struct {
        const char *data;
        const char *error;
    } cases[] = {
        {"*1\r\n$3\r\nSET\r\n", "snapshot:1: command: too few arguments"},
        {"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
         "snapshot:2: SET: duplicate key"},
        {"*3\r\n$4\r\nLPOP\r\n$1\r\nk\r\n$1\r\nv\r\n", "snapshot:1: command: unknown or malformed"},
        {"*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$1\r\n5\r\n",
         "snapshot:1: PEXPIREAT: bad key or time"},
        {"*3\r\n$4\r\nSADD\r\n$1\r\nk\r\n$1\r\nv\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nk\r\n$1\r\nv\r\n",
         "snapshot:2: key: type changes within the snapshot"},
        {"*x\r\n", "snapshot:1: resp: ERR Protocol error: invalid multibulk length"},
        {"*3\r\n$3\r\nSET\r\n", "snapshot:1: resp: truncated command"},
        {"*3\r\n$4\r\nHSET\r\n$1\r\nk\r\n$1\r\nf\r\n", "snapshot:1: command: unknown or malformed"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        RcKeyspace *db = sample_db();
        g_autoptr(GBytes) b = B(cases[i].data);
        g_autoptr(GError) err = NULL;
        ck_assert_msg(!rc_keyspace_load_snapshot(db, b, &err), "case %zu loaded", i);
        ck_assert_msg(strcmp(err->message, cases[i].error) == 0, "case %zu: %s", i, err->message);
        ck_assert_uint_eq(rc_keyspace_size(db), 0);
        rc_keyspace_free(db);
    }
}
END_TEST

START_TEST(test_dump_restore)
{
    RcKeyspace *db = sample_db();
    const char *keys[] = {"s", "list", "set", "hash"};
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        RcKey *k = rc_keyspace_find(db, keys[i], strlen(keys[i]));
        g_autoptr(GBytes) d = rc_object_dump(k->val);
        gsize len;
        const guint8 *data = g_bytes_get_data(d, &len);
        g_autoptr(GError) err = NULL;
        RcObject *o = rc_object_restore(data, len, &err);
        ck_assert_ptr_nonnull(o);
        g_autoptr(GBytes) d2 = rc_object_dump(o);
        ck_assert(g_bytes_equal(d, d2));
        rc_object_free(o);
        /* Every truncation and a flipped byte are refused, never crash. */
        for (gsize cut = 0; cut < len; cut += 1 + len / 64) {
            g_autoptr(GError) e2 = NULL;
            ck_assert_ptr_null(rc_object_restore(data, cut, &e2));
            ck_assert_ptr_nonnull(e2);
        }
        g_autofree guint8 *bad = g_memdup2(data, len);
        bad[len / 2] ^= 0x40;
        g_autoptr(GError) e3 = NULL;
        ck_assert_ptr_null(rc_object_restore(bad, len, &e3));
        ck_assert_str_eq(e3->message, "DUMP payload version or checksum are wrong");
    }
    rc_keyspace_free(db);
}
END_TEST

/* The set's own index: thousands of members (binary, empty, growing the index many times),
 * lookups by bytes and by GBytes, a removal in the middle keeps insertion order, a copy. */
START_TEST(test_set_index_many_members)
{
    RcObject *s = rc_object_new_set();
    RcSet *set = s->v.set;
    const int n = 5000;
    ck_assert(rc_set_add_data(set, "", 0));
    ck_assert(!rc_set_add_data(set, "", 0));
    for (int i = 0; i < n; i++) {
        char m[16];
        int l = g_snprintf(m, sizeof m, "m%d", i);
        m[0] = (char)(i % 7 == 0 ? '\0' : m[0]); /* some members hold a NUL */
        ck_assert(rc_set_add_data(set, m, (gsize)l));
        ck_assert(!rc_set_add_data(set, m, (gsize)l));
    }
    ck_assert_uint_eq(rc_set_size(set), (guint)n + 1);
    ck_assert(!set->is_intset);
    ck_assert(rc_set_contains_data(set, "m1", 2) && !rc_set_contains_data(set, "m1x", 3));
    g_autoptr(GBytes) b = g_bytes_new("m4999", 5);
    ck_assert(rc_set_contains(set, b));
    ck_assert(rc_set_remove(set, b));
    ck_assert(!rc_set_contains(set, b));
    ck_assert(rc_set_remove_data(set, "m2", 2));
    ck_assert_uint_eq(rc_set_size(set), (guint)n - 1);
    g_autofree guint32 *order = rc_set_members_order(set);
    for (guint i = 0; i < rc_set_size(set); i++)
        ck_assert_uint_eq(order[i], i); /* not an intset: insertion order */
    gsize len;
    rc_set_member(set, 0, &len);
    ck_assert_uint_eq(len, 0);
    rc_set_member(set, 1, &len);
    ck_assert_uint_eq(len, 2);
    ck_assert(member_is(set, 2, "m1") && member_is(set, 3, "m3"));
    for (int i = 3; i < n - 1; i++) {
        char m[16];
        int l = g_snprintf(m, sizeof m, "m%d", i);
        m[0] = (char)(i % 7 == 0 ? '\0' : m[0]);
        ck_assert(rc_set_contains_data(set, m, (gsize)l));
    }
    RcObject *c = rc_object_copy(s);
    ck_assert_uint_eq(rc_set_size(c->v.set), (guint)n - 1);
    ck_assert(rc_set_add(c->v.set, b) && !rc_set_add_data(c->v.set, "m4999", 5));
    ck_assert(!rc_set_contains(set, b));
    rc_object_free(c);
    rc_object_free(s);
}
END_TEST

/* The set's member block against a plain model (an array of strings in insertion order):
 * adds, re-adds, removals at the front, middle and end (the block closes each gap) and
 * members of every length from empty to longer than the block's first size, checked member
 * by member after every step; then a copy and a dump/restore keep the same order. */
static void check_set_matches(const RcSet *set, GPtrArray *model)
{
    ck_assert_uint_eq(rc_set_size(set), model->len);
    for (guint i = 0; i < model->len; i++) {
        GBytes *want = model->pdata[i];
        gsize len, want_len;
        const guint8 *m = rc_set_member(set, i, &len);
        const void *w = g_bytes_get_data(want, &want_len);
        ck_assert_uint_eq(len, want_len);
        ck_assert(len == 0 || memcmp(m, w, len) == 0);
        ck_assert(rc_set_contains_data(set, w, want_len));
    }
}

START_TEST(test_set_block_matches_model)
{
    RcObject *o = rc_object_new_set();
    RcSet *set = o->v.set;
    g_autoptr(GPtrArray) model = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    guint32 x = 12345; /* a fixed LCG: the same steps every run */
    for (int step = 0; step < 3000; step++) {
        x = x * 1103515245u + 12345u;
        guint len = (x >> 8) % 90; /* 0..89 bytes: some members outgrow the first block */
        guint8 m[96];
        for (guint j = 0; j < len; j++)
            m[j] = (guint8)('a' + (x >> (j % 16)) % 3); /* few distinct short ones */
        gboolean in_model = FALSE;
        guint at = 0;
        for (guint i = 0; i < model->len; i++) {
            if (g_bytes_get_size(model->pdata[i]) == len &&
                (len == 0 || memcmp(g_bytes_get_data(model->pdata[i], NULL), m, len) == 0)) {
                in_model = TRUE;
                at = i;
            }
        }
        if ((x >> 28) < 11) { /* add about two thirds of the time */
            ck_assert(rc_set_add_data(set, m, len) == !in_model);
            if (!in_model)
                g_ptr_array_add(model, g_bytes_new(m, len));
        } else if ((x >> 28) < 13 || model->len == 0) { /* a member that may not be there */
            ck_assert(rc_set_remove_data(set, m, len) == in_model);
            if (in_model)
                g_ptr_array_remove_index(model, at);
        } else { /* one that is: front, end or anywhere between */
            guint pick = (x >> 28) == 13 ? 0 : (x >> 28) == 14 ? model->len - 1 : x % model->len;
            GBytes *b = model->pdata[pick];
            ck_assert(rc_set_remove(set, b));
            ck_assert(!rc_set_contains(set, b));
            g_ptr_array_remove_index(model, pick);
        }
        if (step % 16 == 0)
            check_set_matches(set, model);
    }
    check_set_matches(set, model);
    ck_assert_uint_gt(model->len, 50);
    ck_assert(!set->is_intset);

    RcObject *c = rc_object_copy(o);
    check_set_matches(c->v.set, model);
    ck_assert(rc_set_add_data(c->v.set, "only in the copy", 16));
    ck_assert(!rc_set_contains_data(set, "only in the copy", 16));
    rc_object_free(c);

    g_autoptr(GBytes) dump = rc_object_dump(o);
    RcObject *r = rc_object_restore(g_bytes_get_data(dump, NULL), g_bytes_get_size(dump), NULL);
    ck_assert_ptr_nonnull(r);
    check_set_matches(r->v.set, model);
    rc_object_free(r);
    rc_object_free(o);
}
END_TEST

/* SMEMBERS order of an intset is numeric, whatever the insertion order; one member past
 * set-max-intset-entries makes insertion order the answer for good. */
START_TEST(test_set_intset_order)
{
    RcObject *o = rc_object_new_set();
    RcSet *set = o->v.set;
    for (int i = 0; i < RC_SET_MAX_INTSET_ENTRIES; i++) {
        char m[16];
        int v = (i * 7919) % RC_SET_MAX_INTSET_ENTRIES - 256; /* a permutation, negatives too */
        int l = g_snprintf(m, sizeof m, "%d", v);
        ck_assert(rc_set_add_data(set, m, (gsize)l));
    }
    ck_assert(set->is_intset);
    g_autofree guint32 *order = rc_set_members_order(set);
    for (int i = 0; i < RC_SET_MAX_INTSET_ENTRIES; i++) {
        char want[16];
        g_snprintf(want, sizeof want, "%d", i - 256);
        ck_assert(member_is(set, order[i], want));
    }
    ck_assert(rc_set_add_data(set, "100000", 6));
    ck_assert(!set->is_intset);
    g_autofree guint32 *after = rc_set_members_order(set);
    for (guint i = 0; i < rc_set_size(set); i++)
        ck_assert_uint_eq(after[i], i);
    rc_object_free(o);
}
END_TEST

/* The key dictionary's deletions shift later keys back: after thousands of adds, deletes in
 * a scrambled order (most keys share probe runs at half load) and re-adds, every live key
 * is found and every deleted one is not, the per-slot counts add up to the size, and a
 * flush leaves nothing findable. */
START_TEST(test_key_dict_deletes_keep_lookups)
{
    RcKeyspace *db = rc_keyspace_new();
    const guint n = 6000;
    for (guint i = 0; i < n; i++) {
        char k[16];
        g_snprintf(k, sizeof k, "key:%u", i);
        add_string(db, k, "v");
    }
    g_autofree gboolean *live = g_new(gboolean, n);
    for (guint i = 0; i < n; i++)
        live[i] = TRUE;
    for (guint step = 0; step < 2 * n; step++) {
        guint i = (step * 2654435761u) % n; /* scrambled, with repeats */
        char k[16];
        int l = g_snprintf(k, sizeof k, "key:%u", i);
        if (step % 5 == 4 && !live[i]) {
            add_string(db, k, "again");
            live[i] = TRUE;
        } else {
            ck_assert(rc_keyspace_delete(db, k, (gsize)l) == live[i]);
            live[i] = FALSE;
        }
        if (step % 500 != 0)
            continue;
        guint64 alive = 0, in_slots = 0;
        for (guint j = 0; j < n; j++) {
            int jl = g_snprintf(k, sizeof k, "key:%u", j);
            RcKey *found = rc_keyspace_find(db, k, (gsize)jl);
            ck_assert(live[j] ? found != NULL : found == NULL);
            alive += live[j];
        }
        for (int slot = 0; slot < 16384; slot++)
            in_slots += rc_keyspace_count_keys_in_slot(db, slot);
        ck_assert_uint_eq(rc_keyspace_size(db), alive);
        ck_assert_uint_eq(in_slots, alive);
    }
    guint64 before = rc_keyspace_size(db);
    ck_assert_uint_gt(before, 0);
    ck_assert_uint_eq(rc_keyspace_flush(db), before);
    ck_assert_uint_eq(rc_keyspace_size(db), 0);
    ck_assert_ptr_null(rc_keyspace_find(db, "key:1", 5));
    add_string(db, "key:1", "after flush");
    ck_assert_ptr_nonnull(rc_keyspace_find(db, "key:1", 5));
    rc_keyspace_free(db);
}
END_TEST

/* A hash tag "{tN}" for the smallest N whose tag hashes to `slot`, into `tag`. */
static void tag_for_slot(int slot, char *tag, gsize size)
{
    for (guint n = 0;; n++) {
        int len = g_snprintf(tag, size, "{t%u}", n);
        if (rc_key_hash_slot(tag + 1, (gsize)len - 2) == slot)
            return;
    }
}

/* The slot lists live in pages allocated with their first key: slots on both sides of page
 * boundaries keep their own lists and counts, slots of pages never touched read as empty,
 * a snapshot walks the slots in order across pages, and a flush (which frees the pages)
 * leaves a keyspace that fills again. */
START_TEST(test_slot_pages)
{
    static const int slots[] = {16383, 64, 0, 8191, 63, 127, 65};
    enum { N = G_N_ELEMENTS(slots) };
    char tags[N][16];
    RcKeyspace *db = rc_keyspace_new();
    for (int i = 0; i < N; i++) {
        tag_for_slot(slots[i], tags[i], sizeof tags[i]);
        for (int j = 0; j <= i; j++) { /* i + 1 keys in slot i */
            char k[32];
            g_snprintf(k, sizeof k, "%s%d", tags[i], j);
            add_string(db, k, "v");
        }
    }
    for (int i = 0; i < N; i++)
        ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(db, slots[i]), (guint)i + 1);
    ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(db, 1), 0);    /* page of slot 0 */
    ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(db, 5000), 0); /* page never touched */
    ck_assert_uint_eq(rc_keyspace_delete_slot(db, 5000), 0);
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    rc_keyspace_get_keys_in_slot(db, 5000, 10, keys);
    ck_assert_uint_eq(keys->len, 0);
    /* the snapshot names the slots' keys in slot order, oldest first within a slot */
    g_autoptr(GBytes) snap = rc_keyspace_snapshot(db);
    g_autofree char *text = g_strndup(g_bytes_get_data(snap, NULL), g_bytes_get_size(snap));
    static const int in_order[] = {2, 4, 1, 6, 5, 3, 0}; /* indexes of slots, ascending */
    const char *at = text;
    for (int o = 0; o < N; o++) {
        int i = in_order[o];
        for (int j = 0; j <= i; j++) {
            char k[32];
            g_snprintf(k, sizeof k, "%s%d\r\n", tags[i], j);
            const char *found = strstr(at, k);
            ck_assert_msg(found != NULL, "key %s not after the previous one", k);
            at = found;
        }
    }
    ck_assert_uint_eq(rc_keyspace_delete_slot(db, 64), 2);
    ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(db, 65), 7);
    ck_assert_uint_eq(rc_keyspace_flush(db), 1 + 3 + 4 + 5 + 6 + 7);
    for (int i = 0; i < N; i++)
        ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(db, slots[i]), 0);
    char k[32];
    g_snprintf(k, sizeof k, "%sagain", tags[0]);
    add_string(db, k, "v");
    ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(db, 16383), 1);
    ck_assert_ptr_nonnull(rc_keyspace_find(db, k, strlen(k)));
    rc_keyspace_free(db);
}
END_TEST

Suite *keyspace_suite(void);
Suite *keyspace_suite(void)
{
    Suite *s = suite_create("keyspace");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_slot_lists_newest_first);
    tcase_add_test(tc, test_slot_pages);
    tcase_add_test(tc, test_expire_on_virtual_time);
    tcase_add_test(tc, test_set_and_hash_order);
    tcase_add_test(tc, test_set_index_many_members);
    tcase_add_test(tc, test_set_block_matches_model);
    tcase_add_test(tc, test_set_intset_order);
    tcase_add_test(tc, test_key_dict_deletes_keep_lookups);
    tcase_add_test(tc, test_snapshot_round_trip);
    tcase_add_test(tc, test_snapshot_bad_input);
    tcase_add_test(tc, test_dump_restore);
    suite_add_tcase(s, tc);
    return s;
}
