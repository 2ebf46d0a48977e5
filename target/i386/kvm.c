/*
 * x86 under KVM: VM setup (irqchip, PIT, GSI routing), vCPU creation
 * with its CPUID, the one MSR table, reset, arch exits, register dumps.
 */
#include "kvm_i386.h"
#include "cpu.h"
#include "msr.h"
#include "hw/boards.h"
#include "system/kvm.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "target/i386/sev/sev.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

/*
 * Addresses KVM needs for its real-mode TSS (3 pages) and EPT identity
 * map (1 page) on Intel; the e820 map reserves them.  Same as QEMU's pc.
 */
#define KVM_TSS_ADDR           0xfeffd000
#define KVM_IDENTITY_MAP_ADDR  0xfeffc000

const KVMCapability kvm_arch_required_capabilities[] = {
    KVM_CAP_INFO(IRQCHIP, "interrupt controllers run in the kernel"),
    KVM_CAP_INFO(SET_TSS_ADDR, "Intel hosts need a TSS for real mode"),
    KVM_CAP_INFO(SET_IDENTITY_MAP_ADDR, "the EPT identity map is placed below 4 GiB"),
    KVM_CAP_INFO(EXT_CPUID, "the guest CPUID is set by the VMM"),
    KVM_CAP_INFO(PIT2, "the i8254 timer runs in the kernel"),
    KVM_CAP_INFO(IRQ_ROUTING, "ISA IRQ 0 is routed to IOAPIC pin 2"),
    KVM_CAP_INFO(VCPU_EVENTS, "pending events are cleared at reset"),
};
const size_t kvm_arch_required_capabilities_nr =
    G_N_ELEMENTS(kvm_arch_required_capabilities);

/* The host's KVM, fetched once per VM. */
static X86HostCaps host_caps;

const X86HostCaps *x86_kvm_host_caps(void)
{
    return &host_caps;
}

/* QEMU's kvm_pc_setup_irq_routing: ISA IRQ 0 is IOAPIC pin 2. */
static bool setup_gsi_routing(KVMState *s, GError **errp)
{
    enum { NR_ENTRIES = 16 + 23 };
    g_autofree struct kvm_irq_routing *r =
        QEMU_FLEX_NEW0(struct kvm_irq_routing, entries, NR_ENTRIES);
    unsigned n = 0;

    for (unsigned gsi = 0; gsi < 16; gsi++) {
        if (gsi == 2) {
            continue;   /* the cascade: never a device IRQ */
        }
        r->entries[n++] = (struct kvm_irq_routing_entry){
            .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
            .u.irqchip = { gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
                           gsi % 8 },
        };
    }
    for (unsigned gsi = 0; gsi < 24; gsi++) {
        if (gsi == 2) {
            continue;
        }
        r->entries[n++] = (struct kvm_irq_routing_entry){
            .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
            .u.irqchip = { KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi },
        };
    }
    /* MSI routes for PCI devices take the GSIs after the IOAPIC's */
    return kvm_irq_routes_init(s, r->entries, n, 24, errp);
}

void kvm_arch_set_irq(MachineState *ms, int line, int level)
{
    kvm_set_irq(ms->kvm, line, level);
}

/*
 * kvmclock stands still while the machine is stopped, as under QEMU: its
 * value is read when the vCPUs are parked and written back before they
 * run again (KVM_GET_CLOCK / KVM_SET_CLOCK, api.rst 4.62/4.63).  Without
 * this a guest sees every QMP stop as a jump of its clock.
 */
void kvm_arch_vm_state_change(MachineState *ms, bool running)
{
    KVMState *s = ms->kvm;
    struct kvm_clock_data clock = { 0 };

    if (!running) {
        s->stopped_clock_valid = ioctl(s->vmfd, KVM_GET_CLOCK, &clock) == 0;
        s->stopped_clock = clock.clock;
        if (!s->stopped_clock_valid) {
            warn_report("KVM_GET_CLOCK failed: %s (guest time runs on "
                        "while stopped)", g_strerror(errno));
        }
        return;
    }
    if (s->stopped_clock_valid) {
        clock.clock = s->stopped_clock;
        s->stopped_clock_valid = false;
        if (ioctl(s->vmfd, KVM_SET_CLOCK, &clock) < 0) {
            warn_report("KVM_SET_CLOCK failed: %s", g_strerror(errno));
        }
    }
}

bool kvm_arch_init_vm(KVMState *s, MachineState *ms, GError **errp)
{
    uint64_t identity = KVM_IDENTITY_MAP_ADDR;
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

    if (ioctl(s->vmfd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_IDENTITY_MAP_ADDR failed");
        return false;
    }
    if (ioctl(s->vmfd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_TSS_ADDR failed");
        return false;
    }
    if (ioctl(s->vmfd, KVM_CREATE_IRQCHIP, 0) < 0) {
        error_setg_errno(errp, errno, "KVM_CREATE_IRQCHIP failed");
        return false;
    }
    if (ioctl(s->vmfd, KVM_CREATE_PIT2, &pit) < 0) {
        error_setg_errno(errp, errno, "KVM_CREATE_PIT2 failed");
        return false;
    }
    x86_host_caps_clear(&host_caps);
    x86_vm_register_vmstate(ms);
    return setup_gsi_routing(s, errp) &&
           x86_kvm_get_host_caps(s, &host_caps, errp);
}

static size_t cpuid_size(const struct kvm_cpuid2 *c)
{
    return sizeof(*c) + c->nent * sizeof(struct kvm_cpuid_entry2);
}

static bool vcpu_ioctl(CPUState *cpu, unsigned long req, void *arg,
                       const char *name, GError **errp)
{
    if (ioctl(cpu->kvm_fd, req, arg) < 0) {
        error_setg_errno(errp, errno, "vCPU %d: %s failed", cpu->cpu_index,
                         name);
        return false;
    }
    return true;
}
#define VCPU_IOCTL(cpu, req, arg, errp) vcpu_ioctl(cpu, req, arg, #req, errp)

bool kvm_arch_init_vcpu(CPUState *cs, GError **errp)
{
    X86CPU *cpu = X86_CPU(cs);
    KVMState *s = cs->machine->kvm;

    if (!VCPU_IOCTL(cs, KVM_SET_CPUID2, cpu->cpuid, errp) ||
        !VCPU_IOCTL(cs, KVM_GET_REGS, &cpu->reset_regs, errp) ||
        !VCPU_IOCTL(cs, KVM_GET_SREGS, &cpu->reset_sregs, errp) ||
        !VCPU_IOCTL(cs, KVM_GET_FPU, &cpu->reset_fpu, errp) ||
        !VCPU_IOCTL(cs, KVM_GET_LAPIC, &cpu->reset_lapic, errp)) {
        return false;
    }
    if (kvm_check_extension(s, KVM_CAP_XSAVE)) {
        cpu->reset_xsave = g_new0(struct kvm_xsave, 1);
        if (!VCPU_IOCTL(cs, KVM_GET_XSAVE, cpu->reset_xsave, errp)) {
            return false;
        }
    }
    if (kvm_check_extension(s, KVM_CAP_XCRS)) {
        cpu->has_xcrs = true;
        if (!VCPU_IOCTL(cs, KVM_GET_XCRS, &cpu->reset_xcrs, errp)) {
            return false;
        }
    }
    return true;
}

bool x86_cpu_is_amd(CPUState *cs)
{
    /* "AuthenticAMD" in EBX, EDX, ECX */
    struct kvm_cpuid_entry2 *e = x86_cpuid_find(X86_CPU(cs)->cpuid, 0, 0);
    return e && e->ebx == 0x68747541 && e->edx == 0x69746e65 &&
           e->ecx == 0x444d4163;
}

bool x86_cpus_init(MachineState *ms, const X86BootEntry *boot, GError **errp)
{
    g_autofree struct kvm_cpuid2 *model = NULL;
    X86CPUDef *def;
    X86CPUTopo topo = { ms->sockets, ms->cores, ms->threads };
    X86PMUConfig pmu;

    def = x86_cpu_parse(ms->cpu_model, errp);
    if (!def) {
        return false;
    }
    model = x86_cpu_build(def, &host_caps, &topo, NULL, &pmu, errp);
    x86_cpu_def_free(def);
    if (!model) {
        return false;
    }
    sev_cpuid_adjust(ms, &model);
    ms->cpus = g_new0(CPUState *, ms->smp_cpus);
    for (unsigned i = 0; i < ms->smp_cpus; i++) {
        X86CPU *cpu = g_new0(X86CPU, 1);
        CPUState *cs = &cpu->parent;

        ms->cpus[i] = cs;
        ms->nr_cpus = i + 1;
        cs->machine = ms;
        cs->cpu_index = i;
        cpu->apic_id = x86_topo_apic_id(&topo, i);
        cs->vcpu_id = cpu->apic_id;
        cpu->is_bsp = i == 0;
        cpu->boot = cpu->is_bsp ? boot : NULL;
        cpu->reset_eip = cpu->is_bsp ? 0 : sev_ap_reset_eip(ms);
        cpu->cpuid = g_memdup2(model, cpuid_size(model));
        cpu->pmu = pmu;
        x86_cpuid_set_apic_id(cpu->cpuid, cpu->apic_id);
        if (!kvm_create_vcpu(ms->kvm, cs, errp) ||
            !kvm_arch_init_vcpu(cs, errp)) {
            return false;
        }
        x86_cpu_register_vmstate(cs);
    }
    return true;
}

/* KVM_SET_MSRS of the whole list, naming the first MSR KVM refuses. */
bool x86_put_msrs(CPUState *cs, const struct kvm_msrs *msrs, GError **errp)
{
    int r = ioctl(cs->kvm_fd, KVM_SET_MSRS, msrs);

    if (r < 0) {
        error_setg_errno(errp, errno, "vCPU %d: KVM_SET_MSRS failed",
                         cs->cpu_index);
        return false;
    }
    if ((uint32_t)r < msrs->nmsrs) {
        /* KVM_SET_MSRS stops at the first MSR it refuses (api.rst 4.19) */
        uint32_t bad = msrs->entries[r].index;
        g_autofree char *name = x86_msr_name(bad);

        error_setg(errp, "KVM refused MSR %s (0x%x) = 0x%llx",
                   name ? name : "?", bad,
                   (unsigned long long)msrs->entries[r].data);
        return false;
    }
    return true;
}

/* The table's reset values: at start and at every machine reset. */
static bool put_reset_msrs(CPUState *cs, GError **errp)
{
    g_autofree struct kvm_msrs *msrs =
        x86_msr_list(&X86_CPU(cs)->pmu, &host_caps, X86_MSR_RESET);

    return x86_put_msrs(cs, msrs, errp);
}

static void flat_segment(struct kvm_segment *seg, uint16_t sel, bool code,
                         bool long_mode)
{
    *seg = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel,
        .type = code ? 0xb : 0x3,   /* exec/read or read/write, accessed */
        .present = 1, .s = 1, .g = 1,
        .db = !(code && long_mode), .l = code && long_mode,
    };
}

/* Register state for direct kernel boot (see x86-boot.h for the layout
 * the machine wrote: GDT and, for long mode, the identity map). */
static void boot_state(const X86BootEntry *b, struct kvm_regs *regs,
                       struct kvm_sregs *sregs)
{
    bool lm = b->mode == X86_BOOT_MODE_LONG64;

    flat_segment(&sregs->cs, 0x10, true, lm);
    flat_segment(&sregs->ds, 0x18, false, lm);
    sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
    sregs->gdt.base = X86_BOOT_GDT_ADDR;
    sregs->gdt.limit = 4 * 8 - 1;
    sregs->cr0 = 0x11;              /* PE | ET */
    sregs->cr4 = 0;
    sregs->efer = 0;
    if (lm) {
        sregs->cr0 |= 0x80000000;   /* PG */
        sregs->cr3 = X86_BOOT_PAGE_TABLE_ADDR;
        sregs->cr4 |= 0x20;         /* PAE */
        sregs->efer |= 0x500;       /* LME | LMA */
    }
    memset(regs, 0, sizeof(*regs));
    regs->rflags = 2;
    regs->rip = b->rip;
    regs->rax = b->rax;
    regs->rbx = b->rbx;
    regs->rsi = b->rsi;
    regs->rsp = X86_BOOT_STACK_TOP;
}

/* LAPIC register offsets (SDM vol. 3, "Local APIC Register Address Map") */
#define APIC_LVT0 0x350
#define APIC_LVT1 0x360

static void lapic_set_reg(struct kvm_lapic_state *l, unsigned off, uint32_t v)
{
    memcpy(&l->regs[off], &v, 4);
}

/* The model's PMU and the reset MSRs, for tests comparing with the guest. */
static void log_pmu(X86CPU *cpu)
{
    const X86PMUConfig *p = &cpu->pmu;
    g_autofree struct kvm_msrs *msrs =
        x86_msr_list(p, &host_caps, X86_MSR_RESET);

    qemu_log("PMU: pmu=%d pebs=%d pdcm=%d ds=%d gp=%u fixed=%u "
             "perf_caps=%llx misc_enable=%llx\n", p->pmu, p->pebs, p->pdcm,
             p->ds, p->gp_counters, p->fixed_counters,
             (unsigned long long)p->perf_caps,
             (unsigned long long)p->misc_enable);
    for (uint32_t i = 0; i < msrs->nmsrs; i++) {
        g_autofree char *name = x86_msr_name(msrs->entries[i].index);
        qemu_log("MSR %s(%x)=%llx\n", name, msrs->entries[i].index,
                 (unsigned long long)msrs->entries[i].data);
    }
}

bool kvm_arch_reset_vcpu(CPUState *cs, GError **errp)
{
    X86CPU *cpu = X86_CPU(cs);
    struct kvm_regs regs = cpu->reset_regs;
    struct kvm_sregs sregs = cpu->reset_sregs;
    struct kvm_fpu fpu = cpu->reset_fpu;
    struct kvm_lapic_state lapic = cpu->reset_lapic;
    struct kvm_vcpu_events events = { 0 };
    struct kvm_mp_state mp = {
        .mp_state = cpu->is_bsp ? KVM_MP_STATE_RUNNABLE
                                : KVM_MP_STATE_UNINITIALIZED,
    };

    if (cpu->is_bsp) {
        /* what firmware leaves on the BSP: PIC through LINT0, NMI on LINT1 */
        lapic_set_reg(&lapic, APIC_LVT0, 0x700);
        lapic_set_reg(&lapic, APIC_LVT1, 0x400);
    }
    /*
     * x87/SSE control as QEMU's x86_cpu_reset leaves them (FNINIT's FCW
     * 0x37f, MXCSR 0x1f80, SDM vol. 1, 11.6.4): KVM's own initial MXCSR is
     * not reliable (0 under some hosts), and SEV-ES measures both.
     */
    fpu.fcw = 0x37f;
    fpu.mxcsr = 0x1f80;
    if (cpu->reset_xsave) {
        /* the legacy area of the XSAVE image: FCW at byte 0, MXCSR at 24 */
        cpu->reset_xsave->region[0] = (cpu->reset_xsave->region[0] & ~0xffffu) |
                                      0x37f;
        cpu->reset_xsave->region[6] = 0x1f80;
    }
    /* EDX at reset: the processor signature (SDM vol. 3, 9.1.4) */
    {
        struct kvm_cpuid_entry2 *e = x86_cpuid_find(cpu->cpuid, 1, 0);
        regs.rdx = e ? e->eax : 0x600;
    }
    if (cpu->reset_eip) {
        /* SEV-ES AP: the firmware's reset block (QEMU's
         * sev_es_set_ap_context), real mode at CS base:IP */
        sregs.cs.selector = 0xf000;
        sregs.cs.base = cpu->reset_eip & 0xffff0000;
        regs.rip = cpu->reset_eip & 0xffff;
    }
    if (cpu->boot) {
        boot_state(cpu->boot, &regs, &sregs);
    }
    if (!VCPU_IOCTL(cs, KVM_SET_SREGS, &sregs, errp) ||
        !VCPU_IOCTL(cs, KVM_SET_REGS, &regs, errp) ||
        !VCPU_IOCTL(cs, KVM_SET_FPU, &fpu, errp) ||
        (cpu->reset_xsave &&
         !VCPU_IOCTL(cs, KVM_SET_XSAVE, cpu->reset_xsave, errp)) ||
        (cpu->has_xcrs && !VCPU_IOCTL(cs, KVM_SET_XCRS, &cpu->reset_xcrs, errp)) ||
        !put_reset_msrs(cs, errp) ||
        !VCPU_IOCTL(cs, KVM_SET_LAPIC, &lapic, errp) ||
        !VCPU_IOCTL(cs, KVM_SET_VCPU_EVENTS, &events, errp) ||
        !VCPU_IOCTL(cs, KVM_SET_MP_STATE, &mp, errp)) {
        return false;
    }
    if (qemu_loglevel_mask(LOG_CPU_RESET)) {
        qemu_log("CPU Reset (CPU %d)\n", cs->cpu_index);
        kvm_arch_dump_state(cs);
        log_pmu(cpu);
    }
    return true;
}

int kvm_arch_handle_exit(CPUState *cs, struct kvm_run *run)
{
    switch (run->exit_reason) {
    case KVM_EXIT_HLT:
        /* only without an in-kernel LAPIC, which we always have */
        return 0;
    case KVM_EXIT_DEBUG:
        return 0;
    }
    kvm_arch_dump_state(cs);
    error_report("vCPU %d: unhandled KVM exit reason %u", cs->cpu_index,
                 run->exit_reason);
    qemu_system_exit_request(cs->machine, 1);
    return -1;
}

/*
 * Some hosts' KVM (this project's CI host: a nested "kvm_pvm") sends
 * guest instructions through its emulator and refuses int3 in long mode.
 * int3 needs nothing a VMM cannot do: it is the one-byte form of INT 3,
 * so step over it and inject #BP, which the CPU then delivers through the
 * guest's IDT with RIP pointing after the int3, as a real int3 would
 * (SDM vol. 3, "Exception and Interrupt Reference", interrupt 3).
 */
bool kvm_arch_complete_emulation(CPUState *cs)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_vcpu_events events;
    struct kvm_translation tr = { 0 };
    const uint8_t *insn;

    if (ioctl(cs->kvm_fd, KVM_GET_REGS, &regs) < 0 ||
        ioctl(cs->kvm_fd, KVM_GET_SREGS, &sregs) < 0) {
        return false;
    }
    tr.linear_address = sregs.cs.base + regs.rip;
    if (ioctl(cs->kvm_fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid) {
        return false;
    }
    insn = machine_gpa_to_hva(cs->machine, tr.physical_address, 1);
    if (!insn || *insn != 0xcc) {
        return false;
    }
    if (ioctl(cs->kvm_fd, KVM_GET_VCPU_EVENTS, &events) < 0) {
        return false;
    }
    regs.rip += 1;
    events.exception.injected = 1;
    events.exception.nr = 3;                /* #BP */
    events.exception.has_error_code = 0;
    events.flags = 0;                       /* leave NMI/SIPI/SMM state alone */
    if (ioctl(cs->kvm_fd, KVM_SET_REGS, &regs) < 0 ||
        ioctl(cs->kvm_fd, KVM_SET_VCPU_EVENTS, &events) < 0) {
        return false;
    }
    qemu_log_mask(LOG_INT, "vCPU %d: completed int3 at 0x%llx for KVM\n",
                  cs->cpu_index, (unsigned long long)(regs.rip - 1));
    return true;
}

static void dump_seg(const char *name, const struct kvm_segment *s)
{
    unsigned flags = (s->type << 8) | (s->s << 12) | (s->dpl << 13) |
                     (s->present << 15) | (s->avl << 20) | (s->l << 21) |
                     (s->db << 22) | (s->g << 23);
    qemu_log("%-3s=%04x %016llx %08x %08x\n", name, s->selector,
             (unsigned long long)s->base, s->limit, flags);
}

/* QEMU's "info registers" layout, so logs compare line by line. */
void kvm_arch_dump_state(CPUState *cs)
{
    struct kvm_regs r;
    struct kvm_sregs s;

    if (ioctl(cs->kvm_fd, KVM_GET_REGS, &r) < 0 ||
        ioctl(cs->kvm_fd, KVM_GET_SREGS, &s) < 0) {
        qemu_log("vCPU %d: cannot read registers: %s\n", cs->cpu_index,
                 g_strerror(errno));
        return;
    }
#define R(x) (unsigned long long)(x)
    qemu_log("RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n"
             "RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n"
             "R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n"
             "R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n"
             "RIP=%016llx RFL=%08llx CPL=%d\n",
             R(r.rax), R(r.rbx), R(r.rcx), R(r.rdx), R(r.rsi), R(r.rdi),
             R(r.rbp), R(r.rsp), R(r.r8), R(r.r9), R(r.r10), R(r.r11),
             R(r.r12), R(r.r13), R(r.r14), R(r.r15), R(r.rip), R(r.rflags),
             s.cs.selector & 3);
    dump_seg("ES", &s.es);
    dump_seg("CS", &s.cs);
    dump_seg("SS", &s.ss);
    dump_seg("DS", &s.ds);
    dump_seg("FS", &s.fs);
    dump_seg("GS", &s.gs);
    dump_seg("LDT", &s.ldt);
    dump_seg("TR", &s.tr);
    qemu_log("GDT=     %016llx %08x\nIDT=     %016llx %08x\n"
             "CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx\n"
             "EFER=%016llx\n",
             R(s.gdt.base), s.gdt.limit, R(s.idt.base), s.idt.limit,
             R(s.cr0), R(s.cr2), R(s.cr3), R(s.cr4), R(s.efer));
#undef R
}
