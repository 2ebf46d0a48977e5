/*
 * -strace / -d strace: one line per system call, as QEMU's
 * "PID name(arg,...) = result" (errors as "-1 errno=N (text)").
 */
#include "user/syscall.h"
#include "qemu/log.h"

#include <fcntl.h>
#include <unistd.h>

/* Enough of a string to recognise it; longer ones end with "...". */
#define STRACE_STR_MAX 64

static void append_string(GString *out, UserState *us, uint64_t addr)
{
    g_autofree char *s = guest_strdup(&us->mem, addr, STRACE_STR_MAX + 1);
    g_autofree char *esc = NULL;

    if (!s) {
        g_string_append_printf(out, "0x%" G_GINT64_MODIFIER "x", addr);
        return;
    }
    esc = g_strescape(s, NULL);
    if (strlen(s) > STRACE_STR_MAX) {
        esc[STRACE_STR_MAX] = 0;
        g_string_append_printf(out, "\"%s\"...", esc);
    } else {
        g_string_append_printf(out, "\"%s\"", esc);
    }
}

static void append_arg(GString *out, UserState *us, char f, uint64_t v)
{
    switch (f) {
    case 'd':
        g_string_append_printf(out, "%" G_GINT64_FORMAT, (int64_t)v);
        break;
    case 'f':
        if ((int)v == AT_FDCWD) {
            g_string_append(out, "AT_FDCWD");
        } else {
            g_string_append_printf(out, "%d", (int)v);
        }
        break;
    case 'u':
        g_string_append_printf(out, "%" G_GUINT64_FORMAT, v);
        break;
    case 'o':
        g_string_append_printf(out, "0%" G_GINT64_MODIFIER "o", v);
        break;
    case 's':
        if (v) {
            append_string(out, us, v);
            break;
        }
        /* fall through */
    default:
        g_string_append_printf(out, "0x%" G_GINT64_MODIFIER "x", v);
    }
}

static void append_ret(GString *out, const SyscallDef *def, int64_t ret)
{
    if (ret < 0 && ret > -4096) {
        g_string_append_printf(out, " = -1 errno=%d (%s)", (int)-ret,
                               g_strerror(-ret));
    } else if (def && (def->flags & SC_RET_HEX)) {
        g_string_append_printf(out, " = 0x%" G_GINT64_MODIFIER "x", ret);
    } else {
        g_string_append_printf(out, " = %" G_GINT64_FORMAT, ret);
    }
}

/*
 * Called after the call (done), and also before it for calls that do not
 * return; unknown calls print all six arguments in hex.
 */
void strace_call(UserState *us, const SyscallDef *def, uint64_t nr,
                 const uint64_t *a, bool done, int64_t ret)
{
    g_autoptr(GString) out = NULL;
    const char *fmt = def ? def->fmt : "xxxxxx";

    if (!qemu_loglevel_mask(LOG_STRACE) ||
        (done && def && (def->flags & SC_NORETURN))) {
        return;
    }
    out = g_string_new(NULL);
    g_string_append_printf(out, "%d ", (int)getpid());
    if (def) {
        g_string_append_printf(out, "%s(", def->name);
    } else {
        g_string_append_printf(out, "Unknown syscall %" G_GUINT64_FORMAT "(",
                               nr);
    }
    for (int i = 0; fmt[i]; i++) {
        if (i) {
            g_string_append_c(out, ',');
        }
        append_arg(out, us, fmt[i], a[i]);
    }
    g_string_append_c(out, ')');
    if (done) {
        append_ret(out, def, ret);
    }
    qemu_log("%s\n", out->str);
}
