/* Cluster bus links (cluster.c: createClusterLink, freeClusterLink,
 * setClusterNodeToInboundClusterLink, clusterLinkConnectHandler, clusterReadHandler,
 * clusterSendMessage).
 *
 * Every pair of nodes keeps two TCP connections: the one I opened to the peer (node->link,
 * RC_CONN_BUS_OUT) and the one the peer opened to me (node->inbound_link, RC_CONN_BUS_IN,
 * bound to a node once a packet names its sender). Messages I originate go on my outbound
 * link; only the PONG reply (and the PING after MFSTART) goes back on the arrival link.
 *
 * Framing follows clusterReadHandler: the first 8 bytes of a frame give the signature and
 * the total length; a bad signature or a length below the header closes the link. Bytes may
 * arrive in any chunking. */
#include "core/bus.h"

#include <string.h>

RcClusterLink *rc_link_new(RcNode *node, RcClusterNode *n, gboolean inbound)
{
    RcClusterLink *link = g_new0(RcClusterLink, 1);
    link->ctime_ms = node->now_ms;
    link->rcvbuf = g_byte_array_new();
    link->node = n;
    link->is_inbound = inbound;
    if (!inbound) {
        rc_assert(n != NULL && n->link == NULL);
        n->link = link;
    }
    g_ptr_array_add(node->cluster->links, link);
    return link;
}

void rc_link_free(RcNode *node, RcClusterLink *link, gboolean close_conn)
{
    if (close_conn && link->handle != 0) {
        RcConn *conn = rc_node_conn_get(node, link->handle);
        if (conn != NULL && conn->owner == link)
            rc_node_conn_close(node, link->handle);
    }
    if (link->node) {
        if (link->node->link == link) {
            rc_assert(!link->is_inbound);
            link->node->link = NULL;
        } else if (link->node->inbound_link == link) {
            rc_assert(link->is_inbound);
            link->node->inbound_link = NULL;
        }
    }
    rc_assert(g_ptr_array_remove(node->cluster->links, link));
    g_byte_array_unref(link->rcvbuf);
    if (link->pending)
        g_ptr_array_unref(link->pending);
    g_free(link);
}

void rc_link_set_inbound_node(RcNode *node, RcClusterNode *n, RcClusterLink *link)
{
    rc_assert(link->node == NULL && link->is_inbound);
    if (n->inbound_link) {
        /* A peer that reconnected before we saw its old connection close: keep the new. */
        rc_link_free(node, n->inbound_link, TRUE);
    }
    rc_assert(n->inbound_link == NULL);
    n->inbound_link = link;
    link->node = n;
}

void rc_link_send(RcNode *node, RcClusterLink *link, GBytes *msg)
{
    if (link == NULL)
        return;
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(msg, &len);
    rc_assert(len >= RC_BUS_HDR_LEN);
    guint16 type = rc_be16_get(data + 12);
    if (type < RC_CLUSTERMSG_TYPE_COUNT)
        node->cluster->stats_bus_messages_sent[type]++;
    if (!link->is_connected) {
        if (link->pending == NULL)
            link->pending = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        g_ptr_array_add(link->pending, g_bytes_ref(msg));
        return;
    }
    /* clusterSendMessage appends to the link's buffer and installs a write handler: the
     * bytes go out on the event loop's next turn, which runs before-sleep again. */
    rc_outbox_send_deferred(node->out, link->handle, msg);
}

void rc_link_connect(RcNode *node, RcClusterNode *n)
{
    RcClusterLink *link = rc_link_new(node, n, FALSE);
    link->handle = rc_node_conn_open(node, RC_CONN_BUS_OUT, link, n->ip, n->cport);
}

void rc_cluster_link_accepted(RcNode *node, RcConn *conn)
{
    RcClusterLink *link = rc_link_new(node, NULL, TRUE);
    link->handle = conn->handle;
    link->is_connected = TRUE;
    conn->owner = link;
}

void rc_cluster_link_connected(RcNode *node, RcConn *conn)
{
    RcClusterLink *link = conn->owner;
    rc_assert(link != NULL && !link->is_inbound);
    link->is_connected = TRUE;
    if (link->pending) {
        for (guint i = 0; i < link->pending->len; i++)
            rc_outbox_send_deferred(node->out, link->handle, g_ptr_array_index(link->pending, i));
        g_clear_pointer(&link->pending, g_ptr_array_unref);
    }
    RcClusterNode *n = link->node;
    if (n == NULL)
        return;
    /* Queue a PING (MEET while the node is flagged so) at once: it keeps failure
     * detection honest. An outstanding ping time survives the reconnect. */
    gint64 old_ping_sent = n->ping_sent_ms;
    rc_cluster_send_ping(node, link, (n->flags & RC_NODE_MEET) ? RC_MSG_MEET : RC_MSG_PING);
    if (old_ping_sent)
        n->ping_sent_ms = old_ping_sent;
    n->flags &= (guint16)~RC_NODE_MEET;
}

void rc_cluster_link_closed(RcNode *node, RcConn *conn)
{
    RcClusterLink *link = conn->owner;
    if (link == NULL)
        return;
    if (!link->is_inbound && !link->is_connected && link->node)
        rc_cluster_log(node, RC_LOG_VERBOSE,
                       "Connection with Node " RC_NAME_FMT " at %s:%d failed: Connection refused",
                       link->node->name, link->node->ip, link->node->cport);
    conn->owner = NULL;
    rc_link_free(node, link, FALSE);
}

/* The frame length, or 0 after dropping the link over a bad header. */
static guint32 frame_length(RcNode *node, RcClusterLink *link, const guint8 *head)
{
    guint32 totlen = 0;
    g_autoptr(GError) err = NULL;
    if (!rc_bus_frame_check(head, &totlen, &err)) {
        rc_cluster_log(node, RC_LOG_WARNING,
                       "Bad message length or signature received from Cluster bus.");
        node->cluster->stats_dropped_frames++;
        rc_link_free(node, link, TRUE);
        return 0;
    }
    return totlen;
}

static gboolean link_still_there(RcNode *node, RcClusterLink *link, guint32 handle)
{
    RcConn *still = rc_node_conn_get(node, handle);
    return still != NULL && still->owner == link;
}

void rc_cluster_link_recv(RcNode *node, RcConn *conn, const guint8 *data, gsize len)
{
    RcClusterLink *link = conn->owner;
    guint32 handle = conn->handle;
    if (link == NULL)
        return;
    /* Whole frames at the start of the chunk are processed where they lie: `data` outlives
     * the call, and copying every 2 KB frame through the buffer cost time and memory. */
    while (link->rcvbuf->len == 0 && len >= 8) {
        guint32 totlen = frame_length(node, link, data);
        if (totlen == 0)
            return;
        if (len < totlen)
            break;
        gboolean alive = rc_cluster_process_packet(node, link, data, totlen);
        data += totlen;
        len -= totlen;
        if (!alive || !link_still_there(node, link, handle))
            return;
    }
    if (len == 0)
        return;
    g_byte_array_append(link->rcvbuf, data, (guint)len);
    for (;;) {
        GByteArray *buf = link->rcvbuf;
        if (buf->len < 8)
            return;
        guint32 totlen = frame_length(node, link, buf->data);
        if (totlen == 0)
            return;
        if (buf->len < totlen)
            return;
        /* Process a private copy: processing may free the link and its buffer. */
        guint8 *frame = g_memdup2(buf->data, totlen);
        g_byte_array_remove_range(buf, 0, totlen);
        if (buf->len == 0) {
            /* as Redis does: an emptied receive buffer gives its memory back, so that a
             * thousand idle links per node do not each keep a frame's worth */
            g_byte_array_unref(buf);
            link->rcvbuf = g_byte_array_new();
        }
        gboolean alive = rc_cluster_process_packet(node, link, frame, totlen);
        g_free(frame);
        if (!alive || !link_still_there(node, link, handle))
            return;
    }
}
