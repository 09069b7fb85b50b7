/* Workloads: each client process invokes one operation at a time at the scenario's rate.
 *
 * - set: SADD (or RPUSH) of a unique element "c<process>-<n>" to a key; read back after the
 *   heal with SMEMBERS (LRANGE 0 -1).
 * - register: SET of a unique value, or GET with probability read-ratio.
 * - counter: INCR, or GET with probability read-ratio.
 * Gaps between invocations are uniform in [0, 2/rate) so that the mean rate is `rate`; keys
 * are uniform over `keys` or drawn with weights 1/i^zipf-exponent (a hot set). Every draw
 * comes from the process's own stream (SIM_RNG_WORKLOAD, process index). */
#include <math.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/run_private.h"

static void invoke(SimProcess *p);

static guint pick_key(SimProcess *p)
{
    const SimScenario *sc = p->run->sc;
    if (sc->key_dist == SIM_KEYDIST_UNIFORM || sc->keys == 1)
        return (guint)g_rand_int_range(p->rng, 0, (gint32)sc->keys);
    /* inverse transform over the harmonic weights, computed on the fly: keys are few */
    double total = 0;
    for (guint i = 1; i <= sc->keys; i++)
        total += 1.0 / pow(i, sc->zipf_exponent);
    double u = g_rand_double(p->rng) * total;
    for (guint i = 1; i <= sc->keys; i++) {
        u -= 1.0 / pow(i, sc->zipf_exponent);
        if (u <= 0)
            return i - 1;
    }
    return sc->keys - 1;
}

static void on_tick(SimKernel *k, gpointer data, guint64 arg)
{
    SimProcess *p = data;
    p->timer = SIM_TIMER_NONE;
    invoke(p);
}

static void schedule_next(SimProcess *p)
{
    SimRun *run = p->run;
    double gap_s = g_rand_double(p->rng) * 2.0 / run->sc->rate;
    RcTime now = sim_kernel_now(run->k);
    /* A process that fell behind (a slow or timed-out request) does not catch up with a
     * burst: its next gap starts from now, as a Jepsen client's does. */
    p->next_at_us = MAX(p->next_at_us, now) + (RcTime)(gap_s * 1e6);
    RcTime at = p->next_at_us;
    if (at - run->t0_us >= run->sc->duration_us || p->stopped) {
        p->stopped = TRUE;
        return;
    }
    p->timer = sim_kernel_schedule(run->k, at, on_tick, p, 0);
}

static SimSide client_side(const SimProcess *p)
{
    return p->run->host_side[p->host];
}

static void on_done(SimClient *c, SimClientResult *res, gpointer user)
{
    SimProcess *p = user;
    SimRun *run = p->run;
    SimSide side = res->node >= 0 ? sim_run_node_side(run, res->node) : client_side(p);
    const char *value = p->value;
    char num[32];
    GPtrArray *read = NULL;
    if (res->type == SIM_OP_OK && res->reply != NULL) {
        if (res->reply->type == SIM_REPLY_INTEGER && strcmp(p->f, "incr") == 0) {
            g_snprintf(num, sizeof num, "%" G_GINT64_FORMAT, res->reply->integer);
            value = num;
        } else if (strcmp(p->f, "read") == 0) {
            value = res->reply->type == SIM_REPLY_BULK ? res->reply->str : NULL;
        }
    }
    sim_history_add(run->history, sim_run_now(run), (gint)p->index, res->type, p->f, p->key, value,
                    read, res->type == SIM_OP_OK ? res->node : res->node, res->error, side, -1);
    g_clear_pointer(&p->key, g_free);
    g_clear_pointer(&p->value, g_free);
    schedule_next(p);
}

static void invoke(SimProcess *p)
{
    SimRun *run = p->run;
    const SimScenario *sc = run->sc;
    if (p->stopped || run->workload_over)
        return;
    char keybuf[32];
    g_snprintf(keybuf, sizeof keybuf, "k%u", pick_key(p));
    p->key = g_strdup(keybuf);
    gboolean is_read = sc->workload != SIM_WORKLOAD_SET && sc->read_ratio > 0 &&
                       g_rand_double(p->rng) < sc->read_ratio;
    const char *argv[3];
    guint argc;
    if (is_read) {
        p->f = "read";
        argv[0] = "GET";
        argv[1] = p->key;
        argc = 2;
    } else if (sc->workload == SIM_WORKLOAD_COUNTER) {
        p->f = "incr";
        argv[0] = "INCR";
        argv[1] = p->key;
        argc = 2;
    } else {
        p->f = sc->workload == SIM_WORKLOAD_SET ? "add" : "write";
        p->value = g_strdup_printf("c%u-%" G_GUINT64_FORMAT, p->index + 1, ++p->next_value);
        argv[0] = sc->workload == SIM_WORKLOAD_REGISTER ? "SET" : sc->use_rpush ? "RPUSH" : "SADD";
        argv[1] = p->key;
        argv[2] = p->value;
        argc = 3;
    }
    if (!is_read && !g_hash_table_contains(run->written_keys, p->key)) {
        char *k = g_strdup(p->key);
        g_hash_table_add(run->written_keys, k);
        g_ptr_array_add(run->written_order, k);
    }
    sim_history_add(run->history, sim_run_now(run), (gint)p->index, SIM_OP_INVOKE, p->f, p->key,
                    p->value, NULL, -1, NULL, client_side(p), -1);
    sim_client_request(p->client, argc, argv, p->key, !is_read, on_done, p);
}

void sim_workload_start(SimRun *run)
{
    for (guint i = 0; i < run->n_procs; i++) {
        SimProcess *p = &run->procs[i];
        p->next_at_us = run->t0_us;
        schedule_next(p);
    }
}

void sim_workload_stop(SimRun *run)
{
    run->workload_over = TRUE;
    for (guint i = 0; i < run->n_procs; i++) {
        SimProcess *p = &run->procs[i];
        p->stopped = TRUE;
        sim_kernel_cancel(run->k, p->timer);
        p->timer = SIM_TIMER_NONE;
    }
}

gboolean sim_workload_idle(const SimRun *run)
{
    for (guint i = 0; i < run->n_procs; i++)
        if (sim_client_busy(run->procs[i].client))
            return FALSE;
    return TRUE;
}

void sim_workload_free(SimRun *run)
{
    for (guint i = 0; i < run->n_procs; i++) {
        SimProcess *p = &run->procs[i];
        sim_client_free(p->client);
        if (p->rng)
            g_rand_free(p->rng);
        g_free(p->key);
        g_free(p->value);
    }
    g_free(run->procs);
    run->procs = NULL;
}
