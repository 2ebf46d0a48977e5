/*
 * x86 state for save/restore under KVM: each vCPU (registers, FPU/XSAVE,
 * XCRs, LAPIC, MP state, pending events, debug registers, the MSR
 * table's saved set) and the VM's in-kernel irqchip (PIC, IOAPIC), PIT
 * and kvmclock.  The ioctls: Linux Documentation/virt/kvm/api.rst.
 *
 * The KVM structs are written as they are (x86 is little-endian), each
 * with its size, so a different struct layout is refused.
 */
#include "kvm_i386.h"
#include "msr.h"
#include "hw/boards.h"
#include "migration/vmstate.h"
#include "system/kvm.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

/* a saved struct: u32 size, then its bytes */
static void put_struct(GByteArray *out, const void *p, size_t n)
{
    vms_put_u32(out, n);
    vms_put_bytes(out, p, n);
}

static bool get_struct(VMLoad *in, void *p, size_t n, const char *what,
                       GError **errp)
{
    uint32_t size = vms_get_u32(in);

    if (!in->short_read && size != n) {
        error_setg(errp, "%s is %u bytes, this qkvm's is %zu", what, size, n);
        return false;
    }
    vms_get_bytes(in, p, n);
    return true;
}

/* ioctl failures while saving: the stream is then useless, say so loudly */
static void save_ioctl(int fd, unsigned long req, void *arg, const char *name,
                       int cpu)
{
    if (ioctl(fd, req, arg) < 0) {
        error_report("vCPU %d: %s failed while saving: %s", cpu, name,
                     g_strerror(errno));
    }
}
#define SAVE_IOCTL(fd, req, arg, cpu) save_ioctl(fd, req, arg, #req, cpu)

typedef struct X86VCPUState {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_xcrs xcrs;
    struct kvm_lapic_state lapic;
    struct kvm_mp_state mp;
    struct kvm_vcpu_events events;
    struct kvm_debugregs dregs;
    struct kvm_msrs *msrs;
} X86VCPUState;

/*
 * The XSAVE area: struct kvm_xsave's 4 KiB, or more with AMX and the like
 * (api.rst KVM_CAP_XSAVE2 / KVM_GET_XSAVE2: the size this VM needs).
 */
static size_t xsave_size(CPUState *cs, bool *xsave2)
{
    int r = kvm_check_extension(cs->machine->kvm, KVM_CAP_XSAVE2);

    *xsave2 = r > 0;
    return MAX((size_t)MAX(r, 0), sizeof(struct kvm_xsave));
}

static void cpu_save(void *opaque, GByteArray *out)
{
    CPUState *cs = opaque;
    X86CPU *cpu = X86_CPU(cs);
    int fd = cs->kvm_fd, i = cs->cpu_index;
    g_autofree X86VCPUState *st = g_new0(X86VCPUState, 1);
    g_autofree struct kvm_msrs *msrs =
        x86_msr_list(&cpu->pmu, x86_kvm_host_caps(), X86_MSR_SAVE);
    bool xsave2;
    size_t xsize = xsave_size(cs, &xsave2);
    g_autofree uint8_t *xsave = g_malloc0(xsize);
    int r;

    /* never run (-S): its state is the reset one, not KVM's creation one */
    if (cs->reset_pending) {
        g_autoptr(GError) err = NULL;
        if (kvm_arch_reset_vcpu(cs, &err)) {
            cs->reset_pending = false;
        } else {
            error_report("vCPU %d: reset before saving: %s", i, err->message);
        }
    }
    /* the -cpu this state belongs to: the destination must have the same */
    put_struct(out, cpu->cpuid->entries,
               cpu->cpuid->nent * sizeof(cpu->cpuid->entries[0]));
    SAVE_IOCTL(fd, KVM_GET_REGS, &st->regs, i);
    SAVE_IOCTL(fd, KVM_GET_SREGS, &st->sregs, i);
    SAVE_IOCTL(fd, KVM_GET_FPU, &st->fpu, i);
    if (cpu->reset_xsave && xsave2) {
        SAVE_IOCTL(fd, KVM_GET_XSAVE2, xsave, i);
    } else if (cpu->reset_xsave) {
        SAVE_IOCTL(fd, KVM_GET_XSAVE, xsave, i);
    }
    if (cpu->has_xcrs) {
        SAVE_IOCTL(fd, KVM_GET_XCRS, &st->xcrs, i);
    }
    SAVE_IOCTL(fd, KVM_GET_LAPIC, &st->lapic, i);
    SAVE_IOCTL(fd, KVM_GET_MP_STATE, &st->mp, i);
    SAVE_IOCTL(fd, KVM_GET_VCPU_EVENTS, &st->events, i);
    SAVE_IOCTL(fd, KVM_GET_DEBUGREGS, &st->dregs, i);
    r = ioctl(fd, KVM_GET_MSRS, msrs);
    if (r < 0 || (uint32_t)r != msrs->nmsrs) {
        error_report("vCPU %d: KVM_GET_MSRS read %d of %u MSRs while saving",
                     i, r, msrs->nmsrs);
    }
    put_struct(out, &st->regs, sizeof(st->regs));
    put_struct(out, &st->sregs, sizeof(st->sregs));
    put_struct(out, &st->fpu, sizeof(st->fpu));
    vms_put_u8(out, cpu->reset_xsave != NULL);
    put_struct(out, xsave, xsize);
    vms_put_u8(out, cpu->has_xcrs);
    put_struct(out, &st->xcrs, sizeof(st->xcrs));
    put_struct(out, &st->lapic, sizeof(st->lapic));
    put_struct(out, &st->mp, sizeof(st->mp));
    put_struct(out, &st->events, sizeof(st->events));
    put_struct(out, &st->dregs, sizeof(st->dregs));
    vms_put_u32(out, msrs->nmsrs);
    for (uint32_t m = 0; m < msrs->nmsrs; m++) {
        vms_put_u32(out, msrs->entries[m].index);
        vms_put_u64(out, msrs->entries[m].data);
    }
}

static bool cpu_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    CPUState *cs = opaque;
    X86CPU *cpu = X86_CPU(cs);
    g_autofree X86VCPUState *st = g_new0(X86VCPUState, 1);
    g_autofree struct kvm_cpuid_entry2 *cpuid =
        g_new0(struct kvm_cpuid_entry2, cpu->cpuid->nent);
    g_autofree struct kvm_msrs *saved = NULL;
    g_autofree struct kvm_msrs *put = NULL;
    bool had_xsave, had_xcrs, xsave2;
    size_t xsize = xsave_size(cs, &xsave2);
    g_autofree uint8_t *xsave = g_malloc0(xsize);
    uint32_t nmsrs;

    if (!get_struct(in, cpuid, cpu->cpuid->nent * sizeof(*cpuid), "CPUID",
                    errp) ||
        (!in->short_read && memcmp(cpuid, cpu->cpuid->entries,
                                   cpu->cpuid->nent * sizeof(*cpuid)))) {
        g_clear_error(errp);
        error_setg(errp, "the saved vCPU has a different CPUID (-cpu must "
                   "match the source's)");
        return false;
    }
    if (!get_struct(in, &st->regs, sizeof(st->regs), "kvm_regs", errp) ||
        !get_struct(in, &st->sregs, sizeof(st->sregs), "kvm_sregs", errp) ||
        !get_struct(in, &st->fpu, sizeof(st->fpu), "kvm_fpu", errp)) {
        return false;
    }
    had_xsave = vms_get_bool(in);
    if (!get_struct(in, xsave, xsize, "the XSAVE area", errp)) {
        return false;
    }
    had_xcrs = vms_get_bool(in);
    if (!get_struct(in, &st->xcrs, sizeof(st->xcrs), "kvm_xcrs", errp) ||
        !get_struct(in, &st->lapic, sizeof(st->lapic), "kvm_lapic_state",
                    errp) ||
        !get_struct(in, &st->mp, sizeof(st->mp), "kvm_mp_state", errp) ||
        !get_struct(in, &st->events, sizeof(st->events), "kvm_vcpu_events",
                    errp) ||
        !get_struct(in, &st->dregs, sizeof(st->dregs), "kvm_debugregs",
                    errp)) {
        return false;
    }
    nmsrs = vms_get_u32(in);
    if (nmsrs > in->len / 12) {
        error_setg(errp, "%u MSRs cannot fit in the section", nmsrs);
        return false;
    }
    saved = QEMU_FLEX_NEW0(struct kvm_msrs, entries, nmsrs);
    saved->nmsrs = nmsrs;
    for (uint32_t m = 0; m < nmsrs; m++) {
        saved->entries[m].index = vms_get_u32(in);
        saved->entries[m].data = vms_get_u64(in);
    }
    if (!vms_load_done(in, "vCPU", errp)) {
        return false;
    }
    if (had_xsave != (cpu->reset_xsave != NULL) || had_xcrs != cpu->has_xcrs) {
        error_setg(errp, "XSAVE/XCR support differs from the source host's");
        return false;
    }
    put = x86_msr_restore_list(saved, &cpu->pmu, x86_kvm_host_caps(), errp);
    if (!put) {
        return false;
    }
    if (!apply) {
        return true;
    }
    /* restore all of NMI and SIPI state too (api.rst, KVM_SET_VCPU_EVENTS) */
    st->events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING |
                        KVM_VCPUEVENT_VALID_SIPI_VECTOR;
#define PUT(req, arg) \
    if (ioctl(cs->kvm_fd, req, arg) < 0) { \
        error_setg_errno(errp, errno, "vCPU %d: " #req " failed", \
                         cs->cpu_index); \
        return false; \
    }
    PUT(KVM_SET_SREGS, &st->sregs);
    PUT(KVM_SET_REGS, &st->regs);
    if (had_xsave) {
        PUT(KVM_SET_XSAVE, xsave);      /* takes the XSAVE2 size too */
    } else {
        PUT(KVM_SET_FPU, &st->fpu);
    }
    if (had_xcrs) {
        PUT(KVM_SET_XCRS, &st->xcrs);
    }
#undef PUT
    if (!x86_put_msrs(cs, put, errp)) {
        return false;
    }
#define PUT(req, arg) \
    if (ioctl(cs->kvm_fd, req, arg) < 0) { \
        error_setg_errno(errp, errno, "vCPU %d: " #req " failed", \
                         cs->cpu_index); \
        return false; \
    }
    PUT(KVM_SET_LAPIC, &st->lapic);
    PUT(KVM_SET_VCPU_EVENTS, &st->events);
    PUT(KVM_SET_MP_STATE, &st->mp);
    PUT(KVM_SET_DEBUGREGS, &st->dregs);
#undef PUT
    cs->reset_pending = false;      /* this state replaces the reset one */
    return true;
}

void x86_cpu_register_vmstate(CPUState *cs)
{
    vmstate_register(cs->machine, "cpu", cs->cpu_index, 1, cpu_save,
                     cpu_load, cs);
}

/* ---- the VM: PIC master/slave, IOAPIC, PIT, kvmclock ---------------- */

static const int irqchips[] = {
    KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_IOAPIC,
};

static void vm_save(void *opaque, GByteArray *out)
{
    MachineState *ms = opaque;
    int fd = ms->kvm->vmfd;
    struct kvm_pit_state2 pit = { 0 };
    struct kvm_clock_data clock = { 0 };

    for (size_t i = 0; i < G_N_ELEMENTS(irqchips); i++) {
        struct kvm_irqchip chip = { .chip_id = irqchips[i] };
        SAVE_IOCTL(fd, KVM_GET_IRQCHIP, &chip, -1);
        put_struct(out, &chip, sizeof(chip));
    }
    SAVE_IOCTL(fd, KVM_GET_PIT2, &pit, -1);
    put_struct(out, &pit, sizeof(pit));
    if (ms->kvm->stopped_clock_valid) {
        clock.clock = ms->kvm->stopped_clock;  /* guest time at the stop */
    } else {
        SAVE_IOCTL(fd, KVM_GET_CLOCK, &clock, -1);
    }
    vms_put_u64(out, clock.clock);
}

static bool vm_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    MachineState *ms = opaque;
    struct kvm_irqchip chips[G_N_ELEMENTS(irqchips)];
    struct kvm_pit_state2 pit;
    struct kvm_clock_data clock = { 0 };

    for (size_t i = 0; i < G_N_ELEMENTS(irqchips); i++) {
        if (!get_struct(in, &chips[i], sizeof(chips[i]), "kvm_irqchip",
                        errp)) {
            return false;
        }
        if (!in->short_read && chips[i].chip_id != (uint32_t)irqchips[i]) {
            error_setg(errp, "irqchip %zu has chip id %u", i,
                       chips[i].chip_id);
            return false;
        }
    }
    if (!get_struct(in, &pit, sizeof(pit), "kvm_pit_state2", errp)) {
        return false;
    }
    clock.clock = vms_get_u64(in);
    if (!vms_load_done(in, "irqchip", errp)) {
        return false;
    }
    if (!apply) {
        return true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(irqchips); i++) {
        if (ioctl(ms->kvm->vmfd, KVM_SET_IRQCHIP, &chips[i]) < 0) {
            error_setg_errno(errp, errno, "KVM_SET_IRQCHIP failed");
            return false;
        }
    }
    if (ioctl(ms->kvm->vmfd, KVM_SET_PIT2, &pit) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_PIT2 failed");
        return false;
    }
    /* kvmclock goes on from the saved value (the guest sees no jump),
     * also if the machine stays stopped for a while before it starts */
    if (ioctl(ms->kvm->vmfd, KVM_SET_CLOCK, &clock) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_CLOCK failed");
        return false;
    }
    ms->kvm->stopped_clock = clock.clock;
    ms->kvm->stopped_clock_valid = true;
    return true;
}

void x86_vm_register_vmstate(MachineState *ms)
{
    vmstate_register(ms, "kvm-irqchip", 0, 1, vm_save, vm_load, ms);
}
