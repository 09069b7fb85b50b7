/* The CLUSTER subcommands owned by the failover modules (Redis 7.0 clusterCommand branches
 * "failover", "setslot", "bumpepoch", "set-config-epoch"). The bus's CLUSTER dispatcher asks
 * here first; a subcommand with the wrong number of arguments is left to it, which answers
 * Redis's "Unknown subcommand or wrong number of arguments" error, as clusterCommand does
 * when no branch matches. */
#include "core/failover.h"

gboolean rc_failover_cluster_subcommand(RcCommandCall *call)
{
    const RcArgv *a = call->args;
    if (a->argc < 2)
        return FALSE;
    if (rc_argv_is(a, 1, "failover") && (a->argc == 2 || a->argc == 3)) {
        rc_mf_failover_command(call);
        return TRUE;
    }
    if (rc_argv_is(a, 1, "setslot") && a->argc >= 4) {
        rc_setslot_command(call);
        return TRUE;
    }
    if (rc_argv_is(a, 1, "bumpepoch") && a->argc == 2) {
        rc_epoch_bumpepoch_command(call);
        return TRUE;
    }
    if (rc_argv_is(a, 1, "set-config-epoch") && a->argc == 3) {
        rc_epoch_set_config_epoch_command(call);
        return TRUE;
    }
    return FALSE;
}
