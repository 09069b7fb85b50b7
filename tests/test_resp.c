/* RESP parser and reply encoders (core/resp.c). */
#include <check.h>
#include <string.h>

#include "core/resp.h"
#include "core/short_copy.h"

#define MAX_BULK (512LL * 1024 * 1024)

/* A view's raw bytes, when it has them, are exactly its encoding. */
static void check_raw(const RcArgv *view)
{
    if (view->raw == NULL)
        return;
    g_autoptr(GString) enc = g_string_new(NULL);
    rc_resp_encode_argv(enc, view);
    ck_assert_uint_eq(view->raw_len, enc->len);
    ck_assert_int_eq(memcmp(view->raw, enc->str, enc->len), 0);
}

/* Parse everything in `chunks` (fed one by one, parsing after each) and render the
 * requests as "arg|arg;" with empty requests as "-;" and a final "ERR:<msg>" on error.
 * With `use_view`, through rc_resp_parser_next_view() (each view checked against the copy
 * rc_argv_copy() makes of it, and its raw bytes against their encoding). */
static GString *parse_chunks_with(const char *const *chunks, const gsize *lens, int n,
                                  gboolean use_view)
{
    g_autoptr(RcRespParser) p = rc_resp_parser_new(MAX_BULK);
    GString *out = g_string_new(NULL);
    for (int i = 0; i < n; i++) {
        rc_resp_parser_feed(p, (const guint8 *)chunks[i], lens[i]);
        for (;;) {
            RcArgv *a = NULL;
            RcRespStatus st;
            if (use_view) {
                const RcArgv *view = NULL;
                st = rc_resp_parser_next_view(p, &view);
                if (st == RC_RESP_REQUEST) {
                    a = rc_argv_copy(view);
                    check_raw(view);
                }
            } else {
                st = rc_resp_parser_next(p, &a);
            }
            if (st == RC_RESP_NEED_MORE)
                break;
            if (st == RC_RESP_ERROR) {
                g_string_append_printf(out, "ERR:%s", rc_resp_parser_error(p));
                return out;
            }
            if (a->argc == 0)
                g_string_append(out, "-");
            for (int j = 0; j < a->argc; j++) {
                gsize len;
                const char *d = rc_argv_data(a, j, &len);
                if (j)
                    g_string_append_c(out, '|');
                g_string_append_len(out, d, (gssize)len);
            }
            g_string_append_c(out, ';');
            rc_argv_free(a);
        }
        rc_resp_parser_compact(p);
    }
    return out;
}

static GString *parse_chunks(const char *const *chunks, const gsize *lens, int n)
{
    GString *copied = parse_chunks_with(chunks, lens, n, FALSE);
    g_autoptr(GString) viewed = parse_chunks_with(chunks, lens, n, TRUE);
    ck_assert_str_eq(viewed->str, copied->str);
    return copied;
}

static GString *parse_whole(const char *data, gsize len)
{
    const char *chunks[] = {data};
    gsize lens[] = {len};
    return parse_chunks(chunks, lens, 1);
}

static const char pipeline[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhe\r\nl\r\n"
                               "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
                               "PING\r\n"
                               "*0\r\n"
                               "  \r\n"
                               "echo \"a b\" 'c'\n"
                               "*1\r\n$0\r\n\r\n";
static const char pipeline_expect[] = "SET|k|he\r\nl;GET|k;PING;-;-;echo|a b|c;;";

START_TEST(test_pipeline_at_every_split_point)
{
    gsize len = sizeof pipeline - 1;
    g_autoptr(GString) whole = parse_whole(pipeline, len);
    ck_assert_str_eq(whole->str, pipeline_expect);
    for (gsize cut = 0; cut <= len; cut++) {
        const char *chunks[] = {pipeline, pipeline + cut};
        gsize lens[] = {cut, len - cut};
        g_autoptr(GString) got = parse_chunks(chunks, lens, 2);
        ck_assert_msg(strcmp(got->str, pipeline_expect) == 0, "split at %zu: %s", cut, got->str);
    }
    /* And one byte at a time. */
    const char *chunks[sizeof pipeline];
    gsize lens[sizeof pipeline];
    for (gsize i = 0; i < len; i++) {
        chunks[i] = pipeline + i;
        lens[i] = 1;
    }
    g_autoptr(GString) bytewise = parse_chunks(chunks, lens, (int)len);
    ck_assert_str_eq(bytewise->str, pipeline_expect);
}
END_TEST

typedef struct {
    const char *name;
    const char *input;
    gsize len; /* 0 = strlen */
    const char *expect;
} Case;

/* A multibulk request carries its bytes as `raw` only when they are its canonical encoding:
 * the bytes Redis skips unchecked after a length line or a bulk must be CRLF. */
START_TEST(test_view_raw_only_when_canonical)
{
    static const struct {
        const char *input;
        gboolean has_raw;
    } cases[] = {
        {"*2\r\n$4\r\nSADD\r\n$0\r\n\r\n", TRUE},
        {"*1\r\n$4\r\nping\r\n", TRUE},
        {"*1\rX$4\r\nPING\r\n", FALSE},        /* after the count */
        {"*1\r\n$4\r\rPING\r\n", FALSE},       /* after a bulk length */
        {"*1\r\n$4\r\nPINGxy", FALSE},         /* after a bulk */
        {"*1\r\n$4\r\nPING\r\r", FALSE},       /* its second byte */
        {"*1\r\n$4\r\nPING\n\n", FALSE},       /* its first byte */
        {"*2\r\n$1\r\na\r\n$1\r\nbXY", FALSE}, /* the one-pass read gives up at the end */
        {"PING\r\n", FALSE},                   /* inline */
        {"*2\r\n$1\r\na\r\n$3\r\nb\0c\r\n", TRUE},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *in = cases[i].input;
        gsize len = strlen(in);
        if (i == G_N_ELEMENTS(cases) - 1)
            len = sizeof "*2\r\n$1\r\na\r\n$3\r\nb\0c\r\n" - 1;
        g_autoptr(RcRespParser) p = rc_resp_parser_new(MAX_BULK);
        rc_resp_parser_feed(p, (const guint8 *)in, len);
        const RcArgv *v = NULL;
        ck_assert_int_eq(rc_resp_parser_next_view(p, &v), RC_RESP_REQUEST);
        ck_assert_msg((v->raw != NULL) == cases[i].has_raw, "case %zu", i);
        if (v->raw != NULL) {
            ck_assert_uint_eq(v->raw_len, len);
            ck_assert_int_eq(memcmp(v->raw, in, len), 0);
        }
        check_raw(v);
        /* The copy owns its bytes (NUL-terminated) and has no raw form. */
        g_autoptr(RcArgv) c = rc_argv_copy(v);
        ck_assert_ptr_null(c->raw);
        for (int j = 0; j < c->argc; j++) {
            ck_assert_uint_eq(c->v[j].len, v->v[j].len);
            ck_assert_int_eq(memcmp(c->v[j].data, v->v[j].data, v->v[j].len), 0);
            ck_assert_int_eq(c->v[j].data[c->v[j].len], '\0');
        }
    }
}
END_TEST

/* RcArgvView: arguments point into the caller's bytes; the array grows and is reused;
 * rc_argv_bytes() works on a view and its GBytes goes with the next clear; a very long
 * request's array is given back. */
START_TEST(test_argv_view)
{
    RcArgvView view = {0};
    static const char buf[] = "hello world";
    for (int round = 0; round < 3; round++) {
        int n = round == 1 ? 3000 : 20;
        for (int i = 0; i < n; i++)
            rc_argv_view_push(&view, buf + i % 11, (gsize)(i % 5));
        const RcArgv *a = &view.argv;
        ck_assert_int_eq(a->argc, n);
        ck_assert_ptr_null(a->raw);
        for (int i = 0; i < n; i++) {
            gsize len;
            ck_assert_ptr_eq(rc_argv_data(a, i, &len), buf + i % 11);
            ck_assert_uint_eq(len, (gsize)(i % 5));
        }
        GBytes *b = rc_argv_bytes(a, 7);
        ck_assert_ptr_eq(rc_argv_bytes(a, 7), b); /* made once */
        ck_assert_uint_eq(g_bytes_get_size(b), 2);
        ck_assert_int_eq(memcmp(g_bytes_get_data(b, NULL), "or", 2), 0);
        g_bytes_ref(b);
        rc_argv_view_clear(&view);
        ck_assert_int_eq(view.argv.argc, 0);
        ck_assert_int_eq(memcmp(g_bytes_get_data(b, NULL), "or", 2), 0); /* still ours */
        g_bytes_unref(b);
        if (round == 1)
            ck_assert_uint_eq(view.cap, 0); /* the 3000-entry array was given back */
        else
            ck_assert_uint_ge(view.cap, (guint)n);
    }
    rc_argv_view_free(&view);
    ck_assert_ptr_null(view.argv.v);
}
END_TEST

START_TEST(test_protocol_errors_table)
{
    static const Case cases[] = {
        {"count not a number", "*abc\r\n", 0, "ERR:ERR Protocol error: invalid multibulk length"},
        {"count with plus", "*+1\r\n", 0, "ERR:ERR Protocol error: invalid multibulk length"},
        {"count empty", "*\r\n", 0, "ERR:ERR Protocol error: invalid multibulk length"},
        {"count over INT_MAX", "*2147483648\r\n", 0,
         "ERR:ERR Protocol error: invalid multibulk length"},
        {"count 20 digits", "*99999999999999999999\r\n", 0,
         "ERR:ERR Protocol error: invalid multibulk length"},
        {"bulk not a number", "*1\r\n$x\r\n", 0, "ERR:ERR Protocol error: invalid bulk length"},
        {"bulk negative", "*1\r\n$-1\r\n", 0, "ERR:ERR Protocol error: invalid bulk length"},
        {"bulk leading zero", "*1\r\n$01\r\n", 0, "ERR:ERR Protocol error: invalid bulk length"},
        {"bulk over proto-max-bulk-len", "*1\r\n$536870913\r\n", 0,
         "ERR:ERR Protocol error: invalid bulk length"},
        {"not a bulk", "*2\r\nx\r\n", 0, "ERR:ERR Protocol error: expected '$', got 'x'"},
        {"colon instead of dollar", "*1\r\n:1\r\n", 0,
         "ERR:ERR Protocol error: expected '$', got ':'"},
        {"newline instead of dollar", "*1\r\n\n\r\n", 0,
         "ERR:ERR Protocol error: expected '$', got ' '"},
        {"second bulk bad", "*2\r\n$1\r\na\r\n?1\r\n", 0,
         "ERR:ERR Protocol error: expected '$', got '?'"},
        {"unbalanced double quote", "set \"abc\r\n", 0,
         "ERR:ERR Protocol error: unbalanced quotes in request"},
        {"quote glued to text", "set \"a\"b\r\n", 0,
         "ERR:ERR Protocol error: unbalanced quotes in request"},
        {"unbalanced single quote", "get 'k\n", 0,
         "ERR:ERR Protocol error: unbalanced quotes in request"},
        {"requests before the error survive", "PING\r\n*1\r\n$1\r\nx\r\n*z\r\n", 0,
         "PING;x;ERR:ERR Protocol error: invalid multibulk length"},
        {"empty multibulk -1", "*-1\r\nPING\r\n", 0, "-;PING;"},
        {"binary inline", "\xff\xfe \x01\n", 0, "\xff\xfe|\x01;"},
        /* strchr() stops at NUL: the newline is never seen, Redis keeps waiting. */
        {"NUL before newline", "ab\0cd\nPING\n", 11, ""},
        {"NUL inside bulk is data", "*1\r\n$3\r\na\0b\r\n", 13, "a\0b;"},
        /* The two bytes after a bulk are skipped unchecked, as Redis does. */
        {"bulk terminator unchecked", "*1\r\n$1\r\naXY*1\r\n$1\r\nb\r\n", 0, "a;b;"},
        {"count line needs its LF byte", "*1\r", 0, ""},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const Case *c = &cases[i];
        gsize len = c->len ? c->len : strlen(c->input);
        g_autoptr(GString) got = parse_whole(c->input, len);
        gsize elen = strlen(c->expect);
        if (strcmp(c->name, "NUL inside bulk is data") == 0)
            elen = 4;
        ck_assert_msg(got->len == elen && memcmp(got->str, c->expect, elen) == 0,
                      "%s: got '%s' want '%s'", c->name, got->str, c->expect);
    }
}
END_TEST

START_TEST(test_size_limits)
{
    /* An inline request without a newline beyond 64 KiB. */
    gsize n = RC_PROTO_INLINE_MAX_SIZE + 1;
    g_autofree char *big = g_malloc(n);
    memset(big, 'a', n);
    g_autoptr(GString) inl = parse_whole(big, n);
    ck_assert_str_eq(inl->str, "ERR:ERR Protocol error: too big inline request");
    /* Exactly 64 KiB is still waiting. */
    g_autoptr(GString) wait = parse_whole(big, n - 1);
    ck_assert_str_eq(wait->str, "");
    /* A multibulk count line that never ends. */
    big[0] = '*';
    memset(big + 1, '1', n - 1);
    g_autoptr(GString) mb = parse_whole(big, n);
    ck_assert_str_eq(mb->str, "ERR:ERR Protocol error: too big mbulk count string");
    /* A bulk count line that never ends. */
    g_autofree char *bc = g_malloc(n + 4);
    memcpy(bc, "*1\r\n", 4);
    memset(bc + 4, '$', 1);
    memset(bc + 5, '1', n - 1);
    g_autoptr(GString) bulk = parse_whole(bc, n + 4);
    ck_assert_str_eq(bulk->str, "ERR:ERR Protocol error: too big bulk count string");
    /* A configured proto-max-bulk-len. */
    g_autoptr(RcRespParser) p = rc_resp_parser_new(10);
    rc_resp_parser_feed(p, (const guint8 *)"*1\r\n$11\r\n", 9);
    RcArgv *a = NULL;
    ck_assert_int_eq(rc_resp_parser_next(p, &a), RC_RESP_ERROR);
    ck_assert_str_eq(rc_resp_parser_error(p), "ERR Protocol error: invalid bulk length");
    /* Dead after an error, whatever follows. */
    rc_resp_parser_feed(p, (const guint8 *)"PING\r\n", 6);
    ck_assert_int_eq(rc_resp_parser_next(p, &a), RC_RESP_ERROR);
    ck_assert_ptr_null(a);
    /* The master's stream has no bulk limit. */
    g_autoptr(RcRespParser) m = rc_resp_parser_new(10);
    rc_resp_parser_set_master(m, TRUE);
    rc_resp_parser_feed(m, (const guint8 *)"*1\r\n$11\r\nhello world\r\n", 22);
    ck_assert_int_eq(rc_resp_parser_next(m, &a), RC_RESP_REQUEST);
    ck_assert_int_eq(a->argc, 1);
    rc_argv_free(a);
}
END_TEST

START_TEST(test_inline_split_args)
{
    static const struct {
        const char *line;
        const char *expect;
    } cases[] = {
        {"set a b", "set|a|b"},
        {"  set   a\tb  ", "set|a|b"},
        {"set a \"b c\"", "set|a|b c"},
        {"set a \"\\x41\\n\\t\\\\\"", "set|a|A\n\t\\"},
        {"set a \"\\xZZ\"", "set|a|xZZ"},
        {"set a 'it\\'s'", "set|a|it's"},
        {"set a 'x\\ny'", "set|a|x\\ny"},
        {"foo\"bar baz\"", "foobar baz"},
        {"\"\"", ""},
        {"", "(none)"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(RcArgv) a = rc_resp_split_args(cases[i].line, strlen(cases[i].line));
        ck_assert_ptr_nonnull(a);
        g_autoptr(GString) s = g_string_new(NULL);
        if (a->argc == 0)
            g_string_append(s, "(none)");
        for (int j = 0; j < a->argc; j++) {
            gsize len;
            const char *d = rc_argv_data(a, j, &len);
            if (j)
                g_string_append_c(s, '|');
            g_string_append_len(s, d, (gssize)len);
        }
        ck_assert_msg(strcmp(s->str, cases[i].expect) == 0, "'%s' -> '%s'", cases[i].line, s->str);
    }
    ck_assert_ptr_null(rc_resp_split_args("a \"b", 4));
    ck_assert_ptr_null(rc_resp_split_args("a 'b'c", 6));
}
END_TEST

START_TEST(test_string2ll)
{
    static const struct {
        const char *s;
        gboolean ok;
        gint64 v;
    } cases[] = {
        {"0", TRUE, 0},
        {"-1", TRUE, -1},
        {"123", TRUE, 123},
        {"9223372036854775807", TRUE, G_MAXINT64},
        {"-9223372036854775808", TRUE, G_MININT64},
        {"9223372036854775808", FALSE, 0},
        {"-9223372036854775809", FALSE, 0},
        {"", FALSE, 0},
        {"-", FALSE, 0},
        {"-0", FALSE, 0},
        {"01", FALSE, 0},
        {"+1", FALSE, 0},
        {" 1", FALSE, 0},
        {"1 ", FALSE, 0},
        {"1a", FALSE, 0},
        {"123456789012345678901", FALSE, 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        gint64 v = 42;
        gboolean ok = rc_string2ll(cases[i].s, strlen(cases[i].s), &v);
        ck_assert_msg(ok == cases[i].ok, "%s", cases[i].s);
        if (ok)
            ck_assert_int_eq(v, cases[i].v);
    }
}
END_TEST

START_TEST(test_reply_encoders)
{
    g_autoptr(GString) r = g_string_new(NULL);
    rc_reply_ok(r);
    rc_reply_status(r, "PONG");
    rc_reply_error(r, "ERR bad\r\nthing");
    rc_reply_errorf(r, "ERR wrong number of arguments for '%s' command", "get");
    rc_reply_int(r, -7);
    rc_reply_bulk(r, "a\0b", 3);
    rc_reply_bulk_ll(r, 1234);
    rc_reply_null(r);
    rc_reply_null_array(r);
    rc_reply_array(r, 2);
    static const char expect[] = "+OK\r\n+PONG\r\n-ERR bad  thing\r\n"
                                 "-ERR wrong number of arguments for 'get' command\r\n"
                                 ":-7\r\n$3\r\na\0b\r\n$4\r\n1234\r\n$-1\r\n*-1\r\n*2\r\n";
    ck_assert_uint_eq(r->len, sizeof expect - 1);
    ck_assert_int_eq(memcmp(r->str, expect, r->len), 0);
    /* An encoded request parses back to itself. */
    static const char *const strv[] = {"SET", "k", "v\r\n", NULL};
    g_autoptr(RcArgv) a = rc_argv_new_from_strv(strv);
    g_autoptr(GString) e = g_string_new(NULL);
    rc_resp_encode_argv(e, a);
    g_autoptr(GString) back = parse_whole(e->str, e->len);
    ck_assert_str_eq(back->str, "SET|k|v\r\n;");
}
END_TEST

/* The encoders write straight into the string's spare room: integers at every digit count
 * and both extremes, and bulks of every length from 0 to 300 appended one after the other
 * (so the string grows at every possible fill level), match printf byte for byte. */
START_TEST(test_reply_encoders_against_printf)
{
    static const gint64 ints[] = {0,
                                  1,
                                  -1,
                                  9,
                                  10,
                                  -10,
                                  99,
                                  100,
                                  101,
                                  999,
                                  1000,
                                  1009,
                                  12345,
                                  -987654321,
                                  1000000000,
                                  1234567890123456789,
                                  G_MAXINT64,
                                  G_MININT64,
                                  G_MAXINT64 - 1,
                                  G_MININT64 + 1};
    g_autoptr(GString) r = g_string_new(NULL);
    g_autoptr(GString) want = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(ints); i++) {
        rc_reply_int(r, ints[i]);
        rc_reply_array(r, ints[i]);
        rc_reply_bulk_ll(r, ints[i]);
        g_autofree char *d = g_strdup_printf("%" G_GINT64_FORMAT, ints[i]);
        g_string_append_printf(want, ":%s\r\n*%s\r\n$%zu\r\n%s\r\n", d, d, strlen(d), d);
    }
    char data[300];
    for (gsize i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7);
    for (gsize len = 0; len <= sizeof data; len++) {
        rc_reply_bulk(r, data, len);
        g_string_append_printf(want, "$%zu\r\n", len);
        g_string_append_len(want, data, (gssize)len);
        g_string_append(want, "\r\n");
    }
    static const char *const strv[] = {"SADD", "key", "", "member", NULL};
    g_autoptr(RcArgv) a = rc_argv_new_from_strv(strv);
    rc_resp_encode_argv(r, a);
    g_string_append(want, "*4\r\n$4\r\nSADD\r\n$3\r\nkey\r\n$0\r\n\r\n$6\r\nmember\r\n");
    ck_assert_uint_eq(r->len, want->len);
    ck_assert_int_eq(memcmp(r->str, want->str, r->len), 0);
    ck_assert_int_eq(r->str[r->len], '\0');
}
END_TEST

/* A parsed request is one block: a bulk of several MiB fed in uneven pieces, compacted after
 * each, and a request of 100000 arguments, come out whole and NUL-terminated; the rewrite
 * constructors and copies keep every byte (NULs included). */
START_TEST(test_argv_huge_and_many)
{
    const gsize big = 3 * 1024 * 1024 + 17;
    GString *req = g_string_new("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n");
    g_string_append_printf(req, "$%" G_GSIZE_FORMAT "\r\n", big);
    for (gsize i = 0; i < big; i++)
        g_string_append_c(req, (char)('a' + i % 23));
    g_string_append(req, "\r\n*1\r\n$4\r\nPING\r\n");
    g_autoptr(RcRespParser) p = rc_resp_parser_new(512LL * 1024 * 1024);
    RcArgv *got[2] = {NULL, NULL};
    int n = 0;
    for (gsize off = 0, step = 1; off < req->len; off += step, step = step * 3 + 1) {
        rc_resp_parser_feed(p, (const guint8 *)req->str + off, MIN(step, req->len - off));
        RcArgv *a = NULL;
        while (rc_resp_parser_next(p, &a) == RC_RESP_REQUEST) {
            ck_assert_int_lt(n, 2);
            got[n++] = a;
        }
        rc_resp_parser_compact(p);
    }
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(got[0]->argc, 3);
    gsize len;
    const char *d = rc_argv_data(got[0], 2, &len);
    ck_assert_uint_eq(len, big);
    ck_assert_int_eq(d[len], '\0');
    for (gsize i = 0; i < big; i += 4099)
        ck_assert_int_eq(d[i], 'a' + i % 23);
    ck_assert(rc_argv_is(got[0], 0, "set") && rc_argv_is(got[1], 0, "ping"));
    g_autoptr(RcArgv) copy = rc_argv_copy(got[0]);
    ck_assert(g_bytes_equal(rc_argv_bytes(copy, 2), rc_argv_bytes(got[0], 2)));
    ck_assert_ptr_eq(rc_argv_bytes(copy, 2), rc_argv_bytes(copy, 2)); /* made once */
    rc_argv_free(got[0]);
    rc_argv_free(got[1]);
    g_string_free(req, TRUE);

    const int many = 100000;
    GString *m = g_string_new(NULL);
    g_string_append_printf(m, "*%d\r\n", many);
    for (int i = 0; i < many; i++) {
        char arg[16];
        int l = g_snprintf(arg, sizeof arg, "%d", i);
        g_string_append_printf(m, "$%d\r\n%s\r\n", l, arg);
    }
    rc_resp_parser_feed(p, (const guint8 *)m->str, m->len / 2);
    RcArgv *a = NULL;
    ck_assert_int_eq(rc_resp_parser_next(p, &a), RC_RESP_NEED_MORE);
    rc_resp_parser_compact(p);
    rc_resp_parser_feed(p, (const guint8 *)m->str + m->len / 2, m->len - m->len / 2);
    ck_assert_int_eq(rc_resp_parser_next(p, &a), RC_RESP_REQUEST);
    ck_assert_int_eq(a->argc, many);
    for (int i = 0; i < many; i += 997) {
        char arg[16];
        g_snprintf(arg, sizeof arg, "%d", i);
        ck_assert_str_eq(rc_argv_data(a, i, NULL), arg);
    }
    rc_argv_free(a);
    g_string_free(m, TRUE);

    const char *parts[3] = {"a\0b", "", "xyz"};
    const gsize lens[3] = {3, 0, 3};
    g_autoptr(RcArgv) s = rc_argv_new_from_slices(3, parts, lens);
    ck_assert_int_eq(memcmp(rc_argv_data(s, 0, &len), "a\0b", 3), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_uint_eq(rc_argv_bytes(s, 1) != NULL && g_bytes_get_size(rc_argv_bytes(s, 1)) == 0, 1);
    GBytes *b[2] = {g_bytes_new("x", 1), g_bytes_new_static("yy", 2)};
    g_autoptr(RcArgv) r = rc_argv_new_from_bytes(2, b);
    ck_assert_ptr_eq(rc_argv_bytes(r, 0), b[0]);
    ck_assert(rc_argv_is(r, 1, "YY"));
    g_bytes_unref(b[0]);
    g_bytes_unref(b[1]);
}
END_TEST

/* rc_short_copy copies exactly n bytes for every n up to past its inline bound, whatever the
 * alignment of either side, and touches nothing around them. */
START_TEST(test_short_copy_every_length)
{
    enum { MAX = RC_SHORT_COPY_MAX + 40, PAD = 16 };
    guint8 src[MAX + 2 * PAD], dst[MAX + 2 * PAD];
    for (gsize i = 0; i < sizeof src; i++)
        src[i] = (guint8)(i * 37 + 11);
    for (gsize n = 0; n <= MAX; n++)
        for (gsize so = 0; so < 8; so++)
            for (gsize doff = 0; doff < 8; doff++) {
                memset(dst, 0xa5, sizeof dst);
                rc_short_copy(dst + PAD + doff, src + PAD + so, n);
                for (gsize i = 0; i < sizeof dst; i++) {
                    gboolean inside = i >= PAD + doff && i < PAD + doff + n;
                    guint8 want = inside ? src[PAD + so + (i - PAD - doff)] : 0xa5;
                    ck_assert_msg(dst[i] == want, "n=%zu so=%zu do=%zu at %zu", n, so, doff, i);
                }
            }
    rc_short_copy(NULL, NULL, 0); /* nothing to copy: neither pointer is read */
}
END_TEST

Suite *resp_suite(void);
Suite *resp_suite(void)
{
    Suite *s = suite_create("resp");
    TCase *tc = tcase_create("parser");
    tcase_add_test(tc, test_pipeline_at_every_split_point);
    tcase_add_test(tc, test_protocol_errors_table);
    tcase_add_test(tc, test_size_limits);
    tcase_add_test(tc, test_inline_split_args);
    tcase_add_test(tc, test_string2ll);
    tcase_add_test(tc, test_reply_encoders);
    tcase_add_test(tc, test_reply_encoders_against_printf);
    tcase_add_test(tc, test_argv_huge_and_many);
    tcase_add_test(tc, test_view_raw_only_when_canonical);
    tcase_add_test(tc, test_argv_view);
    tcase_add_test(tc, test_short_copy_every_length);
    suite_add_tcase(s, tc);
    return s;
}
