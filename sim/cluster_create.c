/* redis-cli --cluster create, on the simulator (see cluster_create.h). */
#include "sim/cluster_create.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "core/cluster.h"
#include "core/node_private.h"
#include "sim/client.h"

#define POLL_US (100 * RC_US_PER_MS)

G_DEFINE_QUARK(sim - cluster - create - error - quark, sim_cluster_create_error)

/* One admin command: argv sent to node `node`. */
typedef struct {
    guint node;
    char **argv;
} AdminCmd;

typedef struct {
    SimWorld *w;
    const SimClusterSpec *spec;
    SimClient *admin;     /* spec->admin or own_admin */
    SimClient *own_admin; /* made here when the spec names none */
    SimClusterFormedFn formed;
    gpointer formed_user;
    GArray *cmds; /* of AdminCmd: sent in order, one at a time */
    guint next;
    int phase; /* 0 slots/epochs/meet, 1 wait join, 2 replicate, 3 wait formed */
    gboolean done, failed;
    char *why; /* the failed command */
    SimClusterTimes times;
    char *why_not; /* why the last formation poll said no */
} Creation;

guint sim_cluster_master_of(const SimClusterSpec *spec, guint i)
{
    if (i < spec->masters)
        return i;
    return (i - spec->masters) % spec->masters;
}

void sim_cluster_slot_split(guint masters, SimSlotSplit *out)
{
    rc_assert(masters >= 1 && masters <= RC_CLUSTER_SLOTS);
    /* float, not double, as redis-cli: with SSE (x86-64, FLT_EVAL_METHOD 0) every step is
     * rounded to single precision, the same at any optimisation level. */
    float slots_per_node = (float)RC_CLUSTER_SLOTS / (float)masters;
    float cursor = 0.0f;
    long first = 0;
    for (guint i = 0; i < masters; i++) {
        float end = cursor + slots_per_node - 1.0f;
        long last = lroundf(end);
        if (last > RC_CLUSTER_SLOTS || i == masters - 1)
            last = RC_CLUSTER_SLOTS - 1;
        if (last < first)
            last = first;
        out[i] = (SimSlotSplit){first, last};
        first = last + 1;
        cursor += slots_per_node;
    }
}

void sim_cluster_spec_init(SimClusterSpec *spec, SimWorld *w, guint masters, guint replicas)
{
    memset(spec, 0, sizeof *spec);
    spec->masters = masters;
    spec->replicas_per_master = replicas;
    spec->start_at_us = sim_kernel_now(sim_world_kernel(w)) + 10 * RC_US_PER_MS;
    spec->limit_us = 300 * RC_US_PER_S;
}

static void add_cmd(Creation *c, guint node, const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, g_strdup(a));
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    AdminCmd cmd = {.node = node, .argv = (char **)g_ptr_array_free(argv, FALSE)};
    g_array_append_val(c->cmds, cmd);
}

static void admin_cmd_clear(gpointer p)
{
    g_strfreev(((AdminCmd *)p)->argv);
}

gboolean sim_cluster_full_view(SimWorld *w)
{
    guint n = sim_world_n_nodes(w), live = 0;
    for (guint i = 0; i < n; i++)
        live += sim_world_node(w, i) != NULL;
    for (guint i = 0; i < n; i++) {
        RcNode *node = sim_world_node(w, i);
        if (node == NULL)
            continue;
        RcCluster *c = node->cluster;
        guint known = 0;
        for (guint k = 0; k < c->nodes->len; k++)
            known += !rc_node_in_handshake((RcClusterNode *)g_ptr_array_index(c->nodes, k));
        if (known < live)
            return FALSE;
    }
    return TRUE;
}

/* The default judge of the last wait: every node sees the intended roles and its state is
 * ok. */
static gboolean roles_in_place(gpointer user, GString *why)
{
    Creation *c = user;
    SimWorld *w = c->w;
    guint n = sim_world_n_nodes(w);
    char *ids = g_malloc((gsize)n * RC_CLUSTER_NAMELEN);
    gboolean ok = TRUE;
    for (guint i = 0; i < n && ok; i++) {
        RcNode *node = sim_world_node(w, i);
        if (node == NULL)
            ok = FALSE;
        else
            memcpy(ids + (gsize)i * RC_CLUSTER_NAMELEN, node->cluster->myself->name,
                   RC_CLUSTER_NAMELEN);
    }
    for (guint i = 0; i < n && ok; i++) {
        RcCluster *cl = sim_world_node(w, i)->cluster;
        if (cl->state != RC_CLUSTER_OK) {
            g_string_printf(why, "node %u: cluster state fail", i);
            ok = FALSE;
            break;
        }
        for (guint j = c->spec->masters; j < n && ok; j++) {
            RcClusterNode *r =
                rc_cluster_lookup(sim_world_node(w, i), ids + (gsize)j * RC_CLUSTER_NAMELEN);
            guint m = sim_cluster_master_of(c->spec, j);
            ok = r != NULL && rc_node_is_replica(r) && r->replica_of != NULL &&
                 memcmp(r->replica_of->name, ids + (gsize)m * RC_CLUSTER_NAMELEN,
                        RC_CLUSTER_NAMELEN) == 0;
            if (!ok)
                g_string_printf(why, "node %u: node %u not yet seen as a replica of node %u", i, j,
                                m);
        }
    }
    g_free(ids);
    return ok;
}

static void step(Creation *c);

/* A command came back. A direct request reports an error reply as a failure with its text;
 * an error reply under OK would count as refused too. */
static void cmd_done(SimClient *client, SimClientResult *res, gpointer user)
{
    Creation *c = user;
    if (res->type != SIM_OP_OK || res->reply == NULL || res->reply->type == SIM_REPLY_ERROR) {
        const AdminCmd *cmd = &g_array_index(c->cmds, AdminCmd, c->next - 1);
        const char *why = res->reply && res->reply->str ? res->reply->str : res->error;
        SimNet *net = sim_world_net(c->w);
        c->failed = TRUE;
        c->why = g_strdup_printf(
            "%s: %s %s: %s", sim_net_host_name(net, sim_world_node_host(c->w, cmd->node)),
            cmd->argv[0], cmd->argv[1] ? cmd->argv[1] : "", why ? why : "no reply");
        sim_kernel_stop(sim_world_kernel(c->w));
        return;
    }
    step(c);
}

static void poll_cb(SimKernel *k, gpointer data, guint64 arg)
{
    step(data);
}

/* CLUSTER REPLICATE for every replica, to its master's id (every node is known by now). */
static void add_replicate_cmds(Creation *c)
{
    guint n = sim_world_n_nodes(c->w);
    for (guint i = c->spec->masters; i < n; i++) {
        RcNode *m = sim_world_node(c->w, sim_cluster_master_of(c->spec, i));
        g_autofree char *id = g_strndup(m->cluster->myself->name, RC_CLUSTER_NAMELEN);
        add_cmd(c, i, "CLUSTER", "REPLICATE", id, NULL);
    }
}

/* The next thing to do: send the next command, else move on from the phase whose commands
 * were all answered, else poll the phase's wait. */
static void step(Creation *c)
{
    SimKernel *k = sim_world_kernel(c->w);
    if (c->next < c->cmds->len) {
        const AdminCmd *cmd = &g_array_index(c->cmds, AdminCmd, c->next++);
        sim_client_request_node(c->admin, cmd->node, g_strv_length(cmd->argv),
                                (const char *const *)cmd->argv, cmd_done, c);
        return;
    }
    if (c->phase == 0 || c->phase == 2) {
        if (c->phase == 0)
            c->times.last_meet_us = sim_kernel_now(k);
        else
            c->times.replicated_us = sim_kernel_now(k);
        c->phase++;
        sim_kernel_schedule_in(k, POLL_US, poll_cb, c, 0);
        return;
    }
    if (c->phase == 1) {
        if (!sim_cluster_full_view(c->w)) {
            sim_kernel_schedule_in(k, POLL_US, poll_cb, c, 0);
            return;
        }
        c->times.joined_us = sim_kernel_now(k);
        add_replicate_cmds(c);
        c->phase = 2;
        step(c);
        return;
    }
    g_autoptr(GString) why = g_string_new(NULL);
    if (!c->formed(c->formed_user, why)) {
        g_free(c->why_not);
        c->why_not = g_string_free(g_steal_pointer(&why), FALSE);
        if (g_getenv("SIM_CLUSTER_CREATE_DEBUG"))
            g_printerr("%.1f s: %s\n", sim_kernel_now(k) / 1e6, c->why_not);
        sim_kernel_schedule_in(k, POLL_US, poll_cb, c, 0);
        return;
    }
    c->done = TRUE;
    c->times.formed_us = sim_kernel_now(k);
    sim_kernel_stop(k);
}

/* The admin client of its own, on a host of its own, when the spec names none. */
static SimClient *own_admin_new(SimWorld *w)
{
    guint n = sim_world_n_nodes(w);
    SimNodeAddr *addrs = g_new0(SimNodeAddr, n);
    for (guint i = 0; i < n; i++) {
        const RcNodeConfig *cfg = sim_world_node_config(w, i);
        g_strlcpy(addrs[i].ip, cfg->ip, sizeof addrs[i].ip);
        addrs[i].port = cfg->port;
    }
    guint32 host = sim_world_add_client_host(w, "cluster-create", "10.255.255.254");
    SimClientConfig ccfg = {
        .timeout_us = 5 * RC_US_PER_S, .retries = 0, .backoff_us = 100 * RC_US_PER_MS};
    SimClient *admin = sim_client_new(sim_world_net(w), host, G_MAXUINT - 1, &ccfg, addrs, n, 0);
    g_free(addrs);
    return admin;
}

/* ADDSLOTSRANGE on the masters, SET-CONFIG-EPOCH on every node, MEET node 0 from the others:
 * phase 0's commands. */
static void add_first_cmds(Creation *c)
{
    guint n = sim_world_n_nodes(c->w);
    guint m = c->spec->masters;
    g_autofree SimSlotSplit *split = g_new(SimSlotSplit, m);
    sim_cluster_slot_split(m, split);
    for (guint s = 0; s < m; s++) {
        g_autofree char *lo = g_strdup_printf("%ld", split[s].first);
        g_autofree char *hi = g_strdup_printf("%ld", split[s].last);
        add_cmd(c, s, "CLUSTER", "ADDSLOTSRANGE", lo, hi, NULL);
    }
    for (guint i = 0; i < n; i++) {
        g_autofree char *e = g_strdup_printf("%u", i + 1);
        add_cmd(c, i, "CLUSTER", "SET-CONFIG-EPOCH", e, NULL);
    }
    const RcNodeConfig *first = sim_world_node_config(c->w, 0);
    g_autofree char *port0 = g_strdup_printf("%u", first->port);
    for (guint i = 1; i < n; i++)
        add_cmd(c, i, "CLUSTER", "MEET", first->ip, port0, NULL);
}

gboolean sim_cluster_create(SimWorld *w, const SimClusterSpec *spec, SimClusterTimes *times,
                            GError **error)
{
    guint n = sim_world_n_nodes(w);
    guint m = spec->masters;
    if (m == 0 || (guint64)m * (1 + spec->replicas_per_master) != n) {
        g_set_error(error, SIM_CLUSTER_CREATE_ERROR, SIM_CLUSTER_CREATE_ERROR_NODES,
                    "nodes: %u masters with %u replicas each need %" G_GUINT64_FORMAT
                    " nodes, the world has %u",
                    m, spec->replicas_per_master, (guint64)m * (1 + spec->replicas_per_master), n);
        return FALSE;
    }
    rc_assert(spec->admin == NULL || !sim_client_busy(spec->admin));
    Creation c = {
        .w = w,
        .spec = spec,
        .own_admin = spec->admin == NULL ? own_admin_new(w) : NULL,
        .formed = spec->formed != NULL ? spec->formed : roles_in_place,
        .cmds = g_array_new(FALSE, FALSE, sizeof(AdminCmd)),
    };
    c.admin = spec->admin != NULL ? spec->admin : c.own_admin;
    c.formed_user = spec->formed != NULL ? spec->formed_user : &c;
    g_array_set_clear_func(c.cmds, admin_cmd_clear);
    add_first_cmds(&c);

    SimKernel *k = sim_world_kernel(w);
    sim_kernel_schedule(k, MAX(spec->start_at_us, sim_kernel_now(k)), poll_cb, &c, 0);
    SimRunEnd end = sim_world_run(w, spec->start_at_us + spec->limit_us, 0);
    /* only the creation stops the kernel, and only when it is done or has failed */
    rc_assert(c.done || c.failed || end != SIM_RUN_STOPPED);
    if (c.failed)
        g_set_error(error, SIM_CLUSTER_CREATE_ERROR, SIM_CLUSTER_CREATE_ERROR_REFUSED, "%s", c.why);
    else if (!c.done)
        g_set_error(error, SIM_CLUSTER_CREATE_ERROR, SIM_CLUSTER_CREATE_ERROR_TIMEOUT,
                    "%s: not done within %" G_GINT64_FORMAT " s%s%s",
                    c.phase <= 1 ? "join" : "replicas", spec->limit_us / RC_US_PER_S,
                    c.why_not ? ": " : "", c.why_not ? c.why_not : "");
    else if (times != NULL)
        *times = c.times;
    g_free(c.why);
    g_free(c.why_not);
    g_array_unref(c.cmds);
    if (c.own_admin != NULL)
        sim_client_free(c.own_admin);
    return c.done;
}
