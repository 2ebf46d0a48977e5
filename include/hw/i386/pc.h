/*
 * The `pc` machine (i440FX-like, no firmware: direct kernel boot).
 */
#ifndef HW_I386_PC_H
#define HW_I386_PC_H

#include "hw/boards.h"
#include "hw/irq.h"
#include "hw/i386/x86-boot.h"
#include "hw/i386/pc-firmware.h"

#define PC_PCI_HOLE_START  0xc0000000ULL   /* RAM below 4 GiB ends here at most */
#define PC_MAX_SERIAL      4

typedef struct FWCfgState FWCfgState;
typedef struct ACPIPMState ACPIPMState;

typedef struct PCMachineState {
    qemu_irq isa_irq[16];
    FWCfgState *fw_cfg;
    ACPIPMState *acpi_pm;
    E820Entry *e820;
    size_t e820_nr;
    uint32_t *apic_ids;
    /* -kernel/-initrd contents, kept for reloading at every reset */
    X86BootImages images;
    GPtrArray *image_buffers;
    X86BootEntry boot;
    uint64_t acpi_addr;         /* the ACPI tables, in the top of low RAM */
    PCFirmware firmware;        /* -bios / -drive if=pflash, if given */
} PCMachineState;

/* e820.c: the memory map reported to the guest, from the RAM layout */
E820Entry *pc_e820_table(MachineState *ms, bool amd_ht_hole, size_t *nr);

/* Device constructors used by the machine. */
bool pc_cmos_init(MachineState *ms, GError **errp);
bool pc_i440fx_init(MachineState *ms, GError **errp);
bool pc_kbd_reset_init(MachineState *ms, GError **errp);
bool pc_ioport80_init(MachineState *ms, GError **errp);

#endif
