/*
 * virtio-pci: the guest side of the virtio 1.x PCI transport for the test
 * guests (tests/guests/virtio-*.c): PCI configuration mechanism #1,
 * finding virtio functions, mapping their common/notify/device
 * structures, feature negotiation and split virtqueues, polled (no
 * interrupts: vectors stay NO_VECTOR, drivers poll the used rings), with
 * event-index kick suppression when negotiated.
 * 32-bit guests without paging: BARs must sit below 4 GiB (qkvm places
 * them itself; under QEMU SeaBIOS has run first).
 * Section numbers: OASIS virtio 1.2.
 */
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include "libguest.h"

#define VIRTIO_VENDOR 0x1af4
/* 4.1.2.1: modern device ID = 0x1040 + virtio device type */
#define VIRTIO_PCI_MODERN(type) (0x1040 + (type))
#define VIRTIO_TYPE_NET 1                  /* 5: device types */
#define VIRTIO_TYPE_BLK 2
#define VIRTIO_NET_TRANS 0x1000             /* 4.1.2.3: transitional IDs */
#define VIRTIO_BLK_TRANS 0x1001

#define VIRTQ_DESC_F_NEXT  1               /* 2.7.5 */
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1       /* 2.7.6 */
#define VIRTIO_F_EVENT_IDX  29             /* 6 */
#define VIRTIO_F_VERSION_1  32

struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vq_used_elem { uint32_t id, len; };

struct virtio_pci {
    uint32_t bdf;                          /* bus << 8 | dev << 3 | fn */
    uint16_t device_id;
    volatile uint8_t *common, *devcfg, *notify;
    uint32_t notify_mult;
    uint64_t features;                     /* negotiated */
};

/* one split virtqueue (2.7) in memory the caller provides */
struct virtq {
    struct virtio_pci *dev;
    struct vq_desc *desc;
    volatile uint16_t *avail;              /* flags, idx, ring[], used_event */
    volatile uint16_t *used;               /* flags, idx, elements, avail_event */
    volatile uint16_t *notify;
    uint16_t index, size, avail_idx, used_idx;
    uint16_t kicked_idx;                   /* avail_idx at the last publish */
};

uint32_t pci_cfg_read(uint32_t bdf, uint32_t off);   /* shifted to off's byte */
void pci_cfg_write32(uint32_t bdf, uint32_t off, uint32_t v);

/* print "virtio: error: what" and leave through debug-exit (status 2) */
__attribute__((noreturn)) void virtio_fail(const char *what);
/* virtio_fail(err) unless err is NULL: for the calls below */
void virtio_check(const char *err);

/* the first virtio function on bus 0 at or after *bdf whose device ID is
 * the modern one of type or the transitional one (0 = none); 0 and vp
 * filled (*bdf = where it is), or -1 */
int virtio_pci_find(uint32_t *bdf, uint32_t type, uint16_t transitional,
                    struct virtio_pci *vp);
/* enable memory decode and bus mastering, map the structures: NULL, or
 * what is wrong */
const char *virtio_pci_map(struct virtio_pci *vp);
/* the first function of this type, found and mapped; fails if absent */
void virtio_pci_open(struct virtio_pci *vp, uint32_t type,
                     uint16_t transitional);
/* reset, ACKNOWLEDGE | DRIVER, features: the device's 64 offered bits in
 * *offered (if not NULL); accept VERSION_1 plus want & offered (kept in
 * vp->features); FEATURES_OK.  NULL, or what is wrong */
const char *virtio_pci_negotiate(struct virtio_pci *vp, uint64_t want,
                                 uint64_t *offered);
/* set up queue q in mem (three 4 KiB pages: descriptors, driver area,
 * device area; 4 KiB aligned, zeroed here) with at most max (<= 256)
 * entries, without an MSI-X vector and with NO_INTERRUPT: NULL, or what
 * is wrong */
const char *virtio_pci_queue(struct virtio_pci *vp, uint16_t q, void *mem,
                             uint16_t max, struct virtq *vq);
void virtio_pci_driver_ok(struct virtio_pci *vp);
/* write status 0 (2.4: device reset) */
void virtio_pci_reset(struct virtio_pci *vp);

/* add the chain at head to the avail ring, not yet visible */
void virtq_add(struct virtq *vq, uint16_t head);
/* make added chains visible and notify if the device wants it (2.7.10
 * with EVENT_IDX, else unless VIRTQ_USED_F_NO_NOTIFY) */
void virtq_publish(struct virtq *vq);
/* the next used element: 1 with its id and len, or 0 if there is none */
int virtq_used(struct virtq *vq, uint32_t *id, uint32_t *len);
/* virtq_add + virtq_publish */
void virtq_submit(struct virtq *vq, uint16_t head);
/* poll for the next used element; its id */
uint32_t virtq_wait(struct virtq *vq);

static inline uint64_t virtio_rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

#endif
