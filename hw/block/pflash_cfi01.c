/*
 * CFI flash, Intel/Sharp command set (CFI command set ID 0001h), in byte
 * mode: the pc machine's -drive if=pflash units, as OVMF's
 * QemuFlashFvbServicesRuntimeDxe drives them (0x10 program byte, 0x20 +
 * 0xd0 block erase, 0x50 clear status, 0x70 read status, 0x90 read ID,
 * 0xff read array; detection writes 0x50 and 0x70 and expects a cleared
 * status of 0).  CFI query (0x98) answers the JEDEC JESD68 table.
 *
 * In read-array mode the array is a read-only KVM slot, so guest reads
 * cost no exit and writes (commands) exit as MMIO.  While a command's
 * answer (status, ID, query) is what reads must see, the slot is removed
 * and reads exit too: QEMU's "romd" mode.  Programmed and erased bytes go
 * to the file at once when the unit is writable.
 *
 * Not emulated (logged under -d guest_errors, back to read array): write
 * to buffer (0xe8, OVMF does not use it; the query table says no buffer),
 * block lock setup (0x60), erase suspend (0xb0).  Operations complete
 * at once: the status is "ready" whenever it is read.
 */
#include "hw/block/pflash_cfi01.h"
#include "hw/boards.h"
#include "system/accel.h"
#include "system/iobus.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/osdep.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Intel command set (Intel "Common Flash Interface and Command Sets",
 * AP-646; 3 Volt Intel StrataFlash datasheet, "Command Definitions") */
#define CMD_READ_ARRAY      0xff
#define CMD_READ_ARRAY_ALT  0x00    /* some drivers' reset; QEMU takes it */
#define CMD_PROGRAM         0x10
#define CMD_PROGRAM_ALT     0x40
#define CMD_BLOCK_ERASE     0x20
#define CMD_ERASE_CONFIRM   0xd0
#define CMD_CLEAR_STATUS    0x50
#define CMD_READ_STATUS     0x70
#define CMD_READ_ID         0x90
#define CMD_CFI_QUERY       0x98

/* status register bits */
#define SR_READY            0x80    /* write state machine ready */
#define SR_ERASE_ERROR      0x20
#define SR_PROGRAM_ERROR    0x10
/* both: "improper command sequence" */
#define SR_SEQUENCE_ERROR   (SR_ERASE_ERROR | SR_PROGRAM_ERROR)

/* QEMU's pc leaves pflash_cfi01's id0/id1 at their default 0 */
#define PFLASH_MANUFACTURER 0x00
#define PFLASH_DEVICE       0x00

/* What reads return. */
typedef enum PFlashMode {
    MODE_ARRAY,
    MODE_STATUS,
    MODE_ID,
    MODE_QUERY,
} PFlashMode;

#define CFI_TABLE_SIZE      0x40

struct PFlashCFI01 {
    MachineState *ms;
    char *name;
    uint64_t gpa, size;
    uint8_t *storage;
    int fd;
    bool readonly;
    GMutex lock;
    PFlashMode mode;
    uint8_t pending;        /* first cycle of a two-cycle command, or 0 */
    uint8_t status;
    int slot;               /* the accelerator's ROMD slot */
    uint8_t cfi[CFI_TABLE_SIZE];
};

/*
 * The CFI query table (JEDEC JESD68.01; byte offsets as a x8 device
 * answers them).  Timeouts are nominal: operations finish at once.
 */
static void pflash_build_cfi(PFlashCFI01 *pfl)
{
    uint64_t blocks = pfl->size / PFLASH_CFI01_BLOCK_SIZE;
    uint8_t *t = pfl->cfi;

    t[0x10] = 'Q';
    t[0x11] = 'R';
    t[0x12] = 'Y';
    t[0x13] = 0x01;     /* primary command set: Intel/Sharp extended */
    t[0x15] = 0x31;     /* its extended query table */
    t[0x1b] = 0x45;     /* Vcc min 4.5 V (BCD volts) */
    t[0x1c] = 0x55;     /* Vcc max 5.5 V */
    t[0x1f] = 0x07;     /* typical byte program 2^7 us */
    t[0x21] = 0x0a;     /* typical block erase 2^10 ms */
    t[0x23] = 0x04;     /* max byte program 2^4 x typical */
    t[0x25] = 0x04;     /* max block erase 2^4 x typical */
    /* device size 2^n bytes, rounded up for sizes that are no power of 2
     * (the erase region below has the exact count) */
    t[0x27] = g_bit_storage(pfl->size - 1);
    /* 0x28-0x29 interface 0: x8 asynchronous; 0x2a-0x2b: no write buffer */
    t[0x2c] = 1;        /* one erase block region: */
    t[0x2d] = (blocks - 1) & 0xff;      /* blocks - 1, LE16 */
    t[0x2e] = (blocks - 1) >> 8;
    t[0x2f] = (PFLASH_CFI01_BLOCK_SIZE / 256) & 0xff;   /* size / 256 */
    t[0x30] = (PFLASH_CFI01_BLOCK_SIZE / 256) >> 8;
    /* Intel primary extended query, version 1.0, no optional features */
    t[0x31] = 'P';
    t[0x32] = 'R';
    t[0x33] = 'I';
    t[0x34] = '1';
    t[0x35] = '0';
}

/* Show the array as memory in read-array mode; hide it otherwise. */
static void pflash_set_mode(PFlashCFI01 *pfl, PFlashMode mode)
{
    bool was = pfl->mode == MODE_ARRAY, shown = mode == MODE_ARRAY;
    g_autoptr(GError) err = NULL;

    pfl->mode = mode;
    if (was != shown && pfl->ms->accel->set_romd &&
        !pfl->ms->accel->set_romd(pfl->ms, &pfl->slot, pfl->gpa, pfl->size,
                                  pfl->storage, shown, &err)) {
        error_report("%s: %s", pfl->name, err->message);
    }
}

/* One byte of the current mode's answer at offset off. */
static uint8_t pflash_read_byte(PFlashCFI01 *pfl, uint64_t off)
{
    switch (pfl->mode) {
    case MODE_ARRAY:
        return pfl->storage[off];
    case MODE_STATUS:
        return pfl->status;
    case MODE_ID:
        /* offset 0 manufacturer, 1 device; 2 in each block its lock
         * configuration (0: unlocked, blocks are never locked here) */
        if (off < 2) {
            return off ? PFLASH_DEVICE : PFLASH_MANUFACTURER;
        }
        return 0;
    case MODE_QUERY:
        return off < CFI_TABLE_SIZE ? pfl->cfi[off] : 0;
    }
    return 0;
}

static uint64_t pflash_read(void *opaque, uint64_t off, unsigned size)
{
    PFlashCFI01 *pfl = opaque;
    uint64_t val = 0;

    g_mutex_lock(&pfl->lock);
    for (unsigned i = 0; i < size && off + i < pfl->size; i++) {
        /* status: the chip is one byte wide, so only byte 0 carries it */
        if (pfl->mode == MODE_STATUS && i) {
            break;
        }
        val |= (uint64_t)pflash_read_byte(pfl, off + i) << (8 * i);
    }
    g_mutex_unlock(&pfl->lock);
    return val;
}

static void pflash_write_back(PFlashCFI01 *pfl, uint64_t off, uint64_t len)
{
    ssize_t n;

    if (pfl->fd < 0) {
        return;
    }
    n = pwrite(pfl->fd, pfl->storage + off, len, off);
    if (n != (ssize_t)len) {
        error_report("%s: cannot write %" G_GUINT64_FORMAT " bytes at "
                     "offset %" G_GUINT64_FORMAT " back to the file: %s",
                     pfl->name, len, off,
                     n < 0 ? g_strerror(errno) : "short write");
    }
}

/* The second cycle of program (0x10/0x40): the data. */
static void pflash_program(PFlashCFI01 *pfl, uint64_t off, uint64_t val,
                           unsigned size)
{
    unsigned len = MIN(size, pfl->size - off);

    if (pfl->readonly) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: program at 0x%" G_GINT64_MODIFIER
                      "x refused: the flash is read-only\n", pfl->name, off);
        pfl->status |= SR_PROGRAM_ERROR;
        return;
    }
    /* QEMU's pflash stores the byte as given (a real cell only clears
     * bits); guests erase before they program either way */
    for (unsigned i = 0; i < len; i++) {
        pfl->storage[off + i] = val >> (8 * i);
    }
    pflash_write_back(pfl, off, len);
}

/* The second cycle of block erase (0x20): 0xd0 confirms. */
static void pflash_erase(PFlashCFI01 *pfl, uint64_t off, uint8_t cmd)
{
    uint64_t block = off & ~(uint64_t)(PFLASH_CFI01_BLOCK_SIZE - 1);

    if (cmd != CMD_ERASE_CONFIRM) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: block erase not confirmed "
                      "(0x%02x instead of 0xd0)\n", pfl->name, cmd);
        pfl->status |= SR_SEQUENCE_ERROR;
        return;
    }
    if (pfl->readonly) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: erase of block 0x%"
                      G_GINT64_MODIFIER "x refused: the flash is read-only\n",
                      pfl->name, block);
        pfl->status |= SR_ERASE_ERROR;
        return;
    }
    memset(pfl->storage + block, 0xff, PFLASH_CFI01_BLOCK_SIZE);
    pflash_write_back(pfl, block, PFLASH_CFI01_BLOCK_SIZE);
}

/* A first cycle: a command byte. */
static void pflash_command(PFlashCFI01 *pfl, uint64_t off, uint8_t cmd)
{
    switch (cmd) {
    case CMD_READ_ARRAY:
    case CMD_READ_ARRAY_ALT:
        pflash_set_mode(pfl, MODE_ARRAY);
        break;
    case CMD_PROGRAM:
    case CMD_PROGRAM_ALT:
    case CMD_BLOCK_ERASE:
        /* reads return the status from the first cycle on */
        pfl->pending = cmd;
        pflash_set_mode(pfl, MODE_STATUS);
        break;
    case CMD_CLEAR_STATUS:
        /* the mode stays: OVMF's probe reads the array right after */
        pfl->status = 0;
        break;
    case CMD_READ_STATUS:
        pflash_set_mode(pfl, MODE_STATUS);
        break;
    case CMD_READ_ID:
        pflash_set_mode(pfl, MODE_ID);
        break;
    case CMD_CFI_QUERY:
        pflash_set_mode(pfl, MODE_QUERY);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: unsupported flash command 0x%02x "
                      "at 0x%" G_GINT64_MODIFIER "x\n", pfl->name, cmd, off);
        pflash_set_mode(pfl, MODE_ARRAY);
        break;
    }
}

static void pflash_write(void *opaque, uint64_t off, uint64_t val,
                         unsigned size)
{
    PFlashCFI01 *pfl = opaque;
    uint8_t pending;

    g_mutex_lock(&pfl->lock);
    pending = pfl->pending;
    pfl->pending = 0;
    if (pending == CMD_PROGRAM || pending == CMD_PROGRAM_ALT) {
        pflash_program(pfl, off, val, size);
        pfl->status |= SR_READY;
    } else if (pending == CMD_BLOCK_ERASE) {
        pflash_erase(pfl, off, val & 0xff);
        pfl->status |= SR_READY;
    } else {
        pflash_command(pfl, off, val & 0xff);
    }
    g_mutex_unlock(&pfl->lock);
}

/* Power-on state: read array, no command pending, status clear. */
static void pflash_reset(void *opaque)
{
    PFlashCFI01 *pfl = opaque;

    g_mutex_lock(&pfl->lock);
    pfl->pending = 0;
    pfl->status = 0;
    pflash_set_mode(pfl, MODE_ARRAY);
    g_mutex_unlock(&pfl->lock);
}

static const IOBusOps pflash_ops = {
    .read = pflash_read,
    .write = pflash_write,
    .min_access = 1,
    .max_access = 8,
};

PFlashCFI01 *pflash_cfi01_new(MachineState *ms, const char *name,
                              uint64_t gpa, uint8_t *storage, uint64_t size,
                              int fd, bool readonly, GError **errp)
{
    PFlashCFI01 *pfl = g_new0(PFlashCFI01, 1);

    pfl->ms = ms;
    pfl->name = g_strdup(name);
    pfl->gpa = gpa;
    pfl->size = size;
    pfl->storage = storage;
    pfl->fd = fd;
    pfl->readonly = readonly;
    pfl->slot = -1;
    pfl->mode = MODE_ARRAY;
    g_mutex_init(&pfl->lock);
    pflash_build_cfi(pfl);
    if (!iobus_register(&ms->mmio, gpa, size, &pflash_ops, pfl, pfl->name,
                        errp) ||
        (ms->accel->set_romd &&
         !ms->accel->set_romd(ms, &pfl->slot, gpa, size, storage, true,
                              errp))) {
        /* the bus may hold pfl: it lives as long as the machine */
        return NULL;
    }
    qemu_register_reset(ms, pflash_reset, pfl);
    return pfl;
}

bool pflash_cfi01_array_mode(PFlashCFI01 *pfl)
{
    bool array;

    g_mutex_lock(&pfl->lock);
    array = pfl->mode == MODE_ARRAY;
    g_mutex_unlock(&pfl->lock);
    return array;
}
