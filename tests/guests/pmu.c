/*
 * pmu: print the PMU the guest actually sees (CPUID.01H pdcm/ds/dtes64,
 * leaf 0AH, IA32_MISC_ENABLE, and IA32_PERF_CAPABILITIES / IA32_DS_AREA
 * when CPUID says they exist), so tests compare it with qkvm's model.
 * Bits: SDM vol. 2A CPUID (01H ECX[2] DTES64, ECX[15] PDCM, EDX[21] DS);
 * MSRs: SDM vol. 4 table 2-2 (1A0H, 345H, 600H).
 */
#include "libguest.h"

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                 : "a"(leaf), "c"(sub));
}

static uint64_t rdmsr(uint32_t index)
{
    uint32_t lo, hi;

    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(index));
    return (uint64_t)hi << 32 | lo;
}

int main(void)
{
    uint32_t r[4], max;
    unsigned pdcm, ds, dtes64;

    cpuid(0, 0, r);
    max = r[0];
    cpuid(1, 0, r);
    pdcm = (r[2] >> 15) & 1;
    dtes64 = (r[2] >> 2) & 1;
    ds = (r[3] >> 21) & 1;
    printf("pmu: pdcm=%u ds=%u dtes64=%u\n", pdcm, ds, dtes64);
    if (max >= 0xa) {
        cpuid(0xa, 0, r);
    } else {
        r[0] = r[3] = 0;
    }
    printf("pmu: leaf0a eax=%08x edx=%08x\n", r[0], r[3]);
    printf("pmu: misc_enable=%llx\n", rdmsr(0x1a0));
    if (pdcm) {
        printf("pmu: perf_capabilities=%llx\n", rdmsr(0x345));
    }
    if (ds) {
        printf("pmu: ds_area=%llx\n", rdmsr(0x600));
    }
    return 0;
}
