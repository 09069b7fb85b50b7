/* Benchmarks. The wall clock is read here only to time the benchmark itself; nothing it
 * measures feeds back into a simulation. */
#include "sim/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/kernel.h"
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
        gboolean ok = FALSE;
        if (strcmp(argv[i], "--pending") == 0 && i + 1 < argc)
            ok = parse_count(argv[++i], &pending);
        else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
            ok = parse_count(argv[++i], &events);
        if (!ok) {
            fprintf(stderr, "rcsim bench kernel: bad option '%s' (--pending N, --events N)\n",
                    argv[i]);
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

int sim_bench_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *to = argc < 2 ? stderr : stdout;
        fprintf(to, "Usage: rcsim bench kernel [--pending N] [--events N]\n"
                    "  kernel  schedule+dispatch with N pending events (default 100000, "
                    "20000000 events)\n");
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "kernel") == 0)
        return bench_kernel(argc - 1, argv + 1);
    fprintf(stderr, "rcsim bench: unknown benchmark '%s' (kernel)\n", argv[1]);
    return 2;
}
