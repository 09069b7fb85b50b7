/* List commands (t_list.c). Lists are GQueues of GBytes, head = index 0. */
#include "core/commands.h"
#include "core/db.h"
#include "core/resp.h"

#define KEY(call) rc_argv_bytes((call)->args, 1)

static void push_generic(RcCommandCall *call, gboolean at_head)
{
    RcKey *k = rc_db_lookup_write(call, 1);
    if (k != NULL && !rc_db_check_type(call, k, RC_TYPE_LIST))
        return;
    if (k == NULL)
        k = rc_keyspace_add(rc_db(call), KEY(call), rc_object_new_list());
    GQueue *q = k->val->v.list;
    for (int j = 2; j < call->args->argc; j++) {
        if (at_head)
            g_queue_push_head(q, g_bytes_ref(rc_argv_bytes(call->args, j)));
        else
            g_queue_push_tail(q, g_bytes_ref(rc_argv_bytes(call->args, j)));
    }
    rc_reply_int(call->reply, q->length);
    call->dirty += (guint64)(call->args->argc - 2);
}

void rc_cmd_lpush(RcCommandCall *call)
{
    push_generic(call, TRUE);
}

void rc_cmd_rpush(RcCommandCall *call)
{
    push_generic(call, FALSE);
}

/* popGenericCommand(). */
static void pop_generic(RcCommandCall *call, gboolean at_head)
{
    gboolean has_count = call->args->argc == 3;
    gint64 count = 0;
    if (call->args->argc > 3) {
        rc_db_reply_arity(call);
        return;
    }
    if (has_count && !rc_db_get_positive(call, 2, &count))
        return;
    RcKey *k = rc_db_lookup_write(call, 1);
    if (k == NULL) {
        if (has_count)
            rc_reply_null_array(call->reply);
        else
            rc_reply_null(call->reply);
        return;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_LIST))
        return;
    if (has_count && count == 0) {
        rc_reply_array(call->reply, 0);
        return;
    }
    GQueue *q = k->val->v.list;
    gint64 n = has_count ? MIN(count, (gint64)q->length) : 1;
    if (has_count)
        rc_reply_array(call->reply, n);
    for (gint64 i = 0; i < n; i++) {
        GBytes *b = at_head ? g_queue_pop_head(q) : g_queue_pop_tail(q);
        rc_reply_bulk_bytes(call->reply, b);
        g_bytes_unref(b);
    }
    if (q->length == 0)
        rc_keyspace_delete_entry(rc_db(call), k);
    call->dirty += (guint64)n;
}

void rc_cmd_lpop(RcCommandCall *call)
{
    pop_generic(call, TRUE);
}

void rc_cmd_rpop(RcCommandCall *call)
{
    pop_generic(call, FALSE);
}

void rc_cmd_lrange(RcCommandCall *call)
{
    gint64 start, end;
    if (!rc_db_get_ll(call, 2, &start) || !rc_db_get_ll(call, 3, &end))
        return;
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_array(call->reply, 0);
        return;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_LIST))
        return;
    GQueue *q = k->val->v.list;
    gint64 llen = q->length;
    if (start < 0)
        start = llen + start;
    if (end < 0)
        end = llen + end;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen) {
        rc_reply_array(call->reply, 0);
        return;
    }
    if (end >= llen)
        end = llen - 1;
    rc_reply_array(call->reply, end - start + 1);
    GList *l = g_queue_peek_nth_link(q, (guint)start);
    for (gint64 i = start; i <= end; i++, l = l->next)
        rc_reply_bulk_bytes(call->reply, l->data);
}

void rc_cmd_llen(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_int(call->reply, 0);
        return;
    }
    if (rc_db_check_type(call, k, RC_TYPE_LIST))
        rc_reply_int(call->reply, k->val->v.list->length);
}

void rc_cmd_lindex(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_null(call->reply);
        return;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_LIST))
        return;
    gint64 index;
    if (!rc_db_get_ll(call, 2, &index))
        return;
    GQueue *q = k->val->v.list;
    if (index < 0)
        index += q->length;
    if (index < 0 || index >= (gint64)q->length) {
        rc_reply_null(call->reply);
        return;
    }
    rc_reply_bulk_bytes(call->reply, g_queue_peek_nth(q, (guint)index));
}
