/*
 * -drive: one dispatch table keyed by if= (QEMU's BlockInterfaceType).
 * Each interface registers its row: pflash (hw/i386/pc_sysfw.c) takes its
 * image while options are parsed, before the machine exists; none and
 * virtio (block/, hw/virtio/virtio-blk.c) create a block node and its
 * device once the machine exists.  A value nobody registered is refused
 * with a clear error.
 */
#ifndef SYSTEM_DRIVE_H
#define SYSTEM_DRIVE_H

#include <glib.h>
#include <stdbool.h>

#include "qemu/option.h"

typedef struct MachineState MachineState;

typedef struct DriveInterface {
    const char *name;           /* the if= value: "pflash", ... */
    /* While options are parsed: take what the row knows from opts. */
    bool (*add)(QemuOpts *opts, GError **errp);
    /* Once the machine exists (drive_create). */
    bool (*create)(MachineState *ms, QemuOpts *opts, GError **errp);
} DriveInterface;

void drive_interface_register(const DriveInterface *di);
#define DRIVE_INTERFACE_REGISTER(di) \
    static void __attribute__((constructor)) register_##di(void) \
    { drive_interface_register(&di); }

/*
 * -drive ARG: parse, then hand to the interface's row: its add() now;
 * *later is set when the row also wants drive_create() once the machine
 * exists.
 */
bool drive_add(const char *arg, bool *later, GError **errp);
/* The create() step of a -drive whose drive_add() said *later. */
bool drive_create(MachineState *ms, QemuOpts *opts, GError **errp);

#endif
