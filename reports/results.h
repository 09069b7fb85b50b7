/* The result files of a run or a sweep, as reports/ reads them (see the results contract:
 * summary.json, history.jsonl, sweep.json, runs.jsonl / runs.csv). Private to reports/ and
 * its tests. Loaders report `path: field: reason` (or `path:line: field: reason` for
 * line-based files) through GError; unknown extra fields are ignored. */
#ifndef REPORTS_RESULTS_H
#define REPORTS_RESULTS_H

#include <glib.h>

/* A time or count that the file gave as null (or left out where that is allowed). */
#define REPORT_NONE G_MININT64

typedef enum {
    REPORT_SIDE_MAJORITY = 0,
    REPORT_SIDE_MINORITY = 1,
    REPORT_SIDE_NONE = 2,
    REPORT_N_SIDES = 3,
} ReportSide;

const char *report_side_name(ReportSide side);

typedef struct {
    gboolean is_present; /* FALSE: null in the file (nothing lost on that side) */
    gint64 first_ms;     /* ack time of the first lost write, from the fault's start */
    gint64 last_ms;      /* ack time of the last lost write, from the fault's start */
    gint64 width_ms;     /* last_ms - first_ms as the runner computed it */
} ReportWindow;

typedef struct {
    char *failed_node;
    char *promoted_node; /* NULL if no replica was promoted */
    gint64 fault_ms;     /* all times absolute from run start; REPORT_NONE if not reached */
    gint64 pfail_ms;
    gint64 fail_ms;
    gint64 election_ms;
    gint64 promoted_ms;
    gint64 epoch; /* REPORT_NONE if unknown */
} ReportFailover;

typedef struct {
    char *kind;      /* partition, crash, pause, skew, failover, reshard, ... */
    char *label;     /* short human text, may be empty */
    gint64 start_ms; /* absolute from run start */
    gint64 end_ms;   /* REPORT_NONE: never healed */
    char *minority;  /* host names joined by spaces, may be empty */
    char *nodes;     /* the nodes it acted on (crash, pause, ...), joined by spaces */
    char *error;     /* why the nemesis could not do it, or NULL */
} ReportFault;

typedef struct {
    char *process; /* as text: "3" */
    char *key;
    char *value;
    char *node; /* may be NULL */
    ReportSide side;
    gint64 ack_ms;
    gint64 fault_index; /* REPORT_NONE if not tied to a fault */
} ReportLostWrite;

typedef struct {
    gint64 t_ms;
    char *node;
    char *event; /* as core emits it: pfail, fail, promoted, ... */
    char *peer;  /* may be NULL */
    char *value; /* as text, may be NULL */
} ReportNodeEvent;

typedef struct {
    char *name;
    gboolean is_ok;
    char *detail;
} ReportProperty;

/* summary.json of one run. */
typedef struct {
    char *path; /* the file it was read from */
    char *scenario;
    char *scenario_name;
    gint64 seed;
    char *trace_sha256;
    gint64 sim_time_ms;
    gint64 events;
    char *rcsim_version;
    char *replay;
    GPtrArray *param_names;  /* char*, in file order */
    GPtrArray *param_values; /* char*, as text */
    gint64 acked;
    gint64 lost;
    gint64 lost_by_side[REPORT_N_SIDES];
    gint64 indeterminate; /* REPORT_NONE if absent */
    gint64 unread;        /* acked writes with no final read of their key; REPORT_NONE if absent */
    gint64 recovered;     /* REPORT_NONE if absent */
    ReportWindow window[REPORT_N_SIDES]; /* by ReportSide; [REPORT_SIDE_NONE] from
                                          * loss_window.none, absent in older files */
    gint64 unavailable_ms[2];            /* [REPORT_SIDE_MAJORITY], [REPORT_SIDE_MINORITY] */
    GArray *failovers;                   /* ReportFailover */
    GArray *faults;                      /* ReportFault */
    GArray *lost_writes;                 /* ReportLostWrite */
    GArray *node_events;                 /* ReportNodeEvent */
    gboolean is_node_events_truncated;
    int verdict;         /* "ok": 1 true, 0 false, -1 absent */
    gboolean is_aborted; /* the run stopped early */
    int converged;       /* 1, 0, or -1 absent */
    gint64 converge_ms;  /* REPORT_NONE if absent or not converged */
    GArray *properties;  /* ReportProperty */
} ReportSummary;

ReportSummary *report_summary_load(const char *path, GError **error);
/* A parameter of the run as a non-negative integer ("node-timeout"), or REPORT_NONE. */
gint64 report_summary_param_int(const ReportSummary *summary, const char *name);
/* A time parameter of the run ("duration": "40s") in milliseconds, or REPORT_NONE. */
gint64 report_summary_param_ms(const ReportSummary *summary, const char *name);
void report_summary_free(ReportSummary *summary);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReportSummary, report_summary_free)

/* history.jsonl folded into fixed time buckets. Nemesis operations are skipped. A completion
 * is an ok, fail or info line; an acked write is an ok line whose f is not a read ("read",
 * "read-list"). Acked writes count by the side of the serving node (as lost writes do);
 * availability counts by the side of the client, taken from the invocation (as
 * unavailable_ms does), falling back to the completion's side. */
typedef struct {
    gint64 bucket_ms;
    guint n_buckets;
    guint32 *acked[REPORT_N_SIDES];       /* acked writes per bucket, by serving node's side */
    guint32 *served[REPORT_N_SIDES];      /* completions per bucket, by serving node's side */
    guint32 *ok[REPORT_N_SIDES];          /* ok completions (reads too), by client's side */
    guint32 *completions[REPORT_N_SIDES]; /* ok + fail + info, by client's side */
    guint8 *waiting[REPORT_N_SIDES];      /* 1: a client of that side had an operation
                                           * outstanding during the bucket */
    gint64 acked_total[REPORT_N_SIDES];
    gint64 completions_total[REPORT_N_SIDES];
    gint64 ok_total[REPORT_N_SIDES];
    gint64 lines;
    gint64 open_at_end; /* operations never completed */
    guint max_bucket;   /* the last bucket that holds a completion */
} ReportHistory;

/* Reads `path`; times at or past span_ms land in the last bucket. */
ReportHistory *report_history_load(const char *path, gint64 span_ms, gint64 bucket_ms,
                                   GError **error);
void report_history_free(ReportHistory *history);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReportHistory, report_history_free)

/* One row of runs.jsonl / runs.csv. NAN marks an empty cell. */
typedef struct {
    gint64 seed;
    double *vary;     /* one value per varied parameter, in sweep.json order; NAN: not a number */
    char **vary_text; /* the same values as text (NULL-terminated) */
    char *point;      /* the row's "point", else "node-timeout=1000,..." or "default" */
    char *error;      /* why the run did not complete, or NULL */
    char *replay;     /* the command that replays it, or NULL */
    double acked;
    double lost; /* NAN: the run did not complete (see error) */
    /* Per side, indexed by ReportSide: [majority], [minority], [none] (acked while no
     * partition was in force, e.g. after the heal). NAN: no such column (an older rcsim), or
     * for the windows nothing lost on that side. */
    double lost_side[REPORT_N_SIDES];
    double window_ms[REPORT_N_SIDES];       /* width: last minus first lost ack */
    double window_last_ms[REPORT_N_SIDES];  /* the last lost ack from its fault's start (what
                                             * the spec's bound applies to) */
    double window_first_ms[REPORT_N_SIDES]; /* the first lost ack from its fault's start */
    double unavailable_ms[2];               /* [majority], [minority] */
    double failover_ms;                     /* NAN: no failover */
    gboolean is_ok;
    char *trace_sha256;
} ReportRun;

/* sweep.json plus its runs. */
typedef struct {
    char *dir;  /* the sweep directory */
    char *path; /* its sweep.json */
    char *scenario;
    gint64 seed_first;
    gint64 seed_last;
    GPtrArray *vary_names; /* char*, in file order */
    gint64 runs_declared;
    gint64 failed;
    char *runs_path;          /* the file the rows came from */
    GArray *runs;             /* ReportRun, in file order */
    GPtrArray *points;        /* char*, distinct ReportRun.point in first-seen order */
    gboolean has_window_last; /* the rows carry window_*_last_ms (sweeps before them do not) */
    gboolean has_none;        /* the rows carry lost_none (sweeps before it do not) */
} ReportSweep;

/* Reads DIR/sweep.json and DIR/runs.jsonl, or DIR/runs.csv when there is no runs.jsonl. */
ReportSweep *report_sweep_load(const char *dir, GError **error);
void report_sweep_free(ReportSweep *sweep);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ReportSweep, report_sweep_free)

/* Order statistics over `n` values (NANs skipped). Quantiles are nearest-rank, the definition
 * of the sweep's own aggregates.csv/json (sim/sweep.c), so the report and those files agree:
 * the q-quantile of n sorted values is the value of rank ceil(q * n). All return NAN when no
 * value is left. */
typedef struct {
    guint count;
    double min;
    double median;
    double p90;
    double max;
} ReportStats;

ReportStats report_stats(const double *values, guint n);
double report_quantile_sorted(const double *sorted, guint n, double q);

#endif
