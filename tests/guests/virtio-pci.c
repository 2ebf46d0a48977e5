/*
 * virtio-pci: see virtio-pci.h.  Section numbers: OASIS virtio v1.1;
 * PCI configuration mechanism #1: PCI Local Bus 3.0, 3.2.2.3.2.
 */
#include "virtio-pci.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define PCI_CAP_VENDOR        0x09         /* PCI capability ID: vendor-specific */
#define VIRTIO_PCI_CAP_COMMON 1            /* 4.1.4 cfg_type values */
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_DEVICE 4
#define VIRTIO_F_VERSION_1_HI 1            /* 6: feature bit 32 */

uint32_t pci_cfg_read(uint32_t bdf, uint32_t off)
{
    outl(0x80000000u | bdf << 8 | (off & 0xfc), PCI_ADDR);
    return inl(PCI_DATA) >> ((off & 3) * 8);
}

void pci_cfg_write32(uint32_t bdf, uint32_t off, uint32_t v)
{
    outl(0x80000000u | bdf << 8 | (off & 0xfc), PCI_ADDR);
    outl(v, PCI_DATA);
}

/* bus 0 only: the pc machine has one bus */
int virtio_pci_find(uint32_t *bdf, uint32_t type, uint16_t transitional,
                    struct virtio_pci *vp)
{
    for (uint32_t d = *bdf; d < 32 * 8; d++) {
        uint32_t id = pci_cfg_read(d, 0);
        if ((id & 0xffff) != VIRTIO_VENDOR)
            continue;
        if ((id >> 16) == VIRTIO_PCI_MODERN(type) ||
            (transitional && (id >> 16) == transitional)) {
            memset(vp, 0, sizeof(*vp));
            vp->bdf = *bdf = d;
            vp->device_id = id >> 16;
            return 0;
        }
    }
    return -1;
}

static const char *bar_addr(uint32_t bdf, uint8_t bar, uint32_t off,
                            volatile uint8_t **out)
{
    uint32_t lo = pci_cfg_read(bdf, 0x10 + 4 * bar);

    if (lo & 1)
        return "virtio structure in an I/O BAR";
    if (((lo >> 1) & 3) == 2 && pci_cfg_read(bdf, 0x14 + 4 * bar) != 0)
        return "BAR above 4 GiB (32-bit guest without paging)";
    if ((lo & ~0xfu) == 0)
        return "BAR not programmed";
    *out = (volatile uint8_t *)(uintptr_t)((lo & ~0xfu) + off);
    return 0;
}

const char *virtio_pci_map(struct virtio_pci *vp)
{
    uint32_t bdf = vp->bdf, cap;
    const char *err = 0;

    /* memory decode + bus mastering (command register bits 1, 2) */
    pci_cfg_write32(bdf, 0x04, (pci_cfg_read(bdf, 0x04) & 0xffff) | 0x6);
    if (!(pci_cfg_read(bdf, 0x06) & 0x10))
        return "no capability list";
    for (cap = pci_cfg_read(bdf, 0x34) & 0xfc; cap && !err;
         cap = pci_cfg_read(bdf, cap + 1) & 0xfc) {
        if ((pci_cfg_read(bdf, cap) & 0xff) != PCI_CAP_VENDOR)
            continue;
        uint8_t type = pci_cfg_read(bdf, cap + 3), bar = pci_cfg_read(bdf, cap + 4);
        uint32_t off = pci_cfg_read(bdf, cap + 8);
        if (type == VIRTIO_PCI_CAP_COMMON && !vp->common)
            err = bar_addr(bdf, bar, off, &vp->common);
        else if (type == VIRTIO_PCI_CAP_DEVICE && !vp->devcfg)
            err = bar_addr(bdf, bar, off, &vp->devcfg);
        else if (type == VIRTIO_PCI_CAP_NOTIFY && !vp->notify) {
            err = bar_addr(bdf, bar, off, &vp->notify);
            vp->notify_mult = pci_cfg_read(bdf, cap + 16);
        }
    }
    if (err)
        return err;
    if (!vp->common || !vp->devcfg || !vp->notify)
        return "missing common/notify/device capability";
    return 0;
}

/* 3.1.1 driver initialization, up to FEATURES_OK */
const char *virtio_pci_negotiate(struct virtio_pci *vp, uint32_t want_lo,
                                 uint64_t *offered)
{
    volatile uint8_t *c = vp->common;
    uint32_t lo, hi;

    c[CC_STATUS] = 0;
    while (c[CC_STATUS])
        cpu_relax();
    c[CC_STATUS] = VIRTIO_ST_ACK;
    c[CC_STATUS] = VIRTIO_ST_ACK | VIRTIO_ST_DRIVER;
    *(volatile uint32_t *)(c + CC_DFSELECT) = 0;
    lo = *(volatile uint32_t *)(c + CC_DF);
    *(volatile uint32_t *)(c + CC_DFSELECT) = 1;
    hi = *(volatile uint32_t *)(c + CC_DF);
    if (offered)
        *offered = (uint64_t)hi << 32 | lo;
    if (!(hi & VIRTIO_F_VERSION_1_HI))
        return "device does not offer VIRTIO_F_VERSION_1";
    *(volatile uint32_t *)(c + CC_GFSELECT) = 0;
    *(volatile uint32_t *)(c + CC_GF) = want_lo & lo;
    *(volatile uint32_t *)(c + CC_GFSELECT) = 1;
    *(volatile uint32_t *)(c + CC_GF) = VIRTIO_F_VERSION_1_HI;
    c[CC_STATUS] = VIRTIO_ST_ACK | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK;
    if (!(c[CC_STATUS] & VIRTIO_ST_FEATURES_OK))
        return "FEATURES_OK not accepted";
    return 0;
}

/* 4.1.5.1.3 virtqueue configuration; the layout (descriptors, avail ring
 * at +4 KiB, used ring at +8 KiB) fits 256 entries */
const char *virtio_pci_queue(struct virtio_pci *vp, uint16_t q, void *mem,
                             uint16_t max, struct virtq *vq)
{
    volatile uint8_t *c = vp->common;
    uintptr_t base = (uintptr_t)mem;

    if (max > 256)
        max = 256;
    *(volatile uint16_t *)(c + CC_Q_SELECT) = q;
    vq->size = *(volatile uint16_t *)(c + CC_Q_SIZE);
    if (vq->size == 0)
        return "queue not available";
    if (vq->size > max)
        vq->size = max;
    *(volatile uint16_t *)(c + CC_Q_SIZE) = vq->size;
    memset(mem, 0, 0x3000);
    vq->desc = (struct vq_desc *)base;
    vq->avail = (volatile uint16_t *)(base + 0x1000);
    vq->used = (volatile uint16_t *)(base + 0x2000);
    vq->index = q;
    vq->avail_idx = vq->used_idx = 0;
    *(volatile uint64_t *)(c + CC_Q_DESC) = base;
    *(volatile uint64_t *)(c + CC_Q_DRIVER) = base + 0x1000;
    *(volatile uint64_t *)(c + CC_Q_DEVICE) = base + 0x2000;
    *(volatile uint16_t *)(c + CC_Q_MSIX) = VIRTIO_MSI_NO_VECTOR;
    vq->notify = (volatile uint16_t *)(vp->notify +
        *(volatile uint16_t *)(c + CC_Q_NOTIFYOFF) * vp->notify_mult);
    *(volatile uint16_t *)(c + CC_Q_ENABLE) = 1;
    vq->avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;     /* we poll */
    return 0;
}

void virtio_pci_driver_ok(struct virtio_pci *vp)
{
    vp->common[CC_STATUS] = VIRTIO_ST_ACK | VIRTIO_ST_DRIVER |
                            VIRTIO_ST_FEATURES_OK | VIRTIO_ST_DRIVER_OK;
}

void virtq_submit(struct virtq *vq, uint16_t head)
{
    vq->avail[2 + vq->avail_idx % vq->size] = head;
    asm volatile("" ::: "memory");   /* x86: stores are not reordered */
    vq->avail[1] = ++vq->avail_idx;
    asm volatile("mfence" ::: "memory");
    *vq->notify = vq->index;          /* 4.1.4.4: the queue's index */
}

uint32_t virtq_wait(struct virtq *vq)
{
    volatile struct vq_used_elem *ring =
        (volatile struct vq_used_elem *)(vq->used + 2);

    while (vq->used[1] == vq->used_idx)
        cpu_relax();
    asm volatile("" ::: "memory");
    return ring[vq->used_idx++ % vq->size].id;
}
