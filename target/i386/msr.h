/*
 * The one x86 MSR table: which MSRs a vCPU has, their reset values, and
 * which are guest state to save.  It drives reset (and so KVM_SET_MSRS
 * at start) and save/restore; there is no second list.
 */
#ifndef TARGET_I386_MSR_H
#define TARGET_I386_MSR_H

#include <glib.h>
#include <linux/kvm.h>

#include "target/i386/cpu.h"

#define MSR_IA32_MISC_ENABLE        0x1a0
#define MSR_IA32_PERF_CAPABILITIES  0x345
#define MSR_IA32_PEBS_ENABLE        0x3f1
#define MSR_PEBS_DATA_CFG           0x3f2
#define MSR_IA32_DS_AREA            0x600

typedef enum X86MSRUse {
    X86_MSR_RESET,      /* every MSR the vCPU has, with its reset value */
    X86_MSR_SAVE,       /* the guest state among them (values left 0) */
    X86_MSR_CONFIG,     /* the others: set from -cpu (reset values) */
} X86MSRUse;

/*
 * The MSRs of a vCPU with this PMU on this host, in the order KVM wants
 * them written (IA32_PERF_CAPABILITIES before the counters it governs).
 * An MSR is there when its feature gate holds and the host lists it in
 * KVM_GET_MSR_INDEX_LIST (IA32_PERF_CAPABILITIES: in the feature MSRs).
 * g_free() the result.
 */
struct kvm_msrs *x86_msr_list(const X86PMUConfig *pmu,
                              const X86HostCaps *caps, X86MSRUse use);
/*
 * The KVM_SET_MSRS list that restores @saved (a X86_MSR_SAVE list with
 * values) into a vCPU with this PMU on this host: first the X86_MSR_CONFIG
 * ones (IA32_PERF_CAPABILITIES: a restored vCPU never goes through reset),
 * then the saved values untouched (so PEBS_ENABLE's fixed-counter bits
 * 32+ survive).  An MSR the vCPU does not
 * have, or one of its saved MSRs missing, is an error naming it: the
 * state was saved with another -cpu or on another host.
 */
struct kvm_msrs *x86_msr_restore_list(const struct kvm_msrs *saved,
                                      const X86PMUConfig *pmu,
                                      const X86HostCaps *caps, GError **errp);
/* "IA32_PEBS_ENABLE", "IA32_PMC3" ... (NULL if not in the table). */
char *x86_msr_name(uint32_t index);

#endif
