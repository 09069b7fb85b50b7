/* The cluster's state as one node sees it: Redis 7.0's clusterNode and clusterState
 * (cluster.h), with our names. Shared by every cluster module (bus, gossip, failure
 * detection, failover, epochs, migration) and their tests.
 *
 * Determinism: Redis iterates a dict whose order follows hash seeds. We keep nodes in
 * `nodes` (insertion order) and look them up by name in `nodes_by_name`, which is never
 * iterated. Random picks draw an index into `nodes` from the node's stream.
 *
 * Memory: Redis keeps a 2 KB slot bitmap in every clusterNode, so each of N nodes holds N of
 * them (2 GB at a thousand nodes). We keep slot ownership only in the slot table (`slots`,
 * Redis's server.cluster->slots) plus a count per node, and build a node's bitmap from the
 * table's runs when a message needs one (rc_cluster_node_slot_bitmap). */
#ifndef RC_CLUSTER_TYPES_H
#define RC_CLUSTER_TYPES_H

#include <glib.h>
#include <string.h>

#include "core/node_private.h"

#define RC_CLUSTER_SLOTS 16384
#define RC_CLUSTER_NAMELEN 40
#define RC_CLUSTER_OK 0
#define RC_CLUSTER_FAIL 1
#define RC_NET_IP_STR_LEN 46

/* Hard-coded Redis constants (cluster.h). */
#define RC_CLUSTER_FAIL_REPORT_VALIDITY_MULT 2
#define RC_CLUSTER_FAIL_UNDO_TIME_MULT 2
#define RC_CLUSTER_MF_TIMEOUT_MS 5000
#define RC_CLUSTER_MF_PAUSE_MULT 2
#define RC_CLUSTER_SLAVE_MIGRATION_DELAY_MS 5000
#define RC_CLUSTER_BLACKLIST_TTL_S 60
#define RC_CLUSTER_WRITABLE_DELAY_MS 2000
#define RC_CLUSTER_MIN_REJOIN_DELAY_MS 500
#define RC_CLUSTER_MAX_REJOIN_DELAY_MS 5000
#define RC_CLUSTER_PORT_INCR 10000

/* Node flags: values and CLUSTER NODES names as Redis 7.0. */
#define RC_NODE_MASTER 1
#define RC_NODE_SLAVE 2
#define RC_NODE_PFAIL 4
#define RC_NODE_FAIL 8
#define RC_NODE_MYSELF 16
#define RC_NODE_HANDSHAKE 32
#define RC_NODE_NOADDR 64
#define RC_NODE_MEET 128
#define RC_NODE_MIGRATE_TO 256
#define RC_NODE_NOFAILOVER 512
#define RC_NODE_NULL_NAME                                                                          \
    "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000" \
    "\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000"

#define rc_node_is_master(n) (((n)->flags & RC_NODE_MASTER) != 0)
#define rc_node_is_replica(n) (((n)->flags & RC_NODE_SLAVE) != 0)
#define rc_node_in_handshake(n) (((n)->flags & RC_NODE_HANDSHAKE) != 0)
#define rc_node_has_addr(n) (((n)->flags & RC_NODE_NOADDR) == 0)
#define rc_node_timed_out(n) (((n)->flags & RC_NODE_PFAIL) != 0)
#define rc_node_failed(n) (((n)->flags & RC_NODE_FAIL) != 0)
#define rc_node_cant_failover(n) (((n)->flags & RC_NODE_NOFAILOVER) != 0)

/* One bit of a slot bitmap (LSB first in each byte, as Redis's bitmapTestBit): inline, as
 * clusterUpdateSlotsConfigWith and the UPDATE check walk all 16384 per message. */
static inline gboolean rc_bitmap_test(const guint8 *bitmap, int pos)
{
    return (bitmap[pos / 8] & (1u << (pos & 7))) != 0;
}

static inline void rc_bitmap_set(guint8 *bitmap, int pos)
{
    bitmap[pos / 8] |= (guint8)(1u << (pos & 7));
}
static inline void rc_bitmap_clear(guint8 *bitmap, int pos)
{
    bitmap[pos / 8] &= (guint8) ~(1u << (pos & 7));
}

/* 64 bits of a slot bitmap, slots 64*w to 64*w+63 in bits 0 to 63 (the byte order above
 * read little-endian), for passes that go a word at a time instead of a slot at a time. */
#define RC_BITMAP_WORDS (RC_CLUSTER_SLOTS / 64)
static inline guint64 rc_bitmap_word(const guint8 *bitmap, int w)
{
    guint64 v;
    memcpy(&v, bitmap + 8 * w, sizeof v);
    return GUINT64_FROM_LE(v);
}
static inline void rc_bitmap_set_word(guint8 *bitmap, int w, guint64 v)
{
    v = GUINT64_TO_LE(v);
    memcpy(bitmap + 8 * w, &v, sizeof v);
}

typedef struct RcClusterNode RcClusterNode;
typedef struct RcConfCache RcConfCache; /* a node's nodes.conf line (nodes_conf.c) */
typedef struct RcSavedConf RcSavedConf; /* nodes.conf as last saved (nodes_conf.c) */

/* One TCP connection of the bus (clusterLink). */
struct RcClusterLink {
    guint32 handle;        /* the RcConn handle */
    gint64 ctime_ms;       /* when the link was created */
    GByteArray *rcvbuf;    /* bytes of a frame not yet complete */
    RcClusterNode *node;   /* the node at the other end, NULL if not yet known */
    gboolean is_inbound;   /* TRUE if the peer opened it */
    gboolean is_connected; /* FALSE while our connect is pending */
    GPtrArray *pending;    /* GBytes* queued before the connect completed */
};

/* A master's report that a node is PFAIL or FAIL (clusterNodeFailReport). */
typedef struct {
    RcClusterNode *node; /* the reporting master */
    gint64 time_ms;      /* last time it reported */
} RcFailReport;

/* Field order is for the cache: at 1000 nodes every node walks 1000 of these each 100 ms
 * (clusterCron) and looks one up per gossip entry, so what those touch comes first: the
 * first 64 bytes hold the name, the flags, the ports and the links; the next 64 the times
 * and counters the cron and gossip read. */
struct RcClusterNode {
    char name[RC_CLUSTER_NAMELEN]; /* 40 hex chars, not NUL-terminated; the lookup key */
    guint16 flags;                 /* RC_NODE_* */
    guint16 port;                  /* client port */
    guint16 cport;                 /* bus port */
    guint16 pport;                 /* plaintext port when port is TLS, else 0 */
    RcClusterLink *link;           /* the connection I opened to it */
    RcClusterLink *inbound_link;   /* the connection it opened to me */
    gint64 ping_sent_ms;           /* unanswered PING sent, 0 if none */
    gint64 pong_received_ms;       /* last PONG received on my outbound link */
    gint64 data_received_ms;       /* last bus data of any kind received */
    GPtrArray *fail_reports;       /* RcFailReport*, oldest first; NULL before the first */
    guint64 last_in_ping_gossip;   /* ping counter when last put in a gossip section */
    int numslots;                  /* slots it serves: entries of the slot table naming it */
    RcClusterNode *replica_of;     /* its master, if a replica */
    GPtrArray *replicas;           /* RcClusterNode*, if a master */
    gint64 ctime_ms;               /* when this record was created */
    guint64 config_epoch;          /* last configEpoch seen for this node */
    guint64 slots_version;         /* RcCluster.slot_stamp at its last gain or loss, 0 = none */
    gint64 fail_time_ms;           /* when the FAIL flag was set */
    gint64 voted_time_ms;          /* last time I voted for a replica of this master */
    gint64 repl_offset_time_ms;    /* when repl_offset was received */
    gint64 orphaned_time_ms;       /* since when a master has no working replica */
    gint64 repl_offset;            /* last replication offset it advertised */
    char ip[RC_NET_IP_STR_LEN];    /* its last known IP */
    char *hostname;                /* announced hostname, or NULL */
    guint slot_run_first;    /* 1 + index of its first run in the cluster's slot_runs, 0 = none;
                                meaningful only while that cache is built */
    RcConfCache *conf_cache; /* its nodes.conf line as last rendered, NULL before the first */
};

/* Reasons a replica cannot fail over, as clusterLogCantFailover() names them. */
typedef enum {
    RC_CANT_FAILOVER_NONE,
    RC_CANT_FAILOVER_DATA_AGE,
    RC_CANT_FAILOVER_WAITING_DELAY,
    RC_CANT_FAILOVER_EXPIRED,
    RC_CANT_FAILOVER_WAITING_VOTES,
} RcCantFailoverReason;

/* Work deferred to before-sleep (CLUSTER_TODO_*). */
#define RC_CLUSTER_TODO_HANDLE_FAILOVER (1 << 0)
#define RC_CLUSTER_TODO_UPDATE_STATE (1 << 1)
#define RC_CLUSTER_TODO_SAVE_CONFIG (1 << 2)
#define RC_CLUSTER_TODO_FSYNC_CONFIG (1 << 3)
#define RC_CLUSTER_TODO_HANDLE_MANUALFAILOVER (1 << 4)

#define RC_CLUSTERMSG_TYPE_COUNT 11

/* A maximal run of slots with one owner (never NULL): what CLUSTER SLOTS lists. */
typedef struct {
    int first, last;
} RcSlotRun;

struct RcCluster {
    RcClusterNode *myself;                  /* this node */
    guint64 current_epoch;                  /* never decreases */
    int state;                              /* RC_CLUSTER_OK or RC_CLUSTER_FAIL */
    int size;                               /* masters serving at least one slot */
    GPtrArray *nodes;                       /* RcClusterNode*, insertion order; myself included */
    GHashTable *nodes_by_name;              /* 40-byte name (as a NUL-terminated copy) -> node */
    GHashTable *nodes_black_list;           /* name -> expiry in seconds (CLUSTER FORGET ban) */
    RcClusterNode **migrating_slots_to;     /* [RC_CLUSTER_SLOTS], allocated on first use */
    RcClusterNode **importing_slots_from;   /* [RC_CLUSTER_SLOTS], allocated on first use */
    RcClusterNode *slots[RC_CLUSTER_SLOTS]; /* owner of each slot in my view, or NULL */
    guint64 slot_stamp;                     /* bumped by every change of a slot's owner */
    guint8 hdr_slots[RC_CLUSTER_SLOTS / 8]; /* hdr_slots_of's bitmap, for bus headers */
    const RcClusterNode *hdr_slots_of;      /* whose bitmap hdr_slots is, NULL = none */
    guint64 hdr_slots_stamp;                /* slot_stamp when hdr_slots was built */
    GArray *slot_runs;      /* RcSlotRun: cached by rc_cluster_slot_runs, NULL after any change */
    GArray *slot_runs_next; /* guint per run: 1 + index of its owner's next run, 0 = last */
    guint8 owner_not_claiming_slot[RC_CLUSTER_SLOTS / 8]; /* 7.0.13 unclaimed bitmap */

    /* Replica election (clusterHandleSlaveFailover). */
    gint64 failover_auth_time_ms; /* time of previous or next election */
    int failover_auth_count;      /* votes received so far */
    gboolean failover_auth_sent;  /* TRUE once the vote request went out */
    int failover_auth_rank;       /* my rank among my master's replicas */
    guint64 failover_auth_epoch;  /* epoch of the current election */
    RcCantFailoverReason cant_failover_reason;
    gint64 lastlog_time_ms; /* rate limit for "can't failover" logs */

    /* Manual failover. */
    gint64 mf_end_ms;        /* deadline, 0 when no manual failover runs */
    RcClusterNode *mf_slave; /* master side: the replica taking over */
    gint64 mf_master_offset; /* replica side: the master's offset, -1 = unknown */
    gboolean mf_can_start;   /* replica side: the election may start */

    guint64 last_vote_epoch; /* epoch of my last vote */
    int todo_before_sleep;   /* RC_CLUSTER_TODO_* */

    gint64 among_minority_time_ms; /* last time I was in a minority (clusterUpdateState) */
    gint64 first_call_time_ms;     /* first clusterUpdateState() call, ~boot */
    gboolean was_in_minority;      /* among_minority_time_ms is set (Redis: non-zero) */
    gboolean state_evaluated;      /* first_call_time_ms is set (Redis: non-zero) */

    guint64 stats_bus_messages_sent[RC_CLUSTERMSG_TYPE_COUNT];
    guint64 stats_bus_messages_received[RC_CLUSTERMSG_TYPE_COUNT];
    guint64 stats_pfail_nodes;    /* PFAIL nodes counted by the last cron */
    guint64 stats_dropped_frames; /* bad frames from the network, dropped */

    guint64 pings_sent;      /* clusterSendPing calls (cluster_pings_sent) */
    guint64 cron_iteration;  /* clusterCron calls (its static `iteration`) */
    GPtrArray *links;        /* every RcClusterLink, in creation order (owned) */
    RcSavedConf *saved_conf; /* nodes.conf of the last save, NULL before the first */
    gpointer migrate; /* MIGRATE's connection cache and operations (migrate.c), NULL until used */
    gpointer slots_reply; /* CLUSTER SLOTS reply and what it was made of (cluster_cmd.c), NULL
                             until asked */
};

#endif
