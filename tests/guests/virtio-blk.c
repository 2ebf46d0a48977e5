/*
 * virtio-blk: a minimal polling virtio 1.x driver for the modern
 * virtio-blk-pci function, used by tests/functional (verify=1) and by
 * tests/bench/run-bench.py (the disk benchmark).
 *
 * Features: VERSION_1, and FLUSH when offered (write-back cache, as Linux
 * negotiates).  No interrupts: MSI-X vectors are left at NO_VECTOR and the driver polls
 * the used ring.  BARs are used where they were programmed (qkvm places
 * them itself; under QEMU SeaBIOS has run before the multiboot kernel).
 *
 * Command line keys (decimal or 0x hex):
 *   verify=1  write a pattern to a few 4 KiB blocks and to a 64 KiB run,
 *             read them back and compare; prints "virtio-blk: verify ok"
 *             or the mismatches, then exits 0 (ok) or 1
 *   n=N       benchmark: N requests per phase (4 KiB random read, 4 KiB
 *             random write, 64 KiB sequential read, 64 KiB sequential
 *             write), at queue depth 1 and
 *             at qd=Q (default 16); one line per phase on COM1:
 *             "phase=P qd=Q n=N bytes=B cycles=C errors=E"
 * Every request's status byte is checked; errors are counted and printed.
 */
#include "virtio-pci.h"

#define VIRTIO_BLK_F_FLUSH 9              /* 5.2.3 */
#define VIRTIO_BLK_T_IN  0                /* 5.2.6 */
#define VIRTIO_BLK_T_OUT 1

#define QMAX     256
#define SLOTS    16                        /* requests in flight at most */
#define SEQ_SIZE 65536
/* guest RAM layout (needs -m 16 or more): rings at 4 MiB, buffers at 5 MiB */
#define RING_BASE  0x400000u
#define BUF_BASE   0x500000u

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};
struct blk_hdr { uint32_t type, reserved; uint64_t sector; };

static struct virtio_pci dev;
static struct virtq vq;
static struct blk_hdr hdrs[SLOTS];
static volatile uint8_t status[SLOTS];
static uint64_t capacity;             /* 512-byte sectors */
static uint32_t errors;

static void setup(void)
{
    virtio_pci_open(&dev, VIRTIO_TYPE_BLK, VIRTIO_BLK_TRANS);
    /*
     * FLUSH when offered, as Linux does: a driver without it gets a
     * write-through disk from QEMU (an fdatasync after every write), and
     * the benchmark compares the configuration Linux guests run.
     */
    virtio_check(virtio_pci_negotiate(&dev, 1u << VIRTIO_BLK_F_FLUSH, 0));
    virtio_check(virtio_pci_queue(&dev, 0, (void *)RING_BASE, QMAX, &vq));
    virtio_pci_driver_ok(&dev);
    capacity = *(volatile uint32_t *)dev.devcfg |
               (uint64_t)*(volatile uint32_t *)(dev.devcfg + 4) << 32;
    if (capacity < 2 * SEQ_SIZE / 512)
        virtio_fail("disk too small");
}

/* capacity in sectors, clamped to 32 bits (2 TiB): no 64-bit division
 * in a freestanding 32-bit guest */
static uint32_t cap32(void)
{
    return capacity > 0xffffffffu ? 0xffffffffu : (uint32_t)capacity;
}

static uint8_t *slot_buf(int s)
{
    return (uint8_t *)(BUF_BASE + s * SEQ_SIZE);
}

static void submit(int s, uint32_t type, uint64_t sector, uint32_t len)
{
    struct vq_desc *desc = vq.desc;

    hdrs[s] = (struct blk_hdr){ type, 0, sector };
    status[s] = 0xff;
    desc[3 * s] = (struct vq_desc){ (uintptr_t)&hdrs[s], sizeof(hdrs[s]),
                                    VIRTQ_DESC_F_NEXT, 3 * s + 1 };
    desc[3 * s + 1] = (struct vq_desc){ (uintptr_t)slot_buf(s), len,
        VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0),
        3 * s + 2 };
    desc[3 * s + 2] = (struct vq_desc){ (uintptr_t)&status[s], 1,
                                        VIRTQ_DESC_F_WRITE, 0 };
    virtq_submit(&vq, 3 * s);
}

/* wait for one completion; return its slot and count a bad status */
static int complete(void)
{
    int s = virtq_wait(&vq) / 3;

    if (status[s] != 0) {
        if (errors < 5)
            printf("virtio-blk: request failed, status %u\n", status[s]);
        errors++;
    }
    return s;
}

static uint32_t rng = 0x12345678;
static uint32_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* one phase: n requests of len bytes, qd in flight; random 4 KiB-aligned
 * offsets, or sequential from 0 (wrapping) */
static uint64_t run_phase(uint32_t type, uint32_t len, int random,
                          uint32_t n, uint32_t qd)
{
    uint32_t units = cap32() / (len / 512), next = 0, issued = 0, done = 0;
    uint64_t t0;

    t0 = virtio_rdtsc();
    while (issued < n && issued < qd) {
        uint32_t u = random ? xorshift() % units : next++ % units;
        submit(issued++, type, (uint64_t)u * (len / 512), len);
    }
    while (done < n) {
        int s = complete();
        done++;
        if (issued < n) {
            uint32_t u = random ? xorshift() % units : next++ % units;
            submit(s, type, (uint64_t)u * (len / 512), len);
            issued++;
        }
    }
    return virtio_rdtsc() - t0;
}

static void fill(int s, uint32_t len, uint32_t seed)
{
    uint32_t *p = (uint32_t *)slot_buf(s);
    for (uint32_t i = 0; i < len / 4; i++)
        p[i] = seed * 2654435761u + i;
}

static uint32_t check(int s, uint32_t len, uint32_t seed)
{
    uint32_t *p = (uint32_t *)slot_buf(s), bad = 0;
    for (uint32_t i = 0; i < len / 4; i++)
        bad += p[i] != seed * 2654435761u + i;
    return bad;
}

/* write distinct data to 8 scattered 4 KiB blocks (queue depth 8) and one
 * 64 KiB run, read each back into a zeroed buffer and compare */
static int verify(void)
{
    uint32_t blocks = cap32() / 8, bad = 0;
    int s;

    for (s = 0; s < 8; s++) {
        fill(s, 4096, 100 + s);
        submit(s, VIRTIO_BLK_T_OUT, (uint64_t)((blocks - 1) / 7 * s) * 8, 4096);
    }
    fill(8, SEQ_SIZE, 7);
    submit(8, VIRTIO_BLK_T_OUT, 8 * 3, SEQ_SIZE);
    for (s = 0; s < 9; s++)
        complete();
    memset(slot_buf(0), 0, 9 * SEQ_SIZE);
    for (s = 0; s < 8; s++)
        submit(s, VIRTIO_BLK_T_IN, (uint64_t)((blocks - 1) / 7 * s) * 8, 4096);
    submit(8, VIRTIO_BLK_T_IN, 8 * 3, SEQ_SIZE);
    for (s = 0; s < 9; s++)
        complete();
    for (s = 0; s < 8; s++)
        bad += check(s, 4096, 100 + s);
    bad += check(8, SEQ_SIZE, 7);
    printf("virtio-blk: capacity %llu sectors, queue size %u\n",
           (unsigned long long)capacity, vq.size);
    if (bad || errors) {
        printf("virtio-blk: verify FAILED: %u words differ, %u errors\n", bad, errors);
        return 1;
    }
    printf("virtio-blk: verify ok\n");
    return 0;
}

int main(uint32_t magic, struct mb_info *mbi)
{
    const char *cmdline = 0;
    static const struct { const char *name; uint32_t type, len; int random; } ph[] = {
        { "randread", VIRTIO_BLK_T_IN, 4096, 1 },
        { "randwrite", VIRTIO_BLK_T_OUT, 4096, 1 },
        { "seqread", VIRTIO_BLK_T_IN, SEQ_SIZE, 0 },
        { "seqwrite", VIRTIO_BLK_T_OUT, SEQ_SIZE, 0 },
    };
    uint32_t n, qds[2];

    serial_init();
    if (magic == 0x2badb002 && (mbi->flags & (1 << 2)))
        cmdline = (const char *)mbi->cmdline;
    setup();
    if (cmdline_value(cmdline, "verify=", 0))
        return verify();
    n = cmdline_value(cmdline, "n=", 1000);
    qds[0] = 1;
    qds[1] = cmdline_value(cmdline, "qd=", SLOTS);
    if (qds[1] < 1 || qds[1] > SLOTS)
        virtio_fail("qd= out of range (1-16)");
    for (int q = 0; q < 2; q++)
        for (int p = 0; p < (int)(sizeof(ph) / sizeof(ph[0])); p++) {
            uint32_t e0 = errors;
            uint64_t c = run_phase(ph[p].type, ph[p].len, ph[p].random, n, qds[q]);
            printf("phase=%s qd=%u n=%u bytes=%u cycles=%llu errors=%u\n",
                   ph[p].name, qds[q], n, ph[p].len, (unsigned long long)c,
                   errors - e0);
        }
    return errors ? 1 : 0;
}
