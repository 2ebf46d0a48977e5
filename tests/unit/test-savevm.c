/*
 * The migration stream (migration/savevm.c): round trip of registered
 * sections, and refusal of every damaged stream before any loader applies
 * anything: each single-byte change, each truncation, unknown and
 * missing sections, newer versions, a loader's own check.
 */
#include "migration/savevm.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "qemu/error-report.h"
#include "qemu/option.h"

#include <stdio.h>
#include <string.h>

typedef struct Dev {
    uint32_t a;
    uint64_t b;
    int applied;            /* loads with apply=true */
    bool refuse;            /* the loader's own check fails */
} Dev;

static void dev_save(void *opaque, GByteArray *out)
{
    Dev *d = opaque;
    vms_put_u32(out, d->a);
    vms_put_u64(out, d->b);
}

static bool dev_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    Dev *d = opaque;
    uint32_t a = vms_get_u32(in);
    uint64_t b = vms_get_u64(in);

    if (!vms_load_done(in, "dev", errp)) {
        return false;
    }
    if (d->refuse) {
        error_setg(errp, "refused by the device");
        return false;
    }
    if (apply) {
        d->a = a;
        d->b = b;
        d->applied++;
    }
    return true;
}

static GBytes *save(MachineState *ms)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    g_autoptr(GError) err = NULL;

    g_assert_true(qemu_savevm_write(ms, f, &err));
    g_assert_no_error(err);
    fclose(f);
    return g_bytes_new_take(buf, len);
}

static MachineState *machine(Dev *d, unsigned n)
{
    MachineState *ms = g_new0(MachineState, 1);

    for (unsigned i = 0; i < n; i++) {
        vmstate_register(ms, "dev", i, 2, dev_save, dev_load, &d[i]);
    }
    return ms;
}

static void machine_free(MachineState *ms)
{
    g_array_unref(ms->vmstate);
    g_free(ms);
}

static void test_round_trip(void)
{
    Dev src[2] = { { 1, 0x1122334455667788ull }, { 2, 3 } };
    Dev dst[2] = { 0 };
    MachineState *a = machine(src, 2), *b = machine(dst, 2);
    g_autoptr(GBytes) s = save(a);
    g_autoptr(GError) err = NULL;
    gsize len;
    const uint8_t *p = g_bytes_get_data(s, &len);

    g_assert_cmpmem(p, 8, QKVM_SAVE_MAGIC, 8);
    g_assert_true(qemu_loadvm(b, p, len, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(dst[0].a, ==, 1);
    g_assert_cmphex(dst[0].b, ==, 0x1122334455667788ull);
    g_assert_cmpuint(dst[1].a, ==, 2);
    g_assert_cmpint(dst[0].applied + dst[1].applied, ==, 2);
    machine_free(a);
    machine_free(b);
}

/* Every byte changed, every length cut: refused, nothing applied. */
static void test_damage_refused(void)
{
    Dev src[2] = { { 1, 2 }, { 3, 4 } };
    Dev dst[2] = { 0 };
    MachineState *a = machine(src, 2), *b = machine(dst, 2);
    g_autoptr(GBytes) s = save(a);
    gsize len;
    const uint8_t *p = g_bytes_get_data(s, &len);
    g_autofree uint8_t *copy = g_memdup2(p, len);

    for (gsize i = 0; i < len; i++) {
        g_autoptr(GError) err = NULL;

        copy[i] ^= 0x01;
        g_assert_false(qemu_loadvm(b, copy, len, &err));
        g_assert_nonnull(err);
        copy[i] ^= 0x01;
    }
    for (gsize cut = 0; cut < len; cut++) {
        g_autoptr(GError) err = NULL;

        g_assert_false(qemu_loadvm(b, p, cut, &err));
        g_assert_nonnull(err);
    }
    g_assert_cmpint(dst[0].applied + dst[1].applied, ==, 0);
    machine_free(a);
    machine_free(b);
}

static void expect_refused(MachineState *ms, GBytes *s, const char *msg)
{
    g_autoptr(GError) err = NULL;
    gsize len;
    const uint8_t *p = g_bytes_get_data(s, &len);

    g_assert_false(qemu_loadvm(ms, p, len, &err));
    g_assert_cmpstr(err->message, ==, msg);
}

static void test_mismatch_refused(void)
{
    Dev src[2] = { { 1, 2 }, { 3, 4 } };
    Dev dst[3] = { 0 };
    MachineState *two = machine(src, 2);
    MachineState *one = machine(dst, 1), *three = machine(dst, 3);
    MachineState *old = g_new0(MachineState, 1);
    g_autoptr(GBytes) s = save(two);

    expect_refused(one, s, "unknown section 'dev' instance 1 in the "
                   "migration stream: it was saved from a different "
                   "machine configuration");
    expect_refused(three, s, "migration stream has no section 'dev' "
                   "instance 2: it was saved from a different machine "
                   "configuration");
    vmstate_register(old, "dev", 0, 1, dev_save, dev_load, &dst[0]);
    vmstate_register(old, "dev", 1, 1, dev_save, dev_load, &dst[1]);
    expect_refused(old, s, "section 'dev' instance 0 has version 2, newer "
                   "than this qkvm's 1");
    /* the second loader's check fails: the first must not have applied */
    dst[1].refuse = true;
    {
        MachineState *b = machine(dst, 2);
        expect_refused(b, s, "section 'dev' instance 1: refused by the "
                       "device");
        machine_free(b);
    }
    g_assert_cmpint(dst[0].applied + dst[1].applied + dst[2].applied, ==, 0);
    machine_free(two);
    machine_free(one);
    machine_free(three);
    machine_free(old);
}

static bool fake_create(MachineState *ms, QemuOpts *opts, GError **errp)
{
    return true;
}

static const DeviceInfo fake_unmigratable = {
    .name = "fake-unmigratable", .bus = "isa", .desc = "test",
    .create = fake_create,
};
static const DeviceInfo fake_migratable = {
    .name = "fake-migratable", .bus = "isa", .desc = "test",
    .create = fake_create, .migratable = true,
};

/* A -device model that does not say it is migratable blocks migrate. */
static void test_blocker(void)
{
    MachineState *ms = g_new0(MachineState, 1);
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) ok = qemu_opts_parse("fake-migratable", "driver",
                                             &err);
    g_autoptr(QemuOpts) bad = qemu_opts_parse("fake-unmigratable,id=d1",
                                              "driver", &err);

    device_register(&fake_unmigratable);
    device_register(&fake_migratable);
    g_assert_true(qdev_device_add(ms, ok, &err));
    g_assert_null(ms->migration_blockers);
    g_assert_true(qdev_device_add(ms, bad, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(ms->migration_blockers->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(ms->migration_blockers, 0), ==,
                    "device 'fake-unmigratable' (id 'd1') does not support "
                    "migration");
    g_ptr_array_unref(ms->migration_blockers);
    for (guint i = 0; i < ms->peripherals->len; i++) {
        MachinePeripheral *p = g_ptr_array_index(ms->peripherals, i);
        g_free(p->id);
        g_free(p);
    }
    g_ptr_array_unref(ms->peripherals);
    g_free(ms);
}

static void test_crc32(void)
{
    /* the standard check value of CRC-32/ISO-HDLC */
    g_assert_cmphex(vms_crc32(0, "123456789", 9), ==, 0xcbf43926);
    g_assert_cmphex(vms_crc32(vms_crc32(0, "1234", 4), "56789", 5), ==,
                    0xcbf43926);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/savevm/round-trip", test_round_trip);
    g_test_add_func("/savevm/damage-refused", test_damage_refused);
    g_test_add_func("/savevm/mismatch-refused", test_mismatch_refused);
    g_test_add_func("/savevm/crc32", test_crc32);
    g_test_add_func("/savevm/blocker", test_blocker);
    return g_test_run();
}
