/* Whole runs: the determinism of the default scenario (same seed twice: the same trace hash
 * and byte-identical summary.json), and the result files of a short run (the contract's
 * fields, history.jsonl and history.edn line for line). */
#include <check.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "sim/run.h"

static SimScenario *load(const char *name, const char *const *overrides)
{
    const char *root = g_getenv("RCSIM_SOURCE_ROOT");
    ck_assert_ptr_nonnull(root);
    g_autofree char *path = g_build_filename(root, "scenarios", name, NULL);
    GError *error = NULL;
    SimScenario *sc = sim_scenario_load(path, overrides, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    return sc;
}

START_TEST(test_default_scenario_is_deterministic)
{
    g_autoptr(SimScenario) sc = load("minority-partition.scn", NULL);
    SimRunOptions opt = {0};
    g_autoptr(SimRunResult) a = sim_run_execute(sc, 42, &opt, NULL);
    g_autoptr(SimRunResult) b = sim_run_execute(sc, 42, &opt, NULL);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(a->trace_sha256, b->trace_sha256);
    ck_assert_str_eq(a->summary_json, b->summary_json);
    ck_assert_uint_gt(a->check->acked, 1000);
    g_autoptr(SimRunResult) c = sim_run_execute(sc, 43, &opt, NULL);
    ck_assert_str_ne(a->trace_sha256, c->trace_sha256);
}
END_TEST

static JsonObject *member_object(JsonObject *o, const char *name)
{
    ck_assert_msg(json_object_has_member(o, name), "missing %s", name);
    return json_object_get_object_member(o, name);
}

START_TEST(test_result_files)
{
    const char *const overrides[] = {"duration=8s", "node-timeout=2000", NULL};
    g_autoptr(SimScenario) sc = load("minority-partition.scn", NULL);
    /* a shorter copy: partition at 2 s, heal at 6 s */
    const char text[] = "masters 3\nreplicas 1\nclients 3\nrate 100\nkeys 10\n"
                        "at 2s partition isolate n1 with-clients\nat 6s heal\n"
                        "expect lost.majority == 0\n";
    GError *error = NULL;
    g_autoptr(SimScenario) small =
        sim_scenario_parse("small.scn", text, strlen(text), overrides, &error);
    ck_assert_msg(small != NULL, "%s", error ? error->message : "");
    g_autofree char *dir = g_dir_make_tmp("rcsim-run-XXXXXX", NULL);
    SimRunOptions opt = {.out_dir = dir, .edn = TRUE, .trace = TRUE};
    g_autoptr(SimRunResult) r = sim_run_execute(small, 5, &opt, &error);
    ck_assert_msg(r != NULL, "%s", error ? error->message : "");

    g_autofree char *spath = g_build_filename(dir, "summary.json", NULL);
    g_autoptr(JsonParser) p = json_parser_new();
    ck_assert(json_parser_load_from_file(p, spath, NULL));
    JsonObject *o = json_node_get_object(json_parser_get_root(p));
    static const char *const fields[] = {
        "scenario",    "scenario_name",  "seed",      "trace_sha256", "sim_time_ms",
        "events",      "rcsim_version",  "replay",    "params",       "writes",
        "loss_window", "unavailable_ms", "failovers", "faults",       "lost_writes",
        "node_events", "properties"};
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++)
        ck_assert_msg(json_object_has_member(o, fields[i]), "summary.json lacks %s", fields[i]);
    ck_assert_int_eq(json_object_get_int_member(o, "seed"), 5);
    ck_assert_str_eq(json_object_get_string_member(o, "trace_sha256"), r->trace_sha256);
    JsonObject *params = member_object(o, "params");
    ck_assert_int_eq(json_object_get_int_member(params, "node-timeout"), 2000);
    JsonObject *writes = member_object(o, "writes");
    ck_assert_int_eq(json_object_get_int_member(writes, "acked"), (gint64)r->check->acked);
    JsonObject *by_side = member_object(writes, "lost_by_side");
    ck_assert(json_object_has_member(by_side, "majority"));
    ck_assert(json_object_has_member(by_side, "minority"));
    JsonArray *faults = json_object_get_array_member(o, "faults");
    ck_assert_uint_eq(json_array_get_length(faults), 1);
    JsonObject *f0 = json_array_get_object_element(faults, 0);
    ck_assert_str_eq(json_object_get_string_member(f0, "kind"), "partition");
    ck_assert_int_eq(json_object_get_int_member(f0, "start_ms"), 2000);
    ck_assert_int_eq(json_object_get_int_member(f0, "end_ms"), 6000);
    JsonArray *minority = json_object_get_array_member(f0, "minority");
    ck_assert_uint_eq(json_array_get_length(minority), 1);
    ck_assert_str_eq(json_array_get_string_element(minority, 0), "n1");
    /* the invariants sampled through the run are properties of their own */
    JsonArray *props = json_object_get_array_member(o, "properties");
    gboolean claims = FALSE, epochs = FALSE;
    for (guint i = 0; i < json_array_get_length(props); i++) {
        JsonObject *pr = json_array_get_object_element(props, i);
        const char *name = json_object_get_string_member(pr, "name");
        claims |=
            strcmp(name, "slot-epochs-distinct") == 0 && json_object_get_boolean_member(pr, "ok");
        epochs |= strcmp(name, "current-epoch-monotonic") == 0 &&
                  json_object_get_boolean_member(pr, "ok");
    }
    ck_assert(claims && epochs);

    /* history.jsonl and history.edn: one op per line each, the same count */
    g_autofree char *hpath = g_build_filename(dir, "history.jsonl", NULL);
    g_autofree char *epath = g_build_filename(dir, "history.edn", NULL);
    g_autofree char *tpath = g_build_filename(dir, "trace.log", NULL);
    g_autofree char *htext = NULL, *etext = NULL;
    ck_assert(g_file_get_contents(hpath, &htext, NULL, NULL));
    ck_assert(g_file_get_contents(epath, &etext, NULL, NULL));
    ck_assert(g_file_test(tpath, G_FILE_TEST_IS_REGULAR));
    g_auto(GStrv) hl = g_strsplit(htext, "\n", -1);
    g_auto(GStrv) el = g_strsplit(etext, "\n", -1);
    ck_assert_uint_eq(g_strv_length(hl), g_strv_length(el));
    ck_assert_uint_gt(g_strv_length(hl), 100);
    gboolean saw_nemesis = FALSE;
    for (guint i = 0; hl[i] != NULL && hl[i][0] != '\0'; i++) {
        g_autoptr(JsonParser) lp = json_parser_new();
        ck_assert_msg(json_parser_load_from_data(lp, hl[i], -1, NULL), "line %u", i + 1);
        JsonObject *op = json_node_get_object(json_parser_get_root(lp));
        ck_assert_int_eq(json_object_get_int_member(op, "index"), i);
        JsonNode *proc = json_object_get_member(op, "process");
        if (json_node_get_value_type(proc) == G_TYPE_STRING) {
            ck_assert_str_eq(json_node_get_string(proc), "nemesis");
            saw_nemesis = TRUE;
        }
    }
    ck_assert(saw_nemesis);
    const char *names[] = {"summary.json", "history.jsonl", "history.edn", "trace.log"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *x = g_build_filename(dir, names[i], NULL);
        g_remove(x);
    }
    g_rmdir(dir);
}
END_TEST

static JsonArray *string_array(JsonObject *o, const char *name)
{
    ck_assert_msg(json_object_has_member(o, name), "missing %s", name);
    return json_object_get_array_member(o, name);
}

static gboolean array_has(JsonArray *a, const char *s)
{
    for (guint i = 0; i < json_array_get_length(a); i++)
        if (strcmp(json_array_get_string_element(a, i), s) == 0)
            return TRUE;
    return FALSE;
}

/* Partition shapes as the nemesis installs them: the groups, and which side each node is
 * on (a group is the majority when it holds most of the serving masters). */
START_TEST(test_partition_shapes)
{
    const char text[] = "masters 3\nreplicas 1\nclients 3\nrate 20\nkeys 5\n"
                        "node-timeout 5000\nduration 8s\n"
                        "at 1s partition bridge\n"
                        "at 2s partition one-way n2 -> rest\n"
                        "at 3s partition n1,c1 | n2 | rest\n"
                        "at 4s partition isolate n3 with-clients\n"
                        "at 5s partition random-halves\n"
                        "at 6s heal\n";
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("shapes.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    SimRunOptions opt = {0};
    g_autoptr(SimRunResult) r = sim_run_execute(sc, 3, &opt, &error);
    ck_assert_ptr_nonnull(r);
    g_autoptr(JsonParser) p = json_parser_new();
    ck_assert(json_parser_load_from_data(p, r->summary_json, -1, NULL));
    JsonArray *faults =
        json_object_get_array_member(json_node_get_object(json_parser_get_root(p)), "faults");
    ck_assert_uint_eq(json_array_get_length(faults), 5);

    /* bridge: two groups, the bridge node in both */
    JsonObject *f = json_array_get_object_element(faults, 0);
    ck_assert_int_eq(json_object_get_int_member(f, "end_ms"), 2000);
    JsonArray *groups = string_array(f, "groups");
    ck_assert_uint_eq(json_array_get_length(groups), 2);
    JsonArray *g0 = json_array_get_array_element(groups, 0);
    JsonArray *g1 = json_array_get_array_element(groups, 1);
    guint in_both = 0;
    for (guint i = 1; i <= 6; i++) {
        g_autofree char *n = g_strdup_printf("n%u", i);
        in_both += array_has(g0, n) && array_has(g1, n);
    }
    ck_assert_uint_eq(in_both, 1);
    for (guint g = 0; g < 2; g++) {
        JsonArray *ga = json_array_get_array_element(groups, g);
        g_autoptr(GHashTable) once = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < json_array_get_length(ga); i++)
            ck_assert_msg(g_hash_table_add(once, (gpointer)json_array_get_string_element(ga, i)),
                          "%s twice in bridge group %u", json_array_get_string_element(ga, i), g);
    }

    /* one-way n2 -> rest: n2 alone is the minority */
    f = json_array_get_object_element(faults, 1);
    ck_assert(array_has(string_array(f, "minority"), "n2"));
    ck_assert(array_has(string_array(f, "majority"), "n1"));
    ck_assert(array_has(string_array(f, "majority"), "n3"));

    /* three groups with one master each: nobody holds a majority */
    f = json_array_get_object_element(faults, 2);
    ck_assert_uint_eq(json_array_get_length(string_array(f, "groups")), 3);
    ck_assert_uint_eq(json_array_get_length(string_array(f, "majority")), 0);
    g0 = json_array_get_array_element(string_array(f, "groups"), 0);
    ck_assert(array_has(g0, "n1") && array_has(g0, "c1"));
    ck_assert_uint_eq(json_array_get_length(g0), 2);

    /* isolate n3 with its clients: c3 sits near n3 (clients-near masters) */
    f = json_array_get_object_element(faults, 3);
    g0 = json_array_get_array_element(string_array(f, "groups"), 0);
    ck_assert(array_has(g0, "n3") && array_has(g0, "c3"));
    ck_assert(array_has(string_array(f, "minority"), "n3"));
    ck_assert(array_has(string_array(f, "majority"), "n1"));

    /* random halves: 3 | 3 nodes, each client with its node */
    f = json_array_get_object_element(faults, 4);
    groups = string_array(f, "groups");
    ck_assert_uint_ge(json_array_get_length(groups), 2);
    ck_assert_int_eq(json_object_get_int_member(f, "end_ms"), 6000);
}
END_TEST

/* One run of a small partition scenario with `concurrency` processes per client host; counts,
 * from history.jsonl, the ok completions while n2 is cut off from everyone (clients included)
 * and checks that no process ever had two operations outstanding. */
static guint oks_while_cut(guint concurrency, guint *max_worker)
{
    g_autofree char *text = g_strdup_printf("masters 3\nreplicas 1\nnode-timeout 20000\n"
                                            "clients 2\nconcurrency %u\nrate 100\nkeys 30\n"
                                            "client-timeout 1s\nclient-retries 0\n"
                                            "duration 8s\nat 2s partition isolate n2\n"
                                            "at 7s heal\n",
                                            concurrency);
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("conc.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    g_autofree char *dir = g_dir_make_tmp("rcsim-conc-XXXXXX", NULL);
    SimRunOptions opt = {.out_dir = dir};
    g_autoptr(SimRunResult) r = sim_run_execute(sc, 5, &opt, &error);
    ck_assert_msg(r != NULL, "%s", error ? error->message : "");
    g_autofree char *path = g_build_filename(dir, "history.jsonl", NULL);
    g_autofree char *hist = NULL;
    ck_assert(g_file_get_contents(path, &hist, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(hist, "\n", -1);
    g_autoptr(GHashTable) open = g_hash_table_new(g_direct_hash, g_direct_equal);
    gint64 t0 = -1;
    guint oks = 0;
    *max_worker = 0;
    for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
        g_autoptr(JsonParser) lp = json_parser_new();
        ck_assert(json_parser_load_from_data(lp, lines[i], -1, NULL));
        JsonObject *op = json_node_get_object(json_parser_get_root(lp));
        JsonNode *proc = json_object_get_member(op, "process");
        const char *type = json_object_get_string_member(op, "type");
        gint64 t = json_object_get_int_member(op, "time_us");
        if (json_node_get_value_type(proc) == G_TYPE_STRING) {
            if (t0 < 0)
                t0 = t; /* the partition */
            continue;
        }
        /* Jepsen's numbering: a process retired after an info goes on as process + workers
         * (the 2 x concurrency workload processes and the final reader) */
        gint64 p = json_node_get_int(proc), worker = p % (2 * concurrency + 1);
        if (worker == 2 * concurrency)
            continue; /* the final reader */
        *max_worker = MAX(*max_worker, (guint)worker);
        gpointer key = GINT_TO_POINTER((gint)p + 1);
        if (strcmp(type, "invoke") == 0)
            ck_assert_msg(g_hash_table_add(open, key), "process %" G_GINT64_FORMAT " twice", p);
        else
            ck_assert(g_hash_table_remove(open, key));
        if (strcmp(type, "ok") == 0 && t0 >= 0 && t > t0 + 1500000 && t < t0 + 4500000)
            oks++;
    }
    const char *names[] = {"summary.json", "history.jsonl"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *x = g_build_filename(dir, names[i], NULL);
        g_remove(x);
    }
    g_rmdir(dir);
    return oks;
}

/* One process per client stalls on the unreachable shard; more processes keep the other two
 * shards busy: the partition costs them only the third of the arrivals that hang. */
START_TEST(test_concurrency_keeps_writing_past_a_hung_shard)
{
    guint max1 = 0, max_many = 0;
    guint one = oks_while_cut(1, &max1);
    guint many = oks_while_cut(64, &max_many);
    ck_assert_uint_eq(max1, 1); /* processes 0, 1 */
    /* c2's processes are 64..127; the lowest idle one takes each arrival */
    ck_assert_uint_ge(max_many, 64);
    ck_assert_uint_le(max_many, 127);
    /* 3 s at 2 x 100 arrivals/s, two thirds of them on reachable shards: about 400 */
    ck_assert_uint_gt(many, 250);
    ck_assert_uint_lt(one, many / 3);
}
END_TEST

/* ---- a small EDN reader: enough of EDN to check history.edn's structure ---- */

typedef enum {
    EDN_NIL,
    EDN_BOOL,
    EDN_INT,
    EDN_STRING,
    EDN_KEYWORD, /* s without the colon */
    EDN_VECTOR,
    EDN_LIST,
    EDN_SET,
    EDN_MAP, /* items: key, value, key, value, ... */
} EdnKind;

typedef struct {
    EdnKind kind;
    gint64 i;
    char *s;
    GPtrArray *items;
} Edn;

static void edn_free(gpointer p)
{
    Edn *e = p;
    if (e == NULL)
        return;
    g_free(e->s);
    if (e->items)
        g_ptr_array_unref(e->items);
    g_free(e);
}

static gboolean edn_delim(char c)
{
    return c == '\0' || g_ascii_isspace(c) || c == ',' || strchr("[](){}\"", c) != NULL;
}

static void edn_skip(const char **p)
{
    while (**p != '\0' && (g_ascii_isspace(**p) || **p == ','))
        (*p)++;
}

/* One value from *p, or NULL on anything malformed. */
static Edn *edn_read(const char **p)
{
    edn_skip(p);
    Edn *e = g_new0(Edn, 1);
    const char *c = *p;
    char close = 0;
    if (*c == '{' || *c == '[' || *c == '(' || (c[0] == '#' && c[1] == '{')) {
        e->kind = *c == '{' ? EDN_MAP : *c == '[' ? EDN_VECTOR : *c == '(' ? EDN_LIST : EDN_SET;
        close = *c == '[' ? ']' : *c == '(' ? ')' : '}';
        *p += e->kind == EDN_SET ? 2 : 1;
        e->items = g_ptr_array_new_with_free_func(edn_free);
        for (;;) {
            edn_skip(p);
            if (**p == close) {
                (*p)++;
                break;
            }
            Edn *item = edn_read(p);
            if (item == NULL) {
                edn_free(e);
                return NULL;
            }
            g_ptr_array_add(e->items, item);
        }
        if (e->kind == EDN_MAP && e->items->len % 2 != 0) {
            edn_free(e);
            return NULL;
        }
        return e;
    }
    if (*c == '"') {
        GString *s = g_string_new(NULL);
        for (c++; *c != '"'; c++) {
            if (*c == '\0') {
                g_string_free(s, TRUE);
                edn_free(e);
                return NULL;
            }
            if (*c == '\\') {
                c++;
                g_string_append_c(s, *c == 'n' ? '\n' : *c);
            } else {
                g_string_append_c(s, *c);
            }
        }
        *p = c + 1;
        e->kind = EDN_STRING;
        e->s = g_string_free(s, FALSE);
        return e;
    }
    const char *end = c;
    while (!edn_delim(*end))
        end++;
    g_autofree char *tok = g_strndup(c, (gsize)(end - c));
    *p = end;
    char *num_end = NULL;
    if (tok[0] == ':' && tok[1] != '\0') {
        e->kind = EDN_KEYWORD;
        e->s = g_strdup(tok + 1);
    } else if (strcmp(tok, "nil") == 0) {
        e->kind = EDN_NIL;
    } else if (strcmp(tok, "true") == 0 || strcmp(tok, "false") == 0) {
        e->kind = EDN_BOOL;
        e->i = tok[0] == 't';
    } else if (tok[0] != '\0' && (e->i = g_ascii_strtoll(tok, &num_end, 10), *num_end == '\0')) {
        e->kind = EDN_INT;
    } else {
        edn_free(e);
        return NULL;
    }
    return e;
}

/* A whole line as one map. */
static Edn *edn_parse_line(const char *line)
{
    const char *p = line;
    Edn *e = edn_read(&p);
    ck_assert_msg(e != NULL && e->kind == EDN_MAP, "not an EDN map: %s", line);
    edn_skip(&p);
    ck_assert_msg(*p == '\0', "trailing text after the map: %s", line);
    return e;
}

/* The value under keyword `key` in map `m`, or NULL. */
static const Edn *edn_get(const Edn *m, const char *key)
{
    for (guint i = 0; i + 1 < m->items->len; i += 2) {
        const Edn *k = g_ptr_array_index(m->items, i);
        if (k->kind == EDN_KEYWORD && strcmp(k->s, key) == 0)
            return g_ptr_array_index(m->items, i + 1);
    }
    return NULL;
}

static const Edn *edn_at(const Edn *v, guint i)
{
    ck_assert_uint_lt(i, v->items->len);
    return g_ptr_array_index(v->items, i);
}

static gboolean edn_is_keyword(const Edn *e, const char *name)
{
    return e != NULL && e->kind == EDN_KEYWORD && strcmp(e->s, name) == 0;
}

/* A short run of `workload` with timeouts (info), a partition and a one-way cut, its history
 * written as JSON lines and EDN. Returns the output directory. */
static char *jepsen_run(const char *workload, guint *workers)
{
    g_autofree char *text = g_strdup_printf("masters 3\nreplicas 1\nnode-timeout 2000\n"
                                            "clients 3\nconcurrency 4\nrate 100\nkeys 5\n"
                                            "client-timeout 500ms\nclient-retries 1\n"
                                            "workload %s\nread-ratio 0.3\nduration 8s\n"
                                            "at 2s partition isolate n1 with-clients\n"
                                            "at 4s partition one-way n2 -> rest\n"
                                            "at 6s heal\n",
                                            workload);
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("jepsen.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    char *dir = g_dir_make_tmp("rcsim-edn-XXXXXX", NULL);
    SimRunOptions opt = {.out_dir = dir, .edn = TRUE};
    g_autoptr(SimRunResult) r = sim_run_execute(sc, 1, &opt, &error);
    ck_assert_msg(r != NULL, "%s", error ? error->message : "");
    *workers = 3 * 4 + 1; /* the workload's processes and the final reader */
    return dir;
}

static char **file_lines(const char *dir, const char *name)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "%s missing", name);
    char **lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    ck_assert(n > 0 && lines[n - 1][0] == '\0');
    g_free(lines[n - 1]);
    lines[n - 1] = NULL;
    return lines;
}

static void remove_run_dir(char *dir)
{
    const char *names[] = {"summary.json", "history.jsonl", "history.edn", "history-elle.edn"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *x = g_build_filename(dir, names[i], NULL);
        g_remove(x);
    }
    g_rmdir(dir);
    g_free(dir);
}

/* What Jepsen's checkers need from every client op, checked on the parsed EDN: a process
 * never invokes again after an `info` (it is retired; its worker goes on as process +
 * workers), every completion closes its process's invocation, and a partition's value is
 * its groups as nested vectors of host names. Returns the number of retirements seen. */
static guint check_jepsen_processes(char **edn, guint workers)
{
    g_autoptr(GHashTable) open = g_hash_table_new(g_int64_hash, g_int64_equal);
    g_autoptr(GHashTable) retired = g_hash_table_new(g_int64_hash, g_int64_equal);
    g_autoptr(GArray) keys = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_array_set_size(keys, g_strv_length(edn));
    guint infos = 0, partitions = 0, one_way = 0;
    gint64 max_process = 0;
    for (guint i = 0; edn[i] != NULL; i++) {
        Edn *op = edn_parse_line(edn[i]);
        const Edn *index = edn_get(op, "index"), *time = edn_get(op, "time");
        const Edn *type = edn_get(op, "type"), *process = edn_get(op, "process");
        const Edn *f = edn_get(op, "f"), *value = edn_get(op, "value");
        ck_assert(index && index->kind == EDN_INT && index->i == i);
        ck_assert(time && time->kind == EDN_INT);
        ck_assert(type && type->kind == EDN_KEYWORD && f && f->kind == EDN_KEYWORD && value);
        ck_assert(process != NULL);
        if (process->kind == EDN_KEYWORD) {
            ck_assert_str_eq(process->s, "nemesis");
            ck_assert_str_eq(type->s, "info");
            if (g_str_has_prefix(f->s, "partition")) {
                /* [["n1" "c1"] ["n2" ...]]: vectors of host names, at least two groups */
                ck_assert_int_eq(value->kind, EDN_VECTOR);
                ck_assert_uint_ge(value->items->len, 2);
                for (guint g = 0; g < value->items->len; g++) {
                    const Edn *group = edn_at(value, g);
                    ck_assert_int_eq(group->kind, EDN_VECTOR);
                    ck_assert_uint_ge(group->items->len, 1);
                    for (guint h = 0; h < group->items->len; h++)
                        ck_assert_int_eq(edn_at(group, h)->kind, EDN_STRING);
                }
                partitions++;
                one_way += strcmp(f->s, "partition-one-way") == 0;
            }
            edn_free(op);
            continue;
        }
        ck_assert_int_eq(process->kind, EDN_INT);
        gint64 *p = &g_array_index(keys, gint64, i);
        *p = process->i;
        max_process = MAX(max_process, *p);
        if (strcmp(type->s, "invoke") == 0) {
            ck_assert_msg(!g_hash_table_contains(retired, p),
                          "line %u: process %" G_GINT64_FORMAT " invokes after an info", i + 1, *p);
            ck_assert_msg(g_hash_table_add(open, p),
                          "line %u: process %" G_GINT64_FORMAT " has two operations open", i + 1,
                          *p);
        } else {
            ck_assert_msg(g_hash_table_remove(open, p), "line %u: completion without invocation",
                          i + 1);
            if (strcmp(type->s, "info") == 0) {
                g_hash_table_add(retired, p);
                infos++;
            }
        }
        edn_free(op);
    }
    ck_assert_uint_eq(partitions, 2);
    ck_assert_uint_eq(one_way, 1);
    ck_assert_uint_gt(infos, 0);
    /* the numbering moved on past the first round of processes */
    ck_assert_int_ge(max_process, workers);
    return infos;
}

/* The counter workload in Jepsen's counter vocabulary: `:f :add` with [key 1] (the INCR's
 * result beside it as :returned), reads [key integer]; history.jsonl carries the same. */
START_TEST(test_history_edn_counter)
{
    guint workers = 0;
    char *dir = jepsen_run("counter", &workers);
    g_auto(GStrv) edn = file_lines(dir, "history.edn");
    g_auto(GStrv) jsonl = file_lines(dir, "history.jsonl");
    ck_assert_uint_eq(g_strv_length(edn), g_strv_length(jsonl));
    check_jepsen_processes(edn, workers);
    guint adds = 0, reads = 0;
    for (guint i = 0; edn[i] != NULL; i++) {
        Edn *op = edn_parse_line(edn[i]);
        g_autoptr(JsonParser) jp = json_parser_new();
        ck_assert(json_parser_load_from_data(jp, jsonl[i], -1, NULL));
        JsonObject *jo = json_node_get_object(json_parser_get_root(jp));
        const Edn *process = edn_get(op, "process"), *f = edn_get(op, "f");
        const Edn *type = edn_get(op, "type"), *value = edn_get(op, "value");
        ck_assert_str_eq(json_object_get_string_member(jo, "f"), f->s);
        if (process->kind == EDN_KEYWORD) {
            edn_free(op);
            continue;
        }
        ck_assert_int_eq(json_object_get_int_member(jo, "process"), process->i);
        /* jepsen.independent: [key value] */
        ck_assert_int_eq(value->kind, EDN_VECTOR);
        ck_assert_uint_eq(value->items->len, 2);
        ck_assert_int_eq(edn_at(value, 0)->kind, EDN_STRING);
        ck_assert_str_eq(json_object_get_string_member(jo, "key"), edn_at(value, 0)->s);
        const Edn *v = edn_at(value, 1);
        JsonNode *jv = json_object_get_member(jo, "value");
        if (strcmp(f->s, "add") == 0) {
            ck_assert_int_eq(v->kind, EDN_INT);
            ck_assert_int_eq(v->i, 1);
            ck_assert_int_eq(json_node_get_value_type(jv), G_TYPE_INT64);
            ck_assert_int_eq(json_node_get_int(jv), 1);
            const Edn *ret = edn_get(op, "returned");
            if (strcmp(type->s, "ok") == 0) {
                ck_assert(ret != NULL && ret->kind == EDN_INT && ret->i >= 1);
                ck_assert_int_eq(json_object_get_int_member(jo, "returned"), ret->i);
                adds++;
            } else {
                ck_assert(ret == NULL && !json_object_has_member(jo, "returned"));
            }
        } else {
            ck_assert_str_eq(f->s, "read");
            if (strcmp(type->s, "ok") == 0) {
                ck_assert_int_eq(v->kind, EDN_INT);
                ck_assert_int_eq(json_node_get_int(jv), v->i);
                reads++;
            } else {
                ck_assert_int_eq(v->kind, EDN_NIL);
                ck_assert(JSON_NODE_HOLDS_NULL(jv));
            }
        }
        edn_free(op);
    }
    ck_assert_uint_gt(adds, 100);
    ck_assert_uint_gt(reads, 20);
    remove_run_dir(dir);
}
END_TEST

/* The register workload: history.edn in jepsen.independent's [key value] form (Knossos), and
 * history-elle.edn with one-op transactions Elle's rw-register checker reads. */
START_TEST(test_history_edn_register_and_elle)
{
    guint workers = 0;
    char *dir = jepsen_run("register", &workers);
    g_auto(GStrv) edn = file_lines(dir, "history.edn");
    g_auto(GStrv) elle = file_lines(dir, "history-elle.edn");
    ck_assert_uint_eq(g_strv_length(edn), g_strv_length(elle));
    check_jepsen_processes(edn, workers);
    check_jepsen_processes(elle, workers);
    guint writes = 0, reads = 0;
    for (guint i = 0; elle[i] != NULL; i++) {
        Edn *op = edn_parse_line(elle[i]), *plain = edn_parse_line(edn[i]);
        const Edn *process = edn_get(op, "process");
        if (process->kind == EDN_KEYWORD) {
            edn_free(op);
            edn_free(plain);
            continue;
        }
        ck_assert_int_eq(process->i, edn_get(plain, "process")->i);
        ck_assert(edn_is_keyword(edn_get(op, "f"), "txn"));
        /* [[:w "k1" "c2-3"]] or [[:r "k1" "c2-3"]] / [[:r "k1" nil]] */
        const Edn *txn = edn_get(op, "value");
        ck_assert_int_eq(txn->kind, EDN_VECTOR);
        ck_assert_uint_eq(txn->items->len, 1);
        const Edn *mop = edn_at(txn, 0);
        ck_assert_int_eq(mop->kind, EDN_VECTOR);
        ck_assert_uint_eq(mop->items->len, 3);
        ck_assert_int_eq(edn_at(mop, 1)->kind, EDN_STRING);
        const Edn *pv = edn_get(plain, "value");
        ck_assert_str_eq(edn_at(mop, 1)->s, edn_at(pv, 0)->s);
        const Edn *v = edn_at(mop, 2);
        if (edn_is_keyword(edn_at(mop, 0), "w")) {
            ck_assert(edn_is_keyword(edn_get(plain, "f"), "write"));
            ck_assert_int_eq(v->kind, EDN_STRING);
            ck_assert_str_eq(v->s, edn_at(pv, 1)->s);
            writes++;
        } else {
            ck_assert(edn_is_keyword(edn_at(mop, 0), "r"));
            ck_assert(edn_is_keyword(edn_get(plain, "f"), "read"));
            ck_assert(v->kind == EDN_STRING || v->kind == EDN_NIL);
            ck_assert_int_eq(v->kind, edn_at(pv, 1)->kind);
            reads++;
        }
        edn_free(op);
        edn_free(plain);
    }
    ck_assert_uint_gt(writes, 100);
    ck_assert_uint_gt(reads, 20);
    remove_run_dir(dir);
}
END_TEST

/* window.SIDE is the loss window's width, window-last.SIDE its end from the fault's start (the
 * quantity node-timeout bounds); both are 0 for a side that lost nothing. */
START_TEST(test_window_metrics)
{
    g_autoptr(SimRunResult) r = g_new0(SimRunResult, 1);
    r->check = sim_check_result_new();
    r->converge_us = -1;
    SimWindow *w = &r->check->window[SIM_SIDE_MINORITY];
    w->present = TRUE;
    w->first_us = 5 * RC_US_PER_S;
    w->last_us = 18 * RC_US_PER_S + 250 * RC_US_PER_MS;
    double v = -1;
    ck_assert(sim_run_metric(r, "window.minority", &v));
    ck_assert(v == 13250);
    ck_assert(sim_run_metric(r, "window-last.minority", &v));
    ck_assert(v == 18250);
    ck_assert(sim_run_metric(r, "window-last.majority", &v));
    ck_assert(v == 0);
    ck_assert(sim_run_metric(r, "window.majority", &v));
    ck_assert(v == 0);
    /* and the parser takes both names */
    const char text[] = "expect window-last.minority <= 1.5 x node-timeout + 300\n"
                        "expect window.minority <= 20000\n";
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("w.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    ck_assert_str_eq(g_array_index(sc->expectations, SimExpectation, 0).metric,
                     "window-last.minority");
}
END_TEST

Suite *run_suite(void);
Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_default_scenario_is_deterministic);
    tcase_add_test(tc, test_result_files);
    tcase_add_test(tc, test_partition_shapes);
    tcase_add_test(tc, test_concurrency_keeps_writing_past_a_hung_shard);
    tcase_add_test(tc, test_window_metrics);
    tcase_add_test(tc, test_history_edn_counter);
    tcase_add_test(tc, test_history_edn_register_and_elle);
    suite_add_tcase(s, tc);
    return s;
}
