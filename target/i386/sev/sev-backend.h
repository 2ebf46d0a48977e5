/*
 * The SEV firmware as the VMM drives it: one interface, two
 * implementations.
 *
 *   sev-kvm.c  the AMD Secure Processor through KVM_MEMORY_ENCRYPT_OP on
 *              the VM fd and SEV_ISSUE_CMD on /dev/sev (real hardware)
 *   sev-sim.c  a simulated firmware: the guest state machine and the
 *              measurement, no encryption (tests, hosts without SEV)
 *
 * The commands are those of the SEV API (AMD pub. 55766, chapter 6
 * "Guest Management"), in the order QEMU issues them.  Each returns false
 * with a one-line error naming the command and, for a firmware refusal,
 * the firmware's status code by name.
 */
#ifndef TARGET_I386_SEV_BACKEND_H
#define TARGET_I386_SEV_BACKEND_H

#include "target/i386/sev/sev-measure.h"

/* Guest states (SEV API 5.2 "Guest State Machine"; QEMU's SevState) */
typedef enum SevGuestState {
    SEV_GSTATE_UNINIT,
    SEV_GSTATE_LUPDATE,     /* QMP "launch-update" */
    SEV_GSTATE_LSECRET,     /* QMP "launch-secret" */
    SEV_GSTATE_RUNNING,
} SevGuestState;

const char *sev_state_name(SevGuestState s);     /* QMP's SevState */
/* Firmware status code name (psp-sev.h enum sev_ret_code), "0x%x" else */
const char *sev_fw_error_name(int code);

/* PLATFORM_STATUS (SEV API 5.5) and the platform's memory encryption */
typedef struct SevPlatformInfo {
    uint8_t api_major, api_minor, build;
    bool es;                    /* SEV-ES configured (flags CONFIG_ES) */
    uint32_t cbitpos;           /* CPUID 0x8000001F EBX[5:0] */
    uint32_t reduced_phys_bits; /* CPUID 0x8000001F EBX[11:6] */
} SevPlatformInfo;

typedef struct SevBackend SevBackend;

typedef struct SevBackendOps {
    const char *name;
    /*
     * PLATFORM_STATUS, then KVM_SEV_INIT or KVM_SEV_ES_INIT for the VM, or
     * KVM_SEV_INIT2 (init2: the VM was created with KVM_X86_SEV(_ES)_VM)
     */
    bool (*init)(SevBackend *b, bool es, bool init2, SevPlatformInfo *info,
                 GError **errp);
    /* LAUNCH_START (6.2): dh_cert/session may be NULL; *handle in/out */
    bool (*launch_start)(SevBackend *b, uint32_t policy, uint32_t *handle,
                         GBytes *dh_cert, GBytes *session, GError **errp);
    /* KVM_MEMORY_ENCRYPT_REG_REGION: pin guest memory */
    bool (*reg_region)(SevBackend *b, void *hva, uint64_t size,
                       GError **errp);
    /* LAUNCH_UPDATE_DATA (6.3): encrypt in place, extend GCTX.LD */
    bool (*update_data)(SevBackend *b, void *hva, size_t len, GError **errp);
    /*
     * LAUNCH_UPDATE_VMSA (6.4) for every vCPU, in vCPU order.  pages are
     * the VMSAs as the VMM computes them from the vCPU registers; KVM
     * builds its own from the same registers (sev_es_sync_vmsa) and does
     * not read them; the simulated firmware measures them.
     */
    bool (*update_vmsa)(SevBackend *b, const uint8_t *pages, unsigned nr,
                        GError **errp);
    /* LAUNCH_MEASURE (6.5): MEASURE || MNONCE */
    bool (*measure)(SevBackend *b, uint8_t out[SEV_MEASURE_BUF_SIZE],
                    GError **errp);
    /* LAUNCH_SECRET (6.6): the packet into guest memory at guest_hva */
    bool (*secret)(SevBackend *b, GBytes *header, GBytes *data,
                   void *guest_hva, GError **errp);
    /* LAUNCH_FINISH (6.7) */
    bool (*finish)(SevBackend *b, GError **errp);
    /*
     * ATTESTATION (6.8): the launch digest and mnonce signed by the
     * platform's PEK.  NULL: the backend cannot make one (the simulated
     * firmware has no signing key).
     */
    GBytes *(*attestation)(SevBackend *b, const uint8_t mnonce[SEV_MNONCE_SIZE],
                           GError **errp);
    /* The guest can run after LAUNCH_FINISH (false: simulation only). */
    bool can_run;
    void (*free)(SevBackend *b);
} SevBackendOps;

struct SevBackend {
    const SevBackendOps *ops;
};

/*
 * The KVM backend on VM fd vm_fd with the firmware device sev_device.
 * On a host without SEV: "SEV not available: ..." naming every missing
 * piece (CPU support, kvm_amd parameter, the device).
 */
SevBackend *sev_kvm_backend_new(int vm_fd, const char *sev_device,
                                bool es, GError **errp);
/*
 * The KVM backend over an ioctl of the caller's (tests: a fake kernel
 * that checks each command's structure); no host checks, sev_fd is
 * not closed.
 */
typedef int (*SevIoctlFn)(int fd, unsigned long req, void *arg);
SevBackend *sev_kvm_backend_new_fake(int vm_fd, int sev_fd, SevIoctlFn fn);
/*
 * query-sev-capabilities (QEMU's sev_get_capabilities): the platform's
 * PDH and certificate chain (PDH_CERT_EXPORT), the first CPU's ID
 * (GET_ID2), the C-bit; reduced-phys-bits is 1, as QEMU 7.2 reports.
 * vm_fd is probed with a NULL KVM_MEMORY_ENCRYPT_OP first ("SEV is not
 * enabled in KVM" when KVM has no SEV).
 */
typedef struct SevCapabilities {
    GBytes *pdh, *cert_chain, *cpu0_id;
    uint32_t cbitpos, reduced_phys_bits;
} SevCapabilities;
bool sev_kvm_capabilities(int vm_fd, const char *sev_device, SevIoctlFn fn,
                          SevCapabilities *caps, GError **errp);
void sev_capabilities_clear(SevCapabilities *caps);
/* Why this host cannot run SEV(-ES) guests, or NULL if it can. */
char *sev_kvm_host_problem(const char *sev_device, bool es);

/*
 * The simulated firmware (test only).  tik: GCTX.TIK, which a real PSP
 * unwraps from the session blob.  Platform: API 1.55, build 21, SEV-ES
 * configured, C-bit 51, 1 reduced physical address bit (values an EPYC
 * Milan reports); not a claim about any real part.
 */
SevBackend *sev_sim_backend_new(const uint8_t tik[SEV_TIK_SIZE]);
/* Simulated platform values, for tests that predict the measurement. */
#define SEV_SIM_API_MAJOR       1
#define SEV_SIM_API_MINOR       55
#define SEV_SIM_BUILD           21
#define SEV_SIM_CBITPOS         51
#define SEV_SIM_REDUCED_PHYS    1
/* The simulated firmware's GCTX.LD once LAUNCH_MEASURE has run. */
bool sev_sim_launch_digest(SevBackend *b, uint8_t ld[SEV_DIGEST_SIZE]);

#endif
