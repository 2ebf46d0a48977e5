/*
 * KVM_GET_SUPPORTED_CPUID for the system and the user-mode emulator
 * (api.rst 4.46: E2BIG until the array is large enough).
 */
#include "accel/kvm-common.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"
#include "target/i386/kvm-cpuid.h"

#include <errno.h>
#include <sys/ioctl.h>

struct kvm_cpuid2 *x86_kvm_get_supported_cpuid(KVMState *s, GError **errp)
{
    for (unsigned nent = 64; nent <= 4096; nent *= 2) {
        struct kvm_cpuid2 *c = QEMU_FLEX_NEW0(struct kvm_cpuid2, entries, nent);
        c->nent = nent;
        if (ioctl(s->fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            return c;
        }
        g_free(c);
        if (errno != E2BIG) {
            break;
        }
    }
    error_setg_errno(errp, errno, "KVM_GET_SUPPORTED_CPUID failed");
    return NULL;
}
