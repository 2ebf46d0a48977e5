/*
 * An interrupt line: a device raises/lowers it without knowing what is
 * behind it (an in-kernel IOAPIC GSI, a PLIC source, a qtest intercept).
 */
#ifndef HW_IRQ_H
#define HW_IRQ_H

typedef void (*qemu_irq_handler)(void *opaque, int n, int level);

typedef struct IRQState {
    qemu_irq_handler handler;
    void *opaque;
    int n;
} IRQState, *qemu_irq;

qemu_irq qemu_allocate_irq(qemu_irq_handler handler, void *opaque, int n);
void qemu_free_irq(qemu_irq irq);

static inline void qemu_set_irq(qemu_irq irq, int level)
{
    if (irq) {
        irq->handler(irq->opaque, irq->n, level);
    }
}
static inline void qemu_irq_raise(qemu_irq irq) { qemu_set_irq(irq, 1); }
static inline void qemu_irq_lower(qemu_irq irq) { qemu_set_irq(irq, 0); }

#endif
