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
 * Any thread may call it.
 */
void qapi_event_send(const char *name, JsonObject *data);

/* Close every monitor connection (at exit, after the last event). */
void monitor_cleanup(void);

#endif
