/* The history of a run in Jepsen's terms: every client operation as an invocation and a
 * completion (ok, fail or info), and every nemesis operation, in the order they happened.
 *
 * Ops are kept in memory for the checkers and, when a file is attached, streamed as JSON
 * lines as they are recorded (flushed every few hundred ops and at every nemesis op), so a
 * run that dies keeps what it already wrote. `sim_history_write_edn` writes the same ops as
 * Jepsen's history.edn (time in ns, keyword types, [key value] tuples as jepsen.independent
 * does), which Jepsen's own checkers (Knossos, Elle, elle-cli) read. */
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

typedef struct {
    guint64 index;
    RcTime time_us;
    gint process; /* client number, or SIM_PROCESS_NEMESIS */
    SimOpType type;
    const char *f;   /* static: "add", "read", "write", "incr", "partition", ... */
    char *key;       /* NULL for nemesis ops */
    char *value;     /* the written element/value, an INCR result, a nemesis label; or NULL */
    GPtrArray *read; /* char*: what a read returned (set elements, one register value) */
    gint node;       /* the node that served it (0-based), or -1 */
    char *error;     /* the error text, or NULL */
    SimSide side;    /* side of the serving node (or of the client if none) at that time */
    gint fault;      /* nemesis ops: index into the run's fault list; else -1 */
} SimOp;

typedef struct {
    GArray *ops; /* of SimOp */
    FILE *jsonl; /* streaming output, or NULL */
    guint unflushed;
    GString *line; /* scratch for the line being streamed */
    char **node_names; /* borrowed: names of nodes for the `node` field ("n1"), or NULL */
    guint n_node_names;
} SimHistory;

SimHistory *sim_history_new(void);
/* Make room for `ops` ops (a hint: appending beyond it still works). */
void sim_history_reserve(SimHistory *h, guint64 ops);
void sim_history_free(SimHistory *h);
/* Stream every op recorded from now on (and those already recorded) to `path`. */
gboolean sim_history_open_jsonl(SimHistory *h, const char *path, GError **error);
void sim_history_close(SimHistory *h);

/* Append an op; strings are copied, `read` is taken. Returns its index. */
guint64 sim_history_add(SimHistory *h, RcTime time_us, gint process, SimOpType type, const char *f,
                        const char *key, const char *value, GPtrArray *read, gint node,
                        const char *error, SimSide side, gint fault);
const SimOp *sim_history_op(const SimHistory *h, guint64 index);
guint64 sim_history_len(const SimHistory *h);

const char *sim_op_type_name(SimOpType type);
const char *sim_side_name(SimSide side);

/* One op as a JSON line (no newline) into `out`. */
void sim_history_format_json(const SimHistory *h, const SimOp *op, GString *out);
/* One op as an EDN map (no newline) into `out`. */
void sim_history_format_edn(const SimHistory *h, const SimOp *op, GString *out);
gboolean sim_history_write_edn(const SimHistory *h, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimHistory, sim_history_free)

#endif
