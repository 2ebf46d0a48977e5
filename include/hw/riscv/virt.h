/*
 * The RISC-V `virt` machine: QEMU's memory map and interrupt numbers
 * (hw/riscv/virt.c there), so guests and tools written for QEMU's virt
 * find the same devices at the same places.
 */
#ifndef HW_RISCV_VIRT_H
#define HW_RISCV_VIRT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/boards.h"
#include "hw/intc/riscv_plic.h"
#include "target/riscv/kvm_riscv.h"

#define VIRT_TEST_BASE          UINT64_C(0x00100000)
#define VIRT_TEST_SIZE          0x1000
#define VIRT_PLIC_BASE          UINT64_C(0x0c000000)
#define VIRT_UART0_BASE         UINT64_C(0x10000000)
#define VIRT_UART0_SIZE         0x100
#define VIRT_VIRTIO_BASE        UINT64_C(0x10001000)
#define VIRT_VIRTIO_SIZE        0x1000
#define VIRT_VIRTIO_COUNT       8
#define VIRT_DRAM_BASE          UINT64_C(0x80000000)

#define VIRT_CPUS_MAX           512
/* QEMU sizes the PLIC window for two contexts (M and S) per hart. */
#define VIRT_PLIC_SIZE          riscv_plic_mmio_size(VIRT_CPUS_MAX * 2)
#define VIRT_PLIC_NUM_SOURCES   96      /* counting source 0: riscv,ndev 95 */
#define VIRT_PLIC_MAX_PRIORITY  7
#define VIRT_UART0_IRQ          10
#define VIRT_VIRTIO_IRQ         1       /* slot i: 1 + i */

#define VIRT_UART_CLOCK         3686400
/* QEMU virt's timebase; under KVM the timer frequency register's value. */
#define VIRT_TIMEBASE_FREQ      10000000

typedef struct RISCVVirtState {
    RISCVPLICState *plic;
    qemu_irq *hart_irqs;        /* PLIC context i -> hart i S-mode */
    struct SerialState *uart0;
    RISCVHartConfig hart;       /* all harts alike; from KVM when it runs */
    RISCVBootInfo boot;         /* where hart 0 starts */

    /* boot images, read once; placed again at each reset */
    char *kernel, *initrd;
    size_t kernel_size, initrd_size;
    uint64_t kernel_end;
    uint64_t initrd_start, initrd_end;
    void *fdt;
} RISCVVirtState;

/* hw/riscv/virt-fdt.c: the device tree of the machine as configured. */
void *virt_fdt_build(MachineState *ms, GError **errp);

#endif
