/* Encoding and decoding of the Redis 7.0 cluster bus message (see bus_wire.h).
 *
 * The packed structs below exist only to pin Redis's offsets with _Static_assert; no buffer
 * is ever cast onto them. Reading and writing go through the big-endian helpers at the
 * offsets the structs yield. */
#include "core/bus_wire.h"

#include <stddef.h>
#include <string.h>

typedef struct __attribute__((packed)) {
    char nodename[40];
    guint32 ping_sent;
    guint32 pong_received;
    char ip[46];
    guint16 port;
    guint16 cport;
    guint16 flags;
    guint16 pport;
    guint16 notused1;
} WireGossip;

typedef struct __attribute__((packed)) {
    char sig[4];
    guint32 totlen;
    guint16 ver;
    guint16 port;
    guint16 type;
    guint16 count;
    guint64 current_epoch;
    guint64 config_epoch;
    guint64 offset;
    char sender[40];
    guint8 myslots[2048];
    char slaveof[40];
    char myip[46];
    guint16 extensions;
    char notused1[30];
    guint16 pport;
    guint16 cport;
    guint16 flags;
    guint8 state;
    guint8 mflags[3];
} WireHdr;

typedef struct __attribute__((packed)) {
    guint64 config_epoch;
    char nodename[40];
    guint8 slots[2048];
} WireUpdate;

typedef struct __attribute__((packed)) {
    guint32 channel_len;
    guint32 message_len;
} WirePublish;

typedef struct __attribute__((packed)) {
    guint64 module_id;
    guint32 len;
    guint8 type;
} WireModule;

typedef struct __attribute__((packed)) {
    guint32 length;
    guint16 type;
    guint16 unused;
} WireExt;

#define OFF(f) offsetof(WireHdr, f)
_Static_assert(OFF(sig) == 0, "sig");
_Static_assert(OFF(totlen) == 4, "totlen");
_Static_assert(OFF(ver) == 8, "ver");
_Static_assert(OFF(port) == 10, "port");
_Static_assert(OFF(type) == 12, "type");
_Static_assert(OFF(count) == 14, "count");
_Static_assert(OFF(current_epoch) == 16, "currentEpoch");
_Static_assert(OFF(config_epoch) == 24, "configEpoch");
_Static_assert(OFF(offset) == 32, "offset");
_Static_assert(OFF(sender) == 40, "sender");
_Static_assert(OFF(myslots) == 80, "myslots");
_Static_assert(OFF(slaveof) == 2128, "slaveof");
_Static_assert(OFF(myip) == 2168, "myip");
_Static_assert(OFF(extensions) == 2214, "extensions");
_Static_assert(OFF(notused1) == 2216, "notused1");
_Static_assert(OFF(pport) == 2246, "pport");
_Static_assert(OFF(cport) == 2248, "cport");
_Static_assert(OFF(flags) == 2250, "flags");
_Static_assert(OFF(state) == 2252, "state");
_Static_assert(OFF(mflags) == 2253, "mflags");
_Static_assert(sizeof(WireHdr) == RC_BUS_HDR_LEN, "header length");
_Static_assert(offsetof(WireGossip, ping_sent) == 40, "gossip ping_sent");
_Static_assert(offsetof(WireGossip, pong_received) == 44, "gossip pong_received");
_Static_assert(offsetof(WireGossip, ip) == 48, "gossip ip");
_Static_assert(offsetof(WireGossip, port) == 94, "gossip port");
_Static_assert(offsetof(WireGossip, cport) == 96, "gossip cport");
_Static_assert(offsetof(WireGossip, flags) == 98, "gossip flags");
_Static_assert(offsetof(WireGossip, pport) == 100, "gossip pport");
_Static_assert(offsetof(WireGossip, notused1) == 102, "gossip notused1");
_Static_assert(sizeof(WireGossip) == RC_BUS_GOSSIP_LEN, "gossip length");
_Static_assert(offsetof(WireUpdate, nodename) == 8, "update nodename");
_Static_assert(offsetof(WireUpdate, slots) == 48, "update slots");
_Static_assert(sizeof(WireUpdate) == RC_BUS_UPDATE_LEN, "update length");
_Static_assert(sizeof(WirePublish) == 8, "publish lengths");
_Static_assert(offsetof(WireModule, len) == 8, "module len");
_Static_assert(offsetof(WireModule, type) == 12, "module type");
_Static_assert(sizeof(WireModule) == 13, "module header");
_Static_assert(sizeof(WireExt) == RC_BUS_EXT_HDR_LEN, "extension header");

G_DEFINE_QUARK(rc - bus - error - quark, rc_bus_error)

static void ext_clear(gpointer p)
{
    RcBusExt *e = p;
    g_clear_pointer(&e->payload, g_bytes_unref);
}

void rc_bus_msg_init(RcBusMsg *msg, guint16 type)
{
    memset(msg, 0, sizeof *msg);
    msg->ver = RC_BUS_PROTO_VER;
    msg->type = type;
}

void rc_bus_msg_clear(RcBusMsg *msg)
{
    g_clear_pointer(&msg->gossip, g_array_unref);
    g_clear_pointer(&msg->exts, g_array_unref);
    g_clear_pointer(&msg->channel, g_bytes_unref);
    g_clear_pointer(&msg->message, g_bytes_unref);
    g_clear_pointer(&msg->module_payload, g_bytes_unref);
    g_clear_pointer(&msg->raw_body, g_bytes_unref);
}

static gboolean is_ping_type(guint16 type)
{
    return type == RC_MSG_PING || type == RC_MSG_PONG || type == RC_MSG_MEET;
}

void rc_bus_msg_add_gossip(RcBusMsg *msg, const RcBusGossip *g)
{
    if (msg->gossip == NULL)
        msg->gossip = g_array_new(FALSE, FALSE, sizeof(RcBusGossip));
    g_array_append_val(msg->gossip, *g);
    msg->count = (guint16)msg->gossip->len;
}

static void add_ext(RcBusMsg *msg, guint16 type, guint16 unused, GBytes *payload)
{
    if (msg->exts == NULL) {
        msg->exts = g_array_new(FALSE, TRUE, sizeof(RcBusExt));
        g_array_set_clear_func(msg->exts, ext_clear);
    }
    RcBusExt e = {.type = type, .unused = unused, .payload = payload};
    g_array_append_val(msg->exts, e);
    msg->extensions = (guint16)msg->exts->len;
}

void rc_bus_msg_add_hostname(RcBusMsg *msg, const char *hostname)
{
    gsize n = strlen(hostname);
    rc_assert(n > 0);
    gsize padded = (n + 1 + 7) & ~(gsize)7; /* NUL included, 8-byte aligned */
    guint8 *buf = g_malloc0(padded);
    memcpy(buf, hostname, n);
    add_ext(msg, RC_BUS_EXT_HOSTNAME, 0, g_bytes_new_take(buf, padded));
    msg->mflags[0] |= RC_BUS_FLAG0_EXT_DATA;
}

const char *rc_bus_msg_hostname(const RcBusMsg *msg)
{
    if (msg->exts == NULL)
        return NULL;
    const char *found = NULL;
    for (guint i = 0; i < msg->exts->len; i++) {
        const RcBusExt *e = &g_array_index(msg->exts, RcBusExt, i);
        if (e->type == RC_BUS_EXT_HOSTNAME)
            found = g_bytes_get_data(e->payload, NULL); /* NUL checked by the decoder */
    }
    return found;
}

const char *rc_bus_type_name(int type)
{
    static const char *const names[RC_CLUSTERMSG_TYPE_COUNT] = {
        "ping",     "pong",   "meet",    "fail",   "publish",      "auth-req",
        "auth-ack", "update", "mfstart", "module", "publishshard",
    };
    if (type >= 0 && type < RC_CLUSTERMSG_TYPE_COUNT)
        return names[type];
    return "unknown";
}

gboolean rc_bus_frame_check(const guint8 *hdr8, guint32 *totlen, GError **error)
{
    if (memcmp(hdr8, "RCmb", 4) != 0) {
        g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_SIGNATURE, "frame: sig: expected \"RCmb\"");
        return FALSE;
    }
    guint32 len = rc_be32_get(hdr8 + OFF(totlen));
    if (len < RC_BUS_HDR_LEN) {
        g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_SHORT, "frame: totlen: %u < %u", len,
                    (guint)RC_BUS_HDR_LEN);
        return FALSE;
    }
    if (len > RC_BUS_MAX_FRAME) {
        g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_OVERSIZED, "frame: totlen: %u > %u", len,
                    (guint)RC_BUS_MAX_FRAME);
        return FALSE;
    }
    *totlen = len;
    return TRUE;
}

/* The length the type implies (clusterProcessPacket's explen), extensions validated.
 * Returns FALSE with an error when the extensions are malformed. */
static gboolean expected_length(const guint8 *buf, guint32 totlen, guint64 *explen, GError **error)
{
    guint16 type = rc_be16_get(buf + OFF(type));
    guint64 len = RC_BUS_HDR_LEN;
    if (is_ping_type(type)) {
        guint16 count = rc_be16_get(buf + OFF(count));
        guint16 exts = rc_be16_get(buf + OFF(extensions));
        len += (guint64)RC_BUS_GOSSIP_LEN * count;
        gboolean has_ext = (buf[OFF(mflags)] & RC_BUS_FLAG0_EXT_DATA) != 0;
        if (exts > 0 && !has_ext) {
            g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_EXTENSION,
                        "frame: extensions: %u without EXT_DATA", exts);
            return FALSE;
        }
        for (guint16 i = 0; has_ext && i < exts; i++) {
            if (len + RC_BUS_EXT_HDR_LEN > totlen) {
                g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_EXTENSION,
                            "frame: extension %u: header beyond totlen %u", i, totlen);
                return FALSE;
            }
            guint32 extlen = rc_be32_get(buf + len);
            if (extlen % 8 != 0 || extlen < RC_BUS_EXT_HDR_LEN) {
                g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_EXTENSION,
                            "frame: extension %u: length %u not a multiple of 8", i, extlen);
                return FALSE;
            }
            if (totlen - len < extlen) {
                g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_EXTENSION,
                            "frame: extension %u: length %u exceeds totlen %u", i, extlen, totlen);
                return FALSE;
            }
            if (rc_be16_get(buf + len + 4) == RC_BUS_EXT_HOSTNAME &&
                memchr(buf + len + RC_BUS_EXT_HDR_LEN, 0, extlen - RC_BUS_EXT_HDR_LEN) == NULL) {
                g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_EXTENSION,
                            "frame: extension %u: hostname not NUL-terminated", i);
                return FALSE;
            }
            len += extlen;
        }
    } else if (type == RC_MSG_FAIL) {
        len += RC_BUS_FAIL_LEN;
    } else if (type == RC_MSG_PUBLISH || type == RC_MSG_PUBLISHSHARD) {
        if (totlen < RC_BUS_HDR_LEN + sizeof(WirePublish)) {
            *explen = RC_BUS_HDR_LEN + sizeof(WirePublish);
            return TRUE;
        }
        len +=
            8 + (guint64)rc_be32_get(buf + RC_BUS_HDR_LEN) + rc_be32_get(buf + RC_BUS_HDR_LEN + 4);
    } else if (type == RC_MSG_FAILOVER_AUTH_REQUEST || type == RC_MSG_FAILOVER_AUTH_ACK ||
               type == RC_MSG_MFSTART) {
        /* the header alone */
    } else if (type == RC_MSG_UPDATE) {
        len += RC_BUS_UPDATE_LEN;
    } else if (type == RC_MSG_MODULE) {
        if (totlen < RC_BUS_HDR_LEN + sizeof(WireModule)) {
            *explen = RC_BUS_HDR_LEN + sizeof(WireModule);
            return TRUE;
        }
        len += sizeof(WireModule) + (guint64)rc_be32_get(buf + RC_BUS_HDR_LEN + 8);
    } else {
        len = totlen; /* unknown type: assumed well formed */
    }
    *explen = len;
    return TRUE;
}

static void decode_gossip(const guint8 *p, RcBusGossip *g)
{
    memcpy(g->nodename, p, RC_CLUSTER_NAMELEN);
    g->ping_sent_s = rc_be32_get(p + offsetof(WireGossip, ping_sent));
    g->pong_received_s = rc_be32_get(p + offsetof(WireGossip, pong_received));
    memcpy(g->ip, p + offsetof(WireGossip, ip), RC_NET_IP_STR_LEN);
    g->port = rc_be16_get(p + offsetof(WireGossip, port));
    g->cport = rc_be16_get(p + offsetof(WireGossip, cport));
    g->flags = rc_be16_get(p + offsetof(WireGossip, flags));
    g->pport = rc_be16_get(p + offsetof(WireGossip, pport));
    g->notused1 = rc_be16_get(p + offsetof(WireGossip, notused1));
}

static void encode_gossip(guint8 *p, const RcBusGossip *g)
{
    memcpy(p, g->nodename, RC_CLUSTER_NAMELEN);
    rc_be32_put(p + offsetof(WireGossip, ping_sent), g->ping_sent_s);
    rc_be32_put(p + offsetof(WireGossip, pong_received), g->pong_received_s);
    memcpy(p + offsetof(WireGossip, ip), g->ip, RC_NET_IP_STR_LEN);
    rc_be16_put(p + offsetof(WireGossip, port), g->port);
    rc_be16_put(p + offsetof(WireGossip, cport), g->cport);
    rc_be16_put(p + offsetof(WireGossip, flags), g->flags);
    rc_be16_put(p + offsetof(WireGossip, pport), g->pport);
    rc_be16_put(p + offsetof(WireGossip, notused1), g->notused1);
}

static void decode_header(const guint8 *buf, RcBusMsg *m)
{
    m->totlen = rc_be32_get(buf + OFF(totlen));
    m->ver = rc_be16_get(buf + OFF(ver));
    m->port = rc_be16_get(buf + OFF(port));
    m->type = rc_be16_get(buf + OFF(type));
    m->count = rc_be16_get(buf + OFF(count));
    m->current_epoch = rc_be64_get(buf + OFF(current_epoch));
    m->config_epoch = rc_be64_get(buf + OFF(config_epoch));
    m->offset = rc_be64_get(buf + OFF(offset));
    memcpy(m->sender, buf + OFF(sender), RC_CLUSTER_NAMELEN);
    memcpy(m->myslots, buf + OFF(myslots), RC_BUS_SLOTS_LEN);
    memcpy(m->slaveof, buf + OFF(slaveof), RC_CLUSTER_NAMELEN);
    memcpy(m->myip, buf + OFF(myip), RC_NET_IP_STR_LEN);
    m->extensions = rc_be16_get(buf + OFF(extensions));
    memcpy(m->unused, buf + OFF(notused1), sizeof m->unused);
    m->pport = rc_be16_get(buf + OFF(pport));
    m->cport = rc_be16_get(buf + OFF(cport));
    m->flags = rc_be16_get(buf + OFF(flags));
    m->state = buf[OFF(state)];
    memcpy(m->mflags, buf + OFF(mflags), 3);
}

static void encode_header(guint8 *buf, const RcBusMsg *m, guint32 totlen, guint16 count,
                          guint16 extensions)
{
    memcpy(buf + OFF(sig), "RCmb", 4);
    rc_be32_put(buf + OFF(totlen), totlen);
    rc_be16_put(buf + OFF(ver), m->ver);
    rc_be16_put(buf + OFF(port), m->port);
    rc_be16_put(buf + OFF(type), m->type);
    rc_be16_put(buf + OFF(count), count);
    rc_be64_put(buf + OFF(current_epoch), m->current_epoch);
    rc_be64_put(buf + OFF(config_epoch), m->config_epoch);
    rc_be64_put(buf + OFF(offset), m->offset);
    memcpy(buf + OFF(sender), m->sender, RC_CLUSTER_NAMELEN);
    memcpy(buf + OFF(myslots), m->myslots, RC_BUS_SLOTS_LEN);
    memcpy(buf + OFF(slaveof), m->slaveof, RC_CLUSTER_NAMELEN);
    memcpy(buf + OFF(myip), m->myip, RC_NET_IP_STR_LEN);
    rc_be16_put(buf + OFF(extensions), extensions);
    memcpy(buf + OFF(notused1), m->unused, sizeof m->unused);
    rc_be16_put(buf + OFF(pport), m->pport);
    rc_be16_put(buf + OFF(cport), m->cport);
    rc_be16_put(buf + OFF(flags), m->flags);
    buf[OFF(state)] = m->state;
    memcpy(buf + OFF(mflags), m->mflags, 3);
}

gboolean rc_bus_decode(const guint8 *buf, gsize len, RcBusMsg *msg, GError **error)
{
    memset(msg, 0, sizeof *msg);
    if (len < RC_BUS_HDR_LEN) {
        g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_TRUNCATED,
                    "frame: length: %" G_GSIZE_FORMAT " bytes < header %u", len,
                    (guint)RC_BUS_HDR_LEN);
        return FALSE;
    }
    guint32 totlen = 0;
    if (!rc_bus_frame_check(buf, &totlen, error))
        return FALSE;
    if (totlen != len) {
        g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_TRUNCATED,
                    "frame: totlen: %u but %" G_GSIZE_FORMAT " bytes", totlen, len);
        return FALSE;
    }
    guint16 ver = rc_be16_get(buf + OFF(ver));
    if (ver != RC_BUS_PROTO_VER) {
        g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_VERSION, "frame: ver: %u, expected %u", ver,
                    (guint)RC_BUS_PROTO_VER);
        return FALSE;
    }
    guint64 explen = 0;
    if (!expected_length(buf, totlen, &explen, error))
        return FALSE;
    if (explen != totlen) {
        g_set_error(error, RC_BUS_ERROR, RC_BUS_ERR_LENGTH,
                    "frame: totlen: %u, expected %" G_GUINT64_FORMAT " for type %s", totlen, explen,
                    rc_bus_type_name(rc_be16_get(buf + OFF(type))));
        return FALSE;
    }

    decode_header(buf, msg);
    const guint8 *body = buf + RC_BUS_HDR_LEN;
    gsize body_len = totlen - RC_BUS_HDR_LEN;
    if (is_ping_type(msg->type)) {
        msg->gossip = g_array_sized_new(FALSE, FALSE, sizeof(RcBusGossip), msg->count);
        for (guint i = 0; i < msg->count; i++) {
            RcBusGossip g;
            decode_gossip(body + (gsize)i * RC_BUS_GOSSIP_LEN, &g);
            g_array_append_val(msg->gossip, g);
        }
        gsize at = (gsize)msg->count * RC_BUS_GOSSIP_LEN;
        guint16 n_ext = msg->extensions;
        if (msg->mflags[0] & RC_BUS_FLAG0_EXT_DATA) {
            for (guint16 i = 0; i < n_ext; i++) {
                guint32 extlen = rc_be32_get(body + at);
                GBytes *payload =
                    g_bytes_new(body + at + RC_BUS_EXT_HDR_LEN, extlen - RC_BUS_EXT_HDR_LEN);
                add_ext(msg, rc_be16_get(body + at + 4), rc_be16_get(body + at + 6), payload);
                at += extlen;
            }
        }
        msg->extensions = n_ext;
        rc_assert(at == body_len);
    } else if (msg->type == RC_MSG_FAIL) {
        memcpy(msg->fail_about, body, RC_CLUSTER_NAMELEN);
    } else if (msg->type == RC_MSG_UPDATE) {
        msg->update_config_epoch = rc_be64_get(body);
        memcpy(msg->update_name, body + offsetof(WireUpdate, nodename), RC_CLUSTER_NAMELEN);
        memcpy(msg->update_slots, body + offsetof(WireUpdate, slots), RC_BUS_SLOTS_LEN);
    } else if (msg->type == RC_MSG_PUBLISH || msg->type == RC_MSG_PUBLISHSHARD) {
        guint32 cl = rc_be32_get(body), ml = rc_be32_get(body + 4);
        msg->channel = g_bytes_new(body + 8, cl);
        msg->message = g_bytes_new(body + 8 + cl, ml);
    } else if (msg->type == RC_MSG_MODULE) {
        memcpy(msg->module_id, body, 8);
        msg->module_type = body[offsetof(WireModule, type)];
        msg->module_payload =
            g_bytes_new(body + sizeof(WireModule), rc_be32_get(body + offsetof(WireModule, len)));
    } else if (!(msg->type == RC_MSG_FAILOVER_AUTH_REQUEST ||
                 msg->type == RC_MSG_FAILOVER_AUTH_ACK || msg->type == RC_MSG_MFSTART)) {
        msg->raw_body = g_bytes_new(body, body_len);
    }
    return TRUE;
}

GBytes *rc_bus_encode(const RcBusMsg *m)
{
    GByteArray *b = g_byte_array_sized_new(RC_BUS_HDR_LEN + 256);
    g_byte_array_set_size(b, RC_BUS_HDR_LEN);
    memset(b->data, 0, RC_BUS_HDR_LEN);
    guint16 count = m->count, extensions = m->extensions;
    if (is_ping_type(m->type)) {
        count = m->gossip ? (guint16)m->gossip->len : 0;
        guint8 g[RC_BUS_GOSSIP_LEN];
        for (guint i = 0; i < count; i++) {
            encode_gossip(g, &g_array_index(m->gossip, RcBusGossip, i));
            g_byte_array_append(b, g, sizeof g);
        }
        guint n_ext = m->exts ? m->exts->len : 0;
        rc_assert(n_ext == 0 || (m->mflags[0] & RC_BUS_FLAG0_EXT_DATA));
        extensions = (guint16)n_ext;
        for (guint i = 0; i < n_ext; i++) {
            const RcBusExt *e = &g_array_index(m->exts, RcBusExt, i);
            gsize plen = g_bytes_get_size(e->payload);
            guint8 eh[RC_BUS_EXT_HDR_LEN];
            rc_be32_put(eh, (guint32)(plen + RC_BUS_EXT_HDR_LEN));
            rc_be16_put(eh + 4, e->type);
            rc_be16_put(eh + 6, e->unused);
            g_byte_array_append(b, eh, sizeof eh);
            g_byte_array_append(b, g_bytes_get_data(e->payload, NULL), (guint)plen);
        }
    } else if (m->type == RC_MSG_FAIL) {
        g_byte_array_append(b, (const guint8 *)m->fail_about, RC_CLUSTER_NAMELEN);
    } else if (m->type == RC_MSG_UPDATE) {
        guint8 e[8];
        rc_be64_put(e, m->update_config_epoch);
        g_byte_array_append(b, e, 8);
        g_byte_array_append(b, (const guint8 *)m->update_name, RC_CLUSTER_NAMELEN);
        g_byte_array_append(b, m->update_slots, RC_BUS_SLOTS_LEN);
    } else if (m->type == RC_MSG_PUBLISH || m->type == RC_MSG_PUBLISHSHARD) {
        gsize cl = 0, ml = 0;
        const guint8 *cd = m->channel ? g_bytes_get_data(m->channel, &cl) : NULL;
        const guint8 *md = m->message ? g_bytes_get_data(m->message, &ml) : NULL;
        guint8 lens[8];
        rc_be32_put(lens, (guint32)cl);
        rc_be32_put(lens + 4, (guint32)ml);
        g_byte_array_append(b, lens, 8);
        if (cl)
            g_byte_array_append(b, cd, (guint)cl);
        if (ml)
            g_byte_array_append(b, md, (guint)ml);
    } else if (m->type == RC_MSG_MODULE) {
        gsize pl = 0;
        const guint8 *pd = m->module_payload ? g_bytes_get_data(m->module_payload, &pl) : NULL;
        guint8 mh[sizeof(WireModule)];
        memcpy(mh, m->module_id, 8);
        rc_be32_put(mh + 8, (guint32)pl);
        mh[12] = m->module_type;
        g_byte_array_append(b, mh, sizeof mh);
        if (pl)
            g_byte_array_append(b, pd, (guint)pl);
    } else if (m->raw_body != NULL) {
        gsize rl = 0;
        const guint8 *rd = g_bytes_get_data(m->raw_body, &rl);
        if (rl)
            g_byte_array_append(b, rd, (guint)rl);
    }
    rc_assert(b->len <= RC_BUS_MAX_FRAME);
    encode_header(b->data, m, b->len, count, extensions);
    return g_byte_array_free_to_bytes(b);
}
