/*
 * A simulated SEV firmware: what the AMD Secure Processor does for one
 * guest during launch, minus the cryptography that protects memory.
 *
 * It keeps the guest context (GCTX) of SEV API (AMD pub. 55766) 5.2:
 * state, policy, handle, the launch digest GCTX.LD and GCTX.TIK, and
 * refuses a command in the wrong state with INVALID_GUEST_STATE as the
 * firmware does (6.2-6.7 list each command's required state):
 *
 *   LAUNCH_START        UNINIT  -> LUPDATE
 *   LAUNCH_UPDATE_DATA  LUPDATE
 *   LAUNCH_UPDATE_VMSA  LUPDATE (SEV-ES guests only)
 *   LAUNCH_MEASURE      LUPDATE -> LSECRET
 *   LAUNCH_SECRET       LSECRET
 *   LAUNCH_FINISH       LSECRET -> RUNNING
 *
 * GCTX.LD and MEASURE come from the shared measurement library, the same
 * code qkvm-sev-measure predicts with.  Memory is not encrypted and the
 * session blob is not unwrapped (the TIK is given); LAUNCH_SECRET copies
 * the packet's data as it is.  So a simulated guest cannot be run: the
 * VMM leaves it stopped after LAUNCH_FINISH (can_run = false).
 */
#include "target/i386/sev/sev-backend.h"
#include "qemu/error-report.h"

#include <linux/psp-sev.h>
#include <string.h>

/* Guest policy bit: SEV-ES required (SEV API 3 "Guest Policy", Table 2) */
#define SEV_POLICY_ES   0x4

typedef struct SevSim {
    SevBackend parent;
    uint8_t tik[SEV_TIK_SIZE];
    bool initialized, es;
    SevGuestState state;
    uint32_t policy, handle;
    SevLaunchDigest *ld;
    uint8_t digest[SEV_DIGEST_SIZE];
    bool have_digest;
} SevSim;

static SevSim *sim_of(SevBackend *b)
{
    return (SevSim *)b;
}

static bool fw_fail(GError **errp, const char *cmd, int code)
{
    error_setg(errp, "SEV: %s failed: firmware error 0x%x (%s)", cmd, code,
               sev_fw_error_name(code));
    return false;
}

/* The state a command needs; INVALID_GUEST_STATE otherwise. */
static bool need_state(SevSim *s, SevGuestState want, const char *cmd,
                       GError **errp)
{
    if (!s->initialized) {
        return fw_fail(errp, cmd, SEV_RET_INVALID_PLATFORM_STATE);
    }
    if (s->state != want) {
        return fw_fail(errp, cmd, SEV_RET_INVALID_GUEST_STATE);
    }
    return true;
}

/* init2 changes nothing here: KVM's VMSA sync differs, which the VMM's
 * pages already show */
static bool sim_init(SevBackend *b, bool es, bool init2, SevPlatformInfo *info,
                     GError **errp)
{
    SevSim *s = sim_of(b);

    if (s->initialized) {
        error_setg(errp, "SEV: %s: the guest is already initialized",
                   init2 ? "KVM_SEV_INIT2" :
                   es ? "KVM_SEV_ES_INIT" : "KVM_SEV_INIT");
        return false;
    }
    s->initialized = true;
    s->es = es;
    *info = (SevPlatformInfo){
        .api_major = SEV_SIM_API_MAJOR, .api_minor = SEV_SIM_API_MINOR,
        .build = SEV_SIM_BUILD, .es = true,
        .cbitpos = SEV_SIM_CBITPOS, .reduced_phys_bits = SEV_SIM_REDUCED_PHYS,
    };
    return true;
}

static bool sim_launch_start(SevBackend *b, uint32_t policy, uint32_t *handle,
                             GBytes *dh_cert, GBytes *session, GError **errp)
{
    SevSim *s = sim_of(b);

    if (!need_state(s, SEV_GSTATE_UNINIT, "LAUNCH_START", errp)) {
        return false;
    }
    /* an SEV-ES context needs a policy that requires SEV-ES (6.2) */
    if (s->es && !(policy & SEV_POLICY_ES)) {
        return fw_fail(errp, "LAUNCH_START", SEV_RET_POLICY_FAILURE);
    }
    s->policy = policy;
    s->handle = *handle ? *handle : 1;
    *handle = s->handle;
    s->ld = sev_launch_digest_new();
    s->state = SEV_GSTATE_LUPDATE;
    return true;
}

static bool sim_reg_region(SevBackend *b, void *hva, uint64_t size,
                           GError **errp)
{
    return true;    /* nothing to pin: memory is not encrypted */
}

static bool sim_update_data(SevBackend *b, void *hva, size_t len,
                            GError **errp)
{
    SevSim *s = sim_of(b);

    if (!need_state(s, SEV_GSTATE_LUPDATE, "LAUNCH_UPDATE_DATA", errp)) {
        return false;
    }
    /* 6.3: length a multiple of 16 bytes */
    if (len == 0 || len % 16) {
        return fw_fail(errp, "LAUNCH_UPDATE_DATA", SEV_RET_INVALID_LEN);
    }
    sev_launch_digest_update_data(s->ld, hva, len);
    return true;
}

static bool sim_update_vmsa(SevBackend *b, const uint8_t *pages, unsigned nr,
                            GError **errp)
{
    SevSim *s = sim_of(b);

    if (!need_state(s, SEV_GSTATE_LUPDATE, "LAUNCH_UPDATE_VMSA", errp)) {
        return false;
    }
    if (!s->es) {
        return fw_fail(errp, "LAUNCH_UPDATE_VMSA", SEV_RET_INVALID_GUEST);
    }
    for (unsigned i = 0; i < nr; i++) {
        sev_launch_digest_update_vmsa(s->ld, pages + (size_t)i * SEV_VMSA_SIZE);
    }
    return true;
}

static bool sim_measure(SevBackend *b, uint8_t out[SEV_MEASURE_BUF_SIZE],
                        GError **errp)
{
    SevSim *s = sim_of(b);
    SevMeasureInfo info = {
        .api_major = SEV_SIM_API_MAJOR, .api_minor = SEV_SIM_API_MINOR,
        .build = SEV_SIM_BUILD, .policy = s->policy,
    };
    uint8_t *mnonce = out + SEV_DIGEST_SIZE;

    if (!need_state(s, SEV_GSTATE_LUPDATE, "LAUNCH_MEASURE", errp)) {
        return false;
    }
    sev_launch_digest_finish(s->ld, s->digest);
    s->have_digest = true;
    for (unsigned i = 0; i < SEV_MNONCE_SIZE; i += 4) {
        uint32_t r = g_random_int();
        memcpy(mnonce + i, &r, 4);
    }
    sev_launch_measure(s->tik, &info, s->digest, mnonce, out);
    s->state = SEV_GSTATE_LSECRET;
    return true;
}

static bool sim_secret(SevBackend *b, GBytes *header, GBytes *data,
                       void *guest_hva, GError **errp)
{
    SevSim *s = sim_of(b);
    gsize hlen, len;
    const void *d;

    if (!need_state(s, SEV_GSTATE_LSECRET, "LAUNCH_SECRET", errp)) {
        return false;
    }
    g_bytes_get_data(header, &hlen);
    d = g_bytes_get_data(data, &len);
    /* 6.6: the packet header is 52 bytes; lengths multiples of 16 */
    if (hlen != 52 || len == 0 || len % 16) {
        return fw_fail(errp, "LAUNCH_SECRET", SEV_RET_INVALID_LEN);
    }
    memcpy(guest_hva, d, len);  /* no TEK: the data is not decrypted */
    return true;
}

static bool sim_finish(SevBackend *b, GError **errp)
{
    SevSim *s = sim_of(b);

    if (!need_state(s, SEV_GSTATE_LSECRET, "LAUNCH_FINISH", errp)) {
        return false;
    }
    s->state = SEV_GSTATE_RUNNING;
    return true;
}

static void sim_free(SevBackend *b)
{
    SevSim *s = sim_of(b);

    sev_launch_digest_free(s->ld);
    g_free(s);
}

static const SevBackendOps sev_sim_ops = {
    .name = "simulated",
    .init = sim_init,
    .launch_start = sim_launch_start,
    .reg_region = sim_reg_region,
    .update_data = sim_update_data,
    .update_vmsa = sim_update_vmsa,
    .measure = sim_measure,
    .secret = sim_secret,
    .finish = sim_finish,
    .can_run = false,
    .free = sim_free,
};

SevBackend *sev_sim_backend_new(const uint8_t tik[SEV_TIK_SIZE])
{
    SevSim *s = g_new0(SevSim, 1);

    s->parent.ops = &sev_sim_ops;
    memcpy(s->tik, tik, SEV_TIK_SIZE);
    return &s->parent;
}

bool sev_sim_launch_digest(SevBackend *b, uint8_t ld[SEV_DIGEST_SIZE])
{
    SevSim *s = sim_of(b);

    if (b->ops != &sev_sim_ops || !s->have_digest) {
        return false;
    }
    memcpy(ld, s->digest, SEV_DIGEST_SIZE);
    return true;
}
