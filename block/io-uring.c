/*
 * The io_uring request engine (io_uring(7), liburing 2.x).
 *
 * One ring per block node that a device polls (block_completion_fd()).
 * Requests are submitted by whoever calls block_aio() (the device's I/O
 * thread; under qtest the qtest thread; a completion callback queuing a
 * flush), under sq_lock; completions are reaped only by the thread that
 * polls the ring's eventfd (io_uring_register_eventfd), which runs the
 * callbacks.  So a request costs no hand-off between user threads: the
 * I/O thread that took it from the virtqueue submits it and is woken by
 * the kernel when it completes.
 *
 * The ring is created disabled and restricted (IORING_REGISTER_RESTRICTIONS,
 * io_uring_register(2)) to the five operations the state machine uses,
 * so -sandbox on can allow io_uring_enter without letting a subverted VMM
 * open files or sockets through the ring.
 */
#include "block/aio-internal.h"
#include "qemu/error-report.h"

#ifdef CONFIG_LIBURING
#include <errno.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

/* a virtqueue holds at most 256 requests; the CQ gets twice this */
#define BLOCK_RING_ENTRIES 256

struct BlockRing {
    struct io_uring ring;
    GMutex sq_lock;
    int efd;
};

static const uint8_t ring_ops[] = {
    IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
    IORING_OP_FALLOCATE, IORING_OP_NOP,
};

static bool ring_setup(BlockRing *ring, GError **errp)
{
    struct io_uring_restriction res[G_N_ELEMENTS(ring_ops)] = { { 0 } };
    struct io_uring_probe *probe;
    int ret;

    ring->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ring->efd < 0) {
        error_setg(errp, "eventfd: %s", g_strerror(errno));
        return false;
    }
    ret = io_uring_register_eventfd(&ring->ring, ring->efd);
    if (ret < 0) {
        error_setg(errp, "io_uring_register_eventfd: %s", g_strerror(-ret));
        return false;
    }
    probe = io_uring_get_probe_ring(&ring->ring);
    if (!probe) {
        error_setg(errp, "the kernel cannot list its io_uring operations");
        return false;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(ring_ops); i++) {
        if (!io_uring_opcode_supported(probe, ring_ops[i])) {
            io_uring_free_probe(probe);
            error_setg(errp, "the kernel lacks io_uring operation %u",
                       ring_ops[i]);
            return false;
        }
        res[i].opcode = IORING_RESTRICTION_SQE_OP;
        res[i].sqe_op = ring_ops[i];
    }
    io_uring_free_probe(probe);
    /* the system call itself: Debian's liburing 2.3 declares
     * io_uring_register_restrictions() and io_uring_enable_rings() but
     * its shared library does not export them */
    if (syscall(__NR_io_uring_register, ring->ring.ring_fd,
                IORING_REGISTER_RESTRICTIONS, res, G_N_ELEMENTS(res)) < 0) {
        error_setg(errp, "IORING_REGISTER_RESTRICTIONS: %s",
                   g_strerror(errno));
        return false;
    }
    if (syscall(__NR_io_uring_register, ring->ring.ring_fd,
                IORING_REGISTER_ENABLE_RINGS, NULL, 0) < 0) {
        error_setg(errp, "IORING_REGISTER_ENABLE_RINGS: %s",
                   g_strerror(errno));
        return false;
    }
    return true;
}

BlockRing *block_ring_new(GError **errp)
{
    BlockRing *ring = g_new0(BlockRing, 1);
    int ret;

    ring->efd = -1;
    ret = io_uring_queue_init(BLOCK_RING_ENTRIES, &ring->ring,
                              IORING_SETUP_R_DISABLED);
    if (ret < 0) {
        /* e.g. EPERM from kernel.io_uring_disabled, ENOSYS */
        error_setg(errp, "io_uring_queue_init: %s", g_strerror(-ret));
        g_free(ring);
        return NULL;
    }
    if (!ring_setup(ring, errp)) {
        io_uring_queue_exit(&ring->ring);
        if (ring->efd >= 0) {
            close(ring->efd);
        }
        g_free(ring);
        return NULL;
    }
    g_mutex_init(&ring->sq_lock);
    return ring;
}

int block_ring_fd(BlockRing *ring)
{
    return ring->efd;
}

/* The step r's stage names, as one SQE.  sq_lock held. */
static void ring_prep(BlockRing *ring, BlockRequest *r)
{
    struct io_uring_sqe *sqe;
    int fd = r->bs->fd;

    while (!(sqe = io_uring_get_sqe(&ring->ring))) {
        /* full SQ: never with one submit per request, but be safe */
        io_uring_submit(&ring->ring);
    }
    switch (r->stage) {
    case REQ_DATA:
        if (r->op == BLOCK_OP_READ) {
            io_uring_prep_readv(sqe, fd, r->v + r->vi,
                                block_request_iovcnt(r), r->offset + r->done);
        } else {
            io_uring_prep_writev(sqe, fd, r->v + r->vi,
                                 block_request_iovcnt(r), r->offset + r->done);
        }
        break;
    case REQ_SYNC:
        io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
        break;
    case REQ_DISCARD:
        io_uring_prep_fallocate(sqe, fd,
                                FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                r->offset, r->len);
        break;
    case REQ_NOP:
    case REQ_DONE:
        io_uring_prep_nop(sqe);
        break;
    }
    io_uring_sqe_set_data(sqe, r);
}

void block_ring_submit(BlockRing *ring, BlockRequest *r)
{
    int ret;

    g_mutex_lock(&ring->sq_lock);
    ring_prep(ring, r);
    do {
        ret = io_uring_submit(&ring->ring);
    } while (ret == -EINTR);
    if (ret < 0) {
        /* the SQE stays queued and goes with the next submission */
        error_report("io_uring_submit: %s", g_strerror(-ret));
    }
    g_mutex_unlock(&ring->sq_lock);
}

void block_ring_run_completions(BlockRing *ring)
{
    struct io_uring_cqe *cqe;

    /* the caller reset the eventfd first: a later completion signals */
    while (io_uring_peek_cqe(&ring->ring, &cqe) == 0) {
        BlockRequest *r = io_uring_cqe_get_data(cqe);
        int res = cqe->res;

        io_uring_cqe_seen(&ring->ring, cqe);
        block_request_update(r, res);
        if (r->stage == REQ_DONE) {
            block_request_finish(r);
        } else {
            block_ring_submit(ring, r);     /* the next step */
        }
    }
}

#else /* !CONFIG_LIBURING */

BlockRing *block_ring_new(GError **errp)
{
    error_setg(errp, "this qkvm was built without liburing");
    return NULL;
}

int block_ring_fd(BlockRing *ring)
{
    return -1;
}

void block_ring_submit(BlockRing *ring, BlockRequest *r)
{
    g_assert_not_reached();
}

void block_ring_run_completions(BlockRing *ring)
{
}

#endif
