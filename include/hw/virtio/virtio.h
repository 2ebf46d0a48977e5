/*
 * Virtio 1.x devices, independent of the transport: feature bits, device
 * status, split virtqueues (Virtual I/O Device spec 1.2, 2.1-2.7).
 *
 * Every guest address a ring or descriptor names is checked against
 * guest RAM before it is touched; a ring the driver broke (address
 * outside RAM, index out of range, descriptor loop) marks the device
 * broken with one log line and DEVICE_NEEDS_RESET (2.1.2), and the VMM
 * goes on.  Queue handlers run on the transport's I/O thread with the
 * device lock held.
 */
#ifndef HW_VIRTIO_VIRTIO_H
#define HW_VIRTIO_VIRTIO_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct MachineState MachineState;

/* 2.1: device status */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE     1
#define VIRTIO_CONFIG_S_DRIVER          2
#define VIRTIO_CONFIG_S_DRIVER_OK       4
#define VIRTIO_CONFIG_S_FEATURES_OK     8
#define VIRTIO_CONFIG_S_NEEDS_RESET     0x40
#define VIRTIO_CONFIG_S_FAILED          0x80

/* 6: reserved feature bits */
#define VIRTIO_RING_F_INDIRECT_DESC     28
#define VIRTIO_RING_F_EVENT_IDX         29
#define VIRTIO_F_VERSION_1              32

/* 5: device IDs */
#define VIRTIO_ID_NET                   1
#define VIRTIO_ID_BLOCK                 2
#define VIRTIO_ID_CONSOLE               3
#define VIRTIO_ID_RNG                   4

/* 2.7.5: descriptor flags */
#define VRING_DESC_F_NEXT               1
#define VRING_DESC_F_WRITE              2
#define VRING_DESC_F_INDIRECT           4
/* 2.7.6 / 2.7.8: ring flags */
#define VRING_AVAIL_F_NO_INTERRUPT      1
#define VRING_USED_F_NO_NOTIFY          1

#define VIRTQUEUE_MAX_SIZE              256
/* virtio-serial's 31 ports (QEMU's default max_ports) need 2 * 31 + 2 */
#define VIRTIO_QUEUE_MAX                64
#define VIRTIO_NO_VECTOR                0xffff

typedef struct VirtIODevice VirtIODevice;
typedef struct VirtQueue VirtQueue;

typedef void (*VirtIOHandleOutput)(VirtIODevice *vdev, VirtQueue *vq);

struct VirtQueue {
    VirtIODevice *vdev;
    unsigned index;
    uint16_t size;              /* 0: queue does not exist */
    uint16_t max_size;
    bool enabled;
    uint64_t desc, avail, used; /* guest physical addresses */
    uint16_t vector;            /* MSI-X vector or VIRTIO_NO_VECTOR */
    uint16_t last_avail_idx;    /* next avail entry to take */
    uint16_t used_idx;          /* shadow of used->idx */
    uint16_t signalled_used;    /* used_idx at the last interrupt */
    bool signalled_used_valid;
    VirtIOHandleOutput handle;
    int notify_fd;              /* eventfd the transport kicks */
};

/* One chain taken from the avail ring: readable, then writable buffers. */
typedef struct VirtQueueElement {
    unsigned index;             /* head descriptor */
    unsigned out_num, in_num;
    struct iovec *out_sg, *in_sg;   /* into sg[]: out first, then in */
    size_t out_len, in_len;     /* bytes in each direction */
    struct iovec sg[];          /* one allocation: g_free() the element */
} VirtQueueElement;

typedef struct VirtIODeviceClass {
    const char *name;           /* "virtio-rng" */
    uint16_t device_id;
    uint64_t features;          /* device-specific bits offered */
    size_t config_len;
    /* Read the device config into buf (config_len bytes). */
    void (*get_config)(VirtIODevice *vdev, uint8_t *buf);
    /* A driver write of size bytes at offset off (already bounded). */
    void (*set_config)(VirtIODevice *vdev, unsigned off, uint64_t val,
                       unsigned size);
    void (*reset)(VirtIODevice *vdev);
    /* Optional: the driver asks for FEATURES_OK with these features (all
     * offered); false refuses them (a dependency 5.x requires is
     * missing), true accepts them and the device applies them. */
    bool (*accept_features)(VirtIODevice *vdev, uint64_t features);
} VirtIODeviceClass;

struct VirtIODevice {
    const VirtIODeviceClass *vc;
    MachineState *ms;
    uint64_t host_features;
    uint64_t guest_features;
    uint8_t status;
    uint8_t isr;
    uint8_t config_generation;
    uint16_t config_vector;
    bool broken;
    gint64 error_reported_at;   /* virtio_error's last line on stderr */
    VirtQueue vq[VIRTIO_QUEUE_MAX];
    unsigned nvq;
    /* the transport's lock: held by handlers; completions take it */
    GMutex *lock;
    /* transport: raise the interrupt of vector (ISR already set) */
    void (*notify)(VirtIODevice *vdev, uint16_t vector);
    void *transport;
    /*
     * One more descriptor the transport's I/O thread polls beside the
     * queues (-1: none): when it is readable backend_ready runs on that
     * thread, without the device lock (virtio-blk: io_uring completions).
     */
    int backend_fd;
    void (*backend_ready)(VirtIODevice *vdev);
};

void virtio_init(VirtIODevice *vdev, const VirtIODeviceClass *vc,
                 MachineState *ms);
VirtQueue *virtio_add_queue(VirtIODevice *vdev, uint16_t max_size,
                            VirtIOHandleOutput handle);
/* Driver wrote status 0 (or the machine reset): back to power-on. */
void virtio_reset(VirtIODevice *vdev);
/* Features the driver accepted: only those offered (2.2). */
void virtio_set_features(VirtIODevice *vdev, uint64_t features);
static inline bool virtio_has_feature(const VirtIODevice *vdev, unsigned bit)
{
    return vdev->guest_features & (1ULL << bit);
}
/* Is the queue live: driver OK, enabled, not broken. */
bool virtio_queue_ready(VirtQueue *vq);

/* Next chain or NULL (none, or the ring is broken). g_free() it. */
VirtQueueElement *virtqueue_pop(VirtQueue *vq);
/* Return a chain with len bytes written; then virtio_notify(). */
void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem,
                    uint32_t len);
/* Several chains used as one (virtio-net's merged receive buffers,
 * 5.1.6.4): write entry idx past the used index without publishing it,
 * then publish count entries at once, so the driver never sees part. */
void virtqueue_fill(VirtQueue *vq, const VirtQueueElement *elem,
                    uint32_t len, unsigned idx);
void virtqueue_flush(VirtQueue *vq, unsigned count);
/* Give back the last count chains popped and not pushed (freed by the
 * caller): they are taken again by the next virtqueue_pop(). */
void virtqueue_unpop(VirtQueue *vq, unsigned count);
/* Interrupt the driver if it wants one (NO_INTERRUPT / used_event). */
void virtio_notify(VirtQueue *vq);
/* The driver broke the device: one log line, NEEDS_RESET, config irq. */
void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* Copy between an iovec and a flat buffer; returns bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off,
                  void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off,
                    const void *buf, size_t len);

#endif
