/* Replication between RcNodes wired directly (tests/repl_harness.c), on virtual time set by
 * hand: full and partial resync, a demoted master losing or keeping its writes, WAIT,
 * min-replicas-to-write, repl-timeout both ways, ACK cadence, offsets and the backlog. */
#include <check.h>
#include <string.h>

#include "core/cluster_types.h"
#include "core/keyspace.h"
#include "core/replication_private.h"
#include "tests/repl_harness.h"

#define M 0
#define R 1

static const char ack_needle[] = "REPLCONF\r\n$3\r\nACK\r\n";

/* Give node i every slot in its own view, when it has cluster state at all. */
static void own_all_slots(Harness *h, int i)
{
    RcCluster *cl = h->nodes[i]->cluster;
    if (cl == NULL)
        return;
    for (int s = 0; s < RC_CLUSTER_SLOTS; s++) {
        if (cl->slots[s] != NULL && cl->slots[s] != cl->myself) {
            RcClusterNode *o = cl->slots[s];
            o->numslots--;
            o->slots_version = ++cl->slot_stamp;
        }
        if (cl->slots[s] != cl->myself) {
            cl->myself->numslots++;
            cl->myself->slots_version = ++cl->slot_stamp;
        }
        cl->slots[s] = cl->myself;
    }
    /* The cached runs are stale after a hand edit of the table. */
    g_clear_pointer(&cl->slot_runs, g_array_unref);
    g_clear_pointer(&cl->slot_runs_next, g_array_unref);
    cl->state = RC_CLUSTER_OK;
}

static char *value_of(Harness *h, int i, const char *key)
{
    const RcKey *k = rc_keyspace_find(h->nodes[i]->db, key, strlen(key));
    if (k == NULL)
        return NULL;
    ck_assert_int_eq(k->val->type, RC_TYPE_STRING);
    return g_strndup(k->val->v.str->str, k->val->v.str->len);
}

static void assert_value(Harness *h, int i, const char *key, const char *want)
{
    g_autofree char *v = value_of(h, i, key);
    if (want == NULL)
        ck_assert_msg(v == NULL, "node %d key %s: want missing, have %s", i, key, v);
    else
        ck_assert_msg(v != NULL && strcmp(v, want) == 0, "node %d key %s: want %s, have %s", i, key,
                      want, v ? v : "(missing)");
}

static void assert_reply(Harness *h, HLink *c, const char *cmd, const char *want)
{
    g_autofree char *got = h_cmd(h, c, cmd);
    ck_assert_msg(strcmp(got, want) == 0, "%s: want %s, got %s", cmd, want, got);
}

static void replicate(Harness *h, int replica, int master)
{
    const RcNodeConfig *mc = rc_node_config(h->nodes[master]);
    h_enter(h, replica);
    rc_repl_set_master(h->nodes[replica], mc->ip, mc->port);
    h_leave(h, replica);
}

static void promote(Harness *h, int i)
{
    h_enter(h, i);
    rc_repl_unset_master(h->nodes[i]);
    h_leave(h, i);
    own_all_slots(h, i);
}

static RcReplication *repl(Harness *h, int i)
{
    return rc_repl_of(h->nodes[i]);
}

/* M with keys, R attached and fully synced (diskless delay included). */
static Harness *synced_pair(const RcNodeConfig *cfg, HLink **client)
{
    Harness *h = h_new(2, cfg);
    own_all_slots(h, M);
    *client = h_client(h, M);
    assert_reply(h, *client, "SET k1 v1", "+OK\r\n");
    replicate(h, R, M);
    h_advance_ms(h, 7000);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_FULL_SYNC), 1);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    return h;
}

static void default_cfg(RcNodeConfig *cfg)
{
    rc_node_config_init(cfg, "0.0.0.0", 7000);
}

START_TEST(test_full_resync_after_diskless_delay)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    Harness *h = h_new(2, &cfg);
    own_all_slots(h, M);
    HLink *c = h_client(h, M);
    assert_reply(h, c, "SET a 1", "+OK\r\n");
    assert_reply(h, c, "SET b 2", "+OK\r\n");
    replicate(h, R, M);
    /* The handshake is done at once; the snapshot waits repl-diskless-sync-delay (5 s),
     * counted by the once-a-second replication cron. */
    ck_assert_int_eq(repl(h, R)->state, RC_REPL_STATE_RECEIVE_PSYNC_REPLY);
    h_advance_to(h, 4900 * RC_US_PER_MS);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_FULL_SYNC), 0);
    assert_value(h, R, "a", NULL);
    h_advance_to(h, 5100 * RC_US_PER_MS);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_FULL_SYNC), 1);
    assert_value(h, R, "a", "1");
    assert_value(h, R, "b", "2");
    ck_assert_str_eq(repl(h, R)->replid, repl(h, M)->replid);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    ck_assert_uint_eq(repl(h, M)->stat_sync_full, 1);
    /* The stream follows, SELECT 0 first. */
    gint64 before = rc_repl_offset(h->nodes[M]);
    assert_reply(h, c, "SET c 3", "+OK\r\n");
    static const char select0[] = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
    static const char set_c[] = "*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n";
    ck_assert_int_eq(rc_repl_offset(h->nodes[M]) - before,
                     (gint64)(strlen(select0) + strlen(set_c)));
    assert_value(h, R, "c", "3");
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    gboolean link_up = rc_repl_master_link_up(h->nodes[R], NULL, NULL);
    ck_assert(link_up);
    h_free(h);
}
END_TEST

START_TEST(test_offset_moves_with_pings_only)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    gint64 before = rc_repl_offset(h->nodes[M]);
    /* repl-ping-replica-period 10 s: one PING (14 bytes) per period, no writes at all. */
    h_advance_ms(h, 20000);
    gint64 moved = rc_repl_offset(h->nodes[M]) - before;
    ck_assert_int_eq(moved, 2 * (gint64)strlen("*1\r\n$4\r\nPING\r\n"));
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    h_free(h);
}
END_TEST

START_TEST(test_partial_resync_after_link_drop)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    gint64 t_drop_s = h->now_us / RC_US_PER_S;
    h->is_down[M] = TRUE; /* reconnects are refused for now */
    h_reset(h, h_repl_link(h, R));
    gint64 last_ms, down_ms;
    ck_assert(!rc_repl_master_link_up(h->nodes[R], &last_ms, &down_ms));
    ck_assert_int_eq(down_ms, t_drop_s * 1000);
    assert_reply(h, c, "SET x 9", "+OK\r\n");
    assert_value(h, R, "x", NULL);
    h->is_down[M] = FALSE;
    h_advance_ms(h, 1100); /* the replica cron reconnects */
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_PARTIAL_SYNC), 1);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_FULL_SYNC), 1);
    ck_assert_uint_eq(repl(h, M)->stat_sync_partial_ok, 1);
    ck_assert_uint_eq(repl(h, M)->stat_sync_full, 1);
    assert_value(h, R, "x", "9");
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    ck_assert(rc_repl_master_link_up(h->nodes[R], &last_ms, &down_ms));
    h_free(h);
}
END_TEST

START_TEST(test_resync_is_full_when_backlog_was_overrun)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    cfg.repl_backlog_size = 16 * 1024; /* Redis's minimum */
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    h->is_down[M] = TRUE;
    h_reset(h, h_repl_link(h, R));
    GString *big = g_string_new("SET big ");
    for (int i = 0; i < 20000; i++)
        g_string_append_c(big, 'x');
    g_autofree char *r1 = h_cmd(h, c, big->str);
    ck_assert_str_eq(r1, "+OK\r\n");
    g_string_free(big, TRUE);
    h->is_down[M] = FALSE;
    h_advance_ms(h, 1100);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_PARTIAL_SYNC), 0);
    h_advance_ms(h, 7000);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_FULL_SYNC), 2);
    g_autofree char *v = value_of(h, R, "big");
    ck_assert(v != NULL && strlen(v) == 20000);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    h_free(h);
}
END_TEST

/* The write-loss mechanism: M acks a write its replica never gets, the replica is promoted,
 * M is demoted and asks PSYNC <old replid> <its offset + 1>, beyond what the new master's
 * replid2 covers: full resync, and the acknowledged write is gone. */
START_TEST(test_demoted_master_ahead_is_wiped)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    char old_replid[RC_REPL_ID_LEN + 1];
    memcpy(old_replid, repl(h, M)->replid, sizeof old_replid);
    HLink *l = h_repl_link(h, R);
    l->cut_ba = TRUE; /* master -> replica bytes are lost */
    assert_reply(h, c, "SET lost 1", "+OK\r\n");
    assert_value(h, R, "lost", NULL);
    gint64 r_off = rc_repl_offset(h->nodes[R]);
    ck_assert_int_lt(r_off, rc_repl_offset(h->nodes[M]));
    promote(h, R);
    ck_assert_str_eq(repl(h, R)->replid2, old_replid);
    ck_assert_int_eq(repl(h, R)->second_replid_offset, r_off + 1);
    ck_assert_str_ne(repl(h, R)->replid, old_replid);
    HLink *c2 = h_client(h, R);
    assert_reply(h, c2, "SET k3 v3", "+OK\r\n");
    replicate(h, M, R);
    h_advance_ms(h, 7000);
    ck_assert_uint_eq(h_count_events(h, M, RC_EVT_PARTIAL_SYNC), 0);
    ck_assert_uint_eq(h_count_events(h, M, RC_EVT_FULL_SYNC), 1);
    assert_value(h, M, "lost", NULL);
    assert_value(h, M, "k1", "v1");
    assert_value(h, M, "k3", "v3");
    ck_assert_str_eq(repl(h, M)->replid, repl(h, R)->replid);
    ck_assert_int_eq(rc_repl_offset(h->nodes[M]), rc_repl_offset(h->nodes[R]));
    h_free(h);
}
END_TEST

START_TEST(test_demoted_master_with_equal_offset_continues)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    assert_reply(h, c, "SET k2 v2", "+OK\r\n");
    char old_replid[RC_REPL_ID_LEN + 1];
    memcpy(old_replid, repl(h, M)->replid, sizeof old_replid);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    promote(h, R);
    HLink *c2 = h_client(h, R);
    assert_reply(h, c2, "SET k3 v3", "+OK\r\n");
    replicate(h, M, R);
    ck_assert_uint_eq(h_count_events(h, M, RC_EVT_PARTIAL_SYNC), 1);
    ck_assert_uint_eq(h_count_events(h, M, RC_EVT_FULL_SYNC), 0);
    assert_value(h, M, "k2", "v2");
    assert_value(h, M, "k3", "v3");
    ck_assert_str_eq(repl(h, M)->replid, repl(h, R)->replid);
    ck_assert_str_eq(repl(h, M)->replid2, old_replid);
    ck_assert_int_eq(rc_repl_offset(h->nodes[M]), rc_repl_offset(h->nodes[R]));
    h_free(h);
}
END_TEST

/* Three nodes: M with replicas R and R2. R is promoted and R2 is pointed at it, as the
 * cluster does after a failover. A sibling at R's offset continues from R's backlog under
 * replid2; a sibling that had received more than R is wiped by a full sync. */
static Harness *synced_trio(const RcNodeConfig *cfg, HLink **client)
{
    Harness *h = h_new(3, cfg);
    own_all_slots(h, M);
    *client = h_client(h, M);
    assert_reply(h, *client, "SET k1 v1", "+OK\r\n");
    replicate(h, R, M);
    replicate(h, 2, M);
    h_advance_ms(h, 7000);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_FULL_SYNC), 1);
    ck_assert_uint_eq(h_count_events(h, 2, RC_EVT_FULL_SYNC), 1);
    ck_assert_uint_eq(repl(h, M)->stat_sync_full, 2);
    return h;
}

START_TEST(test_sibling_continues_with_promoted_replica)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_trio(&cfg, &c);
    assert_reply(h, c, "SET k2 v2", "+OK\r\n");
    ck_assert_int_eq(rc_repl_offset(h->nodes[2]), rc_repl_offset(h->nodes[R]));
    h->is_down[M] = TRUE; /* the master crashes */
    h_reset(h, h_repl_link(h, R));
    h_reset(h, h_repl_link(h, 2));
    promote(h, R);
    replicate(h, 2, R);
    ck_assert_uint_eq(h_count_events(h, 2, RC_EVT_PARTIAL_SYNC), 1);
    ck_assert_uint_eq(h_count_events(h, 2, RC_EVT_FULL_SYNC), 1);
    HLink *c2 = h_client(h, R);
    assert_reply(h, c2, "SET k3 v3", "+OK\r\n");
    assert_value(h, 2, "k2", "v2");
    assert_value(h, 2, "k3", "v3");
    ck_assert_str_eq(repl(h, 2)->replid, repl(h, R)->replid);
    ck_assert_int_eq(rc_repl_offset(h->nodes[2]), rc_repl_offset(h->nodes[R]));
    h_free(h);
}
END_TEST

START_TEST(test_sibling_ahead_of_promoted_replica_is_wiped)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_trio(&cfg, &c);
    h_repl_link(h, R)->cut_ba = TRUE; /* R misses the next write, R2 gets it */
    assert_reply(h, c, "SET k2 v2", "+OK\r\n");
    assert_value(h, 2, "k2", "v2");
    assert_value(h, R, "k2", NULL);
    ck_assert_int_gt(rc_repl_offset(h->nodes[2]), rc_repl_offset(h->nodes[R]));
    h->is_down[M] = TRUE;
    h_reset(h, h_repl_link(h, R));
    h_reset(h, h_repl_link(h, 2));
    promote(h, R);
    replicate(h, 2, R);
    h_advance_ms(h, 7000);
    ck_assert_uint_eq(h_count_events(h, 2, RC_EVT_PARTIAL_SYNC), 0);
    ck_assert_uint_eq(h_count_events(h, 2, RC_EVT_FULL_SYNC), 2);
    assert_value(h, 2, "k2", NULL);
    assert_value(h, 2, "k1", "v1");
    ck_assert_int_eq(rc_repl_offset(h->nodes[2]), rc_repl_offset(h->nodes[R]));
    h_free(h);
}
END_TEST

START_TEST(test_wait_counts_acks_and_times_out)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    Harness *h = h_new(2, &cfg);
    own_all_slots(h, M);
    HLink *c = h_client(h, M);
    assert_reply(h, c, "SET a 1", "+OK\r\n");
    assert_reply(h, c, "WAIT 0 0", ":0\r\n");
    /* No replica: blocks until the timeout, answered strictly after it. */
    g_autofree char *r0 = h_cmd(h, c, "WAIT 1 300");
    ck_assert_str_eq(r0, "");
    h_advance_ms(h, 250);
    g_autofree char *r1 = h_client_take(c);
    ck_assert_str_eq(r1, "");
    h_advance_ms(h, 200);
    g_autofree char *r2 = h_client_take(c);
    ck_assert_str_eq(r2, ":0\r\n");
    replicate(h, R, M);
    h_advance_ms(h, 7000);
    assert_reply(h, c, "SET a 2", "+OK\r\n");
    /* GETACK goes out before sleeping; the ACK unblocks the client in the same instant. */
    assert_reply(h, c, "WAIT 1 0", ":1\r\n");
    h_repl_link(h, R)->cut_ab = TRUE; /* ACKs are lost */
    assert_reply(h, c, "SET a 3", "+OK\r\n");
    g_autofree char *r3 = h_cmd(h, c, "WAIT 1 500");
    ck_assert_str_eq(r3, "");
    h_advance_ms(h, 450);
    g_autofree char *r4 = h_client_take(c);
    ck_assert_str_eq(r4, "");
    h_advance_ms(h, 200);
    g_autofree char *r5 = h_client_take(c);
    ck_assert_str_eq(r5, ":0\r\n");
    /* Inside MULTI, WAIT answers at once. */
    assert_reply(h, c, "MULTI", "+OK\r\n");
    assert_reply(h, c, "WAIT 1 0", "+QUEUED\r\n");
    assert_reply(h, c, "EXEC", "*1\r\n:0\r\n");
    /* On a replica, WAIT is an error. */
    HLink *rc = h_client(h, R);
    assert_reply(h, rc, "WAIT 1 0",
                 "-ERR WAIT cannot be used with replica instances. Please also note that since "
                 "Redis 4.0 if a replica is configured to be writable (which is not the default) "
                 "writes to replicas are just local and are not propagated.\r\n");
    h_free(h);
}
END_TEST

START_TEST(test_min_replicas_refuses_writes_after_max_lag)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    cfg.min_replicas_to_write = 1;
    cfg.min_replicas_max_lag_s = 10;
    Harness *h = h_new(2, &cfg);
    own_all_slots(h, M);
    HLink *c = h_client(h, M);
    /* No replica yet: writes are refused, reads are not. */
    assert_reply(h, c, "SET a 0", "-NOREPLICAS Not enough good replicas to write.\r\n");
    assert_reply(h, c, "GET a", "$-1\r\n");
    replicate(h, R, M);
    h_advance_ms(h, 7000);
    assert_reply(h, c, "SET a 1", "+OK\r\n");
    ck_assert_int_eq(repl(h, M)->good_replicas, 1);
    HLink *l = h_repl_link(h, R);
    l->cut_ab = TRUE; /* ACKs stop arriving */
    gint64 cut_s = h->now_us / RC_US_PER_S;
    /* The last ACK arrived at most a second before the cut: still good while the lag is
     * within 10 s... */
    h_advance_to(h, (cut_s + 9) * RC_US_PER_S + 500 * RC_US_PER_MS);
    ck_assert(rc_repl_min_replicas_ok(h->nodes[M]));
    assert_reply(h, c, "SET a 2", "+OK\r\n");
    /* ...refused once the cron sees it older. */
    h_advance_to(h, (cut_s + 12) * RC_US_PER_S);
    ck_assert(!rc_repl_min_replicas_ok(h->nodes[M]));
    assert_reply(h, c, "SET a 3", "-NOREPLICAS Not enough good replicas to write.\r\n");
    assert_reply(h, c, "GET a", "$1\r\n2\r\n");
    /* ACKs again: good again at the next cron. */
    l->cut_ab = FALSE;
    h_advance_ms(h, 1100);
    ck_assert(rc_repl_min_replicas_ok(h->nodes[M]));
    assert_reply(h, c, "SET a 4", "+OK\r\n");
    h_free(h);
}
END_TEST

/* A transaction whose writes were queued while the replicas were good, EXECed after they
 * went bad: 7.0.15's rejectCommand() on EXEC calls execCommandAbort(), so the transaction
 * ends there (checked against redis-server 7.0.15, min-replicas-to-write raised between
 * the SET and the EXEC). A read-only transaction is not a write and still runs. */
START_TEST(test_min_replicas_aborts_exec_of_queued_writes)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    cfg.min_replicas_to_write = 1;
    cfg.min_replicas_max_lag_s = 10;
    Harness *h = h_new(2, &cfg);
    own_all_slots(h, M);
    HLink *c = h_client(h, M);
    replicate(h, R, M);
    h_advance_ms(h, 7000);
    assert_reply(h, c, "SET a 0", "+OK\r\n");
    assert_reply(h, c, "MULTI", "+OK\r\n");
    assert_reply(h, c, "SET a 1", "+QUEUED\r\n");
    h_repl_link(h, R)->cut_ab = TRUE; /* ACKs stop arriving */
    h_advance_ms(h, 12000);
    ck_assert(!rc_repl_min_replicas_ok(h->nodes[M]));
    assert_reply(h, c, "EXEC",
                 "-EXECABORT Transaction discarded because of: NOREPLICAS Not enough good "
                 "replicas to write.\r\n");
    /* The transaction is over: GET runs, and a second EXEC has no MULTI. */
    assert_reply(h, c, "GET a", "$1\r\n0\r\n");
    assert_reply(h, c, "EXEC", "-ERR EXEC without MULTI\r\n");
    assert_value(h, R, "a", "0");
    assert_reply(h, c, "MULTI", "+OK\r\n");
    assert_reply(h, c, "GET a", "+QUEUED\r\n");
    assert_reply(h, c, "EXEC", "*1\r\n$1\r\n0\r\n");
    /* A write refused while queued dooms the transaction the usual way. */
    assert_reply(h, c, "MULTI", "+OK\r\n");
    assert_reply(h, c, "SET a 2", "-NOREPLICAS Not enough good replicas to write.\r\n");
    assert_reply(h, c, "EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n");
    h_free(h);
}
END_TEST

START_TEST(test_replconf_ack_every_second_and_on_getack)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    guint before = h_count_sent(h, R, ack_needle);
    h_advance_ms(h, 5000);
    ck_assert_uint_eq(h_count_sent(h, R, ack_needle) - before, 5);
    RcReplicaState *s = ((RcClient *)g_ptr_array_index(repl(h, M)->replicas, 0))->replica;
    ck_assert_int_eq(s->ack_off, rc_repl_offset(h->nodes[M]));
    before = h_count_sent(h, R, ack_needle);
    assert_reply(h, c, "SET z 1", "+OK\r\n");
    assert_reply(h, c, "WAIT 1 0", ":1\r\n");
    ck_assert_uint_eq(h_count_sent(h, R, ack_needle) - before, 1);
    h_free(h);
}
END_TEST

START_TEST(test_replica_drops_silent_master_after_repl_timeout)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    HLink *l = h_repl_link(h, R);
    l->cut_ba = TRUE; /* nothing from the master, not even PINGs */
    gint64 last_ms, down_ms;
    ck_assert(rc_repl_master_link_up(h->nodes[R], &last_ms, &down_ms));
    gint64 last_s = last_ms / 1000;
    /* Dropped when the silence exceeds repl-timeout (60 s), in whole seconds, checked by
     * the once-a-second cron. */
    h_advance_to(h, (last_s + 60) * RC_US_PER_S + 500 * RC_US_PER_MS);
    ck_assert(rc_repl_master_link_up(h->nodes[R], NULL, NULL));
    h->is_down[M] = TRUE; /* so the reconnect fails and the link stays down */
    h_advance_to(h, (last_s + 61) * RC_US_PER_S + 500 * RC_US_PER_MS);
    ck_assert(!rc_repl_master_link_up(h->nodes[R], &last_ms, &down_ms));
    ck_assert_int_eq(down_ms, (last_s + 61) * 1000);
    h->is_down[M] = FALSE;
    h_advance_ms(h, 1100);
    ck_assert(rc_repl_master_link_up(h->nodes[R], NULL, NULL));
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_PARTIAL_SYNC), 1);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    h_free(h);
}
END_TEST

START_TEST(test_master_drops_replica_without_acks)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    HLink *l = h_repl_link(h, R);
    l->cut_ab = TRUE; /* the master hears nothing from its replica */
    gint64 t0_s = h->now_us / RC_US_PER_S;
    h_advance_to(h, (t0_s + 59) * RC_US_PER_S);
    ck_assert_uint_eq(repl(h, M)->replicas->len, 1);
    ck_assert(l->is_open);
    h_advance_to(h, (t0_s + 62) * RC_US_PER_S);
    /* Dropped after repl-timeout; the replica saw the close and came back with PSYNC. */
    ck_assert(!l->is_open);
    ck_assert_uint_eq(repl(h, M)->stat_sync_partial_ok, 1);
    ck_assert_uint_eq(repl(h, M)->replicas->len, 1);
    h_free(h);
}
END_TEST

/* n bytes that repeat only over long stretches, so a copy from a wrong offset shows. */
static GByteArray *byte_pattern(int n, int mul, int div)
{
    GByteArray *all = g_byte_array_sized_new((guint)n);
    for (int i = 0; i < n; i++) {
        guint8 b = (guint8)(i * mul + i / div);
        g_byte_array_append(all, &b, 1);
    }
    return all;
}

START_TEST(test_backlog_keeps_the_last_bytes)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    cfg.repl_backlog_size = 16 * 1024;
    Harness *h = h_new(1, &cfg);
    RcReplication *r = repl(h, M);
    h_enter(h, M);
    rc_repl_backlog_create(r);
    ck_assert_int_eq(r->backlog_off, 1);
    ck_assert_int_le(rc_repl_backlog_allocated(r), 4096); /* memory follows the history */
    GByteArray *all = byte_pattern(40000, 7, 251);
    /* Feed in uneven pieces so that writes wrap around the ring at odd places. */
    gsize pos = 0, piece = 1;
    while (pos < all->len) {
        gsize n = MIN(piece, all->len - pos);
        rc_repl_feed(r, all->data + pos, n);
        pos += n;
        piece = piece * 3 % 7919 + 1;
    }
    h_leave(h, M);
    ck_assert_int_eq(rc_repl_backlog_allocated(r), 16 * 1024); /* grown to its full size, no more */
    ck_assert_int_eq(r->master_repl_offset, 40000);
    ck_assert_int_eq(r->backlog_histlen, 16 * 1024);
    ck_assert_int_eq(r->backlog_off, 40000 - 16 * 1024 + 1);
    for (gint64 from = r->backlog_off; from <= 40001; from += 4093) {
        GByteArray *got = g_byte_array_new();
        rc_repl_backlog_copy_from(r, from, got);
        ck_assert_uint_eq(got->len, (guint)(40001 - from));
        ck_assert_int_eq(memcmp(got->data, all->data + (from - 1), got->len), 0);
        g_byte_array_unref(got);
    }
    g_byte_array_unref(all);
    h_free(h);
}
END_TEST

/* A backlog whose size is not a whole number of blocks, fed far past it in uneven pieces:
 * blocks are allocated only as the stream reaches them, the ring (whole blocks) wraps at odd
 * places, and every offset still inside the last backlog_size bytes copies out exactly. */
START_TEST(test_backlog_blocks_follow_the_stream)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    cfg.repl_backlog_size = 40000; /* 2.44 blocks: a ring of 3 */
    Harness *h = h_new(1, &cfg);
    RcReplication *r = repl(h, M);
    h_enter(h, M);
    rc_repl_backlog_create(r);
    ck_assert_int_eq(rc_repl_backlog_allocated(r), 0);
    GByteArray *all = byte_pattern(150000, 13, 509);
    gsize pos = 0, piece = 1;
    while (pos < all->len) {
        gsize n = MIN(piece, all->len - pos);
        rc_repl_feed(r, all->data + pos, n);
        pos += n;
        piece = piece * 5 % 20011 + 1; /* up to more than a block at once */
        /* memory follows the history: the blocks the bytes so far reach, at most the ring */
        gint64 blocks = MIN(((gint64)pos + RC_REPL_BACKLOG_BLOCK - 1) / RC_REPL_BACKLOG_BLOCK, 3);
        ck_assert_int_eq(rc_repl_backlog_allocated(r), blocks * RC_REPL_BACKLOG_BLOCK);
        ck_assert_int_eq(r->backlog_histlen, MIN((gint64)pos, 40000));
        ck_assert_int_eq(r->backlog_off, (gint64)pos - r->backlog_histlen + 1);
        /* the oldest byte kept and the newest one */
        GByteArray *got = g_byte_array_new();
        rc_repl_backlog_copy_from(r, r->backlog_off, got);
        ck_assert_uint_eq(got->len, (guint)r->backlog_histlen);
        ck_assert_int_eq(memcmp(got->data, all->data + (r->backlog_off - 1), got->len), 0);
        g_byte_array_unref(got);
    }
    h_leave(h, M);
    ck_assert_int_eq(r->master_repl_offset, 150000);
    for (gint64 from = r->backlog_off; from <= 150001; from += 997) {
        GByteArray *got = g_byte_array_new();
        rc_repl_backlog_copy_from(r, from, got);
        ck_assert_uint_eq(got->len, (guint)(150001 - from));
        ck_assert_int_eq(memcmp(got->data, all->data + (from - 1), got->len), 0);
        g_byte_array_unref(got);
    }
    rc_repl_backlog_free(r);
    ck_assert_ptr_null(r->backlog);
    g_byte_array_unref(all);
    h_free(h);
}
END_TEST

/* PSYNC answers by id and offset, table-driven against a master with a known history. */
START_TEST(test_psync_decision_table)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    RcReplication *r = repl(h, M);
    /* Give the master a replid2 valid up to its current offset + 1. */
    char id1[RC_REPL_ID_LEN + 1], id2[RC_REPL_ID_LEN + 1];
    memcpy(id2, r->replid, sizeof id2);
    r->second_replid_offset = r->master_repl_offset + 1;
    memcpy(r->replid2, id2, sizeof id2);
    h_enter(h, M);
    rc_repl_change_id(r);
    h_leave(h, M);
    memcpy(id1, r->replid, sizeof id1);
    enum { NEXT, OLDEST, BEYOND, ZERO, ID2_LAST, ID2_PAST, MINUS_ONE };
    struct {
        const char *id;
        int where;
        const char *reply_prefix;
    } cases[] = {
        {id1, NEXT, "+CONTINUE\r\n"},     /* current id, next byte */
        {id1, OLDEST, "+CONTINUE\r\n"},   /* oldest byte in the backlog */
        {id1, BEYOND, "+FULLRESYNC "},    /* beyond my history */
        {id1, ZERO, "+FULLRESYNC "},      /* before the backlog */
        {id2, ID2_LAST, "+CONTINUE\r\n"}, /* old id up to second_replid_offset */
        {id2, ID2_PAST, "+FULLRESYNC "},  /* old id past it */
        {"?", MINUS_ONE, "+FULLRESYNC "}, /* no cached master */
        {"0123456789012345678901234567890123456789", NEXT, "+FULLRESYNC "},
    };
    gint64 id2_valid = r->second_replid_offset;
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        gint64 cur = r->master_repl_offset;
        gint64 offsets[] = {cur + 1, r->backlog_off, cur + 2, 0, id2_valid, id2_valid + 1, -1};
        HLink *p = h_client(h, M);
        char line[128];
        g_snprintf(line, sizeof line, "PSYNC %s %" G_GINT64_FORMAT, cases[i].id,
                   offsets[cases[i].where]);
        h_client_send(h, p, line);
        h_pump(h);
        h_advance_ms(h, 6000); /* a full sync waits for the diskless delay */
        g_autofree char *got = h_client_take(p);
        ck_assert_msg(g_str_has_prefix(got, cases[i].reply_prefix), "case %u (%s): got %.40s", i,
                      line, got);
        h_reset(h, p);
    }
    h_free(h);
}
END_TEST

/* A transaction in the stream counts only at its EXEC: cut inside it, the replica applied
 * none of it, its offset stays before MULTI, and the partial resync resends all of it. */
START_TEST(test_stream_transaction_applies_at_exec)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    assert_reply(h, c, "SET w 1", "+OK\r\n"); /* the stream's SELECT goes out with this */
    gint64 before = rc_repl_offset(h->nodes[R]);
    ck_assert_int_eq(before, rc_repl_offset(h->nodes[M]));
    HLink *l = h_repl_link(h, R);
    h_set_hold(l, FALSE, TRUE); /* hold master -> replica */
    assert_reply(h, c, "MULTI", "+OK\r\n");
    assert_reply(h, c, "SET {t}a 1", "+QUEUED\r\n");
    assert_reply(h, c, "SET {t}b 2", "+QUEUED\r\n");
    assert_reply(h, c, "EXEC", "*2\r\n+OK\r\n+OK\r\n");
    GByteArray *held = l->held_ba;
    const char *exec = "*1\r\n$4\r\nEXEC\r\n";
    ck_assert_uint_gt(held->len, strlen(exec));
    ck_assert_int_eq(memcmp(held->data + held->len - strlen(exec), exec, strlen(exec)), 0);
    ck_assert(g_strstr_len((const char *)held->data, held->len, "MULTI") != NULL);
    /* Deliver everything but the EXEC, then lose the link. */
    rc_node_recv(h->nodes[R], h->now_us, l->ha, held->data, held->len - strlen(exec), h->outs[R]);
    h_pump(h);
    assert_value(h, R, "{t}a", NULL);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), before);
    g_byte_array_set_size(held, 0);
    h->is_down[M] = TRUE;
    h_reset(h, l);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), before);
    h->is_down[M] = FALSE;
    h_advance_ms(h, 1100);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_PARTIAL_SYNC), 1);
    assert_value(h, R, "{t}a", "1");
    assert_value(h, R, "{t}b", "2");
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    h_free(h);
}
END_TEST

/* Garbage on the master link is a protocol error: the master is not cached, so the next
 * sync is a full one. */
START_TEST(test_stream_protocol_error_forces_full_sync)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    HLink *l = h_repl_link(h, R);
    static const char *const garbage[] = {"+PONG\r\n", "*1\r\n$x\r\n", "*2\r\n$3\r\nSETX\r\n",
                                          "*-5\r\n"};
    for (guint i = 0; i < G_N_ELEMENTS(garbage); i++) {
        l = h_repl_link(h, R);
        ck_assert_msg(l != NULL, "case %u: no link", i);
        guint64 errors = repl(h, R)->stat_stream_errors;
        h->is_down[M] = TRUE;
        rc_node_recv(h->nodes[R], h->now_us, l->ha, (const guint8 *)garbage[i], strlen(garbage[i]),
                     h->outs[R]);
        h_pump(h);
        ck_assert_uint_eq(repl(h, R)->stat_stream_errors, errors + 1);
        ck_assert(!rc_repl_master_link_up(h->nodes[R], NULL, NULL));
        ck_assert(!repl(h, R)->cached_master.is_set);
        h->is_down[M] = FALSE;
        h_advance_ms(h, 7000);
        ck_assert_uint_eq(h_count_events(h, R, RC_EVT_FULL_SYNC), i + 2);
        ck_assert(rc_repl_master_link_up(h->nodes[R], NULL, NULL));
    }
    h_free(h);
}
END_TEST

/* Bad arguments to the replication commands get Redis's replies. */
START_TEST(test_bad_replication_commands)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    Harness *h = h_new(1, &cfg);
    own_all_slots(h, M);
    static const struct {
        const char *cmd;
        const char *reply;
    } cases[] = {
        {"REPLCONF listening-port", "-ERR syntax error\r\n"},
        {"REPLCONF listening-port x", "-ERR value is not an integer or out of range\r\n"},
        {"REPLCONF listening-port 07000", "-ERR value is not an integer or out of range\r\n"},
        {"REPLCONF nosuch 1", "-ERR Unrecognized REPLCONF option: nosuch\r\n"},
        {"REPLCONF rdb-only 2", "-ERR value is out of range, value must between 0 and 1\r\n"},
        {"REPLCONF capa eof capa psync2", "+OK\r\n"},
        {"REPLCONF listening-port 7001 capa eof", "+OK\r\n"},
        {"REPLCONF ack 10", ""},   /* not a replica: ignored, no reply */
        {"REPLCONF getack *", ""}, /* not a replica of anyone: no reply */
        {"WAIT x 0", "-ERR value is not an integer or out of range\r\n"},
        {"WAIT 1 x", "-ERR timeout is not an integer or out of range\r\n"},
        {"WAIT 1 -1", "-ERR timeout is negative\r\n"},
        {"WAIT 0 0", ":0\r\n"},
        {"PSYNC ? x", "-ERR value is not an integer or out of range\r\n"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        HLink *c = h_client(h, M);
        g_autofree char *got = h_cmd(h, c, cases[i].cmd);
        ck_assert_msg(strcmp(got, cases[i].reply) == 0, "case %u (%s): want %s got %s", i,
                      cases[i].cmd, cases[i].reply, got);
        ck_assert_uint_eq(repl(h, M)->replicas->len, 0);
        h_reset(h, c);
    }
    h_advance_ms(h, 1100);
    ck_assert_uint_eq(repl(h, M)->pending_capa->len, 0); /* forgotten with their clients */
    h_free(h);
}
END_TEST

/* Pipelined WAITs: the second blocks again after the first is answered. */
START_TEST(test_pipelined_waits)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    h_repl_link(h, R)->cut_ab = TRUE;
    assert_reply(h, c, "SET p 1", "+OK\r\n");
    h_client_send(h, c, "WAIT 1 200");
    h_client_send(h, c, "WAIT 1 400");
    h_client_send(h, c, "PING");
    h_pump(h);
    g_autofree char *r0 = h_client_take(c);
    ck_assert_str_eq(r0, "");
    h_advance_ms(h, 350);
    g_autofree char *r1 = h_client_take(c);
    ck_assert_str_eq(r1, ":0\r\n");
    h_advance_ms(h, 400);
    g_autofree char *r2 = h_client_take(c);
    ck_assert_str_eq(r2, ":0\r\n+PONG\r\n");
    h_free(h);
}
END_TEST

/* Two nodes that know each other over the bus, M owning every slot, neither replicating yet;
 * c0 and c1 are clients of M and R. Returns M's node id (40 characters). */
static char *meet_pair(Harness **hp, HLink **c0, HLink **c1)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    Harness *h = *hp = h_new(2, &cfg);
    *c0 = h_client(h, M);
    *c1 = h_client(h, R);
    assert_reply(h, *c0, "CLUSTER ADDSLOTSRANGE 0 16383", "+OK\r\n");
    assert_reply(h, *c1, "CLUSTER MEET 10.0.0.1 7000", "+OK\r\n");
    h_advance_ms(h, 3000);
    g_autofree char *myid = h_cmd(h, *c0, "CLUSTER MYID");
    ck_assert_msg(g_str_has_prefix(myid, "$40\r\n"), "CLUSTER MYID: %s", myid);
    return g_strndup(myid + 5, 40);
}

/* End to end through the cluster bus: MEET, ADDSLOTSRANGE, CLUSTER REPLICATE makes the
 * cluster call rc_repl_set_master; the replica syncs, serves READONLY reads, and its
 * processed offset reaches the master's view through the bus headers. */
START_TEST(test_cluster_replicate_starts_replication)
{
    Harness *h;
    HLink *c0, *c1;
    g_autofree char *mid = meet_pair(&h, &c0, &c1);
    g_autofree char *line = g_strdup_printf("CLUSTER REPLICATE %s", mid);
    /* A transaction opened while R was a master, with a write that has no key (keyed ones
     * would be redirected, R owning no slot): EXEC after R became a replica is refused
     * READONLY, which ends the transaction (redis-server 7.0.15 answers the same). */
    HLink *c2 = h_client(h, R);
    assert_reply(h, c2, "MULTI", "+OK\r\n");
    assert_reply(h, c2, "FLUSHALL", "+QUEUED\r\n");
    assert_reply(h, c1, line, "+OK\r\n");
    ck_assert(rc_repl_is_replica(h->nodes[R]));
    assert_reply(h, c2, "EXEC",
                 "-EXECABORT Transaction discarded because of: READONLY You can't write against "
                 "a read only replica.\r\n");
    assert_reply(h, c2, "EXEC", "-ERR EXEC without MULTI\r\n");
    /* A keyed write in MULTI on the replica is redirected and dooms the transaction. */
    assert_reply(h, c2, "MULTI", "+OK\r\n");
    assert_reply(h, c2, "SET foo x", "-MOVED 12182 10.0.0.1:7000\r\n");
    assert_reply(h, c2, "EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n");
    h_advance_ms(h, 7000);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_FULL_SYNC), 1);
    assert_reply(h, c0, "SET foo bar", "+OK\r\n");
    assert_reply(h, c1, "GET foo", "-MOVED 12182 10.0.0.1:7000\r\n");
    assert_reply(h, c1, "READONLY", "+OK\r\n");
    assert_reply(h, c1, "GET foo", "$3\r\nbar\r\n");
    assert_reply(h, c1, "SET foo baz", "-MOVED 12182 10.0.0.1:7000\r\n");
    /* READWRITE ends it: reads are redirected to the master again. */
    assert_reply(h, c1, "READWRITE", "+OK\r\n");
    assert_reply(h, c1, "GET foo", "-MOVED 12182 10.0.0.1:7000\r\n");
    assert_reply(h, c1, "READONLY", "+OK\r\n");
    assert_reply(h, c1, "GET foo", "$3\r\nbar\r\n");
    h_advance_ms(h, 3000);
    RcClusterNode *rview = NULL;
    RcCluster *mc = h->nodes[M]->cluster;
    for (guint i = 0; i < mc->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(mc->nodes, i);
        if (n != mc->myself)
            rview = n;
    }
    ck_assert(rview != NULL && rc_node_is_replica(rview));
    ck_assert_int_eq(rview->repl_offset, rc_repl_offset(h->nodes[R]));
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    h_free(h);
}
END_TEST

/* CLUSTER SLOTS lists a slot range's master, then its available replicas (not failed, offset
 * not 0), on every node. A node never updates its own record's offset, so a replica judges
 * itself by its replication offset (isReplicaAvailable); redis-server 7.0.15 with one master
 * and one replica answers the same on both nodes. */
START_TEST(test_cluster_slots_lists_replica_on_both_nodes)
{
    Harness *h;
    HLink *c0, *c1;
    g_autofree char *mid = meet_pair(&h, &c0, &c1);
    g_autofree char *rid = h_cmd(h, c1, "CLUSTER MYID");
    ck_assert(g_str_has_prefix(rid, "$40\r\n"));
    g_autofree char *line = g_strdup_printf("CLUSTER REPLICATE %s", mid);
    assert_reply(h, c1, line, "+OK\r\n");
    h_advance_ms(h, 1000);
    /* not synced yet: offset 0 everywhere, the replica is left out on both nodes */
    g_autofree char *master_only = g_strdup_printf("*1\r\n*3\r\n:0\r\n:16383\r\n"
                                                   "*4\r\n$8\r\n10.0.0.1\r\n:7000\r\n"
                                                   "$40\r\n%s\r\n*0\r\n",
                                                   mid);
    assert_reply(h, c0, "CLUSTER SLOTS", master_only);
    assert_reply(h, c1, "CLUSTER SLOTS", master_only);
    h_advance_ms(h, 7000);
    ck_assert_uint_eq(h_count_events(h, R, RC_EVT_FULL_SYNC), 1);
    assert_reply(h, c0, "SET foo bar", "+OK\r\n");
    h_advance_ms(h, 2000);
    g_autofree char *both = g_strdup_printf("*1\r\n*4\r\n:0\r\n:16383\r\n"
                                            "*4\r\n$8\r\n10.0.0.1\r\n:7000\r\n"
                                            "$40\r\n%s\r\n*0\r\n"
                                            "*4\r\n$8\r\n10.0.0.2\r\n:7001\r\n"
                                            "$40\r\n%.40s\r\n*0\r\n",
                                            mid, rid + 5);
    assert_reply(h, c0, "CLUSTER SLOTS", both);
    assert_reply(h, c1, "CLUSTER SLOTS", both);
    h_free(h);
}
END_TEST

/* WAIT waits for the offset after the client's last command, reads included: 7.0.15's
 * processCommand sets c->woff = master_repl_offset after every call (checked against
 * redis-server 7.0.15: with the replica stopped, SET by b, GET by a, then a's WAIT 1 300
 * answers 0). */
START_TEST(test_wait_uses_the_clients_last_write)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *a;
    Harness *h = synced_pair(&cfg, &a);
    HLink *b = h_client(h, M);
    assert_reply(h, a, "SET x 1", "+OK\r\n");
    h_advance_ms(h, 1100); /* the replica acks it */
    assert_reply(h, a, "WAIT 1 0", ":1\r\n");
    h_repl_link(h, R)->cut_ab = TRUE;
    assert_reply(h, b, "SET y 1", "+OK\r\n");
    assert_reply(h, a, "GET x", "$1\r\n1\r\n"); /* the read moves a's offset to y's */
    g_autofree char *ra = h_cmd(h, a, "WAIT 1 100");
    ck_assert_str_eq(ra, "");
    g_autofree char *rb = h_cmd(h, b, "WAIT 1 100");
    ck_assert_str_eq(rb, "");
    h_advance_ms(h, 300);
    g_autofree char *ra2 = h_client_take(a);
    g_autofree char *rb2 = h_client_take(b);
    ck_assert_str_eq(ra2, ":0\r\n");
    ck_assert_str_eq(rb2, ":0\r\n");
    h_free(h);
}
END_TEST

/* Graceful shutdown waits for every replica to acknowledge the whole stream. */
START_TEST(test_ready_to_shutdown_after_replicas_ack)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    h_advance_ms(h, 1100);
    ck_assert(rc_repl_ready_to_shutdown(h->nodes[M]));
    HLink *l = h_repl_link(h, R);
    h_set_hold(l, TRUE, TRUE); /* ACKs held back */
    assert_reply(h, c, "SET s 1", "+OK\r\n");
    ck_assert(!rc_repl_ready_to_shutdown(h->nodes[M]));
    h_enter(h, M);
    rc_repl_send_getack(h->nodes[M]);
    h_leave(h, M);
    ck_assert(!rc_repl_ready_to_shutdown(h->nodes[M]));
    h_release(h, l);
    /* The ACK answering GETACK counts the stream up to the GETACK, not the GETACK itself
     * (the offset moves after the command ran): the next periodic ACK completes it. */
    ck_assert(!rc_repl_ready_to_shutdown(h->nodes[M]));
    h_advance_ms(h, 1100);
    ck_assert(rc_repl_ready_to_shutdown(h->nodes[M]));
    h_free(h);
}
END_TEST

/* INFO replication on both sides, with the fields Redis prints. */
START_TEST(test_info_replication_fields)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    h_advance_ms(h, 1100);
    GString *mi = g_string_new(NULL), *ri = g_string_new(NULL);
    rc_repl_info(h->nodes[M], mi);
    rc_repl_info(h->nodes[R], ri);
    g_autofree char *off =
        g_strdup_printf("master_repl_offset:%" G_GINT64_FORMAT "\r\n", rc_repl_offset(h->nodes[M]));
    g_autofree char *slave0 = g_strdup_printf(
        "slave0:ip=10.0.0.2,port=7001,state=online,offset=%" G_GINT64_FORMAT ",lag=",
        rc_repl_offset(h->nodes[M]));
    g_autofree char *rid = g_strdup_printf("master_replid:%s\r\n", repl(h, M)->replid);
    const char *want_m[] = {"# Replication\r\nrole:master\r\nconnected_slaves:1\r\n",
                            slave0,
                            off,
                            rid,
                            "second_repl_offset:-1\r\n",
                            "repl_backlog_active:1\r\n"};
    for (guint i = 0; i < G_N_ELEMENTS(want_m); i++)
        ck_assert_msg(strstr(mi->str, want_m[i]) != NULL, "master INFO lacks %s:\n%s", want_m[i],
                      mi->str);
    const char *want_r[] = {"role:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:7000\r\n",
                            "master_link_status:up\r\n",
                            "master_sync_in_progress:0\r\n",
                            off,
                            rid,
                            "connected_slaves:0\r\n"};
    for (guint i = 0; i < G_N_ELEMENTS(want_r); i++)
        ck_assert_msg(strstr(ri->str, want_r[i]) != NULL, "replica INFO lacks %s:\n%s", want_r[i],
                      ri->str);
    g_string_free(mi, TRUE);
    g_string_free(ri, TRUE);
    h_free(h);
}
END_TEST

/* The same wiring and the same seeds give the same bytes, byte for byte. */
static char *transcript_digest(void)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    for (int i = 0; i < 50; i++) {
        char line[64];
        g_snprintf(line, sizeof line, "SET k%d %d", i, i * 7);
        g_free(h_cmd(h, c, line));
        if (i % 10 == 0)
            h_advance_ms(h, 700);
    }
    h_reset(h, h_repl_link(h, R));
    h_advance_ms(h, 3000);
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    for (int i = 0; i < h->n; i++) {
        for (guint k = 0; k < h->sent[i]->len; k++) {
            GString *b = g_ptr_array_index(h->sent[i], k);
            g_checksum_update(sum, (const guchar *)b->str, (gssize)b->len);
        }
        g_checksum_update(sum, (const guchar *)repl(h, i)->replid, RC_REPL_ID_LEN);
    }
    char *d = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    h_free(h);
    return d;
}

START_TEST(test_same_seed_same_bytes)
{
    g_autofree char *a = transcript_digest();
    g_autofree char *b = transcript_digest();
    ck_assert_str_eq(a, b);
}
END_TEST

/* ROLE on both sides; REPLICAOF is refused in cluster mode. */
START_TEST(test_role_and_replicaof)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    h_advance_ms(h, 1100);
    gint64 off = rc_repl_offset(h->nodes[M]);
    char want_m[256], want_r[256], offs[32];
    g_snprintf(offs, sizeof offs, "%" G_GINT64_FORMAT, off);
    g_snprintf(
        want_m, sizeof want_m,
        "*3\r\n$6\r\nmaster\r\n:%s\r\n*1\r\n*3\r\n$8\r\n10.0.0.2\r\n$4\r\n7001\r\n$%zu\r\n%s\r\n",
        offs, strlen(offs), offs);
    g_snprintf(want_r, sizeof want_r,
               "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:7000\r\n$9\r\nconnected\r\n:%s\r\n", offs);
    assert_reply(h, c, "ROLE", want_m);
    HLink *rc = h_client(h, R);
    assert_reply(h, rc, "ROLE", want_r);
    assert_reply(h, c, "REPLICAOF 10.0.0.2 7001",
                 "-ERR REPLICAOF not allowed in cluster mode.\r\n");
    assert_reply(h, c, "SLAVEOF no one", "-ERR REPLICAOF not allowed in cluster mode.\r\n");
    h->is_down[M] = TRUE;
    h_reset(h, h_repl_link(h, R));
    assert_reply(h, rc, "ROLE",
                 "*5\r\n$5\r\nslave\r\n$8\r\n10.0.0.1\r\n:7000\r\n$7\r\nconnect\r\n:-1\r\n");
    h_free(h);
}
END_TEST

/* Random bytes from "the master" at every stage (handshake, transfer, stream) never crash
 * the replica; once they stop, it syncs again. */
START_TEST(test_replica_survives_garbage_from_master)
{
    RcNodeConfig cfg;
    default_cfg(&cfg);
    HLink *c;
    Harness *h = synced_pair(&cfg, &c);
    GRand *g = g_rand_new_with_seed(4242 + (guint32)_i);
    for (int round = 0; round < 120; round++) {
        HLink *l = h_repl_link(h, R);
        if (l != NULL && g_rand_int_range(g, 0, 3) == 0) {
            guint8 junk[64];
            int n = g_rand_int_range(g, 1, (int)sizeof junk);
            for (int i = 0; i < n; i++)
                junk[i] = (guint8)g_rand_int_range(g, 0, 256);
            /* Half of the time, something that looks like protocol. */
            if (g_rand_boolean(g))
                junk[0] = (guint8) "*$+-:\n"[g_rand_int_range(g, 0, 6)];
            rc_node_recv(h->nodes[R], h->now_us, l->ha, junk, (gsize)n, h->outs[R]);
            h_pump(h);
        }
        if (round % 7 == 0)
            g_free(h_cmd(h, c, "SET g 1"));
        h_advance_ms(h, g_rand_int_range(g, 50, 1500));
    }
    g_rand_free(g);
    /* A garbled handshake may wait out repl-timeout (60 s) before its retry, whose full
     * sync then waits the diskless delay. */
    h_advance_ms(h, 75000);
    ck_assert_msg(rc_repl_master_link_up(h->nodes[R], NULL, NULL), "state %d size %ld inbuf %u",
                  repl(h, R)->state, (long)repl(h, R)->transfer_size, repl(h, R)->inbuf->len);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    assert_value(h, R, "g", "1");
    h_free(h);
}
END_TEST

Suite *replication_suite(void);
Suite *replication_suite(void)
{
    Suite *s = suite_create("replication");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_full_resync_after_diskless_delay);
    tcase_add_test(tc, test_offset_moves_with_pings_only);
    tcase_add_test(tc, test_partial_resync_after_link_drop);
    tcase_add_test(tc, test_resync_is_full_when_backlog_was_overrun);
    tcase_add_test(tc, test_demoted_master_ahead_is_wiped);
    tcase_add_test(tc, test_demoted_master_with_equal_offset_continues);
    tcase_add_test(tc, test_sibling_continues_with_promoted_replica);
    tcase_add_test(tc, test_sibling_ahead_of_promoted_replica_is_wiped);
    tcase_add_test(tc, test_wait_counts_acks_and_times_out);
    tcase_add_test(tc, test_min_replicas_refuses_writes_after_max_lag);
    tcase_add_test(tc, test_min_replicas_aborts_exec_of_queued_writes);
    tcase_add_test(tc, test_replconf_ack_every_second_and_on_getack);
    tcase_add_test(tc, test_replica_drops_silent_master_after_repl_timeout);
    tcase_add_test(tc, test_master_drops_replica_without_acks);
    tcase_add_test(tc, test_backlog_keeps_the_last_bytes);
    tcase_add_test(tc, test_backlog_blocks_follow_the_stream);
    tcase_add_test(tc, test_psync_decision_table);
    tcase_add_test(tc, test_stream_transaction_applies_at_exec);
    tcase_add_test(tc, test_stream_protocol_error_forces_full_sync);
    tcase_add_test(tc, test_bad_replication_commands);
    tcase_add_test(tc, test_pipelined_waits);
    tcase_add_test(tc, test_wait_uses_the_clients_last_write);
    tcase_add_test(tc, test_ready_to_shutdown_after_replicas_ack);
    tcase_add_test(tc, test_info_replication_fields);
    tcase_add_test(tc, test_same_seed_same_bytes);
    tcase_add_test(tc, test_role_and_replicaof);
    tcase_add_loop_test(tc, test_replica_survives_garbage_from_master, 0, 40);
    tcase_add_test(tc, test_cluster_replicate_starts_replication);
    tcase_add_test(tc, test_cluster_slots_lists_replica_on_both_nodes);
    suite_add_tcase(s, tc);
    return s;
}
