/*
 * x86 CPU models and the CPUID table a vCPU sees.
 *
 * One feature-word table names every CPUID bit we know (QEMU's names:
 * "pdcm", "x2apic", "lahf_lm" ...); models are base values over it; -cpu
 * MODEL,+feat,-feat,feat=on|off,enforce edits them; the result is
 * filtered against KVM_GET_SUPPORTED_CPUID.
 */
#ifndef TARGET_I386_CPU_H
#define TARGET_I386_CPU_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

typedef struct X86CPUDef X86CPUDef;   /* parsed -cpu option, opaque */

/*
 * What the host's KVM can give a guest: the one input of the CPU model.
 * Filled by x86_kvm_get_host_caps() from the real ioctls, or by a test
 * from a modeled host; the model code cannot tell the difference.
 */
typedef struct X86HostCaps {
    struct kvm_cpuid2 *cpuid;       /* KVM_GET_SUPPORTED_CPUID */
    struct kvm_msr_list *msrs;      /* KVM_GET_MSR_INDEX_LIST (NULL: unknown) */
    bool pmu;                       /* kvm.enable_pmu: KVM virtualizes a PMU */
    bool has_perf_caps;             /* IA32_PERF_CAPABILITIES is a feature MSR */
    uint64_t perf_caps;             /* ... and the value KVM supports */
} X86HostCaps;

/* Free the arrays of *caps (not caps itself). */
void x86_host_caps_clear(X86HostCaps *caps);
/*
 * The caps of a host known only by its KVM_GET_SUPPORTED_CPUID: a PMU if
 * leaf 0xA reports an architectural PMU version, IA32_PERF_CAPABILITIES
 * (all zero) if PDCM is offered, no MSR list.  @cpuid is borrowed.
 */
X86HostCaps x86_host_caps_from_cpuid(const struct kvm_cpuid2 *cpuid);
bool x86_host_has_msr(const X86HostCaps *caps, uint32_t index);

/*
 * The guest's PMU as resolved from -cpu and the host (the inputs of the
 * MSR table, see target/i386/msr.h).
 */
typedef struct X86PMUConfig {
    bool pmu;                       /* a virtual PMU (leaf 0xA, EMON) */
    bool pebs;                      /* PEBS via DS */
    bool ds;                        /* CPUID.01H:EDX.ds: IA32_DS_AREA */
    bool pdcm;                      /* IA32_PERF_CAPABILITIES exists */
    uint64_t perf_caps;             /* its value (when pdcm) */
    uint64_t misc_enable;           /* IA32_MISC_ENABLE at reset */
    unsigned version;               /* architectural PMU version (leaf 0xA) */
    unsigned gp_counters, fixed_counters;   /* from the guest's leaf 0xA */
} X86PMUConfig;

typedef struct X86CPUTopo {
    unsigned sockets, cores, threads;   /* threads per core, cores per socket */
} X86CPUTopo;

/*
 * Parse a -cpu argument ("qemu64", "host,enforce", "qemu64,+pdcm,-svm,
 * x2apic=off").  Unknown model: "unable to find CPU model 'X'"; unknown
 * feature: "Property 'X-x86_64-cpu.Y' not found" (QEMU's wording; as
 * QEMU, the feat=on form is prefixed "can't apply global X-x86_64-cpu.
 * Y=on: ").  Settings: model-id, vendor, family, model, stepping, level,
 * xlevel, enforce, check, pmu, pebs, pebs-fmt, lbr-fmt (the PMU ones:
 * docs/system/pebs.rst).  '_' and '-' are the same in names; feat=
 * settings apply in order, then all +feat, then all -feat (QEMU's order).
 */
X86CPUDef *x86_cpu_parse(const char *spec, GError **errp);
void x86_cpu_def_free(X86CPUDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X86CPUDef, x86_cpu_def_free)
const char *x86_cpu_def_model(const X86CPUDef *def);

/*
 * Build the CPUID entries for the guest: the model's values with the
 * requested edits, filtered by what the host supports (host = the answer
 * of KVM_GET_SUPPORTED_CPUID).  Each requested feature the host lacks is
 * reported with warn_report("host doesn't support requested feature:
 * CPUID.01H:ECX.pdcm [bit 15]"); with ",enforce" that is fatal ("Host
 * doesn't support requested features") and NULL is returned.  The APIC
 * IDs are left 0: x86_cpuid_set_apic_id() fills them per vCPU.
 * As QEMU under KVM: every model gets the host's vendor (unless
 * vendor=...), the KVM defaults (kvmclock..., x2apic=on, acpi/monitor/
 * svm=off) apply to the named models, and all-zero leaves are left out.
 * topo may be NULL (1 thread, 1 core).  Free the result with g_free().
 */
struct kvm_cpuid2 *x86_cpu_build_cpuid(const X86CPUDef *def,
                                       const struct kvm_cpuid2 *host,
                                       const X86CPUTopo *topo,
                                       GError **errp);
/*
 * x86_cpu_build_cpuid() with the "host doesn't support requested feature:
 * ..." messages appended to @warnings (strings, without the "warning: "
 * prefix) instead of printed; for the unit tests.
 */
struct kvm_cpuid2 *x86_cpu_build_cpuid_quiet(const X86CPUDef *def,
                                             const struct kvm_cpuid2 *host,
                                             const X86CPUTopo *topo,
                                             GPtrArray *warnings,
                                             GError **errp);
/*
 * The full build: CPUID from the host caps, the PMU/PEBS settings
 * resolved (each one the host cannot serve is a warning naming the
 * missing piece, "host KVM has no vPMU (kvm.enable_pmu=N): pmu disabled";
 * fatal with ,enforce), and *pmu (may be NULL) filled.  warnings may be
 * NULL (warn_report).  x86_cpu_build_cpuid*() are this with
 * x86_host_caps_from_cpuid(host).
 */
struct kvm_cpuid2 *x86_cpu_build(const X86CPUDef *def,
                                 const X86HostCaps *caps,
                                 const X86CPUTopo *topo,
                                 GPtrArray *warnings, X86PMUConfig *pmu,
                                 GError **errp);
/*
 * APIC id of vCPU cpu_index (0-based) in QEMU's layout: thread, core and
 * socket fields, each as wide as its count rounded up to a power of two.
 */
uint32_t x86_topo_apic_id(const X86CPUTopo *topo, unsigned cpu_index);
/*
 * Per-vCPU fields: leaf 1 EBX[31:24], leaf 0xB (and 0x1F) x2APIC id, leaf
 * 0x8000001E (AMD topoext) APIC/core/node ids.  Leaf 4's sharing fields
 * are per package, set by x86_cpu_build_cpuid() from the topology.
 */
void x86_cpuid_set_apic_id(struct kvm_cpuid2 *cpuid, uint32_t apic_id);
/* Find an entry (NULL if absent: all-zero leaves are left out). */
struct kvm_cpuid_entry2 *x86_cpuid_find(struct kvm_cpuid2 *cpuid,
                                        uint32_t function, uint32_t index);
/*
 * Replace the entry with entry's function/index, or append it (growing
 * *cpuid); raises the range's maximum leaf (0 or 0x80000000 EAX) to cover
 * it.  For leaves others own, e.g. SEV's 0x8000001F.
 */
void x86_cpuid_set_entry(struct kvm_cpuid2 **cpuid,
                         const struct kvm_cpuid_entry2 *entry);
/*
 * CPUID.1:EAX as the model encodes family/model/stepping.  host/max take
 * theirs from the host at build time: read leaf 1 of the built table.
 */
uint32_t x86_cpu_def_signature(const X86CPUDef *def);
/*
 * Every named feature with its state in a built CPU (CPUID bits from
 * cpuid, the IA32_PERF_CAPABILITIES bits from pmu->perf_caps): QMP
 * query-cpu-model-expansion's props.
 */
void x86_cpu_foreach_feature(struct kvm_cpuid2 *cpuid, const X86PMUConfig *pmu,
                             void (*fn)(const char *name, bool on,
                                        void *opaque),
                             void *opaque);
/* -cpu help */
void x86_cpu_list(FILE *f);
/* The model names, as -cpu help lists them (QMP); g_strfreev() it. */
GStrv x86_cpu_model_names(void);

#endif
