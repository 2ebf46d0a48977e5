/*
 * Port 0x80: the POST code port firmware and Linux write to as an I/O
 * delay.  A sink: writes vanish, reads return all-ones like an empty bus,
 * but it is claimed so -d unimp stays quiet about it.
 */
#include "hw/i386/pc.h"

static uint64_t ioport80_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0xff;
}

static void ioport80_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
}

static const IOBusOps ioport80_ops = {
    .read = ioport80_read,
    .write = ioport80_write,
    .min_access = 1,
    .max_access = 1,
};

bool pc_ioport80_init(MachineState *ms, GError **errp)
{
    return iobus_register(&ms->io, 0x80, 1, &ioport80_ops, NULL, "ioport80",
                          errp);
}
