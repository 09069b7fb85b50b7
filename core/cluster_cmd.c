/* The CLUSTER command (cluster.c: clusterCommand and its reply builders), RESP2 replies.
 *
 * Subcommand names and arities are Redis 7.0's command table (commands.c); an unknown one
 * or a wrong count answers as processCommand does. FAILOVER, SETSLOT and BUMPEPOCH belong
 * to the failover modules, which get the first look at every call. */
#include "core/bus.h"
#include "core/commands.h"
#include "core/failover.h"
#include "core/keyspace.h"
#include "core/replication.h"
#include "core/resp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- RESP2 reply helpers ---- */

void rc_cluster_reply_error(GString *reply, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* addReplyError: newlines would break the protocol */
    for (char *p = msg; *p; p++)
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    g_string_append_printf(reply, "-ERR %s\r\n", msg);
    g_free(msg);
}

static void reply_ok(GString *r)
{
    g_string_append(r, "+OK\r\n");
}

static void reply_int(GString *r, gint64 v)
{
    rc_reply_int(r, v);
}

static void reply_bulk(GString *r, const char *data, gsize len)
{
    rc_reply_bulk(r, data, len);
}

static void reply_cstr(GString *r, const char *s)
{
    rc_reply_bulk(r, s, strlen(s));
}

static void reply_array(GString *r, gint64 n)
{
    rc_reply_array(r, n);
}

/* ---- arguments ---- */

static const char *arg(const RcCommandCall *call, int i, gsize *len)
{
    return rc_argv_data(call->args, i, len);
}

/* A NUL-terminated copy of argument i, for messages and number parsing. */
static char *arg_str(const RcCommandCall *call, int i)
{
    gsize len;
    const char *d = arg(call, i, &len);
    return g_strndup(d, len);
}

static gboolean arg_is(const RcCommandCall *call, int i, const char *word)
{
    rc_assert(i >= 0 && i < call->args->argc);
    return rc_argv_is(call->args, i, word);
}

/* string2ll: a strict signed 64-bit integer. */
static gboolean arg_ll(const RcCommandCall *call, int i, gint64 *v)
{
    g_autofree char *s = arg_str(call, i);
    gsize len = strlen(s);
    if (len == 0 || len > 20 || (len > 1 && s[0] == '0') || (s[0] == '-' && s[1] == '0'))
        return FALSE;
    char *end = NULL;
    errno = 0;
    gint64 x = g_ascii_strtoll(s, &end, 10);
    if (end == NULL || *end != '\0' || errno == ERANGE)
        return FALSE;
    *v = x;
    return TRUE;
}

static gboolean arg_ll_or_reply(RcCommandCall *call, int i, gint64 *v)
{
    if (!arg_ll(call, i, v)) {
        rc_cluster_reply_error(call->reply, "value is not an integer or out of range");
        return FALSE;
    }
    return TRUE;
}

static int slot_or_reply(RcCommandCall *call, int i)
{
    gint64 slot;
    if (!arg_ll(call, i, &slot) || slot < 0 || slot >= RC_CLUSTER_SLOTS) {
        rc_cluster_reply_error(call->reply, "Invalid or out of range slot");
        return -1;
    }
    return (int)slot;
}

static RcClusterNode *lookup_arg(RcCommandCall *call, int i)
{
    gsize len;
    const char *d = arg(call, i, &len);
    return rc_cluster_lookup_len(call->node, d, len);
}

static void reply_unknown_node(RcCommandCall *call, int i)
{
    g_autofree char *s = arg_str(call, i);
    rc_cluster_reply_error(call->reply, "Unknown node %s", s);
}

/* ---- subcommands ---- */

static gboolean valid_ip(const char *ip, char norm[RC_NET_IP_STR_LEN])
{
    /* inet_pton for IPv4 dotted quads; IPv6 kept as given when it parses as hex groups. */
    guint a[4];
    char tail;
    if (sscanf(ip, "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3], &tail) == 4 && a[0] < 256 &&
        a[1] < 256 && a[2] < 256 && a[3] < 256) {
        g_snprintf(norm, RC_NET_IP_STR_LEN, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        return strspn(ip, "0123456789.") == strlen(ip);
    }
    if (strchr(ip, ':') != NULL && strlen(ip) < RC_NET_IP_STR_LEN &&
        strspn(ip, "0123456789abcdefABCDEF:.") == strlen(ip)) {
        g_strlcpy(norm, ip, RC_NET_IP_STR_LEN);
        return TRUE;
    }
    return FALSE;
}

/* clusterStartHandshake: FALSE only for an invalid address. */
static gboolean start_handshake(RcNode *node, const char *ip, gint64 port, gint64 cport)
{
    char norm[RC_NET_IP_STR_LEN] = {0};
    if (!valid_ip(ip, norm))
        return FALSE;
    if (port <= 0 || port > 65535 || cport <= 0 || cport > 65535)
        return FALSE;
    RcCluster *c = node->cluster;
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (rc_node_in_handshake(n) && g_ascii_strcasecmp(n->ip, norm) == 0 && n->port == port &&
            n->cport == cport)
            return TRUE; /* EAGAIN: already in progress, still +OK */
    }
    RcClusterNode *n = rc_cluster_node_new(node, NULL, RC_NODE_HANDSHAKE | RC_NODE_MEET);
    memcpy(n->ip, norm, RC_NET_IP_STR_LEN);
    n->port = (guint16)port;
    n->cport = (guint16)cport;
    rc_cluster_node_add(node, n);
    return TRUE;
}

static void cmd_meet(RcCommandCall *call)
{
    gint64 port, cport;
    if (!arg_ll(call, 3, &port)) {
        g_autofree char *s = arg_str(call, 3);
        rc_cluster_reply_error(call->reply, "Invalid TCP base port specified: %s", s);
        return;
    }
    if (call->args->argc == 5) {
        if (!arg_ll(call, 4, &cport)) {
            g_autofree char *s = arg_str(call, 4);
            rc_cluster_reply_error(call->reply, "Invalid TCP bus port specified: %s", s);
            return;
        }
    } else {
        cport = port + RC_CLUSTER_PORT_INCR;
    }
    g_autofree char *ip = arg_str(call, 2);
    if (!start_handshake(call->node, ip, port, cport)) {
        g_autofree char *ps = arg_str(call, 3);
        rc_cluster_reply_error(call->reply, "Invalid node address specified: %s:%s", ip, ps);
        return;
    }
    reply_ok(call->reply);
}

static void cmd_nodes(RcCommandCall *call)
{
    g_autofree char *text = rc_nodes_describe(call->node, 0);
    reply_cstr(call->reply, text);
}

static void cmd_myid(RcCommandCall *call)
{
    reply_bulk(call->reply, call->node->cluster->myself->name, RC_CLUSTER_NAMELEN);
}

static void cmd_info(RcCommandCall *call)
{
    RcCluster *c = call->node->cluster;
    int assigned = 0, ok = 0, pfail = 0, fail = 0;
    const GArray *runs = rc_cluster_slot_runs(c); /* a slot at a time, from the cached runs */
    for (guint i = 0; i < runs->len; i++) {
        const RcSlotRun *r = &g_array_index(runs, RcSlotRun, i);
        const RcClusterNode *n = c->slots[r->first];
        int len = r->last - r->first + 1;
        assigned += len;
        if (rc_node_failed(n))
            fail += len;
        else if (rc_node_timed_out(n))
            pfail += len;
        else
            ok += len;
    }
    RcClusterNode *me = c->myself;
    guint64 myepoch = (rc_node_is_replica(me) && me->replica_of) ? me->replica_of->config_epoch
                                                                 : me->config_epoch;
    GString *info = g_string_new(NULL);
    g_string_append_printf(info,
                           "cluster_state:%s\r\ncluster_slots_assigned:%d\r\n"
                           "cluster_slots_ok:%d\r\ncluster_slots_pfail:%d\r\n"
                           "cluster_slots_fail:%d\r\ncluster_known_nodes:%u\r\n"
                           "cluster_size:%d\r\ncluster_current_epoch:%" G_GUINT64_FORMAT
                           "\r\ncluster_my_epoch:%" G_GUINT64_FORMAT "\r\n",
                           c->state == RC_CLUSTER_OK ? "ok" : "fail", assigned, ok, pfail, fail,
                           c->nodes->len, c->size, c->current_epoch, myepoch);
    guint64 tot = 0;
    for (int i = 0; i < RC_CLUSTERMSG_TYPE_COUNT; i++) {
        if (c->stats_bus_messages_sent[i] == 0)
            continue;
        tot += c->stats_bus_messages_sent[i];
        g_string_append_printf(info, "cluster_stats_messages_%s_sent:%" G_GUINT64_FORMAT "\r\n",
                               rc_bus_type_name(i), c->stats_bus_messages_sent[i]);
    }
    g_string_append_printf(info, "cluster_stats_messages_sent:%" G_GUINT64_FORMAT "\r\n", tot);
    tot = 0;
    for (int i = 0; i < RC_CLUSTERMSG_TYPE_COUNT; i++) {
        if (c->stats_bus_messages_received[i] == 0)
            continue;
        tot += c->stats_bus_messages_received[i];
        g_string_append_printf(info, "cluster_stats_messages_%s_received:%" G_GUINT64_FORMAT "\r\n",
                               rc_bus_type_name(i), c->stats_bus_messages_received[i]);
    }
    g_string_append_printf(info, "cluster_stats_messages_received:%" G_GUINT64_FORMAT "\r\n", tot);
    g_string_append(info, "total_cluster_links_buffer_limit_exceeded:0\r\n");
    reply_bulk(call->reply, info->str, info->len);
    g_string_free(info, TRUE);
}

/* addNodeToNodeReply with cluster-preferred-endpoint-type ip. */
static void reply_node_endpoint(GString *r, const RcClusterNode *n)
{
    reply_array(r, 4);
    reply_cstr(r, n->ip);
    reply_int(r, n->port);
    reply_bulk(r, n->name, RC_CLUSTER_NAMELEN);
    if (n->hostname && n->hostname[0]) {
        reply_array(r, 2);
        reply_cstr(r, "hostname");
        reply_cstr(r, n->hostname);
    } else {
        reply_array(r, 0);
    }
}

/* isReplicaAvailable: listed in SLOTS unless failed or never synced (offset 0). Nodes never
 * update their own record's offset, so for myself it is my replication offset
 * (replicationGetSlaveOffset), as CLUSTER SHARDS does. */
static gboolean replica_available(const RcNode *node, const RcClusterNode *n)
{
    if (rc_node_failed(n))
        return FALSE;
    gint64 offset = (n->flags & RC_NODE_MYSELF) ? rc_repl_replica_offset(node) : n->repl_offset;
    return offset != 0;
}

static void reply_slot_range(const RcNode *node, GString *r, const RcClusterNode *n, int start,
                             int end)
{
    int elems = 3;
    for (guint i = 0; i < n->replicas->len; i++)
        if (replica_available(node, g_ptr_array_index(n->replicas, i)))
            elems++;
    reply_array(r, elems);
    reply_int(r, start);
    reply_int(r, end);
    reply_node_endpoint(r, n);
    for (guint i = 0; i < n->replicas->len; i++) {
        const RcClusterNode *rn = g_ptr_array_index(n->replicas, i);
        if (replica_available(node, rn))
            reply_node_endpoint(r, rn);
    }
}

void rc_cluster_slots_reply_build(RcNode *node, GString *reply)
{
    RcCluster *c = node->cluster;
    const GArray *runs = rc_cluster_slot_runs(c);
    reply_array(reply, (int)runs->len);
    for (guint i = 0; i < runs->len; i++) {
        const RcSlotRun *r = &g_array_index(runs, RcSlotRun, i);
        reply_slot_range(node, reply, c->slots[r->first], r->first, r->last);
    }
}

/* Clients ask for CLUSTER SLOTS after every error (some 13 k times in a minute of the default
 * scenario), and the answer seldom changes. The reply is kept with a copy of everything
 * reply_slot_range() read to make it: each run and, in reply order, its owner and each of its
 * replicas with whether it was listed and the fields listed. The cache answers while a walk
 * of the same structures finds all of that equal, so its bytes are always those a fresh build
 * would give; nothing has to remember to invalidate it. (Redis 7.0.11+ caches the reply too,
 * cleared on every change of the configuration.) */
typedef struct {
    const RcClusterNode *n; /* compared, never dereferenced from the cache */
    gboolean listed;        /* the owner, or a replica replica_available() kept */
    guint16 port;
    char name[RC_CLUSTER_NAMELEN];
    char ip[RC_NET_IP_STR_LEN];
    char *hostname; /* owned copy, or NULL */
} SlotsSeenNode;

typedef struct {
    int first, last;
    guint replicas; /* how many SlotsSeenNode follow the owner's */
} SlotsSeenRun;

typedef struct {
    GString *reply;
    GArray *runs;  /* SlotsSeenRun */
    GArray *nodes; /* SlotsSeenNode: per run, the owner then its replicas */
} SlotsCache;

static void seen_node_clear(gpointer p)
{
    g_free(((SlotsSeenNode *)p)->hostname);
}

void rc_cluster_slots_cache_free(RcCluster *c)
{
    SlotsCache *sc = c->slots_reply;
    if (sc == NULL)
        return;
    g_string_free(sc->reply, TRUE);
    g_array_unref(sc->runs);
    g_array_unref(sc->nodes);
    g_free(sc);
    c->slots_reply = NULL;
}

static const char *hostname_of(const RcClusterNode *n)
{
    return n->hostname && n->hostname[0] ? n->hostname : NULL;
}

static gboolean seen_node_same(const SlotsSeenNode *s, const RcNode *node, const RcClusterNode *n,
                               gboolean is_owner)
{
    if (s->n != n)
        return FALSE;
    gboolean listed = is_owner || replica_available(node, n);
    if (s->listed != listed)
        return FALSE;
    if (!listed)
        return TRUE;
    return s->port == n->port && memcmp(s->name, n->name, RC_CLUSTER_NAMELEN) == 0 &&
           strcmp(s->ip, n->ip) == 0 && g_strcmp0(s->hostname, hostname_of(n)) == 0;
}

static gboolean slots_cache_valid(const SlotsCache *sc, RcNode *node)
{
    RcCluster *c = node->cluster;
    const GArray *runs = rc_cluster_slot_runs(c);
    if (runs->len != sc->runs->len)
        return FALSE;
    guint k = 0;
    for (guint i = 0; i < runs->len; i++) {
        const RcSlotRun *r = &g_array_index(runs, RcSlotRun, i);
        const SlotsSeenRun *sr = &g_array_index(sc->runs, SlotsSeenRun, i);
        const RcClusterNode *owner = c->slots[r->first];
        if (r->first != sr->first || r->last != sr->last || owner->replicas->len != sr->replicas)
            return FALSE;
        if (!seen_node_same(&g_array_index(sc->nodes, SlotsSeenNode, k++), node, owner, TRUE))
            return FALSE;
        for (guint j = 0; j < owner->replicas->len; j++)
            if (!seen_node_same(&g_array_index(sc->nodes, SlotsSeenNode, k++), node,
                                g_ptr_array_index(owner->replicas, j), FALSE))
                return FALSE;
    }
    return TRUE;
}

static void seen_node_add(SlotsCache *sc, const RcNode *node, const RcClusterNode *n,
                          gboolean is_owner)
{
    SlotsSeenNode s = {n, is_owner || replica_available(node, n), n->port, {0}, {0}, NULL};
    memcpy(s.name, n->name, RC_CLUSTER_NAMELEN);
    g_strlcpy(s.ip, n->ip, sizeof s.ip);
    s.hostname = g_strdup(hostname_of(n));
    g_array_append_val(sc->nodes, s);
}

static void slots_cache_fill(SlotsCache *sc, RcNode *node)
{
    RcCluster *c = node->cluster;
    g_string_truncate(sc->reply, 0);
    g_array_set_size(sc->runs, 0);
    g_array_set_size(sc->nodes, 0);
    rc_cluster_slots_reply_build(node, sc->reply);
    const GArray *runs = rc_cluster_slot_runs(c);
    for (guint i = 0; i < runs->len; i++) {
        const RcSlotRun *r = &g_array_index(runs, RcSlotRun, i);
        const RcClusterNode *owner = c->slots[r->first];
        SlotsSeenRun sr = {r->first, r->last, owner->replicas->len};
        g_array_append_val(sc->runs, sr);
        seen_node_add(sc, node, owner, TRUE);
        for (guint j = 0; j < owner->replicas->len; j++)
            seen_node_add(sc, node, g_ptr_array_index(owner->replicas, j), FALSE);
    }
}

static void cmd_slots(RcCommandCall *call)
{
    RcCluster *c = call->node->cluster;
    SlotsCache *sc = c->slots_reply;
    if (sc == NULL) {
        sc = g_new0(SlotsCache, 1);
        sc->reply = g_string_new(NULL);
        sc->runs = g_array_new(FALSE, FALSE, sizeof(SlotsSeenRun));
        sc->nodes = g_array_new(FALSE, FALSE, sizeof(SlotsSeenNode));
        g_array_set_clear_func(sc->nodes, seen_node_clear);
        c->slots_reply = sc;
        slots_cache_fill(sc, call->node);
    } else if (!slots_cache_valid(sc, call->node)) {
        slots_cache_fill(sc, call->node);
    }
    rc_string_put(call->reply, sc->reply->str, sc->reply->len);
}

static void reply_shard_node(RcCommandCall *call, GString *r, const RcClusterNode *n)
{
    GString *m = g_string_new(NULL);
    int pairs = 0;
    reply_cstr(m, "id");
    reply_bulk(m, n->name, RC_CLUSTER_NAMELEN);
    pairs++;
    if (n->port) {
        reply_cstr(m, "port");
        reply_int(m, n->port);
        pairs++;
    }
    reply_cstr(m, "ip");
    reply_cstr(m, n->ip);
    pairs++;
    reply_cstr(m, "endpoint");
    reply_cstr(m, n->ip);
    pairs++;
    if (n->hostname && n->hostname[0]) {
        reply_cstr(m, "hostname");
        reply_cstr(m, n->hostname);
        pairs++;
    }
    gint64 offset = n->repl_offset;
    if (n->flags & RC_NODE_MYSELF) {
        offset = rc_node_is_replica(n) ? rc_repl_replica_offset(call->node)
                                       : rc_repl_master_offset(call->node);
    }
    reply_cstr(m, "role");
    reply_cstr(m, rc_node_is_replica(n) ? "replica" : "master");
    pairs++;
    reply_cstr(m, "replication-offset");
    reply_int(m, offset);
    pairs++;
    reply_cstr(m, "health");
    reply_cstr(m, rc_node_failed(n)                        ? "fail"
                  : (rc_node_is_replica(n) && offset == 0) ? "loading"
                                                           : "online");
    pairs++;
    reply_array(r, pairs * 2);
    g_string_append_len(r, m->str, (gssize)m->len);
    g_string_free(m, TRUE);
    (void)call;
}

static void cmd_shards(RcCommandCall *call)
{
    RcCluster *c = call->node->cluster;
    GString *body = g_string_new(NULL);
    int shards = 0;
    for (guint i = 0; i < c->nodes->len; i++) {
        const RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (!rc_node_is_master(n))
            continue;
        shards++;
        reply_array(body, 4);
        reply_cstr(body, "slots");
        GArray *pairs = g_array_new(FALSE, FALSE, sizeof(int));
        int start = -1;
        for (int j = 0; j <= RC_CLUSTER_SLOTS; j++) {
            gboolean mine = j < RC_CLUSTER_SLOTS && c->slots[j] == n;
            if (mine && start == -1)
                start = j;
            if (!mine && start != -1) {
                int end = j - 1;
                g_array_append_val(pairs, start);
                g_array_append_val(pairs, end);
                start = -1;
            }
        }
        reply_array(body, pairs->len);
        for (guint k = 0; k < pairs->len; k++)
            reply_int(body, g_array_index(pairs, int, k));
        g_array_free(pairs, TRUE);
        reply_cstr(body, "nodes");
        reply_array(body, 1 + n->replicas->len);
        reply_shard_node(call, body, n);
        for (guint k = 0; k < n->replicas->len; k++)
            reply_shard_node(call, body, g_ptr_array_index(n->replicas, k));
    }
    reply_array(call->reply, shards);
    g_string_append_len(call->reply, body->str, (gssize)body->len);
    g_string_free(body, TRUE);
}

/* checkSlotAssignmentsOrReply over [start, end]. */
static gboolean check_slots(RcCommandCall *call, guint8 *seen, gboolean del, int start, int end)
{
    RcCluster *c = call->node->cluster;
    for (int slot = start; slot <= end; slot++) {
        if (del && c->slots[slot] == NULL) {
            rc_cluster_reply_error(call->reply, "Slot %d is already unassigned", slot);
            return FALSE;
        } else if (!del && c->slots[slot]) {
            rc_cluster_reply_error(call->reply, "Slot %d is already busy", slot);
            return FALSE;
        }
        if (seen[slot]++ == 1) {
            rc_cluster_reply_error(call->reply, "Slot %d specified multiple times", slot);
            return FALSE;
        }
    }
    return TRUE;
}

static void update_slots(RcCommandCall *call, const guint8 *seen, gboolean del)
{
    RcNode *node = call->node;
    RcCluster *c = node->cluster;
    for (int j = 0; j < RC_CLUSTER_SLOTS; j++) {
        if (!seen[j])
            continue;
        if (c->importing_slots_from != NULL)
            c->importing_slots_from[j] = NULL;
        gboolean ok = del ? rc_cluster_del_slot(node, j) : rc_cluster_add_slot(node, c->myself, j);
        rc_assert(ok);
    }
    rc_cluster_todo(node, RC_CLUSTER_TODO_UPDATE_STATE | RC_CLUSTER_TODO_SAVE_CONFIG);
    reply_ok(call->reply);
}

static void cmd_addslots(RcCommandCall *call)
{
    gboolean del = arg_is(call, 1, "delslots");
    int argc = call->args->argc;
    for (int j = 2; j < argc; j++)
        if (slot_or_reply(call, j) < 0)
            return;
    g_autofree guint8 *seen = g_malloc0(RC_CLUSTER_SLOTS);
    for (int j = 2; j < argc; j++) {
        int slot = slot_or_reply(call, j);
        if (!check_slots(call, seen, del, slot, slot))
            return;
    }
    update_slots(call, seen, del);
}

static void cmd_addslotsrange(RcCommandCall *call)
{
    gboolean del = arg_is(call, 1, "delslotsrange");
    int argc = call->args->argc;
    if (argc % 2 == 1) {
        rc_cluster_reply_error(call->reply, "wrong number of arguments for 'cluster|%s' command",
                               del ? "delslotsrange" : "addslotsrange");
        return;
    }
    g_autofree guint8 *seen = g_malloc0(RC_CLUSTER_SLOTS);
    for (int j = 2; j < argc; j += 2) {
        int start = slot_or_reply(call, j);
        if (start < 0)
            return;
        int end = slot_or_reply(call, j + 1);
        if (end < 0)
            return;
        if (start > end) {
            rc_cluster_reply_error(
                call->reply, "start slot number %d is greater than end slot number %d", start, end);
            return;
        }
        if (!check_slots(call, seen, del, start, end))
            return;
    }
    update_slots(call, seen, del);
}

static void cmd_replicate(RcCommandCall *call)
{
    RcNode *node = call->node;
    RcClusterNode *me = node->cluster->myself;
    RcClusterNode *n = lookup_arg(call, 2);
    if (!n) {
        reply_unknown_node(call, 2);
        return;
    }
    if (n == me) {
        rc_cluster_reply_error(call->reply, "Can't replicate myself");
        return;
    }
    if (rc_node_is_replica(n)) {
        rc_cluster_reply_error(call->reply, "I can only replicate a master, not a replica.");
        return;
    }
    if (rc_node_is_master(me) && (me->numslots != 0 || rc_keyspace_size(node->db) != 0)) {
        rc_cluster_reply_error(
            call->reply, "To set a master the node must be empty and without assigned slots.");
        return;
    }
    rc_cluster_set_my_master(node, n);
    rc_cluster_todo(node, RC_CLUSTER_TODO_UPDATE_STATE | RC_CLUSTER_TODO_SAVE_CONFIG);
    reply_ok(call->reply);
}

static void cmd_replicas(RcCommandCall *call)
{
    RcClusterNode *n = lookup_arg(call, 2);
    if (!n) {
        reply_unknown_node(call, 2);
        return;
    }
    if (rc_node_is_replica(n)) {
        rc_cluster_reply_error(call->reply, "The specified node is not a master");
        return;
    }
    reply_array(call->reply, n->replicas->len);
    for (guint i = 0; i < n->replicas->len; i++) {
        GString *line = g_string_new(NULL);
        rc_nodes_describe_node(call->node, g_ptr_array_index(n->replicas, i), line);
        reply_bulk(call->reply, line->str, line->len);
        g_string_free(line, TRUE);
    }
}

static void cmd_count_failure_reports(RcCommandCall *call)
{
    RcClusterNode *n = lookup_arg(call, 2);
    if (!n) {
        reply_unknown_node(call, 2);
        return;
    }
    reply_int(call->reply, rc_cluster_node_failure_reports(call->node, n));
}

static void cmd_forget(RcCommandCall *call)
{
    RcNode *node = call->node;
    RcCluster *c = node->cluster;
    RcClusterNode *n = lookup_arg(call, 2);
    if (!n) {
        reply_unknown_node(call, 2);
        return;
    }
    if (n == c->myself) {
        rc_cluster_reply_error(call->reply, "I tried hard but I can't forget myself...");
        return;
    }
    if (rc_node_is_replica(c->myself) && c->myself->replica_of == n) {
        rc_cluster_reply_error(call->reply, "Can't forget my master!");
        return;
    }
    /* clusterBlacklistAddNode: banned for 60 s (seconds resolution, as Redis). */
    gint64 *expire = g_new(gint64, 1);
    *expire = node->now_ms / 1000 + RC_CLUSTER_BLACKLIST_TTL_S;
    g_hash_table_replace(c->nodes_black_list, g_strndup(n->name, RC_CLUSTER_NAMELEN), expire);
    rc_cluster_node_del(node, n);
    rc_cluster_todo(node, RC_CLUSTER_TODO_UPDATE_STATE | RC_CLUSTER_TODO_SAVE_CONFIG);
    reply_ok(call->reply);
}

static void cmd_set_config_epoch(RcCommandCall *call)
{
    RcNode *node = call->node;
    RcCluster *c = node->cluster;
    gint64 epoch;
    if (!arg_ll_or_reply(call, 2, &epoch))
        return;
    if (epoch < 0) {
        rc_cluster_reply_error(call->reply, "Invalid config epoch specified: %" G_GINT64_FORMAT,
                               epoch);
    } else if (c->nodes->len > 1) {
        rc_cluster_reply_error(call->reply, "The user can assign a config epoch only when the "
                                            "node does not know any other node.");
    } else if (c->myself->config_epoch != 0) {
        rc_cluster_reply_error(call->reply, "Node config epoch is already non-zero");
    } else {
        c->myself->config_epoch = (guint64)epoch;
        rc_cluster_log(node, RC_LOG_WARNING,
                       "configEpoch set to %" G_GUINT64_FORMAT " via CLUSTER SET-CONFIG-EPOCH",
                       c->myself->config_epoch);
        rc_cluster_event(node, RC_EVT_CONFIG_EPOCH, NULL, (guint64)epoch);
        if (c->current_epoch < (guint64)epoch)
            rc_cluster_set_current_epoch(node, (guint64)epoch);
        rc_cluster_todo(node, RC_CLUSTER_TODO_UPDATE_STATE | RC_CLUSTER_TODO_SAVE_CONFIG);
        reply_ok(call->reply);
    }
}

static void cmd_reset(RcCommandCall *call)
{
    gboolean hard = FALSE;
    if (call->args->argc == 3) {
        if (arg_is(call, 2, "hard")) {
            hard = TRUE;
        } else if (!arg_is(call, 2, "soft")) {
            rc_cluster_reply_error(call->reply, "syntax error");
            return;
        }
    }
    /* A master holding keys refuses; a replica's data is flushed (clusterReset). */
    RcClusterNode *me = call->node->cluster->myself;
    if (rc_node_is_master(me) && rc_keyspace_size(call->node->db) != 0) {
        rc_cluster_reply_error(call->reply,
                               "CLUSTER RESET can't be called with master nodes containing keys");
        return;
    }
    if (rc_node_is_replica(me))
        rc_keyspace_flush(call->node->db);
    rc_cluster_reset(call->node, hard);
    reply_ok(call->reply);
}

static void cmd_flushslots(RcCommandCall *call)
{
    if (rc_keyspace_size(call->node->db) != 0) {
        rc_cluster_reply_error(call->reply, "DB must be empty to perform CLUSTER FLUSHSLOTS.");
        return;
    }
    rc_cluster_del_node_slots(call->node, call->node->cluster->myself);
    rc_cluster_todo(call->node, RC_CLUSTER_TODO_UPDATE_STATE | RC_CLUSTER_TODO_SAVE_CONFIG);
    reply_ok(call->reply);
}

static void cmd_saveconfig(RcCommandCall *call)
{
    rc_cluster_save_config(call->node, TRUE);
    reply_ok(call->reply);
}

typedef struct {
    const char *name;
    int arity; /* as Redis's command table: N exact, -N at least N */
    void (*proc)(RcCommandCall *call);
} Subcommand;

static const Subcommand subcommands[] = {
    {"addslots", -3, cmd_addslots},
    {"addslotsrange", -4, cmd_addslotsrange},
    {"count-failure-reports", 3, cmd_count_failure_reports},
    {"delslots", -3, cmd_addslots},
    {"delslotsrange", -4, cmd_addslotsrange},
    {"flushslots", 2, cmd_flushslots},
    {"forget", 3, cmd_forget},
    {"info", 2, cmd_info},
    {"meet", -4, cmd_meet},
    {"myid", 2, cmd_myid},
    {"nodes", 2, cmd_nodes},
    {"replicas", 3, cmd_replicas},
    {"replicate", 3, cmd_replicate},
    {"reset", -2, cmd_reset},
    {"saveconfig", 2, cmd_saveconfig},
    {"set-config-epoch", 3, cmd_set_config_epoch},
    {"shards", 2, cmd_shards},
    {"slaves", 3, cmd_replicas},
    {"slots", 2, cmd_slots},
};

void rc_cluster_command(RcCommandCall *call)
{
    int argc = call->args->argc;
    if (argc < 2) {
        rc_cluster_reply_error(call->reply, "wrong number of arguments for 'cluster' command");
        return;
    }
    if (argc == 2 && arg_is(call, 1, "slots")) {
        cmd_slots(call); /* the one clients ask for all the time: no walk of the tables */
        return;
    }
    if (rc_failover_cluster_subcommand(call))
        return;
    if (rc_keys_cluster_subcommand(call))
        return;
    for (gsize i = 0; i < G_N_ELEMENTS(subcommands); i++) {
        const Subcommand *s = &subcommands[i];
        if (!arg_is(call, 1, s->name))
            continue;
        if ((s->arity > 0 && argc != s->arity) || (s->arity < 0 && argc < -s->arity)) {
            rc_cluster_reply_error(call->reply,
                                   "wrong number of arguments for 'cluster|%s' command", s->name);
            return;
        }
        /* MEET takes at most one optional argument: Redis checks argc 4 or 5 itself. */
        if ((s->proc == cmd_meet && argc > 5) || (s->proc == cmd_reset && argc > 3)) {
            g_autofree char *sub = arg_str(call, 1);
            rc_cluster_reply_error(call->reply,
                                   "unknown subcommand or wrong number of arguments for '%.128s'. "
                                   "Try CLUSTER HELP.",
                                   sub);
            return;
        }
        s->proc(call);
        return;
    }
    g_autofree char *sub = arg_str(call, 1);
    rc_cluster_reply_error(call->reply, "unknown subcommand '%.128s'. Try CLUSTER HELP.", sub);
}
