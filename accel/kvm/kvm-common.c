/*
 * KVM core shared by system and user emulators: device, VM, capability
 * checks, memory slots, vCPU fds.  (Documentation/virt/kvm/api.rst:
 * sections 4.1 KVM_GET_API_VERSION, 4.2 KVM_CREATE_VM, 4.4
 * KVM_CHECK_EXTENSION, 4.5 KVM_GET_VCPU_MMAP_SIZE, 4.7 KVM_CREATE_VCPU,
 * 4.35 KVM_SET_USER_MEMORY_REGION.)
 */
#include "accel/kvm-common.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* KVM_CAP_VM_TYPES (Linux 6.10 include/uapi/linux/kvm.h) */
#define KVM_CAP_VM_TYPES_NR 235

/* The API version every KVM since 2.6.22 reports (api.rst 4.1). */
#define KVM_API_VERSION_EXPECTED 12

int kvm_check_extension(KVMState *s, int cap)
{
    int fd = s->vmfd >= 0 ? s->vmfd : s->fd;
    int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
    return r < 0 ? 0 : r;
}

bool kvm_require_capabilities(KVMState *s, const KVMCapability *caps,
                              size_t n, GError **errp)
{
    for (size_t i = 0; i < n; i++) {
        if (!kvm_check_extension(s, caps[i].cap)) {
            error_setg(errp, "kvm does not support %s (needed because %s)",
                       caps[i].name, caps[i].why);
            return false;
        }
    }
    return true;
}

/* api.rst 4.4: NR_VCPUS is the recommended, MAX_VCPUS the hard limit */
static void kvm_read_limits(KVMState *s)
{
    s->nr_slots = kvm_check_extension(s, KVM_CAP_NR_MEMSLOTS);
    if (!s->nr_slots) {
        s->nr_slots = 32;
    }
    s->recommended_vcpus = kvm_check_extension(s, KVM_CAP_NR_VCPUS);
    if (!s->recommended_vcpus) {
        s->recommended_vcpus = 4;
    }
    s->max_vcpus = kvm_check_extension(s, KVM_CAP_MAX_VCPUS);
    if (!s->max_vcpus) {
        s->max_vcpus = s->recommended_vcpus;
    }
}

KVMState *kvm_state_new(const char *device, GError **errp)
{
    return kvm_state_new_type(device, 0, errp);
}

KVMState *kvm_state_new_type(const char *device, unsigned long type,
                             GError **errp)
{
    g_autofree KVMState *s = g_new0(KVMState, 1);
    int ver;

    s->vmfd = -1;
    s->fd = open(device, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        error_setg_errno(errp, errno, "Could not access KVM kernel module");
        return NULL;
    }
    ver = ioctl(s->fd, KVM_GET_API_VERSION, 0);
    if (ver != KVM_API_VERSION_EXPECTED) {
        error_setg(errp, ver < KVM_API_VERSION_EXPECTED ?
                   "kvm version too old" : "kvm version not supported");
        goto fail;
    }
    /* api.rst 4.2: type 0 is the default; others need KVM_CAP_VM_TYPES */
    if (type &&
        (type >= 32 ||
         !(ioctl(s->fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES_NR) > 0 &&
           (ioctl(s->fd, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES_NR) >> type) &
           1))) {
        error_setg(errp, "kvm does not support VM type %lu "
                   "(KVM_CAP_VM_TYPES)", type);
        goto fail;
    }
    do {
        s->vmfd = ioctl(s->fd, KVM_CREATE_VM, type);
    } while (s->vmfd < 0 && errno == EINTR);
    if (s->vmfd < 0) {
        error_setg_errno(errp, errno, "ioctl(KVM_CREATE_VM) failed");
        goto fail;
    }
    s->vcpu_mmap_size = ioctl(s->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (s->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        error_setg(errp, "KVM_GET_VCPU_MMAP_SIZE returned %d",
                   s->vcpu_mmap_size);
        goto fail;
    }
    kvm_read_limits(s);
    return g_steal_pointer(&s);

fail:
    if (s->vmfd >= 0) {
        close(s->vmfd);
    }
    close(s->fd);
    return NULL;
}

void kvm_destroy(KVMState *s)
{
    if (!s) {
        return;
    }
    close(s->vmfd);
    close(s->fd);
    g_free(s);
}

bool kvm_set_user_memory(KVMState *s, uint64_t gpa, uint64_t size,
                         void *hva, GError **errp)
{
    return kvm_set_user_memory_flags(s, gpa, size, hva, 0, errp);
}

bool kvm_set_user_memory_flags(KVMState *s, uint64_t gpa, uint64_t size,
                               void *hva, uint32_t flags, GError **errp)
{
    if (s->next_slot >= s->nr_slots) {
        error_setg(errp, "out of KVM memory slots (%d)", s->nr_slots);
        return false;
    }
    if (!kvm_set_user_memory_slot(s, s->next_slot, gpa, size, hva, flags,
                                  errp)) {
        return false;
    }
    s->next_slot++;
    return true;
}

bool kvm_set_user_memory_slot(KVMState *s, int slot, uint64_t gpa,
                              uint64_t size, void *hva, uint32_t flags,
                              GError **errp)
{
    struct kvm_userspace_memory_region mem = {
        .slot = slot,
        .flags = flags,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uintptr_t)hva,
    };

    if (ioctl(s->vmfd, KVM_SET_USER_MEMORY_REGION, &mem) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_USER_MEMORY_REGION failed, "
                         "slot=%d, start=0x%" G_GINT64_MODIFIER "x, "
                         "size=0x%" G_GINT64_MODIFIER "x",
                         mem.slot, gpa, size);
        return false;
    }
    return true;
}

/* A slot of its own for memory that comes and goes (flash ROMD mode). */
int kvm_alloc_slot(KVMState *s, GError **errp)
{
    if (s->next_slot >= s->nr_slots) {
        error_setg(errp, "out of KVM memory slots (%d)", s->nr_slots);
        return -1;
    }
    return s->next_slot++;
}

int kvm_vcpu_open(KVMState *s, unsigned long vcpu_id, struct kvm_run **run,
                  GError **errp)
{
    int fd = ioctl(s->vmfd, KVM_CREATE_VCPU, vcpu_id);
    void *p;

    if (fd < 0) {
        error_setg_errno(errp, errno, "KVM_CREATE_VCPU %lu failed", vcpu_id);
        return -1;
    }
    p = mmap(NULL, s->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
             fd, 0);
    if (p == MAP_FAILED) {
        error_setg_errno(errp, errno, "mmap of vCPU %lu kvm_run failed",
                         vcpu_id);
        close(fd);
        return -1;
    }
    *run = p;
    return fd;
}
