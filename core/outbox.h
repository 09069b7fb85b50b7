/* What a node hands back to its driver after each entry point.
 *
 * core/ never performs I/O. Every entry point of RcNode appends actions to an RcOutbox:
 * bytes to send on a connection, connections to open or close, the nodes.conf contents to
 * persist, log lines, and structured events that checkers and the console observe. The
 * driver (sim/ or, one day, a socket loop) executes them in order and then clears the box.
 *
 * Connections are named by handles the node allocates (see node.h); a handle is never
 * reused within one node's lifetime. */
#ifndef RC_OUTBOX_H
#define RC_OUTBOX_H

#include <glib.h>

#include "core/assert.h"

typedef enum {
    RC_ACT_SEND,    /* bytes on connection `handle` */
    RC_ACT_CONNECT, /* open connection `handle` to ip:port; answer with
                       rc_node_connected() or rc_node_disconnected() */
    RC_ACT_CLOSE,   /* close `handle` after flushing what was sent on it */
    RC_ACT_SAVE,    /* the node saved its nodes.conf: `bytes`, or when NULL the text
                       rc_node_saved_conf() gives until the next save; `is_fsync` */
    RC_ACT_LOG,     /* one log line in `bytes` (no newline), at `level` */
    RC_ACT_EVENT,   /* a structured observation, see RcEventKind */
} RcActionKind;

/* Log levels as Redis prints them: '.' debug, '-' verbose, '*' notice, '#' warning. */
typedef enum {
    RC_LOG_DEBUG,
    RC_LOG_VERBOSE,
    RC_LOG_NOTICE,
    RC_LOG_WARNING,
} RcLogLevel;

/* Observations for checkers, traces and the console. `peer` is a 40-char node name or "". */
typedef enum {
    RC_EVT_PFAIL,             /* I flagged peer PFAIL */
    RC_EVT_FAIL,              /* I flagged peer FAIL (by quorum or by a FAIL message) */
    RC_EVT_FAIL_CLEARED,      /* I cleared FAIL on peer */
    RC_EVT_PFAIL_CLEARED,     /* I cleared PFAIL on peer */
    RC_EVT_STATE_OK,          /* my cluster state turned ok */
    RC_EVT_STATE_FAIL,        /* my cluster state turned fail */
    RC_EVT_ELECTION_START,    /* I sent FAILOVER_AUTH_REQUEST, value = election epoch */
    RC_EVT_VOTE_GRANTED,      /* I voted for peer, value = epoch */
    RC_EVT_PROMOTED,          /* I became master replacing peer (my old master), value = epoch */
    RC_EVT_DEMOTED,           /* I (a master) became a replica of peer */
    RC_EVT_REPLICA_OF,        /* I now replicate peer */
    RC_EVT_CURRENT_EPOCH,     /* my currentEpoch changed, value = new epoch */
    RC_EVT_CONFIG_EPOCH,      /* my configEpoch changed, value = new epoch */
    RC_EVT_FULL_SYNC,         /* I (replica) loaded a full snapshot from my master */
    RC_EVT_PARTIAL_SYNC,      /* I (replica) continued from the master's backlog */
    RC_EVT_MANUAL_FAILOVER,   /* manual failover started, value = 0 default, 1 force, 2 takeover */
    RC_EVT_SLOT_MIGRATED,     /* slot `value` now owned by peer in my view after a hand-over */
    RC_EVT_REPLICA_MIGRATION, /* I (a replica) moved to the orphaned master peer */
    RC_EVT_SLOTS_REASSIGNED,  /* my view gave `value` slots to peer (its configEpoch is newer) */
} RcEventKind;

typedef struct {
    RcActionKind kind;
    guint32 handle;       /* SEND, CONNECT, CLOSE */
    GBytes *bytes;        /* SAVE contents, LOG text, a large SEND's payload (NULL for a small
                             one: see `data`); owned by the action */
    const guint8 *data;   /* SEND: the payload, valid until the outbox is cleared (within
                             `bytes`, or in the outbox's own storage when `bytes` is NULL) */
    gsize len;            /* SEND: of data (never 0) */
    char ip[46];          /* CONNECT */
    guint16 port;         /* CONNECT */
    gboolean nodelay;     /* CONNECT: set TCP_NODELAY on it (Redis does on every connection
                             but the cluster bus links it opens: those keep Nagle) */
    gboolean is_deferred; /* SEND: queued for a write handler, as clusterSendMessage does, not
                             written from before-sleep: the event loop turns once more */
    gboolean is_fsync;    /* SAVE: followed by fsync(), which blocks the event loop until the
                             disk has it (clusterSaveConfig(1)); else a write to the page cache */
    RcLogLevel level;     /* LOG */
    RcEventKind event;    /* EVENT */
    char peer[41];        /* EVENT: NUL-terminated node name or "" */
    guint64 value;        /* EVENT: epoch, slot, ... */
    char role;            /* LOG, EVENT: the node's role letter when it produced the line, as
                             Redis prints it ('S' replicating a master, 'M'); 0 if unknown */
} RcAction;

/* Asked for the role letter of the node filling the box, when a LOG or EVENT is pushed. */
typedef char (*RcOutboxRoleFn)(gconstpointer owner);

typedef struct {
    RcAction *actions; /* n_actions of them, in the order the node produced them */
    guint n_actions, cap_actions;
    RcOutboxRoleFn role_of; /* set by the node for the span of an entry point, else NULL */
    gconstpointer owner;    /* its argument */
    GPtrArray *blocks;      /* RC_OUTBOX_BLOCK_BYTES each: small sends' payloads, kept across
                               clears (a send is a copy into them, not an allocation) */
    guint block;            /* the block being filled */
    gsize block_used;       /* bytes of it taken */
} RcOutbox;

/* Sends up to RC_OUTBOX_COPY_MAX bytes are copied into the outbox's blocks; larger ones into
 * a GBytes of their own (the driver can then hand it on without another copy). */
#define RC_OUTBOX_BLOCK_BYTES 16384
#define RC_OUTBOX_COPY_MAX 4096

RcOutbox *rc_outbox_new(void);
void rc_outbox_free(RcOutbox *out);
/* Drop every action (and the bytes they own); keeps the allocation. */
void rc_outbox_clear(RcOutbox *out);
guint rc_outbox_len(const RcOutbox *out);
const RcAction *rc_outbox_get(const RcOutbox *out, guint i);
/* A new reference to a SEND's payload as a GBytes (made from `data` when the outbox holds
 * it): for callers that keep an action beyond the next rc_outbox_clear(). */
GBytes *rc_action_send_bytes(const RcAction *a);

/* Let `role_of(owner)` stamp LOG and EVENT actions from now on (NULL: stop). */
void rc_outbox_bind_role(RcOutbox *out, RcOutboxRoleFn role_of, gconstpointer owner);

void rc_outbox_send(RcOutbox *out, guint32 handle, const void *data, gsize len);
void rc_outbox_send_bytes(RcOutbox *out, guint32 handle, GBytes *bytes); /* takes a ref */
/* A send that a write handler performs on the event loop's next turn (is_deferred). */
void rc_outbox_send_deferred(RcOutbox *out, guint32 handle, GBytes *bytes); /* takes a ref */
void rc_outbox_connect(RcOutbox *out, guint32 handle, const char *ip, guint16 port,
                       gboolean nodelay);
void rc_outbox_close(RcOutbox *out, guint32 handle);
void rc_outbox_save(RcOutbox *out, const char *contents, gsize len, gboolean fsync);
/* a save whose text the node keeps (rc_node_saved_conf) */
void rc_outbox_saved(RcOutbox *out, gboolean fsync);
void rc_outbox_log(RcOutbox *out, RcLogLevel level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
void rc_outbox_event(RcOutbox *out, RcEventKind event, const char *peer, guint64 value);

const char *rc_event_kind_name(RcEventKind event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcOutbox, rc_outbox_free)

#endif
