/* A tiny in-process network for core tests: a few RcNodes whose outboxes are pumped into
 * each other at one virtual instant, plus test clients that speak RESP to a node.
 *
 * Connections are matched by port: a CONNECT to port P reaches the node whose client or
 * bus port is P. Each direction of a connection can be held (bytes queue up) or cut
 * (bytes are lost), which is how tests model a silent peer without closing anything. */
#ifndef RC_TEST_REPL_HARNESS_H
#define RC_TEST_REPL_HARNESS_H

#include <glib.h>

#include "core/node_private.h"

#define H_MAX_NODES 6
#define H_CLIENT (-1)

typedef struct {
    int a, b;       /* node indexes, or H_CLIENT for a test client on side b */
    guint32 ha, hb; /* handle on each side */
    gboolean is_open;
    gboolean hold_ab, hold_ba; /* queue bytes in that direction */
    gboolean cut_ab, cut_ba;   /* drop bytes in that direction */
    GByteArray *held_ab, *held_ba;
    GString *client_in; /* replies received by a test client (b == H_CLIENT) */
} HLink;

typedef struct {
    int n;
    RcNode *nodes[H_MAX_NODES];
    RcOutbox *outs[H_MAX_NODES];
    GRand *rngs[H_MAX_NODES];
    gboolean is_down[H_MAX_NODES];              /* refuses connections */
    gboolean blocked[H_MAX_NODES][H_MAX_NODES]; /* partition: i cannot reach j (drops, refuses) */
    GPtrArray *links;                           /* HLink* */
    GArray *events[H_MAX_NODES];                /* RcAction copies of RC_ACT_EVENT (bytes NULL) */
    GPtrArray *sent[H_MAX_NODES];               /* every SEND payload of each node, as GString* */
    RcTime now_us;
    guint16 next_ephemeral;
} Harness;

Harness *h_new(int n, const RcNodeConfig *cfg_template);
void h_free(Harness *h);
/* Deliver every pending action until nothing moves, then before-sleep everywhere. */
void h_pump(Harness *h);
/* Run every node's timers up to `t_us` (inclusive), pumping after each. */
void h_advance_to(Harness *h, RcTime t_us);
void h_advance_ms(Harness *h, gint64 ms);
/* Run `fn` inside node i's entry-point context, then pump. */
void h_enter(Harness *h, int i);
void h_leave(Harness *h, int i);

/* The link between node a's handle and its peer. */
HLink *h_link_of(Harness *h, int node, guint32 handle);
/* The replication link of replica `r` (the one it opened to its master), or NULL. */
HLink *h_repl_link(Harness *h, int replica);
void h_set_hold(HLink *l, gboolean from_a, gboolean hold);
void h_release(Harness *h, HLink *l);
/* Close a connection as a network reset would: both ends are told. */
void h_reset(Harness *h, HLink *l);

/* Partition: cut every node in `side` (a bitmask of indexes) from every node outside it,
 * both ways; heal with `side` = 0. Open connections stay open and lose their bytes. */
void h_partition(Harness *h, guint32 side);

/* A test client connected to node i. */
HLink *h_client(Harness *h, int i);
/* Send one command (words split on spaces) and return the bytes received since the last
 * call (caller frees). */
char *h_cmd(Harness *h, HLink *client, const char *line);
/* Send without pumping or reading. */
void h_client_send(Harness *h, HLink *client, const char *line);
char *h_client_take(HLink *client);

/* How many events of `kind` node i emitted. */
guint h_count_events(Harness *h, int i, RcEventKind kind);
/* How many SEND payloads of node i contain `needle`. */
guint h_count_sent(Harness *h, int i, const char *needle);

#endif
