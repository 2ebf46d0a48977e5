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
#include "libguest.h"

/* PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2) */
#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

/* virtio 1.x (OASIS virtio v1.1) constants */
#define VIRTIO_VENDOR         0x1af4
#define VIRTIO_BLK_MODERN     0x1042      /* 4.1.2.1: 0x1040 + device ID 2 */
#define VIRTIO_BLK_TRANS      0x1001      /* 4.1.2.3: transitional */
#define PCI_CAP_VENDOR        0x09
#define VIRTIO_PCI_CAP_COMMON 1           /* 4.1.4 cfg_type values */
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_DEVICE 4
#define ST_ACK         1                  /* 2.1 device status bits */
#define ST_DRIVER      2
#define ST_DRIVER_OK   4
#define ST_FEATURES_OK 8
#define VIRTQ_DESC_F_NEXT  1              /* 2.6.5 */
#define VIRTQ_DESC_F_WRITE 2
#define VIRTIO_MSI_NO_VECTOR 0xffff       /* 4.1.5.1.2 */
#define VIRTIO_BLK_F_FLUSH 9              /* 5.2.3 */
#define VIRTIO_BLK_T_IN  0                /* 5.2.6 */
#define VIRTIO_BLK_T_OUT 1

/* common configuration structure offsets (4.1.4.3) */
#define CC_DFSELECT   0x00
#define CC_DF         0x04
#define CC_GFSELECT   0x08
#define CC_GF         0x0c
#define CC_STATUS     0x14
#define CC_Q_SELECT   0x16
#define CC_Q_SIZE     0x18
#define CC_Q_MSIX     0x1a
#define CC_Q_ENABLE   0x1c
#define CC_Q_NOTIFYOFF 0x1e
#define CC_Q_DESC     0x20
#define CC_Q_DRIVER   0x28
#define CC_Q_DEVICE   0x30

#define QMAX     256
#define SLOTS    16                        /* requests in flight at most */
#define SEQ_SIZE 65536
/* guest RAM layout (needs -m 16 or more): rings at 4 MiB, buffers at 5 MiB */
#define RING_DESC  0x400000u
#define RING_AVAIL 0x401000u
#define RING_USED  0x402000u
#define BUF_BASE   0x500000u

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};
struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vq_used_elem { uint32_t id, len; };
struct blk_hdr { uint32_t type, reserved; uint64_t sector; };

static volatile uint8_t *common, *devcfg, *notify;
static struct vq_desc *desc = (struct vq_desc *)RING_DESC;
static volatile uint16_t *avail = (volatile uint16_t *)RING_AVAIL; /* flags, idx, ring[] */
static volatile uint16_t *used_hdr = (volatile uint16_t *)RING_USED;
static volatile struct vq_used_elem *used_ring =
    (volatile struct vq_used_elem *)(RING_USED + 4);
static uint16_t qsz, avail_idx, used_idx;
static struct blk_hdr hdrs[SLOTS];
static volatile uint8_t status[SLOTS];
static uint64_t capacity;             /* 512-byte sectors */
static uint32_t errors;

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

static uint32_t pci_read(uint32_t bdf, uint32_t off)
{
    outl(0x80000000u | bdf << 8 | (off & 0xfc), PCI_ADDR);
    return inl(PCI_DATA) >> ((off & 3) * 8);
}

static void pci_write32(uint32_t bdf, uint32_t off, uint32_t v)
{
    outl(0x80000000u | bdf << 8 | (off & 0xfc), PCI_ADDR);
    outl(v, PCI_DATA);
}

static __attribute__((noreturn)) void fail(const char *what)
{
    printf("virtio-blk: error: %s\n", what);
    debug_exit(2);
}

/* bus 0 only: the pc machine has one bus */
static int find_blk(void)
{
    for (uint32_t dev = 0; dev < 32 * 8; dev++) {
        uint32_t id = pci_read(dev, 0);
        if ((id & 0xffff) == VIRTIO_VENDOR &&
            ((id >> 16) == VIRTIO_BLK_MODERN || (id >> 16) == VIRTIO_BLK_TRANS))
            return dev;
    }
    return -1;
}

static volatile uint8_t *bar_addr(uint32_t bdf, uint8_t bar, uint32_t off)
{
    uint32_t lo = pci_read(bdf, 0x10 + 4 * bar);

    if (lo & 1)
        fail("virtio structure in an I/O BAR");
    if (((lo >> 1) & 3) == 2 && pci_read(bdf, 0x14 + 4 * bar) != 0)
        fail("BAR above 4 GiB (32-bit guest without paging)");
    if ((lo & ~0xfu) == 0)
        fail("BAR not programmed");
    return (volatile uint8_t *)(uintptr_t)((lo & ~0xfu) + off);
}

static void setup(void)
{
    int bdf = find_blk();
    uint32_t mult = 0, cap;

    if (bdf < 0)
        fail("no virtio-blk-pci function on bus 0");
    /* memory decode + bus mastering (PCI command register bits 1, 2) */
    pci_write32(bdf, 0x04, (pci_read(bdf, 0x04) & 0xffff) | 0x6);
    if (!(pci_read(bdf, 0x06) & 0x10))
        fail("no capability list");
    for (cap = pci_read(bdf, 0x34) & 0xfc; cap; cap = pci_read(bdf, cap + 1) & 0xfc) {
        if ((pci_read(bdf, cap) & 0xff) != PCI_CAP_VENDOR)
            continue;
        uint8_t type = pci_read(bdf, cap + 3), bar = pci_read(bdf, cap + 4);
        uint32_t off = pci_read(bdf, cap + 8);
        if (type == VIRTIO_PCI_CAP_COMMON && !common)
            common = bar_addr(bdf, bar, off);
        else if (type == VIRTIO_PCI_CAP_DEVICE && !devcfg)
            devcfg = bar_addr(bdf, bar, off);
        else if (type == VIRTIO_PCI_CAP_NOTIFY && !notify) {
            notify = bar_addr(bdf, bar, off);
            mult = pci_read(bdf, cap + 16);
        }
    }
    if (!common || !devcfg || !notify)
        fail("missing common/notify/device capability");

    /* 3.1.1 driver initialization */
    common[CC_STATUS] = 0;
    while (common[CC_STATUS])
        cpu_relax();
    common[CC_STATUS] = ST_ACK;
    common[CC_STATUS] = ST_ACK | ST_DRIVER;
    *(volatile uint32_t *)(common + CC_DFSELECT) = 1;
    if (!(*(volatile uint32_t *)(common + CC_DF) & 1))
        fail("device does not offer VIRTIO_F_VERSION_1");
    /*
     * FLUSH when offered, as Linux does: a driver without it gets a
     * write-through disk from QEMU (an fdatasync after every write), and
     * the benchmark compares the configuration Linux guests run.
     */
    *(volatile uint32_t *)(common + CC_DFSELECT) = 0;
    uint32_t want = *(volatile uint32_t *)(common + CC_DF) & (1u << VIRTIO_BLK_F_FLUSH);
    *(volatile uint32_t *)(common + CC_GFSELECT) = 0;
    *(volatile uint32_t *)(common + CC_GF) = want;
    *(volatile uint32_t *)(common + CC_GFSELECT) = 1;
    *(volatile uint32_t *)(common + CC_GF) = 1;          /* VERSION_1 (bit 32) */
    common[CC_STATUS] = ST_ACK | ST_DRIVER | ST_FEATURES_OK;
    if (!(common[CC_STATUS] & ST_FEATURES_OK))
        fail("FEATURES_OK not accepted");

    *(volatile uint16_t *)(common + CC_Q_SELECT) = 0;
    qsz = *(volatile uint16_t *)(common + CC_Q_SIZE);
    if (qsz == 0)
        fail("queue 0 not available");
    if (qsz > QMAX)
        qsz = QMAX;
    *(volatile uint16_t *)(common + CC_Q_SIZE) = qsz;
    memset((void *)RING_DESC, 0, 0x3000);
    *(volatile uint64_t *)(common + CC_Q_DESC) = RING_DESC;
    *(volatile uint64_t *)(common + CC_Q_DRIVER) = RING_AVAIL;
    *(volatile uint64_t *)(common + CC_Q_DEVICE) = RING_USED;
    *(volatile uint16_t *)(common + CC_Q_MSIX) = VIRTIO_MSI_NO_VECTOR;
    notify += *(volatile uint16_t *)(common + CC_Q_NOTIFYOFF) * mult;
    *(volatile uint16_t *)(common + CC_Q_ENABLE) = 1;
    common[CC_STATUS] = ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK;
    avail[0] = 1;            /* VIRTQ_AVAIL_F_NO_INTERRUPT: we poll */
    capacity = *(volatile uint32_t *)devcfg |
               (uint64_t)*(volatile uint32_t *)(devcfg + 4) << 32;
    if (capacity < 2 * SEQ_SIZE / 512)
        fail("disk too small");
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
    hdrs[s] = (struct blk_hdr){ type, 0, sector };
    status[s] = 0xff;
    desc[3 * s] = (struct vq_desc){ (uintptr_t)&hdrs[s], sizeof(hdrs[s]),
                                    VIRTQ_DESC_F_NEXT, 3 * s + 1 };
    desc[3 * s + 1] = (struct vq_desc){ (uintptr_t)slot_buf(s), len,
        VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0),
        3 * s + 2 };
    desc[3 * s + 2] = (struct vq_desc){ (uintptr_t)&status[s], 1,
                                        VIRTQ_DESC_F_WRITE, 0 };
    avail[2 + avail_idx % qsz] = 3 * s;
    asm volatile("" ::: "memory");   /* x86: stores are not reordered */
    avail[1] = ++avail_idx;
    asm volatile("mfence" ::: "memory");
    *(volatile uint16_t *)notify = 0;
}

/* wait for one completion; return its slot and count a bad status */
static int complete(void)
{
    while (used_hdr[1] == used_idx)
        cpu_relax();
    asm volatile("" ::: "memory");
    int s = used_ring[used_idx % qsz].id / 3;
    used_idx++;
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

    t0 = rdtsc();
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
    return rdtsc() - t0;
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
           (unsigned long long)capacity, qsz);
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
        fail("qd= out of range (1-16)");
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
