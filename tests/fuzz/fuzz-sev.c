/*
 * SEV: what a user (-object sev-guest,...) and a QMP client
 * (sev-inject-launch-secret) hand the VMM for an SEV guest, through the
 * real code of target/i386/sev/ and qom/object.c, with the simulated
 * firmware (x-sim-firmware=on; no SEV hardware is needed or touched).
 *
 * The input is up to six fields separated by NUL bytes:
 *   0  the sev-guest properties, a key=value list (policy, cbitpos,
 *      reduced-phys-bits, handle, kernel-hashes, legacy-vm-type, ...)
 *   1  the CONTENTS of dh-cert-file (a base64 file); no field: no file
 *   2  the contents of session-file (the same)
 *   3  sev-inject-launch-secret's packet-header (base64)
 *   4  its secret (base64)
 *   5  its gpa (a number); no field: the firmware's secret area
 * The object is created as -object does; its launch then runs as in
 * pc_init (sev_machine_init, RAM, firmware, kernel hashes,
 * sev_machine_done) on a bare machine: 64 KiB of RAM at 0 and a
 * firmware image with a footer table (SEV-ES reset block, hashes and
 * secret areas in that RAM).  Then query-sev / query-sev-launch-measure's
 * functions, the launch secret, LAUNCH_FINISH and a second secret (wrong
 * state).  The object is deleted after each input.
 *
 * Paths are the harness's: dh-cert-file and session-file name memfds
 * holding fields 1 and 2, and an input naming a file or a device itself
 * (dh-cert-file, session-file, x-sim-tik-file, sev-device) or turning
 * the simulated firmware off is skipped.
 */
#include "fuzz.h"
#include "hw/boards.h"
#include "qom/object.h"
#include "system/accel.h"
#include "target/i386/sev/sev.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_SIZE        0x10000
#define HASHES_BASE     0x1000      /* the firmware's areas, in that RAM */
#define SECRET_BASE     0x2000
#define SECRET_SIZE     0x1000
#define FW_SIZE         0x1000
#define RESET_ADDR      0xffff8004u

enum { F_PROPS, F_DH, F_SESSION, F_HEADER, F_SECRET, F_GPA, NR_FIELDS };

static uint8_t ram[RAM_SIZE];
static uint8_t fw[FW_SIZE];

/* Put an entry (data, u16 length, GUID) in front of *end; see ovmf.c. */
static void fw_entry(size_t *end, const char *guid, const void *data,
                     size_t len)
{
    SevGuid g;

    if (!sev_guid_parse(guid, &g)) {
        abort();
    }
    *end -= 16;
    memcpy(fw + *end, g.b, 16);
    *end -= 2;
    fw[*end] = len + 18;
    fw[*end + 1] = 0;
    *end -= len;
    memcpy(fw + *end, data, len);
}

/* OVMF's footer table, read backwards from 32 bytes before the end. */
static void make_fw(void)
{
    uint32_t reset = RESET_ADDR;
    uint32_t hashes[2] = { HASHES_BASE, SEV_PADDED_HASH_TABLE_SIZE };
    uint32_t secret[2] = { SECRET_BASE, SECRET_SIZE };
    size_t end = FW_SIZE - 32, foot;
    SevGuid g;

    memset(fw, 0xf4, sizeof(fw));
    if (!sev_guid_parse(OVMF_TABLE_FOOTER_GUID, &g)) {
        abort();
    }
    end -= 16;
    memcpy(fw + end, g.b, 16);
    end -= 2;
    foot = end;
    fw_entry(&end, SEV_ES_RESET_BLOCK_GUID, &reset, 4);
    fw_entry(&end, SEV_HASH_TABLE_RV_GUID, hashes, 8);
    fw_entry(&end, SEV_SECRET_GUID, secret, 8);
    fw[foot] = (FW_SIZE - 32 - end) & 0xff;     /* all entries + footer */
    fw[foot + 1] = (FW_SIZE - 32 - end) >> 8;
}

/* A memfd holding field f, as /proc/self/fd/N (the fd stays open). */
static char *file_of(int *fd, const char *data, size_t len)
{
    if (*fd < 0) {
        *fd = memfd_create("fuzz-sev", MFD_CLOEXEC);
        if (*fd < 0) {
            perror("fuzz: memfd_create");
            abort();
        }
    }
    if (ftruncate(*fd, 0) < 0 || pwrite(*fd, data, len, 0) != (ssize_t)len) {
        perror("fuzz: memfd");
        abort();
    }
    return g_strdup_printf("/proc/self/fd/%d", *fd);
}

static void launch(const char *fields[])
{
    static const char kernel[] = "a kernel", initrd[] = "an initrd";
    MachineState ms = {
        .accel = &kvm_accel_ops,    /* sev_machine_init wants KVM */
        .ram = ram, .ram_size = RAM_SIZE,
        .ram_ranges = { { .gpa = 0, .size = RAM_SIZE, .offset = 0 } },
        .nr_ram_ranges = 1,
    };
    g_autoptr(GError) err = NULL;
    SevGuest *sev;
    SevGuestInfo info;
    int64_t gpa = -1;

    if (!sev_machine_init(&ms, "sev0", &err) ||
        !sev_ram_added(&ms, ram, RAM_SIZE, &err) ||
        !sev_firmware_added(&ms, fw, FW_SIZE, &err) ||
        !sev_kernel_added(&ms, kernel, sizeof(kernel), initrd, sizeof(initrd),
                          "console=ttyS0", &err) ||
        !sev_machine_done(&ms, &err)) {
        goto out;
    }
    sev = sev_guest_of(&ms, &err);
    sev_guest_info(sev, &info);
    g_free(sev_guest_measurement(sev));
    if (fields[F_GPA]) {
        gpa = g_ascii_strtoll(fields[F_GPA], NULL, 0);
        if (gpa < 0) {
            goto out;   /* what the QMP handler refuses before SEV code */
        }
    }
    for (int i = 0; i < 2; i++) {
        if (!sev_inject_launch_secret(sev, fields[F_HEADER], fields[F_SECRET],
                                      gpa, &err)) {
            g_clear_error(&err);
        }
        /* LAUNCH_FINISH; the simulated guest cannot run after it */
        if (!i && !ms.cgs_start(&ms, &err)) {
            g_clear_error(&err);
        }
    }
out:
    if (ms.migration_blockers) {
        g_ptr_array_free(ms.migration_blockers, TRUE);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int dh_fd = -1, session_fd = -1;
    g_autofree char *copy = g_malloc(size + 1);
    const char *fields[NR_FIELDS] = { 0 };
    size_t lens[NR_FIELDS] = { 0 };
    g_autofree char *dh = NULL;
    g_autofree char *session = NULL;
    g_autofree char *arg = NULL;
    g_autoptr(QemuOpts) opts = NULL;
    g_autoptr(GError) err = NULL;
    const char *sim;
    char *p = copy;

    if (!fw[0]) {
        make_fw();
    }
    memcpy(copy, data, size);
    copy[size] = 0;
    for (int f = 0; f < NR_FIELDS && p <= copy + size; f++) {
        fields[f] = p;
        lens[f] = strlen(p);
        p += lens[f] + 1;
    }
    if (fields[F_DH]) {
        dh = file_of(&dh_fd, fields[F_DH], lens[F_DH]);
    }
    if (fields[F_SESSION]) {
        session = file_of(&session_fd, fields[F_SESSION], lens[F_SESSION]);
    }
    arg = g_strdup_printf("sev-guest,id=sev0,%s,x-sim-firmware=on%s%s%s%s",
                          fields[F_PROPS], dh ? ",dh-cert-file=" : "",
                          dh ? dh : "", session ? ",session-file=" : "",
                          session ? session : "");
    opts = qemu_opts_parse_arg(arg, "qom-type", &err);
    if (!opts) {
        return 0;
    }
    sim = qemu_opt_get(opts, "x-sim-firmware");
    if (g_strcmp0(qemu_opt_get(opts, "qom-type"), "sev-guest") ||
        g_strcmp0(qemu_opt_get(opts, "id"), "sev0") ||
        !sim || strcmp(sim, "on") ||
        g_strcmp0(qemu_opt_get(opts, "dh-cert-file"), dh) ||
        g_strcmp0(qemu_opt_get(opts, "session-file"), session) ||
        qemu_opt_has(opts, "x-sim-tik-file") ||
        qemu_opt_has(opts, "sev-device")) {
        return 0;       /* a path, the real firmware, another object */
    }
    if (user_object_create(opts, &err)) {
        launch(fields);
        user_object_delete("sev0");
    }
    return 0;
}
