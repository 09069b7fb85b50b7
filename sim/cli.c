#include "sim/cli.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "rcsim_config.h"
#include "reports/report.h"
#include "sim/bench.h"
#include "sim/console.h"
#include "sim/run_cli.h"

/* Subcommands, in the order --help lists them. Each module registers its entry here. */
static const SimCliEntry commands[] = {
    {"run", "run one scenario with one seed and check it", sim_run_main},
    {"sweep", "run a scenario over many seeds and parameter points", sim_sweep_main},
    {"merge", "join sweep shards made on other machines", sim_merge_main},
    {"check", "run scenarios' CI seeds against their expectations", sim_check_main},
    {"report", "tables and plots from a run or sweep directory", report_cli_main},
    {"console", "a redis-cli-like prompt on a simulated cluster", sim_console_main},
    {"bench", "benchmarks (kernel, net, cluster)", sim_bench_main},
};

static void print_help(FILE *to)
{
    fprintf(to,
            "Usage: rcsim COMMAND [OPTION...]\n\n"
            "rcsim %s: a deterministic simulator of Redis Cluster 7.0.\n\nCommands:\n",
            RCSIM_VERSION);
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(to, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nOptions:\n  -h, --help     show this help\n  -V, --version  show the version\n"
                "\n`rcsim COMMAND --help` describes a command.\n");
}

int sim_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "rcsim: expected a command (see rcsim --help)\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("rcsim %s\n", RCSIM_VERSION);
        return 0;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(cmd, commands[i].name) != 0)
            continue;
        if (commands[i].run == NULL) {
            fprintf(stderr, "rcsim: '%s' is not built yet in this version\n", cmd);
            return 2;
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "rcsim: unknown command '%s' (see rcsim --help)\n", cmd);
    return 2;
}
