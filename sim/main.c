#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim/cli.h"

/* A run touches tens of megabytes of fresh heap, and on a virtual machine each first touch of
 * a 4 KiB page is a fault that costs microseconds: about a fifth of the default scenario's
 * time. So the heap is backed by transparent huge pages (2 MiB a fault), asked for in process:
 *   - the main heap (brk) grows HEAP_RESERVE_BYTES beyond what it needs whenever it grows
 *     (M_TOP_PAD), reserved, not touched; it is grown once now and marked MADV_HUGEPAGE, so
 *     everything malloc hands out later from that reserve comes in huge pages;
 *   - blocks of up to 32 MiB (backlogs, history chunks, the kernel's wheel) stay in that heap
 *     instead of being mapped on their own (M_MMAP_THRESHOLD): about a tenth fewer faults.
 * This used to be glibc's own tunables (glibc.malloc.hugetlb=1 and mmap_threshold), which it
 * reads only at startup, so rcsim set them and executed itself again: a second start of the
 * process and its libraries, some 10 ms of CPU and 300 faults. A heap that outgrows the
 * reserve gets 4 KiB pages past it (a run far larger than the default scenario). It changes
 * no result, only how memory is mapped. RCSIM_SMALL_PAGES=1, or GLIBC_TUNABLES of the user's
 * own, leaves malloc as it is. */
#define HEAP_RESERVE_BYTES ((size_t)64 << 20)
#define MMAP_THRESHOLD_BYTES (32 << 20)
#define HUGE_PAGE_BYTES ((uintptr_t)2 << 20)

static void use_huge_pages(void)
{
    if (getenv("GLIBC_TUNABLES") != NULL || getenv("RCSIM_SMALL_PAGES") != NULL)
        return;
    if (mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1 ||
        mallopt(M_TOP_PAD, (int)HEAP_RESERVE_BYTES) != 1)
        return;
    /* Grow the heap now: a block bigger than what is left on top takes a new reserve with it
     * (and freeing it keeps the reserve: trimming leaves M_TOP_PAD). Only a heap seen to grow
     * that way is marked: under another malloc (AddressSanitizer's, valgrind's) the break does
     * not move and nothing is. */
    uintptr_t brk_before = (uintptr_t)sbrk(0);
    void *probe = malloc(HUGE_PAGE_BYTES);
    if (probe == NULL)
        return;
    uintptr_t at = (uintptr_t)probe, brk_after = (uintptr_t)sbrk(0);
    free(probe);
    if (brk_after < brk_before + HEAP_RESERVE_BYTES || at >= brk_after ||
        at + HUGE_PAGE_BYTES < brk_before)
        return;
    uintptr_t from = (at + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1);
    uintptr_t to = brk_after & ~(HUGE_PAGE_BYTES - 1);
    if (to > from)
        (void)madvise((void *)from, to - from, MADV_HUGEPAGE); /* a hint: failing is harmless */
}

int main(int argc, char **argv)
{
    use_huge_pages();
    return sim_cli_main(argc, argv);
}
