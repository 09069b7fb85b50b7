/* RESP2 for clients: encode requests, parse replies incrementally, read redirections. */
#include "sim/client_resp.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/resp.h"
#include "core/short_copy.h"

GQuark sim_resp_error_quark(void);
G_DEFINE_QUARK(sim - resp - error - quark, sim_resp_error)
#define SIM_RESP_ERROR (sim_resp_error_quark())

/* A parsed reply is one allocation (see build_reply): its elements and strings live in the
 * root's block, so only a root is ever freed. The block starts with its size, so that a
 * recycled block can serve a later reply that fits (sim_reply_recycle). */
typedef struct {
    gsize bytes; /* of the block after this header, where the reply is laid out */
} ReplyBlock;
G_STATIC_ASSERT(G_ALIGNOF(SimReply) <= sizeof(ReplyBlock));

static ReplyBlock *reply_block(SimReply *r)
{
    return (ReplyBlock *)r - 1;
}

/* Room for `bytes` of reply: `spare` if it is large enough (it is then used up), else a new
 * block. */
static SimReply *reply_alloc(gsize bytes, SimReply **spare)
{
    if (spare != NULL && *spare != NULL && reply_block(*spare)->bytes >= bytes)
        return g_steal_pointer(spare);
    ReplyBlock *b = g_malloc(sizeof(ReplyBlock) + bytes);
    b->bytes = bytes;
    return (SimReply *)(b + 1);
}

void sim_reply_free(SimReply *r)
{
    if (r != NULL)
        g_free(reply_block(r));
}

void sim_reply_recycle(SimReply **spare, SimReply *r)
{
    if (r == NULL)
        return;
    if (*spare == NULL) {
        *spare = r;
        return;
    }
    if (reply_block(r)->bytes > reply_block(*spare)->bytes) {
        sim_reply_free(*spare);
        *spare = r;
        return;
    }
    sim_reply_free(r);
}

/* "<prefix><n>\r\n" at p, without printf: this runs for every request of every client, and
 * nearly every n has one or two digits. Returns the end. */
static inline guint8 *put_header(guint8 *p, char prefix, gsize n)
{
    *p++ = (guint8)prefix;
    if (n < 10) {
        *p++ = (guint8)('0' + n);
    } else if (n < 100) {
        *p++ = (guint8)('0' + n / 10);
        *p++ = (guint8)('0' + n % 10);
    } else {
        rc_assert(n <= G_MAXINT64);
        char tmp[RC_LL_DIGITS_MAX];
        const char *digits = rc_format_ll(tmp, (gint64)n);
        gsize len = (gsize)(tmp + RC_LL_DIGITS_MAX - digits);
        memcpy(p, digits, len);
        p += len;
    }
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

/* Headers take at most 1 + 20 + 2 bytes. */
gsize sim_resp_encoded_max(guint argc, const char *const *argv, gsize *lens)
{
    gsize need = 23;
    for (guint i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
        need += 23 + lens[i] + 2;
    }
    return need;
}

gsize sim_resp_encode_to(guint8 *out, guint argc, const char *const *argv, const gsize *lens)
{
    guint8 *p = put_header(out, '*', argc);
    for (guint i = 0; i < argc; i++) {
        p = put_header(p, '$', lens[i]);
        rc_short_copy(p, argv[i], lens[i]);
        p += lens[i];
        *p++ = '\r';
        *p++ = '\n';
    }
    return (gsize)(p - out);
}

/* The bytes are written in place after one resize. */
void sim_resp_encode(GByteArray *out, guint argc, const char *const *argv)
{
    g_autofree gsize *lens = g_new(gsize, MAX(argc, 1));
    gsize need = sim_resp_encoded_max(argc, argv, lens);
    gsize start = out->len;
    g_byte_array_set_size(out, (guint)(start + need));
    gsize wrote = sim_resp_encode_to(out->data + start, argc, argv, lens);
    /* shrinking a byte array (no clear function) only sets its length */
    out->len = (guint)(start + wrote);
}

/* Replies are parsed in two passes over the buffered bytes: measure_reply checks that one
 * whole, well-formed reply is there and counts its nodes, element slots and string bytes,
 * allocating nothing (a reply still arriving costs no allocation); build_reply then lays the
 * tree out in a single block. Clients parse a reply for every request and a CLUSTER SLOTS
 * reply of some forty nodes after every error: one allocation per node was a sixth of a
 * run. */
typedef struct {
    gsize nodes;   /* SimReply structs */
    gsize slots;   /* element pointers */
    gsize str_len; /* string bytes, each string with its NUL */
    gssize line0;  /* the outermost reply: the length of its first line */
    gint64 v0;     /* ... and its integer, bulk or array length (0 for + and -) */
} ReplySize;

/* How far measure_reply got into the reply at the reader's pos before its bytes ran out. */
typedef struct {
    gsize at;                             /* its next element's offset from pos */
    int depth;                            /* arrays open around that element */
    gint64 left[SIM_REPLY_DEPTH_MAX + 1]; /* elements still due in each open array */
    ReplySize size;                       /* of the elements measured */
} ReplyMeasure;

struct SimReplyReader {
    const guint8 *data; /* the bytes held, [0, len): `own`, or the caller's while lent */
    gsize len;
    guint8 *own; /* the reader's buffer, of room for cap */
    gsize cap;
    gboolean lent; /* `data` is the caller's (sim_reply_reader_feed_transient) */
    gsize pos;     /* bytes already consumed */
    gsize last_at; /* the last popped reply: its offset in buf and length */
    gsize last_len;
    gboolean broken; /* a protocol error was seen */
    char *broken_reason;
    gboolean measuring; /* the reply at pos is partly measured, as far as *meas says */
    ReplyMeasure *meas; /* offsets from pos, so they survive feed's move; allocated by the
                           first reply that arrives in pieces (few readers ever see one) */
};

SimReplyReader *sim_reply_reader_new(void)
{
    SimReplyReader *rd = g_new0(SimReplyReader, 1);
    return rd;
}

void sim_reply_reader_free(SimReplyReader *rd)
{
    if (rd == NULL)
        return;
    g_free(rd->own);
    g_free(rd->meas);
    g_free(rd->broken_reason);
    g_free(rd);
}

void sim_reply_reader_reset(SimReplyReader *rd)
{
    rd->data = rd->own;
    rd->lent = FALSE;
    rd->len = 0;
    rd->pos = 0;
    rd->last_at = rd->last_len = 0;
    rd->broken = FALSE;
    g_clear_pointer(&rd->broken_reason, g_free);
    rd->measuring = FALSE;
}

/* Room in the reader's own buffer for `more` bytes after the `len` it holds. */
static void own_reserve(SimReplyReader *rd, gsize more)
{
    if (more > rd->cap - rd->len) {
        rd->cap = MAX(rd->len + more, MAX(2 * rd->cap, 256));
        rd->own = g_realloc(rd->own, rd->cap);
    }
    rd->data = rd->own;
}

void sim_reply_reader_feed(SimReplyReader *rd, const guint8 *data, gsize len)
{
    rc_assert(!rd->lent);
    /* Drop what was consumed once it is half the buffer (usually all of it: a reply arrives
     * whole and is popped before the next one comes). */
    if (rd->pos > 0 && rd->pos >= rd->len / 2) {
        memmove(rd->own, rd->own + rd->pos, rd->len - rd->pos);
        rd->len -= rd->pos;
        rd->pos = 0;
    }
    rd->last_len = 0; /* its bytes may have moved */
    own_reserve(rd, len);
    if (len > 0)
        memcpy(rd->own + rd->len, data, len);
    rd->len += len;
}

void sim_reply_reader_feed_transient(SimReplyReader *rd, const guint8 *data, gsize len)
{
    if (rd->lent || rd->pos < rd->len) {
        sim_reply_reader_settle(rd);
        sim_reply_reader_feed(rd, data, len);
        return;
    }
    rd->data = data;
    rd->len = len;
    rd->pos = 0;
    rd->last_len = 0;
    rd->lent = TRUE;
}

void sim_reply_reader_settle(SimReplyReader *rd)
{
    if (!rd->lent)
        return;
    const guint8 *rest = rd->data + rd->pos;
    gsize n = rd->len - rd->pos;
    rd->lent = FALSE;
    rd->len = rd->pos = 0;
    rd->last_len = 0; /* its bytes are the caller's */
    own_reserve(rd, n);
    if (n > 0)
        memcpy(rd->own, rest, n);
    rd->len = n;
}

gsize sim_reply_reader_pending(const SimReplyReader *rd)
{
    return rd->len - rd->pos;
}

const guint8 *sim_reply_reader_last(const SimReplyReader *rd, gsize *len)
{
    *len = rd->last_len;
    return rd->data + rd->last_at;
}

gboolean sim_reply_reader_skip(SimReplyReader *rd, const guint8 *bytes, gsize len)
{
    if (rd->broken || len == 0 || rd->len - rd->pos < len ||
        memcmp(rd->data + rd->pos, bytes, len) != 0)
        return FALSE;
    rd->last_at = rd->pos;
    rd->last_len = len;
    rd->pos += len;
    rd->measuring = FALSE;
    return TRUE;
}

enum { PARSE_ERROR = -1, PARSE_MORE = 0, PARSE_OK = 1 };

/* The line starting at p (without CRLF): returns its length, or -1 if no CRLF yet. Reply
 * lines are a few bytes long (":1", "$12"), shorter than a memchr call costs. */
static gssize find_line(const guint8 *b, gsize len, gsize p)
{
    for (gsize i = p; i + 1 < len; i++)
        if (b[i] == '\r' && b[i + 1] == '\n')
            return (gssize)(i - p);
    return -1;
}

/* A RESP integer line: an optional '-', then 1 to 18 digits (every length RESP replies
 * carry fits; a longer one is refused rather than risk overflow). */
static inline gboolean line_int(const guint8 *s, gsize n, gint64 *out)
{
    gsize i = n > 0 && s[0] == '-' ? 1 : 0;
    if (i == n || n - i > 18)
        return FALSE;
    gint64 v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return FALSE;
        v = v * 10 + (s[i] - '0');
    }
    *out = s[0] == '-' ? -v : v;
    return TRUE;
}

/* One element of a reply at *p, its first line and a bulk string's bytes, at `depth` (0: the
 * outermost reply): checks it and adds it to `size`; an array's elements are not read (their
 * count is in *array_len, else 0). *p and `size` change only on PARSE_OK. */
static int measure_element(const guint8 *b, gsize len, gsize *p, int depth, ReplySize *size,
                           gint64 *array_len, char **why)
{
    *array_len = 0;
    if (*p >= len)
        return PARSE_MORE;
    if (depth > SIM_REPLY_DEPTH_MAX) {
        *why = g_strdup_printf("nested deeper than %d", SIM_REPLY_DEPTH_MAX);
        return PARSE_ERROR;
    }
    guint8 type = b[*p];
    gssize n = find_line(b, len, *p + 1);
    if (n < 0) {
        if (len - *p > 64 * 1024) {
            *why = g_strdup("line longer than 64 KiB");
            return PARSE_ERROR;
        }
        return PARSE_MORE;
    }
    if (type != '+' && type != '-' && type != ':' && type != '$' && type != '*') {
        *why = g_strdup_printf("unexpected type byte 0x%02x", type);
        return PARSE_ERROR;
    }
    const guint8 *line = b + *p + 1;
    gsize after = *p + 1 + (gsize)n + 2;
    gint64 v = 0;
    gsize str_len = 0, slots = 0; /* what the element adds to `size`, once it is whole */
    switch (type) {
    case '+':
    case '-':
        str_len = (gsize)n + 1;
        break;
    case ':':
        if (!line_int(line, n, &v)) {
            *why = g_strdup("bad integer");
            return PARSE_ERROR;
        }
        break;
    case '$':
        if (!line_int(line, n, &v) || v < -1 || v > SIM_REPLY_BULK_MAX) {
            *why = g_strdup("bad bulk length");
            return PARSE_ERROR;
        }
        if (v == -1)
            break;
        if (len < after + (gsize)v + 2)
            return PARSE_MORE;
        if (b[after + v] != '\r' || b[after + v + 1] != '\n') {
            *why = g_strdup("bulk string not followed by CRLF");
            return PARSE_ERROR;
        }
        str_len = (gsize)v + 1;
        after += (gsize)v + 2;
        break;
    default: /* '*' */
        if (!line_int(line, n, &v) || v < -1 || v > SIM_REPLY_ARRAY_MAX) {
            *why = g_strdup("bad array length");
            return PARSE_ERROR;
        }
        if (v > 0) {
            slots = (gsize)v;
            *array_len = v;
        }
        break;
    }
    size->nodes++;
    size->slots += slots;
    size->str_len += str_len;
    if (depth == 0) {
        size->line0 = n;
        size->v0 = type == '+' || type == '-' ? 0 : v;
    }
    *p = after;
    return PARSE_OK;
}

/* Check that the held bytes start with one whole, well-formed reply, element by element in
 * order, going on from where the last call stopped for want of bytes (rd->meas): a large
 * reply (a final SMEMBERS of thousands of elements) arrives in dozens of reads, and measuring
 * it from its start after each one cost quadratic time. PARSE_OK with its end in *end. */
static int measure_reply(SimReplyReader *rd, gsize *end, ReplySize *size, char **why)
{
    ReplyMeasure fresh = {0};
    ReplyMeasure *m = rd->measuring ? rd->meas : &fresh;
    gsize p = rd->pos + m->at;
    for (;;) {
        int depth = m->depth;
        gint64 array_len;
        int rc = measure_element(rd->data, rd->len, &p, depth, &m->size, &array_len, why);
        if (rc != PARSE_OK) {
            rd->measuring = rc == PARSE_MORE;
            if (rd->measuring && m == &fresh) {
                if (rd->meas == NULL)
                    rd->meas = g_new(ReplyMeasure, 1);
                *rd->meas = fresh;
                m = rd->meas;
            }
            m->at = p - rd->pos;
            return rc;
        }
        if (depth > 0)
            m->left[depth - 1]--;
        if (array_len > 0) {
            rc_assert(depth < (int)G_N_ELEMENTS(m->left));
            m->left[m->depth++] = array_len;
            continue;
        }
        while (m->depth > 0 && m->left[m->depth - 1] == 0)
            m->depth--;
        if (m->depth == 0)
            break;
    }
    *end = p;
    *size = m->size;
    rd->measuring = FALSE;
    return PARSE_OK;
}

typedef struct {
    gsize len; /* of the buffered bytes */
    SimReply *nodes;
    SimReply **slots;
    char *strs;
} ReplyArena;

static SimReply *build_reply(const guint8 *b, gsize *p, ReplyArena *a);

/* Lay out the reply at *p, which measure_reply has checked whole and well formed; its first
 * line is n bytes long and holds v (an integer or a length; 0 for + and -). */
static SimReply *build_node(const guint8 *b, gsize *p, ReplyArena *a, gssize n, gint64 v)
{
    SimReply *r = a->nodes++;
    memset(r, 0, sizeof *r);
    guint8 type = b[*p];
    const guint8 *line = b + *p + 1;
    gsize after = *p + 1 + (gsize)n + 2;
    switch (type) {
    case '+':
    case '-':
        r->type = type == '+' ? SIM_REPLY_STATUS : SIM_REPLY_ERROR;
        r->str = a->strs;
        rc_short_copy(r->str, line, (gsize)n);
        r->str[n] = '\0';
        r->len = (gsize)n;
        a->strs += n + 1;
        *p = after;
        break;
    case ':':
        r->type = SIM_REPLY_INTEGER;
        r->integer = v;
        *p = after;
        break;
    case '$':
        if (v == -1) {
            r->type = SIM_REPLY_NIL;
            *p = after;
            break;
        }
        r->type = SIM_REPLY_BULK;
        r->str = a->strs;
        rc_short_copy(r->str, b + after, (gsize)v);
        r->str[v] = '\0';
        r->len = (gsize)v;
        a->strs += v + 1;
        *p = after + (gsize)v + 2;
        break;
    default: /* '*' */
        *p = after;
        if (v == -1) {
            r->type = SIM_REPLY_NIL_ARRAY;
            break;
        }
        r->type = SIM_REPLY_ARRAY;
        r->n = (gsize)v;
        r->elements = a->slots;
        a->slots += v;
        for (gint64 i = 0; i < v; i++)
            r->elements[i] = build_reply(b, p, a);
        break;
    }
    return r;
}

/* The same, reading the first line again (an array's elements). */
static SimReply *build_reply(const guint8 *b, gsize *p, ReplyArena *a)
{
    guint8 type = b[*p];
    gssize n = find_line(b, a->len, *p + 1);
    rc_assert(n >= 0);
    gint64 v = 0;
    if (type != '+' && type != '-')
        rc_assert(line_int(b + *p + 1, (gsize)n, &v));
    return build_node(b, p, a, n, v);
}

SimReply *sim_reply_reader_pop(SimReplyReader *rd, GError **error)
{
    return sim_reply_reader_pop_into(rd, NULL, error);
}

/* The reply at rd->pos when it is a whole, well-formed scalar (+, -, :, $): laid out in one
 * pass, without measure_reply's. Nearly every reply a client reads is one (":1" for SADD,
 * "+OK" for SET, a bulk for GET). NULL when it is anything else (an array, an incomplete or
 * malformed reply): the general path then answers for it, errors included. */
static SimReply *pop_scalar(SimReplyReader *rd, SimReply **spare)
{
    const guint8 *b = rd->data;
    gsize at = rd->pos;
    guint8 type = b[at];
    if (type != ':' && type != '+' && type != '-' && type != '$')
        return NULL;
    gssize n = find_line(b, rd->len, at + 1);
    if (n < 0)
        return NULL;
    gsize after = at + 1 + (gsize)n + 2;
    gint64 v = 0;
    gsize str_len = 0; /* bytes of string, with the NUL */
    gsize end = after;
    if (type == '+' || type == '-') {
        str_len = (gsize)n + 1;
    } else if (!line_int(b + at + 1, (gsize)n, &v)) {
        return NULL;
    } else if (type == '$') {
        if (v < -1 || v > SIM_REPLY_BULK_MAX)
            return NULL;
        if (v >= 0) {
            if (rd->len < after + (gsize)v + 2 || b[after + v] != '\r' || b[after + v + 1] != '\n')
                return NULL;
            str_len = (gsize)v + 1;
            end = after + (gsize)v + 2;
        }
    }
    guint8 *block = (guint8 *)reply_alloc(sizeof(SimReply) + str_len, spare);
    ReplyArena a = {rd->len, (SimReply *)block, NULL, (char *)(block + sizeof(SimReply))};
    gsize q = at;
    SimReply *r = build_node(b, &q, &a, n, v);
    rc_assert(q == end && (guint8 *)a.strs == block + sizeof(SimReply) + str_len);
    rd->last_at = at;
    rd->last_len = end - at;
    rd->pos = end;
    return r;
}

SimReply *sim_reply_reader_pop_into(SimReplyReader *rd, SimReply **spare, GError **error)
{
    if (rd->broken) {
        g_set_error(error, SIM_RESP_ERROR, 1, "resp: %s", rd->broken_reason);
        return NULL;
    }
    if (rd->pos == rd->len)
        return NULL; /* nothing held: the usual end of a read */
    SimReply *scalar = rd->measuring ? NULL : pop_scalar(rd, spare);
    if (scalar != NULL)
        return scalar;
    gsize p = 0;
    ReplySize size;
    char *why = NULL;
    int rc = measure_reply(rd, &p, &size, &why);
    if (rc == PARSE_OK) {
        gsize slots_at = size.nodes * sizeof(SimReply);
        gsize strs_at = slots_at + size.slots * sizeof(SimReply *);
        guint8 *block = (guint8 *)reply_alloc(strs_at + size.str_len, spare);
        ReplyArena a = {rd->len, (SimReply *)block, (SimReply **)(block + slots_at),
                        (char *)(block + strs_at)};
        gsize q = rd->pos;
        /* the outermost reply's line was read by measure_reply: not again */
        SimReply *r = build_node(rd->data, &q, &a, size.line0, size.v0);
        rc_assert(q == p && (guint8 *)a.strs == block + strs_at + size.str_len);
        rd->last_at = rd->pos;
        rd->last_len = p - rd->pos;
        rd->pos = p;
        return r;
    }
    if (rc == PARSE_ERROR) {
        rd->broken = TRUE;
        rd->broken_reason = why;
        g_set_error(error, SIM_RESP_ERROR, 1, "resp: %s", why);
    }
    return NULL;
}

/* "slot ip:port" after the keyword. */
static gboolean parse_target(const char *s, SimRedirect *out)
{
    char *end = NULL;
    if (!g_ascii_isdigit(*s))
        return FALSE;
    guint64 slot = g_ascii_strtoull(s, &end, 10);
    if (slot > 16383 || *end != ' ')
        return FALSE;
    const char *addr = end + 1;
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || colon == addr || (gsize)(colon - addr) >= sizeof out->ip)
        return FALSE;
    if (!g_ascii_isdigit(colon[1]))
        return FALSE;
    guint64 port = g_ascii_strtoull(colon + 1, &end, 10);
    if (port == 0 || port > 65535 || *end != '\0')
        return FALSE;
    out->slot = (guint)slot;
    memcpy(out->ip, addr, colon - addr);
    out->ip[colon - addr] = '\0';
    out->port = (guint16)port;
    return TRUE;
}

SimRedirectKind sim_redirect_parse(const char *err, SimRedirect *out)
{
    memset(out, 0, sizeof *out);
    if (g_str_has_prefix(err, "MOVED ") && parse_target(err + 6, out))
        out->kind = SIM_REDIRECT_MOVED;
    else if (g_str_has_prefix(err, "ASK ") && parse_target(err + 4, out))
        out->kind = SIM_REDIRECT_ASK;
    else if (g_str_has_prefix(err, "TRYAGAIN"))
        out->kind = SIM_REDIRECT_TRYAGAIN;
    else if (g_str_has_prefix(err, "CLUSTERDOWN"))
        out->kind = SIM_REDIRECT_CLUSTERDOWN;
    else
        out->kind = SIM_REDIRECT_NONE;
    return out->kind;
}

gboolean sim_cluster_slots_parse(const SimReply *r, GArray *ranges, GError **error)
{
    if (r->type != SIM_REPLY_ARRAY) {
        g_set_error(error, SIM_RESP_ERROR, 2, "cluster slots: not an array");
        return FALSE;
    }
    for (gsize i = 0; i < r->n; i++) {
        const SimReply *e = r->elements[i];
        if (e->type != SIM_REPLY_ARRAY || e->n < 3 || e->elements[0]->type != SIM_REPLY_INTEGER ||
            e->elements[1]->type != SIM_REPLY_INTEGER || e->elements[2]->type != SIM_REPLY_ARRAY) {
            g_set_error(error, SIM_RESP_ERROR, 2, "cluster slots: entry %zu is malformed", i);
            return FALSE;
        }
        const SimReply *m = e->elements[2];
        gint64 first = e->elements[0]->integer, last = e->elements[1]->integer;
        if (first < 0 || last > 16383 || first > last || m->n < 2 ||
            m->elements[0]->type != SIM_REPLY_BULK || m->elements[1]->type != SIM_REPLY_INTEGER ||
            m->elements[0]->len >= 46 || m->elements[1]->integer <= 0 ||
            m->elements[1]->integer > 65535) {
            g_set_error(error, SIM_RESP_ERROR, 2, "cluster slots: entry %zu is malformed", i);
            return FALSE;
        }
        SimSlotRange sr = {
            .first = (guint)first, .last = (guint)last, .port = (guint16)m->elements[1]->integer};
        memcpy(sr.ip, m->elements[0]->str, m->elements[0]->len);
        sr.ip[m->elements[0]->len] = '\0';
        g_array_append_val(ranges, sr);
    }
    return TRUE;
}
