/*
 * x86 vCPU under KVM.
 */
#ifndef TARGET_I386_KVM_I386_H
#define TARGET_I386_KVM_I386_H

#include <linux/kvm.h>

#include "hw/core/cpu.h"
#include "hw/i386/x86-boot.h"
#include "target/i386/cpu.h"
#include "target/i386/kvm-cpuid.h"

typedef struct X86CPU {
    CPUState parent;
    uint32_t apic_id;
    bool is_bsp;
    struct kvm_cpuid2 *cpuid;        /* this vCPU's CPUID (owned) */
    X86PMUConfig pmu;                /* its PMU: the MSR table's gates */
    /*
     * The state KVM gives a freshly created vCPU is the architectural
     * reset state (INIT/power-on: CS:IP f000:fff0, LAPIC reset values);
     * we keep it and put it back at every machine reset.
     */
    struct kvm_regs reset_regs;
    struct kvm_sregs reset_sregs;
    struct kvm_fpu reset_fpu;
    struct kvm_lapic_state reset_lapic;
    struct kvm_xsave *reset_xsave;   /* NULL without KVM_CAP_XSAVE */
    struct kvm_xcrs reset_xcrs;
    bool has_xcrs;
    /* Direct kernel boot entry (BSP only; NULL: start at the reset vector). */
    const X86BootEntry *boot;
    /* SEV-ES AP start address (firmware reset block), 0: reset vector */
    uint32_t reset_eip;
} X86CPU;

static inline X86CPU *X86_CPU(CPUState *cpu)
{
    return (X86CPU *)cpu;
}

/* The guest CPU's vendor is AMD (CPUID.0 = "AuthenticAMD"). */
bool x86_cpu_is_amd(CPUState *cpu);
/* What this host's KVM offers (target/i386/kvm-host-caps.c). */
bool x86_kvm_get_host_caps(KVMState *s, X86HostCaps *caps, GError **errp);
/* KVM_SET_MSRS of all of msrs; an error names the MSR KVM refused. */
bool x86_put_msrs(CPUState *cs, const struct kvm_msrs *msrs, GError **errp);
/* Save/restore sections (target/i386/machine.c). */
void x86_cpu_register_vmstate(CPUState *cs);
void x86_vm_register_vmstate(MachineState *ms);
/* The caps fetched when the VM was created. */
const X86HostCaps *x86_kvm_host_caps(void);
/* Create the vCPUs of a machine from its -cpu and -smp settings. */
bool x86_cpus_init(MachineState *ms, const X86BootEntry *boot, GError **errp);

#endif
