/* The event heap, the slot table and the run loop. See kernel.h for the contract.
 *
 * Layout: the heap holds 16-byte entries (time, key), key = sequence << 26 | slot. Because
 * sequence numbers are unique and increase, comparing keys compares sequence numbers, so
 * (time, key) order is (time, insertion) order. The slot holds what to run and a generation;
 * a timer id is generation << 32 | slot, so an id goes stale the moment its event runs or is
 * cancelled, and slots can be reused without confusing old ids.
 *
 * Events for the current instant (before-sleep, connects, resumes: a third of a run's events)
 * skip the heap: they wait in a FIFO beside it. Every one of them has time == now and a
 * sequence number above every entry queued before it, so among themselves they are in order,
 * and the next event is the smallest of the FIFO's head, the run's head and the heap's top.
 *
 * The run: a bucket of the wheel that comes up with at most RUN_CAP entries (nearly all of
 * them: a run of the default scenario sees about four per bucket) is sorted into a small
 * array consumed from its front, instead of going through the heap (a push and a pop of
 * ~100 instructions each per event). Entries scheduled into the current bucket later are
 * inserted into the run at their place while it has room, else pushed on the heap; a bucket
 * too big for the run goes to the heap whole. Both hold only entries of buckets <= cur, so
 * taking the smaller head of the two keeps the order exact. Cancelled entries of a bucket
 * are dropped as it fills the run.
 *
 * Dispatch: most steps take the FIFO's head (when nothing in the run or the heap is due at
 * this instant) or the run's head (when the FIFO and the heap are empty) without the general
 * search (take_next_fast). So a node's before-sleep, scheduled for now by the event that
 * delivered to it, runs straight after that event whenever nothing else is due now: where
 * its queued form would run, taking its sequence number and counting as an event as before. */
#include "sim/kernel.h"

#include <stddef.h>
#include <string.h>

#define SLOT_BITS 26
#define SLOT_MASK ((G_GUINT64_CONSTANT(1) << SLOT_BITS) - 1)
#define SEQ_MAX (G_MAXUINT64 >> SLOT_BITS)
#define SLOT_NONE G_MAXUINT32

typedef struct {
    RcTime at_us; /* primary key */
    guint64 key;  /* sequence << SLOT_BITS | slot: tie-break in insertion order */
} HeapEntry;

/* The run's capacity: a sorted insert shifts at most this many entries. */
#define RUN_CAP 64

/* Far events wait in a timing wheel of unsorted buckets (each 2^BUCKET_SHIFT us wide) and
 * enter the heap only when their bucket comes up, so the heap stays small and hot in cache.
 * Events beyond the wheel's span wait in an overflow array that is re-bucketed as the wheel
 * turns. Within a bucket, order comes from the heap, so (time, sequence) order is exact. */
#define BUCKET_SHIFT 10 /* 1.024 ms */
#define WHEEL_SIZE 4096 /* 4.2 s of buckets */

typedef struct {
    HeapEntry *items;
    guint len, cap;
} Bucket;

typedef struct {
    SimEventFn fn; /* NULL: free, or cancelled and still in the heap */
    gpointer data; /* given to fn */
    guint64 arg;   /* given to fn */
    guint32 gen;   /* bumped whenever the slot's event runs or is cancelled; starts at 1 */
    guint32 next;  /* free list link while free */
} Slot;

struct SimKernel {
    SimKernelHead head; /* the clock and the trace (kernel.h reads them inline) */
    guint64 seed;       /* the run's seed (for sim_rng_*; the kernel draws nothing) */
    guint64 next_seq;   /* sequence number of the next scheduled event */
    guint64 events_run; /* events dispatched, all runs */
    HeapEntry *heap;    /* 4-ary min-heap of heap_len entries, inside heap_base */
    gpointer heap_base; /* the aligned allocation */
    guint heap_len;
    guint heap_cap;
    guint n_dead;             /* cancelled entries still queued (heap, wheel or overflow) */
    guint64 n_queued;         /* entries queued anywhere, dead ones included */
    gint64 cur;               /* wheel bucket number drained into the heap: the heap holds exactly
                                 the entries with bucket number <= cur */
    Bucket wheel[WHEEL_SIZE]; /* bucket numbers cur+1 .. cur+WHEEL_SIZE, by number % size */
    guint64 wheel_len;        /* entries in the wheel */
    Bucket overflow;          /* bucket numbers beyond the wheel, unsorted */
    HeapEntry run[RUN_CAP];   /* the run: entries [run_head, run_len) in (time, key) order */
    guint run_head, run_len;
    HeapEntry *now_q; /* the FIFO: entries [now_head, now_len), all at time now_us */
    guint now_head, now_len, now_cap;
    gint64 overflow_min; /* smallest bucket number in overflow (G_MAXINT64 if empty) */
    Slot *slots;         /* slot table */
    guint32 n_slots;     /* used part of the table */
    guint32 slots_cap;
    guint32 free_slot; /* head of the free list, SLOT_NONE if empty */
    gboolean stop;     /* set by sim_kernel_stop() */
};

_Static_assert(offsetof(struct SimKernel, head) == 0, "kernel.h reads the head at offset 0");

/* The heap array lives at base + 3 entries, so &heap[1] is 64-byte aligned. */
static HeapEntry *heap_alloc(guint cap, gpointer *base)
{
    *base = g_aligned_alloc(cap + 4, sizeof(HeapEntry), 64);
    return (HeapEntry *)*base + 3;
}

SimKernel *sim_kernel_new(guint64 seed)
{
    SimKernel *k = g_new0(SimKernel, 1);
    k->seed = seed;
    k->heap_cap = 1024;
    k->heap = heap_alloc(k->heap_cap, &k->heap_base);
    k->slots_cap = 1024;
    k->slots = g_new(Slot, k->slots_cap);
    k->free_slot = SLOT_NONE;
    k->cur = 0;
    k->overflow_min = G_MAXINT64;
    k->head.trace = sim_trace_new();
    return k;
}

void sim_kernel_free(SimKernel *k)
{
    if (k == NULL)
        return;
    sim_trace_free(k->head.trace);
    g_aligned_free(k->heap_base);
    for (guint i = 0; i < WHEEL_SIZE; i++)
        g_free(k->wheel[i].items);
    g_free(k->overflow.items);
    g_free(k->now_q);
    g_free(k->slots);
    g_free(k);
}

guint64 sim_kernel_seed(const SimKernel *k)
{
    return k->seed;
}

guint64 sim_kernel_events(const SimKernel *k)
{
    return k->events_run;
}

guint sim_kernel_pending(const SimKernel *k)
{
    return (guint)(k->n_queued - k->n_dead);
}

static inline gboolean entry_less(const HeapEntry *a, const HeapEntry *b)
{
#ifdef __SIZEOF_INT128__
    /* one branch-free 128-bit compare; times are never negative */
    unsigned __int128 x = ((unsigned __int128)(guint64)a->at_us << 64) | a->key;
    unsigned __int128 y = ((unsigned __int128)(guint64)b->at_us << 64) | b->key;
    return x < y;
#else
    return a->at_us < b->at_us || (a->at_us == b->at_us && a->key < b->key);
#endif
}

/* A 4-ary heap: half the depth of a binary one, and with the array offset so that entry 1
 * starts a 64-byte line, the four children of any entry share one cache line. */
#define ARITY 4

static void sift_up(HeapEntry *heap, guint i)
{
    HeapEntry e = heap[i];
    while (i > 0) {
        guint parent = (i - 1) / ARITY;
        if (!entry_less(&e, &heap[parent]))
            break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = e;
}

static void sift_down(HeapEntry *heap, guint len, guint i)
{
    HeapEntry e = heap[i];
    for (;;) {
        guint first = ARITY * i + 1;
        if (first >= len)
            break;
        guint last = MIN(first + ARITY, len);
        guint best = first;
        for (guint c = first + 1; c < last; c++)
            if (entry_less(&heap[c], &heap[best]))
                best = c;
        if (!entry_less(&heap[best], &e))
            break;
        heap[i] = heap[best];
        i = best;
    }
    heap[i] = e;
}

/* Out of line: entries reach the heap only when the run is full or a bucket too big for it
 * comes up. */
static G_GNUC_NO_INLINE void heap_push(SimKernel *k, HeapEntry e)
{
    if (k->heap_len == k->heap_cap) {
        gpointer base;
        HeapEntry *bigger = heap_alloc(k->heap_cap * 2, &base);
        memcpy(bigger, k->heap, k->heap_len * sizeof(HeapEntry));
        g_aligned_free(k->heap_base);
        k->heap = bigger;
        k->heap_base = base;
        k->heap_cap *= 2;
    }
    guint i = k->heap_len++;
    k->heap[i] = e;
    sift_up(k->heap, i);
}

static G_GNUC_NO_INLINE void bucket_grow(Bucket *b)
{
    b->cap = b->cap ? b->cap * 2 : 8;
    b->items = g_renew(HeapEntry, b->items, b->cap);
}

static inline void bucket_add(Bucket *b, HeapEntry e)
{
    if (G_UNLIKELY(b->len == b->cap))
        bucket_grow(b);
    b->items[b->len++] = e;
}

static gboolean run_is_empty(const SimKernel *k)
{
    return k->run_head == k->run_len;
}

/* Take the run's head off (as now_pop and heap_pop do theirs). */
static inline void run_pop(SimKernel *k)
{
    rc_assert(!run_is_empty(k));
    k->run_head++;
    k->n_queued--;
}

/* Insert an entry of the current bucket at its place in the run, which has room for it. The
 * entry's sequence number is the highest queued, so it goes after every entry of its time:
 * shift only those with a later time. */
static inline void run_place(SimKernel *k, HeapEntry e)
{
    rc_assert(k->run_len < RUN_CAP);
    guint i = k->run_len++;
    while (i > k->run_head && k->run[i - 1].at_us > e.at_us) {
        k->run[i] = k->run[i - 1];
        i--;
    }
    k->run[i] = e;
}

/* Insert an entry of the current bucket at its place in the run (sliding the run to the
 * array's start if needed); FALSE if the run is full. */
static inline gboolean run_insert(SimKernel *k, HeapEntry e)
{
    if (k->run_len == RUN_CAP) {
        if (k->run_head == 0)
            return FALSE;
        memmove(k->run, k->run + k->run_head, (k->run_len - k->run_head) * sizeof(HeapEntry));
        k->run_len -= k->run_head;
        k->run_head = 0;
    }
    run_place(k, e);
    return TRUE;
}

static void slot_release(SimKernel *k, guint32 s)
{
    k->slots[s].fn = NULL;
    k->slots[s].next = k->free_slot;
    k->free_slot = s;
}

static gboolean slot_is_dead(const SimKernel *k, const HeapEntry *e)
{
    return k->slots[e->key & SLOT_MASK].fn == NULL;
}

/* A cancelled entry left its queue: its slot is free now. */
static void drop_dead(SimKernel *k, const HeapEntry *e)
{
    slot_release(k, (guint32)(e->key & SLOT_MASK));
    k->n_dead--;
}

/* Fill the empty run with the live entries of bucket `b` (at most RUN_CAP entries), sorted
 * by insertion. A cancelled entry (a client's attempt timeout, nearly always) is dropped
 * here rather than sorted in and dropped at the run's head; its slot is read now either way
 * (a live one's at dispatch, soon after). */
static void run_fill(SimKernel *k, const Bucket *b)
{
    rc_assert(run_is_empty(k) && b->len <= RUN_CAP);
    guint n = 0;
    for (guint j = 0; j < b->len; j++) {
        HeapEntry e = b->items[j];
        if (slot_is_dead(k, &e)) {
            drop_dead(k, &e);
            k->n_queued--;
            continue;
        }
        guint i = n++;
        while (i > 0 && entry_less(&e, &k->run[i - 1])) {
            k->run[i] = k->run[i - 1];
            i--;
        }
        k->run[i] = e;
    }
    k->run_head = 0;
    k->run_len = n;
}

/* Make room at the FIFO's tail: slide the live part down, or grow. */
static G_GNUC_NO_INLINE void now_make_room(SimKernel *k)
{
    if (k->now_head > 0) {
        memmove(k->now_q, k->now_q + k->now_head, (k->now_len - k->now_head) * sizeof(HeapEntry));
        k->now_len -= k->now_head;
        k->now_head = 0;
    } else {
        k->now_cap = k->now_cap ? k->now_cap * 2 : 64;
        k->now_q = g_renew(HeapEntry, k->now_q, k->now_cap);
    }
}

static inline void now_push(SimKernel *k, HeapEntry e)
{
    if (G_UNLIKELY(k->now_len == k->now_cap))
        now_make_room(k);
    k->now_q[k->now_len++] = e;
}

static void now_pop(SimKernel *k)
{
    rc_assert(k->now_head < k->now_len);
    k->now_head++;
    k->n_queued--;
    if (k->now_head == k->now_len)
        k->now_head = k->now_len = 0;
}

/* Beyond the wheel's span (seconds ahead: rare). */
static G_GNUC_NO_INLINE void overflow_add(SimKernel *k, HeapEntry e, gint64 num)
{
    bucket_add(&k->overflow, e);
    k->overflow_min = MIN(k->overflow_min, num);
}

/* Put an entry where its time says: the FIFO (now), else by bucket number: heap, wheel or
 * overflow. */
static void queue_entry(SimKernel *k, HeapEntry e)
{
    gint64 num = e.at_us >> BUCKET_SHIFT;
    if (e.at_us == k->head.now_us) {
        now_push(k, e);
    } else if (num <= k->cur) {
        if (!run_insert(k, e))
            heap_push(k, e);
    } else if (num <= k->cur + WHEEL_SIZE) {
        bucket_add(&k->wheel[num & (WHEEL_SIZE - 1)], e);
        k->wheel_len++;
    } else {
        overflow_add(k, e, num);
    }
}

/* Move overflow entries that the wheel now covers into their buckets. */
static G_GNUC_NO_INLINE void pull_overflow_now(SimKernel *k)
{
    Bucket *o = &k->overflow;
    guint j = 0;
    k->overflow_min = G_MAXINT64;
    for (guint i = 0; i < o->len; i++) {
        HeapEntry e = o->items[i];
        gint64 num = e.at_us >> BUCKET_SHIFT;
        if (num <= k->cur + WHEEL_SIZE) {
            rc_assert(num > k->cur);
            bucket_add(&k->wheel[num & (WHEEL_SIZE - 1)], e);
            k->wheel_len++;
        } else {
            o->items[j++] = e;
            k->overflow_min = MIN(k->overflow_min, num);
        }
    }
    o->len = j;
}

/* Called at every turn of the wheel: usually nothing in the overflow is due yet. */
static inline void pull_overflow(SimKernel *k)
{
    if (k->overflow_min <= k->cur + WHEEL_SIZE)
        pull_overflow_now(k);
}

/* Make the run or the heap non-empty if anything is queued: turn the wheel to the next
 * non-empty bucket (jumping ahead to the overflow when the wheel is empty). FALSE if nothing
 * is. */
static G_GNUC_NO_INLINE gboolean fill_queues(SimKernel *k)
{
    while (k->heap_len == 0 && run_is_empty(k)) {
        if (k->wheel_len == 0) {
            if (k->overflow.len == 0)
                return FALSE;
            k->cur = MAX(k->cur, k->overflow_min - 1);
            pull_overflow(k);
            continue;
        }
        k->cur++;
        /* Drain bucket cur before pulling the overflow: bucket cur + WHEEL_SIZE shares its
         * array and may receive entries once cur has moved. */
        Bucket *b = &k->wheel[k->cur & (WHEEL_SIZE - 1)];
        if (b->len == 0) {
            pull_overflow(k);
            continue;
        }
        k->wheel_len -= b->len;
        if (b->len <= RUN_CAP) {
            run_fill(k, b);
        } else {
            for (guint i = 0; i < b->len; i++) {
                /* as in run_fill: the slot is read at dispatch */
                __builtin_prefetch(&k->slots[b->items[i].key & SLOT_MASK]);
                heap_push(k, b->items[i]);
            }
        }
        b->len = 0;
        pull_overflow(k);
    }
    return TRUE;
}

/* A slot never used before (the free list is empty), growing the table if needed. */
static G_GNUC_NO_INLINE guint32 slot_new(SimKernel *k)
{
    if (k->n_slots == k->slots_cap) {
        rc_assert(k->slots_cap <= SLOT_MASK / 2); /* more than 64M pending events */
        k->slots_cap *= 2;
        k->slots = g_renew(Slot, k->slots, k->slots_cap);
    }
    guint32 s = k->n_slots++;
    k->slots[s].gen = 1;
    return s;
}

static inline guint32 slot_alloc(SimKernel *k)
{
    guint32 s = k->free_slot;
    if (G_UNLIKELY(s == SLOT_NONE))
        return slot_new(k);
    k->free_slot = k->slots[s].next;
    return s;
}

/* Fill slot `s` and make its queue entry (taking the next sequence number). */
static inline HeapEntry slot_fill(SimKernel *k, guint32 s, RcTime at_us, SimEventFn fn,
                                  gpointer data, guint64 arg)
{
    Slot *slot = &k->slots[s];
    slot->fn = fn;
    slot->data = data;
    slot->arg = arg;
    k->n_queued++;
    return (HeapEntry){at_us, (k->next_seq++ << SLOT_BITS) | s};
}

static inline SimTimerId timer_id(const SimKernel *k, guint32 s)
{
    return ((guint64)k->slots[s].gen << 32) | s;
}

/* Scheduling in general: the slot table or the entry's queue may have to grow or spill. */
static G_GNUC_NO_INLINE SimTimerId schedule_growing(SimKernel *k, RcTime at_us, SimEventFn fn,
                                                    gpointer data, guint64 arg)
{
    guint32 s = slot_alloc(k);
    queue_entry(k, slot_fill(k, s, at_us, fn, data, arg));
    return timer_id(k, s);
}

/* Nearly every scheduling finds a free slot and room in its queue: then it calls nothing, so
 * it saves few registers, and schedule_growing handles the rest. Where an entry goes is
 * queue_entry's rule, branch for branch (checking room before taking the slot). */
SimTimerId sim_kernel_schedule(SimKernel *k, RcTime at_us, SimEventFn fn, gpointer data,
                               guint64 arg)
{
    rc_assert(fn != NULL);
    rc_assert(at_us >= k->head.now_us); /* time never goes backwards */
    rc_assert(k->next_seq < SEQ_MAX);
    guint32 s = k->free_slot;
    if (G_UNLIKELY(s == SLOT_NONE))
        return schedule_growing(k, at_us, fn, data, arg);
    gint64 num = at_us >> BUCKET_SHIFT;
    Bucket *b = &k->wheel[num & (WHEEL_SIZE - 1)];
    if (at_us == k->head.now_us) {
        if (G_UNLIKELY(k->now_len == k->now_cap))
            return schedule_growing(k, at_us, fn, data, arg);
        k->free_slot = k->slots[s].next;
        k->now_q[k->now_len++] = slot_fill(k, s, at_us, fn, data, arg);
    } else if (num <= k->cur) {
        if (G_UNLIKELY(k->run_len == RUN_CAP))
            return schedule_growing(k, at_us, fn, data, arg);
        k->free_slot = k->slots[s].next;
        run_place(k, slot_fill(k, s, at_us, fn, data, arg));
    } else if (num <= k->cur + WHEEL_SIZE && G_LIKELY(b->len < b->cap)) {
        k->free_slot = k->slots[s].next;
        b->items[b->len++] = slot_fill(k, s, at_us, fn, data, arg);
        k->wheel_len++;
    } else {
        return schedule_growing(k, at_us, fn, data, arg);
    }
    return timer_id(k, s);
}

SimTimerId sim_kernel_schedule_in(SimKernel *k, RcTime delay_us, SimEventFn fn, gpointer data,
                                  guint64 arg)
{
    rc_assert(delay_us >= 0);
    rc_assert(delay_us <= SIM_TIME_NEVER - k->head.now_us);
    return sim_kernel_schedule(k, k->head.now_us + delay_us, fn, data, arg);
}

static Slot *live_slot(const SimKernel *k, SimTimerId id)
{
    guint32 s = (guint32)(id & G_MAXUINT32);
    guint32 gen = (guint32)(id >> 32);
    if (id == SIM_TIMER_NONE || s >= k->n_slots)
        return NULL;
    Slot *slot = &k->slots[s];
    if (slot->gen != gen || slot->fn == NULL)
        return NULL;
    return slot;
}

gboolean sim_kernel_is_pending(const SimKernel *k, SimTimerId id)
{
    return live_slot(k, id) != NULL;
}

/* Drop every cancelled entry and rebuild the heap: O(n), done when they are the majority. */
static guint filter_live(SimKernel *k, HeapEntry *items, guint len)
{
    guint j = 0;
    for (guint i = 0; i < len; i++) {
        guint32 s = (guint32)(items[i].key & SLOT_MASK);
        if (k->slots[s].fn == NULL)
            slot_release(k, s);
        else
            items[j++] = items[i];
    }
    return j;
}

/* Drop every cancelled entry wherever it waits and rebuild the heap: O(n), done when the
 * dead are the majority. */
static void compact(SimKernel *k)
{
    k->heap_len = filter_live(k, k->heap, k->heap_len);
    k->run_len = k->run_head + filter_live(k, k->run + k->run_head, k->run_len - k->run_head);
    for (guint i = k->heap_len / ARITY + 1; i-- > 0;)
        sift_down(k->heap, k->heap_len, i);
    k->wheel_len = 0;
    for (guint b = 0; b < WHEEL_SIZE; b++) {
        k->wheel[b].len = filter_live(k, k->wheel[b].items, k->wheel[b].len);
        k->wheel_len += k->wheel[b].len;
    }
    k->overflow.len = filter_live(k, k->overflow.items, k->overflow.len);
    guint now_live = filter_live(k, k->now_q + k->now_head, k->now_len - k->now_head);
    k->now_len = k->now_head + now_live;
    k->n_queued =
        k->heap_len + (k->run_len - k->run_head) + k->wheel_len + k->overflow.len + now_live;
    k->n_dead = 0;
}

gboolean sim_kernel_cancel(SimKernel *k, SimTimerId id)
{
    Slot *slot = live_slot(k, id);
    if (slot == NULL)
        return FALSE;
    slot->fn = NULL; /* tombstone: the heap entry is dropped when it surfaces */
    slot->gen++;
    k->n_dead++;
    if (k->n_dead > 1024 && k->n_dead > k->n_queued / 2)
        compact(k);
    return TRUE;
}

/* Remove the top. Bottom-up: walk the hole down along the smallest children to a leaf
 * (no comparison with the moved element on the way), drop the last entry into the hole and
 * sift it up; the last entry is usually large, so that final climb is short. */
static G_GNUC_NO_INLINE void heap_pop(SimKernel *k)
{
    HeapEntry *heap = k->heap;
    guint len = --k->heap_len;
    k->n_queued--;
    if (len == 0)
        return;
    guint i = 0;
    for (;;) {
        guint first = ARITY * i + 1;
        if (first >= len)
            break;
        guint best = first;
        if (first + ARITY <= len) {
            /* the next level's line is one of these four: fetch all while we compare */
            guint grand = ARITY * first + 1;
            if (grand + 3 * ARITY < len) {
                __builtin_prefetch(&heap[grand]);
                __builtin_prefetch(&heap[grand + ARITY]);
                __builtin_prefetch(&heap[grand + 2 * ARITY]);
                __builtin_prefetch(&heap[grand + 3 * ARITY]);
            }
            guint b01 = entry_less(&heap[first + 1], &heap[first]) ? first + 1 : first;
            guint b23 = entry_less(&heap[first + 3], &heap[first + 2]) ? first + 3 : first + 2;
            best = entry_less(&heap[b23], &heap[b01]) ? b23 : b01;
        } else {
            for (guint c = first + 1; c < len; c++)
                if (entry_less(&heap[c], &heap[best]))
                    best = c;
        }
        heap[i] = heap[best];
        i = best;
    }
    heap[i] = heap[len];
    sift_up(heap, i);
}

/* Where the next event waits. */
typedef enum {
    FROM_NONE, /* nothing is queued */
    FROM_NOW,  /* the FIFO's head */
    FROM_RUN,  /* the run's head */
    FROM_HEAP, /* the heap's top */
} NextFrom;

/* Drop cancelled entries at the heads of the run and the heap, turning the wheel when both
 * are empty; TRUE if either holds a live entry at its head then. */
static gboolean skip_dead(SimKernel *k)
{
    for (;;) {
        if (k->heap_len == 0 && run_is_empty(k) && !fill_queues(k))
            return FALSE;
        if (k->n_dead == 0)
            return TRUE;
        if (!run_is_empty(k) && slot_is_dead(k, &k->run[k->run_head])) {
            drop_dead(k, &k->run[k->run_head]);
            run_pop(k);
            continue;
        }
        if (k->heap_len > 0 && slot_is_dead(k, &k->heap[0])) {
            drop_dead(k, &k->heap[0]);
            heap_pop(k);
            continue;
        }
        return TRUE;
    }
}

/* Drop cancelled entries at the FIFO's head; TRUE if a live one is there. */
static gboolean now_skip_dead(SimKernel *k)
{
    while (k->now_head < k->now_len) {
        if (k->n_dead == 0 || !slot_is_dead(k, &k->now_q[k->now_head]))
            return TRUE;
        drop_dead(k, &k->now_q[k->now_head]);
        now_pop(k);
    }
    return FALSE;
}

/* The next live entry: where it waits (FROM_NONE if nowhere) and, through *top, the entry. */
static inline NextFrom peek_next(SimKernel *k, const HeapEntry **top)
{
    NextFrom from = FROM_NONE;
    const HeapEntry *best = NULL;
    gboolean in_now = now_skip_dead(k); /* first: the order slots return to the free list */
    if (skip_dead(k)) {
        if (!run_is_empty(k)) {
            from = FROM_RUN;
            best = &k->run[k->run_head];
        }
        if (k->heap_len > 0 && (best == NULL || entry_less(&k->heap[0], best))) {
            from = FROM_HEAP;
            best = &k->heap[0];
        }
    }
    if (in_now && (best == NULL || entry_less(&k->now_q[k->now_head], best))) {
        from = FROM_NOW;
        best = &k->now_q[k->now_head];
    }
    *top = best;
    return from;
}

RcTime sim_kernel_next_time(SimKernel *k)
{
    const HeapEntry *top;
    if (peek_next(k, &top) == FROM_NONE)
        return SIM_TIME_NEVER;
    return top->at_us;
}

void sim_kernel_stop(SimKernel *k)
{
    k->stop = TRUE;
}

/* The next event without the general search, in the two cases that make up nearly every
 * step of a run; FALSE (nothing taken) otherwise, and peek_next decides.
 *   - The FIFO's head, when it is live and nothing in the run or the heap is due at this
 *     instant: those were queued before the clock reached it, so they would come first;
 *     anything later comes after. This is how a before-sleep (or a connect, a resume)
 *     scheduled for now runs straight after the event that scheduled it when nothing else
 *     is due now, exactly where its queued form would have run.
 *   - The run's head, when it is live, not later than `until_us`, and the FIFO and the heap
 *     are empty.
 * Only live heads are taken: dead ones, and everything else, go the general way, which
 * drops them. Which slot a later event gets may differ from the general way (dead entries are
 * dropped later), never the order: keys compare by sequence before slot. */
static inline gboolean take_next_fast(SimKernel *k, RcTime until_us, HeapEntry *top)
{
    if (k->now_head < k->now_len) {
        const HeapEntry *e = &k->now_q[k->now_head];
        RcTime now = k->head.now_us;
        if (slot_is_dead(k, e) || (!run_is_empty(k) && k->run[k->run_head].at_us == now) ||
            (k->heap_len > 0 && k->heap[0].at_us == now))
            return FALSE;
        rc_assert(e->at_us == now);
        *top = *e;
        now_pop(k);
        return TRUE;
    }
    if (k->heap_len == 0 && !run_is_empty(k)) {
        const HeapEntry *e = &k->run[k->run_head];
        if (e->at_us > until_us || slot_is_dead(k, e))
            return FALSE;
        *top = *e;
        run_pop(k);
        return TRUE;
    }
    return FALSE;
}

/* The next event by the general search: dead heads dropped, the wheel turned if need be.
 * Returns the end of the run if there is none due by `until_us`, else -1 with *top taken off
 * its queue. */
static int take_next(SimKernel *k, RcTime until_us, HeapEntry *top)
{
    const HeapEntry *next;
    NextFrom from = peek_next(k, &next);
    if (from == FROM_NONE) {
        if (until_us != SIM_TIME_NEVER)
            k->head.now_us = until_us;
        return SIM_RUN_IDLE;
    }
    if (next->at_us > until_us) {
        rc_assert(from != FROM_NOW);
        k->head.now_us = until_us;
        return SIM_RUN_UNTIL;
    }
    *top = *next;
    if (from == FROM_NOW) {
        now_pop(k);
    } else if (from == FROM_RUN) {
        run_pop(k);
    } else {
        heap_pop(k);
    }
    return -1;
}

SimRunEnd sim_kernel_run(SimKernel *k, RcTime until_us, guint64 max_events)
{
    rc_assert(until_us >= k->head.now_us);
    guint64 ran = 0;
    k->stop = FALSE;
    for (;;) {
        if (k->stop) {
            k->stop = FALSE;
            return SIM_RUN_STOPPED;
        }
        if (max_events != 0 && ran >= max_events)
            return SIM_RUN_MAX_EVENTS;
        HeapEntry top;
        if (!take_next_fast(k, until_us, &top)) {
            int end = take_next(k, until_us, &top);
            if (end >= 0)
                return (SimRunEnd)end;
        }
        guint32 s = (guint32)(top.key & SLOT_MASK);
        Slot *slot = &k->slots[s];
        SimEventFn fn = slot->fn;
        gpointer data = slot->data;
        guint64 arg = slot->arg;
        slot->gen++; /* the id is stale from now on: cancelling it returns FALSE */
        slot_release(k, s);
        k->head.now_us = top.at_us;
        k->events_run++;
        ran++;
        fn(k, data, arg);
    }
}
