/* The scenario file parser. Reads in two passes: the first splits lines into scalar
 * parameters (at most once each) and statements (nemesis steps, expectations, vary); then
 * overrides replace parameter values, and the second pass converts every parameter and
 * interprets the statements, which may depend on parameters (node names depend on
 * `masters`, times must fall within `duration`). Every error names the line it came from. */
#include "sim/scenario.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/net.h"

G_DEFINE_QUARK(sim - scenario - error - quark, sim_scenario_error)

#define LINE_LEN_MAX 4096

typedef enum {
    P_INT,
    P_BOOL,
    P_TIME,
    P_FLOAT,
    P_ENUM,
    P_STRING, /* one word */
    P_TEXT,   /* the rest of the line */
    P_LATENCY,
    P_NEAR,
    P_SEEDS,
} ParamType;

typedef struct {
    const char *name;
    ParamType type;
    gsize offset;
    gsize size;                 /* of the field: INT fields are guint counts or gint64 */
    double min, max;            /* INT, FLOAT; TIME in microseconds */
    const char *const *choices; /* ENUM */
    const char *def;
} ParamDesc;

static const char *const workload_names[] = {"set", "register", "counter", NULL};
static const char *const set_command_names[] = {"sadd", "rpush", NULL};
static const char *const key_dist_names[] = {"uniform", "zipf", NULL};

#define OFF(f) offsetof(SimScenario, f)
#define FIELD(f) OFF(f), sizeof(((SimScenario *)0)->f)
#define S_US 1e6
static const ParamDesc params[] = {
    {"name", P_STRING, FIELD(name), 0, 0, NULL, ""},
    {"description", P_TEXT, FIELD(description), 0, 0, NULL, ""},
    {"masters", P_INT, FIELD(masters), 1, SIM_SCENARIO_NODES_MAX, NULL, "3"},
    {"replicas", P_INT, FIELD(replicas), 0, 99, NULL, "1"},
    {"node-timeout", P_INT, FIELD(node_timeout_ms), 1, 3600000, NULL, "15000"},
    {"replica-validity-factor", P_INT, FIELD(replica_validity_factor), 0, 1000000, NULL, "10"},
    {"migration-barrier", P_INT, FIELD(migration_barrier), 0, 1000, NULL, "1"},
    {"require-full-coverage", P_BOOL, FIELD(require_full_coverage), 0, 0, NULL, "yes"},
    {"allow-reads-when-down", P_BOOL, FIELD(allow_reads_when_down), 0, 0, NULL, "no"},
    {"allow-replica-migration", P_BOOL, FIELD(allow_replica_migration), 0, 0, NULL, "yes"},
    {"replica-no-failover", P_BOOL, FIELD(replica_no_failover), 0, 0, NULL, "no"},
    {"min-replicas-to-write", P_INT, FIELD(min_replicas_to_write), 0, 99, NULL, "0"},
    {"min-replicas-max-lag", P_INT, FIELD(min_replicas_max_lag_s), 0, 3600, NULL, "10"},
    {"repl-backlog-size", P_INT, FIELD(repl_backlog_size), 16384, 1e12, NULL, "1048576"},
    {"repl-ping-replica-period", P_INT, FIELD(repl_ping_replica_period_s), 1, 3600, NULL, "10"},
    {"repl-timeout", P_INT, FIELD(repl_timeout_s), 1, 3600, NULL, "60"},
    /* Redis's own minimum (1 MiB); above 10^12 bytes nothing in a simulated run differs */
    {"proto-max-bulk-len", P_INT, FIELD(proto_max_bulk_len), 1048576, 1e12, NULL, "536870912"},
    {"client-query-buffer-limit", P_INT, FIELD(client_query_buffer_limit), 1048576, 1e12, NULL,
     "1073741824"},
    {"hz", P_INT, FIELD(hz), 1, 500, NULL, "10"},
    {"boot-spread", P_TIME, FIELD(boot_spread_us), 0, 10 * S_US, NULL, "100ms"},
    {"start-jitter", P_TIME, FIELD(start_jitter_us), 0, 10 * S_US, NULL, "1s"},
    /* a run starts at an arbitrary instant of the wall clock's second */
    {"clock-phase", P_TIME, FIELD(clock_phase_us), 0, 1 * S_US, NULL, "1s"},
    {"latency", P_LATENCY, FIELD(latency), 0, 0, NULL, "uniform 200us 1ms"},
    {"client-latency", P_LATENCY, FIELD(client_latency), 0, 0, NULL, "uniform 100us 500us"},
    /* Linux 6.5 and later: SYNs every second this many times before the backoff doubles */
    {"tcp-syn-linear-timeouts", P_INT, FIELD(tcp_syn_linear_timeouts), 0,
     SIM_NET_SYN_LINEAR_TIMEOUTS_MAX, NULL, "4"},
    /* the links' MSS: Ethernet's by default; the fidelity scenarios use loopback's, where the
     * real servers ran (Nagle and delayed ACKs judge segments by it) */
    {"tcp-mss", P_INT, FIELD(tcp_mss), 536, SIM_NET_MSS_LOOPBACK, NULL, "1448"},
    /* measured: an idle redis-server 7.0.15's serverCron ran every 100.6 ms on average */
    {"timer-latency", P_LATENCY, FIELD(timer_latency), 0, 0, NULL, "uniform 200us 1ms"},
    /* measured: restarting redis-server 7.0.15 as tools/fidelity's client.py does (Python's
     * subprocess, taskset) until it answered PING took 31-44 ms, median 40 ms */
    {"startup-time", P_LATENCY, FIELD(startup_time), 0, 0, NULL, "uniform 30ms 45ms"},
    /* how long fsync of nodes.conf blocks a node (sim_world_set_fsync); 0, not modelled, by
     * default; tools/fidelity measured the disk the real servers ran on */
    {"fsync-latency", P_LATENCY, FIELD(fsync_latency), 0, 0, NULL, "constant 0us"},
    /* a killed process's sockets close one by one (sim_net_set_crash_teardown); both 0, every
     * connection resets at the kill, by default; tools/fidelity captured real kills */
    {"crash-teardown", P_LATENCY, FIELD(crash_teardown), 0, 0, NULL, "constant 0us"},
    {"crash-close-spacing", P_TIME, FIELD(crash_close_spacing_us), 0, 1 * S_US, NULL, "0us"},
    {"clients", P_INT, FIELD(clients), 0, SIM_SCENARIO_CLIENTS_MAX, NULL, "5"},
    {"concurrency", P_INT, FIELD(concurrency), 1, SIM_SCENARIO_CONCURRENCY_MAX, NULL, "1"},
    {"clients-near", P_NEAR, FIELD(clients_near), 0, 0, NULL, "masters"},
    {"client-timeout", P_TIME, FIELD(client_timeout_us), 1000, 3600 * S_US, NULL, "1s"},
    {"client-retries", P_INT, FIELD(client_retries), 0, 1000, NULL, "3"},
    {"client-backoff", P_TIME, FIELD(client_backoff_us), 0, 60 * S_US, NULL, "100ms"},
    {"workload", P_ENUM, FIELD(workload), 0, 0, workload_names, "set"},
    {"set-command", P_ENUM, FIELD(use_rpush), 0, 0, set_command_names, "sadd"},
    {"rate", P_FLOAT, FIELD(rate), 0.001, 1e6, NULL, "200"},
    {"keys", P_INT, FIELD(keys), 1, 1000000, NULL, "100"},
    {"key-dist", P_ENUM, FIELD(key_dist), 0, 0, key_dist_names, "uniform"},
    {"zipf-exponent", P_FLOAT, FIELD(zipf_exponent), 0, 10, NULL, "1"},
    {"read-ratio", P_FLOAT, FIELD(read_ratio), 0, 1, NULL, "0"},
    {"wait-replicas", P_INT, FIELD(wait_replicas), 0, 99, NULL, "0"},
    {"wait-timeout", P_INT, FIELD(wait_timeout_ms), 0, 3600000, NULL, "100"},
    {"duration", P_TIME, FIELD(duration_us), 1000, 86400 * S_US, NULL, "60s"},
    {"converge-within", P_TIME, FIELD(converge_within_us), 0, 3600 * S_US, NULL, "30s"},
    {"max-events", P_INT, FIELD(max_events), 1000, 1e12, NULL, "200000000"},
    {"ci-seeds", P_SEEDS, 0, 0, 0, 0, NULL, "1..3"},
};

static const char *const metric_names[] = {
    "acked",
    "lost",
    "lost.majority",
    "lost.minority",
    "lost.none",
    "indeterminate",
    "recovered",
    "window.majority",
    "window.minority",
    "window-last.majority",
    "window-last.minority",
    "unavailable.majority",
    "unavailable.minority",
    "unavailable.none",
    "failovers",
    "migrations",
    "failover-ms",
    "converge-ms",
    "ok-ops",
    "nemesis-errors",
    NULL,
};

static const ParamDesc *param_find(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(params); i++)
        if (strcmp(params[i].name, name) == 0)
            return &params[i];
    return NULL;
}

gboolean sim_scenario_is_param(const char *name)
{
    return param_find(name) != NULL;
}

gboolean sim_scenario_param_is_number(const char *name)
{
    const ParamDesc *p = param_find(name);
    return p != NULL && (p->type == P_INT || p->type == P_FLOAT);
}

/* ---- small value parsers: each returns NULL on success or a reason (static or owned by
 * the caller through `*owned`) ---- */

static gboolean parse_int(const char *s, gint64 *out)
{
    if (*s == '\0')
        return FALSE;
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (!g_ascii_isdigit(*p))
        return FALSE;
    errno = 0;
    char *end = NULL;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return FALSE;
    *out = v;
    return TRUE;
}

static gboolean parse_float(const char *s, double *out)
{
    if (*s == '\0' || !(g_ascii_isdigit(*s) || *s == '.' || *s == '-' || *s == '+'))
        return FALSE;
    char *end = NULL;
    errno = 0;
    double v = g_ascii_strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return FALSE;
    *out = v;
    return TRUE;
}

/* A time: a number with an optional unit us, ms, s or m; a bare number is milliseconds. */
static gboolean parse_time(const char *s, RcTime *out)
{
    gsize n = strlen(s);
    gsize digits = 0;
    while (digits < n && (g_ascii_isdigit(s[digits]) || s[digits] == '.'))
        digits++;
    if (digits == 0 || digits > 30)
        return FALSE;
    char num[32];
    memcpy(num, s, digits);
    num[digits] = '\0';
    double v;
    if (!parse_float(num, &v))
        return FALSE;
    const char *unit = s + digits;
    double mult;
    if (*unit == '\0' || strcmp(unit, "ms") == 0)
        mult = 1e3;
    else if (strcmp(unit, "us") == 0)
        mult = 1;
    else if (strcmp(unit, "s") == 0)
        mult = 1e6;
    else if (strcmp(unit, "m") == 0)
        mult = 60e6;
    else
        return FALSE;
    double us = v * mult;
    if (us > 1e15)
        return FALSE;
    *out = (RcTime)llround(us);
    return TRUE;
}

static gboolean parse_signed_time(const char *s, RcTime *out)
{
    gboolean neg = s[0] == '-';
    if (s[0] == '-' || s[0] == '+')
        s++;
    if (!parse_time(s, out))
        return FALSE;
    if (neg)
        *out = -*out;
    return TRUE;
}

/* MIN..MAX of times */
static gboolean parse_time_range(const char *s, RcTime *lo, RcTime *hi)
{
    const char *dots = strstr(s, "..");
    if (dots == NULL)
        return FALSE;
    g_autofree char *a = g_strndup(s, dots - s);
    if (!parse_time(a, lo) || !parse_time(dots + 2, hi))
        return FALSE;
    return *lo <= *hi;
}

static char *fmt_time(RcTime us)
{
    if (us % 1000000 == 0)
        return g_strdup_printf("%" G_GINT64_FORMAT "s", us / 1000000);
    if (us % 1000 == 0)
        return g_strdup_printf("%" G_GINT64_FORMAT "ms", us / 1000);
    return g_strdup_printf("%" G_GINT64_FORMAT "us", us);
}

/* ---- errors ---- */

typedef struct {
    const char *path;
    GError **error;
} Ctx;

/* `where` is "path:line" or "--set k=v". */
G_GNUC_PRINTF(4, 5)
static gboolean fail(GError **error, const char *where, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_SYNTAX, "%s: %s: %s", where, field,
                msg);
    return FALSE;
}

/* ---- targets ---- */

static gboolean parse_index(const char *s, guint *out)
{
    gint64 v;
    if (!g_ascii_isdigit(*s) || !parse_int(s, &v) || v < 1 || v > 1000000)
        return FALSE;
    *out = (guint)(v - 1);
    return TRUE;
}

/* Parse one target word; `reason` receives why not. */
static gboolean parse_target(const SimScenario *sc, const char *w, SimTarget *t, char **reason)
{
    guint nodes = sim_scenario_nodes(sc);
    memset(t, 0, sizeof *t);
    if (strcmp(w, "rest") == 0) {
        t->kind = SIM_TARGET_REST;
        return TRUE;
    }
    if (strcmp(w, "random-node") == 0) {
        t->kind = SIM_TARGET_RANDOM_NODE;
        return TRUE;
    }
    if (strcmp(w, "random-primary") == 0) {
        t->kind = SIM_TARGET_RANDOM_PRIMARY;
        return TRUE;
    }
    if (strcmp(w, "random-replica") == 0) {
        if (sc->replicas == 0) {
            *reason = g_strdup("random-replica: the cluster has no replicas");
            return FALSE;
        }
        t->kind = SIM_TARGET_RANDOM_REPLICA;
        return TRUE;
    }
    if (g_str_has_prefix(w, "primary:") || g_str_has_prefix(w, "replica:")) {
        gboolean primary = w[1] == 'r' && w[2] == 'i';
        const char *num = strchr(w, ':') + 1;
        if (!parse_index(num, &t->index)) {
            *reason = g_strdup_printf("'%s': expected a shard number after ':'", w);
            return FALSE;
        }
        if (t->index >= sc->masters) {
            *reason = g_strdup_printf("'%s': there are only %u shards", w, sc->masters);
            return FALSE;
        }
        if (!primary && sc->replicas == 0) {
            *reason = g_strdup_printf("'%s': the cluster has no replicas", w);
            return FALSE;
        }
        t->kind = primary ? SIM_TARGET_PRIMARY : SIM_TARGET_REPLICA;
        return TRUE;
    }
    if (g_str_has_prefix(w, "clients-of:")) {
        const char *n = w + strlen("clients-of:");
        if (n[0] != 'n' || !parse_index(n + 1, &t->index)) {
            *reason = g_strdup_printf("'%s': expected clients-of:n<number>", w);
            return FALSE;
        }
        if (t->index >= nodes) {
            *reason = g_strdup_printf("'%s': there are only %u nodes", w, nodes);
            return FALSE;
        }
        t->kind = SIM_TARGET_CLIENTS_OF;
        return TRUE;
    }
    if ((w[0] == 'n' || w[0] == 'c') && parse_index(w + 1, &t->index)) {
        if (w[0] == 'n' && t->index >= nodes) {
            *reason = g_strdup_printf("'%s': there are only %u nodes (n1..n%u)", w, nodes, nodes);
            return FALSE;
        }
        if (w[0] == 'c' && t->index >= sc->clients) {
            *reason = g_strdup_printf("'%s': there are only %u clients", w, sc->clients);
            return FALSE;
        }
        t->kind = w[0] == 'n' ? SIM_TARGET_NODE : SIM_TARGET_CLIENT;
        return TRUE;
    }
    *reason = g_strdup_printf("unknown host '%s' (expected n<i>, c<i>, primary:<shard>, "
                              "replica:<shard>, random-node, random-primary, random-replica, "
                              "clients-of:n<i> or rest)",
                              w);
    return FALSE;
}

static gboolean target_is_node(const SimTarget *t)
{
    return t->kind == SIM_TARGET_NODE || t->kind == SIM_TARGET_PRIMARY ||
           t->kind == SIM_TARGET_REPLICA || t->kind == SIM_TARGET_RANDOM_NODE ||
           t->kind == SIM_TARGET_RANDOM_PRIMARY || t->kind == SIM_TARGET_RANDOM_REPLICA;
}

/* ---- scalar conversion ---- */

static gboolean parse_latency(const char *text, SimScenarioLatency *lat, char **reason)
{
    g_auto(GStrv) w = g_strsplit_set(text, " \t", -1);
    GPtrArray *words = g_ptr_array_new();
    for (guint i = 0; w[i] != NULL; i++)
        if (w[i][0] != '\0')
            g_ptr_array_add(words, w[i]);
    guint n = words->len;
    const char *shape = n > 0 ? g_ptr_array_index(words, 0) : "";
    RcTime v[3] = {0, 0, 0};
    guint want;
    memset(lat, 0, sizeof *lat);
    if (strcmp(shape, "constant") == 0) {
        lat->shape = SIM_SCN_LAT_CONSTANT;
        want = 1;
    } else if (strcmp(shape, "uniform") == 0) {
        lat->shape = SIM_SCN_LAT_UNIFORM;
        want = 2;
    } else if (strcmp(shape, "normal") == 0) {
        lat->shape = SIM_SCN_LAT_NORMAL;
        want = 3;
    } else if (strcmp(shape, "lognormal") == 0) {
        lat->shape = SIM_SCN_LAT_LOGNORMAL;
        want = 2;
    } else {
        *reason =
            g_strdup_printf("unknown shape '%s' (constant, uniform, normal, lognormal)", shape);
        g_ptr_array_free(words, TRUE);
        return FALSE;
    }
    if (n - 1 != want) {
        *reason =
            g_strdup_printf("%s takes %u time%s, got %u", shape, want, want == 1 ? "" : "s", n - 1);
        g_ptr_array_free(words, TRUE);
        return FALSE;
    }
    for (guint i = 0; i < want; i++) {
        const char *s = g_ptr_array_index(words, i + 1);
        if (!parse_time(s, &v[i]) || v[i] > 60 * RC_US_PER_S) {
            *reason = g_strdup_printf("'%s' is not a time up to 60s (like 500us, 2ms)", s);
            g_ptr_array_free(words, TRUE);
            return FALSE;
        }
    }
    g_ptr_array_free(words, TRUE);
    lat->a_us = v[0];
    lat->b_us = v[1];
    lat->c_us = v[2];
    if (lat->shape == SIM_SCN_LAT_UNIFORM && lat->a_us > lat->b_us) {
        *reason = g_strdup("uniform: the minimum is above the maximum");
        return FALSE;
    }
    return TRUE;
}

static gboolean convert_param(SimScenario *sc, const ParamDesc *p, const char *value, char **reason)
{
    void *field = (char *)sc + p->offset;
    switch (p->type) {
    case P_INT: {
        gint64 v;
        if (!parse_int(value, &v)) {
            *reason = g_strdup_printf("expected an integer, got '%s'", value);
            return FALSE;
        }
        if ((double)v < p->min || (double)v > p->max) {
            *reason = g_strdup_printf("%" G_GINT64_FORMAT " is out of range [%.0f, %.0f]", v,
                                      p->min, p->max);
            return FALSE;
        }
        if (p->size == sizeof(guint)) {
            *(guint *)field = (guint)v;
        } else {
            rc_assert(p->size == sizeof(gint64));
            *(gint64 *)field = v;
        }
        return TRUE;
    }
    case P_FLOAT: {
        double v;
        if (!parse_float(value, &v)) {
            *reason = g_strdup_printf("expected a number, got '%s'", value);
            return FALSE;
        }
        if (v < p->min || v > p->max) {
            *reason = g_strdup_printf("%g is out of range [%g, %g]", v, p->min, p->max);
            return FALSE;
        }
        *(double *)field = v;
        return TRUE;
    }
    case P_BOOL:
        if (strcmp(value, "yes") == 0)
            *(gboolean *)field = TRUE;
        else if (strcmp(value, "no") == 0)
            *(gboolean *)field = FALSE;
        else {
            *reason = g_strdup_printf("expected yes or no, got '%s'", value);
            return FALSE;
        }
        return TRUE;
    case P_TIME: {
        RcTime v;
        if (!parse_time(value, &v)) {
            *reason = g_strdup_printf("expected a time such as 500ms or 10s (a bare number is ms), "
                                      "got '%s'",
                                      value);
            return FALSE;
        }
        if ((double)v < p->min || (double)v > p->max) {
            g_autofree char *lo = fmt_time((RcTime)p->min);
            g_autofree char *hi = fmt_time((RcTime)p->max);
            *reason = g_strdup_printf("'%s' is out of range [%s, %s]", value, lo, hi);
            return FALSE;
        }
        *(RcTime *)field = v;
        return TRUE;
    }
    case P_ENUM:
        for (int i = 0; p->choices[i] != NULL; i++)
            if (strcmp(p->choices[i], value) == 0) {
                if (p->offset == OFF(use_rpush))
                    *(gboolean *)field = i == 1;
                else
                    *(int *)field = i;
                return TRUE;
            }
        {
            g_autofree char *all = g_strjoinv(", ", (char **)p->choices);
            *reason = g_strdup_printf("expected one of %s, got '%s'", all, value);
        }
        return FALSE;
    case P_STRING:
        if (strchr(value, ' ') != NULL || strchr(value, '\t') != NULL) {
            *reason = g_strdup_printf("expected one word, got '%s'", value);
            return FALSE;
        }
        /* fall through */
    case P_TEXT:
        g_free(*(char **)field);
        *(char **)field = g_strdup(value);
        return TRUE;
    case P_LATENCY:
        return parse_latency(value, (SimScenarioLatency *)field, reason);
    case P_NEAR: {
        GArray *near = g_array_new(FALSE, TRUE, sizeof(SimTarget));
        if (strcmp(value, "masters") == 0 || strcmp(value, "all") == 0) {
            guint n = value[0] == 'm' ? sc->masters : sim_scenario_nodes(sc);
            for (guint i = 0; i < n; i++) {
                SimTarget t = {.kind = SIM_TARGET_NODE, .index = i};
                g_array_append_val(near, t);
            }
        } else {
            g_auto(GStrv) parts = g_strsplit(value, ",", -1);
            for (guint i = 0; parts[i] != NULL; i++) {
                SimTarget t;
                g_strstrip(parts[i]);
                if (parts[i][0] != 'n' || !parse_target(sc, parts[i], &t, reason)) {
                    if (*reason == NULL)
                        *reason = g_strdup_printf(
                            "'%s': expected masters, all, or a comma-separated list of n<i>",
                            parts[i]);
                    g_array_free(near, TRUE);
                    return FALSE;
                }
                g_array_append_val(near, t);
            }
        }
        if (sc->clients_near != NULL)
            g_array_free(sc->clients_near, TRUE);
        sc->clients_near = near;
        return TRUE;
    }
    case P_SEEDS: {
        const char *dots = strstr(value, "..");
        gint64 a, b;
        g_autofree char *first = dots ? g_strndup(value, dots - value) : g_strdup(value);
        if (!parse_int(first, &a) || !parse_int(dots ? dots + 2 : value, &b) || a < 0 || b < a) {
            *reason = g_strdup_printf("expected seeds FIRST..LAST or one seed, got '%s'", value);
            return FALSE;
        }
        sc->ci_seed_first = (guint64)a;
        sc->ci_seed_last = (guint64)b;
        return TRUE;
    }
    }
    rc_assert(!"unreachable parameter type");
    return FALSE;
}

/* ---- statements ---- */

typedef struct {
    guint line;
    char **words; /* owned */
    guint nwords;
    char *text; /* the whole line without comment, trimmed */
} RawLine;

static void raw_line_clear(gpointer p)
{
    RawLine *r = p;
    g_strfreev(r->words);
    g_free(r->text);
}

/* Split into partition groups at '|' (or "->" for one-way) and members at ',' or blanks. */
static gboolean parse_groups(const SimScenario *sc, SimNemesisStep *st, char **words, guint n,
                             const char *sep, char **reason)
{
    g_autofree char *joined = g_strjoinv(" ", words);
    (void)n;
    g_auto(GStrv) groups = g_strsplit(joined, sep, -1);
    guint ng = g_strv_length(groups);
    if (ng < 2) {
        *reason = g_strdup_printf("expected at least two groups separated by '%s'", sep);
        return FALSE;
    }
    guint rest_groups = 0;
    gboolean seen[SIM_SCENARIO_NODES_MAX] = {FALSE};
    g_autofree gboolean *seen_c = g_new0(gboolean, sc->clients + 1);
    for (guint g = 0; g < ng; g++) {
        g_auto(GStrv) members = g_strsplit_set(groups[g], ", \t", -1);
        guint count = 0;
        for (guint i = 0; members[i] != NULL; i++) {
            if (members[i][0] == '\0')
                continue;
            SimTarget t;
            if (!parse_target(sc, members[i], &t, reason))
                return FALSE;
            if (t.kind == SIM_TARGET_REST)
                rest_groups++;
            if (t.kind == SIM_TARGET_NODE) {
                if (seen[t.index]) {
                    *reason = g_strdup_printf("'%s' is in two groups", members[i]);
                    return FALSE;
                }
                seen[t.index] = TRUE;
            }
            if (t.kind == SIM_TARGET_CLIENT) {
                if (seen_c[t.index]) {
                    *reason = g_strdup_printf("'%s' is in two groups", members[i]);
                    return FALSE;
                }
                seen_c[t.index] = TRUE;
            }
            t.group = g;
            g_array_append_val(st->targets, t);
            count++;
        }
        if (count == 0) {
            *reason = g_strdup_printf("group %u is empty", g + 1);
            return FALSE;
        }
    }
    if (rest_groups > 1) {
        *reason = g_strdup("'rest' may appear in one group only");
        return FALSE;
    }
    st->ngroups = ng;
    return TRUE;
}

static gboolean parse_op(const SimScenario *sc, SimNemesisStep *st, char **w, guint n,
                         const char **field, char **reason)
{
    const char *op = n > 0 ? w[0] : "";
    *field = op[0] ? op : "nemesis";
    static const char *const ops[] = {"partition", "heal", "crash",    "restart", "pause",
                                      "resume",    "skew", "failover", "reshard", NULL};
    int kind = -1;
    for (int i = 0; ops[i] != NULL; i++)
        if (strcmp(ops[i], op) == 0)
            kind = i;
    if (kind < 0) {
        *field = "nemesis";
        *reason = g_strdup_printf("unknown operation '%s' (partition, heal, crash, restart, "
                                  "pause, resume, skew, failover, reshard)",
                                  op);
        return FALSE;
    }
    st->kind = (SimNemesisKind)kind;
    w++;
    n--;
    SimTarget t;
    switch (st->kind) {
    case SIM_NEM_HEAL:
        if (n != 0) {
            *reason = g_strdup_printf("takes no arguments, got '%s'", w[0]);
            return FALSE;
        }
        return TRUE;
    case SIM_NEM_PARTITION: {
        if (n == 0) {
            *reason = g_strdup("expected a shape (isolate, one-way, majority-minority, "
                               "random-halves, random-node, bridge) or groups 'a,b | rest'");
            return FALSE;
        }
        static const struct {
            const char *name;
            SimPartitionShape shape;
        } shapes[] = {{"majority-minority", SIM_PART_MAJORITY_MINORITY},
                      {"random-halves", SIM_PART_RANDOM_HALVES},
                      {"random-node", SIM_PART_RANDOM_NODE},
                      {"bridge", SIM_PART_BRIDGE}};
        for (gsize i = 0; i < G_N_ELEMENTS(shapes); i++)
            if (strcmp(w[0], shapes[i].name) == 0) {
                if (n != 1) {
                    *reason = g_strdup_printf("%s takes no arguments, got '%s'", w[0], w[1]);
                    return FALSE;
                }
                if (shapes[i].shape == SIM_PART_BRIDGE && sim_scenario_nodes(sc) < 3) {
                    *reason = g_strdup("bridge needs at least 3 nodes");
                    return FALSE;
                }
                st->shape = shapes[i].shape;
                return TRUE;
            }
        if (strcmp(w[0], "isolate") == 0) {
            st->shape = SIM_PART_ISOLATE;
            if (n < 2 || n > 3) {
                *reason = g_strdup("expected 'isolate NODE [with-clients]'");
                return FALSE;
            }
            if (!parse_target(sc, w[1], &t, reason))
                return FALSE;
            if (!target_is_node(&t)) {
                *reason = g_strdup_printf("isolate: '%s' is not a node", w[1]);
                return FALSE;
            }
            if (n == 3) {
                if (strcmp(w[2], "with-clients") != 0) {
                    *reason = g_strdup_printf("expected 'with-clients', got '%s'", w[2]);
                    return FALSE;
                }
                st->with_clients = TRUE;
            }
            g_array_append_val(st->targets, t);
            return TRUE;
        }
        if (strcmp(w[0], "one-way") == 0) {
            st->shape = SIM_PART_ONE_WAY;
            if (!parse_groups(sc, st, w + 1, n - 1, "->", reason))
                return FALSE;
            if (st->ngroups != 2) {
                *reason = g_strdup("one-way takes exactly 'FROM -> TO'");
                return FALSE;
            }
            return TRUE;
        }
        st->shape = SIM_PART_GROUPS;
        return parse_groups(sc, st, w, n, "|", reason);
    }
    case SIM_NEM_CRASH:
    case SIM_NEM_RESTART:
    case SIM_NEM_PAUSE:
    case SIM_NEM_RESUME:
        if (n == 0) {
            *reason = g_strdup("expected at least one node");
            return FALSE;
        }
        for (guint i = 0; i < n; i++) {
            if (!parse_target(sc, w[i], &t, reason))
                return FALSE;
            if (!target_is_node(&t)) {
                *reason = g_strdup_printf("'%s' is not a node", w[i]);
                return FALSE;
            }
            g_array_append_val(st->targets, t);
        }
        return TRUE;
    case SIM_NEM_SKEW:
        if (n != 2 && n != 4) {
            *reason = g_strdup("expected 'skew NODE OFFSET [drift PPM]'");
            return FALSE;
        }
        if (!parse_target(sc, w[0], &t, reason))
            return FALSE;
        if (!target_is_node(&t)) {
            *reason = g_strdup_printf("'%s' is not a node", w[0]);
            return FALSE;
        }
        g_array_append_val(st->targets, t);
        if (!parse_signed_time(w[1], &st->skew_us)) {
            *reason = g_strdup_printf("expected an offset like +500ms or -2s, got '%s'", w[1]);
            return FALSE;
        }
        if (n == 4) {
            if (strcmp(w[2], "drift") != 0 || !parse_int(w[3], &st->drift_ppm) ||
                st->drift_ppm < -100000 || st->drift_ppm > 100000) {
                *reason = g_strdup("expected 'drift PPM' with PPM in [-100000, 100000]");
                return FALSE;
            }
        }
        return TRUE;
    case SIM_NEM_FAILOVER:
        if (n != 1 && n != 2) {
            *reason = g_strdup("expected 'failover REPLICA [force|takeover]'");
            return FALSE;
        }
        if (!parse_target(sc, w[0], &t, reason))
            return FALSE;
        if (!target_is_node(&t)) {
            *reason = g_strdup_printf("'%s' is not a node", w[0]);
            return FALSE;
        }
        if (t.kind == SIM_TARGET_NODE && sim_scenario_node_shard(sc, t.index) == t.index) {
            *reason = g_strdup_printf("'%s' starts as a master; name a replica", w[0]);
            return FALSE;
        }
        g_array_append_val(st->targets, t);
        if (n == 2) {
            if (strcmp(w[1], "force") == 0)
                st->failover_mode = 1;
            else if (strcmp(w[1], "takeover") == 0)
                st->failover_mode = 2;
            else {
                *reason = g_strdup_printf("expected force or takeover, got '%s'", w[1]);
                return FALSE;
            }
        }
        return TRUE;
    case SIM_NEM_RESHARD: {
        if (n != 3) {
            *reason = g_strdup("expected 'reshard FIRST-LAST FROM TO'");
            return FALSE;
        }
        const char *dash = strchr(w[0], '-');
        gint64 a, b;
        g_autofree char *first = dash ? g_strndup(w[0], dash - w[0]) : g_strdup(w[0]);
        if (!parse_int(first, &a) || !parse_int(dash ? dash + 1 : w[0], &b) || a < 0 || b > 16383 ||
            a > b) {
            *reason = g_strdup_printf("'%s' is not a slot range within 0-16383", w[0]);
            return FALSE;
        }
        st->slot_first = (guint)a;
        st->slot_last = (guint)b;
        for (guint i = 1; i < 3; i++) {
            if (!parse_target(sc, w[i], &t, reason))
                return FALSE;
            if (!target_is_node(&t)) {
                *reason = g_strdup_printf("'%s' is not a node", w[i]);
                return FALSE;
            }
            g_array_append_val(st->targets, t);
        }
        /* The same host twice moves nothing: refuse it now rather than run a step that
         * cannot take effect. Random roles are drawn separately and may still differ. */
        const SimTarget *src = &g_array_index(st->targets, SimTarget, 0);
        const SimTarget *dst = &g_array_index(st->targets, SimTarget, 1);
        gboolean is_random = src->kind == SIM_TARGET_RANDOM_NODE ||
                             src->kind == SIM_TARGET_RANDOM_PRIMARY ||
                             src->kind == SIM_TARGET_RANDOM_REPLICA;
        if (!is_random && src->kind == dst->kind && src->index == dst->index) {
            *reason = g_strdup_printf("the source and the destination are both '%s'", w[1]);
            return FALSE;
        }
        return TRUE;
    }
    }
    return TRUE;
}

static void step_clear(gpointer p)
{
    SimNemesisStep *st = p;
    g_free(st->text);
    if (st->targets)
        g_array_free(st->targets, TRUE);
}

static void expectation_clear(gpointer p)
{
    SimExpectation *e = p;
    g_free(e->metric);
    g_free(e->bound);
}

static gboolean need_time(const char *where, const char *field, const char *word, RcTime *out,
                          GError **error)
{
    if (word == NULL)
        return fail(error, where, field, "expected a time, got end of line");
    if (!parse_time(word, out))
        return fail(error, where, field, "expected a time such as 10s or 500ms, got '%s'", word);
    return TRUE;
}

static gboolean parse_step(SimScenario *sc, const RawLine *r, const char *where, GError **error)
{
    SimNemesisStep st = {0};
    st.line = r->line;
    st.text = g_strdup(r->text);
    st.targets = g_array_new(FALSE, TRUE, sizeof(SimTarget));
    char **w = r->words;
    guint n = r->nwords;
    const char *kw = w[0];
    guint next;
    gboolean want_hold = FALSE;
    if (strcmp(kw, "at") == 0) {
        st.schedule = SIM_SCHEDULE_AT;
        if (!need_time(where, "at", n > 1 ? w[1] : NULL, &st.at_us, error))
            goto bad;
        next = 2;
    } else {
        /* flap from T until T period T OP...  |  random from T until T every A..B [for A..B] OP */
        st.schedule = kw[0] == 'f' ? SIM_SCHEDULE_FLAP : SIM_SCHEDULE_RANDOM;
        if (n < 5 || strcmp(w[1], "from") != 0 || strcmp(w[3], "until") != 0) {
            fail(error, where, kw, "expected '%s from TIME until TIME %s'", kw,
                 kw[0] == 'f' ? "period TIME partition ..." : "every MIN..MAX [for MIN..MAX] OP");
            goto bad;
        }
        if (!need_time(where, kw, w[2], &st.at_us, error) ||
            !need_time(where, kw, w[4], &st.until_us, error))
            goto bad;
        if (st.until_us <= st.at_us) {
            fail(error, where, kw, "'until' (%s) is not after 'from' (%s)", w[4], w[2]);
            goto bad;
        }
        if (st.schedule == SIM_SCHEDULE_FLAP) {
            if (n < 7 || strcmp(w[5], "period") != 0) {
                fail(error, where, kw, "expected 'period TIME' after the until time");
                goto bad;
            }
            if (!need_time(where, kw, w[6], &st.period_us, error))
                goto bad;
            if (st.period_us < 1000) {
                fail(error, where, kw, "period must be at least 1ms");
                goto bad;
            }
            next = 7;
        } else {
            if (n < 7 || strcmp(w[5], "every") != 0 ||
                !parse_time_range(w[6], &st.every_min_us, &st.every_max_us)) {
                fail(error, where, kw, "expected 'every MIN..MAX' (like every 5s..15s)");
                goto bad;
            }
            if (st.every_max_us < 1000) {
                fail(error, where, kw, "'every' must allow gaps of at least 1ms");
                goto bad;
            }
            next = 7;
            if (n > 8 && strcmp(w[7], "for") == 0) {
                if (!parse_time_range(w[8], &st.hold_min_us, &st.hold_max_us)) {
                    fail(error, where, kw, "expected 'for MIN..MAX' (like for 2s..8s)");
                    goto bad;
                }
                want_hold = TRUE;
                next = 9;
            }
        }
    }
    if (next >= n) {
        fail(error, where, "nemesis", "expected an operation after the schedule");
        goto bad;
    }
    const char *field = NULL;
    char *reason = NULL;
    if (!parse_op(sc, &st, w + next, n - next, &field, &reason)) {
        fail(error, where, field, "%s", reason);
        g_free(reason);
        goto bad;
    }
    if (st.schedule == SIM_SCHEDULE_FLAP && st.kind != SIM_NEM_PARTITION) {
        fail(error, where, "flap", "only a partition can flap, not '%s'",
             sim_nemesis_kind_name(st.kind));
        goto bad;
    }
    if (st.schedule == SIM_SCHEDULE_RANDOM) {
        gboolean undoable = st.kind == SIM_NEM_PARTITION || st.kind == SIM_NEM_CRASH ||
                            st.kind == SIM_NEM_PAUSE || st.kind == SIM_NEM_SKEW;
        gboolean is_undo =
            st.kind == SIM_NEM_HEAL || st.kind == SIM_NEM_RESTART || st.kind == SIM_NEM_RESUME;
        if (is_undo) {
            fail(error, where, "random", "'%s' is implied by 'for'; schedule the fault instead",
                 sim_nemesis_kind_name(st.kind));
            goto bad;
        }
        if (undoable && !want_hold) {
            fail(error, where, "random", "a random %s needs 'for MIN..MAX' (how long it lasts)",
                 sim_nemesis_kind_name(st.kind));
            goto bad;
        }
    }
    g_array_append_val(sc->steps, st);
    return TRUE;
bad:
    step_clear(&st);
    return FALSE;
}

static gboolean parse_expect(SimScenario *sc, const RawLine *r, const char *where, GError **error)
{
    static const char usage[] = "expected 'expect METRIC OP NUMBER [x node-timeout] [+ NUMBER]'";
    if (r->nwords != 4 && r->nwords != 6 && r->nwords != 8)
        return fail(error, where, "expect", "%s", usage);
    const char *metric = r->words[1];
    gboolean known = FALSE;
    for (int i = 0; metric_names[i] != NULL; i++)
        known |= strcmp(metric_names[i], metric) == 0;
    if (!known)
        return fail(error, where, "expect", "unknown metric '%s'", metric);
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">=", NULL};
    int cmp = -1;
    for (int i = 0; ops[i] != NULL; i++)
        if (strcmp(ops[i], r->words[2]) == 0)
            cmp = i;
    if (cmp < 0)
        return fail(error, where, "expect", "unknown comparison '%s' (==, !=, <, <=, >, >=)",
                    r->words[2]);
    double v;
    if (!parse_float(r->words[3], &v))
        return fail(error, where, "expect", "expected a number, got '%s'", r->words[3]);
    guint w = 4;
    if (w + 1 < r->nwords && strcmp(r->words[w], "x") == 0) {
        if (strcmp(r->words[w + 1], "node-timeout") != 0)
            return fail(error, where, "expect", "'x %s': only 'x node-timeout' scales a bound",
                        r->words[w + 1]);
        v *= (double)sc->node_timeout_ms;
        w += 2;
    }
    if (w + 1 < r->nwords && strcmp(r->words[w], "+") == 0) {
        double add;
        if (!parse_float(r->words[w + 1], &add))
            return fail(error, where, "expect", "expected a number after '+', got '%s'",
                        r->words[w + 1]);
        v += add;
        w += 2;
    }
    if (w != r->nwords)
        return fail(error, where, "expect", "%s", usage);
    GString *bound = g_string_new(r->words[3]);
    for (guint i = 4; i < r->nwords; i++)
        g_string_append_printf(bound, " %s", r->words[i]);
    SimExpectation e = {.line = r->line,
                        .metric = g_strdup(metric),
                        .cmp = cmp,
                        .value = v,
                        .bound = g_string_free(bound, FALSE)};
    g_array_append_val(sc->expectations, e);
    return TRUE;
}

static gboolean parse_vary(SimScenario *sc, const RawLine *r, const char *where, GError **error)
{
    if (r->nwords != 3)
        return fail(error, where, "vary", "expected 'vary PARAMETER V1,V2,...'");
    const ParamDesc *p = param_find(r->words[1]);
    if (p == NULL)
        return fail(error, where, "vary", "unknown parameter '%s'", r->words[1]);
    if (sc->vary_param != NULL)
        return fail(error, where, "vary", "only one 'vary' line is allowed");
    g_auto(GStrv) values = g_strsplit(r->words[2], ",", -1);
    for (guint i = 0; values[i] != NULL; i++) {
        SimScenario scratch = {0};
        scratch.masters = sc->masters;
        scratch.replicas = sc->replicas;
        scratch.clients = sc->clients;
        char *reason = NULL;
        gboolean ok = values[i][0] != '\0' && convert_param(&scratch, p, values[i], &reason);
        g_free(scratch.name);
        g_free(scratch.description);
        if (scratch.clients_near)
            g_array_free(scratch.clients_near, TRUE);
        if (!ok) {
            gboolean r2 =
                fail(error, where, "vary", "%s: %s", p->name, reason ? reason : "empty value");
            g_free(reason);
            return r2;
        }
    }
    sc->vary_param = g_strdup(p->name);
    sc->vary_values = g_strdup(r->words[2]);
    return TRUE;
}

static gboolean check_times(SimScenario *sc, const char *path, GError **error)
{
    for (guint i = 0; i < sc->steps->len; i++) {
        SimNemesisStep *st = &g_array_index(sc->steps, SimNemesisStep, i);
        RcTime last = st->schedule == SIM_SCHEDULE_AT ? st->at_us : st->until_us;
        if (last > sc->duration_us) {
            g_autofree char *where = g_strdup_printf("%s:%u", path, st->line);
            g_autofree char *t = fmt_time(last);
            g_autofree char *d = fmt_time(sc->duration_us);
            return fail(error, where, st->schedule == SIM_SCHEDULE_AT ? "at" : "until",
                        "%s is after the end of the run (duration %s)", t, d);
        }
    }
    return TRUE;
}

/* ---- the parser ---- */

SimScenario *sim_scenario_parse(const char *path, const char *text, gsize len,
                                const char *const *overrides, GError **error)
{
    g_autoptr(SimScenario) sc = g_new0(SimScenario, 1);
    sc->path = g_strdup(path);
    sc->steps = g_array_new(FALSE, TRUE, sizeof(SimNemesisStep));
    g_array_set_clear_func(sc->steps, step_clear);
    sc->expectations = g_array_new(FALSE, TRUE, sizeof(SimExpectation));
    g_array_set_clear_func(sc->expectations, expectation_clear);
    sc->param_names = g_ptr_array_new();
    sc->param_values = g_ptr_array_new_with_free_func(g_free);

    /* Pass 1: lines. */
    char *values[G_N_ELEMENTS(params)] = {NULL};
    guint value_line[G_N_ELEMENTS(params)] = {0};
    g_autoptr(GArray) raws = g_array_new(FALSE, TRUE, sizeof(RawLine));
    g_array_set_clear_func(raws, raw_line_clear);
    gboolean ok = TRUE;
    gsize pos = 0;
    guint lineno = 0;
    while (ok && pos < len) {
        lineno++;
        gsize end = pos;
        while (end < len && text[end] != '\n')
            end++;
        gsize llen = end - pos;
        g_autofree char *where = g_strdup_printf("%s:%u", path, lineno);
        if (memchr(text + pos, '\0', llen) != NULL) {
            ok = fail(error, where, "line", "contains a NUL byte");
            break;
        }
        if (llen > LINE_LEN_MAX) {
            ok = fail(error, where, "line", "longer than %d bytes", LINE_LEN_MAX);
            break;
        }
        g_autofree char *line = g_strndup(text + pos, llen);
        pos = end + 1;
        if (!g_utf8_validate(line, -1, NULL)) {
            ok = fail(error, where, "line", "is not valid UTF-8");
            break;
        }
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        g_strstrip(line);
        if (line[0] == '\0')
            continue;
        g_auto(GStrv) split = g_strsplit_set(line, " \t\r", -1);
        GPtrArray *words = g_ptr_array_new();
        for (guint i = 0; split[i] != NULL; i++)
            if (split[i][0] != '\0')
                g_ptr_array_add(words, g_strdup(split[i]));
        g_ptr_array_add(words, NULL);
        RawLine r = {.line = lineno, .nwords = words->len - 1};
        r.words = (char **)g_ptr_array_free(words, FALSE);
        r.text = g_strdup(line);
        const char *kw = r.words[0];
        const ParamDesc *p = param_find(kw);
        if (p != NULL) {
            gsize idx = p - params;
            if (values[idx] != NULL) {
                ok = fail(error, where, kw, "set twice (first on line %u)", value_line[idx]);
            } else if (r.nwords < 2) {
                ok = fail(error, where, kw, "expected a value");
            } else if (r.nwords > 2 && p->type != P_TEXT && p->type != P_LATENCY) {
                ok = fail(error, where, kw, "expected one value, got %u", r.nwords - 1);
            } else {
                /* the value is the rest of the line after the keyword */
                const char *rest = line + strlen(kw);
                while (*rest == ' ' || *rest == '\t')
                    rest++;
                values[idx] = g_strdup(rest);
                value_line[idx] = lineno;
            }
            raw_line_clear(&r);
        } else if (strcmp(kw, "at") == 0 || strcmp(kw, "flap") == 0 || strcmp(kw, "random") == 0 ||
                   strcmp(kw, "expect") == 0 || strcmp(kw, "vary") == 0) {
            g_array_append_val(raws, r);
            if (raws->len > SIM_SCENARIO_STEPS_MAX)
                ok = fail(error, where, kw, "more than %d statements", SIM_SCENARIO_STEPS_MAX);
        } else {
            ok = fail(error, where, kw, "unknown parameter or statement");
            raw_line_clear(&r);
        }
    }

    /* Overrides. */
    char *override_where[G_N_ELEMENTS(params)] = {NULL};
    for (guint i = 0; ok && overrides != NULL && overrides[i] != NULL; i++) {
        const char *kv = overrides[i];
        g_autofree char *where = g_strdup_printf("--set %s", kv);
        const char *eq = strchr(kv, '=');
        if (eq == NULL || eq == kv) {
            ok = fail(error, where, "--set", "expected KEY=VALUE");
            break;
        }
        g_autofree char *key = g_strndup(kv, eq - kv);
        const ParamDesc *p = param_find(key);
        if (p == NULL) {
            ok = fail(error, where, key, "unknown parameter");
            break;
        }
        gsize idx = p - params;
        g_free(values[idx]);
        values[idx] = g_strdup(eq + 1);
        g_free(override_where[idx]);
        override_where[idx] = g_strdup(where);
    }

    /* Pass 2: parameters, in table order (masters before clients-near). */
    for (gsize i = 0; ok && i < G_N_ELEMENTS(params); i++) {
        const ParamDesc *p = &params[i];
        const char *v = values[i] ? values[i] : p->def;
        if (p->offset == OFF(name) && values[i] == NULL) {
            /* default name: the file's base name without .scn */
            g_autofree char *base = g_path_get_basename(path);
            char *dot = g_strrstr(base, ".scn");
            if (dot != NULL)
                *dot = '\0';
            g_free(sc->name);
            sc->name = g_strdup(base);
            g_ptr_array_add(sc->param_names, (gpointer)p->name);
            g_ptr_array_add(sc->param_values, g_strdup(base));
            continue;
        }
        char *reason = NULL;
        if (!convert_param(sc, p, v, &reason)) {
            g_autofree char *where = override_where[i]
                                         ? g_strdup(override_where[i])
                                         : g_strdup_printf("%s:%u", path, value_line[i]);
            ok = fail(error, where, p->name, "%s", reason);
            g_free(reason);
            break;
        }
        g_ptr_array_add(sc->param_names, (gpointer)p->name);
        g_ptr_array_add(sc->param_values, g_strdup(v));
    }
    if (ok && sim_scenario_nodes(sc) > SIM_SCENARIO_NODES_MAX) {
        gsize i = param_find("replicas") - params;
        g_autofree char *where = override_where[i] ? g_strdup(override_where[i])
                                                   : g_strdup_printf("%s:%u", path, value_line[i]);
        ok = fail(error, where, "replicas", "%u masters with %u replicas each exceed %d nodes",
                  sc->masters, sc->replicas, SIM_SCENARIO_NODES_MAX);
    }
    if (ok && (guint64)sc->clients * sc->concurrency > SIM_SCENARIO_PROCESSES_MAX) {
        gsize i = param_find("concurrency") - params;
        g_autofree char *where = override_where[i] ? g_strdup(override_where[i])
                                                   : g_strdup_printf("%s:%u", path, value_line[i]);
        ok = fail(error, where, "concurrency",
                  "%u clients with %u processes each exceed %d processes", sc->clients,
                  sc->concurrency, SIM_SCENARIO_PROCESSES_MAX);
    }
    if (ok && (gint64)sc->wait_replicas > (gint64)sc->replicas) {
        gsize i = param_find("wait-replicas") - params;
        g_autofree char *where = override_where[i] ? g_strdup(override_where[i])
                                                   : g_strdup_printf("%s:%u", path, value_line[i]);
        ok = fail(error, where, "wait-replicas", "%u is more than the %u replicas per master",
                  sc->wait_replicas, sc->replicas);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(params); i++) {
        g_free(values[i]);
        g_free(override_where[i]);
    }

    /* Statements. */
    for (guint i = 0; ok && i < raws->len; i++) {
        const RawLine *r = &g_array_index(raws, RawLine, i);
        g_autofree char *where = g_strdup_printf("%s:%u", path, r->line);
        if (strcmp(r->words[0], "expect") == 0)
            ok = parse_expect(sc, r, where, error);
        else if (strcmp(r->words[0], "vary") == 0)
            ok = parse_vary(sc, r, where, error);
        else
            ok = parse_step(sc, r, where, error);
    }
    if (ok)
        ok = check_times(sc, path, error);
    if (!ok)
        return NULL;
    return g_steal_pointer(&sc);
}

SimScenario *sim_scenario_load(const char *path, const char *const *overrides, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    GError *io = NULL;
    if (!g_file_get_contents(path, &text, &len, &io)) {
        g_set_error(error, SIM_SCENARIO_ERROR, SIM_SCENARIO_ERROR_IO, "%s: %s", path, io->message);
        g_error_free(io);
        return NULL;
    }
    return sim_scenario_parse(path, text, len, overrides, error);
}

void sim_scenario_free(SimScenario *sc)
{
    if (sc == NULL)
        return;
    g_free(sc->path);
    g_free(sc->name);
    g_free(sc->description);
    if (sc->clients_near)
        g_array_free(sc->clients_near, TRUE);
    if (sc->steps)
        g_array_free(sc->steps, TRUE);
    if (sc->expectations)
        g_array_free(sc->expectations, TRUE);
    g_free(sc->vary_param);
    g_free(sc->vary_values);
    if (sc->param_names)
        g_ptr_array_free(sc->param_names, TRUE);
    if (sc->param_values)
        g_ptr_array_free(sc->param_values, TRUE);
    g_free(sc);
}

guint sim_scenario_nodes(const SimScenario *sc)
{
    return sc->masters * (1 + sc->replicas);
}

guint sim_scenario_node_shard(const SimScenario *sc, guint node)
{
    rc_assert(sc->masters > 0);
    return node % sc->masters;
}

guint sim_scenario_client_home(const SimScenario *sc, guint client)
{
    rc_assert(sc->clients_near != NULL && sc->clients_near->len > 0);
    const SimTarget *t =
        &g_array_index(sc->clients_near, SimTarget, client % sc->clients_near->len);
    return t->index;
}

void sim_scenario_latency(const SimScenarioLatency *in, SimLatency *out)
{
    memset(out, 0, sizeof *out);
    switch (in->shape) {
    case SIM_SCN_LAT_CONSTANT:
        out->kind = SIM_LAT_CONSTANT;
        out->base_us = in->a_us;
        break;
    case SIM_SCN_LAT_UNIFORM:
        out->kind = SIM_LAT_UNIFORM;
        out->base_us = in->a_us;
        out->max_us = in->b_us;
        break;
    case SIM_SCN_LAT_NORMAL:
        out->kind = SIM_LAT_NORMAL;
        out->base_us = in->a_us;
        out->spread_us = in->b_us;
        out->floor_us = in->c_us;
        break;
    case SIM_SCN_LAT_LOGNORMAL:
        /* a floor plus a long tail: lognormal with median b above the floor a */
        out->kind = SIM_LAT_LOGNORMAL;
        out->floor_us = in->a_us;
        out->base_us = MAX(in->b_us, 1);
        out->shape = 1.0;
        break;
    }
}

void sim_scenario_node_options(const SimScenario *sc, RcNodeConfig *cfg)
{
    cfg->hz = sc->hz;
    cfg->cluster_node_timeout_ms = sc->node_timeout_ms;
    cfg->cluster_replica_validity_factor = sc->replica_validity_factor;
    cfg->cluster_migration_barrier = sc->migration_barrier;
    cfg->cluster_require_full_coverage = sc->require_full_coverage;
    cfg->cluster_allow_reads_when_down = sc->allow_reads_when_down;
    cfg->cluster_allow_replica_migration = sc->allow_replica_migration;
    cfg->cluster_replica_no_failover = sc->replica_no_failover;
    cfg->repl_ping_replica_period_s = sc->repl_ping_replica_period_s;
    cfg->repl_timeout_s = sc->repl_timeout_s;
    cfg->repl_backlog_size = sc->repl_backlog_size;
    cfg->min_replicas_to_write = sc->min_replicas_to_write;
    cfg->min_replicas_max_lag_s = sc->min_replicas_max_lag_s;
    cfg->proto_max_bulk_len = sc->proto_max_bulk_len;
    cfg->client_query_buffer_limit = sc->client_query_buffer_limit;
}

const char *sim_scenario_param(const SimScenario *sc, const char *name)
{
    for (guint i = 0; i < sc->param_names->len; i++)
        if (strcmp(g_ptr_array_index(sc->param_names, i), name) == 0)
            return g_ptr_array_index(sc->param_values, i);
    return NULL;
}

const char *sim_nemesis_kind_name(SimNemesisKind kind)
{
    static const char *const names[] = {"partition", "heal", "crash",    "restart", "pause",
                                        "resume",    "skew", "failover", "reshard"};
    rc_assert((guint)kind < G_N_ELEMENTS(names));
    return names[kind];
}

const char *sim_compare_name(SimCompare cmp)
{
    static const char *const names[] = {"==", "!=", "<", "<=", ">", ">="};
    rc_assert((guint)cmp < G_N_ELEMENTS(names));
    return names[cmp];
}

gboolean sim_compare_holds(SimCompare cmp, double lhs, double rhs)
{
    switch (cmp) {
    case SIM_CMP_EQ:
        return lhs == rhs;
    case SIM_CMP_NE:
        return lhs != rhs;
    case SIM_CMP_LT:
        return lhs < rhs;
    case SIM_CMP_LE:
        return lhs <= rhs;
    case SIM_CMP_GT:
        return lhs > rhs;
    case SIM_CMP_GE:
        return lhs >= rhs;
    }
    return FALSE;
}
