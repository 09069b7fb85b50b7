/* The cluster state a node reports and enforces (cluster.c: clusterUpdateState).
 *
 * OK needs every slot bound to a node that is not FAIL (with cluster-require-full-coverage)
 * and a majority of the slot-owning masters reachable (neither PFAIL nor FAIL, myself
 * included). A master waits CLUSTER_WRITABLE_DELAY (2000 ms) after the first evaluation
 * before it may turn OK at all, and after being in a minority it waits the rejoin delay
 * clamp(NT, 500, 5000) ms before turning OK again, so it can hear of a failover first. */
#include "core/bus.h"

gint64 rc_cluster_rejoin_delay_ms(const RcNode *node)
{
    return CLAMP(node->cfg.cluster_node_timeout_ms, RC_CLUSTER_MIN_REJOIN_DELAY_MS,
                 RC_CLUSTER_MAX_REJOIN_DELAY_MS);
}

void rc_cluster_update_state(RcNode *node)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    gint64 now = node->now_ms;
    c->todo_before_sleep &= ~RC_CLUSTER_TODO_UPDATE_STATE;

    if (!c->state_evaluated) {
        c->state_evaluated = TRUE;
        c->first_call_time_ms = now;
    }
    if (rc_node_is_master(me) && c->state == RC_CLUSTER_FAIL &&
        now - c->first_call_time_ms < RC_CLUSTER_WRITABLE_DELAY_MS)
        return;

    int new_state = RC_CLUSTER_OK;
    if (node->cfg.cluster_require_full_coverage) {
        /* Every slot bound to a node not FAIL: the cached runs cover all of them. */
        const GArray *runs = rc_cluster_slot_runs(c);
        int covered = 0;
        for (guint i = 0; i < runs->len; i++) {
            const RcSlotRun *r = &g_array_index(runs, RcSlotRun, i);
            if (c->slots[r->first]->flags & RC_NODE_FAIL)
                break;
            covered += r->last - r->first + 1;
        }
        if (covered != RC_CLUSTER_SLOTS)
            new_state = RC_CLUSTER_FAIL;
    }

    int reachable = 0;
    c->size = 0;
    for (guint i = 0; i < c->nodes->len; i++) {
        const RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (rc_node_is_master(n) && n->numslots) {
            c->size++;
            if ((n->flags & (RC_NODE_FAIL | RC_NODE_PFAIL)) == 0)
                reachable++;
        }
    }
    if (reachable < c->size / 2 + 1) {
        new_state = RC_CLUSTER_FAIL;
        c->among_minority_time_ms = now;
        c->was_in_minority = TRUE;
    }

    if (new_state != c->state) {
        if (new_state == RC_CLUSTER_OK && rc_node_is_master(me) && c->was_in_minority &&
            now - c->among_minority_time_ms < rc_cluster_rejoin_delay_ms(node))
            return;
        rc_cluster_log(node, RC_LOG_WARNING, "Cluster state changed: %s",
                       new_state == RC_CLUSTER_OK ? "ok" : "fail");
        c->state = new_state;
        rc_cluster_event(node, new_state == RC_CLUSTER_OK ? RC_EVT_STATE_OK : RC_EVT_STATE_FAIL,
                         NULL, 0);
    }
}
