/* CLUSTER NODES text and nodes.conf (cluster.c: clusterGenNodeDescription,
 * clusterGenNodesDescription, clusterSaveConfig, clusterLoadConfig).
 *
 * One line per node:
 *   <id> <ip>:<port>@<cport>[,<hostname>] <flags> <master|-> <ping_sent> <pong_received>
 *   <configEpoch> <connected|disconnected> <slot ranges...>
 * nodes.conf is the same lines (handshake nodes left out) followed by
 *   vars currentEpoch <n> lastVoteEpoch <n>
 * and is handed to the driver as RC_ACT_SAVE. On load, non-zero ping/pong times become now,
 * `fail` gets fail_time = now, a replica's configEpoch is 0 (7.0.3+), and currentEpoch is
 * raised to the greatest configEpoch. */
#include "core/bus.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    guint16 flag;
    const char *name;
} node_flag_names[] = {
    {RC_NODE_MYSELF, "myself"}, {RC_NODE_MASTER, "master"},
    {RC_NODE_SLAVE, "slave"},   {RC_NODE_PFAIL, "fail?"},
    {RC_NODE_FAIL, "fail"},     {RC_NODE_HANDSHAKE, "handshake"},
    {RC_NODE_NOADDR, "noaddr"}, {RC_NODE_NOFAILOVER, "nofailover"},
};

/* Decimal without printf: nodes.conf is rendered on every change of configuration, a line per
 * known node, so at a thousand nodes this is the hottest text in the simulator. */
static void append_i64(GString *out, gint64 v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    guint64 u = v < 0 ? (guint64)0 - (guint64)v : (guint64)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    g_string_append_len(out, p, (gssize)(tmp + sizeof tmp - p));
}

static void append_range(GString *out, int start, int end)
{
    g_string_append_c(out, ' ');
    append_i64(out, start);
    if (end != start) {
        g_string_append_c(out, '-');
        append_i64(out, end);
    }
}

static void append_flags(GString *out, guint16 flags)
{
    gsize orig = out->len;
    for (gsize i = 0; i < G_N_ELEMENTS(node_flag_names); i++) {
        if (flags & node_flag_names[i].flag) {
            if (out->len != orig)
                g_string_append_c(out, ',');
            g_string_append(out, node_flag_names[i].name);
        }
    }
    if (out->len == orig)
        g_string_append(out, "noflags");
}

void rc_nodes_describe_node(const RcNode *node, const RcClusterNode *n, GString *out)
{
    RcCluster *c = node->cluster;
    g_string_append_len(out, n->name, RC_CLUSTER_NAMELEN);
    g_string_append_c(out, ' ');
    g_string_append(out, n->ip);
    g_string_append_c(out, ':');
    append_i64(out, n->port);
    g_string_append_c(out, '@');
    append_i64(out, n->cport);
    if (n->hostname && n->hostname[0]) {
        g_string_append_c(out, ',');
        g_string_append(out, n->hostname);
    }
    g_string_append_c(out, ' ');
    append_flags(out, n->flags);
    g_string_append_c(out, ' ');
    if (n->replica_of)
        g_string_append_len(out, n->replica_of->name, RC_CLUSTER_NAMELEN);
    else
        g_string_append_c(out, '-');
    guint64 epoch = n->config_epoch;
    if (rc_node_is_replica(n) && n->replica_of)
        epoch = n->replica_of->config_epoch;
    g_string_append_c(out, ' ');
    append_i64(out, n->ping_sent_ms);
    g_string_append_c(out, ' ');
    append_i64(out, n->pong_received_ms);
    g_string_append_c(out, ' ');
    g_string_append_printf(out, "%" G_GUINT64_FORMAT, epoch); /* unsigned: may exceed gint64 */
    g_string_append(out, (n->link || (n->flags & RC_NODE_MYSELF)) ? " connected" : " disconnected");
    /* Slot ranges, from the cached runs of the slot table (a node's bitmap and the table
     * agree: rc_cluster_add_slot/del_slot change both). */
    if (n->numslots > 0) {
        int counted = 0;
        guint cursor = 0;
        for (const RcSlotRun *r; (r = rc_cluster_owner_next_run(c, n, &cursor)) != NULL;) {
            append_range(out, r->first, r->last);
            counted += r->last - r->first + 1;
        }
        rc_assert(counted == n->numslots);
    }
    if ((n->flags & RC_NODE_MYSELF) && (c->migrating_slots_to || c->importing_slots_from)) {
        for (int j = 0; j < RC_CLUSTER_SLOTS; j++) {
            if (c->migrating_slots_to && c->migrating_slots_to[j])
                g_string_append_printf(out, " [%d->-%.40s]", j, c->migrating_slots_to[j]->name);
            else if (c->importing_slots_from && c->importing_slots_from[j])
                g_string_append_printf(out, " [%d-<-%.40s]", j, c->importing_slots_from[j]->name);
        }
    }
}

/* Every line but those of nodes with a flag in `filter`, appended to `out`. */
static void describe_into(const RcNode *node, guint16 filter, GString *out)
{
    const RcCluster *c = node->cluster;
    for (guint i = 0; i < c->nodes->len; i++) {
        const RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n->flags & filter)
            continue;
        rc_nodes_describe_node(node, n, out);
        g_string_append_c(out, '\n');
    }
}

/* nodes.conf into a GString: the whole text of the current view (CLUSTER SAVECONFIG's bytes,
 * and what tests compare the saved text with). */
/* nodes.conf's last line. */
static void append_vars(GString *out, guint64 current_epoch, guint64 last_vote_epoch)
{
    g_string_append_printf(
        out, "vars currentEpoch %" G_GUINT64_FORMAT " lastVoteEpoch %" G_GUINT64_FORMAT "\n",
        current_epoch, last_vote_epoch);
}

static GString *conf_render(const RcNode *node)
{
    GString *out = g_string_sized_new(256 * node->cluster->nodes->len + 64);
    describe_into(node, RC_NODE_HANDSHAKE, out);
    append_vars(out, node->cluster->current_epoch, node->cluster->last_vote_epoch);
    return out;
}

char *rc_nodes_conf_render(const RcNode *node)
{
    return g_string_free(conf_render(node), FALSE);
}

/* ---- saving ----
 *
 * Redis rewrites the whole file on every change of configuration; a node forming a cluster
 * of N saves about 1.5 N times, so N nodes would render N^3 lines (10^9 at a thousand). The
 * saved text is kept instead as the list of its lines, each cached on its node record with
 * the fields it shows (ConfKey): a save re-renders only the lines whose fields changed, and
 * the bytes are joined only when the driver asks for them (rc_cluster_saved_conf: before it
 * frees a crashed node, or to show its disk). What the driver reads is the text of the last
 * save, byte for byte, as if it had been written then. */

/* What a node's line shows, to tell whether its cached line is still true. Laid out without
 * padding so that memcmp compares fields only. */
typedef struct {
    gint64 ping_sent_ms;
    gint64 pong_received_ms;
    guint64 epoch;         /* its own, or its master's when a replica */
    guint64 slots_version; /* RcClusterNode.slots_version */
    char name[RC_CLUSTER_NAMELEN];
    char master[RC_CLUSTER_NAMELEN]; /* zeros without a master */
    char ip[RC_NET_IP_STR_LEN];
    guint16 port, cport, flags;
    guint8 connected;
    guint8 pad[3];
} ConfKey;
_Static_assert(sizeof(ConfKey) == 4 * 8 + 2 * RC_CLUSTER_NAMELEN + RC_NET_IP_STR_LEN + 10,
               "ConfKey has no padding");

/* One rendered line, newline included; shared by a node's cache and the saved list. */
typedef struct {
    int refs;
    gsize len;
    char text[];
} ConfLine;

struct RcConfCache {
    ConfKey key;
    ConfLine *line;
};

struct RcSavedConf {
    GPtrArray *lines; /* ConfLine*, one reference each, in nodes order */
    guint64 current_epoch, last_vote_epoch;
    GBytes *text; /* the joined text, NULL until asked for */
};

static void conf_line_unref(gpointer p)
{
    ConfLine *l = p;
    if (l != NULL && --l->refs == 0)
        g_free(l);
}

void rc_nodes_conf_cache_free(RcConfCache *cache)
{
    if (cache == NULL)
        return;
    conf_line_unref(cache->line);
    g_free(cache);
}

void rc_nodes_saved_conf_free(RcSavedConf *saved)
{
    if (saved == NULL)
        return;
    g_ptr_array_unref(saved->lines);
    if (saved->text != NULL)
        g_bytes_unref(saved->text);
    g_free(saved);
}

static void conf_key_of(const RcClusterNode *n, ConfKey *k)
{
    memset(k, 0, sizeof *k);
    k->ping_sent_ms = n->ping_sent_ms;
    k->pong_received_ms = n->pong_received_ms;
    k->epoch =
        (rc_node_is_replica(n) && n->replica_of) ? n->replica_of->config_epoch : n->config_epoch;
    k->slots_version = n->slots_version;
    memcpy(k->name, n->name, RC_CLUSTER_NAMELEN);
    if (n->replica_of)
        memcpy(k->master, n->replica_of->name, RC_CLUSTER_NAMELEN);
    memcpy(k->ip, n->ip, RC_NET_IP_STR_LEN);
    k->port = n->port;
    k->cport = n->cport;
    k->flags = n->flags;
    k->connected = n->link != NULL;
}

/* n's line as it would be rendered now, from its cache when nothing it shows changed.
 * myself's line (open migrations) and hostnames are not in the key: always rendered. */
static ConfLine *conf_line(const RcNode *node, RcClusterNode *n, GString *scratch)
{
    ConfKey key;
    conf_key_of(n, &key);
    RcConfCache *cache = n->conf_cache;
    gboolean keyed = !(n->flags & RC_NODE_MYSELF) && n->hostname == NULL;
    if (keyed && cache != NULL && cache->line != NULL && memcmp(&cache->key, &key, sizeof key) == 0)
        return cache->line;
    if (cache == NULL)
        cache = n->conf_cache = g_new0(RcConfCache, 1);
    g_string_truncate(scratch, 0);
    rc_nodes_describe_node(node, n, scratch);
    g_string_append_c(scratch, '\n');
    ConfLine *line = g_malloc(sizeof(ConfLine) + scratch->len);
    line->refs = 1;
    line->len = scratch->len;
    memcpy(line->text, scratch->str, scratch->len);
    conf_line_unref(cache->line);
    cache->line = line;
    cache->key = key;
    return line;
}

/* CLUSTER NODES: the console and redis-cli --cluster ask every node for it while a cluster
 * forms, so the lines come from the same cache as nodes.conf. */
char *rc_nodes_describe(const RcNode *node, guint16 filter)
{
    const RcCluster *c = node->cluster;
    GString *out = g_string_sized_new(256 * c->nodes->len);
    g_autoptr(GString) scratch = g_string_sized_new(256);
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n->flags & filter)
            continue;
        const ConfLine *line = conf_line(node, n, scratch);
        g_string_append_len(out, line->text, (gssize)line->len);
    }
    return g_string_free(out, FALSE);
}

void rc_cluster_save_config(RcNode *node, gboolean fsync)
{
    RcCluster *c = node->cluster;
    c->todo_before_sleep &= ~(RC_CLUSTER_TODO_SAVE_CONFIG | RC_CLUSTER_TODO_FSYNC_CONFIG);
    if (node->out == NULL)
        return;
    RcSavedConf *saved = c->saved_conf;
    if (saved == NULL) {
        saved = c->saved_conf = g_new0(RcSavedConf, 1);
        saved->lines = g_ptr_array_new_with_free_func(conf_line_unref);
    }
    g_autoptr(GString) scratch = g_string_sized_new(256);
    guint k = 0;
    for (guint i = 0; i < c->nodes->len; i++) {
        RcClusterNode *n = g_ptr_array_index(c->nodes, i);
        if (n->flags & RC_NODE_HANDSHAKE)
            continue;
        ConfLine *line = conf_line(node, n, scratch);
        if (k == saved->lines->len) {
            line->refs++;
            g_ptr_array_add(saved->lines, line);
        } else if (g_ptr_array_index(saved->lines, k) != line) {
            line->refs++;
            conf_line_unref(g_ptr_array_index(saved->lines, k));
            saved->lines->pdata[k] = line;
        }
        k++;
    }
    g_ptr_array_set_size(saved->lines, k);
    saved->current_epoch = c->current_epoch;
    saved->last_vote_epoch = c->last_vote_epoch;
    g_clear_pointer(&saved->text, g_bytes_unref);
    rc_outbox_saved(node->out, fsync);
}

GBytes *rc_cluster_saved_conf(RcCluster *c)
{
    RcSavedConf *saved = c->saved_conf;
    if (saved == NULL)
        return NULL;
    if (saved->text == NULL) {
        gsize len = 64;
        for (guint i = 0; i < saved->lines->len; i++)
            len += ((const ConfLine *)g_ptr_array_index(saved->lines, i))->len;
        GString *out = g_string_sized_new(len);
        for (guint i = 0; i < saved->lines->len; i++) {
            const ConfLine *l = g_ptr_array_index(saved->lines, i);
            g_string_append_len(out, l->text, (gssize)l->len);
        }
        append_vars(out, saved->current_epoch, saved->last_vote_epoch);
        saved->text = g_string_free_to_bytes(out);
    }
    return g_bytes_ref(saved->text);
}

/* ---- loading ---- */

G_DEFINE_QUARK(rc - nodes - conf - error - quark, rc_nodes_conf_error)

#define LOAD_FAIL(lineno, fmt, ...)                                                                \
    do {                                                                                           \
        g_set_error(error, RC_NODES_CONF_ERROR, 0, "nodes.conf:%d: " fmt, lineno, ##__VA_ARGS__);  \
        goto fail;                                                                                 \
    } while (0)

static RcClusterNode *lookup_or_create(RcNode *node, const char *name)
{
    RcClusterNode *n = rc_cluster_lookup(node, name);
    if (n == NULL) {
        n = rc_cluster_node_new(node, name, 0);
        rc_cluster_node_add(node, n);
    }
    return n;
}

static gboolean parse_u64(const char *s, guint64 *v)
{
    return g_ascii_string_to_unsigned(s, 10, 0, G_MAXUINT64, v, NULL);
}

static gboolean parse_slot(const char *s, int *slot)
{
    guint64 v;
    if (!g_ascii_string_to_unsigned(s, 10, 0, RC_CLUSTER_SLOTS - 1, &v, NULL))
        return FALSE;
    *slot = (int)v;
    return TRUE;
}

static gboolean parse_port(const char *s, guint16 *port)
{
    guint64 v;
    if (!g_ascii_string_to_unsigned(s, 10, 0, 65535, &v, NULL))
        return FALSE;
    *port = (guint16)v;
    return TRUE;
}

gboolean rc_nodes_conf_load(RcNode *node, const char *text, gsize len, GError **error)
{
    RcCluster *c = node->cluster;
    rc_assert(c->myself == NULL && c->nodes->len == 0);
    char *copy = g_strndup(text, len);
    char **lines = g_strsplit(copy, "\n", -1);
    char **argv = NULL;
    gboolean ok = FALSE;
    gint64 now = node->now_ms;

    for (int li = 0; lines[li] != NULL; li++) {
        int lineno = li + 1;
        g_strfreev(argv);
        argv = NULL;
        char *line = g_strstrip(lines[li]);
        if (line[0] == '\0')
            continue;
        argv = g_strsplit_set(line, " ", -1);
        int argc = (int)g_strv_length(argv);
        if (g_ascii_strcasecmp(argv[0], "vars") == 0) {
            if (argc % 2 == 0)
                LOAD_FAIL(lineno, "vars: odd number of arguments expected");
            for (int j = 1; j < argc; j += 2) {
                guint64 v;
                if (!parse_u64(argv[j + 1], &v))
                    LOAD_FAIL(lineno, "%s: not a number: %s", argv[j], argv[j + 1]);
                if (g_ascii_strcasecmp(argv[j], "currentEpoch") == 0)
                    c->current_epoch = v;
                else if (g_ascii_strcasecmp(argv[j], "lastVoteEpoch") == 0)
                    c->last_vote_epoch = v;
                else
                    rc_cluster_log(node, RC_LOG_WARNING,
                                   "Skipping unknown cluster config variable '%s'", argv[j]);
            }
            continue;
        }
        if (argc < 8)
            LOAD_FAIL(lineno, "line: %d fields, at least 8 expected", argc);
        if (!rc_cluster_verify_name(argv[0], strlen(argv[0])))
            LOAD_FAIL(lineno, "id: invalid node id: %s", argv[0]);
        RcClusterNode *n = lookup_or_create(node, argv[0]);

        /* ip:port@cport[,hostname] */
        char *addr = argv[1];
        char *hostname = strchr(addr, ',');
        if (hostname) {
            *hostname++ = '\0';
            g_free(n->hostname);
            n->hostname = hostname[0] ? g_strdup(hostname) : NULL;
        } else {
            g_clear_pointer(&n->hostname, g_free);
        }
        char *colon = strrchr(addr, ':');
        if (colon == NULL)
            LOAD_FAIL(lineno, "address: no ':' in %s", addr);
        *colon = '\0';
        if (strlen(addr) >= RC_NET_IP_STR_LEN)
            LOAD_FAIL(lineno, "address: ip too long");
        memset(n->ip, 0, sizeof n->ip);
        memcpy(n->ip, addr, strlen(addr));
        char *port = colon + 1;
        char *busp = strchr(port, '@');
        if (busp)
            *busp++ = '\0';
        if (!parse_port(port, &n->port))
            LOAD_FAIL(lineno, "port: invalid: %s", port);
        if (busp) {
            if (!parse_port(busp, &n->cport))
                LOAD_FAIL(lineno, "cport: invalid: %s", busp);
        } else {
            n->cport = (guint16)(n->port + RC_CLUSTER_PORT_INCR);
        }

        char **flags = g_strsplit(argv[2], ",", -1);
        for (int f = 0; flags[f] != NULL; f++) {
            const char *s = flags[f];
            if (!g_ascii_strcasecmp(s, "myself")) {
                if (c->myself != NULL) {
                    g_strfreev(flags);
                    LOAD_FAIL(lineno, "flags: a second myself");
                }
                c->myself = n;
                n->flags |= RC_NODE_MYSELF;
            } else if (!g_ascii_strcasecmp(s, "master")) {
                n->flags |= RC_NODE_MASTER;
            } else if (!g_ascii_strcasecmp(s, "slave")) {
                n->flags |= RC_NODE_SLAVE;
            } else if (!g_ascii_strcasecmp(s, "fail?")) {
                n->flags |= RC_NODE_PFAIL;
            } else if (!g_ascii_strcasecmp(s, "fail")) {
                n->flags |= RC_NODE_FAIL;
                n->fail_time_ms = now;
            } else if (!g_ascii_strcasecmp(s, "handshake")) {
                n->flags |= RC_NODE_HANDSHAKE;
            } else if (!g_ascii_strcasecmp(s, "noaddr")) {
                n->flags |= RC_NODE_NOADDR;
            } else if (!g_ascii_strcasecmp(s, "nofailover")) {
                n->flags |= RC_NODE_NOFAILOVER;
            } else if (!g_ascii_strcasecmp(s, "noflags")) {
                /* nothing */
            } else {
                /* Redis panics: "Unknown flag in redis cluster config file". */
                char *bad = g_strdup(s);
                g_strfreev(flags);
                g_set_error(error, RC_NODES_CONF_ERROR, 0, "nodes.conf:%d: flags: unknown flag %s",
                            lineno, bad);
                g_free(bad);
                goto fail;
            }
        }
        g_strfreev(flags);

        if (argv[3][0] != '-') {
            if (!rc_cluster_verify_name(argv[3], strlen(argv[3])))
                LOAD_FAIL(lineno, "master: invalid node id: %s", argv[3]);
            RcClusterNode *master = lookup_or_create(node, argv[3]);
            n->replica_of = master;
            rc_cluster_node_add_replica(master, n);
        }
        if (atoi(argv[4]))
            n->ping_sent_ms = now;
        if (atoi(argv[5]))
            n->pong_received_ms = now;
        guint64 epoch;
        if (!parse_u64(argv[6], &epoch))
            LOAD_FAIL(lineno, "configEpoch: not a number: %s", argv[6]);
        n->config_epoch = (rc_node_is_replica(n) && n->replica_of) ? 0 : epoch;

        for (int j = 8; j < argc; j++) {
            char *arg = argv[j];
            if (arg[0] == '\0')
                continue;
            if (arg[0] == '[') {
                /* [slot->-id] migrating, [slot-<-id] importing */
                char *dash = strchr(arg, '-');
                if (dash == NULL || (dash[1] != '>' && dash[1] != '<') || dash[2] != '-')
                    LOAD_FAIL(lineno, "slot: bad migration entry %s", arg);
                char dir = dash[1];
                *dash = '\0';
                int slot;
                if (!parse_slot(arg + 1, &slot))
                    LOAD_FAIL(lineno, "slot: out of range in migration entry");
                char *id = dash + 3;
                char *close = strchr(id, ']');
                if (close == NULL || !rc_cluster_verify_name(id, (gsize)(close - id)))
                    LOAD_FAIL(lineno, "slot: bad node id in migration entry");
                *close = '\0';
                RcClusterNode *cn = lookup_or_create(node, id);
                if (dir == '>')
                    rc_cluster_slot_table(&c->migrating_slots_to)[slot] = cn;
                else
                    rc_cluster_slot_table(&c->importing_slots_from)[slot] = cn;
                continue;
            }
            int start, stop;
            char *dash = strchr(arg, '-');
            if (dash) {
                *dash = '\0';
                if (!parse_slot(arg, &start) || !parse_slot(dash + 1, &stop))
                    LOAD_FAIL(lineno, "slot: out of range");
            } else if (!parse_slot(arg, &start)) {
                LOAD_FAIL(lineno, "slot: out of range: %s", arg);
            } else {
                stop = start;
            }
            while (start <= stop)
                rc_cluster_add_slot(node, n, start++);
        }
    }
    if (c->myself == NULL) {
        g_set_error(error, RC_NODES_CONF_ERROR, 0, "nodes.conf: myself: no line");
        goto fail;
    }
    if (rc_cluster_max_epoch(node) > c->current_epoch)
        c->current_epoch = rc_cluster_max_epoch(node);
    ok = TRUE;
fail:
    g_strfreev(argv);
    g_strfreev(lines);
    g_free(copy);
    return ok;
}
