#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include "chardev/char.h"
#include "hw/irq.h"
#include "migration/vmstate.h"
#include "system/iobus.h"

typedef struct SerialState SerialState;

/* A 16550A UART with 8 registers at base on bus (stride 1 byte). */
SerialState *serial_new(IOBus *bus, uint64_t base, qemu_irq irq,
                        Chardev *chr, GError **errp);
void serial_reset(void *opaque);
void serial_free(SerialState *s);
/* Save/restore (migration/vmstate.h); the load also re-drives the IRQ. */
void serial_save(void *opaque, GByteArray *out);
bool serial_load(void *opaque, VMLoad *in, bool apply, GError **errp);
typedef struct MachineState MachineState;
/*
 * COM port number index (0-3: 0x3f8/IRQ 4, 0x2f8/3, 0x3e8/4, 0x2e8/3) on
 * the machine's ISA bus; iobase/irq non-zero override the convention.
 */
bool isa_serial_create(MachineState *ms, unsigned index, uint32_t iobase,
                       uint32_t irq, Chardev *chr, GError **errp);
/* For qtest/fuzzing: the register file without a bus. */
extern const IOBusOps serial_io_ops;

#endif
