/*
 * X86HostCaps from the real KVM: the system-fd ioctls (api.rst 4.3
 * KVM_GET_MSR_INDEX_LIST and KVM_GET_MSR_FEATURE_INDEX_LIST, 4.18
 * KVM_GET_MSRS on /dev/kvm for feature MSRs, 4.46 KVM_GET_SUPPORTED_CPUID)
 * and the kvm module's enable_pmu parameter.
 */
#include "accel/kvm-common.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"
#include "target/i386/cpu.h"
#include "target/i386/kvm-cpuid.h"
#include "target/i386/kvm_i386.h"
#include "target/i386/msr.h"

#include <errno.h>
#include <sys/ioctl.h>

/* KVM_GET_MSR_INDEX_LIST and KVM_GET_MSR_FEATURE_INDEX_LIST: E2BIG, then fit */
static struct kvm_msr_list *get_msr_list(KVMState *s, unsigned long req,
                                         const char *name, GError **errp)
{
    struct kvm_msr_list probe = { .nmsrs = 0 };
    struct kvm_msr_list *list;

    if (ioctl(s->fd, req, &probe) < 0 && errno != E2BIG) {
        error_setg_errno(errp, errno, "%s failed", name);
        return NULL;
    }
    list = QEMU_FLEX_NEW0(struct kvm_msr_list, indices, probe.nmsrs);
    list->nmsrs = probe.nmsrs;
    if (ioctl(s->fd, req, list) < 0) {
        error_setg_errno(errp, errno, "%s failed", name);
        g_free(list);
        return NULL;
    }
    return list;
}

/* Y/N of /sys/module/kvm/parameters/enable_pmu; -1 if not there. */
static int kvm_enable_pmu_param(void)
{
    g_autofree char *text = NULL;

    if (!g_file_get_contents("/sys/module/kvm/parameters/enable_pmu",
                             &text, NULL, NULL)) {
        return -1;
    }
    return text[0] == 'Y' || text[0] == 'y' || text[0] == '1';
}

static bool get_perf_caps(KVMState *s, X86HostCaps *caps, GError **errp)
{
    g_autofree struct kvm_msr_list *features = NULL;
    g_autofree struct kvm_msrs *msr = NULL;

    if (!kvm_check_extension(s, KVM_CAP_GET_MSR_FEATURES)) {
        return true;
    }
    features = get_msr_list(s, KVM_GET_MSR_FEATURE_INDEX_LIST,
                            "KVM_GET_MSR_FEATURE_INDEX_LIST", errp);
    if (!features) {
        return false;
    }
    for (uint32_t i = 0; i < features->nmsrs; i++) {
        if (features->indices[i] == MSR_IA32_PERF_CAPABILITIES) {
            caps->has_perf_caps = true;
        }
    }
    if (!caps->has_perf_caps) {
        return true;
    }
    msr = QEMU_FLEX_NEW0(struct kvm_msrs, entries, 1);
    msr->nmsrs = 1;
    msr->entries[0].index = MSR_IA32_PERF_CAPABILITIES;
    if (ioctl(s->fd, KVM_GET_MSRS, msr) != 1) {
        error_setg(errp, "KVM_GET_MSRS(IA32_PERF_CAPABILITIES) failed on "
                   "the system fd");
        return false;
    }
    caps->perf_caps = msr->entries[0].data;
    return true;
}

bool x86_kvm_get_host_caps(KVMState *s, X86HostCaps *caps, GError **errp)
{
    int enable_pmu;

    *caps = (X86HostCaps){ 0 };
    caps->cpuid = x86_kvm_get_supported_cpuid(s, errp);
    if (!caps->cpuid) {
        return false;
    }
    /* without the parameter (old kernels), leaf 0xA tells */
    enable_pmu = kvm_enable_pmu_param();
    caps->pmu = enable_pmu >= 0 ? enable_pmu
                                : x86_host_caps_from_cpuid(caps->cpuid).pmu;
    caps->msrs = get_msr_list(s, KVM_GET_MSR_INDEX_LIST,
                              "KVM_GET_MSR_INDEX_LIST", errp);
    if (!caps->msrs || !get_perf_caps(s, caps, errp)) {
        x86_host_caps_clear(caps);
        return false;
    }
    return true;
}
