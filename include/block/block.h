/*
 * Block nodes: what -blockdev and -drive open, devices read and write,
 * and query-block / query-named-block-nodes describe.
 *
 * Drivers: "file" (a host file or block device) and "raw" (the format
 * layer libvirt puts on top of a "file" node; no offset/size).  Other
 * formats are refused with a clear error, never read as raw.
 *
 * I/O is asynchronous (block/aio.c), one interface for every device:
 * block_aio() queues a request and its callback runs when it is done.
 * Two engines run requests (aio=): a small pool of worker threads
 * (preadv/pwritev/fdatasync/fallocate; the callback runs on a worker),
 * and io_uring (block/io-uring.c).  A device whose I/O thread polls
 * block_completion_fd() gets io_uring completions on that thread; with
 * threads, a request that is alone (nothing else in flight on the node)
 * runs there, as plain system calls.  At queue depth 1 a request then
 * costs no hand-off between threads with either engine.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "qemu/option.h"

typedef struct MachineState MachineState;
typedef struct BlockPoller BlockPoller;

/*
 * aio=: the engine (QEMU's option and default, threads).  io_uring is
 * not the default: on this project's ext4 host it measured slower (see
 * docs/devel/benchmarks.rst); "native" (Linux AIO in QEMU) runs threads.
 */
typedef enum BlockAioMode {
    BLOCK_AIO_DEFAULT,          /* not given: threads (raw: its child's) */
    BLOCK_AIO_THREADS,
    BLOCK_AIO_IO_URING,         /* io_uring or an error at start-up */
} BlockAioMode;

typedef struct BlockNode {
    char *node_name;            /* node-name, or an automatic "#blockN" */
    char *drive_id;             /* -drive id= (QEMU's BlockBackend name) */
    const char *driver;         /* "file" or "raw" */
    struct BlockNode *file;     /* raw: the node below; file: NULL */
    char *filename;
    int fd;                     /* the open file (raw: its child's) */
    uint64_t size;              /* bytes */
    bool read_only;
    bool direct;                /* O_DIRECT: cache.direct / cache=none */
    bool writeback;             /* else each write is followed by a flush */
    bool discard;               /* discard=unmap: punch holes */
    char *attached_to;          /* the device using it (qdev id or path) */
    char *serial;               /* -drive serial= */
    BlockAioMode aio;           /* raw: its child's */
    BlockPoller *poller;        /* once a device's thread polls it */
} BlockNode;

typedef enum BlockOp {
    BLOCK_OP_READ,
    BLOCK_OP_WRITE,
    BLOCK_OP_FLUSH,
    BLOCK_OP_DISCARD,
} BlockOp;

/* ret: 0 or -errno */
typedef void BlockCompletion(void *opaque, int ret);

/* -blockdev driver=file|raw,... */
bool blockdev_create(MachineState *ms, QemuOpts *opts, GError **errp);
/* A node by node-name or -drive id (what -device drive= names). */
BlockNode *block_find(const char *name);
/* Every node, in creation order (query-named-block-nodes). */
GPtrArray *block_all(void);
/* The node a device takes with drive=NAME: found and not yet in use. */
BlockNode *block_attach(const char *name, const char *device,
                        GError **errp);

/*
 * Queue a request: READ/WRITE of the iovec at offset (bytes), FLUSH,
 * DISCARD of len bytes at offset.  The caller checked the range; the
 * iovec must stay valid until cb runs: on a worker thread, or (io_uring)
 * in block_run_completions() on the thread that polls the node.  Either
 * way never inside block_aio() itself, so the caller may hold a lock cb
 * takes.  cb gets 0 or -errno; a short read at the end of the file
 * reads zeros, EINTR is retried, an O_DIRECT request whose buffers are
 * not aligned goes through an aligned bounce buffer.
 */
void block_aio(BlockNode *bs, BlockOp op, uint64_t offset, uint64_t len,
               const struct iovec *iov, unsigned niov,
               BlockCompletion *cb, void *opaque);
/* Wait until every queued request has completed (its cb returned). */
void block_drain_all(void);

/*
 * A device whose I/O thread can poll one more descriptor asks for it
 * here (at creation, on the main thread); when it is readable that
 * thread calls block_run_completions(bs), holding no lock a callback
 * takes: io_uring completions, or (threads) a lone request, run there.
 * -1 (errp set): aio=io_uring was asked for and cannot be had, or no
 * eventfd.
 * more_queued (may be NULL) is asked after a lone request's I/O, before
 * its callback: has the device more requests waiting already?  If so
 * the driver keeps several in flight, and requests go to the engine
 * (in parallel) until they are seen alone again for a while.
 */
typedef bool BlockMoreQueued(void *opaque);
int block_completion_fd(BlockNode *bs, BlockMoreQueued *more_queued,
                        void *opaque, GError **errp);
void block_run_completions(BlockNode *bs);
/* "threads" or "io_uring": what bs runs on now */
const char *block_aio_engine(BlockNode *bs);
/* aio=VALUE of -drive/-blockdev file */
bool block_parse_aio(const char *v, BlockAioMode *mode, GError **errp);

/*
 * The node of a -drive if=none|virtio (system/drive.h's create step):
 * then attach, if given, creates the device that uses it.
 */
typedef bool BlockDriveAttach(MachineState *ms, BlockNode *bs,
                              QemuOpts *opts, GError **errp);
bool block_drive_create(MachineState *ms, QemuOpts *opts,
                        BlockDriveAttach *attach, GError **errp);

#endif
