/* SimWorld: RcNodes (core/node.h) running on simulated hosts, plus client hosts.
 *
 * A world owns a kernel, a network and its trace. Each node lives on its own host with its
 * own GRand (sim_rng_stream(seed, SIM_RNG_NODE, node index)) and its own simulated disk. The
 * driver for one node:
 *   - boots it at a chosen true time (which sets its cron phase), listening on port and
 *     cport (port + 10000);
 *   - executes its outbox in order: SEND writes on the mapped connection, CONNECT opens one
 *     and answers with rc_node_connected()/rc_node_disconnected(), CLOSE closes (FIN after
 *     flush), SAVE replaces nodes.conf on the host's disk, LOG and EVENT go to the observer;
 *   - runs rc_node_handle_expiry() when rc_node_next_deadline() (on the node's local clock)
 *     has passed, as Redis's event loop runs its time events: after the file events of a
 *     wake-up that finds the deadline due, or when the poll it went to sleep in times out
 *     (the timeout in whole ms, rounded up, from the last before-sleep, plus the world's
 *     timer latency: see sim_world_set_timer_latency);
 *   - calls rc_node_before_sleep() once after every instant at which the node ran anything
 *     (an event scheduled at the same instant, after the batch), and once more after a loop
 *     turn when a deferred SEND (a cluster bus message) ran since the last one, as ae turns
 *     again to run the write handler clusterSendMessage installed;
 *   - opens connections with TCP_NODELAY as the CONNECT action says (sim_net_conn_set_nodelay);
 *   - passes the host's local clock (offset and drift, sim_net_host_set_clock) to every entry
 *     point.
 * Faults: crash frees the RcNode (the disk stays; peers see resets), restart boots a new
 * RcNode from the disk's nodes.conf after a start-up time, pause stops everything (timers wait,
 * bytes queue) and resume runs what queued and then the overdue deadline.
 *
 * Nodes are numbered 0.. in creation order; so are hosts (nodes and clients share the host
 * numbering of the network). Call everything from kernel events or between kernel runs. */
#ifndef SIM_HOST_H
#define SIM_HOST_H

#include <glib.h>

#include "core/node.h"
#include "sim/kernel.h"
#include "sim/net.h"

typedef struct SimWorld SimWorld;

/* Sees every LOG and EVENT action of every node, in execution order. `action` is valid only
 * during the call. `now_us` is true (virtual) time. */
typedef void (*SimNodeObserver)(guint32 node, RcTime now_us, const RcAction *action, gpointer user);

/* An empty world on a new kernel seeded with `seed`. */
SimWorld *sim_world_new(guint64 seed);
void sim_world_free(SimWorld *w);
SimKernel *sim_world_kernel(SimWorld *w);
SimNet *sim_world_net(SimWorld *w);
guint64 sim_world_seed(const SimWorld *w);

/* Install the observer (one; NULL removes it). */
void sim_world_set_observer(SimWorld *w, SimNodeObserver fn, gpointer user);

/* How long after its poll times out a node's process runs (kernel timer slack, scheduling),
 * drawn from the host's own stream at each serverCron wake-up; constant 0 by default. The
 * poll's timeout itself is whole milliseconds, rounded up, as epoll takes it. */
void sim_world_set_timer_latency(SimWorld *w, const SimLatency *lat);

/* How long a restarted node's process takes to start (exec, loading nodes.conf, binding)
 * before it serves, drawn from the host's own stream at each restart; constant 0 (it boots
 * at once) by default. Meanwhile its host is up and refuses connections. */
void sim_world_set_startup(SimWorld *w, const SimLatency *lat);
/* How long an fsync of nodes.conf blocks a node's process (Redis's clusterSaveConfig(1)),
 * drawn from the host's disk stream per fsync; constant 0 (not modelled) by default. When
 * not 0, what an entry point emits waits for the loop's before-sleep, and a before-sleep
 * whose turn fsynced holds the process and its writes for the fsyncs' sum (host.c,
 * block_for_fsync). */
void sim_world_set_fsync(SimWorld *w, const SimLatency *lat);
/* Every node's clock reads `origin_us` at true time 0 (sim_net_set_clock_origin); call it
 * before the first node is added. */
void sim_world_set_clock_origin(SimWorld *w, RcTime origin_us);

/* Add a node on a new host named `name` with IP cfg->ip; it boots at true time `boot_at_us`
 * (>= now). Returns the node index. */
guint32 sim_world_add_node(SimWorld *w, const char *name, const RcNodeConfig *cfg,
                           RcTime boot_at_us);
/* Add a host with no node (clients use the SimNet API on it). Returns its host index. */
guint32 sim_world_add_client_host(SimWorld *w, const char *name, const char *ip);

/* A world with `n_nodes` nodes named n1.. on 127.0.0.1:30001.. (config from `base`, or
 * Redis defaults if NULL, with ip and port replaced). Node i boots at true time
 * boot_offsets_us[i], or at i * 1000 us when `boot_offsets_us` is NULL, so cron phases
 * differ. */
SimWorld *sim_cluster_new(guint64 seed, guint n_nodes, const RcNodeConfig *base,
                          const RcTime *boot_offsets_us);

guint sim_world_n_nodes(const SimWorld *w);
guint32 sim_world_node_host(const SimWorld *w, guint32 node);
/* The node's RcNode, or NULL before boot and while crashed. Borrowed. */
RcNode *sim_world_node(SimWorld *w, guint32 node);
const RcNodeConfig *sim_world_node_config(const SimWorld *w, guint32 node);
gboolean sim_world_node_is_up(const SimWorld *w, guint32 node);
gboolean sim_world_node_is_paused(const SimWorld *w, guint32 node);
/* The node's nodes.conf on its host's disk (NULL if never saved). Borrowed. */
GBytes *sim_world_node_disk(const SimWorld *w, guint32 node);
/* Replace the disk contents (tests, scenario setup). Takes a ref; NULL erases. */
void sim_world_set_node_disk(SimWorld *w, guint32 node, GBytes *nodes_conf);

/* Counters for tests and reports. */
typedef struct {
    guint64 expiries;      /* rc_node_handle_expiry calls */
    guint64 before_sleeps; /* rc_node_before_sleep calls */
    guint64 accepts;       /* rc_node_accept calls */
    guint64 recvs;         /* rc_node_recv calls */
    guint64 saves;         /* SAVE actions executed */
    guint64 fsync_blocks;  /* before-sleeps whose fsync blocked (sim_world_set_fsync) */
    guint64 boots;         /* rc_node_new calls (first boot and restarts) */
} SimNodeStats;
void sim_world_node_stats(const SimWorld *w, guint32 node, SimNodeStats *stats);

/* Faults, effective now. crash: no-op if already down; a process still starting dies before
 * it serves. restart: a new process boots from the disk after the world's start-up time
 * (sim_world_set_startup; asserted down). pause/resume: asserted up / paused; a process
 * paused while starting boots at its resume if its start-up ended meanwhile. A node counts
 * as up (sim_world_node_is_up) from its restart on, while its process starts; sim_world_node
 * gives NULL until it boots. */
void sim_world_crash(SimWorld *w, guint32 node);
void sim_world_restart(SimWorld *w, guint32 node);
void sim_world_pause(SimWorld *w, guint32 node);
void sim_world_resume(SimWorld *w, guint32 node);

/* Run the kernel (sim_kernel_run). */
SimRunEnd sim_world_run(SimWorld *w, RcTime until_us, guint64 max_events);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimWorld, sim_world_free)

#endif
