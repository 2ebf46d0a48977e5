/*
 * Unit tests for hw/riscv/boot.c: crafted RISC-V Linux Images and ELF
 * kernels placed into a fake guest RAM at 0x80000000, and the initrd/FDT
 * placement rules (QEMU 7.2's).
 */
#include "hw/riscv/boot.h"
#include "qemu/error-report.h"

#include <elf.h>
#include <string.h>

#define MiB         (UINT64_C(1) << 20)
#define RAM_BASE    UINT64_C(0x80000000)

static void put64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_LE(v);
    memcpy(p, &v, 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p, &v, 4);
}

static uint8_t *image_new(size_t size, uint64_t text_offset, uint64_t image_size)
{
    uint8_t *img = g_malloc0(size);

    put64(img + 8, text_offset);
    put64(img + 16, image_size);
    put32(img + 56, RISCV_IMAGE_MAGIC2);
    memset(img + RISCV_IMAGE_HEADER_SIZE, 0xab, size - RISCV_IMAGE_HEADER_SIZE);
    return img;
}

static void test_image_text_offset(void)
{
    g_autofree uint8_t *ram = g_malloc0(16 * MiB);
    g_autofree uint8_t *img = image_new(4096, 0x200000, 0x100000);
    g_autoptr(GError) err = NULL;
    uint64_t entry, end;

    g_assert_true(riscv_load_kernel(ram, RAM_BASE, 16 * MiB, img, 4096,
                                    &entry, &end, &err));
    g_assert_no_error(err);
    g_assert_cmphex(entry, ==, RAM_BASE + 0x200000);
    g_assert_cmphex(end, ==, RAM_BASE + 0x200000 + 0x100000);   /* image_size */
    g_assert_cmpmem(ram + 0x200000, 4096, img, 4096);
    g_assert_cmpuint(ram[0x1fffff], ==, 0);
}

/* A text_offset that is not 2 MiB-aligned is rounded up (rv64 mapping). */
static void test_image_alignment(void)
{
    g_autofree uint8_t *ram = g_malloc0(16 * MiB);
    g_autofree uint8_t *img = image_new(4096, 0x1000, 0);
    uint64_t entry, end;

    g_assert_true(riscv_load_kernel(ram, RAM_BASE, 16 * MiB, img, 4096,
                                    &entry, &end, NULL));
    g_assert_cmphex(entry, ==, RAM_BASE + 2 * MiB);
    g_assert_cmphex(end, ==, entry + 4096);     /* image_size below file size */
}

static void test_image_too_big(void)
{
    g_autofree uint8_t *ram = g_malloc0(4 * MiB);
    g_autofree uint8_t *img = image_new(4096, 0x200000, 3 * MiB);
    g_autoptr(GError) err = NULL;
    uint64_t entry, end;

    g_assert_false(riscv_load_kernel(ram, RAM_BASE, 4 * MiB, img, 4096,
                                     &entry, &end, &err));
    g_assert_nonnull(strstr(err->message, "does not fit in RAM"));
}

/* One PT_LOAD with .bss: copied to p_paddr, the rest zeroed. */
static uint8_t *elf_new(size_t *size, uint16_t machine, uint64_t paddr)
{
    size_t sz = 0x2000;
    uint8_t *f = g_malloc0(sz);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)f;
    Elf64_Phdr *ph = (Elf64_Phdr *)(f + sizeof(*eh));

    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_machine = machine;
    eh->e_entry = paddr + 0x10;
    eh->e_phoff = sizeof(*eh);
    eh->e_phentsize = sizeof(*ph);
    eh->e_phnum = 1;
    ph->p_type = PT_LOAD;
    ph->p_offset = 0x1000;
    ph->p_paddr = paddr;
    ph->p_filesz = 0x1000;
    ph->p_memsz = 0x3000;
    memset(f + 0x1000, 0xcd, 0x1000);
    *size = sz;
    return f;
}

static void test_elf(void)
{
    g_autofree uint8_t *ram = g_malloc0(16 * MiB);
    size_t size;
    g_autofree uint8_t *elf = elf_new(&size, EM_RISCV, RAM_BASE + 0x400000);
    uint64_t entry, end;

    memset(ram + 0x401000, 0xff, 0x2000);       /* .bss must be cleared */
    g_assert_true(riscv_load_kernel(ram, RAM_BASE, 16 * MiB, elf, size,
                                    &entry, &end, NULL));
    g_assert_cmphex(entry, ==, RAM_BASE + 0x400010);
    g_assert_cmphex(end, ==, RAM_BASE + 0x403000);
    g_assert_cmpuint(ram[0x400000], ==, 0xcd);
    g_assert_cmpuint(ram[0x400fff], ==, 0xcd);
    g_assert_cmpuint(ram[0x401000], ==, 0);
    g_assert_cmpuint(ram[0x402fff], ==, 0);
}

static void test_elf_rejected(void)
{
    g_autofree uint8_t *ram = g_malloc0(16 * MiB);
    size_t size;
    g_autofree uint8_t *x86 = elf_new(&size, EM_X86_64, RAM_BASE);
    g_autofree uint8_t *low = elf_new(&size, EM_RISCV, 0x1000);
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
    uint64_t entry, end;

    g_assert_false(riscv_load_kernel(ram, RAM_BASE, 16 * MiB, x86, size,
                                     &entry, &end, &e1));
    g_assert_nonnull(strstr(e1->message, "not a 64-bit little-endian RISC-V"));
    g_assert_false(riscv_load_kernel(ram, RAM_BASE, 16 * MiB, low, size,
                                     &entry, &end, &e2));
    g_assert_nonnull(strstr(e2->message, "outside RAM"));
    /* program headers past the end of the file */
    ((Elf64_Ehdr *)low)->e_phoff = size - 8;
    ((Elf64_Ehdr *)low)->e_machine = EM_RISCV;
    g_assert_false(riscv_load_kernel(ram, RAM_BASE, 16 * MiB, low, size,
                                     &entry, &end, &e3));
    g_assert_nonnull(strstr(e3->message, "outside the file"));
}

static void test_initrd_and_fdt_placement(void)
{
    g_autoptr(GError) err = NULL;
    uint64_t k = RAM_BASE + 2 * MiB;

    /* below 256 MiB of RAM: half way; from 256 MiB on: 128 MiB in */
    g_assert_cmphex(riscv_initrd_addr(RAM_BASE, 128 * MiB, k, k + MiB, MiB,
                                      NULL), ==, k + 64 * MiB);
    g_assert_cmphex(riscv_initrd_addr(RAM_BASE, 1024 * MiB, k, k + MiB, MiB,
                                      NULL), ==, k + 128 * MiB);
    /* never inside the kernel's image_size */
    g_assert_cmphex(riscv_initrd_addr(RAM_BASE, 128 * MiB, k, k + 80 * MiB,
                                      MiB, NULL), ==, k + 80 * MiB);
    g_assert_cmphex(riscv_initrd_addr(RAM_BASE, 128 * MiB, k, k + MiB,
                                      100 * MiB, &err), ==, 0);
    g_assert_nonnull(strstr(err->message, "does not fit"));
    /* FDT: end of RAM, 2 MiB-aligned down, below 3 GiB */
    g_assert_cmphex(riscv_fdt_addr(RAM_BASE, 256 * MiB, 0x2000), ==,
                    RAM_BASE + 254 * MiB);
    g_assert_cmphex(riscv_fdt_addr(RAM_BASE, 4096 * MiB, 0x2000), ==,
                    3072 * MiB - 2 * MiB);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/riscv-boot/image/text-offset", test_image_text_offset);
    g_test_add_func("/riscv-boot/image/alignment", test_image_alignment);
    g_test_add_func("/riscv-boot/image/too-big", test_image_too_big);
    g_test_add_func("/riscv-boot/elf/load", test_elf);
    g_test_add_func("/riscv-boot/elf/rejected", test_elf_rejected);
    g_test_add_func("/riscv-boot/placement", test_initrd_and_fdt_placement);
    return g_test_run();
}
