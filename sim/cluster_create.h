/* Create a cluster in the simulator the way `redis-cli --cluster create` does.
 *
 * Over real RESP from an admin client host (sim/client.c, one command at a time):
 *   1. CLUSTER ADDSLOTSRANGE on each master: masters are nodes 0..M-1, the slots split as
 *      redis-cli splits them (sim_cluster_slot_split: 3 masters get 0-5460, 5461-10922,
 *      10923-16383);
 *   2. CLUSTER SET-CONFIG-EPOCH i+1 on every node i (redis-cli's "assign a different config
 *      epoch to each node");
 *   3. CLUSTER MEET <node 0> from every other node;
 *   4. wait until every node knows every other one (no handshake left);
 *   5. CLUSTER REPLICATE: node M+j replicates master j mod M (round-robin, as redis-cli
 *      assigns replicas when every node has the same IP);
 *   6. wait until every node sees every replica under its master and reports cluster_state
 *      ok.
 * Works for any M >= 1 and R >= 0 with M·(1+R) nodes in the world, up to 1000. */
#ifndef SIM_CLUSTER_CREATE_H
#define SIM_CLUSTER_CREATE_H

#include "sim/host.h"

typedef struct {
    guint masters;             /* M >= 1 */
    guint replicas_per_master; /* R */
    RcTime start_at_us;        /* first command at this true instant, after every node booted */
    RcTime limit_us;           /* give up if not formed within this long after start */
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

/* Fill `spec` with M masters, R replicas, start at the kernel's now + 10 ms, limit 300 s. */
void sim_cluster_spec_init(SimClusterSpec *spec, SimWorld *w, guint masters, guint replicas);

/* True times of the milestones (observed at the 100 ms polls). */
typedef struct {
    RcTime last_meet_us;  /* the last CLUSTER MEET was answered */
    RcTime joined_us;     /* every node knew every other one */
    RcTime replicated_us; /* the last CLUSTER REPLICATE was answered */
    RcTime formed_us;     /* replicas in place everywhere, every state ok */
} SimClusterTimes;

/* Form the cluster: runs the world's kernel until formed (TRUE, `times` filled if not NULL)
 * or until the limit or a refused command (FALSE with "cluster-create: <phase>: <reason>").
 * The world must hold exactly M·(1+R) nodes. */
gboolean sim_cluster_create(SimWorld *w, const SimClusterSpec *spec, SimClusterTimes *times,
                            GError **error);

/* The master node index of node `i` under the round-robin assignment (i itself if i < M). */
guint sim_cluster_master_of(const SimClusterSpec *spec, guint i);

/* TRUE when every live node knows every other node and none is in handshake. */
gboolean sim_cluster_full_view(SimWorld *w);

#endif
