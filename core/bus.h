/* Internal interface between the cluster-bus modules (cluster.c, bus_link.c, cluster_msg.c,
 * gossip.c, failure.c, cluster_state.c, cluster_cron.c, cluster_cmd.c, nodes_conf.c) and
 * their tests. Other core modules use cluster.h. */
#ifndef RC_BUS_H
#define RC_BUS_H

#include "core/bus_wire.h"
#include "core/cluster.h"

/* ---- cluster.c: the node table ---- */

/* Valid iff 40 chars of [a-z0-9] (verifyClusterNodeId). */
gboolean rc_cluster_verify_name(const char *name, gsize len);
/* 40 random hex chars from the node's stream (getRandomHexChars). */
void rc_cluster_random_name(RcNode *node, char name[RC_CLUSTER_NAMELEN]);
/* createClusterNode: `name40` NULL = random. The record is not yet in the table. */
RcClusterNode *rc_cluster_node_new(RcNode *node, const char *name40, guint16 flags);
void rc_cluster_node_add(RcNode *node, RcClusterNode *n); /* clusterAddNode */
void rc_cluster_node_del(RcNode *node, RcClusterNode *n); /* clusterDelNode, frees n */
void rc_cluster_node_rename(RcNode *node, RcClusterNode *n, const char *name40);
/* Lookup by a name of any length (clusterLookupNode): NULL unless a valid known id. */
RcClusterNode *rc_cluster_lookup_len(const RcNode *node, const char *name, gsize len);
int rc_cluster_count_non_failing_replicas(const RcClusterNode *n);
void rc_cluster_close_all_slots(RcNode *node);
gboolean rc_cluster_is_slot_unclaimed(const RcNode *node, int slot);
/* clusterReset(hard). */
void rc_cluster_reset(RcNode *node, gboolean hard);
/* "<40 chars>" as a NUL-terminated string, for logs. */
#define RC_NAME_FMT "%.40s"

/* Logging and events through the current outbox. */
void rc_cluster_log(RcNode *node, RcLogLevel level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void rc_cluster_event(RcNode *node, RcEventKind kind, const RcClusterNode *peer, guint64 value);
/* Set currentEpoch (never decreasing) and emit RC_EVT_CURRENT_EPOCH when it changes. */
void rc_cluster_set_current_epoch(RcNode *node, guint64 epoch);

/* Milliseconds since `t_ms`, where 0 means "never". Redis keeps these times in Unix
 * milliseconds, so a zero (a node just created, nothing received yet) is decades old; our
 * virtual clocks start near 0, so zero is mapped to "very long ago" explicitly. */
static inline gint64 rc_since_ms(gint64 now_ms, gint64 t_ms)
{
    return t_ms == 0 ? G_MAXINT64 / 4 : now_ms - t_ms;
}

/* ---- bus_link.c: links and framing ---- */

/* createClusterLink: outbound when `n` is not NULL (sets n->link). */
RcClusterLink *rc_link_new(RcNode *node, RcClusterNode *n, gboolean inbound);
/* freeClusterLink: unbinds it from its node; closes the connection when `close_conn`. */
void rc_link_free(RcNode *node, RcClusterLink *link, gboolean close_conn);
/* Queue a message on a link (clusterSendMessage); counts it by type. NULL link: dropped. */
void rc_link_send(RcNode *node, RcClusterLink *link, GBytes *msg);
/* setClusterNodeToInboundClusterLink. */
void rc_link_set_inbound_node(RcNode *node, RcClusterNode *n, RcClusterLink *link);
/* Open an outbound link to `n` (cron's reconnect step). */
void rc_link_connect(RcNode *node, RcClusterNode *n);

/* ---- cluster_msg.c: building and processing packets ---- */

/* clusterBuildMessageHdr into an initialised message. */
void rc_cluster_build_header(RcNode *node, RcBusMsg *msg, int type);
/* Encode and send on every node's outbound link except myself and handshake nodes. */
void rc_cluster_broadcast_msg(RcNode *node, const RcBusMsg *msg);
/* clusterProcessPacket on a whole frame. FALSE if the link was freed. */
gboolean rc_cluster_process_packet(RcNode *node, RcClusterLink *link, const guint8 *frame,
                                   gsize len);
/* nodeUpdateAddressIfNeeded. */
gboolean rc_cluster_update_address_if_needed(RcNode *node, RcClusterNode *n, RcClusterLink *link,
                                             const RcBusMsg *hdr);

/* ---- gossip.c ---- */

void rc_gossip_process_section(RcNode *node, const RcBusMsg *hdr, RcClusterLink *link);
void rc_gossip_process_extensions(RcNode *node, const RcBusMsg *hdr, RcClusterLink *link);
/* The number of gossip entries wanted in a ping: max(3, N/10) capped at N - 2. */
int rc_gossip_wanted(int table_size);

/* ---- failure.c ---- */

gboolean rc_failure_report_add(RcNode *node, RcClusterNode *failing, RcClusterNode *sender);
gboolean rc_failure_report_del(RcNode *node, RcClusterNode *failing, RcClusterNode *sender);
void rc_failure_reports_cleanup(RcNode *node, RcClusterNode *n);
void rc_failure_mark_if_needed(RcNode *node, RcClusterNode *n);  /* markNodeAsFailingIfNeeded */
void rc_failure_clear_if_needed(RcNode *node, RcClusterNode *n); /* clearNodeFailureIfNeeded */
/* Cron's PFAIL step for one node: TRUE when it was newly flagged. */
gboolean rc_failure_check_pfail(RcNode *node, RcClusterNode *n);

/* ---- cluster_state.c ---- */

/* clamp(NT, 500, 5000): how long a master back from a minority stays FAIL. */
gint64 rc_cluster_rejoin_delay_ms(const RcNode *node);

/* ---- nodes_conf.c ---- */

/* clusterGenNodeDescription / clusterGenNodesDescription(filter): lines with "\n". */
void rc_nodes_describe_node(const RcNode *node, const RcClusterNode *n, GString *out);
char *rc_nodes_describe(const RcNode *node, guint16 filter);
#define RC_NODES_CONF_ERROR (rc_nodes_conf_error_quark())
GQuark rc_nodes_conf_error_quark(void);
/* The nodes.conf text: descriptions without handshake nodes plus the vars line. */
char *rc_nodes_conf_render(const RcNode *node);
void rc_nodes_conf_cache_free(RcConfCache *cache);
void rc_nodes_saved_conf_free(RcSavedConf *saved);
/* clusterLoadConfig into an empty cluster (no myself yet). FALSE and an error
 * `nodes.conf:LINE: field: reason` on a corrupt file. */
gboolean rc_nodes_conf_load(RcNode *node, const char *text, gsize len, GError **error);

/* ---- cluster_cmd.c: RESP reply helpers shared with tests ---- */
void rc_cluster_reply_error(GString *reply, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

#endif
