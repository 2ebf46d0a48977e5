/*
 * Names of SEV guest states and firmware status codes, for messages and
 * QMP; shared by both firmware backends.
 */
#include "target/i386/sev/sev-backend.h"

static const char *const state_names[] = {
    [SEV_GSTATE_UNINIT] = "uninit",
    [SEV_GSTATE_LUPDATE] = "launch-update",
    [SEV_GSTATE_LSECRET] = "launch-secret",
    [SEV_GSTATE_RUNNING] = "running",
};

const char *sev_state_name(SevGuestState s)
{
    return s < G_N_ELEMENTS(state_names) ? state_names[s] : "uninit";
}

/* linux/psp-sev.h enum sev_ret_code, SEV API chapter 4 status codes */
static const char *const fw_errors[] = {
    "SUCCESS", "INVALID_PLATFORM_STATE", "INVALID_GUEST_STATE",
    "INVALID_CONFIG", "INVALID_LENGTH", "ALREADY_OWNED",
    "INVALID_CERTIFICATE", "POLICY_FAILURE", "INACTIVE", "INVALID_ADDRESS",
    "BAD_SIGNATURE", "BAD_MEASUREMENT", "ASID_OWNED", "INVALID_ASID",
    "WBINVD_REQUIRED", "DFFLUSH_REQUIRED", "INVALID_GUEST", "INVALID_COMMAND",
    "ACTIVE", "HWERROR_PLATFORM", "HWERROR_UNSAFE", "UNSUPPORTED",
    "INVALID_PARAM", "RESOURCE_LIMIT", "SECURE_DATA_INVALID",
};

const char *sev_fw_error_name(int code)
{
    return code >= 0 && code < (int)G_N_ELEMENTS(fw_errors) ? fw_errors[code]
                                                             : "unknown";
}
