/*
 * The x86-64 target as the generic code sees it (system/target-info.h).
 */
#include "system/target-info.h"
#include "target/i386/cpu.h"
#include "target/i386/sev/sev.h"

const TargetInfo target_info = {
    .arch = "x86_64",
    .default_cpu_model = "qemu64",
    .cpu_list = x86_cpu_list,
    .cpu_model_names = x86_cpu_model_names,
    .cgs_vm_type = sev_kvm_vm_type,
    .cgs_init = sev_machine_init,
    .cgs_machine_done = sev_machine_done,
};
