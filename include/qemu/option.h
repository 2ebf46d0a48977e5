/*
 * "key=value,key=value" option strings, as QEMU's QemuOpts spells them.
 *
 * One parser for every option argument: "-device isa-debug-exit,iobase=0xf4",
 * "-smp 4,sockets=2", "-cpu qemu64,+pdcm,enforce".  The first element may
 * omit its key (the implied key: "driver" for -device, "cpus" for -smp).
 * ",," stands for a literal comma.  A bare "key" has the value "on".
 * Later duplicates override earlier ones.
 *
 * Every getter marks its key used, so qemu_opts_check_unused() can name a
 * key that no consumer understood ("Invalid parameter 'x'").
 */
#ifndef QEMU_OPTION_H
#define QEMU_OPTION_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct QemuOpt {
    char *name;
    char *value;
    bool used;
} QemuOpt;

typedef struct QemuOpts {
    QemuOpt *opts;
    size_t nr;
} QemuOpts;

QemuOpts *qemu_opts_parse(const char *str, const char *implied_key,
                          GError **errp);
void qemu_opts_free(QemuOpts *opts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuOpts, qemu_opts_free)

/* A JSON object argument ('{"driver":"x","id":"y"}') as QemuOpts. */
QemuOpts *qemu_opts_from_json(const char *json, GError **errp);
/* Either form: JSON when arg starts with '{', else key=value. */
QemuOpts *qemu_opts_parse_arg(const char *arg, const char *implied_key,
                              GError **errp);

/* Value of the last occurrence of name, or NULL; marks it used. */
const char *qemu_opt_get(QemuOpts *opts, const char *name);
bool qemu_opt_has(QemuOpts *opts, const char *name);
/* Typed getters: return false with *errp set on a malformed value. */
bool qemu_opt_get_bool(QemuOpts *opts, const char *name, bool def,
                       bool *out, GError **errp);
bool qemu_opt_get_number(QemuOpts *opts, const char *name, uint64_t def,
                         uint64_t *out, GError **errp);
bool qemu_opt_get_size(QemuOpts *opts, const char *name, uint64_t def,
                       uint64_t *out, GError **errp);
/* Error naming the first key nobody asked for. */
bool qemu_opts_check_unused(QemuOpts *opts, GError **errp);

/* Parsers shared with the rest of the program. */
bool qemu_parse_bool(const char *name, const char *value, bool *out,
                     GError **errp);
/*
 * Parse a size with an optional suffix B, k/K, M, G, T, P, E (powers of
 * 1024); default_suffix applies to a bare number ('B' for bytes, 'M' for
 * -m).  Fractions are allowed with a suffix ("1.5G").  Returns 0, -EINVAL
 * or -ERANGE, like QEMU's qemu_strtosz.
 */
int qemu_strtosz(const char *str, char default_suffix, uint64_t *out);
/* Whole unsigned number, decimal, 0x hex or 0 octal. */
int qemu_strtou64(const char *str, uint64_t *out);

#endif
