/* Generic key commands (db.c, expire.c): DEL, EXISTS, TYPE, EXPIRE family, TTL, PERSIST. */
#include <string.h>

#include "core/cluster_types.h"
#include "core/commands.h"
#include "core/db.h"
#include "core/keyslot.h"
#include "core/replication.h"
#include "core/resp.h"

void rc_cmd_del(RcCommandCall *call)
{
    gint64 deleted = 0;
    for (int j = 1; j < call->args->argc; j++) {
        rc_db_lookup_read(call, j); /* expireIfNeeded(db, key, 0) */
        gsize len;
        const char *d = rc_argv_data(call->args, j, &len);
        if (rc_keyspace_delete(rc_db(call), d, len)) {
            call->dirty++;
            deleted++;
        }
    }
    rc_reply_int(call->reply, deleted);
}

void rc_cmd_exists(RcCommandCall *call)
{
    gint64 count = 0;
    for (int j = 1; j < call->args->argc; j++)
        if (rc_db_lookup_read(call, j) != NULL)
            count++;
    rc_reply_int(call->reply, count);
}

void rc_cmd_type(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    rc_reply_status(call->reply, k ? rc_object_type_name(k->val->type) : "none");
}

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

static gboolean parse_expire_flags(RcCommandCall *call, int *flags)
{
    for (int j = 3; j < call->args->argc; j++) {
        if (rc_argv_is(call->args, j, "nx")) {
            *flags |= EXP_NX;
        } else if (rc_argv_is(call->args, j, "xx")) {
            *flags |= EXP_XX;
        } else if (rc_argv_is(call->args, j, "gt")) {
            *flags |= EXP_GT;
        } else if (rc_argv_is(call->args, j, "lt")) {
            *flags |= EXP_LT;
        } else {
            gsize len;
            const char *d = rc_argv_data(call->args, j, &len);
            rc_reply_errorf(call->reply, "ERR Unsupported option %.*s", (int)strnlen(d, len), d);
            return FALSE;
        }
    }
    if ((*flags & EXP_NX) && (*flags & (EXP_XX | EXP_GT | EXP_LT))) {
        rc_reply_error(call->reply,
                       "ERR NX and XX, GT or LT options at the same time are not compatible");
        return FALSE;
    }
    if ((*flags & EXP_GT) && (*flags & EXP_LT)) {
        rc_reply_error(call->reply, "ERR GT and LT options at the same time are not compatible");
        return FALSE;
    }
    return TRUE;
}

/* NAME key v, then the call's arguments from `from` on. */
static RcArgv *argv_rewrite(const RcCommandCall *call, const char *name, gint64 v, int from)
{
    const RcArgv *args = call->args;
    int argc = 3 + MAX(args->argc - from, 0);
    g_autofree const char **data = g_new(const char *, argc);
    g_autofree gsize *lens = g_new(gsize, argc);
    char tmp[24];
    data[0] = name;
    lens[0] = strlen(name);
    data[1] = rc_argv_data(args, 1, &lens[1]);
    data[2] = tmp;
    lens[2] = (gsize)g_snprintf(tmp, sizeof tmp, "%" G_GINT64_FORMAT, v);
    for (int j = from; j < args->argc; j++)
        data[3 + j - from] = rc_argv_data(args, j, &lens[3 + j - from]);
    return rc_argv_new_from_slices(argc, data, lens);
}

/* expireGenericCommand(). */
static void expire_generic(RcCommandCall *call, gint64 basetime, gboolean seconds)
{
    int flags = 0;
    gint64 when;
    if (!parse_expire_flags(call, &flags) || !rc_db_get_ll(call, 2, &when))
        return;
    if (seconds) {
        if (when > G_MAXINT64 / 1000 || when < G_MININT64 / 1000) {
            rc_reply_errorf(call->reply, "ERR invalid expire time in '%s' command",
                            call->cmd->name);
            return;
        }
        when *= 1000;
    }
    if (when > G_MAXINT64 - basetime) {
        rc_reply_errorf(call->reply, "ERR invalid expire time in '%s' command", call->cmd->name);
        return;
    }
    when += basetime;
    RcKey *k = rc_db_lookup_write(call, 1);
    if (k == NULL) {
        rc_reply_int(call->reply, 0);
        return;
    }
    gint64 cur = k->expire_ms;
    if (((flags & EXP_NX) && cur != -1) || ((flags & EXP_XX) && cur == -1) ||
        ((flags & EXP_GT) && (when <= cur || cur == -1)) ||
        ((flags & EXP_LT) && cur != -1 && when >= cur)) {
        rc_reply_int(call->reply, 0);
        return;
    }
    /* checkAlreadyExpired(): a replica keeps the key and waits for its master's DEL. */
    if (when <= call->node->now_ms && !rc_repl_is_replica(call->node)) {
        const char *data[2] = {"DEL", NULL};
        gsize lens[2] = {3, 0};
        data[1] = rc_argv_data(call->args, 1, &lens[1]);
        RcArgv *del = rc_argv_new_from_slices(2, data, lens);
        rc_keyspace_delete_entry(rc_db(call), k);
        call->dirty++;
        rc_db_rewrite(call, del);
        rc_reply_int(call->reply, 1);
        return;
    }
    rc_keyspace_set_expire(rc_db(call), k, when);
    rc_reply_int(call->reply, 1);
    rc_db_rewrite(call, argv_rewrite(call, "PEXPIREAT", when, 3));
    call->dirty++;
}

void rc_cmd_expire(RcCommandCall *call)
{
    expire_generic(call, call->node->now_ms, TRUE);
}

void rc_cmd_pexpire(RcCommandCall *call)
{
    expire_generic(call, call->node->now_ms, FALSE);
}

void rc_cmd_expireat(RcCommandCall *call)
{
    expire_generic(call, 0, TRUE);
}

void rc_cmd_pexpireat(RcCommandCall *call)
{
    expire_generic(call, 0, FALSE);
}

static void ttl_generic(RcCommandCall *call, gboolean in_ms)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_int(call->reply, -2);
        return;
    }
    if (k->expire_ms == -1) {
        rc_reply_int(call->reply, -1);
        return;
    }
    gint64 ttl = MAX(k->expire_ms - call->node->now_ms, 0);
    rc_reply_int(call->reply, in_ms ? ttl : (ttl + 500) / 1000);
}

void rc_cmd_ttl(RcCommandCall *call)
{
    ttl_generic(call, FALSE);
}

void rc_cmd_pttl(RcCommandCall *call)
{
    ttl_generic(call, TRUE);
}

void rc_cmd_persist(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_write(call, 1);
    if (k != NULL && rc_keyspace_persist(rc_db(call), k)) {
        rc_reply_int(call->reply, 1);
        call->dirty++;
    } else {
        rc_reply_int(call->reply, 0);
    }
}

/* CLUSTER KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT (cluster.c clusterCommand): the
 * subcommands that read the keyspace. TRUE if `call` was one of them (and answered). */
gboolean rc_keys_cluster_subcommand(RcCommandCall *call)
{
    const RcArgv *a = call->args;
    gint64 slot, maxkeys;
    if (rc_argv_is(a, 1, "keyslot") && a->argc == 3) {
        gsize len;
        const char *d = rc_argv_data(a, 2, &len);
        rc_reply_int(call->reply, rc_key_hash_slot(d, len));
    } else if (rc_argv_is(a, 1, "countkeysinslot") && a->argc == 3) {
        if (!rc_db_get_ll(call, 2, &slot))
            return TRUE;
        if (slot < 0 || slot >= RC_CLUSTER_SLOTS) {
            rc_reply_error(call->reply, "ERR Invalid slot");
            return TRUE;
        }
        rc_reply_int(call->reply, rc_keyspace_count_keys_in_slot(rc_db(call), (int)slot));
    } else if (rc_argv_is(a, 1, "getkeysinslot") && a->argc == 4) {
        if (!rc_db_get_ll(call, 2, &slot) || !rc_db_get_ll(call, 3, &maxkeys))
            return TRUE;
        if (slot < 0 || slot >= RC_CLUSTER_SLOTS || maxkeys < 0) {
            rc_reply_error(call->reply, "ERR Invalid slot or number of keys");
            return TRUE;
        }
        g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
        rc_keyspace_get_keys_in_slot(rc_db(call), (int)slot, (guint)MIN(maxkeys, G_MAXUINT), keys);
        rc_reply_array(call->reply, keys->len);
        for (guint i = 0; i < keys->len; i++)
            rc_reply_bulk_bytes(call->reply, keys->pdata[i]);
    } else {
        return FALSE;
    }
    return TRUE;
}
