/* The smart cluster client: slot map, routing, redirects, retries, timeouts (client.h). */
#include "sim/client.h"

#include "core/keyslot.h"

#include <string.h>

#define REDIRECTS_MAX 5

typedef enum {
    EXP_ASKING,
    EXP_SLOTS,
    EXP_CMD,
    EXP_WAIT,
} Expect;

typedef struct {
    SimConnId conn;     /* SIM_CONN_NONE when not open */
    SimReplyReader *rd; /* kept (reset) from connection to connection */
    guint8 *expect;     /* ring of the Expect of the replies due, oldest at expect_head */
    guint expect_head, expect_len, expect_cap;
} NodeLink;

/* ---- the replies a link waits for, in order ---- */

static void expect_push(NodeLink *l, Expect what)
{
    if (l->expect_len == l->expect_cap) {
        guint cap = l->expect_cap ? 2 * l->expect_cap : 4;
        guint8 *ring = g_new(guint8, cap);
        for (guint i = 0; i < l->expect_len; i++)
            ring[i] = l->expect[(l->expect_head + i) % l->expect_cap];
        g_free(l->expect);
        l->expect = ring;
        l->expect_cap = cap;
        l->expect_head = 0;
    }
    l->expect[(l->expect_head + l->expect_len++) % l->expect_cap] = (guint8)what;
}

static Expect expect_peek(const NodeLink *l)
{
    rc_assert(l->expect_len > 0);
    return (Expect)l->expect[l->expect_head];
}

static Expect expect_pop(NodeLink *l)
{
    Expect what = expect_peek(l);
    l->expect_head = (l->expect_head + 1) % l->expect_cap;
    l->expect_len--;
    return what;
}

typedef enum {
    ST_IDLE,
    ST_SLOTS,
    ST_CMD,
    ST_WAIT,
    ST_BACKOFF,
} State;

/* Slot -> node index (-1: unknown), refcounted so that processes of one client host can share
 * it as the threads of one JedisCluster instance share its slot cache. */
typedef struct {
    guint refs;
    gboolean loaded, stale;
    gboolean patched;     /* a MOVED changed a slot since the last rebuild */
    SimClient *refresher; /* the process that last sent CLUSTER SLOTS for it, or NULL */
    gint answered;        /* the node that last answered a process of the host, or -1 (none
                             yet, or a CLUSTER SLOTS to it has failed since) */
    GArray *applied;      /* AppliedRange: the CLUSTER SLOTS answer the map was built from */
    GByteArray *raw;      /* the last answer found equal to `applied`, as it came (RESP) */
    gint16 *slots;        /* [16384], from the first answer on (every process of a host
                             starts with a map of its own, and all but one give it up) */
} SlotMap;

typedef struct {
    guint first, last;
    gint node;
} AppliedRange;

struct SimClient {
    SimNet *net;
    SimKernel *k;
    guint32 host;
    guint index;
    SimClientConfig cfg;
    SimNodeAddr *addrs;
    guint n_nodes;
    guint home;
    NodeLink *links;
    SlotMap *map;      /* its own, or shared with the other processes of its host */
    guint slots_next;  /* next node to ask for CLUSTER SLOTS */
    guint slots_tried; /* nodes asked in this refresh */

    /* the request in flight */
    State state;
    guint8 *request; /* its command, encoded once (RESP) for every attempt and redirect */
    gsize request_len, request_cap;
    guint slot;
    gboolean is_write;
    gint direct_node; /* >= 0: admin request to this node only */
    SimClientDoneFn done;
    gpointer user;
    guint attempts, redirects;
    gboolean ambiguous;       /* a sent command got no definite answer */
    gint ask_node;            /* >= 0: next send goes there with ASKING */
    gint cur_node;            /* node of the outstanding send */
    SimTimerId timer;         /* attempt timeout or backoff */
    SimReply *cmd_reply;      /* held while WAIT runs */
    SimReply *spare;          /* a finished reply's block, for the next reply (sim_reply_recycle) */
    GByteArray *wait_request; /* WAIT <replicas> <timeout>, encoded once (cfg is fixed) */
};

static void on_connected(SimNet *net, SimConnId conn, gpointer user);
static void on_data(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user);
static void on_closed(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user);
static const SimConnHandler handler = {on_connected, on_data, on_closed};
static void start_attempt(SimClient *c);

/* ---- key slots ---- */

/* A client computes slots as Redis does, so it uses the core's function: one CRC16 table. */
guint sim_key_slot(const char *key, gsize len)
{
    return (guint)rc_key_hash_slot(key, len);
}

/* ---- lifecycle ---- */

static GByteArray *wait_request_new(const SimClientConfig *cfg)
{
    char n[16], t[24];
    g_snprintf(n, sizeof n, "%u", cfg->wait_replicas);
    g_snprintf(t, sizeof t, "%" G_GINT64_FORMAT, cfg->wait_timeout_ms);
    const char *const argv[] = {"WAIT", n, t};
    GByteArray *out = g_byte_array_sized_new(64);
    sim_resp_encode(out, 3, argv);
    return out;
}

SimClient *sim_client_new(SimNet *net, guint32 host, guint index, const SimClientConfig *cfg,
                          const SimNodeAddr *addrs, guint n_nodes, guint home)
{
    rc_assert(n_nodes > 0 && home < n_nodes);
    SimClient *c = g_new0(SimClient, 1);
    c->net = net;
    c->k = sim_net_kernel(net);
    c->host = host;
    c->index = index;
    c->cfg = *cfg;
    c->addrs = g_memdup2(addrs, sizeof(SimNodeAddr) * n_nodes);
    c->n_nodes = n_nodes;
    c->home = home;
    c->slots_next = home;
    c->links = g_new0(NodeLink, n_nodes);
    c->wait_request = wait_request_new(cfg);
    c->map = g_new0(SlotMap, 1);
    c->map->refs = 1;
    c->map->answered = -1;
    c->map->applied = g_array_new(FALSE, FALSE, sizeof(AppliedRange));
    c->map->raw = g_byte_array_new();
    c->direct_node = -1;
    c->ask_node = -1;
    c->cur_node = -1;
    return c;
}

static void link_drop(SimClient *c, guint node, gboolean reset)
{
    NodeLink *l = &c->links[node];
    if (l->conn != SIM_CONN_NONE && reset)
        sim_net_reset(c->net, l->conn);
    l->conn = SIM_CONN_NONE;
    if (l->rd != NULL)
        sim_reply_reader_reset(l->rd);
    l->expect_head = l->expect_len = 0;
}

static void slot_map_unref(SlotMap *m)
{
    rc_assert(m->refs > 0);
    if (--m->refs == 0) {
        g_array_unref(m->applied);
        g_byte_array_unref(m->raw);
        g_free(m->slots);
        g_free(m);
    }
}

void sim_client_free(SimClient *c)
{
    if (c == NULL)
        return;
    for (guint i = 0; i < c->n_nodes; i++)
        link_drop(c, i,
                  c->links[i].conn != SIM_CONN_NONE &&
                      sim_net_conn_is_open(c->net, c->links[i].conn));
    for (guint i = 0; i < c->n_nodes; i++) {
        sim_reply_reader_free(c->links[i].rd);
        g_free(c->links[i].expect);
    }
    sim_kernel_cancel(c->k, c->timer);
    g_free(c->request);
    sim_reply_free(c->cmd_reply);
    sim_reply_free(c->spare);
    g_free(c->links);
    g_free(c->addrs);
    g_byte_array_free(c->wait_request, TRUE);
    if (c->map->refresher == c)
        c->map->refresher = NULL;
    slot_map_unref(c->map);
    g_free(c);
}

void sim_client_share_slot_map(SimClient *c, SimClient *owner)
{
    rc_assert(c != owner && c->state == ST_IDLE && !c->map->loaded);
    rc_assert(c->n_nodes == owner->n_nodes);
    slot_map_unref(c->map);
    c->map = owner->map;
    c->map->refs++;
}

gboolean sim_client_busy(const SimClient *c)
{
    return c->state != ST_IDLE;
}

guint32 sim_client_host(const SimClient *c)
{
    return c->host;
}

gint sim_client_slot_node(const SimClient *c, guint slot)
{
    rc_assert(slot < 16384);
    return c->map->slots != NULL ? c->map->slots[slot] : -1;
}

void sim_client_result_clear(SimClientResult *res)
{
    sim_reply_free(res->reply);
    res->reply = NULL;
    g_free(res->error);
    res->error = NULL;
}

/* ---- sending ---- */

static NodeLink *link_get(SimClient *c, guint node)
{
    NodeLink *l = &c->links[node];
    if (l->conn == SIM_CONN_NONE) {
        l->conn =
            sim_net_connect(c->net, c->host, c->addrs[node].ip, c->addrs[node].port, &handler, c);
        if (l->rd == NULL)
            l->rd = sim_reply_reader_new();
    }
    return l;
}

/* Send an encoded request on the link to `node` (opening it if need be). */
static void link_send(SimClient *c, guint node, Expect what, const guint8 *bytes, gsize len)
{
    NodeLink *l = link_get(c, node);
    sim_net_send(c->net, l->conn, bytes, len);
    expect_push(l, what);
}

/* The fixed requests, encoded once (sim_resp_encode's bytes for their argv). */
#define REQ_CLUSTER_SLOTS "*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n"
#define REQ_ASKING "*1\r\n$6\r\nASKING\r\n"

static gint node_by_addr(const SimClient *c, const char *ip, guint16 port)
{
    for (guint i = 0; i < c->n_nodes; i++)
        if (c->addrs[i].port == port && strcmp(c->addrs[i].ip, ip) == 0)
            return (gint)i;
    return -1;
}

/* ---- completion ---- */

static void finish(SimClient *c, SimOpType type, SimReply *reply, const char *error)
{
    sim_kernel_cancel(c->k, c->timer);
    c->timer = SIM_TIMER_NONE;
    SimClientResult res = {
        .type = type,
        .reply = reply,
        .node = c->cur_node,
        .error = (char *)error, /* borrowed for the call (client.h) */
        .attempts = c->attempts,
        .redirects = c->redirects,
    };
    c->state = ST_IDLE;
    sim_reply_recycle(&c->spare, c->cmd_reply);
    c->cmd_reply = NULL;
    SimClientDoneFn done = c->done;
    gpointer user = c->user;
    c->done = NULL;
    done(c, &res, user);
    sim_reply_recycle(&c->spare, res.reply); /* unless `done` took it */
}

static void on_backoff(SimKernel *k, gpointer data, guint64 arg)
{
    SimClient *c = data;
    c->timer = SIM_TIMER_NONE;
    start_attempt(c);
}

/* The attempt ended without an answer we can use: retry or give up. */
static void attempt_failed(SimClient *c, const char *error, gboolean definite)
{
    sim_kernel_cancel(c->k, c->timer);
    c->timer = SIM_TIMER_NONE;
    if (!definite && c->state == ST_CMD)
        c->ambiguous = TRUE;
    if (c->state == ST_WAIT) {
        /* the write was acknowledged; only its replication is unknown */
        finish(c, SIM_OP_INFO, NULL, error);
        return;
    }
    if (c->direct_node >= 0 || c->attempts > c->cfg.retries) {
        finish(c, c->ambiguous ? SIM_OP_INFO : SIM_OP_FAIL, NULL, error);
        return;
    }
    c->state = ST_BACKOFF;
    c->timer = sim_kernel_schedule_in(c->k, c->cfg.backoff_us, on_backoff, c, 0);
}

/* The node this process asked for CLUSTER SLOTS did not answer: the next refresh of the host
 * must not start there. */
static void forget_answered(SimClient *c)
{
    if (c->map->answered == c->cur_node)
        c->map->answered = -1;
}

static void on_attempt_timeout(SimKernel *k, gpointer data, guint64 arg)
{
    SimClient *c = data;
    c->timer = SIM_TIMER_NONE;
    if (c->state == ST_SLOTS)
        forget_answered(c);
    /* a late reply could not be matched to its request: drop the connection */
    if (c->cur_node >= 0 && (c->state == ST_CMD || c->state == ST_WAIT || c->state == ST_SLOTS))
        link_drop(c, (guint)c->cur_node, TRUE);
    c->map->stale = TRUE;
    attempt_failed(c, "timeout", FALSE);
}

static void send_slots(SimClient *c)
{
    c->map->refresher = c;
    c->state = ST_SLOTS;
    c->cur_node = (gint)c->slots_next;
    c->slots_next = (c->slots_next + 1) % c->n_nodes;
    c->slots_tried++;
    link_send(c, (guint)c->cur_node, EXP_SLOTS, (const guint8 *)REQ_CLUSTER_SLOTS,
              sizeof REQ_CLUSTER_SLOTS - 1);
}

static void send_cmd(SimClient *c, guint node)
{
    c->state = ST_CMD;
    c->cur_node = (gint)node;
    if (c->ask_node >= 0) {
        link_send(c, node, EXP_ASKING, (const guint8 *)REQ_ASKING, sizeof REQ_ASKING - 1);
        c->ask_node = -1;
    }
    link_send(c, node, EXP_CMD, c->request, c->request_len);
}

/* Route the command now that the map is usable. */
static void route(SimClient *c)
{
    if (c->direct_node >= 0) {
        send_cmd(c, (guint)c->direct_node);
        return;
    }
    rc_assert(c->map->loaded); /* and so has its slots */
    gint target = c->ask_node >= 0 ? c->ask_node : c->map->slots[c->slot];
    if (target < 0) {
        c->map->stale = TRUE; /* look again before the retry */
        attempt_failed(c, "CLUSTERDOWN Hash slot not served (client slot map)", TRUE);
        return;
    }
    send_cmd(c, (guint)target);
}

static void start_attempt(SimClient *c)
{
    c->attempts++;
    c->timer = sim_kernel_schedule_in(c->k, c->cfg.timeout_us, on_attempt_timeout, c, 0);
    /* Another process of this host is refreshing the shared map right now: use the map as it
     * is, as JedisCluster's threads do while one of them holds the rediscover lock. */
    const SimClient *r = c->map->refresher;
    gboolean other_refreshing = r != NULL && r != c && r->state == ST_SLOTS;
    if (c->direct_node < 0 && (!c->map->loaded || (c->map->stale && !other_refreshing))) {
        /* ask first the node that last answered any process of this host, as a cluster client
         * asks a node it knows to be reachable (JedisCluster renews its slot cache through a
         * node that works); without one, this process's rotation goes on from the node after
         * the one it asked last, so an unreachable home node does not stall every refresh */
        if (c->map->answered >= 0)
            c->slots_next = (guint)c->map->answered;
        c->slots_tried = 0;
        send_slots(c);
        return;
    }
    route(c);
}

#define REQUEST_ARGS_INLINE 8 /* arguments whose lengths fit on the stack */

/* The request's RESP bytes into the client's own buffer, grown only when too small: a
 * request is encoded for every operation. */
static void encode_request(SimClient *c, guint argc, const char *const *argv)
{
    gsize inline_lens[REQUEST_ARGS_INLINE];
    g_autofree gsize *heap_lens = argc > REQUEST_ARGS_INLINE ? g_new(gsize, argc) : NULL;
    gsize *lens = heap_lens != NULL ? heap_lens : inline_lens;
    gsize need = sim_resp_encoded_max(argc, argv, lens);
    if (need > c->request_cap) {
        c->request_cap = MAX(need, 2 * c->request_cap);
        g_free(c->request);
        c->request = g_malloc(c->request_cap);
    }
    c->request_len = sim_resp_encode_to(c->request, argc, argv, lens);
    rc_assert(c->request_len <= need);
}

static void begin(SimClient *c, guint argc, const char *const *argv, SimClientDoneFn done,
                  gpointer user)
{
    rc_assert(c->state == ST_IDLE);
    rc_assert(argc > 0);
    encode_request(c, argc, argv);
    c->done = done;
    c->user = user;
    c->attempts = 0;
    c->redirects = 0;
    c->ambiguous = FALSE;
    c->ask_node = -1;
    c->cur_node = -1;
    start_attempt(c);
}

void sim_client_request(SimClient *c, guint argc, const char *const *argv, const char *key,
                        gboolean is_write, SimClientDoneFn done, gpointer user)
{
    c->slot = sim_key_slot(key, strlen(key));
    c->is_write = is_write;
    c->direct_node = -1;
    begin(c, argc, argv, done, user);
}

void sim_client_request_node(SimClient *c, guint node, guint argc, const char *const *argv,
                             SimClientDoneFn done, gpointer user)
{
    rc_assert(node < c->n_nodes);
    c->is_write = FALSE;
    c->direct_node = (gint)node;
    begin(c, argc, argv, done, user);
}

/* ---- replies ---- */

/* The map is up to date: send the request. */
static void slots_applied(SimClient *c)
{
    c->map->loaded = TRUE;
    c->map->stale = FALSE;
    c->slots_next = (guint)c->cur_node;
    route(c);
}

static void got_slots(SimClient *c, SimReply *r, const SimReplyReader *rd)
{
    g_autoptr(GArray) ranges = g_array_new(FALSE, FALSE, sizeof(SimSlotRange));
    if (r->type == SIM_REPLY_ERROR || !sim_cluster_slots_parse(r, ranges, NULL)) {
        if (c->slots_tried < c->n_nodes)
            send_slots(c);
        else
            attempt_failed(c, "no node answered CLUSTER SLOTS", TRUE);
        return;
    }
    /* Rebuild the map only when the answer differs from the one it was built from: clients
     * ask after every error, and the answer rarely changes. A MOVED since then patched one
     * slot, so it also forces a rebuild. */
    SlotMap *m = c->map;
    gboolean same = m->loaded && !m->patched && ranges->len == m->applied->len;
    for (guint i = 0; same && i < ranges->len; i++) {
        const SimSlotRange *sr = &g_array_index(ranges, SimSlotRange, i);
        const AppliedRange *ar = &g_array_index(m->applied, AppliedRange, i);
        same = sr->first == ar->first && sr->last == ar->last &&
               node_by_addr(c, sr->ip, sr->port) == ar->node;
    }
    if (!same) {
        g_array_set_size(m->applied, 0);
        if (m->slots == NULL)
            m->slots = g_new(gint16, 16384);
        for (guint s = 0; s < 16384; s++)
            m->slots[s] = -1;
        for (guint i = 0; i < ranges->len; i++) {
            SimSlotRange *sr = &g_array_index(ranges, SimSlotRange, i);
            gint node = node_by_addr(c, sr->ip, sr->port);
            AppliedRange ar = {sr->first, sr->last, node};
            g_array_append_val(m->applied, ar);
            for (guint s = sr->first; s <= sr->last; s++)
                m->slots[s] = (gint16)node;
        }
        m->patched = FALSE;
    }
    gsize raw_len;
    const guint8 *raw = sim_reply_reader_last(rd, &raw_len);
    g_byte_array_set_size(m->raw, 0);
    g_byte_array_append(m->raw, raw, (guint)raw_len);
    slots_applied(c);
}

/* The reply due on link `node` answers this client's CLUSTER SLOTS and is byte for byte the
 * answer its map already holds: consume it unparsed (got_slots would find it the same).
 * Clients ask after every error, some 13 k times a run, and the answer rarely changes. */
static gboolean skip_same_slots(SimClient *c, gint node, NodeLink *l)
{
    const SlotMap *m = c->map;
    if (c->state != ST_SLOTS || c->cur_node != node || !m->loaded || m->patched ||
        m->raw->len == 0 || l->expect_len == 0 || expect_peek(l) != EXP_SLOTS)
        return FALSE;
    if (!sim_reply_reader_skip(l->rd, m->raw->data, m->raw->len))
        return FALSE;
    expect_pop(l);
    return TRUE;
}

static void got_cmd(SimClient *c, SimReply *r)
{
    if (r->type == SIM_REPLY_ERROR && c->direct_node < 0) {
        SimRedirect red;
        switch (sim_redirect_parse(r->str, &red)) {
        case SIM_REDIRECT_MOVED:
        case SIM_REDIRECT_ASK: {
            gint node = node_by_addr(c, red.ip, red.port);
            if (node < 0 || ++c->redirects > REDIRECTS_MAX) {
                attempt_failed(c, r->str, TRUE);
                break;
            }
            if (red.kind == SIM_REDIRECT_MOVED) {
                c->map->slots[red.slot] = (gint16)node;
                c->map->patched = TRUE;
                c->map->stale = TRUE; /* refresh the whole map before the next request */
                send_cmd(c, (guint)node);
            } else {
                c->ask_node = node;
                send_cmd(c, (guint)node);
            }
            break;
        }
        case SIM_REDIRECT_TRYAGAIN:
        case SIM_REDIRECT_CLUSTERDOWN:
            attempt_failed(c, r->str, TRUE);
            break;
        case SIM_REDIRECT_NONE:
            finish(c, c->ambiguous ? SIM_OP_INFO : SIM_OP_FAIL, NULL, r->str);
            break;
        }
        sim_reply_recycle(&c->spare, r);
        return;
    }
    if (r->type == SIM_REPLY_ERROR) {
        char *err = g_strdup(r->str);
        sim_reply_recycle(&c->spare, r);
        finish(c, c->ambiguous ? SIM_OP_INFO : SIM_OP_FAIL, NULL, err);
        g_free(err);
        return;
    }
    if (c->is_write && c->cfg.wait_replicas > 0) {
        c->cmd_reply = r;
        c->state = ST_WAIT;
        link_send(c, (guint)c->cur_node, EXP_WAIT, c->wait_request->data, c->wait_request->len);
        return;
    }
    finish(c, SIM_OP_OK, r, NULL);
}

static void got_wait(SimClient *c, SimReply *r)
{
    if (r->type == SIM_REPLY_INTEGER && r->integer >= (gint64)c->cfg.wait_replicas) {
        SimReply *cmd = c->cmd_reply;
        c->cmd_reply = NULL;
        sim_reply_recycle(&c->spare, r);
        finish(c, SIM_OP_OK, cmd, NULL);
        return;
    }
    g_autofree char *why = r->type == SIM_REPLY_INTEGER
                               ? g_strdup_printf("WAIT: %" G_GINT64_FORMAT " of %u replicas",
                                                 r->integer, c->cfg.wait_replicas)
                               : g_strdup_printf("WAIT: %s", r->str ? r->str : "unexpected reply");
    sim_reply_recycle(&c->spare, r);
    finish(c, SIM_OP_INFO, NULL, why);
}

static gint link_of(const SimClient *c, SimConnId conn)
{
    for (guint i = 0; i < c->n_nodes; i++)
        if (c->links[i].conn == conn)
            return (gint)i;
    return -1;
}

static void on_connected(SimNet *net, SimConnId conn, gpointer user) {}

/* Handle the replies the link to `node` (connection `conn`) holds, until it holds no whole
 * one or the link is dropped. */
static void read_replies(SimClient *c, SimConnId conn, gint node)
{
    NodeLink *l = &c->links[node];
    for (;;) {
        if (skip_same_slots(c, node, l)) {
            slots_applied(c);
            if (c->links[node].conn != conn)
                return; /* the link was dropped while sending */
            continue;
        }
        GError *error = NULL;
        SimReply *r = sim_reply_reader_pop_into(l->rd, &c->spare, &error);
        if (r == NULL) {
            if (error != NULL) {
                link_drop(c, (guint)node, TRUE);
                gboolean ours = c->cur_node == node && c->state != ST_IDLE;
                if (ours) {
                    c->map->stale = TRUE;
                    attempt_failed(c, error->message, FALSE);
                }
                g_error_free(error);
            }
            return;
        }
        c->map->answered = node;
        if (l->expect_len == 0) {
            sim_reply_recycle(&c->spare, r); /* unsolicited: ignore */
            continue;
        }
        Expect what = expect_pop(l);
        gboolean ours = c->cur_node == node;
        if (what == EXP_ASKING || !ours) {
            sim_reply_recycle(&c->spare, r);
            continue;
        }
        if (what == EXP_SLOTS && c->state == ST_SLOTS) {
            got_slots(c, r, l->rd);
            sim_reply_recycle(&c->spare, r);
        } else if (what == EXP_CMD && c->state == ST_CMD) {
            got_cmd(c, r);
        } else if (what == EXP_WAIT && c->state == ST_WAIT) {
            got_wait(c, r);
        } else {
            sim_reply_recycle(&c->spare, r);
        }
        if (c->links[node].conn != conn)
            return; /* the link was dropped while handling the reply */
    }
}

static void on_data(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user)
{
    SimClient *c = user;
    gint node = link_of(c, conn);
    if (node < 0)
        return;
    /* the replies are read where the net holds them; what is left of a reply still arriving
     * is copied when done (a dropped link's reader was reset, and settles to nothing) */
    SimReplyReader *rd = c->links[node].rd;
    sim_reply_reader_feed_transient(rd, data, len);
    read_replies(c, conn, node);
    sim_reply_reader_settle(rd);
}

static void on_closed(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user)
{
    SimClient *c = user;
    gint node = link_of(c, conn);
    if (node < 0)
        return;
    link_drop(c, (guint)node, FALSE);
    if (c->cur_node != node || c->state == ST_IDLE || c->state == ST_BACKOFF)
        return;
    static const char *const names[] = {"connection closed", "connection reset",
                                        "connection refused", "connect timed out"};
    c->map->stale = TRUE;
    if (c->state == ST_SLOTS) {
        forget_answered(c);
        /* ask another node within the same attempt */
        if (c->slots_tried < c->n_nodes) {
            send_slots(c);
            return;
        }
    }
    /* refused: nothing was delivered */
    attempt_failed(c, names[why], why == RC_CONN_END_REFUSED);
}
