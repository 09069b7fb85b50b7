#include <stdlib.h>
#include <unistd.h>

#include "sim/cli.h"

/* A run touches tens of megabytes of fresh heap, and on a virtual machine each first touch of
 * a 4 KiB page is a fault that costs microseconds: about a fifth of the default scenario's
 * time. glibc backs its heap with transparent huge pages when GLIBC_TUNABLES says
 * glibc.malloc.hugetlb=1, but it reads that only at startup, so rcsim sets it and executes
 * itself once. Only the heap gets huge pages, not blocks that malloc maps on their own, so the
 * same setting keeps blocks of up to 32 MiB (backlogs, history chunks, the kernel's wheel) in
 * the heap: about a tenth fewer faults again. It changes no result, only how memory is
 * mapped. RCSIM_SMALL_PAGES=1 (or a
 * GLIBC_TUNABLES of the user's own) keeps the process as it started, e.g. under valgrind,
 * which would otherwise follow the exec uninstrumented. */
static void use_huge_pages(char **argv)
{
    if (getenv("GLIBC_TUNABLES") != NULL || getenv("RCSIM_SMALL_PAGES") != NULL)
        return;
    if (setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432",
               1) != 0)
        return;
    execv("/proc/self/exe", argv);
    unsetenv("GLIBC_TUNABLES"); /* no /proc: go on with small pages */
}

int main(int argc, char **argv)
{
    use_huge_pages(argv);
    return sim_cli_main(argc, argv);
}
