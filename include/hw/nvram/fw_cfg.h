/*
 * QEMU's firmware configuration device (docs/specs/fw_cfg.rst in QEMU):
 * selector port, data port, DMA interface, file directory.
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include "migration/vmstate.h"
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "system/iobus.h"

/* Selector keys (fw_cfg.rst, "Selector Register"; QEMU's fw_cfg_keys.h) */
#define FW_CFG_SIGNATURE     0x00
#define FW_CFG_ID            0x01
#define FW_CFG_UUID          0x02
#define FW_CFG_RAM_SIZE      0x03
#define FW_CFG_NOGRAPHIC     0x04
#define FW_CFG_NB_CPUS       0x05
#define FW_CFG_MACHINE_ID    0x06
#define FW_CFG_KERNEL_ADDR   0x07
#define FW_CFG_KERNEL_SIZE   0x08
#define FW_CFG_KERNEL_CMDLINE 0x09
#define FW_CFG_INITRD_ADDR   0x0a
#define FW_CFG_INITRD_SIZE   0x0b
#define FW_CFG_BOOT_DEVICE   0x0c
#define FW_CFG_NUMA          0x0d
#define FW_CFG_BOOT_MENU     0x0e
#define FW_CFG_MAX_CPUS      0x0f
#define FW_CFG_KERNEL_ENTRY  0x10
#define FW_CFG_KERNEL_DATA   0x11
#define FW_CFG_INITRD_DATA   0x12
#define FW_CFG_CMDLINE_ADDR  0x13
#define FW_CFG_CMDLINE_SIZE  0x14
#define FW_CFG_CMDLINE_DATA  0x15
#define FW_CFG_SETUP_ADDR    0x16
#define FW_CFG_SETUP_SIZE    0x17
#define FW_CFG_SETUP_DATA    0x18
#define FW_CFG_FILE_DIR      0x19
#define FW_CFG_FILE_FIRST    0x20
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL    0x8000
#define FW_CFG_IRQ0_OVERRIDE (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE    (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_ENTRY_MASK    (~(FW_CFG_WRITE_CHANNEL | FW_CFG_ARCH_LOCAL))

/* FW_CFG_ID feature bits */
#define FW_CFG_VERSION       0x01
#define FW_CFG_VERSION_DMA   0x02

/* DMA control bits (fw_cfg.rst, "FWCfgDmaAccess") */
#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SKIP   0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE  0x10

#define FW_CFG_MAX_FILE_PATH  56
#define FW_CFG_IO_BASE        0x510
#define FW_CFG_DMA_IO_BASE    0x514

typedef struct FWCfgState FWCfgState;

/* Guest memory access for DMA: host pointer or NULL when not RAM. */
typedef void *(*FWCfgDMAMap)(void *opaque, uint64_t gpa, uint64_t len);

FWCfgState *fw_cfg_new(FWCfgDMAMap dma_map, void *dma_opaque);
/* Register the I/O ports (selector/data at 0x510, DMA at 0x514). */
bool fw_cfg_init_io(FWCfgState *s, IOBus *bus, GError **errp);
void fw_cfg_free(FWCfgState *s);
void fw_cfg_reset(void *opaque);

/* Items; data is copied. */
void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data, size_t len);
void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t v);
void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t v);
void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t v);
void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *str);
/* A named file; keys are handed out from FW_CFG_FILE_FIRST, the directory
 * is kept sorted by name as QEMU does. */
bool fw_cfg_add_file(FWCfgState *s, const char *name, const void *data,
                     size_t len, GError **errp);

/* Save/restore (migration/vmstate.h): the guest's read position. */
void fw_cfg_save(void *opaque, GByteArray *out);
bool fw_cfg_load(void *opaque, VMLoad *in, bool apply, GError **errp);

/* Register file access, for qtest and unit tests. */
extern const IOBusOps fw_cfg_io_ops;
extern const IOBusOps fw_cfg_dma_ops;

#endif
