/*
 * Unit tests for the ACPI tables, the AML encoder and the MP table.
 * Tables are followed the way a guest does: from the RSDP through guest
 * physical addresses (base + offset into the built area).
 */
#include "hw/i386/acpi-build.h"
#include "hw/i386/aml.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>

#define BASE        0x07fe0000   /* where pc puts them with 128 MiB of RAM */
#define HOLE_START  0x08000000ULL           /* 128 MiB of RAM */

static uint32_t apic_ids[300];

static uint64_t rd(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    while (size--) {
        v = v << 8 | p[size];
    }
    return v;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    while (len--) {
        s += *p++;
    }
    return s;
}

static PCFirmwareConfig make_cfg(unsigned nr_cpus, unsigned stride)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(apic_ids); i++) {
        apic_ids[i] = i * stride;
    }
    return (PCFirmwareConfig) {
        .nr_cpus = nr_cpus, .apic_ids = apic_ids, .ioapic_id = 0,
        .pci_hole_start = HOLE_START,
    };
}

static uint8_t *build(const PCFirmwareConfig *cfg, size_t *used)
{
    uint8_t *buf = g_malloc0(PC_ACPI_TABLES_SIZE);

    *used = pc_build_acpi(buf, PC_ACPI_TABLES_SIZE, BASE, cfg);
    g_assert_cmpuint(*used, >, 36);
    g_assert_cmpuint(*used, <=, PC_ACPI_TABLES_SIZE);
    return buf;
}

/* The table at guest address gpa: inside the area, checksummed, named. */
static const uint8_t *table_at(const uint8_t *buf, size_t used,
                               uint64_t gpa, const char *sig)
{
    const uint8_t *t;
    uint32_t len;

    g_assert_cmpuint(gpa, >=, BASE);
    g_assert_cmpuint(gpa + 36, <=, BASE + used);
    t = buf + (gpa - BASE);
    len = rd(t + 4, 4);
    g_assert_cmpuint(gpa + len, <=, BASE + used);
    g_assert_cmpmem(t, 4, sig, 4);
    g_assert_cmpmem(t + 10, 6, "QKVM  ", 6);
    g_assert_cmpmem(t + 16, 8, "QKVMPC  ", 8);
    g_assert_cmpuint(sum(t, len), ==, 0);
    return t;
}

/* Find a table through the XSDT, the path a 64-bit OS takes. */
static const uint8_t *find_table(const uint8_t *buf, size_t used,
                                 const char *sig)
{
    const uint8_t *xsdt = table_at(buf, used, rd(buf + 24, 8), "XSDT");

    for (uint32_t off = 36; off < rd(xsdt + 4, 4); off += 8) {
        uint64_t gpa = rd(xsdt + off, 8);

        if (!memcmp(buf + (gpa - BASE), sig, 4)) {
            return table_at(buf, used, gpa, sig);
        }
    }
    g_assert_not_reached();
}

/* The DSDT hangs off the FADT (X_DSDT), not the XSDT. */
static const uint8_t *find_dsdt(const uint8_t *buf, size_t used)
{
    const uint8_t *fadt = find_table(buf, used, "FACP");

    return table_at(buf, used, rd(fadt + 140, 8), "DSDT");
}

static void test_checksum(void)
{
    static const uint8_t b[] = { 1, 2, 3, 0xf0 };

    g_assert_cmpuint(acpi_checksum(b, 0), ==, 0);
    g_assert_cmpuint(acpi_checksum(b, 3), ==, 0xfa);
    g_assert_cmpuint((uint8_t)(sum(b, 4) + acpi_checksum(b, 4)), ==, 0);
}

static void test_rsdp(void)
{
    PCFirmwareConfig cfg = make_cfg(1, 1);
    size_t used;
    g_autofree uint8_t *buf = build(&cfg, &used);

    g_assert_cmpmem(buf, 8, "RSD PTR ", 8);
    g_assert_cmpmem(buf + 9, 6, "QKVM  ", 6);
    g_assert_cmpuint(buf[15], ==, 2);
    g_assert_cmpuint(rd(buf + 20, 4), ==, 36);
    g_assert_cmpuint(sum(buf, 20), ==, 0);
    g_assert_cmpuint(sum(buf, 36), ==, 0);
}

static void test_rsdt_xsdt(void)
{
    PCFirmwareConfig cfg = make_cfg(2, 1);
    size_t used;
    g_autofree uint8_t *buf = build(&cfg, &used);
    const uint8_t *rsdt = table_at(buf, used, rd(buf + 16, 4), "RSDT");
    const uint8_t *xsdt = table_at(buf, used, rd(buf + 24, 8), "XSDT");
    static const char *const sigs[] = { "FACP", "APIC" };

    g_assert_cmpuint(rd(rsdt + 4, 4), ==, 36 + 4 * G_N_ELEMENTS(sigs));
    g_assert_cmpuint(rd(xsdt + 4, 4), ==, 36 + 8 * G_N_ELEMENTS(sigs));
    for (unsigned i = 0; i < G_N_ELEMENTS(sigs); i++) {
        uint64_t gpa = rd(rsdt + 36 + 4 * i, 4);

        g_assert_cmpuint(gpa, ==, rd(xsdt + 36 + 8 * i, 8));
        table_at(buf, used, gpa, sigs[i]);
    }
}

static void check_gas_io(const uint8_t *gas, unsigned bits, uint64_t addr)
{
    g_assert_cmpuint(gas[0], ==, 1);                /* system I/O */
    g_assert_cmpuint(gas[1], ==, bits);
    g_assert_cmpuint(gas[2], ==, 0);
    g_assert_cmpuint(rd(gas + 4, 8), ==, addr);
}

static void test_fadt(void)
{
    PCFirmwareConfig cfg = make_cfg(1, 1);
    size_t used;
    g_autofree uint8_t *buf = build(&cfg, &used);
    const uint8_t *f = find_table(buf, used, "FACP");
    const uint8_t *facs;
    uint32_t flags = rd(f + 112, 4);

    g_assert_cmpuint(f[8], ==, 3);                  /* revision */
    g_assert_cmpuint(rd(f + 4, 4), ==, 244);
    g_assert_cmpuint(rd(f + 36, 4), ==, rd(f + 132, 8));    /* FACS */
    g_assert_cmpuint(rd(f + 40, 4), ==, rd(f + 140, 8));    /* DSDT */
    g_assert_cmpuint(rd(f + 46, 2), ==, PC_ACPI_SCI_IRQ);
    g_assert_cmpuint(rd(f + 48, 4), ==, 0);         /* SMI_CMD */
    g_assert_cmpuint(rd(f + 56, 4), ==, 0x600);     /* PM1a_EVT_BLK */
    g_assert_cmpuint(rd(f + 64, 4), ==, 0x604);     /* PM1a_CNT_BLK */
    g_assert_cmpuint(rd(f + 76, 4), ==, 0x608);     /* PM_TMR_BLK */
    g_assert_cmpuint(rd(f + 80, 4), ==, 0);         /* GPE0_BLK */
    g_assert_cmpuint(f[88], ==, 4);
    g_assert_cmpuint(f[89], ==, 2);
    g_assert_cmpuint(f[91], ==, 4);
    g_assert_cmpuint(f[92], ==, 0);
    g_assert_cmpuint(rd(f + 109, 2), ==, 0x3);      /* legacy, 8042 */
    g_assert_cmphex(flags, ==, (1 << 0) | (1 << 2) | (1 << 5) | (1 << 10));
    g_assert_false(flags & (1 << 4));               /* fixed power button */
    check_gas_io(f + 116, 8, 0xcf9);
    g_assert_cmpuint(f[116 + 3], ==, 1);            /* byte access */
    g_assert_cmpuint(f[128], ==, 0x06);
    check_gas_io(f + 148, 32, 0x600);
    check_gas_io(f + 172, 16, 0x604);
    check_gas_io(f + 208, 32, 0x608);
    g_assert_cmpuint(rd(f + 220 + 4, 8), ==, 0);    /* X_GPE0_BLK */

    facs = buf + (rd(f + 36, 4) - BASE);
    g_assert_cmpuint(rd(f + 36, 4) % 64, ==, 0);
    g_assert_cmpmem(facs, 4, "FACS", 4);
    g_assert_cmpuint(rd(facs + 4, 4), ==, 64);
    table_at(buf, used, rd(f + 40, 4), "DSDT");
}

/* Walk the MADT's structures, counting them by type. */
static void test_madt(gconstpointer data)
{
    unsigned n = GPOINTER_TO_UINT(data);
    PCFirmwareConfig cfg = make_cfg(n, 2);
    size_t used;
    g_autofree uint8_t *buf = build(&cfg, &used);
    const uint8_t *m = find_table(buf, used, "APIC");
    unsigned nr_lapic = 0, nr_ioapic = 0, nr_iso = 0, nr_nmi = 0;
    uint32_t len = rd(m + 4, 4), off;

    g_assert_cmphex(rd(m + 36, 4), ==, 0xfee00000);
    g_assert_cmpuint(rd(m + 40, 4), ==, 1);         /* PCAT_COMPAT */
    for (off = 44; off < len; off += m[off + 1]) {
        const uint8_t *e = m + off;

        g_assert_cmpuint(e[1], >=, 2);
        switch (e[0]) {
        case 0:
            g_assert_cmpuint(e[2], ==, nr_lapic);   /* processor UID */
            g_assert_cmpuint(e[3], ==, apic_ids[nr_lapic]);
            g_assert_cmpuint(rd(e + 4, 4), ==, 1);
            nr_lapic++;
            break;
        case 1:
            g_assert_cmpuint(e[2], ==, cfg.ioapic_id);
            g_assert_cmphex(rd(e + 4, 4), ==, 0xfec00000);
            g_assert_cmpuint(rd(e + 8, 4), ==, 0);
            nr_ioapic++;
            break;
        case 2:
            g_assert_cmpuint(e[2], ==, 0);          /* ISA */
            if (e[3] == 0) {
                g_assert_cmpuint(rd(e + 4, 4), ==, 2);
                g_assert_cmpuint(rd(e + 8, 2), ==, 0);
            } else {
                g_assert_true(PC_LEVEL_IRQ_MASK & (1u << e[3]));
                g_assert_cmpuint(rd(e + 4, 4), ==, e[3]);
                g_assert_cmphex(rd(e + 8, 2), ==, 0x000d);
            }
            nr_iso++;
            break;
        case 4:
            g_assert_cmpuint(e[2], ==, 0xff);
            g_assert_cmpuint(e[5], ==, 1);          /* LINT1 */
            nr_nmi++;
            break;
        default:
            g_assert_not_reached();
        }
    }
    g_assert_cmpuint(off, ==, len);
    g_assert_cmpuint(nr_lapic, ==, n);
    g_assert_cmpuint(nr_ioapic, ==, 1);
    g_assert_cmpuint(nr_iso, ==, 5);
    g_assert_cmpuint(nr_nmi, ==, 1);
}

static void test_madt_x2apic(void)
{
    PCFirmwareConfig cfg = make_cfg(3, 1);
    size_t used;
    g_autofree uint8_t *buf = NULL;
    const uint8_t *m;
    unsigned types[16] = { 0 };

    apic_ids[2] = 300;
    buf = build(&cfg, &used);
    m = find_table(buf, used, "APIC");
    for (uint32_t off = 44; off < rd(m + 4, 4); off += m[off + 1]) {
        types[m[off]]++;
        if (m[off] == 9) {
            g_assert_cmpuint(rd(m + off + 4, 4), ==, 300);
            g_assert_cmpuint(rd(m + off + 12, 4), ==, 2);   /* UID */
        }
    }
    g_assert_cmpuint(types[0], ==, 2);
    g_assert_cmpuint(types[9], ==, 1);
    g_assert_cmpuint(types[10], ==, 1);
}

static void test_dsdt(void)
{
    PCFirmwareConfig cfg = make_cfg(1, 1);
    size_t used;
    g_autofree uint8_t *buf = build(&cfg, &used);
    const uint8_t *d = find_dsdt(buf, used);
    size_t len = rd(d + 4, 4);
    /* Name(\_S5, Package(4) {0, 0, 0, 0}) (QEMU's PIIX4 soft-off) and
     * the same for \_S0 */
    static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06,
                                  0x04, 0x00, 0x00, 0x00, 0x00 };
    static const uint8_t s0[] = { 0x08, '\\', '_', 'S', '0', '_', 0x12, 0x06,
                                  0x04, 0x00, 0x00, 0x00, 0x00 };
    /* DWordMemory producer window starting at the PCI hole */
    static const uint8_t hole[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x03,
                                    0, 0, 0, 0, 0x00, 0x00, 0x00, 0x08,
                                    0xff, 0xff, 0xbf, 0xfe };

    g_assert_cmpuint(d[8], ==, 2);
    g_assert_nonnull(memmem(d, len, s5, sizeof(s5)));
    g_assert_nonnull(memmem(d, len, s0, sizeof(s0)));
    g_assert_nonnull(memmem(d, len, hole, sizeof(hole)));
    g_assert_nonnull(memmem(d, len, "PCI0", 4));
    g_assert_nonnull(memmem(d, len, "COM1", 4));
}

/*
 * _PRT under PCI0: Package(128) of Package(4) {slot << 16 | 0xffff, pin,
 * 0, GSI}, the swizzle pci_intx_gsi() wires: slot 4 INTB is GSI 17,
 * slot 31 INTD is GSI 16 + (31 + 3) % 4 = 18.
 */
static void test_dsdt_prt(void)
{
    PCFirmwareConfig cfg = make_cfg(1, 1);
    size_t used;
    g_autofree uint8_t *buf = build(&cfg, &used);
    const uint8_t *d = find_dsdt(buf, used);
    size_t len = rd(d + 4, 4);
    static const uint8_t slot4_intb[] = {
        0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x04, 0x00, 0x01, 0x00, 0x0a, 0x11,
    };
    static const uint8_t slot31_intd[] = {
        0x12, 0x0c, 0x04, 0x0c, 0xff, 0xff, 0x1f, 0x00, 0x0a, 0x03, 0x00,
        0x0a, 0x12,
    };
    const uint8_t *prt = memmem(d, len, "_PRT", 4);

    g_assert_nonnull(prt);
    /* Name(_PRT, Package(0x80) {...}): PackageOp, 2-byte PkgLength, 128 */
    g_assert_cmphex(prt[4], ==, 0x12);
    g_assert_cmphex(prt[7], ==, 0x80);
    g_assert_nonnull(memmem(prt, len - (prt - d), slot4_intb,
                            sizeof(slot4_intb)));
    g_assert_nonnull(memmem(prt, len - (prt - d), slot31_intd,
                            sizeof(slot31_intd)));
}

static void check_pkglen(size_t body, const uint8_t *expect, size_t n)
{
    g_autoptr(GByteArray) a = aml_new();

    aml_pkglen(a, body);
    g_assert_cmpmem(a->data, a->len, expect, n);
}

static void test_aml_pkglen(void)
{
    check_pkglen(10, (const uint8_t[]) { 0x0b }, 1);
    check_pkglen(62, (const uint8_t[]) { 0x3f }, 1);
    /* 63 + 2 = 65 = 0x041: lead 0x40 | 0x1, then 0x04 */
    check_pkglen(63, (const uint8_t[]) { 0x41, 0x04 }, 2);
    check_pkglen(100, (const uint8_t[]) { 0x46, 0x06 }, 2);
    check_pkglen(4093, (const uint8_t[]) { 0x4f, 0xff }, 2);
    /* 4094 + 3 = 0x1001; 5000 + 3 = 0x138b */
    check_pkglen(4094, (const uint8_t[]) { 0x81, 0x00, 0x01 }, 3);
    check_pkglen(5000, (const uint8_t[]) { 0x8b, 0x38, 0x01 }, 3);
    check_pkglen(0x100000, (const uint8_t[]) { 0xc4, 0x00, 0x00, 0x01 }, 4);
}

static void check_aml(Aml *a, const uint8_t *expect, size_t n)
{
    g_assert_cmpmem(a->data, a->len, expect, n);
    g_byte_array_free(a, TRUE);
}

static void test_aml_objects(void)
{
    Aml *name = aml_new();
    Aml *q = aml_qword_memory(1ULL << 32, (2ULL << 32) - 1);

    check_aml(aml_int(0), (const uint8_t[]) { 0x00 }, 1);
    check_aml(aml_int(1), (const uint8_t[]) { 0x01 }, 1);
    check_aml(aml_int(0x12), (const uint8_t[]) { 0x0a, 0x12 }, 2);
    check_aml(aml_int(0x1234), (const uint8_t[]) { 0x0b, 0x34, 0x12 }, 3);
    check_aml(aml_int(0x10000), (const uint8_t[]) { 0x0c, 0, 0, 1, 0 }, 5);
    check_aml(aml_int(1ULL << 32),
              (const uint8_t[]) { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 }, 9);
    check_aml(aml_string("ab"), (const uint8_t[]) { 0x0d, 'a', 'b', 0 }, 4);
    check_aml(aml_eisaid("PNP0A03"),
              (const uint8_t[]) { 0x0c, 0x41, 0xd0, 0x0a, 0x03 }, 5);
    check_aml(aml_irq_no_flags(4), (const uint8_t[]) { 0x22, 0x10, 0x00 }, 3);
    /* tag, length 43, memory, producer min/max fixed, cacheable RW */
    g_assert_cmpuint(q->len, ==, 46);
    g_assert_cmpmem(q->data, 6, ((const uint8_t[]) { 0x8a, 43, 0, 0, 0x0c,
                                                     0x03 }), 6);
    g_assert_cmphex(rd(q->data + 14, 8), ==, 1ULL << 32);   /* _MIN */
    g_assert_cmphex(rd(q->data + 22, 8), ==, (2ULL << 32) - 1);
    g_assert_cmphex(rd(q->data + 38, 8), ==, 1ULL << 32);   /* _LEN */
    g_byte_array_free(q, TRUE);
    aml_name_string(name, "\\_SB.PCI0");
    check_aml(name, (const uint8_t[]) { '\\', 0x2e, '_', 'S', 'B', '_',
                                        'P', 'C', 'I', '0' }, 10);
}

static void test_no_room(void)
{
    PCFirmwareConfig cfg = make_cfg(4, 1);
    uint8_t *buf = g_malloc(PC_ACPI_TABLES_SIZE);
    size_t used;

    memset(buf, 0xaa, PC_ACPI_TABLES_SIZE);
    used = pc_build_acpi(buf, PC_ACPI_TABLES_SIZE, BASE, &cfg);
    g_assert_cmpuint(used, >, 0);
    memset(buf, 0xaa, PC_ACPI_TABLES_SIZE);
    g_assert_cmpuint(pc_build_acpi(buf, used - 1, BASE, &cfg), ==, 0);
    g_assert_cmpuint(buf[0], ==, 0xaa);             /* left untouched */
    g_assert_cmpuint(pc_build_acpi(buf, used, BASE, &cfg), ==, used);

    used = pc_build_mptable(buf, PC_MPTABLE_SIZE, PC_MPTABLE_ADDR, &cfg);
    g_assert_cmpuint(used, >, 0);
    g_assert_cmpuint(pc_build_mptable(buf, used - 1, PC_MPTABLE_ADDR, &cfg),
                     ==, 0);
    g_free(buf);
}

static void test_mptable(gconstpointer data)
{
    unsigned n = GPOINTER_TO_UINT(data);
    PCFirmwareConfig cfg = make_cfg(n, 1);
    uint8_t buf[PC_MPTABLE_SIZE];
    size_t used = pc_build_mptable(buf, sizeof(buf), PC_MPTABLE_ADDR, &cfg);
    const uint8_t *t = buf + 16, *e;
    unsigned count[5] = { 0 }, last_type = 0;

    g_assert_cmpmem(buf, 4, "_MP_", 4);
    g_assert_cmpuint(rd(buf + 4, 4), ==, PC_MPTABLE_ADDR + 16);
    g_assert_cmpuint(buf[8], ==, 1);
    g_assert_cmpuint(buf[9], ==, 4);
    g_assert_cmpuint(buf[11], ==, 0);
    g_assert_cmpuint(sum(buf, 16), ==, 0);

    g_assert_cmpmem(t, 4, "PCMP", 4);
    g_assert_cmpuint(16 + rd(t + 4, 2), ==, used);
    g_assert_cmpuint(t[6], ==, 4);
    g_assert_cmpuint(sum(t, rd(t + 4, 2)), ==, 0);
    g_assert_cmpmem(t + 8, 8, "QKVM    ", 8);
    g_assert_cmpmem(t + 16, 12, "QKVMPC      ", 12);
    g_assert_cmphex(rd(t + 36, 4), ==, 0xfee00000);
    g_assert_cmpuint(rd(t + 40, 2), ==, 0);         /* no extended table */

    e = t + 44;
    for (unsigned i = 0; i < rd(t + 34, 2); i++) {
        g_assert_cmpuint(e[0], <, 5);
        g_assert_cmpuint(e[0], >=, last_type);      /* sorted by type */
        last_type = e[0];
        if (e[0] == 0) {
            g_assert_cmpuint(e[1], ==, apic_ids[count[0]]);
            g_assert_cmpuint(e[3], ==, count[0] ? 1 : 3);   /* EN, BP */
        } else if (e[0] == 1) {
            g_assert_cmpmem(e + 2, 6, "ISA   ", 6);
        } else if (e[0] == 2) {
            g_assert_cmpuint(e[2], ==, 0x11);
            g_assert_cmphex(rd(e + 4, 4), ==, 0xfec00000);
        } else if (e[0] == 3) {
            g_assert_cmpuint(e[7], ==, e[5] ? e[5] : 2);  /* IRQ 0: pin 2 */
            g_assert_cmpuint(e[5], !=, 2);
        } else {
            g_assert_cmpuint(e[6], ==, 0xff);
            g_assert_cmpuint(e[1], ==, e[7] ? 1 : 3);   /* NMI / ExtINT */
        }
        count[e[0]]++;
        e += e[0] == 0 ? 20 : 8;
    }
    g_assert_cmpuint(e - buf, ==, used);
    g_assert_cmpuint(count[0], ==, n);
    g_assert_cmpuint(count[1], ==, 1);
    g_assert_cmpuint(count[2], ==, 1);
    g_assert_cmpuint(count[3], ==, 15);
    g_assert_cmpuint(count[4], ==, 2);
}

static bool run_iasl(const char *dir, const char *name, const uint8_t *t)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *out = NULL, *err = NULL, *dsl = NULL;
    const char *argv[] = { "/usr/bin/iasl", "-d", name, NULL };
    int status;

    g_assert_true(g_file_set_contents(path, (const char *)t, rd(t + 4, 4),
                                      NULL));
    g_assert_true(g_spawn_sync(dir, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, &err, &status, NULL));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        strstr(out, "Error") || strstr(err, "Error")) {
        g_printerr("iasl -d %s failed:\n%s%s", name, out, err);
        return false;
    }
    dsl = g_strdup_printf("%.*s.dsl", (int)strlen(path) - 4, path);
    g_assert_true(g_file_test(dsl, G_FILE_TEST_IS_REGULAR));
    g_unlink(dsl);
    g_unlink(path);
    return true;
}

static void test_iasl(void)
{
    PCFirmwareConfig cfg = make_cfg(4, 1);
    size_t used;
    g_autofree uint8_t *buf = NULL;
    g_autofree char *dir = NULL;

    if (!g_file_test("/usr/bin/iasl", G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("/usr/bin/iasl not found (install acpica-tools)");
        return;
    }
    buf = build(&cfg, &used);
    dir = g_dir_make_tmp("test-acpi-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_assert_true(run_iasl(dir, "dsdt.dat", find_dsdt(buf, used)));
    g_assert_true(run_iasl(dir, "facp.dat", find_table(buf, used, "FACP")));
    g_assert_true(run_iasl(dir, "apic.dat", find_table(buf, used, "APIC")));
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    static const unsigned cpus[] = { 1, 2, 4, 64 };

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acpi/checksum", test_checksum);
    g_test_add_func("/acpi/rsdp", test_rsdp);
    g_test_add_func("/acpi/rsdt-xsdt", test_rsdt_xsdt);
    g_test_add_func("/acpi/fadt", test_fadt);
    for (unsigned i = 0; i < G_N_ELEMENTS(cpus); i++) {
        g_autofree char *madt = g_strdup_printf("/acpi/madt/%u", cpus[i]);
        g_autofree char *mp = g_strdup_printf("/mptable/%u", cpus[i]);

        g_test_add_data_func(madt, GUINT_TO_POINTER(cpus[i]), test_madt);
        g_test_add_data_func(mp, GUINT_TO_POINTER(cpus[i]), test_mptable);
    }
    g_test_add_func("/acpi/madt/x2apic", test_madt_x2apic);
    g_test_add_func("/acpi/dsdt", test_dsdt);
    g_test_add_func("/acpi/aml/pkglen", test_aml_pkglen);
    g_test_add_func("/acpi/aml/objects", test_aml_objects);
    g_test_add_func("/acpi/no-room", test_no_room);
    g_test_add_func("/acpi/dsdt/prt", test_dsdt_prt);
    g_test_add_func("/acpi/iasl", test_iasl);
    return g_test_run();
}
