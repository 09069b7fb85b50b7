/* Set commands (t_set.c). */
#include "core/commands.h"
#include "core/db.h"
#include "core/resp.h"

#define KEY(call) rc_argv_bytes((call)->args, 1)

void rc_cmd_sadd(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_write(call, 1);
    if (k != NULL && !rc_db_check_type(call, k, RC_TYPE_SET))
        return;
    if (k == NULL)
        k = rc_keyspace_add(rc_db(call), KEY(call), rc_object_new_set());
    gint64 added = 0;
    for (int j = 2; j < call->args->argc; j++)
        added += rc_set_add_data(k->val->v.set, call->args->v[j].data, call->args->v[j].len);
    call->dirty += (guint64)added;
    rc_reply_int(call->reply, added);
}

void rc_cmd_srem(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_write(call, 1);
    if (k == NULL) {
        rc_reply_int(call->reply, 0);
        return;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_SET))
        return;
    gint64 deleted = 0;
    for (int j = 2; j < call->args->argc; j++) {
        deleted += rc_set_remove_data(k->val->v.set, call->args->v[j].data, call->args->v[j].len);
        if (rc_set_size(k->val->v.set) == 0) {
            rc_keyspace_delete_entry(rc_db(call), k);
            break;
        }
    }
    call->dirty += (guint64)deleted;
    rc_reply_int(call->reply, deleted);
}

void rc_cmd_smembers(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_array(call->reply, 0);
        return;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_SET))
        return;
    const RcSet *set = k->val->v.set;
    guint32 *order = rc_set_members_order(set);
    rc_reply_array(call->reply, rc_set_size(set));
    for (guint i = 0; i < rc_set_size(set); i++) {
        gsize len;
        const guint8 *m = rc_set_member(set, order[i], &len);
        rc_reply_bulk(call->reply, m, len);
    }
    g_free(order);
}

void rc_cmd_sismember(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_int(call->reply, 0);
        return;
    }
    if (rc_db_check_type(call, k, RC_TYPE_SET))
        rc_reply_int(call->reply, rc_set_contains_data(k->val->v.set, call->args->v[2].data,
                                                       call->args->v[2].len));
}

void rc_cmd_scard(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_int(call->reply, 0);
        return;
    }
    if (rc_db_check_type(call, k, RC_TYPE_SET))
        rc_reply_int(call->reply, rc_set_size(k->val->v.set));
}
