/* Kernel: ordering by (time, insertion), cancellation, caps, trace fingerprint. */
#include <check.h>

#include <glib/gstdio.h>

#include "sim/kernel.h"
#include "sim/rng.h"

typedef struct {
    GArray *log; /* guint64 args, in run order */
    GArray *times;
    SimTimerId to_cancel;
    gboolean cancel_result;
} Log;

static void log_event(SimKernel *k, gpointer data, guint64 arg)
{
    Log *l = data;
    RcTime now = sim_kernel_now(k);
    g_array_append_val(l->log, arg);
    g_array_append_val(l->times, now);
}

static Log *log_new(void)
{
    Log *l = g_new0(Log, 1);
    l->log = g_array_new(FALSE, FALSE, sizeof(guint64));
    l->times = g_array_new(FALSE, FALSE, sizeof(RcTime));
    return l;
}

static void log_free(Log *l)
{
    g_array_free(l->log, TRUE);
    g_array_free(l->times, TRUE);
    g_free(l);
}

START_TEST(test_ties_run_in_insertion_order)
{
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    Log *l = log_new();
    /* interleave two instants; ties must keep insertion order */
    for (guint64 i = 0; i < 200; i++)
        sim_kernel_schedule(k, (i % 2) ? 500 : 100, log_event, l, i);
    ck_assert_int_eq(sim_kernel_run(k, SIM_TIME_NEVER, 0), SIM_RUN_IDLE);
    ck_assert_uint_eq(l->log->len, 200);
    for (guint i = 0; i < 100; i++) {
        ck_assert_uint_eq(g_array_index(l->log, guint64, i), 2 * i);
        ck_assert_int_eq(g_array_index(l->times, RcTime, i), 100);
        ck_assert_uint_eq(g_array_index(l->log, guint64, 100 + i), 2 * i + 1);
        ck_assert_int_eq(g_array_index(l->times, RcTime, 100 + i), 500);
    }
    ck_assert_uint_eq(sim_kernel_events(k), 200);
    log_free(l);
}
END_TEST

/* Random times: the run order must equal a stable sort by time. */
START_TEST(test_order_matches_stable_sort)
{
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    Log *l = log_new();
    GRand *r = g_rand_new_with_seed(7);
    RcTime at[5000];
    for (guint i = 0; i < G_N_ELEMENTS(at); i++) {
        at[i] = g_rand_int_range(r, 0, 300);
        sim_kernel_schedule(k, at[i], log_event, l, i);
    }
    sim_kernel_run(k, SIM_TIME_NEVER, 0);
    ck_assert_uint_eq(l->log->len, G_N_ELEMENTS(at));
    for (guint i = 1; i < l->log->len; i++) {
        guint64 a = g_array_index(l->log, guint64, i - 1);
        guint64 b = g_array_index(l->log, guint64, i);
        ck_assert(at[a] < at[b] || (at[a] == at[b] && a < b));
    }
    g_rand_free(r);
    log_free(l);
}
END_TEST

static void schedule_more(SimKernel *k, gpointer data, guint64 arg)
{
    Log *l = data;
    log_event(k, data, arg);
    if (arg < 5) /* an event at the current instant runs after everything already due now */
        sim_kernel_schedule(k, sim_kernel_now(k), schedule_more, l, arg + 10);
}

START_TEST(test_same_instant_reschedule_runs_last)
{
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    Log *l = log_new();
    sim_kernel_schedule(k, 10, schedule_more, l, 1);
    sim_kernel_schedule(k, 10, schedule_more, l, 2);
    sim_kernel_run(k, SIM_TIME_NEVER, 0);
    guint64 want[] = {1, 2, 11, 12};
    ck_assert_uint_eq(l->log->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        ck_assert_uint_eq(g_array_index(l->log, guint64, i), want[i]);
    log_free(l);
}
END_TEST

/* Logs, then schedules its follower (arg + 1000) for the current instant, as a node's
 * driver schedules its before-sleep after each delivery. */
static void follow_now(SimKernel *k, gpointer data, guint64 arg)
{
    log_event(k, data, arg);
    sim_kernel_schedule(k, sim_kernel_now(k), log_event, data, arg + 1000);
}

static void expect_log(const Log *l, const guint64 *want, guint n)
{
    ck_assert_uint_eq(l->log->len, n);
    for (guint i = 0; i < n; i++)
        ck_assert_uint_eq(g_array_index(l->log, guint64, i), want[i]);
}

/* A follower runs straight after its event when nothing else is due at that instant (the
 * run loop takes it without a search), and after whatever is: events queued earlier for the
 * same instant, whether they wait in the run or, when the instant holds more than a run
 * does, in the heap. */
START_TEST(test_now_event_runs_next_unless_a_tie_is_due)
{
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    Log *l = log_new();
    sim_kernel_schedule(k, 100, follow_now, l, 1);
    sim_kernel_schedule(k, 101, log_event, l, 2);
    sim_kernel_schedule(k, 200, follow_now, l, 3);
    sim_kernel_schedule(k, 200, log_event, l, 4); /* a tie in the run */
    for (guint64 i = 0; i < 100; i++)             /* ties beyond the run's 64: the heap */
        sim_kernel_schedule(k, 5000, follow_now, l, 10 + i);
    sim_kernel_schedule(k, 5001, log_event, l, 5);
    ck_assert_int_eq(sim_kernel_run(k, SIM_TIME_NEVER, 0), SIM_RUN_IDLE);
    guint64 want[6 + 200 + 1] = {1, 1001, 2, 3, 4, 1003};
    for (guint i = 0; i < 100; i++) {
        want[6 + i] = 10 + i;
        want[106 + i] = 1010 + i;
    }
    want[206] = 5;
    expect_log(l, want, G_N_ELEMENTS(want));
    ck_assert_uint_eq(sim_kernel_events(k), G_N_ELEMENTS(want));
    log_free(l);
}
END_TEST

static void follow_and_cancel(SimKernel *k, gpointer data, guint64 arg)
{
    Log *l = data;
    log_event(k, data, arg);
    SimTimerId first = sim_kernel_schedule(k, sim_kernel_now(k), log_event, data, arg + 1000);
    sim_kernel_schedule(k, sim_kernel_now(k), log_event, data, arg + 2000);
    l->cancel_result = sim_kernel_cancel(k, first);
}

/* A cap on the event count falls between an event and its follower as between any two
 * events; a cancelled follower does not run and is not counted. */
START_TEST(test_now_event_cap_and_cancel)
{
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    Log *l = log_new();
    sim_kernel_schedule(k, 100, follow_now, l, 1);
    sim_kernel_schedule(k, 300, follow_and_cancel, l, 2);
    ck_assert_int_eq(sim_kernel_run(k, SIM_TIME_NEVER, 1), SIM_RUN_MAX_EVENTS);
    ck_assert_uint_eq(l->log->len, 1);
    ck_assert_uint_eq(sim_kernel_pending(k), 2); /* the follower and the event at 300 */
    ck_assert_int_eq(sim_kernel_run(k, 100, 0), SIM_RUN_UNTIL);
    ck_assert_int_eq(sim_kernel_run(k, SIM_TIME_NEVER, 0), SIM_RUN_IDLE);
    ck_assert(l->cancel_result);
    static const guint64 want[] = {1, 1001, 2, 2002};
    expect_log(l, want, G_N_ELEMENTS(want));
    ck_assert_uint_eq(sim_kernel_events(k), 4);
    ck_assert_uint_eq(sim_kernel_pending(k), 0);
    log_free(l);
}
END_TEST

static void cancel_other(SimKernel *k, gpointer data, guint64 arg)
{
    Log *l = data;
    log_event(k, data, arg);
    l->cancel_result = sim_kernel_cancel(k, l->to_cancel);
}

START_TEST(test_cancel)
{
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    Log *l = log_new();
    SimTimerId a = sim_kernel_schedule(k, 10, log_event, l, 1);
    SimTimerId b = sim_kernel_schedule(k, 20, log_event, l, 2);
    SimTimerId c = sim_kernel_schedule(k, 30, cancel_other, l, 3);
    SimTimerId d = sim_kernel_schedule(k, 30, log_event, l, 4);
    l->to_cancel = d;
    ck_assert(sim_kernel_is_pending(k, b));
    ck_assert(sim_kernel_cancel(k, b));
    ck_assert(!sim_kernel_is_pending(k, b));
    ck_assert(!sim_kernel_cancel(k, b)); /* twice: no-op */
    ck_assert(!sim_kernel_cancel(k, SIM_TIMER_NONE));
    ck_assert_uint_eq(sim_kernel_pending(k), 3);
    ck_assert_int_eq(sim_kernel_next_time(k), 10);
    sim_kernel_run(k, SIM_TIME_NEVER, 0);
    ck_assert(l->cancel_result); /* cancelled from inside an event at the same instant */
    ck_assert_uint_eq(l->log->len, 2);
    ck_assert_uint_eq(g_array_index(l->log, guint64, 0), 1);
    ck_assert_uint_eq(g_array_index(l->log, guint64, 1), 3);
    ck_assert(!sim_kernel_cancel(k, a)); /* already ran */
    ck_assert(!sim_kernel_cancel(k, c));
    /* a stale id whose slot was reused names nothing */
    SimTimerId e = sim_kernel_schedule(k, 40, log_event, l, 5);
    ck_assert(e != a && e != b && e != c && e != d);
    ck_assert(!sim_kernel_cancel(k, a));
    ck_assert(sim_kernel_is_pending(k, e));
    ck_assert_uint_eq(sim_kernel_events(k), 2);
    log_free(l);
}
END_TEST

/* Mass cancellation triggers compaction; survivors still run in order. */
START_TEST(test_cancel_many_compacts)
{
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    Log *l = log_new();
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(SimTimerId));
    for (guint64 i = 0; i < 10000; i++) {
        SimTimerId id = sim_kernel_schedule(k, (RcTime)(10000 - i), log_event, l, i);
        g_array_append_val(ids, id);
    }
    for (guint i = 0; i < 10000; i++)
        if (i % 10 != 0)
            ck_assert(sim_kernel_cancel(k, g_array_index(ids, SimTimerId, i)));
    ck_assert_uint_eq(sim_kernel_pending(k), 1000);
    sim_kernel_run(k, SIM_TIME_NEVER, 0);
    ck_assert_uint_eq(l->log->len, 1000);
    for (guint i = 0; i < 1000; i++)
        ck_assert_uint_eq(g_array_index(l->log, guint64, i), 9990 - 10 * i);
    g_array_free(ids, TRUE);
    log_free(l);
}
END_TEST

/* Wheel, overflow and heap together: events near and far (up to minutes ahead), scheduled
 * from inside events and cancelled at random, run exactly in (time, insertion) order. */
typedef struct {
    SimKernel *k;
    SimRng rng;
    GArray *expect; /* RefEvent, in scheduling order */
    GArray *ids;    /* SimTimerId per event number */
    GArray *ran;    /* event numbers in run order */
    guint64 budget;
    const RcTime *spans; /* how far ahead events go (0: now); NULL: the default mix */
    guint n_spans;
} Model;

typedef struct {
    RcTime at;
    guint64 n;
    gboolean cancelled;
} RefEvent;

static void model_event(SimKernel *k, gpointer data, guint64 arg);

static Model model_new(guint64 seed, const RcTime *spans, guint n_spans, guint64 budget)
{
    return (Model){sim_kernel_new(1),
                   sim_rng_small(seed, SIM_RNG_TEST, 0),
                   g_array_new(FALSE, FALSE, sizeof(RefEvent)),
                   g_array_new(FALSE, FALSE, sizeof(SimTimerId)),
                   g_array_new(FALSE, FALSE, sizeof(guint64)),
                   budget,
                   spans,
                   n_spans};
}

/* Schedule the model's next event at `at`. */
static void model_add(Model *m, RcTime at)
{
    RefEvent e = {at, m->expect->len, FALSE};
    SimTimerId id = sim_kernel_schedule(m->k, at, model_event, m, e.n);
    g_array_append_val(m->expect, e);
    g_array_append_val(m->ids, id);
}

/* Schedule an event a random span ahead. */
static void model_schedule(Model *m)
{
    static const RcTime mix[] = {0, 50, 1000, 100000, 3000000, 10000000, 200000000};
    const RcTime *spans = m->spans != NULL ? m->spans : mix;
    guint n_spans = m->spans != NULL ? m->n_spans : G_N_ELEMENTS(mix);
    RcTime span = spans[sim_rng_below(&m->rng, n_spans)];
    model_add(m, sim_kernel_now(m->k) + (span ? (RcTime)sim_rng_below(&m->rng, (guint64)span) : 0));
}

static void model_event(SimKernel *k, gpointer data, guint64 arg)
{
    Model *m = data;
    (void)k;
    ck_assert(!g_array_index(m->expect, RefEvent, arg).cancelled);
    ck_assert_int_eq(g_array_index(m->expect, RefEvent, arg).at, sim_kernel_now(k));
    g_array_append_val(m->ran, arg);
    for (int i = 0; i < 2 && m->budget > 0; i++, m->budget--)
        if (sim_rng_below(&m->rng, 3) != 0)
            model_schedule(m);
    if (sim_rng_below(&m->rng, 4) == 0) { /* cancel a random earlier event */
        guint64 victim = sim_rng_below(&m->rng, m->expect->len);
        RefEvent *v = &g_array_index(m->expect, RefEvent, victim);
        gboolean was = sim_kernel_cancel(k, g_array_index(m->ids, SimTimerId, victim));
        if (was)
            v->cancelled = TRUE;
    }
}

static gint ref_cmp(gconstpointer a, gconstpointer b)
{
    const RefEvent *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->n < y->n ? -1 : (x->n > y->n);
}

/* The model's events that were not cancelled, in (time, insertion) order, must be exactly
 * the ones that ran, in the order they ran (at least `min_events` of them); then free it. */
static void model_check_and_free(Model *m, guint min_events)
{
    GArray *want = g_array_new(FALSE, FALSE, sizeof(RefEvent));
    for (guint i = 0; i < m->expect->len; i++)
        if (!g_array_index(m->expect, RefEvent, i).cancelled)
            g_array_append_val(want, g_array_index(m->expect, RefEvent, i));
    g_array_sort(want, ref_cmp);
    ck_assert_uint_eq(m->ran->len, want->len);
    ck_assert_uint_gt(want->len, min_events);
    for (guint i = 0; i < want->len; i++)
        ck_assert_uint_eq(g_array_index(m->ran, guint64, i), g_array_index(want, RefEvent, i).n);
    ck_assert_uint_eq(sim_kernel_pending(m->k), 0);
    g_array_free(want, TRUE);
    g_array_free(m->expect, TRUE);
    g_array_free(m->ids, TRUE);
    g_array_free(m->ran, TRUE);
    sim_kernel_free(m->k);
}

START_TEST(test_wheel_matches_model)
{
    Model m = model_new(5, NULL, 0, 120000);
    for (int i = 0; i < 3000; i++)
        model_schedule(&m);
    /* run in slices so the clock stops between events too */
    while (sim_kernel_run(m.k, sim_kernel_now(m.k) + 777777, 0) != SIM_RUN_IDLE)
        ;
    model_check_and_free(&m, 50000);
}
END_TEST

/* Events at the current instant (span 0) wait in a FIFO beside the heap: with most events
 * scheduled for now, some cancelled, and runs cut short by an event cap or a time limit
 * (which moves the clock to a new instant), the order is still exactly (time, insertion). */
START_TEST(test_now_events_match_model)
{
    static const RcTime spans[] = {0, 0, 0, 0, 1, 700, 5000};
    Model m = model_new(9, spans, G_N_ELEMENTS(spans), 80000);
    for (int i = 0; i < 500; i++)
        model_schedule(&m);
    for (guint slice = 0;; slice++) {
        SimRunEnd end = slice % 2 ? sim_kernel_run(m.k, SIM_TIME_NEVER, 1 + slice % 97)
                                  : sim_kernel_run(m.k, sim_kernel_now(m.k) + 333, 0);
        if (end == SIM_RUN_IDLE)
            break;
        if (slice % 5 == 0) /* from outside any event: at the instant the run stopped at */
            model_schedule(&m);
    }
    model_check_and_free(&m, 40000);
}
END_TEST

/* Run to the end, then check as above. */
static void model_finish(Model *m, guint min_events)
{
    ck_assert_int_eq(sim_kernel_run(m->k, SIM_TIME_NEVER, 0), SIM_RUN_IDLE);
    model_check_and_free(m, min_events);
}

/* The kernel's run (a small sorted array for the current wheel bucket, beside the heap and
 * the FIFO of current-instant events). The shapes here are the ones that move entries
 * between the run and the heap: buckets above and below the run's capacity (64), a full run
 * taking more inserts, ties at one instant on every path. */
/* Buckets of every size around the run's capacity: 0..200 events put into each of 300
 * consecutive 1.024 ms buckets (some at one shared instant), then everything they schedule. */
START_TEST(test_bucket_sizes_around_capacity)
{
    static const RcTime spans[] = {0, 1, 300, 1024, 5000};
    Model m = model_new(11, spans, G_N_ELEMENTS(spans), 60000);
    SimRng sizes = sim_rng_small(12, SIM_RNG_TEST, 1);
    for (guint b = 1; b <= 300; b++) {
        guint n = (guint)sim_rng_below(&sizes, 201);
        RcTime base = (RcTime)b << 10;
        for (guint i = 0; i < n; i++)
            model_add(&m, base + (i % 7 == 0 ? 5 : (RcTime)sim_rng_below(&sizes, 1024)));
    }
    model_finish(&m, 40000);
}
END_TEST

/* Nearly every new event lands in the current bucket (up to 1 ms ahead) or at this very
 * instant, so the run fills up and overflows into the heap while cancellations hit all three
 * places. */
START_TEST(test_current_bucket_floods_run)
{
    static const RcTime spans[] = {0, 2, 40, 200, 900};
    Model m = model_new(21, spans, G_N_ELEMENTS(spans), 80000);
    for (guint i = 0; i < 400; i++)
        model_schedule(&m);
    model_finish(&m, 50000);
}
END_TEST

/* Many events at one instant a little ahead: the bucket is far over the run's capacity and
 * every tie must still run in insertion order; events it schedules for the same instant
 * (the FIFO) interleave by sequence. */
START_TEST(test_one_instant_many_ties)
{
    static const RcTime spans[] = {0, 0, 1};
    Model m = model_new(31, spans, G_N_ELEMENTS(spans), 30000);
    for (guint i = 0; i < 5000; i++)
        model_add(&m, 3000);
    for (guint i = 0; i < 50; i++)
        model_add(&m, 2999);
    model_finish(&m, 20000);
}
END_TEST

static void stopper(SimKernel *k, gpointer data, guint64 arg)
{
    log_event(k, data, arg);
    sim_kernel_stop(k);
}

START_TEST(test_caps)
{
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    Log *l = log_new();
    for (guint64 i = 0; i < 10; i++)
        sim_kernel_schedule(k, (RcTime)(i * 100), log_event, l, i);
    ck_assert_int_eq(sim_kernel_run(k, SIM_TIME_NEVER, 3), SIM_RUN_MAX_EVENTS);
    ck_assert_uint_eq(l->log->len, 3);
    ck_assert_int_eq(sim_kernel_now(k), 200);
    ck_assert_int_eq(sim_kernel_run(k, 450, 0), SIM_RUN_UNTIL);
    ck_assert_uint_eq(l->log->len, 5); /* 300 and 400 ran; 500 did not */
    ck_assert_int_eq(sim_kernel_now(k), 450);
    ck_assert_int_eq(sim_kernel_run(k, 500, 0), SIM_RUN_UNTIL); /* until is inclusive */
    ck_assert_uint_eq(l->log->len, 6);
    sim_kernel_schedule(k, 600, stopper, l, 99);
    ck_assert_int_eq(sim_kernel_run(k, SIM_TIME_NEVER, 0), SIM_RUN_STOPPED);
    ck_assert_uint_eq(g_array_index(l->log, guint64, l->log->len - 1), 99);
    ck_assert_int_eq(sim_kernel_run(k, SIM_TIME_NEVER, 0), SIM_RUN_IDLE);
    ck_assert_uint_eq(l->log->len, 11);
    ck_assert_int_eq(sim_kernel_now(k), 900);
    ck_assert_int_eq(sim_kernel_run(k, 5000, 0), SIM_RUN_IDLE);
    ck_assert_int_eq(sim_kernel_now(k), 5000);
    ck_assert_int_eq(sim_kernel_next_time(k), SIM_TIME_NEVER);
    log_free(l);
}
END_TEST

/* Every byte of a delivered payload counts: flipping any one bit of a bus-message-sized
 * payload, or changing its length, gives a new fingerprint, all distinct from each other. */
START_TEST(test_trace_payload_bits)
{
    enum { LEN = 2261 }; /* not a multiple of 8: the tail counts too */
    guint8 *buf = g_malloc(LEN + 1);
    for (gsize i = 0; i < LEN + 1; i++)
        buf[i] = (guint8)(i * 7 + 3);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint tried = 0;
    for (gsize pos = 0; pos < LEN; pos += (pos < 16 || pos > LEN - 16) ? 1 : 97) {
        for (int bit = 0; bit < 8; bit += 3) {
            buf[pos] ^= (guint8)(1u << bit);
            g_autoptr(SimTrace) t = sim_trace_new();
            sim_trace_deliver(t, 5, 1, 2, 77, buf, LEN);
            ck_assert(g_hash_table_add(seen, sim_trace_sha256(t)));
            buf[pos] ^= (guint8)(1u << bit);
            tried++;
        }
    }
    for (gsize len = LEN - 9; len <= LEN + 1; len++) {
        g_autoptr(SimTrace) t = sim_trace_new();
        sim_trace_deliver(t, 5, 1, 2, 77, buf, len);
        ck_assert(g_hash_table_add(seen, sim_trace_sha256(t)));
        tried++;
    }
    ck_assert_uint_eq(g_hash_table_size(seen), tried);
    ck_assert_uint_gt(tried, 150);
    g_free(buf);
}
END_TEST

/* The fingerprint's definition, pinned: records with payloads of every tail length (and
 * none), large field values (byte order), text records and more than two batches hash to
 * this value, computed independently of rcsim by tests/trace_golden.py (Python and xxhsum). */
START_TEST(test_trace_golden)
{
    g_autoptr(SimTrace) t = sim_trace_new();
    guint8 buf[2261];
    for (gsize i = 0; i < sizeof buf; i++)
        buf[i] = (guint8)(i * 131 + 17);
    for (gsize len = 0; len <= 40; len++)
        sim_trace_deliver(t, (RcTime)len * 1000003, (guint32)len, 7,
                          G_GUINT64_CONSTANT(0x0123456789abcdef) + len, buf + len, len);
    sim_trace_deliver(t, G_GINT64_CONSTANT(0x7edcba9876543210), 1, 2, G_MAXUINT64, buf, sizeof buf);
    sim_trace_timer(t, 123456789, 3, G_GINT64_CONSTANT(-5));
    sim_trace_record(t, 42, SIM_TRACE_FAULT, 1, 2, 3, "partition#1 {n1} | {n2,n3}");
    sim_trace_record(t, 43, SIM_TRACE_NOTE, 0, 0, 0, NULL);
    for (guint n = 0; n < 100; n++) /* past two batch boundaries */
        sim_trace_timer(t, 200000000 + n, n % 6, n * 1000);
    g_autofree char *h = sim_trace_sha256(t);
    ck_assert_str_eq(h, "fe7c0d53f81814f87f8da4579a926dd5e03ed4c45f23fc18373a0283870719de");
}
END_TEST

START_TEST(test_trace_hash)
{
    g_autoptr(SimTrace) a = sim_trace_new();
    g_autoptr(SimTrace) b = sim_trace_new();
    g_autoptr(SimTrace) c = sim_trace_new();
    char *empty = sim_trace_sha256(a);
    ck_assert_str_eq(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    g_free(empty);
    sim_trace_deliver(a, 5, 1, 2, 77, (const guint8 *)"hello", 5);
    sim_trace_deliver(b, 5, 1, 2, 77, (const guint8 *)"hello", 5);
    sim_trace_deliver(c, 5, 1, 2, 77, (const guint8 *)"hellp", 5);
    sim_trace_timer(a, 9, 3, 8);
    sim_trace_timer(b, 9, 3, 8);
    sim_trace_timer(c, 9, 3, 8);
    char *ha = sim_trace_sha256(a), *hb = sim_trace_sha256(b), *hc = sim_trace_sha256(c);
    ck_assert_str_eq(ha, hb);
    ck_assert_str_ne(ha, hc);
    ck_assert_uint_eq(strlen(ha), 64);
    ck_assert_uint_eq(sim_trace_entries(a), 2);
    /* the same records written to a file give the same hash and one line each */
    g_autofree char *dir = g_dir_make_tmp("rcsim-trace-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "trace.txt", NULL);
    g_autoptr(SimTrace) d = sim_trace_new();
    ck_assert(sim_trace_open_file(d, path, NULL));
    sim_trace_deliver(d, 5, 1, 2, 77, (const guint8 *)"hello", 5);
    sim_trace_timer(d, 9, 3, 8);
    sim_trace_close_file(d);
    char *hd = sim_trace_sha256(d);
    ck_assert_str_eq(ha, hd);
    g_autofree char *text = NULL;
    ck_assert(g_file_get_contents(path, &text, NULL, NULL));
    ck_assert_str_eq(text, "0.000005 deliver h1->h2 conn=4d len=5 \"hello\"\n"
                           "0.000009 timer h3 local=8\n");
    g_unlink(path);
    g_rmdir(dir);
    GError *err = NULL;
    ck_assert(!sim_trace_open_file(d, "/nonexistent-dir/x", &err));
    ck_assert_str_eq(err->message, "/nonexistent-dir/x: No such file or directory");
    g_error_free(err);
    g_free(ha);
    g_free(hb);
    g_free(hc);
    g_free(hd);
}
END_TEST

Suite *kernel_suite(void);
Suite *kernel_suite(void)
{
    Suite *s = suite_create("kernel");
    TCase *tc = tcase_create("kernel");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ties_run_in_insertion_order);
    tcase_add_test(tc, test_order_matches_stable_sort);
    tcase_add_test(tc, test_same_instant_reschedule_runs_last);
    tcase_add_test(tc, test_now_event_runs_next_unless_a_tie_is_due);
    tcase_add_test(tc, test_now_event_cap_and_cancel);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_cancel_many_compacts);
    tcase_add_test(tc, test_wheel_matches_model);
    tcase_add_test(tc, test_now_events_match_model);
    tcase_add_test(tc, test_bucket_sizes_around_capacity);
    tcase_add_test(tc, test_current_bucket_floods_run);
    tcase_add_test(tc, test_one_instant_many_ties);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_trace_hash);
    tcase_add_test(tc, test_trace_golden);
    tcase_add_test(tc, test_trace_payload_bits);
    suite_add_tcase(s, tc);
    return s;
}
