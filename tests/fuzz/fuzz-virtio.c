/*
 * The virtio PCI devices of the fuzz machine (virtio-rng-pci at slot 4,
 * virtio-blk-pci at slot 5, fuzz-machine.c) through the qtest protocol,
 * as a driver would reach them: PCI configuration through 0xcf8/0xcfc
 * (BARs, command register, the MSI-X capability), MMIO to BAR 4 (the
 * virtio 1.x common/ISR/device/notify structures) and BAR 1 (MSI-X table
 * and PBA), guest RAM writes, a driver-init sequence and descriptor chains
 * put on a queue's rings and kicked.  Under qtest a kick is handled before
 * the write returns (hw/virtio/virtio-pci.c) and block requests are
 * drained after each input (fuzz_machine_settle), so an input's effects
 * are its own.
 *
 * The input is a sequence of ops; an op byte's low 3 bits say what, bit 3
 * which device, bits 4-5 an access size.  Where the rings go is fixed
 * (RING_BASE below) so a chain op needs only the descriptors.
 */
#include "fuzz.h"
#include "fuzz-machine.h"
#include "hw/pci/pci.h"
#include "hw/virtio/virtio-pci.h"
#include "qemu/bswap.h"
#include "system/qtest.h"

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const unsigned slots[2] = { 4, 5 };     /* fuzz-machine.c's addr= */
static const char size_chr[] = { 'b', 'w', 'l', 'q' };

/* Guest RAM for the rings: 64 KiB per device and queue (2 queues max). */
#define RING_BASE       0x100000ULL
#define RING_STRIDE     0x10000ULL
#define RING_AVAIL      0x1000      /* desc table: 256 entries of 16 bytes */
#define RING_USED       0x2000
#define RING_BUFS       0x4000      /* data buffers, up to RING_STRIDE */
#define QUEUE_SIZE      16          /* what driver-init asks for */

/* virtio 1.2, 2.7.5: struct virtq_desc flags */
#define VIRTQ_DESC_F_NEXT   1
#define VIRTQ_DESC_F_WRITE  2

/* What the input has done to a queue so far (per input). */
static uint16_t avail_idx[2][2];
static uint16_t next_desc[2][2];

static uint64_t ring_base(unsigned dev, unsigned q)
{
    return RING_BASE + (dev * 2 + q) * RING_STRIDE;
}

static uint32_t config_read(unsigned dev, unsigned reg, unsigned size)
{
    return pci_bus_config_read(machine_pci_bus(fuzz_machine()),
                               slots[dev] << 3, reg, size);
}

/* Where a memory BAR's register points now (decoding or not). */
static uint64_t bar_addr(unsigned dev, int bar)
{
    unsigned reg = PCI_BASE_ADDRESS_0 + 4 * bar;
    uint64_t lo = config_read(dev, reg, 4);

    if (lo & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        lo |= (uint64_t)config_read(dev, reg + 4, 4) << 32;
    }
    return lo & ~15ULL;
}

static unsigned msix_cap(unsigned dev)
{
    unsigned c = config_read(dev, PCI_CAPABILITY_LIST, 1);

    for (unsigned n = 0; c && n < 48; n++) {
        if (config_read(dev, c, 1) == PCI_CAP_ID_MSIX) {
            return c;
        }
        c = config_read(dev, c + 1, 1);
    }
    return 0;
}

static void config_write(GString *out, unsigned dev, unsigned reg,
                         unsigned sz, uint64_t val)
{
    /* PCI Local Bus 3.0, 3.2.2.3.2: configuration mechanism #1 */
    g_string_append_printf(out, "outl 0xcf8 0x%x\n",
                           0x80000000u | slots[dev] << 11 | (reg & 0xfc));
    g_string_append_printf(out, "out%c 0x%x 0x%" PRIx64 "\n", size_chr[sz],
                           0xcfc + (reg & (4 - (1u << sz))), val);
}

static void mmio_write(GString *out, uint64_t addr, unsigned sz, uint64_t val)
{
    g_string_append_printf(out, "write%c 0x%" PRIx64 " 0x%" PRIx64 "\n",
                           size_chr[sz], addr, val);
}

static void ram_write(GString *out, uint64_t addr, const void *buf,
                      unsigned len)
{
    g_string_append_printf(out, "write 0x%" PRIx64 " 0x%x 0x", addr, len);
    for (unsigned i = 0; i < len; i++) {
        g_string_append_printf(out, "%02x", ((const uint8_t *)buf)[i]);
    }
    g_string_append_c(out, '\n');
}

/* 3.1.1: reset, ACKNOWLEDGE|DRIVER, features, FEATURES_OK, queues, DRIVER_OK */
static void driver_init(Input *in, GString *out, unsigned dev)
{
    uint64_t bar = bar_addr(dev, VIRTIO_PCI_MODERN_BAR);
    uint32_t lo = take(in, 4), hi = take(in, 1) | 1;   /* VERSION_1 */
    uint8_t vector = take(in, 1);

    mmio_write(out, bar + 0x14, 0, 0);
    mmio_write(out, bar + 0x14, 0, 3);
    mmio_write(out, bar + 0x08, 2, 0);
    mmio_write(out, bar + 0x0c, 2, lo);
    mmio_write(out, bar + 0x08, 2, 1);
    mmio_write(out, bar + 0x0c, 2, hi);
    mmio_write(out, bar + 0x14, 0, 0xb);
    mmio_write(out, bar + 0x10, 1, vector & 3 ? 0 : 0xffff);
    for (unsigned q = 0; q < 2; q++) {
        uint64_t r = ring_base(dev, q);
        mmio_write(out, bar + 0x16, 1, q);
        mmio_write(out, bar + 0x18, 1, QUEUE_SIZE);
        mmio_write(out, bar + 0x1a, 1, vector & 3 ? q + 1 : 0xffff);
        mmio_write(out, bar + 0x20, 3, r);
        mmio_write(out, bar + 0x28, 3, r + RING_AVAIL);
        mmio_write(out, bar + 0x30, 3, r + RING_USED);
        mmio_write(out, bar + 0x1c, 1, 1);
        avail_idx[dev][q] = next_desc[dev][q] = 0;
    }
    mmio_write(out, bar + 0x14, 0, 0xf);
}

/*
 * A chain of 1-4 descriptors on queue q, buffers in the queue's data area
 * (or, if the input says so, anywhere), made available and kicked.
 */
static void add_chain(Input *in, GString *out, unsigned dev, unsigned q)
{
    uint64_t r = ring_base(dev, q);
    unsigned n = take(in, 1) % 4 + 1;
    uint16_t head = next_desc[dev][q] % QUEUE_SIZE;
    uint8_t entry[16];

    for (unsigned i = 0; i < n; i++) {
        uint16_t slot = (head + i) % QUEUE_SIZE;
        uint16_t off = take(in, 2);
        uint32_t len = take(in, 2);
        uint8_t fl = take(in, 1);
        uint64_t addr = fl & 0x80 ? take(in, 4)
                                  : r + RING_BUFS + off % (RING_STRIDE - RING_BUFS);
        uint16_t flags = (fl & 3) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
        uint16_t next = fl & 0x40 ? take(in, 2) : (slot + 1) % QUEUE_SIZE;

        if (fl & 0x20) {
            len = take(in, 4);          /* lengths past the buffer area */
        }
        if (fl & 0x10) {
            flags |= 4;                 /* VIRTQ_DESC_F_INDIRECT */
        }
        stq_le_p(entry, addr);
        stl_le_p(entry + 8, len);
        stw_le_p(entry + 12, flags);
        stw_le_p(entry + 14, next);
        ram_write(out, r + 16 * slot, entry, 16);
    }
    next_desc[dev][q] += n;
    /* 2.7.6: ring[idx % size] = head, then idx++ */
    stw_le_p(entry, head);
    ram_write(out, r + RING_AVAIL + 4 + 2 * (avail_idx[dev][q] % QUEUE_SIZE),
              entry, 2);
    stw_le_p(entry, ++avail_idx[dev][q]);
    ram_write(out, r + RING_AVAIL + 2, entry, 2);
    mmio_write(out, bar_addr(dev, VIRTIO_PCI_MODERN_BAR) +
               VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT, 1, q);
}

/* One op's qtest lines. */
static void emit_op(Input *in, MachineState *ms, GString *out)
{
    {
        uint8_t op = take(in, 1);
        unsigned dev = op >> 3 & 1;
        unsigned sz = op >> 4 & 3;

        switch (op % 8) {
        case 0:     /* PCI configuration write */
            sz = MIN(sz, 2u);
            config_write(out, dev, take(in, 1), sz, take(in, 1u << sz));
            break;
        case 1: {   /* PCI configuration read */
            unsigned reg = take(in, 1);
            sz = MIN(sz, 2u);
            g_string_append_printf(out, "outl 0xcf8 0x%x\nin%c 0x%x\n",
                                   0x80000000u | slots[dev] << 11 | (reg & 0xfc),
                                   size_chr[sz], 0xcfc + (reg & (4 - (1u << sz))));
            break;
        }
        case 2:     /* BAR 4 write: common, ISR, device, notify */
            mmio_write(out, bar_addr(dev, VIRTIO_PCI_MODERN_BAR) +
                       take(in, 2) % VIRTIO_PCI_BAR_SIZE, sz,
                       take(in, 1u << sz));
            break;
        case 3:     /* BAR 4 read */
            g_string_append_printf(out, "read%c 0x%" PRIx64 "\n", size_chr[sz],
                                   bar_addr(dev, VIRTIO_PCI_MODERN_BAR) +
                                   take(in, 2) % VIRTIO_PCI_BAR_SIZE);
            break;
        case 4: {   /* BAR 1 (MSI-X table, PBA) write, or read */
            uint64_t a = bar_addr(dev, VIRTIO_PCI_MSIX_BAR) + take(in, 2) % 0x1000;
            uint8_t rw = take(in, 1);
            if (rw & 1) {
                g_string_append_printf(out, "read%c 0x%" PRIx64 "\n",
                                       size_chr[sz], a);
            } else {
                mmio_write(out, a, sz, take(in, 1u << sz));
            }
            break;
        }
        case 5: {   /* guest RAM write of up to 64 bytes */
            uint8_t buf[64];
            uint64_t addr = take(in, 4) % ms->ram_size;
            unsigned len = take(in, 1) % 64 + 1;
            for (unsigned i = 0; i < len; i++) {
                buf[i] = take(in, 1);
            }
            ram_write(out, addr, buf, len);
            break;
        }
        case 6:     /* a descriptor chain on queue (sz & 1), kicked */
            add_chain(in, out, dev, sz & 1);
            break;
        case 7:
            switch (sz) {
            case 0:
                driver_init(in, out, dev);
                break;
            case 1: {   /* MSI-X enable/mask bits (PCI 3.0, 6.8.2.3) */
                unsigned c = msix_cap(dev);
                if (c) {
                    config_write(out, dev, c + 2, 1, take(in, 2) & 0xc000);
                }
                break;
            }
            case 2:     /* PCI command register: memory, bus master, ... */
                config_write(out, dev, PCI_COMMAND, 1, take(in, 2));
                break;
            case 3:
                g_string_append_printf(out, "clock_step %" PRIu64 "\n",
                                       take(in, 3));
                break;
            }
            break;
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
    memset(avail_idx, 0, sizeof(avail_idx));
    memset(next_desc, 0, sizeof(next_desc));
    /* op by op: where a BAR is depends on the config writes before it */
    while (in.left) {
        g_string_truncate(out, 0);
        emit_op(&in, ms, out);
        fuzz_chardev_feed(chr, (const uint8_t *)out->str, out->len);
    }
    fuzz_machine_settle(ms);
    return 0;
}
