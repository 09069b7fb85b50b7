/* clusterCron's ping choice with hand-set time (cluster_cron.c): a node whose PONG is older
 * than NT/2 gets a PING, strictly; every 10th tick the node with the oldest PONG among 5
 * random draws from the table gets one. The draws come from the node's own stream: a copy
 * of that stream taken before the tick tells which nodes were sampled. */
#include "tests/bus_view.h"

#define NT 15000

/* PINGs the last cron put in the outbox; `*handle` is the connection of the last one. */
static guint pings_sent(BusView *v, guint32 *handle)
{
    guint count = 0;
    for (guint i = 0; i < rc_outbox_len(v->out); i++) {
        const RcAction *a = rc_outbox_get(v->out, i);
        if (a->kind != RC_ACT_SEND)
            continue;
        gsize len = a->len;
        const guint8 *d = a->data;
        ck_assert_uint_ge(len, RC_BUS_HDR_LEN);
        if (rc_be16_get(d + 12) == RC_MSG_PING) {
            count++;
            if (handle)
                *handle = a->handle;
        }
    }
    return count;
}

static guint cron_at(BusView *v, gint64 now_ms, guint32 *handle)
{
    bus_view_enter(v, now_ms);
    rc_cluster_cron(v->node);
    guint n = pings_sent(v, handle);
    bus_view_leave(v);
    return n;
}

/* Redis: `node->ping_sent == 0 && (now - node->pong_received) > node_timeout/2`. */
START_TEST(test_ping_strictly_after_half_node_timeout)
{
    BusView *v = bus_view_new(NT, TRUE);
    RcClusterNode *a = bus_view_add(v, 'a', RC_NODE_MASTER, -1, -1);
    RcClusterLink *link = bus_view_out_link(v, a);
    a->pong_received_ms = 1000;
    v->node->cluster->cron_iteration = 0; /* ticks 1 and 2: not a 10th tick */
    guint32 to = 0;
    ck_assert_uint_eq(cron_at(v, 1000 + NT / 2, &to), 0);
    ck_assert_int_eq(a->ping_sent_ms, 0);
    ck_assert_uint_eq(cron_at(v, 1000 + NT / 2 + 1, &to), 1);
    ck_assert_uint_eq(to, link->handle);
    ck_assert_int_eq(a->ping_sent_ms, 1000 + NT / 2 + 1);
    /* a ping is outstanding: no second one on the next tick */
    ck_assert_uint_eq(cron_at(v, 1000 + NT / 2 + 101, &to), 0);
    bus_view_free(v);
}
END_TEST

/* Seven peers with fresh, distinct PONG times (none due under the NT/2 rule) plus myself:
 * the table has 8 entries, so 5 draws with replacement often miss the oldest. Peer 'g' has
 * the oldest PONG of all but a ping outstanding, which makes it no candidate. */
START_TEST(test_tenth_tick_pings_oldest_pong_of_five_draws)
{
    enum { PEERS = 7, SEEDS = 300 };
    const gint64 now0 = 20000;
    guint missed_global_oldest = 0, none_eligible = 0;
    for (guint32 seed = 1; seed <= SEEDS; seed++) {
        BusView *v = bus_view_new(NT, TRUE);
        RcClusterNode *peers[PEERS];
        for (int k = 0; k < PEERS; k++) {
            peers[k] = bus_view_add(v, (char)('a' + k), RC_NODE_MASTER, -1, -1);
            bus_view_out_link(v, peers[k]);
            /* a permutation of 0..5, so the oldest is not simply the first or the last */
            peers[k]->pong_received_ms = now0 - 1000 - ((k * 5) % 6) * 100;
        }
        RcClusterNode *busy = peers[PEERS - 1];
        busy->pong_received_ms = now0 - 5000;
        busy->ping_sent_ms = now0 - 50;
        g_rand_set_seed(v->rng, seed);
        RcCluster *c = v->node->cluster;
        c->cron_iteration = 0;
        for (int tick = 1; tick <= 9; tick++)
            ck_assert_uint_eq(cron_at(v, now0 + tick, NULL), 0);

        /* What the 10th tick will sample, from a copy of the node's stream. */
        GRand *copy = g_rand_copy(v->rng);
        RcClusterNode *want = NULL, *global = NULL;
        for (int j = 0; j < 5; j++) {
            RcClusterNode *n =
                g_ptr_array_index(c->nodes, g_rand_int_range(copy, 0, (gint32)c->nodes->len));
            if (n->link == NULL || n->ping_sent_ms != 0 || (n->flags & RC_NODE_MYSELF))
                continue;
            if (want == NULL || n->pong_received_ms < want->pong_received_ms)
                want = n;
        }
        g_rand_free(copy);
        for (int k = 0; k < PEERS - 1; k++)
            if (global == NULL || peers[k]->pong_received_ms < global->pong_received_ms)
                global = peers[k];
        missed_global_oldest += want != NULL && want != global;
        none_eligible += want == NULL;

        guint32 to = 0;
        guint sent = cron_at(v, now0 + 10, &to);
        if (want == NULL) {
            ck_assert_uint_eq(sent, 0);
        } else {
            ck_assert_msg(sent == 1, "seed %u: %u pings", seed, sent);
            ck_assert_msg(to == want->link->handle, "seed %u: pinged the wrong node", seed);
            ck_assert_int_eq(want->ping_sent_ms, now0 + 10);
        }
        ck_assert_int_eq(busy->ping_sent_ms, now0 - 50);
        /* the 11th tick is an ordinary one again */
        ck_assert_uint_eq(cron_at(v, now0 + 11, NULL), 0);
        bus_view_free(v);
    }
    /* the draws really are a sample: often they miss the oldest node */
    ck_assert_uint_gt(missed_global_oldest, SEEDS / 10);
    ck_assert_uint_lt(none_eligible, SEEDS / 10);
}
END_TEST

Suite *cluster_cron_suite(void);
Suite *cluster_cron_suite(void)
{
    Suite *s = suite_create("cluster_cron");
    TCase *tc = tcase_create("ping");
    tcase_add_test(tc, test_ping_strictly_after_half_node_timeout);
    tcase_add_test(tc, test_tenth_tick_pings_oldest_pong_of_five_draws);
    suite_add_tcase(s, tc);
    return s;
}
