/*
 * The vCPU run loop: KVM_RUN, then dispatch the exit.
 *
 *   kvm_cpu_exec -> iobus_dispatch -> device handler
 *
 * No allocation and no lock on this path.  Stopping a vCPU: the main
 * thread sends SIG_IPI; the handler sets kvm_run->immediate_exit so a
 * KVM_RUN that is about to start returns -EINTR at once (api.rst 5,
 * "immediate_exit"), and one already running is interrupted by the signal.
 */
#include "system/kvm.h"
#include "hw/boards.h"
#include "qemu/error-report.h"
#include "qemu/log.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#define SIG_IPI SIGUSR1

static void sig_ipi_handler(int sig)
{
    CPUState *cpu = current_cpu;

    if (cpu && cpu->kvm_run) {
        cpu->kvm_run->immediate_exit = 1;
    }
}

void kvm_init_kick_signal(void)
{
    struct sigaction sa = { .sa_handler = sig_ipi_handler };

    /* no SA_RESTART: KVM_RUN must return -EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIG_IPI, &sa, NULL);
}

void kvm_cpu_kick(CPUState *cpu)
{
    if (cpu->thread_started) {
        pthread_kill(cpu->thread, SIG_IPI);
    }
}

static void kvm_handle_io(CPUState *cpu, struct kvm_run *run)
{
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

    /* count > 1 for rep ins/outs: KVM hands us the whole string */
    for (uint32_t i = 0; i < run->io.count; i++) {
        iobus_dispatch(&cpu->machine->io, run->io.port, data,
                       run->io.size, is_write);
        data += run->io.size;
    }
}

static const char *internal_suberror_name(uint32_t sub)
{
    switch (sub) {
    case KVM_INTERNAL_ERROR_EMULATION: return "emulation failure";
    case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event delivery failed";
    default: return "unknown";
    }
}

/* Report a guest state KVM cannot continue from; the machine exits 1. */
static int kvm_fatal_exit(CPUState *cpu, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
static int kvm_fatal_exit(CPUState *cpu, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    kvm_arch_dump_state(cpu);
    error_report("vCPU %d: %s", cpu->cpu_index, msg);
    qemu_system_exit_request(cpu->machine, 1);
    return -1;
}

static int kvm_handle_exit(CPUState *cpu, struct kvm_run *run)
{
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        kvm_handle_io(cpu, run);
        return 0;
    case KVM_EXIT_MMIO:
        iobus_dispatch(&cpu->machine->mmio, run->mmio.phys_addr,
                       run->mmio.data, run->mmio.len, run->mmio.is_write);
        return 0;
    case KVM_EXIT_SHUTDOWN:
        /* triple fault: a real PC resets */
        qemu_log_mask(LOG_INT, "vCPU %d: triple fault\n", cpu->cpu_index);
        qemu_system_reset_request(cpu->machine, SHUTDOWN_CAUSE_GUEST_RESET);
        return 0;
    case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            qemu_system_shutdown_request(cpu->machine,
                                         SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
            return 0;
        case KVM_SYSTEM_EVENT_RESET:
            qemu_system_reset_request(cpu->machine,
                                      SHUTDOWN_CAUSE_GUEST_RESET);
            return 0;
        case KVM_SYSTEM_EVENT_CRASH:
            return kvm_fatal_exit(cpu, "guest crashed (KVM_SYSTEM_EVENT_CRASH)");
        }
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
            kvm_arch_complete_emulation(cpu)) {
            return 0;
        }
        return kvm_fatal_exit(cpu, "KVM internal error. Suberror: %u (%s)",
                              run->internal.suberror,
                              internal_suberror_name(run->internal.suberror));
    case KVM_EXIT_FAIL_ENTRY:
        return kvm_fatal_exit(cpu, "KVM_EXIT_FAIL_ENTRY, hardware entry "
                              "failure reason 0x%llx",
                              (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    case KVM_EXIT_UNKNOWN:
        return kvm_fatal_exit(cpu, "KVM_EXIT_UNKNOWN, hardware exit reason "
                              "0x%llx", (unsigned long long)run->hw.hardware_exit_reason);
    }
    return kvm_arch_handle_exit(cpu, run);
}

/*
 * An I/O or MMIO exit is complete (RIP past the instruction, IN data in
 * RAX) only once KVM_RUN is entered again; with immediate_exit set KVM
 * finishes it and returns without running the guest (api.rst, "The
 * kvm_run structure": "userspace should ensure that the operation is
 * completed before performing a live migration").  Done before the vCPU
 * parks, so a saved vCPU never repeats an OUT or loses an IN.
 */
static void kvm_complete_pending_io(CPUState *cpu, struct kvm_run *run)
{
    run->immediate_exit = 1;
    for (;;) {
        if (ioctl(cpu->kvm_fd, KVM_RUN, 0) < 0) {
            if (errno != EINTR) {
                error_report("vCPU %d: completing an I/O exit: KVM_RUN "
                             "failed: %s", cpu->cpu_index, g_strerror(errno));
            }
            break;
        }
        /* a string instruction went on to its next part: serve that too */
        if (run->exit_reason != KVM_EXIT_IO &&
            run->exit_reason != KVM_EXIT_MMIO) {
            error_report("vCPU %d: completing an I/O exit: unexpected exit "
                         "reason %u", cpu->cpu_index, run->exit_reason);
            break;
        }
        kvm_handle_exit(cpu, run);
    }
    run->immediate_exit = 0;
}

int kvm_cpu_exec(CPUState *cpu)
{
    struct kvm_run *run = cpu->kvm_run;
    MachineState *ms = cpu->machine;
    bool io_pending = false;

    while (!machine_has_request(ms) &&
           !__atomic_load_n(&ms->quitting, __ATOMIC_ACQUIRE) &&
           __atomic_load_n(&ms->runstate, __ATOMIC_ACQUIRE) == RUN_STATE_RUNNING) {
        io_pending = false;
        if (ioctl(cpu->kvm_fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                run->immediate_exit = 0;
                return 0;   /* kicked: let the caller look at the run state */
            }
            return kvm_fatal_exit(cpu, "kvm run failed %s", g_strerror(errno));
        }
        io_pending = run->exit_reason == KVM_EXIT_IO ||
                     run->exit_reason == KVM_EXIT_MMIO;
        if (kvm_handle_exit(cpu, run) < 0) {
            return -1;
        }
    }
    if (io_pending) {
        kvm_complete_pending_io(cpu, run);
    }
    return 0;
}
