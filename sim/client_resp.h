/* The client side of RESP2: a request encoder and an incremental reply parser, plus the
 * reading of cluster redirections (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) and of CLUSTER SLOTS.
 * Independent of core/'s server-side RESP code on purpose: a client that shares the server's
 * parser would share its bugs. Replies come from the (simulated) network, so nothing here
 * asserts on them: malformed input is an error the caller handles like a broken connection. */
#ifndef SIM_CLIENT_RESP_H
#define SIM_CLIENT_RESP_H

#include <glib.h>

#define SIM_REPLY_DEPTH_MAX 8
#define SIM_REPLY_BULK_MAX (64 * 1024 * 1024)
#define SIM_REPLY_ARRAY_MAX 1000000

typedef enum {
    SIM_REPLY_STATUS,    /* +OK */
    SIM_REPLY_ERROR,     /* -ERR ... */
    SIM_REPLY_INTEGER,   /* :1 */
    SIM_REPLY_BULK,      /* $3 foo */
    SIM_REPLY_NIL,       /* $-1 */
    SIM_REPLY_ARRAY,     /* *2 ... */
    SIM_REPLY_NIL_ARRAY, /* *-1 */
} SimReplyType;

typedef struct SimReply SimReply;
struct SimReply {
    SimReplyType type;
    gint64 integer;      /* INTEGER */
    char *str;           /* STATUS, ERROR, BULK: NUL-terminated copy (may hold NULs) */
    gsize len;           /* of str */
    SimReply **elements; /* ARRAY */
    gsize n;             /* ARRAY */
};

/* A reply from sim_reply_reader_pop() is one allocation holding its elements and strings:
 * free only that root, never an element. */
void sim_reply_free(SimReply *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimReply, sim_reply_free)
/* Done with reply `r` (or NULL): keep its block in `*spare` for a later
 * sim_reply_reader_pop_into (the larger of the two blocks is kept), or free it. A client pops
 * a reply for every request: reusing one block spares a malloc and a free each time. */
void sim_reply_recycle(SimReply **spare, SimReply *r);

/* Append `argv` as a RESP array of bulk strings to `out`. */
void sim_resp_encode(GByteArray *out, guint argc, const char *const *argv);
/* The same in two steps, for a caller with a buffer of its own: the most bytes `argv` can
 * take (and each argument's length in lens[0 .. argc)), then the bytes themselves at `out`,
 * which has room for that many. Returns the bytes written. */
gsize sim_resp_encoded_max(guint argc, const char *const *argv, gsize *lens);
gsize sim_resp_encode_to(guint8 *out, guint argc, const char *const *argv, const gsize *lens);

typedef struct SimReplyReader SimReplyReader;
SimReplyReader *sim_reply_reader_new(void);
void sim_reply_reader_free(SimReplyReader *rd);
/* Forget every byte held and any protocol error: the reader is as new (for a new
 * connection), keeping its buffer's room. */
void sim_reply_reader_reset(SimReplyReader *rd);
/* Add bytes as they arrive, in any chunking. */
void sim_reply_reader_feed(SimReplyReader *rd, const guint8 *data, gsize len);
/* The same without copying the bytes when the reader holds none (the usual case: replies
 * arrive whole): the reader reads them where they are until sim_reply_reader_settle, which
 * the caller must call before `data` goes away; settle keeps a copy of what is left (a reply
 * still arriving). The last reply's bytes (sim_reply_reader_last) are valid until then. */
void sim_reply_reader_feed_transient(SimReplyReader *rd, const guint8 *data, gsize len);
void sim_reply_reader_settle(SimReplyReader *rd);
/* The next complete reply, or NULL if more bytes are needed or on a protocol error (then
 * `error` is set: `resp: <reason>`, and the reader stays broken). */
SimReply *sim_reply_reader_pop(SimReplyReader *rd, GError **error);
/* The same, laying the reply out in `*spare` when that block is large enough (it is then
 * taken: *spare becomes NULL). `spare` may be NULL. */
SimReply *sim_reply_reader_pop_into(SimReplyReader *rd, SimReply **spare, GError **error);
/* Bytes held that do not yet make a complete reply. */
gsize sim_reply_reader_pending(const SimReplyReader *rd);
/* The raw bytes of the reply the last successful pop returned (`*len` of them); valid until
 * the next feed. */
const guint8 *sim_reply_reader_last(const SimReplyReader *rd, gsize *len);
/* When the held bytes begin with `bytes` (a whole reply as sim_reply_reader_last gave it),
 * consume them and return TRUE: the caller knows that reply without parsing it again (RESP
 * is self-delimiting, so a buffer that starts with a complete reply's bytes holds exactly
 * that reply first). FALSE, consuming nothing, otherwise or when the reader is broken. */
gboolean sim_reply_reader_skip(SimReplyReader *rd, const guint8 *bytes, gsize len);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimReplyReader, sim_reply_reader_free)

typedef enum {
    SIM_REDIRECT_NONE,        /* not a cluster error */
    SIM_REDIRECT_MOVED,       /* -MOVED slot ip:port */
    SIM_REDIRECT_ASK,         /* -ASK slot ip:port */
    SIM_REDIRECT_TRYAGAIN,    /* -TRYAGAIN ... */
    SIM_REDIRECT_CLUSTERDOWN, /* -CLUSTERDOWN ... */
} SimRedirectKind;

typedef struct {
    SimRedirectKind kind;
    guint slot;  /* MOVED, ASK */
    char ip[46]; /* MOVED, ASK */
    guint16 port;
} SimRedirect;

/* Classify an error reply's text (without the leading '-'). A malformed MOVED/ASK (bad slot,
 * no port) is NONE: the client then treats it as an ordinary error. */
SimRedirectKind sim_redirect_parse(const char *err, SimRedirect *out);

/* One slot range of a CLUSTER SLOTS reply: its master's address. */
typedef struct {
    guint first, last;
    char ip[46];
    guint16 port;
} SimSlotRange;

/* Read a CLUSTER SLOTS reply into ranges (of SimSlotRange). FALSE with `cluster slots:
 * <reason>` when it is not shaped like one. */
gboolean sim_cluster_slots_parse(const SimReply *r, GArray *ranges, GError **error);

#endif
