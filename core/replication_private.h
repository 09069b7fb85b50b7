/* The layout of RcReplication, shared by replication*.c and their tests only.
 *
 * Redis keeps this state in `server.*` (server.h: replid, master_repl_offset, repl_backlog,
 * slaves, masterhost, repl_state, master, cached_master ...). We keep one struct per node.
 * Times that Redis keeps in whole seconds (server.unixtime) stay in whole seconds here: the
 * rounding is part of the behaviour (repl-timeout, min-replicas-max-lag, failover data age). */
#ifndef RC_REPLICATION_PRIVATE_H
#define RC_REPLICATION_PRIVATE_H

#include "core/replication.h"

#define RC_REPL_ID_LEN 40                    /* CONFIG_RUN_ID_SIZE */
#define RC_REPL_DISKLESS_SYNC_DELAY_S 5      /* repl-diskless-sync-delay default */
#define RC_REPL_BACKLOG_TTL_S 3600           /* repl-backlog-ttl default */
#define RC_REPL_BACKLOG_MIN_SIZE (16 * 1024) /* CONFIG_REPL_BACKLOG_MIN_SIZE */
#define RC_REPL_BACKLOG_BLOCK (16 * 1024)    /* PROTO_REPLY_CHUNK_BYTES: a backlog block */
#define RC_REPL_HOST_STR_LEN 256             /* NET_HOST_STR_LEN */
#define RC_REPL_LINE_MAX 4096                /* longest handshake line we accept */
#define RC_REPL_STREAM_ARGS_MAX (1 << 20)    /* multibulk count limit on the master stream */

/* The replica side of the link (server.repl_state). */
typedef enum {
    RC_REPL_STATE_NONE,               /* not a replica */
    RC_REPL_STATE_CONNECT,            /* must (re)connect */
    RC_REPL_STATE_CONNECTING,         /* connect in flight */
    RC_REPL_STATE_RECEIVE_PING_REPLY, /* PING sent */
    RC_REPL_STATE_RECEIVE_PORT_REPLY, /* REPLCONF listening-port + capa sent together */
    RC_REPL_STATE_RECEIVE_CAPA_REPLY,
    RC_REPL_STATE_RECEIVE_PSYNC_REPLY, /* PSYNC sent */
    RC_REPL_STATE_TRANSFER,            /* reading the snapshot payload */
    RC_REPL_STATE_CONNECTED,           /* streaming */
} RcReplState;

/* The master side's view of one replica (client->replstate). */
typedef enum {
    RC_SLAVE_STATE_NONE,              /* REPLCONF seen, no PSYNC yet */
    RC_SLAVE_STATE_WAIT_BGSAVE_START, /* full sync requested; waiting for the delay */
    RC_SLAVE_STATE_ONLINE,            /* receiving the stream */
} RcSlaveState;

struct RcReplicaState {
    RcSlaveState replstate;
    gint64 ack_off;              /* repl_ack_off: highest offset the replica acknowledged */
    gint64 ack_time_s;           /* repl_ack_time (unixtime) */
    gint64 listening_port;       /* REPLCONF listening-port, 0 = unknown */
    gboolean capa_eof;           /* REPLCONF capa eof */
    gboolean capa_psync2;        /* REPLCONF capa psync2 */
    gint64 wait_start_s;         /* when it asked for a full sync (diskless delay) */
    gint64 psync_initial_offset; /* offset sent with +FULLRESYNC */
    gboolean pre_psync;          /* came with SYNC: no +FULLRESYNC line, no ACKs expected */
};

/* A client blocked in WAIT. The id guards against a client freed without telling us: an
 * entry counts only while its client is still in node->clients with the same id. */
typedef struct {
    RcClient *client;
    guint64 id;
} RcWaiter;

/* What a connection said with REPLCONF before it sent PSYNC (it is not a replica yet). */
typedef struct {
    guint64 client_id;
    gint64 listening_port;
    gboolean capa_eof;
    gboolean capa_psync2;
} RcPendingReplica;

/* The replica's record of its master (server.master / server.cached_master). */
typedef struct {
    gboolean is_set;
    char replid[RC_REPL_ID_LEN + 1];
    gint64 reploff;           /* processed offset */
    gint64 lastinteraction_s; /* last byte received (unixtime) */
} RcMasterRecord;

struct RcReplication {
    RcNode *node;

    /* History (both roles). */
    char replid[RC_REPL_ID_LEN + 1];
    char replid2[RC_REPL_ID_LEN + 1];
    gint64 master_repl_offset;
    gint64 second_replid_offset; /* -1 when replid2 is not valid */

    /* Backlog: a circular buffer of the last `size` bytes of the stream, in blocks of
     * RC_REPL_BACKLOG_BLOCK bytes allocated as the stream first reaches them (Redis 7.0's
     * shared replication buffer grows likewise), so memory follows the history and nothing
     * is ever copied to grow it. */
    GPtrArray *backlog;     /* the blocks allocated so far, in ring order; NULL: no backlog */
    gint64 backlog_size;    /* repl-backlog-size: the most history kept */
    gint64 backlog_ring;    /* the ring's length: backlog_size rounded up to whole blocks */
    gint64 backlog_idx;     /* next write position in the ring */
    gint64 backlog_histlen; /* valid bytes */
    gint64 backlog_off;     /* stream offset of the first valid byte */

    /* Master side. */
    int slaveseldb;                 /* -1 forces SELECT before the next command */
    GPtrArray *replicas;            /* RcClient*, in attach order */
    gint64 no_replicas_since_s;     /* repl_no_slaves_since */
    int good_replicas;              /* repl_good_slaves_count */
    gboolean get_ack_from_replicas; /* GETACK before sleeping */
    GArray *waiting;                /* RcWaiter: clients blocked in WAIT, newest first */
    GArray *pending_capa;           /* RcPendingReplica: REPLCONF seen, PSYNC not yet */
    guint64 cron_loops;             /* replication_cron_loops */

    /* Replica side. */
    char *masterhost; /* NULL on a master */
    guint16 masterport;
    RcReplState state;
    guint32 link;                           /* handle of the connection to the master, 0 = none */
    gint64 transfer_lastio_s;               /* last progress of connect, handshake or transfer */
    GByteArray *inbuf;                      /* bytes from the master not yet consumed */
    gint64 transfer_size;                   /* payload length, -1 until the $ line arrived */
    char master_replid[RC_REPL_ID_LEN + 1]; /* from +FULLRESYNC */
    gint64 master_initial_offset;           /* from +FULLRESYNC, -1 = none */
    RcMasterRecord master;                  /* the connected master */
    RcMasterRecord cached_master;           /* kept for PSYNC after a drop or a role change */
    gint64 down_since_s;                    /* repl_down_since, 0 = never synced / up */
    gboolean in_multi;                      /* the master stream opened a MULTI not yet EXECed */
    GPtrArray *multi_queue;                 /* RcArgv* queued by that MULTI */
    GByteArray *multi_raw;                  /* its stream bytes, MULTI included */
    GString *encoded;                       /* reused: a propagated command's encoding */
    GString *discarded;                     /* reused: replies to the master's stream */
    RcArgvView stream_view;                 /* the stream's command being applied, in inbuf */

    guint64 stat_sync_full;
    guint64 stat_sync_partial_ok;
    guint64 stat_sync_partial_err;
    guint64 stat_stream_errors; /* protocol errors on the master stream (link dropped) */
};

/* Bytes of backlog allocated so far: up to backlog_ring, as the stream reaches them. */
static inline gint64 rc_repl_backlog_allocated(const RcReplication *r)
{
    return r->backlog != NULL ? (gint64)r->backlog->len * RC_REPL_BACKLOG_BLOCK : 0;
}

/* Shared helpers between replication.c, replication_master.c and replication_replica.c. */
/* Inline: every request on a master and every command of the stream on a replica asks. */
static inline RcReplication *rc_repl_of(const RcNode *node)
{
    rc_assert(node->repl != NULL);
    return node->repl;
}
gint64 rc_repl_unixtime(const RcNode *node);
void rc_repl_random_id(RcNode *node, char *id);
void rc_repl_change_id(RcReplication *r);
void rc_repl_clear_id2(RcReplication *r);
void rc_repl_shift_id(RcReplication *r);

void rc_repl_backlog_create(RcReplication *r);
void rc_repl_backlog_free(RcReplication *r);
/* Append stream bytes to the backlog and to every online replica; moves the offset. */
void rc_repl_feed(RcReplication *r, const void *data, gsize len);
/* Copy backlog bytes from `offset` (inclusive) to the end into `out`. */
void rc_repl_backlog_copy_from(const RcReplication *r, gint64 offset, GByteArray *out);

/* Master side (replication_master.c). */
void rc_repl_disconnect_replicas(RcNode *node);
void rc_repl_master_cron(RcNode *node);
void rc_repl_refresh_good_replicas(RcNode *node);
int rc_repl_count_acks(const RcNode *node, gint64 offset);
/* A client blocked in WAIT is going away. */
void rc_repl_wait_forget(RcNode *node, RcClient *client);
/* TRUE if `c` is still a live client of `node` with id `id`. */
gboolean rc_repl_client_alive(const RcNode *node, const RcClient *c, guint64 id);

/* Replica side (replication_replica.c). */
void rc_repl_connect_master(RcNode *node);
void rc_repl_cancel_handshake(RcNode *node, gboolean reconnect);
void rc_repl_discard_cached_master(RcNode *node);
/* The connected master's link is gone: keep it as the cached master (replicationCacheMaster). */
void rc_repl_cache_master(RcNode *node);
void rc_repl_cache_master_using_myself(RcNode *node);
void rc_repl_replica_cron(RcNode *node);
void rc_repl_send_ack(RcNode *node);

#endif
