/*
 * The pc machine's system firmware, as QEMU's pc_sysfw.c lays it out:
 *
 *   -bios FILE                     read-only, ends at 4 GiB
 *   -drive if=pflash,unit=0,...    ends at 4 GiB (the code: OVMF_CODE)
 *   -drive if=pflash,unit=1,...    right below unit 0 (OVMF_VARS)
 *
 * A CPU leaving reset fetches at 0xfffffff0 (SDM vol. 3, 9.1.4 "First
 * Instruction Executed"), the last 16 bytes of unit 0.  Each pflash unit
 * is a CFI flash (hw/block/pflash_cfi01.c): reads come straight from a
 * read-only KVM slot, writes are flash commands; a writable unit's
 * programmed and erased blocks go back to its file, a readonly=on unit
 * refuses them with a status error.  As QEMU's "isa-bios", the last
 * 128 KiB of the code (all of it if smaller) appear again, read-only,
 * just below 1 MiB (0xe0000 for 128 KiB), where real-mode BIOS code runs.
 */
#include "hw/i386/pc-firmware.h"
#include "hw/block/pflash_cfi01.h"
#include "block/block.h"
#include "hw/boards.h"
#include "system/accel.h"
#include "system/drive.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define FW_PAGE_SIZE    4096
/* QEMU's x86_bios_rom_init: a -bios image is whole 64 KiB blocks */
#define BIOS_BLOCK_SIZE 65536
/* QEMU's isa-bios: at most 128 KiB, ending at 1 MiB */
#define ISA_BIOS_MAX    (128 * 1024)
#define ISA_BIOS_END    0x100000

typedef struct PflashUnit {
    char *file;             /* -drive if=pflash,file= */
    bool readonly;
    BlockNode *node;        /* or -machine pflashN=NODE */
} PflashUnit;

static PflashUnit pflash_units[2];

/* -drive if=pflash,file=F[,format=raw][,unit=0|1][,readonly=on|off] */
static bool pflash_drive_add(QemuOpts *opts, GError **errp)
{
    const char *file = qemu_opt_get(opts, "file");
    const char *format = qemu_opt_get(opts, "format");
    uint64_t unit;
    bool readonly;

    if (!qemu_opt_get_bool(opts, "readonly", false, &readonly, errp)) {
        return false;
    }
    if (qemu_opt_has(opts, "unit")) {
        if (!qemu_opt_get_number(opts, "unit", 0, &unit, errp)) {
            return false;
        }
    } else {
        /* QEMU: the next free unit of the interface */
        unit = pflash_units[0].file ? 1 : 0;
    }
    if (unit >= G_N_ELEMENTS(pflash_units)) {
        error_setg(errp, "unit %" G_GUINT64_FORMAT " too big (max is %zu)",
                   unit, G_N_ELEMENTS(pflash_units) - 1);
        return false;
    }
    if (pflash_units[unit].file) {
        error_setg(errp, "drive with bus=0, unit=%" G_GUINT64_FORMAT
                   " (index=%" G_GUINT64_FORMAT ") exists", unit, unit);
        return false;
    }
    if (!file || !*file) {
        error_setg(errp, "-drive if=pflash needs file=FILE");
        return false;
    }
    if (format && strcmp(format, "raw") != 0) {
        error_setg(errp, "-drive if=pflash: format '%s' is not supported "
                   "(only raw)", format);
        return false;
    }
    pflash_units[unit].file = g_strdup(file);
    pflash_units[unit].readonly = readonly;
    return true;
}

static const DriveInterface pflash_interface = {
    .name = "pflash",
    .add = pflash_drive_add,
};
DRIVE_INTERFACE_REGISTER(pflash_interface)

bool pc_firmware_configured(const MachineState *ms)
{
    return ms->firmware || pflash_units[0].file || pflash_units[1].file ||
           ms->pflash_nodes[0] || ms->pflash_nodes[1];
}

/* Fresh page-aligned memory for an image of len bytes (size checked). */
static bool fw_alloc(PCFirmwareImage *img, const char *name, uint64_t len,
                     uint64_t block, GError **errp)
{
    if (len == 0 || len % block) {
        if (block == BIOS_BLOCK_SIZE) {
            error_setg(errp, "could not load PC BIOS '%s': its size (%"
                       G_GUINT64_FORMAT ") is not a non-zero multiple of "
                       "64 KiB", name, len);
        } else {
            error_setg(errp, "system firmware block device %s has invalid "
                       "size %" G_GUINT64_FORMAT ": it must be a non-zero "
                       "multiple of 0x%" G_GINT64_MODIFIER "x", name, len,
                       block);
        }
        return false;
    }
    if (len > PC_FLASH_SIZE_LIMIT) {
        error_setg(errp, "combined size of system firmware exceeds %d "
                   "bytes", PC_FLASH_SIZE_LIMIT);
        return false;
    }
    img->hva = mmap(NULL, len, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (img->hva == MAP_FAILED) {
        img->hva = NULL;
        error_setg_errno(errp, errno, "cannot allocate %" G_GUINT64_FORMAT
                         " bytes for '%s'", len, name);
        return false;
    }
    img->name = name;
    img->size = len;
    img->fd = -1;
    return true;
}

/* Read path into memory the guest can be given. */
static bool fw_read(PCFirmwareImage *img, const char *what,
                    const char *path, uint64_t block, GError **errp)
{
    g_autofree char *data = NULL;
    size_t len;

    if (!qemu_read_file(what, path, &data, &len, errp) ||
        !fw_alloc(img, path, len, block, errp)) {
        return false;
    }
    memcpy(img->hva, data, len);
    return true;
}

/* A writable unit keeps its file open: the flash writes changes back. */
static bool fw_open_writable(PCFirmwareImage *img, GError **errp)
{
    img->fd = open(img->name, O_RDWR | O_CLOEXEC);
    if (img->fd < 0) {
        error_setg_errno(errp, errno, "Could not open '%s'", img->name);
        return false;
    }
    return true;
}

/* -machine pflashN=NODE: the whole node, writable unless read-only. */
static bool fw_read_node(PCFirmwareImage *img, BlockNode *bs, GError **errp)
{
    uint64_t done = 0;

    if (!fw_alloc(img, bs->node_name, bs->size, FW_PAGE_SIZE, errp)) {
        return false;
    }
    while (done < bs->size) {
        ssize_t n = pread(bs->fd, img->hva + done, bs->size - done, done);
        if (n <= 0) {
            error_setg(errp, "failed to read the initial flash content of "
                       "'%s': %s", bs->node_name,
                       n < 0 ? g_strerror(errno) : "unexpected end of file");
            return false;
        }
        done += n;
    }
    img->readonly = bs->read_only;
    if (!img->readonly) {
        /* the flash writes single bytes back: O_DIRECT cannot */
        if (bs->direct) {
            error_setg(errp, "pflash node '%s': cache.direct=on is not "
                       "supported for a writable flash", bs->node_name);
            return false;
        }
        img->fd = fcntl(bs->fd, F_DUPFD_CLOEXEC, 0);
        if (img->fd < 0) {
            error_setg_errno(errp, errno, "cannot use '%s'", bs->node_name);
            return false;
        }
    }
    return true;
}

/* -machine pflashN=NODE takes the -blockdev node for unit N. */
static bool fw_attach_nodes(MachineState *ms, GError **errp)
{
    for (unsigned u = 0; u < G_N_ELEMENTS(pflash_units); u++) {
        if (!ms->pflash_nodes[u] || pflash_units[u].node) {
            continue;
        }
        if (pflash_units[u].file) {
            error_setg(errp, "-drive if=pflash,unit=%u and -machine "
                       "pflash%u both give flash unit %u: use one", u, u, u);
            return false;
        }
        /* QEMU: pflashN is an alias of the cfi.pflash01 device's drive */
        pflash_units[u].node = block_attach(ms->pflash_nodes[u],
                                            "cfi.pflash01", errp);
        if (!pflash_units[u].node) {
            return false;
        }
    }
    return true;
}

static bool unit_given(unsigned u)
{
    return pflash_units[u].file || pflash_units[u].node;
}

bool pc_firmware_load(MachineState *ms, PCFirmware *fw, GError **errp)
{
    const uint64_t four_gib = 1ULL << 32;
    uint64_t top = four_gib, total = 0;

    if (!fw_attach_nodes(ms, errp)) {
        return false;
    }
    if (ms->firmware && unit_given(0)) {
        error_setg(errp, "-bios and -drive if=pflash,unit=0 both give the "
                   "system firmware: use one");
        return false;
    }
    if (!unit_given(0) && unit_given(1)) {
        error_setg(errp, "-drive if=pflash,unit=1 needs unit 0 (the firmware "
                   "code)");
        return false;
    }
    fw->nr = 0;
    if (ms->firmware) {
        if (!fw_read(&fw->img[0], "BIOS", ms->firmware, BIOS_BLOCK_SIZE,
                     errp)) {
            return false;
        }
        fw->img[0].readonly = true;
        fw->nr = 1;
    } else {
        for (unsigned u = 0; u < G_N_ELEMENTS(pflash_units) && unit_given(u);
             u++) {
            PCFirmwareImage *img = &fw->img[u];

            img->pflash = true;
            if (pflash_units[u].node) {
                if (!fw_read_node(img, pflash_units[u].node, errp)) {
                    return false;
                }
            } else {
                if (!fw_read(img, "pflash image", pflash_units[u].file,
                             FW_PAGE_SIZE, errp)) {
                    return false;
                }
                img->readonly = pflash_units[u].readonly;
                if (!img->readonly && !fw_open_writable(img, errp)) {
                    return false;
                }
            }
            fw->nr = u + 1;
        }
    }
    for (unsigned i = 0; i < fw->nr; i++) {
        total += fw->img[i].size;
        if (total > PC_FLASH_SIZE_LIMIT) {
            error_setg(errp, "combined size of system firmware exceeds %d "
                       "bytes", PC_FLASH_SIZE_LIMIT);
            return false;
        }
        top -= fw->img[i].size;
        fw->img[i].gpa = top;
    }
    fw->isa_bios = (PCFirmwareImage){
        .name = fw->img[0].name,
        .size = MIN(fw->img[0].size, ISA_BIOS_MAX),
        .readonly = true,
    };
    fw->isa_bios.gpa = ISA_BIOS_END - fw->isa_bios.size;
    fw->isa_bios.hva = fw->img[0].hva + fw->img[0].size - fw->isa_bios.size;
    if (ms->ram_size <= ISA_BIOS_END) {
        error_setg(errp, "firmware needs more than 1 MiB of RAM");
        return false;
    }
    return true;
}

static bool fw_map(MachineState *ms, PCFirmwareImage *img, GError **errp)
{
    const AccelOps *a = ms->accel;

    if (img->pflash) {
        img->flash = pflash_cfi01_new(ms, img->name, img->gpa, img->hva,
                                      img->size, img->fd, img->readonly,
                                      errp);
        return img->flash != NULL;
    }
    return img->readonly
        ? !a->map_rom || a->map_rom(ms, img->gpa, img->size, img->hva, errp)
        : a->map_ram(ms, img->gpa, img->size, img->hva, errp);
}

bool pc_firmware_map(MachineState *ms, PCFirmware *fw, GError **errp)
{
    for (unsigned i = 0; i < fw->nr; i++) {
        if (!fw_map(ms, &fw->img[i], errp)) {
            return false;
        }
    }
    return fw_map(ms, &fw->isa_bios, errp);
}

void *pc_firmware_gpa_to_hva(const PCFirmware *fw, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i <= fw->nr; i++) {
        const PCFirmwareImage *img = i < fw->nr ? &fw->img[i] : &fw->isa_bios;
        /* a flash answering a command is no memory until read-array */
        if (img->flash && !pflash_cfi01_array_mode(img->flash)) {
            continue;
        }
        if (img->size && gpa >= img->gpa && gpa - img->gpa < img->size &&
            len <= img->size - (gpa - img->gpa)) {
            return img->hva + (gpa - img->gpa);
        }
    }
    return NULL;
}
