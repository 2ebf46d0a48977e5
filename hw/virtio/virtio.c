/*
 * Virtio device core: status, features and split virtqueues (Virtual
 * I/O Device spec 1.2, 2.7).  Ring layouts (all little-endian):
 *   descriptor table: 16 bytes each {le64 addr, le32 len, le16 flags,
 *                     le16 next}                                 (2.7.5)
 *   driver (avail) area: le16 flags, le16 idx, le16 ring[size],
 *                     le16 used_event                            (2.7.6)
 *   device (used) area: le16 flags, le16 idx, {le32 id, le32 len}[size],
 *                     le16 avail_event                           (2.7.8)
 */
#include "hw/virtio/virtio.h"
#include "qemu/osdep.h"
#include "hw/boards.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/log.h"

#include <stdarg.h>
#include <string.h>

#define VRING_DESC_SIZE 16

void virtio_init(VirtIODevice *vdev, const VirtIODeviceClass *vc,
                 MachineState *ms)
{
    vdev->vc = vc;
    vdev->ms = ms;
    vdev->host_features = vc->features | (1ULL << VIRTIO_F_VERSION_1) |
                          (1ULL << VIRTIO_RING_F_INDIRECT_DESC) |
                          (1ULL << VIRTIO_RING_F_EVENT_IDX);
    vdev->config_vector = VIRTIO_NO_VECTOR;
    vdev->backend_fd = -1;
}

VirtQueue *virtio_add_queue(VirtIODevice *vdev, uint16_t max_size,
                            VirtIOHandleOutput handle)
{
    VirtQueue *vq;

    g_assert(vdev->nvq < VIRTIO_QUEUE_MAX);
    g_assert(max_size && max_size <= VIRTQUEUE_MAX_SIZE &&
             !(max_size & (max_size - 1)));
    vq = &vdev->vq[vdev->nvq];
    vq->vdev = vdev;
    vq->index = vdev->nvq++;
    vq->max_size = vq->size = max_size;
    vq->handle = handle;
    vq->vector = VIRTIO_NO_VECTOR;
    vq->notify_fd = -1;
    return vq;
}

void virtio_reset(VirtIODevice *vdev)
{
    vdev->status = 0;
    vdev->guest_features = 0;
    vdev->isr = 0;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    vdev->broken = false;
    for (unsigned i = 0; i < vdev->nvq; i++) {
        VirtQueue *vq = &vdev->vq[i];
        vq->size = vq->max_size;
        vq->enabled = false;
        vq->desc = vq->avail = vq->used = 0;
        vq->vector = VIRTIO_NO_VECTOR;
        vq->last_avail_idx = vq->used_idx = vq->signalled_used = 0;
        vq->signalled_used_valid = false;
    }
    if (vdev->vc->reset) {
        vdev->vc->reset(vdev);
    }
}

void virtio_set_features(VirtIODevice *vdev, uint64_t features)
{
    vdev->guest_features = features & vdev->host_features;
}

bool virtio_queue_ready(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    return vq->enabled && !vdev->broken &&
           (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK);
}

void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    gint64 now;

    if (vdev->broken) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /*
     * The guest can reset the device and break it again at will: stderr
     * gets at most one such line a second per device, the rest go to the
     * (rate-limited) -d guest_errors log.
     */
    now = g_get_monotonic_time();
    if (!vdev->error_reported_at ||
        now - vdev->error_reported_at >= G_USEC_PER_SEC) {
        vdev->error_reported_at = now;
        error_report("%s: %s: device needs reset", vdev->vc->name, msg);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: %s: device needs reset\n",
                      vdev->vc->name, msg);
    }
    vdev->broken = true;
    /* 2.1.2: tell the driver through the status and a config change */
    vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        vdev->isr |= 2;
        vdev->notify(vdev, vdev->config_vector);
    }
}

/* The host view of [gpa, gpa+len) if all of it is RAM, else NULL. */
static void *ram_ptr(VirtIODevice *vdev, uint64_t gpa, uint64_t len)
{
    return machine_gpa_to_hva(vdev->ms, gpa, len);
}

static uint16_t *avail_ring(VirtQueue *vq)
{
    /* 6 + 2 * size bytes: flags, idx, ring[], used_event */
    return ram_ptr(vq->vdev, vq->avail, 6 + 2 * (uint64_t)vq->size);
}

static uint8_t *used_ring(VirtQueue *vq)
{
    return ram_ptr(vq->vdev, vq->used, 6 + 8 * (uint64_t)vq->size);
}

static uint8_t *desc_table(VirtQueue *vq)
{
    return ram_ptr(vq->vdev, vq->desc, VRING_DESC_SIZE * (uint64_t)vq->size);
}

/* 2.7.10: with EVENT_IDX the device says up to where it has looked. */
static void set_avail_event(VirtQueue *vq, uint8_t *used)
{
    if (virtio_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX)) {
        stw_le_p(used + 4 + 8 * vq->size, vq->last_avail_idx);
    }
}

typedef struct ChainBuilder {
    GArray *out, *in;           /* struct iovec */
    size_t out_len, in_len;
} ChainBuilder;

static bool add_buffer(VirtQueue *vq, ChainBuilder *cb, const uint8_t *d)
{
    uint64_t addr = ldq_le_p(d);
    uint32_t len = ldl_le_p(d + 8);
    uint16_t flags = lduw_le_p(d + 12);
    struct iovec iov;

    if (len == 0) {
        return true;            /* nothing to transfer */
    }
    iov.iov_base = ram_ptr(vq->vdev, addr, len);
    iov.iov_len = len;
    if (!iov.iov_base) {
        virtio_error(vq->vdev, "queue %u: descriptor buffer 0x%"
                     G_GINT64_MODIFIER "x+0x%x is not in guest RAM",
                     vq->index, addr, len);
        return false;
    }
    if (flags & VRING_DESC_F_WRITE) {
        g_array_append_val(cb->in, iov);
        cb->in_len += len;
    } else {
        /* 2.7.4.2: device-readable buffers come first */
        if (cb->in->len) {
            virtio_error(vq->vdev, "queue %u: readable descriptor after a "
                         "writable one", vq->index);
            return false;
        }
        g_array_append_val(cb->out, iov);
        cb->out_len += len;
    }
    return true;
}

/*
 * Walk one chain from head: the ring's own table, or one indirect table
 * (2.7.5.3), with at most as many steps as the table has entries, so a
 * loop ends as an error.
 */
static bool walk_chain(VirtQueue *vq, unsigned head, ChainBuilder *cb)
{
    VirtIODevice *vdev = vq->vdev;
    const uint8_t *table = desc_table(vq);
    unsigned table_size = vq->size, cur = head, steps = 0;
    bool indirect = false;

    if (!table) {
        virtio_error(vdev, "queue %u: descriptor table is not in guest RAM",
                     vq->index);
        return false;
    }
    for (;;) {
        const uint8_t *d = table + VRING_DESC_SIZE * cur;
        uint16_t flags = lduw_le_p(d + 12);

        if (++steps > table_size) {
            virtio_error(vdev, "queue %u: descriptor chain loops", vq->index);
            return false;
        }
        if (flags & VRING_DESC_F_INDIRECT) {
            uint64_t addr = ldq_le_p(d);
            uint32_t len = ldl_le_p(d + 8);

            if (!virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC) ||
                indirect || (flags & VRING_DESC_F_NEXT)) {
                virtio_error(vdev, "queue %u: misplaced indirect descriptor",
                             vq->index);
                return false;
            }
            if (len == 0 || len % VRING_DESC_SIZE ||
                len / VRING_DESC_SIZE > VIRTQUEUE_MAX_SIZE * 4) {
                virtio_error(vdev, "queue %u: indirect table length %u",
                             vq->index, len);
                return false;
            }
            table = ram_ptr(vdev, addr, len);
            if (!table) {
                virtio_error(vdev, "queue %u: indirect table 0x%"
                             G_GINT64_MODIFIER "x+0x%x is not in guest RAM",
                             vq->index, addr, len);
                return false;
            }
            indirect = true;
            table_size = len / VRING_DESC_SIZE;
            cur = 0;
            steps = 0;
            continue;
        }
        if (!add_buffer(vq, cb, d)) {
            return false;
        }
        if (!(flags & VRING_DESC_F_NEXT)) {
            return true;
        }
        cur = lduw_le_p(d + 14);
        if (cur >= table_size) {
            virtio_error(vdev, "queue %u: next descriptor %u out of range",
                         vq->index, cur);
            return false;
        }
    }
}

VirtQueueElement *virtqueue_pop(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    uint16_t *avail;
    uint8_t *used;
    uint16_t avail_idx, head;
    ChainBuilder cb;
    VirtQueueElement *elem;

    if (!virtio_queue_ready(vq)) {
        return NULL;
    }
    avail = avail_ring(vq);
    used = used_ring(vq);
    if (!avail || !used) {
        virtio_error(vdev, "queue %u: %s ring is not in guest RAM", vq->index,
                     avail ? "used" : "available");
        return NULL;
    }
    avail_idx = lduw_le_p((uint8_t *)&avail[1]);
    if (avail_idx == vq->last_avail_idx) {
        set_avail_event(vq, used);
        return NULL;
    }
    if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->size) {
        virtio_error(vdev, "queue %u: available index moved from %u to %u",
                     vq->index, vq->last_avail_idx, avail_idx);
        return NULL;
    }
    /* read the ring entry only after the index that covers it */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    head = lduw_le_p((uint8_t *)&avail[2 + vq->last_avail_idx % vq->size]);
    if (head >= vq->size) {
        virtio_error(vdev, "queue %u: head descriptor %u out of range",
                     vq->index, head);
        return NULL;
    }
    cb.out = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    cb.in = g_array_new(FALSE, FALSE, sizeof(struct iovec));
    cb.out_len = cb.in_len = 0;
    if (!walk_chain(vq, head, &cb)) {
        g_array_free(cb.out, TRUE);
        g_array_free(cb.in, TRUE);
        return NULL;
    }
    vq->last_avail_idx++;
    set_avail_event(vq, used);

    /* one allocation: the element and both iovec arrays (the chain's
     * length is bounded by the queue size, so the sum cannot overflow) */
    elem = QEMU_FLEX_NEW0(VirtQueueElement, sg, cb.out->len + cb.in->len);
    elem->index = head;
    elem->out_num = cb.out->len;
    elem->in_num = cb.in->len;
    elem->out_sg = elem->sg;
    elem->in_sg = elem->sg + elem->out_num;
    /* (a GArray that never grew has no data: nothing to copy) */
    if (cb.out->len) {
        memcpy(elem->out_sg, cb.out->data, cb.out->len * sizeof(struct iovec));
    }
    if (cb.in->len) {
        memcpy(elem->in_sg, cb.in->data, cb.in->len * sizeof(struct iovec));
    }
    elem->out_len = cb.out_len;
    elem->in_len = cb.in_len;
    g_array_free(cb.out, TRUE);
    g_array_free(cb.in, TRUE);
    return elem;
}

void virtqueue_fill(VirtQueue *vq, const VirtQueueElement *elem,
                    uint32_t len, unsigned idx)
{
    uint8_t *used = used_ring(vq);
    uint8_t *e;

    if (!used || vq->vdev->broken) {
        return;
    }
    e = used + 4 + 8 * ((uint16_t)(vq->used_idx + idx) % vq->size);
    stl_le_p(e, elem->index);
    stl_le_p(e + 4, len);
}

void virtqueue_flush(VirtQueue *vq, unsigned count)
{
    uint8_t *used = used_ring(vq);

    if (!used || vq->vdev->broken) {
        return;
    }
    /* the entries are visible before the index that publishes them */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vq->used_idx += count;
    stw_le_p(used + 2, vq->used_idx);
}

void virtqueue_push(VirtQueue *vq, const VirtQueueElement *elem,
                    uint32_t len)
{
    virtqueue_fill(vq, elem, len, 0);
    virtqueue_flush(vq, 1);
}

void virtqueue_unpop(VirtQueue *vq, unsigned count)
{
    vq->last_avail_idx -= count;
}

/* 2.7.10: notify when the new used index passes the driver's used_event */
static bool vring_need_event(uint16_t event, uint16_t new, uint16_t old)
{
    return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void virtio_notify(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    uint16_t *avail = avail_ring(vq);
    bool need;

    if (!avail || vdev->broken) {
        return;
    }
    /* the used index is written before we look at the driver's wishes */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) {
        uint16_t event = lduw_le_p((uint8_t *)&avail[2 + vq->size]);
        need = !vq->signalled_used_valid ||
               vring_need_event(event, vq->used_idx, vq->signalled_used);
    } else {
        need = !(lduw_le_p((uint8_t *)&avail[0]) &
                 VRING_AVAIL_F_NO_INTERRUPT);
    }
    vq->signalled_used = vq->used_idx;
    vq->signalled_used_valid = true;
    if (need) {
        vdev->isr |= 1;
        vdev->notify(vdev, vq->vector);
    }
}

/* Copy len bytes between buf and the iovec from byte off of it. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t off,
                       uint8_t *buf, size_t len, bool to_iov)
{
    size_t done = 0;

    for (unsigned i = 0; i < n && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t c = MIN(iov[i].iov_len - off, len - done);
        uint8_t *p = (uint8_t *)iov[i].iov_base + off;
        memcpy(to_iov ? p : buf + done, to_iov ? buf + done : p, c);
        done += c;
        off = 0;
    }
    return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off,
                  void *buf, size_t len)
{
    return iov_copy(iov, n, off, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off,
                    const void *buf, size_t len)
{
    return iov_copy(iov, n, off, (uint8_t *)buf, len, true);
}
