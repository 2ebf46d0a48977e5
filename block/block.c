/*
 * Block nodes (-blockdev, -drive), the worker pool and the interface
 * table of -drive if=.  Option names and error wording are QEMU's.
 */
#include "block/block.h"
#include "system/drive.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOCK_WORKERS     4
#define DIRECT_ALIGN      4096      /* bounce buffers for O_DIRECT */

static GPtrArray *nodes;
static GThreadPool *pool;
static void worker(gpointer data, gpointer unused);
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
    if (!pool) {
        /* created here, on the main thread, before any device runs */
        pool = g_thread_pool_new(worker, NULL, BLOCK_WORKERS, FALSE, NULL);
    }
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
        !parse_discard(opts, &bs->discard, errp)) {
        return false;
    }
    bs->direct = direct;
    (void)qemu_opt_get(opts, "detect-zeroes");   /* off is all we do */
    (void)qemu_opt_get(opts, "aio");              /* threads, always */
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
        !parse_discard(opts, &bs->discard, errp)) {
        return false;
    }
    bs->serial = g_strdup(qemu_opt_get(opts, "serial"));
    (void)qemu_opt_get(opts, "aio");
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

/* ---- requests ------------------------------------------------------------ */

typedef struct BlockRequest {
    BlockNode *bs;
    BlockOp op;
    uint64_t offset, len;
    const struct iovec *iov;
    unsigned niov;
    BlockCompletion *cb;
    void *opaque;
} BlockRequest;

static int full_rw(BlockRequest *r, const struct iovec *iov, unsigned niov)
{
    uint64_t off = r->offset;
    g_autofree struct iovec *v = g_new(struct iovec, niov); /* checked */
    unsigned i = 0;

    memcpy(v, iov, sizeof(*v) * niov);
    while (i < niov) {
        ssize_t n = r->op == BLOCK_OP_READ
            ? preadv(r->bs->fd, v + i, MIN(niov - i, IOV_MAX), off)
            : pwritev(r->bs->fd, v + i, MIN(niov - i, IOV_MAX), off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            if (r->op == BLOCK_OP_READ) {
                /* past the end of a file that shrank: zeros */
                for (; i < niov; i++) {
                    memset(v[i].iov_base, 0, v[i].iov_len);
                }
                return 0;
            }
            return -EIO;
        }
        off += n;
        while (i < niov && (size_t)n >= v[i].iov_len) {
            n -= v[i].iov_len;
            i++;
        }
        if (i < niov) {
            v[i].iov_base = (uint8_t *)v[i].iov_base + n;
            v[i].iov_len -= n;
        }
    }
    return 0;
}

/* O_DIRECT wants aligned buffers; a guest's may not be. */
static int bounce_rw(BlockRequest *r)
{
    void *buf;
    struct iovec one;
    int ret;

    if (posix_memalign(&buf, DIRECT_ALIGN, MAX(r->len, DIRECT_ALIGN))) {
        return -ENOMEM;
    }
    one.iov_base = buf;
    one.iov_len = r->len;
    if (r->op == BLOCK_OP_WRITE) {
        size_t done = 0;
        for (unsigned i = 0; i < r->niov; i++) {
            memcpy((uint8_t *)buf + done, r->iov[i].iov_base,
                   r->iov[i].iov_len);
            done += r->iov[i].iov_len;
        }
    }
    ret = full_rw(r, &one, 1);
    if (ret == 0 && r->op == BLOCK_OP_READ) {
        size_t done = 0;
        for (unsigned i = 0; i < r->niov; i++) {
            memcpy(r->iov[i].iov_base, (uint8_t *)buf + done,
                   r->iov[i].iov_len);
            done += r->iov[i].iov_len;
        }
    }
    free(buf);
    return ret;
}

static int do_request(BlockRequest *r)
{
    BlockNode *bs = r->bs;
    int ret;

    switch (r->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        ret = full_rw(r, r->iov, r->niov);
        if (ret == -EINVAL && bs->direct) {
            ret = bounce_rw(r);
        }
        if (ret == 0 && r->op == BLOCK_OP_WRITE && !bs->writeback &&
            fdatasync(bs->fd) < 0) {
            ret = -errno;
        }
        return ret;
    case BLOCK_OP_FLUSH:
        return fdatasync(bs->fd) < 0 ? -errno : 0;
    case BLOCK_OP_DISCARD:
        if (!bs->discard) {
            return 0;           /* discard=ignore: a hint we may drop */
        }
        if (fallocate(bs->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      r->offset, r->len) < 0 && errno != EOPNOTSUPP) {
            return -errno;
        }
        return 0;
    }
    return -EINVAL;
}

/* Requests pushed and not yet completed (block_drain_all). */
static GMutex inflight_lock;
static GCond inflight_done;
static unsigned inflight;

static void worker(gpointer data, gpointer unused)
{
    BlockRequest *r = data;
    int ret = do_request(r);

    r->cb(r->opaque, ret);
    g_free(r);
    g_mutex_lock(&inflight_lock);
    if (--inflight == 0) {
        g_cond_broadcast(&inflight_done);
    }
    g_mutex_unlock(&inflight_lock);
}

void block_aio(BlockNode *bs, BlockOp op, uint64_t offset, uint64_t len,
               const struct iovec *iov, unsigned niov,
               BlockCompletion *cb, void *opaque)
{
    BlockRequest *r = g_new0(BlockRequest, 1);

    *r = (BlockRequest){ bs, op, offset, len, iov, niov, cb, opaque };
    g_mutex_lock(&inflight_lock);
    inflight++;
    g_mutex_unlock(&inflight_lock);
    g_thread_pool_push(pool, r, NULL);
}

void block_drain_all(void)
{
    g_mutex_lock(&inflight_lock);
    while (inflight) {
        g_cond_wait(&inflight_done, &inflight_lock);
    }
    g_mutex_unlock(&inflight_lock);
}
