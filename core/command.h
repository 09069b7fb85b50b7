/* The command table and the call contract between the client layer (client.c, routing.c,
 * replication.c) and the command implementations (cmd_*.c).
 *
 * The client layer parses a request into RcArgv, looks the command up, checks arity,
 * routes it (getNodeByQuery), then calls `proc`. The proc appends exactly one RESP reply
 * to `call->reply` and, when it changed the dataset, raises `call->dirty`; the client
 * layer then propagates `call->propagate` (or the request itself when that is NULL) to
 * replicas, as Redis's call() does with server.dirty and alsoPropagate(). */
#ifndef RC_COMMAND_H
#define RC_COMMAND_H

#include <glib.h>

#include "core/node_private.h"

/* One argument of a request: `len` bytes at `data`. Binary-safe: read `len` bytes, never up
 * to a NUL (an argument of a view is followed by the rest of the input, not by a NUL). */
typedef struct {
    const char *data; /* in the argv's own block (then NUL-terminated), in `bytes`, or, for a
                         view, in the buffer the request was parsed from */
    gsize len;
    GBytes *bytes; /* owned: the GBytes the argument came from, or the one rc_argv_bytes()
                      made on first use; NULL until then */
} RcArg;

/* A request's arguments: argc binary-safe strings. A copied request is one allocation
 * (this header, the RcArg array and the bytes); a GBytes exists only for an argument a
 * command keeps (a set member, a list element), made when first asked for. */
typedef struct {
    int argc;
    RcArg *v;        /* argc entries, in the argv's own block (or a view's array) */
    char *fill;      /* next free byte of the block (rc_argv_new_sized + rc_argv_put) */
    const char *raw; /* the request as received, when those bytes are exactly what
                        rc_resp_encode_argv() makes of it (a view only; else NULL): the
                        replication stream takes them as they are */
    gsize raw_len;
} RcArgv;

/* A reusable argv whose arguments point into a buffer someone else owns (a query buffer):
 * parsing a request into it allocates nothing once its array has grown. Valid only while
 * that buffer stays unchanged; a command that must keep the request copies it
 * (rc_argv_copy). */
typedef struct {
    RcArgv argv;
    guint cap; /* room in argv.v */
} RcArgvView;

void rc_argv_view_free(RcArgvView *view); /* the array; the view itself is the caller's */
void rc_argv_view_drop(RcArgvView *view); /* rc_argv_view_clear() of a view in use */
void rc_argv_view_grow(RcArgvView *view); /* more room in a full array */

/* Forget the request in the view (dropping the GBytes rc_argv_bytes() made for it). Inline:
 * every request clears the view once or twice, mostly already clear. */
static inline void rc_argv_view_clear(RcArgvView *view)
{
    if (view->argv.argc > 0 || view->argv.raw != NULL || view->cap > 1024)
        rc_argv_view_drop(view);
}

/* Append an argument: `len` bytes at `data`, not copied. */
static inline void rc_argv_view_push(RcArgvView *view, const char *data, gsize len)
{
    RcArgv *a = &view->argv;
    if ((guint)a->argc == view->cap)
        rc_argv_view_grow(view);
    a->v[a->argc++] = (RcArg){data, len, NULL};
}

/* An argv of `argc` arguments with room for `total` bytes of them; each argument is then
 * written once, in order, by rc_argv_put(). Until then v[i] is empty. */
RcArgv *rc_argv_new_sized(int argc, gsize total);
void rc_argv_put(RcArgv *a, int i, const void *data, gsize len);
/* Copies of `argc` arguments given as pointers and lengths. */
RcArgv *rc_argv_new_from_slices(int argc, const char *const *data, const gsize *len);
RcArgv *rc_argv_new_from_strv(const char *const *strv); /* for tests and internal commands */
void rc_argv_free(RcArgv *a);
RcArgv *rc_argv_copy(const RcArgv *a);                         /* copies the bytes */
RcArgv *rc_argv_new_from_bytes(int argc, GBytes *const *argv); /* references each */
/* Argument i: its bytes, and its length in *len when len is not NULL. */
static inline const char *rc_argv_data(const RcArgv *a, int i, gsize *len)
{
    rc_assert(i >= 0 && i < a->argc);
    if (len != NULL)
        *len = a->v[i].len;
    return a->v[i].data;
}
/* Argument i as a GBytes (borrowed: it lives as long as the argv), made on first use. Not
 * for an argv built by hand on the stack, which would leak it. */
GBytes *rc_argv_bytes(const RcArgv *a, int i);
/* ASCII lower case of c; inline because command lookup folds every byte of every name. */
static inline char rc_ascii_fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}
/* Case-insensitive comparison of argument i with an ASCII word. */
gboolean rc_argv_is(const RcArgv *a, int i, const char *word);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcArgv, rc_argv_free)

/* Command flags (server.h CMD_*), the ones routing and replication read. */
#define RC_CMD_WRITE (1u << 0)    /* may modify the dataset */
#define RC_CMD_READONLY (1u << 1) /* reads only */
#define RC_CMD_DENYOOM (1u << 2)
#define RC_CMD_ADMIN (1u << 3)
#define RC_CMD_NOSCRIPT (1u << 4)
#define RC_CMD_LOADING (1u << 5)
#define RC_CMD_STALE (1u << 6)
#define RC_CMD_ASKING (1u << 7)       /* implies ASKING (RESTORE-ASKING) */
#define RC_CMD_NO_MULTI (1u << 8)     /* refused inside MULTI */
#define RC_CMD_MOVABLE_KEYS (1u << 9) /* keys found by `get_keys`, not the range */
#define RC_CMD_ALLOW_BUSY (1u << 10)
#define RC_CMD_MAY_REPLICATE (1u << 11)
/* Sharded pub/sub (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH), which routing lets through a down
 * cluster. rcsim has no pub/sub, so no command of the table has it. */
#define RC_CMD_PUBSUBSHARD (1u << 12)

typedef struct RcCommandCall RcCommandCall;
typedef struct RcCommand RcCommand;

struct RcCommandCall {
    RcNode *node;
    RcClient *client; /* NULL when the master's stream or a snapshot load runs it */
    const RcCommand *cmd;
    const RcArgv *args;
    GString *reply;            /* append exactly one RESP reply */
    guint64 dirty;             /* changes made to the dataset */
    RcArgv *propagate;         /* owned; replaces the request in the replication stream */
    GPtrArray *also_propagate; /* RcArgv*, owned: writes to stream before this one (the
                                  DELs of keys found expired), as alsoPropagate() */
};

typedef void (*RcCommandProc)(RcCommandCall *call);
/* For RC_CMD_MOVABLE_KEYS: append key argument indexes to `keys` (gint). */
typedef void (*RcCommandGetKeys)(const RcArgv *args, GArray *keys);

struct RcCommand {
    const char *name; /* lower case */
    int arity;        /* N exact, -N at least N (argv[0] counted) */
    guint32 flags;    /* RC_CMD_* */
    int first_key;    /* 0 = no keys */
    int last_key;     /* -1 = last argument, -2 = second to last ... */
    int key_step;
    RcCommandProc proc;
    RcCommandGetKeys get_keys;
    const RcCommand *subcommands; /* container commands (CLUSTER): sorted by name, ended by a
                                     NULL name; each has its own arity and flags */
};

/* Find a command by name (any case); NULL if unknown. */
const RcCommand *rc_command_lookup(const char *name, gsize len);
/* lookupCommand(): the command a request names, descending into a container's
 * subcommand when there is an argv[1]. NULL if unknown; then *is_container tells whether
 * argv[0] named a container (the error is "unknown subcommand"). */
const RcCommand *rc_command_lookup_argv(const RcArgv *args, gboolean *is_container);
/* rc_command_lookup() of argv[0]: the command a request names, before any subcommand; NULL
 * for an empty request or an unknown name. */
const RcCommand *rc_command_lookup_first(const RcArgv *args);
/* processCommand()'s first checks: NULL when the request may go on, else the error
 * (without '-' and CRLF), newly allocated: unknown command or subcommand, arity. */
char *rc_command_check(const RcArgv *args, const RcCommand **cmd);
/* The same when argv[0] was looked up already: `named` is rc_command_lookup() of it. */
char *rc_command_check_named(const RcCommand *named, const RcArgv *args, const RcCommand **cmd);
/* Append the indexes of the key arguments of a request to `keys` (gint). */
void rc_command_get_keys(const RcCommand *cmd, const RcArgv *args, GArray *keys);
/* The last key argument of a command with a fixed key range (first_key > 0, no movable keys)
 * called with argc arguments: last_key counts from the end when negative. */
static inline int rc_command_last_key(const RcCommand *cmd, int argc)
{
    return cmd->last_key >= 0 ? cmd->last_key : argc + cmd->last_key;
}
gboolean rc_command_arity_ok(const RcCommand *cmd, int argc);
/* The whole table, sorted by name (for tests and COMMAND-like listings). */
const RcCommand *rc_command_table(gsize *n);

#endif
