/* Redis's getNodeByQuery() and clusterRedirectClient(): decide whether a request runs
 * here or is redirected (MOVED, ASK, TRYAGAIN, CROSSSLOT, CLUSTERDOWN). */
#ifndef RC_ROUTING_H
#define RC_ROUTING_H

#include "core/client.h"

typedef struct RcClusterNode RcClusterNode;

/* Returns TRUE if the request may run here. Otherwise appends the redirection error to
 * `reply` and returns FALSE. Called for every request from a normal client, before the
 * client pause, min-replicas and read-only-replica checks, as processCommand() does.
 * For EXEC it examines the queued commands. On FALSE the caller does what processCommand
 * does: EXEC discards the transaction, any other command inside MULTI flags it
 * (RC_CLIENT_DIRTY_EXEC). Commands without key arguments (EXEC excepted) and the master's
 * stream are always allowed. */
gboolean rc_routing_allows(RcNode *node, RcClient *client, const RcCommand *cmd, const RcArgv *args,
                           GString *reply);

/* CLUSTER_REDIR_* */
typedef enum {
    RC_REDIR_NONE,
    RC_REDIR_CROSS_SLOT,
    RC_REDIR_UNSTABLE, /* TRYAGAIN */
    RC_REDIR_ASK,
    RC_REDIR_MOVED,
    RC_REDIR_DOWN_STATE,
    RC_REDIR_DOWN_UNBOUND,
    RC_REDIR_DOWN_RO_STATE,
} RcRedirect;

/* getNodeByQuery itself: the node that serves the request (myself, or the MOVED/ASK
 * target with `code` set), or NULL with `code` set for the errors. `slot` is the slot of
 * the first key. `client` may be NULL (no flags). */
RcClusterNode *rc_routing_get_node(RcNode *node, RcClient *client, const RcCommand *cmd,
                                   const RcArgv *args, int *slot, RcRedirect *code);
/* clusterRedirectClient: the error text for `code`. */
void rc_routing_redirect_reply(GString *reply, const RcClusterNode *n, int slot, RcRedirect code);

#endif
