/*
 * The user-mode vCPU: VM, slots, page tables, descriptor tables, stubs
 * and the register state of a 64-bit ring-3 program at its entry point.
 *
 * Guest-physical memory is two slots: the program's window at 0 (guest
 * virtual == guest physical there) and the system area right above it,
 * mapped at the top 2 MiB of the virtual address space:
 *
 *   page  contents                               guest-virtual mapping
 *   0     PML4                                   -
 *   1     PDPT for the window                    -
 *   2-4   PDPT, PD, PT for the system area       -
 *   5     GDT, TSS (+ I/O bitmap), IDT           supervisor, RW, NX
 *   6     syscall entry and exception stubs      user, read-only, X
 *   7-8   ring-0 stack for exception frames      supervisor, RW, NX
 *   9-    page directories of the window         -
 *
 * (SDM Vol. 3A: 4.5 "4-Level Paging", 3.4.5 "Segment Descriptors",
 * 6.14 "Exception and Interrupt Handling in 64-bit Mode", 8.7 "Task
 * Management in 64-bit Mode"; Vol. 2B SYSCALL/SYSRET; Vol. 1 19.5.2
 * "I/O Permission Bit Map".)
 */
#include "user/vcpu.h"
#include "user/fds.h"
#include "qemu/error-report.h"
#include "target/i386/kvm-cpuid.h"
#include "qemu/osdep.h"
#include "qemu/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define PAGE            4096ULL
#define SYS_VA          0xffffffffffe00000ULL   /* PML4/PDPT/PD index 511 */

enum {
    SYS_PML4, SYS_PDPT_LO, SYS_PDPT_HI, SYS_PD_HI, SYS_PT_HI,
    SYS_TABLES, SYS_CODE, SYS_STACK0, SYS_STACK1, SYS_PD_LO,
};

/* Offsets in the SYS_TABLES page. */
#define GDT_OFF         0x000
#define TSS_OFF         0x100
#define IDT_OFF         0x800
/* Offsets in the SYS_CODE page. */
#define SYSCALL_OFF     0x000
#define EXC_OFF         0x100
#define NR_VECTORS      32

/* The port of the stub's "out %al, imm8"; any imm8 port would do. */
#define USER_SYSCALL_PORT 0x50

/* Page-table entry bits (SDM Vol. 3A, Table 4-15..4-20). */
#define PTE_P   (1ULL << 0)
#define PTE_W   (1ULL << 1)
#define PTE_U   (1ULL << 2)
#define PTE_PS  (1ULL << 7)
#define PTE_NX  (1ULL << 63)

/* Selectors laid out as Linux's (arch/x86/include/asm/segment.h). */
#define SEL_KERNEL_CS   0x10
#define SEL_KERNEL_DS   0x18
#define SEL_USER32_CS   0x23
#define SEL_USER_DS     0x2b
#define SEL_USER_CS     0x33
#define SEL_TSS         0x40

/* Descriptor access bytes and flags nibbles (SDM Vol. 3A, 3.4.5). */
#define DESC(access, flags) \
    (0xffffULL | (0xfULL << 48) | ((uint64_t)(access) << 40) | \
     ((uint64_t)(flags) << 52))
#define FLAGS_G_L   0xa     /* 4 KiB granularity, 64-bit code */
#define FLAGS_G_DB  0xc     /* 4 KiB granularity, 32-bit */

/* Control registers and EFER (SDM Vol. 3A, 2.5; Vol. 4, Table 2-2). */
#define CR0_PE  (1ULL << 0)
#define CR0_MP  (1ULL << 1)
#define CR0_ET  (1ULL << 4)
#define CR0_NE  (1ULL << 5)
#define CR0_WP  (1ULL << 16)
#define CR0_PG  (1ULL << 31)
#define CR4_PAE         (1ULL << 5)
#define CR4_OSFXSR      (1ULL << 9)
#define CR4_OSXMMEXCPT  (1ULL << 10)
#define CR4_FSGSBASE    (1ULL << 16)
#define CR4_OSXSAVE     (1ULL << 18)
#define EFER_SCE        (1ULL << 0)
#define EFER_LME        (1ULL << 8)
#define EFER_LMA        (1ULL << 10)
#define EFER_NXE        (1ULL << 11)

#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_FMASK           0xc0000084
#define MSR_KERNEL_GS_BASE  0xc0000102
/* TF, IF, DF, IOPL, NT, AC: what Linux clears on entry (syscall_init) */
#define SYSCALL_FMASK       0x47700ULL
/* SYSRET: RFLAGS <- (R11 & 3C7FD7H) | 2 (SDM Vol. 2B SYSRET) */
#define SYSRET_RFLAGS(r11)  (((r11) & 0x3c7fd7ULL) | 2)

#define RFLAGS_IF   0x200ULL
#define RFLAGS_RSVD 0x2ULL

static const KVMCapability user_kvm_capabilities[] = {
    KVM_CAP_INFO(USER_MEMORY, "the program's memory is mapped from ours"),
    KVM_CAP_INFO(EXT_CPUID, "the program sees the host's CPUID"),
};

static uint64_t sys_va(int page, unsigned off)
{
    return SYS_VA + page * PAGE + off;
}

static void *sys_ptr(UserCPU *cpu, int page, unsigned off)
{
    return cpu->sys + page * PAGE + off;
}

static uint64_t sys_pa(UserCPU *cpu, int page)
{
    return cpu->sys_gpa + page * PAGE;
}

uint16_t user_cpu_syscall_port(void)
{
    return USER_SYSCALL_PORT;
}

uint64_t user_cpu_sys_va(void)
{
    return SYS_VA;
}

uint64_t user_cpu_syscall_exit_rip(void)
{
    return sys_va(SYS_CODE, SYSCALL_OFF);
}

int user_cpu_exception_vector(uint64_t rip)
{
    /* KVM reports HLT with RIP past the one-byte instruction */
    uint64_t first = sys_va(SYS_CODE, EXC_OFF) + 1;

    return rip >= first && rip < first + NR_VECTORS ? (int)(rip - first) : -1;
}

static void build_page_tables(UserCPU *cpu, uint64_t window)
{
    uint64_t *pml4 = sys_ptr(cpu, SYS_PML4, 0);
    uint64_t *pdpt_lo = sys_ptr(cpu, SYS_PDPT_LO, 0);
    uint64_t *pdpt_hi = sys_ptr(cpu, SYS_PDPT_HI, 0);
    uint64_t *pd_hi = sys_ptr(cpu, SYS_PD_HI, 0);
    uint64_t *pt_hi = sys_ptr(cpu, SYS_PT_HI, 0);
    uint64_t *pd_lo = sys_ptr(cpu, SYS_PD_LO, 0);
    const uint64_t dir = PTE_P | PTE_W | PTE_U;

    /* the window: 2 MiB pages, all user RWX; the host enforces the rest */
    pml4[0] = sys_pa(cpu, SYS_PDPT_LO) | dir;
    for (uint64_t i = 0; i < window / GUEST_SIZE_ALIGN; i++) {
        if (i % 512 == 0) {
            pdpt_lo[i / 512] = sys_pa(cpu, SYS_PD_LO + i / 512) | dir;
        }
        pd_lo[i] = (i * GUEST_SIZE_ALIGN) | dir | PTE_PS;
    }
    pml4[511] = sys_pa(cpu, SYS_PDPT_HI) | dir;
    pdpt_hi[511] = sys_pa(cpu, SYS_PD_HI) | dir;
    pd_hi[511] = sys_pa(cpu, SYS_PT_HI) | dir;
    pt_hi[SYS_TABLES] = sys_pa(cpu, SYS_TABLES) | PTE_P | PTE_W | PTE_NX;
    pt_hi[SYS_CODE] = sys_pa(cpu, SYS_CODE) | PTE_P | PTE_U;
    pt_hi[SYS_STACK0] = sys_pa(cpu, SYS_STACK0) | PTE_P | PTE_W | PTE_NX;
    pt_hi[SYS_STACK1] = sys_pa(cpu, SYS_STACK1) | PTE_P | PTE_W | PTE_NX;
}

/* TSS with an I/O bitmap that lets CPL 3 use the syscall port only. */
#define TSS_RSP0        4
#define TSS_IOMAP_BASE  102
#define TSS_IOMAP       104
#define TSS_IOMAP_BYTES (USER_SYSCALL_PORT / 8 + 1)
/* "an extra byte of all ones must follow the map" (Vol. 1, 19.5.2) */
#define TSS_LIMIT       (TSS_IOMAP + TSS_IOMAP_BYTES + 1 - 1)

static void build_tss(UserCPU *cpu)
{
    uint8_t *tss = sys_ptr(cpu, SYS_TABLES, TSS_OFF);
    uint64_t rsp0 = sys_va(SYS_STACK1, 0) + PAGE;
    uint16_t iomap = TSS_IOMAP;

    memcpy(tss + TSS_RSP0, &rsp0, 8);
    memcpy(tss + TSS_IOMAP_BASE, &iomap, 2);
    memset(tss + TSS_IOMAP, 0xff, TSS_IOMAP_BYTES + 1);
    tss[TSS_IOMAP + USER_SYSCALL_PORT / 8] &= ~(1u << (USER_SYSCALL_PORT % 8));
}

static void build_gdt(UserCPU *cpu)
{
    uint64_t *gdt = sys_ptr(cpu, SYS_TABLES, GDT_OFF);
    uint64_t tss = sys_va(SYS_TABLES, TSS_OFF);

    gdt[1] = DESC(0x9b, FLAGS_G_DB);            /* kernel CS, 32-bit */
    gdt[SEL_KERNEL_CS / 8] = DESC(0x9b, FLAGS_G_L);
    gdt[SEL_KERNEL_DS / 8] = DESC(0x93, FLAGS_G_DB);
    gdt[SEL_USER32_CS / 8] = DESC(0xfb, FLAGS_G_DB);
    gdt[SEL_USER_DS / 8] = DESC(0xf3, FLAGS_G_DB);
    gdt[SEL_USER_CS / 8] = DESC(0xfb, FLAGS_G_L);
    /* 16-byte 64-bit TSS descriptor, type 9 "available" (Vol. 3A, 8.2.3) */
    gdt[SEL_TSS / 8] = (TSS_LIMIT & 0xffff) | ((tss & 0xffffff) << 16) |
                       (0x89ULL << 40) | (((tss >> 24) & 0xff) << 56);
    gdt[SEL_TSS / 8 + 1] = tss >> 32;
}

/*
 * Interrupt gates to one-byte hlt stubs.  #BP and #OF have DPL 3 so that
 * int3 and into from ring 3 raise them (as on Linux); any other "int n"
 * is a #GP, which the program sees as SIGSEGV.
 */
static void build_idt(UserCPU *cpu)
{
    uint64_t *idt = sys_ptr(cpu, SYS_TABLES, IDT_OFF);
    uint8_t *code = sys_ptr(cpu, SYS_CODE, 0);

    for (int v = 0; v < NR_VECTORS; v++) {
        uint64_t h = sys_va(SYS_CODE, EXC_OFF + v);
        uint64_t dpl = (v == 3 || v == 4) ? 3 : 0;

        code[EXC_OFF + v] = 0xf4;                           /* hlt */
        idt[2 * v] = (h & 0xffff) | ((uint64_t)SEL_KERNEL_CS << 16) |
                     ((0x8eULL | dpl << 5) << 40) |
                     (((h >> 16) & 0xffff) << 48);
        idt[2 * v + 1] = h >> 32;
    }
    /* syscall entry: out %al, $port (E6 ib); sysretq (REX.W 0F 07) */
    code[SYSCALL_OFF] = 0xe6;
    code[SYSCALL_OFF + 1] = USER_SYSCALL_PORT;
    code[SYSCALL_OFF + 2] = 0x48;
    code[SYSCALL_OFF + 3] = 0x0f;
    code[SYSCALL_OFF + 4] = 0x07;
}

static bool map_slots(UserCPU *cpu, GuestMem *m, GError **errp)
{
    size_t pds = (m->size + (1ULL << 30) - 1) >> 30;

    cpu->sys_gpa = m->size;
    cpu->sys_size = (SYS_PD_LO + pds) * PAGE;
    cpu->sys = mmap(NULL, cpu->sys_size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (cpu->sys == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot allocate the system area");
        return false;
    }
    return kvm_set_user_memory(cpu->kvm, 0, m->size, m->base, errp) &&
           kvm_set_user_memory(cpu->kvm, cpu->sys_gpa, cpu->sys_size,
                               cpu->sys, errp);
}

static bool setup_cpuid(UserCPU *cpu, GError **errp)
{
    cpu->cpuid = x86_kvm_get_supported_cpuid(cpu->kvm, errp);
    if (!cpu->cpuid) {
        return false;
    }
    if (ioctl(cpu->fd, KVM_SET_CPUID2, cpu->cpuid) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_CPUID2 failed");
        return false;
    }
    return true;
}

bool user_cpu_cpuid(const UserCPU *cpu, uint32_t leaf, uint32_t index,
                    struct kvm_cpuid_entry2 *out)
{
    for (uint32_t i = 0; cpu->cpuid && i < cpu->cpuid->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &cpu->cpuid->entries[i];
        bool indexed = e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

        if (e->function == leaf && (!indexed || e->index == index)) {
            *out = *e;
            return true;
        }
    }
    return false;
}

static bool cpu_has(const UserCPU *cpu, uint32_t leaf, int reg, int bit)
{
    struct kvm_cpuid_entry2 e;
    uint32_t v[4];

    if (!user_cpu_cpuid(cpu, leaf, 0, &e)) {
        return false;
    }
    v[0] = e.eax; v[1] = e.ebx; v[2] = e.ecx; v[3] = e.edx;
    return v[reg] & (1u << bit);
}
#define R_EBX 1
#define R_ECX 2

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type,
                    bool code64)
{
    *s = (struct kvm_segment) {
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
        .present = 1, .dpl = sel & 3, .s = 1, .l = code64, .db = !code64,
        .g = 1,
    };
}

static bool setup_sregs(UserCPU *cpu, bool xsave, bool fsgsbase,
                        GError **errp)
{
    struct kvm_sregs s;

    if (ioctl(cpu->fd, KVM_GET_SREGS, &s) < 0) {
        error_setg_errno(errp, errno, "KVM_GET_SREGS failed");
        return false;
    }
    set_seg(&s.cs, SEL_USER_CS, 0xb, true);         /* code, read, accessed */
    set_seg(&s.ss, SEL_USER_DS, 0x3, false);        /* data, write, accessed */
    s.ds = s.es = s.ss;
    /* Linux starts a 64-bit program with null FS/GS selectors, base 0 */
    set_seg(&s.fs, 0, 0x3, false);
    s.fs.dpl = 3;
    s.gs = s.fs;
    s.tr = (struct kvm_segment) {
        .base = sys_va(SYS_TABLES, TSS_OFF), .limit = TSS_LIMIT,
        .selector = SEL_TSS, .type = 0xb /* busy 64-bit TSS */, .present = 1,
    };
    s.ldt = (struct kvm_segment) { .type = 2, .unusable = 1 };
    s.gdt.base = sys_va(SYS_TABLES, GDT_OFF);
    s.gdt.limit = (SEL_TSS + 16) - 1;
    s.idt.base = sys_va(SYS_TABLES, IDT_OFF);
    s.idt.limit = NR_VECTORS * 16 - 1;
    s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    s.cr3 = sys_pa(cpu, SYS_PML4);
    s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT |
            (xsave ? CR4_OSXSAVE : 0) | (fsgsbase ? CR4_FSGSBASE : 0);
    s.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
    if (ioctl(cpu->fd, KVM_SET_SREGS, &s) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_SREGS failed");
        return false;
    }
    return true;
}

static bool setup_msrs(UserCPU *cpu, GError **errp)
{
    static const uint32_t idx[] = {
        MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_FMASK, MSR_KERNEL_GS_BASE,
    };
    const uint64_t val[] = {
        /* SYSCALL: CS = 0x10, SS = 0x18; SYSRET64: CS = 0x33, SS = 0x2b */
        ((uint64_t)SEL_USER32_CS << 48) | ((uint64_t)SEL_KERNEL_CS << 32),
        user_cpu_syscall_exit_rip(), user_cpu_syscall_exit_rip(),
        SYSCALL_FMASK, 0,
    };
    g_autofree struct kvm_msrs *msrs =
        QEMU_FLEX_NEW0(struct kvm_msrs, entries, G_N_ELEMENTS(idx));

    msrs->nmsrs = G_N_ELEMENTS(idx);
    for (size_t i = 0; i < G_N_ELEMENTS(idx); i++) {
        msrs->entries[i].index = idx[i];
        msrs->entries[i].data = val[i];
    }
    if (ioctl(cpu->fd, KVM_SET_MSRS, msrs) != (int)G_N_ELEMENTS(idx)) {
        error_setg(errp, "KVM_SET_MSRS failed for the SYSCALL MSRs");
        return false;
    }
    return true;
}

/* Enable every state component the CPU supports, as Linux does. */
static void setup_xcr0(UserCPU *cpu)
{
    struct kvm_cpuid_entry2 e;
    struct kvm_xcrs xcrs = { .nr_xcrs = 1 };

    if (!kvm_check_extension(cpu->kvm, KVM_CAP_XCRS) ||
        !user_cpu_cpuid(cpu, 0xd, 0, &e)) {
        return;
    }
    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = ((uint64_t)e.edx << 32) | e.eax;
    if (ioctl(cpu->fd, KVM_SET_XCRS, &xcrs) < 0) {
        warn_report("KVM_SET_XCRS 0x%" G_GINT64_MODIFIER "x failed: %s",
                    (uint64_t)xcrs.xcrs[0].value, g_strerror(errno));
    }
}

static bool setup_regs(UserCPU *cpu, uint64_t entry, uint64_t sp,
                       GError **errp)
{
    /* ELF_PLAT_INIT: every general register zero, RDX = 0 (no rtld_fini) */
    struct kvm_regs r = {
        .rip = entry, .rsp = sp, .rflags = RFLAGS_RSVD | RFLAGS_IF,
    };

    if (ioctl(cpu->fd, KVM_SET_REGS, &r) < 0) {
        error_setg_errno(errp, errno, "KVM_SET_REGS failed");
        return false;
    }
    return true;
}

bool user_cpu_init(UserCPU *cpu, GuestMem *m, uint64_t entry, uint64_t sp,
                   GError **errp)
{
    bool xsave, fsgsbase;

    memset(cpu, 0, sizeof(*cpu));
    cpu->syscall_cpl3 = -1;
    cpu->kvm = kvm_state_new("/dev/kvm", errp);
    if (!cpu->kvm ||
        !kvm_require_capabilities(cpu->kvm, user_kvm_capabilities,
                                  G_N_ELEMENTS(user_kvm_capabilities), errp)) {
        return false;
    }
    cpu->kvm->fd = user_fd_reserve(cpu->kvm->fd);
    cpu->kvm->vmfd = user_fd_reserve(cpu->kvm->vmfd);
    if (!map_slots(cpu, m, errp)) {
        return false;
    }
    build_page_tables(cpu, m->size);
    build_tss(cpu);
    build_gdt(cpu);
    build_idt(cpu);
    cpu->fd = kvm_vcpu_open(cpu->kvm, 0, &cpu->run, errp);
    if (cpu->fd < 0) {
        return false;
    }
    cpu->fd = user_fd_reserve(cpu->fd);
    if (!setup_cpuid(cpu, errp)) {
        return false;
    }
    xsave = cpu_has(cpu, 1, R_ECX, 26);             /* CPUID.01H:ECX.XSAVE */
    fsgsbase = cpu_has(cpu, 7, R_EBX, 0);           /* CPUID.07H:EBX.FSGSBASE */
    if (!setup_sregs(cpu, xsave, fsgsbase, errp) || !setup_msrs(cpu, errp)) {
        return false;
    }
    if (xsave) {
        setup_xcr0(cpu);
    }
    cpu->sync_regs = kvm_check_extension(cpu->kvm, KVM_CAP_SYNC_REGS) &
                     KVM_SYNC_X86_REGS;
    if (cpu->sync_regs) {
        cpu->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    }
    return setup_regs(cpu, entry, sp, errp);
}

struct kvm_regs *user_cpu_regs(UserCPU *cpu)
{
    if (cpu->sync_regs) {
        return &cpu->run->s.regs.regs;
    }
    if (ioctl(cpu->fd, KVM_GET_REGS, &cpu->regs) < 0) {
        error_report("KVM_GET_REGS failed: %s", g_strerror(errno));
        exit(1);
    }
    return &cpu->regs;
}

void user_cpu_regs_dirty(UserCPU *cpu)
{
    if (cpu->sync_regs) {
        cpu->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
    } else if (ioctl(cpu->fd, KVM_SET_REGS, &cpu->regs) < 0) {
        error_report("KVM_SET_REGS failed: %s", g_strerror(errno));
        exit(1);
    }
}

bool user_cpu_get_sregs(UserCPU *cpu, struct kvm_sregs *sregs)
{
    return ioctl(cpu->fd, KVM_GET_SREGS, sregs) == 0;
}

void user_cpu_syscall_return(UserCPU *cpu, struct kvm_regs *r,
                             uint64_t result)
{
    if (cpu->syscall_cpl3 < 0) {
        struct kvm_sregs s;
        /* decided once: where did this KVM run the stub? */
        cpu->syscall_cpl3 = user_cpu_get_sregs(cpu, &s) &&
                            (s.cs.selector & 3) == 3;
        qemu_log_mask(LOG_INT, "syscall entry stub runs at CPL %d\n",
                      cpu->syscall_cpl3 ? 3 : 0);
    }
    r->rax = result;
    if (cpu->syscall_cpl3) {
        /* do what the stub's sysretq would (SDM Vol. 2B SYSRET) */
        r->rip = r->rcx;
        r->rflags = SYSRET_RFLAGS(r->r11);
    }
    user_cpu_regs_dirty(cpu);
}
