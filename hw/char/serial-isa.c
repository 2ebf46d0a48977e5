/*
 * isa-serial: a 16550A on the ISA bus.  -serial creates them for COM1..4
 * and libvirt asks for them with "-device isa-serial,chardev=X,index=N".
 * The PC/AT convention gives each index its I/O base and IRQ.
 */
#include "hw/char/serial.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "qemu/error-report.h"

#define MAX_ISA_SERIAL 4

static const struct { uint16_t base; uint8_t irq; } isa_serial_io[MAX_ISA_SERIAL] = {
    { 0x3f8, 4 }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 },
};

bool isa_serial_create(MachineState *ms, unsigned index, uint32_t iobase,
                       uint32_t irq, Chardev *chr, GError **errp)
{
    SerialState *s;

    if (!ms->isa_irqs) {
        error_setg(errp, "No 'ISA' bus found for device 'isa-serial'");
        return false;
    }
    if (index >= MAX_ISA_SERIAL && (!iobase || !irq)) {
        error_setg(errp, "Max. supported number of ISA serial ports is %d.",
                   MAX_ISA_SERIAL);
        return false;
    }
    iobase = iobase ? iobase : isa_serial_io[index].base;
    irq = irq ? irq : isa_serial_io[index].irq;
    if (irq >= 16) {
        error_setg(errp, "Invalid IRQ %u (ISA has 0-15)", irq);
        return false;
    }
    s = serial_new(&ms->io, iobase, ms->isa_irqs[irq], chr, errp);
    if (!s) {
        return false;
    }
    qemu_register_reset(ms, serial_reset, s);
    vmstate_register(ms, "serial", iobase, 1, serial_save, serial_load, s);
    return true;
}

static bool isa_serial_device_create(MachineState *ms, QemuOpts *opts,
                                     GError **errp)
{
    const char *chardev = qemu_opt_get(opts, "chardev");
    uint32_t index, iobase, irq;
    Chardev *chr = NULL;

    if (!qdev_prop_get_u32(opts, "index", MAX_ISA_SERIAL, &index, errp) ||
        !qdev_prop_get_u32(opts, "iobase", 0, &iobase, errp) ||
        !qdev_prop_get_u32(opts, "irq", 0, &irq, errp) ||
        !qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    if (chardev && !(chr = qemu_chr_find(chardev))) {
        error_setg(errp, "Property 'isa-serial.chardev' can't find value '%s'",
                   chardev);
        return false;
    }
    if (index == MAX_ISA_SERIAL) {
        /* no index: the first COM port nobody has taken */
        for (index = 0; index < MAX_ISA_SERIAL; index++) {
            if (!iobus_find(&ms->io, isa_serial_io[index].base)) {
                break;
            }
        }
    }
    return isa_serial_create(ms, index, iobase, irq, chr, errp);
}

static const DeviceInfo isa_serial_info = {
    .name = "isa-serial",
    .bus = "isa",
    .desc = "16550A UART (index 0-3: COM1-COM4)",
    .create = isa_serial_device_create,
    .migratable = true,
};
DEVICE_REGISTER(isa_serial_info)
