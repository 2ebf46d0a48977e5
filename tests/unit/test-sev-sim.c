/*
 * The simulated SEV firmware through the backend interface: commands out
 * of order are refused as the firmware refuses them, and a whole launch
 * measures what the offline prediction (sev_calc_launch_digest) computes.
 */
#include "target/i386/sev/sev-backend.h"

#include <glib.h>
#include <string.h>

#define FW_SIZE     0x4000
#define RESET_ADDR  0xffff8004u

static const uint8_t tik[SEV_TIK_SIZE] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};

/*
 * A firmware image whose footer table (OVMF's ResetVectorVtf0.asm
 * layout, read backwards from 32 bytes before the end) holds one entry:
 * the SEV-ES reset block.
 */
static uint8_t *make_fw(void)
{
    uint8_t *fw = g_malloc(FW_SIZE);
    size_t end = FW_SIZE - 32;
    SevGuid g;

    for (size_t i = 0; i < FW_SIZE; i++) {
        fw[i] = i * 7 + 3;
    }
    g_assert_true(sev_guid_parse(OVMF_TABLE_FOOTER_GUID, &g));
    memcpy(fw + end - 16, g.b, 16);
    fw[end - 18] = 18 + 22;             /* table length, with the footer */
    fw[end - 17] = 0;
    g_assert_true(sev_guid_parse(SEV_ES_RESET_BLOCK_GUID, &g));
    memcpy(fw + end - 18 - 16, g.b, 16);
    fw[end - 18 - 18] = 22;             /* entry length */
    fw[end - 18 - 17] = 0;
    fw[end - 40] = RESET_ADDR & 0xff;
    fw[end - 39] = (RESET_ADDR >> 8) & 0xff;
    fw[end - 38] = (RESET_ADDR >> 16) & 0xff;
    fw[end - 37] = RESET_ADDR >> 24;
    return fw;
}

static void expect_fw_error(GError *err, const char *cmd, const char *name)
{
    g_autofree char *want = NULL;

    g_assert_nonnull(err);
    want = g_strdup_printf("SEV: %s failed: firmware error", cmd);
    g_assert_true(g_str_has_prefix(err->message, want));
    g_assert_nonnull(strstr(err->message, name));
}

static void test_misuse(void)
{
    SevBackend *b = sev_sim_backend_new(tik);
    const SevBackendOps *o = b->ops;
    g_autoptr(GBytes) hdr = g_bytes_new_static((uint8_t[52]){ 0 }, 52);
    g_autoptr(GBytes) data = g_bytes_new_static((uint8_t[16]){ 0 }, 16);
    uint8_t buf[64] = { 0 }, page[SEV_VMSA_SIZE] = { 0 };
    uint8_t out[SEV_MEASURE_BUF_SIZE];
    SevPlatformInfo info;
    uint32_t handle = 0;
    GError *err = NULL;

    /* nothing before INIT */
    g_assert_false(o->launch_start(b, 0x5, &handle, NULL, NULL, &err));
    expect_fw_error(err, "LAUNCH_START", "INVALID_PLATFORM_STATE");
    g_clear_error(&err);
    g_assert_true(o->init(b, true, false, &info, &err));
    g_assert_false(o->init(b, true, false, &info, &err));
    g_clear_error(&err);

    /* UNINIT: only LAUNCH_START */
    g_assert_false(o->update_data(b, buf, 64, &err));
    expect_fw_error(err, "LAUNCH_UPDATE_DATA", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    g_assert_false(o->measure(b, out, &err));
    expect_fw_error(err, "LAUNCH_MEASURE", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    g_assert_false(o->finish(b, &err));
    expect_fw_error(err, "LAUNCH_FINISH", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    /* an SEV-ES context needs the ES policy bit */
    g_assert_false(o->launch_start(b, 0x1, &handle, NULL, NULL, &err));
    expect_fw_error(err, "LAUNCH_START", "POLICY_FAILURE");
    g_clear_error(&err);
    g_assert_true(o->launch_start(b, 0x5, &handle, NULL, NULL, &err));
    g_assert_cmpuint(handle, !=, 0);

    /* LUPDATE */
    g_assert_false(o->launch_start(b, 0x5, &handle, NULL, NULL, &err));
    expect_fw_error(err, "LAUNCH_START", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    g_assert_false(o->update_data(b, buf, 15, &err));
    expect_fw_error(err, "LAUNCH_UPDATE_DATA", "INVALID_LENGTH");
    g_clear_error(&err);
    g_assert_false(o->secret(b, hdr, data, buf, &err));
    expect_fw_error(err, "LAUNCH_SECRET", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    g_assert_false(o->finish(b, &err));
    expect_fw_error(err, "LAUNCH_FINISH", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    g_assert_true(o->update_data(b, buf, 64, &err));
    g_assert_true(o->update_vmsa(b, page, 1, &err));
    g_assert_true(o->measure(b, out, &err));

    /* LSECRET: no more updates, no second measurement */
    g_assert_false(o->update_data(b, buf, 64, &err));
    expect_fw_error(err, "LAUNCH_UPDATE_DATA", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    g_assert_false(o->update_vmsa(b, page, 1, &err));
    expect_fw_error(err, "LAUNCH_UPDATE_VMSA", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    g_assert_false(o->measure(b, out, &err));
    expect_fw_error(err, "LAUNCH_MEASURE", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    g_assert_true(o->secret(b, hdr, data, buf, &err));
    g_assert_true(o->finish(b, &err));

    /* RUNNING: the launch is over */
    g_assert_false(o->secret(b, hdr, data, buf, &err));
    expect_fw_error(err, "LAUNCH_SECRET", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    g_assert_false(o->finish(b, &err));
    expect_fw_error(err, "LAUNCH_FINISH", "INVALID_GUEST_STATE");
    g_clear_error(&err);
    o->free(b);
}

/* A plain SEV guest has no VMSA to measure. */
static void test_sev_no_vmsa(void)
{
    SevBackend *b = sev_sim_backend_new(tik);
    uint8_t page[SEV_VMSA_SIZE] = { 0 };
    SevPlatformInfo info;
    uint32_t handle = 0;
    GError *err = NULL;

    g_assert_true(b->ops->init(b, false, false, &info, &err));
    g_assert_true(b->ops->launch_start(b, 0x1, &handle, NULL, NULL, &err));
    g_assert_false(b->ops->update_vmsa(b, page, 1, &err));
    expect_fw_error(err, "LAUNCH_UPDATE_VMSA", "INVALID_GUEST");
    g_clear_error(&err);
    b->ops->free(b);
}

/* The launch the VMM drives gives the digest the predictor computes. */
static void test_launch_matches_prediction(void)
{
    static const unsigned vcpus[] = { 1, 2, 4 };
    g_autofree uint8_t *fw = make_fw();
    uint32_t sig = sev_cpu_sig(25, 1, 1);

    for (size_t k = 0; k < G_N_ELEMENTS(vcpus); k++) {
        SevBackend *b = sev_sim_backend_new(tik);
        g_autofree uint8_t *pages = g_new0(uint8_t, vcpus[k] * SEV_VMSA_SIZE);
        SevLaunchParams p = {
            .mode = SEV_MODE_SEV_ES, .fw = fw, .fw_size = FW_SIZE,
            .vcpus = vcpus[k], .vcpu_sig = sig, .vmm = SEV_VMM_QEMU_LEGACY_VM,
        };
        SevMeasureInfo mi = {
            .api_major = SEV_SIM_API_MAJOR, .api_minor = SEV_SIM_API_MINOR,
            .build = SEV_SIM_BUILD, .policy = 0x5,
        };
        uint8_t out[SEV_MEASURE_BUF_SIZE], ld[SEV_DIGEST_SIZE];
        uint8_t want_ld[SEV_DIGEST_SIZE], want[SEV_DIGEST_SIZE];
        SevPlatformInfo info;
        uint32_t handle = 0;
        GError *err = NULL;

        for (unsigned i = 0; i < vcpus[k]; i++) {
            SevVmsaRegs r;
            sev_vmsa_reset_regs(&r, i ? RESET_ADDR : SEV_BSP_RESET_EIP, sig,
                                SEV_VMM_QEMU_LEGACY_VM);
            sev_vmsa_build(&r, pages + i * SEV_VMSA_SIZE);
        }
        g_assert_true(b->ops->init(b, true, false, &info, &err));
        g_assert_true(b->ops->launch_start(b, 0x5, &handle, NULL, NULL, &err));
        g_assert_true(b->ops->update_data(b, fw, FW_SIZE, &err));
        g_assert_true(b->ops->update_vmsa(b, pages, vcpus[k], &err));
        g_assert_true(b->ops->measure(b, out, &err));
        g_assert_no_error(err);

        g_assert_true(sev_calc_launch_digest(&p, want_ld, &err));
        g_assert_true(sev_sim_launch_digest(b, ld));
        g_assert_cmpmem(ld, sizeof(ld), want_ld, sizeof(want_ld));
        /* MEASURE over the predicted LD and the returned MNONCE */
        sev_launch_measure(tik, &mi, want_ld, out + SEV_DIGEST_SIZE, want);
        g_assert_cmpmem(out, SEV_DIGEST_SIZE, want, sizeof(want));
        b->ops->free(b);
    }
}

/* The legacy VM type differs from QEMU's INIT2 VMSA only in FCW/MXCSR. */
static void test_legacy_vmsa(void)
{
    SevVmsaRegs a, b;
    uint8_t pa[SEV_VMSA_SIZE], pb[SEV_VMSA_SIZE];

    sev_vmsa_reset_regs(&a, SEV_BSP_RESET_EIP, 0x00a00f11, SEV_VMM_QEMU);
    sev_vmsa_reset_regs(&b, SEV_BSP_RESET_EIP, 0x00a00f11,
                        SEV_VMM_QEMU_LEGACY_VM);
    g_assert_cmpuint(a.x87_fcw, ==, 0x37f);
    g_assert_cmpuint(a.mxcsr, ==, 0x1f80);
    g_assert_cmpuint(b.x87_fcw, ==, 0);
    g_assert_cmpuint(b.mxcsr, ==, 0);
    sev_vmsa_build(&a, pa);
    sev_vmsa_build(&b, pb);
    /* MXCSR at 0x408, FCW at 0x410 (struct sev_es_save_area) */
    for (unsigned i = 0; i < SEV_VMSA_SIZE; i++) {
        if ((i >= 0x408 && i < 0x40c) || (i >= 0x410 && i < 0x412)) {
            continue;
        }
        g_assert_cmpuint(pa[i], ==, pb[i]);
    }
    g_assert_cmpuint(pa[0x408] | pa[0x409] << 8, ==, 0x1f80);
    g_assert_cmpuint(pb[0x408] | pb[0x409] | pb[0x410] | pb[0x411], ==, 0);
}

static void test_error_names(void)
{
    g_assert_cmpstr(sev_fw_error_name(2), ==, "INVALID_GUEST_STATE");
    g_assert_cmpstr(sev_fw_error_name(7), ==, "POLICY_FAILURE");
    g_assert_cmpstr(sev_fw_error_name(0x18), ==, "SECURE_DATA_INVALID");
    g_assert_cmpstr(sev_fw_error_name(0x19), ==, "unknown");
    g_assert_cmpstr(sev_state_name(SEV_GSTATE_LSECRET), ==, "launch-secret");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sev-sim/misuse", test_misuse);
    g_test_add_func("/sev-sim/sev-no-vmsa", test_sev_no_vmsa);
    g_test_add_func("/sev-sim/launch", test_launch_matches_prediction);
    g_test_add_func("/sev-sim/legacy-vmsa", test_legacy_vmsa);
    g_test_add_func("/sev-sim/error-names", test_error_names);
    return g_test_run();
}
