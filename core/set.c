/* Sets (keyspace.h): members back to back in one block, with a hashed index. */
#include "core/keyspace.h"

#include <stdlib.h>
#include <string.h>

#include "core/resp.h"
#include "core/short_copy.h"

/* A set keeps its members' bytes back to back in one block, in insertion order, with the
 * offset where each starts (one more offset marks the end), so adding a member is a copy
 * into the block, not a GBytes of its own, and freeing the set is two frees whatever its
 * size. The index finds a member's position from its bytes. */

#define SET_BYTES_MIN 64  /* first size of the member block */
#define SET_OFFSETS_MIN 8 /* first capacity of the offsets array (including the end mark) */

void rc_set_init(RcSet *s)
{
    s->bytes = g_malloc(SET_BYTES_MIN); /* never NULL, so a member's address is always valid */
    s->bytes_cap = SET_BYTES_MIN;
    s->offsets = g_new(guint32, SET_OFFSETS_MIN);
    s->offsets_cap = SET_OFFSETS_MIN;
    s->offsets[0] = 0;
    s->bytes_used = 0;
    s->is_intset = TRUE;
}

void rc_set_clear(RcSet *s)
{
    g_free(s->bytes);
    g_free(s->offsets);
    g_free(s->index);
}

/* Append a member's bytes and its end offset; the index is the caller's business. */
static void set_append_bytes(RcSet *s, const void *data, gsize len)
{
    gsize used = s->bytes_used;           /* offsets[count], without reading that (cold) line */
    rc_assert(len <= G_MAXUINT32 - used); /* offsets are 32-bit: a set holds < 4 GiB */
    if (used + len > s->bytes_cap) {
        gsize cap = s->bytes_cap;
        while (cap < used + len)
            cap *= 2;
        s->bytes = g_realloc(s->bytes, cap);
        s->bytes_cap = cap;
    }
    if (s->count + 2 > s->offsets_cap) {
        s->offsets_cap *= 2;
        s->offsets = g_renew(guint32, s->offsets, s->offsets_cap);
    }
    rc_short_copy(s->bytes + used, data, len);
    s->count++;
    s->offsets[s->count] = (guint32)(used + len);
    s->bytes_used = (guint32)(used + len);
}

static gboolean data_as_ll(const void *data, gsize len, gint64 *v)
{
    return rc_string2ll(len > 0 ? data : "", len, v);
}

/* The hash of a member's or key's bytes for the in-memory indexes: eight bytes per step
 * (a multiply and a fold), then the tail. It depends on the contents only; no index is ever
 * iterated, so its values never reach the output (they may differ between byte orders). */
guint32 rc_bytes_hash(const void *data, gsize len)
{
    const guint8 *p = data;
    guint64 h = 0x9e3779b97f4a7c15ull ^ len;
    gsize left = len;
    for (; left > 8; p += 8, left -= 8) {
        guint64 w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    /* The last 1..8 bytes: a word ending at the last byte when the member has 8 (it may
     * overlap bytes already mixed in), else two halves that may overlap, else bytes. */
    guint64 tail = 0;
    if (len >= 8) {
        memcpy(&tail, p + left - 8, 8);
    } else if (left >= 4) {
        guint32 lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + left - 4, 4);
        tail = ((guint64)hi << 32) | lo;
    } else if (left > 0) {
        tail = (guint64)p[0] | (guint64)p[left / 2] << 8 | (guint64)p[left - 1] << 16;
    }
    h = (h ^ tail) * 0xc4ceb9fe1a85ec53ull;
    return (guint32)(h ^ (h >> 29) ^ (h >> 47));
}

/* A set's index: linear probing over 32-bit entries, at most three quarters full.
 *
 * The index is the one part of a set that SADD touches at a random place, so its size is
 * what decides whether a probe misses the cache (sets of a few hundred members, a copy on
 * each master and replica: 8-byte entries at half load made several MB of index). An entry
 * therefore packs both halves into 32 bits: with an index of 2^b slots and fewer than 2^b
 * members, 1 + the member's position fits in the low b bits (0 = empty), and the high
 * 32 - b bits hold the low 32 - b bits of the member's hash (`h << b`). A probe reads a
 * member only when those match. They include the b bits that picked the home slot, so
 * while b <= 15 they also hold the home slot one bit wider: the index doubles by moving
 * entries, reading no member (as the 64-bit entries allowed). Past that (sets of some
 * 24 k members) growing rehashes the members, walking the block in order. Linear probing at
 * 3/4 load costs a few more slots a probe than at 1/2, but those share a cache line.
 * SADD of a new member hashes it once and probes once; a member already there costs no
 * copy. */
static guint32 member_hash(const void *data, gsize len)
{
    return rc_bytes_hash(data, len);
}

#define SET_INDEX_MIN 8        /* first size of the index */
#define SET_INDEX_MOVE_BITS 15 /* up to 2^15 slots an entry holds its home one bit wider */

/* Whether `n` members fit an index of `size` slots (at most 3/4 full, so also n < size:
 * 1 + any position fits below the hash bits). */
static inline gboolean set_index_fits(guint64 n, guint64 size)
{
    return 4 * n <= 3 * size;
}

/* b, for an index of 2^b slots. */
static inline guint set_index_bits(const RcSet *s)
{
    return (guint)__builtin_ctz(~s->index_mask);
}

/* The index slot holding the member, or the empty slot where it would go. */
static guint set_probe_hashed(const RcSet *s, guint32 h, const void *data, gsize len)
{
    const guint32 mask = s->index_mask, high = h << set_index_bits(s);
    guint i = h & mask;
    for (guint32 e; (e = s->index[i]) != 0; i = (i + 1) & mask) {
        if ((e & ~mask) != high)
            continue;
        gsize mlen;
        const guint8 *m = rc_set_member(s, (e & mask) - 1, &mlen);
        if (mlen == len && (len == 0 || memcmp(m, data, len) == 0))
            break;
    }
    return i;
}

static guint set_probe(const RcSet *s, const void *data, gsize len)
{
    return set_probe_hashed(s, member_hash(data, len), data, len);
}

/* The entry for member `pos` (0-based) with hash `h`. */
static inline guint32 set_entry(const RcSet *s, guint32 h, guint pos)
{
    rc_assert(pos < s->index_mask); /* 1 + pos must stay below the hash bits */
    return (h << set_index_bits(s)) | (pos + 1);
}

/* An empty index of at least SET_INDEX_MIN slots with room for `n` members. */
static void set_index_alloc(RcSet *s, guint n)
{
    guint size = SET_INDEX_MIN;
    while (!set_index_fits(n, size))
        size *= 2;
    s->index = g_new0(guint32, size);
    s->index_mask = size - 1;
}

/* Rebuild the index with room for `n` members (after a removal moved positions, or to grow
 * past SET_INDEX_MOVE_BITS): every member is hashed again, in block order. */
static void set_reindex(RcSet *s, guint n)
{
    rc_assert(n >= s->count);
    g_free(s->index);
    set_index_alloc(s, n);
    for (guint j = 0; j < s->count; j++) {
        gsize len;
        const guint8 *m = rc_set_member(s, j, &len);
        guint32 h = member_hash(m, len);
        guint i = set_probe_hashed(s, h, m, len);
        rc_assert(s->index[i] == 0); /* members are distinct */
        s->index[i] = set_entry(s, h, j);
    }
}

/* Double the index (or make the first). While its entries hold b + 1 hash bits, each moves to
 * the first empty slot from its new home (members are distinct, so no member is read). */
static void set_grow(RcSet *s)
{
    guint b = s->index != NULL ? set_index_bits(s) : 0;
    if (s->index == NULL || b > SET_INDEX_MOVE_BITS) {
        set_reindex(s, s->count + 1);
        return;
    }
    const guint32 old_mask = s->index_mask;
    guint32 *old = s->index;
    s->index = g_new0(guint32, 2 * ((gsize)old_mask + 1));
    s->index_mask = 2 * old_mask + 1;
    for (guint k = 0; k <= old_mask; k++) {
        if (old[k] == 0)
            continue;
        guint32 low = old[k] >> b; /* the hash's low 32 - b bits, at least b + 1 of them */
        rc_assert((low & old_mask) == k || old[(k - 1) & old_mask] != 0); /* home, or pushed */
        guint i = low & s->index_mask;
        while (s->index[i] != 0)
            i = (i + 1) & s->index_mask;
        s->index[i] = (low << (b + 1)) | (old[k] & old_mask);
    }
    g_free(old);
}

static gboolean set_has(const RcSet *s, const void *data, gsize len)
{
    return s->index != NULL && s->index[set_probe(s, data, len)] != 0;
}

/* Add a member unless present. One probe finds it or its slot; a second only after the index
 * grew. */
static gboolean set_insert(RcSet *s, const void *data, gsize len)
{
    /* The index (a power of two, more than 4/3 of the members) must stay within 32 bits. */
    rc_assert(s->count < (1u << 29));
    guint32 h = member_hash(data, len);
    guint i = 0;
    if (s->index != NULL) {
        i = set_probe_hashed(s, h, data, len);
        if (s->index[i] != 0)
            return FALSE;
    }
    if (s->index == NULL || !set_index_fits(s->count + 1, (guint64)s->index_mask + 1)) {
        set_grow(s);
        i = set_probe_hashed(s, h, data, len);
    }
    rc_assert(s->index[i] == 0);
    set_append_bytes(s, data, len);
    s->index[i] = set_entry(s, h, s->count - 1);
    gint64 v;
    /* setTypeAdd(): a non-integer member, or one too many, converts for good. */
    if (s->is_intset && (!data_as_ll(data, len, &v) || s->count > RC_SET_MAX_INTSET_ENTRIES))
        s->is_intset = FALSE;
    return TRUE;
}

gboolean rc_set_add_data(RcSet *s, const void *data, gsize len)
{
    return set_insert(s, data, len);
}

gboolean rc_set_add(RcSet *s, GBytes *member)
{
    gsize len;
    const void *data = g_bytes_get_data(member, &len);
    return set_insert(s, data, len);
}

/* Close the gap member `pos` leaves in the block and the offsets. */
static void set_cut(RcSet *s, guint pos)
{
    guint32 start = s->offsets[pos], end = s->offsets[pos + 1], gap = end - start;
    memmove(s->bytes + start, s->bytes + end, s->offsets[s->count] - end);
    for (guint j = pos + 1; j <= s->count; j++)
        s->offsets[j - 1] = s->offsets[j] - gap;
    s->count--;
    s->bytes_used -= gap;
    rc_assert(s->offsets[s->count] == s->bytes_used);
}

gboolean rc_set_remove_data(RcSet *s, const void *data, gsize len)
{
    if (s->index == NULL)
        return FALSE;
    guint32 e = s->index[set_probe(s, data, len)];
    if (e == 0)
        return FALSE;
    guint pos = (e & s->index_mask) - 1;
    set_cut(s, pos);          /* keeps the order of the others */
    set_reindex(s, s->count); /* positions moved: O(n), as the removal is */
    return TRUE;
}

gboolean rc_set_remove(RcSet *s, GBytes *member)
{
    gsize len;
    const void *data = g_bytes_get_data(member, &len);
    return rc_set_remove_data(s, data, len);
}

gboolean rc_set_contains_data(const RcSet *s, const void *data, gsize len)
{
    return set_has(s, data, len);
}

gboolean rc_set_contains(const RcSet *s, GBytes *member)
{
    gsize len;
    const void *data = g_bytes_get_data(member, &len);
    return set_has(s, data, len);
}

guint rc_set_size(const RcSet *s)
{
    return s->count;
}

/* An intset member's value, with its position: what SMEMBERS sorts by. */
typedef struct {
    gint64 value;
    guint32 pos;
} SetIntMember;

static int cmp_int_members(gconstpointer a, gconstpointer b)
{
    const SetIntMember *x = a, *y = b;
    return x->value < y->value ? -1 : x->value > y->value;
}

guint32 *rc_set_members_order(const RcSet *s)
{
    guint32 *order = g_new(guint32, MAX(s->count, 1));
    if (!s->is_intset) {
        for (guint i = 0; i < s->count; i++)
            order[i] = i;
        return order;
    }
    /* At most RC_SET_MAX_INTSET_ENTRIES members, each a distinct integer (string2ll is
     * strict, so two members never parse to the same value). */
    SetIntMember *v = g_new(SetIntMember, MAX(s->count, 1));
    for (guint i = 0; i < s->count; i++) {
        gsize len;
        const guint8 *m = rc_set_member(s, i, &len);
        gboolean ok = data_as_ll(m, len, &v[i].value);
        rc_assert(ok);
        v[i].pos = i;
    }
    qsort(v, s->count, sizeof *v, cmp_int_members);
    for (guint i = 0; i < s->count; i++)
        order[i] = v[i].pos;
    g_free(v);
    return order;
}

/* A copy of the block, offsets and index as they are: same order, same positions. */
void rc_set_copy(RcSet *dst, const RcSet *src)
{
    gsize used = src->bytes_used;
    rc_assert(src->offsets[src->count] == used);
    dst->bytes = g_memdup2(src->bytes, MAX(used, 1));
    dst->bytes_cap = MAX(used, 1);
    dst->offsets = g_memdup2(src->offsets, sizeof(guint32) * (src->count + 1));
    dst->offsets_cap = src->count + 1;
    dst->count = src->count;
    dst->bytes_used = src->bytes_used;
    dst->index =
        src->index ? g_memdup2(src->index, sizeof(guint32) * ((gsize)src->index_mask + 1)) : NULL;
    dst->index_mask = src->index_mask;
    dst->is_intset = src->is_intset;
}
