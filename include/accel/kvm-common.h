/*
 * The generic KVM code that system and user emulators share: /dev/kvm,
 * the API version, capability tables, the VM fd, memory slots and vCPU
 * fds with their mmap'ed kvm_run.  Nothing here knows about machines,
 * devices or CPUState (include/system/kvm.h builds those on top).
 */
#ifndef ACCEL_KVM_COMMON_H
#define ACCEL_KVM_COMMON_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* A capability we depend on, and why (printed when it is missing). */
typedef struct KVMCapability {
    int cap;
    const char *name;
    const char *why;
} KVMCapability;
#define KVM_CAP_INFO(c, reason) { KVM_CAP_##c, "KVM_CAP_" #c, reason }

typedef struct KVMState {
    int fd;                 /* /dev/kvm */
    int vmfd;
    int vcpu_mmap_size;
    int nr_slots;
    int max_vcpus;          /* KVM_CAP_MAX_VCPUS */
    int recommended_vcpus;  /* KVM_CAP_NR_VCPUS */
    int next_slot;
    /* GSI routing (system emulator): the whole table, re-sent on change */
    GMutex routes_lock;
    struct kvm_irq_routing_entry *routes;
    unsigned nr_routes;
    unsigned next_gsi;      /* first GSI no route uses */
    /* x86 kvmclock read at vm_stop and put back at the next start, so the
     * guest's time stands still while it is stopped (as QEMU's kvmclock
     * device); also what a save while stopped records. */
    uint64_t stopped_clock;
    bool stopped_clock_valid;
} KVMState;

/*
 * Open the device, check the API version, create the VM and read its
 * limits.  Errors are worded as QEMU's ("Could not access KVM kernel
 * module: ...").
 */
KVMState *kvm_state_new(const char *device, GError **errp);
/* The same for a KVM_CREATE_VM type other than 0 (SEV's VM types). */
KVMState *kvm_state_new_type(const char *device, unsigned long type,
                             GError **errp);
void kvm_destroy(KVMState *s);
/* KVM_CHECK_EXTENSION on the VM fd (falls back to /dev/kvm); <0 => 0. */
int kvm_check_extension(KVMState *s, int cap);
/* False, naming the first missing entry and why we need it. */
bool kvm_require_capabilities(KVMState *s, const KVMCapability *caps,
                              size_t n, GError **errp);
/* Map host memory at gpa as guest RAM in a new slot. */
bool kvm_set_user_memory(KVMState *s, uint64_t gpa, uint64_t size,
                         void *hva, GError **errp);
/*
 * The same with slot flags: KVM_MEM_READONLY makes guest writes exit as
 * MMIO (api.rst 4.35, needs KVM_CAP_READONLY_MEM): ROM and flash.
 */
bool kvm_set_user_memory_flags(KVMState *s, uint64_t gpa, uint64_t size,
                               void *hva, uint32_t flags, GError **errp);
/*
 * Set slot (from kvm_alloc_slot) to [gpa, gpa+size) at hva; size 0
 * deletes it (api.rst 4.35: "memory_size of zero" removes a slot).
 */
bool kvm_set_user_memory_slot(KVMState *s, int slot, uint64_t gpa,
                              uint64_t size, void *hva, uint32_t flags,
                              GError **errp);
int kvm_alloc_slot(KVMState *s, GError **errp);
/* KVM_CREATE_VCPU and mmap its kvm_run; returns the vCPU fd or -1. */
int kvm_vcpu_open(KVMState *s, unsigned long vcpu_id, struct kvm_run **run,
                  GError **errp);

#endif
