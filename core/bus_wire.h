/* The Redis 7.0 cluster bus message, byte for byte (cluster.h: clusterMsg).
 *
 * A message is a fixed 2256-byte header followed by a body whose shape depends on the type.
 * Every integer is big-endian on the wire; names are 40 raw bytes; IP fields are 46 raw
 * bytes. We never cast a receive buffer onto a struct: RcBusMsg is a decoded copy, filled
 * and written with explicit big-endian helpers at the offsets pinned in bus_wire.c.
 *
 * Fields that Redis sends as zeros or copies verbatim from memory (the 30 unused header
 * bytes, IP bytes after the terminating NUL, the gossip `notused1`) are kept raw, so a
 * frame captured from a real redis-server re-encodes to the very same bytes.
 *
 * Checks (Redis's, in Redis's two places):
 *  - framing (clusterReadHandler): signature "RCmb" and totlen >= 2256, else the link must
 *    be closed (rc_bus_frame_check);
 *  - processing (clusterProcessPacket): version 1 and totlen equal to the length the type
 *    implies, else the frame is dropped and the link kept (rc_bus_decode). */
#ifndef RC_BUS_WIRE_H
#define RC_BUS_WIRE_H

#include <glib.h>

#include "core/cluster.h"

#define RC_BUS_HDR_LEN 2256    /* CLUSTERMSG_MIN_LEN: the header without the body */
#define RC_BUS_GOSSIP_LEN 104  /* clusterMsgDataGossip */
#define RC_BUS_FAIL_LEN 40     /* clusterMsgDataFail */
#define RC_BUS_UPDATE_LEN 2096 /* clusterMsgDataUpdate: configEpoch, name, slots */
#define RC_BUS_PROTO_VER 1
#define RC_BUS_SLOTS_LEN (RC_CLUSTER_SLOTS / 8)
#define RC_BUS_EXT_HDR_LEN 8  /* clusterMsgPingExt: length u32, type u16, unused u16 */
#define RC_BUS_EXT_HOSTNAME 0 /* CLUSTERMSG_EXT_TYPE_HOSTNAME */
/* A frame longer than this is refused by rcsim's framing (Redis has no cap; a 1000-node
 * PING with every node PFAIL is ~110 KB, a PUBLISH can be large but bounded here). */
#define RC_BUS_MAX_FRAME (16u * 1024 * 1024)

/* mflags[0] bits (CLUSTERMSG_FLAG0_*). */
#define RC_BUS_FLAG0_PAUSED (1 << 0)
#define RC_BUS_FLAG0_FORCEACK (1 << 1)
#define RC_BUS_FLAG0_EXT_DATA (1 << 2)

/* One gossip entry (clusterMsgDataGossip), 104 bytes. Times are in seconds. */
typedef struct {
    char nodename[RC_CLUSTER_NAMELEN];
    guint32 ping_sent_s;
    guint32 pong_received_s;
    guint8 ip[RC_NET_IP_STR_LEN]; /* raw; a NUL-terminated address in practice */
    guint16 port;
    guint16 cport;
    guint16 flags;
    guint16 pport;
    guint16 notused1;
} RcBusGossip;

/* One ping extension (clusterMsgPingExt), kept raw for exact re-encoding. */
typedef struct {
    guint16 type;
    guint16 unused;
    GBytes *payload; /* length - 8 bytes */
} RcBusExt;

/* A decoded message. Header fields in Redis order; the body in the member for `type`. */
typedef struct {
    guint32 totlen;
    guint16 ver;
    guint16 port;
    guint16 type;
    guint16 count;
    guint64 current_epoch;
    guint64 config_epoch;
    guint64 offset;
    char sender[RC_CLUSTER_NAMELEN];
    guint8 myslots[RC_BUS_SLOTS_LEN];
    char slaveof[RC_CLUSTER_NAMELEN];
    guint8 myip[RC_NET_IP_STR_LEN];
    guint16 extensions;
    guint8 unused[30];
    guint16 pport;
    guint16 cport;
    guint16 flags;
    guint8 state;
    guint8 mflags[3];

    /* PING, PONG, MEET */
    GArray *gossip; /* of RcBusGossip; `count` entries */
    GArray *exts;   /* of RcBusExt; `extensions` entries (only with EXT_DATA) */
    /* FAIL */
    char fail_about[RC_CLUSTER_NAMELEN];
    /* UPDATE */
    guint64 update_config_epoch;
    char update_name[RC_CLUSTER_NAMELEN];
    guint8 update_slots[RC_BUS_SLOTS_LEN];
    /* PUBLISH, PUBLISHSHARD */
    GBytes *channel;
    GBytes *message;
    /* MODULE */
    guint8 module_id[8]; /* opaque (Redis sends it in host order) */
    guint8 module_type;
    GBytes *module_payload;
    /* Unknown types: the body as received, re-encoded verbatim. */
    GBytes *raw_body;
} RcBusMsg;

typedef enum {
    RC_BUS_ERR_SIGNATURE, /* not "RCmb": close the link */
    RC_BUS_ERR_SHORT,     /* totlen < 2256: close the link */
    RC_BUS_ERR_OVERSIZED, /* totlen > RC_BUS_MAX_FRAME: close the link (rcsim's cap) */
    RC_BUS_ERR_TRUNCATED, /* fewer bytes than totlen: drop */
    RC_BUS_ERR_VERSION,   /* ver != 1: drop */
    RC_BUS_ERR_LENGTH,    /* totlen differs from what the type implies: drop */
    RC_BUS_ERR_EXTENSION, /* a malformed ping extension: drop */
} RcBusError;

#define RC_BUS_ERROR (rc_bus_error_quark())
GQuark rc_bus_error_quark(void);

/* Initialise an empty message of `type` (every field zero, signature and version set on
 * encode). */
void rc_bus_msg_init(RcBusMsg *msg, guint16 type);
/* Release what a message owns; the struct itself is the caller's. */
void rc_bus_msg_clear(RcBusMsg *msg);
void rc_bus_msg_add_gossip(RcBusMsg *msg, const RcBusGossip *g);
/* Append the 7.0 hostname extension (sets EXT_DATA); `hostname` non-empty. */
void rc_bus_msg_add_hostname(RcBusMsg *msg, const char *hostname);
/* The hostname extension's text, or NULL if there is none. */
const char *rc_bus_msg_hostname(const RcBusMsg *msg);

/* Check the first 8 bytes of a frame as clusterReadHandler does. On success stores the
 * total length in `totlen`. An error here means the link must be closed. */
gboolean rc_bus_frame_check(const guint8 *hdr8, guint32 *totlen, GError **error);

/* Decode a whole frame (`len` bytes, which must equal totlen). FALSE with an RC_BUS_ERROR
 * when Redis would drop it; `msg` is then cleared. */
gboolean rc_bus_decode(const guint8 *buf, gsize len, RcBusMsg *msg, GError **error);

/* Encode `msg`; totlen, count and extensions are computed from the body. */
GBytes *rc_bus_encode(const RcBusMsg *msg);

const char *rc_bus_type_name(int type); /* "ping", "pong", ... "auth-req" (INFO names) */

/* Big-endian helpers. */
static inline void rc_be16_put(guint8 *p, guint16 v)
{
    p[0] = (guint8)(v >> 8);
    p[1] = (guint8)v;
}
static inline void rc_be32_put(guint8 *p, guint32 v)
{
    p[0] = (guint8)(v >> 24);
    p[1] = (guint8)(v >> 16);
    p[2] = (guint8)(v >> 8);
    p[3] = (guint8)v;
}
static inline void rc_be64_put(guint8 *p, guint64 v)
{
    rc_be32_put(p, (guint32)(v >> 32));
    rc_be32_put(p + 4, (guint32)v);
}
static inline guint16 rc_be16_get(const guint8 *p)
{
    return (guint16)(((guint16)p[0] << 8) | p[1]);
}
static inline guint32 rc_be32_get(const guint8 *p)
{
    return ((guint32)p[0] << 24) | ((guint32)p[1] << 16) | ((guint32)p[2] << 8) | p[3];
}
static inline guint64 rc_be64_get(const guint8 *p)
{
    return ((guint64)rc_be32_get(p) << 32) | rc_be32_get(p + 4);
}

#endif
