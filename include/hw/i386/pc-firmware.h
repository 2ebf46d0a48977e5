/*
 * System firmware of the pc machine: -bios FILE (ROM) or -drive
 * if=pflash units 0 (code) and 1 (variables), mapped so the last image
 * ends at 4 GiB and the reset vector 0xfffffff0 lands in unit 0.
 */
#ifndef HW_I386_PC_FIRMWARE_H
#define HW_I386_PC_FIRMWARE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct MachineState MachineState;
typedef struct PFlashCFI01 PFlashCFI01;

/* QEMU's pc_sysfw.c limit on the flash images together */
#define PC_FLASH_SIZE_LIMIT     (8 * 1024 * 1024)

typedef struct PCFirmwareImage {
    const char *name;       /* the file, for messages */
    uint64_t gpa;
    uint64_t size;
    uint8_t *hva;           /* page-aligned copy the guest sees */
    bool readonly;          /* ROM, or flash that refuses program/erase */
    bool pflash;            /* a CFI flash unit (else ROM: -bios, alias) */
    int fd;                 /* writable flash: its file, written back */
    PFlashCFI01 *flash;     /* the device, once mapped */
} PCFirmwareImage;

typedef struct PCFirmware {
    /* [0]: the code (unit 0 or -bios), ends at 4 GiB; [1]: the variables */
    PCFirmwareImage img[2];
    unsigned nr;
    /* QEMU's "isa-bios": the last 128 KiB of [0] again, ending at 1 MiB */
    PCFirmwareImage isa_bios;
} PCFirmware;

/* -bios FILE or -drive if=pflash,unit=0 given. */
bool pc_firmware_configured(const MachineState *ms);
/*
 * Read the images and place them (gpa).  Errors: a file that cannot be
 * read, a size that is not a non-zero multiple of 4 KiB (64 KiB for
 * -bios), images together larger than PC_FLASH_SIZE_LIMIT, -bios with
 * pflash.  RAM must then leave fw->isa_bios.gpa .. 1 MiB to the alias.
 */
bool pc_firmware_load(MachineState *ms, PCFirmware *fw, GError **errp);
/* Map the images and the alias into the guest. */
bool pc_firmware_map(MachineState *ms, PCFirmware *fw, GError **errp);
/* Host address of [gpa, gpa+len) if it lies in one image, else NULL. */
void *pc_firmware_gpa_to_hva(const PCFirmware *fw, uint64_t gpa,
                             uint64_t len);

#endif
