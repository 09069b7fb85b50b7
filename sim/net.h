/* SimNet: a simulated network of hosts joined by TCP-like connections, with partitions,
 * latency distributions, process faults (crash, restart, pause) and per-host clocks.
 * The model is documented in sim/README.md ("Network and fault model"); in short:
 *
 * - A host has a name ("n1"), an IP ("127.0.0.1") and a process state (up, crashed, paused).
 *   Several hosts may share an IP (a cluster on one machine); listeners are (IP, port).
 * - A connection is an ordered, reliable byte stream each way. A write is cut into segments
 *   (by size and at random points drawn from the connection's own stream); each segment
 *   arrives after a latency drawn from the link's distribution, never before an earlier
 *   segment of the same direction. A read hands over everything that has arrived (up to
 *   16 KiB per callback), so chunks never match writes reliably: readers reassemble.
 * - A cut blocks one direction between two hosts. Segments that meet a cut are held by the
 *   sender and retransmitted with Linux's backoff (RTO 200 ms doubling to 120 s); held data
 *   crosses at the first retransmission after the heal. After 15 retransmissions (~924.6 s)
 *   the sender gives up: its end closes with RC_CONN_END_TIMEOUT. Connects across a cut send
 *   SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s and fail with RC_CONN_END_TIMEOUT at 131 s
 *   (Linux 6.5+; see sim_net_set_syn_linear_timeouts).
 * - Crash: the host's process is gone: every connection end on it sends RST (peers see
 *   RC_CONN_END_RESET), its listeners vanish, connects to it are refused. Pause: the host's
 *   kernel still accepts and buffers; its application gets nothing until resume.
 *
 * Connection ends are named by SimConnId: each connection has two ids, one per end. Callbacks
 * run from kernel events, never from inside a call into SimNet, so an application may call
 * SimNet freely from a callback. Hosts are named by index (0-based, in creation order). */
#ifndef SIM_NET_H
#define SIM_NET_H

#include <glib.h>

#include "core/node.h"
#include "sim/kernel.h"
#include "sim/latency.h"

typedef struct SimNet SimNet;
/* A set of hosts (a bitset by host index); see "host sets" below. */
typedef struct SimHostSet SimHostSet;

/* One end of a connection. 0 is never valid. */
typedef guint64 SimConnId;
#define SIM_CONN_NONE ((SimConnId)0)

/* What an application receives about one connection end. Every callback is optional (NULL).
 * After `closed`, or after the application called sim_net_close()/sim_net_reset(), no more
 * callbacks come for that end. */
typedef struct {
    /* An outgoing connect completed (never called for accepted ends). */
    void (*connected)(SimNet *net, SimConnId conn, gpointer user);
    /* Bytes arrived, in order, in chunks of any size >= 1. */
    void (*data)(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user);
    /* The end is gone: EOF (peer closed), RESET, REFUSED or TIMEOUT (connect or
     * retransmission). The id stays invalid afterwards. */
    void (*closed)(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user);
} SimConnHandler;

/* A connection arrived on (host, port). The callee must call sim_net_conn_set_handler()
 * before returning (or close/reset the end). `peer_ip`/`peer_port` name the other end. */
typedef void (*SimAcceptFn)(SimNet *net, SimConnId conn, guint32 host, guint16 port,
                            const char *peer_ip, guint16 peer_port, gpointer user);

typedef enum {
    SIM_HOST_UP,
    SIM_HOST_CRASHED, /* process gone; the machine (its kernel) still answers with RST */
    SIM_HOST_PAUSED,  /* SIGSTOP: the kernel accepts and buffers, the process runs nothing */
} SimHostState;

typedef struct {
    guint64 connects;         /* connects attempted */
    guint64 accepted;         /* connections established */
    guint64 refused;          /* connects refused (nothing listening / host crashed) */
    guint64 connect_timeouts; /* connects that timed out across a cut */
    guint64 resets;           /* ends closed by RST */
    guint64 retrans_timeouts; /* established ends closed after tcp_retries2 */
    guint64 retransmissions;  /* retransmission rounds that found the path still cut */
    guint64 segments;         /* segments delivered */
    guint64 bytes;            /* bytes delivered to applications */
} SimNetStats;

/* A network on kernel `k` (borrowed; it must outlive the network). Link streams are derived
 * from sim_kernel_seed(k). */
SimNet *sim_net_new(SimKernel *k);
void sim_net_free(SimNet *net);
SimKernel *sim_net_kernel(SimNet *net);
void sim_net_get_stats(const SimNet *net, SimNetStats *stats);

/* ---- hosts ---- */
/* Add a host; names are unique (asserted), `ip` is dotted IPv4 text. Returns its index. */
guint32 sim_net_add_host(SimNet *net, const char *name, const char *ip);
guint sim_net_n_hosts(const SimNet *net);
const char *sim_net_host_name(const SimNet *net, guint32 host);
const char *sim_net_host_ip(const SimNet *net, guint32 host);
/* Index of the host named `name`, or -1. */
gint64 sim_net_host_lookup(const SimNet *net, const char *name);
SimHostState sim_net_host_state(const SimNet *net, guint32 host);
/* Live connection ends on a host (for tests and statistics). */
guint sim_net_host_n_conns(const SimNet *net, guint32 host);

/* ---- listeners and connections ---- */
/* Listen on (the host's IP, port). FALSE with `port: in use` if taken; hosts sharing an IP
 * share the port space. Not allowed on a crashed host (asserted). */
gboolean sim_net_listen(SimNet *net, guint32 host, guint16 port, SimAcceptFn fn, gpointer user,
                        GError **error);
void sim_net_unlisten(SimNet *net, guint32 host, guint16 port);

/* Open a connection from `host` to ip:port. The answer comes later through `handler`:
 * connected(), or closed() with REFUSED or TIMEOUT. `handler` must outlive the end. */
SimConnId sim_net_connect(SimNet *net, guint32 host, const char *ip, guint16 port,
                          const SimConnHandler *handler, gpointer user);
/* Set the handler of an accepted end (from inside the SimAcceptFn). */
void sim_net_conn_set_handler(SimNet *net, SimConnId conn, const SimConnHandler *handler,
                              gpointer user);
/* TCP_NODELAY on an end (TRUE, the default for every end: the applications here set it). With
 * it off, the end's small writes wait for acks (Nagle) and its peer delays them (delayed
 * ACKs): see sim/README.md, "Nagle and delayed ACKs". Set it before writing. */
void sim_net_conn_set_nodelay(SimNet *net, SimConnId conn, gboolean nodelay);
/* Queue bytes on an end. Writes before `connected` are sent once connected. FALSE (and
 * nothing sent) if the end is closed or was reported closed. */
gboolean sim_net_send(SimNet *net, SimConnId conn, const void *data, gsize len);
gboolean sim_net_send_bytes(SimNet *net, SimConnId conn, GBytes *bytes);
/* Close: queued bytes are still delivered, then the peer sees EOF. No callbacks follow. */
void sim_net_close(SimNet *net, SimConnId conn);
/* Abort: queued bytes are dropped and the peer sees RESET. No callbacks follow. */
void sim_net_reset(SimNet *net, SimConnId conn);
/* TRUE while the end may be used (not closed by either side as far as this end knows). */
gboolean sim_net_conn_is_open(const SimNet *net, SimConnId conn);
guint32 sim_net_conn_host(const SimNet *net, SimConnId conn);
guint32 sim_net_conn_peer_host(const SimNet *net, SimConnId conn);
/* The other end's address as a socket reports it (ip and port, ephemeral for initiators). */
const char *sim_net_conn_peer_ip(const SimNet *net, SimConnId conn);
guint16 sim_net_conn_peer_port(const SimNet *net, SimConnId conn);
guint16 sim_net_conn_local_port(const SimNet *net, SimConnId conn);

/* ---- latency and chunking ---- */
/* The distribution for every link not matched by a rule below. */
void sim_net_set_latency(SimNet *net, const SimLatency *lat);
/* For links between a host in `a` and a host in `b`, both directions. Later rules win.
 * A pair: singletons. A group: a == b. */
void sim_net_set_latency_between(SimNet *net, const SimHostSet *a, const SimHostSet *b,
                                 const SimLatency *lat);
void sim_net_set_latency_pair(SimNet *net, guint32 a, guint32 b, const SimLatency *lat);
/* Segment size (default 1448 bytes, as Ethernet's MSS) and the chance that a write is also
 * cut at one random point (default 0.25). */
void sim_net_set_chunking(SimNet *net, guint mss, double split_probability);
/* The MSS alone (the split probability kept). Loopback's is 65483 (MTU 65536 less the IP and
 * TCP headers and timestamps): a real run on one machine sends each bus message as one segment,
 * which matters to Nagle and delayed ACKs. */
#define SIM_NET_MSS_DEFAULT 1448
#define SIM_NET_MSS_LOOPBACK 65483
void sim_net_set_mss(SimNet *net, guint mss);
/* Linux's tcp_syn_linear_timeouts: a connect retransmits its SYN every second this many times
 * before the timeout starts doubling, and gets as many more tries (default 4, Linux 6.5 and
 * later; 0 is the older kernels' 1, 2, 4, ... s). */
#define SIM_NET_SYN_LINEAR_TIMEOUTS_DEFAULT 4
#define SIM_NET_SYN_LINEAR_TIMEOUTS_MAX 16
void sim_net_set_syn_linear_timeouts(SimNet *net, guint n);

/* ---- host sets ---- */
/* An empty set sized for the hosts that exist now. */
SimHostSet *sim_host_set_new(const SimNet *net);
void sim_host_set_free(SimHostSet *set);
void sim_host_set_add(SimHostSet *set, guint32 host);
gboolean sim_host_set_has(const SimHostSet *set, guint32 host);
guint sim_host_set_count(const SimHostSet *set);
/* Parse "n1,c1" (host names, comma separated). Errors: `hosts: unknown host 'x'`. */
SimHostSet *sim_host_set_parse(const SimNet *net, const char *text, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimHostSet, sim_host_set_free)

/* ---- partitions ---- */
/* A cut id names everything one call installed; 0 is never valid. */
typedef guint32 SimCutId;
/* Hosts in `from` cannot reach hosts in `to` (segments, SYNs and RSTs are lost); the other
 * direction is unaffected. */
SimCutId sim_net_cut_oneway(SimNet *net, const SimHostSet *from, const SimHostSet *to);
/* Split into groups that cannot reach each other, both ways. Hosts in no group form one more
 * group ("rest"). Groups must be disjoint (asserted). */
SimCutId sim_net_partition(SimNet *net, const SimHostSet *const *groups, guint n_groups);
/* `host` | rest. */
SimCutId sim_net_isolate(SimNet *net, guint32 host);
/* `a` and `b` cannot reach each other; `bridge` (in neither) reaches both. Hosts in none of
 * the three are in `b`'s side. */
SimCutId sim_net_bridge(SimNet *net, const SimHostSet *a, const SimHostSet *b, guint32 bridge);
/* Remove one cut; FALSE if no such cut is installed. */
gboolean sim_net_heal(SimNet *net, SimCutId cut);
void sim_net_heal_all(SimNet *net);
/* TRUE when no cut blocks src -> dst (a host always reaches itself). */
gboolean sim_net_can_reach(const SimNet *net, guint32 src, guint32 dst);

/* ---- process faults (the application's side is the caller's business: see host.h) ---- */
/* The process dies: RST on every end (peers see RESET; no callbacks to this host), listeners
 * removed, buffered data dropped. Connects to it are refused until the app listens again. */
void sim_net_host_crash(SimNet *net, guint32 host);
/* How a killed process's sockets close (Linux closes them one by one as the process exits):
 * the first `start` after the kill, each next one `spacing_us` later, oldest first; until
 * then an end acknowledges and buffers what arrives and nothing reads it. Both 0 (the
 * default): every end resets at the kill. A restart closes what is left at once. */
void sim_net_set_crash_teardown(SimNet *net, const SimLatency *start, RcTime spacing_us);
/* The process is back (state UP, no listeners yet: the application re-listens). */
void sim_net_host_restart(SimNet *net, guint32 host);
/* SIGSTOP: callbacks for this host are queued (accepts, data, closes) in arrival order. */
void sim_net_host_pause(SimNet *net, guint32 host);
/* SIGCONT: the queued callbacks run, in order, from an event at the current instant. */
void sim_net_host_resume(SimNet *net, guint32 host);
/* The process is in a blocking system call (fsync): as pause and resume, traced apart. */
void sim_net_host_block(SimNet *net, guint32 host);
void sim_net_host_unblock(SimNet *net, guint32 host);

/* ---- clocks ---- */
/* Every host's clock reads `origin_us` at true time 0 (default 0): the wall clock's time of
 * day when the run began, of which Redis's whole-second rules (server.unixtime, gossip's
 * pong times) see the sub-second phase. Set it before the first host is added. */
void sim_net_set_clock_origin(SimNet *net, RcTime origin_us);
/* From now on host `host`'s clock reads true time + the origin + `offset_us`, running `drift_ppm`
 * parts per million fast (negative: slow), |drift_ppm| <= 100000. A local clock never goes back: a
 * backward step makes it stand still until true time catches up. */
void sim_net_host_set_clock(SimNet *net, guint32 host, RcTime offset_us, gint64 drift_ppm);
/* Called after every sim_net_host_set_clock() (one hook; NULL removes it). The node driver
 * uses it to move its deadline timers when a clock is stepped. */
typedef void (*SimClockHook)(SimNet *net, guint32 host, gpointer user);
void sim_net_set_clock_hook(SimNet *net, SimClockHook fn, gpointer user);
/* The host's local time now (monotonic per host). */
RcTime sim_net_host_local_now(SimNet *net, guint32 host);
/* The earliest true time at which the host's clock reads >= `local_us` (>= now). */
RcTime sim_net_host_true_time_at(SimNet *net, guint32 host, RcTime local_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimNet, sim_net_free)

#endif
