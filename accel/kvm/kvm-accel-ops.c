/*
 * The KVM accelerator's ops: /dev/kvm, memory slots, in-kernel irqchip.
 */
#include "system/accel.h"
#include "system/kvm.h"
#include "hw/boards.h"
#include "qemu/error-report.h"

static bool kvm_accel_init(MachineState *ms, GError **errp)
{
    ms->kvm = kvm_init("/dev/kvm", errp);
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

static bool kvm_accel_init_irqchip(MachineState *ms, GError **errp)
{
    return kvm_arch_init_vm(ms->kvm, ms, errp);
}

static void kvm_accel_set_irq(MachineState *ms, int line, int level)
{
    kvm_arch_set_irq(ms, line, level);
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
    .init_irqchip = kvm_accel_init_irqchip,
    .set_irq = kvm_accel_set_irq,
    .vm_state_change = kvm_accel_vm_state_change,
};
