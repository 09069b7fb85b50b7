/* Conformance: the same command scripts against Debian's redis-server 7.0 (a real process
 * on a loopback port, in cluster mode, owning every slot) and against one rcsim RcNode
 * driven directly, replies compared byte for byte.
 *
 * A script line is one request written as an inline command (quotes and \xHH escapes as
 * redis-cli takes them); it is sent as a RESP multibulk. A line may start with a mode:
 *   ~sorted   the reply is an array whose order Redis does not define (a hashtable set):
 *             compare the elements as a sorted list
 *   ~fields:a,b  the reply is a bulk of "name:value" lines (INFO, CLUSTER INFO): compare
 *             only the named fields
 *   ~int:N    an integer that may differ by N (TTLs measured on two different clocks)
 *   ~sync     compared exactly; the pipelined run waits for the replies up to this one
 *             before sending the rest, so both servers have run before-sleep (where cluster
 *             state changes) after it
 * Scripts run one request at a time, then again pipelined (one write per ~sync segment;
 * rcsim gets each segment cut at a different point). Raw-bytes cases check protocol errors:
 * the same error and a closed connection on both sides. MOVED, ASK and the rest of routing
 * run against a cluster of three servers: see "Redirections" below. */
#include <check.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/node.h"
#include "core/resp.h"

#define REDIS_SERVER "/usr/bin/redis-server"

/* ---- RESP reply framing (client side) ---- */

/* Length of the first complete reply in buf, 0 if incomplete, -1 if malformed. */
static gssize reply_len(const char *buf, gsize len, gsize pos)
{
    if (pos >= len)
        return 0;
    const char *nl = memchr(buf + pos, '\n', len - pos);
    if (nl == NULL)
        return 0;
    gsize line_end = (gsize)(nl - buf) + 1;
    char type = buf[pos];
    gint64 n = 0;
    if (type == '+' || type == '-' || type == ':')
        return (gssize)(line_end - pos);
    if (!rc_string2ll(buf + pos + 1, line_end - pos - 3, &n))
        return -1;
    if (type == '$') {
        if (n < 0)
            return (gssize)(line_end - pos);
        if (len < line_end + (gsize)n + 2)
            return 0;
        return (gssize)(line_end + (gsize)n + 2 - pos);
    }
    if (type == '*') {
        gsize at = line_end;
        for (gint64 i = 0; i < n; i++) {
            gssize l = reply_len(buf, len, at);
            if (l <= 0)
                return l;
            at += (gsize)l;
        }
        return (gssize)(at - pos);
    }
    return -1;
}

/* Split a buffer into complete replies. */
static GPtrArray *split_replies(const GString *buf)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    gsize pos = 0;
    for (;;) {
        gssize l = reply_len(buf->str, buf->len, pos);
        if (l <= 0)
            break;
        g_ptr_array_add(out, g_strndup(buf->str + pos, (gsize)l));
        pos += (gsize)l;
    }
    return out;
}

/* ---- The real server ---- */

typedef struct {
    GPid pid;
    char *dir;
    int fd;
    guint16 port;
} Real;

static gboolean port_free(guint16 port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    gboolean ok = bind(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

/* A loopback port whose bus port (+10000) is free too. */
static guint16 pick_port(void)
{
    for (int tries = 0; tries < 200; tries++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t al = sizeof a;
        ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
        ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &al), 0);
        close(s);
        guint16 p = ntohs(a.sin_port);
        /* Ephemeral ports sit high; fold into 20000..45000 so +10000 fits. */
        p = (guint16)(20000 + p % 25000);
        if (port_free(p) && port_free((guint16)(p + 10000)))
            return p;
    }
    ck_abort_msg("no free loopback port pair found");
    return 0;
}

static int connect_to(guint16 port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        return -1;
    }
    struct timeval tv = {.tv_sec = 5};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
}

static void send_all(int fd, const char *data, gsize len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        ck_assert_msg(n > 0, "send: %s", g_strerror(errno));
        data += n;
        len -= (gsize)n;
    }
}

/* Read until `want` replies are complete, or EOF (then *eof). */
static GPtrArray *read_replies(int fd, guint want, gboolean *eof)
{
    GString *buf = g_string_new(NULL);
    *eof = FALSE;
    for (;;) {
        GPtrArray *r = split_replies(buf);
        if (r->len >= want && want > 0) {
            g_string_free(buf, TRUE);
            return r;
        }
        g_ptr_array_unref(r);
        char tmp[65536];
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) {
            *eof = TRUE;
            GPtrArray *res = split_replies(buf);
            g_string_free(buf, TRUE);
            return res;
        }
        g_string_append_len(buf, tmp, n);
    }
}

static char *real_call(Real *r, const char *const *strv)
{
    g_autoptr(RcArgv) a = rc_argv_new_from_strv(strv);
    g_autoptr(GString) req = g_string_new(NULL);
    rc_resp_encode_argv(req, a);
    send_all(r->fd, req->str, req->len);
    gboolean eof;
    g_autoptr(GPtrArray) rep = read_replies(r->fd, 1, &eof);
    ck_assert_uint_ge(rep->len, 1);
    return g_strdup(rep->pdata[0]);
}

/* Servers die with the test process that started them (PR_SET_PDEATHSIG): a failed check
 * ends Check's forked test with _exit(), which skips the teardown. */
static void die_with_parent(gpointer parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != GPOINTER_TO_INT(parent))
        _exit(1);
}

/* The suite's temp dir, made by the runner's own process (unchecked fixture) so that it can
 * remove what a failed test left behind; each server gets a dir inside it. */
static char *base_dir;

static void real_spawn(Real *r, const char *const *extra)
{
    if (!g_file_test(REDIS_SERVER, G_FILE_TEST_IS_EXECUTABLE))
        ck_abort_msg(REDIS_SERVER " is missing: install the Debian package redis-server "
                                  "(apt-get install redis-server) to run the conformance suite");
    r->dir = g_build_filename(base_dir ? base_dir : g_get_tmp_dir(), "redis-XXXXXX", NULL);
    ck_assert_ptr_nonnull(g_mkdtemp(r->dir));
    r->port = pick_port();
    g_autofree char *port = g_strdup_printf("%u", r->port);
    g_autofree char *log = g_build_filename(r->dir, "redis.log", NULL);
    const char *base[] = {
        REDIS_SERVER, "--port",    port, "--bind",       "127.0.0.1", "--cluster-enabled",
        "yes",        "--save",    "",   "--appendonly", "no",        "--dir",
        r->dir,       "--logfile", log,  "--daemonize",  "no"};
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    for (gsize i = 0; i < G_N_ELEMENTS(base); i++)
        g_ptr_array_add(argv, (gpointer)base[i]);
    for (gsize i = 0; extra != NULL && extra[i] != NULL; i++)
        g_ptr_array_add(argv, (gpointer)extra[i]);
    g_ptr_array_add(argv, NULL);
    g_autoptr(GError) err = NULL;
    gboolean ok = g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                die_with_parent, GINT_TO_POINTER(getpid()), &r->pid, &err);
    ck_assert_msg(ok, "spawn redis-server: %s", err ? err->message : "?");
    r->fd = -1;
    for (int i = 0; i < 100 && r->fd < 0; i++) {
        g_usleep(50000);
        r->fd = connect_to(r->port);
    }
    ck_assert_msg(r->fd >= 0, "redis-server did not listen on %u (see %s)", r->port, log);
}

static void real_start(Real *r)
{
    real_spawn(r, NULL);
    static const char *const add[] = {"CLUSTER", "ADDSLOTSRANGE", "0", "16383", NULL};
    g_autofree char *ok_reply = real_call(r, add);
    ck_assert_str_eq(ok_reply, "+OK\r\n");
    static const char *const info[] = {"CLUSTER", "INFO", NULL};
    for (int i = 0; i < 200; i++) {
        g_autofree char *s = real_call(r, info);
        if (strstr(s, "cluster_state:ok"))
            return;
        g_usleep(50000);
    }
    ck_abort_msg("redis-server never reached cluster_state:ok");
}

/* Remove a dir and the files in it (a server's dir holds no subdirs). */
static void remove_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return;
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            remove_dir(path);
        else
            g_unlink(path);
    }
    g_dir_close(d);
    g_rmdir(dir);
}

static void real_stop(Real *r)
{
    if (r->dir == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    g_spawn_close_pid(r->pid);
    remove_dir(r->dir);
    g_clear_pointer(&r->dir, g_free);
}

static void suite_dir_make(void)
{
    base_dir = g_dir_make_tmp("rcsim-conformance-XXXXXX", NULL);
    ck_assert_ptr_nonnull(base_dir);
}

/* After the test case, in the runner's process: what failed tests left (their servers were
 * killed with them), retried while a dying server may still write its nodes.conf. */
static void suite_dir_remove(void)
{
    for (int i = 0; i < 20 && g_file_test(base_dir, G_FILE_TEST_EXISTS); i++) {
        remove_dir(base_dir);
        if (g_file_test(base_dir, G_FILE_TEST_EXISTS))
            g_usleep(50000);
    }
    g_clear_pointer(&base_dir, g_free);
}

/* ---- The rcsim node ---- */

/* One RcNode, or two wired to each other: their connections (replication to the master's
 * client port, the bus both ways) are pumped in-process, and both share one clock. Connects
 * elsewhere (to the real B, which has no RcNode) stay pending. */
typedef struct Sim Sim;
struct Sim {
    RcNode *node;
    GRand *rng;
    RcOutbox *out;
    RcTime now;
    guint32 handle; /* the test client's connection */
    Sim *peer;      /* the other node of a pair, or NULL */
    GArray *links;  /* SimLink: connections to the peer */
};

typedef struct {
    guint32 mine, theirs;
} SimLink;

static SimLink *sim_link(Sim *s, guint32 handle)
{
    for (guint i = 0; s->links != NULL && i < s->links->len; i++) {
        SimLink *l = &g_array_index(s->links, SimLink, i);
        if (l->mine == handle)
            return l;
    }
    return NULL;
}

static void sim_link_add(Sim *s, guint32 mine, guint32 theirs)
{
    if (s->links == NULL)
        s->links = g_array_new(FALSE, FALSE, sizeof(SimLink));
    SimLink l = {mine, theirs};
    g_array_append_val(s->links, l);
}

static void sim_link_remove(Sim *s, guint32 mine)
{
    for (guint i = 0; s->links != NULL && i < s->links->len; i++) {
        if (g_array_index(s->links, SimLink, i).mine == mine) {
            g_array_remove_index(s->links, i);
            return;
        }
    }
}

typedef struct {
    RcActionKind kind;
    guint32 handle;
    guint16 port;
    GBytes *bytes; /* SEND */
} SimAct;

/* The node's actions, copied, and its outbox cleared (acting on them adds new ones). */
static GArray *sim_take(Sim *s)
{
    GArray *acts = g_array_new(FALSE, TRUE, sizeof(SimAct));
    for (guint i = 0; i < rc_outbox_len(s->out); i++) {
        const RcAction *act = rc_outbox_get(s->out, i);
        SimAct a = {.kind = act->kind, .handle = act->handle, .port = act->port};
        if (act->kind == RC_ACT_SEND)
            a.bytes = rc_action_send_bytes(act);
        g_array_append_val(acts, a);
    }
    rc_outbox_clear(s->out);
    return acts;
}

/* Act on what x asked for; TRUE if it reached its peer. Sends on `handle` of `s` (the test
 * client's) go to `into`. */
static gboolean sim_act(Sim *x, const SimAct *a, Sim *s, guint32 handle, GString *into,
                        gboolean *closed)
{
    Sim *p = x->peer;
    if (x == s && a->handle == handle) {
        if (a->kind == RC_ACT_SEND && into != NULL)
            g_string_append_len(into, g_bytes_get_data(a->bytes, NULL),
                                (gssize)g_bytes_get_size(a->bytes));
        else if (a->kind == RC_ACT_CLOSE && closed != NULL)
            *closed = TRUE;
        return FALSE;
    }
    if (p == NULL)
        return FALSE;
    SimLink *l = sim_link(x, a->handle);
    if (l != NULL) {
        guint32 theirs = l->theirs;
        if (a->kind == RC_ACT_SEND) {
            gsize len;
            const guint8 *data = g_bytes_get_data(a->bytes, &len);
            rc_node_recv(p->node, p->now, theirs, data, len, p->out);
        } else if (a->kind == RC_ACT_CLOSE) {
            sim_link_remove(x, a->handle);
            sim_link_remove(p, theirs);
            rc_node_disconnected(p->node, p->now, theirs, RC_CONN_END_EOF, p->out);
        }
        return TRUE;
    }
    const RcNodeConfig *pc = rc_node_config(p->node);
    if (a->kind == RC_ACT_CONNECT && (a->port == pc->port || a->port == rc_node_config_cport(pc))) {
        RcListener where = a->port == pc->port ? RC_LISTENER_CLIENT : RC_LISTENER_BUS;
        guint32 theirs = rc_node_accept(p->node, p->now, where, "127.0.0.1",
                                        (guint16)(50100 + (p->links ? p->links->len : 0)), p->out);
        sim_link_add(x, a->handle, theirs);
        sim_link_add(p, theirs, a->handle);
        rc_node_connected(x->node, x->now, a->handle, x->out);
        return TRUE;
    }
    return FALSE; /* connects elsewhere, logs, events, saves */
}

/* Run both nodes' actions until nothing more passes between them; collect what s sent on
 * `handle`; TRUE in *closed if it closed it. */
static void sim_drain(Sim *s, guint32 handle, GString *into, gboolean *closed)
{
    for (;;) {
        gboolean moved = FALSE;
        Sim *nodes[2] = {s, s->peer};
        for (int k = 0; k < 2 && nodes[k] != NULL; k++) {
            g_autoptr(GArray) acts = sim_take(nodes[k]);
            for (guint i = 0; i < acts->len; i++) {
                SimAct *a = &g_array_index(acts, SimAct, i);
                moved |= sim_act(nodes[k], a, s, handle, into, closed);
                if (a->bytes != NULL)
                    g_bytes_unref(a->bytes);
            }
        }
        if (!moved)
            return;
        for (int k = 0; k < 2 && nodes[k] != NULL; k++)
            rc_node_before_sleep(nodes[k]->node, nodes[k]->now, nodes[k]->out);
    }
}

/* Run the timers of s (and its peer) up to `until`; replies to the test client are dropped. */
static void sim_advance(Sim *s, RcTime until)
{
    Sim *nodes[2] = {s, s->peer};
    g_autoptr(GString) dropped = g_string_new(NULL);
    for (;;) {
        RcTime t = rc_node_next_deadline(s->node);
        if (s->peer != NULL)
            t = MIN(t, rc_node_next_deadline(s->peer->node));
        if (t > until)
            break;
        for (int k = 0; k < 2 && nodes[k] != NULL; k++) {
            Sim *x = nodes[k];
            x->now = MAX(x->now, t);
            if (rc_node_next_deadline(x->node) <= x->now)
                rc_node_handle_expiry(x->node, x->now, x->out);
            rc_node_before_sleep(x->node, x->now, x->out);
        }
        sim_drain(s, s->handle, dropped, NULL);
    }
    for (int k = 0; k < 2 && nodes[k] != NULL; k++)
        nodes[k]->now = until;
    sim_drain(s, s->handle, dropped, NULL);
}

/* Feed bytes in the given cuts and return everything sent back. */
static GString *sim_send(Sim *s, guint32 handle, const char *data, gsize len, gsize cut,
                         gboolean *closed)
{
    GString *got = g_string_new(NULL);
    gsize parts[2] = {MIN(cut, len), len - MIN(cut, len)};
    const char *p = data;
    for (int i = 0; i < 2; i++) {
        if (parts[i] == 0)
            continue;
        s->now += RC_US_PER_MS;
        if (s->peer != NULL)
            s->peer->now = s->now;
        rc_node_recv(s->node, s->now, handle, (const guint8 *)p, parts[i], s->out);
        rc_node_before_sleep(s->node, s->now, s->out);
        sim_drain(s, handle, got, closed);
        p += parts[i];
    }
    return got;
}

/* A node at 127.0.0.1:port, booted from `nodes_conf` (NULL: a fresh node), with one client
 * connection. */
static void sim_boot(Sim *s, guint16 port, GBytes *nodes_conf)
{
    memset(s, 0, sizeof *s);
    s->rng = g_rand_new_with_seed(7);
    s->out = rc_outbox_new();
    s->now = 1000 * RC_US_PER_S;
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", port);
    s->node = rc_node_new(&cfg, s->rng, s->now, nodes_conf, s->out);
    s->handle = rc_node_accept(s->node, s->now, RC_LISTENER_CLIENT, "127.0.0.1", 50001, s->out);
}

static void sim_start(Sim *s)
{
    sim_boot(s, 30001, NULL);
    static const char add[] = "*4\r\n$7\r\nCLUSTER\r\n$13\r\nADDSLOTSRANGE\r\n$1\r\n0\r\n"
                              "$5\r\n16383\r\n";
    g_autoptr(GString) r = sim_send(s, s->handle, add, sizeof add - 1, 0, NULL);
    ck_assert_str_eq(r->str, "+OK\r\n");
    sim_advance(s, s->now + 3 * RC_US_PER_S);
    static const char info[] = "*2\r\n$7\r\nCLUSTER\r\n$4\r\nINFO\r\n";
    g_autoptr(GString) i = sim_send(s, s->handle, info, sizeof info - 1, 0, NULL);
    ck_assert_msg(strstr(i->str, "cluster_state:ok") != NULL, "rcsim node not ok: %s", i->str);
}

static void sim_stop(Sim *s)
{
    if (s->links != NULL)
        g_array_unref(s->links);
    rc_node_free(s->node);
    rc_outbox_free(s->out);
    g_rand_free(s->rng);
}

/* ---- Scripts ---- */

static const char *const script[] = {
    /* connection and server */
    "PING",
    "PING hello",
    "PING a b",
    "ECHO \"x y\"",
    "ECHO",
    "SELECT 0",
    "SELECT 1",
    "SELECT x",
    "DBSIZE",
    "FLUSHALL",
    "FLUSHALL ASYNC",
    "FLUSHALL SYNC",
    "FLUSHALL now",
    "DBSIZE",
    "NOSUCHCMD a b",
    "nosuchcmd",
    "READONLY",
    "READWRITE",
    "ASKING",
    /* strings */
    "GET s",
    "SET s v",
    "GET s",
    "SET s v2 NX",
    "SET s v3 XX",
    "GET s",
    "SET s2 v XX",
    "SET s2 v NX",
    "SET s v4 GET",
    "SET s v5 NX GET",
    "SET nx v XX GET",
    "SET s v EX 100",
    "~int:1 TTL s",
    "SET s v PX 100000",
    "~int:1 TTL s",
    "SET s v EX 0",
    "SET s v EX -5",
    "SET s v EX abc",
    "SET s v EX",
    "SET s v NX XX",
    "SET s v EX 10 PX 10",
    "SET s v KEEPTTL EX 1",
    "SET s v BOGUS",
    "SET s v EXAT 99999999999",
    "SET s v PXAT 99999999999999",
    "SET s v EX 100",
    "SET s x KEEPTTL",
    "~int:1 TTL s",
    "SET s v",
    "TTL s",
    "SET",
    "SET s",
    "SETNX s other",
    "SETNX fresh val",
    "GETSET s new",
    "GETSET nokey val",
    "GETSET",
    "APPEND s \"-tail\"",
    "APPEND newapp abc",
    "STRLEN s",
    "STRLEN nokey",
    "GET s",
    "INCR n",
    "INCR n",
    "DECR n",
    "INCRBY n 10",
    "INCRBY n -3",
    "DECRBY n 4",
    "INCRBY n x",
    "INCRBY n 1.5",
    "DECRBY n \"\"",
    "INCR s",
    "SET big 9223372036854775807",
    "INCR big",
    "DECRBY big -1",
    "SET small -9223372036854775808",
    "DECR small",
    "DECRBY n -9223372036854775808",
    "INCRBY n 9223372036854775807",
    "SET lz 007",
    "INCR lz",
    "SET sp \" 1\"",
    "INCR sp",
    "MSET {m}a 1 {m}b 2 {m}c 3",
    "MGET {m}a {m}b {m}nope {m}c",
    "MSET {m}a 1 {m}b",
    "MGET",
    "INCR {m}a",
    "GET {m}a",
    /* lists */
    "LPUSH l a b c",
    "RPUSH l d e",
    "LRANGE l 0 -1",
    "LRANGE l 1 2",
    "LRANGE l -2 -1",
    "LRANGE l 5 10",
    "LRANGE l 3 1",
    "LRANGE l -100 100",
    "LRANGE l x 1",
    "LRANGE nol 0 -1",
    "LLEN l",
    "LLEN nol",
    "LINDEX l 0",
    "LINDEX l -1",
    "LINDEX l 99",
    "LINDEX l y",
    "LINDEX nol 0",
    "LPOP l",
    "RPOP l",
    "LPOP l 2",
    "RPOP l 0",
    "LPOP l -1",
    "LPOP l x",
    "LPOP l 1 2",
    "RPOP l 10",
    "LLEN l",
    "EXISTS l",
    "LPOP l",
    "LPOP l 3",
    "LPUSH s x",
    "LRANGE s 0 1",
    "LPUSH",
    "RPUSH l",
    "LINDEX l",
    /* sets */
    "SADD si 3 1 2 -5 1",
    "SMEMBERS si",
    "SADD si 10",
    "SMEMBERS si",
    "SISMEMBER si 2",
    "SISMEMBER si 4",
    "SCARD si",
    "SREM si 1 99",
    "SMEMBERS si",
    "SADD ss b a c",
    "~sorted SMEMBERS ss",
    "SADD ss 1",
    "~sorted SMEMBERS ss",
    "SREM ss a b c 1",
    "EXISTS ss",
    "SCARD ss",
    "SMEMBERS nos",
    "SISMEMBER s x",
    "SADD s x",
    "SCARD s",
    "SADD",
    "SREM si",
    /* hashes */
    "HSET h f1 v1 f2 v2",
    "HSET h f1 w1 f3 v3",
    "HGETALL h",
    "HGET h f1",
    "HGET h nof",
    "HGET noh f",
    "HLEN h",
    "HDEL h f2 nof",
    "HGETALL h",
    "HINCRBY h n 5",
    "HINCRBY h n -7",
    "HINCRBY h f1 1",
    "HINCRBY h n x",
    "HINCRBY h n 9223372036854775807",
    "HSET h f",
    "HSET h",
    "HGETALL noh",
    "HLEN noh",
    "HDEL h f1 f3 n",
    "EXISTS h",
    "HSET s f v",
    "HGET s f",
    "HGETALL s",
    "HINCRBY s f 1",
    /* keys */
    "SET k1 a",
    "SET k2 b",
    "DEL k1 k2 k3",
    "EXISTS k1",
    "SET k1 a",
    "EXISTS k1 k1 nok",
    "TYPE k1",
    "TYPE si",
    "TYPE h2",
    "TYPE nok",
    "LPUSH lt x",
    "TYPE lt",
    "HSET ht a b",
    "TYPE ht",
    "EXPIRE k1 100",
    "~int:1 TTL k1",
    "~int:1000 PTTL k1",
    "EXPIRE k1 200 NX",
    "EXPIRE k1 50 XX",
    "EXPIRE k1 300 GT",
    "EXPIRE k1 10 LT",
    "EXPIRE k1 5 GT",
    "EXPIRE k1 10 NX XX",
    "EXPIRE k1 10 GT LT",
    "EXPIRE k1 10 BAD",
    "EXPIRE k1 x",
    "EXPIRE nok 10",
    "PERSIST k1",
    "PERSIST k1",
    "TTL k1",
    "PTTL k1",
    "TTL nok",
    "PTTL nok",
    "PEXPIRE k1 100000",
    "~int:1 TTL k1",
    "PEXPIREAT k1 99999999999999",
    "EXPIRE k1 -1",
    "EXISTS k1",
    "SET k1 a",
    "PEXPIREAT k1 1",
    "GET k1",
    "EXPIRE k1 9223372036854775807",
    "SET k1 a",
    "EXPIRE k1 9223372036854775807",
    "PERSIST nok",
    "DEL",
    "EXISTS",
    "TTL",
    /* transactions */
    "MULTI",
    "SET t1 1",
    "INCR t1",
    "GET t1",
    "EXEC",
    "MULTI",
    "MULTI",
    "DISCARD",
    "EXEC",
    "DISCARD",
    "MULTI",
    "SET t2",
    "NOSUCH",
    "EXEC",
    "GET t2",
    "MULTI",
    "SET t3 x",
    "LPUSH t3 y",
    "EXEC",
    "MULTI",
    "PING",
    "EXEC",
    "EXEC",
    "MULTI",
    "MULTI",
    "SET t4 1",
    "EXEC",
    "GET t4",
    "MULTI",
    "WAIT 1 0",
    "EXEC",
    "WAIT 0 0",
    "WAIT x 0",
    "WAIT 0 -1",
    "WAIT 0 x",
    "WAIT 0",
    "SELECT 99999999999",
    "SELECT -1",
    "MULTI",
    "SELECT 1",
    "EXEC",
    "MULTI",
    "GET",
    "SET t5 1",
    "EXEC",
    "GET t5",
    /* a refused EXEC ends the transaction (execCommandAbort), with or without MULTI */
    "MULTI",
    "SET q 1",
    "EXEC x",
    "GET q",
    "EXEC",
    "EXEC x",
    /* after an error nothing more is queued: EXEC is not routed by what follows */
    "MULTI",
    "NOSUCH",
    "SET a 1",
    "SET b 2",
    "EXEC",
    "GET a",
    /* hash slots */
    "CLUSTER KEYSLOT foo",
    "CLUSTER KEYSLOT {user1000}.following",
    "CLUSTER KEYSLOT \"\"",
    "CLUSTER KEYSLOT",
    "SET {x}1 a",
    "SET {x}2 b",
    "SET {x}3 c",
    "CLUSTER COUNTKEYSINSLOT 16287",
    "CLUSTER GETKEYSINSLOT 16287 2",
    "CLUSTER GETKEYSINSLOT 16287 10",
    "CLUSTER COUNTKEYSINSLOT 16384",
    "CLUSTER COUNTKEYSINSLOT -1",
    "CLUSTER COUNTKEYSINSLOT x",
    "CLUSTER GETKEYSINSLOT 0 -1",
    "CLUSTER GETKEYSINSLOT 0 x",
    "CLUSTER NOSUCH",
    "CLUSTER",
    "CLUSTER KEYSLOT a b",
    "~fields:cluster_state,cluster_slots_assigned,cluster_known_nodes,cluster_size CLUSTER INFO",
    /* routing errors: q hashes to 11958; with that slot unassigned the state turns FAIL at
     * before-sleep, but a key of an unassigned slot is refused first for that */
    "SET q v",
    "CLUSTER KEYSLOT q",
    "~sync CLUSTER DELSLOTS 11958",
    "GET q",
    "SET q w",
    "MGET q {q}x",
    "MGET {q}x a",
    "GET a",
    "PING",
    "MULTI",
    "GET q",
    "EXEC",
    "CLUSTER DELSLOTS 11958",
    "~fields:cluster_state,cluster_slots_assigned CLUSTER INFO",
    "~sync CLUSTER ADDSLOTS 11958",
    "GET q",
    "~fields:cluster_state,cluster_slots_assigned CLUSTER INFO",
    "MSET a 1 b 2",
    "MGET a b",
    "DEL a b",
    "EXISTS {x}1 {x}2",
    "DEL {x}1 {x}2 {x}3",
    "MULTI",
    "SET a 1",
    "SET b 2",
    "EXEC",
    /* INFO by field */
    "~fields:cluster_enabled INFO cluster",
    "~fields:role,connected_slaves INFO replication",
    "~fields:db0 INFO keyspace",
    "~fields:redis_version,redis_mode INFO server",
    "FLUSHALL",
    "~fields:db0 INFO keyspace",
    "DBSIZE",
};

typedef enum { CMP_EXACT, CMP_SORTED, CMP_FIELDS, CMP_INT } CmpMode;

typedef struct {
    CmpMode mode;
    gboolean is_sync; /* ~sync: the pipelined run ends a segment here */
    char *fields;     /* CMP_FIELDS: comma list */
    gint64 slack;     /* CMP_INT */
    char *request;    /* RESP */
    const char *line;
} Step;

static void parse_step(const char *line, Step *st)
{
    memset(st, 0, sizeof *st);
    st->line = line;
    const char *cmd = line;
    if (g_str_has_prefix(line, "~")) {
        const char *sp = strchr(line, ' ');
        g_autofree char *mode = g_strndup(line + 1, (gsize)(sp - line - 1));
        if (strcmp(mode, "sorted") == 0) {
            st->mode = CMP_SORTED;
        } else if (g_str_has_prefix(mode, "fields:")) {
            st->mode = CMP_FIELDS;
            st->fields = g_strdup(mode + 7);
        } else if (g_str_has_prefix(mode, "int:")) {
            st->mode = CMP_INT;
            st->slack = g_ascii_strtoll(mode + 4, NULL, 10);
        } else {
            ck_assert_msg(strcmp(mode, "sync") == 0, "bad script mode in %s", line);
            st->is_sync = TRUE;
        }
        cmd = sp + 1;
    }
    g_autoptr(RcArgv) a = rc_resp_split_args(cmd, strlen(cmd));
    ck_assert_msg(a != NULL && a->argc > 0, "bad script line %s", line);
    GString *r = g_string_new(NULL);
    rc_resp_encode_argv(r, a);
    st->request = g_string_free(r, FALSE);
}

static int cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The bulk elements of an array reply, sorted. */
static char *sorted_array(const char *reply)
{
    g_autoptr(GString) body = g_string_new(NULL);
    const char *nl = strchr(reply, '\n');
    if (reply[0] != '*' || nl == NULL)
        return g_strdup(reply);
    g_string_append(body, nl + 1);
    g_autoptr(GPtrArray) items = split_replies(body);
    g_ptr_array_sort(items, cmp_str);
    GString *out = g_string_new_len(reply, nl + 1 - reply);
    for (guint i = 0; i < items->len; i++)
        g_string_append(out, items->pdata[i]);
    return g_string_free(out, FALSE);
}

static char *field_value(const char *reply, const char *field)
{
    g_auto(GStrv) lines = g_strsplit(reply, "\r\n", -1);
    for (int i = 0; lines[i]; i++) {
        gsize fl = strlen(field);
        if (strncmp(lines[i], field, fl) == 0 && lines[i][fl] == ':') {
            const char *v = lines[i] + fl + 1;
            if (strcmp(field, "db0") == 0) /* keys=..,expires=..,avg_ttl=.. */
                return g_strndup(v, strstr(v, ",avg_ttl") ? (gsize)(strstr(v, ",avg_ttl") - v)
                                                          : strlen(v));
            return g_strdup(v);
        }
    }
    return g_strdup("(absent)");
}

static GString *mismatches;

#define expect_msg(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            g_string_append_printf(mismatches, __VA_ARGS__), g_string_append_c(mismatches, '\n');  \
    } while (0)

/* Record a mismatch (all are reported at the end of the test). */
static void compare(const Step *st, const char *real, const char *sim, const char *how)
{
    switch (st->mode) {
    case CMP_EXACT:
        expect_msg(strcmp(real, sim) == 0, "[%s] %s\n  redis: %s\n  rcsim: %s", how, st->line,
                   g_strescape(real, NULL), g_strescape(sim, NULL));
        break;
    case CMP_SORTED: {
        g_autofree char *a = sorted_array(real);
        g_autofree char *b = sorted_array(sim);
        expect_msg(strcmp(a, b) == 0, "[%s] %s\n  redis: %s\n  rcsim: %s", how, st->line,
                   g_strescape(real, NULL), g_strescape(sim, NULL));
        break;
    }
    case CMP_INT: {
        gint64 a = 0, b = 0;
        expect_msg(real[0] == ':' && sim[0] == ':', "[%s] %s: %s vs %s", how, st->line, real, sim);
        if (real[0] != ':' || sim[0] != ':')
            break;
        a = g_ascii_strtoll(real + 1, NULL, 10);
        b = g_ascii_strtoll(sim + 1, NULL, 10);
        expect_msg(ABS(a - b) <= st->slack, "[%s] %s: %" G_GINT64_FORMAT " vs %" G_GINT64_FORMAT,
                   how, st->line, a, b);
        break;
    }
    case CMP_FIELDS: {
        expect_msg(real[0] == '$' && sim[0] == '$', "[%s] %s: not bulks", how, st->line);
        if (real[0] != '$' || sim[0] != '$')
            break;
        g_auto(GStrv) names = g_strsplit(st->fields, ",", -1);
        for (int i = 0; names[i]; i++) {
            g_autofree char *a = field_value(real, names[i]);
            g_autofree char *b = field_value(sim, names[i]);
            expect_msg(strcmp(a, b) == 0, "[%s] %s: field %s: redis '%s' rcsim '%s'", how, st->line,
                       names[i], a, b);
        }
        break;
    }
    }
}

static Real real;
static Sim sim;

static void setup(void)
{
    mismatches = g_string_new(NULL);
    real_start(&real);
    sim_start(&sim);
}

static void teardown(void)
{
    g_string_free(mismatches, TRUE);
    real_stop(&real);
    sim_stop(&sim);
}

/* Generated lines: collections at the encoding limits of 7.0 (intset 512 entries,
 * listpack 128 fields) and a long list. */
static GPtrArray *generated_lines(void)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    GString *l = g_string_new(NULL);
    static const struct {
        const char *prefix;
        int n;
        const char *after;
    } gen[] = {
        {"SADD s512", 512, "SMEMBERS s512"},         /* still an intset: sorted */
        {"SADD s513", 513, "~sorted SMEMBERS s513"}, /* a hashtable now */
        {"RPUSH biglist", 700, "LRANGE biglist 100 110"},
        {"HSET bighash", 200, "HLEN bighash"},
    };
    for (gsize g = 0; g < G_N_ELEMENTS(gen); g++) {
        g_string_assign(l, gen[g].prefix);
        for (int i = gen[g].n; i > 0; i--) {
            g_string_append_printf(l, " %d", i * 7 - 300);
            if (g_str_has_prefix(gen[g].prefix, "HSET"))
                g_string_append_printf(l, " v%d", i);
        }
        g_ptr_array_add(lines, g_strdup(l->str));
        g_ptr_array_add(lines, g_strdup(gen[g].after));
    }
    g_ptr_array_add(lines, g_strdup("SREM s512 -293"));
    g_ptr_array_add(lines, g_strdup("SMEMBERS s512"));
    g_ptr_array_add(lines, g_strdup("LPOP biglist 5"));
    g_ptr_array_add(lines, g_strdup("RPOP biglist 3"));
    g_ptr_array_add(lines, g_strdup("LINDEX biglist -100"));
    g_ptr_array_add(lines, g_strdup("HGET bighash 100"));
    g_string_free(l, TRUE);
    return lines;
}

static GPtrArray *generated; /* kept for the Step.line pointers */

static Step *load_script(gsize *n)
{
    if (generated == NULL)
        generated = generated_lines();
    gsize fixed = G_N_ELEMENTS(script);
    *n = fixed + generated->len;
    Step *steps = g_new0(Step, *n);
    for (gsize i = 0; i < fixed; i++)
        parse_step(script[i], &steps[i]);
    for (guint i = 0; i < generated->len; i++)
        parse_step(generated->pdata[i], &steps[fixed + i]);
    return steps;
}

static void free_script(Step *steps, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        g_free(steps[i].fields);
        g_free(steps[i].request);
    }
    g_free(steps);
}

/* The redis-server replies of the one-by-one run, kept in the tree so the `unit` suite can
 * hold rcsim to them where redis-server is not installed. Regenerate after editing the
 * script: RCSIM_GOLDEN_OUT=tests/conformance/redis-7.0.15.replies build/tests/test_conformance */
#define GOLDEN "tests/conformance/redis-7.0.15.replies"

static GPtrArray *load_golden(void)
{
    const char *root = g_getenv("RCSIM_SOURCE_ROOT");
    g_autofree char *path = g_build_filename(root ? root : ".", GOLDEN, NULL);
    g_autofree char *data = NULL;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    GString buf = {data, len, len + 1};
    return split_replies(&buf);
}

START_TEST(test_script_one_by_one)
{
    gsize n;
    Step *steps = load_script(&n);
    ck_assert_uint_ge(n, 150);
    g_autoptr(GString) golden_out = g_string_new(NULL);
    /* RCSIM_GOLDEN_OUT: this file, or a directory that gets every golden file. */
    const char *env = g_getenv("RCSIM_GOLDEN_OUT");
    g_autofree char *out = NULL;
    if (env != NULL && g_file_test(env, G_FILE_TEST_IS_DIR))
        out = g_build_filename(env, "redis-7.0.15.replies", NULL);
    else if (env != NULL)
        out = g_strdup(env);
    g_autoptr(GPtrArray) golden = out ? NULL : load_golden();
    ck_assert_msg(out != NULL || (golden != NULL && golden->len == n),
                  "%s is missing or stale (%u replies for %zu steps): regenerate it with "
                  "RCSIM_GOLDEN_OUT=" GOLDEN " build/tests/test_conformance",
                  GOLDEN, golden ? golden->len : 0, n);
    for (gsize i = 0; i < n; i++) {
        send_all(real.fd, steps[i].request, strlen(steps[i].request));
        gboolean eof;
        g_autoptr(GPtrArray) r = read_replies(real.fd, 1, &eof);
        ck_assert_msg(r->len == 1, "%s: redis gave no reply", steps[i].line);
        g_string_append(golden_out, r->pdata[0]);
        g_autoptr(GString) s =
            sim_send(&sim, sim.handle, steps[i].request, strlen(steps[i].request), 0, NULL);
        compare(&steps[i], r->pdata[0], s->str, "one by one");
        if (golden != NULL)
            compare(&steps[i], r->pdata[0], golden->pdata[i], "golden file vs redis-server");
    }
    if (out != NULL)
        ck_assert(g_file_set_contents(out, golden_out->str, (gssize)golden_out->len, NULL));
    free_script(steps, n);
    ck_assert_msg(mismatches->len == 0, "replies differ:\n%s", mismatches->str);
}
END_TEST

/* Expiry on both clocks: "~sleep:N" waits N ms of real time for redis-server and advances
 * rcsim's virtual time by as much (its crons run meanwhile). Run one by one only. */
static const char *const expiry_script[] = {
    "SET e1 v PX 200", "SET e2 v PX 200", "PEXPIRE e3 200", "RPUSH e4 a b",   "PEXPIRE e4 200",
    "HSET e5 f v",     "EXPIRE e5 100",   "SADD e7 1 2",    "PEXPIRE e7 200", "~sleep:400",
    "GET e1",          "TTL e1",          "PTTL e1",        "EXISTS e2",      "LLEN e4",
    "TYPE e4",         "LRANGE e4 0 -1",  "~int:1 TTL e5",  "SMEMBERS e7",    "SISMEMBER e7 1",
    "SET e1 new",      "TTL e1",          "SETNX e2 x",     "INCR e2",        "SET e6 v PX 200",
    "SET e8 1 PX 200", "~sleep:400",      "APPEND e6 z",    "GET e6",         "INCR e8",
    "SET e9 v PX 200", "~sleep:400",      "SET e9 w XX",    "SET e9 w NX",    "GETSET e9 u",
    "DEL e9 e1",       "EXPIRE e5 1 GT",  "PERSIST e5",     "TTL e5",
};

START_TEST(test_expiry_one_by_one)
{
    for (gsize i = 0; i < G_N_ELEMENTS(expiry_script); i++) {
        const char *line = expiry_script[i];
        if (g_str_has_prefix(line, "~sleep:")) {
            gint64 ms = g_ascii_strtoll(line + 7, NULL, 10);
            g_usleep((gulong)ms * 1000);
            sim_advance(&sim, sim.now + ms * RC_US_PER_MS);
            continue;
        }
        Step st;
        parse_step(line, &st);
        send_all(real.fd, st.request, strlen(st.request));
        gboolean eof;
        g_autoptr(GPtrArray) r = read_replies(real.fd, 1, &eof);
        ck_assert_msg(r->len == 1, "%s: redis gave no reply", line);
        g_autoptr(GString) sr = sim_send(&sim, sim.handle, st.request, strlen(st.request), 0, NULL);
        compare(&st, r->pdata[0], sr->str, "expiry");
        g_free(st.fields);
        g_free(st.request);
    }
    ck_assert_msg(mismatches->len == 0, "replies differ:\n%s", mismatches->str);
}
END_TEST

/* The same script against rcsim alone, held to redis-server's stored replies. */
START_TEST(test_script_against_golden)
{
    gsize n;
    Step *steps = load_script(&n);
    g_autoptr(GPtrArray) golden = load_golden();
    ck_assert_msg(golden != NULL && golden->len == n, "%s is missing or stale", GOLDEN);
    for (gsize i = 0; i < n; i++) {
        g_autoptr(GString) s =
            sim_send(&sim, sim.handle, steps[i].request, strlen(steps[i].request), 0, NULL);
        compare(&steps[i], golden->pdata[i], s->str, "golden");
    }
    free_script(steps, n);
    ck_assert_msg(mismatches->len == 0, "replies differ:\n%s", mismatches->str);
}
END_TEST

static void setup_sim_only(void)
{
    mismatches = g_string_new(NULL);
    sim_start(&sim);
}

static void teardown_sim_only(void)
{
    g_string_free(mismatches, TRUE);
    sim_stop(&sim);
}

START_TEST(test_script_pipelined)
{
    gsize n;
    Step *steps = load_script(&n);
    g_autoptr(GString) seg = g_string_new(NULL);
    gsize first = 0;
    for (gsize i = 0; i < n; i++) {
        g_string_append(seg, steps[i].request);
        if (!steps[i].is_sync && i + 1 < n)
            continue;
        /* One segment: up to and including a ~sync step, or the end. */
        guint want = (guint)(i + 1 - first);
        send_all(real.fd, seg->str, seg->len);
        gboolean eof;
        g_autoptr(GPtrArray) r = read_replies(real.fd, want, &eof);
        ck_assert_uint_eq(r->len, want);
        /* Cut the pipeline somewhere inside a request for rcsim. */
        g_autoptr(GString) s =
            sim_send(&sim, sim.handle, seg->str, seg->len, seg->len / 3 + 1, NULL);
        g_autoptr(GPtrArray) sr = split_replies(s);
        ck_assert_uint_eq(sr->len, want);
        for (gsize j = 0; j < want; j++)
            compare(&steps[first + j], r->pdata[j], sr->pdata[j], "pipelined");
        g_string_truncate(seg, 0);
        first = i + 1;
    }
    free_script(steps, n);
    ck_assert_msg(mismatches->len == 0, "replies differ:\n%s", mismatches->str);
}
END_TEST

/* Malformed input on a fresh connection: the same error, then the connection closes. */
/* One malformed input on a fresh connection to both servers: the same bytes back, and the
 * connection closed by both. */
static void protocol_case(gsize i, const char *bytes, gsize len)
{
    int fd = connect_to(real.port);
    ck_assert_int_ge(fd, 0);
    send_all(fd, bytes, len);
    gboolean eof;
    g_autoptr(GPtrArray) r = read_replies(fd, 0, &eof);
    close(fd);
    ck_assert_msg(eof, "case %zu: redis kept the connection", i);
    g_autoptr(GString) rs = g_string_new(NULL);
    for (guint j = 0; j < r->len; j++)
        g_string_append(rs, r->pdata[j]);
    guint32 h = rc_node_accept(sim.node, sim.now, RC_LISTENER_CLIENT, "127.0.0.1", 50002, sim.out);
    gboolean closed = FALSE;
    g_autoptr(GString) s = sim_send(&sim, h, bytes, len, len / 2, &closed);
    ck_assert_msg(strcmp(rs->str, s->str) == 0, "case %zu:\n  redis: %s\n  rcsim: %s", i,
                  g_strescape(rs->str, NULL), g_strescape(s->str, NULL));
    ck_assert_msg(closed, "case %zu: rcsim kept the connection", i);
}

START_TEST(test_protocol_errors)
{
    static const char *const cases[] = {
        "*abc\r\n",
        "*1\r\n$x\r\n",
        "*1\r\n$-1\r\n",
        "*1\r\n$536870913\r\n",
        "*2\r\nx\r\n",
        "*1\r\n\n\r\n",
        "*3000000000\r\n",
        "set \"abc\r\n",
        "set \"a\"b\r\n",
        "PING\r\nGET k\r\n*1\r\n$4\r\nPING\r\n*z\r\n",
        "\xff\xfe\r\n*1\r\n:1\r\n",
        "MULTI\r\nSET a 1\r\n*1\r\n$01\r\n",
        "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n*+1\r\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
        protocol_case(i, cases[i], strlen(cases[i]));
    /* The 64 KiB limits, one byte over: inline line, multibulk count, bulk count. Redis
     * reads 16 KiB at a time and checks after each read. */
    gsize over = RC_PROTO_INLINE_MAX_SIZE + 1;
    g_autoptr(GString) big = g_string_new(NULL);
    g_string_append(big, "PING\r\n");
    while (big->len < 6 + over)
        g_string_append_c(big, 'a');
    protocol_case(100, big->str, big->len);
    g_string_assign(big, "*");
    while (big->len < over)
        g_string_append_c(big, '1');
    protocol_case(101, big->str, big->len);
    g_string_assign(big, "*1\r\n$");
    while (big->len < 4 + over)
        g_string_append_c(big, '2');
    protocol_case(102, big->str, big->len);
}
END_TEST

/* ---- Redirections: a cluster of three real servers ----
 *
 * MOVED and ASK name another node, so this part starts three redis-servers: A (slots
 * 0-8191, the one the script talks to), B (8192-16383) and C (a replica of A), met with
 * CLUSTER MEET. The rcsim side is two RcNodes, for A and for C, booted from the real
 * servers' own view (their CLUSTER NODES lines and currentEpoch, as a nodes.conf), so node
 * ids, addresses and slot owners are the real ones and every reply is comparable byte for
 * byte. B is only named: its replies never come into it.
 *
 * Script lines are as above, plus:
 *   @C        (first) send the request to the replica C instead of A
 *   $A $B $C  replaced by the node's id, $PB by B's port
 *   ~sleep:N  real time for the servers, virtual time for both RcNodes (whole line)
 * The pipelined run ends a segment at ~sync, ~sleep and wherever the target changes.
 *
 * The golden files hold the one-by-one replies and both views with the ids and ports of the
 * run that made them replaced by fixed ones (same lengths, so bulk lengths still hold): the
 * `unit` side boots the RcNodes from those views and holds them to those replies. */

/* Key slots: bar 5061, {r} 7893, user1000 3443, 06S 0 are A's; foo 12182, key 12539,
 * a 15495 are B's. C reads no key of 3443 or 12539, whose owner C learns by gossip. */
static const char *const redirect_script[] = {
    /* the view */
    "CLUSTER MYID",
    "~fields:cluster_state,cluster_slots_assigned,cluster_slots_ok,cluster_known_nodes,"
    "cluster_size CLUSTER INFO",
    "CLUSTER SLOTS",
    "CLUSTER KEYSLOT foo",
    "CLUSTER KEYSLOT bar",
    /* MOVED: B's keys, read or written, one or more keys of one slot */
    "GET foo",
    "SET foo 1",
    "GETSET foo 2",
    "APPEND foo x",
    "INCR foo",
    "DEL foo",
    "EXISTS foo",
    "TYPE foo",
    "TTL foo",
    "EXPIRE foo 10",
    "PERSIST foo",
    "STRLEN foo",
    "LPUSH foo a",
    "LRANGE foo 0 -1",
    "LPOP foo",
    "SADD foo m",
    "SMEMBERS foo",
    "HSET foo f v",
    "HGETALL foo",
    "GET a",
    "MGET {foo}a {foo}b",
    "MSET {foo}a 1 {foo}b 2",
    "DEL {foo}a {foo}b",
    "EXISTS {foo}a {foo}a",
    "MGET {foo}a foo",
    /* my own keys are served */
    "GET 06S",
    "SET bar 1",
    "GET bar",
    "MSET {bar}a 1 {bar}b 2",
    "MGET bar {bar}a {bar}b",
    /* CROSSSLOT comes before MOVED, whoever owns the slots */
    "MGET bar foo",
    "MGET foo bar",
    "MSET bar 1 foo 2",
    "DEL bar 06S",
    "EXISTS foo a",
    /* arity is checked before routing; the command's own argument errors after it */
    "SET foo",
    "MSET {foo}a 1 {foo}b",
    "MSET bar 1 {bar}a",
    "EXPIRE foo 10 BOGUS",
    "RESTORE foo 0 bogus",
    "RESTORE-ASKING foo 0 bogus",
    "MIGRATE 127.0.0.1 $PB foo 0 1000",
    "MIGRATE 127.0.0.1 $PB \"\" 0 1000 KEYS {foo}a foo",
    "MIGRATE 127.0.0.1 $PB \"\" 0 1000 KEYS bar foo",
    "MIGRATE 127.0.0.1 $PB {bar}zz 0 1000",
    /* no key, or arguments that are not keys: served here */
    "PING",
    "ECHO foo",
    "DBSIZE",
    "CLUSTER COUNTKEYSINSLOT 5061",
    "CLUSTER COUNTKEYSINSLOT 12182",
    "CLUSTER GETKEYSINSLOT 12182 5",
    "CLUSTER GETKEYSINSLOT 5061 5",
    /* READONLY on a master, ASKING outside an importing slot: nothing changes */
    "READONLY",
    "GET foo",
    "GET bar",
    "READWRITE",
    "ASKING",
    "GET foo",
    /* transactions: each command is routed when queued, EXEC routes the whole queue */
    "MULTI",
    "GET bar",
    "GET foo",
    "EXEC",
    "MULTI",
    "SET bar 2",
    "SET 06S 1",
    "EXEC",
    "GET bar",
    "MULTI",
    "SET bar 3",
    "GET {bar}a",
    "EXEC",
    /* a down cluster refuses keys before any MOVED; an unserved first key before that */
    "~sync CLUSTER DELSLOTS 5061",
    "GET foo",
    "GET bar",
    "MGET bar foo",
    "MGET foo bar",
    "GET 06S",
    "PING",
    "~fields:cluster_state,cluster_slots_assigned CLUSTER INFO",
    "~sync CLUSTER ADDSLOTS 5061",
    "GET bar",
    "GET foo",
    /* migrating slot 3443 (user1000) to B: present keys are served, missing ones ASK, a mix
     * is TRYAGAIN, and a key past its TTL is missing */
    "SET user1000 v",
    "SET {user1000}b v",
    "SET {user1000}exp v PX 100",
    "CLUSTER SETSLOT 3443 MIGRATING $B",
    "GET user1000",
    "SET user1000 w",
    "GET user1000",
    "TYPE user1000",
    "EXISTS user1000",
    "GET {user1000}missing",
    "SET {user1000}new v",
    "DEL {user1000}missing",
    "EXISTS {user1000}missing",
    "LPUSH {user1000}missing x",
    "MGET user1000 {user1000}b",
    "MGET user1000 {user1000}missing",
    "MGET {user1000}m1 {user1000}m2",
    "MSET user1000 1 {user1000}missing 2",
    "DEL user1000 {user1000}missing",
    /* MIGRATE runs in an open slot whether or not its keys are here */
    "MIGRATE 127.0.0.1 $PB {user1000}missing 0 1000",
    "MIGRATE 127.0.0.1 $PB \"\" 0 1000 KEYS {user1000}m1 {user1000}m2",
    /* ... but not inside a transaction: EXEC is routed as EXEC */
    "MULTI",
    "MIGRATE 127.0.0.1 $PB {user1000}missing 0 1000",
    "EXEC",
    /* a down cluster refuses before ASK */
    "~sync CLUSTER DELSLOTS 5061",
    "GET {user1000}missing",
    "GET user1000",
    "~sync CLUSTER ADDSLOTS 5061",
    "ASKING",
    "GET {user1000}missing",
    "MULTI",
    "GET user1000",
    "GET {user1000}missing",
    "EXEC",
    "MULTI",
    "GET user1000",
    "SET {user1000}b x",
    "EXEC",
    /* queued while both keys are here, run after one expired */
    "MULTI",
    "GET user1000",
    "GET {user1000}exp",
    "~sleep:400",
    "EXEC",
    "GET {user1000}exp",
    "MGET user1000 {user1000}exp",
    /* STABLE ends it; the slot is given away only without keys */
    "CLUSTER SETSLOT 3443 STABLE",
    "GET {user1000}missing",
    "DEL {user1000}exp",
    "CLUSTER COUNTKEYSINSLOT 3443",
    "~sync CLUSTER SETSLOT 3443 MIGRATING $B",
    "CLUSTER SETSLOT 3443 NODE $B",
    "DEL user1000 {user1000}b",
    "~sync CLUSTER SETSLOT 3443 NODE $B",
    "GET user1000",
    "SET user1000 v",
    "CLUSTER COUNTKEYSINSLOT 3443",
    /* importing slot 12539 (key) from B: MOVED without ASKING, served with it, once */
    "~sync CLUSTER SETSLOT 12539 IMPORTING $B",
    "GET key",
    "ASKING",
    "GET key",
    "GET key",
    "ASKING",
    "SET key v",
    "ASKING",
    "GET key",
    "GET key",
    "EXISTS key",
    "ASKING",
    "MGET key {key}missing",
    "ASKING",
    "MGET key key",
    "ASKING",
    "SET {key}b w",
    "ASKING",
    "MGET key {key}b",
    "ASKING",
    "MGET {key}m1 {key}m2",
    "ASKING",
    "PING",
    "GET key",
    "ASKING",
    "ASKING",
    "GET key",
    "ASKING",
    "GET foo",
    "GET key",
    "ASKING",
    "GET bar",
    /* ASKING lasts through a transaction; queued inside one it is not run */
    "ASKING",
    "MULTI",
    "GET key",
    "EXEC",
    "GET key",
    "MULTI",
    "ASKING",
    "GET key",
    "EXEC",
    "ASKING",
    "MULTI",
    "GET key",
    "GET {key}missing",
    "EXEC",
    "CLUSTER COUNTKEYSINSLOT 12539",
    "CLUSTER GETKEYSINSLOT 12539 10",
    "~sync CLUSTER DELSLOTS 5061",
    "ASKING",
    "GET key",
    "~sync CLUSTER ADDSLOTS 5061",
    /* RESTORE-ASKING needs no ASKING; MIGRATE runs; handing the slot back keeps the import */
    "RESTORE {key}r 0 bogus",
    "RESTORE-ASKING {key}r 0 bogus",
    "ASKING",
    "RESTORE {key}r 0 bogus",
    "MIGRATE 127.0.0.1 $PB {key}zz 0 1000",
    "~sync CLUSTER SETSLOT 12539 NODE $B",
    "GET key",
    "ASKING",
    "GET key",
    "CLUSTER SETSLOT 12539 NODE $B",
    /* the import ends: the slot is mine */
    "~sync CLUSTER SETSLOT 12539 NODE $A",
    "GET key",
    "MGET key {key}b",
    "~fields:cluster_state,cluster_slots_assigned,cluster_slots_ok CLUSTER INFO",
    "CLUSTER SLOTS",
    /* SETSLOT refusals */
    "CLUSTER SETSLOT 12182 MIGRATING $B",
    "CLUSTER SETSLOT 5061 IMPORTING $A",
    "CLUSTER SETSLOT 5061 MIGRATING 0000000000000000000000000000000000000000",
    "CLUSTER SETSLOT 5061 MIGRATING abc",
    "CLUSTER SETSLOT 5061 MIGRATING $C",
    "CLUSTER SETSLOT 5061 IMPORTING $C",
    "CLUSTER SETSLOT 5061 NODE $C",
    "CLUSTER SETSLOT 16384 STABLE",
    "CLUSTER SETSLOT -1 STABLE",
    "CLUSTER SETSLOT 5061 BOGUS",
    "CLUSTER SETSLOT 5061 MIGRATING",
    "CLUSTER SETSLOT 5061",
    /* the replica C (its RcNode fed by A's): READONLY clients read A's slots there, writes
     * and B's slots are MOVED */
    "WAIT 1 1000",
    "@C ~fields:role,master_link_status,connected_slaves INFO replication",
    "@C DBSIZE",
    "@C GET bar",
    "@C CLUSTER MYID",
    "@C ~fields:cluster_state,cluster_slots_assigned,cluster_known_nodes,cluster_size "
    "CLUSTER INFO",
    "@C GET {r}k",
    "@C SET {r}k v",
    "@C ASKING",
    "@C GET {r}k",
    "@C FLUSHALL",
    "@C MULTI",
    "@C FLUSHALL",
    "@C EXEC",
    "@C CLUSTER SETSLOT 7893 MIGRATING $B",
    "@C CLUSTER SETSLOT 7893 NODE $B",
    "@C READONLY",
    "@C GET bar",
    "@C MGET bar {bar}a {bar}b",
    "@C EXISTS bar {bar}a {bar}nosuch",
    "@C TYPE bar",
    "@C CLUSTER COUNTKEYSINSLOT 5061",
    "@C GET {r}k",
    "@C EXISTS {r}k {r}j",
    "@C MGET {r}k {r}j",
    "@C TYPE {r}k",
    "@C SET {r}k v",
    "@C DEL {r}k",
    "@C GET foo",
    "@C MGET {r}k foo",
    "@C MULTI",
    "@C GET {r}k",
    "@C EXEC",
    "@C MULTI",
    "@C SET {r}k 1",
    "@C EXEC",
    "@C MULTI",
    "@C GET {r}k",
    "@C GET foo",
    "@C EXEC",
    "@C ASKING",
    "@C GET foo",
    "@C READWRITE",
    "@C GET {r}k",
    "@C READWRITE",
    "@C PING",
    /* a write on A is read on C */
    "SET {r}k fresh",
    "WAIT 1 1000",
    "@C READONLY",
    "@C GET {r}k",
    "@C READWRITE",
    "@C GET {r}k",
    "DEL {r}k",
    "WAIT 1 1000",
    "@C DBSIZE",
    "GET foo",
};

#define R_NODES 3 /* A, B, C */
#define R_A 0
#define R_B 1
#define R_C 2

/* The ids and ports the golden files use in place of the real ones. */
static const char *const fixed_ids[R_NODES] = {
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "cccccccccccccccccccccccccccccccccccccccc",
};
static const guint16 fixed_ports[R_NODES] = {21001, 21002, 21003};

#define GOLDEN_REDIRECT "tests/conformance/redis-7.0.15-redirect.replies"
#define GOLDEN_VIEW_A "tests/conformance/redis-7.0.15-redirect-a.nodes.conf"
#define GOLDEN_VIEW_C "tests/conformance/redis-7.0.15-redirect-c.nodes.conf"

typedef struct {
    Step st;         /* request and comparison; st.request NULL for ~sleep */
    int target;      /* R_A or R_C */
    gint64 sleep_ms; /* ~sleep:N */
    char *expanded;  /* the line with the ids in */
} RStep;

static RStep *redirect_load(const char *const ids[R_NODES], guint16 b_port, gsize *n)
{
    char port_b[8];
    g_snprintf(port_b, sizeof port_b, "%u", b_port);
    *n = G_N_ELEMENTS(redirect_script);
    RStep *steps = g_new0(RStep, *n);
    for (gsize i = 0; i < *n; i++) {
        RStep *rs = &steps[i];
        const char *line = redirect_script[i];
        rs->target = R_A;
        if (g_str_has_prefix(line, "@C ")) {
            rs->target = R_C;
            line += 3;
        }
        if (g_str_has_prefix(line, "~sleep:")) {
            rs->sleep_ms = g_ascii_strtoll(line + 7, NULL, 10);
            ck_assert_int_gt(rs->sleep_ms, 0);
            rs->st.line = redirect_script[i];
            continue;
        }
        GString *e = g_string_new(line);
        static const char *const marks[R_NODES] = {"$A", "$B", "$C"};
        for (int k = 0; k < R_NODES; k++)
            g_string_replace(e, marks[k], ids[k], 0);
        g_string_replace(e, "$PB", port_b, 0);
        rs->expanded = g_string_free(e, FALSE);
        parse_step(rs->expanded, &rs->st);
        rs->st.line = redirect_script[i];
    }
    return steps;
}

static void redirect_free(RStep *steps, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        g_free(steps[i].st.fields);
        g_free(steps[i].st.request);
        g_free(steps[i].expanded);
    }
    g_free(steps);
}

static Real rreal[R_NODES];
static Sim rsim[2]; /* A and C */
static char *rids[R_NODES];

static Real *rreal_of(int target)
{
    return &rreal[target];
}

static Sim *rsim_of(int target)
{
    return &rsim[target == R_C ? 1 : 0];
}

/* Replace `from` by `to` (same length) wherever it is not followed by a digit. */
static void replace_token(GString *s, const char *from, const char *to)
{
    gsize fl = strlen(from);
    rc_assert(strlen(to) == fl);
    for (char *p = strstr(s->str, from); p != NULL; p = strstr(p + fl, from)) {
        if (!g_ascii_isdigit(p[fl]))
            memcpy(p, to, fl);
    }
}

/* Text with the ids and ports of this run put as the fixed ones (or back: `to_fixed`
 * FALSE maps the fixed ones to this run's). */
static char *normalize(const char *text, gboolean to_fixed)
{
    GString *s = g_string_new(text);
    for (int k = 0; k < R_NODES; k++) {
        guint16 port = rreal[k].port;
        g_autofree char *real_port = g_strdup_printf(":%u", port);
        g_autofree char *real_cport = g_strdup_printf("@%u", port + 10000);
        g_autofree char *fix_port = g_strdup_printf(":%u", fixed_ports[k]);
        g_autofree char *fix_cport = g_strdup_printf("@%u", fixed_ports[k] + 10000);
        rc_assert(strlen(real_port) == strlen(fix_port));
        if (to_fixed) {
            g_string_replace(s, rids[k], fixed_ids[k], 0);
            replace_token(s, real_port, fix_port);
            replace_token(s, real_cport, fix_cport);
        } else {
            g_string_replace(s, fixed_ids[k], rids[k], 0);
            replace_token(s, fix_port, real_port);
            replace_token(s, fix_cport, real_cport);
        }
    }
    return g_string_free(s, FALSE);
}

/* Poll `cmd` on `r` until every needle is in the reply ("!x": x is not), for up to 10 s. */
static void real_wait(Real *r, const char *const *cmd, const char *const *needles)
{
    g_autofree char *last = NULL;
    for (int i = 0; i < 200; i++) {
        g_free(last);
        last = real_call(r, cmd);
        gboolean all = TRUE;
        for (int k = 0; needles[k] != NULL && all; k++) {
            if (needles[k][0] == '!')
                all = strstr(last, needles[k] + 1) == NULL;
            else
                all = strstr(last, needles[k]) != NULL;
        }
        if (all)
            return;
        g_usleep(50000);
    }
    ck_abort_msg("redis-server on %u: %s %s never showed what was awaited:\n%s", r->port, cmd[0],
                 cmd[1] ? cmd[1] : "", last);
}

/* A server's view as a nodes.conf: its CLUSTER NODES lines and its currentEpoch (nobody
 * voted: lastVoteEpoch 0). */
static char *real_view(Real *r)
{
    static const char *const nodes[] = {"CLUSTER", "NODES", NULL};
    static const char *const info[] = {"CLUSTER", "INFO", NULL};
    g_autofree char *lines = real_call(r, nodes);
    g_autofree char *inf = real_call(r, info);
    const char *body = strchr(lines, '\n');
    ck_assert(lines[0] == '$' && body != NULL);
    g_autofree char *epoch = field_value(inf, "cluster_current_epoch");
    gsize len = strlen(body + 1);
    ck_assert(len >= 2);
    return g_strdup_printf("%.*svars currentEpoch %s lastVoteEpoch 0\n", (int)(len - 2), body + 1,
                           epoch);
}

static GString *sim_call(Sim *s, const char *const *cmd)
{
    g_autoptr(RcArgv) a = rc_argv_new_from_strv(cmd);
    g_autoptr(GString) req = g_string_new(NULL);
    rc_resp_encode_argv(req, a);
    return sim_send(s, s->handle, req->str, req->len, 0, NULL);
}

static void sim_expect(Sim *s, const char *const *cmd, const char *needle)
{
    g_autoptr(GString) r = sim_call(s, cmd);
    ck_assert_msg(strstr(r->str, needle) != NULL, "rcsim node on %u: %s %s: no %s in %s",
                  rc_node_config(s->node)->port, cmd[0], cmd[1], needle, r->str);
}

/* The RcNodes of A and C, booted from the views, wired for replication; C has done its full
 * sync (the master waits repl-diskless-sync-delay, 5 s) and both are ok. */
static void sim_boot_pair(Sim *pair, const char *const views[2], const guint16 ports[2])
{
    for (int k = 0; k < 2; k++) {
        g_autoptr(GBytes) conf = g_bytes_new(views[k], strlen(views[k]));
        sim_boot(&pair[k], ports[k], conf);
    }
    pair[0].peer = &pair[1];
    pair[1].peer = &pair[0];
    sim_advance(&pair[0], pair[0].now + 8 * RC_US_PER_S);
    static const char *const info[] = {"CLUSTER", "INFO", NULL};
    static const char *const repl[] = {"INFO", "replication", NULL};
    sim_expect(&pair[0], info, "cluster_state:ok");
    sim_expect(&pair[1], info, "cluster_state:ok");
    sim_expect(&pair[1], repl, "master_link_status:up");
    /* A lists C in CLUSTER SLOTS once C's bus messages carry a replication offset above 0:
     * move the offset (without leaving a key) and let them gossip. */
    static const char *const set[] = {"SET", "w", "1", NULL};
    static const char *const del[] = {"DEL", "w", NULL};
    static const char *const myid[] = {"CLUSTER", "MYID", NULL};
    static const char *const slots[] = {"CLUSTER", "SLOTS", NULL};
    sim_expect(&pair[0], set, "+OK");
    sim_expect(&pair[0], del, ":1");
    g_autoptr(GString) id = sim_call(&pair[1], myid);
    ck_assert(g_str_has_prefix(id->str, "$40\r\n"));
    g_autofree char *c_id = g_strndup(id->str + 5, 40);
    for (int i = 0; i < 50; i++) {
        g_autoptr(GString) r = sim_call(&pair[0], slots);
        if (strstr(r->str, c_id) != NULL)
            return;
        sim_advance(&pair[0], pair[0].now + 100 * RC_US_PER_MS);
    }
    ck_abort_msg("the rcsim node of A never listed its replica in CLUSTER SLOTS");
}

static char *rview[2]; /* the views the RcNodes of A and C booted from */

static void setup_redirect(void)
{
    mismatches = g_string_new(NULL);
    static const char *const extra[] = {"--repl-diskless-sync-delay", "0", NULL};
    for (int k = 0; k < R_NODES; k++)
        real_spawn(&rreal[k], extra);
    static const char *const myid[] = {"CLUSTER", "MYID", NULL};
    for (int k = 0; k < R_NODES; k++) {
        g_autofree char *r = real_call(&rreal[k], myid);
        ck_assert_msg(g_str_has_prefix(r, "$40\r\n"), "CLUSTER MYID: %s", r);
        rids[k] = g_strndup(r + 5, 40);
    }
    static const char *const add_a[] = {"CLUSTER", "ADDSLOTSRANGE", "0", "8191", NULL};
    static const char *const add_b[] = {"CLUSTER", "ADDSLOTSRANGE", "8192", "16383", NULL};
    g_autofree char *ra = real_call(&rreal[R_A], add_a);
    g_autofree char *rb = real_call(&rreal[R_B], add_b);
    ck_assert_str_eq(ra, "+OK\r\n");
    ck_assert_str_eq(rb, "+OK\r\n");
    g_autofree char *pa = g_strdup_printf("%u", rreal[R_A].port);
    g_autofree char *pb = g_strdup_printf("%u", rreal[R_B].port);
    const char *meet_b[] = {"CLUSTER", "MEET", "127.0.0.1", pb, NULL};
    const char *meet_a[] = {"CLUSTER", "MEET", "127.0.0.1", pa, NULL};
    g_autofree char *m1 = real_call(&rreal[R_A], meet_b);
    g_autofree char *m2 = real_call(&rreal[R_C], meet_a);
    ck_assert_str_eq(m1, "+OK\r\n");
    ck_assert_str_eq(m2, "+OK\r\n");
    /* C can follow A once it knows A by its id (after the handshake). */
    static const char *const nodes[] = {"CLUSTER", "NODES", NULL};
    g_autofree char *a_known = g_strdup_printf("%s 127.0.0.1:%u", rids[R_A], rreal[R_A].port);
    const char *const c_knows_a[] = {a_known, NULL};
    real_wait(&rreal[R_C], nodes, c_knows_a);
    const char *replicate[] = {"CLUSTER", "REPLICATE", rids[R_A], NULL};
    g_autofree char *rr = real_call(&rreal[R_C], replicate);
    ck_assert_str_eq(rr, "+OK\r\n");
    /* Everyone sees everyone with the final roles and slots; C is in sync with A. */
    g_autofree char *slave_of_a = g_strdup_printf("slave %s", rids[R_A]);
    g_autofree char *myself_slave = g_strdup_printf("myself,slave %s", rids[R_A]);
    g_autofree char *b_line = g_strdup_printf("%s 127.0.0.1:%u", rids[R_B], rreal[R_B].port);
    g_autofree char *c_line = g_strdup_printf("%s 127.0.0.1:%u", rids[R_C], rreal[R_C].port);
    const char *const a_sees[] = {
        "myself,master",        b_line,       c_line,  slave_of_a, "connected 0-8191",
        "connected 8192-16383", "!handshake", "!fail", "!noaddr",  NULL};
    const char *const c_sees[] = {
        myself_slave, a_known,   b_line, "connected 0-8191", "connected 8192-16383", "!handshake",
        "!fail",      "!noaddr", NULL};
    static const char *const info[] = {"CLUSTER", "INFO", NULL};
    static const char *const ok[] = {"cluster_state:ok", "cluster_slots_assigned:16384", NULL};
    static const char *const repl[] = {"INFO", "replication", NULL};
    static const char *const synced[] = {"master_link_status:up", NULL};
    real_wait(&rreal[R_A], nodes, a_sees);
    real_wait(&rreal[R_C], nodes, c_sees);
    for (int k = 0; k < R_NODES; k++)
        real_wait(&rreal[k], info, ok);
    real_wait(&rreal[R_C], repl, synced);
    /* A lists C in CLUSTER SLOTS once C's pings carry a replication offset above 0. */
    static const char *const set[] = {"SET", "w", "1", NULL};
    static const char *const del[] = {"DEL", "w", NULL};
    g_autofree char *r1 = real_call(&rreal[R_A], set);
    g_autofree char *r2 = real_call(&rreal[R_A], del);
    ck_assert_str_eq(r2, ":1\r\n");
    static const char *const slots[] = {"CLUSTER", "SLOTS", NULL};
    const char *const lists_c[] = {rids[R_C], NULL};
    real_wait(&rreal[R_A], slots, lists_c);
    rview[0] = real_view(&rreal[R_A]);
    rview[1] = real_view(&rreal[R_C]);
    const guint16 ports[2] = {rreal[R_A].port, rreal[R_C].port};
    sim_boot_pair(rsim, (const char *const *)rview, ports);
}

static void teardown_redirect(void)
{
    g_string_free(mismatches, TRUE);
    for (int k = 0; k < R_NODES; k++) {
        real_stop(&rreal[k]);
        g_clear_pointer(&rids[k], g_free);
    }
    for (int k = 0; k < 2; k++) {
        sim_stop(&rsim[k]);
        g_clear_pointer(&rview[k], g_free);
    }
}

static void sleep_both(gint64 ms, gboolean real_time)
{
    if (real_time)
        g_usleep((gulong)ms * 1000);
    sim_advance(&rsim[0], rsim[0].now + ms * RC_US_PER_MS); /* and its peer */
}

static char *golden_path(const char *rel)
{
    const char *root = g_getenv("RCSIM_SOURCE_ROOT");
    return g_build_filename(root ? root : ".", rel, NULL);
}

/* The file named by RCSIM_GOLDEN_OUT if it names a directory: golden files are written
 * there under their own names. NULL when not regenerating. */
static char *golden_out_path(const char *rel)
{
    const char *out = g_getenv("RCSIM_GOLDEN_OUT");
    if (out == NULL || !g_file_test(out, G_FILE_TEST_IS_DIR))
        return NULL;
    g_autofree char *base = g_path_get_basename(rel);
    return g_build_filename(out, base, NULL);
}

static GPtrArray *load_redirect_golden(void)
{
    g_autofree char *path = golden_path(GOLDEN_REDIRECT);
    g_autofree char *data = NULL;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    GString buf = {data, len, len + 1};
    return split_replies(&buf);
}

static gsize count_requests(const RStep *steps, gsize n)
{
    gsize k = 0;
    for (gsize i = 0; i < n; i++)
        k += steps[i].st.request != NULL;
    return k;
}

START_TEST(test_redirect_one_by_one)
{
    gsize n;
    RStep *steps = redirect_load((const char *const *)rids, rreal[R_B].port, &n);
    gsize nreq = count_requests(steps, n);
    g_autofree char *out = golden_out_path(GOLDEN_REDIRECT);
    g_autoptr(GPtrArray) golden = out ? NULL : load_redirect_golden();
    ck_assert_msg(out != NULL || (golden != NULL && golden->len == nreq),
                  "%s is missing or stale (%u replies for %zu requests): regenerate it with "
                  "RCSIM_GOLDEN_OUT=$PWD/tests/conformance build/tests/test_conformance",
                  GOLDEN_REDIRECT, golden ? golden->len : 0, nreq);
    g_autoptr(GString) golden_out = g_string_new(NULL);
    gsize g = 0;
    for (gsize i = 0; i < n; i++) {
        RStep *rs = &steps[i];
        if (rs->sleep_ms > 0) {
            sleep_both(rs->sleep_ms, TRUE);
            continue;
        }
        Real *r = rreal_of(rs->target);
        Sim *s = rsim_of(rs->target);
        send_all(r->fd, rs->st.request, strlen(rs->st.request));
        gboolean eof;
        g_autoptr(GPtrArray) rr = read_replies(r->fd, 1, &eof);
        ck_assert_msg(rr->len == 1, "%s: redis gave no reply", rs->st.line);
        g_autoptr(GString) sr =
            sim_send(s, s->handle, rs->st.request, strlen(rs->st.request), 0, NULL);
        compare(&rs->st, rr->pdata[0], sr->str, "one by one");
        g_autofree char *norm = normalize(rr->pdata[0], TRUE);
        g_string_append(golden_out, norm);
        if (golden != NULL)
            compare(&rs->st, norm, golden->pdata[g], "golden file vs redis-server");
        g++;
    }
    if (out != NULL) {
        ck_assert(g_file_set_contents(out, golden_out->str, (gssize)golden_out->len, NULL));
        const char *views[2] = {GOLDEN_VIEW_A, GOLDEN_VIEW_C};
        for (int k = 0; k < 2; k++) {
            g_autofree char *vpath = golden_out_path(views[k]);
            g_autofree char *norm = normalize(rview[k], TRUE);
            ck_assert(g_file_set_contents(vpath, norm, -1, NULL));
        }
    }
    redirect_free(steps, n);
    ck_assert_msg(mismatches->len == 0, "replies differ:\n%s", mismatches->str);
}
END_TEST

/* The same script pipelined: one write per segment; rcsim gets it cut mid-request. */
START_TEST(test_redirect_pipelined)
{
    gsize n;
    RStep *steps = redirect_load((const char *const *)rids, rreal[R_B].port, &n);
    g_autoptr(GString) seg = g_string_new(NULL);
    gsize first = 0;
    for (gsize i = 0; i < n; i++) {
        RStep *rs = &steps[i];
        if (rs->sleep_ms > 0) {
            sleep_both(rs->sleep_ms, TRUE);
            first = i + 1;
            continue;
        }
        g_string_append(seg, rs->st.request);
        gboolean last =
            i + 1 == n || steps[i + 1].sleep_ms > 0 || steps[i + 1].target != rs->target;
        if (!rs->st.is_sync && !last)
            continue;
        guint want = (guint)(i + 1 - first);
        Real *r = rreal_of(rs->target);
        Sim *s = rsim_of(rs->target);
        send_all(r->fd, seg->str, seg->len);
        gboolean eof;
        g_autoptr(GPtrArray) rr = read_replies(r->fd, want, &eof);
        ck_assert_uint_eq(rr->len, want);
        g_autoptr(GString) sr = sim_send(s, s->handle, seg->str, seg->len, seg->len / 3 + 1, NULL);
        g_autoptr(GPtrArray) srs = split_replies(sr);
        ck_assert_uint_eq(srs->len, want);
        for (gsize j = 0; j < want; j++)
            compare(&steps[first + j].st, rr->pdata[j], srs->pdata[j], "pipelined");
        g_string_truncate(seg, 0);
        first = i + 1;
    }
    redirect_free(steps, n);
    ck_assert_msg(mismatches->len == 0, "replies differ:\n%s", mismatches->str);
}
END_TEST

/* The `unit` side: the RcNodes booted from the stored views, held to the stored replies. */
static void setup_redirect_sim_only(void)
{
    mismatches = g_string_new(NULL);
    const char *views[2] = {GOLDEN_VIEW_A, GOLDEN_VIEW_C};
    for (int k = 0; k < 2; k++) {
        g_autofree char *path = golden_path(views[k]);
        ck_assert_msg(g_file_get_contents(path, &rview[k], NULL, NULL), "%s is missing", path);
    }
    const guint16 ports[2] = {fixed_ports[R_A], fixed_ports[R_C]};
    sim_boot_pair(rsim, (const char *const *)rview, ports);
}

static void teardown_redirect_sim_only(void)
{
    g_string_free(mismatches, TRUE);
    for (int k = 0; k < 2; k++) {
        sim_stop(&rsim[k]);
        g_clear_pointer(&rview[k], g_free);
    }
}

START_TEST(test_redirect_against_golden)
{
    gsize n;
    RStep *steps = redirect_load(fixed_ids, fixed_ports[R_B], &n);
    g_autoptr(GPtrArray) golden = load_redirect_golden();
    ck_assert_msg(golden != NULL && golden->len == count_requests(steps, n),
                  "%s is missing or stale", GOLDEN_REDIRECT);
    gsize g = 0;
    for (gsize i = 0; i < n; i++) {
        RStep *rs = &steps[i];
        if (rs->sleep_ms > 0) {
            sleep_both(rs->sleep_ms, FALSE);
            continue;
        }
        Sim *s = rsim_of(rs->target);
        g_autoptr(GString) sr =
            sim_send(s, s->handle, rs->st.request, strlen(rs->st.request), 0, NULL);
        compare(&rs->st, golden->pdata[g++], sr->str, "golden");
    }
    redirect_free(steps, n);
    ck_assert_msg(mismatches->len == 0, "replies differ:\n%s", mismatches->str);
}
END_TEST

Suite *conformance_suite(void);
Suite *conformance_suite(void)
{
    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("redis-server-7.0");
    tcase_add_unchecked_fixture(tc, suite_dir_make, suite_dir_remove);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_script_one_by_one);
    tcase_add_test(tc, test_script_pipelined);
    tcase_add_test(tc, test_protocol_errors);
    tcase_add_test(tc, test_expiry_one_by_one);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("redis-server-7.0-cluster");
    tcase_add_unchecked_fixture(tr, suite_dir_make, suite_dir_remove);
    tcase_add_checked_fixture(tr, setup_redirect, teardown_redirect);
    tcase_set_timeout(tr, 60);
    tcase_add_test(tr, test_redirect_one_by_one);
    tcase_add_test(tr, test_redirect_pipelined);
    suite_add_tcase(s, tr);
    return s;
}

/* The `unit` side: rcsim against the stored redis-server replies, no server needed. */
Suite *conformance_golden_suite(void);
Suite *conformance_golden_suite(void)
{
    Suite *s = suite_create("conformance-golden");
    TCase *tc = tcase_create("stored-replies");
    tcase_add_checked_fixture(tc, setup_sim_only, teardown_sim_only);
    tcase_add_test(tc, test_script_against_golden);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("stored-redirect-replies");
    tcase_add_checked_fixture(tr, setup_redirect_sim_only, teardown_redirect_sim_only);
    tcase_add_test(tr, test_redirect_against_golden);
    suite_add_tcase(s, tr);
    return s;
}
