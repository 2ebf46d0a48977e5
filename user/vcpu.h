/*
 * The user-mode vCPU: one x86-64 long-mode vCPU running the program in
 * ring 3 on page tables the VMM builds, with a minimal system area
 * (GDT, TSS, IDT, a syscall entry and exception stubs) above it.
 *
 *   program: syscall -> LSTAR stub: "out %al, $USER_SYSCALL_PORT" -> KVM_EXIT_IO
 *            the VMM performs the call, puts the result in RAX and
 *            returns to the program (sysretq in the stub, or by setting
 *            RIP/RFLAGS itself when the host's KVM ran the stub at CPL 3)
 *   fault:   IDT vector v -> "hlt" at exc_stubs + v -> KVM_EXIT_HLT
 */
#ifndef USER_VCPU_H
#define USER_VCPU_H

#include "accel/kvm-common.h"
#include "user/guest-mem.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct UserCPU {
    KVMState *kvm;
    int fd;
    struct kvm_run *run;
    uint8_t *sys;               /* the system area, host view */
    uint64_t sys_gpa, sys_size;
    struct kvm_cpuid2 *cpuid;   /* what the program's cpuid sees */
    bool sync_regs;             /* KVM_CAP_SYNC_REGS: no GET/SET_REGS */
    struct kvm_regs regs;       /* used without sync_regs */
    /*
     * -1 unknown, 0 the entry stub runs at CPL 0 (SYSCALL as the SDM
     * says), 1 at CPL 3: this host's kvm_pvm leaves CPL alone, so the
     * stub's out needs the TSS I/O bitmap and its sysretq cannot run.
     */
    int syscall_cpl3;
} UserCPU;

/* Guest-virtual addresses of the stubs (for the exit decoder). */
uint64_t user_cpu_syscall_exit_rip(void);
uint16_t user_cpu_syscall_port(void);
/* The guest-virtual address of the system area's first page. */
uint64_t user_cpu_sys_va(void);
/* The vector whose stub's hlt left RIP here, or -1. */
int user_cpu_exception_vector(uint64_t rip);

/*
 * Create the VM, the slots for the window and the system area, and the
 * vCPU, in 64-bit ring 3 at entry with stack pointer sp.
 */
bool user_cpu_init(UserCPU *cpu, GuestMem *m, uint64_t entry, uint64_t sp,
                   GError **errp);
/* CPUID.(eax=leaf, ecx=index) as the program sees it; false if absent. */
bool user_cpu_cpuid(const UserCPU *cpu, uint32_t leaf, uint32_t index,
                    struct kvm_cpuid_entry2 *out);

/* The general registers at an exit, and writing them back. */
struct kvm_regs *user_cpu_regs(UserCPU *cpu);
void user_cpu_regs_dirty(UserCPU *cpu);
bool user_cpu_get_sregs(UserCPU *cpu, struct kvm_sregs *sregs);

/*
 * Finish a system call whose exit gave r (user_cpu_regs): result in RAX,
 * back to the instruction after the syscall.
 */
void user_cpu_syscall_return(UserCPU *cpu, struct kvm_regs *r,
                             uint64_t result);

#endif
