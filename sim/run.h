/* One run of a scenario with one seed: build the cluster, drive the workload and the
 * nemesis, heal, wait for convergence, read back, check, and write the results (the files
 * and their fields, the results contract, are described in sim/README.md, "Output"). */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <glib.h>

#include "sim/checker.h"
#include "sim/scenario.h"

typedef struct {
    const char *out_dir; /* NULL: write nothing */
    gboolean trace;      /* write DIR/trace.log */
    gboolean edn;        /* write DIR/history.edn */
    const char *replay;  /* the replay command to record; NULL: built from the scenario */
    gboolean is_exiting; /* the process exits after this run: the run's world (nodes, net,
                            history) is left to the exit instead of freed piece by piece; a
                            build with AddressSanitizer frees it anyway, for its leak check */
} SimRunOptions;

typedef struct {
    char *scenario_path;
    char *scenario_name;
    guint64 seed;
    char *trace_sha256;
    RcTime sim_time_us;   /* virtual time at the end, from t0 */
    RcTime start_lead_us; /* how long after formation t0 came (the start jitter's draw) */
    guint64 events;
    char *replay;
    gboolean converged;
    RcTime converge_us; /* from the final heal to convergence, or -1 */
    gboolean ok;        /* every property and expectation holds */
    gboolean aborted;   /* the run hit max-events or its time cap */
    SimCheckResult *check;
    GPtrArray *faults;   /* SimFault* */
    GArray *node_events; /* SimNodeEvent */
    char **node_names;   /* n1.., NULL-terminated */
    char *summary_json;  /* the summary.json text */
} SimRunResult;

/* Run `sc` with `seed`. Returns NULL only when an output file cannot be written (error set);
 * a run whose checks fail still returns a result with ok = FALSE. */
SimRunResult *sim_run_execute(const SimScenario *sc, guint64 seed, const SimRunOptions *opt,
                              GError **error);
void sim_run_result_free(SimRunResult *r);

/* The value of an expectation metric (see scenarios/README.md); FALSE when it has none
 * (e.g. failover-ms without a failover). */
gboolean sim_run_metric(const SimRunResult *r, const char *metric, double *value);

/* The properties that follow from the fault list alone: `no-loss-without-faults` (only when
 * `faults` is empty: nothing acknowledged in `c` was lost) and `nemesis-steps` (no fault has
 * an error: every failover and reshard step took effect). `c` holds sim_check_writes()'s
 * counts. */
void sim_run_check_faults(SimCheckResult *c, const GPtrArray *faults);

/* The command that replays (scenario, seed, overrides). */
char *sim_run_replay_command(const char *scenario_path, guint64 seed, const char *const *overrides);

/* `rcsim run` */
int sim_run_main(int argc, char **argv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimRunResult, sim_run_result_free)

#endif
