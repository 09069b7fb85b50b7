/* The console session: executing lines against a cluster backend, redis-cli -c style. */
#include "sim/console.h"

#include <string.h>

#include "sim/client_resp.h"
#include "sim/console_format.h"

struct SimConsole {
    SimKernel *kernel;           /* borrowed */
    const SimConsoleBackend *be; /* borrowed */
    gpointer impl;               /* the backend's state, borrowed */
    guint n_nodes;               /* nodes n1..nN */
    char **ips;                  /* client address of each node */
    guint16 *ports;              /* client port of each node */
    SimReplyReader **readers;    /* per node: replies on the console's connection */
    guint32 current;             /* where plain commands go (redis-cli's connection) */
    RcLogLevel loglevel;         /* node log lines below this are not printed */
    GString *out;                /* everything printed, in order */
    /* The request in flight (at most one: the console waits for every reply). */
    gboolean waiting;          /* a request is outstanding */
    guint32 wait_node;         /* on this node's connection */
    guint wait_replies;        /* replies still expected */
    GPtrArray *replies;        /* of SimReply, as they arrived */
    gboolean wait_closed;      /* the connection ended before all replies came */
    RcConnEnd wait_end;        /* how, when wait_closed */
    char *wait_protocol_error; /* a malformed reply (the connection was dropped) */
    SimConsoleFlushFn flush;   /* called after each slice of virtual time, or NULL */
    gpointer flush_user;
};

SimConsole *sim_console_new(SimKernel *k, guint n_nodes, const char *const *ips,
                            const guint16 *ports, const SimConsoleBackend *be, gpointer impl)
{
    rc_assert(n_nodes >= 1);
    SimConsole *con = g_new0(SimConsole, 1);
    con->kernel = k;
    con->be = be;
    con->impl = impl;
    con->n_nodes = n_nodes;
    con->ips = g_new0(char *, n_nodes + 1);
    con->ports = g_new0(guint16, n_nodes);
    con->readers = g_new0(SimReplyReader *, n_nodes);
    for (guint i = 0; i < n_nodes; i++) {
        con->ips[i] = g_strdup(ips[i]);
        con->ports[i] = ports[i];
        con->readers[i] = sim_reply_reader_new();
    }
    con->loglevel = RC_LOG_NOTICE;
    con->out = g_string_new(NULL);
    con->replies = g_ptr_array_new_with_free_func((GDestroyNotify)sim_reply_free);
    return con;
}

void sim_console_free(SimConsole *con)
{
    if (con == NULL)
        return;
    for (guint i = 0; i < con->n_nodes; i++)
        sim_reply_reader_free(con->readers[i]);
    g_free(con->readers);
    g_strfreev(con->ips);
    g_free(con->ports);
    g_string_free(con->out, TRUE);
    g_ptr_array_unref(con->replies);
    g_free(con->wait_protocol_error);
    g_free(con);
}

void sim_console_set_loglevel(SimConsole *con, RcLogLevel level)
{
    con->loglevel = level;
}

void sim_console_set_flush(SimConsole *con, SimConsoleFlushFn fn, gpointer user)
{
    con->flush = fn;
    con->flush_user = user;
}

/* Run the kernel up to `until_us` (or until an event stops it) in slices, flushing the
 * output after each. Returns TRUE when an event stopped it. */
static gboolean run_until(SimConsole *con, RcTime until_us)
{
    for (;;) {
        RcTime now = sim_kernel_now(con->kernel);
        RcTime slice_end =
            until_us - now > SIM_CONSOLE_SLICE_US ? now + SIM_CONSOLE_SLICE_US : until_us;
        SimRunEnd end = sim_kernel_run(con->kernel, slice_end, 0);
        if (con->flush != NULL)
            con->flush(con->out, con->flush_user);
        if (end == SIM_RUN_STOPPED)
            return TRUE;
        if (sim_kernel_now(con->kernel) >= until_us)
            return FALSE;
    }
}

GString *sim_console_output(SimConsole *con)
{
    return con->out;
}

char *sim_console_prompt(const SimConsole *con)
{
    return g_strdup_printf("%s:%u> ", con->ips[con->current], con->ports[con->current]);
}

guint32 sim_console_current(const SimConsole *con)
{
    return con->current;
}

/* ---- from the backend ---- */

static void reset_reader(SimConsole *con, guint32 node)
{
    sim_reply_reader_free(con->readers[node]);
    con->readers[node] = sim_reply_reader_new();
}

void sim_console_recv(SimConsole *con, guint32 node, const guint8 *data, gsize len)
{
    rc_assert(node < con->n_nodes);
    sim_reply_reader_feed(con->readers[node], data, len);
    if (!con->waiting || node != con->wait_node) {
        /* Nothing is expected here (the request timed out and its connection was dropped
         * before these bytes were handed over): they cannot be matched to anything. */
        reset_reader(con, node);
        return;
    }
    while (con->wait_replies > 0) {
        GError *error = NULL;
        SimReply *r = sim_reply_reader_pop(con->readers[node], &error);
        if (error != NULL) {
            con->wait_protocol_error = g_strdup(error->message);
            g_error_free(error);
            con->be->drop(con->impl, node);
            reset_reader(con, node);
            sim_kernel_stop(con->kernel);
            return;
        }
        if (r == NULL)
            return;
        g_ptr_array_add(con->replies, r);
        con->wait_replies--;
    }
    sim_kernel_stop(con->kernel);
}

void sim_console_closed(SimConsole *con, guint32 node, RcConnEnd why)
{
    rc_assert(node < con->n_nodes);
    reset_reader(con, node);
    if (con->waiting && node == con->wait_node && con->wait_replies > 0) {
        con->wait_closed = TRUE;
        con->wait_end = why;
        sim_kernel_stop(con->kernel);
    }
}

void sim_console_node_log(SimConsole *con, guint32 node, guint pid, char role, RcTime now_us,
                          RcLogLevel level, const char *text)
{
    if (level < con->loglevel)
        return;
    char name[16];
    g_snprintf(name, sizeof(name), "n%u", node + 1);
    sim_console_format_log(con->out, name, pid, role, now_us, level, text);
}

void sim_console_node_event(SimConsole *con, guint32 node, guint pid, char role, RcTime now_us,
                            RcEventKind kind, const char *peer, guint64 value)
{
    (void)value;
    /* Redis logs PFAIL only at debug level; at verbose and notice show that one line anyway
     * (at debug level the node's own line shows it; at warning it is not wanted). */
    if (kind != RC_EVT_PFAIL || con->loglevel == RC_LOG_DEBUG || con->loglevel > RC_LOG_NOTICE)
        return;
    g_autofree char *text = g_strdup_printf("*** NODE %s possibly failing", peer);
    char name[16];
    g_snprintf(name, sizeof(name), "n%u", node + 1);
    sim_console_format_log(con->out, name, pid, role, now_us, RC_LOG_DEBUG, text);
}

/* ---- requests ---- */

static void encode_args(GByteArray *buf, const GPtrArray *args)
{
    g_autofree char *head = g_strdup_printf("*%u\r\n", args->len);
    g_byte_array_append(buf, (const guint8 *)head, (guint)strlen(head));
    for (guint i = 0; i < args->len; i++) {
        gsize len;
        const guint8 *data = g_bytes_get_data(g_ptr_array_index(args, i), &len);
        g_autofree char *bulk = g_strdup_printf("$%" G_GSIZE_FORMAT "\r\n", len);
        g_byte_array_append(buf, (const guint8 *)bulk, (guint)strlen(bulk));
        g_byte_array_append(buf, data, (guint)len);
        g_byte_array_append(buf, (const guint8 *)"\r\n", 2);
    }
}

typedef enum {
    WAIT_OK,      /* every reply arrived: con->replies */
    WAIT_CLOSED,  /* the connection ended: con->wait_end */
    WAIT_BROKEN,  /* malformed reply: con->wait_protocol_error */
    WAIT_TIMEOUT, /* nothing within the reply timeout */
} WaitResult;

/* Send `buf` to `node` and run virtual time until `n_replies` replies are in. */
static WaitResult request(SimConsole *con, guint32 node, GByteArray *buf, guint n_replies)
{
    g_ptr_array_set_size(con->replies, 0);
    g_clear_pointer(&con->wait_protocol_error, g_free);
    con->waiting = TRUE;
    con->wait_node = node;
    con->wait_replies = n_replies;
    con->wait_closed = FALSE;
    con->be->send(con->impl, node, buf->data, buf->len);
    RcTime deadline = sim_kernel_now(con->kernel) + SIM_CONSOLE_REPLY_TIMEOUT_US;
    while (con->wait_replies > 0 && !con->wait_closed && con->wait_protocol_error == NULL &&
           sim_kernel_now(con->kernel) < deadline) {
        run_until(con, deadline);
    }
    con->waiting = FALSE;
    if (con->wait_protocol_error != NULL)
        return WAIT_BROKEN;
    if (con->wait_replies == 0)
        return WAIT_OK;
    if (con->wait_closed)
        return WAIT_CLOSED;
    /* A late reply could not be matched to this request: start afresh next time. */
    con->be->drop(con->impl, node);
    reset_reader(con, node);
    return WAIT_TIMEOUT;
}

/* What redis-cli prints when a connection fails. */
static void print_conn_end(SimConsole *con, guint32 node, RcConnEnd why)
{
    const char *ip = con->ips[node];
    guint port = con->ports[node];
    switch (why) {
    case RC_CONN_END_REFUSED:
        g_string_append_printf(
            con->out, "Could not connect to Redis at %s:%u: Connection refused\n", ip, port);
        break;
    case RC_CONN_END_TIMEOUT:
        g_string_append_printf(
            con->out, "Could not connect to Redis at %s:%u: Connection timed out\n", ip, port);
        break;
    case RC_CONN_END_RESET:
        g_string_append(con->out, "Error: Connection reset by peer\n");
        break;
    case RC_CONN_END_EOF:
        g_string_append(con->out, "Error: Server closed the connection\n");
        break;
    }
}

/* Report a request that got no reply; FALSE if it did get one. */
static gboolean print_failure(SimConsole *con, guint32 node, WaitResult res)
{
    switch (res) {
    case WAIT_OK:
        return FALSE;
    case WAIT_CLOSED:
        print_conn_end(con, node, con->wait_end);
        break;
    case WAIT_BROKEN:
        g_string_append_printf(con->out, "Error: %s\n", con->wait_protocol_error);
        break;
    case WAIT_TIMEOUT:
        g_string_append_printf(con->out,
                               "(error) timeout after %" G_GINT64_FORMAT " ms of virtual time\n",
                               SIM_CONSOLE_REPLY_TIMEOUT_US / RC_US_PER_MS);
        break;
    }
    return TRUE;
}

SimReply *sim_console_call(SimConsole *con, guint32 node, guint argc, const char *const *argv,
                           GError **error)
{
    rc_assert(node < con->n_nodes && argc >= 1);
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    for (guint i = 0; i < argc; i++)
        g_ptr_array_add(args, g_bytes_new(argv[i], strlen(argv[i])));
    g_autoptr(GByteArray) buf = g_byte_array_new();
    encode_args(buf, args);
    WaitResult res = request(con, node, buf, 1);
    /* Report a failure in the words the console prints, without printing it. */
    gsize printed = con->out->len;
    if (print_failure(con, node, res)) {
        g_autofree char *text = g_strndup(con->out->str + printed, con->out->len - printed - 1);
        g_string_truncate(con->out, printed);
        g_set_error(error, SIM_CONSOLE_ERROR, SIM_CONSOLE_ERROR_STATE, "n%u: %s", node + 1, text);
        return NULL;
    }
    return g_ptr_array_steal_index(con->replies, 0);
}

static gint node_by_address(const SimConsole *con, const char *ip, guint16 port)
{
    for (guint i = 0; i < con->n_nodes; i++) {
        if (con->ports[i] == port && strcmp(con->ips[i], ip) == 0)
            return (gint)i;
    }
    return -1;
}

/* A Redis command, redis-cli -c style: MOVED and ASK switch the console to the named node
 * (announced as redis-cli announces it) and re-send there, after ASKING for an ASK. */
static void exec_command(SimConsole *con, const GPtrArray *args)
{
    gboolean asking = FALSE;
    for (guint redirects = 0;; redirects++) {
        g_autoptr(GByteArray) buf = g_byte_array_new();
        if (asking) {
            g_autoptr(GPtrArray) ask =
                g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
            g_ptr_array_add(ask, g_bytes_new_static("ASKING", 6));
            encode_args(buf, ask);
        }
        encode_args(buf, args);
        guint32 node = con->current;
        WaitResult res = request(con, node, buf, asking ? 2 : 1);
        if (print_failure(con, node, res))
            return;
        const SimReply *r = g_ptr_array_index(con->replies, con->replies->len - 1);
        SimRedirect redirect;
        if (r->type == SIM_REPLY_ERROR && redirects < SIM_CONSOLE_REDIRECTS_MAX &&
            sim_redirect_parse(r->str, &redirect) != SIM_REDIRECT_NONE &&
            (redirect.kind == SIM_REDIRECT_MOVED || redirect.kind == SIM_REDIRECT_ASK)) {
            gint target = node_by_address(con, redirect.ip, redirect.port);
            if (target >= 0) {
                g_string_append_printf(con->out, "-> Redirected to slot [%u] located at %s:%u\n",
                                       redirect.slot, redirect.ip, redirect.port);
                con->current = (guint32)target;
                asking = redirect.kind == SIM_REDIRECT_ASK;
                continue;
            }
        }
        if (sim_console_reply_is_raw(args))
            sim_console_format_reply_raw(con->out, r);
        else
            sim_console_format_reply(con->out, r);
        return;
    }
}

static void exec_nodes(SimConsole *con)
{
    g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    g_ptr_array_add(args, g_bytes_new_static("CLUSTER", 7));
    g_ptr_array_add(args, g_bytes_new_static("NODES", 5));
    g_autoptr(GByteArray) buf = g_byte_array_new();
    encode_args(buf, args);
    WaitResult res = request(con, con->current, buf, 1);
    if (print_failure(con, con->current, res))
        return;
    const SimReply *r = g_ptr_array_index(con->replies, 0);
    if (r->type != SIM_REPLY_BULK) {
        sim_console_format_reply(con->out, r);
        return;
    }
    /* The text itself, one line per node, as `redis-cli --raw CLUSTER NODES` shows it. */
    g_string_append_len(con->out, r->str, (gssize)r->len);
    if (r->len == 0 || r->str[r->len - 1] != '\n')
        g_string_append_c(con->out, '\n');
}

static const char help_text[] =
    "Redis commands go to the current node (shown in the prompt); MOVED and ASK are\n"
    "followed as redis-cli -c does. Replies wait at most 5 s of virtual time.\n"
    "Simulator commands:\n"
    "  .advance <duration>        let virtual time pass (250ms, 5s, 2m, 1h)\n"
    "  .partition <g> | <g> ...   cut the network between groups: n1 | rest,\n"
    "                             {n1,n2} | {n3,n4} | rest (the console reaches all)\n"
    "  .heal                      remove every cut\n"
    "  .crash <node>              kill a node (nodes.conf stays on its disk)\n"
    "  .restart <node>            boot a crashed node from its nodes.conf\n"
    "  .pause <node>              SIGSTOP a node\n"
    "  .resume <node>             SIGCONT a node\n"
    "  .use <node>                send the next commands to this node\n"
    "  .nodes                     CLUSTER NODES of the current node\n"
    "  .help                      this text\n"
    "  .quit                      leave (so do quit, exit and end of input)\n"
    "Nodes are n1..nN; lines starting with # are comments.\n";

static void state_error(SimConsole *con, const char *cmd, guint32 node, const char *what)
{
    g_string_append_printf(con->out, "error: %s: n%u %s\n", cmd, node + 1, what);
}

/* A fault on one node, checked against its state first. */
static void exec_fault(SimConsole *con, const SimConsoleLine *line)
{
    guint32 n = line->node;
    SimConsoleNodeState st = con->be->node_state(con->impl, n);
    switch (line->op) {
    case SIM_CONSOLE_OP_CRASH:
        if (st == SIM_CONSOLE_NODE_CRASHED) {
            state_error(con, ".crash", n, "is already down");
            return;
        }
        con->be->crash(con->impl, n);
        break;
    case SIM_CONSOLE_OP_RESTART:
        if (st != SIM_CONSOLE_NODE_CRASHED) {
            state_error(con, ".restart", n, "is not down (see .crash)");
            return;
        }
        con->be->restart(con->impl, n);
        break;
    case SIM_CONSOLE_OP_PAUSE:
        if (st == SIM_CONSOLE_NODE_CRASHED) {
            state_error(con, ".pause", n, "is down");
            return;
        }
        if (st == SIM_CONSOLE_NODE_PAUSED) {
            state_error(con, ".pause", n, "is already paused");
            return;
        }
        con->be->pause(con->impl, n);
        break;
    case SIM_CONSOLE_OP_RESUME:
        if (st != SIM_CONSOLE_NODE_PAUSED) {
            state_error(con, ".resume", n, "is not paused");
            return;
        }
        con->be->resume(con->impl, n);
        break;
    default:
        rc_assert(!"not a fault");
    }
    /* Whatever the fault set off at this instant (resets, queued callbacks) runs now. */
    sim_kernel_run(con->kernel, sim_kernel_now(con->kernel), 0);
}

static gboolean is_quit(const GPtrArray *args)
{
    if (args->len != 1)
        return FALSE;
    gsize len;
    const char *w = g_bytes_get_data(g_ptr_array_index(args, 0), &len);
    return (len == 4 && g_ascii_strncasecmp(w, "quit", 4) == 0) ||
           (len == 4 && g_ascii_strncasecmp(w, "exit", 4) == 0);
}

gboolean sim_console_exec(SimConsole *con, const char *text)
{
    SimConsoleLine line;
    GError *error = NULL;
    if (!sim_console_line_parse(text, con->n_nodes, &line, &error)) {
        /* redis-cli prints its split error bare; ours carry "error: ". */
        if (text[strspn(text, " \t")] == '.')
            g_string_append_printf(con->out, "error: %s\n", error->message);
        else
            g_string_append_printf(con->out, "%s\n", error->message);
        g_error_free(error);
        return TRUE;
    }
    gboolean go_on = TRUE;
    switch (line.op) {
    case SIM_CONSOLE_OP_EMPTY:
        break;
    case SIM_CONSOLE_OP_COMMAND:
        if (is_quit(line.args))
            go_on = FALSE;
        else
            exec_command(con, line.args);
        break;
    case SIM_CONSOLE_OP_ADVANCE:
        run_until(con, sim_kernel_now(con->kernel) + line.duration_us);
        break;
    case SIM_CONSOLE_OP_PARTITION:
        con->be->partition(con->impl, line.groups);
        sim_kernel_run(con->kernel, sim_kernel_now(con->kernel), 0);
        break;
    case SIM_CONSOLE_OP_HEAL:
        con->be->heal(con->impl);
        sim_kernel_run(con->kernel, sim_kernel_now(con->kernel), 0);
        break;
    case SIM_CONSOLE_OP_CRASH:
    case SIM_CONSOLE_OP_RESTART:
    case SIM_CONSOLE_OP_PAUSE:
    case SIM_CONSOLE_OP_RESUME:
        exec_fault(con, &line);
        break;
    case SIM_CONSOLE_OP_USE:
        con->current = line.node;
        break;
    case SIM_CONSOLE_OP_NODES:
        exec_nodes(con);
        break;
    case SIM_CONSOLE_OP_HELP:
        g_string_append(con->out, help_text);
        break;
    case SIM_CONSOLE_OP_QUIT:
        go_on = FALSE;
        break;
    }
    sim_console_line_clear(&line);
    return go_on;
}
