/*
 * The machine-state stream (migration/savevm.c).  Little-endian:
 *
 *   header   "QKVMSAVE"  u32 format version (1)  u32 flags (0)
 *   section  u32 'SECN'  u16 name length  name  u32 instance  u32 version
 *            u64 length  data[length]  u32 CRC-32 of the section from its
 *            marker through its data
 *   trailer  u32 'QEND'  u32 number of sections  u32 CRC-32 of the two
 *
 * Reading checks the header, every section's CRC, the trailer and that
 * the sections are exactly the ones this machine registered, before any
 * loader runs.
 */
#ifndef MIGRATION_SAVEVM_H
#define MIGRATION_SAVEVM_H

#include <stdio.h>

#include "migration/vmstate.h"

#define QKVM_SAVE_MAGIC     "QKVMSAVE"
#define QKVM_SAVE_VERSION   1
#define QKVM_SECTION_MARKER 0x4e434553u     /* "SECN" */
#define QKVM_END_MARKER     0x444e4551u     /* "QEND" */

typedef struct VMStateEntry {
    const char *name;
    uint32_t instance, version;
    VMSaveFn *save;
    VMLoadFn *load;
    void *opaque;
} VMStateEntry;

/* Write every registered section of ms to f (the VM must be stopped). */
bool qemu_savevm_write(MachineState *ms, FILE *f, GError **errp);
/* Check all of buf against ms, then load it (the vCPUs must be parked). */
bool qemu_loadvm(MachineState *ms, const uint8_t *buf, size_t len,
                 GError **errp);

#endif
