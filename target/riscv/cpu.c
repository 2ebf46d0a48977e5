/*
 * RISC-V -cpu models and extension switches (see cpu.h).
 */
#include "target/riscv/cpu.h"
#include "qemu/error-report.h"
#include "qemu/option.h"

#include <string.h>

/*
 * enum KVM_RISCV_ISA_EXT_ID in arch/riscv/include/uapi/asm/kvm.h: the
 * values are ABI (the enum is append-only); Debian 12's 6.1 headers stop
 * at ZICBOZ, so the numbers are written here.
 */
const RISCVISAExt riscv_isa_exts[] = {
    { "a", 0 }, { "c", 1 }, { "d", 2 }, { "f", 3 }, { "h", 4 },
    { "i", 5 }, { "m", 6 },
    { "svpbmt", 7 }, { "sstc", 8 }, { "svinval", 9 },
    { "zihintpause", 10 }, { "zicbom", 11 }, { "zicboz", 12 },
    { "zbb", 13 }, { "ssaia", 14 }, { "v", 15 }, { "svnapot", 16 },
    { "zba", 17 }, { "zbs", 18 }, { "zicntr", 19 }, { "zicsr", 20 },
    { "zifencei", 21 }, { "zihpm", 22 },
};
const size_t riscv_nr_isa_exts = G_N_ELEMENTS(riscv_isa_exts);

static const struct {
    const char *name;
    const char *desc;
} riscv_cpu_models[] = {
    { "host", "the host's hart with what KVM lets the guest see" },
    { "rv64", "under KVM the same as host (QEMU's generic 64-bit model)" },
};

void riscv_cpu_def_free(RISCVCPUDef *def)
{
    if (def) {
        g_free(def->model);
        g_free(def->ext);
        g_free(def);
    }
}

static int isa_ext_find(const char *name)
{
    for (size_t i = 0; i < riscv_nr_isa_exts; i++) {
        if (strcmp(riscv_isa_exts[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

RISCVCPUDef *riscv_cpu_parse(const char *spec, GError **errp)
{
    g_autoptr(RISCVCPUDef) def = g_new0(RISCVCPUDef, 1);
    g_autoptr(QemuOpts) opts = qemu_opts_parse(spec, "model", errp);
    const char *model;
    size_t m;

    if (!opts) {
        return NULL;
    }
    model = qemu_opt_get(opts, "model");
    for (m = 0; m < G_N_ELEMENTS(riscv_cpu_models); m++) {
        if (model && strcmp(model, riscv_cpu_models[m].name) == 0) {
            break;
        }
    }
    if (m == G_N_ELEMENTS(riscv_cpu_models)) {
        error_setg(errp, "unable to find CPU model '%s'", model ? model : "");
        return NULL;
    }
    def->model = g_strdup(model);
    def->ext = g_new0(RISCVExtRequest, riscv_nr_isa_exts);
    for (size_t i = 0; i < opts->nr; i++) {
        const char *name = opts->opts[i].name;
        int e;
        bool on;

        if (opts->opts[i].used) {
            continue;           /* the model */
        }
        e = isa_ext_find(name);
        if (e < 0) {
            error_setg(errp, "Property '%s-riscv64-cpu.%s' not found",
                       def->model, name);
            return NULL;
        }
        if (!qemu_opt_get_bool(opts, name, true, &on, errp)) {
            return NULL;
        }
        def->ext[e] = on ? RISCV_EXT_ON : RISCV_EXT_OFF;
    }
    return g_steal_pointer(&def);
}

GStrv riscv_cpu_model_names(void)
{
    GStrv names = g_new0(char *, G_N_ELEMENTS(riscv_cpu_models) + 1);

    for (size_t i = 0; i < G_N_ELEMENTS(riscv_cpu_models); i++) {
        names[i] = g_strdup(riscv_cpu_models[i].name);
    }
    return names;
}

void riscv_cpu_list(FILE *f)
{
    fprintf(f, "Available CPUs:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(riscv_cpu_models); i++) {
        fprintf(f, "  %-10s %s\n", riscv_cpu_models[i].name,
                riscv_cpu_models[i].desc);
    }
    fprintf(f, "\nISA extensions (EXT=on|off, where the host lets KVM "
            "change them):\n ");
    for (size_t i = 0; i < riscv_nr_isa_exts; i++) {
        fprintf(f, " %s", riscv_isa_exts[i].name);
    }
    fprintf(f, "\n");
}
