/*
 * virtio-pci: see virtio-pci.h.  Section numbers: OASIS virtio 1.2;
 * PCI configuration mechanism #1: PCI Local Bus 3.0, 3.2.2.3.2.
 */
#include "virtio-pci.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define PCI_CAP_VENDOR        0x09         /* PCI capability ID: vendor-specific */
#define VIRTIO_PCI_CAP_COMMON 1            /* 4.1.4 cfg_type values */
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_DEVICE 4
#define VIRTIO_ST_ACK         1            /* 2.1 device status bits */
#define VIRTIO_ST_DRIVER      2
#define VIRTIO_ST_DRIVER_OK   4
#define VIRTIO_ST_FEATURES_OK 8
#define VIRTIO_MSI_NO_VECTOR  0xffff       /* 4.1.5.1.2 */
#define VIRTQ_USED_F_NO_NOTIFY 1           /* 2.7.8 */

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

void virtio_fail(const char *what)
{
    printf("virtio: error: %s\n", what);
    debug_exit(2);
}

void virtio_check(const char *err)
{
    if (err)
        virtio_fail(err);
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

void virtio_pci_open(struct virtio_pci *vp, uint32_t type,
                     uint16_t transitional)
{
    uint32_t bdf = 0;

    if (virtio_pci_find(&bdf, type, transitional, vp) < 0)
        virtio_fail("no such virtio function on bus 0");
    virtio_check(virtio_pci_map(vp));
}

/* 3.1.1 driver initialization, up to FEATURES_OK */
const char *virtio_pci_negotiate(struct virtio_pci *vp, uint64_t want,
                                 uint64_t *offered)
{
    volatile uint8_t *c = vp->common;
    uint64_t dev;

    virtio_pci_reset(vp);
    while (c[CC_STATUS])
        cpu_relax();
    c[CC_STATUS] = VIRTIO_ST_ACK;
    c[CC_STATUS] = VIRTIO_ST_ACK | VIRTIO_ST_DRIVER;
    *(volatile uint32_t *)(c + CC_DFSELECT) = 0;
    dev = *(volatile uint32_t *)(c + CC_DF);
    *(volatile uint32_t *)(c + CC_DFSELECT) = 1;
    dev |= (uint64_t)*(volatile uint32_t *)(c + CC_DF) << 32;
    if (offered)
        *offered = dev;
    if (!(dev & (1ull << VIRTIO_F_VERSION_1)))
        return "device does not offer VIRTIO_F_VERSION_1";
    vp->features = dev & (want | 1ull << VIRTIO_F_VERSION_1);
    *(volatile uint32_t *)(c + CC_GFSELECT) = 0;
    *(volatile uint32_t *)(c + CC_GF) = (uint32_t)vp->features;
    *(volatile uint32_t *)(c + CC_GFSELECT) = 1;
    *(volatile uint32_t *)(c + CC_GF) = vp->features >> 32;
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
    vq->dev = vp;
    vq->index = q;
    vq->avail_idx = vq->used_idx = vq->kicked_idx = 0;
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

void virtio_pci_reset(struct virtio_pci *vp)
{
    vp->common[CC_STATUS] = 0;
}

void virtq_add(struct virtq *vq, uint16_t head)
{
    vq->avail[2 + vq->avail_idx++ % vq->size] = head;
}

void virtq_publish(struct virtq *vq)
{
    uint16_t old = vq->kicked_idx, new = vq->avail_idx;
    int kick;

    if (old == new)
        return;
    asm volatile("" ::: "memory");   /* x86: stores are not reordered */
    vq->avail[1] = new;
    asm volatile("mfence" ::: "memory");
    if (vq->dev->features & (1ull << VIRTIO_F_EVENT_IDX)) {
        /* 2.7.10: avail_event follows the used ring's elements */
        uint16_t event = vq->used[2 + 4 * vq->size];
        kick = (uint16_t)(new - event - 1) < (uint16_t)(new - old);
    } else {
        kick = !(vq->used[0] & VIRTQ_USED_F_NO_NOTIFY);
    }
    vq->kicked_idx = new;
    if (kick)
        *vq->notify = vq->index;     /* 4.1.4.4: the queue's index */
}

int virtq_used(struct virtq *vq, uint32_t *id, uint32_t *len)
{
    volatile struct vq_used_elem *e;

    if (vq->used[1] == vq->used_idx)
        return 0;
    asm volatile("" ::: "memory");
    e = (volatile struct vq_used_elem *)(vq->used + 2) + vq->used_idx % vq->size;
    *id = e->id;
    *len = e->len;
    vq->used_idx++;
    return 1;
}

void virtq_submit(struct virtq *vq, uint16_t head)
{
    virtq_add(vq, head);
    virtq_publish(vq);
}

uint32_t virtq_wait(struct virtq *vq)
{
    uint32_t id, len;

    while (!virtq_used(vq, &id, &len))
        cpu_relax();
    return id;
}
