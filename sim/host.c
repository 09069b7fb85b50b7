/* The node driver: runs RcNodes on SimNet hosts. See host.h for the contract.
 *
 * Per node (NodeHost): the RcNode, its outbox, its GRand, its disk, and three kernel timers:
 * boot, deadline (rc_node_next_deadline, translated from the host's local clock) and
 * before-sleep (scheduled at the current instant after any entry point, so it runs after
 * every event already due at that instant: once per batch); a fourth, write, is the loop's
 * extra turn after a cluster bus write was queued (see write_event); a fifth, unblock, ends an
 * fsync of nodes.conf that blocks the process (see block_for_fsync). Connections are mapped both
 * ways: the node's handle -> Link (a RcHandleMap, looked up for every SEND) and the SimNet
 * end's user pointer -> Link. */
#include "sim/host.h"

#include <stdio.h>
#include <string.h>

#include "core/handle_map.h"
#include "sim/rng.h"

typedef struct NodeHost NodeHost;

typedef struct {
    guint32 handle; /* the node's handle (map key) */
    SimConnId conn; /* the SimNet end */
    NodeHost *nh;
} Link;

struct NodeHost {
    SimWorld *w;
    guint32 index; /* node number */
    guint32 host;  /* host number */
    RcNodeConfig cfg;
    GRand *rng;   /* the node's stream, kept across restarts */
    RcNode *node; /* NULL before boot and while crashed */
    RcOutbox *out;
    GBytes *disk;          /* nodes.conf as last saved, unless disk_at_node */
    gboolean disk_at_node; /* the last save's text is still the node's to give (RC_ACT_SAVE
                              without bytes): taken before the node is freed or shown */
    gboolean is_paused;
    gboolean sleep_owed;       /* paused with a before-sleep pending */
    gboolean expiry_owed;      /* paused when the deadline came */
    SimTimerId boot_timer;     /* the first boot, or a restarted process's start-up */
    gboolean is_starting;      /* restarted, its process not serving yet (boot_timer or owed) */
    gboolean boot_owed;        /* paused while starting when its start-up ended */
    SimTimerId deadline_timer; /* these two are SIM_TIMER_NONE exactly when not pending: */
    SimTimerId sleep_timer;    /* their events and sim_world_crash reset them */
    SimTimerId write_timer;    /* the event loop's extra turn for a bus write, or NONE */
    gboolean has_bus_write;    /* a deferred (bus) SEND ran since the last before-sleep */
    gboolean is_blocked;       /* in fsync: runs nothing until unblock_timer (net held too) */
    gboolean unblock_owed;     /* the fsync ended while SIGSTOPped: the rest comes at SIGCONT */
    SimTimerId unblock_timer;  /* the end of the fsync, or NONE */
    SimRng disk_rng;           /* the fsync times' draws */
    RcTime deadline_local_us;  /* the local deadline deadline_timer is set for */
    RcTime slept_local_us;     /* when the event loop last went to sleep (after before-sleep) */
    SimRng timer_rng;          /* the wake-up latency's draws */
    gboolean is_clock_plain;   /* the host's clock was never set: true time + the origin */
    RcHandleMap links;         /* handle -> Link* (owned) */
    SimNodeStats stats;
};

struct SimWorld {
    SimKernel *k;
    SimNet *net;
    GPtrArray *nodes;     /* NodeHost* by node index */
    GArray *node_of_host; /* gint32 per host: node index or -1 */
    SimNodeObserver observer;
    gpointer observer_user;
    SimLatency timer_latency; /* from a poll's timeout to the process running */
    SimLatency startup;       /* from a restart to the new process serving */
    SimLatency fsync;         /* a blocking fsync of nodes.conf */
    gboolean has_fsync;       /* fsync is not constant 0: outboxes are held until before-sleep */
    RcTime clock_origin_us;   /* what every clock read at true time 0: the net's, kept here
                                 for local_now's plain-clock path */
};

static void node_boot(NodeHost *nh);
static void after_entry(NodeHost *nh, gboolean from_sleep);

/* ------------------------------------------------------------------ world */

static void clock_changed(SimNet *net, guint32 host, gpointer user);

SimWorld *sim_world_new(guint64 seed)
{
    SimWorld *w = g_new0(SimWorld, 1);
    w->k = sim_kernel_new(seed);
    w->net = sim_net_new(w->k);
    w->nodes = g_ptr_array_new();
    w->node_of_host = g_array_new(FALSE, FALSE, sizeof(gint32));
    sim_net_set_clock_hook(w->net, clock_changed, w);
    sim_latency_constant(&w->timer_latency, 0);
    sim_latency_constant(&w->startup, 0);
    sim_latency_constant(&w->fsync, 0);
    return w;
}

void sim_world_set_timer_latency(SimWorld *w, const SimLatency *lat)
{
    w->timer_latency = *lat;
}

void sim_world_set_startup(SimWorld *w, const SimLatency *lat)
{
    w->startup = *lat;
}

void sim_world_set_fsync(SimWorld *w, const SimLatency *lat)
{
    w->fsync = *lat;
    w->has_fsync = !(lat->kind == SIM_LAT_CONSTANT && lat->base_us == 0);
}

void sim_world_set_clock_origin(SimWorld *w, RcTime origin_us)
{
    rc_assert(w->nodes->len == 0); /* every host's clock starts from it */
    sim_net_set_clock_origin(w->net, origin_us);
    w->clock_origin_us = origin_us;
}

static void links_drop(NodeHost *nh)
{
    rc_handle_map_clear(&nh->links, g_free);
}

void sim_world_free(SimWorld *w)
{
    if (w == NULL)
        return;
    for (guint i = 0; i < w->nodes->len; i++) {
        NodeHost *nh = g_ptr_array_index(w->nodes, i);
        rc_node_free(nh->node);
        rc_outbox_free(nh->out);
        g_rand_free(nh->rng);
        if (nh->disk != NULL)
            g_bytes_unref(nh->disk);
        links_drop(nh);
        rc_handle_map_destroy(&nh->links);
        g_free(nh);
    }
    g_ptr_array_unref(w->nodes);
    g_array_unref(w->node_of_host);
    sim_net_free(w->net);
    sim_kernel_free(w->k);
    g_free(w);
}

SimKernel *sim_world_kernel(SimWorld *w)
{
    return w->k;
}

SimNet *sim_world_net(SimWorld *w)
{
    return w->net;
}

guint64 sim_world_seed(const SimWorld *w)
{
    return sim_kernel_seed(w->k);
}

void sim_world_set_observer(SimWorld *w, SimNodeObserver fn, gpointer user)
{
    w->observer = fn;
    w->observer_user = user;
}

static void note_host(SimWorld *w, guint32 host, gint32 node)
{
    while (w->node_of_host->len <= host) {
        gint32 none = -1;
        g_array_append_val(w->node_of_host, none);
    }
    g_array_index(w->node_of_host, gint32, host) = node;
}

static void boot_event(SimKernel *k, gpointer data, guint64 arg)
{
    NodeHost *nh = data;
    (void)k;
    (void)arg;
    nh->boot_timer = SIM_TIMER_NONE;
    if (nh->is_paused) {
        nh->boot_owed = TRUE; /* SIGSTOPped while starting: it goes on at SIGCONT */
        return;
    }
    node_boot(nh);
}

guint32 sim_world_add_node(SimWorld *w, const char *name, const RcNodeConfig *cfg,
                           RcTime boot_at_us)
{
    NodeHost *nh = g_new0(NodeHost, 1);
    nh->w = w;
    nh->index = w->nodes->len;
    nh->cfg = *cfg;
    nh->host = sim_net_add_host(w->net, name, cfg->ip);
    nh->is_clock_plain = TRUE; /* a new host's clock starts at the origin, without drift */
    nh->rng = sim_rng_stream(sim_kernel_seed(w->k), SIM_RNG_NODE, nh->index);
    nh->timer_rng = sim_rng_small(sim_kernel_seed(w->k), SIM_RNG_HOST, nh->host);
    nh->disk_rng = sim_rng_small(sim_kernel_seed(w->k), SIM_RNG_DISK, nh->host);
    nh->out = rc_outbox_new();
    rc_handle_map_init(&nh->links);
    g_ptr_array_add(w->nodes, nh);
    note_host(w, nh->host, (gint32)nh->index);
    nh->boot_timer = sim_kernel_schedule(w->k, boot_at_us, boot_event, nh, 0);
    return nh->index;
}

guint32 sim_world_add_client_host(SimWorld *w, const char *name, const char *ip)
{
    guint32 host = sim_net_add_host(w->net, name, ip);
    note_host(w, host, -1);
    return host;
}

SimWorld *sim_cluster_new(guint64 seed, guint n_nodes, const RcNodeConfig *base,
                          const RcTime *boot_offsets_us)
{
    SimWorld *w = sim_world_new(seed);
    for (guint i = 0; i < n_nodes; i++) {
        RcNodeConfig cfg;
        guint16 port = (guint16)(30001 + i);
        if (base != NULL) {
            cfg = *base;
            g_strlcpy(cfg.ip, "127.0.0.1", sizeof cfg.ip);
            cfg.port = port;
            cfg.cport = 0;
        } else {
            rc_node_config_init(&cfg, "127.0.0.1", port);
        }
        char name[16];
        g_snprintf(name, sizeof name, "n%u", i + 1);
        RcTime boot = boot_offsets_us != NULL ? boot_offsets_us[i] : (RcTime)i * 1000;
        sim_world_add_node(w, name, &cfg, boot);
    }
    return w;
}

static NodeHost *nh_at(const SimWorld *w, guint32 node)
{
    rc_assert(node < w->nodes->len);
    return g_ptr_array_index(w->nodes, node);
}

guint sim_world_n_nodes(const SimWorld *w)
{
    return w->nodes->len;
}

guint32 sim_world_node_host(const SimWorld *w, guint32 node)
{
    return nh_at(w, node)->host;
}

RcNode *sim_world_node(SimWorld *w, guint32 node)
{
    return nh_at(w, node)->node;
}

const RcNodeConfig *sim_world_node_config(const SimWorld *w, guint32 node)
{
    return &nh_at(w, node)->cfg;
}

gboolean sim_world_node_is_up(const SimWorld *w, guint32 node)
{
    const NodeHost *nh = nh_at(w, node);
    return nh->node != NULL || nh->is_starting;
}

gboolean sim_world_node_is_paused(const SimWorld *w, guint32 node)
{
    return nh_at(w, node)->is_paused;
}

/* Take the text of the node's last save onto the disk (it is joined only now: a node saves
 * on every change of configuration, and the bytes matter only when it boots again). */
static void disk_take(NodeHost *nh)
{
    if (!nh->disk_at_node)
        return;
    nh->disk_at_node = FALSE;
    if (nh->disk != NULL)
        g_bytes_unref(nh->disk);
    nh->disk = rc_node_saved_conf(nh->node);
}

GBytes *sim_world_node_disk(const SimWorld *w, guint32 node)
{
    NodeHost *nh = nh_at(w, node);
    disk_take(nh);
    return nh->disk;
}

void sim_world_set_node_disk(SimWorld *w, guint32 node, GBytes *nodes_conf)
{
    NodeHost *nh = nh_at(w, node);
    nh->disk_at_node = FALSE;
    if (nh->disk != NULL)
        g_bytes_unref(nh->disk);
    nh->disk = nodes_conf != NULL ? g_bytes_ref(nodes_conf) : NULL;
}

void sim_world_node_stats(const SimWorld *w, guint32 node, SimNodeStats *stats)
{
    *stats = nh_at(w, node)->stats;
}

SimRunEnd sim_world_run(SimWorld *w, RcTime until_us, guint64 max_events)
{
    return sim_kernel_run(w->k, until_us, max_events);
}

/* ------------------------------------------------------------------ entry points */

/* The node's own clock. Until its host's clock is first set that is the kernel's plus the
 * world's origin (a new host's clock reads that and never went back), so every entry point
 * of the usual run skips asking SimNet, whose host record it would read only to find the
 * same time; the clock's record needs no settling meanwhile (setting a clock settles it
 * first). */
static RcTime local_now(NodeHost *nh)
{
    if (nh->is_clock_plain)
        return sim_kernel_now(nh->w->k) + nh->w->clock_origin_us;
    return sim_net_host_local_now(nh->w->net, nh->host);
}

/* Only a running process, neither paused nor blocked in fsync, may be entered. */
static gboolean can_run(const NodeHost *nh)
{
    return nh->node != NULL && !nh->is_paused && !nh->is_blocked;
}

static void link_closed_cb(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user);
static void link_connected_cb(SimNet *net, SimConnId conn, gpointer user);
static void link_data_cb(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user);

static const SimConnHandler link_handler = {link_connected_cb, link_data_cb, link_closed_cb};

static Link *link_add(NodeHost *nh, guint32 handle, SimConnId conn)
{
    Link *l = g_new0(Link, 1);
    l->handle = handle;
    l->conn = conn;
    l->nh = nh;
    rc_handle_map_insert(&nh->links, handle, l); /* asserts: handles are never reused */
    return l;
}

static Link *link_find(NodeHost *nh, guint32 handle)
{
    return rc_handle_map_lookup(&nh->links, handle);
}

static void link_remove(NodeHost *nh, guint32 handle)
{
    g_free(rc_handle_map_remove(&nh->links, handle));
}

#define KIND(k) (1u << (k))
/* What a process does on its own: its disk and its log. */
#define LOCAL_KINDS (KIND(RC_ACT_SAVE) | KIND(RC_ACT_LOG) | KIND(RC_ACT_EVENT))
/* What goes through its sockets. */
#define IO_KINDS (KIND(RC_ACT_SEND) | KIND(RC_ACT_CONNECT) | KIND(RC_ACT_CLOSE))

/* Execute the outbox's actions of the kinds in `kinds`, in order; clear it when the other
 * kinds ran before (the end of a part run: block_for_fsync). */
static void run_outbox_kinds(NodeHost *nh, guint kinds, gboolean clear)
{
    SimWorld *w = nh->w;
    if (rc_outbox_len(nh->out) == 0)
        return; /* half the entries emit nothing (most before-sleeps); clearing would not act */
    for (guint i = 0; i < rc_outbox_len(nh->out); i++) {
        const RcAction *a = rc_outbox_get(nh->out, i);
        if (!(kinds & KIND(a->kind)))
            continue;
        switch (a->kind) {
        case RC_ACT_SEND: {
            Link *l = link_find(nh, a->handle);
            if (l == NULL)
                break;
            nh->has_bus_write |= a->is_deferred;
            /* a small payload is copied into its segments; a large one is referenced */
            if (a->bytes != NULL)
                sim_net_send_bytes(w->net, l->conn, a->bytes);
            else
                sim_net_send(w->net, l->conn, a->data, a->len);
            break;
        }
        case RC_ACT_CONNECT: {
            Link *l = link_add(nh, a->handle, SIM_CONN_NONE);
            l->conn = sim_net_connect(w->net, nh->host, a->ip, a->port, &link_handler, l);
            sim_net_conn_set_nodelay(w->net, l->conn, a->nodelay);
            break;
        }
        case RC_ACT_CLOSE: {
            Link *l = link_find(nh, a->handle);
            if (l != NULL) {
                sim_net_close(w->net, l->conn);
                link_remove(nh, a->handle);
            }
            break;
        }
        case RC_ACT_SAVE:
            if (nh->disk != NULL)
                g_bytes_unref(nh->disk);
            nh->disk = a->bytes != NULL ? g_bytes_ref(a->bytes) : NULL;
            nh->disk_at_node = a->bytes == NULL;
            nh->stats.saves++;
            break;
        case RC_ACT_LOG:
        case RC_ACT_EVENT:
            if (w->observer != NULL)
                w->observer(nh->index, sim_kernel_now(w->k), a, w->observer_user);
            break;
        }
    }
    if (clear)
        rc_outbox_clear(nh->out);
}

/* Execute the outbox, in order, then clear it. */
static void run_outbox(NodeHost *nh)
{
    run_outbox_kinds(nh, LOCAL_KINDS | IO_KINDS, TRUE);
}

static void deadline_event(SimKernel *k, gpointer data, guint64 arg);
static void sleep_event(SimKernel *k, gpointer data, guint64 arg);
static void write_event(SimKernel *k, gpointer data, guint64 arg);
static void unblock_event(SimKernel *k, gpointer data, guint64 arg);
static void resume_event(SimKernel *k, gpointer data, guint64 arg);
static gboolean block_for_fsync(NodeHost *nh);
static void schedule_write_turn(NodeHost *nh);

/* deadline_event's arg: the deadline itself, or the instant the poll returns after it */
enum { AT_DEADLINE, AT_POLL_WAKE };

/* The earliest true time at which the node's clock reads `local_us` (now if it already has):
 * a plain clock reads true time + the origin. */
static RcTime true_time_at(NodeHost *nh, RcTime local_us)
{
    if (nh->is_clock_plain)
        return MAX(local_us - nh->w->clock_origin_us, sim_kernel_now(nh->w->k));
    return sim_net_host_true_time_at(nh->w->net, nh->host, local_us);
}

/* Keep the kernel timer at the node's next deadline (in true time). */
static void arm_deadline(NodeHost *nh, gboolean force)
{
    RcTime next = rc_node_next_deadline(nh->node);
    if (!force && next == nh->deadline_local_us && nh->deadline_timer != SIM_TIMER_NONE)
        return;
    sim_kernel_cancel(nh->w->k, nh->deadline_timer);
    nh->deadline_local_us = next;
    nh->deadline_timer =
        sim_kernel_schedule(nh->w->k, true_time_at(nh, next), deadline_event, nh, AT_DEADLINE);
}

/* When the poll the event loop went to sleep in returns once the deadline has passed, or 0
 * when it does not wait at all. ae computes the poll's timeout when it goes to sleep and
 * epoll takes whole milliseconds, rounded up (ae_epoll.c); then the kernel wakes the process
 * some time later (timer slack, scheduling). So serverCron's 100 ms period is a little
 * longer than 100 ms, by a varying amount, and its phase drifts against the clock's seconds
 * (which the gossip's whole-second PONG times are cut at) as it does on a real machine. */
static RcTime poll_wake(NodeHost *nh)
{
    RcTime due = nh->deadline_local_us, slept = nh->slept_local_us;
    if (due <= slept)
        return 0;
    RcTime wait = (due - slept + RC_US_PER_MS - 1) / RC_US_PER_MS * RC_US_PER_MS;
    return slept + wait + sim_latency_sample(&nh->w->timer_latency, &nh->timer_rng);
}

/* serverCron, now (the node's deadline has passed). */
static void run_expiry(NodeHost *nh, RcTime now)
{
    nh->expiry_owed = FALSE;
    sim_trace_timer(sim_kernel_trace(nh->w->k), sim_kernel_now(nh->w->k), nh->host, now);
    nh->stats.expiries++;
    rc_node_handle_expiry(nh->node, now, nh->out);
    after_entry(nh, FALSE);
}

static void after_entry(NodeHost *nh, gboolean from_sleep)
{
    /* With fsync modelled, what an entry point emits waits for the loop's before-sleep:
     * Redis writes replies, the replication stream and bus messages only after it (see
     * block_for_fsync). Without, it goes at once, as it always did (the same instant). */
    if (from_sleep || !nh->w->has_fsync)
        run_outbox(nh);
    if (nh->node == NULL)
        return;
    if (from_sleep) {
        nh->slept_local_us = local_now(nh);
    } else {
        /* ae runs the time events that are due after the file events it woke up for */
        RcTime now = local_now(nh);
        if (now >= rc_node_next_deadline(nh->node)) {
            sim_kernel_cancel(nh->w->k, nh->deadline_timer);
            nh->deadline_timer = SIM_TIMER_NONE;
            run_expiry(nh, now);
            return;
        }
    }
    arm_deadline(nh, FALSE);
    if (!from_sleep && nh->sleep_timer == SIM_TIMER_NONE)
        nh->sleep_timer =
            sim_kernel_schedule(nh->w->k, sim_kernel_now(nh->w->k), sleep_event, nh, 0);
}

static void deadline_event(SimKernel *k, gpointer data, guint64 arg)
{
    NodeHost *nh = data;
    nh->deadline_timer = SIM_TIMER_NONE;
    if (nh->node == NULL)
        return;
    if (nh->is_paused || nh->is_blocked) {
        nh->expiry_owed = TRUE;
        return;
    }
    RcTime now = local_now(nh);
    if (now < nh->deadline_local_us) { /* the clock was stepped back meanwhile */
        arm_deadline(nh, TRUE);
        return;
    }
    if (arg == AT_DEADLINE) {
        RcTime wake = poll_wake(nh);
        if (wake > now) {
            nh->deadline_timer =
                sim_kernel_schedule(k, true_time_at(nh, wake), deadline_event, nh, AT_POLL_WAKE);
            return;
        }
    }
    run_expiry(nh, now);
}

static void sleep_event(SimKernel *k, gpointer data, guint64 arg)
{
    NodeHost *nh = data;
    (void)k;
    (void)arg;
    nh->sleep_timer = SIM_TIMER_NONE;
    if (nh->node == NULL)
        return;
    if (nh->is_paused || nh->is_blocked) {
        nh->sleep_owed = TRUE;
        return;
    }
    nh->stats.before_sleeps++;
    rc_node_before_sleep(nh->node, local_now(nh), nh->out);
    if (block_for_fsync(nh))
        return; /* the rest at unblock_event */
    after_entry(nh, TRUE);
    schedule_write_turn(nh);
}

/* After a before-sleep: the write handler's turn if a bus message was queued. */
static void schedule_write_turn(NodeHost *nh)
{
    SimKernel *k = nh->w->k;
    if (nh->has_bus_write && nh->node != NULL && nh->write_timer == SIM_TIMER_NONE) {
        nh->has_bus_write = FALSE;
        nh->write_timer = sim_kernel_schedule(k, sim_kernel_now(k), write_event, nh, 0);
    }
}

/* Redis saves nodes.conf with fsync (clusterSaveConfig(1): from clusterBeforeSleep when a
 * vote, a new epoch or a slot change asked for it, and at once on winning an election), and
 * fsync blocks the event loop until the disk has the file. Everything the loop's turn
 * produced waits for it: client replies and the replication stream are written later in
 * beforeSleep, bus messages by their write handlers at the next poll. So a voter's
 * FAILOVER_AUTH_ACK leaves after the fsync that records its vote, and the old master's MOVED
 * replies after the one that records its new role. Meanwhile the process runs nothing: its
 * kernel acknowledges and buffers (the net holds its callbacks, as for SIGSTOP), its cron is
 * owed. The disk work itself (SAVE) and the log lines happen now, in their order; the
 * sockets' actions at the end. FALSE (and nothing done) when the outbox has no fsync or the
 * fsync time is 0. */
static gboolean block_for_fsync(NodeHost *nh)
{
    SimWorld *w = nh->w;
    if (!w->has_fsync)
        return FALSE;
    RcTime d = 0;
    for (guint i = 0; i < rc_outbox_len(nh->out); i++) {
        const RcAction *a = rc_outbox_get(nh->out, i);
        if (a->kind == RC_ACT_SAVE && a->is_fsync)
            d += sim_latency_sample(&w->fsync, &nh->disk_rng);
    }
    if (d == 0)
        return FALSE;
    run_outbox_kinds(nh, LOCAL_KINDS, FALSE);
    nh->is_blocked = TRUE;
    if (!nh->is_paused)
        sim_net_host_block(w->net, nh->host);
    nh->stats.fsync_blocks++;
    nh->unblock_timer = sim_kernel_schedule(w->k, sim_kernel_now(w->k) + d, unblock_event, nh, 0);
    return TRUE;
}

/* The fsync returned: the loop writes what its turn produced and goes to poll. */
static void finish_block(NodeHost *nh)
{
    rc_assert(nh->is_blocked && !nh->is_paused);
    nh->is_blocked = nh->unblock_owed = FALSE;
    sim_net_host_unblock(nh->w->net, nh->host); /* what queued meanwhile: from an event */
    run_outbox_kinds(nh, IO_KINDS, TRUE);
    nh->slept_local_us = local_now(nh);
    if (nh->expiry_owed || nh->sleep_owed)
        sim_kernel_schedule(nh->w->k, sim_kernel_now(nh->w->k), resume_event, nh, 0);
    else
        arm_deadline(nh, FALSE);
    schedule_write_turn(nh);
}

static void unblock_event(SimKernel *k, gpointer data, guint64 arg)
{
    NodeHost *nh = data;
    (void)k;
    (void)arg;
    nh->unblock_timer = SIM_TIMER_NONE;
    if (nh->node == NULL)
        return;
    if (nh->is_paused) {
        nh->unblock_owed = TRUE; /* SIGSTOPped during the fsync: it writes at SIGCONT */
        return;
    }
    finish_block(nh);
}

/* The event loop's turn after a cluster bus write was queued. clusterSendMessage only appends
 * to the link's buffer and installs a write handler; the socket is writable, so the next
 * poll returns at once, the handler writes, and before-sleep runs again. Client replies and
 * the replication stream are written from before-sleep itself and need no turn. What the
 * turn changes is when the work clusterBeforeSleep does from its todo flags (a manual
 * failover's next step, an election whose delay is 0) happens: at once, not at the next
 * incoming event or cron. The bytes themselves went on the wire when queued (the write is
 * microseconds later). The turn runs nothing in the node but the time-event check, then
 * before-sleep; it repeats while before-sleeps keep queueing bus messages. */
static void write_event(SimKernel *k, gpointer data, guint64 arg)
{
    NodeHost *nh = data;
    (void)k;
    (void)arg;
    nh->write_timer = SIM_TIMER_NONE;
    if (nh->node == NULL)
        return;
    if (nh->is_paused || nh->is_blocked) {
        nh->sleep_owed = TRUE; /* stopped before the poll returned: the turn comes at resume */
        nh->has_bus_write = TRUE;
        return;
    }
    after_entry(nh, FALSE);
}

static void link_connected_cb(SimNet *net, SimConnId conn, gpointer user)
{
    Link *l = user;
    NodeHost *nh = l->nh;
    (void)net;
    (void)conn;
    if (!can_run(nh))
        return;
    rc_node_connected(nh->node, local_now(nh), l->handle, nh->out);
    after_entry(nh, FALSE);
}

static void link_data_cb(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user)
{
    Link *l = user;
    NodeHost *nh = l->nh;
    (void)net;
    (void)conn;
    if (!can_run(nh))
        return;
    nh->stats.recvs++;
    rc_node_recv(nh->node, local_now(nh), l->handle, data, len, nh->out);
    after_entry(nh, FALSE);
}

static void link_closed_cb(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user)
{
    Link *l = user;
    NodeHost *nh = l->nh;
    guint32 handle = l->handle;
    (void)net;
    (void)conn;
    link_remove(nh, handle); /* frees l */
    if (!can_run(nh))
        return;
    rc_node_disconnected(nh->node, local_now(nh), handle, why, nh->out);
    after_entry(nh, FALSE);
}

static void accept_cb(SimNet *net, SimConnId conn, guint32 host, guint16 port, const char *peer_ip,
                      guint16 peer_port, gpointer user)
{
    NodeHost *nh = user;
    (void)host;
    if (!can_run(nh)) {
        sim_net_reset(net, conn);
        return;
    }
    RcListener which = port == nh->cfg.port ? RC_LISTENER_CLIENT : RC_LISTENER_BUS;
    nh->stats.accepts++;
    guint32 handle = rc_node_accept(nh->node, local_now(nh), which, peer_ip, peer_port, nh->out);
    Link *l = link_add(nh, handle, conn);
    sim_net_conn_set_handler(net, conn, &link_handler, l);
    after_entry(nh, FALSE);
}

static void node_boot(NodeHost *nh)
{
    SimWorld *w = nh->w;
    rc_assert(nh->node == NULL);
    nh->is_starting = FALSE;
    nh->stats.boots++;
    GError *err = NULL;
    guint16 cport = rc_node_config_cport(&nh->cfg);
    if (!sim_net_listen(w->net, nh->host, nh->cfg.port, accept_cb, nh, &err) ||
        !sim_net_listen(w->net, nh->host, cport, accept_cb, nh, &err)) {
        /* two nodes configured on one address: a setup bug, not a runtime condition */
        fprintf(stderr, "rcsim: node %s: %s\n", sim_net_host_name(w->net, nh->host), err->message);
        rc_assert(!"node listen address in use");
    }
    sim_trace_recordf(sim_kernel_trace(w->k), sim_kernel_now(w->k), SIM_TRACE_FAULT, nh->host, 0, 0,
                      "boot %s:%u", nh->cfg.ip, nh->cfg.port);
    nh->node = rc_node_new(&nh->cfg, nh->rng, local_now(nh), nh->disk, nh->out);
    nh->slept_local_us = local_now(nh);
    after_entry(nh, FALSE);
}

/* ------------------------------------------------------------------ faults */

void sim_world_crash(SimWorld *w, guint32 node)
{
    NodeHost *nh = nh_at(w, node);
    if (nh->node == NULL) {
        if (nh->is_starting) {
            /* killed while starting: the process never served */
            sim_kernel_cancel(w->k, nh->boot_timer);
            nh->boot_timer = SIM_TIMER_NONE;
            nh->is_starting = nh->boot_owed = nh->is_paused = FALSE;
            sim_net_host_crash(w->net, nh->host);
        }
        return;
    }
    disk_take(nh);
    rc_node_free(nh->node);
    nh->node = NULL;
    nh->is_paused = FALSE;
    nh->sleep_owed = nh->expiry_owed = FALSE;
    rc_outbox_clear(nh->out);
    sim_kernel_cancel(w->k, nh->deadline_timer);
    sim_kernel_cancel(w->k, nh->sleep_timer);
    sim_kernel_cancel(w->k, nh->write_timer);
    sim_kernel_cancel(w->k, nh->unblock_timer);
    nh->deadline_timer = nh->sleep_timer = nh->write_timer = nh->unblock_timer = SIM_TIMER_NONE;
    nh->has_bus_write = nh->is_blocked = nh->unblock_owed = FALSE;
    links_drop(nh);
    sim_net_host_crash(w->net, nh->host); /* resets every connection, no callbacks here */
}

void sim_world_restart(SimWorld *w, guint32 node)
{
    NodeHost *nh = nh_at(w, node);
    rc_assert(!sim_world_node_is_up(w, node));
    sim_net_host_restart(w->net, nh->host); /* the host is up: connects are refused */
    RcTime startup = sim_latency_sample(&w->startup, &nh->timer_rng);
    if (startup == 0) {
        node_boot(nh);
        return;
    }
    nh->is_starting = TRUE;
    nh->boot_timer = sim_kernel_schedule(w->k, sim_kernel_now(w->k) + startup, boot_event, nh, 0);
}

void sim_world_pause(SimWorld *w, guint32 node)
{
    NodeHost *nh = nh_at(w, node);
    rc_assert(sim_world_node_is_up(w, node) && !nh->is_paused);
    nh->is_paused = TRUE;
    if (nh->is_blocked)
        return; /* in fsync: the net holds its callbacks already; it stays stopped after */
    sim_net_host_pause(w->net, nh->host);
}

static void resume_event(SimKernel *k, gpointer data, guint64 arg)
{
    NodeHost *nh = data;
    (void)k;
    (void)arg;
    if (nh->boot_owed && !nh->is_paused) {
        nh->boot_owed = FALSE; /* its start-up ended while it was stopped */
        node_boot(nh);
        return;
    }
    if (!can_run(nh))
        return;
    /* What queued in the network ran first (its resume event was scheduled before this
     * one); now the overdue deadline, then before-sleep. */
    if (nh->expiry_owed) {
        run_expiry(nh, local_now(nh)); /* clears expiry_owed */
    } else if (nh->sleep_owed) {
        nh->sleep_owed = FALSE;
        if (!sim_kernel_is_pending(nh->w->k, nh->sleep_timer))
            nh->sleep_timer =
                sim_kernel_schedule(nh->w->k, sim_kernel_now(nh->w->k), sleep_event, nh, 0);
    }
    nh->sleep_owed = FALSE;
}

void sim_world_resume(SimWorld *w, guint32 node)
{
    NodeHost *nh = nh_at(w, node);
    rc_assert(sim_world_node_is_up(w, node) && nh->is_paused);
    nh->is_paused = FALSE;
    if (nh->is_blocked) {
        if (nh->unblock_owed)
            finish_block(nh); /* the fsync ended while stopped */
        return;               /* else it is still in fsync: unblock_event goes on */
    }
    sim_net_host_resume(w->net, nh->host);
    sim_kernel_schedule(w->k, sim_kernel_now(w->k), resume_event, nh, 0);
}

static void clock_changed(SimNet *net, guint32 host, gpointer user)
{
    SimWorld *w = user;
    (void)net;
    if (host >= w->node_of_host->len)
        return;
    gint32 node = g_array_index(w->node_of_host, gint32, host);
    if (node < 0)
        return;
    NodeHost *nh = nh_at(w, (guint32)node);
    nh->is_clock_plain = FALSE;
    if (nh->node != NULL && sim_kernel_is_pending(w->k, nh->deadline_timer))
        arm_deadline(nh, TRUE);
}
