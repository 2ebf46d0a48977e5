/*
 * See fuzz-machine.h.  The steps are those of system/vl.c's main() for
 * "-accel qtest -nodefaults -m 32M (fuzz_machine_ram_size) -serial null
 *  -device virtio-rng-pci,addr=4
 *  -drive file=MEMFD,format=raw,if=none,id=d0
 *  -device virtio-blk-pci,drive=d0,addr=5" (vl.c itself is not linked:
 * it owns main()).
 */
#include "fuzz-machine.h"
#include "system/qtest.h"
#include "block/block.h"
#include "hw/pci/pci.h"
#include "hw/qdev.h"
#include "migration/migration.h"
#include "qemu/option.h"
#include "system/accel.h"
#include "system/drive.h"
#include "system/iobus.h"
#include "system/runstate.h"
#include "system/target-info.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

static MachineState *machine;
uint64_t fuzz_machine_ram_size = 32u << 20;

/* One -drive or -device argument, as vl.c's create_from_args does it. */
static bool add_arg(MachineState *ms, const char *arg, const char *implied,
                    bool (*create)(MachineState *, QemuOpts *, GError **),
                    GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse_arg(arg, implied, errp);

    return opts && create(ms, opts, errp);
}

/*
 * The virtio devices on PCI (pc), the disk a 64 KiB raw image in a memfd,
 * opened by its /proc/self/fd path and closed at once (the block node
 * keeps its own descriptor; guest writes go nowhere else).  Memory, not a
 * file on disk: a flush request is an fdatasync, which on the disk took
 * 3 to 70 ms, most of a fuzzing run's time.
 */
static bool add_devices(MachineState *ms, GError **errp)
{
    g_autofree char *drive = NULL;
    int fd;
    bool ok;

    if (!machine_pci_bus(ms)) {
        return true;        /* riscv64 virt: no PCI bus here */
    }
    fd = memfd_create("qkvm-fuzz-disk", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, 64 * 1024) < 0) {
        g_set_error(errp, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "disk image memfd: %s", g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    drive = g_strdup_printf("file=/proc/self/fd/%d,format=raw,if=none,id=d0",
                            fd);
    ok = add_arg(ms, "virtio-rng-pci,addr=4", "driver", qdev_device_add,
                 errp) &&
         add_arg(ms, drive, NULL, drive_create, errp) &&
         add_arg(ms, "virtio-blk-pci,drive=d0,addr=5", "driver",
                 qdev_device_add, errp);
    close(fd);
    return ok;
}

MachineState *fuzz_machine(void)
{
    g_autoptr(GError) err = NULL;
    MachineState *ms;

    if (machine) {
        return machine;
    }
    ms = g_new0(MachineState, 1);
    ms->mc = machine_default();
    ms->ram_size = fuzz_machine_ram_size;
    ms->cpu_model = g_strdup(target_info.default_cpu_model);
    ms->smp_cpus = ms->sockets = ms->cores = ms->threads = 1;
    g_mutex_init(&ms->lock);
    g_cond_init(&ms->cond);
    ms->runstate = RUN_STATE_PRELAUNCH;
    ms->wakeup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ms->accel = accel_find("qtest");
    migration_init(ms);     /* the clock and RAM sections come first */
    if (ms->wakeup_fd < 0 || !ms->accel || !ms->accel->init(ms, &err)) {
        goto fail;
    }
    iobus_init(&ms->io, "io");
    iobus_init(&ms->mmio, "memory");
    /* -serial null: the machine's first UART (virt has none without it) */
    ms->serial_hds[0] = fuzz_chardev("serial0");
    if (!ms->mc->init(ms, &err) || !add_devices(ms, &err) ||
        !cpus_start(ms, &err)) {
        goto fail;
    }
    machine = ms;
    return ms;
fail:
    fprintf(stderr, "fuzz: cannot create the pc machine: %s\n",
            err ? err->message : "no qtest accelerator");
    abort();
}

Chardev *fuzz_chardev(const char *label)
{
    g_autoptr(GError) err = NULL;
    Chardev *chr = qemu_chr_new(label, "null", &err);

    if (!chr) {
        fprintf(stderr, "fuzz: chardev %s: %s\n", label, err->message);
        abort();
    }
    return chr;
}

Chardev *fuzz_qtest_server(MachineState *ms)
{
    g_autoptr(GError) err = NULL;

    if (!qtest_server_init(ms, "null", "none", &err)) {
        fprintf(stderr, "fuzz: qtest: %s\n", err->message);
        abort();
    }
    return qemu_chr_find("qtest");
}

void fuzz_chardev_feed(Chardev *chr, const uint8_t *buf, size_t len)
{
    while (len && chr->read) {
        size_t n = chr->can_read ? chr->can_read(chr->opaque) : len;
        if (n == 0) {
            break;      /* the frontend takes no more: drop the rest */
        }
        n = MIN(n, len);
        chr->read(chr->opaque, buf, n);
        buf += n;
        len -= n;
    }
}

void fuzz_machine_settle(MachineState *ms)
{
    uint64_t cnt;

    block_drain_all();  /* no request of this input completes in the next */
    qemu_devices_reset(ms);
    g_mutex_lock(&ms->lock);
    ms->reset_request = SHUTDOWN_CAUSE_NONE;
    ms->shutdown_request = SHUTDOWN_CAUSE_NONE;
    ms->exit_request = false;
    g_mutex_unlock(&ms->lock);
    if (read(ms->wakeup_fd, &cnt, sizeof(cnt)) < 0) {
        /* nothing was pending */
    }
}
