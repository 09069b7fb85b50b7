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
 * the same error and a closed connection on both sides. */
#include <check.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

static void real_start(Real *r)
{
    if (!g_file_test(REDIS_SERVER, G_FILE_TEST_IS_EXECUTABLE))
        ck_abort_msg(REDIS_SERVER " is missing: install the Debian package redis-server "
                                  "(apt-get install redis-server) to run the conformance suite");
    r->dir = g_dir_make_tmp("rcsim-conformance-XXXXXX", NULL);
    ck_assert_ptr_nonnull(r->dir);
    r->port = pick_port();
    g_autofree char *port = g_strdup_printf("%u", r->port);
    g_autofree char *log = g_build_filename(r->dir, "redis.log", NULL);
    const char *argv[] = {
        REDIS_SERVER, "--port",    port, "--bind",       "127.0.0.1", "--cluster-enabled",
        "yes",        "--save",    "",   "--appendonly", "no",        "--dir",
        r->dir,       "--logfile", log,  "--daemonize",  "no",        NULL};
    g_autoptr(GError) err = NULL;
    gboolean ok = g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &r->pid, &err);
    ck_assert_msg(ok, "spawn redis-server: %s", err ? err->message : "?");
    r->fd = -1;
    for (int i = 0; i < 100 && r->fd < 0; i++) {
        g_usleep(50000);
        r->fd = connect_to(r->port);
    }
    ck_assert_msg(r->fd >= 0, "redis-server did not listen on %u (see %s)", r->port, log);
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

static void real_stop(Real *r)
{
    if (r->fd >= 0)
        close(r->fd);
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    g_spawn_close_pid(r->pid);
    g_autofree char *conf = g_build_filename(r->dir, "nodes.conf", NULL);
    g_autofree char *log = g_build_filename(r->dir, "redis.log", NULL);
    g_unlink(conf);
    g_unlink(log);
    g_rmdir(r->dir);
    g_free(r->dir);
}

/* ---- The rcsim node ---- */

typedef struct {
    RcNode *node;
    GRand *rng;
    RcOutbox *out;
    RcTime now;
    guint32 handle;
} Sim;

/* Collect what the node sent on `handle`; TRUE in *closed if it closed it. */
static void sim_drain(Sim *s, guint32 handle, GString *into, gboolean *closed)
{
    for (guint i = 0; i < rc_outbox_len(s->out); i++) {
        const RcAction *act = rc_outbox_get(s->out, i);
        if (act->handle != handle)
            continue;
        if (act->kind == RC_ACT_SEND) {
            g_string_append_len(into, (const char *)act->data, (gssize)act->len);
        } else if (act->kind == RC_ACT_CLOSE && closed) {
            *closed = TRUE;
        }
    }
    rc_outbox_clear(s->out);
}

static void sim_advance(Sim *s, RcTime until)
{
    while (rc_node_next_deadline(s->node) <= until) {
        s->now = MAX(s->now, rc_node_next_deadline(s->node));
        rc_node_handle_expiry(s->node, s->now, s->out);
        rc_node_before_sleep(s->node, s->now, s->out);
    }
    s->now = until;
    rc_outbox_clear(s->out);
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
        rc_node_recv(s->node, s->now, handle, (const guint8 *)p, parts[i], s->out);
        rc_node_before_sleep(s->node, s->now, s->out);
        sim_drain(s, handle, got, closed);
        p += parts[i];
    }
    return got;
}

static void sim_start(Sim *s)
{
    memset(s, 0, sizeof *s);
    s->rng = g_rand_new_with_seed(7);
    s->out = rc_outbox_new();
    s->now = 1000 * RC_US_PER_S;
    RcNodeConfig cfg;
    rc_node_config_init(&cfg, "127.0.0.1", 30001);
    s->node = rc_node_new(&cfg, s->rng, s->now, NULL, s->out);
    s->handle = rc_node_accept(s->node, s->now, RC_LISTENER_CLIENT, "127.0.0.1", 50001, s->out);
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
    const char *out = g_getenv("RCSIM_GOLDEN_OUT");
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

Suite *conformance_suite(void);
Suite *conformance_suite(void)
{
    Suite *s = suite_create("conformance");
    TCase *tc = tcase_create("redis-server-7.0");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_script_one_by_one);
    tcase_add_test(tc, test_script_pipelined);
    tcase_add_test(tc, test_protocol_errors);
    tcase_add_test(tc, test_expiry_one_by_one);
    suite_add_tcase(s, tc);
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
    return s;
}
