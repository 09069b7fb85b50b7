/* redis-cli --cluster create, on the simulator (see cluster_create.h). */
#include "sim/cluster_create.h"

#include <math.h>
#include <string.h>

#include "core/cluster.h"
#include "core/node_private.h"
#include "sim/client.h"

#define POLL_US (100 * RC_US_PER_MS)

GQuark sim_cluster_create_error_quark(void);
G_DEFINE_QUARK(sim - cluster - create - error - quark, sim_cluster_create_error)

typedef struct {
    SimWorld *w;
    const SimClusterSpec *spec;
    SimClient *admin;
    GPtrArray *cmds; /* of GStrv: node index as text in [0], then the command */
    guint next;
    int phase; /* 0 slots/epochs/meet, 1 wait join, 2 replicate, 3 wait formed */
    gboolean done, failed;
    char *why;
    RcTime deadline_us;
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

static void add_cmd(Creation *c, guint node, const char *a0, const char *a1, const char *a2,
                    const char *a3, const char *a4)
{
    const char *parts[] = {a0, a1, a2, a3, a4};
    GPtrArray *v = g_ptr_array_new();
    g_ptr_array_add(v, g_strdup_printf("%u", node));
    for (gsize i = 0; i < G_N_ELEMENTS(parts) && parts[i]; i++)
        g_ptr_array_add(v, g_strdup(parts[i]));
    g_ptr_array_add(v, NULL);
    g_ptr_array_add(c->cmds, g_ptr_array_free(v, FALSE));
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

/* Every node sees the intended roles and its state is ok. */
static gboolean formed(Creation *c, GString *why)
{
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

static void fail(Creation *c, char *why)
{
    c->failed = TRUE;
    c->why = why;
    sim_kernel_stop(sim_world_kernel(c->w));
}

static void step(Creation *c);

static void cmd_done(SimClient *client, SimClientResult *res, gpointer user)
{
    Creation *c = user;
    char **cmd = g_ptr_array_index(c->cmds, c->next - 1);
    if (res->type != SIM_OP_OK || res->reply == NULL || res->reply->type == SIM_REPLY_ERROR) {
        const char *why = res->reply && res->reply->str ? res->reply->str : res->error;
        fail(c, g_strdup_printf("cluster-create: node %s: %s %s: %s", cmd[0], cmd[1], cmd[2],
                                why ? why : "no reply"));
        return;
    }
    step(c);
}

static void poll_cb(SimKernel *k, gpointer data, guint64 arg)
{
    step(data);
}

static void step(Creation *c)
{
    SimKernel *k = sim_world_kernel(c->w);
    if (sim_kernel_now(k) > c->deadline_us) {
        fail(c,
             g_strdup_printf("cluster-create: %s: not done within %" G_GINT64_FORMAT " s%s%s",
                             c->phase <= 1 ? "join" : "replicas", c->spec->limit_us / RC_US_PER_S,
                             c->why_not ? ": " : "", c->why_not ? c->why_not : ""));
        return;
    }
    if (c->next < c->cmds->len) {
        char **cmd = g_ptr_array_index(c->cmds, c->next++);
        guint node = (guint)g_ascii_strtoull(cmd[0], NULL, 10);
        sim_client_request_node(c->admin, node, g_strv_length(cmd + 1),
                                (const char *const *)cmd + 1, cmd_done, c);
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
        guint n = sim_world_n_nodes(c->w);
        for (guint i = c->spec->masters; i < n; i++) {
            RcNode *m = sim_world_node(c->w, sim_cluster_master_of(c->spec, i));
            g_autofree char *id = g_strndup(m->cluster->myself->name, RC_CLUSTER_NAMELEN);
            add_cmd(c, i, "CLUSTER", "REPLICATE", id, NULL, NULL);
        }
        c->phase = 2;
        step(c);
        return;
    }
    g_autoptr(GString) why = g_string_new(NULL);
    if (!formed(c, why)) {
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

gboolean sim_cluster_create(SimWorld *w, const SimClusterSpec *spec, SimClusterTimes *times,
                            GError **error)
{
    guint n = sim_world_n_nodes(w);
    guint m = spec->masters;
    if (m == 0 || (guint64)m * (1 + spec->replicas_per_master) != n) {
        g_set_error(
            error, sim_cluster_create_error_quark(), 0,
            "cluster-create: nodes: %u masters with %u replicas each need %" G_GUINT64_FORMAT
            " nodes, the world has %u",
            m, spec->replicas_per_master, (guint64)m * (1 + spec->replicas_per_master), n);
        return FALSE;
    }
    SimNodeAddr *addrs = g_new0(SimNodeAddr, n);
    for (guint i = 0; i < n; i++) {
        const RcNodeConfig *cfg = sim_world_node_config(w, i);
        g_strlcpy(addrs[i].ip, cfg->ip, sizeof addrs[i].ip);
        addrs[i].port = cfg->port;
    }
    guint32 host = sim_world_add_client_host(w, "cluster-create", "10.255.255.254");
    SimClientConfig ccfg = {
        .timeout_us = 5 * RC_US_PER_S, .retries = 0, .backoff_us = 100 * RC_US_PER_MS};
    Creation c = {
        .w = w,
        .spec = spec,
        .admin = sim_client_new(sim_world_net(w), host, G_MAXUINT - 1, &ccfg, addrs, n, 0),
        .cmds = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev),
        .deadline_us = spec->start_at_us + spec->limit_us,
    };
    g_free(addrs);
    g_autofree SimSlotSplit *split = g_new(SimSlotSplit, m);
    sim_cluster_slot_split(m, split);
    for (guint s = 0; s < m; s++) {
        g_autofree char *lo = g_strdup_printf("%ld", split[s].first);
        g_autofree char *hi = g_strdup_printf("%ld", split[s].last);
        add_cmd(&c, s, "CLUSTER", "ADDSLOTSRANGE", lo, hi, NULL);
    }
    for (guint i = 0; i < n; i++) {
        g_autofree char *e = g_strdup_printf("%u", i + 1);
        add_cmd(&c, i, "CLUSTER", "SET-CONFIG-EPOCH", e, NULL, NULL);
    }
    const RcNodeConfig *first = sim_world_node_config(w, 0);
    g_autofree char *port0 = g_strdup_printf("%u", first->port);
    for (guint i = 1; i < n; i++)
        add_cmd(&c, i, "CLUSTER", "MEET", first->ip, port0, NULL);

    SimKernel *k = sim_world_kernel(w);
    sim_kernel_schedule(k, MAX(spec->start_at_us, sim_kernel_now(k)), poll_cb, &c, 0);
    SimRunEnd end = sim_world_run(w, c.deadline_us + RC_US_PER_S, 0);
    gboolean ok = c.done && end == SIM_RUN_STOPPED;
    if (!ok) {
        g_set_error(error, sim_cluster_create_error_quark(), 1, "%s",
                    c.why ? c.why : "cluster-create: kernel ran out of events");
    } else if (times) {
        *times = c.times;
    }
    g_free(c.why);
    g_free(c.why_not);
    g_ptr_array_unref(c.cmds);
    sim_client_free(c.admin);
    return ok;
}
