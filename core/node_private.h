/* The inside of RcNode, shared by core/ modules and their tests only.
 *
 * Each subsystem keeps its state behind its own pointer (keyspace, replication, cluster) and
 * its own header; this file only ties them together. While an entry point runs, `now_us`,
 * `now_ms` and `out` describe that call; outside one, `out` is NULL. */
#ifndef RC_NODE_PRIVATE_H
#define RC_NODE_PRIVATE_H

#include "core/handle_map.h"
#include "core/node.h"

typedef struct RcKeyspace RcKeyspace;
typedef struct RcReplication RcReplication;
typedef struct RcCluster RcCluster;
typedef struct RcClient RcClient;
typedef struct RcClusterLink RcClusterLink;
typedef struct RcMigrateConn RcMigrateConn;

typedef enum {
    RC_CONN_CLIENT,      /* accepted on the client port: a client, or a replica of mine */
    RC_CONN_BUS_IN,      /* accepted on the bus port: a peer's link to me */
    RC_CONN_BUS_OUT,     /* opened by me to a peer's bus port */
    RC_CONN_REPL_MASTER, /* opened by me (a replica) to my master's client port */
    RC_CONN_MIGRATE,     /* opened by me to a MIGRATE target's client port */
} RcConnKind;

typedef struct {
    guint32 handle;
    RcConnKind kind;
    gboolean is_connected; /* FALSE while an outbound connect is pending */
    gpointer owner;        /* RcClient*, RcClusterLink*, RcMigrateConn* or NULL (replication) */
    char peer_ip[46];      /* the address at the other end, as the socket reports it */
    guint16 peer_port;
} RcConn;

struct RcNode {
    RcNodeConfig cfg;
    GRand *rng;          /* borrowed from the driver: the node's only randomness */
    RcTime now_us;       /* local time of the current entry point; never decreases */
    gint64 now_ms;       /* now_us / 1000, Redis's mstime() */
    RcOutbox *out;       /* outbox of the current entry point, NULL between calls */
    RcTime boot_us;      /* when the process started: sets the cron phase */
    RcTime next_cron_us; /* next serverCron run */
    guint64 cronloops;   /* serverCron runs so far (run_with_period uses it) */

    guint32 next_handle; /* handles start at 1 and are never reused */
    RcHandleMap conns;   /* guint32 handle -> RcConn* (owned); looked up, never iterated */

    RcKeyspace *db;
    RcReplication *repl;
    RcCluster *cluster;
    GPtrArray *clients; /* RcClient*, in accept order */

    /* Client layer (client.c). */
    guint64 next_client_id;           /* CLIENT ID of the next client, from 1 */
    gboolean clients_paused;          /* writes postponed (pauseClients PAUSE_WRITE) */
    gint64 clients_pause_end_ms;      /* when the pause ends by itself */
    gboolean clients_unpause_pending; /* resume postponed clients before sleeping */
    guint64 stat_numcommands;         /* commands run (INFO total_commands_processed) */
    guint64 stat_numconnections;      /* clients accepted */
};

/* Set the per-call context; every entry point starts with this. Asserts monotonic time. */
void rc_node_enter(RcNode *node, RcTime now_us, RcOutbox *out);
void rc_node_leave(RcNode *node);

/* Connection table. */
RcConn *rc_node_conn_add(RcNode *node, RcConnKind kind, gpointer owner);
RcConn *rc_node_conn_get(RcNode *node, guint32 handle);
/* Ask the driver to open a connection; returns the new handle (kind and owner recorded). */
guint32 rc_node_conn_open(RcNode *node, RcConnKind kind, gpointer owner, const char *ip,
                          guint16 port);
/* Close a connection I own; the driver will not report it back. */
void rc_node_conn_close(RcNode *node, guint32 handle);
void rc_node_send(RcNode *node, guint32 handle, const void *data, gsize len);

/* A random integer in [0, bound) from the node's stream. */
guint32 rc_node_random(RcNode *node, guint32 bound);

#endif
