/* Resharding: CLUSTER SETSLOT <slot> IMPORTING|MIGRATING|NODE|STABLE (Redis 7.0
 * clusterCommand "setslot" branch, getSlotOrReply).
 *
 * The admin opens a slot on the destination (IMPORTING <src>), then on the source
 * (MIGRATING <dst>), moves the keys with MIGRATE, and closes it with NODE <dst>, on the
 * destination first: there it clears the importing state and takes a new configEpoch
 * without consensus, so its claim beats the source's when the PONG it broadcasts arrives.
 * On the source NODE is refused while it still holds keys of the slot; a master left
 * without slots becomes a replica of the destination when replica migration is allowed. */
#include <string.h>

#include "core/failover.h"
#include "core/keyspace.h"

gboolean rc_slot_from_arg(const RcArgv *args, int i, int *slot, GString *reply)
{
    gsize len;
    const char *data = rc_argv_data(args, i, &len);
    gint64 v;
    if (!rc_epoch_parse_ll(data, len, &v) || v < 0 || v >= RC_CLUSTER_SLOTS) {
        g_string_append(reply, "-ERR Invalid or out of range slot\r\n");
        return FALSE;
    }
    *slot = (int)v;
    return TRUE;
}

/* clusterLookupNode on a client argument: only a 40-byte name can match. */
static RcClusterNode *lookup_arg(RcNode *node, const RcArgv *args, int i)
{
    gsize len;
    const char *data = rc_argv_data(args, i, &len);
    if (len != RC_CLUSTER_NAMELEN)
        return NULL;
    char name[RC_CLUSTER_NAMELEN + 1];
    memcpy(name, data, RC_CLUSTER_NAMELEN);
    name[RC_CLUSTER_NAMELEN] = '\0';
    return rc_cluster_lookup(node, name);
}

/* The argument as printable text for an error line (Redis prints it with %s). */
static char *arg_text(const RcArgv *args, int i)
{
    gsize len;
    const char *data = rc_argv_data(args, i, &len);
    char *s = g_strndup(data, len);
    for (char *p = s; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' '; /* keep the error on one RESP line */
    return s;
}

static gboolean setslot_node(RcCommandCall *call, int slot)
{
    RcNode *node = call->node;
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *n = lookup_arg(node, call->args, 4);
    if (n == NULL) {
        g_autofree char *text = arg_text(call->args, 4);
        g_string_append_printf(call->reply, "-ERR Unknown node %s\r\n", text);
        return FALSE;
    }
    if (rc_node_is_replica(n)) {
        g_string_append(call->reply, "-ERR Target node is not a master\r\n");
        return FALSE;
    }
    guint keys = rc_keyspace_count_keys_in_slot(node->db, slot);
    if (c->slots[slot] == me && n != me && keys != 0) {
        g_string_append_printf(call->reply,
                               "-ERR Can't assign hashslot %d to a different node while I still "
                               "hold keys for this hash slot.\r\n",
                               slot);
        return FALSE;
    }
    /* A migrating slot whose keys are all gone is closed by the assignment. */
    if (keys == 0 && rc_cluster_slot_entry(c->migrating_slots_to, slot) != NULL)
        c->migrating_slots_to[slot] = NULL;

    gboolean slot_was_mine = c->slots[slot] == me;
    rc_cluster_del_slot(node, slot);
    rc_cluster_add_slot(node, n, slot);
    char name[RC_CLUSTER_NAMELEN + 1];
    rc_epoch_name(n, name);
    rc_outbox_event(node->out, RC_EVT_SLOT_MIGRATED, name, (guint64)slot);

    if (slot_was_mine && n != me && me->numslots == 0 &&
        node->cfg.cluster_allow_replica_migration) {
        rc_outbox_log(node->out, RC_LOG_WARNING,
                      "Configuration change detected. Reconfiguring myself as a replica of %s",
                      name);
        rc_cluster_set_my_master(node, n);
        rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE |
                                  RC_CLUSTER_TODO_FSYNC_CONFIG);
    }
    if (n == me && rc_cluster_slot_entry(c->importing_slots_from, slot) != NULL) {
        /* The new owner versions its claim so that it wins over the source everywhere. */
        if (rc_epoch_bump_without_consensus(node))
            rc_outbox_log(node->out, RC_LOG_WARNING, "configEpoch updated after importing slot %d",
                          slot);
        c->importing_slots_from[slot] = NULL;
        rc_cluster_broadcast_pong(node, RC_BROADCAST_ALL);
    }
    return TRUE;
}

void rc_setslot_command(RcCommandCall *call)
{
    RcNode *node = call->node;
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    const RcArgv *a = call->args;
    int slot;

    if (rc_node_is_replica(me)) {
        g_string_append(call->reply, "-ERR Please use SETSLOT only with masters.\r\n");
        return;
    }
    if (!rc_slot_from_arg(a, 2, &slot, call->reply))
        return;

    if (rc_argv_is(a, 3, "migrating") && a->argc == 5) {
        if (c->slots[slot] != me) {
            g_string_append_printf(call->reply, "-ERR I'm not the owner of hash slot %u\r\n", slot);
            return;
        }
        RcClusterNode *n = lookup_arg(node, a, 4);
        if (n == NULL) {
            g_autofree char *text = arg_text(a, 4);
            g_string_append_printf(call->reply, "-ERR I don't know about node %s\r\n", text);
            return;
        }
        if (rc_node_is_replica(n)) {
            g_string_append(call->reply, "-ERR Target node is not a master\r\n");
            return;
        }
        rc_cluster_slot_table(&c->migrating_slots_to)[slot] = n;
    } else if (rc_argv_is(a, 3, "importing") && a->argc == 5) {
        if (c->slots[slot] == me) {
            g_string_append_printf(call->reply, "-ERR I'm already the owner of hash slot %u\r\n",
                                   slot);
            return;
        }
        RcClusterNode *n = lookup_arg(node, a, 4);
        if (n == NULL) {
            g_autofree char *text = arg_text(a, 4);
            g_string_append_printf(call->reply, "-ERR I don't know about node %s\r\n", text);
            return;
        }
        if (rc_node_is_replica(n)) {
            g_string_append(call->reply, "-ERR Target node is not a master\r\n");
            return;
        }
        rc_cluster_slot_table(&c->importing_slots_from)[slot] = n;
    } else if (rc_argv_is(a, 3, "stable") && a->argc == 4) {
        if (c->importing_slots_from != NULL)
            c->importing_slots_from[slot] = NULL;
        if (c->migrating_slots_to != NULL)
            c->migrating_slots_to[slot] = NULL;
    } else if (rc_argv_is(a, 3, "node") && a->argc == 5) {
        if (!setslot_node(call, slot))
            return;
    } else {
        g_string_append(call->reply, "-ERR Invalid CLUSTER SETSLOT action or number of "
                                     "arguments. Try CLUSTER HELP\r\n");
        return;
    }
    rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE);
    g_string_append(call->reply, "+OK\r\n");
}
