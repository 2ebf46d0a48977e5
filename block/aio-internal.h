/*
 * What the two request engines (block/aio.c's worker threads and
 * block/io-uring.c) share: one request state machine, so short
 * transfers, EINTR, O_DIRECT bounce buffers, write-through and errors
 * mean the same whichever engine runs the system calls.
 *
 * A request is a sequence of steps, each one system call (or io_uring
 * operation) named by its stage; the engine performs the step and hands
 * its result (bytes or -errno) to block_request_update(), until the
 * stage is REQ_DONE.
 */
#ifndef BLOCK_AIO_INTERNAL_H
#define BLOCK_AIO_INTERNAL_H

#include "block/block.h"

#include <limits.h>
#include <sys/types.h>

typedef enum BlockReqStage {
    REQ_DATA,           /* preadv/pwritev of v[vi..vn) at offset + done */
    REQ_SYNC,           /* fdatasync */
    REQ_DISCARD,        /* fallocate(PUNCH_HOLE | KEEP_SIZE) */
    REQ_NOP,            /* nothing to do (discard=ignore): just complete */
    REQ_DONE,           /* ret is the result */
} BlockReqStage;

typedef struct BlockRequest {
    BlockNode *bs;
    BlockOp op;
    uint64_t offset, len;
    const struct iovec *iov;    /* the caller's buffers */
    unsigned niov;
    BlockCompletion *cb;
    void *opaque;

    BlockReqStage stage;
    struct iovec *v;            /* what is left to transfer (a copy) */
    unsigned vi, vn;
    uint64_t done;              /* bytes transferred so far */
    void *bounce;               /* O_DIRECT: aligned copy of the data */
    int ret;
} BlockRequest;

/* The first step's arguments: the current data slice of a REQ_DATA. */
static inline unsigned block_request_iovcnt(const BlockRequest *r)
{
    return MIN(r->vn - r->vi, IOV_MAX);
}

/* Once, on the main thread, before any request (the worker pool). */
void block_aio_init(void);
/* One step's result (bytes or -errno): the next stage. */
void block_request_update(BlockRequest *r, ssize_t res);
/* REQ_DONE: run the callback, free r, leave the in-flight count. */
void block_request_finish(BlockRequest *r);

/* The step the stage names, as a blocking system call: bytes or -errno */
ssize_t block_request_step_sync(BlockRequest *r);

/* block/io-uring.c (stubs without liburing) */
typedef struct BlockRing BlockRing;
BlockRing *block_ring_new(GError **errp);
/* its completion eventfd (registered with the ring) */
int block_ring_fd(BlockRing *ring);
void block_ring_submit(BlockRing *ring, BlockRequest *r);
/* Reap and complete what is there (one thread only: the poller). */
void block_ring_run_completions(BlockRing *ring);

#endif
