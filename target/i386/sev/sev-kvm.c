/*
 * The SEV firmware through KVM (Documentation/virt/kvm/x86/amd-memory-
 * encryption.rst): guest commands are KVM_MEMORY_ENCRYPT_OP on the VM fd
 * with struct kvm_sev_cmd {id, data, error, sev_fd}; platform commands
 * are SEV_ISSUE_CMD on the firmware device (/dev/sev).  The firmware's
 * status comes back in kvm_sev_cmd.error / sev_issue_cmd.error.
 *
 * This path needs an AMD host with SEV(-ES) enabled; on others the
 * constructor says what is missing.  Its sequence is the one the
 * simulated firmware checks (sev-sim.c), and the commands are those
 * QEMU's target/i386/sev.c issues.
 */
#include "target/i386/sev/sev-backend.h"
#include "qemu/error-report.h"
#include "linux/kvm-sev-init2.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/psp-sev.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* CPUID Fn8000_001F EAX (AMD APM vol. 3, E.4.17): SEV, SEV-ES */
#define CPUID_SEV_BIT       (1u << 1)
#define CPUID_SEV_ES_BIT    (1u << 3)

typedef struct SevKvm {
    SevBackend parent;
    int vm_fd, sev_fd;
    SevIoctlFn ioctl_fn;        /* ioctl(2), or a test's fake kernel */
    bool own_sev_fd;
} SevKvm;

static int sys_ioctl(int fd, unsigned long req, void *arg)
{
    return ioctl(fd, req, arg);
}

static SevKvm *kvm_of(SevBackend *b)
{
    return (SevKvm *)b;
}

static bool host_cpuid_sev(uint32_t *eax, uint32_t *ebx)
{
    uint32_t a, b, c, d;

    if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x8000001f) {
        *eax = *ebx = 0;
        return false;
    }
    __cpuid(0x8000001f, *eax, *ebx, c, d);
    return true;
}

static bool module_param_is_y(const char *name)
{
    g_autofree char *path = g_strdup_printf("/sys/module/kvm_amd/parameters/%s",
                                            name);
    g_autofree char *val = NULL;

    return g_file_get_contents(path, &val, NULL, NULL) &&
           (val[0] == 'Y' || val[0] == '1');
}

char *sev_kvm_host_problem(const char *sev_device, bool es)
{
    g_autoptr(GPtrArray) missing = g_ptr_array_new_with_free_func(g_free);
    uint32_t eax, ebx;
    const char *feat = es ? "SEV-ES" : "SEV";
    uint32_t bit = es ? CPUID_SEV_ES_BIT : CPUID_SEV_BIT;
    const char *param = es ? "sev_es" : "sev";

    host_cpuid_sev(&eax, &ebx);
    if (!(eax & bit)) {
        g_ptr_array_add(missing, g_strdup_printf(
            "the host CPU does not report %s (CPUID 0x8000001F EAX bit %d)",
            feat, es ? 3 : 1));
    }
    if (!module_param_is_y(param)) {
        g_ptr_array_add(missing, g_strdup_printf(
            "kvm_amd does not enable it (/sys/module/kvm_amd/parameters/%s "
            "is not Y)", param));
    }
    if (access(sev_device, R_OK | W_OK) < 0) {
        g_ptr_array_add(missing, g_strdup_printf("%s: %s", sev_device,
                                                 g_strerror(errno)));
    }
    if (!missing->len) {
        return NULL;
    }
    g_ptr_array_add(missing, NULL);
    return g_strjoinv("; ", (char **)missing->pdata);
}

/* One guest command; the firmware's status named in the error. */
static bool sev_ioctl(SevKvm *s, int cmd, const char *name, void *data,
                      GError **errp)
{
    struct kvm_sev_cmd c = {
        .id = cmd, .data = (uintptr_t)data, .sev_fd = s->sev_fd,
    };
    int r;

    do {
        r = s->ioctl_fn(s->vm_fd, KVM_MEMORY_ENCRYPT_OP, &c);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (c.error) {
            error_setg(errp, "SEV: %s failed: firmware error 0x%x (%s)",
                       name, c.error, sev_fw_error_name(c.error));
        } else {
            error_setg_errno(errp, errno, "SEV: %s failed", name);
        }
        return false;
    }
    return true;
}
#define SEV_IOCTL(s, cmd, data, errp) sev_ioctl(s, KVM_SEV_##cmd, #cmd, data, errp)

static bool kvm_init(SevBackend *b, bool es, bool init2, SevPlatformInfo *info,
                     GError **errp)
{
    SevKvm *s = kvm_of(b);
    struct sev_user_data_status st = { 0 };
    struct sev_issue_cmd cmd = {
        .cmd = SEV_PLATFORM_STATUS, .data = (uintptr_t)&st,
    };
    uint32_t eax, ebx;

    if (s->ioctl_fn(s->sev_fd, SEV_ISSUE_CMD, &cmd) < 0) {
        error_setg(errp, "SEV: PLATFORM_STATUS failed: %s (firmware error "
                   "0x%x, %s)", g_strerror(errno), cmd.error,
                   sev_fw_error_name(cmd.error));
        return false;
    }
    host_cpuid_sev(&eax, &ebx);
    *info = (SevPlatformInfo){
        .api_major = st.api_major, .api_minor = st.api_minor,
        .build = st.build, .es = st.flags & SEV_STATUS_FLAGS_CONFIG_ES,
        .cbitpos = ebx & 0x3f, .reduced_phys_bits = (ebx >> 6) & 0x3f,
    };
    if (es && !info->es) {
        error_setg(errp, "guest policy requires SEV-ES, but host SEV-ES "
                   "support unavailable");
        return false;
    }
    if (init2) {
        /* no VMSA features, KVM's default GHCB version */
        struct kvm_sev_init2_params p = { 0 };
        return sev_ioctl(s, KVM_SEV_INIT2_CMD, "INIT2", &p, errp);
    }
    return es ? SEV_IOCTL(s, ES_INIT, NULL, errp)
              : SEV_IOCTL(s, INIT, NULL, errp);
}

static bool kvm_launch_start(SevBackend *b, uint32_t policy, uint32_t *handle,
                             GBytes *dh_cert, GBytes *session, GError **errp)
{
    struct kvm_sev_launch_start start = { .handle = *handle, .policy = policy };
    gsize len;

    if (dh_cert) {
        start.dh_uaddr = (uintptr_t)g_bytes_get_data(dh_cert, &len);
        start.dh_len = len;
    }
    if (session) {
        start.session_uaddr = (uintptr_t)g_bytes_get_data(session, &len);
        start.session_len = len;
    }
    if (!SEV_IOCTL(kvm_of(b), LAUNCH_START, &start, errp)) {
        return false;
    }
    *handle = start.handle;
    return true;
}

static bool kvm_reg_region(SevBackend *b, void *hva, uint64_t size,
                           GError **errp)
{
    struct kvm_enc_region r = { .addr = (uintptr_t)hva, .size = size };
    SevKvm *s = kvm_of(b);

    if (s->ioctl_fn(s->vm_fd, KVM_MEMORY_ENCRYPT_REG_REGION, &r) < 0) {
        error_setg_errno(errp, errno, "SEV: KVM_MEMORY_ENCRYPT_REG_REGION "
                         "of %" G_GUINT64_FORMAT " bytes failed", size);
        return false;
    }
    return true;
}

static bool kvm_update_data(SevBackend *b, void *hva, size_t len,
                            GError **errp)
{
    struct kvm_sev_launch_update_data u = { .uaddr = (uintptr_t)hva,
                                            .len = len };

    return SEV_IOCTL(kvm_of(b), LAUNCH_UPDATE_DATA, &u, errp);
}

static bool kvm_update_vmsa(SevBackend *b, const uint8_t *pages, unsigned nr,
                            GError **errp)
{
    /* KVM syncs and encrypts every vCPU's VMSA itself (data unused) */
    return SEV_IOCTL(kvm_of(b), LAUNCH_UPDATE_VMSA, NULL, errp);
}

static bool kvm_measure(SevBackend *b, uint8_t out[SEV_MEASURE_BUF_SIZE],
                        GError **errp)
{
    struct kvm_sev_launch_measure m = { .uaddr = (uintptr_t)out,
                                        .len = SEV_MEASURE_BUF_SIZE };

    if (!SEV_IOCTL(kvm_of(b), LAUNCH_MEASURE, &m, errp)) {
        return false;
    }
    if (m.len != SEV_MEASURE_BUF_SIZE) {
        error_setg(errp, "SEV: LAUNCH_MEASURE returned %u bytes, not %d",
                   m.len, SEV_MEASURE_BUF_SIZE);
        return false;
    }
    return true;
}

static bool kvm_secret(SevBackend *b, GBytes *header, GBytes *data,
                       void *guest_hva, GError **errp)
{
    struct kvm_sev_launch_secret sec = { 0 };
    gsize hlen, len;

    sec.hdr_uaddr = (uintptr_t)g_bytes_get_data(header, &hlen);
    sec.hdr_len = hlen;
    sec.trans_uaddr = (uintptr_t)g_bytes_get_data(data, &len);
    sec.trans_len = len;
    sec.guest_uaddr = (uintptr_t)guest_hva;
    sec.guest_len = len;
    return SEV_IOCTL(kvm_of(b), LAUNCH_SECRET, &sec, errp);
}

static bool kvm_finish(SevBackend *b, GError **errp)
{
    return SEV_IOCTL(kvm_of(b), LAUNCH_FINISH, NULL, errp);
}

static GBytes *kvm_attestation(SevBackend *b,
                               const uint8_t mnonce[SEV_MNONCE_SIZE],
                               GError **errp)
{
    SevKvm *s = kvm_of(b);
    struct kvm_sev_attestation_report r = { 0 };
    struct kvm_sev_cmd c = {
        .id = KVM_SEV_GET_ATTESTATION_REPORT, .data = (uintptr_t)&r,
        .sev_fd = s->sev_fd,
    };
    g_autofree uint8_t *buf = NULL;

    /* asked with len 0 the firmware says how long the report is */
    memcpy(r.mnonce, mnonce, SEV_MNONCE_SIZE);
    if (s->ioctl_fn(s->vm_fd, KVM_MEMORY_ENCRYPT_OP, &c) < 0 &&
        c.error != SEV_RET_INVALID_LEN) {
        error_setg(errp, "SEV: Failed to query the attestation report "
                   "length: firmware error 0x%x (%s)", c.error,
                   sev_fw_error_name(c.error));
        return NULL;
    }
    if (!r.len) {
        error_setg(errp, "SEV: the attestation report is empty");
        return NULL;
    }
    buf = g_malloc0(r.len);
    r.uaddr = (uintptr_t)buf;
    if (!sev_ioctl(s, KVM_SEV_GET_ATTESTATION_REPORT, "GET_ATTESTATION_REPORT",
                   &r, errp)) {
        return NULL;
    }
    return g_bytes_new(buf, r.len);
}

static void kvm_free(SevBackend *b)
{
    SevKvm *s = kvm_of(b);

    if (s->own_sev_fd) {
        close(s->sev_fd);
    }
    g_free(s);
}

static const SevBackendOps sev_kvm_ops = {
    .name = "kvm",
    .init = kvm_init,
    .launch_start = kvm_launch_start,
    .reg_region = kvm_reg_region,
    .update_data = kvm_update_data,
    .update_vmsa = kvm_update_vmsa,
    .measure = kvm_measure,
    .secret = kvm_secret,
    .finish = kvm_finish,
    .attestation = kvm_attestation,
    .can_run = true,
    .free = kvm_free,
};

SevBackend *sev_kvm_backend_new(int vm_fd, const char *sev_device, bool es,
                                GError **errp)
{
    g_autofree char *why = sev_kvm_host_problem(sev_device, es);
    SevKvm *s;
    int fd;

    if (why) {
        error_setg(errp, "SEV not available: %s", why);
        return NULL;
    }
    fd = open(sev_device, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "SEV: Failed to open %s", sev_device);
        return NULL;
    }
    s = kvm_of(sev_kvm_backend_new_fake(vm_fd, fd, sys_ioctl));
    s->own_sev_fd = true;
    return &s->parent;
}

SevBackend *sev_kvm_backend_new_fake(int vm_fd, int sev_fd, SevIoctlFn fn)
{
    SevKvm *s = g_new0(SevKvm, 1);

    s->parent.ops = &sev_kvm_ops;
    s->vm_fd = vm_fd;
    s->sev_fd = sev_fd;
    s->ioctl_fn = fn;
    return &s->parent;
}

/* ---- query-sev-capabilities ------------------------------------------- */

/*
 * A platform command whose output length the firmware tells first: asked
 * with zero lengths it fails with INVALID_LENGTH and fills them in (SEV
 * API 5.10 PDH_CERT_EXPORT, 5.12 GET_ID).
 */
static bool platform_cmd(int sev_fd, SevIoctlFn fn, int id, void *data,
                         bool probe, const char *what, GError **errp)
{
    struct sev_issue_cmd cmd = { .cmd = id, .data = (uintptr_t)data };

    if (fn(sev_fd, SEV_ISSUE_CMD, &cmd) < 0 &&
        !(probe && cmd.error == SEV_RET_INVALID_LEN)) {
        error_setg(errp, "SEV: Failed to %s: %s (firmware error 0x%x, %s)",
                   what, g_strerror(errno), cmd.error,
                   sev_fw_error_name(cmd.error));
        return false;
    }
    return true;
}

bool sev_kvm_capabilities(int vm_fd, const char *sev_device, SevIoctlFn fn,
                          SevCapabilities *caps, GError **errp)
{
    struct sev_user_data_pdh_cert_export pdh = { 0 };
    struct sev_user_data_get_id2 id = { 0 };
    g_autofree uint8_t *pdh_buf = NULL;
    g_autofree uint8_t *chain_buf = NULL;
    g_autofree uint8_t *id_buf = NULL;
    uint32_t eax, ebx;
    int fd;
    bool ok;

    memset(caps, 0, sizeof(*caps));
    if (!fn) {
        fn = sys_ioctl;
    }
    if (fn(vm_fd, KVM_MEMORY_ENCRYPT_OP, NULL) < 0) {
        error_setg(errp, "SEV is not enabled in KVM");
        return false;
    }
    fd = open(sev_device, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "SEV: Failed to open %s", sev_device);
        return false;
    }
    ok = platform_cmd(fd, fn, SEV_PDH_CERT_EXPORT, &pdh, true,
                      "export PDH cert", errp);
    if (ok) {
        pdh_buf = g_malloc0(pdh.pdh_cert_len);
        chain_buf = g_malloc0(pdh.cert_chain_len);
        pdh.pdh_cert_address = (uintptr_t)pdh_buf;
        pdh.cert_chain_address = (uintptr_t)chain_buf;
        ok = platform_cmd(fd, fn, SEV_PDH_CERT_EXPORT, &pdh, false,
                          "export PDH cert", errp);
    }
    ok = ok && platform_cmd(fd, fn, SEV_GET_ID2, &id, true, "get ID", errp);
    if (ok) {
        id_buf = g_malloc0(id.length);
        id.address = (uintptr_t)id_buf;
        ok = platform_cmd(fd, fn, SEV_GET_ID2, &id, false, "get ID", errp);
    }
    close(fd);
    if (!ok) {
        return false;
    }
    host_cpuid_sev(&eax, &ebx);
    caps->pdh = g_bytes_new(pdh_buf, pdh.pdh_cert_len);
    caps->cert_chain = g_bytes_new(chain_buf, pdh.cert_chain_len);
    caps->cpu0_id = g_bytes_new(id_buf, id.length);
    caps->cbitpos = ebx & 0x3f;
    caps->reduced_phys_bits = 1;
    return true;
}

void sev_capabilities_clear(SevCapabilities *caps)
{
    g_clear_pointer(&caps->pdh, g_bytes_unref);
    g_clear_pointer(&caps->cert_chain, g_bytes_unref);
    g_clear_pointer(&caps->cpu0_id, g_bytes_unref);
}
