/*
 * The SiFive test device ("sifive,test0", QEMU's virt at 0x100000): one
 * 32-bit register a guest writes to power off or reset the machine.
 * Linux drives it through syscon-poweroff/syscon-reboot FDT nodes when
 * SBI system reset is missing.  Values as QEMU's hw/misc/sifive_test.c:
 * low 16 bits 0x3333 FAIL (exit code in the high 16), 0x5555 PASS,
 * 0x7777 RESET.
 */
#include "hw/misc/sifive_test.h"
#include "system/runstate.h"
#include "qemu/error-report.h"
#include "qemu/log.h"

#include <inttypes.h>

#define TEST_FAIL   0x3333
#define TEST_PASS   0x5555
#define TEST_RESET  0x7777

static uint64_t sifive_test_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void sifive_test_write(void *opaque, uint64_t offset, uint64_t val,
                              unsigned size)
{
    MachineState *ms = opaque;

    if (offset != 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "sifive_test: write to offset 0x%"
                      PRIx64 " ignored\n", offset);
        return;
    }
    switch (val & 0xffff) {
    case TEST_PASS:
        qemu_system_shutdown_request(ms, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
        break;
    case TEST_FAIL:
        qemu_system_exit_request(ms, (val >> 16) & 0xffff);
        break;
    case TEST_RESET:
        qemu_system_reset_request(ms, SHUTDOWN_CAUSE_GUEST_RESET);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "sifive_test: unknown value 0x%"
                      PRIx64 " ignored\n", val);
    }
}

static const IOBusOps sifive_test_ops = {
    .read = sifive_test_read,
    .write = sifive_test_write,
    .min_access = 2,
    .max_access = 4,
};

bool sifive_test_create(MachineState *ms, uint64_t base, uint64_t size,
                        GError **errp)
{
    return iobus_register(&ms->mmio, base, size, &sifive_test_ops, ms,
                          "riscv.sifive.test", errp);
}
