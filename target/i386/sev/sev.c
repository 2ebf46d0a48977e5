/*
 * The sev-guest object and the SEV / SEV-ES launch of a guest (see
 * sev.h for the order).  Properties, errors and QMP answers are QEMU's
 * (target/i386/sev.c, qapi/misc-target.json); the firmware is a
 * SevBackend.
 *
 * SEV-ES: the vCPUs' launch registers are set, the VMSAs measured and
 * the vCPU state is then protected: KVM refuses to read or write it, so
 * the machine cannot be reset (QEMU: "cpus are not resettable").
 */
#include "target/i386/sev/sev.h"
#include "target/i386/cpu.h"
#include "target/i386/kvm_i386.h"
#include "hw/boards.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "system/accel.h"
#include "system/kvm.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "linux/kvm-sev-init2.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

/* Guest policy bits (SEV API 3, Table 2) */
#define SEV_POLICY_NODBG    0x1
#define SEV_POLICY_ES       0x4
/* MSR_IA32_CR_PAT (APM vol. 2, A.3) */
#define MSR_PAT             0x277

struct SevGuest {
    char *id;
    MachineState *ms;           /* the machine it launches */
    /* properties */
    uint32_t policy, handle, cbitpos, reduced_phys_bits;
    char *dh_cert_file, *session_file, *sev_device;
    bool kernel_hashes;
    bool sim;                   /* x-sim-firmware=on: test only */
    bool init2;                 /* legacy-vm-type=off: KVM_SEV_INIT2 */
    uint8_t sim_tik[SEV_TIK_SIZE];
    /* launch */
    SevBackend *backend;
    SevPlatformInfo platform;
    SevGuestState state;
    bool es;
    uint32_t ap_reset_eip;      /* SEV-ES reset block */
    const uint8_t *fw;          /* unit 0 image (for the footer table) */
    size_t fw_size;
    bool have_measurement;
    uint8_t measurement[SEV_MEASURE_BUF_SIZE];
};

/* ---- the object ------------------------------------------------------- */

static bool get_u32(QemuOpts *opts, const char *name, uint32_t def,
                    uint32_t *out, GError **errp)
{
    uint64_t v;

    if (!qemu_opt_get_number(opts, name, def, &v, errp)) {
        return false;
    }
    if (v > UINT32_MAX) {
        error_setg(errp, "Parameter '%s' expects uint32_t", name);
        return false;
    }
    *out = v;
    return true;
}

static void sev_guest_free(SevGuest *sev)
{
    if (sev->backend) {
        sev->backend->ops->free(sev->backend);
    }
    g_free(sev->dh_cert_file);
    g_free(sev->session_file);
    g_free(sev->sev_device);
    g_free(sev);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SevGuest, sev_guest_free)

static void sev_guest_free_priv(void *priv)
{
    sev_guest_free(priv);
}

static bool sev_guest_create(UserObject *obj, QemuOpts *opts, GError **errp)
{
    g_autoptr(SevGuest) sev = g_new0(SevGuest, 1);
    const char *tik_file;
    const char *legacy = qemu_opt_get(opts, "legacy-vm-type");

    if (!get_u32(opts, "policy", SEV_POLICY_NODBG, &sev->policy, errp) ||
        !get_u32(opts, "handle", 0, &sev->handle, errp) ||
        !get_u32(opts, "cbitpos", 0, &sev->cbitpos, errp) ||
        !get_u32(opts, "reduced-phys-bits", 0, &sev->reduced_phys_bits,
                 errp) ||
        !qemu_opt_get_bool(opts, "kernel-hashes", false, &sev->kernel_hashes,
                           errp) ||
        !qemu_opt_get_bool(opts, "x-sim-firmware", false, &sev->sim, errp)) {
        return false;
    }
    /*
     * QEMU's OnOffAuto: on and auto (the default) keep the default VM type
     * and KVM_SEV(_ES)_INIT; off creates a KVM_X86_SEV(_ES)_VM and uses
     * KVM_SEV_INIT2, whose VMSAs also carry the x87/SSE state.
     */
    if (legacy && strcmp(legacy, "auto") && strcmp(legacy, "on") &&
        strcmp(legacy, "off")) {
        error_setg(errp, "Parameter 'legacy-vm-type' does not accept value "
                   "'%s'", legacy);
        return false;
    }
    sev->init2 = legacy && !strcmp(legacy, "off");
    sev->dh_cert_file = g_strdup(qemu_opt_get(opts, "dh-cert-file"));
    sev->session_file = g_strdup(qemu_opt_get(opts, "session-file"));
    sev->sev_device = g_strdup(qemu_opt_get(opts, "sev-device"));
    if (!sev->sev_device) {
        sev->sev_device = g_strdup("/dev/sev");
    }
    sev->es = sev->policy & SEV_POLICY_ES;
    tik_file = qemu_opt_get(opts, "x-sim-tik-file");
    if (tik_file) {
        g_autofree char *tik = NULL;
        size_t len;

        if (!sev->sim) {
            error_setg(errp, "sev-guest: x-sim-tik-file needs "
                       "x-sim-firmware=on");
            return false;
        }
        if (!qemu_read_file("TIK file", tik_file, &tik, &len, errp)) {
            return false;
        }
        if (len != SEV_TIK_SIZE) {
            error_setg(errp, "sev-guest: TIK file '%s' has %zu bytes, not %d",
                       tik_file, len, SEV_TIK_SIZE);
            return false;
        }
        memcpy(sev->sim_tik, tik, SEV_TIK_SIZE);
    }
    if (!sev->sim) {
        g_autofree char *why = sev_kvm_host_problem(sev->sev_device, sev->es);
        if (why) {
            error_setg(errp, "SEV not available: %s", why);
            return false;
        }
    }
    sev->id = obj->id;
    obj->priv = g_steal_pointer(&sev);
    return true;
}

/* QEMU lists sev-guest wherever it is built; we only where it can run */
static bool sev_guest_host_supports(void)
{
    g_autofree char *why = sev_kvm_host_problem("/dev/sev", false);
    return !why;
}

static const ObjectTypeInfo sev_guest_info_type = {
    .name = "sev-guest",
    .desc = "AMD SEV/SEV-ES guest (policy=, cbitpos=, reduced-phys-bits=, "
            "dh-cert-file=, session-file=, handle=, sev-device=, "
            "kernel-hashes=)",
    .create = sev_guest_create,
    .host_supports = sev_guest_host_supports,
    .free_priv = sev_guest_free_priv,
};
OBJECT_TYPE_REGISTER(sev_guest_info_type)

/* ---- launch ----------------------------------------------------------- */

static SevGuest *sev_of(MachineState *ms)
{
    return ms->cgs;
}

/* A base64 file (dh-cert-file, session-file) as bytes. */
static GBytes *read_base64_file(const char *what, const char *path,
                                GError **errp)
{
    g_autofree char *buf = NULL;
    g_autofree char *text = NULL;
    size_t len;
    guchar *data;
    gsize n;

    if (!qemu_read_file(what, path, &buf, &len, errp)) {
        return NULL;
    }
    text = g_strndup(buf, len);     /* the file's bytes end without a NUL */
    data = g_base64_decode(g_strstrip(text), &n);
    if (!n) {
        g_free(data);
        error_setg(errp, "SEV: %s '%s' is not base64 data", what, path);
        return NULL;
    }
    return g_bytes_new_take(data, n);
}

static bool sev_start(MachineState *ms, GError **errp);

static SevGuest *sev_find(const char *id, GError **errp)
{
    UserObject *obj = user_object_find(id);

    if (!obj || strcmp(obj->type->name, "sev-guest") != 0) {
        error_setg(errp, "confidential-guest-support: no sev-guest object "
                   "with id '%s'", id);
        return NULL;
    }
    return obj->priv;
}

bool sev_kvm_vm_type(const char *id, unsigned long *type, GError **errp)
{
    SevGuest *sev = sev_find(id, errp);

    if (!sev) {
        return false;
    }
    /* the simulated firmware runs in an ordinary VM whatever it models */
    *type = sev->init2 && !sev->sim
        ? (sev->es ? KVM_X86_SEV_ES_VM : KVM_X86_SEV_VM) : KVM_X86_DEFAULT_VM;
    return true;
}

bool sev_machine_init(MachineState *ms, const char *id, GError **errp)
{
    g_autoptr(GBytes) dh = NULL;
    g_autoptr(GBytes) session = NULL;
    SevGuest *sev = sev_find(id, errp);

    if (!sev) {
        return false;
    }
    if (ms->accel != &kvm_accel_ops) {
        error_setg(errp, "SEV needs the KVM accelerator");
        return false;
    }
    if (sev->backend) {
        error_setg(errp, "sev-guest '%s' is already in use", id);
        return false;
    }
    sev->backend = sev->sim ? sev_sim_backend_new(sev->sim_tik)
                            : sev_kvm_backend_new(ms->kvm->vmfd,
                                                  sev->sev_device, sev->es,
                                                  errp);
    if (!sev->backend ||
        !sev->backend->ops->init(sev->backend, sev->es, sev->init2,
                                 &sev->platform, errp)) {
        return false;
    }
    if (sev->cbitpos != sev->platform.cbitpos) {
        error_setg(errp, "cbitpos check failed, host '%u' requested '%u'",
                   sev->platform.cbitpos, sev->cbitpos);
        return false;
    }
    if (sev->reduced_phys_bits < 1 ||
        sev->reduced_phys_bits > sev->platform.reduced_phys_bits) {
        error_setg(errp, "reduced_phys_bits check failed, it should be in "
                   "the range of 1 to %u, requested '%u'",
                   sev->platform.reduced_phys_bits, sev->reduced_phys_bits);
        return false;
    }
    if (sev->dh_cert_file &&
        !(dh = read_base64_file("dh-cert-file", sev->dh_cert_file, errp))) {
        return false;
    }
    if (sev->session_file &&
        !(session = read_base64_file("session-file", sev->session_file,
                                     errp))) {
        return false;
    }
    if (!sev->backend->ops->launch_start(sev->backend, sev->policy,
                                         &sev->handle, dh, session, errp)) {
        return false;
    }
    sev->state = SEV_GSTATE_LUPDATE;
    sev->ms = ms;
    /* Guest RAM is ciphertext to us: the SEV migration commands
     * (SEND_START...) are not implemented.  QEMU's wording. */
    migrate_add_blocker(ms, "SEV: Migration is not implemented");
    ms->cgs = sev;
    ms->cgs_start = sev_start;
    return true;
}

bool sev_ram_added(MachineState *ms, void *hva, uint64_t size, GError **errp)
{
    SevGuest *sev = sev_of(ms);

    return !sev || sev->backend->ops->reg_region(sev->backend, hva, size,
                                                 errp);
}

bool sev_firmware_added(MachineState *ms, uint8_t *fw, size_t size,
                        GError **errp)
{
    SevGuest *sev = sev_of(ms);
    g_autoptr(OvmfTable) table = NULL;

    if (!sev) {
        return true;
    }
    table = ovmf_table_parse(fw, size, errp);
    if (!table) {
        g_prefix_error(errp, "SEV: firmware: ");
        return false;
    }
    if (sev->es &&
        !ovmf_sev_es_reset_addr(table, &sev->ap_reset_eip, errp)) {
        g_prefix_error(errp, "SEV-ES: firmware: ");
        return false;
    }
    sev->fw = fw;
    sev->fw_size = size;
    /* the whole image, as QEMU's sev_encrypt_flash */
    return sev->backend->ops->update_data(sev->backend, fw, size, errp);
}

bool sev_kernel_added(MachineState *ms, const void *kernel, size_t kernel_size,
                      const void *initrd, size_t initrd_size,
                      const char *cmdline, GError **errp)
{
    SevGuest *sev = sev_of(ms);
    g_autoptr(OvmfTable) table = NULL;
    SevKernelHashes h;
    uint32_t base, size;
    uint8_t *area;

    if (!sev || !sev->kernel_hashes) {
        return true;
    }
    table = ovmf_table_parse(sev->fw, sev->fw_size, errp);
    if (!table || !ovmf_sev_hashes_area(table, &base, &size, errp)) {
        g_prefix_error(errp, "SEV: ");
        return false;
    }
    area = machine_gpa_to_hva(ms, base, SEV_PADDED_HASH_TABLE_SIZE);
    if (!area) {
        error_setg(errp, "SEV: the firmware's hashes area 0x%x is not in "
                   "guest RAM", base);
        return false;
    }
    sev_kernel_hashes_from_data(&h, kernel, kernel_size, initrd, initrd_size,
                                cmdline);
    sev_hashes_table_build(&h, area);
    return sev->backend->ops->update_data(sev->backend, area,
                                          SEV_PADDED_HASH_TABLE_SIZE, errp);
}

void sev_cpuid_adjust(MachineState *ms, struct kvm_cpuid2 **cpuid)
{
    SevGuest *sev = sev_of(ms);
    /* Fn8000_001F (APM vol. 3, E.4.17): EAX SEV/SEV-ES, EBX C-bit and
     * reduced physical address bits; what QEMU gives the guest */
    struct kvm_cpuid_entry2 e = { .function = 0x8000001f };

    if (!sev) {
        return;
    }
    e.eax = 0x2 | (sev->es ? 0x8 : 0);
    e.ebx = (sev->cbitpos & 0x3f) | (sev->reduced_phys_bits & 0x3f) << 6;
    x86_cpuid_set_entry(cpuid, &e);
}

uint32_t sev_ap_reset_eip(MachineState *ms)
{
    SevGuest *sev = sev_of(ms);

    return sev && sev->es ? sev->ap_reset_eip : 0;
}

static bool vcpu_get(CPUState *cs, unsigned long req, void *arg,
                     const char *name, GError **errp)
{
    if (ioctl(cs->kvm_fd, req, arg) < 0) {
        error_setg_errno(errp, errno, "vCPU %d: %s failed", cs->cpu_index,
                         name);
        return false;
    }
    return true;
}

/*
 * The VMSA KVM builds for this vCPU at LAUNCH_UPDATE_VMSA, from its
 * registers as KVM holds them (sev_es_sync_vmsa: the VMCB save area,
 * GPRs, XCR0, DR6/DR7, PAT).
 */
/* The vCPU's x87/SSE state as sev_es_sync_vmsa() copies it (INIT2). */
static bool vcpu_fpu(CPUState *cs, SevVmsaRegs *r, GError **errp)
{
    g_autofree struct kvm_xsave *xs = g_new0(struct kvm_xsave, 1);
    const uint8_t *a = (const uint8_t *)xs->region;

    if (X86_CPU(cs)->reset_xsave) {
        if (!vcpu_get(cs, KVM_GET_XSAVE, xs, "KVM_GET_XSAVE", errp)) {
            return false;
        }
    } else {
        struct kvm_fpu fpu;
        uint8_t *w = (uint8_t *)xs->region;

        if (!vcpu_get(cs, KVM_GET_FPU, &fpu, "KVM_GET_FPU", errp)) {
            return false;
        }
        stw_le_p(w + 0, fpu.fcw);
        stw_le_p(w + 2, fpu.fsw);
        w[4] = fpu.ftwx;
        stw_le_p(w + 6, fpu.last_opcode);
        stq_le_p(w + 8, fpu.last_ip);
        stq_le_p(w + 16, fpu.last_dp);
        stl_le_p(w + 24, fpu.mxcsr);
        for (unsigned i = 0; i < 8; i++) {
            memcpy(w + 32 + i * 16, fpu.fpr[i], 16);
        }
        memcpy(w + 160, fpu.xmm, 256);
    }
    r->x87_fcw = lduw_le_p(a + 0);
    r->x87_fsw = lduw_le_p(a + 2);
    r->x87_ftw = a[4];
    r->x87_fop = lduw_le_p(a + 6);
    r->x87_rip = ldq_le_p(a + 8);
    r->x87_dp = ldq_le_p(a + 16);
    r->mxcsr = ldl_le_p(a + 24);
    for (unsigned i = 0; i < 8; i++) {
        memcpy(r->fpreg_x87 + i * 8, a + 32 + i * 16, 8);
        memcpy(r->fpreg_x87 + 64 + i * 2, a + 32 + i * 16 + 8, 2);
    }
    memcpy(r->fpreg_xmm, a + 160, sizeof(r->fpreg_xmm));
    return true;
}

static bool vcpu_vmsa(CPUState *cs, bool init2, uint8_t page[SEV_VMSA_SIZE],
                      GError **errp)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_debugregs dbg;
    struct kvm_xcrs xcrs = { 0 };
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e;
    } msr = { .hdr.nmsrs = 1, .e.index = MSR_PAT };
    SevVmsaRegs r = { 0 };

    if (!vcpu_get(cs, KVM_GET_REGS, &regs, "KVM_GET_REGS", errp) ||
        !vcpu_get(cs, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", errp) ||
        !vcpu_get(cs, KVM_GET_DEBUGREGS, &dbg, "KVM_GET_DEBUGREGS", errp) ||
        !vcpu_get(cs, KVM_GET_MSRS, &msr, "KVM_GET_MSRS", errp)) {
        return false;
    }
    if (X86_CPU(cs)->has_xcrs &&
        !vcpu_get(cs, KVM_GET_XCRS, &xcrs, "KVM_GET_XCRS", errp)) {
        return false;
    }
    sev_vmsa_regs_from_kvm(&r, &regs, &sregs);
    r.dr6 = dbg.dr6;
    r.dr7 = dbg.dr7;
    r.g_pat = msr.e.data;
    r.xcr0 = 1;         /* x87: the reset value when KVM has no XCRs */
    for (unsigned i = 0; i < xcrs.nr_xcrs; i++) {
        if (xcrs.xcrs[i].xcr == 0) {
            r.xcr0 = xcrs.xcrs[i].value;
        }
    }
    /*
     * x87/SSE: with KVM_SEV_ES_INIT the VM has the default type and
     * sev_es_sync_vmsa() skips the FPU ("to avoid breaking older
     * measurements"): zero.  With KVM_SEV_INIT2 it copies them from the
     * vCPU's XSAVE image (FXSAVE layout, SDM vol. 1, Table 10-2), the x87
     * registers as 8 x 8 low bytes, then 8 x 2 high bytes.
     */
    if (init2 && !vcpu_fpu(cs, &r, errp)) {
        return false;
    }
    sev_vmsa_build(&r, page);
    return true;
}

bool sev_machine_done(MachineState *ms, GError **errp)
{
    SevGuest *sev = sev_of(ms);
    g_autofree uint8_t *pages = NULL;

    if (!sev) {
        return true;
    }
    g_assert(sev->fw);     /* pc_init refuses SEV without firmware */
    if (sev->es) {
        /* the launch registers, set now: they are protected afterwards */
        pages = g_new0(uint8_t, (size_t)ms->nr_cpus * SEV_VMSA_SIZE);
        for (unsigned i = 0; i < ms->nr_cpus; i++) {
            if (!kvm_arch_reset_vcpu(ms->cpus[i], errp) ||
                !vcpu_vmsa(ms->cpus[i], sev->init2,
                           pages + (size_t)i * SEV_VMSA_SIZE, errp)) {
                return false;
            }
        }
        if (!sev->backend->ops->update_vmsa(sev->backend, pages, ms->nr_cpus,
                                            errp)) {
            return false;
        }
        ms->cpu_state_protected = true;
    }
    if (!sev->backend->ops->measure(sev->backend, sev->measurement, errp)) {
        return false;
    }
    sev->have_measurement = true;
    sev->state = SEV_GSTATE_LSECRET;
    return true;
}

/* MachineState.cgs_start: the first time the vCPUs would run. */
static bool sev_start(MachineState *ms, GError **errp)
{
    SevGuest *sev = sev_of(ms);

    if (sev->state == SEV_GSTATE_LSECRET) {
        if (!sev->backend->ops->finish(sev->backend, errp)) {
            return false;
        }
        sev->state = SEV_GSTATE_RUNNING;
    }
    if (!sev->backend->ops->can_run) {
        error_setg(errp, "SEV: the simulated firmware finished the launch; "
                   "the guest cannot run without SEV hardware");
        return false;
    }
    return true;
}

/* ---- QMP ---- */

SevGuest *sev_guest_of(MachineState *ms, GError **errp)
{
    if (!ms->cgs) {
        error_setg(errp, "SEV feature is not available");
        return NULL;
    }
    return ms->cgs;
}

void sev_guest_info(SevGuest *sev, SevGuestInfo *info)
{
    *info = (SevGuestInfo){
        .api_major = sev->platform.api_major,
        .api_minor = sev->platform.api_minor,
        .build = sev->platform.build,
        .policy = sev->policy, .handle = sev->handle, .state = sev->state,
    };
}

char *sev_guest_measurement(SevGuest *sev)
{
    return sev->have_measurement
        ? g_base64_encode(sev->measurement, sizeof(sev->measurement)) : NULL;
}

/* Strict base64 (g_base64_decode skips what it does not know). */
static bool is_base64(const char *s)
{
    size_t len = strlen(s);

    return len && len % 4 == 0 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789+/") >= len - 2 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789+/=") == len;
}

static GBytes *decode_b64(const char *text, const char *what, GError **errp)
{
    gsize n = 0;
    guchar *d = text && is_base64(text) ? g_base64_decode(text, &n) : NULL;

    if (!n) {
        g_free(d);
        error_setg(errp, "SEV: Failed to decode %s", what);
        return NULL;
    }
    return g_bytes_new_take(d, n);
}

bool sev_inject_launch_secret(SevGuest *sev, const char *header_b64,
                              const char *secret_b64, int64_t gpa,
                              GError **errp)
{
    g_autoptr(GBytes) hdr = NULL;
    g_autoptr(GBytes) data = NULL;
    void *hva;
    gsize len;

    if (sev->state != SEV_GSTATE_LSECRET) {
        error_setg(errp, "SEV: Not in correct state");
        return false;
    }
    if (!(hdr = decode_b64(header_b64, "header", errp)) ||
        !(data = decode_b64(secret_b64, "data", errp))) {
        return false;
    }
    if (gpa < 0) {
        g_autoptr(OvmfTable) table = ovmf_table_parse(sev->fw, sev->fw_size,
                                                      NULL);
        uint32_t base, size;

        if (!table || !ovmf_sev_secret_area(table, &base, &size, NULL) ||
            !base) {
            error_setg(errp, "SEV: no secret area found in OVMF, gpa must "
                       "be specified.");
            return false;
        }
        gpa = base;
    }
    g_bytes_get_data(data, &len);
    hva = machine_gpa_to_hva(sev->ms, gpa, len);
    if (!hva) {
        error_setg(errp, "SEV: Failed to calculate guest address");
        return false;
    }
    return sev->backend->ops->secret(sev->backend, hdr, data, hva, errp);
}

char *sev_guest_attestation_report(SevGuest *sev, const char *mnonce_b64,
                                   GError **errp)
{
    g_autoptr(GBytes) mnonce = NULL;
    g_autoptr(GBytes) report = NULL;
    const guchar *d;
    gsize len;

    if (!sev->backend->ops->attestation) {
        error_setg(errp, "SEV: the %s firmware cannot make an attestation "
                   "report", sev->backend->ops->name);
        return NULL;
    }
    mnonce = decode_b64(mnonce_b64, "mnonce", errp);
    if (!mnonce) {
        return NULL;
    }
    g_bytes_get_data(mnonce, &len);
    if (len != SEV_MNONCE_SIZE) {
        error_setg(errp, "SEV: mnonce must be %d bytes (got %zu)",
                   SEV_MNONCE_SIZE, (size_t)len);
        return NULL;
    }
    report = sev->backend->ops->attestation(sev->backend,
                                            g_bytes_get_data(mnonce, NULL),
                                            errp);
    if (!report) {
        return NULL;
    }
    d = g_bytes_get_data(report, &len);
    return g_base64_encode(d, len);
}
