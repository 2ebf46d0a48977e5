/*
 * Inside target/riscv/kvm: the vCPU struct and ONE_REG helpers.
 */
#ifndef TARGET_RISCV_KVM_KVM_RISCV_INTERNAL_H
#define TARGET_RISCV_KVM_KVM_RISCV_INTERNAL_H

#include "target/riscv/kvm_riscv.h"
#include "system/kvm.h"
#include "riscv-kvm.h"

typedef struct RISCVCPU {
    CPUState parent;
    const RISCVBootInfo *boot;
    /* the timer while the machine is stopped (kvm_arch_vm_state_change) */
    bool timer_saved;
    uint64_t timer_time, timer_compare, timer_state;
} RISCVCPU;

static inline RISCVCPU *RISCV_CPU(CPUState *cpu)
{
    return (RISCVCPU *)cpu;
}

/* ONE_REG ids of rv64 (every register here is 64 bits wide). */
#define RISCV_REG(type, idx)  (KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | (idx))
#define RISCV_CORE(idx)       RISCV_REG(KVM_REG_RISCV_CORE, idx)
#define RISCV_CSR(idx)        RISCV_REG(KVM_REG_RISCV_CSR | QKVM_REG_RISCV_CSR_GENERAL, idx)
#define RISCV_CONFIG(idx)     RISCV_REG(KVM_REG_RISCV_CONFIG, idx)
#define RISCV_TIMER(idx)      RISCV_REG(KVM_REG_RISCV_TIMER, idx)
#define RISCV_ISA_EXT(idx)    RISCV_REG(KVM_REG_RISCV_ISA_EXT | QKVM_REG_RISCV_SINGLE, idx)
#define RISCV_SBI_EXT(idx)    RISCV_REG(KVM_REG_RISCV_SBI_EXT | QKVM_REG_RISCV_SINGLE, idx)

/* 0, or -errno (the register is unknown to this KVM: -ENOENT/-EINVAL). */
int riscv_get_reg(int vcpu_fd, uint64_t id, uint64_t *val);
int riscv_set_reg(int vcpu_fd, uint64_t id, uint64_t val);

/* sbi.c: a KVM_EXIT_RISCV_SBI; fills run->riscv_sbi.ret. */
void riscv_handle_sbi(CPUState *cpu, struct kvm_run *run);

#endif
