/* A replica applies its master's stream the same whatever the delivery's chunking: straight
 * from the delivered bytes while nothing is left over, through its input buffer after a
 * delivery ended inside a command (tests/repl_harness.c, virtual time set by hand). */
#include <check.h>
#include <string.h>

#include "core/cluster.h"
#include "core/cluster_types.h"
#include "core/keyspace.h"
#include "core/replication_private.h"
#include "tests/repl_harness.h"

#define M 0
#define R 1

/* Node i serves every slot in its own view, its cluster state OK. */
static void serve_all_slots(Harness *h, int i)
{
    RcCluster *cl = h->nodes[i]->cluster;
    h_enter(h, i);
    for (int s = 0; s < RC_CLUSTER_SLOTS; s++)
        rc_cluster_add_slot(h->nodes[i], cl->myself, s);
    h_leave(h, i);
    cl->state = RC_CLUSTER_OK;
}

static void send_ok(Harness *h, HLink *c, const char *line)
{
    g_autofree char *got = h_cmd(h, c, line);
    ck_assert_msg(got[0] != '-', "%s: %s", line, got);
}

/* The master's writes reach the replica in chunks of 1 to max_chunk bytes. */
static void check_chunking(guint32 seed, int max_chunk)
{
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "0.0.0.0", 7000);
    Harness *h = h_new(2, &cfg);
    serve_all_slots(h, M);
    HLink *c = h_client(h, M);
    send_ok(h, c, "SET before 1");
    const RcNodeConfig *mc = rc_node_config(h->nodes[M]);
    h_enter(h, R);
    rc_repl_set_master(h->nodes[R], mc->ip, mc->port);
    h_leave(h, R);
    h_advance_ms(h, 7000);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));

    HLink *l = h_repl_link(h, R);
    h_set_hold(l, FALSE, TRUE); /* master -> replica bytes queue up */
    GRand *r = g_rand_new_with_seed(seed);
    for (int i = 0; i < 60; i++) {
        g_autofree char *line = NULL;
        switch (g_rand_int_range(r, 0, 4)) {
        case 0:
            line = g_strdup_printf("SADD s%d m%d", i % 5, i);
            break;
        case 1:
            line = g_strdup_printf("SET k%d %d", i % 7, i);
            break;
        case 2:
            line = g_strdup_printf("DEL k%d", i % 7);
            break;
        default:
            send_ok(h, c, "MULTI");
            g_autofree char *a = g_strdup_printf("SADD s%d x%d y%d", i % 5, i, i);
            send_ok(h, c, a);
            line = g_strdup("EXEC");
            break;
        }
        send_ok(h, c, line);
    }
    /* The hold stays on while the chunks go in: what the master sends meanwhile (its
     * before-sleep flush, PINGs) queues behind them and goes next, in order. */
    gsize delivered = 0;
    for (GByteArray *held; (held = l->held_ba)->len > 0; g_byte_array_unref(held)) {
        l->held_ba = g_byte_array_new();
        for (gsize pos = 0; pos < held->len;) {
            gsize want = (gsize)g_rand_int_range(r, 1, max_chunk + 1); /* MIN evaluates twice */
            gsize n = MIN(want, held->len - pos);
            rc_node_recv(h->nodes[R], h->now_us, l->ha, held->data + pos, n, h->outs[R]);
            h_pump(h);
            pos += n;
        }
        delivered += held->len;
    }
    h_set_hold(l, FALSE, FALSE);
    ck_assert_uint_gt(delivered, 1000);
    ck_assert_int_eq(rc_repl_offset(h->nodes[R]), rc_repl_offset(h->nodes[M]));
    g_autoptr(GBytes) want = rc_keyspace_snapshot(h->nodes[M]->db);
    g_autoptr(GBytes) have = rc_keyspace_snapshot(h->nodes[R]->db);
    ck_assert_msg(g_bytes_equal(want, have), "seed %u: the replica's keyspace differs", seed);
    ck_assert_uint_eq(rc_repl_of(h->nodes[R])->inbuf->len, 0);
    ck_assert_uint_eq(rc_repl_of(h->nodes[R])->stat_stream_errors, 0);
    g_rand_free(r);
    h_free(h);
}

START_TEST(test_any_chunking_applies_the_same)
{
    for (guint32 seed = 1; seed <= 6; seed++) {
        check_chunking(seed, 1);
        check_chunking(seed, 17);
        check_chunking(seed, 300);
        check_chunking(seed, 1 << 20); /* all at once */
    }
}
END_TEST

Suite *repl_stream_chunks_suite(void);
Suite *repl_stream_chunks_suite(void)
{
    Suite *s = suite_create("repl_stream_chunks");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_any_chunking_applies_the_same);
    suite_add_tcase(s, tc);
    return s;
}
