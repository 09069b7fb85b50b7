/* A scenario: one experiment on a simulated cluster, read from a line-oriented text file
 * (grammar in scenarios/README.md).
 *
 * A file holds scalar parameters (`node-timeout 15000`, `duration 60s`), each of which the
 * command line may override (`--set node-timeout=2000`), and statements that may repeat:
 * nemesis steps (`at 10s partition isolate n1 with-clients`), expectations checked by
 * `rcsim check` (`expect lost.majority == 0`) and the default sweep axis (`vary ...`).
 *
 * Errors come back through GError as `path:line: field: reason` (SIM_SCENARIO_ERROR);
 * overrides report `--set key=value: field: reason`. Nothing in a scenario is asserted: a
 * bad file is an ordinary input error.
 *
 * Naming of hosts: nodes n1..nN with N = masters * (1 + replicas). n1..nM are the initial
 * masters of shards 1..M; the k-th replica of shard s is n(M*k + s). Clients are c1..cC. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <glib.h>

#include "core/assert.h"
#include "core/node.h"
#include "sim/latency.h"

#define SIM_SCENARIO_ERROR (sim_scenario_error_quark())
GQuark sim_scenario_error_quark(void);

typedef enum {
    SIM_SCENARIO_ERROR_IO,     /* the file cannot be read */
    SIM_SCENARIO_ERROR_SYNTAX, /* the file or an override is malformed */
} SimScenarioErrorCode;

#define SIM_SCENARIO_NODES_MAX 1000
#define SIM_SCENARIO_CLIENTS_MAX 1000
#define SIM_SCENARIO_CONCURRENCY_MAX 1000
#define SIM_SCENARIO_PROCESSES_MAX 20000 /* clients x concurrency */
#define SIM_SCENARIO_STEPS_MAX 10000

typedef enum {
    SIM_SCN_LAT_CONSTANT,  /* a */
    SIM_SCN_LAT_UNIFORM,   /* in [a, b] */
    SIM_SCN_LAT_NORMAL,    /* mean a, deviation b, never below c */
    SIM_SCN_LAT_LOGNORMAL, /* a + a lognormal draw of median b, sigma 1 (a long tail) */
} SimScenarioLatencyShape;

typedef struct {
    SimScenarioLatencyShape shape;
    RcTime a_us, b_us, c_us;
} SimScenarioLatency;

typedef enum {
    SIM_WORKLOAD_SET,      /* unique elements added to a set (SADD) or list (RPUSH) */
    SIM_WORKLOAD_REGISTER, /* SET of unique values, GET */
    SIM_WORKLOAD_COUNTER,  /* INCR */
} SimWorkloadKind;

typedef enum {
    SIM_KEYDIST_UNIFORM,
    SIM_KEYDIST_ZIPF, /* key i drawn with weight 1 / i^zipf-exponent: a hot set */
} SimKeyDist;

/* What a nemesis step names: a host, or a role resolved when the step runs. */
typedef enum {
    SIM_TARGET_NODE,           /* n<index+1> */
    SIM_TARGET_CLIENT,         /* c<index+1> */
    SIM_TARGET_PRIMARY,        /* primary:<shard>: the shard's current master */
    SIM_TARGET_REPLICA,        /* replica:<shard>: a current replica of the shard */
    SIM_TARGET_RANDOM_NODE,    /* random-node */
    SIM_TARGET_RANDOM_PRIMARY, /* random-primary */
    SIM_TARGET_RANDOM_REPLICA, /* random-replica */
    SIM_TARGET_CLIENTS_OF,     /* clients-of:<node>: the clients placed near that node */
    SIM_TARGET_REST,           /* rest: every host not named in another group */
} SimTargetKind;

typedef struct {
    SimTargetKind kind;
    guint index; /* NODE, CLIENT, CLIENTS_OF: 0-based host; PRIMARY, REPLICA: shard */
    guint group; /* partition group (0-based); 0 elsewhere */
} SimTarget;

typedef enum {
    SIM_NEM_PARTITION,
    SIM_NEM_HEAL,
    SIM_NEM_CRASH,
    SIM_NEM_RESTART,
    SIM_NEM_PAUSE,
    SIM_NEM_RESUME,
    SIM_NEM_SKEW,
    SIM_NEM_FAILOVER, /* CLUSTER FAILOVER [FORCE|TAKEOVER] sent to a replica */
    SIM_NEM_RESHARD,  /* move a slot range between masters (SETSLOT/MIGRATE) */
} SimNemesisKind;

typedef enum {
    SIM_PART_GROUPS,            /* explicit groups: `a,b | c | rest` */
    SIM_PART_ISOLATE,           /* one node alone (optionally with its clients) */
    SIM_PART_ONE_WAY,           /* group 0 cannot reach group 1; 1 still reaches 0 */
    SIM_PART_MAJORITY_MINORITY, /* a seeded random minority of the nodes */
    SIM_PART_RANDOM_HALVES,     /* the nodes shuffled and split in two */
    SIM_PART_RANDOM_NODE,       /* one seeded random node alone */
    SIM_PART_BRIDGE,            /* two halves and one node that sees both */
} SimPartitionShape;

typedef enum {
    SIM_SCHEDULE_AT,     /* once, at `at_us` */
    SIM_SCHEDULE_FLAP,   /* on for `period`, off for `period`, from .. until */
    SIM_SCHEDULE_RANDOM, /* from .. until, gaps drawn in `every`, each held for `for` */
} SimScheduleKind;

typedef struct {
    guint line; /* in the scenario file */
    char *text; /* the step as written, for labels */
    SimNemesisKind kind;
    SimScheduleKind schedule;
    RcTime at_us;                      /* AT; FLAP and RANDOM: `from` */
    RcTime until_us;                   /* FLAP and RANDOM */
    RcTime period_us;                  /* FLAP */
    RcTime every_min_us, every_max_us; /* RANDOM: gap before each occurrence */
    RcTime hold_min_us, hold_max_us;   /* RANDOM: how long each occurrence lasts */

    SimPartitionShape shape; /* PARTITION */
    gboolean with_clients;   /* PARTITION isolate: the node's clients go with it */
    GArray *targets;         /* of SimTarget: hosts of the step (groups for PARTITION) */
    guint ngroups;           /* PARTITION GROUPS and ONE_WAY */

    RcTime skew_us;              /* SKEW: clock offset, may be negative */
    gint64 drift_ppm;            /* SKEW: clock rate error in parts per million */
    int failover_mode;           /* FAILOVER: 0 default, 1 FORCE, 2 TAKEOVER */
    guint slot_first, slot_last; /* RESHARD: the range; targets[0] source, [1] destination */
} SimNemesisStep;

typedef enum {
    SIM_CMP_EQ,
    SIM_CMP_NE,
    SIM_CMP_LT,
    SIM_CMP_LE,
    SIM_CMP_GT,
    SIM_CMP_GE,
} SimCompare;

/* `expect METRIC OP NUMBER [x node-timeout] [+ NUMBER]`: a bound checked by `rcsim check`
 * (metric names in README). A bound in node-timeouts is resolved when the file is parsed,
 * after overrides, so each point of a sweep gets its own. */
typedef struct {
    guint line;
    char *metric;
    SimCompare cmp;
    double value; /* the bound, resolved */
    char *bound;  /* the bound as written ("1.6 x node-timeout + 200"), for messages */
} SimExpectation;

typedef struct {
    char *path; /* as given */
    char *name;
    char *description;

    /* the cluster */
    guint masters;
    guint replicas; /* per master */
    gint64 node_timeout_ms;
    gint64 replica_validity_factor;
    gint64 migration_barrier;
    gboolean require_full_coverage;
    gboolean allow_reads_when_down;
    gboolean allow_replica_migration;
    gboolean replica_no_failover;
    gint64 min_replicas_to_write;
    gint64 min_replicas_max_lag_s;
    gint64 repl_backlog_size;
    gint64 repl_ping_replica_period_s;
    gint64 repl_timeout_s;
    gint64 proto_max_bulk_len;        /* bytes: the largest bulk string a request may carry */
    gint64 client_query_buffer_limit; /* bytes: a client's unparsed input beyond it: closed */
    guint hz;
    RcTime boot_spread_us;  /* node i boots at a seeded offset in [0, boot-spread) */
    RcTime start_jitter_us; /* time 0 comes a seeded [0, start-jitter) after the cluster formed */
    RcTime clock_phase_us;  /* the clocks read a seeded [0, clock-phase) at true time 0 */

    /* the network */
    SimScenarioLatency latency;        /* between nodes */
    SimScenarioLatency client_latency; /* between a client and any node */
    SimScenarioLatency timer_latency;  /* a node's poll timing out to its process running */
    SimScenarioLatency startup_time;   /* a restarted node's process starting */
    SimScenarioLatency fsync_latency;  /* a node's fsync of nodes.conf (0: not modelled) */
    SimScenarioLatency crash_teardown; /* a kill to its process's first socket closing */
    RcTime crash_close_spacing_us;     /* one of a killed process's sockets closing to the next */
    guint tcp_syn_linear_timeouts;     /* Linux tcp_syn_linear_timeouts (SYN retransmissions) */
    guint tcp_mss;                     /* the links' MSS (bytes) */

    /* the clients */
    guint clients;
    guint concurrency;        /* processes per client host, sharing its arrivals */
    GArray *clients_near;     /* of SimTarget (NODE or role): client i sits near [i % len] */
    RcTime client_timeout_us; /* per request */
    guint client_retries;     /* re-sends after TRYAGAIN/CLUSTERDOWN/connection errors */
    RcTime client_backoff_us; /* wait before a retry */

    /* the workload */
    SimWorkloadKind workload;
    gboolean use_rpush; /* set workload: RPUSH to a list instead of SADD */
    double rate;        /* arrivals per second per client host */
    guint keys;
    SimKeyDist key_dist;
    double zipf_exponent;
    double read_ratio;   /* register, counter: fraction of reads */
    guint wait_replicas; /* WAIT <n> <wait-timeout> after each write; 0 = off */
    gint64 wait_timeout_ms;

    /* the run */
    RcTime duration_us;        /* workload and nemesis phase; the final heal follows */
    RcTime converge_within_us; /* bound on convergence after the final heal */
    gint64 max_events;
    guint64 ci_seed_first, ci_seed_last;

    GArray *steps;        /* of SimNemesisStep */
    GArray *expectations; /* of SimExpectation */
    char *vary_param;     /* default sweep axis, or NULL */
    char *vary_values;    /* its comma-separated values */

    GPtrArray *param_names;  /* every scalar parameter, file order of the table */
    GPtrArray *param_values; /* its final text, after overrides */
} SimScenario;

/* Parse `path`. `overrides` is NULL or a NULL-terminated list of "key=value". */
SimScenario *sim_scenario_load(const char *path, const char *const *overrides, GError **error);
/* Parse text already in memory; `path` only names it in errors. */
SimScenario *sim_scenario_parse(const char *path, const char *text, gsize len,
                                const char *const *overrides, GError **error);
void sim_scenario_free(SimScenario *sc);

guint sim_scenario_nodes(const SimScenario *sc);
/* The shard (0-based) of node `node` and whether it starts as a master. */
guint sim_scenario_node_shard(const SimScenario *sc, guint node);
/* The node a client sits near (0-based), resolved from clients-near at placement. */
guint sim_scenario_client_home(const SimScenario *sc, guint client);

/* Copy the scenario's node options (node-timeout, ..., client-query-buffer-limit) into `cfg`,
 * which rc_node_config_init() has set up; address and port are left alone. */
void sim_scenario_node_options(const SimScenario *sc, RcNodeConfig *cfg);
/* A latency line's distribution as the network and the hosts draw it (lognormal: the floor a
 * plus a tail of median b). */
void sim_scenario_latency(const SimScenarioLatency *in, SimLatency *out);

/* The value of parameter `name` after overrides, or NULL if there is none. */
const char *sim_scenario_param(const SimScenario *sc, const char *name);
/* Whether `name` is a scalar parameter `--set` and `--vary` accept. */
gboolean sim_scenario_is_param(const char *name);
/* Is the parameter an integer (for summaries and sweep columns)? */
gboolean sim_scenario_param_is_number(const char *name);

const char *sim_nemesis_kind_name(SimNemesisKind kind);
const char *sim_compare_name(SimCompare cmp);
gboolean sim_compare_holds(SimCompare cmp, double lhs, double rhs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimScenario, sim_scenario_free)

#endif
