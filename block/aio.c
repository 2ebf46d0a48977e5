/*
 * Block requests: the state machine both engines share, the worker
 * thread engine, the in-flight count (block_drain_all) and the choice
 * of engine per node (aio=).
 */
#include "block/aio-internal.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define BLOCK_WORKERS     4
#define DIRECT_ALIGN      4096      /* bounce buffers for O_DIRECT */

static GThreadPool *pool;

/* Requests queued and not yet completed (block_drain_all). */
static GMutex inflight_lock;
static GCond inflight_done;
static unsigned inflight;

/* ---- the state machine ------------------------------------------------- */

static void req_done(BlockRequest *r, int ret)
{
    r->ret = ret;
    r->stage = REQ_DONE;
}

/* Copy between the caller's iovec and the flat bounce buffer. */
static void bounce_copy(BlockRequest *r, bool to_bounce)
{
    size_t off = 0;

    for (unsigned i = 0; i < r->niov; i++) {
        uint8_t *b = (uint8_t *)r->bounce + off;
        if (to_bounce) {
            memcpy(b, r->iov[i].iov_base, r->iov[i].iov_len);
        } else {
            memcpy(r->iov[i].iov_base, b, r->iov[i].iov_len);
        }
        off += r->iov[i].iov_len;
    }
}

/*
 * O_DIRECT refused the guest's buffers (EINVAL: not aligned): start over
 * with one aligned buffer.  Restarting is harmless: the same bytes go to
 * the same place.
 */
static bool bounce_start(BlockRequest *r)
{
    if (posix_memalign(&r->bounce, DIRECT_ALIGN, MAX(r->len, DIRECT_ALIGN))) {
        r->bounce = NULL;
        return false;
    }
    if (r->op == BLOCK_OP_WRITE) {
        bounce_copy(r, true);
    }
    r->v[0] = (struct iovec){ r->bounce, r->len };
    r->vi = 0;
    r->vn = 1;
    r->done = 0;
    return true;
}

/* n bytes of the current slice went through. */
static void data_advance(BlockRequest *r, size_t n)
{
    r->done += n;
    while (r->vi < r->vn && n >= r->v[r->vi].iov_len) {
        n -= r->v[r->vi].iov_len;
        r->vi++;
    }
    if (r->vi < r->vn) {
        r->v[r->vi].iov_base = (uint8_t *)r->v[r->vi].iov_base + n;
        r->v[r->vi].iov_len -= n;
    }
}

static void data_complete(BlockRequest *r)
{
    if (r->bounce && r->op == BLOCK_OP_READ) {
        bounce_copy(r, false);
    }
    if (r->op == BLOCK_OP_WRITE && !r->bs->writeback) {
        r->stage = REQ_SYNC;        /* cache=writethrough|directsync */
        return;
    }
    req_done(r, 0);
}

void block_request_update(BlockRequest *r, ssize_t res)
{
    if (res == -EINTR || res == -EAGAIN) {
        return;                     /* the same step again */
    }
    switch (r->stage) {
    case REQ_DATA:
        if (res == -EINVAL && r->bs->direct && !r->bounce) {
            if (!bounce_start(r)) {
                req_done(r, -ENOMEM);
            }
            return;
        }
        if (res < 0) {
            req_done(r, res);
            return;
        }
        if (res == 0) {
            if (r->op == BLOCK_OP_WRITE) {
                req_done(r, -EIO);
                return;
            }
            /* a read past the end of a file that shrank: zeros */
            for (; r->vi < r->vn; r->vi++) {
                memset(r->v[r->vi].iov_base, 0, r->v[r->vi].iov_len);
            }
        } else {
            data_advance(r, res);
        }
        if (r->vi == r->vn) {
            data_complete(r);
        }
        return;
    case REQ_SYNC:
        req_done(r, res < 0 ? res : 0);
        return;
    case REQ_DISCARD:
        /* a file system that cannot punch holes: discard is a hint */
        req_done(r, res < 0 && res != -EOPNOTSUPP ? res : 0);
        return;
    case REQ_NOP:
        req_done(r, 0);
        return;
    case REQ_DONE:
        return;
    }
}

static void request_start(BlockRequest *r)
{
    switch (r->op) {
    case BLOCK_OP_READ:
    case BLOCK_OP_WRITE:
        /* one more slot than needed: bounce_start() uses v[0] */
        r->v = g_new(struct iovec, MAX(r->niov, 1));
        memcpy(r->v, r->iov, sizeof(*r->v) * r->niov);
        r->vn = r->niov;
        r->stage = r->niov ? REQ_DATA : REQ_NOP;
        return;
    case BLOCK_OP_FLUSH:
        r->stage = REQ_SYNC;
        return;
    case BLOCK_OP_DISCARD:
        /* discard=ignore: a hint we may drop */
        r->stage = r->bs->discard ? REQ_DISCARD : REQ_NOP;
        return;
    }
    req_done(r, -EINVAL);
}

static void poller_done(BlockPoller *pl);

void block_request_finish(BlockRequest *r)
{
    BlockPoller *pl = r->bs->poller;

    r->cb(r->opaque, r->ret);
    if (pl) {
        poller_done(pl);
    }
    free(r->bounce);
    g_free(r->v);
    g_free(r);
    g_mutex_lock(&inflight_lock);
    if (--inflight == 0) {
        g_cond_broadcast(&inflight_done);
    }
    g_mutex_unlock(&inflight_lock);
}

/* ---- the worker thread engine ----------------------------------------- */

ssize_t block_request_step_sync(BlockRequest *r)
{
    int fd = r->bs->fd;
    ssize_t n = 0;

    switch (r->stage) {
    case REQ_DATA:
        n = r->op == BLOCK_OP_READ
            ? preadv(fd, r->v + r->vi, block_request_iovcnt(r),
                     r->offset + r->done)
            : pwritev(fd, r->v + r->vi, block_request_iovcnt(r),
                      r->offset + r->done);
        break;
    case REQ_SYNC:
        n = fdatasync(fd);
        break;
    case REQ_DISCARD:
        n = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      r->offset, r->len);
        break;
    case REQ_NOP:
    case REQ_DONE:
        break;
    }
    return n < 0 ? -errno : n;
}

static void worker(gpointer data, gpointer unused)
{
    BlockRequest *r = data;

    while (r->stage != REQ_DONE) {
        block_request_update(r, block_request_step_sync(r));
    }
    block_request_finish(r);
}

void block_aio_init(void)
{
    /*
     * Exclusive: the workers start now (before -sandbox) and stay.  In a
     * shared pool an idle worker leaves after 0.5 s and all but 2 idle
     * ones exit, so after a stretch of requests run inline (queue depth
     * 1) the pool would come back cold, thread creation included.
     */
    if (!pool) {
        pool = g_thread_pool_new(worker, NULL, BLOCK_WORKERS, TRUE, NULL);
    }
}

/* ---- nodes a device's thread polls ------------------------------------ */

/*
 * io_uring: requests are submitted by the device's thread and complete
 * on it; no hand-off to begin with.
 *
 * Threads: a lone request (nothing else of the node in flight) is
 * parked here and run by the polling thread itself, once the device
 * handler that queued it has returned (block_aio never runs a
 * callback).  A guest driver that waits for each request before the
 * next (queue depth 1) then costs one wake-up of one thread per kick
 * and none for a worker.  A
 * second request while one is parked sends both to the engine; if the
 * device has more requests waiting when a lone one's I/O is done (the
 * driver keeps more in flight: running them one by one would serialize
 * them), requests go to the engine until inline_after lone ones in a
 * row; inline_after starts at INLINE_AFTER and doubles with each such
 * contention (up to INLINE_AFTER_MAX): a driver whose queue is deep but
 * often drains (measured: a queue-depth-16 guest on a CPU-starved host
 * presented 0 in flight at 60% of its submissions) stops paying for it.
 */
#define INLINE_AFTER     16
#define INLINE_AFTER_MAX 4096

struct BlockPoller {
    BlockRing *ring;            /* io_uring, or NULL: the worker pool */
    int efd;                    /* the ring's eventfd, or our own */
    GMutex lock;
    BlockRequest *parked;
    unsigned inflight;          /* of this node, not finished */
    bool inline_ok;
    unsigned lone_run;          /* lone submissions while !inline_ok */
    unsigned inline_after;      /* lone_run that enables inline again */
    BlockMoreQueued *more_queued;
    void *opaque;
};

static void engine_submit(BlockNode *bs, BlockRequest *r)
{
    if (bs->poller && bs->poller->ring) {
        block_ring_submit(bs->poller->ring, r);
    } else {
        g_thread_pool_push(pool, r, NULL);
    }
}

static void poller_done(BlockPoller *pl)
{
    g_mutex_lock(&pl->lock);
    pl->inflight--;
    g_mutex_unlock(&pl->lock);
}

/*
 * Reads and write-back writes only: a flush (or a write-through write's
 * fdatasync) or a hole punch can take milliseconds, and the I/O thread
 * would not see the driver's next requests meanwhile.
 */
static bool inline_kind(BlockRequest *r)
{
    return r->op == BLOCK_OP_READ ||
           (r->op == BLOCK_OP_WRITE && r->bs->writeback);
}

static void poller_submit(BlockNode *bs, BlockRequest *r)
{
    BlockPoller *pl = bs->poller;
    BlockRequest *unparked = NULL;
    bool lone;

    g_mutex_lock(&pl->lock);
    lone = pl->inflight++ == 0;
    if (!lone) {
        pl->lone_run = 0;
    } else if (!pl->inline_ok && ++pl->lone_run >= pl->inline_after) {
        pl->inline_ok = true;
    }
    if (lone && pl->inline_ok && !pl->ring && inline_kind(r)) {
        pl->parked = r;
        r = NULL;
    } else if (pl->parked) {
        unparked = pl->parked;      /* not alone after all */
        pl->parked = NULL;
    }
    g_mutex_unlock(&pl->lock);
    if (!r) {
        eventfd_write(pl->efd, 1);
        return;
    }
    if (unparked) {
        engine_submit(bs, unparked);
    }
    engine_submit(bs, r);
}

int block_completion_fd(BlockNode *bs, BlockMoreQueued *more_queued,
                        void *opaque, GError **errp)
{
    g_autoptr(GError) err = NULL;
    BlockPoller *pl;

    if (bs->poller) {
        return bs->poller->efd;
    }
    pl = g_new0(BlockPoller, 1);
    g_mutex_init(&pl->lock);
    pl->inline_ok = true;
    pl->inline_after = INLINE_AFTER;
    pl->more_queued = more_queued;
    pl->opaque = opaque;
    if (bs->aio == BLOCK_AIO_IO_URING) {
        pl->ring = block_ring_new(&err);
        if (!pl->ring) {
            error_setg(errp, "Unable to use io_uring: %s", err->message);
            g_free(pl);
            return -1;
        }
    }
    pl->efd = pl->ring ? block_ring_fd(pl->ring)
                       : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (pl->efd < 0) {
        error_setg_errno(errp, errno, "eventfd");
        g_free(pl);
        return -1;
    }
    bs->poller = pl;
    return pl->efd;
}

void block_run_completions(BlockNode *bs)
{
    BlockPoller *pl = bs->poller;
    BlockRequest *r;
    eventfd_t cnt;

    if (!pl) {
        return;
    }
    /* reset first: whatever comes after this signals again */
    eventfd_read(pl->efd, &cnt);
    g_mutex_lock(&pl->lock);
    r = pl->parked;
    pl->parked = NULL;
    g_mutex_unlock(&pl->lock);
    if (r) {
        while (r->stage != REQ_DONE) {
            block_request_update(r, block_request_step_sync(r));
        }
        if (pl->more_queued && pl->more_queued(pl->opaque)) {
            g_mutex_lock(&pl->lock);
            pl->inline_ok = false;
            pl->lone_run = 0;
            pl->inline_after = MIN(pl->inline_after * 2, INLINE_AFTER_MAX);
            g_mutex_unlock(&pl->lock);
        }
        block_request_finish(r);
    }
    if (pl->ring) {
        block_ring_run_completions(pl->ring);
    }
}

const char *block_aio_engine(BlockNode *bs)
{
    return bs->poller && bs->poller->ring ? "io_uring" : "threads";
}

/* ---- the interface ----------------------------------------------------- */

void block_aio(BlockNode *bs, BlockOp op, uint64_t offset, uint64_t len,
               const struct iovec *iov, unsigned niov,
               BlockCompletion *cb, void *opaque)
{
    BlockRequest *r = g_new0(BlockRequest, 1);

    r->bs = bs;
    r->op = op;
    r->offset = offset;
    r->len = len;
    r->iov = iov;
    r->niov = niov;
    r->cb = cb;
    r->opaque = opaque;
    request_start(r);
    g_mutex_lock(&inflight_lock);
    inflight++;
    g_mutex_unlock(&inflight_lock);
    if (bs->poller) {
        poller_submit(bs, r);
    } else {
        engine_submit(bs, r);
    }
}

void block_drain_all(void)
{
    g_mutex_lock(&inflight_lock);
    while (inflight) {
        g_cond_wait(&inflight_done, &inflight_lock);
    }
    g_mutex_unlock(&inflight_lock);
}

bool block_parse_aio(const char *v, BlockAioMode *mode, GError **errp)
{
    if (!v) {
        *mode = BLOCK_AIO_DEFAULT;
    } else if (strcmp(v, "native") == 0) {
        /* Linux AIO in QEMU (libvirt's io='native'): not here, threads */
        *mode = BLOCK_AIO_THREADS;
    } else if (strcmp(v, "threads") == 0) {
        *mode = BLOCK_AIO_THREADS;
    } else if (strcmp(v, "io_uring") == 0) {
        *mode = BLOCK_AIO_IO_URING;
    } else {
        error_setg(errp, "invalid aio option");     /* QEMU's wording */
        return false;
    }
    return true;
}

