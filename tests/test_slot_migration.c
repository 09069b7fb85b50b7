/* Unit tests of CLUSTER SETSLOT (resharding) on hand-built cluster views. */
#include <check.h>
#include <string.h>

#include "tests/failover_fixture.h"

static RcClusterNode *ME, *B, *R;
static char b_name[41], r_name[41], me_name[41];

/* myself 'm' owns 0-8191, b owns 8192-16383, r is b's replica. */
static void setup(void)
{
    fo_setup(11);
    ME = fo->node->cluster->myself;
    B = fo_add_node('b', RC_NODE_MASTER);
    R = fo_add_node('r', RC_NODE_SLAVE);
    fo_make_replica(R, B);
    fo_assign_slots(ME, 0, 8191);
    fo_assign_slots(B, 8192, 16383);
    ME->config_epoch = 1;
    B->config_epoch = 2;
    fo->node->cluster->current_epoch = 2;
    rc_epoch_name(B, b_name);
    rc_epoch_name(R, r_name);
    rc_epoch_name(ME, me_name);
    fo_set_time_ms(1000);
}

static GString *setslot(const char *slot, const char *action, const char *arg)
{
    const char *argv[] = {"CLUSTER", "SETSLOT", slot, action, arg, NULL};
    g_autoptr(RcArgv) args = rc_argv_new_from_strv(argv);
    GString *reply = g_string_new("");
    RcCommandCall call = {.node = fo->node, .args = args, .reply = reply};
    ck_assert(rc_failover_cluster_subcommand(&call));
    return reply;
}

typedef struct {
    const char *slot, *action, *arg;
    int keys; /* keys of that slot held here */
    gboolean as_replica;
    const char *reply;
} SetslotCase;

START_TEST(test_setslot_errors_table)
{
    const SetslotCase cases[] = {
        {"100", "migrating", b_name, 0, TRUE, "-ERR Please use SETSLOT only with masters.\r\n"},
        {"16384", "stable", NULL, 0, FALSE, "-ERR Invalid or out of range slot\r\n"},
        {"-1", "stable", NULL, 0, FALSE, "-ERR Invalid or out of range slot\r\n"},
        {"x", "stable", NULL, 0, FALSE, "-ERR Invalid or out of range slot\r\n"},
        {"100", "bogus", NULL, 0, FALSE,
         "-ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP\r\n"},
        {"100", "migrating", NULL, 0, FALSE,
         "-ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP\r\n"},
        {"100", "stable", b_name, 0, FALSE,
         "-ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP\r\n"},
        {"9000", "migrating", b_name, 0, FALSE, "-ERR I'm not the owner of hash slot 9000\r\n"},
        {"100", "migrating", "nosuchnode", 0, FALSE, "-ERR I don't know about node nosuchnode\r\n"},
        {"100", "migrating", r_name, 0, FALSE, "-ERR Target node is not a master\r\n"},
        {"100", "migrating", b_name, 0, FALSE, "+OK\r\n"},
        {"100", "importing", b_name, 0, FALSE, "-ERR I'm already the owner of hash slot 100\r\n"},
        {"9000", "importing", "zz", 0, FALSE, "-ERR I don't know about node zz\r\n"},
        {"9000", "importing", r_name, 0, FALSE, "-ERR Target node is not a master\r\n"},
        {"9000", "importing", b_name, 0, FALSE, "+OK\r\n"},
        {"100", "node", "nobody", 0, FALSE, "-ERR Unknown node nobody\r\n"},
        {"100", "node", r_name, 0, FALSE, "-ERR Target node is not a master\r\n"},
        {"100", "node", b_name, 3, FALSE,
         "-ERR Can't assign hashslot 100 to a different node while I still hold keys for this "
         "hash slot.\r\n"},
        {"100", "node", b_name, 0, FALSE, "+OK\r\n"},
        {"100", "node", me_name, 3, FALSE, "+OK\r\n"},
        {"100", "stable", NULL, 0, FALSE, "+OK\r\n"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        setup();
        if (cases[i].as_replica) {
            for (int j = 0; j < 8192; j++)
                rc_cluster_del_slot(fo->node, j);
            fo_make_replica(ME, B);
        }
        fo_add_keys_in_slot(100, (guint)cases[i].keys);
        GString *reply = setslot(cases[i].slot, cases[i].action, cases[i].arg);
        ck_assert_msg(!strcmp(reply->str, cases[i].reply), "case %zu (%s %s): %s", i, cases[i].slot,
                      cases[i].action, reply->str);
        g_string_free(reply, TRUE);
        fo_teardown();
    }
}
END_TEST

START_TEST(test_setslot_states_and_stable)
{
    setup();
    RcCluster *c = fo->node->cluster;
    g_string_free(setslot("100", "migrating", b_name), TRUE);
    g_string_free(setslot("9000", "importing", b_name), TRUE);
    ck_assert_ptr_eq(c->migrating_slots_to[100], B);
    ck_assert_ptr_eq(c->importing_slots_from[9000], B);
    ck_assert(c->todo_before_sleep & RC_CLUSTER_TODO_SAVE_CONFIG);
    g_string_free(setslot("100", "stable", NULL), TRUE);
    g_string_free(setslot("9000", "stable", NULL), TRUE);
    ck_assert_ptr_null(c->migrating_slots_to[100]);
    ck_assert_ptr_null(c->importing_slots_from[9000]);
    fo_teardown();
}
END_TEST

/* The destination closes the slot: it owns it, bumps its epoch without consensus and
 * broadcasts; the source then assigns it too, and clears its migrating state. */
START_TEST(test_setslot_node_handover)
{
    setup();
    RcCluster *c = fo->node->cluster;
    g_string_free(setslot("9000", "importing", b_name), TRUE);
    GString *r = setslot("9000", "node", me_name);
    ck_assert_str_eq(r->str, "+OK\r\n");
    g_string_free(r, TRUE);
    ck_assert_ptr_eq(c->slots[9000], ME);
    ck_assert_ptr_null(c->importing_slots_from[9000]);
    ck_assert_uint_eq(ME->config_epoch, 3); /* not the max (b has 2, current 2)? 1 != 2: bump */
    ck_assert_uint_eq(c->current_epoch, 3);
    ck_assert(fo_logged("configEpoch updated after importing slot 9000"));
    ck_assert_int_eq(fo_sent(RC_MSG_PONG, B, NULL), 1);
    ck_assert_int_eq(fo_sent(RC_MSG_PONG, R, NULL), 1);
    guint64 v;
    ck_assert_int_eq(fo_events(RC_EVT_SLOT_MIGRATED, &v), 1);
    ck_assert_uint_eq(v, 9000);
    fo_teardown();

    /* Source side, keys gone: the slot moves, migrating is cleared, no epoch bump. */
    setup();
    c = fo->node->cluster;
    g_string_free(setslot("100", "migrating", b_name), TRUE);
    r = setslot("100", "node", b_name);
    ck_assert_str_eq(r->str, "+OK\r\n");
    g_string_free(r, TRUE);
    ck_assert_ptr_eq(c->slots[100], B);
    ck_assert_ptr_null(c->migrating_slots_to[100]);
    ck_assert_uint_eq(ME->config_epoch, 1);
    ck_assert(rc_node_is_master(ME)); /* still owns other slots */
    fo_teardown();
}
END_TEST

START_TEST(test_setslot_last_slot_makes_me_replica)
{
    setup();
    RcCluster *c = fo->node->cluster;
    for (int j = 1; j < 8192; j++)
        rc_cluster_del_slot(fo->node, j);
    GString *r = setslot("0", "node", b_name);
    ck_assert_str_eq(r->str, "+OK\r\n");
    g_string_free(r, TRUE);
    ck_assert_ptr_eq(ME->replica_of, B);
    ck_assert(rc_node_is_replica(ME));
    ck_assert(fo_logged("Configuration change detected. Reconfiguring myself as a replica of "
                        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
    ck_assert(c->todo_before_sleep & RC_CLUSTER_TODO_FSYNC_CONFIG);
    fo_teardown();

    /* Not with cluster-allow-replica-migration no. */
    setup();
    fo->node->cfg.cluster_allow_replica_migration = FALSE;
    for (int j = 1; j < 8192; j++)
        rc_cluster_del_slot(fo->node, j);
    g_string_free(setslot("0", "node", b_name), TRUE);
    ck_assert_ptr_null(ME->replica_of);
    ck_assert(rc_node_is_master(ME));
    fo_teardown();
}
END_TEST

START_TEST(test_subcommand_dispatch)
{
    setup();
    const char *cases[][4] = {
        {"CLUSTER", "FAILOVER", "a", "b"}, /* argc 4: not ours */
        {"CLUSTER", "BUMPEPOCH", "x", NULL}, {"CLUSTER", "SET-CONFIG-EPOCH", NULL, NULL},
        {"CLUSTER", "SETSLOT", "1", NULL},   {"CLUSTER", "NODES", NULL, NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *argv[5] = {cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL};
        g_autoptr(RcArgv) args = rc_argv_new_from_strv(argv);
        GString *reply = g_string_new("");
        RcCommandCall call = {.node = fo->node, .args = args, .reply = reply};
        ck_assert_msg(!rc_failover_cluster_subcommand(&call), "case %zu", i);
        ck_assert_uint_eq(reply->len, 0);
        g_string_free(reply, TRUE);
    }
    fo_teardown();
}
END_TEST

Suite *slot_migration_suite(void);
Suite *slot_migration_suite(void)
{
    Suite *s = suite_create("slot_migration");
    TCase *tc = tcase_create("setslot");
    tcase_add_test(tc, test_setslot_errors_table);
    tcase_add_test(tc, test_setslot_states_and_stable);
    tcase_add_test(tc, test_setslot_node_handover);
    tcase_add_test(tc, test_setslot_last_slot_makes_me_replica);
    tcase_add_test(tc, test_subcommand_dispatch);
    suite_add_tcase(s, tc);
    return s;
}
