/* Unit tests of the replica election, voting, epochs, manual failover and replica
 * migration, on hand-built cluster views with time set by hand. */
#include <check.h>
#include <string.h>

#include "core/keyspace.h"
#include "core/node_private.h"
#include "tests/failover_fixture.h"

#define NT 15000

/* Layout used by most tests: three masters a, b, c owning 0-5460, 5461-10922, 10923-16383;
 * `me` ('m') is a replica of a, with siblings x and y. */
static RcClusterNode *A, *B, *C, *X, *Y, *ME;

static void three_masters_me_replica_of_a(void)
{
    fo_setup(1);
    ME = fo->node->cluster->myself;
    A = fo_add_node('a', RC_NODE_MASTER);
    B = fo_add_node('b', RC_NODE_MASTER);
    C = fo_add_node('c', RC_NODE_MASTER);
    X = fo_add_node('x', RC_NODE_SLAVE);
    Y = fo_add_node('y', RC_NODE_SLAVE);
    fo_make_replica(ME, A);
    fo_make_replica(X, A);
    fo_make_replica(Y, A);
    fo_assign_slots(A, 0, 5460);
    fo_assign_slots(B, 5461, 10922);
    fo_assign_slots(C, 10923, 16383);
    A->config_epoch = 1;
    B->config_epoch = 2;
    C->config_epoch = 3;
    fo->node->cluster->current_epoch = 3;
    fo_repl_link_down(100000); /* lost the master at t = 100 s */
    fo_set_time_ms(100000);
    rc_outbox_clear(fo->out);
}

/* ---------------------------------------------------------------- voting (§8.4) */

/* Voting tests are run from b's point of view: b is `myself`, a master with slots. */
typedef struct {
    const char *name;
    RcVoteDecision want;
} VoteCase;

static RcClusterNode *VA, *VB, *VR, *VS;

static void voter_setup(void)
{
    fo_setup(2);
    VB = fo->node->cluster->myself; /* 'm' is the voter, a master */
    VA = fo_add_node('a', RC_NODE_MASTER | RC_NODE_FAIL);
    VR = fo_add_node('r', RC_NODE_SLAVE);
    VS = fo_add_node('s', RC_NODE_SLAVE);
    fo_make_replica(VR, VA);
    fo_make_replica(VS, VA);
    fo_assign_slots(VA, 0, 8191);
    fo_assign_slots(VB, 8192, 16383);
    VA->config_epoch = 5;
    VB->config_epoch = 6;
    fo->node->cluster->current_epoch = 7; /* the request's epoch, already adopted */
    fo_set_time_ms(200000);
}

/* VA's slots as the request's bitmap, built from the voter's slot table. */
static const guint8 *va_slots(void)
{
    static guint8 bitmap[RC_CLUSTER_SLOTS / 8];
    rc_cluster_node_slot_bitmap(fo->node->cluster, VA, bitmap);
    return bitmap;
}

static RcVoteDecision vote(guint64 req_epoch, guint64 req_config, gboolean force)
{
    return rc_failover_vote_decision(fo->node, VR, req_epoch, req_config, va_slots(), force, NULL);
}

START_TEST(test_vote_rules_table)
{
    static const VoteCase cases[] = {
        {"granted", RC_VOTE_GRANTED},
        {"voter-is-replica", RC_VOTE_NOT_A_VOTER},
        {"voter-without-slots", RC_VOTE_NOT_A_VOTER},
        {"old-request-epoch", RC_VOTE_OLD_REQUEST_EPOCH},
        {"already-voted", RC_VOTE_ALREADY_VOTED},
        {"requester-is-master", RC_VOTE_REQUESTER_IS_MASTER},
        {"unknown-master", RC_VOTE_UNKNOWN_MASTER},
        {"master-up", RC_VOTE_MASTER_UP},
        {"master-up-forceack", RC_VOTE_GRANTED},
        {"pfail-is-not-fail", RC_VOTE_MASTER_UP},
        {"too-soon", RC_VOTE_TOO_SOON},
        {"just-2nt", RC_VOTE_GRANTED},
        {"too-soon-even-forceack", RC_VOTE_TOO_SOON},
        {"stale-slot-epoch", RC_VOTE_STALE_SLOT_EPOCH},
        {"equal-slot-epoch", RC_VOTE_GRANTED},
        {"unclaimed-slot", RC_VOTE_GRANTED},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        voter_setup();
        RcCluster *c = fo->node->cluster;
        const char *n = cases[i].name;
        guint64 req_epoch = 7, req_config = 5;
        gboolean force = FALSE;
        if (!strcmp(n, "voter-is-replica")) {
            VB->flags = RC_NODE_MYSELF | RC_NODE_SLAVE;
        } else if (!strcmp(n, "voter-without-slots")) {
            for (int j = 8192; j < 16384; j++)
                rc_cluster_del_slot(fo->node, j);
        } else if (!strcmp(n, "old-request-epoch")) {
            req_epoch = 6;
        } else if (!strcmp(n, "already-voted")) {
            c->last_vote_epoch = 7;
        } else if (!strcmp(n, "requester-is-master")) {
            VR->flags = RC_NODE_MASTER;
        } else if (!strcmp(n, "unknown-master")) {
            VR->replica_of = NULL;
        } else if (!strcmp(n, "master-up")) {
            VA->flags = RC_NODE_MASTER;
        } else if (!strcmp(n, "master-up-forceack")) {
            VA->flags = RC_NODE_MASTER;
            force = TRUE;
        } else if (!strcmp(n, "pfail-is-not-fail")) {
            VA->flags = RC_NODE_MASTER | RC_NODE_PFAIL;
        } else if (!strcmp(n, "too-soon")) {
            VA->voted_time_ms = 200000 - 2 * NT + 1;
        } else if (!strcmp(n, "just-2nt")) {
            VA->voted_time_ms = 200000 - 2 * NT;
        } else if (!strcmp(n, "too-soon-even-forceack")) {
            VA->flags = RC_NODE_MASTER;
            VA->voted_time_ms = 199000;
            force = TRUE;
        } else if (!strcmp(n, "stale-slot-epoch")) {
            req_config = 4; /* a's slots are owned here at epoch 5 */
        } else if (!strcmp(n, "equal-slot-epoch")) {
            req_config = 5;
        } else if (!strcmp(n, "unclaimed-slot")) {
            req_config = 4;
            for (int j = 0; j < 8192; j++)
                rc_bitmap_set(c->owner_not_claiming_slot, j);
        }
        RcVoteDecision got = vote(req_epoch, req_config, force);
        ck_assert_msg(got == cases[i].want, "%s: got %s want %s", n, rc_vote_decision_name(got),
                      rc_vote_decision_name(cases[i].want));
        fo_teardown();
    }
}
END_TEST

START_TEST(test_vote_granted_is_spent_even_without_link)
{
    voter_setup();
    RcCluster *c = fo->node->cluster;
    fo_drop_link(VR);
    rc_failover_handle_auth_request(fo->node, VR, 7, 5, va_slots(), FALSE);
    ck_assert_uint_eq(c->last_vote_epoch, 7);
    ck_assert_int_eq(VA->voted_time_ms, 200000);
    ck_assert_int_eq(fo_sent(RC_MSG_FAILOVER_AUTH_ACK, NULL, NULL), 0); /* no link: dropped */
    ck_assert(
        fo_logged("Failover auth granted to rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr for epoch 7"));
    guint64 v = 0;
    ck_assert_int_eq(fo_events(RC_EVT_VOTE_GRANTED, &v), 1);
    ck_assert_uint_eq(v, 7);
    ck_assert(c->todo_before_sleep & RC_CLUSTER_TODO_FSYNC_CONFIG);
    /* The sibling asks in the same epoch: refused, and no second ACK. */
    rc_failover_handle_auth_request(fo->node, VS, 7, 5, va_slots(), FALSE);
    ck_assert(fo_logged("already voted for epoch 7"));
    ck_assert_int_eq(fo_events(RC_EVT_VOTE_GRANTED, NULL), 1);
    /* A new epoch, but within 2·NT of the last vote about master a. */
    c->current_epoch = 8;
    fo_set_time_ms(200000 + 2 * NT - 1);
    rc_failover_handle_auth_request(fo->node, VS, 8, 5, va_slots(), FALSE);
    ck_assert(fo_logged("can't vote about this master before 1 milliseconds"));
    fo_set_time_ms(200000 + 2 * NT);
    rc_failover_handle_auth_request(fo->node, VS, 8, 5, va_slots(), FALSE);
    ck_assert_int_eq(fo_events(RC_EVT_VOTE_GRANTED, NULL), 2);
    ck_assert_int_eq(fo_sent(RC_MSG_FAILOVER_AUTH_ACK, VS, NULL), 1);
    fo_teardown();
}
END_TEST

START_TEST(test_vote_refusal_logs)
{
    voter_setup();
    rc_failover_handle_auth_request(fo->node, VR, 7, 4, va_slots(), FALSE);
    ck_assert(fo_logged("slot 0 epoch (5) > reqEpoch (4)"));
    VA->flags = RC_NODE_MASTER;
    rc_failover_handle_auth_request(fo->node, VR, 7, 5, va_slots(), FALSE);
    ck_assert(fo_logged("its master is up"));
    rc_failover_handle_auth_request(fo->node, VR, 6, 5, va_slots(), FALSE);
    ck_assert(fo_logged("reqEpoch (6) < curEpoch(7)"));
    ck_assert_int_eq(fo_events(RC_EVT_VOTE_GRANTED, NULL), 0);
    ck_assert_uint_eq(fo->node->cluster->last_vote_epoch, 0);
    fo_teardown();
}
END_TEST

/* ---------------------------------------------------------------- AUTH_ACK counting */

START_TEST(test_auth_ack_counting)
{
    three_masters_me_replica_of_a();
    RcCluster *c = fo->node->cluster;
    c->failover_auth_epoch = 10;
    rc_failover_handle_auth_ack(fo->node, X, 10); /* a replica's ACK */
    ck_assert_int_eq(c->failover_auth_count, 0);
    RcClusterNode *e = fo_add_node('e', RC_NODE_MASTER); /* a master without slots */
    rc_failover_handle_auth_ack(fo->node, e, 10);
    ck_assert_int_eq(c->failover_auth_count, 0);
    rc_failover_handle_auth_ack(fo->node, B, 9); /* from an older epoch */
    ck_assert_int_eq(c->failover_auth_count, 0);
    rc_failover_handle_auth_ack(fo->node, B, 10);
    ck_assert_int_eq(c->failover_auth_count, 1);
    ck_assert(c->todo_before_sleep & RC_CLUSTER_TODO_HANDLE_FAILOVER);
    rc_failover_handle_auth_ack(fo->node, B, 11); /* no de-duplication, as Redis */
    ck_assert_int_eq(c->failover_auth_count, 2);
    fo_teardown();
}
END_TEST

/* ---------------------------------------------------------------- election (§8.1-8.5) */

START_TEST(test_no_election_while_master_ok)
{
    three_masters_me_replica_of_a();
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(fo->node->cluster->failover_auth_time_ms, 0);
    A->flags |= RC_NODE_PFAIL; /* PFAIL is not enough */
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(fo->node->cluster->failover_auth_time_ms, 0);
    A->flags |= RC_NODE_FAIL;
    fo->node->cfg.cluster_replica_no_failover = TRUE;
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(fo->node->cluster->failover_auth_time_ms, 0);
    fo->node->cfg.cluster_replica_no_failover = FALSE;
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_ne(fo->node->cluster->failover_auth_time_ms, 0);
    fo_teardown();
}
END_TEST

START_TEST(test_rank_delay_window)
{
    /* Over many seeds the delay is 500..999 ms + 1000 per sibling with a larger offset. */
    gint64 seen_min = G_MAXINT64, seen_max = 0;
    for (guint32 seed = 1; seed <= 400; seed++) {
        three_masters_me_replica_of_a();
        g_rand_set_seed(fo->rng, seed);
        A->flags |= RC_NODE_FAIL;
        fo_repl_offset(1000);
        X->repl_offset = 2000; /* better than me */
        Y->repl_offset = 1000; /* equal: same rank */
        int want_rank = 1;
        if (seed % 3 == 0) {
            Y->repl_offset = 1500; /* also better */
            want_rank = 2;
        }
        if (seed % 5 == 0) {
            Y->flags |= RC_NODE_NOFAILOVER; /* never counted */
            want_rank = 1;
        }
        rc_failover_handle_replica_failover(fo->node);
        RcCluster *c = fo->node->cluster;
        ck_assert_int_eq(c->failover_auth_rank, want_rank);
        gint64 delay = c->failover_auth_time_ms - 100000 - 1000 * want_rank;
        ck_assert_int_ge(delay, 500);
        ck_assert_int_le(delay, 999);
        seen_min = MIN(seen_min, delay);
        seen_max = MAX(seen_max, delay);
        ck_assert_int_eq(fo_sent(RC_MSG_PONG, X, NULL), 1); /* my siblings learn my offset */
        ck_assert_int_eq(fo_sent(RC_MSG_PONG, Y, NULL), 1);
        ck_assert_int_eq(fo_sent(RC_MSG_PONG, B, NULL), 0);
        ck_assert(!c->failover_auth_sent);
        ck_assert_uint_eq(c->current_epoch, 3); /* not bumped when scheduled */
        fo_teardown();
    }
    ck_assert_int_le(seen_min, 510);
    ck_assert_int_ge(seen_max, 990);
}
END_TEST

START_TEST(test_rerank_while_waiting_adds_delay)
{
    three_masters_me_replica_of_a();
    RcCluster *c = fo->node->cluster;
    A->flags |= RC_NODE_FAIL;
    fo_repl_offset(1000);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(c->failover_auth_rank, 0);
    gint64 t0 = c->failover_auth_time_ms;
    /* x and y advertise better offsets while I wait: rank 0 -> 2, +2000 ms. */
    X->repl_offset = 5000;
    Y->repl_offset = 4000;
    fo_set_time_ms(100100);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(c->failover_auth_rank, 2);
    ck_assert_int_eq(c->failover_auth_time_ms, t0 + 2000);
    ck_assert(fo_logged("Replica rank updated to #2, added 2000 milliseconds of delay."));
    /* A better rank later never shortens the wait. */
    X->repl_offset = 0;
    Y->repl_offset = 0;
    fo_set_time_ms(100200);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(c->failover_auth_rank, 2);
    ck_assert_int_eq(c->failover_auth_time_ms, t0 + 2000);
    /* Still waiting one ms before the deadline; then the request goes out. */
    fo_set_time_ms(t0 + 1999);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert(!c->failover_auth_sent);
    fo_set_time_ms(t0 + 2000);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert(c->failover_auth_sent);
    fo_teardown();
}
END_TEST

START_TEST(test_election_epoch_quorum_and_promotion)
{
    three_masters_me_replica_of_a();
    RcCluster *c = fo->node->cluster;
    A->flags |= RC_NODE_FAIL;
    rc_failover_handle_replica_failover(fo->node);
    gint64 at = c->failover_auth_time_ms;
    fo_set_time_ms(at);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert(c->failover_auth_sent);
    ck_assert_uint_eq(c->current_epoch, 4);
    ck_assert_uint_eq(c->failover_auth_epoch, 4);
    guint8 mflags = 0xff;
    ck_assert_int_eq(fo_sent(RC_MSG_FAILOVER_AUTH_REQUEST, B, &mflags), 1);
    ck_assert_int_eq(mflags & 2, 0);                                        /* no FORCEACK */
    ck_assert_int_eq(fo_sent(RC_MSG_FAILOVER_AUTH_REQUEST, NULL, NULL), 5); /* all but me */
    ck_assert(fo_logged("Starting a failover election for epoch 4."));
    guint64 v = 0;
    ck_assert_int_eq(fo_events(RC_EVT_ELECTION_START, &v), 1);
    ck_assert_uint_eq(v, 4);
    /* size 3: quorum is 2. One vote is not enough. */
    rc_failover_handle_auth_ack(fo->node, B, 4);
    fo_set_time_ms(at + 10);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert(rc_node_is_replica(ME));
    rc_failover_handle_auth_ack(fo->node, C, 4);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert(rc_node_is_master(ME));
    ck_assert(fo_logged("Failover election won: I'm the new master."));
    ck_assert_uint_eq(ME->config_epoch, 4);
    ck_assert_int_eq(ME->numslots, 5461);
    ck_assert_int_eq(A->numslots, 0);
    ck_assert_ptr_eq(c->slots[0], ME);
    ck_assert_ptr_eq(c->slots[5460], ME);
    ck_assert_ptr_eq(c->slots[5461], B);
    ck_assert(!rc_repl_is_replica(fo->node)); /* replicationUnsetMaster */
    ck_assert_int_ge(fo_saves(), 1);
    ck_assert_int_ge(fo_fsync_saves(), 1); /* clusterFailoverReplaceYourMaster: fsync at once */
    ck_assert_int_eq(fo_sent(RC_MSG_PONG, B, NULL), 1);
    ck_assert_int_eq(fo_sent(RC_MSG_PONG, C, NULL), 1);
    ck_assert_int_eq(fo_sent(RC_MSG_PONG, A, NULL), 1); /* the old master too */
    ck_assert_int_eq(c->size, 3);
    ck_assert_int_eq(fo_events(RC_EVT_PROMOTED, &v), 1);
    ck_assert_uint_eq(v, 4);
    fo_teardown();
}
END_TEST

START_TEST(test_election_expires_then_retries)
{
    three_masters_me_replica_of_a();
    RcCluster *c = fo->node->cluster;
    A->flags |= RC_NODE_FAIL;
    rc_failover_handle_replica_failover(fo->node);
    gint64 at = c->failover_auth_time_ms;
    fo_set_time_ms(at);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_uint_eq(c->current_epoch, 4);
    /* auth timeout = max(2·NT, 2000) = 30 s: one vote arrives too late to matter. */
    fo_set_time_ms(at + 2 * NT + 1);
    rc_failover_handle_auth_ack(fo->node, B, 4);
    rc_failover_handle_auth_ack(fo->node, C, 4);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert(rc_node_is_replica(ME));
    /* Retry only after 2 × 30 s; then a new schedule with the counters reset. */
    fo_set_time_ms(at + 4 * NT);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(c->failover_auth_time_ms, at); /* not yet rescheduled */
    fo_set_time_ms(at + 4 * NT + 1);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_gt(c->failover_auth_time_ms, at + 4 * NT);
    ck_assert_int_eq(c->failover_auth_count, 0);
    ck_assert(!c->failover_auth_sent);
    fo_teardown();
}
END_TEST

START_TEST(test_auth_timeout_floor)
{
    three_masters_me_replica_of_a();
    fo->node->cfg.cluster_node_timeout_ms = 500;
    ck_assert_int_eq(rc_failover_auth_timeout_ms(fo->node), 2000);
    fo->node->cfg.cluster_node_timeout_ms = 1500;
    ck_assert_int_eq(rc_failover_auth_timeout_ms(fo->node), 3000);
    fo_teardown();
}
END_TEST

/* ---------------------------------------------------------------- data age (§8.2) */

START_TEST(test_data_age_whole_seconds)
{
    three_masters_me_replica_of_a();
    /* Link down since 100.999 s; at 116.000 s: 16 whole seconds (not 15.001) - NT = 1000. */
    fo_repl_link_down(100999);
    fo_set_time_ms(116000);
    ck_assert_int_eq(rc_failover_data_age_ms(fo->node), 1000);
    fo_teardown();
    /* Under NT nothing is subtracted. */
    three_masters_me_replica_of_a();
    fo_repl_link_down(100999);
    fo_set_time_ms(110500);
    ck_assert_int_eq(rc_failover_data_age_ms(fo->node), 10000);
    /* Link up: measured from the last interaction, also in whole seconds. */
    fo_repl_link_up(109999);
    ck_assert_int_eq(rc_failover_data_age_ms(fo->node), 1000);
    fo_teardown();
}
END_TEST

START_TEST(test_data_age_limit_and_never_synced)
{
    three_masters_me_replica_of_a();
    RcCluster *c = fo->node->cluster;
    A->flags |= RC_NODE_FAIL;
    A->fail_time_ms = 1;
    /* Limit: 10 s ping period + 10 × NT = 160 s after subtracting NT. */
    fo_repl_link_down(1000);
    fo_set_time_ms(1000 + 175000);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_ne(c->failover_auth_time_ms, 0); /* exactly at the limit: allowed */
    fo_teardown();

    three_masters_me_replica_of_a();
    c = fo->node->cluster;
    A->flags |= RC_NODE_FAIL;
    A->fail_time_ms = 1;
    fo_repl_link_down(1000);
    fo_set_time_ms(1000 + 176000);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(c->failover_auth_time_ms, 0);
    ck_assert(fo_logged("Currently unable to failover: Disconnected from master for longer"));
    ck_assert_int_eq(c->cant_failover_reason, RC_CANT_FAILOVER_DATA_AGE);
    /* Factor 0 removes the limit. */
    fo->node->cfg.cluster_replica_validity_factor = 0;
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_ne(c->failover_auth_time_ms, 0);
    fo_teardown();

    /* A replica that never synced can never fail over, even early in the run. */
    three_masters_me_replica_of_a();
    c = fo->node->cluster;
    A->flags |= RC_NODE_FAIL;
    fo_repl_link_down(0);
    fo_set_time_ms(120000);
    ck_assert_int_eq(rc_failover_data_age_ms(fo->node), G_MAXINT64);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(c->failover_auth_time_ms, 0);
    fo_teardown();
}
END_TEST

START_TEST(test_cant_failover_log_rate)
{
    three_masters_me_replica_of_a();
    RcCluster *c = fo->node->cluster;
    A->flags |= RC_NODE_FAIL;
    A->fail_time_ms = 100000;
    /* Within NT + 5 s of the FAIL nothing is logged. */
    fo_set_time_ms(110000);
    rc_failover_log_cant_failover(fo->node, RC_CANT_FAILOVER_WAITING_VOTES);
    ck_assert(!fo_logged("Currently unable to failover"));
    fo_set_time_ms(121000);
    rc_failover_log_cant_failover(fo->node, RC_CANT_FAILOVER_EXPIRED);
    ck_assert(fo_logged("Currently unable to failover: Failover attempt expired."));
    rc_outbox_clear(fo->out);
    rc_failover_log_cant_failover(fo->node, RC_CANT_FAILOVER_EXPIRED);
    ck_assert(!fo_logged("Currently unable")); /* same reason, < 5 minutes */
    fo_set_time_ms(121000 + 300000);
    rc_failover_log_cant_failover(fo->node, RC_CANT_FAILOVER_EXPIRED);
    ck_assert(fo_logged("Failover attempt expired."));
    ck_assert_int_eq(c->cant_failover_reason, RC_CANT_FAILOVER_EXPIRED);
    fo_teardown();
}
END_TEST

/* ---------------------------------------------------------------- epochs (§9) */

START_TEST(test_collision_smaller_name_bumps)
{
    fo_setup(3); /* myself is 'm' */
    RcCluster *c = fo->node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *z = fo_add_node('z', RC_NODE_MASTER);
    RcClusterNode *a = fo_add_node('a', RC_NODE_MASTER);
    me->config_epoch = z->config_epoch = a->config_epoch = 4;
    c->current_epoch = 6;
    rc_epoch_handle_collision(fo->node, a); /* a < m: a moves, not me */
    ck_assert_uint_eq(me->config_epoch, 4);
    rc_epoch_handle_collision(fo->node, z); /* m < z: I move to currentEpoch + 1 */
    ck_assert_uint_eq(me->config_epoch, 7);
    ck_assert_uint_eq(c->current_epoch, 7);
    ck_assert_int_eq(fo_saves(), 1);
    ck_assert_int_eq(fo_fsync_saves(), 1); /* clusterHandleConfigEpochCollision: fsync */
    ck_assert(fo_logged("configEpoch collision with node zzzz"));
    guint64 v;
    ck_assert_int_eq(fo_events(RC_EVT_CONFIG_EPOCH, &v), 1);
    ck_assert_uint_eq(v, 7);
    /* Different epochs, or a replica on either side: nothing. */
    rc_epoch_handle_collision(fo->node, z);
    ck_assert_uint_eq(me->config_epoch, 7);
    z->config_epoch = 7;
    z->flags = RC_NODE_SLAVE;
    rc_epoch_handle_collision(fo->node, z);
    ck_assert_uint_eq(me->config_epoch, 7);
    fo_teardown();
}
END_TEST

/* Five masters that all start at configEpoch 0 exchange pings in a fixed order until
 * nothing changes: they end with distinct epochs and the largest name never moves. */
START_TEST(test_collisions_end_distinct)
{
    enum { N = 5 };
    const char tags[N] = {'e', 'b', 'd', 'a', 'c'};
    guint64 cfg[N] = {0}, cur[N] = {0};
    for (int round = 0; round < 50; round++) {
        gboolean changed = FALSE;
        for (int i = 0; i < N; i++) {
            for (int s = 0; s < N; s++) {
                if (s == i)
                    continue;
                /* Node i receives a PONG from s: adopt its currentEpoch, then collide. */
                fo_setup(4);
                RcCluster *c = fo->node->cluster;
                memset(c->myself->name, tags[i], RC_CLUSTER_NAMELEN);
                c->myself->config_epoch = cfg[i];
                c->current_epoch = MAX(cur[i], cur[s]);
                RcClusterNode *sender = fo_add_node(tags[s], RC_NODE_MASTER);
                sender->config_epoch = cfg[s];
                rc_epoch_handle_collision(fo->node, sender);
                if (c->myself->config_epoch != cfg[i] || c->current_epoch != cur[i])
                    changed = TRUE;
                cfg[i] = c->myself->config_epoch;
                cur[i] = c->current_epoch;
                fo_teardown();
            }
        }
        if (!changed)
            break;
    }
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            ck_assert_uint_ne(cfg[i], cfg[j]);
    ck_assert_uint_eq(cfg[0], 0); /* 'e', the largest name, never moved */
}
END_TEST

START_TEST(test_bump_without_consensus)
{
    fo_setup(5);
    RcCluster *c = fo->node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *b = fo_add_node('b', RC_NODE_MASTER);
    /* Epoch 0 always bumps. */
    ck_assert(rc_epoch_bump_without_consensus(fo->node));
    ck_assert_uint_eq(me->config_epoch, 1);
    ck_assert_uint_eq(c->current_epoch, 1);
    ck_assert(fo_logged("New configEpoch set to 1"));
    /* Already the maximum: STILL. */
    ck_assert(!rc_epoch_bump_without_consensus(fo->node));
    /* Someone else holds a larger epoch (or currentEpoch is larger): bump past it. */
    b->config_epoch = 5;
    c->current_epoch = 5;
    ck_assert(rc_epoch_bump_without_consensus(fo->node));
    ck_assert_uint_eq(me->config_epoch, 6);
    c->current_epoch = 9;
    ck_assert(rc_epoch_bump_without_consensus(fo->node));
    ck_assert_uint_eq(me->config_epoch, 10);
    /* The BUMPEPOCH reply. */
    g_autoptr(RcArgv) args = rc_argv_new_from_strv((const char *[]){"CLUSTER", "BUMPEPOCH", NULL});
    GString *reply = g_string_new("");
    RcCommandCall call = {.node = fo->node, .args = args, .reply = reply};
    rc_epoch_bumpepoch_command(&call);
    ck_assert_str_eq(reply->str, "+STILL 10\r\n");
    c->current_epoch = 11;
    g_string_truncate(reply, 0);
    rc_epoch_bumpepoch_command(&call);
    ck_assert_str_eq(reply->str, "+BUMPED 12\r\n");
    g_string_free(reply, TRUE);
    fo_teardown();
}
END_TEST

typedef struct {
    const char *arg;
    gboolean knows_other;
    guint64 my_epoch;
    const char *reply;
} SetEpochCase;

START_TEST(test_set_config_epoch_table)
{
    static const SetEpochCase cases[] = {
        {"5", FALSE, 0, "+OK\r\n"},
        {"0", FALSE, 0, "+OK\r\n"},
        {"-1", FALSE, 0, "-ERR Invalid config epoch specified: -1\r\n"},
        {"abc", FALSE, 0, "-ERR value is not an integer or out of range\r\n"},
        {"", FALSE, 0, "-ERR value is not an integer or out of range\r\n"},
        {"007", FALSE, 0, "-ERR value is not an integer or out of range\r\n"},
        {"99999999999999999999", FALSE, 0, "-ERR value is not an integer or out of range\r\n"},
        {"5", TRUE, 0,
         "-ERR The user can assign a config epoch only when the node does not know any other "
         "node.\r\n"},
        {"5", FALSE, 3, "-ERR Node config epoch is already non-zero\r\n"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        fo_setup(6);
        RcCluster *c = fo->node->cluster;
        if (cases[i].knows_other)
            fo_add_node('b', RC_NODE_MASTER);
        c->myself->config_epoch = cases[i].my_epoch;
        g_autoptr(RcArgv) args = rc_argv_new_from_strv(
            (const char *[]){"CLUSTER", "SET-CONFIG-EPOCH", cases[i].arg, NULL});
        GString *reply = g_string_new("");
        RcCommandCall call = {.node = fo->node, .args = args, .reply = reply};
        rc_epoch_set_config_epoch_command(&call);
        ck_assert_msg(!strcmp(reply->str, cases[i].reply), "case %zu (%s): %s", i, cases[i].arg,
                      reply->str);
        if (i == 0) {
            ck_assert_uint_eq(c->myself->config_epoch, 5);
            ck_assert_uint_eq(c->current_epoch, 5);
        }
        g_string_free(reply, TRUE);
        fo_teardown();
    }
}
END_TEST

/* ---------------------------------------------------------------- manual failover (§13.1) */

static GString *run_failover_cmd(const char *opt)
{
    const char *argv[] = {"CLUSTER", "FAILOVER", opt, NULL};
    g_autoptr(RcArgv) args = rc_argv_new_from_strv(argv);
    GString *reply = g_string_new("");
    RcCommandCall call = {.node = fo->node, .args = args, .reply = reply};
    rc_mf_failover_command(&call);
    return reply;
}

typedef struct {
    const char *opt;
    int setup; /* 0 replica of healthy a, 1 I am master, 2 master unknown, 3 a FAIL, 4 no link */
    const char *reply;
} MfCmdCase;

START_TEST(test_failover_command_errors_table)
{
    static const MfCmdCase cases[] = {
        {NULL, 0, "+OK\r\n"},
        {"force", 0, "+OK\r\n"},
        {"TAKEOVER", 0, "+OK\r\n"},
        {"nonsense", 0, "-ERR syntax error\r\n"},
        {NULL, 1, "-ERR You should send CLUSTER FAILOVER to a replica\r\n"},
        {"force", 1, "-ERR You should send CLUSTER FAILOVER to a replica\r\n"},
        {NULL, 2, "-ERR I'm a replica but my master is unknown to me\r\n"},
        {NULL, 3, "-ERR Master is down or failed, please use CLUSTER FAILOVER FORCE\r\n"},
        {NULL, 4, "-ERR Master is down or failed, please use CLUSTER FAILOVER FORCE\r\n"},
        {"force", 3, "+OK\r\n"},
        {"force", 4, "+OK\r\n"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        three_masters_me_replica_of_a();
        switch (cases[i].setup) {
        case 1:
            rc_cluster_set_node_as_master(fo->node, ME);
            break;
        case 2:
            g_ptr_array_remove(A->replicas, ME);
            ME->replica_of = NULL;
            break;
        case 3:
            A->flags |= RC_NODE_FAIL;
            break;
        case 4:
            fo_drop_link(A);
            break;
        }
        GString *reply = run_failover_cmd(cases[i].opt);
        ck_assert_msg(!strcmp(reply->str, cases[i].reply), "case %zu: %s", i, reply->str);
        g_string_free(reply, TRUE);
        fo_teardown();
    }
}
END_TEST

START_TEST(test_manual_failover_state_machine)
{
    /* Replica side. */
    three_masters_me_replica_of_a();
    RcCluster *c = fo->node->cluster;
    fo_repl_link_up(100000);
    fo_repl_offset(700);
    GString *reply = run_failover_cmd(NULL);
    ck_assert_str_eq(reply->str, "+OK\r\n");
    g_string_free(reply, TRUE);
    ck_assert_int_eq(fo_sent(RC_MSG_MFSTART, A, NULL), 1);
    ck_assert_int_eq(c->mf_end_ms, 100000 + 5000);
    ck_assert(fo_logged("Manual failover user request accepted."));
    /* Packets from others, or unflagged, change nothing; the first PAUSED one from a does. */
    rc_mf_master_paused_offset(fo->node, B, 999);
    ck_assert_int_eq(c->mf_master_offset, -1);
    rc_mf_master_paused_offset(fo->node, A, 800);
    ck_assert_int_eq(c->mf_master_offset, 800);
    rc_mf_master_paused_offset(fo->node, A, 900);
    ck_assert_int_eq(c->mf_master_offset, 800);
    ck_assert(c->todo_before_sleep & RC_CLUSTER_TODO_HANDLE_MANUALFAILOVER);
    /* Not caught up yet: keep waiting (and ask to be called again). */
    c->todo_before_sleep = 0;
    rc_mf_handle_in_before_sleep(fo->node);
    ck_assert(!c->mf_can_start);
    ck_assert(c->todo_before_sleep & RC_CLUSTER_TODO_HANDLE_MANUALFAILOVER);
    rc_failover_handle_replica_failover(fo->node); /* master not FAIL, not manual yet */
    ck_assert_int_eq(c->failover_auth_time_ms, 0);
    fo_repl_offset(800);
    fo_set_time_ms(100050);
    rc_mf_handle_in_before_sleep(fo->node);
    ck_assert(c->mf_can_start);
    ck_assert(fo_logged("All master replication stream processed, manual failover can start."));
    /* The election starts at once, FORCEACK, with no data-age check and no delay. */
    fo_repl_link_down(0);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(c->failover_auth_time_ms, 100050);
    ck_assert_int_eq(c->failover_auth_rank, 0);
    rc_failover_handle_replica_failover(fo->node);
    guint8 mflags = 0;
    ck_assert_int_eq(fo_sent(RC_MSG_FAILOVER_AUTH_REQUEST, B, &mflags), 1);
    ck_assert_int_eq(mflags & 2, 2); /* FORCEACK: vote although my master is up */
    ck_assert_uint_eq(c->failover_auth_epoch, 4);
    rc_failover_handle_auth_ack(fo->node, B, 4);
    rc_failover_handle_auth_ack(fo->node, C, 4);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert(rc_node_is_master(ME));
    ck_assert_int_eq(c->mf_end_ms, 0); /* reset after promotion */
    ck_assert_int_eq(c->mf_master_offset, -1);
    fo_teardown();
}
END_TEST

START_TEST(test_manual_failover_master_side_and_timeout)
{
    /* The master's side: myself 'm' is a master with replica x. */
    fo_setup(7);
    RcCluster *c = fo->node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *x = fo_add_node('x', RC_NODE_SLAVE);
    RcClusterNode *other = fo_add_node('o', RC_NODE_SLAVE);
    RcClusterNode *b = fo_add_node('b', RC_NODE_MASTER);
    fo_make_replica(x, me);
    fo_make_replica(other, b);
    fo_set_time_ms(50000);
    rc_mf_handle_mfstart(fo->node, other, other->link); /* not my replica: ignored */
    ck_assert_int_eq(c->mf_end_ms, 0);
    rc_mf_handle_mfstart(fo->node, x, x->link);
    ck_assert_int_eq(c->mf_end_ms, 55000);
    ck_assert_ptr_eq(c->mf_slave, x);
    ck_assert(rc_clients_are_writes_paused(fo->node));
    ck_assert_int_eq(fo->node->clients_pause_end_ms, 60000); /* 2 × 5000 */
    guint8 mflags = 0;
    ck_assert_int_eq(fo_sent(RC_MSG_PING, x, &mflags), 1);
    ck_assert_int_eq(mflags & 1, 1); /* PAUSED */
    ck_assert(fo_logged("Manual failover requested by replica xxxx"));
    /* Times out after 5 s: the reset unpauses writes well before the 10 s pause ends. */
    fo_set_time_ms(55000);
    rc_mf_cron(fo->node);
    ck_assert_int_eq(c->mf_end_ms, 55000);
    fo_set_time_ms(55001);
    rc_mf_cron(fo->node);
    ck_assert_int_eq(c->mf_end_ms, 0);
    ck_assert(fo_logged("Manual failover timed out."));
    ck_assert(!rc_clients_are_writes_paused(fo->node));
    fo_teardown();
}
END_TEST

START_TEST(test_manual_failover_force_and_takeover)
{
    three_masters_me_replica_of_a();
    RcCluster *c = fo->node->cluster;
    A->flags |= RC_NODE_FAIL;
    g_string_free(run_failover_cmd("FORCE"), TRUE);
    ck_assert(c->mf_can_start);
    ck_assert_int_eq(fo_sent(RC_MSG_MFSTART, NULL, NULL), 0);
    /* FORCE still needs the votes. */
    rc_failover_handle_replica_failover(fo->node);
    rc_failover_handle_replica_failover(fo->node);
    guint8 mflags = 0;
    ck_assert_int_eq(fo_sent(RC_MSG_FAILOVER_AUTH_REQUEST, B, &mflags), 1);
    ck_assert_int_eq(mflags & 2, 2);
    ck_assert(rc_node_is_replica(ME));
    fo_teardown();

    /* TAKEOVER: new epoch without consensus, promoted at once, no vote asked. */
    three_masters_me_replica_of_a();
    c = fo->node->cluster;
    g_string_free(run_failover_cmd("takeover"), TRUE);
    ck_assert(rc_node_is_master(ME));
    ck_assert_int_eq(fo_sent(RC_MSG_FAILOVER_AUTH_REQUEST, NULL, NULL), 0);
    ck_assert_int_eq(fo_sent(RC_MSG_PONG, B, NULL), 1);
    ck_assert_uint_eq(ME->config_epoch, 4);
    ck_assert_uint_eq(c->current_epoch, 4);
    ck_assert_ptr_eq(c->slots[100], ME);
    ck_assert_int_eq(c->mf_end_ms, 0);
    guint64 v;
    ck_assert_int_eq(fo_events(RC_EVT_MANUAL_FAILOVER, &v), 1);
    ck_assert_uint_eq(v, 2);
    fo_teardown();
}
END_TEST

START_TEST(test_manual_failover_overrides_no_failover)
{
    three_masters_me_replica_of_a();
    RcCluster *c = fo->node->cluster;
    fo->node->cfg.cluster_replica_no_failover = TRUE;
    A->flags |= RC_NODE_FAIL;
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_eq(c->failover_auth_time_ms, 0);
    g_string_free(run_failover_cmd("force"), TRUE);
    rc_failover_handle_replica_failover(fo->node);
    ck_assert_int_ne(c->failover_auth_time_ms, 0);
    fo_teardown();
}
END_TEST

START_TEST(test_no_failover_flag_on_myself)
{
    for (int on = 0; on <= 1; on++) {
        RcNodeConfig cfg;
        rc_node_config_init(&cfg, "127.0.0.1", 7100);
        cfg.cluster_replica_no_failover = on;
        g_autoptr(RcOutbox) out = rc_outbox_new();
        GRand *rng = g_rand_new_with_seed(3);
        RcNode *node = rc_node_new(&cfg, rng, 0, NULL, out);
        ck_assert_int_eq(rc_node_cant_failover(node->cluster->myself) ? 1 : 0, on);
        rc_node_free(node);
        g_rand_free(rng);
    }
}
END_TEST

/* ---------------------------------------------------------------- replica migration (§8.6) */

/* Masters a (replicas m, x, y), b (replica p), c orphaned (had replicas, none working). */
static RcClusterNode *MP;

static void migration_setup(void)
{
    three_masters_me_replica_of_a();
    MP = fo_add_node('p', RC_NODE_SLAVE);
    fo_make_replica(MP, B);
    C->flags |= RC_NODE_MIGRATE_TO; /* used to have replicas */
    rc_outbox_clear(fo->out);
}

START_TEST(test_replica_migration_candidate_and_delay)
{
    /* 'm' is not the smallest name among a's replicas? a's replicas are m, x, y: m is. */
    migration_setup();
    RcCluster *c = fo->node->cluster;
    rc_replica_migration_cron(fo->node, 1, 3, 3);
    ck_assert_int_eq(C->orphaned_time_ms, 100000);
    ck_assert_ptr_eq(ME->replica_of, A);
    fo_set_time_ms(105000);
    rc_replica_migration_cron(fo->node, 1, 3, 3);
    ck_assert_ptr_eq(ME->replica_of, A); /* 5000 ms exactly: not yet */
    fo_set_time_ms(105001);
    rc_replica_migration_cron(fo->node, 1, 3, 3);
    ck_assert_int_eq(fo_events(RC_EVT_REPLICA_OF, NULL), 1);
    ck_assert_ptr_eq(ME->replica_of, C);
    ck_assert(fo_logged("Migrating to orphaned master cccc"));
    (void)c;
    fo_teardown();

    /* A smaller-named sibling exists: it moves, I stay. */
    migration_setup();
    RcClusterNode *small = fo_add_node('0', RC_NODE_SLAVE);
    fo_make_replica(small, A);
    rc_replica_migration_cron(fo->node, 1, 4, 4);
    fo_set_time_ms(200000);
    rc_replica_migration_cron(fo->node, 1, 4, 4);
    ck_assert_ptr_eq(ME->replica_of, A);
    fo_teardown();
}
END_TEST

START_TEST(test_replica_migration_guards)
{
    /* The barrier: a keeps 3 ok replicas; barrier 3 forbids (needs > barrier). */
    migration_setup();
    fo->node->cfg.cluster_migration_barrier = 3;
    rc_replica_migration_cron(fo->node, 1, 3, 3);
    fo_set_time_ms(200000);
    rc_replica_migration_cron(fo->node, 1, 3, 3);
    ck_assert_ptr_eq(ME->replica_of, A);
    fo_teardown();

    /* PFAIL siblings do not count towards the barrier. */
    migration_setup();
    fo->node->cfg.cluster_migration_barrier = 2;
    X->flags |= RC_NODE_PFAIL;
    rc_replica_migration_cron(fo->node, 1, 3, 3);
    fo_set_time_ms(200000);
    rc_replica_migration_cron(fo->node, 1, 3, 3);
    ck_assert_ptr_eq(ME->replica_of, A);
    fo_teardown();

    /* Disallowed by config, cluster down, or not among the masters with the most. */
    for (int k = 0; k < 3; k++) {
        migration_setup();
        int this_replicas = 3;
        if (k == 0)
            fo->node->cfg.cluster_allow_replica_migration = FALSE;
        if (k == 1)
            fo->node->cluster->state = RC_CLUSTER_FAIL;
        if (k == 2)
            this_replicas = 2;
        rc_replica_migration_cron(fo->node, 1, 3, this_replicas);
        fo_set_time_ms(200000);
        rc_replica_migration_cron(fo->node, 1, 3, this_replicas);
        ck_assert_msg(ME->replica_of == A, "guard %d", k);
        fo_teardown();
    }

    /* A master never orphaned before (no MIGRATE_TO) is no target. */
    migration_setup();
    C->flags &= (guint16)~RC_NODE_MIGRATE_TO;
    rc_replica_migration_cron(fo->node, 1, 3, 3);
    fo_set_time_ms(200000);
    rc_replica_migration_cron(fo->node, 1, 3, 3);
    ck_assert_ptr_eq(ME->replica_of, A);
    ck_assert_int_eq(C->orphaned_time_ms, 0);
    fo_teardown();
}
END_TEST

/* ---------------------------------------------------------------- UPDATE (§9.2) */

static void slots_bitmap(guint8 *bm, int first, int last)
{
    memset(bm, 0, RC_CLUSTER_SLOTS / 8);
    for (int j = first; j <= last; j++)
        rc_bitmap_set(bm, j);
}

/* An old master learns (by UPDATE or a PONG) that a replica won its slots with a larger
 * configEpoch: it gives them up and becomes that node's replica. Stale or equal claims
 * change nothing. */
START_TEST(test_update_demotes_old_master)
{
    fo_setup(8);
    RcCluster *c = fo->node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *b = fo_add_node('b', RC_NODE_MASTER);
    RcClusterNode *x = fo_add_node('x', RC_NODE_SLAVE);
    fo_make_replica(x, me);
    fo_assign_slots(me, 0, 8191);
    fo_assign_slots(b, 8192, 16383);
    me->config_epoch = 3;
    b->config_epoch = 2;
    c->current_epoch = 4;
    guint8 bm[RC_CLUSTER_SLOTS / 8];
    slots_bitmap(bm, 0, 8191);
    /* x claims my slots at epoch 3 (equal) and 2 (older): refused. */
    rc_cluster_set_node_as_master(fo->node, x);
    rc_cluster_update_slots_config_with(fo->node, x, 3, bm);
    rc_cluster_update_slots_config_with(fo->node, x, 2, bm);
    ck_assert_ptr_eq(c->slots[0], me);
    ck_assert(rc_node_is_master(me));
    /* At epoch 4 it wins every slot and I follow it. */
    rc_cluster_update_slots_config_with(fo->node, x, 4, bm);
    ck_assert_ptr_eq(c->slots[0], x);
    ck_assert_ptr_eq(c->slots[8191], x);
    ck_assert_ptr_eq(c->slots[8192], b);
    ck_assert_int_eq(me->numslots, 0);
    ck_assert(rc_node_is_replica(me));
    ck_assert_ptr_eq(me->replica_of, x);
    ck_assert(fo_logged("Configuration change detected. Reconfiguring myself as a replica of "
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    ck_assert_int_eq(fo_events(RC_EVT_DEMOTED, NULL), 1);
    fo_teardown();
}
END_TEST

START_TEST(test_update_repoints_sibling_and_keeps_partial_owner)
{
    /* I replicate a; my sibling x won a's slots: I now replicate x. */
    three_masters_me_replica_of_a();
    guint8 bm[RC_CLUSTER_SLOTS / 8];
    slots_bitmap(bm, 0, 5460);
    rc_cluster_set_node_as_master(fo->node, X);
    rc_cluster_update_slots_config_with(fo->node, X, 4, bm);
    ck_assert_ptr_eq(ME->replica_of, X);
    ck_assert_int_eq(A->numslots, 0);
    fo_teardown();

    /* A master that loses only part of its slots stays a master (resharding). */
    fo_setup(9);
    RcCluster *c = fo->node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *b = fo_add_node('b', RC_NODE_MASTER);
    fo_assign_slots(me, 0, 8191);
    fo_assign_slots(b, 8192, 16383);
    me->config_epoch = 1;
    slots_bitmap(bm, 8192, 16383);
    rc_bitmap_set(bm, 100);
    rc_cluster_update_slots_config_with(fo->node, b, 2, bm);
    ck_assert_ptr_eq(c->slots[100], b);
    ck_assert(rc_node_is_master(me));
    ck_assert_int_eq(me->numslots, 8191);
    fo_teardown();
}
END_TEST

/* ---------------------------------------------------------------- UPDATE on the wire */

/* A header as a peer `from` sends it: its name, address, flags, epochs and claimed slots. */
static void header_from(RcBusMsg *m, int type, const RcClusterNode *from, guint16 flags,
                        guint64 current_epoch, guint64 config_epoch, const guint8 *slots)
{
    rc_bus_msg_init(m, (guint16)type);
    memcpy(m->sender, from->name, RC_CLUSTER_NAMELEN);
    if (slots)
        memcpy(m->myslots, slots, RC_BUS_SLOTS_LEN);
    m->port = from->port;
    m->cport = from->cport;
    m->pport = from->pport;
    m->flags = flags;
    m->current_epoch = current_epoch;
    m->config_epoch = config_epoch;
}

static int updates_sent(void)
{
    return fo_sent(RC_MSG_UPDATE, NULL, NULL);
}

/* A stale master (a, configEpoch 1) still claims 0-8191, which x won at epoch 4. Whether its
 * PING arrives on a new inbound connection or its PONG on my outbound link, I answer with
 * one UPDATE on my link to a (clusterSendUpdate to sender->link) about the owner I know:
 * x's name, x's configEpoch 4 and x's slot bitmap, in a header of mine. A claim at an epoch
 * not older than the owner's, or no claim at all, gets no UPDATE. */
START_TEST(test_stale_claim_is_answered_with_update)
{
    fo_setup(10);
    RcCluster *c = fo->node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *a = fo_add_node('a', RC_NODE_MASTER);
    RcClusterNode *x = fo_add_node('x', RC_NODE_MASTER);
    fo_assign_slots(x, 0, 8191);
    fo_assign_slots(me, 8192, 16383);
    x->config_epoch = 4;
    me->config_epoch = 2;
    a->config_epoch = 1;
    c->current_epoch = 4;
    fo_set_time_ms(50000);
    guint8 old_claim[RC_BUS_SLOTS_LEN];
    slots_bitmap(old_claim, 0, 8191);

    for (int via_pong = 0; via_pong < 2; via_pong++) {
        rc_outbox_clear(fo->out);
        RcBusMsg m;
        header_from(&m, via_pong ? RC_MSG_PONG : RC_MSG_PING, a, RC_NODE_MASTER, 3, 1, old_claim);
        fo_feed(via_pong ? a->link->handle : 0, &m);
        rc_bus_msg_clear(&m);
        ck_assert_int_eq(updates_sent(), 1);
        ck_assert_int_eq(fo_sent(RC_MSG_UPDATE, a, NULL), 1); /* on my link to a */
        if (!via_pong)
            ck_assert_int_eq(fo_sent(RC_MSG_PONG, NULL, NULL), 1); /* the PING's reply */
        RcBusMsg u;
        ck_assert(fo_last_sent(RC_MSG_UPDATE, a->link->handle, &u));
        ck_assert_uint_eq(u.type, RC_MSG_UPDATE);
        ck_assert_uint_eq(u.totlen, RC_BUS_HDR_LEN + RC_BUS_UPDATE_LEN);
        ck_assert(memcmp(u.sender, me->name, RC_CLUSTER_NAMELEN) == 0);
        ck_assert(memcmp(u.update_name, x->name, RC_CLUSTER_NAMELEN) == 0);
        ck_assert_uint_eq(u.update_config_epoch, 4);
        ck_assert(memcmp(u.update_slots, old_claim, RC_BUS_SLOTS_LEN) == 0);
        ck_assert_uint_eq(u.config_epoch, 2); /* my header: my own epoch and slots */
        ck_assert_uint_eq(u.current_epoch, 4);
        ck_assert_int_eq(rc_bitmap_test(u.myslots, 8192), 1);
        ck_assert_int_eq(rc_bitmap_test(u.myslots, 0), 0);
        rc_bus_msg_clear(&u);
        /* my view is unchanged: a gets nothing back */
        ck_assert_ptr_eq(c->slots[0], x);
        ck_assert_ptr_eq(c->slots[8191], x);
        ck_assert_int_eq(a->numslots, 0);
        ck_assert_int_eq(x->numslots, 8192);
    }

    /* Not older than the owner (epoch 4 == x's), or nothing claimed: no UPDATE. */
    static const struct {
        guint64 epoch;
        gboolean claims;
    } quiet[] = {{4, TRUE}, {1, FALSE}};
    for (gsize i = 0; i < G_N_ELEMENTS(quiet); i++) {
        rc_outbox_clear(fo->out);
        RcBusMsg m;
        header_from(&m, RC_MSG_PING, a, RC_NODE_MASTER, 4, quiet[i].epoch,
                    quiet[i].claims ? old_claim : NULL);
        fo_feed(0, &m);
        rc_bus_msg_clear(&m);
        ck_assert_msg(updates_sent() == 0, "case %zu", i);
        ck_assert_ptr_eq(c->slots[0], x);
    }
    fo_teardown();
}
END_TEST

/* An UPDATE frame, fed through the node's entry points, about x (my replica) at configEpoch 5
 * with all of my slots: x becomes a master with epoch 5 and owns them, I lost every slot and
 * become x's replica (clusterUpdateSlotsConfigWith). Ignored first: an UPDATE from a node I
 * do not know, and one whose epoch is not newer than what I know of the node. */
START_TEST(test_update_frame_demotes_and_reassigns)
{
    fo_setup(11);
    RcCluster *c = fo->node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *b = fo_add_node('b', RC_NODE_MASTER);
    RcClusterNode *x = fo_add_node('x', RC_NODE_SLAVE);
    fo_make_replica(x, me);
    fo_assign_slots(me, 0, 8191);
    fo_assign_slots(b, 8192, 16383);
    me->config_epoch = 3;
    b->config_epoch = 2;
    x->config_epoch = 0;
    c->current_epoch = 5;
    fo_set_time_ms(60000);
    guint8 mine[RC_BUS_SLOTS_LEN], bs[RC_BUS_SLOTS_LEN];
    slots_bitmap(mine, 0, 8191);
    slots_bitmap(bs, 8192, 16383);

    /* from an unknown sender: ignored */
    char zname[RC_CLUSTER_NAMELEN];
    memset(zname, 'z', sizeof zname);
    RcBusMsg m;
    header_from(&m, RC_MSG_UPDATE, b, RC_NODE_MASTER, 5, 2, bs);
    memcpy(m.sender, zname, RC_CLUSTER_NAMELEN);
    memcpy(m.update_name, x->name, RC_CLUSTER_NAMELEN);
    m.update_config_epoch = 5;
    memcpy(m.update_slots, mine, RC_BUS_SLOTS_LEN);
    fo_feed(0, &m);
    rc_bus_msg_clear(&m);
    ck_assert_ptr_eq(c->slots[0], me);
    ck_assert(rc_node_is_replica(x));

    /* about b at b's own epoch: nothing new */
    header_from(&m, RC_MSG_UPDATE, b, RC_NODE_MASTER, 5, 2, bs);
    memcpy(m.update_name, b->name, RC_CLUSTER_NAMELEN);
    m.update_config_epoch = 2;
    memcpy(m.update_slots, mine, RC_BUS_SLOTS_LEN);
    fo_feed(0, &m);
    rc_bus_msg_clear(&m);
    ck_assert_ptr_eq(c->slots[0], me);
    ck_assert_int_eq(me->numslots, 8192);

    /* the real one, from b about x */
    rc_outbox_clear(fo->out);
    header_from(&m, RC_MSG_UPDATE, b, RC_NODE_MASTER, 5, 2, bs);
    memcpy(m.update_name, x->name, RC_CLUSTER_NAMELEN);
    m.update_config_epoch = 5;
    memcpy(m.update_slots, mine, RC_BUS_SLOTS_LEN);
    fo_feed(0, &m);
    rc_bus_msg_clear(&m);
    ck_assert(rc_node_is_master(x));
    ck_assert_uint_eq(x->config_epoch, 5);
    for (int j = 0; j < 8192; j++)
        ck_assert_ptr_eq(c->slots[j], x);
    ck_assert_ptr_eq(c->slots[8192], b);
    ck_assert_int_eq(x->numslots, 8192);
    ck_assert_int_eq(me->numslots, 0);
    ck_assert(rc_node_is_replica(me));
    ck_assert_ptr_eq(me->replica_of, x);
    ck_assert(fo_logged("Configuration change detected. Reconfiguring myself as a replica of "
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    ck_assert_int_eq(fo_events(RC_EVT_DEMOTED, NULL), 1);
    ck_assert_int_ge(fo_saves(), 1);       /* the new configuration is saved before sleeping */
    ck_assert_int_ge(fo_fsync_saves(), 1); /* with fsync (CLUSTER_TODO_FSYNC_CONFIG) */
    fo_teardown();
}
END_TEST

/* An UPDATE that takes only one of my slots (resharding): I keep the rest, stay a master,
 * and the keys of the lost slot are deleted (delKeysInSlot); other slots keep theirs. */
START_TEST(test_update_frame_partial_loss_deletes_keys)
{
    fo_setup(12);
    RcCluster *c = fo->node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *b = fo_add_node('b', RC_NODE_MASTER);
    fo_assign_slots(me, 0, 8191);
    fo_assign_slots(b, 8192, 16383);
    me->config_epoch = 1;
    b->config_epoch = 2;
    c->current_epoch = 2;
    fo_set_time_ms(70000);
    fo_add_keys_in_slot(100, 3);
    fo_add_keys_in_slot(101, 2);
    guint8 claim[RC_BUS_SLOTS_LEN];
    slots_bitmap(claim, 8192, 16383);
    rc_bitmap_set(claim, 100);
    RcBusMsg m;
    header_from(&m, RC_MSG_UPDATE, b, RC_NODE_MASTER, 3, 2, claim);
    memcpy(m.update_name, b->name, RC_CLUSTER_NAMELEN);
    m.update_config_epoch = 3;
    memcpy(m.update_slots, claim, RC_BUS_SLOTS_LEN);
    fo_feed(0, &m);
    rc_bus_msg_clear(&m);
    ck_assert_uint_eq(b->config_epoch, 3);
    ck_assert_ptr_eq(c->slots[100], b);
    ck_assert_ptr_eq(c->slots[101], me);
    ck_assert(rc_node_is_master(me));
    ck_assert_int_eq(me->numslots, 8191);
    ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(fo->node->db, 100), 0);
    ck_assert_uint_eq(rc_keyspace_count_keys_in_slot(fo->node->db, 101), 2);
    ck_assert_int_eq(fo_events(RC_EVT_DEMOTED, NULL), 0);
    fo_teardown();
}
END_TEST

Suite *failover_suite(void);
Suite *failover_suite(void)
{
    Suite *s = suite_create("failover");
    TCase *tc = tcase_create("vote");
    tcase_add_test(tc, test_vote_rules_table);
    tcase_add_test(tc, test_vote_granted_is_spent_even_without_link);
    tcase_add_test(tc, test_vote_refusal_logs);
    tcase_add_test(tc, test_auth_ack_counting);
    suite_add_tcase(s, tc);
    tc = tcase_create("election");
    tcase_add_test(tc, test_no_election_while_master_ok);
    tcase_add_test(tc, test_rank_delay_window);
    tcase_add_test(tc, test_rerank_while_waiting_adds_delay);
    tcase_add_test(tc, test_election_epoch_quorum_and_promotion);
    tcase_add_test(tc, test_election_expires_then_retries);
    tcase_add_test(tc, test_auth_timeout_floor);
    tcase_add_test(tc, test_data_age_whole_seconds);
    tcase_add_test(tc, test_data_age_limit_and_never_synced);
    tcase_add_test(tc, test_cant_failover_log_rate);
    suite_add_tcase(s, tc);
    tc = tcase_create("epoch");
    tcase_add_test(tc, test_collision_smaller_name_bumps);
    tcase_add_test(tc, test_collisions_end_distinct);
    tcase_add_test(tc, test_bump_without_consensus);
    tcase_add_test(tc, test_set_config_epoch_table);
    tcase_add_test(tc, test_update_demotes_old_master);
    tcase_add_test(tc, test_update_repoints_sibling_and_keeps_partial_owner);
    tcase_add_test(tc, test_stale_claim_is_answered_with_update);
    tcase_add_test(tc, test_update_frame_demotes_and_reassigns);
    tcase_add_test(tc, test_update_frame_partial_loss_deletes_keys);
    suite_add_tcase(s, tc);
    tc = tcase_create("manual");
    tcase_add_test(tc, test_failover_command_errors_table);
    tcase_add_test(tc, test_manual_failover_state_machine);
    tcase_add_test(tc, test_manual_failover_master_side_and_timeout);
    tcase_add_test(tc, test_manual_failover_force_and_takeover);
    tcase_add_test(tc, test_manual_failover_overrides_no_failover);
    tcase_add_test(tc, test_no_failover_flag_on_myself);
    suite_add_tcase(s, tc);
    tc = tcase_create("migration");
    tcase_add_test(tc, test_replica_migration_candidate_and_delay);
    tcase_add_test(tc, test_replica_migration_guards);
    suite_add_tcase(s, tc);
    return s;
}
