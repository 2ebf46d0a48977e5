/*
 * virtio-rng-pci: the entropy device (Virtual I/O Device spec 1.2, 5.4).
 * One queue of device-writable buffers; each is filled from the host's
 * getrandom(2).  No feature bits, no device configuration.
 */
#include "hw/virtio/virtio-pci.h"
#include "hw/qdev.h"
#include "hw/boards.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <sys/random.h>

#define RNG_QUEUE_SIZE  64
/*
 * Bytes one buffer gets at most.  The device "MAY use less than the
 * entire buffer length" (virtio 1.2, 5.4.6.1), and drivers take what the
 * used length says (Linux asks for 64 bytes at a time); without a bound a
 * guest could have the queue's thread fill all of its RAM from getrandom
 * in one request.
 */
#define RNG_FILL_MAX    4096
/* 5.4: the device has no class of its own; QEMU says "other" (0xff) */
#define PCI_CLASS_OTHERS 0xff0000

static void rng_handle(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtQueueElement *elem;
    bool pushed = false;

    while ((elem = virtqueue_pop(vq))) {
        size_t done = 0;

        for (unsigned i = 0; i < elem->in_num && done < RNG_FILL_MAX; i++) {
            size_t want = MIN(elem->in_sg[i].iov_len, RNG_FILL_MAX - done);
            ssize_t n = getrandom(elem->in_sg[i].iov_base, want, 0);
            if (n < 0) {
                error_report("virtio-rng: getrandom: %s", g_strerror(errno));
                break;
            }
            done += n;
            if ((size_t)n < want) {
                break;
            }
        }
        virtqueue_push(vq, elem, done);
        pushed = true;
        g_free(elem);
    }
    if (pushed) {
        virtio_notify(vq);
    }
}

static const VirtIODeviceClass virtio_rng_class = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
};

static bool virtio_rng_pci_create(MachineState *ms, QemuOpts *opts,
                                  GError **errp)
{
    VirtIODevice *vdev = g_new0(VirtIODevice, 1);

    virtio_init(vdev, &virtio_rng_class, ms);
    virtio_add_queue(vdev, RNG_QUEUE_SIZE, rng_handle);
    return virtio_pci_add(ms, vdev, PCI_CLASS_OTHERS, opts, errp);
}

static const DeviceInfo virtio_rng_pci_info = {
    .name = "virtio-rng-pci",
    .bus = "PCI",
    .desc = "virtio entropy source (host getrandom)",
    .create = virtio_rng_pci_create,
};
DEVICE_REGISTER(virtio_rng_pci_info)
