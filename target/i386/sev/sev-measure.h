/*
 * SEV / SEV-ES launch measurement: the pieces a VMM, a simulated SEV
 * firmware and an offline predictor (tools/qkvm-sev-measure) share.
 *
 *   ovmf.c        OVMF reset-vector footer table ("GUIDed table")
 *   vmsa.c        the 4 KiB VMSA page of a vCPU (SEV-ES)
 *   sev-hashes.c  the kernel/initrd/cmdline hashes table (-kernel)
 *   cpu-sig.c     CPUID.1:EAX signatures of the vCPU types
 *   measure.c     GCTX.LD, LAUNCH_MEASURE and the whole launch digest
 *
 * Pure functions over byte buffers: no KVM, no guest memory, no state
 * beyond what a caller holds.  Multi-byte fields are little-endian as
 * the firmware sees them, whatever the host.
 */
#ifndef TARGET_I386_SEV_MEASURE_H
#define TARGET_I386_SEV_MEASURE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* SHA-256: GCTX.LD and the launch measurement (SEV API #55766, 6.5.1) */
#define SEV_DIGEST_SIZE         32
/* GCTX.TIK: 128 bits (SEV API 6.2 LAUNCH_START, session's TEK || TIK) */
#define SEV_TIK_SIZE            16
/* MNONCE of the LAUNCH_MEASURE measurement buffer (SEV API Table 52) */
#define SEV_MNONCE_SIZE         16
/* LAUNCH_MEASURE measurement buffer: MEASURE || MNONCE (Table 52) */
#define SEV_MEASURE_BUF_SIZE    (SEV_DIGEST_SIZE + SEV_MNONCE_SIZE)
/* The VMSA is one 4 KiB page (AMD APM vol. 2, 15.35 "SEV-ES") */
#define SEV_VMSA_SIZE           4096
/* The BSP starts at the reset vector (APM vol. 2, Table 14-1: CS:RIP) */
#define SEV_BSP_RESET_EIP       0xfffffff0u

typedef enum SevMode {
    SEV_MODE_SEV,
    SEV_MODE_SEV_ES,
} SevMode;

/*
 * How the VMM sets up the initial register state; it changes the VMSA.
 * QEMU: what QEMU + KVM produce (sev-snp-measure's default).  EC2: the
 * variant sev-snp-measure calls "ec2" (other segment attributes, EDX and
 * the x87/SSE control words left zero).
 */
typedef enum SevVmmType {
    SEV_VMM_QEMU,
    SEV_VMM_EC2,
    /*
     * QEMU (or qkvm) on the legacy VM type (KVM_X86_DEFAULT_VM, set up
     * with KVM_SEV_ES_INIT): KVM's sev_es_sync_vmsa() copies the x87/SSE
     * state into the VMSA only for the KVM_SEV_INIT2 VM types, so FCW
     * and MXCSR stay zero ("to avoid breaking older measurements").
     */
    SEV_VMM_QEMU_LEGACY_VM,
} SevVmmType;

/* ---- GUIDs ---- */

/*
 * A GUID as firmware stores it: the first three fields little-endian,
 * the last eight bytes in order (EFI_GUID, UEFI spec Appendix A).
 */
typedef struct SevGuid {
    uint8_t b[16];
} SevGuid;

/* "96b582de-1fb2-45f7-baea-a366c55a082d" -> firmware byte order */
bool sev_guid_parse(const char *str, SevGuid *guid);
/* ... and back: lower-case, canonical form; g_free() it */
char *sev_guid_to_string(const SevGuid *guid);

/* ---- OVMF footer table (ovmf.c) ---- */

/*
 * GUIDs of OVMF's OvmfPkg/ResetVector (Ia16/ResetVectorVtf0.asm): the
 * table footer, 32 bytes before the end of the image, and its entries.
 */
#define OVMF_TABLE_FOOTER_GUID  "96b582de-1fb2-45f7-baea-a366c55a082d"
/* SEV-ES AP reset block: u32 reset address */
#define SEV_ES_RESET_BLOCK_GUID "00f771de-1a7e-4fcb-890e-68c77e2fb44e"
/* Kernel hashes table area: u32 base, u32 size */
#define SEV_HASH_TABLE_RV_GUID  "7255371f-3a3b-4b04-927b-1da6efa8d454"
/* Launch secret area: u32 base, u32 size */
#define SEV_SECRET_GUID         "4c2eb361-7d9b-4cc3-8081-127c90d3d294"
/* SEV(-SNP) metadata: u32 offset from the end of the image */
#define OVMF_SEV_METADATA_GUID  "dc886566-984a-4798-a75e-5585a7bf67cc"

/* Smallest image we parse: one page, as QEMU's pc_system_parse_ovmf_flash */
#define OVMF_MIN_SIZE           4096

typedef struct OvmfTableEntry {
    SevGuid guid;
    const uint8_t *data;        /* points into the image */
    size_t len;                 /* bytes of data, without size and GUID */
} OvmfTableEntry;

typedef struct OvmfTable {
    OvmfTableEntry *entries;    /* nearest the footer first */
    size_t nr;
} OvmfTable;

/*
 * Parse the footer table of a firmware image.  The image must stay
 * alive while the table is used.  Errors: image smaller than
 * OVMF_MIN_SIZE, no footer GUID, a table or entry length that does not
 * add up.  Free with ovmf_table_free().
 */
OvmfTable *ovmf_table_parse(const uint8_t *fw, size_t size, GError **errp);
void ovmf_table_free(OvmfTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvmfTable, ovmf_table_free)
/*
 * The entry nearest the footer with that GUID (as QEMU's
 * pc_system_ovmf_table_find() picks), or NULL.
 */
const OvmfTableEntry *ovmf_table_find(const OvmfTable *table,
                                      const char *guid);
/* SEV-ES AP reset address; error if absent, short or zero (as QEMU). */
bool ovmf_sev_es_reset_addr(const OvmfTable *table, uint32_t *addr,
                            GError **errp);
/*
 * Kernel hashes table area; error if absent or unusable: base 0 or an
 * area too small for the padded table (QEMU's checks).
 */
bool ovmf_sev_hashes_area(const OvmfTable *table, uint32_t *base,
                          uint32_t *size, GError **errp);
/* Launch secret area (for LAUNCH_SECRET without an explicit address). */
bool ovmf_sev_secret_area(const OvmfTable *table, uint32_t *base,
                          uint32_t *size, GError **errp);

/* ---- VMSA (vmsa.c) ---- */

/* struct vmcb_seg: selector, attrib, limit, base (APM vol. 2, Table B-2) */
typedef struct SevSegment {
    uint16_t selector;
    uint16_t attrib;            /* VMCB format: type,S,DPL,P,AVL,L,DB,G */
    uint32_t limit;
    uint64_t base;
} SevSegment;

/*
 * The register state a VMSA holds (AMD APM vol. 2, Table B-4 "VMSA
 * layout, state save area for SEV-ES"; Linux struct sev_es_save_area).
 * Fields not listed are zero in a launch VMSA.
 */
typedef struct SevVmsaRegs {
    SevSegment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;
    uint8_t cpl;
    uint64_t efer;
    uint64_t xss, cr4, cr3, cr0, dr7, dr6, rflags, rip;
    uint64_t rsp, rax, star, lstar, cstar, sfmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip, cr2;
    uint64_t g_pat, dbgctl;
    uint32_t pkru, tsc_aux;
    uint64_t rcx, rdx, rbx, rbp, rsi, rdi;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t sev_features, xcr0;
    /* x87/SSE state, FXSAVE names (abridged tag word) */
    uint64_t x87_dp;
    uint32_t mxcsr;
    uint16_t x87_ftw, x87_fsw, x87_fcw, x87_fop, x87_ds, x87_cs;
    uint64_t x87_rip;
    uint8_t fpreg_x87[80];      /* ST0-ST7, 10 bytes each */
    uint8_t fpreg_xmm[256];     /* XMM0-XMM15 */
    uint8_t fpreg_ymm[256];     /* upper halves of YMM0-YMM15 */
} SevVmsaRegs;

/* Serialize regs into a zeroed VMSA page at the architectural offsets. */
void sev_vmsa_build(const SevVmsaRegs *regs, uint8_t page[SEV_VMSA_SIZE]);
/*
 * The launch state of a vCPU starting at eip: the BSP at
 * SEV_BSP_RESET_EIP, APs at the SEV-ES reset address (CS.base = eip &
 * 0xffff0000, RIP = eip & 0xffff).  As KVM's sev_es_sync_vmsa() leaves it
 * for a QEMU-initialised vCPU: EFER.SVME and CR4.MCE set by KVM, EDX =
 * vcpu_sig, FCW 0x37f and MXCSR 0x1f80 (KVM syncs the FPU for the
 * KVM_SEV_INIT2 VM types; zero for SEV_VMM_QEMU_LEGACY_VM).
 */
void sev_vmsa_reset_regs(SevVmsaRegs *regs, uint32_t eip, uint32_t vcpu_sig,
                         SevVmmType vmm);
/* VMCB attributes of a KVM segment (KVM's svm_set_segment()). */
SevSegment sev_segment_from_kvm(const struct kvm_segment *seg);
/*
 * Fill the parts of regs that KVM_GET_REGS/KVM_GET_SREGS give, adjusted as
 * SVM shows them in the VMCB: CR0.CD/NW cleared (KVM_X86_QUIRK_CD_NW_
 * CLEARED), CR4.MCE and EFER.SVME set.  The rest (xcr0, dr6, dr7, g_pat,
 * FPU, sev_features) is left as it was.
 */
void sev_vmsa_regs_from_kvm(SevVmsaRegs *regs, const struct kvm_regs *r,
                            const struct kvm_sregs *s);

/* ---- kernel hashes table (sev-hashes.c) ---- */

/*
 * QEMU's SevHashTable: header GUID + u16 length, then cmdline, initrd and
 * kernel entries (GUID, u16 length, SHA-256), 168 bytes, zero-padded to a
 * multiple of 16 (PaddedSevHashTable): what LAUNCH_UPDATE_DATA measures.
 */
#define SEV_HASH_TABLE_HEADER_GUID  "9438d606-4f22-4cc9-b479-a793d411fd21"
#define SEV_CMDLINE_ENTRY_GUID      "97d02dd8-bd20-4c94-aa78-e7714d36ab2a"
#define SEV_INITRD_ENTRY_GUID       "44baf731-3a2f-4bd7-9af1-41e29169781d"
#define SEV_KERNEL_ENTRY_GUID       "4de79437-abd2-427f-b835-d5b172d2045b"
#define SEV_HASH_TABLE_SIZE         168
#define SEV_PADDED_HASH_TABLE_SIZE  176

typedef struct SevKernelHashes {
    uint8_t kernel[SEV_DIGEST_SIZE];
    uint8_t initrd[SEV_DIGEST_SIZE];    /* of nothing when there is none */
    uint8_t cmdline[SEV_DIGEST_SIZE];   /* including the trailing NUL */
} SevKernelHashes;

/* initrd may be NULL (no initrd), cmdline NULL (empty command line). */
void sev_kernel_hashes_from_data(SevKernelHashes *h,
                                 const void *kernel, size_t kernel_size,
                                 const void *initrd, size_t initrd_size,
                                 const char *cmdline);
/* The same from files; initrd_path may be NULL. */
bool sev_kernel_hashes_from_files(SevKernelHashes *h, const char *kernel_path,
                                  const char *initrd_path,
                                  const char *cmdline, GError **errp);
void sev_hashes_table_build(const SevKernelHashes *h,
                            uint8_t table[SEV_PADDED_HASH_TABLE_SIZE]);

/* ---- CPU signatures (cpu-sig.c) ---- */

/* CPUID Fn0000_0001_EAX of family/model/stepping (AMD pub. 25481) */
uint32_t sev_cpu_sig(unsigned family, unsigned model, unsigned stepping);
/* Signature of a vCPU type sev-snp-measure knows ("EPYC-v4"...). */
bool sev_cpu_sig_from_type(const char *type, uint32_t *sig);
/* The i-th type name, NULL past the last. */
const char *sev_cpu_type_name(unsigned i);

/* ---- measurement (measure.c) ---- */

/*
 * GCTX.LD: SHA-256 running over the plaintext of every LAUNCH_UPDATE_DATA
 * and every LAUNCH_UPDATE_VMSA page, in command order (SEV API 6.3, 6.4),
 * finalised by LAUNCH_MEASURE (6.5.1).  The simulated firmware keeps one
 * per guest.
 */
typedef struct SevLaunchDigest SevLaunchDigest;

SevLaunchDigest *sev_launch_digest_new(void);
void sev_launch_digest_free(SevLaunchDigest *ld);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SevLaunchDigest, sev_launch_digest_free)
void sev_launch_digest_update_data(SevLaunchDigest *ld, const void *buf,
                                   size_t len);
void sev_launch_digest_update_vmsa(SevLaunchDigest *ld,
                                   const uint8_t page[SEV_VMSA_SIZE]);
/* Finalise; further updates are a programming error. */
void sev_launch_digest_finish(SevLaunchDigest *ld,
                              uint8_t digest[SEV_DIGEST_SIZE]);

void sev_hmac_sha256(const uint8_t *key, size_t key_len,
                     const void *data, size_t len,
                     uint8_t mac[SEV_DIGEST_SIZE]);

/* Platform and guest values LAUNCH_MEASURE binds (SEV API 6.5.1). */
typedef struct SevMeasureInfo {
    uint8_t api_major, api_minor, build;
    uint32_t policy;
} SevMeasureInfo;

/*
 * MEASURE = HMAC-SHA256(0x04 || API_MAJOR || API_MINOR || BUILD ||
 * GCTX.POLICY || GCTX.LD || MNONCE; GCTX.TIK), POLICY little-endian.
 */
void sev_launch_measure(const uint8_t tik[SEV_TIK_SIZE],
                        const SevMeasureInfo *info,
                        const uint8_t ld[SEV_DIGEST_SIZE],
                        const uint8_t mnonce[SEV_MNONCE_SIZE],
                        uint8_t measure[SEV_DIGEST_SIZE]);

/* What goes into a guest's launch digest under QEMU's launch sequence. */
typedef struct SevLaunchParams {
    SevMode mode;
    const uint8_t *fw;          /* the whole flash image (unit 0) */
    size_t fw_size;
    unsigned vcpus;             /* SEV-ES: one VMSA each; >= 1 */
    uint32_t vcpu_sig;          /* SEV-ES: EDX of every VMSA */
    SevVmmType vmm;
    const SevKernelHashes *hashes;  /* -kernel given, or NULL */
} SevLaunchParams;

/*
 * GCTX.LD = SHA-256(firmware || padded hashes table (with -kernel) ||
 * VMSA of vCPU 0 .. n-1 (SEV-ES)), what sev-snp-measure prints for
 * --mode sev/seves.  Fails on a malformed image, a missing SEV-ES reset
 * block (SEV-ES), or -kernel with firmware that has no usable hashes
 * table area.
 */
bool sev_calc_launch_digest(const SevLaunchParams *p,
                            uint8_t ld[SEV_DIGEST_SIZE], GError **errp);

#endif
