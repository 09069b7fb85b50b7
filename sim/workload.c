/* Workloads: client hosts invoke operations at the scenario's rate, each through one of its
 * `concurrency` processes (one request at a time each, as Jepsen's client processes).
 *
 * - set: SADD (or RPUSH) of a unique element "c<process>-<n>" to a key; read back after the
 *   heal with SMEMBERS (LRANGE 0 -1).
 * - register: SET of a unique value, or GET with probability read-ratio.
 * - counter: INCR, or GET with probability read-ratio. Recorded as Jepsen's counter: `add` of
 *   the integer 1 (what INCR returned goes beside it, in `returned`), reads of integers.
 * Arrivals on a client host are spaced by gaps uniform in [0, 2/rate): the mean rate is `rate`
 * while an idle process is at hand. When all of its processes are busy (a slow or timed-out
 * request on each) the next arrival waits for a completion and its gap starts from then, so a
 * client that fell behind does not catch up with a burst. With concurrency 1 that is one
 * closed-loop process; with more, requests stuck on an unreachable shard no longer stop the
 * client's other requests, as in an application with a pool of connections. Keys are uniform
 * over `keys` or drawn with weights 1/i^zipf-exponent (a hot set). Every draw comes from the
 * client host's own stream (SIM_RNG_WORKLOAD, client index). */
#include <math.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/run_private.h"

static void invoke(SimProcess *p);

static guint pick_key(SimClientHost *ch, const SimScenario *sc)
{
    if (sc->key_dist == SIM_KEYDIST_UNIFORM || sc->keys == 1)
        return (guint)g_rand_int_range(ch->rng, 0, (gint32)sc->keys);
    /* inverse transform over the harmonic weights, computed on the fly: keys are few */
    double total = 0;
    for (guint i = 1; i <= sc->keys; i++)
        total += 1.0 / pow(i, sc->zipf_exponent);
    double u = g_rand_double(ch->rng) * total;
    for (guint i = 1; i <= sc->keys; i++) {
        u -= 1.0 / pow(i, sc->zipf_exponent);
        if (u <= 0)
            return i - 1;
    }
    return sc->keys - 1;
}

/* The lowest-numbered idle process of a client host, or NULL. */
static SimProcess *idle_process(SimRun *run, const SimClientHost *ch)
{
    return ch->lowest_idle < run->sc->concurrency ? &run->procs[ch->first_proc + ch->lowest_idle]
                                                  : NULL;
}

/* Process p takes or leaves an op: keep its host's lowest idle process (a host has as many
 * as `concurrency` processes, and every arrival wants the lowest idle one). The next idle one
 * is found in the host's busy bits, 64 processes a word: while a partition holds many of them
 * busy, walking the processes themselves cost a cache miss each. */
static inline void set_busy(SimRun *run, SimProcess *p, gboolean busy)
{
    SimClientHost *ch = &run->client_hosts[p->client_host];
    guint j = p->index - ch->first_proc;
    guint64 *word = &ch->busy_bits[j / 64], bit = G_GUINT64_CONSTANT(1) << (j % 64);
    rc_assert(((*word & bit) != 0) == (p->busy != FALSE)); /* the bits follow SimProcess.busy */
    p->busy = busy;
    if (!busy) {
        *word &= ~bit;
        ch->lowest_idle = MIN(ch->lowest_idle, j);
        return;
    }
    *word |= bit;
    rc_assert(j == ch->lowest_idle); /* arrivals take the lowest idle process */
    rc_assert(run->sc->concurrency <= G_N_ELEMENTS(ch->busy_bits) * 64);
    /* p was the lowest idle one: the next is the first clear bit after it */
    ch->lowest_idle = sim_bits_next_clear(ch->busy_bits, ch->lowest_idle, run->sc->concurrency);
}

static void schedule_next(SimRun *run, SimClientHost *ch);

static void on_arrival(SimKernel *k, gpointer data, guint64 arg)
{
    SimRun *run = data;
    SimClientHost *ch = &run->client_hosts[arg];
    ch->timer = SIM_TIMER_NONE;
    if (ch->stopped || run->workload_over)
        return;
    SimProcess *p = idle_process(run, ch);
    rc_assert(p != NULL); /* arrivals are scheduled only while a process is idle */
    invoke(p);
    if (idle_process(run, ch) != NULL)
        schedule_next(run, ch);
    else
        ch->waiting = TRUE;
}

static void schedule_next(SimRun *run, SimClientHost *ch)
{
    double gap_s = g_rand_double(ch->rng) * 2.0 / run->sc->rate;
    RcTime now = sim_kernel_now(run->k);
    ch->next_at_us = MAX(ch->next_at_us, now) + (RcTime)(gap_s * 1e6);
    RcTime at = ch->next_at_us;
    if (at - run->t0_us >= run->sc->duration_us || ch->stopped) {
        ch->stopped = TRUE;
        return;
    }
    ch->timer = sim_kernel_schedule(run->k, at, on_arrival, run, ch->index);
}

static SimSide client_side(const SimProcess *p)
{
    return p->run->host_side[p->host];
}

gboolean sim_counter_value(const SimReply *reply, gint64 *v)
{
    if (reply->type != SIM_REPLY_BULK) {
        *v = 0;
        return TRUE;
    }
    char *end = NULL;
    *v = g_ascii_strtoll(reply->str, &end, 10);
    return end != reply->str && *end == '\0';
}

/* The completion: Jepsen's vocabulary (counter INCRs are `add` of 1 with what INCR returned
 * beside it; reads carry what they saw: a register's string or nil, a counter's integer). */
static void on_done(SimClient *c, SimClientResult *res, gpointer user)
{
    SimProcess *p = user;
    SimRun *run = p->run;
    gboolean counter = run->sc->workload == SIM_WORKLOAD_COUNTER;
    gboolean is_read = p->is_read;
    /* the invocation's own copies of the key and value, which the history shares as they are */
    const SimOp *inv = sim_history_open_invocation(run->history, (gint)p->index);
    rc_assert(inv != NULL && inv->type == SIM_OP_INVOKE && inv->f == p->f);
    SimOpSpec op = {
        .time_us = sim_run_now(run),
        .worker = (gint)p->index,
        .type = res->type,
        .f = p->f,
        .key = inv->key,
        .kind = counter && !is_read ? SIM_VALUE_INT
                : p->value != NULL  ? SIM_VALUE_STRING
                                    : SIM_VALUE_NIL,
        .value = p->value != NULL ? sim_op_value(inv) : NULL,
        .num = 1,
        .node = res->node,
        .error = res->error,
        .side = res->node >= 0 ? sim_run_node_side(run, res->node) : client_side(p),
        .fault = -1,
    };
    if (res->type == SIM_OP_OK && res->reply != NULL) {
        if (!is_read && counter && res->reply->type == SIM_REPLY_INTEGER) {
            op.has_returned = TRUE;
            op.returned = res->reply->integer;
        } else if (is_read && counter && sim_counter_value(res->reply, &op.num)) {
            op.kind = SIM_VALUE_INT;
        } else if (is_read) {
            op.kind = res->reply->type == SIM_REPLY_BULK ? SIM_VALUE_STRING : SIM_VALUE_NIL;
            op.value = res->reply->type == SIM_REPLY_BULK ? res->reply->str : NULL;
        }
    }
    sim_history_append(run->history, &op);
    p->key = NULL;
    p->value = NULL;
    set_busy(run, p, FALSE);
    SimClientHost *ch = &run->client_hosts[p->client_host];
    if (ch->waiting) {
        ch->waiting = FALSE;
        schedule_next(run, ch);
    }
}

G_STATIC_ASSERT(sizeof(((SimProcess *)NULL)->key_buf) >= 1 + 10 + 1);
G_STATIC_ASSERT(sizeof(((SimProcess *)NULL)->value_buf) >= 1 + 10 + 1 + 20 + 1);

/* "00" .. "99": two digits a step. */
static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

static guint decimal_digits(guint64 n)
{
    guint digits = 1;
    for (; n >= 100; n /= 100)
        digits += 2;
    return digits + (n >= 10);
}

/* The decimal `n` at out (no NUL); returns the end. Without printf: every op formats its key,
 * and every write its value, two digits a step from the end. */
static char *put_decimal(char *out, guint64 n)
{
    char *end = out + decimal_digits(n);
    char *p = end;
    for (; n >= 100; n /= 100) {
        p -= 2;
        memcpy(p, &digit_pairs[2 * (n % 100)], 2);
    }
    if (n >= 10) {
        p -= 2;
        memcpy(p, &digit_pairs[2 * n], 2);
    } else {
        *--p = (char)('0' + n);
    }
    rc_assert(p == out);
    return end;
}

static void invoke(SimProcess *p)
{
    SimRun *run = p->run;
    const SimScenario *sc = run->sc;
    SimClientHost *ch = &run->client_hosts[p->client_host];
    rc_assert(!p->busy);
    set_busy(run, p, TRUE);
    guint key = pick_key(ch, sc);
    p->key_buf[0] = 'k';
    *put_decimal(p->key_buf + 1, key) = '\0';
    p->key = p->key_buf;
    gboolean is_read = sc->workload != SIM_WORKLOAD_SET && sc->read_ratio > 0 &&
                       g_rand_double(ch->rng) < sc->read_ratio;
    const char *argv[3];
    guint argc;
    p->is_read = is_read;
    if (is_read) {
        p->f = "read";
        argv[0] = "GET";
        argv[1] = p->key;
        argc = 2;
    } else if (sc->workload == SIM_WORKLOAD_COUNTER) {
        p->f = "add"; /* Jepsen's counter: add 1 */
        argv[0] = "INCR";
        argv[1] = p->key;
        argc = 2;
    } else {
        p->f = sc->workload == SIM_WORKLOAD_SET ? "add" : "write";
        /* c<index + 1>-<n> */
        if (p->value_prefix_len == 0) { /* "c<index + 1>-" stays from op to op */
            char *v = p->value_buf;
            *v++ = 'c';
            v = put_decimal(v, p->index + 1);
            *v++ = '-';
            p->value_prefix_len = (guint)(v - p->value_buf);
        }
        *put_decimal(p->value_buf + p->value_prefix_len, ++p->next_value) = '\0';
        p->value = p->value_buf;
        argv[0] = sc->workload == SIM_WORKLOAD_REGISTER ? "SET" : sc->use_rpush ? "RPUSH" : "SADD";
        argv[1] = p->key;
        argv[2] = p->value;
        argc = 3;
    }
    if (!is_read && !run->key_written[key]) {
        run->key_written[key] = TRUE;
        g_ptr_array_add(run->written_order, g_strdup(p->key));
    }
    SimOpSpec op = {
        .time_us = sim_run_now(run),
        .worker = (gint)p->index,
        .type = SIM_OP_INVOKE,
        .f = p->f,
        .key = p->key,
        .kind = is_read                                ? SIM_VALUE_NIL
                : sc->workload == SIM_WORKLOAD_COUNTER ? SIM_VALUE_INT
                                                       : SIM_VALUE_STRING,
        .value = p->value,
        .num = 1,
        .node = -1,
        .side = client_side(p),
        .fault = -1,
    };
    sim_history_append(run->history, &op);
    sim_client_request(p->client, argc, argv, p->key, !is_read, on_done, p);
}

void sim_workload_start(SimRun *run)
{
    for (guint i = 0; i < run->n_client_hosts; i++) {
        SimClientHost *ch = &run->client_hosts[i];
        ch->next_at_us = run->t0_us;
        schedule_next(run, ch);
    }
}

void sim_workload_stop(SimRun *run)
{
    run->workload_over = TRUE;
    for (guint i = 0; i < run->n_client_hosts; i++) {
        SimClientHost *ch = &run->client_hosts[i];
        ch->stopped = TRUE;
        ch->waiting = FALSE;
        sim_kernel_cancel(run->k, ch->timer);
        ch->timer = SIM_TIMER_NONE;
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
    }
    for (guint i = 0; i < run->n_client_hosts; i++)
        if (run->client_hosts[i].rng)
            g_rand_free(run->client_hosts[i].rng);
    g_free(run->procs);
    g_free(run->client_hosts);
    run->procs = NULL;
    run->client_hosts = NULL;
}
