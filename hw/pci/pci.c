/*
 * PCI bus 0: endpoint configuration space, BAR decode and INTx.
 *
 * The bus claims two fixed windows on the machine's buses (so the
 * region tables never change while vCPUs run) and decodes BARs inside
 * them itself, from a small table updated when the guest writes a BAR
 * or the command register.  Register layout: PCI Local Bus Spec 3.0,
 * 6.1 (header), 6.2.5 (BARs: sizing by writing all-ones).
 */
#include "hw/pci/pci.h"
#include "hw/boards.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "system/accel.h"

#include <string.h>

/* The first slot -device fills by itself: QEMU's pc has the host bridge
 * at 0 and the PIIX3 functions at 1, so automatic placement starts at 2. */
#define PCI_FIRST_AUTO_SLOT 2

struct PCIBus {
    MachineState *ms;
    PCIDevice *devices[PCI_SLOT_MAX * PCI_FUNC_MAX];
    /* the same devices, packed: every BAR access searches them */
    PCIDevice *plugged[PCI_SLOT_MAX * PCI_FUNC_MAX];
    unsigned nr_plugged;
    /* windows the bus decodes BARs in, and where the next BAR goes */
    uint64_t mem_base, mem_size, mem_next;
    uint64_t io_base, io_size, io_next;
    GRWLock map_lock;           /* BAR addresses, read on every access */
};

static PCIBus *the_bus;         /* one per machine; one machine per process */

PCIBus *machine_pci_bus(MachineState *ms)
{
    return the_bus && the_bus->ms == ms ? the_bus : NULL;
}

MachineState *pci_bus_machine(PCIBus *bus)
{
    return bus->ms;
}

bool pci_bus_has_device(PCIBus *bus, unsigned devfn)
{
    return devfn < G_N_ELEMENTS(bus->devices) && bus->devices[devfn];
}

PCIDevice *pci_bus_device(PCIBus *bus, unsigned devfn)
{
    return pci_bus_has_device(bus, devfn) ? bus->devices[devfn] : NULL;
}

/* ---- BAR decode ------------------------------------------------------ */

/* Find the BAR of `io` type decoding addr; called with map_lock held. */
static PCIBar *bar_find(PCIBus *bus, bool io, uint64_t addr)
{
    for (unsigned i = 0; i < bus->nr_plugged; i++) {
        PCIDevice *d = bus->plugged[i];
        for (int b = 0; b < PCI_NUM_BARS; b++) {
            PCIBar *bar = &d->bars[b];
            if (bar->size && bar->addr != PCI_BAR_UNMAPPED &&
                !!(bar->type & PCI_BASE_ADDRESS_SPACE_IO) == io &&
                addr >= bar->addr && addr - bar->addr < bar->size) {
                return bar;
            }
        }
    }
    return NULL;
}

static uint64_t window_access(PCIBus *bus, bool io, uint64_t addr,
                              uint64_t val, unsigned size, bool is_write)
{
    PCIBar *bar;
    uint64_t ret = ~0ULL;

    g_rw_lock_reader_lock(&bus->map_lock);
    bar = bar_find(bus, io, addr);
    if (bar && addr - bar->addr + size <= bar->size) {
        uint64_t off = addr - bar->addr;
        if (is_write) {
            if (bar->ops->write) {
                bar->ops->write(bar->opaque, off, val, size);
            }
        } else if (bar->ops->read) {
            ret = bar->ops->read(bar->opaque, off, size);
        }
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "pci: %s %s 0x%" G_GINT64_MODIFIER
                      "x size %u hits no BAR\n", io ? "io" : "memory",
                      is_write ? "write to" : "read from", addr, size);
    }
    g_rw_lock_reader_unlock(&bus->map_lock);
    return ret;
}

static uint64_t mem_window_read(void *opaque, uint64_t off, unsigned size)
{
    PCIBus *bus = opaque;
    return window_access(bus, false, bus->mem_base + off, 0, size, false);
}

static void mem_window_write(void *opaque, uint64_t off, uint64_t val,
                             unsigned size)
{
    PCIBus *bus = opaque;
    window_access(bus, false, bus->mem_base + off, val, size, true);
}

static uint64_t io_window_read(void *opaque, uint64_t off, unsigned size)
{
    PCIBus *bus = opaque;
    return window_access(bus, true, bus->io_base + off, 0, size, false);
}

static void io_window_write(void *opaque, uint64_t off, uint64_t val,
                            unsigned size)
{
    PCIBus *bus = opaque;
    window_access(bus, true, bus->io_base + off, val, size, true);
}

static const IOBusOps mem_window_ops = {
    .read = mem_window_read, .write = mem_window_write,
    .min_access = 1, .max_access = 8,
};

static const IOBusOps io_window_ops = {
    .read = io_window_read, .write = io_window_write,
    .min_access = 1, .max_access = 4,
};

static uint64_t bar_reg_addr(PCIDevice *d, int b)
{
    unsigned reg = PCI_BASE_ADDRESS_0 + 4 * b;
    uint64_t v = ldl_le_p(d->config + reg);

    if (d->bars[b].type & PCI_BASE_ADDRESS_SPACE_IO) {
        return v & ~3ULL;
    }
    if (d->bars[b].type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        v |= (uint64_t)ldl_le_p(d->config + reg + 4) << 32;
    }
    return v & ~15ULL;
}

/*
 * Recompute where each BAR decodes, from the BAR registers and the
 * command register (6.2.2: decode only while the enable bit is set).
 * A BAR outside the bus's window, or at 0 (being sized or never set),
 * decodes nothing.  Called with d->lock held.
 */
static void pci_update_mappings(PCIDevice *d)
{
    PCIBus *bus = d->bus;
    uint16_t cmd = lduw_le_p(d->config + PCI_COMMAND);

    for (int b = 0; b < PCI_NUM_BARS; b++) {
        PCIBar *bar = &d->bars[b];
        bool io = bar->type & PCI_BASE_ADDRESS_SPACE_IO;
        uint64_t addr = bar_reg_addr(d, b);
        uint64_t base = io ? bus->io_base : bus->mem_base;
        uint64_t wsize = io ? bus->io_size : bus->mem_size;

        if (!bar->size) {
            continue;
        }
        if (!(cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) ||
            addr == 0 || addr < base || addr - base >= wsize ||
            bar->size > wsize - (addr - base)) {
            addr = PCI_BAR_UNMAPPED;
        }
        if (addr != bar->addr) {
            g_rw_lock_writer_lock(&bus->map_lock);
            bar->addr = addr;
            g_rw_lock_writer_unlock(&bus->map_lock);
            if (d->bar_moved) {
                d->bar_moved(d, b, addr);
            }
        }
    }
}

/* ---- configuration space --------------------------------------------- */

uint32_t pci_bus_config_read(PCIBus *bus, unsigned devfn, unsigned reg,
                             unsigned size)
{
    PCIDevice *d = pci_bus_device(bus, devfn);
    uint32_t v = 0;

    if (!d) {
        return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
    }
    g_mutex_lock(&d->lock);
    for (unsigned i = 0; i < size && reg + i < PCI_CONFIG_SPACE_SIZE; i++) {
        uint8_t b = d->config[reg + i];
        /* function 0 says whether the slot has more functions (6.2.1) */
        if (reg + i == PCI_HEADER_TYPE && PCI_FUNC(devfn) == 0) {
            for (unsigned fn = 1; fn < PCI_FUNC_MAX; fn++) {
                if (bus->devices[devfn + fn]) {
                    b |= PCI_HEADER_TYPE_MULTI_FUNCTION;
                }
            }
        }
        v |= (uint32_t)b << (8 * i);
    }
    g_mutex_unlock(&d->lock);
    return v;
}

void pci_bus_config_write(PCIBus *bus, unsigned devfn, unsigned reg,
                          uint32_t val, unsigned size)
{
    PCIDevice *d = pci_bus_device(bus, devfn);
    bool bars = false, cmd = false, msix = false;

    if (!d) {
        return;
    }
    g_mutex_lock(&d->lock);
    for (unsigned i = 0; i < size && reg + i < PCI_CONFIG_SPACE_SIZE; i++) {
        unsigned a = reg + i;
        uint8_t b = val >> (8 * i);

        d->config[a] = (d->config[a] & ~d->wmask[a]) | (b & d->wmask[a]);
        d->config[a] &= ~(b & d->w1cmask[a]);
        bars |= a >= PCI_BASE_ADDRESS_0 && a < PCI_BASE_ADDRESS_0 + 24;
        cmd |= a == PCI_COMMAND || a == PCI_COMMAND + 1;
        msix |= d->msix.cap && a >= d->msix.cap && a < d->msix.cap + 12;
    }
    if (bars || cmd) {
        pci_update_mappings(d);
    }
    if (cmd) {
        /* INTX_DISABLE changes what the pin shows (6.2.2) */
        pci_set_irq(d, d->intx_level);
    }
    if (msix) {
        msix_config_written(d);
    }
    g_mutex_unlock(&d->lock);
}

/* ---- device set-up ---------------------------------------------------- */

void pci_device_init(PCIDevice *d, const char *type, uint16_t vendor,
                     uint16_t device, uint32_t class_prog_rev,
                     uint8_t int_pin)
{
    g_mutex_init(&d->lock);
    d->type = type;
    stw_le_p(d->config + PCI_VENDOR_ID, vendor);
    stw_le_p(d->config + PCI_DEVICE_ID, device);
    /* 0x08: revision, programming interface, subclass, class */
    stl_le_p(d->config + PCI_REVISION_ID, class_prog_rev);
    d->config[PCI_INTERRUPT_PIN] = int_pin;
    stw_le_p(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
             PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;    /* firmware scratch */
    d->cap_end = 0x40;
    d->intx_gsi = -1;
}

void pci_register_bar(PCIDevice *d, int bar, uint64_t size, uint8_t type,
                      const IOBusOps *ops, void *opaque)
{
    unsigned reg = PCI_BASE_ADDRESS_0 + 4 * bar;
    uint64_t mask = ~(size - 1);

    g_assert(bar >= 0 && bar < PCI_NUM_BARS && size && !(size & (size - 1)));
    g_assert(!(type & PCI_BASE_ADDRESS_MEM_TYPE_64) || bar < PCI_NUM_BARS - 1);
    /* 6.2.5.1: I/O BARs decode at least 4 bytes, memory BARs 16 */
    g_assert(size >= ((type & PCI_BASE_ADDRESS_SPACE_IO) ? 4 : 16));
    d->bars[bar] = (PCIBar){ size, type, ops, opaque, PCI_BAR_UNMAPPED };
    d->config[reg] = type;
    /* the address bits at or above the size are writable: sizing reads
     * back ~(size - 1) with the type bits */
    stl_le_p(d->wmask + reg, mask & ((type & PCI_BASE_ADDRESS_SPACE_IO) ?
                                     ~3u : ~15u));
    if (type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
        stl_le_p(d->wmask + reg + 4, mask >> 32);
    }
}

uint8_t pci_add_capability(PCIDevice *d, uint8_t id, uint8_t len)
{
    uint8_t off = d->cap_end;

    len = (len + 3) & ~3;
    if (off + len > PCI_CONFIG_SPACE_SIZE) {
        return 0;
    }
    d->config[off] = id;
    d->config[off + 1] = d->config[PCI_CAPABILITY_LIST];
    d->config[PCI_CAPABILITY_LIST] = off;   /* newest first */
    d->config[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
    d->cap_end = off + len;
    return off;
}

int pci_intx_gsi(unsigned slot, unsigned pin)
{
    /* the swizzle the DSDT's _PRT describes: IOAPIC pins 16-19 */
    return 16 + (slot + pin - 1) % 4;
}

void pci_set_irq(PCIDevice *d, int level)
{
    uint16_t cmd = lduw_le_p(d->config + PCI_COMMAND);
    bool shown;

    d->intx_level = level;
    if (level) {
        d->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    } else {
        d->config[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
    }
    shown = level && !(cmd & PCI_COMMAND_INTX_DISABLE);
    qemu_set_irq(d->intx, shown);
}

static void pci_intx_handler(void *opaque, int n, int level)
{
    MachineState *ms = opaque;
    ms->accel->set_irq(ms, n, level);
}

bool pci_parse_devfn(const char *str, unsigned *devfn, GError **errp)
{
    char *end;
    unsigned long slot, fn = 0;

    slot = strtoul(str, &end, 16);
    if (end != str && *end == '.') {
        const char *f = end + 1;
        fn = strtoul(f, &end, 16);
        if (end == f) {
            end = (char *)str;    /* "3." */
        }
    }
    if (end == str || *end || slot >= PCI_SLOT_MAX || fn >= PCI_FUNC_MAX ||
        str[0] == '-' || str[0] == '+' || str[0] == ' ') {
        error_setg(errp, "Property 'addr' doesn't take value '%s'", str);
        return false;
    }
    *devfn = PCI_DEVFN(slot, fn);
    return true;
}

/* Firmware's job, done here since no firmware runs: place BARs naturally
 * aligned in the windows (biggest first keeps the windows dense). */
static bool pci_assign_bars(PCIBus *bus, PCIDevice *d, GError **errp)
{
    int order[PCI_NUM_BARS];
    int n = 0;

    for (int b = 0; b < PCI_NUM_BARS; b++) {
        if (d->bars[b].size) {
            int i = n++;
            while (i > 0 && d->bars[order[i - 1]].size < d->bars[b].size) {
                order[i] = order[i - 1];
                i--;
            }
            order[i] = b;
        }
    }
    for (int i = 0; i < n; i++) {
        PCIBar *bar = &d->bars[order[i]];
        bool io = bar->type & PCI_BASE_ADDRESS_SPACE_IO;
        uint64_t *next = io ? &bus->io_next : &bus->mem_next;
        uint64_t end = io ? bus->io_base + bus->io_size
                          : bus->mem_base + bus->mem_size;
        uint64_t addr = (*next + bar->size - 1) & ~(bar->size - 1);
        unsigned reg = PCI_BASE_ADDRESS_0 + 4 * order[i];

        if (addr < *next || addr > end || bar->size > end - addr) {
            error_setg(errp, "%s: no room for BAR %d (0x%" G_GINT64_MODIFIER
                       "x bytes) in the PCI %s window", d->type, order[i],
                       bar->size, io ? "I/O" : "memory");
            return false;
        }
        *next = addr + bar->size;
        stl_le_p(d->config + reg, (uint32_t)addr | bar->type);
        if (bar->type & PCI_BASE_ADDRESS_MEM_TYPE_64) {
            stl_le_p(d->config + reg + 4, addr >> 32);
        }
    }
    return true;
}

/*
 * Machine reset: what firmware leaves behind, BARs where they were first
 * placed and decode on, the rest of the header at its power-on values.
 */
static void pci_device_reset(void *opaque)
{
    PCIDevice *d = opaque;
    uint16_t cmd = 0;

    g_mutex_lock(&d->lock);
    for (int b = 0; b < PCI_NUM_BARS; b++) {
        if (d->bars[b].size) {
            cmd |= (d->bars[b].type & PCI_BASE_ADDRESS_SPACE_IO) ?
                   PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
        }
    }
    memcpy(d->config + PCI_BASE_ADDRESS_0, d->reset_bars,
           sizeof(d->reset_bars));
    stw_le_p(d->config + PCI_COMMAND, cmd);
    d->config[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
    d->config[PCI_INTERRUPT_LINE] = d->intx_gsi >= 0 ? d->intx_gsi : 0xff;
    d->intx_level = false;
    qemu_set_irq(d->intx, 0);
    if (d->msix.nr) {
        msix_reset(d);
    }
    if (d->reset) {
        d->reset(d);
    }
    pci_update_mappings(d);
    g_mutex_unlock(&d->lock);
}

bool pci_bus_add_device(PCIBus *bus, PCIDevice *d, QemuOpts *opts,
                        GError **errp)
{
    const char *addr = opts ? qemu_opt_get(opts, "addr") : NULL;
    const char *id = opts ? qemu_opt_get(opts, "id") : NULL;
    const char *busname = opts ? qemu_opt_get(opts, "bus") : NULL;
    bool multifunction;
    unsigned devfn;

    /* libvirt names the bus; there is one.  multifunction=on is what the
     * header shows anyway once a slot has a second function. */
    if (busname && strcmp(busname, "pci.0") != 0) {
        error_setg(errp, "Bus '%s' not found", busname);
        return false;
    }
    if (opts && (!qemu_opt_get_bool(opts, "multifunction", false,
                                    &multifunction, errp) ||
                 !qemu_opts_check_unused(opts, errp))) {
        return false;
    }

    if (addr) {
        if (!pci_parse_devfn(addr, &devfn, errp)) {
            return false;
        }
        if (bus->devices[devfn]) {
            /* QEMU's wording */
            error_setg(errp, "PCI: slot %u function %u not available for "
                       "%s, in use by %s", PCI_SLOT(devfn), PCI_FUNC(devfn),
                       d->type, bus->devices[devfn]->type);
            return false;
        }
    } else {
        for (devfn = PCI_DEVFN(PCI_FIRST_AUTO_SLOT, 0);
             devfn < G_N_ELEMENTS(bus->devices); devfn += PCI_FUNC_MAX) {
            bool used = false;
            for (unsigned fn = 0; fn < PCI_FUNC_MAX; fn++) {
                used |= bus->devices[devfn + fn] != NULL;
            }
            if (!used) {
                break;
            }
        }
        if (devfn >= G_N_ELEMENTS(bus->devices)) {
            error_setg(errp, "PCI: no slot/function available for %s, all "
                       "in use or reserved", d->type);
            return false;
        }
    }
    if (!pci_assign_bars(bus, d, errp)) {
        return false;
    }
    memcpy(d->reset_bars, d->config + PCI_BASE_ADDRESS_0,
           sizeof(d->reset_bars));
    d->bus = bus;
    d->devfn = devfn;
    d->id = g_strdup(id);
    if (d->config[PCI_INTERRUPT_PIN]) {
        d->intx_gsi = pci_intx_gsi(PCI_SLOT(devfn),
                                   d->config[PCI_INTERRUPT_PIN]);
        d->intx = qemu_allocate_irq(pci_intx_handler, bus->ms, d->intx_gsi);
    }
    bus->devices[devfn] = d;
    bus->plugged[bus->nr_plugged++] = d;    /* a free devfn: there is room */
    msix_setup_irqfds(d);
    qemu_register_reset(bus->ms, pci_device_reset, d);
    pci_device_reset(d);
    return true;
}

PCIBus *pci_bus_new(MachineState *ms, uint64_t mem_base, uint64_t mem_size,
                    uint64_t io_base, uint64_t io_size, GError **errp)
{
    PCIBus *bus = g_new0(PCIBus, 1);

    bus->ms = ms;
    bus->mem_base = bus->mem_next = mem_base;
    bus->mem_size = mem_size;
    bus->io_base = bus->io_next = io_base;
    bus->io_size = io_size;
    g_rw_lock_init(&bus->map_lock);
    if (!iobus_register(&ms->mmio, mem_base, mem_size, &mem_window_ops, bus,
                        "pci-mem", errp) ||
        !iobus_register(&ms->io, io_base, io_size, &io_window_ops, bus,
                        "pci-io", errp)) {
        g_free(bus);
        return NULL;
    }
    the_bus = bus;
    return bus;
}
