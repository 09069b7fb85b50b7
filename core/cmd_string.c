/* String commands (t_string.c). */
#include <string.h>

#include "core/commands.h"
#include "core/db.h"
#include "core/resp.h"

#define KEY(call) rc_argv_bytes((call)->args, 1)

enum {
    SET_NX = 1 << 0,
    SET_XX = 1 << 1,
    SET_EX = 1 << 2,
    SET_PX = 1 << 3,
    SET_KEEPTTL = 1 << 4,
    SET_GET = 1 << 5,
    SET_EXAT = 1 << 6,
    SET_PXAT = 1 << 7,
};
#define SET_ANY_TIME (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

static RcObject *string_of(const RcArgv *a, int i)
{
    gsize len;
    const char *d = rc_argv_data(a, i, &len);
    return rc_object_new_string(d, len);
}

/* getGenericCommand(): FALSE on WRONGTYPE. */
static gboolean get_generic(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_null(call->reply);
        return TRUE;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_STRING))
        return FALSE;
    rc_reply_bulk(call->reply, k->val->v.str->str, k->val->v.str->len);
    return TRUE;
}

void rc_cmd_get(RcCommandCall *call)
{
    get_generic(call);
}

/* parseExtendedStringArgumentsOrReply() for SET. */
static gboolean parse_set_options(RcCommandCall *call, int *flags, int *expire_i)
{
    const RcArgv *a = call->args;
    for (int j = 3; j < a->argc; j++) {
        gboolean has_next = j + 1 < a->argc;
        int f = *flags;
        if (rc_argv_is(a, j, "NX") && !(f & SET_XX)) {
            *flags |= SET_NX;
        } else if (rc_argv_is(a, j, "XX") && !(f & SET_NX)) {
            *flags |= SET_XX;
        } else if (rc_argv_is(a, j, "GET")) {
            *flags |= SET_GET;
        } else if (rc_argv_is(a, j, "KEEPTTL") && !(f & SET_ANY_TIME)) {
            *flags |= SET_KEEPTTL;
        } else if (has_next && !(f & SET_KEEPTTL) &&
                   ((rc_argv_is(a, j, "EX") && !(f & (SET_ANY_TIME & ~SET_EX))) ||
                    (rc_argv_is(a, j, "PX") && !(f & (SET_ANY_TIME & ~SET_PX))) ||
                    (rc_argv_is(a, j, "EXAT") && !(f & (SET_ANY_TIME & ~SET_EXAT))) ||
                    (rc_argv_is(a, j, "PXAT") && !(f & (SET_ANY_TIME & ~SET_PXAT))))) {
            *flags |= rc_argv_is(a, j, "EX")     ? SET_EX
                      : rc_argv_is(a, j, "PX")   ? SET_PX
                      : rc_argv_is(a, j, "EXAT") ? SET_EXAT
                                                 : SET_PXAT;
            *expire_i = ++j;
        } else {
            rc_reply_error(call->reply, RC_ERR_SYNTAX);
            return FALSE;
        }
    }
    return TRUE;
}

/* getExpireMillisecondsOrReply(). */
static gboolean expire_ms(RcCommandCall *call, int i, int flags, gint64 *ms)
{
    if (!rc_db_get_ll(call, i, ms))
        return FALSE;
    gboolean seconds = (flags & (SET_EX | SET_EXAT)) != 0;
    gboolean ok = *ms > 0 && !(seconds && *ms > G_MAXINT64 / 1000);
    if (ok && seconds)
        *ms *= 1000;
    if (ok && (flags & (SET_EX | SET_PX))) {
        ok = *ms <= G_MAXINT64 - call->node->now_ms;
        if (ok)
            *ms += call->node->now_ms;
    }
    if (!ok)
        rc_reply_errorf(call->reply, "ERR invalid expire time in '%s' command", call->cmd->name);
    return ok;
}

/* setGenericCommand(). `ok_reply`/`abort_reply` NULL mean +OK and a null bulk. */
static void set_generic(RcCommandCall *call, int flags, int value_i, int expire_i,
                        const char *ok_reply, const char *abort_reply)
{
    gint64 when = 0;
    if (expire_i > 0 && !expire_ms(call, expire_i, flags, &when))
        return;
    if ((flags & SET_GET) && !get_generic(call))
        return;
    RcKey *k = rc_db_lookup_write(call, 1);
    gboolean found = k != NULL;
    if (((flags & SET_NX) && found) || ((flags & SET_XX) && !found)) {
        if (!(flags & SET_GET)) {
            if (abort_reply)
                g_string_append(call->reply, abort_reply);
            else
                rc_reply_null(call->reply);
        }
        return;
    }
    if (k != NULL && k->val->type == RC_TYPE_STRING) {
        /* setKey() on a string: the value is replaced in place (no new object). */
        gsize len;
        const char *d = rc_argv_data(call->args, value_i, &len);
        g_string_truncate(k->val->v.str, 0);
        rc_string_put(k->val->v.str, d, len);
        if (!(flags & SET_KEEPTTL))
            rc_keyspace_persist(rc_db(call), k);
    } else {
        k = rc_keyspace_set(rc_db(call), KEY(call), string_of(call->args, value_i),
                            (flags & SET_KEEPTTL) != 0);
    }
    call->dirty++;
    if (expire_i > 0) {
        rc_keyspace_set_expire(rc_db(call), k, when);
        /* Propagated as SET key value PXAT <ms>. */
        char tmp[24];
        const char *data[5] = {"SET", NULL, NULL, "PXAT", tmp};
        gsize lens[5] = {3, 0, 0, 4, 0};
        data[1] = rc_argv_data(call->args, 1, &lens[1]);
        data[2] = rc_argv_data(call->args, value_i, &lens[2]);
        lens[4] = (gsize)g_snprintf(tmp, sizeof tmp, "%" G_GINT64_FORMAT, when);
        rc_db_rewrite(call, rc_argv_new_from_slices(5, data, lens));
    }
    if (!(flags & SET_GET)) {
        if (ok_reply)
            g_string_append(call->reply, ok_reply);
        else
            rc_reply_ok(call->reply);
    }
    if ((flags & SET_GET) && expire_i == 0) {
        /* Propagated without its GET arguments. */
        g_autofree const char **data = g_new(const char *, call->args->argc);
        g_autofree gsize *lens = g_new(gsize, call->args->argc);
        int n = 0;
        for (int j = 0; j < call->args->argc; j++)
            if (j < 3 || !rc_argv_is(call->args, j, "GET")) {
                data[n] = rc_argv_data(call->args, j, &lens[n]);
                n++;
            }
        rc_db_rewrite(call, rc_argv_new_from_slices(n, data, lens));
    }
}

void rc_cmd_set(RcCommandCall *call)
{
    int flags = 0, expire_i = 0;
    if (!parse_set_options(call, &flags, &expire_i))
        return;
    set_generic(call, flags, 2, expire_i, NULL, NULL);
}

void rc_cmd_setnx(RcCommandCall *call)
{
    set_generic(call, SET_NX, 2, 0, ":1\r\n", ":0\r\n");
}

void rc_cmd_getset(RcCommandCall *call)
{
    if (!get_generic(call))
        return;
    rc_keyspace_set(rc_db(call), KEY(call), string_of(call->args, 2), FALSE);
    call->dirty++;
    const char *data[3] = {"SET", NULL, NULL};
    gsize lens[3] = {3, 0, 0};
    data[1] = rc_argv_data(call->args, 1, &lens[1]);
    data[2] = rc_argv_data(call->args, 2, &lens[2]);
    rc_db_rewrite(call, rc_argv_new_from_slices(3, data, lens));
}

void rc_cmd_append(RcCommandCall *call)
{
    gsize len;
    const char *d = rc_argv_data(call->args, 2, &len);
    RcKey *k = rc_db_lookup_write(call, 1);
    gsize total;
    if (k == NULL) {
        rc_keyspace_add(rc_db(call), KEY(call), rc_object_new_string(d, len));
        total = len;
    } else {
        if (!rc_db_check_type(call, k, RC_TYPE_STRING))
            return;
        GString *s = k->val->v.str;
        if ((gint64)(s->len + len) > call->node->cfg.proto_max_bulk_len) {
            rc_reply_error(call->reply,
                           "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
            return;
        }
        g_string_append_len(s, d, (gssize)len);
        total = s->len;
    }
    call->dirty++;
    rc_reply_int(call->reply, (gint64)total);
}

void rc_cmd_strlen(RcCommandCall *call)
{
    RcKey *k = rc_db_lookup_read(call, 1);
    if (k == NULL) {
        rc_reply_int(call->reply, 0);
        return;
    }
    if (!rc_db_check_type(call, k, RC_TYPE_STRING))
        return;
    rc_reply_int(call->reply, (gint64)k->val->v.str->len);
}

/* incrDecrCommand(). */
static void incr_decr(RcCommandCall *call, gint64 incr)
{
    RcKey *k = rc_db_lookup_write(call, 1);
    if (k != NULL && !rc_db_check_type(call, k, RC_TYPE_STRING))
        return;
    gint64 value = 0;
    if (k != NULL && !rc_string2ll(k->val->v.str->str, k->val->v.str->len, &value)) {
        rc_reply_error(call->reply, RC_ERR_NOT_INT);
        return;
    }
    if ((incr < 0 && value < 0 && incr < G_MININT64 - value) ||
        (incr > 0 && value > 0 && incr > G_MAXINT64 - value)) {
        rc_reply_error(call->reply, RC_ERR_OVERFLOW);
        return;
    }
    value += incr;
    char tmp[24];
    int n = g_snprintf(tmp, sizeof tmp, "%" G_GINT64_FORMAT, value);
    if (k != NULL)
        rc_keyspace_overwrite(rc_db(call), k, rc_object_new_string(tmp, (gsize)n));
    else
        rc_keyspace_add(rc_db(call), KEY(call), rc_object_new_string(tmp, (gsize)n));
    call->dirty++;
    rc_reply_int(call->reply, value);
}

void rc_cmd_incr(RcCommandCall *call)
{
    incr_decr(call, 1);
}

void rc_cmd_decr(RcCommandCall *call)
{
    incr_decr(call, -1);
}

void rc_cmd_incrby(RcCommandCall *call)
{
    gint64 incr;
    if (rc_db_get_ll(call, 2, &incr))
        incr_decr(call, incr);
}

void rc_cmd_decrby(RcCommandCall *call)
{
    gint64 incr;
    if (!rc_db_get_ll(call, 2, &incr))
        return;
    if (incr == G_MININT64) {
        rc_reply_error(call->reply, "ERR decrement would overflow");
        return;
    }
    incr_decr(call, -incr);
}

void rc_cmd_mget(RcCommandCall *call)
{
    rc_reply_array(call->reply, call->args->argc - 1);
    for (int j = 1; j < call->args->argc; j++) {
        RcKey *k = rc_db_lookup_read(call, j);
        if (k == NULL || k->val->type != RC_TYPE_STRING)
            rc_reply_null(call->reply);
        else
            rc_reply_bulk(call->reply, k->val->v.str->str, k->val->v.str->len);
    }
}

void rc_cmd_mset(RcCommandCall *call)
{
    if (call->args->argc % 2 == 0) {
        rc_db_reply_arity(call);
        return;
    }
    for (int j = 1; j < call->args->argc; j += 2) {
        rc_db_lookup_write(call, j); /* setKey() expires it first */
        rc_keyspace_set(rc_db(call), rc_argv_bytes(call->args, j), string_of(call->args, j + 1),
                        FALSE);
    }
    call->dirty += (guint64)(call->args->argc - 1) / 2;
    rc_reply_ok(call->reply);
}
