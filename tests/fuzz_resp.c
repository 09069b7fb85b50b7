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

/* The requests one parser yields, each as its RESP encoding, and how it ended. */
typedef struct {
    GPtrArray *requests; /* GString* */
    char *error;         /* the protocol error, or NULL when the input ran out */
} Parsed;

static void gstring_free(gpointer s)
{
    g_string_free(s, TRUE);
}

static void parsed_clear(Parsed *r)
{
    g_ptr_array_unref(r->requests);
    g_free(r->error);
}

static void parsed_add(Parsed *r, const RcArgv *a)
{
    GString *enc = g_string_new(NULL);
    rc_resp_encode_argv(enc, a);
    g_ptr_array_add(r->requests, enc);
}

/* Raw bytes, when a view has them, are exactly the request's encoding. */
static void check_raw(const RcArgv *view)
{
    if (view->raw == NULL)
        return;
    g_autoptr(GString) enc = g_string_new(NULL);
    rc_resp_encode_argv(enc, view);
    rc_assert(enc->len == view->raw_len && memcmp(enc->str, view->raw, enc->len) == 0);
}

/* Pull every complete request out of `p`; FALSE once it failed (the error sticks). */
static gboolean drain(RcRespParser *p, gboolean views, Parsed *r)
{
    for (;;) {
        RcRespStatus st;
        if (views) {
            const RcArgv *view = NULL;
            st = rc_resp_parser_next_view(p, &view);
            if (st == RC_RESP_REQUEST) {
                check_raw(view);
                parsed_add(r, view);
            }
        } else {
            RcArgv *a = NULL;
            st = rc_resp_parser_next(p, &a);
            if (st == RC_RESP_REQUEST) {
                rc_assert(a != NULL && a->argc >= 0 && a->raw == NULL);
                for (int i = 0; i < a->argc; i++)
                    rc_assert(a->v[i].data != NULL && a->v[i].data[a->v[i].len] == '\0');
                parsed_add(r, a);
                rc_argv_free(a);
            }
        }
        if (st == RC_RESP_NEED_MORE)
            return TRUE;
        if (st == RC_RESP_ERROR) {
            /* Every error is one of Redis's protocol errors, and sticks. */
            const char *err = rc_resp_parser_error(p);
            rc_assert(g_str_has_prefix(err, "ERR Protocol error: "));
            RcArgv *again = NULL;
            rc_assert(rc_resp_parser_next(p, &again) == RC_RESP_ERROR && again == NULL);
            r->error = g_strdup(err);
            return FALSE;
        }
    }
}

static Parsed parse_in_chunks(const guint8 *data, gsize size, gsize chunk, gboolean views)
{
    Parsed r = {.requests = g_ptr_array_new_with_free_func(gstring_free)};
    g_autoptr(RcRespParser) p = rc_resp_parser_new(1024 * 1024);
    for (gsize off = 0; off < size; off += chunk) {
        rc_resp_parser_feed(p, data + off, MIN(chunk, size - off));
        if (!drain(p, views, &r))
            break;
        rc_resp_parser_compact(p);
    }
    return r;
}

/* The same bytes through the two ways of reading a request: as views, in the fuzzed chunks
 * (a complete canonical request in the buffer takes the one-pass reader), and as copies one
 * byte at a time (every request longer than a byte starts incomplete, so Redis's
 * incremental parse reads it). Both must yield the same requests and the same error. */
static void fuzz_parser(const guint8 *data, gsize size, gsize chunk)
{
    Parsed fast = parse_in_chunks(data, size, chunk, TRUE);
    Parsed slow = parse_in_chunks(data, size, 1, FALSE);
    rc_assert(fast.requests->len == slow.requests->len);
    for (guint i = 0; i < fast.requests->len; i++)
        rc_assert(g_string_equal(fast.requests->pdata[i], slow.requests->pdata[i]));
    rc_assert((fast.error == NULL) == (slow.error == NULL));
    rc_assert(fast.error == NULL || strcmp(fast.error, slow.error) == 0);
    parsed_clear(&fast);
    parsed_clear(&slow);
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
