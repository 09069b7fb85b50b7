/* CLI entries of the runner: `rcsim run`, `check`, `sweep`, `merge`. Each takes its own argv
 * (argv[0] is the subcommand) and returns the exit status. */
#ifndef SIM_RUN_CLI_H
#define SIM_RUN_CLI_H

#include <stdio.h>

#include "sim/run.h"

int sim_check_main(int argc, char **argv);
int sim_sweep_main(int argc, char **argv);
int sim_merge_main(int argc, char **argv);

/* The human summary of a run; `real_s` > 0 adds the speed. */
void sim_run_print_summary(FILE *to, const SimRunResult *r, double real_s);

#endif
