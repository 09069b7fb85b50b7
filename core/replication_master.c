/* The master side of replication (replication.c in Redis 7.0): SYNC/PSYNC, REPLCONF, the
 * replicas attached to me, their ACKs and timeouts, and full syncs started after the
 * diskless delay.
 *
 * A replica is an ordinary client connection that sent PSYNC. From then on it receives the
 * stream (rc_repl_feed) and sends REPLCONF ACK <offset>, which has no reply. */
#include "core/replication_private.h"

#include <stdlib.h>
#include <string.h>

#include "core/keyspace.h"

/* What REPLCONF said before PSYNC, kept by client id until the client becomes a replica.
 * Entries of clients that went away are dropped by the cron. */
static RcPendingReplica *pending_of(RcNode *node, RcClient *c)
{
    RcReplication *r = rc_repl_of(node);
    for (guint i = 0; i < r->pending_capa->len; i++) {
        RcPendingReplica *p = &g_array_index(r->pending_capa, RcPendingReplica, i);
        if (p->client_id == c->id)
            return p;
    }
    RcPendingReplica p = {.client_id = c->id};
    g_array_append_val(r->pending_capa, p);
    return &g_array_index(r->pending_capa, RcPendingReplica, r->pending_capa->len - 1);
}

static void prune_pending(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    guint i = 0;
    while (i < r->pending_capa->len) {
        guint64 id = g_array_index(r->pending_capa, RcPendingReplica, i).client_id;
        gboolean alive = FALSE;
        for (guint k = 0; k < node->clients->len && !alive; k++)
            alive = ((RcClient *)g_ptr_array_index(node->clients, k))->id == id;
        if (alive)
            i++;
        else
            g_array_remove_index(r->pending_capa, i);
    }
}

/* The client becomes a replica: its state, with what REPLCONF announced. */
static RcReplicaState *replica_state(RcNode *node, RcClient *c)
{
    if (c->replica != NULL)
        return c->replica;
    RcReplication *r = rc_repl_of(node);
    c->replica = g_new0(RcReplicaState, 1);
    c->replica->replstate = RC_SLAVE_STATE_NONE;
    for (guint i = 0; i < r->pending_capa->len; i++) {
        RcPendingReplica *p = &g_array_index(r->pending_capa, RcPendingReplica, i);
        if (p->client_id == c->id) {
            c->replica->listening_port = p->listening_port;
            c->replica->capa_eof = p->capa_eof;
            c->replica->capa_psync2 = p->capa_psync2;
            g_array_remove_index(r->pending_capa, i);
            break;
        }
    }
    return c->replica;
}

/* replicationGetSlaveName: ip:listening-port as the replica announced it. */
static char *replica_name(RcNode *node, RcClient *c)
{
    RcConn *conn = rc_node_conn_get(node, c->handle);
    const char *ip = conn != NULL ? conn->peer_ip : "?";
    if (c->replica != NULL && c->replica->listening_port)
        return g_strdup_printf("%s:%" G_GINT64_FORMAT, ip, c->replica->listening_port);
    return g_strdup_printf("%s:<unknown-replica-port>", ip);
}

static gboolean arg_ll(const RcArgv *args, int i, gint64 *v)
{
    gsize len;
    const char *p = rc_argv_data(args, i, &len);
    if (len == 0 || len > 20)
        return FALSE;
    char buf[24];
    memcpy(buf, p, len);
    buf[len] = '\0';
    if (buf[0] == '+' || buf[0] == ' ' || (len > 1 && buf[0] == '0') ||
        (len > 2 && buf[0] == '-' && buf[1] == '0'))
        return FALSE;
    char *end = NULL;
    gint64 x = g_ascii_strtoll(buf, &end, 10);
    if (end == buf || *end != '\0')
        return FALSE;
    *v = x;
    return TRUE;
}

static gboolean arg_eq(const RcArgv *args, int i, const char *s)
{
    return rc_argv_is(args, i, s);
}

/* ---- Good replicas and ACK counts ------------------------------------------------------- */

int rc_repl_count_acks(const RcNode *node, gint64 offset)
{
    const RcReplication *r = rc_repl_of(node);
    int count = 0;
    for (guint i = 0; i < r->replicas->len; i++) {
        const RcClient *c = g_ptr_array_index(r->replicas, i);
        if (c->replica->replstate == RC_SLAVE_STATE_ONLINE && c->replica->ack_off >= offset)
            count++;
    }
    return count;
}

/* refreshGoodSlavesCount: online replicas whose last ACK is at most min-replicas-max-lag
 * seconds old. Runs on every replica change and once a second. */
void rc_repl_refresh_good_replicas(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    if (!node->cfg.min_replicas_to_write || !node->cfg.min_replicas_max_lag_s)
        return;
    gint64 now_s = rc_repl_unixtime(node);
    int good = 0;
    for (guint i = 0; i < r->replicas->len; i++) {
        const RcClient *c = g_ptr_array_index(r->replicas, i);
        if (c->replica->replstate == RC_SLAVE_STATE_ONLINE &&
            now_s - c->replica->ack_time_s <= node->cfg.min_replicas_max_lag_s)
            good++;
    }
    r->good_replicas = good;
}

/* ---- Attaching and detaching ------------------------------------------------------------ */

void rc_repl_replica_gone(RcNode *node, RcClient *client)
{
    RcReplication *r = rc_repl_of(node);
    rc_repl_wait_forget(node, client);
    if (g_ptr_array_remove(r->replicas, client)) {
        if (r->replicas->len == 0)
            r->no_replicas_since_s = rc_repl_unixtime(node);
        rc_repl_refresh_good_replicas(node);
    }
    g_clear_pointer(&client->replica, g_free);
    client->flags &= ~RC_CLIENT_REPLICA;
}

/* freeClient() of a replica from our side. */
static void drop_replica(RcNode *node, RcClient *c)
{
    rc_repl_replica_gone(node, c);
    rc_client_close(c);
}

/* disconnectSlaves. */
void rc_repl_disconnect_replicas(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    while (r->replicas->len > 0)
        drop_replica(node, g_ptr_array_index(r->replicas, 0));
}

static void put_online(RcNode *node, RcClient *c)
{
    c->replica->replstate = RC_SLAVE_STATE_ONLINE;
    c->replica->ack_time_s = rc_repl_unixtime(node);
    rc_repl_refresh_good_replicas(node);
}

/* masterTryPartialResynchronization: the id must be my replid, or my replid2 for offsets
 * up to second_replid_offset, and the offset must be inside my backlog. */
static gboolean try_partial(RcNode *node, RcClient *c, const char *replid, gint64 offset)
{
    RcReplication *r = rc_repl_of(node);
    gboolean is_id1 = g_ascii_strcasecmp(replid, r->replid) == 0;
    gboolean is_id2 = g_ascii_strcasecmp(replid, r->replid2) == 0;
    if (!is_id1 && (!is_id2 || offset > r->second_replid_offset)) {
        if (replid[0] != '?') {
            if (!is_id1 && !is_id2)
                rc_outbox_log(node->out, RC_LOG_NOTICE,
                              "Partial resynchronization not accepted: Replication ID mismatch "
                              "(Replica asked for '%s', my replication IDs are '%s' and '%s')",
                              replid, r->replid, r->replid2);
            else
                rc_outbox_log(node->out, RC_LOG_NOTICE,
                              "Partial resynchronization not accepted: Requested offset for "
                              "second ID was %" G_GINT64_FORMAT ", but I can reply up to "
                              "%" G_GINT64_FORMAT,
                              offset, r->second_replid_offset);
        } else {
            g_autofree char *name = replica_name(node, c);
            rc_outbox_log(node->out, RC_LOG_NOTICE, "Full resync requested by replica %s", name);
        }
        return FALSE;
    }
    if (r->backlog == NULL || offset < r->backlog_off ||
        offset > r->backlog_off + r->backlog_histlen) {
        g_autofree char *name = replica_name(node, c);
        rc_outbox_log(node->out, RC_LOG_NOTICE,
                      "Unable to partial resync with replica %s for lack of backlog (Replica "
                      "request was: %" G_GINT64_FORMAT ").",
                      name, offset);
        return FALSE;
    }
    RcReplicaState *s = replica_state(node, c);
    c->flags |= RC_CLIENT_REPLICA;
    g_ptr_array_add(r->replicas, c);
    put_online(node, c);
    g_autofree char *line =
        s->capa_psync2 ? g_strdup_printf("+CONTINUE %s\r\n", r->replid) : g_strdup("+CONTINUE\r\n");
    rc_client_write(c, line, strlen(line));
    GByteArray *tail = g_byte_array_new();
    rc_repl_backlog_copy_from(r, offset, tail);
    rc_client_write(c, (const char *)tail->data, tail->len);
    g_autofree char *name = replica_name(node, c);
    rc_outbox_log(node->out, RC_LOG_NOTICE,
                  "Partial resynchronization request from %s accepted. Sending %u bytes of "
                  "backlog starting from offset %" G_GINT64_FORMAT ".",
                  name, tail->len, offset);
    g_byte_array_unref(tail);
    return TRUE;
}

/* Ship the snapshot to one waiting replica: +FULLRESYNC, then the payload as one bulk
 * ($<len>\r\n + bytes, no trailing CRLF, as Redis sends an RDB). The stream after the
 * snapshot's offset follows on the same connection. */
static void send_full_sync(RcNode *node, RcClient *c, GBytes *snapshot)
{
    RcReplication *r = rc_repl_of(node);
    RcReplicaState *s = c->replica;
    s->psync_initial_offset = r->master_repl_offset;
    r->slaveseldb = -1;
    char line[128];
    int n = g_snprintf(line, sizeof line, "+FULLRESYNC %s %" G_GINT64_FORMAT "\r\n", r->replid,
                       s->psync_initial_offset);
    if (!s->pre_psync)
        rc_client_write(c, line, (gsize)n);
    gsize len;
    const char *data = g_bytes_get_data(snapshot, &len);
    n = g_snprintf(line, sizeof line, "$%" G_GSIZE_FORMAT "\r\n", len);
    rc_client_write(c, line, (gsize)n);
    rc_client_write(c, data, len);
    put_online(node, c);
    g_autofree char *name = replica_name(node, c);
    rc_outbox_log(node->out, RC_LOG_NOTICE, "Synchronization with replica %s succeeded", name);
}

/* replicationStartPendingFork / shouldStartChildReplication: the diskless sync starts once
 * the longest-waiting replica has waited repl-diskless-sync-delay seconds; every waiting
 * replica shares that snapshot. */
static void start_pending_full_syncs(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    gint64 now_s = rc_repl_unixtime(node);
    gint64 max_idle = -1;
    for (guint i = 0; i < r->replicas->len; i++) {
        RcClient *c = g_ptr_array_index(r->replicas, i);
        if (c->replica->replstate == RC_SLAVE_STATE_WAIT_BGSAVE_START)
            max_idle = MAX(max_idle, now_s - c->replica->wait_start_s);
    }
    if (max_idle < RC_REPL_DISKLESS_SYNC_DELAY_S)
        return;
    GBytes *snapshot = rc_keyspace_snapshot(node->db);
    rc_outbox_log(node->out, RC_LOG_NOTICE,
                  "Starting BGSAVE for SYNC with target: replicas sockets");
    for (guint i = 0; i < r->replicas->len; i++) {
        RcClient *c = g_ptr_array_index(r->replicas, i);
        if (c->replica->replstate == RC_SLAVE_STATE_WAIT_BGSAVE_START)
            send_full_sync(node, c, snapshot);
    }
    g_bytes_unref(snapshot);
}

/* syncCommand for PSYNC <replid> <offset> and SYNC. The reply goes straight to the
 * connection (+CONTINUE now, +FULLRESYNC when the snapshot is taken), not to call->reply. */
void rc_repl_psync_command(RcCommandCall *call)
{
    RcNode *node = call->node;
    RcReplication *r = rc_repl_of(node);
    RcClient *c = call->client;
    if (c == NULL || (c->flags & RC_CLIENT_REPLICA))
        return;
    if (r->masterhost != NULL && r->state != RC_REPL_STATE_CONNECTED) {
        g_string_append(call->reply,
                        "-NOMASTERLINK Can't SYNC while not connected with my master\r\n");
        return;
    }
    gboolean is_psync = arg_eq(call->args, 0, "psync");
    gint64 offset = -1;
    g_autofree char *name = replica_name(node, c);
    rc_outbox_log(node->out, RC_LOG_NOTICE, "Replica %s asks for synchronization", name);
    if (is_psync && !arg_ll(call->args, 2, &offset)) {
        rc_outbox_log(node->out, RC_LOG_WARNING,
                      "Replica %s asks for synchronization but with a wrong offset", name);
        g_string_append(call->reply, "-ERR value is not an integer or out of range\r\n");
        return;
    }
    RcReplicaState *s = replica_state(node, c);
    if (is_psync) {
        gsize idlen;
        const char *idp = rc_argv_data(call->args, 1, &idlen);
        g_autofree char *replid = g_strndup(idp, idlen);
        if (try_partial(node, c, replid, offset)) {
            r->stat_sync_partial_ok++;
            return;
        }
        if (replid[0] != '?')
            r->stat_sync_partial_err++;
    } else {
        s->pre_psync = TRUE;
    }
    r->stat_sync_full++;
    s->replstate = RC_SLAVE_STATE_WAIT_BGSAVE_START;
    s->wait_start_s = rc_repl_unixtime(node);
    c->flags |= RC_CLIENT_REPLICA;
    g_ptr_array_add(r->replicas, c);
    if (r->replicas->len == 1 && r->backlog == NULL) {
        /* A backlog made from scratch starts a new history. */
        rc_repl_change_id(r);
        rc_repl_clear_id2(r);
        rc_repl_backlog_create(r);
        rc_outbox_log(node->out, RC_LOG_NOTICE,
                      "Replication backlog created, my new replication IDs are '%s' and '%s'",
                      r->replid, r->replid2);
    }
    if (!s->capa_eof) {
        /* A disk-based sync starts a BGSAVE at once (we model the save as instant). */
        s->wait_start_s = rc_repl_unixtime(node) - RC_REPL_DISKLESS_SYNC_DELAY_S;
        start_pending_full_syncs(node);
    } else {
        rc_outbox_log(node->out, RC_LOG_NOTICE, "Delay next BGSAVE for diskless SYNC");
    }
}

/* replconfCommand. ACK and GETACK never reply. */
void rc_repl_replconf_command(RcCommandCall *call)
{
    RcNode *node = call->node;
    RcReplication *r = rc_repl_of(node);
    RcClient *c = call->client;
    const RcArgv *a = call->args;
    if (a->argc % 2 == 0) {
        g_string_append(call->reply, "-ERR syntax error\r\n");
        return;
    }
    for (int j = 1; j < a->argc; j += 2) {
        gint64 v;
        if (arg_eq(a, j, "listening-port")) {
            if (!arg_ll(a, j + 1, &v)) {
                g_string_append(call->reply, "-ERR value is not an integer or out of range\r\n");
                return;
            }
            if (c != NULL && c->replica != NULL)
                c->replica->listening_port = v;
            else if (c != NULL)
                pending_of(node, c)->listening_port = v;
        } else if (arg_eq(a, j, "ip-address")) {
            gsize len;
            rc_argv_data(a, j + 1, &len);
            if (len >= RC_REPL_HOST_STR_LEN) {
                g_string_append_printf(call->reply,
                                       "-ERR REPLCONF ip-address provided by replica instance "
                                       "is too long: %" G_GSIZE_FORMAT " bytes\r\n",
                                       len);
                return;
            }
        } else if (arg_eq(a, j, "capa")) {
            gboolean eof = arg_eq(a, j + 1, "eof"), psync2 = arg_eq(a, j + 1, "psync2");
            if (c != NULL && c->replica != NULL) {
                c->replica->capa_eof |= eof;
                c->replica->capa_psync2 |= psync2;
            } else if (c != NULL && (eof || psync2)) {
                RcPendingReplica *p = pending_of(node, c);
                p->capa_eof |= eof;
                p->capa_psync2 |= psync2;
            }
        } else if (arg_eq(a, j, "ack")) {
            if (c == NULL || !(c->flags & RC_CLIENT_REPLICA))
                return;
            if (!arg_ll(a, j + 1, &v))
                return;
            if (v > c->replica->ack_off)
                c->replica->ack_off = v;
            c->replica->ack_time_s = rc_repl_unixtime(node);
            return;
        } else if (arg_eq(a, j, "getack")) {
            if (r->masterhost != NULL && r->master.is_set)
                rc_repl_send_ack(node);
            return;
        } else if (arg_eq(a, j, "rdb-only")) {
            if (!arg_ll(a, j + 1, &v)) {
                g_string_append(call->reply, "-ERR value is not an integer or out of range\r\n");
                return;
            }
            if (v < 0 || v > 1) {
                g_string_append(call->reply,
                                "-ERR value is out of range, value must between 0 and 1\r\n");
                return;
            }
        } else {
            gsize len;
            const char *p = rc_argv_data(a, j, &len);
            g_string_append(call->reply, "-ERR Unrecognized REPLCONF option: ");
            g_string_append_len(call->reply, p, (gssize)len);
            g_string_append(call->reply, "\r\n");
            return;
        }
    }
    g_string_append(call->reply, "+OK\r\n");
}

/* The master half of replicationCron. */
void rc_repl_master_cron(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    gint64 now_s = rc_repl_unixtime(node);
    /* A newline keeps replicas waiting for their snapshot from timing out. */
    for (guint i = 0; i < r->replicas->len; i++) {
        RcClient *c = g_ptr_array_index(r->replicas, i);
        if (c->replica->replstate == RC_SLAVE_STATE_WAIT_BGSAVE_START)
            rc_client_write(c, "\n", 1);
    }
    /* Replicas silent for more than repl-timeout are dropped. */
    guint i = 0;
    while (i < r->replicas->len) {
        RcClient *c = g_ptr_array_index(r->replicas, i);
        if (c->replica->replstate == RC_SLAVE_STATE_ONLINE && !c->replica->pre_psync &&
            now_s - c->replica->ack_time_s > node->cfg.repl_timeout_s) {
            g_autofree char *name = replica_name(node, c);
            rc_outbox_log(node->out, RC_LOG_WARNING,
                          "Disconnecting timedout replica (streaming sync): %s", name);
            drop_replica(node, c);
            continue;
        }
        i++;
    }
    /* A master without replicas frees its backlog after repl-backlog-ttl, and with it the
     * history: a new replid, so nobody can PSYNC against writes the offset did not count. */
    if (r->replicas->len == 0 && r->backlog != NULL && r->masterhost == NULL &&
        now_s - r->no_replicas_since_s > RC_REPL_BACKLOG_TTL_S) {
        rc_repl_change_id(r);
        rc_repl_clear_id2(r);
        rc_repl_backlog_free(r);
        rc_outbox_log(node->out, RC_LOG_NOTICE,
                      "Replication backlog freed after %d seconds without connected replicas.",
                      RC_REPL_BACKLOG_TTL_S);
    }
    start_pending_full_syncs(node);
    prune_pending(node);
}
