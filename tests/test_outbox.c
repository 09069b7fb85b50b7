#include <check.h>
#include <string.h>

#include "core/outbox.h"

START_TEST(test_actions_keep_order_and_bytes)
{
    g_autoptr(RcOutbox) out = rc_outbox_new();
    rc_outbox_connect(out, 7, "127.0.0.1", 40001, TRUE);
    rc_outbox_send(out, 7, "abc", 3);
    rc_outbox_send(out, 7, "", 0); /* empty sends are not actions */
    rc_outbox_event(out, RC_EVT_FAIL, "0123456789012345678901234567890123456789", 3);
    rc_outbox_log(out, RC_LOG_NOTICE, "Marking node %s as failing", "abc");
    ck_assert_uint_eq(rc_outbox_len(out), 4);
    ck_assert_int_eq(rc_outbox_get(out, 0)->kind, RC_ACT_CONNECT);
    ck_assert_str_eq(rc_outbox_get(out, 0)->ip, "127.0.0.1");
    ck_assert_uint_eq(rc_outbox_get(out, 0)->port, 40001);
    ck_assert_uint_eq(rc_outbox_get(out, 1)->len, 3);
    ck_assert_int_eq(memcmp(rc_outbox_get(out, 1)->data, "abc", 3), 0);
    ck_assert_str_eq(rc_outbox_get(out, 2)->peer, "0123456789012345678901234567890123456789");
    ck_assert_uint_eq(rc_outbox_get(out, 2)->value, 3);
    gsize len;
    const char *data = g_bytes_get_data(rc_outbox_get(out, 3)->bytes, &len);
    ck_assert_int_eq(memcmp(data, "Marking node abc as failing", len), 0);
    rc_outbox_clear(out);
    ck_assert_uint_eq(rc_outbox_len(out), 0);
}
END_TEST

/* Byte i of send k: a pattern that differs between neighbouring sends. */
static guint8 pattern(guint k, gsize i)
{
    return (guint8)(k * 31 + i * 7 + 1);
}

static void fill_send(RcOutbox *out, guint k, gsize len)
{
    guint8 *buf = g_malloc(len);
    for (gsize i = 0; i < len; i++)
        buf[i] = pattern(k, i);
    rc_outbox_send(out, k, buf, len);
    memset(buf, 0, len); /* the outbox kept its own copy */
    g_free(buf);
}

static void check_send(const RcOutbox *out, guint k, gsize len)
{
    const RcAction *a = rc_outbox_get(out, k);
    ck_assert_int_eq(a->kind, RC_ACT_SEND);
    ck_assert_uint_eq(a->handle, k);
    ck_assert_uint_eq(a->len, len);
    for (gsize i = 0; i < len; i++)
        ck_assert_uint_eq(a->data[i], pattern(k, i));
    g_autoptr(GBytes) b = rc_action_send_bytes(a);
    ck_assert_uint_eq(g_bytes_get_size(b), len);
    ck_assert_int_eq(memcmp(g_bytes_get_data(b, NULL), a->data, len), 0);
}

/* Sends of every size class, across many storage blocks and several clears: each keeps its
 * own bytes until the clear, whatever was sent after it. */
START_TEST(test_send_payloads_stay_put_until_clear)
{
    g_autoptr(RcOutbox) out = rc_outbox_new();
    for (guint round = 0; round < 3; round++) {
        gsize lens[200];
        for (guint k = 0; k < G_N_ELEMENTS(lens); k++) {
            /* mostly small, some at and around the copy limit, a few large */
            gsize len = 1 + (k * 977 + round * 131) % 1500;
            if (k % 17 == 0)
                len = RC_OUTBOX_COPY_MAX + (k % 3) - 1;
            if (k % 53 == 0)
                len = RC_OUTBOX_BLOCK_BYTES + k;
            lens[k] = len;
            fill_send(out, k, len);
        }
        ck_assert_uint_eq(rc_outbox_len(out), G_N_ELEMENTS(lens));
        for (guint k = 0; k < G_N_ELEMENTS(lens); k++) {
            check_send(out, k, lens[k]);
            /* large payloads travel as a GBytes, small ones in the outbox's blocks */
            ck_assert((rc_outbox_get(out, k)->bytes != NULL) == (lens[k] > RC_OUTBOX_COPY_MAX));
        }
        rc_outbox_clear(out);
        ck_assert_uint_eq(rc_outbox_len(out), 0);
    }
}
END_TEST

START_TEST(test_send_bytes_is_referenced)
{
    g_autoptr(RcOutbox) out = rc_outbox_new();
    g_autoptr(GBytes) msg = g_bytes_new("hello", 5);
    rc_outbox_send_bytes(out, 3, msg);
    const RcAction *a = rc_outbox_get(out, 0);
    ck_assert_ptr_eq(a->bytes, msg);
    ck_assert_ptr_eq(a->data, g_bytes_get_data(msg, NULL));
    ck_assert_uint_eq(a->len, 5);
    rc_outbox_clear(out);
}
END_TEST

Suite *outbox_suite(void);
Suite *outbox_suite(void)
{
    Suite *s = suite_create("outbox");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_actions_keep_order_and_bytes);
    tcase_add_test(tc, test_send_payloads_stay_put_until_clear);
    tcase_add_test(tc, test_send_bytes_is_referenced);
    suite_add_tcase(s, tc);
    return s;
}
