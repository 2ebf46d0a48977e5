/*
 * Firmware tables for direct kernel boot: ACPI (RSDP, RSDT, XSDT, MADT,
 * FADT, FACS, DSDT) and the Intel MP table, built by code into guest
 * memory so SMP guests find every CPU.
 */
#ifndef HW_I386_ACPI_BUILD_H
#define HW_I386_ACPI_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Where the tables go, as SeaBIOS lays them out under QEMU, so the guest
 * sees the same memory map: the ACPI tables in the top 128 KiB of RAM
 * below 4 GiB (reserved in e820), a copy of the RSDP and the MP table in
 * the BIOS area 0xF0000-0xFFFFF where guests scan for them.
 */
#define PC_HIGH_TABLES_SIZE  0x00020000   /* reserved at the top of low RAM */
#define PC_ACPI_TABLES_SIZE  0x00010000   /* of which the ACPI tables use up to */
#define PC_BIOS_AREA_ADDR    0x000f0000
#define PC_RSDP_ADDR         0x000f0000   /* RSDP copy (36 bytes) */
#define PC_RSDP_SIZE         36
#define PC_MPTABLE_ADDR      0x000f1000   /* MP floating pointer + config table */
#define PC_MPTABLE_SIZE      0x00001000

#define PC_IOAPIC_ADDR       0xfec00000
/* The PCI windows: memory from the end of low RAM to here, and I/O. */
#define PC_PCI_MEM_END       0xfebfffffULL
#define PC_PCI_IO_BASE       0xc000
#define PC_PCI_IO_SIZE       0x4000
#define PC_LAPIC_ADDR        0xfee00000
#define PC_ACPI_PM_BASE      0x600        /* PM1a event (4 bytes), PM1a control at +4 */
#define PC_ACPI_SCI_IRQ      9
#define PC_RESET_PORT        0xcf9        /* FADT reset register, value 0x06 */

/*
 * ACPI fixed hardware the VMM implements at PC_ACPI_PM_BASE (ACPI 6.x
 * sections 4.8.3.1-4.8.3.3); ACPI is always enabled (FADT SMI_CMD = 0), so
 * reads of PM1a_CNT should return SCI_EN set.
 *   0x600 PM1a_EVT_BLK, 4 bytes: PM1_STS (16 bit) then PM1_EN (16 bit);
 *         the power button is a fixed feature (PWRBTN_STS/EN, bit 8).
 *   0x604 PM1a_CNT_BLK, 2 bytes: SCI_EN bit 0, SLP_TYP bits 12:10,
 *         SLP_EN bit 13.  The DSDT's \_S5 gives SLP_TYP 0, the value
 *         QEMU's PIIX4 PM uses for soft-off, so guests written for QEMU's
 *         pc power off here too: PC_ACPI_PM1_CNT_S5 (0x2000).
 *   0x608 PM_TMR_BLK, 4 bytes: 24-bit 3.579545 MHz counter (FADT
 *         TMR_VAL_EXT clear).
 */
#define PC_ACPI_PM1_EVT_ADDR (PC_ACPI_PM_BASE + 0)
#define PC_ACPI_PM1_CNT_ADDR (PC_ACPI_PM_BASE + 4)
#define PC_ACPI_PM_TMR_ADDR  (PC_ACPI_PM_BASE + 8)
#define PC_ACPI_SLP_TYP_S5   0
#define PC_ACPI_SLP_TYP_S0   0
#define PC_ACPI_PM1_CNT_S5   ((PC_ACPI_SLP_TYP_S5 << 10) | (1 << 13))

/*
 * ISA IRQs the MADT and MP table declare level-triggered, active-high (the
 * PCI INTx links and the SCI), as QEMU's pc machine does; the others are
 * edge-triggered and ISA IRQ 0 (the PIT) arrives on I/O APIC pin 2.
 */
#define PC_LEVEL_IRQ_MASK    ((1u << 5) | (1u << 9) | (1u << 10) | (1u << 11))

typedef struct PCFirmwareConfig {
    unsigned nr_cpus;
    const uint32_t *apic_ids;   /* nr_cpus entries, the BSP first */
    uint32_t ioapic_id;         /* QEMU uses 0 */
    /*
     * Start of the 32-bit PCI memory window [pci_hole_start, 0xfebfffff]
     * in the DSDT: the end of RAM below 4 GiB (for pc, QEMU puts it at
     * 3 GiB when RAM is larger, the rest going above 4 GiB).
     */
    uint64_t pci_hole_start;
} PCFirmwareConfig;

/*
 * Build the ACPI tables for a table area that the guest sees at guest
 * physical address base (buf is the host view of that area, len bytes).
 * Returns the number of bytes used, 0 if they do not fit (buf is then left
 * untouched).  The RSDP is at offset 0; base must be 16-byte aligned and
 * the area below 4 GiB.
 */
size_t pc_build_acpi(uint8_t *buf, size_t len, uint64_t base,
                     const PCFirmwareConfig *cfg);
/* Same for the MP floating pointer structure and configuration table. */
size_t pc_build_mptable(uint8_t *buf, size_t len, uint64_t base,
                        const PCFirmwareConfig *cfg);
/* 8-bit checksum: returns the byte that makes sum(buf[0..len)) == 0. */
uint8_t acpi_checksum(const uint8_t *buf, size_t len);

#endif
