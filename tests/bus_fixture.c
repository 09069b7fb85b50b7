#include "tests/bus_fixture.h"

#include <string.h>

#include "core/command.h"

typedef struct {
    guint node;
    guint32 handle;
} End;

typedef enum { D_DATA, D_CONNECTED, D_GONE } DeliveryKind;

typedef struct {
    DeliveryKind kind;
    guint node;
    guint32 handle;
    GBytes *bytes;
    RcConnEnd why;
} Delivery;

typedef struct {
    guint node;
    RcTime at_us;
    RcEventKind kind;
    char peer[41];
} EventRec;

struct BusFixture {
    guint n;
    RcTime now_us;
    RcNodeConfig *cfg;
    GRand **rng;
    RcNode **nodes; /* NULL while crashed */
    GBytes **disk;
    GHashTable **peer_of; /* per node: handle -> End* (other side of the connection) */
    GQueue queue;         /* Delivery* */
    RcOutbox *out;
    guint8 *side;    /* partition sides, NULL = none */
    GPtrArray *logs; /* per node: GPtrArray of char* */
    GArray *events;  /* EventRec */
    gboolean *touched;
};

static void execute(BusFixture *f, guint i);

static gboolean blocked(const BusFixture *f, guint a, guint b)
{
    return f->side != NULL && f->side[a] != f->side[b];
}

static void push(BusFixture *f, DeliveryKind kind, guint node, guint32 handle, GBytes *bytes,
                 RcConnEnd why)
{
    Delivery *d = g_new0(Delivery, 1);
    d->kind = kind;
    d->node = node;
    d->handle = handle;
    d->bytes = bytes ? g_bytes_ref(bytes) : NULL;
    d->why = why;
    g_queue_push_tail(&f->queue, d);
}

static void boot(BusFixture *f, guint i)
{
    rc_outbox_clear(f->out);
    f->nodes[i] = rc_node_new(&f->cfg[i], f->rng[i], f->now_us, f->disk[i], f->out);
    execute(f, i);
}

BusFixture *bus_fixture_new(guint n, gint64 nt_ms, guint64 seed)
{
    BusFixture *f = g_new0(BusFixture, 1);
    f->n = n;
    f->cfg = g_new0(RcNodeConfig, n);
    f->rng = g_new0(GRand *, n);
    f->nodes = g_new0(RcNode *, n);
    f->disk = g_new0(GBytes *, n);
    f->peer_of = g_new0(GHashTable *, n);
    f->touched = g_new0(gboolean, n);
    f->out = rc_outbox_new();
    f->logs = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    f->events = g_array_new(FALSE, FALSE, sizeof(EventRec));
    g_queue_init(&f->queue);
    for (guint i = 0; i < n; i++) {
        rc_node_config_init(&f->cfg[i], "127.0.0.1", (guint16)(30001 + i));
        f->cfg[i].cluster_node_timeout_ms = nt_ms;
        f->rng[i] = g_rand_new_with_seed((guint32)(seed + i));
        f->peer_of[i] =
            g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                  g_free); /* lint: allow integer handles, never iterated */
        g_ptr_array_add(f->logs, g_ptr_array_new_with_free_func(g_free));
    }
    for (guint i = 0; i < n; i++)
        boot(f, i);
    return f;
}

void bus_fixture_free(BusFixture *f)
{
    if (f == NULL)
        return;
    Delivery *d;
    while ((d = g_queue_pop_head(&f->queue)) != NULL) {
        if (d->bytes)
            g_bytes_unref(d->bytes);
        g_free(d);
    }
    for (guint i = 0; i < f->n; i++) {
        rc_node_free(f->nodes[i]);
        g_rand_free(f->rng[i]);
        if (f->disk[i])
            g_bytes_unref(f->disk[i]);
        g_hash_table_unref(f->peer_of[i]);
    }
    g_free(f->cfg);
    g_free(f->rng);
    g_free(f->nodes);
    g_free(f->disk);
    g_free(f->peer_of);
    g_free(f->touched);
    g_free(f->side);
    rc_outbox_free(f->out);
    g_ptr_array_unref(f->logs);
    g_array_unref(f->events);
    g_free(f);
}

RcNode *bus_fixture_node(BusFixture *f, guint i)
{
    return f->nodes[i];
}

RcTime bus_fixture_now(const BusFixture *f)
{
    return f->now_us;
}

GBytes *bus_fixture_disk(BusFixture *f, guint i)
{
    return f->disk[i];
}

static gint find_by_cport(const BusFixture *f, guint16 cport)
{
    for (guint j = 0; j < f->n; j++)
        if (rc_node_config_cport(&f->cfg[j]) == cport)
            return (gint)j;
    return -1;
}

static void pair(BusFixture *f, guint a, guint32 ha, guint b, guint32 hb)
{
    End *ea = g_new(End, 1), *eb = g_new(End, 1);
    *ea = (End){b, hb};
    *eb = (End){a, ha};
    g_hash_table_insert(f->peer_of[a], GUINT_TO_POINTER(ha), ea);
    g_hash_table_insert(f->peer_of[b], GUINT_TO_POINTER(hb), eb);
}

/* Execute node i's outbox (f->out) and clear it. */
static void execute(BusFixture *f, guint i)
{
    f->touched[i] = TRUE;
    /* Copy the actions out: executing one may call into another node. */
    guint len = rc_outbox_len(f->out);
    RcAction *acts = g_new0(RcAction, len);
    for (guint k = 0; k < len; k++) {
        acts[k] = *rc_outbox_get(f->out, k);
        if (acts[k].kind == RC_ACT_SEND)
            acts[k].bytes = rc_action_send_bytes(&acts[k]); /* outlives the clear below */
        else if (acts[k].bytes)
            g_bytes_ref(acts[k].bytes);
    }
    rc_outbox_clear(f->out);
    for (guint k = 0; k < len; k++) {
        RcAction *a = &acts[k];
        switch (a->kind) {
        case RC_ACT_SEND: {
            End *e = g_hash_table_lookup(f->peer_of[i], GUINT_TO_POINTER(a->handle));
            if (e && !blocked(f, i, e->node))
                push(f, D_DATA, e->node, e->handle, a->bytes, 0);
            break;
        }
        case RC_ACT_CONNECT: {
            gint j = find_by_cport(f, a->port);
            if (j < 0 || f->nodes[j] == NULL) {
                push(f, D_GONE, i, a->handle, NULL, RC_CONN_END_REFUSED);
            } else if (blocked(f, i, (guint)j)) {
                push(f, D_GONE, i, a->handle, NULL, RC_CONN_END_TIMEOUT);
            } else {
                rc_outbox_clear(f->out);
                guint32 hb = rc_node_accept(f->nodes[j], f->now_us, RC_LISTENER_BUS, "127.0.0.1",
                                            (guint16)(50000 + i), f->out);
                rc_assert(rc_outbox_len(f->out) == 0);
                pair(f, i, a->handle, (guint)j, hb);
                f->touched[j] = TRUE;
                push(f, D_CONNECTED, i, a->handle, NULL, 0);
            }
            break;
        }
        case RC_ACT_CLOSE: {
            End *e = g_hash_table_lookup(f->peer_of[i], GUINT_TO_POINTER(a->handle));
            if (e) {
                push(f, D_GONE, e->node, e->handle, NULL, RC_CONN_END_EOF);
                g_hash_table_remove(f->peer_of[e->node], GUINT_TO_POINTER(e->handle));
                g_hash_table_remove(f->peer_of[i], GUINT_TO_POINTER(a->handle));
            }
            break;
        }
        case RC_ACT_SAVE:
            if (f->disk[i])
                g_bytes_unref(f->disk[i]);
            f->disk[i] = a->bytes ? g_bytes_ref(a->bytes) : rc_node_saved_conf(f->nodes[i]);
            break;
        case RC_ACT_LOG:
            g_ptr_array_add(
                g_ptr_array_index(f->logs, i),
                g_strndup(g_bytes_get_data(a->bytes, NULL), g_bytes_get_size(a->bytes)));
            break;
        case RC_ACT_EVENT: {
            EventRec r = {.node = i, .at_us = f->now_us, .kind = a->event};
            g_strlcpy(r.peer, a->peer, sizeof r.peer);
            g_array_append_val(f->events, r);
            break;
        }
        }
    }
    for (guint k = 0; k < len; k++)
        if (acts[k].bytes)
            g_bytes_unref(acts[k].bytes);
    g_free(acts);
}

static void deliver_all(BusFixture *f)
{
    for (;;) {
        Delivery *d;
        while ((d = g_queue_pop_head(&f->queue)) != NULL) {
            RcNode *node = f->nodes[d->node];
            if (node != NULL) {
                rc_outbox_clear(f->out);
                switch (d->kind) {
                case D_DATA:
                    if (g_hash_table_contains(f->peer_of[d->node], GUINT_TO_POINTER(d->handle)) ||
                        TRUE) {
                        gsize len;
                        const guint8 *data = g_bytes_get_data(d->bytes, &len);
                        rc_node_recv(node, f->now_us, d->handle, data, len, f->out);
                    }
                    break;
                case D_CONNECTED:
                    rc_node_connected(node, f->now_us, d->handle, f->out);
                    break;
                case D_GONE:
                    rc_node_disconnected(node, f->now_us, d->handle, d->why, f->out);
                    break;
                }
                execute(f, d->node);
            }
            if (d->bytes)
                g_bytes_unref(d->bytes);
            g_free(d);
        }
        gboolean any = FALSE;
        for (guint i = 0; i < f->n; i++) {
            if (f->touched[i] && f->nodes[i]) {
                f->touched[i] = FALSE;
                rc_outbox_clear(f->out);
                rc_node_before_sleep(f->nodes[i], f->now_us, f->out);
                execute(f, i);
                f->touched[i] = FALSE;
                any = any || !g_queue_is_empty(&f->queue);
            }
        }
        if (!any && g_queue_is_empty(&f->queue))
            break;
    }
    memset(f->touched, 0, sizeof(gboolean) * f->n);
}

void bus_fixture_run_until(BusFixture *f, RcTime until_us)
{
    deliver_all(f);
    for (;;) {
        RcTime next = G_MAXINT64;
        for (guint i = 0; i < f->n; i++)
            if (f->nodes[i])
                next = MIN(next, rc_node_next_deadline(f->nodes[i]));
        if (next > until_us)
            break;
        f->now_us = MAX(f->now_us, next);
        for (guint i = 0; i < f->n; i++) {
            if (f->nodes[i] && rc_node_next_deadline(f->nodes[i]) <= f->now_us) {
                rc_outbox_clear(f->out);
                rc_node_handle_expiry(f->nodes[i], f->now_us, f->out);
                execute(f, i);
            }
        }
        deliver_all(f);
    }
    f->now_us = MAX(f->now_us, until_us);
}

char *bus_fixture_cmd(BusFixture *f, guint i, const char *const *argv)
{
    RcNode *node = f->nodes[i];
    rc_assert(node != NULL);
    g_autoptr(RcArgv) args = rc_argv_new_from_strv(argv);
    GString *reply = g_string_new(NULL);
    RcCommandCall call = {.node = node, .args = args, .reply = reply};
    rc_outbox_clear(f->out);
    rc_node_enter(node, f->now_us, f->out);
    rc_cluster_command(&call);
    rc_node_leave(node);
    execute(f, i);
    rc_outbox_clear(f->out);
    rc_node_before_sleep(node, f->now_us, f->out);
    execute(f, i);
    deliver_all(f);
    return g_string_free(reply, FALSE);
}

static void cmd_ok(BusFixture *f, guint i, const char *const *argv)
{
    g_autofree char *r = bus_fixture_cmd(f, i, argv);
    if (strcmp(r, "+OK\r\n") != 0)
        g_error("node %u: %s %s: %s", i, argv[0], argv[1], r);
}

gboolean bus_fixture_full_view(BusFixture *f)
{
    guint live = 0;
    for (guint i = 0; i < f->n; i++)
        live += f->nodes[i] != NULL;
    for (guint i = 0; i < f->n; i++) {
        RcNode *node = f->nodes[i];
        if (node == NULL)
            continue;
        RcCluster *c = node->cluster;
        guint known = 0;
        for (guint k = 0; k < c->nodes->len; k++) {
            RcClusterNode *n = g_ptr_array_index(c->nodes, k);
            if (!rc_node_in_handshake(n))
                known++;
        }
        if (known < live)
            return FALSE;
    }
    return TRUE;
}

void bus_fixture_create_cluster(BusFixture *f, guint masters)
{
    rc_assert(masters > 0 && masters <= f->n);
    for (guint m = 0; m < masters; m++) {
        guint first = (guint)((guint64)m * RC_CLUSTER_SLOTS / masters);
        guint last = (guint)((guint64)(m + 1) * RC_CLUSTER_SLOTS / masters) - 1;
        g_autofree char *a = g_strdup_printf("%u", first);
        g_autofree char *b = g_strdup_printf("%u", last);
        const char *argv[] = {"CLUSTER", "ADDSLOTSRANGE", a, b, NULL};
        cmd_ok(f, m, argv);
    }
    for (guint i = 0; i < f->n; i++) {
        g_autofree char *e = g_strdup_printf("%u", i + 1);
        const char *argv[] = {"CLUSTER", "SET-CONFIG-EPOCH", e, NULL};
        cmd_ok(f, i, argv);
    }
    for (guint i = 1; i < f->n; i++) {
        g_autofree char *p = g_strdup_printf("%u", 30001);
        const char *argv[] = {"CLUSTER", "MEET", "127.0.0.1", p, NULL};
        cmd_ok(f, i, argv);
    }
    RcTime deadline = f->now_us + 120 * RC_US_PER_S;
    while (!bus_fixture_full_view(f) && f->now_us < deadline)
        bus_fixture_run_until(f, f->now_us + 100 * RC_US_PER_MS);
    rc_assert(bus_fixture_full_view(f));
    for (guint i = masters; i < f->n; i++) {
        guint m = (i - masters) % masters;
        char id[41];
        memcpy(id, f->nodes[m]->cluster->myself->name, 40);
        id[40] = '\0';
        const char *argv[] = {"CLUSTER", "REPLICATE", id, NULL};
        cmd_ok(f, i, argv);
    }
}

void bus_fixture_crash(BusFixture *f, guint i)
{
    rc_assert(f->nodes[i] != NULL);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, f->peer_of[i]); /* lint: allow order of resets does not matter: each
                                                   goes to a distinct connection */
    while (g_hash_table_iter_next(&it, &key, &value)) {
        End *e = value;
        push(f, D_GONE, e->node, e->handle, NULL, RC_CONN_END_RESET);
        g_hash_table_remove(f->peer_of[e->node], GUINT_TO_POINTER(e->handle));
    }
    g_hash_table_remove_all(f->peer_of[i]);
    rc_node_free(f->nodes[i]);
    f->nodes[i] = NULL;
    deliver_all(f);
}

void bus_fixture_restart(BusFixture *f, guint i)
{
    rc_assert(f->nodes[i] == NULL);
    boot(f, i);
    deliver_all(f);
}

void bus_fixture_partition(BusFixture *f, const guint8 *side)
{
    g_free(f->side);
    f->side = side ? g_memdup2(side, f->n) : NULL;
}

guint bus_fixture_log_count(const BusFixture *f, guint i, const char *needle)
{
    GPtrArray *l = g_ptr_array_index(f->logs, i);
    guint n = 0;
    for (guint k = 0; k < l->len; k++)
        if (strstr(g_ptr_array_index(l, k), needle))
            n++;
    return n;
}

RcTime bus_fixture_event_time(const BusFixture *f, guint i, RcEventKind kind, const char *peer,
                              RcTime since_us)
{
    for (guint k = 0; k < f->events->len; k++) {
        const EventRec *r = &g_array_index(f->events, EventRec, k);
        if (r->node == i && r->kind == kind && r->at_us >= since_us &&
            (peer == NULL || strcmp(peer, r->peer) == 0))
            return r->at_us;
    }
    return -1;
}
