/*
 * KVM_SEV_INIT2 and the SEV VM types (Linux 6.10, include/uapi/linux/
 * kvm.h and arch/x86/include/uapi/asm/kvm.h; Documentation/virt/kvm/x86/
 * amd-memory-encryption.rst "KVM_SEV_INIT2"), which Debian 12's 6.1
 * headers lack.  Written from those definitions.
 */
#ifndef LINUX_HEADERS_KVM_SEV_INIT2_H
#define LINUX_HEADERS_KVM_SEV_INIT2_H

#include <linux/kvm.h>

/* KVM_CHECK_EXTENSION on /dev/kvm: bit N set = VM type N supported */
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES        235
#endif

/* KVM_CREATE_VM types */
#ifndef KVM_X86_DEFAULT_VM
#define KVM_X86_DEFAULT_VM      0
#endif
#ifndef KVM_X86_SEV_VM
#define KVM_X86_SEV_VM          2
#define KVM_X86_SEV_ES_VM       3
#endif

/* enum sev_cmd_id: the entry after KVM_SEV_SEND_CANCEL (21) */
#define KVM_SEV_INIT2_CMD       22

/* KVM_SEV_INIT2's parameter (name kept apart from newer headers') */
struct kvm_sev_init2_params {
    __u64 vmsa_features;    /* initial SEV features in the VMSA */
    __u32 flags;            /* must be 0 */
    __u16 ghcb_version;     /* 0: KVM's default */
    __u16 pad1;
    __u32 pad2[8];
};

#endif
