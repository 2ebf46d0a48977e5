/*
 * Command-line option arguments: key=value lists (with the implied key and
 * ",," escapes), their JSON form, sizes, numbers and booleans, through
 * util/qemu-option.c and util/qemu-option-json.c.  The input is one
 * option argument; its first byte picks the implied key.
 */
#include "fuzz.h"
#include "qemu/option.h"

#include <glib.h>
#include <string.h>

#define MAX_LOOKUPS 8

static const char *const implied[] = { NULL, "type", "driver", "backend", "size" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *arg = NULL;
    g_autoptr(QemuOpts) opts = NULL;
    uint64_t v;
    bool b;

    if (size < 1) {
        return 0;
    }
    arg = g_strndup((const char *)data + 1, size - 1);  /* argv: no NUL inside */
    opts = qemu_opts_parse_arg(arg, implied[data[0] % G_N_ELEMENTS(implied)], NULL);
    if (opts) {
        /*
         * Every typed getter on every key, as option handlers do.  A
         * getter marks the key's duplicates used, and would find the same
         * (last) value for them: they are skipped.  A lookup is linear, so
         * after the first MAX_LOOKUPS keys the values go to the getters'
         * parsers directly (every getter on each of a thousand keys made
         * one 4 KiB input take a second under ASan).
         */
        unsigned lookups = 0;

        for (size_t i = 0; i < opts->nr; i++) {
            QemuOpt *o = &opts->opts[i];
            g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

            if (o->used) {
                continue;
            }
            if (lookups++ < MAX_LOOKUPS) {
                qemu_opt_get_bool(opts, o->name, false, &b, &e1);
                qemu_opt_get_number(opts, o->name, 0, &v, &e2);
                qemu_opt_get_size(opts, o->name, 0, &v, &e3);
            } else {
                qemu_parse_bool(o->name, o->value, &b, &e1);
                qemu_strtou64(o->value, &v);
                qemu_strtosz(o->value, 'B', &v);
            }
        }
        {
            g_autoptr(GError) e = NULL;
            qemu_opts_check_unused(opts, &e);
        }
    }
    qemu_strtosz(arg, 'M', &v);
    qemu_strtosz(arg, 'B', &v);
    qemu_strtou64(arg, &v);
    return 0;
}
