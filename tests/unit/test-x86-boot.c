/*
 * Unit tests for hw/i386/x86-boot.c: crafted multiboot, PVH and bzImage
 * images loaded into a fake guest RAM.
 */
#include "hw/i386/x86-boot.h"
#include "qemu/error-report.h"

#include <glob.h>
#include <string.h>

#define MiB         (1024 * 1024ULL)
#define RAM_SIZE    (64 * MiB)
#define ACPI_SIZE   0x10000ULL          /* ACPI tables at the top of RAM */
#define RSDP_ADDR   0xf0000ULL

/* A guest with RAM at [0, size), everything below 4 GiB. */
typedef struct FakeGuest {
    uint8_t *mem;
    uint64_t size;
    E820Entry *e820;
    X86BootRAM ram;
} FakeGuest;

static void *fake_gpa_to_hva(void *opaque, uint64_t gpa, uint64_t len)
{
    FakeGuest *g = opaque;

    if (gpa > g->size || len > g->size - gpa) {
        return NULL;
    }
    return g->mem + gpa;
}

static FakeGuest *guest_new(uint64_t size)
{
    FakeGuest *g = g_new0(FakeGuest, 1);
    const E820Entry map[] = {
        { 0, 0x9fc00, E820_RAM },
        { 0x9fc00, 0x400, E820_RESERVED },
        { 0xf0000, 0x10000, E820_RESERVED },
        { 0x100000, size - 0x100000 - ACPI_SIZE, E820_RAM },
        { size - ACPI_SIZE, ACPI_SIZE, E820_ACPI },
    };

    g->mem = g_malloc(size);
    memset(g->mem, 0xff, size);     /* so that zeroing shows */
    g->size = size;
    g->e820 = g_memdup2(map, sizeof(map));
    g->ram = (X86BootRAM) {
        .gpa_to_hva = fake_gpa_to_hva, .opaque = g, .below_4g = size,
        .e820 = g->e820, .e820_nr = G_N_ELEMENTS(map), .rsdp_addr = RSDP_ADDR,
    };
    return g;
}

static void guest_free(FakeGuest *g)
{
    g_free(g->mem);
    g_free(g->e820);
    g_free(g);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeGuest, guest_free)

static uint16_t rd16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint32_t rd32(const uint8_t *p)
{
    return rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, v);
    wr16(p + 2, v >> 16);
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, v);
    wr32(p + 4, v >> 32);
}

/* Guest memory at @gpa as a 32/64-bit value or a string. */
static uint32_t g32(FakeGuest *g, uint64_t gpa)
{
    return rd32(g->mem + gpa);
}

static uint64_t g64(FakeGuest *g, uint64_t gpa)
{
    return rd64(g->mem + gpa);
}

static const char *gstr(FakeGuest *g, uint64_t gpa)
{
    return (char *)g->mem + gpa;
}

/* Images and initrds for one load; initrd contents are 0x11, 0x22, ... */
typedef struct TestLoad {
    X86BootImages img;
    const uint8_t *initrd[4];
    size_t initrd_size[4];
    const char *initrd_name[4];
    uint8_t *initrd_data[4];
} TestLoad;

static void load_init(TestLoad *t, const GByteArray *kernel, const char *name,
                      const char *cmdline)
{
    memset(t, 0, sizeof(*t));
    t->img = (X86BootImages) {
        .kernel = kernel->data, .kernel_size = kernel->len,
        .kernel_name = name, .cmdline = cmdline,
        .initrd = t->initrd, .initrd_size = t->initrd_size,
        .initrd_name = t->initrd_name,
    };
}

static void load_add_initrd(TestLoad *t, const char *name, size_t size)
{
    size_t i = t->img.nr_initrd++;

    t->initrd_data[i] = g_malloc(size);
    memset(t->initrd_data[i], 0x11 * (i + 1), size);
    t->initrd[i] = t->initrd_data[i];
    t->initrd_size[i] = size;
    t->initrd_name[i] = name;
}

static void load_free(TestLoad *t)
{
    for (size_t i = 0; i < t->img.nr_initrd; i++) {
        g_free(t->initrd_data[i]);
    }
}

static bool do_load(TestLoad *t, FakeGuest *g, X86BootEntry *e, GError **errp)
{
    return x86_load_kernel(&t->img, &g->ram, e, errp);
}

/* Load and expect an error containing @what. */
static void expect_error(const GByteArray *kernel, const char *what)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GError) err = NULL;
    X86BootEntry e;
    TestLoad t;

    load_init(&t, kernel, "bad", "");
    g_assert_false(do_load(&t, g, &e, &err));
    g_assert_nonnull(err);
    if (g_test_verbose()) {
        g_test_message("%s", err->message);
    }
    g_assert_nonnull(strstr(err->message, what));
    g_assert_null(strchr(err->message, '\n'));
}

/* ---- ELF images ---- */

#define PT_LOAD     1
#define PT_NOTE     4
#define BLOB_OFF    0x200       /* multiboot header or note */
#define DATA_OFF    0x400       /* segment data from here */

typedef struct TSeg {
    uint32_t type;
    uint64_t paddr, vaddr, filesz, memsz;
} TSeg;

/*
 * An ELF executable: headers, @blob at BLOB_OFF (PT_NOTE segments point
 * at it), PT_LOAD data from DATA_OFF filled with 0xa0 + index.  With
 * @note_section the blob is described by an SHT_NOTE section instead.
 */
static GByteArray *make_elf(bool is64, uint64_t entry, const TSeg *s,
                            unsigned n, const void *blob, size_t blob_len,
                            bool note_section)
{
    GByteArray *b = g_byte_array_new();
    unsigned phsize = is64 ? 56 : 32, ehsize = is64 ? 64 : 52;
    uint64_t off = DATA_OFF;
    uint8_t *p;

    g_assert(ehsize + n * phsize <= BLOB_OFF);
    g_assert(blob_len <= DATA_OFF - BLOB_OFF);
    for (unsigned i = 0; i < n; i++) {
        off += s[i].type == PT_LOAD ? (s[i].filesz + 15) & ~15ULL : 0;
    }
    g_byte_array_set_size(b, off + (note_section ? 3 * 64 : 0));
    p = b->data;
    memset(p, 0, b->len);
    memcpy(p, "\177ELF", 4);
    p[4] = is64 ? 2 : 1;
    p[5] = 1;                               /* little endian */
    p[6] = 1;                               /* EV_CURRENT */
    wr16(p + 16, 2);                        /* ET_EXEC */
    wr16(p + 18, is64 ? 62 : 3);
    wr32(p + 20, 1);
    if (is64) {
        wr64(p + 24, entry);
        wr64(p + 32, ehsize);
        wr16(p + 52, ehsize);
        wr16(p + 54, phsize);
        wr16(p + 56, n);
    } else {
        wr32(p + 24, entry);
        wr32(p + 28, ehsize);
        wr16(p + 40, ehsize);
        wr16(p + 42, phsize);
        wr16(p + 44, n);
    }
    if (blob) {
        memcpy(p + BLOB_OFF, blob, blob_len);
    }
    off = DATA_OFF;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *ph = p + ehsize + i * phsize;
        uint64_t foff = s[i].type == PT_NOTE ? BLOB_OFF : off;

        wr32(ph, s[i].type);
        if (is64) {
            wr64(ph + 8, foff);
            wr64(ph + 16, s[i].vaddr ? s[i].vaddr : s[i].paddr);
            wr64(ph + 24, s[i].paddr);
            wr64(ph + 32, s[i].filesz);
            wr64(ph + 40, s[i].memsz);
            wr64(ph + 48, 4);
        } else {
            wr32(ph + 4, foff);
            wr32(ph + 8, s[i].vaddr ? s[i].vaddr : s[i].paddr);
            wr32(ph + 12, s[i].paddr);
            wr32(ph + 16, s[i].filesz);
            wr32(ph + 20, s[i].memsz);
            wr32(ph + 28, 4);
        }
        if (s[i].type == PT_LOAD) {
            memset(p + off, 0xa0 + i, s[i].filesz);
            off += (s[i].filesz + 15) & ~15ULL;
        }
    }
    if (note_section) {
        /* ELF64 only: null section, SHT_NOTE section, padding */
        uint8_t *sh = p + off + 64;

        g_assert(is64);
        wr64(p + 40, off);
        wr16(p + 58, 64);
        wr16(p + 60, 2);
        wr32(sh + 4, 7);                    /* SHT_NOTE */
        wr64(sh + 24, BLOB_OFF);
        wr64(sh + 32, blob_len);
        wr64(sh + 48, 4);
    }
    return b;
}

/* A "Xen" note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY), 4- or 8-byte desc. */
static size_t make_pvh_note(uint8_t *buf, uint64_t entry, unsigned descsz)
{
    uint8_t *p = buf;

    /* an unrelated note first, to exercise the walk */
    wr32(p, 4);
    wr32(p + 4, 4);
    wr32(p + 8, 1);
    memcpy(p + 12, "GNU", 4);
    p += 20;
    wr32(p, 4);
    wr32(p + 4, descsz);
    wr32(p + 8, 18);
    memcpy(p + 12, "Xen", 4);
    if (descsz == 8) {
        wr64(p + 16, entry);
    } else {
        wr32(p + 16, entry);
    }
    return p + 16 + descsz - buf;
}

/* Multiboot header (spec 0.6.96 3.1) with the address fields. */
static size_t make_mb_header(uint8_t *p, uint32_t flags, uint32_t header_addr,
                             uint32_t load_addr, uint32_t load_end,
                             uint32_t bss_end, uint32_t entry)
{
    wr32(p, 0x1BADB002);
    wr32(p + 4, flags);
    wr32(p + 8, -(0x1BADB002u + flags));
    wr32(p + 12, header_addr);
    wr32(p + 16, load_addr);
    wr32(p + 20, load_end);
    wr32(p + 24, bss_end);
    wr32(p + 28, entry);
    return 32;
}

/* ---- multiboot ---- */

static GByteArray *make_mb_elf(bool is64, uint32_t flags)
{
    const TSeg segs[] = {
        { PT_LOAD, 0x100000, 0xc0100000, 0x300, 0x2000 },
        { PT_LOAD, 0x200000, 0xc0200000, 0x1000, 0x1000 },
    };
    uint8_t hdr[32];

    make_mb_header(hdr, flags, 0, 0, 0, 0, 0);
    return make_elf(is64, 0xc0100010, segs, 2, hdr, 12, false);
}

static void test_multiboot_elf(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_mb_elf(false, 0x3);
    g_autoptr(GError) err = NULL;
    uint64_t mbi = X86_BOOT_INFO_ADDR, mods, mmap, mod_start;
    X86BootEntry e;
    TestLoad t;

    load_init(&t, k, "kernel.elf", "console=ttyS0 debug");
    load_add_initrd(&t, "mod1 arg=1", 5000);
    load_add_initrd(&t, "mod2", 10);
    g_assert_true(do_load(&t, g, &e, &err));
    g_assert_no_error(err);

    g_assert_cmpstr(e.protocol, ==, "multiboot");
    g_assert_cmpint(e.mode, ==, X86_BOOT_MODE_PROT32);
    g_assert_cmphex(e.rip, ==, 0x100010);           /* virtual -> physical */
    g_assert_cmphex(e.rax, ==, 0x2BADB002);
    g_assert_cmphex(e.rbx, ==, mbi);

    /* segments, bss zeroed */
    g_assert_cmphex(g->mem[0x100000], ==, 0xa0);
    g_assert_cmphex(g->mem[0x1002ff], ==, 0xa0);
    g_assert_cmphex(g->mem[0x100300], ==, 0);
    g_assert_cmphex(g->mem[0x101fff], ==, 0);
    g_assert_cmphex(g->mem[0x102000], ==, 0xff);
    g_assert_cmphex(g->mem[0x200fff], ==, 0xa1);

    g_assert_cmphex(g32(g, mbi), ==, (1 << 0) | (1 << 1) | (1 << 2) |
                                     (1 << 3) | (1 << 6) | (1 << 9));
    g_assert_cmphex(g32(g, mbi + 12), ==, 0x8000ffff);  /* boot device */
    g_assert_cmpuint(g32(g, mbi + 4), ==, 639);   /* RAM ends at the EBDA, 0x9fc00 */
    g_assert_cmpuint(g32(g, mbi + 8), ==,
                     (RAM_SIZE - ACPI_SIZE - MiB) / 1024);
    g_assert_cmpstr(gstr(g, g32(g, mbi + 16)), ==,
                    "kernel.elf console=ttyS0 debug");
    g_assert_cmpstr(gstr(g, g32(g, mbi + 64)), ==, "qkvm");

    g_assert_cmpuint(g32(g, mbi + 20), ==, 2);
    mods = g32(g, mbi + 24);
    mod_start = g32(g, mods);
    g_assert_cmphex(mod_start, ==, 0x201000);      /* page after the kernel */
    g_assert_cmphex(g32(g, mods + 4), ==, mod_start + 5000);
    g_assert_cmpstr(gstr(g, g32(g, mods + 8)), ==, "mod1 arg=1");
    g_assert_cmphex(g->mem[mod_start], ==, 0x11);
    g_assert_cmphex(g->mem[mod_start + 4999], ==, 0x11);
    mod_start = g32(g, mods + 16);
    g_assert_cmphex(mod_start, ==, 0x203000);
    g_assert_cmphex(g32(g, mods + 20), ==, mod_start + 10);
    g_assert_cmpstr(gstr(g, g32(g, mods + 24)), ==, "mod2");
    g_assert_cmphex(g->mem[mod_start + 9], ==, 0x22);

    g_assert_cmpuint(g32(g, mbi + 44), ==, 24 * g->ram.e820_nr);
    mmap = g32(g, mbi + 48);
    for (size_t i = 0; i < g->ram.e820_nr; i++, mmap += 24) {
        g_assert_cmpuint(g32(g, mmap), ==, 20);
        g_assert_cmphex(g64(g, mmap + 4), ==, g->e820[i].addr);
        g_assert_cmphex(g64(g, mmap + 12), ==, g->e820[i].size);
        g_assert_cmpuint(g32(g, mmap + 20), ==, g->e820[i].type);
    }
    load_free(&t);
}

/* ELF64 multiboot kernels load when everything is below 4 GiB. */
static void test_multiboot_elf64(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_mb_elf(true, 0x2);
    g_autoptr(GError) err = NULL;
    X86BootEntry e;
    TestLoad t;

    load_init(&t, k, "k64", "");
    g_assert_true(do_load(&t, g, &e, &err));
    g_assert_cmpstr(e.protocol, ==, "multiboot");
    g_assert_cmphex(e.rip, ==, 0x100010);
    g_assert_cmpstr(gstr(g, X86_BOOT_CMDLINE_ADDR), ==, "k64 ");
    g_assert_cmpuint(g32(g, X86_BOOT_INFO_ADDR + 20), ==, 0);
}

/* A raw image using the address fields: header at file offset 0x40. */
static GByteArray *make_mb_aout(uint32_t load_end, uint32_t bss_end)
{
    GByteArray *b = g_byte_array_new();

    g_byte_array_set_size(b, 0x3000);
    memset(b->data, 0x5a, b->len);
    make_mb_header(b->data + 0x40, 0x10003, 0x200040, 0x200000, load_end,
                   bss_end, 0x200100);
    return b;
}

static void test_multiboot_aout(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_mb_aout(0x202000, 0x205000);
    g_autoptr(GByteArray) k2 = make_mb_aout(0, 0);
    g_autoptr(GError) err = NULL;
    X86BootEntry e;
    TestLoad t;

    load_init(&t, k, "aout", "x");
    load_add_initrd(&t, "m", 100);
    g_assert_true(do_load(&t, g, &e, &err));
    g_assert_no_error(err);
    g_assert_cmphex(e.rip, ==, 0x200100);
    g_assert_cmphex(g32(g, 0x200040), ==, 0x1BADB002);
    g_assert_cmphex(g->mem[0x201fff], ==, 0x5a);
    g_assert_cmphex(g->mem[0x202000], ==, 0);       /* bss */
    g_assert_cmphex(g->mem[0x204fff], ==, 0);
    g_assert_cmphex(g32(g, g32(g, X86_BOOT_INFO_ADDR + 24)), ==, 0x205000);
    load_free(&t);

    /* load_end_addr 0: the whole file; bss_end_addr 0: no bss */
    load_init(&t, k2, "aout", "");
    g_assert_true(do_load(&t, g, &e, &err));
    g_assert_cmphex(g->mem[0x202fff], ==, 0x5a);
}

/* Modules must stay in e820 RAM: not over the ACPI tables at the top. */
static void test_multiboot_module_too_big(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_mb_elf(false, 0x3);
    g_autoptr(GError) err = NULL;
    X86BootEntry e;
    TestLoad t;

    load_init(&t, k, "kernel.elf", "");
    load_add_initrd(&t, "big", RAM_SIZE - ACPI_SIZE - 0x201000 + 1);
    g_assert_false(do_load(&t, g, &e, &err));
    g_assert_nonnull(strstr(err->message, "module 'big' at 0x201000"));
    load_free(&t);
}

static void test_multiboot_bad(void)
{
    g_autoptr(GByteArray) end_below = make_mb_aout(0x1fffff, 0);
    g_autoptr(GByteArray) past_file = make_mb_aout(0x204000, 0);
    g_autoptr(GByteArray) bss_below = make_mb_aout(0x202000, 0x201000);
    g_autoptr(GByteArray) hdr_below = make_mb_aout(0, 0);
    g_autoptr(GByteArray) video = make_mb_elf(false, 0x7);
    g_autoptr(GByteArray) unknown = make_mb_elf(false, 0x8);
    g_autoptr(GByteArray) not_elf = make_mb_aout(0, 0);
    g_autoptr(GByteArray) bad_sum = make_mb_aout(0, 0);
    g_autoptr(GByteArray) low = make_mb_aout(0, 0);

    expect_error(end_below, "inconsistent multiboot addresses");
    expect_error(past_file, "beyond the end of the file");
    expect_error(bss_below, "bss_end_addr");
    wr32(hdr_below->data + 0x40 + 12, 0x1fffff);   /* header_addr < load */
    expect_error(hdr_below, "inconsistent multiboot addresses");
    expect_error(video, "video mode");
    expect_error(unknown, "unknown features");
    make_mb_header(not_elf->data + 0x40, 0x3, 0, 0, 0, 0, 0);
    expect_error(not_elf, "neither ELF");
    wr32(bad_sum->data + 0x48, 0);
    expect_error(bad_sum, "not a multiboot, PVH ELF or Linux bzImage");
    make_mb_header(low->data + 0x40, 0x10003, 0x8040, 0x8000, 0, 0, 0x8000);
    expect_error(low, "boot area");
}

/* ---- PVH ---- */

static GByteArray *make_pvh(bool is64, unsigned descsz, bool note_section)
{
    const TSeg segs[] = {
        { PT_LOAD, 0x1000000, 0xffffffff81000000ULL, 0x800, 0x3000 },
        { PT_NOTE, 0, 0, 0, 0 },
        { PT_LOAD, 0x1003000, 0, 0x100, 0x100 },
    };
    TSeg s[3];
    uint8_t note[64];
    size_t len = make_pvh_note(note, 0x1000123, descsz);

    memcpy(s, segs, sizeof(s));
    s[0].vaddr = is64 ? s[0].vaddr : 0xc1000000;
    s[1].filesz = len;
    if (note_section) {
        s[1].type = 0x6474e551;                 /* PT_GNU_STACK */
    }
    return make_elf(is64, 0xdead, s, 3, note, len, note_section);
}

static void check_pvh(FakeGuest *g, X86BootEntry *e, const char *cmdline)
{
    uint64_t si = X86_BOOT_INFO_ADDR, map;

    g_assert_cmpstr(e->protocol, ==, "pvh");
    g_assert_cmpint(e->mode, ==, X86_BOOT_MODE_PROT32);
    g_assert_cmphex(e->rip, ==, 0x1000123);
    g_assert_cmphex(e->rbx, ==, si);
    g_assert_cmphex(g32(g, si), ==, 0x336ec578);
    g_assert_cmpuint(g32(g, si + 4), ==, 1);
    g_assert_cmpstr(gstr(g, g64(g, si + 24)), ==, cmdline);
    g_assert_cmphex(g64(g, si + 32), ==, RSDP_ADDR);
    g_assert_cmpuint(g32(g, si + 48), ==, g->ram.e820_nr);
    map = g64(g, si + 40);
    for (size_t i = 0; i < g->ram.e820_nr; i++, map += 24) {
        g_assert_cmphex(g64(g, map), ==, g->e820[i].addr);
        g_assert_cmphex(g64(g, map + 8), ==, g->e820[i].size);
        g_assert_cmpuint(g32(g, map + 16), ==, g->e820[i].type);
        g_assert_cmpuint(g32(g, map + 20), ==, 0);
    }
    g_assert_cmphex(g->mem[0x1000000], ==, 0xa0);
    g_assert_cmphex(g->mem[0x1000800], ==, 0);
    g_assert_cmphex(g->mem[0x1003000], ==, 0xa2);
}

static void test_pvh_elf64(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_pvh(true, 4, false);
    g_autoptr(GError) err = NULL;
    uint64_t si = X86_BOOT_INFO_ADDR, mod, rd;
    X86BootEntry e;
    TestLoad t;

    load_init(&t, k, "vmlinux", "root=/dev/vda");
    load_add_initrd(&t, "initrd.img", 100001);
    g_assert_true(do_load(&t, g, &e, &err));
    g_assert_no_error(err);
    check_pvh(g, &e, "root=/dev/vda");

    g_assert_cmpuint(g32(g, si + 12), ==, 1);
    mod = g64(g, si + 16);
    rd = g64(g, mod);
    g_assert_cmphex(rd & 0xfff, ==, 0);
    g_assert_cmphex(rd, >=, 0x1003100);
    g_assert_cmphex(g64(g, mod + 8), ==, 100001);
    g_assert_cmphex(rd + 100001, <=, RAM_SIZE - ACPI_SIZE);
    g_assert_cmphex(rd + 100001 + 4096, >, RAM_SIZE - ACPI_SIZE); /* highest */
    g_assert_cmphex(g64(g, mod + 16), ==, 0);
    g_assert_cmphex(g->mem[rd], ==, 0x11);
    g_assert_cmphex(g->mem[rd + 100000], ==, 0x11);
    load_free(&t);
}

static void test_pvh_elf32_and_section(void)
{
    g_autoptr(GByteArray) k32 = make_pvh(false, 8, false);
    g_autoptr(GByteArray) ksec = make_pvh(true, 4, true);
    GByteArray *ks[] = { k32, ksec };

    for (int i = 0; i < 2; i++) {
        g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
        g_autoptr(GError) err = NULL;
        X86BootEntry e;
        TestLoad t;

        load_init(&t, ks[i], "vmlinux", "");
        g_assert_true(do_load(&t, g, &e, &err));
        g_assert_no_error(err);
        check_pvh(g, &e, "");
        g_assert_cmpuint(g32(g, X86_BOOT_INFO_ADDR + 12), ==, 0);
        g_assert_cmphex(g64(g, X86_BOOT_INFO_ADDR + 16), ==, 0);
    }
}

static GByteArray *make_pvh_segs(const TSeg *s, unsigned n)
{
    uint8_t note[64];
    size_t len = make_pvh_note(note, 0x1000000, 4);
    TSeg segs[4];

    g_assert(n < 4);
    memcpy(segs, s, n * sizeof(*s));
    segs[n] = (TSeg) { PT_NOTE, 0, 0, len, 0 };
    return make_elf(true, 0, segs, n + 1, note, len, false);
}

static void test_elf_bad(void)
{
    const TSeg outside[] = { { PT_LOAD, RAM_SIZE - MiB, 0, 0x100, 2 * MiB } };
    const TSeg overlap[] = {
        { PT_LOAD, 0x1000000, 0, 0x100, 0x2000 },
        { PT_LOAD, 0x1001000, 0, 0x100, 0x100 },
    };
    const TSeg big_file[] = { { PT_LOAD, 0x1000000, 0, 0x200, 0x100 } };
    const TSeg boot_area[] = { { PT_LOAD, 0x8000, 0, 0x100, 0x100 } };
    const TSeg above_4g[] = { { PT_LOAD, 0xfffff000, 0, 0x100, 0x2000 } };
    const TSeg acpi[] = { { PT_LOAD, RAM_SIZE - 0x20000, 0, 0x100, 0x10001 } };
    const TSeg ok[] = { { PT_LOAD, 0x1000000, 0, 0x100, 0x100 } };
    g_autoptr(GByteArray) k_outside = make_pvh_segs(outside, 1);
    g_autoptr(GByteArray) k_overlap = make_pvh_segs(overlap, 2);
    g_autoptr(GByteArray) k_big_file = make_pvh_segs(big_file, 1);
    g_autoptr(GByteArray) k_boot = make_pvh_segs(boot_area, 1);
    g_autoptr(GByteArray) k_4g = make_pvh_segs(above_4g, 1);
    g_autoptr(GByteArray) k_phoff = make_pvh_segs(ok, 1);
    g_autoptr(GByteArray) k_phnum = make_pvh_segs(ok, 1);
    g_autoptr(GByteArray) k_foff = make_pvh_segs(ok, 1);
    g_autoptr(GByteArray) k_short = make_pvh_segs(ok, 1);
    g_autoptr(GByteArray) k_machine = make_pvh_segs(ok, 1);
    g_autoptr(GByteArray) k_note = make_pvh_segs(ok, 1);
    g_autoptr(GByteArray) k_nonote = make_elf(true, 0, ok, 1, NULL, 0, false);
    g_autoptr(GByteArray) k_class = make_pvh_segs(ok, 1);
    g_autoptr(GByteArray) k_acpi = make_pvh_segs(acpi, 1);

    expect_error(k_outside, "lies outside guest RAM");
    expect_error(k_overlap, "overlap");
    expect_error(k_big_file, "above p_memsz");
    expect_error(k_boot, "boot area");
    expect_error(k_4g, "outside guest RAM below 4 GiB");
    wr64(k_phoff->data + 32, k_phoff->len - 8);
    expect_error(k_phoff, "truncated ELF program header table");
    wr16(k_phnum->data + 56, 0xfffe);
    expect_error(k_phnum, "truncated ELF program header table");
    wr64(k_foff->data + 64 + 8, ~0ULL - 4);         /* segment 0 p_offset */
    expect_error(k_foff, "lies outside the file");
    g_byte_array_set_size(k_short, 40);
    expect_error(k_short, "truncated ELF header");
    wr16(k_machine->data + 18, 40);                 /* EM_ARM */
    expect_error(k_machine, "machine 40");
    wr32(k_note->data + BLOB_OFF, 0x7fffffff);      /* first namesz */
    expect_error(k_note, "malformed ELF note");
    expect_error(k_nonote, "neither a PVH entry note");
    k_class->data[4] = 3;
    expect_error(k_class, "not a little-endian ELF32 or ELF64");
    expect_error(k_acpi, "segment 0 at 0x3fe0000 size 0x10001 lies outside "
                 "guest RAM");                  /* runs into E820_ACPI */
}

static void test_pvh_initrd_too_big(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_pvh(true, 4, false);
    g_autoptr(GError) err = NULL;
    X86BootEntry e;
    TestLoad t;

    load_init(&t, k, "vmlinux", "");
    load_add_initrd(&t, "huge.img", RAM_SIZE - 16 * MiB);
    g_assert_false(do_load(&t, g, &e, &err));
    g_assert_nonnull(strstr(err->message, "initrd 'huge.img'"));
    g_assert_nonnull(strstr(err->message, "does not fit below 0x4000000"));
    load_free(&t);
}

/* ---- Linux bzImage ---- */

#define SETUP_SECTS     4
#define PM_SIZE         0x3000
#define INIT_SIZE       0x400000
#define PREF_ADDRESS    0x1000000

static GByteArray *make_bzimage(uint16_t version, uint16_t xlf)
{
    GByteArray *b = g_byte_array_new();
    size_t setup = (SETUP_SECTS + 1) * 512;
    uint8_t *p;

    g_byte_array_set_size(b, setup + PM_SIZE);
    p = b->data;
    memset(p, 0, setup);
    for (size_t i = 0; i < PM_SIZE; i++) {
        p[setup + i] = i * 7 + 1;
    }
    p[0x1f1] = SETUP_SECTS;
    wr32(p + 0x1f4, PM_SIZE / 16);
    wr16(p + 0x1fe, 0xaa55);
    p[0x200] = 0xeb;
    p[0x201] = 0x66;                        /* header ends at 0x268 */
    memcpy(p + 0x202, "HdrS", 4);
    wr16(p + 0x206, version);
    p[0x210] = 0x00;
    p[0x211] = 0x01 | 0x40;                 /* LOADED_HIGH, KEEP_SEGMENTS */
    wr32(p + 0x214, 0x100000);
    wr32(p + 0x22c, 0x7fffffff);            /* initrd_addr_max */
    wr32(p + 0x230, 0x200000);              /* kernel_alignment */
    p[0x234] = 1;                           /* relocatable */
    wr16(p + 0x236, xlf);
    wr32(p + 0x238, 2048);                  /* cmdline_size */
    wr64(p + 0x258, PREF_ADDRESS);
    wr32(p + 0x260, INIT_SIZE);
    return b;
}

static void test_linux_64(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_bzimage(0x20f, 0x1 | 0x2);
    g_autoptr(GError) err = NULL;
    const uint8_t *bp = g->mem + X86_BOOT_ZERO_PAGE_ADDR;
    uint64_t rd;
    X86BootEntry e;
    TestLoad t;

    load_init(&t, k, "bzImage", "console=ttyS0 quiet");
    load_add_initrd(&t, "a.cpio", 1001);
    load_add_initrd(&t, "b.cpio", 2000);
    g_assert_true(do_load(&t, g, &e, &err));
    g_assert_no_error(err);

    g_assert_cmpstr(e.protocol, ==, "linux");
    g_assert_cmpint(e.mode, ==, X86_BOOT_MODE_LONG64);
    g_assert_cmphex(e.rip, ==, 0x100200);
    g_assert_cmphex(e.rsi, ==, X86_BOOT_ZERO_PAGE_ADDR);
    g_assert_cmphex(e.rbx, ==, 0);
    g_assert_cmpmem(g->mem + 0x100000, PM_SIZE, k->data + 5 * 512, PM_SIZE);

    /* setup header copied, then our fields */
    g_assert_cmpmem(bp + 0x202, 4, "HdrS", 4);
    g_assert_cmpuint(bp[0x1f1], ==, SETUP_SECTS);
    g_assert_cmphex(rd16(bp + 0x206), ==, 0x20f);
    g_assert_cmphex(bp[0x210], ==, 0xff);
    g_assert_cmphex(bp[0x211], ==, 0x81);
    g_assert_cmphex(rd16(bp + 0x224), ==, 0xfe00 - 0x200);
    g_assert_cmphex(rd32(bp + 0x228), ==, X86_BOOT_CMDLINE_ADDR);
    g_assert_cmpstr(gstr(g, X86_BOOT_CMDLINE_ADDR), ==, "console=ttyS0 quiet");
    g_assert_cmphex(rd64(bp + 0x70), ==, RSDP_ADDR);
    g_assert_cmphex(bp[0x1ef], ==, 0);                  /* sentinel */
    g_assert_cmphex(rd32(bp + 0x268), ==, 0);           /* past the header */

    /* initrds concatenated, the first padded to 4 bytes */
    rd = rd32(bp + 0x218);
    g_assert_cmphex(rd32(bp + 0x21c), ==, 1004 + 2000);
    g_assert_cmphex(rd & 0xfff, ==, 0);
    g_assert_cmphex(rd, >=, PREF_ADDRESS + INIT_SIZE);
    g_assert_cmphex(rd + 3004, <=, RAM_SIZE - ACPI_SIZE);
    g_assert_cmphex(g->mem[rd], ==, 0x11);
    g_assert_cmphex(g->mem[rd + 1000], ==, 0x11);
    g_assert_cmphex(g->mem[rd + 1001], ==, 0);
    g_assert_cmphex(g->mem[rd + 1003], ==, 0);
    g_assert_cmphex(g->mem[rd + 1004], ==, 0x22);
    g_assert_cmphex(g->mem[rd + 3003], ==, 0x22);

    g_assert_cmpuint(bp[0x1e8], ==, g->ram.e820_nr);
    for (size_t i = 0; i < g->ram.e820_nr; i++) {
        const uint8_t *ent = bp + 0x2d0 + 20 * i;

        g_assert_cmphex(rd64(ent), ==, g->e820[i].addr);
        g_assert_cmphex(rd64(ent + 8), ==, g->e820[i].size);
        g_assert_cmpuint(rd32(ent + 16), ==, g->e820[i].type);
    }
    load_free(&t);
}

static void test_linux_32(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_bzimage(0x20a, 0);
    g_autoptr(GError) err = NULL;
    const uint8_t *bp = g->mem + X86_BOOT_ZERO_PAGE_ADDR;
    X86BootEntry e;
    TestLoad t;

    k->data[0x1f1] = 0;                     /* 0 means 4 */
    load_init(&t, k, "bzImage", "");
    g_assert_true(do_load(&t, g, &e, &err));
    g_assert_no_error(err);
    g_assert_cmpint(e.mode, ==, X86_BOOT_MODE_PROT32);
    g_assert_cmphex(e.rip, ==, 0x100000);
    g_assert_cmphex(e.rsi, ==, X86_BOOT_ZERO_PAGE_ADDR);
    g_assert_cmpmem(g->mem + 0x100000, PM_SIZE, k->data + 5 * 512, PM_SIZE);
    g_assert_cmphex(rd32(bp + 0x218), ==, 0);
    g_assert_cmphex(rd32(bp + 0x21c), ==, 0);
    g_assert_cmphex(rd64(bp + 0x70), ==, 0);            /* before 2.14 */
    g_assert_cmpstr(gstr(g, X86_BOOT_CMDLINE_ADDR), ==, "");
}

static void test_linux_initrd_max(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_bzimage(0x20f, 0x1);
    g_autoptr(GError) err = NULL;
    const uint8_t *bp = g->mem + X86_BOOT_ZERO_PAGE_ADDR;
    X86BootEntry e;
    TestLoad t;

    wr32(k->data + 0x22c, 0x01ffffff);
    load_init(&t, k, "bzImage", "");
    load_add_initrd(&t, "i", 0x1800);
    g_assert_true(do_load(&t, g, &e, &err));
    g_assert_no_error(err);
    g_assert_cmphex(rd32(bp + 0x218), ==, 0x2000000 - 0x2000);
    load_free(&t);

    /* does not fit between the kernel's init_size and initrd_addr_max */
    load_init(&t, k, "bzImage", "");
    load_add_initrd(&t, "big.img", 0x1000000);
    g_assert_false(do_load(&t, g, &e, &err));
    g_assert_nonnull(strstr(err->message,
                            "initrd 'big.img' (0x1000000 bytes) does not fit "
                            "below 0x2000000"));
    load_free(&t);
}

static void test_linux_bad(void)
{
    g_autoptr(GByteArray) old = make_bzimage(0x205, 0);
    g_autoptr(GByteArray) short_hdr = make_bzimage(0x20f, 0);
    g_autoptr(GByteArray) truncated = make_bzimage(0x20f, 0);
    g_autoptr(GByteArray) tiny = make_bzimage(0x20f, 0);
    g_autoptr(GByteArray) syssize = make_bzimage(0x20f, 0);
    g_autoptr(GByteArray) no_flag = make_bzimage(0x20f, 0);
    g_autoptr(GByteArray) zimage = make_bzimage(0x20f, 0);
    g_autoptr(GByteArray) huge = make_bzimage(0x20f, 0);
    g_autoptr(GByteArray) sects = make_bzimage(0x20f, 0);

    expect_error(old, "boot protocol 2.05 is too old");
    short_hdr->data[0x201] = 0x30;
    expect_error(short_hdr, "truncated Linux setup header");
    g_byte_array_set_size(truncated, 5 * 512);
    expect_error(truncated, "less than its setup");
    g_byte_array_set_size(tiny, 0x220);
    expect_error(tiny, "truncated Linux setup header");
    wr32(syssize->data + 0x1f4, PM_SIZE / 16 + 2);
    expect_error(syssize, "syssize");
    wr16(no_flag->data + 0x1fe, 0);
    expect_error(no_flag, "not a bzImage");
    zimage->data[0x211] = 0;
    expect_error(zimage, "not a bzImage");
    wr32(huge->data + 0x260, RAM_SIZE);
    expect_error(huge, "needs RAM from 0x100000 to");
    sects->data[0x1f1] = 0xff;
    expect_error(sects, "less than its setup");
}

static void test_linux_cmdline_and_e820(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_bzimage(0x20f, 1);
    g_autoptr(GError) err = NULL;
    g_autofree E820Entry *map = g_new0(E820Entry, 129);
    X86BootEntry e;
    TestLoad t;

    wr32(k->data + 0x238, 10);
    load_init(&t, k, "bzImage", "0123456789");
    g_assert_true(do_load(&t, g, &e, &err));
    load_init(&t, k, "bzImage", "0123456789a");
    g_assert_false(do_load(&t, g, &e, &err));
    g_assert_nonnull(strstr(err->message, "command line is 11 bytes, the "
                            "kernel accepts at most 10"));
    g_clear_error(&err);

    for (int i = 0; i < 129; i++) {
        map[i] = (E820Entry) { i * MiB, MiB, E820_RAM };
    }
    g->ram.e820 = map;
    g->ram.e820_nr = 129;
    load_init(&t, k, "bzImage", "");
    g_assert_false(do_load(&t, g, &e, &err));
    g_assert_nonnull(strstr(err->message, "at most 128"));
}

/* QEMU's order: a Linux header wins over a multiboot header. */
static void test_detect(void)
{
    g_autoptr(FakeGuest) g = guest_new(RAM_SIZE);
    g_autoptr(GByteArray) k = make_bzimage(0x20f, 1);
    g_autoptr(GByteArray) junk = g_byte_array_new();
    g_autoptr(GError) err = NULL;
    X86BootEntry e;
    TestLoad t;

    make_mb_header(k->data + 0x400, 0x10003, 0x100000, 0x100000, 0, 0, 0);
    load_init(&t, k, "hybrid", "");
    g_assert_true(do_load(&t, g, &e, &err));
    g_assert_cmpstr(e.protocol, ==, "linux");

    g_byte_array_set_size(junk, 100);
    memset(junk->data, 0, junk->len);
    expect_error(junk, "kernel 'bad': not a multiboot, PVH ELF or Linux "
                 "bzImage image");
    g_byte_array_set_size(junk, 0);
    expect_error(junk, "not a multiboot");
}

/*
 * Random byte flips and truncations of valid images must give a clean
 * success or error (run under -fsanitize=address,undefined to see more).
 */
static void test_fuzz(void)
{
    g_autoptr(FakeGuest) g = guest_new(32 * MiB);
    g_autoptr(GRand) rnd = g_rand_new_with_seed(0x9e3779b9);
    GByteArray *base[] = {
        make_mb_elf(false, 3), make_mb_aout(0x202000, 0x205000),
        make_pvh(true, 4, false), make_pvh(true, 4, true),
        make_pvh(false, 8, false), make_bzimage(0x20f, 3),
    };

    for (size_t b = 0; b < G_N_ELEMENTS(base); b++) {
        for (int iter = 0; iter < 400; iter++) {
            g_autoptr(GByteArray) k = g_byte_array_new();
            g_autoptr(GError) err = NULL;
            int flips = g_rand_int_range(rnd, 1, 8);
            X86BootEntry e;
            TestLoad t;

            g_byte_array_append(k, base[b]->data, base[b]->len);
            for (int i = 0; i < flips; i++) {
                guint at = g_rand_int_range(rnd, 0, MIN(k->len, 0x700));
                k->data[at] = g_rand_int_range(rnd, 0, 256);
            }
            if (g_rand_boolean(rnd)) {
                g_byte_array_set_size(k, g_rand_int_range(rnd, 0, k->len));
            }
            load_init(&t, k, "fuzz", "");
            load_add_initrd(&t, "rd", 100);
            if (!do_load(&t, g, &e, &err)) {
                g_assert_nonnull(err);
            }
            load_free(&t);
        }
        g_byte_array_unref(base[b]);
    }
}

/*
 * A real kernel, if the host has one: QKVM_TEST_BZIMAGE or the first
 * readable /boot/vmlinuz-*.
 */
static void test_real_bzimage(void)
{
    const char *path = g_getenv("QKVM_TEST_BZIMAGE");
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    glob_t gl = { 0 };
    size_t len = 0;

    if (!path && glob("/boot/vmlinuz-*", 0, NULL, &gl) == 0) {
        for (size_t i = 0; i < gl.gl_pathc && !data; i++) {
            if (g_file_get_contents(gl.gl_pathv[i], &data, &len, NULL)) {
                path = gl.gl_pathv[i];
            }
        }
    } else if (path && !g_file_get_contents(path, &data, &len, &err)) {
        g_test_fail_printf("%s", err->message);
        return;
    }
    if (!data) {
        g_test_skip("no readable /boot/vmlinuz-* (set QKVM_TEST_BZIMAGE)");
    } else {
        g_autoptr(FakeGuest) g = guest_new(512 * MiB);
        GByteArray k = { .data = (guint8 *)data, .len = len };
        X86BootEntry e;
        TestLoad t;

        load_init(&t, &k, path, "console=ttyS0");
        g_assert_true(do_load(&t, g, &e, &err));
        g_assert_no_error(err);
        g_test_message("%s: %s entry 0x%" G_GINT64_MODIFIER "x", path,
                       e.protocol, e.rip);
        g_assert_cmpstr(e.protocol, ==, "linux");
        g_assert_cmpint(e.mode, ==, X86_BOOT_MODE_LONG64);
        g_assert_cmphex(e.rip, ==, 0x100200);
    }
    globfree(&gl);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/x86-boot/multiboot/elf", test_multiboot_elf);
    g_test_add_func("/x86-boot/multiboot/elf64", test_multiboot_elf64);
    g_test_add_func("/x86-boot/multiboot/aout", test_multiboot_aout);
    g_test_add_func("/x86-boot/multiboot/bad", test_multiboot_bad);
    g_test_add_func("/x86-boot/multiboot/module-too-big",
                    test_multiboot_module_too_big);
    g_test_add_func("/x86-boot/pvh/elf64", test_pvh_elf64);
    g_test_add_func("/x86-boot/pvh/elf32-and-section",
                    test_pvh_elf32_and_section);
    g_test_add_func("/x86-boot/pvh/initrd-too-big", test_pvh_initrd_too_big);
    g_test_add_func("/x86-boot/elf/bad", test_elf_bad);
    g_test_add_func("/x86-boot/linux/64", test_linux_64);
    g_test_add_func("/x86-boot/linux/32", test_linux_32);
    g_test_add_func("/x86-boot/linux/initrd-max", test_linux_initrd_max);
    g_test_add_func("/x86-boot/linux/bad", test_linux_bad);
    g_test_add_func("/x86-boot/linux/cmdline-and-e820",
                    test_linux_cmdline_and_e820);
    g_test_add_func("/x86-boot/detect", test_detect);
    g_test_add_func("/x86-boot/fuzz", test_fuzz);
    g_test_add_func("/x86-boot/real-bzimage", test_real_bzimage);
    return g_test_run();
}
