/* The determinism workload. Every choice is drawn from streams of the run's seed: actor i
 * from (WORKLOAD, i), the nemesis from (NEMESIS, 0). Servers echo what they read, reversed
 * (the first half of each chunk), so the bytes in flight depend on chunking as well as on the
 * writes. */
#include "tests/det_workload.h"

#include <string.h>

#include "sim/net.h"
#include "sim/rng.h"

#define PORT 7000
#define MAX_CONNS 16

typedef struct Det Det;

typedef struct {
    Det *d;
    guint32 host;
    SimRng rng;
    GArray *conns;  /* SimConnId of open ends this host may use */
    gboolean is_up; /* process running (not crashed) */
    gboolean is_paused;
} Actor;

struct Det {
    SimKernel *k;
    SimNet *net;
    Actor *actors;
    guint n;
    SimRng nemesis;
    GArray *cuts; /* SimCutId */
};

static void conn_forget(Actor *a, SimConnId id)
{
    for (guint i = 0; i < a->conns->len; i++)
        if (g_array_index(a->conns, SimConnId, i) == id) {
            g_array_remove_index(a->conns, i);
            return;
        }
}

static void on_connected(SimNet *net, SimConnId conn, gpointer user)
{
    Actor *a = user;
    g_autofree char *hello = g_strdup_printf("hello from %u", a->host);
    sim_net_send(net, conn, hello, strlen(hello));
}

static void on_data(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user)
{
    Actor *a = user;
    if (a->is_paused)
        g_error("callback on a paused host"); /* the network must queue these */
    /* echo the first half of each chunk reversed, so traffic dies out */
    gsize half = len / 2;
    if (half > 0) {
        guint8 *rev = g_malloc(half);
        for (gsize i = 0; i < half; i++)
            rev[i] = data[half - 1 - i];
        sim_net_send(net, conn, rev, half);
        g_free(rev);
    }
}

static void on_closed(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user)
{
    Actor *a = user;
    (void)net;
    (void)why;
    conn_forget(a, conn);
}

static const SimConnHandler handler = {on_connected, on_data, on_closed};

static void on_accept(SimNet *net, SimConnId conn, guint32 host, guint16 port, const char *peer_ip,
                      guint16 peer_port, gpointer user)
{
    Actor *a = user;
    (void)host;
    (void)port;
    (void)peer_ip;
    (void)peer_port;
    sim_net_conn_set_handler(net, conn, &handler, a);
    if (a->conns->len >= MAX_CONNS) {
        sim_net_close(net, conn);
        return;
    }
    g_array_append_val(a->conns, conn);
}

static void actor_step(SimKernel *k, gpointer data, guint64 arg)
{
    Actor *a = data;
    Det *d = a->d;
    (void)arg;
    if (a->is_up && !a->is_paused) {
        guint64 what = sim_rng_below(&a->rng, 100);
        if (what < 20 && a->conns->len < MAX_CONNS) {
            guint32 to = (guint32)sim_rng_below(&a->rng, d->n);
            char ip[16];
            g_snprintf(ip, sizeof ip, "10.0.%u.%u", to / 250, to % 250 + 1);
            SimConnId c = sim_net_connect(d->net, a->host, ip, PORT, &handler, a);
            g_array_append_val(a->conns, c);
        } else if (a->conns->len > 0) {
            guint i = (guint)sim_rng_below(&a->rng, a->conns->len);
            SimConnId c = g_array_index(a->conns, SimConnId, i);
            if (what < 85) {
                gsize len = 1 + (gsize)sim_rng_below(&a->rng, 3000);
                guint8 *buf = g_malloc(len);
                for (gsize j = 0; j < len; j++)
                    buf[j] = (guint8)sim_rng_next(&a->rng);
                sim_net_send(d->net, c, buf, len);
                g_free(buf);
            } else if (what < 95) {
                g_array_remove_index(a->conns, i);
                sim_net_close(d->net, c);
            } else {
                g_array_remove_index(a->conns, i);
                sim_net_reset(d->net, c);
            }
        }
    }
    RcTime next = 1 + (RcTime)sim_rng_below(&a->rng, 200000);
    sim_kernel_schedule(k, sim_kernel_now(k) + next, actor_step, a, 0);
}

static SimHostSet *random_set(Det *d, guint64 percent)
{
    SimHostSet *s = sim_host_set_new(d->net);
    for (guint h = 0; h < d->n; h++)
        if (sim_rng_below(&d->nemesis, 100) < percent)
            sim_host_set_add(s, h);
    return s;
}

static void nemesis_step(SimKernel *k, gpointer data, guint64 arg)
{
    Det *d = data;
    (void)arg;
    guint64 what = sim_rng_below(&d->nemesis, 11);
    guint32 h = (guint32)sim_rng_below(&d->nemesis, d->n);
    Actor *a = &d->actors[h];
    SimCutId cut = 0;
    switch (what) {
    case 0: { /* {some} | rest */
        g_autoptr(SimHostSet) g = random_set(d, 30);
        const SimHostSet *groups[] = {g};
        cut = sim_net_partition(d->net, groups, 1);
        break;
    }
    case 1: { /* one-way */
        g_autoptr(SimHostSet) from = random_set(d, 30);
        g_autoptr(SimHostSet) to = random_set(d, 30);
        cut = sim_net_cut_oneway(d->net, from, to);
        break;
    }
    case 2: { /* bridge */
        g_autoptr(SimHostSet) left = sim_host_set_new(d->net);
        g_autoptr(SimHostSet) right = sim_host_set_new(d->net);
        for (guint i = 0; i < d->n; i++)
            if (i != h)
                sim_host_set_add(sim_rng_below(&d->nemesis, 2) ? left : right, i);
        cut = sim_net_bridge(d->net, left, right, h);
        break;
    }
    case 3:
        cut = sim_net_isolate(d->net, h);
        break;
    case 4:
        if (d->cuts->len > 0) {
            guint i = (guint)sim_rng_below(&d->nemesis, d->cuts->len);
            sim_net_heal(d->net, g_array_index(d->cuts, SimCutId, i));
            g_array_remove_index(d->cuts, i);
        }
        break;
    case 5:
        sim_net_heal_all(d->net);
        g_array_set_size(d->cuts, 0);
        break;
    case 6: /* crash or restart */
        if (a->is_up) {
            if (a->is_paused) {
                sim_net_host_resume(d->net, h);
                a->is_paused = FALSE;
            }
            sim_net_host_crash(d->net, h);
            a->is_up = FALSE;
            g_array_set_size(a->conns, 0);
        } else {
            sim_net_host_restart(d->net, h);
            rc_assert(sim_net_listen(d->net, h, PORT, on_accept, a, NULL));
            a->is_up = TRUE;
        }
        break;
    case 7: /* pause or resume */
        if (a->is_up && !a->is_paused) {
            sim_net_host_pause(d->net, h);
            a->is_paused = TRUE;
        } else if (a->is_paused) {
            sim_net_host_resume(d->net, h);
            a->is_paused = FALSE;
        }
        break;
    case 8:
        sim_net_host_set_clock(d->net, h, (RcTime)sim_rng_below(&d->nemesis, 20000000) - 10000000,
                               (gint64)sim_rng_below(&d->nemesis, 2001) - 1000);
        break;
    case 9: {
        static const char *lats[] = {
            "const:100us", "uniform:50us..5ms", "normal:2ms,sd=1ms,floor=100us",
            "lognormal:1ms,sigma=1,floor=50us", "pareto:300us,alpha=1.5,cap=2s"};
        SimLatency lat;
        rc_assert(
            sim_latency_parse(lats[sim_rng_below(&d->nemesis, G_N_ELEMENTS(lats))], &lat, NULL));
        g_autoptr(SimHostSet) g = random_set(d, 20);
        sim_net_set_latency_between(d->net, g, g, &lat);
        break;
    }
    default:
        break; /* a quiet step */
    }
    if (cut != 0)
        g_array_append_val(d->cuts, cut);
    RcTime next = 1 + (RcTime)sim_rng_below(&d->nemesis, 3 * RC_US_PER_S);
    sim_kernel_schedule(k, sim_kernel_now(k) + next, nemesis_step, d, 0);
}

char *det_workload_run(const DetConfig *cfg, guint64 *events, SimNetStats *stats)
{
    rc_assert(cfg->hosts >= 3 && cfg->hosts < 250 * 250);
    Det d;
    memset(&d, 0, sizeof d);
    d.k = sim_kernel_new(cfg->seed);
    d.net = sim_net_new(d.k);
    d.n = cfg->hosts;
    d.nemesis = sim_rng_small(cfg->seed, SIM_RNG_NEMESIS, 0);
    d.cuts = g_array_new(FALSE, FALSE, sizeof(SimCutId));
    d.actors = g_new0(Actor, d.n);
    if (cfg->trace != NULL) {
        GError *err = NULL;
        if (!sim_trace_open_file(sim_kernel_trace(d.k), cfg->trace, &err))
            g_error("%s", err->message);
    }
    SimLatency lat;
    rc_assert(sim_latency_parse("uniform:100us..2ms", &lat, NULL));
    sim_net_set_latency(d.net, &lat);
    for (guint i = 0; i < d.n; i++) {
        char name[16], ip[16];
        g_snprintf(name, sizeof name, "h%u", i);
        g_snprintf(ip, sizeof ip, "10.0.%u.%u", i / 250, i % 250 + 1);
        Actor *a = &d.actors[i];
        a->d = &d;
        a->host = sim_net_add_host(d.net, name, ip);
        a->rng = sim_rng_small(cfg->seed, SIM_RNG_WORKLOAD, i);
        a->conns = g_array_new(FALSE, FALSE, sizeof(SimConnId));
        a->is_up = TRUE;
        rc_assert(sim_net_listen(d.net, a->host, PORT, on_accept, a, NULL));
        sim_kernel_schedule(d.k, (RcTime)sim_rng_below(&a->rng, 100000), actor_step, a, 0);
    }
    sim_kernel_schedule(d.k, RC_US_PER_S, nemesis_step, &d, 0);
    sim_kernel_run(d.k, cfg->duration_us, 0);
    *events = sim_kernel_events(d.k);
    if (stats != NULL)
        sim_net_get_stats(d.net, stats);
    char *sha = sim_trace_sha256(sim_kernel_trace(d.k));
    sim_net_free(d.net);
    sim_kernel_free(d.k);
    for (guint i = 0; i < d.n; i++)
        g_array_unref(d.actors[i].conns);
    g_free(d.actors);
    g_array_unref(d.cuts);
    return sha;
}
