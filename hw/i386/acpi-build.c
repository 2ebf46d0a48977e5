/*
 * ACPI tables for the pc machine (direct kernel boot, no firmware):
 * RSDP, RSDT, XSDT, FADT, FACS, DSDT and MADT, plus the small AML encoder
 * the DSDT is written with (include/hw/i386/aml.h).
 *
 * Section numbers refer to the ACPI 6.x specification.  All multi-byte
 * fields are little-endian and written byte by byte, so the code does not
 * depend on host endianness or struct packing.
 */
#include "hw/i386/acpi-build.h"
#include "hw/i386/fw-table.h"
#include "hw/i386/aml.h"

#include <stdlib.h>
#include <string.h>

/* ---- byte helpers -------------------------------------------------- */

static void set_le(GByteArray *a, size_t off, uint64_t v, unsigned size)
{
    g_assert(off + size <= a->len);
    for (unsigned i = 0; i < size; i++) {
        a->data[off + i] = v >> (8 * i);
    }
}

static void put_zeros(GByteArray *a, size_t n)
{
    while (n--) {
        fw_put_le(a, 0, 1);
    }
}

static void pad_to(GByteArray *a, size_t align)
{
    put_zeros(a, -a->len & (align - 1));
}

uint8_t acpi_checksum(const uint8_t *buf, size_t len)
{
    uint8_t sum = 0;

    while (len--) {
        sum += *buf++;
    }
    return -sum;
}

/* ---- AML encoder (section 20) -------------------------------------- */

#define AML_ZERO_OP         0x00
#define AML_ONE_OP          0x01
#define AML_NAME_OP         0x08
#define AML_BYTE_PREFIX     0x0a
#define AML_WORD_PREFIX     0x0b
#define AML_DWORD_PREFIX    0x0c
#define AML_STRING_PREFIX   0x0d
#define AML_QWORD_PREFIX    0x0e
#define AML_SCOPE_OP        0x10
#define AML_BUFFER_OP       0x11
#define AML_PACKAGE_OP      0x12
#define AML_DUAL_NAME       0x2e
#define AML_MULTI_NAME      0x2f
#define AML_EXT_OP          0x5b
#define AML_DEVICE_OP       0x82    /* after AML_EXT_OP */
#define AML_ROOT_CHAR       '\\'
#define AML_PARENT_CHAR     '^'

Aml *aml_new(void)
{
    return g_byte_array_new();
}

void aml_append(Aml *parent, Aml *child)
{
    g_byte_array_append(parent, child->data, child->len);
    g_byte_array_free(child, TRUE);
}

/*
 * 20.2.4: PkgLength counts itself plus the body.  One byte holds up to 63
 * in bits 5:0; otherwise bits 7:6 of the lead byte give the number (1-3)
 * of following bytes, bits 3:0 the low nibble, the following bytes the
 * next 8 bits each.
 */
void aml_pkglen(Aml *out, size_t body_len)
{
    size_t total;
    unsigned extra;

    if (body_len + 1 <= 0x3f) {
        fw_put_le(out, body_len + 1, 1);
        return;
    }
    for (extra = 1; extra <= 3; extra++) {
        total = body_len + 1 + extra;
        if (total < (1u << (4 + 8 * extra))) {
            break;
        }
    }
    g_assert(extra <= 3);
    fw_put_le(out, (extra << 6) | (total & 0xf), 1);
    fw_put_le(out, total >> 4, extra);
}

/* 20.2.2: NameSeg is 4 characters, short names padded with '_'. */
static void aml_name_seg(Aml *out, const char *seg, size_t len)
{
    g_assert(len >= 1 && len <= 4);
    g_byte_array_append(out, (const uint8_t *)seg, len);
    g_byte_array_append(out, (const uint8_t *)"____", 4 - len);
}

void aml_name_string(Aml *out, const char *path)
{
    g_auto(GStrv) segs = NULL;
    unsigned nr;

    while (*path == AML_ROOT_CHAR || *path == AML_PARENT_CHAR) {
        fw_put_le(out, *path++, 1);
    }
    segs = *path ? g_strsplit(path, ".", -1) : g_new0(char *, 1);
    nr = g_strv_length(segs);
    if (nr == 0) {
        fw_put_le(out, 0x00, 1);                   /* NullName */
    } else if (nr == 2) {
        fw_put_le(out, AML_DUAL_NAME, 1);
    } else if (nr > 2) {
        fw_put_le(out, AML_MULTI_NAME, 1);
        fw_put_le(out, nr, 1);
    }
    for (unsigned i = 0; i < nr; i++) {
        aml_name_seg(out, segs[i], strlen(segs[i]));
    }
}

/* Opcode, PkgLength, optional NameString, then body (consumed). */
static Aml *aml_wrap(const uint8_t *op, size_t op_len, const char *name,
                     Aml *body)
{
    Aml *out = aml_new();
    Aml *inner = aml_new();

    if (name) {
        aml_name_string(inner, name);
    }
    aml_append(inner, body);
    g_byte_array_append(out, op, op_len);
    aml_pkglen(out, inner->len);
    aml_append(out, inner);
    return out;
}

/* 20.2.3: ComputationalData, shortest form. */
Aml *aml_int(uint64_t value)
{
    Aml *out = aml_new();

    if (value <= 1) {
        fw_put_le(out, value ? AML_ONE_OP : AML_ZERO_OP, 1);
    } else if (value <= UINT8_MAX) {
        fw_put_le(out, AML_BYTE_PREFIX, 1);
        fw_put_le(out, value, 1);
    } else if (value <= UINT16_MAX) {
        fw_put_le(out, AML_WORD_PREFIX, 1);
        fw_put_le(out, value, 2);
    } else if (value <= UINT32_MAX) {
        fw_put_le(out, AML_DWORD_PREFIX, 1);
        fw_put_le(out, value, 4);
    } else {
        fw_put_le(out, AML_QWORD_PREFIX, 1);
        fw_put_le(out, value, 8);
    }
    return out;
}

Aml *aml_string(const char *str)
{
    Aml *out = aml_new();

    fw_put_le(out, AML_STRING_PREFIX, 1);
    g_byte_array_append(out, (const uint8_t *)str, strlen(str) + 1);
    return out;
}

/*
 * 6.1.5: three upper-case letters as 5-bit values ('A' = 1) in bits
 * 30:16 (big-endian order), then four hex digits; stored byte-swapped.
 */
Aml *aml_eisaid(const char *id)
{
    uint32_t v;
    Aml *out = aml_new();

    g_assert(strlen(id) == 7);
    v = ((id[0] - '@') & 0x1f) << 26 | ((id[1] - '@') & 0x1f) << 21 |
        ((id[2] - '@') & 0x1f) << 16 | strtoul(id + 3, NULL, 16);
    fw_put_le(out, AML_DWORD_PREFIX, 1);
    fw_put_le(out, GUINT32_SWAP_LE_BE(v), 4);
    return out;
}

Aml *aml_package(unsigned nr_elements, Aml *elements)
{
    static const uint8_t op = AML_PACKAGE_OP;
    Aml *body = aml_new();

    g_assert(nr_elements <= UINT8_MAX);
    fw_put_le(body, nr_elements, 1);
    aml_append(body, elements);
    return aml_wrap(&op, 1, NULL, body);
}

Aml *aml_buffer(Aml *bytes)
{
    static const uint8_t op = AML_BUFFER_OP;
    Aml *body = aml_int(bytes->len);

    aml_append(body, bytes);
    return aml_wrap(&op, 1, NULL, body);
}

/* 20.2.5.1 */
Aml *aml_name_decl(const char *name, Aml *value)
{
    Aml *out = aml_new();

    fw_put_le(out, AML_NAME_OP, 1);
    aml_name_string(out, name);
    aml_append(out, value);
    return out;
}

Aml *aml_scope(const char *name, Aml *body)
{
    static const uint8_t op = AML_SCOPE_OP;

    return aml_wrap(&op, 1, name, body);
}

/* 20.2.5.2 */
Aml *aml_device(const char *name, Aml *body)
{
    static const uint8_t op[] = { AML_EXT_OP, AML_DEVICE_OP };

    return aml_wrap(op, sizeof(op), name, body);
}

/* 6.4.2.9: End Tag; checksum 0 means "treat as valid". */
Aml *aml_resource_template(Aml *descriptors)
{
    fw_put_le(descriptors, 0x79, 1);
    fw_put_le(descriptors, 0, 1);
    return aml_buffer(descriptors);
}

/* 6.4.2.5: I/O Port Descriptor, 16-bit decode. */
Aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
    Aml *out = aml_new();

    fw_put_le(out, 0x47, 1);
    fw_put_le(out, 1, 1);                          /* _DEC: 16-bit */
    fw_put_le(out, min, 2);
    fw_put_le(out, max, 2);
    fw_put_le(out, align, 1);
    fw_put_le(out, len, 1);
    return out;
}

/* 6.4.2.1: IRQ Descriptor without the information byte (edge, high). */
Aml *aml_irq_no_flags(uint8_t irq)
{
    Aml *out = aml_new();

    g_assert(irq < 16);
    fw_put_le(out, 0x22, 1);
    fw_put_le(out, 1u << irq, 2);
    return out;
}

/* 6.4.3.5: Address Space Descriptor resource types and flags */
#define AML_AS_MEMORY       0
#define AML_AS_IO           1
#define AML_AS_BUS          2
#define AML_AS_MIN_FIXED    (1 << 2)
#define AML_AS_MAX_FIXED    (1 << 3)
#define AML_MEM_RW          (1 << 0)
#define AML_MEM_CACHEABLE   (1 << 1)
#define AML_IO_ENTIRE_RANGE 3

/*
 * 6.4.3.5.1-3: QWord (tag 0x8a), DWord (0x87) and Word (0x88) Address
 * Space Descriptors differ only in the width of the five range fields.
 * Producer, positive decode, fixed bounds, no granularity or translation.
 */
static Aml *aml_addr_space(uint8_t tag, unsigned width, uint8_t type,
                           uint8_t type_flags, uint64_t min, uint64_t max)
{
    Aml *out = aml_new();

    g_assert(min <= max);
    fw_put_le(out, tag, 1);
    fw_put_le(out, 3 + 5 * width, 2);              /* bytes after this field */
    fw_put_le(out, type, 1);
    fw_put_le(out, AML_AS_MIN_FIXED | AML_AS_MAX_FIXED, 1);
    fw_put_le(out, type_flags, 1);
    fw_put_le(out, 0, width);                      /* _GRA */
    fw_put_le(out, min, width);                    /* _MIN */
    fw_put_le(out, max, width);                    /* _MAX */
    fw_put_le(out, 0, width);                      /* _TRA */
    fw_put_le(out, max - min + 1, width);          /* _LEN */
    return out;
}

Aml *aml_word_bus_number(uint16_t min, uint16_t max)
{
    return aml_addr_space(0x88, 2, AML_AS_BUS, 0, min, max);
}

Aml *aml_word_io(uint16_t min, uint16_t max)
{
    return aml_addr_space(0x88, 2, AML_AS_IO, AML_IO_ENTIRE_RANGE, min, max);
}

Aml *aml_dword_io(uint32_t min, uint32_t max)
{
    return aml_addr_space(0x87, 4, AML_AS_IO, AML_IO_ENTIRE_RANGE, min, max);
}

Aml *aml_dword_memory(uint32_t min, uint32_t max)
{
    return aml_addr_space(0x87, 4, AML_AS_MEMORY,
                          AML_MEM_CACHEABLE | AML_MEM_RW, min, max);
}

Aml *aml_qword_memory(uint64_t min, uint64_t max)
{
    return aml_addr_space(0x8a, 8, AML_AS_MEMORY,
                          AML_MEM_CACHEABLE | AML_MEM_RW, min, max);
}

/* ---- tables -------------------------------------------------------- */

#define ACPI_OEM_ID         "QKVM  "
#define ACPI_OEM_TABLE_ID   "QKVMPC  "
#define ACPI_CREATOR_ID     "QKVM"
#define ACPI_HEADER_SIZE    36

#define PCI_PRT_SLOTS       32
#define PCI_HOLE_END        PC_PCI_MEM_END   /* below the I/O APIC */

/* 5.2.6: System Description Table Header; returns the table's offset. */
static size_t table_begin(GByteArray *t, const char *sig, uint8_t rev)
{
    size_t start;

    pad_to(t, 16);
    start = t->len;
    fw_put_str(t, sig, 4);
    fw_put_le(t, 0, 4);                            /* Length, set at the end */
    fw_put_le(t, rev, 1);
    fw_put_le(t, 0, 1);                            /* Checksum */
    fw_put_str(t, ACPI_OEM_ID, 6);
    fw_put_str(t, ACPI_OEM_TABLE_ID, 8);
    fw_put_le(t, 1, 4);                            /* OEM Revision */
    fw_put_str(t, ACPI_CREATOR_ID, 4);
    fw_put_le(t, 1, 4);                            /* Creator Revision */
    return start;
}

static void table_end(GByteArray *t, size_t start)
{
    set_le(t, start + 4, t->len - start, 4);
    t->data[start + 9] = acpi_checksum(t->data + start, t->len - start);
}

/* 5.2.3.2: Generic Address Structure in system I/O space (0: none). */
#define GAS_ACCESS_UNDEF    0
#define GAS_ACCESS_BYTE     1

static void put_gas_io(GByteArray *t, uint8_t bits, uint8_t access,
                       uint64_t addr)
{
    fw_put_le(t, addr ? 1 : 0, 1);                 /* Address Space ID */
    fw_put_le(t, addr ? bits : 0, 1);              /* Register Bit Width */
    fw_put_le(t, 0, 1);                            /* Register Bit Offset */
    fw_put_le(t, addr ? access : 0, 1);            /* Access Size */
    fw_put_le(t, addr, 8);
}

/* 5.2.10: FACS, no header checksum; 64-byte aligned. */
static size_t build_facs(GByteArray *t)
{
    size_t start;

    pad_to(t, 64);
    start = t->len;
    fw_put_str(t, "FACS", 4);
    fw_put_le(t, 64, 4);                           /* Length */
    fw_put_le(t, 0, 4);                            /* Hardware Signature */
    fw_put_le(t, 0, 4);                            /* Firmware Waking Vector */
    fw_put_le(t, 0, 4);                            /* Global Lock */
    fw_put_le(t, 0, 4);                            /* Flags */
    fw_put_le(t, 0, 8);                            /* X Firmware Waking Vector */
    fw_put_le(t, 1, 1);                            /* Version (ACPI 2.0/3.0) */
    put_zeros(t, 64 - (t->len - start));        /* reserved, OSPM flags */
    return start;
}

static Aml *sleep_state(const char *name, uint8_t slp_typ)
{
    Aml *elems = aml_new();

    aml_append(elems, aml_int(slp_typ));        /* PM1a_CNT.SLP_TYP */
    aml_append(elems, aml_int(slp_typ));        /* PM1b_CNT.SLP_TYP */
    aml_append(elems, aml_int(0));              /* reserved */
    aml_append(elems, aml_int(0));
    return aml_name_decl(name, aml_package(4, elems));
}

static Aml *build_com1(void)
{
    Aml *dev = aml_new();
    Aml *crs = aml_new();

    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0501")));
    aml_append(dev, aml_name_decl("_UID", aml_int(1)));
    aml_append(crs, aml_io(0x3f8, 0x3f8, 1, 8));
    aml_append(crs, aml_irq_no_flags(4));
    aml_append(dev, aml_name_decl("_CRS", aml_resource_template(crs)));
    return aml_device("COM1", dev);
}

/*
 * 6.2.13: _PRT, one entry per slot and pin {address (slot << 16 | 0xffff),
 * pin (0 = INTA), source 0, GSI}: with no link device the fourth field
 * is the global system interrupt.  I/O APIC pins 16-19, level-triggered
 * and shared as PCI interrupts are (ACPI 6.2.13); the same swizzle as
 * pci_intx_gsi().
 */
static Aml *build_prt(void)
{
    Aml *entries = aml_new();

    for (unsigned slot = 0; slot < PCI_PRT_SLOTS; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            Aml *e = aml_new();
            aml_append(e, aml_int((slot << 16) | 0xffff));
            aml_append(e, aml_int(pin));
            aml_append(e, aml_int(0));
            aml_append(e, aml_int(16 + (slot + pin) % 4));
            aml_append(entries, aml_package(4, e));
        }
    }
    return aml_name_decl("_PRT", aml_package(PCI_PRT_SLOTS * 4, entries));
}

static Aml *build_pci0(const PCFirmwareConfig *cfg)
{
    Aml *dev = aml_new();
    Aml *crs = aml_new();

    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0A03")));
    aml_append(dev, aml_name_decl("_ADR", aml_int(0)));
    aml_append(dev, aml_name_decl("_UID", aml_int(0)));
    aml_append(dev, aml_name_decl("_BBN", aml_int(0)));
    aml_append(crs, aml_word_bus_number(0, 0xff));
    aml_append(crs, aml_io(0xcf8, 0xcf8, 1, 8));    /* config mechanism #1 */
    aml_append(crs, aml_word_io(0x0000, 0x0cf7));
    aml_append(crs, aml_word_io(0x0d00, 0xffff));
    aml_append(crs, aml_dword_memory(0xa0000, 0xbffff));   /* VGA window */
    if (cfg->pci_hole_start <= PCI_HOLE_END) {
        aml_append(crs, aml_dword_memory(cfg->pci_hole_start, PCI_HOLE_END));
    }
    aml_append(dev, aml_name_decl("_CRS", aml_resource_template(crs)));
    aml_append(dev, build_prt());
    aml_append(dev, build_com1());
    return aml_device("PCI0", dev);
}

/* 5.2.11.1: DSDT, revision 2 (64-bit AML integers). */
static size_t build_dsdt(GByteArray *t, const PCFirmwareConfig *cfg)
{
    size_t start = table_begin(t, "DSDT", 2);
    Aml *aml = aml_new();

    aml_append(aml, aml_scope("\\_SB", build_pci0(cfg)));
    aml_append(aml, sleep_state("\\_S0", PC_ACPI_SLP_TYP_S0));
    aml_append(aml, sleep_state("\\_S5", PC_ACPI_SLP_TYP_S5));
    aml_append(t, aml);
    table_end(t, start);
    return start;
}

/* 5.2.9.3: IA-PC Boot Architecture Flags */
#define IAPC_LEGACY_DEVICES (1 << 0)
#define IAPC_8042           (1 << 1)

/* 5.2.9: Fixed ACPI Description Table Fixed Feature Flags */
#define FADT_WBINVD         (1 << 0)
#define FADT_PROC_C1        (1 << 2)
#define FADT_PWR_BUTTON     (1 << 4)    /* clear: fixed-feature button */
#define FADT_SLP_BUTTON     (1 << 5)    /* set: no fixed-feature button */
#define FADT_RESET_REG_SUP  (1 << 10)

#define FADT_REVISION       3
#define FADT_REV3_SIZE      244

/*
 * 5.2.9: FADT revision 3, the ACPI 2.0/3.0 layout (244 bytes): the first
 * with the 64-bit X_ fields, RESET_REG and IAPC_BOOT_ARCH, and the one
 * QEMU's pc machine uses.  Later revisions only add fields for hardware-
 * reduced platforms (sleep registers) and the hypervisor vendor id.
 * The offsets in the comments are those of the spec's FADT format table.
 */
static size_t build_fadt(GByteArray *t, uint64_t facs, uint64_t dsdt)
{
    size_t start = table_begin(t, "FACP", FADT_REVISION);

    fw_put_le(t, facs, 4);                         /*  36 FIRMWARE_CTRL */
    fw_put_le(t, dsdt, 4);                         /*  40 DSDT */
    fw_put_le(t, 0, 1);                            /*  44 reserved */
    fw_put_le(t, 0, 1);                            /*  45 Preferred_PM_Profile */
    fw_put_le(t, PC_ACPI_SCI_IRQ, 2);              /*  46 SCI_INT */
    fw_put_le(t, 0, 4);                            /*  48 SMI_CMD: ACPI always on */
    fw_put_le(t, 0, 4);                            /*  52 ACPI_ENABLE .. PSTATE_CNT */
    fw_put_le(t, PC_ACPI_PM1_EVT_ADDR, 4);         /*  56 PM1a_EVT_BLK */
    fw_put_le(t, 0, 4);                            /*  60 PM1b_EVT_BLK */
    fw_put_le(t, PC_ACPI_PM1_CNT_ADDR, 4);         /*  64 PM1a_CNT_BLK */
    fw_put_le(t, 0, 8);                            /*  68 PM1b_CNT_BLK, PM2_CNT_BLK */
    fw_put_le(t, PC_ACPI_PM_TMR_ADDR, 4);          /*  76 PM_TMR_BLK */
    fw_put_le(t, 0, 8);                            /*  80 GPE0_BLK, GPE1_BLK */
    fw_put_le(t, 4, 1);                            /*  88 PM1_EVT_LEN */
    fw_put_le(t, 2, 1);                            /*  89 PM1_CNT_LEN */
    fw_put_le(t, 0, 1);                            /*  90 PM2_CNT_LEN */
    fw_put_le(t, 4, 1);                            /*  91 PM_TMR_LEN */
    fw_put_le(t, 0, 4);                            /*  92 GPE0/1_BLK_LEN .. CST_CNT */
    fw_put_le(t, 0xfff, 2);                        /*  96 P_LVL2_LAT: no C2 */
    fw_put_le(t, 0xfff, 2);                        /*  98 P_LVL3_LAT: no C3 */
    fw_put_le(t, 0, 4);                            /* 100 FLUSH_SIZE, FLUSH_STRIDE */
    fw_put_le(t, 0, 5);                            /* 104 DUTY_OFFSET .. CENTURY */
    fw_put_le(t, IAPC_LEGACY_DEVICES | IAPC_8042, 2);  /* 109 IAPC_BOOT_ARCH */
    fw_put_le(t, 0, 1);                            /* 111 reserved */
    fw_put_le(t, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
              FADT_RESET_REG_SUP, 4);           /* 112 Flags */
    put_gas_io(t, 8, GAS_ACCESS_BYTE, PC_RESET_PORT);  /* 116 RESET_REG */
    fw_put_le(t, 0x06, 1);                         /* 128 RESET_VALUE */
    fw_put_le(t, 0, 3);                            /* 129 reserved */
    fw_put_le(t, facs, 8);                         /* 132 X_FIRMWARE_CTRL */
    fw_put_le(t, dsdt, 8);                         /* 140 X_DSDT */
    put_gas_io(t, 32, GAS_ACCESS_UNDEF, PC_ACPI_PM1_EVT_ADDR); /* 148 */
    put_gas_io(t, 0, 0, 0);                     /* 160 X_PM1b_EVT_BLK */
    put_gas_io(t, 16, GAS_ACCESS_UNDEF, PC_ACPI_PM1_CNT_ADDR); /* 172 */
    put_gas_io(t, 0, 0, 0);                     /* 184 X_PM1b_CNT_BLK */
    put_gas_io(t, 0, 0, 0);                     /* 196 X_PM2_CNT_BLK */
    put_gas_io(t, 32, GAS_ACCESS_UNDEF, PC_ACPI_PM_TMR_ADDR);  /* 208 */
    put_gas_io(t, 0, 0, 0);                     /* 220 X_GPE0_BLK */
    put_gas_io(t, 0, 0, 0);                     /* 232 X_GPE1_BLK */
    g_assert(t->len - start == FADT_REV3_SIZE);
    table_end(t, start);
    return start;
}

/* 5.2.12: MADT structure types and flags */
#define MADT_PCAT_COMPAT        (1 << 0)
#define MADT_LOCAL_APIC         0
#define MADT_IO_APIC            1
#define MADT_INT_SRC_OVERRIDE   2
#define MADT_LOCAL_APIC_NMI     4
#define MADT_LOCAL_X2APIC       9
#define MADT_LOCAL_X2APIC_NMI   10
#define MADT_ENABLED            (1 << 0)
#define MADT_ALL_PROCESSORS     0xff
/* 5.2.12.5: MPS INTI flags */
#define MPS_INTI_ACTIVE_HIGH    (1 << 0)
#define MPS_INTI_LEVEL          (3 << 2)

static void put_cpu(GByteArray *t, uint32_t uid, uint32_t apic_id)
{
    if (apic_id < 0xff && uid < 0xff) {
        fw_put_le(t, MADT_LOCAL_APIC, 1);          /* 5.2.12.2 */
        fw_put_le(t, 8, 1);
        fw_put_le(t, uid, 1);                      /* ACPI Processor UID */
        fw_put_le(t, apic_id, 1);
        fw_put_le(t, MADT_ENABLED, 4);
    } else {
        fw_put_le(t, MADT_LOCAL_X2APIC, 1);        /* 5.2.12.12 */
        fw_put_le(t, 16, 1);
        fw_put_le(t, 0, 2);                        /* reserved */
        fw_put_le(t, apic_id, 4);
        fw_put_le(t, MADT_ENABLED, 4);
        fw_put_le(t, uid, 4);
    }
}

/* 5.2.12.5: Interrupt Source Override from ISA (bus 0). */
static void put_override(GByteArray *t, uint8_t irq, uint32_t gsi,
                         uint16_t flags)
{
    fw_put_le(t, MADT_INT_SRC_OVERRIDE, 1);
    fw_put_le(t, 10, 1);
    fw_put_le(t, 0, 1);                            /* Bus: ISA */
    fw_put_le(t, irq, 1);                          /* Source */
    fw_put_le(t, gsi, 4);
    fw_put_le(t, flags, 2);
}

static size_t build_madt(GByteArray *t, const PCFirmwareConfig *cfg)
{
    size_t start = table_begin(t, "APIC", 3);
    bool x2apic = false;

    fw_put_le(t, PC_LAPIC_ADDR, 4);                /* Local Int. Controller Addr */
    fw_put_le(t, MADT_PCAT_COMPAT, 4);
    for (unsigned i = 0; i < cfg->nr_cpus; i++) {
        put_cpu(t, i, cfg->apic_ids[i]);
        x2apic |= cfg->apic_ids[i] >= 0xff || i >= 0xff;
    }

    fw_put_le(t, MADT_IO_APIC, 1);                 /* 5.2.12.3 */
    fw_put_le(t, 12, 1);
    fw_put_le(t, cfg->ioapic_id, 1);
    fw_put_le(t, 0, 1);                            /* reserved */
    fw_put_le(t, PC_IOAPIC_ADDR, 4);
    fw_put_le(t, 0, 4);                            /* GSI base */

    put_override(t, 0, 2, 0);                   /* PIT on pin 2 */
    for (unsigned irq = 0; irq < 16; irq++) {
        if (PC_LEVEL_IRQ_MASK & (1u << irq)) {
            put_override(t, irq, irq, MPS_INTI_LEVEL | MPS_INTI_ACTIVE_HIGH);
        }
    }

    fw_put_le(t, MADT_LOCAL_APIC_NMI, 1);          /* 5.2.12.7: LINT1 */
    fw_put_le(t, 6, 1);
    fw_put_le(t, MADT_ALL_PROCESSORS, 1);
    fw_put_le(t, 0, 2);                            /* flags: conforming */
    fw_put_le(t, 1, 1);
    if (x2apic) {
        fw_put_le(t, MADT_LOCAL_X2APIC_NMI, 1);    /* 5.2.12.13: LINT1 */
        fw_put_le(t, 12, 1);
        fw_put_le(t, 0, 2);
        fw_put_le(t, UINT32_MAX, 4);               /* all processors */
        fw_put_le(t, 1, 1);
        put_zeros(t, 3);
    }
    table_end(t, start);
    return start;
}

/* 5.2.7 RSDT (32-bit entries) and 5.2.8 XSDT (64-bit entries). */
static size_t build_sdt(GByteArray *t, const char *sig, unsigned width,
                        const uint64_t *addrs, unsigned nr)
{
    size_t start = table_begin(t, sig, 1);

    for (unsigned i = 0; i < nr; i++) {
        fw_put_le(t, addrs[i], width);
    }
    table_end(t, start);
    return start;
}

/* 5.2.5.3: RSDP, ACPI 2.0+ (revision 2), 36 bytes at offset 0. */
static void build_rsdp(GByteArray *t, uint64_t rsdt, uint64_t xsdt)
{
    g_assert(t->len == 0);
    fw_put_str(t, "RSD PTR ", 8);
    fw_put_le(t, 0, 1);                            /* Checksum (first 20) */
    fw_put_str(t, ACPI_OEM_ID, 6);
    fw_put_le(t, 2, 1);                            /* Revision */
    fw_put_le(t, rsdt, 4);
    fw_put_le(t, 36, 4);                           /* Length */
    fw_put_le(t, xsdt, 8);
    fw_put_le(t, 0, 1);                            /* Extended Checksum */
    put_zeros(t, 3);
    t->data[8] = acpi_checksum(t->data, 20);
    t->data[32] = acpi_checksum(t->data, 36);
}

size_t pc_build_acpi(uint8_t *buf, size_t len, uint64_t base,
                     const PCFirmwareConfig *cfg)
{
    g_autoptr(GByteArray) t = g_byte_array_new();
    g_autoptr(GByteArray) rsdp = g_byte_array_new();
    uint64_t facs, dsdt, tables[2], rsdt, xsdt;

    g_assert((base & 15) == 0 && cfg->nr_cpus > 0);
    g_assert(cfg->pci_hole_start >= 0x100000);

    put_zeros(t, 36);                           /* room for the RSDP */
    facs = base + build_facs(t);
    dsdt = base + build_dsdt(t, cfg);
    tables[0] = base + build_fadt(t, facs, dsdt);
    tables[1] = base + build_madt(t, cfg);
    rsdt = base + build_sdt(t, "RSDT", 4, tables, G_N_ELEMENTS(tables));
    xsdt = base + build_sdt(t, "XSDT", 8, tables, G_N_ELEMENTS(tables));
    g_assert(base + t->len <= UINT32_MAX);
    build_rsdp(rsdp, rsdt, xsdt);
    memcpy(t->data, rsdp->data, rsdp->len);

    if (t->len > len) {
        return 0;
    }
    memcpy(buf, t->data, t->len);
    return t->len;
}
