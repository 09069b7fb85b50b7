/* The console's backend on the simulated world, and forming its cluster through the
 * console's own connections as redis-cli --cluster create would. */
#include "sim/console_world.h"

#include <math.h>
#include <string.h>

#include "core/cluster.h"
#include "core/cluster_types.h"
#include "sim/cluster_create.h"
#include "sim/rng.h"
#include "sim/scenario_world.h"

/* Between two looks at the cluster while it forms. */
#define FORM_POLL_US (250 * RC_US_PER_MS)

typedef struct {
    SimConsoleWorld *cw;
    guint32 node;
} ConnCtx;

struct SimConsoleWorld {
    const SimScenario *sc; /* borrowed */
    SimWorld *world;
    SimKernel *k; /* the world's */
    SimNet *net;  /* the world's */
    guint n_nodes;
    guint32 host;     /* the console's client host */
    SimConnId *conns; /* per node: the console's connection, or SIM_CONN_NONE */
    ConnCtx *ctx;     /* per node: the handler's user data */
    SimConsole *con;
    RcLogLevel loglevel; /* the console's level after formation */
};

/* ---- connections ---- */

static void conn_data(SimNet *net, SimConnId conn, const guint8 *data, gsize len, gpointer user)
{
    (void)net;
    ConnCtx *c = user;
    if (c->cw->conns[c->node] == conn)
        sim_console_recv(c->cw->con, c->node, data, len);
}

static void conn_closed(SimNet *net, SimConnId conn, RcConnEnd why, gpointer user)
{
    (void)net;
    ConnCtx *c = user;
    if (c->cw->conns[c->node] != conn)
        return;
    c->cw->conns[c->node] = SIM_CONN_NONE;
    sim_console_closed(c->cw->con, c->node, why);
}

static const SimConnHandler conn_handler = {
    .connected = NULL,
    .data = conn_data,
    .closed = conn_closed,
};

static void be_send(gpointer impl, guint32 node, const guint8 *data, gsize len)
{
    SimConsoleWorld *cw = impl;
    if (cw->conns[node] == SIM_CONN_NONE || !sim_net_conn_is_open(cw->net, cw->conns[node])) {
        const RcNodeConfig *cfg = sim_world_node_config(cw->world, node);
        cw->conns[node] =
            sim_net_connect(cw->net, cw->host, cfg->ip, cfg->port, &conn_handler, &cw->ctx[node]);
    }
    sim_net_send(cw->net, cw->conns[node], data, len);
}

static void be_drop(gpointer impl, guint32 node)
{
    SimConsoleWorld *cw = impl;
    if (cw->conns[node] != SIM_CONN_NONE && sim_net_conn_is_open(cw->net, cw->conns[node]))
        sim_net_reset(cw->net, cw->conns[node]);
    cw->conns[node] = SIM_CONN_NONE;
}

/* ---- faults ---- */

static SimConsoleNodeState be_state(gpointer impl, guint32 node)
{
    SimConsoleWorld *cw = impl;
    if (!sim_world_node_is_up(cw->world, node))
        return SIM_CONSOLE_NODE_CRASHED;
    return sim_world_node_is_paused(cw->world, node) ? SIM_CONSOLE_NODE_PAUSED
                                                     : SIM_CONSOLE_NODE_UP;
}

static void be_crash(gpointer impl, guint32 node)
{
    sim_world_crash(((SimConsoleWorld *)impl)->world, node);
}

static void be_restart(gpointer impl, guint32 node)
{
    sim_world_restart(((SimConsoleWorld *)impl)->world, node);
}

static void be_pause(gpointer impl, guint32 node)
{
    sim_world_pause(((SimConsoleWorld *)impl)->world, node);
}

static void be_resume(gpointer impl, guint32 node)
{
    sim_world_resume(((SimConsoleWorld *)impl)->world, node);
}

/* Every group is cut from every other, both ways, one one-way cut per ordered pair: a plain
 * sim_net_partition() would put the console's host, named in no group, on a side of its own
 * and cut it from every node. */
static void be_partition(gpointer impl, const GPtrArray *groups)
{
    SimConsoleWorld *cw = impl;
    GPtrArray *sets = g_ptr_array_new_with_free_func((GDestroyNotify)sim_host_set_free);
    for (guint g = 0; g < groups->len; g++) {
        const GArray *nodes = g_ptr_array_index(groups, g);
        SimHostSet *set = sim_host_set_new(cw->net);
        for (guint i = 0; i < nodes->len; i++)
            sim_host_set_add(set, sim_world_node_host(cw->world, g_array_index(nodes, guint32, i)));
        g_ptr_array_add(sets, set);
    }
    for (guint a = 0; a < sets->len; a++) {
        for (guint b = 0; b < sets->len; b++) {
            if (a != b)
                sim_net_cut_oneway(cw->net, g_ptr_array_index(sets, a), g_ptr_array_index(sets, b));
        }
    }
    g_ptr_array_unref(sets);
}

static void be_heal(gpointer impl)
{
    sim_net_heal_all(((SimConsoleWorld *)impl)->net);
}

static const SimConsoleBackend world_backend = {
    .node_state = be_state,
    .crash = be_crash,
    .restart = be_restart,
    .pause = be_pause,
    .resume = be_resume,
    .partition = be_partition,
    .heal = be_heal,
    .send = be_send,
    .drop = be_drop,
};

/* ---- node logs ---- */

/* A Redis-like pid: 1000 * boot + node number (n2 is 1002, and 2002 after a restart). */
static guint node_pid(SimConsoleWorld *cw, guint32 node)
{
    SimNodeStats st;
    sim_world_node_stats(cw->world, node, &st);
    return (guint)(1000 * MAX(st.boots, 1) + node + 1);
}

/* The role letter the node stamped on the line when it logged it; for a line without one,
 * its role now (Redis prints S when it replicates a master, else M). */
static char node_role(SimConsoleWorld *cw, guint32 node, const RcAction *a)
{
    if (a->role != 0)
        return a->role;
    RcNode *n = sim_world_node(cw->world, node);
    if (n == NULL)
        return 'M';
    const RcClusterNode *me = rc_cluster_myself(n);
    return me != NULL && !rc_node_is_master(me) ? 'S' : 'M';
}

static void on_action(guint32 node, RcTime now_us, const RcAction *a, gpointer user)
{
    SimConsoleWorld *cw = user;
    if (a->kind == RC_ACT_LOG) {
        gsize len;
        const char *text = g_bytes_get_data(a->bytes, &len);
        g_autofree char *line = g_strndup(text, len);
        sim_console_node_log(cw->con, node, node_pid(cw, node), node_role(cw, node, a), now_us,
                             a->level, line);
    } else if (a->kind == RC_ACT_EVENT) {
        sim_console_node_event(cw->con, node, node_pid(cw, node), node_role(cw, node, a), now_us,
                               a->event, a->peer, a->value);
    }
}

/* ---- building ---- */

static void node_config(const SimScenario *sc, guint n, RcNodeConfig *cfg)
{
    rc_node_config_init(cfg, "127.0.0.1", (guint16)(30001 + n));
    sim_scenario_node_options(sc, cfg);
}

SimConsoleWorld *sim_console_world_new(const SimScenario *sc, guint64 seed)
{
    SimConsoleWorld *cw = g_new0(SimConsoleWorld, 1);
    cw->sc = sc;
    cw->n_nodes = sim_scenario_nodes(sc);
    cw->world = sim_world_new(seed);
    cw->k = sim_world_kernel(cw->world);
    cw->net = sim_world_net(cw->world);
    g_autoptr(GRand) boot_rng = sim_rng_stream(seed, SIM_RNG_SCENARIO, 0);
    g_autofree char **ips = g_new0(char *, cw->n_nodes + 1);
    g_autofree guint16 *ports = g_new0(guint16, cw->n_nodes);
    for (guint n = 0; n < cw->n_nodes; n++) {
        RcNodeConfig cfg;
        node_config(sc, n, &cfg);
        g_autofree char *name = g_strdup_printf("n%u", n + 1);
        RcTime boot = sc->boot_spread_us > 0
                          ? (RcTime)(g_rand_double(boot_rng) * (double)sc->boot_spread_us)
                          : 0;
        sim_world_add_node(cw->world, name, &cfg, boot);
        ips[n] = (char *)sim_world_node_config(cw->world, n)->ip;
        ports[n] = cfg.port;
    }
    cw->host = sim_world_add_client_host(cw->world, "console", "127.0.0.1");
    sim_scenario_apply_timings(sc, cw->world);
    SimLatency clat;
    sim_scenario_latency(&sc->client_latency, &clat);
    g_autoptr(SimHostSet) nodes = sim_host_set_new(cw->net);
    g_autoptr(SimHostSet) console = sim_host_set_new(cw->net);
    for (guint n = 0; n < cw->n_nodes; n++)
        sim_host_set_add(nodes, sim_world_node_host(cw->world, n));
    sim_host_set_add(console, cw->host);
    sim_net_set_latency_between(cw->net, nodes, console, &clat);

    cw->conns = g_new0(SimConnId, cw->n_nodes);
    cw->ctx = g_new0(ConnCtx, cw->n_nodes);
    for (guint n = 0; n < cw->n_nodes; n++)
        cw->ctx[n] = (ConnCtx){.cw = cw, .node = n};
    cw->con =
        sim_console_new(cw->k, cw->n_nodes, (const char *const *)ips, ports, &world_backend, cw);
    sim_world_set_observer(cw->world, on_action, cw);
    cw->loglevel = RC_LOG_NOTICE;
    return cw;
}

void sim_console_world_free(SimConsoleWorld *cw)
{
    if (cw == NULL)
        return;
    sim_world_set_observer(cw->world, NULL, NULL);
    sim_console_free(cw->con);
    sim_world_free(cw->world);
    g_free(cw->conns);
    g_free(cw->ctx);
    g_free(cw);
}

SimConsole *sim_console_world_console(SimConsoleWorld *cw)
{
    return cw->con;
}

void sim_console_world_set_loglevel(SimConsoleWorld *cw, RcLogLevel level)
{
    cw->loglevel = level;
    sim_console_set_loglevel(cw->con, level);
}

SimWorld *sim_console_world_world(SimConsoleWorld *cw)
{
    return cw->world;
}

/* ---- forming the cluster ---- */

/* Run one setup command; any reply but the expected kind is a failure. */
static SimReply *setup_call(SimConsoleWorld *cw, guint32 node, GError **error, const char *first,
                            ...)
{
    const char *argv[8];
    guint argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < G_N_ELEMENTS(argv);
         a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    SimReply *r = sim_console_call(cw->con, node, argc, argv, error);
    if (r != NULL && r->type == SIM_REPLY_ERROR) {
        g_set_error(error, SIM_CONSOLE_ERROR, SIM_CONSOLE_ERROR_STATE, "n%u: %s %s: %s", node + 1,
                    argv[0], argc > 1 ? argv[1] : "", r->str);
        sim_reply_free(r);
        return NULL;
    }
    return r;
}

/* The text of a bulk reply to a setup command, or NULL (error set when the call failed). */
static SimReply *setup_text(SimConsoleWorld *cw, guint32 n, GError **error, const char *a,
                            const char *b)
{
    SimReply *r = setup_call(cw, n, error, a, b, NULL);
    if (r != NULL && r->type != SIM_REPLY_BULK) {
        sim_reply_free(r);
        return NULL;
    }
    return r;
}

/* Adds one CLUSTER NODES line's entry to redis-cli's configuration signature: the node's
 * name and its slot fields (open-slot fields `[...]` left out) when it has slots. FALSE when
 * the line's flags say the node is not usable yet: in handshake, failing, no address. */
static gboolean add_signature_entry(const char *line, gsize len, GPtrArray *signature)
{
    g_autofree char *copy = g_strndup(line, len);
    g_auto(GStrv) f = g_strsplit(copy, " ", -1);
    guint nf = g_strv_length(f);
    if (nf < 8)
        return TRUE;
    if (strstr(f[2], "handshake") != NULL || strstr(f[2], "fail") != NULL ||
        strstr(f[2], "noaddr") != NULL)
        return FALSE;
    GString *entry = g_string_new(f[0]);
    gboolean any = FALSE;
    for (guint i = 8; i < nf; i++) {
        if (f[i][0] == '[' || f[i][0] == '\0')
            continue;
        g_string_append_c(entry, any ? ',' : ':');
        g_string_append(entry, f[i]);
        any = TRUE;
    }
    if (any)
        g_ptr_array_add(signature, g_string_free(entry, FALSE));
    else
        g_string_free(entry, TRUE);
    return TRUE;
}

static gint compare_entries(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* redis-cli's configuration signature of one node's CLUSTER NODES text (the sorted entries
 * of the nodes that own slots), or NULL when the text lists other than `n_nodes` nodes or
 * one that is not usable yet. */
static char *config_signature(const char *text, guint n_nodes)
{
    g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(g_free);
    guint listed = 0;
    for (const char *l = text; *l != '\0';) {
        const char *end = strchr(l, '\n');
        if (end == NULL)
            end = l + strlen(l);
        if (end > l) {
            if (!add_signature_entry(l, (gsize)(end - l), entries))
                return NULL;
            listed++;
        }
        l = *end == '\n' ? end + 1 : end;
    }
    if (listed != n_nodes)
        return NULL;
    g_ptr_array_sort(entries, compare_entries);
    g_ptr_array_add(entries, NULL);
    return g_strjoinv("|", (char **)entries->pdata);
}

/* Formed as redis-cli --cluster create judges it (clusterManagerIsConfigConsistent), plus
 * what a console user needs before typing: every node knows all N nodes, none of them in
 * handshake, failing or without address, and all agree on which node owns which slots;
 * when `want_ok`, every node's state is ok and every replica's link to its master is up.
 * CLUSTER INFO first, as it is cheap; CLUSTER NODES costs O(N) lines from each of N nodes.
 * Like redis-cli, it does not wait until every node has learnt every replica's role: that
 * spreads only through the replica's own PINGs and PONGs, and Redis 7.0 refreshes pong
 * times from gossip, so at hundreds of nodes two nodes may not talk directly for minutes. */
static gboolean cluster_looks_formed(SimConsoleWorld *cw, gboolean want_ok, GError **error)
{
    g_autofree char *known_line = g_strdup_printf("cluster_known_nodes:%u\r\n", cw->n_nodes);
    for (guint32 n = 0; n < cw->n_nodes; n++) {
        g_autoptr(SimReply) info = setup_text(cw, n, error, "CLUSTER", "INFO");
        if (info == NULL || strstr(info->str, known_line) == NULL)
            return FALSE;
        if (want_ok && strstr(info->str, "cluster_state:ok") == NULL)
            return FALSE;
        if (want_ok && n >= cw->sc->masters) {
            g_autoptr(SimReply) repl = setup_text(cw, n, error, "INFO", "replication");
            if (repl == NULL || strstr(repl->str, "master_link_status:up") == NULL)
                return FALSE;
        }
    }
    g_autofree char *first = NULL;
    for (guint32 n = 0; n < cw->n_nodes; n++) {
        g_autoptr(SimReply) r = setup_text(cw, n, error, "CLUSTER", "NODES");
        if (r == NULL)
            return FALSE;
        g_autofree char *signature = config_signature(r->str, cw->n_nodes);
        if (signature == NULL || (first != NULL && strcmp(signature, first) != 0))
            return FALSE;
        if (first == NULL)
            first = g_steal_pointer(&signature);
    }
    return TRUE;
}

/* Poll until the cluster looks formed, FALSE past `limit_us` (error set) or on a failed
 * command. */
static gboolean wait_formed(SimConsoleWorld *cw, gboolean want_ok, RcTime limit_us,
                            const char *what, GError **error)
{
    for (;;) {
        GError *local = NULL;
        if (cluster_looks_formed(cw, want_ok, &local))
            return TRUE;
        if (local != NULL) {
            g_propagate_error(error, local);
            return FALSE;
        }
        RcTime now = sim_kernel_now(cw->k);
        if (now >= limit_us) {
            g_set_error(error, SIM_CONSOLE_ERROR, SIM_CONSOLE_ERROR_STATE,
                        "the cluster did not %s within %" G_GINT64_FORMAT " s of virtual time",
                        what, SIM_CONSOLE_FORM_LIMIT_US / RC_US_PER_S);
            return FALSE;
        }
        sim_kernel_run(cw->k, now + FORM_POLL_US, 0);
    }
}

gboolean sim_console_world_form(SimConsoleWorld *cw, GError **error)
{
    const SimScenario *sc = cw->sc;
    /* Quiet: formation logs (MEETs, handshakes, state changes) are not the show. */
    sim_console_set_loglevel(cw->con, SIM_CONSOLE_LOG_QUIET);
    RcTime limit = sim_kernel_now(cw->k) + SIM_CONSOLE_FORM_LIMIT_US;
    sim_kernel_run(cw->k, sim_kernel_now(cw->k) + sc->boot_spread_us + RC_US_PER_MS, 0);
    gboolean ok = TRUE;
    guint m = sc->masters;
    g_autofree SimSlotSplit *split = g_new(SimSlotSplit, m);
    sim_cluster_slot_split(m, split);
    for (guint s = 0; ok && s < m; s++) {
        g_autofree char *lo = g_strdup_printf("%ld", split[s].first);
        g_autofree char *hi = g_strdup_printf("%ld", split[s].last);
        g_autoptr(SimReply) r = setup_call(cw, s, error, "CLUSTER", "ADDSLOTSRANGE", lo, hi, NULL);
        ok = r != NULL;
    }
    for (guint n = 0; ok && n < cw->n_nodes; n++) {
        g_autofree char *epoch = g_strdup_printf("%u", n + 1);
        g_autoptr(SimReply) r =
            setup_call(cw, n, error, "CLUSTER", "SET-CONFIG-EPOCH", epoch, NULL);
        ok = r != NULL;
    }
    const RcNodeConfig *first = sim_world_node_config(cw->world, 0);
    g_autofree char *first_port = g_strdup_printf("%u", first->port);
    for (guint n = 1; ok && n < cw->n_nodes; n++) {
        g_autoptr(SimReply) r =
            setup_call(cw, n, error, "CLUSTER", "MEET", first->ip, first_port, NULL);
        ok = r != NULL;
    }
    ok = ok && wait_formed(cw, FALSE, limit, "meet", error);
    for (guint n = m; ok && n < cw->n_nodes; n++) {
        guint shard = sim_scenario_node_shard(sc, n);
        g_autoptr(SimReply) id = setup_call(cw, shard, error, "CLUSTER", "MYID", NULL);
        ok = id != NULL && id->type == SIM_REPLY_BULK;
        if (ok) {
            g_autoptr(SimReply) r = setup_call(cw, n, error, "CLUSTER", "REPLICATE", id->str, NULL);
            ok = r != NULL;
        }
    }
    ok = ok && wait_formed(cw, TRUE, limit, "converge", error);
    sim_console_set_loglevel(cw->con, cw->loglevel);
    g_string_truncate(sim_console_output(cw->con), 0);
    return ok;
}
