/* Failover, manual failover, resharding and replica migration on the simulator, over many
 * seeds (suite `scenarios`). Each test runs a scenario through the runner (sim_run_execute:
 * cluster creation, the workload's smart clients, the nemesis, the final heal, the read-back
 * and its checkers) and asserts on the result and on the nodes' own events.
 *
 * Every failure message names the seed; `build/rcsim run FILE --seed N` with the scenario
 * text printed by the failing test replays it. Seed counts are kept small enough for CI; the
 * numbers quoted in core/README.md come from the same code with RCSIM_FAILOVER_SEEDS set. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/outbox.h"
#include "sim/client.h"
#include "sim/run.h"
#include "sim/scenario.h"

static guint seeds(guint dflt)
{
    const char *env = g_getenv("RCSIM_FAILOVER_SEEDS");
    if (env != NULL && atoi(env) > 0)
        return (guint)atoi(env);
    return dflt;
}

static SimRunResult *run_scenario(const char *text, guint64 seed, const char *out_dir,
                                  gboolean trace)
{
    g_autoptr(GError) error = NULL;
    SimScenario *sc = sim_scenario_parse("failover-test.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(sc != NULL, "scenario: %s", error ? error->message : "?");
    SimRunOptions opt = {.out_dir = out_dir, .trace = trace};
    SimRunResult *r = sim_run_execute(sc, seed, &opt, &error);
    ck_assert_msg(r != NULL, "seed %" G_GUINT64_FORMAT ": %s", seed, error ? error->message : "?");
    sim_scenario_free(sc);
    return r;
}

static gint node_index(const SimRunResult *r, const char *name)
{
    for (gint i = 0; r->node_names[i] != NULL; i++)
        if (strcmp(r->node_names[i], name) == 0)
            return i;
    return -1;
}

static const SimNodeEvent *event_at(const SimRunResult *r, guint i)
{
    return &g_array_index(r->node_events, SimNodeEvent, i);
}

/* Promotions (RC_EVT_PROMOTED) replacing node `failed`: count, and the last one. */
static guint promotions_of(const SimRunResult *r, gint failed, const SimNodeEvent **last)
{
    guint n = 0;
    for (guint i = 0; i < r->node_events->len; i++) {
        const SimNodeEvent *e = event_at(r, i);
        if (e->event == RC_EVT_PROMOTED && e->peer == failed) {
            n++;
            if (last)
                *last = e;
        }
    }
    return n;
}

/* The first time node `node` reached currentEpoch >= epoch at or after `since`, or -1. */
static RcTime epoch_reached(const SimRunResult *r, guint node, guint64 epoch, RcTime since)
{
    for (guint i = 0; i < r->node_events->len; i++) {
        const SimNodeEvent *e = event_at(r, i);
        if (e->node == node && e->event == RC_EVT_CURRENT_EPOCH && e->value >= epoch &&
            e->t_us >= since)
            return e->t_us;
    }
    return -1;
}

/* Time node `node` emitted `kind` about `peer` at or after `since`, or -1. */
static RcTime event_time(const SimRunResult *r, guint node, RcEventKind kind, gint peer,
                         RcTime since)
{
    for (guint i = 0; i < r->node_events->len; i++) {
        const SimNodeEvent *e = event_at(r, i);
        if (e->node == node && e->event == kind && e->peer == peer && e->t_us >= since)
            return e->t_us;
    }
    return -1;
}

static gboolean property_ok(const SimRunResult *r, const char *name)
{
    for (guint i = 0; i < r->check->properties->len; i++) {
        const SimProperty *p = &g_array_index(r->check->properties, SimProperty, i);
        if (strcmp(p->name, name) == 0)
            return p->ok;
    }
    return FALSE;
}

#define NT_MS 2000

/* A master crashes under load and stays down for the rest of the run. */
static const char *crash_scenario = "name failover-crash\n"
                                    "masters 3\n"
                                    "replicas %u\n"
                                    "node-timeout 2000\n"
                                    "latency uniform 200us 1ms\n"
                                    "client-latency uniform 100us 500us\n"
                                    "clients 4\n"
                                    "clients-near masters\n"
                                    "client-timeout 1s\n"
                                    "client-retries 3\n"
                                    "client-backoff 100ms\n"
                                    "workload set\n"
                                    "rate 200\n"
                                    "keys 100\n"
                                    "converge-within 20s\n"
                                    "duration 20s\n"
                                    "at 7s crash n1\n";

/* Exactly one of n1's replicas replaces it, within the bound; every live node learns the new
 * epoch and the new owner of n1's slots soon after; the sibling (with two replicas) follows the
 * winner; at the end all nodes agree on every slot's owner.
 *
 * Bound (derived from the reference §12.2 with NT = 2000 ms and cron every 100 ms): PFAIL
 * within 1.5·NT + 0.2 s of the crash, FAIL once the reports of a majority met (gossip every
 * ~100 ms per node plus the FAIL broadcast: we allow 1.5 s), then the election delay
 * 500..999 ms + 1000 ms per rank, a cron tick to notice it and one to start, and the vote
 * round trip. With one replica the rank is 0; with two, a sibling may rank ahead: +1000 ms. */
static RcTime crash_min_us, crash_max_us, crash_sum_us;

static void check_crash_seed(guint replicas, guint64 seed, guint *winner_n4)
{
    g_autofree char *text = g_strdup_printf(crash_scenario, replicas);
    g_autoptr(SimRunResult) r = run_scenario(text, seed, NULL, FALSE);
    gint n1 = node_index(r, "n1"), n4 = node_index(r, "n4"), n7 = node_index(r, "n7");
    const SimNodeEvent *p = NULL;
    ck_assert_msg(promotions_of(r, n1, &p) == 1, "seed %" G_GUINT64_FORMAT ": %u promotions", seed,
                  promotions_of(r, n1, NULL));
    ck_assert_msg((gint)p->node == n4 || (replicas == 2 && (gint)p->node == n7),
                  "seed %" G_GUINT64_FORMAT ": %s promoted", seed, r->node_names[p->node]);
    if ((gint)p->node == n4)
        (*winner_n4)++;

    ck_assert_uint_eq(r->check->failovers->len, 1);
    const SimFailover *f = &g_array_index(r->check->failovers, SimFailover, 0);
    RcTime bound_ms = 3 * NT_MS / 2 + 200 + 1500 + 999 + 1000 * (replicas - 1) + 300;
    ck_assert_msg(f->promoted_us - f->fault_us <= bound_ms * 1000,
                  "seed %" G_GUINT64_FORMAT
                  ": promoted %.1f ms after the crash (bound %" G_GINT64_FORMAT ")",
                  seed, (f->promoted_us - f->fault_us) / 1000.0, bound_ms);
    ck_assert_msg(f->promoted_us - f->fault_us >= NT_MS * 1000, "seed %" G_GUINT64_FORMAT, seed);
    RcTime took = f->promoted_us - f->fault_us;
    crash_min_us = crash_min_us == 0 ? took : MIN(crash_min_us, took);
    crash_max_us = MAX(crash_max_us, took);
    crash_sum_us += took;

    /* Every other live node adopts the election epoch within 2 s of the promotion (the
     * winner's PONG to all; gossip for anyone that missed it). */
    for (guint i = 0; r->node_names[i] != NULL; i++) {
        if ((gint)i == n1 || i == p->node)
            continue;
        RcTime t = epoch_reached(r, i, p->value, 0);
        ck_assert_msg(t >= 0 && t - p->t_us <= 2000 * 1000,
                      "seed %" G_GUINT64_FORMAT ": %s reached epoch %" G_GUINT64_FORMAT
                      " at %" G_GINT64_FORMAT,
                      seed, r->node_names[i], p->value, t);
    }
    /* Every other live node gives n1's slots (5461 of them: slots 0..5460) to the winner in
     * its own view within 2 s of the promotion: all nodes agree on the owners again. */
    for (guint i = 0; r->node_names[i] != NULL; i++) {
        if ((gint)i == n1 || i == p->node)
            continue;
        guint64 moved = 0;
        RcTime last = -1;
        for (guint k = 0; k < r->node_events->len; k++) {
            const SimNodeEvent *e = event_at(r, k);
            if (e->node == i && e->event == RC_EVT_SLOTS_REASSIGNED && e->peer == (gint)p->node &&
                e->t_us >= p->t_us) {
                moved += e->value;
                last = e->t_us;
            }
        }
        ck_assert_msg(moved == 5461 && last - p->t_us <= 2000 * 1000,
                      "seed %" G_GUINT64_FORMAT ": %s gave %" G_GUINT64_FORMAT
                      " slots to the winner, the last at +%" G_GINT64_FORMAT " us",
                      seed, r->node_names[i], moved, last - p->t_us);
    }
    /* The losing sibling replicates the winner soon after. */
    if (replicas == 2) {
        gint loser = (gint)p->node == n4 ? n7 : n4;
        RcTime t = event_time(r, (guint)loser, RC_EVT_REPLICA_OF, (gint)p->node, p->t_us);
        ck_assert_msg(t >= 0 && t - p->t_us <= 2000 * 1000,
                      "seed %" G_GUINT64_FORMAT ": sibling re-pointed at %" G_GINT64_FORMAT, seed,
                      t);
    }
    ck_assert_msg(property_ok(r, "converged"), "seed %" G_GUINT64_FORMAT, seed);
    ck_assert_msg(property_ok(r, "current-epoch-monotonic"), "seed %" G_GUINT64_FORMAT, seed);
}

START_TEST(test_master_crash_promotes_one_replica)
{
    guint n = seeds(8), n4 = 0;
    crash_min_us = crash_max_us = crash_sum_us = 0;
    for (guint64 seed = 1; seed <= n; seed++)
        check_crash_seed(1, seed, &n4);
    ck_assert_uint_eq(n4, n);
    fprintf(stderr, "one replica: crash to promotion %.0f..%.0f ms, mean %.0f ms over %u seeds\n",
            crash_min_us / 1000.0, crash_max_us / 1000.0, crash_sum_us / 1000.0 / n, n);
}
END_TEST

START_TEST(test_master_crash_two_replicas)
{
    guint n = seeds(8), n4 = 0;
    crash_min_us = crash_max_us = crash_sum_us = 0;
    for (guint64 seed = 1; seed <= n; seed++)
        check_crash_seed(2, seed, &n4);
    fprintf(stderr,
            "two replicas: crash to promotion %.0f..%.0f ms, mean %.0f ms; n4 won %u of %u\n",
            crash_min_us / 1000.0, crash_max_us / 1000.0, crash_sum_us / 1000.0 / n, n4, n);
}
END_TEST

/* Two replicas, and n7 is cut off from everyone from 1.2 s before its master crashes to
 * 0.2 s after, while writes flow: n4 holds the larger offset. The rank delay should let n4 win
 * in most seeds. The share is printed (core/README.md quotes it). */
static const char *offset_scenario = "name failover-offset\n"
                                     "masters 3\n"
                                     "replicas 2\n"
                                     "node-timeout 2000\n"
                                     "latency uniform 200us 1ms\n"
                                     "client-latency uniform 100us 500us\n"
                                     "clients 4\n"
                                     "clients-near masters\n"
                                     "client-timeout 1s\n"
                                     "client-retries 3\n"
                                     "client-backoff 100ms\n"
                                     "workload set\n"
                                     "rate 200\n"
                                     "keys 100\n"
                                     "converge-within 20s\n"
                                     "duration 20s\n"
                                     "at 6800ms partition isolate n7\n"
                                     "at 8200ms heal\n"
                                     "at 8s crash n1\n";

START_TEST(test_larger_offset_wins_most_seeds)
{
    guint n = seeds(12), n4_wins = 0;
    for (guint64 seed = 1; seed <= n; seed++) {
        g_autoptr(SimRunResult) r = run_scenario(offset_scenario, seed, NULL, FALSE);
        gint n1 = node_index(r, "n1"), n4 = node_index(r, "n4"), n7 = node_index(r, "n7");
        /* Both replicas synced before time 0 (formation waits for every replication link) and
         * kept their link until the cut: a replica that had to sync again, or never did,
         * would make the comparison meaningless. */
        RcTime s4 = event_time(r, (guint)n4, RC_EVT_FULL_SYNC, -1, 0);
        RcTime s7 = event_time(r, (guint)n7, RC_EVT_FULL_SYNC, -1, 0);
        ck_assert_msg((s4 < 0 || s4 > 6800 * 1000) && (s7 < 0 || s7 > 6800 * 1000),
                      "seed %" G_GUINT64_FORMAT ": synced again at %" G_GINT64_FORMAT
                      " and %" G_GINT64_FORMAT,
                      seed, s4, s7);
        const SimNodeEvent *p = NULL;
        ck_assert_msg(promotions_of(r, n1, &p) == 1, "seed %" G_GUINT64_FORMAT, seed);
        if ((gint)p->node == n4)
            n4_wins++;
    }
    fprintf(stderr, "larger-offset replica won %u of %u seeds (%.0f%%)\n", n4_wins, n,
            100.0 * n4_wins / n);
    ck_assert_msg(n4_wins * 4 >= n * 3, "the larger offset won only %u of %u seeds", n4_wins, n);
}
END_TEST

/* A master crashes 1 ms into the run. The run starts only once every replica's replication
 * link is up (its first full sync waits repl-diskless-sync-delay, 4 to 6 s of whole-second
 * replication cron after it asked), so the replica has data and fails over; a start before
 * that sync would leave it unable to (never synced: its data is too old). */
static const char *early_crash_scenario = "name early-crash\n"
                                          "masters 3\n"
                                          "replicas 1\n"
                                          "node-timeout 2000\n"
                                          "clients 1\n"
                                          "rate 50\n"
                                          "converge-within 20s\n"
                                          "duration 10s\n"
                                          "at 1ms crash n1\n";

START_TEST(test_run_starts_after_replicas_synced)
{
    guint n = seeds(6);
    for (guint64 seed = 1; seed <= n; seed++) {
        g_autoptr(SimRunResult) r = run_scenario(early_crash_scenario, seed, NULL, FALSE);
        gint n1 = node_index(r, "n1"), n4 = node_index(r, "n4");
        const SimNodeEvent *p = NULL;
        ck_assert_msg(promotions_of(r, n1, &p) == 1, "seed %" G_GUINT64_FORMAT, seed);
        ck_assert_int_eq((gint)p->node, n4);
        /* its data came from before time 0: no full sync inside the run before the crash */
        ck_assert_int_lt(event_time(r, (guint)n4, RC_EVT_FULL_SYNC, -1, 0), 0);
    }
}
END_TEST

/* CLUSTER FAILOVER under load: no acknowledged write is lost, the replica takes over within
 * the 5 s manual-failover limit, and no FAIL was needed. */
static const char *manual_scenario = "name failover-manual\n"
                                     "masters 3\n"
                                     "replicas 1\n"
                                     "node-timeout 2000\n"
                                     "latency uniform 200us 1ms\n"
                                     "client-latency uniform 100us 500us\n"
                                     "clients 4\n"
                                     "clients-near masters\n"
                                     "client-timeout 1s\n"
                                     "client-retries 3\n"
                                     "client-backoff 100ms\n"
                                     "workload set\n"
                                     "rate 300\n"
                                     "keys 100\n"
                                     "converge-within 20s\n"
                                     "duration 14s\n"
                                     "at 7s failover n4\n";

START_TEST(test_manual_failover_under_load_loses_nothing)
{
    guint n = seeds(8);
    for (guint64 seed = 1; seed <= n; seed++) {
        g_autoptr(SimRunResult) r = run_scenario(manual_scenario, seed, NULL, FALSE);
        gint n1 = node_index(r, "n1"), n4 = node_index(r, "n4");
        const SimNodeEvent *p = NULL;
        ck_assert_msg(promotions_of(r, n1, &p) == 1, "seed %" G_GUINT64_FORMAT, seed);
        ck_assert_int_eq((gint)p->node, n4);
        ck_assert_msg(r->check->lost == 0, "seed %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " lost",
                      seed, r->check->lost);
        ck_assert_uint_gt(r->check->acked, 1000);
        const SimFailover *f = &g_array_index(r->check->failovers, SimFailover, 0);
        ck_assert_msg(f->promoted_us - f->fault_us < 5000 * 1000, "seed %" G_GUINT64_FORMAT, seed);
        ck_assert_int_eq(f->fail_us, -1); /* nobody flagged n1 FAIL */
        /* The old master follows the new one. */
        ck_assert(event_time(r, (guint)n1, RC_EVT_DEMOTED, n4, p->t_us) >= 0);
        ck_assert(property_ok(r, "converged"));
    }
}
END_TEST

/* Resharding under heavy load on few keys: every slot of primary:1 that holds one of the
 * workload's keys (k0..k59) moves to primary:2, one step each, 100 ms apart. No
 * acknowledged write is lost, and clients do meet ASK redirections (counted in the trace as
 * -ASK replies). A write that arrives while MIGRATE is in flight waits (writes are paused),
 * then finds the key gone and is redirected: that is where most ASKs come from. (Moving all
 * of primary:1's slots would also work, but the last SETSLOT NODE on the source can race
 * the destination's PONG, which already made the source a replica: Redis answers "Please
 * use SETSLOT only with masters." then too.) */
static const char *reshard_head = "name failover-reshard\n"
                                  "masters 3\n"
                                  "replicas 1\n"
                                  "node-timeout 2000\n"
                                  "latency uniform 200us 1ms\n"
                                  "client-latency uniform 100us 500us\n"
                                  "clients 6\n"
                                  "clients-near masters\n"
                                  "client-timeout 1s\n"
                                  "client-retries 3\n"
                                  "client-backoff 100ms\n"
                                  "workload set\n"
                                  "rate 1000\n"
                                  "keys 60\n"
                                  "converge-within 20s\n"
                                  "duration 10s\n";

static char *reshard_scenario(guint *steps)
{
    GString *s = g_string_new(reshard_head);
    GArray *slots = g_array_new(FALSE, FALSE, sizeof(guint));
    for (int i = 0; i < 60; i++) {
        char key[16];
        int len = g_snprintf(key, sizeof key, "k%d", i);
        guint slot = sim_key_slot(key, (gsize)len);
        gboolean seen = FALSE;
        for (guint j = 0; j < slots->len; j++)
            seen = seen || g_array_index(slots, guint, j) == slot;
        if (slot <= 5460 && !seen)
            g_array_append_val(slots, slot);
    }
    for (guint j = 0; j < slots->len; j++) {
        guint slot = g_array_index(slots, guint, j);
        g_string_append_printf(s, "at %ums reshard %u-%u primary:1 primary:2\n", 3000 + 100 * j,
                               slot, slot);
    }
    *steps = slots->len;
    g_array_unref(slots);
    return g_string_free(s, FALSE);
}

static guint count_in_file(const char *path, const char *needle)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(path, &text, &len, NULL));
    guint n = 0;
    const char *p = text;
    gsize nlen = strlen(needle);
    while ((p = memmem(p, len - (gsize)(p - text), needle, nlen)) != NULL) {
        n++;
        p += nlen;
    }
    return n;
}

START_TEST(test_resharding_under_load_loses_nothing_and_asks)
{
    guint n = seeds(4), total_ask = 0;
    for (guint64 seed = 1; seed <= n; seed++) {
        g_autofree char *dir = g_dir_make_tmp("rcsim-reshard-XXXXXX", NULL);
        ck_assert_ptr_nonnull(dir);
        guint steps = 0;
        g_autofree char *text = reshard_scenario(&steps);
        ck_assert_uint_ge(steps, 10);
        g_autoptr(SimRunResult) r = run_scenario(text, seed, dir, TRUE);
        ck_assert_msg(r->check->lost == 0, "seed %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT " lost",
                      seed, r->check->lost);
        ck_assert_uint_eq(r->check->failovers->len, 0);
        double errors = -1;
        ck_assert(sim_run_metric(r, "nemesis-errors", &errors));
        ck_assert_msg(errors == 0, "seed %" G_GUINT64_FORMAT ": reshard failed", seed);
        ck_assert(property_ok(r, "converged"));
        /* Every step moved its slot: n1 recorded each hand-over to n2. */
        gint n1 = node_index(r, "n1"), n2 = node_index(r, "n2");
        guint moved = 0;
        for (guint i = 0; i < r->node_events->len; i++) {
            const SimNodeEvent *e = event_at(r, i);
            if ((gint)e->node == n1 && e->event == RC_EVT_SLOT_MIGRATED && e->peer == n2)
                moved++;
        }
        ck_assert_uint_eq(moved, steps);
        g_autofree char *trace = g_build_filename(dir, "trace.log", NULL);
        guint asks = count_in_file(trace, "\"-ASK ");
        total_ask += asks;
        /* Remove the run directory. */
        const char *files[] = {"trace.log", "summary.json", "history.jsonl", NULL};
        for (guint i = 0; files[i]; i++) {
            g_autofree char *f = g_build_filename(dir, files[i], NULL);
            remove(f);
        }
        rmdir(dir);
    }
    fprintf(stderr, "resharding: %u ASK redirections over %u seeds\n", total_ask, n);
    ck_assert_uint_gt(total_ask, 0);
}
END_TEST

/* n4 and n7 (both replicas of n1) crash: n1 is orphaned. A replica of a master with two
 * working replicas migrates to it after the 5 s orphan delay (node timeout 2 s: the crashed
 * replicas must first be FAIL for n1 to count as orphaned). */
static const char *migration_scenario = "name failover-migration\n"
                                        "masters 3\n"
                                        "replicas 2\n"
                                        "node-timeout 2000\n"
                                        "migration-barrier 1\n"
                                        "latency uniform 200us 1ms\n"
                                        "client-latency uniform 100us 500us\n"
                                        "clients 3\n"
                                        "clients-near masters\n"
                                        "client-timeout 1s\n"
                                        "client-retries 3\n"
                                        "client-backoff 100ms\n"
                                        "workload set\n"
                                        "rate 100\n"
                                        "keys 100\n"
                                        "converge-within 20s\n"
                                        "duration 20s\n"
                                        "at 3s crash n4 n7\n";

START_TEST(test_orphaned_master_gets_a_replica)
{
    guint n = seeds(6);
    for (guint64 seed = 1; seed <= n; seed++) {
        g_autoptr(SimRunResult) r = run_scenario(migration_scenario, seed, NULL, FALSE);
        gint n1 = node_index(r, "n1");
        guint movers = 0;
        RcTime first = -1;
        for (guint i = 0; i < r->node_events->len; i++) {
            const SimNodeEvent *e = event_at(r, i);
            /* A node re-pointing itself to n1 after the crash (REPLICA_OF from myself). */
            if (e->event == RC_EVT_REPLICA_OF && e->peer == n1 && e->t_us > 3 * RC_US_PER_S) {
                ck_assert_msg(strcmp(r->node_names[e->node], "n4") != 0 &&
                                  strcmp(r->node_names[e->node], "n7") != 0,
                              "seed %" G_GUINT64_FORMAT, seed);
                movers++;
                if (first < 0)
                    first = e->t_us;
            }
        }
        ck_assert_msg(movers == 1, "seed %" G_GUINT64_FORMAT ": %u replicas migrated", seed,
                      movers);
        ck_assert_uint_eq(r->check->failovers->len, 0);
        ck_assert_uint_eq(r->check->lost, 0);
    }
}
END_TEST

/* Orphan n1 while n2 keeps two replicas and n3 one: with the barrier at 0 n3's replica could
 * leave by the barrier alone, but clusterCron lets only replicas of the master with the most
 * replicas (at least two) migrate, so the migrant is n5 or n8. */
START_TEST(test_migrant_comes_from_the_master_with_the_most)
{
    g_autofree char *text = g_strdup(migration_scenario);
    char *barrier = strstr(text, "migration-barrier 1");
    char *crash = strstr(text, "at 3s crash n4 n7\n");
    ck_assert(barrier != NULL && crash != NULL);
    barrier[strlen("migration-barrier ")] = '0';
    *crash = '\0';
    g_autofree char *scn = g_strconcat(text, "at 3s crash n4 n7 n9\n", NULL);
    guint n = seeds(4);
    for (guint64 seed = 1; seed <= n; seed++) {
        g_autoptr(SimRunResult) r = run_scenario(scn, seed, NULL, FALSE);
        gint n1 = node_index(r, "n1");
        guint movers = 0;
        for (guint i = 0; i < r->node_events->len; i++) {
            const SimNodeEvent *e = event_at(r, i);
            if (e->event != RC_EVT_REPLICA_MIGRATION)
                continue;
            ck_assert_int_eq(e->peer, n1);
            const char *who = r->node_names[e->node];
            ck_assert_msg(strcmp(who, "n5") == 0 || strcmp(who, "n8") == 0,
                          "seed %" G_GUINT64_FORMAT ": %s migrated", seed, who);
            movers++;
        }
        ck_assert_msg(movers == 1, "seed %" G_GUINT64_FORMAT ": %u migrations", seed, movers);
    }
}
END_TEST

/* The crashed master restarts after its replica took over: it learns the new owner of its
 * slots from the first PONG (or an UPDATE) and rejoins as the winner's replica, replacing its
 * dataset with the winner's (full sync: its history diverged). */
static const char *rejoin_scenario = "name failover-rejoin\n"
                                     "masters 3\n"
                                     "replicas 1\n"
                                     "node-timeout 2000\n"
                                     "latency uniform 200us 1ms\n"
                                     "client-latency uniform 100us 500us\n"
                                     "clients 4\n"
                                     "clients-near masters\n"
                                     "client-timeout 1s\n"
                                     "client-retries 3\n"
                                     "client-backoff 100ms\n"
                                     "workload set\n"
                                     "rate 200\n"
                                     "keys 100\n"
                                     "converge-within 20s\n"
                                     "duration 25s\n"
                                     "at 7s crash n1\n"
                                     "at 14s restart n1\n";

START_TEST(test_old_master_rejoins_as_replica)
{
    guint n = seeds(4);
    for (guint64 seed = 1; seed <= n; seed++) {
        g_autoptr(SimRunResult) r = run_scenario(rejoin_scenario, seed, NULL, FALSE);
        gint n1 = node_index(r, "n1"), n4 = node_index(r, "n4");
        const SimNodeEvent *p = NULL;
        ck_assert_msg(promotions_of(r, n1, &p) == 1, "seed %" G_GUINT64_FORMAT, seed);
        ck_assert_int_eq((gint)p->node, n4);
        RcTime restart = 14 * RC_US_PER_S;
        RcTime demoted = event_time(r, (guint)n1, RC_EVT_DEMOTED, n4, restart);
        ck_assert_msg(demoted >= 0 && demoted - restart <= 1000 * 1000,
                      "seed %" G_GUINT64_FORMAT ": demoted at %" G_GINT64_FORMAT, seed, demoted);
        ck_assert(event_time(r, (guint)n1, RC_EVT_FULL_SYNC, -1, demoted) >= 0);
        ck_assert(promotions_of(r, n4, NULL) == 0); /* n1 never took its slots back */
        ck_assert(property_ok(r, "converged"));
    }
}
END_TEST

/* cluster-replica-no-failover: a dead master's replica stays a replica (the cluster stays
 * down) until an admin sends CLUSTER FAILOVER FORCE (needs the votes) or TAKEOVER (does not);
 * either way the replica takes over and the cluster serves writes again. */
static const char *nofailover_scenario = "name failover-nofailover\n"
                                         "masters 3\n"
                                         "replicas 1\n"
                                         "node-timeout 2000\n"
                                         "replica-no-failover yes\n"
                                         "latency uniform 200us 1ms\n"
                                         "client-latency uniform 100us 500us\n"
                                         "clients 3\n"
                                         "clients-near masters\n"
                                         "client-timeout 1s\n"
                                         "client-retries 3\n"
                                         "client-backoff 100ms\n"
                                         "workload set\n"
                                         "rate 100\n"
                                         "keys 100\n"
                                         "converge-within 20s\n"
                                         "duration 20s\n"
                                         "at 7s crash n1\n"
                                         "at 14s failover n4 %s\n";

START_TEST(test_no_failover_then_force_or_takeover)
{
    const char *modes[] = {"force", "takeover"};
    for (guint m = 0; m < G_N_ELEMENTS(modes); m++) {
        for (guint64 seed = 1; seed <= seeds(2); seed++) {
            g_autofree char *text = g_strdup_printf(nofailover_scenario, modes[m]);
            g_autoptr(SimRunResult) r = run_scenario(text, seed, NULL, FALSE);
            gint n1 = node_index(r, "n1"), n4 = node_index(r, "n4");
            const SimNodeEvent *p = NULL;
            ck_assert_msg(promotions_of(r, n1, &p) == 1, "%s seed %" G_GUINT64_FORMAT, modes[m],
                          seed);
            ck_assert_int_eq((gint)p->node, n4);
            /* Nothing before the admin's command, although n1 was FAIL for seconds. */
            ck_assert_msg(p->t_us >= 14 * RC_US_PER_S && p->t_us < 15 * RC_US_PER_S,
                          "%s seed %" G_GUINT64_FORMAT ": promoted at %" G_GINT64_FORMAT, modes[m],
                          seed, p->t_us);
            guint elections = 0;
            for (guint i = 0; i < r->node_events->len; i++)
                if (event_at(r, i)->event == RC_EVT_ELECTION_START)
                    elections++;
            ck_assert_uint_eq(elections, m == 0 ? 1 : 0); /* TAKEOVER asks for no votes */
            ck_assert(property_ok(r, "converged"));
        }
    }
}
END_TEST

/* A master is cut off with its clients (the minority) for longer than the node timeout: the
 * majority promotes its replica exactly once; the isolated master cannot win anything back;
 * after the heal it learns the new configuration (a PONG with the larger epoch, or an UPDATE)
 * and is demoted, and every node agrees on slot owners within 3 s of the heal. */
static const char *partition_scenario = "name failover-partition\n"
                                        "masters 3\n"
                                        "replicas 1\n"
                                        "node-timeout 2000\n"
                                        "latency uniform 200us 1ms\n"
                                        "client-latency uniform 100us 500us\n"
                                        "clients 4\n"
                                        "clients-near masters\n"
                                        "client-timeout 1s\n"
                                        "client-retries 3\n"
                                        "client-backoff 100ms\n"
                                        "workload set\n"
                                        "rate 200\n"
                                        "keys 100\n"
                                        "converge-within 20s\n"
                                        "duration 25s\n"
                                        "at 8s partition isolate n1 with-clients\n"
                                        "at 17s heal\n";

START_TEST(test_partitioned_master_replaced_then_demoted)
{
    guint n = seeds(4);
    for (guint64 seed = 1; seed <= n; seed++) {
        g_autoptr(SimRunResult) r = run_scenario(partition_scenario, seed, NULL, FALSE);
        gint n1 = node_index(r, "n1"), n4 = node_index(r, "n4");
        const SimNodeEvent *p = NULL;
        ck_assert_msg(promotions_of(r, n1, &p) == 1, "seed %" G_GUINT64_FORMAT, seed);
        ck_assert_int_eq((gint)p->node, n4);
        ck_assert_int_lt(p->t_us, 17 * RC_US_PER_S); /* the majority did it during the cut */
        ck_assert(promotions_of(r, n4, NULL) == 0);
        RcTime demoted = event_time(r, (guint)n1, RC_EVT_DEMOTED, n4, 17 * RC_US_PER_S);
        ck_assert_msg(demoted >= 0 && demoted - 17 * RC_US_PER_S <= 3 * RC_US_PER_S,
                      "seed %" G_GUINT64_FORMAT ": demoted at %" G_GINT64_FORMAT, seed, demoted);
        ck_assert(property_ok(r, "converged"));
        ck_assert(property_ok(r, "current-epoch-monotonic"));
        /* The minority's acknowledged writes may be lost, the majority's never. */
        ck_assert_uint_eq(r->check->lost_by_side[SIM_SIDE_MAJORITY], 0);
    }
}
END_TEST

Suite *failover_scenarios_suite(void);
Suite *failover_scenarios_suite(void)
{
    Suite *s = suite_create("failover_scenarios");
    TCase *tc = tcase_create("sim");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_master_crash_promotes_one_replica);
    tcase_add_test(tc, test_master_crash_two_replicas);
    tcase_add_test(tc, test_larger_offset_wins_most_seeds);
    tcase_add_test(tc, test_run_starts_after_replicas_synced);
    tcase_add_test(tc, test_manual_failover_under_load_loses_nothing);
    tcase_add_test(tc, test_resharding_under_load_loses_nothing_and_asks);
    tcase_add_test(tc, test_orphaned_master_gets_a_replica);
    tcase_add_test(tc, test_migrant_comes_from_the_master_with_the_most);
    tcase_add_test(tc, test_old_master_rejoins_as_replica);
    tcase_add_test(tc, test_no_failover_then_force_or_takeover);
    tcase_add_test(tc, test_partitioned_master_replaced_then_demoted);
    suite_add_tcase(s, tc);
    return s;
}
