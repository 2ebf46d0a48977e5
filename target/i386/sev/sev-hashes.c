/*
 * The kernel hashes table of measured direct boot (-kernel with SEV).
 *
 * QEMU writes it into the area OVMF names in its footer table and
 * measures it with LAUNCH_UPDATE_DATA; OVMF later checks the kernel,
 * initrd and command line it gets over fw_cfg against it.  Layout (QEMU
 * target/i386/sev.c SevHashTable, OvmfPkg's SEV_HASH_TABLE):
 *
 *   0    header GUID, u16 length of the whole table (168)
 *   18   cmdline entry: GUID, u16 50, SHA-256
 *   68   initrd entry
 *   118  kernel entry
 *   168  zero padding to 176 (a multiple of 16, as LAUNCH_UPDATE_DATA
 *        wants)
 */
#include "target/i386/sev/sev-measure.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define HASH_ENTRY_SIZE     (sizeof(SevGuid) + 2 + SEV_DIGEST_SIZE)
#define HASH_HEADER_SIZE    (sizeof(SevGuid) + 2)

G_STATIC_ASSERT(HASH_HEADER_SIZE + 3 * HASH_ENTRY_SIZE == SEV_HASH_TABLE_SIZE);
G_STATIC_ASSERT(SEV_PADDED_HASH_TABLE_SIZE ==
                ((SEV_HASH_TABLE_SIZE + 15) & ~15));

static void sha256(const void *data, size_t len, uint8_t out[SEV_DIGEST_SIZE])
{
    g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
    gsize n = SEV_DIGEST_SIZE;

    g_checksum_update(c, data, len);
    g_checksum_get_digest(c, out, &n);
}

/* The command line as the guest gets it: its bytes and the NUL. */
static void hash_cmdline(const char *cmdline, uint8_t out[SEV_DIGEST_SIZE])
{
    const char *s = cmdline ? cmdline : "";

    sha256(s, strlen(s) + 1, out);
}

void sev_kernel_hashes_from_data(SevKernelHashes *h,
                                 const void *kernel, size_t kernel_size,
                                 const void *initrd, size_t initrd_size,
                                 const char *cmdline)
{
    sha256(kernel, kernel_size, h->kernel);
    sha256(initrd ? initrd : "", initrd ? initrd_size : 0, h->initrd);
    hash_cmdline(cmdline, h->cmdline);
}

static bool hash_file(const char *what, const char *path,
                      uint8_t out[SEV_DIGEST_SIZE], GError **errp)
{
    g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree uint8_t *buf = g_malloc(1 << 20);
    gsize n = SEV_DIGEST_SIZE;
    FILE *f = fopen(path, "rb");
    size_t got;

    if (!f) {
        error_setg_errno(errp, errno, "could not open %s '%s'", what, path);
        return false;
    }
    while ((got = fread(buf, 1, 1 << 20, f)) > 0) {
        g_checksum_update(c, buf, got);
    }
    if (ferror(f)) {
        error_setg(errp, "could not read %s '%s'", what, path);
        fclose(f);
        return false;
    }
    fclose(f);
    g_checksum_get_digest(c, out, &n);
    return true;
}

bool sev_kernel_hashes_from_files(SevKernelHashes *h, const char *kernel_path,
                                  const char *initrd_path,
                                  const char *cmdline, GError **errp)
{
    if (!hash_file("kernel", kernel_path, h->kernel, errp)) {
        return false;
    }
    if (initrd_path) {
        if (!hash_file("initrd", initrd_path, h->initrd, errp)) {
            return false;
        }
    } else {
        sha256("", 0, h->initrd);
    }
    hash_cmdline(cmdline, h->cmdline);
    return true;
}

static uint8_t *put_entry(uint8_t *p, const char *guid, uint16_t len,
                          const uint8_t *hash)
{
    SevGuid g;
    bool ok = sev_guid_parse(guid, &g);

    g_assert(ok);
    memcpy(p, g.b, sizeof(g.b));
    p[16] = len;
    p[17] = len >> 8;
    if (hash) {
        memcpy(p + 18, hash, SEV_DIGEST_SIZE);
    }
    return p + len;
}

void sev_hashes_table_build(const SevKernelHashes *h,
                            uint8_t table[SEV_PADDED_HASH_TABLE_SIZE])
{
    uint8_t *p = table;

    memset(table, 0, SEV_PADDED_HASH_TABLE_SIZE);
    /* the header's length is the whole unpadded table's */
    put_entry(p, SEV_HASH_TABLE_HEADER_GUID, SEV_HASH_TABLE_SIZE, NULL);
    p += HASH_HEADER_SIZE;
    p = put_entry(p, SEV_CMDLINE_ENTRY_GUID, HASH_ENTRY_SIZE, h->cmdline);
    p = put_entry(p, SEV_INITRD_ENTRY_GUID, HASH_ENTRY_SIZE, h->initrd);
    put_entry(p, SEV_KERNEL_ENTRY_GUID, HASH_ENTRY_SIZE, h->kernel);
}
