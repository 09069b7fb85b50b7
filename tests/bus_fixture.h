/* A small in-test network for cluster-bus tests: N RcNodes on 127.0.0.1:30001.., their
 * outboxes executed at once (zero latency, FIFO), time advanced by hand. Supports crash,
 * restart (from the saved nodes.conf) and symmetric partitions (bytes between the sides
 * are lost, connects time out). It is deliberately simpler than sim/host: it exists so the
 * bus modules can be tested alone, with hand-set time. */
#ifndef RC_TEST_BUS_FIXTURE_H
#define RC_TEST_BUS_FIXTURE_H

#include "core/bus.h"

typedef struct BusFixture BusFixture;

/* `n` nodes booted at time 0 with node timeout `nt_ms`; node i seeded with seed + i. */
BusFixture *bus_fixture_new(guint n, gint64 nt_ms, guint64 seed);
void bus_fixture_free(BusFixture *f);
RcNode *bus_fixture_node(BusFixture *f, guint i);
RcTime bus_fixture_now(const BusFixture *f);
/* Run every node's deadlines and deliveries up to `until_us` (inclusive). */
void bus_fixture_run_until(BusFixture *f, RcTime until_us);
/* Run a CLUSTER command on node i now; returns the RESP reply (caller frees). argv is
 * NULL-terminated, e.g. {"CLUSTER", "MEET", "127.0.0.1", "30002", NULL}. */
char *bus_fixture_cmd(BusFixture *f, guint i, const char *const *argv);
/* Join the nodes as redis-cli --cluster create does, with `masters` masters taking the slots
 * evenly and the rest replicating round-robin; runs until every node sees every other. */
void bus_fixture_create_cluster(BusFixture *f, guint masters);
void bus_fixture_crash(BusFixture *f, guint i);
void bus_fixture_restart(BusFixture *f, guint i);
/* side[i] = 0 or 1; nodes on different sides cannot talk. NULL heals. */
void bus_fixture_partition(BusFixture *f, const guint8 *side);
/* Count LOG lines containing `needle` emitted by node i since the fixture started. */
guint bus_fixture_log_count(const BusFixture *f, guint i, const char *needle);
/* Time of the first event `kind` on node i about `peer` (NULL = any) after `since_us`, or -1. */
RcTime bus_fixture_event_time(const BusFixture *f, guint i, RcEventKind kind, const char *peer,
                              RcTime since_us);
/* TRUE when every live node knows every other live node without HANDSHAKE. */
gboolean bus_fixture_full_view(BusFixture *f);
/* Last nodes.conf saved by node i (NULL if none). */
GBytes *bus_fixture_disk(BusFixture *f, guint i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BusFixture, bus_fixture_free)

#endif
