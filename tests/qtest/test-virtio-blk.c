/*
 * virtio-blk-pci on raw images (Virtual I/O Device spec 1.2, 5.2):
 * -drive and -blockdev forms, configuration, read/write/flush/get-id/
 * discard checked against the image file, requests the disk cannot serve
 * (out of range, partial sector, read-only, host I/O error on a full
 * tmpfs) failing with VIRTIO_BLK_S_IOERR while the VM goes on, a request
 * without status byte breaking the device, and refused image formats.
 */
#include "qvirtio.h"

#ifdef CONFIG_LIBURING
#include <linux/io_uring.h>
#endif

#include <errno.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLK_DEVFN     (5 << 3)
#define ALLOC_BASE    0x400000
#define HDR_RAM       0x300000
#define DATA_RAM      0x310000
#define STATUS_RAM    0x30f000
#define IMG_SIZE      (1 << 20)
#define WAIT_MS       5000

#define T_IN      0
#define T_OUT     1
#define T_FLUSH   4
#define T_GET_ID  8
#define T_DISCARD 11
#define S_OK      0
#define S_IOERR   1
#define S_UNSUPP  2

#define F_SEG_MAX  2
#define F_RO       5
#define F_BLK_SIZE 6
#define F_FLUSH    9
#define F_DISCARD  13

typedef struct Blk {
    QTestState *s;
    QVirtioDev d;
    QVirtQueue vq;
    char *dir, *img;
} Blk;

static char *make_image(const char *dir, size_t size, uint8_t fill)
{
    char *path = g_build_filename(dir, "disk.raw", NULL);
    g_autofree uint8_t *buf = g_malloc(size);

    memset(buf, fill, size);
    for (size_t i = 0; i < size; i += 512) {
        memcpy(buf + i, &i, sizeof(i));     /* each sector names itself */
    }
    g_assert_true(g_file_set_contents(path, (char *)buf, size, NULL));
    return path;
}

/*
 * The engine of the drive under test (aio=), or NULL for the default:
 * the I/O tests run once per engine, and must pass the same way.
 */
static const char *blk_aio;

/* args with aio=ENGINE on its -drive or -blockdev file node */
static char *with_aio(char *args, const char *aio)
{
    g_autofree char *opt = g_strdup_printf("format=raw,aio=%s,", aio);
    g_autofree char *json = g_strdup_printf("\"driver\":\"file\","
                                            "\"aio\":\"%s\",", aio);
    g_auto(GStrv) a = g_strsplit(args, "format=raw,", -1);
    g_autofree char *s = g_strjoinv(opt, a);
    g_auto(GStrv) b = g_strsplit(s, "\"driver\":\"file\",", -1);

    g_free(args);
    return g_strjoinv(json, b);
}

/* Can this kernel and this build run aio=io_uring?  Else why not. */
static const char *io_uring_unusable(void)
{
#ifdef CONFIG_LIBURING
    struct io_uring_params p = { 0 };
    int fd = syscall(__NR_io_uring_setup, 4, &p);

    if (fd < 0) {
        return g_strerror(errno);
    }
    close(fd);
    return NULL;
#else
    return "built without liburing-dev";
#endif
}

/* Run test (its name in data's path) with blk_aio set from the path. */
typedef struct EngineTest {
    const char *aio;            /* NULL: default */
    GTestFunc fn;
} EngineTest;

static void run_engine_test(gconstpointer data)
{
    const EngineTest *t = data;
    const char *why;

    if (t->aio && strcmp(t->aio, "io_uring") == 0 &&
        (why = io_uring_unusable())) {
        g_test_skip_printf("io_uring unusable here: %s", why);
        return;
    }
    blk_aio = t->aio;
    t->fn();
    blk_aio = NULL;
}

static void blk_start_without(Blk *b, const char *args_fmt, bool negotiate,
                              uint64_t withheld)
{
    g_autofree char *args = NULL;

    if (!b->dir) {
        b->dir = g_dir_make_tmp("qtest-blk-XXXXXX", NULL);
        g_assert_nonnull(b->dir);
        b->img = make_image(b->dir, IMG_SIZE, 0x5a);
    }
    args = g_strdup_printf(args_fmt, b->img);
    if (blk_aio) {
        args = with_aio(args, blk_aio);
    }
    b->s = qtest_init(args);
    qvirtio_pci_init(&b->d, b->s, BLK_DEVFN, ALLOC_BASE);
    if (negotiate) {
        uint64_t f = qvirtio_device_features(&b->d) &
                     ((1ULL << QVIRTIO_F_VERSION_1) | (1ULL << F_FLUSH) |
                      (1ULL << F_DISCARD) | (1ULL << F_BLK_SIZE) |
                      (1ULL << F_SEG_MAX) | (1ULL << F_RO)) & ~withheld;
        g_assert_true(qvirtio_negotiate(&b->d, f));
        qvirtqueue_setup(&b->vq, &b->d, 0, 16, QVIRTIO_NO_VECTOR);
        qvirtio_set_status(&b->d, QVIRTIO_S_ACKNOWLEDGE | QVIRTIO_S_DRIVER |
                           QVIRTIO_S_FEATURES_OK | QVIRTIO_S_DRIVER_OK);
    }
}

static void blk_start(Blk *b, const char *args_fmt, bool negotiate)
{
    blk_start_without(b, args_fmt, negotiate, 0);
}

static void blk_stop(Blk *b)
{
    qtest_quit(b->s);
    unlink(b->img);
    g_rmdir(b->dir);
    g_free(b->img);
    g_free(b->dir);
}

/*
 * One request: header, then data (len bytes at DATA_RAM, device-readable
 * for OUT-like types, writable otherwise; none if len is 0), status.
 * Returns the status byte; *used gets the used length.
 */
static uint8_t blk_request(Blk *b, uint32_t type, uint64_t sector,
                           uint32_t len, bool data_out, uint32_t *used)
{
    QTestState *s = b->s;
    uint16_t i = 0;
    uint32_t id, ulen;

    qtest_writel(s, HDR_RAM, type);
    qtest_writel(s, HDR_RAM + 4, 0);
    qtest_writeq(s, HDR_RAM + 8, sector);
    qtest_writeb(s, STATUS_RAM, 0xee);
    qvirtqueue_desc(&b->vq, i, HDR_RAM, 16, QVRING_DESC_F_NEXT, i + 1);
    i++;
    if (len) {
        qvirtqueue_desc(&b->vq, i, DATA_RAM, len, QVRING_DESC_F_NEXT |
                        (data_out ? 0 : QVRING_DESC_F_WRITE), i + 1);
        i++;
    }
    qvirtqueue_desc(&b->vq, i, STATUS_RAM, 1, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&b->vq, 0);
    qvirtqueue_kick(&b->vq);
    g_assert_true(qvirtqueue_wait_used(&b->vq, WAIT_MS, &id, &ulen));
    g_assert_cmpuint(id, ==, 0);
    if (used) {
        *used = ulen;
    }
    return qtest_readb(s, STATUS_RAM);
}

static void read_image(Blk *b, uint64_t off, void *buf, size_t len)
{
    int fd = open(b->img, O_RDONLY);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pread(fd, buf, len, off), ==, (ssize_t)len);
    close(fd);
}

#define DRIVE_NONE "-drive file=%s,format=raw,if=none,id=d0 " \
                   "-device virtio-blk-pci,drive=d0,addr=0x5,serial=QKVM-SER-1"

static void test_config(void)
{
    Blk b = { 0 };
    uint64_t f;

    blk_start(&b, DRIVE_NONE, false);
    g_assert_cmphex(qpci_config_read(b.s, BLK_DEVFN, 0, 4), ==, 0x10421af4);
    g_assert_cmphex(qpci_config_read(b.s, BLK_DEVFN, 0x0a, 2), ==, 0x0180);
    f = qvirtio_device_features(&b.d);
    g_assert_true(f & (1ULL << F_FLUSH));
    g_assert_true(f & (1ULL << F_BLK_SIZE));
    g_assert_true(f & (1ULL << F_DISCARD));
    g_assert_false(f & (1ULL << F_RO));
    /* 5.2.4: capacity in 512-byte sectors, blk_size */
    g_assert_cmpuint(qtest_readq(b.s, b.d.device + 0), ==, IMG_SIZE / 512);
    g_assert_cmpuint(qtest_readl(b.s, b.d.device + 20), ==, 512);
    g_assert_cmpuint(qtest_readl(b.s, b.d.device + 40), ==, 1);
    blk_stop(&b);
}

static void test_read_write_flush(void)
{
    Blk b = { 0 };
    uint8_t buf[4096], file[4096];
    uint32_t used;

    blk_start(&b, DRIVE_NONE, true);
    /* read sectors 8..15: the image's bytes, length 4096 + status */
    qtest_memset(b.s, DATA_RAM, 0, sizeof(buf));
    g_assert_cmpuint(blk_request(&b, T_IN, 8, sizeof(buf), false, &used),
                     ==, S_OK);
    g_assert_cmpuint(used, ==, sizeof(buf) + 1);
    qtest_memread(b.s, DATA_RAM, buf, sizeof(buf));
    read_image(&b, 8 * 512, file, sizeof(file));
    g_assert_cmpmem(buf, sizeof(buf), file, sizeof(file));
    /* write sectors 100..107 and find them in the file */
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = i * 7 + 3;
    }
    qtest_memwrite(b.s, DATA_RAM, buf, sizeof(buf));
    g_assert_cmpuint(blk_request(&b, T_OUT, 100, sizeof(buf), true, &used),
                     ==, S_OK);
    g_assert_cmpuint(used, ==, 1);
    g_assert_cmpuint(blk_request(&b, T_FLUSH, 0, 0, false, NULL), ==, S_OK);
    read_image(&b, 100 * 512, file, sizeof(file));
    g_assert_cmpmem(buf, sizeof(buf), file, sizeof(file));
    /* the last sector can be read, zero-length requests are fine */
    g_assert_cmpuint(blk_request(&b, T_IN, IMG_SIZE / 512 - 1, 512, false,
                                 NULL), ==, S_OK);
    g_assert_cmpuint(blk_request(&b, T_IN, 0, 0, false, NULL), ==, S_OK);
    blk_stop(&b);
}

/*
 * A driver without VIRTIO_BLK_F_FLUSH cannot flush, so its writes are
 * written through (the device flushes before completing each; that the
 * fdatasync happens is not visible from here): they complete and are in
 * the file.
 */
static void test_write_without_flush(void)
{
    Blk b = { 0 };
    uint8_t buf[1024], file[1024];

    blk_start_without(&b, DRIVE_NONE, true, 1ULL << F_FLUSH);
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = i * 13 + 1;
    }
    for (unsigned k = 0; k < 3; k++) {
        qtest_memwrite(b.s, DATA_RAM, buf, sizeof(buf));
        g_assert_cmpuint(blk_request(&b, T_OUT, 40 + 2 * k, sizeof(buf), true,
                                     NULL), ==, S_OK);
        read_image(&b, (40 + 2 * k) * 512, file, sizeof(file));
        g_assert_cmpmem(buf, sizeof(buf), file, sizeof(file));
    }
    blk_stop(&b);
}

static void test_get_id_and_unsupported(void)
{
    Blk b = { 0 };
    char id[21] = { 0 };
    uint32_t used;

    blk_start(&b, DRIVE_NONE, true);
    g_assert_cmpuint(blk_request(&b, T_GET_ID, 0, 20, false, &used), ==, S_OK);
    qtest_memread(b.s, DATA_RAM, id, 20);
    g_assert_cmpstr(id, ==, "QKVM-SER-1");
    g_assert_cmpuint(blk_request(&b, 0x7777, 0, 0, false, NULL), ==,
                     S_UNSUPP);
    blk_stop(&b);
}

/* Requests the disk cannot serve fail; the device stays usable. */
static void test_bad_requests(void)
{
    Blk b = { 0 };
    const uint64_t last = IMG_SIZE / 512;

    blk_start(&b, DRIVE_NONE, true);
    /* past the end, straddling it, a huge sector number */
    g_assert_cmpuint(blk_request(&b, T_IN, last, 512, false, NULL), ==,
                     S_IOERR);
    g_assert_cmpuint(blk_request(&b, T_OUT, last - 1, 1024, true, NULL), ==,
                     S_IOERR);
    g_assert_cmpuint(blk_request(&b, T_IN, UINT64_MAX / 2, 512, false, NULL),
                     ==, S_IOERR);
    /* a huge request (16 MiB: more than the disk) */
    g_assert_cmpuint(blk_request(&b, T_IN, 0, 16 << 20, false, NULL), ==,
                     S_IOERR);
    /* not a whole number of sectors */
    g_assert_cmpuint(blk_request(&b, T_IN, 0, 100, false, NULL), ==, S_IOERR);
    g_assert_cmpuint(qvirtio_get_status(&b.d) & QVIRTIO_S_NEEDS_RESET, ==, 0);
    g_assert_cmpuint(blk_request(&b, T_IN, 0, 512, false, NULL), ==, S_OK);
    blk_stop(&b);
}

/* No status byte: the driver broke the protocol; DEVICE_NEEDS_RESET. */
static void test_missing_status(void)
{
    Blk b = { 0 };

    blk_start(&b, DRIVE_NONE, true);
    qvirtqueue_desc(&b.vq, 0, HDR_RAM, 16, 0, 0);
    qvirtqueue_make_avail(&b.vq, 0);
    qvirtqueue_kick(&b.vq);
    g_assert_true(qvirtio_wait_status(&b.d, QVIRTIO_S_NEEDS_RESET, WAIT_MS));
    blk_stop(&b);
}

static void test_readonly(void)
{
    Blk b = { 0 };
    uint8_t before[512], after[512];

    blk_start(&b, "-drive file=%s,format=raw,if=none,id=d0,readonly=on "
                  "-device virtio-blk-pci,drive=d0,addr=0x5", true);
    g_assert_true(qvirtio_device_features(&b.d) & (1ULL << F_RO));
    read_image(&b, 0, before, sizeof(before));
    qtest_memset(b.s, DATA_RAM, 0xab, 512);
    g_assert_cmpuint(blk_request(&b, T_OUT, 0, 512, true, NULL), ==, S_IOERR);
    read_image(&b, 0, after, sizeof(after));
    g_assert_cmpmem(before, sizeof(before), after, sizeof(after));
    g_assert_cmpuint(blk_request(&b, T_IN, 0, 512, false, NULL), ==, S_OK);
    blk_stop(&b);
}

/* libvirt's form: a file node, a raw node on it, the device on that;
 * cache.direct=on is O_DIRECT (bounced when a buffer is unaligned). */
static void test_blockdev_direct(void)
{
    Blk b = { 0 };
    uint8_t buf[1024], file[1024];

    blk_start(&b, "-blockdev '{\"driver\":\"file\",\"filename\":\"%s\","
                  "\"node-name\":\"libvirt-1-storage\",\"auto-read-only\":true,"
                  "\"discard\":\"unmap\",\"cache\":{\"direct\":true,"
                  "\"no-flush\":false}}' "
                  "-blockdev '{\"node-name\":\"libvirt-1-format\","
                  "\"read-only\":false,\"cache\":{\"direct\":true,"
                  "\"no-flush\":false},\"driver\":\"raw\","
                  "\"file\":\"libvirt-1-storage\"}' "
                  "-device '{\"driver\":\"virtio-blk-pci\",\"bus\":\"pci.0\","
                  "\"addr\":\"0x5\",\"drive\":\"libvirt-1-format\","
                  "\"id\":\"virtio-disk0\",\"bootindex\":1}'", true);
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = i ^ 0x3c;
    }
    /* DATA_RAM + 8: not 512-byte aligned in host memory either */
    qtest_memwrite(b.s, DATA_RAM + 8, buf, sizeof(buf));
    qtest_writeq(b.s, HDR_RAM, T_OUT);
    qtest_writeq(b.s, HDR_RAM + 8, 10);
    qvirtqueue_desc(&b.vq, 0, HDR_RAM, 16, QVRING_DESC_F_NEXT, 1);
    qvirtqueue_desc(&b.vq, 1, DATA_RAM + 8, sizeof(buf), QVRING_DESC_F_NEXT, 2);
    qvirtqueue_desc(&b.vq, 2, STATUS_RAM, 1, QVRING_DESC_F_WRITE, 0);
    qtest_writeb(b.s, STATUS_RAM, 0xee);
    qvirtqueue_make_avail(&b.vq, 0);
    qvirtqueue_kick(&b.vq);
    {
        uint32_t id, len;
        g_assert_true(qvirtqueue_wait_used(&b.vq, WAIT_MS, &id, &len));
    }
    g_assert_cmpuint(qtest_readb(b.s, STATUS_RAM), ==, S_OK);
    read_image(&b, 10 * 512, file, sizeof(file));
    g_assert_cmpmem(buf, sizeof(buf), file, sizeof(file));
    g_assert_cmpuint(blk_request(&b, T_IN, 10, 1024, false, NULL), ==, S_OK);
    qtest_memread(b.s, DATA_RAM, file, sizeof(file));
    g_assert_cmpmem(buf, sizeof(buf), file, sizeof(file));
    blk_stop(&b);
}

static void test_discard(void)
{
    Blk b = { 0 };
    uint8_t zero[4096] = { 0 }, file[4096];
    struct stat st0, st1;

    blk_start(&b, "-drive file=%s,format=raw,if=none,id=d0,discard=unmap "
                  "-device virtio-blk-pci,drive=d0,addr=0x5", true);
    g_assert_cmpint(stat(b.img, &st0), ==, 0);
    /* one segment: sectors 64..71 */
    qtest_writeq(b.s, DATA_RAM, 64);
    qtest_writel(b.s, DATA_RAM + 8, 8);
    qtest_writel(b.s, DATA_RAM + 12, 0);
    g_assert_cmpuint(blk_request(&b, T_DISCARD, 0, 16, true, NULL), ==, S_OK);
    read_image(&b, 64 * 512, file, sizeof(file));
    g_assert_cmpint(stat(b.img, &st1), ==, 0);
    /* the hole reads as zeros, the file kept its size and lost blocks
     * (tmp file systems without hole punching skip this check) */
    g_assert_cmpuint(st1.st_size, ==, st0.st_size);
    if (st1.st_blocks < st0.st_blocks) {
        g_assert_cmpmem(file, sizeof(file), zero, sizeof(zero));
    } else {
        g_test_message("no hole punched here (st_blocks %lld -> %lld)",
                       (long long)st0.st_blocks, (long long)st1.st_blocks);
    }
    /* out of range */
    qtest_writeq(b.s, DATA_RAM, IMG_SIZE / 512);
    g_assert_cmpuint(blk_request(&b, T_DISCARD, 0, 16, true, NULL), ==,
                     S_IOERR);
    blk_stop(&b);
}

/*
 * A host I/O error: the image on a tmpfs that is full, so writing a
 * sector that has no block yet fails with ENOSPC.  Needs a tmpfs mount
 * (root); the guest sees IOERR and the VM goes on reading.
 */
static void test_host_io_error(void)
{
    Blk b = { 0 };
    g_autofree char *filler = NULL;
    int fd;

    b.dir = g_dir_make_tmp("qtest-blk-full-XXXXXX", NULL);
    if (mount("tmpfs", b.dir, "tmpfs", 0, "size=256k") < 0) {
        g_test_skip_printf("cannot mount a tmpfs: %s", g_strerror(errno));
        g_rmdir(b.dir);
        g_free(b.dir);
        return;
    }
    b.img = g_build_filename(b.dir, "sparse.raw", NULL);
    fd = open(b.img, O_CREAT | O_RDWR, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(pwrite(fd, "x", 1, 0), ==, 1);
    g_assert_cmpint(ftruncate(fd, IMG_SIZE), ==, 0);   /* sparse */
    close(fd);
    filler = g_build_filename(b.dir, "filler", NULL);
    fd = open(filler, O_CREAT | O_WRONLY, 0600);
    {
        static const char blob[4096];
        while (write(fd, blob, sizeof(blob)) > 0) {
        }
    }
    close(fd);
    blk_start(&b, DRIVE_NONE, true);
    qtest_memset(b.s, DATA_RAM, 0x11, 65536);
    g_assert_cmpuint(blk_request(&b, T_OUT, 1024, 65536, true, NULL), ==,
                     S_IOERR);
    g_assert_cmpuint(qvirtio_get_status(&b.d) & QVIRTIO_S_NEEDS_RESET, ==, 0);
    g_assert_cmpuint(blk_request(&b, T_IN, 0, 512, false, NULL), ==, S_OK);
    qtest_quit(b.s);
    unlink(filler);
    unlink(b.img);
    g_assert_cmpint(umount(b.dir), ==, 0);
    g_rmdir(b.dir);
    g_free(b.img);
    g_free(b.dir);
}

/* Start-up errors: status 1 and one line naming the problem. */
static void expect_startup_error(const char *args, const char *msg)
{
    qtest_expect_startup_error(args, msg);
}

static void test_refused(void)
{
    g_autofree char *dir = g_dir_make_tmp("qtest-blk-XXXXXX", NULL);
    g_autofree char *img = make_image(dir, 65536, 0);
    g_autofree char *qcow = g_build_filename(dir, "fake.qcow2", NULL);
    g_autofree char *a = NULL;

    g_assert_true(g_file_set_contents(qcow, "QFI\xfb\0\0\0\3", 8, NULL));
    a = g_strdup_printf("-drive file=%s,format=qcow2,if=virtio", img);
    expect_startup_error(a, "Block format 'qcow2' is not supported");
    g_free(a);
    /* probing finds qcow2: never read as raw */
    a = g_strdup_printf("-drive file=%s,if=virtio", qcow);
    expect_startup_error(a, "Block format 'qcow2' is not supported");
    g_free(a);
    a = g_strdup_printf("-drive file=%s,format=raw,if=ide", img);
    expect_startup_error(a, "Drive interface 'ide' is not supported");
    g_clear_pointer(&a, g_free);
    expect_startup_error("-drive file=/nonexistent.raw,format=raw,if=virtio",
                         "Could not open '/nonexistent.raw'");
    expect_startup_error("-device virtio-blk-pci,drive=nope",
                         "Property 'virtio-blk-pci.drive' can't find value "
                         "'nope'");
    a = g_strdup_printf("-drive file=%s,format=raw,if=none,id=d0 "
                        "-device virtio-blk-pci,drive=d0 "
                        "-device virtio-blk-pci,drive=d0", img);
    expect_startup_error(a, "Drive 'd0' is already in use");
    unlink(qcow);
    unlink(img);
    g_rmdir(dir);
}

/* -drive if=virtio: the device appears by itself. */
static void test_if_virtio(void)
{
    Blk b = { 0 };

    blk_start(&b, "-drive file=%s,format=raw,if=virtio,addr=0x5", true);
    g_assert_cmpuint(blk_request(&b, T_IN, 1, 512, false, NULL), ==, S_OK);
    g_assert_cmpuint(qtest_readq(b.s, DATA_RAM), ==, 512);
    blk_stop(&b);
}

/* aio= values qkvm does not have: QEMU's error, at start-up */
static void test_aio_refused(void)
{
    g_autofree char *dir = g_dir_make_tmp("qtest-blk-XXXXXX", NULL);
    g_autofree char *img = make_image(dir, 65536, 0);
    g_autofree char *a = NULL;

    a = g_strdup_printf("-drive file=%s,format=raw,if=virtio,aio=posix", img);
    expect_startup_error(a, "invalid aio option");
    unlink(img);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    static const struct { const char *name; GTestFunc fn; } io_tests[] = {
        { "read-write-flush", test_read_write_flush },
        { "write-without-flush", test_write_without_flush },
        { "bad-requests", test_bad_requests },
        { "readonly", test_readonly },
        { "discard", test_discard },
        { "blockdev-direct", test_blockdev_direct },
        { "if-virtio", test_if_virtio },
        { "host-io-error", test_host_io_error },
    };
    static const char *const engines[] = { NULL, "threads", "io_uring" };

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-blk/config", test_config);
    g_test_add_func("/virtio-blk/get-id-unsupported",
                    test_get_id_and_unsupported);
    g_test_add_func("/virtio-blk/missing-status", test_missing_status);
    g_test_add_func("/virtio-blk/refused", test_refused);
    g_test_add_func("/virtio-blk/aio-refused", test_aio_refused);
    for (size_t e = 0; e < G_N_ELEMENTS(engines); e++) {
        for (size_t i = 0; i < G_N_ELEMENTS(io_tests); i++) {
            EngineTest *t = g_new(EngineTest, 1);   /* lives for the run */
            g_autofree char *path = NULL;

            *t = (EngineTest){ engines[e], io_tests[i].fn };
            path = engines[e]
                ? g_strdup_printf("/virtio-blk/aio=%s/%s", engines[e],
                                  io_tests[i].name)
                : g_strdup_printf("/virtio-blk/%s", io_tests[i].name);
            g_test_add_data_func(path, t, run_engine_test);
        }
    }
    return g_test_run();
}
