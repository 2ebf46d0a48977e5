/*
 * The virtio 1.x PCI transport ("modern" only: device IDs 0x1040 +
 * virtio ID, revision 1), Virtual I/O Device spec 1.2, 4.1.
 */
#ifndef HW_VIRTIO_VIRTIO_PCI_H
#define HW_VIRTIO_VIRTIO_PCI_H

#include "hw/pci/pci.h"
#include "hw/virtio/virtio.h"

#define PCI_VENDOR_ID_REDHAT_QUMRANET   0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE       0x1040

/* Where the structures sit in BAR 4 (the layout is ours; the caps say it) */
#define VIRTIO_PCI_MODERN_BAR   4
#define VIRTIO_PCI_MSIX_BAR     1
#define VIRTIO_PCI_COMMON_OFF   0x0000
#define VIRTIO_PCI_ISR_OFF      0x1000
#define VIRTIO_PCI_DEVICE_OFF   0x2000
#define VIRTIO_PCI_NOTIFY_OFF   0x3000
#define VIRTIO_PCI_NOTIFY_MULT  4
#define VIRTIO_PCI_BAR_SIZE     0x4000

typedef struct VirtIOPCIProxy VirtIOPCIProxy;

/*
 * Put vdev (virtio_init()ed, queues added) on PCI bus 0 as -device opts
 * says (addr=, id=), with class_code (base class, subclass, prog-if as
 * 0xBBSSPP) and an I/O thread for its queues.
 */
bool virtio_pci_add(MachineState *ms, VirtIODevice *vdev, uint32_t class_code,
                    QemuOpts *opts, GError **errp);

#endif
