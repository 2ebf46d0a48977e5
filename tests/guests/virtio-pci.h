/*
 * virtio-pci: the guest side of the virtio 1.x PCI transport for the test
 * guests (tests/guests/virtio-*.c): PCI configuration mechanism #1,
 * finding a virtio function, mapping its common/notify/device structures,
 * feature negotiation and one split virtqueue, polled (no interrupts).
 * 32-bit guests without paging: BARs must be programmed below 4 GiB.
 */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include "libguest.h"

#define VIRTIO_VENDOR 0x1af4
/* virtio 1.1, 4.1.2.1: modern device ID = 0x1040 + virtio device type */
#define VIRTIO_PCI_MODERN(type) (0x1040 + (type))
#define VIRTIO_TYPE_NET 1                  /* 5: device types */
#define VIRTIO_TYPE_BLK 2

#define VIRTIO_ST_ACK         1            /* 2.1 device status bits */
#define VIRTIO_ST_DRIVER      2
#define VIRTIO_ST_DRIVER_OK   4
#define VIRTIO_ST_FEATURES_OK 8
#define VIRTQ_DESC_F_NEXT  1               /* 2.6.5 */
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1       /* 2.6.6 */
#define VIRTIO_MSI_NO_VECTOR 0xffff        /* 4.1.5.1.2 */

/* common configuration structure offsets (4.1.4.3) */
#define CC_DFSELECT    0x00
#define CC_DF          0x04
#define CC_GFSELECT    0x08
#define CC_GF          0x0c
#define CC_STATUS      0x14
#define CC_Q_SELECT    0x16
#define CC_Q_SIZE      0x18
#define CC_Q_MSIX      0x1a
#define CC_Q_ENABLE    0x1c
#define CC_Q_NOTIFYOFF 0x1e
#define CC_Q_DESC      0x20
#define CC_Q_DRIVER    0x28
#define CC_Q_DEVICE    0x30

struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vq_used_elem { uint32_t id, len; };

struct virtio_pci {
    uint32_t bdf;                          /* bus << 8 | dev << 3 | fn */
    uint16_t device_id;
    volatile uint8_t *common, *devcfg, *notify;
    uint32_t notify_mult;
};

/* one split virtqueue (2.6) in memory the caller provides */
struct virtq {
    struct vq_desc *desc;
    volatile uint16_t *avail;              /* flags, idx, ring[] */
    volatile uint16_t *used;               /* flags, idx, then elements */
    volatile uint16_t *notify;
    uint16_t index, size, avail_idx, used_idx;
};

uint32_t pci_cfg_read(uint32_t bdf, uint32_t off);   /* shifted to off's byte */
void pci_cfg_write32(uint32_t bdf, uint32_t off, uint32_t v);

/* the first virtio function on bus 0 at or after *bdf whose device ID is
 * the modern one of type or the transitional one (0 = none); 0 and vp
 * filled (*bdf = where it is), or -1 */
int virtio_pci_find(uint32_t *bdf, uint32_t type, uint16_t transitional,
                    struct virtio_pci *vp);
/* enable memory decode and bus mastering, map the structures: NULL, or
 * what is wrong */
const char *virtio_pci_map(struct virtio_pci *vp);
/* reset, ACKNOWLEDGE | DRIVER, features: the device's 64 offered bits in
 * *offered; accept VERSION_1 plus want & offered; FEATURES_OK.  NULL, or
 * what is wrong */
const char *virtio_pci_negotiate(struct virtio_pci *vp, uint32_t want_lo,
                                 uint64_t *offered);
/* set up queue q in mem (16 KiB, 4 KiB aligned, zeroed here) with at most
 * max entries, without an MSI-X vector and with NO_INTERRUPT: NULL, or
 * what is wrong */
const char *virtio_pci_queue(struct virtio_pci *vp, uint16_t q, void *mem,
                             uint16_t max, struct virtq *vq);
void virtio_pci_driver_ok(struct virtio_pci *vp);
/* make head the next available chain and notify the device */
void virtq_submit(struct virtq *vq, uint16_t head);
/* poll for the next used element; its id */
uint32_t virtq_wait(struct virtq *vq);

#endif
