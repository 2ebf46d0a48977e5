/*
 * RISC-V harts under KVM, as the virt machine uses them.  On hosts whose
 * KVM cannot run RISC-V guests these entry points are the stubs of
 * accel/stubs/riscv-kvm-stub.c, never reached (-accel kvm fails first).
 */
#ifndef TARGET_RISCV_KVM_RISCV_H
#define TARGET_RISCV_KVM_RISCV_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/boards.h"

/* Where a hart starts (the machine fills it in before the vCPUs run). */
typedef struct RISCVBootInfo {
    uint64_t entry;             /* pc */
    uint64_t fdt_addr;          /* a1; a0 is the hart id */
} RISCVBootInfo;

/* What the harts are, read back from KVM, for the device tree. */
typedef struct RISCVHartConfig {
    char *isa;                  /* "rv64imafdc_zicsr_..." */
    const char *mmu_type;       /* "riscv,sv39" / sv48 / sv57 */
    uint64_t timebase_freq;     /* KVM's timer frequency register */
} RISCVHartConfig;

/*
 * Create ms->smp_cpus vCPUs with the ISA extensions ms->cpu_model asks
 * for (errors name the extension the host cannot give or take away),
 * the SBI debug console enabled, and fill *cfg.  Hart 0 starts at boot;
 * the others wait, stopped, for the guest's SBI HSM hart_start.
 */
bool riscv_kvm_cpus_init(MachineState *ms, const RISCVBootInfo *boot,
                         RISCVHartConfig *cfg, GError **errp);

#endif
