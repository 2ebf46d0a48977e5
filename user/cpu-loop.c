/*
 * The run loop: KVM_RUN, then one of
 *   KVM_EXIT_IO on the syscall port   -> do_syscall, result to RAX
 *   KVM_EXIT_HLT in an exception stub -> the signal Linux would send
 *   KVM_RUN failing with EFAULT       -> the program touched memory it
 *                                        has not mapped (or wrote to
 *                                        read-only memory): SIGSEGV
 */
#include "user/user.h"
#include "user/syscall.h"
#include "qemu/error-report.h"
#include "qemu/log.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

/* Vectors that push an error code (SDM Vol. 3A, Table 6-1). */
static bool has_error_code(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
           v == 29 || v == 30;
}

/* The signal Linux's trap handlers send (arch/x86/kernel/traps.c). */
static int vector_signal(int v)
{
    switch (v) {
    case 0: case 16: case 19:   /* #DE, #MF, #XM */
        return SIGFPE;
    case 1: case 3:             /* #DB, #BP */
        return SIGTRAP;
    case 6:                     /* #UD */
        return SIGILL;
    case 11: case 12: case 17:  /* #NP, #SS, #AC */
        return SIGBUS;
    default:                    /* #GP, #PF, ... */
        return SIGSEGV;
    }
}

static G_GNUC_NORETURN void guest_exception(UserState *us, int v)
{
    struct kvm_regs *r = user_cpu_regs(&us->cpu);
    struct kvm_sregs s = { 0 };
    /* the frame the CPU pushed on the ring-0 stack: [err], rip, cs, ... */
    uint64_t frame[6] = { 0 };
    const uint8_t *sp = us->cpu.sys + (r->rsp - user_cpu_sys_va());

    if (r->rsp >= user_cpu_sys_va() &&
        r->rsp - user_cpu_sys_va() + sizeof(frame) <= us->cpu.sys_size) {
        memcpy(frame, sp, sizeof(frame));
    }
    user_cpu_get_sregs(&us->cpu, &s);
    qemu_log_mask(LOG_INT, "exception %d: rip=0x%" G_GINT64_MODIFIER "x "
                  "error_code=0x%" G_GINT64_MODIFIER "x cr2=0x%llx\n", v,
                  frame[has_error_code(v) ? 1 : 0],
                  has_error_code(v) ? frame[0] : 0, s.cr2);
    user_die_signal(vector_signal(v));
}

static G_GNUC_NORETURN void guest_memory_fault(UserState *us)
{
    struct kvm_regs *r = user_cpu_regs(&us->cpu);

    qemu_log_mask(LOG_INT, "memory fault: rip=0x%" G_GINT64_MODIFIER "x\n",
                  (uint64_t)r->rip);
    user_die_signal(SIGSEGV);
}

static G_GNUC_NORETURN void fatal_exit(UserState *us, const char *what)
{
    struct kvm_regs *r = user_cpu_regs(&us->cpu);

    error_report("KVM: %s at rip=0x%" G_GINT64_MODIFIER "x", what,
                 (uint64_t)r->rip);
    user_die_signal(SIGILL);
}

static void handle_syscall(UserState *us)
{
    struct kvm_regs *r = user_cpu_regs(&us->cpu);
    /* x86-64 syscall convention: nr in RAX; rdi, rsi, rdx, r10, r8, r9 */
    const uint64_t a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
    int64_t ret = do_syscall(us, r->rax, a);

    user_cpu_syscall_return(&us->cpu, r, ret);
}

/* An out to the syscall port from the stub, not from the program. */
static bool is_syscall_exit(UserState *us, struct kvm_run *run)
{
    uint64_t rip, stub = user_cpu_syscall_exit_rip();

    if (run->io.port != user_cpu_syscall_port() ||
        run->io.direction != KVM_EXIT_IO_OUT) {
        return false;
    }
    /* RIP is at the out (hardware KVM) or past it (KVM's emulator) */
    rip = user_cpu_regs(&us->cpu)->rip;
    return rip == stub || rip == stub + 2;
}

void cpu_loop(UserState *us)
{
    struct kvm_run *run = us->cpu.run;
    int v;

    for (;;) {
        if (ioctl(us->cpu.fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            if (errno == EFAULT) {
                guest_memory_fault(us);
            }
            error_report("KVM_RUN failed: %s", g_strerror(errno));
            exit(1);
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            if (!is_syscall_exit(us, run)) {
                /* a program's own out: #GP natively */
                user_die_signal(SIGSEGV);
            }
            handle_syscall(us);
            break;
        case KVM_EXIT_HLT:
            v = user_cpu_exception_vector(user_cpu_regs(&us->cpu)->rip);
            if (v < 0) {
                fatal_exit(us, "unexpected hlt");
            }
            guest_exception(us, v);
        case KVM_EXIT_SHUTDOWN:
            /* a triple fault: the exception stubs themselves failed */
            guest_memory_fault(us);
        case KVM_EXIT_MMIO:
            /* outside both slots: nothing maps there */
            guest_memory_fault(us);
        case KVM_EXIT_INTERNAL_ERROR:
            fatal_exit(us, run->internal.suberror ==
                           KVM_INTERNAL_ERROR_EMULATION ?
                           "instruction emulation failed" : "internal error");
        default:
            error_report("KVM: unexpected exit reason %u", run->exit_reason);
            exit(1);
        }
    }
}
