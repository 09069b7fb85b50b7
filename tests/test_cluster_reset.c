/* CLUSTER RESET [SOFT|HARD] on a hand-built view (tests/failover_fixture.c), compared with
 * Redis 7.0's clusterReset(): a replica turns master and drops its data; migrations close;
 * every slot is unassigned; every other node is forgotten (not blacklisted); SOFT keeps the
 * node id, currentEpoch, configEpoch and lastVoteEpoch, HARD zeroes the epochs and picks a new
 * id; the new config is saved and the state updated in before-sleep. A master holding keys
 * refuses. */
#include <check.h>
#include <string.h>

#include "core/bus.h"
#include "core/keyspace.h"
#include "tests/failover_fixture.h"

static char *run_cluster(const char *const *argv)
{
    g_autoptr(RcArgv) args = rc_argv_new_from_strv(argv);
    GString *reply = g_string_new("");
    RcCommandCall call = {.node = fo->node, .args = args, .reply = reply};
    rc_cluster_command(&call);
    return g_string_free(reply, FALSE);
}

/* me (master, 0-5460, configEpoch 3), b (master, 5461-16383, configEpoch 4), c replica of b;
 * currentEpoch 7, lastVoteEpoch 5, slot 10 migrating to b. */
static void build_view(RcClusterNode **b, RcClusterNode **c)
{
    RcCluster *cl = fo->node->cluster;
    *b = fo_add_node('b', RC_NODE_MASTER);
    *c = fo_add_node('c', RC_NODE_SLAVE);
    fo_make_replica(*c, *b);
    fo_assign_slots(cl->myself, 0, 5460);
    fo_assign_slots(*b, 5461, 16383);
    cl->myself->config_epoch = 3;
    (*b)->config_epoch = 4;
    cl->current_epoch = 7;
    cl->last_vote_epoch = 5;
    rc_cluster_slot_table(&cl->migrating_slots_to)[10] = *b;
}

/* The last nodes.conf saved, NUL-terminated (the action's bytes are not), or NULL. */
static char *saved_conf(void)
{
    const RcAction *last = NULL;
    for (guint i = 0; i < rc_outbox_len(fo->out); i++) {
        const RcAction *a = rc_outbox_get(fo->out, i);
        if (a->kind == RC_ACT_SAVE)
            last = a;
    }
    if (last == NULL)
        return NULL;
    g_autoptr(GBytes) bytes = last->bytes ? g_bytes_ref(last->bytes) : rc_node_saved_conf(fo->node);
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    return g_strndup(data, len);
}

START_TEST(test_reset_soft_master_without_keys)
{
    fo_setup(1);
    RcClusterNode *b, *c;
    build_view(&b, &c);
    RcCluster *cl = fo->node->cluster;
    char name[RC_CLUSTER_NAMELEN];
    memcpy(name, cl->myself->name, sizeof name);
    rc_outbox_clear(fo->out);

    g_autofree char *reply = run_cluster((const char *[]){"CLUSTER", "RESET", "SOFT", NULL});
    ck_assert_str_eq(reply, "+OK\r\n");
    /* forgets every other node, keeps its id and epochs */
    ck_assert_uint_eq(cl->nodes->len, 1);
    ck_assert_ptr_eq(g_ptr_array_index(cl->nodes, 0), cl->myself);
    ck_assert(memcmp(cl->myself->name, name, sizeof name) == 0);
    ck_assert_ptr_null(rc_cluster_lookup(fo->node, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
    ck_assert_ptr_null(rc_cluster_lookup(fo->node, "cccccccccccccccccccccccccccccccccccccccc"));
    ck_assert_uint_eq(cl->myself->config_epoch, 3);
    ck_assert_uint_eq(cl->current_epoch, 7);
    ck_assert_uint_eq(cl->last_vote_epoch, 5);
    /* (MIGRATE_TO stays, as in Redis: clusterDelSlot does not clear it; it is never shown) */
    ck_assert_uint_eq(cl->myself->flags & (guint16)~RC_NODE_MIGRATE_TO,
                      RC_NODE_MYSELF | RC_NODE_MASTER);
    /* no slots, no open migration */
    ck_assert_int_eq(cl->myself->numslots, 0);
    for (int j = 0; j < RC_CLUSTER_SLOTS; j++)
        ck_assert_ptr_null(cl->slots[j]);
    ck_assert_ptr_null(rc_cluster_slot_entry(cl->migrating_slots_to, 10));
    /* a forgotten node may be met again: soft reset blacklists nothing */
    ck_assert_uint_eq(g_hash_table_size(cl->nodes_black_list), 0);

    /* saved and re-evaluated in before-sleep, not at once */
    char *none = saved_conf();
    ck_assert_ptr_null(none);
    rc_cluster_before_sleep(fo->node);
    g_autofree char *conf = saved_conf();
    ck_assert_ptr_nonnull(conf);
    g_autofree char *line = g_strdup_printf(
        "%.40s :7000@17000 myself,master - 0 0 3 connected\n" /* ip unknown: never met */
        "vars currentEpoch 7 lastVoteEpoch 5\n",
        name);
    ck_assert_str_eq(conf, line);
    ck_assert_int_eq(cl->state, RC_CLUSTER_FAIL);
    ck_assert_int_eq(cl->size, 0);

    g_autofree char *info = run_cluster((const char *[]){"CLUSTER", "INFO", NULL});
    ck_assert_ptr_nonnull(strstr(info, "cluster_known_nodes:1\r\n"));
    ck_assert_ptr_nonnull(strstr(info, "cluster_current_epoch:7\r\n"));
    ck_assert_ptr_nonnull(strstr(info, "cluster_my_epoch:3\r\n"));
    ck_assert_ptr_nonnull(strstr(info, "cluster_slots_assigned:0\r\n"));
    fo_teardown();
}
END_TEST

START_TEST(test_reset_soft_replica_becomes_empty_master)
{
    fo_setup(2);
    RcClusterNode *b, *c;
    build_view(&b, &c);
    RcCluster *cl = fo->node->cluster;
    fo_assign_slots(b, 0, 5460); /* I give my slots away and follow b */
    fo_make_replica(cl->myself, b);
    fo_add_keys_in_slot(100, 3);
    ck_assert(rc_node_is_replica(cl->myself));
    char name[RC_CLUSTER_NAMELEN];
    memcpy(name, cl->myself->name, sizeof name);

    g_autofree char *reply = run_cluster((const char *[]){"CLUSTER", "RESET", NULL});
    ck_assert_str_eq(reply, "+OK\r\n"); /* SOFT is the default */
    ck_assert(rc_node_is_master(cl->myself));
    ck_assert_ptr_null(cl->myself->replica_of);
    ck_assert(!rc_repl_is_replica(fo->node));
    ck_assert_uint_eq(rc_keyspace_size(fo->node->db), 0);
    ck_assert_uint_eq(cl->nodes->len, 1);
    ck_assert(memcmp(cl->myself->name, name, sizeof name) == 0);
    ck_assert_uint_eq(cl->current_epoch, 7);
    fo_teardown();
}
END_TEST

START_TEST(test_reset_hard_new_id_and_zero_epochs)
{
    fo_setup(3);
    RcClusterNode *b, *c;
    build_view(&b, &c);
    RcCluster *cl = fo->node->cluster;
    char name[RC_CLUSTER_NAMELEN];
    memcpy(name, cl->myself->name, sizeof name);
    g_autofree char *reply = run_cluster((const char *[]){"CLUSTER", "RESET", "hard", NULL});
    ck_assert_str_eq(reply, "+OK\r\n");
    ck_assert_uint_eq(cl->nodes->len, 1);
    ck_assert(memcmp(cl->myself->name, name, sizeof name) != 0);
    ck_assert_uint_eq(cl->myself->config_epoch, 0);
    ck_assert_uint_eq(cl->current_epoch, 0);
    ck_assert_uint_eq(cl->last_vote_epoch, 0);
    fo_teardown();
}
END_TEST

START_TEST(test_reset_refusals)
{
    fo_setup(4);
    RcClusterNode *b, *c;
    build_view(&b, &c);
    RcCluster *cl = fo->node->cluster;
    fo_add_keys_in_slot(100, 1);
    g_autofree char *keys = run_cluster((const char *[]){"CLUSTER", "RESET", "SOFT", NULL});
    ck_assert_str_eq(keys,
                     "-ERR CLUSTER RESET can't be called with master nodes containing keys\r\n");
    g_autofree char *syntax = run_cluster((const char *[]){"CLUSTER", "RESET", "medium", NULL});
    ck_assert_str_eq(syntax, "-ERR syntax error\r\n");
    /* nothing changed */
    ck_assert_uint_eq(cl->nodes->len, 3);
    ck_assert_int_eq(cl->myself->numslots, 5461);
    fo_teardown();
}
END_TEST

Suite *cluster_reset_suite(void);
Suite *cluster_reset_suite(void)
{
    Suite *s = suite_create("cluster_reset");
    TCase *tc = tcase_create("reset");
    tcase_add_test(tc, test_reset_soft_master_without_keys);
    tcase_add_test(tc, test_reset_soft_replica_becomes_empty_master);
    tcase_add_test(tc, test_reset_hard_new_id_and_zero_epochs);
    tcase_add_test(tc, test_reset_refusals);
    suite_add_tcase(s, tc);
    return s;
}
