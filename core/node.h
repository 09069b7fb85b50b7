/* RcNode: one redis-server 7.0 process in cluster mode, sans-I/O.
 *
 * The driver owns the clock, the random stream and the sockets. Every entry point takes
 * the current time (the node's local clock, microseconds, never decreasing) and an outbox
 * that receives what the node wants done: bytes to send, connections to open or close, its
 * nodes.conf to persist, log lines and events (outbox.h). Nothing calls back into the
 * driver.
 *
 * Scheduling contract (ngtcp2 shape): after any entry point the driver asks
 * rc_node_next_deadline() and calls rc_node_handle_expiry() at or after that time. After a
 * batch of entry points at one instant it calls rc_node_before_sleep() once, as Redis's
 * event loop runs beforeSleep() after each pass. serverCron runs every 1000/hz ms from
 * boot, so the boot time sets the node's cron phase. */
#ifndef RC_NODE_H
#define RC_NODE_H

#include <glib.h>

#include "core/assert.h"
#include "core/outbox.h"

typedef struct RcNode RcNode;

/* Every option the core reads, named as redis.conf names them; defaults are Redis 7.0's. */
typedef struct {
    char ip[46];   /* the address peers and clients use, e.g. "127.0.0.1" */
    guint16 port;  /* client port */
    guint16 cport; /* bus port; 0 = port + 10000 */
    guint hz;      /* serverCron frequency, 10 */

    gint64 cluster_node_timeout_ms;           /* 15000 */
    gint64 cluster_replica_validity_factor;   /* 10, 0 = no limit */
    gint64 cluster_migration_barrier;         /* 1 */
    gboolean cluster_require_full_coverage;   /* TRUE */
    gboolean cluster_allow_reads_when_down;   /* FALSE */
    gboolean cluster_allow_replica_migration; /* TRUE */
    gboolean cluster_replica_no_failover;     /* FALSE */

    gint64 repl_ping_replica_period_s; /* 10 */
    gint64 repl_timeout_s;             /* 60 */
    gint64 repl_backlog_size;          /* 1 MiB */
    gint64 min_replicas_to_write;      /* 0 = off */
    gint64 min_replicas_max_lag_s;     /* 10 */
    gint64 proto_max_bulk_len;         /* 512 MiB */
    gint64 client_query_buffer_limit;  /* 1 GiB */
} RcNodeConfig;

typedef enum {
    RC_LISTENER_CLIENT, /* accepted on `port` */
    RC_LISTENER_BUS,    /* accepted on `cport` */
} RcListener;

typedef enum {
    RC_CONN_END_EOF,     /* the peer closed */
    RC_CONN_END_RESET,   /* reset (peer crashed, or its host refused) */
    RC_CONN_END_REFUSED, /* connect refused: nothing listens there */
    RC_CONN_END_TIMEOUT, /* connect timed out: no route */
} RcConnEnd;

void rc_node_config_init(RcNodeConfig *cfg, const char *ip, guint16 port);
guint16 rc_node_config_cport(const RcNodeConfig *cfg);

/* Start a node at local time `now_us`. `nodes_conf` is what the node last persisted through
 * RC_ACT_SAVE (NULL on first boot). `rng` is borrowed for the node's lifetime and is the
 * node's only source of randomness. */
RcNode *rc_node_new(const RcNodeConfig *cfg, GRand *rng, RcTime now_us, GBytes *nodes_conf,
                    RcOutbox *out);
void rc_node_free(RcNode *node);

/* A connection arrived on one of my listeners; returns its handle. */
guint32 rc_node_accept(RcNode *node, RcTime now_us, RcListener listener, const char *peer_ip,
                       guint16 peer_port, RcOutbox *out);
/* Bytes arrived on `handle`, in any chunking. */
void rc_node_recv(RcNode *node, RcTime now_us, guint32 handle, const guint8 *data, gsize len,
                  RcOutbox *out);
/* An RC_ACT_CONNECT I asked for has completed. */
void rc_node_connected(RcNode *node, RcTime now_us, guint32 handle, RcOutbox *out);
/* `handle` is gone (closed by the peer, reset, refused or timed out). Not called for
 * handles the node itself closed. */
void rc_node_disconnected(RcNode *node, RcTime now_us, guint32 handle, RcConnEnd why,
                          RcOutbox *out);

/* The earliest local time at which the node needs rc_node_handle_expiry(). */
RcTime rc_node_next_deadline(const RcNode *node);
/* Run whatever is due at `now_us`: serverCron (clusterCron, replicationCron, ...). */
void rc_node_handle_expiry(RcNode *node, RcTime now_us, RcOutbox *out);
/* Deferred work done once per event-loop pass (clusterBeforeSleep and friends). */
void rc_node_before_sleep(RcNode *node, RcTime now_us, RcOutbox *out);

/* Read-only views for drivers, checkers and the console. */
const RcNodeConfig *rc_node_config(const RcNode *node);
/* Bus frames from the network dropped so far (bad signature or length, wrong version, a
 * malformed body), whether the link was closed or kept. Redis counts nothing there and no
 * reply shows it: a statistic for tests and run summaries. */
guint64 rc_node_dropped_bus_frames(const RcNode *node);
/* The nodes.conf text of the node's last RC_ACT_SAVE (a new reference), NULL if it never
 * saved. Joined on demand: a driver keeping a disk asks for it only when it needs the bytes,
 * e.g. before it frees a crashed node. */
GBytes *rc_node_saved_conf(RcNode *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcNode, rc_node_free)

#endif
