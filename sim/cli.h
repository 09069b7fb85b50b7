/* The `rcsim` command line: subcommand dispatch. Each subcommand is a function taking its
 * own argv (argv[0] is the subcommand name) and returning the process exit status:
 * 0 success, 1 a check failed, 2 bad usage or input. */
#ifndef SIM_CLI_H
#define SIM_CLI_H

typedef int (*SimCliCommand)(int argc, char **argv);

typedef struct {
    const char *name;
    const char *summary;
    SimCliCommand run; /* NULL: not built yet */
} SimCliEntry;

int sim_cli_main(int argc, char **argv);

#endif
