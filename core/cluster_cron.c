/* clusterCron and clusterBeforeSleep (cluster.c).
 *
 * Cron runs every 100 ms (serverCron at hz 10). Each tick: drop handshake nodes older than
 * max(NT, 1000) ms and open missing outbound links; every 10th tick ping the node with the
 * oldest PONG among 5 random picks; ping every node whose PONG is older than NT/2; refresh
 * links that look dead; flag PFAIL; count orphaned masters for replica migration; let a
 * replica run its failover steps; re-evaluate the state on news or while FAIL.
 *
 * Before sleep does the deferred work (RC_CLUSTER_TODO_*) once per event-loop pass. */
#include "core/bus.h"
#include "core/failover.h"
#include "core/replication.h"

/* clusterNodeCronHandleReconnect: TRUE when the node was deleted. */
static gboolean cron_reconnect(RcNode *node, RcClusterNode *n, gint64 handshake_timeout_ms)
{
    RcCluster *c = node->cluster;
    if (n->flags & (RC_NODE_MYSELF | RC_NODE_NOADDR))
        return FALSE;
    if (n->flags & RC_NODE_PFAIL)
        c->stats_pfail_nodes++;
    if (rc_node_in_handshake(n) && node->now_ms - n->ctime_ms > handshake_timeout_ms) {
        rc_cluster_node_del(node, n);
        return TRUE;
    }
    if (n->link == NULL)
        rc_link_connect(node, n);
    return FALSE;
}

/* Every 10th tick: of 5 random nodes, ping the one whose PONG is oldest. */
static void cron_ping_oldest_of_five(RcNode *node)
{
    RcCluster *c = node->cluster;
    RcClusterNode *min_pong_node = NULL;
    gint64 min_pong = 0;
    for (int j = 0; j < 5; j++) {
        RcClusterNode *n =
            g_ptr_array_index(c->nodes, rc_node_random(node, (guint32)c->nodes->len));
        if (n->link == NULL || n->ping_sent_ms != 0)
            continue;
        if (n->flags & (RC_NODE_MYSELF | RC_NODE_HANDSHAKE))
            continue;
        if (min_pong_node == NULL || min_pong > n->pong_received_ms) {
            min_pong_node = n;
            min_pong = n->pong_received_ms;
        }
    }
    if (min_pong_node) {
        rc_cluster_log(node, RC_LOG_DEBUG, "Pinging node " RC_NAME_FMT, min_pong_node->name);
        rc_cluster_send_ping(node, min_pong_node->link, RC_MSG_PING);
    }
}

void rc_cluster_cron(RcNode *node)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    gint64 nt = node->cfg.cluster_node_timeout_ms;
    gboolean update_state = FALSE;
    c->cron_iteration++;

    gint64 handshake_timeout = MAX(nt, 1000);
    c->stats_pfail_nodes = 0;
    for (guint i = 0; i < c->nodes->len;) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (!cron_reconnect(node, n, handshake_timeout))
            i++;
    }

    if (c->cron_iteration % 10 == 0)
        cron_ping_oldest_of_five(node);

    int orphaned_masters = 0, max_replicas = 0, this_replicas = 0;
    gint64 now = node->now_ms;
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n->flags & (RC_NODE_MYSELF | RC_NODE_NOADDR | RC_NODE_HANDSHAKE))
            continue;

        /* Orphaned masters first, the cheap tests before the replica walk; the replica
         * counts matter only when there is one (the second pass below). */
        if (rc_node_is_replica(me) && rc_node_is_master(n) && !rc_node_failed(n) &&
            n->numslots > 0 && (n->flags & RC_NODE_MIGRATE_TO) &&
            rc_cluster_count_non_failing_replicas(n) == 0)
            orphaned_masters++;

        /* No traffic at all for NT/2 while a ping waits: the link may be dead. */
        gint64 ping_delay = rc_since_ms(now, n->ping_sent_ms);
        gint64 data_delay = rc_since_ms(now, n->data_received_ms);
        if (n->link && now - n->link->ctime_ms > nt && n->ping_sent_ms && ping_delay > nt / 2 &&
            data_delay > nt / 2)
            rc_link_free(node, n->link, TRUE);

        if (n->link && n->ping_sent_ms == 0 && rc_since_ms(now, n->pong_received_ms) > nt / 2) {
            rc_cluster_send_ping(node, n->link, RC_MSG_PING);
            continue;
        }

        if (c->mf_end_ms && rc_node_is_master(me) && c->mf_slave == n && n->link) {
            rc_cluster_send_ping(node, n->link, RC_MSG_PING);
            continue;
        }

        if (rc_failure_check_pfail(node, n))
            update_state = TRUE;
    }

    for (guint i = 0; orphaned_masters > 0 && i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n->flags & (RC_NODE_MYSELF | RC_NODE_NOADDR | RC_NODE_HANDSHAKE))
            continue;
        if (rc_node_is_replica(me) && rc_node_is_master(n) && !rc_node_failed(n)) {
            int okreplicas = rc_cluster_count_non_failing_replicas(n);
            if (okreplicas > max_replicas)
                max_replicas = okreplicas;
            if (me->replica_of == n)
                this_replicas = okreplicas;
        }
    }

    if (rc_node_is_replica(me) && me->replica_of && rc_node_has_addr(me->replica_of)) {
        if (!rc_repl_is_replica(node))
            rc_repl_set_master(node, me->replica_of->ip, me->replica_of->port);
    }

    rc_mf_cron(node); /* manualFailoverCheckTimeout, then the replica's step */
    if (rc_node_is_replica(me)) {
        rc_failover_handle_replica_failover(node);
        if (orphaned_masters && max_replicas >= 2 && this_replicas == max_replicas &&
            node->cfg.cluster_allow_replica_migration) {
            rc_replica_migration_cron(node, orphaned_masters, max_replicas, this_replicas);
        }
    }

    if (update_state || c->state == RC_CLUSTER_FAIL)
        rc_cluster_update_state(node);
}

void rc_cluster_before_sleep(RcNode *node)
{
    RcCluster *c = node->cluster;
    int flags = c->todo_before_sleep;
    c->todo_before_sleep = 0;

    if (flags & RC_CLUSTER_TODO_HANDLE_MANUALFAILOVER) {
        if (rc_node_is_replica(c->myself)) {
            rc_mf_handle_in_before_sleep(node);
            rc_failover_handle_replica_failover(node);
        }
    } else if (flags & RC_CLUSTER_TODO_HANDLE_FAILOVER) {
        rc_failover_handle_replica_failover(node);
    }
    if (flags & RC_CLUSTER_TODO_UPDATE_STATE)
        rc_cluster_update_state(node);
    if (flags & RC_CLUSTER_TODO_SAVE_CONFIG)
        rc_cluster_save_config(node, (flags & RC_CLUSTER_TODO_FSYNC_CONFIG) != 0);
}
