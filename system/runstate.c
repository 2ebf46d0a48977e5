/*
 * Requests from vCPUs and devices to the main loop.
 */
#include "system/runstate.h"
#include "hw/boards.h"

#include <stdint.h>
#include <unistd.h>

const char *runstate_name(RunState s)
{
    switch (s) {
    case RUN_STATE_PRELAUNCH: return "prelaunch";
    case RUN_STATE_RUNNING: return "running";
    case RUN_STATE_PAUSED: return "paused";
    case RUN_STATE_SHUTDOWN: return "shutdown";
    case RUN_STATE_INTERNAL_ERROR: return "internal-error";
    case RUN_STATE_INMIGRATE: return "inmigrate";
    case RUN_STATE_FINISH_MIGRATE: return "finish-migrate";
    case RUN_STATE_POSTMIGRATE: return "postmigrate";
    }
    return "unknown";
}

const char *shutdown_cause_name(ShutdownCause c)
{
    static const char *const names[] = {
        [SHUTDOWN_CAUSE_NONE] = "none",
        [SHUTDOWN_CAUSE_HOST_ERROR] = "host-error",
        [SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
        [SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
        [SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
        [SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
        [SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
        [SHUTDOWN_CAUSE_GUEST_PANIC] = "guest-panic",
        [SHUTDOWN_CAUSE_SUBSYSTEM_RESET] = "subsystem-reset",
    };
    return c < G_N_ELEMENTS(names) ? names[c] : "unknown";
}

static void wake_main_loop(MachineState *ms)
{
    uint64_t one = 1;
    ssize_t r = write(ms->wakeup_fd, &one, sizeof(one));
    (void)r;    /* EAGAIN: the counter is already non-zero, fine */
    /* posting vCPU returns from kvm_cpu_exec; others must leave KVM_RUN */
    cpus_kick_all(ms);
}

void qemu_system_reset_request(MachineState *ms, ShutdownCause cause)
{
    __atomic_store_n(&ms->reset_request, cause, __ATOMIC_RELEASE);
    wake_main_loop(ms);
}

void qemu_system_shutdown_request(MachineState *ms, ShutdownCause cause)
{
    __atomic_store_n(&ms->shutdown_request, cause, __ATOMIC_RELEASE);
    wake_main_loop(ms);
}

void qemu_system_exit_request(MachineState *ms, int status)
{
    g_mutex_lock(&ms->lock);
    if (!ms->exit_request) {     /* the first reason wins */
        ms->exit_status = status;
        __atomic_store_n(&ms->exit_request, true, __ATOMIC_RELEASE);
    }
    g_mutex_unlock(&ms->lock);
    wake_main_loop(ms);
}

bool machine_has_request(MachineState *ms)
{
    return __atomic_load_n(&ms->reset_request, __ATOMIC_ACQUIRE) ||
           __atomic_load_n(&ms->shutdown_request, __ATOMIC_ACQUIRE) ||
           __atomic_load_n(&ms->exit_request, __ATOMIC_ACQUIRE);
}
