/*
 * The one I/O bus for port I/O and MMIO: a sorted array of regions and a
 * binary search.  A machine has a few dozen regions at most.
 */
#include "system/iobus.h"
#include "qemu/error-report.h"
#include "qemu/log.h"

#include <string.h>

void iobus_init(IOBus *bus, const char *name)
{
    memset(bus, 0, sizeof(*bus));
    bus->name = name;
}

void iobus_destroy(IOBus *bus)
{
    g_free(bus->regions);
    bus->regions = NULL;
    bus->nr = 0;
}

bool iobus_register(IOBus *bus, uint64_t base, uint64_t size,
                    const IOBusOps *ops, void *opaque, const char *name,
                    GError **errp)
{
    size_t pos = 0;

    if (size == 0 || base + size - 1 < base) {
        error_setg(errp, "%s: invalid %s range 0x%" G_GINT64_MODIFIER "x"
                   "+0x%" G_GINT64_MODIFIER "x", name, bus->name, base, size);
        return false;
    }
    while (pos < bus->nr && bus->regions[pos].base < base) {
        pos++;
    }
    if ((pos > 0 && bus->regions[pos - 1].base + bus->regions[pos - 1].size > base) ||
        (pos < bus->nr && base + size > bus->regions[pos].base)) {
        const IORegion *other = &bus->regions[pos > 0 &&
            bus->regions[pos - 1].base + bus->regions[pos - 1].size > base ?
            pos - 1 : pos];
        error_setg(errp, "%s: %s range 0x%" G_GINT64_MODIFIER "x-0x%"
                   G_GINT64_MODIFIER "x overlaps %s", name, bus->name,
                   base, base + size - 1, other->name);
        return false;
    }
    bus->regions = g_renew(IORegion, bus->regions, bus->nr + 1);
    memmove(&bus->regions[pos + 1], &bus->regions[pos],
            (bus->nr - pos) * sizeof(IORegion));
    bus->regions[pos] = (IORegion){ base, size, ops, opaque, name };
    bus->nr++;
    return true;
}

const IORegion *iobus_find(const IOBus *bus, uint64_t addr)
{
    size_t lo = 0, hi = bus->nr;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const IORegion *r = &bus->regions[mid];
        if (addr < r->base) {
            hi = mid;
        } else if (addr - r->base >= r->size) {
            lo = mid + 1;
        } else {
            return r;
        }
    }
    return NULL;
}

static bool size_ok(const IOBusOps *ops, unsigned len)
{
    unsigned min = ops->min_access ? ops->min_access : 1;
    unsigned max = ops->max_access ? ops->max_access : 8;
    return len >= min && len <= max;
}

bool iobus_dispatch(const IOBus *bus, uint64_t addr, void *data,
                    unsigned len, bool is_write)
{
    const IORegion *r = iobus_find(bus, addr);
    uint64_t val = 0;

    if (!r || addr + len - r->base > r->size || !size_ok(r->ops, len)) {
        qemu_log_mask(r ? LOG_GUEST_ERROR : LOG_UNIMP,
                      "%s: %s %s 0x%" G_GINT64_MODIFIER "x size %u\n",
                      r ? r->name : "unassigned", bus->name,
                      is_write ? "write to" : "read from", addr, len);
        if (!is_write) {
            memset(data, 0xff, len);
        }
        return false;
    }
    if (is_write) {
        memcpy(&val, data, len);     /* x86 and riscv hosts: little-endian */
        if (r->ops->write) {
            r->ops->write(r->opaque, addr - r->base, val, len);
        }
    } else {
        val = r->ops->read ? r->ops->read(r->opaque, addr - r->base, len)
                           : ~0ULL;
        memcpy(data, &val, len);
    }
    return true;
}
