/* Epochs (Redis 7.0 cluster.c: clusterBumpConfigEpochWithoutConsensus,
 * clusterHandleConfigEpochCollision, CLUSTER BUMPEPOCH and SET-CONFIG-EPOCH).
 *
 * currentEpoch is the cluster's logical clock; a master's configEpoch versions its claim on
 * its slots. Both only grow. This file holds the few places where a node raises them on its
 * own authority (without an election): the collision rule that spreads equal epochs apart,
 * and the unilateral bump used by resharding and TAKEOVER. */
#include <string.h>

#include "core/failover.h"

void rc_epoch_name(const RcClusterNode *n, char out[RC_CLUSTER_NAMELEN + 1])
{
    memcpy(out, n->name, RC_CLUSTER_NAMELEN);
    out[RC_CLUSTER_NAMELEN] = '\0';
}

void rc_epoch_set_current(RcNode *node, guint64 epoch)
{
    RcCluster *c = node->cluster;
    rc_assert(epoch >= c->current_epoch); /* currentEpoch never decreases */
    if (epoch == c->current_epoch)
        return;
    c->current_epoch = epoch;
    if (node->out != NULL)
        rc_outbox_event(node->out, RC_EVT_CURRENT_EPOCH, "", epoch);
}

void rc_epoch_set_my_config(RcNode *node, guint64 epoch)
{
    RcClusterNode *me = node->cluster->myself;
    if (epoch == me->config_epoch)
        return;
    me->config_epoch = epoch;
    if (node->out != NULL)
        rc_outbox_event(node->out, RC_EVT_CONFIG_EPOCH, "", epoch);
}

/* Give myself a fresh configEpoch without asking anybody. Redis does it only when my epoch
 * is 0 or is not already the largest one known (currentEpoch counted): a node that already
 * holds the maximum keeps it, which is why BUMPEPOCH may answer STILL. The result may
 * collide with an epoch another node picked at the same time; the collision rule below
 * separates them later. Breaks "last failover wins", hence only for admin actions. */
gboolean rc_epoch_bump_without_consensus(RcNode *node)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    guint64 max_epoch = rc_cluster_max_epoch(node);
    if (me->config_epoch != 0 && me->config_epoch == max_epoch)
        return FALSE;
    rc_epoch_set_current(node, c->current_epoch + 1);
    rc_epoch_set_my_config(node, c->current_epoch);
    rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_FSYNC_CONFIG);
    rc_outbox_log(node->out, RC_LOG_WARNING, "New configEpoch set to %" G_GUINT64_FORMAT,
                  me->config_epoch);
    return TRUE;
}

/* Two masters announce the same configEpoch. The one with the byte-wise smaller name takes
 * currentEpoch + 1; the largest name never moves, so repeated collisions end with distinct
 * epochs. A freshly created cluster (all epochs 0) sorts itself out this way. Saved with
 * fsync at once, as Redis does (clusterSaveConfigOrDie(1)). */
void rc_epoch_handle_collision(RcNode *node, RcClusterNode *sender)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    if (sender->config_epoch != me->config_epoch || !rc_node_is_master(sender) ||
        !rc_node_is_master(me))
        return;
    if (memcmp(sender->name, me->name, RC_CLUSTER_NAMELEN) <= 0)
        return; /* the sender has the smaller name: it is the one to move */
    rc_epoch_set_current(node, c->current_epoch + 1);
    rc_epoch_set_my_config(node, c->current_epoch);
    rc_cluster_save_config(node, TRUE);
    char name[RC_CLUSTER_NAMELEN + 1];
    rc_epoch_name(sender, name);
    rc_outbox_log(
        node->out, RC_LOG_VERBOSE,
        "WARNING: configEpoch collision with node %s. configEpoch set to %" G_GUINT64_FORMAT, name,
        me->config_epoch);
}

/* CLUSTER BUMPEPOCH: "+BUMPED <epoch>" or "+STILL <epoch>". */
void rc_epoch_bumpepoch_command(RcCommandCall *call)
{
    gboolean bumped = rc_epoch_bump_without_consensus(call->node);
    g_string_append_printf(call->reply, "+%s %" G_GUINT64_FORMAT "\r\n",
                           bumped ? "BUMPED" : "STILL", call->node->cluster->myself->config_epoch);
}

/* Parse a signed 64-bit decimal the way Redis's string2ll does: optional '-', digits, no
 * spaces, no leading '+', no leading zeros (except "0"), no overflow. */
gboolean rc_epoch_parse_ll(const char *s, gsize len, gint64 *value)
{
    if (len == 0 || len > 20)
        return FALSE;
    gsize i = 0;
    gboolean negative = FALSE;
    if (s[0] == '-') {
        negative = TRUE;
        i = 1;
        if (len == 1)
            return FALSE;
    }
    if (s[i] == '0' && len - i > 1)
        return FALSE;
    if (s[i] == '0' && negative)
        return FALSE; /* "-0" is refused by string2ll */
    guint64 v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return FALSE;
        guint64 digit = (guint64)(s[i] - '0');
        if (v > (G_MAXUINT64 - digit) / 10)
            return FALSE;
        v = v * 10 + digit;
    }
    if (negative) {
        if (v > (guint64)G_MAXINT64 + 1)
            return FALSE;
        *value = (gint64)(0 - v);
    } else {
        if (v > (guint64)G_MAXINT64)
            return FALSE;
        *value = (gint64)v;
    }
    return TRUE;
}

/* CLUSTER SET-CONFIG-EPOCH <epoch>: only on a fresh node that knows nobody else and has
 * configEpoch 0 (cluster creation tools give each node a distinct epoch this way). */
void rc_epoch_set_config_epoch_command(RcCommandCall *call)
{
    RcNode *node = call->node;
    RcCluster *c = node->cluster;
    gsize len;
    const char *arg = rc_argv_data(call->args, 2, &len);
    gint64 epoch;
    if (!rc_epoch_parse_ll(arg, len, &epoch)) {
        g_string_append(call->reply, "-ERR value is not an integer or out of range\r\n");
        return;
    }
    if (epoch < 0) {
        g_string_append_printf(
            call->reply, "-ERR Invalid config epoch specified: %" G_GINT64_FORMAT "\r\n", epoch);
    } else if (c->nodes->len > 1) {
        g_string_append(call->reply, "-ERR The user can assign a config epoch only when the "
                                     "node does not know any other node.\r\n");
    } else if (c->myself->config_epoch != 0) {
        g_string_append(call->reply, "-ERR Node config epoch is already non-zero\r\n");
    } else {
        rc_epoch_set_my_config(node, (guint64)epoch);
        rc_outbox_log(node->out, RC_LOG_WARNING,
                      "configEpoch set to %" G_GUINT64_FORMAT " via CLUSTER SET-CONFIG-EPOCH",
                      c->myself->config_epoch);
        if (c->current_epoch < (guint64)epoch)
            rc_epoch_set_current(node, (guint64)epoch);
        rc_cluster_todo(node, RC_CLUSTER_TODO_UPDATE_STATE | RC_CLUSTER_TODO_SAVE_CONFIG);
        g_string_append(call->reply, "+OK\r\n");
    }
}
