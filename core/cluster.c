/* The cluster's node table as one node sees it (Redis cluster.c: createClusterNode,
 * clusterAddNode, clusterDelNode, clusterRenameNode, slots and replica bookkeeping,
 * clusterSetNodeAsMaster, clusterSetMaster, clusterReset).
 *
 * Nodes live in `nodes` in insertion order; `nodes_by_name` answers lookups by name and is
 * never iterated, so no result depends on hash order. */
#include "core/bus.h"
#include "core/failover.h"
#include "core/replication.h"

#include <stdarg.h>
#include <string.h>

void rc_cluster_log(RcNode *node, RcLogLevel level, const char *fmt, ...)
{
    if (node->out == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    rc_outbox_log(node->out, level, "%s", text);
    g_free(text);
}

void rc_cluster_event(RcNode *node, RcEventKind kind, const RcClusterNode *peer, guint64 value)
{
    if (node->out == NULL)
        return;
    char name[RC_CLUSTER_NAMELEN + 1] = "";
    if (peer != NULL) {
        memcpy(name, peer->name, RC_CLUSTER_NAMELEN);
        name[RC_CLUSTER_NAMELEN] = '\0';
    }
    rc_outbox_event(node->out, kind, name, value);
}

void rc_cluster_set_current_epoch(RcNode *node, guint64 epoch)
{
    RcCluster *c = node->cluster;
    rc_assert(epoch >= c->current_epoch);
    if (epoch == c->current_epoch)
        return;
    c->current_epoch = epoch;
    rc_cluster_event(node, RC_EVT_CURRENT_EPOCH, NULL, epoch);
}

gboolean rc_bitmap_range_all_set(const guint8 *bitmap, int first, int last)
{
    for (; first <= last; first++) {
        if ((first & 7) == 0 && last - first >= 7) {
            if (bitmap[first / 8] != 0xff)
                return FALSE;
            first += 7;
        } else if (!rc_bitmap_test(bitmap, first)) {
            return FALSE;
        }
    }
    return TRUE;
}

void rc_bitmap_set_range(guint8 *bitmap, int first, int last)
{
    while (first <= last && (first & 7) != 0)
        rc_bitmap_set(bitmap, first++);
    if (last - first + 1 >= 8) {
        int bytes = (last - first + 1) / 8;
        memset(bitmap + first / 8, 0xff, (gsize)bytes);
        first += bytes * 8;
    }
    while (first <= last)
        rc_bitmap_set(bitmap, first++);
}

gboolean rc_cluster_verify_name(const char *name, gsize len)
{
    if (len != RC_CLUSTER_NAMELEN)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            return FALSE;
    }
    return TRUE;
}

void rc_cluster_random_name(RcNode *node, char name[RC_CLUSTER_NAMELEN])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < RC_CLUSTER_NAMELEN; i++)
        name[i] = hex[rc_node_random(node, 16)];
}

RcClusterNode *rc_cluster_node_new(RcNode *node, const char *name40, guint16 flags)
{
    RcClusterNode *n = g_new0(RcClusterNode, 1);
    if (name40 != NULL)
        memcpy(n->name, name40, RC_CLUSTER_NAMELEN);
    else
        rc_cluster_random_name(node, n->name);
    n->ctime_ms = node->now_ms;
    n->flags = flags;
    n->replicas = g_ptr_array_new();
    return n;
}

static void node_free(RcClusterNode *n)
{
    g_ptr_array_unref(n->replicas);
    if (n->fail_reports != NULL)
        g_ptr_array_unref(n->fail_reports);
    g_free(n->hostname);
    rc_nodes_conf_cache_free(n->conf_cache);
    g_free(n);
}

void rc_cluster_node_add(RcNode *node, RcClusterNode *n)
{
    RcCluster *c = node->cluster;
    rc_assert(!g_hash_table_contains(c->nodes_by_name, n->name));
    g_hash_table_insert(c->nodes_by_name, n->name, n);
    g_ptr_array_add(c->nodes, n);
}

RcClusterNode *rc_cluster_lookup_len(const RcNode *node, const char *name, gsize len)
{
    if (!rc_cluster_verify_name(name, len))
        return NULL;
    return g_hash_table_lookup(node->cluster->nodes_by_name, name);
}

RcClusterNode *rc_cluster_lookup(const RcNode *node, const char *name40)
{
    return rc_cluster_lookup_len(node, name40, RC_CLUSTER_NAMELEN);
}

void rc_cluster_node_rename(RcNode *node, RcClusterNode *n, const char *name40)
{
    RcCluster *c = node->cluster;
    rc_assert(g_hash_table_remove(c->nodes_by_name, n->name));
    memcpy(n->name, name40, RC_CLUSTER_NAMELEN);
    g_hash_table_insert(c->nodes_by_name, n->name, n);
}

gboolean rc_cluster_node_add_replica(RcClusterNode *master, RcClusterNode *replica)
{
    for (guint i = 0; i < master->replicas->len; i++)
        if (g_ptr_array_index(master->replicas, i) == replica)
            return FALSE;
    g_ptr_array_add(master->replicas, replica);
    master->flags |= RC_NODE_MIGRATE_TO;
    return TRUE;
}

gboolean rc_cluster_node_remove_replica(RcClusterNode *master, RcClusterNode *replica)
{
    if (!g_ptr_array_remove(master->replicas, replica))
        return FALSE;
    if (master->replicas->len == 0)
        master->flags &= (guint16)~RC_NODE_MIGRATE_TO;
    return TRUE;
}

int rc_cluster_count_non_failing_replicas(const RcClusterNode *n)
{
    int ok = 0;
    for (guint i = 0; i < n->replicas->len; i++)
        if (!rc_node_failed((const RcClusterNode *)g_ptr_array_index(n->replicas, i)))
            ok++;
    return ok;
}

/* clusterMastersHaveSlaves: some master has replicas. */
static gboolean masters_have_replicas(const RcNode *node)
{
    const RcCluster *c = node->cluster;
    for (guint i = 0; i < c->nodes->len; i++) {
        const RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (!rc_node_is_replica(n) && n->replicas->len > 0)
            return TRUE;
    }
    return FALSE;
}

/* clusterNodeSetSlotBit: a master gaining its first slot becomes a migration target when
 * any master has replicas. The slot is free (the table is the bitmap). */
static void node_set_slot_bit(RcNode *node, RcClusterNode *n)
{
    n->numslots++;
    if (n->numslots == 1 && masters_have_replicas(node))
        n->flags |= RC_NODE_MIGRATE_TO;
}

/* After a slot changed hands: stamp the change on the cluster and its owner, and drop the
 * cached runs (rc_cluster_slot_runs). */
static void slot_changed(RcCluster *c, RcClusterNode *owner)
{
    owner->slots_version = ++c->slot_stamp;
    g_clear_pointer(&c->slot_runs, g_array_unref);
    g_clear_pointer(&c->slot_runs_next, g_array_unref);
}

gboolean rc_cluster_add_slot(RcNode *node, RcClusterNode *owner, int slot)
{
    RcCluster *c = node->cluster;
    rc_assert(slot >= 0 && slot < RC_CLUSTER_SLOTS);
    if (c->slots[slot] != NULL)
        return FALSE;
    node_set_slot_bit(node, owner);
    c->slots[slot] = owner;
    slot_changed(c, owner);
    return TRUE;
}

gboolean rc_cluster_del_slot(RcNode *node, int slot)
{
    RcCluster *c = node->cluster;
    rc_assert(slot >= 0 && slot < RC_CLUSTER_SLOTS);
    RcClusterNode *n = c->slots[slot];
    if (n == NULL)
        return FALSE;
    rc_assert(n->numslots > 0);
    n->numslots--;
    c->slots[slot] = NULL;
    slot_changed(c, n);
    return TRUE;
}

void rc_cluster_rebind_slot(RcNode *node, RcClusterNode *owner, int slot)
{
    RcCluster *c = node->cluster;
    rc_assert(slot >= 0 && slot < RC_CLUSTER_SLOTS);
    RcClusterNode *old = c->slots[slot];
    rc_assert(old != owner);
    if (old != NULL) {
        rc_assert(old->numslots > 0);
        old->numslots--;
        old->slots_version = ++c->slot_stamp;
    }
    node_set_slot_bit(node, owner);
    c->slots[slot] = owner;
    slot_changed(c, owner);
}

RcClusterNode **rc_cluster_slot_table(RcClusterNode ***table)
{
    if (*table == NULL)
        *table = g_new0(RcClusterNode *, RC_CLUSTER_SLOTS);
    return *table;
}

RcClusterNode *rc_cluster_slot_entry(RcClusterNode *const *table, int slot)
{
    rc_assert(slot >= 0 && slot < RC_CLUSTER_SLOTS);
    return table == NULL ? NULL : table[slot];
}

const GArray *rc_cluster_slot_runs(RcCluster *c)
{
    /* CLUSTER SLOTS is asked after every client error and nodes.conf is rendered after every
     * change of configuration, so the 16384-slot scan is done once per change of ownership
     * rather than once per request or per node (Redis: clusterGenNodesSlotsInfo, one pass for
     * all nodes). Each run is also chained to its owner's next run, so one node's ranges are
     * found without a scan. */
    if (c->slot_runs != NULL)
        return c->slot_runs;
    c->slot_runs = g_array_new(FALSE, FALSE, sizeof(RcSlotRun));
    int start = 0;
    for (int i = 1; i <= RC_CLUSTER_SLOTS; i++) {
        if (i < RC_CLUSTER_SLOTS && c->slots[i] == c->slots[start])
            continue;
        if (c->slots[start] != NULL) {
            RcSlotRun run = {start, i - 1};
            g_array_append_val(c->slot_runs, run);
        }
        start = i;
    }
    /* Chain each owner's runs, walking backwards so every run links to the one after it. */
    for (guint i = 0; i < c->nodes->len; i++)
        ((RcClusterNode *)g_ptr_array_index(c->nodes, i))->slot_run_first = 0;
    c->slot_runs_next = g_array_sized_new(FALSE, TRUE, sizeof(guint), c->slot_runs->len);
    g_array_set_size(c->slot_runs_next, c->slot_runs->len);
    for (guint i = c->slot_runs->len; i > 0; i--) {
        RcClusterNode *owner = c->slots[g_array_index(c->slot_runs, RcSlotRun, i - 1).first];
        g_array_index(c->slot_runs_next, guint, i - 1) = owner->slot_run_first;
        owner->slot_run_first = i;
    }
    return c->slot_runs;
}

const RcSlotRun *rc_cluster_owner_next_run(RcCluster *c, const RcClusterNode *owner, guint *cursor)
{
    rc_cluster_slot_runs(c);
    guint here =
        *cursor == 0 ? owner->slot_run_first : g_array_index(c->slot_runs_next, guint, *cursor - 1);
    *cursor = here;
    if (here == 0)
        return NULL;
    const RcSlotRun *run = &g_array_index(c->slot_runs, RcSlotRun, here - 1);
    rc_assert(c->slots[run->first] == owner);
    return run;
}

void rc_cluster_node_slot_bitmap(RcCluster *c, const RcClusterNode *n, guint8 *bitmap)
{
    memset(bitmap, 0, RC_CLUSTER_SLOTS / 8);
    if (n->numslots == 0)
        return;
    int counted = 0;
    guint cursor = 0;
    for (const RcSlotRun *r; (r = rc_cluster_owner_next_run(c, n, &cursor)) != NULL;) {
        rc_bitmap_set_range(bitmap, r->first, r->last);
        counted += r->last - r->first + 1;
    }
    rc_assert(counted == n->numslots);
}

gboolean rc_cluster_node_slots_equal(RcCluster *c, const RcClusterNode *n, const guint8 *bitmap)
{
    guint8 mine[RC_CLUSTER_SLOTS / 8];
    rc_cluster_node_slot_bitmap(c, n, mine);
    return memcmp(mine, bitmap, sizeof mine) == 0;
}

gboolean rc_cluster_node_has_slot(const RcCluster *c, const RcClusterNode *n, int slot)
{
    rc_assert(slot >= 0 && slot < RC_CLUSTER_SLOTS);
    return c->slots[slot] == n;
}

int rc_cluster_del_node_slots(RcNode *node, RcClusterNode *owner)
{
    RcCluster *c = node->cluster;
    int deleted = 0;
    for (int j = 0; j < RC_CLUSTER_SLOTS && owner->numslots > 0; j++) {
        if (c->slots[j] == owner) {
            rc_cluster_del_slot(node, j);
            deleted++;
        }
    }
    return deleted;
}

void rc_cluster_close_all_slots(RcNode *node)
{
    RcCluster *c = node->cluster;
    if (c->migrating_slots_to)
        memset(c->migrating_slots_to, 0, sizeof(RcClusterNode *) * RC_CLUSTER_SLOTS);
    if (c->importing_slots_from)
        memset(c->importing_slots_from, 0, sizeof(RcClusterNode *) * RC_CLUSTER_SLOTS);
}

gboolean rc_cluster_is_slot_unclaimed(const RcNode *node, int slot)
{
    return node->cluster->slots[slot] == NULL ||
           rc_bitmap_test(node->cluster->owner_not_claiming_slot, slot);
}

void rc_cluster_node_del(RcNode *node, RcClusterNode *del)
{
    RcCluster *c = node->cluster;
    rc_assert(del != c->myself);
    /* 1) Its slots become unassigned; migrations to and from it are forgotten. */
    for (int j = 0; j < RC_CLUSTER_SLOTS; j++) {
        if (c->importing_slots_from && c->importing_slots_from[j] == del)
            c->importing_slots_from[j] = NULL;
        if (c->migrating_slots_to && c->migrating_slots_to[j] == del)
            c->migrating_slots_to[j] = NULL;
        if (c->slots[j] == del)
            rc_cluster_del_slot(node, j);
    }
    /* 2) Its failure reports about other nodes go. */
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n != del)
            rc_failure_report_del(node, n, del);
    }
    if (c->mf_slave == del)
        c->mf_slave = NULL;
    /* 3) freeClusterNode: replicas forget their master, the master forgets it. */
    for (guint i = 0; i < del->replicas->len; i++)
        ((RcClusterNode *)g_ptr_array_index(del->replicas, i))->replica_of = NULL;
    if (del->replica_of)
        rc_cluster_node_remove_replica(del->replica_of, del);
    rc_assert(g_hash_table_remove(c->nodes_by_name, del->name));
    rc_assert(g_ptr_array_remove(c->nodes, del));
    if (del->link)
        rc_link_free(node, del->link, TRUE);
    if (del->inbound_link)
        rc_link_free(node, del->inbound_link, TRUE);
    node_free(del);
}

guint64 rc_cluster_max_epoch(const RcNode *node)
{
    const RcCluster *c = node->cluster;
    guint64 max = 0;
    for (guint i = 0; i < c->nodes->len; i++) {
        const RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n->config_epoch > max)
            max = n->config_epoch;
    }
    return MAX(max, c->current_epoch);
}

void rc_cluster_todo(RcNode *node, int flags)
{
    node->cluster->todo_before_sleep |= flags;
}

void rc_cluster_set_node_as_master(RcNode *node, RcClusterNode *n)
{
    if (rc_node_is_master(n))
        return;
    if (n->replica_of) {
        rc_cluster_node_remove_replica(n->replica_of, n);
        if (n != node->cluster->myself)
            n->flags |= RC_NODE_MIGRATE_TO;
    }
    n->flags &= (guint16)~RC_NODE_SLAVE;
    n->flags |= RC_NODE_MASTER;
    n->replica_of = NULL;
    rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE);
}

void rc_cluster_set_my_master(RcNode *node, RcClusterNode *master)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    rc_assert(master != me);
    rc_assert(me->numslots == 0);
    if (rc_node_is_master(me)) {
        me->flags &= (guint16) ~(RC_NODE_MASTER | RC_NODE_MIGRATE_TO);
        me->flags |= RC_NODE_SLAVE;
        rc_cluster_close_all_slots(node);
        rc_cluster_event(node, RC_EVT_DEMOTED, master, 0);
    } else if (me->replica_of) {
        rc_cluster_node_remove_replica(me->replica_of, me);
    }
    me->replica_of = master;
    rc_cluster_node_add_replica(master, me);
    rc_cluster_event(node, RC_EVT_REPLICA_OF, master, 0);
    rc_repl_set_master(node, master->ip, master->port);
    rc_mf_reset(node);
}

RcClusterNode *rc_cluster_slot_owner(const RcNode *node, int slot)
{
    rc_assert(slot >= 0 && slot < RC_CLUSTER_SLOTS);
    return node->cluster->slots[slot];
}

gboolean rc_cluster_is_ok(const RcNode *node)
{
    return node->cluster->state == RC_CLUSTER_OK;
}

RcClusterNode *rc_cluster_myself(const RcNode *node)
{
    return node->cluster->myself;
}

/* nodes_by_name's keys are the records' own 40-character names (random hex, verified on the
 * way in; not NUL-terminated): the first 16 characters hash them well, and equal names are
 * equal in all 40 bytes. Gossip looks up a name per entry, so this is on the hot path of
 * every PING; keying by the record's own field spares a separate key to fetch. */
static guint name_hash(gconstpointer key)
{
    const guchar *p = key;
    guint h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static gboolean name_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, RC_CLUSTER_NAMELEN) == 0;
}

/* Fields a fresh clusterState starts with (clusterInit). */
static RcCluster *cluster_alloc(void)
{
    RcCluster *c = g_new0(RcCluster, 1);
    c->state = RC_CLUSTER_FAIL;
    c->size = 1;
    c->nodes = g_ptr_array_new();
    c->nodes_by_name = g_hash_table_new(name_hash, name_equal);
    c->nodes_black_list = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c->mf_master_offset = -1;
    c->links = g_ptr_array_new();
    return c;
}

RcCluster *rc_cluster_new(RcNode *node, GBytes *nodes_conf)
{
    rc_assert(node->cluster == NULL);
    node->cluster = cluster_alloc();
    RcCluster *c = node->cluster;
    gsize len = 0;
    const char *text = nodes_conf ? g_bytes_get_data(nodes_conf, &len) : NULL;
    gboolean loaded = FALSE;
    if (len > 0) {
        g_autoptr(GError) err = NULL;
        loaded = rc_nodes_conf_load(node, text, len, &err);
        if (!loaded) {
            /* Redis exits here; the simulated process starts afresh and says why. */
            rc_cluster_log(node, RC_LOG_WARNING, "%s", err->message);
            rc_cluster_log(node, RC_LOG_WARNING,
                           "Unrecoverable error: corrupted cluster config file.");
            rc_cluster_free(c);
            node->cluster = cluster_alloc();
            c = node->cluster;
        }
    }
    if (loaded) {
        rc_cluster_log(node, RC_LOG_NOTICE, "Node configuration loaded, I'm " RC_NAME_FMT,
                       c->myself->name);
    } else {
        RcClusterNode *me = rc_cluster_node_new(node, NULL, RC_NODE_MYSELF | RC_NODE_MASTER);
        rc_cluster_node_add(node, me);
        c->myself = me;
        rc_cluster_log(node, RC_LOG_NOTICE, "No cluster configuration found, I'm " RC_NAME_FMT,
                       me->name);
    }
    c->myself->port = node->cfg.port;
    c->myself->cport = rc_node_config_cport(&node->cfg);
    c->myself->pport = 0;
    rc_failover_update_myself_flags(node);
    if (!loaded)
        rc_cluster_save_config(node, TRUE); /* clusterInit: clusterSaveConfigOrDie(1) */
    return c;
}

void rc_cluster_free(RcCluster *c)
{
    if (c == NULL)
        return;
    for (guint i = 0; i < c->links->len; i++) {
        RcClusterLink *l = g_ptr_array_index(c->links, i);
        g_byte_array_unref(l->rcvbuf);
        if (l->pending)
            g_ptr_array_unref(l->pending);
        g_free(l);
    }
    g_ptr_array_unref(c->links);
    for (guint i = 0; i < c->nodes->len; i++)
        node_free(g_ptr_array_index(c->nodes, i));
    g_ptr_array_unref(c->nodes);
    g_hash_table_unref(c->nodes_by_name);
    g_hash_table_unref(c->nodes_black_list);
    g_clear_pointer(&c->slot_runs, g_array_unref);
    g_clear_pointer(&c->slot_runs_next, g_array_unref);
    rc_nodes_saved_conf_free(c->saved_conf);
    g_free(c->migrating_slots_to);
    g_free(c->importing_slots_from);
    rc_migrate_state_free(c);
    rc_cluster_slots_cache_free(c);
    g_free(c);
}

void rc_cluster_reset(RcNode *node, gboolean hard)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    if (rc_node_is_replica(me)) {
        rc_cluster_set_node_as_master(node, me);
        rc_repl_unset_master(node);
        /* emptyData: the keyspace helper flushes on RESET of a replica (see cluster_cmd.c). */
    }
    rc_cluster_close_all_slots(node);
    rc_mf_reset(node);
    for (int j = 0; j < RC_CLUSTER_SLOTS; j++)
        rc_cluster_del_slot(node, j);
    while (c->nodes->len > 1) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, 0);
        if (n == me)
            n = g_ptr_array_index(c->nodes, 1);
        rc_cluster_node_del(node, n);
    }
    if (hard) {
        c->current_epoch = 0;
        c->last_vote_epoch = 0;
        me->config_epoch = 0;
        rc_cluster_log(node, RC_LOG_WARNING, "configEpoch set to 0 via CLUSTER RESET HARD");
        char name[RC_CLUSTER_NAMELEN];
        rc_cluster_random_name(node, name);
        rc_cluster_node_rename(node, me, name);
        rc_cluster_log(node, RC_LOG_NOTICE, "Node hard reset, now I'm " RC_NAME_FMT, me->name);
    }
    rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE |
                              RC_CLUSTER_TODO_FSYNC_CONFIG);
}
