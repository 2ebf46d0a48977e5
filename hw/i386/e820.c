/*
 * The e820 memory map of the pc machine: RAM split around the legacy
 * hole and the PCI hole, with the areas our boot tables and KVM use
 * marked reserved.
 */
#include "hw/i386/pc.h"
#include "hw/i386/acpi-build.h"

/* KVM's TSS and identity map pages (target/i386/kvm.c) */
#define KVM_RESERVED_START 0xfeffc000ULL
#define KVM_RESERVED_END   0xff000000ULL
#define EBDA_START         0x9fc00ULL
#define LOW_RAM_END        0xa0000ULL
#define HIGH_MEM_START     0x100000ULL
#define BIOS_ROM_START     0xfffc0000ULL     /* the flash window QEMU reserves */
/* QEMU 7.2 reserves AMD's HyperTransport range for AMD guest CPUs */
#define AMD_HT_START       0xfd00000000ULL
#define AMD_HT_SIZE        0x0300000000ULL

static void add(GArray *a, uint64_t start, uint64_t end, uint32_t type)
{
    E820Entry e = { start, end - start, type };

    if (end > start) {
        g_array_append_val(a, e);
    }
}

/*
 * The same map QEMU 7.2 + SeaBIOS give a pc guest, so guests that print
 * it see no difference: RAM to the EBDA, the BIOS area, RAM to the high
 * tables, KVM's pages, the flash window, RAM above 4 GiB, and on AMD the
 * HyperTransport hole.
 */
E820Entry *pc_e820_table(MachineState *ms, bool amd_ht_hole, size_t *nr)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(E820Entry));
    uint64_t low = ms->below_4g_mem_size;
    uint64_t tables = low - PC_HIGH_TABLES_SIZE;

    add(a, 0, MIN(low, EBDA_START), E820_RAM);
    add(a, EBDA_START, LOW_RAM_END, E820_RESERVED);
    /* the RSDP copy and the MP table live here, where guests scan */
    add(a, PC_BIOS_AREA_ADDR, HIGH_MEM_START, E820_RESERVED);
    add(a, HIGH_MEM_START, tables, E820_RAM);
    add(a, tables, low, E820_RESERVED);          /* ACPI tables */
    add(a, KVM_RESERVED_START, KVM_RESERVED_END, E820_RESERVED);
    add(a, BIOS_ROM_START, 1ULL << 32, E820_RESERVED);
    if (ms->above_4g_mem_size) {
        add(a, 1ULL << 32, (1ULL << 32) + ms->above_4g_mem_size, E820_RAM);
    }
    if (amd_ht_hole) {
        add(a, AMD_HT_START, AMD_HT_START + AMD_HT_SIZE, E820_RESERVED);
    }
    *nr = a->len;
    return (E820Entry *)g_array_free(a, FALSE);
}
