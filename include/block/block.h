/*
 * Block nodes: what -blockdev and -drive open, devices read and write,
 * and query-block / query-named-block-nodes describe.
 *
 * Drivers: "file" (a host file or block device) and "raw" (the format
 * layer libvirt puts on top of a "file" node; no offset/size).  Other
 * formats are refused with a clear error, never read as raw.
 *
 * I/O is asynchronous: requests run on a small pool of worker threads
 * (preadv/pwritev/fdatasync/fallocate) and complete through a callback
 * on that worker thread.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "qemu/option.h"

typedef struct MachineState MachineState;

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
 * iovec must stay valid until cb runs (on a worker thread).
 */
void block_aio(BlockNode *bs, BlockOp op, uint64_t offset, uint64_t len,
               const struct iovec *iov, unsigned niov,
               BlockCompletion *cb, void *opaque);
/* Wait until every queued request has completed (its cb returned). */
void block_drain_all(void);

/*
 * The node of a -drive if=none|virtio (system/drive.h's create step):
 * then attach, if given, creates the device that uses it.
 */
typedef bool BlockDriveAttach(MachineState *ms, BlockNode *bs,
                              QemuOpts *opts, GError **errp);
bool block_drive_create(MachineState *ms, QemuOpts *opts,
                        BlockDriveAttach *attach, GError **errp);

#endif
