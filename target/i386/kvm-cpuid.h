/*
 * The host's KVM CPUID, shared by the system and user-mode emulators.
 */
#ifndef TARGET_I386_KVM_CPUID_H
#define TARGET_I386_KVM_CPUID_H

#include <glib.h>
#include <linux/kvm.h>

#include "accel/kvm-common.h"

/* KVM_GET_SUPPORTED_CPUID, grown until it fits.  g_free() the result. */
struct kvm_cpuid2 *x86_kvm_get_supported_cpuid(KVMState *s, GError **errp);

#endif
