/*
 * PCI bus 0 and its endpoints (type 0 headers).
 *
 * A model fills in its IDs, declares BARs with pci_register_bar() and
 * capabilities with pci_add_capability(), then plugs itself in with
 * pci_bus_add_device().  Config space accesses arrive from the host
 * bridge's configuration mechanism; BARs are decoded where the guest (or
 * the machine, standing in for firmware) put them once the command
 * register enables decode, inside the bus's I/O and memory windows.
 * Register offsets and bits: PCI Local Bus Specification 3.0, 6.1-6.2
 * (header), 6.7 (capabilities list), 6.8.2 (MSI-X).
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/irq.h"
#include "qemu/option.h"
#include "system/iobus.h"

typedef struct MachineState MachineState;

#define PCI_CONFIG_SPACE_SIZE   256
#define PCI_SLOT_MAX            32
#define PCI_FUNC_MAX            8
#define PCI_DEVFN(slot, fn)     (((slot) << 3) | (fn))
#define PCI_SLOT(devfn)         (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)         ((devfn) & 7)

/* 6.1: type 0 configuration space header */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define  PCI_COMMAND_IO         0x0001
#define  PCI_COMMAND_MEMORY     0x0002
#define  PCI_COMMAND_MASTER     0x0004
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS              0x06
#define  PCI_STATUS_INTERRUPT   0x0008
#define  PCI_STATUS_CAP_LIST    0x0010
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0a    /* subclass, then base class */
#define PCI_HEADER_TYPE         0x0e
#define  PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BASE_ADDRESS_0      0x10
#define  PCI_BASE_ADDRESS_SPACE_IO     0x01
#define  PCI_BASE_ADDRESS_MEM_TYPE_64  0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID        0x2e
#define PCI_CAPABILITY_LIST     0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d
#define PCI_NUM_BARS            6

/* Appendix H: capability IDs */
#define PCI_CAP_ID_VNDR         0x09
#define PCI_CAP_ID_MSIX         0x11

/* Where BARs go when nobody programs them: the machine assigns them. */
#define PCI_BAR_UNMAPPED        (~0ULL)

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;

typedef struct PCIBar {
    uint64_t size;              /* power of two; 0: BAR not implemented */
    uint8_t type;               /* PCI_BASE_ADDRESS_* flag bits */
    const IOBusOps *ops;
    void *opaque;
    uint64_t addr;              /* decoded address or PCI_BAR_UNMAPPED */
} PCIBar;

typedef struct MSIXState {
    unsigned nr;                /* table entries */
    uint8_t cap;                /* capability offset in config space */
    uint8_t bar;
    uint8_t *table;             /* nr * 16 bytes */
    uint8_t *pba;               /* pending bits, (nr + 63) / 64 * 8 bytes */
    /* per vector, under KVM: an irqfd and its route handle (-1: none,
     * messages then go through AccelOps.send_msi) */
    int *irqfd;
    int *route;
} MSIXState;

struct PCIDevice {
    PCIBus *bus;
    const char *type;           /* model name, as -device knows it */
    char *id;                   /* -device id=, or NULL */
    uint8_t devfn;
    uint8_t config[PCI_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCI_CONFIG_SPACE_SIZE];   /* writable bits */
    uint8_t w1cmask[PCI_CONFIG_SPACE_SIZE]; /* write-1-to-clear bits */
    PCIBar bars[PCI_NUM_BARS];
    uint8_t reset_bars[4 * PCI_NUM_BARS];   /* BAR registers as placed */
    uint8_t cap_end;            /* next free capability offset */
    qemu_irq intx;              /* the GSI this function's pin reaches */
    int intx_gsi;
    bool intx_level;
    MSIXState msix;
    /*
     * The device's lock: config space, MSI-X table and whatever the model
     * keeps with them.  vCPU threads (config, BAR access) and the model's
     * own threads (interrupts) both take it.
     */
    GMutex lock;
    /* A BAR moved (addr may be PCI_BAR_UNMAPPED); called with lock held. */
    void (*bar_moved)(PCIDevice *d, int bar, uint64_t addr);
    /* Machine reset: the model puts its own state back. */
    void (*reset)(PCIDevice *d);
};

/* The machine's PCI bus 0, created by the host bridge. */
PCIBus *pci_bus_new(MachineState *ms, uint64_t mem_base, uint64_t mem_size,
                    uint64_t io_base, uint64_t io_size, GError **errp);
PCIBus *machine_pci_bus(MachineState *ms);
MachineState *pci_bus_machine(PCIBus *bus);
/* Config accesses from the host bridge (reg: offset in config space). */
bool pci_bus_has_device(PCIBus *bus, unsigned devfn);
uint32_t pci_bus_config_read(PCIBus *bus, unsigned devfn, unsigned reg,
                             unsigned size);
void pci_bus_config_write(PCIBus *bus, unsigned devfn, unsigned reg,
                          uint32_t val, unsigned size);
/* Every device, in devfn order (QMP query-pci). */
PCIDevice *pci_bus_device(PCIBus *bus, unsigned devfn);

/* A new function: IDs and class in config space, INTx pin (0: none). */
void pci_device_init(PCIDevice *d, const char *type, uint16_t vendor,
                     uint16_t device, uint32_t class_prog_rev,
                     uint8_t int_pin);
void pci_register_bar(PCIDevice *d, int bar, uint64_t size, uint8_t type,
                      const IOBusOps *ops, void *opaque);
/* Append a capability of len bytes; returns its offset, 0 if full. */
uint8_t pci_add_capability(PCIDevice *d, uint8_t id, uint8_t len);
/*
 * Place the function at -device addr=SLOT[.FN] or the first free slot,
 * assign its BARs (as firmware would) and wire its interrupt pin.
 * opts may be NULL; it also takes "id".
 */
bool pci_bus_add_device(PCIBus *bus, PCIDevice *d, QemuOpts *opts,
                        GError **errp);
/* Parse "SLOT[.FN]" (hex, as QEMU's addr property). */
bool pci_parse_devfn(const char *str, unsigned *devfn, GError **errp);

/* INTx: level of the function's pin (ignored while INTx is disabled). */
void pci_set_irq(PCIDevice *d, int level);
/* The GSI INTx pin `pin` (1-4) of slot reaches: 16 + (slot + pin - 1) % 4. */
int pci_intx_gsi(unsigned slot, unsigned pin);

/* MSI-X (6.8.2) with the table at 0 and the PBA at 0x800 of BAR `bar`. */
bool msix_init(PCIDevice *d, unsigned nr_vectors, int bar, GError **errp);
bool msix_enabled(PCIDevice *d);
/* Signal vector (caller holds d->lock); pending if masked. */
void msix_notify(PCIDevice *d, unsigned vector);
/* Config write hook: unmasking delivers what is pending. */
void msix_config_written(PCIDevice *d);
void msix_reset(PCIDevice *d);
/* Once on the bus: one irqfd per vector where the accelerator has them. */
void msix_setup_irqfds(PCIDevice *d);

#endif
