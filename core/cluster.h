/* The cluster subsystem's entry points for the rest of core (cluster.c and the bus modules).
 * Its state is in cluster_types.h. */
#ifndef RC_CLUSTER_H
#define RC_CLUSTER_H

#include "core/cluster_types.h"
#include "core/command.h"

/* Create myself (random name from the node's stream) or load `nodes_conf`. */
RcCluster *rc_cluster_new(RcNode *node, GBytes *nodes_conf);
void rc_cluster_free(RcCluster *cluster);

/* Bus connections (RC_CONN_BUS_IN / RC_CONN_BUS_OUT). */
void rc_cluster_link_accepted(RcNode *node, RcConn *conn);
void rc_cluster_link_connected(RcNode *node, RcConn *conn);
void rc_cluster_link_recv(RcNode *node, RcConn *conn, const guint8 *data, gsize len);
void rc_cluster_link_closed(RcNode *node, RcConn *conn);

void rc_cluster_cron(RcNode *node);         /* clusterCron, every 100 ms */
void rc_cluster_before_sleep(RcNode *node); /* clusterBeforeSleep */

/* CLUSTER, READONLY/READWRITE are client flags; these are the cluster command procs. */
void rc_cluster_command(RcCommandCall *call);

/* Queries used by routing and replication. */
RcClusterNode *rc_cluster_slot_owner(const RcNode *node, int slot);
gboolean rc_cluster_is_ok(const RcNode *node);
RcClusterNode *rc_cluster_myself(const RcNode *node);

#endif
