/*
 * The I/O bus: registration, overlap rejection, lookup, access sizes,
 * unclaimed accesses.
 */
#include "system/iobus.h"
#include "qemu/error-report.h"

#include <string.h>

typedef struct Dev {
    uint64_t last_off, last_val;
    unsigned last_size;
    int writes;
} Dev;

static uint64_t dev_read(void *opaque, uint64_t off, unsigned size)
{
    return 0x1000 + off;
}

static void dev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Dev *d = opaque;
    d->last_off = off;
    d->last_val = val;
    d->last_size = size;
    d->writes++;
}

static const IOBusOps ops_any = { dev_read, dev_write, 0, 0 };
static const IOBusOps ops_byte = { dev_read, dev_write, 1, 1 };

static void test_dispatch(void)
{
    IOBus bus;
    Dev a = { 0 }, b = { 0 };
    g_autoptr(GError) err = NULL;
    uint32_t data;

    iobus_init(&bus, "io");
    g_assert_true(iobus_register(&bus, 0x3f8, 8, &ops_byte, &a, "a", &err));
    g_assert_true(iobus_register(&bus, 0x70, 2, &ops_any, &b, "b", &err));
    g_assert_cmpuint(bus.nr, ==, 2);
    g_assert_true(bus.regions[0].base < bus.regions[1].base);

    data = 0x41;
    g_assert_true(iobus_dispatch(&bus, 0x3fd, &data, 1, true));
    g_assert_cmpuint(a.last_off, ==, 5);
    g_assert_cmpuint(a.last_val, ==, 0x41);

    data = 0;
    g_assert_true(iobus_dispatch(&bus, 0x71, &data, 1, false));
    g_assert_cmpuint(data, ==, 0x01);     /* the low byte of 0x1001 */
    iobus_destroy(&bus);
}

static void test_overlap_rejected(void)
{
    IOBus bus;
    Dev a = { 0 };
    g_autoptr(GError) err = NULL;

    iobus_init(&bus, "io");
    g_assert_true(iobus_register(&bus, 0x100, 0x10, &ops_any, &a, "first", &err));
    g_assert_false(iobus_register(&bus, 0x10f, 1, &ops_any, &a, "second", &err));
    g_assert_nonnull(strstr(err->message, "overlaps first"));
    g_clear_error(&err);
    g_assert_false(iobus_register(&bus, 0xf8, 0x10, &ops_any, &a, "third", &err));
    g_clear_error(&err);
    g_assert_false(iobus_register(&bus, 0x50, 0, &ops_any, &a, "empty", &err));
    g_clear_error(&err);
    g_assert_true(iobus_register(&bus, 0x110, 1, &ops_any, &a, "adjacent", &err));
    iobus_destroy(&bus);
}

static void test_unclaimed_and_bad_size(void)
{
    IOBus bus;
    Dev a = { 0 };
    g_autoptr(GError) err = NULL;
    uint64_t data = 0;

    iobus_init(&bus, "io");
    g_assert_true(iobus_register(&bus, 0x60, 1, &ops_byte, &a, "kbd", &err));
    /* unclaimed read: all ones of the access size */
    g_assert_false(iobus_dispatch(&bus, 0x1234, &data, 2, false));
    g_assert_cmphex(data, ==, 0xffff);
    /* wrong size to a byte-only device: not forwarded */
    data = 7;
    g_assert_false(iobus_dispatch(&bus, 0x60, &data, 4, true));
    g_assert_cmpint(a.writes, ==, 0);
    /* an access running past the end of the region is not forwarded */
    g_assert_false(iobus_dispatch(&bus, 0x60, &data, 2, true));
    g_assert_cmpint(a.writes, ==, 0);
    iobus_destroy(&bus);
}

static void test_many_regions_lookup(void)
{
    IOBus bus;
    Dev d = { 0 };
    g_autoptr(GError) err = NULL;

    iobus_init(&bus, "memory");
    /* registered out of order: the bus keeps them sorted */
    for (int i = 99; i >= 0; i--) {
        g_assert_true(iobus_register(&bus, 0x10000 + i * 0x1000, 0x800,
                                     &ops_any, &d, "r", &err));
    }
    for (int i = 0; i < 100; i++) {
        const IORegion *r = iobus_find(&bus, 0x10000 + i * 0x1000 + 0x7ff);
        g_assert_nonnull(r);
        g_assert_cmphex(r->base, ==, 0x10000 + i * 0x1000);
        g_assert_null(iobus_find(&bus, 0x10000 + i * 0x1000 + 0x800));
    }
    iobus_destroy(&bus);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/iobus/dispatch", test_dispatch);
    g_test_add_func("/iobus/overlap", test_overlap_rejected);
    g_test_add_func("/iobus/unclaimed-bad-size", test_unclaimed_and_bad_size);
    g_test_add_func("/iobus/many-regions", test_many_regions_lookup);
    return g_test_run();
}
