/* The convergence check (checker.h: sim_check_converged) over each node's runs of one slot
 * owner, and the runs themselves. */
#include "sim/checker.h"

#include <string.h>

#define SLOTS 16384

guint sim_owner_runs_append(SimOwnerRun *runs, guint n, guint first, guint last, gint owner)
{
    rc_assert(first <= last && last < SLOTS && owner >= -1 && owner <= G_MAXINT16);
    rc_assert(n == 0 || runs[n - 1].last < first);
    if (owner < 0)
        return n;
    if (n > 0 && runs[n - 1].owner == owner && runs[n - 1].last + 1u == first) {
        runs[n - 1].last = (guint16)last;
        return n;
    }
    runs[n] = (SimOwnerRun){(guint16)first, (guint16)last, (gint16)owner};
    return n + 1;
}

guint sim_owner_runs_from_table(const gint16 *owner, SimOwnerRun *runs)
{
    guint n = 0;
    for (guint s = 0; s < SLOTS; s++)
        n = sim_owner_runs_append(runs, n, s, s, owner[s]);
    return n;
}

/* The runs are what SimNodeView says: in slot order, apart or with different owners where
 * they touch, owners among the n views. */
static void assert_runs(const SimNodeView *v, guint n)
{
    for (guint i = 0; i < v->n_runs; i++) {
        const SimOwnerRun *r = &v->runs[i];
        rc_assert(r->first <= r->last && r->last < SLOTS && r->owner >= 0 && (guint)r->owner < n);
        if (i > 0) {
            const SimOwnerRun *p = &v->runs[i - 1];
            rc_assert(p->last < r->first && (p->last + 1u < r->first || p->owner != r->owner));
        }
    }
}

/* The owner of slot `s` in view `v` (-1: none), for a walk up the slots: `*at` is the walk's
 * place in the runs (0 at the start; `s` never goes down). `*last` is the last slot from `s`
 * with the same answer. */
static gint owner_walk(const SimNodeView *v, guint *at, guint s, guint *last)
{
    while (*at < v->n_runs && v->runs[*at].last < s)
        (*at)++;
    if (*at == v->n_runs) {
        *last = SLOTS - 1;
        return -1;
    }
    const SimOwnerRun *r = &v->runs[*at];
    if (r->first > s) {
        *last = r->first - 1u;
        return -1;
    }
    *last = r->last;
    return r->owner;
}

/* View i against the reference view (itself, for the reference): the lowest slot that has
 * no owner in view i or another owner than in the reference, stretch by stretch of slots
 * whose owners change in neither. FALSE with why. */
static gboolean view_agrees(const SimNodeView *views, guint i, guint ref, GString *why)
{
    guint at = 0, ref_at = 0;
    for (guint s = 0; s < SLOTS;) {
        guint last, ref_last;
        gint o = owner_walk(&views[i], &at, s, &last);
        gint ro = owner_walk(&views[ref], &ref_at, s, &ref_last);
        if (o < 0) {
            g_string_printf(why, "n%u: slot %u is not covered", i + 1, s);
            return FALSE;
        }
        if (o != ro) {
            g_string_printf(why, "slot %u: n%u says n%d, n%u says n%d", s, i + 1, o + 1, ref + 1,
                            ro + 1);
            return FALSE;
        }
        s = MIN(last, ref_last) + 1;
    }
    return TRUE;
}

static gboolean same_runs(const SimNodeView *a, const SimNodeView *b)
{
    return a->n_runs == b->n_runs && memcmp(a->runs, b->runs, a->n_runs * sizeof(SimOwnerRun)) == 0;
}

gboolean sim_check_converged(const SimNodeView *views, guint n, GString *why)
{
    gint ref = -1;
    for (guint i = 0; i < n; i++)
        if (views[i].up) {
            ref = (gint)i;
            break;
        }
    if (ref < 0) {
        g_string_assign(why, "no node is up");
        return FALSE;
    }
    for (guint i = 0; i < n; i++) {
        if (!views[i].up)
            continue;
        assert_runs(&views[i], n);
        if (!views[i].state_ok) {
            g_string_printf(why, "n%u: cluster state is fail", i + 1);
            return FALSE;
        }
        /* runs are maximal, so equal runs are equal slot tables: a view equal to the
         * reference's (the usual case) needs only the coverage check, which the reference
         * passed already unless this is the reference itself */
        if (i != (guint)ref && same_runs(&views[i], &views[ref]))
            continue;
        if (!view_agrees(views, i, (guint)ref, why))
            return FALSE;
    }
    /* owners are masters in their own view, with distinct configEpochs */
    g_autofree gboolean *owner = g_new0(gboolean, n);
    for (guint r = 0; r < views[ref].n_runs; r++)
        owner[views[ref].runs[r].owner] = TRUE;
    for (guint i = 0; i < n; i++) {
        if (!owner[i])
            continue;
        if (!views[i].up || !views[i].is_master) {
            g_string_printf(why, "n%u owns slots but is %s", i + 1,
                            views[i].up ? "not a master in its own view" : "down");
            return FALSE;
        }
        for (guint j = i + 1; j < n; j++)
            if (owner[j] && views[j].config_epoch == views[i].config_epoch) {
                g_string_printf(why,
                                "n%u and n%u serve slots with one configEpoch %" G_GUINT64_FORMAT,
                                i + 1, j + 1, views[i].config_epoch);
                return FALSE;
            }
    }
    g_string_assign(why, "every node agrees on every slot's owner; one master per shard");
    return TRUE;
}
