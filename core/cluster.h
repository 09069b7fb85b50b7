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
/* The CLUSTER SLOTS reply built afresh, without the cache CLUSTER SLOTS answers from (tests
 * compare the two). */
void rc_cluster_slots_reply_build(RcNode *node, GString *reply);
/* Free the CLUSTER SLOTS cache (from rc_cluster_free). */
void rc_cluster_slots_cache_free(RcCluster *c);

/* Queries used by routing and replication. */
RcClusterNode *rc_cluster_slot_owner(const RcNode *node, int slot);
gboolean rc_cluster_is_ok(const RcNode *node);
RcClusterNode *rc_cluster_myself(const RcNode *node);

#endif

/* ---- Services the bus modules provide to failover, epochs, migration (owned by the bus) ----
 * Message types as the wire numbers them (cluster.h CLUSTERMSG_TYPE_*). */
#define RC_MSG_PING 0
#define RC_MSG_PONG 1
#define RC_MSG_MEET 2
#define RC_MSG_FAIL 3
#define RC_MSG_PUBLISH 4
#define RC_MSG_FAILOVER_AUTH_REQUEST 5
#define RC_MSG_FAILOVER_AUTH_ACK 6
#define RC_MSG_UPDATE 7
#define RC_MSG_MFSTART 8
#define RC_MSG_MODULE 9
#define RC_MSG_PUBLISHSHARD 10

/* Targets of rc_cluster_broadcast_pong (CLUSTER_BROADCAST_*). */
#define RC_BROADCAST_ALL 0
#define RC_BROADCAST_LOCAL_REPLICAS 1

RcClusterNode *rc_cluster_lookup(const RcNode *node, const char *name40);
void rc_cluster_send_ping(RcNode *node, RcClusterLink *link, int type);
void rc_cluster_broadcast_pong(RcNode *node, int target);
void rc_cluster_send_fail(RcNode *node, const RcClusterNode *failing);
void rc_cluster_send_update(RcNode *node, RcClusterLink *link, const RcClusterNode *about);
void rc_cluster_request_failover_auth(RcNode *node);                 /* broadcast AUTH_REQUEST */
void rc_cluster_send_failover_auth(RcNode *node, RcClusterNode *to); /* AUTH_ACK */
void rc_cluster_send_mfstart(RcNode *node, RcClusterNode *to);

/* Node table and slot bookkeeping (clusterAddSlot, clusterDelSlot, clusterSetNodeAsMaster,
 * clusterSetMaster, clusterNodeAddSlave/RemoveSlave ...). */
gboolean rc_cluster_add_slot(RcNode *node, RcClusterNode *owner, int slot);
gboolean rc_cluster_del_slot(RcNode *node, int slot);
/* del_slot then add_slot: `slot` passes from its owner (or no one) to `owner`, another node. */
void rc_cluster_rebind_slot(RcNode *node, RcClusterNode *owner, int slot);
/* The runs of slots with one owner in my view, in slot order (RcSlotRun); valid until a slot
 * changes hands. */
const GArray *rc_cluster_slot_runs(RcCluster *c);
/* The runs of `owner`, in slot order, from the same cache: start with *cursor = 0, call until
 * NULL. Nothing may change hands in between. */
const RcSlotRun *rc_cluster_owner_next_run(RcCluster *c, const RcClusterNode *owner, guint *cursor);
/* migrating_slots_to / importing_slots_from are allocated on first use (256 KB a node that
 * never reshards does without): the table, allocating it; an entry, NULL if there is none. */
RcClusterNode **rc_cluster_slot_table(RcClusterNode ***table);
RcClusterNode *rc_cluster_slot_entry(RcClusterNode *const *table, int slot);
int rc_cluster_del_node_slots(RcNode *node, RcClusterNode *owner);
/* The slots `n` serves in my view as a bitmap of RC_CLUSTER_SLOTS bits (Redis keeps one in
 * every clusterNode; we build it from the slot table's runs), and one bit of it. */
void rc_cluster_node_slot_bitmap(RcCluster *c, const RcClusterNode *n, guint8 *bitmap);
/* The bitmap names exactly the slots `n` serves in my view (Redis: memcmp of the bitmaps). */
gboolean rc_cluster_node_slots_equal(RcCluster *c, const RcClusterNode *n, const guint8 *bitmap);
gboolean rc_cluster_node_has_slot(const RcCluster *c, const RcClusterNode *n, int slot);
void rc_cluster_set_node_as_master(RcNode *node, RcClusterNode *n);
void rc_cluster_set_my_master(RcNode *node, RcClusterNode *master); /* clusterSetMaster */
gboolean rc_cluster_node_add_replica(RcClusterNode *master, RcClusterNode *replica);
gboolean rc_cluster_node_remove_replica(RcClusterNode *master, RcClusterNode *replica);
int rc_cluster_node_failure_reports(RcNode *node, RcClusterNode *n);
guint64 rc_cluster_max_epoch(const RcNode *node);
void rc_cluster_update_state(RcNode *node); /* clusterUpdateState */
/* clusterSaveConfigOrDie: emits RC_ACT_SAVE (fsync: blocking the event loop), keeps the text */
void rc_cluster_save_config(RcNode *node, gboolean fsync);
GBytes *rc_cluster_saved_conf(RcCluster *c);   /* that text (a new ref), NULL before a save */
void rc_cluster_todo(RcNode *node, int flags); /* clusterDoBeforeSleep */
/* clusterUpdateSlotsConfigWith: rebinding on a claim with a higher configEpoch. */
void rc_cluster_update_slots_config_with(RcNode *node, RcClusterNode *sender,
                                         guint64 sender_config_epoch, const guint8 *slots);
gboolean rc_bitmap_range_all_set(const guint8 *bitmap, int first, int last);
void rc_bitmap_set_range(guint8 *bitmap, int first, int last); /* bits first..last, inclusive */
