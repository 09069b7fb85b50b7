/* Benchmark (not a test): client requests through one RcNode's full pipeline (parse,
 * route, run, reply), one request per recv as a client sends them. Prints ns per op.
 * Usage: bench_client [ops] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/node.h"

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* timing the benchmark itself */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long ops = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    GRand *rng = g_rand_new_with_seed(1);
    RcOutbox *out = rc_outbox_new();
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 7000);
    RcTime now = 1000000;
    RcNode *node = rc_node_new(&cfg, rng, now, NULL, out);
    guint32 h = rc_node_accept(node, now, RC_LISTENER_CLIENT, "127.0.0.1", 1, out);
    static const char add[] = "CLUSTER ADDSLOTSRANGE 0 16383\r\n";
    rc_node_recv(node, now, h, (const guint8 *)add, sizeof add - 1, out);
    for (int i = 0; i < 40; i++) {
        now = rc_node_next_deadline(node);
        rc_node_handle_expiry(node, now, out);
        rc_node_before_sleep(node, now, out);
        rc_outbox_clear(out);
    }
    char req[128];
    gsize bytes = 0;
    double t0 = seconds();
    for (long i = 0; i < ops; i++) {
        int n = i % 2 == 0 ? snprintf(req, sizeof req,
                                      "*3\r\n$3\r\nSET\r\n$8\r\nkey%05ld\r\n$5\r\nvalue\r\n",
                                      i % 100000 / 2)
                           : snprintf(req, sizeof req, "*2\r\n$3\r\nGET\r\n$8\r\nkey%05ld\r\n",
                                      i % 100000 / 2);
        now += 1000;
        rc_node_recv(node, now, h, (const guint8 *)req, (gsize)n, out);
        rc_node_before_sleep(node, now, out);
        if (rc_node_next_deadline(node) <= now)
            rc_node_handle_expiry(node, now, out);
        bytes += rc_outbox_len(out);
        rc_outbox_clear(out);
    }
    double dt = seconds() - t0;
    printf("%ld ops in %.3f s: %.0f ns/op (%zu actions)\n", ops, dt, dt * 1e9 / (double)ops, bytes);
    rc_node_free(node);
    rc_outbox_free(out);
    g_rand_free(rng);
    return 0;
}
