/*
 * RISC-V Platform-Level Interrupt Controller (PLIC), as the RISC-V PLIC
 * Specification 1.0.0 describes it: sources 1..N with priorities and
 * pending bits, per-context enables, a priority threshold and a
 * claim/complete register per context.  One context is one hart's
 * S-mode external interrupt (the only privilege level a KVM guest has).
 */
#ifndef HW_INTC_RISCV_PLIC_H
#define HW_INTC_RISCV_PLIC_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"
#include "system/iobus.h"

/* Register map (PLIC spec, "Memory Map"). */
#define PLIC_PRIORITY_BASE      0x000000    /* + 4 * source */
#define PLIC_PENDING_BASE       0x001000    /* bit per source */
#define PLIC_ENABLE_BASE        0x002000    /* + 0x80 * context */
#define PLIC_ENABLE_STRIDE      0x80
#define PLIC_CONTEXT_BASE       0x200000    /* + 0x1000 * context */
#define PLIC_CONTEXT_STRIDE     0x1000
#define PLIC_CONTEXT_THRESHOLD  0x0
#define PLIC_CONTEXT_CLAIM      0x4         /* read: claim, write: complete */
/* The spec's maximum: 1024 sources, 15872 contexts. */
#define PLIC_MAX_SOURCES        1024
#define PLIC_MAX_CONTEXTS       15872

typedef struct RISCVPLICState RISCVPLICState;

/*
 * A PLIC with sources 0..num_sources-1 (0 is reserved: "no interrupt"),
 * priorities 0..max_priority (a power of two minus one: the priority and
 * threshold registers are WARL with that many bits), and num_contexts
 * contexts whose outputs are outputs[0..num_contexts-1].  Its registers
 * are at base on bus in a window of size bytes, at least
 * riscv_plic_mmio_size(num_contexts) (the rest reads as reserved).
 */
RISCVPLICState *riscv_plic_new(IOBus *bus, uint64_t base, uint64_t size,
                               unsigned num_sources, unsigned max_priority,
                               unsigned num_contexts, qemu_irq *outputs,
                               GError **errp);
void riscv_plic_free(RISCVPLICState *s);
/* Back to the reset state: all priorities, enables, thresholds 0. */
void riscv_plic_reset(void *opaque);
/* Input line of source n (1..num_sources-1), level-triggered. */
qemu_irq riscv_plic_input(RISCVPLICState *s, unsigned n);

static inline uint64_t riscv_plic_mmio_size(unsigned num_contexts)
{
    return PLIC_CONTEXT_BASE + (uint64_t)num_contexts * PLIC_CONTEXT_STRIDE;
}

#endif
