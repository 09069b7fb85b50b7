#include "core/outbox.h"

#include <string.h>

#include "core/short_copy.h"

/* Blocks beyond this many are freed at a clear: one entry point that sent a lot does not
 * keep its storage for the node's lifetime. */
#define OUTBOX_BLOCKS_KEPT 4

RcOutbox *rc_outbox_new(void)
{
    RcOutbox *out = g_new0(RcOutbox, 1);
    out->cap_actions = 16;
    out->actions = g_new(RcAction, out->cap_actions);
    out->blocks = g_ptr_array_new_with_free_func(g_free);
    return out;
}

static void release_bytes(RcOutbox *out)
{
    for (guint i = 0; i < out->n_actions; i++) {
        RcAction *a = &out->actions[i];
        g_clear_pointer(&a->bytes, g_bytes_unref);
    }
}

void rc_outbox_free(RcOutbox *out)
{
    if (out == NULL)
        return;
    release_bytes(out);
    g_free(out->actions);
    g_ptr_array_unref(out->blocks);
    g_free(out);
}

void rc_outbox_clear(RcOutbox *out)
{
    if (out->n_actions == 0)
        return; /* nothing sent either: the blocks are untouched (most clears) */
    release_bytes(out);
    out->n_actions = 0;
    if (out->blocks->len > OUTBOX_BLOCKS_KEPT)
        g_ptr_array_set_size(out->blocks, OUTBOX_BLOCKS_KEPT);
    out->block = 0;
    out->block_used = 0;
}

guint rc_outbox_len(const RcOutbox *out)
{
    return out->n_actions;
}

const RcAction *rc_outbox_get(const RcOutbox *out, guint i)
{
    rc_assert(i < out->n_actions);
    return &out->actions[i];
}

GBytes *rc_action_send_bytes(const RcAction *a)
{
    rc_assert(a->kind == RC_ACT_SEND);
    return a->bytes != NULL ? g_bytes_ref(a->bytes) : g_bytes_new(a->data, a->len);
}

static RcAction *push(RcOutbox *out, RcActionKind kind)
{
    if (out->n_actions == out->cap_actions) {
        out->cap_actions *= 2;
        out->actions = g_renew(RcAction, out->actions, out->cap_actions);
    }
    RcAction *a = &out->actions[out->n_actions++];
    *a = (RcAction){.kind = kind};
    return a;
}

/* Room for `len` <= RC_OUTBOX_BLOCK_BYTES bytes that stays put until the next clear: the
 * rest of the current block, else the next one (made on first use). */
static guint8 *block_take(RcOutbox *out, gsize len)
{
    rc_assert(len <= RC_OUTBOX_BLOCK_BYTES);
    if (out->block < out->blocks->len && out->block_used + len > RC_OUTBOX_BLOCK_BYTES) {
        out->block++;
        out->block_used = 0;
    }
    if (out->block == out->blocks->len)
        g_ptr_array_add(out->blocks, g_malloc(RC_OUTBOX_BLOCK_BYTES));
    guint8 *p = (guint8 *)g_ptr_array_index(out->blocks, out->block) + out->block_used;
    out->block_used += len;
    return p;
}

void rc_outbox_send(RcOutbox *out, guint32 handle, const void *data, gsize len)
{
    if (len == 0)
        return;
    if (len > RC_OUTBOX_COPY_MAX) {
        g_autoptr(GBytes) bytes = g_bytes_new(data, len);
        rc_outbox_send_bytes(out, handle, bytes);
        return;
    }
    guint8 *copy = block_take(out, len);
    rc_short_copy(copy, data, len);
    RcAction *a = push(out, RC_ACT_SEND);
    a->handle = handle;
    a->data = copy;
    a->len = len;
}

void rc_outbox_send_bytes(RcOutbox *out, guint32 handle, GBytes *bytes)
{
    gsize len;
    const guint8 *data = g_bytes_get_data(bytes, &len);
    if (len == 0)
        return;
    RcAction *a = push(out, RC_ACT_SEND);
    a->handle = handle;
    a->bytes = g_bytes_ref(bytes);
    a->data = data;
    a->len = len;
}

void rc_outbox_send_deferred(RcOutbox *out, guint32 handle, GBytes *bytes)
{
    guint before = out->n_actions;
    rc_outbox_send_bytes(out, handle, bytes);
    if (out->n_actions > before)
        out->actions[before].is_deferred = TRUE;
}

void rc_outbox_connect(RcOutbox *out, guint32 handle, const char *ip, guint16 port,
                       gboolean nodelay)
{
    rc_assert(strlen(ip) < sizeof(((RcAction *)0)->ip));
    RcAction *a = push(out, RC_ACT_CONNECT);
    a->handle = handle;
    g_strlcpy(a->ip, ip, sizeof a->ip);
    a->port = port;
    a->nodelay = nodelay;
}

void rc_outbox_close(RcOutbox *out, guint32 handle)
{
    RcAction *a = push(out, RC_ACT_CLOSE);
    a->handle = handle;
}

void rc_outbox_bind_role(RcOutbox *out, RcOutboxRoleFn role_of, gconstpointer owner)
{
    out->role_of = role_of;
    out->owner = owner;
}

/* The role is taken when the line is produced: a replica that wins an election logs "Failover
 * election won" as S, then becomes M. */
static char role_now(const RcOutbox *out)
{
    return out->role_of != NULL ? out->role_of(out->owner) : 0;
}

void rc_outbox_save(RcOutbox *out, const char *contents, gsize len, gboolean fsync)
{
    RcAction *a = push(out, RC_ACT_SAVE);
    a->bytes = g_bytes_new(contents, len);
    a->is_fsync = fsync;
}

void rc_outbox_saved(RcOutbox *out, gboolean fsync)
{
    push(out, RC_ACT_SAVE)->is_fsync = fsync;
}

void rc_outbox_log(RcOutbox *out, RcLogLevel level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    RcAction *a = push(out, RC_ACT_LOG);
    a->level = level;
    a->role = role_now(out);
    a->bytes = g_bytes_new_take(text, strlen(text));
}

void rc_outbox_event(RcOutbox *out, RcEventKind event, const char *peer, guint64 value)
{
    RcAction *a = push(out, RC_ACT_EVENT);
    a->event = event;
    g_strlcpy(a->peer, peer ? peer : "", sizeof a->peer);
    a->value = value;
    a->role = role_now(out);
}

const char *rc_event_kind_name(RcEventKind event)
{
    switch (event) {
    case RC_EVT_PFAIL:
        return "pfail";
    case RC_EVT_FAIL:
        return "fail";
    case RC_EVT_FAIL_CLEARED:
        return "fail-cleared";
    case RC_EVT_PFAIL_CLEARED:
        return "pfail-cleared";
    case RC_EVT_STATE_OK:
        return "state-ok";
    case RC_EVT_STATE_FAIL:
        return "state-fail";
    case RC_EVT_ELECTION_START:
        return "election-start";
    case RC_EVT_VOTE_GRANTED:
        return "vote-granted";
    case RC_EVT_PROMOTED:
        return "promoted";
    case RC_EVT_DEMOTED:
        return "demoted";
    case RC_EVT_REPLICA_OF:
        return "replica-of";
    case RC_EVT_CURRENT_EPOCH:
        return "current-epoch";
    case RC_EVT_CONFIG_EPOCH:
        return "config-epoch";
    case RC_EVT_FULL_SYNC:
        return "full-sync";
    case RC_EVT_PARTIAL_SYNC:
        return "partial-sync";
    case RC_EVT_MANUAL_FAILOVER:
        return "manual-failover";
    case RC_EVT_SLOT_MIGRATED:
        return "slot-migrated";
    case RC_EVT_REPLICA_MIGRATION:
        return "replica-migration";
    case RC_EVT_SLOTS_REASSIGNED:
        return "slots-reassigned";
    }
    return "unknown";
}
