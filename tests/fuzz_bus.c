/* libFuzzer target for the cluster bus decoder and the packet path behind it.
 *
 * The first input byte picks how the rest is cut into reads. The bytes go (1) straight into
 * rc_bus_decode: a frame it accepts must re-encode to the very same bytes and decode again;
 * a refusal must carry an RC_BUS_ERROR; (2) into a fresh RcNode's inbound bus connection in
 * those chunks, so framing, clusterProcessPacket, gossip and the replies run on hostile
 * input. Nothing may crash, trip an rc_assert, or leak (ASan/LSan). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/bus_wire.h"
#include "core/node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_decoder(const guint8 *data, gsize size)
{
    RcBusMsg m;
    GError *err = NULL;
    if (rc_bus_decode(data, size, &m, &err)) {
        GBytes *again = rc_bus_encode(&m);
        rc_assert(g_bytes_get_size(again) == size);
        rc_assert(memcmp(g_bytes_get_data(again, NULL), data, size) == 0);
        RcBusMsg m2;
        rc_assert(rc_bus_decode(data, size, &m2, NULL));
        rc_assert(m2.type == m.type && m2.count == m.count);
        rc_bus_msg_clear(&m2);
        g_bytes_unref(again);
        rc_bus_msg_clear(&m);
    } else {
        rc_assert(err != NULL && err->domain == RC_BUS_ERROR);
        g_error_free(err);
    }
}

static void fuzz_node(const guint8 *data, gsize size, gsize chunk)
{
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 30001);
    GRand *rng = g_rand_new_with_seed(7);
    RcOutbox *out = rc_outbox_new();
    RcTime now = 0;
    RcNode *node = rc_node_new(&cfg, rng, now, NULL, out);
    guint32 h = rc_node_accept(node, now, RC_LISTENER_BUS, "127.0.0.2", 40000, out);
    for (gsize off = 0; off < size; off += chunk) {
        now += 1000;
        rc_outbox_clear(out);
        rc_node_recv(node, now, h, data + off, MIN(chunk, size - off), out);
        rc_node_before_sleep(node, now, out);
    }
    /* let cron run over whatever the packets created */
    for (int i = 0; i < 3; i++) {
        now = MAX(now, rc_node_next_deadline(node));
        rc_outbox_clear(out);
        rc_node_handle_expiry(node, now, out);
        rc_node_before_sleep(node, now, out);
    }
    rc_node_free(node);
    rc_outbox_free(out);
    g_rand_free(rng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const gsize chunks[] = {1, 7, 8, 100, 2256, 4096, 1u << 20};
    gsize chunk = chunks[data[0] % G_N_ELEMENTS(chunks)];
    fuzz_decoder(data + 1, size - 1);
    fuzz_node(data + 1, size - 1, chunk);
    return 0;
}
