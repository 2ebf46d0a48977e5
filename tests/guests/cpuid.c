/*
 * cpuid: print the CPUID words the guest actually sees, so tests can
 * compare them with the model qkvm built (leaf.subleaf: eax ebx ecx edx).
 */
#include "libguest.h"

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                 : "a"(leaf), "c"(sub));
}

static void show(uint32_t leaf, uint32_t sub)
{
    uint32_t r[4];

    cpuid(leaf, sub, r);
    printf("cpuid %08x.%u: %08x %08x %08x %08x\n", leaf, sub, r[0], r[1],
           r[2], r[3]);
}

int main(void)
{
    uint32_t r[4];
    char vendor[13];

    cpuid(0, 0, r);
    *(uint32_t *)&vendor[0] = r[1];
    *(uint32_t *)&vendor[4] = r[3];
    *(uint32_t *)&vendor[8] = r[2];
    vendor[12] = 0;
    printf("cpuid: vendor %s max-leaf %08x\n", vendor, r[0]);
    show(1, 0);
    if (r[0] >= 7) {
        show(7, 0);
    }
    cpuid(0x80000000, 0, r);
    printf("cpuid: max-ext-leaf %08x\n", r[0]);
    if (r[0] >= 0x80000001) {
        show(0x80000001, 0);
    }
    show(0x40000000, 0);
    return 0;
}
