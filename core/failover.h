/* Failover and configuration (owned by the failover modules: failover.c, epoch.c,
 * replica_migration.c, manual_failover.c, slot_migration.c). The bus calls these from
 * packet processing and cron with the header fields they need, already decoded. */
#ifndef RC_FAILOVER_H
#define RC_FAILOVER_H

#include "core/cluster.h"

/* clusterHandleSlaveFailover: from cron and from before-sleep (TODO_HANDLE_FAILOVER). */
void rc_failover_handle_replica_failover(RcNode *node);
/* clusterSendFailoverAuthIfNeeded: a FAILOVER_AUTH_REQUEST arrived from known `sender`. */
void rc_failover_handle_auth_request(RcNode *node, RcClusterNode *sender,
                                     guint64 req_current_epoch, guint64 req_config_epoch,
                                     const guint8 *req_slots, gboolean force_ack);
/* A FAILOVER_AUTH_ACK arrived from known `sender` whose header carried `sender_current_epoch`. */
void rc_failover_handle_auth_ack(RcNode *node, RcClusterNode *sender,
                                 guint64 sender_current_epoch);

/* Epochs (epoch.c). */
void rc_epoch_handle_collision(RcNode *node, RcClusterNode *sender);
gboolean rc_epoch_bump_without_consensus(RcNode *node); /* TRUE if bumped */

/* Manual failover (manual_failover.c). */
void rc_mf_reset(RcNode *node);
void rc_mf_handle_mfstart(RcNode *node, RcClusterNode *sender, RcClusterLink *link);
/* Header of a packet from my master with the PAUSED flag: record its offset. */
void rc_mf_master_paused_offset(RcNode *node, RcClusterNode *sender, gint64 offset);
void rc_mf_cron(RcNode *node);            /* manualFailoverCheckTimeout + step */
void rc_mf_handle_in_before_sleep(RcNode *node); /* clusterHandleManualFailover */

/* Replica migration (replica_migration.c), from cron with the counts cron gathered. */
void rc_replica_migration_cron(RcNode *node, int orphaned_masters, int max_replicas,
                               int this_replicas);

/* CLUSTER subcommands owned here: FAILOVER, SETSLOT, BUMPEPOCH, SET-CONFIG-EPOCH.
 * Returns TRUE if it handled (and replied to) the subcommand. */
gboolean rc_failover_cluster_subcommand(RcCommandCall *call);
/* MIGRATE and RESTORE-ASKING/RESTORE command procs (slot_migration.c). */
void rc_migrate_command(RcCommandCall *call);
void rc_restore_command(RcCommandCall *call);

#endif
