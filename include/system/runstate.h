/*
 * Run state and requests.
 *
 * vCPU threads and devices never stop or reset the machine themselves:
 * they post a request, the main loop acts on it.  A vCPU that posted a
 * request does not re-enter the guest until the main loop has handled
 * it (cpus.c checks machine_has_request() before each KVM_RUN).
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include <stdbool.h>

typedef struct MachineState MachineState;

typedef enum RunState {
    RUN_STATE_PRELAUNCH,     /* -S: created, never ran */
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,
    RUN_STATE_SHUTDOWN,      /* guest shut down with -no-shutdown */
    RUN_STATE_INTERNAL_ERROR,
    RUN_STATE_INMIGRATE,     /* -incoming: waiting for the state */
    RUN_STATE_FINISH_MIGRATE,/* stopped, being saved */
    RUN_STATE_POSTMIGRATE,   /* saved: paused, "cont" runs it again */
} RunState;

/* QMP's names: "running", "paused", ... */
const char *runstate_name(RunState s);

typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE,
    SHUTDOWN_CAUSE_HOST_ERROR,
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
    SHUTDOWN_CAUSE_HOST_SIGNAL,
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,
    SHUTDOWN_CAUSE_GUEST_RESET,
    SHUTDOWN_CAUSE_GUEST_PANIC,
    SHUTDOWN_CAUSE_SUBSYSTEM_RESET,
} ShutdownCause;

const char *shutdown_cause_name(ShutdownCause c);
/* The guest asked for it (QMP events' "guest" member). */
static inline bool shutdown_caused_by_guest(ShutdownCause c)
{
    return c >= SHUTDOWN_CAUSE_GUEST_SHUTDOWN;
}

/* Any thread: ask the main loop to act. */
void qemu_system_reset_request(MachineState *ms, ShutdownCause cause);
void qemu_system_shutdown_request(MachineState *ms, ShutdownCause cause);
/* isa-debug-exit and fatal errors: leave with this process status. */
void qemu_system_exit_request(MachineState *ms, int status);
bool machine_has_request(MachineState *ms);

/* Main thread only. */
void vm_start(MachineState *ms);
void vm_stop(MachineState *ms, RunState state);
bool runstate_is_running(MachineState *ms);

#endif
