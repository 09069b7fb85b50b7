/* A randomized network workload for the determinism suite: many hosts making random
 * connects, sends, closes and resets, under a nemesis drawing partitions, one-way cuts,
 * bridges, crashes, pauses, clock steps and latency changes, all from the run's seed. */
#ifndef DET_WORKLOAD_H
#define DET_WORKLOAD_H

#include <glib.h>

#include "core/assert.h"
#include "sim/net.h"

typedef struct {
    guint64 seed;
    guint hosts;        /* >= 3 */
    RcTime duration_us; /* virtual time to run */
    const char *trace;  /* write the text trace here, or NULL */
} DetConfig;

/* Run the workload; returns the hex trace_sha256 (g_free), sets *events and, if not NULL,
 * *stats (what the network saw: proof that the faults were exercised). */
char *det_workload_run(const DetConfig *cfg, guint64 *events, SimNetStats *stats);

#endif
