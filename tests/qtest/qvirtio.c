/*
 * The test-side virtio driver (see qvirtio.h).  Offsets are the spec's:
 * virtio_pci_cap 4.1.4, common configuration 4.1.4.3, split virtqueue
 * layout 2.7, MSI-X table (PCI Local Bus 3.0, 6.8.2).
 */
#include "qvirtio.h"

#include <string.h>

#define PCI_CONFIG_ADDR 0xcf8
#define PCI_CONFIG_DATA 0xcfc

uint32_t qpci_config_read(QTestState *s, unsigned devfn, unsigned reg,
                          unsigned size)
{
    qtest_outl(s, PCI_CONFIG_ADDR, 0x80000000u | devfn << 8 | (reg & 0xfc));
    switch (size) {
    case 1:
        return qtest_inb(s, PCI_CONFIG_DATA + (reg & 3));
    case 2:
        return qtest_inw(s, PCI_CONFIG_DATA + (reg & 2));
    default:
        return qtest_inl(s, PCI_CONFIG_DATA);
    }
}

void qpci_config_write(QTestState *s, unsigned devfn, unsigned reg,
                       uint32_t val, unsigned size)
{
    qtest_outl(s, PCI_CONFIG_ADDR, 0x80000000u | devfn << 8 | (reg & 0xfc));
    switch (size) {
    case 1:
        qtest_outb(s, PCI_CONFIG_DATA + (reg & 3), val);
        break;
    case 2:
        qtest_outw(s, PCI_CONFIG_DATA + (reg & 2), val);
        break;
    default:
        qtest_outl(s, PCI_CONFIG_DATA, val);
    }
}

uint8_t qpci_find_cap(QTestState *s, unsigned devfn, uint8_t id, uint8_t from)
{
    uint8_t c = from ? qpci_config_read(s, devfn, from + 1, 1)
                     : qpci_config_read(s, devfn, 0x34, 1);
    unsigned guard = 0;

    while (c && guard++ < 48) {
        if (qpci_config_read(s, devfn, c, 1) == id) {
            return c;
        }
        c = qpci_config_read(s, devfn, c + 1, 1);
    }
    return 0;
}

static uint64_t bar_addr(QTestState *s, unsigned devfn, unsigned bar)
{
    uint32_t lo = qpci_config_read(s, devfn, 0x10 + 4 * bar, 4);
    uint64_t a = lo & ~0xfull;

    if ((lo & 6) == 4) {
        a |= (uint64_t)qpci_config_read(s, devfn, 0x14 + 4 * bar, 4) << 32;
    }
    return a;
}

void qvirtio_pci_init(QVirtioDev *d, QTestState *s, unsigned devfn,
                      uint64_t alloc_base)
{
    uint8_t c = 0;

    memset(d, 0, sizeof(*d));
    d->s = s;
    d->devfn = devfn;
    d->alloc_next = alloc_base;
    while ((c = qpci_find_cap(s, devfn, 0x09, c))) {
        uint8_t type = qpci_config_read(s, devfn, c + 3, 1);
        uint8_t bar = qpci_config_read(s, devfn, c + 4, 1);
        uint64_t at = bar_addr(s, devfn, bar) +
                      qpci_config_read(s, devfn, c + 8, 4);
        switch (type) {
        case 1: d->common = at; break;
        case 2:
            d->notify = at;
            d->notify_mult = qpci_config_read(s, devfn, c + 16, 4);
            break;
        case 3: d->isr = at; break;
        case 4: d->device = at; break;
        }
    }
    g_assert_cmphex(d->common, !=, 0);
    g_assert_cmphex(d->notify, !=, 0);
    g_assert_cmphex(d->isr, !=, 0);
    c = qpci_find_cap(s, devfn, 0x11, 0);
    if (c) {
        uint32_t t = qpci_config_read(s, devfn, c + 4, 4);
        d->msix_table = bar_addr(s, devfn, t & 7) + (t & ~7u);
    }
    /* bus mastering: the device may write rings and send MSI-X */
    qpci_config_write(s, devfn, 0x04,
                      qpci_config_read(s, devfn, 0x04, 2) | 0x4, 2);
}

uint64_t qvirtio_alloc(QVirtioDev *d, uint64_t size, uint64_t align)
{
    uint64_t a = (d->alloc_next + align - 1) & ~(align - 1);
    d->alloc_next = a + size;
    qtest_memset(d->s, a, 0, size);
    return a;
}

uint8_t qvirtio_get_status(QVirtioDev *d)
{
    return qtest_readb(d->s, d->common + 0x14);
}

void qvirtio_set_status(QVirtioDev *d, uint8_t status)
{
    qtest_writeb(d->s, d->common + 0x14, status);
}

uint64_t qvirtio_device_features(QVirtioDev *d)
{
    uint64_t f;

    qtest_writel(d->s, d->common + 0x00, 0);
    f = qtest_readl(d->s, d->common + 0x04);
    qtest_writel(d->s, d->common + 0x00, 1);
    return f | (uint64_t)qtest_readl(d->s, d->common + 0x04) << 32;
}

bool qvirtio_negotiate(QVirtioDev *d, uint64_t features)
{
    qvirtio_set_status(d, 0);
    g_assert_cmpuint(qvirtio_get_status(d), ==, 0);
    qvirtio_set_status(d, QVIRTIO_S_ACKNOWLEDGE);
    qvirtio_set_status(d, QVIRTIO_S_ACKNOWLEDGE | QVIRTIO_S_DRIVER);
    qtest_writel(d->s, d->common + 0x08, 0);
    qtest_writel(d->s, d->common + 0x0c, (uint32_t)features);
    qtest_writel(d->s, d->common + 0x08, 1);
    qtest_writel(d->s, d->common + 0x0c, features >> 32);
    qvirtio_set_status(d, QVIRTIO_S_ACKNOWLEDGE | QVIRTIO_S_DRIVER |
                       QVIRTIO_S_FEATURES_OK);
    return qvirtio_get_status(d) & QVIRTIO_S_FEATURES_OK;
}

void qvirtqueue_setup(QVirtQueue *vq, QVirtioDev *d, unsigned index,
                      uint16_t size, uint16_t vector)
{
    QTestState *s = d->s;

    memset(vq, 0, sizeof(*vq));
    vq->dev = d;
    vq->index = index;
    qtest_writew(s, d->common + 0x16, index);
    if (size) {
        qtest_writew(s, d->common + 0x18, size);
    }
    vq->size = qtest_readw(s, d->common + 0x18);
    g_assert_cmpuint(vq->size, >, 0);
    vq->desc = qvirtio_alloc(d, 16 * vq->size, 16);
    vq->avail = qvirtio_alloc(d, 6 + 2 * vq->size, 2);
    vq->used = qvirtio_alloc(d, 6 + 8 * vq->size, 4);
    qtest_writeq(s, d->common + 0x20, vq->desc);
    qtest_writel(s, d->common + 0x28, (uint32_t)vq->avail);
    qtest_writel(s, d->common + 0x2c, vq->avail >> 32);
    qtest_writeq(s, d->common + 0x30, vq->used);
    qtest_writew(s, d->common + 0x1a, vector);
    vq->notify_off = qtest_readw(s, d->common + 0x1e);
    qtest_writew(s, d->common + 0x1c, 1);
}

uint16_t qvirtqueue_desc(QVirtQueue *vq, uint16_t i, uint64_t addr,
                         uint32_t len, uint16_t flags, uint16_t next)
{
    uint64_t at = vq->desc + 16 * i;
    QTestState *s = vq->dev->s;

    qtest_writeq(s, at, addr);
    qtest_writel(s, at + 8, len);
    qtest_writew(s, at + 12, flags);
    qtest_writew(s, at + 14, next);
    return i;
}

void qvirtqueue_make_avail(QVirtQueue *vq, uint16_t head)
{
    QTestState *s = vq->dev->s;

    qtest_writew(s, vq->avail + 4 + 2 * (vq->avail_idx % vq->size), head);
    vq->avail_idx++;
    qtest_writew(s, vq->avail + 2, vq->avail_idx);
}

void qvirtqueue_kick(QVirtQueue *vq)
{
    QVirtioDev *d = vq->dev;
    qtest_writew(d->s, d->notify + vq->notify_off * d->notify_mult, vq->index);
}

bool qvirtqueue_wait_used(QVirtQueue *vq, unsigned timeout_ms,
                          uint32_t *id, uint32_t *len)
{
    QTestState *s = vq->dev->s;
    gint64 end = g_get_monotonic_time() + timeout_ms * 1000LL;

    while (qtest_readw(s, vq->used + 2) == vq->last_used) {
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_usleep(1000);
    }
    uint64_t e = vq->used + 4 + 8 * (vq->last_used % vq->size);
    *id = qtest_readl(s, e);
    *len = qtest_readl(s, e + 4);
    vq->last_used++;
    return true;
}

void qvirtio_msix_to_ram(QVirtioDev *d, uint64_t addr, unsigned nr)
{
    QTestState *s = d->s;
    uint8_t c = qpci_find_cap(s, d->devfn, 0x11, 0);

    g_assert_cmpuint(c, !=, 0);
    for (unsigned v = 0; v < nr; v++) {
        uint64_t e = d->msix_table + 16 * v;
        qtest_writel(s, e, (uint32_t)(addr + 4 * v));
        qtest_writel(s, e + 4, (addr + 4 * v) >> 32);
        qtest_writel(s, e + 8, 0xc0de0000 | v);
        qtest_writel(s, e + 12, 0);        /* unmasked */
    }
    qpci_config_write(s, d->devfn, c + 2,
                      qpci_config_read(s, d->devfn, c + 2, 2) | 0x8000, 2);
}

bool qvirtio_wait_status(QVirtioDev *d, uint8_t bits, unsigned timeout_ms)
{
    gint64 end = g_get_monotonic_time() + timeout_ms * 1000LL;

    while ((qvirtio_get_status(d) & bits) != bits) {
        if (g_get_monotonic_time() > end) {
            return false;
        }
        g_usleep(1000);
    }
    return true;
}
