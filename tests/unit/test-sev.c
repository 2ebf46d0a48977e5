/*
 * Unit tests for the SEV/SEV-ES measurement library and qkvm-sev-measure.
 *
 * Known answers come from three places:
 * - RFC 4231 (HMAC-SHA-256 test cases 1, 2 and 6);
 * - a reference written in Python (REF_PY below, hashlib/hmac/struct)
 *   from the public descriptions: OVMF's footer table, QEMU's
 *   PaddedSevHashTable, Linux's struct sev_es_save_area offsets and the
 *   register values sev-snp-measure puts in a VMSA.  It is run on the
 *   same crafted images when python3 exists; its output for them is also
 *   pasted below (KAT_*), so the digests are checked without python3.
 * - Linux's BUILD_BUG_RESERVED_OFFSET() anchors of sev_es_save_area and
 *   sev-snp-measure's vcpu_types.py, for VMSA offsets and signatures.
 */
#include "target/i386/sev/sev-measure.h"
#include "target/i386/cpu.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FW_SIZE         0x10000
#define RESET_ADDR      0x80b004u
#define HASHES_BASE     0x80c000u
#define SECRET_BASE     0x80d000u
#define UNKNOWN_GUID    "01234567-89ab-cdef-0123-456789abcdef"
#define CMDLINE         "console=ttyS0 loglevel=7"

/*
 * What REF_PY printed for the crafted image (make_fw(true, true)), the
 * kernel/initrd of make_files() and CMDLINE; arguments: mode, vCPUs,
 * signature, then k (kernel+initrd+append), K (kernel, no initrd, no
 * append) or - (no kernel).
 */
#define KAT_SEV         "a09ae0788f622ca9cee678e645569bbc" \
                        "e2f5a1e22d01644120b26c9948fbfe92"
#define KAT_SEV_K       "6bcb59d2ae082519b8e8b082d022a8fb" \
                        "ed18945c799d6744a0a8f5d2645ca5c2"
#define KAT_SEVES_1     "587715f22470b236312909a2b9676ebf" \
                        "fc278818b8a67094d30b764eb29dc392"
#define KAT_SEVES_4_K   "f3596d4d2d40f98683cf5b80a987f546" \
                        "f2cc5e07a85ebc3d1f60938e67fa279b"
#define KAT_SEVES_2_KNI "2ef6f24dcfe7e73a5fe032c3fd346011" \
                        "171f221011a0039cd0e4d32d8185e79b"
/* HMAC of KAT_SEVES_4_K with MEASURE_TIK, measure_info, MEASURE_MNONCE */
#define KAT_MEASURE     "43e45d794ac79fa26fa1d07a6b3446b4" \
                        "e1ece3641d2be3c1d60d52bc3f50d3ab"

/* ---- helpers ---- */

static uint8_t fw_byte(size_t i)
{
    return (i * 31 + 7) & 0xff;
}

static void st16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static void st32(uint8_t *p, uint32_t v)
{
    st16(p, v);
    st16(p + 2, v >> 16);
}

static uint64_t ld(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    while (size--) {
        v = v << 8 | p[size];
    }
    return v;
}

static char *hex(const uint8_t *b, size_t len)
{
    GString *s = g_string_new(NULL);

    for (size_t i = 0; i < len; i++) {
        g_string_append_printf(s, "%02x", b[i]);
    }
    return g_string_free(s, FALSE);
}

static SevGuid guid(const char *s)
{
    SevGuid g;

    g_assert_true(sev_guid_parse(s, &g));
    return g;
}

/*
 * Crafted OVMF-like images: a byte pattern, the footer table below the
 * last 32 bytes.  Entries are written downwards from the footer, so the
 * first one given is nearest to it.
 */
typedef struct TestEntry {
    const char *guid;
    uint8_t data[8];
    uint16_t data_len;
    int len_override;           /* >0: store this length instead */
} TestEntry;

static uint8_t *build_fw(size_t size, const TestEntry *e, unsigned n,
                         int total_adjust)
{
    uint8_t *fw = g_malloc(size);
    size_t pos = size - 32 - 18;        /* just below the footer entry */
    size_t foot = pos;
    SevGuid g;

    for (size_t i = 0; i < size; i++) {
        fw[i] = fw_byte(i);
    }
    for (unsigned i = 0; i < n; i++) {
        uint16_t len = e[i].data_len + 18;

        g = guid(e[i].guid);
        memcpy(fw + pos - 16, g.b, 16);
        st16(fw + pos - 18, e[i].len_override > 0 ? e[i].len_override : len);
        memcpy(fw + pos - len, e[i].data, e[i].data_len);
        pos -= len;
    }
    g = guid(OVMF_TABLE_FOOTER_GUID);
    memcpy(fw + foot + 2, g.b, 16);
    st16(fw + foot, foot - pos + 18 + total_adjust);
    return fw;
}

static TestEntry entry_reset(uint32_t addr)
{
    TestEntry e = { .guid = SEV_ES_RESET_BLOCK_GUID, .data_len = 4 };

    st32(e.data, addr);
    return e;
}

static TestEntry entry_area(const char *g, uint32_t base, uint32_t size)
{
    TestEntry e = { .guid = g, .data_len = 8 };

    st32(e.data, base);
    st32(e.data + 4, size);
    return e;
}

/* The good image: reset block, hashes area, secret area, an odd entry. */
static uint8_t *make_fw(bool with_reset, bool with_hashes)
{
    TestEntry e[4];
    unsigned n = 0;

    if (with_reset) {
        e[n++] = entry_reset(RESET_ADDR);
    }
    e[n++] = entry_area(SEV_HASH_TABLE_RV_GUID,
                        with_hashes ? HASHES_BASE : 0,
                        with_hashes ? 0x400 : 0);
    e[n++] = entry_area(SEV_SECRET_GUID, SECRET_BASE, 0x1000);
    e[n++] = (TestEntry) { .guid = UNKNOWN_GUID, .data = "abcde",
                           .data_len = 5 };
    return build_fw(FW_SIZE, e, n, 0);
}

/* Scratch directory with fw.bin, kernel.bin, initrd.bin. */
static char *make_files(void)
{
    char *dir = g_dir_make_tmp("test-sev-XXXXXX", NULL);
    g_autofree uint8_t *fw = make_fw(true, true);
    g_autofree uint8_t *k = g_malloc(5000);
    g_autofree uint8_t *i = g_malloc(3000);
    g_autofree char *pf = g_build_filename(dir, "fw.bin", NULL);
    g_autofree char *pk = g_build_filename(dir, "kernel.bin", NULL);
    g_autofree char *pi = g_build_filename(dir, "initrd.bin", NULL);

    for (unsigned n = 0; n < 5000; n++) {
        k[n] = n * 13 + 1;
    }
    for (unsigned n = 0; n < 3000; n++) {
        i[n] = n ^ 0x5a;
    }
    g_assert_true(g_file_set_contents(pf, (char *)fw, FW_SIZE, NULL));
    g_assert_true(g_file_set_contents(pk, (char *)k, 5000, NULL));
    g_assert_true(g_file_set_contents(pi, (char *)i, 3000, NULL));
    return dir;
}

static void remove_files(const char *dir)
{
    static const char *names[] = { "fw.bin", "kernel.bin", "initrd.bin",
                                   "tik.bin", "bad.bin" };

    for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *p = g_build_filename(dir, names[i], NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

/* ---- GUIDs ---- */

static void test_guid(void)
{
    static const uint8_t footer[16] = {
        0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
        0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d,
    };
    SevGuid g;

    g_assert_true(sev_guid_parse(OVMF_TABLE_FOOTER_GUID, &g));
    g_assert_cmpmem(g.b, 16, footer, 16);
    g_assert_true(sev_guid_parse("96B582DE-1FB2-45F7-BAEA-A366C55A082D", &g));
    g_assert_cmpmem(g.b, 16, footer, 16);
    g_assert_false(sev_guid_parse("96b582de1fb2-45f7-baea-a366c55a082d", &g));
    g_assert_false(sev_guid_parse("96b582de-1fb2-45f7-baea-a366c55a082", &g));
    g_assert_false(sev_guid_parse("96b582de-1fb2-45f7-baea-a366c55a082dd",
                                  &g));
    g_assert_false(sev_guid_parse("96b582de--fb2-45f7-baea-a366c55a082d", &g));
    g_assert_false(sev_guid_parse("96b582de-1fb2-45f7-baea-a366c55a082g", &g));
}

/* ---- OVMF footer table ---- */

static void test_ovmf_good(void)
{
    g_autofree uint8_t *fw = make_fw(true, true);
    g_autoptr(OvmfTable) t = NULL;
    g_autoptr(GError) err = NULL;
    const OvmfTableEntry *e;
    uint32_t addr, base, size;

    t = ovmf_table_parse(fw, FW_SIZE, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(t->nr, ==, 4);
    /* nearest the footer first: its data ends where its length begins */
    g_assert_true(t->entries[0].data + 4 == fw + FW_SIZE - 32 - 18 - 18);
    g_assert_true(ovmf_sev_es_reset_addr(t, &addr, &err));
    g_assert_cmphex(addr, ==, RESET_ADDR);
    g_assert_true(ovmf_sev_hashes_area(t, &base, &size, &err));
    g_assert_cmphex(base, ==, HASHES_BASE);
    g_assert_cmphex(size, ==, 0x400);
    g_assert_true(ovmf_sev_secret_area(t, &base, &size, &err));
    g_assert_cmphex(base, ==, SECRET_BASE);
    g_assert_cmphex(size, ==, 0x1000);
    e = ovmf_table_find(t, UNKNOWN_GUID);
    g_assert_nonnull(e);
    g_assert_cmpuint(e->len, ==, 5);
    g_assert_cmpmem(e->data, 5, "abcde", 5);
    g_assert_null(ovmf_table_find(t, OVMF_SEV_METADATA_GUID));
    g_assert_null(ovmf_table_find(t, "not a guid"));
}

/* A duplicated GUID: the entry nearest the footer wins (QEMU's rule). */
static void test_ovmf_duplicate(void)
{
    TestEntry e[2] = { entry_reset(0x1000), entry_reset(0x2000) };
    g_autofree uint8_t *fw = build_fw(FW_SIZE, e, 2, 0);
    g_autoptr(OvmfTable) t = ovmf_table_parse(fw, FW_SIZE, NULL);
    uint32_t addr;

    g_assert_nonnull(t);
    g_assert_true(ovmf_sev_es_reset_addr(t, &addr, NULL));
    g_assert_cmphex(addr, ==, 0x1000);
}

static void expect_parse_error(const uint8_t *fw, size_t size,
                               const char *msg)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(OvmfTable) t = ovmf_table_parse(fw, size, &err);

    g_assert_null(t);
    g_assert_nonnull(err);
    if (!strstr(err->message, msg)) {
        g_test_message("error '%s' lacks '%s'", err->message, msg);
        g_test_fail();
    }
}

static void test_ovmf_bad(void)
{
    TestEntry e[2] = { entry_reset(RESET_ADDR),
                       entry_area(SEV_SECRET_GUID, 1, 2) };
    g_autofree uint8_t *fw = NULL;
    g_autofree uint8_t *small = NULL;

    /* too small for QEMU to look at, footer or not */
    small = build_fw(OVMF_MIN_SIZE - 1, e, 2, 0);
    expect_parse_error(small, OVMF_MIN_SIZE - 1, "too small");

    /* no footer GUID at all */
    fw = build_fw(FW_SIZE, e, 2, 0);
    for (unsigned i = FW_SIZE - 48; i < FW_SIZE - 32; i++) {
        fw[i] = fw_byte(i);
    }
    expect_parse_error(fw, FW_SIZE, "no OVMF table footer GUID");
    g_free(fw);

    /* footer GUID one byte off the place 32 bytes before the end */
    fw = build_fw(FW_SIZE, e, 2, 0);
    memmove(fw + FW_SIZE - 50 - 1, fw + FW_SIZE - 50, 18);
    expect_parse_error(fw, FW_SIZE, "no OVMF table footer GUID");
    g_free(fw);

    /* total length below the footer's own 18 bytes */
    fw = build_fw(FW_SIZE, e, 2, 0);
    st16(fw + FW_SIZE - 50, 17);
    expect_parse_error(fw, FW_SIZE, "OVMF table has invalid size -1");
    g_free(fw);

    /* total length reaching before the start of the image */
    fw = build_fw(FW_SIZE, e, 2, 0);
    g_free(small);
    small = g_memdup2(fw + FW_SIZE - OVMF_MIN_SIZE, OVMF_MIN_SIZE);
    st16(small + OVMF_MIN_SIZE - 50, OVMF_MIN_SIZE);
    expect_parse_error(small, OVMF_MIN_SIZE, "OVMF table has invalid size");
    g_free(fw);

    /* total length with bytes that are no entry */
    fw = build_fw(FW_SIZE, e, 2, 5);
    expect_parse_error(fw, FW_SIZE, "5 stray bytes");
    g_free(fw);

    /* an entry shorter than its own size and GUID */
    e[1].len_override = 17;
    fw = build_fw(FW_SIZE, e, 2, 0);
    expect_parse_error(fw, FW_SIZE, "OVMF table entry "
                       SEV_SECRET_GUID " has invalid length 17");
    g_free(fw);

    /* an entry longer than what is left of the table */
    e[1].len_override = 27;
    fw = build_fw(FW_SIZE, e, 2, 0);
    expect_parse_error(fw, FW_SIZE, "has invalid length 27");
}

static void test_ovmf_entries(void)
{
    TestEntry zero = entry_reset(0);
    TestEntry shortr = { .guid = SEV_ES_RESET_BLOCK_GUID, .data_len = 2 };
    TestEntry small = entry_area(SEV_HASH_TABLE_RV_GUID, HASHES_BASE,
                                 SEV_PADDED_HASH_TABLE_SIZE - 1);
    g_autofree uint8_t *fw1 = make_fw(false, false);
    g_autofree uint8_t *fw2 = build_fw(FW_SIZE, &zero, 1, 0);
    g_autofree uint8_t *fw3 = build_fw(FW_SIZE, &shortr, 1, 0);
    g_autofree uint8_t *fw4 = build_fw(FW_SIZE, &small, 1, 0);
    g_autoptr(OvmfTable) t1 = ovmf_table_parse(fw1, FW_SIZE, NULL);
    g_autoptr(OvmfTable) t2 = ovmf_table_parse(fw2, FW_SIZE, NULL);
    g_autoptr(OvmfTable) t3 = ovmf_table_parse(fw3, FW_SIZE, NULL);
    g_autoptr(OvmfTable) t4 = ovmf_table_parse(fw4, FW_SIZE, NULL);
    GError *err = NULL;
    uint32_t a, b;

    g_assert_false(ovmf_sev_es_reset_addr(t1, &a, &err));
    g_assert_nonnull(strstr(err->message, "no SEV-ES reset block"));
    g_clear_error(&err);
    g_assert_false(ovmf_sev_hashes_area(t1, &a, &b, &err));
    g_assert_nonnull(strstr(err->message, "does not support kernel hashes"));
    g_clear_error(&err);
    g_assert_false(ovmf_sev_es_reset_addr(t2, &a, &err));
    g_assert_nonnull(strstr(err->message, "reset address is zero"));
    g_clear_error(&err);
    g_assert_false(ovmf_sev_es_reset_addr(t3, &a, &err));
    g_assert_nonnull(strstr(err->message, "2 bytes, expected 4"));
    g_clear_error(&err);
    g_assert_false(ovmf_sev_hashes_area(t4, &a, &b, &err));
    g_assert_nonnull(strstr(err->message, "size=0xaf"));
    g_clear_error(&err);
    g_assert_false(ovmf_sev_secret_area(t4, &a, &b, &err));
    g_assert_nonnull(strstr(err->message, "no launch secret area"));
    g_clear_error(&err);
}

/* ---- VMSA ---- */

/*
 * Offsets of struct sev_es_save_area (Linux arch/x86/include/asm/svm.h),
 * counted from its declaration; the reserved fields' names carry their
 * offsets and BUILD_BUG_RESERVED_OFFSET() pins them, which anchors the
 * count: reserved_0xc8, 0xcc, 0xd8, 0x1c0, 0x248, 0x298, 0x2f0, 0x320,
 * 0x380, 0x3f0, and sizeof == EXPECTED_SEV_ES_SAVE_AREA_SIZE (1648).
 */
typedef struct VmsaField {
    const char *name;
    unsigned off, size;
    size_t regs_off;        /* offsetof in SevVmsaRegs */
} VmsaField;

#define F(n, o, s) { #n, o, s, offsetof(SevVmsaRegs, n) }
static const VmsaField vmsa_fields[] = {
    F(cpl, 0xcb, 1), F(efer, 0xd0, 8),
    F(xss, 0x140, 8), F(cr4, 0x148, 8), F(cr3, 0x150, 8), F(cr0, 0x158, 8),
    F(dr7, 0x160, 8), F(dr6, 0x168, 8), F(rflags, 0x170, 8),
    F(rip, 0x178, 8), F(rsp, 0x1d8, 8), F(rax, 0x1f8, 8),
    F(star, 0x200, 8), F(lstar, 0x208, 8), F(cstar, 0x210, 8),
    F(sfmask, 0x218, 8), F(kernel_gs_base, 0x220, 8),
    F(sysenter_cs, 0x228, 8), F(sysenter_esp, 0x230, 8),
    F(sysenter_eip, 0x238, 8), F(cr2, 0x240, 8), F(g_pat, 0x268, 8),
    F(dbgctl, 0x270, 8), F(pkru, 0x2e8, 4), F(tsc_aux, 0x2ec, 4),
    F(rcx, 0x308, 8), F(rdx, 0x310, 8), F(rbx, 0x318, 8),
    F(rbp, 0x328, 8), F(rsi, 0x330, 8), F(rdi, 0x338, 8),
    F(r8, 0x340, 8), F(r9, 0x348, 8), F(r10, 0x350, 8), F(r11, 0x358, 8),
    F(r12, 0x360, 8), F(r13, 0x368, 8), F(r14, 0x370, 8),
    F(r15, 0x378, 8), F(sev_features, 0x3b0, 8), F(xcr0, 0x3e8, 8),
    F(x87_dp, 0x400, 8), F(mxcsr, 0x408, 4), F(x87_ftw, 0x40c, 2),
    F(x87_fsw, 0x40e, 2), F(x87_fcw, 0x410, 2), F(x87_fop, 0x412, 2),
    F(x87_ds, 0x414, 2), F(x87_cs, 0x416, 2), F(x87_rip, 0x418, 8),
    F(fpreg_x87, 0x420, 80), F(fpreg_xmm, 0x470, 256),
    F(fpreg_ymm, 0x570, 256),
};
#undef F

/* Segments: es cs ss ds fs gs gdtr ldtr idtr tr, 16 bytes each from 0. */
static const size_t vmsa_segs[10] = {
    offsetof(SevVmsaRegs, es), offsetof(SevVmsaRegs, cs),
    offsetof(SevVmsaRegs, ss), offsetof(SevVmsaRegs, ds),
    offsetof(SevVmsaRegs, fs), offsetof(SevVmsaRegs, gs),
    offsetof(SevVmsaRegs, gdtr), offsetof(SevVmsaRegs, ldtr),
    offsetof(SevVmsaRegs, idtr), offsetof(SevVmsaRegs, tr),
};

static void test_vmsa_layout(void)
{
    SevVmsaRegs r;
    uint8_t page[SEV_VMSA_SIZE];
    uint8_t covered[SEV_VMSA_SIZE] = { 0 };
    uint8_t *raw = (uint8_t *)&r;

    /* give every byte of every field a value that tells where it is */
    memset(&r, 0, sizeof(r));
    for (unsigned i = 0; i < G_N_ELEMENTS(vmsa_fields); i++) {
        const VmsaField *f = &vmsa_fields[i];

        for (unsigned b = 0; b < f->size; b++) {
            raw[f->regs_off + b] = (f->off + b) * 7 + 1;
        }
    }
    for (unsigned i = 0; i < 10; i++) {
        SevSegment *s = (SevSegment *)(raw + vmsa_segs[i]);

        s->selector = 0x1100 + i;
        s->attrib = 0x2200 + i;
        s->limit = 0x33330000 + i;
        s->base = 0x4444444400000000ull + i;
    }
    sev_vmsa_build(&r, page);

    for (unsigned i = 0; i < G_N_ELEMENTS(vmsa_fields); i++) {
        const VmsaField *f = &vmsa_fields[i];

        for (unsigned b = 0; b < f->size; b++) {
            if (page[f->off + b] != (uint8_t)((f->off + b) * 7 + 1)) {
                g_test_message("%s: byte %u at 0x%x is 0x%02x", f->name, b,
                               f->off + b, page[f->off + b]);
                g_test_fail();
            }
            covered[f->off + b] = 1;
        }
    }
    for (unsigned i = 0; i < 10; i++) {
        const uint8_t *p = page + 16 * i;

        g_assert_cmphex(ld(p, 2), ==, 0x1100 + i);
        g_assert_cmphex(ld(p + 2, 2), ==, 0x2200 + i);
        g_assert_cmphex(ld(p + 4, 4), ==, 0x33330000 + i);
        g_assert_cmphex(ld(p + 8, 8), ==, 0x4444444400000000ull + i);
        memset(covered + 16 * i, 1, 16);
    }
    /* reserved fields and the rest of the page stay zero */
    for (unsigned i = 0; i < SEV_VMSA_SIZE; i++) {
        if (!covered[i] && page[i]) {
            g_test_message("byte 0x%x is 0x%02x, not zero", i, page[i]);
            g_test_fail();
        }
    }
    /* the Linux anchors are reserved, so uncovered */
    g_assert_false(covered[0xc8] || covered[0xcc] || covered[0xd8] ||
                   covered[0x1c0] || covered[0x248] || covered[0x298] ||
                   covered[0x2f0] || covered[0x320] || covered[0x380] ||
                   covered[0x3f0] || covered[0x670]);
    g_assert_true(covered[0x66f]);
}

static void test_vmsa_reset(void)
{
    SevVmsaRegs r;
    uint8_t page[SEV_VMSA_SIZE];

    sev_vmsa_reset_regs(&r, SEV_BSP_RESET_EIP, 0x00800f12, SEV_VMM_QEMU);
    sev_vmsa_build(&r, page);
    /* CS: selector f000, attrib 9b, limit ffff, base ffff0000 */
    g_assert_cmphex(ld(page + 0x10, 8), ==, 0x0000ffff009bf000ull);
    g_assert_cmphex(ld(page + 0x18, 8), ==, 0xffff0000);
    g_assert_cmphex(ld(page + 0x00, 8), ==, 0x0000ffff00930000ull);
    g_assert_cmphex(ld(page + 0x60, 8), ==, 0x0000ffff00000000ull);
    g_assert_cmphex(ld(page + 0x70, 8), ==, 0x0000ffff00820000ull);
    g_assert_cmphex(ld(page + 0x90, 8), ==, 0x0000ffff008b0000ull);
    g_assert_cmphex(ld(page + 0x178, 8), ==, 0xfff0);        /* rip */
    g_assert_cmphex(ld(page + 0x158, 8), ==, 0x10);          /* cr0 */
    g_assert_cmphex(ld(page + 0x148, 8), ==, 0x40);          /* cr4 */
    g_assert_cmphex(ld(page + 0xd0, 8), ==, 0x1000);         /* efer */
    g_assert_cmphex(ld(page + 0x170, 8), ==, 0x2);           /* rflags */
    g_assert_cmphex(ld(page + 0x168, 8), ==, 0xffff0ff0);    /* dr6 */
    g_assert_cmphex(ld(page + 0x160, 8), ==, 0x400);         /* dr7 */
    g_assert_cmphex(ld(page + 0x268, 8), ==, 0x0007040600070406ull);
    g_assert_cmphex(ld(page + 0x310, 8), ==, 0x00800f12);    /* rdx */
    g_assert_cmphex(ld(page + 0x3e8, 8), ==, 1);             /* xcr0 */
    g_assert_cmphex(ld(page + 0x408, 4), ==, 0x1f80);        /* mxcsr */
    g_assert_cmphex(ld(page + 0x410, 2), ==, 0x37f);         /* fcw */
    g_assert_cmphex(ld(page + 0x3b0, 8), ==, 0);      /* sev_features */

    /* an AP at the SEV-ES reset block: CS.base/IP split the address */
    sev_vmsa_reset_regs(&r, RESET_ADDR, 0x00800f12, SEV_VMM_QEMU);
    sev_vmsa_build(&r, page);
    g_assert_cmphex(ld(page + 0x18, 8), ==, 0x800000);
    g_assert_cmphex(ld(page + 0x178, 8), ==, 0xb004);

    /* sev-snp-measure's ec2 flavour */
    sev_vmsa_reset_regs(&r, SEV_BSP_RESET_EIP, 0x00800f12, SEV_VMM_EC2);
    sev_vmsa_build(&r, page);
    g_assert_cmphex(ld(page + 0x12, 2), ==, 0x9a);
    g_assert_cmphex(ld(page + 0x22, 2), ==, 0x92);
    g_assert_cmphex(ld(page + 0x92, 2), ==, 0x83);
    g_assert_cmphex(ld(page + 0x310, 8), ==, 0);
    g_assert_cmphex(ld(page + 0x408, 4), ==, 0);
    g_assert_cmphex(ld(page + 0x410, 2), ==, 0);
}

static struct kvm_segment kseg(uint16_t sel, uint64_t base, uint8_t type,
                               uint8_t s)
{
    return (struct kvm_segment) {
        .base = base, .limit = 0xffff, .selector = sel, .type = type,
        .present = 1, .s = s,
    };
}

/*
 * The state QEMU gives a vCPU at reset (KVM_SET_REGS/SREGS), through
 * the KVM view, gives the same page as sev_vmsa_reset_regs().
 */
static void test_vmsa_from_kvm(void)
{
    struct kvm_regs kr = { .rip = 0xfff0, .rflags = 2, .rdx = 0x00a00f11 };
    struct kvm_sregs ks = {
        .cs = kseg(0xf000, 0xffff0000, 0xb, 1),
        .ds = kseg(0, 0, 3, 1), .es = kseg(0, 0, 3, 1),
        .fs = kseg(0, 0, 3, 1), .gs = kseg(0, 0, 3, 1),
        .ss = kseg(0, 0, 3, 1),
        .ldt = kseg(0, 0, 2, 0), .tr = kseg(0, 0, 0xb, 0),
        .gdt = { .limit = 0xffff }, .idt = { .limit = 0xffff },
        .cr0 = 0x60000010,
    };
    SevVmsaRegs a, b;
    uint8_t pa[SEV_VMSA_SIZE], pb[SEV_VMSA_SIZE];

    sev_vmsa_reset_regs(&a, SEV_BSP_RESET_EIP, 0x00a00f11, SEV_VMM_QEMU);
    memset(&b, 0, sizeof(b));
    sev_vmsa_regs_from_kvm(&b, &kr, &ks);
    b.dr6 = 0xffff0ff0;
    b.dr7 = 0x400;
    b.g_pat = 0x0007040600070406ull;
    b.xcr0 = 1;
    b.x87_fcw = 0x37f;
    b.mxcsr = 0x1f80;
    sev_vmsa_build(&a, pa);
    sev_vmsa_build(&b, pb);
    g_assert_cmpmem(pa, sizeof(pa), pb, sizeof(pb));

    ks.cs.unusable = 1;
    ks.cs.l = ks.cs.db = ks.cs.g = ks.cs.avl = 1;
    ks.cs.dpl = 3;
    g_assert_cmphex(sev_segment_from_kvm(&ks.cs).attrib, ==, 0xf7b);
}

/* ---- CPU signatures ---- */

static void test_cpu_sig(void)
{
    static const struct {
        const char *type;
        uint32_t sig;
    } sigs[] = {
        /* vcpu_types.py: EPYC* (23,1,2), Rome (23,49,0), Milan (25,1,1),
         * Genoa (25,17,0), Turin (26,0,0) */
        { "EPYC", 0x00800f12 }, { "EPYC-v1", 0x00800f12 },
        { "EPYC-v2", 0x00800f12 }, { "EPYC-IBPB", 0x00800f12 },
        { "EPYC-v3", 0x00800f12 }, { "EPYC-v4", 0x00800f12 },
        { "EPYC-Rome", 0x00830f10 }, { "EPYC-Rome-v1", 0x00830f10 },
        { "EPYC-Rome-v2", 0x00830f10 }, { "EPYC-Rome-v3", 0x00830f10 },
        { "EPYC-Milan", 0x00a00f11 }, { "EPYC-Milan-v1", 0x00a00f11 },
        { "EPYC-Milan-v2", 0x00a00f11 },
        { "EPYC-Genoa", 0x00a10f10 }, { "EPYC-Genoa-v1", 0x00a10f10 },
        { "EPYC-Turin", 0x00b00f00 },
    };
    uint32_t sig;
    unsigned n = 0;

    /* sev-snp-measure's tests/test_vcpu_types.py */
    g_assert_cmphex(sev_cpu_sig(14, 1, 2), ==, 0x0e12);
    g_assert_cmphex(sev_cpu_sig(23, 1, 2), ==, 0x800f12);
    for (unsigned i = 0; i < G_N_ELEMENTS(sigs); i++) {
        g_assert_true(sev_cpu_sig_from_type(sigs[i].type, &sig));
        g_assert_cmphex(sig, ==, sigs[i].sig);
    }
    g_assert_false(sev_cpu_sig_from_type("epyc", &sig));
    g_assert_false(sev_cpu_sig_from_type("qemu64", &sig));
    while (sev_cpu_type_name(n)) {
        n++;
    }
    g_assert_cmpuint(n, ==, G_N_ELEMENTS(sigs));
}

/* qkvm's own CPU models agree with the table (as QEMU's do). */
static void test_cpu_sig_models(void)
{
    static const char *models[] = { "EPYC", "EPYC-Rome", "EPYC-Milan" };

    for (unsigned i = 0; i < G_N_ELEMENTS(models); i++) {
        g_autoptr(X86CPUDef) def = x86_cpu_parse(models[i], NULL);
        uint32_t sig;

        g_assert_nonnull(def);
        g_assert_true(sev_cpu_sig_from_type(models[i], &sig));
        g_assert_cmphex(x86_cpu_def_signature(def), ==, sig);
    }
}

/* ---- hashes, HMAC, digests ---- */

static void test_hashes_table(void)
{
    SevKernelHashes h;
    uint8_t t[SEV_PADDED_HASH_TABLE_SIZE], d[SEV_DIGEST_SIZE];
    g_autofree char *ih = NULL;
    SevGuid g;
    gsize n = SEV_DIGEST_SIZE;
    GChecksum *c;

    sev_kernel_hashes_from_data(&h, "KERNEL", 6, NULL, 0, "ab");
    sev_hashes_table_build(&h, t);
    g = guid(SEV_HASH_TABLE_HEADER_GUID);
    g_assert_cmpmem(t, 16, g.b, 16);
    g_assert_cmpuint(ld(t + 16, 2), ==, 168);
    g = guid(SEV_CMDLINE_ENTRY_GUID);
    g_assert_cmpmem(t + 18, 16, g.b, 16);
    g_assert_cmpuint(ld(t + 34, 2), ==, 50);
    g = guid(SEV_INITRD_ENTRY_GUID);
    g_assert_cmpmem(t + 68, 16, g.b, 16);
    g = guid(SEV_KERNEL_ENTRY_GUID);
    g_assert_cmpmem(t + 118, 16, g.b, 16);
    g_assert_cmpuint(ld(t + 134, 2), ==, 50);
    for (unsigned i = 168; i < 176; i++) {
        g_assert_cmpuint(t[i], ==, 0);
    }

    /* cmdline with its NUL; initrd of nothing */
    c = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(c, (const guchar *)"ab", 3);
    g_checksum_get_digest(c, d, &n);
    g_checksum_free(c);
    g_assert_cmpmem(t + 36, 32, d, 32);
    /* SHA-256 of the empty string (the well-known constant) */
    ih = hex(t + 86, 32);
    g_assert_cmpstr(ih, ==, "e3b0c44298fc1c149afbf4c8996fb924"
                    "27ae41e4649b934ca495991b7852b855");
}

static void check_hmac(const void *key, size_t klen, const char *data,
                       const char *expect)
{
    uint8_t mac[SEV_DIGEST_SIZE];
    g_autofree char *got = NULL;

    sev_hmac_sha256(key, klen, data, strlen(data), mac);
    got = hex(mac, sizeof(mac));
    g_assert_cmpstr(got, ==, expect);
}

/* RFC 4231, 4.2, 4.3 and 4.7: HMAC-SHA-256 */
static void test_hmac_rfc4231(void)
{
    uint8_t key1[20], key6[131];

    memset(key1, 0x0b, sizeof(key1));
    check_hmac(key1, sizeof(key1), "Hi There",
               "b0344c61d8db38535ca8afceaf0bf12b"
               "881dc200c9833da726e9376c2e32cff7");
    check_hmac("Jefe", 4, "what do ya want for nothing?",
               "5bdcc146bf60754e6a042426089575c7"
               "5a003f089d2739839dec58b964ec3843");
    memset(key6, 0xaa, sizeof(key6));
    check_hmac(key6, sizeof(key6),
               "Test Using Larger Than Block-Size Key - Hash Key First",
               "60e431591ee0b67f0d8a26aacbf5b77f"
               "8e0bc6213728c5140546040f0ee37f54");
}

/* The HMAC input is laid out byte by byte as SEV API 6.5.1 says. */
static void test_launch_measure_layout(void)
{
    uint8_t tik[SEV_TIK_SIZE], ld[SEV_DIGEST_SIZE], mnonce[SEV_MNONCE_SIZE];
    uint8_t msg[8 + SEV_DIGEST_SIZE + SEV_MNONCE_SIZE];
    uint8_t a[SEV_DIGEST_SIZE], b[SEV_DIGEST_SIZE];
    SevMeasureInfo info = {
        .api_major = 1, .api_minor = 55, .build = 21, .policy = 0x12345605,
    };

    for (unsigned i = 0; i < 32; i++) {
        tik[i % 16] = i;
        ld[i] = 0x40 + i;
        mnonce[i % 16] = 0xa0 + i % 16;
    }
    sev_launch_measure(tik, &info, ld, mnonce, a);
    msg[0] = 0x04;
    msg[1] = 1;
    msg[2] = 55;
    msg[3] = 21;
    msg[4] = 0x05;
    msg[5] = 0x56;
    msg[6] = 0x34;
    msg[7] = 0x12;
    memcpy(msg + 8, ld, 32);
    memcpy(msg + 40, mnonce, 16);
    sev_hmac_sha256(tik, sizeof(tik), msg, sizeof(msg), b);
    g_assert_cmpmem(a, 32, b, 32);
}

/*
 * The reference: parses the footer table backwards from 32 bytes before
 * the end, builds the padded hashes table and the VMSA pages with
 * struct.pack_into at the offsets of Linux's sev_es_save_area, and
 * hashes them in QEMU's order.  Optional trailing arguments compute the
 * LAUNCH_MEASURE HMAC too.
 */
static const char REF_PY[] =
"import hashlib, hmac, struct, sys, uuid\n"
"a = sys.argv[1:]\n"
"G = lambda s: uuid.UUID(s).bytes_le\n"
"fw = open(a[0], 'rb').read()\n"
"mode, vcpus, sig = a[1], int(a[2]), int(a[3], 0)\n"
"kernel, initrd, append = [None if x == '-' else x for x in a[4:7]]\n"
"n = len(fw)\n"
"assert fw[n - 48:n - 32] == G('96b582de-1fb2-45f7-baea-a366c55a082d')\n"
"end = n - 50\n"
"stop = end - (struct.unpack_from('<H', fw, end)[0] - 18)\n"
"tab = {}\n"
"while end > stop:\n"
"    ln = struct.unpack_from('<H', fw, end - 18)[0]\n"
"    tab.setdefault(fw[end - 16:end], fw[end - ln:end - 18])\n"
"    end -= ln\n"
"h = hashlib.sha256(fw)\n"
"if kernel:\n"
"    base = struct.unpack_from('<I',\n"
"        tab[G('7255371f-3a3b-4b04-927b-1da6efa8d454')])[0]\n"
"    assert base != 0\n"
"    d = lambda b: hashlib.sha256(b).digest()\n"
"    e = lambda g, dg: G(g) + struct.pack('<H', 50) + dg\n"
"    t = G('9438d606-4f22-4cc9-b479-a793d411fd21') + struct.pack('<H', 168)\n"
"    t += e('97d02dd8-bd20-4c94-aa78-e7714d36ab2a',\n"
"           d((append or '').encode() + b'\\0'))\n"
"    t += e('44baf731-3a2f-4bd7-9af1-41e29169781d',\n"
"           d(open(initrd, 'rb').read() if initrd else b''))\n"
"    t += e('4de79437-abd2-427f-b835-d5b172d2045b',\n"
"           d(open(kernel, 'rb').read()))\n"
"    h.update(t + bytes(176 - len(t)))\n"
"def vmsa(eip):\n"
"    p = bytearray(4096)\n"
"    segs = [(0, 0x93, 0), (0xf000, 0x9b, eip & 0xffff0000), (0, 0x93, 0),\n"
"            (0, 0x93, 0), (0, 0x93, 0), (0, 0x93, 0), (0, 0, 0),\n"
"            (0, 0x82, 0), (0, 0, 0), (0, 0x8b, 0)]\n"
"    for i, (sel, attr, base) in enumerate(segs):\n"
"        struct.pack_into('<HHIQ', p, 16 * i, sel, attr, 0xffff, base)\n"
"    for off, v in ((0xd0, 0x1000), (0x148, 0x40), (0x158, 0x10),\n"
"                   (0x160, 0x400), (0x168, 0xffff0ff0), (0x170, 2),\n"
"                   (0x178, eip & 0xffff), (0x268, 0x0007040600070406),\n"
"                   (0x310, sig), (0x3e8, 1)):\n"
"        struct.pack_into('<Q', p, off, v)\n"
"    struct.pack_into('<I', p, 0x408, 0x1f80)\n"
"    struct.pack_into('<H', p, 0x410, 0x37f)\n"
"    return bytes(p)\n"
"if mode == 'seves':\n"
"    ap = struct.unpack_from('<I',\n"
"        tab[G('00f771de-1a7e-4fcb-890e-68c77e2fb44e')])[0]\n"
"    for i in range(vcpus):\n"
"        h.update(vmsa(0xfffffff0 if i == 0 else ap))\n"
"ld = h.digest()\n"
"print(ld.hex())\n"
"if len(a) > 7:\n"
"    tik, mj, mn, bd, pol, nonce = a[7:13]\n"
"    msg = bytes([4, int(mj), int(mn), int(bd)])\n"
"    msg += struct.pack('<I', int(pol, 0)) + ld + bytes.fromhex(nonce)\n"
"    print(hmac.new(bytes.fromhex(tik), msg, hashlib.sha256).hexdigest())\n";

static bool have_python(void)
{
    g_autofree char *py = g_find_program_in_path("python3");

    return py != NULL;
}

/* Run REF_PY; its stdout, or NULL when there is no python3. */
static char *run_ref(const char *const *args)
{
    g_autofree char *py = g_find_program_in_path("python3");
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *err = NULL;
    char *out = NULL;
    int status;

    if (!py) {
        return NULL;
    }
    g_ptr_array_add(argv, py);
    g_ptr_array_add(argv, (char *)"-c");
    g_ptr_array_add(argv, (char *)REF_PY);
    for (unsigned i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (char *)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                               G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, NULL));
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        g_printerr("reference failed: %s", err);
        g_assert_not_reached();
    }
    return out;
}

typedef struct DigestCase {
    const char *mode;
    unsigned vcpus;
    uint32_t sig;
    char kernel;            /* '-' none, 'k' kernel+initrd+append, 'K' */
    const char *kat;
} DigestCase;

static const DigestCase digest_cases[] = {
    { "sev", 1, 0, '-', KAT_SEV },
    { "sev", 1, 0, 'k', KAT_SEV_K },
    { "seves", 1, 0x00800f12, '-', KAT_SEVES_1 },
    { "seves", 4, 0x00a00f11, 'k', KAT_SEVES_4_K },
    { "seves", 2, 0x00830f10, 'K', KAT_SEVES_2_KNI },
};

static void case_digest(const DigestCase *c, const char *dir,
                        uint8_t ld[SEV_DIGEST_SIZE])
{
    g_autofree char *pf = g_build_filename(dir, "fw.bin", NULL);
    g_autofree char *pk = g_build_filename(dir, "kernel.bin", NULL);
    g_autofree char *pi = g_build_filename(dir, "initrd.bin", NULL);
    g_autofree char *fw = NULL;
    g_autoptr(GError) err = NULL;
    SevKernelHashes h;
    size_t len;
    SevLaunchParams p = {
        .mode = !strcmp(c->mode, "sev") ? SEV_MODE_SEV : SEV_MODE_SEV_ES,
        .vcpus = c->vcpus, .vcpu_sig = c->sig, .vmm = SEV_VMM_QEMU,
    };

    g_assert_true(g_file_get_contents(pf, &fw, &len, NULL));
    p.fw = (uint8_t *)fw;
    p.fw_size = len;
    if (c->kernel != '-') {
        bool full = c->kernel == 'k';

        g_assert_true(sev_kernel_hashes_from_files(&h, pk, full ? pi : NULL,
                                                   full ? CMDLINE : NULL,
                                                   &err));
        p.hashes = &h;
    }
    g_assert_true(sev_calc_launch_digest(&p, ld, &err));
    g_assert_no_error(err);
}

static void test_digest_kat(void)
{
    g_autofree char *dir = make_files();

    for (unsigned i = 0; i < G_N_ELEMENTS(digest_cases); i++) {
        uint8_t ld[SEV_DIGEST_SIZE];
        g_autofree char *got = NULL;

        case_digest(&digest_cases[i], dir, ld);
        got = hex(ld, sizeof(ld));
        g_test_message("case %u: %s", i, got);
        g_assert_cmpstr(got, ==, digest_cases[i].kat);
    }
    remove_files(dir);
}

static void test_digest_reference(void)
{
    g_autofree char *dir = make_files();
    g_autofree char *pf = g_build_filename(dir, "fw.bin", NULL);
    g_autofree char *pk = g_build_filename(dir, "kernel.bin", NULL);
    g_autofree char *pi = g_build_filename(dir, "initrd.bin", NULL);

    if (!have_python()) {
        g_test_skip("python3 not found");
        remove_files(dir);
        return;
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(digest_cases); i++) {
        const DigestCase *c = &digest_cases[i];
        g_autofree char *vcpus = g_strdup_printf("%u", c->vcpus);
        g_autofree char *sig = g_strdup_printf("0x%x", c->sig);
        bool full = c->kernel == 'k';
        const char *args[] = {
            pf, c->mode, vcpus, sig, c->kernel == '-' ? "-" : pk,
            full ? pi : "-", full ? CMDLINE : "-", NULL
        };
        g_autofree char *ref = run_ref(args);
        g_autofree char *got = NULL, *line = NULL;
        uint8_t ld[SEV_DIGEST_SIZE];

        case_digest(c, dir, ld);
        got = hex(ld, sizeof(ld));
        line = g_strdup_printf("%s\n", got);
        g_assert_cmpstr(line, ==, ref);
    }
    remove_files(dir);
}

/* The sample LAUNCH_MEASURE inputs of the measurement KAT. */
static const SevMeasureInfo measure_info = {
    .api_major = 1, .api_minor = 55, .build = 21, .policy = 0x5,
};
#define MEASURE_TIK     "000102030405060708090a0b0c0d0e0f"
#define MEASURE_MNONCE  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"

static void unhex(const char *s, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        out[i] = g_ascii_xdigit_value(s[2 * i]) << 4 |
                 g_ascii_xdigit_value(s[2 * i + 1]);
    }
}

static void sample_measure(const uint8_t ld[SEV_DIGEST_SIZE],
                           uint8_t m[SEV_DIGEST_SIZE])
{
    uint8_t tik[SEV_TIK_SIZE], mnonce[SEV_MNONCE_SIZE];

    unhex(MEASURE_TIK, tik, sizeof(tik));
    unhex(MEASURE_MNONCE, mnonce, sizeof(mnonce));
    sev_launch_measure(tik, &measure_info, ld, mnonce, m);
}

/*
 * The simulated firmware's path: LAUNCH_UPDATE_DATA of the flash and the
 * hashes table, LAUNCH_UPDATE_VMSA per vCPU, LAUNCH_MEASURE; the same
 * digest as the one-shot prediction, and the measurement REF_PY gets.
 */
static void test_launch_flow(void)
{
    const DigestCase *c = &digest_cases[3];     /* seves, 4, kernel */
    g_autofree char *dir = make_files();
    g_autofree char *pf = g_build_filename(dir, "fw.bin", NULL);
    g_autofree char *pk = g_build_filename(dir, "kernel.bin", NULL);
    g_autofree char *pi = g_build_filename(dir, "initrd.bin", NULL);
    g_autoptr(SevLaunchDigest) sim = sev_launch_digest_new();
    g_autofree char *fw = NULL;
    g_autofree char *got = NULL;
    uint8_t ht[SEV_PADDED_HASH_TABLE_SIZE], page[SEV_VMSA_SIZE];
    uint8_t ld[SEV_DIGEST_SIZE], ld2[SEV_DIGEST_SIZE];
    uint8_t m[SEV_DIGEST_SIZE];
    SevKernelHashes h;
    SevVmsaRegs r;
    size_t len;

    g_assert_true(g_file_get_contents(pf, &fw, &len, NULL));
    g_assert_true(sev_kernel_hashes_from_files(&h, pk, pi, CMDLINE, NULL));
    sev_hashes_table_build(&h, ht);
    /* in pieces, as QEMU encrypts the flash region by region */
    sev_launch_digest_update_data(sim, fw, 0x3000);
    sev_launch_digest_update_data(sim, fw + 0x3000, len - 0x3000);
    sev_launch_digest_update_data(sim, ht, sizeof(ht));
    for (unsigned i = 0; i < c->vcpus; i++) {
        sev_vmsa_reset_regs(&r, i ? RESET_ADDR : SEV_BSP_RESET_EIP, c->sig,
                            SEV_VMM_QEMU);
        sev_vmsa_build(&r, page);
        sev_launch_digest_update_vmsa(sim, page);
    }
    sev_launch_digest_finish(sim, ld);
    case_digest(c, dir, ld2);
    g_assert_cmpmem(ld, 32, ld2, 32);

    sample_measure(ld, m);
    got = hex(m, sizeof(m));
    g_assert_cmpstr(got, ==, KAT_MEASURE);

    if (have_python()) {
        g_autofree char *expect = g_strdup_printf("%s\n%s\n", c->kat, got);
        const char *args[] = {
            pf, "seves", "4", "0xa00f11", pk, pi, CMDLINE, MEASURE_TIK,
            "1", "55", "21", "0x5", MEASURE_MNONCE, NULL
        };
        g_autofree char *ref = run_ref(args);

        g_assert_cmpstr(ref, ==, expect);
    }
    remove_files(dir);
}

static void test_digest_errors(void)
{
    g_autofree uint8_t *plain = make_fw(false, false);
    g_autofree uint8_t *bad = make_fw(true, true);
    SevKernelHashes h;
    uint8_t ld[SEV_DIGEST_SIZE];
    SevLaunchParams p = {
        .mode = SEV_MODE_SEV_ES, .fw = plain, .fw_size = FW_SIZE,
        .vcpus = 1, .vmm = SEV_VMM_QEMU,
    };
    GError *err = NULL;

    /* no SEV-ES reset block: fine for SEV, an error for SEV-ES */
    g_assert_false(sev_calc_launch_digest(&p, ld, &err));
    g_assert_nonnull(strstr(err->message, "no SEV-ES reset block"));
    g_clear_error(&err);
    p.mode = SEV_MODE_SEV;
    g_assert_true(sev_calc_launch_digest(&p, ld, &err));

    /* -kernel, but the hashes table area has base 0 */
    sev_kernel_hashes_from_data(&h, "k", 1, NULL, 0, NULL);
    p.hashes = &h;
    g_assert_false(sev_calc_launch_digest(&p, ld, &err));
    g_assert_nonnull(strstr(err->message, "does not support kernel hashes"));
    g_clear_error(&err);

    /* a malformed image */
    st16(bad + FW_SIZE - 50, 3);
    p.fw = bad;
    p.hashes = NULL;
    g_assert_false(sev_calc_launch_digest(&p, ld, &err));
    g_assert_nonnull(strstr(err->message, "invalid size"));
    g_clear_error(&err);
}

/* ---- the command line tool ---- */

static char *tool_path(void)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
    char *tool;

    if (!dir) {
        return NULL;
    }
    tool = g_build_filename(dir, "..", "..", "tools", "qkvm-sev-measure",
                            NULL);
    if (!g_file_test(tool, G_FILE_TEST_IS_EXECUTABLE)) {
        g_free(tool);
        return NULL;
    }
    return tool;
}

/* Run the tool in dir; exit status, stdout and stderr. */
static int run_tool(const char *tool, const char *dir, const char *args,
                    char **out, char **err)
{
    g_autofree char *cmd = g_strdup_printf("%s %s", tool, args);
    g_auto(GStrv) argv = NULL;
    int status;

    g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
    g_assert_true(g_spawn_sync(dir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void expect_tool(const char *tool, const char *dir, const char *args,
                        int status, const char *out, const char *err_part)
{
    g_autofree char *o = NULL, *e = NULL;
    int st = run_tool(tool, dir, args, &o, &e);

    g_test_message("qkvm-sev-measure %s -> %d [%s] [%s]", args, st, o, e);
    g_assert_cmpint(st, ==, status);
    if (out) {
        g_assert_cmpstr(o, ==, out);
    }
    if (err_part) {
        /* one line, the program's name first */
        g_assert_true(g_str_has_prefix(e, "qkvm-sev-measure: "));
        g_assert_nonnull(strstr(e, err_part));
        g_assert_true(strchr(e, '\n') == e + strlen(e) - 1);
        g_assert_cmpstr(o, ==, "");
    } else {
        g_assert_cmpstr(e, ==, "");
    }
}

#define SEVES_K "--mode seves --vcpus 4 --ovmf fw.bin --kernel kernel.bin " \
                "--initrd initrd.bin --append '" CMDLINE "' "

static void test_tool(void)
{
    g_autofree char *tool = tool_path();
    g_autofree char *dir = NULL;
    g_autofree char *line = g_strdup_printf("%s\n", KAT_SEVES_4_K);
    g_autofree char *b64 = NULL, *b64line = NULL, *verbose = NULL;
    g_autofree char *measure = NULL, *good = NULL, *wrong = NULL;
    g_autofree char *tik = NULL, *bad = NULL;
    uint8_t ld[SEV_DIGEST_SIZE], m[SEV_MEASURE_BUF_SIZE];

    if (!tool) {
        g_test_skip("tools/qkvm-sev-measure not built");
        return;
    }
    dir = make_files();
    unhex(KAT_SEVES_4_K, ld, sizeof(ld));
    b64 = g_base64_encode(ld, sizeof(ld));
    b64line = g_strdup_printf("%s\n", b64);
    verbose = g_strdup_printf("Calculated SEV_ES guest measurement: %s\n",
                              KAT_SEVES_4_K);

    /* three spellings of the same signature, hex and base64 output */
    expect_tool(tool, dir, SEVES_K "--vcpu-sig 0xa00f11", 0, line, NULL);
    expect_tool(tool, dir, SEVES_K "--vcpu-type EPYC-Milan", 0, line, NULL);
    expect_tool(tool, dir, SEVES_K "--vcpu-family 25 --vcpu-model 1 "
                "--vcpu-stepping 1", 0, line, NULL);
    expect_tool(tool, dir, SEVES_K "--vcpu-sig=10489617 "
                "--output-format=base64", 0, b64line, NULL);
    expect_tool(tool, dir, SEVES_K "--vcpu-sig 0xa00f11 -v", 0, verbose,
                NULL);
    g_free(line);
    line = g_strdup_printf("%s\n", KAT_SEV);
    expect_tool(tool, dir, "--mode sev --ovmf fw.bin", 0, line, NULL);

    /* a LAUNCH_MEASURE result checked against the prediction */
    sample_measure(ld, m);
    unhex(MEASURE_MNONCE, m + SEV_DIGEST_SIZE, SEV_MNONCE_SIZE);
    measure = g_base64_encode(m, sizeof(m));
    tik = g_build_filename(dir, "tik.bin", NULL);
    unhex(MEASURE_TIK, ld, SEV_TIK_SIZE);
    g_assert_true(g_file_set_contents(tik, (char *)ld, SEV_TIK_SIZE, NULL));
    good = g_strdup_printf(SEVES_K "--vcpu-sig 0xa00f11 --tik tik.bin "
                           "--policy 0x5 --api-major 1 --api-minor 55 "
                           "--build-id 21 --launch-measure %s", measure);
    g_free(line);
    line = g_strdup_printf("%s\n", KAT_SEVES_4_K);
    expect_tool(tool, dir, good, 0, line, NULL);
    wrong = g_strdup_printf(SEVES_K "--vcpu-sig 0xa00f12 --tik tik.bin "
                            "--policy 0x5 --api-major 1 --api-minor 55 "
                            "--build-id 21 --launch-measure %s", measure);
    {
        g_autofree char *o = NULL, *e = NULL;

        g_assert_cmpint(run_tool(tool, dir, wrong, &o, &e), ==, 1);
        g_assert_nonnull(strstr(e, "does not match"));
    }

    /* the footer table, nearest the footer first */
    expect_tool(tool, dir, "--show-table --ovmf fw.bin", 0,
                SEV_ES_RESET_BLOCK_GUID " 04b08000\n"
                SEV_HASH_TABLE_RV_GUID " 00c0800000040000\n"
                SEV_SECRET_GUID " 00d0800000100000\n"
                UNKNOWN_GUID " 6162636465\n", NULL);

    /* errors: one line, status 1 */
    expect_tool(tool, dir, "--mode seves --vcpus 1 --ovmf fw.bin", 1, NULL,
                "missing --vcpu-type or --vcpu-sig or --vcpu-family");
    expect_tool(tool, dir, "--mode seves --vcpu-type EPYC --ovmf fw.bin", 1,
                NULL, "missing --vcpus N");
    expect_tool(tool, dir, "--mode snp --vcpus 1 --vcpu-type EPYC "
                "--ovmf fw.bin", 1, NULL, "SEV-SNP is not supported");
    expect_tool(tool, dir, "--mode sev --ovmf fw.bin --initrd initrd.bin",
                1, NULL, "--kernel required when using --initrd");
    expect_tool(tool, dir, "--mode sev --ovmf nonexistent.bin", 1, NULL,
                "could not open firmware 'nonexistent.bin'");
    expect_tool(tool, dir, "--mode sev --ovmf kernel.bin", 1, NULL,
                "kernel.bin: no OVMF table footer GUID");
    expect_tool(tool, dir, "--mode sev --ovmf fw.bin --output-format bin",
                1, NULL, "invalid choice 'bin'");

    bad = g_build_filename(dir, "bad.bin", NULL);
    {
        g_autofree uint8_t *fw = make_fw(false, false);

        g_assert_true(g_file_set_contents(bad, (char *)fw, FW_SIZE, NULL));
    }
    expect_tool(tool, dir, "--mode seves --vcpus 2 --vcpu-type EPYC "
                "--ovmf bad.bin", 1, NULL, "bad.bin: firmware has no "
                "SEV-ES reset block");
    expect_tool(tool, dir, "--mode sev --ovmf bad.bin --kernel kernel.bin",
                1, NULL, "does not support kernel hashes");
    expect_tool(tool, dir, "--mode sev --ovmf bad.bin", 0, NULL, NULL);
    remove_files(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sev/guid", test_guid);
    g_test_add_func("/sev/ovmf/good", test_ovmf_good);
    g_test_add_func("/sev/ovmf/duplicate", test_ovmf_duplicate);
    g_test_add_func("/sev/ovmf/bad", test_ovmf_bad);
    g_test_add_func("/sev/ovmf/entries", test_ovmf_entries);
    g_test_add_func("/sev/vmsa/layout", test_vmsa_layout);
    g_test_add_func("/sev/vmsa/reset", test_vmsa_reset);
    g_test_add_func("/sev/vmsa/from-kvm", test_vmsa_from_kvm);
    g_test_add_func("/sev/cpu-sig/types", test_cpu_sig);
    g_test_add_func("/sev/cpu-sig/models", test_cpu_sig_models);
    g_test_add_func("/sev/hashes-table", test_hashes_table);
    g_test_add_func("/sev/hmac/rfc4231", test_hmac_rfc4231);
    g_test_add_func("/sev/launch-measure/layout", test_launch_measure_layout);
    g_test_add_func("/sev/digest/kat", test_digest_kat);
    g_test_add_func("/sev/digest/reference", test_digest_reference);
    g_test_add_func("/sev/digest/errors", test_digest_errors);
    g_test_add_func("/sev/launch-flow", test_launch_flow);
    g_test_add_func("/sev/tool", test_tool);
    return g_test_run();
}
