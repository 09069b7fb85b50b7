/* One run of a scenario (run.h). Phases, all on virtual time:
 *   1. build: nodes n1.. (booting at seeded offsets within boot-spread), client hosts c1..,
 *      an admin host and a reader host; latencies.
 *   2. form the cluster as redis-cli --cluster create does (sim_cluster_create, from the
 *      admin host): ADDSLOTSRANGE on the masters, SET-CONFIG-EPOCH, MEET, wait until every
 *      node knows every other, REPLICATE, wait until converged; then wait a seeded
 *      [0, start-jitter). That instant is scenario time 0 (t0); every reported time counts
 *      from it.
 *   3. workload and nemesis until `duration`.
 *   4. final heal; wait (at most converge-within) for convergence and idle clients.
 *   5. final reads of every written key by the reader; then the checkers. */
#include "sim/run.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "core/cluster_types.h"
#include "core/node_private.h"
#include "core/replication.h"
#include "core/resp.h"
#include "rcsim_config.h"
#include "sim/cluster_create.h"
#include "sim/json_out.h"
#include "sim/rng.h"
#include "sim/run_private.h"
#include "sim/scenario_world.h"

#define FORM_LIMIT_US (120 * RC_US_PER_S)
#define POLL_US (100 * RC_US_PER_MS)
#define READ_LIMIT_US (120 * RC_US_PER_S)
#define NODE_EVENTS_MAX 20000

/* AddressSanitizer's leak check must see every run freed (SimRunOptions.is_exiting). */
#if defined(__SANITIZE_ADDRESS__)
#define RUN_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUN_HAS_ASAN 1
#endif
#endif
#ifndef RUN_HAS_ASAN
#define RUN_HAS_ASAN 0
#endif

/* ---- small helpers ---- */

RcTime sim_run_now(const SimRun *run)
{
    return sim_kernel_now(run->k) - run->t0_us;
}

SimSide sim_run_node_side(const SimRun *run, gint node)
{
    if (node < 0)
        return SIM_SIDE_NONE;
    return run->host_side[sim_world_node_host(run->world, (guint32)node)];
}

static RcCluster *node_cluster(SimRun *run, guint n)
{
    RcNode *node = sim_world_node(run->world, n);
    return node != NULL ? node->cluster : NULL;
}

gboolean sim_run_node_is_serving_master(SimRun *run, guint n)
{
    RcCluster *c = node_cluster(run, n);
    return c != NULL && c->myself != NULL && rc_node_is_master(c->myself) &&
           c->myself->numslots > 0;
}

void sim_run_record_nemesis(SimRun *run, const char *f, const char *value, gint fault)
{
    sim_history_add(run->history, sim_run_now(run), SIM_PROCESS_NEMESIS, SIM_OP_INFO, f, NULL,
                    value, NULL, -1, NULL, SIM_SIDE_NONE, fault);
    sim_trace_recordf(sim_kernel_trace(run->k), sim_kernel_now(run->k), SIM_TRACE_NOTE,
                      (guint64)(fault + 1), 0, 0, "nemesis %s %s", f, value ? value : "");
}

void sim_run_record_partition(SimRun *run, const char *f, GPtrArray *groups, const char *text,
                              gint fault)
{
    SimOpSpec op = {
        .time_us = sim_run_now(run),
        .worker = SIM_PROCESS_NEMESIS,
        .type = SIM_OP_INFO,
        .f = f,
        .kind = SIM_VALUE_GROUPS,
        .items = groups,
        .node = -1,
        .side = SIM_SIDE_NONE,
        .fault = fault,
    };
    sim_history_append(run->history, &op);
    /* the trace keeps the one-line text (and so the fingerprint it had) */
    sim_trace_recordf(sim_kernel_trace(run->k), sim_kernel_now(run->k), SIM_TRACE_NOTE,
                      (guint64)(fault + 1), 0, 0, "nemesis partition %s", text);
}

gint sim_run_node_by_id(const SimRun *run, const char *name40)
{
    for (guint i = 0; i < run->n_nodes; i++)
        if (run->node_ids[i][0] != '\0' && memcmp(run->node_ids[i], name40, 40) == 0)
            return (gint)i;
    return -1;
}

static void learn_ids(SimRun *run)
{
    for (guint i = 0; i < run->n_nodes; i++) {
        RcCluster *c = node_cluster(run, i);
        if (c != NULL && c->myself != NULL) {
            memcpy(run->node_ids[i], c->myself->name, 40);
            run->node_ids[i][40] = '\0';
        }
    }
}

/* ---- invariants sampled through the run ---- */

/* Every 100 ms of the run (Redis's cron period), from scenario time 0 to the final reads: no
 * two masters claim one slot with one configEpoch (sim_check_slot_claims). A crashed node
 * claims nothing; a paused one keeps its claims. Only reads node state: the run's course and
 * its trace are the same with or without it. */
static void on_claim_sample(SimKernel *k, gpointer data, guint64 arg)
{
    SimRun *run = data;
    if (run->done)
        return;
    /* the buffers live with the run: a sample is taken every 100 ms */
    if (run->claims == NULL) {
        run->claims = g_new(SimSlotClaim, run->n_nodes);
        run->claim_bitmaps = g_new(guint8, (gsize)run->n_nodes * (RC_CLUSTER_SLOTS / 8));
        run->claim_check_why = g_string_new(NULL);
    }
    SimSlotClaim *claims = run->claims;
    guint8 *bitmaps = run->claim_bitmaps;
    guint n = 0;
    for (guint i = 0; i < run->n_nodes; i++) {
        RcCluster *c = node_cluster(run, i);
        if (c == NULL || c->myself == NULL || !rc_node_is_master(c->myself) ||
            c->myself->numslots == 0)
            continue;
        guint8 *bitmap = bitmaps + (gsize)n * (RC_CLUSTER_SLOTS / 8);
        rc_cluster_node_slot_bitmap(c, c->myself, bitmap);
        claims[n++] =
            (SimSlotClaim){.node = i, .config_epoch = c->myself->config_epoch, .slots = bitmap};
    }
    run->claim_samples++;
    GString *why = run->claim_check_why;
    g_string_truncate(why, 0);
    if (!sim_check_slot_claims(claims, n, why)) {
        if (run->claim_failures++ == 0) {
            run->claim_first_bad_us = sim_run_now(run);
            run->claim_why = g_strdup(why->str);
        }
    }
    sim_kernel_schedule_in(k, POLL_US, on_claim_sample, run, 0);
}

/* ---- node events ---- */

static void on_node_action(guint32 node, RcTime now_us, const RcAction *a, gpointer user)
{
    SimRun *run = user;
    if (a->kind != RC_ACT_EVENT || run->t0_us < 0 || run->events == NULL)
        return; /* NULL: the run is over and its events went to the result */
    SimNodeEvent e = {
        .t_us = now_us - run->t0_us,
        .node = node,
        .event = a->event,
        .peer = a->peer[0] ? sim_run_node_by_id(run, a->peer) : -1,
        .value = a->value,
    };
    g_array_append_val(run->events, e);
}

/* ---- cluster formation (redis-cli --cluster create, sim_cluster_create) ---- */

/* The formation's last wait: the run's own convergence check, and every replica's
 * replication link up (master_link_status:up), as an experimenter waits before starting a
 * workload (tools/fidelity/run.sh does): a fault before a replica's first full sync would
 * find it with no data, unable to fail over. It reads slot owners as node indices, so the ids
 * are learnt first (every node is up and known by then). */
static gboolean formation_converged(gpointer user, GString *why)
{
    SimRun *run = user;
    learn_ids(run);
    if (!sim_run_converged(run, why))
        return FALSE;
    for (guint i = 0; i < run->n_nodes; i++) {
        RcNode *node = sim_world_node(run->world, i);
        gint64 last_ms, down_ms;
        if (!rc_node_is_master(node->cluster->myself) &&
            !rc_repl_master_link_up(node, &last_ms, &down_ms)) {
            g_string_printf(why, "%s's replication link is down", run->node_names[i]);
            return FALSE;
        }
    }
    return TRUE;
}

/* Form the cluster from the run's admin client once every node has booted, until
 * sim_run_converged(); FALSE with why not: the failed command
 * ("n1: CLUSTER ADDSLOTSRANGE: timeout")
 * or "not converged within 120 s". */
static gboolean form_cluster(SimRun *run, char **why)
{
    SimClusterSpec spec;
    sim_cluster_spec_init(&spec, run->world, run->sc->masters, run->sc->replicas);
    spec.start_at_us = sim_kernel_now(run->k) + run->sc->boot_spread_us + RC_US_PER_MS;
    spec.limit_us = FORM_LIMIT_US;
    spec.admin = run->admin;
    spec.formed = formation_converged;
    spec.formed_user = run;
    g_autoptr(GError) error = NULL;
    if (!sim_cluster_create(run->world, &spec, NULL, &error)) {
        if (g_error_matches(error, SIM_CLUSTER_CREATE_ERROR, SIM_CLUSTER_CREATE_ERROR_TIMEOUT))
            *why = g_strdup_printf("not converged within %" G_GINT64_FORMAT " s",
                                   FORM_LIMIT_US / RC_US_PER_S);
        else
            *why = g_strdup(error->message);
        return FALSE;
    }
    learn_ids(run);
    return TRUE;
}

/* Time 0 (the workload's and the nemesis's clock) comes a seeded while after the cluster
 * formed. Formation ends on a 100 ms poll shortly after the nodes booted, so without this a
 * fault `at 10s` would hit every seed at about the same point of every node's once-a-second
 * cron work (the oldest-of-five ping, the replication cron), and results such as when the
 * majority first pings a cut-off master would lean on that phase. An experimenter's clock has
 * no such relation to the servers'. */
static RcTime start_after_jitter(SimRun *run, guint64 seed)
{
    if (run->sc->start_jitter_us <= 0)
        return 0;
    g_autoptr(GRand) rng = sim_rng_stream(seed, SIM_RNG_SCENARIO, 1);
    RcTime lead = (RcTime)(g_rand_double(rng) * (double)run->sc->start_jitter_us);
    rc_assert(lead >= 0 && lead < run->sc->start_jitter_us);
    sim_world_run(run->world, sim_kernel_now(run->k) + lead, 0);
    return lead;
}

/* ---- end phases ---- */

static void final_read_next(SimRun *run);

/* The final reads' value kinds: SMEMBERS a set, LRANGE a list, GET a register's string or a
 * counter's integer. */
static void read_done(SimClient *c, SimClientResult *res, gpointer user)
{
    SimRun *run = user;
    const char *key = g_ptr_array_index(run->written_order, run->read_next);
    const SimScenario *sc = run->sc;
    SimOpSpec op = {
        .time_us = sim_run_now(run),
        .worker = (gint)run->n_procs,
        .type = res->type,
        .f = "read",
        .key = key,
        .kind = SIM_VALUE_NIL,
        .node = res->node,
        .error = res->error,
        .side = SIM_SIDE_NONE,
        .fault = -1,
    };
    const SimReply *reply = res->type == SIM_OP_OK ? res->reply : NULL;
    if (reply != NULL && reply->type == SIM_REPLY_ARRAY) {
        op.kind = sc->use_rpush ? SIM_VALUE_LIST : SIM_VALUE_SET;
        /* the elements live with the history's strings: a final read returns thousands */
        op.items = g_ptr_array_sized_new((guint)reply->n);
        g_ptr_array_set_size(op.items, (guint)reply->n); /* room, filled in place below */
        guint kept = 0;
        for (gsize i = 0; i < reply->n; i++)
            if (reply->elements[i]->type == SIM_REPLY_BULK)
                op.items->pdata[kept++] =
                    sim_history_keep_string(run->history, reply->elements[i]->str);
        g_ptr_array_set_size(op.items, kept);
    } else if (reply != NULL && sc->workload == SIM_WORKLOAD_COUNTER) {
        op.kind = SIM_VALUE_INT;
        if (!sim_counter_value(reply, &op.num)) {
            op.kind = SIM_VALUE_STRING; /* not a counter: keep what was read */
            op.value = reply->str;
        }
    } else if (reply != NULL && reply->type == SIM_REPLY_BULK) {
        op.kind = SIM_VALUE_STRING;
        op.value = reply->str;
    }
    sim_history_append(run->history, &op);
    run->read_next++;
    final_read_next(run);
}

static void final_read_next(SimRun *run)
{
    if (run->read_next >= run->written_order->len) {
        run->done = TRUE;
        sim_kernel_stop(run->k);
        return;
    }
    const SimScenario *sc = run->sc;
    const char *key = g_ptr_array_index(run->written_order, run->read_next);
    sim_history_add(run->history, sim_run_now(run), (gint)run->n_procs, SIM_OP_INVOKE, "read", key,
                    NULL, NULL, -1, NULL, SIM_SIDE_NONE, -1);
    if (sc->workload == SIM_WORKLOAD_SET && sc->use_rpush) {
        const char *argv[] = {"LRANGE", key, "0", "-1"};
        sim_client_request(run->reader, 4, argv, key, FALSE, read_done, run);
    } else if (sc->workload == SIM_WORKLOAD_SET) {
        const char *argv[] = {"SMEMBERS", key};
        sim_client_request(run->reader, 2, argv, key, FALSE, read_done, run);
    } else {
        const char *argv[] = {"GET", key};
        sim_client_request(run->reader, 2, argv, key, FALSE, read_done, run);
    }
}

static void on_converge_poll(SimKernel *k, gpointer data, guint64 arg)
{
    SimRun *run = data;
    RcTime since = sim_kernel_now(k) - run->heal_us;
    g_autoptr(GString) why = g_string_new(NULL);
    if (run->converged_us < 0 && sim_run_converged(run, why))
        run->converged_us = sim_kernel_now(k);
    gboolean idle = sim_workload_idle(run) && !run->admin_busy;
    if ((run->converged_us >= 0 || since >= run->sc->converge_within_us) && idle) {
        final_read_next(run);
        return;
    }
    sim_kernel_schedule_in(k, POLL_US, on_converge_poll, run, 0);
}

static void on_duration(SimKernel *k, gpointer data, guint64 arg)
{
    SimRun *run = data;
    sim_workload_stop(run);
    sim_nemesis_final_heal(run);
    run->heal_us = sim_kernel_now(k);
    on_converge_poll(k, run, 0);
}

/* ---- building ---- */

static void node_config(const SimScenario *sc, guint n, RcNodeConfig *cfg)
{
    rc_node_config_init(cfg, "127.0.0.1", (guint16)(30001 + n));
    sim_scenario_node_options(sc, cfg);
}

static SimRun *run_build(const SimScenario *sc, guint64 seed)
{
    SimRun *run = g_new0(SimRun, 1);
    run->sc = sc;
    run->seed = seed;
    run->t0_us = -1;
    run->open_partition = -1;
    run->part_bridge = G_MAXUINT32;
    run->converged_us = -1;
    run->claim_first_bad_us = -1;
    run->world = sim_world_new(seed);
    if (sc->clock_phase_us > 0) {
        SimRng phase = sim_rng_small(seed, SIM_RNG_SCENARIO, 2);
        sim_world_set_clock_origin(run->world,
                                   (RcTime)sim_rng_below(&phase, (guint64)sc->clock_phase_us));
    }
    run->k = sim_world_kernel(run->world);
    run->net = sim_world_net(run->world);
    sim_net_set_syn_linear_timeouts(run->net, sc->tcp_syn_linear_timeouts);
    sim_net_set_mss(run->net, sc->tcp_mss);
    run->history = sim_history_new();
    /* an invocation and a completion per arrival, plus some slack */
    sim_history_reserve(
        run->history,
        (guint64)(2.2 * sc->rate * sc->clients * ((double)sc->duration_us / RC_US_PER_S)) + 1024);
    run->faults = g_ptr_array_new_with_free_func((GDestroyNotify)sim_fault_free);
    run->events = g_array_new(FALSE, FALSE, sizeof(SimNodeEvent));
    run->key_written = g_new0(gboolean, sc->keys);
    run->written_order = g_ptr_array_new_with_free_func(g_free);
    run->nemesis_rng = sim_rng_stream(seed, SIM_RNG_NEMESIS, 0);
    g_queue_init(&run->admin_queue);

    run->n_nodes = sim_scenario_nodes(sc);
    run->node_names = g_new0(char *, run->n_nodes + 1);
    run->node_ids = g_malloc0(sizeof(*run->node_ids) * run->n_nodes);
    run->addrs = g_new0(SimNodeAddr, run->n_nodes);
    run->crash_fault = g_new(gint, run->n_nodes);
    run->pause_fault = g_new(gint, run->n_nodes);
    run->skew_fault = g_new(gint, run->n_nodes);
    g_autoptr(GRand) boot_rng = sim_rng_stream(seed, SIM_RNG_SCENARIO, 0);
    for (guint n = 0; n < run->n_nodes; n++) {
        RcNodeConfig cfg;
        node_config(sc, n, &cfg);
        run->node_names[n] = g_strdup_printf("n%u", n + 1);
        g_strlcpy(run->addrs[n].ip, cfg.ip, sizeof run->addrs[n].ip);
        run->addrs[n].port = cfg.port;
        RcTime boot = sc->boot_spread_us > 0
                          ? (RcTime)(g_rand_double(boot_rng) * (double)sc->boot_spread_us)
                          : 0;
        sim_world_add_node(run->world, run->node_names[n], &cfg, boot);
        run->crash_fault[n] = run->pause_fault[n] = run->skew_fault[n] = -1;
    }
    run->history->node_names = run->node_names;
    run->history->n_node_names = run->n_nodes;

    SimClientConfig ccfg = {
        .timeout_us = sc->client_timeout_us,
        .retries = sc->client_retries,
        .backoff_us = sc->client_backoff_us,
        .wait_replicas = sc->wait_replicas,
        .wait_timeout_ms = sc->wait_timeout_ms,
    };
    run->n_client_hosts = sc->clients;
    run->client_hosts = g_new0(SimClientHost, run->n_client_hosts);
    run->n_procs = sc->clients * sc->concurrency;
    /* Jepsen's processes: the workload's processes, then the final reader (worker n_procs) */
    sim_history_set_workers(run->history, run->n_procs + 1);
    run->procs = g_new0(SimProcess, run->n_procs);
    for (guint i = 0; i < sc->clients; i++) {
        SimClientHost *ch = &run->client_hosts[i];
        g_autofree char *name = g_strdup_printf("c%u", i + 1);
        g_autofree char *ip = g_strdup_printf("10.0.%u.%u", (i + 1) / 250, (i + 1) % 250 + 1);
        ch->index = i;
        ch->host = sim_world_add_client_host(run->world, name, ip);
        ch->home = sim_scenario_client_home(sc, i);
        ch->rng = sim_rng_stream(seed, SIM_RNG_WORKLOAD, i);
        ch->first_proc = i * sc->concurrency;
        for (guint j = 0; j < sc->concurrency; j++) {
            guint pi = ch->first_proc + j;
            SimProcess *p = &run->procs[pi];
            p->run = run;
            p->index = pi;
            p->client_host = i;
            p->host = ch->host;
            p->home = ch->home;
            p->client =
                sim_client_new(run->net, p->host, pi, &ccfg, run->addrs, run->n_nodes, p->home);
            if (j > 0) /* one application per client host: one slot cache */
                sim_client_share_slot_map(p->client, run->procs[ch->first_proc].client);
        }
    }
    SimClientConfig acfg = {.timeout_us = 5 * RC_US_PER_S, .retries = 0, .backoff_us = 0};
    run->admin_host = sim_world_add_client_host(run->world, "admin", "10.1.0.1");
    run->admin =
        sim_client_new(run->net, run->admin_host, G_MAXUINT, &acfg, run->addrs, run->n_nodes, 0);
    SimClientConfig rcfg = {
        .timeout_us = RC_US_PER_S, .retries = 30, .backoff_us = 200 * RC_US_PER_MS};
    run->reader_host = sim_world_add_client_host(run->world, "reader", "10.1.0.2");
    run->reader = sim_client_new(run->net, run->reader_host, G_MAXUINT - 1, &rcfg, run->addrs,
                                 run->n_nodes, 0);
    run->n_hosts = sim_net_n_hosts(run->net);
    run->host_side = g_new0(SimSide, run->n_hosts);

    sim_scenario_apply_timings(sc, run->world);
    SimLatency startup, clat;
    sim_scenario_latency(&sc->startup_time, &startup);
    sim_world_set_startup(run->world, &startup);
    sim_scenario_latency(&sc->client_latency, &clat);
    g_autoptr(SimHostSet) nodes = sim_host_set_new(run->net);
    g_autoptr(SimHostSet) others = sim_host_set_new(run->net);
    for (guint32 h = 0; h < run->n_hosts; h++) {
        gboolean is_node = FALSE;
        for (guint n = 0; n < run->n_nodes && !is_node; n++)
            is_node = sim_world_node_host(run->world, n) == h;
        sim_host_set_add(is_node ? nodes : others, h);
    }
    sim_net_set_latency_between(run->net, nodes, others, &clat);
    sim_world_set_observer(run->world, on_node_action, run);
    return run;
}

static void run_free(SimRun *run)
{
    sim_world_set_observer(run->world, NULL, NULL);
    sim_workload_free(run);
    sim_nemesis_free(run);
    sim_client_free(run->admin);
    sim_client_free(run->reader);
    sim_world_free(run->world);
    sim_history_free(run->history);
    if (run->faults)
        g_ptr_array_unref(run->faults);
    if (run->events)
        g_array_free(run->events, TRUE);
    g_strfreev(run->node_names);
    g_free(run->node_ids);
    g_free(run->addrs);
    g_free(run->crash_fault);
    g_free(run->pause_fault);
    g_free(run->skew_fault);
    g_free(run->host_side);
    g_free(run->key_written);
    g_ptr_array_unref(run->written_order);
    g_rand_free(run->nemesis_rng);
    g_free(run->claim_why);
    g_free(run->claims);
    g_free(run->claim_bitmaps);
    if (run->claim_check_why != NULL)
        g_string_free(run->claim_check_why, TRUE);
    g_free(run);
}

/* ---- metrics and summary ---- */

static guint nemesis_errors(const SimRunResult *r)
{
    guint n = 0;
    for (guint i = 0; r->faults != NULL && i < r->faults->len; i++)
        n += ((SimFault *)g_ptr_array_index(r->faults, i))->error != NULL;
    return n;
}

static guint replica_migrations(const SimRunResult *r)
{
    guint n = 0;
    for (guint i = 0; r->node_events != NULL && i < r->node_events->len; i++)
        n += g_array_index(r->node_events, SimNodeEvent, i).event == RC_EVT_REPLICA_MIGRATION;
    return n;
}

gboolean sim_run_metric(const SimRunResult *r, const char *metric, double *value)
{
    const SimCheckResult *c = r->check;
    struct {
        const char *name;
        double v;
    } simple[] = {
        {"acked", (double)c->acked},
        {"lost", (double)c->lost},
        {"lost.majority", (double)c->lost_by_side[SIM_SIDE_MAJORITY]},
        {"lost.minority", (double)c->lost_by_side[SIM_SIDE_MINORITY]},
        {"lost.none", (double)c->lost_by_side[SIM_SIDE_NONE]},
        {"indeterminate", (double)c->indeterminate},
        {"recovered", (double)c->recovered},
        {"ok-ops", (double)c->ok_ops},
        {"unavailable.majority", (double)c->unavailable_us[SIM_SIDE_MAJORITY] / 1000.0},
        {"unavailable.minority", (double)c->unavailable_us[SIM_SIDE_MINORITY] / 1000.0},
        {"unavailable.none", (double)c->unavailable_us[SIM_SIDE_NONE] / 1000.0},
        {"failovers", (double)c->failovers->len},
        {"migrations", (double)replica_migrations(r)},
        {"nemesis-errors", (double)nemesis_errors(r)},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(simple); i++)
        if (strcmp(simple[i].name, metric) == 0) {
            *value = simple[i].v;
            return TRUE;
        }
    /* window.SIDE: the width (last - first lost ack); window-last.SIDE: the last lost ack from
     * its fault's start, which the node-timeout bound applies to. Both 0 without a loss. */
    gboolean width = g_str_has_prefix(metric, "window."),
             last = g_str_has_prefix(metric, "window-last.");
    if (width || last) {
        const char *side_name = strchr(metric, '.') + 1;
        SimSide side = strcmp(side_name, "majority") == 0 ? SIM_SIDE_MAJORITY : SIM_SIDE_MINORITY;
        const SimWindow *w = &c->window[side];
        if (!w->present)
            *value = 0;
        else
            *value = (double)(last ? w->last_us : w->last_us - w->first_us) / 1000.0;
        return TRUE;
    }
    if (strcmp(metric, "failover-ms") == 0) {
        for (guint i = 0; i < c->failovers->len; i++) {
            const SimFailover *fo = &g_array_index(c->failovers, SimFailover, i);
            if (fo->fault_us >= 0) {
                *value = (double)(fo->promoted_us - fo->fault_us) / 1000.0;
                return TRUE;
            }
        }
        return FALSE;
    }
    if (strcmp(metric, "converge-ms") == 0) {
        if (r->converge_us < 0)
            return FALSE;
        *value = (double)r->converge_us / 1000.0;
        return TRUE;
    }
    return FALSE;
}

static void json_ms_or_null(SimJsonOut *b, const char *name, RcTime us)
{
    sim_json_out_set_member_name(b, name);
    if (us < 0)
        sim_json_out_add_null_value(b);
    else
        sim_json_out_add_int_value(b, us / 1000);
}

static void json_names(SimJsonOut *b, const char *name, GPtrArray *names)
{
    sim_json_out_set_member_name(b, name);
    sim_json_out_begin_array(b);
    for (guint i = 0; i < names->len; i++)
        sim_json_out_add_string_value(b, g_ptr_array_index(names, i));
    sim_json_out_end_array(b);
}

static const char *node_name_or_null(const SimRunResult *r, gint n)
{
    return n >= 0 ? r->node_names[n] : NULL;
}

static void json_string_or_null(SimJsonOut *b, const char *name, const char *v)
{
    sim_json_out_set_member_name(b, name);
    if (v == NULL)
        sim_json_out_add_null_value(b);
    else
        sim_json_out_add_string_value(b, v);
}

static char *summary_json(const SimRunResult *r, const SimScenario *sc)
{
    const SimCheckResult *c = r->check;
    SimJsonOut out = {.out = g_string_sized_new(64 * 1024)};
    SimJsonOut *b = &out;
    sim_json_out_begin_object(b);
    sim_json_out_string_member(b, "scenario", r->scenario_path);
    sim_json_out_string_member(b, "scenario_name", r->scenario_name);
    sim_json_out_int_member(b, "seed", (gint64)r->seed);
    sim_json_out_string_member(b, "trace_sha256", r->trace_sha256);
    sim_json_out_int_member(b, "sim_time_ms", r->sim_time_us / 1000);
    sim_json_out_int_member(b, "start_lead_ms", r->start_lead_us / 1000);
    sim_json_out_int_member(b, "events", (gint64)r->events);
    sim_json_out_string_member(b, "rcsim_version", RCSIM_VERSION);
    sim_json_out_string_member(b, "replay", r->replay);
    sim_json_out_boolean_member(b, "ok", r->ok);
    sim_json_out_boolean_member(b, "aborted", r->aborted);
    sim_json_out_boolean_member(b, "converged", r->converged);
    json_ms_or_null(b, "converge_ms", r->converge_us);

    sim_json_out_set_member_name(b, "params");
    sim_json_out_begin_object(b);
    for (guint i = 0; i < sc->param_names->len; i++) {
        const char *name = g_ptr_array_index(sc->param_names, i);
        const char *v = g_ptr_array_index(sc->param_values, i);
        sim_json_out_set_member_name(b, name);
        gint64 iv;
        char *end = NULL;
        if (sim_scenario_param_is_number(name) && (iv = g_ascii_strtoll(v, &end, 10), *end == 0))
            sim_json_out_add_int_value(b, iv);
        else if (sim_scenario_param_is_number(name))
            sim_json_out_add_double_value(b, g_ascii_strtod(v, NULL));
        else
            sim_json_out_add_string_value(b, v);
    }
    sim_json_out_end_object(b);

    sim_json_out_set_member_name(b, "writes");
    sim_json_out_begin_object(b);
    sim_json_out_int_member(b, "acked", (gint64)c->acked);
    sim_json_out_int_member(b, "lost", (gint64)c->lost);
    sim_json_out_set_member_name(b, "lost_by_side");
    sim_json_out_begin_object(b);
    for (int s = 0; s < 3; s++) {
        sim_json_out_int_member(b, sim_side_name((SimSide)s), (gint64)c->lost_by_side[s]);
    }
    sim_json_out_end_object(b);
    sim_json_out_int_member(b, "indeterminate", (gint64)c->indeterminate);
    sim_json_out_int_member(b, "recovered", (gint64)c->recovered);
    sim_json_out_int_member(b, "unread", (gint64)c->unread);
    sim_json_out_int_member(b, "ok_ops", (gint64)c->ok_ops);
    sim_json_out_end_object(b);

    sim_json_out_set_member_name(b, "loss_window");
    sim_json_out_begin_object(b);
    /* majority and minority first (the contract's), then none: writes acked while no
     * partition was in force, from the start of the latest fault before their ack */
    static const SimSide window_sides[] = {SIM_SIDE_MAJORITY, SIM_SIDE_MINORITY, SIM_SIDE_NONE};
    for (gsize i = 0; i < G_N_ELEMENTS(window_sides); i++) {
        SimSide s = window_sides[i];
        sim_json_out_set_member_name(b, sim_side_name(s));
        const SimWindow *w = &c->window[s];
        if (!w->present) {
            sim_json_out_add_null_value(b);
            continue;
        }
        sim_json_out_begin_object(b);
        sim_json_out_int_member(b, "first_ms", w->first_us / 1000);
        sim_json_out_int_member(b, "last_ms", w->last_us / 1000);
        sim_json_out_int_member(b, "width_ms", (w->last_us - w->first_us) / 1000);
        sim_json_out_end_object(b);
    }
    sim_json_out_end_object(b);

    sim_json_out_set_member_name(b, "unavailable_ms");
    sim_json_out_begin_object(b);
    for (int s = 0; s < 3; s++) {
        sim_json_out_int_member(b, sim_side_name((SimSide)s), c->unavailable_us[s] / 1000);
    }
    sim_json_out_end_object(b);

    sim_json_out_set_member_name(b, "failovers");
    sim_json_out_begin_array(b);
    for (guint i = 0; i < c->failovers->len; i++) {
        const SimFailover *fo = &g_array_index(c->failovers, SimFailover, i);
        sim_json_out_begin_object(b);
        json_string_or_null(b, "failed_node", node_name_or_null(r, fo->failed_node));
        json_string_or_null(b, "promoted_node", node_name_or_null(r, fo->promoted_node));
        json_ms_or_null(b, "fault_ms", fo->fault_us);
        json_ms_or_null(b, "pfail_ms", fo->pfail_us);
        json_ms_or_null(b, "fail_ms", fo->fail_us);
        json_ms_or_null(b, "election_ms", fo->election_us);
        json_ms_or_null(b, "promoted_ms", fo->promoted_us);
        sim_json_out_int_member(b, "epoch", (gint64)fo->epoch);
        sim_json_out_end_object(b);
    }
    sim_json_out_end_array(b);

    sim_json_out_set_member_name(b, "replica_migrations");
    sim_json_out_begin_array(b);
    for (guint i = 0; r->node_events != NULL && i < r->node_events->len; i++) {
        const SimNodeEvent *e = &g_array_index(r->node_events, SimNodeEvent, i);
        if (e->event != RC_EVT_REPLICA_MIGRATION)
            continue;
        sim_json_out_begin_object(b);
        json_string_or_null(b, "replica", node_name_or_null(r, (gint)e->node));
        json_string_or_null(b, "to_master", node_name_or_null(r, e->peer));
        json_ms_or_null(b, "at_ms", e->t_us);
        sim_json_out_end_object(b);
    }
    sim_json_out_end_array(b);

    sim_json_out_set_member_name(b, "faults");
    sim_json_out_begin_array(b);
    for (guint i = 0; i < r->faults->len; i++) {
        const SimFault *f = g_ptr_array_index(r->faults, i);
        sim_json_out_begin_object(b);
        sim_json_out_string_member(b, "kind", f->kind);
        json_ms_or_null(b, "start_ms", f->start_us);
        json_ms_or_null(b, "end_ms", f->end_us);
        sim_json_out_string_member(b, "label", f->label);
        json_string_or_null(b, "error", f->error);
        json_names(b, "majority", f->majority);
        json_names(b, "minority", f->minority);
        sim_json_out_set_member_name(b, "groups");
        sim_json_out_begin_array(b);
        for (guint g = 0; g < f->groups->len; g++) {
            GPtrArray *names = g_ptr_array_index(f->groups, g);
            sim_json_out_begin_array(b);
            for (guint j = 0; j < names->len; j++)
                sim_json_out_add_string_value(b, g_ptr_array_index(names, j));
            sim_json_out_end_array(b);
        }
        sim_json_out_end_array(b);
        sim_json_out_set_member_name(b, "nodes");
        sim_json_out_begin_array(b);
        for (guint j = 0; j < f->nodes->len; j++)
            sim_json_out_add_string_value(b, r->node_names[g_array_index(f->nodes, guint, j)]);
        sim_json_out_end_array(b);
        sim_json_out_end_object(b);
    }
    sim_json_out_end_array(b);

    sim_json_out_set_member_name(b, "lost_writes");
    sim_json_out_begin_array(b);
    for (guint i = 0; i < c->lost_writes->len; i++) {
        const SimLostWrite *l = &g_array_index(c->lost_writes, SimLostWrite, i);
        sim_json_out_begin_object(b);
        sim_json_out_int_member(b, "process", g_ascii_strtoll(l->process, NULL, 10));
        json_string_or_null(b, "key", l->key);
        json_string_or_null(b, "value", l->value);
        json_string_or_null(b, "node", node_name_or_null(r, l->node));
        sim_json_out_string_member(b, "side", sim_side_name(l->side));
        json_ms_or_null(b, "ack_ms", l->ack_us);
        sim_json_out_set_member_name(b, "fault_index");
        if (l->fault < 0)
            sim_json_out_add_null_value(b);
        else
            sim_json_out_add_int_value(b, l->fault);
        sim_json_out_end_object(b);
    }
    sim_json_out_end_array(b);

    sim_json_out_set_member_name(b, "node_events");
    sim_json_out_begin_array(b);
    guint shown = MIN(r->node_events->len, NODE_EVENTS_MAX);
    for (guint i = 0; i < shown; i++) {
        const SimNodeEvent *e = &g_array_index(r->node_events, SimNodeEvent, i);
        sim_json_out_begin_object(b);
        sim_json_out_int_member(b, "t_ms", e->t_us / 1000);
        sim_json_out_string_member(b, "node", r->node_names[e->node]);
        sim_json_out_string_member(b, "event", rc_event_kind_name(e->event));
        json_string_or_null(b, "peer", node_name_or_null(r, e->peer));
        sim_json_out_int_member(b, "value", (gint64)e->value);
        sim_json_out_end_object(b);
    }
    sim_json_out_end_array(b);
    sim_json_out_boolean_member(b, "node_events_truncated", shown < r->node_events->len);

    sim_json_out_set_member_name(b, "properties");
    sim_json_out_begin_array(b);
    for (guint i = 0; i < c->properties->len; i++) {
        const SimProperty *p = &g_array_index(c->properties, SimProperty, i);
        sim_json_out_begin_object(b);
        sim_json_out_string_member(b, "name", p->name);
        sim_json_out_boolean_member(b, "ok", p->ok);
        sim_json_out_string_member(b, "detail", p->detail);
        sim_json_out_end_object(b);
    }
    sim_json_out_end_array(b);
    sim_json_out_end_object(b);

    rc_assert(out.depth == 0);
    g_string_append_c(out.out, '\n');
    return g_string_free(out.out, FALSE);
}

char *sim_run_replay_command(const char *scenario_path, guint64 seed, const char *const *overrides)
{
    GString *s = g_string_new("build/rcsim run ");
    g_autofree char *q = g_shell_quote(scenario_path);
    g_string_append_printf(s, "%s --seed %" G_GUINT64_FORMAT, q, seed);
    for (guint i = 0; overrides != NULL && overrides[i] != NULL; i++) {
        g_autofree char *o = g_shell_quote(overrides[i]);
        g_string_append_printf(s, " --set %s", o);
    }
    return g_string_free(s, FALSE);
}

/* ---- the run ---- */

/* The `converged` property: seen by the poll within converge-within of the final heal. The
 * detail says what failed: a run stopped before the heal never had its convergence checked,
 * one stopped after it may not have waited the whole bound, and nodes that agree when the
 * run ends may have done so only after the bound. */
static void check_converged(SimRun *run, SimRunResult *res)
{
    SimCheckResult *c = res->check;
    RcTime within_ms = run->sc->converge_within_us / RC_US_PER_MS;
    g_autoptr(GString) why = g_string_new(NULL);
    gboolean agree_at_end = sim_run_converged(run, why);
    if (res->converged && res->converge_us <= run->sc->converge_within_us) {
        sim_check_add_property(c, "converged", TRUE,
                               "converged %" G_GINT64_FORMAT " ms after the final heal; %s",
                               res->converge_us / RC_US_PER_MS, why->str);
        return;
    }
    if (res->converged) {
        sim_check_add_property(
            c, "converged", FALSE,
            "converged %" G_GINT64_FORMAT
            " ms after the final heal, later than converge-within (%" G_GINT64_FORMAT " ms)",
            res->converge_us / RC_US_PER_MS, within_ms);
        return;
    }
    if (!run->healed) {
        sim_check_add_property(c, "converged", FALSE,
                               "not checked: the run stopped at %.3f s, before the final heal "
                               "at %.3f s (see run-completed)",
                               (double)sim_run_now(run) / RC_US_PER_S,
                               (double)run->sc->duration_us / RC_US_PER_S);
        return;
    }
    RcTime waited_ms = (sim_kernel_now(run->k) - run->heal_us) / RC_US_PER_MS;
    if (waited_ms < within_ms)
        sim_check_add_property(c, "converged", FALSE,
                               "not seen: the run stopped %" G_GINT64_FORMAT
                               " ms after the final heal, before converge-within (%" G_GINT64_FORMAT
                               " ms) had passed (see run-completed); when it stopped, %s%s",
                               waited_ms, within_ms,
                               agree_at_end ? "" : "not converged: ", why->str);
    else if (agree_at_end)
        sim_check_add_property(c, "converged", FALSE,
                               "not converged within %" G_GINT64_FORMAT
                               " ms of the final heal; converged only later, by the end of the "
                               "run %" G_GINT64_FORMAT " ms after the heal",
                               within_ms, waited_ms);
    else
        sim_check_add_property(c, "converged", FALSE,
                               "not converged within %" G_GINT64_FORMAT
                               " ms of the final heal, nor by the end of the run: %s",
                               within_ms, why->str);
}

static void check_run(SimRun *run, SimRunResult *res, const char *form_error)
{
    SimCheckResult *c = res->check;
    const SimScenario *sc = run->sc;
    sim_check_add_property(c, "cluster-formed", form_error == NULL, "%s",
                           form_error ? form_error : "the cluster formed and converged");
    if (form_error != NULL)
        return;
    sim_check_history(run->history, run->faults, res->node_events, (gint)run->n_procs, c);
    sim_check_failovers(res->node_events, run->faults, c);
    sim_check_epochs(res->node_events, run->n_nodes, c);
    if (run->claim_failures == 0)
        sim_check_add_property(
            c, "slot-epochs-distinct", TRUE,
            "no two masters served one slot with one configEpoch (%" G_GUINT64_FORMAT
            " samples, every 100 ms)",
            run->claim_samples);
    else
        sim_check_add_property(c, "slot-epochs-distinct", FALSE,
                               "at %" G_GINT64_FORMAT " ms: %s (%" G_GUINT64_FORMAT
                               " of %" G_GUINT64_FORMAT " samples failed)",
                               run->claim_first_bad_us / 1000, run->claim_why, run->claim_failures,
                               run->claim_samples);
    res->converged = run->converged_us >= 0;
    res->converge_us = run->converged_us >= 0 ? run->converged_us - run->heal_us : -1;
    check_converged(run, res);
    sim_check_add_property(c, "final-reads", c->unread == 0 && run->done,
                           "%" G_GUINT64_FORMAT " acknowledged writes on keys never read back",
                           c->unread);
    sim_run_check_faults(c, run->faults);
    for (guint i = 0; i < sc->expectations->len; i++) {
        const SimExpectation *e = &g_array_index(sc->expectations, SimExpectation, i);
        double v = 0;
        gboolean has = sim_run_metric(res, e->metric, &v);
        gboolean ok = has && sim_compare_holds(e->cmp, v, e->value);
        g_autofree char *name =
            g_strdup_printf("expect %s %s %g", e->metric, sim_compare_name(e->cmp), e->value);
        if (has && strchr(e->bound, ' ') != NULL) /* a scaled bound: say how it was made */
            sim_check_add_property(c, name, ok, "%s = %g (line %u: %s)", e->metric, v, e->line,
                                   e->bound);
        else if (has)
            sim_check_add_property(c, name, ok, "%s = %g (line %u)", e->metric, v, e->line);
        else
            sim_check_add_property(c, name, FALSE, "%s has no value in this run (line %u)",
                                   e->metric, e->line);
    }
}

void sim_run_check_faults(SimCheckResult *c, const GPtrArray *faults)
{
    if (faults->len == 0)
        sim_check_add_property(c, "no-loss-without-faults", c->lost == 0,
                               "%" G_GUINT64_FORMAT " acknowledged writes lost without any fault",
                               c->lost);
    guint failed = 0;
    const SimFault *first = NULL;
    for (guint i = 0; i < faults->len; i++) {
        const SimFault *f = g_ptr_array_index(faults, i);
        if (f->error == NULL)
            continue;
        failed++;
        if (first == NULL)
            first = f;
    }
    if (first == NULL)
        sim_check_add_property(c, "nemesis-steps", TRUE,
                               "every nemesis step took effect (%u fault%s recorded)", faults->len,
                               faults->len == 1 ? "" : "s");
    else
        sim_check_add_property(c, "nemesis-steps", FALSE,
                               "%u step%s did not take effect, the first: %s %s at %.3f s: %s",
                               failed, failed == 1 ? "" : "s", first->kind, first->label,
                               (double)first->start_us / RC_US_PER_S, first->error);
}

static gboolean write_text(const char *dir, const char *name, const char *text, GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    return g_file_set_contents(path, text, -1, error);
}

SimRunResult *sim_run_execute(const SimScenario *sc, guint64 seed, const SimRunOptions *opt,
                              GError **error)
{
    if (opt->out_dir != NULL && g_mkdir_with_parents(opt->out_dir, 0755) != 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", opt->out_dir,
                    g_strerror(errno));
        return NULL;
    }
    SimRun *run = run_build(sc, seed);
    if (opt->out_dir != NULL) {
        g_autofree char *hpath = g_build_filename(opt->out_dir, "history.jsonl", NULL);
        if (!sim_history_open_jsonl(run->history, hpath, error)) {
            run_free(run);
            return NULL;
        }
        if (opt->trace) {
            g_autofree char *tpath = g_build_filename(opt->out_dir, "trace.log", NULL);
            if (!sim_trace_open_file(sim_kernel_trace(run->k), tpath, error)) {
                run_free(run);
                return NULL;
            }
        }
    }
    SimRunResult *res = g_new0(SimRunResult, 1);
    res->scenario_path = g_strdup(sc->path);
    res->scenario_name = g_strdup(sc->name);
    res->seed = seed;
    res->replay =
        opt->replay ? g_strdup(opt->replay) : sim_run_replay_command(sc->path, seed, NULL);
    res->check = sim_check_result_new();
    res->converge_us = -1;

    g_autofree char *form_error = NULL;
    SimRunEnd end = SIM_RUN_STOPPED;
    if (form_cluster(run, &form_error)) {
        res->start_lead_us = start_after_jitter(run, seed);
        run->t0_us = sim_kernel_now(run->k);
        sim_workload_start(run);
        sim_nemesis_schedule(run);
        on_claim_sample(run->k, run, 0);
        sim_kernel_schedule(run->k, run->t0_us + sc->duration_us, on_duration, run, 0);
        RcTime cap = run->t0_us + sc->duration_us + sc->converge_within_us + READ_LIMIT_US;
        guint64 left = (guint64)sc->max_events;
        end = sim_world_run(run->world, cap, left);
        res->aborted = !run->done || end == SIM_RUN_MAX_EVENTS;
    } else {
        run->t0_us = sim_kernel_now(run->k);
        res->aborted = TRUE;
    }
    res->sim_time_us = sim_run_now(run);
    res->events = sim_kernel_events(run->k);
    res->trace_sha256 = sim_trace_sha256(sim_kernel_trace(run->k));
    res->faults = g_ptr_array_ref(run->faults);
    res->node_events = g_steal_pointer(&run->events);
    check_run(run, res, form_error);
    if (res->aborted && form_error == NULL && end == SIM_RUN_MAX_EVENTS)
        sim_check_add_property(res->check, "run-completed", FALSE,
                               "stopped at %.3f s: max-events (%" G_GINT64_FORMAT ") reached",
                               (double)res->sim_time_us / RC_US_PER_S, sc->max_events);
    else if (res->aborted && form_error == NULL)
        sim_check_add_property(res->check, "run-completed", FALSE,
                               "stopped at %.3f s: the time cap (duration + converge-within + "
                               "%" G_GINT64_FORMAT " s for the final reads) passed before the "
                               "final reads ended",
                               (double)res->sim_time_us / RC_US_PER_S, READ_LIMIT_US / RC_US_PER_S);
    res->ok = sim_check_all_properties_hold(res->check);
    res->node_names = g_strdupv(run->node_names);
    res->summary_json = summary_json(res, sc);

    gboolean ok = TRUE;
    if (opt->out_dir != NULL) {
        sim_history_close(run->history);
        sim_trace_close_file(sim_kernel_trace(run->k));
        ok = write_text(opt->out_dir, "summary.json", res->summary_json, error);
        if (ok && opt->edn) {
            g_autofree char *epath = g_build_filename(opt->out_dir, "history.edn", NULL);
            ok = sim_history_write_edn(run->history, epath, SIM_EDN_INDEPENDENT, error);
        }
        /* Elle reads register and list histories as one-op transactions */
        SimEdnForm elle = sc->workload == SIM_WORKLOAD_REGISTER ? SIM_EDN_ELLE_RW_REGISTER
                          : sc->workload == SIM_WORKLOAD_SET && sc->use_rpush
                              ? SIM_EDN_ELLE_LIST_APPEND
                              : SIM_EDN_INDEPENDENT;
        if (ok && opt->edn && elle != SIM_EDN_INDEPENDENT) {
            g_autofree char *epath = g_build_filename(opt->out_dir, "history-elle.edn", NULL);
            ok = sim_history_write_edn(run->history, epath, elle, error);
        }
    }
    /* A process that exits next gives its memory back at once; freeing the world piece by
     * piece (every key of every node, every op) was some 5 % of a run. */
    if (!opt->is_exiting || RUN_HAS_ASAN)
        run_free(run);
    if (!ok) {
        sim_run_result_free(res);
        return NULL;
    }
    return res;
}

void sim_run_result_free(SimRunResult *r)
{
    if (r == NULL)
        return;
    g_free(r->scenario_path);
    g_free(r->scenario_name);
    g_free(r->trace_sha256);
    g_free(r->replay);
    sim_check_result_free(r->check);
    if (r->faults)
        g_ptr_array_unref(r->faults);
    if (r->node_events)
        g_array_free(r->node_events, TRUE);
    g_strfreev(r->node_names);
    g_free(r->summary_json);
    g_free(r);
}
