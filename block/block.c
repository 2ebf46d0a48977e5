/*
 * Block nodes (-blockdev, -drive) and the interface table of -drive if=
 * (requests: block/aio.c).  Option names and error wording are QEMU's.
 */
#include "block/block.h"
#include "system/drive.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"
#include "block/aio-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static GPtrArray *nodes;
static unsigned auto_node_counter;

GPtrArray *block_all(void)
{
    if (!nodes) {
        nodes = g_ptr_array_new();
    }
    return nodes;
}

BlockNode *block_find(const char *name)
{
    GPtrArray *all = block_all();

    for (guint i = 0; i < all->len; i++) {
        BlockNode *bs = g_ptr_array_index(all, i);
        if ((bs->drive_id && strcmp(bs->drive_id, name) == 0) ||
            strcmp(bs->node_name, name) == 0) {
            return bs;
        }
    }
    return NULL;
}

BlockNode *block_attach(const char *name, const char *device, GError **errp)
{
    BlockNode *bs = block_find(name);

    if (!bs) {
        /* QEMU's wording */
        error_setg(errp, "Property '%s.drive' can't find value '%s'",
                   device, name);
        return NULL;
    }
    if (bs->attached_to) {
        error_setg(errp, "Drive '%s' is already in use by another device",
                   name);
        return NULL;
    }
    bs->attached_to = g_strdup(device);
    return bs;
}

/* ---- opening ----------------------------------------------------------- */

/* QEMU's image magic numbers for the formats people try (their specs). */
static const char *probe_format(int fd)
{
    uint8_t m[4] = { 0 };

    if (pread(fd, m, sizeof(m), 0) != sizeof(m)) {
        return NULL;
    }
    if (memcmp(m, "QFI\xfb", 4) == 0) {
        return "qcow2";
    }
    if (memcmp(m, "KDMV", 4) == 0) {
        return "vmdk";
    }
    return NULL;
}

static bool format_supported(const char *fmt, GError **errp)
{
    static const char *const known[] = {
        "qcow2", "qcow", "vmdk", "vdi", "vhdx", "vpc", "qed", "luks",
        "parallels", "dmg", "bochs", "cloop",
    };

    if (strcmp(fmt, "raw") == 0) {
        return true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
        if (strcmp(fmt, known[i]) == 0) {
            error_setg(errp, "Block format '%s' is not supported by qkvm "
                       "(only raw images)", fmt);
            return false;
        }
    }
    error_setg(errp, "Unknown driver '%s'", fmt);
    return false;
}

static BlockNode *node_new(const char *node_name, const char *driver)
{
    BlockNode *bs = g_new0(BlockNode, 1);

    bs->node_name = node_name ? g_strdup(node_name)
                              : g_strdup_printf("#block%u", auto_node_counter++);
    bs->driver = driver;
    bs->fd = -1;
    bs->writeback = true;
    g_ptr_array_add(block_all(), bs);
    block_aio_init();
    return bs;
}

static bool node_name_ok(const char *name, GError **errp)
{
    if (!name) {
        return true;
    }
    /* QEMU: letters, digits, '-', '.', '_'; starts with a letter */
    if (!g_ascii_isalpha(name[0]) || strlen(name) > 31 ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789-._") != strlen(name)) {
        error_setg(errp, "Invalid node-name: '%s'", name);
        return false;
    }
    if (block_find(name)) {
        error_setg(errp, "Duplicate nodes with node-name='%s'", name);
        return false;
    }
    return true;
}

static bool open_file(BlockNode *bs, GError **errp)
{
    int flags = (bs->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC |
                (bs->direct ? O_DIRECT : 0);
    struct stat st;
    g_autoptr(GError) err = NULL;

    bs->fd = qemu_open(bs->filename, flags, 0, &err);
    if (bs->fd < 0) {
        error_setg(errp, "Could not open '%s': %s", bs->filename,
                   err->message);
        return false;
    }
    if (fstat(bs->fd, &st) < 0) {
        error_setg_errno(errp, errno, "Could not stat '%s'", bs->filename);
        return false;
    }
    if (S_ISBLK(st.st_mode)) {
        if (ioctl(bs->fd, BLKGETSIZE64, &bs->size) < 0) {
            error_setg_errno(errp, errno, "Could not get the size of '%s'",
                             bs->filename);
            return false;
        }
    } else if (S_ISREG(st.st_mode)) {
        bs->size = st.st_size;
    } else {
        error_setg(errp, "'%s' is not a file or a block device",
                   bs->filename);
        return false;
    }
    return true;
}

/* cache=: QEMU's modes as (direct, writeback) */
static bool parse_cache_mode(const char *mode, bool *direct, bool *writeback,
                             GError **errp)
{
    static const struct { const char *name; bool direct, writeback; } m[] = {
        { "none", true, true }, { "writeback", false, true },
        { "writethrough", false, false }, { "directsync", true, false },
        { "unsafe", false, true },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(m); i++) {
        if (strcmp(mode, m[i].name) == 0) {
            *direct = m[i].direct;
            *writeback = m[i].writeback;
            return true;
        }
    }
    error_setg(errp, "invalid cache option");
    return false;
}

static bool parse_discard(QemuOpts *opts, bool *discard, GError **errp)
{
    const char *d = qemu_opt_get(opts, "discard");

    *discard = false;
    if (!d || strcmp(d, "ignore") == 0 || strcmp(d, "off") == 0) {
        return true;
    }
    if (strcmp(d, "unmap") == 0 || strcmp(d, "on") == 0) {
        *discard = true;
        return true;
    }
    error_setg(errp, "Invalid discard option");
    return false;
}

/* Options every -blockdev driver takes (QEMU's BlockdevOptions base). */
static bool blockdev_common(BlockNode *bs, QemuOpts *opts, GError **errp)
{
    bool auto_ro, direct, no_flush;

    if (!qemu_opt_get_bool(opts, "read-only", false, &bs->read_only, errp) ||
        !qemu_opt_get_bool(opts, "auto-read-only", false, &auto_ro, errp) ||
        !qemu_opt_get_bool(opts, "cache.direct", false, &direct, errp) ||
        !qemu_opt_get_bool(opts, "cache.no-flush", false, &no_flush, errp) ||
        !parse_discard(opts, &bs->discard, errp) ||
        !block_parse_aio(qemu_opt_get(opts, "aio"), &bs->aio, errp)) {
        return false;
    }
    bs->direct = direct;
    (void)qemu_opt_get(opts, "detect-zeroes");   /* off is all we do */
    (void)qemu_opt_get(opts, "locking");
    return true;
}

bool blockdev_create(MachineState *ms, QemuOpts *opts, GError **errp)
{
    const char *driver = qemu_opt_get(opts, "driver");
    const char *node_name = qemu_opt_get(opts, "node-name");
    BlockNode *bs;

    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return false;
    }
    if (!node_name) {
        /* QEMU requires one at the top level */
        error_setg(errp, "A top-level -blockdev must have a node-name");
        return false;
    }
    if (!node_name_ok(node_name, errp)) {
        return false;
    }
    if (strcmp(driver, "file") == 0 || strcmp(driver, "host_device") == 0) {
        const char *filename = qemu_opt_get(opts, "filename");
        if (!filename) {
            error_setg(errp, "Parameter 'filename' is missing");
            return false;
        }
        bs = node_new(node_name, "file");
        bs->filename = g_strdup(filename);
        if (!blockdev_common(bs, opts, errp) ||
            !qemu_opts_check_unused(opts, errp)) {
            return false;
        }
        return open_file(bs, errp);
    }
    if (strcmp(driver, "raw") == 0) {
        const char *file = qemu_opt_get(opts, "file");
        BlockNode *child;

        if (!file) {
            error_setg(errp, "Parameter 'file' is missing");
            return false;
        }
        child = block_find(file);
        if (!child) {
            error_setg(errp, "Cannot find device='' nor node-name='%s'", file);
            return false;
        }
        if (qemu_opt_has(opts, "offset") || qemu_opt_has(opts, "size")) {
            error_setg(errp, "raw: offset and size are not supported");
            return false;
        }
        bs = node_new(node_name, "raw");
        if (!blockdev_common(bs, opts, errp) ||
            !qemu_opts_check_unused(opts, errp)) {
            return false;
        }
        if (!bs->read_only && child->read_only) {
            error_setg(errp, "Block node is read-only");
            return false;
        }
        bs->file = child;
        bs->filename = g_strdup(child->filename);
        bs->fd = child->fd;
        bs->size = child->size;
        bs->direct = child->direct;
        bs->discard = bs->discard && child->discard;
        if (bs->aio == BLOCK_AIO_DEFAULT) {
            bs->aio = child->aio;       /* aio belongs to the file node */
        }
        child->attached_to = g_strdup(node_name);
        return true;
    }
    return format_supported(driver, errp);
}

/* ---- -drive ------------------------------------------------------------ */

/* -drive file=,format=,if=none|virtio,id=,readonly=,cache=,... */
bool block_drive_create(MachineState *ms, QemuOpts *opts,
                        BlockDriveAttach *attach, GError **errp)
{
    const char *file = qemu_opt_get(opts, "file");
    const char *format = qemu_opt_get(opts, "format");
    const char *ifname = qemu_opt_get(opts, "if");
    const char *id = qemu_opt_get(opts, "id");
    const char *cache = qemu_opt_get(opts, "cache");
    const char *media = qemu_opt_get(opts, "media");
    static unsigned virtio_index;
    g_autofree char *auto_id = NULL;
    BlockNode *bs;

    if (!file) {
        error_setg(errp, "-drive without file= (an empty drive) is not "
                   "supported");
        return false;
    }
    if (media && strcmp(media, "disk") != 0) {
        error_setg(errp, "media=%s is not supported (disk only)", media);
        return false;
    }
    if (!id) {
        /* QEMU names them after the interface and index */
        auto_id = g_strdup_printf("%s%u", ifname, virtio_index++);
        id = auto_id;
    }
    if (block_find(id)) {
        error_setg(errp, "Duplicate ID '%s' for drive", id);
        return false;
    }
    bs = node_new(NULL, "raw");
    bs->drive_id = g_strdup(id);
    bs->filename = g_strdup(file);
    if (!qemu_opt_get_bool(opts, "readonly", false, &bs->read_only, errp) ||
        (cache && !parse_cache_mode(cache, &bs->direct, &bs->writeback,
                                    errp)) ||
        !parse_discard(opts, &bs->discard, errp) ||
        !block_parse_aio(qemu_opt_get(opts, "aio"), &bs->aio, errp)) {
        return false;
    }
    bs->serial = g_strdup(qemu_opt_get(opts, "serial"));
    (void)qemu_opt_get(opts, "index");
    if (format && !format_supported(format, errp)) {
        return false;
    }
    if (!open_file(bs, errp)) {
        return false;
    }
    if (!format) {
        const char *probed = probe_format(bs->fd);
        if (probed) {
            /* never read an image of another format as raw */
            return format_supported(probed, errp);
        }
        warn_report("Image format was not specified for '%s' and probing "
                    "guessed raw.", file);
    }
    if (attach) {
        return attach(ms, bs, opts, errp);
    }
    return qemu_opts_check_unused(opts, errp);
}

static bool drive_create_none(MachineState *ms, QemuOpts *opts,
                              GError **errp)
{
    return block_drive_create(ms, opts, NULL, errp);
}

/* -drive if=none: the node only; a -device takes it with drive=ID. */
static const DriveInterface drive_none = {
    .name = "none",
    .create = drive_create_none,
};
DRIVE_INTERFACE_REGISTER(drive_none)
