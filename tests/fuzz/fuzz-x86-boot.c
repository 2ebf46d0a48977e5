/*
 * The x86 kernel loaders (hw/i386/x86-boot.c): the input is a kernel file
 * (multiboot, PVH ELF or Linux bzImage, detected as -kernel does), loaded
 * with a command line and one initrd into 32 MiB of RAM with a realistic
 * e820 map and firmware tables to avoid.
 */
#include "fuzz.h"
#include "hw/i386/x86-boot.h"

#include <glib.h>
#include <string.h>

#define RAM_SIZE (32u << 20)

static uint8_t *ram;

static void *gpa_to_hva(void *opaque, uint64_t gpa, uint64_t len)
{
    if (gpa > RAM_SIZE || len > RAM_SIZE - gpa) {
        return NULL;
    }
    return ram + gpa;
}

static const E820Entry e820[] = {
    { 0, 0x9fc00, E820_RAM },
    { 0x9fc00, 0x400, E820_RESERVED },
    { 0xf0000, 0x10000, E820_RESERVED },
    { 0x100000, RAM_SIZE - 0x100000, E820_RAM },
};
static const E820Entry avoid[] = { { 0xf0000, 0x10000, E820_RESERVED } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t initrd_data[64] = { 0x11 };
    const uint8_t *initrd[] = { initrd_data };
    const size_t initrd_size[] = { sizeof(initrd_data) };
    const char *initrd_name[] = { "mod arg" };
    X86BootImages img = {
        .kernel = data, .kernel_size = size, .kernel_name = "fuzz",
        .cmdline = "console=ttyS0", .nr_initrd = 1, .initrd = initrd,
        .initrd_size = initrd_size, .initrd_name = initrd_name,
    };
    X86BootRAM r = {
        .gpa_to_hva = gpa_to_hva, .below_4g = RAM_SIZE,
        .e820 = e820, .e820_nr = G_N_ELEMENTS(e820), .rsdp_addr = 0xf0000,
        .avoid = avoid, .avoid_nr = G_N_ELEMENTS(avoid),
    };
    X86BootEntry entry;
    g_autoptr(GError) err = NULL;

    if (!ram) {
        ram = g_malloc0(RAM_SIZE);
    }
    x86_load_kernel(&img, &r, &entry, &err);
    return 0;
}
