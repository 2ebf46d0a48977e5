/*
 * Migration to and from a stream (include/migration/migration.h): the
 * URIs, the clock and RAM sections, query-migrate's state and the
 * MIGRATION event.  Migration here is not live: the source stops, writes
 * everything and stays paused (QEMU's "postmigrate"); the destination
 * reads everything, checks it, then loads it.
 */
#include "migration/migration.h"
#include "migration/savevm.h"
#include "hw/boards.h"
#include "monitor/monitor.h"
#include "qemu/error-report.h"
#include "qemu/timer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_SIZE 4096

static const char *status = "none";
static char *last_error;

const char *migration_status(void)
{
    return status;
}

const char *migration_error(void)
{
    return last_error;
}

/* QMP's MIGRATION event and query-migrate follow these. */
static void set_status(const char *s, const GError *err)
{
    g_autoptr(JsonObject) data = json_object_new();

    status = s;
    g_clear_pointer(&last_error, g_free);
    if (err) {
        last_error = g_strdup(err->message);
    }
    json_object_set_string_member(data, "status", s);
    qapi_event_send("MIGRATION", g_steal_pointer(&data));
}

/* ---- the virtual clock -------------------------------------------------- */

static void clock_save(void *opaque, GByteArray *out)
{
    vms_put_u64(out, qemu_clock_get_ns());
}

static bool clock_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    int64_t ns = vms_get_u64(in);

    if (!vms_load_done(in, "clock", errp)) {
        return false;
    }
    if (ns < 0 || ns > QEMU_CLOCK_MAX_NS) {
        error_setg(errp, "virtual clock %" G_GINT64_FORMAT " out of range",
                   ns);
        return false;
    }
    if (apply) {
        qemu_clock_set_ns(ns);
    }
    return true;
}

/* ---- guest RAM: u64 size, then (u64 page, 4 KiB) for non-zero pages ---- */

static bool page_is_zero(const uint8_t *p)
{
    static const uint8_t zero[PAGE_SIZE];
    return !memcmp(p, zero, PAGE_SIZE);
}

/*
 * Pages [first, last) were zero when saved.  RAM is private anonymous
 * memory (hw/i386/pc.c), so MADV_DONTNEED makes it read as zero without
 * touching it; with locked memory (-overcommit mem-lock) that fails and
 * the pages that are not zero are cleared one by one.
 */
static void ram_zero(MachineState *ms, uint64_t first, uint64_t last)
{
    uint8_t *start = ms->ram + first * PAGE_SIZE;

    if (first >= last ||
        madvise(start, (last - first) * PAGE_SIZE, MADV_DONTNEED) == 0) {
        return;
    }
    for (uint64_t z = first; z < last; z++) {
        uint8_t *d = ms->ram + z * PAGE_SIZE;
        if (!page_is_zero(d)) {
            memset(d, 0, PAGE_SIZE);
        }
    }
}

static void ram_save(void *opaque, GByteArray *out)
{
    MachineState *ms = opaque;
    uint64_t pages = ms->ram ? ms->ram_size / PAGE_SIZE : 0;

    vms_put_u64(out, ms->ram ? ms->ram_size : 0);
    for (uint64_t i = 0; i < pages; i++) {
        const uint8_t *p = ms->ram + i * PAGE_SIZE;
        if (!page_is_zero(p)) {
            vms_put_u64(out, i);
            vms_put_bytes(out, p, PAGE_SIZE);
        }
    }
    vms_put_u64(out, UINT64_MAX);
}

static bool ram_load(void *opaque, VMLoad *in, bool apply, GError **errp)
{
    MachineState *ms = opaque;
    uint64_t size = vms_get_u64(in);
    uint64_t have = ms->ram ? ms->ram_size : 0;
    uint64_t pages = have / PAGE_SIZE, next = 0;

    if (!in->short_read && size != have) {
        error_setg(errp, "saved RAM is %" G_GUINT64_FORMAT " bytes, this "
                   "machine has %" G_GUINT64_FORMAT " (-m must match)",
                   size, have);
        return false;
    }
    for (;;) {
        uint64_t page = vms_get_u64(in);
        const uint8_t *src = in->data + in->pos;

        if (in->short_read || page == UINT64_MAX) {
            break;
        }
        if (page >= pages || page < next) {
            error_setg(errp, "RAM page %" G_GUINT64_FORMAT " out of range "
                       "or out of order", page);
            return false;
        }
        if (in->len - in->pos < PAGE_SIZE) {
            in->short_read = true;
            break;
        }
        in->pos += PAGE_SIZE;
        if (apply) {
            ram_zero(ms, next, page);
            memcpy(ms->ram + page * PAGE_SIZE, src, PAGE_SIZE);
        }
        next = page + 1;
    }
    if (!vms_load_done(in, "ram", errp)) {
        return false;
    }
    if (apply) {
        ram_zero(ms, next, pages);
    }
    return true;
}

void migration_init(MachineState *ms)
{
    vmstate_register(ms, "clock", 0, 1, clock_save, clock_load, ms);
    vmstate_register(ms, "ram", 0, 1, ram_save, ram_load, ms);
}

/* ---- URIs ------------------------------------------------------------------ */

bool migration_uri_valid(const char *uri, GError **errp)
{
    if ((g_str_has_prefix(uri, "file:") && uri[5]) ||
        (g_str_has_prefix(uri, "exec:") && uri[5])) {
        return true;
    }
    error_setg(errp, "unknown migration protocol: %s (qkvm has file:PATH "
               "and exec:CMD)", uri);
    return false;
}

static bool blocked(MachineState *ms, GError **errp)
{
    if (ms->migration_blockers && ms->migration_blockers->len) {
        error_setg(errp, "migration is blocked: %s",
                   (const char *)g_ptr_array_index(ms->migration_blockers, 0));
        return true;
    }
    return false;
}

bool migration_save(MachineState *ms, const char *uri, GError **errp)
{
    bool exec = g_str_has_prefix(uri, "exec:");
    bool was_running;
    FILE *f;
    bool ok;
    int r;

    if (!migration_uri_valid(uri, errp) || blocked(ms, errp)) {
        return false;
    }
    set_status("setup", NULL);
    f = exec ? popen(uri + 5, "w") : fopen(uri + 5, "wb");
    if (!f) {
        error_setg_errno(errp, errno, "cannot open '%s' for the migration "
                         "stream", uri + 5);
        set_status("failed", *errp);
        return false;
    }
    set_status("active", NULL);
    was_running = runstate_is_running(ms);
    if (was_running) {
        vm_stop(ms, RUN_STATE_FINISH_MIGRATE);
    } else {
        cpus_wait_stopped(ms);
    }
    ok = qemu_savevm_write(ms, f, errp);
    r = exec ? pclose(f) : fclose(f);
    if (ok && r != 0) {
        if (exec) {
            error_setg(errp, "migration command '%s' failed (status %d)",
                       uri + 5, r);
        } else {
            error_setg_errno(errp, errno, "cannot write '%s'", uri + 5);
        }
        ok = false;
    }
    set_status(ok ? "completed" : "failed", ok ? NULL : *errp);
    if (ok) {
        /* QEMU: a source that finished stays paused in "postmigrate" */
        __atomic_store_n(&ms->runstate, RUN_STATE_POSTMIGRATE,
                         __ATOMIC_RELEASE);
    } else if (was_running) {
        vm_start(ms);           /* QEMU: a failed migration goes on running */
    }
    return ok;
}

/* The whole stream in memory: a file is mapped, a command read to EOF. */
static GBytes *read_stream(const char *uri, GError **errp)
{
    if (g_str_has_prefix(uri, "exec:")) {
        FILE *f = popen(uri + 5, "r");
        g_autoptr(GByteArray) buf = g_byte_array_new();
        uint8_t chunk[65536];
        size_t n;
        int r;

        if (!f) {
            error_setg_errno(errp, errno, "cannot run '%s'", uri + 5);
            return NULL;
        }
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
            g_byte_array_append(buf, chunk, n);
        }
        r = pclose(f);
        if (r != 0) {
            error_setg(errp, "migration command '%s' failed (status %d)",
                       uri + 5, r);
            return NULL;
        }
        return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
    } else {
        g_autoptr(GError) local = NULL;
        g_autoptr(GMappedFile) map = g_mapped_file_new(uri + 5, FALSE, &local);

        if (!map) {
            error_setg(errp, "cannot open migration stream: %s",
                       local->message);
            return NULL;
        }
        return g_mapped_file_get_bytes(map);
    }
}

bool migration_load(MachineState *ms, const char *uri, GError **errp)
{
    g_autoptr(GBytes) bytes = NULL;
    gsize len;
    const uint8_t *data;
    bool ok;

    if (!migration_uri_valid(uri, errp)) {
        return false;
    }
    set_status("setup", NULL);
    bytes = read_stream(uri, errp);
    if (!bytes) {
        set_status("failed", *errp);
        return false;
    }
    set_status("active", NULL);
    data = g_bytes_get_data(bytes, &len);
    cpus_wait_stopped(ms);
    ok = qemu_loadvm(ms, data ? data : (const uint8_t *)"", len, errp);
    set_status(ok ? "completed" : "failed", ok ? NULL : *errp);
    return ok;
}

/* ---- the destination ------------------------------------------------------ */

static bool deferred;          /* -incoming defer: migrate-incoming awaited */
static bool autostart = true;  /* no -S: run once the state is in */

static bool incoming(MachineState *ms, const char *uri, GError **errp)
{
    if (!migration_load(ms, uri, errp)) {
        return false;
    }
    deferred = false;
    if (autostart) {
        vm_start(ms);
    } else {
        __atomic_store_n(&ms->runstate, RUN_STATE_PAUSED, __ATOMIC_RELEASE);
    }
    return true;
}

bool migration_incoming_start(MachineState *ms, const char *uri, bool start,
                              GError **errp)
{
    autostart = start;
    __atomic_store_n(&ms->runstate, RUN_STATE_INMIGRATE, __ATOMIC_RELEASE);
    if (!strcmp(uri, "defer")) {
        deferred = true;
        return true;
    }
    return incoming(ms, uri, errp);
}

bool migration_incoming_deferred(MachineState *ms, const char *uri,
                                 GError **errp)
{
    if (!deferred) {
        /* QEMU's wording */
        error_setg(errp, "'-incoming' was not specified on the command line");
        return false;
    }
    return incoming(ms, uri, errp);
}
