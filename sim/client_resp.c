/* RESP2 for clients: encode requests, parse replies incrementally, read redirections. */
#include "sim/client_resp.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"

GQuark sim_resp_error_quark(void);
G_DEFINE_QUARK(sim - resp - error - quark, sim_resp_error)
#define SIM_RESP_ERROR (sim_resp_error_quark())

void sim_reply_free(SimReply *r)
{
    if (r == NULL)
        return;
    for (gsize i = 0; i < r->n; i++)
        sim_reply_free(r->elements[i]);
    g_free(r->elements);
    g_free(r->str);
    g_free(r);
}

/* "<prefix><n>\r\n" without printf: this runs for every request of every client. */
static void append_header(GByteArray *out, char prefix, gsize n)
{
    char buf[24];
    int i = (int)sizeof buf;
    buf[--i] = '\n';
    buf[--i] = '\r';
    do {
        buf[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    buf[--i] = prefix;
    g_byte_array_append(out, (const guint8 *)buf + i, (guint)(sizeof buf - (gsize)i));
}

void sim_resp_encode(GByteArray *out, guint argc, const char *const *argv)
{
    append_header(out, '*', argc);
    for (guint i = 0; i < argc; i++) {
        gsize len = strlen(argv[i]);
        append_header(out, '$', len);
        g_byte_array_append(out, (const guint8 *)argv[i], (guint)len);
        g_byte_array_append(out, (const guint8 *)"\r\n", 2);
    }
}

struct SimReplyReader {
    GByteArray *buf;
    gsize pos;       /* bytes already consumed */
    gboolean broken; /* a protocol error was seen */
    char *broken_reason;
};

SimReplyReader *sim_reply_reader_new(void)
{
    SimReplyReader *rd = g_new0(SimReplyReader, 1);
    rd->buf = g_byte_array_new();
    return rd;
}

void sim_reply_reader_free(SimReplyReader *rd)
{
    if (rd == NULL)
        return;
    g_byte_array_free(rd->buf, TRUE);
    g_free(rd->broken_reason);
    g_free(rd);
}

void sim_reply_reader_feed(SimReplyReader *rd, const guint8 *data, gsize len)
{
    if (rd->pos > 0 && rd->pos >= rd->buf->len / 2) {
        g_byte_array_remove_range(rd->buf, 0, rd->pos);
        rd->pos = 0;
    }
    g_byte_array_append(rd->buf, data, len);
}

gsize sim_reply_reader_pending(const SimReplyReader *rd)
{
    return rd->buf->len - rd->pos;
}

enum { PARSE_ERROR = -1, PARSE_MORE = 0, PARSE_OK = 1 };

/* The line starting at *p (without CRLF): returns its length, or -1 if no CRLF yet. */
static gssize find_line(const guint8 *b, gsize len, gsize p)
{
    for (gsize i = p; i + 1 < len; i++)
        if (b[i] == '\r' && b[i + 1] == '\n')
            return (gssize)(i - p);
    return -1;
}

static gboolean line_int(const guint8 *s, gsize n, gint64 *out)
{
    if (n == 0 || n > 20)
        return FALSE;
    char tmp[24];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    gsize i = tmp[0] == '-' ? 1 : 0;
    if (i == n)
        return FALSE;
    for (gsize j = i; j < n; j++)
        if (!g_ascii_isdigit(tmp[j]))
            return FALSE;
    char *end = NULL;
    *out = g_ascii_strtoll(tmp, &end, 10);
    return *end == '\0';
}

static int parse_one(const guint8 *b, gsize len, gsize *p, int depth, SimReply **out, char **why)
{
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
    const guint8 *line = b + *p + 1;
    gsize after = *p + 1 + (gsize)n + 2;
    gint64 v = 0;
    SimReply *r = g_new0(SimReply, 1);
    switch (type) {
    case '+':
    case '-':
        r->type = type == '+' ? SIM_REPLY_STATUS : SIM_REPLY_ERROR;
        r->str = g_strndup((const char *)line, n);
        r->len = (gsize)n;
        *p = after;
        *out = r;
        return PARSE_OK;
    case ':':
        if (!line_int(line, n, &v)) {
            *why = g_strdup("bad integer");
            goto bad;
        }
        r->type = SIM_REPLY_INTEGER;
        r->integer = v;
        *p = after;
        *out = r;
        return PARSE_OK;
    case '$':
        if (!line_int(line, n, &v) || v < -1 || v > SIM_REPLY_BULK_MAX) {
            *why = g_strdup("bad bulk length");
            goto bad;
        }
        if (v == -1) {
            r->type = SIM_REPLY_NIL;
            *p = after;
            *out = r;
            return PARSE_OK;
        }
        if (len < after + (gsize)v + 2) {
            sim_reply_free(r);
            return PARSE_MORE;
        }
        if (b[after + v] != '\r' || b[after + v + 1] != '\n') {
            *why = g_strdup("bulk string not followed by CRLF");
            goto bad;
        }
        r->type = SIM_REPLY_BULK;
        r->str = g_malloc(v + 1);
        memcpy(r->str, b + after, v);
        r->str[v] = '\0';
        r->len = (gsize)v;
        *p = after + v + 2;
        *out = r;
        return PARSE_OK;
    case '*': {
        if (!line_int(line, n, &v) || v < -1 || v > SIM_REPLY_ARRAY_MAX) {
            *why = g_strdup("bad array length");
            goto bad;
        }
        if (v == -1) {
            r->type = SIM_REPLY_NIL_ARRAY;
            *p = after;
            *out = r;
            return PARSE_OK;
        }
        r->type = SIM_REPLY_ARRAY;
        gsize q = after;
        GPtrArray *els = g_ptr_array_new();
        for (gint64 i = 0; i < v; i++) {
            SimReply *e = NULL;
            int rc = parse_one(b, len, &q, depth + 1, &e, why);
            if (rc != PARSE_OK) {
                g_ptr_array_set_free_func(els, (GDestroyNotify)sim_reply_free);
                g_ptr_array_free(els, TRUE);
                sim_reply_free(r);
                return rc;
            }
            g_ptr_array_add(els, e);
        }
        r->n = els->len;
        r->elements = (SimReply **)g_ptr_array_free(els, FALSE);
        *p = q;
        *out = r;
        return PARSE_OK;
    }
    default:
        *why = g_strdup_printf("unexpected type byte 0x%02x", type);
        goto bad;
    }
bad:
    sim_reply_free(r);
    return PARSE_ERROR;
}

SimReply *sim_reply_reader_pop(SimReplyReader *rd, GError **error)
{
    if (rd->broken) {
        g_set_error(error, SIM_RESP_ERROR, 1, "resp: %s", rd->broken_reason);
        return NULL;
    }
    gsize p = rd->pos;
    SimReply *r = NULL;
    char *why = NULL;
    int rc = parse_one(rd->buf->data, rd->buf->len, &p, 0, &r, &why);
    if (rc == PARSE_OK) {
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
