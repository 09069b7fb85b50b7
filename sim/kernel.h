/* SimKernel: the deterministic discrete-event kernel every part of the simulation runs on.
 *
 * Virtual time is an integer count of microseconds (RcTime). Events are ordered by
 * (time, insertion sequence): two events at the same instant run in the order they were
 * scheduled, never in an order that depends on addresses or hashing. An event is small and
 * fixed-size (a function, a pointer and a 64-bit argument), so scheduling one never allocates
 * once the queues have grown. Near events sit in a 4-ary heap; later ones wait in a timing
 * wheel of 1 ms buckets (4 s span) and an overflow array, entering the heap when their
 * bucket comes up, which keeps the heap small; events for the current instant skip both and
 * wait in a FIFO beside the heap (they are already in order). Cancelling marks the event's
 * slot dead (a tombstone); the entry is dropped when it surfaces, and everything is compacted
 * when dead entries are the majority.
 *
 * The kernel also owns the run's trace (trace.h), so every module logs to one fingerprint.
 * The kernel never reads the wall clock and draws no randomness. */
#ifndef SIM_KERNEL_H
#define SIM_KERNEL_H

#include <glib.h>

#include "core/assert.h"
#include "sim/trace.h"

typedef struct SimKernel SimKernel;

/* A scheduled event. 0 is never a valid id; an id names one scheduling only (a slot and a
 * generation), so cancelling an event that already ran is a harmless no-op. */
typedef guint64 SimTimerId;
#define SIM_TIMER_NONE ((SimTimerId)0)

/* "Never": a time later than every event. */
#define SIM_TIME_NEVER G_MAXINT64

/* Runs at its time with the kernel's clock set to it. `data` and `arg` are what was given
 * to sim_kernel_schedule(); the kernel owns neither. */
typedef void (*SimEventFn)(SimKernel *k, gpointer data, guint64 arg);

/* Why sim_kernel_run() returned. */
typedef enum {
    SIM_RUN_IDLE,       /* no event left; the clock moved to `until_us` (unless NEVER) */
    SIM_RUN_UNTIL,      /* the next event is later than `until_us`; the clock is `until_us` */
    SIM_RUN_MAX_EVENTS, /* `max_events` events ran; the clock is the last event's time */
    SIM_RUN_STOPPED,    /* an event called sim_kernel_stop() */
} SimRunEnd;

/* A kernel at time 0. `seed` is the run's seed, kept so modules can derive streams
 * (sim_rng_stream(sim_kernel_seed(k), ...)); the kernel itself draws nothing. */
SimKernel *sim_kernel_new(guint64 seed);
void sim_kernel_free(SimKernel *k);

/* What every event reads of the kernel: the first member of SimKernel (asserted in kernel.c),
 * so that sim_kernel_now() and sim_kernel_trace() inline. Read it only through them. */
typedef struct {
    RcTime now_us;   /* time of the running (or last run) event */
    SimTrace *trace; /* owned */
} SimKernelHead;

static inline RcTime sim_kernel_now(const SimKernel *k)
{
    return ((const SimKernelHead *)k)->now_us;
}

/* The run's trace; owned by the kernel. */
static inline SimTrace *sim_kernel_trace(SimKernel *k)
{
    return ((SimKernelHead *)k)->trace;
}

guint64 sim_kernel_seed(const SimKernel *k);
/* Events run so far (cancelled ones are not counted). */
guint64 sim_kernel_events(const SimKernel *k);
/* Events scheduled and not yet run or cancelled. */
guint sim_kernel_pending(const SimKernel *k);
/* The time of the earliest live event, or SIM_TIME_NEVER. */
RcTime sim_kernel_next_time(SimKernel *k);

/* Schedule `fn(k, data, arg)` at `at_us`, which must not be in the past (asserted). */
SimTimerId sim_kernel_schedule(SimKernel *k, RcTime at_us, SimEventFn fn, gpointer data,
                               guint64 arg);
/* Schedule after `delay_us` >= 0 from now. */
SimTimerId sim_kernel_schedule_in(SimKernel *k, RcTime delay_us, SimEventFn fn, gpointer data,
                                  guint64 arg);
/* Cancel a pending event. TRUE if it was pending (it will not run), FALSE if it already ran,
 * was cancelled before, or `id` is SIM_TIMER_NONE. */
gboolean sim_kernel_cancel(SimKernel *k, SimTimerId id);
/* TRUE while `id` is scheduled and has neither run nor been cancelled. */
gboolean sim_kernel_is_pending(const SimKernel *k, SimTimerId id);

/* Run events in (time, sequence) order while their time is <= `until_us` and fewer than
 * `max_events` have run in this call (0 = no cap). */
SimRunEnd sim_kernel_run(SimKernel *k, RcTime until_us, guint64 max_events);
/* Make the current sim_kernel_run() return after the running event. */
void sim_kernel_stop(SimKernel *k);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimKernel, sim_kernel_free)

#endif
