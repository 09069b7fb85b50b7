/* Key lookups as commands see them (db.c lookupKey*, expireIfNeeded, propagateDeletion).
 *
 * An expired key is gone for a master's clients: the lookup deletes it and the DEL goes
 * to the replication stream before the command that found it. A replica never deletes
 * on its own (its master sends the DEL), but hides the key from its clients; its master's
 * stream still sees it. While writes are paused (manual failover) a master does not
 * delete either. */
#ifndef RC_DB_H
#define RC_DB_H

#include "core/command.h"
#include "core/keyspace.h"

RcKeyspace *rc_db(const RcCommandCall *call);
/* lookupKeyRead / lookupKeyWrite of the key in argument `i` of the call: NULL if missing or
 * expired. */
RcKey *rc_db_lookup_read(RcCommandCall *call, int i);
RcKey *rc_db_lookup_write(RcCommandCall *call, int i);
/* checkType(): FALSE (and WRONGTYPE in the reply) when `k` holds another type. */
gboolean rc_db_check_type(RcCommandCall *call, const RcKey *k, RcObjType type);
/* Queue `args` (taken) for the replication stream ahead of the command itself. */
void rc_db_also_propagate(RcCommandCall *call, RcArgv *args);
/* Replace what the command propagates (rewriteClientCommandVector); takes `args`. */
void rc_db_rewrite(RcCommandCall *call, RcArgv *args);
/* Argument parsing with Redis's replies on failure. */
gboolean rc_db_get_ll(RcCommandCall *call, int i, gint64 *v);       /* getLongLong... */
gboolean rc_db_get_positive(RcCommandCall *call, int i, gint64 *v); /* getPositiveLong... */
/* The active expire cycle of a master, from serverCron (databasesCron). */
void rc_db_active_expire(RcNode *node);
/* addReplyErrorArity(). */
void rc_db_reply_arity(RcCommandCall *call);

#endif
