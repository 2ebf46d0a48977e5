/*
 * isa-debugcon: bytes written to one port go to a chardev (Bochs' 0xe9
 * hack); reading the port returns 0xe9 so a guest can probe for it.
 */
#include "hw/qdev.h"
#include "hw/boards.h"
#include "chardev/char.h"
#include "qemu/error-report.h"

typedef struct DebugconState {
    Chardev *chr;
    uint32_t readback;
} DebugconState;

static void debugcon_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
    DebugconState *s = opaque;
    uint8_t c = val;

    qemu_chr_write_all(s->chr, &c, 1);
}

static uint64_t debugcon_read(void *opaque, uint64_t addr, unsigned size)
{
    DebugconState *s = opaque;
    return s->readback;
}

static const IOBusOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .min_access = 1,
    .max_access = 1,
};

static bool debugcon_create(MachineState *ms, QemuOpts *opts, GError **errp)
{
    uint32_t iobase, readback;
    const char *chardev = qemu_opt_get(opts, "chardev");
    DebugconState *s;
    Chardev *chr = NULL;

    if (!qdev_prop_get_u32(opts, "iobase", 0xe9, &iobase, errp) ||
        !qdev_prop_get_u32(opts, "readback", 0xe9, &readback, errp) ||
        !qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    if (chardev && !(chr = qemu_chr_find(chardev))) {
        error_setg(errp, "Property 'isa-debugcon.chardev' can't find value '%s'",
                   chardev);
        return false;
    }
    s = g_new0(DebugconState, 1);
    s->chr = chr;
    s->readback = readback;
    if (!iobus_register(&ms->io, iobase, 1, &debugcon_ops, s, "isa-debugcon",
                        errp)) {
        g_free(s);
        return false;
    }
    return true;
}

static const DeviceInfo debugcon_info = {
    .name = "isa-debugcon",
    .bus = "isa",
    .desc = "ISA debug console (port 0xe9)",
    .create = debugcon_create,
    .migratable = true,         /* no guest-visible state to move */
};
DEVICE_REGISTER(debugcon_info)
