/* det_workload SEED [HOSTS [SECONDS [TRACE]]]: run the determinism workload, print its
 * fingerprint. Built twice (-O0 and -O2) so a test can compare the two. */
#include <stdio.h>
#include <stdlib.h>

#include "tests/det_workload.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: det_workload SEED [HOSTS [SECONDS [TRACE]]]\n");
        return 2;
    }
    DetConfig cfg = {g_ascii_strtoull(argv[1], NULL, 10), 30, 60 * RC_US_PER_S, NULL};
    if (argc > 2)
        cfg.hosts = (guint)g_ascii_strtoull(argv[2], NULL, 10);
    if (argc > 3)
        cfg.duration_us = (RcTime)g_ascii_strtoull(argv[3], NULL, 10) * RC_US_PER_S;
    if (argc > 4)
        cfg.trace = argv[4];
    if (cfg.hosts < 3 || cfg.duration_us <= 0) {
        fprintf(stderr, "det_workload: HOSTS >= 3 and SECONDS > 0\n");
        return 2;
    }
    guint64 events = 0;
    SimNetStats st;
    char *sha = det_workload_run(&cfg, &events, &st);
    printf("events: %" G_GUINT64_FORMAT "\n", events);
    printf("connects: %" G_GUINT64_FORMAT " refused: %" G_GUINT64_FORMAT
           " connect-timeouts: %" G_GUINT64_FORMAT " resets: %" G_GUINT64_FORMAT
           " retransmission-timeouts: %" G_GUINT64_FORMAT " bytes: %" G_GUINT64_FORMAT "\n",
           st.connects, st.refused, st.connect_timeouts, st.resets, st.retrans_timeouts, st.bytes);
    printf("trace_sha256: %s\n", sha);
    g_free(sha);
    return 0;
}
