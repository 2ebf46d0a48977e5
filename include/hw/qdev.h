/*
 * Device models that -device can create.  A model registers itself with
 * DEVICE_REGISTER() in its own file; "-device help" lists them and
 * "-device NAME,..." finds them here.  Properties arrive as QemuOpts
 * ("driver" is the model name); the create function takes what it
 * understands and the caller rejects the rest ("Invalid parameter").
 */
#ifndef HW_QDEV_H
#define HW_QDEV_H

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "qemu/option.h"

typedef struct MachineState MachineState;

typedef struct DeviceInfo {
    const char *name;
    const char *bus;          /* "isa", "System", ... for -device help */
    const char *desc;
    /* NULL for models the machine creates itself */
    bool (*create)(MachineState *ms, QemuOpts *opts, GError **errp);
    /*
     * It registers its state for save/restore (migration/vmstate.h).  A
     * -device without it blocks "migrate", naming itself.
     */
    bool migratable;
} DeviceInfo;

void device_register(const DeviceInfo *info);
#define DEVICE_REGISTER(info) \
    static void __attribute__((constructor)) register_##info(void) \
    { device_register(&info); }

const DeviceInfo *device_find(const char *name);
/* Every registered model (QMP qom-list-types). */
GPtrArray *device_all(void);
void device_list(FILE *f);
/* The -device created with id=ID, or NULL. */
const struct MachinePeripheral *machine_peripheral_find(MachineState *ms,
                                                        const char *id);
/* -device: look up the model, create it, reject unused properties. */
bool qdev_device_add(MachineState *ms, QemuOpts *opts, GError **errp);

/* Shared property helpers for ISA devices: "iobase" with a default. */
bool qdev_prop_get_u32(QemuOpts *opts, const char *name, uint32_t def,
                       uint32_t *out, GError **errp);

#endif
