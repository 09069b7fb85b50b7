/* Redis's getNodeByQuery() and clusterRedirectClient(): decide whether a request runs
 * here or is redirected (MOVED, ASK, TRYAGAIN, CROSSSLOT, CLUSTERDOWN). */
#ifndef RC_ROUTING_H
#define RC_ROUTING_H

#include "core/client.h"

/* Returns TRUE if the request may run here. Otherwise appends the redirection error to
 * `reply` and returns FALSE. Called for every request from a normal client, before the
 * client pause, min-replicas and read-only-replica checks, as processCommand() does.
 * For EXEC it examines the queued commands. */
gboolean rc_routing_allows(RcNode *node, RcClient *client, const RcCommand *cmd,
                           const RcArgv *args, GString *reply);

#endif
