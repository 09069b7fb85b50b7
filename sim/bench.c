/* Benchmarks. The wall clock is read here only to time the benchmark itself; nothing it
 * measures feeds back into a simulation. */
#include "sim/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/kernel.h"
#include "sim/host.h"
#include "sim/net.h"
#include "sim/rng.h"

typedef struct {
    SimRng rng;
    guint64 fired;
} KernelBench;

/* Each event schedules one more at a random delay up to 1 s, keeping the pending count. */
static void bench_event(SimKernel *k, gpointer data, guint64 arg)
{
    KernelBench *b = data;
    b->fired++;
    RcTime delay = (RcTime)(sim_rng_next(&b->rng) % RC_US_PER_S) + 1;
    sim_kernel_schedule(k, sim_kernel_now(k) + delay, bench_event, b, arg);
}

/* CPU time of this process in seconds: the figure that does not depend on how many other
 * jobs share the machine. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* lint: allow timing the benchmark itself */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static gboolean parse_count(const char *text, guint64 *out)
{
    char *end = NULL;
    guint64 v = g_ascii_strtoull(text, &end, 10);
    if (end == text || *end != '\0' || v == 0)
        return FALSE;
    *out = v;
    return TRUE;
}

static int bench_kernel(int argc, char **argv)
{
    guint64 pending = 100000, events = 20000000;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        gboolean ok = FALSE;
        if (strcmp(argv[i], "--pending") == 0 && i + 1 < argc)
            ok = parse_count(argv[++i], &pending);
        else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
            ok = parse_count(argv[++i], &events);
        if (!ok) {
            fprintf(stderr, "rcsim bench kernel: bad option '%s%s%s' (--pending N, --events N)\n",
                    opt, opt != argv[i] ? " " : "", opt != argv[i] ? argv[i] : "");
            return 2;
        }
    }
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    KernelBench b = {sim_rng_small(1, SIM_RNG_TEST, 0), 0};
    for (guint64 i = 0; i < pending; i++)
        sim_kernel_schedule(k, (RcTime)(sim_rng_next(&b.rng) % RC_US_PER_S), bench_event, &b, i);
    /* warm up: one pass over the heap, then measure */
    sim_kernel_run(k, SIM_TIME_NEVER, pending);
    gint64 t0 = g_get_monotonic_time(); /* lint: allow timing the benchmark itself */
    double c0 = cpu_seconds();
    sim_kernel_run(k, SIM_TIME_NEVER, events);
    double cpu = cpu_seconds() - c0;
    gint64 t1 = g_get_monotonic_time(); /* lint: allow timing the benchmark itself */
    rc_assert(sim_kernel_pending(k) == pending);
    double wall = (double)(t1 - t0) / 1e6;
    printf("pending events: %" G_GUINT64_FORMAT "\n", pending);
    printf("events run: %" G_GUINT64_FORMAT " in %.3f s CPU, %.3f s wall (virtual time "
           "reached %.1f s)\n",
           events, cpu, wall, (double)sim_kernel_now(k) / 1e6);
    /* per second of CPU time on one core (the process is single-threaded) */
    printf("kernel events/s: %.0f\n", cpu > 0 ? (double)events / cpu : 0.0);
    return 0;
}

/* ---- bench net: a full mesh of connections, one message each way on every one ---- */

typedef struct {
    guint64 bytes;
    guint64 connected;
} NetBench;

static NetBench net_bench;

static void nb_connected(SimNet *net, SimConnId conn, gpointer user)
{
    (void)user;
    net_bench.connected++;
    sim_net_send(net, conn, "*1\r\n$4\r\nPING\r\n", 14);
}

static void nb_data(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user)
{
    (void)net;
    (void)conn;
    (void)data;
    (void)user;
    net_bench.bytes += len;
}

static const SimConnHandler nb_handler = {nb_connected, nb_data, NULL};

static void nb_accept(SimNet *net, SimConnId conn, guint32 host, guint16 port, const char *peer_ip,
                      guint16 peer_port, gpointer user)
{
    (void)host;
    (void)port;
    (void)peer_ip;
    (void)peer_port;
    (void)user;
    sim_net_conn_set_handler(net, conn, &nb_handler, NULL);
    sim_net_send(net, conn, "+PONG\r\n", 7);
}

/* Resident memory in bytes (Linux /proc), 0 if unknown. */
static guint64 rss_bytes(void)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents("/proc/self/statm", &text, NULL, NULL))
        return 0;
    guint64 pages = 0, rss = 0;
    if (sscanf(text, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &pages, &rss) != 2)
        return 0;
    return rss * 4096;
}

static int bench_net(int argc, char **argv)
{
    guint64 hosts = 300;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        gboolean ok = FALSE;
        if (strcmp(argv[i], "--hosts") == 0 && i + 1 < argc)
            ok = parse_count(argv[++i], &hosts) && hosts >= 2 && hosts <= 2000;
        if (!ok) {
            fprintf(stderr, "rcsim bench net: bad option '%s%s%s' (--hosts 2..2000)\n", opt,
                    opt != argv[i] ? " " : "", opt != argv[i] ? argv[i] : "");
            return 2;
        }
    }
    guint64 rss0 = rss_bytes();
    g_autoptr(SimKernel) k = sim_kernel_new(1);
    g_autoptr(SimNet) net = sim_net_new(k);
    for (guint64 h = 0; h < hosts; h++) {
        char name[16], ip[16];
        g_snprintf(name, sizeof name, "n%" G_GUINT64_FORMAT, h + 1);
        g_snprintf(ip, sizeof ip, "10.%u.%u.%u", (guint)(h >> 16) & 255, (guint)(h >> 8) & 255,
                   (guint)h & 255);
        guint32 id = sim_net_add_host(net, name, ip);
        rc_assert(sim_net_listen(net, id, 16379, nb_accept, NULL, NULL));
    }
    double c0 = cpu_seconds();
    for (guint64 a = 0; a < hosts; a++)
        for (guint64 b = 0; b < hosts; b++)
            if (a != b)
                sim_net_connect(net, (guint32)a, sim_net_host_ip(net, (guint32)b), 16379,
                                &nb_handler, NULL);
    sim_kernel_run(k, SIM_TIME_NEVER, 0);
    double cpu = cpu_seconds() - c0;
    guint64 conns = hosts * (hosts - 1);
    rc_assert(net_bench.connected == conns);
    rc_assert(net_bench.bytes == conns * 21);
    guint64 rss = rss_bytes();
    printf("hosts: %" G_GUINT64_FORMAT ", connections: %" G_GUINT64_FORMAT
           " (each: connect, one request, one reply)\n",
           hosts, conns);
    printf("kernel events: %" G_GUINT64_FORMAT " in %.3f s CPU (%.0f events/s)\n",
           sim_kernel_events(k), cpu, cpu > 0 ? (double)sim_kernel_events(k) / cpu : 0.0);
    if (rss > rss0)
        printf("memory: %.1f MiB resident, %.0f bytes per connection\n",
               (double)(rss - rss0) / 1048576.0, (double)(rss - rss0) / (double)conns);
    printf("net connections/s: %.0f\n", cpu > 0 ? (double)conns / cpu : 0.0);
    return 0;
}

/* ---- bench cluster: N real nodes meet through n1 and gossip for S virtual seconds ---- */

static int bench_cluster(int argc, char **argv)
{
    guint64 nodes = 50, seconds = 30;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        gboolean ok = FALSE;
        if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
            ok = parse_count(argv[++i], &nodes) && nodes >= 2 && nodes <= 1000;
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            ok = parse_count(argv[++i], &seconds) && seconds <= 3600;
        if (!ok) {
            fprintf(
                stderr,
                "rcsim bench cluster: bad option '%s%s%s' (--nodes 2..1000, --seconds 1..3600)\n",
                opt, opt != argv[i] ? " " : "", opt != argv[i] ? argv[i] : "");
            return 2;
        }
    }
    static const SimConnHandler quiet = {NULL, NULL, NULL};
    double c0 = cpu_seconds();
    g_autoptr(SimWorld) w = sim_cluster_new(1, (guint)nodes, NULL, NULL);
    SimNet *net = sim_world_net(w);
    guint32 admin = sim_world_add_client_host(w, "admin", "10.255.0.1");
    RcTime booted = (RcTime)nodes * RC_US_PER_MS + 10 * RC_US_PER_MS;
    sim_world_run(w, booted, 0);
    SimConnId c = sim_net_connect(net, admin, "127.0.0.1", 30001, &quiet, NULL);
    sim_world_run(w, booted + 10 * RC_US_PER_MS, 0);
    for (guint64 i = 2; i <= nodes; i++) {
        char port[8];
        g_snprintf(port, sizeof port, "%" G_GUINT64_FORMAT, 30000 + i);
        g_autofree char *cmd = g_strdup_printf(
            "*4\r\n$7\r\nCLUSTER\r\n$4\r\nMEET\r\n$9\r\n127.0.0.1\r\n$%zu\r\n%s\r\n", strlen(port),
            port);
        sim_net_send(net, c, cmd, strlen(cmd));
    }
    sim_world_run(w, (RcTime)seconds * RC_US_PER_S, 0);
    double cpu = cpu_seconds() - c0;
    SimNetStats st;
    sim_net_get_stats(net, &st);
    guint64 events = sim_kernel_events(sim_world_kernel(w));
    printf("nodes: %" G_GUINT64_FORMAT ", virtual %" G_GUINT64_FORMAT " s, links on n1: %u\n",
           nodes, seconds, sim_net_host_n_conns(net, sim_world_node_host(w, 0)));
    printf("kernel events: %" G_GUINT64_FORMAT ", bytes delivered: %" G_GUINT64_FORMAT
           ", %.2f s CPU\n",
           events, st.bytes, cpu);
    printf("cluster virtual s per CPU s: %.2f\n", cpu > 0 ? (double)seconds / cpu : 0.0);
    return 0;
}

int sim_bench_main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "rcsim bench: expected kernel, net or cluster (see rcsim bench --help)\n");
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("Usage: rcsim bench kernel [--pending N] [--events N]\n"
               "       rcsim bench net [--hosts N]\n"
               "       rcsim bench cluster [--nodes N] [--seconds S]\n"
               "  cluster N real nodes (default 50) meet and gossip for S virtual "
               "seconds (30)\n"
               "  net     a full mesh of N hosts (default 300): connect, request, reply\n"
               "  kernel  schedule+dispatch with N pending events (default 100000, "
               "20000000 events)\n");
        return 0;
    }
    if (strcmp(argv[1], "kernel") == 0)
        return bench_kernel(argc - 1, argv + 1);
    if (strcmp(argv[1], "net") == 0)
        return bench_net(argc - 1, argv + 1);
    if (strcmp(argv[1], "cluster") == 0)
        return bench_cluster(argc - 1, argv + 1);
    fprintf(stderr, "rcsim bench: unknown benchmark '%s' (kernel, net, cluster)\n", argv[1]);
    return 2;
}
