/* Whole runs: the determinism of the default scenario (same seed twice: the same trace hash
 * and byte-identical summary.json), and the result files of a short run (the contract's
 * fields, history.jsonl and history.edn line for line). */
#include <check.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "sim/run.h"
#include "sim/run_cli.h"
#include "sim/run_private.h"

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

/* summary.json is written directly, in json-glib's pretty layout: json-glib's own parse and
 * regeneration of the text must give it back byte for byte. */
static void assert_json_glib_layout(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    ck_assert(json_parser_load_from_data(p, text, -1, NULL));
    g_autoptr(JsonGenerator) gen = json_generator_new();
    json_generator_set_root(gen, json_parser_get_root(p));
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    g_autofree char *again = json_generator_to_data(gen, NULL);
    g_autofree char *with_nl = g_strconcat(again, "\n", NULL);
    ck_assert_str_eq(text, with_nl);
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
    assert_json_glib_layout(a->summary_json);
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

/* The summary's text where json-glib's escapes and number format decide: a description with
 * a quote, a backslash, a tab and UTF-8, and a non-integer parameter (read-ratio 0.25). */
/* Time 0 comes a seeded [0, start-jitter) after formation: different seeds draw different
 * leads, all inside the bound, and a jitter of 0 starts on the formation's own instant. */
START_TEST(test_start_jitter)
{
    const char text[] = "masters 3\nreplicas 0\nclients 1\nrate 10\nkeys 5\nduration 1s\n";
    const char *const jitter[] = {"start-jitter=800ms", NULL};
    const char *const none[] = {"start-jitter=0", NULL};
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("jit.scn", text, strlen(text), jitter, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    g_autoptr(SimScenario) sc0 = sim_scenario_parse("jit0.scn", text, strlen(text), none, &error);
    ck_assert_msg(sc0 != NULL, "%s", error ? error->message : "");
    SimRunOptions opt = {0};
    RcTime lo = G_MAXINT64, hi = -1;
    for (guint64 seed = 1; seed <= 6; seed++) {
        g_autoptr(SimRunResult) r = sim_run_execute(sc, seed, &opt, &error);
        ck_assert_msg(r != NULL && r->ok, "seed %" G_GUINT64_FORMAT, seed);
        ck_assert_int_ge(r->start_lead_us, 0);
        ck_assert_int_lt(r->start_lead_us, 800 * RC_US_PER_MS);
        lo = MIN(lo, r->start_lead_us);
        hi = MAX(hi, r->start_lead_us);
        g_autoptr(SimRunResult) r0 = sim_run_execute(sc0, seed, &opt, &error);
        ck_assert(r0 != NULL && r0->ok);
        ck_assert_int_eq(r0->start_lead_us, 0);
    }
    ck_assert_int_gt(hi - lo, 100 * RC_US_PER_MS); /* six draws over 800 ms are not one phase */
}
END_TEST

/* tcp-syn-linear-timeouts reaches the network: a cut that outlasts node-timeout makes the nodes
 * reconnect across it, and the SYN schedule changes what follows the heal; without a cut
 * nothing connects late and the runs are the same. */
START_TEST(test_syn_linear_timeouts_reach_the_net)
{
    const char cut[] = "masters 3\nreplicas 0\nclients 1\nrate 10\nkeys 5\nnode-timeout 5000\n"
                       "duration 10s\nat 1s partition isolate n1\nat 7500ms heal\n";
    const char calm[] = "masters 3\nreplicas 0\nclients 1\nrate 10\nkeys 5\nduration 3s\n";
    const char *const texts[] = {cut, calm};
    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        char *hash[2];
        for (guint linear = 0; linear < 2; linear++) {
            char set[64];
            g_snprintf(set, sizeof set, "tcp-syn-linear-timeouts=%u", linear ? 4 : 0);
            const char *const overrides[] = {set, NULL};
            GError *error = NULL;
            g_autoptr(SimScenario) sc =
                sim_scenario_parse("syn.scn", texts[i], strlen(texts[i]), overrides, &error);
            ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
            SimRunOptions opt = {0};
            g_autoptr(SimRunResult) r = sim_run_execute(sc, 1, &opt, &error);
            ck_assert(r != NULL && r->ok);
            hash[linear] = g_strdup(r->trace_sha256);
        }
        if (i == 0)
            ck_assert_str_ne(hash[0], hash[1]);
        else
            ck_assert_str_eq(hash[0], hash[1]);
        g_free(hash[0]);
        g_free(hash[1]);
    }
}
END_TEST

START_TEST(test_summary_json_escapes_and_doubles)
{
    const char text[] = "masters 3\nreplicas 1\nclients 2\nrate 50\nkeys 5\nworkload register\n"
                        "read-ratio 0.25\nduration 3s\n"
                        "description say \"hi\" \\ to\tthe caf\xc3\xa9 \x7f\x01\n"
                        "at 1s partition isolate n1 with-clients\nat 2s heal\n";
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("escapes.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    SimRunOptions opt = {0};
    g_autoptr(SimRunResult) r = sim_run_execute(sc, 7, &opt, &error);
    ck_assert_ptr_nonnull(r);
    assert_json_glib_layout(r->summary_json);
    ck_assert_ptr_nonnull(strstr(r->summary_json, "\"read-ratio\" : 0.25,"));
    ck_assert_ptr_nonnull(strstr(r->summary_json, "say \\\"hi\\\" \\\\ to\\tthe caf\xc3\xa9"));
}
END_TEST

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

static const SimProperty *property(const SimRunResult *r, const char *name)
{
    for (guint i = 0; i < r->check->properties->len; i++) {
        const SimProperty *p = &g_array_index(r->check->properties, SimProperty, i);
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

static SimRunResult *run_text(const char *text, guint64 seed)
{
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("t.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    SimRunOptions opt = {0};
    SimRunResult *r = sim_run_execute(sc, seed, &opt, &error);
    ck_assert_msg(r != NULL, "%s", error ? error->message : "");
    return r;
}

/* The run's stdout summary as text. */
static char *summary_text(const SimRunResult *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    sim_run_print_summary(f, r, 0);
    fclose(f);
    return buf;
}

/* A reshard from a replica is refused by its target (SETSLOT IMPORTING names a node that is
 * not a master): the run fails `nemesis-steps`, and its summary prints the error. */
START_TEST(test_failed_reshard_fails_the_run)
{
    g_autoptr(SimRunResult) r = run_text("clients 2\nrate 50\nkeys 10\nduration 15s\n"
                                         "at 10s reshard 0-10 n4 n2\n",
                                         1);
    ck_assert(!r->ok);
    const SimProperty *p = property(r, "nemesis-steps");
    ck_assert_ptr_nonnull(p);
    ck_assert(!p->ok);
    ck_assert_str_eq(p->detail, "1 step did not take effect, the first: reshard 0-10 n4 -> n2 at "
                                "10.000 s: slot 0 phase 0: ERR Target node is not a master");
    g_autofree char *text = summary_text(r);
    ck_assert_msg(strstr(text, "\nnemesis step failed: reshard 0-10 n4 -> n2 at 10.000 s: slot 0 "
                               "phase 0: ERR Target node is not a master\n") != NULL,
                  "%s", text);
    ck_assert(strstr(text, "  FAIL nemesis-steps: ") != NULL);

    /* the same step between two masters moves its slots and the property holds */
    g_autoptr(SimRunResult) ok = run_text("clients 2\nrate 50\nkeys 10\nduration 15s\n"
                                          "at 10s reshard 0-10 n1 n2\n",
                                          1);
    p = property(ok, "nemesis-steps");
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(p->ok, "%s", p->detail);
    ck_assert_str_eq(p->detail, "every nemesis step took effect (1 fault recorded)");
    g_autofree char *ok_text = summary_text(ok);
    ck_assert(strstr(ok_text, "nemesis step failed") == NULL);
}
END_TEST

/* A formation that cannot complete fails the run at once with one property, cluster-formed,
 * whose detail names why: the admin command that failed (a 3 s client latency times out the
 * admin client's 5 s attempts), or the limit, whether the nodes never learnt each other
 * (30 s one-way bus latency) or learnt each other but never converged (50 ms node timeout
 * against up to 80 ms of latency: nodes keep failing each other). */
START_TEST(test_formation_failures)
{
    static const struct {
        const char *text;
        const char *detail;
    } cases[] = {
        {"client-latency constant 3s\n", "n1: CLUSTER ADDSLOTSRANGE: timeout"},
        {"latency constant 30s\n", "not converged within 120 s"},
        {"node-timeout 50\nlatency uniform 1ms 80ms\n", "not converged within 120 s"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text =
            g_strconcat("clients 2\nrate 50\nkeys 10\nduration 10s\n", cases[i].text, NULL);
        g_autoptr(SimRunResult) r = run_text(text, 3);
        ck_assert(!r->ok);
        ck_assert(r->aborted);
        ck_assert_int_eq(r->sim_time_us, 0);
        ck_assert_uint_eq(r->check->properties->len, 1);
        const SimProperty *p = property(r, "cluster-formed");
        ck_assert_ptr_nonnull(p);
        ck_assert(!p->ok);
        ck_assert_str_eq(p->detail, cases[i].detail);
        g_autofree char *summary = summary_text(r);
        g_autofree char *line = g_strdup_printf("\n  FAIL cluster-formed: %s\n", cases[i].detail);
        ck_assert_msg(strstr(summary, line) != NULL, "%s", summary);
    }
}
END_TEST

/* The stdout summary's loss windows are summary.json's loss_window, side by side: the same
 * three sides, "nothing lost" for null, and the same first/last/width in ms. */
START_TEST(test_stdout_loss_window_matches_json)
{
    g_autoptr(SimRunResult) r =
        run_text("masters 3\nreplicas 1\nnode-timeout 2000\nclients 2\nconcurrency 10\n"
                 "client-timeout 500ms\nrate 10\nkeys 20\nduration 18s\nconverge-within 10s\n"
                 "at 5s partition isolate n1 with-clients\nat 12s heal\n",
                 1);
    g_autoptr(JsonParser) p = json_parser_new();
    ck_assert(json_parser_load_from_data(p, r->summary_json, -1, NULL));
    JsonObject *lw = member_object(json_node_get_object(json_parser_get_root(p)), "loss_window");
    g_autofree char *text = summary_text(r);
    static const char *const sides[] = {"majority", "minority", "none"};
    guint present = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(sides); i++) {
        ck_assert_msg(json_object_has_member(lw, sides[i]), "no loss_window.%s", sides[i]);
        g_autofree char *line = NULL;
        if (json_object_get_null_member(lw, sides[i])) {
            line = g_strdup_printf("\n  %-8s nothing lost\n", sides[i]);
        } else {
            JsonObject *w = json_object_get_object_member(lw, sides[i]);
            line = g_strdup_printf("\n  %-8s first %" G_GINT64_FORMAT " ms, last %" G_GINT64_FORMAT
                                   " ms, %" G_GINT64_FORMAT " ms wide\n",
                                   sides[i], json_object_get_int_member(w, "first_ms"),
                                   json_object_get_int_member(w, "last_ms"),
                                   json_object_get_int_member(w, "width_ms"));
            present++;
        }
        ck_assert_msg(strstr(text, line) != NULL, "stdout lacks '%s':\n%s", line + 1, text);
    }
    ck_assert_uint_ge(present, 1); /* the cut-off master's acknowledged writes are lost */
}
END_TEST

/* A run cut short by max-events before the final heal: `converged` fails saying it was never
 * checked, not that the cluster failed to converge while every node agrees. */
START_TEST(test_converged_detail_when_max_events_stops_the_run)
{
    g_autoptr(SimRunResult) r = run_text("clients 2\nrate 50\nkeys 10\nduration 20s\n"
                                         "max-events 3000\n",
                                         1);
    ck_assert(r->aborted);
    const SimProperty *p = property(r, "converged");
    ck_assert_ptr_nonnull(p);
    ck_assert(!p->ok);
    ck_assert_msg(g_str_has_prefix(p->detail, "not checked: the run stopped at ") &&
                      g_str_has_suffix(p->detail, " s, before the final heal at 20.000 s (see "
                                                  "run-completed)"),
                  "%s", p->detail);
    const SimProperty *rc = property(r, "run-completed");
    ck_assert_ptr_nonnull(rc);
    ck_assert_msg(g_str_has_suffix(rc->detail, " s: max-events (3000) reached"), "%s", rc->detail);
}
END_TEST

/* summary.json's faults[] of a run, parsed into `p`. */
static JsonArray *faults_of(const SimRunResult *r, JsonParser *p)
{
    ck_assert(json_parser_load_from_data(p, r->summary_json, -1, NULL));
    return string_array(json_node_get_object(json_parser_get_root(p)), "faults");
}

/* A fault list as text: "kind start-end nodes;..." (ms), to compare schedules. */
static char *schedule_text(JsonArray *faults)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < json_array_get_length(faults); i++) {
        JsonObject *f = json_array_get_object_element(faults, i);
        g_string_append_printf(s, "%s %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT,
                               json_object_get_string_member(f, "kind"),
                               json_object_get_int_member(f, "start_ms"),
                               json_object_get_int_member(f, "end_ms"));
        JsonArray *nodes = string_array(f, "nodes");
        for (guint j = 0; j < json_array_get_length(nodes); j++)
            g_string_append_printf(s, " %s", json_array_get_string_element(nodes, j));
        g_string_append_c(s, ';');
    }
    return g_string_free(s, FALSE);
}

/* `random ... every 1s..3s for 200ms..800ms pause random-node`: gaps and holds drawn within
 * their ranges from the nemesis stream; the same seed gives the same schedule, another seed
 * another. */
START_TEST(test_random_schedule_is_seeded)
{
    const char text[] =
        "clients 1\nrate 10\nkeys 3\nduration 20s\n"
        "random from 1s until 19s every 1s..3s for 200ms..800ms pause random-node\n";
    g_autoptr(SimRunResult) a = run_text(text, 1);
    g_autoptr(SimRunResult) b = run_text(text, 1);
    g_autoptr(SimRunResult) c = run_text(text, 2);
    ck_assert(a->ok);
    g_autoptr(JsonParser) pa = json_parser_new();
    g_autoptr(JsonParser) pb = json_parser_new();
    g_autoptr(JsonParser) pc = json_parser_new();
    JsonArray *fa = faults_of(a, pa);
    g_autofree char *sa = schedule_text(fa);
    g_autofree char *sb = schedule_text(faults_of(b, pb));
    g_autofree char *sc = schedule_text(faults_of(c, pc));
    ck_assert_str_eq(sa, sb);
    ck_assert_str_ne(sa, sc);
    ck_assert_str_eq(a->trace_sha256, b->trace_sha256);

    /* 18 s of gaps of at most 3 s and holds of at most 0.8 s: at least 4 pauses */
    guint n = json_array_get_length(fa);
    ck_assert_uint_ge(n, 4);
    gint64 prev_end = 0; /* the first gap counts from `from` (1 s), later ones from the undo */
    for (guint i = 0; i < n; i++) {
        JsonObject *f = json_array_get_object_element(fa, i);
        ck_assert_str_eq(json_object_get_string_member(f, "kind"), "pause");
        gint64 start = json_object_get_int_member(f, "start_ms");
        gint64 end = json_object_get_int_member(f, "end_ms");
        gint64 gap = start - (i == 0 ? 1000 : prev_end);
        /* times are truncated to ms: allow 1 ms either way */
        ck_assert_msg(gap >= 1000 - 1 && gap <= 3000 + 1, "fault %u: gap %" G_GINT64_FORMAT, i,
                      gap);
        ck_assert_msg(end - start >= 200 - 1 && end - start <= 800 + 1,
                      "fault %u: hold %" G_GINT64_FORMAT, i, end - start);
        ck_assert_int_lt(start, 19000);
        ck_assert_uint_eq(json_array_get_length(string_array(f, "nodes")), 1);
        prev_end = end;
    }
}
END_TEST

/* `skew`: the node's host clock is set (offset and drift, as the trace records it) at the
 * step's time, and reset at the final heal; a backward step breaks nothing. */
START_TEST(test_clock_skew)
{
    const char text[] = "clients 1\nrate 10\nkeys 3\nduration 10s\n"
                        "at 2s skew n1 +500ms drift 1000\nat 4s skew n2 -2s\n";
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("skew.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    g_autofree char *dir = g_dir_make_tmp("rcsim-skew-XXXXXX", NULL);
    SimRunOptions opt = {.out_dir = dir, .trace = TRUE};
    g_autoptr(SimRunResult) r = sim_run_execute(sc, 1, &opt, &error);
    ck_assert_msg(r != NULL, "%s", error ? error->message : "");
    ck_assert(r->ok);
    g_autoptr(JsonParser) p = json_parser_new();
    g_autofree char *sched = schedule_text(faults_of(r, p));
    ck_assert_str_eq(sched, "skew 2000-10000 n1;skew 4000-10000 n2;");

    /* the trace: host 0 (n1) and host 1 (n2) change clocks at t0 + 2 s and t0 + 4 s, and both
     * go back to true time at the final heal (t0 + 10 s) */
    g_autofree char *tpath = g_build_filename(dir, "trace.log", NULL);
    g_autofree char *trace = NULL;
    ck_assert(g_file_get_contents(tpath, &trace, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(trace, "\n", -1);
    static const struct {
        const char *what;
        gint64 at_ms;
    } want[] = {
        {"fault 0 0 0 clock offset=500000us drift=1000ppm", 2000},
        {"fault 1 0 0 clock offset=-2000000us drift=0ppm", 4000},
        {"fault 0 0 0 clock offset=0us drift=0ppm", 10000},
        {"fault 1 0 0 clock offset=0us drift=0ppm", 10000},
    };
    double t0 = -1;
    for (gsize w = 0; w < G_N_ELEMENTS(want); w++) {
        const char *line = NULL;
        for (guint i = 0; lines[i] != NULL && line == NULL; i++)
            if (g_str_has_suffix(lines[i], want[w].what))
                line = lines[i];
        ck_assert_msg(line != NULL, "trace lacks '%s'", want[w].what);
        double t = g_ascii_strtod(line, NULL);
        if (t0 < 0)
            t0 = t - 2.0;
        ck_assert_msg(fabs(t - t0 - want[w].at_ms / 1000.0) < 1e-6, "%s at %.6f, t0 %.6f",
                      want[w].what, t, t0);
    }
    const char *names[] = {"summary.json", "history.jsonl", "trace.log"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *x = g_build_filename(dir, names[i], NULL);
        g_remove(x);
    }
    g_rmdir(dir);
}
END_TEST

/* The groups of the first fault of a run with `step` at 1 s (3 masters, 1 replica each, a
 * client near each master), healed at 3 s. */
static void first_partition(const char *step, guint64 seed, JsonParser *p, JsonArray **groups,
                            JsonArray **majority, JsonArray **minority)
{
    g_autofree char *text = g_strdup_printf("masters 3\nreplicas 1\nclients 3\nrate 20\nkeys 5\n"
                                            "duration 4s\nat 1s partition %s\nat 3s heal\n",
                                            step);
    g_autoptr(SimRunResult) r = run_text(text, seed);
    ck_assert_msg(r->ok, "%s seed %" G_GUINT64_FORMAT, step, seed);
    JsonArray *faults = faults_of(r, p);
    ck_assert_uint_eq(json_array_get_length(faults), 1);
    JsonObject *f = json_array_get_object_element(faults, 0);
    ck_assert_int_eq(json_object_get_int_member(f, "start_ms"), 1000);
    ck_assert_int_eq(json_object_get_int_member(f, "end_ms"), 3000);
    *groups = string_array(f, "groups");
    *majority = string_array(f, "majority");
    *minority = string_array(f, "minority");
}

/* `majority-minority`: 2 of the 6 nodes (a minority of the nodes), drawn per seed, cut off
 * with the clients sitting near them; everything else is the other group. The sides follow
 * the serving masters: the cut-off pair is the majority side when it holds 2 of 3 masters. */
START_TEST(test_partition_majority_minority)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint64 seed = 1; seed <= 6; seed++) {
        g_autoptr(JsonParser) p = json_parser_new();
        JsonArray *groups, *majority, *minority;
        first_partition("majority-minority", seed, p, &groups, &majority, &minority);
        ck_assert_uint_eq(json_array_get_length(groups), 2);
        JsonArray *cut = json_array_get_array_element(groups, 0);
        JsonArray *rest = json_array_get_array_element(groups, 1);
        GString *cut_nodes = g_string_new(NULL);
        guint nodes = 0, masters = 0;
        for (guint i = 1; i <= 6; i++) {
            g_autofree char *n = g_strdup_printf("n%u", i);
            g_autofree char *c = g_strdup_printf("c%u", i);
            gboolean in_cut = array_has(cut, n);
            ck_assert_msg(in_cut != array_has(rest, n), "%s in exactly one group", n);
            if (!in_cut)
                continue;
            nodes++;
            masters += i <= 3;
            g_string_append_printf(cut_nodes, "%s ", n);
            if (i <= 3) /* c_i sits near master n_i and goes with it */
                ck_assert_msg(array_has(cut, c), "seed %" G_GUINT64_FORMAT ": %s without %s", seed,
                              n, c);
        }
        ck_assert_uint_eq(nodes, 2);
        /* every client not near a cut-off node stays with the rest, as do admin and reader */
        for (guint i = 1; i <= 3; i++) {
            g_autofree char *n = g_strdup_printf("n%u", i);
            g_autofree char *c = g_strdup_printf("c%u", i);
            ck_assert(array_has(cut, c) == array_has(cut, n));
        }
        ck_assert(array_has(rest, "admin") && array_has(rest, "reader"));
        JsonArray *cut_side = masters >= 2 ? majority : minority;
        for (guint i = 0; i < json_array_get_length(cut); i++) {
            const char *h = json_array_get_string_element(cut, i);
            if (h[0] == 'n')
                ck_assert_msg(array_has(cut_side, h), "seed %" G_GUINT64_FORMAT ": %s side", seed,
                              h);
        }
        g_hash_table_add(seen, g_string_free(cut_nodes, FALSE));
    }
    ck_assert_uint_ge(g_hash_table_size(seen), 2); /* the draw depends on the seed */
}
END_TEST

/* `random-node`: one node, drawn per seed, cut off alone (its clients stay with the rest),
 * the same node `isolate random-node` draws. */
START_TEST(test_partition_random_node)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint64 seed = 1; seed <= 6; seed++) {
        g_autoptr(JsonParser) p = json_parser_new();
        JsonArray *groups, *majority, *minority;
        first_partition("random-node", seed, p, &groups, &majority, &minority);
        ck_assert_uint_eq(json_array_get_length(groups), 2);
        JsonArray *cut = json_array_get_array_element(groups, 0);
        ck_assert_uint_eq(json_array_get_length(cut), 1);
        const char *n = json_array_get_string_element(cut, 0);
        ck_assert_msg(n[0] == 'n', "seed %" G_GUINT64_FORMAT ": cut off %s", seed, n);
        ck_assert(array_has(minority, n));
        ck_assert_uint_eq(json_array_get_length(minority), 1);
        ck_assert_uint_eq(json_array_get_length(majority), 5);
        g_autoptr(JsonParser) q = json_parser_new();
        JsonArray *groups2, *maj2, *min2;
        first_partition("isolate random-node", seed, q, &groups2, &maj2, &min2);
        ck_assert_str_eq(json_array_get_string_element(json_array_get_array_element(groups2, 0), 0),
                         n);
        g_hash_table_add(seen, g_strdup(n));
    }
    ck_assert_uint_ge(g_hash_table_size(seen), 2);
}
END_TEST

/* `set-command rpush`: writes are RPUSH and the final reads LRANGE (f read-list); with one
 * process per client the list of each key holds the acknowledged elements in ack order. */
START_TEST(test_set_command_rpush)
{
    const char text[] = "masters 3\nreplicas 1\nclients 2\nrate 50\nkeys 4\nduration 3s\n"
                        "set-command rpush\n";
    GError *error = NULL;
    g_autoptr(SimScenario) sc = sim_scenario_parse("rpush.scn", text, strlen(text), NULL, &error);
    ck_assert_msg(sc != NULL, "%s", error ? error->message : "");
    ck_assert(sc->use_rpush);
    g_autofree char *dir = g_dir_make_tmp("rcsim-rpush-XXXXXX", NULL);
    SimRunOptions opt = {.out_dir = dir};
    g_autoptr(SimRunResult) r = sim_run_execute(sc, 3, &opt, &error);
    ck_assert_msg(r != NULL, "%s", error ? error->message : "");
    ck_assert(r->ok);
    ck_assert_uint_gt(r->check->acked, 100);
    ck_assert_uint_eq(r->check->lost, 0);
    g_autofree char *hpath = g_build_filename(dir, "history.jsonl", NULL);
    g_autofree char *hist = NULL;
    ck_assert(g_file_get_contents(hpath, &hist, NULL, NULL));
    g_auto(GStrv) lines = g_strsplit(hist, "\n", -1);
    /* per client process and key: the elements it had acknowledged, in order */
    g_autoptr(GHashTable) acked =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
    guint reads = 0;
    for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
        g_autoptr(JsonParser) lp = json_parser_new();
        ck_assert(json_parser_load_from_data(lp, lines[i], -1, NULL));
        JsonObject *op = json_node_get_object(json_parser_get_root(lp));
        const char *f = json_object_get_string_member(op, "f");
        const char *type = json_object_get_string_member(op, "type");
        if (strcmp(type, "ok") != 0)
            continue;
        const char *key = json_object_get_string_member(op, "key");
        if (strcmp(f, "add") == 0) {
            gint64 proc = json_object_get_int_member(op, "process");
            g_autofree char *k = g_strdup_printf("%" G_GINT64_FORMAT "/%s", proc, key);
            GPtrArray *a = g_hash_table_lookup(acked, k);
            if (a == NULL) {
                a = g_ptr_array_new_with_free_func(g_free);
                g_hash_table_insert(acked, g_strdup(k), a);
            }
            g_ptr_array_add(a, g_strdup(json_object_get_string_member(op, "value")));
            continue;
        }
        ck_assert_str_eq(f, "read"); /* the final read of the list (LRANGE) */
        reads++;
        /* the list, filtered to one process's elements, is that process's acks in order */
        JsonArray *list = json_object_get_array_member(op, "value");
        for (gint64 proc = 0; proc < 2; proc++) {
            g_autofree char *k = g_strdup_printf("%" G_GINT64_FORMAT "/%s", proc, key);
            GPtrArray *a = g_hash_table_lookup(acked, k);
            g_autofree char *prefix = g_strdup_printf("c%" G_GINT64_FORMAT "-", proc + 1);
            guint next = 0;
            for (guint j = 0; j < json_array_get_length(list); j++) {
                const char *v = json_array_get_string_element(list, j);
                if (!g_str_has_prefix(v, prefix))
                    continue;
                ck_assert_ptr_nonnull(a);
                ck_assert_uint_lt(next, a->len);
                ck_assert_str_eq(v, g_ptr_array_index(a, next));
                next++;
            }
            ck_assert_uint_eq(next, a != NULL ? a->len : 0);
        }
    }
    ck_assert_uint_eq(reads, 4);
    const char *names[] = {"summary.json", "history.jsonl"};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *x = g_build_filename(dir, names[i], NULL);
        g_remove(x);
    }
    g_rmdir(dir);
}
END_TEST

static const SimProperty *check_property(const SimCheckResult *c, const char *name)
{
    for (guint i = 0; i < c->properties->len; i++) {
        const SimProperty *p = &g_array_index(c->properties, SimProperty, i);
        if (strcmp(p->name, name) == 0)
            return p;
    }
    return NULL;
}

/* A set history by hand: process 0 adds `n` elements e0.. to k (all acknowledged); the
 * reader (process 1) finally reads back those listed in `read`. */
static SimHistory *hand_history(guint n, const char *const *read)
{
    SimHistory *h = sim_history_new();
    for (guint i = 0; i < n; i++) {
        g_autofree char *v = g_strdup_printf("e%u", i);
        RcTime t = (RcTime)(i + 1) * RC_US_PER_S;
        sim_history_add(h, t, 0, SIM_OP_INVOKE, "add", "k", v, NULL, -1, NULL, SIM_SIDE_NONE, -1);
        sim_history_add(h, t + 500, 0, SIM_OP_OK, "add", "k", v, NULL, 0, NULL, SIM_SIDE_NONE, -1);
    }
    GPtrArray *elems = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; read[i] != NULL; i++)
        g_ptr_array_add(elems, g_strdup(read[i]));
    RcTime t = (RcTime)(n + 10) * RC_US_PER_S;
    sim_history_add(h, t, 1, SIM_OP_INVOKE, "read", "k", NULL, NULL, -1, NULL, SIM_SIDE_NONE, -1);
    sim_history_add(h, t + 500, 1, SIM_OP_OK, "read", "k", NULL, elems, 0, NULL, SIM_SIDE_NONE, -1);
    return h;
}

/* `no-loss-without-faults` fails when a run without any fault lost an acknowledged write, and
 * is not checked when there was a fault; `nemesis-steps` fails on a fault with an error. */
START_TEST(test_fault_properties_on_hand_built_histories)
{
    static const char *const all[] = {"e0", "e1", "e2", NULL};
    static const char *const one_missing[] = {"e0", "e2", NULL};
    g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func((GDestroyNotify)sim_fault_free);

    /* no fault, e1 missing from the final read: lost, and the property fails */
    g_autoptr(SimHistory) lossy = hand_history(3, one_missing);
    g_autoptr(SimCheckResult) c = sim_check_result_new();
    sim_check_writes(lossy, none, NULL, 1, c);
    ck_assert_uint_eq(c->acked, 3);
    ck_assert_uint_eq(c->lost, 1);
    sim_run_check_faults(c, none);
    const SimProperty *p = check_property(c, "no-loss-without-faults");
    ck_assert_ptr_nonnull(p);
    ck_assert(!p->ok);
    ck_assert_str_eq(p->detail, "1 acknowledged writes lost without any fault");
    ck_assert(check_property(c, "nemesis-steps")->ok);
    ck_assert(!sim_check_all_properties_hold(c));

    /* no fault, nothing lost: it holds */
    g_autoptr(SimHistory) whole = hand_history(3, all);
    g_autoptr(SimCheckResult) ok = sim_check_result_new();
    sim_check_writes(whole, none, NULL, 1, ok);
    sim_run_check_faults(ok, none);
    ck_assert(check_property(ok, "no-loss-without-faults")->ok);
    ck_assert(sim_check_all_properties_hold(ok));

    /* the same loss with a fault before it: a fault may explain it, the property is not
     * checked; but the fault's step failed, so nemesis-steps does */
    g_autoptr(GPtrArray) faults = g_ptr_array_new_with_free_func((GDestroyNotify)sim_fault_free);
    SimFault *f = sim_fault_new("failover", RC_US_PER_S / 2, "n4 force");
    f->end_us = RC_US_PER_S;
    f->error = g_strdup("ERR You should send CLUSTER FAILOVER to a replica");
    g_ptr_array_add(faults, f);
    g_autoptr(SimCheckResult) with_fault = sim_check_result_new();
    sim_check_writes(lossy, faults, NULL, 1, with_fault);
    ck_assert_uint_eq(with_fault->lost, 1);
    sim_run_check_faults(with_fault, faults);
    ck_assert_ptr_null(check_property(with_fault, "no-loss-without-faults"));
    p = check_property(with_fault, "nemesis-steps");
    ck_assert_ptr_nonnull(p);
    ck_assert(!p->ok);
    ck_assert_str_eq(p->detail, "1 step did not take effect, the first: failover n4 force at 0.500 "
                                "s: ERR You should send CLUSTER FAILOVER to a replica");
}
END_TEST

/* A client host's next idle process comes from its busy bits: the first clear bit at or after
 * a place, against a plain scan, for random patterns (sparse, dense, full words) at every
 * place, with counts around word bounds and the largest concurrency. */
START_TEST(test_bits_next_clear)
{
    const guint sizes[] = {1, 2, 63, 64, 65, 100, 127, 128, 129, 1000};
    GRand *rand = g_rand_new_with_seed(5);
    for (guint si = 0; si < G_N_ELEMENTS(sizes); si++) {
        guint n = sizes[si];
        for (guint round = 0; round < 40; round++) {
            guint64 words[(1000 + 63) / 64] = {0};
            gboolean busy[1024] = {FALSE};
            /* busy with probability 0, 1/2, 15/16 or 1, in runs */
            guint density = round % 4;
            for (guint i = 0; i < n; i++) {
                gboolean b = density == 3 || (density == 1 && g_rand_boolean(rand)) ||
                             (density == 2 && g_rand_int_range(rand, 0, 16) != 0);
                busy[i] = b;
                if (b)
                    words[i / 64] |= G_GUINT64_CONSTANT(1) << (i % 64);
            }
            for (guint from = 0; from < n; from++) {
                guint want = from;
                while (want < n && busy[want])
                    want++;
                ck_assert_uint_eq(sim_bits_next_clear(words, from, n), want);
            }
        }
    }
    g_rand_free(rand);
}
END_TEST

Suite *run_suite(void);
Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_default_scenario_is_deterministic);
    tcase_add_test(tc, test_bits_next_clear);
    tcase_add_test(tc, test_result_files);
    tcase_add_test(tc, test_start_jitter);
    tcase_add_test(tc, test_syn_linear_timeouts_reach_the_net);
    tcase_add_test(tc, test_summary_json_escapes_and_doubles);
    tcase_add_test(tc, test_partition_shapes);
    tcase_add_test(tc, test_concurrency_keeps_writing_past_a_hung_shard);
    tcase_add_test(tc, test_window_metrics);
    tcase_add_test(tc, test_history_edn_counter);
    tcase_add_test(tc, test_history_edn_register_and_elle);
    tcase_add_test(tc, test_failed_reshard_fails_the_run);
    tcase_add_test(tc, test_formation_failures);
    tcase_add_test(tc, test_stdout_loss_window_matches_json);
    tcase_add_test(tc, test_converged_detail_when_max_events_stops_the_run);
    tcase_add_test(tc, test_random_schedule_is_seeded);
    tcase_add_test(tc, test_clock_skew);
    tcase_add_test(tc, test_partition_majority_minority);
    tcase_add_test(tc, test_partition_random_node);
    tcase_add_test(tc, test_set_command_rpush);
    tcase_add_test(tc, test_fault_properties_on_hand_built_histories);
    suite_add_tcase(s, tc);
    return s;
}
