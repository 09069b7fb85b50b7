/* Replica election and promotion (Redis 7.0 cluster.c: clusterHandleSlaveFailover,
 * clusterGetSlaveRank, clusterLogCantFailover, clusterFailoverReplaceYourMaster,
 * clusterSendFailoverAuthIfNeeded and the FAILOVER_AUTH_ACK branch of clusterProcessPacket).
 *
 * A replica whose master is FAIL waits 500 ms + 0..499 ms + 1000 ms per better-placed
 * sibling, then bumps currentEpoch and asks every master for a vote. Each slot-owning master
 * grants at most one vote per epoch, and none for replicas of a master it voted about less
 * than 2·NT ago. A majority of slot owners (size/2 + 1) makes the replica the new master
 * with configEpoch = the election epoch; everybody else learns it from its PONGs.
 *
 * Times of 0 mean "never" here (Redis reads the Unix clock, where 0 is decades ago; our
 * virtual clocks start near 0, so an age computed against 0 would look young). */
#include <string.h>

#include "core/bus.h"
#include "core/client.h"
#include "core/failover.h"
#include "core/replication.h"

gint64 rc_failover_auth_timeout_ms(const RcNode *node)
{
    return MAX(node->cfg.cluster_node_timeout_ms * 2, 2000);
}

/* My rank among my master's replicas: how many siblings that may fail over advertised an
 * offset strictly larger than the one I processed. Equal offsets share a rank. The offsets
 * are what the siblings last put in a bus header, so they can be stale. */
int rc_failover_replica_rank(RcNode *node)
{
    RcClusterNode *me = node->cluster->myself;
    rc_assert(rc_node_is_replica(me));
    RcClusterNode *master = me->replica_of;
    if (master == NULL)
        return 0;
    gint64 my_offset = rc_repl_replica_offset(node);
    int rank = 0;
    for (guint i = 0; i < master->replicas->len; i++) {
        RcClusterNode *r = g_ptr_array_index(master->replicas, i);
        if (r != me && !rc_node_cant_failover(r) && r->repl_offset > my_offset)
            rank++;
    }
    return rank;
}

/* How stale my data may be, in ms, counted in whole seconds as Redis does (server.unixtime
 * and lastinteraction are seconds). The node timeout is subtracted when larger: being cut
 * off while the master was being declared FAIL is the baseline. */
gint64 rc_failover_data_age_ms(RcNode *node)
{
    gint64 last_interaction_ms = 0, down_since_ms = 0;
    gint64 now_s = node->now_ms / 1000;
    gint64 data_age;
    if (rc_repl_master_link_up(node, &last_interaction_ms, &down_since_ms)) {
        data_age = (now_s - last_interaction_ms / 1000) * 1000;
    } else {
        if (down_since_ms == 0)
            return G_MAXINT64; /* never synced: Redis computes unixtime - 0, i.e. forever */
        data_age = (now_s - down_since_ms / 1000) * 1000;
    }
    if (data_age > node->cfg.cluster_node_timeout_ms)
        data_age -= node->cfg.cluster_node_timeout_ms;
    return data_age;
}

/* Log why the failover cannot go on, but only when the reason changed or 5 minutes passed,
 * and not in the first NT + 5 s after the master failed (a normal election takes less). */
void rc_failover_log_cant_failover(RcNode *node, RcCantFailoverReason reason)
{
    RcCluster *c = node->cluster;
    gint64 now_s = node->now_ms / 1000;
    if (reason == c->cant_failover_reason && c->lastlog_time_ms != 0 &&
        now_s - c->lastlog_time_ms / 1000 < RC_CLUSTER_CANT_FAILOVER_RELOG_PERIOD_S)
        return;
    c->cant_failover_reason = reason;
    RcClusterNode *master = c->myself->replica_of;
    gint64 nolog_fail_time_ms = node->cfg.cluster_node_timeout_ms + 5000;
    if (master != NULL && rc_node_failed(master) &&
        node->now_ms - master->fail_time_ms < nolog_fail_time_ms)
        return;
    const char *msg;
    switch (reason) {
    case RC_CANT_FAILOVER_DATA_AGE:
        msg = "Disconnected from master for longer than allowed. Please check the "
              "'cluster-replica-validity-factor' configuration option.";
        break;
    case RC_CANT_FAILOVER_WAITING_DELAY:
        msg = "Waiting the delay before I can start a new failover.";
        break;
    case RC_CANT_FAILOVER_EXPIRED:
        msg = "Failover attempt expired.";
        break;
    case RC_CANT_FAILOVER_WAITING_VOTES:
        msg = "Waiting for votes, but majority still not reached.";
        break;
    default:
        msg = "Unknown reason code.";
        break;
    }
    c->lastlog_time_ms = MAX(node->now_ms, 1);
    rc_outbox_log(node->out, RC_LOG_WARNING, "Currently unable to failover: %s", msg);
}

/* The end of every failover: I become a master, take all of my old master's slots, save,
 * and PONG everybody so they rebind the slots (my configEpoch is already the new one). */
void rc_failover_replace_my_master(RcNode *node)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *old_master = me->replica_of;
    if (rc_node_is_master(me) || old_master == NULL)
        return;
    rc_cluster_set_node_as_master(node, me);
    rc_repl_unset_master(node);
    for (int j = 0; j < RC_CLUSTER_SLOTS; j++) {
        if (c->slots[j] == old_master) {
            rc_cluster_del_slot(node, j);
            rc_cluster_add_slot(node, me, j);
        }
    }
    rc_cluster_update_state(node);
    rc_cluster_save_config(node, TRUE);
    rc_cluster_broadcast_pong(node, RC_BROADCAST_ALL);
    rc_mf_reset(node);
    char name[RC_CLUSTER_NAMELEN + 1];
    rc_epoch_name(old_master, name);
    rc_outbox_event(node->out, RC_EVT_PROMOTED, name, me->config_epoch);
}

/* clusterUpdateMyselfFlags: cluster-replica-no-failover shows as NOFAILOVER in my own
 * flags, which my headers carry, so that siblings leave me out of their rank. */
void rc_failover_update_myself_flags(RcNode *node)
{
    RcClusterNode *me = node->cluster->myself;
    guint16 old = me->flags;
    me->flags &= (guint16)~RC_NODE_NOFAILOVER;
    if (node->cfg.cluster_replica_no_failover)
        me->flags |= RC_NODE_NOFAILOVER;
    if (me->flags != old)
        rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE);
}

/* First call after the master failed (or after the retry time): schedule the election. */
static void schedule_election(RcNode *node)
{
    RcCluster *c = node->cluster;
    c->failover_auth_time_ms = node->now_ms + 500 + (gint64)rc_node_random(node, 500);
    c->failover_auth_count = 0;
    c->failover_auth_sent = FALSE;
    c->failover_auth_rank = rc_failover_replica_rank(node);
    c->failover_auth_time_ms += (gint64)c->failover_auth_rank * 1000;
    if (c->mf_end_ms != 0) {
        /* A manual failover starts at once: the master already handed over its offset. */
        c->failover_auth_time_ms = node->now_ms;
        c->failover_auth_rank = 0;
        rc_cluster_todo(node, RC_CLUSTER_TODO_HANDLE_FAILOVER);
    }
    rc_outbox_log(node->out, RC_LOG_WARNING,
                  "Start of election delayed for %" G_GINT64_FORMAT
                  " milliseconds (rank #%d, offset %" G_GINT64_FORMAT ").",
                  c->failover_auth_time_ms - node->now_ms, c->failover_auth_rank,
                  rc_repl_replica_offset(node));
    /* Tell my siblings my offset, so that a better one among us ranks itself first. */
    rc_cluster_broadcast_pong(node, RC_BROADCAST_LOCAL_REPLICAS);
}

/* Siblings may have advertised better offsets since I scheduled: a worse rank only ever
 * adds delay (1000 ms per step); a better one never shortens it. */
static void update_rank(RcNode *node)
{
    RcCluster *c = node->cluster;
    int new_rank = rc_failover_replica_rank(node);
    if (new_rank > c->failover_auth_rank) {
        gint64 added_ms = (gint64)(new_rank - c->failover_auth_rank) * 1000;
        c->failover_auth_time_ms += added_ms;
        c->failover_auth_rank = new_rank;
        rc_outbox_log(node->out, RC_LOG_WARNING,
                      "Replica rank updated to #%d, added %" G_GINT64_FORMAT
                      " milliseconds of delay.",
                      new_rank, added_ms);
    }
}

static void start_election(RcNode *node)
{
    RcCluster *c = node->cluster;
    rc_epoch_set_current(node, c->current_epoch + 1);
    c->failover_auth_epoch = c->current_epoch;
    rc_outbox_log(node->out, RC_LOG_WARNING,
                  "Starting a failover election for epoch %" G_GUINT64_FORMAT ".",
                  c->current_epoch);
    rc_cluster_request_failover_auth(node);
    c->failover_auth_sent = TRUE;
    rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE |
                              RC_CLUSTER_TODO_FSYNC_CONFIG);
    rc_outbox_event(node->out, RC_EVT_ELECTION_START, "", c->failover_auth_epoch);
}

static void win_election(RcNode *node)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    rc_outbox_log(node->out, RC_LOG_WARNING, "Failover election won: I'm the new master.");
    if (me->config_epoch < c->failover_auth_epoch) {
        rc_epoch_set_my_config(node, c->failover_auth_epoch);
        rc_outbox_log(node->out, RC_LOG_WARNING,
                      "configEpoch set to %" G_GUINT64_FORMAT " after successful failover",
                      me->config_epoch);
    }
    rc_failover_replace_my_master(node);
}

/* clusterHandleSlaveFailover: runs from cron and from before-sleep when a vote arrived or a
 * manual failover may start. */
void rc_failover_handle_replica_failover(RcNode *node)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    rc_assert(node->out != NULL);
    c->todo_before_sleep &= ~RC_CLUSTER_TODO_HANDLE_FAILOVER;

    gint64 auth_age_ms =
        c->failover_auth_time_ms == 0 ? G_MAXINT64 : node->now_ms - c->failover_auth_time_ms;
    int needed_quorum = c->size / 2 + 1;
    gboolean manual = c->mf_end_ms != 0 && c->mf_can_start;
    gint64 auth_timeout_ms = rc_failover_auth_timeout_ms(node);
    gint64 auth_retry_ms = auth_timeout_ms * 2;

    RcClusterNode *master = me->replica_of;
    if (rc_node_is_master(me) || master == NULL || (!rc_node_failed(master) && !manual) ||
        (node->cfg.cluster_replica_no_failover && !manual) || master->numslots == 0) {
        c->cant_failover_reason = RC_CANT_FAILOVER_NONE;
        return;
    }

    gint64 data_age_ms = rc_failover_data_age_ms(node);
    gint64 factor = node->cfg.cluster_replica_validity_factor;
    if (factor != 0 && !manual &&
        data_age_ms > node->cfg.repl_ping_replica_period_s * 1000 +
                          node->cfg.cluster_node_timeout_ms * factor) {
        rc_failover_log_cant_failover(node, RC_CANT_FAILOVER_DATA_AGE);
        return;
    }

    if (auth_age_ms > auth_retry_ms) {
        schedule_election(node);
        return;
    }
    if (!c->failover_auth_sent && c->mf_end_ms == 0)
        update_rank(node);
    if (node->now_ms < c->failover_auth_time_ms) {
        rc_failover_log_cant_failover(node, RC_CANT_FAILOVER_WAITING_DELAY);
        return;
    }
    if (auth_age_ms > auth_timeout_ms) {
        rc_failover_log_cant_failover(node, RC_CANT_FAILOVER_EXPIRED);
        return;
    }
    if (!c->failover_auth_sent) {
        start_election(node);
        return; /* wait for the votes */
    }
    if (c->failover_auth_count >= needed_quorum)
        win_election(node);
    else
        rc_failover_log_cant_failover(node, RC_CANT_FAILOVER_WAITING_VOTES);
}

const char *rc_vote_decision_name(RcVoteDecision d)
{
    switch (d) {
    case RC_VOTE_GRANTED:
        return "granted";
    case RC_VOTE_NOT_A_VOTER:
        return "not-a-voter";
    case RC_VOTE_OLD_REQUEST_EPOCH:
        return "old-request-epoch";
    case RC_VOTE_ALREADY_VOTED:
        return "already-voted";
    case RC_VOTE_REQUESTER_IS_MASTER:
        return "requester-is-master";
    case RC_VOTE_UNKNOWN_MASTER:
        return "unknown-master";
    case RC_VOTE_MASTER_UP:
        return "master-up";
    case RC_VOTE_TOO_SOON:
        return "too-soon";
    case RC_VOTE_STALE_SLOT_EPOCH:
        return "stale-slot-epoch";
    }
    return "?";
}

/* The rules of clusterSendFailoverAuthIfNeeded, in Redis's order. My currentEpoch has
 * already been raised to the request's by the header processing. */
RcVoteDecision rc_failover_vote_decision(RcNode *node, RcClusterNode *requester,
                                         guint64 req_current_epoch, guint64 req_config_epoch,
                                         const guint8 *req_slots, gboolean force_ack,
                                         int *stale_slot)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *master = requester->replica_of;
    if (rc_node_is_replica(me) || me->numslots == 0)
        return RC_VOTE_NOT_A_VOTER;
    if (req_current_epoch < c->current_epoch)
        return RC_VOTE_OLD_REQUEST_EPOCH;
    if (c->last_vote_epoch == c->current_epoch)
        return RC_VOTE_ALREADY_VOTED;
    if (rc_node_is_master(requester))
        return RC_VOTE_REQUESTER_IS_MASTER;
    if (master == NULL)
        return RC_VOTE_UNKNOWN_MASTER;
    if (!rc_node_failed(master) && !force_ack)
        return RC_VOTE_MASTER_UP;
    if (master->voted_time_ms != 0 &&
        node->now_ms - master->voted_time_ms < node->cfg.cluster_node_timeout_ms * 2)
        return RC_VOTE_TOO_SOON;
    for (int j = 0; j < RC_CLUSTER_SLOTS; j++) {
        if (!rc_bitmap_test(req_slots, j))
            continue;
        /* Unbound, or bound to an owner that stopped claiming it (isSlotUnclaimed): any
         * claimant may have it. */
        if (rc_cluster_is_slot_unclaimed(node, j) || c->slots[j]->config_epoch <= req_config_epoch)
            continue;
        if (stale_slot != NULL)
            *stale_slot = j;
        return RC_VOTE_STALE_SLOT_EPOCH;
    }
    return RC_VOTE_GRANTED;
}

void rc_failover_handle_auth_request(RcNode *node, RcClusterNode *sender, guint64 req_current_epoch,
                                     guint64 req_config_epoch, const guint8 *req_slots,
                                     gboolean force_ack)
{
    RcCluster *c = node->cluster;
    char name[RC_CLUSTER_NAMELEN + 1];
    rc_epoch_name(sender, name);
    int slot = -1;
    RcVoteDecision d = rc_failover_vote_decision(node, sender, req_current_epoch, req_config_epoch,
                                                 req_slots, force_ack, &slot);
    RcOutbox *out = node->out;
    switch (d) {
    case RC_VOTE_NOT_A_VOTER:
        return; /* silent in Redis */
    case RC_VOTE_OLD_REQUEST_EPOCH:
        rc_outbox_log(out, RC_LOG_WARNING,
                      "Failover auth denied to %s: reqEpoch (%" G_GUINT64_FORMAT
                      ") < curEpoch(%" G_GUINT64_FORMAT ")",
                      name, req_current_epoch, c->current_epoch);
        return;
    case RC_VOTE_ALREADY_VOTED:
        rc_outbox_log(out, RC_LOG_WARNING,
                      "Failover auth denied to %s: already voted for epoch %" G_GUINT64_FORMAT,
                      name, c->current_epoch);
        return;
    case RC_VOTE_REQUESTER_IS_MASTER:
        rc_outbox_log(out, RC_LOG_WARNING, "Failover auth denied to %s: it is a master node", name);
        return;
    case RC_VOTE_UNKNOWN_MASTER:
        rc_outbox_log(out, RC_LOG_WARNING, "Failover auth denied to %s: I don't know its master",
                      name);
        return;
    case RC_VOTE_MASTER_UP:
        rc_outbox_log(out, RC_LOG_WARNING, "Failover auth denied to %s: its master is up", name);
        return;
    case RC_VOTE_TOO_SOON:
        rc_outbox_log(
            out, RC_LOG_WARNING,
            "Failover auth denied to %s: can't vote about this master before %" G_GINT64_FORMAT
            " milliseconds",
            name,
            node->cfg.cluster_node_timeout_ms * 2 -
                (node->now_ms - sender->replica_of->voted_time_ms));
        return;
    case RC_VOTE_STALE_SLOT_EPOCH:
        rc_outbox_log(out, RC_LOG_WARNING,
                      "Failover auth denied to %s: slot %d epoch (%" G_GUINT64_FORMAT
                      ") > reqEpoch (%" G_GUINT64_FORMAT ")",
                      name, slot, c->slots[slot]->config_epoch, req_config_epoch);
        return;
    case RC_VOTE_GRANTED:
        break;
    }
    /* The vote is spent before the ACK goes out: if I have no link to the replica the ACK
     * is dropped, and I still cannot vote again in this epoch. */
    c->last_vote_epoch = c->current_epoch;
    sender->replica_of->voted_time_ms = MAX(node->now_ms, 1);
    rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_FSYNC_CONFIG);
    rc_cluster_send_failover_auth(node, sender);
    rc_outbox_log(out, RC_LOG_WARNING, "Failover auth granted to %s for epoch %" G_GUINT64_FORMAT,
                  name, c->current_epoch);
    rc_outbox_event(out, RC_EVT_VOTE_GRANTED, name, c->current_epoch);
}

/* A vote counts if it comes from a master serving slots that has seen my election epoch.
 * Redis does not remember who voted: a duplicate ACK would count twice. */
void rc_failover_handle_auth_ack(RcNode *node, RcClusterNode *sender, guint64 sender_current_epoch)
{
    RcCluster *c = node->cluster;
    if (rc_node_is_master(sender) && sender->numslots > 0 &&
        sender_current_epoch >= c->failover_auth_epoch) {
        c->failover_auth_count++;
        rc_cluster_todo(node, RC_CLUSTER_TODO_HANDLE_FAILOVER);
    }
}
