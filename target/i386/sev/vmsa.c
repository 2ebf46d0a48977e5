/*
 * The SEV-ES VM save area (VMSA) of a vCPU.
 *
 * Offsets are those of AMD APM vol. 2, Appendix B, Table B-4 ("VMSA
 * layout, state save area for SEV-ES"), as Linux's struct
 * sev_es_save_area (arch/x86/include/asm/svm.h) declares them; the
 * structure is 0x670 bytes and the rest of the page is zero.
 */
#include "qemu/bswap.h"
#include "target/i386/sev/sev-measure.h"

#include <string.h>

/* Table B-4: ten segment registers of 16 bytes from offset 0 */
#define VMSA_ES             0x000
#define VMSA_CS             0x010
#define VMSA_SS             0x020
#define VMSA_DS             0x030
#define VMSA_FS             0x040
#define VMSA_GS             0x050
#define VMSA_GDTR           0x060
#define VMSA_LDTR           0x070
#define VMSA_IDTR           0x080
#define VMSA_TR             0x090
#define VMSA_CPL            0x0cb
#define VMSA_EFER           0x0d0
#define VMSA_XSS            0x140
#define VMSA_CR4            0x148
#define VMSA_CR3            0x150
#define VMSA_CR0            0x158
#define VMSA_DR7            0x160
#define VMSA_DR6            0x168
#define VMSA_RFLAGS         0x170
#define VMSA_RIP            0x178
#define VMSA_RSP            0x1d8
#define VMSA_RAX            0x1f8
#define VMSA_STAR           0x200
#define VMSA_LSTAR          0x208
#define VMSA_CSTAR          0x210
#define VMSA_SFMASK         0x218
#define VMSA_KERNEL_GS_BASE 0x220
#define VMSA_SYSENTER_CS    0x228
#define VMSA_SYSENTER_ESP   0x230
#define VMSA_SYSENTER_EIP   0x238
#define VMSA_CR2            0x240
#define VMSA_G_PAT          0x268
#define VMSA_DBGCTL         0x270
#define VMSA_PKRU           0x2e8
#define VMSA_TSC_AUX        0x2ec
#define VMSA_RCX            0x308
#define VMSA_RDX            0x310
#define VMSA_RBX            0x318
#define VMSA_RBP            0x328   /* 0x320 is reserved: RSP is at 0x1d8 */
#define VMSA_RSI            0x330
#define VMSA_RDI            0x338
#define VMSA_R8             0x340   /* r8..r15 follow, 8 bytes apart */
#define VMSA_SEV_FEATURES   0x3b0
#define VMSA_XCR0           0x3e8
/* Floating point area */
#define VMSA_X87_DP         0x400
#define VMSA_MXCSR          0x408
#define VMSA_X87_FTW        0x40c
#define VMSA_X87_FSW        0x40e
#define VMSA_X87_FCW        0x410
#define VMSA_X87_FOP        0x412
#define VMSA_X87_DS         0x414
#define VMSA_X87_CS         0x416
#define VMSA_X87_RIP        0x418
#define VMSA_FPREG_X87      0x420
#define VMSA_FPREG_XMM      0x470
#define VMSA_FPREG_YMM      0x570
#define VMSA_END            0x670   /* EXPECTED_SEV_ES_SAVE_AREA_SIZE */

/* VMCB segment attributes (APM vol. 2, Table B-2; Linux SVM_SELECTOR_*) */
#define SEG_ATTR_S          (1 << 4)
#define SEG_ATTR_DPL_SHIFT  5
#define SEG_ATTR_P          (1 << 7)
#define SEG_ATTR_AVL        (1 << 8)
#define SEG_ATTR_L          (1 << 9)
#define SEG_ATTR_DB         (1 << 10)
#define SEG_ATTR_G          (1 << 11)

#define CR0_NW              (1ull << 29)
#define CR0_CD              (1ull << 30)
#define CR4_MCE             (1ull << 6)
#define EFER_SVME           (1ull << 12)

static void put_seg(uint8_t *page, unsigned off, const SevSegment *s)
{
    stw_le_p(page + off, s->selector);
    stw_le_p(page + off + 2, s->attrib);
    stl_le_p(page + off + 4, s->limit);
    stq_le_p(page + off + 8, s->base);
}

static void put_segments(uint8_t *page, const SevVmsaRegs *r)
{
    put_seg(page, VMSA_ES, &r->es);
    put_seg(page, VMSA_CS, &r->cs);
    put_seg(page, VMSA_SS, &r->ss);
    put_seg(page, VMSA_DS, &r->ds);
    put_seg(page, VMSA_FS, &r->fs);
    put_seg(page, VMSA_GS, &r->gs);
    put_seg(page, VMSA_GDTR, &r->gdtr);
    put_seg(page, VMSA_LDTR, &r->ldtr);
    put_seg(page, VMSA_IDTR, &r->idtr);
    put_seg(page, VMSA_TR, &r->tr);
}

static void put_control(uint8_t *page, const SevVmsaRegs *r)
{
    page[VMSA_CPL] = r->cpl;
    stq_le_p(page + VMSA_EFER, r->efer);
    stq_le_p(page + VMSA_XSS, r->xss);
    stq_le_p(page + VMSA_CR4, r->cr4);
    stq_le_p(page + VMSA_CR3, r->cr3);
    stq_le_p(page + VMSA_CR0, r->cr0);
    stq_le_p(page + VMSA_DR7, r->dr7);
    stq_le_p(page + VMSA_DR6, r->dr6);
    stq_le_p(page + VMSA_RFLAGS, r->rflags);
    stq_le_p(page + VMSA_RIP, r->rip);
    stq_le_p(page + VMSA_CR2, r->cr2);
    stq_le_p(page + VMSA_G_PAT, r->g_pat);
    stq_le_p(page + VMSA_DBGCTL, r->dbgctl);
    stl_le_p(page + VMSA_PKRU, r->pkru);
    stl_le_p(page + VMSA_TSC_AUX, r->tsc_aux);
    stq_le_p(page + VMSA_SEV_FEATURES, r->sev_features);
    stq_le_p(page + VMSA_XCR0, r->xcr0);
}

static void put_msrs(uint8_t *page, const SevVmsaRegs *r)
{
    stq_le_p(page + VMSA_STAR, r->star);
    stq_le_p(page + VMSA_LSTAR, r->lstar);
    stq_le_p(page + VMSA_CSTAR, r->cstar);
    stq_le_p(page + VMSA_SFMASK, r->sfmask);
    stq_le_p(page + VMSA_KERNEL_GS_BASE, r->kernel_gs_base);
    stq_le_p(page + VMSA_SYSENTER_CS, r->sysenter_cs);
    stq_le_p(page + VMSA_SYSENTER_ESP, r->sysenter_esp);
    stq_le_p(page + VMSA_SYSENTER_EIP, r->sysenter_eip);
}

static void put_gprs(uint8_t *page, const SevVmsaRegs *r)
{
    const uint64_t hi[8] = {
        r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15
    };

    stq_le_p(page + VMSA_RAX, r->rax);
    stq_le_p(page + VMSA_RSP, r->rsp);
    stq_le_p(page + VMSA_RCX, r->rcx);
    stq_le_p(page + VMSA_RDX, r->rdx);
    stq_le_p(page + VMSA_RBX, r->rbx);
    stq_le_p(page + VMSA_RBP, r->rbp);
    stq_le_p(page + VMSA_RSI, r->rsi);
    stq_le_p(page + VMSA_RDI, r->rdi);
    for (unsigned i = 0; i < G_N_ELEMENTS(hi); i++) {
        stq_le_p(page + VMSA_R8 + 8 * i, hi[i]);
    }
}

static void put_fpu(uint8_t *page, const SevVmsaRegs *r)
{
    stq_le_p(page + VMSA_X87_DP, r->x87_dp);
    stl_le_p(page + VMSA_MXCSR, r->mxcsr);
    stw_le_p(page + VMSA_X87_FTW, r->x87_ftw);
    stw_le_p(page + VMSA_X87_FSW, r->x87_fsw);
    stw_le_p(page + VMSA_X87_FCW, r->x87_fcw);
    stw_le_p(page + VMSA_X87_FOP, r->x87_fop);
    stw_le_p(page + VMSA_X87_DS, r->x87_ds);
    stw_le_p(page + VMSA_X87_CS, r->x87_cs);
    stq_le_p(page + VMSA_X87_RIP, r->x87_rip);
    memcpy(page + VMSA_FPREG_X87, r->fpreg_x87, sizeof(r->fpreg_x87));
    memcpy(page + VMSA_FPREG_XMM, r->fpreg_xmm, sizeof(r->fpreg_xmm));
    memcpy(page + VMSA_FPREG_YMM, r->fpreg_ymm, sizeof(r->fpreg_ymm));
}

void sev_vmsa_build(const SevVmsaRegs *regs, uint8_t page[SEV_VMSA_SIZE])
{
    G_STATIC_ASSERT(VMSA_FPREG_YMM + 256 == VMSA_END);

    memset(page, 0, SEV_VMSA_SIZE);
    put_segments(page, regs);
    put_control(page, regs);
    put_msrs(page, regs);
    put_gprs(page, regs);
    put_fpu(page, regs);
}

static SevSegment seg(uint16_t selector, uint16_t attrib, uint64_t base)
{
    return (SevSegment) {
        .selector = selector, .attrib = attrib, .limit = 0xffff, .base = base,
    };
}

/*
 * Real-mode reset state (APM vol. 2, Table 14-1 "Initial Processor
 * State") as QEMU sets it and KVM's VMCB shows it.  Attributes in VMCB
 * form: 0x93 data read/write accessed present, 0x9b code execute/read
 * accessed, 0x82 LDT, 0x8b busy 32-bit TSS.
 */
void sev_vmsa_reset_regs(SevVmsaRegs *r, uint32_t eip, uint32_t vcpu_sig,
                         SevVmmType vmm)
{
    bool ec2 = vmm == SEV_VMM_EC2;
    uint16_t cs_attr = ec2 && eip == SEV_BSP_RESET_EIP ? 0x9a : 0x9b;

    memset(r, 0, sizeof(*r));
    r->es = r->ds = r->fs = r->gs = seg(0, 0x93, 0);
    r->cs = seg(0xf000, cs_attr, eip & 0xffff0000);
    r->ss = seg(0, ec2 ? 0x92 : 0x93, 0);
    r->gdtr = r->idtr = seg(0, 0, 0);
    r->ldtr = seg(0, 0x82, 0);
    r->tr = seg(0, ec2 ? 0x83 : 0x8b, 0);
    r->efer = EFER_SVME;            /* KVM sets SVME in the guest's EFER */
    r->cr4 = CR4_MCE;               /* and the host's CR4.MCE */
    r->cr0 = 0x10;                  /* ET; CD/NW cleared by KVM's quirk */
    r->dr7 = 0x400;                 /* APM vol. 2, Table 14-1: DR7 */
    r->dr6 = 0xffff0ff0;            /* APM vol. 2, Table 14-1: DR6 */
    r->rflags = 0x2;                /* bit 1 reads as one */
    r->rip = eip & 0xffff;
    r->g_pat = 0x0007040600070406ull;   /* APM vol. 2, A.3: PAT reset */
    r->rdx = ec2 ? 0 : vcpu_sig;    /* EDX holds CPUID.1:EAX at reset */
    r->xcr0 = 0x1;                  /* x87 only (XCR0 reset value) */
    if (vmm == SEV_VMM_QEMU) {
        r->x87_fcw = 0x37f;         /* FNINIT control word */
        r->mxcsr = 0x1f80;          /* MXCSR reset value */
    }
}

SevSegment sev_segment_from_kvm(const struct kvm_segment *k)
{
    SevSegment s = {
        .selector = k->selector, .limit = k->limit, .base = k->base,
    };

    s.attrib = (k->type & 0xf) | (k->s ? SEG_ATTR_S : 0) |
               (k->dpl & 3) << SEG_ATTR_DPL_SHIFT |
               (k->present && !k->unusable ? SEG_ATTR_P : 0) |
               (k->avl ? SEG_ATTR_AVL : 0) | (k->l ? SEG_ATTR_L : 0) |
               (k->db ? SEG_ATTR_DB : 0) | (k->g ? SEG_ATTR_G : 0);
    return s;
}

static SevSegment dtable(const struct kvm_dtable *d)
{
    return (SevSegment) { .limit = d->limit, .base = d->base };
}

void sev_vmsa_regs_from_kvm(SevVmsaRegs *regs, const struct kvm_regs *r,
                            const struct kvm_sregs *s)
{
    regs->rax = r->rax;
    regs->rbx = r->rbx;
    regs->rcx = r->rcx;
    regs->rdx = r->rdx;
    regs->rsi = r->rsi;
    regs->rdi = r->rdi;
    regs->rsp = r->rsp;
    regs->rbp = r->rbp;
    regs->r8 = r->r8;
    regs->r9 = r->r9;
    regs->r10 = r->r10;
    regs->r11 = r->r11;
    regs->r12 = r->r12;
    regs->r13 = r->r13;
    regs->r14 = r->r14;
    regs->r15 = r->r15;
    regs->rip = r->rip;
    regs->rflags = r->rflags;

    regs->es = sev_segment_from_kvm(&s->es);
    regs->cs = sev_segment_from_kvm(&s->cs);
    regs->ss = sev_segment_from_kvm(&s->ss);
    regs->ds = sev_segment_from_kvm(&s->ds);
    regs->fs = sev_segment_from_kvm(&s->fs);
    regs->gs = sev_segment_from_kvm(&s->gs);
    regs->ldtr = sev_segment_from_kvm(&s->ldt);
    regs->tr = sev_segment_from_kvm(&s->tr);
    regs->gdtr = dtable(&s->gdt);
    regs->idtr = dtable(&s->idt);
    regs->cpl = s->ss.dpl & 3;

    regs->cr0 = s->cr0 & ~(CR0_CD | CR0_NW);
    regs->cr2 = s->cr2;
    regs->cr3 = s->cr3;
    regs->cr4 = s->cr4 | CR4_MCE;
    regs->efer = s->efer | EFER_SVME;
}
