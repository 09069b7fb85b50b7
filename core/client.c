/* Client connections (networking.c) and command dispatch (server.c processCommand, call;
 * multi.c queueing). See client.h. */
#include "core/client.h"

#include <string.h>

#include "core/commands.h"
#include "core/db.h"
#include "core/replication.h"
#include "core/resp.h"
#include "core/routing.h"

RcClient *rc_client_new(RcNode *node, guint32 handle)
{
    RcClient *c = g_new0(RcClient, 1);
    c->node = node;
    c->handle = handle;
    c->id = ++node->next_client_id;
    c->parser = rc_resp_parser_new(node->cfg.proto_max_bulk_len);
    c->mstate = g_ptr_array_new_with_free_func((GDestroyNotify)rc_argv_free);
    c->obuf = g_string_new(NULL);
    c->last_interaction_ms = node->now_ms;
    g_ptr_array_add(node->clients, c);
    node->stat_numconnections++;
    return c;
}

void rc_client_free(RcClient *client)
{
    if (client == NULL)
        return;
    RcNode *node = client->node;
    if (client->flags & RC_CLIENT_REPLICA)
        rc_repl_replica_gone(node, client);
    g_ptr_array_remove(node->clients, client);
    rc_resp_parser_free(client->parser);
    g_ptr_array_unref(client->mstate);
    rc_argv_free(client->pending);
    g_string_free(client->obuf, TRUE);
    g_free(client);
}

/* Bytes out on the client's connection: none for an internal client, none to our master
 * (Redis never replies to the replication link). */
static void send_out(RcClient *c, const char *data, gsize len)
{
    if (c->handle != 0 && !(c->flags & RC_CLIENT_MASTER))
        rc_node_send(c->node, c->handle, data, len);
}

static void flush_output(RcClient *c)
{
    if (c->obuf->len == 0)
        return;
    send_out(c, c->obuf->str, c->obuf->len);
    g_string_truncate(c->obuf, 0);
}

void rc_client_close(RcClient *client)
{
    if (client->is_processing) {
        client->flags |= RC_CLIENT_CLOSE_AFTER_REPLY; /* the pass closes it */
        return;
    }
    flush_output(client);
    if (client->handle != 0)
        rc_node_conn_close(client->node, client->handle);
    rc_client_free(client);
}

void rc_client_write(RcClient *client, const char *data, gsize len)
{
    if (!client->is_processing && client->obuf->len == 0) {
        /* The stream to a replica, mostly: sent as it is, without a copy into obuf. */
        if (len > 0)
            send_out(client, data, len);
        return;
    }
    g_string_append_len(client->obuf, data, (gssize)len);
    if (!client->is_processing)
        flush_output(client);
}

void rc_client_discard_transaction(RcClient *client)
{
    g_ptr_array_set_size(client->mstate, 0);
    client->mstate_flags = 0;
    client->flags &= ~(RC_CLIENT_MULTI | RC_CLIENT_DIRTY_EXEC);
}

/* ---- call() ---- */

/* What a finished call puts in the replication stream: the DELs of keys it found
 * expired, then itself (rewritten or as received) if it changed the dataset. EXEC is
 * never propagated itself: its commands are, through also_propagate. */
static GPtrArray *call_ops(RcCommandCall *call)
{
    GPtrArray *ops = call->also_propagate;
    call->also_propagate = NULL;
    if (ops == NULL)
        ops = g_ptr_array_new_with_free_func((GDestroyNotify)rc_argv_free);
    if (call->dirty > 0 && call->cmd->proc != rc_cmd_exec) {
        g_ptr_array_add(ops, call->propagate ? call->propagate : rc_argv_copy(call->args));
        call->propagate = NULL;
    }
    rc_argv_free(call->propagate);
    call->propagate = NULL;
    return ops;
}

static void run_proc(RcCommandCall *call)
{
    call->node->stat_numcommands++;
    call->cmd->proc(call);
}

static void propagate_one(RcNode *node, const char *word)
{
    RcArg arg = {word, strlen(word), NULL};
    RcArgv a = {.argc = 1, .v = &arg};
    rc_repl_propagate(node, &a);
}

/* call() for a command already looked up and checked. */
static void call_command(RcNode *node, RcClient *client, const RcCommand *cmd, const RcArgv *args,
                         GString *reply)
{
    RcCommandCall call = {node, client, cmd, args, reply, 0, NULL, NULL};
    run_proc(&call);
    if (call.also_propagate == NULL) {
        /* The common case: nothing or one write, propagated without copies. */
        if (call.dirty > 0 && cmd->proc != rc_cmd_exec)
            rc_repl_propagate(node, call.propagate ? call.propagate : args);
        rc_argv_free(call.propagate);
        return;
    }
    GPtrArray *ops = call_ops(&call);
    /* propagatePendingCommands(): more than one op goes as a transaction. */
    if (ops->len > 1)
        propagate_one(node, "MULTI");
    for (guint i = 0; i < ops->len; i++)
        rc_repl_propagate(node, ops->pdata[i]);
    if (ops->len > 1)
        propagate_one(node, "EXEC");
    g_ptr_array_unref(ops);
}

void rc_client_call(RcNode *node, RcClient *client, const RcArgv *args, GString *reply)
{
    rc_client_call_named(node, client, rc_command_lookup_first(args), args, reply);
}

void rc_client_call_named(RcNode *node, RcClient *client, const RcCommand *named,
                          const RcArgv *args, GString *reply)
{
    const RcCommand *cmd;
    char *err = rc_command_check_named(named, args, &cmd);
    if (err != NULL) {
        rc_reply_error(reply, err);
        g_free(err);
        return;
    }
    call_command(node, client, cmd, args, reply);
}

void rc_client_call_nested(RcCommandCall *parent, const RcArgv *args)
{
    gboolean is_container;
    const RcCommand *cmd = rc_command_lookup_argv(args, &is_container);
    rc_assert(cmd != NULL); /* checked when queued */
    RcCommandCall call = {parent->node, parent->client, cmd, args, parent->reply, 0, NULL, NULL};
    run_proc(&call);
    GPtrArray *ops = call_ops(&call);
    for (guint i = 0; i < ops->len; i++)
        rc_db_also_propagate(parent, ops->pdata[i]);
    g_ptr_array_set_free_func(ops, NULL); /* the parent owns them now */
    g_ptr_array_unref(ops);
}

/* ---- processCommand() ---- */

typedef enum {
    DONE,      /* answered (run, queued or refused) */
    POSTPONED, /* kept in client->pending until the pause ends */
} Outcome;

/* rejectCommand() and rejectCommandFormat() (7.0.15 server.c). A refused command makes a
 * MULTI in progress abort at EXEC (flagTransaction), but a refused EXEC ends the transaction
 * at once (execCommandAbort): it is discarded and the reply quotes why, whether or not a MULTI
 * was open (checked against redis-server 7.0.15: `EXEC x` answers EXECABORT either way).
 * `err` is the reply to any other command; `reason` is the text EXECABORT quotes. */
static void reject_with(RcClient *c, const RcCommand *cmd, const char *err, const char *reason)
{
    if (c->flags & RC_CLIENT_MULTI)
        c->flags |= RC_CLIENT_DIRTY_EXEC;
    if (cmd == NULL || cmd->proc != rc_cmd_exec) {
        rc_reply_error(c->obuf, err);
        return;
    }
    rc_client_discard_transaction(c);
    g_autofree char *abort =
        g_strdup_printf("EXECABORT Transaction discarded because of: %s", reason);
    rc_reply_error(c->obuf, abort);
}

/* rejectCommand(): one of Redis's shared errors, which carry their code (NOREPLICAS,
 * READONLY): EXECABORT quotes it whole. */
static void reject(RcClient *c, const RcCommand *cmd, const char *err)
{
    reject_with(c, cmd, err, err);
}

/* rejectCommandFormat(): Redis formats the text without a code and addReplyErrorSds puts
 * "ERR " in front, so `err` comes with "ERR " and EXECABORT quotes it without. */
static void reject_format(RcClient *c, const RcCommand *cmd, const char *err)
{
    rc_assert(g_str_has_prefix(err, "ERR "));
    reject_with(c, cmd, err, err + strlen("ERR "));
}

static gboolean is_transaction_control(const RcCommand *cmd)
{
    return cmd->proc == rc_cmd_exec || cmd->proc == rc_cmd_discard || cmd->proc == rc_cmd_multi ||
           cmd->proc == rc_cmd_quit;
}

/* `args` is borrowed: a request postponed by a pause is copied into c->pending. */
static Outcome process_command(RcClient *c, const RcArgv *args)
{
    RcNode *node = c->node;
    const RcCommand *cmd;
    g_autofree char *err = rc_command_check(args, &cmd);
    if (err != NULL) {
        reject_format(c, cmd, err);
        return DONE;
    }
    gboolean is_exec = cmd->proc == rc_cmd_exec;
    guint32 queued = is_exec ? c->mstate_flags : 0;
    gboolean is_write = ((cmd->flags | queued) & RC_CMD_WRITE) != 0;
    gboolean is_read = ((cmd->flags | queued) & RC_CMD_READONLY) != 0;
    gboolean may_replicate = ((cmd->flags | queued) & (RC_CMD_WRITE | RC_CMD_MAY_REPLICATE)) != 0;
    gboolean obey = (c->flags & RC_CLIENT_MASTER) != 0;

    if ((c->flags & RC_CLIENT_MULTI) && (cmd->flags & RC_CMD_NO_MULTI)) {
        reject_format(c, cmd, "ERR Command not allowed inside a transaction");
        return DONE;
    }
    gboolean has_keys = cmd->first_key != 0 || (cmd->flags & RC_CMD_MOVABLE_KEYS);
    if (!obey && (has_keys || is_exec) && !rc_routing_allows(node, c, cmd, args, c->obuf)) {
        if (is_exec)
            rc_client_discard_transaction(c);
        else if (c->flags & RC_CLIENT_MULTI)
            c->flags |= RC_CLIENT_DIRTY_EXEC;
        return DONE;
    }
    if (is_write && !rc_repl_min_replicas_ok(node)) {
        reject(c, cmd, "NOREPLICAS Not enough good replicas to write.");
        return DONE;
    }
    if (rc_repl_is_replica(node) && !obey && is_write) {
        reject(c, cmd, "READONLY You can't write against a read only replica.");
        return DONE;
    }
    if ((c->flags & RC_CLIENT_REPLICA) && (may_replicate || is_write || is_read)) {
        reject_format(c, cmd, "ERR Replica can't interact with the keyspace");
        return DONE;
    }
    if (!(c->flags & RC_CLIENT_REPLICA) && node->clients_paused && may_replicate) {
        c->flags |= RC_CLIENT_PAUSED;
        c->pending = rc_argv_copy(args);
        return POSTPONED;
    }
    if ((c->flags & RC_CLIENT_MULTI) && !is_transaction_control(cmd)) {
        /* queueMultiCommand(): a transaction already doomed queues nothing more, so what
         * follows the error neither routes EXEC nor makes it a write: EXEC answers "previous
         * errors", never CROSSSLOT or NOREPLICAS (checked against redis-server 7.0.15). */
        if (!(c->flags & RC_CLIENT_DIRTY_EXEC)) {
            g_ptr_array_add(c->mstate, rc_argv_copy(args));
            c->mstate_flags |= cmd->flags;
        }
        rc_reply_status(c->obuf, "QUEUED");
        return DONE;
    }
    call_command(node, c, cmd, args, c->obuf);
    /* 7.0.15 sets the WAIT offset after every command run, reads included (processCommand:
     * c->woff = server.master_repl_offset): a WAIT after a GET waits for everything
     * streamed so far, other clients' writes and PINGs too. Checked against redis-server
     * 7.0.15 (a replica stopped with SIGSTOP: SET by b, GET by a, a's WAIT 1 300 -> 0). */
    c->woff = rc_repl_offset(node);
    return DONE;
}

/* resetClient(): ASKING lasts one command, unless inside MULTI or just set. */
static void reset_client(RcClient *c, const RcArgv *args)
{
    if (!(c->flags & RC_CLIENT_ASKING))
        return; /* the usual case: nothing to reset */
    gboolean was_asking = args != NULL && args->argc > 0 && rc_argv_is(args, 0, "asking");
    if (!(c->flags & RC_CLIENT_MULTI) && !was_asking)
        c->flags &= ~RC_CLIENT_ASKING;
}

/* processInputBuffer(): run complete requests until the buffer is drained or the client
 * blocks. Returns FALSE if the client was closed (and freed). */
static gboolean process_input(RcClient *c)
{
    c->is_processing = TRUE;
    while (!(c->flags & (RC_CLIENT_BLOCKED | RC_CLIENT_PAUSED | RC_CLIENT_CLOSE_AFTER_REPLY))) {
        const RcArgv *args = NULL; /* the parser's, pointing into its buffer */
        RcRespStatus st = rc_resp_parser_next_view(c->parser, &args);
        if (st == RC_RESP_NEED_MORE)
            break;
        if (st == RC_RESP_ERROR) {
            if (!(c->flags & RC_CLIENT_MASTER))
                rc_reply_error(c->obuf, rc_resp_parser_error(c->parser));
            rc_outbox_log(c->node->out, RC_LOG_VERBOSE,
                          "Protocol error (%s) from client: id=%" G_GUINT64_FORMAT,
                          rc_resp_parser_error(c->parser), c->id);
            c->flags |= RC_CLIENT_CLOSE_AFTER_REPLY;
            break;
        }
        if (args->argc > 0 && process_command(c, args) == POSTPONED)
            break; /* a copy of args kept in c->pending */
        reset_client(c, args);
    }
    rc_resp_parser_compact(c->parser);
    flush_output(c);
    c->is_processing = FALSE;
    if (c->flags & RC_CLIENT_CLOSE_AFTER_REPLY) {
        rc_client_close(c);
        return FALSE;
    }
    return TRUE;
}

void rc_client_process_input(RcClient *client)
{
    if (!client->is_processing)
        process_input(client);
}

void rc_client_recv(RcClient *client, const guint8 *data, gsize len)
{
    RcNode *node = client->node;
    client->last_interaction_ms = node->now_ms;
    /* Redis reads at most PROTO_IOBUF_LEN per read and parses after each read; slicing the
     * same way keeps its limits (64 KiB inline) firing at the same points. */
    while (len > 0) {
        gsize n = MIN(len, (gsize)RC_PROTO_IOBUF_LEN);
        rc_resp_parser_feed(client->parser, data, n);
        data += n;
        len -= n;
        if (!(client->flags & RC_CLIENT_MASTER) &&
            (gint64)rc_resp_parser_pending(client->parser) > node->cfg.client_query_buffer_limit) {
            rc_outbox_log(
                node->out, RC_LOG_WARNING,
                "Closing client that reached max query buffer length: id=%" G_GUINT64_FORMAT,
                client->id);
            rc_client_close(client);
            return;
        }
        if (!process_input(client))
            return;
    }
}

/* ---- Client pause (pauseClients / unpauseClients) ---- */

void rc_clients_pause_writes(RcNode *node, gint64 end_ms)
{
    node->clients_paused = TRUE;
    node->clients_pause_end_ms = end_ms;
}

void rc_clients_unpause(RcNode *node)
{
    if (!node->clients_paused)
        return;
    node->clients_paused = FALSE;
    node->clients_unpause_pending = TRUE;
}

gboolean rc_clients_are_writes_paused(const RcNode *node)
{
    return node->clients_paused;
}

void rc_clients_cron(RcNode *node)
{
    if (node->clients_paused && node->clients_pause_end_ms < node->now_ms)
        rc_clients_unpause(node);
}

void rc_clients_before_sleep(RcNode *node)
{
    if (!node->clients_unpause_pending)
        return;
    node->clients_unpause_pending = FALSE;
    /* A resumed client may close or accept nothing new; walk a snapshot by client id. */
    GPtrArray *resume = g_ptr_array_new();
    for (guint i = 0; i < node->clients->len; i++) {
        RcClient *c = node->clients->pdata[i];
        if (c->flags & RC_CLIENT_PAUSED)
            g_ptr_array_add(resume, c);
    }
    for (guint i = 0; i < resume->len && !node->clients_paused; i++) {
        RcClient *c = resume->pdata[i];
        RcArgv *args = c->pending;
        c->pending = NULL;
        c->flags &= ~RC_CLIENT_PAUSED;
        c->is_processing = TRUE;
        Outcome o = process_command(c, args);
        c->is_processing = FALSE;
        if (o == POSTPONED) {
            rc_argv_free(args); /* c->pending has a copy */
            continue;
        }
        reset_client(c, args);
        rc_argv_free(args);
        process_input(c);
    }
    g_ptr_array_unref(resume);
}
