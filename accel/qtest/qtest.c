/*
 * qtest: no vCPU runs; a test sends one command per line and reads one
 * reply per line ("OK [value]", "FAIL reason", "ERR reason"), plus
 * asynchronous "IRQ raise N" / "IRQ lower N" lines for intercepted
 * interrupt lines.  Commands and replies are QEMU's (system/qtest.c
 * there), so QEMU's qtest clients can talk to us.  Unlike QEMU, a
 * malformed command gets an ERR reply instead of an assertion failure.
 *
 * The virtual clock belongs to the test: it stands still until
 * clock_step/clock_set move it, and device timers (include/qemu/timer.h)
 * run only then, in order of expiry, each with the clock at its own
 * expiry; everything they do (interrupt lines included) is reported
 * before the command's reply.  A timer armed for a time already reached
 * runs from the main loop, as QEMU's would.
 */
#include "system/qtest.h"
#include "system/accel.h"
#include "hw/boards.h"
#include "chardev/char.h"
#include "qemu/error-report.h"
#include "qemu/option.h"
#include "qemu/timer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define QTEST_MAX_IRQ      256
/* One read/write/memset moves at most this much: a test never needs more. */
#define QTEST_MAX_TRANSFER (256u << 20)
/* A line longer than this is garbage: drop it. */
#define QTEST_MAX_LINE     (2 * QTEST_MAX_TRANSFER + 64)

typedef struct QTestState {
    MachineState *ms;
    Chardev *chr;
    GString *inbuf;
    GPtrArray *words;       /* split_words() */
    FILE *log;
    GTimer *timer;
    bool intercepting;
    int irq_level[QTEST_MAX_IRQ];
} QTestState;

static QTestState *qtest;    /* one per process, like -qtest itself */

static void qtest_log(const char *dir, const char *text)
{
    if (qtest->log) {
        fprintf(qtest->log, "[%s +%.06f] %s", dir,
                g_timer_elapsed(qtest->timer, NULL), text);
        fflush(qtest->log);
    }
}

static void qtest_send(const char *line)
{
    /* device I/O threads report interrupt lines too: whole lines only */
    static GMutex lock;

    g_mutex_lock(&lock);
    qtest_log("S", line);
    qemu_chr_write_all(qtest->chr, (const uint8_t *)line, strlen(line));
    g_mutex_unlock(&lock);
}

static void G_GNUC_PRINTF(1, 2) qtest_sendf(const char *fmt, ...)
{
    char small[128];    /* "OK 0x..." and the like: no allocation */
    g_autofree char *line = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(small)) {
        qtest_send(small);
        return;
    }
    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qtest_send(line);
}

/* ---- the accelerator ------------------------------------------------------ */

static bool qtest_accel_init(MachineState *ms, GError **errp)
{
    qemu_clock_set_manual();
    return true;
}

static bool qtest_accel_map_ram(MachineState *ms, uint64_t gpa, uint64_t size,
                                void *hva, GError **errp)
{
    return true;    /* the test reaches RAM through machine_gpa_to_hva() */
}

/* Every machine interrupt line ends here; reported once intercepted. */
static void qtest_accel_set_irq(MachineState *ms, int line, int level)
{
    if (!qtest || line < 0 || line >= QTEST_MAX_IRQ) {
        return;
    }
    level = !!level;
    if (qtest->irq_level[line] != level) {
        qtest->irq_level[line] = level;
        if (qtest->intercepting) {
            qtest_sendf("IRQ %s %d\n", level ? "raise" : "lower", line);
        }
    }
}

/*
 * No APIC here: an MSI is the memory write it is on the bus, so a test
 * points an MSI-X entry at RAM and reads the data back (as QEMU's libqos
 * does).  Anything that is not RAM is dropped.
 */
static void qtest_accel_send_msi(MachineState *ms, uint64_t addr,
                                 uint32_t data)
{
    uint8_t *hva = machine_gpa_to_hva(ms, addr, 4);

    if (hva) {
        uint32_t le = GUINT32_TO_LE(data);
        memcpy(hva, &le, 4);
    }
}

const AccelOps qtest_accel_ops = {
    .name = "qtest",
    .has_vcpus = false,
    .init = qtest_accel_init,
    .map_ram = qtest_accel_map_ram,
    .set_irq = qtest_accel_set_irq,
    .send_msi = qtest_accel_send_msi,
};

/* ---- guest memory: RAM directly, anything else through the MMIO bus ----- */

/* Memory an access may touch directly: ROM is read, never written. */
static void *mem_hva(uint64_t addr, uint64_t len, bool is_write)
{
    return is_write ? machine_ram_gpa_to_hva(qtest->ms, addr, len)
                    : machine_gpa_to_hva(qtest->ms, addr, len);
}

/*
 * Part of a transfer at addr that is not RAM, as QEMU's memory API does
 * it: a device region in the widest aligned accesses it takes (a 256 MiB
 * read of a 64 MiB interrupt controller byte by byte took the fuzzer
 * 14 s, tests/fuzz/corpus/riscv-virt/regress-timeout-b64read-plic),
 * unassigned space up to the next page or region at once (reads 0xff,
 * writes dropped).  Returns the bytes done.
 */
static uint64_t mmio_run(uint64_t addr, uint8_t *buf, uint64_t len,
                         bool is_write)
{
    const IOBus *bus = &qtest->ms->mmio;
    const IORegion *r = iobus_find(bus, addr);
    unsigned size = 1;

    if (!r) {
        uint64_t n = MIN(len, 4096 - (addr & 4095));   /* RAM is in pages */
        for (size_t i = 0; i < bus->nr; i++) {
            if (bus->regions[i].base > addr) {
                n = MIN(n, bus->regions[i].base - addr);
                break;
            }
        }
        if (!is_write) {
            memset(buf, 0xff, n);
        }
        return n;
    }
    /* the widest power of two the region takes, aligned, inside it */
    for (unsigned s = r->ops->max_access ? r->ops->max_access : 8; s > 1;
         s /= 2) {
        if (s <= len && !(addr & (s - 1)) && s <= r->size - (addr - r->base) &&
            s >= (r->ops->min_access ? r->ops->min_access : 1)) {
            size = s;
            break;
        }
    }
    iobus_dispatch(bus, addr, buf, size, is_write);
    return size;
}

static void mem_rw(uint64_t addr, uint8_t *buf, uint64_t len, bool is_write)
{
    while (len > 0) {
        uint8_t *hva = mem_hva(addr, 1, is_write);
        uint64_t n = 1;

        if (hva) {
            /* the longest run of RAM from here */
            n = len;
            while (n > 1 && !mem_hva(addr, n, is_write)) {
                n /= 2;
            }
            if (is_write) {
                memcpy(hva, buf, n);
            } else {
                memcpy(buf, hva, n);
            }
        } else {
            n = mmio_run(addr, buf, len, is_write);
        }
        addr += n;
        buf += n;
        len -= n;
    }
}

/* An access of 2, 4 or 8 bytes that is not RAM is one MMIO access. */
static void mem_access(uint64_t addr, void *data, unsigned size, bool is_write)
{
    if (mem_hva(addr, size, is_write)) {
        mem_rw(addr, data, size, is_write);
    } else {
        iobus_dispatch(&qtest->ms->mmio, addr, data, size, is_write);
    }
}

/* ---- commands -------------------------------------------------------------- */

static bool parse_u64(const char *s, uint64_t *v)
{
    return s && qemu_strtou64(s, v) == 0;
}

static bool parse_i64(const char *s, int64_t *v)
{
    char *end;

    if (!s || !*s) {
        return false;
    }
    errno = 0;
    *v = strtoll(s, &end, 0);
    return errno == 0 && *end == '\0';
}

static unsigned size_suffix(char c)
{
    return c == 'b' ? 1 : c == 'w' ? 2 : c == 'l' ? 4 : c == 'q' ? 8 : 0;
}

static int hex_nibble(char c)
{
    return g_ascii_xdigit_value(c);
}

/* The interrupt controllers a test may name: "ioapic", "/machine/ioapic". */
static bool is_intc_path(const char *path)
{
    const char *const *names = qtest->ms->mc->qtest_intc_names;
    const char *base = strrchr(path, '/');

    base = base ? base + 1 : path;
    return names && g_strv_contains(names, base);
}

static void cmd_io(char **w, unsigned nwords)
{
    unsigned size = size_suffix(w[0][strlen(w[0]) - 1]);
    bool is_out = w[0][0] == 'o';
    uint64_t addr, val = 0;

    if (nwords != (is_out ? 3u : 2u) || !parse_u64(w[1], &addr) ||
        addr > 0xffff || (is_out && !parse_u64(w[2], &val))) {
        qtest_sendf("ERR usage: %s ADDR%s\n", w[0], is_out ? " VALUE" : "");
        return;
    }
    iobus_dispatch(&qtest->ms->io, addr, &val, size, is_out);
    if (is_out) {
        qtest_sendf("OK\n");
    } else {
        qtest_sendf("OK 0x%04x\n", (uint32_t)val);
    }
}

static void cmd_mem(char **w, unsigned nwords)
{
    bool is_write = w[0][0] == 'w';
    unsigned size = size_suffix(w[0][strlen(w[0]) - 1]);
    uint64_t addr, val = 0;

    if (nwords != (is_write ? 3u : 2u) || !parse_u64(w[1], &addr) ||
        (is_write && !parse_u64(w[2], &val))) {
        qtest_sendf("ERR usage: %s ADDR%s\n", w[0], is_write ? " VALUE" : "");
        return;
    }
    mem_access(addr, &val, size, is_write);
    if (is_write) {
        qtest_sendf("OK\n");
    } else {
        uint64_t mask = size == 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
        qtest_sendf("OK 0x%016" PRIx64 "\n", (uint64_t)(val & mask));
    }
}

static bool get_addr_len(char **w, unsigned nwords, unsigned want,
                         uint64_t *addr, uint64_t *len, bool zero_ok)
{
    if (nwords != want || !parse_u64(w[1], addr) || !parse_u64(w[2], len) ||
        (!zero_ok && *len == 0) || *len > QTEST_MAX_TRANSFER) {
        qtest_sendf("ERR invalid address or size (at most 0x%x bytes)\n",
                    QTEST_MAX_TRANSFER);
        return false;
    }
    return true;
}

static void cmd_read(char **w, unsigned nwords)
{
    bool b64 = w[0][0] == 'b';      /* b64read */
    uint64_t addr, len;
    g_autofree uint8_t *data = NULL;

    if (!get_addr_len(w, nwords, 3, &addr, &len, false)) {
        return;
    }
    data = g_malloc(len);
    mem_rw(addr, data, len, false);
    if (b64) {
        g_autofree char *enc = g_base64_encode(data, len);
        qtest_sendf("OK %s\n", enc);
    } else {
        /* the reply line built in place, a digit pair per byte from a
         * table: a printf per byte and a copy of the line took over 10 s
         * for a 235 MB read under ASan (len is at most
         * QTEST_MAX_TRANSFER, so the size cannot overflow) */
        static const char digits[] = "0123456789abcdef";
        g_autofree char *line = g_new(char, 2 * len + sizeof("OK 0x\n"));
        char *p = line + strlen("OK 0x");

        memcpy(line, "OK 0x", strlen("OK 0x"));
        for (uint64_t i = 0; i < len; i++) {
            *p++ = digits[data[i] >> 4];
            *p++ = digits[data[i] & 0xf];
        }
        memcpy(p, "\n", sizeof("\n"));
        qtest_send(line);
    }
}

static void cmd_write(char **w, unsigned nwords)
{
    bool b64 = w[0][0] == 'b';      /* b64write */
    uint64_t addr, len;
    g_autofree uint8_t *data = NULL;
    size_t dlen;

    if (!get_addr_len(w, nwords, 4, &addr, &len, false)) {
        return;
    }
    dlen = strlen(w[3]);
    if (dlen < 3) {
        qtest_sendf("ERR invalid argument size\n");
        return;
    }
    data = g_malloc0(len);
    if (b64) {
        gsize out;
        guchar *dec = g_base64_decode(w[3], &out);
        memcpy(data, dec, MIN(out, len));   /* a short string is zero filled */
        g_free(dec);
    } else {
        if (w[3][0] != '0' || (w[3][1] != 'x' && w[3][1] != 'X')) {
            qtest_sendf("ERR data must start with 0x\n");
            return;
        }
        for (uint64_t i = 0; i < len && i * 2 + 4 <= dlen; i++) {
            int hi = hex_nibble(w[3][i * 2 + 2]), lo = hex_nibble(w[3][i * 2 + 3]);
            if (hi < 0 || lo < 0) {
                qtest_sendf("ERR invalid hex data\n");
                return;
            }
            data[i] = hi << 4 | lo;
        }
    }
    mem_rw(addr, data, len, true);
    qtest_sendf("OK\n");
}

static void cmd_memset(char **w, unsigned nwords)
{
    uint64_t addr, len, pattern;
    g_autofree uint8_t *data = NULL;

    if (!get_addr_len(w, nwords, 4, &addr, &len, true)) {
        return;                         /* it has replied */
    }
    if (!parse_u64(w[3], &pattern)) {
        qtest_sendf("ERR invalid pattern\n");
        return;
    }
    if (len) {
        data = g_malloc(len);
        memset(data, (int)pattern, len);
        mem_rw(addr, data, len, true);
    }
    qtest_sendf("OK\n");
}

/*
 * clock_step [NS]: forward by NS, or without NS to the next timer
 * deadline ("FAIL" only when no timer is armed, as QEMU); clock_set NS:
 * forward to NS ("FAIL <now>" when that is in the past).  Either way the
 * timers due on the way run, each with the clock at its own expiry, and
 * their interrupts are reported before the reply.
 */
static void cmd_clock(char **w, unsigned nwords)
{
    int64_t old = qemu_clock_get_ns(), ns;

    if (strcmp(w[0], "clock_step") == 0) {
        if (nwords == 1) {
            ns = qemu_clock_deadline_ns();
            if (ns < 0) {
                qtest_sendf("FAIL cannot advance clock to the next deadline "
                            "because there is no pending deadline\n");
                return;
            }
            ns = qemu_clock_advance_to(old + ns);
            qtest_sendf("OK %" G_GINT64_FORMAT "\n", ns);
            return;
        }
        if (nwords != 2 || !parse_i64(w[1], &ns) || ns < 0 ||
            ns > G_MAXINT64 - old) {
            qtest_sendf("ERR usage: clock_step [NS]\n");
            return;
        }
        ns = qemu_clock_advance_to(old + ns);
        if (ns > old) {
            qtest_sendf("OK %" G_GINT64_FORMAT "\n", ns);
        } else {
            qtest_sendf("FAIL could not advance time\n");
        }
        return;
    }
    if (nwords != 2 || !parse_i64(w[1], &ns)) {
        qtest_sendf("ERR usage: clock_set NS\n");
        return;
    }
    old = qemu_clock_advance_to(ns);
    qtest_sendf("%s %" G_GINT64_FORMAT "\n", old == ns ? "OK" : "FAIL", old);
}

static void cmd_irq_intercept(char **w, unsigned nwords)
{
    if (nwords < 2) {
        qtest_sendf("ERR usage: %s QOM-PATH\n", w[0]);
        return;
    }
    if (!is_intc_path(w[1])) {
        qtest_sendf("FAIL Unknown device\n");
        return;
    }
    if (nwords > 2 && w[0][14] == 'i') {
        qtest_sendf("FAIL Interception of named in-GPIOs not yet supported\n");
        return;
    }
    if (!qtest->intercepting) {
        qtest->intercepting = true;
        /* lines already raised are reported from now on, as they change */
    }
    qtest_sendf("OK\n");
}

static void cmd_set_irq_in(char **w, unsigned nwords)
{
    int64_t num, level;

    if (nwords != 5 || !parse_i64(w[3], &num) || !parse_i64(w[4], &level) ||
        num < 0 || num >= QTEST_MAX_IRQ) {
        qtest_sendf("ERR usage: set_irq_in QOM-PATH NAME NUM LEVEL\n");
        return;
    }
    if (!is_intc_path(w[1])) {
        qtest_sendf("FAIL Unknown device\n");
        return;
    }
    if (qtest->ms->mc->qtest_irq_in) {
        qemu_irq line = qtest->ms->mc->qtest_irq_in(qtest->ms, num);

        if (!line) {
            qtest_sendf("FAIL no input line %" PRId64 "\n", num);
            return;
        }
        qemu_set_irq(line, level);
    } else {
        qtest->ms->accel->set_irq(qtest->ms, num, level);
    }
    qtest_sendf("OK\n");
}

static void cmd_endianness(char **w, unsigned nwords)
{
    qtest_sendf("OK little\n");   /* x86 and riscv guests */
}

/* The protocol's commands (QEMU's system/qtest.c has the same names). */
static const struct {
    const char *name;
    void (*fn)(char **w, unsigned nwords);
} qtest_commands[] = {
    { "outb", cmd_io }, { "outw", cmd_io }, { "outl", cmd_io },
    { "inb", cmd_io }, { "inw", cmd_io }, { "inl", cmd_io },
    { "readb", cmd_mem }, { "readw", cmd_mem },
    { "readl", cmd_mem }, { "readq", cmd_mem },
    { "writeb", cmd_mem }, { "writew", cmd_mem },
    { "writel", cmd_mem }, { "writeq", cmd_mem },
    { "read", cmd_read }, { "b64read", cmd_read },
    { "write", cmd_write }, { "b64write", cmd_write },
    { "memset", cmd_memset },
    { "clock_step", cmd_clock }, { "clock_set", cmd_clock },
    { "irq_intercept_in", cmd_irq_intercept },
    { "irq_intercept_out", cmd_irq_intercept },
    { "set_irq_in", cmd_set_irq_in },
    { "endianness", cmd_endianness },
};

static void qtest_process_command(char **w)
{
    static GHashTable *by_name;     /* name -> index + 1 */
    static gsize once;
    unsigned n = g_strv_length(w);
    guint i;

    if (g_once_init_enter(&once)) {
        by_name = g_hash_table_new(g_str_hash, g_str_equal);
        for (i = 0; i < G_N_ELEMENTS(qtest_commands); i++) {
            g_hash_table_insert(by_name, (gpointer)qtest_commands[i].name,
                                GUINT_TO_POINTER(i + 1));
        }
        g_once_init_leave(&once, 1);
    }
    if (n == 0 || !*w[0]) {
        qtest_sendf("ERR empty command\n");
        return;
    }
    i = GPOINTER_TO_UINT(g_hash_table_lookup(by_name, w[0]));
    if (!i) {
        qtest_sendf("FAIL Unknown command '%s'\n", w[0]);
        return;
    }
    qtest_commands[i - 1].fn(w, n);
}

static size_t qtest_can_read(void *opaque)
{
    return 65536;
}

/*
 * The words of a line, split in place at every space as g_strsplit(line,
 * " ", 0) would ("a  b" has an empty middle word; "" has none), in an
 * array kept from line to line: a test sends thousands of lines.
 */
static char **split_words(char *line)
{
    GPtrArray *w = qtest->words;

    g_ptr_array_set_size(w, 0);
    for (char *p = line, *sp; *line; p = sp + 1) {
        g_ptr_array_add(w, p);
        sp = strchr(p, ' ');
        if (!sp) {
            break;
        }
        *sp = '\0';
    }
    g_ptr_array_add(w, NULL);
    return (char **)w->pdata;
}

static void qtest_read(void *opaque, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    char *end;

    g_string_append_len(qtest->inbuf, (const char *)buf, len);
    /* each line in place; what they took is erased once, after them */
    while ((end = memchr(qtest->inbuf->str + done, '\n',
                         qtest->inbuf->len - done))) {
        char *line = qtest->inbuf->str + done;

        *end = '\0';     /* a NUL before it ends the line, as it did */
        done = end + 1 - qtest->inbuf->str;
        g_strchomp(line);               /* tolerate "\r\n" */
        qtest_log("R", line);
        if (qtest->log) {
            fputc('\n', qtest->log);
        }
        qtest_process_command(split_words(line));
    }
    g_string_erase(qtest->inbuf, 0, done);
    if (qtest->inbuf->len > QTEST_MAX_LINE) {
        g_string_truncate(qtest->inbuf, 0);
        qtest_sendf("ERR line too long\n");
    }
}

bool qtest_server_init(MachineState *ms, const char *spec, const char *log,
                       GError **errp)
{
    Chardev *chr;

    if (qtest) {
        error_setg(errp, "Only one instance of qtest can be created");
        return false;
    }
    chr = qemu_chr_new("qtest", spec, errp);
    if (!chr) {
        if (errp && !*errp) {
            error_setg(errp, "Failed to initialize device for qtest: \"%s\"",
                       spec);
        }
        return false;
    }
    qtest = g_new0(QTestState, 1);
    qtest->ms = ms;
    qtest->chr = chr;
    qtest->inbuf = g_string_new(NULL);
    qtest->words = g_ptr_array_new();
    qtest->timer = g_timer_new();
    if (!log) {
        qtest->log = stderr;            /* QEMU's default */
    } else if (strcmp(log, "none") != 0) {
        qtest->log = fopen(log, "w");
        if (!qtest->log) {
            error_setg_errno(errp, errno, "cannot open qtest log '%s'", log);
            return false;
        }
    }
    qemu_chr_fe_set_handlers(chr, qtest_can_read, qtest_read, qtest);
    return true;
}
