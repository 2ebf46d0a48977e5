/*
 * CFI parallel flash with the Intel/Sharp command set, 1 byte wide, as
 * QEMU's pc machine puts OVMF's code and variables in (pflash_cfi01).
 */
#ifndef HW_BLOCK_PFLASH_CFI01_H
#define HW_BLOCK_PFLASH_CFI01_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct MachineState MachineState;
typedef struct PFlashCFI01 PFlashCFI01;

/* QEMU's pc: FLASH_SECTOR_SIZE, the erase block */
#define PFLASH_CFI01_BLOCK_SIZE 4096

/*
 * A flash of size bytes (a multiple of the block size) at gpa whose array
 * is storage.  fd >= 0: programmed and erased bytes are written back to it
 * at the same offset (the device owns fd).  readonly: program and erase
 * fail with a status error.  Registers the MMIO region and shows the array.
 */
PFlashCFI01 *pflash_cfi01_new(MachineState *ms, const char *name,
                              uint64_t gpa, uint8_t *storage, uint64_t size,
                              int fd, bool readonly, GError **errp);
/* Reads come from the array (ROMD mode), not from a command's answer. */
bool pflash_cfi01_array_mode(PFlashCFI01 *pfl);

#endif
