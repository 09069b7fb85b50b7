#include <check.h>

#include "core/outbox.h"

START_TEST(test_actions_keep_order_and_bytes)
{
    g_autoptr(RcOutbox) out = rc_outbox_new();
    rc_outbox_connect(out, 7, "127.0.0.1", 40001);
    rc_outbox_send(out, 7, "abc", 3);
    rc_outbox_send(out, 7, "", 0); /* empty sends are not actions */
    rc_outbox_event(out, RC_EVT_FAIL, "0123456789012345678901234567890123456789", 3);
    rc_outbox_log(out, RC_LOG_NOTICE, "Marking node %s as failing", "abc");
    ck_assert_uint_eq(rc_outbox_len(out), 4);
    ck_assert_int_eq(rc_outbox_get(out, 0)->kind, RC_ACT_CONNECT);
    ck_assert_str_eq(rc_outbox_get(out, 0)->ip, "127.0.0.1");
    ck_assert_uint_eq(rc_outbox_get(out, 0)->port, 40001);
    gsize len;
    const char *data = g_bytes_get_data(rc_outbox_get(out, 1)->bytes, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(memcmp(data, "abc", 3), 0);
    ck_assert_str_eq(rc_outbox_get(out, 2)->peer, "0123456789012345678901234567890123456789");
    ck_assert_uint_eq(rc_outbox_get(out, 2)->value, 3);
    data = g_bytes_get_data(rc_outbox_get(out, 3)->bytes, &len);
    ck_assert_int_eq(memcmp(data, "Marking node abc as failing", len), 0);
    rc_outbox_clear(out);
    ck_assert_uint_eq(rc_outbox_len(out), 0);
}
END_TEST

Suite *outbox_suite(void);
Suite *outbox_suite(void)
{
    Suite *s = suite_create("outbox");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_actions_keep_order_and_bytes);
    suite_add_tcase(s, tc);
    return s;
}
