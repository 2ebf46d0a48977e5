#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include "chardev/char.h"
#include "hw/irq.h"
#include "system/iobus.h"

typedef struct SerialState SerialState;

/* A 16550A UART with 8 registers at base on bus (stride 1 byte). */
SerialState *serial_new(IOBus *bus, uint64_t base, qemu_irq irq,
                        Chardev *chr, GError **errp);
void serial_reset(void *opaque);
void serial_free(SerialState *s);
/* For qtest/fuzzing: the register file without a bus. */
extern const IOBusOps serial_io_ops;

#endif
