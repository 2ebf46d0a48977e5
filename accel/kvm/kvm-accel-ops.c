/*
 * The KVM accelerator's ops: /dev/kvm, memory slots, in-kernel irqchip.
 */
#include "system/accel.h"
#include "system/kvm.h"
#include "hw/boards.h"
#include "qemu/error-report.h"

static bool kvm_accel_init(MachineState *ms, GError **errp)
{
    ms->kvm = kvm_init_type("/dev/kvm", ms->kvm_vm_type, errp);
    if (!ms->kvm) {
        error_prepend(errp, "failed to initialize kvm: ");
        return false;
    }
    if (ms->smp_cpus > (unsigned)ms->kvm->max_vcpus) {
        error_setg(errp, "Number of SMP cpus requested (%u) exceeds the "
                   "maximum cpus supported by KVM (%d)", ms->smp_cpus,
                   ms->kvm->max_vcpus);
        return false;
    }
    return true;
}

static bool kvm_accel_map_ram(MachineState *ms, uint64_t gpa, uint64_t size,
                              void *hva, GError **errp)
{
    return kvm_set_user_memory(ms->kvm, gpa, size, hva, errp);
}

static bool kvm_accel_map_rom(MachineState *ms, uint64_t gpa, uint64_t size,
                              void *hva, GError **errp)
{
    if (!kvm_check_extension(ms->kvm, KVM_CAP_READONLY_MEM)) {
        error_setg(errp, "kvm does not support KVM_CAP_READONLY_MEM (needed "
                   "because firmware is mapped read-only)");
        return false;
    }
    return kvm_set_user_memory_flags(ms->kvm, gpa, size, hva,
                                     KVM_MEM_READONLY, errp);
}

/*
 * Flash in ROMD mode: a read-only slot (reads from memory, writes exit as
 * MMIO); hidden, the slot is deleted so reads exit as MMIO too.
 */
static bool kvm_accel_set_romd(MachineState *ms, int *slot, uint64_t gpa,
                               uint64_t size, void *hva, bool shown,
                               GError **errp)
{
    if (*slot < 0) {
        if (!kvm_check_extension(ms->kvm, KVM_CAP_READONLY_MEM)) {
            error_setg(errp, "kvm does not support KVM_CAP_READONLY_MEM "
                       "(needed because firmware is mapped read-only)");
            return false;
        }
        *slot = kvm_alloc_slot(ms->kvm, errp);
        if (*slot < 0) {
            return false;
        }
    }
    return kvm_set_user_memory_slot(ms->kvm, *slot, gpa, shown ? size : 0,
                                    hva, KVM_MEM_READONLY, errp);
}

static bool kvm_accel_init_irqchip(MachineState *ms, GError **errp)
{
    return kvm_arch_init_vm(ms->kvm, ms, errp);
}

static void kvm_accel_set_irq(MachineState *ms, int line, int level)
{
    kvm_arch_set_irq(ms, line, level);
}

static void kvm_accel_send_msi(MachineState *ms, uint64_t addr, uint32_t data)
{
    kvm_send_msi(ms->kvm, addr, data);
}

static bool kvm_accel_set_ioeventfd(MachineState *ms, uint64_t addr,
                                    unsigned len, bool is_io, int fd,
                                    bool assign, GError **errp)
{
    return kvm_set_ioeventfd(ms->kvm, addr, len, is_io, fd, assign, errp);
}

static int kvm_accel_msi_irqfd_new(MachineState *ms, int fd, GError **errp)
{
    int gsi = kvm_msi_route_add(ms->kvm, errp);

    return gsi >= 0 && kvm_irqfd(ms->kvm, fd, gsi, true, errp) ? gsi : -1;
}

static void kvm_accel_msi_route_set(MachineState *ms, int handle,
                                    uint64_t addr, uint32_t data)
{
    g_autoptr(GError) err = NULL;

    if (!kvm_msi_route_update(ms->kvm, handle, addr, data, &err)) {
        error_report("%s", err->message);
    }
}

static void kvm_accel_vm_state_change(MachineState *ms, bool running)
{
    kvm_arch_vm_state_change(ms, running);
}

const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .has_vcpus = true,
    .init = kvm_accel_init,
    .map_ram = kvm_accel_map_ram,
    .map_rom = kvm_accel_map_rom,
    .set_romd = kvm_accel_set_romd,
    .init_irqchip = kvm_accel_init_irqchip,
    .set_irq = kvm_accel_set_irq,
    .send_msi = kvm_accel_send_msi,
    .set_ioeventfd = kvm_accel_set_ioeventfd,
    .msi_irqfd_new = kvm_accel_msi_irqfd_new,
    .msi_route_set = kvm_accel_msi_route_set,
    .vm_state_change = kvm_accel_vm_state_change,
};
