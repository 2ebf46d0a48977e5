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
#define BIOS_AREA_START    0xe0000ULL
#define HIGH_MEM_START     0x100000ULL

static void add(GArray *a, uint64_t start, uint64_t end, uint32_t type)
{
    E820Entry e = { start, end - start, type };

    if (end > start) {
        g_array_append_val(a, e);
    }
}

E820Entry *pc_e820_table(MachineState *ms, size_t *nr)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(E820Entry));
    uint64_t low = ms->below_4g_mem_size;

    add(a, 0, MIN(low, EBDA_START), E820_RAM);
    add(a, EBDA_START, LOW_RAM_END, E820_RESERVED);
    /* ACPI tables and the MP table live here, where guests scan for them */
    add(a, BIOS_AREA_START, HIGH_MEM_START, E820_RESERVED);
    add(a, HIGH_MEM_START, low, E820_RAM);
    add(a, KVM_RESERVED_START, KVM_RESERVED_END, E820_RESERVED);
    if (ms->above_4g_mem_size) {
        add(a, 1ULL << 32, (1ULL << 32) + ms->above_4g_mem_size, E820_RAM);
    }
    *nr = a->len;
    return (E820Entry *)g_array_free(a, FALSE);
}
