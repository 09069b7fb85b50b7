/* The console's input lines: what one line typed at `rcsim console` asks for.
 *
 * A line starting with '.' drives the simulator (`.advance 5s`, `.partition n1 | rest`,
 * `.crash n2` ...); any other non-blank line is a Redis command, split into arguments the way
 * redis-cli splits them (sdssplitargs: double quotes with \n \r \t \b \a \xHH escapes, single
 * quotes with \' only, a closing quote must end the argument). Nodes are named n1..nN.
 *
 * Nothing here is asserted on: a line is user input. A bad line comes back as a GError in
 * SIM_CONSOLE_ERROR whose message the console prints after "error: " (for a command line
 * with unbalanced quotes it is redis-cli's own "Invalid argument(s)"). */
#ifndef SIM_CONSOLE_LINE_H
#define SIM_CONSOLE_LINE_H

#include <glib.h>

#include "core/assert.h"

#define SIM_CONSOLE_ERROR (sim_console_error_quark())
GQuark sim_console_error_quark(void);

typedef enum {
    SIM_CONSOLE_ERROR_SYNTAX, /* the line is malformed */
    SIM_CONSOLE_ERROR_STATE,  /* well formed, but the cluster cannot do it now */
} SimConsoleErrorCode;

/* Longest `.advance`: one virtual day. */
#define SIM_CONSOLE_ADVANCE_MAX_US (G_GINT64_CONSTANT(24) * 3600 * RC_US_PER_S)
/* Arguments in one command line. */
#define SIM_CONSOLE_ARGS_MAX 1024

typedef enum {
    SIM_CONSOLE_OP_EMPTY,     /* blank line or a comment (# ...) */
    SIM_CONSOLE_OP_COMMAND,   /* a Redis command: args */
    SIM_CONSOLE_OP_ADVANCE,   /* .advance <duration>: duration_us */
    SIM_CONSOLE_OP_PARTITION, /* .partition <group> | <group> ...: groups */
    SIM_CONSOLE_OP_HEAL,      /* .heal */
    SIM_CONSOLE_OP_CRASH,     /* .crash <node>: node */
    SIM_CONSOLE_OP_RESTART,   /* .restart <node> */
    SIM_CONSOLE_OP_PAUSE,     /* .pause <node> */
    SIM_CONSOLE_OP_RESUME,    /* .resume <node> */
    SIM_CONSOLE_OP_USE,       /* .use <node> */
    SIM_CONSOLE_OP_NODES,     /* .nodes: CLUSTER NODES of the current node */
    SIM_CONSOLE_OP_HELP,      /* .help */
    SIM_CONSOLE_OP_QUIT,      /* .quit (or .exit) */
} SimConsoleOp;

typedef struct {
    SimConsoleOp op;
    GPtrArray *args;    /* COMMAND: of GBytes (an argument may hold any byte) */
    RcTime duration_us; /* ADVANCE */
    guint32 node;       /* CRASH, RESTART, PAUSE, RESUME, USE: 0-based index */
    GPtrArray *groups;  /* PARTITION: of GArray of guint32 node indices, each non-empty,
                           disjoint, together with `rest` resolved: every group explicit */
} SimConsoleLine;

/* Parse one line (without its newline) for a cluster of `n_nodes` nodes. On success fills
 * `out` (release it with sim_console_line_clear) and returns TRUE. */
gboolean sim_console_line_parse(const char *line, guint n_nodes, SimConsoleLine *out,
                                GError **error);
void sim_console_line_clear(SimConsoleLine *line);

/* Split a command line as redis-cli does; NULL with "Invalid argument(s)" on unbalanced
 * quotes. Returns a GPtrArray of GBytes. */
GPtrArray *sim_console_split_args(const char *line, GError **error);

/* "n3" -> 2 for a cluster of >= 3 nodes; -1 otherwise. */
gint sim_console_node_parse(const char *name, guint n_nodes);

/* "500ms", "5s", "2m", "1h", "250us" -> microseconds; FALSE if malformed. */
gboolean sim_console_duration_parse(const char *text, RcTime *out_us);

#endif
