/*
 * A minimal polling virtio 1.x PCI driver for the test guests: see
 * virtio-pci.h.
 */
#include "virtio-pci.h"

/* PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2) */
#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define PCI_CAP_VENDOR        0x09
#define VIRTIO_PCI_CAP_COMMON 1           /* 4.1.4 cfg_type values */
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_DEVICE 4
#define ST_ACK         1                  /* 2.1 device status bits */
#define ST_DRIVER      2
#define ST_DRIVER_OK   4
#define ST_FEATURES_OK 8
#define VIRTIO_MSI_NO_VECTOR 0xffff       /* 4.1.5.1.2 */
#define VIRTQ_USED_F_NO_NOTIFY 1          /* 2.7.8 */
/* common configuration structure offsets (4.1.4.3) */
#define CC_DFSELECT   0x00
#define CC_DF         0x04
#define CC_GFSELECT   0x08
#define CC_GF         0x0c
#define CC_STATUS     0x14
#define CC_Q_SELECT   0x16
#define CC_Q_SIZE     0x18
#define CC_Q_MSIX     0x1a
#define CC_Q_ENABLE   0x1c
#define CC_Q_NOTIFYOFF 0x1e
#define CC_Q_DESC     0x20
#define CC_Q_DRIVER   0x28
#define CC_Q_DEVICE   0x30

#define R16(p) (*(volatile uint16_t *)(p))
#define R32(p) (*(volatile uint32_t *)(p))
#define R64(p) (*(volatile uint64_t *)(p))

static uint32_t pci_read(uint32_t bdf, uint32_t off)
{
    outl(0x80000000u | bdf << 8 | (off & 0xfc), PCI_ADDR);
    return inl(PCI_DATA) >> ((off & 3) * 8);
}

static void pci_write32(uint32_t bdf, uint32_t off, uint32_t v)
{
    outl(0x80000000u | bdf << 8 | (off & 0xfc), PCI_ADDR);
    outl(v, PCI_DATA);
}

void virtio_fail(const char *what)
{
    printf("virtio: error: %s\n", what);
    debug_exit(2);
}

static volatile uint8_t *bar_addr(uint32_t bdf, uint8_t bar, uint32_t off)
{
    uint32_t lo = pci_read(bdf, 0x10 + 4 * bar);

    if (lo & 1)
        virtio_fail("virtio structure in an I/O BAR");
    if (((lo >> 1) & 3) == 2 && pci_read(bdf, 0x14 + 4 * bar) != 0)
        virtio_fail("BAR above 4 GiB (32-bit guest without paging)");
    if ((lo & ~0xfu) == 0)
        virtio_fail("BAR not programmed");
    return (volatile uint8_t *)(uintptr_t)((lo & ~0xfu) + off);
}

void virtio_find(GuestVirtio *d, uint16_t modern_id, uint16_t trans_id)
{
    uint32_t bdf, cap;

    memset(d, 0, sizeof(*d));
    for (bdf = 0; bdf < 32 * 8; bdf++) {
        uint32_t id = pci_read(bdf, 0);
        if ((id & 0xffff) == VIRTIO_VENDOR &&
            ((id >> 16) == modern_id || (id >> 16) == trans_id))
            break;
    }
    if (bdf == 32 * 8)
        virtio_fail("no such virtio function on bus 0");
    d->bdf = bdf;
    /* memory decode + bus mastering (PCI command register bits 1, 2) */
    pci_write32(bdf, 0x04, (pci_read(bdf, 0x04) & 0xffff) | 0x6);
    if (!(pci_read(bdf, 0x06) & 0x10))
        virtio_fail("no capability list");
    for (cap = pci_read(bdf, 0x34) & 0xfc; cap; cap = pci_read(bdf, cap + 1) & 0xfc) {
        if ((pci_read(bdf, cap) & 0xff) != PCI_CAP_VENDOR)
            continue;
        uint8_t type = pci_read(bdf, cap + 3), bar = pci_read(bdf, cap + 4);
        uint32_t off = pci_read(bdf, cap + 8);
        if (type == VIRTIO_PCI_CAP_COMMON && !d->common)
            d->common = bar_addr(bdf, bar, off);
        else if (type == VIRTIO_PCI_CAP_DEVICE && !d->devcfg)
            d->devcfg = bar_addr(bdf, bar, off);
        else if (type == VIRTIO_PCI_CAP_NOTIFY && !d->notify_base) {
            d->notify_base = bar_addr(bdf, bar, off);
            d->notify_mult = pci_read(bdf, cap + 16);
        }
    }
    if (!d->common || !d->devcfg || !d->notify_base)
        virtio_fail("missing common/notify/device capability");
}

void virtio_negotiate(GuestVirtio *d, uint64_t wanted)
{
    volatile uint8_t *c = d->common;
    uint64_t offered;

    /* 3.1.1 driver initialization */
    c[CC_STATUS] = 0;
    while (c[CC_STATUS])
        cpu_relax();
    c[CC_STATUS] = ST_ACK;
    c[CC_STATUS] = ST_ACK | ST_DRIVER;
    R32(c + CC_DFSELECT) = 0;
    offered = R32(c + CC_DF);
    R32(c + CC_DFSELECT) = 1;
    offered |= (uint64_t)R32(c + CC_DF) << 32;
    if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
        virtio_fail("device does not offer VIRTIO_F_VERSION_1");
    d->features = offered & (wanted | (1ull << VIRTIO_F_VERSION_1));
    R32(c + CC_GFSELECT) = 0;
    R32(c + CC_GF) = (uint32_t)d->features;
    R32(c + CC_GFSELECT) = 1;
    R32(c + CC_GF) = d->features >> 32;
    c[CC_STATUS] = ST_ACK | ST_DRIVER | ST_FEATURES_OK;
    if (!(c[CC_STATUS] & ST_FEATURES_OK))
        virtio_fail("FEATURES_OK not accepted");
}

void virtio_queue(GuestVq *q, GuestVirtio *d, uint16_t index, uint16_t max,
                  uint32_t base)
{
    volatile uint8_t *c = d->common;

    memset(q, 0, sizeof(*q));
    q->dev = d;
    q->index = index;
    R16(c + CC_Q_SELECT) = index;
    q->size = R16(c + CC_Q_SIZE);
    if (q->size == 0)
        virtio_fail("queue not available");
    if (q->size > max)
        q->size = max;
    R16(c + CC_Q_SIZE) = q->size;
    memset((void *)base, 0, 0x3000);
    q->desc = (struct vq_desc *)base;
    q->avail = (volatile uint16_t *)(base + 0x1000);
    q->used = (volatile uint16_t *)(base + 0x2000);
    R64(c + CC_Q_DESC) = base;
    R64(c + CC_Q_DRIVER) = base + 0x1000;
    R64(c + CC_Q_DEVICE) = base + 0x2000;
    R16(c + CC_Q_MSIX) = VIRTIO_MSI_NO_VECTOR;
    q->notify = (volatile uint16_t *)(d->notify_base +
                                      R16(c + CC_Q_NOTIFYOFF) * d->notify_mult);
    R16(c + CC_Q_ENABLE) = 1;
    q->avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;      /* we poll */
}

void virtio_driver_ok(GuestVirtio *d)
{
    d->common[CC_STATUS] = ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK;
}

void virtq_add(GuestVq *q, uint16_t head)
{
    q->avail[2 + q->avail_idx++ % q->size] = head;
}

void virtq_publish(GuestVq *q)
{
    uint16_t old = q->kicked_idx, new = q->avail_idx;
    int kick;

    if (old == new)
        return;
    asm volatile("" ::: "memory");   /* x86: stores are not reordered */
    q->avail[1] = new;
    asm volatile("mfence" ::: "memory");
    if (q->dev->features & (1ull << VIRTIO_F_EVENT_IDX)) {
        /* 2.7.10: avail_event after the used ring */
        uint16_t event = q->used[2 + 4 * q->size];
        kick = (uint16_t)(new - event - 1) < (uint16_t)(new - old);
    } else {
        kick = !(q->used[0] & VIRTQ_USED_F_NO_NOTIFY);
    }
    q->kicked_idx = new;
    if (kick)
        *q->notify = q->index;
}

int virtq_used(GuestVq *q, uint32_t *id, uint32_t *len)
{
    volatile struct vq_used_elem *e;

    if (q->used[1] == q->used_idx)
        return 0;
    asm volatile("" ::: "memory");
    e = (volatile struct vq_used_elem *)(q->used + 2) + q->used_idx % q->size;
    *id = e->id;
    *len = e->len;
    q->used_idx++;
    return 1;
}
