/* Moving keys between nodes: RESTORE / RESTORE-ASKING (Redis 7.0 cluster.c restoreCommand)
 * and MIGRATE (migrateCommand, migrateGetSocket, migrateCloseTimedoutSockets).
 *
 * RESTORE recreates one key from a dump payload (the keyspace module's per-key format,
 * rc_object_dump). RESTORE-ASKING is the same command flagged `asking`, so an importing node
 * accepts it without a prior ASKING; MIGRATE sends it in cluster mode. */
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/client.h"
#include "core/failover.h"
#include "core/keyspace.h"
#include "core/replication.h"

/* checkAlreadyExpired: a master drops a key whose absolute time has passed; a replica never
 * decides that on its own. */
static gboolean already_expired(RcNode *node, gint64 when_ms)
{
    return when_ms <= node->now_ms && !rc_repl_is_replica(node);
}

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]. IDLETIME and FREQ are
 * validated as Redis does; rcsim keeps no LRU/LFU data, so they change nothing else. */
void rc_restore_command(RcCommandCall *call)
{
    RcNode *node = call->node;
    const RcArgv *a = call->args;
    gboolean replace = FALSE, absttl = FALSE, has_idle = FALSE, has_freq = FALSE;

    for (int j = 4; j < a->argc; j++) {
        int additional = a->argc - j - 1;
        if (rc_argv_is(a, j, "replace")) {
            replace = TRUE;
        } else if (rc_argv_is(a, j, "absttl")) {
            absttl = TRUE;
        } else if (rc_argv_is(a, j, "idletime") && additional >= 1 && !has_freq) {
            gint64 idle;
            if (!rc_db_get_ll(call, j + 1, &idle))
                return;
            if (idle < 0) {
                g_string_append(call->reply, "-ERR Invalid IDLETIME value, must be >= 0\r\n");
                return;
            }
            has_idle = TRUE;
            j++;
        } else if (rc_argv_is(a, j, "freq") && additional >= 1 && !has_idle) {
            gint64 freq;
            if (!rc_db_get_ll(call, j + 1, &freq))
                return;
            if (freq < 0 || freq > 255) {
                g_string_append(call->reply,
                                "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n");
                return;
            }
            has_freq = TRUE;
            j++;
        } else {
            g_string_append(call->reply, "-ERR syntax error\r\n");
            return;
        }
    }

    if (!replace && rc_db_lookup_write(call, 1) != NULL) {
        g_string_append(call->reply, "-BUSYKEY Target key name already exists.\r\n");
        return;
    }
    gint64 ttl;
    if (!rc_db_get_ll(call, 2, &ttl))
        return;
    if (ttl < 0) {
        g_string_append(call->reply, "-ERR Invalid TTL value, must be >= 0\r\n");
        return;
    }
    gsize plen;
    const char *payload = rc_argv_data(a, 3, &plen);
    g_autoptr(GError) error = NULL;
    RcObject *obj = rc_object_restore(payload, plen, &error);
    if (obj == NULL) {
        g_string_append(call->reply, "-ERR DUMP payload version or checksum are wrong\r\n");
        return;
    }

    gsize klen;
    const char *kdata = rc_argv_data(a, 1, &klen);
    gboolean deleted = FALSE;
    if (replace)
        deleted = rc_keyspace_delete(node->db, kdata, klen);

    if (ttl != 0 && !absttl)
        ttl += node->now_ms;
    if (ttl != 0 && already_expired(node, ttl)) {
        if (deleted) {
            const char *data[2] = {"DEL", kdata};
            const gsize lens[2] = {3, klen};
            rc_db_rewrite(call, rc_argv_new_from_slices(2, data, lens));
            call->dirty++;
        }
        rc_object_free(obj);
        g_string_append(call->reply, "+OK\r\n");
        return;
    }

    RcKey *stale = rc_keyspace_find(node->db, kdata, klen); /* expired, hidden on a replica */
    if (stale != NULL)
        rc_keyspace_delete_entry(node->db, stale);
    RcKey *k = rc_keyspace_add(node->db, rc_argv_bytes(a, 1), obj);
    if (ttl != 0) {
        rc_keyspace_set_expire(node->db, k, ttl);
        if (!absttl) {
            /* Replicas get the absolute time, so they expire it at the same instant. */
            int argc = a->argc + 1;
            g_autofree const char **data = g_new(const char *, argc);
            g_autofree gsize *lens = g_new(gsize, argc);
            for (int i = 0; i < a->argc; i++)
                data[i] = rc_argv_data(a, i, &lens[i]);
            char buf[32];
            data[2] = buf;
            lens[2] = (gsize)g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, ttl);
            data[argc - 1] = "ABSTTL";
            lens[argc - 1] = 6;
            rc_db_rewrite(call, rc_argv_new_from_slices(argc, data, lens));
        }
    }
    g_string_append(call->reply, "+OK\r\n");
    call->dirty++;
}

/* ---- MIGRATE ------------------------------------------------------------------------------
 *
 * Redis runs MIGRATE synchronously: it connects, writes and reads with blocking calls, so
 * the whole server stands still until the target answered (or the timeout hit), and no
 * other client can touch the keys in between. A sans-I/O node cannot block, so the calling
 * client is blocked instead (RC_CLIENT_BLOCKED, as WAIT does) and writes are paused on the
 * node until the answer (rc_clients_pause_writes): a write to a key being moved waits, then
 * finds the key gone and is redirected with ASK, as in Redis. Reads go on meanwhile.
 * Timeouts are checked from cron (100 ms granularity). Connections are cached per
 * "host:port" and closed after 10 s unused, as migrateGetSocket does. */

#define RC_MIGRATE_SOCKET_CACHE_ITEMS 64
#define RC_MIGRATE_SOCKET_CACHE_TTL_S 10

typedef struct RcMigrateOp RcMigrateOp;

struct RcMigrateConn {
    char *name; /* "host:port" as the client gave it */
    char *host;
    guint16 port;
    guint32 handle; /* RC_CONN_MIGRATE connection */
    gboolean is_connected;
    gint64 last_dbid; /* -1: SELECT needed */
    gint64 last_use_s;
    GString *rbuf;   /* reply bytes not yet split into lines */
    RcMigrateOp *op; /* the MIGRATE in flight on it, or NULL */
};

struct RcMigrateOp {
    guint64 client_id; /* the blocked client (looked up by id: it may be gone) */
    char *host_arg, *port_arg;
    GPtrArray *keys; /* GBytes*: keys sent, in order */
    GBytes *cmd;     /* the RESP sent (kept for the one retry) */
    gboolean copy;
    gboolean select; /* a SELECT precedes the RESTOREs */
    gboolean select_read;
    gint64 dbid;
    gint64 timeout_ms;
    gint64 deadline_ms;
    guint replies; /* RESTORE replies read */
    gboolean error_from_target;
    GString *error;     /* the error reply, if any */
    GPtrArray *deleted; /* GBytes*: keys acknowledged and deleted here */
    gboolean may_retry;
    RcMigrateConn *conn;
};

typedef struct {
    GPtrArray *conns; /* RcMigrateConn*, in creation order */
} RcMigrateState;

static RcMigrateState *migrate_state(RcNode *node)
{
    RcCluster *c = node->cluster;
    if (c->migrate == NULL) {
        RcMigrateState *s = g_new0(RcMigrateState, 1);
        s->conns = g_ptr_array_new();
        c->migrate = s;
    }
    return c->migrate;
}

static void op_free(RcMigrateOp *op)
{
    g_free(op->host_arg);
    g_free(op->port_arg);
    g_ptr_array_unref(op->keys);
    if (op->cmd)
        g_bytes_unref(op->cmd);
    if (op->error)
        g_string_free(op->error, TRUE);
    g_ptr_array_unref(op->deleted);
    g_free(op);
}

static void conn_free(RcMigrateConn *mc)
{
    g_free(mc->name);
    g_free(mc->host);
    g_string_free(mc->rbuf, TRUE);
    g_free(mc);
}

/* migrateCloseSocket: forget a cached connection and close it. */
static void close_conn(RcNode *node, RcMigrateConn *mc, gboolean close_handle)
{
    RcMigrateState *s = migrate_state(node);
    g_ptr_array_remove(s->conns, mc);
    if (close_handle && node->out != NULL)
        rc_node_conn_close(node, mc->handle); /* else the node forgets the handle itself */
    if (mc->op != NULL)
        mc->op->conn = NULL;
    conn_free(mc);
}

void rc_migrate_state_free(RcCluster *c)
{
    RcMigrateState *s = c->migrate;
    if (s == NULL)
        return;
    for (guint i = 0; i < s->conns->len; i++) {
        RcMigrateConn *mc = g_ptr_array_index(s->conns, i);
        if (mc->op)
            op_free(mc->op);
        conn_free(mc);
    }
    g_ptr_array_unref(s->conns);
    g_free(s);
    c->migrate = NULL;
}

static RcClient *client_by_id(RcNode *node, guint64 id)
{
    for (guint i = 0; i < node->clients->len; i++) {
        RcClient *cl = g_ptr_array_index(node->clients, i);
        if (cl->id == id)
            return cl;
    }
    return NULL;
}

static gboolean any_op_in_flight(RcNode *node)
{
    RcMigrateState *s = migrate_state(node);
    for (guint i = 0; i < s->conns->len; i++)
        if (((RcMigrateConn *)g_ptr_array_index(s->conns, i))->op != NULL)
            return TRUE;
    return FALSE;
}

/* The MIGRATE is over: propagate the DEL of what moved, answer and wake the client. */
static void op_finish(RcNode *node, RcMigrateOp *op, const char *reply)
{
    if (op->deleted->len > 0) {
        g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        g_ptr_array_add(items, g_bytes_new_static("DEL", 3));
        for (guint i = 0; i < op->deleted->len; i++)
            g_ptr_array_add(items, g_bytes_ref(g_ptr_array_index(op->deleted, i)));
        RcArgv *del = rc_argv_new_from_bytes((int)items->len, (GBytes *const *)items->pdata);
        rc_repl_propagate(node, del);
        rc_argv_free(del);
    }
    if (op->conn != NULL)
        op->conn->op = NULL;
    RcClient *cl = client_by_id(node, op->client_id);
    guint64 id = op->client_id;
    if (cl != NULL) {
        cl->flags &= ~RC_CLIENT_BLOCKED;
        rc_client_write(cl, reply, strlen(reply));
    }
    op_free(op);
    /* Unpause unless a manual failover of mine still wants writes held. */
    if (!any_op_in_flight(node) && node->cluster->mf_slave == NULL)
        rc_clients_unpause(node);
    cl = client_by_id(node, id);
    if (cl != NULL)
        rc_client_process_input(cl);
}

static void op_send(RcNode *node, RcMigrateOp *op)
{
    gsize len;
    const void *data = g_bytes_get_data(op->cmd, &len);
    rc_node_send(node, op->conn->handle, data, len);
    op->deadline_ms = node->now_ms + op->timeout_ms;
}

static RcMigrateConn *get_conn(RcNode *node, const char *host, const char *port_text)
{
    RcMigrateState *s = migrate_state(node);
    g_autofree char *name = g_strdup_printf("%s:%s", host, port_text);
    for (guint i = 0; i < s->conns->len; i++) {
        RcMigrateConn *mc = g_ptr_array_index(s->conns, i);
        if (strcmp(mc->name, name) == 0) {
            mc->last_use_s = node->now_ms / 1000;
            return mc;
        }
    }
    if (s->conns->len == RC_MIGRATE_SOCKET_CACHE_ITEMS) {
        /* Redis drops a random cached connection; the oldest idle one is ours. */
        for (guint i = 0; i < s->conns->len; i++) {
            RcMigrateConn *old = g_ptr_array_index(s->conns, i);
            if (old->op == NULL) {
                close_conn(node, old, TRUE);
                break;
            }
        }
    }
    RcMigrateConn *mc = g_new0(RcMigrateConn, 1);
    mc->name = g_steal_pointer(&name);
    mc->host = g_strdup(host);
    mc->port = (guint16)atoi(port_text);
    mc->last_dbid = -1;
    mc->last_use_s = node->now_ms / 1000;
    mc->rbuf = g_string_new("");
    mc->handle = rc_node_conn_open(node, RC_CONN_MIGRATE, mc, host, mc->port);
    g_ptr_array_add(s->conns, mc);
    return mc;
}

static void append_bulk(GString *s, const void *data, gsize len)
{
    g_string_append_printf(s, "$%" G_GSIZE_FORMAT "\r\n", len);
    g_string_append_len(s, data, (gssize)len);
    g_string_append(s, "\r\n");
}

static void append_bulk_ll(GString *s, gint64 v)
{
    char buf[32];
    int n = g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, v);
    append_bulk(s, buf, (gsize)n);
}

/* Build the SELECT + RESTORE-ASKING stream for the keys still present; FALSE if none. */
static void build_cmd(RcNode *node, RcMigrateOp *op, GPtrArray *objs, gboolean replace)
{
    GString *cmd = g_string_new("");
    op->select = op->conn->last_dbid != op->dbid;
    if (op->select) {
        g_string_append(cmd, "*2\r\n");
        append_bulk(cmd, "SELECT", 6);
        append_bulk_ll(cmd, op->dbid);
    }
    for (guint j = 0; j < op->keys->len; j++) {
        GBytes *key = g_ptr_array_index(op->keys, j);
        RcKey *k = g_ptr_array_index(objs, j);
        gint64 ttl = 0;
        if (k->expire_ms != -1) {
            ttl = MAX(k->expire_ms - node->now_ms, 1);
        }
        g_string_append(cmd, replace ? "*5\r\n" : "*4\r\n");
        append_bulk(cmd, "RESTORE-ASKING", 14);
        gsize klen;
        const void *kd = g_bytes_get_data(key, &klen);
        append_bulk(cmd, kd, klen);
        append_bulk_ll(cmd, ttl);
        g_autoptr(GBytes) payload = rc_object_dump(k->val);
        gsize plen;
        const void *pd = g_bytes_get_data(payload, &plen);
        append_bulk(cmd, pd, plen);
        if (replace)
            append_bulk(cmd, "REPLACE", 7);
    }
    op->cmd = g_string_free_to_bytes(cmd);
}

/* migrateGetKeys: the key arguments, for routing (argv[3], or what follows KEYS). */
void rc_migrate_get_keys(const RcArgv *args, GArray *keys)
{
    static const struct {
        const char *name;
        int skip;
    } skip[] = {{"copy", 0}, {"replace", 0}, {"auth", 1}, {"auth2", 2}};
    int first = 3, num = 1;
    for (int i = 6; i < args->argc; i++) {
        if (rc_argv_is(args, i, "keys")) {
            gsize len;
            rc_argv_data(args, 3, &len);
            if (len > 0) {
                num = 0;
            } else {
                first = i + 1;
                num = args->argc - first;
            }
            break;
        }
        for (gsize j = 0; j < G_N_ELEMENTS(skip); j++) {
            if (rc_argv_is(args, i, skip[j].name)) {
                i += skip[j].skip;
                break;
            }
        }
    }
    for (int i = 0; i < num && first + i < args->argc; i++) {
        int idx = first + i;
        g_array_append_val(keys, idx);
    }
}

/* MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH pw]
 * [AUTH2 user pw] [KEYS key...] */
void rc_migrate_command(RcCommandCall *call)
{
    RcNode *node = call->node;
    const RcArgv *a = call->args;
    gboolean copy = FALSE, replace = FALSE, has_auth = FALSE;
    int first_key = 3, num_keys = 1;

    for (int j = 6; j < a->argc; j++) {
        int moreargs = a->argc - 1 - j;
        if (rc_argv_is(a, j, "copy")) {
            copy = TRUE;
        } else if (rc_argv_is(a, j, "replace")) {
            replace = TRUE;
        } else if (rc_argv_is(a, j, "auth")) {
            if (moreargs < 1) {
                g_string_append(call->reply, "-ERR syntax error\r\n");
                return;
            }
            has_auth = TRUE;
            j++;
        } else if (rc_argv_is(a, j, "auth2")) {
            if (moreargs < 2) {
                g_string_append(call->reply, "-ERR syntax error\r\n");
                return;
            }
            has_auth = TRUE;
            j += 2;
        } else if (rc_argv_is(a, j, "keys")) {
            gsize len;
            rc_argv_data(a, 3, &len);
            if (len != 0) {
                g_string_append(call->reply, "-ERR When using MIGRATE KEYS option, the key "
                                             "argument must be set to the empty string\r\n");
                return;
            }
            first_key = j + 1;
            num_keys = a->argc - j - 1;
            break;
        } else {
            g_string_append(call->reply, "-ERR syntax error\r\n");
            return;
        }
    }
    gint64 timeout, dbid;
    if (!rc_db_get_ll(call, 5, &timeout) || !rc_db_get_ll(call, 4, &dbid))
        return;
    if (timeout <= 0)
        timeout = 1000;
    if (has_auth) {
        /* rcsim nodes have no passwords: the target would refuse AUTH. */
        g_string_append(call->reply, "-ERR Target instance replied with error: ERR AUTH <password> "
                                     "called without any password configured for the default "
                                     "user. Are you sure your configuration is correct?\r\n");
        return;
    }

    GPtrArray *keys = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    g_autoptr(GPtrArray) objs = g_ptr_array_new();
    for (int j = 0; j < num_keys; j++) {
        RcKey *k = rc_db_lookup_read(call, first_key + j);
        if (k != NULL) {
            g_ptr_array_add(keys, g_bytes_ref(rc_argv_bytes(a, first_key + j)));
            g_ptr_array_add(objs, k);
        }
    }
    if (keys->len == 0) {
        g_ptr_array_unref(keys);
        g_string_append(call->reply, "+NOKEY\r\n");
        return;
    }

    gsize hlen, plen;
    const char *hd = rc_argv_data(a, 1, &hlen);
    const char *pd = rc_argv_data(a, 2, &plen);
    RcMigrateOp *op = g_new0(RcMigrateOp, 1);
    op->client_id = call->client != NULL ? call->client->id : 0;
    op->host_arg = g_strndup(hd, hlen);
    op->port_arg = g_strndup(pd, plen);
    op->keys = keys;
    op->copy = copy;
    op->dbid = dbid;
    op->timeout_ms = timeout;
    op->deleted = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    op->may_retry = TRUE;
    gint64 port = g_ascii_strtoll(op->port_arg, NULL, 10);
    /* Inside EXEC the transaction's reply is being built in one go: a MIGRATE there cannot
     * wait for its target (Redis blocks the server instead). rcsim refuses it. */
    gboolean in_exec = call->client != NULL && (call->client->flags & RC_CLIENT_MULTI);
    if (in_exec) {
        op_free(op);
        g_string_append(call->reply, "-IOERR error or timeout writing to target instance\r\n");
        return;
    }
    if (port <= 0 || port > 65535 || call->client == NULL) {
        op_free(op);
        g_string_append(call->reply, "-IOERR error or timeout connecting to the client\r\n");
        return;
    }
    RcMigrateConn *mc = get_conn(node, op->host_arg, op->port_arg);
    if (mc->op != NULL) {
        /* Only one MIGRATE at a time uses a connection (Redis is blocked during one). */
        op_free(op);
        g_string_append(call->reply, "-IOERR error or timeout writing to target instance\r\n");
        return;
    }
    op->conn = mc;
    mc->op = op;
    build_cmd(node, op, objs, replace);
    op_send(node, op);
    call->client->flags |= RC_CLIENT_BLOCKED;
    gint64 pause_end_ms = op->deadline_ms + op->timeout_ms;
    if (!rc_clients_are_writes_paused(node) || node->clients_pause_end_ms < pause_end_ms)
        rc_clients_pause_writes(node, pause_end_ms);
}

/* A socket error or a timeout. A connection that never came up answers as
 * migrateGetSocket does; otherwise retry once on a fresh connection when nothing was read
 * yet and it was not a timeout, else answer -IOERR. */
static void op_socket_error(RcNode *node, RcMigrateOp *op, gboolean timed_out,
                            gboolean close_handle)
{
    RcMigrateConn *mc = op->conn;
    gboolean was_connected = mc != NULL && mc->is_connected;
    if (mc != NULL)
        close_conn(node, mc, close_handle);
    op->conn = NULL;
    if (!was_connected) {
        op_finish(node, op, "-IOERR error or timeout connecting to the client\r\n");
        return;
    }
    if (!timed_out && op->may_retry && op->replies == 0 && !op->select_read) {
        op->may_retry = FALSE;
        RcMigrateConn *fresh = get_conn(node, op->host_arg, op->port_arg);
        fresh->op = op;
        op->conn = fresh;
        /* A new connection needs its SELECT again: put it in front of the RESTOREs. */
        if (!op->select) {
            GString *cmd = g_string_new("*2\r\n");
            append_bulk(cmd, "SELECT", 6);
            append_bulk_ll(cmd, op->dbid);
            gsize len;
            const void *d = g_bytes_get_data(op->cmd, &len);
            g_string_append_len(cmd, d, (gssize)len);
            g_bytes_unref(op->cmd);
            op->cmd = g_string_free_to_bytes(cmd);
            op->select = TRUE;
        }
        op_send(node, op);
        return;
    }
    if (op->error_from_target) {
        op_finish(node, op, op->error->str);
        return;
    }
    op_finish(node, op, "-IOERR error or timeout reading to target instance\r\n");
}

/* One reply line from the target. */
static void op_line(RcNode *node, RcMigrateOp *op, const char *line)
{
    RcMigrateConn *mc = op->conn;
    op->deadline_ms = node->now_ms + op->timeout_ms;
    if (op->select && !op->select_read) {
        op->select_read = TRUE;
        if (line[0] == '-' && !op->error_from_target) {
            op->error_from_target = TRUE;
            mc->last_dbid = -1;
            op->error = g_string_new("");
            g_string_append_printf(op->error, "-ERR Target instance replied with error: %s\r\n",
                                   line + 1);
        }
        return;
    }
    guint j = op->replies++;
    if (line[0] == '-' || op->error_from_target) {
        if (!op->error_from_target) {
            op->error_from_target = TRUE;
            mc->last_dbid = -1;
            op->error = g_string_new("");
            g_string_append_printf(op->error, "-ERR Target instance replied with error: %s\r\n",
                                   line + 1);
        }
    } else if (!op->copy) {
        GBytes *key = g_ptr_array_index(op->keys, j);
        gsize klen;
        const void *kd = g_bytes_get_data(key, &klen);
        rc_keyspace_delete(node->db, kd, klen);
        g_ptr_array_add(op->deleted, g_bytes_ref(key));
    }
    if (op->replies == op->keys->len) {
        if (op->error_from_target) {
            op_finish(node, op, op->error->str);
        } else {
            mc->last_dbid = op->dbid;
            op_finish(node, op, "+OK\r\n");
        }
    }
}

static RcMigrateConn *conn_of(RcConn *conn)
{
    return conn->owner;
}

void rc_migrate_conn_connected(RcNode *node, RcConn *conn)
{
    (void)node;
    conn_of(conn)->is_connected = TRUE;
}

void rc_migrate_conn_recv(RcNode *node, RcConn *conn, const guint8 *data, gsize len)
{
    RcMigrateConn *mc = conn_of(conn);
    g_string_append_len(mc->rbuf, (const char *)data, (gssize)len);
    for (;;) {
        char *nl = memchr(mc->rbuf->str, '\n', mc->rbuf->len);
        if (nl == NULL)
            break;
        gsize n = (gsize)(nl - mc->rbuf->str);
        g_autofree char *line = g_strndup(mc->rbuf->str, n);
        if (n > 0 && line[n - 1] == '\r')
            line[n - 1] = '\0';
        g_string_erase(mc->rbuf, 0, (gssize)(n + 1));
        if (mc->op == NULL)
            continue; /* nobody asked: stray bytes, ignored as a blocking read would */
        RcMigrateConn *keep = mc;
        op_line(node, mc->op, line);
        if (keep->op == NULL && !g_ptr_array_find(migrate_state(node)->conns, keep, NULL))
            return; /* the connection went away while finishing */
    }
}

void rc_migrate_conn_closed(RcNode *node, RcConn *conn)
{
    RcMigrateConn *mc = conn_of(conn);
    if (mc->op != NULL)
        op_socket_error(node, mc->op, FALSE, FALSE);
    else
        close_conn(node, mc, FALSE);
}

/* From serverCron: MIGRATE timeouts, and cached connections unused for 10 s. */
void rc_migrate_cron(RcNode *node)
{
    RcCluster *c = node->cluster;
    if (c == NULL || c->migrate == NULL)
        return;
    RcMigrateState *s = c->migrate;
    guint i = 0;
    while (i < s->conns->len) {
        RcMigrateConn *mc = g_ptr_array_index(s->conns, i);
        if (mc->op != NULL && node->now_ms > mc->op->deadline_ms) {
            op_socket_error(node, mc->op, TRUE, TRUE);
            i = 0; /* the table changed */
            continue;
        }
        if (mc->op == NULL &&
            node->now_ms / 1000 - mc->last_use_s > RC_MIGRATE_SOCKET_CACHE_TTL_S) {
            close_conn(node, mc, TRUE);
            continue;
        }
        i++;
    }
}
