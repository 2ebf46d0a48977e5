/*
 * The I/O bus: one address-range registry shared by port I/O and MMIO.
 *
 * A device registers {base, size, ops, opaque, name}.  A guest access
 * reaches ops->read/write in two calls from the exit handler:
 * iobus_dispatch() -> handler.  Regions are registered while the machine
 * is built and never change while vCPUs run, so lookups take no lock.
 * Devices with state shared between threads lock it themselves.
 */
#ifndef SYSTEM_IOBUS_H
#define SYSTEM_IOBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

typedef struct IOBusOps {
    /* offset is relative to the region base; size is 1, 2, 4 or 8 */
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t val, unsigned size);
    /* accepted access sizes; 0 means 1 and 8.  Others are rejected by the bus */
    unsigned min_access, max_access;
} IOBusOps;

typedef struct IORegion {
    uint64_t base, size;
    const IOBusOps *ops;
    void *opaque;
    const char *name;
} IORegion;

typedef struct IOBus {
    const char *name;      /* "io" or "memory", for traces */
    IORegion *regions;     /* sorted by base, non-overlapping */
    size_t nr;
} IOBus;

void iobus_init(IOBus *bus, const char *name);
void iobus_destroy(IOBus *bus);
/* Fails if the range overlaps an existing region. */
bool iobus_register(IOBus *bus, uint64_t base, uint64_t size,
                    const IOBusOps *ops, void *opaque, const char *name,
                    GError **errp);
const IORegion *iobus_find(const IOBus *bus, uint64_t addr);
/*
 * Perform one access of len bytes at addr; data is little-endian guest
 * data.  Unclaimed reads return all-ones, unclaimed writes are dropped;
 * both are traced under -d unimp.  Returns whether a region claimed it.
 */
bool iobus_dispatch(const IOBus *bus, uint64_t addr, void *data,
                    unsigned len, bool is_write);

#endif
