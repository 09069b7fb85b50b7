/* The cluster client's RESP side: request encoding, the incremental reply parser (every
 * chunking of a reply gives the same result; malformed replies are errors, never crashes),
 * redirect parsing and CLUSTER SLOTS. */
#include <check.h>
#include <string.h>

#include "sim/client_resp.h"

START_TEST(test_encode)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    const char *argv[] = {"SADD", "k1", ""};
    sim_resp_encode(out, 3, argv);
    const char want[] = "*3\r\n$4\r\nSADD\r\n$2\r\nk1\r\n$0\r\n\r\n";
    ck_assert_uint_eq(out->len, strlen(want));
    ck_assert_int_eq(memcmp(out->data, want, out->len), 0);
}
END_TEST

/* Lengths of one, two and more digits, more arguments than are measured once, and an
 * append after bytes already held. */
START_TEST(test_encode_lengths)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_byte_array_append(out, (const guint8 *)"x", 1);
    g_autofree char *s10 = g_strnfill(10, 'a');
    g_autofree char *s99 = g_strnfill(99, 'b');
    g_autofree char *s100 = g_strnfill(100, 'c');
    g_autofree char *s12345 = g_strnfill(12345, 'd');
    const char *argv[] = {"RPUSH", s10, s99, s100, s12345, "1", "2", "3", "4", "5", "6"};
    sim_resp_encode(out, G_N_ELEMENTS(argv), argv);
    g_autoptr(GString) want = g_string_new("x*11\r\n");
    for (guint i = 0; i < G_N_ELEMENTS(argv); i++)
        g_string_append_printf(want, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    ck_assert_uint_eq(out->len, want->len);
    ck_assert_int_eq(memcmp(out->data, want->str, out->len), 0);
}
END_TEST

/* Every argument length from 0 to 40, of distinct bytes: short arguments are copied by
 * overlapping moves, which must put every byte in its place. */
START_TEST(test_encode_every_short_length)
{
    for (gsize n = 0; n <= 40; n++) {
        char arg[41];
        for (gsize i = 0; i < n; i++)
            arg[i] = (char)('A' + i);
        arg[n] = '\0';
        const char *argv[] = {arg, "k", arg};
        g_autoptr(GByteArray) out = g_byte_array_new();
        sim_resp_encode(out, 3, argv);
        g_autofree char *want =
            g_strdup_printf("*3\r\n$%zu\r\n%s\r\n$1\r\nk\r\n$%zu\r\n%s\r\n", n, arg, n, arg);
        ck_assert_uint_eq(out->len, strlen(want));
        ck_assert_int_eq(memcmp(out->data, want, out->len), 0);
    }
}
END_TEST

/* client.c sends CLUSTER SLOTS and ASKING as fixed bytes: they are these encodings. */
START_TEST(test_encode_fixed_requests)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    const char *slots[] = {"CLUSTER", "SLOTS"};
    sim_resp_encode(out, 2, slots);
    const char want[] = "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n";
    ck_assert_uint_eq(out->len, strlen(want));
    ck_assert_int_eq(memcmp(out->data, want, out->len), 0);
    g_byte_array_set_size(out, 0);
    const char *asking[] = {"ASKING"};
    sim_resp_encode(out, 1, asking);
    ck_assert_uint_eq(out->len, strlen("*1\r\n$6\r\nASKING\r\n"));
    ck_assert_int_eq(memcmp(out->data, "*1\r\n$6\r\nASKING\r\n", out->len), 0);
}
END_TEST

/* A long stream of replies of every simple type in chunks of 7 bytes: the reader drops what
 * it consumed while holding a partial reply, and grows, without losing or reordering bytes. */
START_TEST(test_reader_keeps_a_long_stream)
{
    g_autoptr(GString) stream = g_string_new(NULL);
    for (guint i = 0; i < 2000; i++) {
        switch (i % 4) {
        case 0:
            g_string_append_printf(stream, ":%u\r\n", i);
            break;
        case 1:
            g_string_append_printf(stream, "$%u\r\n%0*u\r\n", 3 + i % 50, 3 + i % 50, i);
            break;
        case 2:
            g_string_append(stream, i % 8 == 2 ? "+OK\r\n" : "$-1\r\n");
            break;
        default:
            g_string_append_printf(stream, "-ERR %u\r\n", i);
        }
    }
    g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
    guint seen = 0;
    for (gsize at = 0; at < stream->len; at += 7) {
        sim_reply_reader_feed(rd, (const guint8 *)stream->str + at, MIN(7, stream->len - at));
        GError *error = NULL;
        SimReply *r;
        while ((r = sim_reply_reader_pop(rd, &error)) != NULL) {
            switch (seen % 4) {
            case 0:
                ck_assert_int_eq(r->type, SIM_REPLY_INTEGER);
                ck_assert_int_eq(r->integer, seen);
                break;
            case 1:
                ck_assert_int_eq(r->type, SIM_REPLY_BULK);
                ck_assert_uint_eq(r->len, 3 + seen % 50);
                ck_assert_int_eq(g_ascii_strtoll(r->str, NULL, 10), seen);
                break;
            case 2:
                ck_assert_int_eq(r->type, seen % 8 == 2 ? SIM_REPLY_STATUS : SIM_REPLY_NIL);
                break;
            default:
                ck_assert_int_eq(r->type, SIM_REPLY_ERROR);
                ck_assert_uint_eq(r->len, strlen(r->str));
                ck_assert_int_eq(g_ascii_strtoll(r->str + 4, NULL, 10), seen);
            }
            sim_reply_free(r);
            seen++;
        }
        ck_assert_ptr_null(error);
    }
    ck_assert_uint_eq(seen, 2000);
    ck_assert_uint_eq(sim_reply_reader_pending(rd), 0);
}
END_TEST

/* A recycled reply's block serves the next reply that fits (it is taken from the spare slot)
 * and not one that does not; of two recycled blocks the larger is kept. */
START_TEST(test_reply_blocks_recycled)
{
    g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
    const char in[] = "$10\r\n0123456789\r\n:7\r\n$40\r\n"
                      "abcdefghijabcdefghijabcdefghijabcdefghij\r\n+OK\r\n";
    sim_reply_reader_feed(rd, (const guint8 *)in, strlen(in));
    SimReply *spare = NULL;
    SimReply *a = sim_reply_reader_pop_into(rd, &spare, NULL);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(a->str, "0123456789");
    sim_reply_recycle(&spare, a);
    ck_assert_ptr_eq(spare, a);
    SimReply *b = sim_reply_reader_pop_into(rd, &spare, NULL); /* :7 fits in a's block */
    ck_assert_ptr_eq(b, a);
    ck_assert_ptr_null(spare);
    ck_assert_int_eq(b->type, SIM_REPLY_INTEGER);
    ck_assert_int_eq(b->integer, 7);
    sim_reply_recycle(&spare, b);
    SimReply *c = sim_reply_reader_pop_into(rd, &spare, NULL); /* 40 bytes do not fit */
    ck_assert_ptr_ne(c, b);
    ck_assert_ptr_eq(spare, b);
    ck_assert_uint_eq(c->len, 40);
    ck_assert_str_eq(c->str + 30, "abcdefghij");
    sim_reply_recycle(&spare, c); /* the larger block stays */
    ck_assert_ptr_eq(spare, c);
    SimReply *d = sim_reply_reader_pop_into(rd, &spare, NULL);
    ck_assert_ptr_eq(d, c);
    ck_assert_int_eq(d->type, SIM_REPLY_STATUS);
    ck_assert_str_eq(d->str, "OK");
    sim_reply_free(d);
    sim_reply_recycle(&spare, NULL);
    ck_assert_ptr_null(spare);
}
END_TEST

static const char cluster_slots[] =
    "*2\r\n"
    "*3\r\n:0\r\n:5460\r\n*3\r\n$9\r\n127.0.0.1\r\n:30001\r\n$40\r\n"
    "0123456789012345678901234567890123456789\r\n"
    "*4\r\n:5461\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:30002\r\n*2\r\n$9\r\n127.0.0.1\r\n"
    ":30005\r\n";

START_TEST(test_every_chunking_parses_alike)
{
    gsize len = strlen(cluster_slots);
    for (gsize cut = 0; cut <= len; cut++) {
        g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
        GError *error = NULL;
        sim_reply_reader_feed(rd, (const guint8 *)cluster_slots, cut);
        SimReply *r = sim_reply_reader_pop(rd, &error);
        ck_assert_ptr_null(error);
        if (cut < len) {
            ck_assert_ptr_null(r);
            sim_reply_reader_feed(rd, (const guint8 *)cluster_slots + cut, len - cut);
            r = sim_reply_reader_pop(rd, &error);
        }
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(r->type, SIM_REPLY_ARRAY);
        ck_assert_uint_eq(r->n, 2);
        g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(SimSlotRange));
        ck_assert(sim_cluster_slots_parse(r, ranges, &error));
        ck_assert_uint_eq(ranges->len, 2);
        SimSlotRange *s1 = &g_array_index(ranges, SimSlotRange, 1);
        ck_assert_uint_eq(s1->first, 5461);
        ck_assert_uint_eq(s1->last, 16383);
        ck_assert_str_eq(s1->ip, "127.0.0.1");
        ck_assert_uint_eq(s1->port, 30002);
        ck_assert_uint_eq(sim_reply_reader_pending(rd), 0);
        sim_reply_free(r);
    }
}
END_TEST

START_TEST(test_reply_types_in_a_row)
{
    const char text[] =
        "+OK\r\n-MOVED 12182 127.0.0.1:30003\r\n:-42\r\n$-1\r\n*-1\r\n$3\r\na\0b\r\n*0\r\n";
    g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
    sim_reply_reader_feed(rd, (const guint8 *)text, sizeof text - 1);
    SimReplyType want[] = {SIM_REPLY_STATUS,    SIM_REPLY_ERROR, SIM_REPLY_INTEGER, SIM_REPLY_NIL,
                           SIM_REPLY_NIL_ARRAY, SIM_REPLY_BULK,  SIM_REPLY_ARRAY};
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        g_autoptr(SimReply) r = sim_reply_reader_pop(rd, NULL);
        ck_assert_ptr_nonnull(r);
        ck_assert_int_eq(r->type, want[i]);
        if (r->type == SIM_REPLY_INTEGER)
            ck_assert_int_eq(r->integer, -42);
        if (r->type == SIM_REPLY_BULK) {
            ck_assert_uint_eq(r->len, 3);
            ck_assert_int_eq(memcmp(r->str, "a\0b", 3), 0);
        }
    }
    ck_assert_ptr_null(sim_reply_reader_pop(rd, NULL));
}
END_TEST

/* A reply's raw bytes, as sim_reply_reader_last gives them, are skipped whole when they come
 * again, however the bytes arrive; a different or incomplete reply is left to the parser. */
START_TEST(test_skip_a_known_reply)
{
    gsize len = strlen(cluster_slots);
    g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
    sim_reply_reader_feed(rd, (const guint8 *)cluster_slots, len);
    g_autoptr(SimReply) first = sim_reply_reader_pop(rd, NULL);
    ck_assert_ptr_nonnull(first);
    gsize raw_len = 0;
    const guint8 *raw = sim_reply_reader_last(rd, &raw_len);
    ck_assert_uint_eq(raw_len, len);
    g_autoptr(GByteArray) known = g_byte_array_new();
    g_byte_array_append(known, raw, (guint)raw_len);

    for (gsize cut = 0; cut <= len; cut++) {
        sim_reply_reader_feed(rd, (const guint8 *)cluster_slots, cut);
        if (cut < len) {
            ck_assert(!sim_reply_reader_skip(rd, known->data, known->len));
            sim_reply_reader_feed(rd, (const guint8 *)cluster_slots + cut, len - cut);
        }
        sim_reply_reader_feed(rd, (const guint8 *)"+OK\r\n", 5);
        ck_assert(sim_reply_reader_skip(rd, known->data, known->len));
        raw = sim_reply_reader_last(rd, &raw_len);
        ck_assert_uint_eq(raw_len, len);
        ck_assert_int_eq(memcmp(raw, cluster_slots, len), 0);
        ck_assert(!sim_reply_reader_skip(rd, known->data, known->len)); /* +OK is next */
        g_autoptr(SimReply) ok = sim_reply_reader_pop(rd, NULL);
        ck_assert_ptr_nonnull(ok);
        ck_assert_int_eq(ok->type, SIM_REPLY_STATUS);
        ck_assert_uint_eq(sim_reply_reader_pending(rd), 0);
    }
    /* one byte changed: parsed, not skipped */
    g_autofree char *other = g_strdup(cluster_slots);
    other[len - 3] = '6';
    sim_reply_reader_feed(rd, (const guint8 *)other, len);
    ck_assert(!sim_reply_reader_skip(rd, known->data, known->len));
    g_autoptr(SimReply) changed = sim_reply_reader_pop(rd, NULL);
    ck_assert_ptr_nonnull(changed);
    /* a broken reader skips nothing */
    sim_reply_reader_feed(rd, (const guint8 *)"?\r\n", 3);
    ck_assert_ptr_null(sim_reply_reader_pop(rd, NULL));
    sim_reply_reader_feed(rd, (const guint8 *)cluster_slots, len);
    ck_assert(!sim_reply_reader_skip(rd, known->data, known->len));
}
END_TEST

static const struct {
    const char *text;
    const char *error;
} bad_replies[] = {
    {"?what\r\n", "resp: unexpected type byte 0x3f"},
    {":12a\r\n", "resp: bad integer"},
    {"$-2\r\n", "resp: bad bulk length"},
    {"$3\r\nabcd\r\n", "resp: bulk string not followed by CRLF"},
    {"*x\r\n", "resp: bad array length"},
    {"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
     "resp: nested deeper than 8"},
    {"$99999999999\r\n", "resp: bad bulk length"},
};

START_TEST(test_bad_replies)
{
    g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
    sim_reply_reader_feed(rd, (const guint8 *)bad_replies[_i].text, strlen(bad_replies[_i].text));
    GError *error = NULL;
    ck_assert_ptr_null(sim_reply_reader_pop(rd, &error));
    ck_assert_ptr_nonnull(error);
    ck_assert_str_eq(error->message, bad_replies[_i].error);
    g_clear_error(&error);
    /* the reader stays broken */
    ck_assert_ptr_null(sim_reply_reader_pop(rd, &error));
    ck_assert_ptr_nonnull(error);
    g_clear_error(&error);
    /* until it is reset for a new connection: then it reads again from scratch */
    sim_reply_reader_reset(rd);
    ck_assert_uint_eq(sim_reply_reader_pending(rd), 0);
    sim_reply_reader_feed(rd, (const guint8 *)"+OK\r\n", 5);
    g_autoptr(SimReply) ok = sim_reply_reader_pop(rd, &error);
    ck_assert_ptr_null(error);
    ck_assert_ptr_nonnull(ok);
    ck_assert_str_eq(ok->str, "OK");
}
END_TEST

/* A reply fed one byte at a time, popped after each byte: the reader goes on measuring where
 * it stopped, and gives the same tree (and the same error for a bad reply) as when it comes
 * whole. A reset in the middle forgets the partial reply. */
START_TEST(test_byte_at_a_time)
{
    g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
    gsize len = strlen(cluster_slots);
    for (int round = 0; round < 2; round++) {
        SimReply *r = NULL;
        for (gsize i = 0; i < len; i++) {
            ck_assert_ptr_null(r);
            sim_reply_reader_feed(rd, (const guint8 *)cluster_slots + i, 1);
            GError *error = NULL;
            r = sim_reply_reader_pop(rd, &error);
            ck_assert_ptr_null(error);
            ck_assert((r != NULL) == (i == len - 1));
        }
        g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(SimSlotRange));
        ck_assert(sim_cluster_slots_parse(r, ranges, NULL));
        ck_assert_uint_eq(ranges->len, 2);
        ck_assert_uint_eq(g_array_index(ranges, SimSlotRange, 1).port, 30002);
        sim_reply_free(r);
    }
    sim_reply_reader_feed(rd, (const guint8 *)cluster_slots, len / 2);
    ck_assert_ptr_null(sim_reply_reader_pop(rd, NULL));
    sim_reply_reader_reset(rd);
    sim_reply_reader_feed(rd, (const guint8 *)":7\r\n", 4);
    g_autoptr(SimReply) seven = sim_reply_reader_pop(rd, NULL);
    ck_assert_ptr_nonnull(seven);
    ck_assert_int_eq(seven->integer, 7);
    for (gsize b = 0; b < G_N_ELEMENTS(bad_replies); b++) {
        sim_reply_reader_reset(rd);
        const char *text = bad_replies[b].text;
        GError *error = NULL;
        for (gsize i = 0; text[i] != '\0' && error == NULL; i++) {
            sim_reply_reader_feed(rd, (const guint8 *)text + i, 1);
            ck_assert_ptr_null(sim_reply_reader_pop(rd, &error));
        }
        ck_assert_ptr_nonnull(error);
        ck_assert_str_eq(error->message, bad_replies[b].error);
        g_clear_error(&error);
    }
}
END_TEST

/* Bytes fed transiently are read in place; settle keeps what is left of a reply still
 * arriving, so the caller may then reuse its buffer; a reset while lent forgets them. */
START_TEST(test_transient_feed)
{
    g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
    gsize len = strlen(cluster_slots);
    for (gsize cut = 0; cut <= len; cut++) {
        /* ":5" then the first `cut` bytes of a CLUSTER SLOTS reply, in a buffer reused below */
        g_autofree char *buf = g_strdup_printf(":5\r\n%.*s", (int)cut, cluster_slots);
        gsize n = strlen(buf);
        sim_reply_reader_feed_transient(rd, (const guint8 *)buf, n);
        g_autoptr(SimReply) five = sim_reply_reader_pop(rd, NULL);
        ck_assert_ptr_nonnull(five);
        ck_assert_int_eq(five->integer, 5);
        SimReply *r = sim_reply_reader_pop(rd, NULL);
        ck_assert((r != NULL) == (cut == len));
        sim_reply_reader_settle(rd);
        memset(buf, '?', n); /* the caller's bytes are gone */
        if (r == NULL) {
            ck_assert_uint_eq(sim_reply_reader_pending(rd), cut);
            g_autofree char *rest = g_strdup(cluster_slots + cut);
            sim_reply_reader_feed_transient(rd, (const guint8 *)rest, len - cut);
            r = sim_reply_reader_pop(rd, NULL);
            sim_reply_reader_settle(rd);
        }
        ck_assert_ptr_nonnull(r);
        g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(SimSlotRange));
        ck_assert(sim_cluster_slots_parse(r, ranges, NULL));
        ck_assert_uint_eq(g_array_index(ranges, SimSlotRange, 1).last, 16383);
        ck_assert_uint_eq(sim_reply_reader_pending(rd), 0);
        sim_reply_free(r);
    }
    sim_reply_reader_feed_transient(rd, (const guint8 *)"+OK\r\n+O", 8);
    sim_reply_reader_reset(rd);
    sim_reply_reader_settle(rd);
    ck_assert_uint_eq(sim_reply_reader_pending(rd), 0);
    sim_reply_reader_feed(rd, (const guint8 *)":1\r\n", 4);
    g_autoptr(SimReply) one = sim_reply_reader_pop(rd, NULL);
    ck_assert_ptr_nonnull(one);
    ck_assert_int_eq(one->integer, 1);
}
END_TEST

START_TEST(test_redirects)
{
    SimRedirect r;
    ck_assert_int_eq(sim_redirect_parse("MOVED 3999 127.0.0.1:30002", &r), SIM_REDIRECT_MOVED);
    ck_assert_uint_eq(r.slot, 3999);
    ck_assert_str_eq(r.ip, "127.0.0.1");
    ck_assert_uint_eq(r.port, 30002);
    ck_assert_int_eq(sim_redirect_parse("ASK 0 10.0.0.2:7000", &r), SIM_REDIRECT_ASK);
    ck_assert_uint_eq(r.slot, 0);
    ck_assert_int_eq(
        sim_redirect_parse("TRYAGAIN Multiple keys request during rehashing of slot", &r),
        SIM_REDIRECT_TRYAGAIN);
    ck_assert_int_eq(sim_redirect_parse("CLUSTERDOWN The cluster is down", &r),
                     SIM_REDIRECT_CLUSTERDOWN);
    ck_assert_int_eq(sim_redirect_parse("CLUSTERDOWN Hash slot not served", &r),
                     SIM_REDIRECT_CLUSTERDOWN);
    /* malformed redirects are ordinary errors */
    ck_assert_int_eq(sim_redirect_parse("MOVED 16384 127.0.0.1:30002", &r), SIM_REDIRECT_NONE);
    ck_assert_int_eq(sim_redirect_parse("MOVED 1 127.0.0.1", &r), SIM_REDIRECT_NONE);
    ck_assert_int_eq(sim_redirect_parse("MOVED 1 127.0.0.1:0", &r), SIM_REDIRECT_NONE);
    ck_assert_int_eq(sim_redirect_parse("ASK x 127.0.0.1:1", &r), SIM_REDIRECT_NONE);
    ck_assert_int_eq(sim_redirect_parse("ERR unknown command", &r), SIM_REDIRECT_NONE);
    ck_assert_int_eq(sim_redirect_parse("NOREPLICAS Not enough good replicas to write.", &r),
                     SIM_REDIRECT_NONE);
}
END_TEST

START_TEST(test_cluster_slots_rejects_bad_shapes)
{
    const char *texts[] = {"+OK\r\n", "*1\r\n:1\r\n",
                           "*1\r\n*3\r\n:5\r\n:2\r\n*2\r\n$1\r\na\r\n:1\r\n",
                           "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\na\r\n:70000\r\n"};
    for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
        g_autoptr(SimReplyReader) rd = sim_reply_reader_new();
        sim_reply_reader_feed(rd, (const guint8 *)texts[i], strlen(texts[i]));
        g_autoptr(SimReply) r = sim_reply_reader_pop(rd, NULL);
        ck_assert_ptr_nonnull(r);
        g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(SimSlotRange));
        GError *error = NULL;
        ck_assert(!sim_cluster_slots_parse(r, ranges, &error));
        ck_assert(g_str_has_prefix(error->message, "cluster slots: "));
        g_error_free(error);
    }
}
END_TEST

Suite *client_suite(void);
Suite *client_suite(void)
{
    Suite *s = suite_create("client");
    TCase *tc = tcase_create("resp");
    tcase_add_test(tc, test_encode);
    tcase_add_test(tc, test_encode_lengths);
    tcase_add_test(tc, test_encode_every_short_length);
    tcase_add_test(tc, test_encode_fixed_requests);
    tcase_add_test(tc, test_every_chunking_parses_alike);
    tcase_add_test(tc, test_byte_at_a_time);
    tcase_add_test(tc, test_transient_feed);
    tcase_add_test(tc, test_reader_keeps_a_long_stream);
    tcase_add_test(tc, test_reply_blocks_recycled);
    tcase_add_test(tc, test_reply_types_in_a_row);
    tcase_add_test(tc, test_skip_a_known_reply);
    tcase_add_loop_test(tc, test_bad_replies, 0, G_N_ELEMENTS(bad_replies));
    tcase_add_test(tc, test_redirects);
    tcase_add_test(tc, test_cluster_slots_rejects_bad_shapes);
    suite_add_tcase(s, tc);
    return s;
}
