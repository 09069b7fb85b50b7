/* `rcsim console`: a redis-cli-like prompt on a simulated cluster.
 *
 * A SimConsole reads lines (console_line.h) and executes them on a cluster reached through a
 * backend: the console owns no nodes and no network, only the client side of one connection
 * per node, the current node, the reply parser of each connection (client_resp.h) and what
 * it prints. Virtual time passes only inside sim_console_exec(): `.advance` runs the kernel,
 * and a command runs it until its reply arrives or the reply timeout passes. Everything the
 * console prints goes to its output buffer, in the order it happened: replies as redis-cli
 * prints them, `-> Redirected to slot [N] located at ip:port` when a MOVED or ASK is
 * followed (redis-cli -c), and node log lines as the backend reports them.
 *
 * The production backend is the simulated world (console_world.c); tests use a scripted one.
 * Nodes are numbered 0.. and printed n1.. . */
#ifndef SIM_CONSOLE_H
#define SIM_CONSOLE_H

#include <glib.h>

#include "core/node.h"
#include "sim/client_resp.h"
#include "sim/console_line.h"
#include "sim/kernel.h"

typedef struct SimConsole SimConsole;

/* The reply timeout, in virtual time. */
#define SIM_CONSOLE_REPLY_TIMEOUT_US (5 * RC_US_PER_S)
/* MOVED/ASK redirections followed for one command before its last error is printed. */
#define SIM_CONSOLE_REDIRECTS_MAX 16

typedef enum {
    SIM_CONSOLE_NODE_UP,
    SIM_CONSOLE_NODE_CRASHED,
    SIM_CONSOLE_NODE_PAUSED,
} SimConsoleNodeState;

/* What the console needs from the cluster. Every call happens between kernel runs. */
typedef struct {
    SimConsoleNodeState (*node_state)(gpointer impl, guint32 node);
    void (*crash)(gpointer impl, guint32 node);
    void (*restart)(gpointer impl, guint32 node);
    void (*pause)(gpointer impl, guint32 node);
    void (*resume)(gpointer impl, guint32 node);
    /* Groups (GArray of guint32 node indices, disjoint, covering every node) that cannot
     * reach each other either way. The console's own host keeps reaching every node. */
    void (*partition)(gpointer impl, const GPtrArray *groups);
    void (*heal)(gpointer impl);
    /* Write on the console's connection to `node`, opening it first if there is none.
     * What arrives comes back through sim_console_recv(); the end of the connection
     * (refused, reset, EOF, timeout) through sim_console_closed(). */
    void (*send)(gpointer impl, guint32 node, const guint8 *data, gsize len);
    /* Abort the console's connection to `node` (no callback follows). */
    void (*drop)(gpointer impl, guint32 node);
} SimConsoleBackend;

/* A console on kernel `k` (borrowed) for `n_nodes` nodes whose client addresses are
 * ips[i]:ports[i]; the current node is n1. `be` and `impl` are borrowed. */
SimConsole *sim_console_new(SimKernel *k, guint n_nodes, const char *const *ips,
                            const guint16 *ports, const SimConsoleBackend *be, gpointer impl);
void sim_console_free(SimConsole *con);

/* Node log lines below `level` are not printed (default RC_LOG_NOTICE, as Redis's
 * loglevel; SIM_CONSOLE_LOG_QUIET prints none). At verbose and notice, a PFAIL event prints
 * the line Redis logs at debug level ("*** NODE <name> possibly failing"), so PFAIL is seen
 * without the debug noise. */
#define SIM_CONSOLE_LOG_QUIET ((RcLogLevel)(RC_LOG_WARNING + 1))
void sim_console_set_loglevel(SimConsole *con, RcLogLevel level);

/* Called with everything printed so far after every slice of virtual time a line runs
 * (SIM_CONSOLE_SLICE_US), so a long `.advance` shows its logs as it goes; the function may
 * write `out` somewhere and truncate it. Slicing changes nothing in what runs. */
typedef void (*SimConsoleFlushFn)(GString *out, gpointer user);
#define SIM_CONSOLE_SLICE_US (100 * RC_US_PER_MS)
void sim_console_set_flush(SimConsole *con, SimConsoleFlushFn fn, gpointer user);

/* Execute one line. FALSE once the line asked to quit (.quit, .exit, quit, exit). */
gboolean sim_console_exec(SimConsole *con, const char *line);
/* What the console printed so far; the caller may write it out and truncate it. */
GString *sim_console_output(SimConsole *con);
/* "127.0.0.1:30001> ": the current node's address. */
char *sim_console_prompt(const SimConsole *con);
guint32 sim_console_current(const SimConsole *con);

/* Send one command to `node` and wait for its reply as for a typed one, printing nothing and
 * following no redirection (cluster setup uses it). NULL when no reply came, with `error`
 * set to what the console would have printed ("(error) timeout after ...",
 * "Could not connect ..."). The caller frees the reply. */
SimReply *sim_console_call(SimConsole *con, guint32 node, guint argc, const char *const *argv,
                           GError **error);

/* ---- from the backend ---- */
void sim_console_recv(SimConsole *con, guint32 node, const guint8 *data, gsize len);
void sim_console_closed(SimConsole *con, guint32 node, RcConnEnd why);
/* A node logged a line (`pid` and `role` 'M'/'S' name its process as Redis would). */
void sim_console_node_log(SimConsole *con, guint32 node, guint pid, char role, RcTime now_us,
                          RcLogLevel level, const char *text);
/* A node reported an event (outbox.h). */
void sim_console_node_event(SimConsole *con, guint32 node, guint pid, char role, RcTime now_us,
                            RcEventKind kind, const char *peer, guint64 value);

/* `rcsim console` */
int sim_console_main(int argc, char **argv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimConsole, sim_console_free)

#endif
