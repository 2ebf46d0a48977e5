/*
 * OVMF's footer table ("GUIDed structure table" of OvmfPkg/ResetVector).
 *
 * The table sits just below the last 32 bytes of the image (the reset
 * vector) and is read backwards from there:
 *
 *   ... | data | u16 len | GUID | ... | data | u16 len | GUID |
 *       u16 total length | footer GUID | 32 bytes up to the end
 *
 * Each entry's len counts its data, the length and the GUID; the footer's
 * total length counts all entries plus its own length and GUID.
 */
#include "target/i386/sev/sev-measure.h"
#include "qemu/error-report.h"

#include <string.h>

/* Bytes of an entry's trailer: u16 length, then the GUID */
#define OVMF_ENTRY_HDR_SIZE     (2 + sizeof(SevGuid))
/* The footer GUID ends 32 bytes before the end of the image */
#define OVMF_FOOTER_TAIL        32

static uint16_t ld16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint32_t ld32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Groups of 4-2-2-2-6 bytes; the first three are stored byte-reversed
 * (little-endian), the last two in the order written.
 */
bool sev_guid_parse(const char *str, SevGuid *guid)
{
    static const uint8_t order[16] = {
        3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15
    };
    uint8_t raw[16];
    unsigned n = 0;

    if (strlen(str) != 36) {
        return false;
    }
    for (unsigned i = 0; i < 36; ) {
        int hi, lo;

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (str[i++] != '-') {
                return false;
            }
            continue;
        }
        hi = g_ascii_xdigit_value(str[i++]);
        lo = g_ascii_xdigit_value(str[i++]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        raw[n++] = hi << 4 | lo;
    }
    for (unsigned i = 0; i < 16; i++) {
        guid->b[i] = raw[order[i]];
    }
    return true;
}

static SevGuid guid_of(const char *str)
{
    SevGuid g;
    bool ok = sev_guid_parse(str, &g);

    g_assert(ok);
    return g;
}

char *sev_guid_to_string(const SevGuid *g)
{
    const uint8_t *b = g->b;

    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x-%02x%02x%02x%02x%02x%02x",
                           b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
                           b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                           b[15]);
}

static bool footer_present(const uint8_t *fw, size_t size)
{
    SevGuid footer = guid_of(OVMF_TABLE_FOOTER_GUID);

    return !memcmp(fw + size - OVMF_FOOTER_TAIL - sizeof(SevGuid),
                   footer.b, sizeof(footer.b));
}

/* Walk the entries below 'end' (an offset into fw) covering 'len' bytes. */
static bool parse_entries(OvmfTable *t, const uint8_t *fw, size_t end,
                          size_t len, GError **errp)
{
    while (len) {
        OvmfTableEntry *e;
        uint16_t elen;

        if (len < OVMF_ENTRY_HDR_SIZE) {
            error_setg(errp, "OVMF table has %zu stray bytes at offset "
                       "0x%zx", len, end - len);
            return false;
        }
        elen = ld16(fw + end - OVMF_ENTRY_HDR_SIZE);
        if (elen < OVMF_ENTRY_HDR_SIZE || elen > len) {
            g_autofree char *id = NULL;
            SevGuid g;

            memcpy(g.b, fw + end - sizeof(SevGuid), sizeof(g.b));
            id = sev_guid_to_string(&g);
            error_setg(errp, "OVMF table entry %s has invalid length %u",
                       id, elen);
            return false;
        }
        t->entries = g_renew(OvmfTableEntry, t->entries, t->nr + 1);
        e = &t->entries[t->nr++];
        memcpy(e->guid.b, fw + end - sizeof(SevGuid), sizeof(e->guid.b));
        e->data = fw + end - elen;
        e->len = elen - OVMF_ENTRY_HDR_SIZE;
        end -= elen;
        len -= elen;
    }
    return true;
}

OvmfTable *ovmf_table_parse(const uint8_t *fw, size_t size, GError **errp)
{
    g_autoptr(OvmfTable) t = NULL;
    size_t foot;        /* offset of the footer: the entries end here */
    uint16_t total;

    if (size < OVMF_MIN_SIZE) {
        error_setg(errp, "firmware image is too small (%zu bytes, the OVMF "
                   "table needs at least %d)", size, OVMF_MIN_SIZE);
        return NULL;
    }
    if (!footer_present(fw, size)) {
        error_setg(errp, "no OVMF table footer GUID %s 32 bytes before the "
                   "end of the image", OVMF_TABLE_FOOTER_GUID);
        return NULL;
    }
    foot = size - OVMF_FOOTER_TAIL - OVMF_ENTRY_HDR_SIZE;
    total = ld16(fw + foot);
    if (total < OVMF_ENTRY_HDR_SIZE ||
        total - OVMF_ENTRY_HDR_SIZE > foot) {
        error_setg(errp, "OVMF table has invalid size %d",
                   (int)total - (int)OVMF_ENTRY_HDR_SIZE);
        return NULL;
    }
    t = g_new0(OvmfTable, 1);
    if (!parse_entries(t, fw, foot, total - OVMF_ENTRY_HDR_SIZE, errp)) {
        return NULL;
    }
    return g_steal_pointer(&t);
}

void ovmf_table_free(OvmfTable *table)
{
    if (table) {
        g_free(table->entries);
        g_free(table);
    }
}

const OvmfTableEntry *ovmf_table_find(const OvmfTable *table,
                                      const char *guid)
{
    SevGuid g;

    if (!sev_guid_parse(guid, &g)) {
        return NULL;
    }
    for (size_t i = 0; i < table->nr; i++) {
        if (!memcmp(table->entries[i].guid.b, g.b, sizeof(g.b))) {
            return &table->entries[i];
        }
    }
    return NULL;
}

/* Entry with at least min_len bytes of data. */
static const OvmfTableEntry *find_sized(const OvmfTable *table,
                                        const char *guid, const char *what,
                                        size_t min_len, GError **errp)
{
    const OvmfTableEntry *e = ovmf_table_find(table, guid);

    if (!e) {
        error_setg(errp, "firmware has no %s (OVMF table GUID %s)",
                   what, guid);
        return NULL;
    }
    if (e->len < min_len) {
        error_setg(errp, "firmware's %s entry is %zu bytes, expected %zu",
                   what, e->len, min_len);
        return NULL;
    }
    return e;
}

bool ovmf_sev_es_reset_addr(const OvmfTable *table, uint32_t *addr,
                            GError **errp)
{
    const OvmfTableEntry *e = find_sized(table, SEV_ES_RESET_BLOCK_GUID,
                                         "SEV-ES reset block", 4, errp);

    if (!e) {
        return false;
    }
    *addr = ld32(e->data);
    if (!*addr) {
        error_setg(errp, "firmware's SEV-ES reset address is zero");
        return false;
    }
    return true;
}

/* An area entry: u32 base, u32 size. */
static bool find_area(const OvmfTable *table, const char *guid,
                      const char *what, uint32_t *base, uint32_t *size,
                      GError **errp)
{
    const OvmfTableEntry *e = find_sized(table, guid, what, 8, errp);

    if (!e) {
        return false;
    }
    *base = ld32(e->data);
    *size = ld32(e->data + 4);
    return true;
}

bool ovmf_sev_hashes_area(const OvmfTable *table, uint32_t *base,
                          uint32_t *size, GError **errp)
{
    if (!find_area(table, SEV_HASH_TABLE_RV_GUID, "kernel hashes table area",
                   base, size, errp)) {
        return false;
    }
    if (!*base || *size < SEV_PADDED_HASH_TABLE_SIZE) {
        error_setg(errp, "firmware does not support kernel hashes: its "
                   "hashes table area is unusable (base=0x%x size=0x%x)",
                   *base, *size);
        return false;
    }
    return true;
}

bool ovmf_sev_secret_area(const OvmfTable *table, uint32_t *base,
                          uint32_t *size, GError **errp)
{
    return find_area(table, SEV_SECRET_GUID, "launch secret area",
                     base, size, errp);
}
