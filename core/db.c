/* Key lookups with lazy expiry, and the active expire cycle (db.c, expire.c). */
#include "core/db.h"

#include "core/client.h"
#include "core/replication.h"
#include "core/resp.h"

/* Keys the active cycle may remove per serverCron run. Redis samples the expires dict for
 * at most 25 ms per run; we remove due keys earliest first, which empties the backlog of
 * expired keys at least as fast for any load a simulation produces. */
#define RC_ACTIVE_EXPIRE_KEYS_PER_CRON 10000

RcKeyspace *rc_db(const RcCommandCall *call)
{
    return call->node->db;
}

static gboolean obeys_master(const RcCommandCall *call)
{
    return call->client == NULL || (call->client->flags & RC_CLIENT_MASTER) != 0;
}

static RcArgv *del_argv(GBytes *key)
{
    gsize len;
    const char *d = g_bytes_get_data(key, &len);
    const char *data[2] = {"DEL", d != NULL ? d : ""};
    const gsize lens[2] = {3, len};
    return rc_argv_new_from_slices(2, data, lens);
}

/* expireIfNeeded(): TRUE if the key is logically expired (deleted when allowed). */
static gboolean expire_if_needed(RcCommandCall *call, RcKey *k, gboolean force_delete)
{
    RcNode *node = call->node;
    if (!rc_key_is_expired(k, node->now_ms))
        return FALSE;
    if (rc_repl_is_replica(node)) {
        if (obeys_master(call))
            return FALSE;
        if (!force_delete)
            return TRUE;
    }
    if (rc_clients_are_writes_paused(node))
        return TRUE;
    rc_db_also_propagate(call, del_argv(k->key));
    rc_keyspace_delete_entry(node->db, k);
    rc_keyspace_count_expired(node->db, 1);
    return TRUE;
}

static RcKey *lookup(RcCommandCall *call, int i, gboolean is_write)
{
    rc_assert(i >= 0 && i < call->args->argc);
    const RcArg *key = &call->args->v[i];
    RcKey *k = rc_keyspace_find(call->node->db, key->data, key->len);
    if (k != NULL && expire_if_needed(call, k, is_write))
        return NULL;
    return k;
}

RcKey *rc_db_lookup_read(RcCommandCall *call, int i)
{
    return lookup(call, i, FALSE);
}

RcKey *rc_db_lookup_write(RcCommandCall *call, int i)
{
    return lookup(call, i, TRUE);
}

gboolean rc_db_check_type(RcCommandCall *call, const RcKey *k, RcObjType type)
{
    if (k->val->type == type)
        return TRUE;
    rc_reply_error(call->reply, RC_ERR_WRONGTYPE);
    return FALSE;
}

void rc_db_also_propagate(RcCommandCall *call, RcArgv *args)
{
    if (call->also_propagate == NULL)
        call->also_propagate = g_ptr_array_new_with_free_func((GDestroyNotify)rc_argv_free);
    g_ptr_array_add(call->also_propagate, args);
}

void rc_db_rewrite(RcCommandCall *call, RcArgv *args)
{
    rc_argv_free(call->propagate);
    call->propagate = args;
}

gboolean rc_db_get_ll(RcCommandCall *call, int i, gint64 *v)
{
    gsize len;
    const char *d = rc_argv_data(call->args, i, &len);
    if (rc_string2ll(d, len, v))
        return TRUE;
    rc_reply_error(call->reply, RC_ERR_NOT_INT);
    return FALSE;
}

gboolean rc_db_get_positive(RcCommandCall *call, int i, gint64 *v)
{
    gsize len;
    const char *d = rc_argv_data(call->args, i, &len);
    if (!rc_string2ll(d, len, v) || *v < 0) {
        rc_reply_error(call->reply, "ERR value is out of range, must be positive");
        return FALSE;
    }
    return TRUE;
}

void rc_db_reply_arity(RcCommandCall *call)
{
    rc_reply_errorf(call->reply, "ERR wrong number of arguments for '%s' command", call->cmd->name);
}

void rc_db_active_expire(RcNode *node)
{
    if (rc_repl_is_replica(node) || rc_clients_are_writes_paused(node))
        return;
    GPtrArray *deleted = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    rc_keyspace_expire_cycle(node->db, node->now_ms, RC_ACTIVE_EXPIRE_KEYS_PER_CRON, deleted);
    for (guint i = 0; i < deleted->len; i++) {
        RcArgv *del = del_argv(deleted->pdata[i]);
        rc_repl_propagate(node, del);
        rc_argv_free(del);
    }
    g_ptr_array_unref(deleted);
}
