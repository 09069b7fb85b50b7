/* `rcsim bench`: benchmarks, kept apart from the tests (their figures depend on the machine).
 *   rcsim bench kernel [--pending N] [--events N]
 * prints what it measured; the last line is `kernel events/s: N`. */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

int sim_bench_main(int argc, char **argv);

#endif
