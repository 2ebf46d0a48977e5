/*
 * KVM accelerator, system-mode part: the capabilities a machine needs,
 * vCPUs as CPUState, interrupts.  The device, VM, slots and vCPU fds are
 * in kvm-common.c, shared with the user-mode emulator.
 */
#include "system/kvm.h"
#include "hw/boards.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <sys/ioctl.h>

static const KVMCapability kvm_required_capabilities[] = {
    KVM_CAP_INFO(USER_MEMORY, "guest RAM is mapped from our address space"),
    KVM_CAP_INFO(IRQCHIP, "interrupt controllers run in the kernel"),
    KVM_CAP_INFO(IMMEDIATE_EXIT, "vCPUs are stopped without races"),
    KVM_CAP_INFO(MP_STATE, "APs wait for INIT/SIPI and vCPUs are reset"),
    KVM_CAP_INFO(INTERNAL_ERROR_DATA, "emulation failures are reported"),
    KVM_CAP_INFO(SIGNAL_MSI, "PCI devices send MSI-X messages"),
    KVM_CAP_INFO(IOEVENTFD, "virtqueue kicks reach the I/O thread directly"),
};

KVMState *kvm_init(const char *device, GError **errp)
{
    KVMState *s = kvm_state_new(device, errp);

    if (s &&
        (!kvm_require_capabilities(s, kvm_required_capabilities,
                                   G_N_ELEMENTS(kvm_required_capabilities),
                                   errp) ||
         !kvm_require_capabilities(s, kvm_arch_required_capabilities,
                                   kvm_arch_required_capabilities_nr,
                                   errp))) {
        kvm_destroy(s);
        return NULL;
    }
    return s;
}

bool kvm_create_vcpu(KVMState *s, CPUState *cpu, GError **errp)
{
    struct kvm_run *run;

    cpu->kvm_fd = kvm_vcpu_open(s, cpu->vcpu_id, &run, errp);
    if (cpu->kvm_fd < 0) {
        return false;
    }
    cpu->kvm_run = run;
    cpu->kvm_run_size = s->vcpu_mmap_size;
    return true;
}

void kvm_set_irq(KVMState *s, int gsi, int level)
{
    struct kvm_irq_level irq = { .irq = gsi, .level = level };

    if (ioctl(s->vmfd, KVM_IRQ_LINE, &irq) < 0) {
        /* Not fatal for the VM: name it once per call site. */
        error_report("KVM_IRQ_LINE gsi %d level %d failed: %s", gsi, level,
                     g_strerror(errno));
    }
}

void kvm_send_msi(KVMState *s, uint64_t addr, uint32_t data)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)addr,
        .address_hi = addr >> 32,
        .data = data,
    };

    /* 0: the guest blocked it (masked in the LAPIC); <0: an error */
    if (ioctl(s->vmfd, KVM_SIGNAL_MSI, &msi) < 0) {
        error_report("KVM_SIGNAL_MSI address 0x%" G_GINT64_MODIFIER "x data "
                     "0x%x failed: %s", addr, data, g_strerror(errno));
    }
}

bool kvm_set_ioeventfd(KVMState *s, uint64_t addr, unsigned len, bool is_io,
                       int fd, bool assign, GError **errp)
{
    struct kvm_ioeventfd e = {
        .addr = addr,
        .len = len,
        .fd = fd,
        .flags = (is_io ? KVM_IOEVENTFD_FLAG_PIO : 0) |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };

    if (ioctl(s->vmfd, KVM_IOEVENTFD, &e) < 0) {
        error_setg_errno(errp, errno, "KVM_IOEVENTFD %s 0x%" G_GINT64_MODIFIER
                         "x failed", assign ? "at" : "removal at", addr);
        return false;
    }
    return true;
}
