/* The nemesis: turns the scenario's steps into faults at their times.
 *
 * Roles (primary:S, random-node, ...) are resolved when a step runs, from the nodes' own
 * views, so `crash primary:1` crashes whoever serves shard 1 at that moment. Random choices
 * come from the nemesis stream (SIM_RNG_NEMESIS, 0). One partition is in effect at a time:
 * a new one replaces the old. Clients follow the node they sit near in the random shapes
 * and in `isolate ... with-clients`; in explicit groups they are where they are named, and
 * unnamed hosts (including the admin and reader hosts) form the `rest` group. Every action
 * is recorded in the history (process "nemesis", type info) and in the fault list. */
#include <string.h>

#include "sim/run_private.h"

typedef enum {
    JOB_FAILOVER,
    JOB_RESHARD,
} JobKind;

typedef struct {
    SimRun *run;
    JobKind kind;
    gint fault;
    guint node; /* FAILOVER target; RESHARD source */
    guint dst;  /* RESHARD destination */
    int mode;   /* FAILOVER */
    guint slot, slot_last;
    int phase;       /* RESHARD: 0 importing, 1 migrating, 2 getkeys, 3 migrate, 4 node dst,
                        5 node src */
    GPtrArray *keys; /* RESHARD: keys to move now */
    char *error;     /* RESHARD: why it stopped; the slot is then set STABLE again */
} AdminJob;

static void admin_next(SimRun *run);

/* ---- resolving targets ---- */

static gint shard_primary(SimRun *run, guint shard)
{
    /* the up master whose slots include the shard's first slot in its own view */
    guint first = (guint)(((guint64)shard * 16384) / run->sc->masters);
    for (guint n = 0; n < run->n_nodes; n++) {
        if (!sim_run_node_is_serving_master(run, n))
            continue;
        RcNode *node = sim_world_node(run->world, n);
        if (node != NULL && rc_cluster_slot_owner(node, (int)first) == rc_cluster_myself(node))
            return (gint)n;
    }
    return (gint)shard; /* nobody claims it: the initial master */
}

static gint shard_replica(SimRun *run, guint shard)
{
    gint primary = shard_primary(run, shard);
    for (guint n = 0; n < run->n_nodes; n++) {
        if ((gint)n == primary || sim_scenario_node_shard(run->sc, n) != shard)
            continue;
        if (!sim_run_node_is_serving_master(run, n))
            return (gint)n;
    }
    /* the shard's nodes moved: any non-master */
    for (guint n = 0; n < run->n_nodes; n++)
        if ((gint)n != primary && !sim_run_node_is_serving_master(run, n) &&
            sim_world_node_is_up(run->world, n))
            return (gint)n;
    return primary;
}

static guint random_pick(SimRun *run, gboolean masters, gboolean replicas)
{
    g_autoptr(GArray) c = g_array_new(FALSE, FALSE, sizeof(guint));
    for (guint n = 0; n < run->n_nodes; n++) {
        gboolean m = sim_run_node_is_serving_master(run, n);
        if ((m && masters) || (!m && replicas))
            g_array_append_val(c, n);
    }
    if (c->len == 0)
        return 0;
    return g_array_index(c, guint, g_rand_int_range(run->nemesis_rng, 0, (gint32)c->len));
}

static guint resolve_node(SimRun *run, const SimTarget *t)
{
    switch (t->kind) {
    case SIM_TARGET_NODE:
        return t->index;
    case SIM_TARGET_PRIMARY:
        return (guint)shard_primary(run, t->index);
    case SIM_TARGET_REPLICA:
        return (guint)shard_replica(run, t->index);
    case SIM_TARGET_RANDOM_NODE:
        return random_pick(run, TRUE, TRUE);
    case SIM_TARGET_RANDOM_PRIMARY:
        return random_pick(run, TRUE, FALSE);
    case SIM_TARGET_RANDOM_REPLICA:
        return random_pick(run, FALSE, TRUE);
    default:
        break;
    }
    rc_assert(!"not a node target");
    return 0;
}

static gboolean host_is_node(SimRun *run, guint32 host)
{
    for (guint n = 0; n < run->n_nodes; n++)
        if (sim_world_node_host(run->world, n) == host)
            return TRUE;
    return FALSE;
}

static const char *host_name(SimRun *run, guint32 host)
{
    return sim_net_host_name(run->net, host);
}

/* ---- partitions ---- */

static void close_fault(SimRun *run, gint fault)
{
    if (fault < 0)
        return;
    SimFault *f = g_ptr_array_index(run->faults, fault);
    if (f->end_us < 0)
        f->end_us = sim_run_now(run);
}

static void heal_partition(SimRun *run)
{
    if (run->open_partition < 0)
        return;
    sim_net_heal_all(run->net);
    close_fault(run, run->open_partition);
    run->open_partition = -1;
    if (run->part_groups != NULL)
        g_ptr_array_set_size(run->part_groups, 0);
    g_clear_pointer(&run->part_group_side, g_free);
    run->part_bridge = G_MAXUINT32;
    sim_nemesis_update_sides(run);
}

void sim_nemesis_update_sides(SimRun *run)
{
    for (guint h = 0; h < run->n_hosts; h++)
        run->host_side[h] = SIM_SIDE_NONE;
    if (run->open_partition < 0 || run->part_groups == NULL)
        return;
    for (guint g = 0; g < run->part_groups->len; g++) {
        GArray *hosts = g_ptr_array_index(run->part_groups, g);
        for (guint i = 0; i < hosts->len; i++) {
            guint32 h = g_array_index(hosts, guint32, i);
            /* the bridge belongs to both halves: majority if either half is */
            if (h == run->part_bridge && run->host_side[h] == SIM_SIDE_MAJORITY)
                continue;
            run->host_side[h] = run->part_group_side[g];
        }
    }
}

static GPtrArray *names_copy(const GPtrArray *names)
{
    GPtrArray *c = g_ptr_array_new_full(names->len, g_free);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(c, g_strdup(g_ptr_array_index(names, i)));
    return c;
}

/* Install `groups` (GArray of guint32 hosts each); `bridge` is in both of the two groups, or
 * G_MAXUINT32; `one_way`: groups[0] cannot reach groups[1]. */
static void install_partition(SimRun *run, GPtrArray *groups, guint32 bridge, gboolean one_way,
                              const char *label)
{
    heal_partition(run);
    guint ng = groups->len;
    /* sides: a group is the majority when it holds most of the serving masters */
    guint total = 0;
    g_autofree guint *masters = g_new0(guint, ng);
    for (guint n = 0; n < run->n_nodes; n++) {
        if (!sim_run_node_is_serving_master(run, n))
            continue;
        total++;
        guint32 h = sim_world_node_host(run->world, n);
        for (guint g = 0; g < ng; g++) {
            GArray *hosts = g_ptr_array_index(groups, g);
            for (guint i = 0; i < hosts->len; i++)
                if (g_array_index(hosts, guint32, i) == h)
                    masters[g]++;
        }
    }
    run->part_group_side = g_new0(SimSide, ng);
    for (guint g = 0; g < ng; g++)
        run->part_group_side[g] = masters[g] * 2 > total ? SIM_SIDE_MAJORITY : SIM_SIDE_MINORITY;

    /* the network */
    g_autoptr(GPtrArray) sets = g_ptr_array_new_with_free_func((GDestroyNotify)sim_host_set_free);
    for (guint g = 0; g < ng; g++) {
        SimHostSet *s = sim_host_set_new(run->net);
        GArray *hosts = g_ptr_array_index(groups, g);
        for (guint i = 0; i < hosts->len; i++)
            if (g_array_index(hosts, guint32, i) != bridge)
                sim_host_set_add(s, g_array_index(hosts, guint32, i));
        g_ptr_array_add(sets, s);
    }
    if (bridge != G_MAXUINT32)
        sim_net_bridge(run->net, g_ptr_array_index(sets, 0), g_ptr_array_index(sets, 1), bridge);
    else if (one_way)
        sim_net_cut_oneway(run->net, g_ptr_array_index(sets, 0), g_ptr_array_index(sets, 1));
    else
        sim_net_partition(run->net, (const SimHostSet *const *)sets->pdata, ng);

    /* the record */
    SimFault *f = sim_fault_new("partition", sim_run_now(run), label);
    GString *text = g_string_new(NULL);
    for (guint g = 0; g < ng; g++) {
        GArray *hosts = g_ptr_array_index(groups, g);
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        if (g > 0)
            g_string_append(text, one_way ? " -> " : " | ");
        for (guint i = 0; i < hosts->len; i++) {
            guint32 h = g_array_index(hosts, guint32, i);
            const char *nm = host_name(run, h);
            g_ptr_array_add(names, g_strdup(nm));
            g_string_append_printf(text, "%s%s", i ? "," : "", nm);
            if (!host_is_node(run, h))
                continue; /* the majority and minority lists name nodes */
            GPtrArray *side =
                run->part_group_side[g] == SIM_SIDE_MAJORITY ? f->majority : f->minority;
            gboolean dup = FALSE;
            for (guint j = 0; j < side->len; j++)
                dup |= strcmp(g_ptr_array_index(side, j), nm) == 0;
            if (!dup)
                g_ptr_array_add(side, g_strdup(nm));
        }
        g_ptr_array_add(f->groups, names);
    }
    g_ptr_array_add(run->faults, f);
    run->open_partition = (gint)run->faults->len - 1;
    run->part_groups = run->part_groups
                           ? run->part_groups
                           : g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    g_ptr_array_set_size(run->part_groups, 0);
    for (guint g = 0; g < ng; g++)
        g_ptr_array_add(run->part_groups, g_array_ref(g_ptr_array_index(groups, g)));
    run->part_bridge = bridge;
    sim_nemesis_update_sides(run);
    /* the history names the groups (Jepsen's nested vectors); a one-way cut is its own f */
    GPtrArray *hist = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
    for (guint g = 0; g < f->groups->len; g++)
        g_ptr_array_add(hist, names_copy(g_ptr_array_index(f->groups, g)));
    sim_run_record_partition(run, one_way ? "partition-one-way" : "partition", hist, text->str,
                             run->open_partition);
    g_string_free(text, TRUE);
}

static GArray *hosts_new(void)
{
    return g_array_new(FALSE, FALSE, sizeof(guint32));
}

/* Add node `n` and, when `clients`, every workload client sitting near it. */
static void add_node_with_clients(SimRun *run, GArray *hosts, guint n, gboolean clients,
                                  gboolean *taken)
{
    guint32 h = sim_world_node_host(run->world, n);
    if (!taken[h]) {
        taken[h] = TRUE;
        g_array_append_val(hosts, h);
    }
    if (!clients)
        return;
    for (guint i = 0; i < run->n_client_hosts; i++)
        if (run->client_hosts[i].home == n && !taken[run->client_hosts[i].host]) {
            taken[run->client_hosts[i].host] = TRUE;
            g_array_append_val(hosts, run->client_hosts[i].host);
        }
}

static void add_rest(SimRun *run, GArray *hosts, gboolean *taken)
{
    for (guint32 h = 0; h < run->n_hosts; h++)
        if (!taken[h]) {
            taken[h] = TRUE;
            g_array_append_val(hosts, h);
        }
}

static void shuffle(SimRun *run, guint *a, guint n)
{
    for (guint i = n; i > 1; i--) {
        guint j = (guint)g_rand_int_range(run->nemesis_rng, 0, (gint32)i);
        guint t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

static void do_partition(SimRun *run, const SimNemesisStep *st)
{
    g_autofree gboolean *taken = g_new0(gboolean, run->n_hosts);
    g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    guint32 bridge = G_MAXUINT32;
    g_autofree guint *order = g_new(guint, run->n_nodes);
    for (guint i = 0; i < run->n_nodes; i++)
        order[i] = i;
    switch (st->shape) {
    case SIM_PART_ISOLATE:
    case SIM_PART_RANDOM_NODE: {
        guint n = st->shape == SIM_PART_ISOLATE
                      ? resolve_node(run, &g_array_index(st->targets, SimTarget, 0))
                      : (guint)g_rand_int_range(run->nemesis_rng, 0, (gint32)run->n_nodes);
        GArray *a = hosts_new();
        add_node_with_clients(run, a, n, st->with_clients, taken);
        g_ptr_array_add(groups, a);
        break;
    }
    case SIM_PART_MAJORITY_MINORITY:
    case SIM_PART_RANDOM_HALVES:
    case SIM_PART_BRIDGE: {
        shuffle(run, order, run->n_nodes);
        guint cut = st->shape == SIM_PART_MAJORITY_MINORITY ? (run->n_nodes - 1) / 2
                    : st->shape == SIM_PART_RANDOM_HALVES   ? run->n_nodes / 2
                                                            : (run->n_nodes - 1) / 2;
        GArray *a = hosts_new();
        for (guint i = 0; i < cut; i++)
            add_node_with_clients(run, a, order[i], TRUE, taken);
        g_ptr_array_add(groups, a);
        if (st->shape == SIM_PART_BRIDGE) {
            bridge = sim_world_node_host(run->world, order[cut]);
            taken[bridge] = TRUE; /* joins the rest group once, below */
            g_array_append_val(a, bridge);
        }
        break;
    }
    case SIM_PART_GROUPS:
    case SIM_PART_ONE_WAY: {
        gint rest_group = -1;
        for (guint g = 0; g < st->ngroups; g++)
            g_ptr_array_add(groups, hosts_new());
        for (guint i = 0; i < st->targets->len; i++) {
            const SimTarget *t = &g_array_index(st->targets, SimTarget, i);
            GArray *a = g_ptr_array_index(groups, t->group);
            if (t->kind == SIM_TARGET_REST) {
                rest_group = (gint)t->group;
            } else if (t->kind == SIM_TARGET_CLIENT) {
                guint32 h = run->client_hosts[t->index].host;
                if (!taken[h]) {
                    taken[h] = TRUE;
                    g_array_append_val(a, h);
                }
            } else if (t->kind == SIM_TARGET_CLIENTS_OF) {
                for (guint c = 0; c < run->n_client_hosts; c++)
                    if (run->client_hosts[c].home == t->index &&
                        !taken[run->client_hosts[c].host]) {
                        taken[run->client_hosts[c].host] = TRUE;
                        g_array_append_val(a, run->client_hosts[c].host);
                    }
            } else {
                add_node_with_clients(run, a, resolve_node(run, t), FALSE, taken);
            }
        }
        if (rest_group >= 0) {
            add_rest(run, g_ptr_array_index(groups, rest_group), taken);
        }
        break;
    }
    }
    /* the hosts nobody named: one more group (SimNet does the same) */
    GArray *rest = hosts_new();
    add_rest(run, rest, taken);
    if (bridge != G_MAXUINT32)
        g_array_append_val(rest, bridge);
    if (rest->len > 0)
        g_ptr_array_add(groups, rest);
    else
        g_array_unref(rest);
    if (groups->len < 2 && bridge == G_MAXUINT32) {
        /* everything in one group: nothing to cut; the history shows that one group */
        GPtrArray *hist = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
        for (guint g = 0; g < groups->len; g++) {
            GArray *hosts = g_ptr_array_index(groups, g);
            GPtrArray *names = g_ptr_array_new_full(hosts->len, g_free);
            for (guint i = 0; i < hosts->len; i++)
                g_ptr_array_add(names, g_strdup(host_name(run, g_array_index(hosts, guint32, i))));
            g_ptr_array_add(hist, names);
        }
        sim_run_record_partition(run, "partition", hist, "no-op: one group", -1);
        return;
    }
    install_partition(run, groups, bridge, st->shape == SIM_PART_ONE_WAY, st->text);
}

/* ---- process faults ---- */

static gint open_node_fault(SimRun *run, const char *kind, guint node, const char *label)
{
    SimFault *f = sim_fault_new(kind, sim_run_now(run), label);
    g_array_append_val(f->nodes, node);
    g_ptr_array_add(run->faults, f);
    return (gint)run->faults->len - 1;
}

static void do_node_op(SimRun *run, const SimNemesisStep *st, SimNemesisKind kind, GArray *acted)
{
    for (guint i = 0; i < st->targets->len; i++) {
        guint n = resolve_node(run, &g_array_index(st->targets, SimTarget, i));
        const char *name = run->node_names[n];
        gint fault = -1;
        gboolean up = sim_world_node_is_up(run->world, n);
        gboolean paused = sim_world_node_is_paused(run->world, n);
        switch (kind) {
        case SIM_NEM_CRASH:
            if (!up)
                continue;
            if (paused) {
                sim_world_resume(run->world, n);
                close_fault(run, run->pause_fault[n]);
                run->pause_fault[n] = -1;
            }
            sim_world_crash(run->world, n);
            fault = run->crash_fault[n] = open_node_fault(run, "crash", n, st->text);
            break;
        case SIM_NEM_RESTART:
            if (up)
                continue;
            sim_world_restart(run->world, n);
            fault = run->crash_fault[n];
            close_fault(run, fault);
            run->crash_fault[n] = -1;
            break;
        case SIM_NEM_PAUSE:
            if (!up || paused)
                continue;
            sim_world_pause(run->world, n);
            fault = run->pause_fault[n] = open_node_fault(run, "pause", n, st->text);
            break;
        case SIM_NEM_RESUME:
            if (!paused)
                continue;
            sim_world_resume(run->world, n);
            fault = run->pause_fault[n];
            close_fault(run, fault);
            run->pause_fault[n] = -1;
            break;
        case SIM_NEM_SKEW:
            sim_net_host_set_clock(run->net, sim_world_node_host(run->world, n), st->skew_us,
                                   st->drift_ppm);
            close_fault(run, run->skew_fault[n]);
            fault = run->skew_fault[n] = open_node_fault(run, "skew", n, st->text);
            break;
        default:
            rc_assert(!"not a node operation");
        }
        if (acted != NULL)
            g_array_append_val(acted, n);
        sim_run_record_nemesis(run, sim_nemesis_kind_name(kind), name, fault);
    }
}

/* ---- admin jobs (manual failover, resharding) ---- */

static void admin_done(SimClient *c, SimClientResult *res, gpointer user);

static void admin_send(SimRun *run, AdminJob *job, guint node, guint argc, const char *const *argv)
{
    run->admin_busy = TRUE;
    sim_client_request_node(run->admin, node, argc, argv, admin_done, job);
}

static void job_free(AdminJob *job)
{
    if (job->keys)
        g_ptr_array_unref(job->keys);
    g_free(job->error);
    g_free(job);
}

static void job_finish(SimRun *run, AdminJob *job, const char *error)
{
    SimFault *f = g_ptr_array_index(run->faults, job->fault);
    f->end_us = sim_run_now(run);
    if (error != NULL) {
        g_free(f->error);
        f->error = g_strdup(error);
        g_autofree char *v = g_strdup_printf("%s: %s", f->label, error);
        sim_run_record_nemesis(run, job->kind == JOB_FAILOVER ? "failover" : "reshard", v,
                               job->fault);
    }
    g_queue_pop_head(&run->admin_queue);
    job_free(job);
    run->admin_busy = FALSE;
    admin_next(run);
}

static void reshard_step(SimRun *run, AdminJob *job)
{
    char slot[16];
    g_snprintf(slot, sizeof slot, "%u", job->slot);
    const char *src_id = run->node_ids[job->node];
    const char *dst_id = run->node_ids[job->dst];
    switch (job->phase) {
    case 0: {
        const char *argv[] = {"CLUSTER", "SETSLOT", slot, "IMPORTING", src_id};
        admin_send(run, job, job->dst, 5, argv);
        return;
    }
    case 1: {
        const char *argv[] = {"CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id};
        admin_send(run, job, job->node, 5, argv);
        return;
    }
    case 2: {
        const char *argv[] = {"CLUSTER", "GETKEYSINSLOT", slot, "100"};
        admin_send(run, job, job->node, 4, argv);
        return;
    }
    case 3: {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        char port[8];
        g_snprintf(port, sizeof port, "%u", run->addrs[job->dst].port);
        const char *head[] = {"MIGRATE", run->addrs[job->dst].ip, port, "", "0", "5000", "KEYS"};
        for (gsize i = 0; i < G_N_ELEMENTS(head); i++)
            g_ptr_array_add(argv, (gpointer)head[i]);
        for (guint i = 0; i < job->keys->len; i++)
            g_ptr_array_add(argv, g_ptr_array_index(job->keys, i));
        admin_send(run, job, job->node, argv->len, (const char *const *)argv->pdata);
        return;
    }
    case 4:
    case 5: {
        const char *argv[] = {"CLUSTER", "SETSLOT", slot, "NODE", dst_id};
        admin_send(run, job, job->phase == 4 ? job->dst : job->node, 5, argv);
        return;
    }
    case 10: /* after an error, as redis-cli --cluster fix would: both ends STABLE */
    case 11: {
        const char *argv[] = {"CLUSTER", "SETSLOT", slot, "STABLE"};
        admin_send(run, job, job->phase == 10 ? job->dst : job->node, 4, argv);
        return;
    }
    }
}

static void admin_done(SimClient *c, SimClientResult *res, gpointer user)
{
    AdminJob *job = user;
    SimRun *run = job->run;
    run->admin_busy = FALSE;
    gboolean ok = res->type == SIM_OP_OK;
    if (job->kind == JOB_FAILOVER) {
        job_finish(run, job, ok ? NULL : (res->error ? res->error : "no reply"));
        return;
    }
    if (job->phase >= 10) {
        /* rolling back: errors here change nothing */
        if (job->phase == 11) {
            job_finish(run, job, job->error);
            return;
        }
        job->phase = 11;
        reshard_step(run, job);
        return;
    }
    if (!ok) {
        job->error = g_strdup_printf("slot %u phase %d: %s", job->slot, job->phase,
                                     res->error ? res->error : "no reply");
        job->phase = 10;
        reshard_step(run, job);
        return;
    }
    switch (job->phase) {
    case 2: /* the keys still in the slot */
        if (job->keys)
            g_ptr_array_unref(job->keys);
        job->keys = g_ptr_array_new_with_free_func(g_free);
        if (res->reply->type == SIM_REPLY_ARRAY)
            for (gsize i = 0; i < res->reply->n; i++)
                if (res->reply->elements[i]->type == SIM_REPLY_BULK)
                    g_ptr_array_add(job->keys, g_strdup(res->reply->elements[i]->str));
        job->phase = job->keys->len > 0 ? 3 : 4;
        break;
    case 3:
        job->phase = 2;
        break;
    case 5:
        if (job->slot == job->slot_last) {
            job_finish(run, job, NULL);
            return;
        }
        job->slot++;
        job->phase = 0;
        break;
    default:
        job->phase++;
    }
    reshard_step(run, job);
}

static void admin_next(SimRun *run)
{
    if (run->admin_busy)
        return;
    AdminJob *job = g_queue_peek_head(&run->admin_queue);
    if (job == NULL)
        return;
    if (job->kind == JOB_FAILOVER) {
        static const char *const modes[] = {NULL, "FORCE", "TAKEOVER"};
        const char *argv[] = {"CLUSTER", "FAILOVER", modes[job->mode]};
        admin_send(run, job, job->node, job->mode == 0 ? 2 : 3, argv);
    } else {
        reshard_step(run, job);
    }
}

static void queue_job(SimRun *run, const SimNemesisStep *st)
{
    AdminJob *job = g_new0(AdminJob, 1);
    job->run = run;
    job->kind = st->kind == SIM_NEM_FAILOVER ? JOB_FAILOVER : JOB_RESHARD;
    job->node = resolve_node(run, &g_array_index(st->targets, SimTarget, 0));
    job->mode = st->failover_mode;
    GString *label = g_string_new(NULL);
    if (job->kind == JOB_RESHARD) {
        job->dst = resolve_node(run, &g_array_index(st->targets, SimTarget, 1));
        job->slot = st->slot_first;
        job->slot_last = st->slot_last;
        g_string_printf(label, "%u-%u %s -> %s", st->slot_first, st->slot_last,
                        run->node_names[job->node], run->node_names[job->dst]);
    } else {
        g_string_printf(label, "%s%s", run->node_names[job->node],
                        job->mode == 1   ? " force"
                        : job->mode == 2 ? " takeover"
                                         : "");
    }
    SimFault *f = sim_fault_new(job->kind == JOB_FAILOVER ? "failover" : "reshard",
                                sim_run_now(run), label->str);
    g_array_append_val(f->nodes, job->node);
    g_ptr_array_add(run->faults, f);
    job->fault = (gint)run->faults->len - 1;
    sim_run_record_nemesis(run, f->kind, label->str, job->fault);
    g_string_free(label, TRUE);
    if (job->kind == JOB_RESHARD && job->node == job->dst) {
        /* two roles resolved to one node: nothing can move, so the step fails (the parser
         * already refuses the same host named twice) */
        f->end_us = f->start_us;
        f->error = g_strdup_printf("the source and the destination are both %s",
                                   run->node_names[job->node]);
        g_autofree char *v = g_strdup_printf("%s: %s", f->label, f->error);
        sim_run_record_nemesis(run, "reshard", v, job->fault);
        job_free(job);
        return;
    }
    g_queue_push_tail(&run->admin_queue, job);
    admin_next(run);
}

/* ---- applying steps ---- */

/* Apply a step's operation; the nodes acted on go to `acted` (for undo). */
static void apply(SimRun *run, const SimNemesisStep *st, GArray *acted)
{
    if (run->healed)
        return; /* after the final heal the nemesis rests */
    switch (st->kind) {
    case SIM_NEM_PARTITION:
        do_partition(run, st);
        break;
    case SIM_NEM_HEAL:
        if (run->open_partition >= 0) {
            gint f = run->open_partition;
            heal_partition(run);
            sim_run_record_nemesis(run, "heal", "all", f);
        } else {
            sim_run_record_nemesis(run, "heal", "all (nothing to heal)", -1);
        }
        break;
    case SIM_NEM_CRASH:
    case SIM_NEM_RESTART:
    case SIM_NEM_PAUSE:
    case SIM_NEM_RESUME:
    case SIM_NEM_SKEW:
        do_node_op(run, st, st->kind, acted);
        break;
    case SIM_NEM_FAILOVER:
    case SIM_NEM_RESHARD:
        queue_job(run, st);
        break;
    }
}

static void undo(SimRun *run, const SimNemesisStep *st, GArray *acted)
{
    if (run->healed)
        return;
    if (st->kind == SIM_NEM_PARTITION) {
        gint f = run->open_partition;
        heal_partition(run);
        sim_run_record_nemesis(run, "heal", "all", f);
        return;
    }
    for (guint i = 0; i < acted->len; i++) {
        guint n = g_array_index(acted, guint, i);
        gint fault = -1;
        if (st->kind == SIM_NEM_CRASH && !sim_world_node_is_up(run->world, n)) {
            sim_world_restart(run->world, n);
            fault = run->crash_fault[n];
            run->crash_fault[n] = -1;
        } else if (st->kind == SIM_NEM_PAUSE && sim_world_node_is_paused(run->world, n)) {
            sim_world_resume(run->world, n);
            fault = run->pause_fault[n];
            run->pause_fault[n] = -1;
        } else if (st->kind == SIM_NEM_SKEW) {
            sim_net_host_set_clock(run->net, sim_world_node_host(run->world, n), 0, 0);
            fault = run->skew_fault[n];
            run->skew_fault[n] = -1;
        } else {
            continue;
        }
        close_fault(run, fault);
        sim_run_record_nemesis(run,
                               st->kind == SIM_NEM_CRASH   ? "restart"
                               : st->kind == SIM_NEM_PAUSE ? "resume"
                                                           : "skew",
                               run->node_names[n], fault);
    }
}

typedef struct {
    SimRun *run;
    const SimNemesisStep *st;
    gboolean on;
    GArray *acted;
} Schedule;

static RcTime draw(SimRun *run, RcTime lo, RcTime hi)
{
    if (hi <= lo)
        return lo;
    return lo + (RcTime)(g_rand_double(run->nemesis_rng) * (double)(hi - lo));
}

static void on_at(SimKernel *k, gpointer data, guint64 arg)
{
    Schedule *s = data;
    apply(s->run, s->st, NULL);
}

static void on_flap(SimKernel *k, gpointer data, guint64 arg)
{
    Schedule *s = data;
    SimRun *run = s->run;
    RcTime now = sim_run_now(run);
    if (s->on) {
        undo(run, s->st, NULL);
        s->on = FALSE;
    } else if (now < s->st->until_us) {
        apply(run, s->st, NULL);
        s->on = TRUE;
    }
    RcTime next = now + s->st->period_us;
    if (s->on || next < s->st->until_us)
        sim_kernel_schedule(k, run->t0_us + MIN(next, MAX(s->st->until_us, now)), on_flap, s, 0);
}

static void on_random(SimKernel *k, gpointer data, guint64 arg)
{
    Schedule *s = data;
    SimRun *run = s->run;
    const SimNemesisStep *st = s->st;
    RcTime now = sim_run_now(run);
    if (s->on) {
        undo(run, st, s->acted);
        g_array_set_size(s->acted, 0);
        s->on = FALSE;
    } else {
        apply(run, st, s->acted);
        gboolean undoable = st->hold_max_us > 0;
        if (undoable) {
            s->on = TRUE;
            sim_kernel_schedule(k, sim_kernel_now(k) + draw(run, st->hold_min_us, st->hold_max_us),
                                on_random, s, 0);
            return;
        }
    }
    RcTime next = now + draw(run, st->every_min_us, st->every_max_us);
    if (next < st->until_us)
        sim_kernel_schedule(k, run->t0_us + next, on_random, s, 0);
}

static void schedule_free(gpointer p)
{
    Schedule *s = p;
    if (s->acted)
        g_array_free(s->acted, TRUE);
    g_free(s);
}

void sim_nemesis_schedule(SimRun *run)
{
    run->nemesis_schedules = g_ptr_array_new_with_free_func(schedule_free);
    for (guint i = 0; i < run->sc->steps->len; i++) {
        const SimNemesisStep *st = &g_array_index(run->sc->steps, SimNemesisStep, i);
        Schedule *s = g_new0(Schedule, 1);
        s->run = run;
        s->st = st;
        s->acted = g_array_new(FALSE, FALSE, sizeof(guint));
        g_ptr_array_add(run->nemesis_schedules, s);
        switch (st->schedule) {
        case SIM_SCHEDULE_AT:
            sim_kernel_schedule(run->k, run->t0_us + st->at_us, on_at, s, 0);
            break;
        case SIM_SCHEDULE_FLAP:
            sim_kernel_schedule(run->k, run->t0_us + st->at_us, on_flap, s, 0);
            break;
        case SIM_SCHEDULE_RANDOM:
            sim_kernel_schedule(
                run->k, run->t0_us + st->at_us + draw(run, st->every_min_us, st->every_max_us),
                on_random, s, 0);
            break;
        }
    }
}

void sim_nemesis_final_heal(SimRun *run)
{
    if (run->open_partition >= 0) {
        gint f = run->open_partition;
        heal_partition(run);
        sim_run_record_nemesis(run, "heal", "final", f);
    }
    for (guint n = 0; n < run->n_nodes; n++) {
        if (sim_world_node_is_paused(run->world, n)) {
            sim_world_resume(run->world, n);
            close_fault(run, run->pause_fault[n]);
            sim_run_record_nemesis(run, "resume", run->node_names[n], run->pause_fault[n]);
            run->pause_fault[n] = -1;
        }
        if (!sim_world_node_is_up(run->world, n)) {
            sim_world_restart(run->world, n);
            close_fault(run, run->crash_fault[n]);
            sim_run_record_nemesis(run, "restart", run->node_names[n], run->crash_fault[n]);
            run->crash_fault[n] = -1;
        }
        if (run->skew_fault[n] >= 0) {
            sim_net_host_set_clock(run->net, sim_world_node_host(run->world, n), 0, 0);
            close_fault(run, run->skew_fault[n]);
            sim_run_record_nemesis(run, "skew", run->node_names[n], run->skew_fault[n]);
            run->skew_fault[n] = -1;
        }
    }
    run->healed = TRUE;
}

void sim_nemesis_free(SimRun *run)
{
    AdminJob *job;
    while ((job = g_queue_pop_head(&run->admin_queue)) != NULL)
        job_free(job);
    if (run->part_groups)
        g_ptr_array_unref(run->part_groups);
    if (run->nemesis_schedules)
        g_ptr_array_unref(run->nemesis_schedules);
    g_free(run->part_group_side);
}
