/*
 * exitloop: benchmark guest (multiboot, linked like tests/guests).
 * Command line keys (decimal or 0x hex):
 *   io=N     N  "outb %al, $0x80" (qkvm's no-op POST port sink)
 *   mmio=N   N  "movl %eax, 0xd0000000" (PCI hole, no device behind it)
 *   touch=K  write one byte in each 4 KiB page of K KiB starting at 2 MiB
 * then exits through isa-debug-exit with code 0 (process status 1).
 * The loops are the same instructions rawkvm.c runs (mov/dec/jnz).  Each
 * loop is timed with rdtsc inside the guest and reported on COM1 as
 * "cycles=C", so the VMM's start-up never enters the per-exit figure.
 */
#include "libguest.h"

#define BENCH_MMIO_ADDR 0xd0000000u

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

static void report(uint64_t t0)
{
    uint64_t t1 = rdtsc();

    serial_init();
    printf("cycles=%llu\n", (unsigned long long)(t1 - t0));
}

int main(uint32_t magic, struct mb_info *mbi)
{
    uint64_t t0;
    const char *cmdline = 0;
    uint32_t n, k, i;

    if (magic == 0x2badb002 && (mbi->flags & (1 << 2)))
        cmdline = (const char *)mbi->cmdline;
    n = cmdline_value(cmdline, "io=", 0);
    if (n) {
        t0 = rdtsc();
        asm volatile("1: outb %%al, $0x80\n\tdec %%ecx\n\tjnz 1b"
                     : "+c"(n) : "a"(0) : "memory");
        report(t0);
    }
    n = cmdline_value(cmdline, "mmio=", 0);
    if (n) {
        t0 = rdtsc();
        asm volatile("1: movl %%eax, 0xd0000000\n\tdec %%ecx\n\tjnz 1b"
                     : "+c"(n) : "a"(0) : "memory");
        report(t0);
    }
    k = cmdline_value(cmdline, "touch=", 0);
    for (i = 0; i < k / 4; i++)
        ((volatile uint8_t *)0x200000)[i * 4096] = 1;
    return 0;
}
