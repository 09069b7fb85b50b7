/* libFuzzer target for the scenario parser (the approach of fuzz_resp.c: with clang it is a
 * libFuzzer+ASan binary, with gcc fuzz_replay.c drives it over the scenario library and
 * seeded mutations of it).
 *
 * Oracle: the parser returns a scenario whose invariants hold (nodes within the limit,
 * clients placed, every step inside the run), or an error shaped `t.scn:LINE: field: reason`;
 * it never crashes, leaks or reads out of bounds. The first byte, when it is one of a few
 * values, also applies an override, so `--set` parsing is fuzzed too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sets[][2] = {
        {"masters=1", NULL}, {"replicas=0", NULL}, {"duration=5s", NULL}, {"clients=0", NULL}};
    const char *const *overrides = NULL;
    if (size > 0 && data[0] < G_N_ELEMENTS(sets)) {
        overrides = sets[data[0]];
        data++;
        size--;
    }
    GError *error = NULL;
    SimScenario *sc = sim_scenario_parse("t.scn", (const char *)data, size, overrides, &error);
    if (sc == NULL) {
        rc_assert(error != NULL && error_is_well_formed(error->message));
        g_error_free(error);
        return 0;
    }
    rc_assert(error == NULL);
    rc_assert(sc->masters > 0 && sim_scenario_nodes(sc) <= SIM_SCENARIO_NODES_MAX);
    rc_assert(sc->clients_near != NULL && sc->clients_near->len > 0);
    for (guint i = 0; i < sc->clients; i++)
        rc_assert(sim_scenario_client_home(sc, i) < sim_scenario_nodes(sc));
    for (guint i = 0; i < sc->steps->len; i++) {
        const SimNemesisStep *st = &g_array_index(sc->steps, SimNemesisStep, i);
        rc_assert(st->at_us >= 0 && st->at_us <= sc->duration_us);
        for (guint j = 0; j < st->targets->len; j++) {
            const SimTarget *t = &g_array_index(st->targets, SimTarget, j);
            if (t->kind == SIM_TARGET_NODE || t->kind == SIM_TARGET_CLIENTS_OF)
                rc_assert(t->index < sim_scenario_nodes(sc));
            if (t->kind == SIM_TARGET_CLIENT)
                rc_assert(t->index < sc->clients);
        }
    }
    sim_scenario_free(sc);
    return 0;
}
