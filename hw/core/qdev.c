/*
 * The -device model registry.
 */
#include "hw/qdev.h"
#include "qemu/error-report.h"
#include "hw/boards.h"
#include "migration/vmstate.h"

#include <string.h>

static GPtrArray *devices;

void device_register(const DeviceInfo *info)
{
    if (!devices) {
        devices = g_ptr_array_new();
    }
    g_ptr_array_add(devices, (gpointer)info);
}

GPtrArray *device_all(void)
{
    if (!devices) {
        devices = g_ptr_array_new();
    }
    return devices;
}

const DeviceInfo *device_find(const char *name)
{
    for (guint i = 0; devices && i < devices->len; i++) {
        const DeviceInfo *d = g_ptr_array_index(devices, i);
        if (strcmp(d->name, name) == 0) {
            return d;
        }
    }
    return NULL;
}

static gint cmp_name(gconstpointer a, gconstpointer b)
{
    const DeviceInfo *da = *(const DeviceInfo *const *)a;
    const DeviceInfo *db = *(const DeviceInfo *const *)b;
    int r = strcmp(da->bus, db->bus);
    return r ? r : strcmp(da->name, db->name);
}

void device_list(FILE *f)
{
    const char *bus = NULL;

    if (!devices) {
        return;
    }
    g_ptr_array_sort(devices, cmp_name);
    for (guint i = 0; i < devices->len; i++) {
        const DeviceInfo *d = g_ptr_array_index(devices, i);
        if (!d->create) {
            continue;
        }
        if (!bus || strcmp(bus, d->bus) != 0) {
            bus = d->bus;
            fprintf(f, "%s%s devices:\n", i ? "\n" : "", bus);
        }
        fprintf(f, "name \"%s\", bus %s, desc \"%s\"\n", d->name,
                strcmp(bus, "isa") == 0 ? "ISA" : bus, d->desc);
    }
}

const MachinePeripheral *machine_peripheral_find(MachineState *ms,
                                                 const char *id)
{
    for (guint i = 0; ms->peripherals && i < ms->peripherals->len; i++) {
        const MachinePeripheral *p = g_ptr_array_index(ms->peripherals, i);
        if (strcmp(p->id, id) == 0) {
            return p;
        }
    }
    return NULL;
}

bool qdev_device_add(MachineState *ms, QemuOpts *opts, GError **errp)
{
    const char *driver = qemu_opt_get(opts, "driver");
    const char *id;
    const DeviceInfo *d;

    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return false;
    }
    d = device_find(driver);
    if (!d || !d->create) {
        error_setg(errp, "'%s' is not a valid device model name", driver);
        return false;
    }
    id = qemu_opt_get(opts, "id");
    if (id && machine_peripheral_find(ms, id)) {
        error_setg(errp, "Duplicate device ID '%s'", id);
        return false;
    }
    if (!d->create(ms, opts, errp)) {
        return false;
    }
    if (!d->migratable) {
        g_autofree char *why = g_strdup_printf(
            "device '%s'%s%s%s does not support migration", d->name,
            id ? " (id '" : "", id ? id : "", id ? "')" : "");
        migrate_add_blocker(ms, why);
    }
    if (id) {
        MachinePeripheral *p = g_new0(MachinePeripheral, 1);
        p->id = g_strdup(id);
        p->type = d->name;
        if (!ms->peripherals) {
            ms->peripherals = g_ptr_array_new();
        }
        g_ptr_array_add(ms->peripherals, p);
    }
    return true;
}

bool qdev_prop_get_u32(QemuOpts *opts, const char *name, uint32_t def,
                       uint32_t *out, GError **errp)
{
    uint64_t v;

    if (!qemu_opt_get_number(opts, name, def, &v, errp)) {
        return false;
    }
    if (v > UINT32_MAX) {
        error_setg(errp, "Parameter '%s' expects uint32", name);
        return false;
    }
    *out = v;
    return true;
}
