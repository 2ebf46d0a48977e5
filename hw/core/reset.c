/*
 * Reset handlers, called in registration order at machine reset.
 */
#include "hw/boards.h"

typedef struct ResetEntry {
    QEMUResetHandler *fn;
    void *opaque;
} ResetEntry;

void qemu_register_reset(MachineState *ms, QEMUResetHandler *fn, void *opaque)
{
    ResetEntry e = { fn, opaque };

    if (!ms->reset_handlers) {
        ms->reset_handlers = g_array_new(FALSE, FALSE, sizeof(ResetEntry));
    }
    g_array_append_val(ms->reset_handlers, e);
}

void qemu_devices_reset(MachineState *ms)
{
    for (guint i = 0; ms->reset_handlers && i < ms->reset_handlers->len; i++) {
        ResetEntry *e = &g_array_index(ms->reset_handlers, ResetEntry, i);
        e->fn(e->opaque);
    }
}
