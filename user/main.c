/*
 * qkvm-x86_64: run an x86-64 Linux program natively in a KVM vCPU,
 * with its system calls performed by this process on the host.
 *
 *   qkvm-x86_64 [options] program [arguments...]
 *
 * The options are QEMU linux-user's, each also settable through its
 * QEMU_* environment variable (the command line wins).
 */
#include "user/user.h"
#include "user/stack.h"
#include "qemu/error-report.h"
#include "qemu/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

typedef struct UserConfig {
    const char *ld_prefix;
    const char *argv0;
    const char *uname_release;
    uint64_t stack_size;
    uint64_t reserved_va;
    bool have_seed;
    uint64_t seed;
    char **envp;                /* the program's environment */
} UserConfig;

typedef struct UserOption {
    const char *name;           /* "-name" or "--name" */
    const char *env;            /* the QEMU_* variable */
    const char *arg;            /* NULL: no argument; else its -help name */
    bool (*handler)(UserConfig *cfg, const char *arg, GError **errp);
    const char *help;
} UserOption;

static void usage(int status);

/* QEMU's size syntax: a number with an optional k/M/G/T suffix. */
static bool parse_size(const char *s, uint64_t *out, GError **errp)
{
    char *end;
    uint64_t v, shift = 0;

    errno = 0;
    v = g_ascii_strtoull(s, &end, 0);
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case 't': case 'T': shift = 40; end++; break;
    }
    if (errno || end == s || *end || v > (UINT64_MAX >> shift)) {
        error_setg(errp, "invalid size '%s'", s);
        return false;
    }
    *out = v << shift;
    return true;
}

static bool opt_help(UserConfig *cfg, const char *arg, GError **errp)
{
    usage(EXIT_SUCCESS);
    return true;
}

static bool opt_version(UserConfig *cfg, const char *arg, GError **errp)
{
    printf("qkvm-x86_64 version %d.%d.%d (qkvm %s)\n"
           "Copyright (c) the qkvm developers\n",
           QEMU_VERSION_MAJOR, QEMU_VERSION_MINOR, QEMU_VERSION_MICRO,
           QKVM_VERSION);
    exit(EXIT_SUCCESS);
}

static bool opt_ld_prefix(UserConfig *cfg, const char *arg, GError **errp)
{
    cfg->ld_prefix = arg;
    return true;
}

static bool opt_stack_size(UserConfig *cfg, const char *arg, GError **errp)
{
    return parse_size(arg, &cfg->stack_size, errp);
}

static bool opt_reserved_va(UserConfig *cfg, const char *arg, GError **errp)
{
    uint64_t v;

    if (!parse_size(arg, &v, errp)) {
        return false;
    }
    v = (v + GUEST_SIZE_ALIGN - 1) & ~(GUEST_SIZE_ALIGN - 1);
    if (v < GUEST_SIZE_MIN || v > GUEST_SIZE_MAX) {
        error_setg(errp, "-R: the guest address space must be %" G_GUINT64_FORMAT
                   " MiB to %" G_GUINT64_FORMAT " GiB",
                   (uint64_t)(GUEST_SIZE_MIN >> 20),
                   (uint64_t)(GUEST_SIZE_MAX >> 30));
        return false;
    }
    cfg->reserved_va = v;
    return true;
}

/* -E and -U take one variable, their QEMU_* forms a comma-separated list. */
static bool opt_set_env(UserConfig *cfg, const char *arg, GError **errp)
{
    g_auto(GStrv) items = g_strsplit(arg, ",", -1);

    for (char **it = items; *it; it++) {
        char *eq = strchr(*it, '=');
        if (!eq || eq == *it) {
            error_setg(errp, "-E: expected VAR=VALUE, got '%s'", *it);
            return false;
        }
        *eq = 0;
        cfg->envp = g_environ_setenv(cfg->envp, *it, eq + 1, TRUE);
    }
    return true;
}

static bool opt_unset_env(UserConfig *cfg, const char *arg, GError **errp)
{
    g_auto(GStrv) items = g_strsplit(arg, ",", -1);

    for (char **it = items; *it; it++) {
        cfg->envp = g_environ_unsetenv(cfg->envp, *it);
    }
    return true;
}

static bool opt_argv0(UserConfig *cfg, const char *arg, GError **errp)
{
    cfg->argv0 = arg;
    return true;
}

static bool opt_uname(UserConfig *cfg, const char *arg, GError **errp)
{
    cfg->uname_release = arg;
    return true;
}

/* The program sees the host's CPU (as with QEMU's -cpu host). */
static bool opt_cpu(UserConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "help") == 0 || strcmp(arg, "?") == 0) {
        printf("Available CPUs:\n  host\n  max\n");
        exit(EXIT_SUCCESS);
    }
    if (strcmp(arg, "host") != 0 && strcmp(arg, "max") != 0) {
        error_setg(errp, "unable to find CPU model '%s'", arg);
        return false;
    }
    return true;
}

static bool opt_log(UserConfig *cfg, const char *arg, GError **errp)
{
    if (strcmp(arg, "help") == 0) {
        qemu_print_log_usage();
        exit(EXIT_SUCCESS);
    }
    return qemu_set_log_list(arg, errp);
}

static bool opt_log_file(UserConfig *cfg, const char *arg, GError **errp)
{
    return qemu_set_log_filename(arg, errp);
}

static bool opt_strace(UserConfig *cfg, const char *arg, GError **errp)
{
    qemu_loglevel |= LOG_STRACE;
    return true;
}

static bool opt_seed(UserConfig *cfg, const char *arg, GError **errp)
{
    char *end;

    cfg->seed = g_ascii_strtoull(arg, &end, 0);
    if (end == arg || *end) {
        error_setg(errp, "invalid seed '%s'", arg);
        return false;
    }
    cfg->have_seed = true;
    return true;
}

static const UserOption options[] = {
    { "h", NULL, NULL, opt_help, "print this help" },
    { "help", NULL, NULL, opt_help, "print this help" },
    { "L", "QEMU_LD_PREFIX", "path", opt_ld_prefix,
      "look for the ELF interpreter under path first" },
    { "s", "QEMU_STACK_SIZE", "size", opt_stack_size,
      "set the stack size to 'size' bytes (default 8M)" },
    { "R", "QEMU_RESERVED_VA", "size", opt_reserved_va,
      "size of the guest address space (default 8G)" },
    { "cpu", "QEMU_CPU", "model", opt_cpu,
      "select the CPU model (host, max; '-cpu help')" },
    { "E", "QEMU_SET_ENV", "var=value", opt_set_env,
      "set an environment variable for the program" },
    { "U", "QEMU_UNSET_ENV", "var", opt_unset_env,
      "remove an environment variable of the program" },
    { "0", "QEMU_ARGV0", "argv0", opt_argv0,
      "the program's argv[0] (default: the program's path)" },
    { "r", "QEMU_UNAME", "uname", opt_uname,
      "the kernel release uname(2) reports" },
    { "d", "QEMU_LOG", "item[,...]", opt_log,
      "enable logging of items ('-d help' lists them)" },
    { "D", "QEMU_LOG_FILENAME", "logfile", opt_log_file,
      "write logs to 'logfile' (default stderr)" },
    { "seed", "QEMU_RAND_SEED", "number", opt_seed,
      "seed AT_RANDOM's bytes (for repeatable runs)" },
    { "strace", "QEMU_STRACE", NULL, opt_strace,
      "log system calls" },
    { "version", "QEMU_VERSION", NULL, opt_version,
      "display version information and exit" },
};

static void usage(int status)
{
    printf("usage: qkvm-x86_64 [options] program [arguments...]\n"
           "Run an x86-64 Linux program on KVM: its instructions run natively "
           "in a vCPU,\nits system calls on the host.\n\n"
           "Options and associated environment variables:\n\n"
           "%-22s %-18s %s\n", "Argument", "Env-variable", "Description");
    for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
        const UserOption *o = &options[i];
        g_autofree char *a = g_strdup_printf("-%s %s", o->name,
                                             o->arg ? o->arg : "");
        printf("%-22s %-18s %s\n", a, o->env ? o->env : "", o->help);
    }
    printf("\nDynamically linked programs need their ELF interpreter "
           "(-L names a sysroot).\nSee docs/user/main.rst.\n");
    exit(status);
}

static const UserOption *find_option(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
        if (strcmp(options[i].name, name) == 0) {
            return &options[i];
        }
    }
    return NULL;
}

static void apply(UserConfig *cfg, const UserOption *o, const char *arg)
{
    g_autoptr(GError) err = NULL;

    if (!o->handler(cfg, arg, &err)) {
        error_report("%s", err->message);
        exit(EXIT_FAILURE);
    }
}

/* QEMU_* variables first, so that the command line overrides them. */
static void parse_env(UserConfig *cfg)
{
    for (size_t i = 0; i < G_N_ELEMENTS(options); i++) {
        const char *v = options[i].env ? getenv(options[i].env) : NULL;
        if (v) {
            apply(cfg, &options[i], options[i].arg ? v : NULL);
        }
    }
}

/* Returns the index of the program in argv. */
static int parse_args(UserConfig *cfg, int argc, char **argv)
{
    int i = 1;

    while (i < argc && argv[i][0] == '-' && argv[i][1]) {
        const char *name = argv[i] + 1;
        const UserOption *o;

        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (name[0] == '-') {
            name++;
        }
        o = find_option(name);
        if (!o) {
            error_report("unknown option '%s' (see -help)", argv[i]);
            exit(EXIT_FAILURE);
        }
        if (o->arg && i + 1 >= argc) {
            error_report("option '%s' needs an argument", argv[i]);
            exit(EXIT_FAILURE);
        }
        apply(cfg, o, o->arg ? argv[i + 1] : NULL);
        i += o->arg ? 2 : 1;
    }
    if (i >= argc) {
        usage(EXIT_FAILURE);
    }
    return i;
}

static void fill_random(const UserConfig *cfg, uint8_t *buf, size_t len)
{
    if (cfg->have_seed) {
        g_autoptr(GRand) r = g_rand_new_with_seed(cfg->seed);
        for (size_t i = 0; i < len; i++) {
            buf[i] = g_rand_int(r);
        }
        return;
    }
    if (getrandom(buf, len, 0) != (ssize_t)len) {
        for (size_t i = 0; i < len; i++) {
            buf[i] = g_random_int();
        }
    }
}

static G_GNUC_NORETURN void load_error(const char *path, GError *err)
{
    error_report("Error while loading %s: %s", path, err->message);
    exit(EXIT_FAILURE);
}

static void die_on(GError *err)
{
    if (err) {
        error_report_err(err);
        exit(EXIT_FAILURE);
    }
}

int main(int argc, char **argv)
{
    static UserState us;
    UserConfig cfg = {
        .stack_size = TARGET_STACK_SIZE_DEFAULT,
        .reserved_va = GUEST_SIZE_DEFAULT,
        .envp = g_get_environ(),
    };
    GError *err = NULL;
    uint8_t random[16];
    const char *path;
    StackArgs args;
    uint64_t sp;
    int prog;

    error_set_progname(argv[0]);
    parse_env(&cfg);
    prog = parse_args(&cfg, argc, argv);
    path = argv[prog];
    us.uname_release = cfg.uname_release;

    guest_mem_init(&us.mem, cfg.reserved_va, &err);
    die_on(err);
    stack_map(&us.mem, cfg.stack_size, &err);
    die_on(err);
    if (!elf_load_program(&us.mem, path, cfg.ld_prefix, &us.image, &err)) {
        load_error(path, err);
    }
    us.mem.brk_start = us.mem.brk = us.image.end;
    us.exec_path = realpath(path, NULL);
    if (!us.exec_path) {
        us.exec_path = g_strdup(path);
    }

    fill_random(&cfg, random, sizeof(random));
    args = (StackArgs) {
        .argv = argv + prog, .envp = cfg.envp, .execfn = path,
        .random = random,
    };
    if (cfg.argv0) {
        argv[prog] = (char *)cfg.argv0;
    }
    stack_build(&us.mem, &us.image, &args, &sp, &err);
    die_on(err);

    user_cpu_init(&us.cpu, &us.mem, us.image.entry, sp, &err);
    die_on(err);
    cpu_loop(&us);
}
