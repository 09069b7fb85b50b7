/* Replication state shared by both roles (replication.c in Redis 7.0): the replication ids,
 * the master offset and its backlog, propagation of writes, min-replicas-to-write, WAIT,
 * INFO replication and the once-a-second cron.
 *
 * The master side (PSYNC, REPLCONF, replicas) is in replication_master.c, the replica side
 * (the link to the master, handshake, snapshot, stream) in replication_replica.c. */
#include "core/replication_private.h"
#include "core/resp.h"

#include <string.h>

#include "core/cluster_types.h"
#include "core/short_copy.h"

/* server.unixtime: Redis reads its clock in whole seconds for everything replication
 * times (ack times, timeouts, repl_down_since). */
gint64 rc_repl_unixtime(const RcNode *node)
{
    return node->now_ms / 1000;
}

void rc_repl_random_id(RcNode *node, char *id)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < RC_REPL_ID_LEN; i++)
        id[i] = hex[rc_node_random(node, 16)];
    id[RC_REPL_ID_LEN] = '\0';
}

/* changeReplicationId: a new history begins, no PSYNC can continue the old one. */
void rc_repl_change_id(RcReplication *r)
{
    rc_repl_random_id(r->node, r->replid);
}

/* clearReplicationId2: replid2 becomes forty '0's, valid up to nothing. */
void rc_repl_clear_id2(RcReplication *r)
{
    memset(r->replid2, '0', RC_REPL_ID_LEN);
    r->replid2[RC_REPL_ID_LEN] = '\0';
    r->second_replid_offset = -1;
}

/* shiftReplicationId: on promotion my old history stays valid as replid2 up to the next byte
 * a replica would ask for (offset + 1), and a new id starts. */
void rc_repl_shift_id(RcReplication *r)
{
    memcpy(r->replid2, r->replid, sizeof r->replid2);
    r->second_replid_offset = r->master_repl_offset + 1;
    rc_repl_change_id(r);
    if (r->node->out != NULL)
        rc_outbox_log(
            r->node->out, RC_LOG_WARNING,
            "Setting secondary replication ID to %s, valid up to offset: %" G_GINT64_FORMAT
            ". New replication ID is %s",
            r->replid2, r->second_replid_offset, r->replid);
}

RcReplication *rc_repl_new(RcNode *node)
{
    RcReplication *r = g_new0(RcReplication, 1);
    r->node = node;
    rc_repl_change_id(r);
    rc_repl_clear_id2(r);
    r->slaveseldb = -1;
    r->replicas = g_ptr_array_new();
    r->waiting = g_array_new(FALSE, TRUE, sizeof(RcWaiter));
    r->pending_capa = g_array_new(FALSE, TRUE, sizeof(RcPendingReplica));
    r->inbuf = g_byte_array_new();
    r->multi_queue = g_ptr_array_new_with_free_func((GDestroyNotify)rc_argv_free);
    r->multi_raw = g_byte_array_new();
    r->encoded = g_string_sized_new(64);
    r->discarded = g_string_sized_new(64);
    r->transfer_size = -1;
    r->master_initial_offset = -1;
    r->state = RC_REPL_STATE_NONE;
    r->no_replicas_since_s = node->now_ms / 1000;
    return r;
}

void rc_repl_free(RcReplication *repl)
{
    if (repl == NULL)
        return;
    rc_repl_backlog_free(repl);
    g_ptr_array_unref(repl->replicas);
    g_array_unref(repl->waiting);
    g_array_unref(repl->pending_capa);
    g_byte_array_unref(repl->inbuf);
    g_ptr_array_unref(repl->multi_queue);
    g_byte_array_unref(repl->multi_raw);
    g_string_free(repl->encoded, TRUE);
    g_string_free(repl->discarded, TRUE);
    rc_argv_view_free(&repl->stream_view);
    g_free(repl->masterhost);
    g_free(repl);
}

/* ---- Backlog ---------------------------------------------------------------------------- */

void rc_repl_backlog_create(RcReplication *r)
{
    rc_assert(r->backlog == NULL);
    r->backlog_size = MAX(r->node->cfg.repl_backlog_size, RC_REPL_BACKLOG_MIN_SIZE);
    r->backlog_ring = (r->backlog_size + RC_REPL_BACKLOG_BLOCK - 1) / RC_REPL_BACKLOG_BLOCK *
                      RC_REPL_BACKLOG_BLOCK;
    /* Memory follows the history: no block until the stream reaches it; 1000 nodes must not
     * hold 1 MiB each for nothing. */
    r->backlog = g_ptr_array_new_with_free_func(g_free);
    r->backlog_idx = 0;
    r->backlog_histlen = 0;
    /* The first byte the backlog will hold is the next one of the stream. */
    r->backlog_off = r->master_repl_offset + 1;
}

void rc_repl_backlog_free(RcReplication *r)
{
    g_clear_pointer(&r->backlog, g_ptr_array_unref);
    r->backlog_histlen = 0;
}

/* The block holding ring position `pos`. Until the ring first wraps the stream writes its
 * blocks in order, so a position past the allocated ones is the start of the next. */
static guint8 *backlog_block(RcReplication *r, gint64 pos)
{
    rc_assert(pos >= 0 && pos < r->backlog_ring);
    guint i = (guint)(pos / RC_REPL_BACKLOG_BLOCK);
    rc_assert(i <= r->backlog->len);
    if (i == r->backlog->len)
        g_ptr_array_add(r->backlog, g_malloc(RC_REPL_BACKLOG_BLOCK));
    rc_assert(i < r->backlog->len);
    return g_ptr_array_index(r->backlog, i);
}

static void backlog_append(RcReplication *r, const guint8 *p, gsize len)
{
    /* the ring holds at least backlog_size bytes: the last of them stay valid */
    r->backlog_histlen = MIN(r->backlog_histlen + (gint64)len, r->backlog_size);
    while (len > 0) {
        guint8 *block = backlog_block(r, r->backlog_idx);
        gint64 at = r->backlog_idx % RC_REPL_BACKLOG_BLOCK;
        gsize n = MIN((gsize)(RC_REPL_BACKLOG_BLOCK - at), len);
        rc_short_copy(block + at, p, n);
        r->backlog_idx = (r->backlog_idx + (gint64)n) % r->backlog_ring;
        p += n;
        len -= n;
    }
    r->backlog_off = r->master_repl_offset - r->backlog_histlen + 1;
}

void rc_repl_backlog_copy_from(const RcReplication *r, gint64 offset, GByteArray *out)
{
    rc_assert(r->backlog != NULL);
    rc_assert(offset >= r->backlog_off && offset <= r->backlog_off + r->backlog_histlen);
    gint64 skip = offset - r->backlog_off;
    gint64 len = r->backlog_histlen - skip;
    /* The oldest valid byte sits at idx - histlen (mod ring). */
    gint64 pos = (r->backlog_idx - r->backlog_histlen + skip) % r->backlog_ring;
    if (pos < 0)
        pos += r->backlog_ring;
    while (len > 0) {
        rc_assert(pos / RC_REPL_BACKLOG_BLOCK < r->backlog->len);
        const guint8 *block = g_ptr_array_index(r->backlog, pos / RC_REPL_BACKLOG_BLOCK);
        gint64 at = pos % RC_REPL_BACKLOG_BLOCK;
        gint64 n = MIN(len, RC_REPL_BACKLOG_BLOCK - at);
        g_byte_array_append(out, block + at, (guint)n);
        len -= n;
        pos = (pos + n) % r->backlog_ring;
    }
}

/* feedReplicationBuffer: the bytes join the stream. The offset moves only with a backlog,
 * which exists whenever a replica is attached (and on every replica once synced). */
void rc_repl_feed(RcReplication *r, const void *data, gsize len)
{
    if (r->backlog == NULL)
        return;
    r->master_repl_offset += (gint64)len;
    backlog_append(r, data, len);
    for (guint i = 0; i < r->replicas->len; i++) {
        RcClient *c = g_ptr_array_index(r->replicas, i);
        /* A replica waiting for its snapshot gets the stream after it, from the offset
         * that +FULLRESYNC named; until then the backlog keeps the bytes. */
        if (c->replica->replstate == RC_SLAVE_STATE_ONLINE)
            rc_client_write(c, data, len);
    }
}

static void feed_argv(RcReplication *r, const RcArgv *args)
{
    if (args->raw != NULL) {
        /* the request as the client sent it, already in the stream's encoding */
        rc_repl_feed(r, args->raw, args->raw_len);
        return;
    }
    GString *s = r->encoded;
    g_string_truncate(s, 0);
    rc_resp_encode_argv(s, args);
    rc_repl_feed(r, s->str, s->len);
}

/* replicationFeedSlaves. A replica never generates its own stream: it proxies its
 * master's bytes (replication_replica.c) so that its offsets and backlog match. */
static void feed_replicas(RcReplication *r, int dictid, const RcArgv *args)
{
    if (r->masterhost != NULL)
        return;
    if (r->backlog == NULL && r->replicas->len == 0)
        return;
    rc_assert(!(r->replicas->len > 0 && r->backlog == NULL));
    if (dictid >= 0 && r->slaveseldb != dictid) {
        static const char select0[] = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n";
        rc_repl_feed(r, select0, sizeof select0 - 1);
        r->slaveseldb = dictid;
    }
    feed_argv(r, args);
}

void rc_repl_propagate(RcNode *node, const RcArgv *args)
{
    rc_assert(args != NULL && args->argc > 0);
    feed_replicas(rc_repl_of(node), 0, args);
}

/* The cron's PING and WAIT's GETACK use server.slaveseldb as their db: no SELECT needed. */
static void feed_keyless(RcReplication *r, const char *const *strv)
{
    g_autoptr(RcArgv) args = rc_argv_new_from_strv(strv);
    feed_replicas(r, -1, args);
}

/* sendGetackToReplicas. */
void rc_repl_send_getack(RcNode *node)
{
    static const char *const getack[] = {"REPLCONF", "GETACK", "*", NULL};
    feed_keyless(rc_repl_of(node), getack);
}

gboolean rc_repl_ready_to_shutdown(const RcNode *node)
{
    const RcReplication *r = rc_repl_of(node);
    for (guint i = 0; i < r->replicas->len; i++) {
        const RcClient *c = g_ptr_array_index(r->replicas, i);
        if (c->replica->ack_off != r->master_repl_offset)
            return FALSE;
    }
    return TRUE;
}

/* ---- Queries ---------------------------------------------------------------------------- */

gboolean rc_repl_is_replica(const RcNode *node)
{
    return rc_repl_of(node)->masterhost != NULL;
}

/* checkGoodReplicasStatus: a replica, or the option off, is always fine. */
gboolean rc_repl_min_replicas_ok(const RcNode *node)
{
    const RcReplication *r = rc_repl_of(node);
    return r->masterhost != NULL || node->cfg.min_replicas_max_lag_s == 0 ||
           node->cfg.min_replicas_to_write == 0 ||
           r->good_replicas >= node->cfg.min_replicas_to_write;
}

/* replicationGetSlaveOffset on a replica, master_repl_offset on a master: what the bus
 * header advertises. */
gint64 rc_repl_master_offset(const RcNode *node)
{
    return rc_repl_of(node)->master_repl_offset;
}

gint64 rc_repl_replica_offset(const RcNode *node)
{
    const RcReplication *r = rc_repl_of(node);
    if (r->masterhost == NULL)
        return 0;
    gint64 off = 0;
    if (r->master.is_set)
        off = r->master.reploff;
    else if (r->cached_master.is_set)
        off = r->cached_master.reploff;
    return MAX(off, 0);
}

gint64 rc_repl_offset(const RcNode *node)
{
    if (rc_repl_of(node)->masterhost == NULL)
        return rc_repl_master_offset(node);
    return rc_repl_replica_offset(node);
}

gboolean rc_repl_master_link_up(const RcNode *node, gint64 *last_interaction_ms,
                                gint64 *down_since_ms)
{
    const RcReplication *r = rc_repl_of(node);
    gboolean up = r->masterhost != NULL && r->state == RC_REPL_STATE_CONNECTED;
    if (last_interaction_ms != NULL)
        *last_interaction_ms = up ? r->master.lastinteraction_s * 1000 : 0;
    if (down_since_ms != NULL)
        *down_since_ms = up ? 0 : r->down_since_s * 1000;
    return up;
}

/* ---- Role changes ----------------------------------------------------------------------- */

/* replicationSetMaster (called by clusterSetMaster). A master becoming a replica poses as
 * its own cached master, so that it asks the new master for PSYNC <my replid> <my offset+1>:
 * it continues only if the new master's history contains mine, else a full sync discards
 * my dataset. A replica switching masters keeps its cached master the same way. */
void rc_repl_set_master(RcNode *node, const char *ip, guint16 port)
{
    RcReplication *r = rc_repl_of(node);
    gboolean was_master = r->masterhost == NULL;
    g_clear_pointer(&r->masterhost, g_free);
    if (r->master.is_set)
        rc_repl_cache_master(node); /* freeClient(server.master) caches it for PSYNC */
    r->masterhost = g_strdup(ip);
    r->masterport = port;
    /* disconnectAllBlockedClients: a WAIT cannot finish on a replica; the client gets an
     * error and is closed after it. */
    while (r->waiting->len > 0) {
        RcWaiter w = g_array_index(r->waiting, RcWaiter, r->waiting->len - 1);
        g_array_remove_index(r->waiting, r->waiting->len - 1);
        if (!rc_repl_client_alive(node, w.client, w.id))
            continue;
        RcClient *c = w.client;
        c->flags &= ~RC_CLIENT_BLOCKED;
        static const char unblocked[] = "-UNBLOCKED force unblock from blocking operation, "
                                        "instance state changed (master -> replica?)\r\n";
        rc_client_write(c, unblocked, sizeof unblocked - 1);
        c->flags |= RC_CLIENT_CLOSE_AFTER_REPLY;
        rc_client_close(c);
    }
    rc_repl_cancel_handshake(node, FALSE);
    if (was_master) {
        rc_repl_discard_cached_master(node);
        rc_repl_cache_master_using_myself(node);
    }
    r->state = RC_REPL_STATE_CONNECT;
    rc_outbox_log(node->out, RC_LOG_NOTICE, "Connecting to MASTER %s:%u", ip, port);
    rc_repl_connect_master(node);
}

/* replicationUnsetMaster (promotion): keep the old history as replid2, start a new one,
 * and drop my replicas so they re-PSYNC and learn the new id. */
void rc_repl_unset_master(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    if (r->masterhost == NULL)
        return;
    g_clear_pointer(&r->masterhost, g_free);
    if (r->master.is_set)
        rc_repl_cache_master(node); /* freeClient(server.master), masterhost already gone */
    rc_repl_discard_cached_master(node);
    rc_repl_cancel_handshake(node, FALSE);
    rc_repl_shift_id(r);
    rc_repl_disconnect_replicas(node);
    r->state = RC_REPL_STATE_NONE;
    r->slaveseldb = -1;
    r->no_replicas_since_s = rc_repl_unixtime(node);
    r->down_since_s = 0;
    rc_outbox_log(node->out, RC_LOG_NOTICE, "MASTER MODE enabled");
}

/* ---- WAIT ------------------------------------------------------------------------------- */

static gboolean parse_ll(const RcArgv *args, int i, gint64 *v)
{
    gsize len;
    const char *p = rc_argv_data(args, i, &len);
    if (len == 0 || len > 20)
        return FALSE;
    char buf[24];
    memcpy(buf, p, len);
    buf[len] = '\0';
    char *end = NULL;
    gint64 x = g_ascii_strtoll(buf, &end, 10);
    if (end == buf || *end != '\0')
        return FALSE;
    /* Redis's string2ll refuses leading '+', spaces and leading zeros. */
    if (buf[0] == '+' || buf[0] == ' ' || (len > 1 && buf[0] == '0') ||
        (len > 2 && buf[0] == '-' && buf[1] == '0'))
        return FALSE;
    *v = x;
    return TRUE;
}

/* waitCommand: count replicas that acknowledged this client's last write; answer at once if
 * enough (or inside MULTI), else block until enough ACKs or the timeout (0 = forever). */
void rc_repl_wait_command(RcCommandCall *call)
{
    RcNode *node = call->node;
    RcReplication *r = rc_repl_of(node);
    RcClient *c = call->client;
    if (r->masterhost != NULL) {
        g_string_append(call->reply,
                        "-ERR WAIT cannot be used with replica instances. Please also note that "
                        "since Redis 4.0 if a replica is configured to be writable (which is not "
                        "the default) writes to replicas are just local and are not "
                        "propagated.\r\n");
        return;
    }
    gint64 numreplicas, timeout;
    if (!parse_ll(call->args, 1, &numreplicas)) {
        g_string_append(call->reply, "-ERR value is not an integer or out of range\r\n");
        return;
    }
    if (!parse_ll(call->args, 2, &timeout)) {
        g_string_append(call->reply, "-ERR timeout is not an integer or out of range\r\n");
        return;
    }
    if (timeout < 0) {
        g_string_append(call->reply, "-ERR timeout is negative\r\n");
        return;
    }
    gint64 woff = c != NULL ? c->woff : 0;
    int acks = rc_repl_count_acks(node, woff);
    if (acks >= numreplicas || c == NULL || (c->flags & RC_CLIENT_MULTI)) {
        g_string_append_printf(call->reply, ":%d\r\n", acks);
        return;
    }
    c->bpop_timeout_ms = timeout > 0 ? node->now_ms + timeout : 0;
    c->bpop_reploffset = woff;
    c->bpop_numreplicas = numreplicas;
    c->flags |= RC_CLIENT_BLOCKED;
    RcWaiter w = {c, c->id};
    g_array_prepend_val(r->waiting, w);
    r->get_ack_from_replicas = TRUE;
}

gboolean rc_repl_client_alive(const RcNode *node, const RcClient *c, guint64 id)
{
    for (guint i = 0; i < node->clients->len; i++)
        if (g_ptr_array_index(node->clients, i) == c)
            return c->id == id;
    return FALSE;
}

/* Answer a blocked WAIT. The client resumes its pipeline later (processUnblockedClients),
 * once the waiting list is no longer being walked. */
static void unblock_waiting(RcReplication *r, guint i, int acks, GArray *resume)
{
    RcWaiter w = g_array_index(r->waiting, RcWaiter, i);
    g_array_remove_index(r->waiting, i);
    w.client->flags &= ~RC_CLIENT_BLOCKED;
    char buf[32];
    int n = g_snprintf(buf, sizeof buf, ":%d\r\n", acks);
    rc_client_write(w.client, buf, (gsize)n);
    g_array_append_val(resume, w);
}

static void resume_unblocked(RcNode *node, GArray *resume)
{
    for (guint i = 0; i < resume->len; i++) {
        RcWaiter *w = &g_array_index(resume, RcWaiter, i);
        if (rc_repl_client_alive(node, w->client, w->id))
            rc_client_process_input(w->client);
    }
}

/* Entries of clients that went away without rc_repl_replica_gone() are dropped. */
static void prune_waiting(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    guint i = 0;
    while (i < r->waiting->len) {
        RcWaiter *w = &g_array_index(r->waiting, RcWaiter, i);
        if (!rc_repl_client_alive(node, w->client, w->id))
            g_array_remove_index(r->waiting, i);
        else
            i++;
    }
}

/* processClientsWaitingReplicas. */
static void process_waiting(RcNode *node, GArray *resume)
{
    RcReplication *r = rc_repl_of(node);
    gint64 last_offset = 0;
    int last_num = 0;
    guint i = 0;
    while (i < r->waiting->len) {
        RcClient *c = g_array_index(r->waiting, RcWaiter, i).client;
        if (last_offset && last_offset >= c->bpop_reploffset && last_num >= c->bpop_numreplicas) {
            unblock_waiting(r, i, last_num, resume);
            continue;
        }
        int acks = rc_repl_count_acks(node, c->bpop_reploffset);
        if (acks >= c->bpop_numreplicas) {
            last_offset = c->bpop_reploffset;
            last_num = acks;
            unblock_waiting(r, i, acks, resume);
            continue;
        }
        i++;
    }
}

/* Blocked WAITs time out in beforeSleep (handleBlockedClientsTimeout), strictly after their
 * deadline; the reply is the count of replicas that acked by then. */
static void timeout_waiting(RcNode *node, GArray *resume)
{
    RcReplication *r = rc_repl_of(node);
    guint i = 0;
    while (i < r->waiting->len) {
        RcClient *c = g_array_index(r->waiting, RcWaiter, i).client;
        if (c->bpop_timeout_ms != 0 && c->bpop_timeout_ms < node->now_ms) {
            unblock_waiting(r, i, rc_repl_count_acks(node, c->bpop_reploffset), resume);
            continue;
        }
        i++;
    }
}

void rc_repl_wait_forget(RcNode *node, RcClient *client)
{
    RcReplication *r = rc_repl_of(node);
    for (guint i = 0; i < r->waiting->len; i++) {
        if (g_array_index(r->waiting, RcWaiter, i).client == client) {
            g_array_remove_index(r->waiting, i);
            return;
        }
    }
}

/* beforeSleep's share, in its order: blocked WAITs past their deadline answer, satisfied
 * WAITs answer, then one GETACK for every WAIT that blocked in this pass (held back while
 * clients are paused: it would move the offset a manual failover is comparing). */
void rc_repl_before_sleep(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    if (r->waiting->len > 0) {
        GArray *resume = g_array_new(FALSE, FALSE, sizeof(RcWaiter));
        prune_waiting(node);
        timeout_waiting(node, resume);
        process_waiting(node, resume);
        resume_unblocked(node, resume);
        g_array_unref(resume);
    }
    if (r->get_ack_from_replicas && !rc_clients_are_writes_paused(node)) {
        rc_repl_send_getack(node);
        r->get_ack_from_replicas = FALSE;
    }
}

/* ---- Cron ------------------------------------------------------------------------------- */

/* replicationCron, once a second. The master's PING every repl-ping-replica-period moves
 * the offset even without writes; it is skipped while a manual failover has clients
 * paused, so the offsets the replica compares stay still. */
void rc_repl_cron(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    rc_repl_replica_cron(node);
    gint64 period = MAX(node->cfg.repl_ping_replica_period_s, 1);
    if (r->cron_loops % (guint64)period == 0 && r->replicas->len > 0) {
        gboolean mf_paused = node->cluster != NULL && node->cluster->mf_end_ms != 0 &&
                             rc_clients_are_writes_paused(node);
        if (!mf_paused) {
            static const char *const ping[] = {"PING", NULL};
            feed_keyless(r, ping);
        }
    }
    rc_repl_master_cron(node);
    rc_repl_refresh_good_replicas(node);
    r->cron_loops++;
}

/* ---- ROLE, REPLICAOF ---------------------------------------------------------------------- */

static void reply_bulk_ll(GString *r, gint64 v)
{
    char buf[32];
    int n = g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, v);
    g_string_append_printf(r, "$%d\r\n%s\r\n", n, buf);
}

static const char *role_state(const RcReplication *r)
{
    switch (r->state) {
    case RC_REPL_STATE_NONE:
        return "none";
    case RC_REPL_STATE_CONNECT:
        return "connect";
    case RC_REPL_STATE_CONNECTING:
        return "connecting";
    case RC_REPL_STATE_RECEIVE_PING_REPLY:
    case RC_REPL_STATE_RECEIVE_PORT_REPLY:
    case RC_REPL_STATE_RECEIVE_CAPA_REPLY:
    case RC_REPL_STATE_RECEIVE_PSYNC_REPLY:
        return "handshake";
    case RC_REPL_STATE_TRANSFER:
        return "sync";
    case RC_REPL_STATE_CONNECTED:
        return "connected";
    }
    return "unknown";
}

/* roleCommand: master, offset, online replicas (ip, port, acked offset); or slave, master
 * host and port, link state, processed offset. */
void rc_repl_role_command(RcCommandCall *call)
{
    RcNode *node = call->node;
    const RcReplication *r = rc_repl_of(node);
    GString *out = call->reply;
    if (r->masterhost == NULL) {
        g_string_append_printf(out, "*3\r\n$6\r\nmaster\r\n:%" G_GINT64_FORMAT "\r\n",
                               r->master_repl_offset);
        guint online = 0;
        for (guint i = 0; i < r->replicas->len; i++) {
            const RcClient *c = g_ptr_array_index(r->replicas, i);
            online += c->replica->replstate == RC_SLAVE_STATE_ONLINE;
        }
        g_string_append_printf(out, "*%u\r\n", online);
        for (guint i = 0; i < r->replicas->len; i++) {
            const RcClient *c = g_ptr_array_index(r->replicas, i);
            if (c->replica->replstate != RC_SLAVE_STATE_ONLINE)
                continue;
            RcConn *conn = rc_node_conn_get(node, c->handle);
            const char *ip = conn != NULL ? conn->peer_ip : "?";
            g_string_append_printf(out, "*3\r\n$%zu\r\n%s\r\n", strlen(ip), ip);
            reply_bulk_ll(out, c->replica->listening_port);
            reply_bulk_ll(out, c->replica->ack_off);
        }
        return;
    }
    const char *state = role_state(r);
    g_string_append_printf(out, "*5\r\n$5\r\nslave\r\n$%zu\r\n%s\r\n:%u\r\n$%zu\r\n%s\r\n",
                           strlen(r->masterhost), r->masterhost, r->masterport, strlen(state),
                           state);
    g_string_append_printf(out, ":%" G_GINT64_FORMAT "\r\n",
                           r->master.is_set ? r->master.reploff : (gint64)-1);
}

/* replicaofCommand: replication follows the cluster configuration, never this command. */
void rc_repl_replicaof_command(RcCommandCall *call)
{
    g_string_append(call->reply, "-ERR REPLICAOF not allowed in cluster mode.\r\n");
}

/* ---- INFO replication ------------------------------------------------------------------- */

static const char *link_status(const RcReplication *r)
{
    return r->state == RC_REPL_STATE_CONNECTED ? "up" : "down";
}

void rc_repl_info(const RcNode *node, GString *out)
{
    const RcReplication *r = rc_repl_of(node);
    gint64 now_s = rc_repl_unixtime(node);
    g_string_append(out, "# Replication\r\n");
    if (r->masterhost == NULL) {
        g_string_append(out, "role:master\r\n");
    } else {
        g_string_append_printf(out, "role:slave\r\nmaster_host:%s\r\nmaster_port:%u\r\n",
                               r->masterhost, r->masterport);
        g_string_append_printf(out, "master_link_status:%s\r\n", link_status(r));
        g_string_append_printf(out, "master_last_io_seconds_ago:%d\r\n",
                               r->master.is_set ? (int)(now_s - r->master.lastinteraction_s) : -1);
        g_string_append_printf(out, "master_sync_in_progress:%d\r\n",
                               r->state == RC_REPL_STATE_TRANSFER);
        /* Read offset: processed bytes plus what is buffered but not yet applied. */
        gint64 read_off = rc_repl_offset(node);
        if (r->state == RC_REPL_STATE_CONNECTED)
            read_off += (gint64)r->inbuf->len + (gint64)r->multi_raw->len;
        g_string_append_printf(out, "slave_read_repl_offset:%" G_GINT64_FORMAT "\r\n", read_off);
        g_string_append_printf(out, "slave_repl_offset:%" G_GINT64_FORMAT "\r\n",
                               rc_repl_offset(node));
        if (r->state != RC_REPL_STATE_CONNECTED)
            g_string_append_printf(out, "master_link_down_since_seconds:%" G_GINT64_FORMAT "\r\n",
                                   r->down_since_s ? now_s - r->down_since_s : (gint64)-1);
        g_string_append(out, "slave_priority:100\r\nslave_read_only:1\r\nreplica_announced:1\r\n");
    }
    g_string_append_printf(out, "connected_slaves:%u\r\n", r->replicas->len);
    if (node->cfg.min_replicas_to_write && node->cfg.min_replicas_max_lag_s)
        g_string_append_printf(out, "min_slaves_good_slaves:%d\r\n", r->good_replicas);
    for (guint i = 0; i < r->replicas->len; i++) {
        RcClient *c = g_ptr_array_index(r->replicas, i);
        RcConn *conn = rc_node_conn_get((RcNode *)node, c->handle);
        const RcReplicaState *s = c->replica;
        g_string_append_printf(out,
                               "slave%u:ip=%s,port=%" G_GINT64_FORMAT
                               ",state=%s,offset=%" G_GINT64_FORMAT ",lag=%" G_GINT64_FORMAT "\r\n",
                               i, conn != NULL ? conn->peer_ip : "?", s->listening_port,
                               s->replstate == RC_SLAVE_STATE_ONLINE ? "online" : "wait_bgsave",
                               s->ack_off, now_s - s->ack_time_s);
    }
    g_string_append(out, "master_failover_state:no-failover\r\n");
    g_string_append_printf(out, "master_replid:%s\r\nmaster_replid2:%s\r\n", r->replid, r->replid2);
    g_string_append_printf(out, "master_repl_offset:%" G_GINT64_FORMAT "\r\n",
                           r->master_repl_offset);
    g_string_append_printf(out, "second_repl_offset:%" G_GINT64_FORMAT "\r\n",
                           r->second_replid_offset);
    g_string_append_printf(out, "repl_backlog_active:%d\r\n", r->backlog != NULL);
    g_string_append_printf(out, "repl_backlog_size:%" G_GINT64_FORMAT "\r\n",
                           node->cfg.repl_backlog_size);
    g_string_append_printf(out, "repl_backlog_first_byte_offset:%" G_GINT64_FORMAT "\r\n",
                           r->backlog != NULL ? r->backlog_off : 0);
    g_string_append_printf(out, "repl_backlog_histlen:%" G_GINT64_FORMAT "\r\n",
                           r->backlog != NULL ? r->backlog_histlen : 0);
}
