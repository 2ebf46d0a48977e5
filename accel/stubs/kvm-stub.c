/*
 * KVM for a target this host's kernel cannot run (qkvm-system-riscv64 on
 * an x86-64 host): "-accel kvm" is refused at start-up with one clear
 * line, so no vCPU is ever created and the vCPU entry points the generic
 * system code links against are never reached.
 */
#include "system/accel.h"
#include "system/kvm.h"
#include "hw/boards.h"
#include "qemu/error-report.h"

#include <stdlib.h>

static bool kvm_stub_init(MachineState *ms, GError **errp)
{
    error_setg(errp, "KVM not available for this target");
    return false;
}

const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .has_vcpus = true,
    .init = kvm_stub_init,
};

void kvm_init_kick_signal(void)
{
}

void kvm_cpu_kick(CPUState *cpu)
{
}

/* Unreachable: kvm_stub_init() fails before any vCPU exists. */
int kvm_cpu_exec(CPUState *cpu)
{
    abort();
}

bool kvm_arch_reset_vcpu(CPUState *cpu, GError **errp)
{
    abort();
}
