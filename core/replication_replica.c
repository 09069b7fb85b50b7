/* The replica side of replication (replication.c in Redis 7.0): the connection to my
 * master's client port, the handshake (PING, REPLCONF listening-port, REPLCONF capa eof capa
 * psync2, PSYNC), the snapshot of a full sync, the command stream and REPLCONF ACK.
 *
 * The stream is applied one complete command at a time. The processed offset (reploff)
 * moves by the bytes of each command once it ran; a MULTI block counts only at its EXEC,
 * so a link lost inside a transaction leaves the offset where the transaction began. The
 * bytes applied are proxied into my own backlog, so that my offset and history equal my
 * master's and my sibling replicas can PSYNC from me if I am promoted. */
#include "core/replication_private.h"

#include <string.h>

#include "core/commands.h"
#include "core/keyspace.h"

static void link_send(RcNode *node, const char *s)
{
    RcReplication *r = rc_repl_of(node);
    rc_node_send(node, r->link, s, strlen(s));
}

static void send_command(RcNode *node, const char *const *strv)
{
    GString *s = g_string_new(NULL);
    int argc = 0;
    while (strv[argc] != NULL)
        argc++;
    g_string_append_printf(s, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        g_string_append_printf(s, "$%zu\r\n%s\r\n", strlen(strv[i]), strv[i]);
    link_send(node, s->str);
    g_string_free(s, TRUE);
}

void rc_repl_connect_master(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    rc_assert(r->masterhost != NULL && r->link == 0);
    g_byte_array_set_size(r->inbuf, 0);
    r->link = rc_node_conn_open(node, RC_CONN_REPL_MASTER, NULL, r->masterhost, r->masterport);
    r->transfer_lastio_s = rc_repl_unixtime(node);
    r->state = RC_REPL_STATE_CONNECTING;
    rc_outbox_log(node->out, RC_LOG_NOTICE, "MASTER <-> REPLICA sync started");
}

static void close_link(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    if (r->link != 0)
        rc_node_conn_close(node, r->link);
    r->link = 0;
    g_byte_array_set_size(r->inbuf, 0);
    g_ptr_array_set_size(r->multi_queue, 0);
    g_byte_array_set_size(r->multi_raw, 0);
    r->in_multi = FALSE;
}

static gboolean in_handshake(const RcReplication *r)
{
    return r->state >= RC_REPL_STATE_RECEIVE_PING_REPLY &&
           r->state <= RC_REPL_STATE_RECEIVE_PSYNC_REPLY;
}

/* cancelReplicationHandshake: abort a connect, handshake or snapshot transfer. */
void rc_repl_cancel_handshake(RcNode *node, gboolean reconnect)
{
    RcReplication *r = rc_repl_of(node);
    if (r->state == RC_REPL_STATE_TRANSFER || r->state == RC_REPL_STATE_CONNECTING ||
        in_handshake(r)) {
        close_link(node);
        r->state = RC_REPL_STATE_CONNECT;
        if (reconnect && r->masterhost != NULL) {
            rc_outbox_log(node->out, RC_LOG_NOTICE, "Reconnecting to MASTER %s:%u after failure",
                          r->masterhost, r->masterport);
            rc_repl_connect_master(node);
        }
    }
}

void rc_repl_discard_cached_master(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    if (!r->cached_master.is_set)
        return;
    rc_outbox_log(node->out, RC_LOG_NOTICE, "Discarding previously cached master state.");
    r->cached_master.is_set = FALSE;
}

/* replicationCacheMasterUsingMyself: a master turning replica synthesizes a cached master
 * from its own id and offset. */
void rc_repl_cache_master_using_myself(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    rc_outbox_log(node->out, RC_LOG_NOTICE,
                  "Before turning into a replica, using my own master parameters to synthesize "
                  "a cached master: I may be able to synchronize with the new master with just "
                  "a partial transfer.");
    r->master_initial_offset = r->master_repl_offset;
    r->cached_master.is_set = TRUE;
    memcpy(r->cached_master.replid, r->replid, sizeof r->replid);
    r->cached_master.reploff = r->master_repl_offset;
    r->cached_master.lastinteraction_s = rc_repl_unixtime(node);
}

/* replicationCacheMaster + replicationHandleMasterDisconnection: the streaming link ended
 * (timeout, drop, or a role change). Keep the master for a PSYNC and reconnect at once. */
void rc_repl_cache_master(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    rc_assert(r->master.is_set);
    rc_outbox_log(node->out, RC_LOG_NOTICE, "Caching the disconnected master state.");
    r->cached_master = r->master;
    r->master.is_set = FALSE;
    close_link(node);
    r->state = RC_REPL_STATE_CONNECT;
    r->down_since_s = rc_repl_unixtime(node);
    if (r->masterhost != NULL) {
        rc_outbox_log(node->out, RC_LOG_NOTICE, "Reconnecting to MASTER %s:%u", r->masterhost,
                      r->masterport);
        rc_repl_connect_master(node);
    }
}

/* replicationSendAck: REPLCONF ACK <processed offset>. */
void rc_repl_send_ack(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    if (!r->master.is_set || r->link == 0)
        return;
    char off[32];
    g_snprintf(off, sizeof off, "%" G_GINT64_FORMAT, r->master.reploff);
    const char *const ack[] = {"REPLCONF", "ACK", off, NULL};
    send_command(node, ack);
}

/* The handshake failed: close and let the cron reconnect (syncWithMaster's error path). */
static void handshake_error(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    close_link(node);
    r->state = RC_REPL_STATE_CONNECT;
}

/* One line from the master during the handshake, without its CRLF. NULL if incomplete. */
static char *take_line(RcReplication *r)
{
    guint8 *nl = memchr(r->inbuf->data, '\n', r->inbuf->len);
    if (nl == NULL)
        return NULL;
    gsize n = (gsize)(nl - r->inbuf->data);
    gsize len = n > 0 && r->inbuf->data[n - 1] == '\r' ? n - 1 : n;
    char *line = g_strndup((const char *)r->inbuf->data, len);
    g_byte_array_remove_range(r->inbuf, 0, (guint)(n + 1));
    return line;
}

void rc_repl_master_connected(RcNode *node, RcConn *conn)
{
    RcReplication *r = rc_repl_of(node);
    if (conn->handle != r->link || r->state != RC_REPL_STATE_CONNECTING) {
        rc_node_conn_close(node, conn->handle);
        return;
    }
    rc_outbox_log(node->out, RC_LOG_NOTICE, "Non blocking connect for SYNC fired the event.");
    r->state = RC_REPL_STATE_RECEIVE_PING_REPLY;
    static const char *const ping[] = {"PING", NULL};
    send_command(node, ping);
}

static void send_psync(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    r->master_initial_offset = -1;
    if (r->cached_master.is_set) {
        char off[32];
        g_snprintf(off, sizeof off, "%" G_GINT64_FORMAT, r->cached_master.reploff + 1);
        rc_outbox_log(node->out, RC_LOG_NOTICE,
                      "Trying a partial resynchronization (request %s:%s).",
                      r->cached_master.replid, off);
        const char *const psync[] = {"PSYNC", r->cached_master.replid, off, NULL};
        send_command(node, psync);
    } else {
        rc_outbox_log(node->out, RC_LOG_NOTICE,
                      "Partial resynchronization not possible (no cached master)");
        static const char *const psync[] = {"PSYNC", "?", "-1", NULL};
        send_command(node, psync);
    }
    r->state = RC_REPL_STATE_RECEIVE_PSYNC_REPLY;
}

/* +CONTINUE [<replid>]: the master continues from my cached offset. A new id means the
 * master was promoted: my old id stays valid as replid2 up to my offset + 1. */
static void partial_accepted(RcNode *node, const char *line)
{
    RcReplication *r = rc_repl_of(node);
    rc_outbox_log(node->out, RC_LOG_NOTICE, "Successful partial resynchronization with master.");
    const char *id = line + strlen("+CONTINUE");
    while (*id == ' ')
        id++;
    if (strlen(id) == RC_REPL_ID_LEN && strcmp(id, r->cached_master.replid) != 0) {
        rc_outbox_log(node->out, RC_LOG_WARNING, "Master replication ID changed to %s", id);
        memcpy(r->replid2, r->cached_master.replid, sizeof r->replid2);
        r->second_replid_offset = r->master_repl_offset + 1;
        memcpy(r->replid, id, RC_REPL_ID_LEN + 1);
        memcpy(r->cached_master.replid, id, RC_REPL_ID_LEN + 1);
        rc_repl_disconnect_replicas(node);
    }
    r->master = r->cached_master;
    r->cached_master.is_set = FALSE;
    r->master.lastinteraction_s = rc_repl_unixtime(node);
    r->state = RC_REPL_STATE_CONNECTED;
    r->down_since_s = 0;
    if (r->backlog == NULL)
        rc_repl_backlog_create(r);
    rc_outbox_log(node->out, RC_LOG_NOTICE,
                  "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
    rc_outbox_event(node->out, RC_EVT_PARTIAL_SYNC, "", (guint64)r->master.reploff);
}

/* +FULLRESYNC <replid> <offset>. A malformed line blanks the id so later PSYNCs fail. */
static void full_resync_announced(RcNode *node, const char *line)
{
    RcReplication *r = rc_repl_of(node);
    const char *id = strchr(line, ' ');
    const char *off = id != NULL ? strchr(id + 1, ' ') : NULL;
    if (id == NULL || off == NULL || off - id - 1 != RC_REPL_ID_LEN) {
        rc_outbox_log(node->out, RC_LOG_WARNING, "Master replied with wrong +FULLRESYNC syntax.");
        memset(r->master_replid, 0, sizeof r->master_replid);
    } else {
        memcpy(r->master_replid, id + 1, RC_REPL_ID_LEN);
        r->master_replid[RC_REPL_ID_LEN] = '\0';
        r->master_initial_offset = g_ascii_strtoll(off + 1, NULL, 10);
        rc_outbox_log(node->out, RC_LOG_NOTICE, "Full resync from master: %s:%" G_GINT64_FORMAT,
                      r->master_replid, r->master_initial_offset);
    }
}

static void start_transfer(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    r->state = RC_REPL_STATE_TRANSFER;
    r->transfer_size = -1;
    r->transfer_lastio_s = rc_repl_unixtime(node);
}

/* The PSYNC reply (slaveTryPartialResynchronization, reading half). */
static void psync_reply(RcNode *node, const char *line)
{
    if (g_str_has_prefix(line, "+FULLRESYNC")) {
        full_resync_announced(node, line);
        start_transfer(node);
    } else if (g_str_has_prefix(line, "+CONTINUE")) {
        partial_accepted(node, line);
    } else if (g_str_has_prefix(line, "-NOMASTERLINK") || g_str_has_prefix(line, "-LOADING")) {
        rc_outbox_log(node->out, RC_LOG_NOTICE,
                      "Master is currently unable to PSYNC but should be in the future: %s", line);
        handshake_error(node);
    } else {
        rc_outbox_log(node->out, RC_LOG_NOTICE,
                      "Master does not support PSYNC or is in error state (reply: %s)", line);
        rc_outbox_log(node->out, RC_LOG_NOTICE, "Retrying with SYNC...");
        link_send(node, "SYNC\r\n");
        start_transfer(node);
    }
}

/* The snapshot arrived in full: replace my dataset and start streaming (readSyncBulkPayload,
 * then replicationCreateMasterClient). */
static void transfer_done(RcNode *node, GBytes *snapshot)
{
    RcReplication *r = rc_repl_of(node);
    /* replicationAttachToNewMaster: the old history is over, for me and my replicas. */
    rc_repl_discard_cached_master(node);
    rc_repl_disconnect_replicas(node);
    rc_repl_backlog_free(r);
    rc_outbox_log(node->out, RC_LOG_NOTICE, "MASTER <-> REPLICA sync: Flushing old data");
    GError *error = NULL;
    if (!rc_keyspace_load_snapshot(node->db, snapshot, &error)) {
        rc_outbox_log(node->out, RC_LOG_WARNING,
                      "Failed trying to load the MASTER synchronization DB from socket: %s",
                      error->message);
        g_error_free(error);
        rc_repl_cancel_handshake(node, TRUE);
        return;
    }
    r->master.is_set = TRUE;
    memcpy(r->master.replid, r->master_replid, sizeof r->master.replid);
    r->master.reploff = r->master_initial_offset;
    r->master.lastinteraction_s = rc_repl_unixtime(node);
    r->state = RC_REPL_STATE_CONNECTED;
    r->down_since_s = 0;
    memcpy(r->replid, r->master.replid, sizeof r->replid);
    r->master_repl_offset = r->master.reploff;
    rc_repl_clear_id2(r);
    if (r->backlog == NULL)
        rc_repl_backlog_create(r);
    rc_outbox_log(node->out, RC_LOG_NOTICE, "MASTER <-> REPLICA sync: Finished with success");
    rc_outbox_event(node->out, RC_EVT_FULL_SYNC, "", (guint64)MAX(r->master.reploff, 0));
    /* A diskless load tells the master at once that it is online. */
    rc_repl_send_ack(node);
}

/* Read the $<len> line and the payload. Returns TRUE when the transfer finished (or
 * failed) and the state changed. */
static gboolean transfer_step(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    if (r->transfer_size < 0) {
        char *line = take_line(r);
        if (line == NULL)
            return FALSE;
        if (line[0] == '\0') { /* the master's keepalive newline */
            g_free(line);
            return TRUE;
        }
        gboolean ok = line[0] == '$';
        char *end = NULL;
        gint64 size = ok ? g_ascii_strtoll(line + 1, &end, 10) : -1;
        if (!ok || end == line + 1 || *end != '\0' || size < 0) {
            if (line[0] == '-')
                rc_outbox_log(node->out, RC_LOG_WARNING,
                              "MASTER aborted replication with an "
                              "error: %s",
                              line + 1);
            else
                rc_outbox_log(node->out, RC_LOG_WARNING,
                              "Bad protocol from MASTER, the first byte is not '$' (we received "
                              "'%s'), are you sure the host and port are right?",
                              line);
            g_free(line);
            rc_repl_cancel_handshake(node, FALSE);
            return TRUE;
        }
        g_free(line);
        r->transfer_size = size;
        rc_outbox_log(node->out, RC_LOG_NOTICE,
                      "MASTER <-> REPLICA sync: receiving %" G_GINT64_FORMAT " bytes from master "
                      "to disk",
                      size);
    }
    if ((gint64)r->inbuf->len < r->transfer_size)
        return FALSE;
    gsize size = (gsize)r->transfer_size;
    GBytes *snapshot = g_bytes_new(r->inbuf->data, size);
    g_byte_array_remove_range(r->inbuf, 0, (guint)size);
    r->transfer_size = -1;
    transfer_done(node, snapshot);
    g_bytes_unref(snapshot);
    return TRUE;
}

/* ---- The command stream ----------------------------------------------------------------- */

/* read_number() of anything but plain digits, as strtoll reads them. */
G_GNUC_NO_INLINE static int read_odd_number(const guint8 *p, gsize avail, gsize *pos, gint64 *v)
{
    const guint8 *nl = memchr(p + *pos, '\n', avail - *pos);
    if (nl == NULL)
        return avail - *pos > 32 ? -1 : 0;
    gsize end = (gsize)(nl - p);
    if (end < *pos + 3 || p[end - 1] != '\r')
        return -1;
    gsize nlen = end - 1 - (*pos + 1);
    const guint8 *digits = p + *pos + 1;
    char num[32];
    if (nlen >= sizeof num)
        return -1;
    memcpy(num, digits, nlen);
    num[nlen] = '\0';
    char *e = NULL;
    *v = g_ascii_strtoll(num, &e, 10);
    if (e == num || *e != '\0')
        return -1;
    *pos = end + 1;
    return 1;
}

/* Read "<prefix><integer>\r\n" at p[*pos]. Returns 1 and advances, 0 if incomplete,
 * -1 on a protocol error. */
static inline int read_number(const guint8 *p, gsize avail, gsize *pos, char prefix, gint64 *v)
{
    if (*pos >= avail)
        return 0;
    if (p[*pos] != (guint8)prefix)
        return -1;
    /* The master writes plain digits and CRLF (at most 18 of them cannot overflow): read
     * them in one pass. */
    gsize k = *pos + 1, first = k, stop = MIN(avail, first + 18);
    gint64 x = 0;
    while (k < stop && p[k] >= '0' && p[k] <= '9')
        x = x * 10 + (p[k++] - '0');
    if (k > first && avail - k >= 2 && p[k] == '\r' && p[k + 1] == '\n') {
        *v = x;
        *pos = k + 2;
        return 1;
    }
    return read_odd_number(p, avail, pos, v);
}

/* Walk one "*<n>\r\n($<len>\r\n<bytes>\r\n)*n" request at `p` into `view` (its arguments
 * point into `p`): returns its length, 0 if incomplete, -1 on a protocol error. */
static gssize scan_request(const guint8 *p, gsize avail, gint64 max_bulk, RcArgvView *view)
{
    rc_argv_view_clear(view);
    gsize pos = 0;
    gint64 count;
    int rc = read_number(p, avail, &pos, '*', &count);
    if (rc <= 0)
        return rc;
    if (count <= 0 || count > RC_REPL_STREAM_ARGS_MAX)
        return -1;
    for (int i = 0; i < (int)count; i++) {
        gint64 len;
        rc = read_number(p, avail, &pos, '$', &len);
        if (rc == 1 && (len < 0 || len > max_bulk))
            rc = -1;
        if (rc == 1 && avail - pos < (gsize)len + 2)
            rc = 0;
        if (rc == 1 && (p[pos + (gsize)len] != '\r' || p[pos + (gsize)len + 1] != '\n'))
            rc = -1;
        if (rc <= 0)
            return rc;
        rc_argv_view_push(view, (const char *)p + pos, (gsize)len);
        pos += (gsize)len + 2;
    }
    return (gssize)pos;
}

/* The stream broke the protocol: Redis frees the master client without caching it, so the
 * next sync is a full one. */
static void stream_protocol_error(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    r->stat_stream_errors++;
    rc_outbox_log(node->out, RC_LOG_WARNING,
                  "Protocol error from MASTER: closing the link, a full sync will follow");
    r->master.is_set = FALSE;
    close_link(node);
    r->state = RC_REPL_STATE_CONNECT;
    r->down_since_s = rc_repl_unixtime(node);
}

/* The bytes of one applied command (or transaction) join my offset and my backlog. */
static void stream_applied(RcReplication *r, const guint8 *raw, gsize len)
{
    r->master.reploff += (gint64)len;
    rc_assert(r->backlog != NULL);
    rc_repl_feed(r, raw, len);
    rc_assert(r->master_repl_offset == r->master.reploff);
}

static gboolean names(const RcCommand *named, RcCommandProc proc)
{
    return named != NULL && named->proc == proc;
}

static void apply_one(RcNode *node, const RcCommand *named, const RcArgv *args)
{
    if (names(named, rc_cmd_ping) || names(named, rc_cmd_select))
        return; /* one database; PING only keeps the link alive */
    GString *reply = rc_repl_of(node)->discarded;
    g_string_truncate(reply, 0);
    rc_client_call_named(node, NULL, named, args, reply); /* the master gets no replies */
}

/* The queued transaction ends (EXEC or DISCARD): its bytes, MULTI included, join my offset. */
static void end_multi(RcReplication *r, gboolean is_exec)
{
    for (guint i = 0; is_exec && i < r->multi_queue->len; i++) {
        const RcArgv *queued = g_ptr_array_index(r->multi_queue, i);
        apply_one(r->node, rc_command_lookup_first(queued), queued);
    }
    g_ptr_array_set_size(r->multi_queue, 0);
    r->in_multi = FALSE;
    stream_applied(r, r->multi_raw->data, r->multi_raw->len);
    g_byte_array_set_size(r->multi_raw, 0);
}

/* `args` and `raw` point into the stream's input buffer: a command queued by MULTI is
 * copied. */
static void apply_command(RcNode *node, const RcArgv *args, const guint8 *raw, gsize len)
{
    RcReplication *r = rc_repl_of(node);
    const RcCommand *named = rc_command_lookup_first(args);
    if (r->in_multi) {
        g_byte_array_append(r->multi_raw, raw, (guint)len);
        if (names(named, rc_cmd_exec) || names(named, rc_cmd_discard))
            end_multi(r, names(named, rc_cmd_exec));
        else
            g_ptr_array_add(r->multi_queue, rc_argv_copy(args));
        return;
    }
    if (names(named, rc_cmd_multi)) {
        r->in_multi = TRUE;
        g_byte_array_append(r->multi_raw, raw, (guint)len);
        return;
    }
    if (names(named, rc_repl_replconf_command)) {
        /* GETACK answers with the offset before the GETACK itself, as Redis does: the
         * offset moves when the command has been processed. */
        if (args->argc >= 2 && rc_argv_is(args, 1, "GETACK"))
            rc_repl_send_ack(node);
    } else {
        apply_one(node, named, args);
    }
    stream_applied(r, raw, len);
}

/* Apply the whole commands at the start of buf[0..len): how many bytes they took. Stops early
 * when the link leaves the connected state (a protocol error closes it). */
static gsize stream_apply(RcNode *node, const guint8 *buf, gsize len)
{
    RcReplication *r = rc_repl_of(node);
    gsize pos = 0;
    while (r->state == RC_REPL_STATE_CONNECTED && pos < len) {
        gssize n =
            scan_request(buf + pos, len - pos, node->cfg.proto_max_bulk_len, &r->stream_view);
        if (n == 0)
            break;
        if (n < 0) {
            stream_protocol_error(node);
            break; /* inbuf was cleared with the link */
        }
        /* The command and its raw bytes (for my backlog) are read in place: applying it
         * appends nothing to inbuf. */
        const guint8 *raw = buf + pos;
        pos += (gsize)n;
        apply_command(node, &r->stream_view.argv, raw, (gsize)n);
    }
    rc_argv_view_clear(&r->stream_view);
    return pos;
}

static void stream_step(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    gsize pos = stream_apply(node, r->inbuf->data, r->inbuf->len);
    if (r->state == RC_REPL_STATE_CONNECTED && pos > 0)
        g_byte_array_remove_range(r->inbuf, 0, (guint)pos);
}

/* The stream's usual case: nothing left over from the previous delivery, so the commands are
 * applied from the delivered bytes themselves and only an incomplete tail is kept. */
static void stream_recv_direct(RcNode *node, guint32 handle, const guint8 *data, gsize len)
{
    RcReplication *r = rc_repl_of(node);
    rc_assert(r->inbuf->len == 0 && r->state == RC_REPL_STATE_CONNECTED);
    r->master.lastinteraction_s = rc_repl_unixtime(node);
    gsize pos = stream_apply(node, data, len);
    if (r->link == handle && r->state == RC_REPL_STATE_CONNECTED && pos < len)
        g_byte_array_append(r->inbuf, data + pos, (guint)(len - pos));
}

/* ---- Entry points from node.c ----------------------------------------------------------- */

/* One handshake reply. Returns FALSE when more bytes are needed. */
static gboolean handshake_step(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    char *line = take_line(r);
    if (line == NULL)
        return FALSE;
    switch (r->state) {
    case RC_REPL_STATE_RECEIVE_PING_REPLY:
        if (line[0] != '+' && !g_str_has_prefix(line, "-NOAUTH") &&
            !g_str_has_prefix(line, "-NOPERM") &&
            !g_str_has_prefix(line, "-ERR operation not permitted")) {
            rc_outbox_log(node->out, RC_LOG_WARNING, "Error reply to PING from master: '%s'", line);
            handshake_error(node);
            break;
        }
        rc_outbox_log(node->out, RC_LOG_NOTICE,
                      "Master replied to PING, replication can continue...");
        {
            char port[16];
            g_snprintf(port, sizeof port, "%u", node->cfg.port);
            const char *const lp[] = {"REPLCONF", "listening-port", port, NULL};
            send_command(node, lp);
            static const char *const capa[] = {"REPLCONF", "capa", "eof", "capa", "psync2", NULL};
            send_command(node, capa);
        }
        r->state = RC_REPL_STATE_RECEIVE_PORT_REPLY;
        break;
    case RC_REPL_STATE_RECEIVE_PORT_REPLY:
        if (line[0] == '-')
            rc_outbox_log(node->out, RC_LOG_NOTICE,
                          "(Non critical) Master does not understand REPLCONF listening-port: %s",
                          line);
        r->state = RC_REPL_STATE_RECEIVE_CAPA_REPLY;
        break;
    case RC_REPL_STATE_RECEIVE_CAPA_REPLY:
        if (line[0] == '-')
            rc_outbox_log(node->out, RC_LOG_NOTICE,
                          "(Non critical) Master does not understand REPLCONF capa: %s", line);
        send_psync(node);
        break;
    case RC_REPL_STATE_RECEIVE_PSYNC_REPLY:
        if (line[0] != '\0') /* empty lines keep the link alive before the reply */
            psync_reply(node, line);
        break;
    default:
        rc_assert(!"handshake_step outside the handshake");
    }
    g_free(line);
    return TRUE;
}

void rc_repl_master_recv(RcNode *node, RcConn *conn, const guint8 *data, gsize len)
{
    RcReplication *r = rc_repl_of(node);
    if (conn->handle != r->link)
        return; /* a link I already gave up */
    if (r->inbuf->len + len >
        (gsize)node->cfg.client_query_buffer_limit + (gsize)node->cfg.proto_max_bulk_len) {
        stream_protocol_error(node);
        return;
    }
    if (r->inbuf->len == 0 && r->state == RC_REPL_STATE_CONNECTED) {
        stream_recv_direct(node, conn->handle, data, len);
        return;
    }
    g_byte_array_append(r->inbuf, data, (guint)len);
    /* Redis counts progress of a snapshot transfer, not handshake replies: the handshake
     * times out repl-timeout after the connect began. */
    if (r->state == RC_REPL_STATE_CONNECTED)
        r->master.lastinteraction_s = rc_repl_unixtime(node);
    else if (r->state == RC_REPL_STATE_TRANSFER)
        r->transfer_lastio_s = rc_repl_unixtime(node);
    /* A step may close the link (and free `conn`): compare handles, never touch conn. */
    guint32 handle = conn->handle;
    for (;;) {
        if (r->link != handle)
            return;
        if (in_handshake(r)) {
            if (!handshake_step(node))
                return;
        } else if (r->state == RC_REPL_STATE_TRANSFER) {
            if (!transfer_step(node))
                return;
        } else if (r->state == RC_REPL_STATE_CONNECTED) {
            stream_step(node);
            return;
        } else {
            return;
        }
    }
}

void rc_repl_master_disconnected(RcNode *node, RcConn *conn)
{
    RcReplication *r = rc_repl_of(node);
    if (conn->handle != r->link)
        return;
    r->link = 0; /* the driver already closed it */
    if (r->state == RC_REPL_STATE_CONNECTED && r->master.is_set) {
        rc_outbox_log(node->out, RC_LOG_WARNING, "Connection with master lost.");
        rc_repl_cache_master(node);
    } else if (r->state != RC_REPL_STATE_NONE) {
        rc_outbox_log(node->out, RC_LOG_WARNING,
                      "Error condition on socket for SYNC: Connection refused");
        g_byte_array_set_size(r->inbuf, 0);
        r->state = RC_REPL_STATE_CONNECT;
    }
}

/* The replica half of replicationCron. */
void rc_repl_replica_cron(RcNode *node)
{
    RcReplication *r = rc_repl_of(node);
    if (r->masterhost == NULL)
        return;
    gint64 now_s = rc_repl_unixtime(node);
    if ((r->state == RC_REPL_STATE_CONNECTING || in_handshake(r)) &&
        now_s - r->transfer_lastio_s > node->cfg.repl_timeout_s) {
        rc_outbox_log(node->out, RC_LOG_WARNING, "Timeout connecting to the MASTER...");
        rc_repl_cancel_handshake(node, TRUE);
    }
    if (r->state == RC_REPL_STATE_TRANSFER &&
        now_s - r->transfer_lastio_s > node->cfg.repl_timeout_s) {
        rc_outbox_log(node->out, RC_LOG_WARNING,
                      "Timeout receiving bulk data from MASTER... If the problem persists try to "
                      "set the 'repl-timeout' parameter in redis.conf to a larger value.");
        rc_repl_cancel_handshake(node, TRUE);
    }
    if (r->state == RC_REPL_STATE_CONNECTED &&
        now_s - r->master.lastinteraction_s > node->cfg.repl_timeout_s) {
        rc_outbox_log(node->out, RC_LOG_WARNING, "MASTER timeout: no data nor PING received...");
        rc_repl_cache_master(node);
    }
    if (r->state == RC_REPL_STATE_CONNECT) {
        rc_outbox_log(node->out, RC_LOG_NOTICE, "Connecting to MASTER %s:%u", r->masterhost,
                      r->masterport);
        rc_repl_connect_master(node);
    }
    if (r->master.is_set)
        rc_repl_send_ack(node);
}
