/*
 * Direct kernel boot for x86: Linux bzImage, PVH ELF and multiboot v1.
 *
 * References:
 *  - Linux Documentation/arch/x86/boot.rst and zero-page.rst (bzImage)
 *  - Xen xen/include/public/arch-x86/hvm/start_info.h and
 *    xen/include/public/elfnote.h (PVH)
 *  - Multiboot Specification version 0.6.96 (multiboot v1)
 *  - System V ABI, "Object Files" chapter (ELF headers and notes)
 *
 * Every byte of an image is untrusted: offsets and sizes are checked
 * against the file with overflow-safe arithmetic before use, and every
 * guest range is checked with ram->gpa_to_hva() before it is written.
 * A loader writes only the fixed boot area below X86_BOOT_HIGH_ADDR
 * (zero page, boot info, command line) and e820 RAM below 4 GiB above
 * it (kernel, then initrd or modules).
 */
#include "hw/i386/x86-boot.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KiB         1024ULL
#define MiB         (1024 * KiB)
#define GiB         (1024 * MiB)
#define PAGE_SIZE   4096ULL

/* [off, off + len) lies inside [0, size); never overflows. */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* Callers keep x far below 2^63, so this cannot wrap. */
static uint64_t align_up(uint64_t x, uint64_t align)
{
    return (x + align - 1) & ~(align - 1);
}

/* Host view of guest [gpa, gpa + len), or NULL unless it is all RAM. */
static uint8_t *guest_range(const X86BootRAM *ram, uint64_t gpa, uint64_t len)
{
    if (gpa + len < gpa) {
        return NULL;
    }
    return ram->gpa_to_hva(ram->opaque, gpa, len ? len : 1);
}

/* End of the run of (possibly adjacent) e820 RAM entries from @gpa on. */
static uint64_t e820_ram_end(const X86BootRAM *ram, uint64_t gpa)
{
    bool grew = true;

    while (grew) {
        grew = false;
        for (size_t i = 0; i < ram->e820_nr; i++) {
            const E820Entry *e = &ram->e820[i];

            if (e->type == E820_RAM && e->addr <= gpa &&
                e->addr + e->size > gpa) {
                gpa = e->addr + e->size;
                grew = true;
            }
        }
    }
    return gpa;
}

/*
 * Check a range the kernel image or a module will occupy: below 4 GiB
 * (every format here enters in 32-bit mode with 32-bit addresses), backed
 * by guest memory, clear of the loader's own boot structures (below
 * X86_BOOT_LOW_END) and of the firmware tables in ram->avoid.  Above
 * 1 MiB it must be e820 RAM; below, the legacy area (EBDA, BIOS shadow)
 * is allowed, since QEMU loads ELF segments there too and linkers emit
 * header segments just below 1 MiB.  @what names it in messages.
 */
static uint8_t *kernel_target(const X86BootImages *img, const X86BootRAM *ram,
                              const char *what, uint64_t gpa, uint64_t len,
                              GError **errp)
{
    uint64_t high = MAX(gpa, X86_BOOT_HIGH_ADDR);
    uint8_t *hva;

    if (gpa < X86_BOOT_LOW_END) {
        error_setg(errp, "kernel '%s': %s at 0x%" PRIx64 " overlaps the boot "
                   "area below 0x%x", img->kernel_name, what, gpa,
                   X86_BOOT_LOW_END);
        return NULL;
    }
    for (size_t i = 0; i < ram->avoid_nr; i++) {
        const E820Entry *a = &ram->avoid[i];
        if (gpa < a->addr + a->size && a->addr < gpa + len) {
            error_setg(errp, "kernel '%s': %s at 0x%" PRIx64 " size 0x%"
                       PRIx64 " overlaps the firmware tables at 0x%" PRIx64,
                       img->kernel_name, what, gpa, len, a->addr);
            return NULL;
        }
    }
    hva = in_bounds(gpa, len, 4 * GiB) &&
          (gpa + len <= X86_BOOT_HIGH_ADDR ||
           e820_ram_end(ram, high) >= gpa + len)
        ? guest_range(ram, gpa, len) : NULL;
    if (!hva) {
        error_setg(errp, "kernel '%s': %s at 0x%" PRIx64 " size 0x%" PRIx64
                   " lies outside guest RAM below 4 GiB", img->kernel_name,
                   what, gpa, len);
    }
    return hva;
}

/* A bump allocator over one fixed low-memory area (boot info, cmdline). */
typedef struct BootArea {
    uint8_t *hva;
    uint64_t gpa, size, used;
} BootArea;

static bool boot_area_init(BootArea *a, const X86BootRAM *ram, uint64_t gpa,
                           uint64_t size, GError **errp)
{
    a->hva = guest_range(ram, gpa, size);
    if (!a->hva) {
        error_setg(errp, "x86 boot: boot area at 0x%" PRIx64 " size 0x%"
                   PRIx64 " is not guest RAM", gpa, size);
        return false;
    }
    memset(a->hva, 0, size);
    a->gpa = gpa;
    a->size = size;
    a->used = 0;
    return true;
}

/* @len bytes aligned to @align; NULL when the area is full. */
static uint8_t *boot_area_alloc(BootArea *a, uint64_t len, uint64_t align,
                                uint64_t *gpa)
{
    uint64_t off = align_up(a->used, align);

    if (!in_bounds(off, len, a->size)) {
        return NULL;
    }
    a->used = off + len;
    *gpa = a->gpa + off;
    return a->hva + off;
}

/* Copy a string with its NUL; 0 when the area is full. */
static uint64_t boot_area_strdup(BootArea *a, const char *s)
{
    size_t len = strlen(s) + 1;
    uint64_t gpa;
    uint8_t *p = boot_area_alloc(a, len, 1, &gpa);

    if (!p) {
        return 0;
    }
    memcpy(p, s, len);
    return gpa;
}

static bool write_cmdline(const X86BootImages *img, const X86BootRAM *ram,
                          const char *cmdline, GError **errp)
{
    BootArea area;
    size_t len = strlen(cmdline);

    if (len >= X86_BOOT_CMDLINE_MAX) {
        error_setg(errp, "kernel '%s': command line is %zu bytes, at most %u "
                   "fit at 0x%x", img->kernel_name, len,
                   X86_BOOT_CMDLINE_MAX - 1, X86_BOOT_CMDLINE_ADDR);
        return false;
    }
    if (!boot_area_init(&area, ram, X86_BOOT_CMDLINE_ADDR,
                        X86_BOOT_CMDLINE_MAX, errp)) {
        return false;
    }
    boot_area_strdup(&area, cmdline);
    return true;
}

/*
 * The -initrd files laid end to end, each padded with zeros to 4 bytes:
 * Linux accepts a sequence of cpio archives with 4-byte zero padding in
 * between (Documentation/driver-api/early-userspace/buffer-format.rst).
 */
static uint64_t initrd_total_size(const X86BootImages *img)
{
    uint64_t total = 0;

    for (size_t i = 0; i < img->nr_initrd; i++) {
        total = align_up(total, 4) + img->initrd_size[i];
    }
    return total;
}

static void initrd_copy(const X86BootImages *img, uint8_t *dst)
{
    uint64_t off = 0;

    for (size_t i = 0; i < img->nr_initrd; i++) {
        memset(dst + off, 0, align_up(off, 4) - off);
        off = align_up(off, 4);
        memcpy(dst + off, img->initrd[i], img->initrd_size[i]);
        off += img->initrd_size[i];
    }
}

/*
 * Highest page-aligned gpa with [gpa, gpa + size) inside one e820 RAM
 * entry, at or above @low and ending at or below @top; 0 if none (0 is
 * never a valid answer since @low is above the boot area).
 */
static uint64_t place_high(const X86BootRAM *ram, uint64_t size, uint64_t low,
                           uint64_t top)
{
    uint64_t best = 0;

    for (size_t i = 0; i < ram->e820_nr; i++) {
        const E820Entry *e = &ram->e820[i];
        uint64_t lo = MAX(e->addr, low);
        uint64_t hi = MIN(e->addr + e->size, top);
        uint64_t gpa;

        if (e->type != E820_RAM || hi < lo || hi - lo < size) {
            continue;
        }
        gpa = (hi - size) & ~(PAGE_SIZE - 1);
        if (gpa >= lo && gpa > best && guest_range(ram, gpa, size)) {
            best = gpa;
        }
    }
    return best;
}

/* Place and copy the initrd(s) as one blob; *gpa gets its address. */
static bool load_initrd(const X86BootImages *img, const X86BootRAM *ram,
                        uint64_t low, uint64_t top, uint64_t *gpa,
                        uint64_t *size, GError **errp)
{
    *size = initrd_total_size(img);
    *gpa = place_high(ram, *size, low, top);
    if (!*gpa) {
        g_autoptr(GString) names = g_string_new(NULL);

        for (size_t i = 0; i < img->nr_initrd; i++) {
            g_string_append_printf(names, "%s%s", i ? "', '" : "",
                                   img->initrd_name[i]);
        }
        error_setg(errp, "initrd '%s' (0x%" PRIx64 " bytes) does not fit "
                   "below 0x%" PRIx64 " above the kernel's end at 0x%"
                   PRIx64, names->str, *size, top, low);
        return false;
    }
    initrd_copy(img, guest_range(ram, *gpa, *size));
    return true;
}

/* ELF, from the System V ABI "Object Files" chapter. */
#define ELFCLASS32          1
#define ELFCLASS64          2
#define ELFDATA2LSB         1
#define EM_386              3
#define EM_X86_64           62
#define PT_LOAD             1
#define PT_NOTE             4
#define SHT_NOTE            7
#define PN_XNUM             0xffff

typedef struct ElfFile {
    bool is64;
    uint64_t entry, phoff, shoff;
    unsigned phnum, phentsize, shnum, shentsize;
} ElfFile;

typedef struct ElfSeg {
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
} ElfSeg;

static bool is_elf(const X86BootImages *img)
{
    return img->kernel_size >= 4 && !memcmp(img->kernel, "\177ELF", 4);
}

static bool elf_parse(const X86BootImages *img, ElfFile *ef, GError **errp)
{
    const uint8_t *k = img->kernel;
    uint64_t size = img->kernel_size;
    unsigned ehsize, phsize, shsize, machine;

    if (size < 16 || !is_elf(img)) {
        error_setg(errp, "kernel '%s': not an ELF file", img->kernel_name);
        return false;
    }
    ef->is64 = k[4] == ELFCLASS64;
    if ((k[4] != ELFCLASS32 && !ef->is64) || k[5] != ELFDATA2LSB) {
        error_setg(errp, "kernel '%s': not a little-endian ELF32 or ELF64 "
                   "file", img->kernel_name);
        return false;
    }
    ehsize = ef->is64 ? 64 : 52;
    phsize = ef->is64 ? 56 : 32;
    shsize = ef->is64 ? 64 : 40;
    if (size < ehsize) {
        error_setg(errp, "kernel '%s': truncated ELF header", img->kernel_name);
        return false;
    }
    machine = lduw_le_p(k + 18);
    if (machine != EM_386 && machine != EM_X86_64) {
        error_setg(errp, "kernel '%s': ELF machine %u is not i386 or x86-64",
                   img->kernel_name, machine);
        return false;
    }
    ef->entry = ef->is64 ? ldq_le_p(k + 24) : ldl_le_p(k + 24);
    ef->phoff = ef->is64 ? ldq_le_p(k + 32) : ldl_le_p(k + 28);
    ef->shoff = ef->is64 ? ldq_le_p(k + 40) : ldl_le_p(k + 32);
    k += ef->is64 ? 54 : 42;    /* e_phentsize, e_phnum, e_shentsize, e_shnum */
    ef->phentsize = lduw_le_p(k);
    ef->phnum = lduw_le_p(k + 2);
    ef->shentsize = lduw_le_p(k + 4);
    ef->shnum = lduw_le_p(k + 6);

    if (ef->phnum == 0 || ef->phnum == PN_XNUM || ef->phentsize < phsize) {
        error_setg(errp, "kernel '%s': unsupported ELF program header table "
                   "(%u entries of %u bytes)", img->kernel_name, ef->phnum,
                   ef->phentsize);
        return false;
    }
    if (!in_bounds(ef->phoff, (uint64_t)ef->phnum * ef->phentsize, size)) {
        error_setg(errp, "kernel '%s': truncated ELF program header table",
                   img->kernel_name);
        return false;
    }
    /* Section headers only serve to find notes: ignore a bogus table. */
    if (ef->shentsize < shsize ||
        !in_bounds(ef->shoff, (uint64_t)ef->shnum * ef->shentsize, size)) {
        ef->shnum = 0;
    }
    return true;
}

static void elf_seg(const X86BootImages *img, const ElfFile *ef, unsigned i,
                    ElfSeg *s)
{
    const uint8_t *p = img->kernel + ef->phoff + (uint64_t)i * ef->phentsize;

    s->type = ldl_le_p(p);
    if (ef->is64) {
        s->offset = ldq_le_p(p + 8);
        s->vaddr = ldq_le_p(p + 16);
        s->paddr = ldq_le_p(p + 24);
        s->filesz = ldq_le_p(p + 32);
        s->memsz = ldq_le_p(p + 40);
        s->align = ldq_le_p(p + 48);
    } else {
        s->offset = ldl_le_p(p + 4);
        s->vaddr = ldl_le_p(p + 8);
        s->paddr = ldl_le_p(p + 12);
        s->filesz = ldl_le_p(p + 16);
        s->memsz = ldl_le_p(p + 20);
        s->align = ldl_le_p(p + 28);
    }
}

typedef struct LoadRange {
    uint64_t start, end;
    uint8_t *hva;
    const uint8_t *src;
    uint64_t filesz;
} LoadRange;

static int load_range_cmp(const void *a, const void *b)
{
    const LoadRange *ra = a, *rb = b;

    return ra->start < rb->start ? -1 : ra->start > rb->start;
}

/*
 * Check, then copy, the PT_LOAD segments to their p_paddr (bss zeroed).
 * Rejected: a file range outside the file, p_filesz > p_memsz, a target
 * that kernel_target() refuses (boot area, above 4 GiB, not RAM), and
 * segments overlapping each other.  Empty segments are skipped.  *end
 * gets the end of the highest segment.
 */
static bool elf_load_segments(const X86BootImages *img, const X86BootRAM *ram,
                              const ElfFile *ef, uint64_t *end, GError **errp)
{
    g_autofree LoadRange *r = g_new(LoadRange, ef->phnum);
    unsigned n = 0;

    for (unsigned i = 0; i < ef->phnum; i++) {
        char what[32];
        ElfSeg s;

        snprintf(what, sizeof(what), "segment %u", i);
        elf_seg(img, ef, i, &s);
        if (s.type != PT_LOAD) {
            continue;
        }
        if (!in_bounds(s.offset, s.filesz, img->kernel_size)) {
            error_setg(errp, "kernel '%s': %s (offset 0x%" PRIx64 " size 0x%"
                       PRIx64 ") lies outside the file", img->kernel_name,
                       what, s.offset, s.filesz);
            return false;
        }
        if (s.filesz > s.memsz) {
            error_setg(errp, "kernel '%s': %s has p_filesz 0x%" PRIx64
                       " above p_memsz 0x%" PRIx64, img->kernel_name, what,
                       s.filesz, s.memsz);
            return false;
        }
        if (!s.memsz) {
            continue;
        }
        r[n].hva = kernel_target(img, ram, what, s.paddr, s.memsz, errp);
        if (!r[n].hva) {
            return false;
        }
        r[n].start = s.paddr;
        r[n].end = s.paddr + s.memsz;
        r[n].src = img->kernel + s.offset;
        r[n++].filesz = s.filesz;
    }
    if (!n) {
        error_setg(errp, "kernel '%s': ELF file has no loadable segment",
                   img->kernel_name);
        return false;
    }
    qsort(r, n, sizeof(*r), load_range_cmp);
    for (unsigned i = 1; i < n; i++) {
        if (r[i].start < r[i - 1].end) {
            error_setg(errp, "kernel '%s': segments at 0x%" PRIx64 " and 0x%"
                       PRIx64 " overlap", img->kernel_name, r[i - 1].start,
                       r[i].start);
            return false;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        memcpy(r[i].hva, r[i].src, r[i].filesz);
        memset(r[i].hva + r[i].filesz, 0, r[i].end - r[i].start - r[i].filesz);
    }
    *end = r[n - 1].end;
    return true;
}

/* xen/include/public/elfnote.h: 32-bit physical PVH entry point */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/*
 * Look for the "Xen" PHYS32_ENTRY note in the note area [off, off + len)
 * of the file.  A note is namesz, descsz, type (4 bytes each) then name
 * and desc, each padded to the area's alignment (4, or 8 when declared).
 * Returns 1 and sets *entry if found, 0 if absent, -1 if malformed.
 */
static int elf_find_pvh_note(const uint8_t *k, uint64_t off, uint64_t len,
                             uint64_t align, uint64_t *entry)
{
    uint64_t pos = 0;

    align = align == 8 ? 8 : 4;
    while (pos <= len && len - pos >= 12) {
        const uint8_t *n = k + off + pos;
        uint64_t namesz = ldl_le_p(n), descsz = ldl_le_p(n + 4);
        uint64_t desc = pos + 12 + align_up(namesz, align);

        if (!in_bounds(pos + 12, namesz, len) ||
            !in_bounds(desc, descsz, len)) {
            return -1;
        }
        if (ldl_le_p(n + 8) == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
            !memcmp(n + 12, "Xen", 4)) {
            if (descsz != 4 && descsz != 8) {
                return -1;
            }
            *entry = descsz == 4 ? ldl_le_p(k + off + desc)
                                 : ldq_le_p(k + off + desc);
            return 1;
        }
        pos = desc + align_up(descsz, align);
    }
    return 0;
}

/* Search PT_NOTE segments, then SHT_NOTE sections, for the PVH entry. */
static int elf_pvh_entry(const X86BootImages *img, const ElfFile *ef,
                         uint64_t *entry)
{
    const uint8_t *k = img->kernel;
    int ret = 0;

    for (unsigned i = 0; i < ef->phnum && !ret; i++) {
        ElfSeg s;

        elf_seg(img, ef, i, &s);
        if (s.type == PT_NOTE) {
            ret = in_bounds(s.offset, s.filesz, img->kernel_size)
                ? elf_find_pvh_note(k, s.offset, s.filesz, s.align, entry) : -1;
        }
    }
    for (unsigned i = 0; i < ef->shnum && !ret; i++) {
        const uint8_t *sh = k + ef->shoff + (uint64_t)i * ef->shentsize;
        uint64_t off, len, align;

        if (ldl_le_p(sh + 4) != SHT_NOTE) {
            continue;
        }
        off = ef->is64 ? ldq_le_p(sh + 24) : ldl_le_p(sh + 16);
        len = ef->is64 ? ldq_le_p(sh + 32) : ldl_le_p(sh + 20);
        align = ef->is64 ? ldq_le_p(sh + 48) : ldl_le_p(sh + 32);
        ret = in_bounds(off, len, img->kernel_size)
            ? elf_find_pvh_note(k, off, len, align, entry) : -1;
    }
    return ret;
}

/* Multiboot Specification 0.6.96, 3.1.1 "The layout of Multiboot header" */
#define MB_HEADER_MAGIC         0x1BADB002
#define MB_SEARCH_LEN           8192    /* header within the first 8 KiB */
#define MB_HEADER_LEN           12      /* magic, flags, checksum */
#define MB_AOUT_LEN             32      /* + header_addr .. entry_addr */
#define MB_FLAG_PAGE_ALIGN      (1u << 0)
#define MB_FLAG_MEMORY_INFO     (1u << 1)
#define MB_FLAG_VIDEO_MODE      (1u << 2)
#define MB_FLAG_REQUIRED        0x0000ffffu /* 3.1.2: must be honoured */
#define MB_FLAG_AOUT_KLUDGE     (1u << 16)
/* 3.2 "Machine state": EAX at entry */
#define MB_BOOTLOADER_MAGIC     0x2BADB002
/* 3.3 "Boot information format": flags and field offsets */
#define MBI_MEM                 (1u << 0)
#define MBI_BOOT_DEVICE         (1u << 1)
#define MBI_CMDLINE             (1u << 2)
#define MBI_MODS                (1u << 3)
#define MBI_MMAP                (1u << 6)
#define MBI_BOOT_LOADER_NAME    (1u << 9)
#define MBI_FLAGS               0
#define MBI_MEM_LOWER           4
#define MBI_MEM_UPPER           8
#define MBI_BOOT_DEVICE_FIELD   12
/* BIOS drive 0x80, no partition: what QEMU's multiboot loader reports */
#define MB_BOOT_DEVICE_DEFAULT  0x8000ffffu
#define MBI_CMDLINE_ADDR        16
#define MBI_MODS_COUNT          20
#define MBI_MODS_ADDR           24
#define MBI_MMAP_LENGTH         44
#define MBI_MMAP_ADDR           48
#define MBI_BOOT_LOADER         64
#define MBI_SIZE                88
#define MB_MOD_SIZE             16  /* mod_start, mod_end, string, reserved */
#define MB_MMAP_SIZE            20  /* the "size" field: base, length, type */
#define MB_MMAP_ENTRY           (4 + MB_MMAP_SIZE)
#define MB_BOOT_LOADER_NAME     "qkvm"

/* Offset of a valid multiboot header in the first 8 KiB, or -1. */
static long mb_find_header(const X86BootImages *img)
{
    uint64_t search = MIN(img->kernel_size, MB_SEARCH_LEN);

    for (uint64_t off = 0; off + MB_HEADER_LEN <= search; off += 4) {
        const uint8_t *h = img->kernel + off;

        if (ldl_le_p(h) == MB_HEADER_MAGIC &&
            (uint32_t)(ldl_le_p(h) + ldl_le_p(h + 4) + ldl_le_p(h + 8)) == 0) {
            return off;
        }
    }
    return -1;
}

/*
 * 3.1.3 "The address fields of Multiboot header": the file from
 * header_off - (header_addr - load_addr) is loaded at load_addr up to
 * load_end_addr (0: end of file), then zeroed up to bss_end_addr (0: none).
 */
static bool mb_load_aout(const X86BootImages *img, const X86BootRAM *ram,
                         uint64_t hdr_off, uint64_t *end, uint64_t *entry,
                         GError **errp)
{
    const uint8_t *h = img->kernel + hdr_off;
    uint32_t header_addr = ldl_le_p(h + 12), load_addr = ldl_le_p(h + 16);
    uint32_t load_end = ldl_le_p(h + 20), bss_end = ldl_le_p(h + 24);
    uint64_t file_off, load_size, mem_size;
    uint8_t *hva;

    if (header_addr < load_addr || header_addr - load_addr > hdr_off ||
        (load_end && load_end < load_addr)) {
        error_setg(errp, "kernel '%s': inconsistent multiboot addresses "
                   "(header 0x%x load 0x%x load_end 0x%x)", img->kernel_name,
                   header_addr, load_addr, load_end);
        return false;
    }
    file_off = hdr_off - (header_addr - load_addr);
    load_size = load_end ? load_end - load_addr : img->kernel_size - file_off;
    if (!in_bounds(file_off, load_size, img->kernel_size)) {
        error_setg(errp, "kernel '%s': multiboot load_end_addr 0x%x lies "
                   "beyond the end of the file", img->kernel_name, load_end);
        return false;
    }
    if (bss_end && bss_end < load_addr + load_size) {
        error_setg(errp, "kernel '%s': multiboot bss_end_addr 0x%x lies below "
                   "the end of the loaded image", img->kernel_name, bss_end);
        return false;
    }
    mem_size = bss_end ? bss_end - load_addr : load_size;
    hva = kernel_target(img, ram, "multiboot image", load_addr, mem_size, errp);
    if (!hva) {
        return false;
    }
    memcpy(hva, img->kernel + file_off, load_size);
    memset(hva + load_size, 0, mem_size - load_size);
    *end = load_addr + mem_size;
    *entry = ldl_le_p(h + 28);
    return true;
}

/*
 * ELF multiboot kernel, ELF32 or (unlike QEMU, like GRUB) ELF64 with
 * everything below 4 GiB.  Segments load at p_paddr; an entry point that
 * falls in a segment's virtual range is translated to physical.
 */
static bool mb_load_elf(const X86BootImages *img, const X86BootRAM *ram,
                        uint64_t *end, uint64_t *entry, GError **errp)
{
    ElfFile ef;

    if (!is_elf(img)) {
        error_setg(errp, "kernel '%s': multiboot image is neither ELF nor uses "
                   "the address fields (flag 16)", img->kernel_name);
        return false;
    }
    if (!elf_parse(img, &ef, errp) || !elf_load_segments(img, ram, &ef, end,
                                                         errp)) {
        return false;
    }
    *entry = ef.entry;
    for (unsigned i = 0; i < ef.phnum; i++) {
        ElfSeg s;

        elf_seg(img, &ef, i, &s);
        if (s.type == PT_LOAD && ef.entry >= s.vaddr &&
            ef.entry - s.vaddr < s.memsz) {
            *entry = s.paddr + (ef.entry - s.vaddr);
            break;
        }
    }
    return true;
}

/* KiB of RAM from 1 MiB up to the first hole (3.3 mem_upper). */
/* 3.3: lower memory is the RAM from 0 (at most 640 KiB; the EBDA is not) */
static uint32_t mb_mem_lower(const X86BootRAM *ram)
{
    return MIN(e820_ram_end(ram, 0), 640 * KiB) / KiB;
}

static uint32_t mb_mem_upper(const X86BootRAM *ram)
{
    return MIN((e820_ram_end(ram, 1 * MiB) - 1 * MiB) / KiB, UINT32_MAX);
}

/* Modules go page-aligned (flag 0 or not) one after another from @addr. */
static bool mb_load_modules(const X86BootImages *img, const X86BootRAM *ram,
                            uint64_t addr, BootArea *info, uint8_t *mods,
                            GError **errp)
{
    for (size_t i = 0; i < img->nr_initrd; i++, mods += MB_MOD_SIZE) {
        g_autofree char *what = g_strdup_printf("module '%s'",
                                                img->initrd_name[i]);
        uint64_t size = img->initrd_size[i], string;
        uint8_t *hva;

        addr = align_up(addr, PAGE_SIZE);
        hva = kernel_target(img, ram, what, addr, size, errp);
        if (!hva) {
            return false;
        }
        string = boot_area_strdup(info, img->initrd_name[i]);
        if (!string) {
            error_setg(errp, "kernel '%s': multiboot information does not fit "
                       "at 0x%x", img->kernel_name, X86_BOOT_INFO_ADDR);
            return false;
        }
        memcpy(hva, img->initrd[i], size);
        stl_le_p(mods, addr);
        stl_le_p(mods + 4, addr + size);
        stl_le_p(mods + 8, string);
        addr += size;
    }
    return true;
}

static bool load_multiboot(const X86BootImages *img, const X86BootRAM *ram,
                           uint64_t hdr_off, X86BootEntry *entry,
                           GError **errp)
{
    uint32_t flags = ldl_le_p(img->kernel + hdr_off + 4);
    uint32_t unsupported = flags & MB_FLAG_REQUIRED &
                           ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO);
    g_autofree char *cmdline = NULL;
    uint64_t kernel_end, kentry, name_gpa;
    uint64_t gpa = 0, mods_gpa = 0, mmap_gpa = 0;   /* set with their pointers */
    uint8_t *mbi, *mods, *mmap;
    BootArea info;

    if (unsupported) {
        error_setg(errp, "kernel '%s': multiboot header requires %s (flags "
                   "0x%x), which qkvm does not provide", img->kernel_name,
                   unsupported & MB_FLAG_VIDEO_MODE ? "a video mode table"
                                                    : "unknown features",
                   flags);
        return false;
    }
    if (flags & MB_FLAG_AOUT_KLUDGE) {
        if (hdr_off + MB_AOUT_LEN > MIN(img->kernel_size, MB_SEARCH_LEN)) {
            error_setg(errp, "kernel '%s': truncated multiboot header",
                       img->kernel_name);
            return false;
        }
        if (!mb_load_aout(img, ram, hdr_off, &kernel_end, &kentry, errp)) {
            return false;
        }
    } else if (!mb_load_elf(img, ram, &kernel_end, &kentry, errp)) {
        return false;
    }
    if (kentry >= 4 * GiB) {
        error_setg(errp, "kernel '%s': multiboot entry point 0x%" PRIx64
                   " lies above 4 GiB", img->kernel_name, kentry);
        return false;
    }

    /* 3.3: the kernel sees "file args"; QEMU passes the file name first. */
    cmdline = g_strdup_printf("%s %s", img->kernel_name, img->cmdline);
    if (!write_cmdline(img, ram, cmdline, errp) ||
        !boot_area_init(&info, ram, X86_BOOT_INFO_ADDR,
                        X86_BOOT_INFO_SIZE, errp)) {
        return false;
    }
    mbi = boot_area_alloc(&info, MBI_SIZE, 8, &gpa);
    mods = boot_area_alloc(&info, MB_MOD_SIZE * img->nr_initrd, 8, &mods_gpa);
    mmap = boot_area_alloc(&info, MB_MMAP_ENTRY * ram->e820_nr, 8, &mmap_gpa);
    name_gpa = boot_area_strdup(&info, MB_BOOT_LOADER_NAME);
    if (!mbi || !mods || !mmap || !name_gpa) {
        error_setg(errp, "kernel '%s': multiboot information does not fit at "
                   "0x%x", img->kernel_name, X86_BOOT_INFO_ADDR);
        return false;
    }
    if (!mb_load_modules(img, ram, kernel_end, &info, mods, errp)) {
        return false;
    }
    for (size_t i = 0; i < ram->e820_nr; i++, mmap += MB_MMAP_ENTRY) {
        stl_le_p(mmap, MB_MMAP_SIZE);
        stq_le_p(mmap + 4, ram->e820[i].addr);
        stq_le_p(mmap + 12, ram->e820[i].size);
        stl_le_p(mmap + 20, ram->e820[i].type);
    }
    stl_le_p(mbi + MBI_FLAGS, MBI_MEM | MBI_BOOT_DEVICE | MBI_CMDLINE |
                              MBI_MODS | MBI_MMAP | MBI_BOOT_LOADER_NAME);
    stl_le_p(mbi + MBI_BOOT_DEVICE_FIELD, MB_BOOT_DEVICE_DEFAULT);
    stl_le_p(mbi + MBI_MEM_LOWER, mb_mem_lower(ram));
    stl_le_p(mbi + MBI_MEM_UPPER, mb_mem_upper(ram));
    stl_le_p(mbi + MBI_CMDLINE_ADDR, X86_BOOT_CMDLINE_ADDR);
    stl_le_p(mbi + MBI_MODS_COUNT, img->nr_initrd);
    stl_le_p(mbi + MBI_MODS_ADDR, mods_gpa);
    stl_le_p(mbi + MBI_MMAP_LENGTH, MB_MMAP_ENTRY * ram->e820_nr);
    stl_le_p(mbi + MBI_MMAP_ADDR, mmap_gpa);
    stl_le_p(mbi + MBI_BOOT_LOADER, name_gpa);

    *entry = (X86BootEntry) {
        .mode = X86_BOOT_MODE_PROT32, .rip = kentry,
        .rax = MB_BOOTLOADER_MAGIC, .rbx = gpa, .protocol = "multiboot",
    };
    return true;
}

/* xen/include/public/arch-x86/hvm/start_info.h */
#define XEN_HVM_START_MAGIC_VALUE 0x336ec578
#define HVM_START_INFO_SIZE     56  /* version 1 layout */
#define HVM_SI_MAGIC            0
#define HVM_SI_VERSION          4
#define HVM_SI_NR_MODULES       12
#define HVM_SI_MODLIST_PADDR    16
#define HVM_SI_CMDLINE_PADDR    24
#define HVM_SI_RSDP_PADDR       32
#define HVM_SI_MEMMAP_PADDR     40
#define HVM_SI_MEMMAP_ENTRIES   48
#define HVM_MODLIST_ENTRY_SIZE  32  /* paddr, size, cmdline_paddr, reserved */
#define HVM_MEMMAP_ENTRY_SIZE   24  /* addr, size, type, reserved */

static bool load_pvh(const X86BootImages *img, const X86BootRAM *ram,
                     const ElfFile *ef, uint64_t pvh_entry,
                     X86BootEntry *entry, GError **errp)
{
    uint64_t kernel_end, si_gpa, mod_gpa = 0, map_gpa, rd_gpa, rd_size;
    uint8_t *si, *mod = NULL, *map;
    BootArea info;

    if (pvh_entry >= 4 * GiB) {
        error_setg(errp, "kernel '%s': PVH entry point 0x%" PRIx64 " lies "
                   "above 4 GiB", img->kernel_name, pvh_entry);
        return false;
    }
    if (!elf_load_segments(img, ram, ef, &kernel_end, errp) ||
        !write_cmdline(img, ram, img->cmdline, errp) ||
        !boot_area_init(&info, ram, X86_BOOT_INFO_ADDR,
                        X86_BOOT_INFO_SIZE, errp)) {
        return false;
    }
    si = boot_area_alloc(&info, HVM_START_INFO_SIZE, 8, &si_gpa);
    if (img->nr_initrd) {
        mod = boot_area_alloc(&info, HVM_MODLIST_ENTRY_SIZE, 8, &mod_gpa);
    }
    map = boot_area_alloc(&info, HVM_MEMMAP_ENTRY_SIZE * ram->e820_nr, 8,
                          &map_gpa);
    if (!si || (img->nr_initrd && !mod) || !map) {
        error_setg(errp, "kernel '%s': PVH start info does not fit at 0x%x",
                   img->kernel_name, X86_BOOT_INFO_ADDR);
        return false;
    }
    if (mod) {
        if (!load_initrd(img, ram, kernel_end, MIN(ram->below_4g, 4 * GiB),
                         &rd_gpa, &rd_size, errp)) {
            return false;
        }
        stq_le_p(mod, rd_gpa);
        stq_le_p(mod + 8, rd_size);
    }
    for (size_t i = 0; i < ram->e820_nr; i++, map += HVM_MEMMAP_ENTRY_SIZE) {
        stq_le_p(map, ram->e820[i].addr);
        stq_le_p(map + 8, ram->e820[i].size);
        stl_le_p(map + 16, ram->e820[i].type);
    }
    stl_le_p(si + HVM_SI_MAGIC, XEN_HVM_START_MAGIC_VALUE);
    stl_le_p(si + HVM_SI_VERSION, 1);
    stl_le_p(si + HVM_SI_NR_MODULES, mod ? 1 : 0);
    stq_le_p(si + HVM_SI_MODLIST_PADDR, mod_gpa);
    stq_le_p(si + HVM_SI_CMDLINE_PADDR, X86_BOOT_CMDLINE_ADDR);
    stq_le_p(si + HVM_SI_RSDP_PADDR, ram->rsdp_addr);
    stq_le_p(si + HVM_SI_MEMMAP_PADDR, map_gpa);
    stl_le_p(si + HVM_SI_MEMMAP_ENTRIES, ram->e820_nr);

    *entry = (X86BootEntry) {
        .mode = X86_BOOT_MODE_PROT32, .rip = pvh_entry, .rbx = si_gpa,
        .protocol = "pvh",
    };
    return true;
}

/*
 * Linux boot protocol (boot.rst "The Real-Mode Kernel Header" and
 * zero-page.rst): offsets in the file's first sector and in boot_params.
 */
#define BP_ACPI_RSDP_ADDR       0x070   /* 2.14+ */
#define BP_E820_ENTRIES         0x1e8
#define BP_E820_TABLE           0x2d0
#define BP_E820_MAX             128
#define BP_E820_ENTRY_SIZE      20      /* addr, size, type; packed */
#define BP_SIZE                 4096
#define HDR_START               0x1f1   /* the setup header, in both */
#define HDR_SETUP_SECTS         0x1f1
#define HDR_SYSSIZE             0x1f4
#define HDR_BOOT_FLAG           0x1fe
#define HDR_JUMP_LEN            0x201   /* header ends at 0x202 + this */
#define HDR_MAGIC               0x202
#define HDR_VERSION             0x206
#define HDR_TYPE_OF_LOADER      0x210
#define HDR_LOADFLAGS           0x211
#define HDR_CODE32_START        0x214
#define HDR_RAMDISK_IMAGE       0x218
#define HDR_RAMDISK_SIZE        0x21c
#define HDR_HEAP_END_PTR        0x224
#define HDR_EXT_LOADER_VER      0x226
#define HDR_EXT_LOADER_TYPE     0x227
#define HDR_CMD_LINE_PTR        0x228
#define HDR_INITRD_ADDR_MAX     0x22c
#define HDR_KERNEL_ALIGNMENT    0x230
#define HDR_RELOCATABLE_KERNEL  0x234
#define HDR_XLOADFLAGS          0x236   /* 2.12+ */
#define HDR_CMDLINE_SIZE        0x238
#define HDR_END_2_06            0x23c   /* first byte past the 2.06 fields */
#define HDR_PREF_ADDRESS        0x258   /* 2.10+ */
#define HDR_INIT_SIZE           0x260   /* 2.10+ */
#define HDR_END_2_10            0x264
#define LINUX_HDRS_MAGIC        0x53726448  /* "HdrS" */
#define LINUX_BOOT_FLAG         0xaa55
#define LOADED_HIGH             0x01
#define KEEP_SEGMENTS           0x40
#define CAN_USE_HEAP            0x80
#define XLF_KERNEL_64           (1u << 0)
#define XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)
#define LINUX_TYPE_OF_LOADER    0xff    /* "undefined": not a registered id */
#define LINUX_HEAP_END          (0xfe00 - 0x200)
#define LINUX_LOAD_ADDR         0x100000
#define LINUX_64BIT_ENTRY       0x200   /* startup_64 from the load address */
#define LINUX_DEFAULT_INITRD_MAX 0x37ffffff

static bool is_linux(const X86BootImages *img)
{
    return img->kernel_size >= HDR_MAGIC + 4 &&
           ldl_le_p(img->kernel + HDR_MAGIC) == LINUX_HDRS_MAGIC;
}

/*
 * End of the memory the kernel uses from its runtime start before it
 * reads the memory map (init_size, 2.10+).  It decompresses at
 * pref_address when loaded below it; a relocatable kernel otherwise
 * runs at its load address rounded up to kernel_alignment.
 */
static uint64_t linux_runtime_end(const uint8_t *hdr, uint16_t version,
                                  uint64_t hdr_end, uint64_t load_end)
{
    uint64_t start = LINUX_LOAD_ADDR, align;

    if (version < 0x20a || hdr_end < HDR_END_2_10) {
        return load_end;
    }
    align = ldl_le_p(hdr + HDR_KERNEL_ALIGNMENT);
    if (hdr[HDR_RELOCATABLE_KERNEL] && align && !(align & (align - 1))) {
        start = align_up(start, align);
    }
    start = MAX(start, MIN(ldq_le_p(hdr + HDR_PREF_ADDRESS), 4 * GiB));
    return MAX(load_end, start + ldl_le_p(hdr + HDR_INIT_SIZE));
}

/* The zero page: checked before anything is loaded, filled last. */
static uint8_t *linux_zero_page(const X86BootRAM *ram, GError **errp)
{
    uint8_t *bp = guest_range(ram, X86_BOOT_ZERO_PAGE_ADDR, BP_SIZE);

    if (!bp) {
        error_setg(errp, "x86 boot: zero page at 0x%x is not guest RAM",
                   X86_BOOT_ZERO_PAGE_ADDR);
    } else if (ram->e820_nr > BP_E820_MAX) {
        error_setg(errp, "x86 boot: %zu e820 entries, boot_params holds at "
                   "most %d", ram->e820_nr, BP_E820_MAX);
        bp = NULL;
    }
    return bp;
}

static void linux_fill_e820(const X86BootRAM *ram, uint8_t *bp)
{
    bp[BP_E820_ENTRIES] = ram->e820_nr;
    for (size_t i = 0; i < ram->e820_nr; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

        stq_le_p(e, ram->e820[i].addr);
        stq_le_p(e + 8, ram->e820[i].size);
        stl_le_p(e + 16, ram->e820[i].type);
    }
}

static bool load_linux(const X86BootImages *img, const X86BootRAM *ram,
                       X86BootEntry *entry, GError **errp)
{
    const uint8_t *k = img->kernel;
    uint64_t hdr_end = HDR_MAGIC + (uint64_t)k[HDR_JUMP_LEN];
    uint64_t setup_size, sys_bytes, load_size, need_end, ram_end, top;
    uint64_t rd_gpa = 0, rd_size = 0;
    uint16_t version, xlf = 0;
    uint8_t *hva, *bp;

    if (hdr_end < HDR_END_2_06 || hdr_end > img->kernel_size) {
        error_setg(errp, "kernel '%s': truncated Linux setup header",
                   img->kernel_name);
        return false;
    }
    version = lduw_le_p(k + HDR_VERSION);
    if (version < 0x206) {
        error_setg(errp, "kernel '%s': Linux boot protocol %u.%02u is too old "
                   "(2.06 or newer needed)", img->kernel_name, version >> 8,
                   version & 0xff);
        return false;
    }
    if (lduw_le_p(k + HDR_BOOT_FLAG) != LINUX_BOOT_FLAG ||
        !(k[HDR_LOADFLAGS] & LOADED_HIGH)) {
        error_setg(errp, "kernel '%s': not a bzImage (boot_flag or LOADED_HIGH "
                   "missing)", img->kernel_name);
        return false;
    }
    if (version >= 0x20c) {
        xlf = lduw_le_p(k + HDR_XLOADFLAGS);
    }
    bp = linux_zero_page(ram, errp);
    if (!bp) {
        return false;
    }

    /* boot.rst "Loading the rest of the kernel": setup_sects 0 means 4. */
    setup_size = ((k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4) + 1) * 512;
    sys_bytes = (uint64_t)ldl_le_p(k + HDR_SYSSIZE) * 16;
    if (setup_size >= img->kernel_size || !sys_bytes ||
        sys_bytes > align_up(img->kernel_size - setup_size, 16)) {
        error_setg(errp, "kernel '%s': file holds 0x%zx bytes, less than its "
                   "setup (0x%" PRIx64 ") and syssize (0x%" PRIx64 ") claim",
                   img->kernel_name, img->kernel_size, setup_size, sys_bytes);
        return false;
    }
    load_size = MIN(sys_bytes, img->kernel_size - setup_size);
    need_end = linux_runtime_end(k, version, hdr_end,
                                 LINUX_LOAD_ADDR + load_size);
    ram_end = MIN(e820_ram_end(ram, LINUX_LOAD_ADDR), ram->below_4g);
    hva = need_end <= ram_end
        ? guest_range(ram, LINUX_LOAD_ADDR, need_end - LINUX_LOAD_ADDR) : NULL;
    if (!hva) {
        error_setg(errp, "kernel '%s' needs RAM from 0x%x to 0x%" PRIx64
                   " but guest RAM there ends at 0x%" PRIx64,
                   img->kernel_name, LINUX_LOAD_ADDR, need_end, ram_end);
        return false;
    }
    if (strlen(img->cmdline) > ldl_le_p(k + HDR_CMDLINE_SIZE)) {
        error_setg(errp, "kernel '%s': command line is %zu bytes, the kernel "
                   "accepts at most %u", img->kernel_name,
                   strlen(img->cmdline), ldl_le_p(k + HDR_CMDLINE_SIZE));
        return false;
    }
    if (!write_cmdline(img, ram, img->cmdline, errp)) {
        return false;
    }
    if (img->nr_initrd) {
        top = xlf & XLF_CAN_BE_LOADED_ABOVE_4G
            ? 4 * GiB : (uint64_t)ldl_le_p(k + HDR_INITRD_ADDR_MAX) + 1;
        if (!load_initrd(img, ram, need_end, MIN(top, ram->below_4g),
                         &rd_gpa, &rd_size, errp)) {
            return false;
        }
    }

    /* boot.rst "32-bit Boot Protocol": zeroed boot_params + setup header */
    memset(bp, 0, BP_SIZE);
    linux_fill_e820(ram, bp);
    memcpy(bp + HDR_START, k + HDR_START, hdr_end - HDR_START);
    bp[HDR_TYPE_OF_LOADER] = LINUX_TYPE_OF_LOADER;
    bp[HDR_LOADFLAGS] = (bp[HDR_LOADFLAGS] | CAN_USE_HEAP) & ~KEEP_SEGMENTS;
    bp[HDR_EXT_LOADER_VER] = 0;
    bp[HDR_EXT_LOADER_TYPE] = 0;
    stw_le_p(bp + HDR_HEAP_END_PTR, LINUX_HEAP_END);
    stl_le_p(bp + HDR_CODE32_START, LINUX_LOAD_ADDR);
    stl_le_p(bp + HDR_CMD_LINE_PTR, X86_BOOT_CMDLINE_ADDR);
    stl_le_p(bp + HDR_RAMDISK_IMAGE, rd_gpa);
    stl_le_p(bp + HDR_RAMDISK_SIZE, rd_size);
    if (version >= 0x20e) {
        stq_le_p(bp + BP_ACPI_RSDP_ADDR, ram->rsdp_addr);
    }
    memcpy(hva, k + setup_size, load_size);

    *entry = (X86BootEntry) {
        .mode = xlf & XLF_KERNEL_64 ? X86_BOOT_MODE_LONG64
                                    : X86_BOOT_MODE_PROT32,
        .rip = LINUX_LOAD_ADDR + (xlf & XLF_KERNEL_64 ? LINUX_64BIT_ENTRY : 0),
        .rsi = X86_BOOT_ZERO_PAGE_ADDR, .protocol = "linux",
    };
    return true;
}

/*
 * Detection follows QEMU (hw/i386/x86-common.c x86_load_linux): a Linux
 * "HdrS" header wins; otherwise a multiboot header, then an ELF file with
 * a PVH note.
 */
bool x86_load_kernel(const X86BootImages *img, const X86BootRAM *ram,
                     X86BootEntry *entry, GError **errp)
{
    long mb_off;
    uint64_t pvh_entry;
    ElfFile ef;
    int pvh;

    if (!ram->e820_nr) {
        error_setg(errp, "x86 boot: no e820 memory map");
        return false;
    }
    if (is_linux(img)) {
        return load_linux(img, ram, entry, errp);
    }
    mb_off = mb_find_header(img);
    if (mb_off >= 0) {
        return load_multiboot(img, ram, mb_off, entry, errp);
    }
    if (!is_elf(img)) {
        error_setg(errp, "kernel '%s': not a multiboot, PVH ELF or Linux "
                   "bzImage image", img->kernel_name);
        return false;
    }
    if (!elf_parse(img, &ef, errp)) {
        return false;
    }
    pvh = elf_pvh_entry(img, &ef, &pvh_entry);
    if (pvh <= 0) {
        error_setg(errp, "kernel '%s': %s", img->kernel_name, pvh < 0
                   ? "malformed ELF note"
                   : "ELF image has neither a PVH entry note "
                     "(XEN_ELFNOTE_PHYS32_ENTRY) nor a multiboot header");
        return false;
    }
    return load_pvh(img, ram, &ef, pvh_entry, entry, errp);
}
