/*
 * A small libqos of our own: PCI configuration access through mechanism
 * #1, and a virtio 1.x PCI driver (Virtual I/O Device spec 1.2, 3.1 and
 * 4.1) that negotiates features and runs split virtqueues placed in guest
 * RAM, so a qtest can act as the guest's driver.
 */
#ifndef TESTS_QTEST_QVIRTIO_H
#define TESTS_QTEST_QVIRTIO_H

#include "libqtest.h"

/* ---- PCI ---------------------------------------------------------------- */

uint32_t qpci_config_read(QTestState *s, unsigned devfn, unsigned reg,
                          unsigned size);
void qpci_config_write(QTestState *s, unsigned devfn, unsigned reg,
                       uint32_t val, unsigned size);
/* Offset of the first capability with this ID at or after `from`'s next
 * (from 0: the list head), 0 if none. */
uint8_t qpci_find_cap(QTestState *s, unsigned devfn, uint8_t id, uint8_t from);

/* ---- virtio ------------------------------------------------------------- */

#define QVIRTIO_F_VERSION_1         32
#define QVIRTIO_F_INDIRECT_DESC     28
#define QVIRTIO_F_EVENT_IDX         29
#define QVIRTIO_S_ACKNOWLEDGE       1
#define QVIRTIO_S_DRIVER            2
#define QVIRTIO_S_DRIVER_OK         4
#define QVIRTIO_S_FEATURES_OK       8
#define QVIRTIO_S_NEEDS_RESET       0x40
#define QVRING_DESC_F_NEXT          1
#define QVRING_DESC_F_WRITE         2
#define QVRING_DESC_F_INDIRECT      4
#define QVIRTIO_NO_VECTOR           0xffff

typedef struct QVirtioDev {
    QTestState *s;
    unsigned devfn;
    /* where each structure is, found through the vendor capabilities */
    uint64_t common, isr, device, notify;
    uint32_t notify_mult;
    uint64_t msix_table;        /* 0 without MSI-X */
    uint64_t alloc_next;        /* bump allocator for rings and buffers */
} QVirtioDev;

typedef struct QVirtQueue {
    QVirtioDev *dev;
    unsigned index;
    uint16_t size;
    uint64_t desc, avail, used;
    uint16_t free_head;         /* next descriptor to hand out */
    uint16_t avail_idx;
    uint16_t last_used;
    uint16_t notify_off;
} QVirtQueue;

/* Find the function at devfn and its structures; fails the test if the
 * capabilities are missing.  Guest RAM from alloc_base is the driver's. */
void qvirtio_pci_init(QVirtioDev *d, QTestState *s, unsigned devfn,
                      uint64_t alloc_base);
uint64_t qvirtio_alloc(QVirtioDev *d, uint64_t size, uint64_t align);
uint8_t qvirtio_get_status(QVirtioDev *d);
void qvirtio_set_status(QVirtioDev *d, uint8_t status);
uint64_t qvirtio_device_features(QVirtioDev *d);
/* Reset, ACKNOWLEDGE|DRIVER, write features, FEATURES_OK; returns whether
 * the device kept FEATURES_OK (3.1.1 step 6). */
bool qvirtio_negotiate(QVirtioDev *d, uint64_t features);
/* Set up queue index with `size` entries (0: the device's maximum),
 * MSI-X vector (or QVIRTIO_NO_VECTOR), and enable it. */
void qvirtqueue_setup(QVirtQueue *vq, QVirtioDev *d, unsigned index,
                      uint16_t size, uint16_t vector);
/* Write a descriptor; returns its index. */
uint16_t qvirtqueue_desc(QVirtQueue *vq, uint16_t i, uint64_t addr,
                         uint32_t len, uint16_t flags, uint16_t next);
/* Make the chain at head available (does not kick). */
void qvirtqueue_make_avail(QVirtQueue *vq, uint16_t head);
void qvirtqueue_kick(QVirtQueue *vq);
/* Wait (bounded by timeout_ms) for the next used entry; returns false on
 * timeout, else its id and len. */
bool qvirtqueue_wait_used(QVirtQueue *vq, unsigned timeout_ms,
                          uint32_t *id, uint32_t *len);
/* Enable MSI-X with every vector's message going to RAM at addr + 4*v. */
void qvirtio_msix_to_ram(QVirtioDev *d, uint64_t addr, unsigned nr);
/* Poll until cond(d) holds or timeout_ms passes. */
bool qvirtio_wait_status(QVirtioDev *d, uint8_t bits, unsigned timeout_ms);

#endif
