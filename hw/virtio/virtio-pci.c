/*
 * Virtio over PCI, the modern transport (Virtual I/O Device spec 1.2,
 * 4.1): vendor capabilities (4.1.4) point at four structures in BAR 4,
 * MSI-X lives in BAR 1.
 *
 * Kicks: each queue has an eventfd.  Under KVM the notify address is a
 * KVM_IOEVENTFD, so a kick costs the vCPU no exit to us; the MMIO
 * handler writes the same eventfd (qtest, odd access sizes).  One I/O
 * thread per device waits on them (and on the device's backend_fd, e.g.
 * virtio-blk's block completions) and runs the queue handlers: vCPU
 * threads never process queues.  Interrupts go out as MSI-X messages
 * from that thread (or INTx with the ISR before the driver enables
 * MSI-X).
 */
#include "hw/virtio/virtio-pci.h"
#include "hw/boards.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "system/accel.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* 4.1.4: virtio_pci_cap.cfg_type */
#define VIRTIO_PCI_CAP_COMMON_CFG   1
#define VIRTIO_PCI_CAP_NOTIFY_CFG   2
#define VIRTIO_PCI_CAP_ISR_CFG      3
#define VIRTIO_PCI_CAP_DEVICE_CFG   4
#define VIRTIO_PCI_CAP_LEN          16
#define VIRTIO_PCI_NOTIFY_CAP_LEN   20

/* 4.1.4.3: struct virtio_pci_common_cfg */
#define COMMON_DFSELECT     0x00
#define COMMON_DF           0x04
#define COMMON_GFSELECT     0x08
#define COMMON_GF           0x0c
#define COMMON_MSIX         0x10
#define COMMON_NUMQ         0x12
#define COMMON_STATUS       0x14
#define COMMON_CFGGENERATION 0x15
#define COMMON_Q_SELECT     0x16
#define COMMON_Q_SIZE       0x18
#define COMMON_Q_MSIX       0x1a
#define COMMON_Q_ENABLE     0x1c
#define COMMON_Q_NOFF       0x1e
#define COMMON_Q_DESCLO     0x20
#define COMMON_Q_DESCHI     0x24
#define COMMON_Q_AVAILLO    0x28
#define COMMON_Q_AVAILHI    0x2c
#define COMMON_Q_USEDLO     0x30
#define COMMON_Q_USEDHI     0x34
#define COMMON_SIZE         0x38

struct VirtIOPCIProxy {
    PCIDevice pci;
    VirtIODevice *vdev;
    uint32_t dfselect, gfselect;
    uint64_t driver_features;       /* as written, before FEATURES_OK */
    uint16_t queue_sel;
    uint64_t notify_base;           /* where BAR 4 decodes, or unmapped */
    bool ioeventfd;                 /* notify addresses are registered */
    int stop_fd;
    GThread *thread;
};

/* ---- interrupts -------------------------------------------------------- */

/* Called with the device lock held (I/O thread or vCPU). */
static void proxy_notify(VirtIODevice *vdev, uint16_t vector)
{
    VirtIOPCIProxy *p = vdev->transport;

    if (msix_enabled(&p->pci)) {
        if (vector != VIRTIO_NO_VECTOR) {
            msix_notify(&p->pci, vector);
        }
    } else {
        pci_set_irq(&p->pci, vdev->isr != 0);
    }
}

/* ---- common configuration ---------------------------------------------- */

static VirtQueue *selected_queue(VirtIOPCIProxy *p)
{
    VirtIODevice *vdev = p->vdev;
    return p->queue_sel < vdev->nvq ? &vdev->vq[p->queue_sel] : NULL;
}

/* The structure as the driver would see it now. */
static void common_snapshot(VirtIOPCIProxy *p, uint8_t *c)
{
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = selected_queue(p);

    memset(c, 0, COMMON_SIZE);
    stl_le_p(c + COMMON_DFSELECT, p->dfselect);
    stl_le_p(c + COMMON_DF, p->dfselect < 2 ?
             vdev->host_features >> (32 * p->dfselect) : 0);
    stl_le_p(c + COMMON_GFSELECT, p->gfselect);
    stl_le_p(c + COMMON_GF, p->gfselect < 2 ?
             p->driver_features >> (32 * p->gfselect) : 0);
    stw_le_p(c + COMMON_MSIX, vdev->config_vector);
    stw_le_p(c + COMMON_NUMQ, vdev->nvq);
    c[COMMON_STATUS] = vdev->status;
    c[COMMON_CFGGENERATION] = vdev->config_generation;
    stw_le_p(c + COMMON_Q_SELECT, p->queue_sel);
    if (vq) {
        stw_le_p(c + COMMON_Q_SIZE, vq->size);
        stw_le_p(c + COMMON_Q_MSIX, vq->vector);
        stw_le_p(c + COMMON_Q_ENABLE, vq->enabled);
        stw_le_p(c + COMMON_Q_NOFF, vq->index);
        stq_le_p(c + COMMON_Q_DESCLO, vq->desc);
        stq_le_p(c + COMMON_Q_AVAILLO, vq->avail);
        stq_le_p(c + COMMON_Q_USEDLO, vq->used);
    }
}

static uint16_t valid_vector(VirtIOPCIProxy *p, uint16_t v)
{
    /* 4.1.4.3.2: a vector the device cannot use reads back NO_VECTOR */
    return v < p->pci.msix.nr ? v : VIRTIO_NO_VECTOR;
}

/*
 * Queue q has buffers: wake its I/O thread, or under qtest (no vCPU thread
 * to keep free; a test or fuzz input expects the kick handled when its
 * write returns) handle it here.  Called with p->pci.lock held.
 */
static void kick_queue(VirtIOPCIProxy *p, unsigned q)
{
    static const uint64_t one = 1;
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = &vdev->vq[q];

    if (!vdev->ms->accel->has_vcpus) {
        if (virtio_queue_ready(vq) && vq->handle) {
            vq->handle(vdev, vq);
        }
    } else if (write(vq->notify_fd, &one, sizeof(one)) < 0) {
        /* counter full: the thread has a kick to see already */
    }
}

static void set_status(VirtIOPCIProxy *p, uint8_t status)
{
    VirtIODevice *vdev = p->vdev;
    uint8_t old = vdev->status;

    if (status == 0) {
        virtio_reset(vdev);
        p->driver_features = 0;
        pci_set_irq(&p->pci, 0);
        return;
    }
    if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
        !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
        /* 2.2.2: refuse what was not offered, and legacy drivers
         * (VERSION_1 is what a modern-only device needs) */
        if ((p->driver_features & ~vdev->host_features) ||
            !(p->driver_features & (1ULL << VIRTIO_F_VERSION_1)) ||
            (vdev->vc->accept_features &&
             !vdev->vc->accept_features(vdev, p->driver_features))) {
            status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
        } else {
            virtio_set_features(vdev, p->driver_features);
        }
    }
    vdev->status = status | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
    if ((status & VIRTIO_CONFIG_S_DRIVER_OK) &&
        !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
        /* buffers made available before DRIVER_OK */
        for (unsigned i = 0; i < vdev->nvq; i++) {
            kick_queue(p, i);
        }
    }
}

static void set_u64_half(uint64_t *v, bool high, uint32_t val)
{
    *v = high ? (*v & 0xffffffffULL) | (uint64_t)val << 32
              : (*v & ~0xffffffffULL) | val;
}

static void common_write(VirtIOPCIProxy *p, unsigned off, uint64_t val,
                         unsigned size)
{
    VirtIODevice *vdev = p->vdev;
    VirtQueue *vq = selected_queue(p);

    /* 64-bit queue addresses may come as one 8-byte write */
    if (size == 8 && (off == COMMON_Q_DESCLO || off == COMMON_Q_AVAILLO ||
                      off == COMMON_Q_USEDLO)) {
        common_write(p, off, (uint32_t)val, 4);
        common_write(p, off + 4, val >> 32, 4);
        return;
    }
    switch (off) {
    case COMMON_DFSELECT:
        p->dfselect = val;
        return;
    case COMMON_GFSELECT:
        p->gfselect = val;
        return;
    case COMMON_GF:
        if (p->gfselect < 2 && !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
            set_u64_half(&p->driver_features, p->gfselect, val);
        }
        return;
    case COMMON_MSIX:
        vdev->config_vector = valid_vector(p, val);
        return;
    case COMMON_STATUS:
        set_status(p, val);
        return;
    case COMMON_Q_SELECT:
        p->queue_sel = val;
        return;
    }
    if (!vq) {
        return;     /* 4.1.4.3.2: a queue that does not exist ignores it */
    }
    switch (off) {
    case COMMON_Q_SIZE:
        /* 2.7: a power of 2 up to the maximum, set before enabling */
        if (!vq->enabled && val && val <= vq->max_size && !(val & (val - 1))) {
            vq->size = val;
        }
        break;
    case COMMON_Q_MSIX:
        vq->vector = valid_vector(p, val);
        break;
    case COMMON_Q_ENABLE:
        /* 4.1.4.3.2: the driver writes 1; 0 is not a way to stop it */
        if (val == 1) {
            vq->enabled = true;
        }
        break;
    case COMMON_Q_DESCLO: case COMMON_Q_DESCHI:
        set_u64_half(&vq->desc, off == COMMON_Q_DESCHI, val);
        break;
    case COMMON_Q_AVAILLO: case COMMON_Q_AVAILHI:
        set_u64_half(&vq->avail, off == COMMON_Q_AVAILHI, val);
        break;
    case COMMON_Q_USEDLO: case COMMON_Q_USEDHI:
        set_u64_half(&vq->used, off == COMMON_Q_USEDHI, val);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write to read-only common "
                      "config 0x%x\n", vdev->vc->name, off);
    }
}

/* ---- BAR 4 -------------------------------------------------------------- */

static uint64_t modern_read(void *opaque, uint64_t off, unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;
    uint64_t v = 0;

    g_mutex_lock(&p->pci.lock);
    if (off < COMMON_SIZE && size <= COMMON_SIZE - off) {
        uint8_t c[COMMON_SIZE];
        common_snapshot(p, c);
        memcpy(&v, c + off, size);
    } else if (off == VIRTIO_PCI_ISR_OFF) {
        /* 4.1.4.5: reading the ISR clears it and the INTx line */
        v = vdev->isr;
        vdev->isr = 0;
        if (!msix_enabled(&p->pci)) {
            pci_set_irq(&p->pci, 0);
        }
    } else if (off >= VIRTIO_PCI_DEVICE_OFF &&
               off - VIRTIO_PCI_DEVICE_OFF < vdev->vc->config_len &&
               size <= vdev->vc->config_len - (off - VIRTIO_PCI_DEVICE_OFF)) {
        g_autofree uint8_t *cfg = g_malloc0(vdev->vc->config_len);
        vdev->vc->get_config(vdev, cfg);
        memcpy(&v, cfg + off - VIRTIO_PCI_DEVICE_OFF, size);
    }
    g_mutex_unlock(&p->pci.lock);
    return v;
}

static void modern_write(void *opaque, uint64_t off, uint64_t val,
                         unsigned size)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;

    if (off >= VIRTIO_PCI_NOTIFY_OFF) {
        /* 4.1.4.4: queue n is kicked at notify_off(n) * multiplier */
        uint64_t q = (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT;
        if (q < vdev->nvq) {
            g_mutex_lock(&p->pci.lock);
            kick_queue(p, q);
            g_mutex_unlock(&p->pci.lock);
        }
        return;
    }
    g_mutex_lock(&p->pci.lock);
    if (off < COMMON_SIZE) {
        common_write(p, off, val, size);
    } else if (off >= VIRTIO_PCI_DEVICE_OFF && vdev->vc->set_config &&
               off - VIRTIO_PCI_DEVICE_OFF < vdev->vc->config_len &&
               size <= vdev->vc->config_len - (off - VIRTIO_PCI_DEVICE_OFF)) {
        vdev->vc->set_config(vdev, off - VIRTIO_PCI_DEVICE_OFF, val, size);
    }
    g_mutex_unlock(&p->pci.lock);
}

static const IOBusOps modern_ops = {
    .read = modern_read,
    .write = modern_write,
    .min_access = 1,
    .max_access = 8,
};

/* BAR 4 moved: the notify ioeventfds follow it.  Device lock held. */
static void proxy_bar_moved(PCIDevice *d, int bar, uint64_t addr)
{
    VirtIOPCIProxy *p = (VirtIOPCIProxy *)d;
    MachineState *ms = p->vdev->ms;
    g_autoptr(GError) err = NULL;

    if (bar != VIRTIO_PCI_MODERN_BAR || !ms->accel->set_ioeventfd) {
        return;
    }
    for (unsigned i = 0; i < p->vdev->nvq; i++) {
        uint64_t n = VIRTIO_PCI_NOTIFY_OFF + i * VIRTIO_PCI_NOTIFY_MULT;
        int fd = p->vdev->vq[i].notify_fd;

        if (p->ioeventfd) {
            ms->accel->set_ioeventfd(ms, p->notify_base + n, 2, false, fd,
                                     false, NULL);
        }
        if (addr != PCI_BAR_UNMAPPED &&
            !ms->accel->set_ioeventfd(ms, addr + n, 2, false, fd, true,
                                      err ? NULL : &err)) {
            /* the MMIO path still delivers kicks, only slower */
        }
    }
    if (err) {
        warn_report("%s: %s", p->vdev->vc->name, err->message);
    }
    p->ioeventfd = addr != PCI_BAR_UNMAPPED && !err;
    p->notify_base = addr;
}

/* ---- the I/O thread ---------------------------------------------------- */

static gpointer iothread_fn(gpointer opaque)
{
    VirtIOPCIProxy *p = opaque;
    VirtIODevice *vdev = p->vdev;
    struct pollfd fds[VIRTIO_QUEUE_MAX + 2];
    unsigned n = vdev->nvq;

    for (unsigned i = 0; i < n; i++) {
        fds[i] = (struct pollfd){ .fd = vdev->vq[i].notify_fd, .events = POLLIN };
    }
    fds[n] = (struct pollfd){ .fd = p->stop_fd, .events = POLLIN };
    /* poll() skips a negative fd: no backend descriptor, no entry */
    fds[n + 1] = (struct pollfd){ .fd = vdev->backend_fd, .events = POLLIN };
    for (;;) {
        if (poll(fds, n + 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            error_report("%s: I/O thread poll: %s", vdev->vc->name,
                         g_strerror(errno));
            return NULL;
        }
        if (fds[n].revents) {
            return NULL;
        }
        if (fds[n + 1].revents) {
            vdev->backend_ready(vdev);
        }
        for (unsigned i = 0; i < n; i++) {
            uint64_t cnt;
            VirtQueue *vq = &vdev->vq[i];

            if (!fds[i].revents ||
                read(fds[i].fd, &cnt, sizeof(cnt)) != sizeof(cnt)) {
                continue;
            }
            g_mutex_lock(&p->pci.lock);
            if (virtio_queue_ready(vq) && vq->handle) {
                vq->handle(vdev, vq);
            }
            g_mutex_unlock(&p->pci.lock);
        }
    }
}

/* ---- set-up ------------------------------------------------------------ */

static void proxy_reset(PCIDevice *d)
{
    VirtIOPCIProxy *p = (VirtIOPCIProxy *)d;

    virtio_reset(p->vdev);
    p->dfselect = p->gfselect = 0;
    p->driver_features = 0;
    p->queue_sel = 0;
}

static void add_virtio_cap(PCIDevice *d, uint8_t type, uint32_t off,
                           uint32_t len, bool notify)
{
    uint8_t c = pci_add_capability(d, PCI_CAP_ID_VNDR, notify ?
                                   VIRTIO_PCI_NOTIFY_CAP_LEN :
                                   VIRTIO_PCI_CAP_LEN);

    g_assert(c);
    d->config[c + 2] = notify ? VIRTIO_PCI_NOTIFY_CAP_LEN : VIRTIO_PCI_CAP_LEN;
    d->config[c + 3] = type;
    d->config[c + 4] = VIRTIO_PCI_MODERN_BAR;
    stl_le_p(d->config + c + 8, off);
    stl_le_p(d->config + c + 12, len);
    if (notify) {
        stl_le_p(d->config + c + 16, VIRTIO_PCI_NOTIFY_MULT);
    }
}

bool virtio_pci_add(MachineState *ms, VirtIODevice *vdev, uint32_t class_code,
                    QemuOpts *opts, GError **errp)
{
    PCIBus *bus = machine_pci_bus(ms);
    VirtIOPCIProxy *p;
    PCIDevice *d;

    if (!bus) {
        error_setg(errp, "No 'PCI' bus found for device '%s-pci'",
                   vdev->vc->name);
        return false;
    }
    p = g_new0(VirtIOPCIProxy, 1);
    d = &p->pci;
    p->vdev = vdev;
    p->notify_base = PCI_BAR_UNMAPPED;
    vdev->transport = p;
    vdev->notify = proxy_notify;
    vdev->lock = &d->lock;
    /* 4.1.2.1: 0x1040 + device ID, revision 1 (no legacy interface) */
    pci_device_init(d, NULL, PCI_VENDOR_ID_REDHAT_QUMRANET,
                    VIRTIO_PCI_DEVICE_ID_BASE + vdev->vc->device_id,
                    class_code << 8 | 1, 1);
    d->type = g_strdup_printf("%s-pci", vdev->vc->name);
    stw_le_p(d->config + PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_ID_REDHAT_QUMRANET);
    stw_le_p(d->config + PCI_SUBSYSTEM_ID, 0x1100);   /* QEMU's value */
    d->bar_moved = proxy_bar_moved;
    d->reset = proxy_reset;
    pci_register_bar(d, VIRTIO_PCI_MODERN_BAR, VIRTIO_PCI_BAR_SIZE, 0,
                     &modern_ops, p);
    add_virtio_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
                   COMMON_SIZE, false);
    add_virtio_cap(d, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1, false);
    if (vdev->vc->config_len) {
        add_virtio_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
                       vdev->vc->config_len, false);
    }
    add_virtio_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
                   vdev->nvq * VIRTIO_PCI_NOTIFY_MULT, true);
    if (!msix_init(d, vdev->nvq + 1, VIRTIO_PCI_MSIX_BAR, errp)) {
        return false;
    }
    for (unsigned i = 0; i < vdev->nvq; i++) {
        vdev->vq[i].notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (vdev->vq[i].notify_fd < 0) {
            error_setg_errno(errp, errno, "%s: eventfd", d->type);
            return false;
        }
    }
    p->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (p->stop_fd < 0) {
        error_setg_errno(errp, errno, "%s: eventfd", d->type);
        return false;
    }
    if (!pci_bus_add_device(bus, d, opts, errp)) {
        return false;
    }
    p->thread = g_thread_try_new(d->type, iothread_fn, p, errp);
    return p->thread != NULL;
}
