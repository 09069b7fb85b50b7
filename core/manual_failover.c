/* Manual failover (Redis 7.0 cluster.c: resetManualFailover, manualFailoverCheckTimeout,
 * clusterHandleManualFailover, the MFSTART branch of clusterProcessPacket and CLUSTER
 * FAILOVER [FORCE|TAKEOVER]).
 *
 * Default: the replica sends MFSTART; its master pauses write clients (nominally for
 * 2 × 5000 ms, but the pause ends when its 5 s manual-failover state is reset) and flags every
 * bus packet PAUSED. The replica records the master's offset from the first PAUSED packet
 * and, once its own processed offset equals it, starts an election at once with FORCEACK, so
 * no acknowledged write is lost. FORCE skips the handshake with the master; TAKEOVER skips
 * the election too. Every attempt is abandoned 5 s after it started. */
#include "core/client.h"
#include "core/failover.h"
#include "core/replication.h"

void rc_mf_reset(RcNode *node)
{
    RcCluster *c = node->cluster;
    if (c->mf_slave != NULL)
        rc_clients_unpause(node); /* I was the master being failed over */
    c->mf_end_ms = 0;
    c->mf_can_start = FALSE;
    c->mf_slave = NULL;
    c->mf_master_offset = -1;
}

/* Master side: one of my replicas asks me to stop writes so it can catch up. */
void rc_mf_handle_mfstart(RcNode *node, RcClusterNode *sender, RcClusterLink *link)
{
    RcCluster *c = node->cluster;
    if (sender == NULL || sender->replica_of != c->myself)
        return;
    rc_mf_reset(node);
    c->mf_end_ms = node->now_ms + RC_CLUSTER_MF_TIMEOUT_MS;
    c->mf_slave = sender;
    rc_clients_pause_writes(node,
                            node->now_ms + RC_CLUSTER_MF_TIMEOUT_MS * RC_CLUSTER_MF_PAUSE_MULT);
    char name[RC_CLUSTER_NAMELEN + 1];
    rc_epoch_name(sender, name);
    rc_outbox_log(node->out, RC_LOG_WARNING, "Manual failover requested by replica %s.", name);
    /* This PING already carries PAUSED and my offset: the replica learns it at once. */
    if (link != NULL)
        rc_cluster_send_ping(node, link, RC_MSG_PING);
}

/* Replica side: a packet from my master flagged PAUSED. Only the first one counts. */
void rc_mf_master_paused_offset(RcNode *node, RcClusterNode *sender, gint64 offset)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    if (c->mf_end_ms == 0 || !rc_node_is_replica(me) || me->replica_of != sender ||
        c->mf_master_offset != -1)
        return;
    c->mf_master_offset = offset;
    rc_cluster_todo(node, RC_CLUSTER_TODO_HANDLE_MANUALFAILOVER);
    rc_outbox_log(
        node->out, RC_LOG_WARNING,
        "Received replication offset for paused master manual failover: %" G_GINT64_FORMAT, offset);
}

/* clusterHandleManualFailover: the replica may start once it processed everything the
 * paused master had. */
void rc_mf_handle_in_before_sleep(RcNode *node)
{
    RcCluster *c = node->cluster;
    if (c->mf_end_ms == 0 || c->mf_can_start || c->mf_master_offset == -1)
        return;
    if (c->mf_master_offset == rc_repl_replica_offset(node)) {
        c->mf_can_start = TRUE;
        rc_outbox_log(node->out, RC_LOG_WARNING,
                      "All master replication stream processed, manual failover can start.");
        rc_cluster_todo(node, RC_CLUSTER_TODO_HANDLE_FAILOVER);
        return;
    }
    rc_cluster_todo(node, RC_CLUSTER_TODO_HANDLE_MANUALFAILOVER);
}

/* From clusterCron: abort on timeout (both roles), then the replica's step. The election
 * step itself (rc_failover_handle_replica_failover) is called by cron right after. */
void rc_mf_cron(RcNode *node)
{
    RcCluster *c = node->cluster;
    if (c->mf_end_ms != 0 && c->mf_end_ms < node->now_ms) {
        rc_outbox_log(node->out, RC_LOG_WARNING, "Manual failover timed out.");
        rc_mf_reset(node);
    }
    if (rc_node_is_replica(c->myself))
        rc_mf_handle_in_before_sleep(node);
}

/* CLUSTER FAILOVER [FORCE|TAKEOVER]. The reply is +OK as soon as the attempt starts; the
 * outcome is seen later in CLUSTER NODES or the log. */
void rc_mf_failover_command(RcCommandCall *call)
{
    RcNode *node = call->node;
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    gboolean force = FALSE, takeover = FALSE;
    if (call->args->argc == 3) {
        if (rc_argv_is(call->args, 2, "force")) {
            force = TRUE;
        } else if (rc_argv_is(call->args, 2, "takeover")) {
            takeover = TRUE;
            force = TRUE;
        } else {
            g_string_append(call->reply, "-ERR syntax error\r\n");
            return;
        }
    }
    if (rc_node_is_master(me)) {
        g_string_append(call->reply, "-ERR You should send CLUSTER FAILOVER to a replica\r\n");
        return;
    }
    if (me->replica_of == NULL) {
        g_string_append(call->reply, "-ERR I'm a replica but my master is unknown to me\r\n");
        return;
    }
    if (!force && (rc_node_failed(me->replica_of) || me->replica_of->link == NULL)) {
        g_string_append(call->reply,
                        "-ERR Master is down or failed, please use CLUSTER FAILOVER FORCE\r\n");
        return;
    }
    rc_mf_reset(node);
    c->mf_end_ms = node->now_ms + RC_CLUSTER_MF_TIMEOUT_MS;
    rc_outbox_event(node->out, RC_EVT_MANUAL_FAILOVER, "", takeover ? 2 : force ? 1 : 0);
    if (takeover) {
        rc_outbox_log(node->out, RC_LOG_WARNING, "Taking over the master (user request).");
        rc_epoch_bump_without_consensus(node);
        rc_failover_replace_my_master(node);
    } else if (force) {
        rc_outbox_log(node->out, RC_LOG_WARNING, "Forced failover user request accepted.");
        c->mf_can_start = TRUE;
    } else {
        rc_outbox_log(node->out, RC_LOG_WARNING, "Manual failover user request accepted.");
        rc_cluster_send_mfstart(node, me->replica_of);
    }
    g_string_append(call->reply, "+OK\r\n");
}
