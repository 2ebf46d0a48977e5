/*
 * Intel MultiProcessor Specification 1.4 tables (chapter 4): the MP
 * floating pointer structure followed by the base MP configuration table.
 * Linux uses them when ACPI is off (acpi=off) or absent.
 */
#include "hw/i386/acpi-build.h"
#include "hw/i386/fw-table.h"

#include <glib.h>
#include <string.h>

#define MP_SPEC_REV         4       /* 1.4 */
#define MP_FPS_SIZE         16
#define MP_HEADER_SIZE      44

/* 4.3, Table 4-3: entry types, in the order they must appear */
#define MP_PROCESSOR        0
#define MP_BUS              1
#define MP_IOAPIC           2
#define MP_IOINTR           3
#define MP_LINTR            4

#define MP_CPU_EN           (1 << 0)    /* 4.3.1: CPU flags */
#define MP_CPU_BP           (1 << 1)
#define MP_CPU_SIGNATURE    0x600       /* family 6, model 0, stepping 0 */
#define MP_CPU_FEATURES     0x201       /* CPUID.1:EDX FPU | APIC */
#define MP_LAPIC_VERSION    0x14        /* integrated xAPIC */
#define MP_IOAPIC_VERSION   0x11
#define MP_IOAPIC_EN        (1 << 0)

/* 4.3.4, Table 4-9: interrupt types; flags as ACPI's MPS INTI flags */
#define MP_INT              0
#define MP_NMI              1
#define MP_EXTINT           3
#define MP_IRQ_ACTIVE_HIGH  (1 << 0)
#define MP_IRQ_LEVEL        (3 << 2)
#define MP_ALL_LAPICS       0xff

#define MP_ISA_BUS          0

/* 4.3.1: Processor Entry, 20 bytes. */
static void put_processor(GByteArray *t, uint8_t apic_id, bool bsp)
{
    fw_put_le(t, MP_PROCESSOR, 1);
    fw_put_le(t, apic_id, 1);
    fw_put_le(t, MP_LAPIC_VERSION, 1);
    fw_put_le(t, MP_CPU_EN | (bsp ? MP_CPU_BP : 0), 1);
    fw_put_le(t, MP_CPU_SIGNATURE, 4);
    fw_put_le(t, MP_CPU_FEATURES, 4);
    fw_put_le(t, 0, 8);                            /* reserved */
}

/* 4.3.4 I/O and 4.3.5 Local Interrupt Assignment Entries, 8 bytes. */
static void put_intr(GByteArray *t, uint8_t entry, uint8_t type,
                     uint16_t flags, uint8_t src_irq, uint8_t dst_id,
                     uint8_t dst_pin)
{
    fw_put_le(t, entry, 1);
    fw_put_le(t, type, 1);
    fw_put_le(t, flags, 2);
    fw_put_le(t, MP_ISA_BUS, 1);                   /* source bus id */
    fw_put_le(t, src_irq, 1);
    fw_put_le(t, dst_id, 1);                       /* I/O or local APIC id */
    fw_put_le(t, dst_pin, 1);                      /* INTIN# or LINTIN# */
}

/* 4.2: MP Configuration Table, header then entries sorted by type. */
static void build_config_table(GByteArray *t, const PCFirmwareConfig *cfg)
{
    unsigned count = 0;

    fw_put_str(t, "PCMP", 4);
    fw_put_le(t, 0, 2);                            /* base table length */
    fw_put_le(t, MP_SPEC_REV, 1);
    fw_put_le(t, 0, 1);                            /* checksum */
    fw_put_str(t, "QKVM    ", 8);                  /* OEM ID */
    fw_put_str(t, "QKVMPC      ", 12);             /* product ID */
    fw_put_le(t, 0, 4);                            /* OEM table pointer */
    fw_put_le(t, 0, 2);                            /* OEM table size */
    fw_put_le(t, 0, 2);                            /* entry count */
    fw_put_le(t, PC_LAPIC_ADDR, 4);
    fw_put_le(t, 0, 2);                            /* extended table length */
    fw_put_le(t, 0, 1);                            /* extended table checksum */
    fw_put_le(t, 0, 1);                            /* reserved */
    g_assert(t->len == MP_HEADER_SIZE);

    /* APIC ids are 8 bits here: CPUs beyond that are ACPI-only. */
    for (unsigned i = 0; i < cfg->nr_cpus; i++) {
        if (cfg->apic_ids[i] < 0xff) {
            put_processor(t, cfg->apic_ids[i], i == 0);
            count++;
        }
    }

    fw_put_le(t, MP_BUS, 1);                       /* 4.3.2: Bus Entry */
    fw_put_le(t, MP_ISA_BUS, 1);
    fw_put_str(t, "ISA   ", 6);
    count++;

    fw_put_le(t, MP_IOAPIC, 1);                    /* 4.3.3: I/O APIC Entry */
    fw_put_le(t, cfg->ioapic_id, 1);
    fw_put_le(t, MP_IOAPIC_VERSION, 1);
    fw_put_le(t, MP_IOAPIC_EN, 1);
    fw_put_le(t, PC_IOAPIC_ADDR, 4);
    count++;

    /* ISA IRQ n on pin n, except the PIT (IRQ 0) on pin 2. */
    for (unsigned irq = 0; irq < 16; irq++) {
        uint16_t flags = 0;                     /* conforms to ISA */

        if (irq == 2) {
            continue;
        }
        if (PC_LEVEL_IRQ_MASK & (1u << irq)) {
            flags = MP_IRQ_LEVEL | MP_IRQ_ACTIVE_HIGH;  /* as in the MADT */
        }
        put_intr(t, MP_IOINTR, MP_INT, flags, irq, cfg->ioapic_id,
                 irq ? irq : 2);
        count++;
    }

    /* Virtual wire: the 8259 on LINT0, NMI on LINT1 of every CPU. */
    put_intr(t, MP_LINTR, MP_EXTINT, 0, 0, MP_ALL_LAPICS, 0);
    put_intr(t, MP_LINTR, MP_NMI, 0, 0, MP_ALL_LAPICS, 1);
    count += 2;

    t->data[4] = t->len;
    t->data[5] = t->len >> 8;
    t->data[34] = count;
    t->data[35] = count >> 8;
    t->data[7] = acpi_checksum(t->data, t->len);
}

/* 4.1: MP Floating Pointer Structure, 16 bytes, 16-byte aligned. */
static void build_floating_pointer(GByteArray *t, uint64_t config_addr)
{
    fw_put_str(t, "_MP_", 4);
    fw_put_le(t, config_addr, 4);
    fw_put_le(t, 1, 1);                            /* length in 16-byte units */
    fw_put_le(t, MP_SPEC_REV, 1);
    fw_put_le(t, 0, 1);                            /* checksum */
    fw_put_le(t, 0, 1);                            /* feature 1: table present */
    fw_put_le(t, 0, 4);                            /* feature 2-5: IMCRP clear */
    t->data[10] = acpi_checksum(t->data, MP_FPS_SIZE);
}

size_t pc_build_mptable(uint8_t *buf, size_t len, uint64_t base,
                        const PCFirmwareConfig *cfg)
{
    g_autoptr(GByteArray) fps = g_byte_array_new();
    g_autoptr(GByteArray) table = g_byte_array_new();

    g_assert((base & 15) == 0);
    build_floating_pointer(fps, base + MP_FPS_SIZE);
    build_config_table(table, cfg);
    g_assert(table->len <= UINT16_MAX &&
             base + fps->len + table->len <= UINT32_MAX);
    if (fps->len + table->len > len) {
        return 0;
    }
    memcpy(buf, fps->data, fps->len);
    memcpy(buf + fps->len, table->data, table->len);
    return fps->len + table->len;
}
