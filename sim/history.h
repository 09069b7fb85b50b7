/* The history of a run in Jepsen's terms: every client operation as an invocation and a
 * completion (ok, fail or info), and every nemesis operation, in the order they happened.
 *
 * Ops are kept in memory for the checkers and, when a file is attached, streamed as JSON
 * lines as they are recorded (flushed every few hundred ops and at every nemesis op), so a
 * run that dies keeps what it already wrote. `sim_history_write_edn` writes the same ops as
 * Jepsen's history.edn (time in ns, keyword types, [key value] tuples as jepsen.independent
 * does), which Jepsen's set, set-full and counter checkers and Knossos read; the Elle forms
 * write register and list workloads as one-op transactions (rw-register, list-append).
 *
 * Processes (Jepsen's numbering): each logical client ("worker" w, 0 .. workers-1) starts as
 * process w; once one of its operations completes `info`, Jepsen can no longer tell whether
 * that operation is still running, so the process is retired and the worker's next operation
 * uses process + workers (jepsen.core does the same with the test's :concurrency). A process
 * therefore never invokes after an `info`, and `process mod workers` is the worker. */
#ifndef SIM_HISTORY_H
#define SIM_HISTORY_H

#include <glib.h>
#include <stdio.h>

#include "core/assert.h"

#define SIM_PROCESS_NEMESIS (-1)

typedef enum {
    SIM_OP_INVOKE,
    SIM_OP_OK,
    SIM_OP_FAIL,
    SIM_OP_INFO,
} SimOpType;

typedef enum {
    SIM_SIDE_NONE,     /* no partition in effect */
    SIM_SIDE_MAJORITY, /* in the group holding a majority of the masters */
    SIM_SIDE_MINORITY, /* in any other group */
} SimSide;

/* What an op's value is. JSON and EDN write it as a null/nil, a string, an integer, an array
 * (EDN: a set #{...} or a vector [...]) or an array of arrays of host names. */
typedef enum {
    SIM_VALUE_NIL,    /* none: a read's invocation, a GET of a missing register */
    SIM_VALUE_STRING, /* `value`: a set element, a register value, a nemesis label */
    SIM_VALUE_INT,    /* `num`: a counter add's delta (1), a counter read */
    SIM_VALUE_SET,    /* `items` (char*): an SMEMBERS reply */
    SIM_VALUE_LIST,   /* `items` (char*): an LRANGE reply, in order */
    SIM_VALUE_GROUPS, /* `items` (GPtrArray of char*): a partition's host groups */
} SimValueKind;

/* An op in memory. Its strings belong to the history (they live in its string blocks, see
 * SimHistory). A run holds some hundred thousand ops, the largest block of fresh memory it
 * touches, so the record is packed into 64 bytes: its index is its place in the history
 * (sim_op_index), its process is kept as the worker's count of retirements (sim_op_process),
 * and the value's three forms share one field (by `kind`; sim_op_value reads the string
 * form safely). */
typedef struct {
    RcTime time_us;
    const char *f; /* static: "add", "read", "write", "partition", "crash", ... */
    char *key;     /* NULL for nemesis ops */
    union {
        char *value;      /* SIM_VALUE_STRING */
        gint64 num;       /* SIM_VALUE_INT */
        GPtrArray *items; /* SIM_VALUE_SET, _LIST, _GROUPS */
    };
    gint64 returned;     /* counter add completed ok: what INCR returned */
    char *error;         /* the error text, or NULL */
    gint32 worker;       /* the logical client that ran it, or SIM_PROCESS_NEMESIS */
    guint32 retired;     /* the worker's processes retired before this op's (sim_op_process) */
    gint16 node;         /* the node that served it (0-based), or -1 */
    gint16 fault;        /* nemesis ops: index into the run's fault list; else -1 */
    guint8 type;         /* SimOpType */
    guint8 kind;         /* SimValueKind */
    guint8 side;         /* SimSide: of the serving node (or of the client if none) then */
    guint8 has_returned; /* gboolean */
} SimOp;

G_STATIC_ASSERT(sizeof(SimOp) == 64);

/* What sim_history_append copies into a new op (index and process are assigned). */
typedef struct {
    RcTime time_us;
    gint worker; /* the logical client, or SIM_PROCESS_NEMESIS */
    SimOpType type;
    const char *f; /* static */
    const char *key;
    SimValueKind kind;
    const char *value;
    gint64 num;
    GPtrArray *items; /* taken */
    gboolean has_returned;
    gint64 returned;
    gint node; /* -1 .. G_MAXINT16 (an op keeps it in 16 bits) */
    const char *error;
    SimSide side;
    gint fault; /* -1 .. G_MAXINT16 likewise */
} SimOpSpec;

/* Ops are stored in chunks of SIM_HISTORY_CHUNK_BYTES, each aligned to its size: a run's
 * history (7 MB for the default scenario) grows chunk by chunk with nothing ever copied, and
 * with the heap in huge pages (sim/main.c) each chunk is one 2 MiB huge page, one page fault
 * instead of hundreds. A chunk starts with a header the size of an op that says which op is
 * its first, so an op's address gives its index (sim_op_index) without a search. Memory is
 * fresh, not zeroed: only what is appended is touched. */
#define SIM_HISTORY_CHUNK_BYTES ((gsize)2 * 1024 * 1024)
#define SIM_HISTORY_CHUNK_OPS (SIM_HISTORY_CHUNK_BYTES / sizeof(SimOp) - 1)

typedef struct {
    guint64 first_index; /* the index of ops[0] in the history */
    guint8 pad[sizeof(SimOp) - sizeof(guint64)];
    SimOp ops[]; /* SIM_HISTORY_CHUNK_OPS */
} SimHistoryChunk;

G_STATIC_ASSERT(sizeof(SimHistoryChunk) == sizeof(SimOp));

typedef struct {
    SimHistoryChunk **chunks; /* [n_chunks] allocated, of room for cap_chunks */
    guint64 n_chunks, cap_chunks;
    guint64 n_ops;
    FILE *jsonl; /* streaming output, or NULL */
    guint unflushed;
    GString *line;     /* scratch for the line being streamed */
    char **node_names; /* borrowed: names of nodes for the `node` field ("n1"), or NULL */
    guint n_node_names;
    guint workers;         /* 0: processes are the workers' numbers, never retired */
    guint32 *retired;      /* [workers]: each worker's processes retired so far */
    gint64 *open_invoke;   /* [workers]: index of the worker's last invocation, or -1 */
    GPtrArray *str_blocks; /* the ops' strings, packed; freed with the history */
    char *str_next;        /* free space in the last block */
    gsize str_left;        /* bytes of it */
} SimHistory;

/* The shapes history.edn can take: Jepsen's independent [key value] tuples (Knossos, the set,
 * set-full and counter checkers under jepsen.independent), or one-op Elle transactions. */
typedef enum {
    SIM_EDN_INDEPENDENT,
    SIM_EDN_ELLE_RW_REGISTER, /* write/read as :txn [[:w k v]] / [[:r k v]] */
    SIM_EDN_ELLE_LIST_APPEND, /* add/read as :txn [[:append k v]] / [[:r k [...]]] */
} SimEdnForm;

SimHistory *sim_history_new(void);
/* Expect `ops` ops (a hint: appending beyond it still works; chunks are allocated only as
 * ops fill them). */
void sim_history_reserve(SimHistory *h, guint64 ops);
void sim_history_free(SimHistory *h);
/* Number the processes as Jepsen does for `workers` logical clients (0 .. workers-1): a
 * worker whose op completes `info` continues as process + workers. Call before any op. */
void sim_history_set_workers(SimHistory *h, guint workers);
/* Stream every op recorded from now on (and those already recorded) to `path`. */
gboolean sim_history_open_jsonl(SimHistory *h, const char *path, GError **error);
void sim_history_close(SimHistory *h);

/* Append an op; strings are copied, `items` is taken. Returns its index. */
guint64 sim_history_append(SimHistory *h, const SimOpSpec *spec);
/* The same with a string value (or none), or a set read in `items` when it is not NULL. */
guint64 sim_history_add(SimHistory *h, RcTime time_us, gint worker, SimOpType type, const char *f,
                        const char *key, const char *value, GPtrArray *items, gint node,
                        const char *error, SimSide side, gint fault);
/* A copy of `s` (or NULL) that lives as long as the history, packed with the ops' strings:
 * for strings an op's `items` point to without owning them. */
char *sim_history_keep_string(SimHistory *h, const char *s);

/* Inline: the checkers walk the history op by op, several times. */
static inline const SimOp *sim_history_op(const SimHistory *h, guint64 index)
{
    rc_assert(index < h->n_ops);
    return &h->chunks[index / SIM_HISTORY_CHUNK_OPS]->ops[index % SIM_HISTORY_CHUNK_OPS];
}

static inline guint64 sim_history_len(const SimHistory *h)
{
    return h->n_ops;
}

/* The worker's invocation still open (not yet completed), or NULL (or when the history does
 * not number workers). A completion that passes that op's own key and value pointers back has
 * them shared without a comparison. */
static inline const SimOp *sim_history_open_invocation(const SimHistory *h, gint worker)
{
    if (worker < 0 || h->workers == 0)
        return NULL;
    rc_assert((guint)worker < h->workers);
    gint64 at = h->open_invoke[worker];
    return at >= 0 ? sim_history_op(h, (guint64)at) : NULL;
}

/* An op's index in the history (`op` is one of its ops). */
static inline guint64 sim_op_index(const SimHistory *h, const SimOp *op)
{
    const SimHistoryChunk *chunk =
        (const SimHistoryChunk *)((guintptr)op & ~(guintptr)(SIM_HISTORY_CHUNK_BYTES - 1));
    guint64 index = chunk->first_index + (guint64)(op - chunk->ops);
    rc_assert(index < h->n_ops && sim_history_op(h, index) == op);
    return index;
}

/* An op's Jepsen process (see above): SIM_PROCESS_NEMESIS, the worker's number, or that
 * plus `workers` for each of its earlier processes that were retired. */
static inline gint64 sim_op_process(const SimHistory *h, const SimOp *op)
{
    if (op->worker < 0 || h->workers == 0)
        return op->worker;
    return op->worker + (gint64)op->retired * h->workers;
}

/* An op's string value, or NULL when its value is of another kind. */
static inline const char *sim_op_value(const SimOp *op)
{
    return op->kind == SIM_VALUE_STRING ? op->value : NULL;
}

const char *sim_op_type_name(SimOpType type);
const char *sim_side_name(SimSide side);

/* One op as a JSON line (no newline) into `out`. */
void sim_history_format_json(const SimHistory *h, const SimOp *op, GString *out);
/* One op as an EDN map (no newline) into `out`. */
void sim_history_format_edn(const SimHistory *h, const SimOp *op, SimEdnForm form, GString *out);
gboolean sim_history_write_edn(const SimHistory *h, const char *path, SimEdnForm form,
                               GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimHistory, sim_history_free)

#endif
