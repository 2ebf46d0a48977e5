/*
 * RISC-V vCPUs under KVM: creation with the requested ISA extensions,
 * boot/reset state, the hart's external interrupt, exits, dumps.
 *
 * All state goes through KVM_GET/SET_ONE_REG (api.rst 4.68, RISC-V
 * register ids in linux-headers/riscv-kvm.h).  A hart starts in S-mode
 * (KVM runs guests in VS-mode; "mode" reads 1) with a0 = hart id, a1 =
 * FDT address, pc = kernel entry, as the Linux RISC-V boot protocol
 * wants (Documentation/arch/riscv/boot.rst); secondaries are
 * KVM_MP_STATE_STOPPED until the guest starts them with SBI HSM, which
 * KVM implements in the kernel.
 */
#include "kvm-riscv.h"
#include "target/riscv/cpu.h"
#include "hw/boards.h"
#include "qemu/error-report.h"
#include "qemu/log.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>

/* The rest of the RISC-V KVM interface needs nothing beyond ONE_REG. */
const KVMCapability kvm_arch_required_capabilities[] = {
    KVM_CAP_INFO(ONE_REG, "vCPU state is read and written one register at a time"),
};
const size_t kvm_arch_required_capabilities_nr =
    G_N_ELEMENTS(kvm_arch_required_capabilities);

int riscv_get_reg(int vcpu_fd, uint64_t id, uint64_t *val)
{
    struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

    return ioctl(vcpu_fd, KVM_GET_ONE_REG, &r) < 0 ? -errno : 0;
}

int riscv_set_reg(int vcpu_fd, uint64_t id, uint64_t val)
{
    struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

    return ioctl(vcpu_fd, KVM_SET_ONE_REG, &r) < 0 ? -errno : 0;
}

/* No in-kernel irqchip without AIA: the PLIC is ours (hw/intc). */
bool kvm_arch_init_vm(KVMState *s, MachineState *ms, GError **errp)
{
    return true;
}

bool kvm_arch_init_vcpu(CPUState *cpu, GError **errp)
{
    return true;
}

/* PLIC context n -> hart n's external interrupt (api.rst 4.16
 * KVM_INTERRUPT, RISC-V: KVM_INTERRUPT_SET / KVM_INTERRUPT_UNSET); an
 * asynchronous vCPU ioctl, so any thread may call it. */
void kvm_arch_set_irq(MachineState *ms, int line, int level)
{
    struct kvm_interrupt irq = {
        .irq = level ? KVM_INTERRUPT_SET : KVM_INTERRUPT_UNSET,
    };

    if (line < 0 || (unsigned)line >= ms->nr_cpus) {
        return;
    }
    if (ioctl(ms->cpus[line]->kvm_fd, KVM_INTERRUPT, &irq) < 0) {
        error_report("KVM_INTERRUPT hart %d level %d failed: %s", line, level,
                     g_strerror(errno));
    }
}

/*
 * A stopped machine's guest time stands still, as QEMU's: the timer
 * registers (time, compare, state) are read when the vCPUs are parked
 * and put back before they run again; writing "time" makes KVM adjust
 * the guest's time offset.  "state" is only written when the timer was
 * on (KVM_RISCV_TIMER_STATE_ON), which is all KVM accepts.
 */
void kvm_arch_vm_state_change(MachineState *ms, bool running)
{
    for (unsigned i = 0; i < ms->nr_cpus; i++) {
        RISCVCPU *cpu = RISCV_CPU(ms->cpus[i]);
        int fd = cpu->parent.kvm_fd;
        int r;

        if (!running) {
            cpu->timer_saved =
                riscv_get_reg(fd, RISCV_TIMER(QKVM_RISCV_TIMER_TIME),
                              &cpu->timer_time) == 0 &&
                riscv_get_reg(fd, RISCV_TIMER(QKVM_RISCV_TIMER_COMPARE),
                              &cpu->timer_compare) == 0 &&
                riscv_get_reg(fd, RISCV_TIMER(QKVM_RISCV_TIMER_STATE),
                              &cpu->timer_state) == 0;
            continue;
        }
        if (!cpu->timer_saved) {
            continue;
        }
        cpu->timer_saved = false;
        r = riscv_set_reg(fd, RISCV_TIMER(QKVM_RISCV_TIMER_TIME),
                          cpu->timer_time);
        if (r == 0) {
            r = riscv_set_reg(fd, RISCV_TIMER(QKVM_RISCV_TIMER_COMPARE),
                              cpu->timer_compare);
        }
        if (r == 0 && cpu->timer_state == KVM_RISCV_TIMER_STATE_ON) {
            r = riscv_set_reg(fd, RISCV_TIMER(QKVM_RISCV_TIMER_STATE),
                              cpu->timer_state);
        }
        if (r < 0) {
            error_report("hart %u: cannot restore the timer: %s", i,
                         g_strerror(-r));
        }
    }
}

/* -cpu host,EXT=on|off: only before the first KVM_RUN. */
static bool apply_extensions(CPUState *cs, const RISCVCPUDef *def,
                             GError **errp)
{
    for (size_t i = 0; i < riscv_nr_isa_exts; i++) {
        const char *name = riscv_isa_exts[i].name;
        uint64_t id = RISCV_ISA_EXT(riscv_isa_exts[i].kvm_id), cur;
        bool want = def->ext[i] == RISCV_EXT_ON;
        int r;

        if (def->ext[i] == RISCV_EXT_DEFAULT) {
            continue;
        }
        r = riscv_get_reg(cs->kvm_fd, id, &cur);
        if (r < 0) {
            error_setg(errp, "-cpu %s,%s=%s: the host's KVM does not know "
                       "ISA extension '%s'", def->model, name,
                       want ? "on" : "off", name);
            return false;
        }
        if (!!cur == want) {
            continue;
        }
        r = riscv_set_reg(cs->kvm_fd, id, want);
        if (r < 0) {
            error_setg(errp, "-cpu %s,%s=%s: KVM cannot %s ISA extension "
                       "'%s' on this host (%s)", def->model, name,
                       want ? "on" : "off", want ? "enable" : "disable", name,
                       g_strerror(-r));
            return false;
        }
    }
    return true;
}

/* riscv,isa from what KVM gives the guest: letters, then _multi-letter. */
static char *read_isa_string(CPUState *cs)
{
    static const char order[] = "imafdqcbkjtpvh";  /* the ISA manual's order */
    GString *isa = g_string_new("rv64");
    uint64_t bits = 0, v;

    riscv_get_reg(cs->kvm_fd, RISCV_CONFIG(QKVM_RISCV_CONFIG_ISA), &bits);
    for (const char *c = order; *c; c++) {
        if (bits & (1ULL << (*c - 'a'))) {
            g_string_append_c(isa, *c);
        }
    }
    for (size_t i = 0; i < riscv_nr_isa_exts; i++) {
        if (strlen(riscv_isa_exts[i].name) > 1 &&
            riscv_get_reg(cs->kvm_fd, RISCV_ISA_EXT(riscv_isa_exts[i].kvm_id),
                          &v) == 0 && v) {
            g_string_append_printf(isa, "_%s", riscv_isa_exts[i].name);
        }
    }
    return g_string_free(isa, false);
}

static const char *read_mmu_type(CPUState *cs)
{
    uint64_t mode = 0;

    /* satp.MODE values (privileged spec, "satp"): 8 Sv39, 9 Sv48, 10 Sv57 */
    if (riscv_get_reg(cs->kvm_fd, RISCV_CONFIG(QKVM_RISCV_CONFIG_SATP_MODE),
                      &mode) < 0) {
        return "riscv,sv39";        /* before Linux 6.5: Sv39 always works */
    }
    return mode >= 10 ? "riscv,sv57" : mode == 9 ? "riscv,sv48" : "riscv,sv39";
}

bool riscv_kvm_cpus_init(MachineState *ms, const RISCVBootInfo *boot,
                         RISCVHartConfig *cfg, GError **errp)
{
    g_autoptr(RISCVCPUDef) def = riscv_cpu_parse(ms->cpu_model, errp);

    if (!def) {
        return false;
    }
    ms->cpus = g_new0(CPUState *, ms->smp_cpus);
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        RISCVCPU *cpu = g_new0(RISCVCPU, 1);
        CPUState *cs = &cpu->parent;
        int r;

        ms->cpus[i] = cs;
        ms->nr_cpus = i + 1;
        cs->machine = ms;
        cs->cpu_index = i;
        cs->vcpu_id = i;
        cpu->boot = boot;
        if (!kvm_create_vcpu(ms->kvm, cs, errp) ||
            !apply_extensions(cs, def, errp)) {
            return false;
        }
        /* DBCN is off until the VMM asks (Linux >= 6.8 forwards it);
         * a kernel without it keeps only SBI v0.1/none for early output */
        r = riscv_set_reg(cs->kvm_fd, RISCV_SBI_EXT(QKVM_RISCV_SBI_EXT_DBCN), 1);
        if (r < 0 && i == 0) {
            qemu_log_mask(LOG_UNIMP, "SBI debug console not offered by "
                          "this KVM: %s\n", g_strerror(-r));
        }
    }
    cfg->isa = read_isa_string(ms->cpus[0]);
    cfg->mmu_type = read_mmu_type(ms->cpus[0]);
    if (riscv_get_reg(ms->cpus[0]->kvm_fd,
                      RISCV_TIMER(QKVM_RISCV_TIMER_FREQUENCY),
                      &cfg->timebase_freq) < 0) {
        error_setg(errp, "cannot read the KVM timer frequency");
        return false;
    }
    return true;
}

/* Power-on state: S-mode, MMU and interrupts off, boot registers set. */
bool kvm_arch_reset_vcpu(CPUState *cs, GError **errp)
{
    RISCVCPU *cpu = RISCV_CPU(cs);
    static const unsigned csrs[] = {
        QKVM_RISCV_CSR_SSTATUS, QKVM_RISCV_CSR_SIE, QKVM_RISCV_CSR_STVEC,
        QKVM_RISCV_CSR_SSCRATCH, QKVM_RISCV_CSR_SEPC, QKVM_RISCV_CSR_SCAUSE,
        QKVM_RISCV_CSR_STVAL, QKVM_RISCV_CSR_SIP, QKVM_RISCV_CSR_SATP,
        QKVM_RISCV_CSR_SCOUNTEREN,
    };
    struct kvm_mp_state mp = {
        .mp_state = cs->cpu_index == 0 ? KVM_MP_STATE_RUNNABLE
                                       : KVM_MP_STATE_STOPPED,
    };
    int r = 0;

    for (unsigned n = 1; n < 32 && r == 0; n++) {
        r = riscv_set_reg(cs->kvm_fd, RISCV_CORE(QKVM_RISCV_CORE_X(n)),
                          n == 10 ? (uint64_t)cs->vcpu_id :
                          n == 11 ? cpu->boot->fdt_addr : 0);
    }
    if (r == 0) {
        r = riscv_set_reg(cs->kvm_fd, RISCV_CORE(QKVM_RISCV_CORE_PC),
                          cpu->boot->entry);
    }
    if (r == 0) {
        r = riscv_set_reg(cs->kvm_fd, RISCV_CORE(QKVM_RISCV_CORE_MODE),
                          KVM_RISCV_MODE_S);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(csrs) && r == 0; i++) {
        r = riscv_set_reg(cs->kvm_fd, RISCV_CSR(csrs[i]), 0);
    }
    if (r < 0) {
        error_setg(errp, "KVM_SET_ONE_REG failed: %s", g_strerror(-r));
        return false;
    }
    /* senvcfg exists from Linux 6.6 */
    riscv_set_reg(cs->kvm_fd, RISCV_CSR(QKVM_RISCV_CSR_SENVCFG), 0);
    if (ioctl(cs->kvm_fd, KVM_SET_MP_STATE, &mp) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_MP_STATE failed");
        return false;
    }
    qemu_log_mask(LOG_CPU_RESET, "hart %lu reset: pc=0x%" PRIx64 " a1=0x%"
                  PRIx64 " %s\n", cs->vcpu_id, cpu->boot->entry,
                  cpu->boot->fdt_addr, mp.mp_state == KVM_MP_STATE_STOPPED ?
                  "stopped (SBI HSM starts it)" : "runnable");
    return true;
}

int kvm_arch_handle_exit(CPUState *cs, struct kvm_run *run)
{
    switch (run->exit_reason) {
    case KVM_EXIT_RISCV_SBI:
        riscv_handle_sbi(cs, run);
        return 0;
    }
    kvm_arch_dump_state(cs);
    error_report("vCPU %d: unhandled KVM exit %u", cs->cpu_index,
                 run->exit_reason);
    qemu_system_exit_request(cs->machine, 1);
    return -1;
}

bool kvm_arch_complete_emulation(CPUState *cs)
{
    return false;   /* RISC-V KVM has no instruction emulator to help */
}

void kvm_arch_dump_state(CPUState *cs)
{
    static const struct { const char *name; uint64_t id; } regs[] = {
        { "pc", RISCV_CORE(QKVM_RISCV_CORE_PC) },
        { "ra", RISCV_CORE(1) }, { "sp", RISCV_CORE(2) },
        { "a0", RISCV_CORE(10) }, { "a1", RISCV_CORE(11) },
        { "a7", RISCV_CORE(17) },
        { "mode", RISCV_CORE(QKVM_RISCV_CORE_MODE) },
        { "sstatus", RISCV_CSR(QKVM_RISCV_CSR_SSTATUS) },
        { "stvec", RISCV_CSR(QKVM_RISCV_CSR_STVEC) },
        { "sepc", RISCV_CSR(QKVM_RISCV_CSR_SEPC) },
        { "scause", RISCV_CSR(QKVM_RISCV_CSR_SCAUSE) },
        { "stval", RISCV_CSR(QKVM_RISCV_CSR_STVAL) },
        { "satp", RISCV_CSR(QKVM_RISCV_CSR_SATP) },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(regs); i++) {
        uint64_t v = 0;
        int r = riscv_get_reg(cs->kvm_fd, regs[i].id, &v);

        if (r == 0) {
            fprintf(stderr, "%-8s %016" PRIx64 "%s", regs[i].name, v,
                    i % 4 == 3 ? "\n" : " ");
        }
    }
    fprintf(stderr, "\n");
}
