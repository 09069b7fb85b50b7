/* Hash commands (t_hash.c). */
#include "core/commands.h"
#include "core/db.h"
#include "core/resp.h"

#define KEY(call) rc_argv_bytes((call)->args, 1)

/* hashTypeLookupWriteOrCreate(): NULL after a WRONGTYPE reply. */
static RcKey *lookup_write_or_create(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_write(call, 1);
    if (k != NULL && !rc_db_check_type(call, k, RC_TYPE_HASH))
        return NULL;
    if (k == NULL)
        k = rc_keyspace_add(rc_db(call), KEY(call), rc_object_new_hash());
    return k;
}

void rc_cmd_hset(RcCommandCall *call)
{
    if (call->args->argc % 2 == 1) {
        rc_db_reply_arity(call);
        return;
    }
    RcKey *k = lookup_write_or_create(call);
    if (k == NULL)
        return;
    gint64 created = 0;
    for (int j = 2; j < call->args->argc; j += 2)
        created += rc_hash_set(k->val->v.hash, rc_argv_bytes(call->args, j),
                               rc_argv_bytes(call->args, j + 1));
    rc_reply_int(call->reply, created);
    call->dirty += (guint64)(call->args->argc - 2) / 2;
}

void rc_cmd_hget(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_null(call->reply);
        return;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_HASH))
        return;
    GBytes *v = rc_hash_get(k->val->v.hash, rc_argv_bytes(call->args, 2));
    if (v == NULL)
        rc_reply_null(call->reply);
    else
        rc_reply_bulk_bytes(call->reply, v);
}

void rc_cmd_hdel(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_write(call, 1);
    if (k == NULL) {
        rc_reply_int(call->reply, 0);
        return;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_HASH))
        return;
    gint64 deleted = 0;
    for (int j = 2; j < call->args->argc; j++) {
        deleted += rc_hash_del(k->val->v.hash, rc_argv_bytes(call->args, j));
        if (rc_hash_size(k->val->v.hash) == 0) {
            rc_keyspace_delete_entry(rc_db(call), k);
            break;
        }
    }
    call->dirty += (guint64)deleted;
    rc_reply_int(call->reply, deleted);
}

void rc_cmd_hgetall(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_array(call->reply, 0);
        return;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_HASH))
        return;
    GPtrArray *f = k->val->v.hash->order;
    rc_reply_array(call->reply, 2 * (gint64)f->len);
    for (guint i = 0; i < f->len; i++) {
        const RcHashField *hf = f->pdata[i];
        rc_reply_bulk_bytes(call->reply, hf->field);
        rc_reply_bulk_bytes(call->reply, hf->value);
    }
}

void rc_cmd_hlen(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_int(call->reply, 0);
        return;
    }
    if (rc_db_check_type(call, k, RC_TYPE_HASH))
        rc_reply_int(call->reply, rc_hash_size(k->val->v.hash));
}

void rc_cmd_hincrby(RcCommandCall *call)
{
    gint64 incr, value = 0;
    if (!rc_db_get_ll(call, 3, &incr))
        return;
    RcKey *k = lookup_write_or_create(call);
    if (k == NULL)
        return;
    GBytes *cur = rc_hash_get(k->val->v.hash, rc_argv_bytes(call->args, 2));
    if (cur != NULL) {
        gsize len;
        const char *d = g_bytes_get_data(cur, &len);
        if (!rc_string2ll(d ? d : "", len, &value)) {
            rc_reply_error(call->reply, "ERR hash value is not an integer");
            return;
        }
    }
    if ((incr < 0 && value < 0 && incr < G_MININT64 - value) ||
        (incr > 0 && value > 0 && incr > G_MAXINT64 - value)) {
        rc_reply_error(call->reply, RC_ERR_OVERFLOW);
        return;
    }
    value += incr;
    char tmp[24];
    int n = g_snprintf(tmp, sizeof tmp, "%" G_GINT64_FORMAT, value);
    GBytes *nv = g_bytes_new(tmp, (gsize)n);
    rc_hash_set(k->val->v.hash, rc_argv_bytes(call->args, 2), nv);
    g_bytes_unref(nv);
    rc_reply_int(call->reply, value);
    call->dirty++;
}
