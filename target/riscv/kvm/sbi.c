/*
 * SBI calls KVM forwards to the VMM (KVM_EXIT_RISCV_SBI; api.rst 5
 * "kvm_run", riscv_sbi: extension_id, function_id, args[6], ret[2]).
 * KVM itself implements TIME, IPI, RFENCE, HSM and SRST (SRST reaches us
 * as KVM_EXIT_SYSTEM_EVENT); what comes here:
 *   - the legacy v0.1 console (putchar 0x1, getchar 0x2), only when the
 *     host kernel has CONFIG_RISCV_SBI_V01 (Debian's has not);
 *   - the Debug Console extension DBCN (SBI spec 2.0, chapter 12), once
 *     enabled through its SBI_EXT register (kvm-cpu.c);
 *   - anything else: SBI_ERR_NOT_SUPPORTED, a defined answer the guest
 *     can act on.
 * Console output goes to the first serial port's chardev.
 */
#include "kvm-riscv.h"
#include "hw/boards.h"
#include "chardev/char.h"
#include "qemu/log.h"

#include <inttypes.h>

/* SBI specification v2.0: extension ids, function ids, error codes */
#define SBI_EXT_0_1_CONSOLE_PUTCHAR     0x1
#define SBI_EXT_0_1_CONSOLE_GETCHAR     0x2
#define SBI_EXT_DBCN                    0x4442434E      /* "DBCN" */
#define SBI_EXT_DBCN_CONSOLE_WRITE      0
#define SBI_EXT_DBCN_CONSOLE_READ       1
#define SBI_EXT_DBCN_CONSOLE_WRITE_BYTE 2
#define SBI_SUCCESS                     0
#define SBI_ERR_NOT_SUPPORTED           (-2)
#define SBI_ERR_INVALID_PARAM           (-3)

/*
 * Bytes one DBCN console_write hands to the chardev.  The call is
 * "non-blocking" and "may do partial or no writes" (SBI v2.0, 12.1), the
 * number written going back in sbiret.value; Linux loops on it.  Without
 * a bound one ecall could hold this vCPU thread for a write of all guest
 * RAM to the console (tests/guests/riscv/hostile.c makes that call).
 */
#define DBCN_WRITE_MAX                  4096

static Chardev *console(CPUState *cs)
{
    return cs->machine->serial_hds[0];
}

static void console_write(CPUState *cs, const uint8_t *buf, size_t len)
{
    if (console(cs)) {
        qemu_chr_write_all(console(cs), buf, len);
    }
}

static void handle_dbcn(CPUState *cs, struct kvm_run *run)
{
    uint64_t num = run->riscv_sbi.args[0];
    uint64_t gpa = run->riscv_sbi.args[1];
    uint8_t *buf;
    uint8_t ch;

    switch (run->riscv_sbi.function_id) {
    case SBI_EXT_DBCN_CONSOLE_WRITE:
        /* rv64: base_addr_hi (args[2]) is the part above 64 bits: 0 */
        buf = run->riscv_sbi.args[2] ? NULL :
              machine_gpa_to_hva(cs->machine, gpa, num);
        if (!buf) {
            run->riscv_sbi.ret[0] = SBI_ERR_INVALID_PARAM;
            run->riscv_sbi.ret[1] = 0;
            return;
        }
        num = MIN(num, DBCN_WRITE_MAX);
        console_write(cs, buf, num);
        run->riscv_sbi.ret[0] = SBI_SUCCESS;
        run->riscv_sbi.ret[1] = num;
        return;
    case SBI_EXT_DBCN_CONSOLE_READ:
        /* input belongs to the UART: nothing read, successfully */
        run->riscv_sbi.ret[0] = SBI_SUCCESS;
        run->riscv_sbi.ret[1] = 0;
        return;
    case SBI_EXT_DBCN_CONSOLE_WRITE_BYTE:
        ch = num;
        console_write(cs, &ch, 1);
        run->riscv_sbi.ret[0] = SBI_SUCCESS;
        return;
    }
    run->riscv_sbi.ret[0] = SBI_ERR_NOT_SUPPORTED;
}

void riscv_handle_sbi(CPUState *cs, struct kvm_run *run)
{
    uint8_t ch;

    switch (run->riscv_sbi.extension_id) {
    case SBI_EXT_0_1_CONSOLE_PUTCHAR:
        ch = run->riscv_sbi.args[0];
        console_write(cs, &ch, 1);
        run->riscv_sbi.ret[0] = 0;
        return;
    case SBI_EXT_0_1_CONSOLE_GETCHAR:
        run->riscv_sbi.ret[0] = -1;     /* v0.1: no character */
        return;
    case SBI_EXT_DBCN:
        handle_dbcn(cs, run);
        return;
    }
    qemu_log_mask(LOG_UNIMP, "hart %lu: SBI extension 0x%lx function %lu "
                  "not supported\n", cs->vcpu_id,
                  (unsigned long)run->riscv_sbi.extension_id,
                  (unsigned long)run->riscv_sbi.function_id);
    run->riscv_sbi.ret[0] = SBI_ERR_NOT_SUPPORTED;
}
