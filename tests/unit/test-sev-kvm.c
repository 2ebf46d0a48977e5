/*
 * The KVM SEV backend against a fake kernel: each KVM_MEMORY_ENCRYPT_OP,
 * REG_REGION and SEV_ISSUE_CMD is recorded and its structure checked
 * (Documentation/virt/kvm/x86/amd-memory-encryption.rst), firmware
 * errors come back by name.  Real SEV hardware is not needed for this;
 * what the firmware then does is not tested here.
 */
#include "target/i386/sev/sev-backend.h"
#include "linux/kvm-sev-init2.h"

#include <errno.h>
#include <glib.h>
#include <linux/kvm.h>
#include <linux/psp-sev.h>
#include <string.h>

#define VM_FD   100
#define SEV_FD  200

typedef struct FakeKernel {
    GArray *ids;                /* KVM SEV command ids, in order */
    int fail_id;                /* this command fails ... */
    unsigned fail_fw;           /* ... with this firmware error (0: errno) */
    uint32_t status_flags;      /* PLATFORM_STATUS flags */
    struct kvm_sev_launch_start start;
    const void *dh, *session;
    struct kvm_enc_region region;
    struct kvm_sev_launch_update_data update;
    uint64_t vmsa_data;
    struct kvm_sev_launch_secret secret;
    uint32_t measure_len;       /* what LAUNCH_MEASURE reports back */
} FakeKernel;

static FakeKernel fk;

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
    if (req == SEV_ISSUE_CMD) {
        struct sev_issue_cmd *c = arg;
        struct sev_user_data_status *st = (void *)(uintptr_t)c->data;

        g_assert_cmpint(fd, ==, SEV_FD);
        g_assert_cmpuint(c->cmd, ==, SEV_PLATFORM_STATUS);
        st->api_major = 1;
        st->api_minor = 52;
        st->build = 4;
        st->flags = fk.status_flags;
        return 0;
    }
    g_assert_cmpint(fd, ==, VM_FD);
    if (req == KVM_MEMORY_ENCRYPT_REG_REGION) {
        fk.region = *(struct kvm_enc_region *)arg;
        return 0;
    }
    g_assert_cmpuint(req, ==, KVM_MEMORY_ENCRYPT_OP);
    struct kvm_sev_cmd *c = arg;
    void *data = (void *)(uintptr_t)c->data;

    g_assert_cmpuint(c->sev_fd, ==, SEV_FD);
    g_array_append_val(fk.ids, c->id);
    if ((int)c->id == fk.fail_id) {
        c->error = fk.fail_fw;
        errno = EINVAL;
        return -1;
    }
    switch (c->id) {
    case KVM_SEV_INIT:
    case KVM_SEV_ES_INIT:
    case KVM_SEV_LAUNCH_FINISH:
        g_assert_null(data);
        break;
    case KVM_SEV_INIT2_CMD: {
        /* no VMSA features, flags 0, KVM's GHCB version, zero padding */
        static const struct kvm_sev_init2_params zero;
        g_assert_cmpmem(data, sizeof(zero), &zero, sizeof(zero));
        break;
    }
    case KVM_SEV_LAUNCH_START:
        fk.start = *(struct kvm_sev_launch_start *)data;
        ((struct kvm_sev_launch_start *)data)->handle = 7;
        break;
    case KVM_SEV_LAUNCH_UPDATE_DATA:
        fk.update = *(struct kvm_sev_launch_update_data *)data;
        break;
    case KVM_SEV_LAUNCH_UPDATE_VMSA:
        fk.vmsa_data = c->data;
        break;
    case KVM_SEV_LAUNCH_MEASURE: {
        struct kvm_sev_launch_measure *m = data;
        g_assert_cmpuint(m->len, >=, SEV_MEASURE_BUF_SIZE);
        memset((void *)(uintptr_t)m->uaddr, 0xab, SEV_MEASURE_BUF_SIZE);
        m->len = fk.measure_len;
        break;
    }
    case KVM_SEV_LAUNCH_SECRET:
        fk.secret = *(struct kvm_sev_launch_secret *)data;
        break;
    case KVM_SEV_GET_ATTESTATION_REPORT: {
        struct kvm_sev_attestation_report *r = data;
        for (unsigned i = 0; i < 16; i++) {
            g_assert_cmpuint(r->mnonce[i], ==, i);
        }
        if (!r->len) {
            r->len = 24;                /* SEV API 6.8: length first */
            c->error = SEV_RET_INVALID_LEN;
            errno = EIO;
            return -1;
        }
        g_assert_cmpuint(r->len, ==, 24);
        memset((void *)(uintptr_t)r->uaddr, 0x5a, 24);
        break;
    }
    default:
        g_assert_not_reached();
    }
    return 0;
}

static SevBackend *fresh(void)
{
    if (fk.ids) {
        g_array_free(fk.ids, true);
    }
    memset(&fk, 0, sizeof(fk));
    fk.ids = g_array_new(false, false, sizeof(uint32_t));
    fk.fail_id = -1;
    fk.status_flags = SEV_STATUS_FLAGS_CONFIG_ES;
    fk.measure_len = SEV_MEASURE_BUF_SIZE;
    return sev_kvm_backend_new_fake(VM_FD, SEV_FD, fake_ioctl);
}

static void test_sequence(void)
{
    SevBackend *b = fresh();
    const SevBackendOps *o = b->ops;
    static uint8_t dh[40], session[24], ram[8192], fw[4096], guest[64];
    static const uint8_t hdr[52], secret[32];
    g_autoptr(GBytes) gdh = g_bytes_new_static(dh, sizeof(dh));
    g_autoptr(GBytes) gsess = g_bytes_new_static(session, sizeof(session));
    g_autoptr(GBytes) ghdr = g_bytes_new_static(hdr, sizeof(hdr));
    g_autoptr(GBytes) gsec = g_bytes_new_static(secret, sizeof(secret));
    uint8_t out[SEV_MEASURE_BUF_SIZE];
    static const uint32_t want[] = {
        KVM_SEV_ES_INIT, KVM_SEV_LAUNCH_START, KVM_SEV_LAUNCH_UPDATE_DATA,
        KVM_SEV_LAUNCH_UPDATE_VMSA, KVM_SEV_LAUNCH_MEASURE,
        KVM_SEV_LAUNCH_SECRET, KVM_SEV_LAUNCH_FINISH,
    };
    SevPlatformInfo info;
    uint32_t handle = 0;
    GError *err = NULL;

    g_assert_true(o->can_run);
    g_assert_true(o->init(b, true, false, &info, &err));
    g_assert_cmpuint(info.api_major, ==, 1);
    g_assert_cmpuint(info.api_minor, ==, 52);
    g_assert_cmpuint(info.build, ==, 4);
    g_assert_true(info.es);

    g_assert_true(o->launch_start(b, 0x5, &handle, gdh, gsess, &err));
    g_assert_cmpuint(fk.start.policy, ==, 0x5);
    g_assert_cmpuint(fk.start.handle, ==, 0);
    g_assert_cmpuint(fk.start.dh_uaddr, ==, (uintptr_t)dh);
    g_assert_cmpuint(fk.start.dh_len, ==, sizeof(dh));
    g_assert_cmpuint(fk.start.session_uaddr, ==, (uintptr_t)session);
    g_assert_cmpuint(fk.start.session_len, ==, sizeof(session));
    g_assert_cmpuint(handle, ==, 7);        /* the firmware's handle */

    g_assert_true(o->reg_region(b, ram, sizeof(ram), &err));
    g_assert_cmpuint(fk.region.addr, ==, (uintptr_t)ram);
    g_assert_cmpuint(fk.region.size, ==, sizeof(ram));

    g_assert_true(o->update_data(b, fw, sizeof(fw), &err));
    g_assert_cmpuint(fk.update.uaddr, ==, (uintptr_t)fw);
    g_assert_cmpuint(fk.update.len, ==, sizeof(fw));

    g_assert_true(o->update_vmsa(b, NULL, 4, &err));
    g_assert_cmpuint(fk.vmsa_data, ==, 0);      /* KVM builds the VMSAs */

    memset(out, 0, sizeof(out));
    g_assert_true(o->measure(b, out, &err));
    for (unsigned i = 0; i < sizeof(out); i++) {
        g_assert_cmpuint(out[i], ==, 0xab);
    }

    g_assert_true(o->secret(b, ghdr, gsec, guest, &err));
    g_assert_cmpuint(fk.secret.hdr_uaddr, ==, (uintptr_t)hdr);
    g_assert_cmpuint(fk.secret.hdr_len, ==, sizeof(hdr));
    g_assert_cmpuint(fk.secret.trans_uaddr, ==, (uintptr_t)secret);
    g_assert_cmpuint(fk.secret.trans_len, ==, sizeof(secret));
    g_assert_cmpuint(fk.secret.guest_uaddr, ==, (uintptr_t)guest);
    g_assert_cmpuint(fk.secret.guest_len, ==, sizeof(secret));

    g_assert_true(o->finish(b, &err));
    g_assert_no_error(err);
    g_assert_cmpmem(fk.ids->data, fk.ids->len * sizeof(uint32_t),
                    want, sizeof(want));

    {
        uint8_t mnonce[16];
        g_autoptr(GBytes) report = NULL;
        const uint8_t *d;
        gsize len;

        for (unsigned i = 0; i < 16; i++) {
            mnonce[i] = i;
        }
        report = o->attestation(b, mnonce, &err);
        g_assert_no_error(err);
        d = g_bytes_get_data(report, &len);
        g_assert_cmpuint(len, ==, 24);
        g_assert_cmpuint(d[0], ==, 0x5a);
        g_assert_cmpuint(d[23], ==, 0x5a);
    }
    o->free(b);
}

static void test_plain_sev_init(void)
{
    SevBackend *b = fresh();
    SevPlatformInfo info;
    GError *err = NULL;

    fk.status_flags = 0;
    g_assert_true(b->ops->init(b, false, false, &info, &err));
    g_assert_false(info.es);
    g_assert_cmpuint(g_array_index(fk.ids, uint32_t, 0), ==, KVM_SEV_INIT);
    b->ops->free(b);

    /* legacy-vm-type=off: KVM_SEV_INIT2 on the SEV-ES VM type */
    b = fresh();
    g_assert_true(b->ops->init(b, true, true, &info, &err));
    g_assert_cmpuint(fk.ids->len, ==, 1);
    g_assert_cmpuint(g_array_index(fk.ids, uint32_t, 0), ==,
                     KVM_SEV_INIT2_CMD);
    b->ops->free(b);

    /* SEV-ES asked of a platform without it: QEMU's message, no command */
    b = fresh();
    fk.status_flags = 0;
    g_assert_false(b->ops->init(b, true, false, &info, &err));
    g_assert_cmpstr(err->message, ==, "guest policy requires SEV-ES, but "
                    "host SEV-ES support unavailable");
    g_assert_cmpuint(fk.ids->len, ==, 0);
    g_clear_error(&err);
    b->ops->free(b);
}

static void test_errors(void)
{
    SevBackend *b = fresh();
    uint8_t buf[32], out[SEV_MEASURE_BUF_SIZE];
    uint32_t handle = 0;
    GError *err = NULL;

    fk.fail_id = KVM_SEV_LAUNCH_START;
    fk.fail_fw = SEV_RET_POLICY_FAILURE;
    g_assert_false(b->ops->launch_start(b, 0x1, &handle, NULL, NULL, &err));
    g_assert_cmpstr(err->message, ==, "SEV: LAUNCH_START failed: firmware "
                    "error 0x7 (POLICY_FAILURE)");
    g_clear_error(&err);

    /* the ioctl fails before the firmware runs: errno */
    fk.fail_id = KVM_SEV_LAUNCH_UPDATE_DATA;
    fk.fail_fw = 0;
    g_assert_false(b->ops->update_data(b, buf, sizeof(buf), &err));
    g_assert_cmpstr(err->message, ==, "SEV: LAUNCH_UPDATE_DATA failed: "
                    "Invalid argument");
    g_clear_error(&err);

    fk.fail_id = -1;
    fk.measure_len = 32;
    g_assert_false(b->ops->measure(b, out, &err));
    g_assert_cmpstr(err->message, ==, "SEV: LAUNCH_MEASURE returned 32 "
                    "bytes, not 48");
    g_clear_error(&err);
    b->ops->free(b);
}

/* A platform that exports a 4-byte PDH, a 6-byte chain and an 8-byte ID */
static bool caps_sev_in_kvm;
static unsigned caps_calls;

static int caps_ioctl(int fd, unsigned long req, void *arg)
{
    struct sev_issue_cmd *c = arg;

    if (req == KVM_MEMORY_ENCRYPT_OP) {
        g_assert_cmpint(fd, ==, VM_FD);
        g_assert_null(arg);
        errno = ENOTTY;
        return caps_sev_in_kvm ? 0 : -1;
    }
    g_assert_cmpuint(req, ==, SEV_ISSUE_CMD);
    caps_calls++;
    if (c->cmd == SEV_PDH_CERT_EXPORT) {
        struct sev_user_data_pdh_cert_export *p = (void *)(uintptr_t)c->data;
        if (!p->pdh_cert_len) {
            p->pdh_cert_len = 4;
            p->cert_chain_len = 6;
            c->error = SEV_RET_INVALID_LEN;
            errno = EIO;
            return -1;
        }
        memcpy((void *)(uintptr_t)p->pdh_cert_address, "PDH!", 4);
        memcpy((void *)(uintptr_t)p->cert_chain_address, "chain!", 6);
        return 0;
    }
    g_assert_cmpuint(c->cmd, ==, SEV_GET_ID2);
    struct sev_user_data_get_id2 *id = (void *)(uintptr_t)c->data;
    if (!id->length) {
        id->length = 8;
        c->error = SEV_RET_INVALID_LEN;
        errno = EIO;
        return -1;
    }
    memcpy((void *)(uintptr_t)id->address, "cpu0-id!", 8);
    return 0;
}

static void test_capabilities(void)
{
    SevCapabilities caps;
    GError *err = NULL;
    gsize len;

    caps_sev_in_kvm = false;
    g_assert_false(sev_kvm_capabilities(VM_FD, "/dev/null", caps_ioctl,
                                        &caps, &err));
    g_assert_cmpstr(err->message, ==, "SEV is not enabled in KVM");
    g_clear_error(&err);
    g_assert_cmpuint(caps_calls, ==, 0);

    caps_sev_in_kvm = true;
    g_assert_false(sev_kvm_capabilities(VM_FD, "/nonexistent/sev", caps_ioctl,
                                        &caps, &err));
    g_assert_true(g_str_has_prefix(err->message,
                                   "SEV: Failed to open /nonexistent/sev"));
    g_clear_error(&err);

    g_assert_true(sev_kvm_capabilities(VM_FD, "/dev/null", caps_ioctl,
                                       &caps, &err));
    g_assert_cmpuint(caps_calls, ==, 4);    /* each command asked twice */
    g_assert_cmpmem(g_bytes_get_data(caps.pdh, &len), len, "PDH!", 4);
    g_assert_cmpmem(g_bytes_get_data(caps.cert_chain, &len), len,
                    "chain!", 6);
    g_assert_cmpmem(g_bytes_get_data(caps.cpu0_id, &len), len,
                    "cpu0-id!", 8);
    g_assert_cmpuint(caps.reduced_phys_bits, ==, 1);
    sev_capabilities_clear(&caps);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sev-kvm/sequence", test_sequence);
    g_test_add_func("/sev-kvm/init", test_plain_sev_init);
    g_test_add_func("/sev-kvm/errors", test_errors);
    g_test_add_func("/sev-kvm/capabilities", test_capabilities);
    return g_test_run();
}
