/* See scenario_world.h. */
#include "sim/scenario_world.h"

#include "sim/net.h"

void sim_scenario_apply_timings(const SimScenario *sc, SimWorld *w)
{
    SimNet *net = sim_world_net(w);
    SimLatency lat;
    sim_scenario_latency(&sc->latency, &lat);
    sim_net_set_latency(net, &lat);
    sim_scenario_latency(&sc->timer_latency, &lat);
    sim_world_set_timer_latency(w, &lat);
    sim_scenario_latency(&sc->fsync_latency, &lat);
    sim_world_set_fsync(w, &lat);
    sim_scenario_latency(&sc->crash_teardown, &lat);
    sim_net_set_crash_teardown(net, &lat, sc->crash_close_spacing_us);
}
