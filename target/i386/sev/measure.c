/*
 * SEV launch measurement: GCTX.LD, LAUNCH_MEASURE, and the launch digest
 * of a guest started the way QEMU starts it.
 *
 * SEV API (AMD pub. 55766): LAUNCH_UPDATE_DATA (6.3) and
 * LAUNCH_UPDATE_VMSA (6.4) extend GCTX.LD with the plaintext they
 * encrypt; LAUNCH_MEASURE (6.5.1) finalises it and returns
 * MEASURE || MNONCE (Table 52).
 */
#include "target/i386/sev/sev-measure.h"
#include "qemu/error-report.h"

#include <string.h>

/* First byte of the LAUNCH_MEASURE HMAC input (SEV API 6.5.1) */
#define SEV_MEASURE_CONTEXT     0x04

struct SevLaunchDigest {
    GChecksum *sha;
    bool finished;
};

SevLaunchDigest *sev_launch_digest_new(void)
{
    SevLaunchDigest *ld = g_new0(SevLaunchDigest, 1);

    ld->sha = g_checksum_new(G_CHECKSUM_SHA256);
    return ld;
}

void sev_launch_digest_free(SevLaunchDigest *ld)
{
    if (ld) {
        g_checksum_free(ld->sha);
        g_free(ld);
    }
}

void sev_launch_digest_update_data(SevLaunchDigest *ld, const void *buf,
                                   size_t len)
{
    g_assert(!ld->finished);
    g_checksum_update(ld->sha, buf, len);
}

void sev_launch_digest_update_vmsa(SevLaunchDigest *ld,
                                   const uint8_t page[SEV_VMSA_SIZE])
{
    sev_launch_digest_update_data(ld, page, SEV_VMSA_SIZE);
}

void sev_launch_digest_finish(SevLaunchDigest *ld,
                              uint8_t digest[SEV_DIGEST_SIZE])
{
    gsize n = SEV_DIGEST_SIZE;

    g_assert(!ld->finished);
    ld->finished = true;
    g_checksum_get_digest(ld->sha, digest, &n);
    g_assert(n == SEV_DIGEST_SIZE);
}

void sev_hmac_sha256(const uint8_t *key, size_t key_len,
                     const void *data, size_t len,
                     uint8_t mac[SEV_DIGEST_SIZE])
{
    g_autoptr(GHmac) h = g_hmac_new(G_CHECKSUM_SHA256, key, key_len);
    gsize n = SEV_DIGEST_SIZE;

    g_hmac_update(h, data, len);
    g_hmac_get_digest(h, mac, &n);
    g_assert(n == SEV_DIGEST_SIZE);
}

void sev_launch_measure(const uint8_t tik[SEV_TIK_SIZE],
                        const SevMeasureInfo *info,
                        const uint8_t ld[SEV_DIGEST_SIZE],
                        const uint8_t mnonce[SEV_MNONCE_SIZE],
                        uint8_t measure[SEV_DIGEST_SIZE])
{
    /* 0x04 || API_MAJOR || API_MINOR || BUILD || POLICY || LD || MNONCE */
    uint8_t msg[4 + 4 + SEV_DIGEST_SIZE + SEV_MNONCE_SIZE];
    uint8_t *p = msg;

    *p++ = SEV_MEASURE_CONTEXT;
    *p++ = info->api_major;
    *p++ = info->api_minor;
    *p++ = info->build;
    for (unsigned i = 0; i < 4; i++) {
        *p++ = info->policy >> (8 * i);
    }
    memcpy(p, ld, SEV_DIGEST_SIZE);
    memcpy(p + SEV_DIGEST_SIZE, mnonce, SEV_MNONCE_SIZE);
    sev_hmac_sha256(tik, SEV_TIK_SIZE, msg, sizeof(msg), measure);
}

/* One VMSA per vCPU: vCPU 0 at the reset vector, the others at eip_ap. */
static void measure_vmsas(SevLaunchDigest *ld, const SevLaunchParams *p,
                          uint32_t eip_ap)
{
    SevVmsaRegs regs;
    uint8_t page[SEV_VMSA_SIZE];

    for (unsigned i = 0; i < p->vcpus; i++) {
        if (i <= 1) {
            sev_vmsa_reset_regs(&regs, i ? eip_ap : SEV_BSP_RESET_EIP,
                                p->vcpu_sig, p->vmm);
            sev_vmsa_build(&regs, page);
        }
        sev_launch_digest_update_vmsa(ld, page);
    }
}

/*
 * QEMU's order: the flash image (pc_system_flash_map), the hashes table
 * (x86_load_linux), then at machine-done every vCPU's VMSA.
 */
bool sev_calc_launch_digest(const SevLaunchParams *p,
                            uint8_t digest[SEV_DIGEST_SIZE], GError **errp)
{
    g_autoptr(OvmfTable) table = NULL;
    g_autoptr(SevLaunchDigest) ld = NULL;
    uint32_t eip_ap = 0, base, size;

    table = ovmf_table_parse(p->fw, p->fw_size, errp);
    if (!table) {
        return false;
    }
    if (p->hashes && !ovmf_sev_hashes_area(table, &base, &size, errp)) {
        return false;
    }
    if (p->mode == SEV_MODE_SEV_ES) {
        if (!p->vcpus) {
            error_setg(errp, "SEV-ES needs at least one vCPU");
            return false;
        }
        if (!ovmf_sev_es_reset_addr(table, &eip_ap, errp)) {
            return false;
        }
    }

    ld = sev_launch_digest_new();
    sev_launch_digest_update_data(ld, p->fw, p->fw_size);
    if (p->hashes) {
        uint8_t ht[SEV_PADDED_HASH_TABLE_SIZE];

        sev_hashes_table_build(p->hashes, ht);
        sev_launch_digest_update_data(ld, ht, sizeof(ht));
    }
    if (p->mode == SEV_MODE_SEV_ES) {
        measure_vmsas(ld, p, eip_ap);
    }
    sev_launch_digest_finish(ld, digest);
    return true;
}
