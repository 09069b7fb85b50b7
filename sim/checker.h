/* Checkers: what a history, the fault list and the nodes' events say about a run.
 *
 * Definitions (also in sim/README.md):
 * - acknowledged: a write whose completion is `ok`.
 * - lost: an acknowledged write whose effect is gone. Set: the element is absent from the final
 *   read after the heal. Counter: at least acked - final INCRs, those that returned a value
 *   above the final value or a value another INCR also returned first. Register: a *trusted*
 *   read R (served by the node F that served the key's final read, invoked after F's last
 *   promotion) invoked after W's ack returned a value older than W (nil, or the value of a
 *   write X acknowledged before W was invoked), and no read invoked after R completed
 *   returned W's value (sim/README.md gives the argument that this has no false positives).
 *   An `info` write found in the final read (register: in any read) is `recovered`, never
 *   lost.
 * - side: the side, at ack time, of the node that acknowledged the write: `majority` if its
 *   partition group holds a strict majority of the shards' masters, `minority` for any other
 *   group, `none` when no partition was in effect.
 * - causing fault: the fault in effect at the ack (latest started, not yet ended); if none,
 *   the latest that had started before the ack; the loss window of a side spans the ack
 *   times of its lost writes, measured from that fault's start.
 * - unavailable: per side of the *client*, the length of the union of [invoke, completion]
 *   of client operations that ended `fail` or `info`. */
#ifndef SIM_CHECKER_H
#define SIM_CHECKER_H

#include <glib.h>

#include "core/outbox.h"
#include "sim/history.h"

typedef struct {
    char *kind; /* "partition", "crash", "pause", "skew", "failover", "reshard" */
    RcTime start_us;
    RcTime end_us;       /* -1: never ended before the final heal */
    char *label;         /* the scenario step as written, resolved */
    GPtrArray *groups;   /* of GPtrArray of char* host names (partitions) */
    GPtrArray *majority; /* char* host names */
    GPtrArray *minority; /* char* host names */
    GArray *nodes;       /* guint: nodes the fault acted on (crash, pause, failover, ...) */
    char *error;         /* failover, reshard: why the admin commands failed, or NULL */
} SimFault;

SimFault *sim_fault_new(const char *kind, RcTime start_us, const char *label);
void sim_fault_free(SimFault *f);

typedef struct {
    RcTime t_us;
    guint node; /* who observed it */
    RcEventKind event;
    gint peer; /* the node it is about, or -1 */
    guint64 value;
} SimNodeEvent;

typedef struct {
    char *process;
    char *key;
    char *value;
    gint node;
    SimSide side;
    RcTime ack_us;
    gint fault; /* causing fault, or -1 */
} SimLostWrite;

typedef struct {
    gboolean present;
    RcTime first_us, last_us; /* relative to the causing fault's start */
} SimWindow;

typedef struct {
    gint failed_node, promoted_node;
    RcTime fault_us, pfail_us, fail_us, election_us, promoted_us; /* -1: not reached */
    guint64 epoch;
} SimFailover;

typedef struct {
    char *name;
    gboolean ok;
    char *detail;
} SimProperty;

typedef struct {
    guint64 acked, lost, indeterminate, recovered, unread, ok_ops;
    guint64 lost_by_side[3]; /* by SimSide */
    SimWindow window[3];     /* by SimSide */
    RcTime unavailable_us[3];
    GArray *lost_writes; /* of SimLostWrite */
    GArray *failovers;   /* of SimFailover */
    GArray *properties;  /* of SimProperty */
} SimCheckResult;

SimCheckResult *sim_check_result_new(void);
void sim_check_result_free(SimCheckResult *r);
void sim_check_add_property(SimCheckResult *r, const char *name, gboolean ok, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
gboolean sim_check_all_properties_hold(const SimCheckResult *r);

/* The causing fault of an ack at `t_us` (see above), or -1. */
gint sim_check_causing_fault(const GPtrArray *faults, RcTime t_us);

/* Lost, recovered and indeterminate writes, their sides and windows; ok ops. `events`
 * (SimNodeEvent, or NULL: nobody was promoted) gives the promotions the register rule needs.
 * Workload ops are named by `f` and their value: set "add" of a string element with a final "read"
 * (a set or a list); register "write" with "read"s; counter "add" of the integer 1 (INCR, what it
 * returned in `returned`) with a final integer "read". Final reads are the last ok reads per key
 * made by worker `reader`. */
void sim_check_writes(const SimHistory *h, const GPtrArray *faults, const GArray *events,
                      gint reader, SimCheckResult *r);
/* Unavailability per client side. */
void sim_check_unavailability(const SimHistory *h, SimCheckResult *r);
/* Both of the above, pairing the history's invocations and completions once. */
void sim_check_history(const SimHistory *h, const GPtrArray *faults, const GArray *events,
                       gint reader, SimCheckResult *r);
/* Failover timelines from node events (one per RC_EVT_PROMOTED). */
void sim_check_failovers(const GArray *events, const GPtrArray *faults, SimCheckResult *r);
/* currentEpoch never decreases per node (RC_EVT_CURRENT_EPOCH events). */
void sim_check_epochs(const GArray *events, guint n_nodes, SimCheckResult *r);

/* One master's claim on slots, in its own view, for the slot-epoch invariant. */
typedef struct {
    guint node;
    guint64 config_epoch;
    const guint8 *slots; /* [16384 / 8]: the slots it serves in its own view, LSB-first */
} SimSlotClaim;

/* Checked through the run: no two masters claim one slot with one configEpoch (a failover
 * wins a fresh epoch by election, a resharding or takeover bumps to a new greatest one, so
 * two claims on a slot always have an order: the higher configEpoch wins). Two masters may
 * share an epoch for a moment if their slots are disjoint (Redis resolves that collision).
 * FALSE with a one-line reason naming both nodes, the lowest shared slot and the epoch. */
gboolean sim_check_slot_claims(const SimSlotClaim *claims, guint n, GString *why);

/* A run of slots with one owner in a node's view, for the convergence checks: slots
 * first..last (inclusive) all owned by `owner`, an index into the views array. */
typedef struct {
    guint16 first, last;
    gint16 owner; /* >= 0 */
} SimOwnerRun;

/* One node's view of the cluster for the convergence checks. Its slot table is kept as the
 * runs of one owner (a handful per node) rather than 16384 entries: a convergence poll then
 * compares a few runs per node, where it compared and scanned 32 KB per node. */
typedef struct {
    gboolean up;
    char name[41]; /* its own 40-char name */
    gboolean is_master;
    guint64 config_epoch;
    gboolean state_ok;
    const SimOwnerRun *runs; /* in slot order, maximal (two runs that touch have different
                                owners); a slot in no run has no owner */
    guint n_runs;
} SimNodeView;

/* Append slots first..last, all owned by `owner` (-1: none), to runs[0 .. n), which end
 * before `first`; returns the new count (n or n + 1: a stretch that continues the last run
 * joins it, so the runs stay maximal). */
guint sim_owner_runs_append(SimOwnerRun *runs, guint n, guint first, guint last, gint owner);

/* The runs of a slot table `owner` [16384] (an index into the views array, or -1: none) into
 * `runs` (room for 16384); returns how many. */
guint sim_owner_runs_from_table(const gint16 *owner, SimOwnerRun *runs);

/* Converged: every up node agrees on every slot's owner, every slot is covered, the owners
 * are masters in their own view, and no two masters share a configEpoch. FALSE with a
 * one-line reason (the lowest slot that differs or has no owner, as a slot-by-slot scan
 * names it). */
gboolean sim_check_converged(const SimNodeView *views, guint n, GString *why);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimCheckResult, sim_check_result_free)

#endif
