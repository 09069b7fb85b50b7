/* The state of a run shared by run.c, workload.c and nemesis.c. */
#ifndef SIM_RUN_PRIVATE_H
#define SIM_RUN_PRIVATE_H

#include "core/cluster.h"
#include "sim/checker.h"
#include "sim/client.h"
#include "sim/history.h"
#include "sim/host.h"
#include "sim/run.h"

typedef struct SimRun SimRun;

/* One workload process (Jepsen: a client process): one request at a time, on its own
 * connections with its own slot map. */
typedef struct {
    SimRun *run;
    guint index;       /* process number in the history */
    guint client_host; /* the client host it runs on (index into SimRun.client_hosts) */
    SimClient *client;
    guint32 host;
    guint home;             /* the node its client host sits near */
    guint64 next_value;     /* unique values: c<index>-<n> */
    char *key;              /* of the op in flight (in key_buf), or NULL */
    char *value;            /* of the op in flight (in value_buf), or NULL */
    char key_buf[16];       /* "k<n>" */
    char value_buf[48];     /* "c<process>-<n>" */
    guint value_prefix_len; /* of "c<process>-" in value_buf, once written; else 0 */
    const char *f;
    gboolean is_read; /* f is "read" */
    gboolean busy;
} SimProcess;

/* One client host (c1, c2, ...) and its `concurrency` processes, which share one arrival
 * schedule: an arrival goes to the lowest-numbered idle process; while every process is
 * busy the next arrival waits for a completion, and its gap then starts from that moment (a
 * client that fell behind does not catch up with a burst). With concurrency 1 this is one
 * closed-loop Jepsen process. */
typedef struct {
    guint index;
    guint32 host;
    guint home;
    GRand *rng;        /* SIM_RNG_WORKLOAD, index: arrival gaps, keys, read/write choices */
    RcTime next_at_us; /* true time of the next arrival */
    SimTimerId timer;
    gboolean waiting; /* an arrival is due once a process is idle */
    gboolean stopped;
    guint first_proc;  /* its processes: procs[first_proc .. first_proc + concurrency) */
    guint lowest_idle; /* its lowest-numbered idle process (offset from first_proc), or
                          concurrency when all are busy */
    /* bit j: process first_proc + j is busy (SimProcess.busy, kept beside it by workload.c's
       set_busy, so that finding the lowest idle one reads no process) */
    guint64 busy_bits[(SIM_SCENARIO_CONCURRENCY_MAX + 63) / 64];
} SimClientHost;

/* The first clear bit of `words` at or after `from`, or `n` if none is below n (from < n).
 * Bits at or past n may be clear: they are not looked at beyond the word holding bit n - 1. */
static inline guint sim_bits_next_clear(const guint64 *words, guint from, guint n)
{
    rc_assert(from < n);
    for (;;) {
        guint64 clear = ~words[from / 64] >> (from % 64);
        if (clear != 0)
            return MIN(from + (guint)__builtin_ctzll(clear), n);
        from = (from / 64 + 1) * 64;
        if (from >= n)
            return n;
    }
}

struct SimRun {
    const SimScenario *sc;
    guint64 seed;
    SimWorld *world;
    SimKernel *k;
    SimNet *net;
    guint n_nodes;
    RcTime t0_us; /* true time of scenario time 0 (cluster ready) */
    SimHistory *history;
    GPtrArray *faults;    /* SimFault* */
    GArray *events;       /* SimNodeEvent */
    char **node_names;    /* "n1".. */
    char (*node_ids)[41]; /* each node's 40-char cluster name, "" until known */
    SimSide *host_side;   /* by host index */
    guint n_hosts;
    SimNodeAddr *addrs;
    SimClientHost *client_hosts;
    guint n_client_hosts;
    SimProcess *procs;
    guint n_procs;    /* n_client_hosts * concurrency */
    SimClient *admin; /* nemesis and setup commands */
    guint32 admin_host;
    SimClient *reader; /* final reads */
    guint32 reader_host;
    GRand *nemesis_rng;
    gboolean *key_written;    /* [keys]: key k<i> was written, for the final reads */
    GPtrArray *written_order; /* the written keys' names in first-write order */
    gint open_partition;      /* fault index of the partition in effect, or -1 */
    GPtrArray *part_groups;   /* GArray of guint32 hosts per group of that partition */
    SimSide *part_group_side; /* side of each group */
    guint32 part_bridge;      /* bridge host, or G_MAXUINT32 */
    gint *crash_fault;        /* by node: open crash fault, or -1 */
    gint *pause_fault;        /* by node */
    gint *skew_fault;         /* by node */
    gboolean workload_over;
    gboolean healed;
    RcTime heal_us;      /* true time of the final heal */
    RcTime converged_us; /* true time of convergence, or -1 */
    guint read_next;     /* next key to read back */
    gboolean done;
    guint64 claim_samples;        /* slot-claim invariant: samples taken */
    guint64 claim_failures;       /* ... and how many of them failed */
    RcTime claim_first_bad_us;    /* scenario time of the first failure, or -1 */
    char *claim_why;              /* its reason, or NULL */
    SimSlotClaim *claims;         /* [n_nodes], reused by every sample */
    guint8 *claim_bitmaps;        /* [n_nodes] slot bitmaps, reused likewise */
    GString *claim_check_why;     /* a sample's reason, reused likewise */
    GPtrArray *nemesis_schedules; /* nemesis.c's per-step state */
    GQueue admin_queue;           /* pending admin jobs (SimAdminJob*) */
    gboolean admin_busy;
};

/* workload.c */
void sim_workload_start(SimRun *run);
void sim_workload_stop(SimRun *run);
gboolean sim_workload_idle(const SimRun *run);
void sim_workload_free(SimRun *run);
/* A counter's value as read by GET: an integer (a missing key is 0, as INCR sees it). FALSE
 * when the reply is not a decimal integer. */
gboolean sim_counter_value(const SimReply *reply, gint64 *v);

/* nemesis.c */
void sim_nemesis_schedule(SimRun *run);
/* The final heal: heal partitions, resume, restart, reset clocks; closes open faults. */
void sim_nemesis_final_heal(SimRun *run);
/* Recompute every host's side from the partition in effect. */
void sim_nemesis_update_sides(SimRun *run);
void sim_nemesis_free(SimRun *run);

/* run.c helpers */
/* Scenario time: true time minus t0. */
RcTime sim_run_now(const SimRun *run);
SimSide sim_run_node_side(const SimRun *run, gint node);
/* Current masters (own slots, in their own view), as a node bitmap. */
gboolean sim_run_node_is_serving_master(SimRun *run, guint node);
void sim_run_record_nemesis(SimRun *run, const char *f, const char *value, gint fault);
/* The node index of a 40-byte cluster name (as learnt once the cluster formed), or -1. */
gint sim_run_node_by_id(const SimRun *run, const char *name40);
/* run_converge.c: every node up and agreeing on every slot's owner, the owners masters with
 * distinct configEpochs (sim_check_converged), and no master without slots when the scenario
 * has replicas; else FALSE with a one-line reason. */
gboolean sim_run_converged(SimRun *run, GString *why);
/* A partition op: `groups` (GPtrArray of GPtrArray of char* host names) is taken; `text` is
 * its one-line form for the trace. */
void sim_run_record_partition(SimRun *run, const char *f, GPtrArray *groups, const char *text,
                              gint fault);

#endif
