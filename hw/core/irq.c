#include "hw/irq.h"
#include <glib.h>

qemu_irq qemu_allocate_irq(qemu_irq_handler handler, void *opaque, int n)
{
    qemu_irq irq = g_new0(IRQState, 1);
    irq->handler = handler;
    irq->opaque = opaque;
    irq->n = n;
    return irq;
}

void qemu_free_irq(qemu_irq irq)
{
    g_free(irq);
}
