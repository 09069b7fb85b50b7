/* RESP2 request parsing and reply encoding (networking.c). See resp.h for the quirks kept. */
#include "core/resp.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "core/short_copy.h"

enum { REQ_NONE, REQ_MULTIBULK, REQ_INLINE };

/* The query buffer: bytes appended at the end, the consumed prefix dropped after a pass. */
typedef struct {
    guint8 *data;
    gsize len;
    gsize cap; /* bytes allocated */
} QueryBuf;

struct RcRespParser {
    QueryBuf buf;          /* the query buffer */
    gsize pos;             /* first unconsumed byte (qb_pos) */
    int reqtype;           /* REQ_*: kind of the request being parsed */
    gint64 multibulklen;   /* bulks still to read in this request */
    gint64 bulklen;        /* length of the bulk being read, -1 before its "$n" line */
    gsize req_start;       /* where the request being parsed starts in buf: its bulks stay
                              there until it is complete, and become one RcArgv then */
    struct Bulk *bulks;    /* the bulks read so far, relative to req_start */
    guint nbulks;          /* how many */
    guint bulks_cap;       /* room in bulks (kept from request to request) */
    gsize bulks_total;     /* their total length */
    gboolean is_canonical; /* the request so far is byte for byte what rc_resp_encode_argv()
                              would make of it (the bytes skipped unchecked are CRLF) */
    gint64 max_bulk_len;   /* proto-max-bulk-len */
    gboolean is_master;    /* the master's stream: no bulk limit */
    gboolean is_dead;      /* a protocol error happened */
    RcArgvView view;       /* the latest multibulk request, pointing into buf */
    RcArgv *inline_argv;   /* the latest inline request (owned) */
    char err[96];          /* its message */
};

/* One bulk of the request being parsed, as offsets from its start (the buffer moves). */
typedef struct Bulk {
    gsize off, len;
} Bulk;

RcRespParser *rc_resp_parser_new(gint64 max_bulk_len)
{
    RcRespParser *p = g_new0(RcRespParser, 1);
    p->bulklen = -1;
    p->max_bulk_len = max_bulk_len;
    return p;
}

/* The request handed out last is over: the buffer may move or be compacted now. */
static void release_request(RcRespParser *p)
{
    rc_argv_view_clear(&p->view);
    g_clear_pointer(&p->inline_argv, rc_argv_free);
}

void rc_resp_parser_free(RcRespParser *p)
{
    if (p == NULL)
        return;
    rc_argv_view_free(&p->view);
    rc_argv_free(p->inline_argv);
    g_free(p->buf.data);
    g_free(p->bulks);
    g_free(p);
}

void rc_resp_parser_set_master(RcRespParser *p, gboolean is_master)
{
    p->is_master = is_master;
}

/* The first byte still needed: the start of a request in progress, else the first
 * unconsumed one. */
static gsize keep_from(const RcRespParser *p)
{
    return p->reqtype == REQ_MULTIBULK ? p->req_start : p->pos;
}

void rc_resp_parser_feed(RcRespParser *p, const guint8 *data, gsize len)
{
    release_request(p);
    if (p->pos == p->buf.len && keep_from(p) == p->pos && p->pos > 0) {
        p->buf.len = 0;
        p->pos = 0;
        p->req_start = 0;
    }
    if (len == 0)
        return;
    if (p->buf.cap - p->buf.len < len) {
        p->buf.cap = MAX(MAX(p->buf.cap * 2, p->buf.len + len), (gsize)64);
        p->buf.data = g_realloc(p->buf.data, p->buf.cap);
    }
    rc_short_copy(p->buf.data + p->buf.len, data, len);
    p->buf.len += len;
}

void rc_resp_parser_compact(RcRespParser *p)
{
    release_request(p);
    gsize drop = keep_from(p);
    if (drop == 0)
        return;
    rc_assert(drop <= p->buf.len);
    /* Usually every request was complete and nothing moves; the room is kept. */
    if (drop < p->buf.len)
        memmove(p->buf.data, p->buf.data + drop, p->buf.len - drop);
    p->buf.len -= drop;
    p->pos -= drop;
    p->req_start = p->req_start >= drop ? p->req_start - drop : 0;
}

gsize rc_resp_parser_pending(const RcRespParser *p)
{
    return p->buf.len - p->pos;
}

gboolean rc_resp_parser_in_request(const RcRespParser *p)
{
    return p->reqtype != REQ_NONE || p->pos < p->buf.len;
}

const char *rc_resp_parser_error(const RcRespParser *p)
{
    return p->err;
}

/* strchr() on the query buffer from `from`: the search ends at the first NUL byte, as
 * it does on Redis's NUL-terminated sds. Returns the index of `ch` or -1. */
static gssize find_char(const RcRespParser *p, gsize from, char ch)
{
    /* One pass over the (short) line: two memchr() calls cost more than the loop. */
    const guint8 *base = p->buf.data;
    gsize len = p->buf.len;
    for (gsize i = from; i < len; i++) {
        if (base[i] == (guint8)ch)
            return (gssize)i;
        if (base[i] == '\0')
            return -1;
    }
    return -1;
}

static RcRespStatus fail(RcRespParser *p, const char *msg)
{
    g_strlcpy(p->err, msg, sizeof p->err);
    p->is_dead = TRUE;
    return RC_RESP_ERROR;
}

gboolean rc_string2ll(const char *s, gsize len, gint64 *value)
{
    if (len == 0 || len > 20)
        return FALSE;
    if (len == 1 && s[0] == '0') {
        *value = 0;
        return TRUE;
    }
    gsize i = 0;
    gboolean negative = FALSE;
    if (s[0] == '-') {
        negative = TRUE;
        i++;
        if (i == len)
            return FALSE;
    }
    if (s[i] < '1' || s[i] > '9')
        return FALSE;
    guint64 v = (guint64)(s[i] - '0');
    for (i++; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return FALSE;
        if (v > G_MAXUINT64 / 10)
            return FALSE;
        v *= 10;
        guint64 d = (guint64)(s[i] - '0');
        if (v > G_MAXUINT64 - d)
            return FALSE;
        v += d;
    }
    if (negative) {
        if (v > (guint64)G_MAXINT64 + 1)
            return FALSE;
        *value = v == (guint64)G_MAXINT64 + 1 ? G_MININT64 : -(gint64)v;
    } else {
        if (v > (guint64)G_MAXINT64)
            return FALSE;
        *value = (gint64)v;
    }
    return TRUE;
}

static gboolean is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One token of an inline line starting at line[*i]; FALSE on unbalanced quotes. */
static gboolean split_token(const char *line, gsize len, gsize *i, GString *tok)
{
    gboolean in_dq = FALSE, in_sq = FALSE;
    for (;;) {
        char c = *i < len ? line[*i] : '\0';
        char next = *i + 1 < len ? line[*i + 1] : '\0';
        if (in_dq) {
            if (c == '\\' && next == 'x' && *i + 3 < len && hex_value(line[*i + 2]) >= 0 &&
                hex_value(line[*i + 3]) >= 0) {
                g_string_append_c(tok,
                                  (char)(hex_value(line[*i + 2]) * 16 + hex_value(line[*i + 3])));
                *i += 3;
            } else if (c == '\\' && next != '\0') {
                (*i)++;
                char e = next == 'n'   ? '\n'
                         : next == 'r' ? '\r'
                         : next == 't' ? '\t'
                         : next == 'b' ? '\b'
                         : next == 'a' ? '\a'
                                       : next;
                g_string_append_c(tok, e);
            } else if (c == '"') {
                if (next != '\0' && !is_space(next))
                    return FALSE; /* a closing quote must end the token */
                (*i)++;
                return TRUE;
            } else if (c == '\0') {
                return FALSE; /* unterminated */
            } else {
                g_string_append_c(tok, c);
            }
        } else if (in_sq) {
            if (c == '\\' && next == '\'') {
                (*i)++;
                g_string_append_c(tok, '\'');
            } else if (c == '\'') {
                if (next != '\0' && !is_space(next))
                    return FALSE;
                (*i)++;
                return TRUE;
            } else if (c == '\0') {
                return FALSE;
            } else {
                g_string_append_c(tok, c);
            }
        } else {
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
                if (c != '\0')
                    (*i)++;
                return TRUE;
            } else if (c == '"') {
                in_dq = TRUE;
            } else if (c == '\'') {
                in_sq = TRUE;
            } else {
                g_string_append_c(tok, c);
            }
        }
        if (c != '\0')
            (*i)++;
    }
}

RcArgv *rc_resp_split_args(const char *line, gsize len)
{
    GString *toks = g_string_new(NULL); /* the tokens, one after the other */
    GArray *lens = g_array_new(FALSE, FALSE, sizeof(gsize));
    gsize i = 0;
    for (;;) {
        while (i < len && line[i] != '\0' && is_space(line[i]))
            i++;
        if (i >= len || line[i] == '\0')
            break;
        gsize start = toks->len;
        if (!split_token(line, len, &i, toks)) {
            g_string_free(toks, TRUE);
            g_array_unref(lens);
            return NULL;
        }
        gsize n = toks->len - start;
        g_array_append_val(lens, n);
    }
    RcArgv *a = rc_argv_new_sized((int)lens->len, toks->len);
    gsize off = 0;
    for (guint j = 0; j < lens->len; j++) {
        gsize n = g_array_index(lens, gsize, j);
        rc_argv_put(a, (int)j, toks->str + off, n);
        off += n;
    }
    g_string_free(toks, TRUE);
    g_array_unref(lens);
    return a;
}

static RcRespStatus parse_inline(RcRespParser *p, const RcArgv **argv)
{
    gssize nl = find_char(p, p->pos, '\n');
    if (nl < 0) {
        if (p->buf.len - p->pos > RC_PROTO_INLINE_MAX_SIZE)
            return fail(p, "ERR Protocol error: too big inline request");
        return RC_RESP_NEED_MORE;
    }
    gsize end = (gsize)nl, feed = 1;
    if (end != p->pos && p->buf.data[end - 1] == '\r') {
        end--;
        feed++;
    }
    RcArgv *a = rc_resp_split_args((const char *)p->buf.data + p->pos, end - p->pos);
    if (a == NULL)
        return fail(p, "ERR Protocol error: unbalanced quotes in request");
    if (end != p->pos && p->is_master) {
        rc_argv_free(a);
        return fail(p, "ERR Protocol error: master using the inline protocol");
    }
    p->pos = end + feed;
    p->reqtype = REQ_NONE;
    p->inline_argv = a;
    *argv = a;
    return RC_RESP_REQUEST;
}

/* The request is complete: the view points at its bulks, still in the buffer. */
static const RcArgv *take_bulks(RcRespParser *p)
{
    const char *base = (const char *)p->buf.data + p->req_start;
    for (guint i = 0; i < p->nbulks; i++)
        rc_argv_view_push(&p->view, base + p->bulks[i].off, p->bulks[i].len);
    if (p->is_canonical) {
        p->view.argv.raw = base;
        p->view.argv.raw_len = p->pos - p->req_start;
    }
    p->nbulks = 0;
    p->bulks_total = 0;
    if (p->bulks_cap > 1024) {
        /* a very long request does not pin its table to the connection */
        g_clear_pointer(&p->bulks, g_free);
        p->bulks_cap = 0;
    }
    return &p->view.argv;
}

static RcRespStatus parse_multibulk(RcRespParser *p, const RcArgv **argv)
{
    const guint8 *d = p->buf.data;
    if (p->multibulklen == 0) {
        gssize cr = find_char(p, p->pos, '\r');
        if (cr < 0) {
            if (p->buf.len - p->pos > RC_PROTO_INLINE_MAX_SIZE)
                return fail(p, "ERR Protocol error: too big mbulk count string");
            return RC_RESP_NEED_MORE;
        }
        if ((gsize)cr + 2 > p->buf.len)
            return RC_RESP_NEED_MORE; /* the "\n" is not here yet */
        gint64 ll;
        gboolean ok = rc_string2ll((const char *)d + p->pos + 1, (gsize)cr - (p->pos + 1), &ll);
        if (!ok || ll > INT_MAX)
            return fail(p, "ERR Protocol error: invalid multibulk length");
        p->is_canonical = d[cr + 1] == '\n';
        p->pos = (gsize)cr + 2;
        if (ll <= 0) {
            p->reqtype = REQ_NONE;
            *argv = &p->view.argv; /* empty */
            return RC_RESP_REQUEST;
        }
        p->multibulklen = ll;
        rc_assert(p->nbulks == 0 && p->bulks_total == 0);
    }
    while (p->multibulklen > 0) {
        if (p->bulklen == -1) {
            gssize cr = find_char(p, p->pos, '\r');
            if (cr < 0) {
                if (p->buf.len - p->pos > RC_PROTO_INLINE_MAX_SIZE)
                    return fail(p, "ERR Protocol error: too big bulk count string");
                return RC_RESP_NEED_MORE;
            }
            if ((gsize)cr + 2 > p->buf.len)
                return RC_RESP_NEED_MORE;
            char c = (char)d[p->pos];
            if (c != '$') {
                char msg[64];
                g_snprintf(msg, sizeof msg, "ERR Protocol error: expected '$', got '%c'",
                           c == '\r' || c == '\n' ? ' ' : c);
                return fail(p, msg);
            }
            gint64 ll;
            gboolean ok = rc_string2ll((const char *)d + p->pos + 1, (gsize)cr - (p->pos + 1), &ll);
            if (!ok || ll < 0 || (!p->is_master && ll > p->max_bulk_len))
                return fail(p, "ERR Protocol error: invalid bulk length");
            p->is_canonical &= d[cr + 1] == '\n';
            p->pos = (gsize)cr + 2;
            p->bulklen = ll;
        }
        if (p->buf.len - p->pos < (gsize)p->bulklen + 2)
            return RC_RESP_NEED_MORE;
        if (p->nbulks == p->bulks_cap) {
            p->bulks_cap = p->bulks_cap ? p->bulks_cap * 2 : 8;
            p->bulks = g_renew(Bulk, p->bulks, p->bulks_cap);
        }
        p->bulks[p->nbulks++] = (Bulk){p->pos - p->req_start, (gsize)p->bulklen};
        p->bulks_total += (gsize)p->bulklen;
        p->is_canonical &=
            d[p->pos + (gsize)p->bulklen] == '\r' && d[p->pos + (gsize)p->bulklen + 1] == '\n';
        p->pos += (gsize)p->bulklen + 2;
        p->bulklen = -1;
        p->multibulklen--;
    }
    *argv = take_bulks(p);
    p->reqtype = REQ_NONE;
    return RC_RESP_REQUEST;
}

/* "<digits>\r\n" at d[*i], written as rc_format_ll() writes a number >= 0 (no sign, no leading
 * zero, at most 18 digits so it cannot overflow): its value, and *i moves past it. FALSE for
 * anything else, or when it is not all in d[..end). */
static inline gboolean read_plain_number(const guint8 *d, gsize end, gsize *i, gint64 *value)
{
    gsize k = *i, first = k, stop = MIN(end, first + 18);
    gint64 v = 0;
    while (k < stop && d[k] >= '0' && d[k] <= '9')
        v = v * 10 + (d[k++] - '0');
    gsize ndigits = k - first;
    if (ndigits == 0 || (d[first] == '0' && ndigits > 1))
        return FALSE;
    if (end - k < 2 || d[k] != '\r' || d[k + 1] != '\n')
        return FALSE;
    *value = v;
    *i = k + 2;
    return TRUE;
}

/* The common case read in one pass: a whole multibulk request of at least one bulk, in the
 * buffer from p->pos, written exactly as rc_resp_encode_argv() would write it. Then the view
 * holds it and pos moves past it. Anything else (incomplete, an error, an odd but valid
 * form) returns FALSE with the parser unchanged, for parse_multibulk() to read as Redis does;
 * for a request this one accepts, that would find the same arguments. */
static gboolean parse_plain_multibulk(RcRespParser *p)
{
    const guint8 *d = p->buf.data;
    gsize end = p->buf.len, i = p->pos + 1;
    gint64 count;
    if (!read_plain_number(d, end, &i, &count) || count < 1 || count > INT_MAX)
        return FALSE;
    for (gint64 n = 0; n < count; n++) {
        gint64 len;
        if (i >= end || d[i] != '$')
            break;
        i++;
        if (!read_plain_number(d, end, &i, &len) || (!p->is_master && len > p->max_bulk_len))
            break;
        if (end - i < (gsize)len + 2 || d[i + (gsize)len] != '\r' || d[i + (gsize)len + 1] != '\n')
            break;
        rc_argv_view_push(&p->view, (const char *)d + i, (gsize)len);
        i += (gsize)len + 2;
    }
    if (p->view.argv.argc != count) {
        rc_argv_view_clear(&p->view); /* no GBytes was made: nobody saw it */
        return FALSE;
    }
    p->view.argv.raw = (const char *)d + p->pos;
    p->view.argv.raw_len = i - p->pos;
    p->pos = i;
    return TRUE;
}

RcRespStatus rc_resp_parser_next_view(RcRespParser *p, const RcArgv **argv)
{
    *argv = NULL;
    release_request(p);
    if (p->is_dead)
        return RC_RESP_ERROR;
    if (p->pos >= p->buf.len)
        return RC_RESP_NEED_MORE;
    if (p->reqtype == REQ_NONE && p->buf.data[p->pos] == '*' && parse_plain_multibulk(p)) {
        *argv = &p->view.argv;
        return RC_RESP_REQUEST;
    }
    if (p->reqtype == REQ_NONE) {
        p->reqtype = p->buf.data[p->pos] == '*' ? REQ_MULTIBULK : REQ_INLINE;
        p->req_start = p->pos;
    }
    if (p->reqtype == REQ_INLINE)
        return parse_inline(p, argv);
    return parse_multibulk(p, argv);
}

RcRespStatus rc_resp_parser_next(RcRespParser *p, RcArgv **argv)
{
    const RcArgv *view;
    RcRespStatus st = rc_resp_parser_next_view(p, &view);
    *argv = NULL;
    if (st != RC_RESP_REQUEST)
        return st;
    if (view == p->inline_argv) {
        p->inline_argv = NULL; /* already a copy: hand it over */
        *argv = (RcArgv *)view;
    } else {
        *argv = rc_argv_copy(view);
        rc_argv_view_clear(&p->view);
    }
    return st;
}

/* ---- Replies ---- */

void rc_reply_status(GString *r, const char *status)
{
    g_string_append_c(r, '+');
    g_string_append(r, status);
    RC_STRING_PUT_LIT(r, "\r\n");
}

void rc_reply_ok(GString *r)
{
    RC_STRING_PUT_LIT(r, "+OK\r\n");
}

void rc_reply_error(GString *r, const char *msg)
{
    g_string_append_c(r, '-');
    gsize start = r->len;
    g_string_append(r, msg);
    for (gsize i = start; i < r->len; i++)
        if (r->str[i] == '\r' || r->str[i] == '\n')
            r->str[i] = ' ';
    RC_STRING_PUT_LIT(r, "\r\n");
}

void rc_reply_errorf(GString *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    rc_reply_error(r, msg);
    g_free(msg);
}

/* "00" "01" ... "99": two digits per division, as Redis's ull2string does. */
const char rc_digit_pairs[201] =
    "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546"
    "4748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293"
    "949596979899";

/* Longest "<prefix><int64>\r\n" line: a sign and 19 digits besides the prefix and CRLF. */
#define LL_LINE_MAX (1 + 1 + 19 + 2)

/* A pointer to room for `n` more bytes (and the NUL after them) at the end of `r`, whose
 * contents stay as they are. The encoders below write through it and then set the length
 * once with reply_commit(), instead of one append (and one capacity check) per piece. */
static inline char *reply_reserve(GString *r, gsize n)
{
    if (r->len + n >= r->allocated_len) {
        gsize len = r->len;
        g_string_set_size(r, len + n); /* grows the allocation; contents kept */
        r->len = len;
    }
    return r->str + r->len;
}

static inline void reply_commit(GString *r, char *end)
{
    r->len = (gsize)(end - r->str);
    rc_assert(r->len < r->allocated_len);
    *end = '\0';
}

/* Writes "<prefix>v\r\n" at p (which has LL_LINE_MAX bytes of room); returns its end. */
static inline char *put_ll_line(char *p, char prefix, gint64 v)
{
    *p++ = prefix;
    guint64 u = v < 0 ? (guint64)0 - (guint64)v : (guint64)v;
    if (v < 0)
        *p++ = '-';
    gsize digits = 1;
    for (guint64 t = u; t >= 10; t /= 10)
        digits++;
    char *end = p + digits;
    rc_put_digits_backward(end, u);
    end[0] = '\r';
    end[1] = '\n';
    return end + 2;
}

static inline char *put_bulk(char *p, const void *data, gsize len)
{
    p = put_ll_line(p, '$', (gint64)len);
    rc_short_copy(p, data, len);
    p[len] = '\r';
    p[len + 1] = '\n';
    return p + len + 2;
}

void rc_reply_int(GString *r, gint64 v)
{
    reply_commit(r, put_ll_line(reply_reserve(r, LL_LINE_MAX), ':', v));
}

void rc_reply_bulk(GString *r, const void *data, gsize len)
{
    reply_commit(r, put_bulk(reply_reserve(r, LL_LINE_MAX + len + 2), data, len));
}

void rc_reply_bulk_str(GString *r, const char *s)
{
    rc_reply_bulk(r, s, strlen(s));
}

void rc_reply_bulk_arg(GString *r, const RcArgv *a, int i)
{
    gsize len;
    const char *data = rc_argv_data(a, i, &len);
    rc_reply_bulk(r, data, len);
}

void rc_reply_bulk_bytes(GString *r, GBytes *b)
{
    gsize len;
    const void *data = g_bytes_get_data(b, &len);
    rc_reply_bulk(r, data, len);
}

void rc_reply_bulk_ll(GString *r, gint64 v)
{
    char tmp[RC_LL_DIGITS_MAX];
    char *p = rc_format_ll(tmp, v);
    rc_reply_bulk(r, p, (gsize)(tmp + RC_LL_DIGITS_MAX - p));
}

void rc_reply_null(GString *r)
{
    RC_STRING_PUT_LIT(r, "$-1\r\n");
}

void rc_reply_null_array(GString *r)
{
    RC_STRING_PUT_LIT(r, "*-1\r\n");
}

void rc_reply_array(GString *r, gint64 n)
{
    reply_commit(r, put_ll_line(reply_reserve(r, LL_LINE_MAX), '*', n));
}

/* One reservation for the whole request. */
void rc_resp_encode_argv(GString *r, const RcArgv *a)
{
    gsize room = LL_LINE_MAX;
    for (int i = 0; i < a->argc; i++)
        room += LL_LINE_MAX + a->v[i].len + 2;
    char *p = put_ll_line(reply_reserve(r, room), '*', a->argc);
    for (int i = 0; i < a->argc; i++)
        p = put_bulk(p, a->v[i].data, a->v[i].len);
    reply_commit(r, p);
}
