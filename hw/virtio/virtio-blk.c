/*
 * virtio-blk-pci (Virtual I/O Device spec 1.2, 5.2) on a block node.
 *
 * A request is {le32 type, le32 reserved, le64 sector} (device-readable),
 * data, then one status byte (device-writable, last) (5.2.6).  The I/O
 * thread parses and range-checks requests and hands them to the block
 * layer (block_aio); completions write the status, push and notify under
 * the device lock.  The I/O thread also polls the node's completion
 * descriptor (block_completion_fd): with io_uring the thread that
 * submits a request completes it; with aio=threads a request alone on
 * the disk runs on that thread, the others complete on workers.  A
 * request the disk cannot serve (out of range, not a multiple of the
 * sector, a write to a read-only disk, a host I/O
 * error) completes with VIRTIO_BLK_S_IOERR; only a request without
 * header or status byte is a driver bug that breaks the device.
 */
#include "hw/virtio/virtio-pci.h"
#include "block/block.h"
#include "system/drive.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"

#include <poll.h>
#include <string.h>

/* 5.2.3: feature bits */
#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_RO         5
#define VIRTIO_BLK_F_BLK_SIZE   6
#define VIRTIO_BLK_F_FLUSH      9
#define VIRTIO_BLK_F_DISCARD    13

/* 5.2.6: request types and status */
#define VIRTIO_BLK_T_IN         0
#define VIRTIO_BLK_T_OUT        1
#define VIRTIO_BLK_T_FLUSH      4
#define VIRTIO_BLK_T_GET_ID     8
#define VIRTIO_BLK_T_DISCARD    11
#define VIRTIO_BLK_S_OK         0
#define VIRTIO_BLK_S_IOERR      1
#define VIRTIO_BLK_S_UNSUPP     2

#define VIRTIO_BLK_ID_BYTES     20
#define BLK_SECTOR              512
#define BLK_QUEUE_SIZE          256
#define BLK_CONFIG_LEN          60      /* through write_zeroes_may_unmap */
#define BLK_DISCARD_ALIGN       8       /* sectors: 4 KiB */
#define BLK_MAX_DISCARD_SECTORS (UINT32_MAX / BLK_SECTOR)
/* 5.2.4: PCI mass storage, "other" subclass (as QEMU) */
#define PCI_CLASS_STORAGE_OTHER 0x018000

typedef struct VirtIOBlock {
    VirtIODevice vdev;
    BlockNode *bs;
    char *serial;
    unsigned generation;        /* bumped at reset: late completions drop */
    bool io_error_reported;
} VirtIOBlock;

typedef struct VirtIOBlockReq {
    VirtIOBlock *s;
    VirtQueue *vq;
    VirtQueueElement *elem;
    uint8_t *status;
    uint32_t in_len;            /* written to the guest on success */
    unsigned generation;
    unsigned niov;
    struct iovec iov[];         /* the data buffers */
} VirtIOBlockReq;

static void blk_finish(VirtIOBlockReq *r, uint8_t status)
{
    *r->status = status;
    virtqueue_push(r->vq, r->elem, status == VIRTIO_BLK_S_OK ? r->in_len : 1);
}

/* On a block worker thread, or the I/O thread (io_uring). */
static void blk_complete(void *opaque, int ret)
{
    VirtIOBlockReq *r = opaque;
    VirtIOBlock *s = r->s;

    g_mutex_lock(s->vdev.lock);
    if (ret < 0 && !s->io_error_reported) {
        /* once per device: a full disk fails every write after this */
        error_report("%s: I/O error on '%s': %s (reported to the guest)",
                     s->vdev.vc->name, s->bs->filename, g_strerror(-ret));
        s->io_error_reported = true;
    }
    if (r->generation == s->generation && virtio_queue_ready(r->vq)) {
        blk_finish(r, ret < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
        virtio_notify(r->vq);
    }
    g_mutex_unlock(s->vdev.lock);
    g_free(r->elem);
    g_free(r);
}

/*
 * A write of a driver that did not negotiate VIRTIO_BLK_F_FLUSH: it
 * cannot flush, so (as Linux's driver assumes, "no writeback cache") the
 * write must be stable before it completes: flush, then complete.
 * Where blk_complete runs; the flush is queued before this request
 * leaves the in-flight count, so block_drain_all() waits for it too.
 */
static void blk_write_through(void *opaque, int ret)
{
    VirtIOBlockReq *r = opaque;

    if (ret < 0) {
        blk_complete(r, ret);
        return;
    }
    block_aio(r->s->bs, BLOCK_OP_FLUSH, 0, 0, NULL, 0, blk_complete, r);
}

/* The iovec from byte skip of sg, up to len bytes. */
static unsigned iov_slice(struct iovec *out, const struct iovec *sg,
                          unsigned n, size_t skip, size_t len)
{
    unsigned k = 0;

    for (unsigned i = 0; i < n && len; i++) {
        if (skip >= sg[i].iov_len) {
            skip -= sg[i].iov_len;
            continue;
        }
        size_t c = MIN(sg[i].iov_len - skip, len);
        out[k].iov_base = (uint8_t *)sg[i].iov_base + skip;
        out[k].iov_len = c;
        k++;
        len -= c;
        skip = 0;
    }
    return k;
}

/* offset+len bytes fit the disk, in whole sectors */
static bool range_ok(VirtIOBlock *s, uint64_t sector, uint64_t len)
{
    uint64_t sectors = s->bs->size / BLK_SECTOR;

    return len % BLK_SECTOR == 0 && sector <= sectors &&
           len / BLK_SECTOR <= sectors - sector;
}

/* Returns false if the driver broke the device (request freed). */
static bool blk_handle_request(VirtIOBlock *s, VirtQueue *vq,
                               VirtQueueElement *elem)
{
    uint8_t hdr[16];
    uint32_t type;
    uint64_t sector;
    VirtIOBlockReq *r;
    const struct iovec *last;

    if (elem->out_len < sizeof(hdr) || elem->in_len < 1) {
        virtio_error(&s->vdev, "request without header or status byte");
        g_free(elem);
        return false;
    }
    iov_to_buf(elem->out_sg, elem->out_num, 0, hdr, sizeof(hdr));
    type = ldl_le_p(hdr);
    sector = ldq_le_p(hdr + 8);

    r = g_malloc0(sizeof(*r) + (elem->out_num + elem->in_num) *
                  sizeof(struct iovec));
    r->s = s;
    r->vq = vq;
    r->elem = elem;
    r->generation = s->generation;
    last = &elem->in_sg[elem->in_num - 1];
    r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
    r->in_len = 1;

    switch (type) {
    case VIRTIO_BLK_T_IN: {
        uint64_t len = elem->in_len - 1;

        r->niov = iov_slice(r->iov, elem->in_sg, elem->in_num, 0, len);
        if (!range_ok(s, sector, len)) {
            break;
        }
        r->in_len = len + 1;
        if (len == 0) {
            blk_finish(r, VIRTIO_BLK_S_OK);
            goto done;
        }
        block_aio(s->bs, BLOCK_OP_READ, sector * BLK_SECTOR, len, r->iov,
                  r->niov, blk_complete, r);
        return true;
    }
    case VIRTIO_BLK_T_OUT: {
        uint64_t len = elem->out_len - sizeof(hdr);

        r->niov = iov_slice(r->iov, elem->out_sg, elem->out_num, sizeof(hdr),
                            len);
        if (s->bs->read_only || !range_ok(s, sector, len)) {
            break;
        }
        if (len == 0) {
            blk_finish(r, VIRTIO_BLK_S_OK);
            goto done;
        }
        block_aio(s->bs, BLOCK_OP_WRITE, sector * BLK_SECTOR, len, r->iov,
                  r->niov,
                  virtio_has_feature(&s->vdev, VIRTIO_BLK_F_FLUSH)
                      ? blk_complete : blk_write_through, r);
        return true;
    }
    case VIRTIO_BLK_T_FLUSH:
        block_aio(s->bs, BLOCK_OP_FLUSH, 0, 0, NULL, 0, blk_complete, r);
        return true;
    case VIRTIO_BLK_T_GET_ID: {
        /* 5.2.6: 20 bytes, NUL-padded (not terminated when full) */
        uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };
        size_t n = MIN(elem->in_len - 1, sizeof(id));

        if (s->serial) {
            memcpy(id, s->serial, MIN(strlen(s->serial), sizeof(id)));
        }
        iov_from_buf(elem->in_sg, elem->in_num, 0, id, n);
        r->in_len = n + 1;
        blk_finish(r, VIRTIO_BLK_S_OK);
        goto done;
    }
    case VIRTIO_BLK_T_DISCARD: {
        /* 5.2.6: one segment {le64 sector, le32 num_sectors, le32 flags};
         * config says max_discard_seg = 1 */
        uint8_t seg[16];
        uint64_t dsector;
        uint32_t num;

        if (s->bs->read_only || elem->out_len != sizeof(hdr) + sizeof(seg)) {
            break;
        }
        iov_to_buf(elem->out_sg, elem->out_num, sizeof(hdr), seg,
                   sizeof(seg));
        dsector = ldq_le_p(seg);
        num = ldl_le_p(seg + 8);
        if (ldl_le_p(seg + 12) != 0) {
            blk_finish(r, VIRTIO_BLK_S_UNSUPP);     /* unmap flag etc. */
            goto done;
        }
        if (!range_ok(s, dsector, (uint64_t)num * BLK_SECTOR)) {
            break;
        }
        block_aio(s->bs, BLOCK_OP_DISCARD, dsector * BLK_SECTOR,
                  (uint64_t)num * BLK_SECTOR, NULL, 0, blk_complete, r);
        return true;
    }
    default:
        blk_finish(r, VIRTIO_BLK_S_UNSUPP);
        goto done;
    }
    blk_finish(r, VIRTIO_BLK_S_IOERR);
done:
    g_free(r->elem);
    g_free(r);
    return true;
}

static void blk_handle(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOBlock *s = (VirtIOBlock *)vdev;
    VirtQueueElement *elem;
    bool done_some = false;

    while ((elem = virtqueue_pop(vq))) {
        if (!blk_handle_request(s, vq, elem)) {
            return;
        }
        done_some = true;
    }
    if (done_some) {
        /* requests answered at once (errors, GET_ID) */
        virtio_notify(vq);
    }
}

/* 5.2.4: struct virtio_blk_config */
static void blk_get_config(VirtIODevice *vdev, uint8_t *c)
{
    VirtIOBlock *s = (VirtIOBlock *)vdev;

    stq_le_p(c + 0, s->bs->size / BLK_SECTOR);          /* capacity */
    stl_le_p(c + 12, BLK_QUEUE_SIZE - 2);               /* seg_max */
    stl_le_p(c + 20, BLK_SECTOR);                       /* blk_size */
    c[32] = s->bs->writeback;                           /* writeback */
    stw_le_p(c + 34, 1);                                /* num_queues */
    stl_le_p(c + 36, BLK_MAX_DISCARD_SECTORS);          /* max_discard_sectors */
    stl_le_p(c + 40, 1);                                /* max_discard_seg */
    stl_le_p(c + 44, BLK_DISCARD_ALIGN);                /* discard_sector_alignment */
}

static void blk_reset(VirtIODevice *vdev)
{
    VirtIOBlock *s = (VirtIOBlock *)vdev;
    s->generation++;
}

static const VirtIODeviceClass virtio_blk_class = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .features = (1ULL << VIRTIO_BLK_F_SEG_MAX) |
                (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
                (1ULL << VIRTIO_BLK_F_FLUSH),
    .config_len = BLK_CONFIG_LEN,
    .get_config = blk_get_config,
    .reset = blk_reset,
};

/*
 * After a lone request's I/O on the I/O thread, before it completes: did
 * the driver kick meanwhile (the queue's eventfd, not consumed)?  Then it
 * keeps several requests in flight.
 */
static bool blk_kick_pending(void *opaque)
{
    VirtQueue *vq = opaque;
    struct pollfd pfd = { .fd = vq->notify_fd, .events = POLLIN };

    return vq->notify_fd >= 0 && poll(&pfd, 1, 0) == 1;
}

/* The I/O thread: the node's completions, or a lone request, are ready. */
static void blk_backend_ready(VirtIODevice *vdev)
{
    block_run_completions(((VirtIOBlock *)vdev)->bs);
}

static bool virtio_blk_new(MachineState *ms, BlockNode *bs,
                           const char *serial, QemuOpts *opts, GError **errp)
{
    VirtIOBlock *s = g_new0(VirtIOBlock, 1);
    GError *err = NULL;

    virtio_init(&s->vdev, &virtio_blk_class, ms);
    s->bs = bs;
    virtio_add_queue(&s->vdev, BLK_QUEUE_SIZE, blk_handle);
    s->vdev.backend_fd = block_completion_fd(bs, blk_kick_pending,
                                             &s->vdev.vq[0], &err);
    if (err) {
        g_propagate_error(errp, err);
        return false;
    }
    s->vdev.backend_ready = blk_backend_ready;
    s->serial = g_strdup(serial);
    if (bs->read_only) {
        s->vdev.host_features |= 1ULL << VIRTIO_BLK_F_RO;
    } else {
        s->vdev.host_features |= 1ULL << VIRTIO_BLK_F_DISCARD;
    }
    return virtio_pci_add(ms, &s->vdev, PCI_CLASS_STORAGE_OTHER, opts, errp);
}

static bool virtio_blk_attach_drive(MachineState *ms, BlockNode *bs,
                                    QemuOpts *opts, GError **errp)
{
    const char *addr = qemu_opt_get(opts, "addr");
    g_autoptr(QemuOpts) pci_opts = NULL;

    /* -drive's own options are read; addr= is the one PCI option (the
     * drive's id= is not the device's) */
    if (!qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    if (addr) {
        g_autofree char *arg = g_strdup_printf("addr=%s", addr);
        pci_opts = qemu_opts_parse(arg, NULL, errp);
        if (!pci_opts) {
            return false;
        }
    }
    bs->attached_to = g_strdup("virtio-blk-pci");
    return virtio_blk_new(ms, bs, bs->serial, pci_opts, errp);
}

static bool drive_create_virtio(MachineState *ms, QemuOpts *opts,
                                GError **errp)
{
    return block_drive_create(ms, opts, virtio_blk_attach_drive, errp);
}

/* -drive if=virtio: the node and a virtio-blk-pci using it */
static const DriveInterface drive_virtio = {
    .name = "virtio",
    .create = drive_create_virtio,
};
DRIVE_INTERFACE_REGISTER(drive_virtio)

static bool virtio_blk_pci_create(MachineState *ms, QemuOpts *opts,
                                  GError **errp)
{
    const char *drive = qemu_opt_get(opts, "drive");
    const char *id = qemu_opt_get(opts, "id");
    const char *serial = qemu_opt_get(opts, "serial");
    uint64_t bootindex;
    BlockNode *bs;

    if (!drive) {
        error_setg(errp, "drive property not set");
        return false;
    }
    /* no firmware boots from it: accepted without effect */
    if (!qemu_opt_get_number(opts, "bootindex", 0, &bootindex, errp)) {
        return false;
    }
    bs = block_attach(drive, id ? id : "virtio-blk-pci", errp);
    if (!bs) {
        return false;
    }
    return virtio_blk_new(ms, bs, serial ? serial : bs->serial, opts, errp);
}

static const DeviceInfo virtio_blk_pci_info = {
    .name = "virtio-blk-pci",
    .bus = "PCI",
    .desc = "virtio block device (drive=NODE, serial=)",
    .create = virtio_blk_pci_create,
};
DEVICE_REGISTER(virtio_blk_pci_info)
