/* RESP2: the incremental request parser (networking.c processInputBuffer,
 * processMultibulkBuffer, processInlineBuffer) and the reply encoders (addReply*).
 *
 * The parser owns a query buffer. Bytes are appended as they arrive, in any chunking;
 * rc_resp_parser_next() then yields one request at a time. It keeps Redis's quirks on
 * purpose, because clients see them: line searches stop at a NUL byte as strchr() does,
 * the two bytes after a length line or a bulk are skipped without checking that they are
 * "\r\n", `*0` and `*-1` and empty inline lines are empty requests, and the limits
 * (64 KiB inline, proto-max-bulk-len) give Redis's error texts. After an error the parser
 * is dead: the client replies with the error and closes the connection.
 *
 * Replies are appended to a GString. Error messages are given whole, without the leading
 * '-' ("ERR syntax error", "WRONGTYPE ..."); CR and LF inside them become spaces, as
 * addReplyErrorLength() makes sure an error stays on one line. */
#ifndef RC_RESP_H
#define RC_RESP_H

#include <glib.h>
#include <string.h>

#include "core/short_copy.h"

#include "core/command.h"

#define RC_PROTO_INLINE_MAX_SIZE (1024 * 64) /* PROTO_INLINE_MAX_SIZE */
#define RC_PROTO_IOBUF_LEN (1024 * 16)       /* PROTO_IOBUF_LEN: Redis reads at most this */

/* g_string_append_len() without the call: replies and the run's history append millions of
 * short pieces, and GLib 2.74 does not inline it. */
static inline void rc_string_put(GString *s, const void *data, gsize n)
{
    if (n == 0)
        return; /* data may be NULL then, which memcpy must not be given */
    if (s->len + n < s->allocated_len) {
        rc_short_copy(s->str + s->len, data, n);
        s->len += n;
        s->str[s->len] = '\0';
    } else {
        g_string_append_len(s, data, (gssize)n);
    }
}

/* rc_string_put() of a string literal. */
#define RC_STRING_PUT_LIT(s, lit) rc_string_put((s), "" lit, sizeof(lit) - 1)

/* v in decimal, written backwards from the end of tmp (Redis's ll2string without printf, for
 * the hot paths that format integers); returns where the digits start, and they run to
 * tmp + RC_LL_DIGITS_MAX. */
#define RC_LL_DIGITS_MAX 32

extern const char rc_digit_pairs[201]; /* "00" "01" ... "99" */

/* Writes u's decimal digits so that they end just before `end`, two per division as Redis's
 * ull2string does; returns where they start. */
static inline char *rc_put_digits_backward(char *end, guint64 u)
{
    char *p = end;
    while (u >= 100) {
        guint i = (guint)(u % 100) * 2;
        u /= 100;
        *--p = rc_digit_pairs[i + 1];
        *--p = rc_digit_pairs[i];
    }
    if (u < 10) {
        *--p = (char)('0' + u);
    } else {
        guint i = (guint)u * 2;
        *--p = rc_digit_pairs[i + 1];
        *--p = rc_digit_pairs[i];
    }
    return p;
}

/* Inline: the history, workload and request headers format half a million numbers a run. */
static inline char *rc_format_ll(char tmp[RC_LL_DIGITS_MAX], gint64 v)
{
    guint64 u = v < 0 ? (guint64)0 - (guint64)v : (guint64)v;
    char *p = rc_put_digits_backward(tmp + RC_LL_DIGITS_MAX, u);
    if (v < 0)
        *--p = '-';
    return p;
}

typedef enum {
    RC_RESP_NEED_MORE, /* no complete request buffered */
    RC_RESP_REQUEST,   /* *argv holds a request (argc may be 0: an empty request) */
    RC_RESP_ERROR,     /* protocol error: reply rc_resp_parser_error() and close */
} RcRespStatus;

typedef struct RcRespParser RcRespParser;

/* `max_bulk_len` is proto-max-bulk-len; bulks longer are refused (not for the master). */
RcRespParser *rc_resp_parser_new(gint64 max_bulk_len);
void rc_resp_parser_free(RcRespParser *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRespParser, rc_resp_parser_free)

/* Append received bytes to the query buffer. */
void rc_resp_parser_feed(RcRespParser *p, const guint8 *data, gsize len);
/* Parse the next request. On RC_RESP_REQUEST, *argv is a new RcArgv the caller frees. */
RcRespStatus rc_resp_parser_next(RcRespParser *p, RcArgv **argv);
/* The same without a copy: *argv is the parser's, its arguments point into the query buffer
 * (not NUL-terminated), and it is valid until the next call on the parser (next, feed,
 * compact, free). A multibulk request sent exactly as rc_resp_encode_argv() would write it
 * carries those bytes as `raw`. */
RcRespStatus rc_resp_parser_next_view(RcRespParser *p, const RcArgv **argv);
/* Drop the consumed prefix of the query buffer (after a processing pass). */
void rc_resp_parser_compact(RcRespParser *p);
/* Bytes buffered and not yet consumed (the query buffer length Redis compares with
 * client-query-buffer-limit). */
gsize rc_resp_parser_pending(const RcRespParser *p);
/* The error message after RC_RESP_ERROR, without "-" or CRLF, e.g.
 * "ERR Protocol error: invalid bulk length". */
const char *rc_resp_parser_error(const RcRespParser *p);
/* TRUE when bytes of an unfinished request are buffered or consumed. */
gboolean rc_resp_parser_in_request(const RcRespParser *p);
/* Treat the input as the master's stream (no bulk length limit). */
void rc_resp_parser_set_master(RcRespParser *p, gboolean is_master);

/* Redis's string2ll(): strict decimal, no spaces or '+', no leading zeros, no "-0". */
gboolean rc_string2ll(const char *s, gsize len, gint64 *value);
/* Redis's sdssplitargs() on one inline line (no NUL inside): NULL on unbalanced quotes. */
RcArgv *rc_resp_split_args(const char *line, gsize len);

/* Reply encoders (addReply*). */
void rc_reply_status(GString *r, const char *status); /* +status */
void rc_reply_ok(GString *r);
void rc_reply_error(GString *r, const char *msg);
void rc_reply_errorf(GString *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void rc_reply_int(GString *r, gint64 v);
void rc_reply_bulk(GString *r, const void *data, gsize len);
void rc_reply_bulk_str(GString *r, const char *s);
void rc_reply_bulk_bytes(GString *r, GBytes *b);
void rc_reply_bulk_arg(GString *r, const RcArgv *a, int i); /* argument i of a request */
void rc_reply_bulk_ll(GString *r, gint64 v);
void rc_reply_null(GString *r);       /* $-1 */
void rc_reply_null_array(GString *r); /* *-1 */
void rc_reply_array(GString *r, gint64 n);
/* Encode a request the way a client (or the replication stream) sends it. */
void rc_resp_encode_argv(GString *r, const RcArgv *a);

/* Shared error texts (server.c createSharedObjects). */
#define RC_ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define RC_ERR_NOT_INT "ERR value is not an integer or out of range"
#define RC_ERR_SYNTAX "ERR syntax error"
#define RC_ERR_OVERFLOW "ERR increment or decrement would overflow"

#endif
