/*
 * RISC-V direct kernel boot: image placement (include/hw/riscv/boot.h).
 */
#include "hw/riscv/boot.h"
#include "qemu/error-report.h"

#include <elf.h>
#include <inttypes.h>
#include <string.h>

#define MiB (UINT64_C(1) << 20)

static uint64_t ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_LE(v);
}

static uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return GUINT32_FROM_LE(v);
}

/* [gpa, gpa+len) inside RAM? */
static bool in_ram(uint64_t ram_base, uint64_t ram_size, uint64_t gpa,
                   uint64_t len)
{
    return gpa >= ram_base && gpa - ram_base <= ram_size &&
           len <= ram_size - (gpa - ram_base);
}

static bool load_elf(uint8_t *ram, uint64_t ram_base, uint64_t ram_size,
                     const uint8_t *image, size_t size, uint64_t *entry,
                     uint64_t *end, GError **errp)
{
    Elf64_Ehdr eh;

    if (size < sizeof(eh)) {
        error_setg(errp, "kernel ELF header is truncated");
        return false;
    }
    memcpy(&eh, image, sizeof(eh));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        eh.e_machine != EM_RISCV) {
        error_setg(errp, "kernel ELF is not a 64-bit little-endian RISC-V image");
        return false;
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > size ||
        (size - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum) {
        error_setg(errp, "kernel ELF program headers lie outside the file");
        return false;
    }
    *end = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, image + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) {
            continue;
        }
        if (ph.p_filesz > ph.p_memsz || ph.p_offset > size ||
            ph.p_filesz > size - ph.p_offset) {
            error_setg(errp, "kernel ELF segment %u lies outside the file", i);
            return false;
        }
        if (!in_ram(ram_base, ram_size, ph.p_paddr, ph.p_memsz)) {
            error_setg(errp, "kernel ELF segment %u (0x%" PRIx64 ", 0x%"
                       PRIx64 " bytes) is outside RAM", i,
                       (uint64_t)ph.p_paddr, (uint64_t)ph.p_memsz);
            return false;
        }
        memcpy(ram + (ph.p_paddr - ram_base), image + ph.p_offset,
               ph.p_filesz);
        memset(ram + (ph.p_paddr - ram_base) + ph.p_filesz, 0,
               ph.p_memsz - ph.p_filesz);
        *end = MAX(*end, ph.p_paddr + ph.p_memsz);
    }
    if (*end == 0) {
        error_setg(errp, "kernel ELF has no loadable segment");
        return false;
    }
    *entry = eh.e_entry;
    return true;
}

bool riscv_load_kernel(uint8_t *ram, uint64_t ram_base, uint64_t ram_size,
                       const uint8_t *image, size_t size,
                       uint64_t *entry, uint64_t *end, GError **errp)
{
    uint64_t text_offset = 2 * MiB, image_size = size;

    if (size >= SELFMAG && memcmp(image, ELFMAG, SELFMAG) == 0) {
        return load_elf(ram, ram_base, ram_size, image, size, entry, end,
                        errp);
    }
    if (size >= RISCV_IMAGE_HEADER_SIZE &&
        ld32(image + 56) == RISCV_IMAGE_MAGIC2) {
        /* an Image says where it wants to be and how much it needs */
        text_offset = ld64(image + 8);
        image_size = MAX(ld64(image + 16), size);
    }
    /* rv64 Linux maps itself with 2 MiB pages: keep that alignment */
    text_offset = (text_offset + 2 * MiB - 1) & ~(2 * MiB - 1);
    if (!in_ram(ram_base, ram_size, ram_base + text_offset, image_size)) {
        error_setg(errp, "kernel image (%" PRIu64 " bytes at offset 0x%"
                   PRIx64 ") does not fit in RAM (%" PRIu64 " MiB)",
                   image_size, text_offset, ram_size / MiB);
        return false;
    }
    memcpy(ram + text_offset, image, size);
    *entry = ram_base + text_offset;
    *end = *entry + image_size;
    return true;
}

uint64_t riscv_initrd_addr(uint64_t ram_base, uint64_t ram_size,
                           uint64_t kernel_entry, uint64_t kernel_end,
                           uint64_t initrd_size, GError **errp)
{
    /* QEMU: halfway into RAM, or 128 MiB in from 256 MiB of RAM on, so
     * the decompressing kernel does not clobber it and it stays low */
    uint64_t start = kernel_entry + MIN(ram_size / 2, 128 * MiB);

    start = MAX(start, kernel_end);
    if (!in_ram(ram_base, ram_size, start, initrd_size)) {
        error_setg(errp, "initrd (%" PRIu64 " bytes) does not fit in RAM "
                   "above 0x%" PRIx64, initrd_size, start);
        return 0;
    }
    return start;
}

uint64_t riscv_fdt_addr(uint64_t ram_base, uint64_t ram_size,
                        uint64_t fdt_size)
{
    uint64_t ram_end = ram_base + ram_size;
    /* QEMU: as high as possible, but below 3 GiB for 32-bit reach */
    uint64_t top = ram_base < 3072 * MiB ? MIN(ram_end, 3072 * MiB) : ram_end;

    return (top - fdt_size) & ~(2 * MiB - 1);
}
