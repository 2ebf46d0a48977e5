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
#include "chardev/char.h"
#include "system/accel.h"
#include "system/kvm.h"
#include "system/qtest.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/option.h"
#include "target/i386/cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
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
    const char *serial[MAX_SERIAL];
    int nr_serial;
    GPtrArray *chardevs;     /* -chardev arguments, parsed at creation */
    GPtrArray *devices;      /* -device arguments, parsed at creation */
    bool nographic, nodefaults, start_paused, daemonize;
    bool no_reboot, no_shutdown;
    const char *pidfile;
    const char *name;
    const char *log_items, *log_file;
    const char *qtest, *qtest_log;
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
    qemu_opt_get(opts, "memory-backend");
    for (size_t i = 0; i < opts->nr; i++) {
        if (!opts->opts[i].used) {
            const MachineClass *mc = machine_find(cfg->machine_type ?
                                                  cfg->machine_type : "pc");
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
    return true;
}

static bool opt_smp(VLConfig *cfg, const char *arg, GError **errp)
{
    return opt_string(&cfg->smp, arg);
}

static bool opt_cpu(VLConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "help") == 0 || strcmp(arg, "?") == 0) {
        x86_cpu_list(stdout);
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
    { "machine", "[type=]name[,accel=a1[:a2...]]", "select the machine ('-machine help' lists them)", opt_machine },
    { "M", "[type=]name[,accel=a1[:a2...]]", "same as -machine", opt_machine },
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
    { "serial", "dev", "next serial port: stdio, null, none, file:path, pty, chardev:id", opt_serial },
    { "chardev", "backend,id=id[,path=p][,append=on]", "character device: null, stdio, file, pty", opt_chardev },
    { "device", "driver[,prop=value...]", "add a device ('-device help' lists them)", opt_device },
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
        error_setg_errno(errp, errno, "cannot create PID file '%s'", path);
        return false;
    }
    /* the lock stays while we live: a second instance fails here */
    if (lockf(fd, F_TLOCK, 0) < 0) {
        error_setg_errno(errp, errno, "cannot lock PID file '%s'", path);
        close(fd);
        return false;
    }
    if (ftruncate(fd, 0) < 0 || write(fd, buf, strlen(buf)) != (ssize_t)strlen(buf)) {
        error_setg_errno(errp, errno, "cannot write PID file '%s'", path);
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

static void machine_do_reset(MachineState *ms)
{
    g_autoptr(GError) err = NULL;
    RunState prev = ms->runstate;

    vm_stop(ms, RUN_STATE_PAUSED);
    __atomic_store_n(&ms->reset_request, SHUTDOWN_CAUSE_NONE, __ATOMIC_RELEASE);
    if (!ms->mc->reset(ms, &err)) {
        error_report("reset failed: %s", err->message);
        qemu_system_exit_request(ms, 1);
        return;
    }
    for (unsigned i = 0; i < ms->nr_cpus; i++) {
        ms->cpus[i]->reset_pending = true;
    }
    if (prev == RUN_STATE_RUNNING) {
        vm_start(ms);
    } else {
        ms->runstate = prev;
    }
}

static gboolean main_loop_wakeup(gint fd, GIOCondition cond, gpointer data)
{
    MainLoopState *mls = data;
    MachineState *ms = mls->ms;
    uint64_t cnt;

    if (read(fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN) {
        return G_SOURCE_CONTINUE;
    }
    if (shutdown_signal) {
        g_autofree char *comm = NULL;
        g_autofree char *path = g_strdup_printf("/proc/%d/comm", (int)shutdown_pid);
        if (g_file_get_contents(path, &comm, NULL, NULL)) {
            g_strchomp(comm);
        }
        loc_set_option(NULL, NULL);
        error_report("terminating on signal %d from pid %d (%s)",
                     (int)shutdown_signal, (int)shutdown_pid,
                     comm ? comm : "<unknown process>");
        mls->status = 0;
        g_main_loop_quit(mls->loop);
        return G_SOURCE_CONTINUE;
    }
    if (__atomic_load_n(&ms->exit_request, __ATOMIC_ACQUIRE)) {
        mls->status = ms->exit_status;
        g_main_loop_quit(mls->loop);
        return G_SOURCE_CONTINUE;
    }
    if (ms->reset_request) {
        if (ms->no_reboot) {
            /* QEMU: with -no-reboot a guest reset is a shutdown */
            __atomic_store_n(&ms->shutdown_request, ms->reset_request,
                             __ATOMIC_RELEASE);
            __atomic_store_n(&ms->reset_request, SHUTDOWN_CAUSE_NONE,
                             __ATOMIC_RELEASE);
        } else {
            machine_do_reset(ms);
        }
    }
    if (ms->shutdown_request) {
        if (ms->no_shutdown) {
            vm_stop(ms, RUN_STATE_SHUTDOWN);
            __atomic_store_n(&ms->shutdown_request, SHUTDOWN_CAUSE_NONE,
                             __ATOMIC_RELEASE);
        } else {
            mls->status = 0;
            g_main_loop_quit(mls->loop);
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
        opts = qemu_opts_parse(arg, implied_key, &err);
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
    VLConfig cfg = { .ram_size = DEFAULT_RAM_SIZE };
    g_autoptr(GError) err = NULL;
    MachineState *ms;
    MainLoopState mls = { 0 };
    const AccelOps *accel;

    error_set_progname(argv[0]);
    cfg.chardevs = g_ptr_array_new();
    cfg.devices = g_ptr_array_new();
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
    if (cfg.nographic && cfg.daemonize) {
        error_report("-nographic cannot be used with -daemonize");
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
    ms->cpu_model = g_strdup(cfg.cpu_model ? cfg.cpu_model : "qemu64");
    ms->kernel_filename = g_strdup(cfg.kernel);
    ms->initrd_filename = g_strdup(cfg.initrd);
    ms->kernel_cmdline = g_strdup(cfg.append);
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

    ms->accel = accel;
    if (!accel->init(ms, &err)) {
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
    if (!ms->mc->init(ms, &err)) {
        error_report_err(g_steal_pointer(&err));
        exit(1);
    }
    if (!create_from_args("-device", cfg.devices, "driver", ms,
                          qdev_device_add)) {
        exit(1);
    }
    if (cfg.qtest && !qtest_server_init(ms, cfg.qtest, cfg.qtest_log, &err)) {
        error_report_err(g_steal_pointer(&err));
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
    mls.ms = ms;
    g_unix_fd_add(wakeup_fd, G_IO_IN, main_loop_wakeup, &mls);
    if (!cfg.start_paused) {
        vm_start(ms);
    } else {
        ms->runstate = RUN_STATE_PRELAUNCH;
    }
    g_main_loop_run(mls.loop);

    cpus_stop_threads(ms);
    return mls.status;
}
