/*
 * RISC-V vCPUs where the host's KVM cannot run them (see kvm-stub.c):
 * -accel kvm has already failed, so the machine never asks for vCPUs.
 */
#include "target/riscv/kvm_riscv.h"

#include <stdlib.h>

bool riscv_kvm_cpus_init(MachineState *ms, const RISCVBootInfo *boot,
                         RISCVHartConfig *cfg, GError **errp)
{
    abort();
}
