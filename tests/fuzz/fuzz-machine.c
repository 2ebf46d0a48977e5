/*
 * See fuzz-machine.h.  The steps are those of system/vl.c's main() for
 * "-accel qtest -nodefaults -m 32M" (vl.c itself is not linked: it owns
 * main()).
 */
#include "fuzz-machine.h"
#include "system/accel.h"
#include "system/iobus.h"
#include "system/runstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

static MachineState *machine;

MachineState *fuzz_machine(void)
{
    g_autoptr(GError) err = NULL;
    MachineState *ms;

    if (machine) {
        return machine;
    }
    ms = g_new0(MachineState, 1);
    ms->mc = machine_default();
    ms->ram_size = 32u << 20;
    ms->cpu_model = g_strdup("qemu64");
    ms->smp_cpus = ms->sockets = ms->cores = ms->threads = 1;
    g_mutex_init(&ms->lock);
    g_cond_init(&ms->cond);
    ms->runstate = RUN_STATE_PRELAUNCH;
    ms->wakeup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ms->accel = accel_find("qtest");
    if (ms->wakeup_fd < 0 || !ms->accel || !ms->accel->init(ms, &err)) {
        goto fail;
    }
    iobus_init(&ms->io, "io");
    iobus_init(&ms->mmio, "memory");
    if (!ms->mc->init(ms, &err) || !cpus_start(ms, &err)) {
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
