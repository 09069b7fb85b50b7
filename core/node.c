/* RcNode entry points: the per-call context, the connection table and the cron schedule.
 * Each subsystem plugs into the dispatch below; this file holds no Redis logic itself. */
#include "core/node_private.h"

#include "core/client.h"
#include "core/cluster.h"
#include "core/failover.h"
#include "core/db.h"
#include "core/keyspace.h"

#include <string.h>

#include "core/replication.h"

void rc_node_config_init(RcNodeConfig *cfg, const char *ip, guint16 port)
{
    memset(cfg, 0, sizeof *cfg);
    g_strlcpy(cfg->ip, ip, sizeof cfg->ip);
    cfg->port = port;
    cfg->cport = 0;
    cfg->hz = 10;
    cfg->cluster_node_timeout_ms = 15000;
    cfg->cluster_replica_validity_factor = 10;
    cfg->cluster_migration_barrier = 1;
    cfg->cluster_require_full_coverage = TRUE;
    cfg->cluster_allow_reads_when_down = FALSE;
    cfg->cluster_allow_replica_migration = TRUE;
    cfg->cluster_replica_no_failover = FALSE;
    cfg->repl_ping_replica_period_s = 10;
    cfg->repl_timeout_s = 60;
    cfg->repl_backlog_size = 1024 * 1024;
    cfg->min_replicas_to_write = 0;
    cfg->min_replicas_max_lag_s = 10;
    cfg->proto_max_bulk_len = 512LL * 1024 * 1024;
    cfg->client_query_buffer_limit = 1024LL * 1024 * 1024;
}

guint16 rc_node_config_cport(const RcNodeConfig *cfg)
{
    return cfg->cport ? cfg->cport : (guint16)(cfg->port + 10000);
}

const RcNodeConfig *rc_node_config(const RcNode *node)
{
    return &node->cfg;
}

guint64 rc_node_dropped_bus_frames(const RcNode *node)
{
    return node->cluster ? node->cluster->stats_dropped_frames : 0;
}

GBytes *rc_node_saved_conf(RcNode *node)
{
    return node->cluster ? rc_cluster_saved_conf(node->cluster) : NULL;
}

/* Redis's role letter in a log line: S while replication has a master (server.masterhost),
 * else M; M before replication exists (boot). */
static char node_role_letter(gconstpointer owner)
{
    const RcNode *node = owner;
    return node->repl != NULL && rc_repl_is_replica(node) ? 'S' : 'M';
}

void rc_node_enter(RcNode *node, RcTime now_us, RcOutbox *out)
{
    rc_assert(node->out == NULL); /* entry points never nest */
    rc_assert(now_us >= node->now_us);
    node->now_us = now_us;
    node->now_ms = now_us / RC_US_PER_MS;
    node->out = out;
    if (out != NULL)
        rc_outbox_bind_role(out, node_role_letter, node);
}

void rc_node_leave(RcNode *node)
{
    if (node->out != NULL)
        rc_outbox_bind_role(node->out, NULL, NULL);
    node->out = NULL;
}

guint32 rc_node_random(RcNode *node, guint32 bound)
{
    rc_assert(bound > 0);
    return (guint32)g_rand_int_range(node->rng, 0, (gint32)MIN(bound, (guint32)G_MAXINT32));
}

RcConn *rc_node_conn_add(RcNode *node, RcConnKind kind, gpointer owner)
{
    RcConn *c = g_new0(RcConn, 1);
    c->handle = node->next_handle++;
    c->kind = kind;
    c->owner = owner;
    rc_handle_map_insert(&node->conns, c->handle, c); /* asserts: handles are never reused */
    return c;
}

RcConn *rc_node_conn_get(RcNode *node, guint32 handle)
{
    return rc_handle_map_lookup(&node->conns, handle);
}

/* Drop a connection from the table and free it; FALSE if there was none. */
static gboolean conn_remove(RcNode *node, guint32 handle)
{
    RcConn *c = rc_handle_map_remove(&node->conns, handle);
    g_free(c);
    return c != NULL;
}

guint32 rc_node_conn_open(RcNode *node, RcConnKind kind, gpointer owner, const char *ip,
                          guint16 port)
{
    rc_assert(node->out != NULL);
    RcConn *c = rc_node_conn_add(node, kind, owner);
    g_strlcpy(c->peer_ip, ip, sizeof c->peer_ip);
    c->peer_port = port;
    /* Redis sets TCP_NODELAY on the connections it accepts and on MIGRATE's, and a replica's
     * link to its master gets it once the master's client is made (createClient); the cluster
     * bus links it opens (clusterLinkConnectHandler) never get it: they keep Nagle. */
    rc_outbox_connect(node->out, c->handle, ip, port, kind != RC_CONN_BUS_OUT);
    return c->handle;
}

void rc_node_conn_close(RcNode *node, guint32 handle)
{
    rc_assert(node->out != NULL);
    if (conn_remove(node, handle))
        rc_outbox_close(node->out, handle);
}

void rc_node_send(RcNode *node, guint32 handle, const void *data, gsize len)
{
    rc_assert(node->out != NULL);
    rc_outbox_send(node->out, handle, data, len);
}

static RcTime cron_period_us(const RcNode *node)
{
    return RC_US_PER_S / node->cfg.hz;
}

RcNode *rc_node_new(const RcNodeConfig *cfg, GRand *rng, RcTime now_us, GBytes *nodes_conf,
                    RcOutbox *out)
{
    rc_assert(cfg->hz > 0 && cfg->port > 0);
    RcNode *node = g_new0(RcNode, 1);
    node->cfg = *cfg;
    node->rng = rng;
    node->next_handle = 1;
    rc_handle_map_init(&node->conns);
    node->clients = g_ptr_array_new();
    node->boot_us = now_us;
    /* Redis's first serverCron runs 1 ms after the event loop starts. */
    node->next_cron_us = now_us + RC_US_PER_MS;
    rc_node_enter(node, now_us, out);
    node->db = rc_keyspace_new();
    rc_cluster_new(node, nodes_conf);
    node->repl = rc_repl_new(node);
    rc_node_leave(node);
    return node;
}

void rc_node_free(RcNode *node)
{
    if (node == NULL)
        return;
    /* Clients first, while the subsystems they point into still exist. Newest first, as
     * each removes itself from the list. */
    while (node->clients->len > 0)
        rc_client_free(node->clients->pdata[node->clients->len - 1]);
    rc_repl_free(node->repl);
    rc_cluster_free(node->cluster);
    rc_keyspace_free(node->db);
    g_ptr_array_unref(node->clients);
    rc_handle_map_clear(&node->conns, g_free);
    rc_handle_map_destroy(&node->conns);
    g_free(node);
}

guint32 rc_node_accept(RcNode *node, RcTime now_us, RcListener listener, const char *peer_ip,
                       guint16 peer_port, RcOutbox *out)
{
    rc_node_enter(node, now_us, out);
    RcConn *c =
        rc_node_conn_add(node, listener == RC_LISTENER_BUS ? RC_CONN_BUS_IN : RC_CONN_CLIENT, NULL);
    c->is_connected = TRUE;
    g_strlcpy(c->peer_ip, peer_ip, sizeof c->peer_ip);
    c->peer_port = peer_port;
    if (c->kind == RC_CONN_BUS_IN)
        rc_cluster_link_accepted(node, c);
    else
        c->owner = rc_client_new(node, c->handle);
    guint32 handle = c->handle;
    rc_node_leave(node);
    return handle;
}

void rc_node_recv(RcNode *node, RcTime now_us, guint32 handle, const guint8 *data, gsize len,
                  RcOutbox *out)
{
    rc_node_enter(node, now_us, out);
    RcConn *c = rc_node_conn_get(node, handle);
    if (c != NULL) {
        switch (c->kind) {
        case RC_CONN_BUS_IN:
        case RC_CONN_BUS_OUT:
            rc_cluster_link_recv(node, c, data, len);
            break;
        case RC_CONN_CLIENT:
            rc_client_recv(c->owner, data, len);
            break;
        case RC_CONN_MIGRATE:
            rc_migrate_conn_recv(node, c, data, len);
            break;
        case RC_CONN_REPL_MASTER:
            rc_repl_master_recv(node, c, data, len);
            break;
        }
    }
    rc_node_leave(node);
}

void rc_node_connected(RcNode *node, RcTime now_us, guint32 handle, RcOutbox *out)
{
    rc_node_enter(node, now_us, out);
    RcConn *c = rc_node_conn_get(node, handle);
    if (c != NULL) {
        c->is_connected = TRUE;
        if (c->kind == RC_CONN_BUS_OUT)
            rc_cluster_link_connected(node, c);
        if (c->kind == RC_CONN_REPL_MASTER)
            rc_repl_master_connected(node, c);
        if (c->kind == RC_CONN_MIGRATE)
            rc_migrate_conn_connected(node, c);
    }
    rc_node_leave(node);
}

void rc_node_disconnected(RcNode *node, RcTime now_us, guint32 handle, RcConnEnd why, RcOutbox *out)
{
    rc_node_enter(node, now_us, out);
    (void)why;
    RcConn *c = rc_node_conn_get(node, handle);
    if (c != NULL && (c->kind == RC_CONN_BUS_IN || c->kind == RC_CONN_BUS_OUT))
        rc_cluster_link_closed(node, c);
    if (c != NULL && c->kind == RC_CONN_REPL_MASTER)
        rc_repl_master_disconnected(node, c);
    if (c != NULL && c->kind == RC_CONN_CLIENT)
        rc_client_free(c->owner);
    if (c != NULL && c->kind == RC_CONN_MIGRATE)
        rc_migrate_conn_closed(node, c);
    conn_remove(node, handle);
    rc_node_leave(node);
}

RcTime rc_node_next_deadline(const RcNode *node)
{
    return node->next_cron_us;
}

/* run_with_period(ms): every cron at hz 10 for 100 ms, else every ms/(1000/hz) loops. */
static gboolean run_with_period(const RcNode *node, guint64 ms)
{
    guint64 period = 1000 / node->cfg.hz;
    return ms <= period || node->cronloops % (ms / period) == 0;
}

static void server_cron(RcNode *node)
{
    rc_clients_cron(node);     /* checkClientPauseTimeoutAndReturnIfPaused */
    rc_db_active_expire(node); /* databasesCron */
    if (run_with_period(node, 1000))
        rc_repl_cron(node);
    if (run_with_period(node, 100))
        rc_cluster_cron(node);
    rc_migrate_cron(node); /* MIGRATE timeouts; cached sockets idle 10 s (every 1000 ms in Redis) */
    node->cronloops++;
}

void rc_node_handle_expiry(RcNode *node, RcTime now_us, RcOutbox *out)
{
    rc_node_enter(node, now_us, out);
    /* Redis reschedules serverCron 1000/hz ms after it ran; a late run (a paused process)
     * runs once and continues from now, it does not catch up missed ticks. */
    if (now_us >= node->next_cron_us) {
        server_cron(node);
        node->next_cron_us = now_us + cron_period_us(node);
    }
    rc_node_leave(node);
}

void rc_node_before_sleep(RcNode *node, RcTime now_us, RcOutbox *out)
{
    rc_node_enter(node, now_us, out);
    rc_clients_before_sleep(node); /* processUnblockedClients */
    rc_cluster_before_sleep(node);
    rc_repl_before_sleep(node);
    rc_node_leave(node);
}
