/*
 * Direct kernel boot for x86: Linux bzImage, PVH ELF and multiboot v1.
 *
 * The loaders are pure functions of the image bytes and a view of guest
 * RAM: they copy the kernel, initrd/modules, command line and boot
 * information structures into guest memory and describe the register
 * state the vCPU must start with.  They never touch KVM, so unit tests
 * feed them crafted images.
 */
#ifndef HW_I386_X86_BOOT_H
#define HW_I386_X86_BOOT_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed low-memory layout used by direct kernel boot (below 640 KiB). */
#define X86_BOOT_GDT_ADDR        0x00000500  /* boot GDT, written at reset */
#define X86_BOOT_STACK_TOP       0x00007000  /* initial stack pointer */
#define X86_BOOT_ZERO_PAGE_ADDR  0x00007000  /* Linux boot_params */
#define X86_BOOT_PAGE_TABLE_ADDR 0x00009000  /* identity map for 64-bit entry: 6 pages */
#define X86_BOOT_INFO_ADDR       0x00010000  /* multiboot info / PVH start_info, 64 KiB */
#define X86_BOOT_INFO_SIZE       0x00010000
#define X86_BOOT_CMDLINE_ADDR    0x00020000  /* kernel command line, up to 64 KiB */
#define X86_BOOT_CMDLINE_MAX     0x00010000
/* End of the structures above: no kernel segment may start below it. */
#define X86_BOOT_LOW_END         (X86_BOOT_CMDLINE_ADDR + X86_BOOT_CMDLINE_MAX)
/*
 * Initrds and modules load at or above 1 MiB, and kernel segments that
 * reach above it must be e820 RAM there.  Segments below 1 MiB (QEMU
 * loads them too) may use RAM down to X86_BOOT_LOW_END, clear of the
 * firmware tables (X86BootRAM.avoid).
 */
#define X86_BOOT_HIGH_ADDR       0x00100000

/* e820 entry types (ACPI spec, "Address Range Types") */
#define E820_RAM       1
#define E820_RESERVED  2
#define E820_ACPI      3
#define E820_NVS       4

typedef struct E820Entry {
    uint64_t addr, size;
    uint32_t type;
} E820Entry;

/* How the loader sees the guest: RAM and its memory map. */
typedef struct X86BootRAM {
    /* Host pointer to [gpa, gpa+len) if that range is guest RAM, else NULL. */
    void *(*gpa_to_hva)(void *opaque, uint64_t gpa, uint64_t len);
    void *opaque;
    uint64_t below_4g;          /* RAM at [0, below_4g) */
    uint64_t above_4g;          /* RAM at [4 GiB, 4 GiB + above_4g) */
    const E820Entry *e820;      /* the map reported to the guest */
    size_t e820_nr;
    uint64_t rsdp_addr;         /* ACPI RSDP guest address, 0 if none */
    const E820Entry *avoid;     /* firmware tables no segment may overwrite */
    size_t avoid_nr;
} X86BootRAM;

typedef enum X86BootMode {
    X86_BOOT_MODE_PROT32,      /* flat 32-bit protected mode, paging off */
    X86_BOOT_MODE_LONG64,      /* long mode, identity map of the low 4 GiB */
} X86BootMode;

/* The vCPU state a loader asks for; every other register is zero. */
typedef struct X86BootEntry {
    X86BootMode mode;
    uint64_t rip;
    uint64_t rax, rbx, rsi;
    const char *protocol;      /* "multiboot", "pvh", "linux": for messages */
} X86BootEntry;

typedef struct X86BootImages {
    const uint8_t *kernel;     /* whole kernel file */
    size_t kernel_size;
    const char *kernel_name;   /* file name, for messages */
    const char *cmdline;       /* -append, never NULL ("" when absent) */
    /*
     * -initrd: for Linux and PVH one file (several are concatenated, each
     * padded to 4 bytes, as one initrd); for multiboot each file is a
     * module ("-initrd 'a arg,b'": the module's string is its argument).
     */
    size_t nr_initrd;
    const uint8_t **initrd;
    const size_t *initrd_size;
    const char **initrd_name;  /* module command lines / file names */
} X86BootImages;

/*
 * Detect the format (multiboot header in the first 8 KiB, PVH ELF note,
 * Linux "HdrS" header) and load it.  A truncated or inconsistent image,
 * a segment outside RAM, or an overlap gives a one-line error.
 */
bool x86_load_kernel(const X86BootImages *img, const X86BootRAM *ram,
                     X86BootEntry *entry, GError **errp);

#endif
