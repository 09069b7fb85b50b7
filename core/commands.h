/* The command procs of the keyspace and server families (cmd_*.c), for the command table
 * in command.c. Procs owned by other modules are declared in their headers. */
#ifndef RC_COMMANDS_H
#define RC_COMMANDS_H

#include "core/command.h"

/* cmd_string.c */
void rc_cmd_get(RcCommandCall *call);
void rc_cmd_set(RcCommandCall *call);
void rc_cmd_setnx(RcCommandCall *call);
void rc_cmd_getset(RcCommandCall *call);
void rc_cmd_append(RcCommandCall *call);
void rc_cmd_strlen(RcCommandCall *call);
void rc_cmd_incr(RcCommandCall *call);
void rc_cmd_decr(RcCommandCall *call);
void rc_cmd_incrby(RcCommandCall *call);
void rc_cmd_decrby(RcCommandCall *call);
void rc_cmd_mget(RcCommandCall *call);
void rc_cmd_mset(RcCommandCall *call);

/* cmd_list.c */
void rc_cmd_lpush(RcCommandCall *call);
void rc_cmd_rpush(RcCommandCall *call);
void rc_cmd_lpop(RcCommandCall *call);
void rc_cmd_rpop(RcCommandCall *call);
void rc_cmd_lrange(RcCommandCall *call);
void rc_cmd_llen(RcCommandCall *call);
void rc_cmd_lindex(RcCommandCall *call);

/* cmd_set.c */
void rc_cmd_sadd(RcCommandCall *call);
void rc_cmd_srem(RcCommandCall *call);
void rc_cmd_smembers(RcCommandCall *call);
void rc_cmd_sismember(RcCommandCall *call);
void rc_cmd_scard(RcCommandCall *call);

/* cmd_hash.c */
void rc_cmd_hset(RcCommandCall *call);
void rc_cmd_hget(RcCommandCall *call);
void rc_cmd_hdel(RcCommandCall *call);
void rc_cmd_hgetall(RcCommandCall *call);
void rc_cmd_hlen(RcCommandCall *call);
void rc_cmd_hincrby(RcCommandCall *call);

/* cmd_keys.c */
void rc_cmd_del(RcCommandCall *call);
void rc_cmd_exists(RcCommandCall *call);
void rc_cmd_type(RcCommandCall *call);
void rc_cmd_expire(RcCommandCall *call);
void rc_cmd_pexpire(RcCommandCall *call);
void rc_cmd_expireat(RcCommandCall *call);
void rc_cmd_pexpireat(RcCommandCall *call);
void rc_cmd_ttl(RcCommandCall *call);
void rc_cmd_pttl(RcCommandCall *call);
void rc_cmd_persist(RcCommandCall *call);
/* CLUSTER KEYSLOT / COUNTKEYSINSLOT / GETKEYSINSLOT; FALSE if not one of them. */
gboolean rc_keys_cluster_subcommand(RcCommandCall *call);

/* cmd_server.c */
void rc_cmd_ping(RcCommandCall *call);
void rc_cmd_echo(RcCommandCall *call);
void rc_cmd_dbsize(RcCommandCall *call);
void rc_cmd_time(RcCommandCall *call);
void rc_cmd_flushall(RcCommandCall *call);
void rc_cmd_info(RcCommandCall *call);
void rc_cmd_select(RcCommandCall *call);
void rc_cmd_multi(RcCommandCall *call);
void rc_cmd_exec(RcCommandCall *call);
void rc_cmd_discard(RcCommandCall *call);
void rc_cmd_asking(RcCommandCall *call);
void rc_cmd_readonly(RcCommandCall *call);
void rc_cmd_readwrite(RcCommandCall *call);
void rc_cmd_quit(RcCommandCall *call);

#endif
