/*
 * qkvm-system-*: command line, machine creation, main loop.
 *
 * Every option is one row of qemu_options[]: its name, whether it takes
 * an argument, the help text, and the handler that records it in the
 * configuration.  -help prints the same table.  Option arguments with
 * key=value lists go through the one QemuOpts parser.
 */
#include "hw/boards.h"
#include "hw/qdev.h"
#include "block/block.h"
#include "net/net.h"
#include "chardev/char.h"
#include "system/accel.h"
#include "system/seccomp.h"
#include "system/drive.h"
#include "system/kvm.h"
#include "system/qtest.h"
#include "monitor/monitor.h"
#include "qom/object.h"
#include "qemu/osdep.h"
#include "qemu/timer.h"
#include "migration/migration.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/option.h"
#include "system/target-info.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_RAM_SIZE (128ULL << 20)
#define MAX_SERIAL 4

typedef struct VLConfig {
    const char *machine_type;
    const char *accel;
    uint64_t ram_size;
    const char *smp;
    const char *cpu_model;
    const char *kernel, *initrd, *append;
    const char *bios;
    const char *serial[MAX_SERIAL];
    int nr_serial;
    GPtrArray *chardevs;     /* -chardev arguments, parsed at creation */
    GPtrArray *devices;      /* -device arguments, parsed at creation */
    GPtrArray *blockdevs;    /* -blockdev arguments */
    GPtrArray *drives;       /* -drive arguments */
    GPtrArray *netdevs;      /* -netdev arguments */
    bool nographic, nodefaults, start_paused, daemonize;
    bool no_reboot, no_shutdown;
    const char *pidfile;
    const char *name;
    const char *log_items, *log_file;
    const char *qtest, *qtest_log;
    GPtrArray *monitors;     /* -qmp specs and -mon arguments, in order */
    GPtrArray *objects;      /* -object arguments */
    const char *uuid;
    const char *rtc_base;
    const char *memory_backend;
    const char *cgs;         /* -machine confidential-guest-support */
    const char *dumpdtb;
    char *pflash[2];         /* -machine pflash0=NODE,pflash1=NODE */
    bool ram_size_given;
    bool mem_lock;
    bool mem_prealloc;
    SandboxConfig sandbox;
    const char *incoming;    /* -incoming file:PATH, exec:CMD or defer */
} VLConfig;

typedef struct QEMUOption {
    const char *name;
    const char *arg;         /* NULL: no argument; else its name in -help */
    const char *help;
    bool (*handler)(VLConfig *cfg, const char *arg, GError **errp);
} QEMUOption;

/* ---- option handlers ---------------------------------------------------- */

static void print_version(void)
{
    /* tools (libvirt) parse "QEMU emulator version X.Y.Z" */
    printf("QEMU emulator version %d.%d.%d (qkvm %s)\n"
           "Copyright (c) the qkvm developers\n",
           QEMU_VERSION_MAJOR, QEMU_VERSION_MINOR, QEMU_VERSION_MICRO,
           QKVM_VERSION);
}

static void print_help(void);

static bool opt_string(const char **dst, const char *arg)
{
    *dst = arg;
    return true;
}

static bool opt_help(VLConfig *cfg, const char *arg, GError **errp)
{
    print_help();
    exit(0);
}

static bool opt_version(VLConfig *cfg, const char *arg, GError **errp)
{
    print_version();
    exit(0);
}

static bool opt_machine(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, "type", errp);
    const char *type, *accel;

    if (!opts) {
        return false;
    }
    type = qemu_opt_get(opts, "type");
    if (type && strcmp(type, "help") == 0) {
        machine_list(stdout);
        exit(0);
    }
    if (type) {
        cfg->machine_type = g_strdup(type);
    }
    accel = qemu_opt_get(opts, "accel");
    if (accel) {
        cfg->accel = g_strdup(accel);
    }
    /*
     * Accepted without effect, as libvirt emits them: there is no USB and
     * guest RAM is never in core dumps; memory-backend names the
     * -object memory-backend-ram that sizes RAM like -m.
     */
    qemu_opt_get(opts, "usb");
    qemu_opt_get(opts, "dump-guest-core");
    if (qemu_opt_has(opts, "confidential-guest-support")) {
        cfg->cgs = g_strdup(qemu_opt_get(opts, "confidential-guest-support"));
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(cfg->pflash); i++) {
        g_autofree char *name = g_strdup_printf("pflash%u", i);
        if (qemu_opt_has(opts, name)) {
            g_free(cfg->pflash[i]);
            cfg->pflash[i] = g_strdup(qemu_opt_get(opts, name));
        }
    }
    if (qemu_opt_has(opts, "dumpdtb")) {
        cfg->dumpdtb = g_strdup(qemu_opt_get(opts, "dumpdtb"));
    }
    if (qemu_opt_has(opts, "memory-backend")) {
        cfg->memory_backend = g_strdup(qemu_opt_get(opts, "memory-backend"));
    }
    for (size_t i = 0; i < opts->nr; i++) {
        if (!opts->opts[i].used) {
            const MachineClass *mc = cfg->machine_type ?
                                     machine_find(cfg->machine_type) :
                                     machine_default();
            error_setg(errp, "Property '%s-machine.%s' not found",
                       mc ? mc->name : cfg->machine_type, opts->opts[i].name);
            return false;
        }
    }
    return true;
}

static bool opt_accel(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, "accel", errp);
    const char *accel;

    if (!opts) {
        return false;
    }
    accel = qemu_opt_get(opts, "accel");
    if (accel && strcmp(accel, "help") == 0) {
        printf("Accelerators supported in QEMU binary:\nkvm\nqtest\n");
        exit(0);
    }
    if (!accel || !accel_find(accel)) {
        error_setg(errp, "invalid accelerator %s", accel ? accel : "");
        return false;
    }
    cfg->accel = g_strdup(accel);
    return qemu_opts_check_unused(opts, errp);
}

static bool opt_enable_kvm(VLConfig *cfg, const char *arg, GError **errp)
{
    cfg->accel = "kvm";
    return true;
}

static bool opt_qtest(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->qtest, arg);
}

static bool opt_qtest_log(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->qtest_log, arg);
}

static bool opt_m(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, "size", errp);
    const char *size;
    uint64_t sz;

    if (!opts) {
        return false;
    }
    size = qemu_opt_get(opts, "size");
    if (!size || qemu_strtosz(size, 'M', &sz) < 0) {
        error_setg(errp, "Parameter 'size' expects a non-negative number "
                   "below 2^64\nOptional suffix k, M, G, T, P or E means "
                   "kilo-, mega-, giga-, tera-, peta-\nand exabytes, "
                   "respectively.");
        return false;
    }
    if (!qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    /* QEMU: -m 0 means the default */
    cfg->ram_size = sz ? (sz + 8191) & ~8191ULL : DEFAULT_RAM_SIZE;
    cfg->ram_size_given = true;
    return true;
}

static bool opt_smp(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->smp, arg);
}

static bool opt_cpu(VLConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "help") == 0 || strcmp(arg, "?") == 0) {
        target_info.cpu_list(stdout);
        exit(0);
    }
    return opt_string(&cfg->cpu_model, arg);
}

static bool opt_kernel(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->kernel, arg);
}

static bool opt_initrd(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->initrd, arg);
}

static bool opt_bios(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->bios, arg);
}


static bool opt_append(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->append, arg);
}

static bool opt_serial(VLConfig *cfg, const char *arg, GError **errp)
{
    if (cfg->nr_serial == MAX_SERIAL) {
        error_setg(errp, "too many serial ports");
        return false;
    }
    cfg->serial[cfg->nr_serial++] = arg;
    return true;
}

static bool opt_chardev(VLConfig *cfg, const char *arg, GError **errp)
{
    g_ptr_array_add(cfg->chardevs, (gpointer)arg);
    return true;
}

static bool opt_blockdev(VLConfig *cfg, const char *arg, GError **errp)
{
    g_ptr_array_add(cfg->blockdevs, (gpointer)arg);
    return true;
}

/* -drive: the if= row (system/drive.c) takes it now; block devices are
 * created once the machine exists */
static bool opt_drive(VLConfig *cfg, const char *arg, GError **errp)
{
    bool later;

    if (!drive_add(arg, &later, errp)) {
        return false;
    }
    if (later) {
        g_ptr_array_add(cfg->drives, (gpointer)arg);
    }
    return true;
}

static bool opt_netdev(VLConfig *cfg, const char *arg, GError **errp)
{
    g_ptr_array_add(cfg->netdevs, (gpointer)arg);
    return true;
}

static bool opt_device(VLConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "help") == 0 || strcmp(arg, "?") == 0) {
        device_list(stdout);
        exit(0);
    }
    g_ptr_array_add(cfg->devices, (gpointer)arg);
    return true;
}

static bool opt_name(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, "guest", errp);
    bool dummy;

    if (!opts) {
        return false;
    }
    cfg->name = g_strdup(qemu_opt_get(opts, "guest"));
    /* thread names are always set; process= is not supported */
    return qemu_opt_get_bool(opts, "debug-threads", false, &dummy, errp) &&
           qemu_opts_check_unused(opts, errp);
}

static bool opt_S(VLConfig *cfg, const char *arg, GError **errp)
{
    cfg->start_paused = true;
    return true;
}

static bool opt_daemonize(VLConfig *cfg, const char *arg, GError **errp)
{
    cfg->daemonize = true;
    return true;
}

static bool opt_pidfile(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->pidfile, arg);
}

static bool opt_nographic(VLConfig *cfg, const char *arg, GError **errp)
{
    cfg->nographic = true;
    return true;
}

static bool opt_display(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, "type", errp);

    if (!opts) {
        return false;
    }
    if (g_strcmp0(qemu_opt_get(opts, "type"), "none") != 0) {
        error_setg(errp, "Parameter 'type' does not accept value '%s'",
                   qemu_opt_get(opts, "type"));
        return false;
    }
    return qemu_opts_check_unused(opts, errp);
}

static bool opt_no_reboot(VLConfig *cfg, const char *arg, GError **errp)
{
    cfg->no_reboot = true;
    return true;
}

static bool opt_no_shutdown(VLConfig *cfg, const char *arg, GError **errp)
{
    cfg->no_shutdown = true;
    return true;
}

static bool opt_nodefaults(VLConfig *cfg, const char *arg, GError **errp)
{
    cfg->nodefaults = true;
    return true;
}

static bool opt_no_user_config(VLConfig *cfg, const char *arg, GError **errp)
{
    return true;   /* we read no configuration files anyway */
}

static bool opt_monitor(VLConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "none") != 0) {
        error_setg(errp, "only '-monitor none' is supported (no human monitor)");
        return false;
    }
    return true;
}

static bool opt_D(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->log_file, arg);
}

static bool opt_d(VLConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "help") == 0) {
        qemu_print_log_usage();
        exit(0);
    }
    return opt_string(&cfg->log_items, arg);
}

static bool opt_qmp(VLConfig *cfg, const char *arg, GError **errp)
{
    g_ptr_array_add(cfg->monitors, g_strconcat("qmp:", arg, NULL));
    return true;
}

static bool opt_mon(VLConfig *cfg, const char *arg, GError **errp)
{
    g_ptr_array_add(cfg->monitors, g_strconcat("mon:", arg, NULL));
    return true;
}

static bool opt_add_fd(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, NULL, errp);
    uint64_t set, fd;

    if (!opts) {
        return false;
    }
    if (!qemu_opt_has(opts, "fd") || !qemu_opt_has(opts, "set")) {
        error_setg(errp, "Parameter '%s' is missing",
                   qemu_opt_has(opts, "fd") ? "set" : "fd");
        return false;
    }
    qemu_opt_get(opts, "opaque");   /* a label for query-fdsets */
    return qemu_opt_get_number(opts, "set", 0, &set, errp) &&
           qemu_opt_get_number(opts, "fd", 0, &fd, errp) &&
           qemu_opts_check_unused(opts, errp) &&
           qemu_add_fd(set, fd, NULL, errp);
}

static bool opt_incoming(VLConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "defer") && !migration_uri_valid(arg, errp)) {
        return false;
    }
    return opt_string(&cfg->incoming, arg);
}

static bool opt_uuid(VLConfig *cfg, const char *arg, GError **errp)
{
    if (!g_uuid_string_is_valid(arg)) {
        error_setg(errp, "Fail to parse UUID string.");
        return false;
    }
    return opt_string(&cfg->uuid, arg);
}

static bool opt_rtc(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, NULL, errp);
    const char *clock, *drift;

    if (!opts) {
        return false;
    }
    cfg->rtc_base = g_strdup(qemu_opt_get(opts, "base"));
    clock = qemu_opt_get(opts, "clock");
    drift = qemu_opt_get(opts, "driftfix");
    if (clock && strcmp(clock, "host") != 0 && strcmp(clock, "rt") != 0 &&
        strcmp(clock, "vm") != 0) {
        error_setg(errp, "Parameter 'clock' does not accept value '%s'", clock);
        return false;
    }
    if (drift && strcmp(drift, "none") != 0 && strcmp(drift, "slew") != 0) {
        error_setg(errp, "Parameter 'driftfix' does not accept value '%s'", drift);
        return false;
    }
    return qemu_opts_check_unused(opts, errp);
}

static bool opt_overcommit(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, NULL, errp);
    bool cpu_pm;

    return opts &&
           qemu_opt_get_bool(opts, "mem-lock", false, &cfg->mem_lock, errp) &&
           /* cpu-pm: HLT/MWAIT stay intercepted; accepted without effect */
           qemu_opt_get_bool(opts, "cpu-pm", false, &cpu_pm, errp) &&
           qemu_opts_check_unused(opts, errp);
}

static bool opt_mem_prealloc(VLConfig *cfg, const char *arg, GError **errp)
{
    cfg->mem_prealloc = true;
    return true;
}

static bool opt_sandbox(VLConfig *cfg, const char *arg, GError **errp)
{
    return sandbox_parse(arg, &cfg->sandbox, errp);
}

/* -boot order/once/menu/splash/strict...: for firmware, which we have not */
static bool opt_boot(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, "order", errp);
    static const char *const keys[] = {
        "order", "once", "menu", "splash", "splash-time", "reboot-timeout",
        "strict",
    };

    if (!opts) {
        return false;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        qemu_opt_get(opts, keys[i]);
    }
    return qemu_opts_check_unused(opts, errp);
}

/* -audiodev: there is no sound device, so any backend is accepted unused */
static bool opt_audiodev(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse_arg(arg, "driver", errp);

    if (!opts) {
        return false;
    }
    if (!qemu_opt_get(opts, "id")) {
        error_setg(errp, "Parameter 'id' is missing");
        return false;
    }
    return true;
}

static bool opt_usb(VLConfig *cfg, const char *arg, GError **errp)
{
    return true;    /* no USB controller: accepted without effect */
}

static bool opt_object(VLConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "help") == 0) {
        object_list(stdout);
        exit(0);
    }
    g_ptr_array_add(cfg->objects, (gpointer)arg);
    return true;
}

static bool opt_msg(VLConfig *cfg, const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, NULL, errp);
    bool ts;

    if (!opts || !qemu_opt_get_bool(opts, "timestamp", false, &ts, errp) ||
        !qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    error_set_timestamps(ts);
    return true;
}

static const QEMUOption qemu_options[] = {
    { "h", NULL, "display this help and exit", opt_help },
    { "help", NULL, "display this help and exit", opt_help },
    { "version", NULL, "display version information and exit", opt_version },
    { "machine", "[type=]name[,accel=a1[:a2...]][,dumpdtb=file]", "select the machine ('-machine help' lists them); dumpdtb: write the device tree to file and exit", opt_machine },
    { "M", "[type=]name[,accel=a1[:a2...]][,dumpdtb=file]", "same as -machine", opt_machine },
    { "accel", "kvm|qtest", "select the accelerator (kvm, the default; qtest runs no vCPU)", opt_accel },
    { "enable-kvm", NULL, "same as -accel kvm", opt_enable_kvm },
    { "qtest", "dev", "serve the qtest protocol on dev (stdio, unix:path, chardev:id); implies -accel qtest", opt_qtest },
    { "qtest-log", "file", "log qtest traffic to file ('none': no log; default stderr)", opt_qtest_log },
    { "cpu", "model[,+feat][,-feat][,feat=on|off][,enforce]", "select the CPU model ('-cpu help' lists models and flags)", opt_cpu },
    { "smp", "[cpus=]n[,sockets=s][,cores=c][,threads=t][,maxcpus=n]", "number of vCPUs and their topology", opt_smp },
    { "m", "[size=]megs", "guest RAM size (default 128M; suffixes k, M, G, T)", opt_m },
    { "kernel", "file", "kernel to boot: Linux bzImage, PVH ELF or multiboot", opt_kernel },
    { "initrd", "file", "initial ram disk; for multiboot: 'mod1 args,mod2'", opt_initrd },
    { "append", "cmdline", "kernel command line", opt_append },
    { "bios", "file", "system firmware image (ROM ending at 4 GiB; the BSP starts at its reset vector)", opt_bios },
    { "serial", "dev", "next serial port: stdio, null, none, file:path, pty, chardev:id", opt_serial },
    { "chardev", "backend,id=id[,path=p][,append=on]", "character device: null, stdio, file, pty", opt_chardev },
    { "device", "driver[,prop=value...]", "add a device ('-device help' lists them)", opt_device },
    { "blockdev", "driver=file|raw,node-name=N[,filename=F][,file=N][,read-only=on]...", "add a block node (raw images only)", opt_blockdev },
    { "netdev", "user|tap,id=ID[,hostfwd=...][,guestfwd=...][,ifname=NAME][,fd=N][,script=no]...", "add a network backend: user (libslirp), tap", opt_netdev },
    { "drive", "file=F[,if=virtio|none|pflash][,format=raw][,id=D][,unit=0|1][,readonly=on][,cache=none|writeback]...", "add a drive (raw images only): a block node (if=none), with a virtio-blk-pci (if=virtio), or firmware flash (if=pflash: unit 0 ends at 4 GiB, unit 1 below it)", opt_drive },
    { "name", "[guest=]name[,debug-threads=on]", "name of the guest", opt_name },
    { "S", NULL, "do not start vCPUs at start-up", opt_S },
    { "daemonize", NULL, "detach from the terminal once started", opt_daemonize },
    { "pidfile", "file", "write the process id to file (locked)", opt_pidfile },
    { "nographic", NULL, "no display; the first serial port on stdio", opt_nographic },
    { "display", "none", "no display (the only one)", opt_display },
    { "no-reboot", NULL, "exit instead of rebooting", opt_no_reboot },
    { "no-shutdown", NULL, "stop, do not exit, when the guest shuts down", opt_no_shutdown },
    { "nodefaults", NULL, "create no default devices (serial port)", opt_nodefaults },
    { "no-user-config", NULL, "read no user configuration (accepted; none is read)", opt_no_user_config },
    { "monitor", "none", "human monitor (only 'none')", opt_monitor },
    { "D", "logfile", "write -d logs to logfile", opt_D },
    { "d", "item1,...", "enable logging of items ('-d help' lists them)", opt_d },
    { "msg", "timestamp=on|off", "prefix messages with a timestamp", opt_msg },
    { "qmp", "dev", "QMP monitor on dev (unix:path,server=on,wait=off; tcp:host:port,server=on,wait=off; stdio)", opt_qmp },
    { "mon", "chardev=id,mode=control[,pretty=on]", "QMP monitor on a chardev (mode=readline is not supported)", opt_mon },
    { "object", "type,id=id[,prop=value...]", "create an object: secret, memory-backend-ram, sev-guest ('-object help')", opt_object },
    { "add-fd", "fd=fd,set=set[,opaque=text]", "add an inherited file descriptor to fd set; open it as /dev/fdset/set", opt_add_fd },
    { "uuid", "uuid", "the machine's UUID (fw_cfg, QMP)", opt_uuid },
    { "incoming", "file:path|exec:cmd|defer", "restore the state saved by QMP 'migrate' (defer: wait for 'migrate-incoming')", opt_incoming },
    { "rtc", "base=utc|localtime|date[,clock=host][,driftfix=none|slew]", "RTC start time (clock and driftfix accepted without effect)", opt_rtc },
    { "overcommit", "mem-lock=on|off[,cpu-pm=on|off]", "lock guest RAM in host memory (cpu-pm accepted without effect)", opt_overcommit },
    { "mem-prealloc", NULL, "fault in all guest RAM at start-up (fails if the host has too little)", opt_mem_prealloc },
    { "sandbox", "on|off[,obsolete=allow|deny][,elevateprivileges=allow|deny|children][,spawn=allow|deny][,resourcecontrol=allow|deny]", "seccomp allow-list once started: no new files or programs (docs/system/invocation.rst)", opt_sandbox },
    { "boot", "[order=drives][,menu=on|off][,strict=on|off]...", "firmware boot settings: accepted without effect (no firmware runs)", opt_boot },
    { "audiodev", "driver,id=id[,...]", "audio backend: accepted without effect (no sound device)", opt_audiodev },
    { "usb", NULL, "accepted without effect (no USB controller)", opt_usb },
};

static void print_help(void)
{
    printf("usage: %s [options]\n\n", error_get_progname());
    for (size_t i = 0; i < G_N_ELEMENTS(qemu_options); i++) {
        const QEMUOption *o = &qemu_options[i];
        printf("-%s%s%s\n                %s\n", o->name, o->arg ? " " : "",
               o->arg ? o->arg : "", o->help);
    }
}

static const QEMUOption *find_option(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(qemu_options); i++) {
        if (strcmp(qemu_options[i].name, name) == 0) {
            return &qemu_options[i];
        }
    }
    return NULL;
}

static void parse_args(VLConfig *cfg, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        const char *arg = NULL;
        const QEMUOption *o;
        GError *err = NULL;

        if (name[0] != '-') {
            loc_set_option(NULL, NULL);
            error_report("%s: invalid option (images are given with -kernel)",
                         name);
            exit(1);
        }
        name++;
        if (name[0] == '-') {
            name++;     /* --option is the same as -option */
        }
        o = find_option(name);
        if (!o) {
            loc_set_option(argv[i], NULL);
            error_report("invalid option");
            exit(1);
        }
        if (o->arg) {
            if (i + 1 >= argc) {
                loc_set_option(argv[i], NULL);
                error_report("requires an argument");
                exit(1);
            }
            arg = argv[++i];
        }
        loc_set_option(argv[o->arg ? i - 1 : i], arg);
        if (!o->handler(cfg, arg, &err)) {
            error_report_err(err);
            exit(1);
        }
    }
    loc_set_option(NULL, NULL);
}

/* ---- -smp --------------------------------------------------------------- */

static bool parse_smp(MachineState *ms, const char *spec, GError **errp)
{
    g_autoptr(QemuOpts) opts = NULL;
    uint64_t cpus, sockets, cores, threads, maxcpus, dies;

    if (!spec) {
        ms->smp_cpus = ms->sockets = ms->cores = ms->threads = 1;
        return true;
    }
    opts = qemu_opts_parse(spec, "cpus", errp);
    if (!opts) {
        return false;
    }
    static const char *const keys[] = { "cpus", "sockets", "dies", "cores", "threads", "maxcpus" };
    uint64_t *vals[] = { &cpus, &sockets, &dies, &cores, &threads, &maxcpus };
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        const char *v = qemu_opt_get(opts, keys[i]);
        *vals[i] = 0;
        if (v && (qemu_strtou64(v, vals[i]) < 0 || *vals[i] > 4096)) {
            error_setg(errp, "Parameter 'smp.%s' expects integer", keys[i]);
            return false;
        }
    }
    if (!qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    if (dies > 1) {
        error_setg(errp, "dies not supported by this machine's CPU topology");
        return false;
    }
    /* QEMU 7.2's rule: fill in what is missing, preferring sockets */
    maxcpus = maxcpus ? maxcpus : cpus;
    if (!sockets || !cores || !threads) {
        uint64_t n = maxcpus ? maxcpus : 1;
        threads = threads ? threads : 1;
        if (!sockets) {
            cores = cores ? cores : 1;
            sockets = MAX(n / (cores * threads), 1);
        } else {
            cores = MAX(n / (sockets * threads), 1);
        }
    }
    maxcpus = maxcpus ? maxcpus : sockets * cores * threads;
    cpus = cpus ? cpus : maxcpus;
    if (sockets * cores * threads != maxcpus) {
        error_setg(errp, "Invalid CPU topology: product of the hierarchy must "
                   "match maxcpus: sockets (%" G_GUINT64_FORMAT ") * cores (%"
                   G_GUINT64_FORMAT ") * threads (%" G_GUINT64_FORMAT
                   ") != maxcpus (%" G_GUINT64_FORMAT ")",
                   sockets, cores, threads, maxcpus);
        return false;
    }
    if (cpus != maxcpus) {
        error_setg(errp, "maxcpus larger than cpus (CPU hotplug) is not supported");
        return false;
    }
    if (cpus > ms->mc->max_cpus) {
        error_setg(errp, "Invalid SMP CPUs %" G_GUINT64_FORMAT ". The max CPUs "
                   "supported by machine '%s' is %u", cpus, ms->mc->name,
                   ms->mc->max_cpus);
        return false;
    }
    ms->smp_cpus = cpus;
    ms->sockets = sockets;
    ms->cores = cores;
    ms->threads = threads;
    return true;
}

/* ---- signals, pidfile, daemonize ----------------------------------------- */

static int wakeup_fd = -1;
static volatile sig_atomic_t shutdown_signal;
static volatile sig_atomic_t shutdown_pid;
static char *pidfile_path;

static void termsig_handler(int sig, siginfo_t *info, void *ctx)
{
    uint64_t one = 1;
    ssize_t r;

    shutdown_signal = sig;
    shutdown_pid = info ? info->si_pid : 0;
    r = write(wakeup_fd, &one, sizeof(one));
    (void)r;
}

static void install_signal_handlers(void)
{
    struct sigaction sa = { .sa_sigaction = termsig_handler,
                            .sa_flags = SA_SIGINFO };

    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void remove_pidfile(void)
{
    if (pidfile_path) {
        unlink(pidfile_path);
    }
}

static bool write_pidfile(const char *path, GError **errp)
{
    g_autofree char *buf = g_strdup_printf("%d\n", getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0) {
        /* QEMU's wording, as are the two below */
        error_setg_errno(errp, errno, "cannot create PID file: "
                         "Could not create '%s'", path);
        return false;
    }
    /* the lock stays while we live: a second instance fails here */
    if (lockf(fd, F_TLOCK, 0) < 0) {
        error_setg_errno(errp, errno, "cannot create PID file: "
                         "Cannot lock pid file");
        close(fd);
        return false;
    }
    if (ftruncate(fd, 0) < 0 || write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf)) {
        error_setg_errno(errp, errno, "cannot create PID file: "
                         "Failed to write pid file");
        close(fd);
        return false;
    }
    pidfile_path = g_strdup(path);
    atexit(remove_pidfile);
    return true;
}

static int daemon_pipe = -1;

/* Fork before any thread or KVM fd exists (a VM belongs to the process
 * that created it).  The parent exits with the child's start-up result. */
static void daemonize_start(void)
{
    int fds[2];
    pid_t pid;

    if (pipe(fds) < 0) {
        error_report("cannot daemonize: %s", g_strerror(errno));
        exit(1);
    }
    pid = fork();
    if (pid < 0) {
        error_report("cannot daemonize: %s", g_strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        char status = 1;
        close(fds[1]);
        while (read(fds[0], &status, 1) < 0 && errno == EINTR) {
        }
        _exit(status == 0 ? 0 : 1);
    }
    close(fds[0]);
    daemon_pipe = fds[1];
    setsid();
}

static void daemonize_finish(void)
{
    char ok = 0;
    int null = open("/dev/null", O_RDWR);

    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        close(null);
    }
    if (write(daemon_pipe, &ok, 1) < 0) {
        /* the parent is gone: nothing to tell */
    }
    close(daemon_pipe);
    daemon_pipe = -1;
}

/* ---- main loop ----------------------------------------------------------- */

typedef struct MainLoopState {
    GMainLoop *loop;
    MachineState *ms;
    int status;
} MainLoopState;

/*
 * A reset request keeps every vCPU out of the guest until it is cleared,
 * so the machine can be reset under them; the run state (and so the
 * STOP/RESUME events) does not change.
 */
static void machine_do_reset(MachineState *ms, ShutdownCause cause)
{
    g_autoptr(GError) err = NULL;

    qapi_event_send_reset(shutdown_caused_by_guest(cause), cause);
    cpus_wait_stopped(ms);
    if (!ms->mc->reset(ms, &err)) {
        error_report("reset failed: %s", err->message);
        qemu_system_exit_request(ms, 1);
        return;
    }
    for (unsigned i = 0; i < ms->nr_cpus; i++) {
        ms->cpus[i]->reset_pending = true;
    }
    /* QEMU: a machine reset while not running is back at its start */
    if (!runstate_is_running(ms)) {
        __atomic_store_n(&ms->runstate, RUN_STATE_PRELAUNCH, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&ms->reset_request, SHUTDOWN_CAUSE_NONE, __ATOMIC_RELEASE);
    cpus_resume_after_request(ms);
}

static void main_loop_quit(MainLoopState *mls, int status)
{
    mls->status = status;
    g_main_loop_quit(mls->loop);
}

static gboolean main_loop_wakeup(gint fd, GIOCondition cond, gpointer data)
{
    MainLoopState *mls = data;
    MachineState *ms = mls->ms;
    ShutdownCause cause;
    uint64_t cnt;

    if (read(fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN) {
        return G_SOURCE_CONTINUE;
    }
    if (shutdown_signal) {
        g_autofree char *comm = NULL;
        g_autofree char *path = g_strdup_printf("/proc/%d/comm", (int)shutdown_pid);
        /* under -sandbox no file can be opened: the sender stays unnamed */
        if (!sandbox_active() && g_file_get_contents(path, &comm, NULL, NULL)) {
            g_strchomp(comm);
        }
        loc_set_option(NULL, NULL);
        error_report("terminating on signal %d from pid %d (%s)",
                     (int)shutdown_signal, (int)shutdown_pid,
                     comm ? comm : "<unknown process>");
        qapi_event_send_shutdown(false, SHUTDOWN_CAUSE_HOST_SIGNAL);
        main_loop_quit(mls, 0);
        return G_SOURCE_CONTINUE;
    }
    if (__atomic_load_n(&ms->exit_request, __ATOMIC_ACQUIRE)) {
        main_loop_quit(mls, ms->exit_status);
        return G_SOURCE_CONTINUE;
    }
    cause = __atomic_load_n(&ms->reset_request, __ATOMIC_ACQUIRE);
    if (cause) {
        if (ms->cpu_state_protected && !ms->no_reboot) {
            /* SEV-ES: KVM cannot put protected vCPUs back (QEMU's words) */
            error_report("cpus are not resettable, terminating");
            __atomic_store_n(&ms->shutdown_request, cause, __ATOMIC_RELEASE);
            __atomic_store_n(&ms->reset_request, SHUTDOWN_CAUSE_NONE,
                             __ATOMIC_RELEASE);
        } else if (ms->no_reboot && cause != SHUTDOWN_CAUSE_SUBSYSTEM_RESET) {
            /* QEMU: with -no-reboot any reset (QMP system_reset too) is a
             * shutdown with the reset's reason */
            __atomic_store_n(&ms->shutdown_request, cause, __ATOMIC_RELEASE);
            __atomic_store_n(&ms->reset_request, SHUTDOWN_CAUSE_NONE,
                             __ATOMIC_RELEASE);
        } else {
            machine_do_reset(ms, cause);
        }
    }
    cause = __atomic_load_n(&ms->shutdown_request, __ATOMIC_ACQUIRE);
    if (cause) {
        qapi_event_send_shutdown(shutdown_caused_by_guest(cause), cause);
        if (ms->no_shutdown && cause != SHUTDOWN_CAUSE_HOST_QMP_QUIT) {
            /* keep the process: libvirt decides what happens next */
            vm_stop(ms, RUN_STATE_SHUTDOWN);
            __atomic_store_n(&ms->shutdown_request, SHUTDOWN_CAUSE_NONE,
                             __ATOMIC_RELEASE);
        } else {
            main_loop_quit(mls, 0);
        }
    }
    return G_SOURCE_CONTINUE;
}

/* ---- start-up ------------------------------------------------------------ */

/* Create what a list of option arguments asks for, one at a time, with
 * errors located at the option as QEMU does ("-device x: ..."). */
static bool create_from_args(const char *option, GPtrArray *args,
                             const char *implied_key, MachineState *ms,
                             bool (*create)(MachineState *, QemuOpts *,
                                            GError **))
{
    for (guint i = 0; i < args->len; i++) {
        const char *arg = g_ptr_array_index(args, i);
        g_autoptr(GError) err = NULL;
        g_autoptr(QemuOpts) opts = NULL;

        loc_set_option(option, arg);
        opts = qemu_opts_parse_arg(arg, implied_key, &err);
        if (!opts || !create(ms, opts, &err)) {
            error_report_err(g_steal_pointer(&err));
            return false;
        }
    }
    loc_set_option(NULL, NULL);
    return true;
}

static bool chardev_create(MachineState *ms, QemuOpts *opts, GError **errp)
{
    if (!qemu_opt_has(opts, "id")) {
        error_setg(errp, "chardev: no id specified");
        return false;
    }
    return qemu_chr_new_from_opts(opts, errp) != NULL;
}

static bool create_serial_ports(VLConfig *cfg, MachineState *ms)
{
    if (cfg->nr_serial == 0 && !cfg->nodefaults) {
        /* QEMU's default: the first serial port on stdio with -nographic,
         * otherwise on a virtual console; we have no console, so null */
        cfg->serial[cfg->nr_serial++] = cfg->nographic ? "mon:stdio" : "null";
    }
    for (int i = 0; i < cfg->nr_serial; i++) {
        g_autofree char *label = g_strdup_printf("serial%d", i);
        g_autoptr(GError) err = NULL;

        ms->serial_hds[i] = qemu_chr_new(label, cfg->serial[i], &err);
        if (err) {
            loc_set_option("-serial", cfg->serial[i]);
            error_report_err(g_steal_pointer(&err));
            return false;
        }
    }
    return true;
}

static void uuid_parse_bytes(const char *str, uint8_t out[16])
{
    unsigned n = 0;

    /* the string was checked by g_uuid_string_is_valid() */
    for (const char *p = str; *p && n < 16; p++) {
        if (*p == '-') {
            continue;
        }
        out[n++] = g_ascii_xdigit_value(p[0]) << 4 | g_ascii_xdigit_value(p[1]);
        p++;
    }
}

/*
 * A daemon has no stdio.  QEMU refuses -nographic only when it would put
 * the default serial port there (libvirt's probe passes -nographic with
 * -nodefaults), and any chardev on stdio.
 */
static bool check_daemonize_stdio(VLConfig *cfg)
{
    if (cfg->nographic && cfg->nr_serial == 0 && !cfg->nodefaults) {
        error_report("-nographic cannot be used with -daemonize");
        return false;
    }
    for (int i = 0; i < cfg->nr_serial; i++) {
        if (!strcmp(cfg->serial[i], "stdio") || !strcmp(cfg->serial[i], "mon:stdio")) {
            error_report("cannot use stdio with -daemonize");
            return false;
        }
    }
    for (guint i = 0; i < cfg->chardevs->len; i++) {
        const char *c = g_ptr_array_index(cfg->chardevs, i);
        if (g_str_has_prefix(c, "stdio,") || !strcmp(c, "stdio")) {
            error_report("cannot use stdio with -daemonize");
            return false;
        }
    }
    for (guint i = 0; i < cfg->monitors->len; i++) {
        if (!strcmp(g_ptr_array_index(cfg->monitors, i), "qmp:stdio")) {
            error_report("cannot use stdio with -daemonize");
            return false;
        }
    }
    return true;
}

static bool object_create_opts(MachineState *ms, QemuOpts *opts, GError **errp)
{
    return user_object_create(opts, errp);
}

/* -machine memory-backend=ID: the backend's size is the RAM size. */
static bool apply_memory_backend(VLConfig *cfg, MachineState *ms, GError **errp)
{
    UserObject *obj;

    if (!cfg->memory_backend) {
        return true;
    }
    obj = user_object_find(cfg->memory_backend);
    if (!obj || !g_str_has_prefix(obj->type->name, "memory-backend-")) {
        error_setg(errp, "Memory backend '%s' not found", cfg->memory_backend);
        return false;
    }
    if (cfg->ram_size_given && obj->size != cfg->ram_size) {
        error_setg(errp, "Machine memory size does not match the size of "
                   "the memory backend");
        return false;
    }
    ms->ram_size = obj->size;
    cfg->mem_prealloc |= obj->prealloc;
    return true;
}

/* -rtc base=utc|localtime|YYYY-MM-DD[THH:MM:SS]: seconds from host UTC. */
static bool parse_rtc_base(const char *base, int64_t *offset, GError **errp)
{
    time_t now = time(NULL);
    struct tm tm = { 0 };
    int n;

    if (!base || strcmp(base, "utc") == 0) {
        *offset = 0;
        return true;
    }
    if (strcmp(base, "localtime") == 0) {
        localtime_r(&now, &tm);
        *offset = tm.tm_gmtoff;
        return true;
    }
    n = sscanf(base, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    if ((n != 3 && n != 6) || tm.tm_year < 1900 || tm.tm_mon < 1 ||
        tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31) {
        error_setg(errp, "invalid datetime format\nvalid formats: "
                   "'2006-06-17T16:01:21' or '2006-06-17'");
        return false;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *offset = (int64_t)timegm(&tm) - (int64_t)now;
    return true;
}

/* -qmp SPEC is QEMU's shorthand for a socket chardev plus -mon. */
static bool create_monitors(VLConfig *cfg, MachineState *ms)
{
    for (guint i = 0; i < cfg->monitors->len; i++) {
        const char *m = g_ptr_array_index(cfg->monitors, i);
        g_autoptr(GError) err = NULL;
        bool ok;

        if (g_str_has_prefix(m, "qmp:")) {
            g_autofree char *label = g_strdup_printf("compat_monitor%u", i);
            Chardev *chr;

            loc_set_option("-qmp", m + 4);
            chr = qemu_chr_new(label, m + 4, &err);
            ok = chr && monitor_init_qmp(chr, ms, false, &err);
        } else {
            g_autoptr(QemuOpts) opts = NULL;
            const char *id, *mode;
            bool pretty = false;
            Chardev *chr = NULL;

            loc_set_option("-mon", m + 4);
            opts = qemu_opts_parse(m + 4, "chardev", &err);
            ok = opts != NULL;
            if (ok) {
                id = qemu_opt_get(opts, "chardev");
                mode = qemu_opt_get(opts, "mode");
                qemu_opt_get(opts, "id");
                ok = qemu_opt_get_bool(opts, "pretty", false, &pretty, &err) &&
                     qemu_opts_check_unused(opts, &err);
                if (ok && (!mode || strcmp(mode, "control") != 0)) {
                    error_setg(&err, "mode=%s is not supported: only QMP "
                               "(mode=control)", mode ? mode : "readline");
                    ok = false;
                }
                if (ok && !(id && (chr = qemu_chr_find(id)))) {
                    error_setg(&err, "chardev \"%s\" not found", id ? id : "");
                    ok = false;
                }
                ok = ok && monitor_init_qmp(chr, ms, pretty, &err);
            }
        }
        if (!ok) {
            error_report_err(g_steal_pointer(&err));
            return false;
        }
    }
    loc_set_option(NULL, NULL);
    return true;
}

/*
 * -accel / -machine accel=a:b / -qtest: the first listed accelerator
 * that exists ("kvm:tcg" as libvirt writes it picks kvm; tcg is not one
 * of ours).  -qtest alone selects qtest.
 */
static const AccelOps *choose_accel(VLConfig *cfg, GError **errp)
{
    g_auto(GStrv) names = NULL;

    if (!cfg->accel) {
        return accel_find(cfg->qtest ? "qtest" : "kvm");
    }
    names = g_strsplit(cfg->accel, ":", -1);
    for (char **n = names; *n; n++) {
        const AccelOps *a = accel_find(*n);
        if (a) {
            if (cfg->qtest && a != &qtest_accel_ops) {
                error_setg(errp, "-qtest needs -accel qtest: interrupts of "
                           "the %s accelerator cannot be intercepted", a->name);
                return NULL;
            }
            return a;
        }
    }
    error_setg(errp, "invalid accelerator %s", cfg->accel);
    return NULL;
}

int main(int argc, char **argv)
{
    /*
     * The configuration lives as long as the process (its strings are
     * used by devices until exit): static, so it stays reachable after
     * main() returns and LeakSanitizer doesn't report it.
     */
    static VLConfig cfg = { .ram_size = DEFAULT_RAM_SIZE };
    g_autoptr(GError) err = NULL;
    MachineState *ms;
    MainLoopState mls = { 0 };
    const AccelOps *accel;

    error_set_progname(argv[0]);
    cfg.chardevs = g_ptr_array_new();
    cfg.devices = g_ptr_array_new();
    cfg.blockdevs = g_ptr_array_new();
    cfg.drives = g_ptr_array_new();
    cfg.netdevs = g_ptr_array_new();
    cfg.monitors = g_ptr_array_new_with_free_func(g_free);
    cfg.objects = g_ptr_array_new();
    parse_args(&cfg, argc, argv);

    if (cfg.log_items && !qemu_set_log_list(cfg.log_items, &err)) {
        error_report_err(g_steal_pointer(&err));
        qemu_print_log_usage();
        exit(1);
    }
    if (cfg.log_file && !qemu_set_log_filename(cfg.log_file, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    accel = choose_accel(&cfg, &err);
    if (!accel) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    if (cfg.daemonize && !check_daemonize_stdio(&cfg)) {
        exit(1);
    }

    ms = g_new0(MachineState, 1);
    ms->mc = cfg.machine_type ? machine_find(cfg.machine_type) : machine_default();
    if (!ms->mc) {
        error_report("unsupported machine type\n"
                     "Use -machine help to list supported machines");
        exit(1);
    }
    ms->ram_size = cfg.ram_size;
    ms->cpu_model = g_strdup(cfg.cpu_model ? cfg.cpu_model :
                             target_info.default_cpu_model);
    ms->kernel_filename = g_strdup(cfg.kernel);
    ms->initrd_filename = g_strdup(cfg.initrd);
    ms->kernel_cmdline = g_strdup(cfg.append);
    ms->firmware = g_strdup(cfg.bios);
    ms->dumpdtb = g_strdup(cfg.dumpdtb);
    for (unsigned i = 0; i < G_N_ELEMENTS(cfg.pflash); i++) {
        if (cfg.pflash[i] && i >= ms->mc->pflash_units) {
            error_report("Property '%s-machine.pflash%u' not found",
                         ms->mc->name, i);
            exit(1);
        }
        ms->pflash_nodes[i] = cfg.pflash[i];
    }
    ms->no_reboot = cfg.no_reboot;
    ms->no_shutdown = cfg.no_shutdown;
    g_mutex_init(&ms->lock);
    g_cond_init(&ms->cond);
    ms->runstate = RUN_STATE_PRELAUNCH;
    if (!parse_smp(ms, cfg.smp, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    if (cfg.initrd && !cfg.kernel) {
        error_report("-initrd only allowed with -kernel option");
        exit(1);
    }
    if (cfg.append && !cfg.kernel) {
        error_report("-append only allowed with -kernel option");
        exit(1);
    }
    if (cfg.daemonize) {
        daemonize_start();
    }
    if (cfg.pidfile && !write_pidfile(cfg.pidfile, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    wakeup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ms->wakeup_fd = wakeup_fd;
    install_signal_handlers();
    atexit(qemu_chr_cleanup_all);

    if (!create_from_args("-object", cfg.objects, "qom-type", ms,
                          object_create_opts) ||
        !apply_memory_backend(&cfg, ms, &err) ||
        !parse_rtc_base(cfg.rtc_base, &ms->rtc_offset, &err)) {
        if (err) {
            error_report_err(g_steal_pointer(&err));
        }
        exit(1);
    }
    if (cfg.uuid) {
        ms->has_uuid = true;
        uuid_parse_bytes(cfg.uuid, ms->uuid);
    }
    ms->accel = accel;
    migration_init(ms);     /* the clock and RAM sections come first */
    if (cfg.cgs && !target_info.cgs_init) {
        error_report("confidential-guest-support: the %s target has none",
                     target_info.arch);
        exit(1);
    }
    if ((cfg.cgs && !target_info.cgs_vm_type(cfg.cgs, &ms->kvm_vm_type,
                                             &err)) ||
        !accel->init(ms, &err) ||
        (cfg.cgs && !target_info.cgs_init(ms, cfg.cgs, &err))) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    iobus_init(&ms->io, "io");
    iobus_init(&ms->mmio, "memory");
    if (!create_from_args("-chardev", cfg.chardevs, "backend", ms,
                          chardev_create) ||
        !create_serial_ports(&cfg, ms)) {
        exit(1);
    }
    /* block nodes before the machine (pflash0=) and devices naming them */
    if (!create_from_args("-blockdev", cfg.blockdevs, "driver", ms,
                          blockdev_create)) {
        exit(1);
    }
    if (!ms->mc->init(ms, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    if (!create_from_args("-drive", cfg.drives, NULL, ms, drive_create) ||
        !create_from_args("-netdev", cfg.netdevs, "type", ms, netdev_create) ||
        !create_from_args("-device", cfg.devices, "driver", ms,
                          qdev_device_add)) {
        exit(1);
    }
    if (cfg.mem_prealloc && ms->ram &&
        !qemu_prealloc_mem(ms->ram, ms->ram_size, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    if (target_info.cgs_machine_done &&
        !target_info.cgs_machine_done(ms, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    if (cfg.qtest && !qtest_server_init(ms, cfg.qtest, cfg.qtest_log, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    if (!create_monitors(&cfg, ms)) {
        exit(1);
    }
    /* QEMU's wording: libvirt shows it when mem-lock=on cannot be had */
    if (cfg.mem_lock && mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
        error_report("mlockall: %s", g_strerror(errno));
        error_report("locking memory failed");
        exit(1);
    }
    if (!cpus_start(ms, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    if (cfg.daemonize) {
        daemonize_finish();
    }

    mls.loop = g_main_loop_new(NULL, FALSE);
    {
        /* device timers (serial timeout, RTC, PM timer) run on this loop */
        GSource *timers = qemu_timer_source_new();
        g_source_attach(timers, NULL);
        g_source_unref(timers);
    }
    mls.ms = ms;
    g_unix_fd_add(wakeup_fd, G_IO_IN, main_loop_wakeup, &mls);
    if (cfg.incoming) {
        if (!migration_incoming_start(ms, cfg.incoming, !cfg.start_paused,
                                      &err)) {
            error_report("load of migration failed: %s", err->message);
            exit(1);
        }
    } else if (!cfg.start_paused) {
        if (vm_prepare_start(ms, &err)) {
            vm_start(ms);
        } else {
            /* e.g. the simulated SEV firmware: the process stays for QMP */
            error_report_err(g_steal_pointer(&err));
            ms->runstate = RUN_STATE_PAUSED;
        }
    } else {
        ms->runstate = RUN_STATE_PRELAUNCH;
    }
    /* last: everything the VMM opens or starts is open or started now */
    if (!sandbox_install(&cfg.sandbox, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    g_main_loop_run(mls.loop);

    monitor_cleanup();
    cpus_stop_threads(ms);
    g_main_loop_unref(mls.loop);
    return mls.status;
}
