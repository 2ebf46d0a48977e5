/*
 * PCI endpoints and the virtio PCI transport, with virtio-rng-pci as the
 * device: enumeration, BAR sizing and decode, MSI-X, feature
 * negotiation, virtqueue round trips (direct, indirect, event index,
 * INTx) and rings the driver broke (Virtual I/O Device spec 1.2, 2.1.2:
 * DEVICE_NEEDS_RESET, and the VMM keeps going).
 */
#include "qvirtio.h"

#include <string.h>
#include <unistd.h>

#define RNG_SLOT     4
#define RNG_DEVFN    (RNG_SLOT << 3)
#define RNG_ARGS     "-device virtio-rng-pci,addr=0x4,id=rng0"
#define ALLOC_BASE   0x400000
#define MSI_RAM      0x300000
#define BUF_RAM      0x380000
#define WAIT_MS      5000

static QTestState *start_rng(void)
{
    return qtest_init(RNG_ARGS);
}

static void test_enumeration(void)
{
    QTestState *s = start_rng();
    uint32_t id = qpci_config_read(s, RNG_DEVFN, 0x00, 4);
    uint8_t c;

    /* 4.1.2: 0x1af4, 0x1040 + 4 (entropy), revision 1: modern only */
    g_assert_cmphex(id, ==, 0x10441af4);
    g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, 0x08, 1), ==, 1);
    g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, 0x0b, 1), ==, 0xff);
    g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, 0x0e, 1), ==, 0);
    g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, 0x2c, 2), ==, 0x1af4);
    /* status says there is a capability list; it has MSI-X and the
     * four virtio structures we implement */
    g_assert_true(qpci_config_read(s, RNG_DEVFN, 0x06, 2) & 0x10);
    g_assert_cmpuint(qpci_find_cap(s, RNG_DEVFN, 0x11, 0), !=, 0);
    c = 0;
    unsigned types = 0;
    while ((c = qpci_find_cap(s, RNG_DEVFN, 0x09, c))) {
        types |= 1u << qpci_config_read(s, RNG_DEVFN, c + 3, 1);
    }
    g_assert_cmphex(types, ==, (1u << 1) | (1u << 2) | (1u << 3));
    /* INTA, and the other slots and functions are empty */
    g_assert_cmpuint(qpci_config_read(s, RNG_DEVFN, 0x3d, 1), ==, 1);
    g_assert_cmphex(qpci_config_read(s, RNG_DEVFN + 1, 0, 4), ==, 0xffffffff);
    g_assert_cmphex(qpci_config_read(s, 3 << 3, 0, 4), ==, 0xffffffff);
    qtest_quit(s);
}

/* Without addr=, devices fill slots from 2 on. */
static void test_auto_slot(void)
{
    QTestState *s = qtest_init("-device virtio-rng-pci "
                               "-device virtio-rng-pci");

    g_assert_cmphex(qpci_config_read(s, 2 << 3, 0, 4), ==, 0x10441af4);
    g_assert_cmphex(qpci_config_read(s, 3 << 3, 0, 4), ==, 0x10441af4);
    g_assert_cmphex(qpci_config_read(s, 1 << 3, 0, 4), ==, 0xffffffff);
    qtest_quit(s);
}

/* 6.2.5.1: write all-ones, read back the size mask with the type bits. */
static void test_bar_sizing(void)
{
    QTestState *s = start_rng();
    static const struct { unsigned bar; uint32_t mask; } bars[] = {
        { 0, 0 }, { 1, 0xfffff000 }, { 2, 0 }, { 3, 0 },
        { 4, 0xffffc000 }, { 5, 0 },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bars); i++) {
        unsigned reg = 0x10 + 4 * bars[i].bar;
        uint32_t old = qpci_config_read(s, RNG_DEVFN, reg, 4);

        qpci_config_write(s, RNG_DEVFN, reg, 0xffffffff, 4);
        g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, reg, 4), ==,
                        bars[i].mask);
        qpci_config_write(s, RNG_DEVFN, reg, old, 4);
        g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, reg, 4), ==, old);
    }
    qtest_quit(s);
}

/* The machine placed the BARs and enabled decode; the guest may move a
 * BAR or turn decode off, and accesses follow. */
static void test_bar_decode(void)
{
    QTestState *s = start_rng();
    uint32_t bar4 = qpci_config_read(s, RNG_DEVFN, 0x20, 4) & ~0xfu;
    uint32_t moved = 0xe0000000;

    g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, 0x04, 2) & 0x2, ==, 0x2);
    g_assert_cmphex(bar4, >=, 0x08000000);
    /* common config num_queues: one queue */
    g_assert_cmpuint(qtest_readw(s, bar4 + 0x12), ==, 1);
    /* decode off: nothing answers */
    qpci_config_write(s, RNG_DEVFN, 0x04, 0, 2);
    g_assert_cmphex(qtest_readw(s, bar4 + 0x12), ==, 0xffff);
    /* move it while off, turn it back on: it answers at the new place */
    qpci_config_write(s, RNG_DEVFN, 0x20, moved, 4);
    qpci_config_write(s, RNG_DEVFN, 0x04, 0x2, 2);
    g_assert_cmpuint(qtest_readw(s, moved + 0x12), ==, 1);
    g_assert_cmphex(qtest_readw(s, bar4 + 0x12), ==, 0xffff);
    qtest_quit(s);
}

static void test_msix_table(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    uint8_t c;
    uint16_t ctl;

    qvirtio_pci_init(&d, s, RNG_DEVFN, ALLOC_BASE);
    c = qpci_find_cap(s, RNG_DEVFN, 0x11, 0);
    ctl = qpci_config_read(s, RNG_DEVFN, c + 2, 2);
    /* table size N-1: one vector for config changes, one per queue */
    g_assert_cmpuint(ctl & 0x7ff, ==, 1);
    g_assert_cmphex(ctl & 0xc000, ==, 0);
    /* table in BAR 1 at 0, PBA at 0x800 */
    g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, c + 4, 4), ==, 1);
    g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, c + 8, 4), ==, 0x801);
    /* 6.8.2.9: vectors start masked; entries hold what is written */
    for (unsigned v = 0; v < 2; v++) {
        g_assert_cmphex(qtest_readl(s, d.msix_table + 16 * v + 12), ==, 1);
    }
    qtest_writel(s, d.msix_table + 16, 0xfee00000);
    qtest_writel(s, d.msix_table + 20, 0);
    qtest_writel(s, d.msix_table + 24, 0x4041);
    g_assert_cmphex(qtest_readl(s, d.msix_table + 16), ==, 0xfee00000);
    g_assert_cmphex(qtest_readl(s, d.msix_table + 24), ==, 0x4041);
    /* enable and function mask are writable, the table size is not */
    qpci_config_write(s, RNG_DEVFN, c + 2, 0xffff, 2);
    g_assert_cmphex(qpci_config_read(s, RNG_DEVFN, c + 2, 2), ==, 0xc001);
    qtest_quit(s);
}

static void test_feature_negotiation(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    uint64_t f;

    qvirtio_pci_init(&d, s, RNG_DEVFN, ALLOC_BASE);
    f = qvirtio_device_features(&d);
    g_assert_true(f & (1ULL << QVIRTIO_F_VERSION_1));
    g_assert_true(f & (1ULL << QVIRTIO_F_INDIRECT_DESC));
    g_assert_true(f & (1ULL << QVIRTIO_F_EVENT_IDX));
    /* a legacy driver (no VERSION_1) is refused */
    g_assert_false(qvirtio_negotiate(&d, 0));
    /* a feature not offered is refused */
    g_assert_false(qvirtio_negotiate(&d, (1ULL << QVIRTIO_F_VERSION_1) |
                                         (1ULL << 40)));
    g_assert_true(qvirtio_negotiate(&d, 1ULL << QVIRTIO_F_VERSION_1));
    /* reset: status 0 reads back 0 */
    qvirtio_set_status(&d, 0);
    g_assert_cmpuint(qvirtio_get_status(&d), ==, 0);
    qtest_quit(s);
}

static void driver_ok(QVirtioDev *d)
{
    qvirtio_set_status(d, QVIRTIO_S_ACKNOWLEDGE | QVIRTIO_S_DRIVER |
                       QVIRTIO_S_FEATURES_OK | QVIRTIO_S_DRIVER_OK);
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

/* One writable buffer: filled, returned with its length, MSI-X sent. */
static void test_round_trip_msix(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;
    uint8_t buf[64];
    uint32_t id, len;

    qvirtio_pci_init(&d, s, RNG_DEVFN, ALLOC_BASE);
    g_assert_true(qvirtio_negotiate(&d, 1ULL << QVIRTIO_F_VERSION_1));
    qvirtqueue_setup(&vq, &d, 0, 16, 1);
    qvirtio_msix_to_ram(&d, MSI_RAM, 2);
    qtest_writel(s, MSI_RAM + 4, 0);
    driver_ok(&d);

    qtest_memset(s, BUF_RAM, 0, sizeof(buf));
    qvirtqueue_desc(&vq, 0, BUF_RAM, sizeof(buf), QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&vq, 0);
    qvirtqueue_kick(&vq);
    g_assert_true(qvirtqueue_wait_used(&vq, WAIT_MS, &id, &len));
    g_assert_cmpuint(id, ==, 0);
    g_assert_cmpuint(len, ==, sizeof(buf));
    qtest_memread(s, BUF_RAM, buf, sizeof(buf));
    g_assert_false(all_zero(buf, sizeof(buf)));
    /* queue 0 uses vector 1: its message landed, vector 0's did not */
    for (int i = 0; i < 1000 && qtest_readl(s, MSI_RAM + 4) == 0; i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(qtest_readl(s, MSI_RAM + 4), ==, 0xc0de0001);
    g_assert_cmphex(qtest_readl(s, MSI_RAM), ==, 0);
    qtest_quit(s);
}

/* A masked vector collects a pending bit; unmasking sends it. */
static void test_msix_pending(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;
    uint32_t id, len;

    qvirtio_pci_init(&d, s, RNG_DEVFN, ALLOC_BASE);
    g_assert_true(qvirtio_negotiate(&d, 1ULL << QVIRTIO_F_VERSION_1));
    qvirtqueue_setup(&vq, &d, 0, 16, 1);
    qvirtio_msix_to_ram(&d, MSI_RAM, 2);
    qtest_writel(s, d.msix_table + 16 + 12, 1);        /* mask vector 1 */
    qtest_writel(s, MSI_RAM + 4, 0);
    driver_ok(&d);
    qvirtqueue_desc(&vq, 0, BUF_RAM, 32, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&vq, 0);
    qvirtqueue_kick(&vq);
    g_assert_true(qvirtqueue_wait_used(&vq, WAIT_MS, &id, &len));
    /* the used entry is written before the interrupt is decided */
    for (int i = 0; i < 1000 && !(qtest_readl(s, d.msix_table + 0x800) & 2);
         i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(qtest_readl(s, d.msix_table + 0x800), ==, 2);
    g_assert_cmphex(qtest_readl(s, MSI_RAM + 4), ==, 0);
    qtest_writel(s, d.msix_table + 16 + 12, 0);        /* unmask */
    g_assert_cmphex(qtest_readl(s, MSI_RAM + 4), ==, 0xc0de0001);
    g_assert_cmphex(qtest_readl(s, d.msix_table + 0x800), ==, 0);
    qtest_quit(s);
}

/* A readable header then two writable buffers, through an indirect
 * table (2.7.5.3); readable bytes are not counted as written. */
static void test_indirect(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;
    uint64_t table;
    uint32_t id, len;
    uint8_t b[24];

    qvirtio_pci_init(&d, s, RNG_DEVFN, ALLOC_BASE);
    g_assert_true(qvirtio_negotiate(&d, (1ULL << QVIRTIO_F_VERSION_1) |
                                        (1ULL << QVIRTIO_F_INDIRECT_DESC)));
    qvirtqueue_setup(&vq, &d, 0, 8, QVIRTIO_NO_VECTOR);
    driver_ok(&d);
    table = qvirtio_alloc(&d, 3 * 16, 16);
    qtest_memset(s, BUF_RAM, 0, 64);
    qtest_writeq(s, table, BUF_RAM + 48);
    qtest_writel(s, table + 8, 8);
    qtest_writew(s, table + 12, QVRING_DESC_F_NEXT);
    qtest_writew(s, table + 14, 1);
    qtest_writeq(s, table + 16, BUF_RAM);
    qtest_writel(s, table + 24, 16);
    qtest_writew(s, table + 28, QVRING_DESC_F_WRITE | QVRING_DESC_F_NEXT);
    qtest_writew(s, table + 30, 2);
    qtest_writeq(s, table + 32, BUF_RAM + 16);
    qtest_writel(s, table + 40, 8);
    qtest_writew(s, table + 44, QVRING_DESC_F_WRITE);
    qvirtqueue_desc(&vq, 5, table, 3 * 16, QVRING_DESC_F_INDIRECT, 0);
    qvirtqueue_make_avail(&vq, 5);
    qvirtqueue_kick(&vq);
    g_assert_true(qvirtqueue_wait_used(&vq, WAIT_MS, &id, &len));
    g_assert_cmpuint(id, ==, 5);
    g_assert_cmpuint(len, ==, 24);
    qtest_memread(s, BUF_RAM, b, sizeof(b));
    g_assert_false(all_zero(b, 16));
    g_assert_false(all_zero(b + 16, 8));
    g_assert_cmpuint(qvirtio_get_status(&d) & QVIRTIO_S_NEEDS_RESET, ==, 0);
    qtest_quit(s);
}

/*
 * 2.7.10: with EVENT_IDX the device publishes avail_event (how far it
 * read) and interrupts only when used passes the driver's used_event.
 */
static void test_event_idx(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;
    uint32_t id, len;

    qvirtio_pci_init(&d, s, RNG_DEVFN, ALLOC_BASE);
    g_assert_true(qvirtio_negotiate(&d, (1ULL << QVIRTIO_F_VERSION_1) |
                                        (1ULL << QVIRTIO_F_EVENT_IDX)));
    qvirtqueue_setup(&vq, &d, 0, 8, 1);
    qvirtio_msix_to_ram(&d, MSI_RAM, 2);
    driver_ok(&d);
    /* used_event = 1: no interrupt for the first buffer (used 0 -> 1) */
    qtest_writew(s, vq.avail + 4 + 2 * vq.size, 1);
    qtest_writel(s, MSI_RAM + 4, 0);
    qvirtqueue_desc(&vq, 0, BUF_RAM, 8, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&vq, 0);
    qvirtqueue_kick(&vq);
    g_assert_true(qvirtqueue_wait_used(&vq, WAIT_MS, &id, &len));
    g_assert_cmpuint(qtest_readw(s, vq.used + 4 + 8 * vq.size), ==, 1);
    /* the second (used 1 -> 2) passes used_event: interrupt */
    qvirtqueue_desc(&vq, 1, BUF_RAM, 8, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&vq, 1);
    qvirtqueue_kick(&vq);
    g_assert_true(qvirtqueue_wait_used(&vq, WAIT_MS, &id, &len));
    for (int i = 0; i < 1000 && qtest_readl(s, MSI_RAM + 4) == 0; i++) {
        g_usleep(1000);
    }
    g_assert_cmphex(qtest_readl(s, MSI_RAM + 4), ==, 0xc0de0001);
    g_assert_cmpuint(qtest_readw(s, vq.used + 4 + 8 * vq.size), ==, 2);
    qtest_quit(s);
}

/* Before MSI-X is enabled: the ISR and INTA (GSI 16 + (slot + 0) % 4). */
static void test_intx(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;
    uint32_t id, len;
    const int gsi = 16 + RNG_SLOT % 4;
    bool raised = false;

    qtest_irq_intercept_in(s, "ioapic");
    qvirtio_pci_init(&d, s, RNG_DEVFN, ALLOC_BASE);
    g_assert_cmpuint(qpci_config_read(s, RNG_DEVFN, 0x3c, 1), ==, gsi);
    g_assert_true(qvirtio_negotiate(&d, 1ULL << QVIRTIO_F_VERSION_1));
    qvirtqueue_setup(&vq, &d, 0, 8, QVIRTIO_NO_VECTOR);
    driver_ok(&d);
    qvirtqueue_desc(&vq, 0, BUF_RAM, 8, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&vq, 0);
    qvirtqueue_kick(&vq);
    g_assert_true(qvirtqueue_wait_used(&vq, WAIT_MS, &id, &len));
    for (int i = 0; i < 1000 && !(raised = qtest_get_irq(s, gsi)); i++) {
        g_usleep(1000);
    }
    g_assert_true(raised);
    g_assert_true(qpci_config_read(s, RNG_DEVFN, 0x06, 2) & 0x08);
    /* 4.1.4.5: reading the ISR returns bit 0 and deasserts */
    g_assert_cmphex(qtest_readb(s, d.isr), ==, 1);
    g_assert_false(qtest_get_irq(s, gsi));
    g_assert_cmphex(qtest_readb(s, d.isr), ==, 0);
    qtest_quit(s);
}

/* A broken ring: NEEDS_RESET, nothing used, and after a reset the
 * device works again (the VMM never stopped). */
static void check_broken_then_recovers(QTestState *s, QVirtioDev *d,
                                       QVirtQueue *vq)
{
    uint32_t id, len;

    qvirtqueue_kick(vq);
    g_assert_true(qvirtio_wait_status(d, QVIRTIO_S_NEEDS_RESET, WAIT_MS));
    g_assert_cmpuint(qtest_readw(s, vq->used + 2), ==, 0);

    d->alloc_next = ALLOC_BASE + 0x10000;
    g_assert_true(qvirtio_negotiate(d, 1ULL << QVIRTIO_F_VERSION_1));
    g_assert_cmpuint(qvirtio_get_status(d) & QVIRTIO_S_NEEDS_RESET, ==, 0);
    qvirtqueue_setup(vq, d, 0, 8, QVIRTIO_NO_VECTOR);
    driver_ok(d);
    qvirtqueue_desc(vq, 0, BUF_RAM, 8, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(vq, 0);
    qvirtqueue_kick(vq);
    g_assert_true(qvirtqueue_wait_used(vq, WAIT_MS, &id, &len));
    g_assert_cmpuint(len, ==, 8);
}

static QVirtioDev *ready_device(QTestState *s, QVirtioDev *d, QVirtQueue *vq)
{
    qvirtio_pci_init(d, s, RNG_DEVFN, ALLOC_BASE);
    g_assert_true(qvirtio_negotiate(d, (1ULL << QVIRTIO_F_VERSION_1) |
                                       (1ULL << QVIRTIO_F_INDIRECT_DESC)));
    qvirtqueue_setup(vq, d, 0, 8, QVIRTIO_NO_VECTOR);
    driver_ok(d);
    return d;
}

static void test_bad_buffer_outside_ram(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;

    ready_device(s, &d, &vq);
    /* 0xf0000000 is in the PCI hole, not RAM */
    qvirtqueue_desc(&vq, 0, 0xf0000000, 64, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&vq, 0);
    check_broken_then_recovers(s, &d, &vq);
    qtest_quit(s);
}

/*
 * A guest that breaks the device again and again after each reset: stderr
 * gets at most one "device needs reset" line a second, the others go to
 * the -d guest_errors log (rate-limited itself).
 */
static void test_bad_repeated_break_logged(void)
{
    g_autofree char *log = g_build_filename(g_get_tmp_dir(),
                                            "qtest-virtio-log-XXXXXX", NULL);
    g_autofree char *text = NULL;
    const unsigned breaks = 5;
    unsigned logged = 0;
    gint64 start, seconds;
    QTestState *s;
    QVirtioDev d;
    QVirtQueue vq;
    int fd = g_mkstemp(log);

    g_assert_cmpint(fd, >=, 0);
    close(fd);
    s = qtest_initf(RNG_ARGS " -d guest_errors -D %s", log);
    start = g_get_monotonic_time();
    for (unsigned i = 0; i < breaks; i++) {
        ready_device(s, &d, &vq);
        qvirtqueue_desc(&vq, 0, 0xf0000000, 64, QVRING_DESC_F_WRITE, 0);
        qvirtqueue_make_avail(&vq, 0);
        qvirtqueue_kick(&vq);
        g_assert_true(qvirtio_wait_status(&d, QVIRTIO_S_NEEDS_RESET, WAIT_MS));
    }
    seconds = (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
    qtest_quit(s);
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    for (const char *p = text; (p = strstr(p, "device needs reset")); p++) {
        logged++;
    }
    unlink(log);
    /* the first break is always on stderr; of the rest, at most one a
     * second went there too */
    g_assert_cmpuint(logged, <=, breaks - 1);
    g_assert_cmpint(logged, >=, (gint64)breaks - 1 - (seconds + 1));
}

static void test_bad_ring_outside_ram(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;

    qvirtio_pci_init(&d, s, RNG_DEVFN, ALLOC_BASE);
    g_assert_true(qvirtio_negotiate(&d, 1ULL << QVIRTIO_F_VERSION_1));
    qvirtqueue_setup(&vq, &d, 0, 8, QVIRTIO_NO_VECTOR);
    /* move the descriptor table beyond the end of RAM */
    qtest_writew(s, d.common + 0x16, 0);
    qtest_writeq(s, d.common + 0x20, 0x7ffff000ULL << 12);
    driver_ok(&d);
    qvirtqueue_make_avail(&vq, 0);
    check_broken_then_recovers(s, &d, &vq);
    qtest_quit(s);
}

static void test_bad_descriptor_loop(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;

    ready_device(s, &d, &vq);
    qvirtqueue_desc(&vq, 0, BUF_RAM, 8, QVRING_DESC_F_WRITE |
                    QVRING_DESC_F_NEXT, 1);
    qvirtqueue_desc(&vq, 1, BUF_RAM, 8, QVRING_DESC_F_WRITE |
                    QVRING_DESC_F_NEXT, 0);
    qvirtqueue_make_avail(&vq, 0);
    check_broken_then_recovers(s, &d, &vq);
    qtest_quit(s);
}

static void test_bad_indirect_loop(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;
    uint64_t table;

    ready_device(s, &d, &vq);
    table = qvirtio_alloc(&d, 2 * 16, 16);
    for (int i = 0; i < 2; i++) {
        qtest_writeq(s, table + 16 * i, BUF_RAM);
        qtest_writel(s, table + 16 * i + 8, 8);
        qtest_writew(s, table + 16 * i + 12,
                     QVRING_DESC_F_WRITE | QVRING_DESC_F_NEXT);
        qtest_writew(s, table + 16 * i + 14, !i);
    }
    qvirtqueue_desc(&vq, 0, table, 32, QVRING_DESC_F_INDIRECT, 0);
    qvirtqueue_make_avail(&vq, 0);
    check_broken_then_recovers(s, &d, &vq);
    qtest_quit(s);
}

/* A huge buffer that runs off the end of RAM. */
static void test_bad_huge_buffer(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;

    ready_device(s, &d, &vq);
    qvirtqueue_desc(&vq, 0, BUF_RAM, 0xffffffff, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&vq, 0);
    check_broken_then_recovers(s, &d, &vq);
    qtest_quit(s);
}

/* The avail index jumping more than the queue size, and a head out of
 * range, are both the driver's bugs. */
static void test_bad_avail(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;

    ready_device(s, &d, &vq);
    qtest_writew(s, vq.avail + 2, 100);
    check_broken_then_recovers(s, &d, &vq);
    qtest_quit(s);

    s = start_rng();
    ready_device(s, &d, &vq);
    qvirtqueue_make_avail(&vq, 200);
    check_broken_then_recovers(s, &d, &vq);
    qtest_quit(s);
}

/* A zero-length request gets nothing written and does not break. */
static void test_zero_length(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;
    uint32_t id, len;

    ready_device(s, &d, &vq);
    qvirtqueue_desc(&vq, 0, BUF_RAM, 0, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&vq, 0);
    qvirtqueue_kick(&vq);
    g_assert_true(qvirtqueue_wait_used(&vq, WAIT_MS, &id, &len));
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmpuint(qvirtio_get_status(&d) & QVIRTIO_S_NEEDS_RESET, ==, 0);
    qtest_quit(s);
}

/*
 * A buffer bigger than the device fills at once (4 KiB) gets a part of
 * it, the used length saying how much (5.4.6.1); the rest is untouched.
 */
static void test_rng_fill_bounded(void)
{
    QTestState *s = start_rng();
    QVirtioDev d;
    QVirtQueue vq;
    uint32_t id, len;
    g_autofree uint8_t *b = g_malloc(16384);

    ready_device(s, &d, &vq);
    qtest_memset(s, BUF_RAM, 0, 16384);
    qvirtqueue_desc(&vq, 0, BUF_RAM, 16384, QVRING_DESC_F_WRITE, 0);
    qvirtqueue_make_avail(&vq, 0);
    qvirtqueue_kick(&vq);
    g_assert_true(qvirtqueue_wait_used(&vq, WAIT_MS, &id, &len));
    g_assert_cmpuint(len, ==, 4096);
    qtest_memread(s, BUF_RAM, b, 16384);
    g_assert_false(all_zero(b + 4096 - 64, 64));
    g_assert_true(all_zero(b + 4096, 16384 - 4096));
    g_assert_cmpuint(qvirtio_get_status(&d) & QVIRTIO_S_NEEDS_RESET, ==, 0);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-pci/enumeration", test_enumeration);
    g_test_add_func("/virtio-pci/auto-slot", test_auto_slot);
    g_test_add_func("/virtio-pci/bar-sizing", test_bar_sizing);
    g_test_add_func("/virtio-pci/bar-decode", test_bar_decode);
    g_test_add_func("/virtio-pci/msix-table", test_msix_table);
    g_test_add_func("/virtio-pci/msix-pending", test_msix_pending);
    g_test_add_func("/virtio-pci/features", test_feature_negotiation);
    g_test_add_func("/virtio-pci/round-trip-msix", test_round_trip_msix);
    g_test_add_func("/virtio-pci/indirect", test_indirect);
    g_test_add_func("/virtio-pci/event-idx", test_event_idx);
    g_test_add_func("/virtio-pci/intx", test_intx);
    g_test_add_func("/virtio-pci/zero-length", test_zero_length);
    g_test_add_func("/virtio-pci/rng-fill-bounded", test_rng_fill_bounded);
    g_test_add_func("/virtio-pci/bad/buffer-outside-ram",
                    test_bad_buffer_outside_ram);
    g_test_add_func("/virtio-pci/bad/ring-outside-ram",
                    test_bad_ring_outside_ram);
    g_test_add_func("/virtio-pci/bad/descriptor-loop", test_bad_descriptor_loop);
    g_test_add_func("/virtio-pci/bad/indirect-loop", test_bad_indirect_loop);
    g_test_add_func("/virtio-pci/bad/huge-buffer", test_bad_huge_buffer);
    g_test_add_func("/virtio-pci/bad/avail", test_bad_avail);
    g_test_add_func("/virtio-pci/bad/repeated-break-logged",
                    test_bad_repeated_break_logged);
    return g_test_run();
}
