/* A scenario's timings applied to a simulated world: what both a scenario run (run.c) and
 * the console's world (console_world.c) take from the scenario file, kept in one place so
 * that a new timing parameter reaches both. */
#ifndef SIM_SCENARIO_WORLD_H
#define SIM_SCENARIO_WORLD_H

#include "sim/host.h"
#include "sim/scenario.h"

/* The links' latency between nodes (`latency`), a node's wake-up after its poll
 * (`timer-latency`), its fsync of nodes.conf (`fsync-latency`) and a crashed process's
 * socket teardown (`crash-teardown`, `crash-close-spacing`), onto `w` and its net. The
 * client links' latency is the caller's: which hosts are clients differs. */
void sim_scenario_apply_timings(const SimScenario *sc, SimWorld *w);

#endif
