/* Cluster views for the failover unit tests, built with the bus's node table on a real node:
 * masters, replicas, slots and epochs set directly, replication state written into the
 * replication module's record, and helpers to inspect what the node sent. Time is set by
 * hand. */
#ifndef RC_TEST_FAILOVER_FIXTURE_H
#define RC_TEST_FAILOVER_FIXTURE_H

#include "core/bus_wire.h"
#include "core/client.h"
#include "core/failover.h"
#include "core/replication.h"

typedef struct {
    RcNode *node;
    RcOutbox *out;
    GRand *rng;
} FoFixture;

extern FoFixture *fo; /* the fixture of the running test */

/* Node `me` (index 0) is created with the given flags; names are "n<i>" padded with '0'. */
void fo_setup(guint32 seed);
void fo_teardown(void);
RcClusterNode *fo_add_node(char tag, guint16 flags);
void fo_make_replica(RcClusterNode *replica, RcClusterNode *master);
void fo_assign_slots(RcClusterNode *owner, int first, int last);
void fo_set_time_ms(gint64 ms);
void fo_recompute_size(void);
/* Number of outbox events of `kind`; the value of the last one in *value. */
int fo_events(RcEventKind kind, guint64 *value);
/* TRUE if some log line contains `text`. */
gboolean fo_logged(const char *text);
/* Bus messages of `type` sent (to `to`'s outbound link, or to anyone if NULL); the mflags[0]
 * of the last one in *mflags0. */
int fo_sent(int type, RcClusterNode *to, guint8 *mflags0);
int fo_saves(void);       /* RC_ACT_SAVE actions */
int fo_fsync_saves(void); /* those followed by fsync (clusterSaveConfig(1)) */
/* Deliver `msg`, encoded with bus_wire, through the node's real entry points as the driver
 * would (rc_node_recv, then before-sleep), at the current time: on connection `handle`, or
 * on a freshly accepted inbound bus connection from 127.0.0.1 if 0. Returns the handle. What
 * the node does is appended to fo->out; the fixture's long entry point resumes after. */
guint32 fo_feed(guint32 handle, const RcBusMsg *msg);
/* Decode the last bus message of `type` sent on connection `handle` into `msg` (caller
 * clears it); FALSE if there is none. */
gboolean fo_last_sent(int type, guint32 handle, RcBusMsg *msg);
void fo_drop_link(RcClusterNode *n);
/* Replication as the election reads it (myself must replicate someone). */
void fo_repl_offset(gint64 offset);
void fo_repl_link_up(gint64 last_interaction_ms);
void fo_repl_link_down(gint64 down_since_ms);
/* Add `n` string keys hashing to `slot`. */
void fo_add_keys_in_slot(int slot, guint n);

#endif
