/*
 * kvmclock: read the KVM paravirtual clock and print "kvmclock MS" on
 * COM1 each time it has advanced by ~50 ms (busy-waiting on it), so a
 * test can stop the VM over QMP and see whether guest time went on.
 * Layout and formula: Linux Documentation/virt/kvm/x86/msr.rst
 * (MSR_KVM_SYSTEM_TIME_NEW, struct pvclock_vcpu_time_info).
 */
#include "libguest.h"

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)      /* CPUID 0x40000001 EAX */

struct pvclock_vcpu_time_info {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad[2];
} __attribute__((packed));

static volatile struct pvclock_vcpu_time_info pvti __attribute__((aligned(32)));

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* (delta * mul) >> 32 without a 128-bit type */
static uint64_t scale(uint64_t delta, uint32_t mul, int8_t shift)
{
    delta = shift < 0 ? delta >> -shift : delta << shift;
    return (uint64_t)(uint32_t)(delta >> 32) * mul +
           (((uint64_t)(uint32_t)delta * mul) >> 32);
}

static uint64_t kvmclock_ns(void)
{
    uint32_t version;
    uint64_t ns;

    do {
        version = pvti.version;
        asm volatile("" ::: "memory");
        ns = pvti.system_time +
             scale(rdtsc() - pvti.tsc_timestamp, pvti.tsc_to_system_mul,
                   pvti.tsc_shift);
        asm volatile("" ::: "memory");
    } while ((version & 1) || version != pvti.version);
    return ns;
}

int main(void)
{
    uint32_t r[4];
    uint64_t next = 0;

    serial_init();
    asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                 : "a"(0x40000001), "c"(0));
    if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2)) {
        puts("no kvmclock\n");
        debug_exit(1);
    }
    asm volatile("wrmsr" :: "c"(MSR_KVM_SYSTEM_TIME_NEW),
                 "a"((uint32_t)&pvti | 1), "d"(0));
    for (;;) {
        uint64_t ns = kvmclock_ns();

        if (ns >= next) {
            /* ns / 2^20 ~ ms, without a 64-bit division */
            printf("kvmclock %u ms\n", (uint32_t)(ns >> 20));
            next = ns + (50ull << 20);
        }
    }
}
