/*
 * block/aio.c and block/io-uring.c: the same requests give the same
 * results on every engine -- the worker pool (no poller), a node polled
 * by "its device's thread" (here the test thread: lone requests run
 * inline, the rest on the pool) and io_uring (skipped with the measured
 * reason when the kernel refuses a ring).  Data written through several
 * iovecs and requests in flight at once reads back identically and is
 * in the file; a read past the end of a shorter file gives zeros; a
 * host error comes back as -errno; an O_DIRECT request from unaligned
 * buffers goes through the bounce buffer; flush and discard complete;
 * callbacks run where the engine says (test_where).
 */
#include "block/block.h"
#include "block/aio-internal.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { ENGINE_POOL, ENGINE_POLLED_THREADS, ENGINE_IO_URING };
static const char *const engine_names[] = { "pool", "polled-threads",
                                            "io_uring" };

typedef struct Done {
    int ret;
    int done;
    GThread *thread;            /* where the callback ran */
} Done;

static void done_cb(void *opaque, int ret)
{
    Done *d = opaque;

    d->ret = ret;
    d->thread = g_thread_self();
    g_atomic_int_set(&d->done, 1);
}

static char *tmp_path;
/* nodes, their pollers and rings live as long as the process, as in qkvm */
static GPtrArray *nodes_alive;

/* A node on a fresh file in the build directory (not a tmpfs: O_DIRECT) */
static BlockNode *node_new(int engine, int flags, uint64_t size,
                           bool direct)
{
    BlockNode *bs = g_new0(BlockNode, 1);
    g_autoptr(GError) err = NULL;

    g_ptr_array_add(nodes_alive, bs);
    g_free(tmp_path);
    tmp_path = g_strdup_printf("test-block-aio-%d.img", getpid());
    bs->node_name = g_strdup("t");
    bs->driver = "file";
    bs->filename = g_strdup(tmp_path);
    bs->fd = open(tmp_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    g_assert_cmpint(bs->fd, >=, 0);
    g_assert_cmpint(ftruncate(bs->fd, size), ==, 0);
    if (flags != O_RDWR || direct) {
        close(bs->fd);
        bs->fd = open(tmp_path, flags | (direct ? O_DIRECT : 0));
        if (bs->fd < 0 && direct) {
            g_test_skip("O_DIRECT open refused by this file system");
            return NULL;
        }
        g_assert_cmpint(bs->fd, >=, 0);
    }
    bs->size = size;
    bs->direct = direct;
    bs->writeback = true;
    bs->discard = true;
    bs->aio = engine == ENGINE_IO_URING ? BLOCK_AIO_IO_URING
                                        : BLOCK_AIO_THREADS;
    if (engine != ENGINE_POOL &&
        block_completion_fd(bs, NULL, NULL, &err) < 0) {
        g_assert(engine == ENGINE_IO_URING);
        g_autofree char *why = g_strdup_printf("io_uring unusable here: %s",
                                               err->message);
        g_test_skip(why);
        close(bs->fd);
        return NULL;
    }
    g_assert_cmpstr(block_aio_engine(bs), ==,
                    engine == ENGINE_IO_URING ? "io_uring" : "threads");
    return bs;
}

static void node_free(BlockNode *bs)
{
    close(bs->fd);
    unlink(tmp_path);
}

/* Wait for n requests: the pool completes on its own; a polled node
 * completes when this thread, its poller, runs its completions. */
static void wait_done(BlockNode *bs, Done *d, unsigned n)
{
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

    for (;;) {
        unsigned left = 0;
        for (unsigned i = 0; i < n; i++) {
            left += !g_atomic_int_get(&d[i].done);
        }
        if (!left) {
            return;
        }
        if (!bs->poller) {
            block_drain_all();
            continue;
        }
        /* requests that went to the pool complete without the fd */
        struct pollfd pfd = { .fd = block_completion_fd(bs, NULL, NULL, NULL),
                              .events = POLLIN };
        g_assert_cmpint(poll(&pfd, 1, 10), >=, 0);
        block_run_completions(bs);
        g_assert_cmpint(g_get_monotonic_time(), <, deadline); /* no hang */
    }
}

static int one(BlockNode *bs, BlockOp op, uint64_t off, uint64_t len,
               const struct iovec *iov, unsigned niov)
{
    Done d = { 0 };

    block_aio(bs, op, off, len, iov, niov, done_cb, &d);
    wait_done(bs, &d, 1);
    return d.ret;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
    }
}

/* 8 writes in flight, each from two iovecs; read back in flight too */
static void test_data(gconstpointer data)
{
    int engine = GPOINTER_TO_INT(data);
    BlockNode *bs = node_new(engine, O_RDWR, 1 << 20, false);
    uint8_t *w = g_malloc(8 * 4096), *r = g_malloc0(8 * 4096);
    uint8_t file[4096];
    struct iovec wv[16], rv[8];
    Done d[8] = { 0 };

    if (!bs) {
        return;
    }
    fill(w, 8 * 4096, engine + 1);
    for (unsigned i = 0; i < 8; i++) {
        wv[2 * i] = (struct iovec){ w + i * 4096, 1024 };
        wv[2 * i + 1] = (struct iovec){ w + i * 4096 + 1024, 3072 };
        block_aio(bs, BLOCK_OP_WRITE, i * 65536, 4096, &wv[2 * i], 2,
                  done_cb, &d[i]);
    }
    wait_done(bs, d, 8);
    memset(d, 0, sizeof(d));
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmpint(d[i].ret, ==, 0);
        rv[i] = (struct iovec){ r + i * 4096, 4096 };
        block_aio(bs, BLOCK_OP_READ, i * 65536, 4096, &rv[i], 1, done_cb,
                  &d[i]);
    }
    wait_done(bs, d, 8);
    for (unsigned i = 0; i < 8; i++) {
        g_assert_cmpint(d[i].ret, ==, 0);
        g_assert_cmpint(pread(bs->fd, file, 4096, i * 65536), ==, 4096);
        g_assert(memcmp(file, w + i * 4096, 4096) == 0);
    }
    g_assert(memcmp(r, w, 8 * 4096) == 0);
    g_assert_cmpint(one(bs, BLOCK_OP_FLUSH, 0, 0, NULL, 0), ==, 0);
    /* a punched hole reads as zeros (or, where the file system cannot
     * punch, discard is a hint that succeeds and changes nothing) */
    g_assert_cmpint(one(bs, BLOCK_OP_DISCARD, 0, 65536, NULL, 0), ==, 0);
    g_free(w);
    g_free(r);
    node_free(bs);
}

/* The node says 8 KiB, the file has 6 KiB: the rest reads as zeros. */
static void test_short_read(gconstpointer data)
{
    int engine = GPOINTER_TO_INT(data);
    BlockNode *bs = node_new(engine, O_RDWR, 6144, false);
    uint8_t buf[8192], want[6144];
    struct iovec v[2] = { { buf, 4096 }, { buf + 4096, 4096 } };

    if (!bs) {
        return;
    }
    bs->size = 8192;
    fill(want, sizeof(want), 9);
    g_assert_cmpint(pwrite(bs->fd, want, sizeof(want), 0), ==, sizeof(want));
    memset(buf, 0xaa, sizeof(buf));
    g_assert_cmpint(one(bs, BLOCK_OP_READ, 0, 8192, v, 2), ==, 0);
    g_assert(memcmp(buf, want, sizeof(want)) == 0);
    for (size_t i = sizeof(want); i < sizeof(buf); i++) {
        g_assert_cmpint(buf[i], ==, 0);
    }
    node_free(bs);
}

/* A write on a read-only descriptor: -EBADF to the callback. */
static void test_error(gconstpointer data)
{
    int engine = GPOINTER_TO_INT(data);
    BlockNode *bs = node_new(engine, O_RDONLY, 65536, false);
    uint8_t buf[4096] = { 1 };
    struct iovec v = { buf, sizeof(buf) };

    if (!bs) {
        return;
    }
    g_assert_cmpint(one(bs, BLOCK_OP_WRITE, 0, 4096, &v, 1), ==, -EBADF);
    g_assert_cmpint(one(bs, BLOCK_OP_READ, 0, 4096, &v, 1), ==, 0);
    node_free(bs);
}

/* O_DIRECT from a buffer 8 bytes off alignment: bounced, same data. */
static void test_direct_unaligned(gconstpointer data)
{
    int engine = GPOINTER_TO_INT(data);
    BlockNode *bs = node_new(engine, O_RDWR, 1 << 20, true);
    uint8_t *w = g_malloc(8192 + 8), *r = g_malloc0(8192 + 8);
    uint8_t *file = aligned_alloc(4096, 8192);
    struct iovec wv = { w + 8, 8192 }, rv = { r + 8, 8192 };

    if (!bs) {
        goto out;
    }
    fill(w + 8, 8192, 5);
    g_assert_cmpint(one(bs, BLOCK_OP_WRITE, 8192, 8192, &wv, 1), ==, 0);
    g_assert_cmpint(one(bs, BLOCK_OP_READ, 8192, 8192, &rv, 1), ==, 0);
    g_assert(memcmp(r + 8, w + 8, 8192) == 0);
    g_assert_cmpint(pread(bs->fd, file, 8192, 8192), ==, 8192);
    g_assert(memcmp(file, w + 8, 8192) == 0);
    node_free(bs);
out:
    free(file);
    g_free(w);
    g_free(r);
}

/*
 * Where callbacks run: a lone read on the polling thread (inline with
 * threads, reaped there with io_uring); a flush, which may take long,
 * never inline with threads; anything on a node nobody polls on a worker.
 */
static void test_where(gconstpointer data)
{
    int engine = GPOINTER_TO_INT(data);
    BlockNode *bs = node_new(engine, O_RDWR, 65536, false);
    uint8_t buf[4096];
    struct iovec v = { buf, sizeof(buf) };
    Done d = { 0 };

    if (!bs) {
        return;
    }
    block_aio(bs, BLOCK_OP_READ, 0, 4096, &v, 1, done_cb, &d);
    wait_done(bs, &d, 1);
    g_assert_cmpint(d.ret, ==, 0);
    if (engine == ENGINE_POOL) {
        g_assert(d.thread != g_thread_self());
    } else {
        g_assert(d.thread == g_thread_self());
    }
    memset(&d, 0, sizeof(d));
    block_aio(bs, BLOCK_OP_FLUSH, 0, 0, NULL, 0, done_cb, &d);
    wait_done(bs, &d, 1);
    g_assert_cmpint(d.ret, ==, 0);
    if (engine == ENGINE_IO_URING) {
        g_assert(d.thread == g_thread_self());
    } else {
        g_assert(d.thread != g_thread_self());
    }
    node_free(bs);
}

static void test_parse_aio(void)
{
    BlockAioMode m;
    g_autoptr(GError) err = NULL;

    g_assert(block_parse_aio(NULL, &m, NULL) && m == BLOCK_AIO_DEFAULT);
    g_assert(block_parse_aio("threads", &m, NULL) && m == BLOCK_AIO_THREADS);
    g_assert(block_parse_aio("native", &m, NULL) && m == BLOCK_AIO_THREADS);
    g_assert(block_parse_aio("io_uring", &m, NULL) &&
             m == BLOCK_AIO_IO_URING);
    g_assert(!block_parse_aio("uring", &m, &err));
    g_assert_cmpstr(err->message, ==, "invalid aio option");
}

int main(int argc, char **argv)
{
    static const struct { const char *name; GTestDataFunc fn; } t[] = {
        { "data", test_data },
        { "short-read", test_short_read },
        { "error", test_error },
        { "direct-unaligned", test_direct_unaligned },
        { "where", test_where },
    };

    g_test_init(&argc, &argv, NULL);
    nodes_alive = g_ptr_array_new();
    block_aio_init();
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++) {
        for (int e = 0; e < 3; e++) {
            g_autofree char *path = g_strdup_printf("/block-aio/%s/%s",
                                                    engine_names[e], t[i].name);
            g_test_add_data_func(path, GINT_TO_POINTER(e), t[i].fn);
        }
    }
    g_test_add_func("/block-aio/parse-aio", test_parse_aio);
    return g_test_run();
}
