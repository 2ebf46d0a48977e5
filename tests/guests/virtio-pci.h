/*
 * A minimal polling virtio 1.x PCI driver for the test guests (virtio
 * spec 1.2, 4.1 and 2.7): find a function, negotiate, set up split
 * virtqueues at fixed guest addresses, kick with event-index
 * suppression.  No interrupts: vectors stay NO_VECTOR, drivers poll the
 * used rings.  32-bit guest without paging: BARs must sit below 4 GiB
 * (qkvm places them itself; under QEMU SeaBIOS has run first).
 */
#ifndef TESTS_GUESTS_VIRTIO_PCI_H
#define TESTS_GUESTS_VIRTIO_PCI_H

#include "libguest.h"

#define VIRTIO_VENDOR           0x1af4
#define VIRTQ_DESC_F_NEXT       1       /* 2.7.5 */
#define VIRTQ_DESC_F_WRITE      2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1    /* 2.7.6 */
#define VIRTIO_F_EVENT_IDX      29      /* 6 */
#define VIRTIO_F_VERSION_1      32

struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vq_used_elem { uint32_t id, len; };

typedef struct GuestVirtio {
    uint32_t bdf;
    volatile uint8_t *common, *devcfg, *notify_base;
    uint32_t notify_mult;
    uint64_t features;              /* negotiated */
} GuestVirtio;

typedef struct GuestVq {
    GuestVirtio *dev;
    uint16_t index, size;
    struct vq_desc *desc;
    volatile uint16_t *avail;       /* flags, idx, ring[size], used_event */
    volatile uint16_t *used;        /* flags, idx, then elements */
    volatile uint16_t *notify;
    uint16_t avail_idx, used_idx;
    uint16_t kicked_idx;            /* avail_idx at the last kick */
} GuestVq;

__attribute__((noreturn)) void virtio_fail(const char *what);
/* The virtio function with this modern device ID (0x1040 + type) or
 * transitional one on bus 0, its structures found; fails if absent. */
void virtio_find(GuestVirtio *d, uint16_t modern_id, uint16_t trans_id);
/* Reset, ACK|DRIVER, accept wanted & offered (VERSION_1 required),
 * FEATURES_OK. */
void virtio_negotiate(GuestVirtio *d, uint64_t wanted);
/* Queue index with at most max entries; its rings from `base` (three
 * 4 KiB pages: descriptors, driver area, device area; max <= 256). */
void virtio_queue(GuestVq *q, GuestVirtio *d, uint16_t index, uint16_t max,
                  uint32_t base);
void virtio_driver_ok(GuestVirtio *d);
/* Publish the chain at head (not yet visible: call virtq_publish). */
void virtq_add(GuestVq *q, uint16_t head);
/* Make added chains visible and notify if the device wants it (2.7.10
 * with EVENT_IDX, else unless VIRTQ_USED_F_NO_NOTIFY). */
void virtq_publish(GuestVq *q);
/* Next used element or 0 if none; its id and len. */
int virtq_used(GuestVq *q, uint32_t *id, uint32_t *len);
static inline uint64_t virtio_rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

#endif
