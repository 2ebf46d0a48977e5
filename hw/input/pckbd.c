/*
 * The i8042 keyboard controller, reduced to what a VM without a keyboard
 * needs: the status port reads "no data, ready" and command 0xFE (pulse
 * the reset line) resets the machine.  Other commands are ignored and
 * traced under -d unimp; there is no keyboard or mouse behind it.
 */
#include "hw/i386/pc.h"
#include "qemu/log.h"

#define KBD_DATA_PORT     0x60
#define KBD_STATUS_PORT   0x64
#define KBD_CMD_RESET     0xfe
#define KBD_STAT_SELFTEST 0x04   /* system flag: self test passed */
#define KBD_STAT_UNLOCKED 0x10

static uint64_t kbd_data_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0;
}

static uint64_t kbd_status_read(void *opaque, uint64_t addr, unsigned size)
{
    return KBD_STAT_SELFTEST | KBD_STAT_UNLOCKED;   /* no data, can accept */
}

static void kbd_data_write(void *opaque, uint64_t addr, uint64_t val,
                           unsigned size)
{
    qemu_log_mask(LOG_UNIMP, "i8042: data 0x%02x ignored\n", (unsigned)val);
}

static void kbd_command_write(void *opaque, uint64_t addr, uint64_t val,
                              unsigned size)
{
    MachineState *ms = opaque;

    if (val == KBD_CMD_RESET) {
        qemu_system_reset_request(ms, SHUTDOWN_CAUSE_GUEST_RESET);
        return;
    }
    qemu_log_mask(LOG_UNIMP, "i8042: command 0x%02x ignored\n", (unsigned)val);
}

static const IOBusOps kbd_data_ops = {
    .read = kbd_data_read,
    .write = kbd_data_write,
    .min_access = 1,
    .max_access = 1,
};

static const IOBusOps kbd_status_ops = {
    .read = kbd_status_read,
    .write = kbd_command_write,
    .min_access = 1,
    .max_access = 1,
};

/* No state (the ports read constants): nothing to save or restore. */
bool pc_kbd_reset_init(MachineState *ms, GError **errp)
{
    /* (0x61 is the in-kernel PIT's speaker port, KVM handles it) */
    return iobus_register(&ms->io, KBD_DATA_PORT, 1, &kbd_data_ops, ms,
                          "i8042-data", errp) &&
           iobus_register(&ms->io, KBD_STATUS_PORT, 1, &kbd_status_ops, ms,
                          "i8042-cmd", errp);
}
