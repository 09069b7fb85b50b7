/* SimClient: a smart Redis Cluster client as an actor on the simulated network, behaving as
 * redis-cli -c, Jedis or Lettuce in cluster mode do:
 *
 * - It learns the slot map with CLUSTER SLOTS before its first request and again after any
 *   MOVED, connection error or timeout: first from its home node, later from the node that
 *   last answered any process of its host (unless a CLUSTER SLOTS to it failed since); a
 *   node that fails to answer passes the question to the next in turn.
 * - It routes each request to the master of the key's slot, one connection per node, opened
 *   lazily and reused.
 * - MOVED: it updates that slot at once, marks the map stale and re-sends (at most 5
 *   redirections per request). ASK: it re-sends to the named node preceded by ASKING, once.
 * - TRYAGAIN and CLUSTERDOWN: it waits `backoff` and tries again, up to `retries` times,
 *   then the request fails with that error.
 * - Connection refused, reset or closed: the map is marked stale and the request is retried
 *   after `backoff` (up to `retries` times).
 * - Each attempt has a timeout. When it expires the connection is reset (a late reply could
 *   not be matched) and the request is retried; when no retry is left it completes `info`
 *   if any attempt may have reached a node, else `fail`.
 * - Optionally WAIT n t follows each write on the same connection; a write whose WAIT
 *   counted fewer than n replicas completes `info` (it may or may not survive a failover).
 *
 * One request at a time per client, as one Jepsen process. The processes of one client host
 * share one slot map (sim_client_share_slot_map) but keep their own connections. */
#ifndef SIM_CLIENT_H
#define SIM_CLIENT_H

#include <glib.h>

#include "sim/client_resp.h"
#include "sim/history.h"
#include "sim/net.h"

typedef struct SimClient SimClient;

typedef struct {
    RcTime timeout_us;   /* per attempt */
    guint retries;       /* attempts after the first */
    RcTime backoff_us;   /* before a retry */
    guint wait_replicas; /* WAIT after each write; 0 = off */
    gint64 wait_timeout_ms;
} SimClientConfig;

/* Where the nodes listen: node i at addrs[i]. */
typedef struct {
    char ip[46];
    guint16 port;
} SimNodeAddr;

typedef struct {
    SimOpType type;  /* OK, FAIL or INFO */
    SimReply *reply; /* OK: the command's reply (owned by the result: `done` may take it,
                        leaving NULL; else the client reuses its block) */
    gint node;       /* the node that answered last, or -1 */
    char *error;     /* FAIL, INFO: why; in the result given to `done`, valid during the call
                        only (copy it to keep it) */
    guint attempts;
    guint redirects;
} SimClientResult;

typedef void (*SimClientDoneFn)(SimClient *c, SimClientResult *res, gpointer user);

/* `home` is the node tried first for CLUSTER SLOTS. `addrs` (n_nodes) is copied. */
SimClient *sim_client_new(SimNet *net, guint32 host, guint index, const SimClientConfig *cfg,
                          const SimNodeAddr *addrs, guint n_nodes, guint home);
void sim_client_free(SimClient *c);
/* From now on `c` uses `owner`'s slot map: a refresh or a MOVED seen by either serves both, as
 * the threads of one JedisCluster instance share its slot cache. `c` must be new and idle. */
void sim_client_share_slot_map(SimClient *c, SimClient *owner);

/* Route `argv` by `key` and run it; `is_write` adds WAIT when configured. `done` runs once,
 * from a kernel event, with the outcome (the callee may start the next request from it). */
void sim_client_request(SimClient *c, guint argc, const char *const *argv, const char *key,
                        gboolean is_write, SimClientDoneFn done, gpointer user);
/* Send `argv` to node `node` only: no routing, no redirects, no retries (admin commands). */
void sim_client_request_node(SimClient *c, guint node, guint argc, const char *const *argv,
                             SimClientDoneFn done, gpointer user);
gboolean sim_client_busy(const SimClient *c);
guint32 sim_client_host(const SimClient *c);
/* The node the client currently maps `slot` to, or -1. */
gint sim_client_slot_node(const SimClient *c, guint slot);

/* Free a result a caller kept (its reply and its own copy of the error). */
void sim_client_result_clear(SimClientResult *res);

/* The hash slot of a key (CRC16/XMODEM of the key or of its {hash tag}, mod 16384). */
guint sim_key_slot(const char *key, gsize len);

#endif
