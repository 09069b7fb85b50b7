/* Cluster views built with the bus's node table for the failover unit tests: a node whose RcCluster
 * is filled in directly (masters, replicas, slots, epochs), plus a record of the bus, replication
 * and client services the failover code asked for. Time is set by hand. */
#ifndef RC_TEST_FAILOVER_FIXTURE_H
#define RC_TEST_FAILOVER_FIXTURE_H

#include "core/client.h"
#include "core/failover.h"
#include "core/replication.h"

typedef struct {
    RcNode *node;
    RcOutbox *out;
    GRand *rng;
    GString *calls; /* "name(arg);" for every service call, in order */
    /* Replication as seen by the failover code. */
    gint64 repl_offset;
    gboolean link_up;
    gint64 last_interaction_ms;
    gint64 down_since_ms;
    gint64 paused_until_ms; /* rc_clients_pause_writes, 0 = not paused */
    int keys_slot;          /* rc_keyspace_count_keys_in_slot: `keys_in_slot` keys there */
    guint keys_in_slot;
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
gboolean fo_called(const char *text);
/* Bus messages of `type` sent (to `to`'s outbound link, or to anyone if NULL); the mflags[0]
 * of the last one in *mflags0. */
int fo_sent(int type, RcClusterNode *to, guint8 *mflags0);
int fo_saves(void); /* RC_ACT_SAVE actions */
void fo_drop_link(RcClusterNode *n);

/* From core/keyspace.h, doubled in the fixture. */
guint rc_keyspace_count_keys_in_slot(const RcKeyspace *db, int slot);

#endif
