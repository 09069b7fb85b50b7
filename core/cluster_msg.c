/* Building and processing cluster bus packets (cluster.c: clusterBuildMessageHdr,
 * clusterProcessPacket, nodeUpdateAddressIfNeeded, clusterUpdateSlotsConfigWith,
 * clusterSendFail, clusterSendUpdate, clusterBroadcastPong, clusterRequestFailoverAuth,
 * clusterSendFailoverAuth, clusterSendMFStart).
 *
 * clusterProcessPacket's order matters and is kept: liveness and epochs from the header
 * first, then PONG replies, handshake completion, role and slot changes, UPDATE on stale
 * claims, epoch collisions, and the gossip section last. */
#include "core/bus.h"
#include "core/failover.h"
#include "core/keyspace.h"
#include "core/replication.h"

#include <string.h>

static gboolean name_is_null(const char *name40)
{
    for (int i = 0; i < RC_CLUSTER_NAMELEN; i++)
        if (name40[i] != 0)
            return FALSE;
    return TRUE;
}

/* The offset a header advertises: master_repl_offset, or a replica's processed offset. */
static guint64 header_offset(RcNode *node)
{
    if (rc_node_is_replica(node->cluster->myself))
        return (guint64)rc_repl_replica_offset(node);
    return (guint64)rc_repl_master_offset(node);
}

void rc_cluster_build_header(RcNode *node, RcBusMsg *msg, int type)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    /* A replica speaks with its master's slots and configEpoch, flagged as a replica. */
    RcClusterNode *master = (rc_node_is_replica(me) && me->replica_of) ? me->replica_of : me;
    rc_bus_msg_init(msg, (guint16)type);
    memcpy(msg->sender, me->name, RC_CLUSTER_NAMELEN);
    /* The bitmap is rebuilt only after a slot changed hands: a node pings many times a
     * second and its slots rarely move. */
    if (c->hdr_slots_of != master || c->hdr_slots_stamp != c->slot_stamp) {
        rc_cluster_node_slot_bitmap(c, master, c->hdr_slots);
        c->hdr_slots_of = master;
        c->hdr_slots_stamp = c->slot_stamp;
    }
    memcpy(msg->myslots, c->hdr_slots, RC_BUS_SLOTS_LEN);
    if (me->replica_of)
        memcpy(msg->slaveof, me->replica_of->name, RC_CLUSTER_NAMELEN);
    msg->port = me->port;
    msg->pport = me->pport;
    msg->cport = me->cport;
    msg->flags = me->flags;
    msg->state = (guint8)c->state;
    msg->current_epoch = c->current_epoch;
    msg->config_epoch = master->config_epoch;
    msg->offset = header_offset(node);
    if (rc_node_is_master(me) && c->mf_end_ms)
        msg->mflags[0] |= RC_BUS_FLAG0_PAUSED;
}

static void send_msg(RcNode *node, RcClusterLink *link, const RcBusMsg *msg)
{
    if (link == NULL)
        return;
    g_autoptr(GBytes) bytes = rc_bus_encode(msg);
    rc_link_send(node, link, bytes);
}

void rc_cluster_broadcast_msg(RcNode *node, const RcBusMsg *msg)
{
    RcCluster *c = node->cluster;
    g_autoptr(GBytes) bytes = rc_bus_encode(msg);
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n->flags & (RC_NODE_MYSELF | RC_NODE_HANDSHAKE))
            continue;
        rc_link_send(node, n->link, bytes);
    }
}

void rc_cluster_broadcast_pong(RcNode *node, int target)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n->link == NULL || n == me || rc_node_in_handshake(n))
            continue;
        if (target == RC_BROADCAST_LOCAL_REPLICAS) {
            gboolean local = rc_node_is_replica(n) && n->replica_of &&
                             (n->replica_of == me || n->replica_of == me->replica_of);
            if (!local)
                continue;
        }
        rc_cluster_send_ping(node, n->link, RC_MSG_PONG);
    }
}

void rc_cluster_send_fail(RcNode *node, const RcClusterNode *failing)
{
    RcBusMsg msg;
    rc_cluster_build_header(node, &msg, RC_MSG_FAIL);
    memcpy(msg.fail_about, failing->name, RC_CLUSTER_NAMELEN);
    rc_cluster_broadcast_msg(node, &msg);
    rc_bus_msg_clear(&msg);
}

void rc_cluster_send_update(RcNode *node, RcClusterLink *link, const RcClusterNode *about)
{
    if (link == NULL)
        return;
    RcBusMsg msg;
    rc_cluster_build_header(node, &msg, RC_MSG_UPDATE);
    memcpy(msg.update_name, about->name, RC_CLUSTER_NAMELEN);
    msg.update_config_epoch = about->config_epoch;
    /* Never advertise slots their owner stopped claiming (7.0.13). */
    rc_cluster_node_slot_bitmap(node->cluster, about, msg.update_slots);
    for (int i = 0; i < RC_BUS_SLOTS_LEN; i++)
        msg.update_slots[i] &= (guint8)~node->cluster->owner_not_claiming_slot[i];
    send_msg(node, link, &msg);
    rc_bus_msg_clear(&msg);
}

void rc_cluster_request_failover_auth(RcNode *node)
{
    RcBusMsg msg;
    rc_cluster_build_header(node, &msg, RC_MSG_FAILOVER_AUTH_REQUEST);
    if (node->cluster->mf_end_ms)
        msg.mflags[0] |= RC_BUS_FLAG0_FORCEACK;
    rc_cluster_broadcast_msg(node, &msg);
    rc_bus_msg_clear(&msg);
}

void rc_cluster_send_failover_auth(RcNode *node, RcClusterNode *to)
{
    if (to->link == NULL)
        return;
    RcBusMsg msg;
    rc_cluster_build_header(node, &msg, RC_MSG_FAILOVER_AUTH_ACK);
    send_msg(node, to->link, &msg);
    rc_bus_msg_clear(&msg);
}

void rc_cluster_send_mfstart(RcNode *node, RcClusterNode *to)
{
    if (to->link == NULL)
        return;
    RcBusMsg msg;
    rc_cluster_build_header(node, &msg, RC_MSG_MFSTART);
    send_msg(node, to->link, &msg);
    rc_bus_msg_clear(&msg);
}

/* nodeIp2String: the announced IP if any, else the socket's peer address. */
static void node_ip_from(RcNode *node, RcClusterLink *link, const guint8 *announced,
                         char ip[RC_NET_IP_STR_LEN])
{
    if (announced[0] != 0) {
        memcpy(ip, announced, RC_NET_IP_STR_LEN);
        ip[RC_NET_IP_STR_LEN - 1] = '\0';
        return;
    }
    memset(ip, 0, RC_NET_IP_STR_LEN);
    RcConn *conn = rc_node_conn_get(node, link->handle);
    if (conn != NULL)
        g_strlcpy(ip, conn->peer_ip, RC_NET_IP_STR_LEN);
}

gboolean rc_cluster_update_address_if_needed(RcNode *node, RcClusterNode *n, RcClusterLink *link,
                                             const RcBusMsg *hdr)
{
    if (link == n->link)
        return FALSE;
    char ip[RC_NET_IP_STR_LEN];
    node_ip_from(node, link, hdr->myip, ip);
    if (n->port == hdr->port && n->cport == hdr->cport && n->pport == hdr->pport &&
        strcmp(ip, n->ip) == 0)
        return FALSE;
    memcpy(n->ip, ip, RC_NET_IP_STR_LEN);
    n->port = hdr->port;
    n->pport = hdr->pport;
    n->cport = hdr->cport;
    if (n->link)
        rc_link_free(node, n->link, TRUE);
    n->flags &= (guint16)~RC_NODE_NOADDR;
    rc_cluster_log(node, RC_LOG_WARNING, "Address updated for node " RC_NAME_FMT ", now %s:%d",
                   n->name, n->ip, n->port);
    RcClusterNode *me = node->cluster->myself;
    if (rc_node_is_replica(me) && me->replica_of == n) {
        rc_repl_set_master(node, n->ip, n->port);
    }
    return TRUE;
}

/* What one clusterUpdateSlotsConfigWith pass found and did. */
typedef struct {
    RcClusterNode *sender;
    guint64 sender_config_epoch;
    RcClusterNode *curmaster; /* myself, or my master */
    RcClusterNode *newmaster; /* the sender once it took a slot of curmaster */
    int sender_slots, migrated_our_slots, reassigned;
    GArray *dirty; /* int: slots of mine given away, ascending */
} SlotsUpdate;

/* One slot the sender claims and my view binds to someone else (or no one): rebind it when
 * it is unbound, its owner stopped claiming it, or the owner's configEpoch is older than the
 * claim's. Importing slots change only by hand (resharding in progress). */
static void claim_slot(RcNode *node, SlotsUpdate *u, int j)
{
    RcCluster *c = node->cluster;
    RcClusterNode *old = c->slots[j];
    rc_assert(old != u->sender);
    if (c->importing_slots_from != NULL && c->importing_slots_from[j] != NULL)
        return;
    gboolean unclaimed = old == NULL || rc_bitmap_test(c->owner_not_claiming_slot, j);
    if (!unclaimed && old->config_epoch >= u->sender_config_epoch)
        return;
    if (old == c->myself) {
        /* Keys in a slot I lose: the keyspace decides (countKeysInSlot). The slot is recorded
         * and its keys deleted below if I stay a master. */
        g_array_append_val(u->dirty, j);
    }
    if (old != NULL && old == u->curmaster) {
        u->newmaster = u->sender;
        u->migrated_our_slots++;
    }
    rc_cluster_rebind_slot(node, u->sender, j);
    u->reassigned++;
    rc_bitmap_clear(c->owner_not_claiming_slot, j);
}

/* The per-slot loop of clusterUpdateSlotsConfigWith, 64 slots a step: the slots that the
 * claim and my view agree on only update the "owner not claiming" bits, so the per-slot work
 * is left for the slots claimed from someone else. Every decision reads only its own slot's
 * state, so the order of the steps does not matter. */
static void apply_claim(RcNode *node, const guint8 *slots, SlotsUpdate *u)
{
    RcCluster *c = node->cluster;
    guint8 owned[RC_CLUSTER_SLOTS / 8]; /* the sender's slots in my view, before any change */
    rc_cluster_node_slot_bitmap(c, u->sender, owned);
    for (int w = 0; w < RC_BITMAP_WORDS; w++) {
        guint64 claimed = rc_bitmap_word(slots, w), mine = rc_bitmap_word(owned, w);
        if ((claimed | mine) == 0)
            continue;
        u->sender_slots += __builtin_popcountll(claimed);
        /* Bound to the sender: claimed again clears the mark; no longer claimed keeps the
         * binding but marks it. */
        guint64 not_claiming = rc_bitmap_word(c->owner_not_claiming_slot, w);
        not_claiming = (not_claiming & ~(claimed & mine)) | (mine & ~claimed);
        rc_bitmap_set_word(c->owner_not_claiming_slot, w, not_claiming);
        for (guint64 other = claimed & ~mine; other != 0; other &= other - 1)
            claim_slot(node, u, 64 * w + __builtin_ctzll(other));
    }
}

void rc_cluster_update_slots_config_with(RcNode *node, RcClusterNode *sender,
                                         guint64 sender_config_epoch, const guint8 *slots)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *curmaster = rc_node_is_master(me) ? me : me->replica_of;

    if (sender == me) {
        rc_cluster_log(node, RC_LOG_WARNING, "Discarding UPDATE message about myself.");
        return;
    }
    g_autoptr(GArray) dirty = g_array_new(FALSE, FALSE, sizeof(int));
    SlotsUpdate u = {.sender = sender,
                     .sender_config_epoch = sender_config_epoch,
                     .curmaster = curmaster,
                     .dirty = dirty};
    apply_claim(node, slots, &u);
    RcClusterNode *newmaster = u.newmaster;

    if (u.reassigned > 0) {
        rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE |
                                  RC_CLUSTER_TODO_FSYNC_CONFIG);
        /* an observation only: Redis logs nothing here */
        rc_cluster_event(node, RC_EVT_SLOTS_REASSIGNED, sender, (guint64)u.reassigned);
    }
    if (newmaster && curmaster->numslots == 0 &&
        (node->cfg.cluster_allow_replica_migration || u.sender_slots == u.migrated_our_slots)) {
        rc_cluster_log(
            node, RC_LOG_WARNING,
            "Configuration change detected. Reconfiguring myself as a replica of " RC_NAME_FMT,
            sender->name);
        rc_cluster_set_my_master(node, sender);
        rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE |
                                  RC_CLUSTER_TODO_FSYNC_CONFIG);
    } else if (me->replica_of && me->replica_of->replica_of && me->replica_of->replica_of != me) {
        rc_cluster_log(
            node, RC_LOG_WARNING,
            "I'm a sub-replica! Reconfiguring myself as a replica of grandmaster " RC_NAME_FMT,
            me->replica_of->replica_of->name);
        rc_cluster_set_my_master(node, me->replica_of->replica_of);
        rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE |
                                  RC_CLUSTER_TODO_FSYNC_CONFIG);
    } else if (dirty->len > 0) {
        for (guint i = 0; i < dirty->len; i++) /* delKeysInSlot */
            rc_keyspace_delete_slot(node->db, g_array_index(dirty, int, i));
    }
}

/* clusterProcessPacket's length and version checks happened in the decoder; a frame that
 * fails them is dropped here and counted. */
gboolean rc_cluster_process_packet(RcNode *node, RcClusterLink *link, const guint8 *frame,
                                   gsize len)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    gint64 now = node->now_ms;
    guint16 raw_type = rc_be16_get(frame + 12);
    if (raw_type < RC_CLUSTERMSG_TYPE_COUNT)
        c->stats_bus_messages_received[raw_type]++;

    RcBusMsg hdr;
    g_autoptr(GError) err = NULL;
    if (!rc_bus_decode(frame, len, &hdr, &err)) {
        c->stats_dropped_frames++;
        if (err->code != RC_BUS_ERR_VERSION)
            rc_cluster_log(node, RC_LOG_WARNING, "Dropping bus packet: %s", err->message);
        return TRUE;
    }
    int type = hdr.type;
    guint64 sender_current_epoch = 0, sender_config_epoch = 0;

    /* getNodeFromLinkAndMsg: the link's node unless it is still in handshake. */
    RcClusterNode *sender;
    if (link->node && !rc_node_in_handshake(link->node)) {
        sender = link->node;
    } else {
        sender = rc_cluster_lookup(node, hdr.sender);
        if (sender && link->node == NULL)
            rc_link_set_inbound_node(node, sender, link);
    }

    if (sender)
        sender->data_received_ms = now;

    if (sender && !rc_node_in_handshake(sender)) {
        sender_current_epoch = hdr.current_epoch;
        sender_config_epoch = hdr.config_epoch;
        if (sender_current_epoch > c->current_epoch)
            rc_cluster_set_current_epoch(node, sender_current_epoch);
        if (sender_config_epoch > sender->config_epoch) {
            sender->config_epoch = sender_config_epoch;
            rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_FSYNC_CONFIG);
        }
        sender->repl_offset = (gint64)hdr.offset;
        sender->repl_offset_time_ms = now;
        if (c->mf_end_ms && rc_node_is_replica(me) && me->replica_of == sender &&
            (hdr.mflags[0] & RC_BUS_FLAG0_PAUSED) && c->mf_master_offset == -1) {
            rc_mf_master_paused_offset(node, sender, sender->repl_offset);
        }
    }

    if (type == RC_MSG_PING || type == RC_MSG_MEET) {
        /* Learn my own address from the socket a peer reached me on. */
        if (type == RC_MSG_MEET || me->ip[0] == '\0') {
            if (strcmp(node->cfg.ip, me->ip) != 0) {
                g_strlcpy(me->ip, node->cfg.ip, sizeof me->ip);
                rc_cluster_log(node, RC_LOG_WARNING, "IP address for this node updated to %s",
                               me->ip);
                rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG);
            }
        }
        if (!sender && type == RC_MSG_MEET) {
            RcClusterNode *n = rc_cluster_node_new(node, NULL, RC_NODE_HANDSHAKE);
            node_ip_from(node, link, hdr.myip, n->ip);
            n->port = hdr.port;
            n->pport = hdr.pport;
            n->cport = hdr.cport;
            rc_cluster_node_add(node, n);
            rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG);
            rc_gossip_process_section(node, &hdr, link);
        }
        rc_cluster_send_ping(node, link, RC_MSG_PONG);
    }

    if (type == RC_MSG_PING || type == RC_MSG_PONG || type == RC_MSG_MEET) {
        if (!link->is_inbound) {
            if (rc_node_in_handshake(link->node)) {
                if (sender) {
                    rc_cluster_log(node, RC_LOG_VERBOSE,
                                   "Handshake: we already know node " RC_NAME_FMT
                                   ", updating the address if needed.",
                                   sender->name);
                    if (rc_cluster_update_address_if_needed(node, sender, link, &hdr))
                        rc_cluster_todo(node,
                                        RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE);
                    rc_cluster_node_del(node, link->node); /* frees this link too */
                    rc_bus_msg_clear(&hdr);
                    return FALSE;
                }
                rc_cluster_node_rename(node, link->node, hdr.sender);
                rc_cluster_log(node, RC_LOG_DEBUG, "Handshake with node " RC_NAME_FMT " completed.",
                               link->node->name);
                link->node->flags &= (guint16)~RC_NODE_HANDSHAKE;
                link->node->flags |= hdr.flags & (RC_NODE_MASTER | RC_NODE_SLAVE);
                rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG);
            } else if (memcmp(link->node->name, hdr.sender, RC_CLUSTER_NAMELEN) != 0) {
                /* Someone else answers at this address: forget the address. */
                RcClusterNode *n = link->node;
                n->flags |= RC_NODE_NOADDR;
                n->ip[0] = '\0';
                n->port = n->pport = n->cport = 0;
                rc_link_free(node, link, TRUE);
                rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG);
                rc_bus_msg_clear(&hdr);
                return FALSE;
            }
        }

        if (sender) {
            sender->flags &= (guint16)~RC_NODE_NOFAILOVER;
            sender->flags |= hdr.flags & RC_NODE_NOFAILOVER;
        }

        if (sender && type == RC_MSG_PING && !rc_node_in_handshake(sender) &&
            rc_cluster_update_address_if_needed(node, sender, link, &hdr))
            rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE);

        /* Only a PONG on my own outbound link proves the peer alive. */
        if (!link->is_inbound && type == RC_MSG_PONG) {
            RcClusterNode *n = link->node;
            n->pong_received_ms = now;
            n->ping_sent_ms = 0;
            if (rc_node_timed_out(n)) {
                n->flags &= (guint16)~RC_NODE_PFAIL;
                rc_cluster_event(node, RC_EVT_PFAIL_CLEARED, n, 0);
                rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE);
            } else if (rc_node_failed(n)) {
                rc_failure_clear_if_needed(node, n);
            }
        }

        /* Role switches. */
        if (sender) {
            if (name_is_null(hdr.slaveof)) {
                rc_cluster_set_node_as_master(node, sender);
            } else {
                RcClusterNode *master = rc_cluster_lookup(node, hdr.slaveof);
                if (rc_node_is_master(sender)) {
                    rc_cluster_del_node_slots(node, sender);
                    sender->flags &= (guint16) ~(RC_NODE_MASTER | RC_NODE_MIGRATE_TO);
                    sender->flags |= RC_NODE_SLAVE;
                    rc_cluster_todo(node,
                                    RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE);
                }
                if (master && sender->replica_of != master) {
                    if (sender->replica_of)
                        rc_cluster_node_remove_replica(sender->replica_of, sender);
                    rc_cluster_node_add_replica(master, sender);
                    sender->replica_of = master;
                    rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG);
                }
            }
        }

        /* Slots: compare the claim with my view of the sender's shard. */
        RcClusterNode *sender_master = NULL;
        gboolean dirty_slots = FALSE;
        if (sender) {
            sender_master = rc_node_is_master(sender) ? sender : sender->replica_of;
            if (sender_master)
                dirty_slots = !rc_cluster_node_slots_equal(c, sender_master, hdr.myslots);
        }
        if (sender && rc_node_is_master(sender) && dirty_slots)
            rc_cluster_update_slots_config_with(node, sender, sender_config_epoch, hdr.myslots);

        /* The sender claims slots I know a newer owner for: tell it (one UPDATE). */
        if (sender && dirty_slots) {
            for (int j = 0; j < RC_CLUSTER_SLOTS; j++) {
                if ((j & 7) == 0 && hdr.myslots[j / 8] == 0) {
                    j += 7; /* none of these eight claimed */
                    continue;
                }
                if (!rc_bitmap_test(hdr.myslots, j))
                    continue;
                RcClusterNode *owner = c->slots[j];
                if (owner == sender || rc_cluster_is_slot_unclaimed(node, j))
                    continue;
                if (owner->config_epoch > sender_config_epoch) {
                    rc_cluster_log(node, RC_LOG_VERBOSE,
                                   "Node " RC_NAME_FMT " has old slots configuration, sending "
                                   "an UPDATE message about " RC_NAME_FMT,
                                   sender->name, owner->name);
                    rc_cluster_send_update(node, sender->link, owner);
                    break;
                }
            }
        }

        if (sender && rc_node_is_master(me) && rc_node_is_master(sender) &&
            sender_config_epoch == me->config_epoch) {
            rc_epoch_handle_collision(node, sender);
        }

        if (sender) {
            rc_gossip_process_section(node, &hdr, link);
            rc_gossip_process_extensions(node, &hdr, link);
        }
    } else if (type == RC_MSG_FAIL) {
        if (sender) {
            RcClusterNode *failing = rc_cluster_lookup(node, hdr.fail_about);
            if (failing && !(failing->flags & (RC_NODE_FAIL | RC_NODE_MYSELF))) {
                rc_cluster_log(node, RC_LOG_NOTICE,
                               "FAIL message received from " RC_NAME_FMT " about " RC_NAME_FMT,
                               hdr.sender, hdr.fail_about);
                failing->flags |= RC_NODE_FAIL;
                failing->fail_time_ms = now;
                failing->flags &= (guint16)~RC_NODE_PFAIL;
                rc_cluster_event(node, RC_EVT_FAIL, failing, 0);
                rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_UPDATE_STATE);
            }
        } else {
            rc_cluster_log(node, RC_LOG_NOTICE,
                           "Ignoring FAIL message from unknown node " RC_NAME_FMT
                           " about " RC_NAME_FMT,
                           hdr.sender, hdr.fail_about);
        }
    } else if (type == RC_MSG_PUBLISH || type == RC_MSG_PUBLISHSHARD) {
        /* No Pub/Sub subscribers exist in rcsim: Redis skips delivery then too. */
    } else if (type == RC_MSG_FAILOVER_AUTH_REQUEST) {
        if (sender) {
            rc_failover_handle_auth_request(node, sender, hdr.current_epoch, hdr.config_epoch,
                                            hdr.myslots,
                                            (hdr.mflags[0] & RC_BUS_FLAG0_FORCEACK) != 0);
        }
    } else if (type == RC_MSG_FAILOVER_AUTH_ACK) {
        if (sender) {
            rc_failover_handle_auth_ack(node, sender, sender_current_epoch);
        }
    } else if (type == RC_MSG_MFSTART) {
        if (sender && sender->replica_of == me) {
            rc_mf_handle_mfstart(node, sender, link);
        }
    } else if (type == RC_MSG_UPDATE) {
        RcClusterNode *n = sender ? rc_cluster_lookup(node, hdr.update_name) : NULL;
        if (n && n->config_epoch < hdr.update_config_epoch) {
            if (rc_node_is_replica(n))
                rc_cluster_set_node_as_master(node, n);
            n->config_epoch = hdr.update_config_epoch;
            rc_cluster_todo(node, RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_FSYNC_CONFIG);
            rc_cluster_update_slots_config_with(node, n, hdr.update_config_epoch, hdr.update_slots);
        }
    } else if (type == RC_MSG_MODULE) {
        /* No modules in rcsim. */
    } else {
        rc_cluster_log(node, RC_LOG_WARNING, "Received unknown packet type: %d", type);
    }
    rc_bus_msg_clear(&hdr);
    (void)sender_current_epoch;
    return TRUE;
}
