/* A connection on the client port (networking.c + processCommand in server.c).
 *
 * Owns the request parser, the connection flags (ASKING, READONLY, MULTI), the MULTI
 * queue and the WAIT block state. A client that sent PSYNC becomes a replica of this node
 * (RC_CLIENT_REPLICA) and is then served by replication.c. */
#ifndef RC_CLIENT_H
#define RC_CLIENT_H

#include "core/command.h"

#define RC_CLIENT_MULTI (1u << 0)      /* inside MULTI */
#define RC_CLIENT_DIRTY_EXEC (1u << 1) /* a queued command was refused: EXEC aborts */
#define RC_CLIENT_ASKING (1u << 2)     /* one-shot ASKING */
#define RC_CLIENT_READONLY (1u << 3)   /* READONLY issued */
#define RC_CLIENT_REPLICA (1u << 4)    /* a replica of mine, after PSYNC/SYNC */
#define RC_CLIENT_MASTER (1u << 5)     /* the stream from my master (no replies) */
#define RC_CLIENT_CLOSE_AFTER_REPLY (1u << 6)
#define RC_CLIENT_BLOCKED (1u << 7) /* blocked in WAIT */
#define RC_CLIENT_PAUSED (1u << 8)  /* a write is postponed by a client pause */

typedef struct RcRespParser RcRespParser;     /* resp.h */
typedef struct RcReplicaState RcReplicaState; /* replication.c, for RC_CLIENT_REPLICA */

struct RcClient {
    RcNode *node;
    guint32 handle;       /* the RcConn handle; 0 for internal clients */
    guint64 id;           /* CLIENT ID order */
    guint32 flags;        /* RC_CLIENT_* */
    RcRespParser *parser; /* incremental request parser */
    GPtrArray *mstate;    /* RcArgv* queued by MULTI */
    gint64 woff;          /* master offset after its latest write, for WAIT */
    gint64 last_interaction_ms;
    gint64 bpop_timeout_ms;  /* WAIT deadline, 0 = forever */
    gint64 bpop_numreplicas; /* WAIT: replicas wanted */
    gint64 bpop_reploffset;  /* WAIT: offset they must ack */
    RcReplicaState *replica; /* set when RC_CLIENT_REPLICA */
    guint32 mstate_flags;    /* RC_CMD_* of the queued commands, OR-ed (mstate.cmd_flags) */
    RcArgv *pending;         /* a request postponed by a client pause, run on unpause */
    GString *obuf;           /* replies of the current processing pass, sent at its end */
    gboolean is_processing;  /* inside rc_client_process_input(): close is deferred */
};

RcClient *rc_client_new(RcNode *node, guint32 handle);
/* The peer closed or reset: forget the client (replica clients are detached first). */
void rc_client_free(RcClient *client);
/* Close from our side after flushing replies. */
void rc_client_close(RcClient *client);
void rc_client_recv(RcClient *client, const guint8 *data, gsize len);
/* Append raw RESP to the client's connection. */
void rc_client_write(RcClient *client, const char *data, gsize len);
/* Parse and run whatever complete requests are buffered (after unblock or unpause). */
void rc_client_process_input(RcClient *client);
/* Run one request as Redis's call() does (routing already done), filling `reply`.
 * `client` may be NULL (master stream, snapshot load). Propagates writes. */
void rc_client_call(RcNode *node, RcClient *client, const RcArgv *args, GString *reply);
/* The same when argv[0] was looked up already: `named` is rc_command_lookup() of it. */
void rc_client_call_named(RcNode *node, RcClient *client, const RcCommand *named,
                          const RcArgv *args, GString *reply);
/* Run a queued command for EXEC: its reply goes to parent->reply, its writes join the
 * parent's propagation (wrapped in MULTI/EXEC when more than one). */
void rc_client_call_nested(RcCommandCall *parent, const RcArgv *args);
/* discardTransaction(): forget the MULTI queue and flags. */
void rc_client_discard_transaction(RcClient *client);
/* Resume clients whose writes were postponed by a pause that ended (beforeSleep's
 * processUnblockedClients). */
void rc_clients_before_sleep(RcNode *node);

/* Client pause for manual failover (pauseClients(PAUSE_WRITE)): writes are postponed
 * until `end_ms` or rc_clients_unpause(). */
void rc_clients_pause_writes(RcNode *node, gint64 end_ms);
void rc_clients_unpause(RcNode *node);
gboolean rc_clients_are_writes_paused(const RcNode *node);
/* serverCron part: unpause on time, time out WAIT. */
void rc_clients_cron(RcNode *node);

#endif
