/*
 * The one x86 MSR table (see msr.h).  Pure code: the unit tests run it
 * over modeled hosts.
 *
 * Indexes: Intel SDM vol. 4, table 2-2 "IA-32 Architectural MSRs"; the
 * 0x4b564dxx ones: Linux Documentation/virt/kvm/x86/msr.rst.
 */
#include "target/i386/msr.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <string.h>

typedef enum X86MSRGate {
    GATE_ALWAYS,
    GATE_PMU,           /* architectural PMU (CPUID.0AH), Intel's MSRs */
    GATE_PMU_V2,        /* ... version 2+: fixed counters, global control */
    GATE_PDCM,          /* IA32_PERF_CAPABILITIES exists */
    GATE_DS,            /* CPUID.01H:EDX.ds */
    GATE_PEBS,          /* PEBS via DS */
    GATE_PEBS_BASELINE, /* PERF_CAPABILITIES.pebs-baseline: adaptive PEBS */
} X86MSRGate;

typedef enum X86MSRCount {
    ONE,
    PER_GP,             /* one per general-purpose counter */
    PER_FIXED,          /* one per fixed-function counter */
} X86MSRCount;

typedef enum X86MSRReset {
    RESET_VALUE,        /* .reset */
    RESET_MISC_ENABLE,  /* X86PMUConfig.misc_enable */
    RESET_PERF_CAPS,    /* X86PMUConfig.perf_caps */
    RESET_GLOBAL_CTRL,  /* the general-purpose counters' enable bits */
} X86MSRReset;

typedef struct X86MSRInfo {
    uint32_t index;
    const char *name;
    X86MSRGate gate;
    X86MSRCount count;
    X86MSRReset reset_from;
    uint64_t reset;
    bool config;        /* set from -cpu, not guest state: not saved */
    bool feature;       /* a feature MSR (KVM_GET_MSR_FEATURE_INDEX_LIST) */
} X86MSRInfo;

#define MSR(idx, nm, ...) { .index = (idx), .name = (nm), __VA_ARGS__ }

static const X86MSRInfo x86_msr_table[] = {
    MSR(0x00000010, "IA32_TSC"),
    MSR(0x0000003b, "IA32_TSC_ADJUST"),
    MSR(0x00000174, "IA32_SYSENTER_CS"),
    MSR(0x00000175, "IA32_SYSENTER_ESP"),
    MSR(0x00000176, "IA32_SYSENTER_EIP"),
    /* fast strings, BTS unavailable, and the PMU bits: see cpu.c */
    MSR(MSR_IA32_MISC_ENABLE, "IA32_MISC_ENABLE",
        .reset_from = RESET_MISC_ENABLE),
    /* SDM vol. 3, "PAT": the power-on value */
    MSR(0x00000277, "IA32_PAT", .reset = 0x0007040600070406ULL),
    MSR(0xc0000081, "STAR"),
    MSR(0xc0000082, "LSTAR"),
    MSR(0xc0000083, "CSTAR"),
    MSR(0xc0000084, "SFMASK"),
    MSR(0xc0000102, "KERNEL_GS_BASE"),
    MSR(0xc0000103, "TSC_AUX"),
    MSR(0x4b564d00, "KVM_WALL_CLOCK_NEW"),
    MSR(0x4b564d01, "KVM_SYSTEM_TIME_NEW"),
    MSR(0x4b564d02, "KVM_ASYNC_PF_EN"),
    MSR(0x4b564d03, "KVM_STEAL_TIME"),
    MSR(0x4b564d04, "KVM_PV_EOI_EN"),
    /*
     * The PMU (SDM vol. 3B, "Architectural Performance Monitoring": the
     * fixed counters and the global control MSRs come with version 2).
     * AMD's PMU MSRs (K7/F15H counters, PerfMonV2) are not in the table
     * yet: an AMD guest with pmu=on has them reset by KVM, not saved.
     * IA32_PERF_CAPABILITIES is configuration from -cpu, not
     * guest state, and goes first: KVM checks the counter MSRs against it.
     * The full-width aliases IA32_A_PMCx (0x4c1+) are the same counters
     * as IA32_PMCx, which host-initiated accesses read and write in full
     * (Linux intel_pmu_set_msr), so only 0xc1+ are saved.
     */
    MSR(MSR_IA32_PERF_CAPABILITIES, "IA32_PERF_CAPABILITIES",
        .gate = GATE_PDCM, .reset_from = RESET_PERF_CAPS, .config = true,
        .feature = true),
    MSR(0x00000309, "IA32_FIXED_CTR", .gate = GATE_PMU_V2, .count = PER_FIXED),
    MSR(0x0000038d, "IA32_FIXED_CTR_CTRL", .gate = GATE_PMU_V2),
    MSR(0x0000038e, "IA32_PERF_GLOBAL_STATUS", .gate = GATE_PMU_V2),
    MSR(0x00000390, "IA32_PERF_GLOBAL_OVF_CTRL", .gate = GATE_PMU_V2),
    MSR(0x000000c1, "IA32_PMC", .gate = GATE_PMU, .count = PER_GP),
    MSR(0x00000186, "IA32_PERFEVTSEL", .gate = GATE_PMU, .count = PER_GP),
    /*
     * PEBS via DS (SDM vol. 3B 18.4.4 "Processor Event Based Sampling";
     * the Linux KVM "Guest PEBS via DS" series).  PEBS_ENABLE's bits 32+
     * enable PEBS on fixed counters: saved and written back whole.
     */
    MSR(MSR_IA32_DS_AREA, "IA32_DS_AREA", .gate = GATE_DS),
    MSR(MSR_IA32_PEBS_ENABLE, "IA32_PEBS_ENABLE", .gate = GATE_PEBS),
    MSR(MSR_PEBS_DATA_CFG, "MSR_PEBS_DATA_CFG", .gate = GATE_PEBS_BASELINE),
    /*
     * Last: enabling counters after they are all programmed.  At reset the
     * general-purpose counters' enable bits are set (SDM vol. 3B,
     * "IA32_PERF_GLOBAL_CTRL"; Linux intel_pmu_refresh does the same).
     */
    MSR(0x0000038f, "IA32_PERF_GLOBAL_CTRL", .gate = GATE_PMU_V2,
        .reset_from = RESET_GLOBAL_CTRL),
};

/* PERF_CAPABILITIES bit 14 (SDM vol. 4 table 2-2; Linux PERF_CAP_PEBS_BASELINE) */
#define PERF_CAP_PEBS_BASELINE (1ull << 14)

static bool gate_holds(const X86MSRInfo *m, const X86PMUConfig *pmu)
{
    switch (m->gate) {
    case GATE_ALWAYS:
        return true;
    case GATE_PMU:
        return pmu->pmu && pmu->version >= 1;
    case GATE_PMU_V2:
        return pmu->pmu && pmu->version >= 2;
    case GATE_PDCM:
        return pmu->pdcm;
    case GATE_DS:
        return pmu->ds;
    case GATE_PEBS:
        return pmu->pebs;
    case GATE_PEBS_BASELINE:
        return pmu->pebs && pmu->pdcm &&
               (pmu->perf_caps & PERF_CAP_PEBS_BASELINE);
    }
    return false;
}

static unsigned count_of(const X86MSRInfo *m, const X86PMUConfig *pmu)
{
    switch (m->count) {
    case PER_GP:
        return pmu->gp_counters;
    case PER_FIXED:
        return pmu->fixed_counters;
    default:
        return 1;
    }
}

static uint64_t reset_of(const X86MSRInfo *m, const X86PMUConfig *pmu)
{
    switch (m->reset_from) {
    case RESET_MISC_ENABLE:
        return pmu->misc_enable;
    case RESET_PERF_CAPS:
        return pmu->perf_caps;
    case RESET_GLOBAL_CTRL:
        return pmu->gp_counters >= 64 ? ~0ull
                                      : (1ull << pmu->gp_counters) - 1;
    default:
        return m->reset;
    }
}

struct kvm_msrs *x86_msr_list(const X86PMUConfig *pmu,
                              const X86HostCaps *caps, X86MSRUse use)
{
    size_t max = 0;
    struct kvm_msrs *msrs;

    for (size_t i = 0; i < G_N_ELEMENTS(x86_msr_table); i++) {
        max += count_of(&x86_msr_table[i], pmu);
    }
    msrs = QEMU_FLEX_NEW0(struct kvm_msrs, entries, max);
    for (size_t i = 0; i < G_N_ELEMENTS(x86_msr_table); i++) {
        const X86MSRInfo *m = &x86_msr_table[i];

        if (!gate_holds(m, pmu) || (use == X86_MSR_SAVE && m->config) ||
            (use == X86_MSR_CONFIG && !m->config)) {
            continue;
        }
        for (unsigned n = 0; n < count_of(m, pmu); n++) {
            uint32_t index = m->index + n;
            bool listed = m->feature ? caps->has_perf_caps
                                     : x86_host_has_msr(caps, index);

            if (!listed) {
                continue;
            }
            msrs->entries[msrs->nmsrs].index = index;
            msrs->entries[msrs->nmsrs].data =
                use == X86_MSR_SAVE ? 0 : reset_of(m, pmu);
            msrs->nmsrs++;
        }
    }
    return msrs;
}

struct kvm_msrs *x86_msr_restore_list(const struct kvm_msrs *saved,
                                      const X86PMUConfig *pmu,
                                      const X86HostCaps *caps, GError **errp)
{
    g_autofree struct kvm_msrs *want = x86_msr_list(pmu, caps, X86_MSR_SAVE);
    g_autofree struct kvm_msrs *config = x86_msr_list(pmu, caps,
                                                      X86_MSR_CONFIG);
    struct kvm_msrs *put;

    for (uint32_t i = 0; i < want->nmsrs; i++) {
        uint32_t j;

        for (j = 0; j < saved->nmsrs; j++) {
            if (saved->entries[j].index == want->entries[i].index) {
                break;
            }
        }
        if (j == saved->nmsrs) {
            g_autofree char *name = x86_msr_name(want->entries[i].index);
            error_setg(errp, "saved state lacks MSR %s (0x%x) that this vCPU "
                       "has (saved with another -cpu or host?)", name,
                       want->entries[i].index);
            return NULL;
        }
        want->entries[i].data = saved->entries[j].data;
    }
    if (saved->nmsrs != want->nmsrs) {
        for (uint32_t j = 0; j < saved->nmsrs; j++) {
            bool known = false;

            for (uint32_t i = 0; i < want->nmsrs; i++) {
                known |= want->entries[i].index == saved->entries[j].index;
            }
            if (!known) {
                g_autofree char *name = x86_msr_name(saved->entries[j].index);
                error_setg(errp, "saved state has MSR %s (0x%x) that this "
                           "vCPU does not have (saved with another -cpu or "
                           "host?)", name ? name : "?",
                           saved->entries[j].index);
                return NULL;
            }
        }
    }
    put = QEMU_FLEX_NEW0(struct kvm_msrs, entries,
                         (size_t)config->nmsrs + want->nmsrs);
    memcpy(put->entries, config->entries,
           config->nmsrs * sizeof(put->entries[0]));
    memcpy(put->entries + config->nmsrs, want->entries,
           want->nmsrs * sizeof(put->entries[0]));
    put->nmsrs = config->nmsrs + want->nmsrs;
    return put;
}

char *x86_msr_name(uint32_t index)
{
    for (size_t i = 0; i < G_N_ELEMENTS(x86_msr_table); i++) {
        const X86MSRInfo *m = &x86_msr_table[i];
        unsigned n = m->count == ONE ? 1 : 32;  /* names any counter index */

        if (index >= m->index && index - m->index < n) {
            return m->count == ONE ? g_strdup(m->name)
                   : g_strdup_printf("%s%u", m->name, index - m->index);
        }
    }
    return NULL;
}
