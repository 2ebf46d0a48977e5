/*
 * Device I/O against the pc machine through the qtest protocol, in the
 * manner of QEMU's generic qtest fuzzer: the input is decoded into a
 * sequence of qtest command lines (port in/out and MMIO read/write of
 * every size, RAM writes, fw_cfg DMA descriptors, clock steps) that go
 * through accel/qtest/qtest.c to the I/O bus and the devices: UART, fw_cfg
 * (with DMA), CMOS/RTC, PCI configuration, ACPI PM, PIC, PIT, i8042, the
 * APICs and whatever else the machine registers.  Addresses are chosen
 * among the regions registered on the machine's I/O and memory buses, so
 * new devices are fuzzed without changes here.  Devices are reset after
 * each input.
 */
#include "fuzz.h"
#include "fuzz-machine.h"
#include "system/qtest.h"
#include "qemu/option.h"

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* An address inside a registered region (mostly) or anywhere. */
static uint64_t pick_addr(Input *in, const IOBus *bus, uint64_t limit)
{
    uint8_t how = take(in, 1);
    uint64_t off = take(in, 2);

    if (bus->nr && (how & 3) != 0) {
        const IORegion *r = &bus->regions[(how >> 2) % bus->nr];
        return r->base + off % (r->size ? r->size : 1);
    }
    return take(in, 4) % limit;
}

static const char size_chr[] = { 'b', 'w', 'l', 'q' };

/*
 * A raw line asking read, b64read, write, b64write or memset to move more
 * than this is left out under libFuzzer: the transfer costs a few
 * instrumented operations per byte (a 48-byte line can ask for 4 GiB)
 * and reaches nothing a short one does not; the regress-timeout-* inputs
 * that found the slow paths still replay them in full (make check).
 */
#define FUZZ_MAX_TRANSFER (64 * 1024)

static bool line_too_long(const char *line)
{
    g_auto(GStrv) w = g_strsplit(line, " ", 4);
    uint64_t len;

    if (!w[0] || !w[1] || !w[2] ||
        (strcmp(w[0], "read") && strcmp(w[0], "b64read") &&
         strcmp(w[0], "memset") && strcmp(w[0], "write") &&
         strcmp(w[0], "b64write"))) {
        return false;
    }
    return qemu_strtou64(w[2], &len) == 0 && len > FUZZ_MAX_TRANSFER;
}

/* the raw bytes may hold several lines */
static bool transfer_too_long(const char *raw)
{
    g_auto(GStrv) lines = NULL;

    if (fuzz_replaying()) {
        return false;
    }
    lines = g_strsplit(raw, "\n", 0);
    for (char **l = lines; *l; l++) {
        if (line_too_long(g_strchomp(*l))) {    /* as qtest.c reads it */
            return true;
        }
    }
    return false;
}

static void emit_ops(Input *in, MachineState *ms, GString *out)
{
    static const char *const io_cmd[] = { "in", "out" };

    while (in->left) {
        uint8_t op = take(in, 1);
        unsigned sz = op >> 4 & 3;

        switch (op % 8) {
        case 0:     /* port read */
        case 1:     /* port write */
            sz = MIN(sz, 2u);
            if (op % 8) {
                g_string_append_printf(out, "%s%c 0x%" PRIx64 " 0x%" PRIx64 "\n",
                                       io_cmd[1], size_chr[sz],
                                       pick_addr(in, &ms->io, 0x10000),
                                       take(in, 1u << sz));
            } else {
                g_string_append_printf(out, "%s%c 0x%" PRIx64 "\n", io_cmd[0],
                                       size_chr[sz],
                                       pick_addr(in, &ms->io, 0x10000));
            }
            break;
        case 2:     /* MMIO read */
            g_string_append_printf(out, "read%c 0x%" PRIx64 "\n", size_chr[sz],
                                   pick_addr(in, &ms->mmio, UINT32_MAX));
            break;
        case 3:     /* MMIO write */
            g_string_append_printf(out, "write%c 0x%" PRIx64 " 0x%" PRIx64 "\n",
                                   size_chr[sz],
                                   pick_addr(in, &ms->mmio, UINT32_MAX),
                                   take(in, 1u << sz));
            break;
        case 4: {   /* RAM (or anywhere) write of up to 32 bytes */
            uint64_t addr = take(in, 4) % (ms->ram_size + 0x1000);
            unsigned len = take(in, 1) % 32 + 1;
            g_string_append_printf(out, "write 0x%" PRIx64 " 0x%x 0x", addr, len);
            for (unsigned i = 0; i < len; i++) {
                g_string_append_printf(out, "%02x", (unsigned)take(in, 1));
            }
            g_string_append_c(out, '\n');
            break;
        }
        case 5: {   /* fw_cfg DMA: a descriptor at a RAM address, then go */
            uint64_t desc = take(in, 2) << 4;
            uint32_t ctl = take(in, 4), len = take(in, 4);
            uint64_t addr = take(in, 4);
            /* FWCfgDmaAccess, big-endian (docs/specs/fw_cfg.txt) */
            g_string_append_printf(out, "write 0x%" PRIx64 " 0x10 0x%08x%08x%016" PRIx64 "\n",
                                   desc, ctl, len, addr);
            g_string_append_printf(out, "outl 0x514 0x%08x\n",
                                   GUINT32_TO_BE((uint32_t)(desc >> 32)));
            g_string_append_printf(out, "outl 0x518 0x%08x\n",
                                   GUINT32_TO_BE((uint32_t)desc));
            break;
        }
        case 6:
            g_string_append_printf(out, "clock_step %" PRIu64 "\n", take(in, 3));
            break;
        case 7: {   /* a raw qtest line: the protocol parser itself */
            unsigned len = take(in, 1) % 48;
            gsize start = out->len;
            for (unsigned i = 0; i < len && in->left; i++) {
                char c = take(in, 1);
                g_string_append_c(out, c ? c : ' ');
            }
            if (transfer_too_long(out->str + start)) {
                g_string_truncate(out, start);
                break;
            }
            g_string_append_c(out, '\n');
            break;
        }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Chardev *chr;
    MachineState *ms = fuzz_machine();
    g_autoptr(GString) out = g_string_new(NULL);
    Input in = { data, size };

    if (!chr) {
        chr = fuzz_qtest_server(ms);
    }
    emit_ops(&in, ms, out);
    fuzz_chardev_feed(chr, (const uint8_t *)out->str, out->len);
    fuzz_machine_settle(ms);
    return 0;
}
