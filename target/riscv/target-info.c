/*
 * The riscv64 target as the generic code sees it (system/target-info.h).
 */
#include "system/target-info.h"
#include "target/riscv/cpu.h"

const TargetInfo target_info = {
    .arch = "riscv64",
    .default_cpu_model = "host",
    .cpu_list = riscv_cpu_list,
    .cpu_model_names = riscv_cpu_model_names,
};
