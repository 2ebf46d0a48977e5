/*
 * human-monitor-command: the few human monitor commands tools send
 * through QMP, answered in the human monitor's words.  Each runs the
 * QMP command of the same meaning; output lines end in "\r\n" and
 * errors read "Error: ..." as in QEMU's monitor.  An unknown command is
 * not a QMP error: the text says so, as QEMU's does.
 */
#include "monitor/monitor-internal.h"
#include "hw/boards.h"

#include <string.h>

typedef void HMPInfoFunc(MonitorQMP *mon, GString *out);

typedef struct HMPCommand {
    const char *name;
    const char *help;
    QmpCommandFunc *qmp;        /* a QMP command with no arguments */
} HMPCommand;

typedef struct HMPInfo {
    const char *name;
    const char *help;
    HMPInfoFunc *fn;
} HMPInfo;

static void info_status(MonitorQMP *mon, GString *out)
{
    g_autoptr(JsonNode) st = qmp_query_status(mon, NULL, NULL);
    JsonObject *o = json_node_get_object(st);
    const char *status = json_object_get_string_member(o, "status");
    bool running = json_object_get_boolean_member(o, "running");

    g_string_append_printf(out, "VM status: %s", running ? "running" : "paused");
    if (!running && strcmp(status, "paused") != 0) {
        g_string_append_printf(out, " (%s)", status);
    }
    g_string_append_c(out, '\n');
}

static void info_version(MonitorQMP *mon, GString *out)
{
    g_string_append_printf(out, "%d.%d.%dqkvm-%s\n", QEMU_VERSION_MAJOR,
                           QEMU_VERSION_MINOR, QEMU_VERSION_MICRO,
                           QKVM_VERSION);
}

static void info_kvm(MonitorQMP *mon, GString *out)
{
    g_string_append_printf(out, "kvm support: %s\n",
                           mon->ms->kvm ? "enabled" : "disabled");
}

static void info_cpus(MonitorQMP *mon, GString *out)
{
    for (unsigned i = 0; i < mon->ms->nr_cpus; i++) {
        CPUState *cpu = mon->ms->cpus[i];
        /* the monitor's current CPU is the first one */
        g_string_append_printf(out, "%c CPU #%d: thread_id=%d\n",
                               i == 0 ? '*' : ' ', cpu->cpu_index,
                               (int)cpu->thread_id);
    }
}

static void info_chardev(MonitorQMP *mon, GString *out)
{
    GPtrArray *all = qemu_chr_all();

    for (guint i = 0; i < all->len; i++) {
        Chardev *chr = g_ptr_array_index(all, i);
        g_string_append_printf(out, "%s: filename=%s\n", chr->id,
                               chr->filename);
    }
}

static const HMPInfo hmp_info[] = {
    { "chardev", "the character devices", info_chardev },
    { "cpus", "the vCPUs and their host threads", info_cpus },
    { "kvm", "whether KVM is in use", info_kvm },
    { "status", "the run state", info_status },
    { "version", "the version", info_version },
};

static const HMPCommand hmp_commands[] = {
    { "c", "same as cont", qmp_cont },
    { "cont", "resume the VM", qmp_cont },
    { "help", "list the commands", NULL },
    { "info", "show something about the VM ('info' lists what)", NULL },
    { "q", "same as quit", qmp_quit },
    { "quit", "quit the VMM", qmp_quit },
    { "stop", "pause the VM", qmp_stop },
    { "system_powerdown", "press the ACPI power button", qmp_system_powerdown },
    { "system_reset", "reset the VM", qmp_system_reset },
};

static void list_info(GString *out)
{
    for (size_t i = 0; i < G_N_ELEMENTS(hmp_info); i++) {
        g_string_append_printf(out, "info %s  -- %s\n", hmp_info[i].name,
                               hmp_info[i].help);
    }
}

static void list_commands(GString *out)
{
    for (size_t i = 0; i < G_N_ELEMENTS(hmp_commands); i++) {
        g_string_append_printf(out, "%s  -- %s\n", hmp_commands[i].name,
                               hmp_commands[i].help);
    }
}

static void run_info(MonitorQMP *mon, char **words, GString *out)
{
    if (!words[1]) {
        list_info(out);
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(hmp_info); i++) {
        if (strcmp(words[1], hmp_info[i].name) == 0) {
            if (words[2]) {
                g_string_append(out, "info: extraneous characters at the end "
                                "of line\n");
            } else {
                hmp_info[i].fn(mon, out);
            }
            return;
        }
    }
    g_string_append_printf(out, "unknown command: 'info %s'\n", words[1]);
}

static void run_command(MonitorQMP *mon, char **words, GString *out)
{
    const HMPCommand *cmd = NULL;
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) noargs = json_object_new();
    g_autoptr(JsonNode) ret = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(hmp_commands); i++) {
        if (strcmp(words[0], hmp_commands[i].name) == 0) {
            cmd = &hmp_commands[i];
        }
    }
    if (!cmd) {
        g_string_append_printf(out, "unknown command: '%s'\n", words[0]);
    } else if (strcmp(cmd->name, "info") == 0) {
        run_info(mon, words, out);
    } else if (strcmp(cmd->name, "help") == 0) {
        list_commands(out);
    } else if (words[1]) {
        g_string_append_printf(out, "%s: extraneous characters at the end of "
                               "line\n", cmd->name);
    } else if (!(ret = cmd->qmp(mon, noargs, &err))) {
        g_string_append_printf(out, "Error: %s\n", err->message);
    }
}

/* "  info   status " -> { "info", "status", NULL } */
static GStrv split_words(const char *line)
{
    g_auto(GStrv) all = g_strsplit_set(line, " \t", -1);
    GPtrArray *words = g_ptr_array_new();

    for (char **w = all; *w; w++) {
        if (**w) {
            g_ptr_array_add(words, g_strdup(*w));
        }
    }
    g_ptr_array_add(words, NULL);
    return (GStrv)g_ptr_array_free(words, false);
}

QMP_HANDLER(qmp_human_monitor_command)
{
    g_auto(GStrv) words = split_words(qmp_arg_str(args, "command-line"));
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree char *crlf = NULL;

    if (words[0]) {
        run_command(mon, words, out);
    }
    /* the human monitor's line ends */
    crlf = monitor_crlf(out->str);
    return qmp_node_string(crlf);
}
