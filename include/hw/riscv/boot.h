/*
 * Direct kernel boot on RISC-V, placed as QEMU 7.2 places things
 * (hw/riscv/boot.c there) with no firmware (-bios none): the kernel at
 * the start of RAM plus the Image header's text_offset (2 MiB-aligned),
 * or where its ELF program headers say; the initrd halfway into RAM
 * (at most 128 MiB above the kernel); the FDT at the end of RAM below
 * 3 GiB, 2 MiB-aligned down.  Pure functions over a guest RAM window.
 */
#ifndef HW_RISCV_BOOT_H
#define HW_RISCV_BOOT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* The RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst). */
#define RISCV_IMAGE_MAGIC2      0x05435352u    /* "RSC\x05" at offset 56 */
#define RISCV_IMAGE_HEADER_SIZE 64

/*
 * Copy the kernel into ram (the guest's [ram_base, ram_base+ram_size)).
 * Sets *entry and *end (guest addresses).  Errors name the problem.
 */
bool riscv_load_kernel(uint8_t *ram, uint64_t ram_base, uint64_t ram_size,
                       const uint8_t *image, size_t size,
                       uint64_t *entry, uint64_t *end, GError **errp);
/* Where the initrd goes, or 0 with *errp set if it does not fit. */
uint64_t riscv_initrd_addr(uint64_t ram_base, uint64_t ram_size,
                           uint64_t kernel_entry, uint64_t kernel_end,
                           uint64_t initrd_size, GError **errp);
uint64_t riscv_fdt_addr(uint64_t ram_base, uint64_t ram_size,
                        uint64_t fdt_size);

#endif
