/* Failover and configuration (owned by the failover modules: failover.c, epoch.c,
 * replica_migration.c, manual_failover.c, slot_migration.c). The bus calls these from
 * packet processing and cron with the header fields they need, already decoded. */
#ifndef RC_FAILOVER_H
#define RC_FAILOVER_H

#include "core/cluster.h"

/* clusterHandleSlaveFailover: from cron and from before-sleep (TODO_HANDLE_FAILOVER). */
void rc_failover_handle_replica_failover(RcNode *node);
/* clusterSendFailoverAuthIfNeeded: a FAILOVER_AUTH_REQUEST arrived from known `sender`. */
void rc_failover_handle_auth_request(RcNode *node, RcClusterNode *sender, guint64 req_current_epoch,
                                     guint64 req_config_epoch, const guint8 *req_slots,
                                     gboolean force_ack);
/* A FAILOVER_AUTH_ACK arrived from known `sender` whose header carried `sender_current_epoch`. */
void rc_failover_handle_auth_ack(RcNode *node, RcClusterNode *sender, guint64 sender_current_epoch);

/* Epochs (epoch.c). */
void rc_epoch_handle_collision(RcNode *node, RcClusterNode *sender);
gboolean rc_epoch_bump_without_consensus(RcNode *node); /* TRUE if bumped */

/* Manual failover (manual_failover.c). */
void rc_mf_reset(RcNode *node);
void rc_mf_handle_mfstart(RcNode *node, RcClusterNode *sender, RcClusterLink *link);
/* Header of a packet from my master with the PAUSED flag: record its offset. */
void rc_mf_master_paused_offset(RcNode *node, RcClusterNode *sender, gint64 offset);
void rc_mf_cron(RcNode *node);                   /* manualFailoverCheckTimeout + step */
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

/* ---- Added by the failover modules for each other and their tests ---- */

/* Epoch helpers (epoch.c). Both assert monotonic growth and emit RC_EVT_CURRENT_EPOCH /
 * RC_EVT_CONFIG_EPOCH. */
void rc_epoch_set_current(RcNode *node, guint64 epoch);
void rc_epoch_set_my_config(RcNode *node, guint64 epoch);
/* A node's 40-byte name as a NUL-terminated string. */
void rc_epoch_name(const RcClusterNode *n, char out[RC_CLUSTER_NAMELEN + 1]);
/* Redis's string2ll: strict signed decimal. */
gboolean rc_epoch_parse_ll(const char *s, gsize len, gint64 *value);
void rc_epoch_bumpepoch_command(RcCommandCall *call);        /* CLUSTER BUMPEPOCH */
void rc_epoch_set_config_epoch_command(RcCommandCall *call); /* CLUSTER SET-CONFIG-EPOCH */

/* Election internals (failover.c). */
#define RC_CLUSTER_CANT_FAILOVER_RELOG_PERIOD_S (60 * 5)
/* max(2·NT, 2000): how long an election waits for votes. The retry comes after twice that. */
gint64 rc_failover_auth_timeout_ms(const RcNode *node);
/* clusterGetSlaveRank: siblings (not NOFAILOVER) advertising a larger offset than mine. */
int rc_failover_replica_rank(RcNode *node);
/* Data age as clusterHandleSlaveFailover computes it (whole seconds, NT subtracted when
 * larger). A replica that never synced gets G_MAXINT64. */
gint64 rc_failover_data_age_ms(RcNode *node);
/* Why a vote would be refused (clusterSendFailoverAuthIfNeeded), in the order checked. */
typedef enum {
    RC_VOTE_GRANTED,
    RC_VOTE_NOT_A_VOTER,         /* I am a replica or a master without slots */
    RC_VOTE_OLD_REQUEST_EPOCH,   /* request currentEpoch < mine */
    RC_VOTE_ALREADY_VOTED,       /* lastVoteEpoch == currentEpoch */
    RC_VOTE_REQUESTER_IS_MASTER, /* the requester is a master */
    RC_VOTE_UNKNOWN_MASTER,      /* I don't know the requester's master */
    RC_VOTE_MASTER_UP,           /* its master is not FAIL here, and no FORCEACK */
    RC_VOTE_TOO_SOON,            /* voted for a replica of that master < 2·NT ago */
    RC_VOTE_STALE_SLOT_EPOCH,    /* a claimed slot is owned here with a larger configEpoch */
} RcVoteDecision;
RcVoteDecision rc_failover_vote_decision(RcNode *node, RcClusterNode *requester,
                                         guint64 req_current_epoch, guint64 req_config_epoch,
                                         const guint8 *req_slots, gboolean force_ack,
                                         int *stale_slot);
const char *rc_vote_decision_name(RcVoteDecision d);
/* clusterFailoverReplaceYourMaster: take my master's slots and announce it. The caller has
 * already raised my configEpoch. */
void rc_failover_replace_my_master(RcNode *node);
void rc_failover_log_cant_failover(RcNode *node, RcCantFailoverReason reason);
/* clusterUpdateMyselfFlags: NOFAILOVER on myself from cluster-replica-no-failover (boot). */
void rc_failover_update_myself_flags(RcNode *node);

/* Manual failover (manual_failover.c). */
void rc_mf_failover_command(RcCommandCall *call); /* CLUSTER FAILOVER [FORCE|TAKEOVER] */

/* Replica migration (replica_migration.c): clusterHandleSlaveMigration. */
void rc_replica_migration_handle(RcNode *node, int max_replicas);
/* clusterCountNonFailingSlaves. */
int rc_replica_migration_ok_replicas(const RcClusterNode *master);

/* Resharding (slot_migration.c): CLUSTER SETSLOT. */
void rc_setslot_command(RcCommandCall *call);
/* getSlotOrReply: FALSE after appending "-ERR Invalid or out of range slot". */
gboolean rc_slot_from_arg(const RcArgv *args, int i, int *slot, GString *reply);

/* MIGRATE (migrate.c). Keys of a MIGRATE request for routing (migrateGetKeys). */
void rc_migrate_get_keys(const RcArgv *args, GArray *keys);
/* RC_CONN_MIGRATE connection events, from the node's dispatch. */
void rc_migrate_conn_connected(RcNode *node, RcConn *conn);
void rc_migrate_conn_recv(RcNode *node, RcConn *conn, const guint8 *data, gsize len);
void rc_migrate_conn_closed(RcNode *node, RcConn *conn);
/* From serverCron: timeouts and the 10 s cache expiry. */
void rc_migrate_cron(RcNode *node);
/* Free the cache (from rc_cluster_free). */
void rc_migrate_state_free(RcCluster *c);

#endif
