/*
 * isa-debug-exit: a write of value V makes the process exit with status
 * (V << 1) | 1, as QEMU's device does, so tests can tell a guest's
 * verdict from a crash (status 0) or a VMM error (status 1 is (0<<1)|1).
 */
#include "hw/qdev.h"
#include "hw/boards.h"
#include "qemu/error-report.h"

typedef struct DebugExitState {
    MachineState *ms;
} DebugExitState;

static void debug_exit_write(void *opaque, uint64_t addr, uint64_t val,
                             unsigned size)
{
    DebugExitState *s = opaque;

    qemu_system_exit_request(s->ms, (int)((val << 1) | 1));
}

static const IOBusOps debug_exit_ops = {
    .write = debug_exit_write,
    .min_access = 1,
    .max_access = 4,
};

static bool debug_exit_create(MachineState *ms, QemuOpts *opts, GError **errp)
{
    uint32_t iobase, iosize;
    DebugExitState *s;

    if (!qdev_prop_get_u32(opts, "iobase", 0x501, &iobase, errp) ||
        !qdev_prop_get_u32(opts, "iosize", 0x02, &iosize, errp) ||
        !qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    s = g_new0(DebugExitState, 1);
    s->ms = ms;
    if (!iobus_register(&ms->io, iobase, iosize, &debug_exit_ops, s,
                        "isa-debug-exit", errp)) {
        g_free(s);
        return false;
    }
    return true;
}

static const DeviceInfo debug_exit_info = {
    .name = "isa-debug-exit",
    .bus = "isa",
    .desc = "exit the VMM with status (value << 1) | 1",
    .create = debug_exit_create,
    .migratable = true,         /* no guest-visible state to move */
};
DEVICE_REGISTER(debug_exit_info)
