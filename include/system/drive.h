/*
 * -drive: one dispatch table keyed by if= (QEMU's BlockInterfaceType).
 * Each interface registers its row; a value nobody registered is refused
 * with a clear error.  Kept separate from the block layer so a new
 * interface is one more row.
 */
#ifndef SYSTEM_DRIVE_H
#define SYSTEM_DRIVE_H

#include <glib.h>
#include <stdbool.h>

#include "qemu/option.h"

typedef struct DriveInterface {
    const char *name;           /* the if= value: "pflash", ... */
    /* Take the options this interface knows from opts (if= is used). */
    bool (*add)(QemuOpts *opts, GError **errp);
} DriveInterface;

void drive_interface_register(const DriveInterface *di);
#define DRIVE_INTERFACE_REGISTER(di) \
    static void __attribute__((constructor)) register_##di(void) \
    { drive_interface_register(&di); }

/* -drive ARG: parse, then hand to the interface's row. */
bool drive_add(const char *arg, GError **errp);

#endif
