/* The run's convergence test (run_private.h: sim_run_converged), asked by the formation's
 * last wait and by the poll after the final heal, every 100 ms of virtual time until it
 * holds: each node's view of the slots is read as the runs of one owner that the core keeps
 * cached (a handful per node), so a poll costs some thousand instructions whatever the size
 * of the slot table. */
#include <string.h>

#include "core/cluster_types.h"
#include "core/node_private.h"
#include "sim/run_private.h"

/* A node's slot table as runs of one owner, a node index (SimNodeView), from the core's runs
 * of one owner pointer: an owner that is none of the run's nodes owns nothing here (as a slot
 * table of node indices shows it: -1), and neighbouring runs of one node join
 * (sim_owner_runs_append). Fills `out` (room for the core's count of runs). */
static guint owner_runs(const SimRun *run, RcCluster *c, SimOwnerRun *out)
{
    const GArray *runs = rc_cluster_slot_runs(c);
    guint n = 0;
    int next = 0;
    for (guint i = 0; i < runs->len; i++) {
        const RcSlotRun *r = &g_array_index(runs, RcSlotRun, i);
        const RcClusterNode *o = c->slots[r->first];
        rc_assert(r->first >= next && r->last < RC_CLUSTER_SLOTS && o != NULL &&
                  c->slots[r->last] == o);
        next = r->last + 1;
        n = sim_owner_runs_append(out, n, (guint)r->first, (guint)r->last,
                                  sim_run_node_by_id(run, o->name));
    }
    return n;
}

/* A node's cluster state, or NULL when the node is down (crashed, or paused: it answers
 * nobody). */
static RcCluster *up_cluster(SimRun *run, guint i)
{
    RcNode *node = sim_world_node(run->world, i);
    RcCluster *c = node != NULL ? node->cluster : NULL;
    return c != NULL && !sim_world_node_is_paused(run->world, i) ? c : NULL;
}

/* Fill views for the convergence check; their runs go to `*runs` (allocated here). Only up
 * nodes are read. */
static void build_views(SimRun *run, SimNodeView *views, SimOwnerRun **runs)
{
    guint room = 0;
    for (guint i = 0; i < run->n_nodes; i++) {
        RcCluster *c = up_cluster(run, i);
        if (c != NULL)
            room += rc_cluster_slot_runs(c)->len;
    }
    *runs = g_new(SimOwnerRun, MAX(room, 1));
    guint used = 0;
    for (guint i = 0; i < run->n_nodes; i++) {
        SimNodeView *v = &views[i];
        memset(v, 0, sizeof *v);
        RcCluster *c = up_cluster(run, i);
        v->up = c != NULL;
        if (!v->up)
            continue;
        memcpy(v->name, c->myself->name, 40);
        v->is_master = rc_node_is_master(c->myself);
        v->config_epoch = c->myself->config_epoch;
        v->state_ok = c->state == RC_CLUSTER_OK;
        v->runs = *runs + used;
        v->n_runs = owner_runs(run, c, *runs + used);
        used += v->n_runs;
    }
    rc_assert(used <= room);
}

gboolean sim_run_converged(SimRun *run, GString *why)
{
    g_autofree SimNodeView *views = g_new(SimNodeView, run->n_nodes);
    g_autofree SimOwnerRun *runs = NULL;
    build_views(run, views, &runs);
    for (guint i = 0; i < run->n_nodes; i++)
        if (!views[i].up) {
            g_string_printf(why, "%s is down", run->node_names[i]);
            return FALSE;
        }
    if (!sim_check_converged(views, run->n_nodes, why))
        return FALSE;
    /* replicas: each non-owner knows its master and is a replica in its own view */
    for (guint i = 0; i < run->n_nodes; i++) {
        RcCluster *c = sim_world_node(run->world, i)->cluster;
        if (rc_node_is_master(c->myself) && c->myself->numslots == 0 && run->sc->replicas > 0) {
            g_string_printf(why, "%s is a master without slots", run->node_names[i]);
            return FALSE;
        }
    }
    return TRUE;
}
