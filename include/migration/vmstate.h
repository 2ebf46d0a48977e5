/*
 * Saving and restoring machine state: every piece of state (RAM, each
 * vCPU, the irqchip, each device) registers a save/load pair with the
 * machine, the way reset handlers are registered; migration/savevm.c
 * writes them as sections of one self-describing file and reads them back.
 *
 * A loader is called twice: first with apply=false, when it only checks
 * that the section makes sense for this machine (sizes, ranges, the same
 * -cpu); only when every section of the file has passed is it called
 * again with apply=true.  So a bad file is refused before any state is
 * touched.
 */
#ifndef MIGRATION_VMSTATE_H
#define MIGRATION_VMSTATE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct MachineState MachineState;

/* A section being read: a cursor over its bytes. */
typedef struct VMLoad {
    const uint8_t *data;
    size_t len, pos;
    bool short_read;            /* a get went past the end */
} VMLoad;

typedef void VMSaveFn(void *opaque, GByteArray *out);
typedef bool VMLoadFn(void *opaque, VMLoad *in, bool apply, GError **errp);

/*
 * Register state "name" (instance: e.g. the vCPU or port index) at
 * version.  Sections are saved and loaded in registration order.
 */
void vmstate_register(MachineState *ms, const char *name, uint32_t instance,
                      uint32_t version, VMSaveFn *save, VMLoadFn *load,
                      void *opaque);
/* A device that cannot be saved: "migrate" refuses with this reason. */
void migrate_add_blocker(MachineState *ms, const char *reason);

/* Little-endian fields (the format is little-endian on every host). */
void vms_put_u8(GByteArray *out, uint8_t v);
void vms_put_u16(GByteArray *out, uint16_t v);
void vms_put_u32(GByteArray *out, uint32_t v);
void vms_put_u64(GByteArray *out, uint64_t v);
void vms_put_bytes(GByteArray *out, const void *p, size_t n);
/* Past the end they return 0 and set in->short_read. */
uint8_t vms_get_u8(VMLoad *in);
uint16_t vms_get_u16(VMLoad *in);
uint32_t vms_get_u32(VMLoad *in);
uint64_t vms_get_u64(VMLoad *in);
void vms_get_bytes(VMLoad *in, void *p, size_t n);
bool vms_get_bool(VMLoad *in);
/*
 * The section was read exactly to its end: else an error naming what
 * ("serial: section is 3 bytes short").  Call before using the values.
 */
bool vms_load_done(VMLoad *in, const char *what, GError **errp);

/* CRC-32 (IEEE 802.3, the zlib/PNG one), continued from crc (0 to start). */
uint32_t vms_crc32(uint32_t crc, const void *p, size_t n);

#endif
