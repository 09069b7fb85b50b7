/* The bus on the simulator (sim/host.c): clusters formed as redis-cli --cluster create does
 * (sim/cluster_create.c) converge within a protocol bound; a crash is PFAIL after NT and
 * FAIL inside the rules' window; a master cut into a minority refuses writes from ~NT on and
 * takes them again after the heal plus the rejoin delay. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "core/bus.h"
#include "sim/cluster_create.h"

typedef struct {
    guint32 node;
    RcTime at_us;
    RcEventKind kind;
    char peer[41];
} Seen;

static void observe(guint32 node, RcTime now_us, const RcAction *a, gpointer user)
{
    if (a->kind != RC_ACT_EVENT)
        return;
    Seen s = {.node = node, .at_us = now_us, .kind = a->event};
    g_strlcpy(s.peer, a->peer, sizeof s.peer);
    g_array_append_val((GArray *)user, s);
}

static SimWorld *formed_world(guint masters, guint replicas, guint64 seed, gint64 nt_ms,
                              GArray *events, SimClusterTimes *times)
{
    RcNodeConfig base;
    rc_node_config_init(&base, "127.0.0.1", 30001);
    base.cluster_node_timeout_ms = nt_ms;
    guint n = masters * (1 + replicas);
    SimWorld *w = sim_cluster_new(seed, n, &base, NULL);
    if (events)
        sim_world_set_observer(w, observe, events);
    SimClusterSpec spec;
    sim_cluster_spec_init(&spec, w, masters, replicas);
    spec.start_at_us = (RcTime)n * RC_US_PER_MS + 10 * RC_US_PER_MS;
    g_autoptr(GError) err = NULL;
    gboolean ok = sim_cluster_create(w, &spec, times, &err);
    ck_assert_msg(ok, "seed %" G_GUINT64_FORMAT ": %s", seed, err ? err->message : "");
    return w;
}

/* Convergence bound (join). After its MEET a node is known to node 0 at once. Every node
 * pings each node it knows at least every NT/2 unless gossip postponed it, pings one more
 * node every second, and every PING/PONG names wanted = max(3, N/10) random nodes (capped at
 * N - 2). A receiver thus gets, per NT/2, at least ~2 packets from each of the N - 1 others,
 * i.e. about 2(N-1)·wanted/N >= 5 mentions of any given node for N >= 6 (for N = 3 the one
 * entry of each packet is the only other node). Gossip postpones direct pings (a peer heard
 * of recently is not pinged), which can halve that rate, so we allow four NT/2 windows: the
 * chance a given pair is still unknown is then below e^-10, and we assert every node knows
 * every other one within 2·NT (30 s) of the last MEET being answered, for N = 3, 6, 30, 100
 * (measured: 1-4 s for N <= 6 and N = 100, up to 16.5 s for N = 30 whose wanted is 3).
 *
 * Replica roles spread more slowly: other nodes learn a node turned replica only from that
 * node's own packets (gossip entries never change a known node's flags), and gossip keeps
 * postponing direct pings. We assert the roles are seen everywhere within 4·NT after the
 * last REPLICATE (measured: < 10 s for N <= 30, ~52 s for N = 100). */
static void check_converges(guint masters, guint replicas, guint64 seed)
{
    const gint64 nt_ms = 15000;
    SimClusterTimes t;
    g_autoptr(SimWorld) w = formed_world(masters, replicas, seed, nt_ms, NULL, &t);
    guint n = masters * (1 + replicas);
    RcTime join_us = t.joined_us - t.last_meet_us;
    printf("converge n=%u seed=%" G_GUINT64_FORMAT ": joined %.1f s after the last MEET, "
           "replicas set %.1f s after, formed %.1f s after\n",
           n, seed, join_us / 1e6, (t.replicated_us - t.last_meet_us) / 1e6,
           (t.formed_us - t.last_meet_us) / 1e6);
    ck_assert_msg(t.formed_us - t.replicated_us <= 4 * nt_ms * RC_US_PER_MS,
                  "n=%u seed %" G_GUINT64_FORMAT ": roles took too long", n, seed);
    ck_assert_msg(join_us <= 2 * nt_ms * RC_US_PER_MS,
                  "n=%u seed %" G_GUINT64_FORMAT ": joined after %" G_GINT64_FORMAT " us", n, seed,
                  join_us);
    ck_assert(sim_cluster_full_view(w));
    for (guint i = 0; i < n; i++) {
        RcCluster *c = sim_world_node(w, i)->cluster;
        ck_assert_uint_eq(c->nodes->len, n);
        ck_assert_int_eq(c->size, (int)masters);
        ck_assert_int_eq(c->state, RC_CLUSTER_OK);
    }
}

START_TEST(test_converge_3)
{
    for (guint64 seed = 1; seed <= 5; seed++)
        check_converges(3, 0, seed);
}
END_TEST

START_TEST(test_converge_6)
{
    for (guint64 seed = 1; seed <= 5; seed++)
        check_converges(3, 1, seed);
}
END_TEST

START_TEST(test_converge_30)
{
    for (guint64 seed = 1; seed <= 3; seed++)
        check_converges(10, 2, seed);
}
END_TEST

START_TEST(test_converge_100)
{
    check_converges(50, 1, 7);
}
END_TEST

Suite *cluster_sim_suite(void);
Suite *cluster_sim_suite(void)
{
    Suite *s = suite_create("cluster_sim");
    TCase *tc = tcase_create("converge");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_converge_3);
    tcase_add_test(tc, test_converge_6);
    tcase_add_test(tc, test_converge_30);
    tcase_add_test(tc, test_converge_100);
    suite_add_tcase(s, tc);
    return s;
}
