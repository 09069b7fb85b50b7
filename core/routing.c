/* Client routing in cluster mode: Redis 7.0's getNodeByQuery() and clusterRedirectClient()
 * (cluster.c), called from processCommand() for every request of a normal client.
 *
 * The checks run in Redis's order, and the order is the behaviour: a slot without an owner
 * answers "Hash slot not served" before CROSSSLOT is even looked at for later keys; a down
 * cluster refuses keyed commands before any MOVED; MIGRATE runs locally in an open slot;
 * a migrating slot sends ASK only when none of the keys is here; a replica serves reads
 * only to READONLY clients and only for its own master's slots. */
#include "core/routing.h"

#include <string.h>

#include "core/cluster_types.h"
#include "core/commands.h"
#include "core/keyslot.h"
#include "core/keyspace.h"
#include "core/replication.h"

/* Commands are told apart by their implementation, as Redis compares c->cmd->proc: no
 * string comparison on a path every request takes. */
static gboolean cmd_is_exec(const RcCommand *cmd)
{
    return cmd != NULL && cmd->proc == rc_cmd_exec;
}

/* By name: asked only in a slot being migrated or imported, never on the common path. */
static gboolean cmd_is_migrate(const RcCommand *cmd)
{
    return cmd != NULL && strcmp(cmd->name, "migrate") == 0;
}

static gboolean is_pubsubshard(const RcCommand *cmd)
{
    return cmd != NULL && (cmd->flags & RC_CMD_PUBSUBSHARD) != 0;
}

/* A key counts as present only if a read would see it, without the read's side effects:
 * no lazy expiry, no access-time touch (LOOKUP_NOTOUCH|NOSTATS|NONOTIFY|NOEXPIRE). A key
 * past its TTL is missing even though it is still stored. */
static gboolean key_exists_quietly(const RcNode *node, const char *key, gsize len)
{
    const RcKey *k = rc_keyspace_find(node->db, key, len);
    return k != NULL && !rc_key_is_expired(k, node->now_ms);
}

typedef struct {
    RcClusterNode *n;     /* owner of the slot of the first key */
    const char *firstkey; /* NULL until the first key is seen */
    gsize firstkey_len;
    int slot;
    gboolean multiple_keys;
    gboolean migrating_slot;
    gboolean importing_slot;
    int missing_keys;
    int existing_keys;
} Scan;

/* One key argument of a command being scanned. Returns RC_REDIR_NONE to continue, or the
 * error that ends the scan. */
static RcRedirect scan_key(const RcNode *node, const RcArgv *margv, int pos, gboolean pubsubshard,
                           Scan *s)
{
    const RcCluster *cl = node->cluster;
    rc_assert(pos > 0 && pos < margv->argc);
    gsize len;
    const char *thiskey = rc_argv_data(margv, pos, &len);
    int thisslot = rc_key_hash_slot(thiskey, len);
    if (s->firstkey == NULL) {
        s->firstkey = thiskey;
        s->firstkey_len = len;
        s->slot = thisslot;
        s->n = cl->slots[thisslot];
        /* The state may not have turned FAIL yet: report the unbound slot here. */
        if (s->n == NULL)
            return RC_REDIR_DOWN_UNBOUND;
        if (s->n == cl->myself && cl->migrating_slots_to != NULL &&
            cl->migrating_slots_to[thisslot] != NULL)
            s->migrating_slot = TRUE;
        else if (cl->importing_slots_from != NULL && cl->importing_slots_from[thisslot] != NULL)
            s->importing_slot = TRUE;
    } else if (s->firstkey_len != len || memcmp(s->firstkey, thiskey, len) != 0) {
        if (thisslot != s->slot)
            return RC_REDIR_CROSS_SLOT;
        s->multiple_keys = TRUE;
    }
    if ((s->migrating_slot || s->importing_slot) && !pubsubshard) {
        if (key_exists_quietly(node, thiskey, len))
            s->existing_keys++;
        else
            s->missing_keys++;
    }
    return RC_REDIR_NONE;
}

/* One command's keys (the single command, or one queued in MULTI), in the order
 * rc_command_get_keys() gives them. Returns RC_REDIR_NONE to continue, or the error that
 * ends the scan. */
static RcRedirect scan_command(const RcNode *node, const RcCommand *mcmd, const RcArgv *margv,
                               gboolean pubsubshard, Scan *s)
{
    RcRedirect result = RC_REDIR_NONE;
    if (!(mcmd->flags & RC_CMD_MOVABLE_KEYS)) {
        /* The key range of the table, walked in place (no array per request). */
        if (mcmd->first_key == 0)
            return RC_REDIR_NONE;
        int last = rc_command_last_key(mcmd, margv->argc);
        for (int i = mcmd->first_key; i <= last && i < margv->argc && result == RC_REDIR_NONE;
             i += mcmd->key_step)
            result = scan_key(node, margv, i, pubsubshard, s);
        return result;
    }
    GArray *keys = g_array_new(FALSE, FALSE, sizeof(gint));
    rc_command_get_keys(mcmd, margv, keys);
    for (guint j = 0; j < keys->len && result == RC_REDIR_NONE; j++)
        result = scan_key(node, margv, g_array_index(keys, gint, j), pubsubshard, s);
    g_array_unref(keys);
    return result;
}

RcClusterNode *rc_routing_get_node(RcNode *node, RcClient *client, const RcCommand *cmd,
                                   const RcArgv *args, int *slot, RcRedirect *code)
{
    const RcCluster *cl = node->cluster;
    rc_assert(cl != NULL && cl->myself != NULL);
    *code = RC_REDIR_NONE;
    *slot = 0;
    guint32 cflags = client != NULL ? client->flags : 0;
    gboolean is_exec = cmd_is_exec(cmd);
    /* Every request is routed as a transaction: EXEC examines its queue, any other command
     * is a queue of one. EXEC outside MULTI only gets its own error. */
    if (is_exec && !(cflags & RC_CLIENT_MULTI))
        return cl->myself;
    gboolean pubsubshard = is_pubsubshard(cmd);
    gboolean queued_write = FALSE;
    Scan s = {0};
    if (is_exec) {
        rc_assert(client->mstate != NULL);
        for (guint i = 0; i < client->mstate->len; i++) {
            const RcArgv *margv = g_ptr_array_index(client->mstate, i);
            gsize nlen;
            const char *name = rc_argv_data(margv, 0, &nlen);
            const RcCommand *mcmd = rc_command_lookup(name, nlen);
            if (mcmd == NULL)
                continue; /* unknown commands were refused at queue time */
            if (mcmd->flags & RC_CMD_WRITE)
                queued_write = TRUE;
            *code = scan_command(node, mcmd, margv, pubsubshard, &s);
            if (*code != RC_REDIR_NONE)
                return NULL;
        }
    } else {
        *code = scan_command(node, cmd, args, pubsubshard, &s);
        if (*code != RC_REDIR_NONE)
            return NULL;
    }
    /* No key at all: served here whatever the cluster looks like. */
    if (s.n == NULL)
        return cl->myself;
    /* Keyed commands on a cluster that is down. EXEC's own flags are not WRITE: its
     * writes were checked one by one when they were queued. */
    if (cl->state != RC_CLUSTER_OK) {
        if (pubsubshard) {
            /* cluster-allow-pubsubshard-when-down defaults to yes */
        } else if (!node->cfg.cluster_allow_reads_when_down) {
            *code = RC_REDIR_DOWN_STATE;
            return NULL;
        } else if (cmd->flags & RC_CMD_WRITE) {
            *code = RC_REDIR_DOWN_RO_STATE;
            return NULL;
        }
    }
    *slot = s.slot;
    /* MIGRATE must work in an open slot, from either side. */
    if ((s.migrating_slot || s.importing_slot) && cmd_is_migrate(cmd))
        return cl->myself;
    if (s.migrating_slot && s.missing_keys) {
        if (s.existing_keys) {
            *code = RC_REDIR_UNSTABLE;
            return NULL;
        }
        *code = RC_REDIR_ASK;
        return cl->migrating_slots_to[s.slot];
    }
    if (s.importing_slot && ((cflags & RC_CLIENT_ASKING) || (cmd->flags & RC_CMD_ASKING))) {
        if (s.multiple_keys && s.missing_keys) {
            *code = RC_REDIR_UNSTABLE;
            return NULL;
        }
        return cl->myself;
    }
    gboolean is_write = (cmd->flags & RC_CMD_WRITE) || (is_exec && queued_write);
    if (((cflags & RC_CLIENT_READONLY) || pubsubshard) && !is_write &&
        rc_node_is_replica(cl->myself) && cl->myself->replica_of == s.n)
        return cl->myself;
    if (s.n != cl->myself)
        *code = RC_REDIR_MOVED;
    return s.n;
}

void rc_routing_redirect_reply(GString *reply, const RcClusterNode *n, int slot, RcRedirect code)
{
    switch (code) {
    case RC_REDIR_CROSS_SLOT:
        g_string_append(reply, "-CROSSSLOT Keys in request don't hash to the same slot\r\n");
        return;
    case RC_REDIR_UNSTABLE:
        g_string_append(reply, "-TRYAGAIN Multiple keys request during rehashing of slot\r\n");
        return;
    case RC_REDIR_DOWN_STATE:
        g_string_append(reply, "-CLUSTERDOWN The cluster is down\r\n");
        return;
    case RC_REDIR_DOWN_RO_STATE:
        g_string_append(reply,
                        "-CLUSTERDOWN The cluster is down and only accepts read commands\r\n");
        return;
    case RC_REDIR_DOWN_UNBOUND:
        g_string_append(reply, "-CLUSTERDOWN Hash slot not served\r\n");
        return;
    case RC_REDIR_MOVED:
    case RC_REDIR_ASK:
        rc_assert(n != NULL);
        /* cluster-preferred-endpoint-type ip (the default): the node's address. */
        g_string_append_printf(reply, "-%s %d %s:%u\r\n", code == RC_REDIR_ASK ? "ASK" : "MOVED",
                               slot, n->ip, n->port);
        return;
    case RC_REDIR_NONE:
        break;
    }
    rc_assert(!"rc_routing_redirect_reply without a redirection");
}

gboolean rc_routing_allows(RcNode *node, RcClient *client, const RcCommand *cmd, const RcArgv *args,
                           GString *reply)
{
    /* processCommand skips routing for the master's stream and for commands that take no
     * key arguments (EXEC excepted). */
    if (node->cluster == NULL || (client != NULL && (client->flags & RC_CLIENT_MASTER)))
        return TRUE; /* no cluster state: nothing to route (cluster mode off) */
    if (!(cmd->flags & RC_CMD_MOVABLE_KEYS) && cmd->first_key == 0 && !cmd_is_exec(cmd))
        return TRUE;
    int slot;
    RcRedirect code;
    RcClusterNode *n = rc_routing_get_node(node, client, cmd, args, &slot, &code);
    if (n != NULL && n == node->cluster->myself)
        return TRUE;
    rc_routing_redirect_reply(reply, n, slot, code);
    return FALSE;
}
