/* Create a cluster in the simulator the way `redis-cli --cluster create` does: the one
 * formation path of the scenario runner (sim/run.c) and the cluster tests.
 *
 * Over real RESP from an admin client (sim/client.c, one command at a time; the caller's, or
 * one of its own on a host of its own):
 *   1. CLUSTER ADDSLOTSRANGE on each master: masters are nodes 0..M-1, the slots split as
 *      redis-cli splits them (sim_cluster_slot_split: 3 masters get 0-5460, 5461-10922,
 *      10923-16383);
 *   2. CLUSTER SET-CONFIG-EPOCH i+1 on every node i (redis-cli's "assign a different config
 *      epoch to each node");
 *   3. CLUSTER MEET <node 0> from every other node;
 *   4. wait until every node knows every other one (no handshake left);
 *   5. CLUSTER REPLICATE: node M+j replicates master j mod M (round-robin, as redis-cli
 *      assigns replicas when every node has the same IP);
 *   6. wait until the cluster counts as formed: by default every node sees every replica
 *      under its master and reports cluster_state ok; the caller may judge it instead.
 * The waits look every 100 ms. Works for any M >= 1 and R >= 0 with M·(1+R) nodes in the
 * world, up to 1000. */
#ifndef SIM_CLUSTER_CREATE_H
#define SIM_CLUSTER_CREATE_H

#include "sim/client.h"
#include "sim/host.h"

#define SIM_CLUSTER_CREATE_ERROR (sim_cluster_create_error_quark())
GQuark sim_cluster_create_error_quark(void);

typedef enum {
    SIM_CLUSTER_CREATE_ERROR_NODES,   /* the world does not hold M·(1+R) nodes */
    SIM_CLUSTER_CREATE_ERROR_REFUSED, /* a command failed: "n2: CLUSTER MEET: <why>" */
    SIM_CLUSTER_CREATE_ERROR_TIMEOUT, /* not formed by start + limit: "join: not done ..." */
} SimClusterCreateError;

/* The last wait's judge, asked at each 100 ms poll after the last REPLICATE was answered:
 * TRUE when the cluster counts as formed, else FALSE with what is missing in `why` (the
 * time-limit error quotes the last one). */
typedef gboolean (*SimClusterFormedFn)(gpointer user, GString *why);

typedef struct {
    guint masters;             /* M >= 1 */
    guint replicas_per_master; /* R */
    RcTime start_at_us;        /* first command at this true instant, after every node booted */
    RcTime limit_us;           /* the kernel runs to start + limit at most; not formed by then
                                  is a failure */
    SimClient *admin;          /* sends the commands (borrowed, idle; it may be used again
                                  afterwards), or NULL: a client of its own on a new host
                                  "cluster-create" (10.255.255.254) */
    SimClusterFormedFn formed; /* the last wait's judge, or NULL: every node sees every
                                  replica under its master and reports cluster_state ok */
    gpointer formed_user;      /* passed to `formed` */
} SimClusterSpec;

/* One master's slots, first..last inclusive. */
typedef struct {
    long first, last;
} SimSlotSplit;

/* The split of the 16384 slots over `masters` masters exactly as redis-cli 7.0's
 * clusterManagerCommandCreate computes it: a float cursor advanced by 16384/M per master,
 * the last slot of each rounded (lround), the last master taking the rest. Single-precision
 * rounding decides some boundaries (M = 78: master 67 ends at 14283 where a double product
 * gives 14282), so the float arithmetic is kept. Fills out[0..masters-1]. */
void sim_cluster_slot_split(guint masters, SimSlotSplit *out);

/* Fill `spec` with M masters, R replicas, start at the kernel's now + 10 ms, limit 300 s, an
 * admin client of its own and the default judge. */
void sim_cluster_spec_init(SimClusterSpec *spec, SimWorld *w, guint masters, guint replicas);

/* True times of the milestones (observed at the 100 ms polls). */
typedef struct {
    RcTime last_meet_us;  /* the last CLUSTER MEET was answered */
    RcTime joined_us;     /* every node knew every other one */
    RcTime replicated_us; /* the last CLUSTER REPLICATE was answered */
    RcTime formed_us;     /* the last wait's judge said formed */
} SimClusterTimes;

/* Form the cluster: runs the world's kernel until formed (TRUE, `times` filled if not NULL;
 * the clock at the poll that saw it formed) or until a command fails or start + limit
 * passes (FALSE, the clock there; SIM_CLUSTER_CREATE_ERROR: REFUSED "<node name>: <command>
 * <subcommand>: <why>", TIMEOUT "<join|replicas>: not done within N s[: <why not
 * formed>]"). The world must hold exactly M·(1+R) nodes, and nothing else may
 * stop its kernel meanwhile. After a failure other than NODES a poll or a command of the
 * creation may still be pending: the world is then only fit to be freed, not run on. */
gboolean sim_cluster_create(SimWorld *w, const SimClusterSpec *spec, SimClusterTimes *times,
                            GError **error);

/* The master node index of node `i` under the round-robin assignment (i itself if i < M). */
guint sim_cluster_master_of(const SimClusterSpec *spec, guint i);

/* TRUE when every live node knows every other node and none is in handshake. */
gboolean sim_cluster_full_view(SimWorld *w);

#endif
