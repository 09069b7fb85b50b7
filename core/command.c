/* The command table (commands.def of Redis 7.0: name, arity, flags, first/last key and
 * step exactly as COMMAND INFO reports them) and the lookup and arity checks of
 * processCommand(). The table is sorted by name for a binary search. */
#include <stdlib.h>
#include <string.h>

#include "core/cluster.h"
#include "core/commands.h"
#include "core/failover.h"
#include "core/replication.h"
#include "core/resp.h"

#define W RC_CMD_WRITE
#define R RC_CMD_READONLY
#define OOM RC_CMD_DENYOOM
#define ADM RC_CMD_ADMIN
#define NS RC_CMD_NOSCRIPT
#define LD RC_CMD_LOADING
#define ST RC_CMD_STALE
#define NM RC_CMD_NO_MULTI
#define BUSY RC_CMD_ALLOW_BUSY

/* CLUSTER's subcommands: arity as COMMAND INFO reports them, so processCommand refuses a
 * wrong one before CLUSTER runs (and a MULTI aborts), as Redis does. */
static const RcCommand cluster_subcommands[] = {
    {"addslots", -3, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"addslotsrange", -4, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"bumpepoch", 2, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"count-failure-reports", 3, ADM | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"countkeysinslot", 3, ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"delslots", -3, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"delslotsrange", -4, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"failover", -2, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"flushslots", 2, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"forget", 3, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"getkeysinslot", 4, ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"help", 2, LD | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"info", 2, LD | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"keyslot", 3, ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"links", 2, LD | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"meet", -4, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"myid", 2, LD | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"nodes", 2, LD | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"replicas", 3, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"replicate", 3, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"reset", -2, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"saveconfig", 2, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"set-config-epoch", 3, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"setslot", -4, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"shards", 2, LD | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"slaves", 3, ADM | NS | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {"slots", 2, LD | ST, 0, 0, 0, rc_cluster_command, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL},
};

/* Sorted by name (strcmp order); a unit test checks it. */
static const RcCommand command_table[] = {
    {"append", 3, W | OOM, 1, 1, 1, rc_cmd_append, NULL, NULL},
    {"asking", 1, 0, 0, 0, 0, rc_cmd_asking, NULL, NULL},
    {"cluster", -2, 0, 0, 0, 0, rc_cluster_command, NULL, cluster_subcommands},
    {"dbsize", 1, R, 0, 0, 0, rc_cmd_dbsize, NULL, NULL},
    {"decr", 2, W | OOM, 1, 1, 1, rc_cmd_decr, NULL, NULL},
    {"decrby", 3, W | OOM, 1, 1, 1, rc_cmd_decrby, NULL, NULL},
    {"del", -2, W, 1, -1, 1, rc_cmd_del, NULL, NULL},
    {"discard", 1, NS | LD | ST | BUSY, 0, 0, 0, rc_cmd_discard, NULL, NULL},
    {"echo", 2, LD | ST, 0, 0, 0, rc_cmd_echo, NULL, NULL},
    {"exec", 1, NS | LD | ST, 0, 0, 0, rc_cmd_exec, NULL, NULL},
    {"exists", -2, R, 1, -1, 1, rc_cmd_exists, NULL, NULL},
    {"expire", -3, W, 1, 1, 1, rc_cmd_expire, NULL, NULL},
    {"expireat", -3, W, 1, 1, 1, rc_cmd_expireat, NULL, NULL},
    {"flushall", -1, W, 0, 0, 0, rc_cmd_flushall, NULL, NULL},
    {"get", 2, R, 1, 1, 1, rc_cmd_get, NULL, NULL},
    {"getset", 3, W | OOM, 1, 1, 1, rc_cmd_getset, NULL, NULL},
    {"hdel", -3, W, 1, 1, 1, rc_cmd_hdel, NULL, NULL},
    {"hget", 3, R, 1, 1, 1, rc_cmd_hget, NULL, NULL},
    {"hgetall", 2, R, 1, 1, 1, rc_cmd_hgetall, NULL, NULL},
    {"hincrby", 4, W | OOM, 1, 1, 1, rc_cmd_hincrby, NULL, NULL},
    {"hlen", 2, R, 1, 1, 1, rc_cmd_hlen, NULL, NULL},
    {"hset", -4, W | OOM, 1, 1, 1, rc_cmd_hset, NULL, NULL},
    {"incr", 2, W | OOM, 1, 1, 1, rc_cmd_incr, NULL, NULL},
    {"incrby", 3, W | OOM, 1, 1, 1, rc_cmd_incrby, NULL, NULL},
    {"info", -1, LD | ST, 0, 0, 0, rc_cmd_info, NULL, NULL},
    {"lindex", 3, R, 1, 1, 1, rc_cmd_lindex, NULL, NULL},
    {"llen", 2, R, 1, 1, 1, rc_cmd_llen, NULL, NULL},
    {"lpop", -2, W, 1, 1, 1, rc_cmd_lpop, NULL, NULL},
    {"lpush", -3, W | OOM, 1, 1, 1, rc_cmd_lpush, NULL, NULL},
    {"lrange", 4, R, 1, 1, 1, rc_cmd_lrange, NULL, NULL},
    {"mget", -2, R, 1, -1, 1, rc_cmd_mget, NULL, NULL},
    {"migrate", -6, W | RC_CMD_MOVABLE_KEYS, 3, 3, 1, rc_migrate_command, rc_migrate_get_keys,
     NULL},
    {"mset", -3, W | OOM, 1, -1, 2, rc_cmd_mset, NULL, NULL},
    {"multi", 1, NS | LD | ST | BUSY, 0, 0, 0, rc_cmd_multi, NULL, NULL},
    {"persist", 2, W, 1, 1, 1, rc_cmd_persist, NULL, NULL},
    {"pexpire", -3, W, 1, 1, 1, rc_cmd_pexpire, NULL, NULL},
    {"pexpireat", -3, W, 1, 1, 1, rc_cmd_pexpireat, NULL, NULL},
    {"ping", -1, 0, 0, 0, 0, rc_cmd_ping, NULL, NULL},
    {"psync", -3, ADM | NS | NM, 0, 0, 0, rc_repl_psync_command, NULL, NULL},
    {"pttl", 2, R, 1, 1, 1, rc_cmd_pttl, NULL, NULL},
    {"quit", -1, NS | LD | ST | BUSY, 0, 0, 0, rc_cmd_quit, NULL, NULL},
    {"readonly", 1, LD | ST, 0, 0, 0, rc_cmd_readonly, NULL, NULL},
    {"readwrite", 1, LD | ST, 0, 0, 0, rc_cmd_readwrite, NULL, NULL},
    {"replconf", -1, ADM | NS | LD | ST | BUSY, 0, 0, 0, rc_repl_replconf_command, NULL, NULL},
    {"replicaof", 3, ADM | NS | ST, 0, 0, 0, rc_repl_replicaof_command, NULL, NULL},
    {"restore", -4, W | OOM, 1, 1, 1, rc_restore_command, NULL, NULL},
    {"restore-asking", -4, W | OOM | RC_CMD_ASKING, 1, 1, 1, rc_restore_command, NULL, NULL},
    {"role", 1, NS | LD | ST, 0, 0, 0, rc_repl_role_command, NULL, NULL},
    {"rpop", -2, W, 1, 1, 1, rc_cmd_rpop, NULL, NULL},
    {"rpush", -3, W | OOM, 1, 1, 1, rc_cmd_rpush, NULL, NULL},
    {"sadd", -3, W | OOM, 1, 1, 1, rc_cmd_sadd, NULL, NULL},
    {"scard", 2, R, 1, 1, 1, rc_cmd_scard, NULL, NULL},
    {"select", 2, LD | ST, 0, 0, 0, rc_cmd_select, NULL, NULL},
    {"set", -3, W | OOM, 1, 1, 1, rc_cmd_set, NULL, NULL},
    {"setnx", 3, W | OOM, 1, 1, 1, rc_cmd_setnx, NULL, NULL},
    {"sismember", 3, R, 1, 1, 1, rc_cmd_sismember, NULL, NULL},
    {"slaveof", 3, ADM | NS | ST, 0, 0, 0, rc_repl_replicaof_command, NULL, NULL},
    {"smembers", 2, R, 1, 1, 1, rc_cmd_smembers, NULL, NULL},
    {"srem", -3, W, 1, 1, 1, rc_cmd_srem, NULL, NULL},
    {"strlen", 2, R, 1, 1, 1, rc_cmd_strlen, NULL, NULL},
    {"sync", 1, ADM | NS | NM, 0, 0, 0, rc_repl_psync_command, NULL, NULL},
    {"time", 1, LD | ST, 0, 0, 0, rc_cmd_time, NULL, NULL},
    {"ttl", 2, R, 1, 1, 1, rc_cmd_ttl, NULL, NULL},
    {"type", 2, R, 1, 1, 1, rc_cmd_type, NULL, NULL},
    {"wait", 3, NS, 0, 0, 0, rc_repl_wait_command, NULL, NULL},
};

#define MAX_NAME 32
#define INDEX_SLOTS 256 /* a power of two, well above either table's size */

/* Every request looks its command up (and the master's stream does on each replica): an
 * open-addressing index over a table, keyed by the name's length and first and last letters
 * (case-folded), built once; a probe compares the candidate in any case. */
typedef struct {
    const RcCommand *table;
    gsize n;
    guint8 slot[INDEX_SLOTS]; /* 1 + index into table, 0 = empty */
    guint8 len[INDEX_SLOTS];  /* the length of the name in that slot */
} NameIndex;

/* g_ascii_tolower() without the call. */
static guint name_hash(const char *name, gsize len)
{
    guint first = (guchar)rc_ascii_fold(name[0]), last = (guchar)rc_ascii_fold(name[len - 1]);
    return ((guint)len * 131u + first * 31u + last * 7u) & (INDEX_SLOTS - 1);
}

static void index_build(NameIndex *ix, const RcCommand *table, gsize n)
{
    rc_assert(n < INDEX_SLOTS / 2);
    ix->table = table;
    ix->n = n;
    memset(ix->slot, 0, sizeof ix->slot);
    for (gsize i = 0; i < n; i++) {
        gsize len = strlen(table[i].name);
        rc_assert(len > 0 && len <= MAX_NAME);
        guint h = name_hash(table[i].name, len);
        while (ix->slot[h] != 0)
            h = (h + 1) & (INDEX_SLOTS - 1);
        ix->slot[h] = (guint8)(i + 1);
        ix->len[h] = (guint8)len;
    }
}

/* `name` (len bytes, any case) equals the lower-case `want` of the same length. */
static gboolean name_equal(const char *name, gsize len, const char *want)
{
    for (gsize i = 0; i < len; i++)
        if (rc_ascii_fold(name[i]) != want[i])
            return FALSE;
    return TRUE;
}

static const RcCommand *find_in(const NameIndex *ix, const char *name, gsize len)
{
    if (len == 0 || len > MAX_NAME)
        return NULL;
    for (guint h = name_hash(name, len); ix->slot[h] != 0; h = (h + 1) & (INDEX_SLOTS - 1)) {
        const RcCommand *c = &ix->table[ix->slot[h] - 1];
        if (ix->len[h] == len && name_equal(name, len, c->name))
            return c; /* names never contain NUL, so one with a NUL matches nothing */
    }
    return NULL;
}

static gsize subcommand_count(const RcCommand *subs)
{
    gsize n = 0;
    while (subs[n].name != NULL)
        n++;
    return n;
}

static NameIndex command_index, cluster_index;

static void indexes_init(void)
{
    static gsize done = 0;
    if (g_once_init_enter(&done)) {
        index_build(&command_index, command_table, G_N_ELEMENTS(command_table));
        index_build(&cluster_index, cluster_subcommands, subcommand_count(cluster_subcommands));
        g_once_init_leave(&done, 1);
    }
}

const RcCommand *rc_command_lookup(const char *name, gsize len)
{
    indexes_init();
    return find_in(&command_index, name, len);
}

/* The command a request names, given what argv[0] names (`base`, NULL if unknown). */
static const RcCommand *resolve(const RcCommand *base, const RcArgv *args, gboolean *is_container)
{
    *is_container = FALSE;
    if (base == NULL || base->subcommands == NULL || args->argc == 1)
        return base;
    *is_container = TRUE;
    rc_assert(base->subcommands == cluster_subcommands); /* the only container */
    gsize len;
    const char *name = rc_argv_data(args, 1, &len);
    return find_in(&cluster_index, name, len);
}

const RcCommand *rc_command_lookup_first(const RcArgv *args)
{
    if (args->argc < 1)
        return NULL;
    gsize len;
    const char *name = rc_argv_data(args, 0, &len);
    return rc_command_lookup(name, len);
}

const RcCommand *rc_command_lookup_argv(const RcArgv *args, gboolean *is_container)
{
    return resolve(rc_command_lookup_first(args), args, is_container);
}

gboolean rc_command_arity_ok(const RcCommand *cmd, int argc)
{
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* `%.Ns` of a binary argument: at most `max` bytes, stopping at a NUL. */
static void append_cstr(GString *s, const RcArgv *a, int i, gsize max)
{
    gsize len;
    const char *d = rc_argv_data(a, i, &len);
    g_string_append_len(s, d, (gssize)strnlen(d, MIN(len, max)));
}

char *rc_command_check(const RcArgv *args, const RcCommand **out)
{
    return rc_command_check_named(rc_command_lookup_first(args), args, out);
}

char *rc_command_check_named(const RcCommand *named, const RcArgv *args, const RcCommand **out)
{
    rc_assert(named == NULL || args->argc > 0);
    gboolean is_container;
    const RcCommand *cmd = resolve(named, args, &is_container);
    *out = cmd;
    if (cmd != NULL && rc_command_arity_ok(cmd, args->argc))
        return NULL; /* the common case allocates nothing */
    GString *err = g_string_new("ERR ");
    if (cmd == NULL && is_container) {
        g_string_append(err, "unknown subcommand '");
        append_cstr(err, args, 1, 128);
        g_string_append(err, "'. Try ");
        gsize len;
        const char *d = rc_argv_data(args, 0, &len);
        for (gsize i = 0; i < len; i++)
            g_string_append_c(err, g_ascii_toupper(d[i]));
        g_string_append(err, " HELP.");
    } else if (cmd == NULL) {
        g_string_append(err, "unknown command '");
        append_cstr(err, args, 0, 128);
        g_string_append(err, "', with args beginning with: ");
        gsize start = err->len;
        for (int i = 1; i < args->argc && err->len - start < 128; i++) {
            g_string_append_c(err, '\'');
            append_cstr(err, args, i, 128 - (err->len - 1 - start));
            g_string_append(err, "' ");
        }
    } else {
        if (is_container) {
            gsize len;
            const char *d = rc_argv_data(args, 0, &len);
            g_string_append(err, "wrong number of arguments for '");
            for (gsize i = 0; i < len; i++)
                g_string_append_c(err, g_ascii_tolower(d[i]));
            g_string_append_printf(err, "|%s' command", cmd->name);
        } else {
            g_string_append_printf(err, "wrong number of arguments for '%s' command", cmd->name);
        }
    }
    for (gsize i = 0; i < err->len; i++)
        if (err->str[i] == '\r' || err->str[i] == '\n')
            err->str[i] = ' ';
    return g_string_free(err, FALSE);
}

void rc_command_get_keys(const RcCommand *cmd, const RcArgv *args, GArray *keys)
{
    if (cmd->flags & RC_CMD_MOVABLE_KEYS) {
        rc_assert(cmd->get_keys != NULL);
        cmd->get_keys(args, keys);
        return;
    }
    if (cmd->first_key == 0)
        return;
    int last = rc_command_last_key(cmd, args->argc);
    for (int i = cmd->first_key; i <= last && i < args->argc; i += cmd->key_step)
        g_array_append_val(keys, i);
}

const RcCommand *rc_command_table(gsize *n)
{
    *n = G_N_ELEMENTS(command_table);
    return command_table;
}
