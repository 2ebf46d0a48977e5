/*
 * RISC-V KVM ONE_REG numbers Debian 12's linux-libc-dev (Linux 6.1 UAPI)
 * lacks or spells differently from newer kernels.  From Linux
 * arch/riscv/include/uapi/asm/kvm.h (v6.12) and
 * Documentation/virt/kvm/api.rst 4.68 "KVM_SET_ONE_REG" (RISC-V register
 * id layout: 0x8000 0000 0000 0000 | size << 52 | type << 24 |
 * subtype << 16 | index).  Register indices are the positions of the
 * fields in the uapi structs (append-only ABI), given here as numbers so
 * the code builds against 6.1 and 6.12 headers alike.  Names carry a
 * QKVM_ prefix where newer headers define the same thing differently
 * (enums), and are only defined when missing otherwise.
 */
#ifndef LINUX_HEADERS_RISCV_KVM_H
#define LINUX_HEADERS_RISCV_KVM_H

#include <linux/kvm.h>

#ifndef KVM_REG_RISCV_SUBTYPE_SHIFT
#define KVM_REG_RISCV_SUBTYPE_SHIFT     16          /* v6.4 */
#endif
#ifndef KVM_REG_RISCV_SBI_EXT
#define KVM_REG_RISCV_SBI_EXT           (0x08 << KVM_REG_RISCV_TYPE_SHIFT)  /* v6.4 */
#endif
/* ISA_EXT and SBI_EXT subtype SINGLE (v6.6): one register per extension */
#define QKVM_REG_RISCV_SINGLE           (0x0 << KVM_REG_RISCV_SUBTYPE_SHIFT)
/* CSR subtype GENERAL (v6.5): the struct kvm_riscv_csr registers */
#define QKVM_REG_RISCV_CSR_GENERAL      (0x0 << KVM_REG_RISCV_SUBTYPE_SHIFT)

/* struct kvm_riscv_config */
#define QKVM_RISCV_CONFIG_ISA           0
#define QKVM_RISCV_CONFIG_MVENDORID     2           /* v6.2 */
#define QKVM_RISCV_CONFIG_MARCHID       3
#define QKVM_RISCV_CONFIG_MIMPID        4
#define QKVM_RISCV_CONFIG_SATP_MODE     6           /* v6.5 */

/* struct kvm_riscv_core: regs (pc, x1..x31), then mode */
#define QKVM_RISCV_CORE_PC              0
#define QKVM_RISCV_CORE_X(n)            (n)         /* x1 (ra) .. x31 (t6) */
#define QKVM_RISCV_CORE_MODE            32

/* struct kvm_riscv_csr */
#define QKVM_RISCV_CSR_SSTATUS          0
#define QKVM_RISCV_CSR_SIE              1
#define QKVM_RISCV_CSR_STVEC            2
#define QKVM_RISCV_CSR_SSCRATCH         3
#define QKVM_RISCV_CSR_SEPC             4
#define QKVM_RISCV_CSR_SCAUSE           5
#define QKVM_RISCV_CSR_STVAL            6
#define QKVM_RISCV_CSR_SIP              7
#define QKVM_RISCV_CSR_SATP             8
#define QKVM_RISCV_CSR_SCOUNTEREN       9
#define QKVM_RISCV_CSR_SENVCFG          10          /* v6.6 */

/* struct kvm_riscv_timer (64-bit registers) */
#define QKVM_RISCV_TIMER_FREQUENCY      0
#define QKVM_RISCV_TIMER_TIME           1
#define QKVM_RISCV_TIMER_COMPARE        2
#define QKVM_RISCV_TIMER_STATE          3

/* enum KVM_RISCV_SBI_EXT_ID: V01, TIME, IPI, RFENCE, SRST, HSM, PMU,
 * EXPERIMENTAL, VENDOR, DBCN (v6.8) */
#define QKVM_RISCV_SBI_EXT_DBCN         9

#endif
