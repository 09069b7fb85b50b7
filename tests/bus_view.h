/* A hand-built cluster view for unit tests of the bus modules: one real RcNode (myself) and
 * peer records added directly to its table, time set by hand. Header-only helpers. */
#ifndef RC_TEST_BUS_VIEW_H
#define RC_TEST_BUS_VIEW_H

#include <check.h>
#include <string.h>

#include "core/bus.h"

typedef struct {
    RcNode *node;
    GRand *rng;
    RcOutbox *out;
} BusView;

static inline BusView *bus_view_new(gint64 nt_ms, gboolean full_coverage)
{
    BusView *v = g_new0(BusView, 1);
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 30001);
    cfg.cluster_node_timeout_ms = nt_ms;
    cfg.cluster_require_full_coverage = full_coverage;
    v->rng = g_rand_new_with_seed(42);
    v->out = rc_outbox_new();
    v->node = rc_node_new(&cfg, v->rng, 0, NULL, v->out);
    rc_outbox_clear(v->out);
    return v;
}

static inline void bus_view_free(BusView *v)
{
    rc_node_free(v->node);
    rc_outbox_free(v->out);
    g_rand_free(v->rng);
    g_free(v);
}

/* Enter the node at `now_ms` (clears the outbox); leave with bus_view_leave. */
static inline void bus_view_enter(BusView *v, gint64 now_ms)
{
    rc_outbox_clear(v->out);
    rc_node_enter(v->node, now_ms * RC_US_PER_MS, v->out);
}

static inline void bus_view_leave(BusView *v)
{
    rc_node_leave(v->node);
}

/* A peer record named "<c>" repeated 40 times, with flags and slots [lo, hi] (lo < 0: none). */
static inline RcClusterNode *bus_view_add(BusView *v, char c, guint16 flags, int lo, int hi)
{
    char name[RC_CLUSTER_NAMELEN];
    memset(name, c, sizeof name);
    RcClusterNode *n = rc_cluster_node_new(v->node, name, flags);
    g_strlcpy(n->ip, "127.0.0.1", sizeof n->ip);
    n->port = (guint16)(30000 + (guint8)c);
    n->cport = (guint16)(n->port + 10000);
    rc_cluster_node_add(v->node, n);
    for (int s = lo; lo >= 0 && s <= hi; s++)
        ck_assert(rc_cluster_add_slot(v->node, n, s));
    return n;
}

/* A connected outbound link to `to` (the one I opened): what I send it shows up as SENDs. */
static inline RcClusterLink *bus_view_out_link(BusView *v, RcClusterNode *to)
{
    RcClusterLink *link = rc_link_new(v->node, to, FALSE);
    RcConn *conn = rc_node_conn_add(v->node, RC_CONN_BUS_OUT, link);
    conn->is_connected = TRUE;
    link->handle = conn->handle;
    link->is_connected = TRUE;
    return link;
}

static inline RcClusterNode *bus_view_me(BusView *v)
{
    return v->node->cluster->myself;
}

static inline guint bus_view_log_count(BusView *v, const char *needle)
{
    guint n = 0;
    for (guint i = 0; i < rc_outbox_len(v->out); i++) {
        const RcAction *a = rc_outbox_get(v->out, i);
        if (a->kind == RC_ACT_LOG && g_strstr_len(g_bytes_get_data(a->bytes, NULL),
                                                  (gssize)g_bytes_get_size(a->bytes), needle))
            n++;
    }
    return n;
}

static inline guint bus_view_event_count(BusView *v, RcEventKind kind)
{
    guint n = 0;
    for (guint i = 0; i < rc_outbox_len(v->out); i++) {
        const RcAction *a = rc_outbox_get(v->out, i);
        n += a->kind == RC_ACT_EVENT && a->event == kind;
    }
    return n;
}

#endif
