/* See failover_fixture.h. The services below are test doubles of what the bus, replication
 * and client modules provide. They are weak: where the real module is linked in, it wins. */
#include "tests/failover_fixture.h"

#include <string.h>

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
    RcNode *node = g_new0(RcNode, 1);
    rc_node_config_init(&node->cfg, "127.0.0.1", 7000);
    node->rng = fo->rng;
    node->out = fo->out;
    RcCluster *c = g_new0(RcCluster, 1);
    c->nodes = g_ptr_array_new();
    c->nodes_by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->state = RC_CLUSTER_OK;
    c->mf_master_offset = -1;
    node->cluster = c;
    fo->node = node;
    c->myself = fo_add_node('m', RC_NODE_MYSELF | RC_NODE_MASTER);
}

static void node_free(RcClusterNode *n)
{
    if (n->replicas)
        g_ptr_array_unref(n->replicas);
    if (n->link)
        g_free(n->link);
    g_free(n);
}

void fo_teardown(void)
{
    RcCluster *c = fo->node->cluster;
    for (guint i = 0; i < c->nodes->len; i++)
        node_free(g_ptr_array_index(c->nodes, i));
    g_ptr_array_unref(c->nodes);
    g_hash_table_unref(c->nodes_by_name);
    g_free(c->migrating_slots_to);
    g_free(c->importing_slots_from);
    g_free(c);
    g_free(fo->node);
    rc_outbox_free(fo->out);
    g_rand_free(fo->rng);
    g_string_free(fo->calls, TRUE);
    g_free(fo);
    fo = NULL;
}

RcClusterNode *fo_add_node(char tag, guint16 flags)
{
    RcCluster *c = fo->node->cluster;
    RcClusterNode *n = g_new0(RcClusterNode, 1);
    memset(n->name, tag, RC_CLUSTER_NAMELEN);
    n->flags = flags;
    n->replicas = g_ptr_array_new();
    n->link = g_new0(RcClusterLink, 1); /* connected unless a test removes it */
    n->link->node = n;
    g_ptr_array_add(c->nodes, n);
    g_hash_table_insert(c->nodes_by_name, g_strndup(n->name, RC_CLUSTER_NAMELEN), n);
    return n;
}

void fo_make_replica(RcClusterNode *replica, RcClusterNode *master)
{
    if (replica->replica_of)
        g_ptr_array_remove(replica->replica_of->replicas, replica);
    replica->flags = (guint16)((replica->flags & ~RC_NODE_MASTER) | RC_NODE_SLAVE);
    replica->replica_of = master;
    g_ptr_array_add(master->replicas, replica);
    master->flags |= RC_NODE_MIGRATE_TO;
}

void fo_assign_slots(RcClusterNode *owner, int first, int last)
{
    RcCluster *c = fo->node->cluster;
    for (int j = first; j <= last; j++) {
        if (c->slots[j] == owner)
            continue;
        if (c->slots[j] != NULL) {
            rc_bitmap_clear(c->slots[j]->slots, j);
            c->slots[j]->numslots--;
        }
        c->slots[j] = owner;
        rc_bitmap_set(owner->slots, j);
        owner->numslots++;
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

gboolean fo_called(const char *text)
{
    return strstr(fo->calls->str, text) != NULL;
}

/* ---- test doubles (weak) ---- */

FO_WEAK gboolean rc_bitmap_test(const guint8 *bitmap, int pos)
{
    return (bitmap[pos >> 3] & (1u << (pos & 7))) != 0;
}

FO_WEAK void rc_bitmap_set(guint8 *bitmap, int pos)
{
    bitmap[pos >> 3] |= (guint8)(1u << (pos & 7));
}

FO_WEAK void rc_bitmap_clear(guint8 *bitmap, int pos)
{
    bitmap[pos >> 3] &= (guint8) ~(1u << (pos & 7));
}

FO_WEAK guint64 rc_cluster_max_epoch(const RcNode *node)
{
    RcCluster *c = node->cluster;
    guint64 max = c->current_epoch;
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        max = MAX(max, n->config_epoch);
    }
    return max;
}

FO_WEAK void rc_cluster_todo(RcNode *node, int flags)
{
    node->cluster->todo_before_sleep |= flags;
}

FO_WEAK void rc_cluster_save_config(RcNode *node)
{
    (void)node;
    record("save");
}

FO_WEAK void rc_cluster_set_node_as_master(RcNode *node, RcClusterNode *n)
{
    (void)node;
    if (n->replica_of)
        g_ptr_array_remove(n->replica_of->replicas, n);
    n->replica_of = NULL;
    n->flags = (guint16)((n->flags & ~RC_NODE_SLAVE) | RC_NODE_MASTER);
    record("set_node_as_master(%c)", n->name[0]);
}

FO_WEAK gboolean rc_cluster_del_slot(RcNode *node, int slot)
{
    RcCluster *c = node->cluster;
    RcClusterNode *owner = c->slots[slot];
    if (owner == NULL)
        return FALSE;
    rc_bitmap_clear(owner->slots, slot);
    owner->numslots--;
    c->slots[slot] = NULL;
    return TRUE;
}

FO_WEAK gboolean rc_cluster_add_slot(RcNode *node, RcClusterNode *owner, int slot)
{
    RcCluster *c = node->cluster;
    if (c->slots[slot] != NULL)
        return FALSE;
    rc_bitmap_set(owner->slots, slot);
    owner->numslots++;
    c->slots[slot] = owner;
    return TRUE;
}

FO_WEAK void rc_cluster_update_state(RcNode *node)
{
    (void)node;
    fo_recompute_size();
    record("update_state");
}

FO_WEAK void rc_cluster_broadcast_pong(RcNode *node, int target)
{
    (void)node;
    record("broadcast_pong(%s)", target == RC_BROADCAST_ALL ? "all" : "replicas");
}

FO_WEAK void rc_cluster_request_failover_auth(RcNode *node)
{
    record("request_auth(%s)", node->cluster->mf_end_ms ? "forceack" : "plain");
}

FO_WEAK void rc_cluster_send_failover_auth(RcNode *node, RcClusterNode *to)
{
    (void)node;
    record("send_auth(%c,%s)", to->name[0], to->link ? "sent" : "nolink");
}

FO_WEAK void rc_cluster_send_ping(RcNode *node, RcClusterLink *link, int type)
{
    (void)node;
    record("send_ping(%c,%d)", link->node ? link->node->name[0] : '?', type);
}

FO_WEAK void rc_cluster_send_mfstart(RcNode *node, RcClusterNode *to)
{
    (void)node;
    record("send_mfstart(%c)", to->name[0]);
}

FO_WEAK void rc_cluster_set_my_master(RcNode *node, RcClusterNode *master)
{
    RcClusterNode *me = node->cluster->myself;
    fo_make_replica(me, master);
    rc_mf_reset(node);
    record("set_my_master(%c)", master->name[0]);
}

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

FO_WEAK RcClusterNode *rc_cluster_lookup(const RcNode *node, const char *name40)
{
    return g_hash_table_lookup(node->cluster->nodes_by_name, name40);
}
