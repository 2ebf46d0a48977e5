/*
 * RISC-V CPU models as -cpu names them.  Under KVM the vCPU is the host's
 * hart ("host"); what -cpu can change is which ISA extensions KVM shows
 * the guest: "host,sstc=off,zbb=on".  The ids are KVM's ISA_EXT register
 * numbers (enum KVM_RISCV_ISA_EXT_ID, arch/riscv/include/uapi/asm/kvm.h).
 */
#ifndef TARGET_RISCV_CPU_H
#define TARGET_RISCV_CPU_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct RISCVISAExt {
    const char *name;       /* as in riscv,isa: "a", "sstc", "zbb" */
    unsigned kvm_id;        /* KVM_RISCV_ISA_EXT_* */
} RISCVISAExt;

extern const RISCVISAExt riscv_isa_exts[];
extern const size_t riscv_nr_isa_exts;

typedef enum RISCVExtRequest {
    RISCV_EXT_DEFAULT,      /* as the host gives it */
    RISCV_EXT_ON,
    RISCV_EXT_OFF,
} RISCVExtRequest;

typedef struct RISCVCPUDef {
    char *model;
    RISCVExtRequest *ext;   /* riscv_nr_isa_exts entries */
} RISCVCPUDef;

/*
 * Parse -cpu: "host[,EXT=on|off...]" ("rv64" is the same as "host" under
 * KVM).  Unknown model: "unable to find CPU model 'X'"; unknown
 * property: "Property 'host-riscv64-cpu.X' not found" (QEMU's wording).
 */
RISCVCPUDef *riscv_cpu_parse(const char *spec, GError **errp);
void riscv_cpu_def_free(RISCVCPUDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RISCVCPUDef, riscv_cpu_def_free)

void riscv_cpu_list(FILE *f);
GStrv riscv_cpu_model_names(void);

#endif
