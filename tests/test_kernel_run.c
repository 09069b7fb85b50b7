/* The kernel's run (a small sorted array for the current wheel bucket, beside the heap and
 * the FIFO of current-instant events): whatever mix of bucket sizes, inserts into the
 * current bucket, cancellations and same-instant events, events run exactly in (time,
 * insertion) order. The shapes here are the ones that move entries between the run and the
 * heap: buckets above and below the run's capacity (64), a full run taking more inserts,
 * ties at one instant on every path. */
#include <check.h>

#include "sim/kernel.h"
#include "sim/rng.h"

typedef struct {
    RcTime at;
    guint64 n;
    gboolean is_cancelled;
} Ref;

typedef struct {
    SimKernel *k;
    SimRng rng;
    GArray *refs; /* Ref by event number */
    GArray *ids;  /* SimTimerId by event number */
    GArray *ran;  /* event numbers in run order */
    guint64 budget;
    const RcTime *spans; /* how far ahead a new event goes, picked at random */
    guint n_spans;
} Model;

static void model_event(SimKernel *k, gpointer data, guint64 arg);

static void model_add(Model *m, RcTime at)
{
    Ref r = {at, m->refs->len, FALSE};
    SimTimerId id = sim_kernel_schedule(m->k, at, model_event, m, r.n);
    g_array_append_val(m->refs, r);
    g_array_append_val(m->ids, id);
}

static void model_add_random(Model *m)
{
    RcTime span = m->spans[sim_rng_below(&m->rng, m->n_spans)];
    RcTime at = sim_kernel_now(m->k) + (span > 0 ? (RcTime)sim_rng_below(&m->rng, span) : 0);
    model_add(m, at);
}

static void model_cancel_random(Model *m)
{
    guint64 victim = sim_rng_below(&m->rng, m->refs->len);
    if (sim_kernel_cancel(m->k, g_array_index(m->ids, SimTimerId, victim)))
        g_array_index(m->refs, Ref, victim).is_cancelled = TRUE;
}

static void model_event(SimKernel *k, gpointer data, guint64 arg)
{
    Model *m = data;
    ck_assert(!g_array_index(m->refs, Ref, arg).is_cancelled);
    ck_assert_int_eq(g_array_index(m->refs, Ref, arg).at, sim_kernel_now(k));
    g_array_append_val(m->ran, arg);
    guint fan = (guint)sim_rng_below(&m->rng, 4); /* 0..3 new events: the queue breathes */
    for (guint i = 0; i < fan && m->budget > 0; i++, m->budget--)
        model_add_random(m);
    if (sim_rng_below(&m->rng, 3) == 0)
        model_cancel_random(m);
}

static gint ref_cmp(gconstpointer a, gconstpointer b)
{
    const Ref *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->n < y->n ? -1 : (x->n > y->n);
}

static Model model_new(guint64 seed, const RcTime *spans, guint n_spans, guint64 budget)
{
    Model m = {sim_kernel_new(1),
               sim_rng_small(seed, SIM_RNG_TEST, 0),
               g_array_new(FALSE, FALSE, sizeof(Ref)),
               g_array_new(FALSE, FALSE, sizeof(SimTimerId)),
               g_array_new(FALSE, FALSE, sizeof(guint64)),
               budget,
               spans,
               n_spans};
    return m;
}

/* Run to the end, then: the live events ran, each once, in (time, insertion) order. */
static void model_finish(Model *m, guint min_events)
{
    ck_assert_int_eq(sim_kernel_run(m->k, SIM_TIME_NEVER, 0), SIM_RUN_IDLE);
    GArray *want = g_array_new(FALSE, FALSE, sizeof(Ref));
    for (guint i = 0; i < m->refs->len; i++)
        if (!g_array_index(m->refs, Ref, i).is_cancelled)
            g_array_append_val(want, g_array_index(m->refs, Ref, i));
    g_array_sort(want, ref_cmp);
    ck_assert_uint_gt(want->len, min_events);
    ck_assert_uint_eq(m->ran->len, want->len);
    for (guint i = 0; i < want->len; i++)
        ck_assert_uint_eq(g_array_index(m->ran, guint64, i), g_array_index(want, Ref, i).n);
    ck_assert_uint_eq(sim_kernel_pending(m->k), 0);
    g_array_free(want, TRUE);
    g_array_free(m->refs, TRUE);
    g_array_free(m->ids, TRUE);
    g_array_free(m->ran, TRUE);
    sim_kernel_free(m->k);
}

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
        model_add_random(&m);
    model_finish(&m, 50000);
}
END_TEST

/* Many events at one instant a little ahead: the bucket is far over the run's capacity and
 * every tie must still run in insertion order; events it schedules for the same instant
 * (the FIFO) interleave by sequence. */
START_TEST(test_one_instant_many_ties)
{
    static const RcTime spans[] = {0, 0, 1};
    Model m = model_new(31, spans, G_N_ELEMENTS(spans), 20000);
    for (guint i = 0; i < 5000; i++)
        model_add(&m, 3000);
    for (guint i = 0; i < 50; i++)
        model_add(&m, 2999);
    model_finish(&m, 20000);
}
END_TEST

Suite *kernel_run_suite(void);
Suite *kernel_run_suite(void)
{
    Suite *s = suite_create("kernel_run");
    TCase *tc = tcase_create("kernel_run");
    tcase_add_test(tc, test_bucket_sizes_around_capacity);
    tcase_add_test(tc, test_current_bucket_floods_run);
    tcase_add_test(tc, test_one_instant_many_ties);
    suite_add_tcase(s, tc);
    return s;
}
