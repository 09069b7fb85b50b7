/* Hash slots (core/keyslot.c): the CRC16 check value and the reference's key -> slot table. */
#include <check.h>
#include <string.h>

#include "core/keyslot.h"

START_TEST(test_crc16_check_value)
{
    ck_assert_uint_eq(rc_crc16("123456789", 9), 0x31C3);
    ck_assert_uint_eq(rc_crc16("", 0), 0);
}
END_TEST

START_TEST(test_key_slot_table)
{
    /* redis-cluster.md §1 test vectors. */
    static const struct {
        const char *key;
        int slot;
    } cases[] = {
        {"", 0},
        {"foo", 12182},
        {"bar", 5061},
        {"key", 12539},
        {"a", 15495},
        {"123456789", 12739},
        {"user1000", 3443},
        {"{user1000}.following", 3443},
        {"{user1000}.followers", 3443},
        {"foo{}{bar}", 8363},
        {"foo{{bar}}zap", 4015},
        {"foo{bar}{zap}", 5061},
        {"{}", 15257},
        {"}{", 12793},
        {"{a}{b}", 15495},
        {"06S", 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        ck_assert_msg(rc_key_hash_slot(cases[i].key, strlen(cases[i].key)) == cases[i].slot,
                      "%s -> %d, want %d", cases[i].key,
                      rc_key_hash_slot(cases[i].key, strlen(cases[i].key)), cases[i].slot);
    /* Keys are bytes: a NUL inside is hashed too, and "{" with nothing after is the key. */
    ck_assert_int_ne(rc_key_hash_slot("a\0b", 3), rc_key_hash_slot("a", 1));
    ck_assert_int_eq(rc_key_hash_slot("x{", 2), rc_crc16("x{", 2) & 16383);
}
END_TEST

Suite *keyslot_suite(void);
Suite *keyslot_suite(void)
{
    Suite *s = suite_create("keyslot");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_crc16_check_value);
    tcase_add_test(tc, test_key_slot_table);
    suite_add_tcase(s, tc);
    return s;
}
