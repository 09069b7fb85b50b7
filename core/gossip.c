/* Gossip (cluster.c: clusterSendPing, clusterSetGossipEntry, clusterProcessGossipSection,
 * clusterProcessPingExtensions).
 *
 * Every PING, PONG and MEET carries a few entries about other nodes: max(3, N/10) picked
 * at random (N = table size, myself and handshake nodes included), capped at N - 2, then
 * every PFAIL node. The 1/10 is Redis's: over the 2·NT report validity window a PFAIL node
 * is mentioned by most masters, so failure reports reach a majority.
 *
 * Scale: each entry costs one hash lookup by name and a walk of the target's failure
 * reports (short: at most one per master that currently suspects it). */
#include "core/bus.h"

#include <string.h>

int rc_gossip_wanted(int table_size)
{
    int freshnodes = table_size - 2;
    int wanted = table_size / 10;
    if (wanted < 3)
        wanted = 3;
    if (wanted > freshnodes)
        wanted = freshnodes;
    return wanted;
}

static void set_gossip_entry(RcBusGossip *g, const RcClusterNode *n)
{
    memset(g, 0, sizeof *g);
    memcpy(g->nodename, n->name, RC_CLUSTER_NAMELEN);
    g->ping_sent_s = (guint32)(n->ping_sent_ms / 1000);
    g->pong_received_s = (guint32)(n->pong_received_ms / 1000);
    memcpy(g->ip, n->ip, RC_NET_IP_STR_LEN);
    g->port = n->port;
    g->cport = n->cport;
    g->flags = n->flags;
    g->pport = n->pport;
}

void rc_cluster_send_ping(RcNode *node, RcClusterLink *link, int type)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    guint64 ping_id = ++c->pings_sent;
    int table = (int)c->nodes->len;
    int freshnodes = table - 2;
    int wanted = rc_gossip_wanted(table);
    int pfail_wanted = (int)c->stats_pfail_nodes;

    if (!link->is_inbound && type == RC_MSG_PING)
        link->node->ping_sent_ms = node->now_ms;

    RcBusMsg msg;
    rc_cluster_build_header(node, &msg, type);
    msg.gossip = g_array_sized_new(FALSE, FALSE, sizeof(RcBusGossip),
                                   (guint)MAX(0, wanted) + (guint)pfail_wanted);

    int gossipcount = 0;
    int maxiterations = wanted * 3;
    while (freshnodes > 0 && gossipcount < wanted && maxiterations-- > 0) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, rc_node_random(node, (guint32)table));
        if (n == me)
            continue;
        if (n->flags & RC_NODE_PFAIL) /* added below */
            continue;
        if ((n->flags & (RC_NODE_HANDSHAKE | RC_NODE_NOADDR)) ||
            (n->link == NULL && n->numslots == 0)) {
            freshnodes--; /* as Redis: not exact, saves work */
            continue;
        }
        if (n->last_in_ping_gossip == ping_id)
            continue;
        RcBusGossip g;
        set_gossip_entry(&g, n);
        g_array_append_val(msg.gossip, g);
        n->last_in_ping_gossip = ping_id;
        freshnodes--;
        gossipcount++;
    }

    for (guint i = 0; i < c->nodes->len && pfail_wanted > 0; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n->flags & (RC_NODE_HANDSHAKE | RC_NODE_NOADDR))
            continue;
        if (!(n->flags & RC_NODE_PFAIL))
            continue;
        RcBusGossip g;
        set_gossip_entry(&g, n);
        g_array_append_val(msg.gossip, g);
        pfail_wanted--;
    }
    msg.count = (guint16)msg.gossip->len;
    if (me->hostname && me->hostname[0])
        rc_bus_msg_add_hostname(&msg, me->hostname);

    g_autoptr(GBytes) bytes = rc_bus_encode(&msg);
    rc_bus_msg_clear(&msg);
    /* The PONG reply goes back on whatever link the PING came from. */
    if (link->is_connected || !link->is_inbound)
        rc_link_send(node, link, bytes);
}

void rc_gossip_process_section(RcNode *node, const RcBusMsg *hdr, RcClusterLink *link)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    RcClusterNode *sender = link->node ? link->node : rc_cluster_lookup(node, hdr->sender);
    gint64 now = node->now_ms;
    guint count = hdr->gossip ? hdr->gossip->len : 0;

    for (guint i = 0; i < count; i++) {
        const RcBusGossip *g = &g_array_index(hdr->gossip, RcBusGossip, i);
        guint16 flags = g->flags;
        char gip[RC_NET_IP_STR_LEN];
        memcpy(gip, g->ip, RC_NET_IP_STR_LEN);
        gip[RC_NET_IP_STR_LEN - 1] = '\0';
        RcClusterNode *n = rc_cluster_lookup(node, g->nodename);
        if (n) {
            /* Failure reports count only from masters. */
            if (sender && rc_node_is_master(sender) && n != me) {
                if (flags & (RC_NODE_FAIL | RC_NODE_PFAIL)) {
                    if (rc_failure_report_add(node, n, sender))
                        rc_cluster_log(node, RC_LOG_VERBOSE,
                                       "Node " RC_NAME_FMT " reported node " RC_NAME_FMT
                                       " as not reachable.",
                                       sender->name, n->name);
                    rc_failure_mark_if_needed(node, n);
                } else if (rc_failure_report_del(node, n, sender)) {
                    rc_cluster_log(node, RC_LOG_VERBOSE,
                                   "Node " RC_NAME_FMT " reported node " RC_NAME_FMT
                                   " is back online.",
                                   sender->name, n->name);
                }
            }
            /* Another node heard from it recently: postpone my own ping. */
            if (!(flags & (RC_NODE_FAIL | RC_NODE_PFAIL)) && n->ping_sent_ms == 0 &&
                rc_cluster_node_failure_reports(node, n) == 0) {
                gint64 pongtime = (gint64)g->pong_received_s * 1000;
                if (pongtime <= now + 500 && pongtime > n->pong_received_ms)
                    n->pong_received_ms = pongtime;
            }
            /* It failed here but a healthy node sees it elsewhere: follow the address. */
            if ((n->flags & (RC_NODE_FAIL | RC_NODE_PFAIL)) && !(flags & RC_NODE_NOADDR) &&
                !(flags & (RC_NODE_FAIL | RC_NODE_PFAIL)) &&
                (g_ascii_strcasecmp(n->ip, gip) != 0 || n->port != g->port ||
                 n->cport != g->cport)) {
                if (n->link)
                    rc_link_free(node, n->link, TRUE);
                memcpy(n->ip, gip, RC_NET_IP_STR_LEN);
                n->port = g->port;
                n->pport = g->pport;
                n->cport = g->cport;
                n->flags &= (guint16)~RC_NODE_NOADDR;
            }
        } else if (sender && !(flags & RC_NODE_NOADDR)) {
            char key[RC_CLUSTER_NAMELEN + 1];
            memcpy(key, g->nodename, RC_CLUSTER_NAMELEN);
            key[RC_CLUSTER_NAMELEN] = '\0';
            gint64 *ban = g_hash_table_lookup(c->nodes_black_list, key);
            if (ban != NULL && *ban < now / 1000)
                ban = NULL; /* clusterBlacklistExists cleans up expired entries */
            /* Only names Redis would accept as ids become nodes. */
            if (ban == NULL && rc_cluster_verify_name(g->nodename, RC_CLUSTER_NAMELEN)) {
                RcClusterNode *nn = rc_cluster_node_new(node, g->nodename, flags);
                memcpy(nn->ip, gip, RC_NET_IP_STR_LEN);
                nn->port = g->port;
                nn->pport = g->pport;
                nn->cport = g->cport;
                rc_cluster_node_add(node, nn);
            }
        }
    }
}

void rc_gossip_process_extensions(RcNode *node, const RcBusMsg *hdr, RcClusterLink *link)
{
    RcClusterNode *sender = link->node ? link->node : rc_cluster_lookup(node, hdr->sender);
    if (sender == NULL)
        return;
    const char *hostname = NULL;
    if (hdr->exts) {
        for (guint i = 0; i < hdr->exts->len; i++) {
            const RcBusExt *e = &g_array_index(hdr->exts, RcBusExt, i);
            if (e->type == RC_BUS_EXT_HOSTNAME)
                hostname = g_bytes_get_data(e->payload, NULL);
            else
                rc_cluster_log(node, RC_LOG_WARNING, "Received unknown extension type %d", e->type);
        }
    }
    if (hostname && sender->hostname && strcmp(hostname, sender->hostname) == 0)
        return;
    g_free(sender->hostname);
    sender->hostname = (hostname && hostname[0]) ? g_strdup(hostname) : NULL;
}
