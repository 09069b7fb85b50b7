/* Mutation tests of the scenario parser (Check, `fuzz` suite): every file of the library is
 * mutated by a seeded stream (byte flips, deletions, inserted tokens, duplicated chunks,
 * NULs, truncation) and overrides are fuzzed too. The parser either returns a scenario whose
 * invariants hold or an error shaped `t.scn:LINE: field: reason`. fuzz_scenario.c is the
 * open-ended libFuzzer target for the same parser. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario.h"

static gboolean error_is_well_formed(const char *msg)
{
    if (g_str_has_prefix(msg, "--set "))
        return TRUE;
    if (!g_str_has_prefix(msg, "t.scn:"))
        return FALSE;
    const char *p = msg + 6;
    if (!g_ascii_isdigit(*p))
        return FALSE;
    while (g_ascii_isdigit(*p))
        p++;
    return p[0] == ':' && p[1] == ' ' && strstr(p + 2, ": ") != NULL;
}

/* Returns FALSE when the oracle fails. */
static gboolean check_one(const guint8 *data, gsize len)
{
    GError *error = NULL;
    SimScenario *sc = sim_scenario_parse("t.scn", (const char *)data, len, NULL, &error);
    if (sc != NULL) {
        gboolean ok = error == NULL && sc->masters > 0 &&
                      sim_scenario_nodes(sc) <= SIM_SCENARIO_NODES_MAX &&
                      sc->clients_near != NULL && sc->clients_near->len > 0;
        for (guint i = 0; ok && i < sc->steps->len; i++) {
            const SimNemesisStep *st = &g_array_index(sc->steps, SimNemesisStep, i);
            ok = st->at_us >= 0 && st->at_us <= sc->duration_us;
        }
        sim_scenario_free(sc);
        return ok;
    }
    gboolean ok = error != NULL && error_is_well_formed(error->message);
    if (!ok && error != NULL)
        g_printerr("malformed error: %s\n", error->message);
    g_clear_error(&error);
    return ok;
}

#include <check.h>

static const char *const tokens[] = {
    "at",        "flap",   "random", "expect", "vary", "partition",
    "isolate",   "|",      "->",     "rest",   "n1",   "c9",
    "primary:0", "10s",    "-5ms",   "1..",    "..",   "every",
    "for",       "period", "from",   "until",  "==",   "99999999999999999999",
    "masters",   "0",      "\t",     "#",      "\r",   "with-clients",
    "1e308",     "nan",
};

static void mutate(GRand *rng, GString *s)
{
    guint kind = (guint)g_rand_int_range(rng, 0, 6);
    gsize len = s->len;
    gsize at = len ? (gsize)g_rand_int_range(rng, 0, (gint32)len) : 0;
    switch (kind) {
    case 0: /* flip a byte */
        if (len)
            s->str[at] = (char)g_rand_int_range(rng, 0, 256);
        break;
    case 1: /* delete a run */
        if (len)
            g_string_erase(s, at, MIN(len - at, (gsize)g_rand_int_range(rng, 1, 16)));
        break;
    case 2: /* insert a token */
        g_string_insert(s, at, tokens[g_rand_int_range(rng, 0, G_N_ELEMENTS(tokens))]);
        break;
    case 3: /* duplicate a chunk */
        if (len) {
            gsize n = MIN(len - at, (gsize)g_rand_int_range(rng, 1, 64));
            g_autofree char *chunk = g_strndup(s->str + at, n);
            g_string_insert_len(s, (gssize)(len ? g_rand_int_range(rng, 0, (gint32)len) : 0), chunk,
                                (gssize)n);
        }
        break;
    case 4: /* a NUL or a newline */
        g_string_insert_c(s, at, g_rand_boolean(rng) ? '\0' : '\n');
        break;
    case 5: /* truncate */
        g_string_truncate(s, at);
        break;
    }
}

START_TEST(test_mutated_library)
{
    const char *root = g_getenv("RCSIM_SOURCE_ROOT");
    ck_assert_ptr_nonnull(root);
    g_autofree char *dir_path = g_build_filename(root, "scenarios", NULL);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    ck_assert_ptr_nonnull(dir);
    g_autoptr(GPtrArray) seeds = g_ptr_array_new_with_free_func(g_free);
    const char *entry;
    while ((entry = g_dir_read_name(dir)) != NULL) {
        if (!g_str_has_suffix(entry, ".scn"))
            continue;
        g_autofree char *path = g_build_filename(dir_path, entry, NULL);
        char *text = NULL;
        ck_assert(g_file_get_contents(path, &text, NULL, NULL));
        g_ptr_array_add(seeds, text);
    }
    g_ptr_array_sort(seeds, (GCompareFunc)g_strcmp0); /* a fixed order whatever readdir says */
    ck_assert_uint_gt(seeds->len, 0);
    g_autoptr(GRand) rng = g_rand_new_with_seed(20261125);
    guint parsed = 0, rejected = 0;
    for (guint iter = 0; iter < 20000; iter++) {
        const char *base = g_ptr_array_index(seeds, iter % seeds->len);
        g_autoptr(GString) s = g_string_new(base);
        guint rounds = (guint)g_rand_int_range(rng, 1, 6);
        for (guint r = 0; r < rounds; r++)
            mutate(rng, s);
        ck_assert_msg(check_one((const guint8 *)s->str, s->len), "iteration %u", iter);
        GError *error = NULL;
        SimScenario *sc = sim_scenario_parse("t.scn", s->str, s->len, NULL, &error);
        if (sc)
            parsed++;
        else
            rejected++;
        sim_scenario_free(sc);
        g_clear_error(&error);
    }
    /* the mutations reach both outcomes, so both paths are exercised */
    ck_assert_uint_gt(parsed, 100);
    ck_assert_uint_gt(rejected, 100);
}
END_TEST

START_TEST(test_overrides_fuzz)
{
    g_autoptr(GRand) rng = g_rand_new_with_seed(7);
    static const char *const keys[] = {"masters", "replicas", "duration", "latency", "clients-near",
                                       "rate",    "ci-seeds", "workload", "nope",    ""};
    for (guint iter = 0; iter < 5000; iter++) {
        g_autoptr(GString) v = g_string_new(tokens[g_rand_int_range(rng, 0, G_N_ELEMENTS(tokens))]);
        mutate(rng, v);
        g_autofree char *kv =
            g_strdup_printf("%s=%s", keys[g_rand_int_range(rng, 0, G_N_ELEMENTS(keys))], v->str);
        const char *const overrides[] = {kv, NULL};
        GError *error = NULL;
        SimScenario *sc = sim_scenario_parse("t.scn", "at 1s heal\n", 11, overrides, &error);
        ck_assert(sc != NULL || error_is_well_formed(error->message));
        sim_scenario_free(sc);
        g_clear_error(&error);
    }
}
END_TEST

Suite *scenario_fuzz_suite(void);
Suite *scenario_fuzz_suite(void)
{
    Suite *s = suite_create("scenario_fuzz");
    TCase *tc = tcase_create("fuzz");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_mutated_library);
    tcase_add_test(tc, test_overrides_fuzz);
    suite_add_tcase(s, tc);
    return s;
}
