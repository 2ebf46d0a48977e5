/*
 * The one key=value option parser.
 */
#include "qemu/option.h"
#include "qemu/error-report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Read up to the next unescaped stop character; ",," becomes ",". */
static const char *get_token(const char *p, char stop, GString *out)
{
    while (*p) {
        if (*p == ',') {
            if (p[1] == ',') {
                g_string_append_c(out, ',');
                p += 2;
                continue;
            }
            break;
        }
        if (*p == stop) {
            break;
        }
        g_string_append_c(out, *p++);
    }
    return p;
}

static void opts_add(QemuOpts *opts, char *name, char *value)
{
    /* room for nr rounded up to a power of two: geometric growth */
    if ((opts->nr & (opts->nr - 1)) == 0) {
        opts->opts = g_renew(QemuOpt, opts->opts, opts->nr ? opts->nr * 2 : 1);
    }
    opts->opts[opts->nr++] = (QemuOpt){ .name = name, .value = value };
}

QemuOpts *qemu_opts_parse(const char *str, const char *implied_key,
                          GError **errp)
{
    g_autoptr(QemuOpts) opts = g_new0(QemuOpts, 1);
    const char *p = str;
    bool first = true;

    while (*p) {
        g_autoptr(GString) key = g_string_new(NULL);
        g_autoptr(GString) val = g_string_new(NULL);

        p = get_token(p, '=', key);
        if (*p == '=') {
            p = get_token(p + 1, '\0', val);
            if (key->len == 0) {
                error_setg(errp, "Invalid parameter ''");
                return NULL;
            }
            opts_add(opts, g_string_free(g_steal_pointer(&key), false),
                     g_string_free(g_steal_pointer(&val), false));
        } else if (first && implied_key) {
            opts_add(opts, g_strdup(implied_key),
                     g_string_free(g_steal_pointer(&key), false));
        } else if (key->len) {
            opts_add(opts, g_string_free(g_steal_pointer(&key), false),
                     g_strdup("on"));
        }
        first = false;
        if (*p == ',') {
            p++;
        }
    }
    return g_steal_pointer(&opts);
}

void qemu_opts_free(QemuOpts *opts)
{
    if (!opts) {
        return;
    }
    for (size_t i = 0; i < opts->nr; i++) {
        g_free(opts->opts[i].name);
        g_free(opts->opts[i].value);
    }
    g_free(opts->opts);
    g_free(opts);
}

static QemuOpt *opt_find(QemuOpts *opts, const char *name)
{
    QemuOpt *found = NULL;

    for (size_t i = 0; i < opts->nr; i++) {
        if (strcmp(opts->opts[i].name, name) == 0) {
            opts->opts[i].used = true;   /* every duplicate counts as seen */
            found = &opts->opts[i];
        }
    }
    return found;
}

const char *qemu_opt_get(QemuOpts *opts, const char *name)
{
    QemuOpt *o = opt_find(opts, name);
    return o ? o->value : NULL;
}

bool qemu_opt_has(QemuOpts *opts, const char *name)
{
    for (size_t i = 0; i < opts->nr; i++) {
        if (strcmp(opts->opts[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

bool qemu_parse_bool(const char *name, const char *value, bool *out,
                     GError **errp)
{
    static const char *const yes[] = { "on", "yes", "true", "y", NULL };
    static const char *const no[] = { "off", "no", "false", "n", NULL };

    if (g_strv_contains(yes, value)) {
        *out = true;
        return true;
    }
    if (g_strv_contains(no, value)) {
        *out = false;
        return true;
    }
    error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
    return false;
}

bool qemu_opt_get_bool(QemuOpts *opts, const char *name, bool def,
                       bool *out, GError **errp)
{
    const char *v = qemu_opt_get(opts, name);

    if (!v) {
        *out = def;
        return true;
    }
    return qemu_parse_bool(name, v, out, errp);
}

int qemu_strtou64(const char *str, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!str || !*str || isspace((unsigned char)*str) || *str == '-') {
        return -EINVAL;
    }
    errno = 0;
    v = strtoull(str, &end, 0);
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (*end) {
        return -EINVAL;
    }
    *out = v;
    return 0;
}

bool qemu_opt_get_number(QemuOpts *opts, const char *name, uint64_t def,
                         uint64_t *out, GError **errp)
{
    const char *v = qemu_opt_get(opts, name);

    if (!v) {
        *out = def;
        return true;
    }
    if (qemu_strtou64(v, out) < 0) {
        error_setg(errp, "Parameter '%s' expects a number", name);
        return false;
    }
    return true;
}

static int suffix_shift(char c)
{
    switch (toupper((unsigned char)c)) {
    case 'B': return 0;
    case 'K': return 10;
    case 'M': return 20;
    case 'G': return 30;
    case 'T': return 40;
    case 'P': return 50;
    case 'E': return 60;
    default: return -1;
    }
}

int qemu_strtosz(const char *str, char default_suffix, uint64_t *out)
{
    const char *p = str;
    char *end;
    uint64_t whole;
    double frac = 0;
    int shift;

    if (!str || !isdigit((unsigned char)*p)) {
        return -EINVAL;   /* also rejects "-1", " 1", "" */
    }
    errno = 0;
    whole = strtoull(p, &end, 10);
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (*end == '.') {
        /*
         * Decimal digits only: strtod() would also take an exponent
         * ("1.5e9999" is infinite, "1.5e3" not a fraction).
         */
        double scale = 0.1;
        if (!isdigit((unsigned char)end[1])) {
            return -EINVAL;     /* "1." */
        }
        for (end++; isdigit((unsigned char)*end); end++, scale /= 10) {
            frac += (*end - '0') * scale;
        }
        frac = MIN(frac, 0.9999999999999999);   /* rounding of ".99999..." */
    }
    if (*end == '\0') {
        if (frac != 0) {
            return -EINVAL;     /* a fraction needs a unit */
        }
        shift = suffix_shift(default_suffix);
    } else {
        shift = suffix_shift(*end);
        if (shift < 0 || end[1] != '\0') {
            return -EINVAL;
        }
        if (frac != 0 && shift == 0) {
            return -EINVAL;     /* "1.5B" */
        }
    }
    if (shift > 0 && whole > (UINT64_MAX >> shift)) {
        return -ERANGE;
    }
    {
        uint64_t v = whole << shift;
        uint64_t f = (uint64_t)(frac * (double)(1ULL << shift));
        if (v > UINT64_MAX - f) {
            return -ERANGE;
        }
        *out = v + f;
    }
    return 0;
}

bool qemu_opt_get_size(QemuOpts *opts, const char *name, uint64_t def,
                       uint64_t *out, GError **errp)
{
    const char *v = qemu_opt_get(opts, name);

    if (!v) {
        *out = def;
        return true;
    }
    if (qemu_strtosz(v, 'B', out) < 0) {
        error_setg(errp, "Parameter '%s' expects a non-negative number "
                   "below 2^64", name);
        return false;
    }
    return true;
}

bool qemu_opts_check_unused(QemuOpts *opts, GError **errp)
{
    for (size_t i = 0; i < opts->nr; i++) {
        if (!opts->opts[i].used) {
            error_setg(errp, "Invalid parameter '%s'", opts->opts[i].name);
            return false;
        }
    }
    return true;
}
