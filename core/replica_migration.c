/* Replica migration (Redis 7.0 cluster.c: clusterHandleSlaveMigration,
 * clusterCountNonFailingSlaves, and the call site at the end of clusterCron).
 *
 * A master that serves slots, used to have replicas (MIGRATE_TO) and now has no working one
 * is "orphaned". One replica of a master with the most working replicas moves over to it:
 * the one with the smallest name among all replicas of such masters, and only if its own
 * master keeps more than cluster-migration-barrier working replicas, and only after the
 * orphan has stayed orphaned for 5 s (its own replicas may just be re-pointing after a
 * failover). Redis takes the first orphan in its dict order (hash-seeded); we take the
 * first in our node table order, which is deterministic. */
#include <string.h>

#include "core/bus.h"
#include "core/failover.h"

int rc_replica_migration_ok_replicas(const RcClusterNode *master)
{
    int ok = 0;
    if (master->replicas == NULL)
        return 0;
    for (guint i = 0; i < master->replicas->len; i++) {
        const RcClusterNode *r = g_ptr_array_index(master->replicas, i);
        if (!rc_node_failed(r))
            ok++;
    }
    return ok;
}

/* Called by cron with the counts it gathered over masters that are not FAIL. */
void rc_replica_migration_cron(RcNode *node, int orphaned_masters, int max_replicas,
                               int this_replicas)
{
    if (!rc_node_is_replica(node->cluster->myself))
        return;
    /* Migrating makes sense only if some master has at least two working replicas. */
    if (orphaned_masters > 0 && max_replicas >= 2 && this_replicas == max_replicas &&
        node->cfg.cluster_allow_replica_migration)
        rc_replica_migration_handle(node, max_replicas);
}

void rc_replica_migration_handle(RcNode *node, int max_replicas)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *my_master = me->replica_of;

    if (c->state != RC_CLUSTER_OK)
        return;
    if (my_master == NULL)
        return;
    /* My master must keep more than the barrier of replicas that are neither FAIL nor
     * PFAIL (me included in the count, as I am still one of them). */
    int ok_here = 0;
    for (guint i = 0; i < my_master->replicas->len; i++) {
        RcClusterNode *r = g_ptr_array_index(my_master->replicas, i);
        if (!rc_node_failed(r) && !rc_node_timed_out(r))
            ok_here++;
    }
    if (ok_here <= node->cfg.cluster_migration_barrier)
        return;

    RcClusterNode *candidate = me, *target = NULL;
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        int ok_replicas = 0;
        gboolean is_orphaned = TRUE;
        if (rc_node_is_replica(n) || rc_node_failed(n))
            is_orphaned = FALSE;
        if (!(n->flags & RC_NODE_MIGRATE_TO))
            is_orphaned = FALSE;
        if (rc_node_is_master(n))
            ok_replicas = rc_replica_migration_ok_replicas(n);
        if (ok_replicas > 0)
            is_orphaned = FALSE;

        if (is_orphaned) {
            if (target == NULL && n->numslots > 0)
                target = n;
            if (n->orphaned_time_ms == 0)
                n->orphaned_time_ms = MAX(node->now_ms, 1);
        } else {
            n->orphaned_time_ms = 0;
        }

        /* Among the replicas of masters with the most working replicas, the smallest name
         * is the one that moves. */
        if (ok_replicas == max_replicas && n->replicas != NULL) {
            for (guint j = 0; j < n->replicas->len; j++) {
                RcClusterNode *r = g_ptr_array_index(n->replicas, j);
                if (memcmp(r->name, candidate->name, RC_CLUSTER_NAMELEN) < 0)
                    candidate = r;
            }
        }
    }

    if (target != NULL && candidate == me &&
        node->now_ms - target->orphaned_time_ms > RC_CLUSTER_SLAVE_MIGRATION_DELAY_MS) {
        char name[RC_CLUSTER_NAMELEN + 1];
        rc_epoch_name(target, name);
        rc_outbox_log(node->out, RC_LOG_WARNING, "Migrating to orphaned master %s", name);
        rc_cluster_event(node, RC_EVT_REPLICA_MIGRATION, target, 0);
        rc_cluster_set_my_master(node, target);
    }
}
