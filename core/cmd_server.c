/* Server and connection commands: PING, ECHO, TIME, DBSIZE, FLUSHALL, INFO, SELECT, QUIT,
 * MULTI/EXEC/DISCARD (multi.c), ASKING, READONLY, READWRITE (cluster.c). */
#include <string.h>

#include "core/client.h"
#include "core/commands.h"
#include "core/db.h"
#include "core/replication.h"
#include "core/resp.h"

void rc_cmd_ping(RcCommandCall *call)
{
    if (call->args->argc > 2) {
        rc_db_reply_arity(call);
        return;
    }
    if (call->args->argc == 1)
        rc_reply_status(call->reply, "PONG");
    else
        rc_reply_bulk_arg(call->reply, call->args, 1);
}

void rc_cmd_echo(RcCommandCall *call)
{
    rc_reply_bulk_arg(call->reply, call->args, 1);
}

/* TIME: the node's own clock (seconds, microseconds), as the tools that time a cluster from
 * outside read it (`pong-recv` in CLUSTER NODES is on the same clock). */
void rc_cmd_time(RcCommandCall *call)
{
    RcTime now = call->node->now_us;
    rc_reply_array(call->reply, 2);
    rc_reply_bulk_ll(call->reply, now / RC_US_PER_S);
    rc_reply_bulk_ll(call->reply, now % RC_US_PER_S);
}

void rc_cmd_dbsize(RcCommandCall *call)
{
    rc_reply_int(call->reply, (gint64)rc_keyspace_size(rc_db(call)));
}

void rc_cmd_flushall(RcCommandCall *call)
{
    if (call->args->argc > 2 || (call->args->argc == 2 && !rc_argv_is(call->args, 1, "sync") &&
                                 !rc_argv_is(call->args, 1, "async"))) {
        rc_reply_error(call->reply, RC_ERR_SYNTAX);
        return;
    }
    rc_keyspace_flush(rc_db(call));
    call->dirty++; /* FLUSHALL is always propagated */
    rc_reply_ok(call->reply);
}

static gboolean info_wants(const RcArgv *a, const char *section, gboolean is_default)
{
    if (a->argc == 1)
        return is_default;
    for (int i = 1; i < a->argc; i++)
        if (rc_argv_is(a, i, section) || rc_argv_is(a, i, "all") ||
            rc_argv_is(a, i, "everything") || (is_default && rc_argv_is(a, i, "default")))
            return TRUE;
    return FALSE;
}

static void info_section_start(GString *s, int *sections)
{
    if ((*sections)++)
        g_string_append(s, "\r\n");
}

void rc_cmd_info(RcCommandCall *call)
{
    RcNode *node = call->node;
    GString *s = g_string_new(NULL);
    int sections = 0;
    gint64 uptime_s = (node->now_us - node->boot_us) / RC_US_PER_S;
    if (info_wants(call->args, "server", TRUE)) {
        info_section_start(s, &sections);
        g_string_append_printf(s,
                               "# Server\r\nredis_version:7.0.15\r\nredis_mode:cluster\r\n"
                               "tcp_port:%u\r\nuptime_in_seconds:%" G_GINT64_FORMAT
                               "\r\nuptime_in_days:%" G_GINT64_FORMAT "\r\nhz:%u\r\n",
                               node->cfg.port, uptime_s, uptime_s / 86400, node->cfg.hz);
    }
    if (info_wants(call->args, "clients", TRUE)) {
        info_section_start(s, &sections);
        g_string_append_printf(s, "# Clients\r\nconnected_clients:%u\r\n", node->clients->len);
    }
    if (info_wants(call->args, "stats", TRUE)) {
        info_section_start(s, &sections);
        g_string_append_printf(s,
                               "# Stats\r\ntotal_connections_received:%" G_GUINT64_FORMAT
                               "\r\ntotal_commands_processed:%" G_GUINT64_FORMAT
                               "\r\nexpired_keys:%" G_GUINT64_FORMAT "\r\n",
                               node->stat_numconnections, node->stat_numcommands,
                               rc_keyspace_expired_total(node->db));
    }
    if (info_wants(call->args, "replication", TRUE)) {
        info_section_start(s, &sections);
        rc_repl_info(node, s);
    }
    if (info_wants(call->args, "cluster", TRUE)) {
        info_section_start(s, &sections);
        g_string_append(s, "# Cluster\r\ncluster_enabled:1\r\n");
    }
    if (info_wants(call->args, "keyspace", TRUE)) {
        info_section_start(s, &sections);
        g_string_append(s, "# Keyspace\r\n");
        guint64 keys = rc_keyspace_size(node->db);
        if (keys > 0)
            g_string_append_printf(s,
                                   "db0:keys=%" G_GUINT64_FORMAT ",expires=%" G_GUINT64_FORMAT
                                   ",avg_ttl=%" G_GINT64_FORMAT "\r\n",
                                   keys, rc_keyspace_expires(node->db),
                                   rc_keyspace_avg_ttl(node->db, node->now_ms));
    }
    rc_reply_bulk(call->reply, s->str, s->len);
    g_string_free(s, TRUE);
}

void rc_cmd_select(RcCommandCall *call)
{
    gint64 id;
    gsize len;
    const char *d = rc_argv_data(call->args, 1, &len);
    if (!rc_string2ll(d, len, &id)) {
        rc_reply_error(call->reply, RC_ERR_NOT_INT);
        return;
    }
    if (id < G_MININT32 || id > G_MAXINT32) {
        rc_reply_error(call->reply,
                       "ERR value is out of range, value must between -2147483648 and 2147483647");
        return;
    }
    if (id != 0) {
        rc_reply_error(call->reply, "ERR SELECT is not allowed in cluster mode");
        return;
    }
    rc_reply_ok(call->reply);
}

void rc_cmd_quit(RcCommandCall *call)
{
    rc_reply_ok(call->reply);
    if (call->client != NULL)
        call->client->flags |= RC_CLIENT_CLOSE_AFTER_REPLY;
}

void rc_cmd_multi(RcCommandCall *call)
{
    RcClient *c = call->client;
    if (c == NULL || (c->flags & RC_CLIENT_MULTI)) {
        rc_reply_error(call->reply, "ERR MULTI calls can not be nested");
        return;
    }
    c->flags |= RC_CLIENT_MULTI;
    rc_reply_ok(call->reply);
}

void rc_cmd_discard(RcCommandCall *call)
{
    RcClient *c = call->client;
    if (c == NULL || !(c->flags & RC_CLIENT_MULTI)) {
        rc_reply_error(call->reply, "ERR DISCARD without MULTI");
        return;
    }
    rc_client_discard_transaction(c);
    rc_reply_ok(call->reply);
}

void rc_cmd_exec(RcCommandCall *call)
{
    RcClient *c = call->client;
    if (c == NULL || !(c->flags & RC_CLIENT_MULTI)) {
        rc_reply_error(call->reply, "ERR EXEC without MULTI");
        return;
    }
    if (c->flags & RC_CLIENT_DIRTY_EXEC) {
        rc_reply_error(call->reply, "EXECABORT Transaction discarded because of previous errors.");
        rc_client_discard_transaction(c);
        return;
    }
    rc_reply_array(call->reply, c->mstate->len);
    for (guint j = 0; j < c->mstate->len; j++)
        rc_client_call_nested(call, c->mstate->pdata[j]);
    rc_client_discard_transaction(c);
}

void rc_cmd_asking(RcCommandCall *call)
{
    if (call->client != NULL)
        call->client->flags |= RC_CLIENT_ASKING;
    rc_reply_ok(call->reply);
}

void rc_cmd_readonly(RcCommandCall *call)
{
    if (call->client != NULL)
        call->client->flags |= RC_CLIENT_READONLY;
    rc_reply_ok(call->reply);
}

void rc_cmd_readwrite(RcCommandCall *call)
{
    if (call->client != NULL)
        call->client->flags &= ~RC_CLIENT_READONLY;
    rc_reply_ok(call->reply);
}
