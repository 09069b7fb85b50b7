/* The node's connection table (an RcHandleMap): many connections across the table's growth,
 * connections closed by the peer and by the node, lookups of closed and never-opened
 * handles. */
#include <check.h>

#include "core/node.h"
#include "core/node_private.h"
#include "core/outbox.h"

#define N_CONNS 101

START_TEST(test_lookups_as_connections_close)
{
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 30001);
    GRand *rng = g_rand_new_with_seed(7);
    RcOutbox *out = rc_outbox_new();
    RcNode *node = rc_node_new(&cfg, rng, 0, NULL, out);
    guint32 h[N_CONNS];
    gboolean open[N_CONNS];
    for (int i = 0; i < N_CONNS; i++) {
        h[i] = rc_node_accept(node, 0, RC_LISTENER_CLIENT, "10.0.0.9", (guint16)(5000 + i), out);
        open[i] = TRUE;
    }
    /* Closing some connections each round shifts the others in the table (backward shift). */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N_CONNS; i++) {
            if (i % 7 == round) {
                rc_node_disconnected(node, 0, h[i], RC_CONN_END_EOF, out);
                open[i] = FALSE;
            }
            for (int j = N_CONNS - 1; j >= 0; j -= 3) {
                RcConn *c = rc_node_conn_get(node, h[j]);
                if (open[j]) {
                    ck_assert_ptr_nonnull(c);
                    ck_assert_uint_eq(c->handle, h[j]);
                    ck_assert_uint_eq(c->peer_port, 5000 + j);
                } else {
                    ck_assert_ptr_null(c);
                }
            }
        }
    }
    /* Closed by the node itself (a client that quit), right after a lookup found it. */
    int last = N_CONNS - 1;
    while (!open[last])
        last--;
    rc_node_enter(node, 0, out);
    ck_assert_ptr_nonnull(rc_node_conn_get(node, h[last]));
    rc_node_conn_close(node, h[last]);
    ck_assert_ptr_null(rc_node_conn_get(node, h[last]));
    rc_node_leave(node);
    ck_assert_ptr_null(rc_node_conn_get(node, h[last] + 1)); /* never opened */
    rc_node_free(node);
    rc_outbox_free(out);
    g_rand_free(rng);
}
END_TEST

Suite *node_conns_suite(void);
Suite *node_conns_suite(void)
{
    Suite *s = suite_create("node_conns");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_lookups_as_connections_close);
    suite_add_tcase(s, tc);
    return s;
}
