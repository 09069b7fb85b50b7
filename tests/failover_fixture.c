/* See failover_fixture.h. The services below are test doubles of what the bus, replication
 * and client modules provide. They are weak: where the real module is linked in, it wins. */
#include "tests/failover_fixture.h"

#include <string.h>

#include "core/bus.h"

FoFixture *fo;

#define FO_WEAK __attribute__((weak))

static void record(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void record(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_string_append_vprintf(fo->calls, fmt, ap);
    va_end(ap);
    g_string_append_c(fo->calls, ';');
}

void fo_setup(guint32 seed)
{
    fo = g_new0(FoFixture, 1);
    fo->out = rc_outbox_new();
    fo->rng = g_rand_new_with_seed(seed);
    fo->calls = g_string_new("");
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
    g_string_free(fo->calls, TRUE);
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
    gsize len;
    const guint8 *d = g_bytes_get_data(a->bytes, &len);
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

gboolean fo_called(const char *text)
{
    return strstr(fo->calls->str, text) != NULL;
}

/* ---- test doubles (weak) ---- */

FO_WEAK gint64 rc_repl_offset(const RcNode *node)
{
    (void)node;
    return fo->repl_offset;
}

FO_WEAK void rc_repl_unset_master(RcNode *node)
{
    (void)node;
    record("repl_unset_master");
}

FO_WEAK void rc_repl_set_master(RcNode *node, const char *ip, guint16 port)
{
    (void)node;
    record("repl_set_master(%s:%u)", ip, port);
}

FO_WEAK gboolean rc_repl_master_link_up(const RcNode *node, gint64 *last_interaction_ms,
                                        gint64 *down_since_ms)
{
    (void)node;
    *last_interaction_ms = fo->last_interaction_ms;
    *down_since_ms = fo->down_since_ms;
    return fo->link_up;
}

FO_WEAK void rc_clients_pause_writes(RcNode *node, gint64 end_ms)
{
    (void)node;
    fo->paused_until_ms = end_ms;
    record("pause_writes(%" G_GINT64_FORMAT ")", end_ms);
}

FO_WEAK void rc_clients_unpause(RcNode *node)
{
    (void)node;
    fo->paused_until_ms = 0;
    record("unpause");
}

FO_WEAK RcArgv *rc_argv_new_from_strv(const char *const *strv)
{
    int argc = (int)g_strv_length((char **)strv);
    RcArgv *a = g_new0(RcArgv, 1);
    a->argc = argc;
    a->argv = g_new0(GBytes *, argc);
    for (int i = 0; i < argc; i++)
        a->argv[i] = g_bytes_new(strv[i], strlen(strv[i]));
    return a;
}

FO_WEAK void rc_argv_free(RcArgv *a)
{
    if (a == NULL)
        return;
    for (int i = 0; i < a->argc; i++)
        if (a->argv[i])
            g_bytes_unref(a->argv[i]);
    g_free(a->argv);
    g_free(a);
}

FO_WEAK const char *rc_argv_data(const RcArgv *a, int i, gsize *len)
{
    return g_bytes_get_data(a->argv[i], len);
}

FO_WEAK gboolean rc_argv_is(const RcArgv *a, int i, const char *word)
{
    gsize len;
    const char *d = rc_argv_data(a, i, &len);
    return len == strlen(word) && g_ascii_strncasecmp(d, word, len) == 0;
}

FO_WEAK guint rc_keyspace_count_keys_in_slot(const RcKeyspace *db, int slot)
{
    (void)db;
    return slot == fo->keys_slot ? fo->keys_in_slot : 0;
}
