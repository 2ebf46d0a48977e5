/*
 * MSI-X (PCI Local Bus Spec 3.0, 6.8.2): the capability, a table of
 * 16-byte entries {address low, address high, data, vector control} and
 * the pending bit array, both in one BAR (table at 0, PBA at 0x800).
 * A message is a write of `data` to `address`; the accelerator delivers
 * it.  Under KVM each vector has an irqfd whose GSI route follows the
 * table entry, so a device thread sends a message with one eventfd
 * write; masking and the pending bits stay here (a masked vector's
 * eventfd is not written).  Without irqfds (qtest), AccelOps.send_msi.
 */
#include "hw/pci/pci.h"
#include "hw/boards.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "system/accel.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* 6.8.2.3: Message Control */
#define MSIX_CONTROL            2
#define  MSIX_CONTROL_QSIZE     0x07ff
#define  MSIX_CONTROL_FMASK     0x4000
#define  MSIX_CONTROL_ENABLE    0x8000
#define MSIX_TABLE_OFFSET       4
#define MSIX_PBA_OFFSET         8
#define MSIX_CAP_LEN            12
/* 6.8.2.6-9: table entries */
#define MSIX_ENTRY_SIZE         16
#define MSIX_ENTRY_DATA         8
#define MSIX_ENTRY_CTRL         12
#define  MSIX_ENTRY_MASKED      1

#define MSIX_TABLE_BASE         0x000
#define MSIX_PBA_BASE           0x800
#define MSIX_MAX_VECTORS        128     /* table fits below the PBA */
#define MSIX_BAR_SIZE           0x1000

static uint16_t msix_control(PCIDevice *d)
{
    return lduw_le_p(d->config + d->msix.cap + MSIX_CONTROL);
}

bool msix_enabled(PCIDevice *d)
{
    return d->msix.nr && (msix_control(d) & MSIX_CONTROL_ENABLE);
}

static bool vector_masked(PCIDevice *d, unsigned v)
{
    return (msix_control(d) & MSIX_CONTROL_FMASK) ||
           (ldl_le_p(d->msix.table + v * MSIX_ENTRY_SIZE + MSIX_ENTRY_CTRL) &
            MSIX_ENTRY_MASKED);
}

static void set_pending(PCIDevice *d, unsigned v, bool on)
{
    if (on) {
        d->msix.pba[v / 8] |= 1u << (v % 8);
    } else {
        d->msix.pba[v / 8] &= ~(1u << (v % 8));
    }
}

static void msix_send(PCIDevice *d, unsigned v)
{
    const uint8_t *e = d->msix.table + v * MSIX_ENTRY_SIZE;
    MachineState *ms = pci_bus_machine(d->bus);
    static const uint64_t one = 1;

    if (d->msix.irqfd && d->msix.irqfd[v] >= 0) {
        if (write(d->msix.irqfd[v], &one, sizeof(one)) < 0) {
            /* only EAGAIN: the counter is full of undelivered signals */
        }
    } else if (ms->accel->send_msi) {
        ms->accel->send_msi(ms, ldq_le_p(e), ldl_le_p(e + MSIX_ENTRY_DATA));
    }
}

void msix_notify(PCIDevice *d, unsigned vector)
{
    if (vector >= d->msix.nr || !msix_enabled(d)) {
        return;
    }
    /* 6.8.2.9: bus mastering off means no messages */
    if (!(lduw_le_p(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER) ||
        vector_masked(d, vector)) {
        set_pending(d, vector, true);
        return;
    }
    msix_send(d, vector);
}

/* A mask bit or enable changed: deliver what waited (6.8.2.9). */
static void msix_deliver_pending(PCIDevice *d)
{
    if (!msix_enabled(d) ||
        !(lduw_le_p(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        return;
    }
    for (unsigned v = 0; v < d->msix.nr; v++) {
        if ((d->msix.pba[v / 8] & (1u << (v % 8))) && !vector_masked(d, v)) {
            set_pending(d, v, false);
            msix_send(d, v);
        }
    }
}

void msix_config_written(PCIDevice *d)
{
    msix_deliver_pending(d);
}

static uint64_t msix_bar_read(void *opaque, uint64_t off, unsigned size)
{
    PCIDevice *d = opaque;
    uint64_t v = 0;
    uint64_t table_len = d->msix.nr * MSIX_ENTRY_SIZE;
    uint64_t pba_len = (d->msix.nr + 63) / 64 * 8;

    g_mutex_lock(&d->lock);
    if (off < table_len && size <= table_len - off) {
        memcpy(&v, d->msix.table + off, size);
    } else if (off >= MSIX_PBA_BASE && off - MSIX_PBA_BASE < pba_len &&
               size <= pba_len - (off - MSIX_PBA_BASE)) {
        memcpy(&v, d->msix.pba + off - MSIX_PBA_BASE, size);
    }
    g_mutex_unlock(&d->lock);
    return v;
}

static void msix_bar_write(void *opaque, uint64_t off, uint64_t val,
                           unsigned size)
{
    PCIDevice *d = opaque;
    uint64_t table_len = d->msix.nr * MSIX_ENTRY_SIZE;

    /* the PBA is read-only; writes there and past the table go nowhere */
    if (off >= table_len || size > table_len - off) {
        return;
    }
    g_mutex_lock(&d->lock);
    memcpy(d->msix.table + off, &val, size);
    if (off % MSIX_ENTRY_SIZE < MSIX_ENTRY_CTRL && d->msix.route &&
        d->msix.route[off / MSIX_ENTRY_SIZE] >= 0) {
        /* address or data changed: the irqfd's route follows */
        const uint8_t *e = d->msix.table + off / MSIX_ENTRY_SIZE *
                           MSIX_ENTRY_SIZE;
        MachineState *ms = pci_bus_machine(d->bus);
        ms->accel->msi_route_set(ms, d->msix.route[off / MSIX_ENTRY_SIZE],
                                 ldq_le_p(e), ldl_le_p(e + MSIX_ENTRY_DATA));
    }
    msix_deliver_pending(d);
    g_mutex_unlock(&d->lock);
}

static const IOBusOps msix_bar_ops = {
    .read = msix_bar_read,
    .write = msix_bar_write,
    .min_access = 4,
    .max_access = 8,
};

void msix_reset(PCIDevice *d)
{
    uint8_t *ctl = d->config + d->msix.cap + MSIX_CONTROL;

    stw_le_p(ctl, lduw_le_p(ctl) & MSIX_CONTROL_QSIZE);
    memset(d->msix.table, 0, d->msix.nr * MSIX_ENTRY_SIZE);
    for (unsigned v = 0; v < d->msix.nr; v++) {
        /* 6.8.2.9: every vector starts masked */
        stl_le_p(d->msix.table + v * MSIX_ENTRY_SIZE + MSIX_ENTRY_CTRL,
                 MSIX_ENTRY_MASKED);
    }
    memset(d->msix.pba, 0, (d->msix.nr + 63) / 64 * 8);
}

bool msix_init(PCIDevice *d, unsigned nr_vectors, int bar, GError **errp)
{
    uint8_t cap;

    if (nr_vectors == 0 || nr_vectors > MSIX_MAX_VECTORS) {
        error_setg(errp, "%s: %u MSI-X vectors (1-%u supported)", d->type,
                   nr_vectors, MSIX_MAX_VECTORS);
        return false;
    }
    cap = pci_add_capability(d, PCI_CAP_ID_MSIX, MSIX_CAP_LEN);
    if (!cap) {
        error_setg(errp, "%s: no room for the MSI-X capability", d->type);
        return false;
    }
    d->msix.nr = nr_vectors;
    d->msix.cap = cap;
    d->msix.bar = bar;
    d->msix.table = g_new0(uint8_t, nr_vectors * MSIX_ENTRY_SIZE);
    d->msix.pba = g_new0(uint8_t, (nr_vectors + 63) / 64 * 8);
    stw_le_p(d->config + cap + MSIX_CONTROL, nr_vectors - 1);
    /* BIR in bits 2:0, offsets 8-byte aligned */
    stl_le_p(d->config + cap + MSIX_TABLE_OFFSET, MSIX_TABLE_BASE | bar);
    stl_le_p(d->config + cap + MSIX_PBA_OFFSET, MSIX_PBA_BASE | bar);
    stw_le_p(d->wmask + cap + MSIX_CONTROL,
             MSIX_CONTROL_ENABLE | MSIX_CONTROL_FMASK);
    pci_register_bar(d, bar, MSIX_BAR_SIZE, 0, &msix_bar_ops, d);
    msix_reset(d);
    return true;
}

void msix_setup_irqfds(PCIDevice *d)
{
    MachineState *ms = pci_bus_machine(d->bus);

    if (!d->msix.nr || !ms->accel->msi_irqfd_new) {
        return;
    }
    d->msix.irqfd = g_new(int, d->msix.nr);
    d->msix.route = g_new(int, d->msix.nr);
    for (unsigned v = 0; v < d->msix.nr; v++) {
        g_autoptr(GError) err = NULL;

        d->msix.route[v] = -1;
        d->msix.irqfd[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (d->msix.irqfd[v] >= 0) {
            d->msix.route[v] = ms->accel->msi_irqfd_new(ms, d->msix.irqfd[v],
                                                        &err);
        }
        if (d->msix.route[v] < 0) {
            /* still works, one ioctl per message */
            warn_report("%s: MSI-X vector %u without irqfd: %s", d->type, v,
                        err ? err->message : g_strerror(errno));
            if (d->msix.irqfd[v] >= 0) {
                close(d->msix.irqfd[v]);
            }
            d->msix.irqfd[v] = -1;
        }
    }
}
