/*
 * QMP, the machine protocol (QEMU's docs/interop/qmp-spec.rst): what the
 * rest of the VMM calls.  The monitor itself lives in monitor/.
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "chardev/char.h"
#include "qemu/error-report.h"
#include "system/runstate.h"

typedef struct MachineState MachineState;

/*
 * Serve QMP on chr (a socket chardev: every client that connects gets the
 * greeting; stdio: one session).  ms is the machine the commands act on.
 * Called once per -qmp / -mon mode=control.
 */
bool monitor_init_qmp(Chardev *chr, MachineState *ms, bool pretty,
                      GError **errp);

/*
 * Send an event to every QMP client that finished capabilities
 * negotiation: {"event": NAME, "data": DATA, "timestamp": {...}}.
 * data may be NULL (no "data" member); the call takes ownership.
 * Any thread may call it.  NAME must be in the event table (monitor/
 * qmp-cmds.c), which query-qmp-schema shows.
 */
void qapi_event_send(const char *name, JsonObject *data);

/* The run-state events, as QEMU sends them (any thread). */
void qapi_event_send_stop(void);
void qapi_event_send_resume(void);
void qapi_event_send_powerdown(void);
/* RESET / SHUTDOWN {"guest": bool, "reason": shutdown_cause_name()} */
void qapi_event_send_reset(bool guest, ShutdownCause reason);
void qapi_event_send_shutdown(bool guest, ShutdownCause reason);

/* Deliver what is still queued for clients (bounded wait), then close
 * every monitor connection: at exit, after the last event. */
void monitor_cleanup(void);

/*
 * The "class" of a QMP error reply.  error_setg() gives GenericError;
 * the few others clients test for are set with error_set().
 */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR = 0,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_ACTIVE,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
} ErrorClass;

#define error_set(errp, cls, ...) \
    g_set_error((errp), QKVM_ERROR, (cls), __VA_ARGS__)

/* "GenericError", "DeviceNotFound", ... for an error's class. */
const char *error_class_name(const GError *err);

#endif
