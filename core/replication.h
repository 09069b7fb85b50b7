/* Asynchronous replication (replication.c): the master's offset and backlog, PSYNC
 * (partial or full with a keyspace snapshot), the replica's link to its master, REPLCONF
 * ACK, WAIT, min-replicas-to-write. */
#ifndef RC_REPLICATION_H
#define RC_REPLICATION_H

#include "core/client.h"

RcReplication *rc_repl_new(RcNode *node);
void rc_repl_free(RcReplication *repl);

/* Feed a write into the replication stream (backlog and every replica). */
void rc_repl_propagate(RcNode *node, const RcArgv *args);
/* min-replicas-to-write: FALSE when there are too few good replicas. */
gboolean rc_repl_min_replicas_ok(const RcNode *node);
/* TRUE when this node is configured as a replica (masterhost set). */
gboolean rc_repl_is_replica(const RcNode *node);
/* Replicate ip:port (clusterSetMaster -> replicationSetMaster). */
void rc_repl_set_master(RcNode *node, const char *ip, guint16 port);
/* Become a master (replicationUnsetMaster): new replid, old one kept as replid2. */
void rc_repl_unset_master(RcNode *node);
/* Offset for the bus header: master_repl_offset on a master, the processed offset on a
 * replica (replicationGetSlaveOffset). */
gint64 rc_repl_offset(const RcNode *node);
/* The two halves of that: server.master_repl_offset, and replicationGetSlaveOffset() (the
 * processed offset of my master's stream, 0 when not a replica). The bus header and
 * CLUSTER SHARDS pick by the cluster role of myself, as Redis does. */
gint64 rc_repl_master_offset(const RcNode *node);
gint64 rc_repl_replica_offset(const RcNode *node);
/* Failover data age inputs: TRUE and the last interaction with the master (ms) when the
 * link is up; FALSE and repl_down_since (ms, 0 = never synced) when it is down. */
gboolean rc_repl_master_link_up(const RcNode *node, gint64 *last_interaction_ms,
                                gint64 *down_since_ms);

/* Connections to my master (RC_CONN_REPL_MASTER). */
void rc_repl_master_connected(RcNode *node, RcConn *conn);
void rc_repl_master_recv(RcNode *node, RcConn *conn, const guint8 *data, gsize len);
void rc_repl_master_disconnected(RcNode *node, RcConn *conn);
/* A replica client of mine went away. */
void rc_repl_replica_gone(RcNode *node, RcClient *client);

/* Command procs: PSYNC, SYNC, REPLCONF, WAIT. */
void rc_repl_psync_command(RcCommandCall *call);
void rc_repl_replconf_command(RcCommandCall *call);
void rc_repl_wait_command(RcCommandCall *call);
/* ROLE, and REPLICAOF/SLAVEOF (refused in cluster mode). */
void rc_repl_role_command(RcCommandCall *call);
void rc_repl_replicaof_command(RcCommandCall *call);
/* INFO replication section. */
void rc_repl_info(const RcNode *node, GString *out);

/* Graceful shutdown (prepareForShutdown, isReadyToShutdown): a master stopped by SIGTERM or
 * SHUTDOWN pauses writes, asks its replicas for an ACK, and exits once every replica has
 * acknowledged master_repl_offset, or after shutdown-timeout (10 s). The driver composes
 * these with rc_clients_pause_writes(); a crash uses none of it. */
void rc_repl_send_getack(RcNode *node);
gboolean rc_repl_ready_to_shutdown(const RcNode *node);

void rc_repl_cron(RcNode *node);         /* replicationCron, every 1000 ms */
void rc_repl_before_sleep(RcNode *node); /* flush GETACK for WAIT, unblock WAIT clients */

#endif
