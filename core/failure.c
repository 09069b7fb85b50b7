/* Failure detection (cluster.c: clusterNodeAddFailureReport, clusterNodeDelFailureReport,
 * clusterNodeCleanupFailureReports, markNodeAsFailingIfNeeded, clearNodeFailureIfNeeded and
 * the PFAIL step of clusterCron).
 *
 * PFAIL is my own opinion: no PONG on my outbound link and no bus data at all for more than
 * NT (strictly). FAIL is the cluster's: I hold PFAIL and masters' reports younger than 2·NT,
 * plus my own voice if I am a master, reach size/2 + 1, where size counts the masters that
 * own slots, the suspect included. The check runs only when a master's gossip arrives. */
#include "core/bus.h"

static gint64 report_validity_ms(const RcNode *node)
{
    return node->cfg.cluster_node_timeout_ms * RC_CLUSTER_FAIL_REPORT_VALIDITY_MULT;
}

gboolean rc_failure_report_add(RcNode *node, RcClusterNode *failing, RcClusterNode *sender)
{
    if (failing->fail_reports == NULL)
        failing->fail_reports = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *l = failing->fail_reports;
    for (guint i = 0; i < l->len; i++) {
        RcFailReport *fr = g_ptr_array_index(l, i);
        if (fr->node == sender) {
            fr->time_ms = node->now_ms;
            return FALSE;
        }
    }
    RcFailReport *fr = g_new(RcFailReport, 1);
    fr->node = sender;
    fr->time_ms = node->now_ms;
    g_ptr_array_add(l, fr);
    return TRUE;
}

void rc_failure_reports_cleanup(RcNode *node, RcClusterNode *n)
{
    GPtrArray *l = n->fail_reports;
    if (l == NULL)
        return;
    gint64 maxtime = report_validity_ms(node);
    for (guint i = 0; i < l->len;) {
        RcFailReport *fr = g_ptr_array_index(l, i);
        if (node->now_ms - fr->time_ms > maxtime)
            g_ptr_array_remove_index(l, i);
        else
            i++;
    }
}

gboolean rc_failure_report_del(RcNode *node, RcClusterNode *failing, RcClusterNode *sender)
{
    GPtrArray *l = failing->fail_reports;
    for (guint i = 0; l != NULL && i < l->len; i++) {
        RcFailReport *fr = g_ptr_array_index(l, i);
        if (fr->node == sender) {
            g_ptr_array_remove_index(l, i);
            rc_failure_reports_cleanup(node, failing);
            return TRUE;
        }
    }
    return FALSE;
}

int rc_cluster_node_failure_reports(RcNode *node, RcClusterNode *n)
{
    rc_failure_reports_cleanup(node, n);
    return n->fail_reports != NULL ? (int)n->fail_reports->len : 0;
}

void rc_failure_mark_if_needed(RcNode *node, RcClusterNode *n)
{
    RcCluster *c = node->cluster;
    int needed_quorum = c->size / 2 + 1;
    if (!rc_node_timed_out(n) || rc_node_failed(n))
        return;
    int failures = rc_cluster_node_failure_reports(node, n);
    if (rc_node_is_master(c->myself))
        failures++;
    if (failures < needed_quorum)
        return;
    rc_cluster_log(node, RC_LOG_NOTICE, "Marking node " RC_NAME_FMT " as failing (quorum reached).",
                   n->name);
    n->flags &= (guint16)~RC_NODE_PFAIL;
    n->flags |= RC_NODE_FAIL;
    n->fail_time_ms = node->now_ms;
    rc_cluster_event(node, RC_EVT_FAIL, n, (guint64)failures);
    /* Replicas broadcast too: they only relay what masters agreed on. */
    rc_cluster_send_fail(node, n);
    rc_cluster_todo(node, RC_CLUSTER_TODO_UPDATE_STATE | RC_CLUSTER_TODO_SAVE_CONFIG);
}

void rc_failure_clear_if_needed(RcNode *node, RcClusterNode *n)
{
    rc_assert(rc_node_failed(n));
    if (rc_node_is_replica(n) || n->numslots == 0) {
        rc_cluster_log(node, RC_LOG_NOTICE,
                       "Clear FAIL state for node " RC_NAME_FMT ": %s is reachable again.", n->name,
                       rc_node_is_replica(n) ? "replica" : "master without slots");
        n->flags &= (guint16)~RC_NODE_FAIL;
        rc_cluster_event(node, RC_EVT_FAIL_CLEARED, n, 0);
        rc_cluster_todo(node, RC_CLUSTER_TODO_UPDATE_STATE | RC_CLUSTER_TODO_SAVE_CONFIG);
    }
    /* A master still serving slots: only once nobody took them over for 2·NT. */
    if (rc_node_is_master(n) && n->numslots > 0 &&
        node->now_ms - n->fail_time_ms >
            node->cfg.cluster_node_timeout_ms * RC_CLUSTER_FAIL_UNDO_TIME_MULT) {
        rc_cluster_log(node, RC_LOG_NOTICE,
                       "Clear FAIL state for node " RC_NAME_FMT
                       ": is reachable again and nobody is serving its slots after some time.",
                       n->name);
        n->flags &= (guint16)~RC_NODE_FAIL;
        rc_cluster_event(node, RC_EVT_FAIL_CLEARED, n, 0);
        rc_cluster_todo(node, RC_CLUSTER_TODO_UPDATE_STATE | RC_CLUSTER_TODO_SAVE_CONFIG);
    }
}

gboolean rc_failure_check_pfail(RcNode *node, RcClusterNode *n)
{
    if (n->ping_sent_ms == 0)
        return FALSE;
    gint64 now = node->now_ms;
    gint64 ping_delay = rc_since_ms(now, n->ping_sent_ms);
    gint64 data_delay = rc_since_ms(now, n->data_received_ms);
    gint64 node_delay = MIN(ping_delay, data_delay);
    if (node_delay > node->cfg.cluster_node_timeout_ms &&
        !(n->flags & (RC_NODE_PFAIL | RC_NODE_FAIL))) {
        rc_cluster_log(node, RC_LOG_DEBUG, "*** NODE " RC_NAME_FMT " possibly failing", n->name);
        n->flags |= RC_NODE_PFAIL;
        rc_cluster_event(node, RC_EVT_PFAIL, n, 0);
        return TRUE;
    }
    return FALSE;
}
