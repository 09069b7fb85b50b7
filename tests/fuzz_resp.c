/* libFuzzer target for the RESP request parser and the client pipeline behind it.
 *
 * The first input byte picks how the rest is cut into reads (so split points are fuzzed
 * too). The bytes go (1) straight into an RcRespParser, checking its invariants, and
 * (2) into a fresh RcNode's client connection, which runs whatever commands parse: a
 * protocol error must close the connection, nothing may crash or leak (ASan/LSan). The node
 * owns every slot and its cluster state is OK, so keyed commands get past routing into the
 * keyspace code instead of all stopping at CLUSTERDOWN. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/cluster.h"
#include "core/node.h"
#include "core/node_private.h"
#include "core/resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A second parser fed the same bytes hands out views: each must hold the same arguments
 * as the copy, and raw bytes, when it has them, equal to their encoding. */
static void check_view(RcRespParser *v, RcRespStatus st, const RcArgv *a)
{
    const RcArgv *view = NULL;
    rc_assert(rc_resp_parser_next_view(v, &view) == st);
    if (st != RC_RESP_REQUEST)
        return;
    rc_assert(view->argc == a->argc);
    for (int i = 0; i < a->argc; i++)
        rc_assert(view->v[i].len == a->v[i].len &&
                  memcmp(view->v[i].data, a->v[i].data, a->v[i].len) == 0);
    if (view->raw != NULL) {
        g_autoptr(GString) enc = g_string_new(NULL);
        rc_resp_encode_argv(enc, view);
        rc_assert(enc->len == view->raw_len && memcmp(enc->str, view->raw, enc->len) == 0);
    }
}

static void fuzz_parser(const guint8 *data, gsize size, gsize chunk)
{
    g_autoptr(RcRespParser) p = rc_resp_parser_new(1024 * 1024);
    g_autoptr(RcRespParser) v = rc_resp_parser_new(1024 * 1024);
    gboolean dead = FALSE;
    for (gsize off = 0; off < size && !dead; off += chunk) {
        gsize n = MIN(chunk, size - off);
        rc_resp_parser_feed(p, data + off, n);
        rc_resp_parser_feed(v, data + off, n);
        for (;;) {
            RcArgv *a = NULL;
            RcRespStatus st = rc_resp_parser_next(p, &a);
            check_view(v, st, a);
            if (st == RC_RESP_NEED_MORE)
                break;
            if (st == RC_RESP_ERROR) {
                /* Every error is one of Redis's protocol errors, and sticks. */
                rc_assert(g_str_has_prefix(rc_resp_parser_error(p), "ERR Protocol error: "));
                rc_assert(rc_resp_parser_next(p, &a) == RC_RESP_ERROR && a == NULL);
                dead = TRUE;
                break;
            }
            rc_assert(a != NULL && a->argc >= 0);
            for (int i = 0; i < a->argc; i++)
                rc_assert(a->v[i].data != NULL && a->v[i].data[a->v[i].len] == '\0');
            rc_argv_free(a);
        }
        rc_resp_parser_compact(p);
        rc_resp_parser_compact(v);
    }
}

/* Give the fresh node every slot and an OK cluster state, so keyed commands get past
 * routing. The view is written by hand as the core tests build theirs (test_replication.c):
 * CLUSTER ADDSLOTSRANGE, or 16384 rc_cluster_add_slot() calls, cost 6x the executions per
 * second under libFuzzer's instrumentation, this ~2.5x. */
static void own_all_slots(RcNode *node)
{
    RcCluster *c = node->cluster;
    RcClusterNode *me = c->myself;
    rc_assert(me->numslots == 0 && c->slot_runs == NULL);
    me->numslots = RC_CLUSTER_SLOTS;
    me->slots_version = ++c->slot_stamp;
    for (int s = 0; s < RC_CLUSTER_SLOTS; s++)
        c->slots[s] = me;
    c->state = RC_CLUSTER_OK;
    rc_assert(rc_cluster_is_ok(node) && rc_cluster_slot_owner(node, RC_CLUSTER_SLOTS - 1) == me);
}

static void fuzz_node(const guint8 *data, gsize size, gsize chunk)
{
    GRand *rng = g_rand_new_with_seed(1);
    RcOutbox *out = rc_outbox_new();
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 7000);
    cfg.proto_max_bulk_len = 1024 * 1024;
    RcTime now = 1000000;
    RcNode *node = rc_node_new(&cfg, rng, now, NULL, out);
    own_all_slots(node);
    guint32 h = rc_node_accept(node, now, RC_LISTENER_CLIENT, "127.0.0.1", 1234, out);
    gboolean closed = FALSE;
    for (gsize off = 0; off < size && !closed; off += chunk) {
        now += 1000;
        rc_node_recv(node, now, h, data + off, MIN(chunk, size - off), out);
        rc_node_before_sleep(node, now, out);
        for (guint i = 0; i < rc_outbox_len(out); i++) {
            const RcAction *act = rc_outbox_get(out, i);
            if (act->kind == RC_ACT_CLOSE && act->handle == h)
                closed = TRUE;
        }
        rc_outbox_clear(out);
        if (rc_node_next_deadline(node) <= now)
            rc_node_handle_expiry(node, now, out);
        rc_outbox_clear(out);
    }
    rc_node_free(node);
    rc_outbox_free(out);
    g_rand_free(rng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    gsize chunk = 1 + (data[0] % 64 == 0 ? size : data[0] % 64);
    fuzz_parser(data + 1, size - 1, chunk);
    fuzz_node(data + 1, size - 1, chunk);
    return 0;
}
