/* The console's cluster: a SimWorld of masters * (1 + replicas) nodes on 127.0.0.1:30001..,
 * a client host "console" (127.0.0.1) for the console's connections, and the cluster formed
 * the way `redis-cli --cluster create` forms it, over the client port: CLUSTER ADDSLOTSRANGE
 * on the masters (slots split as redis-cli splits them), CLUSTER SET-CONFIG-EPOCH i on node
 * i, CLUSTER MEET to n1, then, once every node knows every other, CLUSTER REPLICATE (the k-th
 * replica of shard s is n(M*k + s), as in scenarios), and a wait until every node sees the
 * same shape with cluster_state:ok and every replica's link is up. Node parameters come from
 * a scenario's table (`--set node-timeout=5000`, latency, hz ...), so the console and
 * `rcsim run` build alike. */
#ifndef SIM_CONSOLE_WORLD_H
#define SIM_CONSOLE_WORLD_H

#include <glib.h>

#include "sim/console.h"
#include "sim/host.h"
#include "sim/scenario.h"

typedef struct SimConsoleWorld SimConsoleWorld;

/* Formation gives up after this much virtual time. */
#define SIM_CONSOLE_FORM_LIMIT_US (120 * RC_US_PER_S)

/* Build the world for `sc` (borrowed) with `seed` and its console; nothing runs yet. */
SimConsoleWorld *sim_console_world_new(const SimScenario *sc, guint64 seed);
void sim_console_world_free(SimConsoleWorld *cw);
SimConsole *sim_console_world_console(SimConsoleWorld *cw);
SimWorld *sim_console_world_world(SimConsoleWorld *cw);
/* The console's log level once the cluster is formed (formation itself prints nothing). */
void sim_console_world_set_loglevel(SimConsoleWorld *cw, RcLogLevel level);

/* Boot the nodes and form the cluster, printing nothing. FALSE with a one-line reason in
 * `error` if a setup command failed or the cluster did not converge within the limit. */
gboolean sim_console_world_form(SimConsoleWorld *cw, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimConsoleWorld, sim_console_world_free)

#endif
