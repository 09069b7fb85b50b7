/* See failover_fixture.h. Everything runs on the real modules; the fixture only builds the
 * views and sets replication and keyspace state directly. */
#include "tests/failover_fixture.h"

#include <string.h>

#include "core/bus.h"
#include "core/keyslot.h"
#include "core/keyspace.h"
#include "core/replication_private.h"

FoFixture *fo;

void fo_setup(guint32 seed)
{
    fo = g_new0(FoFixture, 1);
    fo->out = rc_outbox_new();
    fo->rng = g_rand_new_with_seed(seed);
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 7000);
    RcNode *node = rc_node_new(&cfg, fo->rng, 0, NULL, fo->out);
    fo->node = node;
    /* The test body runs as one long entry point: services need the outbox. */
    rc_node_enter(node, 0, fo->out);
    RcCluster *c = node->cluster;
    char name[RC_CLUSTER_NAMELEN];
    memset(name, 'm', sizeof name);
    rc_cluster_node_rename(node, c->myself, name);
    c->state = RC_CLUSTER_OK;
    rc_outbox_clear(fo->out);
}

void fo_teardown(void)
{
    rc_node_leave(fo->node);
    rc_node_free(fo->node);
    rc_outbox_free(fo->out);
    g_rand_free(fo->rng);
    g_free(fo);
    fo = NULL;
}

RcClusterNode *fo_add_node(char tag, guint16 flags)
{
    RcNode *node = fo->node;
    char name[RC_CLUSTER_NAMELEN];
    memset(name, tag, sizeof name);
    RcClusterNode *n = rc_cluster_node_new(node, name, flags);
    g_strlcpy(n->ip, "127.0.0.1", sizeof n->ip);
    n->port = (guint16)(7000 + (guint8)tag);
    n->cport = (guint16)(n->port + 10000);
    rc_cluster_node_add(node, n);
    /* A connected outbound link: what the node sends to n shows up as SEND actions. */
    RcClusterLink *link = rc_link_new(node, n, FALSE);
    RcConn *conn = rc_node_conn_add(node, RC_CONN_BUS_OUT, link);
    conn->is_connected = TRUE;
    link->handle = conn->handle;
    link->is_connected = TRUE;
    return n;
}

void fo_drop_link(RcClusterNode *n)
{
    rc_link_free(fo->node, n->link, TRUE);
}

void fo_make_replica(RcClusterNode *replica, RcClusterNode *master)
{
    RcNode *node = fo->node;
    if (replica == node->cluster->myself) {
        rc_cluster_set_my_master(node, master);
        return;
    }
    if (replica->replica_of)
        rc_cluster_node_remove_replica(replica->replica_of, replica);
    replica->flags = (guint16)((replica->flags & ~RC_NODE_MASTER) | RC_NODE_SLAVE);
    replica->replica_of = master;
    rc_cluster_node_add_replica(master, replica);
}

void fo_assign_slots(RcClusterNode *owner, int first, int last)
{
    for (int j = first; j <= last; j++) {
        rc_cluster_del_slot(fo->node, j);
        rc_cluster_add_slot(fo->node, owner, j);
    }
    fo_recompute_size();
}

void fo_recompute_size(void)
{
    RcCluster *c = fo->node->cluster;
    c->size = 0;
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (rc_node_is_master(n) && n->numslots > 0)
            c->size++;
    }
}

void fo_set_time_ms(gint64 ms)
{
    rc_assert(ms * 1000 >= fo->node->now_us);
    fo->node->now_us = ms * 1000;
    fo->node->now_ms = ms;
}

int fo_events(RcEventKind kind, guint64 *value)
{
    int n = 0;
    for (guint i = 0; i < rc_outbox_len(fo->out); i++) {
        const RcAction *a = rc_outbox_get(fo->out, i);
        if (a->kind == RC_ACT_EVENT && a->event == kind) {
            n++;
            if (value)
                *value = a->value;
        }
    }
    return n;
}

gboolean fo_logged(const char *text)
{
    for (guint i = 0; i < rc_outbox_len(fo->out); i++) {
        const RcAction *a = rc_outbox_get(fo->out, i);
        if (a->kind != RC_ACT_LOG)
            continue;
        gsize len;
        const char *data = g_bytes_get_data(a->bytes, &len);
        g_autofree char *line = g_strndup(data, len);
        if (strstr(line, text) != NULL)
            return TRUE;
    }
    return FALSE;
}

static int msg_type(const RcAction *a, guint8 *mflags0)
{
    gsize len = a->len;
    const guint8 *d = a->data;
    if (len < RC_BUS_HDR_LEN || memcmp(d, "RCmb", 4) != 0)
        return -1;
    if (mflags0)
        *mflags0 = d[2253];
    return (d[12] << 8) | d[13];
}

int fo_sent(int type, RcClusterNode *to, guint8 *mflags0)
{
    int n = 0;
    for (guint i = 0; i < rc_outbox_len(fo->out); i++) {
        const RcAction *a = rc_outbox_get(fo->out, i);
        if (a->kind != RC_ACT_SEND)
            continue;
        if (to != NULL && (to->link == NULL || to->link->handle != a->handle))
            continue;
        if (msg_type(a, mflags0) == type)
            n++;
    }
    return n;
}

int fo_saves(void)
{
    int n = 0;
    for (guint i = 0; i < rc_outbox_len(fo->out); i++)
        if (rc_outbox_get(fo->out, i)->kind == RC_ACT_SAVE)
            n++;
    return n;
}

int fo_fsync_saves(void)
{
    int n = 0;
    for (guint i = 0; i < rc_outbox_len(fo->out); i++) {
        const RcAction *a = rc_outbox_get(fo->out, i);
        if (a->kind == RC_ACT_SAVE && a->is_fsync)
            n++;
    }
    return n;
}

guint32 fo_feed(guint32 handle, const RcBusMsg *msg)
{
    RcNode *node = fo->node;
    RcTime now = node->now_us;
    g_autoptr(GBytes) bytes = rc_bus_encode(msg);
    gsize len;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    rc_node_leave(node);
    if (handle == 0)
        handle = rc_node_accept(node, now, RC_LISTENER_BUS, "127.0.0.1", 50000, fo->out);
    rc_node_recv(node, now, handle, data, len, fo->out);
    rc_node_before_sleep(node, now, fo->out);
    rc_node_enter(node, now, fo->out);
    return handle;
}

gboolean fo_last_sent(int type, guint32 handle, RcBusMsg *msg)
{
    const RcAction *last = NULL;
    for (guint i = 0; i < rc_outbox_len(fo->out); i++) {
        const RcAction *a = rc_outbox_get(fo->out, i);
        if (a->kind == RC_ACT_SEND && a->handle == handle && msg_type(a, NULL) == type)
            last = a;
    }
    if (last == NULL)
        return FALSE;
    gsize len = last->len;
    const guint8 *d = last->data;
    g_autoptr(GError) err = NULL;
    gboolean ok = rc_bus_decode(d, len, msg, &err);
    rc_assert(ok); /* the node's own frames always decode */
    return TRUE;
}

/* ---- replication state, set directly in the replication module's record ---- */

void fo_repl_offset(gint64 offset)
{
    RcReplication *r = rc_repl_of(fo->node);
    rc_assert(r->masterhost != NULL); /* myself replicates someone */
    r->master.is_set = TRUE;
    r->master.reploff = offset;
}

void fo_repl_link_up(gint64 last_interaction_ms)
{
    RcReplication *r = rc_repl_of(fo->node);
    r->state = RC_REPL_STATE_CONNECTED;
    r->master.is_set = TRUE;
    r->master.lastinteraction_s = last_interaction_ms / 1000;
    r->down_since_s = 0;
}

void fo_repl_link_down(gint64 down_since_ms)
{
    RcReplication *r = rc_repl_of(fo->node);
    if (r->link != 0) {
        rc_node_conn_close(fo->node, r->link); /* the link to my master is gone */
        r->link = 0;
    }
    r->state = RC_REPL_STATE_CONNECT;
    r->down_since_s = down_since_ms / 1000;
}

void fo_add_keys_in_slot(int slot, guint n)
{
    guint added = 0;
    for (guint i = 0; added < n; i++) {
        char key[32];
        int len = g_snprintf(key, sizeof key, "key:%u", i);
        if (rc_key_hash_slot(key, (gsize)len) != slot)
            continue;
        g_autoptr(GBytes) k = g_bytes_new(key, (gsize)len);
        rc_keyspace_add(fo->node->db, k, rc_object_new_string("v", 1));
        added++;
    }
}
